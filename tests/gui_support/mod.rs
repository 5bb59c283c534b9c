//! Builds the real desktop app in an `egui_kittest` harness against the simulator, and waits
//! for what a person would wait for. Everything lives in temp dirs (never $HOME). The one
//! `step_until` / `shows` / `click` / `type_into` every GUI test uses. kittest needs no
//! display; this crate builds kittest without its `snapshot` feature (no wgpu here), so a
//! timeout dumps every label on screen instead of a screenshot.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use speech_scorer::simulator::SimConfig;
use speech_scorer::ui::App;
use speech_scorer::ui::app::AppConfig;
use speech_scorer::ui::ports::{FixedFilePicker, Microphones, Picked, RecordingBrowser};
use std::sync::Arc;

#[path = "../common/mod.rs"]
mod common;

/// The app under test, with its temp dirs and the browser recorder.
pub struct Gui {
    pub harness: Harness<'static, App>,
    pub browser: RecordingBrowser,
    pub fixture: PathBuf,
    pub home: tempfile::TempDir,
    _fixture_dir: tempfile::TempDir,
}

/// How long a whole scenario may take before the test fails (the fast simulator needs seconds).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Options for [`start_with`].
pub struct Setup {
    /// Length of the speech-like fixture the file picker "chooses".
    pub fixture_secs: f64,
    /// The simulator of demo mode.
    pub sim: SimConfig,
    /// Runs before the app is built (e.g. write settings, save a key).
    pub prepare: Box<dyn FnOnce(&AppConfig)>,
    /// What the file dialog answers instead of the fixture (e.g. `Picked::Unavailable`).
    pub picker: Option<Picked>,
    /// The browser fails with this error instead of recording the URL.
    pub browser_fails: Option<String>,
    /// The window size.
    pub size: egui::Vec2,
    /// The microphones (default: one fake microphone hearing a tone).
    pub microphones: Option<Arc<dyn Microphones>>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            fixture_secs: 200.0,
            sim: SimConfig::fast(),
            prepare: Box::new(|_| {}),
            picker: None,
            browser_fails: None,
            size: WINDOW,
            microphones: None,
        }
    }
}

/// The window size tests use unless they test the layout.
pub const WINDOW: egui::Vec2 = egui::vec2(900.0, 760.0);

/// The app in demo mode on a fast simulator with a 200-second fixture to import.
pub fn start(sim: SimConfig) -> Gui {
    start_with(Setup {
        sim,
        ..Setup::default()
    })
}

/// The app built as [`Setup`] says.
pub fn start_with(setup: Setup) -> Gui {
    let home = tempfile::tempdir().expect("home dir");
    let (fixture_dir, fixture) = common::speech_fixture(setup.fixture_secs);
    let (mut config, mut browser) =
        AppConfig::for_test(home.path(), setup.sim, Some(fixture.clone()));
    if let Some(answer) = setup.picker {
        config.file_picker = Arc::new(FixedFilePicker::answering(answer));
    }
    if let Some(microphones) = setup.microphones {
        config.microphones = microphones;
    }
    if let Some(error) = &setup.browser_fails {
        browser = RecordingBrowser::failing(error);
        config.browser = Arc::new(browser.clone());
    }
    (setup.prepare)(&config);
    let mut harness = Harness::builder()
        .with_size(setup.size)
        .build_eframe(move |cc| App::new_for_test(&cc.egui_ctx, config).expect("app starts"));
    key_read(&mut harness);
    Gui {
        harness,
        browser,
        fixture,
        home,
        _fixture_dir: fixture_dir,
    }
}

