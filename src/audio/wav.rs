//! A crash-safe 16-bit PCM WAV writer, and the header arithmetic used to repair a WAV whose
//! writer died before finishing it.
//!
//! The writer appends samples and, at every checkpoint, rewrites the two size fields of the
//! header so that the file on disk is a valid WAV up to the last checkpoint. A killed process
//! therefore loses at most one checkpoint interval; [`repair_in_place`] recovers even that
//! by recomputing the sizes from the file length.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Size of the canonical header we write (RIFF + fmt (16 bytes) + data chunk header).
pub const HEADER_LEN: u64 = 44;

/// Streams 16-bit PCM samples into a WAV file and keeps its header valid at checkpoints.
#[derive(Debug)]
pub struct CheckpointedWav {
    file: File,
    buf: Vec<u8>,
    channels: u16,
    data_bytes: u64,
    checkpoints: u64,
}

impl CheckpointedWav {
    /// Creates (truncates) `path` and writes a header for an empty recording.
    /// A symlink at `path` is refused, never followed (a take is never written through one).
    pub fn create(path: &Path, sample_rate: u32, channels: u16) -> std::io::Result<Self> {
        let mut options = OpenOptions::new();
        options.create(true).truncate(true).write(true).read(true);
        let mut file = no_follow(&mut options).open(path)?;
        file.write_all(&header(sample_rate, channels, 0))?;
        file.sync_data()?;
        Ok(CheckpointedWav {
            file,
            buf: Vec::with_capacity(64 * 1024),
            channels,
            data_bytes: 0,
            checkpoints: 0,
        })
    }

    /// Buffers samples (interleaved when more than one channel).
    pub fn write_samples(&mut self, samples: &[i16]) -> std::io::Result<()> {
        for s in samples {
            self.buf.extend_from_slice(&s.to_le_bytes());
        }
        if self.buf.len() >= 256 * 1024 {
            self.write_buffer()?;
        }
        Ok(())
    }

    fn write_buffer(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            self.file.write_all(&self.buf)?;
            self.data_bytes += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes buffered samples and makes the header describe them. With `sync`, also asks the
    /// OS to put the data on disk (survives power loss, not only a crashed process).
    pub fn checkpoint(&mut self, sync: bool) -> std::io::Result<()> {
        self.write_buffer()?;
        write_sizes(&mut self.file, self.data_bytes)?;
        self.file.seek(SeekFrom::End(0))?;
        if sync {
            self.file.sync_data()?;
        }
        self.checkpoints += 1;
        Ok(())
    }

    /// Frames written so far (buffered ones included).
    pub fn frames(&self) -> u64 {
        (self.data_bytes + self.buf.len() as u64) / (2 * u64::from(self.channels.max(1)))
    }

    /// Bytes the finished file will have.
    pub fn file_len(&self) -> u64 {
        HEADER_LEN + self.data_bytes + self.buf.len() as u64
    }

    /// Final checkpoint with a sync; the file is complete afterwards.
    pub fn finish(mut self) -> std::io::Result<u64> {
        self.checkpoint(true)?;
        Ok(self.file_len())
    }
}

/// Makes `options` refuse to open a symlink (`O_NOFOLLOW`): a file we repair or write is the
/// file at that path, never what a link points to.
pub(crate) fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options
}

/// Opens a regular file for reading (and writing, with `write`), refusing symlinks, folders
/// and devices.
pub(crate) fn open_regular(path: &Path, write: bool) -> std::io::Result<File> {
    let file = no_follow(OpenOptions::new().read(true).write(write)).open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(file)
}

/// The 44-byte header of a 16-bit PCM WAV holding `data_bytes` of samples.
pub fn header(sample_rate: u32, channels: u16, data_bytes: u64) -> [u8; HEADER_LEN as usize] {
    let block_align = channels * 2;
    let byte_rate = sample_rate * u32::from(block_align);
    let data = clamp_u32(data_bytes);
    let mut h = [0u8; HEADER_LEN as usize];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&clamp_u32(36 + u64::from(data)).to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&channels.to_le_bytes());
    h[24..28].copy_from_slice(&sample_rate.to_le_bytes());
    h[28..32].copy_from_slice(&byte_rate.to_le_bytes());
    h[32..34].copy_from_slice(&block_align.to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data.to_le_bytes());
    h
}

