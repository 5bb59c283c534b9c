//! Attempts: each run of the history read once into what the views, the trend and the exports
//! need (time, file, language, status, scores, credits, ids, simulated), and the grouping of
//! attempts into one person's series: always by language (scores in two languages are not one
//! series), and further by an externalId prefix or a metadata key when the person sets one.
//! Pure functions over records; reading the records is `History`'s job, off the UI thread.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::model::{Dimension, DimensionScore, PollResponse, Scores};
use crate::engine::OutcomeKind;
use crate::engine::record::RunRecord;

/// One run as the views and exports read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// Our id of the run's record.
    pub local_id: String,
    /// The service's run id, once accepted.
    pub run_id: Option<String>,
    /// When it was submitted.
    pub time: DateTime<Utc>,
    /// The audio file submitted.
    pub file: Option<PathBuf>,
    /// The language it was scored in (the result's, else the one asked for).
    pub language: Option<String>,
    /// The externalId sent.
    pub external_id: Option<String>,
    /// The metadata sent (scalar values as text).
    pub metadata: BTreeMap<String, String>,
    /// How it ended: `success`, `partial`, `failed`, `rejected`, … or the last status seen
    /// (`processing`), or `not_sent`.
    pub status: String,
    /// The error code when it ended without scores.
    pub error_code: Option<String>,
    /// The scores, when it was scored.
    pub scores: Option<Scores>,
    /// Credits deducted.
    pub credits: Option<f64>,
    /// The audio's length, from the result.
    pub duration: Option<Duration>,
    /// The results came from a simulator.
    pub simulated: bool,
}

impl Attempt {
    /// Reads a record (parsing its result body once).
    pub fn from_record(record: &RunRecord) -> Attempt {
        let poll = record
            .final_body
            .clone()
            .and_then(|b| serde_json::from_value::<PollResponse>(b).ok());
        let status = match &record.outcome {
            Some(o) => o.kind.as_str().to_string(),
            None => record
                .last_status
                .clone()
                .unwrap_or_else(|| "not_sent".to_string()),
        };
        let scored = record
            .outcome
            .as_ref()
            .is_some_and(|o| matches!(o.kind, OutcomeKind::Success | OutcomeKind::Partial));
        let error_code = record
            .outcome
            .as_ref()
            .filter(|_| !scored)
            .and_then(|o| o.error.as_ref())
            .map(|e| e.code.as_str().to_string())
            .or_else(|| {
                poll.as_ref()
                    .and_then(|p| p.error.as_ref())
                    .map(|e| e.code.as_str().to_string())
            });
        let language = poll
            .as_ref()
            .and_then(|p| p.audio.as_ref())
            .and_then(|a| a.language_code.clone())
            .or_else(|| record.language.clone());
        let mut metadata = BTreeMap::new();
        let sent = record
            .metadata
            .as_ref()
            .and_then(Value::as_object)
            .cloned()
            .or_else(|| {
                poll.as_ref()
                    .map(|p| p.metadata.clone().into_iter().collect())
            });
        for (k, v) in sent.into_iter().flatten() {
            if let Some(text) = metadata_text(&v) {
                metadata.insert(k, text);
            }
        }
        Attempt {
            local_id: record.local_id.clone(),
            run_id: record.run_id.clone(),
            time: record.created,
            file: record.file.clone(),
            language,
            external_id: record
                .external_id
                .clone()
                .or_else(|| poll.as_ref().and_then(|p| p.external_id.clone())),
            metadata,
            status,
            error_code,
            scores: poll.as_ref().and_then(|p| p.scores.clone()),
            credits: poll
                .as_ref()
                .and_then(|p| p.credits.as_ref())
                .and_then(|c| c.deducted),
            duration: poll
                .as_ref()
                .and_then(|p| p.audio.as_ref())
                .and_then(|a| a.duration_ms)
                .map(Duration::from_millis),
            simulated: record.simulated,
        }
    }

    /// One measure's numbers, when scored.
    pub fn measure(&self, m: Measure) -> Option<DimensionScore> {
        let s = self.scores.as_ref()?;
        let d = match m {
            Measure::Overall => s.overall(),
            Measure::Dimension(d) => s.dimension(d),
        };
        d.score.is_some().then_some(d)
    }

    /// True when at least one measure has a score.
    pub fn is_scored(&self) -> bool {
        Measure::ALL.iter().any(|m| self.measure(*m).is_some())
    }
}

