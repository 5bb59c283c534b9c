//! Where the API key is kept: never in settings or history. The system keychain
//! ([`super::keychain`]), a file readable only by its owner (0600), the environment, or
//! memory (tests). [`KeychainOrFileStore`] is the app's choice between them, and it always
//! says which one it made ([`KeyReport`]): it never falls back to the file silently.
//!
//! Every call may wait for the keychain (at most [`super::keychain::KEYCHAIN_TIMEOUT`] each):
//! call them off the UI thread.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::keychain::{KEYCHAIN_NAME, KeychainError, KeychainSecretStore};
use super::{Paths, StoreError, write_atomic};
use crate::api::client::ApiKey;

/// The key's environment variable; when set, it is the key in use, whatever is saved.
pub const KEY_ENV: &str = "ZENHIRE_API_KEY";

/// Set to `off` to keep the key in the owner-only file even where a keychain is reachable
/// (a locked keyring that never unlocks, a headless box with a stray D-Bus).
pub const KEYCHAIN_ENV: &str = "SPEECH_SCORER_KEYCHAIN";

/// Somewhere to keep the API key.
pub trait SecretStore: Send + Sync {
    /// The saved key, if any.
    fn get(&self) -> Result<Option<ApiKey>, StoreError>;
    /// Saves (replaces) the key.
    fn set(&self, key: &ApiKey) -> Result<(), StoreError>;
    /// Forgets the key.
    fn clear(&self) -> Result<(), StoreError>;
    /// Where the key is, and where a new one would go, read fresh.
    fn report(&self) -> Result<KeyReport, StoreError>;
    /// Moves the saved key to `to` and removes it from where it was; returns the new report.
    /// Stores that keep the key in one place only refuse.
    fn move_key_to(&self, to: &KeyLocation) -> Result<KeyReport, StoreError> {
        Err(StoreError::Move(format!(
            "this store keeps the key in one place only, not {}",
            to.describe()
        )))
    }
}

/// Where an API key is (or would be) kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLocation {
    /// The system keychain ([`KEYCHAIN_NAME`]).
    Keychain,
    /// The owner-only key file at this path.
    File(PathBuf),
    /// The environment variable [`KEY_ENV`] (read only).
    Environment,
    /// Memory only: forgotten when the app closes (tests, "don't remember").
    Memory,
}

impl KeyLocation {
    /// Where, for people: "the system keychain (Secret Service)", "the owner-only file
    /// /home/…/api-key", "the environment variable ZENHIRE_API_KEY", "memory only …".
    pub fn describe(&self) -> String {
        match self {
            KeyLocation::Keychain => format!("the system keychain ({KEYCHAIN_NAME})"),
            KeyLocation::File(path) => format!("the owner-only file {}", path.display()),
            KeyLocation::Environment => format!("the environment variable {KEY_ENV}"),
            KeyLocation::Memory => "memory only (forgotten when the app closes)".to_string(),
        }
    }
}

impl std::fmt::Display for KeyLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Whether the system keychain is where keys go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeychainState {
    /// It answered.
    Available,
    /// Turned off with `SPEECH_SCORER_KEYCHAIN=off`, or not used by this store.
    TurnedOff,
    /// It could not be used; the error says why (no D-Bus, locked, no answer in time…).
    Problem(KeychainError),
}

/// Where the key is, where a new one goes, and why: what Settings and `credits` show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyReport {
    /// Where the key the app will use comes from; `None`: there is no key.
    pub in_use: Option<KeyLocation>,
    /// Where a saved key is (whether or not the environment overrides it).
    pub saved: Option<KeyLocation>,
    /// Where saving a key writes.
    pub save_to: KeyLocation,
    /// Whether the keychain is used, and why not.
    pub keychain: KeychainState,
    /// A second, unused copy of the key is in this file (a move that could not finish).
    pub stale_file: Option<PathBuf>,
    /// The other place the saved key can move to (the Settings button); `None` when it
    /// cannot move (no saved key, or no keychain to move it to).
    pub can_move_to: Option<KeyLocation>,
}

