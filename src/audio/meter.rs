//! The level meter: RMS and peak in dBFS, peak hold, a latched clip light, digital-silence
//! detection, a short level history for drawing a waveform, and the level hint ("too loud",
//! "very quiet") judged over the last few seconds and held so it does not flicker.
//!
//! Runs on the writer thread (never in the audio callback) over the samples as captured, before
//! downmixing, so a clip on one channel is not hidden by averaging.

use std::collections::VecDeque;
use std::time::Duration;

/// The floor used for silence instead of minus infinity.
pub const DB_FLOOR: f32 = -100.0;
/// A sample at or above this magnitude counts as clipped (0.999 ≈ -0.01 dBFS).
pub const CLIP_LEVEL: f32 = 0.999;
/// Below this magnitude a sample counts as digital silence (≈ -100 dBFS): what a muted or
/// permission-denied microphone delivers, as opposed to a quiet room (≈ -60 to -40 dBFS).
pub const SILENCE_LEVEL: f32 = 1e-5;
/// How long the peak-hold marker stays before it falls back to the current peak.
pub const PEAK_HOLD: Duration = Duration::from_millis(1500);
/// How long digital silence lasts before the UI should say "no sound from the microphone".
pub const SILENCE_WARNING_AFTER: Duration = Duration::from_secs(1);
/// Each history point covers this long.
pub const HISTORY_STEP: Duration = Duration::from_millis(50);
/// How many history points are kept (10 s at 50 ms).
pub const HISTORY_LEN: usize = 200;
/// The level hint looks at this much of the most recent audio.
pub const HINT_WINDOW: Duration = Duration::from_secs(3);
/// A hint, once shown, stays at least this long (no flicker between hints in pauses).
pub const HINT_HOLD: Duration = Duration::from_secs(2);
/// The hint says nothing until it has heard this much.
pub const HINT_MIN_HEARD: Duration = Duration::from_secs(1);
/// "Too quiet": even the loudest 50 ms of the window has an RMS below this (dBFS). Speech at a
/// good distance is around -30 to -15 dBFS RMS; a quiet room around -60 to -45.
pub const QUIET_DBFS: f32 = -45.0;

/// What the level of the last few seconds suggests to the person recording. The UI turns it
/// into words; the audio module only judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum LevelHint {
    /// Nothing to say: the level is fine, or too little has been heard yet.
    #[default]
    Good,
    /// Digital silence for the whole window: a muted or blocked microphone.
    NoSound,
    /// Even the loudest moments of the window are very quiet (pauses do not count: the
    /// loudest block decides).
    TooQuiet,
    /// The input reached full scale (clipped) within the window.
    TooLoud,
}

/// The level of one [`HISTORY_STEP`] block, the unit the hint judges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockLevel {
    /// RMS of the block, dBFS.
    pub rms_dbfs: f32,
    /// Peak magnitude of the block, linear 0..1 (≥ [`CLIP_LEVEL`] = clipped).
    pub peak: f32,
}

/// Turns per-block levels into a [`LevelHint`] judged over [`HINT_WINDOW`] and held for at
/// least [`HINT_HOLD`]. Pure: time is counted in blocks, so a test feeds a sequence and checks
/// what a person would have seen.
#[derive(Debug, Clone)]
pub struct HintTracker {
    window: VecDeque<BlockLevel>,
    window_blocks: usize,
    hold_blocks: usize,
    min_blocks: usize,
    shown: LevelHint,
    shown_for: usize,
}

impl HintTracker {
    /// A tracker for blocks of `block` length.
    pub fn new(block: Duration) -> HintTracker {
        let blocks = |d: Duration| {
            ((d.as_secs_f64() / block.as_secs_f64().max(1e-6)).round() as usize).max(1)
        };
        HintTracker {
            window: VecDeque::with_capacity(blocks(HINT_WINDOW)),
            window_blocks: blocks(HINT_WINDOW),
            hold_blocks: blocks(HINT_HOLD),
            min_blocks: blocks(HINT_MIN_HEARD),
            shown: LevelHint::Good,
            shown_for: 0,
        }
    }

