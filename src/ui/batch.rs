//! The Batch screen: choose a folder of recordings or a CSV manifest (dialog or path field),
//! see what it will cost against the balance, start it, and watch a table of rows (file,
//! status, countdown, scores, error code) fill in live; pause, resume, cancel, open a row's
//! result, export the table. Drawing only: every side effect is a [`Command::Batch`].

use std::time::SystemTime;

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::engine::outcome::OutcomeKind;
use crate::ui::app::{App, BatchCommand, BatchRowView, Command, row_status, rows_to_score};

/// Labels tests and the screen share.
pub mod labels {
    /// The path field.
    pub const PATH: &str = "Folder or manifest";
    /// Opens the folder dialog.
    pub const CHOOSE_FOLDER: &str = "Choose folder…";
    /// Opens the manifest dialog.
    pub const CHOOSE_MANIFEST: &str = "Choose manifest…";
    /// Reads the path and estimates the cost.
    pub const CHECK: &str = "Check";
    /// Starts (or continues) the batch.
    pub const START: &str = "Start batch";
    /// No new row starts.
    pub const PAUSE: &str = "Pause";
    /// Rows start again.
    pub const RESUME: &str = "Resume";
    /// Stops the batch (it stays resumable).
    pub const CANCEL: &str = "Cancel batch";
    /// Where the export goes.
    pub const EXPORT_PATH: &str = "Export to";
    /// Writes the table as CSV.
    pub const EXPORT: &str = "Export CSV";
    /// A row's result.
    pub const OPEN: &str = "Open";
}

/// Draws the Batch screen.
pub fn batch_ui(ui: &mut Ui, app: &mut App, cmds: &mut Vec<Command>) {
    ui.heading("Score many recordings");
    ui.label(
        "A folder of recordings (.wav .mp3 .m4a .webm .ogg .flac), or a CSV manifest with the \
         columns file, language, externalId, metadata. At most 8 run at once, within the \
         account's request limit; starting the same folder again continues it.",
    );
    ui.add_space(6.0);
    let running = app.batch.running.is_some();
    ui.horizontal_wrapped(|ui| {
        let l = ui.label(labels::PATH);
        let field = ui
            .add_enabled(
                !running,
                egui::TextEdit::singleline(&mut app.batch.path).desired_width(360.0),
            )
            .labelled_by(l.id);
        if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            cmds.push(Command::Batch(BatchCommand::Check));
        }
        if ui
            .add_enabled(
                !running && !app.batch.checking,
                egui::Button::new(labels::CHECK),
            )
            .clicked()
        {
            cmds.push(Command::Batch(BatchCommand::Check));
        }
        if ui
            .add_enabled(!running, egui::Button::new(labels::CHOOSE_FOLDER))
            .clicked()
        {
            cmds.push(Command::Batch(BatchCommand::PickFolder));
        }
        if ui
            .add_enabled(!running, egui::Button::new(labels::CHOOSE_MANIFEST))
            .clicked()
        {
            cmds.push(Command::Batch(BatchCommand::PickManifest));
        }
    });
    if let Some(why) = &app.batch.dialog_error {
        ui.label(RichText::new(why).color(ui.visuals().warn_fg_color));
    }
    if app.batch.checking {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Reading the recordings…");
        });
    }
    plan_ui(ui, app, cmds);
    controls_ui(ui, app, cmds);
    if let Some(summary) = &app.batch.summary {
        ui.label(summary);
    }
    ui.add_space(6.0);
    if !app.batch.rows.is_empty() {
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(labels::EXPORT_PATH);
            ui.add(egui::TextEdit::singleline(&mut app.batch.export_path).desired_width(360.0))
                .labelled_by(l.id);
            if ui.button(labels::EXPORT).clicked() {
                cmds.push(Command::Batch(BatchCommand::Export));
            }
        });
        ui.add_space(4.0);
        table_ui(ui, &app.batch.rows, cmds);
    }
    // A countdown on screen: one repaint a second while a row waits.
    if app
        .batch
        .rows
        .iter()
        .any(|r| r.run.as_ref().is_some_and(|p| p.wait.is_some()))
    {
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs(1));
    }
}