fn clamp_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn write_sizes(file: &mut File, data_bytes: u64) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(4))?;
    file.write_all(&clamp_u32(36 + data_bytes).to_le_bytes())?;
    file.seek(SeekFrom::Start(40))?;
    file.write_all(&clamp_u32(data_bytes).to_le_bytes())?;
    Ok(())
}

/// Where the parts of a WAV file are, read from its chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WavLayout {
    /// Offset of the first sample byte.
    pub data_offset: u64,
    /// What the header claims the data size is.
    pub declared_data_bytes: u32,
    /// Bytes per frame (all channels).
    pub block_align: u16,
    pub channels: u16,
    pub sample_rate: u32,
    /// Offset and length of the `fmt ` chunk's body (to copy it unchanged).
    pub fmt_offset: u64,
    pub fmt_len: u32,
    /// `wFormatTag`: 1 PCM, 3 IEEE float, 0xFFFE extensible, others compressed.
    pub format_tag: u16,
    pub bits_per_sample: u16,
}

impl WavLayout {
    /// True when frames are fixed-size samples (PCM or float, plain or extensible), so
    /// frames can be cut and copied byte for byte.
    pub fn is_uncompressed(&self) -> bool {
        let bytes_per_sample = self.bits_per_sample.div_ceil(8);
        matches!(self.format_tag, 1 | 3 | 0xFFFE)
            && bytes_per_sample > 0
            && u32::from(self.block_align) == u32::from(self.channels) * u32::from(bytes_per_sample)
    }
}

/// Chunks walked before the `data` chunk at most: a recording has two or three.
const MAX_CHUNKS: usize = 1024;

/// Why a WAV header could not be understood.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error("not a RIFF/WAVE file")]
    NotWav,
    #[error("the header has no {0} chunk")]
    MissingChunk(&'static str),
    #[error("the header says {channels} channels at {rate} Hz")]
    BadFormat { channels: u16, rate: u32 },
    #[error("the header has more than {MAX_CHUNKS} chunks before the audio")]
    TooManyChunks,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Walks the RIFF chunks to find `fmt ` and `data`.
pub fn read_layout<R: Read + Seek>(r: &mut R) -> Result<WavLayout, LayoutError> {
    let mut riff = [0u8; 12];
    r.seek(SeekFrom::Start(0))?;
    r.read_exact(&mut riff).map_err(|_| LayoutError::NotWav)?;
    if &riff[0..4] != b"RIFF" || &riff[8..12] != b"WAVE" {
        return Err(LayoutError::NotWav);
    }
    let mut fmt: Option<Fmt> = None;
    let mut pos = 12u64;
    for _ in 0..MAX_CHUNKS {
        let mut ch = [0u8; 8];
        r.seek(SeekFrom::Start(pos))?;
        if r.read_exact(&mut ch).is_err() {
            return Err(LayoutError::MissingChunk(if fmt.is_some() {
                "data"
            } else {
                "fmt"
            }));
        }
        let size = u32::from_le_bytes([ch[4], ch[5], ch[6], ch[7]]);
        match &ch[0..4] {
            b"fmt " => {
                let mut f = [0u8; 16];
                r.read_exact(&mut f)
                    .map_err(|_| LayoutError::MissingChunk("fmt"))?;
                fmt = Some(Fmt {
                    offset: pos + 8,
                    len: size,
                    format_tag: u16::from_le_bytes([f[0], f[1]]),
                    channels: u16::from_le_bytes([f[2], f[3]]),
                    rate: u32::from_le_bytes([f[4], f[5], f[6], f[7]]),
                    align: u16::from_le_bytes([f[12], f[13]]),
                    bits: u16::from_le_bytes([f[14], f[15]]),
                });
            }
            b"data" => {
                let f = fmt.ok_or(LayoutError::MissingChunk("fmt"))?;
                if f.channels == 0 || f.rate == 0 || f.align == 0 {
                    return Err(LayoutError::BadFormat {
                        channels: f.channels,
                        rate: f.rate,
                    });
                }
                return Ok(WavLayout {
                    data_offset: pos + 8,
                    declared_data_bytes: size,
                    block_align: f.align,
                    channels: f.channels,
                    sample_rate: f.rate,
                    fmt_offset: f.offset,
                    fmt_len: f.len,
                    format_tag: f.format_tag,
                    bits_per_sample: f.bits,
                });
            }
            _ => {}
        }
        // Chunks are padded to an even size.
        pos += 8 + u64::from(size) + u64::from(size & 1);
    }
    Err(LayoutError::TooManyChunks)
}

/// The `fmt ` chunk's fields [`read_layout`] keeps.
#[derive(Debug, Clone, Copy)]
struct Fmt {
    offset: u64,
    len: u32,
    format_tag: u16,
    channels: u16,
    rate: u32,
    align: u16,
    bits: u16,
}

/// A WAV whose header claims more audio than the file holds: a file cut short (an
/// interrupted copy, download or recording).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncation {
    /// Frames the header claims.
    pub declared_frames: u64,
    /// Whole frames the file actually holds.
    pub present_frames: u64,
    pub sample_rate: u32,
}

