//! Explain an error for support staff: the exact dialog the customer saw (from `guidance`,
//! via the same parser as `speech-scorer explain`) plus the technical side — HTTP status,
//! whether it is retryable, what the app does by itself, and what the vendor's guide says.

use serde::Serialize;

use serde_json::Value;

use crate::api::client::poll_from_value;
use crate::api::codes::{CodeFamily, ErrorCode};
use crate::api::model::{ApiErrorBody, RunStatus};
use crate::engine::outcome::{Outcome, OutcomeError};
use crate::guidance::{self, Guidance};

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
    /// Not a code, an envelope, a poll body or an outcome this app knows.
    Unrecognised,
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

/// The input, parsed once: what kind it is, the guidance it leads to, and the ids in it.
fn parse(text: &str) -> (InputKind, Guidance, Option<String>, Option<String>) {
    let trimmed = text.trim();
    let value: Option<Value> = serde_json::from_str(trimmed).ok();
    let Some(v) = value else {
        return bare_code(trimmed);
    };
    if let Some(poll) = poll_from_value(v.clone())
        && poll.status == RunStatus::Failed
    {
        let g = match &poll.error {
            Some(err) => guidance::for_outcome_error(
                &OutcomeError {
                    code: err.code.clone(),
                    message: err.message.clone(),
                    http_status: None,
                    request_id: None,
                    details: None,
                },
                Some(&poll.id),
            ),
            None => guidance::for_outcome_error(
                &OutcomeError {
                    code: ErrorCode::Local(crate::api::codes::LocalCode::NoErrorCode),
                    message: String::new(),
                    http_status: None,
                    request_id: None,
                    details: None,
                },
                Some(&poll.id),
            ),
        };
        return (InputKind::FailedPoll, g, None, Some(poll.id));
    }
    if v.get("outcome").is_some()
        && let Ok(outcome) = serde_json::from_value::<Outcome>(v.clone())
        && let Some(err) = &outcome.error
    {
        let g = guidance::for_outcome_error(err, outcome.run_id.as_deref());
        return (
            InputKind::Outcome,
            g,
            err.request_id.clone(),
            outcome.run_id.clone(),
        );
    }
    let inner = v.get("error").unwrap_or(&v);
    if let Ok(body) = serde_json::from_value::<ApiErrorBody>(inner.clone()) {
        let g = guidance::for_api_error(&body, body.retry_after_seconds);
        return (InputKind::Envelope, g, body.request_id.clone(), None);
    }
    // JSON, but not a shape we know: a quoted code is still a code.
    match v.as_str() {
        Some(code) => bare_code(code),
        None => (
            InputKind::Unrecognised,
            guidance::for_unrecognised_input(text),
            None,
            None,
        ),
    }
}

/// A bare code: letters, digits and underscores (any case). Anything else is not a code.
fn bare_code(text: &str) -> (InputKind, Guidance, Option<String>, Option<String>) {
    let t = text.trim().trim_matches('"');
    let looks_like_code =
        !t.is_empty() && t.len() <= 64 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !looks_like_code {
        return (
            InputKind::Unrecognised,
            guidance::for_unrecognised_input(text),
            None,
            None,
        );
    }
    let code = ErrorCode::parse_ours(&t.to_ascii_uppercase());
    (InputKind::Code, guidance::for_code(&code), None, None)
}

/// Explains a pasted envelope, poll body, `--json` outcome or bare code.
pub fn explain(text: &str) -> Explanation {
    let (input, guidance, request_id, run_id) = parse(text);
    let code = guidance.code.as_ref();
    let http_status = match (input, code) {
        (InputKind::FailedPoll, _) => Some(200),
        (_, Some(c)) if c.family() == CodeFamily::RunFailed => Some(200),
        _ => guidance.http_status,
    };
    let retryable = match input {
        InputKind::Unrecognised => false,
        _ => guidance::retried_by_app(code),
    };
    Explanation {
        input,
        http_status,
        retryable,
        app_does: guidance::app_does(code),
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
        assert_eq!(n.guidance.title, "Can't reach the analysis service");
    }

    #[test]
    fn free_text_is_not_taken_for_a_code() {
        let e = explain("HELLO IT BROKE");
        assert_eq!(e.input, InputKind::Unrecognised);
        assert!(!e.guidance.title.contains("HELLO"), "{}", e.guidance.title);
        assert_eq!(e.guidance.title, "Not an error this app knows");
        assert!(
            e.guidance
                .body
                .contains("\"HELLO IT BROKE\" is not an error code")
        );
        let e = explain(r#"{"hello": 1}"#);
        assert_eq!(e.input, InputKind::Unrecognised);
        // An undocumented code is still shown verbatim.
        let e = explain("WHAT_IS_THIS");
        assert_eq!(e.input, InputKind::Code);
        assert!(e.guidance.title.contains("WHAT_IS_THIS"));
    }

    #[test]
    fn codes_envelopes_outcomes_and_failed_polls_parse_once() {
        let e = explain("insufficient_credits");
        assert_eq!(e.guidance.code, Some(ErrorCode::InsufficientCredits));
        let e = explain(
            r#"{"error":{"code":"INSUFFICIENT_CREDITS","message":"x","timestamp":"t","details":{"cost":11,"available":4}}}"#,
        );
        assert!(
            e.guidance.body.contains("needs 11 credits"),
            "{}",
            e.guidance.body
        );
        let e = explain(
            r#"{"id":"req_9","status":"failed","error":{"code":"INTERNAL_ERROR","message":"m"}}"#,
        );
        assert_eq!(e.guidance.code, Some(ErrorCode::InternalError));
        assert!(e.guidance.body.contains("req_9"));
        let e = explain(
            r#"{"outcome":"gave_up","runId":"req_5","externalId":null,"result":null,"error":{"code":"MAX_WAIT_EXCEEDED","message":"m","httpStatus":null,"requestId":null}}"#,
        );
        assert_eq!(e.input, InputKind::Outcome);
        assert_eq!(e.guidance.title, "Stopped waiting");
        assert_eq!(e.run_id.as_deref(), Some("req_5"));
    }
}