impl KeyReport {
    /// One or two sentences for people, e.g. "The API key is kept in the owner-only file
    /// /home/ana/.config/speech-scorer/api-key, because no system keychain is reachable
    /// (Secret Service: …)."
    pub fn describe(&self) -> String {
        let why_not_keychain = match &self.keychain {
            KeychainState::Available => String::new(),
            KeychainState::TurnedOff => {
                format!(" (the system keychain is turned off: {KEYCHAIN_ENV}=off)")
            }
            KeychainState::Problem(e) => format!(", because {e}"),
        };
        let mut text = match &self.in_use {
            Some(KeyLocation::Environment) => {
                let mut t = format!("The API key comes from {}", KeyLocation::Environment);
                if let Some(saved) = &self.saved {
                    t.push_str(&format!(
                        "; the key saved in {saved} is not used while it is set"
                    ));
                }
                t
            }
            Some(KeyLocation::File(path)) => format!(
                "The API key is kept in {}{}",
                KeyLocation::File(path.clone()),
                match &self.keychain {
                    KeychainState::Available =>
                        format!("; the system keychain ({KEYCHAIN_NAME}) is available too"),
                    _ => why_not_keychain,
                }
            ),
            Some(place) => format!("The API key is kept in {place}"),
            None => match &self.keychain {
                KeychainState::Problem(e) if !matches!(e, KeychainError::Unavailable(_)) => {
                    format!("Whether an API key is saved in the system keychain is not known: {e}")
                }
                KeychainState::Problem(_) | KeychainState::TurnedOff
                    if matches!(self.save_to, KeyLocation::File(_)) =>
                {
                    format!(
                        "No API key is saved; a new one will be kept in {}{why_not_keychain}",
                        self.save_to
                    )
                }
                _ => format!(
                    "No API key is saved; a new one will be kept in {}",
                    self.save_to
                ),
            },
        };
        text.push('.');
        if let Some(path) = &self.stale_file {
            text.push_str(&format!(
                " An unused copy is also in {}; moving the key to the keychain removes it.",
                path.display()
            ));
        }
        text
    }
}

impl std::fmt::Display for KeyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Describes where the key is for `paths` and this process's environment, e.g. for
/// `speech-scorer credits`. Waits for the keychain (at most its timeout).
pub fn describe_key_location(paths: &Paths) -> String {
    match KeychainOrFileStore::from_env(paths).report() {
        Ok(report) => report.describe(),
        Err(e) => format!("Where the API key is kept could not be checked: {e}."),
    }
}

/// The key in a file of its own, mode 0600, in the config dir.
#[derive(Debug, Clone)]
pub struct FileSecretStore {
    path: PathBuf,
}

impl FileSecretStore {
    /// The store at `paths.key_file()`.
    pub fn new(paths: &Paths) -> FileSecretStore {
        FileSecretStore {
            path: paths.key_file(),
        }
    }

    /// The key file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A saved key is never longer than this (keys are tens of characters).
pub(crate) const KEY_CAP: usize = 4096;

impl FileSecretStore {
    /// Warns about, and fixes, a key file others can read (it should be 0600).
    #[cfg(unix)]
    fn check_mode(&self, file: &std::fs::File) {
        use std::os::unix::fs::PermissionsExt as _;
        let Ok(meta) = file.metadata() else {
            return;
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                "the API key file {} was readable by others (mode {mode:o}); it is now owner-only (600)",
                self.path.display()
            );
            if let Err(e) = file.set_permissions(std::fs::Permissions::from_mode(0o600)) {
                tracing::warn!("could not make {} owner-only: {e}", self.path.display());
            }
        }
    }
}

impl SecretStore for FileSecretStore {
    fn get(&self) -> Result<Option<ApiKey>, StoreError> {
        use std::io::Read as _;
        let file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io(&self.path, e)),
        };
        #[cfg(unix)]
        self.check_mode(&file);
        let mut text = String::new();
        file.take(KEY_CAP as u64)
            .read_to_string(&mut text)
            .map_err(|e| StoreError::io(&self.path, e))?;
        Ok(ApiKey::new(text))
    }

    fn set(&self, key: &ApiKey) -> Result<(), StoreError> {
        write_atomic(&self.path, key.expose().as_bytes(), true)
    }

    fn clear(&self) -> Result<(), StoreError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io(&self.path, e)),
        }
    }

    fn report(&self) -> Result<KeyReport, StoreError> {
        let saved = self.get()?.map(|_| KeyLocation::File(self.path.clone()));
        Ok(KeyReport {
            in_use: saved.clone(),
            saved,
            save_to: KeyLocation::File(self.path.clone()),
            keychain: KeychainState::TurnedOff,
            stale_file: None,
            can_move_to: None,
        })
    }
}

