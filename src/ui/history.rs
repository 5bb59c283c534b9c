//! The history screen: every run with date, length, language, status (with the code when it
//! failed), score and whether it was simulated; reopen a result or its request log; resume a
//! run that is still going on the service; delete a recording the app made; remove a run.
//! Drawing only: the rows were read off the UI thread (`ui::app::history`), and each
//! destructive button asks first and keeps its place when the row changes.

use egui::{RichText, Ui};

use crate::engine::OutcomeKind;
use crate::ui::app::{App, Command, Confirmation, HistoryRow};
use crate::ui::widgets::format_clock;

pub use crate::ui::app::is_own_recording;

/// Width of the recording cell, the same with or without its button, so nothing to its right
/// moves when a recording is deleted.
const RECORDING_CELL: f32 = 130.0;

/// One history row as a person reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct RowView {
    /// Local date and time of the submission.
    pub date: String,
    /// Audio length, when known.
    pub duration: Option<String>,
    /// Language code.
    pub language: String,
    /// Status word, with the error code when the run did not produce scores.
    pub status: String,
    /// Overall CEFR and score, when scored.
    pub scores: Option<String>,
    /// The results came from the simulator.
    pub simulated: bool,
    /// The run exists on the service but the app stopped waiting for it: it can be resumed.
    pub resumable: bool,
}

/// Reads a row into what the screen shows.
pub fn row_view(row: &HistoryRow) -> RowView {
    let r = &row.record;
    // Read off the UI thread with the row: no frame parses a result body.
    let scores = row.attempt.scores.as_ref().map(|s| {
        let o = s.overall();
        match (o.cefr, o.score) {
            (Some(c), Some(v)) => format!("{c} · {v:.1}"),
            _ => "partial".to_string(),
        }
    });
    let status = match &r.outcome {
        Some(o) => {
            let word = o.kind.as_str().replace('_', " ");
            let scored = matches!(o.kind, OutcomeKind::Success | OutcomeKind::Partial);
            match (&o.error, scored) {
                (Some(e), false) => format!("{word} · {}", e.code.as_str()),
                _ => word,
            }
        }
        None => r
            .last_status
            .clone()
            .unwrap_or_else(|| "not sent".to_string()),
    };
    let resumable = r.run_id.is_some() && r.outcome.as_ref().is_some_and(|o| o.is_resumable());
    RowView {
        date: r
            .created
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        duration: row.duration.map(format_clock),
        language: r.language.clone().unwrap_or_else(|| "—".into()),
        status,
        scores,
        simulated: r.simulated,
        resumable,
    }
}

/// Draws the list of runs (from the cache; nothing here reads the disk).
pub fn history_ui(ui: &mut Ui, app: &mut App, cmds: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        ui.heading("History");
        if app.history_view.loading {
            ui.spinner();
        }
        if !app.history_view.rows.is_empty() {
            ui.add_space(12.0);
            crate::ui::export::history_export_buttons_ui(ui, cmds);
        }
    });
    if matches!(
        app.views.export.kind,
        Some(crate::ui::app::views::ExportKind::HistoryCsv)
            | Some(crate::ui::app::views::ExportKind::HistoryJsonl)
    ) {
        crate::ui::export::export_form_ui(ui, app, cmds);
    }
    let app: &App = app;
    if app.history_view.rows.is_empty() {
        let text = if app.history_view.loaded {
            "No runs yet."
        } else {
            "Reading the history…"
        };
        ui.label(RichText::new(text).weak());
        return;
    }
    if ui.available_width() < NARROW {
        // Narrow: each run is two lines (what it was, then its buttons), no sideways scroll.
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for row in &app.history_view.rows {
                    egui::Frame::group(ui.style()).show(ui, |ui| {
                        ui.set_width(ui.available_width());
                        let v = row_view(row);
                        ui.horizontal_wrapped(|ui| {
                            ui.label(RichText::new(&v.date).strong());
                            ui.label(v.duration.as_deref().unwrap_or("—"));
                            ui.label(&v.language);
                            status_ui(ui, app, row, &v);
                            ui.label(v.scores.as_deref().unwrap_or("—"));
                        });
                        ui.horizontal(|ui| buttons_ui(ui, app, row, &v, cmds));
                    });
                }
            });
        return;
    }
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("history")
                .num_columns(8)
                .striped(true)
                .spacing([14.0, 6.0])
                .show(ui, |ui| {
                    for h in ["Date", "Length", "Language", "Status", "Score", "", "", ""] {
                        ui.label(RichText::new(h).strong());
                    }
                    ui.end_row();
                    for row in &app.history_view.rows {
                        row_ui(ui, app, row, cmds);
                        ui.end_row();
                    }
                });
        });
}

