//! What the app keeps on disk: settings, the API key (apart, owner-only) and the run history.
//!
//! Everything lives under the platform directories from `directories`
//! (`ProjectDirs::from("ai", "ZenHire", "speech-scorer")`), or under `$SPEECH_SCORER_HOME`
//! when set (tests always set it to a temp dir).

pub mod attempts;
pub mod export;
pub mod history;
pub mod paths;
pub mod secrets;
pub mod settings;
pub mod takes;

pub use history::{History, LoggedEvent, RunRecord};
pub use paths::Paths;
pub use secrets::{FileSecretStore, MemorySecretStore, SecretStore};
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
