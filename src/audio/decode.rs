//! Streaming decode of any file symphonia can read, chunk by chunk, into interleaved f32.
//! Never holds the whole file in memory.
//!
//! [`open_track`] is the one place the crate opens a container with symphonia and finds its
//! audio track (the probe, the decoder and the simulator's scorer all go through it). It reads
//! gapless: encoder delay and end padding are cut (the Ogg granule position, the LAME/iTunes
//! gapless info), so a file's duration is the audio that was encoded, not the codec's framing
//! (an Ogg Vorbis file of exactly 45:00 reads as 45:00, not 45:00.024).

use std::path::{Path, PathBuf};
use std::time::Duration;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CodecParameters, DecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;
use symphonia::core::units::TimeBase;

use super::AudioError;

/// A container opened by symphonia, with the audio track to read.
pub struct OpenedTrack {
    /// The demuxer, positioned at the start.
    pub reader: Box<dyn FormatReader>,
    /// The audio track's id (packets of other tracks are skipped).
    pub track_id: u32,
    /// The audio track's codec parameters (rate, channels, length when the container says).
    pub params: CodecParameters,
}

impl std::fmt::Debug for OpenedTrack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedTrack")
            .field("track_id", &self.track_id)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// Why [`open_track`] could not open a source.
#[derive(Debug, thiserror::Error)]
pub enum TrackError {
    /// symphonia does not recognise or cannot read the container.
    #[error("{0}")]
    Unreadable(#[from] SymError),
    /// The container holds no audio track.
    #[error("the file has no audio track")]
    NoAudioTrack,
    /// The container's header holds values no real file has (the reader gave up on it).
    #[error("the file's header is invalid")]
    Invalid,
}

/// Opens `source` with symphonia (gapless) and finds its audio track: the default track when
/// it is audio, else the first track that has a sample rate. `extension` is a hint only; the
/// container is recognised from its bytes.
pub fn open_track(
    source: Box<dyn MediaSource>,
    extension: Option<&str>,
) -> Result<OpenedTrack, TrackError> {
    open_track_reading(source, extension, true)
}

/// [`open_track`] with gapless reading on or off. Off, a track's length includes the codec's
/// delay and end padding: what a reader that ignores them would see (used to check that an
/// upload we encode fits the limit by either reading).
pub fn open_track_reading(
    source: Box<dyn MediaSource>,
    extension: Option<&str>,
    gapless: bool,
) -> Result<OpenedTrack, TrackError> {
    let stream = MediaSourceStream::new(source, Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = extension {
        hint.with_extension(ext);
    }
    let options = FormatOptions {
        enable_gapless: gapless,
        ..Default::default()
    };
    // symphonia asserts on some impossible header values (a zero time base, an oversized
    // timestamp scale): a crafted file must be an unreadable file, not a crash.
    let probed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        symphonia::default::get_probe().format(&hint, stream, &options, &MetadataOptions::default())
    }))
    .map_err(|_| TrackError::Invalid)??;
    let reader = probed.format;
    let is_audio = |t: &&symphonia::core::formats::Track| t.codec_params.sample_rate.is_some();
    let track = reader
        .default_track()
        .filter(is_audio)
        .or_else(|| reader.tracks().iter().find(is_audio))
        .ok_or(TrackError::NoAudioTrack)?;
    let (track_id, params) = (track.id, track.codec_params.clone());
    Ok(OpenedTrack {
        reader,
        track_id,
        params,
    })
}

/// Frames (at `rate`) in `ts` units of `time_base` (`None`: the units are frames already).
/// Never panics on a zero time base.
pub fn ts_to_frames(ts: u64, time_base: Option<TimeBase>, rate: u32) -> u64 {
    match time_base {
        Some(tb) if tb.denom > 0 => {
            let frames =
                u128::from(ts) * u128::from(tb.numer) * u128::from(rate) / u128::from(tb.denom);
            u64::try_from(frames).unwrap_or(u64::MAX)
        }
        _ => ts,
    }
}

/// Whole frames in `d` at `rate`, rounded down (a position never lands after the time asked).
pub fn frames_in(d: Duration, rate: u32) -> u64 {
    let frames = d.as_nanos() * u128::from(rate) / 1_000_000_000;
    u64::try_from(frames).unwrap_or(u64::MAX)
}

