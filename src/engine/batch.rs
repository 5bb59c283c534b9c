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

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::account::Account;
use super::checks::check_without_converting;
use super::events::{EventSink, JobEvent};
use super::job::{self, JobOptions, JobSpec, Start};
use super::outcome::{Outcome, OutcomeError, OutcomeKind};
use super::policy::WaitReason;
use super::record::{RecordClaim, RecordStoreError, Records, RunRecord, stored_path};
use crate::api::client::ApiClient;
use crate::api::codes::{ErrorCode, LocalCode};
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
}

/// What a row does next.
enum Plan {
    /// Ended before; reported again.
    Done(Box<Outcome>),
    /// Checked locally, then submitted.
    Submit,
    /// Continued from its history record: polled, or looked up; never submitted.
    Continue(Box<RunRecord>),
}

/// A row's job, as the scheduler waits for it.
struct Ended {
    row: usize,
    outcome: Outcome,
    continued: bool,
}

/// Runs a batch to its end (or until cancelled), saving its state as it goes; returns the
/// final state.
pub async fn run_batch(mut state: BatchState, ctx: BatchContext) -> Result<BatchState, BatchError> {
    let _claim = claim(&ctx, &state.id).await?;
    let base_url = ctx.client.base_url().trim_end_matches('/').to_string();
    match &state.base_url {
        Some(was) if was.trim_end_matches('/') != base_url => {
            return Err(BatchError::OtherService {
                id: state.id.clone(),
                was: was.clone(),
            });
        }
        _ => state.base_url = Some(base_url),
    }
    let mut s = Scheduler {
        ctx,
        state,
        queue: VecDeque::new(),
    };
    s.plan().await;
    s.run().await;
    s.state.updated = Utc::now();
    s.save().await;
    Ok(s.state)
}

async fn claim(ctx: &BatchContext, id: &str) -> Result<Option<RecordClaim>, BatchError> {
    let Some(store) = ctx.store.clone() else {
        return Ok(None);
    };
    let id = id.to_string();
    let owned = id.clone();
    match tokio::task::spawn_blocking(move || store.claim(&owned)).await {
        Ok(Ok(Some(c))) => Ok(Some(c)),
        Ok(Ok(None)) => Err(BatchError::Busy(id)),
        Ok(Err(e)) => {
            tracing::warn!("could not lock batch {id}: {e}");
            Ok(None)
        }
        Err(e) => {
            tracing::warn!("could not lock batch {id}: {e}");
            Ok(None)
        }
    }
}

struct Scheduler {
    ctx: BatchContext,
    state: BatchState,
    /// Rows to start, by index into `state.rows`.
    queue: VecDeque<(usize, Plan)>,
}

impl Scheduler {
    fn emit(&self, e: BatchEvent) {
        (self.ctx.sink)(e);
    }

    async fn save(&mut self) {
        let Some(store) = self.ctx.store.clone() else {
            return;
        };
        self.state.updated = Utc::now();
        let snapshot = self.state.clone();
        match tokio::task::spawn_blocking(move || store.save(&snapshot)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("could not save the batch: {e}"),
            Err(e) => tracing::warn!("could not save the batch: {e}"),
        }
    }

