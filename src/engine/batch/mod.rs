//! A batch: many recordings scored within one account's budget ([`super::account`]), with
//! its state saved as it goes through a [`BatchStore`] (the app's `store::Batches`
//! implements it), so that running the same batch again resumes it:
//!
//! - rows the service gave a final answer (success, partial, failed) are skipped;
//! - rows whose run exists are polled, never resubmitted ([`Start::Record`] of the row's
//!   history record);
//! - rows whose upload may have reached the service are looked up by their externalId first
//!   (the look-up's "exactly ours" rule: [`super::job::is_ours`]), and submitted again only
//!   once the look-up proved nothing arrived;
//! - everything else is checked locally and submitted.
//!
//! Every row to submit is checked locally before anything is sent; an invalid row ends
//! `invalid_input` and the rest go on. Each row keeps a deterministic externalId
//! (`batch-<batch id>-<row>` unless the manifest gives one) so a rerun finds its runs.
//! Memory stays flat with the number of rows: a row is a few small strings, uploads stream
//! from disk, and at most [`super::MAX_ACTIVE_RUNS`] jobs exist at a time.

mod input;
mod scheduler;

pub use input::{AUDIO_EXTENSIONS, MANIFEST_CAP, MAX_ROWS, parse_manifest, plan_rows, scan_dir};
pub use scheduler::run_batch;

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::account::Account;
use super::events::JobEvent;
use super::job::JobOptions;
use super::outcome::{Outcome, OutcomeError, OutcomeKind};
use super::record::{RecordClaim, RecordStoreError, Records, stored_path};
use crate::api::client::ApiClient;
use crate::api::codes::ErrorCode;
use crate::api::model::PollResponse;

/// The format of a saved batch written by this version.
pub const BATCH_FORMAT: u32 = 1;

/// What one row asks for (from a folder or a manifest line).
#[derive(Debug, Clone, PartialEq)]
pub struct RowSpec {
    /// The recording.
    pub file: PathBuf,
    /// ISO 639-1.
    pub language: String,
    /// The manifest's externalId; `batch-<batch id>-<row>` when `None`.
    pub external_id: Option<String>,
    /// Metadata as JSON text (checked locally; must be an object).
    pub metadata: Option<String>,
}

/// Where a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// Not started, or stopped before it ended (a rerun continues it).
    Pending,
    /// A job follows it now (or did, when the process died).
    Running,
    /// It ended (see [`BatchRow::ending`]).
    Done,
}

/// How a row ended, as kept in the batch (the full outcome is in the row's history record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RowEnding {
    pub outcome: OutcomeKind,
    /// The error code, verbatim, when there is one.
    pub code: Option<String>,
    pub message: Option<String>,
    /// Overall score and CEFR level of a success or partial.
    pub overall: Option<f64>,
    pub cefr: Option<String>,
    pub at: DateTime<Utc>,
}

impl RowEnding {
    fn from_outcome(o: &Outcome) -> RowEnding {
        let scores = o
            .result
            .clone()
            .and_then(|b| serde_json::from_value::<PollResponse>(b).ok())
            .and_then(|p| p.scores)
            .map(|s| s.overall());
        RowEnding {
            outcome: o.kind,
            code: o.error.as_ref().map(|e| e.code.to_string()),
            message: o.error.as_ref().map(|e| e.message.clone()),
            overall: scores.as_ref().and_then(|s| s.score),
            cefr: scores.and_then(|s| s.cefr),
            at: Utc::now(),
        }
    }
}

fn required_path<S: serde::Serializer>(p: &Path, s: S) -> Result<S::Ok, S::Error> {
    stored_path::serialize(&Some(p.to_path_buf()), s)
}

fn required_path_de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
    Ok(stored_path::deserialize(d)?.unwrap_or_default())
}

/// One recording of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchRow {
    /// 1-based, in the order rows were first seen; never reused.
    pub row: usize,
    #[serde(
        serialize_with = "required_path",
        deserialize_with = "required_path_de"
    )]
    pub file: PathBuf,
    pub language: String,
    pub external_id: String,
    /// The manifest gave the externalId (else it was made from the batch id and row).
    #[serde(default)]
    pub external_id_given: bool,
    pub metadata: Option<String>,
    /// The history record of the row's current job (set before the job starts).
    pub local_id: Option<String>,
    pub run_id: Option<String>,
    /// When the row's current submission was started (before any byte was sent).
    pub started_at: Option<DateTime<Utc>>,
    pub status: RowStatus,
    pub ending: Option<RowEnding>,
}