/// What the checked folder or manifest will cost, against the balance.
fn plan_ui(ui: &mut Ui, app: &App, cmds: &mut Vec<Command>) {
    let Some(plan) = &app.batch.plan else { return };
    let plan = match plan {
        Ok(p) => p,
        Err(e) => {
            ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
            return;
        }
    };
    let to_score = rows_to_score(&plan.state);
    if plan.ran {
        // The estimate was of the batch before it ran; what is left needs a fresh look.
        if to_score > 0 {
            ui.label(format!(
                "{} left to score. Check again for the cost of what is left.",
                recordings(to_score)
            ));
            if app.batch.running.is_none() && ui.button(labels::START).clicked() {
                cmds.push(Command::Batch(BatchCommand::Start));
            }
        }
        return;
    }
    ui.label(format!(
        "{}; {} to score{}.",
        recordings(plan.state.rows.len()),
        to_score,
        if plan.done_before > 0 {
            format!(", {} ended before", plan.done_before)
        } else {
            String::new()
        }
    ));
    let cost = crate::guidance::credits_text(plan.estimated_credits as f64);
    let mut line = format!("Estimated cost: {cost} (1 credit per started minute)");
    if plan.unreadable > 0 {
        line.push_str(&format!(
            "; {} the local checks refuse (never sent, no cost)",
            recordings(plan.unreadable)
        ));
    }
    let balance = match &app.balance {
        Some(Ok(Some(b))) => Some(*b),
        _ => None,
    };
    match &app.balance {
        Some(Ok(Some(b))) => {
            line.push_str(&format!(" · balance {}", crate::guidance::credits_text(*b)))
        }
        Some(Err(e)) => line.push_str(&format!(" · balance unknown ({e})")),
        _ => line.push_str(" · balance: asking the service…"),
    }
    ui.label(line);
    if let Some(b) = balance
        && plan.estimated_credits as f64 > b
    {
        ui.label(
            RichText::new(
                "That is more than the balance: rows past it will be refused \
                 (INSUFFICIENT_CREDITS). Top up first, or start anyway and run the batch \
                 again after topping up.",
            )
            .color(ui.visuals().warn_fg_color),
        );
    }
    if app.batch.running.is_none() && to_score > 0 {
        let label = if plan.done_before > 0 || plan.state.rows.iter().any(|r| r.local_id.is_some())
        {
            format!("{} ({to_score} left)", labels::START)
        } else {
            labels::START.to_string()
        };
        if ui.button(label).clicked() {
            cmds.push(Command::Batch(BatchCommand::Start));
        }
    }
}

fn controls_ui(ui: &mut Ui, app: &App, cmds: &mut Vec<Command>) {
    if app.batch.running.is_none() {
        return;
    }
    let total = app.batch.rows.len();
    let ended = app.batch.ended();
    ui.horizontal(|ui| {
        ui.add(
            egui::ProgressBar::new(if total == 0 {
                0.0
            } else {
                ended as f32 / total as f32
            })
            .desired_width(240.0)
            .text(format!("{ended} of {total} ended")),
        );
        if app.batch.cancelling {
            ui.spinner();
            ui.label("Stopping; runs already submitted stay resumable…");
        } else {
            if app.batch.paused {
                ui.label("Paused: no new recording starts; those in flight go on.");
                if ui.button(labels::RESUME).clicked() {
                    cmds.push(Command::Batch(BatchCommand::Resume));
                }
            } else if ui.button(labels::PAUSE).clicked() {
                cmds.push(Command::Batch(BatchCommand::Pause));
            }
            if ui.button(labels::CANCEL).clicked() {
                cmds.push(Command::Batch(BatchCommand::Cancel));
            }
        }
    });
}

/// "1 recording", "12 recordings".
fn recordings(n: usize) -> String {
    if n == 1 {
        "1 recording".into()
    } else {
        format!("{n} recordings")
    }
}

