//! Helpers for the engine and CLI integration tests: a shared 3-minute fixture, simulators
//! from inline scenarios, request counting, and running the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use speech_scorer::engine::events::{EventSink, JobEvent};
use speech_scorer::simulator::{RecordedRequest, Scenario, SimConfig, SimHandle, Simulator};

#[path = "../common/mod.rs"]
pub mod common;

pub const SUBMIT: &str = "/api/v1/speech/analyze";

/// A 181-second speech-like WAV, made once per test binary.
pub fn three_minutes() -> PathBuf {
    static FIXTURE: OnceLock<PathBuf> = OnceLock::new();
    FIXTURE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir").keep();
            let path = dir.join("answer-181s.wav");
            common::write_speechlike_wav(&path, 181.0, 8000);
            path
        })
        .clone()
}

/// A 10-second file: too short.
pub fn ten_seconds() -> PathBuf {
    static FIXTURE: OnceLock<PathBuf> = OnceLock::new();
    FIXTURE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir").keep();
            let path = dir.join("short-10s.wav");
            common::write_speechlike_wav(&path, 10.0, 8000);
            path
        })
        .clone()
}

/// A fast simulator playing `toml` (empty: no script).
pub async fn sim(toml: &str) -> SimHandle {
    let mut cfg = SimConfig::fast();
    if !toml.trim().is_empty() {
        cfg = cfg.with_scenario(Scenario::from_toml_str(toml).expect("scenario parses"));
    }
    Simulator::start(cfg).await.expect("simulator starts")
}

/// Submits (POSTs to the analyze endpoint) the simulator saw.
pub fn submits(reqs: &[RecordedRequest]) -> usize {
    reqs.iter()
        .filter(|r| r.method == "POST" && r.path == SUBMIT)
        .count()
}

/// Polls the simulator saw.
pub fn polls(reqs: &[RecordedRequest]) -> Vec<&RecordedRequest> {
    reqs.iter()
        .filter(|r| r.method == "GET" && r.path.starts_with(&format!("{SUBMIT}/")))
        .collect()
}

/// Look-ups by externalId the simulator saw.
pub fn lookups(reqs: &[RecordedRequest]) -> usize {
    reqs.iter()
        .filter(|r| r.method == "GET" && r.path == "/api/v1/speech/runs")
        .count()
}

/// A sink that keeps every event.
pub fn collecting_sink() -> (EventSink, Arc<Mutex<Vec<JobEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&events);
    let sink: EventSink = Arc::new(move |e| {
        if let Ok(mut v) = keep.lock() {
            v.push(e);
        }
    });
    (sink, events)
}

/// What the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The one JSON object on stdout.
    pub fn json(&self) -> serde_json::Value {
        let lines: Vec<&str> = self
            .stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(
            lines.len(),
            1,
            "exactly one JSON line on stdout: {:?}",
            self.stdout
        );
        serde_json::from_str(lines[0]).expect("stdout is JSON")
    }
}

/// The binary, with a private home and the given key and base URL.
pub fn command(home: &Path, base_url: &str, key: &str, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_speech-scorer"));
    cmd.args(args)
        .env("SPEECH_SCORER_HOME", home)
        .env("ZENHIRE_API_KEY", key)
        .env("ZENHIRE_BASE_URL", base_url)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Runs the binary to the end (at most 60 s).
pub async fn run_cli(home: &Path, base_url: &str, key: &str, args: &[&str]) -> Run {
    let child = command(home, base_url, key, args)
        .spawn()
        .expect("binary starts");
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("binary finishes within 60 s")
        .expect("binary output");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}
