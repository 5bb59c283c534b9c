//! The recorder end to end with a synthetic source (no device needed): the writer thread,
//! the meter, the limits, a device that disappears mid-take, a device faster than real time,
//! the microphone test (monitor) and the take's loudness.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use speech_scorer::audio::capture::{Source, Synthetic};
use speech_scorer::audio::recorder::RecorderOptions;
use speech_scorer::audio::{
    AudioError, Monitor, MonitorConfig, Recorder, RecorderConfig, RecorderState, StopReason,
    loudness, probe,
};

fn synthetic(amplitude: f32, fail_after: Option<Duration>, speed: f64) -> Source {
    Source::Synthetic(Synthetic {
        rate: 48_000,
        channels: 2,
        freq: 440.0,
        amplitude,
        fail_after,
        speed,
        stall_after: None,
        hang_when_stalled: false,
    })
}

fn config(dir: &std::path::Path, stem: &str) -> RecorderConfig {
    RecorderConfig {
        device: None,
        out_dir: dir.to_path_buf(),
        file_stem: stem.into(),
        on_update: None,
    }
}

fn wait_until(
    rec: &Recorder,
    what: &str,
    cond: impl Fn(&speech_scorer::audio::RecorderSnapshot) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if cond(&rec.snapshot()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}: {:?}", rec.snapshot());
}

#[test]
fn a_lost_device_ends_the_take_cleanly_and_keeps_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let updates = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&updates);
    let mut cfg = config(dir.path(), "lost");
    cfg.on_update = Some(Arc::new(move || {
        counter.fetch_add(1, Ordering::Relaxed);
    }));
    let opts = RecorderOptions {
        source: Some(synthetic(0.5, Some(Duration::from_secs(3)), 4.0)),
        allow_faster_than_real_time: true,
        ..Default::default()
    };
    let rec = Recorder::start_with(cfg, opts).expect("start");
    wait_until(&rec, "the device loss", |s| {
        matches!(s.state, RecorderState::Finished(_))
    });
    let snap = rec.snapshot();
    assert_eq!(snap.state, RecorderState::Finished(StopReason::DeviceLost));
    let msg = snap.error.clone().expect("the snapshot says why");
    assert!(
        msg.contains("stopped working") && msg.contains("is kept"),
        "{msg}"
    );
    assert!(
        (snap.meter.peak_dbfs - -6.02).abs() < 0.2,
        "{:?}",
        snap.meter
    );
    assert!(!snap.meter.clipped);
    assert!(!snap.level_history.is_empty());
    assert!(
        updates.load(Ordering::Relaxed) > 5,
        "on_update runs while recording"
    );
    let take = rec.stop().expect("the take is kept");
    assert!((take.duration.as_secs_f64() - 3.0).abs() < 0.02, "{take:?}");
    assert_eq!(take.overflows, 0);
    let info = probe::probe_file(&take.path).expect("a valid WAV");
    assert_eq!(info.sample_rate, Some(16_000));
    assert_eq!(info.channels, Some(1));
    assert_eq!(info.size_bytes, take.size_bytes);
    assert!(
        speech_scorer::audio::recovery::find_interrupted(dir.path()).is_empty(),
        "a cleanly ended take is not offered for repair"
    );
}

#[test]
fn stops_by_itself_at_the_maximum_length_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = RecorderOptions {
        source: Some(synthetic(0.3, None, 8.0)),
        max_duration: Duration::from_secs(2),
        allow_faster_than_real_time: true,
    };
    let rec = Recorder::start_with(config(dir.path(), "max"), opts).expect("start");
    wait_until(&rec, "auto-stop", |s| {
        matches!(s.state, RecorderState::Finished(_))
    });
    assert_eq!(
        rec.snapshot().state,
        RecorderState::Finished(StopReason::MaxDurationReached)
    );
    let take = rec.stop().expect("take");
    let r = hound::WavReader::open(&take.path).expect("wav");
    assert_eq!(r.duration(), 32_000, "exactly 2 s at 16 kHz");
    // The content is the 440 Hz tone at the right level (0.3 peak).
    let samples: Vec<f32> = r
        .into_samples::<i16>()
        .map(|s| f32::from(s.expect("sample")) / 32768.0)
        .collect();
    let peak = samples[1000..31_000]
        .iter()
        .fold(0f32, |m, s| m.max(s.abs()));
    assert!((peak - 0.3).abs() < 0.01, "peak {peak}");
    let crossings = samples[..16_000]
        .windows(2)
        .filter(|w| w[0] < 0.0 && w[1] >= 0.0)
        .count();
    assert!(
        (crossings as i64 - 440).abs() <= 2,
        "{crossings} cycles in 1 s"
    );
}

