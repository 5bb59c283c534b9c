//! Turning a take or an imported file into what gets uploaded: the one preparation path the
//! desktop app (`ui`) and the engine's local checks (hence the CLI) share.
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
//! "Fits" means at most [`MAX_FILE_BYTES_STRICT`], which passes whichever way the API counts
//! "25 MB". No step lengthens the audio: each writes ⌊input duration × rate⌋ frames, so a
//! take of exactly 45:00 stays within [`MAX_DURATION`] (see `tests/audio_lengths.rs`).
//! Work files are written only into the folder the caller passes, never beside the input.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::convert::{self, to_wav_16k_mono};
use super::decode::frames_in;
use super::encode::{VORBIS_MAX_BITRATE, wav_to_flac, wav_to_vorbis};
use super::probe::{self, AudioFormat, ProbeError, ProbeInfo};
use super::{AudioError, TARGET_RATE};
use crate::api::limits::{MAX_DURATION, MAX_FILE_BYTES_STRICT};

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
    /// Sample rate and channels of the file, when its container says.
    pub sample_rate: Option<u32>,
    pub channels: Option<u16>,
    /// False when the original file is sent unchanged.
    pub converted: bool,
}

impl PreparedAudio {
    /// What the upload is, for a person: `FLAC 16 kHz mono (18.2 MB)`.
    pub fn description(&self) -> String {
        let mut parts = vec![self.format.label().to_string()];
        if let Some(rate) = self.sample_rate {
            parts.push(if rate % 1000 == 0 {
                format!("{} kHz", rate / 1000)
            } else {
                format!("{:.1} kHz", f64::from(rate) / 1000.0)
            });
        }
        match self.channels {
            Some(1) => parts.push("mono".into()),
            Some(2) => parts.push("stereo".into()),
            Some(n) => parts.push(format!("{n} channels")),
            None => {}
        }
        format!(
            "{} ({:.1} MB)",
            parts.join(" "),
            self.size_bytes as f64 / 1_000_000.0
        )
    }
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
        && (info.size_bytes <= MAX_FILE_BYTES_STRICT || info.duration > MAX_DURATION)
    {
        // Fits (or is too long for any encoding to help: validation will say so).
        return Ok(prepared(path, info.clone(), false));
    }
    std::fs::create_dir_all(work_dir)
        .map_err(|e| AudioError::io("could not create the folder", work_dir, e))?;
    let work = WorkFiles::new(path, work_dir);

    // Step 2: a 16 kHz mono 16-bit WAV, reusing the input when it already is one.
    let (wav, wav_is_ours) = if probed.as_ref().is_some_and(is_16k_mono_pcm16(path)) {
        (path.to_path_buf(), false)
    } else {
        let target = work.path("wav");
        to_wav_16k_mono(path, &target)?;
        (target, true)
    };
    let wav_info = probe_out(&wav)?;
    if wav_info.size_bytes <= MAX_FILE_BYTES_STRICT {
        return Ok(prepared(&wav, wav_info, wav_is_ours || probed.is_none()));
    }
    let result = encode_smaller(&wav, &wav_info, &work);
    if wav_is_ours {
        remove_quietly(&wav);
    }
    result
}

/// True when `path` is audio [`for_upload`] can convert (its first packet decodes), without
/// converting it.
pub fn can_convert(path: &Path) -> bool {
    convert::check_readable(path).is_ok() && super::decode::Decoder::open(path).is_ok()
}

/// Steps 3 and 4: FLAC when it can fit, else Vorbis.
fn encode_smaller(
    wav: &Path,
    wav_info: &ProbeInfo,
    work: &WorkFiles,
) -> Result<PreparedAudio, AudioError> {
    if wav_info.duration <= FLAC_MAX_DURATION {
        let flac = work.path("flac");
        let size = wav_to_flac(wav, &flac)?;
        if size <= MAX_FILE_BYTES_STRICT {
            return Ok(prepared(&flac, probe_out(&flac)?, true));
        }
        remove_quietly(&flac);
    }
    let ogg = work.path("ogg");
    let max_frames = frames_in(MAX_DURATION, TARGET_RATE);
    if let Err(e) = wav_to_vorbis(wav, &ogg, VORBIS_MAX_BITRATE, Some(max_frames)) {
        remove_quietly(&ogg);
        return Err(e);
    }
    Ok(prepared(&ogg, probe_out(&ogg)?, true))
}

