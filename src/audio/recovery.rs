//! Takes interrupted by a crash: finding them and repairing them.
//!
//! While recording, a marker file `NAME.wav.recording` sits beside the WAV (which program
//! wrote it, the WAV's own file name, from which device, which process). A clean stop removes
//! it. A marker whose process is gone means the take was interrupted; its WAV is valid up to
//! the last checkpoint (≤ 1 s old) and [`repair`] recovers the rest by fixing the header
//! sizes from the file length.
//!
//! Only takes this app wrote are touched: the marker must be ours and name the WAV beside it,
//! neither may be a symlink (never followed), the WAV must have the header our writer writes,
//! and only its `data` chunk is repaired (a file with another chunk after the audio was
//! finished and changed by some other program, and is left alone).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use super::decode::frames_duration;
use super::probe::AudioFormat;
use super::wav::{self, HEADER_LEN, LayoutError, RepairError};
use super::{AudioError, Take};

const MARKER_EXT: &str = "recording";

/// Who writes markers: a marker naming another program is not ours.
const MARKER_APP: &str = "speech-scorer";

/// Markers are a few hundred bytes; a larger file at that name is not one of ours.
const MARKER_CAP: u64 = 4096;

/// WAVs being recorded by this process right now (never offered for repair).
static ACTIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Marker {
    /// Always [`MARKER_APP`].
    app: String,
    /// The WAV's file name when it was written: a marker left beside a renamed or replaced
    /// file does not vouch for it.
    file: String,
    pid: u32,
    device: String,
    started: String,
}

fn marker_path(wav: &Path) -> PathBuf {
    let mut name = wav.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(MARKER_EXT);
    wav.with_file_name(name)
}

fn file_name(wav: &Path) -> String {
    wav.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Records that `wav` is being written (called by the recorder). Best effort: a missing
/// marker only means a crash would not be offered back automatically.
pub(crate) fn mark_recording(wav: &Path, device: &str) {
    if let Ok(mut a) = ACTIVE.lock() {
        a.push(wav.to_path_buf());
    }
    let marker = Marker {
        app: MARKER_APP.into(),
        file: file_name(wav),
        pid: std::process::id(),
        device: device.to_string(),
        started: chrono::Utc::now().to_rfc3339(),
    };
    let written = serde_json::to_vec(&marker)
        .map_err(std::io::Error::other)
        .and_then(|json| write_marker(&marker_path(wav), &json));
    if let Err(e) = written {
        tracing::warn!("no crash-recovery marker for {}: {e}", wav.display());
    }
}

fn write_marker(path: &Path, json: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(true).write(true);
    let mut f = wav::no_follow(&mut options).open(path)?;
    f.write_all(json)
}

/// Records that this process stopped writing `wav` without finishing it (a write failed):
/// the marker stays so the take is offered back for repair.
pub(crate) fn release(wav: &Path) {
    if let Ok(mut a) = ACTIVE.lock() {
        a.retain(|p| p != wav);
    }
}

/// Records that `wav` was finished cleanly.
pub(crate) fn unmark_recording(wav: &Path) {
    release(wav);
    remove_marker(wav);
}

fn remove_marker(wav: &Path) {
    if let Err(e) = std::fs::remove_file(marker_path(wav))
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("could not remove the marker of {}: {e}", wav.display());
    }
}

/// Why a file is not a take this app recorded.
#[derive(Debug, thiserror::Error)]
enum NotOurs {
    #[error("it is a symbolic link (never followed)")]
    Symlink,
    #[error("it is not a regular file")]
    NotAFile,
    #[error("it cannot be read: {0}")]
    Unreadable(std::io::Error),
    #[error("it has no recording marker of this app ({0})")]
    NoMarker(std::io::Error),
    #[error("its marker is not one this app writes")]
    ForeignMarker,
    #[error("its marker is for \"{0}\", not this file")]
    OtherFile(String),
}

