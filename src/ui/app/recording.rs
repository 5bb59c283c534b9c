//! The app's side of the microphone: the device list and the chosen device (remembered across
//! restarts, with a plain word when it is gone), testing the microphone on the record screen
//! (`audio::Monitor`: the meter live, nothing written), recording (`Monitor::record` hands the
//! open device over to the take; `audio::Recorder` when no test was running), playback, and
//! turning a finished recording into the take. Opening and closing devices runs off the UI
//! thread (it can take a while); all audio work is in `crate::audio`.

use std::path::Path;

use crate::audio::devices::{DeviceChoice, DeviceInfo};
use crate::audio::playback::Player;
use crate::audio::{
    AudioError, LoudnessSummary, Monitor, MonitorConfig, Recorder, RecorderSnapshot, RecorderState,
    StopReason,
};
use crate::ui::app::{App, AppEvent, Command, Replacement, Screen, TakeSource};

pub use super::live_meter::{FALLBACK_REPAINT, Live, RecorderSlot, ShownMeter};

/// How long closing a recording may take before the app stops waiting for its final loudness
/// (the file is still finished: `Recorder::stop` waits for it).
const FINISH_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Recording and playback state owned by the app.
#[derive(Default)]
pub struct Audio {
    /// The live input (the microphone test or the recording), shared with the repaint gate
    /// (see `live_meter`).
    pub recorder: RecorderSlot,
    /// A recording is being started.
    pub starting: bool,
    /// A finished recording is being closed.
    pub stopping: bool,
    /// The take being played.
    pub player: Option<Player>,
    /// Every input device, the ones that are not microphones marked (`None` until listed).
    pub devices: Option<Result<Vec<DeviceInfo>, String>>,
    /// The device list is being read.
    pub listing: bool,
    /// The device the test and the recording open: the saved one, or the default (with
    /// `fell_back_from` when the saved one is gone).
    pub choice: Option<DeviceChoice>,
    /// The picker also lists what is not a microphone (marked).
    pub show_all: bool,
    /// The microphone test: its device id while it is open or opening.
    pub monitor_device: Option<String>,
    /// The test is being opened (its answer comes back as [`AudioEvent::MonitorStarted`]).
    pub monitor_opening: bool,
    /// Tells the answer of the latest opening from older ones.
    pub monitor_generation: u64,
    /// The device the test could not use and why, in words; not tried again until the
    /// person picks a device or presses Refresh.
    pub monitor_problem: Option<(String, String)>,
    /// The window is shown (not minimised or covered): the test runs only then.
    pub window_visible: bool,
    /// The record screen's own question or notice, when one is open.
    pub dialog: Option<RecordDialog>,
}

impl Drop for Audio {
    /// The app is closing: the microphone test lets go of the device (the repaint gate holds
    /// the slot too, so without this the device would stay open until the process ends). A
    /// recording in progress is left as it is: its file keeps its recovery mark and is
    /// repaired and offered back at the next start-up.
    fn drop(&mut self) {
        let mut slot = self
            .recorder
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if matches!(slot.as_ref(), Some(Live::Monitor(_))) {
            let monitor = slot.take();
            drop(slot);
            drop(monitor);
        }
    }
}

/// A question or notice of the record screen (a source faster than real time, a silent take):
/// a title, the text, the main button and the other one.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordDialog {
    /// Headline.
    pub title: String,
    /// What happened and what to do.
    pub body: String,
    /// The main button (Enter): its label and what it does.
    pub primary: Option<(String, Command)>,
    /// The other button (Escape closes too): its label and what it does besides closing.
    pub secondary: (String, Option<Command>),
}

/// What comes back from the audio threads.
pub enum AudioEvent {
    /// The recording started (or not; `AudioError::NotRealTime` for a source faster than
    /// real time).
    Started(Result<Recorder, AudioError>),
    /// Starting a take from the microphone test failed; the test is handed back.
    MonitorBack(Monitor),
    /// The recording was closed into a file, with the take's loudness when it was read.
    Stopped(Result<(crate::audio::Take, Option<LoudnessSummary>), AudioError>),
    /// Playback started (or not).
    Playing(Result<Player, String>),
    /// The device list (every device, marked).
    Devices(Result<Vec<DeviceInfo>, String>),
    /// The chosen microphone could not be saved (why).
    DeviceNotSaved(String),
    /// The microphone test opened (or not).
    MonitorStarted {
        /// Which opening.
        generation: u64,
        /// The device id it was opened for.
        device: String,
        /// The test, or why not.
        result: Result<Monitor, AudioError>,
    },
    /// The microphone test ended by itself (device lost, not a microphone) and was closed.
    MonitorEnded {
        /// The device id.
        device: String,
        /// The device's name.
        name: String,
        /// Why, in the audio layer's words.
        why: Option<String>,
        /// What closing it said (`AudioError::NotRealTime` for a source faster than real time).
        result: Result<(), AudioError>,
    },
}

