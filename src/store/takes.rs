//! Takes: every recording the app made or imported, so none is lost. One JSON file
//! (`<data>/takes.json`, versioned) lists each take with its file, where it came from, when,
//! how long it is, whether it was submitted, and which one is on the record screen. The files
//! themselves stay where they are: the app's own recordings in its recordings folder, imported
//! files wherever the person keeps them.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Paths, StoreError, write_atomic};

/// The format of `takes.json`; bump when a field changes meaning.
pub const TAKES_VERSION: u32 = 1;

/// The most takes kept in the list (the oldest submitted ones go first beyond it).
pub const MAX_TAKES: usize = 500;

/// Largest `takes.json` read (a list of 500 takes is a few hundred KB).
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Where a take came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TakeOrigin {
    /// Recorded in the app (the file is in the app's recordings folder).
    Recorded,
    /// Imported from a file the person chose.
    Imported,
}

/// One take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TakeEntry {
    /// Our id for it.
    pub id: String,
    /// The file recorded or picked (not the converted upload copy).
    pub path: PathBuf,
    /// Recorded or imported.
    pub origin: TakeOrigin,
    /// When the app made or imported it.
    pub created: DateTime<Utc>,
    /// Its length, when read.
    #[serde(default)]
    pub duration_ms: Option<u64>,
    /// A run was accepted for it at least once.
    #[serde(default)]
    pub submitted: bool,
    /// The language chosen for this take only, if any.
    #[serde(default)]
    pub language: Option<String>,
}

impl TakeEntry {
    /// A new take of `path`, not yet submitted.
    pub fn new(path: PathBuf, origin: TakeOrigin, created: DateTime<Utc>) -> TakeEntry {
        TakeEntry {
            id: uuid::Uuid::new_v4().to_string(),
            path,
            origin,
            created,
            duration_ms: None,
            submitted: false,
            language: None,
        }
    }

    /// The file name, for lists.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }
}

/// The list, as saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TakeList {
    /// [`TAKES_VERSION`] when written.
    pub version: u32,
    /// The take on the record screen, by id.
    #[serde(default)]
    pub current: Option<String>,
    /// Newest first.
    #[serde(default)]
    pub takes: Vec<TakeEntry>,
}

impl Default for TakeList {
    fn default() -> Self {
        TakeList {
            version: TAKES_VERSION,
            current: None,
            takes: Vec::new(),
        }
    }
}

impl TakeList {
    /// The take on the record screen.
    pub fn current(&self) -> Option<&TakeEntry> {
        let id = self.current.as_deref()?;
        self.get(id)
    }

    /// A take by id.
    pub fn get(&self, id: &str) -> Option<&TakeEntry> {
        self.takes.iter().find(|t| t.id == id)
    }

    /// The take of a file, if it is listed.
    pub fn find_path(&self, path: &Path) -> Option<&TakeEntry> {
        self.takes.iter().find(|t| t.path == path)
    }

    /// Lists the take of `path` (once: a file already listed keeps its entry) and makes it
    /// the current one; returns its id.
    pub fn add_current(&mut self, path: PathBuf, origin: TakeOrigin, now: DateTime<Utc>) -> String {
        let id = match self.find_path(&path) {
            Some(t) => t.id.clone(),
            None => {
                let entry = TakeEntry::new(path, origin, now);
                let id = entry.id.clone();
                self.takes.insert(0, entry);
                self.trim();
                id
            }
        };
        self.current = Some(id.clone());
        id
    }

    /// Changes a take in place.
    pub fn update(&mut self, id: &str, change: impl FnOnce(&mut TakeEntry)) {
        if let Some(t) = self.takes.iter_mut().find(|t| t.id == id) {
            change(t);
        }
    }

    /// Forgets a take (the file is the caller's business).
    pub fn remove(&mut self, id: &str) -> Option<TakeEntry> {
        let i = self.takes.iter().position(|t| t.id == id)?;
        if self.current.as_deref() == Some(id) {
            self.current = None;
        }
        Some(self.takes.remove(i))
    }

    /// Beyond [`MAX_TAKES`], the oldest submitted takes leave the list (never an unsubmitted
    /// one, never the current one).
    fn trim(&mut self) {
        while self.takes.len() > MAX_TAKES {
            let current = self.current.clone();
            let Some(i) = self
                .takes
                .iter()
                .rposition(|t| t.submitted && current.as_deref() != Some(t.id.as_str()))
            else {
                return;
            };
            self.takes.remove(i);
        }
    }
}

