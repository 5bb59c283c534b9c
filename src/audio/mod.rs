//! Audio: devices, capture (cpal on its own thread, lock-free ring), the writer thread
//! (downmix, resample to 16 kHz, crash-safe WAV), the level meter, import, conversion,
//! encoding for upload, playback and probing.
//!
//! What the desktop app uses:
//! - [`devices::list_input_devices`] to fill the microphone picker (PulseAudio/PipeWire
//!   descriptions, the default marked, non-microphones marked) and [`devices::find_device`]
//!   to get back the one a person chose, or the default when it is gone;
//! - [`Monitor`] to test the microphone before recording (meter live, nothing written) and
//!   [`Monitor::record`] to turn it into a take without reopening the device;
//! - [`Recorder`] to record a take (with [`RecorderSnapshot`] for the meter, its
//!   [`LevelHint`] and the timer);
//! - [`loudness::summarize_file`] (or [`RecorderSnapshot::take_loudness`]) to warn before a
//!   silent take is submitted;
//! - [`recovery`] to offer back takes a crash interrupted;
//! - [`prepare::for_upload`] to turn a take or an imported file into something the API takes;
//! - [`trim::trim`] / [`trim::trim_to_max`] to cut a take to a range, or to 45:00;
//! - [`waveform::Waveform`] to draw a take (peaks, silence and clipping, any zoom);
//! - [`playback::Player`] to listen to a take, [`decode::Decoder::open_range`] for a part of it.

pub mod capture;
pub mod convert;
pub mod decode;
pub mod devices;
pub mod encode;
mod error;
pub mod loudness;
pub mod meter;
pub mod playback;
pub mod prepare;
pub mod probe;
pub mod recorder;
pub mod recovery;
pub mod resample;
pub mod sample;
pub mod trim;
pub mod wav;
pub mod waveform;
mod writer;

pub use error::AudioError;
pub use loudness::LoudnessSummary;
pub use meter::{LevelHint, MeterReading};
pub use probe::AudioFormat;
pub use recorder::{
    Monitor, MonitorConfig, RecordFailed, Recorder, RecorderConfig, RecorderSnapshot,
    RecorderState, StopReason, Take,
};

/// The sample rate everything we record or convert is written at: what speech recognisers use.
pub const TARGET_RATE: u32 = 16_000;

/// The API's duration limits, re-exported from [`crate::api::limits`] (the one place they are
/// defined) for the capture side.
pub use crate::api::limits::{MAX_DURATION, MIN_DURATION};

/// Where the recorder stops by itself: 44:50, ten seconds under [`MAX_DURATION`], so a full
/// take is never over the limit after conversion or encoding (codec priming, rounding to
/// whole packets and the service's own decoder each add milliseconds; ten seconds covers that
/// a thousand times over and costs the speaker nothing), and the clock a person watches
/// visibly stops short of 45:00.
pub const AUTO_STOP: std::time::Duration =
    std::time::Duration::from_secs(MAX_DURATION.as_secs() - 10);
