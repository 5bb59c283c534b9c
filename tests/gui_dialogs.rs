//! Dialogs and labels that tell the truth (issue 11), in the real app: Enter runs a dialog's
//! primary action and Escape closes it; a check made on this computer does not say "Service
//! said"; plurals; the address to copy when no browser opens; importing by path when no file
//! dialog can open; failed runs in History with their code and length; simulated results
//! marked on the result and on every History row, with a key saved too.

mod gui_support;

use egui::Role;
use egui_kittest::kittest::Queryable as _;
use gui_support::{
    Setup, click, copied, import_and_submit, import_fixture, own_sim, shows, start, start_with,
    step_until, type_into, wait_for, with_key,
};
use speech_scorer::simulator::{Scenario, SimConfig};
use speech_scorer::ui::Screen;
use speech_scorer::ui::ports::Picked;

fn scenario(toml: &str) -> Scenario {
    Scenario::from_toml_str(toml).expect("scenario parses")
}

fn failing(code: &str) -> SimConfig {
    SimConfig::fast().with_scenario(scenario(&format!(
        "[[step]]\non = \"poll\"\nrespond = \"failed\"\ncode = \"{code}\"\n"
    )))
}

#[test]
fn enter_runs_the_dialogs_primary_action() {
    let mut gui = start(failing("TRANSCRIPTION_LOW_CONFIDENCE"));
    import_and_submit(&mut gui);
    let h = &mut gui.harness;
    wait_for(h, "The speech doesn't match the language");
    h.key_press(egui::Key::Enter);
    h.step();
    h.step();
    assert!(h.state().dialog.is_none(), "Enter closed the dialog");
    assert!(
        h.state().language_picker_open,
        "and ran its action, Choose language"
    );
    // Enter in the picker's search box picks the first match.
    wait_for(h, "Choose the language spoken");
    type_into(h, "Search languages", "span");
    h.key_press(egui::Key::Enter);
    h.step();
    h.step();
    assert!(!h.state().language_picker_open);
    assert_eq!(h.state().take_language(), "es");
}

#[test]
fn escape_closes_a_dialog_without_its_action() {
    let sim = SimConfig {
        credits: 1,
        ..SimConfig::fast()
    };
    let mut gui = start(sim);
    import_and_submit(&mut gui);
    let h = &mut gui.harness;
    wait_for(h, "Not enough credits");
    h.key_press(egui::Key::Escape);
    h.step();
    h.step();
    assert!(h.state().dialog.is_none(), "Escape closed it");
    assert!(gui.browser.opened().is_empty(), "without topping up");
}

#[test]
fn plurals_follow_the_numbers() {
    // 1 credit left; the 200-second take costs 4.
    let sim = SimConfig {
        credits: 1,
        ..SimConfig::fast()
    };
    let mut gui = start(sim);
    import_fixture(&mut gui);
    let h = &mut gui.harness;
    wait_for(h, "Balance: 1 credit");
    assert!(!shows(h, "1 credits"));
    click(h, "Submit for scoring");
    step_until(h, "the refusal", |h| h.state().dialog.is_some());
    h.step();
    assert!(
        shows(
            h,
            "This recording needs 4 credits but only 1 is available. Top up your balance, then submit again."
        ),
        "{:?}",
        gui_support::labels(h)
    );
    assert!(!shows(h, "only 1 are"));
}

#[test]
fn a_check_made_on_this_computer_does_not_say_service_said() {
    let mut gui = start_with(Setup {
        fixture_secs: 30.0,
        ..Setup::default()
    });
    import_and_submit(&mut gui);
    let h = &mut gui.harness;
    wait_for(h, "AUDIO_TOO_SHORT");
    assert!(
        shows(h, "Checked on this computer: "),
        "{:?}",
        gui_support::labels(h)
    );
    assert!(!shows(h, "Service said:"), "nothing was sent");
}

#[test]
fn an_error_from_the_service_says_service_said() {
    let mut gui = start(SimConfig::fast().with_scenario(scenario(
        "[[step]]\non = \"submit\"\nrespond = \"error\"\nstatus = 400\ncode = \"AUDIO_GREMLINS\"\nmessage = \"Gremlins were found.\"\n",
    )));
    import_and_submit(&mut gui);
    let h = &mut gui.harness;
    wait_for(h, "Service said: Gremlins were found.");
    assert!(!shows(h, "Checked on this computer"));
}