/// A key held in memory only (tests, or "don't remember").
#[derive(Debug, Clone, Default)]
pub struct MemorySecretStore {
    key: Arc<Mutex<Option<ApiKey>>>,
}

impl SecretStore for MemorySecretStore {
    fn get(&self) -> Result<Option<ApiKey>, StoreError> {
        Ok(self.key.lock().map(|k| k.clone()).unwrap_or(None))
    }

    fn set(&self, key: &ApiKey) -> Result<(), StoreError> {
        if let Ok(mut k) = self.key.lock() {
            *k = Some(key.clone());
        }
        Ok(())
    }

    fn clear(&self) -> Result<(), StoreError> {
        if let Ok(mut k) = self.key.lock() {
            *k = None;
        }
        Ok(())
    }

    fn report(&self) -> Result<KeyReport, StoreError> {
        let saved = self.get()?.map(|_| KeyLocation::Memory);
        Ok(KeyReport {
            in_use: saved.clone(),
            saved,
            save_to: KeyLocation::Memory,
            keychain: KeychainState::TurnedOff,
            stale_file: None,
            can_move_to: None,
        })
    }
}

/// Whether the system keychain is to be used: unless `$SPEECH_SCORER_KEYCHAIN` is `off`.
pub fn keychain_wanted() -> bool {
    !std::env::var(KEYCHAIN_ENV).is_ok_and(|v| v.trim().eq_ignore_ascii_case("off"))
}

/// The app's key store: the environment variable first (read only), then the system
/// keychain, then the owner-only file.
///
/// A new key goes where the saved one is, else to the keychain when it answers, else to the
/// file, and [`SecretStore::report`] says which and why. A keychain that is there but does not
/// answer (locked, stuck) is an error, never a quiet switch to the file; a keychain that is not
/// there at all (no D-Bus session, no Secret Service) means the file, and the report says so.
#[derive(Debug, Clone)]
pub struct KeychainOrFileStore {
    keychain: Option<KeychainSecretStore>,
    file: FileSecretStore,
    env_key: Option<ApiKey>,
}

impl KeychainOrFileStore {
    /// The app's store for `paths`: the key from `$ZENHIRE_API_KEY` when set, the app's
    /// keychain item unless `$SPEECH_SCORER_KEYCHAIN` is `off`, and the key file.
    pub fn from_env(paths: &Paths) -> KeychainOrFileStore {
        KeychainOrFileStore {
            keychain: keychain_wanted().then(KeychainSecretStore::new),
            file: FileSecretStore::new(paths),
            env_key: std::env::var(KEY_ENV).ok().and_then(ApiKey::new),
        }
    }

    /// The key saved for `paths` (keychain or file), without `$ZENHIRE_API_KEY`: what a
    /// profile's entry needs, where the caller decides about the environment itself.
    pub fn saved(paths: &Paths) -> KeychainOrFileStore {
        KeychainOrFileStore {
            env_key: None,
            ..KeychainOrFileStore::from_env(paths)
        }
    }

    /// The key of service profile `profile`: its own keychain item
    /// (`api-key.<profile>` under the app's service name) or, without a keychain, the
    /// owner-only file `<profile_dir>/api-key`. `$ZENHIRE_API_KEY` is not consulted;
    /// `keychain` false keeps it in the file (`$SPEECH_SCORER_KEYCHAIN=off`, tests).
    pub fn for_profile(profile: &str, profile_dir: &Path, keychain: bool) -> KeychainOrFileStore {
        KeychainOrFileStore {
            keychain: keychain.then(|| {
                KeychainSecretStore::with_names(
                    super::keychain::KEYCHAIN_SERVICE,
                    &format!("{}.{profile}", super::keychain::KEYCHAIN_USER),
                )
            }),
            file: FileSecretStore::new(&Paths {
                config_dir: profile_dir.to_path_buf(),
                data_dir: profile_dir.to_path_buf(),
            }),
            env_key: None,
        }
    }

