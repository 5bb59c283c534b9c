//! Runs: submitting the take (a fresh run every time), cancelling, taking in the job's events
//! and its outcome, and polling runs history left unfinished or the person resumes.

use std::sync::Arc;

use crate::api::model::PollResponse;
use crate::engine::job::DEFAULT_MAX_WAIT;
use crate::engine::{EventSink, JobEvent, JobHandle, JobSpec, Outcome, OutcomeError, OutcomeKind};
use crate::ui::app::{App, AppEvent, Screen, dialog_with_origin};
use crate::ui::progress::RunView;

/// The job on screen.
pub struct ActiveJob {
    /// Tells this job's events from a previous one's.
    pub id: u64,
    /// Cancel / wait.
    pub handle: JobHandle,
    /// The file the person recorded or picked (its take is marked submitted on acceptance).
    pub take_original: std::path::PathBuf,
}

impl App {
    /// Submits the take as a fresh run (a new run id every time; a failed id is never reused).
    pub(crate) fn submit(&mut self) {
        if self.job.is_some() {
            self.toast("A run is already in progress.", true);
            return;
        }
        let Some(take) = self.take.clone() else {
            self.toast("Record or import something first.", true);
            return;
        };
        let client = match self.client() {
            Ok(c) => c,
            Err(e) => {
                self.toast(e, true);
                return;
            }
        };
        let mut spec = JobSpec::new(take.path.clone());
        spec.original = (take.original != take.path).then(|| take.original.clone());
        // Already prepared (an upload file that still fits is used as it is); prepared again
        // here only if that file has gone.
        spec.work_dir = Some(self.paths.prepared_dir());
        spec.language = self.take_language().to_string();
        spec.external_id = self
            .settings
            .default_external_id
            .clone()
            .filter(|s| !s.trim().is_empty());
        spec.metadata = self
            .settings
            .default_metadata
            .clone()
            .filter(|s| !s.trim().is_empty());
        let id = self.next_job_id;
        self.next_job_id += 1;
        let sender = self.sender.clone();
        let sink: EventSink = Arc::new(move |event| sender.send(AppEvent::Job { job: id, event }));
        let handle = crate::engine::spawn(
            self.rt.handle(),
            client,
            crate::engine::Start::Submit(spec),
            crate::engine::JobOptions::default(),
            Some(self.history.records()),
            sink,
        );
        self.job = Some(ActiveJob {
            id,
            handle,
            take_original: take.original.clone(),
        });
        self.run = Some(RunView::new(take.file_name()));
        self.state.screen = Screen::Progress;
        self.refresh_history();
    }

    /// Stops waiting for the run in flight; the job confirms with `Finished(Cancelled)`.
    pub(crate) fn cancel_run(&mut self) {
        if let Some(job) = &self.job {
            job.handle.cancel();
            if let Some(run) = &mut self.run {
                run.cancelling = true;
            }
        }
    }

    pub(crate) fn on_job_event(&mut self, job: u64, event: JobEvent) {
        let current = self.job.as_ref().map(|j| j.id);
        if current != Some(job) {
            return;
        }
        if let Some(run) = &mut self.run {
            run.apply(&event);
        }
        match event {
            JobEvent::Accepted { .. } => {
                if let Some(path) = self.job.as_ref().map(|j| j.take_original.clone()) {
                    self.mark_submitted(&path);
                }
                self.refresh_history();
            }
            JobEvent::Finished(outcome) => self.finish(outcome),
            _ => {}
        }
    }

    fn finish(&mut self, outcome: Outcome) {
        self.job = None;
        self.refresh_history();
        self.refresh_credits();
        if self.support.opened {
            self.support_refresh_account();
        }
        match outcome.kind {
            OutcomeKind::Success | OutcomeKind::Partial => {
                match outcome
                    .result
                    .clone()
                    .map(serde_json::from_value::<PollResponse>)
                {
                    Some(Ok(poll)) => {
                        self.result = Some(poll);
                        // The simulator marks its answers (x-zenhire-simulator), key or not.
                        self.result_simulated = self
                            .run
                            .as_ref()
                            .is_some_and(|r| r.exchanges.iter().any(|x| x.simulated));
                        self.result_record = None;
                        self.state.screen = Screen::Result;
                    }
                    Some(Err(e)) => self.toast(format!("The result could not be read: {e}"), true),
                    None => self.toast("The run finished without a result body.", true),
                }
            }
            OutcomeKind::Cancelled => {
                self.run = None;
                self.state.screen = Screen::Record;
                self.toast(
                    crate::guidance::cancelled_text(outcome.run_id.as_deref()),
                    false,
                );
            }
            OutcomeKind::Failed
            | OutcomeKind::Rejected
            | OutcomeKind::GaveUp
            | OutcomeKind::InvalidInput
            | OutcomeKind::InternalError => {
                let err = outcome.error.clone().unwrap_or_else(|| OutcomeError {
                    code: crate::api::ErrorCode::Unknown(outcome.kind.as_str().to_uppercase()),
                    message: String::new(),
                    http_status: None,
                    request_id: None,
                    details: None,
                });
                let nothing_sent = outcome.kind == OutcomeKind::InvalidInput;
                let mut dialog = dialog_with_origin(
                    &err,
                    outcome.run_id.as_deref(),
                    crate::guidance::message_origin(&err, nothing_sent),
                );
                self.offer_trim_when_too_long(&mut dialog);
                self.dialog = Some(dialog);
                // The take stays; the person fixes what the dialog says from the record screen.
                self.state.screen = Screen::Record;
            }
        }
    }