impl BatchRow {
    /// The service gave this row's run a final answer (success, partial, failed): a rerun
    /// skips it. Anything else (invalid, refused, gave up, stopped) is tried again, safely.
    pub fn is_final(&self) -> bool {
        self.status == RowStatus::Done
            && self.ending.as_ref().is_some_and(|e| {
                matches!(
                    e.outcome,
                    OutcomeKind::Success | OutcomeKind::Partial | OutcomeKind::Failed
                )
            })
    }

    /// The row's outcome as the results file has it, without the result body (that is in
    /// the history record).
    pub fn outcome(&self) -> Option<Outcome> {
        let e = self.ending.as_ref()?;
        Some(Outcome {
            kind: e.outcome,
            run_id: self.run_id.clone(),
            external_id: Some(self.external_id.clone()),
            local_id: self.local_id.clone(),
            result: None,
            error: e.code.as_ref().map(|c| OutcomeError {
                code: ErrorCode::parse(c),
                message: e.message.clone().unwrap_or_default(),
                http_status: None,
                request_id: None,
                details: None,
            }),
        })
    }

    fn key(&self) -> (PathBuf, Option<String>) {
        (
            self.file.clone(),
            self.external_id_given.then(|| self.external_id.clone()),
        )
    }
}

/// A batch and every row's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchState {
    pub format: u32,
    /// `[A-Za-z0-9_-]`, at most 64 characters (see [`batch_id`]).
    pub id: String,
    /// The folder or manifest it was made from.
    #[serde(default, with = "stored_path")]
    pub source: Option<PathBuf>,
    /// The service it runs against (no key).
    pub base_url: Option<String>,
    /// Where the front end writes its results.
    #[serde(default, with = "stored_path")]
    pub out_dir: Option<PathBuf>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub rows: Vec<BatchRow>,
}

/// How many rows are where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchCounts {
    pub rows: usize,
    pub pending: usize,
    pub running: usize,
    pub success: usize,
    pub partial: usize,
    pub failed: usize,
    pub rejected: usize,
    pub gave_up: usize,
    pub invalid_input: usize,
    pub cancelled: usize,
    pub internal_error: usize,
}

impl BatchCounts {
    /// Rows with an ending.
    pub fn done(&self) -> usize {
        self.success
            + self.partial
            + self.failed
            + self.rejected
            + self.gave_up
            + self.invalid_input
            + self.internal_error
    }
}

/// A batch id from where the batch comes from and where it goes: the same folder or manifest
/// against the same service is the same batch, so running the same command again resumes
/// it. `b` and 16 hex digits (FNV-1a, stable across versions and platforms).
pub fn batch_id(source: &Path, base_url: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(source.as_os_str().as_encoded_bytes());
    eat(b"\n");
    eat(base_url.trim_end_matches('/').as_bytes());
    format!("b{h:016x}")
}

