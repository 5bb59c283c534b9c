//! Modal windows: the error dialog (its words come from `guidance`, never from here) and the
//! searchable language picker.

use egui::{Id, Modal, RichText};

use crate::ui::app::Command;

/// What the error dialog shows. Built from `guidance` for the code that happened; the one
/// action button carries the command that fixes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorDialog {
    /// Headline, e.g. "Not enough credits".
    pub title: String,
    /// What happened and what to do, in plain words.
    pub body: String,
    /// The wire code, e.g. `INSUFFICIENT_CREDITS` (shown small, for support).
    pub code: String,
    /// The server's own message.
    pub message: String,
    /// `error.requestId` when the server sent one.
    pub request_id: Option<String>,
    /// The run id when the error belongs to a run.
    pub run_id: Option<String>,
    /// HTTP status, when there was one.
    pub http_status: Option<u16>,
    /// The main button: its label and what it does.
    pub action: Option<(String, Command)>,
    /// When it happened (UTC, RFC 3339).
    pub at: String,
}

impl ErrorDialog {
    /// The text "Contact support" copies: everything support needs, never the key.
    pub fn support_summary(&self) -> String {
        let mut s = format!("speech-scorer error report\ncode: {}\n", self.code);
        if let Some(status) = self.http_status {
            s.push_str(&format!("http status: {status}\n"));
        }
        s.push_str(&format!("message: {}\n", self.message));
        s.push_str(&format!(
            "run id: {}\nrequestId: {}\ntime: {}\n",
            self.run_id.as_deref().unwrap_or("(none)"),
            self.request_id.as_deref().unwrap_or("(none)"),
            self.at
        ));
        s
    }
}

/// Draws the error dialog. Closing it (button or Escape) pushes [`Command::DismissDialog`].
pub fn error_dialog_ui(ctx: &egui::Context, dialog: &ErrorDialog, cmds: &mut Vec<Command>) {
    let modal = Modal::new(Id::unique("error_dialog")).show(ctx, |ui| {
        ui.set_max_width(480.0);
        ui.label(RichText::new(&dialog.title).heading().strong());
        ui.add_space(6.0);
        ui.label(&dialog.body);
        ui.add_space(8.0);
        let mut facts = vec![dialog.code.clone()];
        if let Some(s) = dialog.http_status {
            facts.push(format!("HTTP {s}"));
        }
        if let Some(r) = &dialog.request_id {
            facts.push(format!("requestId {r}"));
        }
        if let Some(r) = &dialog.run_id {
            facts.push(format!("run {r}"));
        }
        ui.label(RichText::new(facts.join(" · ")).monospace().weak());
        if !dialog.message.is_empty() {
            ui.label(RichText::new(format!("Service said: {}", dialog.message)).weak());
        }
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            if let Some((label, command)) = &dialog.action
                && ui
                    .add(
                        egui::Button::new(
                            RichText::new(label)
                                .strong()
                                .color(ui.visuals().selection.stroke.color),
                        )
                        .fill(ui.visuals().selection.bg_fill),
                    )
                    .clicked()
            {
                cmds.push(Command::DismissDialog);
                cmds.push(command.clone());
            }
            if ui.button("Close").clicked() {
                cmds.push(Command::DismissDialog);
            }
        });
    });
    if modal.should_close() && !cmds.contains(&Command::DismissDialog) {
        cmds.push(Command::DismissDialog);
    }
}

/// Languages whose code or English name contains `filter` (case-insensitive).
pub fn filter_languages(filter: &str) -> Vec<(&'static str, &'static str)> {
    let f = filter.trim().to_lowercase();
    crate::languages::LANGUAGES
        .iter()
        .copied()
        .filter(|(code, name)| {
            f.is_empty() || code.contains(&f) || name.to_lowercase().contains(&f)
        })
        .collect()
}

/// A search box over the ISO 639-1 list; clicking a language pushes [`Command::SetLanguage`].
pub fn language_list_ui(
    ui: &mut egui::Ui,
    filter: &mut String,
    current: &str,
    cmds: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        let label = ui.label("Search languages");
        ui.add(
            egui::TextEdit::singleline(filter)
                .hint_text("name or code, e.g. German or de")
                .desired_width(220.0),
        )
        .labelled_by(label.id);
    });
    egui::ScrollArea::vertical()
        .id_salt("languages")
        .max_height(180.0)
        .show(ui, |ui| {
            // The current language first, so it is visible without scrolling.
            let mut list = filter_languages(filter);
            if let Some(i) = list.iter().position(|(c, _)| *c == current) {
                let here = list.remove(i);
                list.insert(0, here);
            }
            for (code, name) in list {
                let text = format!("{name} ({code})");
                if ui.selectable_label(code == current, text).clicked() {
                    cmds.push(Command::SetLanguage(code.to_string()));
                }
            }
        });
}

/// The language picker as a modal: search, click a language, done.
pub fn language_picker_ui(
    ctx: &egui::Context,
    filter: &mut String,
    current: &str,
    cmds: &mut Vec<Command>,
) {
    let modal = Modal::new(Id::unique("language_picker")).show(ctx, |ui| {
        ui.set_width(360.0);
        ui.label(
            RichText::new("Choose the language spoken")
                .heading()
                .strong(),
        );
        let name = crate::languages::language_name(current).unwrap_or("unknown");
        ui.label(format!("Now: {name} ({current})"));
        ui.add_space(6.0);
        language_list_ui(ui, filter, current, cmds);
        ui.add_space(6.0);
        if ui.button("Close").clicked() {
            cmds.push(Command::CloseLanguagePicker);
        }
    });
    if modal.should_close() {
        cmds.push(Command::CloseLanguagePicker);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_filter_matches_code_and_name() {
        assert!(filter_languages("").len() > 180);
        assert!(filter_languages("ger").iter().any(|(c, _)| *c == "de"));
        assert!(filter_languages("FR").iter().any(|(c, _)| *c == "fr"));
        assert!(filter_languages("zzzz").is_empty());
    }

    #[test]
    fn support_summary_names_everything_support_needs() {
        let d = ErrorDialog {
            title: "t".into(),
            body: "b".into(),
            code: "INSUFFICIENT_CREDITS".into(),
            message: "Insufficient credits for this request.".into(),
            request_id: Some("req_1_abc".into()),
            run_id: None,
            http_status: Some(402),
            action: None,
            at: "2026-05-29T10:00:00Z".into(),
        };
        let s = d.support_summary();
        for part in [
            "INSUFFICIENT_CREDITS",
            "402",
            "req_1_abc",
            "2026-05-29T10:00:00Z",
            "run id: (none)",
        ] {
            assert!(s.contains(part), "{part} missing from {s}");
        }
    }
}