    async fn load_record(&self, local_id: &str) -> Option<RunRecord> {
        let records = self.ctx.records.clone()?;
        let id = local_id.to_string();
        match tokio::task::spawn_blocking(move || records.load(&id)).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                tracing::warn!("could not read history record {local_id}: {e}");
                None
            }
            Err(e) => {
                tracing::warn!("could not read history record {local_id}: {e}");
                None
            }
        }
    }

    /// What a row does next, from the batch and its history record.
    async fn plan_row(&self, i: usize) -> Plan {
        let row = &self.state.rows[i];
        if row.is_final() {
            let record = match &row.local_id {
                Some(id) => self.load_record(id).await,
                None => None,
            };
            let outcome = record
                .and_then(|r| r.full_outcome())
                .filter(|o| o.kind == row.ending.as_ref().map_or(o.kind, |e| e.outcome))
                .or_else(|| row.outcome());
            if let Some(o) = outcome {
                return Plan::Done(Box::new(o));
            }
        }
        let Some(local_id) = row.local_id.clone() else {
            // Never started: nothing was sent.
            return Plan::Submit;
        };
        match self.load_record(&local_id).await {
            Some(record) => {
                let final_answer = record.run_id.is_some()
                    && record.outcome.as_ref().is_some_and(|o| {
                        matches!(
                            o.kind,
                            OutcomeKind::Success | OutcomeKind::Partial | OutcomeKind::Failed
                        )
                    });
                if final_answer && let Some(o) = record.full_outcome() {
                    // It ended, but the batch was not told before the process stopped.
                    Plan::Done(Box::new(o))
                } else if record.run_id.is_some() || record.is_unfinished() {
                    Plan::Continue(Box::new(record))
                } else {
                    // No run, and nothing may have arrived (never uploaded, refused, or a
                    // look-up proved it absent).
                    Plan::Submit
                }
            }
            None => match row.started_at {
                // The record is gone (or was never written): the upload may have reached the
                // service; look it up by externalId before anything is sent again.
                Some(started) => {
                    let mut r = RunRecord::new(started);
                    r.local_id = local_id;
                    r.external_id = Some(row.external_id.clone());
                    r.file = Some(row.file.clone());
                    r.language = Some(row.language.clone());
                    r.run_id = row.run_id.clone();
                    r.upload_started = Some(started);
                    r.accepted_at = row.run_id.as_ref().map(|_| started);
                    Plan::Continue(Box::new(r))
                }
                None => Plan::Submit,
            },
        }
    }

    /// Decides every row, checks the rows to submit locally, reports what ended before.
    async fn plan(&mut self) {
        let (mut invalid, mut done_before) = (0, 0);
        let mut continued = Vec::new();
        let mut submits = Vec::new();
        let mut ended = Vec::new();
        for i in 0..self.state.rows.len() {
            if self.ctx.cancel.is_cancelled() {
                break;
            }
            match self.plan_row(i).await {
                Plan::Done(outcome) => {
                    done_before += 1;
                    if !self.state.rows[i].is_final() {
                        self.end_row(i, &outcome);
                    }
                    ended.push((i, *outcome, true));
                }
                Plan::Continue(r) => continued.push((i, Plan::Continue(r))),
                Plan::Submit => match self.check_row(i).await {
                    Some(outcome) => {
                        invalid += 1;
                        self.end_row(i, &outcome);
                        ended.push((i, outcome, false));
                    }
                    None => submits.push((i, Plan::Submit)),
                },
            }
        }
        // Runs that exist first: they hold the account's slots on the service already.
        self.queue.extend(continued);
        self.queue.extend(submits);
        for (i, _) in &self.queue {
            let row = &mut self.state.rows[*i];
            row.status = RowStatus::Pending;
        }
        self.save().await;
        self.emit(BatchEvent::Checked {
            rows: self.state.rows.len(),
            to_run: self.queue.len(),
            invalid,
            done_before,
        });
        for (i, outcome, earlier) in ended {
            self.emit(BatchEvent::Finished {
                row: self.state.rows[i].row,
                outcome,
                earlier,
            });
        }
    }

    /// The local checks of a row to submit: `Some(outcome)` when it is invalid. Also refuses
    /// an externalId another row of the batch uses (the look-up after a lost answer must
    /// find exactly one run per externalId).
    async fn check_row(&self, i: usize) -> Option<Outcome> {
        let row = &self.state.rows[i];
        let local = |kind: OutcomeKind, code: ErrorCode, message: String| Outcome {
            kind,
            run_id: None,
            external_id: Some(row.external_id.clone()),
            local_id: None,
            result: None,
            error: Some(OutcomeError {
                code,
                message,
                http_status: None,
                request_id: None,
                details: None,
            }),
        };
        let invalid = |code, message| local(OutcomeKind::InvalidInput, code, message);
        if let Some(other) = self
            .state
            .rows
            .iter()
            .find(|r| r.row < row.row && r.external_id == row.external_id)
        {
            return Some(invalid(
                ErrorCode::InvalidExternalId,
                format!(
                    "externalId {} is already used by row {} of this batch; each recording needs its own",
                    row.external_id, other.row
                ),
            ));
        }
        let (file, language, ext, metadata) = (
            row.file.clone(),
            row.language.clone(),
            row.external_id.clone(),
            row.metadata.clone(),
        );
        let converts = self.ctx.work_dir.is_some();
        let checked = tokio::task::spawn_blocking(move || {
            check_without_converting(&file, &language, Some(&ext), metadata.as_deref(), converts)
        })
        .await;
        match checked {
            Ok(Ok(())) => None,
            Ok(Err(problems)) => {
                let code = problems
                    .first()
                    .map(|p| p.code.clone())
                    .unwrap_or(ErrorCode::MissingAudioFile);
                let message = problems
                    .iter()
                    .map(|p| p.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                Some(invalid(code, message))
            }
            Err(e) => Some(local(
                OutcomeKind::InternalError,
                ErrorCode::Local(LocalCode::InternalError),
                format!("checking the file failed: {e}"),
            )),
        }
    }

    fn end_row(&mut self, i: usize, outcome: &Outcome) {
        let row = &mut self.state.rows[i];
        row.status = if outcome.kind == OutcomeKind::Cancelled {
            RowStatus::Pending
        } else {
            RowStatus::Done
        };
        if outcome.run_id.is_some() {
            row.run_id = outcome.run_id.clone();
        }
        if let Some(l) = &outcome.local_id {
            row.local_id = Some(l.clone());
        }
        row.ending = Some(RowEnding::from_outcome(outcome));
    }

    /// Starts the next row's job on a slot; returns its task id and row index.
    async fn start(
        &mut self,
        jobs: &mut tokio::task::JoinSet<Ended>,
        events: &tokio::sync::mpsc::UnboundedSender<(usize, JobEvent)>,
        slot: super::account::RunSlot,
    ) -> Option<(tokio::task::Id, usize)> {
        let (i, plan) = self.queue.pop_front()?;
        let row_no = self.state.rows[i].row;
        let (start, delay, continued) = match plan {
            Plan::Continue(record) => {
                let delay = pending_wait(&record, Utc::now());
                (Start::Record(record), delay, true)
            }
            Plan::Submit | Plan::Done(_) => {
                let row = &mut self.state.rows[i];
                let local_id = uuid::Uuid::new_v4().to_string();
                row.local_id = Some(local_id.clone());
                row.run_id = None;
                row.started_at = Some(Utc::now());
                let spec = JobSpec {
                    file: row.file.clone(),
                    language: row.language.clone(),
                    external_id: Some(row.external_id.clone()),
                    metadata: row.metadata.clone(),
                    local_id: Some(local_id),
                    work_dir: self.ctx.work_dir.clone(),
                };
                (Start::Submit(spec), None, false)
            }
        };
        self.state.rows[i].status = RowStatus::Running;
        self.state.rows[i].ending = None;
        // Saved before the job starts: after a crash the row's record (and upload) is known.
        self.save().await;
        self.emit(BatchEvent::Started {
            row: row_no,
            resumed: continued,
        });
        let tx = events.clone();
        let sink: EventSink = Arc::new(move |e| {
            // The scheduler outlives every job; a send can only fail while it stops.
            let _ = tx.send((i, e));
        });
        let client = self.ctx.client.clone();
        let options = self
            .ctx
            .options
            .clone()
            .with_account(Arc::clone(&self.ctx.account));
        let records = self.ctx.records.clone();
        let cancel = self.ctx.cancel.child_token();
        let task = jobs.spawn(async move {
            let _slot = slot;
            if let Some(wait) = delay {
                // The previous attempt chose to wait before its next poll: keep to it (the
                // service gates polls of one run).
                sink(JobEvent::Waiting {
                    reason: WaitReason::NextPoll,
                    code: None,
                    seconds: wait.as_secs_f64(),
                    until: SystemTime::now() + wait,
                });
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = cancel.cancelled() => {}
                }
            }
            let outcome = job::run(client, start, options, records, sink, cancel).await;
            Ended {
                row: i,
                outcome,
                continued,
            }
        });
        Some((task.id(), i))
    }

    /// A job's event: a run id is saved as soon as it is known.
    async fn on_event(&mut self, i: usize, event: JobEvent) {
        if let JobEvent::Accepted { run_id, .. } = &event {
            self.state.rows[i].run_id = Some(run_id.clone());
            self.save().await;
        }
        let row = self.state.rows[i].row;
        self.emit(BatchEvent::Job { row, event });
    }

    async fn on_end(&mut self, ended: Ended) {
        let Ended {
            row: i,
            outcome,
            continued,
        } = ended;
        let nothing_arrived = continued
            && outcome.kind == OutcomeKind::GaveUp
            && outcome
                .error
                .as_ref()
                .is_some_and(|e| e.code.local() == Some(LocalCode::NotSubmitted));
        if nothing_arrived && !self.ctx.cancel.is_cancelled() {
            // The look-up proved the earlier upload never arrived: submit it now (checked
            // first).
            let row = &mut self.state.rows[i];
            row.local_id = None;
            row.started_at = None;
            row.status = RowStatus::Pending;
            match self.check_row(i).await {
                Some(invalid) => self.finish(i, invalid).await,
                None => {
                    self.queue.push_back((i, Plan::Submit));
                    self.save().await;
                }
            }
            return;
        }
        self.finish(i, outcome).await;
    }

    async fn finish(&mut self, i: usize, outcome: Outcome) {
        self.end_row(i, &outcome);
        self.save().await;
        let row = self.state.rows[i].row;
        self.emit(BatchEvent::Finished {
            row,
            outcome,
            earlier: false,
        });
    }

    async fn run(&mut self) {
        let mut jobs: tokio::task::JoinSet<Ended> = tokio::task::JoinSet::new();
        let mut running: HashMap<tokio::task::Id, usize> = HashMap::new();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, JobEvent)>();
        let account = Arc::clone(&self.ctx.account);
        let cancel = self.ctx.cancel.clone();
        loop {
            if cancel.is_cancelled() {
                self.queue.clear();
            }
            if self.queue.is_empty() && jobs.is_empty() {
                break;
            }
            tokio::select! {
                biased;
                Some((i, event)) = rx.recv() => self.on_event(i, event).await,
                Some(joined) = jobs.join_next_with_id(), if !jobs.is_empty() => {
                    // Every event a job sent came before its end.
                    while let Ok((i, event)) = rx.try_recv() {
                        self.on_event(i, event).await;
                    }
                    match joined {
                        Ok((id, ended)) => {
                            running.remove(&id);
                            self.on_end(ended).await;
                        }
                        Err(e) => {
                            let id = e.id();
                            if let Some(i) = running.remove(&id) {
                                let row = &self.state.rows[i];
                                let outcome = Outcome {
                                    kind: OutcomeKind::InternalError,
                                    run_id: row.run_id.clone(),
                                    external_id: Some(row.external_id.clone()),
                                    local_id: row.local_id.clone(),
                                    result: None,
                                    error: Some(OutcomeError {
                                        code: ErrorCode::Local(LocalCode::InternalError),
                                        message: format!("the row's job stopped unexpectedly: {e}"),
                                        http_status: None,
                                        request_id: None,
                                        details: None,
                                    }),
                                };
                                self.finish(i, outcome).await;
                            }
                        }
                    }
                }
                slot = account.run_slot(), if !self.queue.is_empty() => {
                    let Some(slot) = slot else {
                        self.queue.clear();
                        continue;
                    };
                    if let Some((id, i)) = self.start(&mut jobs, &tx, slot).await {
                        running.insert(id, i);
                    }
                }
                _ = cancel.cancelled(), if !self.queue.is_empty() => self.queue.clear(),
            }
        }
        while let Ok((i, event)) = rx.try_recv() {
            self.on_event(i, event).await;
        }
    }
}