/// Our marker for `wav`, or why there is none: read without following a symlink, capped,
/// written by this app, naming this very file.
fn our_marker(wav: &Path) -> Result<Marker, NotOurs> {
    let mut f = wav::open_regular(&marker_path(wav), false).map_err(NotOurs::NoMarker)?;
    let mut bytes = Vec::new();
    f.by_ref()
        .take(MARKER_CAP + 1)
        .read_to_end(&mut bytes)
        .map_err(NotOurs::NoMarker)?;
    if bytes.len() as u64 > MARKER_CAP {
        return Err(NotOurs::ForeignMarker);
    }
    let marker: Marker = serde_json::from_slice(&bytes).map_err(|_| NotOurs::ForeignMarker)?;
    if marker.app != MARKER_APP {
        return Err(NotOurs::ForeignMarker);
    }
    if marker.file != file_name(wav) {
        return Err(NotOurs::OtherFile(marker.file));
    }
    Ok(marker)
}

/// Our marker, and `wav` a regular file (not a symlink).
fn ours(wav: &Path) -> Result<Marker, NotOurs> {
    let meta = std::fs::symlink_metadata(wav).map_err(NotOurs::Unreadable)?;
    if meta.file_type().is_symlink() {
        return Err(NotOurs::Symlink);
    }
    if !meta.is_file() {
        return Err(NotOurs::NotAFile);
    }
    our_marker(wav)
}

/// True when `pid` is a live process running this same program (so still recording).
fn recorder_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return false; // ours: the ACTIVE list decides
    }
    let Ok(pid_t) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 only checks whether the process exists.
    let exists = unsafe { libc::kill(pid_t, 0) } == 0;
    if !exists {
        return false;
    }
    // A reused pid belongs to another program: compare executables when we can.
    match (
        std::fs::read_link(format!("/proc/{pid}/exe")),
        std::env::current_exe(),
    ) {
        (Ok(theirs), Ok(ours)) => theirs == ours,
        _ => true,
    }
}

/// WAVs in `dir` this app was recording when it stopped without finishing them (crash, kill,
/// power loss), oldest name first. Takes being recorded right now (here or by another running
/// instance), symlinks and files whose marker is not ours are not listed.
pub fn find_interrupted(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let active = ACTIVE.lock().map(|a| a.clone()).unwrap_or_default();
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == MARKER_EXT))
        .filter_map(|marker| {
            let wav = marker.with_extension("");
            if active.contains(&wav) {
                return None;
            }
            match ours(&wav) {
                Ok(m) if !recorder_alive(m.pid) => Some(wav),
                _ => None,
            }
        })
        .collect();
    found.sort();
    found
}

