//! Where a run is, folded from its [`JobEvent`]s: the one fold both front ends render (the
//! GUI's progress screen and the CLI's stderr lines). Data only; the words are in `guidance`.

use std::time::SystemTime;

use super::events::JobEvent;
use super::outcome::Outcome;
use super::policy::WaitReason;
use crate::api::codes::ErrorCode;
use crate::api::model::RunStatus;

/// Where the run is.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Local checks (and, for imports, conversion).
    Preparing,
    /// Uploading the file.
    Uploading {
        /// Bytes sent.
        sent: u64,
        /// File size.
        total: u64,
    },
    /// Accepted, waiting for a processing slot.
    Queued {
        /// Place in the queue, when the service said.
        position: Option<u32>,
    },
    /// Being scored.
    Processing,
    /// Looking up a submit whose reply was lost, before any resubmission.
    CheckingLostSubmit,
    /// The job ended.
    Finished,
}

/// A wait the engine is sitting out.
#[derive(Debug, Clone, PartialEq)]
pub struct Wait {
    /// Why.
    pub reason: WaitReason,
    /// The code that caused it, if any.
    pub code: Option<ErrorCode>,
    /// How long in total (on the job's clock).
    pub seconds: f64,
    /// When it ends (wall clock).
    pub until: SystemTime,
}

impl Wait {
    /// Whole seconds left, rounded up (what a countdown shows).
    pub fn seconds_left(&self, now: SystemTime) -> u64 {
        self.until
            .duration_since(now)
            .map(|d| d.as_millis().div_ceil(1000) as u64)
            .unwrap_or(0)
    }
}

/// Everything known about a run in flight.
#[derive(Debug, Clone, PartialEq)]
pub struct RunProgress {
    pub stage: Stage,
    /// The wait in progress, if any.
    pub wait: Option<Wait>,
    /// The run id once accepted.
    pub run_id: Option<String>,
    /// Our externalId for the run.
    pub external_id: Option<String>,
    /// Repeat number of the current request (2 = first retry).
    pub attempt: Option<u32>,
    /// Any answer came from the local simulator (its marker header).
    pub simulated: bool,
    /// HTTP exchanges so far.
    pub exchanges: usize,
    /// What the file was converted to for upload, when it had to be.
    pub converted: Option<String>,
    /// How it ended, once it has.
    pub outcome: Option<Outcome>,
}

impl Default for RunProgress {
    fn default() -> RunProgress {
        RunProgress {
            stage: Stage::Preparing,
            wait: None,
            run_id: None,
            external_id: None,
            attempt: None,
            simulated: false,
            exchanges: 0,
            converted: None,
            outcome: None,
        }
    }
}

impl RunProgress {
    /// Folds one event in. Returns true when what a person sees changed (an exchange alone
    /// changes nothing on screen but the log).
    pub fn apply(&mut self, event: &JobEvent) -> bool {
        match event {
            JobEvent::Validating => self.stage = Stage::Preparing,
            JobEvent::Converted { description } => {
                self.converted = Some(description.clone());
            }
            JobEvent::Uploading { sent, total } => {
                self.wait = None;
                self.stage = Stage::Uploading {
                    sent: *sent,
                    total: *total,
                };
            }
            JobEvent::Accepted {
                run_id,
                external_id,
                status,
                queue_position,
            } => {
                self.wait = None;
                self.attempt = None;
                self.run_id = Some(run_id.clone());
                self.external_id = Some(external_id.clone());
                self.stage = if *status == RunStatus::Queued {
                    Stage::Queued {
                        position: *queue_position,
                    }
                } else {
                    Stage::Processing
                };
            }
            JobEvent::Queued { position } => {
                self.wait = None;
                self.stage = Stage::Queued {
                    position: *position,
                };
            }
            JobEvent::Processing => {
                self.wait = None;
                self.stage = Stage::Processing;
            }
            JobEvent::Waiting {
                reason,
                code,
                seconds,
                until,
            } => {
                self.wait = Some(Wait {
                    reason: *reason,
                    code: code.clone(),
                    seconds: *seconds,
                    until: *until,
                });
            }
            JobEvent::Retrying { attempt } => {
                self.wait = None;
                self.attempt = Some(*attempt);
            }
            JobEvent::CheckingForLostSubmit { external_id } => {
                self.wait = None;
                self.external_id = Some(external_id.clone());
                self.stage = Stage::CheckingLostSubmit;
            }
            JobEvent::Exchange(x) => {
                self.exchanges += 1;
                let newly_simulated = x.simulated && !self.simulated;
                self.simulated |= x.simulated;
                return newly_simulated;
            }
            JobEvent::Finished(o) => {
                self.wait = None;
                self.stage = Stage::Finished;
                self.outcome = Some(o.clone());
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fold_follows_a_run() {
        let mut p = RunProgress::default();
        p.apply(&JobEvent::Uploading { sent: 5, total: 10 });
        assert_eq!(p.stage, Stage::Uploading { sent: 5, total: 10 });
        p.apply(&JobEvent::Accepted {
            run_id: "req_1".into(),
            external_id: "ss-1".into(),
            status: RunStatus::Queued,
            queue_position: Some(3),
        });
        assert_eq!(p.stage, Stage::Queued { position: Some(3) });
        assert_eq!(p.run_id.as_deref(), Some("req_1"));
        let until = SystemTime::now() + std::time::Duration::from_millis(1500);
        p.apply(&JobEvent::Waiting {
            reason: WaitReason::WarmingUp,
            code: Some(ErrorCode::ServiceWarmingUp),
            seconds: 1.5,
            until,
        });
        assert_eq!(
            p.wait.as_ref().map(|w| w.seconds_left(SystemTime::now())),
            Some(2)
        );
        p.apply(&JobEvent::Processing);
        assert!(p.wait.is_none(), "a new stage ends the wait");
        assert_eq!(p.stage, Stage::Processing);
    }
}
