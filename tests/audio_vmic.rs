//! Recording through cpal from a virtual microphone (a PulseAudio null sink's monitor, reached
//! through ALSA's pulse plugin), fed with espeak-ng speech. Each run of this binary starts its
//! own PulseAudio in a private runtime dir (`vmic_support`), so concurrent suites never hear
//! each other. Ignored by a plain `cargo test`; `scripts/test.sh` runs them
//! (`--include-ignored`).

mod vmic_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use speech_scorer::audio::devices::{self, DeviceKind};
use speech_scorer::audio::{
    Monitor, MonitorConfig, Recorder, RecorderConfig, RecorderState, recovery,
};

/// Speech from espeak-ng: a few sentences with pauses, so the energy envelope has shape.
fn speech_wav(dir: &Path) -> PathBuf {
    let path = dir.join("speech.wav");
    let status = Command::new("espeak-ng")
        .args(["-s", "150", "-w"])
        .arg(&path)
        .arg("The quick brown fox jumps over the lazy dog. [[_:_:]] Seven silver swans swam silently seaward. Please record three minutes of speech.")
        .status()
        .expect("espeak-ng runs");
    assert!(status.success(), "espeak-ng failed");
    path
}

/// RMS per 20 ms of a mono signal.
fn envelope(samples: &[f32], rate: u32) -> Vec<f32> {
    let step = (rate / 50) as usize;
    samples
        .chunks(step)
        .map(|c| (c.iter().map(|x| x * x).sum::<f32>() / c.len() as f32).sqrt())
        .collect()
}

fn read_mono(path: &Path) -> (Vec<f32>, u32) {
    let r = hound::WavReader::open(path).expect("wav");
    let spec = r.spec();
    let ch = usize::from(spec.channels);
    let all: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Int => r
            .into_samples::<i32>()
            .map(|s| s.expect("sample") as f32 / (1u32 << (spec.bits_per_sample - 1)) as f32)
            .collect(),
        hound::SampleFormat::Float => r
            .into_samples::<f32>()
            .map(|s| s.expect("sample"))
            .collect(),
    };
    let mono = all
        .chunks(ch)
        .map(|f| f.iter().sum::<f32>() / ch as f32)
        .collect();
    (mono, spec.sample_rate)
}

/// Best normalised correlation of `b` against `a` over lags 0..max_lag (b later than a).
fn best_correlation(a: &[f32], b: &[f32], max_lag: usize) -> (f32, usize) {
    let mut best = (f32::MIN, 0);
    for lag in 0..max_lag.min(b.len()) {
        let n = a.len().min(b.len() - lag);
        if n < 20 {
            break;
        }
        let (x, y) = (&a[..n], &b[lag..lag + n]);
        let mx = x.iter().sum::<f32>() / n as f32;
        let my = y.iter().sum::<f32>() / n as f32;
        let (mut sxy, mut sxx, mut syy) = (0f32, 0f32, 0f32);
        for (p, q) in x.iter().zip(y) {
            sxy += (p - mx) * (q - my);
            sxx += (p - mx) * (p - mx);
            syy += (q - my) * (q - my);
        }
        let c = sxy / (sxx.sqrt() * syy.sqrt()).max(1e-9);
        if c > best.0 {
            best = (c, lag);
        }
    }
    best
}

