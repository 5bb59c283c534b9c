//! What goes on the wire: ids, timestamps, the error envelope, and the note each response
//! carries for the request log. JSON is built here from the API docs, independently of
//! `crate::api` (codes and model), so the simulator cross-checks the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng as _;
use serde_json::{Value, json};

use super::contract;

/// The header every simulator response carries, so the app can say results are simulated.
pub const SIMULATOR_HEADER: &str = "x-zenhire-simulator";

/// ISO 8601 with milliseconds and `Z`, as in the docs' examples.
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn random_suffix(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// A trace id for one response: `req_<ms>_<rand6>` like the docs' `req_1705412345678_abc123`.
pub fn new_request_id() -> String {
    format!(
        "req_{}_{}",
        chrono::Utc::now().timestamp_millis(),
        random_suffix(6)
    )
}

/// A run id. The docs call it opaque and show `req_...`; ours has a longer random part.
pub fn new_run_id() -> String {
    format!(
        "req_{}_{}",
        chrono::Utc::now().timestamp_millis(),
        random_suffix(12)
    )
}

/// What the request log should remember about a response (set by handlers).
#[derive(Debug, Clone, Default)]
pub struct Note {
    pub code: Option<String>,
    pub run_id: Option<String>,
    pub fault: Option<String>,
    /// The scenario step that answered, if any (e.g. `"poll:failed"`).
    pub step: Option<String>,
}

/// Attaches a note to a response.
pub fn with_note(mut resp: Response, note: Note) -> Response {
    if let Some(existing) = resp.extensions_mut().get_mut::<Note>() {
        // Keep what the inner layer knew, add what the outer one adds.
        existing.code = existing.code.take().or(note.code);
        existing.run_id = existing.run_id.take().or(note.run_id);
        existing.fault = existing.fault.take().or(note.fault);
        existing.step = existing.step.take().or(note.step);
    } else {
        resp.extensions_mut().insert(note);
    }
    resp
}

/// Everything an error envelope can carry.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// False for middleware-level rejections (401s), which carry no `requestId`.
    pub request_id: bool,
    pub retry_after: Option<u64>,
    pub details: Option<Value>,
}

impl ApiError {
    /// An envelope for `code` with the simulator's catalog status, message and requestId
    /// rule ([`contract`]); a code the catalog has no status for is sent as a 500.
    pub fn new(code: &str) -> Self {
        let entry = contract::entry(code);
        let status = entry
            .and_then(|e| e.status())
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self {
            status,
            message: contract::message(code).to_string(),
            code: code.to_string(),
            request_id: entry.is_none_or(|e| e.carries_request_id()),
            retry_after: None,
            details: None,
        }
    }

    /// Adds `retryAfterSeconds` and the `Retry-After` header.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// Adds `details`.
    pub fn details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// The JSON envelope.
    pub fn body(&self) -> Value {
        let mut error = json!({
            "code": self.code,
            "message": self.message,
            "timestamp": timestamp(chrono::Utc::now()),
        });
        if self.request_id {
            error["requestId"] = json!(new_request_id());
        }
        if let Some(secs) = self.retry_after {
            error["retryAfterSeconds"] = json!(secs);
        }
        if let Some(d) = &self.details {
            error["details"] = d.clone();
        }
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body();
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        with_note(
            resp,
            Note {
                code: Some(self.code),
                ..Note::default()
            },
        )
    }
}

/// A JSON 200/202 with `Retry-After` when `retry_after` is set (non-terminal responses).
pub fn json_reply(status: StatusCode, body: Value, retry_after: Option<u64>) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}
