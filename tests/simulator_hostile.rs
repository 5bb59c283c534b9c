//! The hostile server (issue 9): scripted replies per route, sent byte for byte however
//! wrong, and a faithful log of what the client did. Over real HTTP on 127.0.0.1.

use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use serde_json::Value;
use speech_scorer::simulator::Endpoint;
use speech_scorer::simulator::hostile::bodies::{self, RowCreatedAt, RowExternalId};
use speech_scorer::simulator::hostile::{HostileServer, Reply, Script, fuzz};

const KEY: &str = "zh_api_hostile_secret_4321";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn upload(server: &HostileServer, bytes: usize) -> reqwest::Result<reqwest::Response> {
    let part = reqwest::multipart::Part::bytes(vec![7u8; bytes]).file_name("a.wav");
    client()
        .post(format!("{}/api/v1/speech/analyze", server.base_url()))
        .header("X-API-Key", KEY)
        .multipart(reqwest::multipart::Form::new().part("audio", part))
        .send()
        .await
}

async fn get(server: &HostileServer, path: &str) -> reqwest::Result<reqwest::Response> {
    client()
        .get(format!("{}{path}", server.base_url()))
        .header("X-API-Key", KEY)
        .send()
        .await
}

#[tokio::test]
async fn routes_play_their_sequences_and_the_log_counts_what_came() {
    let script = Script::new()
        .on(
            Endpoint::Submit,
            Reply::error(503, "SERVICE_WARMING_UP", Some("0")).label("warming"),
        )
        .on(
            Endpoint::Submit,
            Reply::json(202, &bodies::accepted("req_h1", "processing")),
        )
        .always(
            Endpoint::Poll,
            Reply::error(429, "POLL_RATE_LIMITED", None)
                .retry_after("Wed, 21 Oct 2015 07:28:00 GMT")
                .label("past date"),
        );
    let server = HostileServer::start(script).await.expect("start");
    let first = upload(&server, 1 << 20).await.expect("answer");
    assert_eq!(first.status().as_u16(), 503);
    assert_eq!(first.headers()["retry-after"], "0");
    let body: Value = first.json().await.expect("json");
    assert_eq!(body["error"]["retryAfterSeconds"], 0);
    assert_eq!(
        upload(&server, 1 << 20).await.expect("answer").status(),
        202
    );
    for _ in 0..3 {
        let resp = get(&server, "/api/v1/speech/analyze/req_h1")
            .await
            .expect("poll");
        assert_eq!(resp.status().as_u16(), 429);
        assert_eq!(
            resp.headers()["retry-after"],
            "Wed, 21 Oct 2015 07:28:00 GMT"
        );
    }
    let other = get(&server, "/somewhere?x=1").await.expect("fallback");
    assert_eq!(other.status().as_u16(), 404);

    let log = server.requests();
    assert_eq!(log.len(), 6);
    assert_eq!(server.count(Endpoint::Submit), 2);
    assert_eq!(server.count(Endpoint::Poll), 3);
    assert_eq!(
        server.max_in_window(Endpoint::Poll, Duration::from_secs(1)),
        3
    );
    assert!(server.body_bytes(Endpoint::Submit) > 2 << 20);
    assert!(log[0].body_complete && log[0].body_bytes > 1 << 20);
    assert_eq!(log[0].reply.as_deref(), Some("warming"));
    assert_eq!(log[2].reply.as_deref(), Some("past date"));
    assert_eq!(log[0].header("x-api-key"), Some("[redacted]"));
    assert!(
        !format!("{log:?}").contains(KEY),
        "the key is never recorded"
    );
    assert_eq!(
        (log[5].path.as_str(), log[5].query.as_deref()),
        ("/somewhere", Some("x=1"))
    );
    assert_eq!(log[5].route, None);
    assert!(log.windows(2).all(|w| w[0].at <= w[1].at));
}

