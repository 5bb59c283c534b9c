//! The explain box: paste an envelope, a code, a poll body or a `--json` outcome and see the
//! customer's dialog (the same words and button as the modal) plus the technical side.

use egui::{RichText, Ui};

use crate::api::ErrorCode;
use crate::guidance::{self, MessageOrigin};
use crate::support::explain::Explanation;
use crate::ui::app::{Command, SupportCommand, command_for_action};
use crate::ui::dialogs::ErrorDialog;
use crate::ui::support::{SupportDesk, labels};

/// `details.cost` / `details.available` of a pasted INSUFFICIENT_CREDITS envelope.
fn shortfall_in(text: &str) -> Option<(f64, f64)> {
    let v: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
    let details = v
        .get("error")
        .unwrap_or(&v)
        .get("details")
        .or_else(|| v.pointer("/error/details"))?;
    Some((
        details.get("cost")?.as_f64()?,
        details.get("available")?.as_f64()?,
    ))
}

/// The customer's dialog for an explanation of `text`.
pub fn dialog_for_explanation(e: &Explanation, text: &str) -> ErrorDialog {
    let g = &e.guidance;
    // The same words the app's own dialog uses (the table's template gets plurals wrong).
    let body = match (&g.code, shortfall_in(text)) {
        (Some(ErrorCode::InsufficientCredits), Some((cost, available))) => {
            guidance::insufficient_credits_body(cost, available)
        }
        _ => g.body.clone(),
    };
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
    if let Some(ErrorCode::Unknown(text)) = &e.guidance.code
        && !guidance::is_code_shaped(text)
    {
        // Free text: no parser understood it, and it is no code either.
        let (title, body) = guidance::not_recognised(&desk.explained);
        ui.label(
            RichText::new(title)
                .strong()
                .color(ui.visuals().warn_fg_color),
        );
        ui.add(egui::Label::new(body).wrap());
        return;
    }
    {
        ui.label(RichText::new("What the customer saw:").small().weak());
        dialog_preview_ui(ui, &dialog_for_explanation(e, &desk.explained));
        ui.label(RichText::new("The technical side:").small().weak());
        for line in e.technical_lines() {
            ui.add(egui::Label::new(line).wrap());
        }
    }
}
