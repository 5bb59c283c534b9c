//! The explain box: paste an envelope, a code, a poll body or a `--json` outcome and see the
//! customer's dialog (the same words and button as the modal) plus the technical side.

use egui::{RichText, Ui};

use crate::guidance::MessageOrigin;
use crate::support::explain::{Explanation, InputKind};
use crate::ui::app::{Command, SupportCommand, command_for_action};
use crate::ui::dialogs::ErrorDialog;
use crate::ui::support::{SupportDesk, labels};

/// The customer's dialog for an explanation of `text`.
pub fn dialog_for_explanation(e: &Explanation) -> ErrorDialog {
    let g = &e.guidance;
    let body = g.body.clone();
    let mut d = ErrorDialog {
        title: g.title.clone(),
        body,
        code: g
            .code
            .as_ref()
            .map_or("NETWORK_ERROR".to_string(), |c| c.to_string()),
        message: String::new(),
        origin: MessageOrigin::Service,
        request_id: e.request_id.clone(),
        run_id: e.run_id.clone(),
        http_status: e.http_status,
        action: None,
        at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    d.action = command_for_action(&g.action, &d.support_summary());
    d
}

/// The customer's dialog, drawn inline (same words and button as the modal).
pub fn dialog_preview_ui(ui: &mut Ui, d: &ErrorDialog) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new(&d.title).heading().strong());
        ui.label(&d.body);
        ui.label(RichText::new(d.facts_line()).monospace().small().weak());
        let label = d.action.as_ref().map_or("OK", |(l, _)| l.as_str());
        ui.horizontal(|ui| {
            ui.add_enabled(false, egui::Button::new(RichText::new(label).strong()))
                .on_disabled_hover_text("The button the customer saw");
        });
    });
}

/// Draws the explain box and what it found.
pub fn explain_ui(ui: &mut Ui, desk: &mut SupportDesk, cmds: &mut Vec<Command>) {
    ui.heading("Explain an error");
    let l = ui.label(labels::EXPLAIN_INPUT);
    ui.add(
        egui::TextEdit::multiline(&mut desk.explain_input)
            .desired_rows(4)
            .desired_width(f32::INFINITY)
            .hint_text("An error envelope, a code, a poll body or a --json outcome")
            .code_editor(),
    )
    .labelled_by(l.id);
    ui.horizontal(|ui| {
        if ui.button(labels::EXPLAIN).clicked() {
            cmds.push(Command::Support(SupportCommand::Explain));
        }
    });
    let Some(e) = &desk.explanation else { return };
    if e.input == InputKind::Unrecognised {
        // Free text: no parser understood it, and it is no code either.
        ui.label(
            RichText::new(&e.guidance.title)
                .strong()
                .color(ui.visuals().warn_fg_color),
        );
        ui.add(egui::Label::new(&e.guidance.body).wrap());
        return;
    }
    {
        ui.label(RichText::new("What the customer saw:").small().weak());
        dialog_preview_ui(ui, &dialog_for_explanation(e));
        ui.label(RichText::new("The technical side:").small().weak());
        for line in e.technical_lines() {
            ui.add(egui::Label::new(line).wrap());
        }
    }
}
