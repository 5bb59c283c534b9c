//! Run history: one JSON file per run, written at every state change so `resume` works after
//! a crash. Holds the request log of the run; never the API key.

use std::path::{Path, PathBuf};

use super::{Paths, StoreError, lock_exclusive, write_atomic};
pub use crate::engine::record::{LoggedEvent, RunRecord};
use crate::engine::record::{RecordClaim, RecordStore, RecordStoreError};

/// The most of one run record read: its bodies are capped (the result at the client's 4 MB,
/// every other exchange at 64 KB), so a larger file is not one of ours — the same bound as a
/// bundle's record part.
pub const RECORD_FILE_CAP: u64 = 64 * 1024 * 1024;

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
        let text = match crate::capped::read_file(&path, RECORD_FILE_CAP) {
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

    /// Locks a record for one job (across processes): `Ok(None)` when another holds it.
    pub fn lock(&self, local_id: &str) -> Result<Option<RecordLock>, StoreError> {
        let path = self.file(local_id)?.with_extension("lock");
        Ok(lock_exclusive(&path)?.map(|file| RecordLock { _file: file }))
    }

    /// Removes a record.
    pub fn delete(&self, local_id: &str) -> Result<(), StoreError> {
        let path = self.file(local_id)?;
        std::fs::remove_file(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::NotFound(local_id.to_string()),
            _ => StoreError::io(&path, e),
        })?;
        // The lock file, if any, goes too (a missing one is fine).
        let _ = std::fs::remove_file(path.with_extension("lock"));
        Ok(())
    }
}

impl History {
    /// This history as the engine saves runs through it.
    pub fn records(&self) -> crate::engine::Records {
        std::sync::Arc::new(self.clone())
    }
}

impl RecordStore for History {
    fn save(&self, record: &RunRecord) -> Result<(), RecordStoreError> {
        History::save(self, record).map_err(|e| RecordStoreError(e.to_string()))
    }

    fn find_by_run_id(&self, run_id: &str) -> Result<Option<RunRecord>, RecordStoreError> {
        History::find_by_run_id(self, run_id).map_err(|e| RecordStoreError(e.to_string()))
    }

    fn load(&self, local_id: &str) -> Result<Option<RunRecord>, RecordStoreError> {
        match History::load(self, local_id) {
            Ok(r) => Ok(Some(r)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(RecordStoreError(e.to_string())),
        }
    }

    fn claim(&self, local_id: &str) -> Result<Option<RecordClaim>, RecordStoreError> {
        History::lock(self, local_id)
            .map(|l| l.map(|l| Box::new(l) as RecordClaim))
            .map_err(|e| RecordStoreError(e.to_string()))
    }
}

/// An exclusive lock on one record, held by the one job that follows it. The operating
/// system drops it when the process ends, so a crash never leaves a stale lock.
#[derive(Debug)]
pub struct RecordLock {
    _file: std::fs::File,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::JobEvent;
    use chrono::Utc;

    #[test]
    fn a_record_grown_past_its_cap_is_refused_and_listed_as_a_problem() {
        let dir = tempfile::tempdir().expect("tempdir");
        let h = History::in_dir(dir.path().join("history"));
        let r = RunRecord::new(Utc::now());
        h.save(&r).expect("save");
        // Trailing whitespace is valid JSON: without the cap the record would still parse.
        let path = h.file(&r.local_id).expect("path");
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("open");
        std::io::Write::write_all(&mut f, &vec![b' '; RECORD_FILE_CAP as usize]).expect("grow");
        drop(f);
        let e = h.load(&r.local_id).expect_err("over the cap");
        assert!(e.to_string().contains("larger than 64 MB"), "{e}");
        let (all, problems) = h.list().expect("list");
        assert!(all.is_empty());
        assert_eq!(problems.len(), 1, "reported, not read whole: {problems:?}");
    }

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
        // One job per record: a second lock on the same record is refused until the first
        // is dropped.
        let first = h.lock(&b.local_id).expect("lock").expect("free");
        assert!(h.lock(&b.local_id).expect("lock").is_none(), "held");
        drop(first);
        assert!(h.lock(&b.local_id).expect("lock").is_some(), "released");
        std::fs::write(h.dir().join("broken.json"), "{").expect("write");
        let (all, problems) = h.list().expect("list");
        assert_eq!(all.len(), 1);
        assert_eq!(problems.len(), 1);
    }
}
