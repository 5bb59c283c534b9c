//! The history screen: every run so far.

use egui::Ui;

use crate::ui::app::{App, Command};

/// Draws the list of runs.
pub fn history_ui(ui: &mut Ui, _app: &App, _cmds: &mut Vec<Command>) {
    ui.heading("History");
    ui.label("No runs yet.");
}