/// Compares the header's data size with what the file holds; `None` when all of it is there.
pub fn truncation<R: Read + Seek>(r: &mut R) -> Result<Option<Truncation>, LayoutError> {
    let layout = read_layout(r)?;
    let len = r.seek(SeekFrom::End(0))?;
    let available = len.saturating_sub(layout.data_offset);
    let declared = u64::from(layout.declared_data_bytes);
    let align = u64::from(layout.block_align);
    Ok((declared > available).then_some(Truncation {
        declared_frames: declared / align,
        present_frames: available / align,
        sample_rate: layout.sample_rate,
    }))
}

/// What [`repair_in_place`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairReport {
    pub layout: WavLayout,
    /// Sample bytes the repaired header declares.
    pub data_bytes: u64,
    /// Bytes of a torn last frame that were cut off.
    pub trimmed_bytes: u64,
    /// True when the header already matched the file.
    pub was_consistent: bool,
}

/// Why a WAV was not repaired.
#[derive(Debug, thiserror::Error)]
pub enum RepairError {
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// Something other than audio follows the data chunk (a LIST or other chunk another
    /// program added): extending the data over it would turn it into noise.
    #[error(
        "a \"{0}\" chunk follows the audio: the file was finished and changed by another program"
    )]
    TrailingChunk(String),
}

impl From<std::io::Error> for RepairError {
    fn from(e: std::io::Error) -> Self {
        RepairError::Layout(LayoutError::Io(e))
    }
}

/// Makes a WAV's header agree with its length: data size = everything after the data chunk
/// header (whole frames only), RIFF size to match. Torn trailing bytes are truncated. Only the
/// `data` chunk is touched: a file with another chunk after its data is refused, and a
/// symlink is never followed.
pub fn repair_in_place(path: &Path) -> Result<RepairReport, RepairError> {
    let mut file = open_regular(path, true)?;
    repair_file(&mut file)
}

/// [`repair_in_place`] on an open file.
pub fn repair_file(file: &mut File) -> Result<RepairReport, RepairError> {
    let layout = read_layout(file)?;
    let len = file.metadata()?.len();
    let available = len.saturating_sub(layout.data_offset);
    if let Some(id) = trailing_chunk(file, &layout, len)? {
        return Err(RepairError::TrailingChunk(id));
    }
    let align = u64::from(layout.block_align);
    let mut data_bytes = available - available % align;
    // A WAV cannot declare more than 4 GiB; keep whole frames under the limit.
    let max = u64::from(u32::MAX) - layout.data_offset;
    if data_bytes > max {
        data_bytes = max - max % align;
    }
    let trimmed = available - data_bytes;
    let was_consistent = u64::from(layout.declared_data_bytes) == data_bytes && trimmed == 0;
    if !was_consistent {
        if trimmed > 0 {
            file.set_len(layout.data_offset + data_bytes)?;
        }
        file.seek(SeekFrom::Start(4))?;
        file.write_all(&clamp_u32(layout.data_offset - 8 + data_bytes).to_le_bytes())?;
        file.seek(SeekFrom::Start(layout.data_offset - 4))?;
        file.write_all(&clamp_u32(data_bytes).to_le_bytes())?;
        file.sync_all()?;
    }
    Ok(RepairReport {
        layout,
        data_bytes,
        trimmed_bytes: trimmed,
        was_consistent,
    })
}

