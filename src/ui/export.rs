//! The export form: where to save (a path field that is always there, filled with a default;
//! *Choose…* opens the save dialog when the desktop has one), *Save*, and what happened.
//! Drawing only; the writing is [`ViewCommand::Export`], off the UI thread.

use egui::{RichText, Ui};

use crate::ui::app::views::ExportKind;
use crate::ui::app::{App, Command, ViewCommand};

/// The accessible label of the export path field.
pub const EXPORT_PATH_LABEL: &str = "Save as";

/// The buttons that open the form for the whole history.
pub fn history_export_buttons_ui(ui: &mut Ui, cmds: &mut Vec<Command>) {
    for (kind, text, hint) in [
        (
            ExportKind::HistoryCsv,
            "Export CSV…",
            "Every run as one row of a spreadsheet",
        ),
        (
            ExportKind::HistoryJsonl,
            "Export JSON Lines…",
            "Every run as one JSON object per line",
        ),
    ] {
        if ui.button(text).on_hover_text(hint).clicked() {
            cmds.push(Command::Views(ViewCommand::OpenExport(kind)));
        }
    }
}

/// The form, when it is open.
pub fn export_form_ui(ui: &mut Ui, app: &mut App, cmds: &mut Vec<Command>) {
    let Some(kind) = app.views.export.kind else {
        return;
    };
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_max_width(ui.available_width().min(760.0));
        ui.label(RichText::new(format!("Export: {}", kind.label())).strong());
        let form = &mut app.views.export;
        ui.horizontal_wrapped(|ui| {
            let label = ui.label(EXPORT_PATH_LABEL);
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut form.path)
                        .desired_width(ui.available_width().clamp(200.0, 460.0)),
                )
                .labelled_by(label.id);
            if form.focus_path {
                field.request_focus();
                form.focus_path = false;
            }
            let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui
                .button("Choose…")
                .on_hover_text("Pick the file in a save dialog")
                .clicked()
            {
                cmds.push(Command::Views(ViewCommand::ChooseExportPath));
            }
            let ready = !form.writing && !form.path.trim().is_empty();
            if (ui.add_enabled(ready, egui::Button::new("Save")).clicked() || entered) && ready {
                cmds.push(Command::Views(ViewCommand::Export));
            }
            if ui.button("Close").clicked() {
                cmds.push(Command::Views(ViewCommand::CloseExport));
            }
            if form.writing {
                ui.spinner();
            }
        });
        if let Some(why) = &form.dialog_error {
            ui.add(egui::Label::new(RichText::new(why).color(ui.visuals().warn_fg_color)).wrap());
        }
        match &form.last {
            Some(Ok(path)) => {
                ui.label(format!("Saved {}", path.display()));
            }
            Some(Err(e)) => {
                ui.add(
                    egui::Label::new(RichText::new(e).color(ui.visuals().error_fg_color)).wrap(),
                );
            }
            None => {}
        }
        if kind == ExportKind::Report {
            ui.label(RichText::new(crate::guidance::REPORT_HINT).weak().small());
        }
    });
    ui.add_space(6.0);
}
