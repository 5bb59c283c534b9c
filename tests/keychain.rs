//! The API key in a real Secret Service (gnome-keyring on a private D-Bus session bus,
//! started by `scripts/with-keyring.sh`; `scripts/test.sh` runs this binary through it), and
//! the visible fallback to the owner-only file when there is no D-Bus at all.
//!
//! The keychain tests are ignored in a plain `cargo test`: they need the Secret Service.
//! Their names start with `secret_service_`, so a run with `--include-ignored` outside
//! `with-keyring.sh` can leave them to it with `--skip secret_service_`. They take one lock so
//! that the test that freezes the daemon cannot stall the others.

use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use speech_scorer::api::client::ApiKey;
use speech_scorer::store::{
    FileSecretStore, KeyLocation, KeychainError, KeychainOrFileStore, KeychainSecretStore,
    KeychainState, Paths, SecretStore as _, StoreError, describe_key_location,
};

const NEEDS_KEYRING: &str =
    "needs a Secret Service (gnome-keyring under dbus-run-session); scripts/test.sh runs it";

/// The keychain service name of these tests' items, apart from the app's own.
const TEST_SERVICE: &str = "ai.zenhire.SpeechScorer.test";

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

fn key(text: &str) -> ApiKey {
    ApiKey::new(text).expect("non-empty key")
}

/// A chooser over the test item `user` and a key file under `home`, no environment key.
fn chooser(home: &Path, user: &str) -> (KeychainOrFileStore, KeychainSecretStore, Paths) {
    let paths = Paths::under(home.to_path_buf());
    let keychain = KeychainSecretStore::with_names(TEST_SERVICE, user);
    let store =
        KeychainOrFileStore::with_parts(Some(keychain.clone()), FileSecretStore::new(&paths), None);
    (store, keychain, paths)
}

fn file_mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .expect("key file")
        .permissions()
        .mode()
        & 0o777
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring under dbus-run-session); scripts/test.sh runs it"]
fn secret_service_round_trips_a_key() {
    let _serial = serial();
    let keychain = KeychainSecretStore::with_names(TEST_SERVICE, "round-trip");
    keychain.remove().expect("start clean");
    assert_eq!(keychain.read().expect("read"), None, "{NEEDS_KEYRING}");
    keychain.write(&key("zh_live_first_1111")).expect("write");
    assert_eq!(
        keychain.read().expect("read"),
        Some(key("zh_live_first_1111"))
    );
    // Saving again replaces, it does not add a second item.
    keychain
        .write(&key("zh_live_second_2222"))
        .expect("replace");
    assert_eq!(
        keychain.read().expect("read"),
        Some(key("zh_live_second_2222"))
    );
    // A clone shares the connection and sees the same item.
    assert_eq!(
        keychain.clone().read().expect("read"),
        Some(key("zh_live_second_2222"))
    );
    keychain.remove().expect("remove");
    assert_eq!(keychain.read().expect("read"), None);
    keychain.remove().expect("removing nothing is fine");
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring under dbus-run-session); scripts/test.sh runs it"]
fn secret_service_takes_a_new_key_and_moves_it_to_the_file_and_back() {
    let _serial = serial();
    let home = tempfile::tempdir().expect("tempdir");
    let (store, keychain, paths) = chooser(home.path(), "move");
    keychain.remove().expect("start clean");

    let report = store.report().expect("report");
    assert_eq!(report.keychain, KeychainState::Available);
    assert_eq!(report.saved, None);
    assert_eq!(report.save_to, KeyLocation::Keychain);
    assert!(report.describe().contains("Secret Service"), "{report}");

    let k = key("zh_live_abcdef_9876");
    store.set(&k).expect("set");
    assert_eq!(store.get().expect("get"), Some(k.clone()));
    assert!(
        !paths.key_file().exists(),
        "the key went to the keychain, not the file"
    );
    let report = store.report().expect("report");
    assert_eq!(report.in_use, Some(KeyLocation::Keychain));
    assert_eq!(
        report.can_move_to,
        Some(KeyLocation::File(paths.key_file()))
    );
    assert_eq!(
        report.describe(),
        "The API key is kept in the system keychain (Secret Service)."
    );

    // To the file: there, owner-only, and gone from the keychain.
    let report = store
        .move_key_to(&KeyLocation::File(paths.key_file()))
        .expect("move to file");
    assert_eq!(report.saved, Some(KeyLocation::File(paths.key_file())));
    assert_eq!(report.can_move_to, Some(KeyLocation::Keychain));
    assert_eq!(file_mode(&paths.key_file()), 0o600);
    assert_eq!(keychain.read().expect("read"), None);
    assert_eq!(store.get().expect("get"), Some(k.clone()));
    assert!(report.describe().contains("is available too"), "{report}");

    // A key saved while it is in the file stays in the file (no quiet move).
    let k2 = key("zh_live_second_5555");
    store.set(&k2).expect("set");
    assert_eq!(
        FileSecretStore::new(&paths).get().expect("file"),
        Some(k2.clone())
    );
    assert_eq!(keychain.read().expect("read"), None);

    // And back: in the keychain, the file removed.
    let report = store
        .move_key_to(&KeyLocation::Keychain)
        .expect("move back");
    assert_eq!(report.saved, Some(KeyLocation::Keychain));
    assert!(!paths.key_file().exists());
    assert_eq!(keychain.read().expect("read"), Some(k2.clone()));

    // Moving where it already is changes nothing; moving into the environment is refused.
    store
        .move_key_to(&KeyLocation::Keychain)
        .expect("already there");
    let err = store
        .move_key_to(&KeyLocation::Environment)
        .expect_err("the environment is read only");
    assert!(matches!(err, StoreError::Move(_)), "{err}");

    store.clear().expect("clear");
    assert_eq!(store.get().expect("get"), None);
    assert_eq!(keychain.read().expect("read"), None);
    let err = store
        .move_key_to(&KeyLocation::Keychain)
        .expect_err("nothing to move");
    assert!(err.to_string().contains("no key is saved"), "{err}");
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring under dbus-run-session); scripts/test.sh runs it"]
fn secret_service_stale_file_copy_is_reported_and_dropped_by_a_move() {
    let _serial = serial();
    let home = tempfile::tempdir().expect("tempdir");
    let (store, keychain, paths) = chooser(home.path(), "stale");
    keychain
        .write(&key("zh_live_keychain_1234"))
        .expect("write");
    FileSecretStore::new(&paths)
        .set(&key("zh_live_oldfile_0000"))
        .expect("file");
    // The keychain's key is the one in use; the file copy is named, not used.
    assert_eq!(
        store.get().expect("get"),
        Some(key("zh_live_keychain_1234"))
    );
    let report = store.report().expect("report");
    assert_eq!(report.stale_file, Some(paths.key_file()));
    assert!(report.describe().contains("An unused copy"), "{report}");
    let report = store.move_key_to(&KeyLocation::Keychain).expect("move");
    assert_eq!(report.stale_file, None);
    assert!(!paths.key_file().exists());
    assert_eq!(
        keychain.read().expect("read"),
        Some(key("zh_live_keychain_1234"))
    );
    keychain.remove().expect("clean up");
}

