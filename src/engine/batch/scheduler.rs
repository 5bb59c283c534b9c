//! The scheduler: decides what each row does next (from the batch and the row's history
//! record), checks the rows to submit, then starts rows on the account's run slots and keeps
//! the batch's state saved as they go.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};

use super::{BatchContext, BatchError, BatchEvent, BatchState, RowEnding, RowStatus};
use crate::api::codes::{ErrorCode, LocalCode};
use crate::engine::checks::check_without_converting;
use crate::engine::events::{EventSink, JobEvent};
use crate::engine::job::{self, JobSpec, Start};
use crate::engine::outcome::{Outcome, OutcomeError, OutcomeKind};
use crate::engine::policy::WaitReason;
use crate::engine::record::{RecordClaim, RunRecord};

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
        slot: crate::engine::account::RunSlot,
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
                    original: None,
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
        let mut pause = self.ctx.pause.clone();
        loop {
            if cancel.is_cancelled() {
                self.queue.clear();
            }
            if self.queue.is_empty() && jobs.is_empty() {
                break;
            }
            let paused = pause.as_ref().is_some_and(|p| *p.borrow());
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
                () = pause_changed(&mut pause), if pause.is_some() => {}
                slot = account.run_slot(), if !self.queue.is_empty() && !paused => {
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

/// Waits until the pause switch changes; a switch whose sender is gone is dropped (the batch
/// goes on unpaused).
async fn pause_changed(pause: &mut Option<tokio::sync::watch::Receiver<bool>>) {
    match pause {
        Some(p) => {
            if p.changed().await.is_err() {
                *pause = None;
            }
        }
        None => std::future::pending().await,
    }
}

/// What is left of the wait an earlier attempt chose after its last poll (the service gates
/// polls of one run; a rerun right after a crash must not poll sooner). A poll the earlier
/// attempt cut short may still have reached the service: the wait then counts from it.
fn pending_wait(record: &RunRecord, now: DateTime<Utc>) -> Option<Duration> {
    use crate::engine::policy::Step;
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

#[cfg(test)]
mod tests {
    use super::*;

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
