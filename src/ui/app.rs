//! The app shell: persisted [`State`], the current [`Screen`], the [`Command`]s the UI asks
//! for (run once at the end of the frame, see `commands.rs`), and the background events that
//! come back over a channel followed by `request_repaint`. Background work runs on the tokio
//! runtime the app owns, so a hidden or minimised window never stalls a run.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::api::client::ApiKey;
use crate::api::model::PollResponse;
use crate::audio::probe::AudioFormat;
use crate::engine::{JobEvent, JobHandle};
use crate::store::{FileSecretStore, History, Paths, SecretStore, Settings};
use crate::ui::dialogs;
use crate::ui::ports::{BrowserOpener, FilePicker, RfdFilePicker, SystemBrowser};
use crate::ui::progress::RunView;

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
    /// The request log of the run on screen, for support staff.
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
            Screen::Support => "Support",
        }
    }
}

/// What the UI itself keeps between launches (the settings the API uses live in
/// `store::Settings`). Unknown or missing fields fall back to defaults so an older file never
/// stops the app from starting.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    /// The screen shown last (only Record, History and Settings are restored).
    pub screen: Screen,
    /// The input device chosen last (`None`: the system default).
    pub device: Option<String>,
}

impl State {
    fn file(paths: &Paths) -> PathBuf {
        paths.config_dir.join("ui-state.json")
    }

    /// Reads the state; anything unreadable gives the defaults.
    pub fn load(paths: &Paths) -> State {
        std::fs::read_to_string(Self::file(paths))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// Writes the state.
    pub fn save(&self, paths: &Paths) -> std::io::Result<()> {
        std::fs::create_dir_all(&paths.config_dir)?;
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(Self::file(paths), text)
    }
}

/// A side effect the UI asks for. Drawing code only pushes these; `App::run_command` runs
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
    /// Forget the current take (the file stays on disk).
    DiscardTake,
    /// Start recording from the chosen device.
    StartRecording,
    /// Stop recording and keep the take.
    StopRecording,
    /// Play the take.
    PlayTake,
    /// Stop playback.
    StopPlayback,
    /// Choose the input device (`None`: system default).
    SelectDevice(Option<String>),
    /// Read the list of input devices again.
    RefreshDevices,
    /// Submit the take as a fresh run.
    Submit,
    /// Stop the run in flight (the run stays resumable in History).
    CancelRun,
    /// Close the error dialog.
    DismissDialog,
    /// Set the submission language (and close the picker).
    SetLanguage(String),
    /// Open the language picker.
    OpenLanguagePicker,
    /// Close the language picker.
    CloseLanguagePicker,
    /// Open Settings with the key field focused.
    FocusKeySettings,
    /// Save the key typed in Settings and leave demo mode.
    SaveKey,
    /// Forget the saved key (back to demo mode).
    ForgetKey,
    /// Call GET /credits with the key typed in Settings (or the saved one).
    TestKey,
    /// Save base URL, externalId and metadata from the Settings form.
    SaveSettings,
    /// Ask the service for the credit balance.
    RefreshCredits,
    /// Show a run from history.
    OpenRun(String),
    /// Delete a run's recording file from disk.
    DeleteRecording(String),
    /// Remove a run from history.
    DeleteRun(String),
}

/// What comes back from background work.
#[derive(Debug)]
pub enum AppEvent {
    /// The file picker closed.
    Picked(Option<PathBuf>),
    /// A file was probed (format and duration read) for import.
    Probed(Result<Take, String>),
    /// An event of the job on screen (`job` tells stale jobs apart).
    Job {
        /// Which submission.
        job: u64,
        /// What happened.
        event: JobEvent,
    },
    /// A run resumed in the background (from history) ended or changed.
    Resumed {
        /// Its history id.
        local_id: String,
        /// What happened.
        event: JobEvent,
    },
    /// The balance from GET /credits.
    Credits(Result<Option<f64>, String>),
    /// The result of "Test key".
    KeyTested(Result<Option<f64>, String>),
    /// Recording, playback or the device list.
    Audio(crate::ui::recording::AudioEvent),
    /// Takes a crash interrupted, repaired at start-up (oldest first), and repair failures.
    Recovered(Vec<PathBuf>, Vec<String>),
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
    /// The file that will be uploaded (the original, or its converted copy).
    pub path: PathBuf,
    /// The file the person recorded or picked.
    pub original: PathBuf,
    /// True when `path` is a converted copy of `original` (not accepted as is, or over 25 MB).
    pub converted: bool,
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

    /// The file name for headings (of the original).
    pub fn file_name(&self) -> String {
        self.original
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.original.display().to_string())
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
    pub(crate) shown_at: Instant,
}

pub(crate) const TOAST_TIME: Duration = Duration::from_secs(5);

/// The service the app talks to.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Base URL.
    pub base_url: String,
    /// The key sent.
    pub key: Option<ApiKey>,
    /// True for the built-in simulator (demo mode): results are not real.
    pub demo: bool,
}

