//! `convert`: any readable audio file to 16 kHz mono 16-bit WAV, streaming (memory stays
//! flat whatever the length: decode a packet, downmix, resample, write).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::decode::Decoder;
use super::probe::{self, ProbeError};
use super::resample::MonoResampler;
use super::sample::f32_to_i16;
use super::wav::CheckpointedWav;
use super::{AudioError, TARGET_RATE};

/// What a conversion produced.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Converted {
    pub path: PathBuf,
    pub duration: Duration,
    pub size_bytes: u64,
    /// The source's rate and channels.
    pub source_rate: u32,
    pub source_channels: u16,
    /// Damaged packets skipped while decoding.
    pub skipped_packets: u64,
    /// What the input's header claimed, when it claimed more than the file held and the
    /// caller asked to convert what is there ([`ConvertOptions::accept_truncated`]).
    pub declared_duration: Option<Duration>,
}

/// How a conversion treats a damaged input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConvertOptions {
    /// A WAV cut short (its header claims more audio than the file holds) is refused by
    /// default: the person should know the file is damaged before using it. With this set,
    /// the audio that is there is converted and [`Converted::declared_duration`] says what
    /// was missing.
    pub accept_truncated: bool,
}

/// Checks that `input` is audio we can decode, with a message that names the problem.
/// Accepted containers must probe cleanly; Matroska (not accepted by the API as is) is let
/// through to the decoder so it can be converted.
pub fn check_readable(input: &Path) -> Result<(), AudioError> {
    let meta = std::fs::metadata(input).map_err(|e| AudioError::io("could not read", input, e))?;
    if meta.is_dir() {
        return Err(AudioError::io(
            "could not read",
            input,
            std::io::Error::new(std::io::ErrorKind::IsADirectory, "it is a folder"),
        ));
    }
    match probe::probe_file(input) {
        Ok(_) => Ok(()),
        Err(ProbeError::UnsupportedFormat) if is_matroska(input) => Ok(()),
        Err(ProbeError::UnsupportedFormat) if meta.len() == 0 => Err(AudioError::Decode {
            path: input.to_path_buf(),
            reason: "the file is empty (0 bytes)".into(),
        }),
        Err(ProbeError::Io(e)) => Err(AudioError::io("could not read", input, e)),
        Err(source) => Err(AudioError::Probe {
            path: input.to_path_buf(),
            source,
        }),
    }
}

fn is_matroska(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == [0x1A, 0x45, 0xDF, 0xA3]
}

/// Converts `input` to a 16 kHz mono 16-bit WAV at `output`. Writes to a temporary file
/// beside `output` and renames it at the end, so a failure never leaves a half file.
/// Refuses a WAV cut short (see [`ConvertOptions`]).
pub fn to_wav_16k_mono(input: &Path, output: &Path) -> Result<Converted, AudioError> {
    to_wav_16k_mono_with(input, output, ConvertOptions::default())
}

/// The WAV's [`Truncation`](super::wav::Truncation), when it is one cut short (reads the
/// header only).
pub fn wav_truncation(input: &Path) -> Option<super::wav::Truncation> {
    let mut file = std::fs::File::open(input).ok()?;
    super::wav::truncation(&mut file).ok().flatten()
}

/// [`to_wav_16k_mono`] with options.
pub fn to_wav_16k_mono_with(
    input: &Path,
    output: &Path,
    options: ConvertOptions,
) -> Result<Converted, AudioError> {
    let truncated = match check_readable(input) {
        Ok(()) => None,
        Err(e) => match wav_truncation(input).filter(|_| options.accept_truncated) {
            Some(cut) => Some(cut),
            None => return Err(e),
        },
    };
    refuse_same_file(input, output)?;
    let mut decoder = Decoder::open(input)?;
    let (rate, channels) = (decoder.rate, decoder.channels);
    let (frames, size_bytes) =
        write_via_temp(output, |tmp| decode_to_16k_wav(&mut decoder, input, tmp))?;
    Ok(Converted {
        path: output.to_path_buf(),
        duration: super::decode::frames_duration(frames, TARGET_RATE),
        size_bytes,
        source_rate: rate,
        source_channels: channels,
        skipped_packets: decoder.skipped_packets,
        declared_duration: truncated
            .map(|cut| super::decode::frames_duration(cut.declared_frames, cut.sample_rate)),
    })
}

/// Refuses to write `output` when it is `input` itself.
pub(crate) fn refuse_same_file(input: &Path, output: &Path) -> Result<(), AudioError> {
    match (input.canonicalize(), output.canonicalize()) {
        (Ok(a), Ok(b)) if a == b => Err(AudioError::io(
            "refusing to overwrite the input",
            output,
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "input and output are the same file",
            ),
        )),
        _ => Ok(()),
    }
}

/// Runs `write` on a temporary file beside `output` and renames it into place when it
/// succeeds, so a failure never leaves a half file (the temporary one is removed).
pub(crate) fn write_via_temp<T>(
    output: &Path,
    write: impl FnOnce(&Path) -> Result<T, AudioError>,
) -> Result<T, AudioError> {
    let tmp = temp_beside(output);
    let remove_tmp = || {
        if let Err(e) = std::fs::remove_file(&tmp)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("could not remove {}: {e}", tmp.display());
        }
    };
    let value = match write(&tmp) {
        Ok(v) => v,
        Err(e) => {
            remove_tmp();
            return Err(e);
        }
    };
    std::fs::rename(&tmp, output).map_err(|e| {
        remove_tmp();
        AudioError::io("could not write", output, e)
    })?;
    Ok(value)
}

/// Writes everything `decoder` yields (downmixed, resampled) as a 16 kHz mono 16-bit WAV at
/// `path`: ⌊decoded frames × 16 000 / rate⌋ frames. Returns (frames, file size).
pub(crate) fn decode_to_16k_wav(
    decoder: &mut Decoder,
    input: &Path,
    path: &Path,
) -> Result<(u64, u64), AudioError> {
    let mut resampler =
        MonoResampler::new(decoder.rate, decoder.channels, TARGET_RATE).map_err(|e| {
            AudioError::Decode {
                path: input.to_path_buf(),
                reason: e.to_string(),
            }
        })?;
    let mut wav = CheckpointedWav::create(path, TARGET_RATE, 1)
        .map_err(|e| AudioError::io("could not create", path, e))?;
    let mut mono = Vec::with_capacity(16_384);
    let mut pcm: Vec<i16> = Vec::with_capacity(16_384);
    let write = |mono: &mut Vec<f32>, pcm: &mut Vec<i16>, wav: &mut CheckpointedWav| {
        pcm.clear();
        pcm.extend(mono.iter().map(|&x| f32_to_i16(x)));
        mono.clear();
        wav.write_samples(pcm)
            .map_err(|e| AudioError::io("could not write", path, e))
    };
    while let Some(chunk) = decoder.next_chunk()? {
        resampler.push(chunk, &mut mono);
        if mono.len() >= 8192 {
            write(&mut mono, &mut pcm, &mut wav)?;
        }
    }
    resampler.finish(&mut mono);
    write(&mut mono, &mut pcm, &mut wav)?;
    let frames = wav.frames();
    let size = wav
        .finish()
        .map_err(|e| AudioError::io("could not write", path, e))?;
    Ok((frames, size))
}

/// `dir/.name.partial-<pid>` beside `path`.
pub(crate) fn temp_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    path.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}
