//! The history the History screen shows: read off the UI thread (records, whether the app's
//! own recording is still on disk, the audio length), cached, and read again only when
//! something changed (a run was accepted or ended, something was deleted, the screen opened).
//! Opening, deleting and removing runs live here too.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::api::model::PollResponse;
use crate::store::{History, Paths, RunRecord};
use crate::ui::app::{App, AppEvent, Screen};

/// True for files this app recorded (in its recordings folder): only those may be deleted.
pub fn is_own_recording(file: &Path, paths: &Paths) -> bool {
    file.starts_with(paths.recordings_dir())
}

/// One run as the History screen shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    /// The record as saved.
    pub record: RunRecord,
    /// The app's own recording of this run is still on disk (only those can be deleted).
    pub own_recording: bool,
    /// The audio's length: from the result, else from the file's header.
    pub duration: Option<Duration>,
    /// The run read once for the views (scores, status, ids): parsed here, off the UI thread,
    /// so no frame parses a result body.
    pub attempt: crate::store::attempts::Attempt,
}

/// The cached history.
#[derive(Debug, Default)]
pub struct HistoryView {
    /// Newest first.
    pub rows: Vec<HistoryRow>,
    /// Read at least once.
    pub loaded: bool,
    /// A read is running.
    pub loading: bool,
    /// Tells the latest read from older ones still finishing.
    generation: u64,
    /// Lengths read from files before (a file's header is read once).
    durations: HashMap<PathBuf, Duration>,
}

impl HistoryView {
    /// The row of a run.
    pub fn row(&self, local_id: &str) -> Option<&HistoryRow> {
        self.rows.iter().find(|r| r.record.local_id == local_id)
    }
}

/// Reads every record and what the rows need from disk. Runs on a blocking thread.
fn load_rows(
    history: &History,
    paths: &Paths,
    known: &HashMap<PathBuf, Duration>,
) -> Result<Vec<HistoryRow>, String> {
    let (mut records, _unreadable) = history.list().map_err(|e| e.to_string())?;
    records.sort_by_key(|r| std::cmp::Reverse(r.created));
    Ok(records
        .into_iter()
        .map(|record| {
            let own_recording = record
                .file
                .as_ref()
                .is_some_and(|f| is_own_recording(f, paths) && f.exists());
            let from_result = record
                .final_body
                .clone()
                .and_then(|b| serde_json::from_value::<PollResponse>(b).ok())
                .and_then(|p| p.audio)
                .and_then(|a| a.duration_ms)
                .map(Duration::from_millis);
            let duration = from_result.or_else(|| {
                let file = record.file.as_ref()?;
                known.get(file).copied().or_else(|| {
                    crate::audio::probe::probe_file(file)
                        .ok()
                        .map(|p| p.duration)
                })
            });
            HistoryRow {
                attempt: crate::store::attempts::Attempt::from_record(&record),
                record,
                own_recording,
                duration,
            }
        })
        .collect())
}

impl App {
    /// Reads the history again in the background.
    pub(crate) fn refresh_history(&mut self) {
        self.history_view.generation += 1;
        self.history_view.loading = true;
        let generation = self.history_view.generation;
        let history = self.history.clone();
        let paths = self.paths.clone();
        let known = self.history_view.durations.clone();
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let result = load_rows(&history, &paths, &known);
            sender.send(AppEvent::HistoryLoaded { generation, result });
        });
    }

    pub(crate) fn on_history_loaded(
        &mut self,
        generation: u64,
        result: Result<Vec<HistoryRow>, String>,
    ) {
        if generation != self.history_view.generation {
            return;
        }
        self.history_view.loading = false;
        match result {
            Ok(rows) => {
                for row in &rows {
                    if let (Some(file), Some(d)) = (&row.record.file, row.duration) {
                        self.history_view.durations.insert(file.clone(), d);
                    }
                }
                self.views
                    .trend
                    .set_attempts(rows.iter().map(|r| r.attempt.clone()).collect());
                self.history_view.rows = rows;
                self.history_view.loaded = true;
                self.resume_unfinished();
            }
            Err(e) => self.toast(format!("History could not be read: {e}"), true),
        }
    }

    /// Shows a run from history: its result, or (with no result) its request log.
    pub(crate) fn open_run(&mut self, local_id: &str) {
        let Some(row) = self.history_view.row(local_id) else {
            self.toast("That run is no longer in the history.", true);
            return;
        };
        let record = row.record.clone();
        let poll = record
            .final_body
            .clone()
            .and_then(|b| serde_json::from_value::<PollResponse>(b).ok());
        match poll {
            Some(poll) => {
                self.result = Some(poll);
                self.result_simulated = record.simulated;
                self.result_record = Some(record);
                self.state.screen = Screen::Result;
            }
            None => {
                self.result_record = Some(record);
                self.open_support();
            }
        }
    }

    /// Deletes a run's recording (only files this app made; an imported original belongs to
    /// the person).
    pub(crate) fn delete_recording(&mut self, local_id: &str) {
        let Some(file) = self
            .history_view
            .row(local_id)
            .and_then(|r| r.record.file.clone())
        else {
            return;
        };
        if !is_own_recording(&file, &self.paths) {
            self.toast(
                "That file was imported; delete it from your file manager if you want to.",
                true,
            );
            return;
        }
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let result = std::fs::remove_file(&file)
                .map(|()| file.clone())
                .map_err(|e| format!("Could not delete {}: {e}", file.display()));
            sender.send(AppEvent::RecordingDeleted(result));
        });
    }

    pub(crate) fn on_recording_deleted(&mut self, result: Result<PathBuf, String>) {
        match result {
            Ok(file) => {
                if self.take.as_ref().is_some_and(|t| t.original == file) {
                    // Its upload file (a long take's conversion) goes with it.
                    self.forget_prepared();
                    self.take = None;
                }
                if let Some(id) = self.takes.list.find_path(&file).map(|t| t.id.clone()) {
                    self.takes.list.remove(&id);
                    self.save_takes();
                }
                // The row changes now, not on the next read.
                for row in &mut self.history_view.rows {
                    if row.record.file.as_ref() == Some(&file) {
                        row.own_recording = false;
                    }
                }
                self.toast("Recording deleted", false);
            }
            Err(e) => self.toast(e, true),
        }
        self.refresh_history();
    }

    /// Removes a run from history (a run still being polled stops first).
    pub(crate) fn delete_run(&mut self, local_id: &str) {
        if let Some(handle) = self.resuming.remove(local_id) {
            handle.cancel();
        }
        let history = self.history.clone();
        let local_id = local_id.to_string();
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let result = history
                .delete(&local_id)
                .map(|()| local_id.clone())
                .map_err(|e| format!("Could not remove the run: {e}"));
            sender.send(AppEvent::RunDeleted(result));
        });
    }

    pub(crate) fn on_run_deleted(&mut self, result: Result<String, String>) {
        match result {
            Ok(local_id) => {
                self.history_view
                    .rows
                    .retain(|r| r.record.local_id != local_id);
                self.toast("Run removed from history", false);
            }
            Err(e) => self.toast(e, true),
        }
        self.refresh_history();
    }
}