fn not_repairable(path: &Path, reason: impl Into<String>) -> AudioError {
    AudioError::NotRepairable {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Repairs an interrupted take in place (header sizes from the file length, a torn last
/// sample cut off), removes its marker and returns it as a [`Take`]. Refuses anything this
/// app did not record (see the module docs): such a file is left exactly as it was.
pub fn repair(path: &Path) -> Result<Take, AudioError> {
    let marker = ours(path).map_err(|e| not_repairable(path, e.to_string()))?;
    let mut file =
        wav::open_regular(path, true).map_err(|e| AudioError::io("could not open", path, e))?;
    let layout = wav::read_layout(&mut file).map_err(|e| match e {
        LayoutError::Io(source) => AudioError::io("could not repair", path, source),
        other => not_repairable(path, other.to_string()),
    })?;
    if layout.data_offset != HEADER_LEN || layout.block_align != 2 * layout.channels {
        return Err(not_repairable(
            path,
            "its header is not the one this app writes",
        ));
    }
    let report = wav::repair_file(&mut file).map_err(|e| match e {
        RepairError::Layout(LayoutError::Io(source)) => {
            AudioError::io("could not repair", path, source)
        }
        other => not_repairable(path, other.to_string()),
    })?;
    remove_marker(path);
    let frames = report.data_bytes / u64::from(layout.block_align);
    Ok(Take {
        path: path.to_path_buf(),
        duration: frames_duration(frames, layout.sample_rate),
        format: AudioFormat::Wav,
        size_bytes: layout.data_offset + report.data_bytes,
        device: marker.device,
        overflows: 0,
    })
}

/// Discards an interrupted take the person does not want back: deletes the WAV and marker.
/// Refuses a file this app did not record.
pub fn discard(path: &Path) -> Result<(), AudioError> {
    ours(path).map_err(|e| not_repairable(path, e.to_string()))?;
    std::fs::remove_file(path).map_err(|e| AudioError::io("could not delete", path, e))?;
    remove_marker(path);
    Ok(())
}

/// Duration a WAV would have after repair, without changing it (for "recover 12:31?" prompts).
pub fn recoverable_duration(path: &Path) -> Option<Duration> {
    let mut f = wav::open_regular(path, false).ok()?;
    let layout = wav::read_layout(&mut f).ok()?;
    let len = f.metadata().ok()?.len();
    let frames = len.saturating_sub(layout.data_offset) / u64::from(layout.block_align);
    Some(frames_duration(frames, layout.sample_rate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::wav::CheckpointedWav;

    /// Our marker beside `wav`, naming `file`, from a process that is gone.
    fn dead_marker(wav: &Path, file: &str) {
        let marker = Marker {
            app: MARKER_APP.into(),
            file: file.into(),
            pid: u32::MAX - 1, // no such process
            device: "Test mic".into(),
            started: "2026-01-01T00:00:00Z".into(),
        };
        std::fs::write(marker_path(wav), serde_json::to_vec(&marker).expect("json"))
            .expect("marker");
    }

    /// A finished 16 kHz mono WAV of `frames` frames (our header, data consistent).
    fn finished_wav(path: &Path, frames: usize) -> Vec<u8> {
        let mut bytes = wav::header(16_000, 1, frames as u64 * 2).to_vec();
        bytes.extend((0..frames).flat_map(|i| ((i % 500) as i16).to_le_bytes()));
        std::fs::write(path, &bytes).expect("write");
        bytes
    }

    #[test]
    fn a_symlinked_take_is_neither_offered_nor_repaired_nor_its_target_touched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let elsewhere = tempfile::tempdir().expect("tempdir");
        let target = elsewhere.path().join("someone-elses.wav");
        // Looks like an interrupted take: the header says empty, the file holds audio.
        let mut bytes = wav::header(16_000, 1, 0).to_vec();
        bytes.extend(std::iter::repeat_n(0x11u8, 32_000));
        std::fs::write(&target, &bytes).expect("write");
        let link = dir.path().join("take.wav");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        dead_marker(&link, "take.wav");
        assert!(find_interrupted(dir.path()).is_empty());
        let e = repair(&link).expect_err("refused");
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(discard(&link).is_err(), "not deleted either");
        assert_eq!(
            std::fs::read(&target).expect("read"),
            bytes,
            "target untouched"
        );
        assert!(
            wav::repair_in_place(&link).is_err(),
            "the low-level repair never follows a link either"
        );
        assert_eq!(std::fs::read(&target).expect("read"), bytes);
    }

    #[test]
    fn a_symlinked_marker_vouches_for_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wav = dir.path().join("take.wav");
        let bytes = finished_wav(&wav, 1_000);
        let real = dir.path().join("elsewhere.json");
        dead_marker(&real, "take.wav");
        std::os::unix::fs::symlink(marker_path(&real), marker_path(&wav)).expect("symlink");
        assert!(find_interrupted(dir.path()).is_empty());
        assert!(repair(&wav).is_err());
        assert_eq!(std::fs::read(&wav).expect("read"), bytes);
    }

    #[test]
    fn a_list_chunk_after_the_data_is_not_turned_into_audio() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wav = dir.path().join("take.wav");
        let mut bytes = finished_wav(&wav, 16_000);
        // Another program added a LIST/INFO chunk after the audio (RIFF size to match).
        let list = b"LIST\x1a\0\0\0INFOISFT\x0e\0\0\0Lavf60.16.100\0";
        bytes.extend_from_slice(list);
        let riff = (bytes.len() - 8) as u32;
        bytes[4..8].copy_from_slice(&riff.to_le_bytes());
        std::fs::write(&wav, &bytes).expect("write");
        dead_marker(&wav, "take.wav");
        let e = repair(&wav).expect_err("refused");
        assert!(
            e.to_string().contains("\"LIST\" chunk follows the audio"),
            "{e}"
        );
        assert_eq!(std::fs::read(&wav).expect("read"), bytes, "file unchanged");
        let r = hound::WavReader::open(&wav).expect("still valid");
        assert_eq!(r.duration(), 16_000);
    }

    #[test]
    fn a_foreign_wav_is_not_ours_without_our_marker_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wav = dir.path().join("interview.wav");
        let mut bytes = wav::header(16_000, 1, 0).to_vec();
        bytes.extend(std::iter::repeat_n(0x22u8, 8_000));
        std::fs::write(&wav, &bytes).expect("write");
        // No marker at all.
        assert!(repair(&wav).is_err());
        // A marker of ours, but for another file (this one was put in its place).
        dead_marker(&wav, "take-3.wav");
        assert!(find_interrupted(dir.path()).is_empty());
        let e = repair(&wav).expect_err("refused");
        assert!(e.to_string().contains("take-3.wav"), "{e}");
        // A marker in an older or foreign shape (no program, no file name).
        std::fs::write(
            marker_path(&wav),
            br#"{"pid":4294967294,"device":"x","started":"2026-01-01T00:00:00Z"}"#,
        )
        .expect("marker");
        assert!(find_interrupted(dir.path()).is_empty());
        assert!(repair(&wav).is_err());
        // A big file where the marker should be.
        std::fs::write(marker_path(&wav), vec![b' '; 10_000]).expect("marker");
        assert!(repair(&wav).is_err());
        assert_eq!(std::fs::read(&wav).expect("read"), bytes, "never changed");
        // A WAV whose header is not the one we write (a LIST chunk before the data).
        let odd = dir.path().join("odd.wav");
        let mut h = b"RIFF\0\0\0\0WAVE".to_vec();
        h.extend_from_slice(&wav::header(16_000, 1, 0)[12..36]);
        h.extend_from_slice(b"LIST\x04\0\0\0INFO");
        h.extend_from_slice(b"data\0\0\0\0");
        h.extend(std::iter::repeat_n(0x33u8, 4_000));
        std::fs::write(&odd, &h).expect("write");
        dead_marker(&odd, "odd.wav");
        let e = repair(&odd).expect_err("refused");
        assert!(e.to_string().contains("not the one this app writes"), "{e}");
        assert_eq!(std::fs::read(&odd).expect("read"), h);
    }

    #[test]
    fn a_dead_recorders_take_is_found_repaired_and_unlisted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wav = dir.path().join("take.wav");
        let mut w = CheckpointedWav::create(&wav, 16_000, 1).expect("create");
        w.write_samples(&vec![100i16; 16_000 * 2]).expect("write");
        w.checkpoint(false).expect("checkpoint");
        w.write_samples(&vec![100i16; 8_000]).expect("write");
        w.checkpoint(false).expect("checkpoint");
        // Simulate a crash after the last checkpoint: header claims 2 s, file holds 2.5 s + a torn byte.
        {
            use std::io::{Seek, SeekFrom, Write};
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(&wav)
                .expect("open");
            f.seek(SeekFrom::Start(40)).expect("seek");
            f.write_all(&(64_000u32).to_le_bytes()).expect("write");
            f.seek(SeekFrom::End(0)).expect("seek");
            f.write_all(&[1]).expect("write");
        }
        std::mem::forget(w);
        dead_marker(&wav, "take.wav");
        assert_eq!(find_interrupted(dir.path()), vec![wav.clone()]);
        let d = recoverable_duration(&wav).expect("duration");
        assert!((d.as_secs_f64() - 2.5).abs() < 1e-3);
        let take = repair(&wav).expect("repair");
        assert!((take.duration.as_secs_f64() - 2.5).abs() < 1e-3, "{take:?}");
        assert_eq!(take.device, "Test mic");
        assert!(find_interrupted(dir.path()).is_empty());
        let r = hound::WavReader::open(&wav).expect("valid");
        assert_eq!(r.duration(), 40_000);
    }

    #[test]
    fn takes_being_recorded_here_are_not_offered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wav = dir.path().join("live.wav");
        CheckpointedWav::create(&wav, 16_000, 1).expect("create");
        mark_recording(&wav, "mic");
        assert!(find_interrupted(dir.path()).is_empty());
        // The same process, no longer recording it (e.g. the writer failed): offered.
        if let Ok(mut a) = ACTIVE.lock() {
            a.retain(|p| p != &wav);
        }
        assert_eq!(find_interrupted(dir.path()), vec![wav.clone()]);
        unmark_recording(&wav);
        assert!(find_interrupted(dir.path()).is_empty());
    }

    #[test]
    fn repair_refuses_what_is_not_a_wav() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("notes.wav");
        std::fs::write(&p, b"just text").expect("write");
        assert!(matches!(repair(&p), Err(AudioError::NotRepairable { .. })));
    }
}
