//! The level meter: RMS and peak in dBFS, peak hold, a latched clip light, digital-silence
//! detection and a short level history for drawing a waveform.
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
}

impl MeterReading {
    /// A reading with nothing measured yet.
    pub const SILENT: MeterReading = MeterReading {
        rms_dbfs: DB_FLOOR,
        peak_dbfs: DB_FLOOR,
        peak_hold_dbfs: DB_FLOOR,
        clipped: false,
        silent_for: Duration::ZERO,
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
    history_frames: u64,
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
            history_frames: 0,
        }
    }

    /// Feeds interleaved samples (any trailing partial frame is ignored).
    pub fn push(&mut self, interleaved: &[f32]) {
        for frame in interleaved.chunks_exact(self.channels) {
            let mut frame_peak = 0f32;
            for &s in frame {
                let a = s.abs();
                frame_peak = frame_peak.max(a);
                self.sum_sq += f64::from(s) * f64::from(s);
            }
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
                if self.history.len() == HISTORY_LEN {
                    self.history.pop_front();
                }
                self.history.push_back(self.history_peak.min(1.0));
                self.history_peak = 0.0;
                self.history_frames = 0;
            }
        }
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

    /// The current reading.
    pub fn reading(&self) -> MeterReading {
        MeterReading {
            rms_dbfs: to_dbfs(self.last_rms),
            peak_dbfs: to_dbfs(self.last_peak),
            peak_hold_dbfs: to_dbfs(self.hold),
            clipped: self.clipped,
            silent_for: Duration::from_secs_f64(self.silent_frames as f64 / f64::from(self.rate)),
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
}
