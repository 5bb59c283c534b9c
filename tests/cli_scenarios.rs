//! Every scenario the simulator ships, played through the real binary: the CLI must reach the
//! outcome, exit code and error code the scenario's `[expect]` names, without ever submitting
//! twice.

mod foundation_support;

use foundation_support::*;
use speech_scorer::simulator::{Scenario, SimConfig, Simulator};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shipped_scenario_ends_as_expected() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("assets/scenarios")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the library is there: {files:?}");
    let audio = three_minutes().display().to_string();
    let runs = files.iter().map(|path| {
        let audio = audio.clone();
        async move {
            let scenario = Scenario::load(path).expect("scenario loads");
            let expect = scenario.expect.clone();
            let sim = Simulator::start(SimConfig::fast().with_scenario(scenario))
                .await
                .expect("simulator");
            let home = tempfile::tempdir().expect("home");
            let run = run_cli(
                home.path(),
                &sim.base_url(),
                sim.api_key(),
                &["score", &audio, "--json", "--max-wait", "60"],
            )
            .await;
            (path.clone(), expect, run, sim.requests(), sim.run_count())
        }
    });
    let mut checked = 0;
    for (path, expect, run, reqs, run_count) in futures_util::future::join_all(runs).await {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let Some(expect) = expect else { continue };
        let v = run.json();
        assert_eq!(v["outcome"], expect.outcome.as_str(), "{name:?}: {run:?}");
        if let Some(code) = expect.exit_code {
            assert_eq!(run.code, i32::from(code), "{name:?}: {}", run.stderr);
        }
        if let Some(code) = &expect.code {
            assert_eq!(v["error"]["code"], code.as_str(), "{name:?}");
        }
        assert!(run_count <= 1, "{name:?}: {run_count} runs created");
        let accepted = reqs
            .iter()
            .filter(|r| r.method == "POST" && r.path == SUBMIT && r.status == 202)
            .count();
        assert!(accepted <= 1, "{name:?}: accepted twice");
        checked += 1;
    }
    assert!(checked >= 10, "{checked} scenarios checked");
}
