//! The job: validate → submit → poll to a terminal state, as an async task that follows the
//! rules in [`super::policy`], emits [`JobEvent`]s, logs every exchange and persists the run at
//! every state change. This is the only place in the app that sleeps between requests.
//!
//! Entry points: [`run_job`] / [`run_resume`] (async, for callers already on a runtime) and the
//! thin spawners [`spawn_job`] / [`spawn_resume`] returning a [`JobHandle`].

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use chrono::Utc;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::checks::{Prepared, check_submission};
use super::events::{EventSink, JobEvent};
use super::outcome::{Outcome, OutcomeError, OutcomeKind, local_codes};
use super::policy::{self, Decision, Happened, Next, Situation, Step, WaitReason};
use super::reqlog::{ChosenWait, Exchange};
use crate::api::client::{ApiClient, Facts, RunsFilter};
use crate::api::codes::ErrorCode;
use crate::api::error::ApiError;
use crate::api::model::{RunStatus, RunsList};
use crate::store::history::{History, LoggedEvent, RunRecord};

/// Default total budget: long enough to sit out a 20-minute warm-up and a slow queue.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(3600);

/// Clock skew tolerated when matching a looked-up run's `createdAt` against the job's start.
const LOOKUP_SKEW: chrono::TimeDelta = chrono::TimeDelta::seconds(300);

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
    /// Total budget; ends in `gave_up`.
    pub max_wait: Duration,
    /// Where a file that cannot be uploaded as it is (over 25 MB, or a format the API does not
    /// take) is converted for upload (`audio::prepare`); `None`: such a file is refused.
    /// The converted file is removed when the job ends.
    pub work_dir: Option<PathBuf>,
}

impl JobSpec {
    /// A spec with the defaults: English, generated externalId, no metadata, one hour.
    pub fn new(file: impl Into<PathBuf>) -> JobSpec {
        JobSpec {
            file: file.into(),
            language: "en".to_string(),
            external_id: None,
            metadata: None,
            max_wait: DEFAULT_MAX_WAIT,
            work_dir: None,
        }
    }
}

/// A fresh externalId: `ss-<uuid>`.
pub fn generate_external_id() -> String {
    format!("ss-{}", uuid::Uuid::new_v4())
}

/// A running job.
#[derive(Debug)]
pub struct JobHandle {
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<Outcome>,
    local_id: String,
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

    /// The history id of this job's record.
    pub fn local_id(&self) -> &str {
        &self.local_id
    }

    /// True once the task has ended.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits for the outcome.
    pub async fn finished(self) -> Outcome {
        match self.task.await {
            Ok(o) => o,
            Err(e) => Outcome {
                kind: OutcomeKind::Cancelled,
                run_id: None,
                external_id: None,
                result: None,
                error: Some(OutcomeError {
                    code: ErrorCode::Unknown("JOB_ABORTED".into()),
                    message: e.to_string(),
                    http_status: None,
                    request_id: None,
                    details: None,
                }),
            },
        }
    }
}

/// Starts a job on `rt`.
pub fn spawn_job(
    rt: &tokio::runtime::Handle,
    client: ApiClient,
    spec: JobSpec,
    history: Option<History>,
    sink: EventSink,
) -> JobHandle {
    let cancel = CancellationToken::new();
    let record = RunRecord::new(Utc::now());
    let local_id = record.local_id.clone();
    let task = rt.spawn(run_job_with_record(
        client,
        spec,
        history,
        sink,
        cancel.clone(),
        record,
    ));
    JobHandle {
        cancel,
        task,
        local_id,
    }
}

/// Starts polling an existing run on `rt` (never submits).
pub fn spawn_resume(
    rt: &tokio::runtime::Handle,
    client: ApiClient,
    run_id: String,
    max_wait: Duration,
    history: Option<History>,
    sink: EventSink,
) -> JobHandle {
    let cancel = CancellationToken::new();
    let record = existing_record(history.as_ref(), &run_id);
    let local_id = record.local_id.clone();
    let task = rt.spawn(resume_with_record(
        client,
        run_id,
        max_wait,
        history,
        sink,
        cancel.clone(),
        record,
    ));
    JobHandle {
        cancel,
        task,
        local_id,
    }
}