/// Steps frames until `done` holds, failing with the screen's labels after `PATIENCE`.
pub fn step_until<S>(
    h: &mut Harness<'static, S>,
    what: &str,
    done: impl Fn(&Harness<'static, S>) -> bool,
) {
    let start = Instant::now();
    loop {
        h.step();
        if done(h) {
            return;
        }
        if start.elapsed() > PATIENCE {
            panic!(
                "timed out after {PATIENCE:?} waiting for {what}; on screen:\n{}",
                labels(h).join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(40));
    }
}

/// Steps frames until some label contains `text`.
pub fn wait_for<S>(h: &mut Harness<'static, S>, text: &str) {
    step_until(h, &format!("\"{text}\""), |h| shows(h, text));
}

/// Every label on screen (for failure messages).
pub fn labels<S>(h: &Harness<'static, S>) -> Vec<String> {
    h.query_all_by(|_| true)
        .filter_map(|n| {
            let node = n.accesskit_node();
            node.label().or_else(|| node.value())
        })
        .collect()
}

/// True when some node's label contains `text` (several may: a code is in a title and in
/// the technical line).
pub fn shows<S>(h: &Harness<'static, S>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

/// Clicks the button labelled `label`, then draws a frame.
pub fn click<S>(h: &mut Harness<'static, S>, label: &str) {
    let Some(button) = h.query_by_role_and_label(Role::Button, label) else {
        panic!("no button \"{label}\" on screen:\n{}", labels(h).join("\n"));
    };
    button.click();
    h.step();
}

/// Focuses the field labelled `label`, types `text` into it, then draws a frame.
pub fn type_into<S>(h: &mut Harness<'static, S>, label: &str, text: &str) {
    let field = h.get_by_label(label);
    field.focus();
    field.type_text(text);
    h.step();
}

/// What the last frame put on the clipboard.
pub fn copied<S>(h: &Harness<'static, S>) -> Vec<String> {
    h.output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// Imports the fixture (dropped on the window, which needs no pointer aim: the Record
/// screen's lines move while the microphone test opens) and waits until it is the take.
pub fn import_fixture(gui: &mut Gui) {
    let h = &mut gui.harness;
    step_until(h, "the record screen", |h| shows(h, "Import a file"));
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(gui.fixture.clone())));
    wait_for_take_drawn(h);
}

/// Waits until the take on screen is drawn with its waveform: the waveform is computed off
/// the UI thread and, when it arrives, moves the buttons below it down; a pointer click
/// aimed before that lands where a button was.
pub fn wait_for_take_drawn<S>(h: &mut Harness<'static, S>) {
    step_until(h, "the imported take and its waveform", |h| {
        h.query_by_role_and_label(Role::Button, "Submit for scoring")
            .is_some()
            && h.query_by_label_contains(speech_scorer::ui::waveform::WAVEFORM_LABEL)
                .is_some()
    });
    h.step();
}

/// Imports the fixture, submits it, and waits until the run has ended (result or dialog).
pub fn import_and_submit(gui: &mut Gui) {
    import_fixture(gui);
    click(&mut gui.harness, "Submit for scoring");
    step_until(&mut gui.harness, "the run to end", |h| {
        !h.state().is_submitting()
    });
    gui.harness.step();
}

/// A started simulator the test owns (it outlives app instances, like a real service).
pub struct OwnSim {
    pub rt: tokio::runtime::Runtime,
    pub sim: speech_scorer::simulator::SimHandle,
}

/// Starts a simulator on the test's own runtime.
pub fn own_sim(cfg: SimConfig) -> OwnSim {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let sim = rt
        .block_on(speech_scorer::simulator::Simulator::start(cfg))
        .expect("simulator starts");
    OwnSim { rt, sim }
}

/// A `prepare` step for [`Setup`]: the app starts with `key` saved and `base_url` in the
/// settings (real-key mode, pointed at a simulator the test owns).
pub fn with_key(base_url: String, key: String) -> Box<dyn FnOnce(&AppConfig)> {
    Box::new(move |config| {
        let secrets = config.secrets.as_ref().expect("test secret store");
        secrets
            .set(&speech_scorer::api::client::ApiKey::new(key).expect("key"))
            .expect("save key");
        let paths = config.paths.as_ref().expect("test paths");
        let settings = speech_scorer::store::Settings {
            base_url: Some(base_url),
            ..Default::default()
        };
        settings.save(paths).expect("save settings");
    })
}

/// Builds the app on a given home (to start it twice on the same history).
pub fn start_in(
    home: &std::path::Path,
    prepare: Box<dyn FnOnce(&AppConfig)>,
    pick: Option<PathBuf>,
) -> Harness<'static, App> {
    let (config, _browser) = AppConfig::for_test(home, SimConfig::fast(), pick);
    prepare(&config);
    let mut harness = Harness::builder()
        .with_size(egui::vec2(900.0, 760.0))
        .build_eframe(move |cc| App::new_for_test(&cc.egui_ctx, config).expect("app starts"));
    key_read(&mut harness);
    harness
}

/// Steps until the saved key has been read (off the UI thread, at start-up): as a person
/// waits for "Reading the saved key…" to go before submitting.
pub fn key_read(h: &mut Harness<'static, App>) {
    step_until(h, "the saved key to be read", |h| {
        h.state().key_wait != speech_scorer::ui::app::KeyWait::Reading
    });
}

/// [`start_in`] with these microphones.
pub fn start_in_with_microphones(
    home: &std::path::Path,
    microphones: Arc<dyn Microphones>,
) -> Harness<'static, App> {
    let (mut config, _browser) = AppConfig::for_test(home, SimConfig::fast(), None);
    config.microphones = microphones;
    Harness::builder()
        .with_size(WINDOW)
        .build_eframe(move |cc| App::new_for_test(&cc.egui_ctx, config).expect("app starts"))
}

/// A speech-like WAV fixture of `secs` in a temp dir.
pub fn fixture(secs: f64) -> (tempfile::TempDir, PathBuf) {
    common::speech_fixture(secs)
}

/// A 16-bit mono tone WAV of exactly `frames` frames at `rate` (fast to write, for long takes).
pub fn write_tone(path: &std::path::Path, rate: u32, frames: u64) {
    common::write_tone_wav(path, rate, 1, frames);
}

/// A 16-bit tone WAV of `channels` channels, exactly `frames` frames at `rate`.
pub fn write_tone_channels(path: &std::path::Path, rate: u32, channels: u16, frames: u64) {
    common::write_tone_wav(path, rate, channels, frames);
}

/// A file dropped on the window.
#[derive(Debug)]
pub struct Dropped(pub PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Fails unless the control labelled `label` (a button when `button`) can be brought wholly
/// into a window of `size` ("scroll into view"): nothing is cut off out of reach.
pub fn reachable(h: &mut Harness<'static, App>, size: egui::Vec2, label: &str, button: bool) {
    let find = |h: &Harness<'static, App>| {
        let node = if button {
            h.query_by_role_and_label(Role::Button, label)
        } else {
            h.query_all_by_label(label).next()
        };
        node.map(|n| n.rect())
    };
    let Some(_) = find(h) else {
        panic!("{label:?} is not on screen at {size:?}: {:?}", labels(h));
    };
    let node = if button {
        h.get_by_role_and_label(Role::Button, label)
    } else {
        h.get_all_by_label(label).next().expect("found above")
    };
    node.scroll_to_me();
    for _ in 0..4 {
        h.step();
    }
    let rect = find(h).expect("still on screen");
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, size);
    assert!(
        window.contains_rect(rect),
        "{label:?} at {size:?} is cut off: {rect:?} is not inside the window"
    );
}