/// Sends SIGCONT to the daemon when dropped, so a failing test never leaves it frozen.
struct Frozen(String);

impl Frozen {
    fn daemon() -> Frozen {
        let pid = std::env::var("WITH_KEYRING_DAEMON_PID")
            .expect("scripts/with-keyring.sh sets WITH_KEYRING_DAEMON_PID");
        signal(&pid, "-STOP");
        Frozen(pid)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        signal(&self.0, "-CONT");
    }
}

fn signal(pid: &str, sig: &str) {
    let status = Command::new("kill")
        .args([sig, pid])
        .status()
        .expect("kill");
    assert!(status.success(), "kill {sig} {pid}");
}

#[test]
#[ignore = "needs a Secret Service (gnome-keyring under dbus-run-session); scripts/test.sh runs it"]
fn secret_service_that_does_not_answer_times_out_and_says_so() {
    let _serial = serial();
    let home = tempfile::tempdir().expect("tempdir");
    let paths = Paths::under(home.path().to_path_buf());
    // A fresh connection, so the connect itself meets the frozen daemon too.
    let keychain = KeychainSecretStore::with_names(TEST_SERVICE, "frozen")
        .with_timeout(Duration::from_secs(1));
    let store =
        KeychainOrFileStore::with_parts(Some(keychain.clone()), FileSecretStore::new(&paths), None);
    {
        let _frozen = Frozen::daemon();
        let started = Instant::now();
        let err = keychain.read().expect_err("a frozen daemon cannot answer");
        let waited = started.elapsed();
        assert!(matches!(err, KeychainError::Timeout { .. }), "{err}");
        assert!(
            waited >= Duration::from_secs(1) && waited < Duration::from_secs(3),
            "waited {waited:?}"
        );
        assert!(
            err.to_string().contains("did not answer within 1 s"),
            "{err}"
        );

        // With no key in the file, "no key" would be a guess: it is an error.
        let err = store.get().expect_err("unknown, not empty");
        assert!(err.to_string().contains("did not answer"), "{err}");
        // Saving does not slip into the file.
        let err = store.set(&key("zh_live_frozen_4321")).expect_err("blocked");
        assert!(matches!(err, StoreError::KeychainBlocked(_)), "{err}");
        assert!(
            err.to_string().contains("SPEECH_SCORER_KEYCHAIN=off"),
            "{err}"
        );
        assert!(!paths.key_file().exists(), "no silent fallback to the file");
        let report = store.report().expect("report");
        assert!(matches!(
            report.keychain,
            KeychainState::Problem(KeychainError::Timeout { .. })
        ));
        assert!(report.describe().contains("is not known"), "{report}");
    }
    // Thawed: the queued calls that timed out were dropped, the next one is answered.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match keychain.read() {
            Ok(None) => break,
            Ok(Some(k)) => panic!("a timed-out set was carried out later: {k}"),
            Err(e) if Instant::now() < deadline => eprintln!("still waiting: {e}"),
            Err(e) => panic!("the keychain never recovered: {e}"),
        }
    }
}

