//! What an audio file is and how long it lasts, read from its bytes (never from its name).
//!
//! Used by local validation before an upload, by import, and by the simulator, which must
//! judge an upload the way the real service would: by content.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

use symphonia::core::io::MediaSource;

use super::decode::{self, frames_duration};
use super::recorder::clock;
use super::wav::{LayoutError, truncation};

/// The container formats the ZenHire API accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AudioFormat {
    Wav,
    Flac,
    Mp3,
    Ogg,
    M4a,
    Webm,
}

impl AudioFormat {
    /// Every accepted format, in the order the API docs list them.
    pub const ALL: [AudioFormat; 6] = [
        AudioFormat::Mp3,
        AudioFormat::Wav,
        AudioFormat::M4a,
        AudioFormat::Webm,
        AudioFormat::Ogg,
        AudioFormat::Flac,
    ];

    /// Upper-case name for people ("WAV", "FLAC", ...).
    pub fn label(self) -> &'static str {
        match self {
            AudioFormat::Wav => "WAV",
            AudioFormat::Flac => "FLAC",
            AudioFormat::Mp3 => "MP3",
            AudioFormat::Ogg => "OGG",
            AudioFormat::M4a => "M4A",
            AudioFormat::Webm => "WebM",
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            AudioFormat::Wav => "wav",
            AudioFormat::Flac => "flac",
            AudioFormat::Mp3 => "mp3",
            AudioFormat::Ogg => "ogg",
            AudioFormat::M4a => "m4a",
            AudioFormat::Webm => "webm",
        }
    }

    /// The MIME type sent with the multipart `audio` part.
    pub fn mime(self) -> &'static str {
        match self {
            AudioFormat::Wav => "audio/wav",
            AudioFormat::Flac => "audio/flac",
            AudioFormat::Mp3 => "audio/mpeg",
            AudioFormat::Ogg => "audio/ogg",
            AudioFormat::M4a => "audio/mp4",
            AudioFormat::Webm => "audio/webm",
        }
    }
}

impl std::fmt::Display for AudioFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// How many leading bytes [`sniff`] needs to recognise every format.
pub const SNIFF_LEN: usize = 64;

/// Recognises an accepted container from its first bytes. `None` means "not one we accept".
pub fn sniff(head: &[u8]) -> Option<AudioFormat> {
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WAVE" {
        return Some(AudioFormat::Wav);
    }
    if head.starts_with(b"fLaC") {
        return Some(AudioFormat::Flac);
    }
    if head.starts_with(b"OggS") {
        return Some(AudioFormat::Ogg);
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return Some(AudioFormat::M4a);
    }
    if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        // EBML: WebM declares DocType "webm"; plain Matroska is not an accepted format.
        return contains(head, b"webm").then_some(AudioFormat::Webm);
    }
    if head.starts_with(b"ID3") {
        // An ID3v2 tag can precede FLAC as well as MP3; FLAC-with-ID3 is still FLAC.
        return Some(AudioFormat::Mp3);
    }
    if is_mpeg_audio_frame(head) {
        return Some(AudioFormat::Mp3);
    }
    None
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// An MPEG audio frame header: 11 sync bits, a valid version, layer III/II/I, a valid bitrate
/// and sample-rate index.
fn is_mpeg_audio_frame(head: &[u8]) -> bool {
    if head.len() < 4 || head[0] != 0xFF || head[1] & 0xE0 != 0xE0 {
        return false;
    }
    let version = (head[1] >> 3) & 0b11;
    let layer = (head[1] >> 1) & 0b11;
    let bitrate = head[2] >> 4;
    let rate = (head[2] >> 2) & 0b11;
    version != 0b01 && layer != 0 && bitrate != 0xF && rate != 0b11
}

/// What probing a file found.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeInfo {
    pub format: AudioFormat,
    pub duration: Duration,
    pub sample_rate: Option<u32>,
    pub channels: Option<u16>,
    /// Size in bytes of the whole file.
    pub size_bytes: u64,
}