    /// Adds the next block and returns the hint to show now.
    pub fn push(&mut self, block: BlockLevel) -> LevelHint {
        if self.window.len() == self.window_blocks {
            self.window.pop_front();
        }
        self.window.push_back(block);
        self.shown_for += 1;
        let judged = self.judge();
        if judged != self.shown && self.shown_for >= self.hold_blocks {
            self.shown = judged;
            self.shown_for = 0;
        }
        self.shown
    }

    /// The hint shown now.
    pub fn hint(&self) -> LevelHint {
        self.shown
    }

    /// What the window alone says, before holding.
    fn judge(&self) -> LevelHint {
        if self.window.len() < self.min_blocks {
            return LevelHint::Good;
        }
        if self.window.iter().any(|b| b.peak >= CLIP_LEVEL) {
            return LevelHint::TooLoud;
        }
        if self.window.iter().all(|b| b.peak < SILENCE_LEVEL) {
            return LevelHint::NoSound;
        }
        let loudest = self
            .window
            .iter()
            .map(|b| b.rms_dbfs)
            .fold(DB_FLOOR, f32::max);
        if loudest < QUIET_DBFS {
            LevelHint::TooQuiet
        } else {
            LevelHint::Good
        }
    }
}

/// One reading of the meter, as the GUI draws it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterReading {
    /// RMS level of the last window (~33 ms), dBFS, floored at [`DB_FLOOR`].
    pub rms_dbfs: f32,
    /// Peak level of the last window, dBFS.
    pub peak_dbfs: f32,
    /// Highest peak in the last [`PEAK_HOLD`], dBFS.
    pub peak_hold_dbfs: f32,
    /// A sample reached full scale at some point in this take (latched until the next take).
    pub clipped: bool,
    /// How long the input has been digitally silent without a break. Over
    /// [`SILENCE_WARNING_AFTER`] this usually means a muted or permission-denied microphone.
    pub silent_for: Duration,
    /// What to tell the person about their level (judged over the last seconds, held).
    pub hint: LevelHint,
}

impl MeterReading {
    /// A reading with nothing measured yet.
    pub const SILENT: MeterReading = MeterReading {
        rms_dbfs: DB_FLOOR,
        peak_dbfs: DB_FLOOR,
        peak_hold_dbfs: DB_FLOOR,
        clipped: false,
        silent_for: Duration::ZERO,
        hint: LevelHint::Good,
    };

    /// True when the silence has lasted long enough to warn the person.
    pub fn silence_warning(&self) -> bool {
        self.silent_for >= SILENCE_WARNING_AFTER
    }
}

impl Default for MeterReading {
    fn default() -> Self {
        MeterReading::SILENT
    }
}

/// Amplitude (linear, 0..1) to dBFS, floored.
pub fn to_dbfs(amplitude: f32) -> f32 {
    if amplitude <= 0.0 {
        DB_FLOOR
    } else {
        (20.0 * amplitude.log10()).max(DB_FLOOR)
    }
}

/// Accumulates samples and produces [`MeterReading`]s and the level history.
#[derive(Debug)]
pub struct Meter {
    rate: u32,
    channels: usize,
    window_frames: u64,
    // Current window.
    sum_sq: f64,
    peak: f32,
    frames_in_window: u64,
    // Last finished window.
    last_rms: f32,
    last_peak: f32,
    hold: f32,
    hold_age_frames: u64,
    hold_frames: u64,
    clipped: bool,
    silent_frames: u64,
    history: VecDeque<f32>,
    history_step_frames: u64,
    history_peak: f32,
    history_sum_sq: f64,
    history_frames: u64,
    hints: HintTracker,
}

impl Meter {
    /// A meter for interleaved input with this rate and channel count; readings cover
    /// windows of about 1/30 s.
    pub fn new(rate: u32, channels: u16) -> Meter {
        let rate = rate.max(1);
        Meter {
            rate,
            channels: usize::from(channels.max(1)),
            window_frames: (u64::from(rate) / 30).max(1),
            sum_sq: 0.0,
            peak: 0.0,
            frames_in_window: 0,
            last_rms: 0.0,
            last_peak: 0.0,
            hold: 0.0,
            hold_age_frames: 0,
            hold_frames: (PEAK_HOLD.as_secs_f64() * f64::from(rate)) as u64,
            clipped: false,
            silent_frames: 0,
            history: VecDeque::with_capacity(HISTORY_LEN),
            history_step_frames: (HISTORY_STEP.as_secs_f64() * f64::from(rate)).max(1.0) as u64,
            history_peak: 0.0,
            history_sum_sq: 0.0,
            history_frames: 0,
            hints: HintTracker::new(HISTORY_STEP),
        }
    }

