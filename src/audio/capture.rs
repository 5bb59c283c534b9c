//! The capture thread: it owns the cpal `Stream` (which is not `Send`), and the stream's
//! callback converts samples to f32 and pushes them into a lock-free SPSC ring (`rtrb`).
//!
//! The callback never locks, allocates, logs or does I/O. When the ring is full it drops the
//! excess and counts it (atomics only); the writer thread surfaces the count.
//!
//! A synthetic source with the same interface lets tests drive the recorder without a device
//! (including a device that "disappears" mid-take).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::{FromSample, Sample, SampleFormat};

use super::AudioError;
use super::devices::find_input_device;
use super::sample::to_f32;

/// Seconds of audio the ring holds: how long the writer may stall (slow disk) before samples
/// are dropped.
pub const RING_SECONDS: f64 = 8.0;

/// What the opened device delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureInfo {
    pub device: String,
    pub rate: u32,
    pub channels: u16,
    pub sample_format: String,
}

/// Counters and flags shared by the callback, the capture thread and the writer.
#[derive(Debug, Default)]
pub struct CaptureShared {
    /// Callbacks that found the ring full and dropped samples.
    pub overflows: AtomicU64,
    /// Samples dropped that way.
    pub dropped_samples: AtomicU64,
    /// Over/underruns the audio system reported (non-fatal).
    pub xruns: AtomicU64,
    /// Set once the stream is gone (stopped or failed); nothing more will enter the ring.
    pub ended: AtomicBool,
    /// Why the stream ended by itself (device lost, ...); `None` after a requested stop.
    pub failure: Mutex<Option<String>>,
}

impl CaptureShared {
    /// The failure message, if the stream ended by itself.
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().map(|g| g.clone()).unwrap_or(None)
    }
}

/// Where samples come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A cpal input device (`None`: the default input), by id or name.
    Device(Option<String>),
    /// A generated signal delivered in real time; for tests and demos.
    Synthetic(Synthetic),
}

/// A generated input: a sine of `amplitude` at `freq` Hz (0 amplitude = digital silence).
#[derive(Debug, Clone)]
pub struct Synthetic {
    pub rate: u32,
    pub channels: u16,
    pub freq: f32,
    pub amplitude: f32,
    /// Simulate the device disappearing after this long.
    pub fail_after: Option<Duration>,
    /// Deliver this much faster than real time (1.0 = real time).
    pub speed: f64,
    /// Silently stop delivering after this long, without reporting an error (a backend that
    /// loses a device without saying so).
    pub stall_after: Option<Duration>,
    /// Once stalled, also stop answering commands, like a backend stuck inside a dead audio
    /// server (the thread then sleeps for a minute before ending).
    pub hang_when_stalled: bool,
}

enum Command {
    Stop,
    StreamError(String),
}

/// A running capture. Dropping it stops the stream.
#[derive(Debug)]
pub struct Capture {
    pub info: CaptureInfo,
    pub shared: Arc<CaptureShared>,
    /// When opening began: no real device can have delivered more sound than has passed
    /// since.
    pub opened: Instant,
    commands: mpsc::Sender<Command>,
    thread: Option<JoinHandle<()>>,
    /// Closed (or sent to) when the capture thread is done.
    done: mpsc::Receiver<()>,
}

/// How long a stop may take before the capture thread is abandoned: when an audio server
/// dies, the backend's own thread can block forever, and the take must still be finished.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(2);
/// How long opening a device may take.
pub const OPEN_TIMEOUT: Duration = Duration::from_secs(10);