/// A metadata value as the grouping compares it: text as is, numbers and booleans as text
/// (`42` and `"42"` are one person); objects, arrays and null are no value.
fn metadata_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What a trend line follows: the overall score or one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// `overall` / `cefrLevel`.
    Overall,
    /// One of vocabulary, fluency, accent.
    Dimension(Dimension),
}

impl Measure {
    /// Overall first, then the dimensions in the API's order.
    pub const ALL: [Measure; 4] = [
        Measure::Overall,
        Measure::Dimension(Dimension::Vocabulary),
        Measure::Dimension(Dimension::Fluency),
        Measure::Dimension(Dimension::Accent),
    ];

    /// Name for people.
    pub fn label(self) -> &'static str {
        match self {
            Measure::Overall => "Overall",
            Measure::Dimension(d) => d.label(),
        }
    }
}

/// How attempts are told apart beyond their language.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "by", content = "value", rename_all = "camelCase")]
pub enum GroupBy {
    /// Language only: every attempt in a language is one series.
    #[default]
    Language,
    /// Only attempts whose externalId starts with this (e.g. "cand-42"), one series per
    /// language.
    ExternalIdPrefix(String),
    /// One series per value of this metadata key (e.g. "candidate_id"), per language;
    /// attempts without the key are left out.
    MetadataKey(String),
}

/// The series an attempt belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    /// ISO 639-1 code ("?" when unknown).
    pub language: String,
    /// The externalId prefix or metadata value, when grouping by one.
    pub person: Option<String>,
}

impl GroupKey {
    /// "en", or "en · cand-42".
    pub fn label(&self) -> String {
        let name = crate::languages::language_name(&self.language).unwrap_or(&self.language);
        match &self.person {
            Some(p) => format!("{p} · {name} ({})", self.language),
            None => format!("{name} ({})", self.language),
        }
    }
}

/// The series `attempt` belongs to under `by`; `None` when it belongs to none (its externalId
/// lacks the prefix, or its metadata the key).
pub fn group_key(attempt: &Attempt, by: &GroupBy) -> Option<GroupKey> {
    let language = attempt.language.clone().unwrap_or_else(|| "?".to_string());
    let person = match by {
        GroupBy::Language => None,
        GroupBy::ExternalIdPrefix(prefix) => {
            let prefix = prefix.trim();
            if prefix.is_empty() {
                None
            } else if attempt
                .external_id
                .as_deref()
                .is_some_and(|e| e.starts_with(prefix))
            {
                Some(prefix.to_string())
            } else {
                return None;
            }
        }
        GroupBy::MetadataKey(key) => {
            let key = key.trim();
            if key.is_empty() {
                None
            } else {
                Some(attempt.metadata.get(key)?.clone())
            }
        }
    };
    Some(GroupKey { language, person })
}

/// The scored attempts of each series, oldest first. `attempts` may be in any order.
pub fn groups<'a>(attempts: &'a [Attempt], by: &GroupBy) -> BTreeMap<GroupKey, Vec<&'a Attempt>> {
    let mut out: BTreeMap<GroupKey, Vec<&Attempt>> = BTreeMap::new();
    for a in attempts.iter().filter(|a| a.is_scored()) {
        if let Some(key) = group_key(a, by) {
            out.entry(key).or_default().push(a);
        }
    }
    for list in out.values_mut() {
        list.sort_by_key(|a| a.time);
    }
    out
}

/// One point of a trend line.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// When the attempt was made.
    pub time: DateTime<Utc>,
    /// Its 0–5 score.
    pub score: f64,
    /// Its CEFR level, as the service gave it.
    pub cefr: Option<String>,
    /// The attempt's record.
    pub local_id: String,
    /// Scored by a simulator.
    pub simulated: bool,
}

/// One measure across a series' attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendLine {
    /// What it follows.
    pub measure: Measure,
    /// One point per attempt that has this measure, oldest first.
    pub points: Vec<TrendPoint>,
}

/// The four lines (overall and each dimension) of one series; `attempts` oldest first. A
/// partial attempt has points only on the lines it was scored for.
pub fn trend(attempts: &[&Attempt]) -> Vec<TrendLine> {
    Measure::ALL
        .iter()
        .map(|&measure| TrendLine {
            measure,
            points: attempts
                .iter()
                .filter_map(|a| {
                    let d = a.measure(measure)?;
                    Some(TrendPoint {
                        time: a.time,
                        score: d.score?,
                        cefr: d.cefr,
                        local_id: a.local_id.clone(),
                        simulated: a.simulated,
                    })
                })
                .collect(),
        })
        .collect()
}

