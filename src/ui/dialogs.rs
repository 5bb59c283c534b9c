//! Modal windows: the error dialog (its words come from `guidance`, never from here), the
//! "are you sure?" confirmation, the address to copy when no browser opens, and the
//! searchable language picker. In each, Enter runs the primary action and Escape closes.

use egui::{Id, Modal, RichText, Ui};

use crate::guidance::MessageOrigin;
use crate::ui::app::{Command, Confirmation, UrlFallback};

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
    /// The message that came with it (the server's, or a local check's).
    pub message: String,
    /// Where `message` came from: the service, a check on this computer, the network.
    pub origin: MessageOrigin,
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

    /// The small line for support: code, HTTP status, requestId, run id.
    pub fn facts_line(&self) -> String {
        let mut facts = vec![self.code.clone()];
        if let Some(s) = self.http_status {
            facts.push(format!("HTTP {s}"));
        }
        if let Some(r) = &self.request_id {
            facts.push(format!("requestId {r}"));
        }
        if let Some(r) = &self.run_id {
            facts.push(format!("run {r}"));
        }
        facts.join(" · ")
    }
}

/// True when Enter was pressed and no widget has the keyboard (a focused button or field
/// handles Enter itself).
pub(crate) fn enter_pressed(ctx: &egui::Context) -> bool {
    ctx.memory(|m| m.focused()).is_none()
        && ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Enter))
}

/// A button drawn as the dialog's primary action (the one Enter presses).
pub(crate) fn primary_button(ui: &mut Ui, label: &str) -> egui::Response {
    ui.add(
        egui::Button::new(
            RichText::new(label)
                .strong()
                .color(ui.visuals().selection.stroke.color),
        )
        .fill(ui.visuals().selection.bg_fill),
    )
    .on_hover_text("Enter")
}

/// Draws the error dialog. Closing it (button or Escape) pushes [`Command::DismissDialog`];
/// Enter (or the button) runs its action.
pub fn error_dialog_ui(ctx: &egui::Context, dialog: &ErrorDialog, cmds: &mut Vec<Command>) {
    let modal = Modal::new(Id::unique("error_dialog")).show(ctx, |ui| {
        ui.set_max_width(480.0);
        ui.label(RichText::new(&dialog.title).heading().strong());
        ui.add_space(6.0);
        ui.label(&dialog.body);
        ui.add_space(8.0);
        ui.label(RichText::new(dialog.facts_line()).monospace().weak());
        if !dialog.message.is_empty() {
            ui.label(
                RichText::new(format!("{} {}", dialog.origin.heading(), dialog.message)).weak(),
            );
        }
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            let mut act = false;
            if let Some((label, _)) = &dialog.action {
                act = primary_button(ui, label).clicked();
            }
            if ui.button("Close").clicked() {
                cmds.push(Command::DismissDialog);
            }
            act || enter_pressed(ui.ctx())
        })
        .inner
    });
    if modal.inner {
        cmds.push(Command::DismissDialog);
        if let Some((_, command)) = &dialog.action {
            cmds.push(command.clone());
        }
    }
    if modal.should_close() && !cmds.contains(&Command::DismissDialog) {
        cmds.push(Command::DismissDialog);
    }
}

/// Draws the "are you sure?" window: Enter or the button goes ahead, Escape or Cancel doesn't.
pub fn confirm_ui(ctx: &egui::Context, confirmation: &Confirmation, cmds: &mut Vec<Command>) {
    let modal = Modal::new(Id::unique("confirm_dialog")).show(ctx, |ui| {
        ui.set_max_width(440.0);
        ui.label(RichText::new(&confirmation.title).heading().strong());
        ui.add_space(6.0);
        ui.label(&confirmation.body);
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            let go = primary_button(ui, &confirmation.confirm_label).clicked();
            if ui.button("Cancel").clicked() {
                cmds.push(Command::CloseConfirm);
            }
            go || enter_pressed(ui.ctx())
        })
        .inner
    });
    if modal.inner {
        cmds.push(Command::CloseConfirm);
        cmds.push((*confirmation.command).clone());
    } else if modal.should_close() && !cmds.contains(&Command::CloseConfirm) {
        cmds.push(Command::CloseConfirm);
    }
}