/// Validates, submits and polls to a terminal state.
pub async fn run_job(
    client: ApiClient,
    spec: JobSpec,
    history: Option<History>,
    sink: EventSink,
    cancel: CancellationToken,
) -> Outcome {
    let record = RunRecord::new(Utc::now());
    run_job_with_record(client, spec, history, sink, cancel, record).await
}

/// Polls an existing run to a terminal state; never submits.
pub async fn run_resume(
    client: ApiClient,
    run_id: String,
    max_wait: Duration,
    history: Option<History>,
    sink: EventSink,
    cancel: CancellationToken,
) -> Outcome {
    let record = existing_record(history.as_ref(), &run_id);
    resume_with_record(client, run_id, max_wait, history, sink, cancel, record).await
}

fn existing_record(history: Option<&History>, run_id: &str) -> RunRecord {
    let found = history.and_then(|h| match h.find_by_run_id(run_id) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!("history look-up failed: {e}");
            None
        }
    });
    found.unwrap_or_else(|| {
        let mut r = RunRecord::new(Utc::now());
        r.run_id = Some(run_id.to_string());
        r
    })
}

async fn run_job_with_record(
    client: ApiClient,
    spec: JobSpec,
    history: Option<History>,
    sink: EventSink,
    cancel: CancellationToken,
    mut record: RunRecord,
) -> Outcome {
    let external_id = spec
        .external_id
        .clone()
        .unwrap_or_else(generate_external_id);
    record.external_id = Some(external_id.clone());
    record.file = Some(spec.file.clone());
    record.language = Some(spec.language.clone());
    record.base_url = Some(client.base_url().to_string());
    let mut d = Driver::new(client, sink, history, record, cancel, spec.max_wait);
    d.emit(JobEvent::Validating);

    let (file, language, metadata) = (spec.file.clone(), spec.language.clone(), spec.metadata);
    let (ext, work_dir) = (external_id.clone(), spec.work_dir);
    let checked = tokio::task::spawn_blocking(move || {
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
            return d.finish(OutcomeKind::InvalidInput, Some(local_error(code, message)));
        }
        Err(e) => {
            return d.finish(
                OutcomeKind::InvalidInput,
                Some(local_error(
                    ErrorCode::AudioDurationUnavailable,
                    format!("checking the file failed: {e}"),
                )),
            );
        }
    };
    d.record.metadata = prepared.fields.metadata.clone();
    d.save();
    let converted = prepared.clone();
    let outcome = d.drive(Next::Submit, Some(prepared)).await;
    converted.discard_conversion();
    outcome
}

async fn resume_with_record(
    client: ApiClient,
    run_id: String,
    max_wait: Duration,
    history: Option<History>,
    sink: EventSink,
    cancel: CancellationToken,
    mut record: RunRecord,
) -> Outcome {
    record.run_id = Some(run_id);
    resume_record(client, record, max_wait, history, sink, cancel).await
}

/// Finishes an unfinished history record (see [`RunRecord::is_unfinished`]): polls its run,
/// or — when the app stopped during an upload, before the service answered — looks the run up
/// by externalId and polls it if it exists. Never submits: a lost upload that created no run
/// ends in `gave_up` with code `NOT_SUBMITTED`, for the person to submit again.
pub async fn resume_record(
    client: ApiClient,
    mut record: RunRecord,
    max_wait: Duration,
    history: Option<History>,
    sink: EventSink,
    cancel: CancellationToken,
) -> Outcome {
    record.outcome = None;
    if record.base_url.is_none() {
        record.base_url = Some(client.base_url().to_string());
    }
    let created = record.created;
    let mut d = Driver::new(client, sink, history, record, cancel, max_wait);
    // Announce the status afresh on the first poll (a front end may be starting up).
    d.last_status = None;
    d.save();
    if d.run_id.is_some() {
        d.accepted_offset = d
            .record
            .accepted_at
            .and_then(|at| (Utc::now() - at).to_std().ok())
            .unwrap_or_default();
        d.accepted = Some(Instant::now());
        d.drive(Next::Poll, None).await
    } else {
        // Runs created since the record was made are ours.
        d.started_utc = created;
        d.drive(Next::LookUp, None).await
    }
}

