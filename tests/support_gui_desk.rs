//! The support desk's second pass in the real app (issue 15), by accessible label: the log of
//! all runs searched and paged, one exchange's request view (headers with the key masked,
//! the form with the audio described, the response), the profile switch in the header (the
//! next request goes to the new address with the new key), and opening a bundle by its path,
//! by the file dialog (none here: it says so) and by dropping it on the window.

mod gui_support;
#[path = "common/history_gen.rs"]
mod history_gen;

use egui_kittest::kittest::Queryable as _;
use gui_support::{
    OwnSim, Setup, click, copied, import_and_submit, own_sim, shows, start, start_with, step_until,
    type_into, wait_for,
};
use speech_scorer::api::client::ApiKey;
use speech_scorer::simulator::SimConfig;
use speech_scorer::store::{History, Paths, Profiles, Settings};
use speech_scorer::ui::Screen;
use speech_scorer::ui::support::labels;

type H = egui_kittest::Harness<'static, speech_scorer::ui::App>;

fn open_support(h: &mut H) {
    click(h, "Support");
    assert_eq!(h.state().state.screen, Screen::Support);
    h.step();
}

fn masked(key: &str) -> String {
    ApiKey::new(key).expect("key").masked()
}

#[test]
fn the_log_of_all_runs_is_searched_filtered_and_paged() {
    const RUNS: usize = 120;
    let runs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = runs.clone();
    let mut gui = start_with(Setup {
        prepare: Box::new(move |config| {
            let paths = config.paths.as_ref().expect("paths");
            let made = history_gen::fill(&History::new(paths), RUNS);
            *keep.lock().expect("lock") = made;
        }),
        ..Setup::default()
    });
    let runs = runs.lock().expect("lock").clone();
    let total: usize = runs.iter().map(|r| r.exchanges.len()).sum();
    let h = &mut gui.harness;
    open_support(h);
    h.get_by_label(labels::ALL_RUNS).click();
    h.step();
    wait_for(
        h,
        &format!(
            "Page 1 of {} · {total} matching requests in {RUNS} runs",
            total.div_ceil(50)
        ),
    );
    // Newest first: the last generated run's final poll heads the page.
    let newest = &runs[RUNS - 1];
    assert!(shows(h, newest.run_id.as_deref().expect("run id")));

    // Free text: one failed run's message.
    type_into(h, labels::SEARCH, "NEEDLE-12 went");
    wait_for(h, "Page 1 of 1 · 1 matching requests");
    assert!(shows(h, "req_gen_00012"));
    assert!(!shows(h, "req_gen_00120"), "needle-120 is another run");

    // Clear the text, filter by status: two pages of 429s, then the older one.
    let field = h.get_by_label(labels::SEARCH);
    field.focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.key_press(egui::Key::Backspace);
    h.step();
    type_into(h, labels::SEARCH_STATUS, "5xx");
    let warm: usize = runs
        .iter()
        .flat_map(|r| &r.exchanges)
        .filter(|e| e.status == Some(503))
        .count();
    assert!(warm > 50, "more than a page");
    wait_for(h, &format!("Page 1 of 2 · {warm} matching requests"));
    click(h, labels::OLDER);
    wait_for(h, &format!("Page 2 of 2 · {warm} matching requests"));
    assert!(shows(h, "SERVICE_WARMING_UP"));
    // A filter that does not read says so, and the last page stays.
    type_into(h, labels::SEARCH_SINCE, "last tuesday");
    wait_for(h, "is not a time");
}

#[test]
fn an_exchange_shows_the_request_as_sent_and_the_response() {
    let mut gui = start(SimConfig::fast());
    import_and_submit(&mut gui);
    let h = &mut gui.harness;
    let key = h
        .state()
        .demo_simulator()
        .expect("demo simulator")
        .api_key()
        .to_string();
    let base = h.state().connection.base_url.clone();
    open_support(h);
    // The status bar fills in first (it moves the table down a line).
    step_until(h, "the status bar", |h| shows(h, "Service: healthy"));
    h.get_by_label("POST /api/v1/speech/analyze").click();
    h.step();
    // The request: method and full URL, the headers with the key masked, the form.
    assert!(
        shows(h, &format!("POST {base}/api/v1/speech/analyze")),
        "{:?}",
        gui_support::labels(h)
    );
    assert!(shows(h, labels::REQUEST) && shows(h, labels::RESPONSE));
    assert!(shows(h, "x-api-key"));
    assert!(shows(h, &masked(&key)), "the key masked");
    assert!(!shows(h, &key), "never the key itself");
    assert!(shows(h, "multipart/form-data; boundary="));
    assert!(
        shows(h, "speech-200s.wav · 3.2 MB · audio/wav · 3 min 20 s"),
        "{:?}",
        gui_support::labels(h)
    );
    assert!(shows(h, "language"));
    // The response: status, headers, body.
    assert!(shows(h, "202 Accepted"));
    assert!(shows(h, "x-zenhire-simulator"));
    assert!(shows(h, "\"queued\"") || shows(h, "\"processing\""));

    click(h, labels::COPY_JSON);
    let json = copied(h);
    assert_eq!(json.len(), 1, "{json:?}");
    let v: serde_json::Value = serde_json::from_str(&json[0]).expect("JSON");
    assert_eq!(v["url"], format!("{base}/api/v1/speech/analyze"));
    assert_eq!(v["form"]["audio"]["fileName"], "speech-200s.wav");
    assert_eq!(v["form"]["audio"]["durationMs"], 200_000);
    assert!(!json[0].contains(&key), "the JSON holds no key");
    click(h, labels::COPY_CURL);
    let curl = copied(h);
    assert!(
        curl[0].contains("-F 'audio=@speech-200s.wav;type=audio/wav'"),
        "{}",
        curl[0]
    );
    assert!(
        curl[0].contains(&base),
        "the run's own address: {}",
        curl[0]
    );
}