/// Where the list lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Takes {
    file: PathBuf,
}

impl Takes {
    /// The list under `paths`.
    pub fn new(paths: &Paths) -> Takes {
        Takes {
            file: paths.data_dir.join("takes.json"),
        }
    }

    /// The file.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Reads the list; no file yet is an empty list.
    pub fn load(&self) -> Result<TakeList, StoreError> {
        let text = match crate::capped::read_file(&self.file, MAX_FILE_BYTES) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TakeList::default()),
            Err(e) => return Err(StoreError::io(&self.file, e)),
        };
        let list: TakeList = serde_json::from_str(&text).map_err(|e| StoreError::Parse {
            path: self.file.clone(),
            message: e.to_string(),
        })?;
        if list.version > TAKES_VERSION {
            return Err(StoreError::Parse {
                path: self.file.clone(),
                message: format!(
                    "written by a newer version of the app (format {}, this app reads {TAKES_VERSION})",
                    list.version
                ),
            });
        }
        Ok(list)
    }

    /// Writes the list (atomically; owner-only, as file names can name candidates).
    pub fn save(&self, list: &TakeList) -> Result<(), StoreError> {
        let mut list = list.clone();
        list.version = TAKES_VERSION;
        let bytes = serde_json::to_vec_pretty(&list).map_err(|e| StoreError::Parse {
            path: self.file.clone(),
            message: e.to_string(),
        })?;
        write_atomic(&self.file, &bytes, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_take_is_listed_once_and_survives_a_save() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Takes::new(&Paths::under(dir.path().to_path_buf()));
        assert_eq!(store.load().expect("empty"), TakeList::default());
        let mut list = TakeList::default();
        let a = list.add_current("/r/a.wav".into(), TakeOrigin::Recorded, Utc::now());
        let b = list.add_current("/x/b.mp3".into(), TakeOrigin::Imported, Utc::now());
        assert_eq!(list.current.as_deref(), Some(b.as_str()));
        // The same file again is the same take.
        assert_eq!(
            list.add_current("/r/a.wav".into(), TakeOrigin::Recorded, Utc::now()),
            a
        );
        assert_eq!(list.takes.len(), 2);
        list.update(&a, |t| t.submitted = true);
        store.save(&list).expect("save");
        let back = store.load().expect("load");
        assert_eq!(back, list);
        assert_eq!(back.current().map(|t| t.id.as_str()), Some(a.as_str()));
        assert!(back.get(&a).is_some_and(|t| t.submitted));
        let mut back = back;
        back.remove(&a);
        assert_eq!(back.current, None, "removing the current take clears it");
    }

    #[test]
    fn todays_file_reads_and_a_newer_format_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Takes::new(&Paths::under(dir.path().to_path_buf()));
        std::fs::create_dir_all(dir.path().join("data")).expect("dir");
        std::fs::write(
            store.file(),
            r#"{"version":1,"current":"t1","takes":[{"id":"t1","path":"/r/take.wav",
               "origin":"recorded","created":"2026-11-25T10:00:00Z","durationMs":200000,
               "submitted":false}]}"#,
        )
        .expect("write");
        let list = store.load().expect("today's format");
        assert_eq!(list.current().map(|t| t.duration_ms), Some(Some(200_000)));
        std::fs::write(store.file(), r#"{"version":99,"takes":[]}"#).expect("write");
        assert!(store.load().is_err(), "a newer format is not misread");
    }

    #[test]
    fn only_submitted_takes_leave_a_full_list() {
        let mut list = TakeList::default();
        for i in 0..MAX_TAKES + 3 {
            let id = list.add_current(
                format!("/r/{i}.wav").into(),
                TakeOrigin::Recorded,
                Utc::now(),
            );
            if i % 2 == 0 {
                list.update(&id, |t| t.submitted = true);
            }
        }
        assert_eq!(list.takes.len(), MAX_TAKES);
        assert!(
            list.find_path(Path::new("/r/1.wav")).is_some(),
            "unsubmitted kept"
        );
        assert!(
            list.find_path(Path::new("/r/0.wav")).is_none(),
            "oldest submitted went"
        );
    }
}
