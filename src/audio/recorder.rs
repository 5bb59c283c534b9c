//! Recording a take, and testing the microphone before one.
//!
//! The capture thread feeds a lock-free ring; the writer thread ([`super::writer`]) meters
//! what arrives and, once a take has begun, downmixes, resamples to 16 kHz and writes a
//! crash-safe 16-bit mono WAV.
//!
//! Two handles share that machinery:
//! - [`Monitor`]: the device open and the meter live, nothing written (the Record screen shows
//!   levels before the person presses Record). [`Monitor::record`] turns it into a
//!   [`Recorder`] without reopening the device: the take starts with the next block.
//! - [`Recorder`]: a take being written; [`Recorder::start`] opens the device and begins at
//!   once.
//!
//! ```no_run
//! # use speech_scorer::audio::{Monitor, MonitorConfig};
//! let monitor = Monitor::start(MonitorConfig::default())?; // meter only, no file
//! let level = monitor.snapshot().meter.hint;               // LevelHint for the person
//! let rec = monitor.record("/tmp".as_ref(), "take-1").map_err(|f| f.error)?;
//! let take = rec.stop()?;                                   // the finished WAV
//! # Ok::<(), speech_scorer::audio::AudioError>(())
//! ```

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use super::capture::{Capture, Source};
use super::loudness::LoudnessSummary;
use super::meter::MeterReading;
use super::probe::AudioFormat;
use super::recovery;
use super::resample::MonoResampler;
use super::wav::CheckpointedWav;
use super::writer::{TakeFile, Writer, WriterCommand};
use super::{AUTO_STOP, AudioError, TARGET_RATE};

/// How often the WAV header is rewritten (the most a crash can lose).
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// How often the checkpoint is also synced to disk (power loss).
pub const SYNC_EVERY: Duration = Duration::from_secs(5);
/// No samples for this long means the device is gone even if the backend said nothing.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(3);
/// How often the writer wakes to drain the ring, refreshes the snapshot and calls
/// `on_update` (20 Hz). A timer, not a poll: the writer sleeps in between.
pub const UPDATE_EVERY: Duration = Duration::from_millis(50);
/// A device is judged "faster than real time" once it has run this long…
pub const REAL_TIME_CHECK_AFTER: Duration = Duration::from_secs(2);
/// …and delivered more than this many seconds of sound per second of wall clock.
pub const MAX_SPEED: f64 = 1.5;
/// A device that is ever this far ahead of the wall clock is not real either (no real
/// microphone delivers sound before it was made); catches the `null` device on its first
/// block, before it has filled a file.
pub const MAX_AHEAD: Duration = Duration::from_secs(3);

/// A callback run on the writer thread whenever the snapshot changed (20 Hz); the GUI passes
/// `move || ctx.request_repaint()`. Must return quickly.
pub type OnUpdate = Arc<dyn Fn() + Send + Sync>;

/// What to record and where.
#[derive(Clone, Default)]
pub struct RecorderConfig {
    /// Device id from [`list_input_devices`](super::devices::list_input_devices) (a name works
    /// too); `None` for the system default.
    pub device: Option<String>,
    /// Folder the WAV goes into (created if missing).
    pub out_dir: PathBuf,
    /// File name without extension; `-2`, `-3`… is appended rather than overwrite a take.
    pub file_stem: String,
    /// Called 20 times a second while recording so a GUI can repaint.
    pub on_update: Option<OnUpdate>,
}

impl std::fmt::Debug for RecorderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecorderConfig")
            .field("device", &self.device)
            .field("out_dir", &self.out_dir)
            .field("file_stem", &self.file_stem)
            .field("on_update", &self.on_update.is_some())
            .finish()
    }
}

/// Which microphone to test, for [`Monitor::start`].
#[derive(Clone, Default)]
pub struct MonitorConfig {
    /// Device id (or name); `None` for the system default.
    pub device: Option<String>,
    /// Called 20 times a second while the meter runs.
    pub on_update: Option<OnUpdate>,
}

impl std::fmt::Debug for MonitorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonitorConfig")
            .field("device", &self.device)
            .field("on_update", &self.on_update.is_some())
            .finish()
    }
}

