//! The app's side of recording and playback: starting and stopping `audio::Recorder` and
//! `audio::playback::Player` off the UI thread (opening a device can take a while) and
//! turning a finished recording into the take. All audio work is in `crate::audio`.

use crate::audio::devices::DeviceInfo;
use crate::audio::playback::Player;
use crate::audio::{Recorder, RecorderConfig, RecorderSnapshot, RecorderState};
use crate::ui::app::{App, AppEvent, TakeSource};

pub use super::live_meter::{FALLBACK_REPAINT, RecorderSlot, ShownMeter};

/// Recording and playback state owned by the app.
#[derive(Default)]
pub struct Audio {
    /// The recording in progress, shared with the repaint gate (see `live_meter`).
    pub recorder: RecorderSlot,
    /// A device is being opened.
    pub starting: bool,
    /// A finished recording is being closed.
    pub stopping: bool,
    /// The take being played.
    pub player: Option<Player>,
    /// Input devices (`None` until listed once).
    pub devices: Option<Result<Vec<DeviceInfo>, String>>,
    /// The device list is being read.
    pub listing: bool,
}

/// What comes back from the audio threads.
pub enum AudioEvent {
    /// The recorder opened (or not).
    Started(Result<Recorder, String>),
    /// The recording was closed into a file.
    Stopped(Result<crate::audio::Take, String>),
    /// Playback started (or not).
    Playing(Result<Player, String>),
    /// The device list.
    Devices(Result<Vec<DeviceInfo>, String>),
}

impl std::fmt::Debug for AudioEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AudioEvent::Started(_) => "Started",
            AudioEvent::Stopped(_) => "Stopped",
            AudioEvent::Playing(_) => "Playing",
            AudioEvent::Devices(_) => "Devices",
        })
    }
}

impl App {
    /// True while recording (or opening the device to record).
    pub fn is_recording(&self) -> bool {
        self.audio.starting || self.with_recorder(|_| ()).is_some()
    }

    /// The live numbers of the recording in progress.
    pub fn recorder_snapshot(&self) -> Option<RecorderSnapshot> {
        self.with_recorder(Recorder::snapshot)
    }

    fn with_recorder<T>(&self, f: impl FnOnce(&Recorder) -> T) -> Option<T> {
        // A poisoned slot still holds the recorder: a panic elsewhere must not lose the take.
        let guard = self
            .audio
            .recorder
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.as_ref().map(f)
    }

    fn take_recorder(&self) -> Option<Recorder> {
        self.audio
            .recorder
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    pub(crate) fn start_recording(&mut self) {
        if self.is_recording() || self.audio.stopping {
            return;
        }
        self.stop_playback();
        self.audio.starting = true;
        let config = RecorderConfig {
            device: self.state.device.clone(),
            out_dir: self.paths.recordings_dir(),
            file_stem: format!("take-{}", chrono::Local::now().format("%Y%m%d-%H%M%S")),
            // Wakes the UI only when the clock or the meter would look different.
            on_update: Some(super::live_meter::repaint_gate(
                self.audio.recorder.clone(),
                self.sender.ctx.clone(),
            )),
        };
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let result = Recorder::start(config).map_err(|e| e.to_string());
            sender.send(AppEvent::Audio(AudioEvent::Started(result)));
        });
    }

    pub(crate) fn stop_recording(&mut self) {
        let Some(recorder) = self.take_recorder() else {
            return;
        };
        self.audio.stopping = true;
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let result = recorder.stop().map_err(|e| e.to_string());
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

    pub(crate) fn refresh_devices(&mut self) {
        if self.audio.listing {
            return;
        }
        self.audio.listing = true;
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let result = crate::audio::devices::list_input_devices().map_err(|e| e.to_string());
            sender.send(AppEvent::Audio(AudioEvent::Devices(result)));
        });
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

    /// Called every frame while recording: a recording that ended by itself (45-minute limit,
    /// device gone, disk full) is closed and kept.
    pub(crate) fn watch_recorder(&mut self) {
        let ended = self
            .recorder_snapshot()
            .is_some_and(|s| matches!(s.state, RecorderState::Finished(_) | RecorderState::Failed));
        if ended {
            let why = self
                .recorder_snapshot()
                .and_then(|s| s.error)
                .unwrap_or_else(|| "The recording reached the 45-minute limit.".to_string());
            self.toast(why, true);
            self.stop_recording();
        }
        if self.audio.player.as_ref().is_some_and(|p| p.is_finished()) {
            self.audio.player = None;
        }
    }

    pub(crate) fn handle_audio_event(&mut self, event: AudioEvent) {
        match event {
            AudioEvent::Started(Ok(recorder)) => {
                self.audio.starting = false;
                *self
                    .audio
                    .recorder
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(recorder);
            }
            AudioEvent::Started(Err(e)) => {
                self.audio.starting = false;
                self.toast(format!("Could not start recording: {e}"), true);
            }
            AudioEvent::Stopped(Ok(take)) => {
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
                self.prepare_take(take.path, TakeSource::Recorded);
            }
            AudioEvent::Stopped(Err(e)) => {
                self.audio.stopping = false;
                self.toast(format!("The recording could not be finished: {e}"), true);
            }
            AudioEvent::Playing(Ok(player)) => self.audio.player = Some(player),
            AudioEvent::Playing(Err(e)) => {
                self.toast(format!("Could not play the take: {e}"), true)
            }
            AudioEvent::Devices(result) => {
                self.audio.listing = false;
                self.audio.devices = Some(result);
            }
        }
    }
}
