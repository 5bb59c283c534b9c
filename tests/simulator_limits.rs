//! Rate limit, concurrency queue, poll gate, warm-up and 404s, over real HTTP.

mod simulator_support;

use std::time::Duration;

use simulator_support::*;
use speech_scorer::simulator::{KeyConfig, SimConfig};

fn retry_after(resp: &reqwest::Response) -> u64 {
    resp.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("integer seconds")
}

#[tokio::test]
async fn submit_rate_limit_is_429_with_retry_after() {
    let mut key = KeyConfig::new("zh_api_slow_lane");
    key.rate_per_minute = Some(2);
    let sim = start(SimConfig {
        keys: vec![key],
        ..SimConfig::fast()
    })
    .await;
    let audio = speech_wav(181.0);
    for _ in 0..2 {
        let resp = submit(&sim, Some(sim.api_key()), Some(audio.clone()), &[]).await;
        assert_eq!(resp.status().as_u16(), 202);
    }
    let resp = submit(&sim, Some(sim.api_key()), Some(audio), &[]).await;
    let wait = retry_after(&resp);
    assert!((1..=60).contains(&wait), "{wait}");
    let (status, body) = json(resp).await;
    assert_eq!(status, 429);
    let e = envelope(&body, "RATE_LIMIT_EXCEEDED", true);
    assert_eq!(e["retryAfterSeconds"], wait);
    assert_eq!(sim.run_count(), 2);
}

#[tokio::test]
async fn over_the_concurrency_cap_runs_queue_and_start_fifo() {
    let sim = start(SimConfig {
        concurrency: 1,
        ..SimConfig::fast()
    })
    .await;
    let audio = speech_wav(181.0);
    let mut ids = Vec::new();
    for n in 0..3 {
        let resp = submit(&sim, Some(sim.api_key()), Some(audio.clone()), &[]).await;
        assert!(resp.headers().contains_key("retry-after"));
        let (status, body) = json(resp).await;
        assert_eq!(status, 202);
        if n == 0 {
            assert_eq!(body["status"], "processing", "{body}");
        } else {
            assert_eq!(body["status"], "queued", "{body}");
            assert_eq!(body["queuePosition"], n, "{body}");
            assert_eq!(body["activeRequests"], 1, "{body}");
        }
        assert_eq!(body["pollIntervalSeconds"], 1);
        ids.push(body["id"].as_str().expect("id").to_string());
    }
    // Queued polls show the live position.
    let (_, body) = json(get(&sim, &format!("/api/v1/speech/analyze/{}", ids[2])).await).await;
    assert_eq!(body["status"], "queued");
    assert_eq!(body["queuePosition"], 2);
    let mut finished = Vec::new();
    for id in &ids {
        let body = poll_to_end(&sim, id).await;
        assert_eq!(body["status"], "success", "{body}");
        finished.push(body["processingTimeMs"].as_u64().expect("processingTimeMs"));
    }
    // FIFO, one at a time: each later run waited for the ones before it.
    assert!(
        finished[0] < finished[1] && finished[1] < finished[2],
        "{finished:?}"
    );
}

#[tokio::test]
async fn polling_faster_than_the_gate_is_429_poll_rate_limited() {
    let sim = start(SimConfig {
        poll_min_interval: Duration::from_secs(3),
        processing_time: Duration::from_secs(30),
        ..SimConfig::fast()
    })
    .await;
    let (_, body) =
        json(submit(&sim, Some(sim.api_key()), Some(speech_wav(181.0)), &[]).await).await;
    let id = body["id"].as_str().expect("id").to_string();
    let path = format!("/api/v1/speech/analyze/{id}");
    let first = get(&sim, &path).await;
    assert_eq!(first.status().as_u16(), 200);
    assert!(first.headers().contains_key("retry-after"));
    let second = get(&sim, &path).await;
    let wait = retry_after(&second);
    assert!((1..=3).contains(&wait), "{wait}");
    let (status, body) = json(second).await;
    assert_eq!(status, 429);
    let e = envelope(&body, "POLL_RATE_LIMITED", true);
    assert_eq!(e["retryAfterSeconds"], wait);
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let (status, body) = json(get(&sim, &path).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "processing");
    let log = sim.requests();
    assert_eq!(log[2].code.as_deref(), Some("POLL_RATE_LIMITED"));
    assert_eq!(log[2].run_id.as_deref(), Some(id.as_str()));
}