/// The series a fresh result belongs to (language from the result, externalId and metadata
/// from what was sent), as [`group_key`] reads an attempt.
pub fn key_of_result(
    poll: &PollResponse,
    language: Option<&str>,
    by: &GroupBy,
) -> Option<GroupKey> {
    let probe = Attempt {
        local_id: String::new(),
        run_id: Some(poll.id.clone()),
        time: Utc::now(),
        file: None,
        language: poll
            .audio
            .as_ref()
            .and_then(|a| a.language_code.clone())
            .or_else(|| language.map(str::to_string)),
        external_id: poll.external_id.clone(),
        metadata: poll
            .metadata
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), metadata_text(v)?)))
            .collect(),
        status: String::new(),
        error_code: None,
        scores: None,
        credits: None,
        duration: None,
        simulated: false,
    };
    group_key(&probe, by)
}

/// The latest scored attempt of series `key` made before `before`, other than run `run_id`:
/// "your last attempt".
pub fn previous_attempt<'a>(
    attempts: &'a [Attempt],
    key: &GroupKey,
    by: &GroupBy,
    before: DateTime<Utc>,
    run_id: &str,
) -> Option<&'a Attempt> {
    attempts
        .iter()
        .filter(|a| a.is_scored() && a.time < before && a.run_id.as_deref() != Some(run_id))
        .filter(|a| group_key(a, by).as_ref() == Some(key))
        .max_by_key(|a| a.time)
}

/// How one measure changed since the last attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Delta {
    /// Which measure.
    pub measure: Measure,
    /// This attempt's score minus the last one's (0–5 scale).
    pub change: f64,
    /// The last attempt's CEFR level, and this one's.
    pub cefr: (Option<String>, Option<String>),
}

/// The change of each measure both results have.
pub fn deltas(now: &Scores, before: &Scores) -> Vec<Delta> {
    Measure::ALL
        .iter()
        .filter_map(|&m| {
            let pick = |s: &Scores| match m {
                Measure::Overall => s.overall(),
                Measure::Dimension(d) => s.dimension(d),
            };
            let (a, b) = (pick(now), pick(before));
            Some(Delta {
                measure: m,
                change: a.score? - b.score?,
                cefr: (b.cefr, a.cefr),
            })
        })
        .collect()
}

