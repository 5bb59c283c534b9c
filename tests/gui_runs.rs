//! Runs seen through the app: queue position, partial results, unknown codes, resuming
//! unfinished runs at start-up, drag-and-drop import, deleting a recording.

mod gui_support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use gui_support::{
    Dropped, click, fixture, import_and_submit, import_fixture, own_sim, shows, start, start_in,
    step_until, with_key,
};
use speech_scorer::simulator::{Scenario, SimConfig};
use speech_scorer::ui::{App, Screen};

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
    // The history is read off the UI thread; the run resumes once it is in.
    step_until(&mut second, "the unfinished run to resume", |h| {
        h.state().resuming.len() == 1
    });
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
    delete_then_remove_at(gui_support::WINDOW);
}

#[test]
fn a_recording_can_be_deleted_from_history_in_a_small_window() {
    // Below 760 px History is a list of cards; the buttons keep their places there too.
    delete_then_remove_at(egui::vec2(640.0, 480.0));
}

fn delete_then_remove_at(size: egui::Vec2) {
    // Scored in a roomy window (the subject here is History), then History at `size`.
    let mut gui = gui_support::start_with(gui_support::Setup {
        size: egui::vec2(1280.0, 800.0),
        ..Default::default()
    });
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
    gui_support::wait_for_take_drawn(h);
    // At 640×480 the take's waveform puts Submit below the fold (the screen scrolls): press
    // it through AccessKit, as a keyboard or screen reader would, not by a pointer there.
    h.get_by_role_and_label(Role::Button, "Submit for scoring")
        .click_accesskit();
    h.step();
    step_until(h, "the result", |h| shows(h, "Overall level "));
    h.set_size(size);
    h.step();
    click(h, "History");
    step_until(h, "the delete button", |h| shows(h, "Delete recording"));
    let delete_at = h
        .get_by_role_and_label(Role::Button, "Delete recording")
        .rect();
    let remove_at = h.get_by_role_and_label(Role::Button, "Remove").rect();
    click(h, "Delete recording");
    // It asks first; nothing is deleted yet.
    step_until(h, "the question", |h| shows(h, "Delete the recording?"));
    assert!(take.exists(), "nothing deleted before the answer");
    click(h, "Yes, delete the recording");
    step_until(h, "the recording to go", |_| !take.exists());
    step_until(h, "the row to change", |h| !shows(h, "Delete recording"));
    h.step();
    // Nothing destructive moved under the pointer: Remove kept its place, and nothing
    // clickable is where "Delete recording" was.
    assert_eq!(
        h.get_by_role_and_label(Role::Button, "Remove").rect(),
        remove_at,
        "Remove did not move"
    );
    let pointer = delete_at.center();
    for button in h.query_all_by_role(Role::Button) {
        assert!(
            !button.rect().contains(pointer),
            "a button ({:?}) slid under the pointer",
            button.accesskit_node().label()
        );
    }
    // The run itself (and its scores) stays in history.
    assert!(shows(h, "success"));

    // Removing the run asks too; Cancel keeps it.
    click(h, "Remove");
    step_until(h, "the question", |h| {
        shows(h, "Remove this run from History?")
    });
    click(h, "Cancel");
    h.step();
    assert!(shows(h, "success"), "still there after Cancel");
    click(h, "Remove");
    step_until(h, "the question", |h| {
        shows(h, "Remove this run from History?")
    });
    click(h, "Yes, remove the run");
    step_until(h, "the run to go", |h| shows(h, "No runs yet."));
}

/// Writes a take too large to upload as it is at `path` (48 kHz stereo, 190 s: 36 MB), drops
/// it on the window and waits for its conversion; returns the upload file.
fn drop_a_long_take(h: &mut Harness<'static, App>, path: &Path) -> PathBuf {
    gui_support::write_tone_channels(path, 48_000, 2, 48_000 * 190);
    step_until(h, "the record screen", |h| shows(h, "Import a file"));
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(path.to_path_buf())));
    step_until(h, "the converted take", |h| {
        h.state().take.as_ref().is_some_and(|t| t.converted)
    });
    h.state().take.clone().expect("take").path
}

/// Presses Submit once the take is drawn (through AccessKit: nothing moves under a pointer)
/// and waits for the result.
fn submit_the_drawn_take(h: &mut Harness<'static, App>) {
    gui_support::wait_for_take_drawn(h);
    h.get_by_role_and_label(Role::Button, "Submit for scoring")
        .click_accesskit();
    h.step();
    step_until(h, "the result", |h| shows(h, "Overall level "));
}