/// Knobs tests and tools need beyond [`RecorderConfig`].
#[derive(Debug, Clone)]
pub struct RecorderOptions {
    /// Where samples come from (default: the device named in the config).
    pub source: Option<Source>,
    /// Stop by itself after this long (default: [`AUTO_STOP`], a margin under the API's
    /// maximum).
    pub max_duration: Duration,
    /// Accept a source that delivers faster than real time (tests that run a synthetic source
    /// fast on purpose). Off by default: such a device is not a microphone.
    pub allow_faster_than_real_time: bool,
}

impl Default for RecorderOptions {
    fn default() -> Self {
        RecorderOptions {
            source: None,
            max_duration: AUTO_STOP,
            allow_faster_than_real_time: false,
        }
    }
}

/// Why a recording (or a microphone test) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum StopReason {
    /// [`Recorder::stop`] or [`Recorder::request_stop`] was called.
    Requested,
    /// The take reached [`RecorderOptions::max_duration`] and stopped by itself.
    MaxDurationReached,
    /// The device disappeared or failed; what was captured until then is kept.
    DeviceLost,
    /// The device delivered sound faster than real time: not a microphone. Nothing is kept
    /// ([`AudioError::NotRealTime`]).
    NotRealTime,
}

/// Where the recorder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum RecorderState {
    /// The meter runs; nothing is being written ([`Monitor`]).
    Monitoring,
    /// Capturing into the take.
    Recording,
    /// Finishing the file after a stop.
    Stopping,
    /// Ended; for a [`Recorder`], call [`Recorder::stop`] to collect the [`Take`].
    Finished(StopReason),
    /// Writing failed (e.g. disk full); the file holds everything up to the last checkpoint
    /// and [`recovery`](super::recovery) can repair it.
    Failed,
}

/// What the GUI draws, refreshed 20 times a second.
#[derive(Debug, Clone, PartialEq)]
pub struct RecorderSnapshot {
    /// Audio recorded into the take so far (sample-accurate, not wall clock); zero while
    /// monitoring.
    pub elapsed: Duration,
    /// The live meter, with its [`LevelHint`](super::meter::LevelHint).
    pub meter: MeterReading,
    /// Times the capture ring was full and samples were lost (should stay 0).
    pub overflows: u64,
    /// Peak amplitude (0..1) per 50 ms, oldest first, last 10 s.
    pub level_history: Vec<f32>,
    pub state: RecorderState,
    /// Why the recording ended early or failed, in words for the person.
    pub error: Option<String>,
    /// The device being recorded.
    pub device: String,
    /// Loudness of the take so far (silent share, peak, RMS); `None` while monitoring. At
    /// `Finished` it is the whole take's: warn before submitting a silent one.
    pub take_loudness: Option<LoudnessSummary>,
}

/// A finished recording.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Take {
    pub path: PathBuf,
    pub duration: Duration,
    pub format: AudioFormat,
    pub size_bytes: u64,
    pub device: String,
    /// Ring overflows during the take (samples lost); 0 in a good take.
    pub overflows: u64,
}

/// The writer thread and what the handles share with it.
struct Session {
    shared: Arc<Mutex<RecorderSnapshot>>,
    stop_flag: Arc<AtomicBool>,
    commands: mpsc::Sender<WriterCommand>,
    writer: Option<JoinHandle<Result<Option<Take>, AudioError>>>,
    rate: u32,
    channels: u16,
    device: String,
    max_duration: Duration,
}

impl Session {
    fn open(
        device: Option<String>,
        on_update: Option<OnUpdate>,
        opts: RecorderOptions,
    ) -> Result<Session, AudioError> {
        let source = opts.source.clone().unwrap_or(Source::Device(device));
        let (capture, consumer) = Capture::start(source)?;
        let info = capture.info.clone();
        let shared = Arc::new(Mutex::new(RecorderSnapshot {
            elapsed: Duration::ZERO,
            meter: MeterReading::SILENT,
            overflows: 0,
            level_history: Vec::new(),
            state: RecorderState::Monitoring,
            error: None,
            device: info.device.clone(),
            take_loudness: None,
        }));
        let stop_flag = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let writer = Writer::new(
            capture,
            consumer,
            Arc::clone(&shared),
            Arc::clone(&stop_flag),
            rx,
            on_update,
            &opts,
        );
        let handle = std::thread::Builder::new()
            .name("audio-writer".into())
            .spawn(move || writer.run())
            .map_err(|e| AudioError::Device {
                device: "writer".into(),
                reason: format!("could not start the writer thread: {e}"),
            })?;
        Ok(Session {
            shared,
            stop_flag,
            commands: tx,
            writer: Some(handle),
            rate: info.rate,
            channels: info.channels,
            device: info.device,
            max_duration: opts.max_duration,
        })
    }

