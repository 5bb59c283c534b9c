//! Downmix to mono and resample to 16 kHz, streaming, with rubato's FFT resampler (a real
//! band-limited resampler: no sample dropping, no aliasing from the 24 kHz band of a 48 kHz mic).

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler};

/// Frames of mono input per resampler call.
const CHUNK: usize = 1024;

/// Why a resampler could not be built (only for impossible rates such as 0 Hz).
#[derive(Debug, thiserror::Error)]
#[error("cannot resample from {from} Hz to {to} Hz: {reason}")]
pub struct ResampleSetupError {
    pub from: u32,
    pub to: u32,
    pub reason: String,
}

/// Interleaved multi-channel f32 in, mono f32 at the target rate out. Keeps its own buffers:
/// after construction, `push` only allocates when `out` has to grow.
pub struct MonoResampler {
    channels: usize,
    in_rate: u32,
    out_rate: u32,
    inner: Option<Fft<f32>>,
    pending: Vec<f32>,
    scratch_out: Vec<f32>,
    delay_left: usize,
    frames_in: u64,
    frames_out: u64,
}

impl std::fmt::Debug for MonoResampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonoResampler")
            .field("channels", &self.channels)
            .field("in_rate", &self.in_rate)
            .field("out_rate", &self.out_rate)
            .finish_non_exhaustive()
    }
}

impl MonoResampler {
    /// A resampler from `in_rate` with `channels` interleaved channels to mono `out_rate`.
    pub fn new(in_rate: u32, channels: u16, out_rate: u32) -> Result<Self, ResampleSetupError> {
        let err = |reason: String| ResampleSetupError {
            from: in_rate,
            to: out_rate,
            reason,
        };
        if in_rate == 0 || out_rate == 0 || channels == 0 {
            return Err(err(format!("{channels} channels is not a valid input")));
        }
        let inner = if in_rate == out_rate {
            None
        } else {
            Some(
                Fft::<f32>::new(
                    in_rate as usize,
                    out_rate as usize,
                    CHUNK,
                    1,
                    FixedSync::Input,
                )
                .map_err(|e| err(e.to_string()))?,
            )
        };
        let (delay, out_max) = inner
            .as_ref()
            .map(|r| (r.output_delay(), r.output_frames_max()))
            .unwrap_or((0, 0));
        Ok(MonoResampler {
            channels: usize::from(channels),
            in_rate,
            out_rate,
            inner,
            pending: Vec::with_capacity(CHUNK * 2),
            scratch_out: vec![0.0; out_max.max(1)],
            delay_left: delay,
            frames_in: 0,
            frames_out: 0,
        })
    }

    /// Feeds interleaved input; appends whatever mono output is ready to `out`.
    pub fn push(&mut self, interleaved: &[f32], out: &mut Vec<f32>) {
        let ch = self.channels;
        let frames = interleaved.len() / ch;
        self.frames_in += frames as u64;
        let scale = 1.0 / ch as f32;
        let mono = interleaved
            .chunks_exact(ch)
            .map(|f| f.iter().sum::<f32>() * scale);
        if self.inner.is_none() {
            let before = out.len();
            out.extend(mono);
            self.frames_out += (out.len() - before) as u64;
            return;
        }
        self.pending.extend(mono);
        self.drain_full_chunks(out);
    }

    fn drain_full_chunks(&mut self, out: &mut Vec<f32>) {
        let Some(r) = self.inner.as_mut() else {
            return;
        };
        let mut start = 0;
        loop {
            let need = r.input_frames_next();
            if self.pending.len() - start < need {
                break;
            }
            let input = &self.pending[start..start + need];
            let produced = run(r, input, None, &mut self.scratch_out);
            start += need;
            emit(
                &self.scratch_out[..produced],
                &mut self.delay_left,
                &mut self.frames_out,
                u64::MAX,
                out,
            );
        }
        self.pending.drain(..start);
    }

    /// Flushes the resampler: everything pushed comes out, trimmed to exactly
    /// `⌊frames_in × out_rate / in_rate⌋` frames so durations stay exact and never grow.
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        let expected = self.expected_out_frames();
        let Some(r) = self.inner.as_mut() else {
            return;
        };
        // Feed the rest, then silence, until the delayed tail has come out.
        let mut guard = 0;
        while self.frames_out < expected && guard < 64 {
            guard += 1;
            let need = r.input_frames_next();
            let avail = self.pending.len().min(need);
            let mut input = std::mem::take(&mut self.pending);
            input.resize(need, 0.0);
            let idx = Indexing::new().partial_len(avail);
            let produced = run(r, &input, Some(&idx), &mut self.scratch_out);
            input.clear();
            self.pending = input;
            emit(
                &self.scratch_out[..produced],
                &mut self.delay_left,
                &mut self.frames_out,
                expected,
                out,
            );
        }
    }

    /// Output frames the input pushed so far will produce in total: the input's duration at
    /// the output rate, rounded down, so a conversion is never longer than its input (a take
    /// of exactly 45:00 stays within the API's limit).
    pub fn expected_out_frames(&self) -> u64 {
        let frames =
            u128::from(self.frames_in) * u128::from(self.out_rate) / u128::from(self.in_rate);
        u64::try_from(frames).unwrap_or(u64::MAX)
    }

    /// Output frames produced so far.
    pub fn frames_out(&self) -> u64 {
        self.frames_out
    }
}

