//! The take: the recording that will be submitted. Importing (file dialog, path field, drop)
//! and recovered recordings all come here; reading and converting the file runs off the UI
//! thread (`audio::prepare`). Every take is also listed in `store::takes` (saved off the UI
//! thread), so the record screen shows it again after a restart and a replaced or put-away
//! take can be reopened; replacing or putting away one that was never submitted asks first.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::audio::probe::AudioFormat;
use crate::store::takes::{TakeList, TakeOrigin, Takes};
use crate::ui::app::{App, AppEvent, Command, Confirmation, Screen};
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
    /// How loud the take is (the recorder's own reading, or read from the file); `None` when
    /// it could not be read. A silent take asks before it is submitted.
    pub loudness: Option<crate::audio::LoudnessSummary>,
    /// The person said to submit it although it is silent.
    pub silence_accepted: bool,
}

impl Take {
    /// The cost the API will charge: 1 credit per started minute.
    pub fn estimated_credits(&self) -> u64 {
        estimated_credits(self.duration)
    }

    /// True when the take is (nearly) all silence.
    pub fn is_silent(&self) -> bool {
        self.loudness.is_some_and(|l| l.is_silent())
    }

    /// The files the upload preparation made for this take (none when the original is sent
    /// as it is).
    fn prepared_files(&self) -> Option<PathBuf> {
        (self.converted && self.path != self.original).then(|| self.path.clone())
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

/// What would replace (or put away) the take on the record screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Replacement {
    /// A file imported (dialog, path field, drop).
    Import(PathBuf),
    /// A new recording.
    Record,
    /// A take from the Takes list, by id.
    Open(String),
    /// Nothing: the take is put away (it stays in the Takes list).
    Discard,
}

/// The takes list as the app holds it, and the saving of it.
#[derive(Debug)]
pub struct TakesView {
    /// Every take, newest first; `current` is the one on the record screen.
    pub list: TakeList,
    /// Read from disk at least once.
    pub loaded: bool,
    store: Takes,
    /// The number of the newest save asked for, and of the last one written (saves run on
    /// blocking threads; an older one finishing late must not overwrite a newer one).
    saves: u64,
    written: Arc<Mutex<u64>>,
    /// Upload files made for takes no longer on screen, removed once no submission reads
    /// them.
    pub(crate) unused_uploads: Vec<PathBuf>,
}

impl TakesView {
    /// The list stored under `store`, not read yet.
    pub fn new(store: Takes) -> TakesView {
        TakesView {
            list: TakeList::default(),
            loaded: false,
            store,
            saves: 0,
            written: Arc::default(),
            unused_uploads: Vec::new(),
        }
    }
}

/// How long a file dialog must have been open before "nothing picked" reads as the person
/// cancelling. rfd answers "nothing" at once, without a window, when no desktop portal (or
/// zenity) can show one; nobody cancels a real dialog this fast.
pub const NO_DIALOG_WITHIN: Duration = Duration::from_millis(700);

impl App {
    /// Reads the takes list off the UI thread.
    pub(crate) fn load_takes(&mut self) {
        let store = self.takes.store.clone();
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let result = store.load().map_err(|e| e.to_string());
            sender.send(AppEvent::TakesLoaded(result));
        });
    }

    /// Saves the takes list off the UI thread (the newest save wins).
    pub(crate) fn save_takes(&mut self) {
        if !self.takes.loaded {
            // Saved once the list on disk is in (and merged), never over it.
            return;
        }
        self.takes.saves += 1;
        let number = self.takes.saves;
        let list = self.takes.list.clone();
        let store = self.takes.store.clone();
        let written = self.takes.written.clone();
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let Ok(mut last) = written.lock() else {
                sender.send(AppEvent::TakesSaved(Err("the takes list is locked".into())));
                return;
            };
            if *last > number {
                return;
            }
            let result = store.save(&list).map_err(|e| e.to_string());
            *last = number;
            sender.send(AppEvent::TakesSaved(result));
        });
    }

    pub(crate) fn on_takes_loaded(&mut self, result: Result<TakeList, String>) {
        let mut list = match result {
            Ok(list) => list,
            Err(e) => {
                self.toast(
                    format!("The list of takes could not be read ({e}); starting a new one."),
                    true,
                );
                TakeList::default()
            }
        };
        // Takes that arrived before the list was read (a recovered recording) join it.
        for entry in std::mem::take(&mut self.takes.list.takes).into_iter().rev() {
            if list.find_path(&entry.path).is_none() {
                list.takes.insert(0, entry);
            }
        }
        let current_here = self.take.as_ref().map(|t| t.original.clone());
        match current_here {
            Some(path) => list.current = list.find_path(&path).map(|t| t.id.clone()),
            None => {
                if let Some(entry) = list.current().cloned() {
                    if entry.path.exists() {
                        self.restore_note = Some(format!(
                            "{} is back from last time{}.",
                            entry.file_name(),
                            if entry.submitted {
                                ""
                            } else {
                                " (not submitted yet)"
                            }
                        ));
                        self.prepare_take(entry.path.clone(), source_of(entry.origin));
                    } else {
                        self.toast(
                            format!(
                                "The last take, {}, is no longer on disk.",
                                entry.file_name()
                            ),
                            true,
                        );
                        list.current = None;
                    }
                }
            }
        }
        self.takes.list = list;
        self.takes.loaded = true;
        self.save_takes();
    }

    /// True when the take on screen was never submitted (replacing it would lose track of it
    /// without a question).
    pub fn take_unsubmitted(&self) -> bool {
        let Some(take) = &self.take else {
            return false;
        };
        !self
            .takes
            .list
            .find_path(&take.original)
            .is_some_and(|t| t.submitted)
    }

    /// Replaces the take with `what`, asking first when the take on screen was never
    /// submitted.
    pub(crate) fn replace_take(&mut self, what: Replacement, asked: bool) {
        if !asked && self.take_unsubmitted() {
            let name = self.take.as_ref().map(Take::file_name).unwrap_or_default();
            let (title, confirm_label) = match &what {
                Replacement::Import(_) | Replacement::Open(_) => {
                    ("Replace the take?", "Yes, replace it")
                }
                Replacement::Record => ("Record a new take?", "Yes, record a new take"),
                Replacement::Discard => ("Put this take away?", "Yes, put it away"),
            };
            self.confirm = Some(Confirmation {
                title: title.into(),
                body: format!(
                    "{name} has not been submitted. It stays in the Takes list on this screen, \
                     where you can open it again."
                ),
                confirm_label: confirm_label.into(),
                command: Box::new(Command::ReplaceTake(what)),
            });
            return;
        }
        match what {
            Replacement::Import(path) => self.import(path),
            Replacement::Record => self.start_recording(),
            Replacement::Open(id) => self.open_take(&id),
            Replacement::Discard => self.discard_take(),
        }
    }

    fn open_take(&mut self, id: &str) {
        let Some(entry) = self.takes.list.get(id).cloned() else {
            self.toast("That take is no longer in the list.", true);
            return;
        };
        if !entry.path.exists() {
            self.toast(format!("{} is no longer on disk.", entry.file_name()), true);
            return;
        }
        self.prepare_take(entry.path, source_of(entry.origin));
    }

    /// Forgets a take; a recording the app made is deleted from disk too (an imported file
    /// belongs to the person and stays).
    pub(crate) fn delete_take(&mut self, id: &str) {
        let Some(entry) = self.takes.list.remove(id) else {
            return;
        };
        if self.take.as_ref().is_some_and(|t| t.original == entry.path) {
            self.stop_playback();
            self.forget_prepared();
            self.take = None;
            self.discard_unused_uploads();
        }
        self.save_takes();
        if entry.origin == TakeOrigin::Recorded
            && crate::ui::app::is_own_recording(&entry.path, &self.paths)
        {
            let sender = self.sender.clone();
            let file = entry.path.clone();
            self.rt.spawn_blocking(move || {
                let result = match std::fs::remove_file(&file) {
                    Ok(()) => Ok(file.clone()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(file.clone()),
                    Err(e) => Err(format!("Could not delete {}: {e}", file.display())),
                };
                sender.send(AppEvent::RecordingDeleted(result));
            });
        } else {
            self.toast(
                format!(
                    "{} removed from the list; the file stays.",
                    entry.file_name()
                ),
                false,
            );
        }
    }

    /// A run was accepted for the take at `path`.
    pub(crate) fn mark_submitted(&mut self, path: &std::path::Path) {
        let Some(id) = self.takes.list.find_path(path).map(|t| t.id.clone()) else {
            return;
        };
        self.takes.list.update(&id, |t| t.submitted = true);
        self.save_takes();
    }

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
            Picked::File(path) => self.replace_take(Replacement::Import(path), false),
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
        self.prepare_take_with(path, source, None);
    }

    /// [`Self::prepare_take`] with the take's loudness when it is known (the recorder's own
    /// reading); otherwise it is read from the file, in the same background task.
    pub(crate) fn prepare_take_with(
        &mut self,
        path: PathBuf,
        source: TakeSource,
        loudness: Option<crate::audio::LoudnessSummary>,
    ) {
        self.importing = true;
        let sender = self.sender.clone();
        let work_dir = self.paths.prepared_dir();
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
                    // A file that cannot be decoded to the end has no reading: no question.
                    loudness: loudness
                        .or_else(|| crate::audio::loudness::summarize_file(&path).ok()),
                    silence_accepted: false,
                })
                .map_err(|e| format!("Could not use {}: {e}", path.display()));
            sender.send(AppEvent::Probed(result));
        });
    }

    /// The take on screen is going away (replaced, put away, deleted): the files its upload
    /// preparation made are set aside, and go in [`Self::discard_unused_uploads`] once no
    /// submission is reading them.
    pub(super) fn forget_prepared(&mut self) {
        let work_dir = self.paths.prepared_dir();
        if let Some(file) = self.take.as_ref().and_then(Take::prepared_files)
            && file.starts_with(&work_dir)
        {
            self.takes.unused_uploads.push(file);
        }
    }

    /// At start-up, off the UI thread: the upload files a crash, a kill or an earlier session
    /// left (the take on screen is prepared anew), once they are a day old — another window's
    /// take that lost its file is prepared again when it is submitted.
    pub(crate) fn sweep_stale_uploads(&self) {
        let dir = self.paths.prepared_dir();
        self.rt.spawn_blocking(move || {
            let removed =
                crate::audio::prepare::sweep_stale(&dir, crate::audio::prepare::STALE_AFTER);
            if removed > 0 {
                tracing::info!("removed {removed} upload files left from earlier sessions");
            }
        });
    }

    /// Removes upload files no take on screen and no submission in flight uses (off the UI
    /// thread). Runs again on every pass while one waits for a submission to end.
    pub(crate) fn discard_unused_uploads(&mut self) {
        if self.takes.unused_uploads.is_empty() || self.job.is_some() {
            return;
        }
        let on_screen = self.take.as_ref().map(|t| t.path.clone());
        let files: Vec<PathBuf> = std::mem::take(&mut self.takes.unused_uploads)
            .into_iter()
            .filter(|f| Some(f) != on_screen.as_ref())
            .collect();
        if files.is_empty() {
            return;
        }
        self.rt.spawn_blocking(move || {
            for file in files {
                crate::audio::prepare::discard_file(&file);
            }
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
        let note = self
            .recovered_note
            .take()
            .or_else(|| self.restore_note.take());
        let text = note.unwrap_or_else(|| {
            format!(
                "{verb} {} ({}{converted})",
                take.file_name(),
                crate::ui::widgets::format_clock(take.duration)
            )
        });
        self.toast(text, false);
        self.import_form.dialog_error = None;
        let origin = match take.source {
            TakeSource::Recorded => TakeOrigin::Recorded,
            TakeSource::Imported => TakeOrigin::Imported,
        };
        let id = self
            .takes
            .list
            .add_current(take.original.clone(), origin, chrono::Utc::now());
        let mut take = take;
        let duration_ms = take.duration.as_millis() as u64;
        self.takes.list.update(&id, |t| {
            t.duration_ms = Some(duration_ms);
            // The language chosen for this take before comes back with it.
            take.language = t.language.clone();
        });
        self.save_takes();
        self.stop_playback();
        if self.take.as_ref().is_some_and(|t| t.path != take.path) {
            self.forget_prepared();
        }
        self.take = Some(take);
        self.discard_unused_uploads();
        self.state.screen = Screen::Record;
    }

    fn discard_take(&mut self) {
        self.stop_playback();
        self.forget_prepared();
        self.take = None;
        self.discard_unused_uploads();
        self.takes.list.current = None;
        self.save_takes();
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

fn source_of(origin: TakeOrigin) -> TakeSource {
    match origin {
        TakeOrigin::Recorded => TakeSource::Recorded,
        TakeOrigin::Imported => TakeSource::Imported,
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
