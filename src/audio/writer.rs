//! The writer thread behind [`Monitor`](super::Monitor) and [`Recorder`](super::Recorder).
//!
//! It wakes on a timer ([`UPDATE_EVERY`], 20 Hz) or when a handle sends a command, drains
//! the capture ring, meters everything, and — once a take has begun — downmixes, resamples
//! to 16 kHz and appends to the crash-safe WAV, rewriting its header every
//! [`CHECKPOINT_EVERY`]. It also judges the device: silent for [`STALL_TIMEOUT`] means lost,
//! clearly faster than the wall clock means not a microphone.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use super::capture::{Capture, CaptureInfo};
use super::loudness::LoudnessMeter;
use super::meter::Meter;
use super::probe::AudioFormat;
use super::recorder::{
    CHECKPOINT_EVERY, MAX_AHEAD, MAX_SPEED, OnUpdate, REAL_TIME_CHECK_AFTER, RecorderOptions,
    RecorderSnapshot, RecorderState, STALL_TIMEOUT, SYNC_EVERY, StopReason, Take, UPDATE_EVERY,
    clock,
};
use super::recovery;
use super::resample::MonoResampler;
use super::sample::f32_to_i16;
use super::wav::CheckpointedWav;
use super::{AUTO_STOP, AudioError, MAX_DURATION, TARGET_RATE};

/// What the handles tell the writer.
pub(super) enum WriterCommand {
    /// Start writing the take into this file with the next block.
    Begin(Box<TakeFile>),
    /// Look at the stop flag now rather than at the next tick.
    Wake,
}

/// A take's file, created by the handle (so errors are reported to the caller at once).
pub(super) struct TakeFile {
    pub wav: CheckpointedWav,
    pub path: PathBuf,
    pub resampler: MonoResampler,
    /// Input frames after which the take stops by itself.
    pub max_in_frames: u64,
}

/// A take fades in over this long: it starts mid-sound (the microphone was already open), and
/// a step into the 16 kHz filter would ring (~9 % overshoot, a click).
pub const FADE_IN: Duration = Duration::from_millis(10);

/// A take being written.
struct TakeState {
    file: TakeFile,
    frames_in: u64,
    fade_frames: usize,
    faded: usize,
    fade_buf: Vec<f32>,
    mono: Vec<f32>,
    pcm: Vec<i16>,
    loudness: LoudnessMeter,
    last_checkpoint: Instant,
    last_sync: Instant,
    write_error: Option<std::io::Error>,
}

impl TakeState {
    fn new(file: TakeFile, rate: u32) -> TakeState {
        let fade_frames = ((f64::from(rate) * FADE_IN.as_secs_f64()) as usize).max(1);
        TakeState {
            file,
            frames_in: 0,
            fade_frames,
            faded: 0,
            fade_buf: Vec::with_capacity(fade_frames * 8),
            mono: Vec::with_capacity(16_384),
            pcm: Vec::with_capacity(16_384),
            loudness: LoudnessMeter::new(TARGET_RATE),
            last_checkpoint: Instant::now(),
            last_sync: Instant::now(),
            write_error: None,
        }
    }

    fn at_limit(&self) -> bool {
        self.frames_in >= self.file.max_in_frames
    }

    /// Feeds interleaved input to the resampler, fading in the take's first [`FADE_IN`].
    fn push_input(&mut self, part: &[f32], ch: usize) {
        let mut rest = part;
        if self.faded < self.fade_frames {
            let k = (self.fade_frames - self.faded).min(part.len() / ch);
            self.fade_buf.clear();
            self.fade_buf.extend_from_slice(&part[..k * ch]);
            for (i, frame) in self.fade_buf.chunks_exact_mut(ch).enumerate() {
                let gain = (self.faded + i + 1) as f32 / self.fade_frames as f32;
                frame.iter_mut().for_each(|s| *s *= gain);
            }
            self.file.resampler.push(&self.fade_buf, &mut self.mono);
            self.faded += k;
            rest = &part[k * ch..];
        }
        self.file.resampler.push(rest, &mut self.mono);
    }