impl std::fmt::Debug for AudioEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AudioEvent::Started(_) => "Started",
            AudioEvent::MonitorBack(_) => "MonitorBack",
            AudioEvent::Stopped(_) => "Stopped",
            AudioEvent::Playing(_) => "Playing",
            AudioEvent::Devices(_) => "Devices",
            AudioEvent::DeviceNotSaved(_) => "DeviceNotSaved",
            AudioEvent::MonitorStarted { .. } => "MonitorStarted",
            AudioEvent::MonitorEnded { .. } => "MonitorEnded",
        })
    }
}

impl App {
    /// True while recording (or opening the device to record).
    pub fn is_recording(&self) -> bool {
        self.audio.starting || self.with_live(|l| matches!(l, Live::Recording(_))) == Some(true)
    }

    /// The live numbers of the recording in progress.
    pub fn recorder_snapshot(&self) -> Option<RecorderSnapshot> {
        self.with_live(|l| match l {
            Live::Recording(r) => Some(r.snapshot()),
            Live::Monitor(_) => None,
        })
        .flatten()
    }

    /// The live meter of the microphone test, while it runs.
    pub fn monitor_snapshot(&self) -> Option<RecorderSnapshot> {
        self.with_live(|l| match l {
            Live::Monitor(m) => Some(m.snapshot()),
            Live::Recording(_) => None,
        })
        .flatten()
    }

    /// True while the microphone test runs (the device open, nothing written).
    pub fn is_monitoring(&self) -> bool {
        self.with_live(|l| matches!(l, Live::Monitor(_))) == Some(true)
    }

    fn with_live<T>(&self, f: impl FnOnce(&Live) -> T) -> Option<T> {
        // A poisoned slot still holds the recorder: a panic elsewhere must not lose the take.
        let guard = self
            .audio
            .recorder
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.as_ref().map(f)
    }

    fn take_live(&self) -> Option<Live> {
        self.audio
            .recorder
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    fn put_live(&self, live: Live) {
        *self
            .audio
            .recorder
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(live);
    }

    /// The id of the device to open (`None`: the system default, before the list is read).
    fn chosen_device_id(&self) -> Option<String> {
        match &self.audio.choice {
            Some(choice) => Some(choice.device.id.clone()),
            None => self.state.device.clone(),
        }
    }

    fn repaint_gate(&self) -> crate::audio::recorder::OnUpdate {
        super::live_meter::repaint_gate(self.audio.recorder.clone(), self.sender.ctx.clone())
    }

    pub(crate) fn start_recording(&mut self) {
        if self.is_recording() || self.audio.stopping {
            return;
        }
        self.stop_playback();
        self.audio.starting = true;
        let device = self.chosen_device_id();
        let out_dir = self.paths.recordings_dir();
        let file_stem = format!("take-{}", chrono::Local::now().format("%Y%m%d-%H%M%S"));
        let sender = self.sender.clone();
        // The microphone test hands its open device over: the take starts with the next
        // block, and the meter never stops.
        let monitor = match self.take_live() {
            Some(Live::Monitor(m)) if self.audio.monitor_device == device && !m.is_finished() => {
                Some(m)
            }
            Some(other) => {
                self.close_live(other);
                None
            }
            None => None,
        };
        self.audio.monitor_device = None;
        if let Some(monitor) = monitor {
            self.rt.spawn_blocking(move || {
                let (back, result) = begin_take(monitor, &out_dir, &file_stem);
                if let Some(monitor) = back {
                    sender.send(AppEvent::Audio(AudioEvent::MonitorBack(monitor)));
                }
                sender.send(AppEvent::Audio(AudioEvent::Started(result)));
            });
            return;
        }
        let config = MonitorConfig {
            device: device.clone(),
            // Wakes the UI only when the clock or the meter would look different.
            on_update: Some(self.repaint_gate()),
        };
        let microphones = self.config.microphones.clone();
        self.rt.spawn_blocking(move || {
            let opened = microphones
                .options(device.as_deref())
                .and_then(|opts| Monitor::start_with(config, opts));
            let result = match opened {
                Ok(monitor) => {
                    let (back, result) = begin_take(monitor, &out_dir, &file_stem);
                    if let Some(monitor) = back {
                        // Nobody asked for a test here: close it.
                        let _ = monitor.stop();
                    }
                    result
                }
                Err(e) => Err(e),
            };
            sender.send(AppEvent::Audio(AudioEvent::Started(result)));
        });
    }

    pub(crate) fn stop_recording(&mut self) {
        let recorder = match self.take_live() {
            Some(Live::Recording(r)) => r,
            Some(other) => {
                self.put_live(other);
                return;
            }
            None => return,
        };
        self.audio.stopping = true;
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            // Asked to stop, the writer drains the ring and closes the file; the snapshot then
            // holds the whole take's loudness (for the silent-take question).
            recorder.request_stop();
            let until = std::time::Instant::now() + FINISH_WAIT;
            while !recorder.is_finished() && std::time::Instant::now() < until {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            let loudness = recorder.snapshot().take_loudness;
            let result = recorder.stop().map(|take| (take, loudness));
            sender.send(AppEvent::Audio(AudioEvent::Stopped(result)));
        });
    }