/// The Settings form, edited in place and applied by [`Command::SaveSettings`] / [`Command::SaveKey`].
#[derive(Debug, Clone, Default)]
pub struct SettingsForm {
    /// The key being typed (never shown again once saved).
    pub key_input: String,
    /// Base URL text.
    pub base_url: String,
    /// Default externalId text.
    pub external_id: String,
    /// Default metadata JSON text.
    pub metadata: String,
    /// Result of the last "Test key".
    pub key_test: Option<Result<Option<f64>, String>>,
    /// A key test is running.
    pub key_testing: bool,
    /// Focus the key field on the next frame.
    pub focus_key: bool,
}

/// How the app is put together: which desktop doors and stores it uses. Tests replace them.
pub struct AppConfig {
    /// The file dialog.
    pub file_picker: Arc<dyn FilePicker>,
    /// The browser.
    pub browser: Arc<dyn BrowserOpener>,
    /// Where the key lives; `None`: the owner-only file in the config dir.
    pub secrets: Option<Arc<dyn SecretStore>>,
    /// Directories; `None`: from `SPEECH_SCORER_HOME` or the platform dirs.
    pub paths: Option<Paths>,
    /// The simulator's settings in demo mode.
    pub demo_config: crate::simulator::SimConfig,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            file_picker: Arc::new(RfdFilePicker),
            browser: Arc::new(SystemBrowser),
            secrets: None,
            paths: None,
            demo_config: crate::simulator::SimConfig::default(),
        }
    }
}

impl AppConfig {
    /// For tests: everything under `home`, the key in memory (none saved), a file picker that
    /// answers `pick` without a window, a browser that only records URLs, and the simulator
    /// settings `demo_config` for demo mode.
    pub fn for_test(
        home: &std::path::Path,
        demo_config: crate::simulator::SimConfig,
        pick: Option<PathBuf>,
    ) -> (AppConfig, crate::ui::ports::RecordingBrowser) {
        let browser = crate::ui::ports::RecordingBrowser::default();
        let config = AppConfig {
            file_picker: Arc::new(crate::ui::ports::FixedFilePicker::new(pick)),
            browser: Arc::new(browser.clone()),
            secrets: Some(Arc::new(crate::store::MemorySecretStore::default())),
            paths: Some(Paths::under(home.to_path_buf())),
            demo_config,
        };
        (config, browser)
    }
}

/// Errors that stop the app from starting.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The background runtime could not be created.
    #[error("could not start the background runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// The job on screen.
pub struct ActiveJob {
    /// Tells this job's events from a previous one's.
    pub id: u64,
    /// Cancel / wait.
    pub handle: JobHandle,
}

/// The desktop app.
pub struct App {
    /// Persisted between launches.
    pub state: State,
    /// The settings the API uses (language, base URL, defaults).
    pub settings: Settings,
    /// The settings form.
    pub form: SettingsForm,
    pub(crate) paths: Paths,
    pub(crate) history: History,
    pub(crate) secrets: Arc<dyn SecretStore>,
    pub(crate) rt: tokio::runtime::Runtime,
    events: Receiver<AppEvent>,
    pub(crate) sender: UiSender,
    pub(crate) config: AppConfig,
    /// The service in use.
    pub connection: Connection,
    pub(crate) demo_sim: Option<crate::simulator::SimHandle>,
    /// The take that will be submitted.
    pub take: Option<Take>,
    /// The run in flight (or just finished) on the progress screen.
    pub run: Option<RunView>,
    pub(crate) job: Option<ActiveJob>,
    pub(crate) next_job_id: u64,
    /// Runs resumed from history on start-up, by history id.
    pub resuming: BTreeMap<String, JobHandle>,
    /// The result on the result screen.
    pub result: Option<PollResponse>,
    /// The history record of the result on screen (for its request log).
    pub result_record: Option<crate::store::RunRecord>,
    /// The error dialog, when one is open.
    pub dialog: Option<dialogs::ErrorDialog>,
    /// The language picker is open.
    pub language_picker_open: bool,
    /// The text in the language search box.
    pub language_filter: String,
    /// The toast at the bottom, when one is shown.
    pub toast: Option<Toast>,
    /// A file is being probed for import.
    pub importing: bool,
    /// The balance from GET /credits (`None` until it arrives; error text if it failed).
    pub balance: Option<Result<Option<f64>, String>>,
    /// History rows, refreshed when the history screen opens or a run changes.
    pub history_rows: Vec<crate::store::RunRecord>,
    pub(crate) history_dirty: bool,
    /// Recording and playback.
    pub audio: crate::ui::recording::Audio,
    /// When the process started the window; the first frame reports the time to it when
    /// `SPEECH_SCORER_TIMING` is set.
    pub launched_at: Option<Instant>,
    /// Said instead of "Recorded …" when a recovered take is ready.
    pub(crate) recovered_note: Option<String>,
}

