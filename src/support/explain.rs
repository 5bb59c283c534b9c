//! Explain an error for support staff: the exact dialog the customer saw (from `guidance`,
//! via the same parser as `speech-scorer explain`) plus the technical side — HTTP status,
//! whether it is retryable, what the app does by itself, and what the vendor's guide says.

use serde::Serialize;

use crate::api::codes::{CodeFamily, ErrorCode};
use crate::engine::outcome::local_codes;
use crate::guidance::Guidance;

/// What was pasted, as understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// A poll body with `status: failed`.
    FailedPoll,
    /// An error envelope `{"error": {...}}` or its inner object.
    Envelope,
    /// A `--json` outcome object.
    Outcome,
    /// A bare code.
    Code,
}

/// The customer's dialog and the technical side.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// Exactly what the customer's dialog said.
    pub guidance: Guidance,
    pub input: InputKind,
    /// The HTTP status that carries this code (200 for a failed run).
    pub http_status: Option<u16>,
    /// The docs say to retry it (429, 503; network errors too).
    pub retryable: bool,
    /// What the app does by itself when it meets this.
    pub app_does: &'static str,
    /// What the vendor's guide says.
    pub vendor_says: &'static str,
    /// `requestId` or run id found in the input, to quote to ZenHire.
    pub request_id: Option<String>,
    pub run_id: Option<String>,
}

/// What the engine does by itself for a code (`None`: a network error).
pub fn app_does(code: Option<&ErrorCode>) -> &'static str {
    let Some(code) = code else {
        return "Retries with exponential backoff. A poll is always safe to repeat; a submit whose answer was lost is first looked up by externalId, so no duplicate run is created.";
    };
    match code.as_str() {
        local_codes::NETWORK_ERROR => return app_does(None),
        local_codes::MAX_WAIT_EXCEEDED => {
            return "Stops waiting at the time budget; the run keeps going and `resume RUN` (or reopening the app) polls it again.";
        }
        local_codes::BAD_RESPONSE => {
            return "Treats an unreadable body like a server error: waits with backoff and asks again.";
        }
        _ => {}
    }
    match (code.family(), code) {
        (_, ErrorCode::PollRateLimited) => {
            "Waits Retry-After, then polls the same run id again. Nothing is lost."
        }
        (CodeFamily::Throttled, _) => {
            "Waits Retry-After, then retries with exponential backoff and jitter (never sooner than Retry-After)."
        }
        (CodeFamily::WarmingUp, _) => {
            "Waits retryAfterSeconds (30–60 s), backs off further while it repeats, with a visible countdown; the default budget covers a 15–20 minute warm-up."
        }
        (CodeFamily::RunFailed, _) => {
            "Stops: this run id is final. Shows the dialog; a fresh submission (new run id) is offered where it can help."
        }
        (CodeFamily::NotFound, _) => {
            "Stops polling this id and shows the dialog; it never resubmits by itself."
        }
        (
            CodeFamily::Validation
            | CodeFamily::Auth
            | CodeFamily::Credits
            | CodeFamily::Permission,
            _,
        ) => {
            "Never retries: the same request would fail the same way. Shows the dialog with the one action that fixes it."
        }
        (CodeFamily::Unknown, _) => {
            "Shows the code and message verbatim; retries only when the HTTP status is 5xx (as a server error), never on 4xx."
        }
    }
}

fn retryable(code: Option<&ErrorCode>) -> bool {
    match code {
        None => true,
        Some(c) if c.as_str() == local_codes::NETWORK_ERROR => true,
        Some(c) if c.as_str() == local_codes::BAD_RESPONSE => true,
        Some(c) => c.is_retryable(),
    }
}

