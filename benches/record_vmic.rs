//! Bench: what recording costs, side by side with PulseAudio's own `parec`, in one run.
//!
//! Starts a private virtual microphone (its own PulseAudio, as the tests do), loops speech
//! into it, and records the same source at the same time with `speech-scorer record` (this
//! build, release profile) and with `parec` (its defaults, and once more asked for 50 ms
//! fragments: the rate our meter needs). After a warm-up it reads each process's CPU time
//! (utime + stime from /proc/PID/stat) and context switches (all threads) over the same
//! wall-clock window, and prints the figures and the ratio. Goal: ≤ 2× `parec`.
//!
//! Run: `cargo bench --bench record_vmic` (`BENCH_SECONDS`, default 60, sets the window;
//! `BENCH_DEVICE` records from another device id, e.g. `alsa:default`; `BENCH_RECORDER_BIN`
//! measures another build of `speech-scorer`, e.g. the one before a change;
//! `BENCH_KEEPALIVE_MSEC` (default 20, as in the tests) sets how often the source delivers).

#[path = "../tests/vmic_support/mod.rs"]
mod vmic_support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// CPU ticks and context switches of a process (all its threads) at one moment.
#[derive(Debug, Clone, Copy)]
struct Usage {
    ticks: u64,
    switches: u64,
    at: Instant,
}

fn usage(pid: u32) -> Option<Usage> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at state (field 3).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    let mut switches = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .flatten()
    {
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        for line in status.lines() {
            if let Some(v) = line
                .strip_prefix("voluntary_ctxt_switches:")
                .or_else(|| line.strip_prefix("nonvoluntary_ctxt_switches:"))
            {
                switches += v.trim().parse::<u64>().unwrap_or(0);
            }
        }
    }
    Some(Usage {
        ticks,
        switches,
        at: Instant::now(),
    })
}

struct Cost {
    cpu_percent: f64,
    switches_per_s: f64,
}

fn cost(a: Usage, b: Usage) -> Cost {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let wall = (b.at - a.at).as_secs_f64();
    Cost {
        cpu_percent: 100.0 * (b.ticks - a.ticks) as f64 / hz / wall,
        switches_per_s: (b.switches - a.switches) as f64 / wall,
    }
}

fn speech(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("speech.wav");
    let ok = Command::new("espeak-ng")
        .arg("-w")
        .arg(&path)
        .arg("This is a long recording for the benchmark. It keeps talking, with pauses, like a candidate would.")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "espeak-ng is needed for this bench");
    path
}

fn parec(mic: &vmic_support::Vmic, out: &Path, latency_ms: Option<u32>) -> Child {
    let mut c = mic.command("parec");
    c.args(["-d", vmic_support::SOURCE, "--file-format=wav"]);
    if let Some(ms) = latency_ms {
        c.arg(format!("--latency-msec={ms}"));
    }
    c.arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("parec starts")
}

fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(60);
    let device = std::env::var("BENCH_DEVICE").ok();
    // The tests' virtual mic keeps its sink at 20 ms (the null sink then renders 5 ms blocks:
    // 200 deliveries a second to every recorder); a real microphone delivers at the rate the
    // most demanding client asks for, ours 50 ms.
    let keepalive_ms: u32 = std::env::var("BENCH_KEEPALIVE_MSEC")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(20);
    let mic = vmic_support::take_with_keepalive(keepalive_ms);
    let dir = tempfile::tempdir().expect("tempdir");
    let speech = speech(dir.path());

    // Speech looping into the microphone for the whole run.
    let looping = Arc::new(AtomicBool::new(true));
    let player = {
        let (looping, speech) = (Arc::clone(&looping), speech.clone());
        let mic = mic.vmic();
        std::thread::spawn(move || {
            while looping.load(Ordering::Relaxed) {
                let _ = mic.play(&speech).wait();
            }
        })
    };

    let warmup = Duration::from_secs(3);
    let take = dir.path().join("bench-take.wav");
    let bin = std::env::var("BENCH_RECORDER_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_speech-scorer").to_string());
    let mut record = Command::new(&bin);
    record
        .args(["record", "--seconds", &(seconds + 6).to_string()])
        .arg(&take);
    if let Some(d) = &device {
        record.args(["--device", d]);
    }
    let log = std::fs::File::create(dir.path().join("record.log")).expect("log");
    let mut ours = record
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("speech-scorer record starts");
    let mut parec_default = parec(&mic, &dir.path().join("parec.wav"), None);
    let mut parec_50 = parec(&mic, &dir.path().join("parec-50.wav"), Some(50));
    std::thread::sleep(warmup);

    let pids = [ours.id(), parec_default.id(), parec_50.id()];
    let before: Vec<Usage> = pids.iter().map(|&p| usage(p).expect("running")).collect();
    std::thread::sleep(Duration::from_secs(seconds));
    let after: Vec<Usage> = pids
        .iter()
        .map(|&p| usage(p).expect("still running"))
        .collect();

    for p in [&mut parec_default, &mut parec_50] {
        // SAFETY: signalling our own child; SIGINT lets parec finish its file.
        unsafe {
            libc::kill(p.id() as libc::pid_t, libc::SIGINT);
        }
        let _ = p.wait();
    }
    let status = ours.wait().expect("speech-scorer record ends");
    looping.store(false, Ordering::Relaxed);
    let _ = player.join();

    let costs: Vec<Cost> = before
        .iter()
        .zip(&after)
        .map(|(&a, &b)| cost(a, b))
        .collect();
    let take_secs = hound::WavReader::open(&take)
        .map(|r| f64::from(r.duration()) / 16_000.0)
        .unwrap_or(0.0);
    let log = std::fs::read_to_string(dir.path().join("record.log")).unwrap_or_default();
    println!(
        "recording the same virtual source (keep-alive {keepalive_ms} ms) for {seconds} s \
         (after a {}-s warm-up), side by side:",
        warmup.as_secs()
    );
    let names = [
        format!(
            "speech-scorer record{}",
            device.map(|d| format!(" --device {d}")).unwrap_or_default()
        ),
        "parec (its defaults)".to_string(),
        "parec --latency-msec=50".to_string(),
    ];
    for (name, c) in names.iter().zip(&costs) {
        println!(
            "  {name:<40} {:>6.2} % of one core  {:>7.1} context switches/s",
            c.cpu_percent, c.switches_per_s
        );
    }
    let ratio = costs[0].cpu_percent / costs[1].cpu_percent.max(1e-9);
    let ratio_50 = costs[0].cpu_percent / costs[2].cpu_percent.max(1e-9);
    println!(
        "  ratio to parec: {ratio:.2}× (goal ≤ 2×: {}); to parec at 50 ms: {ratio_50:.2}×",
        if ratio <= 2.0 { "met" } else { "NOT met" }
    );
    println!(
        "  {}",
        log.lines()
            .find(|l| l.starts_with("Recording from"))
            .unwrap_or("(no \"Recording from\" line)")
    );
    println!(
        "  take: {take_secs:.1} s, exit {}; {}",
        status.code().unwrap_or(-1),
        log.lines()
            .rev()
            .find(|l| l.starts_with("Saved"))
            .unwrap_or("(no \"Saved\" line)")
    );
}
