//! `speech-scorer simulate` as a process: starts fast, prints its URL and key, serves, and
//! stops cleanly on Ctrl-C (SIGINT).

mod simulator_support;

use std::process::Command;
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
}

#[tokio::test]
async fn simulate_prints_url_and_key_and_stops_on_ctrl_c() {
    let started = Instant::now();
    let (child, url, mut lines) = simulator_support::simulate_process(&[
        "--fast",
        "--scenario",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/scenarios/retry-503-warming-up.toml"
        ),
    ]);
    let startup = started.elapsed();
    let key_line = lines.next().expect("key line").expect("utf-8");
    let key = key_line.rsplit(' ').next().expect("key").to_string();
    assert!(key.starts_with("zh_api_sim_"), "{key_line}");
    assert!(startup < Duration::from_secs(2), "startup took {startup:?}");

    let client = simulator_support::client();
    let resp = client
        .get(format!("{url}/api/v1/health"))
        .send()
        .await
        .expect("health");
    assert_eq!(resp.status().as_u16(), 200);
    // The scenario is loaded: the first submit is warming up.
    let resp = client
        .post(format!("{url}/api/v1/speech/analyze"))
        .header("X-API-Key", &key)
        .multipart(simulator_support::form(None, &[]))
        .send()
        .await
        .expect("submit");
    assert_eq!(resp.status().as_u16(), 503);
    // The banner, then one log line per request.
    let mut rest = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("utf-8");
        let done = line.contains("POST /api/v1/speech/analyze -> 503");
        rest.push(line);
        if done {
            break;
        }
    }
    assert!(
        rest.iter().any(|l| l.contains("ZENHIRE_API_KEY")),
        "{rest:?}"
    );
    assert!(rest.iter().any(|l| l.contains("simulated")), "{rest:?}");
    assert!(
        rest.iter().any(|l| l.contains("GET /api/v1/health -> 200")),
        "{rest:?}"
    );
    let last = rest.last().expect("a log line");
    assert!(
        last.contains("[SERVICE_WARMING_UP]") && last.contains("[step submit:error]"),
        "{rest:?}"
    );

    // SAFETY: sending a signal to our own child process.
    let rc = unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert_eq!(rc, 0);
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{:?}", out.status);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stopped after 2 requests"), "{err}");
    assert!(err.contains("2 scripted responses were not used"), "{err}");
}

#[test]
fn a_bad_scenario_is_invalid_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[[step]]\non = \"poll\"\nrespond = \"failed\"\n").expect("write");
    let out = bin()
        .args(["simulate", "--scenario"])
        .arg(&path)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("step 1") && err.contains("code"), "{err}");
}