    /// Feeds interleaved samples (any trailing partial frame is ignored).
    pub fn push(&mut self, interleaved: &[f32]) {
        for frame in interleaved.chunks_exact(self.channels) {
            let mut frame_peak = 0f32;
            let mut frame_sq = 0f32;
            for &s in frame {
                frame_peak = frame_peak.max(s.abs());
                frame_sq += s * s;
            }
            self.sum_sq += f64::from(frame_sq);
            self.history_sum_sq += f64::from(frame_sq);
            if frame_peak >= CLIP_LEVEL {
                self.clipped = true;
            }
            if frame_peak < SILENCE_LEVEL {
                self.silent_frames += 1;
            } else {
                self.silent_frames = 0;
            }
            self.peak = self.peak.max(frame_peak);
            self.history_peak = self.history_peak.max(frame_peak);
            self.frames_in_window += 1;
            self.history_frames += 1;
            self.hold_age_frames += 1;
            if self.frames_in_window >= self.window_frames {
                self.finish_window();
            }
            if self.history_frames >= self.history_step_frames {
                self.finish_block();
            }
        }
    }

    fn finish_block(&mut self) {
        if self.history.len() == HISTORY_LEN {
            self.history.pop_front();
        }
        self.history.push_back(self.history_peak.min(1.0));
        let n = self.history_frames as f64 * self.channels as f64;
        self.hints.push(BlockLevel {
            rms_dbfs: to_dbfs((self.history_sum_sq / n).sqrt() as f32),
            peak: self.history_peak,
        });
        self.history_peak = 0.0;
        self.history_sum_sq = 0.0;
        self.history_frames = 0;
    }

    fn finish_window(&mut self) {
        let n = (self.frames_in_window as f64) * self.channels as f64;
        self.last_rms = (self.sum_sq / n).sqrt() as f32;
        self.last_peak = self.peak;
        if self.peak >= self.hold || self.hold_age_frames >= self.hold_frames {
            self.hold = self.peak;
            self.hold_age_frames = 0;
        }
        self.sum_sq = 0.0;
        self.peak = 0.0;
        self.frames_in_window = 0;
    }

    /// Clears the clip light (a new take begins; what clipped before is not part of it).
    pub fn reset_clip(&mut self) {
        self.clipped = false;
    }

    /// The current reading.
    pub fn reading(&self) -> MeterReading {
        MeterReading {
            rms_dbfs: to_dbfs(self.last_rms),
            peak_dbfs: to_dbfs(self.last_peak),
            peak_hold_dbfs: to_dbfs(self.hold),
            clipped: self.clipped,
            silent_for: Duration::from_secs_f64(self.silent_frames as f64 / f64::from(self.rate)),
            hint: self.hints.hint(),
        }
    }

    /// Peak amplitude (linear, 0..1) of each [`HISTORY_STEP`], oldest first, at most
    /// [`HISTORY_LEN`] points.
    pub fn history(&self) -> Vec<f32> {
        self.history.iter().copied().collect()
    }

