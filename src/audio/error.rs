//! The one error type of the audio module.

use std::path::PathBuf;

use super::probe::ProbeError;

/// Everything that can go wrong while listing devices, recording, converting or playing.
///
/// Messages name the problem in words a person can act on; the GUI shows them as they are.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The system has no microphone at all (or the audio system is not running).
    #[error("no microphone was found: {0}")]
    NoInputDevice(String),
    /// The named device is not (or no longer) in the device list.
    #[error("the microphone \"{0}\" was not found; pick another one from the list")]
    DeviceNotFound(String),
    /// The audio system refused to open or run the device.
    #[error("the microphone \"{device}\" could not be used: {reason}")]
    Device { device: String, reason: String },
    /// No output device for playback.
    #[error("no speaker or headphones were found to play the recording")]
    NoOutputDevice,
    /// Reading or writing a file failed.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not audio we can read.
    #[error("{path}: {source}")]
    Probe {
        path: PathBuf,
        #[source]
        source: ProbeError,
    },
    /// The file looked like audio but its content could not be decoded.
    #[error("{path}: the audio could not be decoded: {reason}")]
    Decode { path: PathBuf, reason: String },
    /// Encoding (FLAC, Ogg Vorbis) failed.
    #[error("encoding {format} failed: {reason}")]
    Encode {
        format: &'static str,
        reason: String,
    },
    /// The file is not a recording we can repair.
    #[error("{path} cannot be repaired: {reason}")]
    NotRepairable { path: PathBuf, reason: String },
    /// A time range that does not fit the recording (trimming, a segment to play).
    #[error("{path}: {reason}")]
    BadRange { path: PathBuf, reason: String },
    /// A worker thread ended unexpectedly (a bug, not a user problem).
    #[error("the {0} thread stopped unexpectedly")]
    ThreadPanicked(&'static str),
}

impl AudioError {
    /// An I/O error with the action and the path it concerned.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        AudioError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// True when the cause is the input file itself (bad or unreadable input), so the CLI
    /// exits with "invalid input" (2) rather than "other" (1).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            AudioError::Probe { .. }
                | AudioError::Decode { .. }
                | AudioError::NotRepairable { .. }
                | AudioError::BadRange { .. }
        ) || matches!(self, AudioError::Io { action, .. } if action.starts_with("could not read") || action.starts_with("could not open"))
    }
}
