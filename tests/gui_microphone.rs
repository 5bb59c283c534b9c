//! The record screen's microphone (issues 11 and 12), on fake microphones (generated signals;
//! no test here touches the machine's sound system): the microphone is tested before
//! recording (the meter live, nothing written, stopped off the screen and while the window is
//! hidden, handed over to the take without reopening the device); the list offers what people
//! recognise, keeps what is not a microphone behind "Show all devices", remembers the choice
//! and names a saved microphone that is gone; a source faster than real time gets a dialog
//! and no take; a silent take asks before it is submitted; the recording shows where it stops
//! by itself; upload files made for a take go with it.

mod gui_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use gui_support::{
    Setup, click, labels, shows, start_in_with_microphones, start_with, step_until, wait_for,
};
use speech_scorer::ui::App;
use speech_scorer::ui::Screen;
use speech_scorer::ui::ports::{FakeDevice, FakeMicrophones, Microphones};

fn mics(devices: Vec<FakeDevice>) -> FakeMicrophones {
    FakeMicrophones::with(devices)
}

fn setup(m: &FakeMicrophones) -> Setup {
    Setup {
        microphones: Some(Arc::new(m.clone()) as Arc<dyn Microphones>),
        ..Setup::default()
    }
}

/// Steps frames for `d` (the live meter needs wall-clock time).
fn run_for(h: &mut Harness<'static, App>, d: Duration) {
    let until = Instant::now() + d;
    while Instant::now() < until {
        h.step();
        std::thread::sleep(Duration::from_millis(30));
    }
}

fn recordings(h: &Harness<'static, App>) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(h.state().paths().recordings_dir())
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// Opens the microphone picker.
fn open_picker(h: &mut Harness<'static, App>) {
    h.get_by_role_and_label(Role::ComboBox, "Microphone")
        .click();
    h.step();
    h.step();
}

/// Picks the entry whose text contains `text` in the microphone picker (opening it), and
/// waits until it is the device in use.
fn pick(h: &mut Harness<'static, App>, text: &str) {
    let chosen = |h: &Harness<'static, App>| {
        h.state()
            .audio
            .choice
            .as_ref()
            .is_some_and(|c| c.device.name.contains(text))
    };
    for _ in 0..5 {
        open_picker(h);
        let entry = h
            .query_all_by_label_contains(text)
            .find(|n| n.accesskit_node().role() != Role::ComboBox);
        match entry {
            Some(entry) => {
                entry.click();
                h.step();
            }
            None => h.key_press(egui::Key::Escape),
        }
        h.step();
        if chosen(h) {
            return;
        }
    }
    panic!("could not pick {text:?}:\n{}", labels(h).join("\n"));
}

/// True when some node's label or value contains `text` (the picker shows its choice as its
/// value).
fn shows_value(h: &Harness<'static, App>, text: &str) -> bool {
    h.query_all_by(|_| true).any(|n| {
        let node = n.accesskit_node();
        node.label().is_some_and(|l| l.contains(text))
            || node.value().is_some_and(|v| v.contains(text))
    })
}

fn microphone(id: &str, name: &str, is_default: bool) -> FakeDevice {
    FakeDevice::microphone(id, name, is_default)
}

#[test]
fn the_meter_runs_before_recording_and_stops_off_screen_and_while_hidden() {
    let m = FakeMicrophones::one_microphone();
    let mut gui = start_with(setup(&m));
    let h = &mut gui.harness;
    step_until(h, "the microphone test", |h| h.state().is_monitoring());
    // The meter moves with what the microphone hears (a tone at about -23 dBFS), with its
    // scale and target zone, and nothing is written.
    step_until(h, "the level in the target zone", |h| {
        shows(h, "in the target zone")
    });
    assert!(shows(h, "Testing Test Microphone: nothing is recorded yet"));
    assert!(shows(h, "Aim for the marked zone (-30 to -15 dB)"));
    assert!(!h.state().is_recording());
    run_for(h, Duration::from_millis(500));
    assert!(recordings(h).is_empty(), "no file while testing");

    // Another screen: the device is let go.
    click(h, "History");
    step_until(h, "the test to stop", |h| !h.state().is_monitoring());
    run_for(h, Duration::from_millis(300));
    assert!(!h.state().is_monitoring(), "no test off the record screen");
    click(h, "Record");
    step_until(h, "the test again", |h| h.state().is_monitoring());

    // The window minimised: stopped; shown again: running.
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .minimized = Some(true);
    step_until(h, "the test to stop while hidden", |h| {
        !h.state().is_monitoring()
    });
    run_for(h, Duration::from_millis(300));
    assert!(!h.state().is_monitoring(), "no test while hidden");
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .minimized = Some(false);
    step_until(h, "the test once shown", |h| h.state().is_monitoring());
}

