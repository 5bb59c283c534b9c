//! Recording through the app from the virtual microphone (`scripts/vmic.sh`, started by
//! `scripts/test.sh`, which sets SPEECH_SCORER_VMIC=1): Space starts, the meter moves, Space
//! stops, and the take is on the record screen with its length.

mod gui_support;

use std::time::{Duration, Instant};

use egui::Role;
use egui_kittest::kittest::Queryable as _;
use gui_support::{shows, start, step_until};
use speech_scorer::simulator::SimConfig;

/// The virtual microphone is needed; without it the test says why it skips (never in CI).
fn vmic_available() -> bool {
    if std::env::var_os("SPEECH_SCORER_VMIC").is_some() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but SPEECH_SCORER_VMIC is not set: run through scripts/test.sh");
    }
    eprintln!(
        "skipping: no virtual microphone (SPEECH_SCORER_VMIC unset); run scripts/test.sh or \
         eval \"$(scripts/vmic.sh start)\" and set SPEECH_SCORER_VMIC=1"
    );
    false
}

#[test]
fn space_records_from_the_microphone_and_keeps_the_take() {
    if !vmic_available() {
        return;
    }
    let mut gui = start(SimConfig::fast());
    let h = &mut gui.harness;
    step_until(h, "the record screen", |h| shows(h, "Import a file"));
    h.key_press(egui::Key::Space);
    step_until(h, "recording to start", |h| {
        h.query_by_role_and_label(Role::Button, "Stop recording")
            .is_some()
            && h.state().recorder_snapshot().is_some()
    });
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        h.step();
        std::thread::sleep(Duration::from_millis(100));
    }
    // The meter is on screen with a label a screen reader can read out.
    assert!(shows(h, "Input level"));
    h.key_press(egui::Key::Space);
    step_until(h, "the take", |h| h.state().take.is_some());
    let take = h.state().take.clone().expect("take");
    let secs = take.duration.as_secs_f64();
    assert!((2.0..6.0).contains(&secs), "take length {secs} s");
    assert!(
        take.original
            .starts_with(h.state().paths().recordings_dir())
    );
    assert!(shows(h, "more to reach the 3-minute minimum"));
}
