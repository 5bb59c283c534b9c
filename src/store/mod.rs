//! What the app keeps on disk: settings, the API key (apart: in the system keychain, or an
//! owner-only file), the run history and the state of batches.
//!
//! Everything lives under the platform directories from `directories`
//! (`ProjectDirs::from("ai", "ZenHire", "speech-scorer")`), or under `$SPEECH_SCORER_HOME`
//! when set (tests always set it to a temp dir).

pub mod attempts;
pub mod batches;
pub mod export;
pub mod history;
pub mod keychain;
pub mod paths;
pub mod profiles;
pub mod request_index;
pub mod secrets;
pub mod settings;
pub mod takes;

pub use batches::Batches;
pub use history::{History, LoggedEvent, RunRecord};
pub use keychain::{KEYCHAIN_NAME, KEYCHAIN_TIMEOUT, KeychainError, KeychainSecretStore};
pub use paths::Paths;
pub use profiles::{
    BASE_URL_ENV, MemoryProfileKeys, Profile, ProfileKeys, Profiles, ServiceEnv, StoredProfileKeys,
    UnnamedService, unnamed_service,
};
pub use request_index::RequestIndex;
pub use secrets::{
    FileSecretStore, KEY_ENV, KEYCHAIN_ENV, KeyLocation, KeyReport, KeychainOrFileStore,
    KeychainState, MemorySecretStore, SecretStore, describe_key_location,
};
pub use settings::{Settings, Theme};

/// Why something could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No home directory could be found and `SPEECH_SCORER_HOME` is not set.
    #[error("no data directory could be found; set SPEECH_SCORER_HOME")]
    NoHome,
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid: {message}")]
    Parse {
        path: std::path::PathBuf,
        message: String,
    },
    #[error("no run {0} in the history")]
    NotFound(String),
    /// The system keychain could not do what was asked.
    #[error("{0}")]
    Keychain(#[from] crate::store::keychain::KeychainError),
    /// The keychain is there but would not take the key; the file is not used instead
    /// without being asked.
    #[error(
        "{0}; unlock it and try again, or set SPEECH_SCORER_KEYCHAIN=off to keep the key in \
         an owner-only file"
    )]
    KeychainBlocked(crate::store::keychain::KeychainError),
    /// The key could not be moved between the keychain and the file.
    #[error("the API key was not moved: {0}")]
    Move(String),
}

impl StoreError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Writes `bytes` to `path` atomically (temp file + rename), creating the parent directory,
/// with owner-only permissions when `private`.
pub(crate) fn write_atomic(
    path: &std::path::Path,
    bytes: &[u8],
    private: bool,
) -> Result<(), StoreError> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = opts.open(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
    f.write_all(bytes).map_err(|e| StoreError::io(&tmp, e))?;
    f.sync_all().map_err(|e| StoreError::io(&tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| StoreError::io(path, e))
}

/// Takes an exclusive lock on `path` (created owner-only if missing) for as long as the
/// returned file is open: `Ok(None)` when another process (or another handle) holds it. The
/// operating system drops it when the process ends, so a crash never leaves a stale lock.
pub(crate) fn lock_exclusive(path: &std::path::Path) -> Result<Option<std::fs::File>, StoreError> {
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let file = opts.open(path).map_err(|e| StoreError::io(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd as _;
        // SAFETY: flock on a file descriptor we own; no memory is shared.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                return Ok(None);
            }
            return Err(StoreError::io(path, err));
        }
    }
    Ok(Some(file))
}