    fn snapshot(&self) -> RecorderSnapshot {
        match self.shared.lock() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn is_finished(&self) -> bool {
        matches!(
            self.snapshot().state,
            RecorderState::Finished(_) | RecorderState::Failed
        )
    }

    /// Monitoring → Recording, unless the writer has ended meanwhile (its final state stays).
    fn mark_recording(&self) {
        let mut s = match self.shared.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        if s.state == RecorderState::Monitoring {
            s.state = RecorderState::Recording;
        }
    }

    fn request_stop(&self) {
        self.stop_flag.store(true, Ordering::Release);
        // Wakes the writer now rather than at its next tick; if it already ended, fine.
        let _ = self.commands.send(WriterCommand::Wake);
    }

    fn finish(&mut self) -> Result<Option<Take>, AudioError> {
        self.request_stop();
        match self.writer.take() {
            Some(h) => h.join().map_err(|_| AudioError::ThreadPanicked("writer"))?,
            None => Err(AudioError::ThreadPanicked("writer")),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.writer.is_some()
            && let Err(e @ AudioError::Io { .. }) = self.finish()
        {
            // Nobody asked for the result (the snapshot already said why the device ended);
            // a take that could not be finished is still on disk for recovery.
            eprintln!("speech-scorer: the recording could not be finished: {e}");
        }
    }
}

/// The microphone open with the meter live and nothing written: "test the microphone".
/// Dropping it closes the device.
pub struct Monitor {
    session: Session,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("device", &self.session.device)
            .finish()
    }
}

/// [`Monitor::record`] could not begin the take; the monitor is handed back, still running.
#[derive(Debug)]
pub struct RecordFailed {
    pub error: AudioError,
    pub monitor: Monitor,
}

impl Monitor {
    /// Opens the device and runs the meter. Opening usually takes tens of milliseconds but
    /// some backends take seconds (bounded): a GUI calls this from a worker thread.
    pub fn start(config: MonitorConfig) -> Result<Monitor, AudioError> {
        Monitor::start_with(config, RecorderOptions::default())
    }

    /// [`start`](Monitor::start) with extra options (a synthetic source, a shorter limit for
    /// the take it may become).
    pub fn start_with(config: MonitorConfig, opts: RecorderOptions) -> Result<Monitor, AudioError> {
        Ok(Monitor {
            session: Session::open(config.device, config.on_update, opts)?,
        })
    }

    /// The latest meter and state (cheap: a short lock and a copy).
    pub fn snapshot(&self) -> RecorderSnapshot {
        self.session.snapshot()
    }

    /// The device being listened to.
    pub fn device(&self) -> &str {
        &self.session.device
    }

    /// True once the device was lost or judged not real (the snapshot's `error` says why).
    pub fn is_finished(&self) -> bool {
        self.session.is_finished()
    }

    /// Begins a take on the open device, seamlessly: the meter keeps running and the file
    /// starts with the next block (at once: the writer is woken). Creates the file here (with
    /// an fsync of its header), so a folder that cannot be written is reported at once; a GUI
    /// calls it from a worker thread, as it does [`Recorder::stop`].
    pub fn record(self, out_dir: &Path, file_stem: &str) -> Result<Recorder, Box<RecordFailed>> {
        let fail =
            |error: AudioError, monitor: Monitor| Err(Box::new(RecordFailed { error, monitor }));
        if let Err(e) = std::fs::create_dir_all(out_dir) {
            return fail(
                AudioError::io("could not create the folder", out_dir, e),
                self,
            );
        }
        if self.session.is_finished() {
            let why = self
                .session
                .snapshot()
                .error
                .unwrap_or_else(|| "the microphone stopped".into());
            return fail(
                AudioError::Device {
                    device: self.session.device.clone(),
                    reason: why,
                },
                self,
            );
        }
        let resampler =
            match MonoResampler::new(self.session.rate, self.session.channels, TARGET_RATE) {
                Ok(r) => r,
                Err(e) => {
                    let error = AudioError::Device {
                        device: self.session.device.clone(),
                        reason: e.to_string(),
                    };
                    return fail(error, self);
                }
            };
        let path = unique_path(out_dir, file_stem);
        let wav = match CheckpointedWav::create(&path, TARGET_RATE, 1) {
            Ok(w) => w,
            Err(e) => return fail(AudioError::io("could not create", &path, e), self),
        };
        recovery::mark_recording(&path, &self.session.device);
        let take = TakeFile {
            wav,
            path: path.clone(),
            resampler,
            max_in_frames: (self.session.max_duration.as_secs_f64() * f64::from(self.session.rate))
                .round() as u64,
        };
        if self
            .session
            .commands
            .send(WriterCommand::Begin(Box::new(take)))
            .is_err()
        {
            // The writer ended between the check and now (device lost).
            let _ = std::fs::remove_file(&path);
            recovery::unmark_recording(&path);
            let error = AudioError::Device {
                device: self.session.device.clone(),
                reason: "the microphone stopped".into(),
            };
            return fail(error, self);
        }
        self.session.mark_recording();
        Ok(Recorder {
            session: self.session,
            path,
        })
    }

