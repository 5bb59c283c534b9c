//! The app shell: the [`App`] and everything it owns. Split by concern, so the file name says
//! where a thing lives:
//!
//! - `state`: what is kept between launches ([`State`]) and the [`Screen`]s;
//! - `command`: the [`Command`]s the UI asks for; `command_handling` runs them once, after
//!   the frame is drawn;
//! - `events`: what background work sends back ([`AppEvent`]), followed by a repaint;
//! - `connection`: which service (a key, or the built-in simulator), the key's test;
//! - `keys`: the key's life (read, save, forget, move, where it is), all off the UI thread,
//!   and the environment's say in which service is used;
//! - `persist`: the app's own small files (settings, profiles, window state), written off
//!   the UI thread;
//! - `jobs`: submitting, cancelling, resuming runs; `actions`: guidance actions → commands;
//! - `takes`: the recording that will be submitted; `recording`: the recorder and player;
//! - `history`: the cached history rows; `support`: the Support screen's side effects;
//! - `batch`: the Batch screen's side effects (many recordings within one account budget);
//! - `config`: the desktop doors and stores (tests replace them).
//!
//! Background work runs on the tokio runtime the app owns, so a hidden or minimised window
//! never stalls a run; nothing here blocks the UI thread.

mod actions;
mod batch;
mod command;
mod command_handling;
mod config;
mod connection;
mod events;
mod exports;
mod history;
mod jobs;
mod keys;
mod live_meter;
mod persist;
mod profiles;
pub mod recording;
mod state;
mod support;
mod takes;
mod trend;
pub mod views;
mod waveform;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

pub use actions::{ACCOUNT_URL, command_for_action, dialog_for, dialog_with_origin};
pub use batch::{
    BatchAppEvent, BatchDesk, BatchPlan, BatchRowView, RowEnded, row_status, rows_to_score,
};
pub use command::{BatchCommand, Command, Confirmation, SupportCommand};
pub use command_handling::UrlFallback;
pub use config::{AppConfig, StartError};
pub use connection::{Connection, KeyTest};
pub use events::{AppEvent, UiSender};
pub use history::{HistoryRow, HistoryView, is_own_recording};
pub use jobs::ActiveJob;
pub use keys::{AfterRead, KeyEvent, KeyPanel, KeyWait, Target};
pub use persist::{Saved, SavedFile};
pub use profiles::ProfileForm;
pub use state::{Screen, State};
pub use support::SupportEvent;
pub use takes::{NO_DIALOG_WITHIN, Replacement, Take, TakeSource, TakesView, estimated_credits};
pub use views::{ViewCommand, ViewEvent, Views};

use crate::api::model::PollResponse;
use crate::engine::JobHandle;
use crate::store::{History, KeychainOrFileStore, Paths, SecretStore, Settings};
use crate::ui::dialogs;
use crate::ui::progress::RunView;
use crate::ui::support::SupportDesk;

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
    /// Result of the last "Test key" of the key as typed now.
    pub key_test: Option<KeyTest>,
    /// A key test is running.
    pub key_testing: bool,
    /// Counts edits of the key field, so a test of an older key is ignored.
    pub key_generation: u64,
    /// Focus the key field on the next frame.
    pub focus_key: bool,
}

impl SettingsForm {
    /// The key field changed: what was said about the old key no longer applies.
    pub fn key_changed(&mut self) {
        self.key_generation += 1;
        self.key_test = None;
        self.key_testing = false;
    }
}

/// The import-by-path field on the record screen (there even when a file dialog opens).
#[derive(Debug, Clone, Default)]
pub struct ImportForm {
    /// The path typed or pasted.
    pub path: String,
    /// Why the file dialog could not open, when it could not.
    pub dialog_error: Option<String>,
    /// Focus the path field on the next frame.
    pub focus_path: bool,
}

