//! The desktop app driven like a person would, against the in-process simulator (fast
//! config): import a recording, submit, watch the progress, read the result; for each kind of
//! error action, a scenario that produces it and a click that checks the action works.

mod gui_support;

use std::time::Duration;

use egui::Role;
use egui_kittest::kittest::Queryable as _;
use gui_support::{click, import_and_submit, import_fixture, shows, start, step_until, type_into};
use speech_scorer::simulator::{Scenario, SimConfig};
use speech_scorer::ui::Screen;

fn scenario(toml: &str) -> Scenario {
    Scenario::from_toml_str(toml).expect("scenario parses")
}

#[test]
fn demo_mode_shows_the_banner_and_a_real_key_button() {
    let mut gui = start(SimConfig::fast());
    let h = &mut gui.harness;
    step_until(h, "the banner", |h| {
        shows(h, "Simulated service — results are not real")
    });
    assert!(h.state().connection.demo);
    click(h, "Enter a real API key");
    assert_eq!(h.state().state.screen, Screen::Settings);
    h.run();
    assert!(
        h.get_by_label(speech_scorer::ui::settings::KEY_FIELD_LABEL)
            .is_focused()
    );
}

#[test]
fn import_submit_and_read_the_cefr_level() {
    let mut gui = start(SimConfig::fast());
    import_fixture(&mut gui);
    let h = &mut gui.harness;
    assert!(
        shows(h, "Estimated cost: 4 credits"),
        "200 s costs 4 started minutes"
    );
    click(h, "Submit for scoring");
    assert_eq!(h.state().state.screen, Screen::Progress);
    step_until(h, "the result", |h| shows(h, "Overall level "));
    let cefr = h
        .state()
        .result
        .as_ref()
        .and_then(|r| r.scores.as_ref())
        .and_then(|s| s.cefr_level.clone())
        .expect("the result has an overall CEFR level");
    assert!(
        ["A1", "A2", "B1", "B2", "C1", "C2"].contains(&cefr.as_str()),
        "overall level is a CEFR band: {cefr}"
    );
    h.get_by_label(&format!("Overall level {cefr}"));
    for dim in ["Vocabulary: ", "Fluency: ", "Accent: "] {
        assert!(shows(h, dim), "{dim} bar missing");
    }
    // The run is in history with its status and score.
    click(h, "History");
    step_until(h, "the history row", |h| shows(h, "success"));
}

#[test]
fn warm_up_shows_a_countdown_then_the_result() {
    let sim = SimConfig::fast().with_scenario(scenario(
        r#"name = "warm"
[[step]]
on = "submit"
respond = "error"
code = "SERVICE_WARMING_UP"
retry_after = 2
repeat = 2
"#,
    ));
    let mut gui = start(sim);
    import_fixture(&mut gui);
    let h = &mut gui.harness;
    click(h, "Submit for scoring");
    step_until(h, "the warm-up countdown", |h| {
        shows(h, "Service warming up — retrying in")
    });
    step_until(h, "the result after warm-up", |h| {
        shows(h, "Overall level ")
    });
    assert!(h.state().dialog.is_none(), "warm-up retries by itself");
}

#[test]
fn top_up_opens_the_account_page() {
    let sim = SimConfig {
        credits: 2,
        ..SimConfig::fast()
    };
    let mut gui = start(sim);
    import_and_submit(&mut gui);
    let h = &mut gui.harness;
    assert!(shows(h, "INSUFFICIENT_CREDITS"));
    click(h, "Top up credits");
    assert_eq!(
        gui.browser.opened(),
        vec![speech_scorer::ui::app::ACCOUNT_URL.to_string()]
    );
    assert!(h.state().dialog.is_none());
}

#[test]
fn submit_again_makes_a_fresh_submission() {
    let sim = SimConfig::fast().with_scenario(scenario(
        r#"name = "scoring-failed"
[[step]]
on = "poll"
respond = "failed"
code = "SCORING_FAILED"
"#,
    ));
    let mut gui = start(sim);
    import_and_submit(&mut gui);
    let h = &mut gui.harness;
    assert!(shows(h, "SCORING_FAILED"));
    let failed_run = h
        .state()
        .dialog
        .as_ref()
        .and_then(|d| d.run_id.clone())
        .expect("the dialog names the failed run");
    click(h, "Submit again");
    step_until(h, "the second run's result", |h| shows(h, "Overall level "));
    let sim = h.state().demo_simulator().expect("demo simulator");
    let submits: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(submits.len(), 2, "one fresh submission");
    let result_id = h
        .state()
        .result
        .as_ref()
        .map(|r| r.id.clone())
        .expect("result");
    assert_ne!(result_id, failed_run, "the failed run id is never reused");
}

#[test]
fn choose_language_changes_this_take_only() {
    let sim = SimConfig::fast().with_scenario(scenario(
        r#"name = "low-confidence"
[[step]]
on = "poll"
respond = "failed"
code = "TRANSCRIPTION_LOW_CONFIDENCE"
"#,
    ));
    let mut gui = start(sim);
    import_and_submit(&mut gui);
    let h = &mut gui.harness;
    click(h, "Choose language");
    assert!(h.state().language_picker_open);
    step_until(h, "the language picker", |h| {
        shows(h, "Choose the language spoken")
    });
    type_into(h, "Search languages", "germ");
    h.step();
    h.get_by_role_and_label(Role::Button, "German (de)").click();
    h.step();
    assert!(!h.state().language_picker_open);
    h.step();
    // This take is scored as German; the default (and the settings file) stay English.
    assert_eq!(h.state().take_language(), "de");
    assert_eq!(h.state().settings.default_language, "en");
    let saved = speech_scorer::store::Settings::load(h.state().paths()).expect("settings");
    assert_eq!(saved.default_language, "en");
    assert!(
        shows(h, "Language: German (de)"),
        "{:?}",
        gui_support::labels(h)
    );
    assert!(shows(h, "for this recording only; the default is en"));
    // The next submission of this take says de.
    click(h, "Submit for scoring");
    step_until(h, "the second run to end", |h| !h.state().is_submitting());
    let history = speech_scorer::store::History::new(h.state().paths());
    let (records, _) = history.list().expect("history");
    assert_eq!(records[0].language.as_deref(), Some("de"), "newest run");
    assert_eq!(records[1].language.as_deref(), Some("en"), "first run");
}

