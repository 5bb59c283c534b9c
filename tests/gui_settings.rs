//! Settings and the API key in the real app (kittest), issue 14's desktop side: the key is read,
//! saved, forgotten, moved and located off the UI thread (the first frame never waits for a
//! keychain, and nothing is sent until the key is known); Settings says where the key is, in
//! the store's words, offers the one-click move, and shows a locked keychain as locked with
//! what to do; `ZENHIRE_API_KEY` / `ZENHIRE_BASE_URL` decide the service as in the CLI, shown
//! read-only; settings and the window state are written off the UI thread.
//!
//! Two tests use the real stores: one against a real Secret Service (ignored, name starting
//! `secret_service_`; `scripts/test.sh` runs it under `scripts/with-keyring.sh`), one in a child
//! process with no D-Bus at all (runs everywhere).

mod gui_support;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use gui_support::{click, labels, own_sim, shows, step_until, type_into, wait_for};
use speech_scorer::api::client::ApiKey;
use speech_scorer::simulator::SimConfig;
use speech_scorer::store::{
    FileSecretStore, KeyLocation, KeyReport, KeychainError, KeychainSecretStore, KeychainState,
    MemoryProfileKeys, Paths, SecretStore, ServiceEnv, Settings, StoreError,
};
use speech_scorer::ui::App;
use speech_scorer::ui::app::{AppConfig, KeyWait};
use speech_scorer::ui::settings::KEY_FIELD_LABEL;

// ---- Helpers ----

/// The app on `config` (no waiting for the key: these tests look at that wait).
fn build(config: AppConfig) -> Harness<'static, App> {
    Harness::builder()
        .with_size(gui_support::WINDOW)
        .build_eframe(move |cc| App::new_for_test(&cc.egui_ctx, config).expect("app starts"))
}

/// A test config under `home` whose `default` key lives in `secrets`.
fn config_with(home: &Path, secrets: Arc<dyn SecretStore>) -> AppConfig {
    let (mut config, _browser) = AppConfig::for_test(home, SimConfig::fast(), None);
    config.profile_keys = Some(Arc::new(MemoryProfileKeys::new(Arc::clone(&secrets))));
    config.secrets = Some(secrets);
    config
}

/// Saves settings pointing at `base_url` (as a person did before profiles existed).
fn save_base_url(home: &Path, base_url: &str) {
    Settings {
        base_url: Some(base_url.to_string()),
        ..Settings::default()
    }
    .save(&Paths::under(home.to_path_buf()))
    .expect("settings");
}

fn key(text: &str) -> ApiKey {
    ApiKey::new(text).expect("key")
}

