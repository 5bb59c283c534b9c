//! What the UI keeps between launches, and the screens it can show.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::store::Paths;

/// The most of `ui-state.json` read (a few hundred bytes; a larger one is ignored, as an
/// unreadable one is).
const STATE_FILE_CAP: u64 = 1024 * 1024;

/// The screens of the app. Small and `Copy` so it can be passed around freely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Screen {
    /// Record or import a take, then submit it.
    #[default]
    Record,
    /// A run in flight: upload, queue, waits, processing.
    Progress,
    /// A finished run's scores.
    Result,
    /// Every run so far.
    History,
    /// Key, service address, language, defaults.
    Settings,
    /// The request log of the run on screen, for support staff.
    Support,
    /// Many recordings at once: a folder or a manifest.
    Batch,
    /// Scores across attempts over time.
    Trend,
}

impl Screen {
    /// Name on the navigation bar.
    pub fn label(self) -> &'static str {
        match self {
            Screen::Record => "Record",
            Screen::Progress => "Progress",
            Screen::Result => "Result",
            Screen::History => "History",
            Screen::Settings => "Settings",
            Screen::Support => "Support",
            Screen::Batch => "Batch",
            Screen::Trend => "Trend",
        }
    }
}

/// What the UI itself keeps between launches (the settings the API uses live in
/// `store::Settings`). Unknown or missing fields fall back to defaults so an older file never
/// stops the app from starting.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    /// The screen shown last (only Record, History and Settings are restored).
    pub screen: Screen,
    /// The input device chosen last, by id (`None`: the system default).
    pub device: Option<String>,
    /// Its name when it was chosen, to name it when it is gone ("… is not connected").
    pub device_name: Option<String>,
    /// How the trend groups attempts into one person's series.
    pub trend_group: crate::store::attempts::GroupBy,
}

impl State {
    fn file(paths: &Paths) -> PathBuf {
        paths.config_dir.join("ui-state.json")
    }

    /// Reads the state; anything unreadable gives the defaults.
    pub fn load(paths: &Paths) -> State {
        crate::capped::read_file(&Self::file(paths), STATE_FILE_CAP)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// Writes the state (atomically: a crash mid-write leaves the previous file).
    pub fn save(&self, paths: &Paths) -> Result<(), crate::store::StoreError> {
        let path = Self::file(paths);
        let text =
            serde_json::to_string_pretty(self).map_err(|e| crate::store::StoreError::Parse {
                path: path.clone(),
                message: e.to_string(),
            })?;
        crate::store::write_atomic(&path, text.as_bytes(), false)
    }

    /// The screen to open at start-up: the one shown last, unless it needs a run on screen.
    pub fn restored_screen(&self) -> Screen {
        match self.screen {
            Screen::Record | Screen::History | Screen::Settings | Screen::Trend => self.screen,
            _ => Screen::Record,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_reads_old_and_partial_files() {
        let s: State = serde_json::from_str(r#"{"screen":"History","unknown":1}"#).expect("parse");
        assert_eq!(s.screen, Screen::History);
        assert_eq!(s.device, None);
        let back: State =
            serde_json::from_str(&serde_json::to_string(&s).expect("ser")).expect("parse");
        assert_eq!(back, s);
    }

    #[test]
    fn only_screens_without_a_run_are_restored() {
        for (shown, restored) in [
            (Screen::History, Screen::History),
            (Screen::Settings, Screen::Settings),
            (Screen::Progress, Screen::Record),
            (Screen::Result, Screen::Record),
            (Screen::Support, Screen::Record),
            (Screen::Trend, Screen::Trend),
        ] {
            let s = State {
                screen: shown,
                ..State::default()
            };
            assert_eq!(s.restored_screen(), restored, "{shown:?}");
        }
    }
}
