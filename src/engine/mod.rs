//! submit → poll → outcome, as an async task that emits events.
//!
//! - [`policy`]: the API's retry and poll rules as pure functions.
//! - [`job`]: the task that drives the client by the policy; the only place that sleeps.
//! - [`events`], [`outcome`], [`reqlog`]: what the task reports while it runs, how it ended,
//!   and the log of every HTTP exchange.
//! - [`checks`]: the local checks before an upload.

pub mod checks;
pub mod events;
pub mod job;
pub mod outcome;
pub mod policy;
pub mod reqlog;

pub use events::{EventSink, JobEvent};
pub use job::{
    JobHandle, JobSpec, resume_record, run_job, run_resume, spawn_job, spawn_resume,
    spawn_resume_record,
};
pub use outcome::{Outcome, OutcomeError, OutcomeKind};
pub use policy::WaitReason;
pub use reqlog::Exchange;