    /// Copies the history into `out` without allocating when `out` has capacity.
    pub fn history_into(&self, out: &mut Vec<f32>) {
        out.clear();
        out.extend(self.history.iter().copied());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, seconds: f32, amp: f32, channels: usize) -> Vec<f32> {
        let n = (rate as f32 * seconds) as usize;
        let mut v = Vec::with_capacity(n * channels);
        for i in 0..n {
            let s = amp * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / rate as f32).sin();
            for _ in 0..channels {
                v.push(s);
            }
        }
        v
    }

    #[test]
    fn a_half_scale_sine_reads_minus_6_peak_and_minus_9_rms() {
        let mut m = Meter::new(48_000, 2);
        m.push(&sine(48_000, 0.5, 0.5, 2));
        let r = m.reading();
        assert!((r.peak_dbfs - -6.02).abs() < 0.1, "{r:?}");
        assert!((r.rms_dbfs - -9.03).abs() < 0.1, "{r:?}");
        assert!(!r.clipped);
        assert_eq!(r.silent_for, Duration::ZERO);
    }

    #[test]
    fn peak_hold_outlasts_the_peak_then_falls() {
        let mut m = Meter::new(16_000, 1);
        m.push(&sine(16_000, 0.2, 0.9, 1));
        m.push(&sine(16_000, 0.5, 0.1, 1));
        let r = m.reading();
        assert!((r.peak_dbfs - -20.0).abs() < 0.2, "{r:?}");
        assert!((r.peak_hold_dbfs - to_dbfs(0.9)).abs() < 0.2, "{r:?}");
        m.push(&sine(16_000, 1.5, 0.1, 1));
        assert!((m.reading().peak_hold_dbfs - -20.0).abs() < 0.2);
    }

    #[test]
    fn clipping_latches_and_silence_is_timed() {
        let mut m = Meter::new(8_000, 1);
        m.push(&[0.2, 1.0, 0.2]);
        m.push(&sine(8_000, 0.2, 0.3, 1));
        m.push(&vec![0.0; 8_000 * 3 / 2]);
        let r = m.reading();
        assert!(r.clipped, "clip must stay latched");
        assert!((r.silent_for.as_secs_f32() - 1.5).abs() < 0.01, "{r:?}");
        assert!(r.silence_warning());
        assert_eq!(r.rms_dbfs, DB_FLOOR);
        m.push(&[0.1]);
        assert_eq!(m.reading().silent_for, Duration::ZERO);
    }

    #[test]
    fn history_is_bounded_and_follows_the_level() {
        let mut m = Meter::new(16_000, 1);
        m.push(&sine(16_000, 1.0, 0.5, 1));
        m.push(&vec![0.0; 16_000]);
        let h = m.history();
        assert_eq!(h.len(), 40);
        assert!(h[..20].iter().all(|&p| (p - 0.5).abs() < 0.01));
        assert!(h[20..].iter().all(|&p| p == 0.0));
        m.push(&sine(16_000, 20.0, 0.2, 1));
        assert_eq!(m.history().len(), HISTORY_LEN);
    }

    // Level hints, over synthetic block sequences (50 ms blocks: 20 per second).

    const SPEECH: BlockLevel = BlockLevel {
        rms_dbfs: -22.0,
        peak: 0.4,
    };
    const CLIPPING_SPEECH: BlockLevel = BlockLevel {
        rms_dbfs: -8.0,
        peak: 1.0,
    };
    const QUIET_SPEECH: BlockLevel = BlockLevel {
        rms_dbfs: -52.0,
        peak: 0.008,
    };
    const ROOM: BlockLevel = BlockLevel {
        rms_dbfs: -68.0,
        peak: 0.001,
    };
    const MUTED: BlockLevel = BlockLevel {
        rms_dbfs: DB_FLOOR,
        peak: 0.0,
    };

    /// The hint shown after each block of `pattern` (seconds of each level), repeated.
    fn shown(pattern: &[(f32, BlockLevel)], repeat: usize) -> Vec<LevelHint> {
        let mut t = HintTracker::new(HISTORY_STEP);
        let mut out = Vec::new();
        for _ in 0..repeat {
            for &(secs, level) in pattern {
                for _ in 0..(secs * 20.0).round() as usize {
                    out.push(t.push(level));
                }
            }
        }
        out
    }

    /// (hint, blocks shown) for each stretch the hint stayed the same.
    fn runs(hints: &[LevelHint]) -> Vec<(LevelHint, usize)> {
        let mut runs: Vec<(LevelHint, usize)> = Vec::new();
        for &h in hints {
            match runs.last_mut() {
                Some((last, n)) if *last == h => *n += 1,
                _ => runs.push((h, 1)),
            }
        }
        runs
    }

    #[test]
    fn ordinary_speech_with_pauses_gets_no_hint() {
        let hints = shown(
            &[(1.2, SPEECH), (0.8, ROOM), (0.4, SPEECH), (1.5, ROOM)],
            10,
        );
        assert!(
            hints.iter().all(|&h| h == LevelHint::Good),
            "{:?}",
            runs(&hints)
        );
    }

    #[test]
    fn clipping_speech_with_pauses_says_too_loud_and_never_flips_to_too_quiet() {
        // What the old per-frame hint got wrong: "Too loud" while speaking, "Very quiet" in
        // every pause, flipping within a second.
        let hints = shown(&[(0.6, CLIPPING_SPEECH), (1.4, ROOM)], 8);
        assert!(!hints.contains(&LevelHint::TooQuiet), "{:?}", runs(&hints));
        assert!(
            hints[40..].iter().all(|&h| h == LevelHint::TooLoud),
            "{:?}",
            runs(&hints)
        );
    }

    #[test]
    fn quiet_speech_says_too_quiet_after_a_second_and_not_before() {
        let hints = shown(&[(0.5, QUIET_SPEECH), (0.3, ROOM)], 6);
        assert!(
            hints[..19].iter().all(|&h| h == LevelHint::Good),
            "{:?}",
            runs(&hints)
        );
        // Held Good for the first 2 s, then the judgement shows.
        assert!(
            hints[40..].iter().all(|&h| h == LevelHint::TooQuiet),
            "{:?}",
            runs(&hints)
        );
    }

    #[test]
    fn a_long_pause_is_too_quiet_only_once_the_whole_window_is_quiet() {
        let hints = shown(&[(4.0, SPEECH), (5.0, ROOM)], 1);
        let pause = &hints[80..];
        // The window still holds speech for 3 s of the pause.
        assert!(
            pause[..59].iter().all(|&h| h == LevelHint::Good),
            "{:?}",
            runs(pause)
        );
        assert_eq!(pause.last(), Some(&LevelHint::TooQuiet));
    }

    #[test]
    fn digital_silence_says_no_sound() {
        let hints = shown(&[(3.0, MUTED)], 1);
        assert_eq!(
            hints.last(),
            Some(&LevelHint::NoSound),
            "{:?}",
            runs(&hints)
        );
        // A quiet room is not digital silence.
        let hints = shown(&[(3.0, ROOM)], 1);
        assert_eq!(
            hints.last(),
            Some(&LevelHint::TooQuiet),
            "{:?}",
            runs(&hints)
        );
    }

    #[test]
    fn every_hint_is_held_at_least_two_seconds() {
        // Levels changing every 0.3–0.9 s, across every kind of block.
        let pattern = [
            (0.3, CLIPPING_SPEECH),
            (0.9, MUTED),
            (0.4, QUIET_SPEECH),
            (0.6, SPEECH),
            (0.7, ROOM),
            (0.5, MUTED),
            (0.3, SPEECH),
        ];
        let hints = shown(&pattern, 12);
        let runs = runs(&hints);
        assert!(runs.len() > 2, "the sequence exercises changes: {runs:?}");
        let hold = (HINT_HOLD.as_secs_f64() * 20.0) as usize;
        for (i, &(hint, n)) in runs.iter().enumerate() {
            // The first hint is shown from the start, before the first block; the last one is
            // cut off by the end of the sequence.
            let shown_for = if i == 0 { n + 1 } else { n };
            let last = i + 1 == runs.len();
            assert!(
                last || shown_for >= hold,
                "{hint:?} shown for only {n} blocks: {runs:?}"
            );
        }
    }

    #[test]
    fn the_meter_reports_the_hint_of_what_it_heard() {
        let mut m = Meter::new(16_000, 1);
        m.push(&sine(16_000, 3.0, 0.004, 1));
        assert_eq!(m.reading().hint, LevelHint::TooQuiet);
        let mut m = Meter::new(16_000, 1);
        m.push(&sine(16_000, 3.0, 0.3, 1));
        assert_eq!(m.reading().hint, LevelHint::Good);
        m.push(&sine(16_000, 0.1, 1.0, 1));
        m.push(&sine(16_000, 2.0, 0.3, 1));
        assert_eq!(m.reading().hint, LevelHint::TooLoud);
    }
}
