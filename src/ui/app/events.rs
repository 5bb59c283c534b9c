//! What comes back from background work ([`AppEvent`]), how it reaches the UI thread
//! ([`UiSender`]: a channel plus a repaint), and where each kind is taken in.

use std::path::PathBuf;
use std::sync::mpsc::Sender;

use crate::engine::JobEvent;
use crate::simulator::SimHandle;
use crate::ui::app::recording::AudioEvent;
use crate::ui::app::{App, HistoryRow, KeyEvent, KeyTest, Saved, SupportEvent, Take};
use crate::ui::ports::Picked;

/// What comes back from background work.
pub enum AppEvent {
    /// The file dialog closed.
    Picked(Picked),
    /// A file was probed (format and duration read, converted if needed) for the take.
    Probed(Result<Take, String>),
    /// An event of the job on screen (`job` tells stale jobs apart).
    Job {
        /// Which submission.
        job: u64,
        /// What happened.
        event: JobEvent,
    },
    /// A run resumed in the background (from history) ended or changed.
    Resumed {
        /// Its history id.
        local_id: String,
        /// What happened.
        event: JobEvent,
    },
    /// The balance from GET /credits.
    Credits(Result<Option<f64>, String>),
    /// The result of "Test key".
    KeyTested {
        /// The key field's generation when the test started (an edited key makes it stale).
        generation: u64,
        /// What the test found.
        result: KeyTest,
    },
    /// Recording, playback or the device list.
    Audio(AudioEvent),
    /// Takes a crash interrupted, repaired at start-up (oldest first), and repair failures.
    Recovered(Vec<PathBuf>, Vec<String>),
    /// The built-in simulator of demo mode started (or not).
    DemoStarted(Result<SimHandle, String>),
    /// The history was read.
    HistoryLoaded {
        /// Tells the latest read from older ones.
        generation: u64,
        /// The rows, newest first.
        result: Result<Vec<HistoryRow>, String>,
    },
    /// A recording was deleted (its path), or why not.
    RecordingDeleted(Result<PathBuf, String>),
    /// A run was removed from history (its id), or why not.
    RunDeleted(Result<String, String>),
    /// The Support screen's background work.
    Support(SupportEvent),
    /// The Batch screen's background work.
    Batch(crate::ui::app::BatchAppEvent),
    /// The takes list was read.
    TakesLoaded(Result<crate::store::takes::TakeList, String>),
    /// The takes list was saved (or why not).
    TakesSaved(Result<(), String>),
    /// Work on a key (read, saved, removed, moved, where it is), done off the UI thread.
    Key(KeyEvent),
    /// One of the app's own files was written (or why not), off the UI thread.
    Saved(Saved),
    /// The waveform, trend and export views' background work.
    Views(crate::ui::app::ViewEvent),
}

impl std::fmt::Debug for AppEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            AppEvent::Picked(_) => "Picked",
            AppEvent::Probed(_) => "Probed",
            AppEvent::Job { .. } => "Job",
            AppEvent::Resumed { .. } => "Resumed",
            AppEvent::Credits(_) => "Credits",
            AppEvent::KeyTested { .. } => "KeyTested",
            AppEvent::Audio(_) => "Audio",
            AppEvent::Recovered(..) => "Recovered",
            AppEvent::DemoStarted(_) => "DemoStarted",
            AppEvent::HistoryLoaded { .. } => "HistoryLoaded",
            AppEvent::RecordingDeleted(_) => "RecordingDeleted",
            AppEvent::RunDeleted(_) => "RunDeleted",
            AppEvent::Support(_) => "Support",
            AppEvent::Batch(_) => "Batch",
            AppEvent::TakesLoaded(_) => "TakesLoaded",
            AppEvent::TakesSaved(_) => "TakesSaved",
            AppEvent::Key(_) => "Key",
            AppEvent::Saved(_) => "Saved",
            AppEvent::Views(_) => "Views",
        };
        f.write_str(name)
    }
}

/// Sends background events to the UI thread and wakes it up.
#[derive(Clone)]
pub struct UiSender {
    pub(crate) tx: Sender<AppEvent>,
    pub(crate) ctx: egui::Context,
}

impl UiSender {
    /// Queues `event` and asks for a repaint so it is handled now, not on the next mouse move.
    pub fn send(&self, event: AppEvent) {
        // Sending fails only once the app (the receiver) is gone: nobody is left to tell.
        if self.tx.send(event).is_ok() {
            self.ctx.request_repaint();
        }
    }
}

impl App {
    /// Takes in every event that has arrived.
    pub(crate) fn handle_events(&mut self) {
        while let Ok(event) = self.events.try_recv() {
            self.handle_event(event);
        }
    }

    fn handle_event(&mut self, event: AppEvent) {
        match event {
            AppEvent::Picked(picked) => self.on_picked(picked),
            AppEvent::Probed(result) => self.on_probed(result),
            AppEvent::Job { job, event } => self.on_job_event(job, event),
            AppEvent::Resumed { local_id, event } => self.on_resumed(local_id, event),
            AppEvent::Credits(result) => self.balance = Some(result),
            AppEvent::KeyTested { generation, result } => self.on_key_tested(generation, result),
            AppEvent::Audio(event) => self.handle_audio_event(event),
            AppEvent::Recovered(repaired, failed) => self.on_recovered(repaired, failed),
            AppEvent::DemoStarted(started) => self.on_demo_started(started),
            AppEvent::HistoryLoaded { generation, result } => {
                self.on_history_loaded(generation, result)
            }
            AppEvent::RecordingDeleted(result) => self.on_recording_deleted(result),
            AppEvent::RunDeleted(result) => self.on_run_deleted(result),
            AppEvent::Support(event) => self.on_support_event(event),
            AppEvent::Batch(event) => self.on_batch_event(event),
            AppEvent::TakesLoaded(result) => self.on_takes_loaded(result),
            AppEvent::TakesSaved(Ok(())) => {}
            AppEvent::TakesSaved(Err(e)) => {
                self.toast(format!("The list of takes could not be saved: {e}"), true)
            }
            AppEvent::Key(event) => self.on_key_event(event),
            AppEvent::Saved(saved) => self.on_saved(saved),
            AppEvent::Views(event) => self.on_view_event(event),
        }
    }
}

impl App {
    /// A file of the app's own was written: say the note, or the failure.
    fn on_saved(&mut self, saved: Saved) {
        match saved.result {
            Ok(()) => {
                if let Some(note) = saved.note {
                    self.toast(note, false);
                }
            }
            Err(e) => self.toast(crate::guidance::not_saved_text(saved.file.what(), &e), true),
        }
    }
}