#[test]
fn recording_takes_over_the_open_microphone_without_reopening_it() {
    let m = FakeMicrophones::one_microphone();
    let mut gui = start_with(setup(&m));
    let h = &mut gui.harness;
    step_until(h, "the microphone test", |h| h.state().is_monitoring());
    assert_eq!(m.opened.load(Ordering::SeqCst), 1);
    click(h, "Start recording");
    step_until(h, "recording", |h| h.state().recorder_snapshot().is_some());
    step_until(h, "a second of audio", |h| {
        h.state()
            .recorder_snapshot()
            .is_some_and(|s| s.elapsed >= Duration::from_secs(1))
    });
    assert_eq!(
        m.opened.load(Ordering::SeqCst),
        1,
        "the take continues on the device the test opened"
    );
    click(h, "Stop recording");
    step_until(h, "the take", |h| h.state().take.is_some());
    let take = h.state().take.clone().expect("take");
    assert!(take.duration >= Duration::from_secs(1), "{take:?}");
    // Back to testing the microphone once the take is in.
    step_until(h, "the test again", |h| h.state().is_monitoring());
}

#[test]
fn the_null_device_is_offered_only_behind_show_all_devices_and_marked() {
    let m = mics(vec![
        microphone(
            "pulseaudio:alsa_input.usb-Blue_Yeti",
            "Yeti Stereo Microphone",
            true,
        ),
        FakeDevice::null_device(),
    ]);
    let mut gui = start_with(setup(&m));
    let h = &mut gui.harness;
    step_until(h, "the microphone test", |h| h.state().is_monitoring());
    assert!(
        shows_value(h, "Yeti Stereo Microphone (default)"),
        "{}",
        labels(h).join("\n")
    );
    open_picker(h);
    assert!(
        !shows(h, "Discard all samples"),
        "the null device is not offered:\n{}",
        labels(h).join("\n")
    );
    h.key_press(egui::Key::Escape);
    h.step();
    click_checkbox(h, "Show all devices");
    open_picker(h);
    assert!(
        shows(
            h,
            "Discard all samples (playback) or generate zero samples (capture) — not a microphone"
        ),
        "{}",
        labels(h).join("\n")
    );
}

fn click_checkbox(h: &mut Harness<'static, App>, label: &str) {
    h.get_by_role_and_label(Role::CheckBox, label).click();
    h.step();
}

#[test]
fn the_chosen_microphone_is_remembered_and_a_missing_one_is_named() {
    let home = tempfile::tempdir().expect("home");
    let built_in = || microphone("pulseaudio:alsa_input.pci.analog", "Built-in Audio", true);
    let usb = || {
        microphone(
            "pulseaudio:alsa_input.usb-Yeti",
            "Yeti Stereo Microphone",
            false,
        )
    };

    let both = Arc::new(mics(vec![built_in(), usb()]));
    let mut first = start_in_with_microphones(home.path(), both.clone());
    step_until(&mut first, "the microphone test", |h| {
        h.state().is_monitoring()
    });
    pick(&mut first, "Yeti Stereo Microphone");
    step_until(&mut first, "the Yeti in use", |h| {
        h.state().audio.monitor_device.as_deref() == Some("pulseaudio:alsa_input.usb-Yeti")
            && h.state().is_monitoring()
    });
    // Saved off the UI thread; give it a moment, then quit.
    let state_file = home.path().join("config/ui-state.json");
    step_until(&mut first, "the choice on disk", |_| {
        std::fs::read_to_string(&state_file).is_ok_and(|t| t.contains("usb-Yeti"))
    });
    drop(first);

    let mut second = start_in_with_microphones(home.path(), both);
    step_until(&mut second, "the saved microphone in use", |h| {
        h.state().is_monitoring()
            && h.state().audio.monitor_device.as_deref() == Some("pulseaudio:alsa_input.usb-Yeti")
    });
    assert!(shows_value(&second, "Yeti Stereo Microphone"));
    assert!(!shows(&second, "is not connected"));
    drop(second);

    // Unplugged: the default is used, and the screen says so in plain words.
    let mut third = start_in_with_microphones(home.path(), Arc::new(mics(vec![built_in()])));
    wait_for(
        &mut third,
        "Yeti Stereo Microphone is not connected; using Built-in Audio.",
    );
    step_until(&mut third, "the default in use", |h| {
        h.state().is_monitoring()
            && h.state().audio.monitor_device.as_deref() == Some("pulseaudio:alsa_input.pci.analog")
    });
}

