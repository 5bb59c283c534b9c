//! `speech-scorer export` end to end: a history written as the app leaves it (a real run, a
//! simulated one with the whole result, a failed one), exported by the binary as CSV (read
//! back with a CSV reader), JSON Lines and the one-page report (its text holds the scores,
//! the feedback and the Simulated mark), and the refusals a script meets.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};
use speech_scorer::engine::{Outcome, OutcomeKind};
use speech_scorer::store::export::{CSV_COLUMNS, html_text};
use speech_scorer::store::{History, Paths, RunRecord};

const FULL_RESULT: &str = include_str!("fixtures/result-full.json");

fn export(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
        .arg("export")
        .args(args)
        .env("SPEECH_SCORER_HOME", home)
        .env_remove("ZENHIRE_API_KEY")
        .output()
        .expect("the binary runs")
}

fn save(home: &Path, days_ago: i64, kind: OutcomeKind, simulated: bool, body: Value) -> String {
    let paths = Paths::under(home.to_path_buf());
    let mut r = RunRecord::new(chrono::Utc::now() - chrono::Duration::days(days_ago));
    let run_id = body["id"].as_str().expect("an id").to_string();
    r.run_id = Some(run_id.clone());
    r.external_id = body["externalId"].as_str().map(str::to_string);
    r.language = Some("en".into());
    r.file = Some(home.join(format!("take-{days_ago}.wav")));
    r.simulated = simulated;
    r.set_outcome(&Outcome {
        kind,
        run_id: Some(run_id.clone()),
        external_id: r.external_id.clone(),
        local_id: None,
        result: Some(body),
        error: None,
    });
    History::new(&paths).save(&r).expect("history saved");
    run_id
}

/// Three runs: a real one (10 days ago, ana, 3.4), a failed one (5 days ago), and the full
/// fixture (today, ana, 3.8, simulated).
fn seeded() -> (tempfile::TempDir, String, String) {
    let home = tempfile::tempdir().expect("tempdir");
    let real = save(
        home.path(),
        10,
        OutcomeKind::Success,
        false,
        json!({"id": "req_real_1", "externalId": "ana-2026-01", "status": "success",
               "audio": {"languageCode": "en", "durationMs": 190000},
               "scores": {"overall": 3.4, "cefrLevel": "B2", "overallPercent": 68,
                          "vocabulary": 3.5, "vocabularyCefr": "B2", "fluency": 3.2,
                          "fluencyCefr": "B1", "accent": 3.6, "accentCefr": "B2"},
               "credits": {"deducted": 4}}),
    );
    save(
        home.path(),
        5,
        OutcomeKind::Failed,
        false,
        json!({"id": "req_failed_1", "externalId": "ana-2026-02", "status": "failed",
               "error": {"code": "TRANSCRIPTION_FAILED", "message": "no speech"}}),
    );
    let full: Value = serde_json::from_str(FULL_RESULT).expect("fixture");
    let simulated = save(home.path(), 0, OutcomeKind::Success, true, full);
    (home, real, simulated)
}

#[test]
fn csv_has_a_row_per_run_with_scores_and_the_simulated_mark() {
    let (home, real, simulated) = seeded();
    let out = home.path().join("history.csv");
    let o = export(
        home.path(),
        &["--format", "csv", "-o", out.to_str().expect("utf-8")],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut reader = csv::Reader::from_path(&out).expect("a CSV");
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header, CSV_COLUMNS.map(String::from).to_vec());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    assert_eq!(rows.len(), 3, "one row per run");
    let col = |name: &str| header.iter().position(|c| c == name).expect("column");
    // Oldest first: the real run, the failed one, the simulated one.
    assert_eq!(&rows[0][col("run_id")], real.as_str());
    assert_eq!(&rows[0][col("overall")], "3.4");
    assert_eq!(&rows[0][col("fluency_cefr")], "B1");
    assert_eq!(&rows[0][col("credits")], "4");
    assert_eq!(&rows[0][col("duration_seconds")], "190");
    assert_eq!(&rows[0][col("simulated")], "", "a real run is not marked");
    assert_eq!(&rows[1][col("status")], "failed");
    assert_eq!(&rows[1][col("error_code")], "TRANSCRIPTION_FAILED");
    assert_eq!(&rows[1][col("overall")], "", "no score is empty, not zero");
    assert_eq!(&rows[2][col("run_id")], simulated.as_str());
    assert_eq!(&rows[2][col("overall")], "3.8");
    assert_eq!(&rows[2][col("accent_cefr")], "C1");
    assert_eq!(&rows[2][col("external_id")], "ana-2026-03");
    assert_eq!(&rows[2][col("language")], "en");
    assert_eq!(&rows[2][col("simulated")], "Simulated");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&out).expect("meta").permissions().mode();
        assert_eq!(mode & 0o077, 0, "owner-only: it holds candidate data");
    }
}

