//! Every shipped scenario, played by a small rule-following client written with plain
//! reqwest, ends the way its `[expect]` says; and each raw fault looks as it should.

mod simulator_support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use simulator_support::*;
use speech_scorer::simulator::contract::{CODES, CodeEntry, Delivery};
use speech_scorer::simulator::{Scenario, SimConfig, SimHandle};

/// What the client ended with.
#[derive(Debug, PartialEq)]
struct Outcome {
    outcome: String,
    code: Option<String>,
    submits: usize,
}

fn retry_after(resp: &reqwest::Response) -> Option<u64> {
    resp.headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

async fn find_by_external_id(sim: &SimHandle, external_id: &str) -> Option<String> {
    let resp = client()
        .get(format!(
            "{}/api/v1/speech/runs?externalId={external_id}",
            sim.base_url()
        ))
        .header("X-API-Key", sim.api_key())
        .send()
        .await
        .ok()?;
    let body: Value = resp.json().await.ok()?;
    body["data"][0]["id"].as_str().map(str::to_string)
}

/// Submit (retrying 429/503 after Retry-After; after a lost reply, look the run up by
/// externalId before submitting again), then poll to a terminal state.
async fn play(sim: &SimHandle, audio: &[u8]) -> Outcome {
    let external_id = "scenario-run-1";
    let mut submits = 0;
    let mut id = None;
    for attempt in 0..10 {
        submits += 1;
        let resp = client()
            .post(format!("{}/api/v1/speech/analyze", sim.base_url()))
            .header("X-API-Key", sim.api_key())
            .multipart(form(
                Some(audio.to_vec()),
                &[("language", "en"), ("externalId", external_id)],
            ))
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(_) => {
                if let Some(found) = find_by_external_id(sim, external_id).await {
                    id = Some(found);
                    break;
                }
                continue;
            }
        };
        let status = resp.status().as_u16();
        let wait = retry_after(&resp);
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        match status {
            202 => {
                id = body["id"].as_str().map(str::to_string);
                break;
            }
            429 | 503 => {
                tokio::time::sleep(Duration::from_secs(wait.unwrap_or(1) + attempt.min(1))).await;
            }
            400..=499 => {
                return Outcome {
                    outcome: "rejected".into(),
                    code: body["error"]["code"].as_str().map(str::to_string),
                    submits,
                };
            }
            _ => {
                if let Some(found) = find_by_external_id(sim, external_id).await {
                    id = Some(found);
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
    let Some(id) = id else {
        return Outcome {
            outcome: "gave_up".into(),
            code: None,
            submits,
        };
    };
    let mut wait = Duration::from_secs(1);
    for _ in 0..40 {
        tokio::time::sleep(wait).await;
        let resp = client()
            .get(format!("{}/api/v1/speech/analyze/{id}", sim.base_url()))
            .header("X-API-Key", sim.api_key())
            .send()
            .await;
        let Ok(resp) = resp else {
            wait = Duration::from_secs(1);
            continue;
        };
        let status = resp.status().as_u16();
        wait = Duration::from_secs(retry_after(&resp).unwrap_or(1));
        let Ok(body) = resp.json::<Value>().await else {
            continue;
        };
        if status != 200 {
            continue;
        }
        if let Some(s) = body["pollIntervalSeconds"].as_u64() {
            wait = Duration::from_secs(s);
        }
        if let Some(done @ ("success" | "partial" | "failed")) = body["status"].as_str() {
            return Outcome {
                outcome: done.into(),
                code: body["error"]["code"].as_str().map(str::to_string),
                submits,
            };
        }
    }
    Outcome {
        outcome: "gave_up".into(),
        code: None,
        submits,
    }
}

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("assets/scenarios")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn exit_code_for(outcome: &str) -> u8 {
    match outcome {
        "success" | "partial" => 0,
        "invalid_input" => 2,
        "rejected" => 3,
        "failed" => 4,
        "gave_up" => 5,
        _ => 1,
    }
}

#[test]
fn the_library_covers_the_retry_table_and_every_failed_run_code() {
    let names: Vec<String> = scenario_files()
        .iter()
        .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect();
    for needed in [
        "happy",
        "queued",
        "partial",
        "unknown-code",
        "html-502",
        "drop-after-create",
        "retry-400-validation",
        "retry-401-expired-key",
        "retry-402-insufficient-credits",
        "retry-403-multilingual",
        "retry-429-rate-limit",
        "retry-429-poll-rate-limited",
        "retry-503-warming-up",
        "queued-then-low-confidence",
        "failed-transcription-failed",
        "failed-transcription-low-confidence",
        "failed-scoring-failed",
        "failed-service-configuration-error",
        "failed-stuck-timeout",
        "failed-internal-error",
        "batch-warmup-mid-batch",
        "batch-rate-limit-storm",
    ] {
        assert!(
            names.iter().any(|n| n == needed),
            "missing scenario {needed}"
        );
    }
    for path in scenario_files() {
        let s = Scenario::load(&path).expect("loads");
        let expect = s
            .expect
            .as_ref()
            .unwrap_or_else(|| panic!("{} has no [expect]", path.display()));
        assert_eq!(
            expect.exit_code,
            Some(exit_code_for(&expect.outcome)),
            "{}",
            path.display()
        );
        let stem = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        assert_eq!(s.name, stem, "name matches the file");
        assert_eq!(
            Scenario::from_toml_str(&s.to_toml_string().expect("write")).expect("reparse"),
            s
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shipped_scenario_ends_as_expected() {
    let audio = speech_wav(181.0);
    let started = Instant::now();
    // The two whose disruption lasts a few wall-clock seconds after the first run play after
    // the others, not among two dozen uploads at once (which can delay a poll past it).
    let (timed, rest): (Vec<_>, Vec<_>) = scenario_files().into_iter().partition(|p| {
        p.file_stem()
            .is_some_and(|s| s.to_string_lossy().starts_with("batch-"))
    });
    let play_one = |path: std::path::PathBuf| {
        let audio = audio.clone();
        async move {
            let scenario = Scenario::load(&path).expect("loads");
            let expect = scenario.expect.clone().expect("expect");
            let sim = start(SimConfig::fast().with_scenario(scenario)).await;
            let got = play(&sim, &audio).await;
            let stats = sim.stats();
            let left = sim.scenario_steps_left();
            sim.shutdown().await;
            (path, expect, got, left, stats)
        }
    };
    let mut results = futures_util::future::join_all(rest.into_iter().map(play_one)).await;
    for path in timed {
        results.push(play_one(path).await);
    }
    for (path, expect, got, left, _) in &results {
        let name = path.file_name().expect("name").to_string_lossy();
        assert_eq!(got.outcome, expect.outcome, "{name}: {got:?}");
        assert_eq!(got.code, expect.code, "{name}: {got:?}");
        assert_eq!(*left, 0, "{name}: every scripted step was played");
    }
    let by_name = |n: &str| {
        results
            .iter()
            .find(|r| r.0.file_stem().is_some_and(|s| s == n))
            .expect("scenario present")
    };
    assert_eq!(
        by_name("drop-after-create").2.submits,
        1,
        "the lost reply was found by externalId, not resubmitted"
    );
    assert_eq!(by_name("retry-503-warming-up").2.submits, 4);
    let warm = &by_name("batch-warmup-mid-batch").4;
    assert!(warm.warming_up_503s > 0, "the warm-up was met: {warm:?}");
    assert_eq!(warm.runs_created, 1);
    let storm = &by_name("batch-rate-limit-storm").4;
    assert!(storm.throttled.storm > 0, "the storm was met: {storm:?}");
    assert_eq!((storm.runs_created, storm.self_inflicted_429s), (1, 0));
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn faults_look_like_the_real_thing() {
    let toml = r#"
[[step]]
on = "health"
respond = "html_502"

[[step]]
on = "health"
respond = "empty_body"
status = 503

[[step]]
on = "health"
respond = "drop"

[[step]]
on = "health"
respond = "normal"
delay_ms = 700

[[step]]
on = "credits"
respond = "raw"
status = 418
body = "exactly these bytes"
headers = { x-recorded = "yes", content-length = "99" }
"#;
    let sim = start_scripted(toml).await;
    let url = format!("{}/api/v1/health", sim.base_url());
    let resp = client().get(&url).send().await.expect("502 page");
    assert_eq!(resp.status().as_u16(), 502);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    assert!(resp.text().await.expect("text").contains("502 Bad Gateway"));
    let resp = client().get(&url).send().await.expect("empty");
    assert_eq!(resp.status().as_u16(), 503);
    assert_eq!(resp.text().await.expect("text"), "");
    assert!(
        client().get(&url).send().await.is_err(),
        "dropped connection gives no reply"
    );
    let t = Instant::now();
    let resp = client().get(&url).send().await.expect("slow");
    assert!(t.elapsed() >= Duration::from_millis(700));
    assert_eq!(resp.status().as_u16(), 200);
    let resp = get(&sim, "/api/v1/credits").await;
    assert_eq!(resp.status().as_u16(), 418);
    assert_eq!(resp.headers()["x-recorded"], "yes");
    assert_eq!(resp.text().await.expect("text"), "exactly these bytes");
    // The script is used up: normal rules again.
    assert_eq!(
        client()
            .get(&url)
            .send()
            .await
            .expect("normal")
            .status()
            .as_u16(),
        200
    );
    let log = sim.requests();
    let faults: Vec<Option<&str>> = log.iter().map(|r| r.fault.as_deref()).collect();
    assert_eq!(
        faults,
        [
            Some("html_502"),
            Some("empty_body"),
            Some("drop"),
            Some("slow"),
            None,
            None
        ]
    );
    assert_eq!(log[2].status, 0, "a dropped reply is logged as status 0");
}

#[tokio::test]
async fn drop_after_create_holds_credits_and_the_run_is_findable() {
    let toml = "[[step]]\non = \"submit\"\nrespond = \"drop_after_create\"\n";
    let sim = start_scripted(toml).await;
    let result = client()
        .post(format!("{}/api/v1/speech/analyze", sim.base_url()))
        .header("X-API-Key", sim.api_key())
        .multipart(form(
            Some(speech_wav(181.0)),
            &[("externalId", "lost-reply")],
        ))
        .send()
        .await;
    assert!(result.is_err(), "no reply reaches the client");
    assert_eq!(sim.run_count(), 1);
    assert_eq!(sim.credits_held(), 4);
    let id = find_by_external_id(&sim, "lost-reply")
        .await
        .expect("run listed");
    assert_eq!(sim.requests()[0].run_id.as_deref(), Some(id.as_str()));
    assert_eq!(
        sim.requests()[0].fault.as_deref(),
        Some("drop_after_create")
    );
}

#[tokio::test]
async fn scripted_error_codes_use_their_catalog_status_and_request_id_rules() {
    let toml = r#"
[[step]]
on = "submit"
respond = "error"
code = "INSUFFICIENT_CREDITS"
details = { cost = 11, available = 4 }

[[step]]
on = "submit"
respond = "error"
code = "INVALID_API_KEY"

[[step]]
on = "poll"
respond = "error"
code = "POLL_RATE_LIMITED"
"#;
    let sim = start_scripted(toml).await;
    let (status, body) =
        json(submit(&sim, Some(sim.api_key()), Some(speech_wav(181.0)), &[]).await).await;
    assert_eq!(status, 402);
    let e = envelope(&body, "INSUFFICIENT_CREDITS", true);
    assert_eq!(e["details"]["cost"], 11);
    let (status, body) = json(submit(&sim, Some(sim.api_key()), None, &[]).await).await;
    assert_eq!(status, 401);
    envelope(&body, "INVALID_API_KEY", false);
    let resp = get(&sim, "/api/v1/speech/analyze/req_any").await;
    assert_eq!(
        resp.headers()["retry-after"],
        "1",
        "a throttling code always carries Retry-After"
    );
    let (status, body) = json(resp).await;
    assert_eq!(status, 429);
    assert_eq!(
        envelope(&body, "POLL_RATE_LIMITED", true)["retryAfterSeconds"],
        1
    );
}

#[tokio::test]
async fn a_submit_dropped_mid_upload_fails_fast_and_creates_nothing() {
    let toml = "[[step]]\non = \"submit\"\nrespond = \"drop\"\n";
    let sim = start_scripted(toml).await;
    let t = Instant::now();
    let result = client()
        .post(format!("{}/api/v1/speech/analyze", sim.base_url()))
        .header("X-API-Key", sim.api_key())
        .multipart(form(Some(speech_wav(181.0)), &[]))
        .send()
        .await;
    assert!(result.is_err(), "no reply");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(sim.run_count(), 0);
    assert_eq!(sim.credits_held(), 0);
    // The next submit is answered by the rules.
    let resp = submit(&sim, Some(sim.api_key()), Some(speech_wav(181.0)), &[]).await;
    assert_eq!(resp.status().as_u16(), 202);
}

/// Where the real API produces each documented code.
fn endpoint_for(entry: &CodeEntry) -> &'static str {
    match (entry.code, entry.delivery) {
        (_, Delivery::FailedRun) | ("NOT_FOUND" | "POLL_RATE_LIMITED", _) => "poll",
        ("INVALID_STATUS" | "INVALID_DATE" | "INVALID_SERVICE_TYPE", _) => "runs",
        _ => "submit",
    }
}

/// Each code is sent with the status the contract gives it (the simulator's own table,
/// checked against literal statuses in `simulator::contract`), never the client's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_code_can_be_injected_where_the_api_produces_it() {
    let mut toml = String::new();
    for entry in &CODES {
        let on = endpoint_for(entry);
        let respond = match entry.delivery {
            Delivery::FailedRun => "failed",
            Delivery::Http(_) => "error",
        };
        let code = entry.code;
        toml.push_str(&format!(
            "[[step]]\non = \"{on}\"\nrespond = \"{respond}\"\ncode = \"{code}\"\n\n"
        ));
    }
    let scenario = Scenario::from_toml_str(&toml).expect("every documented code is scriptable");
    let sim = start(
        SimConfig {
            credits: 10_000,
            ..SimConfig::fast()
        }
        .with_scenario(scenario),
    )
    .await;
    // Scripted failures end the run they are polled on, so each gets a fresh run.
    let fresh_run = || async {
        let (status, body) =
            json(submit(&sim, Some(sim.api_key()), Some(speech_wav(181.0)), &[]).await).await;
        assert_eq!(status, 202, "{body}");
        body["id"].as_str().expect("id").to_string()
    };
    for entry in &CODES {
        let text = entry.code;
        match (endpoint_for(entry), entry.delivery) {
            ("poll", Delivery::FailedRun) => {
                // The catalog lists failed-run codes last: every submit step is used up by
                // now, so this submit is answered by the rules.
                let id = fresh_run().await;
                let done = poll_to_end(&sim, &id).await;
                assert_eq!(done["status"], "failed", "{text}");
                assert_eq!(done["error"]["code"], text);
            }
            (on, Delivery::Http(want)) => {
                let resp = match on {
                    "submit" => {
                        submit(&sim, Some(sim.api_key()), Some(speech_wav(181.0)), &[]).await
                    }
                    "runs" => get(&sim, "/api/v1/speech/runs").await,
                    _ => get(&sim, "/api/v1/speech/analyze/req_any").await,
                };
                let status = resp.status().as_u16();
                let retry_after = resp.headers().contains_key("retry-after");
                let (_, body) = json(resp).await;
                assert_eq!(status, want, "{text}: {body}");
                envelope(&body, text, want != 401);
                assert_eq!(
                    retry_after,
                    matches!(want, 429 | 503),
                    "{text}: Retry-After"
                );
            }
            (on, Delivery::FailedRun) => panic!("{text} is a failed-run code but goes to {on}"),
        }
    }
    assert_eq!(sim.scenario_steps_left(), 0);
}

#[tokio::test]
async fn a_running_simulator_can_switch_scripts() {
    let sim = start(SimConfig::fast()).await;
    assert_eq!(get(&sim, "/api/v1/credits").await.status().as_u16(), 200);
    let script = Scenario::from_toml_str(
        "[[step]]\non = \"credits\"\nrespond = \"error\"\ncode = \"CLIENT_INACTIVE\"\n",
    )
    .expect("parse");
    sim.play(&script);
    assert_eq!(sim.scenario_steps_left(), 1);
    let (status, body) = json(get(&sim, "/api/v1/credits").await).await;
    assert_eq!(status, 401);
    envelope(&body, "CLIENT_INACTIVE", false);
    assert_eq!(get(&sim, "/api/v1/credits").await.status().as_u16(), 200);
}
