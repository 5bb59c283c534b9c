//! The engine against the simulator on 127.0.0.1: the retry table, lost submits, resume.

mod foundation_support;

use std::time::{Duration, Instant};

use foundation_support::*;
use speech_scorer::api::{ApiClient, ApiKey, ErrorCode};
use speech_scorer::engine::events::JobEvent;
use speech_scorer::engine::policy::WaitReason;
use speech_scorer::engine::{
    EventSink, JobOptions, JobSpec, Outcome, OutcomeKind, Records, Start, run,
};
use speech_scorer::store::History;
use tokio_util::sync::CancellationToken;

fn client(sim: &speech_scorer::simulator::SimHandle) -> ApiClient {
    ApiClient::new(&sim.base_url(), ApiKey::new(sim.api_key())).expect("client")
}

fn spec() -> JobSpec {
    JobSpec::new(three_minutes())
}

/// Submits `spec` with a one-minute budget.
async fn run_job(
    client: ApiClient,
    spec: JobSpec,
    records: Option<Records>,
    sink: EventSink,
    cancel: CancellationToken,
) -> Outcome {
    let options = JobOptions::with_max_wait(Duration::from_secs(60));
    run(client, Start::Submit(spec), options, records, sink, cancel).await
}

fn waits(events: &[JobEvent], want: WaitReason) -> Vec<f64> {
    events
        .iter()
        .filter_map(|e| match e {
            JobEvent::Waiting {
                reason, seconds, ..
            } if *reason == want => Some(*seconds),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_path_one_submit_and_the_fewest_polls_the_hints_allow() {
    let sim = sim("").await;
    let (sink, events) = collecting_sink();
    let home = tempfile::tempdir().expect("home");
    let history = History::in_dir(home.path().join("history"));
    let outcome = run_job(
        client(&sim),
        spec(),
        Some(history.records()),
        sink,
        CancellationToken::new(),
    )
    .await;
    assert_eq!(outcome.kind, OutcomeKind::Success, "{outcome:?}");
    let reqs = sim.requests();
    assert_eq!(submits(&reqs), 1);
    let polls = polls(&reqs);
    // Processing lasts 1.2 s and the hint is 1 s: polls at ~1 s (processing) and ~2 s (done).
    // A loaded machine may need one more; never more than that, never one too early.
    assert!(
        (1..=3).contains(&polls.len()),
        "{} polls: {polls:?}",
        polls.len()
    );
    assert!(
        polls.iter().all(|p| p.status == 200),
        "never polled too fast"
    );
    let gaps: Vec<f64> = reqs
        .windows(2)
        .map(|w| (w[1].at - w[0].at).as_seconds_f64())
        .collect();
    assert!(
        gaps.iter().all(|g| *g >= 0.9),
        "each poll waits the 1 s hint: {gaps:?}"
    );
    let run_id = outcome.run_id.clone().expect("run id");
    assert!(
        polls
            .iter()
            .all(|p| p.path.ends_with(&format!("/{run_id}")))
    );
    assert_eq!(
        outcome.result.as_ref().expect("body")["status"],
        "success",
        "result is the last poll body"
    );
    // Events: accepted, then finished; every exchange logged and persisted.
    let events = events.lock().expect("events").clone();
    assert!(matches!(events.first(), Some(JobEvent::Validating)));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, JobEvent::Accepted { run_id: r, .. } if *r == run_id))
    );
    assert!(matches!(events.last(), Some(JobEvent::Finished(_))));
    let record = history
        .find_by_run_id(&run_id)
        .expect("history")
        .expect("record saved");
    assert_eq!(record.exchanges.len(), reqs.len());
    assert_eq!(
        record.outcome.as_ref().map(|o| o.kind),
        Some(OutcomeKind::Success)
    );
    assert!(record.simulated);
    assert!(
        record
            .external_id
            .as_deref()
            .is_some_and(|e| e.starts_with("ss-"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warming_up_three_times_then_accepted_waits_grow() {
    let sim = sim(r#"
[[step]]
on = "submit"
respond = "error"
code = "SERVICE_WARMING_UP"
retry_after = 1
repeat = 3
"#)
    .await;
    let (sink, events) = collecting_sink();
    let outcome = run_job(client(&sim), spec(), None, sink, CancellationToken::new()).await;
    assert_eq!(outcome.kind, OutcomeKind::Success, "{outcome:?}");
    let reqs = sim.requests();
    assert_eq!(submits(&reqs), 4, "three refusals, one acceptance");
    let w = waits(&events.lock().expect("events"), WaitReason::WarmingUp);
    assert_eq!(w.len(), 3, "{w:?}");
    assert!(
        w.iter().all(|s| *s >= 1.0),
        "never below Retry-After: {w:?}"
    );
    assert!(w[0] < w[1] && w[1] < w[2], "the waits grow: {w:?}");
    assert_eq!(sim.run_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_submit_twice_waits_at_least_retry_after() {
    let sim = sim(r#"
[[step]]
on = "submit"
respond = "error"
code = "RATE_LIMIT_EXCEEDED"
retry_after = 1
repeat = 2
"#)
    .await;
    let (sink, events) = collecting_sink();
    let outcome = run_job(client(&sim), spec(), None, sink, CancellationToken::new()).await;
    assert_eq!(outcome.kind, OutcomeKind::Success, "{outcome:?}");
    assert_eq!(submits(&sim.requests()), 3);
    let w = waits(&events.lock().expect("events"), WaitReason::RateLimited);
    assert_eq!(w.len(), 2);
    assert!(w.iter().all(|s| *s >= 1.0), "{w:?}");
    assert_eq!(sim.run_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_rate_limited_keeps_the_same_run_and_never_resubmits() {
    let sim = sim(r#"
[[step]]
on = "poll"
respond = "error"
code = "POLL_RATE_LIMITED"
retry_after = 1
repeat = 2
"#)
    .await;
    let (sink, events) = collecting_sink();
    let outcome = run_job(client(&sim), spec(), None, sink, CancellationToken::new()).await;
    assert_eq!(outcome.kind, OutcomeKind::Success, "{outcome:?}");
    let reqs = sim.requests();
    assert_eq!(submits(&reqs), 1);
    let run_id = outcome.run_id.expect("run id");
    let polls = polls(&reqs);
    assert!(polls.len() >= 3);
    assert!(
        polls
            .iter()
            .all(|p| p.path.ends_with(&format!("/{run_id}")))
    );
    let w = waits(&events.lock().expect("events"), WaitReason::PollRateLimited);
    assert_eq!(w, vec![1.0, 1.0], "waits exactly Retry-After");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_502_and_junk_200_while_polling_keep_polling_the_same_run() {
    let sim = sim(r#"
[[step]]
on = "poll"
respond = "html_502"

[[step]]
on = "poll"
respond = "raw"
status = 200
body = "this is not json"
headers = { content-type = "text/plain" }

[[step]]
on = "poll"
respond = "success"
"#)
    .await;
    let (sink, events) = collecting_sink();
    let outcome = run_job(client(&sim), spec(), None, sink, CancellationToken::new()).await;
    assert_eq!(outcome.kind, OutcomeKind::Success, "{outcome:?}");
    let reqs = sim.requests();
    assert_eq!(submits(&reqs), 1);
    let run_id = outcome.run_id.expect("run id");
    let polls = polls(&reqs);
    assert_eq!(polls.len(), 3);
    assert!(
        polls
            .iter()
            .all(|p| p.path.ends_with(&format!("/{run_id}")))
    );
    let w = waits(&events.lock().expect("events"), WaitReason::ServerError);
    assert_eq!(w.len(), 2, "one wait per unreadable answer: {w:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_submit_reply_is_looked_up_not_resubmitted() {
    let sim = sim(r#"
[[step]]
on = "submit"
respond = "drop_after_create"
"#)
    .await;
    let (sink, events) = collecting_sink();
    let outcome = run_job(client(&sim), spec(), None, sink, CancellationToken::new()).await;
    assert_eq!(outcome.kind, OutcomeKind::Success, "{outcome:?}");
    let reqs = sim.requests();
    assert_eq!(submits(&reqs), 1, "no second submission");
    assert_eq!(lookups(&reqs), 1);
    assert_eq!(sim.run_count(), 1, "exactly one run exists");
    assert!(
        events
            .lock()
            .expect("events")
            .iter()
            .any(|e| matches!(e, JobEvent::CheckingForLostSubmit { .. }))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_runs_end_without_another_poll_or_submit() {
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
        let outcome = run_job(
            client(&sim),
            spec(),
            None,
            speech_scorer::engine::events::null_sink(),
            CancellationToken::new(),
        )
        .await;
        (code, outcome, sim.requests())
    });
    for (code, outcome, reqs) in futures_util::future::join_all(runs).await {
        assert_eq!(outcome.kind, OutcomeKind::Failed, "{code}: {outcome:?}");
        let err = outcome.error.as_ref().expect("error");
        assert_eq!(err.code, ErrorCode::parse(code), "code kept verbatim");
        assert_eq!(submits(&reqs), 1, "{code}: no automatic resubmission");
        let last = reqs.last().expect("requests");
        assert_eq!(
            last.code.as_deref(),
            Some(*code),
            "{code}: nothing after the terminal poll"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_is_a_result() {
    let sim = sim("[[step]]\non = \"poll\"\nrespond = \"partial\"\n").await;
    let outcome = run_job(
        client(&sim),
        spec(),
        None,
        speech_scorer::engine::events::null_sink(),
        CancellationToken::new(),
    )
    .await;
    assert_eq!(outcome.kind, OutcomeKind::Partial);
    assert_eq!(
        speech_scorer::cli::exit::for_outcome(&outcome) as u8,
        0,
        "partial exits 0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_gives_up_within_the_budget() {
    // Bind and drop to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let c = ApiClient::new(
        &format!("http://127.0.0.1:{port}"),
        ApiKey::new("zh_x_1234"),
    )
    .expect("client");
    let started = Instant::now();
    let outcome = run(
        c,
        Start::Submit(spec()),
        JobOptions::with_max_wait(Duration::from_secs(4)),
        None,
        speech_scorer::engine::events::null_sink(),
        CancellationToken::new(),
    )
    .await;
    assert_eq!(outcome.kind, OutcomeKind::GaveUp, "{outcome:?}");
    assert!(started.elapsed() <= Duration::from_secs(5));
    assert_eq!(outcome.error.expect("error").code.as_str(), "NETWORK_ERROR");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_while_polling_then_resumed_without_a_second_submit() {
    let sim = sim("[[step]]\non = \"poll\"\nrespond = \"processing\"\nrepeat = 2\n").await;
    let home = tempfile::tempdir().expect("home");
    let history = History::in_dir(home.path().join("history"));
    let cancel = CancellationToken::new();
    let (sink, events) = collecting_sink();
    let c = client(&sim);
    let job = tokio::spawn(run_job(
        c.clone(),
        spec(),
        Some(history.records()),
        sink,
        cancel.clone(),
    ));
    // Cancel once the first poll has answered.
    let deadline = Instant::now() + Duration::from_secs(10);
    while polls(&sim.requests()).is_empty() {
        assert!(Instant::now() < deadline, "no poll happened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cancel.cancel();
    let first = job.await.expect("job");
    assert_eq!(first.kind, OutcomeKind::Cancelled);
    let run_id = first.run_id.clone().expect("run id known");
    let saved = history
        .find_by_run_id(&run_id)
        .expect("history")
        .expect("saved");
    assert!(saved.is_unfinished(), "resumable after an interrupt");
    assert!(
        events
            .lock()
            .expect("events")
            .iter()
            .all(|e| !matches!(e, JobEvent::Finished(o) if o.kind != OutcomeKind::Cancelled))
    );

    let resumed = run(
        c,
        Start::Resume {
            run_id: run_id.clone(),
        },
        JobOptions::with_max_wait(Duration::from_secs(30)),
        Some(history.records()),
        speech_scorer::engine::events::null_sink(),
        CancellationToken::new(),
    )
    .await;
    assert_eq!(resumed.kind, OutcomeKind::Success, "{resumed:?}");
    assert_eq!(resumed.run_id.as_deref(), Some(run_id.as_str()));
    assert_eq!(resumed.external_id, first.external_id, "kept from history");
    assert_eq!(submits(&sim.requests()), 1, "resume never submits");
    let saved = history
        .find_by_run_id(&run_id)
        .expect("history")
        .expect("saved");
    assert!(!saved.is_unfinished());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_interrupted_before_its_answer_is_found_by_external_id() {
    use speech_scorer::api::model::SubmitFields;
    use speech_scorer::store::RunRecord;

    let sim = sim("").await;
    let c = client(&sim);
    let home = tempfile::tempdir().expect("home");
    let history = History::in_dir(home.path().join("history"));

    // What a crashed app leaves: a record with an externalId and an upload under way. The
    // upload did reach the service.
    let mut crashed = RunRecord::new(chrono::Utc::now() - chrono::Duration::seconds(1));
    crashed.external_id = Some("ss-crashed-upload".into());
    crashed.upload_started = Some(chrono::Utc::now());
    history.save(&crashed).expect("save");
    let fields = SubmitFields {
        language: "en".into(),
        external_id: Some("ss-crashed-upload".into()),
        metadata: None,
    };
    let reply = c
        .submit(&three_minutes(), "audio/wav", &fields, |_, _| {})
        .await;
    let run_id = reply.result.expect("accepted").id;
    assert!(
        history
            .load(&crashed.local_id)
            .expect("load")
            .is_unfinished()
    );

    let outcome = run(
        c.clone(),
        Start::Record(Box::new(crashed.clone())),
        JobOptions::with_max_wait(Duration::from_secs(30)),
        Some(history.records()),
        speech_scorer::engine::events::null_sink(),
        CancellationToken::new(),
    )
    .await;
    assert_eq!(outcome.kind, OutcomeKind::Success, "{outcome:?}");
    assert_eq!(outcome.run_id.as_deref(), Some(run_id.as_str()));
    assert_eq!(submits(&sim.requests()), 1, "found, not resubmitted");
    assert!(
        !history
            .load(&crashed.local_id)
            .expect("load")
            .is_unfinished()
    );

    // An upload that never arrived: looked up (four times, 2, 4, 8 s apart), never
    // resubmitted.
    let mut lost = RunRecord::new(chrono::Utc::now());
    lost.external_id = Some("ss-never-arrived".into());
    lost.upload_started = Some(chrono::Utc::now());
    let outcome = run(
        c,
        Start::Record(Box::new(lost)),
        JobOptions::with_max_wait(Duration::from_secs(30)),
        Some(history.records()),
        speech_scorer::engine::events::null_sink(),
        CancellationToken::new(),
    )
    .await;
    assert_eq!(outcome.kind, OutcomeKind::GaveUp);
    assert_eq!(outcome.error.expect("error").code.as_str(), "NOT_SUBMITTED");
    assert_eq!(submits(&sim.requests()), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_positions_and_processing_are_reported_in_order() {
    let toml = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios/queued.toml"),
    )
    .expect("queued scenario");
    let sim = sim(&toml).await;
    let (sink, events) = collecting_sink();
    let outcome = run_job(client(&sim), spec(), None, sink, CancellationToken::new()).await;
    assert_eq!(outcome.kind, OutcomeKind::Success, "{outcome:?}");
    let shown: Vec<String> = events
        .lock()
        .expect("events")
        .iter()
        .filter_map(|e| match e {
            JobEvent::Accepted {
                status,
                queue_position,
                ..
            } => Some(format!("accepted {status} {queue_position:?}")),
            JobEvent::Queued { position } => Some(format!("queued {position:?}")),
            JobEvent::Processing => Some("processing".into()),
            JobEvent::Finished(o) => Some(format!("finished {}", o.kind.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        shown,
        [
            "accepted queued Some(3)",
            "queued Some(3)",
            "queued Some(2)",
            "queued Some(1)",
            "processing",
            "finished success",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_502_page_on_submit_is_looked_up_before_the_one_safe_resubmission() {
    let sim = sim("[[step]]\non = \"submit\"\nrespond = \"html_502\"\n").await;
    let (sink, events) = collecting_sink();
    let outcome = run_job(client(&sim), spec(), None, sink, CancellationToken::new()).await;
    assert_eq!(outcome.kind, OutcomeKind::Success, "{outcome:?}");
    let reqs = sim.requests();
    // The proxy page created no run: the look-ups (2, 4, 8 s apart, longer than the list's
    // lag) find nothing, then one resubmission.
    assert_eq!(
        lookups(&reqs),
        speech_scorer::engine::policy::LOOKUPS_BEFORE_RESUBMIT as usize
    );
    assert_eq!(submits(&reqs), 2);
    assert_eq!(sim.run_count(), 1, "exactly one run");
    let first_lookup = reqs
        .iter()
        .position(|r| r.path == "/api/v1/speech/runs")
        .expect("a look-up");
    let second_submit = reqs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.method == "POST")
        .nth(1)
        .map(|(i, _)| i)
        .expect("a second submit");
    assert!(
        first_lookup < second_submit,
        "looked up before resubmitting"
    );
    assert_eq!(
        waits(&events.lock().expect("events"), WaitReason::Resubmit).len(),
        1
    );
}