/// The desktop app.
pub struct App {
    /// Persisted between launches.
    pub state: State,
    /// The settings the API uses (language, base URL, defaults).
    pub settings: Settings,
    /// The settings form.
    pub form: SettingsForm,
    /// The import-by-path field.
    pub import_form: ImportForm,
    pub(crate) paths: Paths,
    pub(crate) history: History,
    /// The service profiles; the active one is what [`App::connection`] talks to.
    pub profiles: crate::store::Profiles,
    pub(crate) profile_keys: Arc<dyn crate::store::ProfileKeys>,
    /// The "add a profile" fields in Settings.
    pub profile_form: ProfileForm,
    /// Counts connects (start-up, switches, saved keys), so a key read for an earlier one is
    /// ignored.
    pub(crate) profile_generation: u64,
    /// No `profiles.toml` yet: which profile is active waits for the key saved before
    /// profiles (read off the UI thread).
    pub(crate) profiles_migrating: bool,
    /// Whether the key of the service in use is known yet (no request goes out until it is).
    pub key_wait: KeyWait,
    /// Where Settings' profile keeps its key, and work on it in progress.
    pub key_panel: KeyPanel,
    /// The environment (`$ZENHIRE_API_KEY`, `$ZENHIRE_BASE_URL`) decides the service, as in
    /// the CLI without `--profile`; false once the person picks a profile in the header.
    pub(crate) env_applies: bool,
    /// Writes settings, profiles and the window state off the UI thread.
    pub(crate) persist: persist::Persister,
    /// The window state as last handed to the writer.
    pub(crate) saved_state: State,
    /// The request index behind the Support screen's search of all runs (read off the UI
    /// thread, kept in memory between searches).
    pub(crate) request_index: Arc<crate::store::RequestIndex>,
    pub(crate) rt: tokio::runtime::Runtime,
    events: Receiver<AppEvent>,
    pub(crate) sender: UiSender,
    pub(crate) config: AppConfig,
    /// The service in use.
    pub connection: Connection,
    pub(crate) demo_sim: Option<crate::simulator::SimHandle>,
    pub(crate) demo_starting: bool,
    /// The take that will be submitted.
    pub take: Option<Take>,
    /// The run in flight (or just finished) on the progress screen.
    pub run: Option<RunView>,
    pub(crate) job: Option<ActiveJob>,
    pub(crate) next_job_id: u64,
    /// Runs polled in the background (left unfinished, or resumed from History), by history id.
    pub resuming: BTreeMap<String, JobHandle>,
    /// Unfinished runs are resumed once the service is usable and the history was read.
    pub(crate) resume_pending: bool,
    /// The result on the result screen.
    pub result: Option<PollResponse>,
    /// The result on screen came from the simulator (its marker header was seen).
    pub result_simulated: bool,
    /// The history record of the result on screen (for its request log).
    pub result_record: Option<crate::store::RunRecord>,
    /// The error dialog, when one is open.
    pub dialog: Option<dialogs::ErrorDialog>,
    /// The "are you sure?" window, when one is open.
    pub confirm: Option<Confirmation>,
    /// The browser could not open: the address to copy.
    pub url_fallback: Option<UrlFallback>,
    /// The language picker is open.
    pub language_picker_open: bool,
    /// The text in the language search box.
    pub language_filter: String,
    /// The picker's "also make it my default" box.
    pub language_make_default: bool,
    /// The toast at the bottom, when one is shown.
    pub toast: Option<Toast>,
    /// A file is being probed for import.
    pub importing: bool,
    /// The balance from GET /credits (`None` until it arrives; error text if it failed).
    pub balance: Option<Result<Option<f64>, String>>,
    /// The history, read off the UI thread and cached.
    pub history_view: HistoryView,
    /// The Support screen's state.
    pub support: SupportDesk,
    /// The Batch screen's state.
    pub batch: BatchDesk,
    /// Recording and playback.
    pub audio: recording::Audio,
    /// When the process started the window; the first frame reports the time to it when
    /// `SPEECH_SCORER_TIMING` is set.
    pub launched_at: Option<Instant>,
    /// Said instead of "Recorded …" when a recovered take is ready.
    pub(crate) recovered_note: Option<String>,
    /// Said instead of "Imported …" when last session's take is back.
    pub(crate) restore_note: Option<String>,
    /// Every take the app made or imported.
    pub takes: TakesView,
    /// The waveform, trend and export views (issue 12).
    pub views: Views,
}

