//! The waveform of a take: min/max peaks per short bucket, computed once (streaming from
//! disk, memory bounded by the number of buckets, about 2.7 MB for 45 minutes), with the
//! stretches of silence and of clipping marked, and a level-of-detail query so drawing a
//! frame costs the same for a 10-second take and a 45-minute one.
//!
//! - [`Waveform::compute`] reads the take (blocking: run it off the UI thread).
//! - [`Waveform::load_or_compute`] does the same through a small binary cache file in a folder
//!   the caller names (the app's data dir), keyed by the take's path, modification time and
//!   size, so reopening a take costs a file read.
//! - [`Waveform::columns_into`] gives the peaks of a visible time range at N pixel columns
//!   (O(N): it reads from a pyramid of coarser levels, never more than a few buckets a column).
//! - [`Waveform::silences`] / [`Waveform::clipping`] (and their `_in` range forms) give the
//!   marks to draw.

use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::AudioError;
use super::decode::{Decoder, frames_duration, frames_in};
use super::meter::{CLIP_LEVEL, SILENCE_WARNING_AFTER};
use super::probe::{self, AudioFormat};
use super::sample::f32_to_i16;
use super::wav;

/// Buckets per second at the finest level (8 ms each): fine enough to see syllables at full
/// width, coarse enough that 45 minutes is 337 500 buckets.
pub const BUCKETS_PER_SECOND: u32 = 125;

/// A bucket whose RMS is below this is quiet (dBFS): room noise, a pause, a muted microphone.
pub const SILENCE_DBFS: f32 = -50.0;

/// Quiet stretches at least this long are marked as silence (shorter ones are the pauses of
/// ordinary speech).
pub const MIN_SILENCE: Duration = SILENCE_WARNING_AFTER;

/// Clipped stretches closer than this are marked as one.
pub const CLIP_MERGE_GAP: Duration = Duration::from_millis(100);

/// The largest cache file read back (a 45-minute take's is about 1.4 MB).
const CACHE_CAP: u64 = 64 * 1024 * 1024;
const CACHE_MAGIC: &[u8; 4] = b"SSPK";
const CACHE_VERSION: u32 = 1;

/// The lowest and highest sample of a stretch (any channel), full scale ±32767.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Peak {
    pub min: i16,
    pub max: i16,
}

impl Peak {
    /// No samples (a column past the end of the take).
    pub const EMPTY: Peak = Peak { min: 0, max: 0 };

    /// The lowest sample in [-1, 1].
    pub fn min_f32(self) -> f32 {
        f32::from(self.min) / 32768.0
    }

    /// The highest sample in [-1, 1].
    pub fn max_f32(self) -> f32 {
        f32::from(self.max) / 32768.0
    }

    fn merge(self, other: Peak) -> Peak {
        Peak {
            min: self.min.min(other.min),
            max: self.max.max(other.max),
        }
    }
}

/// A marked stretch of the take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub start: Duration,
    pub end: Duration,
}

/// The waveform of one take.
#[derive(Debug, Clone, PartialEq)]
pub struct Waveform {
    /// The take's own rate and length, in frames.
    pub sample_rate: u32,
    pub frames: u64,
    /// Frames per bucket at the finest level.
    pub bucket_frames: u32,
    /// `levels[0]` has one peak per bucket; each next level merges pairs of the one below.
    levels: Vec<Vec<Peak>>,
    silences: Vec<Mark>,
    clipping: Vec<Mark>,
}

