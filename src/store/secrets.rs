//! Where the API key is kept: never in settings or history. A file readable only by its owner
//! (0600), or memory (tests).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::{Paths, StoreError, write_atomic};
use crate::api::client::ApiKey;

/// Somewhere to keep the API key.
pub trait SecretStore: Send + Sync {
    /// The saved key, if any.
    fn get(&self) -> Result<Option<ApiKey>, StoreError>;
    /// Saves (replaces) the key.
    fn set(&self, key: &ApiKey) -> Result<(), StoreError>;
    /// Forgets the key.
    fn clear(&self) -> Result<(), StoreError>;
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
}

/// A key file is never longer than this (keys are tens of characters).
const KEY_FILE_CAP: u64 = 4096;

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
        file.take(KEY_FILE_CAP)
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
}
