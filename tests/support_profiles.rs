//! Service profiles on the command line (issue 15.5): each profile has its base URL and its
//! own key; switching profile (`--profile NAME`, or `profile use NAME`) changes the address
//! and the key of the next request — checked at two local simulators, each accepting only its
//! own key and counting the (masked) keys it saw. The built-in simulator is a profile too.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use speech_scorer::api::client::ApiKey;
use speech_scorer::simulator::{SimConfig, SimHandle, Simulator};

/// `zh_…1234`, as the app and the simulator show a key.
fn masked(key: &str) -> String {
    ApiKey::new(key).expect("key").masked()
}

const KEY_A: &str = "zh_live_alpha_profile_key_aaaa1111";
const KEY_B: &str = "zh_live_beta_profile_key_bbbb2222";

fn bin(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_speech-scorer"));
    c.env("SPEECH_SCORER_HOME", home)
        .env_remove("ZENHIRE_API_KEY")
        .env_remove("ZENHIRE_BASE_URL")
        .env_remove("ZENHIRE_PROFILE");
    c
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run speech-scorer")
}

fn with_stdin(cmd: &mut Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    child.wait_with_output().expect("wait")
}

/// The masked keys a simulator saw, each with how many requests carried it.
fn keys_seen(sim: &SimHandle) -> Vec<(String, u64)> {
    sim.stats()
        .keys
        .into_iter()
        .filter(|k| k.requests > 0)
        .map(|k| (k.key, k.requests))
        .collect()
}

