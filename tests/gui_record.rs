//! Recording through the app from a virtual microphone that this test binary starts for
//! itself (its own PulseAudio in a private runtime dir, `vmic_support`): the picker lists the
//! sound server's names with the default marked and leaves ALSA's null device behind "Show
//! all devices"; the microphone is tested (the device open, nothing written) before Space
//! starts; the meter moves, Space stops, and the take is on the record screen with its length.
//! The app uses the system's microphones here (`SystemMicrophones`), not the fake ones the
//! other GUI tests use. Ignored by a plain `cargo test`; `scripts/test.sh` runs it
//! (`--include-ignored`).

mod gui_support;
mod vmic_support;

use std::time::{Duration, Instant};

use std::sync::Arc;

use egui::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use gui_support::{Gui, Setup, labels, shows, start_with, step_until};
use speech_scorer::ui::ports::SystemMicrophones;

/// The app on the machine's own sound system (the private PulseAudio of `vmic_support`).
fn start() -> Gui {
    start_with(Setup {
        microphones: Some(Arc::new(SystemMicrophones)),
        ..Setup::default()
    })
}

#[test]
#[ignore = "needs the virtual microphone (PulseAudio); scripts/test.sh runs it"]
fn the_picker_names_the_sound_servers_sources_and_the_microphone_is_tested_first() {
    let mic = vmic_support::take();
    let mut gui = start();
    let h = &mut gui.harness;
    step_until(h, "the microphone test", |h| h.state().is_monitoring());
    // The sound server's description, the default marked, what it is said.
    let shown = |h: &egui_kittest::Harness<'static, speech_scorer::ui::App>, text: &str| {
        h.query_all_by(|_| true).any(|n| {
            let node = n.accesskit_node();
            node.label().is_some_and(|l| l.contains(text))
                || node.value().is_some_and(|v| v.contains(text))
        })
    };
    assert!(
        shown(h, "Monitor of VirtualMicSink (default)"),
        "{}",
        labels(h).join("\n")
    );
    // The device is open for the test (this process records from the private daemon), and
    // nothing is written.
    step_until(h, "the test to reach the daemon", |_| {
        mic.recording_pids() == vec![std::process::id()]
    });
    assert!(!h.state().is_recording());
    let dir = h.state().paths().recordings_dir();
    assert!(
        std::fs::read_dir(&dir).map_or(true, |mut d| d.next().is_none()),
        "no file while testing"
    );
    // ALSA's null device is not offered; behind "Show all devices" it is, marked.
    h.get_by_role_and_label(Role::ComboBox, "Microphone")
        .click();
    h.step();
    h.step();
    assert!(
        shown(h, "Monitor of VirtualMicSink"),
        "{}",
        labels(h).join("\n")
    );
    assert!(!shown(h, "Discard all samples"), "{}", labels(h).join("\n"));
    h.key_press(egui::Key::Escape);
    h.step();
    h.get_by_role_and_label(Role::CheckBox, "Show all devices")
        .click();
    h.step();
    h.get_by_role_and_label(Role::ComboBox, "Microphone")
        .click();
    h.step();
    h.step();
    assert!(shown(h, "not a microphone"), "{}", labels(h).join("\n"));
    h.key_press(egui::Key::Escape);
    h.step();
    // Leaving the screen lets the device go.
    gui_support::click(h, "History");
    step_until(h, "the device let go", |_| mic.recording_pids().is_empty());
}

#[test]
#[ignore = "needs the virtual microphone (PulseAudio); scripts/test.sh runs it"]
fn space_records_from_the_microphone_and_keeps_the_take() {
    let mic = vmic_support::take();
    let mut gui = start();
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
    let mut gui = start();
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
