//! Exports, shared by the desktop app and `speech-scorer export`: the whole history as CSV or
//! JSON Lines (one row per run), and one result as a one-page report to send.
//!
//! The report is a self-contained HTML file (inline CSS and SVG, no scripts, no external
//! resources) laid out for one A4/Letter page. HTML rather than PDF: no PDF or font crate is
//! needed, every computer opens it, its text stays selectable and searchable (and testable),
//! and the browser's *Print → Save as PDF* makes the PDF when one is wanted. Every text that
//! came from the service or the person is escaped, and the long ones are cut so the page
//! stays one page: `scripts/report-render.sh` prints the worst case
//! (tests/fixtures/result-long.json, every text past its cap, six analysis sections) with
//! headless Chromium and counts one A4 page. `analysis` (undocumented) becomes one line per
//! section. A run scored by a simulator says "Simulated" on the report and on its
//! row in both history formats.

use std::path::Path;

use serde_json::{Value, json};

use super::attempts::{Attempt, Measure, delta_text, deltas};
use super::{StoreError, write_atomic};
use crate::api::model::{Confidence, DimensionScore, PollResponse, RunStatus};
use crate::api::reading;

/// What the `simulated` column of a simulator's row says (empty for a real run).
pub const SIMULATED_MARK: &str = "Simulated";

/// The CEFR levels, lowest first (the API's range, A1–C2).
pub const CEFR_LEVELS: [&str; 6] = ["A1", "A2", "B1", "B2", "C1", "C2"];

/// The columns of the CSV, in order.
pub const CSV_COLUMNS: [&str; 22] = [
    "time",
    "file",
    "language",
    "status",
    "error_code",
    "overall",
    "overall_cefr",
    "overall_percent",
    "vocabulary",
    "vocabulary_cefr",
    "vocabulary_percent",
    "fluency",
    "fluency_cefr",
    "fluency_percent",
    "accent",
    "accent_cefr",
    "accent_percent",
    "credits",
    "duration_seconds",
    "run_id",
    "external_id",
    "simulated",
];

/// A CSV field: quoted when it needs to be, and a text a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@`, tab, CR first) starts with `'` instead.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn number(x: Option<f64>) -> String {
    x.map(|v| {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    })
    .unwrap_or_default()
}

fn path_text(a: &Attempt) -> String {
    a.file
        .as_ref()
        .map(|f| f.display().to_string())
        .unwrap_or_default()
}