/// Names for the files one preparation writes: unique per call, so two preparations of
/// files with the same name (a batch, two windows) never write over each other.
struct WorkFiles {
    dir: PathBuf,
    stem: String,
}

impl WorkFiles {
    fn new(input: &Path, dir: &Path) -> WorkFiles {
        let stem = input
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "audio".into());
        let tag = uuid::Uuid::new_v4().simple().to_string();
        WorkFiles {
            dir: dir.to_path_buf(),
            stem: format!("{stem}.{}", &tag[..8]),
        }
    }

    fn path(&self, ext: &str) -> PathBuf {
        self.dir.join(format!("{}.upload.{ext}", self.stem))
    }
}

fn prepared(path: &Path, info: ProbeInfo, converted: bool) -> PreparedAudio {
    PreparedAudio {
        path: path.to_path_buf(),
        format: info.format,
        duration: info.duration,
        size_bytes: info.size_bytes,
        sample_rate: info.sample_rate,
        channels: info.channels,
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

/// Removes a work file we made and no longer need. A failure only leaves a file in the work
/// folder (never the person's own), so it is logged, not raised.
fn remove_quietly(path: &Path) {
    if let Err(e) = std::fs::remove_file(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("could not remove the work file {}: {e}", path.display());
    }
}

/// How old a file in an upload work folder must be before [`sweep_stale`] removes it: far
/// longer than any upload or batch row takes, so another process's file in use is never hit.
pub const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// Removes the upload files (and conversions' leftovers) in `work_dir` last written before
/// `older_than` ago: what a crash, a kill or a restart left behind (a take is prepared anew
/// when the app starts again). Only names [`for_upload`] writes are touched, never a
/// subfolder or a link's target. Returns how many files went; an unreadable folder is none.
pub fn sweep_stale(work_dir: &Path, older_than: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(work_dir) else {
        return 0;
    };
    let now = std::time::SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours =
            name.contains(".upload.") || (name.starts_with('.') && name.contains(".partial-"));
        let stale = entry
            .metadata()
            .ok()
            .filter(|m| m.file_type().is_file())
            .and_then(|m| m.modified().ok())
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age >= older_than);
        if ours && stale {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) => tracing::warn!("could not remove {}: {e}", entry.path().display()),
            }
        }
    }
    removed
}

/// Removes a converted upload file once it is no longer needed (never the original).
pub fn discard(prepared: &PreparedAudio) {
    if prepared.converted {
        discard_file(&prepared.path);
    }
}

/// Removes an upload file [`for_upload`] converted (and a conversion's leftover beside it),
/// given its path: for a caller that kept only the path. Pass only a converted file (never
/// the original).
pub fn discard_file(path: &Path) {
    remove_quietly(path);
    remove_quietly(&convert::temp_beside(path));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aged(path: &Path, age: Duration) {
        let f = std::fs::File::options()
            .write(true)
            .open(path)
            .expect("open");
        f.set_modified(std::time::SystemTime::now() - age)
            .expect("set mtime");
    }

    #[test]
    fn a_sweep_removes_only_old_upload_files() {
        let dir = tempfile::tempdir().expect("dir");
        let day = Duration::from_secs(24 * 60 * 60);
        let file = |name: &str, age: Duration| {
            let p = dir.path().join(name);
            std::fs::write(&p, b"x").expect("write");
            aged(&p, age);
            p
        };
        let old_upload = file("take 1.a5b3c54f.upload.ogg", 2 * day);
        let old_partial = file(".take 1.a5b3c54f.upload.wav.partial-4242", 2 * day);
        let new_upload = file("take 2.0c1d2e3f.upload.flac", Duration::from_secs(60));
        let old_other = file("interview.wav", 2 * day);
        let sub = dir.path().join("old.upload.dir");
        std::fs::create_dir(&sub).expect("subfolder");

        assert_eq!(sweep_stale(dir.path(), STALE_AFTER), 2);
        assert!(!old_upload.exists() && !old_partial.exists());
        assert!(
            new_upload.exists(),
            "a file another process may be uploading stays"
        );
        assert!(
            old_other.exists(),
            "only names the preparation writes are touched"
        );
        assert!(sub.exists());
        assert_eq!(sweep_stale(&dir.path().join("missing"), STALE_AFTER), 0);
    }
}