/// A row's countdown column: the wait's reason and seconds left.
fn countdown(r: &BatchRowView) -> String {
    let Some(wait) = r.run.as_ref().and_then(|p| p.wait.as_ref()) else {
        return String::new();
    };
    let left = wait.seconds_left(SystemTime::now());
    crate::guidance::wait_headline(wait.reason, left).unwrap_or_else(|| format!("{left} s"))
}

fn table_ui(ui: &mut Ui, rows: &[BatchRowView], cmds: &mut Vec<Command>) {
    // Wider than a small window: it scrolls sideways there.
    egui::ScrollArea::horizontal()
        .id_salt("batch_table")
        .show(ui, |ui| rows_table_ui(ui, rows, cmds));
}

fn rows_table_ui(ui: &mut Ui, rows: &[BatchRowView], cmds: &mut Vec<Command>) {
    // The table takes what is left of the window and scrolls (a batch may have thousands of
    // rows; only the visible ones are drawn).
    let height = (ui.available_height() - 30.0).max(110.0);
    TableBuilder::new(ui)
        .striped(true)
        .max_scroll_height(height)
        .column(Column::exact(30.0))
        .column(Column::exact(140.0).clip(true))
        .column(Column::exact(160.0).clip(true))
        .column(Column::exact(210.0).clip(true))
        .column(Column::exact(60.0))
        .column(Column::exact(150.0).clip(true))
        .column(Column::exact(56.0))
        .header(22.0, |mut header| {
            for name in ["#", "File", "Status", "Wait", "Overall", "Error code", ""] {
                header.col(|ui| {
                    ui.strong(name);
                });
            }
        })
        .body(|body| {
            body.rows(22.0, rows.len(), |mut row| {
                let Some(r) = rows.get(row.index()) else {
                    return;
                };
                row.col(|ui| {
                    ui.label(r.row.to_string());
                });
                row.col(|ui| {
                    ui.label(&r.file);
                });
                row.col(|ui| {
                    let status = row_status(r);
                    let colour = match r.ending.as_ref().map(|e| e.kind) {
                        Some(OutcomeKind::Success | OutcomeKind::Partial) => {
                            ui.visuals().text_color()
                        }
                        Some(OutcomeKind::Cancelled) | None => ui.visuals().weak_text_color(),
                        Some(_) => ui.visuals().error_fg_color,
                    };
                    let earlier = r.ending.as_ref().is_some_and(|e| e.earlier);
                    let text = if earlier {
                        format!("{status} (before)")
                    } else {
                        status
                    };
                    ui.label(RichText::new(text).color(colour));
                });
                row.col(|ui| {
                    ui.label(countdown(r));
                });
                row.col(|ui| {
                    let e = r.ending.as_ref();
                    let score = match (e.and_then(|e| e.overall), e.and_then(|e| e.cefr.clone())) {
                        (Some(s), Some(c)) => format!("{s:.1} {c}"),
                        (Some(s), None) => format!("{s:.1}"),
                        _ => String::new(),
                    };
                    ui.label(score);
                });
                row.col(|ui| {
                    let code = r.ending.as_ref().and_then(|e| e.code.clone());
                    let l = ui.label(code.clone().unwrap_or_default());
                    if let Some(m) = r.ending.as_ref().and_then(|e| e.message.clone()) {
                        l.on_hover_text(m);
                    }
                });
                row.col(|ui| {
                    let can_open = r.local_id.is_some()
                        && r.ending.as_ref().is_some_and(|e| {
                            !matches!(e.kind, OutcomeKind::InvalidInput | OutcomeKind::Cancelled)
                        });
                    if can_open
                        && ui
                            .button(labels::OPEN)
                            .on_hover_text(format!("Open row {}'s result", r.row))
                            .clicked()
                    {
                        cmds.push(Command::Batch(BatchCommand::OpenResult(r.row)));
                    }
                });
            });
        });
}
