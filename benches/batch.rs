//! Bench: `speech-scorer batch` of 200 recordings against the simulator with the account's
//! documented limits (8 processing at once, 500 requests a minute, the 10 s poll gate) and
//! every run processing exactly P = 15 s, all time-scaled by K (default 15: P = 1 s, poll
//! gate 0.67 s, rate window 4 s; the batch's request budget is scaled the same way).
//!
//! 1. A whole batch: wall time against the account-limited bound ⌈200/8⌉ × P (goal: within
//!    10 %, plus upload time), self-inflicted 429s (goal 0), the CLI's peak RSS (goal
//!    ≤ 100 MB).
//! 2. Another batch on a fresh simulator, killed with SIGKILL at a random moment, then run
//!    again: all 200 results, 0 duplicate runs, 0 credits left held.
//!
//! Run: `cargo bench --bench batch` (`BENCH_ROWS`, `BENCH_SCALE`, `BENCH_P_MS` to change
//! it). The simulator runs as its own process, so the numbers are the CLI's alone.

mod support;

use std::io::{BufRead as _, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const KEY: &str = "zh_api_bench_batch_key_0001";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_speech-scorer")
}

/// 181 s of speech-like 16 kHz mono 16-bit WAV (5.8 MB: a real 3-minute take's size).
fn write_take(path: &Path) -> std::io::Result<()> {
    let rate = 16_000u32;
    let frames = 181 * rate;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    w.write_all(&speech_scorer::audio::wav::header(
        rate,
        1,
        u64::from(frames) * 2,
    ))?;
    for i in 0..frames {
        let t = f64::from(i) / f64::from(rate);
        let syllable = (0.5 - 0.5 * (2.0 * std::f64::consts::PI * 4.0 * t).cos()).powf(1.5);
        let voiced: f64 = (1..=5)
            .map(|h| (2.0 * std::f64::consts::PI * 140.0 * f64::from(h) * t).sin() / f64::from(h))
            .sum();
        let v = if t % 2.8 < 2.2 {
            0.35 * syllable * voiced
        } else {
            0.0
        };
        w.write_all(&((v.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes())?;
    }
    w.flush()
}

/// A folder of `rows` recordings (hard links of one take: the CLI reads each as its own file).
fn make_input(dir: &Path, take: &Path, rows: usize) -> PathBuf {
    std::fs::create_dir_all(dir).expect("input dir");
    for i in 0..rows {
        let p = dir.join(format!("take-{i:03}.wav"));
        if std::fs::hard_link(take, &p).is_err() {
            std::fs::copy(take, &p).expect("copy take");
        }
    }
    dir.to_path_buf()
}

/// The simulator as its own process; returns it and its base URL.
fn start_sim(scale: f64, p_ms: u64, credits: u64) -> (Child, String) {
    let mut child = Command::new(bin())
        .args(["simulate", "--api-key", KEY])
        .args(["--time-scale", &scale.to_string()])
        .args(["--processing-ms", &p_ms.to_string()])
        .args(["--credits", &credits.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("simulator starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    let url = loop {
        let line = lines.next().expect("simulator output").expect("line");
        if let Some(i) = line.find("http://") {
            break line[i..].trim().to_string();
        }
    };
    // Keep draining its request log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

/// `GET /__sim/stats` (no key), over a plain socket.
fn sim_stats(base: &str) -> Value {
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the simulator");
    write!(
        s,
        "GET /__sim/stats HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("response");
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).expect("stats JSON")
}

fn batch_command(home: &Path, base: &str, input: &Path, out: &Path, scale: f64) -> Command {
    let mut c = Command::new(bin());
    c.arg("batch")
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(["--base-url", base, "--time-scale", &scale.to_string()])
        .env("SPEECH_SCORER_HOME", home)
        .env("ZENHIRE_API_KEY", KEY)
        .env_remove("ZENHIRE_BASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn result_rows(out: &Path) -> (usize, usize) {
    let text = std::fs::read_to_string(out.join("results.jsonl")).unwrap_or_default();
    let mut rows = std::collections::BTreeSet::new();
    let mut success = 0;
    for line in text.lines() {
        if let Ok(v) = serde_json::from_str::<Value>(line) {
            rows.insert(v["row"].as_u64().unwrap_or(0));
            success += usize::from(v["outcome"] == "success");
        }
    }
    (rows.len(), success)
}

/// From the history the batch kept: the mean time from a submit's first byte to its 202
/// (the upload, as the client saw it), and the mean number of polls per run.
fn upload_and_polls(home: &Path) -> (Duration, f64) {
    let (mut upload_ms, mut uploads, mut polls, mut runs) = (0u64, 0u64, 0u64, 0u64);
    let dir = home.join("data").join("history");
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let Ok(record) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        runs += 1;
        for x in record["exchanges"].as_array().into_iter().flatten() {
            match (x["step"].as_str(), x["status"].as_u64()) {
                (Some("submit"), Some(202)) => {
                    upload_ms += x["latencyMs"].as_u64().unwrap_or(0);
                    uploads += 1;
                }
                (Some("poll"), Some(_)) => polls += 1,
                _ => {}
            }
        }
    }
    (
        Duration::from_millis(upload_ms / uploads.max(1)),
        polls as f64 / runs.max(1) as f64,
    )
}

fn main() {
    let rows: usize = env_or("BENCH_ROWS", 200);
    let scale: f64 = env_or("BENCH_SCALE", 15.0);
    let p_ms: u64 = env_or("BENCH_P_MS", 15_000);
    let credits = (rows as u64) * 4 + 100;
    let dir = tempfile::tempdir().expect("tempdir");
    let take = dir.path().join("take.wav");
    write_take(&take).expect("take");
    let p = Duration::from_millis(p_ms).div_f64(scale);
    let waves = rows.div_ceil(8);
    let bound = p * waves as u32;
    println!(
        "{rows} recordings of 181 s (16 kHz WAV, 5.8 MB) — limits 8 at once, 500 req/min, \
         P = {:.1} s; time scale ÷{scale}: P = {:.2} s, bound ⌈{rows}/8⌉ × P = {:.1} s \
         ({:.0} s unscaled)",
        p_ms as f64 / 1000.0,
        p.as_secs_f64(),
        bound.as_secs_f64(),
        bound.as_secs_f64() * scale
    );

    // 1. A whole batch.
    let (mut sim, base) = start_sim(scale, p_ms, credits);
    let input = make_input(&dir.path().join("in-a"), &take, rows);
    let out = dir.path().join("out-a");
    let home = dir.path().join("home");
    let cost = support::measure(&mut batch_command(&home, &base, &input, &out, scale))
        .expect("batch runs");
    let stats = sim_stats(&base);
    let (done, success) = result_rows(&out);
    let (upload, polls_per_run) = upload_and_polls(&home);
    let over = cost.wall.as_secs_f64() / bound.as_secs_f64() - 1.0;
    let with_upload = (p + upload) * waves as u32;
    let over_with_upload = cost.wall.as_secs_f64() / with_upload.as_secs_f64() - 1.0;
    println!(
        "batch: wall {:.1} s ({:+.1} % over ⌈n/8⌉ × P; {:+.1} % over ⌈n/8⌉ × (P + mean \
         upload {:.0} ms) = {:.1} s), cpu {:.1} s, peak RSS {:.1} MB, {polls_per_run:.2} \
         polls per run, exit ok {}",
        cost.wall.as_secs_f64(),
        over * 100.0,
        over_with_upload * 100.0,
        upload.as_secs_f64() * 1000.0,
        with_upload.as_secs_f64(),
        cost.cpu.as_secs_f64(),
        cost.peak_rss_mb,
        cost.success
    );
    println!(
        "       {done} results ({success} success); requests {} (submits {}, polls {}, \
         look-ups {}); most in one window {} of 500; self-inflicted 429s {}; most \
         processing at once {}; duplicate runs {}; credits held {}",
        stats["requests"],
        stats["submits"],
        stats["polls"],
        stats["lookups"],
        stats["maxRequestsPerWindow"],
        stats["selfInflicted429s"],
        stats["maxProcessing"],
        stats["duplicateExternalIds"].as_array().map_or(0, Vec::len),
        stats["credits"]["held"]
    );
    let _ = sim.kill();
    let _ = sim.wait();

    // 2. Killed at a random moment, then run again.
    let (mut sim, base) = start_sim(scale, p_ms, credits);
    let input = make_input(&dir.path().join("in-b"), &take, rows);
    let out = dir.path().join("out-b");
    let mut first = batch_command(&home, &base, &input, &out, scale)
        .spawn()
        .expect("batch runs");
    let at = bound.mul_f64(rand::random_range(0.1..0.9));
    let started = Instant::now();
    std::thread::sleep(at);
    let _ = first.kill();
    let _ = first.wait();
    let (ended_at_kill, _) = result_rows(&out);
    let at_kill = sim_stats(&base);
    let cost = support::measure(&mut batch_command(&home, &base, &input, &out, scale))
        .expect("rerun runs");
    let stats = sim_stats(&base);
    let (done, success) = result_rows(&out);
    println!(
        "kill -9 after {:.1} s ({ended_at_kill} ended, {} runs created, {} credits held), \
         rerun: wall {:.1} s, peak RSS {:.1} MB, exit ok {}",
        at.as_secs_f64(),
        at_kill["runsCreated"],
        at_kill["credits"]["held"],
        cost.wall.as_secs_f64(),
        cost.peak_rss_mb,
        cost.success
    );
    println!(
        "       {done} results ({success} success) of {rows}; runs created {}; duplicate \
         runs {}; credits held {}; look-ups {}; self-inflicted 429s {}; total {:.1} s",
        stats["runsCreated"],
        stats["duplicateExternalIds"].as_array().map_or(0, Vec::len),
        stats["credits"]["held"],
        stats["lookups"],
        stats["selfInflicted429s"],
        started.elapsed().as_secs_f64()
    );
    let _ = sim.kill();
    let _ = sim.wait();
}
