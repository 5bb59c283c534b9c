//! Trimming a take: a new WAV holding `start..end` of it, the original left untouched.
//!
//! Sample-exact. For an uncompressed WAV (PCM or float, any rate, channels or bit depth) the
//! frames ⌊start × rate⌋ .. ⌊end × rate⌋ are copied byte for byte with the original `fmt `
//! chunk, so nothing is resampled or requantised. Anything else `prepare` can read (FLAC,
//! MP3, Ogg, M4A, WebM, compressed WAV) is decoded over that range and written as 16 kHz mono
//! 16-bit WAV (⌊decoded frames × 16 000 / rate⌋ frames, never more).
//!
//! [`trim_to_max`] is the working action behind "Trim to 45:00": it keeps the first
//! [`MAX_DURATION`] exactly, so the result is within the API's limit, never over it.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::convert::{self, decode_to_16k_wav, refuse_same_file, write_via_temp};
use super::decode::{Decoder, frames_duration, frames_in};
use super::probe::{self, AudioFormat};
use super::wav::{self, WavLayout};
use super::{AudioError, TARGET_RATE};
use crate::api::limits::MAX_DURATION;

/// The largest `fmt ` chunk copied into a trimmed WAV.
const MAX_FMT_LEN: u32 = 1024;

/// What [`trim`] wrote.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TrimmedInfo {
    /// The new WAV.
    pub path: PathBuf,
    /// Where in the original the new take starts and ends (frame-exact; `end` is where the
    /// original ended when the range asked for reached past it).
    pub start: Duration,
    pub end: Duration,
    /// Frames in the new file, at its rate.
    pub frames: u64,
    pub sample_rate: u32,
    pub channels: u16,
    /// `frames / sample_rate`.
    pub duration: Duration,
    pub size_bytes: u64,
    /// True when the original's frames were copied unchanged; false when it was decoded and
    /// written as 16 kHz mono.
    pub copied: bool,
}

/// Writes `start..end` of `input` to a new WAV at `output` (through a temporary file, so a
/// failure leaves nothing). `end` past the end of the recording means "to the end".
pub fn trim(
    input: &Path,
    start: Duration,
    end: Duration,
    output: &Path,
) -> Result<TrimmedInfo, AudioError> {
    let bad = |reason: String| AudioError::BadRange {
        path: input.to_path_buf(),
        reason,
    };
    if start >= end {
        return Err(bad(format!(
            "the trim starts at {:.3} s, not before its end at {:.3} s",
            start.as_secs_f64(),
            end.as_secs_f64()
        )));
    }
    convert::check_readable(input)?;
    refuse_same_file(input, output)?;
    if let Some(layout) = copyable_wav(input)? {
        return copy_frames(input, &layout, start, end, output);
    }
    let mut decoder = Decoder::open_range(input, start, Some(end))?;
    let rate = decoder.rate;
    let start_frame = frames_in(start, rate);
    let (frames, size_bytes) = write_via_temp(output, |tmp| {
        let written = decode_to_16k_wav(&mut decoder, input, tmp)?;
        if written.0 == 0 {
            return Err(bad(format!(
                "the trim starts at {:.3} s, after the recording ends",
                start.as_secs_f64()
            )));
        }
        Ok(written)
    })?;
    let duration = frames_duration(frames, TARGET_RATE);
    Ok(TrimmedInfo {
        path: output.to_path_buf(),
        start: frames_duration(start_frame, rate),
        end: frames_duration(start_frame, rate) + duration,
        frames,
        sample_rate: TARGET_RATE,
        channels: 1,
        duration,
        size_bytes,
        copied: false,
    })
}

/// Keeps the first 45:00 of `input` (exactly [`MAX_DURATION`], or all of it when shorter)
/// in a new WAV at `output`: the fix for `AUDIO_TOO_LONG`.
pub fn trim_to_max(input: &Path, output: &Path) -> Result<TrimmedInfo, AudioError> {
    trim(input, Duration::ZERO, MAX_DURATION, output)
}