#[test]
fn switching_profile_changes_the_address_and_the_key_of_the_next_request() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let a = rt
        .block_on(Simulator::start(SimConfig::fast().with_key(KEY_A)))
        .expect("simulator A");
    let b = rt
        .block_on(Simulator::start(SimConfig::fast().with_key(KEY_B)))
        .expect("simulator B");
    let home = tempfile::tempdir().expect("home");

    let added = with_stdin(
        bin(home.path()).args([
            "profile",
            "add",
            "alpha",
            "--key-stdin",
            "--base-url",
            &a.base_url(),
        ]),
        &format!("{KEY_A}\n"),
    );
    assert!(added.status.success(), "{added:?}");
    let added = with_stdin(
        bin(home.path()).args([
            "profile",
            "add",
            "beta",
            "--key-stdin",
            "--base-url",
            &b.base_url(),
        ]),
        KEY_B,
    );
    assert!(added.status.success(), "{added:?}");
    let list = run(bin(home.path()).args(["profile", "list"]));
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.contains(&masked(KEY_A)) && text.contains(&masked(KEY_B)),
        "{text}"
    );
    assert!(
        !text.contains(KEY_A) && !text.contains(KEY_B),
        "keys never print: {text}"
    );
    assert!(
        text.contains("* simulator"),
        "a fresh install is in demo mode: {text}"
    );
    for (name, key) in [("alpha", KEY_A), ("beta", KEY_B)] {
        let file = home
            .path()
            .join("config/profiles")
            .join(name)
            .join("api-key");
        assert_eq!(
            std::fs::read_to_string(&file).expect("key file").trim(),
            key
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{name}'s key is owner-only");
        }
    }
    let profiles_file =
        std::fs::read_to_string(home.path().join("config/profiles.toml")).expect("profiles");
    assert!(!profiles_file.contains(KEY_A) && !profiles_file.contains(KEY_B));

    // --profile picks the address and the key.
    let credits = run(bin(home.path()).args(["credits", "--profile", "alpha"]));
    assert!(credits.status.success(), "{credits:?}");
    assert_eq!(keys_seen(&a), [(masked(KEY_A), 1)]);
    assert!(keys_seen(&b).is_empty(), "nothing went to beta");
    let credits = run(bin(home.path()).args(["credits", "--profile", "beta"]));
    assert!(credits.status.success(), "{credits:?}");
    assert_eq!(keys_seen(&b), [(masked(KEY_B), 1)]);
    assert_eq!(
        keys_seen(&a),
        [(masked(KEY_A), 1)],
        "alpha saw nothing more"
    );

    // `profile use` switches what commands without --profile talk to.
    let used = run(bin(home.path()).args(["profile", "use", "beta"]));
    assert!(used.status.success(), "{used:?}");
    let credits = run(bin(home.path()).args(["credits"]));
    assert!(credits.status.success(), "{credits:?}");
    assert_eq!(keys_seen(&b), [(masked(KEY_B), 2)]);
    run(bin(home.path()).args(["profile", "use", "alpha"]));
    let health = run(bin(home.path()).args(["credits", "--json"]));
    assert!(health.status.success(), "{health:?}");
    assert_eq!(keys_seen(&a), [(masked(KEY_A), 2)]);
    assert_eq!(keys_seen(&b), [(masked(KEY_B), 2)]);

    // A named profile uses its own key even when $ZENHIRE_API_KEY holds another (and says so).
    let credits =
        run(bin(home.path())
            .env("ZENHIRE_API_KEY", KEY_B)
            .args(["credits", "--profile", "alpha"]));
    assert!(credits.status.success(), "{credits:?}");
    assert!(
        String::from_utf8_lossy(&credits.stderr).contains("$ZENHIRE_API_KEY is ignored"),
        "{credits:?}"
    );
    assert_eq!(keys_seen(&a), [(masked(KEY_A), 3)]);
    // Without --profile the environment still wins, as it always did.
    let credits = run(bin(home.path())
        .env("ZENHIRE_API_KEY", KEY_B)
        .env("ZENHIRE_BASE_URL", b.base_url())
        .args(["credits"]));
    assert!(credits.status.success(), "{credits:?}");
    assert_eq!(keys_seen(&b), [(masked(KEY_B), 3)]);

    // The built-in simulator is a profile: no key, no server needed, and it says so.
    let demo = run(bin(home.path()).args(["credits", "--profile", "simulator"]));
    assert!(demo.status.success(), "{demo:?}");
    assert!(
        String::from_utf8_lossy(&demo.stdout).contains("(simulator)"),
        "{demo:?}"
    );
    assert!(String::from_utf8_lossy(&demo.stderr).contains("results are not real"));

    // An unknown profile is invalid input; nothing is sent.
    let unknown = run(bin(home.path()).args(["credits", "--profile", "nope"]));
    assert_eq!(unknown.status.code(), Some(2), "{unknown:?}");
    let removed = run(bin(home.path()).args(["profile", "remove", "beta"]));
    assert!(removed.status.success(), "{removed:?}");
    assert!(
        !home.path().join("config/profiles/beta/api-key").exists(),
        "its key went too"
    );
    assert_eq!(a.stats().requests, 3);
    assert_eq!(b.stats().requests, 3);
}

#[test]
fn a_saved_url_and_key_become_the_default_profile() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let a = rt
        .block_on(Simulator::start(SimConfig::fast().with_key(KEY_A)))
        .expect("simulator A");
    let home = tempfile::tempdir().expect("home");
    // What a version without profiles left behind: a base URL in the settings, one key file.
    std::fs::create_dir_all(home.path().join("config")).expect("dir");
    std::fs::write(
        home.path().join("config/settings.toml"),
        format!("base_url = \"{}\"\n", a.base_url()),
    )
    .expect("settings");
    std::fs::write(home.path().join("config/api-key"), KEY_A).expect("key");
    let list = run(bin(home.path()).args(["profile", "list", "--json"]));
    let v: serde_json::Value = serde_json::from_slice(&list.stdout).expect("json");
    let default = v
        .as_array()
        .expect("array")
        .iter()
        .find(|p| p["name"] == "default")
        .expect("a default profile");
    assert_eq!(default["active"], true);
    assert_eq!(default["service"], a.base_url());
    assert_eq!(default["key"], masked(KEY_A));
    let credits = run(bin(home.path()).args(["credits", "--profile", "default"]));
    assert!(credits.status.success(), "{credits:?}");
    assert_eq!(keys_seen(&a), [(masked(KEY_A), 1)]);
}
