//! The request log: one [`Exchange`] per HTTP exchange the engine makes, with the wait it
//! chose afterwards and why. Support staff read it, bundle it and replay it; it never holds
//! the API key: the request headers are recorded with `X-API-Key` already masked by the
//! client (`zh_…1234`), and the audio part of a submit is described, never kept.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::policy::{Step, WaitReason};
use crate::api::client::{Facts, Header, SentForm};
use crate::api::codes::ErrorCode;
use crate::api::error::ApiError;

/// Bodies longer than this are cut (a full success body is a few KB).
pub const BODY_CAP: usize = 64 * 1024;

/// The wait the engine chose after an exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChosenWait {
    pub seconds: f64,
    pub reason: WaitReason,
}

/// One HTTP exchange (or an attempt that never got a response).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    /// When the request started (UTC).
    pub at: DateTime<Utc>,
    pub step: Step,
    pub method: String,
    /// Path and query; no secrets.
    pub path: String,
    /// HTTP status, absent when no response arrived.
    pub status: Option<u16>,
    /// `error.code` of an envelope or a failed run.
    pub code: Option<ErrorCode>,
    /// `error.requestId` when sent.
    pub request_id: Option<String>,
    /// The run this exchange concerns, when known.
    pub run_id: Option<String>,
    /// 1 for the first try of this kind of request, counting up on consecutive failures.
    pub attempt: u32,
    /// The wait chosen after this exchange, if any.
    pub wait: Option<ChosenWait>,
    /// What the engine decided, in words ("poll again", "look up by externalId", ...).
    pub decision: String,
    pub latency_ms: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// The response body as received, cut at [`BODY_CAP`].
    pub body: Option<String>,
    /// True when the body was longer than what is kept here (cut at [`BODY_CAP`], or not
    /// read past the client's cap).
    #[serde(default)]
    pub body_truncated: bool,
    /// `Retry-After` in seconds.
    pub retry_after: Option<u64>,
    /// A network error in words, when no response arrived.
    pub error: Option<String>,
    /// The response came from the local simulator.
    #[serde(default)]
    pub simulated: bool,
    /// The request was cut short by the app (cancelled, or the time budget ran out): no answer
    /// was waited for. A replay leaves these out: the service saw, at most, a request.
    #[serde(default)]
    pub interrupted: bool,
    // What was sent and what came back besides the body (issue 15). Records written before
    // these existed read with them empty, so an old log shows what it has.
    /// The request headers as sent; `X-API-Key` is masked (`zh_…1234`) at capture.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_headers: Vec<Header>,
    /// A submit's form fields (language, externalId, metadata) and its audio part described
    /// (file name, size, content type, duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<Box<SentForm>>,
    /// The response headers (at most [`crate::api::client::MAX_KEPT_HEADERS`], values
    /// capped, cookies not kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_headers: Vec<Header>,
}

/// Cuts `body` to at most `cap` bytes on a character boundary.
pub fn cap_body(body: &str, cap: usize) -> (String, bool) {
    if body.len() <= cap {
        return (body.to_string(), false);
    }
    let mut end = cap;
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    (body[..end].to_string(), true)
}

impl Exchange {
    /// A log entry from the facts of an exchange; `wait` and `decision` are filled in once
    /// the engine has decided.
    pub fn from_facts(
        step: Step,
        facts: &Facts,
        error: Option<&ApiError>,
        run_id: Option<&str>,
        attempt: u32,
    ) -> Exchange {
        let (body, body_truncated) = match &facts.body {
            Some(b) => {
                let (b, t) = cap_body(b, BODY_CAP);
                (Some(b), t || facts.body_cut)
            }
            None => (None, false),
        };
        let code = match error {
            Some(ApiError::Api { body, .. }) => Some(body.code.clone()),
            _ => None,
        };
        Exchange {
            at: facts.started,
            step,
            method: facts.method.to_string(),
            path: facts.path.clone(),
            status: facts.status,
            code,
            request_id: error.and_then(|e| e.request_id()).map(str::to_string),
            run_id: run_id.map(str::to_string),
            attempt,
            wait: None,
            decision: String::new(),
            latency_ms: facts.latency.as_millis() as u64,
            bytes_sent: facts.bytes_sent,
            bytes_received: facts.bytes_received,
            body,
            body_truncated,
            retry_after: facts.retry_after,
            error: match error {
                Some(
                    e @ (ApiError::Network { .. }
                    | ApiError::BadBody { .. }
                    | ApiError::Redirect { .. }),
                ) => Some(e.to_string()),
                _ => None,
            },
            simulated: facts.simulated,
            interrupted: false,
            request_headers: facts.request_headers.clone(),
            form: facts.form.clone(),
            response_headers: facts.response_headers.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_capped_on_char_boundaries() {
        let s = "é".repeat(10);
        let (cut, t) = cap_body(&s, 5);
        assert!(t);
        assert_eq!(cut, "éé");
        let (same, t) = cap_body("short", 100);
        assert!(!t);
        assert_eq!(same, "short");
    }
}
