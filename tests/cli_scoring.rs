//! The real binary against the simulator: exit codes, `--json`, messages, interrupts, secrets.

mod foundation_support;

use std::time::{Duration, Instant};

use foundation_support::*;

fn file() -> String {
    three_minutes().display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_path_json_and_exit_0() {
    let sim = sim("").await;
    let home = tempfile::tempdir().expect("home");
    let run = run_cli(
        home.path(),
        &sim.base_url(),
        sim.api_key(),
        &["score", &file(), "--json", "--external-id", "cand-42"],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let v = run.json();
    assert_eq!(v["outcome"], "success");
    assert_eq!(v["externalId"], "cand-42");
    assert_eq!(v["result"]["status"], "success");
    assert!(v["runId"].as_str().is_some_and(|r| !r.is_empty()));
    assert_eq!(v["error"], serde_json::Value::Null);
    assert_eq!(submits(&sim.requests()), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn human_output_shows_scores_and_says_they_are_simulated() {
    let sim = sim("").await;
    let home = tempfile::tempdir().expect("home");
    let run = run_cli(
        home.path(),
        &sim.base_url(),
        sim.api_key(),
        &["score", &file()],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("Overall"), "{run:?}");
    assert!(
        run.stdout
            .contains("Simulated by the local ZenHire simulator"),
        "a simulated result says so: {run:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_code_is_one_request_exit_3_and_explained() {
    // Each refusal with its HTTP status, written out from the contract's error catalog (not
    // taken from the client's or the simulator's table).
    let codes = [
        ("MISSING_AUDIO_FILE", 400),
        ("UNSUPPORTED_FORMAT", 400),
        ("FILE_TOO_LARGE", 400),
        ("INVALID_LANGUAGE_CODE", 400),
        ("INVALID_EXTERNAL_ID", 400),
        ("INVALID_METADATA", 400),
        ("AUDIO_TOO_SHORT", 400),
        ("AUDIO_TOO_LONG", 400),
        ("AUDIO_DURATION_UNAVAILABLE", 400),
        ("INVALID_PARAMETERS", 400),
        ("MISSING_API_KEY", 401),
        ("INVALID_API_KEY", 401),
        ("API_KEY_EXPIRED", 401),
        ("CLIENT_INACTIVE", 401),
        ("INSUFFICIENT_CREDITS", 402),
        ("MULTILINGUAL_NOT_ENABLED", 403),
        ("IP_NOT_ALLOWED", 403),
        ("MISSING_PERMISSION", 403),
    ];
    let runs = codes.iter().map(|(code, status)| async move {
        let sim = sim(&format!(
            "[[step]]\non = \"submit\"\nrespond = \"error\"\ncode = \"{code}\"\n"
        ))
        .await;
        let home = tempfile::tempdir().expect("home");
        let run = run_cli(
            home.path(),
            &sim.base_url(),
            sim.api_key(),
            &["score", &file(), "--json"],
        )
        .await;
        (code, *status, run, sim.requests())
    });
    for (code, status, run, reqs) in futures_util::future::join_all(runs).await {
        assert_eq!(run.code, 3, "{code}: {run:?}");
        assert_eq!(reqs.len(), 1, "{code}: exactly one request");
        let v = run.json();
        assert_eq!(v["outcome"], "rejected", "{code}");
        assert_eq!(v["error"]["code"], *code, "{code} verbatim");
        assert_eq!(
            v["error"]["httpStatus"], status,
            "{code}: the contract's status"
        );
        let guidance =
            speech_scorer::guidance::for_code(&speech_scorer::api::ErrorCode::parse(code));
        assert!(
            run.stderr.contains(&guidance.title),
            "{code}: human message on stderr: {}",
            run.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_run_codes_and_unknown_exit_4() {
    let codes = [
        "TRANSCRIPTION_FAILED",
        "TRANSCRIPTION_LOW_CONFIDENCE",
        "SCORING_FAILED",
        "SERVICE_CONFIGURATION_ERROR",
        "STUCK_TIMEOUT",
        "INTERNAL_ERROR",
        "AUDIO_GREMLINS",
    ];
    let runs = codes.iter().map(|code| async move {
        let sim = sim(&format!(
            "[[step]]\non = \"poll\"\nrespond = \"failed\"\ncode = \"{code}\"\n"
        ))
        .await;
        let home = tempfile::tempdir().expect("home");
        let run = run_cli(
            home.path(),
            &sim.base_url(),
            sim.api_key(),
            &["score", &file(), "--json"],
        )
        .await;
        (code, run, sim.requests())
    });
    for (code, run, reqs) in futures_util::future::join_all(runs).await {
        assert_eq!(run.code, 4, "{code}: {run:?}");
        let v = run.json();
        assert_eq!(v["outcome"], "failed");
        assert_eq!(v["error"]["code"], *code);
        assert_eq!(v["result"]["status"], "failed", "last poll body");
        assert_eq!(submits(&reqs), 1, "{code}: no resubmission");
        assert_eq!(reqs.last().and_then(|r| r.code.as_deref()), Some(*code));
        assert!(run.stderr.contains(code), "{code}: {}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_exits_0() {
    let sim = sim("[[step]]\non = \"poll\"\nrespond = \"partial\"\n").await;
    let home = tempfile::tempdir().expect("home");
    let run = run_cli(
        home.path(),
        &sim.base_url(),
        sim.api_key(),
        &["score", &file(), "--json"],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["outcome"], "partial");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_exits_5_within_max_wait() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let home = tempfile::tempdir().expect("home");
    let started = Instant::now();
    let run = run_cli(
        home.path(),
        &format!("http://127.0.0.1:{port}"),
        "zh_api_nobody_home_1234",
        &["score", &file(), "--json", "--max-wait", "4"],
    )
    .await;
    assert_eq!(run.code, 5, "{run:?}");
    assert_eq!(run.json()["outcome"], "gave_up");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connection_after_create_leaves_exactly_one_run() {
    let sim = sim("[[step]]\non = \"submit\"\nrespond = \"drop_after_create\"\n").await;
    let home = tempfile::tempdir().expect("home");
    let run = run_cli(
        home.path(),
        &sim.base_url(),
        sim.api_key(),
        &["score", &file(), "--json"],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(sim.run_count(), 1);
    assert_eq!(submits(&sim.requests()), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_while_polling_then_resume_finishes_without_a_second_submit() {
    let sim = sim("[[step]]\non = \"poll\"\nrespond = \"processing\"\nrepeat = 3\n").await;
    let home = tempfile::tempdir().expect("home");
    let child = command(
        home.path(),
        &sim.base_url(),
        sim.api_key(),
        &["score", &file(), "--json"],
    )
    .spawn()
    .expect("binary starts");
    let deadline = Instant::now() + Duration::from_secs(15);
    while polls(&sim.requests()).is_empty() {
        assert!(Instant::now() < deadline, "never polled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = child.id().expect("pid") as libc::pid_t;
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .expect("exits after SIGINT")
        .expect("output");
    assert_ne!(out.status.code(), Some(0), "interrupted is not success");
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("one JSON outcome on stdout");
    assert_eq!(v["outcome"], "cancelled");
    let run_id = v["runId"].as_str().expect("run id").to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("resume {run_id}")), "{stderr}");

    let run = run_cli(
        home.path(),
        &sim.base_url(),
        sim.api_key(),
        &["resume", &run_id, "--json"],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let v = run.json();
    assert_eq!(v["outcome"], "success");
    assert_eq!(v["runId"], run_id.as_str());
    assert_eq!(submits(&sim.requests()), 1, "no second submission");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_validation_exits_2_and_sends_nothing() {
    let sim = sim("").await;
    let home = tempfile::tempdir().expect("home");
    let short = ten_seconds().display().to_string();
    let run = run_cli(
        home.path(),
        &sim.base_url(),
        sim.api_key(),
        &["score", &short, "--json"],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.json()["outcome"], "invalid_input");
    assert_eq!(run.json()["error"]["code"], "AUDIO_TOO_SHORT");
    assert!(run.stderr.contains("too short"), "{}", run.stderr);

    let run = run_cli(
        home.path(),
        &sim.base_url(),
        sim.api_key(),
        &["score", &file(), "--language", "english", "--json"],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.json()["error"]["code"], "INVALID_LANGUAGE_CODE");
    assert!(sim.requests().is_empty(), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_appears_in_no_output_and_no_file() {
    let key = "zh_api_leakcheck_TOPSECRET_9f8e7d";
    let sim = speech_scorer::simulator::Simulator::start(
        speech_scorer::simulator::SimConfig::fast().with_key(key),
    )
    .await
    .expect("simulator");
    let home = tempfile::tempdir().expect("home");
    let mut outputs = Vec::new();
    for args in [
        vec!["score", &file() as &str, "--json"],
        vec!["score", &file() as &str],
        vec!["credits"],
        vec!["runs"],
        vec!["health"],
    ] {
        let run = run_cli(home.path(), &sim.base_url(), key, &args).await;
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        outputs.push(run);
    }
    for run in &outputs {
        assert!(!run.stdout.contains("TOPSECRET"), "stdout leaks the key");
        assert!(!run.stderr.contains("TOPSECRET"), "stderr leaks the key");
    }
    let files = files_under(home.path());
    assert!(!files.is_empty(), "history was written");
    for f in files {
        let bytes = std::fs::read(&f).expect("read");
        assert!(
            !String::from_utf8_lossy(&bytes).contains("TOPSECRET"),
            "{} holds the key",
            f.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credits_health_runs_and_explain() {
    let sim = sim("").await;
    let home = tempfile::tempdir().expect("home");
    let run = run_cli(home.path(), &sim.base_url(), sim.api_key(), &["health"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("healthy"));
    let run = run_cli(home.path(), &sim.base_url(), sim.api_key(), &["credits"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("500"), "{}", run.stdout);
    let run = run_cli(
        home.path(),
        &sim.base_url(),
        "zh_wrong_key_0000",
        &["credits"],
    )
    .await;
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("INVALID_API_KEY"), "{}", run.stderr);
    let run = run_cli(
        home.path(),
        &sim.base_url(),
        sim.api_key(),
        &["runs", "--status", "bogus"],
    )
    .await;
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("INVALID_STATUS"));
    let run = run_cli(
        home.path(),
        &sim.base_url(),
        sim.api_key(),
        &["explain", "INSUFFICIENT_CREDITS"],
    )
    .await;
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("Not enough credits"), "{}", run.stdout);
    let run = run_cli(
        home.path(),
        "https://platform.zenhire.ai",
        "k",
        &["explain", "SOMETHING_ELSE"],
    )
    .await;
    assert!(run.stdout.contains("SOMETHING_ELSE"));
    // Plain http to a non-loopback host is refused before anything is sent.
    let run = run_cli(
        home.path(),
        "http://example.com",
        sim.api_key(),
        &["score", &file(), "--json"],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_reads_a_file_and_stdin() {
    use tokio::io::AsyncWriteExt as _;
    let home = tempfile::tempdir().expect("home");
    let envelope = r#"{"error":{"code":"INSUFFICIENT_CREDITS","message":"Insufficient credits for this request.","timestamp":"2026-05-29T10:00:00.000Z","requestId":"req_1705412345678_abc123","details":{"cost":11,"available":4}}}"#;
    let file = home.path().join("response.json");
    std::fs::write(&file, envelope).expect("write");
    let run = run_cli(
        home.path(),
        "https://platform.zenhire.ai",
        "k",
        &["explain", &file.display().to_string()],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("needs 11 credits"), "{}", run.stdout);
    assert!(run.stdout.contains("only 4 are available"));

    let mut cmd = command(
        home.path(),
        "https://platform.zenhire.ai",
        "k",
        &["explain", "-", "--json"],
    );
    cmd.stdin(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("binary starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(br#"{"id":"req_9","status":"failed","error":{"code":"SERVICE_CONFIGURATION_ERROR","message":"m"}}"#)
        .await
        .expect("write stdin");
    drop(stdin);
    let out = child.wait_with_output().await.expect("output");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["code"], "SERVICE_CONFIGURATION_ERROR");
    assert_eq!(v["action"]["kind"], "contact_support");
    assert!(
        v["body"].as_str().is_some_and(|b| b.contains("req_9")),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_by_local_id_finds_an_interrupted_upload_by_external_id() {
    use speech_scorer::api::model::SubmitFields;
    use speech_scorer::api::{ApiClient, ApiKey};
    use speech_scorer::store::{History, Paths, RunRecord};

    let sim = sim("").await;
    let home = tempfile::tempdir().expect("home");
    let history = History::new(&Paths::under(home.path().to_path_buf()));
    let mut record = RunRecord::new(chrono::Utc::now() - chrono::Duration::seconds(1));
    record.external_id = Some("ss-cli-interrupted".into());
    record.upload_started = Some(chrono::Utc::now());
    history.save(&record).expect("save");
    // The interrupted upload did arrive.
    let client = ApiClient::new(&sim.base_url(), ApiKey::new(sim.api_key())).expect("client");
    let fields = SubmitFields {
        language: "en".into(),
        external_id: Some("ss-cli-interrupted".into()),
        metadata: None,
    };
    let run_id = client
        .submit(&three_minutes(), "audio/wav", &fields, |_, _| {})
        .await
        .result
        .expect("accepted")
        .id;

    let run = run_cli(
        home.path(),
        &sim.base_url(),
        sim.api_key(),
        &["resume", &record.local_id, "--json"],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let v = run.json();
    assert_eq!(v["outcome"], "success");
    assert_eq!(v["runId"], run_id.as_str());
    assert_eq!(v["externalId"], "ss-cli-interrupted");
    assert_eq!(submits(&sim.requests()), 1, "found, never resubmitted");
}