const KEY_A: &str = "zh_live_gui_alpha_key_1a2b3c4d";
const KEY_B: &str = "zh_live_gui_beta_key_9z8y7x6w";

fn keys_seen(own: &OwnSim) -> Vec<(String, u64)> {
    own.sim
        .stats()
        .keys
        .into_iter()
        .filter(|k| k.requests > 0)
        .map(|k| (k.key, k.requests))
        .collect()
}

#[test]
fn switching_profile_in_the_header_changes_the_address_and_key_of_the_next_request() {
    let a = own_sim(SimConfig::fast().with_key(KEY_A));
    let b = own_sim(SimConfig::fast().with_key(KEY_B));
    let (url_a, url_b) = (a.sim.base_url(), b.sim.base_url());
    let mut gui = start_with(Setup {
        prepare: Box::new(move |config| {
            let paths: &Paths = config.paths.as_ref().expect("paths");
            let mut p = Profiles::migrated(&Settings::default(), false);
            p.add("alpha", &url_a).expect("add");
            p.add("beta", &url_b).expect("add");
            p.set_active("alpha").expect("use");
            p.save(paths).expect("save");
            let keys = config.profile_keys.as_ref().expect("test keys");
            keys.entry("alpha")
                .set(&ApiKey::new(KEY_A).expect("key"))
                .expect("set");
            keys.entry("beta")
                .set(&ApiKey::new(KEY_B).expect("key"))
                .expect("set");
        }),
        ..Setup::default()
    });
    let h = &mut gui.harness;
    // Alpha is active: the app's first request (the balance) went to A with A's key.
    step_until(h, "the balance from alpha", |h| {
        matches!(h.state().balance, Some(Ok(_)))
    });
    assert_eq!(keys_seen(&a), [(masked(KEY_A), 1)]);
    assert!(keys_seen(&b).is_empty());
    assert!(shows(
        h,
        &format!("Service: {} (profile alpha)", a.sim.base_url())
    ));
    assert!(
        !shows(h, "results are not real"),
        "a real service: no demo banner"
    );

    // One click on "beta" in the header.
    h.get_by_label("beta").click();
    h.step();
    step_until(h, "the switch to beta", |h| {
        h.state().connection.profile == "beta" && h.state().connection.base_url == b.sim.base_url()
    });
    step_until(h, "beta's first request", |_| !keys_seen(&b).is_empty());
    assert_eq!(keys_seen(&b), [(masked(KEY_B), 1)], "beta's own key");
    assert_eq!(
        keys_seen(&a),
        [(masked(KEY_A), 1)],
        "nothing more went to alpha"
    );
    wait_for(h, &format!("Service: {} (profile beta)", b.sim.base_url()));
    wait_for(h, &format!("with key {}", masked(KEY_B)));

    // The built-in simulator is a profile: demo mode, visibly.
    h.get_by_label("simulator").click();
    h.step();
    wait_for(h, "Simulated service — results are not real");
    assert!(h.state().connection.demo);
    // The choice is kept (written off the UI thread: on disk a moment later).
    let file = gui.home.path().join("config/profiles.toml");
    step_until(h, "the choice on disk", |_| {
        std::fs::read_to_string(&file).is_ok_and(|t| t.contains("active = \"simulator\""))
    });
    let saved = std::fs::read_to_string(&file).expect("profiles file");
    assert!(
        !saved.contains(KEY_A) && !saved.contains(KEY_B),
        "no key in it"
    );
}

/// A file dropped on the window, as the desktop hands it over.
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_bundle_opens_by_its_path_by_dialog_or_by_dropping_it() {
    let made = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = made.clone();
    let mut gui = start_with(Setup {
        prepare: Box::new(move |config| {
            let home = config.paths.as_ref().expect("paths").data_dir.clone();
            std::fs::create_dir_all(&home).expect("dir");
            for i in [3usize, 4] {
                let record = history_gen::run(i, history_gen::start());
                let zip = home.join(format!("customer-{i}.zip"));
                speech_scorer::support::bundle::write_bundle(
                    &record,
                    &Settings::default(),
                    &Default::default(),
                    &zip,
                )
                .expect("bundle");
                keep.lock().expect("lock").push(zip);
            }
        }),
        ..Setup::default()
    });
    let zips = made.lock().expect("lock").clone();
    let h = &mut gui.harness;
    open_support(h);

    // No file dialog on this machine: it says so, and the path field is there.
    click(h, labels::CHOOSE_BUNDLE);
    wait_for(h, "No file dialog here");
    assert!(
        h.get_by_label(labels::BUNDLE_PATH).is_focused(),
        "the path field has focus"
    );

    // The path, then Enter.
    h.get_by_label(labels::BUNDLE_PATH)
        .type_text(&zips[0].display().to_string());
    h.key_press(egui::Key::Enter);
    h.step();
    wait_for(h, "Run req_gen_00003 · ");
    assert!(h.query_by_label(labels::REPLAY).is_some());
    assert!(shows(h, "Bundle (original)"));

    // Dropped on the window, from any screen: it opens on the Support screen.
    click(h, "History");
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(zips[1].clone())));
    h.step();
    assert_eq!(h.state().state.screen, Screen::Support);
    wait_for(h, "Run req_gen_00004 · ");
    assert_eq!(h.state().support.bundle_path, zips[1].display().to_string());
    assert!(h.state().take.is_none(), "a bundle is not a recording");
}