/// True when `id` can name a batch (and a file): 1–64 of `[A-Za-z0-9_-]`.
pub fn is_batch_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl BatchState {
    /// An empty batch.
    pub fn new(id: impl Into<String>, source: Option<PathBuf>, base_url: Option<String>) -> Self {
        let now = Utc::now();
        BatchState {
            format: BATCH_FORMAT,
            id: id.into(),
            source,
            base_url,
            out_dir: None,
            created: now,
            updated: now,
            rows: Vec::new(),
        }
    }

    /// Brings the planned rows in. A planned row matches a known row with the same file and
    /// the same given externalId (a file listed twice matches twice, in order); known rows
    /// keep what they have, and those not started yet take the planned language and
    /// metadata. New rows are appended with the next row number and, without a given
    /// externalId, `batch-<id>-<row>`. Known rows no longer planned are dropped unless they
    /// started (their runs exist).
    pub fn reconcile(&mut self, planned: Vec<RowSpec>) {
        let mut known: HashMap<(PathBuf, Option<String>), VecDeque<usize>> = HashMap::new();
        for (i, r) in self.rows.iter().enumerate() {
            known.entry(r.key()).or_default().push_back(i);
        }
        let mut next_row = self.rows.iter().map(|r| r.row).max().unwrap_or(0) + 1;
        let mut keep = vec![false; self.rows.len()];
        let mut added = Vec::new();
        for spec in planned {
            let key = (spec.file.clone(), spec.external_id.clone());
            match known.get_mut(&key).and_then(VecDeque::pop_front) {
                Some(i) => {
                    keep[i] = true;
                    let row = &mut self.rows[i];
                    if row.local_id.is_none() && row.status != RowStatus::Done {
                        row.language = spec.language;
                        row.metadata = spec.metadata;
                    }
                }
                None => {
                    let (external_id, given) = match spec.external_id {
                        Some(e) => (e, true),
                        None => (format!("batch-{}-{next_row}", self.id), false),
                    };
                    added.push(BatchRow {
                        row: next_row,
                        file: spec.file,
                        language: spec.language,
                        external_id,
                        external_id_given: given,
                        metadata: spec.metadata,
                        local_id: None,
                        run_id: None,
                        started_at: None,
                        status: RowStatus::Pending,
                        ending: None,
                    });
                    next_row += 1;
                }
            }
        }
        let mut i = 0;
        self.rows.retain(|r| {
            let k = keep[i] || r.local_id.is_some() || r.run_id.is_some();
            i += 1;
            k
        });
        self.rows.extend(added);
    }

    /// How many rows are where.
    pub fn counts(&self) -> BatchCounts {
        let mut c = BatchCounts {
            rows: self.rows.len(),
            ..BatchCounts::default()
        };
        for r in &self.rows {
            match (r.status, r.ending.as_ref().map(|e| e.outcome)) {
                (RowStatus::Running, _) => c.running += 1,
                (RowStatus::Pending, _) | (RowStatus::Done, None) => c.pending += 1,
                (RowStatus::Done, Some(k)) => match k {
                    OutcomeKind::Success => c.success += 1,
                    OutcomeKind::Partial => c.partial += 1,
                    OutcomeKind::Failed => c.failed += 1,
                    OutcomeKind::Rejected => c.rejected += 1,
                    OutcomeKind::GaveUp => c.gave_up += 1,
                    OutcomeKind::InvalidInput => c.invalid_input += 1,
                    OutcomeKind::Cancelled => c.cancelled += 1,
                    OutcomeKind::InternalError => c.internal_error += 1,
                },
            }
        }
        c
    }

    /// True when every row has an ending (none pending, running or stopped).
    pub fn is_complete(&self) -> bool {
        self.rows.iter().all(|r| {
            r.status == RowStatus::Done
                && r.ending
                    .as_ref()
                    .is_some_and(|e| e.outcome != OutcomeKind::Cancelled)
        })
    }
}

/// Where batches are kept. Implemented by `store::Batches` (one JSON file per batch, written
/// atomically); tests may use an in-memory one.
pub trait BatchStore: Send + Sync + std::fmt::Debug {
    /// Writes a batch (replacing the one with the same id).
    fn save(&self, batch: &BatchState) -> Result<(), RecordStoreError>;
    /// A batch by id, if there is one.
    fn load(&self, id: &str) -> Result<Option<BatchState>, RecordStoreError>;
    /// Claims a batch for one process at a time: `Ok(None)` when another holds it. The claim
    /// ends when the returned value is dropped (or the process dies).
    fn claim(&self, id: &str) -> Result<Option<RecordClaim>, RecordStoreError>;
}

/// A shared batch store, as the scheduler takes it.
pub type Batches = Arc<dyn BatchStore>;

/// What a batch tells its front end.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchEvent {
    /// The rows to submit were checked locally; nothing has been sent yet.
    Checked {
        /// Rows in the batch.
        rows: usize,
        /// Rows that will run now (submitted, or continued from an earlier attempt).
        to_run: usize,
        /// Rows that failed the local checks.
        invalid: usize,
        /// Rows that ended in an earlier attempt and are skipped.
        done_before: usize,
    },
    /// A row's job started; `resumed` when it continues a run or an upload of an earlier
    /// attempt (polled or looked up, never submitted again).
    Started { row: usize, resumed: bool },
    /// One event of a row's job.
    Job { row: usize, event: JobEvent },
    /// A row ended; `earlier` when it ended in an earlier attempt (reported again so a
    /// results file can be written whole).
    Finished {
        row: usize,
        outcome: Outcome,
        earlier: bool,
    },
}

/// Where a batch sends its events. Called from the scheduler's task: keep it quick.
pub type BatchSink = Arc<dyn Fn(BatchEvent) + Send + Sync>;

/// Why a batch could not run.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// Another process is running this batch.
    #[error("batch {0} is already running in another process")]
    Busy(String),
    /// The batch was started against another service.
    #[error("batch {id} was started against {was}; run it against the same service")]
    OtherService { id: String, was: String },
}