/// The whole history as CSV (RFC 4180, a header row, oldest run first).
pub fn history_csv(attempts: &[Attempt]) -> String {
    let mut rows: Vec<&Attempt> = attempts.iter().collect();
    rows.sort_by_key(|a| a.time);
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for a in rows {
        let m = |m: Measure| a.measure(m).unwrap_or_default();
        let mut cells = vec![
            a.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            path_text(a),
            a.language.clone().unwrap_or_default(),
            a.status.clone(),
            a.error_code.clone().unwrap_or_default(),
        ];
        for measure in Measure::ALL {
            let d = m(measure);
            cells.push(number(d.score));
            cells.push(d.cefr.unwrap_or_default());
            cells.push(number(d.percent));
        }
        cells.push(number(a.credits));
        cells.push(number(a.duration.map(|d| d.as_secs_f64())));
        cells.push(a.run_id.clone().unwrap_or_default());
        cells.push(a.external_id.clone().unwrap_or_default());
        cells.push(if a.simulated { SIMULATED_MARK } else { "" }.to_string());
        let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

fn measure_json(d: Option<DimensionScore>) -> Value {
    match d {
        Some(d) => json!({"score": d.score, "cefr": d.cefr, "percent": d.percent}),
        None => Value::Null,
    }
}

/// One run as a JSON object (one line of [`history_jsonl`]).
pub fn attempt_json(a: &Attempt) -> Value {
    let mut v = json!({
        "time": a.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "file": a.file.as_ref().map(|f| f.display().to_string()),
        "language": a.language,
        "status": a.status,
        "errorCode": a.error_code,
        "scores": {
            "overall": measure_json(a.measure(Measure::Overall)),
            "vocabulary": measure_json(a.measure(Measure::Dimension(crate::api::model::Dimension::Vocabulary))),
            "fluency": measure_json(a.measure(Measure::Dimension(crate::api::model::Dimension::Fluency))),
            "accent": measure_json(a.measure(Measure::Dimension(crate::api::model::Dimension::Accent))),
        },
        "credits": a.credits,
        "durationSeconds": a.duration.map(|d| d.as_secs_f64()),
        "runId": a.run_id,
        "localId": a.local_id,
        "externalId": a.external_id,
        "simulated": a.simulated,
    });
    if a.simulated {
        v["mark"] = json!(SIMULATED_MARK);
    }
    v
}

/// The whole history as JSON Lines (one object per run, oldest first).
pub fn history_jsonl(attempts: &[Attempt]) -> String {
    let mut rows: Vec<&Attempt> = attempts.iter().collect();
    rows.sort_by_key(|a| a.time);
    let mut out = String::new();
    for a in rows {
        out.push_str(&attempt_json(a).to_string());
        out.push('\n');
    }
    out
}

/// Writes an export (atomically, owner-only: it holds candidate data).
pub fn write_export(path: &Path, text: &str) -> Result<(), StoreError> {
    write_atomic(path, text.as_bytes(), true)
}

/// What a report is made of.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    /// The result as the service returned it.
    pub poll: &'a PollResponse,
    /// The run's history entry, when it has one (file, time, language, simulated).
    pub attempt: Option<&'a Attempt>,
    /// Scored by a simulator (its marker header was seen).
    pub simulated: bool,
    /// The same person's previous attempt, for "compared with your last attempt".
    pub previous: Option<&'a Attempt>,
    /// When the report is made.
    pub generated: chrono::DateTime<chrono::Utc>,
}

/// Longest texts on the report, in characters (so it stays one page).
/// (Checked by printing the worst case, tests/fixtures/result-long.json, with
/// scripts/report-render.sh: every text at its cap still fits one A4 page.)
const REPORT_FEEDBACK_CHARS: usize = 380;
const REPORT_EXPLAIN_CHARS: usize = 230;
const REPORT_TRANSCRIPT_CHARS: usize = 260;
const REPORT_ANALYSIS_LINES: usize = 6;
const REPORT_ANALYSIS_LINE_CHARS: usize = 88;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// `text` cut to `max_chars` at a word's end when one is near, with "…".
fn cut(text: &str, max_chars: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max_chars) {
        Some((i, _)) => {
            let head = &text[..i];
            let at_word = head
                .rfind(char::is_whitespace)
                .filter(|&w| head[w..].chars().count() < 30)
                .map_or(head, |w| &head[..w]);
            format!(
                "{}…",
                at_word.trim_end_matches(|c: char| c.is_whitespace() || c == ',')
            )
        }
        None => text.to_string(),
    }
}

