//! The key flows, with the app in real-key mode against a simulator the test owns: a wrong
//! key opens Settings on the key field, an expired one asks for a new key, "Test key" calls
//! GET /credits, saving a key leaves demo mode.

mod gui_support;

use egui_kittest::kittest::Queryable as _;
use gui_support::{
    Setup, click, import_and_submit, own_sim, shows, start_with, step_until, type_into, with_key,
};
use speech_scorer::simulator::{KeyConfig, SimConfig};
use speech_scorer::ui::Screen;
use speech_scorer::ui::settings::KEY_FIELD_LABEL;

#[test]
fn a_wrong_key_opens_settings_on_the_key_field() {
    let own = own_sim(SimConfig::fast());
    let mut gui = start_with(Setup {
        prepare: with_key(own.sim.base_url(), "zh_not_a_real_key_0000".into()),
        ..Setup::default()
    });
    assert!(
        !gui.harness.state().connection.demo,
        "a saved key leaves demo mode"
    );
    import_and_submit(&mut gui);
    let h = &mut gui.harness;
    assert!(shows(h, "INVALID_API_KEY"), "dialog names the code");
    click(h, "Check API key");
    assert_eq!(h.state().state.screen, Screen::Settings);
    h.step();
    assert!(h.get_by_label(KEY_FIELD_LABEL).is_focused());
    // The key is never shown in full again, only masked.
    assert!(shows(h, "Saved key: zh_…0000"));
    assert!(!shows(h, "zh_not_a_real_key_0000"));
}

#[test]
fn an_expired_key_asks_for_a_new_one() {
    let mut expired = KeyConfig::new("zh_expired_key_1234");
    expired.expired = true;
    let own = own_sim(SimConfig {
        keys: vec![expired],
        ..SimConfig::fast()
    });
    let mut gui = start_with(Setup {
        prepare: with_key(own.sim.base_url(), "zh_expired_key_1234".into()),
        ..Setup::default()
    });
    import_and_submit(&mut gui);
    let h = &mut gui.harness;
    assert!(shows(h, "API_KEY_EXPIRED"));
    click(h, "Create a new API key");
    assert_eq!(h.state().state.screen, Screen::Settings);
    h.step();
    assert!(h.get_by_label(KEY_FIELD_LABEL).is_focused());
}

#[test]
fn test_key_and_save_key_leave_demo_mode() {
    let own = own_sim(SimConfig::fast());
    let mut gui = start_with(Setup::default());
    let h = &mut gui.harness;
    step_until(h, "the banner", |h| shows(h, "results are not real"));
    click(h, "Enter a real API key");
    h.step();
    let field = h.get_by_label(KEY_FIELD_LABEL);
    field.type_text(own.sim.api_key());
    h.step();
    let url = h.get_by_label("Service address");
    url.focus();
    url.type_text(&own.sim.base_url());
    h.step();
    click(h, "Test key");
    step_until(h, "the key test", |h| {
        shows(h, "The key works. Balance: 500 credits.")
    });
    click(h, "Save settings");
    click(h, "Save key");
    // Saved off the UI thread: the app takes it in once the store answers.
    step_until(h, "the saved key in use", |h| {
        h.state().connection.is_ready() && !h.state().connection.demo
    });
    assert_eq!(h.state().connection.base_url, own.sim.base_url());
    assert!(!shows(h, "results are not real"), "banner gone");
    assert!(!shows(h, own.sim.api_key()), "the key is not displayed");
    // Forgetting it goes back to the simulator.
    click(h, "Forget key");
    step_until(h, "demo mode again", |h| h.state().connection.demo);
}

#[test]
fn bad_settings_are_flagged_inline() {
    let mut gui = start_with(Setup::default());
    let h = &mut gui.harness;
    click(h, "Settings");
    h.step();
    let url = h.get_by_label("Service address");
    url.focus();
    url.type_text("http://example.com");
    h.step();
    let meta = h.get_by_label("Metadata (JSON)");
    meta.focus();
    meta.type_text("{candidate: c_887");
    h.step();
    h.step();
    assert!(
        shows(h, "refusing plain http://"),
        "plain http to a remote host is refused"
    );
    // Metadata that is not JSON is flagged as the API would.
    assert!(shows(h, "not valid JSON"));
    click(h, "Save settings");
    assert_eq!(
        h.state().settings.base_url,
        None,
        "invalid settings are not saved"
    );
}

#[test]
fn test_key_offline_says_network_not_bad_key_and_clears_when_the_key_changes() {
    let mut gui = start_with(Setup::default());
    let h = &mut gui.harness;
    click(h, "Settings");
    h.step();
    type_into(h, KEY_FIELD_LABEL, "zh_live_offline_test_9999");
    // Nothing listens on port 9 of this machine: the connection is refused.
    type_into(h, "Service address", "http://127.0.0.1:9");
    click(h, "Test key");
    step_until(h, "the key test", |h| !h.state().form.key_testing);
    h.step();
    assert!(
        shows(
            h,
            "The key was not checked: the service could not be reached"
        ),
        "{:?}",
        gui_support::labels(h)
    );
    assert!(shows(
        h,
        "This is a network problem, not a problem with the key."
    ));
    assert!(!shows(h, "The key did not work"));
    // Editing the key: what was said about the old one goes.
    type_into(h, KEY_FIELD_LABEL, "0");
    h.step();
    assert!(
        !shows(h, "The key was not checked"),
        "stale message cleared"
    );
}

#[test]
fn a_key_the_service_refused_is_saved_only_after_a_warning() {
    let own = own_sim(SimConfig::fast());
    let mut gui = start_with(Setup::default());
    let h = &mut gui.harness;
    click(h, "Settings");
    h.step();
    type_into(h, KEY_FIELD_LABEL, "zh_not_a_real_key_0000");
    type_into(h, "Service address", &own.sim.base_url());
    click(h, "Test key");
    step_until(h, "the key test", |h| !h.state().form.key_testing);
    h.step();
    assert!(
        shows(
            h,
            "The service refused the key: The API key isn't recognised (INVALID_API_KEY)."
        ),
        "{:?}",
        gui_support::labels(h)
    );
    click(h, "Save settings");
    click(h, "Save key");
    step_until(h, "the warning", |h| {
        shows(h, "Save a key that did not work?")
    });
    assert!(h.state().connection.demo, "not saved before the answer");
    // Cancel keeps the old state ...
    click(h, "Cancel");
    h.step();
    assert!(h.state().connection.demo);
    // ... and "Save anyway" saves it.
    click(h, "Save key");
    step_until(h, "the warning again", |h| {
        shows(h, "Save a key that did not work?")
    });
    click(h, "Save anyway");
    // Saved off the UI thread: the app takes it in once the store answers.
    step_until(h, "the key saved after the warning", |h| {
        !h.state().connection.demo
    });
}
