//! JSON bodies for hostile scripts: the documented shapes (202, polls, envelope) and runs
//! lists whose rows are not quite ours (no `externalId`, `external_id`, another id, no or
//! an old `createdAt`).

use std::time::Duration;

use serde_json::{Value, json};

use super::reply::Reply;
use crate::simulator::wire::timestamp;

/// The error envelope (`retryAfterSeconds` when given).
pub fn envelope(code: &str, retry_after: Option<i64>) -> Value {
    let mut error = json!({
        "code": code,
        "message": crate::simulator::contract::message(code),
        "timestamp": timestamp(chrono::Utc::now()),
        "requestId": "req_1705412345678_hostil",
    });
    if let Some(secs) = retry_after {
        error["retryAfterSeconds"] = json!(secs);
    }
    json!({ "error": error })
}

/// A submit's 202 body (`processing` or `queued`).
pub fn accepted(id: &str, status: &str) -> Value {
    json!({ "id": id, "status": status, "pollIntervalSeconds": 10 })
}

/// A light poll body (`queued` / `processing`).
pub fn in_progress(id: &str, external_id: Option<&str>, status: &str) -> Value {
    json!({
        "id": id,
        "externalId": external_id,
        "status": status,
        "pollIntervalSeconds": 10,
        "metadata": {},
        "tags": [],
    })
}

/// A finished run with all three scores (values fixed: this is somebody's result).
pub fn success(id: &str, external_id: Option<&str>) -> Value {
    json!({
        "id": id,
        "externalId": external_id,
        "status": "success",
        "scores": {
            "vocabulary": 4.9, "vocabularyCefr": "C2", "vocabularyPercent": 98,
            "fluency": 4.9, "fluencyCefr": "C2", "fluencyPercent": 98,
            "accent": 4.9, "accentCefr": "C2", "accentPercent": 98,
            "overall": 4.9, "cefrLevel": "C2", "overallPercent": 98,
        },
        "credits": { "deducted": 4, "remainingBalance": 100, "audioDurationMinutes": 3.1 },
        "error": null,
        "metadata": {},
        "tags": [],
    })
}

/// How a listed run carries its externalId.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowExternalId {
    /// `"externalId": <this>`.
    Exact(String),
    /// `"external_id": <this>` (the wrong spelling) and no `externalId`.
    SnakeCase(String),
    /// `"externalId": null`.
    Null,
    /// No such field.
    Missing,
}

/// How a listed run carries its creation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowCreatedAt {
    /// Now.
    Now,
    /// This long ago.
    Ago(Duration),
    /// This text, as it is.
    Text(String),
    /// No such field.
    Missing,
}

/// One row of a runs list.
pub fn run_row(id: &str, external_id: RowExternalId, created_at: RowCreatedAt) -> Value {
    let mut row = json!({ "id": id, "status": "success", "serviceType": "speech" });
    match external_id {
        RowExternalId::Exact(e) => row["externalId"] = json!(e),
        RowExternalId::SnakeCase(e) => row["external_id"] = json!(e),
        RowExternalId::Null => row["externalId"] = Value::Null,
        RowExternalId::Missing => {}
    }
    let at = |ago: Duration| {
        let ago = chrono::Duration::from_std(ago).unwrap_or(chrono::Duration::MAX);
        timestamp(chrono::Utc::now() - ago)
    };
    match created_at {
        RowCreatedAt::Now => row["createdAt"] = json!(at(Duration::ZERO)),
        RowCreatedAt::Ago(d) => row["createdAt"] = json!(at(d)),
        RowCreatedAt::Text(t) => row["createdAt"] = json!(t),
        RowCreatedAt::Missing => {}
    }
    row
}

/// `{"data": rows}`, the simulator's list shape (the real one is undocumented).
pub fn runs_list(rows: Vec<Value>) -> Value {
    let total = rows.len();
    json!({ "data": rows, "total": total })
}

/// A 200 runs list made from the `externalId` the client looked up (`""` when none).
pub fn lookup(rows: impl Fn(&str) -> Vec<Value> + Send + Sync + 'static) -> Reply {
    Reply::from_fn(move |req| {
        let external_id = req.query_param("externalId").unwrap_or_default();
        Reply::json(200, &runs_list(rows(&external_id)))
    })
}
