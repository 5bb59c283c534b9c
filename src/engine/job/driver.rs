//! The loop: make a request, ask the policy, wait, repeat — on the job's own clock — and keep
//! the run record and the events up to date at every step.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant, SystemTime};

use chrono::Utc;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::requests::{Attempt, Interrupted, describe, outcome_error};
use super::{JobOptions, JobSpec, generate_external_id};
use crate::api::client::{ApiClient, Facts};
use crate::api::codes::{ErrorCode, LocalCode};
use crate::api::error::ApiError;
use crate::api::model::RunStatus;
use crate::engine::checks::{Prepared, check_submission};
use crate::engine::events::{EventSink, JobEvent};
use crate::engine::outcome::{Outcome, OutcomeError, OutcomeKind};
use crate::engine::policy::{self, Decision, Happened, Situation, Step, WaitReason};
use crate::engine::record::{LoggedEvent, RecordClaim, Records, RunRecord};
use crate::engine::reqlog::{ChosenWait, Exchange};

/// Why the engine is looking a run up by externalId.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Lost {
    /// The submit got a 2xx we could not read: the run exists. Never submit again.
    pub run_exists: bool,
}

/// The job's clock: real time, plus the part of each wait a faster-than-real-time job
/// (a support replay) did not sleep. Budgets and the poll schedule are measured on it, so a
/// replay decides exactly as the original did.
struct Clock {
    started: Instant,
    skipped: Duration,
}

impl Clock {
    fn new() -> Clock {
        Clock {
            started: Instant::now(),
            skipped: Duration::ZERO,
        }
    }

    fn elapsed(&self) -> Duration {
        self.started.elapsed() + self.skipped
    }
}

fn local_error(code: LocalCode, message: impl Into<String>) -> OutcomeError {
    OutcomeError {
        code: ErrorCode::Local(code),
        message: message.into(),
        http_status: None,
        request_id: None,
        details: None,
    }
}

/// Validates, submits and polls to a terminal state.
pub(super) async fn submit(
    client: ApiClient,
    spec: JobSpec,
    options: JobOptions,
    records: Option<Records>,
    sink: EventSink,
    cancel: CancellationToken,
    mut record: RunRecord,
) -> Outcome {
    let external_id = spec
        .external_id
        .clone()
        .unwrap_or_else(generate_external_id);
    record.external_id = Some(external_id.clone());
    record.file = Some(spec.original.clone().unwrap_or_else(|| spec.file.clone()));
    record.language = Some(spec.language.clone());
    record.base_url = Some(client.base_url().to_string());
    let Some(mut d) = Driver::new(client, sink, records, record, cancel, options).await else {
        return busy_outcome(None, Some(external_id));
    };
    d.emit(JobEvent::Validating);

    let (file, language, metadata) = (spec.file.clone(), spec.language.clone(), spec.metadata);
    let (ext, work_dir, original) = (external_id.clone(), spec.work_dir, spec.original);
    let checked = tokio::task::spawn_blocking(move || {
        // An upload file prepared earlier that has gone since (removed by hand, or swept as
        // stale by another window): prepared again from the person's file.
        let file = match original {
            Some(original) if work_dir.is_some() && !file.exists() => original,
            _ => file,
        };
        check_submission(
            &file,
            &language,
            Some(&ext),
            metadata.as_deref(),
            work_dir.as_deref(),
        )
    })
    .await;
    let prepared = match checked {
        Ok(Ok(p)) => p,
        Ok(Err(problems)) => {
            let message = problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            let code = problems
                .first()
                .map(|p| p.code.clone())
                .unwrap_or(ErrorCode::MissingAudioFile);
            let err = OutcomeError {
                code,
                message,
                http_status: None,
                request_id: None,
                details: None,
            };
            return d.finish(OutcomeKind::InvalidInput, Some(err));
        }
        Err(e) => {
            return d.finish(
                OutcomeKind::InternalError,
                Some(local_error(
                    LocalCode::InternalError,
                    format!("checking the file failed: {e}"),
                )),
            );
        }
    };
    d.record.metadata = prepared.fields.metadata.clone();
    d.save();
    if let Some(c) = &prepared.conversion {
        d.emit(JobEvent::Converted {
            description: c.description(),
        });
    }
    let converted = prepared.clone();
    let outcome = d.drive(Step::Submit, Some(prepared)).await;
    // The converted file (never the person's own) goes once nothing will upload it again.
    tokio::task::spawn_blocking(move || converted.discard_conversion());
    outcome
}

