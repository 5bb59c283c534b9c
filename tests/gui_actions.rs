//! Every guidance action, pressed in the real app: for each documented code (and the network
//! and unknown-code cases) the app shows the dialog it would show after a run, the test
//! presses the dialog's button and checks what a person would see happen — a browser page,
//! Settings with the key field focused, a fresh submission, the recorder, the language
//! picker, a summary on the clipboard. The expected effect is written here per action, not
//! read back from the command the button carries.

mod gui_support;

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use gui_support::{copied, import_fixture, shows, start, step_until};
use speech_scorer::api::ErrorCode;
use speech_scorer::engine::OutcomeError;
use speech_scorer::guidance::{self, Action};
use speech_scorer::simulator::SimConfig;
use speech_scorer::ui::app::{ACCOUNT_URL, dialog_for};
use speech_scorer::ui::settings::KEY_FIELD_LABEL;
use speech_scorer::ui::{App, Screen};

const RUN: &str = "req_1700000000000_actions";

fn error(code: ErrorCode) -> OutcomeError {
    OutcomeError {
        code,
        message: "the service's message".into(),
        http_status: None,
        request_id: Some("req_9_actions".into()),
        details: None,
    }
}

/// Puts the dialog for `err` on screen (from History, so a move to Record shows) and waits.
fn show_dialog(h: &mut Harness<'static, App>, err: &OutcomeError) {
    h.state_mut().state.screen = Screen::History;
    h.state_mut().dialog = Some(dialog_for(err, Some(RUN)));
    step_until(h, "the dialog", |h| {
        h.query_by_role_and_label(Role::Button, "Close").is_some()
    });
    h.step();
}

fn posts(h: &Harness<'static, App>) -> usize {
    let sim = h.state().demo_simulator().expect("demo simulator");
    sim.requests().iter().filter(|r| r.method == "POST").count()
}

#[test]
fn every_guidance_action_does_what_its_button_says() {
    let mut gui = start(SimConfig::fast());
    import_fixture(&mut gui);
    let mut codes: Vec<ErrorCode> = ErrorCode::DOCUMENTED.to_vec();
    codes.push(ErrorCode::Unknown("BRAND_NEW_CODE".into()));
    codes.push(ErrorCode::parse("NETWORK_ERROR"));
    codes.push(ErrorCode::parse("MAX_WAIT_EXCEEDED"));
    let mut seen = std::collections::BTreeSet::new();
    for code in codes {
        let h = &mut gui.harness;
        let err = error(code.clone());
        let action = guidance::for_outcome_error(&err, Some(RUN)).action;
        seen.insert(
            format!("{action:?}")
                .split(' ')
                .next()
                .unwrap_or("")
                .to_string(),
        );
        show_dialog(h, &err);
        let before_posts = posts(h);
        let before_opened = gui.browser.opened().len();
        if code == ErrorCode::AudioTooLong {
            // The one fix that works here: a new take of the first 45:00. This take is
            // within the limit, so there is nothing to cut and the app says so (the whole
            // trim-then-submit path is `tests/gui_views.rs`).
            gui_support::click(h, "Trim to 45:00");
            assert!(
                h.state().dialog.is_none(),
                "{code}: the button closes the dialog"
            );
            h.step();
            assert!(
                shows(h, "already within the 45-minute limit"),
                "{code}: the trim says why it made nothing"
            );
            continue;
        }
        let button = match action {
            Action::None => {
                assert!(
                    h.query_by_role_and_label(Role::Button, "OK").is_none(),
                    "{code}: no button that does nothing"
                );
                gui_support::click(h, "Close");
                h.step();
                assert!(h.state().dialog.is_none(), "{code}: Close closes");
                continue;
            }
            Action::TopUpCredits => "Top up credits",
            Action::CheckKey => "Check API key",
            Action::RotateKey => "Create a new API key",
            Action::WaitForWarmUp => "Try again and wait",
            Action::SubmitAgain => "Submit again",
            // The app cannot fix these by itself; the button says where it goes.
            Action::FixRecording { .. } => "Back to the recording",
            Action::RecordAgain => "Record again",
            Action::ChooseLanguage => "Choose language",
            Action::ContactSupport => "Copy summary for support",
        };
        gui_support::click(h, button);
        assert!(
            h.state().dialog.is_none(),
            "{code}: the button closes the dialog"
        );
        match action {
            Action::TopUpCredits => {
                let opened = gui.browser.opened();
                assert_eq!(opened.len(), before_opened + 1, "{code}");
                assert_eq!(opened.last().map(String::as_str), Some(ACCOUNT_URL));
            }
            Action::CheckKey | Action::RotateKey => {
                h.step();
                assert_eq!(h.state().state.screen, Screen::Settings, "{code}");
                assert!(h.get_by_label(KEY_FIELD_LABEL).is_focused(), "{code}");
            }
            Action::WaitForWarmUp | Action::SubmitAgain => {
                assert_eq!(h.state().state.screen, Screen::Progress, "{code}");
                step_until(h, "the fresh submission", |h| posts(h) == before_posts + 1);
                step_until(h, "the run to end", |h| !h.state().is_submitting());
                // The run's result or dialog is not what this test is about.
                h.state_mut().dialog = None;
            }
            Action::FixRecording { .. } | Action::RecordAgain => {
                h.step();
                assert_eq!(h.state().state.screen, Screen::Record, "{code}");
                assert!(h.state().take.is_some(), "{code}: the take is kept");
                assert!(shows(h, "Start recording"), "{code}");
            }
            Action::ChooseLanguage => {
                step_until(h, "the picker", |h| shows(h, "Choose the language spoken"));
                gui_support::click(h, "Close");
                h.step();
                assert!(!h.state().language_picker_open, "{code}");
            }
            Action::ContactSupport => {
                let text = copied(h);
                let summary = text
                    .first()
                    .unwrap_or_else(|| panic!("{code}: nothing copied"));
                assert!(summary.contains(code.as_str()), "{code}: {summary}");
                assert!(summary.contains(RUN), "{code}: {summary}");
                assert!(summary.contains("req_9_actions"), "{code}: {summary}");
            }
            Action::None => unreachable!(),
        }
    }
    // Every kind of action was pressed at least once.
    for kind in [
        "TopUpCredits",
        "CheckKey",
        "RotateKey",
        "WaitForWarmUp",
        "FixRecording",
        "ChooseLanguage",
        "SubmitAgain",
        "RecordAgain",
        "ContactSupport",
        "None",
    ] {
        assert!(seen.contains(kind), "no code leads to {kind}: {seen:?}");
    }
}
