//! Streaming decode of any file symphonia can read, chunk by chunk, into interleaved f32.
//! Never holds the whole file in memory.

use std::path::{Path, PathBuf};

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::DecoderOptions;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use super::AudioError;

/// A decoder positioned at the start of the file; [`next_chunk`](Decoder::next_chunk) yields
/// interleaved f32 until the end.
pub struct Decoder {
    path: PathBuf,
    reader: Box<dyn FormatReader>,
    decoder: Box<dyn symphonia::core::codecs::Decoder>,
    track_id: u32,
    /// Sample rate of the decoded audio.
    pub rate: u32,
    /// Channels of the decoded audio.
    pub channels: u16,
    buf: Option<SampleBuffer<f32>>,
    first: Option<Vec<f32>>,
    held: Vec<f32>,
    buf_spec: Option<symphonia::core::audio::SignalSpec>,
    /// Packets that failed to decode and were skipped (damaged spots).
    pub skipped_packets: u64,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("path", &self.path)
            .field("rate", &self.rate)
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

impl Decoder {
    /// Opens `path` and decodes its first packet (to learn the real rate and channels).
    pub fn open(path: &Path) -> Result<Decoder, AudioError> {
        let bad = |reason: String| AudioError::Decode {
            path: path.to_path_buf(),
            reason,
        };
        let file =
            std::fs::File::open(path).map_err(|e| AudioError::io("could not open", path, e))?;
        let stream = MediaSourceStream::new(Box::new(file), Default::default());
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        let probed = symphonia::default::get_probe()
            .format(
                &hint,
                stream,
                &FormatOptions::default(),
                &MetadataOptions::default(),
            )
            .map_err(|e| bad(e.to_string()))?;
        let reader = probed.format;
        let track = reader
            .default_track()
            .ok_or_else(|| bad("the file has no audio track".into()))?;
        let track_id = track.id;
        let decoder = symphonia::default::get_codecs()
            .make(&track.codec_params, &DecoderOptions::default())
            .map_err(|e| bad(e.to_string()))?;
        let mut d = Decoder {
            path: path.to_path_buf(),
            reader,
            decoder,
            track_id,
            rate: 0,
            channels: 0,
            buf: None,
            first: None,
            held: Vec::new(),
            buf_spec: None,
            skipped_packets: 0,
        };
        if !d.decode_into()? {
            return Err(bad("the file holds no audio".into()));
        }
        let first = d
            .buf
            .as_ref()
            .map(|b| b.samples().to_vec())
            .unwrap_or_default();
        if d.rate == 0 || d.channels == 0 {
            return Err(bad(format!(
                "the stream says {} Hz, {} channels",
                d.rate, d.channels
            )));
        }
        d.first = Some(first);
        Ok(d)
    }

    /// The next block of interleaved samples, or `None` at the end of the file.
    pub fn next_chunk(&mut self) -> Result<Option<&[f32]>, AudioError> {
        if let Some(first) = self.first.take() {
            self.held = first;
            return Ok(Some(&self.held));
        }
        if self.decode_into()? {
            Ok(self.buf.as_ref().map(|b| b.samples()))
        } else {
            Ok(None)
        }
    }

    /// Decodes the next packet into `self.buf`; false at the end of the file.
    fn decode_into(&mut self) -> Result<bool, AudioError> {
        loop {
            let packet = match self.reader.next_packet() {
                Ok(p) => p,
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return Ok(false);
                }
                Err(SymError::ResetRequired) => return Ok(false),
                Err(SymError::IoError(e)) => {
                    return Err(AudioError::io("could not read", &self.path, e));
                }
                Err(e) => {
                    return Err(AudioError::Decode {
                        path: self.path.clone(),
                        reason: e.to_string(),
                    });
                }
            };
            if packet.track_id() != self.track_id {
                continue;
            }
            let decoded = match self.decoder.decode(&packet) {
                Ok(d) => d,
                // A damaged packet: skip it, as players do, and count it.
                Err(SymError::DecodeError(_)) => {
                    self.skipped_packets += 1;
                    continue;
                }
                Err(e) => {
                    return Err(AudioError::Decode {
                        path: self.path.clone(),
                        reason: e.to_string(),
                    });
                }
            };
            if decoded.frames() == 0 {
                continue;
            }
            let spec = *decoded.spec();
            self.rate = spec.rate;
            self.channels = spec.channels.count() as u16;
            let needed = decoded.capacity() as u64;
            let fits = self.buf_spec == Some(spec)
                && self
                    .buf
                    .as_ref()
                    .is_some_and(|b| b.capacity() as u64 >= needed * u64::from(self.channels));
            if !fits {
                self.buf = Some(SampleBuffer::<f32>::new(needed, spec));
                self.buf_spec = Some(spec);
            }
            if let Some(buf) = self.buf.as_mut() {
                buf.copy_interleaved_ref(decoded);
                return Ok(true);
            }
        }
    }
}