impl Waveform {
    /// Reads `path` once, streaming, and computes its peaks and marks. Any format `prepare`
    /// reads; a 16-bit PCM WAV (every take the app records) is read directly.
    pub fn compute(path: &Path) -> Result<Waveform, AudioError> {
        super::convert::check_readable(path)?;
        let is_wav = probe::probe_file(path).is_ok_and(|i| i.format == AudioFormat::Wav);
        if is_wav && let Some(w) = Self::compute_pcm16_wav(path)? {
            return Ok(w);
        }
        let mut decoder = Decoder::open(path)?;
        let mut b = Builder::new(decoder.rate, usize::from(decoder.channels.max(1)));
        let mut pcm: Vec<i16> = Vec::with_capacity(16_384);
        while let Some(chunk) = decoder.next_chunk()? {
            pcm.clear();
            pcm.extend(chunk.iter().map(|&x| f32_to_i16(x)));
            b.push(&pcm);
        }
        Ok(b.finish())
    }

    /// The fast path: samples straight from a 16-bit PCM WAV; `None` for any other WAV.
    fn compute_pcm16_wav(path: &Path) -> Result<Option<Waveform>, AudioError> {
        let read_err = |e| AudioError::io("could not read", path, e);
        let mut file = std::fs::File::open(path).map_err(read_err)?;
        let Ok(layout) = wav::read_layout(&mut file) else {
            return Ok(None);
        };
        if !(layout.format_tag == 1 || layout.format_tag == 0xFFFE)
            || layout.bits_per_sample != 16
            || layout.block_align != 2 * layout.channels
        {
            return Ok(None);
        }
        let len = file.metadata().map_err(read_err)?.len();
        let data =
            u64::from(layout.declared_data_bytes).min(len.saturating_sub(layout.data_offset));
        let data = data - data % u64::from(layout.block_align);
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(layout.data_offset))
            .map_err(read_err)?;
        let mut reader = BufReader::with_capacity(1 << 16, file).take(data);
        let mut b = Builder::new(layout.sample_rate, usize::from(layout.channels));
        let mut bytes = vec![0u8; 1 << 16];
        let mut samples: Vec<i16> = Vec::with_capacity(1 << 15);
        let mut carry: Option<u8> = None;
        loop {
            let n = reader.read(&mut bytes).map_err(read_err)?;
            if n == 0 {
                break;
            }
            samples.clear();
            let mut chunk = &bytes[..n];
            if let Some(lo) = carry.take()
                && let Some((&hi, rest)) = chunk.split_first()
            {
                samples.push(i16::from_le_bytes([lo, hi]));
                chunk = rest;
            }
            let whole = chunk.len() / 2;
            carry = chunk.get(whole * 2).copied();
            // An indexed loop into a slice, like `Builder::accumulate` (quick unoptimised too).
            let first = samples.len();
            samples.resize(first + whole, 0);
            let out = &mut samples[first..];
            let mut j = 0;
            while j < whole {
                out[j] = (u16::from(chunk[2 * j]) | u16::from(chunk[2 * j + 1]) << 8) as i16;
                j += 1;
            }
            b.push(&samples);
        }
        Ok(Some(b.finish()))
    }

    /// [`compute`](Self::compute) through a cache file in `cache_dir`, keyed by the take's
    /// path, modification time and size (a changed take is computed again). A cache that
    /// cannot be read or written only costs the computation; it is never an error.
    pub fn load_or_compute(path: &Path, cache_dir: &Path) -> Result<Waveform, AudioError> {
        let key = cache_key(path);
        let cache = key.as_ref().map(|k| cache_dir.join(cache_file_name(k)));
        if let (Some(key), Some(cache)) = (&key, &cache)
            && let Some(w) = read_cache(cache, key)
        {
            return Ok(w);
        }
        let w = Waveform::compute(path)?;
        if let (Some(key), Some(cache)) = (&key, &cache)
            && let Err(e) = write_cache(&w, cache, key)
        {
            tracing::warn!("waveform cache {} not written: {e}", cache.display());
        }
        Ok(w)
    }

    /// The take's length.
    pub fn duration(&self) -> Duration {
        frames_duration(self.frames, self.sample_rate)
    }

    /// Peaks of `start..end` at `columns` columns, appended to `out` (cleared first): column
    /// `i` covers the `i`-th of `columns` equal parts of the range. Columns past the end of
    /// the take are [`Peak::EMPTY`]. Reads at most a few buckets per column whatever the
    /// range, so it is cheap enough to call every frame.
    pub fn columns_into(
        &self,
        start: Duration,
        end: Duration,
        columns: usize,
        out: &mut Vec<Peak>,
    ) {
        out.clear();
        let s = frames_in(start, self.sample_rate);
        let e = frames_in(end, self.sample_rate);
        if columns == 0 {
            return;
        }
        if e <= s || self.levels.is_empty() {
            out.resize(columns, Peak::EMPTY);
            return;
        }
        let span = u128::from(e - s);
        let per_column = (span / columns as u128).max(1);
        // The coarsest level whose buckets are no wider than a column.
        let mut level = 0;
        while level + 1 < self.levels.len()
            && u128::from(self.bucket_frames) << (level + 1) <= per_column
        {
            level += 1;
        }
        let peaks = &self.levels[level];
        let width = u64::from(self.bucket_frames) << level;
        for i in 0..columns as u128 {
            let from = s + (span * i / columns as u128) as u64;
            let to = (s + (span * (i + 1) / columns as u128) as u64).max(from + 1);
            if from >= self.frames {
                out.push(Peak::EMPTY);
                continue;
            }
            let a = (from / width) as usize;
            let b = (to.min(self.frames).div_ceil(width) as usize).clamp(a + 1, peaks.len());
            out.push(
                peaks[a..b]
                    .iter()
                    .copied()
                    .reduce(Peak::merge)
                    .unwrap_or(Peak::EMPTY),
            );
        }
    }

    /// [`columns_into`](Self::columns_into) into a new vector.
    pub fn columns(&self, start: Duration, end: Duration, columns: usize) -> Vec<Peak> {
        let mut out = Vec::with_capacity(columns);
        self.columns_into(start, end, columns, &mut out);
        out
    }

    /// Stretches of silence (RMS under [`SILENCE_DBFS`] for at least [`MIN_SILENCE`]).
    pub fn silences(&self) -> &[Mark] {
        &self.silences
    }

    /// Stretches with clipped samples (at or above the meter's clip level), nearby ones merged.
    pub fn clipping(&self) -> &[Mark] {
        &self.clipping
    }

    /// The silences that overlap `start..end`.
    pub fn silences_in(&self, start: Duration, end: Duration) -> &[Mark] {
        overlapping(&self.silences, start, end)
    }

    /// The clipped stretches that overlap `start..end`.
    pub fn clipping_in(&self, start: Duration, end: Duration) -> &[Mark] {
        overlapping(&self.clipping, start, end)
    }

    fn from_parts(
        sample_rate: u32,
        frames: u64,
        bucket_frames: u32,
        base: Vec<Peak>,
        silences: Vec<Mark>,
        clipping: Vec<Mark>,
    ) -> Waveform {
        let mut levels = vec![base];
        while let Some(last) = levels.last().filter(|l| l.len() > 1) {
            let next = last
                .chunks(2)
                .map(|pair| {
                    pair.iter()
                        .copied()
                        .reduce(Peak::merge)
                        .unwrap_or(Peak::EMPTY)
                })
                .collect();
            levels.push(next);
        }
        Waveform {
            sample_rate,
            frames,
            bucket_frames,
            levels,
            silences,
            clipping,
        }
    }
}

