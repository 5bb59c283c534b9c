//! The record screen: record or import a take, check it, see what it will cost, submit.

use egui::{RichText, Ui};

use crate::ui::app::{App, Command, TakeSource};
use crate::ui::widgets::{format_clock, time_bar_ui};

/// Draws the record screen.
pub fn record_ui(ui: &mut Ui, app: &App, cmds: &mut Vec<Command>) {
    ui.heading("Record");
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        if ui
            .add_enabled(!app.importing, egui::Button::new("Import a file…"))
            .clicked()
        {
            cmds.push(Command::PickFile);
        }
        ui.label(RichText::new("or drop an audio file on this window").weak());
        if app.importing {
            ui.spinner();
        }
    });
    ui.add_space(10.0);
    take_ui(ui, app, cmds);
}

fn take_ui(ui: &mut Ui, app: &App, cmds: &mut Vec<Command>) {
    let Some(take) = &app.take else {
        ui.label(RichText::new("No recording yet.").weak());
        return;
    };
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width().min(560.0));
        let name = take
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| take.path.display().to_string());
        let source = match take.source {
            TakeSource::Recorded => "recorded",
            TakeSource::Imported => "imported",
        };
        ui.label(RichText::new(name).strong());
        ui.label(format!(
            "{} · {} · {:.1} MB · {source}",
            format_clock(take.duration),
            take.format.label(),
            take.size_bytes as f64 / 1_000_000.0
        ));
        time_bar_ui(ui, take.duration);
        ui.add_space(4.0);
        let credits = take.estimated_credits();
        ui.label(format!(
            "Estimated cost: {credits} credit{} (1 per started minute)",
            if credits == 1 { "" } else { "s" }
        ));
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            if ui.button("Discard").clicked() {
                cmds.push(Command::DiscardTake);
            }
        });
    });
}
