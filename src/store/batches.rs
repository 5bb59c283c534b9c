//! The state of batches: one JSON file per batch (`<data>/batches/<id>.json`), written
//! atomically at every change of a row, owner-only (rows name candidates' files), and a lock
//! file per batch so one process at a time runs it. Implements the engine's
//! [`BatchStore`].

use std::path::{Path, PathBuf};

use super::{Paths, StoreError, lock_exclusive, write_atomic};
use crate::engine::batch::{BatchState, BatchStore, is_batch_id};
use crate::engine::record::{RecordClaim, RecordStoreError};

/// A saved batch is at most this big (a row is a few hundred bytes; 100 000 rows fit).
pub const BATCH_FILE_CAP: u64 = 64 * 1024 * 1024;

/// The batches directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batches {
    dir: PathBuf,
}

impl Batches {
    /// The batches under `paths` (next to the history).
    pub fn new(paths: &Paths) -> Batches {
        Batches {
            dir: paths.data_dir.join("batches"),
        }
    }

    /// The batches in a given directory.
    pub fn in_dir(dir: PathBuf) -> Batches {
        Batches { dir }
    }

    /// Where the files are.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self, id: &str) -> Result<PathBuf, StoreError> {
        if !is_batch_id(id) {
            return Err(StoreError::NotFound(id.to_string()));
        }
        Ok(self.dir.join(format!("{id}.json")))
    }

    /// Writes a batch.
    pub fn save(&self, batch: &BatchState) -> Result<(), StoreError> {
        let path = self.file(&batch.id)?;
        let bytes = serde_json::to_vec_pretty(batch).map_err(|e| StoreError::Parse {
            path: path.clone(),
            message: e.to_string(),
        })?;
        write_atomic(&path, &bytes, true)
    }

    /// Reads a batch; `Ok(None)` when there is none with this id.
    pub fn load(&self, id: &str) -> Result<Option<BatchState>, StoreError> {
        use std::io::Read as _;
        let path = self.file(id)?;
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        let mut bytes = Vec::new();
        file.take(BATCH_FILE_CAP + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| StoreError::io(&path, e))?;
        if bytes.len() as u64 > BATCH_FILE_CAP {
            return Err(StoreError::Parse {
                path,
                message: format!("larger than {} MB", BATCH_FILE_CAP / (1024 * 1024)),
            });
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StoreError::Parse {
                path,
                message: e.to_string(),
            })
    }

    /// Locks a batch for this process: `Ok(None)` when another holds it.
    pub fn lock(&self, id: &str) -> Result<Option<std::fs::File>, StoreError> {
        lock_exclusive(&self.file(id)?.with_extension("lock"))
    }
}

impl BatchStore for Batches {
    fn save(&self, batch: &BatchState) -> Result<(), RecordStoreError> {
        Batches::save(self, batch).map_err(|e| RecordStoreError(e.to_string()))
    }

    fn load(&self, id: &str) -> Result<Option<BatchState>, RecordStoreError> {
        Batches::load(self, id).map_err(|e| RecordStoreError(e.to_string()))
    }

    fn claim(&self, id: &str) -> Result<Option<RecordClaim>, RecordStoreError> {
        Batches::lock(self, id)
            .map(|l| l.map(|f| Box::new(f) as RecordClaim))
            .map_err(|e| RecordStoreError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::batch::RowSpec;

    #[test]
    fn a_batch_round_trips_owner_only_and_one_process_holds_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Batches::in_dir(dir.path().join("batches"));
        assert_eq!(store.load("b1").expect("load"), None);
        let mut b = BatchState::new("b1", Some(PathBuf::from("/data/in")), None);
        b.reconcile(vec![RowSpec {
            file: PathBuf::from("/data/in/a.wav"),
            language: "en".into(),
            external_id: None,
            metadata: Some(r#"{"candidate":"c_1"}"#.into()),
        }]);
        store.save(&b).expect("save");
        assert_eq!(store.load("b1").expect("load"), Some(b.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(store.dir().join("b1.json"))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "owner-only: {mode:o}");
        }
        let held = store.lock("b1").expect("lock").expect("free");
        assert!(store.lock("b1").expect("lock").is_none(), "held");
        drop(held);
        assert!(store.lock("b1").expect("lock").is_some(), "released");
        assert!(store.load("../x").is_err(), "ids are not paths");
        std::fs::write(store.dir().join("b2.json"), "{").expect("write");
        assert!(
            store.load("b2").is_err(),
            "a broken file is an error, not a new batch"
        );
    }
}
