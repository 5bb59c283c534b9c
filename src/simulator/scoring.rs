//! Deterministic, audio-derived scores. Not a language assessment: the simulator measures
//! how much of the file is voiced, how long the pauses are and how much loudness varies,
//! and maps those onto the API's 0–5 scale, CEFR bands and percents, so the same file
//! always gets the same scores and different recordings get different ones.

use std::io::Cursor;
use std::path::Path;

use crate::audio::decode::Decoder;
use crate::audio::probe::AudioFormat;

/// Analysis frame length.
const FRAME_SECS: f64 = 0.02;
/// Silences at least this long count as pauses.
const MIN_PAUSE_SECS: f64 = 0.25;

/// What the simulator measured in a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    /// Share of frames that are voiced, 0–1.
    pub speech_ratio: f64,
    /// Number of pauses (silences ≥ 250 ms between voiced stretches).
    pub pauses: usize,
    /// Mean pause length in seconds.
    pub mean_pause_secs: f64,
    /// Share of pauses longer than 1.5 s.
    pub long_pause_share: f64,
    /// Standard deviation of voiced-frame loudness, in dB.
    pub loudness_std_db: f64,
    /// Voiced bursts (syllable-like onsets) per voiced second.
    pub burst_rate: f64,
}

/// Three dimension scores on the 0–5 scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// `scores.vocabulary` (from speaking rhythm and loudness variation).
    pub vocabulary: f64,
    /// `scores.fluency` (from voicing and pauses).
    pub fluency: f64,
    /// `scores.accent` (from loudness variation and voicing).
    pub accent: f64,
}

impl Scores {
    /// Mean of the three, one decimal.
    pub fn overall(&self) -> f64 {
        round1((self.vocabulary + self.fluency + self.accent) / 3.0)
    }
}

/// Why audio could not be analysed.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("could not decode the audio: {0}")]
    Decode(String),
}

/// CEFR band for a 0–5 score (our mapping: the docs do not give one).
pub fn cefr(score: f64) -> &'static str {
    match score {
        s if s < 1.0 => "A1",
        s if s < 2.0 => "A2",
        s if s < 2.75 => "B1",
        s if s < 3.5 => "B2",
        s if s < 4.25 => "C1",
        _ => "C2",
    }
}

