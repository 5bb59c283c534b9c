//! User settings (TOML). Never holds the API key: that lives in [`super::secrets`].

use serde::{Deserialize, Serialize};

use super::{Paths, StoreError, write_atomic};

/// The most of `settings.toml` read (it is a few hundred bytes; a larger one is refused, not
/// read whole).
pub const SETTINGS_FILE_CAP: u64 = 1024 * 1024;

/// Light, dark or follow the OS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// What the person chose in the settings screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// API base URL; `None` means the production host.
    pub base_url: Option<String>,
    /// ISO 639-1 language preselected for new recordings.
    pub default_language: String,
    /// externalId to send when none is given per run.
    pub default_external_id: Option<String>,
    /// Metadata JSON text to send with every run.
    pub default_metadata: Option<String>,
    pub theme: Theme,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            base_url: None,
            default_language: "en".to_string(),
            default_external_id: None,
            default_metadata: None,
            theme: Theme::System,
        }
    }
}

impl Settings {
    /// Reads the settings; a missing file gives the defaults.
    pub fn load(paths: &Paths) -> Result<Settings, StoreError> {
        let path = paths.settings_file();
        match crate::capped::read_file(&path, SETTINGS_FILE_CAP) {
            Ok(text) => toml::from_str(&text).map_err(|e| StoreError::Parse {
                path,
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(StoreError::io(&path, e)),
        }
    }

    /// Writes the settings.
    pub fn save(&self, paths: &Paths) -> Result<(), StoreError> {
        let path = paths.settings_file();
        let text = toml::to_string_pretty(self).map_err(|e| StoreError::Parse {
            path: path.clone(),
            message: e.to_string(),
        })?;
        write_atomic(&path, text.as_bytes(), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::under(dir.path().to_path_buf());
        assert_eq!(Settings::load(&paths).expect("load"), Settings::default());
        let s = Settings {
            base_url: Some("http://127.0.0.1:9".into()),
            default_language: "fr".into(),
            default_external_id: None,
            default_metadata: Some("{\"a\":\"b\"}".into()),
            theme: Theme::Dark,
        };
        s.save(&paths).expect("save");
        assert_eq!(Settings::load(&paths).expect("load"), s);
        // Unknown and missing keys are fine.
        std::fs::write(paths.settings_file(), "theme = \"light\"\nfuture = 1\n").expect("write");
        let loaded = Settings::load(&paths).expect("load");
        assert_eq!(loaded.theme, Theme::Light);
        assert_eq!(loaded.default_language, "en");
    }

    #[test]
    fn a_settings_file_grown_past_its_cap_is_refused_not_read_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::under(dir.path().to_path_buf());
        Settings::default().save(&paths).expect("save");
        // Valid TOML all the way (a comment line), so only the cap refuses it.
        let mut text = std::fs::read_to_string(paths.settings_file()).expect("read");
        text.push('#');
        text.push_str(&"x".repeat(SETTINGS_FILE_CAP as usize));
        std::fs::write(paths.settings_file(), text).expect("write");
        let e = Settings::load(&paths).expect_err("over the cap");
        assert!(e.to_string().contains("larger than 1 MB"), "{e}");
    }
}
