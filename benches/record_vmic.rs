//! Bench: a 10-minute recording through the virtual microphone with speech looping into it.
//! Goal: ≤ 5 % of one core, ≤ 60 MB peak RSS, zero overflows.
//!
//! Needs the virtual mic: `eval "$(scripts/vmic.sh start)"`. Run:
//! `cargo bench --bench record_vmic` (set `BENCH_SECONDS` for a shorter take).

mod support;

use std::process::{Command, Stdio};

fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(600);
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let speech = dir.path().join("speech.wav");
    let ok = Command::new("espeak-ng")
        .arg("-w")
        .arg(&speech)
        .arg("This is a long recording for the benchmark. It keeps talking, with pauses, like a candidate would.")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("espeak-ng is needed for this bench");
        return;
    }
    let mut looper = Command::new(root.join("scripts/vmic.sh"))
        .arg("loop")
        .arg(&speech)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("vmic.sh loop");
    let out = dir.path().join("bench-take.wav");
    let log_path = dir.path().join("record.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let cost = support::measure(
        Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
            .args(["record", "--seconds", &seconds.to_string()])
            .arg(&out)
            .stderr(log),
    );
    // Stop the loop (the shell and its current paplay).
    let _ = Command::new("pkill")
        .args(["-P", &looper.id().to_string()])
        .status();
    let _ = looper.kill();
    let _ = looper.wait();
    let cost = cost.expect("run speech-scorer record");
    let take = hound::WavReader::open(&out)
        .map(|r| r.duration())
        .unwrap_or(0);
    println!(
        "record {seconds} s via virtual mic: wall {:.1} s, cpu {:.2} s = {:.2} % of one core, peak RSS {:.1} MB, take {:.2} s, exit ok: {}",
        cost.wall.as_secs_f64(),
        cost.cpu.as_secs_f64(),
        cost.cpu_percent(),
        cost.peak_rss_mb,
        f64::from(take) / 16_000.0,
        cost.success
    );
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    if let Some(saved) = log.lines().rev().find(|l| l.starts_with("Saved")) {
        println!("{saved}");
    }
    println!(
        "goals: cpu <= 5 %: {}; peak RSS <= 60 MB: {}",
        if cost.cpu_percent() <= 5.0 {
            "met"
        } else {
            "NOT met"
        },
        if cost.peak_rss_mb <= 60.0 {
            "met"
        } else {
            "NOT met"
        }
    );
}