    /// Writes what the resampler produced (the `mono` buffer) and empties it.
    fn write_mono(&mut self) {
        if self.mono.is_empty() {
            return;
        }
        self.loudness.push(&self.mono);
        self.pcm.clear();
        self.pcm.extend(self.mono.iter().map(|&x| f32_to_i16(x)));
        self.mono.clear();
        if self.write_error.is_none()
            && let Err(e) = self.file.wav.write_samples(&self.pcm)
        {
            self.write_error = Some(e);
        }
    }

    fn checkpoint_if_due(&mut self) {
        if self.write_error.is_some() || self.last_checkpoint.elapsed() < CHECKPOINT_EVERY {
            return;
        }
        let sync = self.last_sync.elapsed() >= SYNC_EVERY;
        if let Err(e) = self.file.wav.checkpoint(sync) {
            self.write_error = Some(e);
        }
        self.last_checkpoint = Instant::now();
        if sync {
            self.last_sync = Instant::now();
        }
    }
}

pub(super) struct Writer {
    capture: Capture,
    info: CaptureInfo,
    consumer: rtrb::Consumer<f32>,
    meter: Meter,
    shared: Arc<Mutex<RecorderSnapshot>>,
    stop_flag: Arc<AtomicBool>,
    commands: mpsc::Receiver<WriterCommand>,
    on_update: Option<OnUpdate>,
    check_real_time: bool,
    max_duration: Duration,
    take: Option<TakeState>,
    /// Frames read from the ring since the device was opened (monitoring included).
    frames_heard: u64,
    opened: Instant,
    last_data: Instant,
    history: Vec<f32>,
    /// The finished take's input frames and loudness, once its file is closed.
    finished: Option<(u64, super::loudness::LoudnessSummary)>,
}

impl Writer {
    pub(super) fn new(
        capture: Capture,
        consumer: rtrb::Consumer<f32>,
        shared: Arc<Mutex<RecorderSnapshot>>,
        stop_flag: Arc<AtomicBool>,
        commands: mpsc::Receiver<WriterCommand>,
        on_update: Option<OnUpdate>,
        opts: &RecorderOptions,
    ) -> Writer {
        let info = capture.info.clone();
        Writer {
            meter: Meter::new(info.rate, info.channels),
            opened: capture.opened,
            info,
            capture,
            consumer,
            shared,
            stop_flag,
            commands,
            on_update,
            check_real_time: !opts.allow_faster_than_real_time,
            max_duration: opts.max_duration,
            take: None,
            frames_heard: 0,
            last_data: Instant::now(),
            history: Vec::with_capacity(super::meter::HISTORY_LEN),
            finished: None,
        }
    }

