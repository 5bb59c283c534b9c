//! Recording a take: the capture thread feeds a ring; the writer thread here meters,
//! downmixes, resamples to 16 kHz and writes a crash-safe 16-bit mono WAV.
//!
//! ```no_run
//! # use speech_scorer::audio::{Recorder, RecorderConfig};
//! let rec = Recorder::start(RecorderConfig {
//!     device: None,
//!     out_dir: "/tmp".into(),
//!     file_stem: "take-1".into(),
//!     on_update: None,
//! })?;
//! let snap = rec.snapshot(); // ~30 Hz fresh: elapsed, meter, history, state
//! let take = rec.stop()?;    // the finished WAV
//! # Ok::<(), speech_scorer::audio::AudioError>(())
//! ```

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::capture::{Capture, CaptureInfo, Source};
use super::meter::{Meter, MeterReading};
use super::probe::AudioFormat;
use super::recovery;
use super::resample::MonoResampler;
use super::sample::f32_to_i16;
use super::wav::CheckpointedWav;
use super::{AudioError, MAX_DURATION, TARGET_RATE};

/// How often the WAV header is rewritten (the most a crash can lose).
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// How often the checkpoint is also synced to disk (power loss).
pub const SYNC_EVERY: Duration = Duration::from_secs(5);
/// No samples for this long means the device is gone even if the backend said nothing.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(3);
/// How often the snapshot is refreshed and `on_update` called (~30 Hz).
pub const UPDATE_EVERY: Duration = Duration::from_millis(33);

/// A callback run on the writer thread whenever the snapshot changed (~30 Hz); the GUI passes
/// `move || ctx.request_repaint()`. Must return quickly.
pub type OnUpdate = Arc<dyn Fn() + Send + Sync>;

/// What to record and where.
#[derive(Clone, Default)]
pub struct RecorderConfig {
    /// Device id or name from [`list_input_devices`](super::devices::list_input_devices);
    /// `None` for the system default.
    pub device: Option<String>,
    /// Folder the WAV goes into (created if missing).
    pub out_dir: PathBuf,
    /// File name without extension; `-2`, `-3`… is appended rather than overwrite a take.
    pub file_stem: String,
    /// Called ~30 Hz while recording so a GUI can repaint.
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

/// Knobs tests and tools need beyond [`RecorderConfig`].
#[derive(Debug, Clone)]
pub struct RecorderOptions {
    /// Where samples come from (default: the device named in the config).
    pub source: Option<Source>,
    /// Stop by itself after this long (default: the API's 45-minute maximum).
    pub max_duration: Duration,
}

impl Default for RecorderOptions {
    fn default() -> Self {
        RecorderOptions {
            source: None,
            max_duration: MAX_DURATION,
        }
    }
}

/// Why a recording ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum StopReason {
    /// [`Recorder::stop`] was called.
    Requested,
    /// The take reached the maximum length (45 min) and stopped by itself.
    MaxDurationReached,
    /// The device disappeared or failed; what was captured until then is kept.
    DeviceLost,
}

/// Where the recorder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum RecorderState {
    /// Capturing.
    Recording,
    /// Finishing the file after a stop.
    Stopping,
    /// The file is complete; call [`Recorder::stop`] to collect the [`Take`].
    Finished(StopReason),
    /// Writing failed (e.g. disk full); the file holds everything up to the last checkpoint
    /// and [`recovery`](super::recovery) can repair it.
    Failed,
}

/// What the GUI draws, refreshed ~30 Hz.
#[derive(Debug, Clone, PartialEq)]
pub struct RecorderSnapshot {
    /// Audio recorded so far (sample-accurate, not wall clock).
    pub elapsed: Duration,
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

/// A recording in progress. Dropping it without [`stop`](Recorder::stop) still finishes the
/// file cleanly.
pub struct Recorder {
    shared: Arc<Mutex<RecorderSnapshot>>,
    stop_flag: Arc<AtomicBool>,
    writer: Option<JoinHandle<Result<Take, AudioError>>>,
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
    /// (bounded at 5 s); a GUI that must never stall calls this from a worker thread.
    pub fn start(config: RecorderConfig) -> Result<Recorder, AudioError> {
        Recorder::start_with(config, RecorderOptions::default())
    }