/// Which threads called a store, by call.
#[derive(Default, Clone)]
struct Calls(Arc<Mutex<Vec<(&'static str, ThreadId)>>>);

impl Calls {
    fn note(&self, what: &'static str) {
        self.0
            .lock()
            .expect("calls")
            .push((what, std::thread::current().id()));
    }

    fn all(&self) -> Vec<(&'static str, ThreadId)> {
        self.0.lock().expect("calls").clone()
    }

    /// Panics when any call ran on `ui` (the thread that draws the frames).
    fn assert_none_on(&self, ui: ThreadId) {
        let on_ui: Vec<_> = self
            .all()
            .into_iter()
            .filter(|(_, t)| *t == ui)
            .map(|(w, _)| w)
            .collect();
        assert!(
            on_ui.is_empty(),
            "secret-store calls on the UI thread: {on_ui:?}"
        );
    }

    fn count(&self, what: &str) -> usize {
        self.all().iter().filter(|(w, _)| *w == what).count()
    }
}

/// A store that holds its answers until the test opens the gate (at most `GATE_CAP`): a
/// keychain waiting for its unlock prompt.
struct GatedStore {
    inner: speech_scorer::store::MemorySecretStore,
    open: Arc<(Mutex<bool>, Condvar)>,
    calls: Calls,
}

/// How long a gated call waits at most (so a UI thread that waits shows up as a slow frame,
/// not as a hung test).
const GATE_CAP: Duration = Duration::from_secs(8);

impl GatedStore {
    fn wait(&self) {
        let (lock, cv) = &*self.open;
        let guard = lock.lock().expect("gate");
        let _open = cv
            .wait_timeout_while(guard, GATE_CAP, |open| !*open)
            .expect("gate");
    }

    fn open_gate(open: &Arc<(Mutex<bool>, Condvar)>) {
        let (lock, cv) = &**open;
        *lock.lock().expect("gate") = true;
        cv.notify_all();
    }
}

impl SecretStore for GatedStore {
    fn get(&self) -> Result<Option<ApiKey>, StoreError> {
        self.calls.note("get");
        self.wait();
        self.inner.get()
    }
    fn set(&self, key: &ApiKey) -> Result<(), StoreError> {
        self.calls.note("set");
        self.wait();
        self.inner.set(key)
    }
    fn clear(&self) -> Result<(), StoreError> {
        self.calls.note("clear");
        self.wait();
        self.inner.clear()
    }
    fn report(&self) -> Result<KeyReport, StoreError> {
        self.calls.note("report");
        self.wait();
        self.inner.report()
    }
}

/// Where [`TwoPlaces`] holds its key, and whether its keychain is locked.
#[derive(Default)]
struct Places {
    keychain: Option<ApiKey>,
    file: Option<ApiKey>,
    locked: bool,
}

/// A key that is in "the keychain" or "the file" (memory both), with a report and a move
/// like the real chooser's, and a keychain that can be locked.
#[derive(Clone)]
struct TwoPlaces {
    state: Arc<Mutex<Places>>,
    file: PathBuf,
    calls: Calls,
}

fn stuck() -> KeychainError {
    KeychainError::Timeout {
        action: "reading the key",
        after: Duration::from_secs(3),
    }
}

impl TwoPlaces {
    fn new(file: &Path) -> TwoPlaces {
        TwoPlaces {
            state: Arc::new(Mutex::new(Places::default())),
            file: file.to_path_buf(),
            calls: Calls::default(),
        }
    }

    fn set_locked(&self, locked: bool) {
        self.state.lock().expect("state").locked = locked;
    }

    fn put_in_keychain(&self, k: ApiKey) {
        self.state.lock().expect("state").keychain = Some(k);
    }

    fn places(&self) -> (Option<ApiKey>, Option<ApiKey>) {
        let s = self.state.lock().expect("state");
        (s.keychain.clone(), s.file.clone())
    }
}

impl SecretStore for TwoPlaces {
    fn get(&self) -> Result<Option<ApiKey>, StoreError> {
        self.calls.note("get");
        let s = self.state.lock().expect("state");
        if s.locked {
            return Err(StoreError::Keychain(stuck()));
        }
        Ok(s.keychain.clone().or_else(|| s.file.clone()))
    }

    fn set(&self, key: &ApiKey) -> Result<(), StoreError> {
        self.calls.note("set");
        let mut s = self.state.lock().expect("state");
        if s.locked {
            return Err(StoreError::KeychainBlocked(stuck()));
        }
        if s.file.is_some() {
            s.file = Some(key.clone());
        } else {
            s.keychain = Some(key.clone());
        }
        Ok(())
    }

    fn clear(&self) -> Result<(), StoreError> {
        self.calls.note("clear");
        let mut s = self.state.lock().expect("state");
        s.keychain = None;
        s.file = None;
        Ok(())
    }

    fn report(&self) -> Result<KeyReport, StoreError> {
        self.calls.note("report");
        let s = self.state.lock().expect("state");
        let file = KeyLocation::File(self.file.clone());
        if s.locked {
            return Ok(KeyReport {
                in_use: None,
                saved: None,
                save_to: KeyLocation::Keychain,
                keychain: KeychainState::Problem(stuck()),
                stale_file: None,
                can_move_to: None,
            });
        }
        let saved = match (&s.keychain, &s.file) {
            (Some(_), _) => Some(KeyLocation::Keychain),
            (None, Some(_)) => Some(file.clone()),
            (None, None) => None,
        };
        let can_move_to = match &saved {
            Some(KeyLocation::Keychain) => Some(file),
            Some(_) => Some(KeyLocation::Keychain),
            None => None,
        };
        Ok(KeyReport {
            in_use: saved.clone(),
            save_to: saved.clone().unwrap_or(KeyLocation::Keychain),
            saved,
            keychain: KeychainState::Available,
            stale_file: None,
            can_move_to,
        })
    }

    fn move_key_to(&self, to: &KeyLocation) -> Result<KeyReport, StoreError> {
        self.calls.note("move");
        {
            let mut s = self.state.lock().expect("state");
            let k = s.keychain.take().or_else(|| s.file.take());
            match to {
                KeyLocation::Keychain => s.keychain = k,
                _ => s.file = k,
            }
        }
        self.report()
    }
}

/// The header's profile switch while it is a drop-down.
fn profile_switch<'h>(h: &'h Harness<'static, App>) -> egui_kittest::Node<'h> {
    h.query_all_by_role(Role::ComboBox)
        .find(|n| n.accesskit_node().label().as_deref() == Some("Profile"))
        .expect("the profile drop-down")
}

// ---- 1. Nothing waits for the key on the UI thread ----

#[test]
fn the_first_frame_does_not_wait_for_the_keychain_and_nothing_is_sent_until_the_key_is_read() {
    let own = own_sim(SimConfig::fast());
    let home = tempfile::tempdir().expect("home");
    save_base_url(home.path(), &own.sim.base_url());
    let inner = speech_scorer::store::MemorySecretStore::default();
    inner.set(&key(own.sim.api_key())).expect("saved key");
    let open = Arc::new((Mutex::new(false), Condvar::new()));
    let calls = Calls::default();
    let store = Arc::new(GatedStore {
        inner,
        open: Arc::clone(&open),
        calls: calls.clone(),
    });
    let ui_thread = std::thread::current().id();

    let started = Instant::now();
    let mut h = build(config_with(home.path(), store));
    h.step();
    let first_frames = started.elapsed();
    assert!(
        first_frames < Duration::from_secs(3),
        "the first frames waited {first_frames:?} for the keychain"
    );
    assert!(shows(&h, "Reading the saved key…"), "{:?}", labels(&h));
    assert!(!h.state().connection.is_ready());
    // Settings says so too, and meanwhile nothing is sent.
    click(&mut h, "Settings");
    assert!(shows(&h, "Reading the saved key…"));
    std::thread::sleep(Duration::from_millis(300));
    h.step();
    assert!(own.sim.requests().is_empty(), "nothing sent before the key");
    assert!(
        h.state().demo_simulator().is_none(),
        "no guess meanwhile: not even demo mode"
    );

    GatedStore::open_gate(&open);
    step_until(&mut h, "the balance with the saved key", |h| {
        matches!(h.state().balance, Some(Ok(Some(_))))
    });
    assert_eq!(h.state().connection.base_url, own.sim.base_url());
    assert!(!h.state().connection.demo);
    assert!(!shows(&h, "Reading the saved key…"));
    wait_for(&mut h, "Saved key: zh_");
    let credits: Vec<_> = own
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/credits"))
        .collect();
    assert_eq!(credits.first().map(|r| r.status), Some(200), "{credits:?}");
    assert!(calls.count("get") >= 1);
    calls.assert_none_on(ui_thread);
}

#[test]
fn saving_moving_and_forgetting_the_key_run_off_the_ui_thread_and_settings_says_where_it_is() {
    let own = own_sim(SimConfig::fast());
    let home = tempfile::tempdir().expect("home");
    let file = home.path().join("fake-key-file");
    let store = TwoPlaces::new(&file);
    let mut h = build(config_with(home.path(), Arc::new(store.clone())));
    let ui_thread = std::thread::current().id();
    gui_support::key_read(&mut h);
    click(&mut h, "Settings");
    wait_for(
        &mut h,
        "No API key is saved; a new one will be kept in the system keychain (Secret Service).",
    );
    assert!(
        h.query_by_role_and_label(Role::Button, "Move the key to a file")
            .is_none(),
        "nothing to move yet"
    );

    type_into(&mut h, KEY_FIELD_LABEL, own.sim.api_key());
    type_into(&mut h, "Service address", &own.sim.base_url());
    click(&mut h, "Save settings");
    wait_for(&mut h, "Settings saved");
    click(&mut h, "Save key");
    wait_for(
        &mut h,
        "The API key is kept in the system keychain (Secret Service).",
    );
    step_until(&mut h, "the saved key in use", |h| {
        h.state().connection.is_ready() && !h.state().connection.demo
    });
    assert_eq!(h.state().connection.base_url, own.sim.base_url());
    assert!(
        shows(&h, "saved for profile default, in the system keychain"),
        "{:?}",
        labels(&h)
    );
    assert_eq!(store.places(), (Some(key(own.sim.api_key())), None));

    // One click each way.
    click(&mut h, "Move the key to a file");
    wait_for(
        &mut h,
        &format!(
            "The API key is kept in the owner-only file {}; the system keychain (Secret \
             Service) is available too.",
            file.display()
        ),
    );
    assert_eq!(store.places(), (None, Some(key(own.sim.api_key()))));
    assert!(shows(
        &h,
        &format!(
            "The API key is now kept in the owner-only file {}.",
            file.display()
        )
    ));
    click(&mut h, "Move the key to the system keychain");
    wait_for(
        &mut h,
        "The API key is kept in the system keychain (Secret Service).",
    );
    assert_eq!(store.places(), (Some(key(own.sim.api_key())), None));

    click(&mut h, "Forget key");
    step_until(&mut h, "demo mode again", |h| h.state().connection.demo);
    wait_for(
        &mut h,
        "No API key is saved; a new one will be kept in the system keychain (Secret Service).",
    );
    assert_eq!(store.places(), (None, None));
    for call in ["get", "set", "move", "clear", "report"] {
        assert!(store.calls.count(call) >= 1, "no {call} call");
    }
    store.calls.assert_none_on(ui_thread);
}

#[test]
fn a_locked_keychain_is_shown_as_locked_with_what_to_do_and_nothing_is_guessed() {
    let own = own_sim(SimConfig::fast());
    let home = tempfile::tempdir().expect("home");
    save_base_url(home.path(), &own.sim.base_url());
    let store = TwoPlaces::new(&home.path().join("fake-key-file"));
    store.put_in_keychain(key(own.sim.api_key()));
    store.set_locked(true);
    let mut h = build(config_with(home.path(), Arc::new(store.clone())));
    step_until(&mut h, "the failed read", |h| {
        matches!(h.state().key_wait, KeyWait::Unreadable { .. })
    });
    h.step();
    assert!(
        shows(&h, "The saved key could not be read — see Settings"),
        "{:?}",
        labels(&h)
    );
    click(&mut h, "Settings");
    wait_for(
        &mut h,
        "Whether an API key is saved in the system keychain is not known: the system keychain \
         did not answer within 3 s while reading the key; it may be locked or waiting for its \
         password prompt.",
    );
    assert!(shows(&h, "What to do: unlock your keyring"));
    assert!(shows(&h, "start the app with SPEECH_SCORER_KEYCHAIN=off"));
    // Neither demo mode nor a keyless request: the app waits for the real answer.
    assert!(!h.state().connection.is_ready());
    assert!(h.state().demo_simulator().is_none());
    assert!(own.sim.requests().is_empty());

    // Unlocked: Check again reads it, and the saved key is used.
    store.set_locked(false);
    click(&mut h, "Check again");
    step_until(&mut h, "the balance with the unlocked key", |h| {
        matches!(h.state().balance, Some(Ok(Some(_))))
    });
    assert_eq!(h.state().connection.base_url, own.sim.base_url());
    wait_for(
        &mut h,
        "The API key is kept in the system keychain (Secret Service).",
    );
    assert!(!shows(&h, "What to do: unlock your keyring"));
}

// ---- 3. The environment ----

#[test]
fn the_environment_key_and_address_are_used_and_shown_read_only_until_a_profile_is_picked() {
    let own = own_sim(SimConfig::fast());
    let home = tempfile::tempdir().expect("home");
    let secrets: Arc<dyn SecretStore> =
        Arc::new(speech_scorer::store::MemorySecretStore::default());
    let mut config = config_with(home.path(), secrets);
    config.environment = ServiceEnv {
        key: ApiKey::new(own.sim.api_key()),
        base_url: Some(own.sim.base_url()),
    };
    let mut h = build(config);
    step_until(&mut h, "the balance with the environment's key", |h| {
        matches!(h.state().balance, Some(Ok(Some(_))))
    });
    assert!(!h.state().connection.demo, "no demo mode: a key is set");
    assert_eq!(h.state().connection.base_url, own.sim.base_url());
    assert_eq!(
        h.state().connection.key.as_ref().map(ApiKey::expose),
        Some(own.sim.api_key())
    );
    assert!(!shows(&h, "results are not real"));
    assert!(shows(
        &h,
        &format!(
            "Service: {} (profile default) · from ZENHIRE_API_KEY and ZENHIRE_BASE_URL",
            own.sim.base_url()
        )
    ));
    assert_eq!(
        profile_switch(&h).accesskit_node().value().as_deref(),
        Some("environment"),
        "the header says who decides"
    );

    click(&mut h, "Settings");
    let masked = key(own.sim.api_key()).masked();
    wait_for(
        &mut h,
        &format!(
            "Key in use: {masked}, from the environment variable ZENHIRE_API_KEY (read-only here)."
        ),
    );
    assert!(shows(&h, "change or unset ZENHIRE_API_KEY where it is set"));
    assert!(shows(
        &h,
        "From the environment variable ZENHIRE_BASE_URL (read-only here)."
    ));
    wait_for(
        &mut h,
        "The API key comes from the environment variable ZENHIRE_API_KEY.",
    );
    assert!(
        h.get_by_label(KEY_FIELD_LABEL)
            .accesskit_node()
            .is_disabled(),
        "the key field is read-only while the environment's key is used"
    );
    assert!(!shows(&h, own.sim.api_key()), "never the key itself");

    // Picking a profile is choosing it, as --profile in the CLI: the environment stops applying.
    profile_switch(&h).click();
    h.run();
    h.get_by_label("simulator").click();
    h.step();
    wait_for(&mut h, "Simulated service — results are not real");
    assert!(h.state().connection.demo);
    assert!(shows(
        &h,
        "ZENHIRE_API_KEY and ZENHIRE_BASE_URL from the environment no longer apply"
    ));
    assert!(
        !h.get_by_label(KEY_FIELD_LABEL)
            .accesskit_node()
            .is_disabled()
    );
}

// ---- 6. Layout ----

/// At `size`, the key's place, its move, the key's buttons and (with the keychain locked)
/// *Check again* can all be brought into the window, and the header's profile switch is in it.
fn the_key_panel_is_usable_at(size: egui::Vec2) {
    let own = own_sim(SimConfig::fast());
    let home = tempfile::tempdir().expect("home");
    save_base_url(home.path(), &own.sim.base_url());
    let store = TwoPlaces::new(&home.path().join("config/api-key"));
    store.put_in_keychain(key(own.sim.api_key()));
    let mut config = config_with(home.path(), Arc::new(store.clone()));
    config.environment = ServiceEnv::default();
    let mut h = Harness::builder()
        .with_size(size)
        .build_eframe(move |cc| App::new_for_test(&cc.egui_ctx, config).expect("app starts"));
    gui_support::key_read(&mut h);
    click(&mut h, "Settings");
    let place = "The API key is kept in the system keychain (Secret Service).";
    wait_for(&mut h, place);
    for (label, button) in [
        (place, false),
        ("Move the key to a file", true),
        ("Save key", true),
        ("Test key", true),
        ("Forget key", true),
    ] {
        gui_support::reachable(&mut h, size, label, button);
    }
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, size);
    let switch = h
        .query_all_by_label("Profile")
        .filter(|n| n.accesskit_node().role() != Role::Label)
        .map(|n| n.rect())
        .next();
    let buttons = h.query_by_role_and_label(Role::Button, "simulator");
    let header = switch
        .or(buttons.map(|b| b.rect()))
        .expect("the profile switch");
    assert!(
        window.contains_rect(header),
        "the profile switch at {size:?} is cut off: {header:?}"
    );

    store.set_locked(true);
    click(&mut h, "Settings");
    h.step();
    wait_for(&mut h, "What to do: unlock your keyring");
    gui_support::reachable(&mut h, size, "Check again", true);
}

#[test]
fn the_key_panel_is_usable_at_640_by_480() {
    the_key_panel_is_usable_at(egui::vec2(640.0, 480.0));
}

#[test]
fn the_key_panel_is_usable_at_1280_by_800() {
    the_key_panel_is_usable_at(egui::vec2(1280.0, 800.0));
}

// ---- 5. Settings and the window state are written off the UI thread ----

/// A named pipe at `path`: whoever opens it for writing waits until a reader opens it, as a
/// write waits for a slow or stuck disk.
fn make_fifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt as _;
    std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("path");
    // SAFETY: mkfifo with a valid NUL-terminated path.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    assert_eq!(rc, 0, "mkfifo {}", path.display());
}

