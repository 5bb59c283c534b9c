//! The support desk end to end, through the CLI: a run that fails (warm-up twice, then
//! TRANSCRIPTION_LOW_CONFIDENCE) is scored, bundled and replayed; the replay makes the same
//! sequence of exchanges and ends with the same outcome object, exit code and dialog.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use speech_scorer::engine::Outcome;
use speech_scorer::guidance;
use speech_scorer::simulator::{Scenario, SimConfig, SimHandle, Simulator};
use speech_scorer::support::bundle::read_bundle;
use speech_scorer::support::replay::{ReplayOptions, ReplaySpeed, replay, signature};

const KEY: &str = "zh_live_replay_test_key_5150";

const FAILING: &str = r#"
name = "warm-up-twice-then-low-confidence"

[[step]]
on = "submit"
respond = "error"
code = "SERVICE_WARMING_UP"
retry_after = 1
repeat = 2

[[step]]
on = "submit"
respond = "queued"
queue_position = 2

[[step]]
on = "poll"
respond = "processing"

[[step]]
on = "poll"
respond = "failed"
code = "TRANSCRIPTION_LOW_CONFIDENCE"
message = "Audio content does not match the requested language."
"#;

fn bin(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_speech-scorer"));
    c.env("SPEECH_SCORER_HOME", home)
        .env("ZENHIRE_API_KEY", KEY)
        .env_remove("ZENHIRE_BASE_URL");
    c
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run speech-scorer")
}

fn start_sim(rt: &tokio::runtime::Runtime) -> SimHandle {
    let scenario = Scenario::from_toml_str(FAILING).expect("scenario");
    rt.block_on(Simulator::start(
        SimConfig::fast().with_key(KEY).with_scenario(scenario),
    ))
    .expect("simulator")
}

#[test]
fn a_failed_run_bundled_and_replayed_ends_the_same_way() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sim = start_sim(&rt);
    let home = tempfile::tempdir().expect("home");
    let (_audio_dir, audio) = common::speech_fixture(181.0);

    // 1. The customer's run.
    let scored = run(bin(home.path())
        .args(["score", "--json", "--base-url", &sim.base_url()])
        .arg(&audio));
    assert_eq!(scored.status.code(), Some(4), "{scored:?}");
    let original: Outcome = serde_json::from_slice(&scored.stdout).expect("outcome json");
    let run_id = original.run_id.clone().expect("run id");
    let err = original.error.as_ref().expect("error");
    assert_eq!(err.code.as_str(), "TRANSCRIPTION_LOW_CONFIDENCE");
    drop(sim);

    // 2. The request log shows every exchange.
    let log = run(bin(home.path()).args(["log", &run_id]));
    assert!(log.status.success(), "{log:?}");
    let table = String::from_utf8_lossy(&log.stdout);
    assert_eq!(table.matches("SERVICE_WARMING_UP").count(), 2, "{table}");
    assert!(table.contains("TRANSCRIPTION_LOW_CONFIDENCE") || table.contains(" 200 "));

    // 3. The bundle.
    let bundle_path = home.path().join("support.zip");
    let bundled = run(bin(home.path())
        .args(["bundle", &run_id, "-o"])
        .arg(&bundle_path));
    assert!(bundled.status.success(), "{bundled:?}");
    let bundle = read_bundle(&bundle_path).expect("bundle");
    assert_eq!(bundle.manifest.run_id.as_deref(), Some(run_id.as_str()));
    assert!(bundle.recording.is_none(), "no recording unless asked");
    let original_seq: Vec<String> = bundle.record.exchanges.iter().map(signature).collect();
    assert_eq!(
        original_seq.first().map(String::as_str),
        Some("submit 503 SERVICE_WARMING_UP")
    );
    assert_eq!(
        original_seq.last().map(String::as_str),
        Some("poll 200 TRANSCRIPTION_LOW_CONFIDENCE")
    );

    // 4. Replay through the CLI: the same outcome object and exit code, no server needed.
    let scenario_path = home.path().join("replay.toml");
    let replayed = run(Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
        .env("SPEECH_SCORER_HOME", home.path().join("support-desk"))
        .env_remove("ZENHIRE_API_KEY")
        .args(["replay", "--json", "--export-scenario"])
        .arg(&scenario_path)
        .arg(&bundle_path));
    assert_eq!(replayed.status.code(), Some(4), "{replayed:?}");
    let again: Outcome = serde_json::from_slice(&replayed.stdout).expect("replay outcome");
    assert_eq!(again, original, "the same outcome object");
    let stderr = String::from_utf8_lossy(&replayed.stderr);
    assert!(stderr.contains("same"), "{stderr}");
    let exported = Scenario::load(&scenario_path).expect("exported scenario loads");
    assert_eq!(
        exported.expect.as_ref().and_then(|e| e.code.as_deref()),
        Some("TRANSCRIPTION_LOW_CONFIDENCE")
    );

    // 5. The same replay in process: the same sequence of codes, the same dialog.
    let scratch = tempfile::tempdir().expect("scratch");
    let report = rt
        .block_on(replay(
            &bundle,
            scratch.path(),
            ReplayOptions {
                max_wait: Duration::from_secs(120),
                speed: ReplaySpeed::Times(1.0),
            },
            speech_scorer::engine::events::null_sink(),
            tokio_util::sync::CancellationToken::new(),
        ))
        .expect("replay");
    assert_eq!(report.replayed_sequence, original_seq);
    assert_eq!(report.steps_left, 0);
    assert!(report.matches(), "{:?}", report.first_difference());
    let dialog = |o: &Outcome| {
        guidance::for_outcome_error(o.error.as_ref().expect("error"), o.run_id.as_deref())
    };
    assert_eq!(dialog(&report.outcome), dialog(&original));
    assert!(dialog(&original).title.len() > 3);
}