    /// From its parts (tests): `keychain` `None` means turned off.
    pub fn with_parts(
        keychain: Option<KeychainSecretStore>,
        file: FileSecretStore,
        env_key: Option<ApiKey>,
    ) -> KeychainOrFileStore {
        KeychainOrFileStore {
            keychain,
            file,
            env_key,
        }
    }

    /// The keychain's state and the key saved in it.
    fn probe(&self) -> (KeychainState, Option<ApiKey>) {
        match &self.keychain {
            None => (KeychainState::TurnedOff, None),
            Some(keychain) => match keychain.read() {
                Ok(key) => (KeychainState::Available, key),
                Err(e) => (KeychainState::Problem(e), None),
            },
        }
    }

    fn file_location(&self) -> KeyLocation {
        KeyLocation::File(self.file.path().to_path_buf())
    }

    /// The keychain, or why it cannot take the key.
    fn keychain_for_move(&self) -> Result<&KeychainSecretStore, StoreError> {
        self.keychain.as_ref().ok_or_else(|| {
            StoreError::Move(format!(
                "the system keychain is turned off ({KEYCHAIN_ENV}=off)"
            ))
        })
    }
}

impl SecretStore for KeychainOrFileStore {
    fn get(&self) -> Result<Option<ApiKey>, StoreError> {
        if let Some(key) = &self.env_key {
            return Ok(Some(key.clone()));
        }
        let (state, keychain_key) = self.probe();
        if keychain_key.is_some() {
            return Ok(keychain_key);
        }
        let file_key = self.file.get()?;
        match state {
            // A keychain that may hold the key but did not say: an error, not "no key".
            KeychainState::Problem(e)
                if file_key.is_none() && !matches!(e, KeychainError::Unavailable(_)) =>
            {
                Err(StoreError::Keychain(e))
            }
            _ => Ok(file_key),
        }
    }

    fn set(&self, key: &ApiKey) -> Result<(), StoreError> {
        let (state, keychain_key) = self.probe();
        let to_file = if keychain_key.is_some() {
            false
        } else if self.file.get()?.is_some() {
            true
        } else {
            match state {
                KeychainState::Available => false,
                KeychainState::TurnedOff => true,
                KeychainState::Problem(KeychainError::Unavailable(_)) => true,
                KeychainState::Problem(e) => return Err(StoreError::KeychainBlocked(e)),
            }
        };
        match (&self.keychain, to_file) {
            (Some(keychain), false) => match keychain.write(key) {
                Ok(()) => Ok(()),
                Err(e @ KeychainError::Unavailable(_)) => {
                    tracing::warn!(
                        "{e}; the API key is saved in {} instead",
                        self.file_location()
                    );
                    self.file.set(key)
                }
                Err(e) => Err(StoreError::KeychainBlocked(e)),
            },
            _ => self.file.set(key),
        }
    }

    fn clear(&self) -> Result<(), StoreError> {
        let keychain = match &self.keychain {
            Some(keychain) => keychain.remove(),
            None => Ok(()),
        };
        self.file.clear()?;
        match keychain {
            Ok(()) | Err(KeychainError::Unavailable(_)) => Ok(()),
            Err(e) => Err(StoreError::Keychain(e)),
        }
    }

    fn report(&self) -> Result<KeyReport, StoreError> {
        let (keychain, keychain_key) = self.probe();
        let file_key = self.file.get()?;
        let saved = if keychain_key.is_some() {
            Some(KeyLocation::Keychain)
        } else if file_key.is_some() {
            Some(self.file_location())
        } else {
            None
        };
        let in_use = if self.env_key.is_some() {
            Some(KeyLocation::Environment)
        } else {
            saved.clone()
        };
        let save_to = match (&saved, &keychain) {
            (Some(place), _) => place.clone(),
            (None, KeychainState::TurnedOff)
            | (None, KeychainState::Problem(KeychainError::Unavailable(_))) => self.file_location(),
            (None, _) => KeyLocation::Keychain,
        };
        let can_move_to = match (&saved, &keychain) {
            (Some(KeyLocation::Keychain), _) => Some(self.file_location()),
            (Some(KeyLocation::File(_)), KeychainState::Available) => Some(KeyLocation::Keychain),
            _ => None,
        };
        let stale_file =
            (keychain_key.is_some() && file_key.is_some()).then(|| self.file.path().to_path_buf());
        Ok(KeyReport {
            in_use,
            saved,
            save_to,
            keychain,
            stale_file,
            can_move_to,
        })
    }

