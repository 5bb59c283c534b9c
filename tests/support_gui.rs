//! The Support screen with egui_kittest, clicked and typed into by accessible label: explain a
//! pasted envelope, look up a run (by id and by externalId) on a simulator, open a support
//! bundle and replay it step by step, and the credits/health status bar.

mod common;

use std::time::{Duration, Instant};

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use speech_scorer::api::client::{ApiClient, ApiKey};
use speech_scorer::api::model::ApiErrorBody;
use speech_scorer::engine::events::null_sink;
use speech_scorer::engine::job::{JobOptions, JobSpec, Start, run};
use speech_scorer::guidance;
use speech_scorer::simulator::{Scenario, SimConfig, SimHandle, Simulator};
use speech_scorer::store::{History, RunRecord, Settings};
use speech_scorer::support::bundle::{BundleOptions, write_bundle};
use speech_scorer::ui::Command;
use speech_scorer::ui::support::{SupportDesk, SupportEnv, labels};
use tokio_util::sync::CancellationToken;

const KEY: &str = "zh_live_gui_support_key_4242";
const PATIENCE: Duration = Duration::from_secs(60);

type State = (SupportDesk, Vec<Command>);

struct Desk {
    harness: Harness<'static, State>,
    _sim: SimHandle,
    rt: tokio::runtime::Runtime,
}

fn desk(sim_cfg: SimConfig, record: Option<RunRecord>) -> Desk {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sim = rt
        .block_on(Simulator::start(sim_cfg.with_key(KEY)))
        .expect("simulator");
    let handle = rt.handle().clone();
    let base_url = sim.base_url();
    let settings = Settings::default();
    let harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 1400.0))
        .build_ui_state(
            move |ui, state: &mut State| {
                let env = SupportEnv {
                    rt: handle.clone(),
                    base_url: base_url.clone(),
                    key: ApiKey::new(KEY),
                    record: record.as_ref(),
                    live: None,
                    live_run_id: None,
                    live_finished: false,
                    history: None,
                    settings: &settings,
                    device: None,
                };
                let (desk, cmds) = state;
                desk.ui(ui, &env, cmds);
            },
            (SupportDesk::default(), Vec::new()),
        );
    Desk {
        harness,
        _sim: sim,
        rt,
    }
}

fn labels_on_screen(h: &Harness<'static, State>) -> Vec<String> {
    h.query_all_by(|_| true)
        .filter_map(|n| {
            let node = n.accesskit_node();
            node.label().or_else(|| node.value())
        })
        .collect()
}

