//! Runs seen through the app: queue position, partial results, unknown codes, resuming
//! unfinished runs at start-up, drag-and-drop import, deleting a recording.

mod gui_support;

use std::sync::Arc;
use std::time::Duration;

use gui_support::{
    Dropped, click, fixture, import_and_submit, import_fixture, own_sim, shows, start, start_in,
    step_until, with_key,
};
use speech_scorer::simulator::{Scenario, SimConfig};
use speech_scorer::ui::Screen;

fn scenario(toml: &str) -> Scenario {
    Scenario::from_toml_str(toml).expect("scenario parses")
}

#[test]
fn queue_position_is_shown_then_the_result() {
    let sim = SimConfig::fast().with_scenario(scenario(
        r#"name = "queued"
[[step]]
on = "submit"
respond = "queued"
queue_position = 3
[[step]]
on = "poll"
respond = "queued"
queue_position = 2
"#,
    ));
    let mut gui = start(sim);
    import_fixture(&mut gui);
    let h = &mut gui.harness;
    click(h, "Submit for scoring");
    step_until(h, "the queue position", |h| shows(h, "Queued — #3 in line"));
    step_until(h, "the queue moving", |h| shows(h, "Queued — #2 in line"));
    step_until(h, "the result", |h| shows(h, "Overall level "));
}

#[test]
fn a_partial_result_names_the_missing_dimension() {
    let sim = SimConfig::fast().with_scenario(scenario(
        r#"name = "partial"
[[step]]
on = "poll"
respond = "partial"
dimensions = ["vocabulary", "fluency"]
"#,
    ));
    let mut gui = start(sim);
    import_and_submit(&mut gui);
    let h = &mut gui.harness;
    assert_eq!(h.state().state.screen, Screen::Result);
    assert!(shows(h, "Partial result: Accent could not be scored"));
    assert!(shows(h, "Accent: not scored"));
}

#[test]
fn an_unknown_code_shows_code_message_and_request_id() {
    let sim = SimConfig::fast().with_scenario(scenario(
        r#"name = "gremlins"
[[step]]
on = "submit"
respond = "error"
status = 400
code = "AUDIO_GREMLINS"
message = "Gremlins were found in the audio pipeline."
"#,
    ));
    let mut gui = start(sim);
    import_and_submit(&mut gui);
    let h = &mut gui.harness;
    let dialog = h.state().dialog.clone().unwrap_or_else(|| {
        panic!(
            "no dialog; exchanges: {:?}",
            h.state().run.as_ref().map(|r| r
                .exchanges
                .iter()
                .map(|x| (x.method.clone(), x.status, x.decision.clone()))
                .collect::<Vec<_>>())
        )
    });
    assert_eq!(dialog.code, "AUDIO_GREMLINS");
    let request_id = dialog.request_id.clone().expect("requestId kept");
    assert!(shows(h, "AUDIO_GREMLINS"));
    assert!(shows(h, &request_id), "requestId on screen");
    assert!(shows(h, "Gremlins were found in the audio pipeline."));
}

#[test]
fn an_unfinished_run_resumes_when_the_app_starts_again() {
    let own = own_sim(SimConfig {
        processing_time: Duration::from_secs(4),
        ..SimConfig::fast()
    });
    let home = tempfile::tempdir().expect("home");
    let (_dir, file) = fixture(200.0);
    let key = own.sim.api_key().to_string();
    let mut first = start_in(
        home.path(),
        with_key(own.sim.base_url(), key.clone()),
        Some(file),
    );
    step_until(&mut first, "the record screen", |h| {
        shows(h, "Import a file")
    });
    click(&mut first, "Import a file…");
    step_until(&mut first, "the take", |h| h.state().take.is_some());
    click(&mut first, "Submit for scoring");
    step_until(&mut first, "the run to be accepted", |h| {
        h.state().run.as_ref().is_some_and(|r| r.run_id.is_some())
    });
    let run_id = first
        .state()
        .run
        .as_ref()
        .and_then(|r| r.run_id.clone())
        .expect("run id");
    // The app quits mid-run (its runtime, and the job on it, go away).
    drop(first);

    let mut second = start_in(home.path(), with_key(own.sim.base_url(), key), None);
    assert_eq!(
        second.state().resuming.len(),
        1,
        "the unfinished run resumes"
    );
    step_until(&mut second, "the resumed run to finish", |h| {
        h.state().resuming.is_empty()
    });
    click(&mut second, "History");
    step_until(&mut second, "the finished run in history", |h| {
        shows(h, "success")
    });
    let submits = own
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(submits, 1, "resuming never submits again");
    let polled_same_run = own
        .sim
        .requests()
        .iter()
        .any(|r| r.method == "GET" && r.run_id.as_deref() == Some(run_id.as_str()));
    assert!(polled_same_run);
}

