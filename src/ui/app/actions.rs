//! From `guidance` to buttons: the dialog for how a job ended, and the command behind each
//! guidance action. The words come from `guidance`; this file only wires them to commands.

use crate::engine::OutcomeError;
use crate::guidance::{self, Action, MessageOrigin};
use crate::ui::app::{Command, Screen};
use crate::ui::dialogs::ErrorDialog;

/// Where "Top up credits" sends the person. The docs name the dashboard but give no billing
/// path, so this is the documented host; the person signs in and finds billing there.
pub const ACCOUNT_URL: &str = "https://platform.zenhire.ai";

/// The button for a guidance action, or `None` when there is nothing to press.
pub fn command_for_action(action: &Action, support_summary: &str) -> Option<(String, Command)> {
    let command = match action {
        Action::TopUpCredits => Command::OpenUrl(ACCOUNT_URL.to_string()),
        Action::CheckKey | Action::RotateKey => Command::FocusKeySettings,
        // A warm-up refusal creates no run: a fresh submit waits it out with a countdown.
        Action::WaitForWarmUp | Action::SubmitAgain => Command::Submit,
        Action::FixRecording { .. } | Action::RecordAgain => Command::Navigate(Screen::Record),
        Action::ChooseLanguage => Command::OpenLanguagePicker,
        Action::ContactSupport => Command::CopyToClipboard {
            text: support_summary.to_string(),
            what: "Support summary",
        },
        Action::None => return None,
    };
    let label = match action {
        Action::WaitForWarmUp => "Try again and wait",
        Action::ContactSupport => "Copy summary for support",
        // The app cannot fix these by itself: the button says what it does (the dialog's
        // text says what to fix). AUDIO_TOO_LONG gets "Trim to 45:00" instead (below).
        Action::FixRecording { .. } => guidance::back_to_recording_label(),
        other => other.label(),
    };
    Some((label.to_string(), command))
}

/// The dialog for an error of a request that reached the service (or a network error): title,
/// text and action from `guidance`.
pub fn dialog_for(err: &OutcomeError, run_id: Option<&str>) -> ErrorDialog {
    dialog_with_origin(err, run_id, guidance::message_origin(err, false))
}

/// [`dialog_for`], saying where the message came from (`MessageOrigin::ThisComputer` for a
/// check made before anything was sent).
pub fn dialog_with_origin(
    err: &OutcomeError,
    run_id: Option<&str>,
    origin: MessageOrigin,
) -> ErrorDialog {
    let g = guidance::for_outcome_error(err, run_id);
    let body = g.body;
    let mut dialog = ErrorDialog {
        title: g.title,
        body,
        code: err.code.as_str().to_string(),
        message: err.message.clone(),
        origin,
        request_id: err.request_id.clone(),
        run_id: run_id.map(str::to_string),
        http_status: err.http_status,
        action: None,
        at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    dialog.action = if err.code == crate::api::ErrorCode::AudioTooLong {
        // The one fix that works here: a new take of the first 45:00 (the original stays).
        Some((
            guidance::trim_to_max_label(),
            Command::Views(crate::ui::app::ViewCommand::TrimToMax),
        ))
    } else {
        command_for_action(&g.action, &dialog.support_summary())
    };
    dialog
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ErrorCode;

    #[test]
    fn unknown_code_dialog_shows_code_message_and_request_id() {
        let d = dialog_for(
            &OutcomeError {
                code: ErrorCode::Unknown("BRAND_NEW_CODE".into()),
                message: "Something new.".into(),
                http_status: Some(418),
                request_id: Some("req_9_xyz".into()),
                details: None,
            },
            None,
        );
        assert_eq!(d.code, "BRAND_NEW_CODE");
        assert!(d.title.contains("BRAND_NEW_CODE"));
        assert_eq!(d.request_id.as_deref(), Some("req_9_xyz"));
        assert!(d.support_summary().contains("Something new."));
    }
}
