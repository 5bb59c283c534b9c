//! The HTTP client against a tiny in-test axum server: what goes on the wire (multipart parts,
//! the key header, the query) and how answers are read (Retry-After as a date, the simulator
//! header, bodies that are not JSON).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Multipart, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use speech_scorer::api::model::SubmitFields;
use speech_scorer::api::{ApiClient, ApiError, ApiKey, RunsFilter};

/// One multipart part as received: name, file name, content type, size, first bytes as text.
type Part = (String, Option<String>, Option<String>, usize, String);

#[derive(Debug, Default, Clone)]
struct Seen {
    key: Option<String>,
    parts: Vec<Part>,
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn submit_sends_the_documented_multipart_and_the_key_header() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let s = Arc::clone(&seen);
    let app = Router::new().route(
        "/api/v1/speech/analyze",
        post(move |headers: HeaderMap, mut mp: Multipart| {
            let s = Arc::clone(&s);
            async move {
                let key = headers
                    .get("x-api-key")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let mut parts = Vec::new();
                while let Ok(Some(field)) = mp.next_field().await {
                    let name = field.name().unwrap_or_default().to_string();
                    let file = field.file_name().map(str::to_string);
                    let ct = field.content_type().map(str::to_string);
                    let bytes = field.bytes().await.unwrap_or_default();
                    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]).into_owned();
                    parts.push((name, file, ct, bytes.len(), text));
                }
                if let Ok(mut g) = s.lock() {
                    g.key = key;
                    g.parts = parts;
                }
                (
                    StatusCode::ACCEPTED,
                    [("retry-after", "3"), ("x-zenhire-simulator", "1")],
                    r#"{"id":"req_1","status":"queued","queuePosition":2,"activeRequests":8,"pollIntervalSeconds":20}"#,
                )
            }
        }),
    );
    let base = serve(app).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("take.wav");
    let audio: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &audio).expect("write");
    let client = ApiClient::new(&base, ApiKey::new("zh_api_wire_test_5678")).expect("client");
    let progress = Arc::new(Mutex::new(Vec::new()));
    let p = Arc::clone(&progress);
    let fields = SubmitFields {
        language: "fr".into(),
        external_id: Some("cand-7".into()),
        metadata: Some(serde_json::json!({"customer": "acme"})),
    };
    let reply = client
        .submit(&path, "audio/wav", &fields, move |sent, total| {
            if let Ok(mut v) = p.lock() {
                v.push((sent, total));
            }
        })
        .await;
    let accepted = reply.result.expect("accepted");
    assert_eq!(accepted.id, "req_1");
    assert_eq!(accepted.queue_position, Some(2));
    assert_eq!(reply.facts.status, Some(202));
    assert_eq!(reply.facts.retry_after, Some(3));
    assert!(reply.facts.simulated);
    assert!(
        reply.facts.bytes_sent > audio.len() as u64,
        "multipart overhead counted"
    );

    let seen = seen.lock().expect("seen").clone();
    assert_eq!(seen.key.as_deref(), Some("zh_api_wire_test_5678"));
    let names: Vec<&str> = seen.parts.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(names, ["audio", "language", "externalId", "metadata"]);
    let audio_part = &seen.parts[0];
    assert_eq!(audio_part.1.as_deref(), Some("take.wav"));
    assert_eq!(audio_part.2.as_deref(), Some("audio/wav"));
    assert_eq!(audio_part.3, audio.len(), "the whole file arrived");
    assert_eq!(seen.parts[1].4, "fr");
    assert_eq!(seen.parts[2].4, "cand-7");
    assert_eq!(
        seen.parts[3].4, r#"{"customer":"acme"}"#,
        "metadata is a JSON string"
    );

    let progress = progress.lock().expect("progress").clone();
    assert!(progress.len() >= 2, "progress is reported while streaming");
    assert_eq!(
        progress.last(),
        Some(&(audio.len() as u64, audio.len() as u64))
    );
    assert!(progress.windows(2).all(|w| w[0].0 < w[1].0));
}