    fn move_key_to(&self, to: &KeyLocation) -> Result<KeyReport, StoreError> {
        match to {
            KeyLocation::Environment | KeyLocation::Memory => {
                return Err(StoreError::Move(format!(
                    "a saved key can go to the system keychain or the key file, not {to}"
                )));
            }
            KeyLocation::Keychain => {
                let keychain = self.keychain_for_move()?;
                match (keychain.read()?, self.file.get()?) {
                    // Already there (the keychain's key is the one in use): drop a stale copy.
                    (Some(_), _) => self.file.clear()?,
                    (None, Some(key)) => {
                        keychain.write(&key)?;
                        if keychain.read()?.as_ref() != Some(&key) {
                            return Err(StoreError::Move(
                                "the system keychain did not keep the key; it stays in the file"
                                    .to_string(),
                            ));
                        }
                        self.file.clear()?;
                    }
                    (None, None) => return Err(StoreError::Move("no key is saved".to_string())),
                }
            }
            KeyLocation::File(path) => {
                if path != self.file.path() {
                    return Err(StoreError::Move(format!(
                        "the key file is {}, not {}",
                        self.file.path().display(),
                        path.display()
                    )));
                }
                let keychain = self.keychain_for_move()?;
                match keychain.read()? {
                    Some(key) => {
                        self.file.set(&key)?;
                        if self.file.get()?.as_ref() != Some(&key) {
                            return Err(StoreError::Move(
                                "the key file did not keep the key; it stays in the keychain"
                                    .to_string(),
                            ));
                        }
                        keychain.remove().map_err(|e| {
                            StoreError::Move(format!(
                                "the key is now in {}, but it could not be removed from the \
                                 system keychain: {e}",
                                path.display()
                            ))
                        })?;
                    }
                    None if self.file.get()?.is_some() => {}
                    None => return Err(StoreError::Move("no key is saved".to_string())),
                }
            }
        }
        self.report()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_store_is_owner_only_and_round_trips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::under(dir.path().to_path_buf());
        let store = FileSecretStore::new(&paths);
        assert_eq!(store.get().expect("get"), None);
        let key = ApiKey::new("zh_api_secret_9876").expect("key");
        store.set(&key).expect("set");
        assert_eq!(store.get().expect("get"), Some(key.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(paths.key_file())
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A key file others can read is fixed when it is read.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(paths.key_file(), std::fs::Permissions::from_mode(0o644))
                .expect("chmod");
            assert_eq!(store.get().expect("get"), Some(key.clone()));
            let mode = std::fs::metadata(paths.key_file())
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "made owner-only on read");
        }
        store.clear().expect("clear");
        assert_eq!(store.get().expect("get"), None);
        let mem = MemorySecretStore::default();
        mem.set(&ApiKey::new("k_1234567").expect("key"))
            .expect("set");
        assert!(mem.get().expect("get").is_some());
    }

    fn temp_paths() -> (tempfile::TempDir, Paths) {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::under(dir.path().to_path_buf());
        (dir, paths)
    }

    #[test]
    fn with_the_keychain_off_the_key_goes_to_the_file_and_the_report_says_why() {
        let (_dir, paths) = temp_paths();
        let store = KeychainOrFileStore::with_parts(None, FileSecretStore::new(&paths), None);
        let report = store.report().expect("report");
        assert_eq!(report.keychain, KeychainState::TurnedOff);
        assert_eq!(report.save_to, KeyLocation::File(paths.key_file()));
        assert_eq!(
            report.describe(),
            format!(
                "No API key is saved; a new one will be kept in the owner-only file {} (the \
                 system keychain is turned off: SPEECH_SCORER_KEYCHAIN=off).",
                paths.key_file().display()
            )
        );
        let key = ApiKey::new("zh_live_fileonly_1357").expect("key");
        store.set(&key).expect("set");
        assert_eq!(
            FileSecretStore::new(&paths).get().expect("file"),
            Some(key.clone())
        );
        let report = store.report().expect("report");
        assert_eq!(report.in_use, Some(KeyLocation::File(paths.key_file())));
        assert_eq!(report.can_move_to, None);
        let err = store
            .move_key_to(&KeyLocation::Keychain)
            .expect_err("no keychain");
        assert!(err.to_string().contains("turned off"), "{err}");
        store.clear().expect("clear");
        assert_eq!(store.get().expect("get"), None);
    }

