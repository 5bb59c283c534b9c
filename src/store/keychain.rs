//! The API key in the operating system's keychain: the Secret Service on Linux and the BSDs
//! (gnome-keyring, KWallet, KeePassXC…), the Keychain on macOS, the Credential Manager on
//! Windows, through the `keyring-core` crate family.
//!
//! A keychain can hang: a locked keyring waits for its unlock prompt, a stuck daemon never
//! answers. So every call runs on a thread of its own and the caller waits at most
//! [`KEYCHAIN_TIMEOUT`]; a timeout is an error that says so. Calls are served one at a time,
//! in order; a call still waiting for its turn when its caller gave up is dropped, so a
//! `set` the caller was told had timed out does not happen later. (The one call already in
//! progress at that moment cannot be cancelled: if the keychain answers it later, it
//! completes.)

use std::collections::HashMap;
use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use keyring_core::{CredentialStore, Entry};

use super::StoreError;
use super::secrets::{KEY_CAP, KeyLocation, KeyReport, KeychainState, SecretStore};
use crate::api::client::ApiKey;

/// How long a caller waits for the keychain before giving up.
pub const KEYCHAIN_TIMEOUT: Duration = Duration::from_secs(3);

/// The keychain item's service name (the app id).
pub const KEYCHAIN_SERVICE: &str = "ai.zenhire.SpeechScorer";

/// The keychain item's user name.
pub const KEYCHAIN_USER: &str = "api-key";

/// The item's label, as keychain managers (Seahorse, Keychain Access) show it.
const KEYCHAIN_LABEL: &str = "ZenHire API key (Speech Scorer)";

/// What this platform's keychain is called, for people.
#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
pub const KEYCHAIN_NAME: &str = "Secret Service";
/// What this platform's keychain is called, for people.
#[cfg(target_os = "macos")]
pub const KEYCHAIN_NAME: &str = "macOS Keychain";
/// What this platform's keychain is called, for people.
#[cfg(target_os = "windows")]
pub const KEYCHAIN_NAME: &str = "Windows Credential Manager";
/// What this platform's keychain is called, for people.
#[cfg(not(any(
    all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ),
    target_os = "macos",
    target_os = "windows"
)))]
pub const KEYCHAIN_NAME: &str = "none on this platform";

/// Why the keychain could not do what was asked. The texts never contain the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeychainError {
    /// The keychain did not answer in time (locked and waiting for a prompt, or stuck).
    #[error(
        "the system keychain did not answer within {} s while {action}; it may be locked \
         or waiting for its password prompt",
        after.as_secs()
    )]
    Timeout {
        /// What was being done ("reading the key", …).
        action: &'static str,
        /// How long the caller waited.
        after: Duration,
    },
    /// There is no keychain to talk to (no D-Bus session, no Secret Service running).
    #[error("no system keychain is reachable ({KEYCHAIN_NAME}: {0})")]
    Unavailable(String),
    /// The keychain is there but refused: locked, or the unlock prompt was dismissed.
    #[error("the system keychain refused access ({0})")]
    Denied(String),
    /// Anything else the keychain reported.
    #[error("the system keychain failed: {0}")]
    Failed(String),
}

/// The API key as one item in the system keychain.
///
/// Cloning is cheap; clones share one connection and one queue of calls.
#[derive(Clone)]
pub struct KeychainSecretStore {
    service: String,
    user: String,
    timeout: Duration,
    /// The connected store, made on first use and dropped when it fails; the lock also
    /// serves the calls one at a time.
    connection: Arc<Mutex<Option<Arc<CredentialStore>>>>,
}

impl std::fmt::Debug for KeychainSecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeychainSecretStore")
            .field("service", &self.service)
            .field("user", &self.user)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Default for KeychainSecretStore {
    fn default() -> Self {
        KeychainSecretStore::new()
    }
}

impl KeychainSecretStore {
    /// The app's item ([`KEYCHAIN_SERVICE`], [`KEYCHAIN_USER`]) with the default timeout.
    /// Connects on first use, not here.
    pub fn new() -> KeychainSecretStore {
        KeychainSecretStore::with_names(KEYCHAIN_SERVICE, KEYCHAIN_USER)
    }

    /// Another item (tests keep theirs apart from the app's).
    pub fn with_names(service: &str, user: &str) -> KeychainSecretStore {
        KeychainSecretStore {
            service: service.to_string(),
            user: user.to_string(),
            timeout: KEYCHAIN_TIMEOUT,
            connection: Arc::new(Mutex::new(None)),
        }
    }

    /// The same item, waited for at most `timeout` per call (at least 1 s).
    pub fn with_timeout(mut self, timeout: Duration) -> KeychainSecretStore {
        self.timeout = timeout.max(Duration::from_secs(1));
        self
    }