#[test]
fn when_the_browser_cannot_open_the_address_is_shown_to_copy() {
    let mut gui = start_with(Setup {
        sim: SimConfig {
            credits: 1,
            ..SimConfig::fast()
        },
        browser_fails: Some("Could not open the browser: no browser found".into()),
        ..Setup::default()
    });
    import_and_submit(&mut gui);
    let h = &mut gui.harness;
    click(h, "Top up credits");
    wait_for(h, "The browser did not open");
    let url = speech_scorer::ui::app::ACCOUNT_URL;
    assert!(
        h.query_all_by_value(url).next().is_some(),
        "the address is in a field to select and copy: {:?}",
        gui_support::labels(h)
    );
    assert!(shows(h, "no browser found"));
    click(h, "Copy address");
    assert_eq!(copied(h), vec![url.to_string()]);
    h.step();
    assert!(h.state().url_fallback.is_none());
}

#[test]
fn with_no_file_dialog_the_path_field_imports() {
    let mut gui = start_with(Setup {
        picker: Some(Picked::Unavailable(
            speech_scorer::ui::ports::NO_DIALOG.to_string(),
        )),
        ..Setup::default()
    });
    let file = gui.fixture.clone();
    let h = &mut gui.harness;
    wait_for(h, "Import a file");
    click(h, "Import a file…");
    wait_for(h, "The file dialog could not open on this desktop");
    // The path field takes the focus; type and press Enter (or the Import button).
    h.step();
    let field = h.get_by_label(speech_scorer::ui::record::IMPORT_PATH_LABEL);
    assert!(field.is_focused(), "the path field has the focus");
    field.type_text(&file.display().to_string());
    h.step();
    click(h, "Import");
    step_until(h, "the imported take", |h| h.state().take.is_some());
    assert_eq!(
        h.state().take.as_ref().map(|t| t.original.clone()),
        Some(file)
    );
    assert!(
        !shows(h, "The file dialog could not open"),
        "the error goes once a file is in"
    );
}

#[test]
fn the_path_field_is_there_with_a_working_dialog_too_and_says_what_failed() {
    let mut gui = start(SimConfig::fast());
    let h = &mut gui.harness;
    wait_for(h, "Import a file");
    type_into(
        h,
        speech_scorer::ui::record::IMPORT_PATH_LABEL,
        "/no/such/answer.wav",
    );
    click(h, "Import");
    wait_for(h, "Could not use /no/such/answer.wav");
    assert!(h.state().take.is_none());
}

#[test]
fn failed_runs_show_their_code_and_length_in_history() {
    let mut gui = start(failing("TRANSCRIPTION_FAILED"));
    import_and_submit(&mut gui);
    let h = &mut gui.harness;
    click(h, "Close");
    click(h, "History");
    wait_for(h, "failed · TRANSCRIPTION_FAILED");
    assert!(shows(h, "3:20"), "{:?}", gui_support::labels(h));
}

#[test]
fn simulated_results_are_marked_on_the_result_and_in_history_with_a_key_saved() {
    let own = own_sim(SimConfig::fast());
    let mut gui = start_with(Setup {
        prepare: with_key(own.sim.base_url(), own.sim.api_key().to_string()),
        ..Setup::default()
    });
    assert!(!gui.harness.state().connection.demo, "real-key mode");
    import_fixture(&mut gui);
    let h = &mut gui.harness;
    assert!(!shows(h, "results are not real"), "no demo banner");
    click(h, "Submit for scoring");
    wait_for(h, "Overall level ");
    assert!(shows(h, "Simulated — not a real score"), "on the result");
    click(h, "History");
    wait_for(h, "success");
    assert!(
        h.query_all_by_label("Simulated").next().is_some(),
        "on the history row: {:?}",
        gui_support::labels(h)
    );
    // Reopened from History, the result still says so.
    h.get_by_role_and_label(Role::Button, "Open").click();
    h.step();
    h.step();
    assert_eq!(h.state().state.screen, Screen::Result);
    assert!(shows(h, "Simulated — not a real score"));
}