    /// Polls every run history left unfinished (against this same service) to its end. Runs
    /// once the service is usable and the history has been read (both happen off the UI
    /// thread at start-up, and again after a key is saved).
    pub(crate) fn resume_unfinished(&mut self) {
        if !self.resume_pending || !self.connection.is_ready() || !self.history_view.loaded {
            return;
        }
        self.resume_pending = false;
        let Ok(client) = self.client() else { return };
        let in_flight = self
            .job
            .as_ref()
            .and_then(|j| j.handle.local_id().map(str::to_string));
        let unfinished: Vec<(String, String)> = self
            .history_view
            .rows
            .iter()
            .map(|row| &row.record)
            .filter(|r| {
                r.is_unfinished()
                    // A run id only means something to the service that issued it.
                    && r.base_url.as_deref() == Some(self.connection.base_url.as_str())
                    && !self.resuming.contains_key(&r.local_id)
                    && in_flight.as_deref() != Some(r.local_id.as_str())
            })
            .filter_map(|r| Some((r.local_id.clone(), r.run_id.clone()?)))
            .collect();
        for (local_id, run_id) in unfinished {
            let handle = crate::engine::spawn(
                self.rt.handle(),
                client.clone(),
                crate::engine::Start::Resume { run_id },
                crate::engine::JobOptions::with_max_wait(DEFAULT_MAX_WAIT),
                Some(self.history.records()),
                self.resume_sink(&local_id),
            );
            self.resuming.insert(local_id, handle);
        }
    }

    /// Polls one run from history again (History's *Resume*): a cancelled or stopped run
    /// that exists on the service, or an upload the app lost track of. Never submits.
    pub(crate) fn resume_run(&mut self, local_id: &str) {
        if self.resuming.contains_key(local_id) {
            return;
        }
        let Some(record) = self.history_view.row(local_id).map(|r| r.record.clone()) else {
            self.toast("That run is no longer in the history.", true);
            return;
        };
        if record.base_url.as_deref() != Some(self.connection.base_url.as_str()) {
            self.toast(
                "That run was made on another service; connect to it to resume the run.",
                true,
            );
            return;
        }
        let client = match self.client() {
            Ok(c) => c,
            Err(e) => {
                self.toast(e, true);
                return;
            }
        };
        let handle = crate::engine::spawn(
            self.rt.handle(),
            client,
            crate::engine::Start::Record(Box::new(record)),
            crate::engine::JobOptions::with_max_wait(DEFAULT_MAX_WAIT),
            Some(self.history.records()),
            self.resume_sink(local_id),
        );
        self.resuming.insert(local_id.to_string(), handle);
        self.toast(
            "Resumed; the result appears in History when it is ready.",
            false,
        );
    }

    fn resume_sink(&self, local_id: &str) -> EventSink {
        let sender = self.sender.clone();
        let local_id = local_id.to_string();
        Arc::new(move |event| {
            sender.send(AppEvent::Resumed {
                local_id: local_id.clone(),
                event,
            })
        })
    }

    pub(crate) fn on_resumed(&mut self, local_id: String, event: JobEvent) {
        let JobEvent::Finished(outcome) = event else {
            return;
        };
        self.resuming.remove(&local_id);
        self.refresh_history();
        let what = match outcome.kind {
            OutcomeKind::Success | OutcomeKind::Partial => "has its result",
            OutcomeKind::Failed => "failed",
            _ => "stopped",
        };
        self.toast(
            format!(
                "An earlier run {} {what}; see History.",
                outcome.run_id.as_deref().unwrap_or("")
            ),
            false,
        );
    }
}