    #[test]
    fn the_environment_key_wins_and_the_report_names_the_one_it_hides() {
        let (_dir, paths) = temp_paths();
        let saved = ApiKey::new("zh_live_saved_1111").expect("key");
        FileSecretStore::new(&paths).set(&saved).expect("file");
        let env = ApiKey::new("zh_live_fromenv_2222").expect("key");
        let store =
            KeychainOrFileStore::with_parts(None, FileSecretStore::new(&paths), Some(env.clone()));
        assert_eq!(store.get().expect("get"), Some(env));
        let report = store.report().expect("report");
        assert_eq!(report.in_use, Some(KeyLocation::Environment));
        assert_eq!(report.saved, Some(KeyLocation::File(paths.key_file())));
        let text = report.describe();
        assert_eq!(
            text,
            format!(
                "The API key comes from the environment variable ZENHIRE_API_KEY; the key saved \
                 in the owner-only file {} is not used while it is set.",
                paths.key_file().display()
            )
        );
        assert!(
            !text.contains("1111") && !text.contains("2222"),
            "no key in {text}"
        );
        // Clearing forgets the saved key; the environment is not ours to clear.
        store.clear().expect("clear");
        assert!(!paths.key_file().exists());
        assert!(store.get().expect("get").is_some());
    }

    /// The texts name the Secret Service, the Linux keychain.
    #[cfg(target_os = "linux")]
    #[test]
    fn every_report_is_one_honest_sentence() {
        let file = KeyLocation::File(PathBuf::from("/home/ana/.config/speech-scorer/api-key"));
        let unreachable =
            KeychainState::Problem(KeychainError::Unavailable("no D-Bus session".to_string()));
        let locked = KeychainState::Problem(KeychainError::Timeout {
            action: "reading the key",
            after: std::time::Duration::from_secs(3),
        });
        let report =
            |in_use: Option<KeyLocation>, save_to: KeyLocation, keychain: KeychainState| {
                KeyReport {
                    saved: in_use.clone(),
                    in_use,
                    save_to,
                    keychain,
                    stale_file: None,
                    can_move_to: None,
                }
                .describe()
            };
        let cases = [
            (
                report(
                    Some(KeyLocation::Keychain),
                    KeyLocation::Keychain,
                    KeychainState::Available,
                ),
                "The API key is kept in the system keychain (Secret Service).",
            ),
            (
                report(Some(file.clone()), file.clone(), unreachable.clone()),
                "The API key is kept in the owner-only file /home/ana/.config/speech-scorer/api-key, \
                 because no system keychain is reachable (Secret Service: no D-Bus session).",
            ),
            (
                report(Some(file.clone()), file.clone(), KeychainState::Available),
                "The API key is kept in the owner-only file /home/ana/.config/speech-scorer/api-key; \
                 the system keychain (Secret Service) is available too.",
            ),
            (
                report(None, file.clone(), unreachable),
                "No API key is saved; a new one will be kept in the owner-only file \
                 /home/ana/.config/speech-scorer/api-key, because no system keychain is reachable \
                 (Secret Service: no D-Bus session).",
            ),
            (
                report(None, KeyLocation::Keychain, locked),
                "Whether an API key is saved in the system keychain is not known: the system \
                 keychain did not answer within 3 s while reading the key; it may be locked or \
                 waiting for its password prompt.",
            ),
            (
                report(None, KeyLocation::Keychain, KeychainState::Available),
                "No API key is saved; a new one will be kept in the system keychain (Secret Service).",
            ),
            (
                report(
                    Some(KeyLocation::Memory),
                    KeyLocation::Memory,
                    KeychainState::TurnedOff,
                ),
                "The API key is kept in memory only (forgotten when the app closes).",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }
}