/// Opens the pipe for reading once told to (or after `patience`), and hands over what was
/// written; a reader still waiting for a writer after `patience` more is let go.
fn read_fifo_when(path: &Path, go: Receiver<()>, patience: Duration) -> Receiver<Vec<u8>> {
    let (tx, rx) = channel();
    let p = path.to_path_buf();
    std::thread::spawn(move || {
        // A writer on the UI thread stays blocked until this opens: the frame shows it.
        let _ = go.recv_timeout(patience);
        if let Ok(bytes) = std::fs::read(&p) {
            let _ = tx.send(bytes);
        }
    });
    rx
}

/// Lets a reader blocked in `open` go (by being a writer for a moment).
fn release_fifo(path: &Path) {
    use std::os::unix::fs::OpenOptionsExt as _;
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path);
}

/// The temp file `store::write_atomic` writes `file` through.
fn atomic_temp(file: &Path) -> PathBuf {
    file.with_extension(format!("tmp{}", std::process::id()))
}

#[test]
fn saving_settings_does_not_wait_for_the_disk_and_a_failed_write_is_said() {
    let mut gui = gui_support::start_with(gui_support::Setup::default());
    let paths = Paths::under(gui.home.path().to_path_buf());
    let h = &mut gui.harness;
    click(h, "Settings");
    h.step();
    type_into(h, "External id", "cand-42");
    let pipe = atomic_temp(&paths.settings_file());
    make_fifo(&pipe);
    let (go, wait) = channel();
    let written = read_fifo_when(&pipe, wait, Duration::from_secs(6));

    let started = Instant::now();
    click(h, "Save settings");
    let frame = started.elapsed();
    assert!(
        frame < Duration::from_secs(3),
        "the frame waited {frame:?} for the settings write"
    );
    let _ = go.send(());
    let bytes = written
        .recv_timeout(Duration::from_secs(20))
        .expect("the settings were written");
    assert!(
        String::from_utf8_lossy(&bytes).contains("default_external_id = \"cand-42\""),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    // A pipe cannot be synced to disk: the write failed, and the person hears it.
    wait_for(h, "Settings could not be saved:");

    // With the disk back, saving works and says so.
    std::fs::remove_file(&pipe).expect("remove the pipe");
    std::fs::remove_file(paths.settings_file()).ok();
    click(h, "Save settings");
    wait_for(h, "Settings saved");
    let text = std::fs::read_to_string(paths.settings_file()).expect("settings file");
    assert!(text.contains("cand-42"), "{text}");
}

#[test]
fn the_window_state_is_written_when_it_changes_and_not_on_the_ui_thread() {
    let mut gui = gui_support::start_with(gui_support::Setup::default());
    let paths = Paths::under(gui.home.path().to_path_buf());
    let file = paths.config_dir.join("ui-state.json");
    let h = &mut gui.harness;
    let pipe = atomic_temp(&file);
    make_fifo(&pipe);
    let (go, wait) = channel();
    let written = read_fifo_when(&pipe, wait, Duration::from_secs(6));

    let started = Instant::now();
    click(h, "History");
    let frame = started.elapsed();
    assert!(
        frame < Duration::from_secs(3),
        "the frame waited {frame:?} for the window state"
    );
    let _ = go.send(());
    let Ok(bytes) = written.recv_timeout(Duration::from_secs(10)) else {
        release_fifo(&pipe);
        panic!("the window state was not written when the screen changed");
    };
    assert!(
        String::from_utf8_lossy(&bytes).contains("\"screen\": \"History\""),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    std::fs::remove_file(&pipe).expect("remove the pipe");
    // The next change lands in the real file (a crash after it keeps it).
    click(h, "Settings");
    step_until(h, "ui-state.json with Settings", |_| {
        std::fs::read_to_string(&file).is_ok_and(|t| t.contains("\"screen\": \"Settings\""))
    });
}

// ---- 4. The real stores ----

/// The app's real key stores (the system keychain's item, else the owner-only file), not a
/// test double.
fn real_store_config(home: &Path) -> AppConfig {
    let (mut config, _browser) = AppConfig::for_test(home, SimConfig::fast(), None);
    config.secrets = None;
    config.profile_keys = None;
    config
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring under dbus-run-session); scripts/test.sh runs it"]
fn secret_service_a_key_saved_in_settings_is_in_the_keychain_item_and_moves_in_one_click() {
    // Never the keychain of whoever runs the tests: only the private one of with-keyring.sh.
    assert!(
        std::env::var_os("WITH_KEYRING_DAEMON_PID").is_some(),
        "run under scripts/with-keyring.sh (a private Secret Service)"
    );
    let own = own_sim(SimConfig::fast());
    let home = tempfile::tempdir().expect("home");
    let paths = Paths::under(home.path().to_path_buf());
    let item = KeychainSecretStore::new();
    item.remove().expect("start clean");
    let mut h = build(real_store_config(home.path()));
    gui_support::key_read(&mut h);
    click(&mut h, "Settings");
    wait_for(
        &mut h,
        "No API key is saved; a new one will be kept in the system keychain (Secret Service).",
    );

    type_into(&mut h, KEY_FIELD_LABEL, own.sim.api_key());
    type_into(&mut h, "Service address", &own.sim.base_url());
    click(&mut h, "Save settings");
    wait_for(&mut h, "Settings saved");
    click(&mut h, "Save key");
    wait_for(
        &mut h,
        "The API key is kept in the system keychain (Secret Service).",
    );
    assert_eq!(
        item.read().expect("read the item"),
        Some(key(own.sim.api_key())),
        "the key is in the app's keychain item"
    );
    assert!(!paths.key_file().exists(), "and not in a file");
    step_until(&mut h, "the balance with the keychain's key", |h| {
        matches!(h.state().balance, Some(Ok(Some(_))))
    });

    click(&mut h, "Move the key to a file");
    wait_for(
        &mut h,
        &format!(
            "The API key is kept in the owner-only file {}; the system keychain (Secret \
             Service) is available too.",
            paths.key_file().display()
        ),
    );
    assert_eq!(item.read().expect("read"), None, "gone from the keychain");
    assert_eq!(
        FileSecretStore::new(&paths).get().expect("file"),
        Some(key(own.sim.api_key()))
    );
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(paths.key_file())
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "owner-only");
    }
    click(&mut h, "Move the key to the system keychain");
    wait_for(
        &mut h,
        "The API key is kept in the system keychain (Secret Service).",
    );
    assert_eq!(item.read().expect("read"), Some(key(own.sim.api_key())));
    assert!(!paths.key_file().exists());

    // A second start reads it from the keychain (off the UI thread).
    drop(h);
    let mut again = build(real_store_config(home.path()));
    step_until(&mut again, "the balance after a restart", |h| {
        matches!(h.state().balance, Some(Ok(Some(_))))
    });
    assert_eq!(again.state().connection.base_url, own.sim.base_url());
    item.remove().expect("clean up");
}