    /// The saved key, if any.
    pub fn read(&self) -> Result<Option<ApiKey>, KeychainError> {
        self.call("reading the key", |entry| match entry.get_password() {
            Ok(text) if text.len() > KEY_CAP => Err(KeychainError::Failed(format!(
                "the saved key is longer than {KEY_CAP} bytes; it was not used"
            ))),
            Ok(text) => Ok(ApiKey::new(text)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(describe(e)),
        })
    }

    /// Saves (replaces) the key.
    pub fn write(&self, key: &ApiKey) -> Result<(), KeychainError> {
        let secret = key.expose().to_string();
        self.call("saving the key", move |entry| {
            entry.set_password(&secret).map_err(describe)
        })
    }

    /// Forgets the key (nothing saved is not an error).
    pub fn remove(&self) -> Result<(), KeychainError> {
        self.call("removing the key", |entry| {
            match entry.delete_credential() {
                Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
                Err(e) => Err(describe(e)),
            }
        })
    }

    /// Runs `op` on the item on a thread of its own; waits at most `self.timeout`.
    fn call<T: Send + 'static>(
        &self,
        action: &'static str,
        op: impl FnOnce(&Entry) -> Result<T, KeychainError> + Send + 'static,
    ) -> Result<T, KeychainError> {
        let deadline = Instant::now() + self.timeout;
        let (tx, rx) = sync_channel(1);
        let connection = Arc::clone(&self.connection);
        let (service, user) = (self.service.clone(), self.user.clone());
        let worker = move || {
            let mut connection = lock(&connection);
            if Instant::now() >= deadline {
                // The caller has given up and was told so; doing it now would surprise them.
                return;
            }
            let result = entry(&mut connection, &service, &user).and_then(|entry| op(&entry));
            if matches!(result, Err(KeychainError::Failed(_))) {
                // The connection may be dead (daemon restarted): make a new one next time.
                *connection = None;
            }
            // A send fails only when the caller stopped waiting; it already reported the timeout.
            if tx.send(result).is_err() {
                tracing::debug!("the keychain answered {action} after the caller gave up");
            }
        };
        std::thread::Builder::new()
            .name("keychain".into())
            .spawn(worker)
            .map_err(|e| KeychainError::Failed(format!("could not start a thread: {e}")))?;
        match rx.recv_timeout(self.timeout) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => Err(KeychainError::Timeout {
                action,
                after: self.timeout,
            }),
            Err(RecvTimeoutError::Disconnected) => Err(KeychainError::Failed(format!(
                "the keychain call stopped while {action} (it panicked or gave up)"
            ))),
        }
    }
}

impl SecretStore for KeychainSecretStore {
    fn get(&self) -> Result<Option<ApiKey>, StoreError> {
        Ok(self.read()?)
    }

    fn set(&self, key: &ApiKey) -> Result<(), StoreError> {
        Ok(self.write(key)?)
    }

    fn clear(&self) -> Result<(), StoreError> {
        Ok(self.remove()?)
    }

    fn report(&self) -> Result<KeyReport, StoreError> {
        let (keychain, saved) = match self.read() {
            Ok(key) => (KeychainState::Available, key.map(|_| KeyLocation::Keychain)),
            Err(e) => (KeychainState::Problem(e), None),
        };
        Ok(KeyReport {
            in_use: saved.clone(),
            saved,
            save_to: KeyLocation::Keychain,
            keychain,
            stale_file: None,
            can_move_to: None,
        })
    }
}

/// The lock, even when a previous call panicked while holding it (the state is only a
/// connection cache, which we drop).
fn lock(
    connection: &Mutex<Option<Arc<CredentialStore>>>,
) -> MutexGuard<'_, Option<Arc<CredentialStore>>> {
    connection.lock().unwrap_or_else(|poisoned| {
        let mut guard = poisoned.into_inner();
        *guard = None;
        guard
    })
}

/// The item, connecting first when there is no connection.
fn entry(
    connection: &mut Option<Arc<CredentialStore>>,
    service: &str,
    user: &str,
) -> Result<Entry, KeychainError> {
    let store = match connection {
        Some(store) => Arc::clone(store),
        None => {
            let store = connect().map_err(|e| {
                KeychainError::Unavailable(match e {
                    keyring_core::Error::PlatformFailure(inner)
                    | keyring_core::Error::NoStorageAccess(inner) => inner.to_string(),
                    other => other.to_string(),
                })
            })?;
            *connection = Some(Arc::clone(&store));
            store
        }
    };
    let modifiers = HashMap::from([("label", KEYCHAIN_LABEL)]);
    Entry::new_in_store_with_modifiers(&store, service, user, &modifiers).map_err(describe)
}

/// A keyring error in our words, without any secret bytes it may carry.
fn describe(e: keyring_core::Error) -> KeychainError {
    use keyring_core::Error as E;
    match e {
        E::NoStorageAccess(inner) => KeychainError::Denied(inner.to_string()),
        E::NoDefaultStore => KeychainError::Unavailable("no keychain is set up".to_string()),
        E::BadEncoding(_) => KeychainError::Failed("the saved key is not text".to_string()),
        E::BadDataFormat(_, _) => {
            KeychainError::Failed("the saved key is not in the expected format".to_string())
        }
        E::Ambiguous(items) => KeychainError::Failed(format!(
            "{} keychain items match {KEYCHAIN_SERVICE}/{KEYCHAIN_USER}; remove the extra ones \
             in your keychain manager",
            items.len()
        )),
        other => KeychainError::Failed(other.to_string()),
    }
}

/// A new connection to this platform's keychain.
#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
fn connect() -> keyring_core::Result<Arc<CredentialStore>> {
    let store: Arc<CredentialStore> = zbus_secret_service_keyring_store::Store::new()?;
    Ok(store)
}

/// A new connection to this platform's keychain.
#[cfg(target_os = "macos")]
fn connect() -> keyring_core::Result<Arc<CredentialStore>> {
    let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
    Ok(store)
}

/// A new connection to this platform's keychain.
#[cfg(target_os = "windows")]
fn connect() -> keyring_core::Result<Arc<CredentialStore>> {
    let store: Arc<CredentialStore> = windows_native_keyring_store::Store::new()?;
    Ok(store)
}

/// There is no keychain on this platform.
#[cfg(not(any(
    all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ),
    target_os = "macos",
    target_os = "windows"
)))]
fn connect() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(keyring_core::Error::NotSupportedByStore(
        "no keychain is supported on this platform".to_string(),
    ))
}
