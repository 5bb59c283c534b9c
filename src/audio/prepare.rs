//! Turning a take or an imported file into what gets uploaded.
//!
//! The ladder, best quality first:
//! 1. an accepted file (MP3, WAV, M4A, WebM, OGG, FLAC) that fits uploads as it is;
//! 2. otherwise it is decoded to 16 kHz mono 16-bit WAV (lossless for speech recognition);
//!    if that fits (takes up to ~13 minutes) it is sent;
//! 3. else FLAC of that WAV (lossless, ~50–60 % of WAV for speech) when the take is short
//!    enough for FLAC to fit (up to [`FLAC_MAX_DURATION`]), checked after encoding;
//! 4. else Ogg Vorbis capped at [`VORBIS_MAX_BITRATE`](super::encode::VORBIS_MAX_BITRATE)
//!    (a hard cap: 45 minutes ≤ 21.6 MB), which always fits.
//!
//! "Fits" means at most [`UPLOAD_TARGET_BYTES`](crate::validate::UPLOAD_TARGET_BYTES), which
//! passes whichever way the API counts "25 MB".

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::convert::{self, to_wav_16k_mono};
use super::encode::{VORBIS_MAX_BITRATE, wav_to_flac, wav_to_vorbis};
use super::probe::{self, AudioFormat, ProbeError, ProbeInfo};
use super::{AudioError, TARGET_RATE};
use crate::api::limits::MAX_FILE_BYTES_STRICT as UPLOAD_TARGET_BYTES;

/// Longest take for which FLAC is tried before Vorbis: at ~55 % of 1.92 MB/min, 20 minutes
/// is ~21 MB. Longer takes go straight to Vorbis rather than encoding twice.
pub const FLAC_MAX_DURATION: Duration = Duration::from_secs(20 * 60);

/// The file to upload.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PreparedAudio {
    pub path: PathBuf,
    pub format: AudioFormat,
    /// As the API will read it (probed from the file's content).
    pub duration: Duration,
    pub size_bytes: u64,
    /// False when the original file is sent unchanged.
    pub converted: bool,
}

/// Decides what to upload for `path`, converting into `work_dir` when needed.
pub fn for_upload(path: &Path, work_dir: &Path) -> Result<PreparedAudio, AudioError> {
    let probed = match probe::probe_file(path) {
        Ok(info) => Some(info),
        // Not an accepted container: convert it if it is audio we can decode.
        Err(ProbeError::UnsupportedFormat) => None,
        Err(ProbeError::Io(e)) => return Err(AudioError::io("could not read", path, e)),
        Err(source) => {
            return Err(AudioError::Probe {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if let Some(info) = &probed
        && (info.size_bytes <= UPLOAD_TARGET_BYTES || info.duration > super::MAX_DURATION)
    {
        // Fits (or is too long for any encoding to help: validation will say so).
        return Ok(as_is(path, info));
    }
    std::fs::create_dir_all(work_dir)
        .map_err(|e| AudioError::io("could not create the folder", work_dir, e))?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "audio".into());
    let out = |ext: &str| work_dir.join(format!("{stem}.upload.{ext}"));

    // Step 2: a 16 kHz mono 16-bit WAV, reusing the input when it already is one.
    let (wav, wav_is_ours) = if probed.as_ref().is_some_and(is_16k_mono_pcm16(path)) {
        (path.to_path_buf(), false)
    } else {
        let target = out("wav");
        to_wav_16k_mono(path, &target)?;
        (target, true)
    };
    let wav_info = probe_out(&wav)?;
    if wav_info.size_bytes <= UPLOAD_TARGET_BYTES {
        return Ok(done(&wav, wav_info, wav_is_ours || probed.is_none()));
    }
    let cleanup = |p: &Path| {
        if wav_is_ours {
            let _ = std::fs::remove_file(p);
        }
    };
    // Step 3: FLAC when it can fit.
    if wav_info.duration <= FLAC_MAX_DURATION {
        let flac = out("flac");
        let size = wav_to_flac(&wav, &flac)?;
        if size <= UPLOAD_TARGET_BYTES {
            let info = probe_out(&flac)?;
            cleanup(&wav);
            return Ok(done(&flac, info, true));
        }
        let _ = std::fs::remove_file(&flac);
    }
    // Step 4: Vorbis.
    let ogg = out("ogg");
    wav_to_vorbis(&wav, &ogg, VORBIS_MAX_BITRATE)?;
    let info = probe_out(&ogg)?;
    cleanup(&wav);
    Ok(done(&ogg, info, true))
}

fn as_is(path: &Path, info: &ProbeInfo) -> PreparedAudio {
    PreparedAudio {
        path: path.to_path_buf(),
        format: info.format,
        duration: info.duration,
        size_bytes: info.size_bytes,
        converted: false,
    }
}

fn done(path: &Path, info: ProbeInfo, converted: bool) -> PreparedAudio {
    PreparedAudio {
        path: path.to_path_buf(),
        format: info.format,
        duration: info.duration,
        size_bytes: info.size_bytes,
        converted,
    }
}

fn probe_out(path: &Path) -> Result<ProbeInfo, AudioError> {
    probe::probe_file(path).map_err(|source| AudioError::Probe {
        path: path.to_path_buf(),
        source,
    })
}

fn is_16k_mono_pcm16(path: &Path) -> impl Fn(&ProbeInfo) -> bool + '_ {
    move |info| {
        info.format == AudioFormat::Wav
            && info.sample_rate == Some(TARGET_RATE)
            && info.channels == Some(1)
            && hound::WavReader::open(path).is_ok_and(|r| {
                let s = r.spec();
                s.bits_per_sample == 16 && s.sample_format == hound::SampleFormat::Int
            })
    }
}

/// Removes a converted upload file once it is no longer needed (never the original).
pub fn discard(prepared: &PreparedAudio) {
    if prepared.converted {
        let _ = std::fs::remove_file(&prepared.path);
        let _ = std::fs::remove_file(convert::temp_beside(&prepared.path));
    }
}