/// Finishes a record: polls its run, or looks a lost upload's run up; never submits.
pub(super) async fn resume(
    client: ApiClient,
    mut record: RunRecord,
    options: JobOptions,
    records: Option<Records>,
    sink: EventSink,
    cancel: CancellationToken,
) -> Outcome {
    record.outcome = None;
    if record.base_url.is_none() {
        record.base_url = Some(client.base_url().to_string());
    }
    let (run_id, external_id) = (record.run_id.clone(), record.external_id.clone());
    let Some(mut d) = Driver::new(client, sink, records, record, cancel, options).await else {
        return busy_outcome(run_id, external_id);
    };
    // Announce the status afresh on the first poll (a front end may be starting up).
    d.last_status = None;
    d.save();
    if d.run_id.is_some() {
        d.accepted_offset = d
            .record
            .accepted_at
            .and_then(|at| (Utc::now() - at).to_std().ok())
            .unwrap_or_default();
        d.accepted_at = Some(d.clock.elapsed());
        d.drive(Step::Poll, None).await
    } else {
        d.lost = Some(Lost { run_exists: false });
        d.drive(Step::LookUp, None).await
    }
}

/// Another job follows this record: report it, and leave the record alone.
fn busy_outcome(run_id: Option<String>, external_id: Option<String>) -> Outcome {
    Outcome {
        kind: OutcomeKind::GaveUp,
        run_id,
        external_id,
        local_id: None,
        result: None,
        error: Some(local_error(
            LocalCode::AlreadyRunning,
            "another job is already following this run",
        )),
    }
}

pub(super) struct Driver {
    pub(super) client: ApiClient,
    pub(super) sink: EventSink,
    records: Option<Records>,
    pub(super) record: RunRecord,
    pub(super) cancel: CancellationToken,
    options: JobOptions,
    clock: Clock,
    /// When the run was accepted, on the job's clock; the poll schedule counts from here.
    accepted_at: Option<Duration>,
    /// How long the run had been accepted before this job started (a resume).
    accepted_offset: Duration,
    last_hint: Option<u64>,
    pub(super) run_id: Option<String>,
    last_status: Option<RunStatus>,
    last_queue_position: Option<u32>,
    last_body: Option<Value>,
    last_error: Option<OutcomeError>,
    /// Set while looking up a lost submit.
    pub(super) lost: Option<Lost>,
    /// Set when the service answered a poll about another run.
    pub(super) mismatch: Option<String>,
    /// File bytes of the current upload streamed so far.
    pub(super) uploaded: Arc<AtomicU64>,
    /// Held for the job's life: one job per record.
    _claim: Option<RecordClaim>,
}

impl Driver {
    /// A driver for `record`; `None` when another job already follows it.
    async fn new(
        client: ApiClient,
        sink: EventSink,
        records: Option<Records>,
        record: RunRecord,
        cancel: CancellationToken,
        options: JobOptions,
    ) -> Option<Driver> {
        let claim = match &records {
            Some(r) => {
                let r = Arc::clone(r);
                let id = record.local_id.clone();
                match tokio::task::spawn_blocking(move || r.claim(&id)).await {
                    Ok(Ok(Some(claim))) => Some(claim),
                    Ok(Ok(None)) => return None,
                    // A store that cannot lock still lets the job run (and says why).
                    Ok(Err(e)) => {
                        tracing::warn!("could not lock the run's history record: {e}");
                        None
                    }
                    Err(e) => {
                        tracing::warn!("could not lock the run's history record: {e}");
                        None
                    }
                }
            }
            None => None,
        };
        Some(Driver {
            client,
            sink,
            records,
            cancel,
            options,
            clock: Clock::new(),
            accepted_at: None,
            accepted_offset: Duration::ZERO,
            last_hint: None,
            run_id: record.run_id.clone(),
            last_status: record.last_status.as_deref().map(RunStatus::parse),
            last_queue_position: None,
            last_body: record.final_body.clone(),
            last_error: None,
            lost: None,
            mismatch: None,
            uploaded: Arc::new(AtomicU64::new(0)),
            _claim: claim,
            record,
        })
    }

