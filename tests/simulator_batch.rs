//! The account's limits across many runs and keys (issue 13 "Simulator"): one concurrency
//! cap with a FIFO queue for the whole client, a sliding per-key request window that counts
//! submits and polls, warm-ups and rate-limit storms in the middle of a batch, and the
//! counters tests read (in process and `GET /__sim/stats`). Times are scaled down.

mod simulator_support;

use std::time::{Duration, Instant};

use serde_json::Value;
use simulator_support::*;
use speech_scorer::simulator::{
    Disruption, DisruptionKind, KeyConfig, Scope, SimConfig, SimHandle, SimStats,
};

async fn submit_as(sim: &SimHandle, key: &str, external_id: &str) -> (u16, Value, Option<u64>) {
    let resp = submit(
        sim,
        Some(key),
        Some(speech_wav(181.0)),
        &[("language", "en"), ("externalId", external_id)],
    )
    .await;
    let wait = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let (status, body) = json(resp).await;
    (status, body, wait)
}

async fn poll_as(sim: &SimHandle, key: &str, id: &str) -> reqwest::Response {
    get_as(sim, key, &format!("/api/v1/speech/analyze/{id}")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_keys_share_eight_slots_and_the_queue_drains_fifo() {
    let audio = speech_wav(181.0);
    let processing = Duration::from_secs(4);
    let sim = start(SimConfig {
        keys: vec![
            KeyConfig::new("zh_api_batch_a"),
            KeyConfig::new("zh_api_batch_b"),
        ],
        processing_time: processing,
        processing_length_factor: 0.0,
        ..SimConfig::fast()
    })
    .await;
    // 20 recordings from two keys of one account, all at once.
    let sends = (0..20).map(|n| {
        let key = ["zh_api_batch_a", "zh_api_batch_b"][n % 2];
        let audio = audio.clone();
        let sim = &sim;
        async move {
            let external_id = format!("rec-{n:02}");
            let resp = submit(
                sim,
                Some(key),
                Some(audio),
                &[("language", "en"), ("externalId", external_id.as_str())],
            )
            .await;
            (key, json(resp).await)
        }
    });
    let mut accepted = Vec::new();
    let mut positions = Vec::new();
    for (key, (status, body)) in futures_util::future::join_all(sends).await {
        assert_eq!(status, 202, "{body}");
        let position = match body["status"].as_str() {
            Some("processing") => 0,
            Some("queued") => {
                assert_eq!(body["activeRequests"], 8, "{body}");
                body["queuePosition"].as_u64().expect("queuePosition")
            }
            other => panic!("{other:?}"),
        };
        positions.push(position);
        accepted.push((key, body["id"].as_str().expect("id").to_string(), position));
    }
    positions.sort_unstable();
    let want: Vec<u64> = std::iter::repeat_n(0, 8).chain(1..=12).collect();
    assert_eq!(positions, want, "8 slots, then queue positions 1..12");
    let mid = sim.stats();
    assert_eq!((mid.processing_now, mid.queued_now), (8, 12), "{mid:?}");
    let mut ended = Vec::new();
    for (key, id, position) in &accepted {
        let body = loop {
            let (status, body) = json(poll_as(&sim, key, id).await).await;
            if status == 200 && body["status"] == "success" {
                break body;
            }
            tokio::time::sleep(Duration::from_millis(1000)).await;
        };
        let ms = body["processingTimeMs"].as_u64().expect("processingTimeMs");
        ended.push((*position, ms));
    }
    // FIFO: the 8 that had slots end first (after P), queue positions 1..8 a P later,
    // 9..12 a P after that. processingTimeMs counts from each run's own submit.
    let round = |range: std::ops::RangeInclusive<u64>| -> Vec<u64> {
        ended
            .iter()
            .filter(|(p, _)| range.contains(p))
            .map(|(_, ms)| *ms)
            .collect()
    };
    let (first, second, third) = (round(0..=0), round(1..=8), round(9..=12));
    let max = |v: &[u64]| v.iter().copied().max().unwrap_or(0);
    let min = |v: &[u64]| v.iter().copied().min().unwrap_or(u64::MAX);
    assert!(max(&first) < min(&second), "{ended:?}");
    assert!(max(&second) < min(&third), "{ended:?}");
    assert!(min(&first) >= processing.as_millis() as u64, "{ended:?}");
    let stats = sim.stats();
    assert_eq!(stats.max_processing, 8, "never more than the cap at once");
    assert_eq!(stats.max_queued, 12);
    assert_eq!(stats.runs_created, 20);
    assert_eq!(stats.runs_per_external_id.len(), 20);
    assert!(stats.duplicate_external_ids.is_empty());
    // 181 s of audio costs 4 credits; all charged, none left held.
    assert_eq!(stats.credits.charged, 80);
    assert_eq!(stats.credits.held, 0);
    assert_eq!(stats.credits.max_held, 80);
    assert_eq!(stats.keys.len(), 2);
    assert!(stats.keys.iter().all(|k| k.key.starts_with("zh_…")));
}

#[tokio::test]
async fn polls_count_against_the_keys_window_and_the_window_slides() {
    let mut key = KeyConfig::new("zh_api_window");
    key.rate_per_minute = Some(10);
    let sim = start(SimConfig {
        keys: vec![key],
        rate_window: Duration::from_secs(3),
        ..SimConfig::fast()
    })
    .await;
    let (status, body, _) = submit_as(&sim, "zh_api_window", "w-1").await;
    assert_eq!(status, 202, "{body}");
    let id = body["id"].as_str().expect("id").to_string();
    // Nine polls (gated or not, each a request) fill the window of ten.
    for _ in 0..9 {
        poll_as(&sim, "zh_api_window", &id).await;
    }
    let started = Instant::now();
    let (status, body, wait) = submit_as(&sim, "zh_api_window", "w-2").await;
    assert_eq!(status, 429, "{body}");
    envelope(&body, "RATE_LIMIT_EXCEEDED", true);
    let wait = wait.expect("Retry-After");
    assert!((1..=3).contains(&wait), "{wait}");
    // Polls are counted, not refused, at the documented scope (submit): this one meets
    // only the per-run poll gate. (All of these came within the same instant, so the whole
    // window has slid by Retry-After.)
    let (_, body) = json(poll_as(&sim, "zh_api_window", &id).await).await;
    assert_ne!(body["error"]["code"], "RATE_LIMIT_EXCEEDED", "{body}");
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let (status, body, _) = submit_as(&sim, "zh_api_window", "w-2").await;
    assert_eq!(status, 202, "accepted once the window slid: {body}");
    assert!(started.elapsed() < Duration::from_secs(4));
    let stats = sim.stats();
    assert_eq!(stats.throttled.rate_limit, 1, "{stats:?}");
    assert_eq!(stats.self_inflicted_429s, stats.throttled.self_inflicted());
    assert!(stats.max_requests_per_window >= 11, "{stats:?}");
    assert_eq!(stats.runs_created, 2);
    assert_eq!(stats.submits, 3);
}

#[tokio::test]
async fn with_scope_all_a_poll_over_the_rate_is_refused_too() {
    let mut key = KeyConfig::new("zh_api_strict");
    key.rate_per_minute = Some(3);
    let sim = start(SimConfig {
        keys: vec![key],
        rate_limit_scope: Scope::All,
        ..SimConfig::fast()
    })
    .await;
    let codes: Vec<u16> = futures_util::future::join_all(
        (0..4).map(|_| poll_as(&sim, "zh_api_strict", "req_unknown")),
    )
    .await
    .iter()
    .map(|r| r.status().as_u16())
    .collect();
    assert_eq!(codes.iter().filter(|c| **c == 404).count(), 3, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 429).count(), 1, "{codes:?}");
    assert_eq!(sim.stats().throttled.rate_limit, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_up_after_three_runs_refuses_everything_for_its_window() {
    speech_wav(181.0);
    let mut warmup = Disruption::new(DisruptionKind::WarmingUp, 3, Duration::from_secs(2));
    warmup.scope = Some(Scope::All);
    let sim = start(SimConfig {
        disruptions: vec![warmup],
        ..SimConfig::fast()
    })
    .await;
    let key = sim.api_key().to_string();
    let mut ids = Vec::new();
    for n in 0..3 {
        let (status, body, _) = submit_as(&sim, &key, &format!("wu-{n}")).await;
        assert_eq!(status, 202, "{body}");
        ids.push(body["id"].as_str().expect("id").to_string());
    }
    let began = Instant::now();
    let (status, body, wait) = submit_as(&sim, &key, "wu-3").await;
    assert_eq!(status, 503, "{body}");
    envelope(&body, "SERVICE_WARMING_UP", true);
    assert_eq!(wait, Some(1), "fast config: Retry-After 1");
    let resp = poll_as(&sim, &key, &ids[0]).await;
    assert_eq!(resp.status().as_u16(), 503, "polls warm up too");
    assert_eq!(
        get(&sim, "/api/v1/credits").await.status().as_u16(),
        503,
        "and look-ups"
    );
    let log = sim.requests();
    assert_eq!(
        log.last().and_then(|r| r.fault.as_deref()),
        Some("warming_up")
    );
    // Then the service is back: the same submit and the polls go through.
    let accepted = loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (status, _, _) = submit_as(&sim, &key, "wu-3").await;
        if status == 202 {
            break began.elapsed();
        }
        assert_eq!(status, 503);
        assert!(
            began.elapsed() < Duration::from_secs(10),
            "warm-up never ended"
        );
    };
    assert!(accepted >= Duration::from_millis(1500), "{accepted:?}");
    for id in &ids {
        assert_eq!(poll_to_end(&sim, id).await["status"], "success");
    }
    let stats = sim.stats();
    assert!(stats.warming_up_503s >= 3, "{stats:?}");
    assert_eq!(stats.self_inflicted_429s, 0);
    assert_eq!(stats.runs_created, 4);
}

#[tokio::test]
async fn a_storm_sends_429_bursts_that_are_not_the_clients_doing() {
    speech_wav(181.0); // made before the clock starts: synthesis is slow in test builds
    let mut storm = Disruption::new(
        DisruptionKind::RateLimitStorm,
        0,
        Duration::from_millis(1500),
    );
    storm.bursts = 2;
    storm.every_ms = Some(4000);
    let t0 = tokio::time::Instant::now();
    let sim = start(SimConfig {
        disruptions: vec![storm],
        ..SimConfig::fast()
    })
    .await;
    let key = sim.api_key().to_string();
    let (status, body, wait) = submit_as(&sim, &key, "storm-1").await;
    assert_eq!(status, 429, "{body}");
    envelope(&body, "RATE_LIMIT_EXCEEDED", true);
    assert_eq!(wait, Some(1));
    // Polls and look-ups are not in a storm's default scope.
    assert_eq!(
        get(&sim, "/api/v1/speech/runs").await.status().as_u16(),
        200
    );
    tokio::time::sleep_until(t0 + Duration::from_millis(2200)).await;
    let (status, body, _) = submit_as(&sim, &key, "storm-1").await;
    assert_eq!(status, 202, "between bursts: {body}");
    tokio::time::sleep_until(t0 + Duration::from_millis(4300)).await;
    let (status, _, _) = submit_as(&sim, &key, "storm-2").await;
    assert_eq!(status, 429, "the second burst");
    let stats = sim.stats();
    assert_eq!(stats.throttled.storm, 2, "{stats:?}");
    assert_eq!(stats.self_inflicted_429s, 0);
    assert_eq!(stats.runs_per_external_id.get("storm-1"), Some(&1));
}

#[tokio::test]
async fn the_stats_endpoint_serves_the_same_counts_without_the_key() {
    let sim = start(SimConfig::fast()).await;
    let (status, _, _) = submit_as(&sim, sim.api_key(), "s-1").await;
    assert_eq!(status, 202);
    let resp = client()
        .get(format!("{}/__sim/stats", sim.base_url()))
        .send()
        .await
        .expect("stats");
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.text().await.expect("body");
    assert!(
        !text.contains(sim.api_key()),
        "the key never appears: {text}"
    );
    let served: SimStats = serde_json::from_str(&text).expect("stats JSON");
    assert_eq!(served.runs_created, 1);
    assert_eq!(served.submits, 1);
    assert_eq!(served.runs_per_external_id.get("s-1"), Some(&1));
    assert_eq!(served.credits.held, 4);
    assert_eq!(served.rate_limit, 500);
    assert_eq!(served.rate_window_secs, 60.0);
    // The debug endpoint is not an API request: neither logged nor counted.
    assert_eq!(sim.stats().requests, 1);
    assert_eq!(sim.requests().len(), 1);
}