#[tokio::test]
async fn unknown_ids_and_other_keys_runs_are_404() {
    let sim = start(SimConfig {
        keys: vec![
            KeyConfig::new("zh_api_owner"),
            KeyConfig::new("zh_api_other"),
        ],
        ..SimConfig::fast()
    })
    .await;
    let (_, body) =
        json(submit(&sim, Some("zh_api_owner"), Some(speech_wav(181.0)), &[]).await).await;
    let id = body["id"].as_str().expect("id");
    let (status, body) =
        json(get(&sim, "/api/v1/speech/analyze/req_0000000000000_nothing").await).await;
    assert_eq!(status, 404);
    envelope(&body, "NOT_FOUND", true);
    let resp = get_as(
        &sim,
        "zh_api_other",
        &format!("/api/v1/speech/analyze/{id}"),
    )
    .await;
    let (status, body) = json(resp).await;
    assert_eq!(status, 404);
    envelope(&body, "NOT_FOUND", true);
    let (status, _) = json(get(&sim, &format!("/api/v1/speech/analyze/{id}")).await).await;
    assert_eq!(status, 200, "the owner can poll it");
}

#[tokio::test]
async fn warm_up_answers_submit_with_503_then_lets_it_through() {
    // Audio is made before the window opens so a loaded machine still submits inside it.
    let audio = speech_wav(181.0);
    let warmup = Duration::from_secs(3);
    let sim = start(SimConfig {
        warmup: Some(warmup),
        ..SimConfig::fast()
    })
    .await;
    let started = std::time::Instant::now();
    let resp = submit(&sim, Some(sim.api_key()), Some(audio.clone()), &[]).await;
    let wait = retry_after(&resp);
    let (status, body) = json(resp).await;
    assert_eq!(status, 503);
    let e = envelope(&body, "SERVICE_WARMING_UP", true);
    assert_eq!(e["retryAfterSeconds"], wait);
    // Only submit warms up: other endpoints answer normally.
    assert_eq!(get(&sim, "/api/v1/credits").await.status().as_u16(), 200);
    // Honour Retry-After until the window is over; then the submit is accepted.
    let mut wait = wait;
    let accepted = loop {
        tokio::time::sleep(Duration::from_secs(wait)).await;
        let resp = submit(&sim, Some(sim.api_key()), Some(audio.clone()), &[]).await;
        match resp.status().as_u16() {
            202 => break started.elapsed(),
            503 => wait = retry_after(&resp),
            other => panic!("unexpected {other}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "warm-up never ended"
        );
    };
    assert!(accepted >= warmup, "{accepted:?}");
}

#[tokio::test]
async fn parallel_submits_fill_the_slots_then_queue_in_distinct_positions() {
    let sim = start(SimConfig {
        concurrency: 2,
        processing_time: Duration::from_secs(30),
        ..SimConfig::fast()
    })
    .await;
    let audio = speech_wav(181.0);
    let sends = (0..5).map(|_| submit(&sim, Some(sim.api_key()), Some(audio.clone()), &[]));
    let mut processing = 0;
    let mut positions = Vec::new();
    for resp in futures_util::future::join_all(sends).await {
        let (status, body) = json(resp).await;
        assert_eq!(status, 202);
        match body["status"].as_str() {
            Some("processing") => processing += 1,
            Some("queued") => positions.push(body["queuePosition"].as_u64().expect("position")),
            other => panic!("unexpected status {other:?}"),
        }
    }
    positions.sort_unstable();
    assert_eq!(processing, 2);
    assert_eq!(positions, [1, 2, 3]);
}
