//! Support bundles: open one and replay it through an in-process simulator, step by step; export
//! the run on screen as one ("include the recording" is opt-in: it holds the candidate's voice).

use egui::{RichText, Ui};

use crate::support::replay::signature;
use crate::ui::app::{Command, SupportCommand, dialog_for};
use crate::ui::support::explain::dialog_preview_ui;
use crate::ui::support::{RunOnScreen, SupportDesk, labelled_field, labels};

/// Draws the bundle panel: open, replay, export.
pub fn bundles_ui(
    ui: &mut Ui,
    desk: &mut SupportDesk,
    on_screen: &RunOnScreen<'_>,
    cmds: &mut Vec<Command>,
) {
    ui.heading("Bundles");
    ui.horizontal_wrapped(|ui| {
        labelled_field(ui, labels::BUNDLE_PATH, &mut desk.bundle_path, 200.0);
        if ui.button(labels::OPEN_BUNDLE).clicked() {
            cmds.push(Command::Support(SupportCommand::OpenBundle));
        }
    });
    if let Some(e) = &desk.bundle_error {
        ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
    }
    if let Some(b) = &desk.bundle {
        let m = &b.manifest;
        ui.add(
            egui::Label::new(format!(
                "Run {} · {} · {} requests · app {} on {} {}",
                m.run_id.as_deref().unwrap_or("(none)"),
                m.outcome.as_deref().unwrap_or("unfinished"),
                m.exchanges,
                m.app_version,
                m.os,
                m.arch
            ))
            .wrap(),
        );
        if let Some(f) = &m.audio.format {
            ui.label(format!(
                "Audio: {f}, {} s{}",
                m.audio.duration_ms.unwrap_or(0) / 1000,
                m.audio
                    .device
                    .as_deref()
                    .map_or(String::new(), |d| format!(", from {d}"))
            ));
        }
        let running = desk.replay.as_ref().is_some_and(|r| r.report.is_none());
        if ui
            .add_enabled(!running, egui::Button::new(labels::REPLAY))
            .clicked()
        {
            cmds.push(Command::Support(SupportCommand::StartReplay));
        }
    }
    replay_ui(ui, desk, cmds);
    ui.add_space(6.0);
    export_ui(ui, desk, on_screen, cmds);
}

fn replay_ui(ui: &mut Ui, desk: &SupportDesk, cmds: &mut Vec<Command>) {
    let Some(r) = &desk.replay else { return };
    egui::Frame::group(ui.style()).show(ui, |ui| {
        for (i, ex) in r.exchanges.iter().enumerate() {
            ui.label(RichText::new(format!("{}. {}", i + 1, signature(ex))).monospace());
        }
        if let Some(w) = &r.waiting {
            ui.label(RichText::new(w).weak());
        }
        match &r.report {
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Replaying…");
                    if ui.button("Stop replay").clicked() {
                        cmds.push(Command::Support(SupportCommand::StopReplay));
                    }
                });
            }
            Some(Err(e)) => {
                ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
            }
            Some(Ok(rep)) => {
                let verdict = if rep.matches() {
                    "Replay matches the original: same requests, same outcome".to_string()
                } else {
                    format!(
                        "Replay differs from the original: {}",
                        rep.first_difference()
                            .unwrap_or_else(|| "the outcome differs".into())
                    )
                };
                ui.add(egui::Label::new(RichText::new(verdict).strong()).wrap());
                ui.label(format!("Outcome: {}", rep.outcome.kind.as_str()));
                if let Some(err) = &rep.outcome.error {
                    dialog_preview_ui(ui, &dialog_for(err, rep.outcome.run_id.as_deref()));
                }
            }
        }
    });
}

fn export_ui(
    ui: &mut Ui,
    desk: &mut SupportDesk,
    on_screen: &RunOnScreen<'_>,
    cmds: &mut Vec<Command>,
) {
    ui.label(RichText::new("Export the run on screen").strong());
    if !on_screen.can_export {
        ui.label(RichText::new("Open a run from History first.").weak());
        return;
    }
    ui.horizontal_wrapped(|ui| {
        labelled_field(ui, labels::EXPORT_PATH, &mut desk.export_path, 200.0);
    });
    ui.checkbox(&mut desk.include_recording, labels::INCLUDE_RECORDING)
        .on_hover_text("The recording holds the candidate's voice: include it only with consent");
    ui.horizontal(|ui| {
        if ui
            .add_enabled(!desk.exporting, egui::Button::new(labels::EXPORT))
            .clicked()
        {
            cmds.push(Command::Support(SupportCommand::Export));
        }
        if desk.exporting {
            ui.spinner();
        }
    });
    match &desk.export_result {
        Some(Ok(t)) => {
            ui.add(egui::Label::new(t.as_str()).wrap());
        }
        Some(Err(e)) => {
            ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
        }
        None => {}
    }
}
