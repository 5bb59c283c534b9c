//! Preparing files for upload: what is sent as is, what is converted, and long takes encoded
//! under 25 MB in a format the simulator's probe (`audio::probe`) reads.

mod common;

use std::time::Duration;

use speech_scorer::audio::prepare::for_upload;
use speech_scorer::audio::{AudioFormat, convert, probe};
use speech_scorer::validate::UPLOAD_TARGET_BYTES;

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
    let original: Vec<i16> = hound::WavReader::open(&take)
        .expect("wav")
        .into_samples::<i16>()
        .take(48_000)
        .map(|s| s.expect("sample"))
        .collect();
    let back = dir.path().join("back.wav");
    convert::to_wav_16k_mono(&p.path, &back).expect("decode flac");
    let decoded: Vec<i16> = hound::WavReader::open(&back)
        .expect("wav")
        .into_samples::<i16>()
        .take(48_000)
        .map(|s| s.expect("sample"))
        .collect();
    assert_eq!(decoded, original);
}

#[test]
fn a_48k_stereo_file_converts_to_16k_mono_with_the_same_duration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("stereo.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&src, spec).expect("create");
    for i in 0..48_000 * 3 {
        let s = (0.5
            * (2.0 * std::f64::consts::PI * 300.0 * f64::from(i) / 48_000.0).sin()
            * 8_388_607.0) as i32;
        w.write_sample(s).expect("l");
        w.write_sample(s).expect("r");
    }
    w.finalize().expect("finalize");
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
