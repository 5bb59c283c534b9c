//! The settings screen: key, service address, language, submission defaults.

use egui::{RichText, Ui};

use crate::ui::app::{App, Command};
use crate::ui::dialogs::language_list_ui;

/// Draws the settings.
pub fn settings_ui(ui: &mut Ui, app: &mut App, cmds: &mut Vec<Command>) {
    ui.heading("Settings");
    ui.add_space(6.0);
    ui.label(RichText::new("Language").strong());
    let name = crate::languages::language_name(&app.state.language).unwrap_or("unknown");
    ui.label(format!(
        "Submissions are scored as {name} ({}).",
        app.state.language
    ));
    language_list_ui(
        ui,
        &mut app.language_filter,
        &app.state.language.clone(),
        cmds,
    );
}