/// Why a file could not be probed. Each maps onto the API code the service would return.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// Not one of the accepted containers (`UNSUPPORTED_FORMAT`).
    #[error("this is not an MP3, WAV, M4A, WebM, OGG or FLAC file")]
    UnsupportedFormat,
    /// An accepted container whose duration cannot be read (`AUDIO_DURATION_UNAVAILABLE`).
    #[error("the {format} file's duration could not be read: {reason}")]
    DurationUnavailable { format: AudioFormat, reason: String },
    /// The file could not be read at all.
    #[error("could not read the file: {0}")]
    Io(#[from] std::io::Error),
}

/// Probes a file on disk.
pub fn probe_file(path: &Path) -> Result<ProbeInfo, ProbeError> {
    let file = std::fs::File::open(path)?;
    probe_reader(file)
}

/// Probes bytes already in memory (the simulator holds the uploaded part).
pub fn probe_bytes(bytes: Vec<u8>) -> Result<ProbeInfo, ProbeError> {
    probe_reader(std::io::Cursor::new(bytes))
}

/// Probes any seekable source: sniff the container, then read the duration.
pub fn probe_reader<R>(mut source: R) -> Result<ProbeInfo, ProbeError>
where
    R: MediaSource + 'static,
{
    let size_bytes = source.seek(SeekFrom::End(0))?;
    source.seek(SeekFrom::Start(0))?;
    let mut head = [0u8; SNIFF_LEN];
    let n = read_up_to(&mut source, &mut head)?;
    let format = sniff(&head[..n]).ok_or(ProbeError::UnsupportedFormat)?;
    source.seek(SeekFrom::Start(0))?;
    let (duration, sample_rate, channels) = match format {
        AudioFormat::Wav => wav_duration(source)?,
        _ => symphonia_duration(Box::new(source), format)?,
    };
    Ok(ProbeInfo {
        format,
        duration,
        sample_rate,
        channels,
        size_bytes,
    })
}

