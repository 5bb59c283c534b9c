//! submit → poll → outcome, as an async task that emits events.
//!
//! - [`policy`]: the API's retry and poll rules as pure functions.
//! - [`job`]: the task that drives the client by the policy; the only place that sleeps.
//! - [`events`], [`outcome`], [`reqlog`]: what the task reports while it runs, how it ended,
//!   and the log of every HTTP exchange.
//! - [`record`]: the run record kept at every state change, and the [`RecordStore`] trait it
//!   is saved through (the app's history implements it).
//! - [`checks`]: the local checks before an upload.
//! - [`account`]: the budget every run of one account in the process shares (active runs,
//!   requests per minute, the shared not-before after a 429 / 503).
//! - [`batch`]: many recordings as one resumable batch within that budget, its state saved
//!   through the [`batch::BatchStore`] trait (the app's `store::Batches` implements it).
//!
//! A front end starts a job on its runtime and receives events through a sink; the outcome
//! arrives last as [`JobEvent::Finished`] (and from [`JobHandle::finished`]):
//!
//! ```no_run
//! use std::sync::Arc;
//! use speech_scorer::api::{ApiClient, ApiKey};
//! use speech_scorer::engine::{JobEvent, JobOptions, JobSpec, Start, spawn};
//! use speech_scorer::store::{History, Paths};
//! use speech_scorer::engine::Records;
//!
//! # fn demo(rt: &tokio::runtime::Runtime) -> Result<(), Box<dyn std::error::Error>> {
//! let client = ApiClient::new("https://platform.zenhire.ai", ApiKey::new("zh_api_…"))?;
//! let history: Records = Arc::new(History::new(&Paths::from_env()?));
//! let (tx, rx) = std::sync::mpsc::channel::<JobEvent>();
//! let sink = Arc::new(move |e| {
//!     let _ = tx.send(e); // a GUI would also call ctx.request_repaint() here
//! });
//! let start = Start::Submit(JobSpec::new("answer.wav"));
//! let job = spawn(rt.handle(), client, start, JobOptions::default(), Some(history), sink);
//! // ... job.cancel() on the Cancel button; unfinished runs: Start::Record(record).
//! # let _ = (job, rx); Ok(()) }
//! ```

pub mod account;
pub mod batch;
pub mod checks;
pub mod events;
pub mod job;
pub mod outcome;
pub mod policy;
pub mod progress;
pub mod record;
pub mod reqlog;

pub use account::{Account, AccountLimits, MAX_ACTIVE_RUNS};
pub use events::{EventSink, JobEvent};
pub use job::{DEFAULT_MAX_WAIT, JobHandle, JobOptions, JobSpec, Start, run, spawn};
pub use outcome::{Outcome, OutcomeError, OutcomeKind};
pub use policy::WaitReason;
pub use record::{LoggedEvent, RecordClaim, RecordStore, RecordStoreError, Records, RunRecord};
pub use reqlog::Exchange;
