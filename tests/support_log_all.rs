//! One log of every request across all runs (issue 15.2): `log --all` with each filter finds
//! exactly the exchanges a plain scan of hundreds of generated runs says it should, newest
//! first, and the pages put together are the whole list. The index follows runs saved and
//! removed after it was built.

#[path = "common/history_gen.rs"]
mod history_gen;

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Utc};
use serde_json::Value;
use speech_scorer::engine::RunRecord;
use speech_scorer::engine::reqlog::Exchange;
use speech_scorer::store::{History, Paths};

const RUNS: usize = 300;

fn log_all(home: &Path, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
        .env("SPEECH_SCORER_HOME", home)
        .args(["log", "--all", "--json"])
        .args(args)
        .output()
        .expect("log --all");
    assert!(out.status.success(), "{args:?}: {out:?}");
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

/// (runId, time, path) of each exchange the CLI listed.
fn listed(v: &Value) -> Vec<(String, DateTime<Utc>, String)> {
    v["exchanges"]
        .as_array()
        .expect("exchanges")
        .iter()
        .map(|e| {
            (
                e["run"]["runId"].as_str().expect("run id").to_string(),
                e["at"].as_str().expect("at").parse().expect("time"),
                e["path"].as_str().expect("path").to_string(),
            )
        })
        .collect()
}

/// What a plain scan of the generated runs finds, newest first.
fn expected(
    runs: &[RunRecord],
    keep: impl Fn(&RunRecord, &Exchange) -> bool,
) -> Vec<(String, DateTime<Utc>, String)> {
    let mut all: Vec<_> = runs
        .iter()
        .flat_map(|r| {
            r.exchanges
                .iter()
                .filter(|e| keep(r, e))
                .map(|e| (r.run_id.clone().expect("id"), e.at, e.path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    all.sort_by_key(|x| std::cmp::Reverse(x.1));
    all
}

fn same_set(
    got: &[(String, DateTime<Utc>, String)],
    want: &[(String, DateTime<Utc>, String)],
    what: &str,
) {
    assert_eq!(got.len(), want.len(), "{what}: how many");
    assert!(!want.is_empty(), "{what}: the generated history has some");
    let mut g = got.to_vec();
    let mut w = want.to_vec();
    g.sort();
    w.sort();
    assert_eq!(g, w, "{what}");
    assert!(
        got.windows(2).all(|p| p[0].1 >= p[1].1),
        "{what}: newest first"
    );
}

#[test]
fn filters_find_the_right_exchanges_among_hundreds_of_runs() {
    let home = tempfile::tempdir().expect("home");
    let paths = Paths::under(home.path().to_path_buf());
    let history = History::new(&paths);
    let runs = history_gen::fill(&history, RUNS);
    let all = "--per-page=100000";

    let v = log_all(home.path(), &[all]);
    assert_eq!(v["runs"], RUNS);
    let total: usize = runs.iter().map(|r| r.exchanges.len()).sum();
    same_set(&listed(&v), &expected(&runs, |_, _| true), "everything");
    assert_eq!(v["total"], total);

    let code = |c: &'static str| {
        move |_: &RunRecord, e: &Exchange| e.code.as_ref().is_some_and(|x| x.as_str() == c)
    };
    let v = log_all(home.path(), &[all, "--code", "service_warming_up"]);
    same_set(
        &listed(&v),
        &expected(&runs, code("SERVICE_WARMING_UP")),
        "--code",
    );
    let v = log_all(home.path(), &[all, "--code", "STUCK_TIMEOUT"]);
    same_set(
        &listed(&v),
        &expected(&runs, code("STUCK_TIMEOUT")),
        "--code failed run",
    );

    let v = log_all(home.path(), &[all, "--status", "429"]);
    same_set(
        &listed(&v),
        &expected(&runs, |_, e| e.status == Some(429)),
        "--status 429",
    );
    let v = log_all(home.path(), &[all, "--status", "5xx"]);
    same_set(
        &listed(&v),
        &expected(&runs, |_, e| e.status.is_some_and(|s| s >= 500)),
        "--status 5xx",
    );
    let v = log_all(home.path(), &[all, "--status", "none"]);
    same_set(
        &listed(&v),
        &expected(&runs, |_, e| e.status.is_none()),
        "--status none",
    );

    let v = log_all(home.path(), &[all, "--run", "req_gen_00042"]);
    same_set(
        &listed(&v),
        &expected(&runs, |r, _| r.run_id.as_deref() == Some("req_gen_00042")),
        "--run",
    );
    let v = log_all(home.path(), &[all, "--external-id", "cand-5"]);
    same_set(
        &listed(&v),
        &expected(&runs, |r, _| r.external_id.as_deref() == Some("cand-5")),
        "--external-id (cand-5, not cand-50)",
    );

    let since: DateTime<Utc> = history_gen::start() + chrono::Duration::days(3);
    let until: DateTime<Utc> = history_gen::start() + chrono::Duration::days(5);
    let v = log_all(
        home.path(),
        &[
            all,
            "--since",
            &since.to_rfc3339(),
            "--until",
            &until.to_rfc3339(),
        ],
    );
    same_set(
        &listed(&v),
        &expected(&runs, |_, e| e.at >= since && e.at < until),
        "--since/--until",
    );

    // Free text: a word in one failed run's body, in any case.
    let v = log_all(home.path(), &[all, "--text", "NEEDLE-123 went"]);
    same_set(
        &listed(&v),
        &expected(&runs, |_, e| {
            e.body
                .as_deref()
                .is_some_and(|b| b.contains("needle-123 went"))
        }),
        "--text",
    );
    // Filters combine.
    let v = log_all(
        home.path(),
        &[
            all,
            "--external-id",
            "cand-3",
            "--status",
            "503",
            "--since",
            "2026-04-02",
        ],
    );
    let day2: DateTime<Utc> = "2026-04-02T00:00:00Z".parse().expect("time");
    same_set(
        &listed(&v),
        &expected(&runs, |r, e| {
            r.external_id.as_deref() == Some("cand-3") && e.status == Some(503) && e.at >= day2
        }),
        "combined",
    );

    // Pages: 50 a page, newest first, together the whole list.
    let first = log_all(home.path(), &[]);
    assert_eq!(first["page"], 1);
    assert_eq!(first["perPage"], 50);
    let pages = first["pages"].as_u64().expect("pages") as usize;
    assert_eq!(pages, total.div_ceil(50));
    let mut joined = Vec::new();
    for p in 1..=pages {
        joined.extend(listed(&log_all(home.path(), &["--page", &p.to_string()])));
    }
    let everything = expected(&runs, |_, _| true);
    assert_eq!(joined.len(), everything.len());
    assert_eq!(
        joined[0].1, everything[0].1,
        "page 1 starts with the newest"
    );

    // A run saved later, and one removed, are seen by the next search.
    let mut late = history_gen::run(RUNS + 1, history_gen::start() + chrono::Duration::days(400));
    late.external_id = Some("cand-late".into());
    history.save(&late).expect("save");
    history.delete(&runs[42].local_id).expect("delete");
    let v = log_all(home.path(), &[all, "--external-id", "cand-late"]);
    assert_eq!(listed(&v).len(), late.exchanges.len());
    let v = log_all(home.path(), &[all, "--run", "req_gen_00042"]);
    assert_eq!(v["total"], 0, "a removed run is gone from the log");

    // The table for people.
    let out = Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
        .env("SPEECH_SCORER_HOME", home.path())
        .args([
            "log",
            "--all",
            "--code",
            "SCORING_FAILED",
            "--per-page",
            "3",
        ])
        .output()
        .expect("log --all");
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(table.lines().count(), 4, "a header and three rows: {table}");
    assert!(
        table.lines().skip(1).all(|l| l.contains("SCORING_FAILED")),
        "{table}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("page 1 of"), "{stderr}");
    // A bad filter is invalid input.
    let bad = Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
        .env("SPEECH_SCORER_HOME", home.path())
        .args(["log", "--all", "--since", "last tuesday"])
        .output()
        .expect("log --all");
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
}

#[test]
fn all_runs_export_as_one_har() {
    let home = tempfile::tempdir().expect("home");
    let history = History::new(&Paths::under(home.path().to_path_buf()));
    let runs = history_gen::fill(&history, 120);
    let out = Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
        .env("SPEECH_SCORER_HOME", home.path())
        .args(["log", "--all", "--code", "SERVICE_WARMING_UP", "--har"])
        .output()
        .expect("log --all --har");
    assert!(out.status.success(), "{out:?}");
    let har: Value = serde_json::from_slice(&out.stdout).expect("HAR");
    assert_eq!(har["log"]["version"], "1.2");
    let entries = har["log"]["entries"].as_array().expect("entries");
    let warm = |e: &&Exchange| e.status == Some(503);
    let want = runs.iter().flat_map(|r| &r.exchanges).filter(warm).count();
    let runs_with = runs
        .iter()
        .filter(|r| r.exchanges.iter().any(|e| warm(&e)))
        .count();
    assert_eq!(entries.len(), want, "every match, not a page");
    assert!(want > 50, "more than one page's worth");
    assert!(
        entries.iter().all(|e| e["response"]["status"] == 503
            && e["request"]["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://staging.zenhire.example/api/v1/"))),
        "each at its run's own base URL"
    );
    let pages = har["log"]["pages"].as_array().expect("pages");
    assert_eq!(pages.len(), runs_with, "one page per run");
}
