//! Never lose a take (issue 11): the take survives a restart, replacing or putting away one
//! that was never submitted asks first, every take is listed on the record screen until the
//! person deletes it, and a cancelled run (which goes on on the service) can be resumed from
//! History.

mod gui_support;

use std::sync::Arc;
use std::time::Duration;

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use gui_support::{
    Dropped, click, fixture, import_fixture, shows, start, start_in, step_until, wait_for,
};
use speech_scorer::simulator::SimConfig;
use speech_scorer::simulator::{Endpoint, Respond, Scenario, Step};
use speech_scorer::ui::App;

fn drop_file(h: &mut Harness<'static, App>, path: &std::path::Path) {
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(path.to_path_buf())));
    h.step();
}

fn take_file(h: &Harness<'static, App>) -> Option<std::path::PathBuf> {
    h.state().take.as_ref().map(|t| t.original.clone())
}

#[test]
fn the_take_survives_a_restart() {
    let home = tempfile::tempdir().expect("home");
    let (_dir, file) = fixture(200.0);
    let mut first = start_in(home.path(), Box::new(|_| {}), Some(file.clone()));
    wait_for(&mut first, "Import a file");
    click(&mut first, "Import a file…");
    step_until(&mut first, "the take", |h| h.state().take.is_some());
    // The list is saved off the UI thread; give it a moment, then quit.
    step_until(&mut first, "the list on disk", |_| {
        std::fs::read_to_string(home.path().join("data/takes.json"))
            .is_ok_and(|t| t.contains("speech-200s.wav"))
    });
    drop(first);

    let mut second = start_in(home.path(), Box::new(|_| {}), None);
    step_until(&mut second, "the take to come back", |h| {
        h.state().take.is_some()
    });
    assert_eq!(take_file(&second), Some(file));
    wait_for(&mut second, "is back from last time (not submitted yet)");
    assert!(shows(&second, "Submit for scoring"));
}

#[test]
fn replacing_an_unsubmitted_take_asks_first_and_both_stay_listed() {
    let mut gui = start(SimConfig::fast());
    import_fixture(&mut gui);
    let first = gui.fixture.clone();
    let (_dir, second) = fixture(190.0);
    let h = &mut gui.harness;
    drop_file(h, &second);
    wait_for(h, "Replace the take?");
    assert_eq!(take_file(h), Some(first.clone()), "nothing replaced yet");
    click(h, "Yes, replace it");
    step_until(h, "the new take", |h| take_file(h) == Some(second.clone()));
    wait_for(h, "Takes (2)");
    assert!(shows(h, "speech-200s.wav"), "the first take is listed");
    // Open the first again from the list: the second was not submitted either, so it asks.
    click(h, "Open");
    wait_for(h, "Replace the take?");
    click(h, "Yes, replace it");
    step_until(h, "the first take back", |h| {
        take_file(h) == Some(first.clone())
    });
}

#[test]
fn a_submitted_take_is_replaced_without_a_question() {
    let mut gui = start(SimConfig::fast());
    import_fixture(&mut gui);
    let (_dir, second) = fixture(190.0);
    let h = &mut gui.harness;
    click(h, "Submit for scoring");
    wait_for(h, "Overall level ");
    click(h, "Record");
    drop_file(h, &second);
    step_until(h, "the new take", |h| take_file(h) == Some(second.clone()));
    assert!(
        h.state().confirm.is_none(),
        "no question for a submitted take"
    );
    assert!(
        shows(h, "submitted"),
        "the first one is listed as submitted"
    );
}

#[test]
fn discard_asks_and_the_take_can_be_reopened() {
    let mut gui = start(SimConfig::fast());
    import_fixture(&mut gui);
    let file = gui.fixture.clone();
    let h = &mut gui.harness;
    click(h, "Discard");
    wait_for(h, "Put this take away?");
    assert!(h.state().take.is_some(), "still there before the answer");
    click(h, "Yes, put it away");
    step_until(h, "the take put away", |h| h.state().take.is_none());
    wait_for(h, "Takes (1)");
    click(h, "Open");
    step_until(h, "the take back", |h| take_file(h) == Some(file.clone()));
    assert!(
        h.state().confirm.is_none(),
        "nothing on screen to replace: no question"
    );
}

#[test]
fn a_take_leaves_the_list_only_when_deleted() {
    let mut gui = start(SimConfig::fast());
    import_fixture(&mut gui);
    let file = gui.fixture.clone();
    let h = &mut gui.harness;
    wait_for(h, "Takes (1)");
    click(h, "Remove");
    wait_for(h, "Remove this take?");
    click(h, "Yes, remove the take");
    step_until(h, "the list to empty", |h| {
        h.state().takes.list.takes.is_empty()
    });
    assert!(h.state().take.is_none());
    assert!(file.exists(), "an imported file stays where it is");
}

#[test]
fn deleting_a_recorded_take_deletes_its_file() {
    // A recording the app made: one a crash interrupted, recovered at start-up.
    let home = tempfile::tempdir().expect("home");
    let recordings = speech_scorer::store::Paths::under(home.path().to_path_buf()).recordings_dir();
    std::fs::create_dir_all(&recordings).expect("recordings dir");
    let (_dir, file) = fixture(200.0);
    let wav = recordings.join("take-crashed.wav");
    std::fs::copy(&file, &wav).expect("copy");
    std::fs::write(
        recordings.join("take-crashed.wav.recording"),
        r#"{"app": "speech-scorer", "file": "take-crashed.wav", "pid": 4194300, "device": "test mic", "started": "2026-11-25T10:00:00Z"}"#,
    )
    .expect("marker");
    let mut h = start_in(home.path(), Box::new(|_| {}), None);
    step_until(&mut h, "the recovered take", |h| h.state().take.is_some());
    wait_for(&mut h, "Takes (1)");
    h.get_by_role_and_label(Role::Button, "Delete").click();
    h.step();
    wait_for(&mut h, "Delete this take?");
    click(&mut h, "Yes, delete the take");
    step_until(&mut h, "the file to go", |_| !wav.exists());
    assert!(h.state().take.is_none());
}

#[test]
fn a_cancelled_run_resumes_from_history() {
    // The run never finishes by itself (however slowly the test steps, Cancel comes first);
    // the resumed poll is answered with its result by a scripted step.
    let sim = SimConfig {
        processing_time: Duration::from_secs(3600),
        ..SimConfig::fast()
    };
    let mut gui = start(sim);
    import_fixture(&mut gui);
    let h = &mut gui.harness;
    click(h, "Submit for scoring");
    step_until(h, "the run to be accepted", |h| {
        h.state().run.as_ref().is_some_and(|r| r.run_id.is_some())
    });
    assert!(
        shows(h, "its credits stay held until it does"),
        "Cancel says what it means"
    );
    click(h, "Cancel");
    step_until(h, "the job to stop", |h| !h.state().is_submitting());
    click(h, "History");
    wait_for(h, "cancelled");
    h.state().demo_simulator().expect("sim").play(&Scenario {
        steps: vec![Step::new(Endpoint::Poll, Respond::Success)],
        ..Scenario::default()
    });
    click(h, "Resume");
    step_until(h, "the resumed run's result", |h| shows(h, "success"));
    let sim = h.state().demo_simulator().expect("sim");
    let posts = sim.requests().iter().filter(|r| r.method == "POST").count();
    assert_eq!(posts, 1, "resuming never submits again");
}
