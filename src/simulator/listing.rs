//! The read-only endpoints: `GET /api/v1/speech/runs` (with its filters), `GET
//! /api/v1/credits` and `GET /api/v1/health`.

use std::time::Instant;

use axum::Extension;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::admit;
use super::routes::{Conn, Sim, note_normal, scripted};
use super::runs::Run;
use super::scenario::Endpoint;
use super::state::{Arrival, Shared};
use super::wire::{self, ApiError, json_reply};

const STATUSES: [&str; 5] = ["queued", "processing", "success", "partial", "failed"];

fn parse_date(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(dt.with_timezone(&chrono::Utc));
    }
    if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S") {
        return Some(naive.and_utc());
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

/// `GET /api/v1/speech/runs`: this key's runs, newest first.
pub(super) async fn list_runs(
    State(sim): Sim,
    ConnectInfo(conn): Conn,
    Query(q): Query<std::collections::HashMap<String, String>>,
    Extension(arrival): Extension<Arrival>,
    headers: HeaderMap,
) -> Response {
    let normal = match scripted(&sim, Endpoint::Runs, &conn).await {
        Ok(step) => step,
        Err(reply) => return reply,
    };
    let resp = match admit(&sim, &headers, &conn, true, &arrival) {
        Err(refusal) => *refusal,
        Ok(key) => match list_by_rules(&sim, &key.key, &q) {
            Ok(r) => r,
            Err(e) => e.into_response(),
        },
    };
    note_normal(resp, normal.as_ref())
}

fn list_by_rules(
    sim: &Shared,
    key: &str,
    q: &std::collections::HashMap<String, String>,
) -> Result<Response, ApiError> {
    let status = q.get("status").map(String::as_str);
    if let Some(s) = status
        && !STATUSES.contains(&s)
    {
        return Err(ApiError::new("INVALID_STATUS"));
    }
    if let Some(t) = q.get("serviceType")
        && t != "speech"
        && t != "cv_deepmatch"
    {
        return Err(ApiError::new("INVALID_SERVICE_TYPE"));
    }
    let date = |name: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
        match q.get(name) {
            None => Ok(None),
            Some(t) => parse_date(t)
                .map(Some)
                .ok_or_else(|| ApiError::new("INVALID_DATE")),
        }
    };
    let after = date("createdAfter")?;
    let before = date("createdBefore")?;
    let limit = match q.get("limit") {
        None => 20,
        Some(t) => match t.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => return Err(ApiError::new("INVALID_PARAMETERS")),
        },
    };
    let mut inner = sim.lock();
    inner.tick(&sim.cfg, Instant::now());
    let speech_only = q.get("serviceType").is_none_or(|t| t == "speech");
    let matching: Vec<&Run> = inner
        .runs
        .iter()
        .rev()
        .filter(|r| speech_only && r.key == key)
        .filter(|r| {
            q.get("externalId")
                .is_none_or(|e| r.external_id.as_deref() == Some(e.as_str()))
        })
        .filter(|r| status.is_none_or(|s| r.status() == s))
        .filter(|r| after.is_none_or(|a| r.created_at >= a))
        .filter(|r| before.is_none_or(|b| r.created_at < b))
        .collect();
    let total = matching.len();
    let rows: Vec<Value> = matching.iter().take(limit).map(|r| r.list_row()).collect();
    Ok(json_reply(
        StatusCode::OK,
        json!({ "data": rows, "limit": limit, "total": total }),
        None,
    ))
}

/// `GET /api/v1/credits`: the shared ledger.
pub(super) async fn credits(
    State(sim): Sim,
    ConnectInfo(conn): Conn,
    Extension(arrival): Extension<Arrival>,
    headers: HeaderMap,
) -> Response {
    let normal = match scripted(&sim, Endpoint::Credits, &conn).await {
        Ok(step) => step,
        Err(reply) => return reply,
    };
    let resp = match admit(&sim, &headers, &conn, false, &arrival) {
        Err(refusal) => *refusal,
        Ok(_) => {
            let mut inner = sim.lock();
            inner.tick(&sim.cfg, Instant::now());
            json_reply(StatusCode::OK, inner.ledger.to_json(), None)
        }
    };
    note_normal(resp, normal.as_ref())
}

/// `GET /api/v1/health`: no key needed.
pub(super) async fn health(State(sim): Sim, ConnectInfo(conn): Conn) -> Response {
    let normal = match scripted(&sim, Endpoint::Health, &conn).await {
        Ok(step) => step,
        Err(reply) => return reply,
    };
    // Body undocumented: a simulator choice. HTTP 200 means healthy; not while warming up.
    if let Some(refusal) = sim.disrupted(false, Instant::now()) {
        return note_normal(refusal, normal.as_ref());
    }
    let resp = json_reply(
        StatusCode::OK,
        json!({ "status": "ok", "simulated": true, "timestamp": wire::timestamp(chrono::Utc::now()) }),
        None,
    );
    note_normal(resp, normal.as_ref())
}
