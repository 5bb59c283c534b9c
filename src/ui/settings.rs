//! The settings screen: the API key (masked; stored owner-only by `store::secrets`, never shown
//! again), "Test key", the service address, the language, externalId and metadata defaults
//! (checked as you type, with the rules the API uses).

use egui::{RichText, Ui};

use crate::api::client::check_base_url;
use crate::ui::app::{App, Command, KeyTest};
use crate::ui::dialogs::language_list_ui;
use crate::validate::{
    validate_external_id as check_external_id, validate_metadata as check_metadata,
};

/// The accessible label of the key field (tests and screen readers find it by this).
pub const KEY_FIELD_LABEL: &str = "API key";

/// Draws the settings.
pub fn settings_ui(ui: &mut Ui, app: &mut App, cmds: &mut Vec<Command>) {
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.heading("Settings");
            ui.add_space(6.0);
            key_ui(ui, app, cmds);
            ui.add_space(12.0);
            language_ui(ui, app, cmds);
            ui.add_space(12.0);
            defaults_ui(ui, app, cmds);
            ui.add_space(12.0);
            ui.label(RichText::new("Appearance").strong());
            ui.label(RichText::new("Light or dark follows your system setting.").weak());
            ui.add_space(12.0);
            crate::ui::profiles::profiles_settings_ui(ui, app, cmds);
        });
}

fn key_ui(ui: &mut Ui, app: &mut App, cmds: &mut Vec<Command>) {
    ui.label(RichText::new("Service access").strong());
    let target = app.settings_profile();
    ui.label(
        RichText::new(if app.profiles.active().simulator {
            format!(
                "A key saved here goes to profile {target} (with the service address below), \
                 which then becomes active."
            )
        } else {
            format!("The key and the service address below belong to profile {target}.")
        })
        .weak(),
    );
    match (&app.connection.key, app.connection.demo) {
        (Some(key), false) => {
            ui.label(format!("Saved key: {}", key.masked()));
        }
        (None, false) => {
            ui.label(format!(
                "No key saved for profile {}: requests go without one and are refused.",
                app.connection.profile
            ));
        }
        _ => {
            ui.label(
                "No key saved: the app runs on the built-in simulator (results are not real).",
            );
        }
    }
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(KEY_FIELD_LABEL);
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut app.form.key_input)
                    .password(true)
                    .hint_text("paste a new key")
                    .desired_width(300.0),
            )
            .labelled_by(label.id);
        if response.changed() {
            // What a test said about the key before this edit no longer applies.
            app.form.key_changed();
        }
        if app.form.focus_key {
            response.request_focus();
            app.form.focus_key = false;
        }
    });
    ui.horizontal_wrapped(|ui| {
        let typed = !app.form.key_input.trim().is_empty();
        if ui
            .add_enabled(typed, egui::Button::new("Save key"))
            .clicked()
        {
            cmds.push(Command::SaveKey);
        }
        if ui
            .add_enabled(!app.form.key_testing, egui::Button::new("Test key"))
            .on_hover_text("Asks the service for the credit balance with this key")
            .clicked()
        {
            cmds.push(Command::TestKey);
        }
        if !app.connection.demo && ui.button("Forget key").clicked() {
            cmds.push(Command::ForgetKey);
        }
        if ui.button("Open the ZenHire dashboard").clicked() {
            cmds.push(Command::OpenUrl(crate::ui::app::ACCOUNT_URL.to_string()));
        }
    });
    if app.form.key_testing {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Testing the key…");
        });
    }
    let error = ui.visuals().error_fg_color;
    let (text, colour) = match &app.form.key_test {
        Some(KeyTest::Works(balance)) => {
            let b = balance
                .map(|b| format!(" Balance: {}.", crate::guidance::credits_text(b)))
                .unwrap_or_default();
            (format!("The key works.{b}"), ok_colour(ui))
        }
        Some(KeyTest::Refused { code, title }) => (
            format!("The service refused the key: {title} ({code})."),
            error,
        ),
        Some(KeyTest::Unreachable(why)) => (
            format!(
                "The key was not checked: the service could not be reached ({why}). \
                 This is a network problem, not a problem with the key."
            ),
            ui.visuals().warn_fg_color,
        ),
        Some(KeyTest::Failed(why)) => (format!("The key could not be tested: {why}"), error),
        None => return,
    };
    ui.add(egui::Label::new(RichText::new(text).color(colour)).wrap());
}

fn ok_colour(ui: &Ui) -> egui::Color32 {
    if ui.visuals().dark_mode {
        egui::Color32::from_rgb(110, 200, 130)
    } else {
        egui::Color32::from_rgb(20, 120, 50)
    }
}

fn language_ui(ui: &mut Ui, app: &mut App, cmds: &mut Vec<Command>) {
    ui.label(RichText::new("Language").strong());
    let code = app.settings.default_language.clone();
    let name = crate::languages::language_name(&code).unwrap_or("unknown");
    ui.add(
        egui::Label::new(format!(
            "New recordings are scored as {name} ({code}). A language chosen for one \
             recording (Change language) applies to that recording only."
        ))
        .wrap(),
    );
    language_list_ui(
        ui,
        &mut app.language_filter,
        &code,
        |c| Command::SetDefaultLanguage(c.to_string()),
        cmds,
    );
}

/// An inline check result under a field: `None` when fine.
fn problem_ui(ui: &mut Ui, problem: Option<String>) {
    if let Some(p) = problem {
        ui.label(RichText::new(p).small().color(ui.visuals().error_fg_color));
    }
}

fn defaults_ui(ui: &mut Ui, app: &mut App, cmds: &mut Vec<Command>) {
    ui.label(RichText::new("Submission defaults").strong());
    let form = &mut app.form;
    egui::Grid::new("defaults")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            let l = ui.label("External id");
            ui.vertical(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut form.external_id)
                        .hint_text("optional; a fresh ss-<uuid> is used when empty")
                        .desired_width(320.0),
                )
                .labelled_by(l.id);
                let t = form.external_id.trim();
                problem_ui(
                    ui,
                    (!t.is_empty())
                        .then(|| check_external_id(t).err().map(|p| p.message))
                        .flatten(),
                );
            });
            ui.end_row();

            let l = ui.label("Metadata (JSON)");
            ui.vertical(|ui| {
                ui.add(
                    egui::TextEdit::multiline(&mut form.metadata)
                        .hint_text(r#"optional, e.g. {"candidate_id": "c_887"}"#)
                        .desired_rows(2)
                        .desired_width(320.0),
                )
                .labelled_by(l.id);
                let t = form.metadata.trim();
                problem_ui(
                    ui,
                    (!t.is_empty())
                        .then(|| check_metadata(t).err().map(|p| p.message))
                        .flatten(),
                );
            });
            ui.end_row();

            let l = ui.label("Service address");
            ui.vertical(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut form.base_url)
                        .hint_text(crate::api::client::DEFAULT_BASE_URL)
                        .desired_width(320.0),
                )
                .labelled_by(l.id);
                let t = form.base_url.trim();
                problem_ui(
                    ui,
                    (!t.is_empty())
                        .then(|| check_base_url(t).err().map(|e| e.to_string()))
                        .flatten(),
                );
            });
            ui.end_row();
        });
    ui.add_space(6.0);
    if ui.button("Save settings").clicked() {
        cmds.push(Command::SaveSettings);
    }
}
