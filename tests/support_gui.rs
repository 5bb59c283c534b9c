//! The Support screen in the real app (demo mode on the in-process simulator), clicked and
//! typed into by accessible label: explain a pasted envelope, look a run up by id and by
//! externalId, the credits/health bar, copy a request as curl, export the run as a bundle,
//! open that bundle and replay it step by step. Expected words are written out here, from the
//! vendor's guide and the contract, never computed by the code under test.

mod gui_support;

use egui::Role;
use egui_kittest::kittest::Queryable as _;
use gui_support::{
    click, copied, import_and_submit, shows, start, step_until, type_into, wait_for,
};
use speech_scorer::simulator::{Scenario, SimConfig};
use speech_scorer::ui::Screen;
use speech_scorer::ui::support::labels;

fn open_support(h: &mut egui_kittest::Harness<'static, speech_scorer::ui::App>) {
    click(h, "Support");
    assert_eq!(h.state().state.screen, Screen::Support);
    h.step();
}

#[test]
fn explain_a_pasted_envelope_shows_the_customers_dialog_and_the_technical_side() {
    let mut gui = start(SimConfig::fast());
    let h = &mut gui.harness;
    wait_for(h, "Import a file");
    open_support(h);
    let envelope = r#"{"error":{"code":"INSUFFICIENT_CREDITS","message":"Insufficient credits","requestId":"req_77_ab","timestamp":"2026-05-29T10:00:00Z","details":{"cost":11,"available":4}}}"#;
    type_into(h, labels::EXPLAIN_INPUT, envelope);
    click(h, labels::EXPLAIN);
    h.step();
    for line in [
        "Not enough credits",
        "This recording needs 11 credits but only 4 are available. Top up your balance, then submit again.",
        "INSUFFICIENT_CREDITS · HTTP 402 · requestId req_77_ab",
        "HTTP status: 402",
        "Retryable: no",
        "What the app does by itself: Never retries",
        "requestId: req_77_ab",
        "The vendor's guide: 402 INSUFFICIENT_CREDITS — top up balance before retrying.",
    ] {
        assert!(
            shows(h, line),
            "missing {line:?}; on screen: {:?}",
            gui_support::labels(h)
        );
    }
    // The button the customer saw, shown (disabled) as it was.
    h.get_by_role_and_label(Role::Button, "Top up credits");
}

#[test]
fn explain_of_free_text_says_it_is_not_a_known_code() {
    let mut gui = start(SimConfig::fast());
    let h = &mut gui.harness;
    wait_for(h, "Import a file");
    open_support(h);
    type_into(h, labels::EXPLAIN_INPUT, "HELLO IT BROKE");
    click(h, labels::EXPLAIN);
    h.step();
    assert!(shows(h, "Not an error this app knows"));
    assert!(shows(
        h,
        "\"HELLO IT BROKE\" is not an error code or an error envelope this app knows."
    ));
    assert!(
        !shows(h, "Unexpected error (HELLO IT BROKE)"),
        "free text is not presented as a code"
    );
}

#[test]
fn the_explained_dialog_gets_its_plurals_right() {
    let mut gui = start(SimConfig::fast());
    let h = &mut gui.harness;
    wait_for(h, "Import a file");
    open_support(h);
    type_into(
        h,
        labels::EXPLAIN_INPUT,
        r#"{"error":{"code":"INSUFFICIENT_CREDITS","message":"m","requestId":"req_1","details":{"cost":4,"available":1}}}"#,
    );
    click(h, labels::EXPLAIN);
    h.step();
    assert!(shows(
        h,
        "This recording needs 4 credits but only 1 is available."
    ));
}

#[test]
fn look_up_a_run_by_id_and_by_external_id_and_see_credits_and_health() {
    let mut gui = start(SimConfig::fast());
    import_and_submit(&mut gui);
    let h = &mut gui.harness;
    let result = h.state().result.clone().expect("a result");
    let run_id = result.id.clone();
    let external_id = result.external_id.clone().expect("externalId");
    open_support(h);
    // 500 to start with; the 200-second fixture cost 4 (1 per started minute).
    step_until(h, "the status bar", |h| {
        shows(h, "Credits: 496 credits") && shows(h, "Service: healthy (HTTP 200)")
    });

    type_into(h, labels::RUN_ID, &run_id);
    click(h, labels::LOOK_UP);
    wait_for(h, "→ HTTP 200");
    for line in [
        format!("GET /api/v1/speech/analyze/{run_id} → HTTP 200"),
        // The tree and the raw JSON both show the run.
        format!("id: \"{run_id}\""),
        "status: \"success\"".to_string(),
        format!("\"id\": \"{run_id}\""),
    ] {
        assert!(
            shows(h, &line),
            "missing {line:?}: {:?}",
            gui_support::labels(h)
        );
    }

    type_into(h, labels::EXTERNAL_ID, &external_id);
    click(h, labels::FIND_RUNS);
    wait_for(h, "/api/v1/speech/runs?");
    assert!(
        shows(h, &format!("externalId: \"{external_id}\"")),
        "{:?}",
        gui_support::labels(h)
    );
    assert!(shows(h, "data [1]"), "exactly one run with that externalId");
}

