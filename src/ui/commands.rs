//! What the app does: running [`Command`]s, taking in background [`AppEvent`]s, connecting to
//! the service (or the built-in simulator), submitting and resuming runs. Words for errors come
//! from `guidance`; retry rules live in `engine`; nothing here sleeps or blocks the UI thread
//! for long.

use std::path::PathBuf;
use std::sync::Arc;

use crate::api::client::{ApiClient, ApiKey, DEFAULT_BASE_URL, check_base_url};
use crate::api::model::PollResponse;
use crate::engine::job::DEFAULT_MAX_WAIT;
use crate::engine::{EventSink, JobEvent, JobSpec, Outcome, OutcomeError, OutcomeKind};
use crate::guidance::{self, Action};
use crate::ui::app::{ActiveJob, App, AppEvent, Command, Connection, Screen, Take, TakeSource};
use crate::ui::dialogs::ErrorDialog;
use crate::ui::progress::RunView;

/// Where "Top up credits" sends the person. The docs name the dashboard but give no billing
/// path, so this is the documented host; the person signs in and finds billing there.
pub const ACCOUNT_URL: &str = "https://platform.zenhire.ai";

/// The button for a guidance action, or `None` when there is nothing to press.
pub fn command_for_action(action: &Action, support_summary: &str) -> Option<(String, Command)> {
    let command = match action {
        Action::TopUpCredits => Command::OpenUrl(ACCOUNT_URL.to_string()),
        Action::CheckKey | Action::RotateKey => Command::FocusKeySettings,
        // A warm-up refusal creates no run: a fresh submit waits it out with a countdown.
        Action::WaitForWarmUp | Action::SubmitAgain => Command::Submit,
        Action::FixRecording { .. } | Action::RecordAgain => Command::Navigate(Screen::Record),
        Action::ChooseLanguage => Command::OpenLanguagePicker,
        Action::ContactSupport => Command::CopyToClipboard {
            text: support_summary.to_string(),
            what: "Support summary",
        },
        Action::None => return None,
    };
    let label = match action {
        Action::WaitForWarmUp => "Try again and wait",
        Action::ContactSupport => "Copy summary for support",
        other => other.label(),
    };
    Some((label.to_string(), command))
}

