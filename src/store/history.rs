//! Run history: one JSON file per run, written at every state change so `resume` works after
//! a crash. Holds the request log of the run; never the API key.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Paths, StoreError, write_atomic};
use crate::engine::events::JobEvent;
use crate::engine::outcome::Outcome;
use crate::engine::reqlog::Exchange;

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
    /// (`engine::job::spawn_resume_record`).
    pub fn is_unfinished(&self) -> bool {
        use crate::engine::outcome::{OutcomeKind, local_codes};
        match &self.run_id {
            Some(_) => self.outcome.as_ref().is_none_or(|o| o.is_resumable()),
            None => {
                let open = self.outcome.as_ref().is_none_or(|o| {
                    let not_submitted = o
                        .error
                        .as_ref()
                        .is_some_and(|e| e.code.as_str() == local_codes::NOT_SUBMITTED);
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

/// The history directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    dir: PathBuf,
}

fn safe_file_stem(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl History {
    /// The history under `paths`.
    pub fn new(paths: &Paths) -> History {
        History {
            dir: paths.history_dir(),
        }
    }

    /// The history in a given directory.
    pub fn in_dir(dir: PathBuf) -> History {
        History { dir }
    }

    /// Where the files are.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self, local_id: &str) -> Result<PathBuf, StoreError> {
        if !safe_file_stem(local_id) {
            return Err(StoreError::NotFound(local_id.to_string()));
        }
        Ok(self.dir.join(format!("{local_id}.json")))
    }

    /// Writes a record (atomically; owner-only, since bodies hold candidate data).
    pub fn save(&self, record: &RunRecord) -> Result<(), StoreError> {
        let path = self.file(&record.local_id)?;
        let bytes = serde_json::to_vec_pretty(record).map_err(|e| StoreError::Parse {
            path: path.clone(),
            message: e.to_string(),
        })?;
        write_atomic(&path, &bytes, true)
    }

    /// Reads one record.
    pub fn load(&self, local_id: &str) -> Result<RunRecord, StoreError> {
        let path = self.file(local_id)?;
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotFound(local_id.to_string()));
            }
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        serde_json::from_str(&text).map_err(|e| StoreError::Parse {
            path,
            message: e.to_string(),
        })
    }

    /// Every readable record, newest first. Unreadable files are skipped (and reported).
    pub fn list(&self) -> Result<(Vec<RunRecord>, Vec<StoreError>), StoreError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Vec::new(), Vec::new()));
            }
            Err(e) => return Err(StoreError::io(&self.dir, e)),
        };
        let mut records = Vec::new();
        let mut problems = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            match self.load(stem) {
                Ok(r) => records.push(r),
                Err(e) => problems.push(e),
            }
        }
        records.sort_by_key(|r| std::cmp::Reverse(r.created));
        Ok((records, problems))
    }

    /// The newest record for a service run id.
    pub fn find_by_run_id(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        let (records, _) = self.list()?;
        Ok(records
            .into_iter()
            .find(|r| r.run_id.as_deref() == Some(run_id)))
    }

    /// Removes a record.
    pub fn delete(&self, local_id: &str) -> Result<(), StoreError> {
        let path = self.file(local_id)?;
        std::fs::remove_file(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::NotFound(local_id.to_string()),
            _ => StoreError::io(&path, e),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_list_find_delete() {
        let dir = tempfile::tempdir().expect("tempdir");
        let h = History::in_dir(dir.path().join("history"));
        assert!(h.list().expect("list").0.is_empty());
        let mut a = RunRecord::new(Utc::now() - chrono::Duration::seconds(10));
        a.run_id = Some("req_a".into());
        a.events.push(LoggedEvent {
            at: Utc::now(),
            event: JobEvent::Processing,
        });
        let b = RunRecord::new(Utc::now());
        h.save(&a).expect("save a");
        h.save(&b).expect("save b");
        let (all, problems) = h.list().expect("list");
        assert!(problems.is_empty());
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].local_id, b.local_id, "newest first");
        let found = h.find_by_run_id("req_a").expect("find").expect("some");
        assert_eq!(found, a);
        assert!(found.is_unfinished());
        assert!(!b.is_unfinished(), "no run id yet");
        h.delete(&a.local_id).expect("delete");
        assert!(matches!(h.load(&a.local_id), Err(StoreError::NotFound(_))));
        assert!(h.load("../etc/passwd").is_err(), "ids are not paths");
        std::fs::write(h.dir().join("broken.json"), "{").expect("write");
        let (all, problems) = h.list().expect("list");
        assert_eq!(all.len(), 1);
        assert_eq!(problems.len(), 1);
    }
}