#[tokio::test]
async fn any_bytes_go_out_as_they_are() {
    let script = Script::new()
        .on(
            Endpoint::Poll,
            Reply::status(200)
                .header("Retry-After", [0xffu8, 0xfe, b'1'])
                .header("Retry-After", "soon")
                .body(vec![0u8, 159, 146, 150]),
        )
        .on(
            Endpoint::Poll,
            Reply::redirect(307, "http://127.0.0.1:9/elsewhere"),
        )
        .on(
            Endpoint::Poll,
            Reply::status(200).truncated_body(1000, b"{\"id\":\"req".to_vec()),
        );
    let server = HostileServer::start(script).await.expect("start");
    let resp = get(&server, "/api/v1/speech/analyze/r")
        .await
        .expect("poll");
    let hints: Vec<&[u8]> = resp
        .headers()
        .get_all("retry-after")
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    assert_eq!(hints, [&[0xffu8, 0xfe, b'1'][..], b"soon"]);
    assert_eq!(
        &resp.bytes().await.expect("body")[..],
        &[0u8, 159, 146, 150]
    );
    let resp = get(&server, "/api/v1/speech/analyze/r")
        .await
        .expect("redirect");
    assert_eq!(resp.status().as_u16(), 307);
    assert_eq!(resp.headers()["location"], "http://127.0.0.1:9/elsewhere");
    let resp = get(&server, "/api/v1/speech/analyze/r")
        .await
        .expect("head");
    assert!(resp.bytes().await.is_err(), "10 of 1000 bytes, then closed");
}

#[tokio::test]
async fn a_connection_drops_after_all_part_or_none_of_the_upload() {
    let script = Script::new()
        .on(Endpoint::Submit, Reply::drop_after_upload())
        .on(Endpoint::Submit, Reply::drop_mid_upload(64 * 1024))
        .on(Endpoint::Submit, Reply::drop_at_once());
    let server = HostileServer::start(script).await.expect("start");
    for _ in 0..3 {
        assert!(upload(&server, 2 << 20).await.is_err(), "no answer");
    }
    // A client may retry a request its pool saw closed; only the scripted three matter.
    let log: Vec<_> = server.requests().into_iter().take(3).collect();
    assert!(log[0].body_complete);
    assert!(log[0].body_bytes > 2 << 20, "{}", log[0].body_bytes);
    assert_eq!(
        (log[1].body_bytes, log[1].body_complete),
        (64 * 1024, false)
    );
    assert_eq!((log[2].body_bytes, log[2].body_complete), (0, false));
}