/// Below this width the history is a list of two-line cards instead of a grid.
const NARROW: f32 = 760.0;

fn row_ui(ui: &mut Ui, app: &App, row: &HistoryRow, cmds: &mut Vec<Command>) {
    let v = row_view(row);
    ui.label(&v.date);
    ui.label(v.duration.as_deref().unwrap_or("—"));
    ui.label(&v.language);
    ui.horizontal(|ui| status_ui(ui, app, row, &v));
    ui.label(v.scores.as_deref().unwrap_or("—"));
    buttons_ui(ui, app, row, &v, cmds);
}

/// The status words, "(resuming)" while it is polled again, and the Simulated mark.
fn status_ui(ui: &mut Ui, app: &App, row: &HistoryRow, v: &RowView) {
    let resuming = app.resuming.contains_key(&row.record.local_id);
    ui.label(if resuming {
        format!("{} (resuming)", v.status)
    } else {
        v.status.clone()
    });
    if v.simulated {
        ui.label(
            RichText::new("Simulated")
                .small()
                .strong()
                .color(ui.visuals().warn_fg_color),
        )
        .on_hover_text("Scored by the built-in simulator: not a real result");
    }
}

/// Open/Log and Resume, the recording's cell (the same width with or without its button) and
/// Remove: three cells in the grid, one line in a card.
fn buttons_ui(ui: &mut Ui, app: &App, row: &HistoryRow, v: &RowView, cmds: &mut Vec<Command>) {
    let r = &row.record;
    let resuming = app.resuming.contains_key(&r.local_id);
    ui.horizontal(|ui| {
        let what = if v.scores.is_some() { "Open" } else { "Log" };
        if ui
            .button(what)
            .on_hover_text(format!("Run from {}", v.date))
            .clicked()
        {
            cmds.push(Command::OpenRun(r.local_id.clone()));
        }
        if v.resumable
            && !resuming
            && ui
                .button("Resume")
                .on_hover_text(
                    "Poll this run again: it went on on the service after the app stopped waiting",
                )
                .clicked()
        {
            cmds.push(Command::ResumeRun(r.local_id.clone()));
        }
    });
    ui.horizontal(|ui| {
        ui.set_min_width(RECORDING_CELL);
        let file_name = r
            .file
            .as_ref()
            .and_then(|f| f.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if row.own_recording {
            if ui.button("Delete recording").clicked() {
                cmds.push(Command::Confirm(delete_recording_confirmation(
                    &r.local_id,
                    &file_name,
                )));
            }
        } else {
            ui.label(RichText::new("—").weak());
        }
    });
    if ui.button("Remove").clicked() {
        cmds.push(Command::Confirm(remove_run_confirmation(
            &r.local_id,
            &v.date,
        )));
    }
}

/// The question before deleting a run's recording.
pub fn delete_recording_confirmation(local_id: &str, file_name: &str) -> Confirmation {
    Confirmation {
        title: "Delete the recording?".into(),
        body: format!(
            "{file_name} will be deleted from this computer. The run and its scores stay in \
             History."
        ),
        confirm_label: "Yes, delete the recording".into(),
        command: Box::new(Command::DeleteRecording(local_id.to_string())),
    }
}

/// The question before removing a run from History.
pub fn remove_run_confirmation(local_id: &str, date: &str) -> Confirmation {
    Confirmation {
        title: "Remove this run from History?".into(),
        body: format!(
            "The run from {date} and its request log will be removed from History. The \
             recording file stays where it is; the run stays on the service."
        ),
        confirm_label: "Yes, remove the run".into(),
        command: Box::new(Command::DeleteRun(local_id.to_string())),
    }
}
