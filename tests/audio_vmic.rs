//! Recording through cpal from a virtual microphone (a PulseAudio null sink's monitor, reached
//! through ALSA's pulse plugin), fed with espeak-ng speech. Each run of this binary starts its
//! own PulseAudio in a private runtime dir (`vmic_support`), so concurrent suites never hear
//! each other. Ignored by a plain `cargo test`; `scripts/test.sh` runs them
//! (`--include-ignored`).

mod vmic_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use speech_scorer::audio::{Recorder, RecorderConfig, RecorderState, recovery};

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
    while rec.snapshot().elapsed < wanted {
        assert_eq!(rec.snapshot().state, RecorderState::Recording);
        std::thread::sleep(Duration::from_millis(20));
    }
    let wall = started.elapsed();
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
fn lists_the_virtual_mic_as_the_default_input() {
    let _mic = vmic_support::take();
    let list = speech_scorer::audio::devices::list_input_devices().expect("devices");
    let first = list.first().expect("at least one device");
    assert!(first.is_default, "{list:?}");
    assert!(first.default_rate.is_some_and(|r| r > 0), "{first:?}");
    assert!(first.channels.is_some_and(|c| c > 0));
    assert!(list.iter().filter(|d| d.is_default).count() == 1);
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
    assert!(list[0]["id"].as_str().is_some_and(|s| s.contains(':')));

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