impl Capture {
    /// Opens the source and starts delivering into a new ring; returns the ring's consumer.
    pub fn start(source: Source) -> Result<(Capture, rtrb::Consumer<f32>), AudioError> {
        let opened = Instant::now();
        let shared = Arc::new(CaptureShared::default());
        let (cmd_tx, cmd_rx) = mpsc::channel::<Command>();
        let (init_tx, init_rx) = mpsc::sync_channel(1);
        let thread_shared = Arc::clone(&shared);
        let err_tx = cmd_tx.clone();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("audio-capture".into())
            .spawn(move || {
                match source {
                    Source::Device(name) => {
                        device_thread(name, thread_shared, cmd_rx, err_tx, init_tx)
                    }
                    Source::Synthetic(spec) => {
                        synthetic_thread(spec, thread_shared, cmd_rx, init_tx)
                    }
                }
                let _ = done_tx.send(());
            })
            .map_err(|e| AudioError::Device {
                device: "capture".into(),
                reason: format!("could not start the capture thread: {e}"),
            })?;
        let init = match init_rx.recv_timeout(OPEN_TIMEOUT) {
            Ok(init) => init,
            Err(RecvTimeoutError::Timeout) => {
                // Stuck inside the backend: leave the thread, report the device.
                return Err(AudioError::Device {
                    device: "input".into(),
                    reason: "the audio system did not respond while opening the microphone".into(),
                });
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(AudioError::ThreadPanicked("capture"));
            }
        };
        match init {
            Ok((info, consumer)) => Ok((
                Capture {
                    info,
                    shared,
                    opened,
                    commands: cmd_tx,
                    thread: Some(thread),
                    done: done_rx,
                },
                consumer,
            )),
            Err(e) => {
                let _ = thread.join();
                Err(e)
            }
        }
    }

    /// Stops the stream and waits for the capture thread; afterwards nothing enters the ring.
    /// Gives up on a thread stuck in the backend after [`STOP_TIMEOUT`] (it is left behind and
    /// a failure is recorded), so a dead audio server can never hang a recording's end.
    pub fn stop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        if let Some(t) = self.thread.take() {
            match self.done.recv_timeout(STOP_TIMEOUT) {
                Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                    let _ = t.join();
                }
                Err(RecvTimeoutError::Timeout) => {
                    if let Ok(mut f) = self.shared.failure.lock()
                        && f.is_none()
                    {
                        *f = Some(format!(
                            "the audio system stopped responding while recording from \"{}\"",
                            self.info.device
                        ));
                    }
                    drop(t);
                }
            }
        }
        self.shared.ended.store(true, Ordering::Release);
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop();
    }
}

type Init = Result<(CaptureInfo, rtrb::Consumer<f32>), AudioError>;

fn ring_for(rate: u32, channels: u16) -> (rtrb::Producer<f32>, rtrb::Consumer<f32>) {
    let cap = (f64::from(rate) * f64::from(channels) * RING_SECONDS) as usize;
    rtrb::RingBuffer::new(cap.max(4096))
}

fn device_thread(
    name: Option<String>,
    shared: Arc<CaptureShared>,
    commands: mpsc::Receiver<Command>,
    err_tx: mpsc::Sender<Command>,
    init: mpsc::SyncSender<Init>,
) {
    let opened = open_device_stream(name.as_deref(), &shared, err_tx);
    let (stream, info) = match opened {
        Ok((stream, info, consumer)) => {
            let _ = init.send(Ok((info.clone(), consumer)));
            (stream, info)
        }
        Err(e) => {
            shared.ended.store(true, Ordering::Release);
            let _ = init.send(Err(e));
            return;
        }
    };
    // Park until told to stop or the stream reports a fatal error.
    let failure = match commands.recv() {
        Ok(Command::Stop) | Err(_) => None,
        Ok(Command::StreamError(msg)) => Some(msg),
    };
    drop(stream);
    if let Some(msg) = failure
        && let Ok(mut f) = shared.failure.lock()
    {
        *f = Some(format!(
            "the microphone \"{}\" stopped working: {msg}",
            info.device
        ));
    }
    shared.ended.store(true, Ordering::Release);
}

fn open_device_stream(
    name: Option<&str>,
    shared: &Arc<CaptureShared>,
    err_tx: mpsc::Sender<Command>,
) -> Result<(cpal::Stream, CaptureInfo, rtrb::Consumer<f32>), AudioError> {
    let (device, label) = find_input_device(name)?;
    let dev_err = |reason: String| AudioError::Device {
        device: label.clone(),
        reason,
    };
    // Open the device at its own default configuration: cpal never resamples, and through
    // PulseAudio that is f32 48 kHz stereo, not mono 16 kHz. The writer converts.
    let supported = device
        .default_input_config()
        .map_err(|e| dev_err(e.to_string()))?;
    let format = supported.sample_format();
    let config: cpal::StreamConfig = supported.config();
    let info = CaptureInfo {
        device: label.clone(),
        rate: config.sample_rate,
        channels: config.channels,
        sample_format: format.to_string(),
    };
    let mut config = config;
    config.buffer_size = buffer_size_for(&device, config.sample_rate);
    let (stream, consumer) =
        build_stream(&device, config, format, shared, err_tx).map_err(dev_err)?;
    stream.play().map_err(|e| dev_err(e.to_string()))?;
    Ok((stream, info, consumer))
}

