//! The run record: everything kept about one run while it goes and after it ends, and the
//! resume rules read from it. The engine writes it at every state change through a
//! [`RecordStore`] (the app's history in `store` implements it), so `resume` works after a
//! crash. It never holds the API key.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::events::JobEvent;
use super::outcome::{Outcome, OutcomeKind};
use super::reqlog::Exchange;

/// Why a record could not be saved or read, in words (the store has its own typed errors;
/// the engine only reports them).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RecordStoreError(pub String);

/// Where the engine keeps run records. Implemented by `store::History`; tests may use an
/// in-memory one.
pub trait RecordStore: Send + Sync + std::fmt::Debug {
    /// Writes a record (replacing the one with the same `local_id`).
    fn save(&self, record: &RunRecord) -> Result<(), RecordStoreError>;
    /// The newest record for a service run id.
    fn find_by_run_id(&self, run_id: &str) -> Result<Option<RunRecord>, RecordStoreError>;
}

/// A shared record store, as jobs take it.
pub type Records = std::sync::Arc<dyn RecordStore>;

/// A job event with the time it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedEvent {
    pub at: DateTime<Utc>,
    pub event: JobEvent,
}

/// Everything kept about one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    /// Our id (a UUID), known before the service gives a run id.
    pub local_id: String,
    /// The service's run id, once accepted.
    pub run_id: Option<String>,
    pub external_id: Option<String>,
    /// The audio file submitted.
    pub file: Option<PathBuf>,
    pub language: Option<String>,
    pub metadata: Option<Value>,
    /// Where it was sent (no key).
    pub base_url: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// When the service accepted the run (the poll schedule counts from here).
    pub accepted_at: Option<DateTime<Utc>>,
    /// When the first upload started: with no run id, the run may exist unbeknown to us.
    #[serde(default)]
    pub upload_started: Option<DateTime<Utc>>,
    /// The last status seen (`queued`, `processing`, `success`, ...).
    pub last_status: Option<String>,
    /// The last poll body as received.
    pub final_body: Option<Value>,
    /// How the last job on this run ended; `None` while one is running (or crashed).
    pub outcome: Option<Outcome>,
    /// The results came from the local simulator.
    #[serde(default)]
    pub simulated: bool,
    #[serde(default)]
    pub events: Vec<LoggedEvent>,
    #[serde(default)]
    pub exchanges: Vec<Exchange>,
}

impl RunRecord {
    /// A fresh record.
    pub fn new(now: DateTime<Utc>) -> RunRecord {
        RunRecord {
            local_id: uuid::Uuid::new_v4().to_string(),
            run_id: None,
            external_id: None,
            file: None,
            language: None,
            metadata: None,
            base_url: None,
            created: now,
            updated: now,
            accepted_at: None,
            upload_started: None,
            last_status: None,
            final_body: None,
            outcome: None,
            simulated: false,
            events: Vec::new(),
            exchanges: Vec::new(),
        }
    }

    /// True when there is something left to finish: the run exists on the service but no final
    /// answer was recorded, or the app stopped during an upload that may have created a run
    /// (findable by externalId). The app resumes these on start-up
    /// (`super::job::spawn_resume_record`).
    pub fn is_unfinished(&self) -> bool {
        use crate::api::codes::LocalCode;
        match &self.run_id {
            Some(_) => self.outcome.as_ref().is_none_or(|o| o.is_resumable()),
            None => {
                let open = self.outcome.as_ref().is_none_or(|o| {
                    let not_submitted = o
                        .error
                        .as_ref()
                        .is_some_and(|e| e.code.local() == Some(LocalCode::NotSubmitted));
                    matches!(o.kind, OutcomeKind::Cancelled | OutcomeKind::GaveUp) && !not_submitted
                });
                open && self.upload_may_have_arrived()
            }
        }
    }

    /// An upload was started for this record (and its run id never learned).
    pub fn upload_may_have_arrived(&self) -> bool {
        self.run_id.is_none() && self.external_id.is_some() && self.upload_started.is_some()
    }
}