/// Set in the child process of the no-D-Bus test.
const NO_DBUS_CHILD: &str = "SPEECH_SCORER_TEST_NO_DBUS_CHILD";

/// Runs in a child process with no D-Bus session at all (no `DBUS_SESSION_BUS_ADDRESS`, an
/// empty `XDG_RUNTIME_DIR`), which the parent starts, so it needs no keyring and runs
/// everywhere.
#[test]
fn without_dbus_the_key_goes_to_the_file_and_the_report_says_so() {
    if std::env::var_os(NO_DBUS_CHILD).is_none() {
        let runtime = tempfile::tempdir().expect("tempdir");
        let home = tempfile::tempdir().expect("tempdir");
        let out = Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--exact",
                "without_dbus_the_key_goes_to_the_file_and_the_report_says_so",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(NO_DBUS_CHILD, home.path())
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("SPEECH_SCORER_KEYCHAIN")
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env("SPEECH_SCORER_HOME", home.path())
            .env("ZENHIRE_API_KEY", "zh_env_override_7777")
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
    }
    let home = std::path::PathBuf::from(std::env::var_os(NO_DBUS_CHILD).expect("home"));
    let (store, _keychain, paths) = chooser(&home, "no-dbus");

    let report = store.report().expect("report");
    let KeychainState::Problem(KeychainError::Unavailable(reason)) = &report.keychain else {
        panic!(
            "expected an unreachable keychain, got {:?}",
            report.keychain
        );
    };
    assert!(!reason.is_empty());
    assert_eq!(report.save_to, KeyLocation::File(paths.key_file()));
    let text = report.describe();
    assert!(
        text.starts_with("No API key is saved; a new one will be kept in the owner-only file"),
        "{text}"
    );
    assert!(
        text.contains("because no system keychain is reachable (Secret Service:"),
        "{text}"
    );
    assert_eq!(
        store
            .get()
            .expect("no key, and no error: there is no keychain"),
        None
    );

    let k = key("zh_live_headless_2468");
    store.set(&k).expect("set");
    assert_eq!(store.get().expect("get"), Some(k.clone()));
    assert_eq!(file_mode(&paths.key_file()), 0o600);
    let report = store.report().expect("report");
    assert_eq!(report.in_use, Some(KeyLocation::File(paths.key_file())));
    assert_eq!(report.can_move_to, None, "no keychain to move it to");
    let text = report.describe();
    assert!(
        text.starts_with(&format!(
            "The API key is kept in the owner-only file {}, because no system keychain is reachable",
            paths.key_file().display()
        )),
        "{text}"
    );
    let err = store
        .move_key_to(&KeyLocation::Keychain)
        .expect_err("no keychain");
    assert!(
        err.to_string().contains("no system keychain is reachable"),
        "{err}"
    );
    assert_eq!(store.get().expect("still in the file"), Some(k.clone()));

    // The app's own store, from this process's environment: the variable wins and says so,
    // and neither key is ever written out.
    let text = describe_key_location(&Paths::from_env().expect("paths"));
    assert!(
        text.starts_with("The API key comes from the environment variable ZENHIRE_API_KEY; the key saved in the owner-only file"),
        "{text}"
    );
    assert!(text.contains("is not used while it is set"), "{text}");
    assert!(
        !text.contains("zh_env_override_7777") && !text.contains("headless_2468"),
        "{text}"
    );
}
