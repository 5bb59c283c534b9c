//! The settings screen: the API key (masked, never shown again; where it is kept — the system
//! keychain, an owner-only file, or the environment — said in the store's own words, with the
//! one-click move between keychain and file), "Test key", the service address (read-only
//! while it comes from the environment), the language, externalId and metadata defaults
//! (checked as you type, with the rules the API uses).

use egui::{RichText, Ui};

use crate::api::client::check_base_url;
use crate::guidance::{self, KeyWork};
use crate::store::{
    BASE_URL_ENV, KEY_ENV, KEYCHAIN_ENV, KeyLocation, KeychainError, KeychainState,
};
use crate::ui::app::{App, Command, KeyTest, KeyWait};
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
    ui.add(
        egui::Label::new(
            RichText::new(if app.profiles.active().simulator {
                format!(
                    "A key saved here goes to profile {target} (with the service address \
                     below), which then becomes active."
                )
            } else {
                format!("The key and the service address below belong to profile {target}.")
            })
            .weak(),
        )
        .wrap(),
    );
    key_in_use_ui(ui, app);
    key_place_ui(ui, app, cmds);
    let env_key = app.env_key_in_use();
    let working = app.key_panel.working();
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(KEY_FIELD_LABEL);
        let response = ui
            .add_enabled(
                !env_key,
                egui::TextEdit::singleline(&mut app.form.key_input)
                    // A stable id: the lines above it come and go (the key's place, a
                    // spinner), and focus must stay in the field.
                    .id(egui::Id::unique("settings_api_key"))
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
        let can_save = typed && !env_key && !working && app.key_wait != KeyWait::Reading;
        if ui
            .add_enabled(can_save, egui::Button::new("Save key"))
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
        let saved = matches!(app.key_report_shown(), Some(Ok(r)) if r.saved.is_some());
        let in_use = !app.connection.demo && !env_key && app.key_wait == KeyWait::Known;
        if (saved || in_use)
            && ui
                .add_enabled(!working, egui::Button::new("Forget key"))
                .clicked()
        {
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

/// Which key the requests use: the saved one (masked), none, the environment's, or "reading".
fn key_in_use_ui(ui: &mut Ui, app: &App) {
    if let (true, Some(key)) = (app.env_key_in_use(), &app.connection.key) {
        ui.add(egui::Label::new(guidance::env_key_in_use(&key.masked(), KEY_ENV)).wrap());
        ui.add(egui::Label::new(RichText::new(guidance::env_key_note(KEY_ENV)).weak()).wrap());
        return;
    }
    match &app.key_wait {
        KeyWait::Reading => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(guidance::READING_KEY);
            });
            return;
        }
        KeyWait::Unreadable { profile, error } => {
            ui.add(
                egui::Label::new(
                    RichText::new(guidance::key_unreadable(profile, error))
                        .color(ui.visuals().error_fg_color),
                )
                .wrap(),
            );
            return;
        }
        KeyWait::Known => {}
    }
    match (&app.connection.key, app.connection.demo) {
        (Some(key), false) => {
            ui.label(format!("Saved key: {}", key.masked()));
        }
        (None, false) => {
            ui.add(
                egui::Label::new(format!(
                    "No key saved for profile {}: requests go without one and are refused.",
                    app.connection.profile
                ))
                .wrap(),
            );
        }
        _ => {
            ui.add(
                egui::Label::new(
                    "No key saved: the app runs on the built-in simulator (results are not real).",
                )
                .wrap(),
            );
        }
    }
}

/// Where the key is kept (the store's own words), the one-click move, and what to do about a
/// keychain that is there but locked or stuck.
fn key_place_ui(ui: &mut Ui, app: &App, cmds: &mut Vec<Command>) {
    let working = app.key_panel.working();
    match app.key_report_shown() {
        None => {}
        Some(Err(e)) => {
            ui.add(
                egui::Label::new(
                    RichText::new(guidance::key_place_unknown(&e))
                        .color(ui.visuals().error_fg_color),
                )
                .wrap(),
            );
            if ui
                .add_enabled(!working, egui::Button::new(guidance::CHECK_AGAIN))
                .clicked()
            {
                cmds.push(Command::CheckKeyAgain);
            }
        }
        Some(Ok(report)) => {
            let stuck = matches!(
                &report.keychain,
                KeychainState::Problem(e) if !matches!(e, KeychainError::Unavailable(_))
            );
            let text = RichText::new(report.describe());
            ui.add(
                egui::Label::new(if stuck {
                    text.color(ui.visuals().warn_fg_color)
                } else {
                    text
                })
                .wrap(),
            );
            ui.horizontal_wrapped(|ui| {
                if let Some(to) = &report.can_move_to {
                    let to_keychain = matches!(to, KeyLocation::Keychain);
                    if ui
                        .add_enabled(
                            !working,
                            egui::Button::new(guidance::move_key_label(to_keychain)),
                        )
                        .on_hover_text(guidance::move_key_hover(to_keychain))
                        .clicked()
                    {
                        cmds.push(Command::MoveKey(to.clone()));
                    }
                }
                if (stuck || matches!(app.key_wait, KeyWait::Unreadable { .. }))
                    && ui
                        .add_enabled(!working, egui::Button::new(guidance::CHECK_AGAIN))
                        .clicked()
                {
                    cmds.push(Command::CheckKeyAgain);
                }
            });
            if stuck {
                ui.add(
                    egui::Label::new(
                        RichText::new(guidance::keychain_stuck_help(&format!(
                            "{KEYCHAIN_ENV}=off"
                        )))
                        .weak(),
                    )
                    .wrap(),
                );
            }
        }
    }
    let work = app.key_panel.busy.or_else(|| {
        (app.key_wait == KeyWait::Reading && app.key_report_shown().is_none())
            .then_some(KeyWork::Checking)
    });
    if let Some(work) = work {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(guidance::key_work_text(work));
        });
    }
    if let Some(error) = &app.key_panel.error {
        ui.add(egui::Label::new(RichText::new(error).color(ui.visuals().error_fg_color)).wrap());
    }
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
    let env_url = app.env_url_in_use().map(str::to_string);
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
                if let Some(mut url) = env_url.as_deref() {
                    // The environment's: shown, not edited here.
                    ui.add(egui::TextEdit::singleline(&mut url).desired_width(320.0))
                        .labelled_by(l.id);
                    ui.add(
                        egui::Label::new(
                            RichText::new(guidance::env_url_note(BASE_URL_ENV)).weak(),
                        )
                        .wrap(),
                    );
                    return;
                }
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