fn read_up_to<R: Read>(source: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match source.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

type Timing = (Duration, Option<u32>, Option<u16>);

fn wav_duration<R: Read + Seek>(mut source: R) -> Result<Timing, ProbeError> {
    let unavailable = |reason: String| ProbeError::DurationUnavailable {
        format: AudioFormat::Wav,
        reason,
    };
    // Name an impossible format (0 Hz, 0 channels) plainly, before hound's generic
    // "inconsistent fmt chunk"; and measure the audio actually there: a header that claims
    // more than the file holds is a file cut short, not a recording of that length.
    match truncation(&mut source) {
        Err(e @ LayoutError::BadFormat { .. }) => return Err(unavailable(e.to_string())),
        Ok(Some(cut)) => {
            return Err(unavailable(format!(
                "the header says {} of audio but the file holds only {}: it was cut short",
                clock(frames_duration(cut.declared_frames, cut.sample_rate)),
                clock(frames_duration(cut.present_frames, cut.sample_rate)),
            )));
        }
        // Anything else wrong with the header: hound names it below.
        Ok(None) | Err(_) => {}
    }
    source.seek(SeekFrom::Start(0))?;
    let reader = hound::WavReader::new(std::io::BufReader::new(source))
        .map_err(|e| unavailable(e.to_string()))?;
    let spec = reader.spec();
    if spec.sample_rate == 0 || spec.channels == 0 {
        return Err(unavailable(format!(
            "the header says {} Hz, {} channels",
            spec.sample_rate, spec.channels
        )));
    }
    let frames = u64::from(reader.duration());
    Ok((
        frames_duration(frames, spec.sample_rate),
        Some(spec.sample_rate),
        Some(spec.channels),
    ))
}

fn symphonia_duration(
    source: Box<dyn MediaSource>,
    format: AudioFormat,
) -> Result<Timing, ProbeError> {
    let unavailable = |reason: String| ProbeError::DurationUnavailable { format, reason };
    let mut opened = decode::open_track(source, Some(format.extension()))
        .map_err(|e| unavailable(e.to_string()))?;
    let params = &opened.params;
    let channels = params.channels.map(|c| c.count() as u16);
    let rate = params
        .sample_rate
        .filter(|&r| r > 0)
        .ok_or_else(|| unavailable("the track has no sample rate".into()))?;
    let time_base = params.time_base;
    // Gapless: n_frames is the encoded audio, without the codec's delay and end padding.
    let frames = match params.n_frames {
        Some(n) if n > 0 => decode::ts_to_frames(n, time_base, rate),
        // No length in the header (e.g. an MP3 without a Xing/VBRI frame, a live-recorded
        // WebM): count packet durations, which needs no decoding.
        _ => {
            let end = count_packet_frames(opened.reader.as_mut(), opened.track_id)
                .map_err(|e| unavailable(e.to_string()))?;
            decode::ts_to_frames(end, time_base, rate)
        }
    };
    if frames == 0 {
        return Err(unavailable("the track holds no audio".into()));
    }
    Ok((frames_duration(frames, rate), Some(rate), channels))
}

fn count_packet_frames(
    reader: &mut dyn symphonia::core::formats::FormatReader,
    track_id: u32,
) -> Result<u64, symphonia::core::errors::Error> {
    use symphonia::core::errors::Error;
    let mut end = 0u64;
    loop {
        match reader.next_packet() {
            Ok(packet) if packet.track_id() == track_id => {
                end = end.max(packet.ts() + packet.dur());
            }
            Ok(_) => {}
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(Error::ResetRequired) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav_bytes(rate: u32, channels: u16, seconds: f64) -> Vec<u8> {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut cursor = std::io::Cursor::new(Vec::new());
        {
            let mut w = hound::WavWriter::new(&mut cursor, spec).expect("writer");
            let frames = (f64::from(rate) * seconds) as usize;
            for i in 0..frames * usize::from(channels) {
                w.write_sample(((i % 100) as i16) * 100).expect("sample");
            }
            w.finalize().expect("finalize");
        }
        cursor.into_inner()
    }

    #[test]
    fn sniffs_every_accepted_container() {
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), Some(AudioFormat::Wav));
        assert_eq!(sniff(b"fLaC\0\0\0\x22"), Some(AudioFormat::Flac));
        assert_eq!(sniff(b"OggS\0\x02"), Some(AudioFormat::Ogg));
        assert_eq!(sniff(b"\0\0\0\x20ftypM4A \0\0\0\0"), Some(AudioFormat::M4a));
        assert_eq!(sniff(b"ID3\x04\0\0\0\0\0\0"), Some(AudioFormat::Mp3));
        assert_eq!(sniff(&[0xFF, 0xFB, 0x90, 0x64]), Some(AudioFormat::Mp3));
        let mut webm = vec![0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x82, 0x84];
        webm.extend_from_slice(b"webm");
        assert_eq!(sniff(&webm), Some(AudioFormat::Webm));
    }

    #[test]
    fn the_accepted_formats_are_the_documented_ones() {
        let labels = AudioFormat::ALL.map(AudioFormat::label);
        assert_eq!(labels, crate::api::limits::ACCEPTED_FORMATS);
    }

    #[test]
    fn rejects_what_is_not_accepted_audio() {
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"hello, this is a text file"), None);
        assert_eq!(sniff(b"<!DOCTYPE html>"), None);
        assert_eq!(sniff(b"FORM\0\0\0\0AIFF"), None);
        let mut mkv = vec![0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x82, 0x88];
        mkv.extend_from_slice(b"matroska");
        assert_eq!(sniff(&mkv), None);
        // Sync bits with a reserved version / bad bitrate are not an MP3 frame.
        assert_eq!(sniff(&[0xFF, 0xEB, 0x90, 0x64]), None);
        assert_eq!(sniff(&[0xFF, 0xFB, 0xF0, 0x64]), None);
    }

    #[test]
    fn reads_wav_duration_from_the_header() {
        let info = probe_bytes(wav_bytes(8000, 2, 2.5)).expect("probe");
        assert_eq!(info.format, AudioFormat::Wav);
        assert_eq!(info.sample_rate, Some(8000));
        assert_eq!(info.channels, Some(2));
        assert!((info.duration.as_secs_f64() - 2.5).abs() < 1e-3);
    }

    #[test]
    fn text_file_is_unsupported_and_truncated_wav_has_no_duration() {
        assert!(matches!(
            probe_bytes(b"just some text pretending to be audio".to_vec()),
            Err(ProbeError::UnsupportedFormat)
        ));
        assert!(matches!(
            probe_bytes(Vec::new()),
            Err(ProbeError::UnsupportedFormat)
        ));
        let truncated = wav_bytes(8000, 1, 1.0)[..20].to_vec();
        assert!(matches!(
            probe_bytes(truncated),
            Err(ProbeError::DurationUnavailable { .. })
        ));
    }
}
