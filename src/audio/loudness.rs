//! How loud a whole take is: the share of it that is silent, its peak and RMS. The recorder
//! computes it as it writes ([`Take::loudness`](super::Take::loudness)); [`summarize_file`]
//! does the same for any file we can decode (an imported take), so the UI can warn before a
//! silent take is submitted (and a credit spent on it).

use std::path::Path;
use std::time::Duration;

use super::AudioError;
use super::decode::Decoder;
use super::meter::{CLIP_LEVEL, DB_FLOOR, to_dbfs};

/// The take is cut into blocks this long; each is silent or not.
pub const BLOCK: Duration = Duration::from_millis(50);
/// A block whose RMS is below this (dBFS) counts as silent: a pause, a quiet room, a muted
/// microphone. Speech is around -30 to -15 dBFS RMS.
pub const SILENT_BLOCK_DBFS: f32 = -50.0;
/// A take at least this silent (share of blocks) has no speech worth scoring.
pub const SILENT_TAKE_FRACTION: f32 = 0.95;

/// The loudness of a whole take.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LoudnessSummary {
    /// Length of audio summarised.
    pub duration: Duration,
    /// Share of [`BLOCK`]s (0..1) quieter than [`SILENT_BLOCK_DBFS`].
    pub silent_fraction: f32,
    /// Highest sample magnitude, dBFS (floored at -100).
    pub peak_dbfs: f32,
    /// RMS of the whole take, dBFS.
    pub rms_dbfs: f32,
    /// RMS of the blocks that are not silent (the speech), dBFS; -100 when all are silent.
    pub active_rms_dbfs: f32,
    /// Share of samples (0..1) at full scale (clipped).
    pub clipped_fraction: f32,
}

impl LoudnessSummary {
    /// True when the take is (nearly) all silence: warn before submitting it.
    pub fn is_silent(&self) -> bool {
        self.silent_fraction >= SILENT_TAKE_FRACTION || self.peak_dbfs < SILENT_BLOCK_DBFS
    }
}

/// Builds a [`LoudnessSummary`] from mono samples pushed in any pieces. No allocation.
#[derive(Debug, Clone)]
pub struct LoudnessMeter {
    rate: u32,
    block_frames: u64,
    frames: u64,
    sum_sq: f64,
    peak: f32,
    clipped: u64,
    blocks: u64,
    silent_blocks: u64,
    active_sum_sq: f64,
    active_frames: u64,
    block_sum_sq: f64,
    block_len: u64,
}

impl LoudnessMeter {
    /// A meter for mono audio at `rate` Hz.
    pub fn new(rate: u32) -> LoudnessMeter {
        let rate = rate.max(1);
        LoudnessMeter {
            rate,
            block_frames: ((BLOCK.as_secs_f64() * f64::from(rate)) as u64).max(1),
            frames: 0,
            sum_sq: 0.0,
            peak: 0.0,
            clipped: 0,
            blocks: 0,
            silent_blocks: 0,
            active_sum_sq: 0.0,
            active_frames: 0,
            block_sum_sq: 0.0,
            block_len: 0,
        }
    }

    /// Feeds mono samples.
    pub fn push(&mut self, mono: &[f32]) {
        for &s in mono {
            let a = s.abs();
            self.peak = self.peak.max(a);
            if a >= CLIP_LEVEL {
                self.clipped += 1;
            }
            let sq = f64::from(s) * f64::from(s);
            self.block_sum_sq += sq;
            self.block_len += 1;
            if self.block_len == self.block_frames {
                self.finish_block();
            }
        }
    }

    fn finish_block(&mut self) {
        if self.block_len == 0 {
            return;
        }
        let rms = (self.block_sum_sq / self.block_len as f64).sqrt() as f32;
        self.blocks += 1;
        if to_dbfs(rms) < SILENT_BLOCK_DBFS {
            self.silent_blocks += 1;
        } else {
            self.active_sum_sq += self.block_sum_sq;
            self.active_frames += self.block_len;
        }
        self.sum_sq += self.block_sum_sq;
        self.frames += self.block_len;
        self.block_sum_sq = 0.0;
        self.block_len = 0;
    }

    /// The summary of everything pushed so far (a trailing partial block counts as a block).
    pub fn summary(&self) -> LoudnessSummary {
        let mut m = self.clone();
        m.finish_block();
        let rms = |sum: f64, n: u64| {
            if n == 0 {
                DB_FLOOR
            } else {
                to_dbfs((sum / n as f64).sqrt() as f32)
            }
        };
        LoudnessSummary {
            duration: Duration::from_secs_f64(m.frames as f64 / f64::from(m.rate)),
            silent_fraction: if m.blocks == 0 {
                1.0
            } else {
                m.silent_blocks as f32 / m.blocks as f32
            },
            peak_dbfs: to_dbfs(m.peak),
            rms_dbfs: rms(m.sum_sq, m.frames),
            active_rms_dbfs: rms(m.active_sum_sq, m.active_frames),
            clipped_fraction: if m.frames == 0 {
                0.0
            } else {
                m.clipped as f32 / m.frames as f32
            },
        }
    }
}

