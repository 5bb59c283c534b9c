//! `speech-scorer batch` over real HTTP against the simulator (issue 13): a 20-row manifest
//! ends each row right while the account's limits hold (active runs, request rate); a warm-up
//! in the middle of a batch pauses every run and the batch resumes; a batch killed with
//! SIGKILL resumes with no duplicate run and no credits left held. The simulator runs
//! time-scaled (÷10: P 1.5 s, poll gate 1 s, rate window 6 s) and the CLI scales its request
//! budget's window the same way (`--time-scale 10`).

mod simulator_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use simulator_support::{speechlike, start, wav};
use speech_scorer::simulator::{
    Disruption, DisruptionKind, Endpoint, Respond, Scenario, SimConfig, SimHandle, Step,
};

const SCALE: &str = "10";

/// 181 s of speech-like sound at 2 kHz (small files; the simulator scores them).
fn speech() -> Vec<u8> {
    wav(181.0, 2000, 16, speechlike)
}

fn silence(seconds: f64) -> Vec<u8> {
    wav(seconds, 2000, 16, |_| 0.0)
}

/// A private home (history, batches) and a folder of inputs.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, bytes).expect("write input");
        p
    }

    fn command(&self, sim: &SimHandle, args: &[&str]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_speech-scorer"));
        c.arg("batch")
            .args(args)
            .args(["--base-url", &sim.base_url(), "--time-scale", SCALE])
            .env("SPEECH_SCORER_HOME", self.path("home"))
            .env("ZENHIRE_API_KEY", sim.api_key())
            .env_remove("ZENHIRE_BASE_URL")
            .kill_on_drop(true);
        c
    }

    async fn run(&self, sim: &SimHandle, args: &[&str]) -> std::process::Output {
        tokio::time::timeout(Duration::from_secs(180), self.command(sim, args).output())
            .await
            .expect("the batch ends within 3 minutes")
            .expect("the CLI runs")
    }
}