/// Starts [`resume_record`] on `rt`.
pub fn spawn_resume_record(
    rt: &tokio::runtime::Handle,
    client: ApiClient,
    record: RunRecord,
    max_wait: Duration,
    history: Option<History>,
    sink: EventSink,
) -> JobHandle {
    let cancel = CancellationToken::new();
    let local_id = record.local_id.clone();
    let task = rt.spawn(resume_record(
        client,
        record,
        max_wait,
        history,
        sink,
        cancel.clone(),
    ));
    JobHandle {
        cancel,
        task,
        local_id,
    }
}

fn local_error(code: ErrorCode, message: String) -> OutcomeError {
    OutcomeError {
        code,
        message,
        http_status: None,
        request_id: None,
        details: None,
    }
}

fn outcome_error(e: &ApiError) -> OutcomeError {
    match e {
        ApiError::Api { status, body, .. } => OutcomeError {
            code: body.code.clone(),
            message: body.message.clone(),
            http_status: Some(*status),
            request_id: body.request_id.clone(),
            details: body.details.clone(),
        },
        ApiError::BadBody {
            status, snippet, ..
        } => OutcomeError {
            code: if (400..500).contains(status) {
                ErrorCode::from_status(*status)
            } else {
                ErrorCode::Unknown(local_codes::BAD_RESPONSE.into())
            },
            message: format!("HTTP {status} with an unreadable body: {snippet}"),
            http_status: Some(*status),
            request_id: None,
            details: None,
        },
        ApiError::Network { message, .. } => OutcomeError {
            code: ErrorCode::Unknown(local_codes::NETWORK_ERROR.into()),
            message: message.clone(),
            http_status: None,
            request_id: None,
            details: None,
        },
    }
}

fn happened_from(e: &ApiError) -> Happened {
    match e {
        ApiError::Api {
            status,
            body,
            retry_after,
        } => Happened::Api {
            http_status: *status,
            code: body.code.clone(),
            retry_after: *retry_after,
        },
        ApiError::BadBody {
            status,
            retry_after,
            ..
        } => Happened::BadBody {
            http_status: *status,
            retry_after: *retry_after,
        },
        ApiError::Network {
            may_have_reached_server,
            ..
        } => Happened::Network {
            may_have_reached_server: *may_have_reached_server,
        },
    }
}

fn describe_next(d: &Decision) -> String {
    match d {
        Decision::Wait { then, .. } | Decision::Now(then) => match then {
            Next::Submit => "submit again",
            Next::Poll => "poll",
            Next::LookUp => "look the run up by externalId",
        }
        .to_string(),
        Decision::Finished => "finished".into(),
        Decision::Refused => "stop: refused".into(),
        Decision::GiveUp { .. } => "give up: budget exhausted".into(),
    }
}

struct Driver {
    client: ApiClient,
    sink: EventSink,
    history: Option<History>,
    record: RunRecord,
    cancel: CancellationToken,
    started: Instant,
    started_utc: chrono::DateTime<Utc>,
    budget: Duration,
    accepted: Option<Instant>,
    accepted_offset: Duration,
    last_hint: Option<u64>,
    run_id: Option<String>,
    last_status: Option<RunStatus>,
    last_queue_position: Option<u32>,
    last_body: Option<Value>,
    last_error: Option<OutcomeError>,
}

/// One request's result, reduced for the policy and the log.
struct Step1 {
    step: Step,
    happened: Happened,
    facts: Facts,
    error: Option<ApiError>,
}

