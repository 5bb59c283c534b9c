//! Takes interrupted by a crash: finding them and repairing them.
//!
//! While recording, a marker file `NAME.wav.recording` sits beside the WAV (who recorded it,
//! from which device, which process). A clean stop removes it. A marker whose process is gone
//! means the take was interrupted; its WAV is valid up to the last checkpoint (≤ 1 s old) and
//! [`repair`] recovers the rest by fixing the header sizes from the file length.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use super::probe::{self, AudioFormat};
use super::wav::{LayoutError, repair_in_place};
use super::{AudioError, Take};

const MARKER_EXT: &str = "recording";

/// WAVs being recorded by this process right now (never offered for repair).
static ACTIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Marker {
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

/// Records that `wav` is being written (called by the recorder). Best effort: a missing
/// marker only means a crash would not be offered back automatically.
pub(crate) fn mark_recording(wav: &Path, device: &str) {
    if let Ok(mut a) = ACTIVE.lock() {
        a.push(wav.to_path_buf());
    }
    let marker = Marker {
        pid: std::process::id(),
        device: device.to_string(),
        started: chrono::Utc::now().to_rfc3339(),
    };
    if let Ok(json) = serde_json::to_vec(&marker) {
        let _ = std::fs::write(marker_path(wav), json);
    }
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
    if let Ok(mut a) = ACTIVE.lock() {
        a.retain(|p| p != wav);
    }
    let _ = std::fs::remove_file(marker_path(wav));
}

fn read_marker(wav: &Path) -> Option<Marker> {
    let bytes = std::fs::read(marker_path(wav)).ok()?;
    serde_json::from_slice(&bytes).ok()
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

/// WAVs in `dir` left behind by a recording that did not finish (crash, kill, power loss),
/// oldest name first. Takes being recorded right now (here or by another running instance)
/// are not listed.
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
            if !wav.is_file() || active.contains(&wav) {
                return None;
            }
            match read_marker(&wav) {
                Some(m) if recorder_alive(m.pid) => None,
                _ => Some(wav),
            }
        })
        .collect();
    found.sort();
    found
}

/// Repairs an interrupted take in place (header sizes from the file length, a torn last
/// sample cut off), removes its marker and returns it as a [`Take`].
pub fn repair(path: &Path) -> Result<Take, AudioError> {
    let device = read_marker(path)
        .map(|m| m.device)
        .unwrap_or_else(|| "unknown".into());
    repair_in_place(path).map_err(|e| match e {
        LayoutError::Io(source) => AudioError::io("could not repair", path, source),
        other => AudioError::NotRepairable {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    })?;
    let info = probe::probe_file(path).map_err(|source| AudioError::Probe {
        path: path.to_path_buf(),
        source,
    })?;
    let _ = std::fs::remove_file(marker_path(path));
    Ok(Take {
        path: path.to_path_buf(),
        duration: info.duration,
        format: AudioFormat::Wav,
        size_bytes: info.size_bytes,
        device,
        overflows: 0,
    })
}

/// Discards an interrupted take the person does not want back: deletes the WAV and marker.
pub fn discard(path: &Path) -> Result<(), AudioError> {
    std::fs::remove_file(path).map_err(|e| AudioError::io("could not delete", path, e))?;
    let _ = std::fs::remove_file(marker_path(path));
    Ok(())
}

/// Duration a WAV would have after repair, without changing it (for "recover 12:31?" prompts).
pub fn recoverable_duration(path: &Path) -> Option<Duration> {
    let mut f = std::fs::File::open(path).ok()?;
    let layout = super::wav::read_layout(&mut f).ok()?;
    let len = f.metadata().ok()?.len();
    let frames = len.saturating_sub(layout.data_offset) / u64::from(layout.block_align);
    Some(Duration::from_secs_f64(
        frames as f64 / f64::from(layout.sample_rate),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::wav::CheckpointedWav;

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
        let marker = Marker {
            pid: u32::MAX - 1, // no such process
            device: "Test mic".into(),
            started: "2026-01-01T00:00:00Z".into(),
        };
        std::fs::write(
            marker_path(&wav),
            serde_json::to_vec(&marker).expect("json"),
        )
        .expect("marker");
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