/// results.jsonl, by row.
fn results(path: &Path) -> BTreeMap<u64, Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut by_row = BTreeMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let v: Value = serde_json::from_str(line).expect("each line is one JSON object");
        let row = v["row"].as_u64().expect("row");
        assert!(by_row.insert(row, v).is_none(), "row {row} written twice");
    }
    by_row
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twenty_row_manifest_ends_each_row_right_within_the_accounts_limits() {
    // The sim allows 24 requests per (scaled) minute; the batch keeps to 20 and 4 runs at
    // once, so going over either shows here as a 429 or in the stats.
    let mut cfg = SimConfig {
        rate_per_minute: 24,
        ..SimConfig::default()
    }
    .time_scaled(10.0);
    // The first poll of any run ends it `partial` (the first runs are all speech).
    cfg = cfg.with_scenario(Scenario {
        steps: vec![Step::new(Endpoint::Poll, Respond::Partial)],
        ..Scenario::default()
    });
    let sim = start(cfg).await;
    let f = Fixture::new();
    let (speech, silent) = (speech(), silence(181.0));
    let mut manifest = String::from("file,language,externalId,metadata\n");
    for i in 1..=12 {
        f.write(&format!("in/speech-{i:02}.wav"), &speech);
        manifest.push_str(&format!("in/speech-{i:02}.wav,,,\n"));
    }
    for i in 13..=15 {
        f.write(&format!("in/silent-{i}.wav"), &silent);
        manifest.push_str(&format!("in/silent-{i}.wav,,,\n"));
    }
    f.write("in/short.wav", &silence(10.0));
    f.write("in/notes.mp3", b"not audio at all");
    manifest.push_str("in/short.wav,,,\nin/notes.mp3,,,\nin/missing.wav,,,\n");
    f.write("in/cand-19.wav", &speech);
    f.write("in/cand-20.wav", &speech);
    manifest.push_str("in/cand-19.wav,en,cand-19,\"{\"\"candidate\"\":\"\"c_19\"\"}\"\n");
    manifest.push_str("in/cand-20.wav,de,cand-20,\n");
    let manifest_path = f.write("manifest.csv", manifest.as_bytes());
    let out = f.path("out");
    let m = manifest_path.to_str().expect("utf-8");
    let o = f
        .run(
            &sim,
            &[
                m,
                "--concurrency",
                "4",
                "--requests-per-minute",
                "20",
                "--json",
                "--out",
                out.to_str().expect("utf-8"),
            ],
        )
        .await;
    let err = stderr(&o);
    // 4 (a run failed) is the most severe per-row code here (over 2, invalid input).
    assert_eq!(o.status.code(), Some(4), "{err}");

    let rows = results(&out.join("results.jsonl"));
    assert_eq!(rows.len(), 20, "one line per recording: {rows:?}");
    let stdout_lines = String::from_utf8_lossy(&o.stdout).lines().count();
    assert_eq!(stdout_lines, 20, "--json: the same lines on stdout");
    let kind = |r: u64| rows[&r]["outcome"].as_str().unwrap_or_default().to_string();
    let speech_rows: Vec<u64> = (1..=12).chain(19..=20).collect();
    let partial: Vec<u64> = speech_rows
        .iter()
        .copied()
        .filter(|r| kind(*r) == "partial")
        .collect();
    assert_eq!(partial.len(), 1, "exactly one partial: {partial:?}");
    for r in &speech_rows {
        let line = &rows[r];
        assert!(
            ["success", "partial"].contains(&kind(*r).as_str()),
            "row {r}: {line}"
        );
        assert!(
            line["runId"]
                .as_str()
                .is_some_and(|id| id.starts_with("req_"))
        );
        assert!(line["result"]["scores"].is_object(), "row {r}: {line}");
    }
    for r in 13..=15 {
        assert_eq!(kind(r), "failed", "row {r}");
        assert_eq!(rows[&r]["error"]["code"], "TRANSCRIPTION_FAILED");
    }
    for (r, code) in [
        (16, "AUDIO_TOO_SHORT"),
        (17, "UNSUPPORTED_FORMAT"),
        (18, "MISSING_AUDIO_FILE"),
    ] {
        assert_eq!(kind(r), "invalid_input", "row {r}");
        assert_eq!(rows[&r]["error"]["code"], code, "row {r}: {}", rows[&r]);
        assert_eq!(
            rows[&r]["runId"],
            Value::Null,
            "nothing was sent for row {r}"
        );
    }
    // The manifest's externalIds and metadata are the runs'; the others are made per row.
    assert_eq!(rows[&19]["externalId"], "cand-19");
    assert_eq!(rows[&19]["result"]["metadata"]["candidate"], "c_19");
    assert_eq!(rows[&20]["result"]["audio"]["requestedLanguage"], "de");
    let batch_id = rows[&1]["externalId"]
        .as_str()
        .and_then(|e| e.strip_prefix("batch-"))
        .and_then(|e| e.strip_suffix("-1"))
        .expect("batch-<id>-<row>")
        .to_string();
    assert!(
        rows[&1]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("speech-01.wav"))
    );
    // Same shape as `score --json`, plus the row and the file.
    let keys: BTreeSet<&str> = rows[&1]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "outcome",
            "runId",
            "externalId",
            "localId",
            "result",
            "error",
            "row",
            "file"
        ])
    );

    let stats = sim.stats();
    assert!(stats.max_processing <= 4, "active runs: {stats:?}");
    assert!(
        stats.max_processing >= 2,
        "runs did go in parallel: {stats:?}"
    );
    assert!(
        stats.max_requests_per_window <= 20,
        "the request budget held in every window: {}",
        stats.max_requests_per_window
    );
    assert_eq!(stats.self_inflicted_429s, 0, "{:?}", stats.throttled);
    assert_eq!(stats.runs_created, 17, "only valid rows were sent");
    assert!(stats.duplicate_external_ids.is_empty());
    assert_eq!(stats.credits.held, 0);

    let summary = std::fs::read_to_string(out.join("summary.csv")).expect("summary.csv");
    assert_eq!(summary.lines().count(), 21, "{summary}");
    assert!(
        summary.starts_with("row,file,externalId,outcome,exitCode,"),
        "{summary}"
    );
    assert!(summary.contains(",failed,4,"), "{summary}");
    assert!(summary.contains(",invalid_input,2,"), "{summary}");

    // --status reads the saved batch, by its id or by the manifest.
    let mut status = f.command(&sim, &["--status", m, "--json"]);
    let s = status.output().await.expect("status");
    assert_eq!(s.status.code(), Some(0), "{}", stderr(&s));
    let state: Value = serde_json::from_slice(&s.stdout).expect("state JSON");
    assert_eq!(state["id"], batch_id);
    assert_eq!(state["rows"].as_array().map(Vec::len), Some(20));
    let mut by_id = f.command(&sim, &["--status", &batch_id]);
    let s = by_id.output().await.expect("status");
    let text = String::from_utf8_lossy(&s.stdout);
    assert!(
        text.contains("20 recordings: 13 success, 1 partial, 3 failed, 3 invalid input"),
        "{text}"
    );
    assert!(text.contains("complete (exit code 4)"), "{text}");

    // Running it again skips every row the service answered, checks the invalid ones again,
    // and sends nothing.
    let before = sim.stats().requests;
    let again = f
        .run(&sim, &[m, "--out", out.to_str().expect("utf-8")])
        .await;
    assert_eq!(again.status.code(), Some(4), "{}", stderr(&again));
    assert_eq!(
        sim.stats().requests,
        before,
        "a finished batch sends nothing"
    );
    assert_eq!(results(&out.join("results.jsonl")).len(), 20);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_up_mid_batch_pauses_every_run_and_the_batch_resumes() {
    // Once 5 runs exist, every request gets 503 SERVICE_WARMING_UP for 8 s, with Retry-After
    // the time left, at most 3 s.
    let mut cfg = SimConfig::default();
    cfg.disruptions.push(Disruption::new(
        DisruptionKind::WarmingUp,
        5,
        Duration::from_secs(80),
    ));
    let sim = start(cfg.time_scaled(10.0)).await;
    let f = Fixture::new();
    let speech = speech();
    for i in 1..=10 {
        f.write(&format!("in/take-{i:02}.wav"), &speech);
    }
    // A small request budget (8 per window: about one request every 0.86 s) spreads the
    // runs' requests out, so when the warm-up begins each run would find out at its own
    // moment.
    let o = f
        .run(
            &sim,
            &[
                f.path("in").to_str().expect("utf-8"),
                "--concurrency",
                "4",
                "--requests-per-minute",
                "8",
                "--out",
                f.path("out").to_str().expect("utf-8"),
            ],
        )
        .await;
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let rows = results(&f.path("out/results.jsonl"));
    assert_eq!(rows.len(), 10);
    assert!(rows.values().all(|r| r["outcome"] == "success"), "{rows:?}");

    let stats = sim.stats();
    assert!(
        stats.warming_up_503s >= 1,
        "the warm-up happened: {stats:?}"
    );
    assert_eq!(stats.self_inflicted_429s, 0, "{:?}", stats.throttled);
    assert!(
        stats.duplicate_external_ids.is_empty(),
        "a 503 created no run"
    );
    assert_eq!(stats.runs_created, 10);
    // The warm-up began with the 5th run; the first 503 came within a few seconds (the next
    // request of any run), with Retry-After 3 (more than 3 s of the warm-up were left).
    // From then on nobody sent anything until those 3 s had passed: the runs share one
    // not-before. (Each run alone would have found out with its own next request.)
    let log = sim.requests();
    let fifth = log
        .iter()
        .filter(|r| r.method == "POST" && r.status == 202)
        .nth(4)
        .map(|r| r.at)
        .expect("a 5th run");
    let first = log
        .iter()
        .find(|r| r.status == 503)
        .map(|r| r.at)
        .expect("a 503");
    let ms = |t: chrono::DateTime<chrono::Utc>| (t - first).num_milliseconds();
    assert!(
        ms(fifth) > -4000,
        "the first 503 came with more than 3 s of the warm-up left ({} ms in)",
        -ms(fifth)
    );
    let timeline: Vec<String> = log
        .iter()
        .map(|r| {
            format!(
                "{:+} ms {} {} -> {} {}",
                ms(r.at),
                r.method,
                r.path,
                r.status,
                r.fault.as_deref().unwrap_or("")
            )
        })
        .collect();
    let quiet = log
        .iter()
        .filter(|r| (500..2800).contains(&ms(r.at)))
        .count();
    assert_eq!(
        quiet,
        0,
        "requests during the shared pause:\n{}",
        timeline.join("\n")
    );
    let after = log.iter().filter(|r| ms(r.at) > 0).count();
    assert!(after > 10, "the batch went on after the pause");
    assert!(
        err.contains("warming up"),
        "the wait and its reason are shown: {err}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_killed_mid_way_resumes_with_no_duplicate_run_and_no_credits_held() {
    let sim = start(SimConfig::default().time_scaled(10.0)).await;
    let f = Fixture::new();
    let speech = speech();
    for i in 1..=20 {
        f.write(&format!("in/rec-{i:02}.wav"), &speech);
    }
    let input = f.path("in");
    let out = f.path("out");
    let args = [
        input.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ];
    let mut child = f
        .command(&sim, &args)
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Some rows ended, others are uploading or being polled: kill -9 at a random moment.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while results(&out.join("results.jsonl")).len() < 5 {
        assert!(tokio::time::Instant::now() < deadline, "no rows ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let extra = rand::random_range(0..1500);
    tokio::time::sleep(Duration::from_millis(extra)).await;
    child.start_kill().expect("SIGKILL");
    let status = child.wait().await.expect("wait");
    assert_eq!(status.code(), None, "killed by a signal");
    let ended_before = results(&out.join("results.jsonl")).len();
    assert!(ended_before < 20, "killed mid-way ({ended_before} ended)");
    let at_kill = sim.stats();

    let o = f.run(&sim, &args).await;
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let rows = results(&out.join("results.jsonl"));
    assert_eq!(rows.len(), 20, "all results: {err}");
    assert!(rows.values().all(|r| r["outcome"] == "success"), "{rows:?}");
    let ids: BTreeSet<&str> = rows.values().filter_map(|r| r["runId"].as_str()).collect();
    assert_eq!(ids.len(), 20, "one run per recording");

    let stats = sim.stats();
    assert!(
        stats.duplicate_external_ids.is_empty(),
        "no recording was submitted twice: {:?}",
        stats.runs_per_external_id
    );
    assert_eq!(stats.runs_created, 20);
    assert_eq!(stats.runs_per_external_id.len(), 20);
    assert_eq!(
        stats.credits.held, 0,
        "no credits left held: {:?}",
        stats.credits
    );
    // 181 s costs 4 credits a run; every run charged once.
    assert_eq!(stats.credits.charged, 80);
    assert!(
        at_kill.runs_created > ended_before as u64 || err.contains("continuing"),
        "the rerun continued runs of the killed attempt: {at_kill:?} {err}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_a_batch_cleanly_and_the_same_command_finishes_it() {
    let sim = start(SimConfig::default().time_scaled(10.0)).await;
    let f = Fixture::new();
    let speech = speech();
    for i in 1..=12 {
        f.write(&format!("in/rec-{i:02}.wav"), &speech);
    }
    let input = f.path("in");
    let out = f.path("out");
    let args = [
        input.to_str().expect("utf-8"),
        "--concurrency",
        "4",
        "--out",
        out.to_str().expect("utf-8"),
    ];
    let child = f
        .command(&sim, &args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while results(&out.join("results.jsonl")).len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "no rows ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = child.id().expect("pid") as libc::pid_t;
    // SAFETY: a signal to the child this test spawned.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let o = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("Ctrl-C ends the batch promptly")
        .expect("wait");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "not finished: {err}");
    assert!(
        err.contains("Run the same command again to resume"),
        "{err}"
    );
    let stopped = results(&out.join("results.jsonl")).len();
    assert!(stopped < 12, "stopped mid-way: {stopped}");
    let mut status = f.command(&sim, &["--status", input.to_str().expect("utf-8")]);
    let s = status.output().await.expect("status");
    let text = String::from_utf8_lossy(&s.stdout);
    assert!(text.contains("not finished"), "{text}");
    let summary = std::fs::read_to_string(out.join("summary.csv")).expect("summary.csv");
    assert_eq!(
        summary.lines().count(),
        13,
        "every row, ended or not: {summary}"
    );

    let o = f.run(&sim, &args).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = results(&out.join("results.jsonl"));
    assert_eq!(rows.len(), 12);
    assert!(rows.values().all(|r| r["outcome"] == "success"), "{rows:?}");
    let stats = sim.stats();
    assert!(
        stats.duplicate_external_ids.is_empty(),
        "{:?}",
        stats.runs_per_external_id
    );
    assert_eq!(stats.runs_created, 12);
    assert_eq!(stats.credits.held, 0);
    assert_eq!(stats.self_inflicted_429s, 0, "{:?}", stats.throttled);
    sim.shutdown().await;
}
