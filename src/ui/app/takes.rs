//! The take: the recording that will be submitted. Importing (file dialog, path field, drop)
//! and recovered recordings all come here; reading and converting the file runs off the UI
//! thread (`audio::prepare`).

use std::path::PathBuf;
use std::time::Duration;

use crate::audio::probe::AudioFormat;
use crate::ui::app::{App, AppEvent, Screen};
use crate::ui::ports::Picked;

/// Where the take came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakeSource {
    /// Recorded in the app.
    Recorded,
    /// Imported from a file.
    Imported,
}

/// The recording that will be submitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Take {
    /// The file that will be uploaded (the original, or its converted copy).
    pub path: PathBuf,
    /// The file the person recorded or picked.
    pub original: PathBuf,
    /// True when `path` is a converted copy of `original` (not accepted as is, or over 25 MB).
    pub converted: bool,
    /// Length as read from the file.
    pub duration: Duration,
    /// Container/codec as sniffed.
    pub format: AudioFormat,
    /// File size.
    pub size_bytes: u64,
    /// Recorded or imported.
    pub source: TakeSource,
    /// The language chosen for this take only (the wrong-language dialog, "Change language");
    /// `None`: the default from Settings.
    pub language: Option<String>,
}

impl Take {
    /// The cost the API will charge: 1 credit per started minute.
    pub fn estimated_credits(&self) -> u64 {
        estimated_credits(self.duration)
    }

    /// The file name for headings (of the original).
    pub fn file_name(&self) -> String {
        self.original
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.original.display().to_string())
    }
}

/// 1 credit per started minute.
pub fn estimated_credits(d: Duration) -> u64 {
    d.as_millis().div_ceil(60_000) as u64
}

/// How long a file dialog must have been open before "nothing picked" reads as the person
/// cancelling. rfd answers "nothing" at once, without a window, when no desktop portal (or
/// zenity) can show one; nobody cancels a real dialog this fast.
pub const NO_DIALOG_WITHIN: Duration = Duration::from_millis(700);

impl App {
    /// The language the current take will be scored in.
    pub fn take_language(&self) -> &str {
        self.take
            .as_ref()
            .and_then(|t| t.language.as_deref())
            .unwrap_or(&self.settings.default_language)
    }

    /// Opens the file dialog (off the UI thread); its answer comes back as [`AppEvent::Picked`].
    pub(crate) fn pick_file(&mut self) {
        let sender = self.sender.clone();
        self.import_form.dialog_error = None;
        self.config.file_picker.pick_audio(Box::new(move |picked| {
            sender.send(AppEvent::Picked(picked))
        }));
    }

    pub(crate) fn on_picked(&mut self, picked: Picked) {
        match picked {
            Picked::File(path) => self.import(path),
            Picked::Cancelled => {}
            Picked::Unavailable(why) => {
                // The path field is always there; point at it.
                self.import_form.dialog_error = Some(why);
                self.import_form.focus_path = true;
            }
        }
    }

    /// Reads the file's format and length off the UI thread and, when the API would not take
    /// it as it is (format, or over 25 MB), converts it (`audio::prepare`); then makes it the take.
    pub(crate) fn import(&mut self, path: PathBuf) {
        self.prepare_take(path, TakeSource::Imported);
    }

    pub(crate) fn prepare_take(&mut self, path: PathBuf, source: TakeSource) {
        self.importing = true;
        let sender = self.sender.clone();
        let work_dir = self.paths.data_dir.join("prepared");
        self.rt.spawn_blocking(move || {
            let result = crate::audio::prepare::for_upload(&path, &work_dir)
                .map(|p| Take {
                    path: p.path,
                    original: path.clone(),
                    converted: p.converted,
                    duration: p.duration,
                    format: p.format,
                    size_bytes: p.size_bytes,
                    source,
                    language: None,
                })
                .map_err(|e| format!("Could not use {}: {e}", path.display()));
            sender.send(AppEvent::Probed(result));
        });
    }

    pub(crate) fn on_probed(&mut self, result: Result<Take, String>) {
        self.importing = false;
        let take = match result {
            Ok(take) => take,
            Err(message) => {
                self.toast(message, true);
                return;
            }
        };
        let verb = match take.source {
            TakeSource::Imported => "Imported",
            TakeSource::Recorded => "Recorded",
        };
        let converted = if take.converted {
            format!(", converted to {} for upload", take.format.label())
        } else {
            String::new()
        };
        let text = self.recovered_note.take().unwrap_or_else(|| {
            format!(
                "{verb} {} ({}{converted})",
                take.file_name(),
                crate::ui::widgets::format_clock(take.duration)
            )
        });
        self.toast(text, false);
        self.import_form.dialog_error = None;
        self.take = Some(take);
        self.state.screen = Screen::Record;
    }

    pub(crate) fn discard_take(&mut self) {
        self.stop_playback();
        self.take = None;
    }

    /// Takes a crash interrupted were repaired: offer the latest back as the take.
    pub(crate) fn on_recovered(&mut self, repaired: Vec<PathBuf>, failed: Vec<String>) {
        if let Some(latest) = repaired.last().cloned() {
            let n = repaired.len();
            let note = format!(
                "Recovered {n} {} interrupted last time; {} in {}.",
                if n == 1 { "recording" } else { "recordings" },
                if n == 1 { "it is" } else { "they are" },
                self.paths.recordings_dir().display()
            );
            if self.take.is_none() {
                self.recovered_note = Some(note);
                self.prepare_take(latest, TakeSource::Recorded);
            } else {
                self.toast(note, false);
            }
        } else if let Some(first) = failed.first() {
            self.toast(
                format!("An interrupted recording could not be repaired: {first}"),
                true,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_is_one_credit_per_started_minute() {
        assert_eq!(estimated_credits(Duration::ZERO), 0);
        assert_eq!(estimated_credits(Duration::from_secs(1)), 1);
        assert_eq!(estimated_credits(Duration::from_secs(60)), 1);
        assert_eq!(estimated_credits(Duration::from_millis(60_001)), 2);
        assert_eq!(estimated_credits(Duration::from_secs(612)), 11);
    }
}
