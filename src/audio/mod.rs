//! Audio: devices, capture (cpal on its own thread, lock-free ring), the writer thread
//! (downmix, resample to 16 kHz, crash-safe WAV), the level meter, import, conversion,
//! encoding for upload, playback and probing.
//!
//! What the desktop app uses:
//! - [`devices::list_input_devices`] to fill the microphone picker;
//! - [`Recorder`] to record a take (with [`RecorderSnapshot`] for the meter and timer);
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

pub use error::AudioError;
pub use meter::MeterReading;
pub use probe::AudioFormat;
pub use recorder::{Recorder, RecorderConfig, RecorderSnapshot, RecorderState, StopReason, Take};

/// The sample rate everything we record or convert is written at: what speech recognisers use.
pub const TARGET_RATE: u32 = 16_000;

/// The API's duration limits, re-exported from [`crate::api::limits`] (the one place they are
/// defined) for the capture side, which stops a take at [`MAX_DURATION`].
pub use crate::api::limits::{MAX_DURATION, MIN_DURATION};
