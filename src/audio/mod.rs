//! Audio: devices, capture (cpal on its own thread, lock-free ring), the writer thread
//! (downmix, resample to 16 kHz, crash-safe WAV/FLAC), the level meter, import and probing.

pub mod probe;
