//! Conversion never lengthens audio (issue 11, "No dead ends"): every path a take can go
//! through on its way to the upload writes ⌊input duration × output rate⌋ frames, measured by
//! decoding the output, so a take of exactly 45:00 (the recorder's auto-stop, an imported
//! 45:00.00 WAV) is still within the API's limit after conversion.

mod common;

use std::path::Path;

use speech_scorer::api::limits::MAX_DURATION;
use speech_scorer::audio::decode::{Decoder, frames_in};
use speech_scorer::audio::encode::{VORBIS_MAX_BITRATE, padded_frames, wav_to_flac, wav_to_vorbis};
use speech_scorer::audio::{AudioFormat, convert, prepare, probe};

/// Frames the decoder produces for `path` (at its own rate).
fn decoded_frames(path: &Path) -> (u64, u32) {
    let mut d = Decoder::open(path).expect("decode the output");
    let (rate, channels) = (d.rate, u64::from(d.channels));
    let mut frames = 0u64;
    while let Some(chunk) = d.next_chunk().expect("chunk") {
        frames += chunk.len() as u64 / channels;
    }
    (frames, rate)
}

fn wav_frames(path: &Path) -> u64 {
    u64::from(hound::WavReader::open(path).expect("wav").duration())
}

const LIMIT_FRAMES_16K: u64 = 43_200_000;

#[test]
fn a_45_minute_take_is_not_longer_as_ogg_by_any_reading_nor_as_flac() {
    let dir = tempfile::tempdir().expect("tempdir");
    let take = dir.path().join("take-45min.wav");
    common::write_tone_wav(&take, 16_000, 1, LIMIT_FRAMES_16K);
    let p = prepare::for_upload(&take, &dir.path().join("work")).expect("prepare");
    assert_eq!(p.format, AudioFormat::Ogg, "45 minutes only fit as Vorbis");
    let (frames, rate) = decoded_frames(&p.path);
    let padded = padded_frames(&p.path).expect("padded length");
    eprintln!(
        "45:00 take -> Ogg: probe {:?}, decoded {frames} frames, {padded} with end padding",
        p.duration
    );
    assert_eq!(rate, 16_000);
    assert!(p.duration <= MAX_DURATION, "probe: {:?}", p.duration);
    assert!(frames <= LIMIT_FRAMES_16K, "decoded {frames}");
    assert!(padded <= LIMIT_FRAMES_16K, "with padding {padded}");
    // What is left off is at most the padding margin (64 ms), not the take.
    assert!(frames >= LIMIT_FRAMES_16K - 1024, "decoded {frames}");
    let info = probe::probe_file(&p.path).expect("probe");
    assert_eq!(
        frames_in(info.duration, 16_000),
        frames,
        "probe and decoder agree"
    );

    // FLAC (lossless, chosen for takes up to 20 minutes) keeps every frame and adds none.
    let flac = dir.path().join("take.flac");
    wav_to_flac(&take, &flac).expect("flac");
    assert_eq!(decoded_frames(&flac), (LIMIT_FRAMES_16K, 16_000));
    let info = probe::probe_file(&flac).expect("probe");
    assert_eq!(info.duration, MAX_DURATION);
}

#[test]
fn an_imported_45_minute_wav_converts_to_exactly_45_minutes_at_16k() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("import-44k.wav");
    common::write_tone_wav(&input, 44_100, 1, 44_100 * 2_700);
    let out = dir.path().join("out.wav");
    let c = convert::to_wav_16k_mono(&input, &out).expect("convert");
    assert_eq!(wav_frames(&out), LIMIT_FRAMES_16K);
    assert_eq!(decoded_frames(&out), (LIMIT_FRAMES_16K, 16_000));
    assert_eq!(c.duration, MAX_DURATION);
}

#[test]
fn odd_lengths_round_down_on_every_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    // (rate, channels, frames): lengths that do not land on a whole 16 kHz frame, and one
    // that is already 16 kHz.
    let cases = [
        (44_100u32, 1u16, 44_100u64 * 180 + 2),
        (48_000, 2, 48_000 * 181 + 1),
        (22_050, 1, 22_050 * 180 + 7),
        (8_000, 1, 8_000 * 180 + 3),
        (16_000, 1, 16_000 * 180 + 1_234),
    ];
    for (rate, channels, frames) in cases {
        let name = format!("{rate} Hz x{channels}, {frames} frames");
        let input = dir.path().join("odd.wav");
        common::write_tone_wav(&input, rate, channels, frames);
        let want = frames * 16_000 / u64::from(rate);
        let wav = dir.path().join("odd16.wav");
        convert::to_wav_16k_mono(&input, &wav).expect("convert");
        assert_eq!(wav_frames(&wav), want, "{name}: WAV");
        let flac = dir.path().join("odd.flac");
        wav_to_flac(&wav, &flac).expect("flac");
        assert_eq!(decoded_frames(&flac).0, want, "{name}: FLAC");
        let ogg = dir.path().join("odd.ogg");
        wav_to_vorbis(&wav, &ogg, VORBIS_MAX_BITRATE, None).expect("vorbis");
        let (vorbis, _) = decoded_frames(&ogg);
        let padded = padded_frames(&ogg).expect("padded");
        eprintln!("{name}: want {want}, Vorbis {vorbis} ({padded} with end padding)");
        assert_eq!(vorbis, want, "{name}: Vorbis, read by its granule position");
        assert_eq!(
            frames_in(probe::probe_file(&ogg).expect("probe").duration, 16_000),
            want,
            "{name}: Vorbis probe"
        );
    }
}