/// The duration of `frames` at `rate`.
pub fn frames_duration(frames: u64, rate: u32) -> Duration {
    if rate == 0 {
        return Duration::ZERO;
    }
    let nanos = u128::from(frames) * 1_000_000_000 / u128::from(rate);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// How far before a range's start a seek lands: a quarter second (longer than any codec's
/// block overlap), decoded and dropped.
fn preroll_frames(rate: u32) -> u64 {
    u64::from(rate / 4).max(4096)
}

/// A decoder positioned at the start of the file (or of the range asked for);
/// [`next_chunk`](Decoder::next_chunk) yields interleaved f32 until the end.
pub struct Decoder {
    path: PathBuf,
    reader: Box<dyn FormatReader>,
    decoder: Box<dyn symphonia::core::codecs::Decoder>,
    track_id: u32,
    time_base: Option<TimeBase>,
    /// Sample rate of the decoded audio.
    pub rate: u32,
    /// Channels of the decoded audio.
    pub channels: u16,
    buf: Option<SampleBuffer<f32>>,
    buf_spec: Option<symphonia::core::audio::SignalSpec>,
    /// The first packet, decoded at open to learn the real rate and channels.
    first: Option<Vec<f32>>,
    held: Vec<f32>,
    /// Frame index (at `rate`) of the next frame `next_chunk` returns.
    position: u64,
    /// Frames before this index are dropped (a range's start after a coarse seek).
    skip_before: u64,
    /// No frame at or after this index is returned (a range's end).
    stop_at: u64,
    /// After a seek: take the position from the next packet's timestamp.
    resync: bool,
    /// Packets that failed to decode and were skipped (damaged spots).
    pub skipped_packets: u64,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("path", &self.path)
            .field("rate", &self.rate)
            .field("channels", &self.channels)
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

impl Decoder {
    /// Opens `path` and decodes its first packet (to learn the real rate and channels).
    pub fn open(path: &Path) -> Result<Decoder, AudioError> {
        let file =
            std::fs::File::open(path).map_err(|e| AudioError::io("could not open", path, e))?;
        let ext = path.extension().and_then(|e| e.to_str());
        Decoder::from_source(Box::new(file), ext, path)
    }

    /// Opens `path` and positions it at `start`; the decoder ends at `end` (or at the end of
    /// the file). Sample-accurate: the first frame returned is frame ⌊start × rate⌋ and the
    /// last is frame ⌊end × rate⌋ − 1. For playing or trimming a segment of a take.
    pub fn open_range(
        path: &Path,
        start: Duration,
        end: Option<Duration>,
    ) -> Result<Decoder, AudioError> {
        let mut d = Decoder::open(path)?;
        d.set_range(start, end)?;
        Ok(d)
    }

    /// Opens any seekable source (`label` names it in errors); `extension` is a hint only.
    pub fn from_source(
        source: Box<dyn MediaSource>,
        extension: Option<&str>,
        label: &Path,
    ) -> Result<Decoder, AudioError> {
        let bad = |reason: String| AudioError::Decode {
            path: label.to_path_buf(),
            reason,
        };
        let opened = open_track(source, extension).map_err(|e| bad(e.to_string()))?;
        let decoder = symphonia::default::get_codecs()
            .make(&opened.params, &DecoderOptions::default())
            .map_err(|e| bad(e.to_string()))?;
        let mut d = Decoder {
            path: label.to_path_buf(),
            reader: opened.reader,
            decoder,
            track_id: opened.track_id,
            time_base: opened.params.time_base,
            rate: 0,
            channels: 0,
            buf: None,
            buf_spec: None,
            first: None,
            held: Vec::new(),
            position: 0,
            skip_before: 0,
            stop_at: u64::MAX,
            resync: false,
            skipped_packets: 0,
        };
        if !d.decode_into()? {
            return Err(bad("the file holds no audio".into()));
        }
        if d.rate == 0 || d.channels == 0 {
            return Err(bad(format!(
                "the stream says {} Hz, {} channels",
                d.rate, d.channels
            )));
        }
        d.first = d.buf.as_ref().map(|b| b.samples().to_vec());
        Ok(d)
    }

    /// Limits what is returned to `start..end` (frames at the decoded rate, rounded down).
    /// Seeks when the container can; otherwise decodes and drops frames up to `start`.
    fn set_range(&mut self, start: Duration, end: Option<Duration>) -> Result<(), AudioError> {
        let start_frame = frames_in(start, self.rate);
        self.stop_at = end.map_or(u64::MAX, |e| frames_in(e, self.rate));
        self.skip_before = start_frame;
        if start_frame == 0 {
            return Ok(());
        }
        // Land a little early: a codec that overlaps blocks (Vorbis, MP3) only primes itself
        // with the first packet after a seek, so that packet must come before the start.
        let seek_frame = start_frame.saturating_sub(preroll_frames(self.rate));
        let ts = match self.time_base {
            Some(tb) if tb.numer > 0 => {
                let ts = u128::from(seek_frame) * u128::from(tb.denom)
                    / (u128::from(tb.numer) * u128::from(self.rate));
                u64::try_from(ts).unwrap_or(u64::MAX)
            }
            _ => seek_frame,
        };
        let to = SeekTo::TimeStamp {
            ts,
            track_id: self.track_id,
        };
        if self.reader.seek(SeekMode::Accurate, to).is_ok() {
            self.decoder.reset();
            self.first = None;
            self.resync = true;
        }
        Ok(())
    }

    /// The next block of interleaved samples, or `None` at the end of the file (or range).
    pub fn next_chunk(&mut self) -> Result<Option<&[f32]>, AudioError> {
        loop {
            if self.position >= self.stop_at {
                return Ok(None);
            }
            let chunk_start = self.position;
            if let Some(first) = self.first.take() {
                self.held = first;
            } else if self.decode_into()? {
                self.held.clear();
                if let Some(b) = self.buf.as_ref() {
                    self.held.extend_from_slice(b.samples());
                }
            } else {
                return Ok(None);
            }
            let ch = usize::from(self.channels.max(1));
            let frames = (self.held.len() / ch) as u64;
            let start = if self.resync {
                self.resync = false;
                self.position
            } else {
                chunk_start
            };
            self.position = start + frames;
            // Keep only the frames inside skip_before..stop_at.
            let from = self.skip_before.saturating_sub(start).min(frames);
            let to = self.stop_at.saturating_sub(start).min(frames);
            if from >= to {
                continue;
            }
            let (from, to) = (from as usize * ch, to as usize * ch);
            if from > 0 || to < self.held.len() {
                self.held.truncate(to);
                self.held.drain(..from);
            }
            return Ok(Some(&self.held));
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
            if self.resync {
                // The first packet after a seek: its timestamp says where we are.
                self.position = ts_to_frames(packet.ts(), self.time_base, self.rate);
            }
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

/// Decodes `start..end` of a take to mono f32 at its own rate, for playing a segment (a
/// transcript line, the part between trim handles). Returns the samples and their rate.
/// Bounded: refuses a segment longer than `max` (the caller's memory budget).
pub fn decode_segment_mono(
    path: &Path,
    start: Duration,
    end: Duration,
    max: Duration,
) -> Result<(Vec<f32>, u32), AudioError> {
    if end.saturating_sub(start) > max {
        return Err(AudioError::Decode {
            path: path.to_path_buf(),
            reason: format!(
                "a segment of {:.1} s is longer than the {:.1} s this reads at once",
                end.saturating_sub(start).as_secs_f64(),
                max.as_secs_f64()
            ),
        });
    }
    let mut d = Decoder::open_range(path, start, Some(end))?;
    let (rate, ch) = (d.rate, usize::from(d.channels.max(1)));
    let mut out = Vec::with_capacity(frames_in(end.saturating_sub(start), rate) as usize);
    while let Some(chunk) = d.next_chunk()? {
        out.extend(
            chunk
                .chunks_exact(ch)
                .map(|f| f.iter().sum::<f32>() / ch as f32),
        );
    }
    Ok((out, rate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::wav::testing::{sine, write_wav};

    fn ramp_wav(path: &Path, rate: u32, channels: u16, frames: u32) {
        let samples =
            (0..frames).flat_map(|i| std::iter::repeat_n((i % 30_000) as i16, channels.into()));
        write_wav(path, rate, channels, samples);
    }

    fn collect(d: &mut Decoder) -> Vec<f32> {
        let mut v = Vec::new();
        while let Some(c) = d.next_chunk().expect("chunk") {
            v.extend_from_slice(c);
        }
        v
    }

    #[test]
    fn a_range_starts_and_ends_on_the_exact_frames() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("ramp.wav");
        ramp_wav(&p, 8_000, 2, 24_000);
        let mut d = Decoder::open_range(
            &p,
            Duration::from_millis(1_250),
            Some(Duration::from_millis(2_000)),
        )
        .expect("open");
        let got = collect(&mut d);
        assert_eq!(got.len(), 6_000 * 2, "0.75 s of stereo at 8 kHz");
        // Frame 10 000 holds the value 10 000 on both channels.
        assert_eq!((got[0] * 32768.0).round() as i32, 10_000);
        assert_eq!((got[got.len() - 1] * 32768.0).round() as i32, 15_999);
    }

    #[test]
    fn a_range_past_the_end_stops_at_the_end_and_the_segment_is_mono() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("ramp.wav");
        ramp_wav(&p, 8_000, 2, 8_000);
        let (mono, rate) = decode_segment_mono(
            &p,
            Duration::from_millis(500),
            Duration::from_secs(5),
            Duration::from_secs(10),
        )
        .expect("segment");
        assert_eq!(rate, 8_000);
        assert_eq!(mono.len(), 4_000);
        assert_eq!((mono[0] * 32768.0).round() as i32, 4_000);
        assert!(
            decode_segment_mono(
                &p,
                Duration::ZERO,
                Duration::from_secs(60),
                Duration::from_secs(30)
            )
            .is_err(),
            "longer than the budget"
        );
    }

    #[test]
    fn a_vorbis_range_is_the_same_samples_as_that_part_of_the_whole() {
        // Vorbis primes itself with the first packet after a seek: a range must not lose it.
        let dir = tempfile::tempdir().expect("tempdir");
        let wav = dir.path().join("tone.wav");
        write_wav(
            &wav,
            16_000,
            1,
            (0..16_000 * 12).map(|i| sine(i, 16_000, 220.0, 0.25)),
        );
        let ogg = dir.path().join("tone.ogg");
        super::super::encode::wav_to_vorbis(&wav, &ogg, 64_000, None).expect("vorbis");
        let whole = collect(&mut Decoder::open(&ogg).expect("open"));
        let range = collect(
            &mut Decoder::open_range(
                &ogg,
                Duration::from_secs(2),
                Some(Duration::from_millis(7_500)),
            )
            .expect("open range"),
        );
        assert_eq!(range.len(), 88_000);
        assert_eq!(range, whole[32_000..120_000].to_vec());
    }

    /// An EBML element with a one-byte size.
    fn ebml(id: &[u8], body: &[u8]) -> Vec<u8> {
        let mut v = id.to_vec();
        v.push(0x80 | u8::try_from(body.len()).expect("short element"));
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn a_webm_header_symphonia_would_panic_on_is_an_invalid_file() {
        // TimestampScale 0: symphonia's Matroska reader builds a zero time base and asserts.
        let header = ebml(&[0x1A, 0x45, 0xDF, 0xA3], &ebml(&[0x42, 0x82], b"webm"));
        let info = ebml(&[0x15, 0x49, 0xA9, 0x66], &ebml(&[0x2A, 0xD7, 0xB1], &[0]));
        let mut audio = ebml(&[0xB5], &16_000f64.to_be_bytes());
        audio.extend(ebml(&[0x9F], &[1]));
        let mut entry = ebml(&[0xD7], &[1]);
        entry.extend(ebml(&[0x73, 0xC5], &[7]));
        entry.extend(ebml(&[0x83], &[2]));
        entry.extend(ebml(&[0x86], b"A_VORBIS"));
        entry.extend(ebml(&[0xE1], &audio));
        let tracks = ebml(&[0x16, 0x54, 0xAE, 0x6B], &ebml(&[0xAE], &entry));
        let mut segment_body = info;
        segment_body.extend(tracks);
        let mut file = header;
        file.extend(ebml(&[0x18, 0x53, 0x80, 0x67], &segment_body));
        let got = open_track(Box::new(std::io::Cursor::new(file)), Some("webm"));
        assert!(matches!(got, Err(TrackError::Invalid)), "{got:?}");
    }

    #[test]
    fn frame_arithmetic_rounds_down_and_survives_a_zero_time_base() {
        assert_eq!(frames_in(Duration::from_secs(2700), 16_000), 43_200_000);
        assert_eq!(frames_in(Duration::from_nanos(62_499), 16_000), 0);
        assert_eq!(frames_in(Duration::from_nanos(62_500), 16_000), 1);
        assert_eq!(
            frames_duration(16_001, 16_000),
            Duration::from_nanos(1_000_062_500)
        );
        assert_eq!(frames_duration(5, 0), Duration::ZERO);
        let zero = TimeBase { numer: 1, denom: 0 };
        assert_eq!(ts_to_frames(77, Some(zero), 16_000), 77);
        assert_eq!(
            ts_to_frames(1_000, Some(TimeBase::new(1, 1_000)), 16_000),
            16_000
        );
    }
}