#[test]
fn digital_silence_is_reported_and_stop_never_overwrites_a_take() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("quiet.wav"), b"an earlier take").expect("write");
    let opts = RecorderOptions {
        source: Some(synthetic(0.0, None, 1.0)),
        ..Default::default()
    };
    let rec = Recorder::start_with(config(dir.path(), "quiet"), opts).expect("start");
    assert_eq!(rec.path(), dir.path().join("quiet-2.wav"));
    wait_until(&rec, "the silence warning", |s| s.meter.silence_warning());
    let snap = rec.snapshot();
    assert_eq!(snap.state, RecorderState::Recording);
    assert!(snap.meter.rms_dbfs <= -99.0);
    let asked = Instant::now();
    rec.request_stop();
    assert!(
        asked.elapsed() < Duration::from_millis(5),
        "request_stop never blocks"
    );
    wait_until(&rec, "the requested stop", |s| {
        s.state == RecorderState::Finished(StopReason::Requested)
    });
    let take = rec.stop().expect("take");
    assert!(take.duration >= Duration::from_secs(1));
    assert_eq!(
        std::fs::read(dir.path().join("quiet.wav")).expect("read"),
        b"an earlier take"
    );
}

#[test]
fn a_device_that_silently_stops_delivering_ends_the_take() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = Source::Synthetic(Synthetic {
        rate: 44_100,
        channels: 1,
        freq: 300.0,
        amplitude: 0.2,
        fail_after: None,
        speed: 1.0,
        stall_after: Some(Duration::from_millis(500)),
        hang_when_stalled: false,
    });
    let opts = RecorderOptions {
        source: Some(source),
        ..Default::default()
    };
    let rec = Recorder::start_with(config(dir.path(), "stall"), opts).expect("start");
    wait_until(&rec, "the stall to be noticed", |s| {
        matches!(s.state, RecorderState::Finished(_))
    });
    let snap = rec.snapshot();
    assert_eq!(snap.state, RecorderState::Finished(StopReason::DeviceLost));
    let msg = snap.error.expect("says why");
    assert!(msg.contains("stopped sending sound"), "{msg}");
    let take = rec.stop().expect("kept");
    assert!((take.duration.as_secs_f64() - 0.5).abs() < 0.01, "{take:?}");
}

#[test]
fn a_backend_stuck_in_a_dead_audio_server_cannot_hang_the_end_of_a_take() {
    // Seen for real: the PulseAudio daemon went away mid-take and cpal's ALSA thread blocked
    // forever inside the pulse plugin. The take must still end, be finished and be kept.
    let dir = tempfile::tempdir().expect("tempdir");
    let source = Source::Synthetic(Synthetic {
        rate: 48_000,
        channels: 2,
        freq: 300.0,
        amplitude: 0.2,
        fail_after: None,
        speed: 1.0,
        stall_after: Some(Duration::from_millis(400)),
        hang_when_stalled: true,
    });
    let opts = RecorderOptions {
        source: Some(source),
        ..Default::default()
    };
    let started = Instant::now();
    let rec = Recorder::start_with(config(dir.path(), "hung"), opts).expect("start");
    wait_until(&rec, "the take to end", |s| {
        matches!(s.state, RecorderState::Finished(_))
    });
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    let snap = rec.snapshot();
    assert_eq!(snap.state, RecorderState::Finished(StopReason::DeviceLost));
    let take = rec.stop().expect("kept");
    assert!((take.duration.as_secs_f64() - 0.4).abs() < 0.01, "{take:?}");
    assert!(hound::WavReader::open(&take.path).is_ok());
    assert!(speech_scorer::audio::recovery::find_interrupted(dir.path()).is_empty());
}

#[test]
fn a_source_far_faster_than_real_time_is_not_a_microphone_and_leaves_no_file() {
    // Like ALSA's `null` device, which "recorded" 45 minutes of silence in 3 seconds.
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = RecorderOptions {
        source: Some(synthetic(0.0, None, 200.0)),
        ..Default::default()
    };
    let started = Instant::now();
    let rec = Recorder::start_with(config(dir.path(), "null"), opts).expect("start");
    let path = rec.path().to_path_buf();
    wait_until(&rec, "the verdict", |s| {
        matches!(s.state, RecorderState::Finished(_))
    });
    // Judged at the writer's first look (the device was far ahead of the clock), not after
    // the 2-second rate check; the bound only catches "never".
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let snap = rec.snapshot();
    assert_eq!(snap.state, RecorderState::Finished(StopReason::NotRealTime));
    let msg = snap.error.expect("says why");
    assert!(msg.contains("is not a real microphone"), "{msg}");
    match rec.stop() {
        Err(AudioError::NotRealTime {
            device,
            seconds_delivered,
            seconds_elapsed,
        }) => {
            assert_eq!(device, "synthetic");
            assert!(seconds_delivered > seconds_elapsed + 3.0);
        }
        other => panic!("expected NotRealTime, got {other:?}"),
    }
    assert!(!path.exists(), "what such a device delivers is not kept");
    assert!(
        std::fs::read_dir(dir.path()).expect("dir").next().is_none(),
        "no file and no recovery marker left"
    );
}