/// How long start-up waits for settings, profiles and the window state before the window
/// opens without them.
const STARTUP_READ_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// The app's own small files, as read at start-up.
struct StartupFiles {
    settings: Result<Settings, crate::store::StoreError>,
    profiles: Result<Option<crate::store::Profiles>, crate::store::StoreError>,
    state: State,
}

impl StartupFiles {
    fn read(paths: &Paths) -> StartupFiles {
        StartupFiles {
            settings: Settings::load(paths),
            profiles: crate::store::Profiles::load_saved(paths),
            state: State::load(paths),
        }
    }

    /// What the app starts with when the disk did not answer: defaults, no profiles file.
    fn unread() -> StartupFiles {
        StartupFiles {
            settings: Ok(Settings::default()),
            profiles: Ok(None),
            state: State::default(),
        }
    }
}

/// Reads [`StartupFiles`] on a helper thread and waits at most [`STARTUP_READ_PATIENCE`];
/// `None` when the disk did not answer in time (the helper is left to finish or hang on its
/// own). Without a thread to spare, read here.
fn read_startup_files(paths: &Paths) -> Option<StartupFiles> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let p = paths.clone();
    let spawned = std::thread::Builder::new()
        .name("speech-scorer-read".into())
        .spawn(move || {
            // The app may have stopped waiting; then nobody needs the answer.
            let _ = tx.send(StartupFiles::read(&p));
        });
    match spawned {
        Ok(_) => rx.recv_timeout(STARTUP_READ_PATIENCE).ok(),
        Err(e) => {
            tracing::warn!("could not start a thread to read the settings: {e}");
            Some(StartupFiles::read(paths))
        }
    }
}