/// The id of a chunk that starts where the declared data (plus its pad byte) ends, when one
/// does: four printable ASCII characters and a size that ends within the file. Audio after a
/// crash's last checkpoint (at most about a second) looks like that by a chance of well
/// under one in a million.
fn trailing_chunk(
    file: &mut File,
    layout: &WavLayout,
    len: u64,
) -> std::io::Result<Option<String>> {
    let declared = u64::from(layout.declared_data_bytes);
    let at = layout.data_offset + declared + (declared & 1);
    if at + 8 > len {
        return Ok(None);
    }
    let mut head = [0u8; 8];
    file.seek(SeekFrom::Start(at))?;
    file.read_exact(&mut head)?;
    let id_ok = head[..4].iter().all(|b| b.is_ascii_graphic() || *b == b' ');
    let size = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
    Ok((id_ok && at + 8 + size <= len + 1)
        .then(|| String::from_utf8_lossy(&head[..4]).into_owned()))
}

/// WAV fixtures for the crate's unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;

    /// Writes a 16-bit PCM WAV of `samples` (interleaved when `channels` > 1).
    pub(crate) fn write_wav(
        path: &Path,
        rate: u32,
        channels: u16,
        samples: impl IntoIterator<Item = i16>,
    ) {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).expect("create test wav");
        for s in samples {
            w.write_sample(s).expect("test sample");
        }
        w.finalize().expect("finalize test wav");
    }

    /// A sine of `freq` Hz at `amplitude` (of full scale), sample `i` at `rate`.
    pub(crate) fn sine(i: u32, rate: u32, freq: f64, amplitude: f64) -> i16 {
        let t = f64::from(i) / f64::from(rate);
        ((2.0 * std::f64::consts::PI * freq * t).sin() * amplitude * 32_768.0) as i16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_leave_a_valid_file_that_hound_reads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.wav");
        let mut w = CheckpointedWav::create(&path, 16_000, 1).expect("create");
        let samples: Vec<i16> = (0..16_000).map(|i| (i % 300) as i16).collect();
        w.write_samples(&samples).expect("write");
        w.checkpoint(false).expect("checkpoint");
        // Simulate a crash: more samples buffered but never checkpointed, writer leaked.
        w.write_samples(&samples[..100]).expect("write");
        std::mem::forget(w);
        let r = hound::WavReader::open(&path).expect("valid after checkpoint");
        assert_eq!(r.duration(), 16_000);
        assert_eq!(r.spec().sample_rate, 16_000);
        let back: Vec<i16> = r
            .into_samples::<i16>()
            .map(|s| s.expect("sample"))
            .collect();
        assert_eq!(back, samples);
    }

    #[test]
    fn repair_fixes_sizes_from_the_file_length_and_trims_a_torn_frame() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("b.wav");
        let mut bytes = header(8_000, 2, 0).to_vec(); // header says "empty"
        bytes.extend(std::iter::repeat_n(7u8, 4 * 1000 + 3)); // 1000 frames + a torn one
        std::fs::write(&path, &bytes).expect("write");
        let report = repair_in_place(&path).expect("repair");
        assert!(!report.was_consistent);
        assert_eq!(report.data_bytes, 4000);
        assert_eq!(report.trimmed_bytes, 3);
        let r = hound::WavReader::open(&path).expect("valid after repair");
        assert_eq!(r.duration(), 1000);
        assert_eq!(r.spec().channels, 2);
        assert!(repair_in_place(&path).expect("again").was_consistent);
    }

    #[test]
    fn layout_rejects_non_wav_and_zero_channel_headers() {
        let mut c = std::io::Cursor::new(b"hello world, not audio".to_vec());
        assert!(matches!(read_layout(&mut c), Err(LayoutError::NotWav)));
        let mut h = header(16_000, 1, 0);
        h[22] = 0; // 0 channels
        let mut c = std::io::Cursor::new(h.to_vec());
        assert!(matches!(
            read_layout(&mut c),
            Err(LayoutError::BadFormat { .. })
        ));
        let mut c = std::io::Cursor::new(header(16_000, 1, 0)[..30].to_vec());
        assert!(matches!(
            read_layout(&mut c),
            Err(LayoutError::MissingChunk(_))
        ));
    }
}
