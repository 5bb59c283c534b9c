//! Bench: `speech-scorer log --all` over a history of 1,000 generated runs (issue 15.2:
//! thousands of runs stay fast). Times the whole CLI process: the first search (which builds
//! the request index from every history file), searches with the index up to date (no
//! filter; a free-text filter; a page deep down), and one after a new run was saved (the
//! index reads just that run). For comparison, a full scan of the history without the index
//! (`History::list`, in process).
//!
//! Run: `cargo bench --bench log_all` (`BENCH_RUNS` for another count).

#[path = "../tests/common/history_gen.rs"]
mod history_gen;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use speech_scorer::store::{History, Paths};

fn log_all(home: &Path, args: &[&str]) -> Duration {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
        .env("SPEECH_SCORER_HOME", home)
        .args(["log", "--all"])
        .args(args)
        .output()
        .expect("run speech-scorer");
    let took = started.elapsed();
    assert!(out.status.success(), "{out:?}");
    took
}

fn best_of(n: usize, mut f: impl FnMut() -> Duration) -> Duration {
    (0..n).map(|_| f()).min().unwrap_or_default()
}

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let home = tempfile::tempdir().expect("home");
    let paths = Paths::under(home.path().to_path_buf());
    let history = History::new(&paths);
    let generated = history_gen::fill(&history, runs);
    let exchanges: usize = generated.iter().map(|r| r.exchanges.len()).sum();
    let bytes: u64 = std::fs::read_dir(history.dir())
        .expect("history dir")
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "history: {runs} runs, {exchanges} exchanges, {:.1} MB of run records",
        bytes as f64 / 1e6
    );

    let full_scan = best_of(3, || {
        let t = Instant::now();
        let (all, _) = history.list().expect("list");
        assert_eq!(all.len(), runs);
        t.elapsed()
    });
    println!("full scan without the index (History::list, in process): {full_scan:?}");

    let cold = log_all(home.path(), &[]);
    let index_size = std::fs::metadata(paths.data_dir.join("request-index.jsonl"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "log --all, first run (builds the index, {:.1} MB): {cold:?}",
        index_size as f64 / 1e6
    );
    let warm = best_of(5, || log_all(home.path(), &[]));
    println!("log --all, index up to date: {warm:?}");
    let text = best_of(5, || log_all(home.path(), &["--text", "needle-777"]));
    println!("log --all --text needle-777: {text:?}");
    let deep = best_of(5, || log_all(home.path(), &["--page", "100"]));
    println!("log --all --page 100: {deep:?}");
    let filtered = best_of(5, || {
        log_all(
            home.path(),
            &["--status", "5xx", "--since", "2026-04-10", "--json"],
        )
    });
    println!("log --all --status 5xx --since … --json: {filtered:?}");
    let mut late = history_gen::run(runs + 1, history_gen::start());
    late.external_id = Some("cand-late".into());
    history.save(&late).expect("save");
    let after_save = log_all(home.path(), &["--external-id", "cand-late"]);
    println!("log --all after one more run was saved (reads just it): {after_save:?}");
    let noop = best_of(5, || {
        let t = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
            .arg("--version")
            .output()
            .expect("run");
        assert!(out.status.success());
        t.elapsed()
    });
    println!("(for scale: speech-scorer --version takes {noop:?})");
}
