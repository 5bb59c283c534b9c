//! The Support screen inside the real app: after a run fails, "Support" in the navigation
//! opens the support desk with that run's requests, the credits/health bar refreshed, and the
//! run exported as a bundle straight from the screen.

mod gui_support;

use egui::Role;
use egui_kittest::kittest::Queryable as _;
use gui_support::{click, import_and_submit, start, step_until};
use speech_scorer::simulator::{Scenario, SimConfig};
use speech_scorer::ui::support::labels;

/// True when at least one node's label contains `text` (rows repeat words).
fn shows(h: &egui_kittest::Harness<'static, speech_scorer::ui::App>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

#[test]
fn after_a_failed_run_the_support_desk_shows_its_log_and_exports_it() {
    let scenario = Scenario::from_toml_str(
        "[[step]]\non = \"submit\"\nrespond = \"error\"\ncode = \"SERVICE_WARMING_UP\"\nretry_after = 1\n\n[[step]]\non = \"poll\"\nrespond = \"failed\"\ncode = \"SCORING_FAILED\"\n",
    )
    .expect("scenario");
    let mut gui = start(SimConfig::fast().with_scenario(scenario));
    import_and_submit(&mut gui);
    let out = gui.home.path().join("from-the-app.zip");
    let h = &mut gui.harness;
    let dialog = h.state().dialog.clone().expect("the failure dialog");
    assert_eq!(dialog.code, "SCORING_FAILED");
    click(h, "Close");
    h.get_by_role_and_label(Role::Button, "Support").click();
    h.step();
    step_until(h, "the support desk", |h| {
        shows(h, "Credits: ") && shows(h, "Service: healthy")
    });
    assert!(shows(h, "POST /api/v1/speech/analyze"));
    assert!(shows(h, "SERVICE_WARMING_UP"));
    assert!(shows(h, "SCORING_FAILED"));

    let field = h.get_by_label(labels::EXPORT_PATH);
    field.focus();
    field.type_text(&out.display().to_string());
    h.step();
    click(h, labels::EXPORT);
    step_until(h, "the export", |h| shows(h, "Wrote "));
    let b = speech_scorer::support::bundle::read_bundle(&out).expect("bundle");
    assert_eq!(b.manifest.outcome.as_deref(), Some("failed"));
    assert!(
        b.record.exchanges.len() >= 3,
        "{:?}",
        b.record.exchanges.len()
    );
    assert!(b.recording.is_none(), "the box was not ticked");
}