/// Percent for a 0–5 score (score × 20).
pub fn percent(score: f64) -> u32 {
    (score * 20.0).round().clamp(0.0, 100.0) as u32
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// 1 at `center`, falling smoothly (Gaussian) with `width`.
fn near(x: f64, center: f64, width: f64) -> f64 {
    (-((x - center) / width).powi(2)).exp()
}

impl Features {
    /// True when there is too little voiced audio to transcribe anything.
    pub fn is_silent(&self) -> bool {
        self.speech_ratio < 0.05
    }

    /// Maps the measurements onto the 0–5 scale (0.5–4.7 in practice): steady voicing
    /// around 70–75 %, short pauses and moderate loudness variation score high.
    pub fn scores(&self) -> Scores {
        let pause_quality = 1.0 / (1.0 + (self.mean_pause_secs / 0.8).powi(2));
        let fluency = 0.5 * near(self.speech_ratio, 0.75, 0.25)
            + 0.3 * pause_quality
            + 0.2 * (1.0 - self.long_pause_share);
        let vocabulary =
            0.6 * near(self.burst_rate, 3.5, 2.0) + 0.4 * near(self.loudness_std_db, 7.0, 5.0);
        let accent =
            0.5 * near(self.loudness_std_db, 6.0, 5.0) + 0.5 * near(self.speech_ratio, 0.7, 0.3);
        let scale = |c: f64| round1(0.5 + 4.2 * c.clamp(0.0, 1.0));
        Scores {
            vocabulary: scale(vocabulary),
            fluency: scale(fluency),
            accent: scale(accent),
        }
    }

    /// Plain-language reasons, like the API's `explainability` texts.
    pub fn explain_fluency(&self) -> String {
        format!(
            "Simulated result. About {:.0}% of the recording is voiced, with {} pauses averaging {:.1} s. \
             Steady speech with short pauses scores higher.",
            self.speech_ratio * 100.0,
            self.pauses,
            self.mean_pause_secs
        )
    }

    /// See [`Features::explain_fluency`].
    pub fn explain_vocab(&self) -> String {
        format!(
            "Simulated result: vocabulary is not assessed by the local simulator. This score comes from \
             the speaking rhythm ({:.1} voiced bursts per second) so that different recordings get different scores.",
            self.burst_rate
        )
    }
}

/// Streams mono samples into 20 ms frame loudness values (dBFS).
struct Framer {
    frame_len: usize,
    acc: f64,
    n: usize,
    db: Vec<f32>,
}

impl Framer {
    fn new(sample_rate: u32) -> Self {
        Self {
            frame_len: ((f64::from(sample_rate) * FRAME_SECS) as usize).max(1),
            acc: 0.0,
            n: 0,
            db: Vec::new(),
        }
    }

    fn push(&mut self, s: f32) {
        self.acc += f64::from(s) * f64::from(s);
        self.n += 1;
        if self.n == self.frame_len {
            let rms = (self.acc / self.n as f64).sqrt();
            self.db.push((20.0 * rms.max(1e-5).log10()) as f32);
            self.acc = 0.0;
            self.n = 0;
        }
    }
}

/// Decodes `bytes` (already identified as `format`) and measures it.
pub fn analyse(bytes: &[u8], format: AudioFormat) -> Result<Features, DecodeError> {
    let db = match format {
        AudioFormat::Wav => wav_frames(bytes)?,
        other => symphonia_frames(bytes, other)?,
    };
    Ok(features_from_frames(&db))
}

fn wav_frames(bytes: &[u8]) -> Result<Vec<f32>, DecodeError> {
    let mut reader = hound::WavReader::new(Cursor::new(bytes))
        .map_err(|e| DecodeError::Decode(e.to_string()))?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let mut framer = Framer::new(spec.sample_rate.max(1));
    let mut mix = 0.0f32;
    let mut idx = 0usize;
    let mut feed = |s: f32| {
        mix += s;
        idx += 1;
        if idx == channels {
            framer.push(mix / channels as f32);
            mix = 0.0;
            idx = 0;
        }
    };
    match spec.sample_format {
        hound::SampleFormat::Float => {
            for s in reader.samples::<f32>() {
                feed(s.map_err(|e| DecodeError::Decode(e.to_string()))?);
            }
        }
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            for s in reader.samples::<i32>() {
                feed(s.map_err(|e| DecodeError::Decode(e.to_string()))? as f32 * scale);
            }
        }
    }
    Ok(framer.db)
}

fn symphonia_frames(bytes: &[u8], format: AudioFormat) -> Result<Vec<f32>, DecodeError> {
    let err = |e: crate::audio::AudioError| DecodeError::Decode(e.to_string());
    let source = Box::new(Cursor::new(bytes.to_vec()));
    let mut decoder =
        Decoder::from_source(source, Some(format.extension()), Path::new("upload")).map_err(err)?;
    let channels = usize::from(decoder.channels.max(1));
    let mut framer = Framer::new(decoder.rate);
    while let Some(chunk) = decoder.next_chunk().map_err(err)? {
        for frame in chunk.chunks(channels) {
            framer.push(frame.iter().sum::<f32>() / channels as f32);
        }
    }
    Ok(framer.db)
}

