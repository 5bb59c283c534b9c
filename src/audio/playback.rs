//! Playing a take (or a stretch of it) through the default output: a thread owns the cpal
//! output stream (not `Send`) and decodes + resamples into a lock-free ring that the output
//! callback drains. Seeking is a new [`Player::play_range`] from the new position (the
//! decoder positions sample-exactly), so the callback never waits on a seek.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, Sample, SampleFormat};

use super::AudioError;
use super::decode::Decoder;
use super::resample::MonoResampler;

#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    decoded_all: AtomicBool,
    finished: AtomicBool,
    frames_played: AtomicU64,
}

/// A take being played. Dropping it stops playback.
#[derive(Debug)]
pub struct Player {
    shared: Arc<Shared>,
    rate: u32,
    duration: Duration,
    /// Where in the take playback started.
    start: Duration,
    /// Where it stops, when a stretch is played.
    end: Option<Duration>,
    thread: Option<JoinHandle<()>>,
}

impl Player {
    /// Starts playing `path` (any format we can decode) on the default output device.
    pub fn play(path: &Path) -> Result<Player, AudioError> {
        Player::play_range(path, Duration::ZERO, None)
    }

    /// Plays `start..end` of `path` (`end: None`: to the end of the take). The position
    /// counts from the start of the take, so a playhead reads it directly.
    pub fn play_range(
        path: &Path,
        start: Duration,
        end: Option<Duration>,
    ) -> Result<Player, AudioError> {
        super::convert::check_readable(path)?;
        let duration = super::probe::probe_file(path)
            .map(|i| i.duration)
            .unwrap_or_default();
        let shared = Arc::new(Shared::default());
        let (init_tx, init_rx) = std::sync::mpsc::sync_channel::<Result<u32, AudioError>>(1);
        let path = path.to_path_buf();
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("audio-playback".into())
            .spawn(move || playback_thread(&path, start, end, s, init_tx))
            .map_err(|e| AudioError::Device {
                device: "output".into(),
                reason: e.to_string(),
            })?;
        match init_rx.recv() {
            Ok(Ok(rate)) => Ok(Player {
                shared,
                rate,
                duration,
                start,
                end,
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(AudioError::ThreadPanicked("playback")),
        }
    }

    /// How far playback has got, from the start of the take.
    pub fn position(&self) -> Duration {
        let played = Duration::from_secs_f64(
            self.shared.frames_played.load(Ordering::Relaxed) as f64 / f64::from(self.rate.max(1)),
        );
        let at = self.start + played;
        match self.end {
            Some(end) => at.min(end),
            None => at.min(self.duration.max(self.start)),
        }
    }

    /// Length of the whole take (as probed), not of the stretch played.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// The stretch being played: where it started and where it stops (`None`: the end).
    pub fn range(&self) -> (Duration, Option<Duration>) {
        (self.start, self.end)
    }

    /// True once everything was played (or playback stopped).
    pub fn is_finished(&self) -> bool {
        self.shared.finished.load(Ordering::Acquire)
    }

    /// Stops playback and releases the device.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.shared.finished.store(true, Ordering::Release);
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.stop();
    }
}

fn playback_thread(
    path: &Path,
    start: Duration,
    end: Option<Duration>,
    shared: Arc<Shared>,
    init: std::sync::mpsc::SyncSender<Result<u32, AudioError>>,
) {
    let opened = (|| {
        let host = cpal::default_host();
        let device = host
            .default_output_device()
            .ok_or(AudioError::NoOutputDevice)?;
        let name = super::devices::device_label(&device);
        let dev_err = |reason: String| AudioError::Device {
            device: name.clone(),
            reason,
        };
        let supported = device
            .default_output_config()
            .map_err(|e| dev_err(e.to_string()))?;
        let format = supported.sample_format();
        let config = supported.config();
        let decoder = if start.is_zero() && end.is_none() {
            Decoder::open(path)?
        } else {
            Decoder::open_range(path, start, end)?
        };
        let resampler = MonoResampler::new(decoder.rate, decoder.channels, config.sample_rate)
            .map_err(|e| dev_err(e.to_string()))?;
        let (producer, consumer) = rtrb::RingBuffer::<f32>::new(config.sample_rate as usize);
        let ch = usize::from(config.channels.max(1));
        let s = Arc::clone(&shared);
        macro_rules! build {
            ($t:ty) => {
                device.build_output_stream::<$t, _, _>(
                    config,
                    out_callback::<$t>(consumer, s, ch),
                    |_| {},
                    Some(Duration::from_secs(5)),
                )
            };
        }
        let stream = match format {
            SampleFormat::I16 => build!(i16),
            SampleFormat::I32 => build!(i32),
            SampleFormat::U8 => build!(u8),
            SampleFormat::U16 => build!(u16),
            SampleFormat::F32 => build!(f32),
            SampleFormat::F64 => build!(f64),
            other => return Err(dev_err(format!("{other} output is not supported"))),
        }
        .map_err(|e| dev_err(e.to_string()))?;
        stream.play().map_err(|e| dev_err(e.to_string()))?;
        Ok((stream, decoder, resampler, producer, config.sample_rate))
    })();
    let (stream, mut decoder, mut resampler, mut producer, rate) = match opened {
        Ok(v) => v,
        Err(e) => {
            let _ = init.send(Err(e));
            return;
        }
    };
    let _ = init.send(Ok(rate));
    let mut mono: Vec<f32> = Vec::new();
    let mut pos = 0usize;
    let mut done_decoding = false;
    while !shared.stop.load(Ordering::Acquire) {
        if pos >= mono.len() {
            mono.clear();
            pos = 0;
            if !done_decoding {
                match decoder.next_chunk() {
                    Ok(Some(chunk)) => resampler.push(chunk, &mut mono),
                    Ok(None) | Err(_) => {
                        resampler.finish(&mut mono);
                        done_decoding = true;
                    }
                }
            } else {
                shared.decoded_all.store(true, Ordering::Release);
                if shared.finished.load(Ordering::Acquire) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        }
        let (_, rest) = producer.push_partial_slice(&mono[pos..]);
        let pushed = mono.len() - pos - rest.len();
        pos += pushed;
        if pushed == 0 {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    drop(stream);
    shared.finished.store(true, Ordering::Release);
}

fn out_callback<T>(
    mut consumer: rtrb::Consumer<f32>,
    shared: Arc<Shared>,
    channels: usize,
) -> impl FnMut(&mut [T], &cpal::OutputCallbackInfo) + Send + 'static
where
    T: Sample + FromSample<f32> + Send + 'static,
{
    move |out: &mut [T], _| {
        let mut played = 0u64;
        for frame in out.chunks_exact_mut(channels) {
            match consumer.pop() {
                Ok(x) => {
                    frame.fill(T::from_sample(x));
                    played += 1;
                }
                Err(_) => {
                    frame.fill(T::EQUILIBRIUM);
                    if shared.decoded_all.load(Ordering::Acquire) {
                        shared.finished.store(true, Ordering::Release);
                    }
                }
            }
        }
        shared.frames_played.fetch_add(played, Ordering::Relaxed);
    }
}