#[tokio::test]
async fn slow_headers_and_late_answers_take_their_time() {
    let script = Script::new()
        .on(
            Endpoint::Health,
            Reply::status(200)
                .header("A", "1")
                .header("B", "2")
                .slow_headers(Duration::from_millis(200)),
        )
        .on(
            Endpoint::Health,
            Reply::status(204).delay(Duration::from_millis(500)),
        );
    let server = HostileServer::start(script).await.expect("start");
    let t = Instant::now();
    let resp = get(&server, "/api/v1/health").await.expect("slow");
    assert_eq!(resp.status().as_u16(), 200);
    // A pause before each of three header lines (A, B, Content-Length).
    assert!(
        t.elapsed() >= Duration::from_millis(600),
        "{:?}",
        t.elapsed()
    );
    let t = Instant::now();
    let resp = get(&server, "/api/v1/health").await.expect("late");
    assert_eq!(resp.status().as_u16(), 204);
    assert!(
        t.elapsed() >= Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn runs_lists_whose_rows_are_not_quite_ours() {
    let lookup = bodies::lookup(|asked| {
        vec![
            bodies::run_row("req_a", RowExternalId::Missing, RowCreatedAt::Now),
            bodies::run_row(
                "req_b",
                RowExternalId::SnakeCase(asked.into()),
                RowCreatedAt::Now,
            ),
            bodies::run_row(
                "req_c",
                RowExternalId::Exact("someone-else".into()),
                RowCreatedAt::Now,
            ),
            bodies::run_row(
                "req_d",
                RowExternalId::Exact(asked.into()),
                RowCreatedAt::Missing,
            ),
            bodies::run_row(
                "req_e",
                RowExternalId::Exact(asked.into()),
                RowCreatedAt::Ago(Duration::from_secs(7200)),
            ),
            bodies::run_row(
                "req_f",
                RowExternalId::Null,
                RowCreatedAt::Text("yesterday".into()),
            ),
        ]
    });
    let script = Script::new().always(Endpoint::Runs, lookup);
    let server = HostileServer::start(script).await.expect("start");
    let resp = get(&server, "/api/v1/speech/runs?externalId=rec%201")
        .await
        .expect("runs");
    let body: Value = resp.json().await.expect("json");
    let rows = body["data"].as_array().expect("rows");
    assert_eq!(rows.len(), 6);
    assert!(rows[0].get("externalId").is_none());
    assert_eq!(rows[1]["external_id"], "rec 1");
    assert!(rows[1].get("externalId").is_none());
    assert_eq!(rows[2]["externalId"], "someone-else");
    assert!(rows[3].get("createdAt").is_none());
    let old = chrono::DateTime::parse_from_rfc3339(rows[4]["createdAt"].as_str().expect("date"))
        .expect("rfc3339");
    let age = chrono::Utc::now() - old.with_timezone(&chrono::Utc);
    assert!(age >= chrono::Duration::seconds(7190), "{age}");
    assert!(rows[5]["externalId"].is_null());
    assert_eq!(rows[5]["createdAt"], "yesterday");
    assert_eq!(
        server.requests()[0].query_param("externalId").as_deref(),
        Some("rec 1")
    );
}

#[tokio::test]
async fn a_kept_alive_connection_carries_the_next_request() {
    let script = Script::new().always(Endpoint::Credits, Reply::json(200, &serde_json::json!({})));
    let server = HostileServer::start(script).await.expect("start");
    let c = client();
    for _ in 0..2 {
        let resp = c
            .get(format!("{}/api/v1/credits", server.base_url()))
            .send()
            .await
            .expect("credits");
        assert_eq!(resp.status().as_u16(), 200);
        resp.bytes().await.expect("body");
    }
    let log = server.requests();
    assert_eq!(
        log[0].connection, log[1].connection,
        "one connection, reused"
    );
}

/// Reads at most `cap` bytes of a body, then lets go (the way a capped client reads).
async fn read_capped(resp: reqwest::Response, cap: usize) -> usize {
    let mut seen = 0;
    let mut stream = resp.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        seen += chunk.len();
        if seen >= cap {
            break;
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fuzz_sequence_is_served_in_order() {
    let junk = fuzz::junk(2024, 200);
    let labels: Vec<String> = junk
        .iter()
        .map(|r| r.label_text().expect("labelled").to_string())
        .collect();
    let server = HostileServer::start(Script::new().then_any(junk))
        .await
        .expect("start");
    let started = Instant::now();
    let mut sent = 0;
    while server.replies_left() > 0 && sent < 600 {
        let resp = if sent % 3 == 0 {
            upload(&server, 4096).await
        } else {
            get(&server, "/api/v1/speech/analyze/req_fuzz_1").await
        };
        if let Ok(resp) = resp {
            read_capped(resp, 1 << 20).await;
        }
        sent += 1;
    }
    assert_eq!(
        server.replies_left(),
        0,
        "all 200 served within {sent} requests"
    );
    let served: Vec<String> = server
        .requests()
        .into_iter()
        .filter_map(|r| r.reply)
        .take(200)
        .collect();
    assert_eq!(served, labels, "in order, each once");
    // Still serving: the fallback answers.
    let resp = get(&server, "/api/v1/health").await.expect("alive");
    assert_eq!(resp.status().as_u16(), 404);
    eprintln!(
        "200 junk replies in {sent} requests, {:?}",
        started.elapsed()
    );
}