/// The dialog for how a job ended: title, text and action from `guidance`.
pub fn dialog_for(err: &OutcomeError, run_id: Option<&str>) -> ErrorDialog {
    let g = guidance::for_outcome_error(err, run_id);
    let mut dialog = ErrorDialog {
        title: g.title,
        body: g.body,
        code: err.code.as_str().to_string(),
        message: err.message.clone(),
        request_id: err.request_id.clone(),
        run_id: run_id.map(str::to_string),
        http_status: err.http_status,
        action: None,
        at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    dialog.action = command_for_action(&g.action, &dialog.support_summary());
    dialog
}

impl App {
    /// A client for the service in use.
    pub(crate) fn client(&self) -> Result<ApiClient, String> {
        ApiClient::new(&self.connection.base_url, self.connection.key.clone())
            .map_err(|e| e.to_string())
    }

    /// Picks the service: the saved key against the configured URL, or demo mode on the
    /// built-in simulator when no key is saved.
    pub(crate) fn connect(&mut self) {
        let key = match self.secrets.get() {
            Ok(k) => k,
            Err(e) => {
                self.toast(format!("The saved API key could not be read: {e}"), true);
                None
            }
        };
        if let Some(key) = key {
            self.connection = Connection {
                base_url: self
                    .settings
                    .base_url
                    .clone()
                    .filter(|u| !u.trim().is_empty())
                    .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
                key: Some(key),
                demo: false,
            };
            return;
        }
        if self.demo_sim.is_none() {
            let cfg = self.config.demo_config.clone();
            // Binding a loopback port takes a millisecond; the first frame does not wait on more.
            match self.rt.block_on(crate::simulator::Simulator::start(cfg)) {
                Ok(handle) => self.demo_sim = Some(handle),
                Err(e) => self.toast(format!("The built-in simulator did not start: {e}"), true),
            }
        }
        self.connection = match &self.demo_sim {
            Some(sim) => Connection {
                base_url: sim.base_url(),
                key: ApiKey::new(sim.api_key()),
                demo: true,
            },
            None => Connection {
                base_url: String::new(),
                key: None,
                demo: true,
            },
        };
    }

    /// Asks for the balance in the background.
    pub(crate) fn refresh_credits(&mut self) {
        let Ok(client) = self.client() else { return };
        let sender = self.sender.clone();
        self.rt.spawn(async move {
            let result = client
                .credits()
                .await
                .into_result()
                .map(|c| c.available().or(c.balance()))
                .map_err(|e| e.to_string());
            sender.send(AppEvent::Credits(result));
        });
    }

    /// Polls every run history left unfinished (against this same service) to its end.
    pub(crate) fn resume_unfinished(&mut self) {
        let records = match self.history.list() {
            Ok((records, _unreadable)) => records,
            Err(e) => {
                self.toast(format!("History could not be read: {e}"), true);
                return;
            }
        };
        let Ok(client) = self.client() else { return };
        for record in records {
            let Some(run_id) = record.run_id.clone() else {
                continue;
            };
            // A run id only means something to the service that issued it.
            if !record.is_unfinished()
                || record.base_url.as_deref() != Some(self.connection.base_url.as_str())
                || self.resuming.contains_key(&record.local_id)
            {
                continue;
            }
            let local_id = record.local_id.clone();
            let sender = self.sender.clone();
            let id_for_sink = local_id.clone();
            let sink: EventSink = Arc::new(move |event| {
                sender.send(AppEvent::Resumed {
                    local_id: id_for_sink.clone(),
                    event,
                })
            });
            let handle = crate::engine::spawn(
                self.rt.handle(),
                client.clone(),
                crate::engine::Start::Resume { run_id },
                crate::engine::JobOptions::with_max_wait(DEFAULT_MAX_WAIT),
                Some(self.records()),
                sink,
            );
            self.resuming.insert(local_id, handle);
        }
    }

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
        spec.language = self.settings.default_language.clone();
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
            Some(self.records()),
            sink,
        );
        self.job = Some(ActiveJob { id, handle });
        self.run = Some(RunView::new(take.file_name()));
        self.state.screen = Screen::Progress;
        self.history_dirty = true;
    }

    fn finish(&mut self, outcome: Outcome) {
        self.job = None;
        self.history_dirty = true;
        self.refresh_credits();
        match outcome.kind {
            OutcomeKind::Success | OutcomeKind::Partial => {
                match outcome
                    .result
                    .clone()
                    .map(serde_json::from_value::<PollResponse>)
                {
                    Some(Ok(poll)) => {
                        self.result = Some(poll);
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
                let text = match &outcome.run_id {
                    Some(id) => format!(
                        "Stopped waiting. Run {id} keeps going on the service; it resumes from History."
                    ),
                    None => "Cancelled before anything was sent.".to_string(),
                };
                self.toast(text, false);
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
                self.dialog = Some(dialog_for(&err, outcome.run_id.as_deref()));
                // The take stays; the person fixes what the dialog says from the record screen.
                self.state.screen = Screen::Record;
            }
        }
    }

    pub(crate) fn handle_event(&mut self, event: AppEvent) {
        match event {
            AppEvent::Picked(None) => {}
            AppEvent::Picked(Some(path)) => self.import(path),
            AppEvent::Probed(Ok(take)) => {
                self.importing = false;
                let verb = match take.source {
                    TakeSource::Imported => "Imported",
                    TakeSource::Recorded => "Recorded",
                };
                let converted = if take.converted {
                    format!(", converted to {} for upload", take.format.label())
                } else {
                    String::new()
                };
                let text = self.recovered_note.take().unwrap_or_else(|| {
                    format!(
                        "{verb} {} ({}{converted})",
                        take.file_name(),
                        crate::ui::widgets::format_clock(take.duration)
                    )
                });
                self.toast(text, false);
                self.take = Some(take);
                self.state.screen = Screen::Record;
            }
            AppEvent::Probed(Err(message)) => {
                self.importing = false;
                self.toast(message, true);
            }
            AppEvent::Job { job, event } => {
                let current = self.job.as_ref().map(|j| j.id);
                if current != Some(job) {
                    return;
                }
                if let Some(run) = &mut self.run {
                    run.apply(&event);
                }
                match event {
                    JobEvent::Accepted { .. } => self.history_dirty = true,
                    JobEvent::Finished(outcome) => self.finish(outcome),
                    _ => {}
                }
            }
            AppEvent::Resumed { local_id, event } => {
                if let JobEvent::Finished(outcome) = event {
                    self.resuming.remove(&local_id);
                    self.history_dirty = true;
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
            AppEvent::Credits(result) => self.balance = Some(result),
            AppEvent::KeyTested(result) => {
                self.form.key_testing = false;
                self.form.key_test = Some(result);
            }
            AppEvent::Audio(event) => self.handle_audio_event(event),
            AppEvent::Recovered(repaired, failed) => {
                if let Some(latest) = repaired.last().cloned() {
                    let note = format!(
                        "Recovered {} recording(s) interrupted last time; they are in {}.",
                        repaired.len(),
                        self.paths.recordings_dir().display()
                    );
                    if self.take.is_none() {
                        self.recovered_note = Some(note);
                        self.prepare_take(latest, TakeSource::Recorded);
                    } else {
                        self.toast(note, false);
                    }
                } else if let Some(first) = failed.first() {
                    self.toast(
                        format!("An interrupted recording could not be repaired: {first}"),
                        true,
                    );
                }
            }
        }
    }

    /// Reads the file's format and length off the UI thread and, when the API would not take
    /// it as it is (format, or over 25 MB), converts it (`audio::prepare`); then makes it the take.
    pub(crate) fn import(&mut self, path: PathBuf) {
        self.prepare_take(path, TakeSource::Imported);
    }

    pub(crate) fn prepare_take(&mut self, path: PathBuf, source: TakeSource) {
        self.importing = true;
        let sender = self.sender.clone();
        let work_dir = self.paths.data_dir.join("prepared");
        self.rt.spawn_blocking(move || {
            let result = crate::audio::prepare::for_upload(&path, &work_dir)
                .map(|p| Take {
                    path: p.path,
                    original: path.clone(),
                    converted: p.converted,
                    duration: p.duration,
                    format: p.format,
                    size_bytes: p.size_bytes,
                    source,
                })
                .map_err(|e| format!("Could not use {}: {e}", path.display()));
            sender.send(AppEvent::Probed(result));
        });
    }

    fn test_key(&mut self) {
        let typed = ApiKey::new(self.form.key_input.clone());
        let base = if !self.form.base_url.trim().is_empty() {
            self.form.base_url.trim().to_string()
        } else if typed.is_some() {
            DEFAULT_BASE_URL.to_string()
        } else {
            self.connection.base_url.clone()
        };
        let key = typed.or_else(|| self.connection.key.clone());
        let client = match ApiClient::new(&base, key) {
            Ok(c) => c,
            Err(e) => {
                self.form.key_test = Some(Err(e.to_string()));
                return;
            }
        };
        self.form.key_testing = true;
        self.form.key_test = None;
        let sender = self.sender.clone();
        self.rt.spawn(async move {
            let result = client
                .credits()
                .await
                .into_result()
                .map(|c| c.available().or(c.balance()))
                .map_err(|e| match e.code() {
                    Some(code) => guidance::for_code(&code).title,
                    None => e.to_string(),
                });
            sender.send(AppEvent::KeyTested(result));
        });
    }

    fn save_key(&mut self) {
        let Some(key) = ApiKey::new(self.form.key_input.clone()) else {
            self.toast("Type or paste the key first.", true);
            return;
        };
        if let Err(e) = self.secrets.set(&key) {
            self.toast(format!("The key could not be saved: {e}"), true);
            return;
        }
        self.form.key_input.clear();
        self.connect();
        self.refresh_credits();
        self.resume_unfinished();
        self.toast(format!("Key {} saved", key.masked()), false);
    }

    fn save_settings(&mut self) {
        let base = self.form.base_url.trim().to_string();
        if !base.is_empty()
            && let Err(e) = check_base_url(&base)
        {
            self.toast(e.to_string(), true);
            return;
        }
        let ext = self.form.external_id.trim().to_string();
        if !ext.is_empty()
            && let Err(p) = crate::validate::validate_external_id(&ext)
        {
            self.toast(p.message, true);
            return;
        }
        let meta = self.form.metadata.trim().to_string();
        if !meta.is_empty()
            && let Err(p) = crate::validate::validate_metadata(&meta)
        {
            self.toast(p.message, true);
            return;
        }
        self.settings.base_url = (!base.is_empty()).then_some(base);
        self.settings.default_external_id = (!ext.is_empty()).then_some(ext);
        self.settings.default_metadata = (!meta.is_empty()).then_some(meta);
        self.persist_settings();
        if !self.connection.demo {
            self.connect();
            self.refresh_credits();
        }
        self.toast("Settings saved", false);
    }

    fn persist_settings(&mut self) {
        if let Err(e) = self.settings.save(&self.paths) {
            self.toast(format!("Settings could not be saved: {e}"), true);
        }
    }

    /// Runs one command the UI asked for.
    pub fn run_command(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::Navigate(screen) => {
                if screen == Screen::History {
                    self.history_dirty = true;
                }
                self.state.screen = screen;
            }
            Command::CopyToClipboard { text, what } => {
                ctx.copy_text(text);
                self.toast(format!("{what} copied"), false);
            }
            Command::OpenUrl(url) => match self.config.browser.open(&url) {
                Ok(()) => self.toast(format!("Opened {url} in the browser"), false),
                Err(e) => self.toast(e, true),
            },
            Command::PickFile => {
                let sender = self.sender.clone();
                self.config.file_picker.pick_audio(Box::new(move |picked| {
                    sender.send(AppEvent::Picked(picked))
                }));
            }
            Command::ImportPath(path) => self.import(path),
            Command::DiscardTake => {
                self.stop_playback();
                self.take = None;
            }
            Command::StartRecording => self.start_recording(),
            Command::StopRecording => self.stop_recording(),
            Command::PlayTake => self.play_take(),
            Command::StopPlayback => self.stop_playback(),
            Command::SelectDevice(device) => self.state.device = device,
            Command::RefreshDevices => self.refresh_devices(),
            Command::Submit => self.submit(),
            Command::CancelRun => {
                if let Some(job) = &self.job {
                    job.handle.cancel();
                    if let Some(run) = &mut self.run {
                        run.cancelling = true;
                    }
                }
            }
            Command::DismissDialog => self.dialog = None,
            Command::SetLanguage(code) => {
                let name = crate::languages::language_name(&code).unwrap_or("?");
                self.toast(format!("Language: {name} ({code})"), false);
                self.settings.default_language = code;
                self.language_picker_open = false;
                self.persist_settings();
            }
            Command::OpenLanguagePicker => {
                self.language_filter.clear();
                self.language_picker_open = true;
            }
            Command::CloseLanguagePicker => self.language_picker_open = false,
            Command::FocusKeySettings => {
                self.state.screen = Screen::Settings;
                self.form.focus_key = true;
            }
            Command::SaveKey => self.save_key(),
            Command::ForgetKey => {
                if let Err(e) = self.secrets.clear() {
                    self.toast(format!("The key could not be removed: {e}"), true);
                    return;
                }
                self.connect();
                self.refresh_credits();
                self.toast("Key removed; using the built-in simulator", false);
            }
            Command::TestKey => self.test_key(),
            Command::SaveSettings => self.save_settings(),
            Command::RefreshCredits => self.refresh_credits(),
            Command::OpenRun(local_id) => match self.history.load(&local_id) {
                Ok(record) => {
                    let poll = record
                        .final_body
                        .clone()
                        .and_then(|b| serde_json::from_value::<PollResponse>(b).ok());
                    match poll {
                        Some(poll) => {
                            self.result = Some(poll);
                            self.result_record = Some(record);
                            self.state.screen = Screen::Result;
                        }
                        None => {
                            self.result_record = Some(record);
                            self.state.screen = Screen::Support;
                        }
                    }
                }
                Err(e) => self.toast(format!("That run could not be read: {e}"), true),
            },
            Command::DeleteRecording(local_id) => self.delete_recording(&local_id),
            Command::DeleteRun(local_id) => {
                if let Some(handle) = self.resuming.remove(&local_id) {
                    handle.cancel();
                }
                match self.history.delete(&local_id) {
                    Ok(()) => self.toast("Run removed from history", false),
                    Err(e) => self.toast(format!("Could not remove the run: {e}"), true),
                }
                self.history_dirty = true;
            }
        }
    }

    fn delete_recording(&mut self, local_id: &str) {
        let record = match self.history.load(local_id) {
            Ok(r) => r,
            Err(e) => {
                self.toast(format!("That run could not be read: {e}"), true);
                return;
            }
        };
        let Some(file) = record.file.clone() else {
            return;
        };
        // Only files this app made: an imported original belongs to the person.
        if !crate::ui::history::is_own_recording(&file, &self.paths) {
            self.toast(
                "That file was imported; delete it from your file manager if you want to.",
                true,
            );
            return;
        }
        match std::fs::remove_file(&file) {
            Ok(()) => {
                if self.take.as_ref().is_some_and(|t| t.path == file) {
                    self.take = None;
                }
                self.toast("Recording deleted", false);
            }
            Err(e) => self.toast(format!("Could not delete {}: {e}", file.display()), true),
        }
        self.history_dirty = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ErrorCode;

    #[test]
    fn every_action_has_a_working_command() {
        let cases = [
            (
                Action::TopUpCredits,
                Some(Command::OpenUrl(ACCOUNT_URL.into())),
            ),
            (Action::CheckKey, Some(Command::FocusKeySettings)),
            (Action::RotateKey, Some(Command::FocusKeySettings)),
            (Action::WaitForWarmUp, Some(Command::Submit)),
            (Action::SubmitAgain, Some(Command::Submit)),
            (
                Action::FixRecording { what: "x" },
                Some(Command::Navigate(Screen::Record)),
            ),
            (Action::RecordAgain, Some(Command::Navigate(Screen::Record))),
            (Action::ChooseLanguage, Some(Command::OpenLanguagePicker)),
            (
                Action::ContactSupport,
                Some(Command::CopyToClipboard {
                    text: "summary".into(),
                    what: "Support summary",
                }),
            ),
            (Action::None, None),
        ];
        for (action, want) in cases {
            assert_eq!(
                command_for_action(&action, "summary").map(|(_, c)| c),
                want,
                "{action:?}"
            );
        }
    }

    #[test]
    fn unknown_code_dialog_shows_code_message_and_request_id() {
        let d = dialog_for(
            &OutcomeError {
                code: ErrorCode::Unknown("BRAND_NEW_CODE".into()),
                message: "Something new.".into(),
                http_status: Some(418),
                request_id: Some("req_9_xyz".into()),
                details: None,
            },
            None,
        );
        assert_eq!(d.code, "BRAND_NEW_CODE");
        assert!(d.title.contains("BRAND_NEW_CODE"));
        assert_eq!(d.request_id.as_deref(), Some("req_9_xyz"));
        assert!(d.support_summary().contains("Something new."));
    }
}
