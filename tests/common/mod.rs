//! Fixtures shared by the integration tests: deterministic audio files made on the fly.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Writes a 16-bit mono WAV of `seconds` of speech-like sound: voiced bursts (a 140 Hz
/// fundamental with harmonics, syllable-rate amplitude modulation) separated by pauses.
/// Deterministic, so simulator scores derived from it are stable.
pub fn write_speechlike_wav(path: &Path, seconds: f64, sample_rate: u32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create fixture wav");
    let frames = (seconds * f64::from(sample_rate)) as u64;
    let rate = f64::from(sample_rate);
    for i in 0..frames {
        let t = i as f64 / rate;
        // 2.2 s phrases, 0.6 s pauses.
        let in_phrase = (t % 2.8) < 2.2;
        let syllable = (0.5 - 0.5 * (2.0 * std::f64::consts::PI * 4.0 * t).cos()).powf(1.5);
        let f0 = 140.0 + 15.0 * (2.0 * std::f64::consts::PI * 0.3 * t).sin();
        let voiced: f64 = (1..=5)
            .map(|h| (2.0 * std::f64::consts::PI * f0 * h as f64 * t).sin() / h as f64)
            .sum();
        let v = if in_phrase {
            0.35 * syllable * voiced
        } else {
            0.0
        };
        w.write_sample((v.clamp(-1.0, 1.0) * 32767.0) as i16)
            .expect("write fixture sample");
    }
    w.finalize().expect("finalize fixture wav");
}

/// A temp dir holding a speech-like WAV of the given length; returns (dir guard, path).
pub fn speech_fixture(seconds: f64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(format!("speech-{seconds}s.wav"));
    write_speechlike_wav(&path, seconds, 8000);
    (dir, path)
}

/// Writes a 16-bit PCM WAV of exactly `frames` frames: a 220 Hz tone, 0.7 s on, 0.3 s off
/// (the same on every channel). Fast (one second is built once and repeated), for long files.
pub fn write_tone_wav(path: &Path, rate: u32, channels: u16, frames: u64) {
    use std::io::Write;
    let data_bytes = frames * 2 * u64::from(channels);
    let file = std::fs::File::create(path).expect("create tone wav");
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    w.write_all(&speech_scorer::audio::wav::header(
        rate, channels, data_bytes,
    ))
    .expect("header");
    let second: Vec<u8> = (0..u64::from(rate))
        .flat_map(|i| {
            let t = i as f64 / f64::from(rate);
            let on = if t < 0.7 { 8_000.0 } else { 0.0 };
            let s = ((2.0 * std::f64::consts::PI * 220.0 * t).sin() * on) as i16;
            std::iter::repeat_n(s.to_le_bytes(), usize::from(channels)).flatten()
        })
        .collect();
    let mut left = data_bytes;
    while left > 0 {
        let n = left.min(second.len() as u64) as usize;
        w.write_all(&second[..n]).expect("samples");
        left -= n as u64;
    }
    w.flush().expect("flush tone wav");
}

/// Writes an integer PCM WAV of `spec` from interleaved `samples` (for odd formats: 24-bit,
/// stereo, 48 kHz).
pub fn write_wav_samples(
    path: &Path,
    spec: hound::WavSpec,
    samples: impl IntoIterator<Item = i32>,
) {
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    for s in samples {
        w.write_sample(s).expect("write sample");
    }
    w.finalize().expect("finalize wav");
}

/// A [`hound::WavSpec`] for integer PCM.
pub fn pcm_spec(sample_rate: u32, channels: u16, bits_per_sample: u16) -> hound::WavSpec {
    hound::WavSpec {
        channels,
        sample_rate,
        bits_per_sample,
        sample_format: hound::SampleFormat::Int,
    }
}

/// Every sample of an integer PCM WAV (interleaved).
pub fn wav_samples(path: &Path) -> Vec<i32> {
    hound::WavReader::open(path)
        .expect("open wav")
        .into_samples::<i32>()
        .map(|s| s.expect("read sample"))
        .collect()
}