    pub(super) fn save(&mut self) {
        self.record.updated = Utc::now();
        if let Some(h) = &self.records
            && let Err(e) = h.save(&self.record)
        {
            tracing::warn!("could not save run history: {e}");
        }
    }

    pub(super) fn emit(&mut self, event: JobEvent) {
        let keep = match &event {
            JobEvent::Exchange(_) => false,
            JobEvent::Uploading { sent, total } => sent == total,
            _ => true,
        };
        if keep {
            // The result body is kept once, in the record's final body, not in its events.
            let logged = match &event {
                JobEvent::Finished(o) => JobEvent::Finished(Outcome {
                    result: None,
                    ..o.clone()
                }),
                other => other.clone(),
            };
            self.record.events.push(LoggedEvent {
                at: Utc::now(),
                event: logged,
            });
        }
        (self.sink)(event);
    }

    fn finish(&mut self, kind: OutcomeKind, error: Option<OutcomeError>) -> Outcome {
        let outcome = Outcome {
            kind,
            run_id: self.run_id.clone(),
            external_id: self.record.external_id.clone(),
            local_id: Some(self.record.local_id.clone()),
            result: self.last_body.clone(),
            error,
        };
        self.record.set_outcome(&outcome);
        self.record.final_body = self.last_body.clone();
        self.record.events.push(LoggedEvent {
            at: Utc::now(),
            event: JobEvent::Finished(Outcome {
                result: None,
                ..outcome.clone()
            }),
        });
        // Saved before anyone hears of the end: a front end that reads the history when the
        // job finishes must find the outcome there.
        self.save();
        (self.sink)(JobEvent::Finished(outcome.clone()));
        outcome
    }

    /// Stopped by the person: what is known is said (an upload may have created a run).
    fn cancelled(&mut self) -> Outcome {
        let error = (self.run_id.is_none() && self.record.upload_started.is_some()).then(|| {
            local_error(
                LocalCode::UploadUnconfirmed,
                "stopped before the service confirmed the upload; a run may exist",
            )
        });
        self.finish(OutcomeKind::Cancelled, error)
    }

    fn out_of_time(&mut self) -> Outcome {
        let err = local_error(
            LocalCode::MaxWaitExceeded,
            format!(
                "no final result within {} s; resume the run later",
                self.options.max_wait.as_secs()
            ),
        );
        self.finish(OutcomeKind::GaveUp, Some(err))
    }

    fn since_accepted(&self) -> Duration {
        self.accepted_at
            .map(|a| self.clock.elapsed().saturating_sub(a) + self.accepted_offset)
            .unwrap_or_default()
    }

    /// What is left of the budget, on the job's clock.
    fn time_left(&self) -> Duration {
        self.options.max_wait.saturating_sub(self.clock.elapsed())
    }

    /// Runs one request, unless the person cancels or the budget runs out first (a request in
    /// flight never overshoots `--max-wait`).
    pub(super) async fn guard<T>(
        &self,
        request: impl std::future::Future<Output = T>,
    ) -> Result<T, Interrupted> {
        let left = self.time_left();
        tokio::select! {
            r = request => Ok(r),
            _ = self.cancel.cancelled() => Err(Interrupted::Cancelled),
            _ = tokio::time::sleep(left) => Err(Interrupted::OutOfTime),
        }
    }

    pub(super) fn note_status(&mut self, status: &RunStatus, queue_position: Option<u32>) {
        let changed = self.last_status.as_ref() != Some(status);
        let moved = *status == RunStatus::Queued && queue_position != self.last_queue_position;
        if changed || moved {
            match status {
                RunStatus::Queued => self.emit(JobEvent::Queued {
                    position: queue_position,
                }),
                RunStatus::Processing => self.emit(JobEvent::Processing),
                _ => {}
            }
        }
        self.last_status = Some(status.clone());
        self.last_queue_position = queue_position;
        self.record.last_status = Some(status.as_str().to_string());
        if changed || moved {
            self.save();
        }
    }

