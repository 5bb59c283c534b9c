//! The job: validate → submit → poll to a terminal state, as an async task that follows the
//! rules in [`super::policy`], emits [`JobEvent`]s, logs every exchange and saves the run
//! record at every state change. This is the only place in the app that sleeps between
//! requests.
//!
//! One entry point: [`spawn`] (or [`run`], for callers already on a runtime) with a [`Start`]:
//! submit a file, resume a run by its id, or finish an unfinished history record.
//!
//! - `driver`: the loop (ask the policy, wait, make the next request), the virtual clock, the
//!   record and the events.
//! - `requests`: one adapter per request (submit, poll, look-up) turning the client's reply
//!   into what the policy needs, and the rule for which listed run is ours.

mod driver;
mod requests;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::account::Account;
use super::events::EventSink;
use super::outcome::{Outcome, OutcomeError, OutcomeKind};
use super::record::{Records, RunRecord};
use crate::api::client::ApiClient;
use crate::api::codes::{ErrorCode, LocalCode};

pub use requests::{LOOKUP_SKEW, is_ours};

/// Default total budget: long enough to sit out a 20-minute warm-up and a slow queue.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(3600);

/// What to score.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    pub file: PathBuf,
    /// ISO 639-1.
    pub language: String,
    /// Our handle on the run; `ss-<uuid>` is generated when `None`.
    pub external_id: Option<String>,
    /// Metadata as JSON text (checked locally; must be an object).
    pub metadata: Option<String>,
    /// The history record's id; a fresh UUID when `None`. A batch picks it before the job
    /// starts, so after a crash it knows which record (and which upload) was its row's.
    pub local_id: Option<String>,
    /// Where a file that cannot be uploaded as it is (over 25 MB, or a format the API does not
    /// take) is converted for upload (`audio::prepare`); `None`: such a file is refused.
    /// The converted file is removed when the job ends.
    pub work_dir: Option<PathBuf>,
    /// The file the person recorded or chose, when `file` is an upload already prepared from
    /// it (the app converts a take when it is made): the history keeps this one, so playing
    /// the run, its waveform and *Delete recording* act on the person's file, not on an upload
    /// file that goes with its take; and when `file` has gone by the time the job starts, this
    /// one is prepared again in `work_dir`. `None`: `file` is the person's file.
    pub original: Option<PathBuf>,
}

impl JobSpec {
    /// A spec with the defaults: English, generated externalId, no metadata.
    pub fn new(file: impl Into<PathBuf>) -> JobSpec {
        JobSpec {
            file: file.into(),
            language: "en".to_string(),
            external_id: None,
            metadata: None,
            local_id: None,
            work_dir: None,
            original: None,
        }
    }
}

/// A fresh externalId: `ss-<uuid>`.
pub fn generate_external_id() -> String {
    format!("ss-{}", uuid::Uuid::new_v4())
}

/// How a job starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// Validate the file, submit it as a fresh run and poll it to the end.
    Submit(JobSpec),
    /// Poll an existing run by its service id; never submits. Continues its history record
    /// when there is one.
    Resume { run_id: String },
    /// Finish an unfinished history record (see [`RunRecord::is_unfinished`]): poll its run,
    /// or — when the app stopped during an upload — look the run up by externalId and poll it
    /// if it is provably ours. Never submits: an upload that created no run ends in `gave_up`
    /// with `NOT_SUBMITTED`.
    Record(Box<RunRecord>),
}

/// How a job paces itself.
#[derive(Debug, Clone)]
pub struct JobOptions {
    /// Total budget (`--max-wait`); ends in `gave_up`. Counted on the job's own clock.
    pub max_wait: Duration,
    /// How much faster than real time the job's waits pass: 1 for real use; a support replay
    /// sets more (`f64::INFINITY`: no waits at all). The decisions — and what the request log
    /// records — are the same at any speed; only the sleeping is shortened.
    pub speed: f64,
    /// The account budget this job shares with every other job of the process (see
    /// [`super::account`]): before each request the job waits for a rate token and for the
    /// shared not-before; after a 429 `RATE_LIMIT_EXCEEDED` or a 503 `SERVICE_WARMING_UP` it
    /// pushes the not-before by the wait it chose. `None`: the job paces itself alone.
    pub account: Option<Arc<Account>>,
}

impl Default for JobOptions {
    fn default() -> JobOptions {
        JobOptions {
            max_wait: DEFAULT_MAX_WAIT,
            speed: 1.0,
            account: None,
        }
    }
}

impl JobOptions {
    /// The defaults with another budget.
    pub fn with_max_wait(max_wait: Duration) -> JobOptions {
        JobOptions {
            max_wait,
            ..JobOptions::default()
        }
    }

    /// These options sharing `account`'s budget.
    pub fn with_account(self, account: Arc<Account>) -> JobOptions {
        JobOptions {
            account: Some(account),
            ..self
        }
    }
}