#[test]
fn a_source_faster_than_real_time_gets_a_dialog_and_no_take() {
    let m = mics(vec![
        microphone("fake:mic", "Test Microphone", true),
        FakeDevice::null_device(),
    ]);
    let mut gui = start_with(setup(&m));
    let h = &mut gui.harness;
    step_until(h, "the microphone test", |h| h.state().is_monitoring());
    click_checkbox(h, "Show all devices");
    pick(h, "Discard all samples");
    // Found while testing: nothing was recorded.
    wait_for(h, "faster than anyone can speak");
    assert!(shows(h, "This input is not a microphone"));
    assert!(shows(h, "Nothing was recorded."));
    click(h, "Close");
    step_until(h, "the dialog closed", |h| h.state().audio.dialog.is_none());
    // It is not tested again, and recording from it ends the same way, keeping nothing.
    run_for(h, Duration::from_millis(500));
    assert!(!h.state().is_monitoring());
    click(h, "Start recording");
    wait_for(h, "The recording was stopped and nothing was kept");
    assert!(h.state().take.is_none(), "no take is offered");
    assert!(!h.state().is_recording());
    assert!(
        recordings(h)
            .iter()
            .all(|p| p.extension().is_none_or(|e| e != "wav")),
        "no file is left: {:?}",
        recordings(h)
    );
    // The way out: the dialog offers the microphone that works.
    click(h, "Use Test Microphone");
    step_until(h, "the test on the microphone", |h| {
        h.state().is_monitoring() && h.state().audio.monitor_device.as_deref() == Some("fake:mic")
    });
}

/// A microphone that hears digital silence, faster than real time on purpose (minutes of
/// take in seconds, so the take is long enough to submit).
fn muted_fast_microphone() -> FakeDevice {
    let mut d = microphone("fake:muted", "Muted Microphone", true);
    d.signal.amplitude = 0.0;
    d.signal.speed = 100.0;
    d.allow_fast = true;
    d
}

#[test]
fn a_silent_take_asks_before_it_is_submitted() {
    let m = mics(vec![muted_fast_microphone()]);
    let mut gui = start_with(setup(&m));
    let h = &mut gui.harness;
    step_until(h, "the microphone test", |h| h.state().is_monitoring());
    click(h, "Start recording");
    step_until(h, "over three minutes of silence", |h| {
        h.state()
            .recorder_snapshot()
            .is_some_and(|s| s.elapsed >= Duration::from_secs(200))
    });
    click(h, "Stop recording");
    step_until(h, "the take", |h| h.state().take.is_some());
    assert!(shows(h, "Almost all of this take is silence"));
    click(h, "Submit for scoring");
    wait_for(h, "% of it is silence");
    assert!(shows(h, "This take is silent"));
    assert!(
        !h.state().is_submitting(),
        "nothing is submitted before the answer"
    );
    // "Record again": a new take starts (the silent one stays in the list).
    click(h, "Record again");
    step_until(h, "recording again", |h| {
        h.state().recorder_snapshot().is_some()
    });
    step_until(h, "over three minutes", |h| {
        h.state()
            .recorder_snapshot()
            .is_some_and(|s| s.elapsed >= Duration::from_secs(200))
    });
    let first = h.state().take.clone().expect("the first take").original;
    click(h, "Stop recording");
    step_until(h, "the second take", |h| {
        h.state().take.as_ref().is_some_and(|t| t.original != first)
    });
    wait_for(h, "Takes (2)");
    // "Submit anyway" submits.
    click(h, "Submit for scoring");
    wait_for(h, "% of it is silence");
    click(h, "Submit anyway");
    step_until(h, "the submission", |h| {
        h.state().is_submitting() || h.state().state.screen == Screen::Progress
    });
}