    /// [`start`](Recorder::start) with extra options (a synthetic source, a shorter limit).
    pub fn start_with(
        config: RecorderConfig,
        opts: RecorderOptions,
    ) -> Result<Recorder, AudioError> {
        std::fs::create_dir_all(&config.out_dir)
            .map_err(|e| AudioError::io("could not create the folder", &config.out_dir, e))?;
        let path = unique_path(&config.out_dir, &config.file_stem);
        let source = opts
            .source
            .clone()
            .unwrap_or_else(|| Source::Device(config.device.clone()));
        let (capture, consumer) = Capture::start(source)?;
        let resampler = MonoResampler::new(capture.info.rate, capture.info.channels, TARGET_RATE)
            .map_err(|e| AudioError::Device {
            device: capture.info.device.clone(),
            reason: e.to_string(),
        })?;
        let wav = CheckpointedWav::create(&path, TARGET_RATE, 1)
            .map_err(|e| AudioError::io("could not create", &path, e))?;
        recovery::mark_recording(&path, &capture.info.device);
        let shared = Arc::new(Mutex::new(RecorderSnapshot {
            elapsed: Duration::ZERO,
            meter: MeterReading::SILENT,
            overflows: 0,
            level_history: Vec::new(),
            state: RecorderState::Recording,
            error: None,
            device: capture.info.device.clone(),
        }));
        let stop_flag = Arc::new(AtomicBool::new(false));
        let max_in_frames =
            (opts.max_duration.as_secs_f64() * f64::from(capture.info.rate)).round() as u64;
        let writer = Writer {
            meter: Meter::new(capture.info.rate, capture.info.channels),
            info: capture.info.clone(),
            capture,
            consumer,
            resampler,
            wav: Some(wav),
            path: path.clone(),
            shared: Arc::clone(&shared),
            stop_flag: Arc::clone(&stop_flag),
            on_update: config.on_update.clone(),
            max_in_frames,
            max_duration: opts.max_duration,
        };
        let handle = std::thread::Builder::new()
            .name("audio-writer".into())
            .spawn(move || writer.run())
            .map_err(|e| AudioError::Device {
                device: "writer".into(),
                reason: format!("could not start the writer thread: {e}"),
            })?;
        Ok(Recorder {
            shared,
            stop_flag,
            writer: Some(handle),
            path,
        })
    }