#[test]
fn copy_as_curl_and_export_the_run_on_screen() {
    // A tall window: the request view opens above the export panel.
    let mut gui = gui_support::start_with(gui_support::Setup {
        size: egui::vec2(900.0, 1100.0),
        ..gui_support::Setup::default()
    });
    import_and_submit(&mut gui);
    let out = gui.home.path().join("export.zip");
    let h = &mut gui.harness;
    let key = h
        .state()
        .demo_simulator()
        .expect("demo simulator")
        .api_key()
        .to_string();
    let run_id = h.state().result.as_ref().expect("result").id.clone();
    open_support(h);
    step_until(h, "the status bar", |h| shows(h, "Service: healthy"));
    // A row of the run's request log, then its curl command.
    h.get_by_label("POST /api/v1/speech/analyze").click();
    h.step();
    click(h, labels::COPY_CURL);
    let curl = copied(h);
    assert_eq!(curl.len(), 1, "{curl:?}");
    assert!(curl[0].contains("-X POST"), "{}", curl[0]);
    assert!(curl[0].contains("$ZENHIRE_API_KEY"), "{}", curl[0]);
    assert!(!curl[0].contains(&key), "never the key itself");
    // The run went to the built-in simulator, so that is where the command points.
    let base_url = h.state().connection.base_url.clone();
    assert!(curl[0].contains(&base_url), "{}", curl[0]);

    type_into(h, labels::EXPORT_PATH, &out.display().to_string());
    h.get_by_label(labels::INCLUDE_RECORDING).click();
    h.step();
    click(h, labels::EXPORT);
    wait_for(h, "Wrote ");
    assert!(shows(h, "with the recording"));
    let b = speech_scorer::support::bundle::read_bundle(&out).expect("bundle");
    assert_eq!(b.record.run_id.as_deref(), Some(run_id.as_str()));
    assert!(b.recording.is_some(), "the box was ticked");
}

#[test]
fn open_a_bundle_and_replay_it_step_by_step() {
    let scenario = Scenario::from_toml_str(
        "[[step]]\non = \"submit\"\nrespond = \"error\"\ncode = \"SERVICE_WARMING_UP\"\nretry_after = 1\n\n[[step]]\non = \"poll\"\nrespond = \"failed\"\ncode = \"STUCK_TIMEOUT\"\n",
    )
    .expect("scenario");
    // The customer's run, in the app, exported from the Support screen.
    let mut gui = start(SimConfig::fast().with_scenario(scenario));
    import_and_submit(&mut gui);
    let bundle = gui.home.path().join("customer.zip");
    let h = &mut gui.harness;
    assert_eq!(
        h.state().dialog.as_ref().map(|d| d.title.as_str()),
        Some("The analysis took too long")
    );
    click(h, "Close");
    open_support(h);
    type_into(h, labels::EXPORT_PATH, &bundle.display().to_string());
    click(h, labels::EXPORT);
    wait_for(h, "Wrote ");

    type_into(h, labels::BUNDLE_PATH, &bundle.display().to_string());
    click(h, labels::OPEN_BUNDLE);
    step_until(h, "the opened bundle", |h| {
        h.query_by_role_and_label(Role::Button, labels::REPLAY)
            .is_some()
    });
    assert!(shows(h, " · failed · "), "{:?}", gui_support::labels(h));
    // The original's request log is in the table.
    assert!(shows(h, "SERVICE_WARMING_UP"));

    click(h, labels::REPLAY);
    wait_for(h, "1. submit 503 SERVICE_WARMING_UP");
    wait_for(
        h,
        "Replay matches the original: same requests, same waits, same outcome",
    );
    assert!(shows(h, "poll 200 STUCK_TIMEOUT"));
    assert!(shows(h, "Outcome: failed"));
    // The customer's dialog, as the vendor's guide words it for a stuck run.
    assert!(shows(h, "The analysis took too long"));
    assert!(shows(
        h,
        "The run passed the service's time limit. Submit the same recording again."
    ));
}
