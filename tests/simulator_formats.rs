//! Formats other than WAV: FLAC is judged by its own header and decoded for scoring, so a
//! lossless copy of a WAV gets exactly the WAV's scores.

mod simulator_support;

use flacenc::component::BitRepr as _;
use flacenc::error::Verify as _;
use simulator_support::*;
use speech_scorer::simulator::SimConfig;

fn flac(seconds: f64) -> Vec<u8> {
    let rate = 8000usize;
    let samples: Vec<i32> = (0..(seconds * rate as f64) as usize)
        .map(|i| (speechlike(i as f64 / rate as f64).clamp(-1.0, 1.0) * 32767.0) as i16 as i32)
        .collect();
    let config = flacenc::config::Encoder::default()
        .into_verified()
        .expect("config");
    let source = flacenc::source::MemSource::from_samples(&samples, 1, 16, rate);
    let mut stream =
        flacenc::encode_with_fixed_block_size(&config, source, config.block_size).expect("encode");
    // A short last block makes flacenc write min block size < max; symphonia then cannot
    // sync to the first frame. Declare the fixed block size, as the app's encoder does.
    stream
        .stream_info_mut()
        .set_block_sizes(config.block_size, config.block_size)
        .expect("block sizes");
    let mut sink = flacenc::bitsink::ByteSink::new();
    stream.write(&mut sink).expect("write");
    sink.as_slice().to_vec()
}

#[tokio::test]
async fn flac_is_validated_and_scored_like_its_wav() {
    let sim = start(SimConfig::fast()).await;
    let (status, body) =
        json(submit(&sim, Some(sim.api_key()), Some(flac(170.0)), &[]).await).await;
    assert_eq!(status, 400);
    envelope(&body, "AUDIO_TOO_SHORT", true);

    let mut scores = Vec::new();
    for audio in [flac(181.0), speech_wav(181.0)] {
        let (status, body) = json(submit(&sim, Some(sim.api_key()), Some(audio), &[]).await).await;
        assert_eq!(status, 202, "{body}");
        let id = body["id"].as_str().expect("id").to_string();
        let done = poll_to_end(&sim, &id).await;
        assert_eq!(done["status"], "success", "{done}");
        assert_eq!(done["audio"]["durationMs"], 181_000);
        scores.push(done["scores"].clone());
    }
    assert_eq!(
        scores[0], scores[1],
        "lossless FLAC scores exactly like the WAV"
    );
}

/// A silent MPEG-1 Layer III stream: 32 kbps, 32 kHz, mono; each 144-byte frame is a header
/// and all-zero side info / main data, which decodes to 1152 samples of silence. No
/// Xing header, so the duration has to be counted from the frames.
fn silent_mp3(seconds: f64) -> Vec<u8> {
    let frames = (seconds * 32_000.0 / 1152.0).ceil() as usize;
    let mut out = Vec::with_capacity(frames * 144);
    for _ in 0..frames {
        out.extend_from_slice(&[0xFF, 0xFB, 0x18, 0xC0]);
        out.extend_from_slice(&[0u8; 140]);
    }
    out
}

#[tokio::test]
async fn mp3_duration_is_counted_and_its_audio_decoded() {
    let sim = start(SimConfig::fast()).await;
    let (status, body) =
        json(submit(&sim, Some(sim.api_key()), Some(silent_mp3(100.0)), &[]).await).await;
    assert_eq!(status, 400);
    envelope(&body, "AUDIO_TOO_SHORT", true);
    let (status, body) =
        json(submit(&sim, Some(sim.api_key()), Some(silent_mp3(200.0)), &[]).await).await;
    assert_eq!(status, 202, "{body}");
    let id = body["id"].as_str().expect("id").to_string();
    let done = poll_to_end(&sim, &id).await;
    // Decoded fine, and found to hold no speech (not "could not be decoded").
    assert_eq!(done["status"], "failed");
    assert_eq!(done["error"]["code"], "TRANSCRIPTION_FAILED");
    assert!(
        done["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("No speech")),
        "{done}"
    );
}

#[test]
fn the_handle_can_move_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<speech_scorer::simulator::SimHandle>();
    send_sync::<speech_scorer::simulator::SimConfig>();
}