    /// Closes the device. Reports [`AudioError::NotRealTime`] when the device turned out not
    /// to be a microphone, so the picker can say so.
    pub fn stop(mut self) -> Result<(), AudioError> {
        self.session.finish().map(|_| ())
    }
}

/// A recording in progress. Dropping it without [`stop`](Recorder::stop) still finishes the
/// file cleanly.
pub struct Recorder {
    session: Session,
    path: PathBuf,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("path", &self.path)
            .finish()
    }
}

impl Recorder {
    /// Opens the device and starts recording to `out_dir/file_stem.wav`.
    ///
    /// Opening a device usually takes tens of milliseconds but some backends take seconds
    /// (bounded); a GUI that must never stall calls this from a worker thread, or opens a
    /// [`Monitor`] first and calls [`Monitor::record`].
    pub fn start(config: RecorderConfig) -> Result<Recorder, AudioError> {
        Recorder::start_with(config, RecorderOptions::default())
    }

    /// [`start`](Recorder::start) with extra options (a synthetic source, a shorter limit).
    pub fn start_with(
        config: RecorderConfig,
        opts: RecorderOptions,
    ) -> Result<Recorder, AudioError> {
        let monitor = Monitor::start_with(
            MonitorConfig {
                device: config.device,
                on_update: config.on_update,
            },
            opts,
        )?;
        monitor
            .record(&config.out_dir, &config.file_stem)
            .map_err(|f| f.error)
    }

    /// The latest state for drawing (cheap: a short lock and a copy).
    pub fn snapshot(&self) -> RecorderSnapshot {
        self.session.snapshot()
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True once the recording ended by itself (limit reached, device lost, not a real
    /// microphone, write failure).
    pub fn is_finished(&self) -> bool {
        self.session.is_finished()
    }

    /// Asks the recording to stop and returns at once (never blocks: safe on a UI thread).
    /// The writer drains the ring, finishes the file and sets the state to
    /// `Finished(Requested)`; then [`stop`](Recorder::stop) returns the take immediately.
    pub fn request_stop(&self) {
        self.session.request_stop();
    }

    /// Stops (if still recording), finishes the file and returns the take. A take that ended
    /// because the device disappeared is returned as `Ok`: the snapshot's `error` says why.
    /// A device that was not a real microphone gives [`AudioError::NotRealTime`] and no file.
    ///
    /// Blocks until the file is complete (usually well under 100 ms, including an fsync).
    /// A GUI calls [`request_stop`](Recorder::request_stop) first and this once the snapshot
    /// says `Finished`, or calls this on a worker thread.
    pub fn stop(mut self) -> Result<Take, AudioError> {
        match self.session.finish()? {
            Some(take) => Ok(take),
            None => Err(AudioError::ThreadPanicked("writer")),
        }
    }
}

/// `dir/stem.wav`, or `dir/stem-2.wav`… when taken: never overwrite an earlier take.
fn unique_path(dir: &Path, stem: &str) -> PathBuf {
    let stem = if stem.trim().is_empty() { "take" } else { stem };
    let first = dir.join(format!("{stem}.wav"));
    if !first.exists() {
        return first;
    }
    (2..)
        .map(|n| dir.join(format!("{stem}-{n}.wav")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// `m:ss` for messages.
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}", s / 60, s % 60)
}
