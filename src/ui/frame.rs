//! One frame of the app: navigation bar, demo banner, the current screen, modals and toasts.
//! Drawing only; every side effect is pushed as a [`Command`].

use egui::{RichText, Ui};

use crate::guidance;
use crate::ui::app::{App, Command, KeyWait, Screen, TOAST_TIME};
use crate::ui::{dialogs, history, progress, record, result, settings, trend};

/// Draws the whole window.
pub fn frame_ui(ui: &mut Ui, app: &mut App, cmds: &mut Vec<Command>) {
    let ctx = ui.ctx().clone();
    dropped_files(&ctx, cmds);
    keyboard_shortcuts(&ctx, app, cmds);
    // The panels leave their fill to the window's clear colour (the same `panel_fill`, see
    // `App::clear_color`): one full-window quad less to shade per frame, which is most of a
    // frame's cost on a software renderer.
    let style = ui.style().clone();
    let bare = |frame: egui::Frame| frame.fill(egui::Color32::TRANSPARENT);
    egui::Panel::top("nav")
        .frame(bare(egui::Frame::side_top_panel(&style)))
        .show(ui, |ui| {
            ui.add_space(4.0);
            nav_ui(ui, app, cmds);
            ui.add_space(2.0);
            if app.connection.demo {
                demo_banner_ui(ui, cmds);
            }
        });
    egui::Panel::bottom("status")
        .frame(bare(egui::Frame::side_top_panel(&style)))
        .show(ui, |ui| status_bar_ui(ui, app));
    egui::CentralPanel::default()
        .frame(bare(egui::Frame::central_panel(&style)))
        .show(ui, |ui| match app.state.screen {
            Screen::Record => record::record_ui(ui, app, cmds),
            Screen::Progress => progress::progress_ui(ui, app, cmds),
            Screen::Result => result::result_screen_ui(ui, app, cmds),
            Screen::History => history::history_ui(ui, app, cmds),
            Screen::Settings => settings::settings_ui(ui, app, cmds),
            Screen::Support => crate::ui::support::support_screen_ui(ui, app, cmds),
            Screen::Trend => trend::trend_ui(ui, app, cmds),
            Screen::Batch => crate::ui::batch::batch_ui(ui, app, cmds),
        });
    modals_ui(&ctx, app, cmds);
}

/// At most one modal at a time: a confirmation first, then the address to copy, the error
/// dialog, the record screen's dialog, the language picker.
fn modals_ui(ctx: &egui::Context, app: &mut App, cmds: &mut Vec<Command>) {
    if let Some(confirmation) = &app.confirm {
        dialogs::confirm_ui(ctx, confirmation, cmds);
    } else if let Some(fallback) = &app.url_fallback {
        dialogs::url_fallback_ui(ctx, fallback, cmds);
    } else if let Some(dialog) = &app.dialog {
        dialogs::error_dialog_ui(ctx, dialog, cmds);
    } else if let Some(dialog) = &app.audio.dialog {
        record::record_dialog_ui(ctx, dialog, cmds);
    } else if app.language_picker_open {
        let current = app.take_language().to_string();
        dialogs::language_picker_ui(
            ctx,
            &mut app.language_filter,
            &current,
            &app.settings.default_language,
            &mut app.language_make_default,
            cmds,
        );
    }
}

fn nav_ui(ui: &mut Ui, app: &App, cmds: &mut Vec<Command>) {
    let switch_width = crate::ui::profiles::profile_switch_min_width(ui, app);
    let placed = ui.horizontal(|ui| {
        ui.label(RichText::new("speech-scorer").strong());
        ui.separator();
        let mut screens = vec![Screen::Record];
        if app.is_submitting() || app.state.screen == Screen::Progress {
            screens.push(Screen::Progress);
        }
        if app.result.is_some() {
            screens.push(Screen::Result);
        }
        screens.extend([
            Screen::History,
            Screen::Trend,
            Screen::Batch,
            Screen::Settings,
            Screen::Support,
        ]);
        for s in screens {
            if ui
                .selectable_label(app.state.screen == s, s.label())
                .clicked()
            {
                cmds.push(Command::Navigate(s));
            }
        }
        // The profile switch beside the screens when it fits, else on a line of its own
        // (a narrow window must not cut it off).
        if ui.available_width() < switch_width {
            return false;
        }
        ui.separator();
        crate::ui::profiles::profile_switch_ui(ui, app, cmds);
        true
    });
    if !placed.inner {
        ui.horizontal(|ui| crate::ui::profiles::profile_switch_ui(ui, app, cmds));
    }
}

