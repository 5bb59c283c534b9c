//! The app shell: persisted [`State`], the current [`Screen`], the [`Command`]s the UI asks
//! for (run once at the end of the frame), and the background events that come back over a
//! channel followed by `request_repaint`. Background work runs on the tokio runtime the app
//! owns, so a hidden window never stalls a run.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::api::model::PollResponse;
use crate::audio::probe::{AudioFormat, probe_file};
use crate::ui::ports::{BrowserOpener, FilePicker, RfdFilePicker, SystemBrowser};
use crate::ui::{dialogs, history, progress, record, result, settings};

/// The screens of the app. Small and `Copy` so it can be passed around freely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Screen {
    /// Record or import a take, then submit it.
    #[default]
    Record,
    /// A run in flight: upload, queue, waits, processing.
    Progress,
    /// A finished run's scores.
    Result,
    /// Every run so far.
    History,
    /// Key, service address, language, defaults.
    Settings,
    /// The request log of the current run, for support staff.
    Support,
}

impl Screen {
    /// Name on the navigation bar.
    pub fn label(self) -> &'static str {
        match self {
            Screen::Record => "Record",
            Screen::Progress => "Progress",
            Screen::Result => "Result",
            Screen::History => "History",
            Screen::Settings => "Settings",
            Screen::Support => "Request log",
        }
    }
}

/// Everything worth keeping between launches. Unknown or missing fields fall back to defaults
/// so an older file never stops the app from starting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    /// The screen shown last (runs in flight are resumed from history, not from here).
    pub screen: Screen,
    /// ISO 639-1 code sent with each submission.
    pub language: String,
    /// The input device chosen last (`None`: the system default).
    pub device: Option<String>,
}

impl Default for State {
    fn default() -> Self {
        State {
            screen: Screen::Record,
            language: "en".to_string(),
            device: None,
        }
    }
}

/// A side effect the UI asks for. Drawing code only pushes these; [`App::run_command`] runs
/// them once, after the frame is drawn.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Show another screen.
    Navigate(Screen),
    /// Put text on the clipboard and say so in a toast.
    CopyToClipboard {
        /// The text copied.
        text: String,
        /// What it is, for the toast ("Run id").
        what: &'static str,
    },
    /// Open a URL in the browser.
    OpenUrl(String),
    /// Open the file picker to import a recording.
    PickFile,
    /// Use this file as the take (from the picker or drag-and-drop).
    ImportPath(PathBuf),
    /// Forget the current take (the file stays on disk unless the person deletes it).
    DiscardTake,
    /// Close the error dialog.
    DismissDialog,
    /// Set the submission language.
    SetLanguage(String),
}

/// What comes back from background work.
#[derive(Debug)]
pub enum AppEvent {
    /// The file picker closed.
    Picked(Option<PathBuf>),
    /// A file was probed (format and duration read) for import.
    Probed(Result<Take, String>),
}

/// Sends background events to the UI thread and wakes it up.
#[derive(Clone)]
pub struct UiSender {
    tx: Sender<AppEvent>,
    ctx: egui::Context,
}

impl UiSender {
    /// Queues `event` and asks for a repaint so it is handled now, not on the next mouse move.
    pub fn send(&self, event: AppEvent) {
        // A closed channel means the app is shutting down; nothing is left to tell.
        let _ = self.tx.send(event);
        self.ctx.request_repaint();
    }
}

/// Where the take came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakeSource {
    /// Recorded in the app.
    Recorded,
    /// Imported from a file.
    Imported,
}

/// The recording that will be submitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Take {
    /// The audio file on disk.
    pub path: PathBuf,
    /// Length as read from the file.
    pub duration: Duration,
    /// Container/codec as sniffed.
    pub format: AudioFormat,
    /// File size.
    pub size_bytes: u64,
    /// Recorded or imported.
    pub source: TakeSource,
}

impl Take {
    /// The cost the API will charge: 1 credit per started minute.
    pub fn estimated_credits(&self) -> u64 {
        estimated_credits(self.duration)
    }
}

/// 1 credit per started minute.
pub fn estimated_credits(d: Duration) -> u64 {
    d.as_millis().div_ceil(60_000) as u64
}

