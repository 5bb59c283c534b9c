//! Scripted replies: error envelopes at any step, exact recorded responses, and the raw
//! faults (HTML 502, empty body, dropped connection, slow response).

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::contract;
use super::net::ConnTag;
use super::scenario::{Respond, Step};
use super::wire::{ApiError, Note, with_note};

const HTML_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// `"endpoint:respond"`, as recorded in the request log.
pub fn step_label(step: &Step) -> String {
    let respond = serde_json::to_value(step.respond)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    format!("{}:{respond}", step.on.as_str())
}

/// Waits out a step's `delay_ms` (a slow response).
pub async fn delay(step: &Step) {
    if let Some(ms) = step.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

/// The error envelope a scripted `error` step sends.
pub fn scripted_error(step: &Step, default_retry_after: u64) -> ApiError {
    let code_text = step.code.clone().unwrap_or_else(|| "INTERNAL_ERROR".into());
    let mut err = ApiError::new(&code_text);
    if let Some(s) = step.status.and_then(|s| StatusCode::from_u16(s).ok()) {
        err.status = s;
    }
    if let Some(m) = &step.message {
        err.message = m.clone();
    }
    let retryable = contract::entry(&code_text).is_some_and(|e| e.carries_retry_after());
    err.retry_after = step
        .retry_after
        .or(retryable.then_some(default_retry_after));
    err.details = step.details.clone();
    err
}

/// Builds the reply for a step that replaces the whole response.
pub async fn scripted_reply(step: &Step, conn: &ConnTag, default_retry_after: u64) -> Response {
    delay(step).await;
    let mut note = Note {
        step: Some(step_label(step)),
        fault: step.delay_ms.map(|_| "slow".to_string()),
        ..Note::default()
    };
    let resp = match step.respond {
        Respond::Error => scripted_error(step, default_retry_after).into_response(),
        Respond::Raw => raw(step),
        Respond::Html502 => {
            note.fault = Some("html_502".into());
            (
                StatusCode::BAD_GATEWAY,
                [(header::CONTENT_TYPE, "text/html")],
                HTML_502,
            )
                .into_response()
        }
        Respond::EmptyBody => {
            note.fault = Some("empty_body".into());
            let status = step
                .status
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::OK);
            (status, Body::empty()).into_response()
        }
        _ => {
            // `drop` (and anything unexpected here): no reply at all.
            note.fault = Some("drop".into());
            conn.kill();
            StatusCode::BAD_GATEWAY.into_response()
        }
    };
    with_note(resp, note)
}

/// Exactly the recorded status, headers and body.
fn raw(step: &Step) -> Response {
    let status = step
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut resp = Response::new(Body::from(step.body.clone().unwrap_or_default()));
    *resp.status_mut() = status;
    for (name, value) in &step.headers {
        // Framing headers describe the recorded connection, not this one: hyper sets them.
        let framing = ["content-length", "transfer-encoding", "connection"];
        if framing.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        // Names and values were checked when the scenario loaded; skip anything odd anyway.
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            resp.headers_mut().append(n, v);
        }
    }
    let code = step.body.as_deref().and_then(|b| {
        let v: serde_json::Value = serde_json::from_str(b).ok()?;
        v["error"]["code"].as_str().map(str::to_string)
    });
    with_note(
        resp,
        Note {
            code,
            ..Note::default()
        },
    )
}