impl App {
    /// Builds the app: stores from `SPEECH_SCORER_HOME` (or the platform dirs), the key from
    /// the secret store, demo mode on the built-in simulator when there is no key, and every
    /// unfinished run from history resumed.
    pub fn new(ctx: &egui::Context, config: AppConfig) -> Result<App, StartError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("speech-scorer-bg")
            .enable_all()
            .build()?;
        let (tx, events) = channel();
        let mut startup_problems = Vec::new();
        let paths = match config.paths.clone() {
            Some(p) => p,
            None => Paths::from_env().unwrap_or_else(|e| {
                startup_problems.push(format!("{e}; using a temporary folder"));
                Paths::under(std::env::temp_dir().join("speech-scorer"))
            }),
        };
        let secrets: Arc<dyn SecretStore> = match &config.secrets {
            Some(s) => s.clone(),
            None => Arc::new(FileSecretStore::new(&paths)),
        };
        let settings = Settings::load(&paths).unwrap_or_else(|e| {
            startup_problems.push(format!("Settings could not be read ({e}); using defaults"));
            Settings::default()
        });
        let mut state = State::load(&paths);
        if !matches!(
            state.screen,
            Screen::Record | Screen::History | Screen::Settings
        ) {
            state.screen = Screen::Record;
        }
        let history = History::new(&paths);
        let form = SettingsForm {
            base_url: settings.base_url.clone().unwrap_or_default(),
            external_id: settings.default_external_id.clone().unwrap_or_default(),
            metadata: settings.default_metadata.clone().unwrap_or_default(),
            ..SettingsForm::default()
        };
        // Light/dark follows the OS unless the settings file says otherwise.
        ctx.set_theme(match settings.theme {
            crate::store::Theme::System => egui::ThemePreference::System,
            crate::store::Theme::Light => egui::ThemePreference::Light,
            crate::store::Theme::Dark => egui::ThemePreference::Dark,
        });
        let mut app = App {
            state,
            settings,
            form,
            paths,
            history,
            secrets,
            rt,
            events,
            sender: UiSender {
                tx,
                ctx: ctx.clone(),
            },
            config,
            connection: Connection {
                base_url: String::new(),
                key: None,
                demo: true,
            },
            demo_sim: None,
            take: None,
            run: None,
            job: None,
            next_job_id: 1,
            resuming: BTreeMap::new(),
            result: None,
            result_record: None,
            dialog: None,
            language_picker_open: false,
            language_filter: String::new(),
            toast: None,
            importing: false,
            balance: None,
            history_rows: Vec::new(),
            history_dirty: true,
            audio: crate::ui::recording::Audio::default(),
            launched_at: None,
            recovered_note: None,
        };
        app.connect();
        app.recover_interrupted_takes();
        app.resume_unfinished();
        app.refresh_credits();
        if let Some(problem) = startup_problems.into_iter().next() {
            app.toast(problem, true);
        }
        Ok(app)
    }

    /// The app as tests build it: same code path as [`App::new`], with the doors of
    /// `config` (see [`AppConfig::for_test`]).
    pub fn new_for_test(ctx: &egui::Context, config: AppConfig) -> Result<App, StartError> {
        App::new(ctx, config)
    }

    /// The history as the engine saves runs through it.
    pub(crate) fn records(&self) -> crate::engine::Records {
        self.history.records()
    }

    /// Shows a short message.
    pub fn toast(&mut self, text: impl Into<String>, is_error: bool) {
        self.toast = Some(Toast {
            text: text.into(),
            is_error,
            shown_at: Instant::now(),
        });
    }

    /// The built-in simulator of demo mode, when running (tests read its request log).
    pub fn demo_simulator(&self) -> Option<&crate::simulator::SimHandle> {
        self.demo_sim.as_ref()
    }

    /// The directories in use.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// True while a submission is in flight.
    pub fn is_submitting(&self) -> bool {
        self.job.is_some()
    }

    pub(crate) fn handle_events(&mut self) {
        while let Ok(event) = self.events.try_recv() {
            self.handle_event(event);
        }
    }
}

impl eframe::App for App {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        // Runs even while the window is hidden, so finished runs are taken in right away.
        self.handle_events();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if let Some(t) = self.launched_at.take()
            && std::env::var_os("SPEECH_SCORER_TIMING").is_some()
        {
            eprintln!(
                "speech-scorer: first frame after {} ms",
                t.elapsed().as_millis()
            );
        }
        let mut cmds = Vec::new();
        self.watch_recorder();
        crate::ui::frame::frame_ui(ui, self, &mut cmds);
        for cmd in cmds {
            self.run_command(&ctx, cmd);
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if let Err(e) = self.state.save(&self.paths) {
            tracing::warn!("could not save the window state: {e}");
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
        let s: State = serde_json::from_str(r#"{"screen":"History","unknown":1}"#).expect("parse");
        assert_eq!(s.screen, Screen::History);
        assert_eq!(s.device, None);
        let back: State =
            serde_json::from_str(&serde_json::to_string(&s).expect("ser")).expect("parse");
        assert_eq!(back, s);
    }
}