    /// Plays the take from the waveform's playhead (the start, once it reached the end).
    pub(crate) fn play_take(&mut self) {
        let Some((file, length)) = self.take.as_ref().map(|t| (t.original.clone(), t.duration))
        else {
            return;
        };
        let start = self.play_start(&file, length);
        self.play_range(file, start, None);
    }

    pub(crate) fn stop_playback(&mut self) {
        self.remember_stop_position();
        if let Some(mut player) = self.audio.player.take() {
            player.stop();
        }
    }

    /// Reads the device list again (off the UI thread); a device that failed the test is
    /// tried again.
    pub(crate) fn refresh_devices(&mut self) {
        if self.audio.listing {
            return;
        }
        self.audio.listing = true;
        self.audio.monitor_problem = None;
        let microphones = self.config.microphones.clone();
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let result = microphones.list_all().map_err(|e| e.to_string());
            sender.send(AppEvent::Audio(AudioEvent::Devices(result)));
        });
    }

    /// The person picked a microphone: it is used from now on and remembered (saved off the
    /// UI thread, so it is the choice after a restart too).
    pub(crate) fn select_device(&mut self, id: Option<String>) {
        let name = id.as_ref().and_then(|id| {
            self.all_devices()
                .iter()
                .find(|d| &d.id == id)
                .map(|d| d.name.clone())
        });
        self.state.device = id;
        self.state.device_name = name;
        self.audio.monitor_problem = None;
        self.choose_device();
        let state = self.state.clone();
        let paths = self.paths.clone();
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            if let Err(e) = state.save(&paths) {
                sender.send(AppEvent::Audio(AudioEvent::DeviceNotSaved(e.to_string())));
            }
        });
    }

    /// Every device listed (empty until the list is read, or when it could not be).
    pub fn all_devices(&self) -> &[DeviceInfo] {
        match &self.audio.devices {
            Some(Ok(list)) => list,
            _ => &[],
        }
    }

    /// Settles which device to open: the saved one, or the default when it is gone.
    fn choose_device(&mut self) {
        let Some(Ok(list)) = &self.audio.devices else {
            self.audio.choice = None;
            return;
        };
        self.audio.choice =
            crate::audio::devices::choose_device(list, self.state.device.as_deref()).ok();
    }

    /// What the picker says when the saved microphone is gone: "<name> is not connected;
    /// using <default>".
    pub fn fallback_note(&self) -> Option<String> {
        let choice = self.audio.choice.as_ref()?;
        let saved = choice.fell_back_from.as_ref()?;
        let name = self
            .state
            .device_name
            .clone()
            .unwrap_or_else(|| saved.clone());
        Some(crate::guidance::microphone_not_connected(
            &name,
            &choice.device.name,
        ))
    }

    /// Looks for takes a crash or a kill interrupted, repairs them off the UI thread, and
    /// offers the latest back as the take.
    pub(crate) fn recover_interrupted_takes(&mut self) {
        let dir = self.paths.recordings_dir();
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let mut repaired = Vec::new();
            let mut failed = Vec::new();
            for path in crate::audio::recovery::find_interrupted(&dir) {
                match crate::audio::recovery::repair(&path) {
                    Ok(take) => repaired.push(take.path),
                    Err(e) => failed.push(e.to_string()),
                }
            }
            if !repaired.is_empty() || !failed.is_empty() {
                sender.send(AppEvent::Recovered(repaired, failed));
            }
        });
    }

    /// Runs on every pass, even while the window is hidden: a recording that ended by itself
    /// (the auto-stop, device gone, not a microphone, disk full) is closed and kept (or
    /// explained); the microphone test runs exactly while the record screen is shown and a
    /// device is chosen.
    pub(crate) fn watch_audio(&mut self, ctx: &egui::Context) {
        self.audio.window_visible = ctx.input(|i| i.viewport().visible()).unwrap_or(true);
        self.watch_recorder();
        self.keep_monitor();
        if self.audio.player.as_ref().is_some_and(|p| p.is_finished()) {
            self.audio.player = None;
        }
    }

    fn watch_recorder(&mut self) {
        let ended = self.recorder_snapshot().and_then(|s| match s.state {
            RecorderState::Finished(reason) => Some((Some(reason), s.error)),
            RecorderState::Failed => Some((None, s.error)),
            _ => None,
        });
        let Some((reason, error)) = ended else {
            return;
        };
        // A source faster than real time gets its dialog once the recorder is closed.
        if reason != Some(StopReason::NotRealTime) {
            let why = error.unwrap_or_else(crate::guidance::auto_stop_note);
            self.toast(why, true);
        }
        self.stop_recording();
    }

    /// True when the microphone test should be running now.
    fn monitor_wanted(&self) -> bool {
        let Some(choice) = &self.audio.choice else {
            return false;
        };
        let refused = self
            .audio
            .monitor_problem
            .as_ref()
            .is_some_and(|(id, _)| id == &choice.device.id);
        self.state.screen == Screen::Record
            && self.audio.window_visible
            && !refused
            && !self.audio.starting
            && !self.audio.stopping
            && !self.is_recording()
    }

    /// Starts, restarts or stops the microphone test to match [`Self::monitor_wanted`].
    fn keep_monitor(&mut self) {
        // A test that ended by itself is closed, and said why.
        if self.with_live(|l| matches!(l, Live::Monitor(m) if m.is_finished())) == Some(true)
            && let Some(Live::Monitor(m)) = self.take_live()
        {
            let device = self.audio.monitor_device.take().unwrap_or_default();
            let snapshot = m.snapshot();
            let (name, why) = (snapshot.device, snapshot.error);
            // Not opened again meanwhile; what closing it says comes with `MonitorEnded`.
            self.audio.monitor_problem = Some((
                device.clone(),
                crate::guidance::monitor_problem(why.as_deref().unwrap_or_default()),
            ));
            let sender = self.sender.clone();
            self.rt.spawn_blocking(move || {
                let result = m.stop();
                sender.send(AppEvent::Audio(AudioEvent::MonitorEnded {
                    device,
                    name,
                    why,
                    result,
                }));
            });
        }
        let wanted = self
            .monitor_wanted()
            .then(|| self.chosen_device_id())
            .flatten();
        let running = self.is_monitoring() || self.audio.monitor_opening;
        if running && self.audio.monitor_device != wanted {
            self.stop_monitor();
        }
        let running = self.is_monitoring() || self.audio.monitor_opening;
        if let Some(device) = wanted
            && !running
        {
            self.start_monitor(device);
        }
    }

    fn start_monitor(&mut self, device: String) {
        self.audio.monitor_generation += 1;
        let generation = self.audio.monitor_generation;
        self.audio.monitor_opening = true;
        self.audio.monitor_device = Some(device.clone());
        let config = MonitorConfig {
            device: Some(device.clone()),
            on_update: Some(self.repaint_gate()),
        };
        let microphones = self.config.microphones.clone();
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let result = microphones
                .options(Some(&device))
                .and_then(|opts| Monitor::start_with(config, opts));
            sender.send(AppEvent::Audio(AudioEvent::MonitorStarted {
                generation,
                device,
                result,
            }));
        });
    }

    /// Closes the microphone test (off the UI thread); one being opened is closed when it
    /// arrives.
    pub(crate) fn stop_monitor(&mut self) {
        self.audio.monitor_opening = false;
        self.audio.monitor_generation += 1;
        self.audio.monitor_device = None;
        match self.take_live() {
            Some(Live::Monitor(m)) => self.close_live(Live::Monitor(m)),
            Some(other) => self.put_live(other),
            None => {}
        }
    }

    /// Closes a live input off the UI thread (a device can take a second to let go).
    fn close_live(&self, live: Live) {
        self.rt.spawn_blocking(move || match live {
            Live::Monitor(m) => {
                // What a test that was closed on purpose said no longer matters.
                let _ = m.stop();
            }
            // Not reached: a recording is closed by `stop_recording`, which keeps the take.
            Live::Recording(r) => {
                if let Err(e) = r.stop() {
                    tracing::warn!("a recording closed without being kept: {e}");
                }
            }
        });
    }

    fn on_monitor_started(
        &mut self,
        generation: u64,
        device: String,
        result: Result<Monitor, AudioError>,
    ) {
        let current = generation == self.audio.monitor_generation;
        if current {
            self.audio.monitor_opening = false;
        }
        match result {
            Ok(monitor) => {
                let still_wanted = current
                    && self.monitor_wanted()
                    && self.chosen_device_id().as_deref() == Some(device.as_str());
                let slot_free = self.with_live(|_| ()).is_none();
                if still_wanted && slot_free {
                    self.put_live(Live::Monitor(monitor));
                } else {
                    if current {
                        self.audio.monitor_device = None;
                    }
                    self.close_live(Live::Monitor(monitor));
                }
            }
            Err(e) if current => {
                self.audio.monitor_device = None;
                self.audio.monitor_problem =
                    Some((device, crate::guidance::monitor_problem(&e.to_string())));
            }
            Err(_) => {}
        }
    }

    fn on_monitor_ended(
        &mut self,
        device: String,
        name: String,
        why: Option<String>,
        result: Result<(), AudioError>,
    ) {
        match result {
            Err(AudioError::NotRealTime {
                device: label,
                seconds_delivered,
                seconds_elapsed,
            }) => self.not_real_time(device, &label, seconds_delivered, seconds_elapsed, false),
            other => {
                let why = why
                    .or_else(|| other.err().map(|e| e.to_string()))
                    .unwrap_or_else(|| format!("{name} stopped sending sound"));
                self.audio.monitor_problem = Some((device, crate::guidance::monitor_problem(&why)));
            }
        }
    }

    /// A source delivered sound faster than real time: it is not tried again (until the person
    /// picks a device or presses Refresh), and the dialog says so, with a button to use the
    /// default (or first) microphone instead when there is one.
    fn not_real_time(
        &mut self,
        device: String,
        label: &str,
        delivered: f64,
        elapsed: f64,
        recording: bool,
    ) {
        // The name the picker shows for it (the capture's own label can be a lower-level one).
        let label = self
            .all_devices()
            .iter()
            .find(|d| d.id == device)
            .map_or(label, |d| d.name.as_str());
        let other = self
            .all_devices()
            .iter()
            .filter(|d| d.id != device && d.is_listed())
            .min_by_key(|d| !d.is_default);
        self.audio.dialog = Some(RecordDialog {
            title: crate::guidance::NOT_REAL_TIME_TITLE.to_string(),
            body: crate::guidance::not_real_time_body(label, delivered, elapsed, recording),
            primary: other.map(|d| {
                (
                    crate::guidance::use_device_label(&d.name),
                    Command::SelectDevice(Some(d.id.clone())),
                )
            }),
            secondary: ("Close".to_string(), None),
        });
        self.audio.monitor_problem =
            Some((device, crate::guidance::NOT_REAL_TIME_TITLE.to_string()));
    }

    /// Before a submission: a silent take asks first ("Submit anyway" / "Record again").
    pub(crate) fn submit_checked(&mut self) {
        let silent = self.take.as_ref().and_then(|t| {
            let l = t.loudness?;
            (l.is_silent() && !t.silence_accepted).then_some((l, t.estimated_credits()))
        });
        let Some((loudness, credits)) = silent.filter(|_| self.job.is_none()) else {
            self.submit();
            return;
        };
        self.audio.dialog = Some(RecordDialog {
            title: crate::guidance::SILENT_TAKE_TITLE.to_string(),
            body: crate::guidance::silent_take_body(&loudness, credits),
            primary: Some((
                crate::guidance::RECORD_AGAIN.to_string(),
                // The person chose to record again: the silent take is put away without a
                // second question (it stays in the Takes list).
                Command::ReplaceTake(Replacement::Record),
            )),
            secondary: (
                crate::guidance::SUBMIT_ANYWAY.to_string(),
                Some(Command::SubmitAnyway),
            ),
        });
    }

    /// Submits the take even though it is silent (the person said so).
    pub(crate) fn submit_anyway(&mut self) {
        if let Some(take) = &mut self.take {
            take.silence_accepted = true;
        }
        self.submit();
    }

    pub(crate) fn handle_audio_event(&mut self, event: AudioEvent) {
        match event {
            AudioEvent::Started(Ok(recorder)) => {
                self.audio.starting = false;
                self.put_live(Live::Recording(recorder));
            }
            AudioEvent::Started(Err(AudioError::NotRealTime {
                device,
                seconds_delivered,
                seconds_elapsed,
            })) => {
                self.audio.starting = false;
                let id = self.chosen_device_id().unwrap_or_default();
                self.not_real_time(id, &device, seconds_delivered, seconds_elapsed, true);
            }
            AudioEvent::Started(Err(e)) => {
                self.audio.starting = false;
                self.toast(format!("Could not start recording: {e}"), true);
            }
            AudioEvent::MonitorBack(monitor) => {
                if self.with_live(|_| ()).is_none() {
                    self.audio.monitor_device = self.chosen_device_id();
                    self.put_live(Live::Monitor(monitor));
                } else {
                    self.close_live(Live::Monitor(monitor));
                }
            }
            AudioEvent::Stopped(Ok((take, loudness))) => {
                self.audio.stopping = false;
                if take.overflows > 0 {
                    self.toast(
                        format!(
                            "The computer could not keep up: {} short gaps in the take.",
                            take.overflows
                        ),
                        true,
                    );
                }
                // Long takes are over 25 MB as WAV: prepare encodes them for upload.
                self.prepare_take_with(take.path, TakeSource::Recorded, loudness);
            }
            AudioEvent::Stopped(Err(AudioError::NotRealTime {
                device,
                seconds_delivered,
                seconds_elapsed,
            })) => {
                self.audio.stopping = false;
                let id = self.chosen_device_id().unwrap_or_default();
                self.not_real_time(id, &device, seconds_delivered, seconds_elapsed, true);
            }
            AudioEvent::Stopped(Err(e)) => {
                self.audio.stopping = false;
                self.toast(format!("The recording could not be finished: {e}"), true);
            }
            AudioEvent::Playing(Ok(player)) => self.audio.player = Some(player),
            AudioEvent::Playing(Err(e)) => {
                self.toast(format!("Could not play the take: {e}"), true)
            }
            AudioEvent::DeviceNotSaved(e) => self.toast(
                format!("The chosen microphone could not be saved: {e}"),
                true,
            ),
            AudioEvent::Devices(result) => {
                self.audio.listing = false;
                self.audio.devices = Some(result);
                self.choose_device();
            }
            AudioEvent::MonitorStarted {
                generation,
                device,
                result,
            } => self.on_monitor_started(generation, device, result),
            AudioEvent::MonitorEnded {
                device,
                name,
                why,
                result,
            } => self.on_monitor_ended(device, name, why, result),
        }
    }
}

/// Begins a take on the open device. When that fails the test is handed back, unless the
/// device ended meanwhile: then it is closed, and what closing it said is the answer (a
/// source faster than real time is found this way when it was never tested).
fn begin_take(
    monitor: Monitor,
    out_dir: &Path,
    file_stem: &str,
) -> (Option<Monitor>, Result<Recorder, AudioError>) {
    match monitor.record(out_dir, file_stem) {
        Ok(recorder) => (None, Ok(recorder)),
        Err(failed) => {
            let failed = *failed;
            if failed.monitor.is_finished() {
                let error = match failed.monitor.stop() {
                    Err(e @ AudioError::NotRealTime { .. }) => e,
                    _ => failed.error,
                };
                (None, Err(error))
            } else {
                (Some(failed.monitor), Err(failed.error))
            }
        }
    }
}