#[tokio::test]
async fn answers_are_read_leniently_and_never_panic() {
    let app = Router::new()
        .route(
            "/api/v1/speech/analyze/{id}",
            get(|| async {
                let when =
                    httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(30));
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [("retry-after", when), ("content-type", "text/html".into())],
                    "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
                )
            }),
        )
        .route(
            "/api/v1/speech/runs",
            get(|Query(q): Query<Vec<(String, String)>>| async move {
                let rows: Vec<serde_json::Value> = q
                    .iter()
                    .map(|(k, v)| serde_json::json!({"id": format!("req_{k}"), "externalId": v}))
                    .collect();
                axum::Json(serde_json::json!({ "items": rows }))
            }),
        )
        .route("/api/v1/credits", get(|| async { "" }))
        .route(
            "/api/v1/health",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down").into_response() }),
        );
    let base = serve(app).await;
    let client = ApiClient::new(&base, ApiKey::new("zh_api_x_1111")).expect("client");

    let reply = client.poll("req/with slash").await;
    assert_eq!(
        reply.facts.path, "/api/v1/speech/analyze/req%2Fwith%20slash",
        "ids are escaped"
    );
    match reply.result {
        Err(ApiError::BadBody {
            status,
            snippet,
            retry_after,
        }) => {
            assert_eq!(status, 503);
            assert!(snippet.contains("Temporarily Unavailable"));
            let r = retry_after.expect("HTTP-date Retry-After parsed");
            assert!((28..=31).contains(&r), "{r}");
        }
        other => panic!("unexpected {other:?}"),
    }

    let filter = RunsFilter {
        external_id: Some("cand 7&x=1".into()),
        status: Some("success".into()),
        ..RunsFilter::default()
    };
    let list = client.runs(&filter).await.into_result().expect("list");
    let pairs: Vec<(String, Option<String>)> = list
        .rows
        .iter()
        .map(|r| (r.id.clone(), r.external_id.clone()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("req_externalId".to_string(), Some("cand 7&x=1".to_string())),
            ("req_status".to_string(), Some("success".to_string())),
        ],
        "query values are encoded and the `items` envelope is found"
    );

    match client.credits().await.result {
        Err(ApiError::BadBody { status: 200, .. }) => {}
        other => panic!("an empty 200 is a typed error: {other:?}"),
    }
    let health = client
        .health()
        .await
        .result
        .expect("any answer is a health");
    assert!(!health.healthy);
    assert_eq!(health.http_status, 503);
}

#[tokio::test]
async fn connection_refused_is_a_network_error_that_never_reached_the_server() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let client = ApiClient::new(&format!("http://127.0.0.1:{port}"), None).expect("client");
    let reply = client.poll("req_1").await;
    match reply.result {
        Err(ApiError::Network {
            may_have_reached_server,
            ..
        }) => assert!(!may_have_reached_server),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(reply.facts.status, None);
}

#[tokio::test]
async fn a_server_refusing_expect_gets_the_upload_again_without_it() {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let c = Arc::clone(&calls);
    let app = Router::new().route(
        "/api/v1/speech/analyze",
        post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let c = Arc::clone(&c);
            async move {
                let expect = headers.contains_key("expect");
                if let Ok(mut v) = c.lock() {
                    v.push((expect, body.len()));
                }
                if expect {
                    (StatusCode::EXPECTATION_FAILED, "no").into_response()
                } else {
                    (
                        StatusCode::ACCEPTED,
                        r#"{"id":"req_2","status":"processing"}"#,
                    )
                        .into_response()
                }
            }
        }),
    );
    let base = serve(app).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.wav");
    std::fs::write(&path, vec![7u8; 10_000]).expect("write");
    let client = ApiClient::new(&base, ApiKey::new("zh_api_x_2222")).expect("client");
    let fields = SubmitFields {
        language: "en".into(),
        ..SubmitFields::default()
    };
    let reply = client.submit(&path, "audio/wav", &fields, |_, _| {}).await;
    assert_eq!(reply.result.expect("accepted").id, "req_2");
    let calls = calls.lock().expect("calls").clone();
    assert_eq!(calls.len(), 2);
    assert!(calls[0].0 && !calls[1].0);
    assert!(calls[1].1 > 10_000, "the whole upload the second time");
}