/// A short message shown at the bottom for a few seconds.
#[derive(Debug, Clone)]
pub struct Toast {
    /// The text.
    pub text: String,
    /// An error (theme's error colour) or information.
    pub is_error: bool,
    shown_at: Instant,
}

const TOAST_TIME: Duration = Duration::from_secs(4);

/// How the app is put together: which desktop doors it uses. Tests replace them.
pub struct AppConfig {
    /// The file dialog.
    pub file_picker: Arc<dyn FilePicker>,
    /// The browser.
    pub browser: Arc<dyn BrowserOpener>,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            file_picker: Arc::new(RfdFilePicker),
            browser: Arc::new(SystemBrowser),
        }
    }
}

/// Errors that stop the app from starting.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The background runtime could not be created.
    #[error("could not start the background runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// The desktop app.
pub struct App {
    /// Persisted between launches.
    pub state: State,
    rt: tokio::runtime::Runtime,
    events: Receiver<AppEvent>,
    sender: UiSender,
    config: AppConfig,
    /// The take that will be submitted.
    pub take: Option<Take>,
    /// The result on the result screen.
    pub result: Option<PollResponse>,
    /// The error dialog, when one is open.
    pub dialog: Option<dialogs::ErrorDialog>,
    /// The toast at the bottom, when one is shown.
    pub toast: Option<Toast>,
    /// A file is being probed for import.
    pub importing: bool,
    /// The text in the language search box.
    pub language_filter: String,
}

impl App {
    /// Builds the app with the given desktop doors on a fresh runtime.
    pub fn new(ctx: &egui::Context, config: AppConfig) -> Result<App, StartError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("speech-scorer-bg")
            .enable_all()
            .build()?;
        let (tx, events) = channel();
        Ok(App {
            state: State::default(),
            rt,
            events,
            sender: UiSender {
                tx,
                ctx: ctx.clone(),
            },
            config,
            take: None,
            result: None,
            dialog: None,
            toast: None,
            importing: false,
            language_filter: String::new(),
        })
    }

    /// Shows a result (e.g. reopened from history) on the result screen.
    pub fn show_result(&mut self, poll: PollResponse) {
        self.result = Some(poll);
        self.state.screen = Screen::Result;
    }

    /// Shows a short message.
    pub fn toast(&mut self, text: impl Into<String>, is_error: bool) {
        self.toast = Some(Toast {
            text: text.into(),
            is_error,
            shown_at: Instant::now(),
        });
    }

    fn handle_events(&mut self) {
        while let Ok(event) = self.events.try_recv() {
            self.handle_event(event);
        }
    }

    fn handle_event(&mut self, event: AppEvent) {
        match event {
            AppEvent::Picked(None) => {}
            AppEvent::Picked(Some(path)) => self.import(path),
            AppEvent::Probed(Ok(take)) => {
                self.importing = false;
                self.toast(
                    format!(
                        "Imported {} ({})",
                        take.path
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                        crate::ui::widgets::format_clock(take.duration)
                    ),
                    false,
                );
                self.take = Some(take);
                self.state.screen = Screen::Record;
            }
            AppEvent::Probed(Err(message)) => {
                self.importing = false;
                self.toast(message, true);
            }
        }
    }

    /// Reads the file's format and length off the UI thread, then makes it the take.
    fn import(&mut self, path: PathBuf) {
        self.importing = true;
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let result = probe_file(&path)
                .map(|info| Take {
                    path: path.clone(),
                    duration: info.duration,
                    format: info.format,
                    size_bytes: info.size_bytes,
                    source: TakeSource::Imported,
                })
                .map_err(|e| format!("Could not import {}: {e}", path.display()));
            sender.send(AppEvent::Probed(result));
        });
    }

    /// Runs one command the UI asked for.
    pub fn run_command(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::Navigate(screen) => self.state.screen = screen,
            Command::CopyToClipboard { text, what } => {
                ctx.copy_text(text);
                self.toast(format!("{what} copied"), false);
            }
            Command::OpenUrl(url) => {
                if let Err(e) = self.config.browser.open(&url) {
                    self.toast(e, true);
                }
            }
            Command::PickFile => {
                let sender = self.sender.clone();
                self.config.file_picker.pick_audio(Box::new(move |picked| {
                    sender.send(AppEvent::Picked(picked))
                }));
            }
            Command::ImportPath(path) => self.import(path),
            Command::DiscardTake => self.take = None,
            Command::DismissDialog => self.dialog = None,
            Command::SetLanguage(code) => self.state.language = code,
        }
    }

    fn nav_ui(&self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            ui.strong("speech-scorer");
            ui.separator();
            let mut screens = vec![Screen::Record];
            if self.state.screen == Screen::Progress {
                screens.push(Screen::Progress);
            }
            if self.result.is_some() {
                screens.push(Screen::Result);
            }
            screens.extend([Screen::History, Screen::Settings]);
            for s in screens {
                if ui
                    .selectable_label(self.state.screen == s, s.label())
                    .clicked()
                {
                    cmds.push(Command::Navigate(s));
                }
            }
        });
    }

    fn toast_ui(&mut self, ui: &mut egui::Ui) {
        let Some(toast) = &self.toast else { return };
        let age = toast.shown_at.elapsed();
        if age >= TOAST_TIME {
            self.toast = None;
            return;
        }
        let colour = if toast.is_error {
            ui.visuals().error_fg_color
        } else {
            ui.visuals().text_color()
        };
        ui.label(egui::RichText::new(&toast.text).color(colour));
        // One repaint when the toast should go away; no busy loop while it is shown.
        ui.ctx().request_repaint_after(TOAST_TIME - age);
    }

    fn dropped_files(&self, ctx: &egui::Context, cmds: &mut Vec<Command>) {
        let dropped = ctx.input(|i| i.raw.dropped_files.clone());
        if let Some(path) = dropped.first().map(|f| f.path().to_path_buf()) {
            cmds.push(Command::ImportPath(path));
        }
    }
}

