//! Where things live on disk.

use std::path::PathBuf;

use super::StoreError;

/// Overrides every directory (tests set it to a temp dir).
pub const HOME_ENV: &str = "SPEECH_SCORER_HOME";

/// The app's directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// Settings and the key file.
    pub config_dir: PathBuf,
    /// History and recordings.
    pub data_dir: PathBuf,
}

impl Paths {
    /// From `$SPEECH_SCORER_HOME` (`<home>/config`, `<home>/data`) or the platform dirs.
    pub fn from_env() -> Result<Paths, StoreError> {
        if let Some(home) = std::env::var_os(HOME_ENV).filter(|h| !h.is_empty()) {
            return Ok(Paths::under(PathBuf::from(home)));
        }
        let dirs = directories::ProjectDirs::from("ai", "ZenHire", "speech-scorer")
            .ok_or(StoreError::NoHome)?;
        Ok(Paths {
            config_dir: dirs.config_dir().to_path_buf(),
            data_dir: dirs.data_dir().to_path_buf(),
        })
    }

    /// Everything under one directory.
    pub fn under(home: PathBuf) -> Paths {
        Paths {
            config_dir: home.join("config"),
            data_dir: home.join("data"),
        }
    }

    /// `settings.toml`.
    pub fn settings_file(&self) -> PathBuf {
        self.config_dir.join("settings.toml")
    }

    /// The owner-only key file.
    pub fn key_file(&self) -> PathBuf {
        self.config_dir.join("api-key")
    }

    /// One JSON file per run.
    pub fn history_dir(&self) -> PathBuf {
        self.data_dir.join("history")
    }

    /// Recordings made by the app.
    pub fn recordings_dir(&self) -> PathBuf {
        self.data_dir.join("recordings")
    }

    /// Upload files `audio::prepare` converts into (the app's takes, `score`, `batch`); each
    /// goes when its take or job is done, and what a crash or a restart left is swept.
    pub fn prepared_dir(&self) -> PathBuf {
        self.data_dir.join("prepared")
    }
}
