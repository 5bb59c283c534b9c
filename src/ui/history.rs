//! The history screen (every run with date, duration, language, status and scores; reopen a
//! result; delete a recording) and the request log of one run, for support staff.

use std::path::Path;

use egui::{RichText, Ui};

use crate::api::model::PollResponse;
use crate::store::{Paths, RunRecord};
use crate::ui::app::{App, Command};
use crate::ui::widgets::format_clock;

/// True for files this app recorded (in its recordings folder): only those may be deleted.
pub fn is_own_recording(file: &Path, paths: &Paths) -> bool {
    file.starts_with(paths.recordings_dir())
}

/// One history row as a person reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct RowView {
    /// Local date and time of the submission.
    pub date: String,
    /// Audio length, when known.
    pub duration: Option<String>,
    /// Language code.
    pub language: String,
    /// Status word.
    pub status: String,
    /// Overall CEFR and score, when scored.
    pub scores: Option<String>,
}

/// Reads a record into a row.
pub fn row_view(r: &RunRecord) -> RowView {
    let poll = r
        .final_body
        .clone()
        .and_then(|b| serde_json::from_value::<PollResponse>(b).ok());
    let duration = poll
        .as_ref()
        .and_then(|p| p.audio.as_ref())
        .and_then(|a| a.duration_ms)
        .map(|ms| format_clock(std::time::Duration::from_millis(ms)));
    let scores = poll.as_ref().and_then(|p| p.scores.as_ref()).map(|s| {
        let o = s.overall();
        match (o.cefr, o.score) {
            (Some(c), Some(v)) => format!("{c} · {v:.1}"),
            _ => "partial".to_string(),
        }
    });
    let status = match &r.outcome {
        Some(o) => o.kind.as_str().replace('_', " "),
        None => r
            .last_status
            .clone()
            .unwrap_or_else(|| "not sent".to_string()),
    };
    RowView {
        date: r
            .created
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        duration,
        language: r.language.clone().unwrap_or_else(|| "—".into()),
        status,
        scores,
    }
}

/// Draws the list of runs.
pub fn history_ui(ui: &mut Ui, app: &mut App, cmds: &mut Vec<Command>) {
    if app.history_dirty {
        app.history_dirty = false;
        match app.history.list() {
            Ok((mut rows, _unreadable)) => {
                rows.sort_by_key(|r| std::cmp::Reverse(r.created));
                app.history_rows = rows;
            }
            Err(e) => app.toast(format!("History could not be read: {e}"), true),
        }
    }
    ui.heading("History");
    if app.history_rows.is_empty() {
        ui.label(RichText::new("No runs yet.").weak());
        return;
    }
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("history")
                .num_columns(7)
                .striped(true)
                .spacing([14.0, 6.0])
                .show(ui, |ui| {
                    for h in ["Date", "Length", "Language", "Status", "Score", "", ""] {
                        ui.label(RichText::new(h).strong());
                    }
                    ui.end_row();
                    for r in &app.history_rows {
                        let v = row_view(r);
                        ui.label(&v.date);
                        ui.label(v.duration.as_deref().unwrap_or("—"));
                        ui.label(&v.language);
                        let resuming = app.resuming.contains_key(&r.local_id);
                        ui.label(if resuming {
                            format!("{} (resuming)", v.status)
                        } else {
                            v.status.clone()
                        });
                        ui.label(v.scores.as_deref().unwrap_or("—"));
                        ui.horizontal(|ui| {
                            let what = if v.scores.is_some() { "Open" } else { "Log" };
                            if ui
                                .button(what)
                                .on_hover_text(format!("Run from {}", v.date))
                                .clicked()
                            {
                                cmds.push(Command::OpenRun(r.local_id.clone()));
                            }
                        });
                        ui.horizontal(|ui| {
                            let own_file = r
                                .file
                                .as_ref()
                                .is_some_and(|f| is_own_recording(f, &app.paths) && f.exists());
                            if own_file && ui.button("Delete recording").clicked() {
                                cmds.push(Command::DeleteRecording(r.local_id.clone()));
                            }
                            if ui.button("Remove").clicked() {
                                cmds.push(Command::DeleteRun(r.local_id.clone()));
                            }
                        });
                        ui.end_row();
                    }
                });
        });
}