/// The marks (sorted, not overlapping each other) that overlap `start..end`.
fn overlapping(marks: &[Mark], start: Duration, end: Duration) -> &[Mark] {
    let a = marks.partition_point(|m| m.end <= start);
    let b = marks.partition_point(|m| m.start < end).max(a);
    &marks[a..b]
}

/// The streaming pass: one bucket at a time, runs of quiet and clipped buckets as they end.
struct Builder {
    rate: u32,
    channels: usize,
    bucket_frames: u32,
    frames: u64,
    // The bucket being filled.
    in_bucket: u32,
    peak: Peak,
    sum_squares: f64,
    clipped: bool,
    peaks: Vec<Peak>,
    /// Mean square under which a bucket is quiet (full scale 32768² = 1).
    quiet_below: f64,
    clip_at: i32,
    quiet_run: Option<u64>,
    quiet: Vec<(u64, u64)>,
    clip_run: Option<(u64, u64)>,
    clips: Vec<(u64, u64)>,
}

impl Builder {
    fn new(rate: u32, channels: usize) -> Builder {
        let rate = rate.max(1);
        Builder {
            rate,
            channels: channels.max(1),
            bucket_frames: (rate / BUCKETS_PER_SECOND).max(1),
            frames: 0,
            in_bucket: 0,
            peak: Peak {
                min: i16::MAX,
                max: i16::MIN,
            },
            sum_squares: 0.0,
            clipped: false,
            peaks: Vec::new(),
            quiet_below: 10f64.powf(f64::from(SILENCE_DBFS) / 10.0),
            clip_at: (f64::from(CLIP_LEVEL) * 32768.0) as i32,
            quiet_run: None,
            quiet: Vec::new(),
            clip_run: None,
            clips: Vec::new(),
        }
    }

