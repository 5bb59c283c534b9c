//! Finding a run: in the local history (by the service's run id or our local id), and on the
//! service with the configured key (one poll by id, or the runs list by externalId / status /
//! date range). Remote look-ups return the whole body for a tree view with raw JSON beside it.

use serde_json::Value;

use super::SupportError;
use crate::api::client::{ApiClient, RunsFilter};
use crate::api::error::ApiError;
use crate::store::{History, RunRecord};

/// The newest history record whose service run id or local id is `id`.
pub fn find_local(history: &History, id: &str) -> Result<RunRecord, SupportError> {
    if let Some(r) = history.find_by_run_id(id)? {
        return Ok(r);
    }
    match history.load(id) {
        Ok(r) => Ok(r),
        Err(crate::store::StoreError::NotFound(_)) => Err(SupportError::NotFound(id.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// What a remote look-up found: the HTTP status and the body as JSON (or text), or why not.
#[derive(Debug, Clone, PartialEq)]
pub struct LookupResult {
    /// What was asked, e.g. `GET /api/v1/speech/analyze/req_1`.
    pub request: String,
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// The body as JSON when it parses, else as a JSON string.
    pub body: Value,
    /// The error in words, when the call failed.
    pub error: Option<String>,
}

fn body_value(text: Option<&str>) -> Value {
    match text {
        Some(t) => serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_string())),
        None => Value::Null,
    }
}

fn error_text(e: &ApiError) -> String {
    e.to_string()
}

/// One poll of a run by id.
pub async fn poll_run(client: &ApiClient, run_id: &str) -> LookupResult {
    let reply = client.poll(run_id).await;
    LookupResult {
        request: format!("{} {}", reply.facts.method, reply.facts.path),
        status: reply.facts.status,
        body: body_value(reply.facts.body.as_deref()),
        error: reply.result.err().as_ref().map(error_text),
    }
}

/// The runs list with a filter (externalId, status, created after / before).
pub async fn list_runs(client: &ApiClient, filter: &RunsFilter) -> LookupResult {
    let reply = client.runs(filter).await;
    LookupResult {
        request: format!("{} {}", reply.facts.method, reply.facts.path),
        status: reply.facts.status,
        body: body_value(reply.facts.body.as_deref()),
        error: reply.result.err().as_ref().map(error_text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn finds_by_run_id_or_local_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        let h = History::in_dir(dir.path().to_path_buf());
        let mut r = RunRecord::new(Utc::now());
        r.run_id = Some("req_42".into());
        h.save(&r).expect("save");
        assert_eq!(
            find_local(&h, "req_42").expect("by run id").local_id,
            r.local_id
        );
        assert_eq!(
            find_local(&h, &r.local_id).expect("by local id").run_id,
            r.run_id
        );
        assert!(matches!(
            find_local(&h, "req_nope"),
            Err(SupportError::NotFound(_))
        ));
    }

    #[test]
    fn bodies_that_are_not_json_are_kept_as_text() {
        assert_eq!(body_value(Some("{\"a\":1}"))["a"], 1);
        assert_eq!(body_value(Some("<html>")), Value::String("<html>".into()));
        assert_eq!(body_value(None), Value::Null);
    }
}