#[test]
#[ignore = "needs the virtual microphone (PulseAudio); scripts/test.sh runs it"]
fn records_what_the_virtual_mic_plays_with_the_right_length_and_no_overflows() {
    let mic = vmic_support::take();
    let dir = tempfile::tempdir().expect("tempdir");
    let speech = speech_wav(dir.path());
    let wanted = Duration::from_secs(8);
    let started = Instant::now();
    let rec = Recorder::start(RecorderConfig {
        device: None,
        out_dir: dir.path().to_path_buf(),
        file_stem: "vmic".into(),
        on_update: None,
    })
    .expect("the virtual microphone opens");
    std::thread::sleep(Duration::from_millis(300));
    let mut player = mic.play(&speech);
    assert_eq!(
        mic.recording_pids(),
        vec![std::process::id()],
        "the recorder records from this run's own PulseAudio, and nobody else does"
    );
    // The clock starts when audio starts: opening a stream on a loaded machine takes a
    // moment that is not part of the take.
    let mut audio_started = None;
    while rec.snapshot().elapsed < wanted {
        let snap = rec.snapshot();
        assert_eq!(snap.state, RecorderState::Recording);
        if audio_started.is_none() && snap.elapsed > Duration::ZERO {
            audio_started = Some(Instant::now() - snap.elapsed);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let wall = audio_started.unwrap_or(started).elapsed();
    let snap = rec.snapshot();
    let take = rec.stop().expect("take");
    let _ = player.wait();

    assert_eq!(take.overflows, 0, "no samples lost");
    assert_eq!(snap.overflows, 0);
    // Length: the take is as long as the time it ran (real-time capture, nothing dropped).
    let got = take.duration.as_secs_f64();
    assert!(
        (got - wall.as_secs_f64()).abs() / wall.as_secs_f64() < 0.02,
        "take {got:.3} s vs {:.3} s of wall clock",
        wall.as_secs_f64()
    );
    assert!((got - wanted.as_secs_f64()).abs() / wanted.as_secs_f64() < 0.02);
    // Content: the recorded energy envelope matches the played speech.
    let (played, prate) = read_mono(&speech);
    let (recorded, rrate) = read_mono(&take.path);
    assert_eq!(rrate, 16_000);
    let (corr, lag) = best_correlation(&envelope(&played, prate), &envelope(&recorded, rrate), 150);
    eprintln!(
        "recorded {got:.3} s in {:.3} s; envelope correlation {corr:.3}, speech at +{:.2} s",
        wall.as_secs_f64(),
        lag as f64 * 0.02
    );
    assert!(corr > 0.9, "envelope correlation {corr:.3} at lag {lag}");
    let lag_s = lag as f64 * 0.02;
    assert!(
        (0.2..1.5).contains(&lag_s),
        "speech starts {lag_s:.2} s into the take"
    );
    assert!(snap.meter.peak_hold_dbfs > -40.0, "{:?}", snap.meter);
}

#[test]
#[ignore = "needs the virtual microphone (PulseAudio); scripts/test.sh runs it"]
fn a_killed_recorder_leaves_a_take_that_repairs_with_at_most_a_second_missing() {
    let mic = vmic_support::take();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("crash.wav");
    let mut child = Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
        .args(["record", "--seconds", "60"])
        .arg(&out)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn recorder");
    // The recorder announces itself once the device is open and the file exists.
    let stderr = child.stderr.take().expect("stderr");
    let mut reader = std::io::BufReader::new(stderr);
    let mut line = String::new();
    std::io::BufRead::read_line(&mut reader, &mut line).expect("first line");
    let started = Instant::now();
    assert!(line.contains("Recording from"), "{line}");
    assert_eq!(
        mic.recording_pids(),
        vec![child.id()],
        "the child inherits the private mic"
    );
    std::thread::sleep(Duration::from_millis(4_300));
    let wall = started.elapsed();
    child.kill().expect("SIGKILL");
    let _ = child.wait();

    let found = recovery::find_interrupted(dir.path());
    assert_eq!(
        found,
        vec![out.clone()],
        "the interrupted take is offered back"
    );
    let take = recovery::repair(&out).expect("repair");
    let missing = wall.as_secs_f64() - take.duration.as_secs_f64();
    eprintln!(
        "killed after {:.2} s; repaired take {:.2} s ({missing:.2} s missing)",
        wall.as_secs_f64(),
        take.duration.as_secs_f64()
    );
    assert!(
        (-0.2..=1.2).contains(&missing),
        "{missing:.2} s missing (take {:.2} s, ran {:.2} s)",
        take.duration.as_secs_f64(),
        wall.as_secs_f64()
    );
    let r = hound::WavReader::open(&out).expect("the repaired file opens");
    assert_eq!(
        u64::from(r.duration()),
        (take.duration.as_secs_f64() * 16_000.0).round() as u64
    );
    assert!(recovery::find_interrupted(dir.path()).is_empty());
}

#[test]
#[ignore = "needs the virtual microphone (PulseAudio); scripts/test.sh runs it"]
fn lists_the_sound_servers_sources_by_name_and_leaves_out_what_is_not_a_microphone() {
    let _mic = vmic_support::take();
    let list = devices::list_input_devices().expect("devices");
    let first = list.first().expect("at least one device");
    // The description PulseAudio gives, marked as a monitor, the default, with a stable id.
    assert_eq!(first.name, "Monitor of VirtualMicSink", "{list:#?}");
    assert_eq!(
        first.kind,
        DeviceKind::Monitor {
            of: "VirtualMicSink".into()
        }
    );
    assert!(first.is_default);
    assert_eq!(first.id, format!("pulseaudio:{}", vmic_support::SOURCE));
    assert!(first.default_rate.is_some_and(|r| r > 0), "{first:?}");
    assert!(first.channels.is_some_and(|c| c > 0));
    assert_eq!(list.iter().filter(|d| d.is_default).count(), 1, "{list:#?}");
    // ALSA's null device ("Discard all samples…") and plugins are not offered.
    assert!(list.iter().all(|d| !d.id.starts_with("alsa:")), "{list:#?}");
    let all = devices::list_all_input_devices().expect("all devices");
    let null = all
        .iter()
        .find(|d| d.id == "alsa:null")
        .expect("the full list still shows the null device");
    assert!(
        matches!(&null.kind, DeviceKind::NotAMicrophone { why } if why.contains("silence")),
        "{null:?}"
    );
    assert!(!null.is_default);
}

#[test]
#[ignore = "needs the virtual microphone (PulseAudio); scripts/test.sh runs it"]
fn a_remembered_device_is_found_again_and_a_gone_one_falls_back_to_the_default_visibly() {
    let _mic = vmic_support::take();
    let id = format!("pulseaudio:{}", vmic_support::SOURCE);
    let found = devices::find_device(Some(&id)).expect("found");
    assert_eq!(found.device.id, id);
    assert_eq!(found.fell_back_from, None);
    let gone = devices::find_device(Some("pulseaudio:usb-mic-unplugged")).expect("fallback");
    assert_eq!(gone.device.id, id, "the default");
    assert_eq!(
        gone.fell_back_from.as_deref(),
        Some("pulseaudio:usb-mic-unplugged")
    );
    let none = devices::find_device(None).expect("default");
    assert_eq!((none.device.id, none.fell_back_from), (id, None));
}

#[test]
#[ignore = "needs the virtual microphone (PulseAudio); scripts/test.sh runs it"]
fn the_microphone_test_shows_the_level_writes_nothing_and_then_records() {
    let mic = vmic_support::take();
    let dir = tempfile::tempdir().expect("tempdir");
    let speech = speech_wav(dir.path());
    let updates = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&updates);
    let monitor = Monitor::start(MonitorConfig {
        device: None,
        on_update: Some(Arc::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        })),
    })
    .expect("the microphone opens for a test");
    assert_eq!(mic.recording_pids(), vec![std::process::id()]);
    let mut player = mic.play(&speech);
    let started = Instant::now();
    let mut loudest = -100f32;
    while started.elapsed() < Duration::from_secs(3) {
        loudest = loudest.max(monitor.snapshot().meter.peak_dbfs);
        std::thread::sleep(Duration::from_millis(50));
    }
    let n = updates.load(Ordering::Relaxed);
    assert!(n >= 50, "{n} meter updates in 3 s (20 a second)");
    assert!(
        loudest > -30.0,
        "the meter heard the speech: {loudest} dBFS"
    );
    let snap = monitor.snapshot();
    assert_eq!(snap.state, RecorderState::Monitoring);
    assert_eq!(snap.elapsed, Duration::ZERO);
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        files,
        vec![std::ffi::OsString::from("speech.wav")],
        "nothing written"
    );

    // Pressing Record: the same open stream becomes the take.
    let takes = dir.path().join("takes");
    let rec = monitor.record(&takes, "take").expect("record");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        mic.recording_pids(),
        vec![std::process::id()],
        "not reopened"
    );
    let take = rec.stop().expect("take");
    let _ = player.wait();
    let secs = take.duration.as_secs_f64();
    assert!((secs - 2.0).abs() < 0.2, "{secs} s");
    assert!(take.path.starts_with(&takes));
}

