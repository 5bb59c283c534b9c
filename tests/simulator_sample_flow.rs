//! The vendor's sample integration, written plainly with reqwest: submit, poll with an
//! escalating interval (preferring pollIntervalSeconds), honour Retry-After on 429, read the
//! scores. It must work against the simulator unchanged.

mod simulator_support;

use std::time::{Duration, Instant};

use serde_json::Value;
use simulator_support::*;
use speech_scorer::simulator::{Scenario, SimConfig};

#[tokio::test]
async fn sample_integration_flow_reads_scores() {
    // One scripted poll 429 so the Retry-After branch runs too.
    let scenario = Scenario::from_toml_str(
        "[[step]]\non = \"poll\"\nrespond = \"error\"\ncode = \"POLL_RATE_LIMITED\"\nretry_after = 1\n",
    )
    .expect("scenario");
    let sim = start(SimConfig::fast().with_scenario(scenario)).await;
    let base = sim.base_url();
    let key = sim.api_key().to_string();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");

    let submit: Value = http
        .post(format!("{base}/api/v1/speech/analyze"))
        .header("X-API-Key", &key)
        .multipart(form(
            Some(speech_wav(200.0)),
            &[("language", "en"), ("externalId", "candidate-abc-123")],
        ))
        .send()
        .await
        .expect("submit")
        .error_for_status()
        .expect("202")
        .json()
        .await
        .expect("json");
    let id = submit["id"].as_str().expect("id").to_string();
    let mut interval = submit["pollIntervalSeconds"].as_u64().unwrap_or(15);
    let started = Instant::now();
    let mut saw_429 = false;
    let result = loop {
        assert!(
            started.elapsed() < Duration::from_secs(20 * 60),
            "time budget"
        );
        tokio::time::sleep(Duration::from_secs(interval)).await;
        let resp = http
            .get(format!("{base}/api/v1/speech/analyze/{id}"))
            .header("X-API-Key", &key)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("poll");
        if resp.status().as_u16() == 429 {
            saw_429 = true;
            interval = resp
                .headers()
                .get("Retry-After")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(interval);
            continue;
        }
        let body: Value = resp
            .error_for_status()
            .expect("200")
            .json()
            .await
            .expect("json");
        match body["status"].as_str() {
            Some("success" | "partial" | "failed") => break body,
            _ => {
                // Escalate by the documented schedule unless the server says otherwise.
                let elapsed = started.elapsed().as_secs();
                let schedule = if elapsed < 120 {
                    15
                } else if elapsed < 300 {
                    30
                } else {
                    60
                };
                interval = body["pollIntervalSeconds"].as_u64().unwrap_or(schedule);
            }
        }
    };
    assert!(saw_429);
    assert_eq!(result["status"], "success");
    assert_eq!(result["externalId"], "candidate-abc-123");
    let s = &result["scores"];
    println!(
        "overall {} ({}), vocabulary {}, fluency {}, accent {}",
        s["overall"], s["cefrLevel"], s["vocabulary"], s["fluency"], s["accent"]
    );
    assert!(s["overall"].as_f64().is_some());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "fast config keeps it short"
    );
}