/// "+0.3", "-0.2", "±0" (one decimal; ASCII minus, which every font has).
pub fn delta_text(change: f64) -> String {
    let rounded = (change * 10.0).round() / 10.0;
    if rounded == 0.0 {
        "±0".to_string()
    } else if rounded > 0.0 {
        format!("+{rounded:.1}")
    } else {
        format!("-{:.1}", -rounded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::outcome::Outcome;
    use serde_json::json;

    fn record(days_ago: i64, lang: &str, ext: &str, overall: Option<f64>) -> RunRecord {
        let mut r = RunRecord::new(Utc::now() - chrono::Duration::days(days_ago));
        r.run_id = Some(format!("req_{days_ago}_{lang}_{ext}"));
        r.external_id = Some(ext.to_string());
        r.language = Some(lang.to_string());
        r.metadata = Some(json!({"candidate_id": ext, "n": 3}));
        let scores = overall.map(|o| {
            json!({"vocabulary": o, "vocabularyCefr": "B2", "fluency": o - 0.5, "fluencyCefr": "B1",
                   "accent": null, "overall": o, "cefrLevel": "B2"})
        });
        r.set_outcome(&Outcome {
            kind: if overall.is_some() {
                OutcomeKind::Success
            } else {
                OutcomeKind::Failed
            },
            run_id: r.run_id.clone(),
            external_id: r.external_id.clone(),
            local_id: None,
            result: Some(
                json!({"id": r.run_id, "status": "success", "scores": scores,
                                "audio": {"languageCode": lang, "durationMs": 200000},
                                "credits": {"deducted": 4}}),
            ),
            error: None,
        });
        r
    }

    fn attempts() -> Vec<Attempt> {
        [
            record(10, "en", "ana-1", Some(3.0)),
            record(8, "en", "ana-2", Some(3.4)),
            record(6, "en", "ben-1", Some(2.0)),
            record(5, "de", "ana-3", Some(2.5)),
            record(4, "en", "ana-4", None),
            record(2, "en", "ana-5", Some(3.9)),
        ]
        .iter()
        .map(Attempt::from_record)
        .collect()
    }

    #[test]
    fn a_record_reads_into_an_attempt() {
        let a = Attempt::from_record(&record(1, "en", "x", Some(3.25)));
        assert_eq!(a.status, "success");
        assert_eq!(a.language.as_deref(), Some("en"));
        assert_eq!(a.credits, Some(4.0));
        assert_eq!(a.duration, Some(Duration::from_secs(200)));
        assert_eq!(a.metadata.get("n").map(String::as_str), Some("3"));
        assert_eq!(
            a.measure(Measure::Overall).and_then(|d| d.score),
            Some(3.25)
        );
        assert!(a.measure(Measure::Dimension(Dimension::Accent)).is_none());
        let failed = Attempt::from_record(&record(1, "en", "x", None));
        assert!(!failed.is_scored());
        let unsent = Attempt::from_record(&RunRecord::new(Utc::now()));
        assert_eq!(unsent.status, "not_sent");
    }

    #[test]
    fn series_split_by_language_and_by_what_the_person_sets() {
        let all = attempts();
        let by_language = groups(&all, &GroupBy::Language);
        let en = GroupKey {
            language: "en".into(),
            person: None,
        };
        assert_eq!(by_language[&en].len(), 4, "failed runs are not points");
        assert_eq!(by_language.len(), 2);
        let ana = groups(&all, &GroupBy::ExternalIdPrefix("ana-".into()));
        let ana_en = GroupKey {
            language: "en".into(),
            person: Some("ana-".into()),
        };
        assert_eq!(ana[&ana_en].len(), 3);
        assert_eq!(ana.len(), 2, "ana in English and in German");
        let by_key = groups(&all, &GroupBy::MetadataKey("candidate_id".into()));
        assert_eq!(by_key.len(), 5, "one value per attempt here");
        assert!(groups(&all, &GroupBy::MetadataKey("nope".into())).is_empty());
        // Oldest first.
        let times: Vec<_> = by_language[&en].iter().map(|a| a.time).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn a_trend_has_one_point_per_scored_attempt_per_line() {
        let all = attempts();
        let g = groups(&all, &GroupBy::Language);
        let en = &g[&GroupKey {
            language: "en".into(),
            person: None,
        }];
        let lines = trend(en);
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].measure, Measure::Overall);
        assert_eq!(lines[0].points.len(), 4);
        let scores: Vec<f64> = lines[0].points.iter().map(|p| p.score).collect();
        assert_eq!(scores, vec![3.0, 3.4, 2.0, 3.9]);
        assert!(lines[3].points.is_empty(), "accent was never scored");
    }

    #[test]
    fn a_fresh_result_joins_the_series_its_history_entry_would() {
        // Sent as a number: the history entry and the fresh result agree on the person.
        let mut r = record(1, "en", "ana-9", Some(3.0));
        r.metadata = Some(json!({"candidate_id": 42}));
        let a = Attempt::from_record(&r);
        let by = GroupBy::MetadataKey("candidate_id".into());
        let poll: PollResponse = serde_json::from_value(json!({
            "id": "req_x", "status": "success", "audio": {"languageCode": "en"},
            "metadata": {"candidate_id": 42}
        }))
        .expect("poll");
        let key = key_of_result(&poll, None, &by).expect("a series");
        assert_eq!(Some(key), group_key(&a, &by));
    }

    #[test]
    fn the_last_attempt_is_the_latest_earlier_one_in_the_series() {
        let all = attempts();
        let by = GroupBy::ExternalIdPrefix("ana-".into());
        let key = GroupKey {
            language: "en".into(),
            person: Some("ana-".into()),
        };
        let latest = &all[5];
        let prev = previous_attempt(
            &all,
            &key,
            &by,
            latest.time,
            latest.run_id.as_deref().unwrap_or(""),
        )
        .expect("a previous attempt");
        assert_eq!(
            prev.external_id.as_deref(),
            Some("ana-2"),
            "the failed one is skipped"
        );
        let d = deltas(
            latest.scores.as_ref().expect("scores"),
            prev.scores.as_ref().expect("scores"),
        );
        assert_eq!(d.len(), 3, "accent has no delta");
        assert_eq!(delta_text(d[0].change), "+0.5");
        assert_eq!(delta_text(-0.24), "-0.2");
        assert_eq!(delta_text(0.04), "±0");
    }
}