impl App {
    /// Builds the app: stores from `SPEECH_SCORER_HOME` (or the platform dirs), the key from
    /// the secret store (read off this thread: the first frame says it is reading it, and no
    /// request goes out until it is known), demo mode on the built-in simulator when there
    /// is no key, and every unfinished run from history resumed (once the history has been
    /// read, off this thread).
    pub fn new(ctx: &egui::Context, config: AppConfig) -> Result<App, StartError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("speech-scorer-bg")
            .enable_all()
            .build()?;
        let (tx, events) = channel();
        let sender = UiSender {
            tx,
            ctx: ctx.clone(),
        };
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
            // The environment's key is the app's to weigh (`keys`), not the store's.
            None => Arc::new(KeychainOrFileStore::saved(&paths)),
        };
        // The three small files are read on a helper thread, waited for a moment: a disk that
        // does not answer must not keep the window from opening.
        let (read, unread) = match read_startup_files(&paths) {
            Some(read) => (read, false),
            None => {
                startup_problems.push(crate::guidance::startup_files_unanswered_text(
                    STARTUP_READ_PATIENCE,
                ));
                (StartupFiles::unread(), true)
            }
        };
        let settings = read.settings.unwrap_or_else(|e| {
            startup_problems.push(format!("Settings could not be read ({e}); using defaults"));
            Settings::default()
        });
        let profile_keys: Arc<dyn crate::store::ProfileKeys> = match &config.profile_keys {
            Some(k) => k.clone(),
            None => Arc::new(crate::store::StoredProfileKeys::new(
                &paths,
                secrets.clone(),
            )),
        };
        // Without profiles.toml, which profile is active depends on whether a key was saved
        // before profiles: that is read with the key, off this thread (`keys`).
        let (profiles, profiles_migrating) = match read.profiles {
            Ok(Some(p)) => (p, false),
            Ok(None) => (crate::store::Profiles::migrated(&settings, false), true),
            Err(e) => {
                startup_problems.push(format!(
                    "Profiles could not be read ({e}); using the built-in ones"
                ));
                (crate::store::Profiles::migrated(&settings, false), true)
            }
        };
        // Unread, the profiles are not migrated either: nothing is written over them.
        let profiles_migrating = profiles_migrating && !unread;
        let mut state = read.state;
        state.screen = state.restored_screen();
        let persist = persist::Persister::start(paths.clone(), sender.clone(), unread);
        let env_applies = config.environment.is_set();
        let saved_state = state.clone();
        let history = History::new(&paths);
        let request_index = Arc::new(crate::store::RequestIndex::new(&paths));
        let paths_for_takes = paths.clone();
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
            import_form: ImportForm::default(),
            paths,
            history,
            profiles,
            profile_keys,
            profile_form: ProfileForm::default(),
            profile_generation: 0,
            profiles_migrating,
            key_wait: KeyWait::Reading,
            key_panel: KeyPanel::default(),
            env_applies,
            persist,
            saved_state,
            request_index,
            rt,
            events,
            sender,
            config,
            connection: Connection {
                base_url: String::new(),
                key: None,
                demo: true,
                profile: crate::store::profiles::SIMULATOR.to_string(),
            },
            demo_sim: None,
            demo_starting: false,
            take: None,
            run: None,
            job: None,
            next_job_id: 1,
            resuming: BTreeMap::new(),
            resume_pending: true,
            result: None,
            result_simulated: false,
            result_record: None,
            dialog: None,
            confirm: None,
            url_fallback: None,
            language_picker_open: false,
            language_filter: String::new(),
            language_make_default: false,
            toast: None,
            importing: false,
            balance: None,
            history_view: HistoryView::default(),
            support: SupportDesk::default(),
            batch: BatchDesk::default(),
            audio: recording::Audio::default(),
            launched_at: None,
            recovered_note: None,
            restore_note: None,
            takes: TakesView::new(crate::store::takes::Takes::new(&paths_for_takes)),
            views: Views::default(),
        };
        app.load_takes();
        app.sweep_stale_uploads();
        app.refresh_history();
        app.form.base_url = app.settings_form_url();
        app.connect();
        app.recover_interrupted_takes();
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

    /// Hands the window state to the writer when it changed (a screen, a device, the trend's
    /// grouping): kept across a crash too, not only a clean exit.
    fn persist_state_if_changed(&mut self) {
        if self.state == self.saved_state {
            return;
        }
        self.saved_state = self.state.clone();
        if !self.persist.ui_state(&self.state)
            && let Err(e) = self.state.save(&self.paths)
        {
            tracing::warn!("could not save the window state: {e}");
        }
    }

    /// True while a modal window (error, confirmation, language, address) is open.
    pub fn modal_open(&self) -> bool {
        self.dialog.is_some()
            || self.confirm.is_some()
            || self.url_fallback.is_some()
            || self.language_picker_open
            || self.audio.dialog.is_some()
    }
}

impl eframe::App for App {
    /// The panels' own colour: they draw no fill of their own (see `ui::frame`).
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        visuals.panel_fill.to_normalized_gamma_f32()
    }

    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        // Runs even while the window is hidden, so finished runs are taken in right away, a
        // recording that ended by itself is kept, and the microphone test stops.
        self.handle_events();
        self.watch_audio(ctx);
        self.discard_unused_uploads();
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.views.note_frame(frame.info().cpu_usage);
        if let Some(t) = self.launched_at.take()
            && std::env::var_os("SPEECH_SCORER_TIMING").is_some()
        {
            eprintln!(
                "speech-scorer: first frame after {} ms",
                t.elapsed().as_millis()
            );
        }
        let mut cmds = Vec::new();
        crate::ui::frame::frame_ui(ui, self, &mut cmds);
        for cmd in cmds {
            self.run_command(&ctx, cmd);
        }
        self.persist_state_if_changed();
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.persist_state_if_changed();
        // The window is closing: wait (a moment at most) for the last writes.
        if !self.persist.flush() {
            tracing::warn!("the last settings writes did not finish before the app closed");
        }
    }
}