/// Audio per callback a sound server is asked for: what the meter needs to move 20 times a
/// second, and no smaller (each delivery costs wake-ups).
pub const SERVER_FRAGMENT: Duration = Duration::from_millis(50);

/// The period to ask for. Measured with `benches/record_vmic.rs` (release build, same virtual
/// source, side by side with `parec`):
/// - PulseAudio host: without a size the server picks 2-second fragments (the meter would
///   jump every 2 s on a real microphone), so ask for [`SERVER_FRAGMENT`]; the CPU cost is set
///   by how often the source delivers, not by this size.
/// - ALSA host (through the pulse plugin): the device's default period is cheapest; 5, 10,
///   25 and 50 ms periods cost 16.7, 26, 9.1 and 9.7 % of a core against 7.4 % for the
///   default, because cpal polls again at once whenever the plugin wakes it before a whole
///   period is ready.
fn buffer_size_for(device: &cpal::Device, rate: u32) -> cpal::BufferSize {
    let host = device.id().map(|id| id.host()).ok();
    if host == Some(cpal::HostId::PulseAudio) {
        let frames = (f64::from(rate) * SERVER_FRAGMENT.as_secs_f64()).round() as u32;
        cpal::BufferSize::Fixed(frames.max(1))
    } else {
        cpal::BufferSize::Default
    }
}

fn build_stream(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    format: SampleFormat,
    shared: &Arc<CaptureShared>,
    err_tx: mpsc::Sender<Command>,
) -> Result<(cpal::Stream, rtrb::Consumer<f32>), String> {
    let (producer, consumer) = ring_for(config.sample_rate, config.channels);
    let err_shared = Arc::clone(shared);
    let on_error = move |e: cpal::Error| match e.kind() {
        // Glitches and reroutes are not fatal: count them and keep recording.
        cpal::ErrorKind::Xrun
        | cpal::ErrorKind::DeviceChanged
        | cpal::ErrorKind::RealtimeDenied => {
            err_shared.xruns.fetch_add(1, Ordering::Relaxed);
        }
        _ => {
            let _ = err_tx.send(Command::StreamError(e.to_string()));
        }
    };
    let ch = usize::from(config.channels);
    let s = Arc::clone(shared);
    macro_rules! build {
        ($t:ty) => {
            device.build_input_stream::<$t, _, _>(
                config,
                callback::<$t>(producer, s, ch),
                on_error,
                Some(Duration::from_secs(5)),
            )
        };
    }
    let stream = match format {
        SampleFormat::I8 => build!(i8),
        SampleFormat::I16 => build!(i16),
        SampleFormat::I24 => build!(cpal::I24),
        SampleFormat::I32 => build!(i32),
        SampleFormat::I64 => build!(i64),
        SampleFormat::U8 => build!(u8),
        SampleFormat::U16 => build!(u16),
        SampleFormat::U24 => build!(cpal::U24),
        SampleFormat::U32 => build!(u32),
        SampleFormat::U64 => build!(u64),
        SampleFormat::F32 => build!(f32),
        SampleFormat::F64 => build!(f64),
        other => {
            return Err(format!(
                "it delivers {other} samples, which are not supported"
            ));
        }
    }
    .map_err(|e| e.to_string())?;
    Ok((stream, consumer))
}

/// The real-time callback: convert and push whole frames; count what does not fit.
fn callback<T>(
    mut producer: rtrb::Producer<f32>,
    shared: Arc<CaptureShared>,
    channels: usize,
) -> impl FnMut(&[T], &cpal::InputCallbackInfo) + Send + 'static
where
    T: Sample + Send + 'static,
    f32: FromSample<T>,
{
    move |data: &[T], _: &cpal::InputCallbackInfo| {
        push_converted(&mut producer, &shared, channels, data);
    }
}