/// A running job.
#[derive(Debug)]
pub struct JobHandle {
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<Outcome>,
    local_id: Option<String>,
}

impl JobHandle {
    /// Asks the job to stop; it ends with outcome `cancelled` (the run, if any, stays
    /// resumable in history).
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// A token that cancels this job (e.g. from a signal handler).
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// The history id of the job's record, when known at the start (a submit, a record);
    /// `None` for a resume by run id (its record is found inside the job).
    pub fn local_id(&self) -> Option<&str> {
        self.local_id.as_deref()
    }

    /// True once the task has ended.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits for the outcome. A job that panicked ends in `internal_error` (with the panic's
    /// message), never in `cancelled`.
    pub async fn finished(self) -> Outcome {
        match self.task.await {
            Ok(o) => o,
            Err(e) => {
                let (kind, message) = if e.is_panic() {
                    let payload = e.into_panic();
                    let what = payload
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "no message".to_string());
                    (
                        OutcomeKind::InternalError,
                        format!("the job stopped unexpectedly: {what}"),
                    )
                } else {
                    (OutcomeKind::Cancelled, "the job was stopped".to_string())
                };
                Outcome {
                    kind,
                    run_id: None,
                    external_id: None,
                    local_id: None,
                    result: None,
                    error: Some(OutcomeError {
                        code: ErrorCode::Local(LocalCode::InternalError),
                        message,
                        http_status: None,
                        request_id: None,
                        details: None,
                    }),
                }
            }
        }
    }
}

/// Starts a job on `rt`. Nothing blocking happens on the caller's thread (history is read
/// inside the task), so a GUI may call this from its frame.
pub fn spawn(
    rt: &tokio::runtime::Handle,
    client: ApiClient,
    start: Start,
    options: JobOptions,
    records: Option<Records>,
    sink: EventSink,
) -> JobHandle {
    let cancel = CancellationToken::new();
    let (start, local_id) = match start {
        Start::Submit(spec) => {
            let record = submit_record(&spec);
            let id = record.local_id.clone();
            (Begin::Submit(spec, Box::new(record)), Some(id))
        }
        Start::Record(record) => {
            let id = record.local_id.clone();
            (Begin::Record(record), Some(id))
        }
        Start::Resume { run_id } => (Begin::Resume(run_id), None),
    };
    let task = rt.spawn(begin(client, start, options, records, sink, cancel.clone()));
    JobHandle {
        cancel,
        task,
        local_id,
    }
}

/// The fresh record of a submit, with the id the spec asks for.
fn submit_record(spec: &JobSpec) -> RunRecord {
    let mut record = RunRecord::new(Utc::now());
    if let Some(id) = &spec.local_id {
        record.local_id = id.clone();
    }
    record
}

/// A [`Start`] with the submit's record made up front (so its id is known to the caller).
enum Begin {
    Submit(JobSpec, Box<RunRecord>),
    Resume(String),
    Record(Box<RunRecord>),
}

/// Runs a job to its end on the current runtime.
pub async fn run(
    client: ApiClient,
    start: Start,
    options: JobOptions,
    records: Option<Records>,
    sink: EventSink,
    cancel: CancellationToken,
) -> Outcome {
    let begin_with = match start {
        Start::Submit(spec) => {
            let record = submit_record(&spec);
            Begin::Submit(spec, Box::new(record))
        }
        Start::Resume { run_id } => Begin::Resume(run_id),
        Start::Record(record) => Begin::Record(record),
    };
    begin(client, begin_with, options, records, sink, cancel).await
}

async fn begin(
    client: ApiClient,
    start: Begin,
    options: JobOptions,
    records: Option<Records>,
    sink: EventSink,
    cancel: CancellationToken,
) -> Outcome {
    match start {
        Begin::Submit(spec, record) => {
            driver::submit(client, spec, options, records, sink, cancel, *record).await
        }
        Begin::Resume(run_id) => {
            let record = existing_record(records.as_ref(), &run_id).await;
            driver::resume(client, record, options, records, sink, cancel).await
        }
        Begin::Record(record) => {
            driver::resume(client, *record, options, records, sink, cancel).await
        }
    }
}

/// The history record of a run id, or a fresh one for it.
async fn existing_record(records: Option<&Records>, run_id: &str) -> RunRecord {
    let found = match records {
        Some(r) => {
            let r = std::sync::Arc::clone(r);
            let id = run_id.to_string();
            match tokio::task::spawn_blocking(move || r.find_by_run_id(&id)).await {
                Ok(Ok(found)) => found,
                Ok(Err(e)) => {
                    tracing::warn!("history look-up failed: {e}");
                    None
                }
                Err(e) => {
                    tracing::warn!("history look-up failed: {e}");
                    None
                }
            }
        }
        None => None,
    };
    found.unwrap_or_else(|| {
        let mut r = RunRecord::new(Utc::now());
        r.run_id = Some(run_id.to_string());
        r
    })
}
