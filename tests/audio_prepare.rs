//! Preparing files for upload: what is sent as is, what is converted, and long takes encoded
//! under 25 MB in a format the simulator's probe (`audio::probe`) reads.

mod common;

use std::time::Duration;

use speech_scorer::api::limits::MAX_FILE_BYTES_STRICT as UPLOAD_TARGET_BYTES;
use speech_scorer::audio::prepare::for_upload;
use speech_scorer::audio::{AudioFormat, convert, probe};

#[test]
fn an_accepted_file_that_fits_is_sent_unchanged() {
    let (dir, wav) = common::speech_fixture(200.0);
    let p = for_upload(&wav, dir.path()).expect("prepare");
    assert!(!p.converted);
    assert_eq!(p.path, wav);
    assert_eq!(p.format, AudioFormat::Wav);
    assert!((p.duration.as_secs_f64() - 200.0).abs() < 0.01);
}

#[test]
fn a_30_minute_take_is_encoded_under_25_mb_and_keeps_its_duration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let take = dir.path().join("long-take.wav");
    common::write_speechlike_wav(&take, 30.0 * 60.0, 16_000);
    assert!(std::fs::metadata(&take).expect("meta").len() > 50_000_000);
    let p = for_upload(&take, &dir.path().join("work")).expect("prepare");
    eprintln!("30-minute take: {:?} {} bytes", p.format, p.size_bytes);
    assert!(p.converted);
    assert_eq!(p.format, AudioFormat::Ogg);
    assert!(
        p.size_bytes <= UPLOAD_TARGET_BYTES,
        "{} bytes",
        p.size_bytes
    );
    // The simulator judges uploads with this same probe: it must read the full length.
    let info = probe::probe_file(&p.path).expect("probe reads the upload");
    assert_eq!(info.format, AudioFormat::Ogg);
    assert!(
        (info.duration.as_secs_f64() - 1800.0).abs() < 0.5,
        "{:?}",
        info.duration
    );
    assert_eq!(
        info.size_bytes,
        std::fs::metadata(&p.path).expect("meta").len()
    );
}

#[test]
fn a_15_minute_take_goes_lossless_as_flac() {
    let dir = tempfile::tempdir().expect("tempdir");
    let take = dir.path().join("mid-take.wav");
    common::write_speechlike_wav(&take, 15.0 * 60.0, 16_000);
    let p = for_upload(&take, dir.path()).expect("prepare");
    eprintln!("15-minute take: {:?} {} bytes", p.format, p.size_bytes);
    assert_eq!(p.format, AudioFormat::Flac);
    assert!(p.size_bytes <= UPLOAD_TARGET_BYTES);
    assert!(
        (p.duration.as_secs_f64() - 900.0).abs() < 0.1,
        "{:?}",
        p.duration
    );
    // Lossless: decoding the FLAC gives back the original samples.
    let back = dir.path().join("back.wav");
    convert::to_wav_16k_mono(&p.path, &back).expect("decode flac");
    let (original, decoded) = (common::wav_samples(&take), common::wav_samples(&back));
    assert_eq!(decoded, original);
}

#[test]
fn a_48k_stereo_file_converts_to_16k_mono_with_the_same_duration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("stereo.wav");
    let tone = (0..48_000 * 3).flat_map(|i| {
        let s = (0.5
            * (2.0 * std::f64::consts::PI * 300.0 * f64::from(i) / 48_000.0).sin()
            * 8_388_607.0) as i32;
        [s, s]
    });
    common::write_wav_samples(&src, common::pcm_spec(48_000, 2, 24), tone);
    let out = dir.path().join("out.wav");
    let c = convert::to_wav_16k_mono(&src, &out).expect("convert");
    assert_eq!(c.source_rate, 48_000);
    assert_eq!(c.source_channels, 2);
    assert_eq!(c.duration, Duration::from_secs(3));
    let r = hound::WavReader::open(&out).expect("wav");
    assert_eq!(r.spec().channels, 1);
    assert_eq!(r.spec().sample_rate, 16_000);
    assert_eq!(r.spec().bits_per_sample, 16);
    let peak = r
        .into_samples::<i16>()
        .map(|s| i32::from(s.expect("sample")).abs())
        .max()
        .expect("samples");
    assert!((peak - 16_384).abs() < 200, "level kept: {peak}");
}

#[test]
fn the_vorbis_cap_holds_even_for_noise_so_45_minutes_always_fit() {
    use speech_scorer::audio::encode::{VORBIS_MAX_BITRATE, wav_to_vorbis};
    // White noise is the hardest content to compress: if the cap holds here, it holds for speech.
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("noise.wav");
    let mut x: u32 = 12345;
    let noise = std::iter::repeat_with(move || {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        i32::from(((x >> 16) as i16) / 2)
    });
    common::write_wav_samples(
        &wav,
        common::pcm_spec(16_000, 1, 16),
        noise.take(16_000 * 60),
    );
    let ogg = dir.path().join("noise.ogg");
    let bytes = wav_to_vorbis(&wav, &ogg, VORBIS_MAX_BITRATE, None).expect("encode");
    let cap_bytes_per_minute = f64::from(VORBIS_MAX_BITRATE) / 8.0 * 60.0;
    eprintln!("60 s of noise: {bytes} bytes (cap {cap_bytes_per_minute} per minute)");
    assert!(bytes as f64 <= cap_bytes_per_minute * 1.03, "{bytes} bytes");
    let worst_45_min = bytes as f64 * 45.0;
    assert!(worst_45_min < UPLOAD_TARGET_BYTES as f64, "{worst_45_min}");
    let info = probe::probe_file(&ogg).expect("probe");
    assert!((info.duration.as_secs_f64() - 60.0).abs() < 0.05);
}
