//! Support bundles: open one (the file dialog, a drop on the window, or its path — headless
//! machines have no dialog) and replay it through an in-process simulator at any speed, step
//! by step; export the run on screen as one ("include the recording" is opt-in: it holds the
//! candidate's voice).

use egui::{RichText, Ui};

use crate::support::replay::{ReplaySpeed, signature};
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
        let l = ui.label(labels::BUNDLE_PATH);
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut desk.bundle_path)
                    .desired_width(200.0)
                    .hint_text("path to support.zip, or drop it here"),
            )
            .labelled_by(l.id);
        if desk.focus_bundle_path {
            field.request_focus();
            desk.focus_bundle_path = false;
        }
        let typed = !desk.bundle_path.trim().is_empty();
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui
            .add_enabled(
                typed && !desk.opening_bundle,
                egui::Button::new(labels::OPEN_BUNDLE),
            )
            .clicked()
            || (entered && typed)
        {
            cmds.push(Command::Support(SupportCommand::OpenBundle));
        }
        if ui.button(labels::CHOOSE_BUNDLE).clicked() {
            cmds.push(Command::Support(SupportCommand::ChooseBundle));
        }
        if desk.opening_bundle {
            ui.spinner();
        }
    });
    if let Some(e) = &desk.bundle_dialog_error {
        ui.label(RichText::new(e).weak());
    }
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
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(!running, egui::Button::new(labels::REPLAY))
                .clicked()
            {
                cmds.push(Command::Support(SupportCommand::StartReplay));
            }
            speed_ui(ui, &mut desk.replay_speed, !running);
        });
        let waited = crate::support::replay::total_wait_secs(&b.record.exchanges);
        if waited >= 1.0 {
            ui.label(
                RichText::new(format!(
                    "The original waited {} in all; at {} a replay waits {}.",
                    wait_words(waited),
                    desk.replay_speed,
                    match desk.replay_speed {
                        ReplaySpeed::Max => "not at all".to_string(),
                        s => wait_words(waited / s.factor()),
                    }
                ))
                .weak(),
            );
        }
    }
    replay_ui(ui, desk, cmds);
    ui.add_space(6.0);
    export_ui(ui, desk, on_screen, cmds);
}

/// `20 min 05 s`, `42 s`.
fn wait_words(secs: f64) -> String {
    crate::support::wire::duration_text((secs * 1000.0).round() as u64)
}

/// The speeds offered beside *Replay bundle*.
const SPEEDS: [ReplaySpeed; 4] = [
    ReplaySpeed::Times(1.0),
    ReplaySpeed::Times(10.0),
    ReplaySpeed::Times(100.0),
    ReplaySpeed::Max,
];

fn speed_ui(ui: &mut Ui, speed: &mut ReplaySpeed, enabled: bool) {
    ui.add_enabled_ui(enabled, |ui| {
        ui.label(labels::REPLAY_SPEED);
        for s in SPEEDS {
            let text = match s {
                ReplaySpeed::Times(n) if n <= 1.0 => "1× (as the original)".to_string(),
                other => other.to_string(),
            };
            ui.selectable_value(speed, s, text).on_hover_text(
                "Every wait divided by this; the requests, the waits chosen and the outcome \
                     are the same at any speed",
            );
        }
    });
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
                    format!(
                        "Replay matches the original: same requests, same waits, same outcome \
                         (at {} in {:.1} s; the original waited {})",
                        rep.speed,
                        rep.elapsed.as_secs_f64(),
                        wait_words(rep.original_wait_secs())
                    )
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
