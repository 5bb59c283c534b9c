//! Writing the app's own small files (settings, profiles, the window state) off the UI thread.
//!
//! Each write is atomic and synced to disk (`store::write_atomic`), which can take a while on a
//! busy disk, so one writer thread of the app's does them, in the order they were asked for.
//! Writes of the same file that queue up while the disk is busy collapse into the newest one.
//! A failure comes back as an [`AppEvent::Saved`] and is said in a toast.

use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::store::{Paths, Profiles, Settings};
use crate::ui::app::{AppEvent, State, UiSender};

/// Which file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SavedFile {
    /// `settings.toml`.
    Settings,
    /// `profiles.toml`.
    Profiles,
    /// `ui-state.json`.
    UiState,
}

impl SavedFile {
    /// What it holds, for people ("Settings could not be saved: …").
    pub fn what(self) -> &'static str {
        match self {
            SavedFile::Settings => "Settings",
            SavedFile::Profiles => "The profiles",
            SavedFile::UiState => "The window state",
        }
    }
}

/// A file was written, or why not; `note` is said when it was (e.g. "Settings saved").
#[derive(Debug)]
pub struct Saved {
    /// Which file.
    pub file: SavedFile,
    /// Written, or the error.
    pub result: Result<(), String>,
    /// Said on success.
    pub note: Option<&'static str>,
}

enum Write {
    Settings(Settings, Option<&'static str>),
    Profiles(Profiles),
    UiState(State),
    /// Answers once everything asked for before it is written.
    Flush(SyncSender<()>),
}

/// The writer thread and the way to it.
pub(crate) struct Persister {
    tx: Option<Sender<Write>>,
    thread: Option<JoinHandle<()>>,
    held: bool,
}

/// Why a write was not done while the writer is held.
pub const HELD: &str = "it could not be read when the app started, so it is not written over; start the app again once the disk answers";

/// How long closing the app waits for the last writes.
const FLUSH_PATIENCE: Duration = Duration::from_secs(3);

impl Persister {
    /// Starts the writer for `paths`; results go to `sender`. Without a thread (the system
    /// refused one) the writes are done where they are asked for, as before. `held`: the
    /// files could not be read at start-up, so none is written over (each write is answered
    /// with [`HELD`]) until the app starts again.
    pub(crate) fn start(paths: Paths, sender: UiSender, held: bool) -> Persister {
        let (tx, rx) = channel();
        match std::thread::Builder::new()
            .name("speech-scorer-save".into())
            .spawn(move || writer(&paths, &rx, &sender, held))
        {
            Ok(thread) => Persister {
                tx: Some(tx),
                thread: Some(thread),
                held,
            },
            Err(e) => {
                tracing::warn!("could not start the settings writer: {e}");
                Persister {
                    tx: None,
                    thread: None,
                    held,
                }
            }
        }
    }

    /// Writes the settings; `note` is said once they are written.
    pub(crate) fn settings(&self, settings: &Settings, note: Option<&'static str>) -> bool {
        self.send(Write::Settings(settings.clone(), note))
    }

    /// Writes `profiles.toml`.
    pub(crate) fn profiles(&self, profiles: &Profiles) -> bool {
        self.send(Write::Profiles(profiles.clone()))
    }

    /// Writes the window state.
    pub(crate) fn ui_state(&self, state: &State) -> bool {
        self.send(Write::UiState(state.clone()))
    }

    /// False when there is no writer (the write was not queued). Held without a writer:
    /// true, and nothing is written (the caller must not write it either).
    fn send(&self, write: Write) -> bool {
        if self.held && self.tx.is_none() {
            return true;
        }
        self.tx.as_ref().is_some_and(|tx| tx.send(write).is_ok())
    }

    /// Waits (at most a few seconds) until everything asked for so far is written: when the
    /// app closes. True when it was (or there is no writer: then nothing is queued).
    pub(crate) fn flush(&self) -> bool {
        if self.tx.is_none() {
            return true;
        }
        let (tx, rx) = sync_channel(1);
        self.send(Write::Flush(tx)) && rx.recv_timeout(FLUSH_PATIENCE).is_ok()
    }
}

impl Drop for Persister {
    fn drop(&mut self) {
        // Closing the channel ends the writer once it has written what is queued.
        self.tx = None;
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::warn!("the settings writer stopped with a panic");
        }
    }
}

/// The writer thread: takes every queued write, keeps the newest of each file, writes them.
fn writer(paths: &Paths, rx: &Receiver<Write>, sender: &UiSender, held: bool) {
    while let Ok(first) = rx.recv() {
        let mut settings = None;
        let mut profiles = None;
        let mut ui_state = None;
        let mut flushes = Vec::new();
        let mut take = |w: Write| match w {
            Write::Settings(s, note) => {
                // An older note still applies: its settings are in the newer write.
                let note = note.or(settings.as_ref().and_then(|(_, n)| *n));
                settings = Some((s, note));
            }
            Write::Profiles(p) => profiles = Some(p),
            Write::UiState(s) => ui_state = Some(s),
            Write::Flush(ack) => flushes.push(ack),
        };
        take(first);
        while let Ok(more) = rx.try_recv() {
            take(more);
        }
        if held {
            if settings.is_some() {
                report(sender, SavedFile::Settings, Err(HELD.into()), None);
            }
            if profiles.is_some() {
                report(sender, SavedFile::Profiles, Err(HELD.into()), None);
            }
            // The window state is not worth a word: it is simply not kept.
            ui_state = None;
        }
        if let Some((s, note)) = settings.filter(|_| !held) {
            let result = s.save(paths).map_err(|e| e.to_string());
            report(sender, SavedFile::Settings, result, note);
        }
        if let Some(p) = profiles.filter(|_| !held) {
            let result = p.save(paths).map_err(|e| e.to_string());
            report(sender, SavedFile::Profiles, result, None);
        }
        if let Some(s) = ui_state {
            let result = s.save(paths).map_err(|e| e.to_string());
            report(sender, SavedFile::UiState, result, None);
        }
        for ack in flushes {
            // The closing app may have stopped waiting; nothing is lost either way.
            if ack.send(()).is_err() {
                tracing::debug!("a flush was answered after the app stopped waiting");
            }
        }
    }
}

fn report(
    sender: &UiSender,
    file: SavedFile,
    result: Result<(), String>,
    note: Option<&'static str>,
) {
    if let Err(e) = &result {
        tracing::warn!("{}", crate::guidance::not_saved_text(file.what(), e));
    }
    // Nothing to tell when it worked and there is no note (the window state, the profiles).
    if result.is_err() || note.is_some() {
        sender.send(AppEvent::Saved(Saved { file, result, note }));
    }
}