#[test]
fn the_recording_says_where_it_stops_by_itself_and_why() {
    let mut fast = microphone("fake:mic", "Test Microphone", true);
    fast.signal.speed = 100.0;
    fast.allow_fast = true;
    let m = mics(vec![fast]);
    let mut gui = start_with(setup(&m));
    let h = &mut gui.harness;
    step_until(h, "the microphone test", |h| h.state().is_monitoring());
    // Not before recording.
    assert!(!shows(h, "Stops by itself at 44:50"));
    click(h, "Start recording");
    wait_for(
        h,
        "Stops by itself at 44:50, just under the service's 45:00 limit.",
    );
    step_until(h, "past the minimum", |h| {
        shows(h, "left until it stops by itself at 44:50")
    });
    click(h, "Stop recording");
    step_until(h, "the take", |h| h.state().take.is_some());
}

#[test]
fn upload_files_made_for_a_take_go_when_it_is_replaced_or_deleted() {
    // 48 kHz stereo 16-bit, 140 s: 27 MB, over the 25 MB limit, so it is converted.
    let dir = tempfile::tempdir().expect("dir");
    let big = dir.path().join("interview-48k.wav");
    gui_support::write_tone_channels(&big, 48_000, 2, 48_000 * 140);
    let (_small_dir, small) = gui_support::fixture(190.0);
    // Tall enough that the whole Takes list is on screen.
    let mut gui = start_with(Setup {
        size: egui::vec2(900.0, 1400.0),
        ..Setup::default()
    });
    let h = &mut gui.harness;
    let import = |h: &mut Harness<'static, App>, path: &std::path::Path| {
        h.state_mut().import_form.path = path.display().to_string();
        h.step();
        click(h, "Import");
    };
    import(h, &big);
    step_until(h, "the converted take", |h| {
        h.state().take.as_ref().is_some_and(|t| t.converted)
    });
    let upload = h.state().take.clone().expect("take").path;
    assert!(upload.exists());
    assert!(upload.starts_with(h.state().paths().data_dir.join("prepared")));

    // Replaced (after the question): the upload file goes, the person's file stays.
    import(h, &small);
    wait_for(h, "Replace the take?");
    click(h, "Yes, replace it");
    step_until(h, "the other take", |h| {
        h.state().take.as_ref().is_some_and(|t| t.original == small)
    });
    step_until(h, "the upload file removed", |_| !upload.exists());
    assert!(big.exists(), "the imported file itself is never removed");

    // Opened again (converted again), then removed from the list: its upload file goes too.
    click(h, "Open");
    wait_for(h, "Replace the take?");
    click(h, "Yes, replace it");
    step_until(h, "the big take again", |h| {
        h.state().take.as_ref().is_some_and(|t| t.original == big)
    });
    let upload = h.state().take.clone().expect("take").path;
    assert!(upload.exists());
    // The list is newest first: the big take (imported first) is the last row.
    let removes: Vec<_> = h
        .query_all_by_role(Role::Button)
        .filter(|b| b.accesskit_node().label().is_some_and(|l| l == "Remove"))
        .collect();
    assert_eq!(removes.len(), 2, "both takes can be removed");
    removes[1].click();
    h.step();
    wait_for(h, "Remove this take?");
    click(h, "Yes, remove the take");
    step_until(h, "the take gone", |h| h.state().take.is_none());
    step_until(h, "the upload file removed", |_| !upload.exists());
    assert!(big.exists());
}
