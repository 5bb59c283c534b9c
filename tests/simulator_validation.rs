//! Submit validation over real HTTP: every 400 code, and which wins when several apply.

mod simulator_support;

use simulator_support::*;
use speech_scorer::simulator::SimConfig;

async fn rejected(
    sim: &speech_scorer::simulator::SimHandle,
    audio: Option<Vec<u8>>,
    fields: &[(&str, &str)],
    code: &str,
) {
    let (status, body) = json(submit(sim, Some(sim.api_key()), audio, fields).await).await;
    assert_eq!(status, 400, "{code}: {body}");
    envelope(&body, code, true);
}

#[tokio::test]
async fn each_validation_code() {
    let sim = start(SimConfig::fast()).await;
    let ok = speech_wav(181.0);
    rejected(&sim, None, &[("language", "en")], "MISSING_AUDIO_FILE").await;
    rejected(
        &sim,
        Some(b"just text, not audio".to_vec()),
        &[],
        "UNSUPPORTED_FORMAT",
    )
    .await;
    // A WAV whose header is cut off: recognised as WAV, but no duration can be read.
    rejected(
        &sim,
        Some(ok[..30].to_vec()),
        &[],
        "AUDIO_DURATION_UNAVAILABLE",
    )
    .await;
    rejected(&sim, Some(speech_wav(179.0)), &[], "AUDIO_TOO_SHORT").await;
    // 46 min at 1 kHz, 8 bit: long but small.
    rejected(
        &sim,
        Some(wav(46.0 * 60.0, 1000, 8, speechlike)),
        &[],
        "AUDIO_TOO_LONG",
    )
    .await;
    // 30 min at 8 kHz, 16 bit: 28.8 MB, a valid length but over 25 MB.
    rejected(
        &sim,
        Some(wav(30.0 * 60.0, 8000, 16, |_| 0.0)),
        &[],
        "FILE_TOO_LARGE",
    )
    .await;
    rejected(
        &sim,
        Some(ok.clone()),
        &[("language", "xx")],
        "INVALID_LANGUAGE_CODE",
    )
    .await;
    rejected(
        &sim,
        Some(ok.clone()),
        &[("language", "eng")],
        "INVALID_LANGUAGE_CODE",
    )
    .await;
    rejected(
        &sim,
        Some(ok.clone()),
        &[("externalId", "")],
        "INVALID_EXTERNAL_ID",
    )
    .await;
    let long_id = "x".repeat(256);
    rejected(
        &sim,
        Some(ok.clone()),
        &[("externalId", &long_id)],
        "INVALID_EXTERNAL_ID",
    )
    .await;
    rejected(
        &sim,
        Some(ok.clone()),
        &[("metadata", "{not json")],
        "INVALID_METADATA",
    )
    .await;
    assert_eq!(sim.run_count(), 0, "no rejected submit creates a run");
    assert_eq!(sim.credits_held(), 0, "no rejected submit holds credits");
    // Boundary values pass.
    let id255 = "y".repeat(255);
    let resp = submit(
        &sim,
        Some(sim.api_key()),
        Some(speech_wav(180.0)),
        &[
            ("language", "fr"),
            ("externalId", &id255),
            ("metadata", r#"{"a":1}"#),
        ],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 202);
}

#[tokio::test]
async fn the_first_failing_check_wins() {
    let sim = start(SimConfig::fast()).await;
    let bad = [("language", "xx"), ("externalId", ""), ("metadata", "{")];
    rejected(&sim, None, &bad, "MISSING_AUDIO_FILE").await;
    rejected(&sim, Some(b"text".to_vec()), &bad, "UNSUPPORTED_FORMAT").await;
    rejected(&sim, Some(speech_wav(60.0)), &bad, "AUDIO_TOO_SHORT").await;
    let ok = speech_wav(181.0);
    rejected(&sim, Some(ok.clone()), &bad, "INVALID_LANGUAGE_CODE").await;
    rejected(&sim, Some(ok.clone()), &bad[1..], "INVALID_EXTERNAL_ID").await;
    rejected(&sim, Some(ok), &bad[2..], "INVALID_METADATA").await;
}

#[tokio::test]
async fn a_body_that_is_not_multipart_has_no_audio() {
    let sim = start(SimConfig::fast()).await;
    let resp = client()
        .post(format!("{}/api/v1/speech/analyze", sim.base_url()))
        .header("X-API-Key", sim.api_key())
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("send");
    let (status, body) = json(resp).await;
    assert_eq!(status, 400);
    envelope(&body, "MISSING_AUDIO_FILE", true);
}

#[tokio::test]
async fn an_upload_beyond_what_the_simulator_reads_is_file_too_large() {
    let sim = start(SimConfig::fast()).await;
    let mut huge = speech_wav(181.0);
    huge.resize(42 * 1024 * 1024, 0);
    rejected(&sim, Some(huge), &[("language", "en")], "FILE_TOO_LARGE").await;
}