    pub(super) fn accept(
        &mut self,
        run_id: String,
        status: RunStatus,
        queue_position: Option<u32>,
    ) {
        self.run_id = Some(run_id.clone());
        self.record.run_id = Some(run_id.clone());
        self.accepted_at = Some(self.clock.elapsed());
        self.record.accepted_at = Some(Utc::now());
        self.lost = None;
        // Saved first: a front end that reads the history on this event finds the run id.
        self.save();
        let external_id = self.record.external_id.clone().unwrap_or_default();
        self.emit(JobEvent::Accepted {
            run_id,
            external_id,
            status: status.clone(),
            queue_position,
        });
        self.note_status(&status, queue_position);
        self.save();
    }

    /// Keeps a server hint for the next failed poll's floor; a hint under a second is none.
    pub(super) fn remember_hint(&mut self, poll_interval: Option<u64>, retry_after: Option<u64>) {
        if let Some(h) = policy::sane(poll_interval).max(policy::sane(retry_after)) {
            self.last_hint = Some(h);
        }
    }

    pub(super) fn remember_body(&mut self, facts: &Facts) {
        if let Some(body) = facts.body.as_deref() {
            self.last_body = serde_json::from_str(body).ok();
        }
    }

    /// A submit's answer was lost: note whether the run surely exists.
    pub(super) fn note_lost_submit(&mut self, e: &ApiError) {
        let exists = matches!(e, ApiError::BadBody { status, .. } if (200..300).contains(status));
        let before = self.lost.is_some_and(|l| l.run_exists);
        self.lost = Some(Lost {
            run_exists: exists || before,
        });
    }

    /// Waits until the account lets a request go out (when the job shares one): past the
    /// shared not-before — shown like any other wait when it is a second or more — and with
    /// a rate token. Cut short by the person or the time budget, like a request.
    pub(super) async fn pace(&mut self) -> Result<(), Interrupted> {
        let Some(account) = self.options.account.clone() else {
            return Ok(());
        };
        if let Some(pause) = account.paused() {
            let left = pause
                .until
                .saturating_duration_since(tokio::time::Instant::now());
            if left >= policy::MIN_WAIT {
                let speed = self.options.speed;
                let on_our_clock = if speed.is_finite() && speed > 1.0 {
                    left.mul_f64(speed)
                } else {
                    left
                };
                self.emit(JobEvent::Waiting {
                    reason: pause.reason,
                    code: pause.code.clone(),
                    seconds: on_our_clock.as_secs_f64(),
                    until: SystemTime::now() + left,
                });
            }
        }
        let left = self.time_left();
        tokio::select! {
            _ = account.ready() => Ok(()),
            _ = self.cancel.cancelled() => Err(Interrupted::Cancelled),
            _ = tokio::time::sleep(left) => Err(Interrupted::OutOfTime),
        }
    }

    /// After a 429 `RATE_LIMIT_EXCEEDED` (any 429 but `POLL_RATE_LIMITED`, which concerns one
    /// run) or a 503 `SERVICE_WARMING_UP`, every run of the account waits as long as this one
    /// chose to: the shared not-before moves to the end of this wait.
    fn hold_everyone_off(&self, happened: &Happened, decision: &Decision, code: Option<ErrorCode>) {
        let Some(account) = &self.options.account else {
            return;
        };
        let Decision::Wait { delay, reason, .. } = decision else {
            return;
        };
        let account_wide = match happened {
            Happened::Api {
                http_status: 429,
                code,
                ..
            } => *code != ErrorCode::PollRateLimited,
            Happened::BadBody {
                http_status: 429, ..
            } => true,
            Happened::Api {
                http_status: 503,
                code: ErrorCode::ServiceWarmingUp,
                ..
            } => true,
            _ => false,
        };
        if account_wide {
            account.hold_off(self.slept_part(*delay), *reason, code);
        }
    }