    /// Runs until stopped or the device ends; the take, if one was begun.
    pub(super) fn run(mut self) -> Result<Option<Take>, AudioError> {
        let ch = usize::from(self.info.channels.max(1));
        let mut reason: Option<StopReason> = None;
        let mut next_tick = Instant::now() + UPDATE_EVERY;
        let mut pending: Option<WriterCommand> = None;
        loop {
            // Commands first, so a take begins with the samples now in the ring.
            while let Some(cmd) = pending.take().or_else(|| self.commands.try_recv().ok()) {
                if let WriterCommand::Begin(file) = cmd
                    && reason.is_none()
                {
                    // What was clipped while testing the microphone is not part of the take.
                    self.meter.reset_clip();
                    self.take = Some(TakeState::new(*file, self.info.rate));
                }
            }
            if reason.is_none() && self.stop_flag.load(Ordering::Acquire) {
                reason = Some(StopReason::Requested);
                self.capture.stop();
                if self.take.is_some() {
                    self.set_state(RecorderState::Stopping);
                }
            }
            // Read before draining: the capture sets `ended` after its last samples are in the
            // ring, so when it is seen here, this drain takes them all. (Read after the drain,
            // a burst that came in between was dropped with the take's end.)
            let capture_done = self.capture.shared.ended.load(Ordering::Acquire);
            if reason.is_none() && capture_done {
                reason = Some(StopReason::DeviceLost);
            }

            self.drain(ch);

            if reason.is_none() && self.check_real_time && self.faster_than_real_time() {
                reason = Some(StopReason::NotRealTime);
                self.capture.stop();
            }
            if reason.is_none() && self.last_data.elapsed() >= STALL_TIMEOUT {
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
            if reason.is_none() && self.take.as_ref().is_some_and(TakeState::at_limit) {
                reason = Some(StopReason::MaxDurationReached);
                self.capture.stop();
            }
            if let Some(t) = self.take.as_mut() {
                t.checkpoint_if_due();
            }
            if let Some(e) = self.take.as_mut().and_then(|t| t.write_error.take()) {
                return Err(self.fail_writing(e));
            }
            let drained = self.consumer.slots() < ch;
            let at_limit = self.take.as_ref().is_some_and(TakeState::at_limit);
            if let Some(r) = reason
                && (r == StopReason::NotRealTime || drained && capture_done || at_limit)
            {
                return self.end(r);
            }

            self.publish(None, None);

            // Sleep until the next tick unless a handle says something first.
            let now = Instant::now();
            while next_tick <= now {
                next_tick += UPDATE_EVERY;
            }
            match self.commands.recv_timeout(next_tick - now) {
                Ok(cmd) => pending = Some(cmd),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                // Every handle is gone: finish as if asked to stop.
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    self.stop_flag.store(true, Ordering::Release);
                }
            }
        }
    }

    /// Reads all whole frames from the ring (up to the take's limit): meter, and write when a
    /// take is running.
    fn drain(&mut self, ch: usize) {
        let avail = self.consumer.slots();
        let mut n = avail - avail % ch;
        if let Some(t) = self.take.as_ref() {
            let room = t.file.max_in_frames.saturating_sub(t.frames_in) as usize * ch;
            n = n.min(room);
        }
        if n == 0 {
            return;
        }
        let Ok(chunk) = self.consumer.read_chunk(n) else {
            return;
        };
        let (a, b) = chunk.as_slices();
        for part in [a, b] {
            self.meter.push(part);
            if let Some(t) = self.take.as_mut() {
                t.push_input(part, ch);
            }
        }
        chunk.commit_all();
        let frames = (n / ch) as u64;
        self.frames_heard += frames;
        self.last_data = Instant::now();
        if let Some(t) = self.take.as_mut() {
            t.frames_in += frames;
            t.write_mono();
        }
    }

    /// True when the device has delivered clearly more sound than time has passed.
    fn faster_than_real_time(&self) -> bool {
        let wall = self.opened.elapsed().as_secs_f64();
        let heard = self.frames_heard as f64 / f64::from(self.info.rate.max(1));
        heard > wall + MAX_AHEAD.as_secs_f64()
            || (wall >= REAL_TIME_CHECK_AFTER.as_secs_f64() && heard > MAX_SPEED * wall)
    }

    fn not_real_time_error(&self) -> AudioError {
        AudioError::NotRealTime {
            device: self.info.device.clone(),
            seconds_delivered: self.frames_heard as f64 / f64::from(self.info.rate.max(1)),
            seconds_elapsed: self.opened.elapsed().as_secs_f64(),
        }
    }

    fn fail_writing(&mut self, e: std::io::Error) -> AudioError {
        self.capture.stop();
        let path = self
            .take
            .as_ref()
            .map(|t| t.file.path.clone())
            .unwrap_or_default();
        let msg = format!(
            "writing the recording failed ({e}); everything up to the last second is in {}",
            path.display()
        );
        self.publish(Some(RecorderState::Failed), Some(msg));
        // Keep the recovery marker: the file is repairable and will be offered back.
        recovery::release(&path);
        AudioError::io("could not write", &path, e)
    }