impl Driver {
    fn new(
        client: ApiClient,
        sink: EventSink,
        history: Option<History>,
        record: RunRecord,
        cancel: CancellationToken,
        budget: Duration,
    ) -> Driver {
        Driver {
            client,
            sink,
            history,
            cancel,
            started: Instant::now(),
            started_utc: Utc::now(),
            budget,
            accepted: None,
            accepted_offset: Duration::ZERO,
            last_hint: None,
            run_id: record.run_id.clone(),
            last_status: record.last_status.as_deref().map(RunStatus::parse),
            last_queue_position: None,
            last_body: record.final_body.clone(),
            last_error: None,
            record,
        }
    }

    fn external_id(&self) -> Option<String> {
        self.record.external_id.clone()
    }

    fn save(&mut self) {
        self.record.updated = Utc::now();
        if let Some(h) = &self.history
            && let Err(e) = h.save(&self.record)
        {
            tracing::warn!("could not save run history: {e}");
        }
    }

    fn emit(&mut self, event: JobEvent) {
        let keep = match &event {
            JobEvent::Exchange(_) => false,
            JobEvent::Uploading { sent, total } => sent == total,
            _ => true,
        };
        if keep {
            self.record.events.push(LoggedEvent {
                at: Utc::now(),
                event: event.clone(),
            });
        }
        (self.sink)(event);
    }

    fn finish(&mut self, kind: OutcomeKind, error: Option<OutcomeError>) -> Outcome {
        let outcome = Outcome {
            kind,
            run_id: self.run_id.clone(),
            external_id: self.external_id(),
            result: self.last_body.clone(),
            error,
        };
        self.record.outcome = Some(outcome.clone());
        self.record.final_body = self.last_body.clone();
        self.emit(JobEvent::Finished(outcome.clone()));
        self.save();
        outcome
    }

    fn cancelled(&mut self) -> Outcome {
        self.finish(OutcomeKind::Cancelled, None)
    }

    fn since_accepted(&self) -> Duration {
        self.accepted
            .map(|a| a.elapsed() + self.accepted_offset)
            .unwrap_or_default()
    }