/// A 0–5 bar with whole-point ticks, as inline SVG.
fn bar_svg(score: Option<f64>) -> String {
    let w = 200.0;
    let fill = score.map(|s| (s / 5.0).clamp(0.0, 1.0) * w).unwrap_or(0.0);
    let mut svg = format!(
        "<svg class=\"bar\" width=\"{w}\" height=\"12\" viewBox=\"0 0 {w} 12\" role=\"img\" \
         aria-label=\"{}\"><rect width=\"{w}\" height=\"12\" rx=\"2\" fill=\"#e6e8ec\"/>\
         <rect width=\"{fill:.1}\" height=\"12\" rx=\"2\" fill=\"#2f6fd1\"/>",
        score.map_or("not scored".to_string(), |s| format!("{s:.1} of 5"))
    );
    for i in 1..5 {
        let x = w * f64::from(i) / 5.0;
        svg.push_str(&format!(
            "<line x1=\"{x}\" y1=\"0\" x2=\"{x}\" y2=\"12\" stroke=\"#fff\" stroke-width=\"1\"/>"
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// The six CEFR levels with the one given marked.
fn ladder_html(cefr: Option<&str>) -> String {
    let mut out = String::from("<span class=\"ladder\">");
    for level in CEFR_LEVELS {
        let on = cefr.is_some_and(|c| c.eq_ignore_ascii_case(level));
        out.push_str(&format!(
            "<span class=\"{}\">{level}</span>",
            if on { "lv on" } else { "lv" }
        ));
    }
    out.push_str("</span>");
    out
}

const REPORT_CSS: &str = "\
@page { size: A4; margin: 12mm; }
* { box-sizing: border-box; }
body { font: 9.5pt/1.33 -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif;
  color: #1b1f24; margin: 0 auto; max-width: 186mm; padding: 4mm 0; }
h1 { font-size: 17pt; margin: 0 0 2pt; }
h2 { break-after: avoid; font-size: 10.5pt; margin: 8pt 0 3pt; color: #3a4048; text-transform: uppercase;
  letter-spacing: .04em; border-bottom: 1px solid #d6d9de; padding-bottom: 1pt; }
p { margin: 2pt 0; }
.facts { color: #555d66; font-size: 8.5pt; }
.sim { border: 2px solid #b7791f; background: #fff7e6; color: #7a4d00; font-weight: 700;
  padding: 4pt 8pt; margin: 0 0 6pt; border-radius: 4px; }
.status { float: right; font-weight: 700; padding: 2pt 7pt; border-radius: 10px;
  background: #e8f1fc; color: #1d4f99; font-size: 9pt; }
.status.partial { background: #fff3d6; color: #7a4d00; }
.headline { display: flex; align-items: center; gap: 14pt; margin: 6pt 0 4pt; }
.big { font-size: 30pt; font-weight: 800; color: #1d4f99; line-height: 1; }
table.scores { border-collapse: collapse; width: 100%; }
table.scores td { padding: 2pt 4pt; vertical-align: middle; }
table.scores td.n { font-weight: 700; width: 24mm; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.ladder .lv { display: inline-block; width: 17pt; text-align: center; font-size: 7.5pt;
  color: #8a929b; border: 1px solid #dde0e4; margin-right: 1px; border-radius: 2px; }
.ladder .lv.on { background: #1d4f99; color: #fff; border-color: #1d4f99; font-weight: 700; }
.up { color: #1e7b34; } .down { color: #b42318; } .same { color: #555d66; }
.cols { display: flex; gap: 12pt; } .cols > div { flex: 1; min-width: 0; }
.quote { background: #f5f6f8; border-left: 3px solid #c5cad1; padding: 3pt 6pt; }
dl.analysis { margin: 0; font-size: 8.5pt; }
dl.analysis div { margin: 1pt 0; } dl.analysis dt { display: inline; font-weight: 700; }
dl.analysis dd { display: inline; margin: 0 0 0 4pt; color: #3a4048; }
.muted { color: #6b737c; font-size: 8.5pt; }
footer { margin-top: 8pt; color: #6b737c; font-size: 7.5pt; border-top: 1px solid #d6d9de;
  padding-top: 3pt; }
@media print { body { padding: 0; } }
";

/// The one-page report of a result (see the module docs for why HTML).
pub fn report_html(input: &ReportInput<'_>) -> String {
    let poll = input.poll;
    let simulated = input.simulated || input.attempt.is_some_and(|a| a.simulated);
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    h.push_str("<meta name=\"generator\" content=\"speech-scorer\">");
    let file_name = input
        .attempt
        .and_then(|a| a.file.as_ref())
        .and_then(|f| f.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    h.push_str(&format!(
        "<title>{}Speech assessment{}</title><style>{REPORT_CSS}</style></head><body>",
        if simulated { "[Simulated] " } else { "" },
        file_name
            .as_deref()
            .map(|n| format!(" — {}", escape(n)))
            .unwrap_or_default()
    ));
    if simulated {
        h.push_str(&format!(
            "<div class=\"sim\">{}</div>",
            escape(crate::guidance::REPORT_SIMULATED)
        ));
    }
    let (status_text, status_class) = match &poll.status {
        RunStatus::Success => ("Complete", "status"),
        RunStatus::Partial => ("Partial", "status partial"),
        other => (other.as_str(), "status partial"),
    };
    h.push_str(&format!(
        "<span class=\"{status_class}\">{}</span><h1>Speech assessment</h1>",
        escape(status_text)
    ));
    // Facts: file, when, language, length, ids.
    let mut facts: Vec<String> = Vec::new();
    if let Some(n) = &file_name {
        facts.push(escape(n));
    }
    let when = input.attempt.map(|a| a.time).or_else(|| {
        poll.timestamp
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    });
    if let Some(t) = when {
        facts.push(t.format("%Y-%m-%d %H:%M UTC").to_string());
    }
    if let Some(audio) = &poll.audio {
        if let Some(lang) = &audio.language_code {
            let name = crate::languages::language_name(lang).unwrap_or(lang);
            facts.push(format!("{} ({})", escape(name), escape(lang)));
        }
        if let Some(ms) = audio.duration_ms {
            let s = ms / 1000;
            facts.push(format!("{}:{:02} of audio", s / 60, s % 60));
        }
    }
    facts.push(format!("run {}", escape(&poll.id)));
    if let Some(e) = &poll.external_id {
        facts.push(format!("externalId {}", escape(e)));
    }
    h.push_str(&format!("<p class=\"facts\">{}</p>", facts.join(" · ")));

    let scores = poll.scores.clone().unwrap_or_default();
    let changes = input
        .previous
        .and_then(|p| p.scores.as_ref())
        .map(|before| deltas(&scores, before))
        .unwrap_or_default();
    let change_of = |m: Measure| changes.iter().find(|d| d.measure == m).map(|d| d.change);
    let overall = scores.overall();
    h.push_str("<div class=\"headline\">");
    match (&overall.cefr, overall.score) {
        (Some(cefr), Some(score)) => {
            h.push_str(&format!("<div class=\"big\">{}</div><div><div>Overall level</div><div><b>{score:.1} of 5</b>{}</div></div>",
                escape(cefr),
                overall
                    .percent
                    .map(|p| format!(" · {p:.0} %"))
                    .unwrap_or_default()
            ));
        }
        _ => h.push_str("<div><b>Overall level not available</b></div>"),
    }
    if let Some(prev) = input.previous {
        let since = prev.time.format("%Y-%m-%d").to_string();
        let text = match change_of(Measure::Overall) {
            Some(c) => format!(
                "<span class=\"{}\">{}</span> overall since the last attempt ({since})",
                class_of(c),
                delta_text(c)
            ),
            None => format!("compared with the last attempt ({since})"),
        };
        h.push_str(&format!("<div class=\"muted\">{text}</div>"));
    }
    h.push_str("</div>");

    h.push_str("<h2>Scores</h2><table class=\"scores\">");
    for m in Measure::ALL {
        let d = match m {
            Measure::Overall => scores.overall(),
            Measure::Dimension(dim) => scores.dimension(dim),
        };
        let value = match d.score {
            Some(s) => format!(
                "{s:.1} / 5{}",
                d.percent
                    .map(|p| format!(" · {p:.0} %"))
                    .unwrap_or_default()
            ),
            None => "not scored".to_string(),
        };
        let change = match (input.previous, change_of(m)) {
            (Some(_), Some(c)) => {
                format!("<span class=\"{}\">{}</span>", class_of(c), delta_text(c))
            }
            _ => String::new(),
        };
        h.push_str(&format!("<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{value}</td><td class=\"num\">{change}</td></tr>",
            m.label(),
            bar_svg(d.score),
            ladder_html(d.cefr.as_deref()),
        ));
    }
    h.push_str("</table>");
    if poll.status == RunStatus::Partial {
        h.push_str(&format!(
            "<p class=\"muted\">{}</p>",
            escape(crate::guidance::REPORT_PARTIAL)
        ));
    }

    if let Some(ex) = &poll.explainability {
        let mut parts = Vec::new();
        for (name, text) in [("Vocabulary", &ex.vocab), ("Fluency", &ex.fluency)] {
            if let Some(t) = text.as_deref().filter(|t| !t.trim().is_empty()) {
                parts.push(format!(
                    "<p><b>{name}:</b> {}</p>",
                    escape(&cut(t, REPORT_EXPLAIN_CHARS))
                ));
            }
        }
        if !parts.is_empty() {
            h.push_str(&format!("<h2>Why these scores</h2>{}", parts.concat()));
        }
    }

    let feedback = poll
        .candidate_feedback
        .as_deref()
        .filter(|t| !t.trim().is_empty());
    let recommendation = poll
        .hr_recommendation
        .as_deref()
        .filter(|t| !t.trim().is_empty());
    if feedback.is_some() || recommendation.is_some() {
        h.push_str("<div class=\"cols\">");
        if let Some(t) = feedback {
            h.push_str(&format!(
                "<div><h2>Feedback for the speaker</h2><p class=\"quote\">{}</p></div>",
                escape(&cut(t, REPORT_FEEDBACK_CHARS))
            ));
        }
        if let Some(t) = recommendation {
            h.push_str(&format!(
                "<div><h2>For the reviewer</h2><p class=\"quote\">{}</p></div>",
                escape(&cut(t, REPORT_FEEDBACK_CHARS))
            ));
        }
        h.push_str("</div>");
    }

    if let Some(cd) = &poll.candidate_detection {
        let who = cd
            .speaker_label
            .as_deref()
            .or(cd.speaker.as_deref())
            .unwrap_or("unknown speaker");
        let mut line = format!("Scored {}", escape(who));
        if let Some(c) = &cd.confidence {
            line.push_str(&format!(", confidence {}", escape(c.as_str())));
        }
        if let Some(w) = cd.word_count {
            line.push_str(&format!(", {w} words"));
        }
        if let Some(n) = poll.audio.as_ref().and_then(|a| a.speaker_count) {
            line.push_str(&format!(
                "; {n} speaker{} heard",
                if n == 1 { "" } else { "s" }
            ));
        }
        h.push_str(&format!("<h2>Who was scored</h2><p>{line}.</p>"));
        if cd.confidence == Some(Confidence::Low) {
            h.push_str(&format!(
                "<p><b>{}</b></p>",
                escape(crate::guidance::REVIEW_NEEDED)
            ));
        }
    }

    if let Some(analysis) = &poll.analysis {
        let (lines, left) =
            analysis_lines(analysis, REPORT_ANALYSIS_LINES, REPORT_ANALYSIS_LINE_CHARS);
        if !lines.is_empty() {
            h.push_str("<h2>Analysis</h2><dl class=\"analysis\">");
            for (label, text) in &lines {
                h.push_str(&format!(
                    "<div><dt>{}</dt><dd>{}</dd></div>",
                    escape(label),
                    escape(text)
                ));
            }
            h.push_str("</dl>");
            if left > 0 {
                h.push_str(&format!(
                    "<p class=\"muted\">{}</p>",
                    escape(&crate::guidance::report_more_in_app(left))
                ));
            }
        }
    }

    if let Some(text) = poll
        .transcript
        .as_ref()
        .and_then(|t| t.candidate_text.as_deref())
        .filter(|t| !t.trim().is_empty())
    {
        h.push_str(&format!(
            "<h2>Transcript (the speaker's words)</h2><p class=\"quote\">{}</p>",
            escape(&cut(text, REPORT_TRANSCRIPT_CHARS))
        ));
    }

    let mut foot = Vec::new();
    if let Some(c) = &poll.credits
        && let Some(d) = c.deducted
    {
        foot.push(crate::guidance::credits_text(d));
    }
    if let Some(m) = &poll.scoring_method {
        foot.push(format!("scoring method {}", escape(m)));
    }
    foot.push(format!(
        "made by speech-scorer {} on {}",
        env!("CARGO_PKG_VERSION"),
        input.generated.format("%Y-%m-%d %H:%M UTC")
    ));
    if simulated {
        foot.push("Simulated".to_string());
    }
    h.push_str(&format!(
        "<footer>{}</footer></body></html>\n",
        foot.join(" · ")
    ));
    h
}

/// Which run a report is about: the one whose run id or local id is `run`, else (no `run`)
/// the newest scored one.
pub fn select_run<'a>(attempts: &'a [Attempt], run: Option<&str>) -> Option<&'a Attempt> {
    match run.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => attempts
            .iter()
            .find(|a| a.run_id.as_deref() == Some(r) || a.local_id == r),
        None => attempts
            .iter()
            .filter(|a| a.is_scored())
            .max_by_key(|a| a.time),
    }
}

/// The report of run `run` (or the newest scored run) of `records`, compared with the same
/// series' previous attempt under `by`. The error says, in words, why there is none.
pub fn report_for_run(
    records: &[crate::engine::record::RunRecord],
    run: Option<&str>,
    by: &super::attempts::GroupBy,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, String> {
    let attempts: Vec<Attempt> = records.iter().map(Attempt::from_record).collect();
    let target = select_run(&attempts, run).ok_or_else(|| match run {
        Some(r) => format!("no run {r} in the history"),
        None => "no scored run in the history yet".to_string(),
    })?;
    if !target.is_scored() {
        return Err(format!(
            "run {} has no scores to report (it ended {}{})",
            target.run_id.as_deref().unwrap_or(&target.local_id),
            target.status,
            target
                .error_code
                .as_deref()
                .map(|c| format!(": {c}"))
                .unwrap_or_default()
        ));
    }
    let record = records
        .iter()
        .find(|r| r.local_id == target.local_id)
        .ok_or("the run left the history")?;
    let poll = record
        .final_body
        .clone()
        .and_then(|b| serde_json::from_value::<PollResponse>(b).ok())
        .ok_or_else(|| {
            format!(
                "run {} has no result to report (it ended {})",
                target.run_id.as_deref().unwrap_or(&target.local_id),
                target.status
            )
        })?;
    let previous = super::attempts::group_key(target, by).and_then(|key| {
        super::attempts::previous_attempt(
            &attempts,
            &key,
            by,
            target.time,
            target.run_id.as_deref().unwrap_or(""),
        )
    });
    Ok(report_html(&ReportInput {
        poll: &poll,
        attempt: Some(target),
        simulated: record.simulated,
        previous,
        generated: now,
    }))
}

/// `analysis` (any shape) as a few lines of a page: one per top-level section, its values
/// summed up on that line ("Speech ratio 0.712 · Words per minute 128 · Long pauses 2
/// items"), each cut to `max_chars`; at most `max_lines`, the second value says how many
/// sections were left out.
pub fn analysis_lines(
    value: &Value,
    max_lines: usize,
    max_chars: usize,
) -> (Vec<(String, String)>, usize) {
    fn summary(v: &Value, depth: usize) -> String {
        match v {
            _ if reading::is_leaf(v) => reading::leaf_text(v),
            Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => {
                let shown: Vec<String> = a.iter().take(6).map(reading::scalar_text).collect();
                match a.len().saturating_sub(6) {
                    0 => shown.join(", "),
                    more => format!("{}, … {more} more", shown.join(", ")),
                }
            }
            Value::Array(a) => format!("{} items", a.len()),
            Value::Object(o) if depth < 2 => {
                let parts: Vec<String> = o
                    .iter()
                    .map(|(k, child)| {
                        let inner = summary(child, depth + 1);
                        if child.is_object() && !reading::is_leaf(child) && depth < 1 {
                            format!("{} ({inner})", reading::key_label(k))
                        } else {
                            format!("{} {inner}", reading::key_label(k))
                        }
                    })
                    .collect();
                parts.join(" · ")
            }
            Value::Object(o) => format!("{} fields", o.len()),
            other => reading::scalar_text(other),
        }
    }
    let mut lines = Vec::new();
    let mut left = 0;
    match value {
        Value::Object(o) => {
            for (k, v) in o {
                if v.is_null() {
                    continue;
                }
                if lines.len() >= max_lines {
                    left += 1;
                    continue;
                }
                lines.push((reading::key_label(k), cut(&summary(v, 0), max_chars)));
            }
        }
        Value::Null => {}
        other => lines.push(("Analysis".to_string(), cut(&summary(other, 0), max_chars))),
    }
    (lines, left)
}

fn class_of(change: f64) -> &'static str {
    let r = (change * 10.0).round();
    if r > 0.0 {
        "up"
    } else if r < 0.0 {
        "down"
    } else {
        "same"
    }
}

/// The report's text without its markup (what a reader sees; tests and `--format report` on
/// a terminal use it).
pub fn html_text(html: &str) -> String {
    let body = html.split_once("<body>").map_or(html, |(_, b)| b);
    let mut out = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::outcome::{Outcome, OutcomeKind};
    use crate::engine::record::RunRecord;
    use chrono::Utc;

    fn attempt(simulated: bool, file: &str, ext: &str) -> Attempt {
        let mut r = RunRecord::new(Utc::now());
        r.run_id = Some("req_1".into());
        r.external_id = Some(ext.into());
        r.file = Some(file.into());
        r.language = Some("en".into());
        r.simulated = simulated;
        r.set_outcome(&Outcome {
            kind: OutcomeKind::Success,
            run_id: r.run_id.clone(),
            external_id: None,
            local_id: None,
            result: Some(json!({"id": "req_1", "status": "success",
                "scores": {"overall": 3.8, "cefrLevel": "B2", "overallPercent": 76,
                           "vocabulary": 4.0, "vocabularyCefr": "C1", "fluency": null},
                "credits": {"deducted": 11}})),
            error: None,
        });
        Attempt::from_record(&r)
    }

    /// A minimal RFC 4180 reader for the tests: fields of each line.
    fn parse_csv(text: &str) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        let mut row = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => row.push(std::mem::take(&mut field)),
                ('\r', false) => {}
                ('\n', false) => {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                (c, _) => field.push(c),
            }
        }
        rows
    }

    #[test]
    fn csv_has_one_row_per_run_with_every_column() {
        let rows = [
            attempt(true, "/r/take, one.wav", "=cmd()"),
            attempt(false, "/r/b.wav", "ok"),
        ];
        let text = history_csv(&rows);
        let parsed = parse_csv(&text);
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[0], CSV_COLUMNS.map(String::from).to_vec());
        let col = |name: &str| CSV_COLUMNS.iter().position(|c| *c == name).expect("column");
        let first = &parsed[1];
        assert_eq!(first.len(), CSV_COLUMNS.len());
        assert_eq!(first[col("file")], "/r/take, one.wav");
        assert_eq!(first[col("overall")], "3.8");
        assert_eq!(first[col("overall_cefr")], "B2");
        assert_eq!(first[col("vocabulary_cefr")], "C1");
        assert_eq!(first[col("fluency")], "", "not scored is empty, not zero");
        assert_eq!(first[col("credits")], "11");
        assert_eq!(first[col("simulated")], "Simulated");
        assert_eq!(first[col("external_id")], "'=cmd()", "no formula runs");
        assert_eq!(parsed[2][col("simulated")], "");
    }

    #[test]
    fn jsonl_is_one_object_per_line() {
        let text = history_jsonl(&[attempt(true, "/a.wav", "x"), attempt(false, "/b.wav", "y")]);
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["scores"]["overall"]["cefr"], "B2");
        assert_eq!(lines[0]["simulated"], true);
        assert_eq!(lines[0]["mark"], "Simulated");
        assert_eq!(lines[1]["simulated"], false);
        assert!(lines[1].get("mark").is_none());
        assert_eq!(lines[0]["scores"]["fluency"], Value::Null);
    }

    #[test]
    fn the_analysis_is_a_line_per_section_whatever_its_shape() {
        let (lines, left) = analysis_lines(
            &json!({"fluency": {"speechRatio": 0.712, "longPauses": [{"at": 1}, {"at": 2}],
                                "fillers": {"um": 3}},
                    "vocabulary": {"rareWords": ["a", "b", "c", "d", "e", "f", "g", "h", "i"]},
                    "accent": null, "notes": "fine", "x": 1, "y": 2}),
            4,
            200,
        );
        assert_eq!(
            lines[0],
            (
                "Fluency".to_string(),
                "Fillers (Um 3) · Long pauses 2 items · Speech ratio 0.712".to_string()
            )
        );
        // In key order (serde_json's map is sorted).
        assert_eq!(lines[1], ("Notes".to_string(), "fine".to_string()));
        assert_eq!(lines[2].0, "Vocabulary");
        assert_eq!(lines[2].1, "Rare words a, b, c, d, e, f, … 3 more");
        assert_eq!((lines.len(), left), (4, 1), "null sections are skipped");
        // A bare value, and a long line cut at a word.
        let (bare, _) = analysis_lines(&json!("all good here and more words"), 6, 12);
        assert_eq!(
            bare,
            vec![("Analysis".to_string(), "all good…".to_string())]
        );
        assert!(analysis_lines(&Value::Null, 6, 80).0.is_empty());
    }

    #[test]
    fn the_report_escapes_what_the_service_sent_and_marks_simulated() {
        let poll: PollResponse = serde_json::from_value(json!({
            "id": "req_1", "status": "success",
            "scores": {"overall": 3.8, "cefrLevel": "B2"},
            "candidateFeedback": "<script>alert(1)</script> Keep going.",
            "hrRecommendation": "x".repeat(5000),
            "analysis": {"fluency": {"speechRatio": 0.7}}
        }))
        .expect("poll");
        let a = attempt(true, "/r/a.wav", "x");
        let html = report_html(&ReportInput {
            poll: &poll,
            attempt: Some(&a),
            simulated: false,
            previous: None,
            generated: Utc::now(),
        });
        assert!(!html.contains("<script>"), "escaped");
        assert!(html.contains("&lt;script&gt;"));
        let text = html_text(&html);
        assert!(text.contains("Simulated — not a real score"), "{text}");
        assert!(text.contains("3.8 of 5"), "{text}");
        assert!(text.contains("Speech ratio 0.7"), "{text}");
        assert!(
            !text.contains(&"x".repeat(REPORT_FEEDBACK_CHARS + 1)),
            "long texts are cut"
        );
    }
}