/// The browser did not open: the address to copy by hand.
pub fn url_fallback_ui(ctx: &egui::Context, fallback: &UrlFallback, cmds: &mut Vec<Command>) {
    let modal = Modal::new(Id::unique("url_fallback")).show(ctx, |ui| {
        ui.set_max_width(480.0);
        ui.label(RichText::new("The browser did not open").heading().strong());
        ui.add_space(6.0);
        ui.label("Open this address in your browser yourself:");
        let l = ui.label("Address");
        let mut shown = fallback.url.as_str();
        ui.add(egui::TextEdit::singleline(&mut shown).desired_width(f32::INFINITY))
            .labelled_by(l.id);
        ui.label(RichText::new(&fallback.error).small().weak());
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            let copy = primary_button(ui, "Copy address").clicked();
            if ui.button("Close").clicked() {
                cmds.push(Command::CloseUrlFallback);
            }
            copy || enter_pressed(ui.ctx())
        })
        .inner
    });
    if modal.inner {
        cmds.push(Command::CopyToClipboard {
            text: fallback.url.clone(),
            what: "Address",
        });
        cmds.push(Command::CloseUrlFallback);
    } else if modal.should_close() && !cmds.contains(&Command::CloseUrlFallback) {
        cmds.push(Command::CloseUrlFallback);
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

/// A search box over the ISO 639-1 list; clicking a language pushes `pick(code)`. Returns
/// the first language listed (what Enter picks) and whether Enter was pressed in the box.
pub fn language_list_ui(
    ui: &mut Ui,
    filter: &mut String,
    current: &str,
    pick: impl Fn(&str) -> Command,
    cmds: &mut Vec<Command>,
) -> (Option<&'static str>, bool) {
    let search = ui
        .horizontal(|ui| {
            let label = ui.label("Search languages");
            ui.add(
                egui::TextEdit::singleline(filter)
                    .hint_text("name or code, e.g. German or de")
                    .desired_width(220.0),
            )
            .labelled_by(label.id)
        })
        .inner;
    let enter_in_search = search.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    // The current language first, so it is visible without scrolling.
    let mut list = filter_languages(filter);
    if let Some(i) = list.iter().position(|(c, _)| *c == current) {
        let here = list.remove(i);
        list.insert(0, here);
    }
    let first = if filter.trim().is_empty() {
        None
    } else {
        list.first().map(|(c, _)| *c)
    };
    egui::ScrollArea::vertical()
        .id_salt("languages")
        .max_height(180.0)
        .show(ui, |ui| {
            for (code, name) in &list {
                let text = format!("{name} ({code})");
                if ui.selectable_label(*code == current, text).clicked() {
                    cmds.push(pick(code));
                }
            }
        });
    (first, enter_in_search)
}

/// The language picker as a modal: search, click a language (or Enter for the first match),
/// done. The choice is for the take on screen; the default changes only when the box is
/// ticked.
pub fn language_picker_ui(
    ctx: &egui::Context,
    filter: &mut String,
    current: &str,
    default: &str,
    make_default: &mut bool,
    cmds: &mut Vec<Command>,
) {
    let modal = Modal::new(Id::unique("language_picker")).show(ctx, |ui| {
        ui.set_width(ui.available_width().min(380.0));
        ui.label(
            RichText::new("Choose the language spoken")
                .heading()
                .strong(),
        );
        let name = crate::languages::language_name(current).unwrap_or("unknown");
        ui.label(format!("This recording: {name} ({current})"));
        ui.add_space(6.0);
        let also_default = *make_default;
        let (first, enter_in_search) = language_list_ui(
            ui,
            filter,
            current,
            |code| Command::SetTakeLanguage {
                code: code.to_string(),
                make_default: also_default,
            },
            cmds,
        );
        ui.add_space(6.0);
        let default_name = crate::languages::language_name(default).unwrap_or("unknown");
        ui.checkbox(
            make_default,
            format!("Also make it my default (now {default_name}) for later recordings"),
        );
        ui.add_space(6.0);
        if ui.button("Close").clicked() {
            cmds.push(Command::CloseLanguagePicker);
        }
        if let Some(code) = first
            && (enter_in_search || enter_pressed(ui.ctx()))
        {
            cmds.push(Command::SetTakeLanguage {
                code: code.to_string(),
                make_default: *make_default,
            });
        }
    });
    if modal.should_close() && !cmds.contains(&Command::CloseLanguagePicker) {
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
            origin: MessageOrigin::Service,
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