    /// How much of a wait on the job's clock is really slept (all of it at speed 1).
    fn slept_part(&self, delay: Duration) -> Duration {
        let speed = self.options.speed;
        if speed.is_finite() && speed > 0.0 {
            delay.div_f64(speed.max(1.0))
        } else {
            Duration::ZERO
        }
    }

    /// Waits, showing why; false when cancelled. At a speed above 1 only part of the wait is
    /// slept; the rest is added to the job's clock.
    async fn wait(&mut self, delay: Duration, reason: WaitReason, code: Option<ErrorCode>) -> bool {
        let slept = self.slept_part(delay);
        self.emit(JobEvent::Waiting {
            reason,
            code,
            seconds: delay.as_secs_f64(),
            until: SystemTime::now() + slept,
        });
        let done = tokio::select! {
            _ = tokio::time::sleep(slept) => true,
            _ = self.cancel.cancelled() => false,
        };
        if done {
            self.clock.skipped += delay.saturating_sub(slept);
        }
        done
    }

    /// Logs a request that was cut short (cancelled, or out of time) and ends the job.
    fn interrupted(&mut self, step: Step, why: Interrupted, attempt: u32) -> Outcome {
        let (method, path) = match step {
            Step::Submit => ("POST", "/api/v1/speech/analyze".to_string()),
            Step::Poll => (
                "GET",
                format!(
                    "/api/v1/speech/analyze/{}",
                    self.run_id.as_deref().unwrap_or_default()
                ),
            ),
            Step::LookUp => ("GET", "/api/v1/speech/runs".to_string()),
        };
        let mut facts = Facts::unsent(method, path);
        if step == Step::Submit {
            facts.bytes_sent = self.uploaded.load(std::sync::atomic::Ordering::Relaxed);
        }
        let mut exchange =
            Exchange::from_facts(step, &facts, None, self.run_id.as_deref(), attempt);
        let (words, outcome) = match why {
            Interrupted::Cancelled => ("stopped: cancelled", None),
            Interrupted::OutOfTime => ("give up: budget exhausted", Some(())),
        };
        exchange.error = Some(words.to_string());
        exchange.decision = words.to_string();
        exchange.interrupted = true;
        self.record.exchanges.push(exchange.clone());
        self.emit(JobEvent::Exchange(exchange));
        match outcome {
            None => self.cancelled(),
            Some(()) => self.out_of_time(),
        }
    }

