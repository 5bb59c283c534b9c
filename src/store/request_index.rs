//! An index of every request in the history, so one log of all runs can be searched without
//! reading every run record each time (issue 15.2).
//!
//! The history files stay the truth; the index is a cache beside them
//! (`<data dir>/request-index.jsonl`, owner-only): one JSON line per run with what a search
//! filters on for each of its exchanges. [`RequestIndex::sync`] brings it up to date by
//! comparing each history file's size and modification time with what the index saw, reading
//! only the records that changed, and appending their new lines (a later line for a run
//! replaces an earlier one; a run whose file is gone gets a `removed` line). When most lines
//! are stale the file is rewritten. A torn or unreadable line is skipped: the run it
//! described no longer matches and is read again, so the index heals itself — also when
//! another process (the CLI beside the app) saves runs meanwhile.

use std::collections::HashMap;
use std::io::{BufRead as _, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{History, Paths, StoreError, write_atomic};
use crate::engine::policy::Step;
use crate::engine::record::RunRecord;
use crate::engine::reqlog::Exchange;

/// The index's line format; lines of another format are ignored (and their runs re-read).
pub const INDEX_FORMAT: u32 = 1;
/// How much of a response body the index keeps for text search (the start of it).
pub const INDEXED_BODY_CHARS: usize = 2048;
/// The index file is never read past this; a larger one is rebuilt from the history.
pub const MAX_INDEX_BYTES: u64 = 512 * 1024 * 1024;

/// What a search needs of one exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexedExchange {
    /// Its position in the run's request log.
    pub index: usize,
    pub at: DateTime<Utc>,
    pub step: Step,
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub request_id: Option<String>,
    /// The run id this exchange concerns (its own, else the run's).
    #[serde(default)]
    pub run_id: Option<String>,
    /// Lower-case text the free-text search looks in: the decision, the error, and the
    /// start of the body ([`INDEXED_BODY_CHARS`]).
    #[serde(default)]
    pub text: String,
}

/// One run's line in the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexedRun {
    #[serde(default)]
    pub format: u32,
    pub local_id: String,
    /// The history file's size and modification time (ns since the epoch) when indexed.
    pub file_len: u64,
    pub file_mtime_ns: u128,
    /// The run's file is gone: forget it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
    #[serde(default)]
    pub run_id: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub created: Option<DateTime<Utc>>,
    #[serde(default)]
    pub simulated: bool,
    #[serde(default)]
    pub exchanges: Vec<IndexedExchange>,
}

fn indexed_exchange(i: usize, ex: &Exchange, run: &RunRecord) -> IndexedExchange {
    let mut text = String::new();
    for part in [
        ex.decision.as_str(),
        ex.error.as_deref().unwrap_or(""),
        ex.form
            .as_ref()
            .and_then(|f| f.metadata.as_deref())
            .unwrap_or(""),
    ] {
        if !part.is_empty() {
            text.push_str(part);
            text.push('\n');
        }
    }
    if let Some(body) = &ex.body {
        text.extend(body.chars().take(INDEXED_BODY_CHARS));
    }
    IndexedExchange {
        index: i,
        at: ex.at,
        step: ex.step,
        method: ex.method.clone(),
        path: ex.path.clone(),
        status: ex.status,
        code: ex.code.as_ref().map(|c| c.to_string()),
        request_id: ex.request_id.clone(),
        run_id: ex.run_id.clone().or_else(|| run.run_id.clone()),
        text: text.to_lowercase(),
    }
}

impl IndexedRun {
    /// The index line of `record`, read from a file of this size and time.
    pub fn of(record: &RunRecord, file_len: u64, file_mtime_ns: u128) -> IndexedRun {
        IndexedRun {
            format: INDEX_FORMAT,
            local_id: record.local_id.clone(),
            file_len,
            file_mtime_ns,
            removed: false,
            run_id: record.run_id.clone(),
            external_id: record.external_id.clone(),
            base_url: record.base_url.clone(),
            created: Some(record.created),
            simulated: record.simulated,
            exchanges: record
                .exchanges
                .iter()
                .enumerate()
                .map(|(i, e)| indexed_exchange(i, e, record))
                .collect(),
        }
    }
}

/// What a [`RequestIndex::sync`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncStats {
    /// Runs in the index now.
    pub runs: usize,
    /// Runs (re-)read from history because they were new or had changed.
    pub read: usize,
    /// Runs whose files were gone.
    pub removed: usize,
    /// History files that could not be read (skipped; they are tried again next time).
    pub unreadable: usize,
    /// The index file was rewritten (compacted or rebuilt).
    pub rewritten: bool,
}