fn demo_banner_ui(ui: &mut Ui, cmds: &mut Vec<Command>) {
    egui::Frame::new()
        .fill(ui.visuals().warn_fg_color.gamma_multiply(0.18))
        .inner_margin(egui::Margin::symmetric(8, 4))
        .corner_radius(4)
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new("Simulated service — results are not real")
                        .strong()
                        .color(ui.visuals().warn_fg_color),
                );
                if ui.button("Enter a real API key").clicked() {
                    cmds.push(Command::FocusKeySettings);
                }
            });
        });
    ui.add_space(4.0);
}

fn status_bar_ui(ui: &mut Ui, app: &mut App) {
    ui.add_space(2.0);
    if let Some(toast) = &app.toast {
        let age = toast.shown_at.elapsed();
        // Errors stay up longer: they usually say what to do.
        let shown_for = if toast.is_error {
            TOAST_TIME * 2
        } else {
            TOAST_TIME
        };
        if age >= shown_for {
            app.toast = None;
        } else {
            let colour = if toast.is_error {
                ui.visuals().error_fg_color
            } else {
                ui.visuals().text_color()
            };
            ui.add(egui::Label::new(RichText::new(&toast.text).color(colour)).wrap());
            // One repaint when the toast should go; no busy loop while it is shown.
            ui.ctx().request_repaint_after(shown_for - age);
        }
    }
    ui.horizontal_wrapped(|ui| {
        match &app.key_wait {
            KeyWait::Reading => {
                ui.spinner();
                ui.label(RichText::new(guidance::READING_KEY).small());
            }
            KeyWait::Unreadable { .. } => {
                ui.label(
                    RichText::new(guidance::KEY_UNREADABLE_SHORT)
                        .small()
                        .color(ui.visuals().error_fg_color),
                );
            }
            KeyWait::Known => {
                let mut service = if app.connection.demo {
                    "Service: built-in simulator".to_string()
                } else {
                    format!(
                        "Service: {} (profile {})",
                        app.connection.base_url, app.connection.profile
                    )
                };
                if app.env_in_use().is_some() {
                    service.push_str(&format!(
                        " · {}",
                        guidance::env_status(&app.env_vars_in_use())
                    ));
                }
                ui.label(RichText::new(service).weak().small());
            }
        }
        let n = app.resuming.len();
        if n > 0 {
            let runs = if n == 1 { "run" } else { "runs" };
            ui.label(
                RichText::new(format!("· {n} earlier {runs} resuming"))
                    .weak()
                    .small(),
            );
        }
    });
}

fn dropped_files(ctx: &egui::Context, cmds: &mut Vec<Command>) {
    let dropped = ctx.input(|i| i.raw.dropped_files.first().map(|f| f.path().to_path_buf()));
    if let Some(path) = dropped {
        // A support bundle opens on the Support screen; anything else is a recording.
        let is_zip = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
        cmds.push(if is_zip {
            Command::OpenBundleFile(path)
        } else {
            Command::ImportPath(path)
        });
    }
}

/// Space starts and stops recording on the record screen (unless a text field has focus).
fn keyboard_shortcuts(ctx: &egui::Context, app: &App, cmds: &mut Vec<Command>) {
    if app.state.screen != Screen::Record || app.modal_open() {
        return;
    }
    // A focused widget (a text field, or a button that Space would press) keeps the key.
    if ctx.egui_wants_keyboard_input() || ctx.memory(|m| m.focused()).is_some() {
        return;
    }
    if ctx.input(|i| i.key_pressed(egui::Key::Space)) {
        cmds.push(if app.is_recording() {
            Command::StopRecording
        } else {
            Command::StartRecording
        });
    }
}