#[test]
fn making_the_picked_language_the_default_is_a_separate_choice() {
    let mut gui = start(SimConfig::fast());
    import_fixture(&mut gui);
    let h = &mut gui.harness;
    click(h, "Change language");
    step_until(h, "the language picker", |h| {
        shows(h, "Choose the language spoken")
    });
    type_into(h, "Search languages", "french");
    // The picker shrinks to the one match and centres again.
    h.step();
    h.step();
    h.get_by_label_contains("Also make it my default").click();
    h.step();
    assert!(
        h.state().language_make_default,
        "{:?}",
        gui_support::labels(h)
    );
    h.get_by_role_and_label(Role::Button, "French (fr)").click();
    h.step();
    assert_eq!(h.state().take_language(), "fr");
    assert_eq!(h.state().settings.default_language, "fr");
    let saved = speech_scorer::store::Settings::load(h.state().paths()).expect("settings");
    assert_eq!(saved.default_language, "fr");
}

#[test]
fn fix_the_recording_returns_to_the_recorder_keeping_the_take() {
    let sim = SimConfig::fast().with_scenario(scenario(
        r#"name = "transcription-failed"
[[step]]
on = "poll"
respond = "failed"
code = "TRANSCRIPTION_FAILED"
"#,
    ));
    let mut gui = start(sim);
    import_and_submit(&mut gui);
    let h = &mut gui.harness;
    click(h, speech_scorer::guidance::back_to_recording_label());
    assert_eq!(h.state().state.screen, Screen::Record);
    assert_eq!(
        h.state().take.as_ref().map(|t| t.path.clone()),
        Some(gui.fixture.clone())
    );
}

#[test]
fn record_again_after_a_too_short_take_keeps_the_take() {
    let mut gui = gui_support::start_with(gui_support::Setup {
        fixture_secs: 30.0,
        ..Default::default()
    });
    import_and_submit(&mut gui);
    let h = &mut gui.harness;
    assert!(shows(h, "AUDIO_TOO_SHORT"));
    // Checked locally: nothing was uploaded.
    let sim = h.state().demo_simulator().expect("sim");
    assert!(sim.requests().iter().all(|r| r.method != "POST"));
    click(h, "Record again");
    assert_eq!(h.state().state.screen, Screen::Record);
    assert!(h.state().take.is_some());
    h.get_by_role_and_label(Role::Button, "Start recording");
}

#[test]
fn contact_support_copies_a_summary() {
    let sim = SimConfig::fast().with_scenario(scenario(
        r#"name = "internal"
[[step]]
on = "poll"
respond = "failed"
code = "INTERNAL_ERROR"
"#,
    ));
    let mut gui = start(sim);
    import_and_submit(&mut gui);
    let h = &mut gui.harness;
    let run_id = h
        .state()
        .dialog
        .as_ref()
        .and_then(|d| d.run_id.clone())
        .expect("run id");
    h.get_by_role_and_label(Role::Button, "Copy summary for support")
        .click();
    h.step();
    let copied: Vec<String> = h
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    let summary = copied.first().expect("something was copied");
    assert!(summary.contains("INTERNAL_ERROR"), "{summary}");
    assert!(summary.contains(&run_id), "{summary}");
    assert!(summary.contains("time:"), "{summary}");
}

#[test]
fn a_run_completes_while_the_window_is_hidden() {
    let mut gui = start(SimConfig::fast());
    import_fixture(&mut gui);
    let h = &mut gui.harness;
    click(h, "Submit for scoring");
    // Hidden: no frames at all. The engine runs on the app's runtime and finishes anyway.
    let history = speech_scorer::store::History::new(h.state().paths());
    let start = std::time::Instant::now();
    loop {
        let done = history
            .list()
            .map(|(records, _)| {
                records.iter().any(|r| {
                    r.outcome
                        .as_ref()
                        .is_some_and(|o| o.kind.as_str() == "success")
                })
            })
            .unwrap_or(false);
        if done {
            break;
        }
        assert!(
            start.elapsed() < gui_support::PATIENCE,
            "the run did not finish while no frame was drawn"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Shown again: the first frame has the result.
    h.step();
    h.step();
    assert!(shows(h, "Overall level "));
}

#[test]
fn every_screen_names_its_controls() {
    // `run()` checks that every input widget has an accessible name, and fails otherwise.
    let mut gui = start(SimConfig::fast());
    import_and_submit_to_result(&mut gui);
    let h = &mut gui.harness;
    for screen in [
        Screen::Result,
        Screen::Record,
        Screen::History,
        Screen::Settings,
        Screen::Support,
    ] {
        h.state_mut().state.screen = screen;
        step_until(h, "the screen to settle", |h| {
            !h.state().audio.listing && !h.state().importing
        });
        h.run();
    }
}

fn import_and_submit_to_result(gui: &mut gui_support::Gui) {
    import_fixture(gui);
    click(&mut gui.harness, "Submit for scoring");
    step_until(&mut gui.harness, "the result", |h| {
        shows(h, "Overall level ")
    });
}