/// Set in the child process of the no-D-Bus test: its home.
const NO_DBUS_CHILD: &str = "SPEECH_SCORER_TEST_GUI_NO_DBUS_CHILD";

/// In a child process with no D-Bus session at all (no `DBUS_SESSION_BUS_ADDRESS`, an empty
/// `XDG_RUNTIME_DIR`), so it needs no keyring and runs everywhere.
#[test]
fn without_dbus_settings_says_the_key_is_in_the_file_and_why() {
    let Some(home) = std::env::var_os(NO_DBUS_CHILD) else {
        let runtime = tempfile::tempdir().expect("tempdir");
        let home = tempfile::tempdir().expect("tempdir");
        let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--exact",
                "without_dbus_settings_says_the_key_is_in_the_file_and_why",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(NO_DBUS_CHILD, home.path())
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("SPEECH_SCORER_KEYCHAIN")
            .env("XDG_RUNTIME_DIR", runtime.path())
            .output()
            .expect("run the child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
        assert!(
            stdout.contains("1 passed"),
            "the child ran the test:\n{stdout}"
        );
        return;
    };
    let home = PathBuf::from(home);
    let paths = Paths::under(home.clone());
    let mut h = build(real_store_config(&home));
    gui_support::key_read(&mut h);
    click(&mut h, "Settings");
    wait_for(
        &mut h,
        &format!(
            "No API key is saved; a new one will be kept in the owner-only file {}, because no \
             system keychain is reachable (Secret Service:",
            paths.key_file().display()
        ),
    );
    type_into(&mut h, KEY_FIELD_LABEL, "zh_live_headless_gui_2468");
    click(&mut h, "Save key");
    wait_for(
        &mut h,
        &format!(
            "The API key is kept in the owner-only file {}, because no system keychain is \
             reachable (Secret Service:",
            paths.key_file().display()
        ),
    );
    assert!(shows(
        &h,
        &format!(
            "saved for profile default, in the owner-only file {}",
            paths.key_file().display()
        )
    ));
    assert_eq!(
        FileSecretStore::new(&paths).get().expect("file"),
        Some(key("zh_live_headless_gui_2468"))
    );
    assert!(
        h.query_by_role_and_label(Role::Button, "Move the key to the system keychain")
            .is_none(),
        "no keychain to move it to: no button"
    );
    assert!(!shows(&h, "zh_live_headless_gui_2468"), "never the key");
}

#[test]
fn a_disk_that_does_not_answer_at_start_up_does_not_keep_the_window_from_opening() {
    // settings.toml is a named pipe nobody writes: reading it waits for ever, as on a stuck
    // disk. The app waits a moment, opens with defaults, and writes nothing over the file.
    let pipe: Arc<Mutex<Option<PathBuf>>> = Arc::default();
    let made = pipe.clone();
    // Without the bound the app would never open: let the reader go after 20 s so the test
    // fails on the time instead of hanging.
    let watchdog_pipe = pipe.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(20));
        if let Some(p) = watchdog_pipe.lock().ok().and_then(|p| p.clone()) {
            release_fifo(&p);
        }
    });
    let started = Instant::now();
    let mut gui = gui_support::start_with(gui_support::Setup {
        prepare: Box::new(move |config| {
            let file = config.paths.as_ref().expect("paths").settings_file();
            make_fifo(&file);
            *made.lock().expect("lock") = Some(file);
        }),
        ..Default::default()
    });
    let opened = started.elapsed();
    let pipe = pipe.lock().expect("lock").clone().expect("the pipe");
    assert!(
        opened < Duration::from_secs(10),
        "the window waited {opened:?} for the settings file"
    );
    let h = &mut gui.harness;
    wait_for(h, "The disk did not answer within 2 s");

    click(h, "Settings");
    h.step();
    type_into(h, "External id", "cand-42");
    click(h, "Save settings");
    wait_for(
        h,
        "Settings could not be saved: it could not be read when the app started",
    );
    use std::os::unix::fs::FileTypeExt as _;
    let kind = std::fs::symlink_metadata(&pipe)
        .expect("still there")
        .file_type();
    assert!(kind.is_fifo(), "nothing was written over the unread file");
    release_fifo(&pipe);
}