    /// Interleaved samples, whole frames: a bucket's stretch at a time.
    fn push(&mut self, interleaved: &[i16]) {
        let channels = self.channels;
        let mut rest = &interleaved[..interleaved.len() - interleaved.len() % channels];
        while !rest.is_empty() {
            let room = (self.bucket_frames - self.in_bucket) as usize * channels;
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.accumulate(now);
            let frames = (now.len() / channels) as u32;
            self.in_bucket += frames;
            self.frames += u64::from(frames);
            if self.in_bucket == self.bucket_frames {
                self.close_bucket();
            }
            rest = later;
        }
    }

    /// Adds whole frames of the bucket being filled. A plain indexed loop with local
    /// accumulators: the take's every sample passes here, and it stays quick even where the
    /// crate is built without optimisation (the dev profile).
    fn accumulate(&mut self, samples: &[i16]) {
        let (mut lo, mut hi) = (self.peak.min, self.peak.max);
        let mut squares = 0i64;
        let mut i = 0;
        while i < samples.len() {
            let s = samples[i];
            if s < lo {
                lo = s;
            }
            if s > hi {
                hi = s;
            }
            let v = i64::from(s);
            squares += v * v;
            i += 1;
        }
        self.peak = Peak { min: lo, max: hi };
        // The mean over channels of each frame's squares, summed over frames.
        self.sum_squares += squares as f64 / (32768.0 * 32768.0 * self.channels as f64);
        self.clipped |= i32::from(hi) >= self.clip_at || -i32::from(lo) >= self.clip_at;
    }

    fn close_bucket(&mut self) {
        let index = self.peaks.len() as u64;
        self.peaks.push(self.peak);
        let quiet = self.sum_squares / f64::from(self.in_bucket.max(1)) < self.quiet_below;
        match (quiet, self.quiet_run) {
            (true, None) => self.quiet_run = Some(index),
            (false, Some(from)) => {
                self.quiet.push((from, index));
                self.quiet_run = None;
            }
            _ => {}
        }
        if self.clipped {
            let gap = frames_in(CLIP_MERGE_GAP, self.rate) / u64::from(self.bucket_frames);
            self.clip_run = match self.clip_run {
                Some((from, to)) if index <= to + gap => Some((from, index + 1)),
                Some(run) => {
                    self.clips.push(run);
                    Some((index, index + 1))
                }
                None => Some((index, index + 1)),
            };
        }
        self.in_bucket = 0;
        self.peak = Peak {
            min: i16::MAX,
            max: i16::MIN,
        };
        self.sum_squares = 0.0;
        self.clipped = false;
    }