impl eframe::App for App {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        // Runs even while the window is hidden, so background events keep being handled.
        self.handle_events();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let mut cmds = Vec::new();
        self.dropped_files(&ctx, &mut cmds);
        egui::Panel::top("nav").show(ui, |ui| {
            ui.add_space(4.0);
            self.nav_ui(ui, &mut cmds);
            ui.add_space(2.0);
        });
        egui::Panel::bottom("status").show(ui, |ui| {
            self.toast_ui(ui);
        });
        egui::CentralPanel::default().show(ui, |ui| match self.state.screen {
            Screen::Record => record::record_ui(ui, self, &mut cmds),
            Screen::Progress => progress::progress_ui(ui, self, &mut cmds),
            Screen::Result => match &self.result {
                Some(poll) => result::result_ui(ui, poll, &mut cmds),
                None => {
                    ui.label("No result yet.");
                }
            },
            Screen::History => history::history_ui(ui, self, &mut cmds),
            Screen::Settings => settings::settings_ui(ui, self, &mut cmds),
            Screen::Support => {
                ui.label("No request log yet.");
            }
        });
        if let Some(dialog) = &self.dialog {
            dialogs::error_dialog_ui(&ctx, dialog, &mut cmds);
        }
        for cmd in cmds {
            self.run_command(&ctx, cmd);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_is_one_credit_per_started_minute() {
        assert_eq!(estimated_credits(Duration::ZERO), 0);
        assert_eq!(estimated_credits(Duration::from_secs(1)), 1);
        assert_eq!(estimated_credits(Duration::from_secs(60)), 1);
        assert_eq!(estimated_credits(Duration::from_millis(60_001)), 2);
        assert_eq!(estimated_credits(Duration::from_secs(612)), 11);
    }

    #[test]
    fn state_reads_old_and_partial_files() {
        let s: State = serde_json::from_str(r#"{"language":"de","unknown":1}"#).expect("parse");
        assert_eq!(s.language, "de");
        assert_eq!(s.screen, Screen::Record);
        let back: State =
            serde_json::from_str(&serde_json::to_string(&s).expect("ser")).expect("parse");
        assert_eq!(back, s);
    }
}
