//! No trace of the API key anywhere support staff get to see: a run is scored (one success,
//! one failure), then its bundle (with the recording), every part of it, the request log in
//! every form, the curl commands, the exported scenario and every command's output are
//! searched for the key, whole and in pieces.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use speech_scorer::engine::Outcome;
use speech_scorer::simulator::{Scenario, SimConfig, Simulator};
use speech_scorer::support::bundle::unpack_all;

const KEY: &str = "zh_live_Qx7TopSecretKeyValue_8842";

fn bin(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_speech-scorer"));
    c.env("SPEECH_SCORER_HOME", home)
        .env("ZENHIRE_API_KEY", KEY)
        .env_remove("ZENHIRE_BASE_URL");
    c
}

/// The key, and the parts of it long enough to identify it.
fn assert_no_key(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for needle in [KEY, "TopSecretKeyValue", "Qx7TopSecret"] {
        assert!(!text.contains(needle), "{what} holds the key ({needle})");
    }
}

fn check_output(what: &str, out: &Output) {
    assert_no_key(&format!("{what} stdout"), &out.stdout);
    assert_no_key(&format!("{what} stderr"), &out.stderr);
}

#[test]
fn bundles_logs_curl_and_scenarios_never_hold_the_key() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let home = tempfile::tempdir().expect("home");
    let (_audio_dir, audio) = common::speech_fixture(181.0);
    let scenarios = [
        "[[step]]\non = \"submit\"\nrespond = \"error\"\ncode = \"RATE_LIMIT_EXCEEDED\"\nretry_after = 1\n",
        "[[step]]\non = \"poll\"\nrespond = \"failed\"\ncode = \"SCORING_FAILED\"\n",
    ];
    for (n, text) in scenarios.iter().enumerate() {
        let scenario = Scenario::from_toml_str(text).expect("scenario");
        let sim = rt
            .block_on(Simulator::start(
                SimConfig::fast().with_key(KEY).with_scenario(scenario),
            ))
            .expect("simulator");
        let scored = bin(home.path())
            .args(["score", "--json", "--base-url", &sim.base_url()])
            .arg(&audio)
            .output()
            .expect("score");
        check_output("score", &scored);
        let outcome: Outcome = serde_json::from_slice(&scored.stdout).expect("outcome");
        let run_id = outcome.run_id.clone().expect("run id");
        drop(sim);

        for args in [
            vec!["log", run_id.as_str()],
            vec!["log", run_id.as_str(), "--json"],
            vec!["log", run_id.as_str(), "--curl"],
        ] {
            let out = bin(home.path()).args(&args).output().expect("log");
            assert!(out.status.success(), "{args:?}: {out:?}");
            check_output(&args.join(" "), &out);
            if args.contains(&"--curl") {
                let curl = String::from_utf8_lossy(&out.stdout);
                assert!(curl.contains("$ZENHIRE_API_KEY"), "{curl}");
            }
        }

        let bundle = home.path().join(format!("bundle-{n}.zip"));
        let out = bin(home.path())
            .args(["bundle", &run_id, "--include-recording", "-o"])
            .arg(&bundle)
            .output()
            .expect("bundle");
        assert!(out.status.success(), "{out:?}");
        check_output("bundle", &out);
        let raw = std::fs::read(&bundle).expect("zip bytes");
        assert_no_key("the zip file", &raw);
        let parts = unpack_all(&bundle).expect("unpack");
        let names: Vec<&str> = parts.iter().map(|(n, _)| n.as_str()).collect();
        for want in [
            "manifest.json",
            "run.json",
            "requests.json",
            "scenario.toml",
            "curl.txt",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        assert!(
            names.iter().any(|n| n.starts_with("recording/")),
            "{names:?}"
        );
        assert!(
            names.iter().any(|n| n.starts_with("responses/")),
            "{names:?}"
        );
        for (name, bytes) in &parts {
            assert_no_key(name, bytes);
        }

        let scenario = home.path().join(format!("scenario-{n}.toml"));
        let out = Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
            .env("SPEECH_SCORER_HOME", home.path().join("desk"))
            .args(["replay", "--json", "--export-scenario"])
            .arg(&scenario)
            .arg(&bundle)
            .output()
            .expect("replay");
        check_output("replay", &out);
        assert_eq!(
            out.status.code(),
            Some(speech_scorer::cli::exit::for_outcome(&outcome) as i32),
            "the replay ends like the original: {out:?}"
        );
        assert_no_key(
            "exported scenario",
            &std::fs::read(&scenario).expect("scenario"),
        );
    }

    // The history itself (what `log` and `bundle` read) holds no key either.
    for entry in std::fs::read_dir(home.path().join("data").join("history")).expect("history dir") {
        let path = entry.expect("entry").path();
        assert_no_key(
            &path.display().to_string(),
            &std::fs::read(&path).expect("read"),
        );
    }
}