    /// Finishes the take (if any) and publishes the final state.
    fn end(mut self, reason: StopReason) -> Result<Option<Take>, AudioError> {
        if reason == StopReason::NotRealTime {
            let err = self.not_real_time_error();
            if let Some(t) = self.take.take() {
                // What such a device delivers is not a recording of anything: remove it.
                drop(t.file.wav);
                if let Err(e) = std::fs::remove_file(&t.file.path) {
                    eprintln!(
                        "speech-scorer: could not remove {}: {e}",
                        t.file.path.display()
                    );
                }
                recovery::unmark_recording(&t.file.path);
            }
            self.publish(
                Some(RecorderState::Finished(reason)),
                Some(format!("{err}.")),
            );
            return Err(err);
        }
        let failure = self.capture.shared.failure();
        let Some(mut t) = self.take.take() else {
            let message = (reason == StopReason::DeviceLost).then(|| {
                let why = failure
                    .as_deref()
                    .unwrap_or("the microphone stopped working");
                format!("{}.", capitalised(why.trim_end_matches('.')))
            });
            self.publish(Some(RecorderState::Finished(reason)), message);
            return Ok(None);
        };
        // Flush the resampler's tail, close the file.
        t.file.resampler.finish(&mut t.mono);
        t.write_mono();
        let overflows = self.capture.shared.overflows.load(Ordering::Relaxed);
        self.finished = Some((t.frames_in, t.loudness.summary()));
        let result = match t.write_error.take() {
            Some(e) => Err(e),
            None => t.file.wav.finish(),
        };
        let path = t.file.path.clone();
        let size_bytes = match result {
            Ok(n) => n,
            Err(e) => {
                let err = AudioError::io("could not finish", &path, e);
                self.publish(Some(RecorderState::Failed), Some(err.to_string()));
                recovery::release(&path);
                return Err(err);
            }
        };
        recovery::unmark_recording(&path);
        let recorded = Duration::from_secs_f64(t.frames_in as f64 / f64::from(self.info.rate));
        let message = match reason {
            StopReason::DeviceLost => Some(format!(
                "At {}, {}. The recording up to that point is kept.",
                clock(recorded),
                failure
                    .as_deref()
                    .unwrap_or("the microphone stopped working")
                    .trim_end_matches('.')
            )),
            StopReason::MaxDurationReached if self.max_duration == AUTO_STOP => Some(format!(
                "The recording stopped by itself at {}, just under the {} the service accepts.",
                clock(AUTO_STOP),
                clock(MAX_DURATION)
            )),
            StopReason::MaxDurationReached => Some(format!(
                "The recording stopped by itself at its {} limit.",
                clock(self.max_duration)
            )),
            StopReason::Requested | StopReason::NotRealTime => None,
        };
        let take = Take {
            path,
            duration: Duration::from_secs_f64(
                t.file.resampler.frames_out() as f64 / f64::from(TARGET_RATE),
            ),
            format: AudioFormat::Wav,
            size_bytes,
            device: self.info.device.clone(),
            overflows,
        };
        self.publish(Some(RecorderState::Finished(reason)), message);
        Ok(Some(take))
    }

    fn set_state(&self, state: RecorderState) {
        if let Ok(mut s) = self.shared.lock() {
            s.state = state;
        }
    }

    /// Refreshes the snapshot (and the state, when given) and tells the UI.
    fn publish(&mut self, state: Option<RecorderState>, error: Option<String>) {
        self.meter.history_into(&mut self.history);
        if let Ok(mut s) = self.shared.lock() {
            let frames = self
                .take
                .as_ref()
                .map(|t| t.frames_in)
                .or(self.finished.map(|(frames, _)| frames))
                .unwrap_or(0);
            s.elapsed = Duration::from_secs_f64(frames as f64 / f64::from(self.info.rate));
            s.meter = self.meter.reading();
            s.overflows = self.capture.shared.overflows.load(Ordering::Relaxed);
            s.level_history.clone_from(&self.history);
            s.take_loudness = self
                .take
                .as_ref()
                .map(|t| t.loudness.summary())
                .or(self.finished.map(|(_, loudness)| loudness));
            if let Some(state) = state {
                s.state = state;
            }
            if error.is_some() {
                s.error = error;
            }
        }
        if let Some(cb) = &self.on_update {
            cb();
        }
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
