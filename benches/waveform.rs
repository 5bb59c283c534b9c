//! Bench: the waveform of a 45-minute take (issue 12: computed in ≤ 1 s off the UI thread,
//! drawing stays cheap). Reports the compute time of a 16 kHz mono WAV take (what the
//! recorder writes), the cache's write and read, and what one frame's level-of-detail query
//! costs at a few zooms. With `BENCH_DECODED=1`, also a 45-minute Ogg Vorbis take (decoded).
//!
//! Run: `cargo bench --bench waveform` (`BENCH_MINUTES` for another length).

use std::io::{BufWriter, Write};
use std::time::{Duration, Instant};

use speech_scorer::audio::waveform::{Peak, Waveform};

fn write_take(path: &std::path::Path, minutes: f64) -> std::io::Result<()> {
    let rate = 16_000u32;
    let frames = (minutes * 60.0 * f64::from(rate)) as u64;
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    w.write_all(&speech_scorer::audio::wav::header(rate, 1, frames * 2))?;
    // Speech-like: a 140 Hz voice with harmonics in 2.2 s phrases, 0.6 s pauses, and a long
    // silence every 5 minutes so there are marks to find.
    let mut phase = 0f64;
    for i in 0..frames {
        let t = i as f64 / f64::from(rate);
        phase += 2.0 * std::f64::consts::PI * 140.0 / f64::from(rate);
        let voiced = phase.sin() + 0.5 * (2.0 * phase).sin() + 0.25 * (3.0 * phase).sin();
        let env = if t % 2.8 < 2.2 && t % 300.0 > 3.0 {
            0.3
        } else {
            0.0
        };
        w.write_all(&((env * voiced * 16_000.0) as i16).to_le_bytes())?;
    }
    w.flush()
}

fn best(times: &[Duration]) -> Duration {
    times.iter().copied().min().unwrap_or_default()
}

fn time_queries(w: &Waveform, start: Duration, end: Duration, columns: usize) -> Duration {
    let mut out: Vec<Peak> = Vec::with_capacity(columns);
    let rounds = 2_000u32;
    let t = Instant::now();
    for _ in 0..rounds {
        w.columns_into(start, end, columns, &mut out);
        std::hint::black_box(&out);
    }
    t.elapsed() / rounds
}

fn main() {
    let minutes: f64 = std::env::var("BENCH_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(45.0);
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let dir = tempfile::tempdir().expect("tempdir");
    let take = dir.path().join("take-16k.wav");
    write_take(&take, minutes).expect("take");
    let size = std::fs::metadata(&take).map(|m| m.len()).unwrap_or(0);
    println!(
        "take: {minutes} min, 16 kHz mono 16-bit WAV, {:.1} MB",
        size as f64 / 1e6
    );
    // Warm the page cache: what a take just recorded or just opened looks like.
    let _ = std::fs::read(&take).map(|b| std::hint::black_box(b.len()));

    let mut times = Vec::new();
    let mut w = None;
    for _ in 0..runs {
        let t = Instant::now();
        let computed = Waveform::compute(&take).expect("waveform");
        times.push(t.elapsed());
        w = Some(computed);
    }
    let w = w.expect("at least one run");
    let each: Vec<String> = times
        .iter()
        .map(|t| format!("{:.0}", t.as_secs_f64() * 1e3))
        .collect();
    println!(
        "compute: best {:.0} ms (runs: {} ms); goal <= 1000 ms: {}",
        best(&times).as_secs_f64() * 1e3,
        each.join(", "),
        if best(&times) <= Duration::from_secs(1) {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "  {} buckets of {} frames, {} silences, {} clipped stretches marked",
        w.frames.div_ceil(u64::from(w.bucket_frames)),
        w.bucket_frames,
        w.silences().len(),
        w.clipping().len()
    );

    let cache = dir.path().join("cache");
    let t = Instant::now();
    Waveform::load_or_compute(&take, &cache).expect("compute + write cache");
    let first = t.elapsed();
    let t = Instant::now();
    let again = Waveform::load_or_compute(&take, &cache).expect("read cache");
    let cached = t.elapsed();
    assert_eq!(again, w, "the cache reads back what was computed");
    let cache_size: u64 = std::fs::read_dir(&cache)
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    println!(
        "cache: first open {:.0} ms (compute + write {:.1} MB), reopen {:.1} ms",
        first.as_secs_f64() * 1e3,
        cache_size as f64 / 1e6,
        cached.as_secs_f64() * 1e3
    );

    let whole = w.duration();
    for (what, start, end, columns) in [
        ("whole take, 1000 columns", Duration::ZERO, whole, 1000),
        ("whole take, 4000 columns", Duration::ZERO, whole, 4000),
        (
            "10 minutes, 1000 columns",
            Duration::from_secs(600),
            Duration::from_secs(1200),
            1000,
        ),
        (
            "10 seconds, 1000 columns",
            Duration::from_secs(1500),
            Duration::from_secs(1510),
            1000,
        ),
    ] {
        let per = time_queries(&w, start, end, columns);
        println!("query {what}: {:.1} µs per frame", per.as_secs_f64() * 1e6);
    }

    if std::env::var("BENCH_DECODED").is_ok_and(|v| v == "1") {
        let work = dir.path().join("work");
        let ogg = speech_scorer::audio::prepare::for_upload(&take, &work).expect("encode");
        let t = Instant::now();
        Waveform::compute(&ogg.path).expect("waveform of the Ogg");
        println!(
            "decoded take ({}, {:.1} MB): compute {:.0} ms",
            ogg.format,
            ogg.size_bytes as f64 / 1e6,
            t.elapsed().as_secs_f64() * 1e3
        );
    }
}
