//! Service profiles on screen: the switch in the header (one click per profile, the active one
//! always shown, "demo or real" at a glance) and the list in Settings (add, remove).

use egui::{RichText, Ui};

use crate::ui::app::{App, Command, Confirmation};

/// Labels tests and screen readers find the widgets by.
pub mod labels {
    /// The header's profile switch.
    pub const PROFILE: &str = "Profile";
    /// The new profile's name (Settings).
    pub const NEW_NAME: &str = "New profile name";
    /// The new profile's address (Settings).
    pub const NEW_URL: &str = "New profile address";
    /// Adds it.
    pub const ADD: &str = "Add profile";
}

/// More profiles than this and the header shows a drop-down instead of one button each.
const BUTTONS_UP_TO: usize = 4;

/// The least width the header's profile switch needs: its label and a drop-down wide enough
/// for the longest name it may show (the header puts it on a line of its own when the
/// screens leave less).
pub fn profile_switch_min_width(ui: &Ui, app: &App) -> f32 {
    let font = egui::TextStyle::Button.resolve(ui.style());
    let widest = app
        .profiles
        .list
        .iter()
        .map(|p| p.name.as_str())
        .chain([crate::guidance::ENV_MARKER, labels::PROFILE])
        .map(|name| {
            ui.fonts_mut(|f| f.layout_no_wrap(name.to_string(), font.clone(), egui::Color32::WHITE))
                .size()
                .x
        })
        .fold(0.0, f32::max);
    // The label, the drop-down's text, its arrow and paddings, and the "no key" button.
    2.0 * widest + 4.0 * ui.spacing().button_padding.x + ui.spacing().icon_width + 80.0
}

/// The header's profile switch: `Profile: [production] [staging] [simulator]`, the active one
/// selected; a click switches.
pub fn profile_switch_ui(ui: &mut Ui, app: &App, cmds: &mut Vec<Command>) {
    let active = app.profiles.active();
    let label = ui.label(RichText::new(labels::PROFILE).weak());
    // While the environment decides the service, no profile is the one in use: the drop-down
    // says "environment", and a click on any profile (the active one too) chooses it.
    let env = app.env_in_use().is_some();
    // Until the key saved before profiles is read, which profile is active is not decided.
    let decided = !env && !app.profiles_migrating;
    let selected = |p: &crate::store::Profile| decided && p.name == active.name;
    let hover = |p: &crate::store::Profile| {
        format!(
            "{}: {}{}",
            p.name,
            p.describe(),
            if p.simulator { "" } else { " (its own key)" }
        )
    };
    // One button per profile when they fit; a drop-down in a narrow window or for many.
    let font = egui::TextStyle::Button.resolve(ui.style());
    let needed: f32 = app
        .profiles
        .list
        .iter()
        .map(|p| {
            ui.fonts_mut(|f| f.layout_no_wrap(p.name.clone(), font.clone(), egui::Color32::WHITE))
                .size()
                .x
                + 2.0 * ui.spacing().button_padding.x
                + ui.spacing().item_spacing.x
        })
        .sum();
    if !env && app.profiles.list.len() <= BUTTONS_UP_TO && needed + 60.0 <= ui.available_width() {
        for p in &app.profiles.list {
            let text = if p.simulator {
                RichText::new(&p.name).color(ui.visuals().warn_fg_color)
            } else {
                RichText::new(&p.name)
            };
            if ui
                .selectable_label(selected(p), text)
                .on_hover_text(hover(p))
                .clicked()
                && !selected(p)
            {
                cmds.push(Command::SwitchProfile(p.name.clone()));
            }
        }
    } else {
        let shown = if env {
            RichText::new(crate::guidance::ENV_MARKER).color(ui.visuals().warn_fg_color)
        } else if decided {
            RichText::new(&active.name)
        } else {
            RichText::new("…")
        };
        let response = egui::ComboBox::from_id_salt("profile_switch")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                for p in &app.profiles.list {
                    if ui
                        .selectable_label(selected(p), &p.name)
                        .on_hover_text(hover(p))
                        .clicked()
                        && !selected(p)
                    {
                        cmds.push(Command::SwitchProfile(p.name.clone()));
                    }
                }
            })
            .response
            .labelled_by(label.id);
        if env {
            response.on_hover_text(crate::guidance::env_marker_hover(&app.env_vars_in_use()));
        }
    }
    let keyless = !active.simulator && app.connection.is_ready() && app.connection.key.is_none();
    if keyless
        && ui
            .small_button(RichText::new("no key").color(ui.visuals().error_fg_color))
            .on_hover_text("No key is saved for this profile: add one in Settings")
            .clicked()
    {
        cmds.push(Command::FocusKeySettings);
    }
}

/// The profiles in Settings: each with its address, "Use" and "Remove"; and a new one.
pub fn profiles_settings_ui(ui: &mut Ui, app: &mut App, cmds: &mut Vec<Command>) {
    ui.label(RichText::new("Service profiles").strong());
    ui.label(
        RichText::new(
            "Each profile is a service with its own address and its own key. Switch in the \
             header; the key and address above belong to the profile named there.",
        )
        .weak(),
    );
    let active = app.profiles.active().name;
    egui::Grid::new("profiles")
        .num_columns(3)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            for p in &app.profiles.list {
                let name = if p.name == active {
                    RichText::new(format!("{} (active)", p.name)).strong()
                } else {
                    RichText::new(&p.name)
                };
                ui.label(name);
                ui.label(RichText::new(p.describe()).monospace().small());
                ui.horizontal(|ui| {
                    if p.name != active && ui.small_button(format!("Use {}", p.name)).clicked() {
                        cmds.push(Command::SwitchProfile(p.name.clone()));
                    }
                    if !p.is_built_in() && ui.small_button(format!("Remove {}", p.name)).clicked() {
                        cmds.push(Command::Confirm(Confirmation {
                            title: format!("Remove profile {}?", p.name),
                            body: format!(
                                "The profile and the key saved for it are removed. Runs made with it stay in the history. ({})",
                                p.describe()
                            ),
                            confirm_label: "Remove profile".into(),
                            command: Box::new(Command::RemoveProfile(p.name.clone())),
                        }));
                    }
                });
                ui.end_row();
            }
        });
    ui.horizontal_wrapped(|ui| {
        let l = ui.label(labels::NEW_NAME);
        ui.add(
            egui::TextEdit::singleline(&mut app.profile_form.name)
                .hint_text("staging")
                .desired_width(120.0),
        )
        .labelled_by(l.id);
        let l = ui.label(labels::NEW_URL);
        ui.add(
            egui::TextEdit::singleline(&mut app.profile_form.base_url)
                .hint_text("https://staging.example")
                .desired_width(240.0),
        )
        .labelled_by(l.id);
        let ready = !app.profile_form.name.trim().is_empty()
            && !app.profile_form.base_url.trim().is_empty();
        if ui
            .add_enabled(ready, egui::Button::new(labels::ADD))
            .clicked()
        {
            cmds.push(Command::AddProfile);
        }
    });
}