    fn finish(mut self) -> Waveform {
        if self.in_bucket > 0 {
            self.close_bucket();
        }
        let end = self.peaks.len() as u64;
        if let Some(from) = self.quiet_run.take() {
            self.quiet.push((from, end));
        }
        if let Some(run) = self.clip_run.take() {
            self.clips.push(run);
        }
        let (rate, frames, bf) = (self.rate, self.frames, u64::from(self.bucket_frames));
        let to_mark = |(a, b): (u64, u64)| Mark {
            start: frames_duration(a * bf, rate),
            end: frames_duration((b * bf).min(frames), rate),
        };
        let silences = self
            .quiet
            .into_iter()
            .map(to_mark)
            .filter(|m| m.end - m.start >= MIN_SILENCE)
            .collect();
        let clipping = self.clips.into_iter().map(to_mark).collect();
        Waveform::from_parts(
            rate,
            frames,
            self.bucket_frames,
            self.peaks,
            silences,
            clipping,
        )
    }
}

/// What a cache entry is valid for: the take's path, modification time and size.
fn cache_key(path: &Path) -> Option<Vec<u8>> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    let full = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut key = full.as_os_str().as_encoded_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(&mtime.to_le_bytes());
    key.extend_from_slice(&meta.len().to_le_bytes());
    Some(key)
}

/// `<fnv-1a 64 of the key>.peaks`: stable across builds (unlike std's hasher).
fn cache_file_name(key: &[u8]) -> PathBuf {
    let hash = key.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    PathBuf::from(format!("{hash:016x}.peaks"))
}