#[test]
fn a_source_twice_as_fast_as_real_time_is_caught_within_a_few_seconds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = RecorderOptions {
        source: Some(synthetic(0.3, None, 2.0)),
        ..Default::default()
    };
    let started = Instant::now();
    let rec = Recorder::start_with(config(dir.path(), "fast"), opts).expect("start");
    wait_until(&rec, "the verdict", |s| {
        matches!(s.state, RecorderState::Finished(_))
    });
    let took = started.elapsed();
    assert!(
        // Not before the 2-second rate check can judge; the upper bound only catches "never".
        (Duration::from_secs(2)..Duration::from_secs(6)).contains(&took),
        "{took:?}"
    );
    assert!(matches!(rec.stop(), Err(AudioError::NotRealTime { .. })));
}

#[test]
fn a_real_time_source_is_never_taken_for_a_fake_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = RecorderOptions {
        source: Some(synthetic(0.3, None, 1.0)),
        ..Default::default()
    };
    let rec = Recorder::start_with(config(dir.path(), "real"), opts).expect("start");
    wait_until(&rec, "3 s of audio", |s| {
        s.elapsed >= Duration::from_secs(3)
    });
    assert_eq!(rec.snapshot().state, RecorderState::Recording);
    let take = rec.stop().expect("take");
    assert!(take.path.exists());
}

#[test]
fn the_monitor_meters_without_writing_and_then_records_without_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    let updates = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&updates);
    let opts = RecorderOptions {
        source: Some(synthetic(0.5, None, 1.0)),
        ..Default::default()
    };
    let monitor = Monitor::start_with(
        MonitorConfig {
            device: None,
            on_update: Some(Arc::new(move || {
                counter.fetch_add(1, Ordering::Relaxed);
            })),
        },
        opts,
    )
    .expect("monitor");
    std::thread::sleep(Duration::from_millis(1200));
    let snap = monitor.snapshot();
    assert_eq!(snap.state, RecorderState::Monitoring);
    assert!(
        (snap.meter.peak_dbfs - -6.02).abs() < 0.2,
        "{:?}",
        snap.meter
    );
    assert_eq!(snap.elapsed, Duration::ZERO, "nothing is being recorded");
    assert_eq!(snap.take_loudness, None);
    let n = updates.load(Ordering::Relaxed);
    // 20 a second; a busy machine may skip a tick, never add one.
    assert!((15..=26).contains(&n), "{n} meter updates in 1.2 s (20 Hz)");
    assert!(
        std::fs::read_dir(dir.path()).expect("dir").next().is_none(),
        "monitoring writes nothing"
    );

    let asked = Instant::now();
    let rec = monitor.record(dir.path(), "after-test").expect("record");
    assert!(
        asked.elapsed() < Duration::from_millis(100),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(rec.snapshot().state, RecorderState::Recording);
    std::thread::sleep(Duration::from_millis(1500));
    let before_stop = asked.elapsed().as_secs_f64();
    let snap = rec.snapshot();
    let take = rec.stop().expect("take");
    let after_stop = asked.elapsed().as_secs_f64();
    // The take holds what came after `record` (the 1.2 s of monitoring before it would show).
    let secs = take.duration.as_secs_f64();
    assert!(
        secs > before_stop - 0.15 && secs < after_stop + 0.05,
        "take {secs:.3} s; {before_stop:.3}..{after_stop:.3} s since record"
    );
    let loud = snap.take_loudness.expect("the take's loudness so far");
    assert!(!loud.is_silent(), "{loud:?}");
    // A half-scale tone. The take starts mid-wave: without its fade-in the step into the
    // resampler rang up to 0.54 (-5.3 dBFS), a click at the start of every take.
    assert!((loud.peak_dbfs - -6.02).abs() < 0.15, "{loud:?}");
    assert!((loud.rms_dbfs - -9.03).abs() < 0.1, "{loud:?}");
}

#[test]
fn a_silent_take_says_so_in_its_loudness() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = RecorderOptions {
        source: Some(synthetic(0.0, None, 1.0)),
        max_duration: Duration::from_millis(1500),
        ..Default::default()
    };
    let rec = Recorder::start_with(config(dir.path(), "silent"), opts).expect("start");
    wait_until(&rec, "the limit", |s| {
        matches!(s.state, RecorderState::Finished(_))
    });
    let loud = rec.snapshot().take_loudness.expect("loudness");
    assert!(loud.is_silent(), "{loud:?}");
    assert_eq!(loud.silent_fraction, 1.0);
    let take = rec.stop().expect("take");
    let from_file = loudness::summarize_file(&take.path).expect("file summary");
    assert!(from_file.is_silent());
    assert_eq!(from_file.duration, take.duration);
}