#[test]
fn a_long_recordings_run_keeps_the_recording_not_its_upload_file() {
    // A take the recorder left, too large to upload as it is (48 kHz stereo, 190 s: 36 MB),
    // so the app converts it. History must point at the recording, not at the conversion:
    // playing the run and *Delete recording* are about the person's file.
    let mut gui = gui_support::start_with(gui_support::Setup {
        size: egui::vec2(1280.0, 800.0),
        ..Default::default()
    });
    let recordings = gui.harness.state().paths().recordings_dir();
    std::fs::create_dir_all(&recordings).expect("recordings dir");
    let take = recordings.join("take-long.wav");
    let h = &mut gui.harness;
    let upload = drop_a_long_take(h, &take);
    assert_ne!(upload, take, "the take is uploaded from a converted file");
    submit_the_drawn_take(h);
    step_until(h, "the run in history", |h| {
        h.state()
            .history_view
            .rows
            .first()
            .is_some_and(|r| r.record.outcome.is_some())
    });
    assert_eq!(
        h.state().history_view.rows[0].record.file.as_ref(),
        Some(&take),
        "the run's file is the recording"
    );

    click(h, "History");
    step_until(h, "the delete button", |h| shows(h, "Delete recording"));
    click(h, "Delete recording");
    step_until(h, "the question", |h| shows(h, "Delete the recording?"));
    click(h, "Yes, delete the recording");
    step_until(h, "the recording to go", |_| !take.exists());
    // The take it was is gone from the Record screen, and its upload file with it.
    step_until(h, "the upload file to go", |_| !upload.exists());
    assert!(h.state().take.is_none());
    assert!(
        shows(h, "success"),
        "the run and its scores stay in history"
    );
}

#[test]
fn a_take_whose_upload_file_has_gone_is_prepared_again_when_submitted() {
    // A long take, converted when it was made; its upload file then removed (by hand, or
    // swept by another window): Submit prepares it again instead of failing.
    let mut gui = gui_support::start_with(gui_support::Setup {
        size: egui::vec2(1280.0, 800.0),
        ..Default::default()
    });
    let dir = tempfile::tempdir().expect("dir");
    let long = dir.path().join("interview-48k.wav");
    let h = &mut gui.harness;
    let upload = drop_a_long_take(h, &long);
    std::fs::remove_file(&upload).expect("remove the upload file");
    submit_the_drawn_take(h);
    let sim = h.state().demo_simulator().expect("sim");
    let posts = sim.requests().iter().filter(|r| r.method == "POST").count();
    assert_eq!(posts, 1);
    assert!(long.exists(), "the person's file is left alone");
    let prepared = h.state().paths().prepared_dir();
    step_until(h, "the conversion made for the job to go", |_| {
        std::fs::read_dir(&prepared).map_or(true, |d| d.count() == 0)
    });
}

#[test]
fn upload_files_an_earlier_session_left_are_swept_at_start_up() {
    let day = Duration::from_secs(24 * 60 * 60);
    let files: Arc<std::sync::Mutex<Vec<PathBuf>>> = Arc::default();
    let made = files.clone();
    let mut gui = gui_support::start_with(gui_support::Setup {
        prepare: Box::new(move |config| {
            let dir = config.paths.as_ref().expect("paths").prepared_dir();
            std::fs::create_dir_all(&dir).expect("prepared dir");
            let mut made = made.lock().expect("lock");
            for (name, age) in [
                ("take-1.a5b3c54f.upload.ogg", 2 * day),
                ("take-2.0c1d2e3f.upload.wav", Duration::from_secs(30)),
            ] {
                let p = dir.join(name);
                std::fs::write(&p, b"left over").expect("write");
                std::fs::File::options()
                    .write(true)
                    .open(&p)
                    .and_then(|f| f.set_modified(std::time::SystemTime::now() - age))
                    .expect("age the file");
                made.push(p);
            }
        }),
        ..Default::default()
    });
    let h = &mut gui.harness;
    let files = files.lock().expect("lock").clone();
    step_until(h, "the day-old upload file to go", |_| !files[0].exists());
    assert!(files[1].exists(), "a recent one may be another window's");
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
    assert!(shows(
        &h,
        "Recovered 1 recording interrupted last time; it is in"
    ));
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
    assert!(shows(
        h,
        "The service has no cancel: the run goes on, and its credits stay held"
    ));
    let history = speech_scorer::store::History::new(h.state().paths());
    let (records, _) = history.list().expect("history");
    assert!(
        records.iter().any(|r| r.is_unfinished()),
        "the cancelled run can be resumed"
    );
}
