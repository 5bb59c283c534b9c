//! What a running job tells its front end. The GUI pushes these into a channel and repaints;
//! the CLI prints them; history keeps them.

use std::sync::Arc;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::outcome::Outcome;
use super::policy::WaitReason;
use super::reqlog::Exchange;
use crate::api::codes::ErrorCode;
use crate::api::model::RunStatus;

/// One thing that happened in a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JobEvent {
    /// Local checks are running.
    Validating,
    /// The file could not be uploaded as it is and was converted; `description` says into
    /// what (`FLAC 16 kHz mono (18.2 MB)`).
    Converted { description: String },
    /// Upload progress in file bytes.
    Uploading { sent: u64, total: u64 },
    /// The service accepted the submission (or a lost submit was found by externalId).
    Accepted {
        run_id: String,
        external_id: String,
        status: RunStatus,
        queue_position: Option<u32>,
    },
    /// Waiting for a processing slot.
    Queued { position: Option<u32> },
    /// Being scored.
    Processing,
    /// Waiting before the next request; `until` is when the wait ends.
    Waiting {
        reason: WaitReason,
        code: Option<ErrorCode>,
        seconds: f64,
        until: SystemTime,
    },
    /// About to repeat a request after a failure (`attempt` counts from 2).
    Retrying { attempt: u32 },
    /// A submit may have reached the server unanswered; looking it up before any resubmission.
    CheckingForLostSubmit { external_id: String },
    /// One HTTP exchange, for the request log.
    Exchange(Exchange),
    /// The job ended.
    Finished(Outcome),
}

/// Where a job sends its events. Called on the runtime's threads: keep it quick.
pub type EventSink = Arc<dyn Fn(JobEvent) + Send + Sync>;

/// A sink that drops everything.
pub fn null_sink() -> EventSink {
    Arc::new(|_| {})
}