/// The loudness of any file we can decode (channels averaged to mono), read in chunks.
/// Takes a second or two for a 45-minute file: call it off the UI thread.
pub fn summarize_file(path: &Path) -> Result<LoudnessSummary, AudioError> {
    let mut decoder = Decoder::open(path)?;
    let channels = usize::from(decoder.channels.max(1));
    let mut meter = LoudnessMeter::new(decoder.rate);
    let mut mono = Vec::new();
    while let Some(chunk) = decoder.next_chunk()? {
        mono.clear();
        mono.extend(
            chunk
                .chunks_exact(channels)
                .map(|f| f.iter().sum::<f32>() / channels as f32),
        );
        meter.push(&mono);
    }
    Ok(meter.summary())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, seconds: f32, amp: f32) -> Vec<f32> {
        (0..(rate as f32 * seconds) as usize)
            .map(|i| amp * (2.0 * std::f32::consts::PI * 220.0 * i as f32 / rate as f32).sin())
            .collect()
    }

    #[test]
    fn digital_silence_is_a_silent_take() {
        let mut m = LoudnessMeter::new(16_000);
        m.push(&vec![0.0; 16_000 * 10]);
        let s = m.summary();
        assert_eq!(s.silent_fraction, 1.0);
        assert_eq!(s.peak_dbfs, DB_FLOOR);
        assert!(s.is_silent());
        assert_eq!(s.duration, Duration::from_secs(10));
    }

    #[test]
    fn speech_with_pauses_is_not_silent_and_the_numbers_add_up() {
        // 6 s of a half-scale tone and 4 s of a quiet room.
        let mut m = LoudnessMeter::new(16_000);
        for _ in 0..2 {
            m.push(&tone(16_000, 3.0, 0.5));
            m.push(&tone(16_000, 2.0, 0.001));
        }
        let s = m.summary();
        assert!((s.silent_fraction - 0.4).abs() < 0.01, "{s:?}");
        assert!((s.peak_dbfs - -6.02).abs() < 0.05, "{s:?}");
        // Active RMS is the tone's (-9 dBFS); the whole take is 10·log10(0.6) dB lower.
        assert!((s.active_rms_dbfs - -9.03).abs() < 0.05, "{s:?}");
        assert!(
            (s.rms_dbfs - (-9.03 + 10.0 * 0.6f32.log10())).abs() < 0.05,
            "{s:?}"
        );
        assert_eq!(s.clipped_fraction, 0.0);
        assert!(!s.is_silent());
    }

    #[test]
    fn a_take_with_a_few_words_in_minutes_of_silence_is_silent() {
        let mut m = LoudnessMeter::new(8_000);
        m.push(&tone(8_000, 2.0, 0.3));
        m.push(&vec![0.0; 8_000 * 60]);
        let s = m.summary();
        assert!(s.silent_fraction > 0.95, "{s:?}");
        assert!(s.is_silent());
        assert!(
            s.peak_dbfs > -11.0,
            "a loud word does not make the take loud"
        );
    }

    #[test]
    fn clipping_is_counted() {
        let mut m = LoudnessMeter::new(8_000);
        m.push(&[1.0, -1.0, 0.5, 0.2]);
        let s = m.summary();
        assert_eq!(s.clipped_fraction, 0.5);
        assert_eq!(s.peak_dbfs, 0.0);
    }

    #[test]
    fn a_file_is_summarised_like_its_samples() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&path, spec).expect("create");
        let loud = tone(16_000, 1.0, 0.25);
        for &s in &loud {
            let v = (s * 32768.0) as i16;
            w.write_sample(v).expect("l");
            w.write_sample(v).expect("r");
        }
        for _ in 0..16_000 * 3 {
            w.write_sample(0i16).expect("l");
            w.write_sample(0i16).expect("r");
        }
        w.finalize().expect("finalize");
        let s = summarize_file(&path).expect("summary");
        assert_eq!(s.duration, Duration::from_secs(4));
        assert!((s.silent_fraction - 0.75).abs() < 0.01, "{s:?}");
        assert!((s.peak_dbfs - -12.04).abs() < 0.05, "{s:?}");
        assert!(!s.is_silent());
        assert!(summarize_file(&dir.path().join("missing.wav")).is_err());
    }
}