fn shows(h: &Harness<'static, State>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

fn step_until(
    h: &mut Harness<'static, State>,
    what: &str,
    done: impl Fn(&Harness<'static, State>) -> bool,
) {
    let start = Instant::now();
    loop {
        h.step();
        if done(h) {
            return;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "timed out waiting for {what}; on screen:\n{}",
            labels_on_screen(h).join("\n")
        );
        std::thread::sleep(Duration::from_millis(40));
    }
}

fn type_into(h: &mut Harness<'static, State>, label: &str, text: &str) {
    let field = h.get_by_label(label);
    field.focus();
    field.type_text(text);
    h.step();
}

fn click(h: &mut Harness<'static, State>, label: &str) {
    h.get_by_role_and_label(Role::Button, label).click();
    h.step();
}

/// Runs the engine against `sim` (history in `dir`) and returns the history record.
fn scored_record(
    rt: &tokio::runtime::Runtime,
    sim: &SimHandle,
    dir: &std::path::Path,
) -> RunRecord {
    // The audio stays in `dir`: an export with the recording reads it later.
    let audio = dir.join("take.wav");
    if !audio.exists() {
        common::write_speechlike_wav(&audio, 181.0, 8000);
    }
    let history = History::in_dir(dir.join("history"));
    let client = ApiClient::new(&sim.base_url(), ApiKey::new(KEY)).expect("client");
    let mut spec = JobSpec::new(&audio);
    spec.external_id = Some(format!("gui-support-{}", uuid::Uuid::new_v4()));
    let outcome = rt.block_on(run(
        client,
        Start::Submit(spec),
        JobOptions::default(),
        Some(history.records()),
        null_sink(),
        CancellationToken::new(),
    ));
    let (records, _) = history.list().expect("history");
    let record = records.into_iter().next().expect("one record");
    assert_eq!(record.full_outcome().as_ref(), Some(&outcome));
    record
}

#[test]
fn explain_a_pasted_envelope_shows_the_customers_dialog_and_the_technical_side() {
    let mut d = desk(SimConfig::fast(), None);
    let h = &mut d.harness;
    h.step();
    let envelope = r#"{"error":{"code":"INSUFFICIENT_CREDITS","message":"Insufficient credits","requestId":"req_77_ab","timestamp":"2026-05-29T10:00:00Z","details":{"cost":11,"available":4}}}"#;
    type_into(h, labels::EXPLAIN_INPUT, envelope);
    click(h, labels::EXPLAIN);
    let body: ApiErrorBody = serde_json::from_value(
        serde_json::from_str::<serde_json::Value>(envelope).expect("json")["error"].clone(),
    )
    .expect("envelope");
    let want = guidance::for_api_error(&body, None);
    assert!(shows(h, &want.title), "{:?}", labels_on_screen(h));
    assert!(shows(h, &want.body));
    h.get_by_role_and_label(Role::Button, "Top up credits");
    assert!(shows(h, "HTTP status: 402"));
    assert!(shows(h, "Retryable: no"));
    assert!(shows(h, "What the app does by itself: Never retries"));
    assert!(shows(h, "requestId: req_77_ab"));
    assert!(shows(h, want.vendor_says));
}

#[test]
fn look_up_a_run_by_id_and_by_external_id_and_see_credits_and_health() {
    let mut d = desk(SimConfig::fast(), None);
    let home = tempfile::tempdir().expect("home");
    let record = scored_record(&d.rt, &d._sim, home.path());
    let run_id = record.run_id.clone().expect("run id");
    let external_id = record.external_id.clone().expect("externalId");
    let h = &mut d.harness;

    step_until(h, "the status bar", |h| {
        shows(h, "Credits: ") && shows(h, "credits (") && shows(h, "Service: healthy")
    });

    type_into(h, labels::RUN_ID, &run_id);
    click(h, labels::LOOK_UP);
    step_until(h, "the poll body", |h| {
        shows(h, "analyze/req_") && shows(h, "→ HTTP 200")
    });
    assert!(
        shows(h, &format!("GET /api/v1/speech/analyze/{run_id}")),
        "{:?}",
        labels_on_screen(h)
    );
    // The tree and the raw JSON both show the run.
    assert!(
        shows(h, &format!("id: \"{run_id}\"")),
        "{:?}",
        labels_on_screen(h)
    );
    assert!(shows(h, "status: \"success\""));
    assert!(shows(h, &format!("\"id\": \"{run_id}\"")));

    type_into(h, labels::EXTERNAL_ID, &external_id);
    click(h, labels::FIND_RUNS);
    step_until(h, "the runs list", |h| shows(h, "/api/v1/speech/runs?"));
    assert!(
        shows(h, &format!("externalId: \"{external_id}\"")),
        "{:?}",
        labels_on_screen(h)
    );
    assert!(shows(h, "data [1]"), "exactly one run with that externalId");
}

#[test]
fn open_a_bundle_and_replay_it_step_by_step() {
    let scenario = Scenario::from_toml_str(
        "[[step]]\non = \"submit\"\nrespond = \"error\"\ncode = \"SERVICE_WARMING_UP\"\nretry_after = 1\n\n[[step]]\non = \"poll\"\nrespond = \"failed\"\ncode = \"STUCK_TIMEOUT\"\n",
    )
    .expect("scenario");
    let home = tempfile::tempdir().expect("home");
    // The customer's run, on its own simulator.
    let mut d = desk(SimConfig::fast(), None);
    let customer_sim =
        d.rt.block_on(Simulator::start(
            SimConfig::fast().with_key(KEY).with_scenario(scenario),
        ))
        .expect("customer simulator");
    let record = scored_record(&d.rt, &customer_sim, home.path());
    drop(customer_sim);
    let original = record.outcome.clone().expect("outcome");
    let bundle = home.path().join("customer.zip");
    write_bundle(
        &record,
        &Settings::default(),
        &BundleOptions::default(),
        &bundle,
    )
    .expect("bundle");

    let h = &mut d.harness;
    h.step();
    type_into(h, labels::BUNDLE_PATH, &bundle.display().to_string());
    click(h, labels::OPEN_BUNDLE);
    step_until(h, "the opened bundle", |h| {
        h.query_by_role_and_label(Role::Button, labels::REPLAY)
            .is_some()
    });
    assert!(
        shows(h, "stuck") || shows(h, "failed"),
        "{:?}",
        labels_on_screen(h)
    );
    // The original's request log is in the table.
    assert!(shows(h, "SERVICE_WARMING_UP"));

    click(h, labels::REPLAY);
    step_until(h, "the first replayed exchange", |h| {
        shows(h, "1. submit 503 SERVICE_WARMING_UP")
    });
    step_until(h, "the end of the replay", |h| {
        shows(h, "Replay matches the original")
    });
    assert!(shows(h, "poll 200 STUCK_TIMEOUT"));
    assert!(shows(h, "Outcome: failed"));
    let err = original.error.as_ref().expect("error");
    let want = guidance::for_outcome_error(err, original.run_id.as_deref());
    assert!(
        shows(h, &want.title),
        "the customer's dialog: {:?}",
        labels_on_screen(h)
    );
}

#[test]
fn copy_as_curl_and_export_the_run_on_screen() {
    let home = tempfile::tempdir().expect("home");
    let probe = desk(SimConfig::fast(), None);
    let record = scored_record(&probe.rt, &probe._sim, home.path());
    drop(probe);
    let mut d = desk(SimConfig::fast(), Some(record.clone()));
    let h = &mut d.harness;
    h.step();
    // A row of the run's request log, then its curl command.
    h.get_by_label("POST /api/v1/speech/analyze").click();
    h.step();
    click(h, labels::COPY_CURL);
    let copied: Vec<String> = h
        .state()
        .1
        .iter()
        .filter_map(|c| match c {
            Command::CopyToClipboard { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(copied.len(), 1, "{:?}", h.state().1);
    assert!(copied[0].contains("-X POST"), "{}", copied[0]);
    assert!(copied[0].contains("$ZENHIRE_API_KEY"));
    assert!(!copied[0].contains(KEY), "never the key itself");

    let out = home.path().join("export.zip");
    type_into(h, labels::EXPORT_PATH, &out.display().to_string());
    h.get_by_label(labels::INCLUDE_RECORDING).click();
    h.step();
    click(h, labels::EXPORT);
    step_until(h, "the export", |h| shows(h, "Wrote "));
    assert!(shows(h, "with the recording"));
    let b = speech_scorer::support::bundle::read_bundle(&out).expect("bundle");
    assert_eq!(b.record.run_id, record.run_id);
    assert!(b.recording.is_some(), "the box was ticked");
}
