//! Encoding a 16 kHz mono WAV for upload when it is too big as WAV: FLAC (lossless) or
//! Ogg Vorbis (lossy, speech bitrate). Both stream block by block.
//!
//! Why these two: both are formats the API accepts and symphonia (hence the simulator's probe)
//! reads. FLAC keeps every sample but only shrinks speech to ~50–60 % of WAV, so it fits
//! takes up to ~20 minutes; Vorbis with a hard cap of 64 kbit/s (constrained ABR: the encoder
//! never exceeds it) bounds 45 minutes at 21.6 MB, under 25 MB with room for Ogg framing.
//! Speech at 16 kHz actually comes out near 40–47 kbit/s (≈ 14–16 MB for 45 minutes), well
//! above what recognisers need (telephone speech is 8 kHz; we keep 16 kHz).

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::num::{NonZeroU8, NonZeroU32};
use std::path::Path;

use super::AudioError;

/// Samples per encoder block.
const BLOCK: usize = 4096;

/// The Vorbis bitrate cap, bits per second: 45 min × 64 kbit/s = 21.6 MB < 25 MB.
pub const VORBIS_MAX_BITRATE: u32 = 64_000;

fn open_wav(path: &Path) -> Result<hound::WavReader<std::io::BufReader<File>>, AudioError> {
    hound::WavReader::open(path).map_err(|e| AudioError::Decode {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn enc_err(format: &'static str) -> impl Fn(String) -> AudioError {
    move |reason| AudioError::Encode { format, reason }
}

/// Reads i16 samples of a 16-bit WAV block by block into `buf`; returns how many were read.
fn read_block(
    samples: &mut impl Iterator<Item = hound::Result<i16>>,
    buf: &mut Vec<i16>,
    path: &Path,
) -> Result<usize, AudioError> {
    buf.clear();
    for s in samples.take(BLOCK) {
        buf.push(s.map_err(|e| AudioError::Decode {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?);
    }
    Ok(buf.len())
}

/// Encodes a 16-bit mono WAV to FLAC at `out`; returns the output size in bytes.
pub fn wav_to_flac(wav: &Path, out: &Path) -> Result<u64, AudioError> {
    use flacenc::component::BitRepr;
    use flacenc::error::Verify;
    use flacenc::source::{Context, Fill, FrameBuf};

    let err = enc_err("FLAC");
    let reader = open_wav(wav)?;
    let spec = reader.spec();
    if spec.bits_per_sample != 16 || spec.channels != 1 {
        return Err(err("the input must be 16-bit mono".into()));
    }
    let config = flacenc::config::Encoder::default()
        .into_verified()
        .map_err(|(_, e)| err(format!("{e:?}")))?;
    let block = config.block_size;
    let mut stream = flacenc::component::Stream::new(spec.sample_rate as usize, 1, 16)
        .map_err(|e| err(format!("{e:?}")))?;
    stream
        .stream_info_mut()
        .set_block_sizes(block, block)
        .map_err(|e| err(format!("{e:?}")))?;
    let header_bytes = |stream: &flacenc::component::Stream| -> Result<Vec<u8>, AudioError> {
        let mut sink = flacenc::bitsink::ByteSink::new();
        stream.write(&mut sink).map_err(|e| err(format!("{e:?}")))?;
        Ok(sink.as_slice().to_vec())
    };
    let placeholder = header_bytes(&stream)?;
    let file = File::create(out).map_err(|e| AudioError::io("could not create", out, e))?;
    let mut w = BufWriter::new(file);
    w.write_all(&placeholder)
        .map_err(|e| AudioError::io("could not write", out, e))?;

    let mut fb = FrameBuf::with_size(1, block).map_err(|e| err(format!("{e:?}")))?;
    let mut ctx = Context::new(16, 1);
    let mut samples = reader.into_samples::<i16>();
    let mut raw: Vec<i32> = Vec::with_capacity(block);
    let mut sink = flacenc::bitsink::ByteSink::new();
    loop {
        raw.clear();
        for s in samples.by_ref().take(block) {
            raw.push(i32::from(s.map_err(|e| AudioError::Decode {
                path: wav.to_path_buf(),
                reason: e.to_string(),
            })?));
        }
        if raw.is_empty() {
            break;
        }
        fb.fill_interleaved(&raw)
            .map_err(|e| err(format!("{e:?}")))?;
        ctx.fill_interleaved(&raw)
            .map_err(|e| err(format!("{e:?}")))?;
        let frame_no = ctx.current_frame_number().unwrap_or(0);
        let frame = flacenc::encode_fixed_size_frame(&config, &fb, frame_no, stream.stream_info())
            .map_err(|e| err(format!("{e:?}")))?;
        sink.clear();
        frame.write(&mut sink).map_err(|e| err(format!("{e:?}")))?;
        w.write_all(sink.as_slice())
            .map_err(|e| AudioError::io("could not write", out, e))?;
    }
    // Now the totals are known: rewrite the header in place (same length).
    stream.stream_info_mut().set_md5_digest(&ctx.md5_digest());
    stream
        .stream_info_mut()
        .set_total_samples(ctx.total_samples());
    let header = header_bytes(&stream)?;
    if header.len() != placeholder.len() {
        return Err(err("the FLAC header changed size".into()));
    }
    let mut file = w
        .into_inner()
        .map_err(|e| AudioError::io("could not write", out, e.into_error()))?;
    let io = |e| AudioError::io("could not write", out, e);
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    file.write_all(&header).map_err(io)?;
    file.sync_all().map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    Ok(len)
}

/// How many frames past its true end a Vorbis stream can decode to for a reader that ignores
/// the Ogg granule position (the last packet's overlap): under half a long block, and
/// libvorbis's long block at 16 kHz is at most 1024 frames; this allows twice that.
pub const VORBIS_PADDING_BOUND_FRAMES: u64 = 1024;

/// Encodes a 16-bit mono WAV to Ogg Vorbis at `out`, capped at `max_bitrate` bit/s; returns
/// the output size in bytes.
///
/// With `max_frames`, the file holds at most that many frames by any reading: read with the
/// granule position (gapless, the standard) it is never longer than the input, and even read
/// with its end padding it stays within `max_frames`. When the input comes within
/// [`VORBIS_PADDING_BOUND_FRAMES`] of the limit, that much is left off its end (64 ms at
/// 16 kHz, only for a take already at the limit); the result is checked after encoding.
pub fn wav_to_vorbis(
    wav: &Path,
    out: &Path,
    max_bitrate: u32,
    max_frames: Option<u64>,
) -> Result<u64, AudioError> {
    use vorbis_rs::{VorbisBitrateManagementStrategy, VorbisEncoderBuilder};

    let err = enc_err("Ogg Vorbis");
    let reader = open_wav(wav)?;
    let spec = reader.spec();
    if spec.bits_per_sample != 16 || spec.channels != 1 {
        return Err(err("the input must be 16-bit mono".into()));
    }
    let rate = NonZeroU32::new(spec.sample_rate).ok_or_else(|| err("0 Hz input".into()))?;
    let bitrate = NonZeroU32::new(max_bitrate).ok_or_else(|| err("0 bit/s".into()))?;
    let file = File::create(out).map_err(|e| AudioError::io("could not create", out, e))?;
    // A fixed serial keeps output reproducible; a file holds only this one stream.
    let mut builder =
        VorbisEncoderBuilder::new_with_serial(rate, NonZeroU8::MIN, BufWriter::new(file), 0x5353);
    builder.bitrate_management_strategy(VorbisBitrateManagementStrategy::ConstrainedAbr {
        maximum_bitrate: bitrate,
    });
    let mut encoder = builder.build().map_err(|e| err(e.to_string()))?;
    let input_frames = u64::from(reader.duration());
    let keep = match max_frames {
        Some(max) if input_frames + VORBIS_PADDING_BOUND_FRAMES > max => {
            input_frames.min(max.saturating_sub(VORBIS_PADDING_BOUND_FRAMES))
        }
        _ => input_frames,
    };
    let mut samples = reader.into_samples::<i16>().take(keep as usize);
    let mut buf: Vec<i16> = Vec::with_capacity(BLOCK);
    let mut block: Vec<f32> = Vec::with_capacity(BLOCK);
    while read_block(&mut samples, &mut buf, wav)? > 0 {
        block.clear();
        block.extend(buf.iter().map(|&s| f32::from(s) / 32768.0));
        encoder
            .encode_audio_block([&block[..]])
            .map_err(|e| err(e.to_string()))?;
    }
    let w = encoder.finish().map_err(|e| err(e.to_string()))?;
    let file = w
        .into_inner()
        .map_err(|e| AudioError::io("could not write", out, e.into_error()))?;
    let io = |e| AudioError::io("could not write", out, e);
    file.sync_all().map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if let Some(max) = max_frames {
        let padded = padded_frames(out)?;
        if padded > max {
            return Err(err(format!(
                "the encoded file reads as {padded} frames with its end padding, over the {max} allowed"
            )));
        }
    }
    Ok(size)
}

/// Frames of `path` for a reader that ignores the codec's delay and end padding.
pub fn padded_frames(path: &Path) -> Result<u64, AudioError> {
    let bad = |reason: String| AudioError::Decode {
        path: path.to_path_buf(),
        reason,
    };
    let file = File::open(path).map_err(|e| AudioError::io("could not open", path, e))?;
    let opened = super::decode::open_track_reading(Box::new(file), None, false)
        .map_err(|e| bad(e.to_string()))?;
    let rate = opened.params.sample_rate.unwrap_or(0);
    let frames = opened
        .params
        .n_frames
        .ok_or_else(|| bad("the track does not say its length".into()))?;
    Ok(super::decode::ts_to_frames(
        frames,
        opened.params.time_base,
        rate,
    ))
}
