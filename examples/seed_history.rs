//! Writes N scored runs into the history under `$SPEECH_SCORER_HOME`, as the app would have
//! left them: for the benchmarks (first frame with 500 runs) and the screenshots of the
//! trend. Not a test. Deterministic: run k is k days before now minus N, scores rising
//! slowly with some noise, alternating two people (externalId `ana-…` / `ben-…`) and a
//! German run now and then; every run marked simulated (they are made up).
//!
//! Usage: SPEECH_SCORER_HOME=DIR seed_history [N] [--spread-days D] [--result POLL.json]
//!
//! `--result` adds one more run, the newest, with that result body (e.g.
//! tests/fixtures/result-full.json), for the full result's and the report's screenshots.

use std::process::ExitCode;

use chrono::{Duration, Utc};
use serde_json::json;
use speech_scorer::engine::{Outcome, OutcomeKind};
use speech_scorer::store::{History, Paths, RunRecord};

fn cefr(score: f64) -> &'static str {
    match score {
        s if s < 1.5 => "A1",
        s if s < 2.2 => "A2",
        s if s < 2.9 => "B1",
        s if s < 3.6 => "B2",
        s if s < 4.3 => "C1",
        _ => "C2",
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(500);
    let spread: f64 = args
        .iter()
        .position(|a| a == "--spread-days")
        .and_then(|i| args.get(i + 1))
        .and_then(|d| d.parse().ok())
        .unwrap_or(n as f64);
    let paths = match Paths::from_env() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("seed_history: {e}");
            return ExitCode::from(2);
        }
    };
    let history = History::new(&paths);
    let extra = match args
        .iter()
        .position(|a| a == "--result")
        .and_then(|i| args.get(i + 1))
        .map(|p| std::fs::read_to_string(p).map(|t| serde_json::from_str::<serde_json::Value>(&t)))
    {
        None => None,
        Some(Ok(Ok(body))) => Some(body),
        Some(Ok(Err(e))) => {
            eprintln!("seed_history: --result: {e}");
            return ExitCode::from(2);
        }
        Some(Err(e)) => {
            eprintln!("seed_history: --result: {e}");
            return ExitCode::from(2);
        }
    };
    let start = Utc::now() - Duration::seconds((spread * 86_400.0) as i64);
    for k in 0..n {
        let at = start + Duration::seconds((spread * 86_400.0 * k as f64 / n.max(1) as f64) as i64);
        let person = if k % 2 == 0 { "ana" } else { "ben" };
        let language = if k % 7 == 3 { "de" } else { "en" };
        // Rising from ~2.4 to ~3.9 with a deterministic wobble.
        let base =
            2.4 + 1.5 * k as f64 / n.max(1) as f64 + if person == "ben" { -0.3 } else { 0.0 };
        let wobble = |i: usize| ((k * 7 + i * 13) % 11) as f64 / 11.0 * 0.5 - 0.25;
        let round = |x: f64| (x.clamp(0.0, 5.0) * 10.0).round() / 10.0;
        let (v, f, a) = (
            round(base + wobble(1)),
            round(base - 0.2 + wobble(2)),
            round(base + 0.3 + wobble(3)),
        );
        let o = round((v + f + a) / 3.0);
        let run_id = format!("req_seed_{k:04}");
        let mut r = RunRecord::new(at);
        r.run_id = Some(run_id.clone());
        r.external_id = Some(format!("{person}-{k:04}"));
        r.language = Some(language.to_string());
        r.file = Some(paths.recordings_dir().join(format!("take-seed-{k:04}.wav")));
        r.base_url = Some("http://127.0.0.1:0".into());
        r.simulated = true;
        r.accepted_at = Some(at);
        r.last_status = Some("success".into());
        let pct = |s: f64| (s / 5.0 * 100.0).round();
        let body = json!({
            "id": run_id, "externalId": r.external_id, "status": "success",
            "timestamp": at.to_rfc3339(),
            "audio": {"durationMs": 240_000 + (k as u64 % 5) * 30_000, "languageCode": language},
            "scores": {
                "vocabulary": v, "vocabularyCefr": cefr(v), "vocabularyPercent": pct(v),
                "fluency": f, "fluencyCefr": cefr(f), "fluencyPercent": pct(f),
                "accent": a, "accentCefr": cefr(a), "accentPercent": pct(a),
                "overall": o, "cefrLevel": cefr(o), "overallPercent": pct(o)
            },
            "candidateFeedback": "Seeded result for benchmarks and screenshots.",
            "credits": {"deducted": 5, "remainingBalance": 100},
            "metadata": {"candidate_id": person}, "tags": []
        });
        r.metadata = Some(json!({"candidate_id": person}));
        if let Err(code) = finish_and_save(&history, r, OutcomeKind::Success, body) {
            return code;
        }
    }
    if let Some(body) = extra {
        let mut r = RunRecord::new(Utc::now());
        r.run_id = body["id"].as_str().map(str::to_string);
        r.external_id = body["externalId"].as_str().map(str::to_string);
        r.language = body["audio"]["languageCode"].as_str().map(str::to_string);
        r.metadata = body.get("metadata").cloned();
        r.file = Some(paths.recordings_dir().join("take-seed-result.wav"));
        r.simulated = true;
        r.accepted_at = Some(r.created);
        r.last_status = body["status"].as_str().map(str::to_string);
        let kind = if body["status"] == "partial" {
            OutcomeKind::Partial
        } else {
            OutcomeKind::Success
        };
        if let Err(code) = finish_and_save(&history, r, kind, body) {
            return code;
        }
    }
    eprintln!(
        "seed_history: wrote {n} runs to {}",
        history.dir().display()
    );
    ExitCode::SUCCESS
}

/// Ends `r` with `kind` and the result `body`, and saves it.
fn finish_and_save(
    history: &History,
    mut r: RunRecord,
    kind: OutcomeKind,
    body: serde_json::Value,
) -> Result<(), ExitCode> {
    r.set_outcome(&Outcome {
        kind,
        run_id: r.run_id.clone(),
        external_id: r.external_id.clone(),
        local_id: Some(r.local_id.clone()),
        result: Some(body),
        error: None,
    });
    history.save(&r).map_err(|e| {
        eprintln!("seed_history: {e}");
        ExitCode::from(1)
    })
}
