//! The progress screen: a run in flight.

use egui::Ui;

use crate::ui::app::{App, Command};

/// Draws the progress of the current run.
pub fn progress_ui(ui: &mut Ui, _app: &App, _cmds: &mut Vec<Command>) {
    ui.heading("Progress");
    ui.label("No run in progress.");
}
