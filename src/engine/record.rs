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
    /// One record by its local id. A store that cannot look records up says there is none
    /// (the default): a batch then treats every row that had started as an upload that may
    /// have arrived, and looks it up by externalId before anything is sent again.
    fn load(&self, local_id: &str) -> Result<Option<RunRecord>, RecordStoreError> {
        let _ = local_id;
        Ok(None)
    }
    /// Claims a record for one job at a time (across processes): `Ok(None)` when another job
    /// already follows it. The claim ends when the returned value is dropped (or the process
    /// dies).
    fn claim(&self, local_id: &str) -> Result<Option<RecordClaim>, RecordStoreError>;
}

/// A shared record store, as jobs take it.
pub type Records = std::sync::Arc<dyn RecordStore>;

/// Held while a job follows a record; dropping it lets another process follow it.
pub type RecordClaim = Box<dyn std::any::Any + Send + Sync>;

/// The format written by this version. Records without `format` are format 1 (the first
/// release); every format ever written stays readable (`tests/formats.rs` reads fixtures).
pub const RECORD_FORMAT: u32 = 2;

fn format_one() -> u32 {
    1
}

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
    /// The record's format ([`RECORD_FORMAT`] when written by this version).
    #[serde(default = "format_one")]
    pub format: u32,
    /// Our id (a UUID), known before the service gives a run id.
    pub local_id: String,
    /// The service's run id, once accepted.
    pub run_id: Option<String>,
    pub external_id: Option<String>,
    /// The audio file submitted (any OS path, kept losslessly: see [`stored_path`]).
    #[serde(default, with = "stored_path")]
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
    /// The last poll body as received (the one copy of it in the record).
    pub final_body: Option<Value>,
    /// How the last job on this run ended; `None` while one is running (or crashed). Its
    /// `result` is not stored here (it is `final_body`): see [`RunRecord::full_outcome`].
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
            format: RECORD_FORMAT,
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

    /// Sets how the job ended, keeping the result body once (in `final_body`).
    pub fn set_outcome(&mut self, outcome: &Outcome) {
        if outcome.result.is_some() {
            self.final_body = outcome.result.clone();
        }
        self.outcome = Some(Outcome {
            result: None,
            ..outcome.clone()
        });
    }

    /// How the last job ended, with its result body.
    pub fn full_outcome(&self) -> Option<Outcome> {
        self.outcome.as_ref().map(|o| Outcome {
            result: o.result.clone().or_else(|| self.final_body.clone()),
            ..o.clone()
        })
    }

    /// An upload was started for this record (and its run id never learned).
    pub fn upload_may_have_arrived(&self) -> bool {
        self.run_id.is_none() && self.external_id.is_some() && self.upload_started.is_some()
    }
}

/// Paths in records round-trip any OS path: valid Unicode is written as a string (as format 1
/// did); anything else as `{"lossy": "…", "unixBytesHex": "…"}` so it can be rebuilt exactly.
pub mod stored_path {
    use std::path::PathBuf;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Text(String),
        #[serde(rename_all = "camelCase")]
        Raw {
            lossy: String,
            #[serde(default)]
            unix_bytes_hex: Option<String>,
        },
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(text: &str) -> Option<Vec<u8>> {
        if !text.len().is_multiple_of(2) {
            return None;
        }
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
            .collect()
    }

    /// Writes a path (see the module docs).
    pub fn serialize<S: Serializer>(path: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
        let Some(path) = path else {
            return s.serialize_none();
        };
        if let Some(text) = path.to_str() {
            return s.serialize_some(&Stored::Text(text.to_string()));
        }
        #[cfg(unix)]
        let unix_bytes_hex = {
            use std::os::unix::ffi::OsStrExt as _;
            Some(hex(path.as_os_str().as_bytes()))
        };
        #[cfg(not(unix))]
        let unix_bytes_hex = None;
        s.serialize_some(&Stored::Raw {
            lossy: path.to_string_lossy().into_owned(),
            unix_bytes_hex,
        })
    }

    /// Reads a path written by any format.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PathBuf>, D::Error> {
        let stored = Option::<Stored>::deserialize(d)?;
        Ok(stored.map(|s| match s {
            Stored::Text(t) => PathBuf::from(t),
            Stored::Raw {
                lossy,
                unix_bytes_hex,
            } => {
                #[cfg(unix)]
                if let Some(bytes) = unix_bytes_hex.as_deref().and_then(unhex) {
                    use std::os::unix::ffi::OsStringExt as _;
                    return PathBuf::from(std::ffi::OsString::from_vec(bytes));
                }
                #[cfg(not(unix))]
                let _ = (unix_bytes_hex, unhex);
                PathBuf::from(lossy)
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn any_os_path_round_trips() {
        use std::os::unix::ffi::OsStringExt as _;
        let odd = PathBuf::from(std::ffi::OsString::from_vec(
            b"/tmp/take-\xff\xfe.wav".to_vec(),
        ));
        assert!(odd.to_str().is_none(), "the test needs a non-UTF-8 path");
        let mut r = RunRecord::new(Utc::now());
        r.file = Some(odd.clone());
        let json = serde_json::to_string(&r).expect("a non-UTF-8 path serializes");
        let back: RunRecord = serde_json::from_str(&json).expect("and reads back");
        assert_eq!(back.file, Some(odd));
        r.file = Some(PathBuf::from("/home/ana/interview.wav"));
        let json = serde_json::to_value(&r).expect("json");
        assert_eq!(
            json["file"], "/home/ana/interview.wav",
            "plain paths stay strings"
        );
    }

    #[test]
    fn the_result_is_stored_once() {
        let mut r = RunRecord::new(Utc::now());
        let body = serde_json::json!({"id": "req_1", "status": "success", "big": "x".repeat(1000)});
        r.set_outcome(&Outcome {
            kind: OutcomeKind::Success,
            run_id: Some("req_1".into()),
            external_id: None,
            local_id: None,
            result: Some(body.clone()),
            error: None,
        });
        let json = serde_json::to_string(&r).expect("json");
        assert_eq!(
            json.matches(&"x".repeat(1000)).count(),
            1,
            "one copy of the body"
        );
        assert_eq!(r.full_outcome().and_then(|o| o.result), Some(body));
    }
}
