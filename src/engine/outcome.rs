//! How a job ended, and its `--json` form (DESIGN.md, "Headless CLI contract").

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::codes::ErrorCode;

/// The kind of ending. Serialized in snake_case: `success`, `gave_up`, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// All scores produced.
    Success,
    /// Some scores produced (still a result; exit 0).
    Partial,
    /// The run ended `status: failed`.
    Failed,
    /// The API refused a request (4xx); nothing will change by retrying.
    Rejected,
    /// The time budget or the retries ran out, or the service was unreachable.
    GaveUp,
    /// A local check failed; nothing was sent.
    InvalidInput,
    /// The person (or SIGINT) stopped the job; the run, if any, can be resumed.
    Cancelled,
    /// The job itself broke inside this app (a bug, e.g. a panic): never reported as
    /// `cancelled`; the run, if any, can be resumed.
    InternalError,
}

impl OutcomeKind {
    /// The wire word, as in `--json`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Success => "success",
            OutcomeKind::Partial => "partial",
            OutcomeKind::Failed => "failed",
            OutcomeKind::Rejected => "rejected",
            OutcomeKind::GaveUp => "gave_up",
            OutcomeKind::InvalidInput => "invalid_input",
            OutcomeKind::Cancelled => "cancelled",
            OutcomeKind::InternalError => "internal_error",
        }
    }
}

/// The error of an outcome: from an envelope, a failed run, a local check or the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeError {
    /// The code verbatim (documented or not); local situations have a
    /// [`crate::api::LocalCode`] (`NETWORK_ERROR`, `MAX_WAIT_EXCEEDED`, …).
    #[serde(with = "crate::api::codes::ours")]
    pub code: ErrorCode,
    pub message: String,
    /// The HTTP status of the response that carried the error (absent for failed runs,
    /// local checks and network errors).
    pub http_status: Option<u16>,
    /// `error.requestId` when the server sent one: quote it to support.
    pub request_id: Option<String>,
    /// `error.details` (e.g. cost/available on INSUFFICIENT_CREDITS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    #[serde(rename = "outcome")]
    pub kind: OutcomeKind,
    pub run_id: Option<String>,
    pub external_id: Option<String>,
    /// Our id for the run's history record: `speech-scorer resume <localId>` finishes a run
    /// whose id we never learned (an upload interrupted before its answer).
    #[serde(default)]
    pub local_id: Option<String>,
    /// The last poll body, exactly as received (parsed as JSON).
    pub result: Option<Value>,
    pub error: Option<OutcomeError>,
}

impl Outcome {
    /// The one JSON object `--json` prints.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// True when the job ended without a final answer for an existing run, so `resume`
    /// can still finish it.
    pub fn is_resumable(&self) -> bool {
        self.run_id.is_some()
            && matches!(
                self.kind,
                OutcomeKind::Cancelled | OutcomeKind::GaveUp | OutcomeKind::InternalError
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_follows_the_cli_contract() {
        let o = Outcome {
            kind: OutcomeKind::Rejected,
            run_id: None,
            external_id: Some("ss-1".into()),
            local_id: None,
            result: None,
            error: Some(OutcomeError {
                code: ErrorCode::InsufficientCredits,
                message: "Insufficient credits".into(),
                http_status: Some(402),
                request_id: Some("req_1_a".into()),
                details: None,
            }),
        };
        let v = o.to_json();
        assert_eq!(v["outcome"], "rejected");
        assert_eq!(v["runId"], Value::Null);
        assert_eq!(v["externalId"], "ss-1");
        assert_eq!(v["error"]["code"], "INSUFFICIENT_CREDITS");
        assert_eq!(v["error"]["httpStatus"], 402);
        assert_eq!(v["error"]["requestId"], "req_1_a");
        let back: Outcome = serde_json::from_value(v).expect("round trip");
        assert_eq!(back, o);
    }
}