#[test]
fn jsonl_to_stdout_is_one_object_per_run() {
    let (home, _, simulated) = seeded();
    let o = export(home.path(), &["--format", "jsonl"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<Value> = String::from_utf8(o.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["simulated"], false);
    assert_eq!(lines[1]["errorCode"], "TRANSCRIPTION_FAILED");
    assert_eq!(lines[2]["runId"], simulated.as_str());
    assert_eq!(lines[2]["scores"]["overall"]["score"], 3.8);
    assert_eq!(lines[2]["scores"]["accent"]["cefr"], "C1");
    assert_eq!(lines[2]["simulated"], true);
    assert_eq!(lines[2]["mark"], "Simulated");
}

#[test]
fn the_report_of_a_run_holds_its_scores_feedback_and_the_change_since_the_last_attempt() {
    let (home, real, simulated) = seeded();
    let out = home.path().join("report.html");
    let o = export(
        home.path(),
        &[
            "--format",
            "report",
            "--run",
            &simulated,
            "--external-id-prefix",
            "ana-",
            "-o",
            out.to_str().expect("utf-8"),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&out).expect("the report");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script"), "no scripts");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "self-contained"
    );
    let text = html_text(&html);
    for want in [
        "Speech assessment",
        "B2",
        "3.8 of 5",
        "Vocabulary",
        "3.8 / 5",
        "Fluency",
        "3.5 / 5",
        "Accent",
        "4.1 / 5",
        "You spoke clearly and at a comfortable pace.",
        "Strong, clear communicator",
        "Speech ratio",
        "0.712",
        "req_1717000000000_full",
        "Simulated — not a real score",
        // 3.4 ten days ago (the failed run in between has no scores): +0.4.
        "+0.4",
    ] {
        assert!(text.contains(want), "{want:?} not in the report: {text}");
    }
    // The real run's report: its own scores, no Simulated mark, nothing to compare with.
    let o = export(home.path(), &["--format", "report", "--run", &real]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = html_text(&String::from_utf8(o.stdout).expect("utf-8"));
    assert!(text.contains("3.4 of 5"), "{text}");
    assert!(!text.contains("Simulated"), "{text}");
    assert!(!text.contains("since the last attempt"), "{text}");
    // No --run: the newest scored run.
    let o = export(home.path(), &["--format", "report"]);
    let text = html_text(&String::from_utf8(o.stdout).expect("utf-8"));
    assert!(text.contains("req_1717000000000_full"), "{text}");
}

#[test]
fn a_script_hears_why_nothing_was_exported() {
    let (home, _, _) = seeded();
    let o = export(home.path(), &["--format", "report", "--run", "req_nope"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a run the history lacks is bad input"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("no run req_nope in the history"));
    assert!(o.stdout.is_empty());
    let o = export(home.path(), &["--format", "csv", "--run", "req_real_1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--run goes with --format report"));
    let o = export(
        home.path(),
        &["--format", "report", "--run", "req_failed_1"],
    );
    assert_eq!(o.status.code(), Some(2), "a failed run has no report");
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(
        said.contains(
            "req_failed_1 has no scores to report (it ended failed: TRANSCRIPTION_FAILED)"
        ),
        "{said}"
    );
    let empty = tempfile::tempdir().expect("tempdir");
    let o = export(empty.path(), &["--format", "report"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no scored run in the history yet"));
    // An empty history is still a CSV: the header row.
    let o = export(empty.path(), &["--format", "csv"]);
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8(o.stdout).expect("utf-8").trim_end(),
        CSV_COLUMNS.join(",")
    );
}
