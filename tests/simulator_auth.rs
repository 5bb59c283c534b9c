//! Keys, permissions, health and the simulator marker, over real HTTP.

mod simulator_support;

use simulator_support::*;
use speech_scorer::simulator::{KeyConfig, SimConfig};

fn keys() -> SimConfig {
    let mut expired = KeyConfig::new("zh_api_expired");
    expired.expired = true;
    let mut inactive = KeyConfig::new("zh_api_inactive");
    inactive.inactive = true;
    let mut english_only = KeyConfig::new("zh_api_english_only");
    english_only.multilingual = false;
    let mut fenced = KeyConfig::new("zh_api_fenced");
    fenced.allowed_ips = vec!["10.1.2.3".parse().expect("ip")];
    let mut no_speech = KeyConfig::new("zh_api_no_speech");
    no_speech.speech_permission = false;
    SimConfig {
        keys: vec![
            KeyConfig::new("zh_api_good"),
            expired,
            inactive,
            english_only,
            fenced,
            no_speech,
        ],
        ..SimConfig::fast()
    }
}

#[tokio::test]
async fn key_failures_are_401s_without_request_id() {
    let sim = start(keys()).await;
    let audio = speech_wav(181.0);
    for (key, code) in [
        (None, "MISSING_API_KEY"),
        (Some(""), "MISSING_API_KEY"),
        (Some("zh_api_unknown"), "INVALID_API_KEY"),
        (Some("zh_api_expired"), "API_KEY_EXPIRED"),
        (Some("zh_api_inactive"), "CLIENT_INACTIVE"),
    ] {
        let (status, body) = json(submit(&sim, key, Some(audio.clone()), &[]).await).await;
        assert_eq!(status, 401, "{key:?}: {body}");
        envelope(&body, code, false);
    }
    // The same check guards poll, runs and credits.
    for path in [
        "/api/v1/speech/analyze/req_x",
        "/api/v1/speech/runs",
        "/api/v1/credits",
    ] {
        let resp = client()
            .get(format!("{}{path}", sim.base_url()))
            .send()
            .await
            .expect("send");
        let (status, body) = json(resp).await;
        assert_eq!(status, 401, "{path}");
        envelope(&body, "MISSING_API_KEY", false);
    }
    assert_eq!(sim.credits_held(), 0);
    assert_eq!(sim.run_count(), 0);
}

#[tokio::test]
async fn bearer_authorization_is_accepted() {
    let sim = start(keys()).await;
    let resp = client()
        .get(format!("{}/api/v1/credits", sim.base_url()))
        .header("Authorization", "Bearer zh_api_good")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test]
async fn permission_failures_are_403s_with_request_id() {
    let sim = start(keys()).await;
    let audio = speech_wav(181.0);
    let cases = [
        ("zh_api_fenced", "en", "IP_NOT_ALLOWED"),
        ("zh_api_no_speech", "en", "MISSING_PERMISSION"),
        ("zh_api_english_only", "de", "MULTILINGUAL_NOT_ENABLED"),
    ];
    for (key, lang, code) in cases {
        let (status, body) =
            json(submit(&sim, Some(key), Some(audio.clone()), &[("language", lang)]).await).await;
        assert_eq!(status, 403, "{key}: {body}");
        envelope(&body, code, true);
    }
    // The speech permission guards speech endpoints, not the universal credits endpoint.
    let get_as = |key: &'static str, path: &'static str| get_as(&sim, key, path);
    let (status, body) = json(get_as("zh_api_no_speech", "/api/v1/speech/runs").await).await;
    assert_eq!(status, 403);
    envelope(&body, "MISSING_PERMISSION", true);
    assert_eq!(
        get_as("zh_api_no_speech", "/api/v1/credits")
            .await
            .status()
            .as_u16(),
        200
    );
    let (status, body) = json(get_as("zh_api_fenced", "/api/v1/credits").await).await;
    assert_eq!(status, 403);
    envelope(&body, "IP_NOT_ALLOWED", true);
    // English is fine without multilingual access; other languages with it.
    let resp = submit(
        &sim,
        Some("zh_api_english_only"),
        Some(audio.clone()),
        &[("language", "en")],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 202);
    let resp = submit(
        &sim,
        Some("zh_api_good"),
        Some(audio),
        &[("language", "de")],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 202);
}

#[tokio::test]
async fn health_needs_no_key_and_every_response_is_marked_simulated() {
    let sim = start(SimConfig::fast()).await;
    let resp = client()
        .get(format!("{}/api/v1/health", sim.base_url()))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["x-zenhire-simulator"], "1");
    let resp = client()
        .get(format!("{}/api/v1/nowhere", sim.base_url()))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.headers()["x-zenhire-simulator"], "1");
    let (status, body) = json(resp).await;
    assert_eq!(status, 404);
    envelope(&body, "NOT_FOUND", true);
    let resp = submit(&sim, None, None, &[]).await;
    assert_eq!(resp.headers()["x-zenhire-simulator"], "1");
    // A method the API does not have is answered like an unknown path, in the envelope.
    let resp = client()
        .delete(format!("{}/api/v1/speech/analyze/req_1", sim.base_url()))
        .send()
        .await
        .expect("send");
    let (status, body) = json(resp).await;
    assert_eq!(status, 404);
    envelope(&body, "NOT_FOUND", true);
    let log = sim.requests();
    assert_eq!(log.len(), 4);
    assert_eq!(log[0].path, "/api/v1/health");
    assert_eq!(log[0].status, 200);
    assert_eq!(log[2].code.as_deref(), Some("MISSING_API_KEY"));
}