/// Pushes as many whole frames of `data` as fit; counts an overflow when some do not.
#[inline]
pub fn push_converted<T>(
    producer: &mut rtrb::Producer<f32>,
    shared: &CaptureShared,
    channels: usize,
    data: &[T],
) where
    T: Sample,
    f32: FromSample<T>,
{
    let slots = producer.slots();
    let fit = data.len().min(slots - slots % channels.max(1));
    if fit > 0
        && let Ok(chunk) = producer.write_chunk_uninit(fit)
    {
        chunk.fill_from_iter(data[..fit].iter().map(|&s| to_f32(s)));
    }
    if fit < data.len() {
        shared.overflows.fetch_add(1, Ordering::Relaxed);
        shared
            .dropped_samples
            .fetch_add((data.len() - fit) as u64, Ordering::Relaxed);
    }
}

fn synthetic_thread(
    spec: Synthetic,
    shared: Arc<CaptureShared>,
    commands: mpsc::Receiver<Command>,
    init: mpsc::SyncSender<Init>,
) {
    let (mut producer, consumer) = ring_for(spec.rate, spec.channels);
    let info = CaptureInfo {
        device: "synthetic".into(),
        rate: spec.rate,
        channels: spec.channels,
        sample_format: "f32".into(),
    };
    if init.send(Ok((info, consumer))).is_err() {
        return;
    }
    let ch = usize::from(spec.channels.max(1));
    let period = Duration::from_millis(10);
    let frames_per_period = (f64::from(spec.rate) * 0.01 * spec.speed.max(0.01)) as usize;
    let mut buf = vec![0f32; frames_per_period * ch];
    let mut n: u64 = 0;
    let start = Instant::now();
    let simulated = |n: u64| Duration::from_secs_f64(n as f64 / f64::from(spec.rate));
    let stall_frames = spec
        .stall_after
        .map(|a| (a.as_secs_f64() * f64::from(spec.rate)).round() as u64);
    loop {
        if spec.hang_when_stalled && stall_frames.is_some_and(|f| n >= f) {
            std::thread::sleep(Duration::from_secs(60));
            break;
        }
        match commands.recv_timeout(period) {
            Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => break,
            Ok(Command::StreamError(_)) | Err(RecvTimeoutError::Timeout) => {}
        }
        if let Some(after) = spec.fail_after
            && simulated(n) >= after
        {
            if let Ok(mut f) = shared.failure.lock() {
                *f = Some(
                    "the microphone \"synthetic\" stopped working: the device was disconnected"
                        .into(),
                );
            }
            break;
        }
        // Deliver what the elapsed (scaled) time calls for.
        let mut due = (start.elapsed().as_secs_f64() * spec.speed * f64::from(spec.rate)) as u64;
        if let Some(after) = spec.fail_after {
            // A real device stops delivering at the moment it disappears.
            due = due.min((after.as_secs_f64() * f64::from(spec.rate)).round() as u64);
        }
        if let Some(after) = spec.stall_after {
            due = due.min((after.as_secs_f64() * f64::from(spec.rate)).round() as u64);
        }
        while n < due {
            let frames = ((due - n) as usize).min(frames_per_period.max(1));
            for f in 0..frames {
                let t = (n + f as u64) as f32 / spec.rate as f32;
                let s = spec.amplitude * (2.0 * std::f32::consts::PI * spec.freq * t).sin();
                buf[f * ch..(f + 1) * ch].fill(s);
            }
            push_converted(&mut producer, &shared, ch, &buf[..frames * ch]);
            n += frames as u64;
        }
    }
    shared.ended.store(true, Ordering::Release);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_ring_drops_whole_frames_and_counts_the_overflow() {
        let (mut p, mut c) = rtrb::RingBuffer::<f32>::new(9);
        let shared = CaptureShared::default();
        push_converted(&mut p, &shared, 2, &[1000i16; 12]);
        assert_eq!(c.slots(), 8, "only whole stereo frames enter the ring");
        assert_eq!(shared.overflows.load(Ordering::Relaxed), 1);
        assert_eq!(shared.dropped_samples.load(Ordering::Relaxed), 4);
        let v = c.pop().expect("sample");
        assert!((v - 1000.0 / 32768.0).abs() < 1e-6);
    }
}