#[derive(Debug, Default)]
struct Loaded {
    runs: HashMap<String, Arc<IndexedRun>>,
    /// Lines in the file (live and stale), to know when to compact.
    lines: usize,
}

/// The request index of one history.
#[derive(Debug)]
pub struct RequestIndex {
    history: History,
    file: PathBuf,
    loaded: Mutex<Option<Loaded>>,
}

fn stat(path: &Path) -> Option<(u64, u128)> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some((meta.len(), mtime))
}

fn read_lines(file: &Path) -> Result<Loaded, StoreError> {
    let f = match std::fs::File::open(file) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(e) => return Err(StoreError::io(file, e)),
    };
    let size = f.metadata().map_err(|e| StoreError::io(file, e))?.len();
    if size > MAX_INDEX_BYTES {
        tracing::warn!(
            "the request index {} is over {} MB; rebuilding it from the history",
            file.display(),
            MAX_INDEX_BYTES / (1024 * 1024)
        );
        return Ok(Loaded::default());
    }
    let mut loaded = Loaded::default();
    let reader = std::io::BufReader::new(f.take(MAX_INDEX_BYTES));
    for line in reader.split(b'\n') {
        let line = line.map_err(|e| StoreError::io(file, e))?;
        if line.is_empty() {
            continue;
        }
        loaded.lines += 1;
        // A torn or foreign line is skipped; its run is read again by the sync.
        let Ok(run) = serde_json::from_slice::<IndexedRun>(&line) else {
            continue;
        };
        if run.format != INDEX_FORMAT {
            continue;
        }
        if run.removed {
            loaded.runs.remove(&run.local_id);
        } else {
            loaded.runs.insert(run.local_id.clone(), Arc::new(run));
        }
    }
    Ok(loaded)
}

fn line_of(run: &IndexedRun) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(run).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

impl RequestIndex {
    /// The index of the history under `paths` (nothing is read until [`Self::sync`]).
    pub fn new(paths: &Paths) -> RequestIndex {
        RequestIndex::for_history(
            History::new(paths),
            paths.data_dir.join("request-index.jsonl"),
        )
    }

    /// The index of `history`, kept in `file`.
    pub fn for_history(history: History, file: PathBuf) -> RequestIndex {
        RequestIndex {
            history,
            file,
            loaded: Mutex::new(None),
        }
    }

    /// The history it indexes.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The index file.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Brings the index up to date with the history and returns every indexed run.
    pub fn sync(&self) -> Result<(Vec<Arc<IndexedRun>>, SyncStats), StoreError> {
        let mut guard = self.loaded.lock().map_err(|_| {
            StoreError::io(&self.file, std::io::Error::other("index lock poisoned"))
        })?;
        let loaded = match guard.take() {
            Some(l) => l,
            None => read_lines(&self.file)?,
        };
        let (loaded, stats) = self.refresh(loaded)?;
        let runs = loaded.runs.values().cloned().collect();
        *guard = Some(loaded);
        Ok((runs, stats))
    }