    /// The latest state for drawing (cheap: a short lock and a copy).
    pub fn snapshot(&self) -> RecorderSnapshot {
        match self.shared.lock() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True once the recording ended by itself (limit reached, device lost, write failure).
    pub fn is_finished(&self) -> bool {
        matches!(
            self.snapshot().state,
            RecorderState::Finished(_) | RecorderState::Failed
        )
    }

    /// Asks the recording to stop and returns at once (never blocks: safe on a UI thread).
    /// The writer drains the ring, finishes the file and sets the state to
    /// `Finished(Requested)`; then [`stop`](Recorder::stop) returns the take immediately.
    pub fn request_stop(&self) {
        self.stop_flag.store(true, Ordering::Release);
    }

    /// Stops (if still recording), finishes the file and returns the take. A take that ended
    /// because the device disappeared is returned as `Ok`: the snapshot's `error` says why.
    ///
    /// Blocks until the file is complete (usually well under 100 ms, including an fsync).
    /// A GUI calls [`request_stop`](Recorder::request_stop) first and this once the snapshot
    /// says `Finished`, or calls this on a worker thread.
    pub fn stop(mut self) -> Result<Take, AudioError> {
        self.finish()
    }

    fn finish(&mut self) -> Result<Take, AudioError> {
        self.stop_flag.store(true, Ordering::Release);
        match self.writer.take() {
            Some(h) => h.join().map_err(|_| AudioError::ThreadPanicked("writer"))?,
            None => Err(AudioError::ThreadPanicked("writer")),
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if self.writer.is_some() {
            let _ = self.finish();
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

struct Writer {
    capture: Capture,
    info: CaptureInfo,
    consumer: rtrb::Consumer<f32>,
    meter: Meter,
    resampler: MonoResampler,
    wav: Option<CheckpointedWav>,
    path: PathBuf,
    shared: Arc<Mutex<RecorderSnapshot>>,
    stop_flag: Arc<AtomicBool>,
    on_update: Option<OnUpdate>,
    max_in_frames: u64,
    max_duration: Duration,
}

impl Writer {
    fn run(mut self) -> Result<Take, AudioError> {
        let ch = usize::from(self.info.channels.max(1));
        let mut mono: Vec<f32> = Vec::with_capacity(16_384);
        let mut pcm: Vec<i16> = Vec::with_capacity(16_384);
        let mut history: Vec<f32> = Vec::with_capacity(super::meter::HISTORY_LEN);
        let mut frames_in: u64 = 0;
        let mut last_checkpoint = Instant::now();
        let mut last_sync = Instant::now();
        let mut last_update = Instant::now();
        let mut reason: Option<StopReason> = None;
        let mut write_error: Option<std::io::Error> = None;
        let mut last_data = Instant::now();

        loop {
            if reason.is_none() && self.stop_flag.load(Ordering::Acquire) {
                reason = Some(StopReason::Requested);
                self.capture.stop();
                self.set_state(RecorderState::Stopping);
            }
            if reason.is_none() && self.capture.shared.ended.load(Ordering::Acquire) {
                reason = Some(StopReason::DeviceLost);
            }
            // Read whole frames from the ring, up to the length limit.
            let avail = self.consumer.slots();
            let mut take = avail - avail % ch;
            let room = self.max_in_frames.saturating_sub(frames_in) as usize * ch;
            take = take.min(room);
            if take > 0
                && let Ok(chunk) = self.consumer.read_chunk(take)
            {
                let (a, b) = chunk.as_slices();
                for part in [a, b] {
                    self.meter.push(part);
                    self.resampler.push(part, &mut mono);
                }
                chunk.commit_all();
                frames_in += (take / ch) as u64;
                last_data = Instant::now();
            }
            if reason.is_none() && last_data.elapsed() >= STALL_TIMEOUT {
                // Some backends lose a device without reporting an error: the data just stops.
                if let Ok(mut f) = self.capture.shared.failure.lock() {
                    *f = Some(format!(
                        "the microphone \"{}\" stopped sending sound",
                        self.info.device
                    ));
                }
                reason = Some(StopReason::DeviceLost);
                self.capture.stop();
            }
            if reason.is_none() && frames_in >= self.max_in_frames {
                reason = Some(StopReason::MaxDurationReached);
                self.capture.stop();
            }
            if write_error.is_none() && !mono.is_empty() {
                pcm.clear();
                pcm.extend(mono.iter().map(|&x| f32_to_i16(x)));
                mono.clear();
                if let Some(w) = self.wav.as_mut()
                    && let Err(e) = w.write_samples(&pcm)
                {
                    write_error = Some(e);
                }
            }
            if write_error.is_none() && last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
                let sync = last_sync.elapsed() >= SYNC_EVERY;
                if let Some(w) = self.wav.as_mut()
                    && let Err(e) = w.checkpoint(sync)
                {
                    write_error = Some(e);
                }
                last_checkpoint = Instant::now();
                if sync {
                    last_sync = Instant::now();
                }
            }
            if let Some(e) = write_error.as_ref() {
                self.capture.stop();
                let msg = format!(
                    "writing the recording failed ({e}); everything up to the last second is in {}",
                    self.path.display()
                );
                self.publish(frames_in, &mut history, RecorderState::Failed, Some(msg));
                let err = AudioError::io(
                    "could not write",
                    &self.path,
                    std::io::Error::new(e.kind(), e.to_string()),
                );
                // Keep the recovery marker: the file is repairable and will be offered back.
                recovery::release(&self.path);
                return Err(err);
            }
            let drained = self.consumer.slots() < ch;
            let capture_done = self.capture.shared.ended.load(Ordering::Acquire);
            if reason.is_some() && (drained && capture_done || frames_in >= self.max_in_frames) {
                break;
            }
            if last_update.elapsed() >= UPDATE_EVERY {
                self.publish(frames_in, &mut history, self.current_state(), None);
                last_update = Instant::now();
            }
            if take == 0 {
                std::thread::sleep(Duration::from_millis(10));
            }
        }

        // Finish: flush the resampler's tail, close the file.
        self.resampler.finish(&mut mono);
        pcm.clear();
        pcm.extend(mono.iter().map(|&x| f32_to_i16(x)));
        let reason = reason.unwrap_or(StopReason::Requested);
        let failure = self.capture.shared.failure();
        let overflows = self.capture.shared.overflows.load(Ordering::Relaxed);
        let result = match self.wav.take() {
            Some(mut w) => w
                .write_samples(&pcm)
                .and_then(|_| w.finish())
                .map_err(|e| AudioError::io("could not finish", &self.path, e)),
            None => Err(AudioError::ThreadPanicked("writer")),
        };
        let size_bytes = match result {
            Ok(n) => n,
            Err(e) => {
                self.publish(
                    frames_in,
                    &mut history,
                    RecorderState::Failed,
                    Some(e.to_string()),
                );
                recovery::release(&self.path);
                return Err(e);
            }
        };
        recovery::unmark_recording(&self.path);
        let duration = Duration::from_secs_f64(frames_in as f64 / f64::from(self.info.rate));
        let message = match reason {
            StopReason::DeviceLost => Some(format!(
                "At {}, {}. The recording up to that point is kept.",
                clock(duration),
                failure
                    .as_deref()
                    .unwrap_or("the microphone stopped working")
                    .trim_end_matches('.')
            )),
            StopReason::MaxDurationReached => Some(format!(
                "The recording stopped by itself at its {} maximum.",
                clock(self.max_duration)
            )),
            StopReason::Requested => None,
        };
        self.publish(
            frames_in,
            &mut history,
            RecorderState::Finished(reason),
            message,
        );
        Ok(Take {
            path: self.path.clone(),
            duration: Duration::from_secs_f64(
                self.resampler.frames_out() as f64 / f64::from(TARGET_RATE),
            ),
            format: AudioFormat::Wav,
            size_bytes,
            device: self.info.device.clone(),
            overflows,
        })
    }

    fn current_state(&self) -> RecorderState {
        match self.shared.lock() {
            Ok(s) => s.state,
            Err(_) => RecorderState::Recording,
        }
    }

    fn set_state(&self, state: RecorderState) {
        if let Ok(mut s) = self.shared.lock() {
            s.state = state;
        }
    }

    fn publish(
        &self,
        frames_in: u64,
        history: &mut Vec<f32>,
        state: RecorderState,
        error: Option<String>,
    ) {
        self.meter.history_into(history);
        if let Ok(mut s) = self.shared.lock() {
            s.elapsed = Duration::from_secs_f64(frames_in as f64 / f64::from(self.info.rate));
            s.meter = self.meter.reading();
            s.overflows = self.capture.shared.overflows.load(Ordering::Relaxed);
            s.level_history.clone_from(history);
            s.state = state;
            if error.is_some() {
                s.error = error;
            }
        }
        if let Some(cb) = &self.on_update {
            cb();
        }
    }
}

/// `m:ss` for messages.
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}", s / 60, s % 60)
}