fn run(r: &mut Fft<f32>, input: &[f32], idx: Option<&Indexing>, scratch: &mut [f32]) -> usize {
    let frames_in = input.len();
    let frames_out = scratch.len();
    let (Ok(inp), Ok(mut outp)) = (
        InterleavedSlice::new(input, 1, frames_in),
        InterleavedSlice::new_mut(scratch, 1, frames_out),
    ) else {
        return 0;
    };
    // The buffers are sized from the resampler's own figures, so this cannot fail; if it
    // ever did, dropping one chunk beats stopping a recording.
    match r.process_into_buffer(&inp, &mut outp, idx) {
        Ok((_, produced)) => produced,
        Err(_) => 0,
    }
}

fn emit(
    chunk: &[f32],
    delay_left: &mut usize,
    frames_out: &mut u64,
    limit: u64,
    out: &mut Vec<f32>,
) {
    let skip = (*delay_left).min(chunk.len());
    *delay_left -= skip;
    let rest = &chunk[skip..];
    let room = limit.saturating_sub(*frames_out).min(rest.len() as u64) as usize;
    out.extend_from_slice(&rest[..room]);
    *frames_out += room as u64;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, freq: f32, amp: f32, seconds: f32, channels: usize) -> Vec<f32> {
        let n = (rate as f32 * seconds) as usize;
        let mut v = Vec::with_capacity(n * channels);
        for i in 0..n {
            let s = amp * (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin();
            v.extend(std::iter::repeat_n(s, channels));
        }
        v
    }

    /// Goertzel power of one frequency, normalised to amplitude.
    fn amplitude_at(x: &[f32], rate: u32, freq: f32) -> f32 {
        let w = 2.0 * std::f64::consts::PI * f64::from(freq) / f64::from(rate);
        let (mut re, mut im) = (0f64, 0f64);
        for (i, &s) in x.iter().enumerate() {
            re += f64::from(s) * (w * i as f64).cos();
            im += f64::from(s) * (w * i as f64).sin();
        }
        (2.0 * (re * re + im * im).sqrt() / x.len() as f64) as f32
    }

    fn resample_all(input: &[f32], rate: u32, ch: u16, step: usize) -> Vec<f32> {
        let mut r = MonoResampler::new(rate, ch, 16_000).expect("resampler");
        let mut out = Vec::new();
        for piece in input.chunks(step * usize::from(ch)) {
            r.push(piece, &mut out);
        }
        r.finish(&mut out);
        out
    }

    #[test]
    fn keeps_a_tones_frequency_and_level_from_48k_stereo() {
        let input = tone(48_000, 440.0, 0.5, 2.0, 2);
        let out = resample_all(&input, 48_000, 2, 480);
        assert_eq!(out.len(), 32_000, "exact length");
        let body = &out[4_000..28_000];
        let at_440 = amplitude_at(body, 16_000, 440.0);
        assert!((at_440 - 0.5).abs() < 0.01, "level kept: {at_440}");
        assert!(amplitude_at(body, 16_000, 880.0) < 0.005);
        assert!(amplitude_at(body, 16_000, 400.0) < 0.01);
    }

    #[test]
    fn lines_up_in_time_without_a_leading_delay() {
        // A click at 0.5 s must come out at 0.5 s.
        let mut input = vec![0f32; 44_100];
        input[22_050] = 1.0;
        let out = resample_all(&input, 44_100, 1, 441);
        assert_eq!(out.len(), 16_000);
        let (pos, _) = out.iter().enumerate().fold((0, 0f32), |acc, (i, &v)| {
            if v.abs() > acc.1 { (i, v.abs()) } else { acc }
        });
        assert!((pos as i64 - 8_000).abs() <= 2, "click at {pos}");
    }

    #[test]
    fn removes_content_above_the_new_nyquist() {
        // 10 kHz cannot exist at 16 kHz: it must be filtered out, not folded to 6 kHz.
        let input = tone(48_000, 10_000.0, 0.5, 1.0, 1);
        let out = resample_all(&input, 48_000, 1, 1000);
        let body = &out[2_000..14_000];
        assert!(amplitude_at(body, 16_000, 6_000.0) < 0.005);
    }

    #[test]
    fn downmixes_by_averaging_and_passes_through_at_16k() {
        let mut input = Vec::new();
        for _ in 0..1600 {
            input.extend_from_slice(&[0.5f32, -0.1]);
        }
        let out = resample_all(&input, 16_000, 2, 100);
        assert_eq!(out.len(), 1600);
        assert!(out.iter().all(|&s| (s - 0.2).abs() < 1e-6));
    }

    #[test]
    fn refuses_zero_rates() {
        assert!(MonoResampler::new(0, 1, 16_000).is_err());
        assert!(MonoResampler::new(48_000, 0, 16_000).is_err());
    }
}
