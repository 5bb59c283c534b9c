//! Generated run histories for the all-runs log tests and the `log_all` bench: `n` runs with
//! a realistic mix of exchanges (warm-ups, rate limits, dropped polls, failures, successes),
//! spread over 30 days, deterministic for a given `n`.
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use serde_json::json;
use speech_scorer::engine::RunRecord;
use speech_scorer::engine::reqlog::Exchange;
use speech_scorer::store::History;

/// Codes a failed run ends with, in turn.
pub const FAILURES: [&str; 3] = [
    "TRANSCRIPTION_LOW_CONFIDENCE",
    "SCORING_FAILED",
    "STUCK_TIMEOUT",
];

fn exchange(v: serde_json::Value) -> Exchange {
    serde_json::from_value(v).expect("a generated exchange")
}

/// The `i`-th generated run, created at `start + i·43 min`.
pub fn run(i: usize, start: DateTime<Utc>) -> RunRecord {
    let created = start + Duration::minutes(43 * i as i64);
    let mut r = RunRecord::new(created);
    let run_id = format!("req_gen_{i:05}");
    r.run_id = Some(run_id.clone());
    r.external_id = Some(format!("cand-{}", i % 37));
    r.base_url = Some("https://staging.zenhire.example".into());
    r.language = Some("en".into());
    let mut at = created;
    let mut next = |secs: i64| {
        at += Duration::seconds(secs);
        at
    };
    let analyze = "/api/v1/speech/analyze";
    let poll_path = format!("{analyze}/{run_id}");
    if i.is_multiple_of(4) {
        for attempt in 1..=2 {
            r.exchanges.push(exchange(json!({
                "at": next(1), "step": "submit", "method": "POST", "path": analyze,
                "status": 503, "code": "SERVICE_WARMING_UP", "requestId": format!("req_w{i}_{attempt}"),
                "attempt": attempt, "wait": {"seconds": 45.0, "reason": "warming_up"},
                "decision": "submit again", "latencyMs": 30, "bytesSent": 4000, "bytesReceived": 180,
                "body": "{\"error\":{\"code\":\"SERVICE_WARMING_UP\",\"message\":\"The service is warming up.\"}}",
                "retryAfter": 45,
            })));
        }
    }
    r.exchanges.push(exchange(json!({
        "at": next(45), "step": "submit", "method": "POST", "path": analyze,
        "status": 202, "runId": run_id, "attempt": 1,
        "wait": {"seconds": 15.0, "reason": "next_poll"}, "decision": "poll",
        "latencyMs": 900, "bytesSent": 2_900_000, "bytesReceived": 120,
        "body": format!("{{\"id\":\"{run_id}\",\"status\":\"queued\",\"queuePosition\":2}}"),
    })));
    if i.is_multiple_of(5) {
        r.exchanges.push(exchange(json!({
            "at": next(15), "step": "poll", "method": "GET", "path": poll_path,
            "status": 429, "code": "POLL_RATE_LIMITED", "runId": run_id, "attempt": 1,
            "wait": {"seconds": 10.0, "reason": "poll_rate_limited"}, "decision": "poll",
            "latencyMs": 12, "bytesSent": 0, "bytesReceived": 150,
            "body": "{\"error\":{\"code\":\"POLL_RATE_LIMITED\"}}", "retryAfter": 10,
        })));
    }
    if i.is_multiple_of(7) {
        r.exchanges.push(exchange(json!({
            "at": next(10), "step": "poll", "method": "GET", "path": poll_path,
            "runId": run_id, "attempt": 1,
            "wait": {"seconds": 2.0, "reason": "network"}, "decision": "poll",
            "latencyMs": 30000, "bytesSent": 0, "bytesReceived": 0,
            "error": "network error: the connection was reset",
        })));
    }
    r.exchanges.push(exchange(json!({
        "at": next(15), "step": "poll", "method": "GET", "path": poll_path,
        "status": 200, "runId": run_id, "attempt": 1,
        "wait": {"seconds": 15.0, "reason": "next_poll"}, "decision": "poll",
        "latencyMs": 40, "bytesSent": 0, "bytesReceived": 90,
        "body": format!("{{\"id\":\"{run_id}\",\"status\":\"processing\"}}"),
    })));
    let failed = i.is_multiple_of(3);
    let last = if failed {
        let code = FAILURES[(i / 3) % FAILURES.len()];
        exchange(json!({
            "at": next(15), "step": "poll", "method": "GET", "path": poll_path,
            "status": 200, "code": code, "runId": run_id, "attempt": 1,
            "decision": "finished", "latencyMs": 40, "bytesSent": 0, "bytesReceived": 200,
            "body": format!("{{\"id\":\"{run_id}\",\"status\":\"failed\",\"error\":{{\"code\":\"{code}\",\"message\":\"needle-{i} went wrong\"}}}}"),
        }))
    } else {
        let filler = "x".repeat(6000);
        exchange(json!({
            "at": next(15), "step": "poll", "method": "GET", "path": poll_path,
            "status": 200, "runId": run_id, "attempt": 1,
            "decision": "finished", "latencyMs": 60, "bytesSent": 0, "bytesReceived": 9000,
            "body": format!("{{\"id\":\"{run_id}\",\"status\":\"success\",\"transcript\":\"needle-{i} {filler}\",\"scores\":{{\"overall\":3.5}}}}"),
        }))
    };
    r.exchanges.push(last);
    r.last_status = Some(if failed { "failed" } else { "success" }.into());
    r.updated = at;
    r
}

/// When generated histories start.
pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, 8, 0, 0)
        .single()
        .expect("a time")
}

/// Saves `n` generated runs into `history` and returns them.
pub fn fill(history: &History, n: usize) -> Vec<RunRecord> {
    let start = start();
    (0..n)
        .map(|i| {
            let r = run(i, start);
            history.save(&r).expect("save a generated run");
            r
        })
        .collect()
}
