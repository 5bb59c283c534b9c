//! Bench: `speech-scorer convert` of a 45-minute 48 kHz stereo WAV to 16 kHz mono, side by
//! side with `sox` on the same file. Goal: faster than sox, peak memory ≤ 50 MB.
//!
//! Run: `cargo bench --bench convert` (set `BENCH_MINUTES` for a shorter file).

mod support;

use std::io::{BufWriter, Write};
use std::process::{Command, Stdio};

fn write_input(path: &std::path::Path, minutes: f64) -> std::io::Result<()> {
    let rate = 48_000u32;
    let frames = (minutes * 60.0 * f64::from(rate)) as u64;
    let data_bytes = frames * 4;
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    w.write_all(&speech_scorer::audio::wav::header(rate, 2, data_bytes))?;
    // Speech-like: a voiced 140 Hz buzz in 2.2 s phrases with pauses, slightly different per side.
    let mut phase = 0f64;
    for i in 0..frames {
        let t = i as f64 / f64::from(rate);
        phase += 2.0 * std::f64::consts::PI * 140.0 / f64::from(rate);
        let voiced = phase.sin() + 0.5 * (2.0 * phase).sin() + 0.25 * (3.0 * phase).sin();
        let env = if t % 2.8 < 2.2 { 0.3 } else { 0.0 };
        let l = (env * voiced * 16_000.0) as i16;
        let r = (env * voiced * 15_000.0) as i16;
        w.write_all(&l.to_le_bytes())?;
        w.write_all(&r.to_le_bytes())?;
    }
    w.flush()
}

fn main() {
    let minutes: f64 = std::env::var("BENCH_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(45.0);
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("input-48k-stereo.wav");
    eprintln!("writing a {minutes}-minute 48 kHz stereo WAV…");
    write_input(&input, minutes).expect("input");
    let size = std::fs::metadata(&input).map(|m| m.len()).unwrap_or(0);
    println!(
        "input: {minutes} min, 48 kHz stereo 16-bit, {:.0} MB",
        size as f64 / 1e6
    );
    let ours_out = dir.path().join("ours.wav");
    let sox_out = dir.path().join("sox.wav");
    // Warm the page cache so both read from memory (in small reads: a child's peak RSS
    // counts what it inherited at fork, so this process must stay small).
    if let Ok(mut f) = std::fs::File::open(&input) {
        let mut buf = vec![0u8; 1 << 20];
        while std::io::Read::read(&mut f, &mut buf).is_ok_and(|n| n > 0) {}
    }

    // Alternate the two a few times: the machine may be shared, so report each run.
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let report = |name: &str, c: &support::Cost| {
        println!(
            "{name:<22} wall {:>7.2} s  cpu {:>7.2} s  peak RSS {:>6.1} MB  ({:.0}x real time)",
            c.wall.as_secs_f64(),
            c.cpu.as_secs_f64(),
            c.peak_rss_mb,
            minutes * 60.0 / c.wall.as_secs_f64()
        )
    };
    let mut ours_all = Vec::new();
    let mut sox_all = Vec::new();
    for _ in 0..runs {
        let ours = support::measure(
            Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
                .arg("convert")
                .arg(&input)
                .arg(&ours_out)
                .stderr(Stdio::null()),
        )
        .expect("run speech-scorer convert");
        assert!(ours.success, "speech-scorer convert failed");
        report("speech-scorer convert", &ours);
        ours_all.push(ours);
        match support::measure(
            Command::new("sox")
                .arg(&input)
                .args(["-r", "16000", "-c", "1", "-b", "16"])
                .arg(&sox_out),
        ) {
            Ok(s) if s.success => {
                report("sox (rate, default -h)", &s);
                sox_all.push(s);
            }
            _ => println!("sox: not available"),
        }
    }
    let best = |v: &[support::Cost], f: fn(&support::Cost) -> f64| {
        v.iter().map(f).fold(f64::INFINITY, f64::min)
    };
    let wall = |c: &support::Cost| c.wall.as_secs_f64();
    let cpu = |c: &support::Cost| c.cpu.as_secs_f64();
    if !sox_all.is_empty() {
        println!(
            "best of {runs}: speech-scorer wall {:.2} s / cpu {:.2} s; sox wall {:.2} s / cpu {:.2} s; ratio (ours/sox) wall {:.2}, cpu {:.2}",
            best(&ours_all, wall),
            best(&ours_all, cpu),
            best(&sox_all, wall),
            best(&sox_all, cpu),
            best(&ours_all, wall) / best(&sox_all, wall),
            best(&ours_all, cpu) / best(&sox_all, cpu)
        );
    }
    let ours = ours_all
        .iter()
        .copied()
        .max_by(|a, b| a.peak_rss_mb.total_cmp(&b.peak_rss_mb))
        .expect("at least one run");
    let out_len = hound::WavReader::open(&ours_out)
        .map(|r| r.duration())
        .unwrap_or(0);
    let in_frames = (minutes * 60.0 * 48_000.0) as u64;
    println!(
        "output: {out_len} frames ({:.3} min) at 16 kHz mono, expected {} (never longer than the input); goal peak RSS <= 50 MB: {}",
        f64::from(out_len) / 16_000.0 / 60.0,
        in_frames * 16_000 / 48_000,
        if ours.peak_rss_mb <= 50.0 {
            "met"
        } else {
            "NOT met"
        }
    );
}