#[test]
#[ignore = "needs the virtual microphone (PulseAudio); scripts/test.sh runs it"]
fn plays_a_take_through_the_default_output() {
    let mic = vmic_support::take();
    let dir = tempfile::tempdir().expect("tempdir");
    let speech = speech_wav(dir.path());
    let mut player = speech_scorer::audio::playback::Player::play(&speech).expect("play");
    assert!(
        mic.playing_pids().contains(&std::process::id()),
        "playback goes to this run's own PulseAudio"
    );
    let len = player.duration();
    assert!(len > Duration::from_secs(3));
    std::thread::sleep(Duration::from_millis(1000));
    let pos = player.position();
    assert!(
        pos > Duration::from_millis(500) && pos < Duration::from_millis(1500),
        "position {pos:?} after 1 s"
    );
    assert!(!player.is_finished());
    player.stop();
    assert!(player.is_finished());
}

#[test]
#[ignore = "needs the virtual microphone (PulseAudio); scripts/test.sh runs it"]
fn the_record_command_writes_a_take_of_the_asked_length() {
    let _mic = vmic_support::take();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("cli.wav");
    let o = Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
        .args(["record", "--seconds", "2"])
        .arg(&out)
        .output()
        .expect("run record");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("Saved") && stderr.contains("0 overflows"),
        "{stderr}"
    );
    assert!(stderr.contains("dBFS"), "the live meter is shown: {stderr}");
    let r = hound::WavReader::open(&out).expect("wav");
    let secs = f64::from(r.duration()) / 16_000.0;
    assert!((secs - 2.0).abs() < 0.04, "{secs} s");
    assert!(recovery::find_interrupted(dir.path()).is_empty());

    let o = Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
        .args(["devices", "--json"])
        .output()
        .expect("run devices");
    assert_eq!(o.status.code(), Some(0));
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON list");
    assert_eq!(list[0]["is_default"], true, "{list}");
    assert_eq!(list[0]["name"], "Monitor of VirtualMicSink", "{list}");
    assert_eq!(list[0]["kind"]["type"], "monitor", "{list}");
    assert!(list[0]["id"].as_str().is_some_and(|s| s.contains(':')));

    let o = Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
        .arg("devices")
        .output()
        .expect("run devices");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.starts_with(
            "* Monitor of VirtualMicSink [monitor: records what VirtualMicSink plays]"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("Discard all samples"), "{stdout}");
    let o = Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
        .args(["devices", "--all"])
        .output()
        .expect("run devices --all");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("[not a microphone: discards what is played and records only silence"),
        "{stdout}"
    );

    let o = Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
        .args(["record", "--device", "no-such-microphone", "--seconds", "1"])
        .arg(dir.path().join("x.wav"))
        .output()
        .expect("run record");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("\"no-such-microphone\" was not found"),
        "{stderr}"
    );
}