    fn note_status(&mut self, status: &RunStatus, queue_position: Option<u32>) {
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

    fn accept(&mut self, run_id: String, status: RunStatus, queue_position: Option<u32>) {
        self.run_id = Some(run_id.clone());
        self.record.run_id = Some(run_id.clone());
        self.accepted = Some(Instant::now());
        self.record.accepted_at = Some(Utc::now());
        let external_id = self.external_id().unwrap_or_default();
        self.emit(JobEvent::Accepted {
            run_id,
            external_id,
            status: status.clone(),
            queue_position,
        });
        self.note_status(&status, queue_position);
        self.save();
    }

    fn remember_hint(&mut self, poll_interval: Option<u64>, retry_after: Option<u64>) {
        if let Some(h) = poll_interval.max(retry_after) {
            self.last_hint = Some(h);
        }
    }

    async fn submit(&mut self, prepared: &Prepared) -> Step1 {
        if self.record.upload_started.is_none() {
            // Saved before the first byte goes out: after a crash, the run is looked up.
            self.record.upload_started = Some(Utc::now());
            self.save();
        }
        let sink = self.sink.clone();
        let reply = tokio::select! {
            r = self.client.submit(&prepared.path, prepared.mime, &prepared.fields, move |sent, total| {
                sink(JobEvent::Uploading { sent, total });
            }) => r,
            _ = self.cancel.cancelled() => {
                return Step1 { step: Step::Submit, happened: Happened::Network { may_have_reached_server: true }, facts: cancelled_facts("POST", "/api/v1/speech/analyze"), error: None };
            }
        };
        self.record.simulated |= reply.facts.simulated;
        match reply.result {
            Ok(acc) => {
                // Kept in history as the "upload complete" mark (chunk events are not).
                let size = prepared.info.size_bytes;
                self.emit(JobEvent::Uploading {
                    sent: size,
                    total: size,
                });
                self.remember_hint(acc.poll_interval_seconds, reply.facts.retry_after);
                if let Some(body) = reply.facts.body.as_deref() {
                    self.last_body = serde_json::from_str(body).ok();
                }
                let happened = Happened::Accepted {
                    status: acc.status.clone(),
                    poll_interval: acc.poll_interval_seconds,
                    retry_after: reply.facts.retry_after,
                };
                self.accept(acc.id, acc.status, acc.queue_position);
                Step1 {
                    step: Step::Submit,
                    happened,
                    facts: reply.facts,
                    error: None,
                }
            }
            Err(e) => Step1 {
                step: Step::Submit,
                happened: happened_from(&e),
                facts: reply.facts,
                error: Some(e),
            },
        }
    }

    async fn poll(&mut self) -> Step1 {
        let run_id = self.run_id.clone().unwrap_or_default();
        let reply = tokio::select! {
            r = self.client.poll(&run_id) => r,
            _ = self.cancel.cancelled() => {
                return Step1 { step: Step::Poll, happened: Happened::Network { may_have_reached_server: true }, facts: cancelled_facts("GET", "/api/v1/speech/analyze"), error: None };
            }
        };
        self.record.simulated |= reply.facts.simulated;
        match reply.result {
            Ok(p) => {
                self.remember_hint(p.poll_interval_seconds, reply.facts.retry_after);
                if let Some(body) = reply.facts.body.as_deref() {
                    self.last_body = serde_json::from_str(body).ok();
                }
                self.note_status(&p.status, p.queue_position);
                Step1 {
                    step: Step::Poll,
                    happened: Happened::Polled {
                        status: p.status,
                        poll_interval: p.poll_interval_seconds,
                        retry_after: reply.facts.retry_after,
                    },
                    facts: reply.facts,
                    error: None,
                }
            }
            Err(e) => Step1 {
                step: Step::Poll,
                happened: happened_from(&e),
                facts: reply.facts,
                error: Some(e),
            },
        }
    }

    /// Finds the run a lost submit may have created. Only rows with our externalId created
    /// after this job started (with some clock skew) count.
    fn find_ours<'a>(
        &self,
        list: &'a RunsList,
        external_id: &str,
    ) -> Option<&'a crate::api::model::RunRow> {
        list.rows.iter().find(|row| {
            let ours = row.external_id.as_deref().is_none_or(|e| e == external_id);
            let recent = row
                .created_at
                .as_deref()
                .and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
                .is_none_or(|c| c.with_timezone(&Utc) >= self.started_utc - LOOKUP_SKEW);
            ours && recent
        })
    }

    async fn look_up(&mut self, lookups: u32) -> Step1 {
        let external_id = self.external_id().unwrap_or_default();
        self.emit(JobEvent::CheckingForLostSubmit {
            external_id: external_id.clone(),
        });
        let filter = RunsFilter {
            external_id: Some(external_id.clone()),
            ..RunsFilter::default()
        };
        let reply = tokio::select! {
            r = self.client.runs(&filter) => r,
            _ = self.cancel.cancelled() => {
                return Step1 { step: Step::LookUp, happened: Happened::Network { may_have_reached_server: true }, facts: cancelled_facts("GET", "/api/v1/speech/runs"), error: None };
            }
        };
        match reply.result {
            Ok(list) => {
                let found = self
                    .find_ours(&list, &external_id)
                    .map(|row| (row.id.clone(), row.status.clone()));
                if let Some((id, status)) = &found {
                    let status = status.clone().unwrap_or(RunStatus::Queued);
                    self.accept(id.clone(), status, None);
                }
                Step1 {
                    step: Step::LookUp,
                    happened: Happened::LookedUp {
                        found: found.is_some(),
                        lookups,
                    },
                    facts: reply.facts,
                    error: None,
                }
            }
            Err(e) => Step1 {
                step: Step::LookUp,
                happened: happened_from(&e),
                facts: reply.facts,
                error: Some(e),
            },
        }
    }

    /// Waits, showing why; false when cancelled.
    async fn wait(&mut self, delay: Duration, reason: WaitReason, code: Option<ErrorCode>) -> bool {
        self.emit(JobEvent::Waiting {
            reason,
            code,
            seconds: delay.as_secs_f64(),
            until: SystemTime::now() + delay,
        });
        tokio::select! {
            _ = tokio::time::sleep(delay) => true,
            _ = self.cancel.cancelled() => false,
        }
    }

    async fn drive(&mut self, mut next: Next, prepared: Option<Prepared>) -> Outcome {
        let mut failures: u32 = 0;
        let mut submits: u32 = 0;
        let mut lookups: u32 = 0;
        let mut last_step: Option<Step> = None;
        loop {
            if self.cancel.is_cancelled() {
                return self.cancelled();
            }
            let this_step = match next {
                Next::Submit => Step::Submit,
                Next::Poll => Step::Poll,
                Next::LookUp => Step::LookUp,
            };
            if last_step != Some(this_step) {
                failures = 0;
            }
            if failures > 0 {
                self.emit(JobEvent::Retrying {
                    attempt: failures + 1,
                });
            }
            let attempt = failures + 1;
            let result = match next {
                Next::Submit => {
                    let Some(p) = prepared.as_ref() else {
                        // Resuming never submits: the lost upload created no run.
                        return self.finish(
                            OutcomeKind::GaveUp,
                            Some(local_error(
                                ErrorCode::Unknown(local_codes::NOT_SUBMITTED.into()),
                                "the upload never reached the service; submit the recording again"
                                    .into(),
                            )),
                        );
                    };
                    submits += 1;
                    lookups = 0;
                    self.submit(p).await
                }
                Next::Poll => self.poll().await,
                Next::LookUp => {
                    lookups += 1;
                    self.look_up(lookups).await
                }
            };
            if self.cancel.is_cancelled() {
                return self.cancelled();
            }
            last_step = Some(this_step);
            let failed = result.error.is_some();
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
                elapsed: self.started.elapsed(),
                since_accepted: self.since_accepted(),
                last_hint: self.last_hint,
                budget: self.budget,
                jitter: rand::random::<f64>(),
            };
            let mut decision = policy::decide(&situation);
            let resubmit = matches!(
                decision,
                Decision::Wait {
                    then: Next::Submit,
                    ..
                } | Decision::Now(Next::Submit)
            );
            if resubmit && prepared.is_none() {
                // Resuming never submits: no point waiting to do what we won't do.
                decision = Decision::Now(Next::Submit);
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
            exchange.decision = describe_next(&decision);
            let code = exchange.code.clone();
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
                    let err = result.error.as_ref().map(outcome_error);
                    return self.finish(OutcomeKind::Rejected, err);
                }
                Decision::GiveUp { .. } => {
                    let err = if failed {
                        self.last_error.clone()
                    } else {
                        Some(local_error(
                            ErrorCode::Unknown(local_codes::MAX_WAIT_EXCEEDED.into()),
                            format!(
                                "no final result within {} s; resume the run later",
                                self.budget.as_secs()
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
                    .map(|e| {
                        let code = e
                            .get("code")
                            .and_then(Value::as_str)
                            .map(ErrorCode::parse)
                            .unwrap_or(ErrorCode::Unknown("UNKNOWN".into()));
                        let message = e
                            .get("message")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string();
                        local_error(code, message)
                    })
                    .unwrap_or_else(|| {
                        local_error(
                            ErrorCode::Unknown("UNKNOWN".into()),
                            "the run failed without an error code".into(),
                        )
                    });
                self.finish(OutcomeKind::Failed, Some(err))
            }
        }
    }
}

fn cancelled_facts(method: &'static str, path: &str) -> Facts {
    Facts {
        method,
        path: path.to_string(),
        started: Utc::now(),
        status: None,
        retry_after: None,
        latency: Duration::ZERO,
        bytes_sent: 0,
        bytes_received: 0,
        body: None,
        simulated: false,
    }
}