fn classify(text: &str) -> (InputKind, Option<String>, Option<String>) {
    let v: serde_json::Value = match serde_json::from_str(text.trim()) {
        Ok(v) => v,
        Err(_) => return (InputKind::Code, None, None),
    };
    let s = |v: &serde_json::Value| v.as_str().map(str::to_string);
    if v.get("status").and_then(|s| s.as_str()) == Some("failed") {
        let run = v.get("id").and_then(s);
        return (InputKind::FailedPoll, None, run);
    }
    if v.get("outcome").is_some() {
        let e = v.get("error");
        return (
            InputKind::Outcome,
            e.and_then(|e| e.get("requestId")).and_then(s),
            v.get("runId").and_then(s),
        );
    }
    let err = v.get("error").unwrap_or(&v);
    (InputKind::Envelope, err.get("requestId").and_then(s), None)
}

/// Explains a pasted envelope, poll body, `--json` outcome or bare code.
pub fn explain(text: &str) -> Explanation {
    let guidance = crate::cli::scoring::explain_text(text);
    let (input, request_id, run_id) = classify(text);
    let code = guidance.code.as_ref();
    let http_status = match (input, code) {
        (InputKind::FailedPoll, _) => Some(200),
        (_, Some(c)) if c.family() == CodeFamily::RunFailed => Some(200),
        _ => guidance.http_status,
    };
    Explanation {
        input,
        http_status,
        retryable: retryable(code),
        app_does: app_does(code),
        vendor_says: guidance.vendor_says,
        request_id,
        run_id,
        guidance,
    }
}

impl Explanation {
    /// The technical side as lines of text (CLI and the GUI's explain box).
    pub fn technical_lines(&self) -> Vec<String> {
        let mut lines = vec![
            format!(
                "HTTP status: {}",
                self.http_status
                    .map_or("none (no response)".to_string(), |s| {
                        let failed_run = self.input == InputKind::FailedPoll
                            || self
                                .guidance
                                .code
                                .as_ref()
                                .is_some_and(|c| c.family() == CodeFamily::RunFailed);
                        if failed_run {
                            format!("{s} (a poll with status: failed)")
                        } else {
                            s.to_string()
                        }
                    })
            ),
            format!("Retryable: {}", if self.retryable { "yes" } else { "no" }),
            format!("What the app does by itself: {}", self.app_does),
            format!("The vendor's guide: {}", self.vendor_says),
        ];
        if let Some(r) = &self.request_id {
            lines.push(format!("requestId: {r}"));
        }
        if let Some(r) = &self.run_id {
            lines.push(format!("run id: {r}"));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_gets_the_dialog_and_the_technical_side() {
        let e = explain(
            r#"{"error":{"code":"SERVICE_WARMING_UP","message":"warming","requestId":"req_9_x","retryAfterSeconds":45,"timestamp":"t"}}"#,
        );
        assert_eq!(e.input, InputKind::Envelope);
        assert_eq!(e.http_status, Some(503));
        assert!(e.retryable);
        assert!(e.app_does.contains("retryAfterSeconds"));
        assert_eq!(e.request_id.as_deref(), Some("req_9_x"));
        assert_eq!(e.guidance.code, Some(ErrorCode::ServiceWarmingUp));
        assert!(!e.vendor_says.is_empty());
    }

    #[test]
    fn a_failed_poll_is_a_200_and_final() {
        let e = explain(
            r#"{"id":"req_7","status":"failed","error":{"code":"TRANSCRIPTION_LOW_CONFIDENCE","message":"m"}}"#,
        );
        assert_eq!(e.input, InputKind::FailedPoll);
        assert_eq!(e.http_status, Some(200));
        assert!(!e.retryable);
        assert!(e.app_does.contains("final"));
        assert_eq!(e.run_id.as_deref(), Some("req_7"));
        assert!(e.technical_lines()[0].contains("status: failed"));
    }

    #[test]
    fn a_bare_code_and_a_refusal() {
        let e = explain("insufficient_credits");
        assert_eq!(e.input, InputKind::Code);
        assert_eq!(e.http_status, Some(402));
        assert!(!e.retryable);
        assert!(e.app_does.contains("Never retries"));
        let n = explain("NETWORK_ERROR");
        assert!(n.retryable);
    }
}