/// The layout of `input` when it is a WAV whose frames can be copied as they are.
fn copyable_wav(input: &Path) -> Result<Option<WavLayout>, AudioError> {
    let mut head = [0u8; probe::SNIFF_LEN];
    let mut file = File::open(input).map_err(|e| AudioError::io("could not open", input, e))?;
    let n = file
        .read(&mut head)
        .map_err(|e| AudioError::io("could not read", input, e))?;
    if probe::sniff(&head[..n]) != Some(AudioFormat::Wav) {
        return Ok(None);
    }
    // A `fmt ` chunk is 16 to 40 bytes; a larger one is not copied (nor read into memory).
    Ok(wav::read_layout(&mut file)
        .ok()
        .filter(|l| l.is_uncompressed() && l.fmt_len <= MAX_FMT_LEN))
}

fn copy_frames(
    input: &Path,
    layout: &WavLayout,
    start: Duration,
    end: Duration,
    output: &Path,
) -> Result<TrimmedInfo, AudioError> {
    let read_err = |e| AudioError::io("could not read", input, e);
    let mut src = File::open(input).map_err(read_err)?;
    let len = src.metadata().map_err(read_err)?.len();
    let align = u64::from(layout.block_align);
    // The frames actually there (a header that claims more than the file holds is not
    // trusted past its end).
    let available = len.saturating_sub(layout.data_offset);
    let total = u64::from(layout.declared_data_bytes).min(available) / align;
    let rate = layout.sample_rate;
    let first = frames_in(start, rate);
    let last = frames_in(end, rate).min(total);
    if first >= last {
        return Err(AudioError::BadRange {
            path: input.to_path_buf(),
            reason: format!(
                "the trim starts at {:.3} s, after the recording ends at {:.3} s",
                start.as_secs_f64(),
                frames_duration(total, rate).as_secs_f64()
            ),
        });
    }
    let mut fmt = vec![0u8; layout.fmt_len as usize];
    src.seek(SeekFrom::Start(layout.fmt_offset))
        .and_then(|_| src.read_exact(&mut fmt))
        .map_err(read_err)?;
    let frames = last - first;
    let data_bytes = frames * align;
    src.seek(SeekFrom::Start(layout.data_offset + first * align))
        .map_err(read_err)?;
    let size_bytes = write_via_temp(output, |tmp| {
        write_wav(
            tmp,
            &fmt,
            &mut Read::by_ref(&mut src).take(data_bytes),
            data_bytes,
        )
        .map_err(|e| AudioError::io("could not write", tmp, e))
    })?;
    Ok(TrimmedInfo {
        path: output.to_path_buf(),
        start: frames_duration(first, rate),
        end: frames_duration(last, rate),
        frames,
        sample_rate: rate,
        channels: layout.channels,
        duration: frames_duration(frames, rate),
        size_bytes,
        copied: true,
    })
}

/// A WAV of the `fmt ` chunk body `fmt` and `data_bytes` read from `data`; returns its size.
fn write_wav(
    path: &Path,
    fmt: &[u8],
    data: &mut impl Read,
    data_bytes: u64,
) -> std::io::Result<u64> {
    let fmt_pad = fmt.len() as u64 & 1;
    let data_pad = data_bytes & 1;
    let riff = 4 + (8 + fmt.len() as u64 + fmt_pad) + (8 + data_bytes + data_pad);
    let too_big = || std::io::Error::new(std::io::ErrorKind::InvalidInput, "over 4 GB");
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(true).write(true);
    let mut w = BufWriter::with_capacity(1 << 18, wav::no_follow(&mut options).open(path)?);
    w.write_all(b"RIFF")?;
    w.write_all(&u32::try_from(riff).map_err(|_| too_big())?.to_le_bytes())?;
    w.write_all(b"WAVEfmt ")?;
    w.write_all(
        &u32::try_from(fmt.len())
            .map_err(|_| too_big())?
            .to_le_bytes(),
    )?;
    w.write_all(fmt)?;
    if fmt_pad == 1 {
        w.write_all(&[0])?;
    }
    w.write_all(b"data")?;
    w.write_all(
        &u32::try_from(data_bytes)
            .map_err(|_| too_big())?
            .to_le_bytes(),
    )?;
    let copied = std::io::copy(data, &mut w)?;
    if copied != data_bytes {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the recording ended early",
        ));
    }
    if data_pad == 1 {
        w.write_all(&[0])?;
    }
    let file = w.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(8 + riff)
}
