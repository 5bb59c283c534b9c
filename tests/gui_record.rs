//! Recording through the app from a virtual microphone that this test binary starts for
//! itself (its own PulseAudio in a private runtime dir, `vmic_support`): Space starts, the
//! meter moves, Space stops, and the take is on the record screen with its length. Ignored by
//! a plain `cargo test`; `scripts/test.sh` runs it (`--include-ignored`).

mod gui_support;
mod vmic_support;

use std::time::{Duration, Instant};

use egui::Role;
use egui_kittest::kittest::Queryable as _;
use gui_support::{shows, start, step_until};
use speech_scorer::simulator::SimConfig;

#[test]
#[ignore = "needs the virtual microphone (PulseAudio); scripts/test.sh runs it"]
fn space_records_from_the_microphone_and_keeps_the_take() {
    let mic = vmic_support::take();
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
    assert_eq!(
        mic.recording_pids(),
        vec![std::process::id()],
        "the app records from this run's own PulseAudio"
    );
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

#[test]
#[ignore = "needs the virtual microphone (PulseAudio); scripts/test.sh runs it"]
fn space_records_a_take_that_grows_and_space_stops_it() {
    let _mic = vmic_support::take();
    let mut gui = start(SimConfig::fast());
    let h = &mut gui.harness;
    step_until(h, "the record screen", |h| shows(h, "Import a file"));
    assert!(!h.state().is_recording());
    h.key_press(egui::Key::Space);
    step_until(h, "audio to come in", |h| {
        h.state()
            .recorder_snapshot()
            .is_some_and(|s| s.elapsed > Duration::from_millis(300))
    });
    let first = h.state().recorder_snapshot().expect("recording").elapsed;
    let t = std::time::Instant::now();
    while t.elapsed() < Duration::from_millis(1500) {
        h.step();
        std::thread::sleep(Duration::from_millis(50));
    }
    let later = h
        .state()
        .recorder_snapshot()
        .expect("still recording")
        .elapsed;
    assert!(
        later >= first + Duration::from_millis(1000),
        "the take grows with the clock: {first:?} then {later:?}"
    );
    assert!(!shows(h, "Could not start recording"));
    h.key_press(egui::Key::Space);
    step_until(h, "the take", |h| h.state().take.is_some());
    let take = h.state().take.clone().expect("take");
    assert!(
        take.duration >= later,
        "the take holds what was recorded: {:?} < {later:?}",
        take.duration
    );
}
