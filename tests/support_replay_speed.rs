//! Replay at any speed (issue 15.1): a bundle from a run that sat out two long warm-ups
//! replays at `max` in seconds and at `--speed 10` in about a tenth of the original's waits,
//! with the same requests, the same waits chosen (recorded unscaled) and the same outcome and
//! exit code — "matches the original".
//!
//! The original runs are made by the engine against the simulator at full speed (its clock
//! skips the waits, and the request log records exactly the waits a real-time run records);
//! their timestamps are then spread out by those waits, as the real run's would be.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use speech_scorer::api::client::{ApiClient, ApiKey};
use speech_scorer::engine::job::{JobOptions, JobSpec, Start, run};
use speech_scorer::engine::{Outcome, OutcomeKind};
use speech_scorer::simulator::{Scenario, SimConfig, Simulator};
use speech_scorer::store::{History, RunRecord, Settings};
use speech_scorer::support::bundle::{BundleOptions, read_bundle, write_bundle};
use speech_scorer::support::replay::{ReplayOptions, ReplaySpeed, replay, total_wait_secs};

const KEY: &str = "zh_live_replay_speed_key_4242";

fn warm_ups(retry_after: u64) -> Scenario {
    Scenario::from_toml_str(&format!(
        r#"
name = "two-long-warm-ups"

[[step]]
on = "submit"
respond = "error"
code = "SERVICE_WARMING_UP"
retry_after = {retry_after}
repeat = 2

[[step]]
on = "submit"
respond = "queued"
queue_position = 1

[[step]]
on = "poll"
respond = "success"
"#
    ))
    .expect("scenario")
}

/// The customer's run, bundled: two warm-ups of `retry_after` seconds each, then success.
fn original_bundle(dir: &Path, retry_after: u64) -> (PathBuf, RunRecord, Outcome) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let audio = dir.join("take.wav");
    common::write_speechlike_wav(&audio, 181.0, 8000);
    let sim = rt
        .block_on(Simulator::start(
            SimConfig::fast()
                .with_key(KEY)
                .with_scenario(warm_ups(retry_after)),
        ))
        .expect("simulator");
    let history = History::in_dir(dir.join("history"));
    let client = ApiClient::new(&sim.base_url(), ApiKey::new(KEY)).expect("client");
    let outcome = rt.block_on(run(
        client,
        Start::Submit(JobSpec::new(&audio)),
        JobOptions {
            speed: f64::INFINITY,
            ..JobOptions::default()
        },
        Some(history.records()),
        speech_scorer::engine::events::null_sink(),
        tokio_util::sync::CancellationToken::new(),
    ));
    drop(sim);
    assert_eq!(outcome.kind, OutcomeKind::Success, "{outcome:?}");
    let (records, _) = history.list().expect("history");
    let mut record = records.into_iter().next().expect("record");
    // Spread the timestamps by the waits, as a run that really sat them out has them.
    let mut shift = chrono::Duration::zero();
    for ex in &mut record.exchanges {
        ex.at += shift;
        if let Some(w) = &ex.wait {
            shift += chrono::Duration::milliseconds((w.seconds * 1000.0) as i64);
        }
    }
    let warm: Vec<f64> = record
        .exchanges
        .iter()
        .filter_map(|e| e.wait.as_ref())
        .filter(|w| w.reason == speech_scorer::engine::policy::WaitReason::WarmingUp)
        .map(|w| w.seconds)
        .collect();
    // Never shorter than Retry-After; a repeat backs off further (with jitter).
    assert_eq!(warm.len(), 2, "two warm-ups: {warm:?}");
    assert!(warm.iter().all(|w| *w >= retry_after as f64), "{warm:?}");
    let zip = dir.join("customer.zip");
    write_bundle(
        &record,
        &Settings::default(),
        &BundleOptions::default(),
        &zip,
    )
    .expect("bundle");
    (zip, record, outcome)
}

fn replay_cli(home: &Path, bundle: &Path, speed: &str) -> (std::process::Output, Duration) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
        .env("SPEECH_SCORER_HOME", home)
        .env_remove("ZENHIRE_API_KEY")
        .env_remove("ZENHIRE_BASE_URL")
        .args(["replay", "--json", "--speed", speed])
        .arg(bundle)
        .output()
        .expect("replay");
    (out, started.elapsed())
}

#[test]
fn twenty_minutes_of_warm_ups_replay_in_seconds_at_max() {
    let dir = tempfile::tempdir().expect("dir");
    let (zip, record, original) = original_bundle(dir.path(), 600);
    let waited = total_wait_secs(&record.exchanges);
    assert!(waited >= 1200.0, "the original waited {waited} s");

    let (out, took) = replay_cli(&dir.path().join("desk"), &zip, "max");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("matches the original"), "{stderr}");
    assert!(
        took < Duration::from_secs(5),
        "replayed in {took:?}, not in seconds"
    );
    let again: Outcome = serde_json::from_slice(&out.stdout).expect("outcome json");
    assert_eq!(again, original, "the same outcome object");
    eprintln!("replay of a {waited:.0} s-wait bundle at max: {took:?} (whole CLI process)");

    // In process: the waits it chose are the original's, unscaled.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let bundle = read_bundle(&zip).expect("bundle");
    let report = rt
        .block_on(replay(
            &bundle,
            &dir.path().join("scratch"),
            ReplayOptions {
                speed: ReplaySpeed::Max,
                ..ReplayOptions::default()
            },
            speech_scorer::engine::events::null_sink(),
            tokio_util::sync::CancellationToken::new(),
        ))
        .expect("replay");
    assert!(report.matches(), "{:?}", report.first_difference());
    assert_eq!(report.replayed_waits, report.original_waits);
    assert_eq!(total_wait_secs(&report.exchanges), waited);
}

#[test]
fn at_speed_10_a_replay_takes_a_tenth_of_the_original_waits() {
    let dir = tempfile::tempdir().expect("dir");
    let (zip, record, original) = original_bundle(dir.path(), 12);
    let waited = total_wait_secs(&record.exchanges);
    let (out, took) = replay_cli(&dir.path().join("desk"), &zip, "10");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("matches the original"), "{stderr}");
    let again: Outcome = serde_json::from_slice(&out.stdout).expect("outcome json");
    assert_eq!(again, original);
    let tenth = Duration::from_secs_f64(waited / 10.0);
    eprintln!("original waits {waited:.1} s; replay at 10×: {took:?} (a tenth: {tenth:?})");
    // It sleeps every wait divided by 10 — never less — plus process start-up and the
    // upload's short hold-back per submit.
    assert!(
        took >= tenth,
        "{took:?} is shorter than a tenth ({tenth:?})"
    );
    assert!(
        took < tenth + Duration::from_secs(4),
        "{took:?} is much more than a tenth ({tenth:?})"
    );
}