/// Shipped scenarios with raw faults and retries: every one replays to the same requests and
/// the same outcome (HTML 502 pages, dropped connections, 429s with Retry-After, a partial
/// result, a 402 refusal).
#[test]
fn shipped_fault_scenarios_replay_exactly() {
    use speech_scorer::api::client::{ApiClient, ApiKey};
    use speech_scorer::engine::job::{JobOptions, JobSpec, Start, run};
    use speech_scorer::store::{History, Settings};
    use speech_scorer::support::bundle::{BundleOptions, write_bundle};

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("dir");
    let audio = dir.path().join("take.wav");
    common::write_speechlike_wav(&audio, 181.0, 8000);
    for name in [
        "html-502",
        "dropped-connection",
        "retry-429-poll-rate-limited",
        "partial",
        "retry-402-insufficient-credits",
        "drop-after-create",
    ] {
        let path = format!(
            "{}/assets/scenarios/{name}.toml",
            env!("CARGO_MANIFEST_DIR")
        );
        let scenario = Scenario::load(Path::new(&path)).expect("shipped scenario");
        let sim = rt
            .block_on(Simulator::start(
                SimConfig::fast().with_key(KEY).with_scenario(scenario),
            ))
            .expect("simulator");
        let history = History::in_dir(dir.path().join(name));
        let client = ApiClient::new(&sim.base_url(), ApiKey::new(KEY)).expect("client");
        let original = rt.block_on(run(
            client,
            Start::Submit(JobSpec::new(&audio)),
            JobOptions::default(),
            Some(history.records()),
            speech_scorer::engine::events::null_sink(),
            tokio_util::sync::CancellationToken::new(),
        ));
        drop(sim);
        let (records, _) = history.list().expect("history");
        let record = records.into_iter().next().expect("record");
        let zip = dir.path().join(format!("{name}.zip"));
        write_bundle(
            &record,
            &Settings::default(),
            &BundleOptions::default(),
            &zip,
        )
        .expect("bundle");
        let bundle = read_bundle(&zip).expect("read");
        let scratch = dir.path().join(format!("{name}-scratch"));
        let report = rt
            .block_on(replay(
                &bundle,
                &scratch,
                // At max: the same requests, waits and outcome without sitting them out.
                ReplayOptions {
                    max_wait: Duration::from_secs(120),
                    speed: ReplaySpeed::Max,
                },
                speech_scorer::engine::events::null_sink(),
                tokio_util::sync::CancellationToken::new(),
            ))
            .expect("replay");
        assert!(
            report.matches(),
            "{name}: {:?}\noriginal {:?}\nreplay   {:?}",
            report.first_difference(),
            report.original_sequence,
            report.replayed_sequence
        );
        assert_eq!(report.outcome, original, "{name}");
    }
}

/// `explain` reads a pasted poll body from stdin and adds the technical side.
#[test]
fn explain_prints_the_dialog_and_the_technical_side() {
    use std::io::Write as _;
    let home = tempfile::tempdir().expect("home");
    let mut child = bin(home.path())
        .args(["explain", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(br#"{"id":"req_5_q","status":"failed","error":{"code":"STUCK_TIMEOUT","message":"watchdog"}}"#)
        .expect("write");
    let out = child.wait_with_output().expect("explain");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let want = guidance::for_code(&speech_scorer::api::codes::ErrorCode::StuckTimeout);
    assert!(text.contains(&want.title), "{text}");
    assert!(
        text.contains("HTTP status: 200 (a poll with status: failed)"),
        "{text}"
    );
    assert!(text.contains("Retryable: no"), "{text}");
    assert!(
        text.contains("What the app does by itself: Stops"),
        "{text}"
    );
    assert!(text.contains("run id: req_5_q"), "{text}");
    assert!(text.contains(want.vendor_says), "{text}");
}