#[test]
fn dropping_a_file_on_the_window_imports_it() {
    let mut gui = start(SimConfig::fast());
    let h = &mut gui.harness;
    step_until(h, "the record screen", |h| shows(h, "Import a file"));
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(gui.fixture.clone())));
    step_until(h, "the dropped take", |h| h.state().take.is_some());
    assert_eq!(
        h.state().take.as_ref().map(|t| t.original.clone()),
        Some(gui.fixture.clone())
    );
}

#[test]
fn a_recording_can_be_deleted_from_history() {
    let mut gui = start(SimConfig::fast());
    // A take in the app's recordings folder, as the recorder would leave it.
    let recordings = gui.harness.state().paths().recordings_dir();
    std::fs::create_dir_all(&recordings).expect("recordings dir");
    let take = recordings.join("take-test.wav");
    std::fs::copy(&gui.fixture, &take).expect("copy");
    let h = &mut gui.harness;
    step_until(h, "the record screen", |h| shows(h, "Import a file"));
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(take.clone())));
    step_until(h, "the take", |h| h.state().take.is_some());
    click(h, "Submit for scoring");
    step_until(h, "the result", |h| shows(h, "Overall level "));
    click(h, "History");
    step_until(h, "the delete button", |h| shows(h, "Delete recording"));
    click(h, "Delete recording");
    assert!(!take.exists(), "the recording is gone");
    h.step();
    assert!(!shows(h, "Delete recording"));
    // The run itself (and its scores) stays in history.
    assert!(shows(h, "success"));
}

#[test]
fn a_take_interrupted_by_a_crash_comes_back_at_start_up() {
    let home = tempfile::tempdir().expect("home");
    let recordings = speech_scorer::store::Paths::under(home.path().to_path_buf()).recordings_dir();
    std::fs::create_dir_all(&recordings).expect("recordings dir");
    let (_dir, file) = fixture(200.0);
    let wav = recordings.join("take-crashed.wav");
    let mut bytes = std::fs::read(&file).expect("fixture");
    // A crash leaves the header's sizes at the last checkpoint: zero them as the worst case.
    bytes[4..8].copy_from_slice(&0u32.to_le_bytes());
    bytes[40..44].copy_from_slice(&0u32.to_le_bytes());
    std::fs::write(&wav, &bytes).expect("write take");
    // The app's own marker (naming this file) of a recorder process that is gone.
    std::fs::write(
        recordings.join("take-crashed.wav.recording"),
        r#"{"app": "speech-scorer", "file": "take-crashed.wav", "pid": 4194300, "device": "test mic", "started": "2026-11-25T10:00:00Z"}"#,
    )
    .expect("marker");
    let mut h = start_in(home.path(), Box::new(|_| {}), None);
    step_until(&mut h, "the recovered take", |h| h.state().take.is_some());
    let take = h.state().take.clone().expect("take");
    assert_eq!(take.original, wav);
    assert!(
        (take.duration.as_secs_f64() - 200.0).abs() < 1.0,
        "the whole take is back: {:?}",
        take.duration
    );
    assert!(shows(&h, "Recovered 1 recording(s)"));
}

#[test]
fn rate_limit_shows_a_countdown_then_the_result() {
    let sim = SimConfig::fast().with_scenario(scenario(
        r#"name = "busy"
[[step]]
on = "submit"
respond = "error"
code = "RATE_LIMIT_EXCEEDED"
retry_after = 3
"#,
    ));
    let mut gui = start(sim);
    import_fixture(&mut gui);
    let h = &mut gui.harness;
    click(h, "Submit for scoring");
    step_until(h, "the rate-limit countdown", |h| {
        shows(h, "Too many requests — retrying in")
    });
    step_until(h, "the result", |h| shows(h, "Overall level "));
}

#[test]
fn cancel_stops_waiting_and_the_run_stays_resumable() {
    let sim = SimConfig {
        processing_time: Duration::from_secs(30),
        ..SimConfig::fast()
    };
    let mut gui = start(sim);
    import_fixture(&mut gui);
    let h = &mut gui.harness;
    click(h, "Submit for scoring");
    step_until(h, "scoring to start", |h| {
        h.state().run.as_ref().is_some_and(|r| r.run_id.is_some())
    });
    click(h, "Cancel");
    step_until(h, "the job to stop", |h| !h.state().is_submitting());
    h.step();
    assert_eq!(h.state().state.screen, Screen::Record);
    assert!(shows(h, "keeps going on the service"));
    let history = speech_scorer::store::History::new(h.state().paths());
    let (records, _) = history.list().expect("history");
    assert!(
        records.iter().any(|r| r.is_unfinished()),
        "the cancelled run can be resumed"
    );
}