/// What a batch runs with.
#[derive(Clone)]
pub struct BatchContext {
    pub client: ApiClient,
    /// The budget every row shares (its `max_active` is the batch's concurrency).
    pub account: Arc<Account>,
    /// Each row's job options (`max_wait` per row, `speed`); the account is set from
    /// `account`.
    pub options: JobOptions,
    pub records: Option<Records>,
    pub store: Option<Batches>,
    /// Where a row's file that cannot be uploaded as it is gets converted for upload (see
    /// [`JobSpec::work_dir`]); `None`: such a row is invalid.
    pub work_dir: Option<PathBuf>,
    pub sink: BatchSink,
    /// Stops the batch: no row starts, running rows stop and stay resumable.
    pub cancel: CancellationToken,
    /// While it reads `true`, no row starts; rows in flight go on (a front end's Pause).
    pub pause: Option<tokio::sync::watch::Receiver<bool>>,
}

/// The results file's line for a row: the `--json` outcome of `score` plus the row and file.
pub fn result_line(row: &BatchRow, outcome: &Outcome) -> Value {
    let mut v = outcome.to_json();
    if let Value::Object(map) = &mut v {
        map.insert("row".into(), Value::from(row.row));
        map.insert(
            "file".into(),
            Value::from(row.file.to_string_lossy().into_owned()),
        );
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(file: &str, ext: Option<&str>) -> RowSpec {
        RowSpec {
            file: PathBuf::from(file),
            language: "en".into(),
            external_id: ext.map(str::to_string),
            metadata: None,
        }
    }

    #[test]
    fn ids_are_stable_and_differ_by_source_and_service() {
        let a = batch_id(Path::new("/data/interviews"), "https://platform.zenhire.ai");
        assert_eq!(
            a,
            batch_id(
                Path::new("/data/interviews"),
                "https://platform.zenhire.ai/"
            )
        );
        assert_ne!(
            a,
            batch_id(Path::new("/data/interviews"), "http://127.0.0.1:4000")
        );
        assert_ne!(
            a,
            batch_id(Path::new("/data/other"), "https://platform.zenhire.ai")
        );
        assert!(is_batch_id(&a) && a.len() == 17, "{a}");
        assert!(!is_batch_id("../x") && !is_batch_id(""));
    }

    #[test]
    fn reconcile_keeps_known_rows_and_numbers_new_ones_after_them() {
        let mut b = BatchState::new("b1", None, None);
        b.reconcile(vec![
            spec("a.wav", None),
            spec("b.wav", None),
            spec("b.wav", Some("cand-7")),
        ]);
        let ids: Vec<_> = b.rows.iter().map(|r| r.external_id.as_str()).collect();
        assert_eq!(ids, ["batch-b1-1", "batch-b1-2", "cand-7"]);
        b.rows[0].local_id = Some("l1".into());
        b.rows[0].status = RowStatus::Running;
        // A new file sorted first, a.wav gone from the plan (but started), b.wav still there.
        b.reconcile(vec![
            spec("0.wav", None),
            spec("b.wav", None),
            spec("b.wav", Some("cand-7")),
        ]);
        let rows: Vec<_> = b
            .rows
            .iter()
            .map(|r| {
                (
                    r.row,
                    r.file.to_string_lossy().into_owned(),
                    r.external_id.clone(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (1, "a.wav".into(), "batch-b1-1".into()),
                (2, "b.wav".into(), "batch-b1-2".into()),
                (3, "b.wav".into(), "cand-7".into()),
                (4, "0.wav".into(), "batch-b1-4".into()),
            ]
        );
        // A row never started and no longer planned is dropped.
        b.reconcile(vec![spec("b.wav", Some("cand-7"))]);
        let left: Vec<_> = b.rows.iter().map(|r| r.row).collect();
        assert_eq!(left, [1, 3]);
    }

    #[test]
    fn only_a_services_final_answer_is_skipped_by_a_rerun() {
        let mut b = BatchState::new("b2", None, None);
        b.reconcile(vec![spec("a.wav", None)]);
        let row = &mut b.rows[0];
        for (kind, skipped) in [
            (OutcomeKind::Success, true),
            (OutcomeKind::Partial, true),
            (OutcomeKind::Failed, true),
            (OutcomeKind::Rejected, false),
            (OutcomeKind::GaveUp, false),
            (OutcomeKind::InvalidInput, false),
            (OutcomeKind::Cancelled, false),
            (OutcomeKind::InternalError, false),
        ] {
            row.status = RowStatus::Done;
            row.ending = Some(RowEnding {
                outcome: kind,
                code: None,
                message: None,
                overall: None,
                cefr: None,
                at: Utc::now(),
            });
            assert_eq!(row.is_final(), skipped, "{kind:?}");
        }
    }
}