/// What is left of the wait an earlier attempt chose after its last poll (the service gates
/// polls of one run; a rerun right after a crash must not poll sooner). A poll the earlier
/// attempt cut short may still have reached the service: the wait then counts from it.
fn pending_wait(record: &RunRecord, now: DateTime<Utc>) -> Option<Duration> {
    use super::policy::Step;
    let last = record.exchanges.last()?;
    if last.step != Step::Poll {
        return None;
    }
    let (from, chosen) = if last.interrupted {
        let before = record
            .exchanges
            .iter()
            .rev()
            .find(|x| !x.interrupted && x.step == Step::Poll)?;
        (last.at, before.wait.as_ref()?)
    } else {
        let latency = chrono::TimeDelta::milliseconds(last.latency_ms.min(3_600_000) as i64);
        (last.at + latency, last.wait.as_ref()?)
    };
    let wait = Duration::from_secs_f64(chosen.seconds.clamp(0.0, 3600.0));
    let due = from + chrono::TimeDelta::from_std(wait).ok()?;
    let left = (due - now).to_std().ok()?;
    (left > Duration::ZERO).then_some(left.min(wait))
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

    #[test]
    fn a_rerun_keeps_to_the_wait_chosen_after_the_last_poll() {
        use crate::engine::policy::Step;
        use crate::engine::reqlog::{ChosenWait, Exchange};
        let now = Utc::now();
        let mut r = RunRecord::new(now);
        assert_eq!(pending_wait(&r, now), None, "no exchanges");
        let mut x = Exchange::from_facts(
            Step::Poll,
            &crate::api::client::Facts::unsent("GET", "/api/v1/speech/analyze/req_1".into()),
            None,
            Some("req_1"),
            1,
        );
        x.at = now - chrono::TimeDelta::seconds(4);
        x.latency_ms = 1000;
        x.wait = Some(ChosenWait {
            seconds: 10.0,
            reason: WaitReason::NextPoll,
        });
        r.exchanges.push(x.clone());
        assert_eq!(pending_wait(&r, now), Some(Duration::from_secs(7)));
        x.at = now - chrono::TimeDelta::seconds(30);
        r.exchanges[0] = x.clone();
        assert_eq!(pending_wait(&r, now), None, "long over");
        x.at = now + chrono::TimeDelta::seconds(3600);
        r.exchanges[0] = x.clone();
        assert_eq!(
            pending_wait(&r, now),
            Some(Duration::from_secs(10)),
            "a clock that went back waits at most the wait itself"
        );
        // A poll cut short 2 s ago may have reached the service: the last wait counts from it.
        x.at = now - chrono::TimeDelta::seconds(30);
        r.exchanges[0] = x.clone();
        let mut cut = x;
        cut.at = now - chrono::TimeDelta::seconds(2);
        cut.wait = None;
        cut.interrupted = true;
        r.exchanges.push(cut);
        assert_eq!(pending_wait(&r, now), Some(Duration::from_secs(8)));
    }
}