    pub(super) async fn drive(&mut self, mut next: Step, prepared: Option<Prepared>) -> Outcome {
        let mut failures: u32 = 0;
        let mut submits: u32 = 0;
        let mut lookups: u32 = 0;
        let mut last_step: Option<Step> = None;
        loop {
            if self.cancel.is_cancelled() {
                return self.cancelled();
            }
            if last_step != Some(next) {
                failures = 0;
            }
            if failures > 0 {
                self.emit(JobEvent::Retrying {
                    attempt: failures + 1,
                });
            }
            let attempt = failures + 1;
            let answered = match next {
                Step::Submit => {
                    let Some(p) = prepared.as_ref() else {
                        // Resuming never submits: the lost upload created no run.
                        return self.finish(
                            OutcomeKind::GaveUp,
                            Some(local_error(
                                LocalCode::NotSubmitted,
                                "the upload never reached the service; submit the recording again",
                            )),
                        );
                    };
                    submits += 1;
                    lookups = 0;
                    self.uploaded.store(0, std::sync::atomic::Ordering::Relaxed);
                    self.submit(p).await
                }
                Step::Poll => self.poll().await,
                Step::LookUp => {
                    lookups += 1;
                    self.look_up(lookups).await
                }
            };
            let result: Attempt = match answered {
                Ok(a) => a,
                Err(why) => return self.interrupted(next, why, attempt),
            };
            last_step = Some(next);
            let failed = result.error.is_some() || self.mismatch.is_some();
            if failed {
                failures += 1;
            } else {
                failures = 0;
            }
            if let Some(e) = &result.error {
                self.last_error = Some(outcome_error(e));
            }
            let policy_attempt = match (&result.happened, failed) {
                (Happened::LookedUp { .. }, _) => submits.max(1),
                (_, true) => failures,
                (_, false) => 1,
            };
            let situation = Situation {
                step: result.step,
                happened: result.happened.clone(),
                attempt: policy_attempt,
                elapsed: self.clock.elapsed(),
                since_accepted: self.since_accepted(),
                last_hint: self.last_hint,
                budget: self.options.max_wait,
                jitter: rand::random::<f64>(),
            };
            let mut decision = policy::decide(&situation);
            if let Some(why) = self.mismatch.clone() {
                // Never another run's result, never polled on our behalf again.
                decision = Decision::Refused;
                self.last_error = Some(local_error(LocalCode::RunMismatch, why));
            }
            let resubmit = matches!(
                decision,
                Decision::Wait {
                    then: Step::Submit,
                    ..
                } | Decision::Now(Step::Submit)
            );
            if resubmit && prepared.is_none() {
                // Resuming never submits: no point waiting to do what we won't do.
                decision = Decision::Now(Step::Submit);
            }

            let mut exchange = Exchange::from_facts(
                result.step,
                &result.facts,
                result.error.as_ref(),
                self.run_id.as_deref(),
                attempt,
            );
            if exchange.code.is_none()
                && let Some(Value::Object(body)) = &self.last_body
                && result.step == Step::Poll
                && !failed
            {
                exchange.code = body
                    .get("error")
                    .and_then(|e| e.get("code"))
                    .and_then(Value::as_str)
                    .map(ErrorCode::parse);
            }
            if let Decision::Wait { delay, reason, .. } = &decision {
                exchange.wait = Some(ChosenWait {
                    seconds: delay.as_secs_f64(),
                    reason: *reason,
                });
            }
            exchange.decision = describe(&decision);
            let code = exchange.code.clone();
            self.hold_everyone_off(&result.happened, &decision, code.clone());
            self.record.exchanges.push(exchange.clone());
            self.emit(JobEvent::Exchange(exchange));
            self.save();

            match decision {
                Decision::Wait {
                    delay,
                    reason,
                    then,
                } => {
                    let code = if failed { code } else { None };
                    if !self.wait(delay, reason, code).await {
                        return self.cancelled();
                    }
                    next = then;
                }
                Decision::Now(then) => next = then,
                Decision::Finished => return self.finished_run(),
                Decision::Refused => {
                    let err = match self.mismatch.take() {
                        Some(_) => {
                            // The mismatched body is not ours: it must not become the result.
                            self.last_body = None;
                            return self.finish(OutcomeKind::GaveUp, self.last_error.clone());
                        }
                        None => result.error.as_ref().map(outcome_error),
                    };
                    return self.finish(OutcomeKind::Rejected, err);
                }
                Decision::GiveUp { .. } => {
                    let err = if failed {
                        self.last_error.clone()
                    } else {
                        Some(local_error(
                            LocalCode::MaxWaitExceeded,
                            format!(
                                "no final result within {} s; resume the run later",
                                self.options.max_wait.as_secs()
                            ),
                        ))
                    };
                    return self.finish(OutcomeKind::GaveUp, err);
                }
            }
        }
    }

    fn finished_run(&mut self) -> Outcome {
        match self.last_status.clone() {
            Some(RunStatus::Success) => self.finish(OutcomeKind::Success, None),
            Some(RunStatus::Partial) => self.finish(OutcomeKind::Partial, None),
            _ => {
                let err = self
                    .last_body
                    .as_ref()
                    .and_then(|b| b.get("error"))
                    .map(|e| OutcomeError {
                        code: e
                            .get("code")
                            .and_then(Value::as_str)
                            .map(ErrorCode::parse)
                            .unwrap_or(ErrorCode::Local(LocalCode::NoErrorCode)),
                        message: e
                            .get("message")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        http_status: None,
                        request_id: None,
                        details: None,
                    })
                    .unwrap_or_else(|| {
                        local_error(
                            LocalCode::NoErrorCode,
                            "the run failed without an error code",
                        )
                    });
                self.finish(OutcomeKind::Failed, Some(err))
            }
        }
    }
}
