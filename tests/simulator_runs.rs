//! The runs list and its filters, and what a finished run's body holds.

mod simulator_support;

use simulator_support::*;
use speech_scorer::simulator::{KeyConfig, SimConfig};

#[tokio::test]
async fn runs_list_filters_and_rejects_bad_filters() {
    let sim = start(SimConfig {
        keys: vec![
            KeyConfig::new("zh_api_me"),
            KeyConfig::new("zh_api_someone_else"),
        ],
        ..SimConfig::fast()
    })
    .await;
    let before_all = chrono::Utc::now() - chrono::Duration::seconds(1);
    let audio = speech_wav(181.0);
    let mut ids = Vec::new();
    for ext in ["cand-a", "cand-b", "cand-a"] {
        let (_, body) = json(
            submit(
                &sim,
                Some("zh_api_me"),
                Some(audio.clone()),
                &[("externalId", ext)],
            )
            .await,
        )
        .await;
        ids.push(body["id"].as_str().expect("id").to_string());
    }
    let _ = submit(
        &sim,
        Some("zh_api_someone_else"),
        Some(audio),
        &[("externalId", "cand-a")],
    )
    .await;

    let (status, body) = json(get(&sim, "/api/v1/speech/runs").await).await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 3, "only this key's runs: {body}");
    assert_eq!(body["limit"], 20);
    let listed: Vec<&str> = body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|r| r["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        listed,
        [ids[2].as_str(), ids[1].as_str(), ids[0].as_str()],
        "newest first"
    );

    let (_, body) = json(get(&sim, "/api/v1/speech/runs?externalId=cand-a").await).await;
    assert_eq!(body["total"], 2);
    let (_, body) = json(get(&sim, "/api/v1/speech/runs?status=processing&limit=1").await).await;
    assert_eq!(body["total"], 3);
    assert_eq!(body["data"].as_array().expect("data").len(), 1);
    let (_, body) = json(get(&sim, "/api/v1/speech/runs?status=success").await).await;
    assert_eq!(body["total"], 0);
    let after = before_all.format("%Y-%m-%dT%H:%M:%SZ");
    let (_, body) =
        json(get(&sim, &format!("/api/v1/speech/runs?createdAfter={after}")).await).await;
    assert_eq!(body["total"], 3);
    let (_, body) =
        json(get(&sim, &format!("/api/v1/speech/runs?createdBefore={after}")).await).await;
    assert_eq!(body["total"], 0);
    let (_, body) = json(get(&sim, "/api/v1/speech/runs?createdAfter=2026-01-01").await).await;
    assert_eq!(body["total"], 3, "a plain date is ISO 8601 too");

    for (query, code) in [
        ("status=done", "INVALID_STATUS"),
        ("createdAfter=yesterday", "INVALID_DATE"),
        ("createdBefore=2026-13-45T00:00:00Z", "INVALID_DATE"),
        ("serviceType=interview", "INVALID_SERVICE_TYPE"),
    ] {
        let (status, body) = json(get(&sim, &format!("/api/v1/speech/runs?{query}")).await).await;
        assert_eq!(status, 400, "{query}");
        envelope(&body, code, true);
    }
}

#[tokio::test]
async fn a_finished_run_has_the_full_poll_response() {
    let sim = start(SimConfig::fast()).await;
    let (status, body) = json(
        submit(
            &sim,
            Some(sim.api_key()),
            Some(speech_wav(181.0)),
            &[
                ("language", "en"),
                ("externalId", "cand-7"),
                ("metadata", r#"{"candidate_id":"c_887","round":2}"#),
                ("tags", "batch-3"),
                ("tags", " eu-region "),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(body["status"], "processing");
    let id = body["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("req_"));
    let (_, light) = json(get(&sim, &format!("/api/v1/speech/analyze/{id}")).await).await;
    assert_eq!(light["status"], "processing");
    assert_eq!(light["externalId"], "cand-7");
    assert_eq!(
        light["metadata"]["round"], "2",
        "metadata values come back as strings"
    );
    assert_eq!(light["tags"], serde_json::json!(["batch-3", "eu-region"]));
    assert_eq!(light["pollIntervalSeconds"], 1);

    let done = poll_to_end(&sim, &id).await;
    assert_eq!(done["status"], "success", "{done}");
    assert_eq!(done["scoringMethod"], "ml_hybrid");
    assert_eq!(done["audio"]["speakerCount"], 1);
    assert_eq!(done["audio"]["durationMs"], 181_000);
    assert_eq!(done["audio"]["durationFormatted"], "3:01");
    assert_eq!(done["candidateDetection"]["confidence"], "high");
    let scores = &done["scores"];
    for dim in ["vocabulary", "fluency", "accent", "overall"] {
        let v = scores[dim].as_f64().expect("score");
        assert!((0.0..=5.0).contains(&v), "{dim} {v}");
    }
    let fluency = scores["fluency"].as_f64().expect("fluency");
    assert_eq!(scores["fluencyPercent"], (fluency * 20.0).round() as u64);
    assert!(scores["fluencyCefr"].as_str().is_some_and(|c| c.len() == 2));
    assert!(scores["cefrLevel"].as_str().is_some());
    assert!(
        done["explainability"]["fluency"]
            .as_str()
            .is_some_and(|t| t.contains("Simulated"))
    );
    assert!(
        done["transcript"]["candidateText"]
            .as_str()
            .is_some_and(|t| t.contains("Simulated"))
    );
    assert_eq!(done["credits"]["deducted"], 4);
    assert!(done["error"].is_null());
    assert!(
        done["processingTimeMs"]
            .as_u64()
            .is_some_and(|ms| ms >= 1000)
    );
}

#[tokio::test]
async fn scores_come_from_the_audio_deterministically() {
    let sim = start(SimConfig::fast()).await;
    let mut results = Vec::new();
    for audio in [
        speech_wav(181.0),
        speech_wav(181.0),
        wav(181.0, 8000, 16, choppy),
    ] {
        let (_, body) = json(submit(&sim, Some(sim.api_key()), Some(audio), &[]).await).await;
        let id = body["id"].as_str().expect("id").to_string();
        results.push(poll_to_end(&sim, &id).await["scores"].clone());
    }
    assert_eq!(results[0], results[1], "same audio, same scores");
    let fluency = |i: usize| results[i]["fluency"].as_f64().expect("fluency");
    assert!(
        fluency(2) < fluency(0),
        "long pauses score lower: {results:?}"
    );
}

#[tokio::test]
async fn silence_fails_transcription_and_costs_nothing() {
    let sim = start(SimConfig::fast()).await;
    let (_, body) = json(
        submit(
            &sim,
            Some(sim.api_key()),
            Some(wav(181.0, 8000, 16, |_| 0.0)),
            &[],
        )
        .await,
    )
    .await;
    let id = body["id"].as_str().expect("id").to_string();
    let done = poll_to_end(&sim, &id).await;
    assert_eq!(done["status"], "failed");
    assert_eq!(done["error"]["code"], "TRANSCRIPTION_FAILED");
    assert_eq!((sim.credits_balance(), sim.credits_held()), (500, 0));
}