    fn refresh(&self, mut loaded: Loaded) -> Result<(Loaded, SyncStats), StoreError> {
        let mut stats = SyncStats::default();
        let dir = self.history.dir();
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => Some(e),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(StoreError::io(dir, e)),
        };
        let mut present: HashMap<String, (u64, u128)> = HashMap::new();
        for entry in entries.into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            if let Some(s) = stat(&path) {
                present.insert(stem.to_string(), s);
            }
        }
        let mut append: Vec<u8> = Vec::new();
        let mut appended_lines = 0usize;
        // Runs whose files are gone.
        let gone: Vec<String> = loaded
            .runs
            .keys()
            .filter(|id| !present.contains_key(*id))
            .cloned()
            .collect();
        for id in gone {
            if let Some(old) = loaded.runs.remove(&id) {
                append.extend(line_of(&IndexedRun {
                    removed: true,
                    exchanges: Vec::new(),
                    ..(*old).clone()
                }));
                appended_lines += 1;
                stats.removed += 1;
            }
        }
        // New and changed runs.
        let mut ids: Vec<&String> = present.keys().collect();
        ids.sort();
        for id in ids {
            let (len, mtime) = present[id];
            let fresh = loaded
                .runs
                .get(id)
                .is_some_and(|r| r.file_len == len && r.file_mtime_ns == mtime);
            if fresh {
                continue;
            }
            match self.history.load(id) {
                Ok(record) => {
                    let run = IndexedRun::of(&record, len, mtime);
                    append.extend(line_of(&run));
                    appended_lines += 1;
                    loaded.runs.insert(id.clone(), Arc::new(run));
                    stats.read += 1;
                }
                Err(e) => {
                    // Half-written by another process, or broken: tried again next time.
                    tracing::debug!("request index: skipping {id}: {e}");
                    stats.unreadable += 1;
                }
            }
        }
        stats.runs = loaded.runs.len();
        if appended_lines == 0 {
            return Ok((loaded, stats));
        }
        loaded.lines += appended_lines;
        // Mostly stale lines (every save of a running run adds one): rewrite it whole.
        if loaded.lines > 2 * loaded.runs.len() + 64 {
            let mut all: Vec<&Arc<IndexedRun>> = loaded.runs.values().collect();
            all.sort_by(|a, b| a.local_id.cmp(&b.local_id));
            let mut bytes = Vec::new();
            for r in &all {
                bytes.extend(line_of(r));
            }
            write_atomic(&self.file, &bytes, true)?;
            loaded.lines = all.len();
            stats.rewritten = true;
        } else {
            self.append(&append)?;
        }
        Ok((loaded, stats))
    }

    fn append(&self, bytes: &[u8]) -> Result<(), StoreError> {
        if let Some(dir) = self.file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true).read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            // Owner-only, like the history it indexes.
            opts.mode(0o600);
        }
        let mut f = opts
            .open(&self.file)
            .map_err(|e| StoreError::io(&self.file, e))?;
        let io = |e| StoreError::io(&self.file, e);
        // A line torn by a crash must not swallow the next one: start on a new line.
        let len = f.metadata().map_err(io)?.len();
        let mut out = Vec::with_capacity(bytes.len() + 1);
        if len > 0 {
            use std::io::Seek as _;
            let mut last = [0u8; 1];
            f.seek(std::io::SeekFrom::End(-1)).map_err(io)?;
            f.read_exact(&mut last).map_err(io)?;
            if last[0] != b'\n' {
                out.push(b'\n');
            }
        }
        out.extend_from_slice(bytes);
        // One write: lines from two processes do not interleave.
        f.write_all(&out).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(at: DateTime<Utc>, status: u16, body: &str) -> Exchange {
        serde_json::from_value(serde_json::json!({
            "at": at, "step": "poll", "method": "GET",
            "path": "/api/v1/speech/analyze/req_1", "status": status, "attempt": 1,
            "decision": "poll", "latencyMs": 5, "bytesSent": 0, "bytesReceived": 10,
            "body": body,
        }))
        .expect("exchange")
    }

    #[test]
    fn the_index_follows_new_changed_and_removed_runs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let history = History::in_dir(dir.path().join("history"));
        let index = RequestIndex::for_history(history.clone(), dir.path().join("index.jsonl"));
        let (runs, stats) = index.sync().expect("sync");
        assert!(runs.is_empty());
        assert_eq!(stats.read, 0);

        let mut a = RunRecord::new(Utc::now());
        a.exchanges
            .push(exchange(Utc::now(), 200, "{\"Status\":\"Processing\"}"));
        history.save(&a).expect("save");
        let (runs, stats) = index.sync().expect("sync");
        assert_eq!((runs.len(), stats.read), (1, 1));
        assert_eq!(
            runs[0].exchanges[0].text,
            "poll\n{\"status\":\"processing\"}"
        );
        // Nothing changed: nothing read.
        assert_eq!(index.sync().expect("sync").1.read, 0);

        // A new exchange in the same run is seen.
        a.exchanges.push(exchange(Utc::now(), 503, "{}"));
        history.save(&a).expect("save");
        let (runs, stats) = index.sync().expect("sync");
        assert_eq!(stats.read, 1);
        assert_eq!(runs[0].exchanges.len(), 2);

        // A fresh index object (another process) reads the file, not the history.
        let other = RequestIndex::for_history(history.clone(), dir.path().join("index.jsonl"));
        let (runs, stats) = other.sync().expect("sync");
        assert_eq!((runs.len(), stats.read), (1, 0));

        // A torn last line (a crash mid-append) is skipped and healed.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join("index.jsonl"))
            .expect("open");
        f.write_all(b"{\"format\":1,\"localId\":\"x")
            .expect("write");
        drop(f);
        let third = RequestIndex::for_history(history.clone(), dir.path().join("index.jsonl"));
        assert_eq!(third.sync().expect("sync").0.len(), 1);

        history.delete(&a.local_id).expect("delete");
        let (runs, stats) = index.sync().expect("sync");
        assert!(runs.is_empty());
        assert_eq!(stats.removed, 1);
        let fourth = RequestIndex::for_history(history, dir.path().join("index.jsonl"));
        assert!(
            fourth.sync().expect("sync").0.is_empty(),
            "removed for good"
        );
    }
}