fn features_from_frames(db: &[f32]) -> Features {
    if db.is_empty() {
        return Features {
            speech_ratio: 0.0,
            pauses: 0,
            mean_pause_secs: 0.0,
            long_pause_share: 0.0,
            loudness_std_db: 0.0,
            burst_rate: 0.0,
        };
    }
    let mut sorted: Vec<f32> = db.to_vec();
    sorted.sort_by(f32::total_cmp);
    let pct = |p: f64| sorted[((sorted.len() - 1) as f64 * p) as usize];
    let floor = pct(0.10);
    let peak = pct(0.95);
    // Voiced: well above the noise floor and not digital near-silence.
    let threshold = (floor + 0.25 * (peak - floor)).max(floor + 6.0).max(-55.0);
    let active: Vec<bool> = db.iter().map(|&d| d > threshold).collect();
    let voiced = active.iter().filter(|&&a| a).count();
    let speech_ratio = voiced as f64 / db.len() as f64;

    let min_pause = (MIN_PAUSE_SECS / FRAME_SECS) as usize;
    let mut pauses = Vec::new();
    let mut bursts = 0usize;
    let mut run = 0usize;
    let mut seen_voice = false;
    for &a in &active {
        if a {
            if !seen_voice || run > 0 {
                bursts += 1;
            }
            if seen_voice && run >= min_pause {
                pauses.push(run as f64 * FRAME_SECS);
            }
            seen_voice = true;
            run = 0;
        } else {
            run += 1;
        }
    }
    let mean_pause_secs = if pauses.is_empty() {
        0.0
    } else {
        pauses.iter().sum::<f64>() / pauses.len() as f64
    };
    let long_pause_share = if pauses.is_empty() {
        0.0
    } else {
        pauses.iter().filter(|&&p| p > 1.5).count() as f64 / pauses.len() as f64
    };
    let voiced_db: Vec<f64> = db
        .iter()
        .zip(&active)
        .filter(|&(_, &a)| a)
        .map(|(&d, _)| f64::from(d))
        .collect();
    let loudness_std_db = if voiced_db.len() < 2 {
        0.0
    } else {
        let mean = voiced_db.iter().sum::<f64>() / voiced_db.len() as f64;
        (voiced_db.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / voiced_db.len() as f64).sqrt()
    };
    let voiced_secs = voiced as f64 * FRAME_SECS;
    let burst_rate = if voiced_secs > 0.0 {
        bursts as f64 / voiced_secs
    } else {
        0.0
    };
    Features {
        speech_ratio,
        pauses: pauses.len(),
        mean_pause_secs,
        long_pause_share,
        loudness_std_db,
        burst_rate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frame loudness of `total_secs` of the signal `f(t)` sampled at `rate`.
    fn frames_of(total_secs: f64, rate: u32, f: impl Fn(f64) -> f64) -> Vec<f32> {
        let mut framer = Framer::new(rate);
        for i in 0..(total_secs * f64::from(rate)) as usize {
            framer.push(f(i as f64 / f64::from(rate)) as f32);
        }
        framer.db
    }

    /// Bursts of a 150 Hz tone (`on` s) separated by silence (`off` s), at 16 kHz.
    fn pattern_db(total_secs: f64, on: f64, off: f64) -> Vec<f32> {
        frames_of(total_secs, 16_000, |t| {
            if t % (on + off) < on {
                0.3 * (2.0 * std::f64::consts::PI * 150.0 * t).sin() * (1.0 + 0.5 * (t * 3.0).sin())
            } else {
                0.0
            }
        })
    }

    #[test]
    fn measures_speech_ratio_and_pauses() {
        let f = features_from_frames(&pattern_db(30.0, 2.0, 1.0));
        assert!((f.speech_ratio - 2.0 / 3.0).abs() < 0.05, "{f:?}");
        assert!((9..=10).contains(&f.pauses), "{f:?}");
        assert!((f.mean_pause_secs - 1.0).abs() < 0.1, "{f:?}");
        assert!(!f.is_silent());
    }

    #[test]
    fn silence_is_silent_and_long_pauses_lower_fluency() {
        assert!(features_from_frames(&vec![-100.0; 500]).is_silent());
        let choppy = features_from_frames(&pattern_db(30.0, 1.0, 3.0)).scores();
        let steady = features_from_frames(&pattern_db(30.0, 3.0, 0.5)).scores();
        assert!(steady.fluency > choppy.fluency, "{steady:?} vs {choppy:?}");
    }

    /// The integration tests' speech-like fixture: 2.2 s phrases with 4 Hz syllables.
    fn speechlike_db(total_secs: f64) -> Vec<f32> {
        use std::f64::consts::PI;
        frames_of(total_secs, 8000, |t| {
            if t % 2.8 >= 2.2 {
                return 0.0;
            }
            let syllable = (0.5 - 0.5 * (2.0 * PI * 4.0 * t).cos()).powf(1.5);
            let voiced: f64 = (1..=5)
                .map(|h| (2.0 * PI * 140.0 * h as f64 * t).sin() / h as f64)
                .sum();
            0.35 * syllable * voiced
        })
    }

    #[test]
    fn ordinary_speech_lands_mid_scale_not_at_the_top() {
        let s = features_from_frames(&speechlike_db(60.0)).scores();
        for v in [s.vocabulary, s.fluency, s.accent] {
            assert!((2.0..=4.5).contains(&v), "{s:?}");
        }
        assert!(matches!(cefr(s.overall()), "B1" | "B2" | "C1"), "{s:?}");
    }

    #[test]
    fn bands_and_percents() {
        assert_eq!(cefr(0.5), "A1");
        assert_eq!(cefr(3.8), "C1");
        assert_eq!(cefr(5.0), "C2");
        assert_eq!(percent(3.8), 76);
        assert_eq!(percent(5.0), 100);
    }
}