fn write_cache(w: &Waveform, cache: &Path, key: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = cache.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let base = w.levels.first().map_or(&[][..], Vec::as_slice);
    let mut out = Vec::with_capacity(64 + key.len() + base.len() * 4);
    out.extend_from_slice(CACHE_MAGIC);
    out.extend_from_slice(&CACHE_VERSION.to_le_bytes());
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&w.sample_rate.to_le_bytes());
    out.extend_from_slice(&w.frames.to_le_bytes());
    out.extend_from_slice(&w.bucket_frames.to_le_bytes());
    out.extend_from_slice(&(base.len() as u64).to_le_bytes());
    out.extend_from_slice(&(w.silences.len() as u32).to_le_bytes());
    out.extend_from_slice(&(w.clipping.len() as u32).to_le_bytes());
    for p in base {
        out.extend_from_slice(&p.min.to_le_bytes());
        out.extend_from_slice(&p.max.to_le_bytes());
    }
    for m in w.silences.iter().chain(&w.clipping) {
        out.extend_from_slice(&(m.start.as_nanos() as u64).to_le_bytes());
        out.extend_from_slice(&(m.end.as_nanos() as u64).to_le_bytes());
    }
    let tmp = cache.with_extension(format!("peaks.partial-{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&out)?;
    drop(f);
    std::fs::rename(&tmp, cache)
}

/// A cache entry for `key`, or `None` when there is none, it is for another version of the
/// take, or anything about it does not add up.
fn read_cache(cache: &Path, key: &[u8]) -> Option<Waveform> {
    let f = std::fs::File::open(cache).ok()?;
    if f.metadata().ok()?.len() > CACHE_CAP {
        return None;
    }
    let mut bytes = Vec::new();
    f.take(CACHE_CAP).read_to_end(&mut bytes).ok()?;
    let mut r = Cursor {
        bytes: &bytes,
        at: 0,
    };
    if r.take(4)? != CACHE_MAGIC || r.u32()? != CACHE_VERSION {
        return None;
    }
    let key_len = r.u32()? as usize;
    if r.take(key_len)? != key {
        return None;
    }
    let (sample_rate, frames, bucket_frames) = (r.u32()?, r.u64()?, r.u32()?);
    let n = usize::try_from(r.u64()?).ok()?;
    let (silences, clips) = (r.u32()? as usize, r.u32()? as usize);
    if sample_rate == 0
        || bucket_frames == 0
        || frames.div_ceil(u64::from(bucket_frames)) != n as u64
        || bytes.len() != r.at + n.checked_mul(4)? + (silences + clips).checked_mul(16)?
    {
        return None;
    }
    let mut base = Vec::with_capacity(n);
    for _ in 0..n {
        base.push(Peak {
            min: r.i16()?,
            max: r.i16()?,
        });
    }
    let mut marks = Vec::with_capacity(silences + clips);
    for _ in 0..silences + clips {
        marks.push(Mark {
            start: Duration::from_nanos(r.u64()?),
            end: Duration::from_nanos(r.u64()?),
        });
    }
    let clipping = marks.split_off(silences);
    Some(Waveform::from_parts(
        sample_rate,
        frames,
        bucket_frames,
        base,
        marks,
        clipping,
    ))
}

/// Reads little-endian fields off a byte slice; `None` past its end.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn i16(&mut self) -> Option<i16> {
        Some(i16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::wav::testing::{sine, write_wav};

    /// 16 kHz mono: 2 s of a 0.5-amplitude tone, 3 s of silence, 1 s clipped square wave,
    /// 2 s of tone.
    fn take(dir: &Path) -> PathBuf {
        let path = dir.join("take.wav");
        let tone = (0..32_000).map(|i| sine(i, 16_000, 200.0, 0.5));
        let square = (0..16_000).map(|i| {
            if (i / 40) % 2 == 0 {
                i16::MAX
            } else {
                i16::MIN
            }
        });
        let samples = tone
            .clone()
            .chain(std::iter::repeat_n(0, 48_000))
            .chain(square)
            .chain(tone);
        write_wav(&path, 16_000, 1, samples);
        path
    }

    fn brute_force(
        w: &Waveform,
        samples: &[i16],
        start: Duration,
        end: Duration,
        n: usize,
    ) -> Vec<Peak> {
        // The same column bounds, widened to whole buckets of the level the query uses.
        let got = w.columns(start, end, n);
        assert_eq!(got.len(), n);
        let s = frames_in(start, w.sample_rate) as usize;
        let e = frames_in(end, w.sample_rate) as usize;
        (0..n)
            .map(|i| {
                let from = s + (e - s) * i / n;
                let to = (s + (e - s) * (i + 1) / n).max(from + 1).min(samples.len());
                let slice = &samples[from.min(samples.len())..to];
                slice
                    .iter()
                    .fold(None, |acc: Option<Peak>, &x| {
                        let p = Peak { min: x, max: x };
                        Some(acc.map_or(p, |a| a.merge(p)))
                    })
                    .unwrap_or(Peak::EMPTY)
            })
            .collect()
    }

    #[test]
    fn peaks_marks_and_the_whole_take_in_one_column() {
        let dir = tempfile::tempdir().expect("tempdir");
        let w = Waveform::compute(&take(dir.path())).expect("waveform");
        assert_eq!(
            (w.sample_rate, w.frames, w.bucket_frames),
            (16_000, 128_000, 128)
        );
        assert_eq!(w.duration(), Duration::from_secs(8));
        let all = w.columns(Duration::ZERO, w.duration(), 1);
        assert_eq!(
            all,
            [Peak {
                min: i16::MIN,
                max: i16::MAX
            }]
        );
        assert_eq!(
            w.silences(),
            [Mark {
                start: Duration::from_secs(2),
                end: Duration::from_secs(5)
            }]
        );
        assert_eq!(w.clipping().len(), 1, "{:?}", w.clipping());
        let clip = w.clipping()[0];
        assert_eq!(
            (clip.start, clip.end),
            (Duration::from_secs(5), Duration::from_secs(6))
        );
        assert!(
            w.silences_in(Duration::from_secs(6), Duration::from_secs(8))
                .is_empty()
        );
        assert_eq!(
            w.clipping_in(Duration::from_millis(5_500), Duration::from_secs(7))
                .len(),
            1
        );
        // Silence reads as silence, the tone as ±0.5.
        let quiet = w.columns(Duration::from_secs(3), Duration::from_secs(4), 10);
        assert!(
            quiet.iter().all(|p| *p == Peak { min: 0, max: 0 }),
            "{quiet:?}"
        );
        let tone = w.columns(Duration::ZERO, Duration::from_secs(1), 4);
        assert!(
            tone.iter()
                .all(|p| (p.max_f32() - 0.5).abs() < 0.01 && (p.min_f32() + 0.5).abs() < 0.01),
            "{tone:?}"
        );
    }

    #[test]
    fn columns_agree_with_the_samples_at_every_zoom() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = take(dir.path());
        let w = Waveform::compute(&path).expect("waveform");
        let samples: Vec<i16> = hound::WavReader::open(&path)
            .expect("wav")
            .into_samples::<i16>()
            .map(|s| s.expect("sample"))
            .collect();
        // Column bounds fall inside buckets, so a column may include a few neighbouring
        // samples: it must contain the exact extremes of its own samples, and be no wider
        // than the buckets it touched.
        for (start, end, n) in [
            (0u64, 8_000u64, 800usize),
            (0, 8_000, 37),
            (1_234, 1_567, 100),
            (4_990, 5_010, 3),
            (7_000, 9_000, 50),
        ] {
            let (s, e) = (Duration::from_millis(start), Duration::from_millis(end));
            let exact = brute_force(&w, &samples, s, e, n);
            let got = w.columns(s, e, n);
            for (i, (g, x)) in got.iter().zip(&exact).enumerate() {
                if *x == Peak::EMPTY {
                    continue;
                }
                assert!(
                    g.min <= x.min && g.max >= x.max,
                    "{start}..{end}/{n} column {i}: {g:?} vs {x:?}"
                );
            }
        }
        // Past the end: empty columns.
        let past = w.columns(Duration::from_secs(8), Duration::from_secs(9), 5);
        assert_eq!(past, vec![Peak::EMPTY; 5]);
    }

    #[test]
    fn the_cache_is_used_until_the_take_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = take(dir.path());
        let cache = dir.path().join("cache");
        let first = Waveform::load_or_compute(&path, &cache).expect("compute");
        let files: Vec<_> = std::fs::read_dir(&cache).expect("ls").flatten().collect();
        assert_eq!(files.len(), 1);
        let key = cache_key(&path).expect("key");
        assert_eq!(
            read_cache(&files[0].path(), &key).as_ref(),
            Some(&first),
            "read back exactly"
        );
        let cached = Waveform::load_or_compute(&path, &cache).expect("load");
        assert_eq!(cached, first);
        assert_eq!(read_cache(&files[0].path(), b"another take"), None, "keyed");
        // A damaged cache file is ignored, not trusted.
        let file = files[0].path();
        let mut bytes = std::fs::read(&file).expect("read");
        bytes.truncate(bytes.len() - 3);
        std::fs::write(&file, &bytes).expect("write");
        assert_eq!(read_cache(&file, &key), None);
        assert_eq!(
            Waveform::load_or_compute(&path, &cache).expect("recompute"),
            first
        );
        // A changed take (new size and time) gets its own entry.
        std::thread::sleep(Duration::from_millis(20));
        let mut w = hound::WavWriter::append(&path).expect("append");
        for _ in 0..16_000 {
            w.write_sample(0i16).expect("s");
        }
        w.finalize().expect("finalize");
        let longer = Waveform::load_or_compute(&path, &cache).expect("again");
        assert_eq!(longer.frames, 144_000);
    }

    #[test]
    fn a_flac_goes_through_the_decoder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wav = take(dir.path());
        let flac = dir.path().join("take.flac");
        super::super::encode::wav_to_flac(&wav, &flac).expect("flac");
        let from_flac = Waveform::compute(&flac).expect("waveform");
        let from_wav = Waveform::compute(&wav).expect("waveform");
        assert_eq!(from_flac, from_wav, "lossless: the same waveform");
    }
}
