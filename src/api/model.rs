//! Serde types for every request and response body of the Speech API.
//!
//! Parsing is lenient on purpose: unknown fields are ignored, every field the docs do not
//! promise is optional, codes the docs do not list are kept verbatim, and the shapes the
//! docs leave open (`analysis`, transcript items, the credits and runs bodies) stay as raw
//! JSON. Field names follow `api/zenhire-speech-api.md` exactly; nothing is invented.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::codes::ErrorCode;

/// Reads `null` as the type's default (`{}` / `[]`): lenient where the docs promise a value.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The lifecycle of a run: `queued → processing → success | partial | failed`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum RunStatus {
    #[default]
    Queued,
    Processing,
    Success,
    Partial,
    Failed,
    /// A status the docs don't list, kept verbatim (treated as not terminal).
    Other(String),
}

impl RunStatus {
    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Processing => "processing",
            RunStatus::Success => "success",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
            RunStatus::Other(s) => s,
        }
    }

    /// Parses a wire string; unknown values are kept.
    pub fn parse(s: &str) -> RunStatus {
        match s {
            "queued" => RunStatus::Queued,
            "processing" => RunStatus::Processing,
            "success" => RunStatus::Success,
            "partial" => RunStatus::Partial,
            "failed" => RunStatus::Failed,
            other => RunStatus::Other(other.to_string()),
        }
    }

    /// `success`, `partial` and `failed` end a run; its id is never polled again after.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            RunStatus::Success | RunStatus::Partial | RunStatus::Failed
        )
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RunStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RunStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(RunStatus::parse(&String::deserialize(d)?))
    }
}

/// The 202 body of `POST /api/v1/speech/analyze`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitAccepted {
    /// The run id: poll with it. Not `error.requestId`.
    pub id: String,
    /// `queued` (at the concurrency cap) or `processing`.
    pub status: RunStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_position: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_requests: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_interval_seconds: Option<u64>,
    /// Not documented on the 202; kept if the server echoes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// `GET /api/v1/speech/analyze/{id}`: the PollResponse schema. The light queued/processing
/// payloads carry only some of these; everything but `id` and `status` is optional.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollResponse {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub status: RunStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_position: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_interval_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_time_ms: Option<u64>,
    /// `ml_hybrid` or `gpt_multilingual` (kept as text: the enum may grow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoring_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<AudioInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_detection: Option<CandidateDetection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scores: Option<Scores>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explainability: Option<Explainability>,
    /// Per-dimension analysis; inner shape not documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr_recommendation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_feedback: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<Transcript>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<RunCredits>,
    /// Present when `status` is `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
    /// Submitted metadata, string values; `{}` when none.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: BTreeMap<String, Value>,
    /// Submitted tags, de-duped and trimmed; `[]` when none.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
}

/// `audio` on a poll.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AudioInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_formatted: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker_count: Option<u32>,
}

/// How sure the pipeline is that it picked the candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confidence {
    High,
    Medium,
    /// Ambiguous: a human should review the transcript before any decision.
    Low,
    Other(String),
}

impl Confidence {
    pub fn as_str(&self) -> &str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
            Confidence::Other(s) => s,
        }
    }
}

impl Serialize for Confidence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Confidence {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "high" => Confidence::High,
            "medium" => Confidence::Medium,
            "low" => Confidence::Low,
            _ => Confidence::Other(s),
        })
    }
}

/// `candidateDetection` on a finished poll.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CandidateDetection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub word_count: Option<u64>,
}

/// The flat `scores` object: 0–5 scores, CEFR levels (A1–C2) and 0–100 percents, each
/// nullable (a `partial` run has nulls for the dimensions that failed).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scores {
    pub vocabulary: Option<f64>,
    pub vocabulary_cefr: Option<String>,
    pub vocabulary_percent: Option<f64>,
    pub fluency: Option<f64>,
    pub fluency_cefr: Option<String>,
    pub fluency_percent: Option<f64>,
    pub accent: Option<f64>,
    pub accent_cefr: Option<String>,
    pub accent_percent: Option<f64>,
    pub overall: Option<f64>,
    pub cefr_level: Option<String>,
    pub overall_percent: Option<f64>,
}

/// One scored dimension, as a view over [`Scores`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    Vocabulary,
    Fluency,
    Accent,
}

impl Dimension {
    pub const ALL: [Dimension; 3] = [Dimension::Vocabulary, Dimension::Fluency, Dimension::Accent];

    /// Name for people.
    pub fn label(self) -> &'static str {
        match self {
            Dimension::Vocabulary => "Vocabulary",
            Dimension::Fluency => "Fluency",
            Dimension::Accent => "Accent",
        }
    }
}

/// Score, CEFR level and percent of one dimension.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DimensionScore {
    pub score: Option<f64>,
    pub cefr: Option<String>,
    pub percent: Option<f64>,
}

impl DimensionScore {
    /// A dimension with no score failed to score (the run is then `partial`).
    pub fn is_missing(&self) -> bool {
        self.score.is_none()
    }
}

impl Scores {
    /// One dimension's numbers.
    pub fn dimension(&self, d: Dimension) -> DimensionScore {
        match d {
            Dimension::Vocabulary => DimensionScore {
                score: self.vocabulary,
                cefr: self.vocabulary_cefr.clone(),
                percent: self.vocabulary_percent,
            },
            Dimension::Fluency => DimensionScore {
                score: self.fluency,
                cefr: self.fluency_cefr.clone(),
                percent: self.fluency_percent,
            },
            Dimension::Accent => DimensionScore {
                score: self.accent,
                cefr: self.accent_cefr.clone(),
                percent: self.accent_percent,
            },
        }
    }

    /// The overall numbers.
    pub fn overall(&self) -> DimensionScore {
        DimensionScore {
            score: self.overall,
            cefr: self.cefr_level.clone(),
            percent: self.overall_percent,
        }
    }

    /// Dimensions with no score.
    pub fn missing_dimensions(&self) -> Vec<Dimension> {
        Dimension::ALL
            .into_iter()
            .filter(|d| self.dimension(*d).is_missing())
            .collect()
    }
}

/// `explainability`: 2–3 plain sentences per dimension, safe to show to end users.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Explainability {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vocab: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fluency: Option<String>,
}

/// `transcript`; the item shapes of `segments` and `speakers` are not documented.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transcript {
    #[serde(default, deserialize_with = "null_as_default")]
    pub segments: Vec<Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub speakers: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_speaker: Option<String>,
}

/// Per-run accounting on a finished poll.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunCredits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deducted: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_balance: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_duration_minutes: Option<f64>,
}

/// `error` on a `failed` poll: the terminal reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunError {
    pub code: ErrorCode,
    #[serde(default)]
    pub message: String,
}

/// The standard error envelope every 4xx/5xx carries: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub error: ApiErrorBody,
}

/// The inside of the error envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiErrorBody {
    pub code: ErrorCode,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Trace handle for this one response (absent on middleware rejections). Not a run id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Code-specific extras, e.g. `cost` and `available` on `INSUFFICIENT_CREDITS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    /// On 429 and 503: the same value as the `Retry-After` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

impl ApiErrorBody {
    /// `details.cost` and `details.available` of an `INSUFFICIENT_CREDITS` refusal.
    pub fn credit_shortfall(&self) -> Option<(f64, f64)> {
        let d = self.details.as_ref()?;
        Some((d.get("cost")?.as_f64()?, d.get("available")?.as_f64()?))
    }
}

/// `GET /api/v1/speech/runs`: the list's envelope is not documented, so rows are found under
/// `data`, `runs`, `items`, `results`, or a bare array. Rows keep their raw JSON.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunsList {
    pub rows: Vec<RunRow>,
    /// The whole body, for display.
    pub raw: Value,
}

/// One row of the runs list. Only `id` is documented; the rest is read if present.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub id: String,
    pub external_id: Option<String>,
    pub status: Option<RunStatus>,
    pub created_at: Option<String>,
    pub raw: Value,
}

impl RunsList {
    /// Reads a runs body leniently. `None` only when no array of rows can be found.
    pub fn from_value(raw: Value) -> Option<RunsList> {
        let array = match &raw {
            Value::Array(a) => a.clone(),
            Value::Object(map) => ["data", "runs", "items", "results"]
                .iter()
                .find_map(|k| map.get(*k).and_then(Value::as_array))?
                .clone(),
            _ => return None,
        };
        let rows = array
            .into_iter()
            .filter_map(|row| {
                let id = row.get("id")?.as_str()?.to_string();
                let text = |k: &str| row.get(k).and_then(Value::as_str).map(str::to_string);
                Some(RunRow {
                    external_id: text("externalId"),
                    status: text("status").map(|s| RunStatus::parse(&s)),
                    created_at: text("createdAt").or_else(|| text("timestamp")),
                    id,
                    raw: row,
                })
            })
            .collect();
        Some(RunsList { rows, raw })
    }
}

/// `GET /api/v1/credits`: the field names are not documented, so the body is kept raw and
/// the balance is looked for under the names a ledger would plausibly use.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CreditsInfo {
    pub raw: Value,
}

impl CreditsInfo {
    fn number(&self, keys: &[&str]) -> Option<f64> {
        let obj = self.raw.as_object()?;
        let nested = obj.get("data").and_then(Value::as_object);
        keys.iter().find_map(|k| {
            obj.get(*k)
                .or_else(|| nested.and_then(|n| n.get(*k)))
                .and_then(Value::as_f64)
        })
    }

    /// The balance, if the body has a recognisable one.
    pub fn balance(&self) -> Option<f64> {
        self.number(&["balance", "creditBalance", "credits", "currentBalance"])
    }

    /// Credits available for new work (balance minus holds), if reported separately.
    pub fn available(&self) -> Option<f64> {
        self.number(&["available", "availableBalance", "availableCredits"])
    }
}

/// `GET /api/v1/health`: the body is not documented; HTTP 200 means healthy.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub healthy: bool,
    pub http_status: u16,
    pub raw: Value,
}

/// The fields of a submit, before they become multipart parts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitFields {
    /// ISO 639-1, e.g. `en`.
    pub language: String,
    /// 1–255 characters; our handle to find the run again if a submit's reply is lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// A JSON object, sent as a string part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

#[cfg(test)]
mod tests {
    //! Every example body in `api/zenhire-speech-api.md` parses.
    use super::*;

    fn parse<T: serde::de::DeserializeOwned>(s: &str) -> T {
        serde_json::from_str(s).expect("documented example parses")
    }

    #[test]
    fn submit_queued_and_processing() {
        let q: SubmitAccepted = parse(
            r#"{"id":"req_...","status":"queued","queuePosition":3,"activeRequests":8,"pollIntervalSeconds":20}"#,
        );
        assert_eq!(q.status, RunStatus::Queued);
        assert_eq!(q.queue_position, Some(3));
        assert_eq!(q.active_requests, Some(8));
        assert_eq!(q.poll_interval_seconds, Some(20));
        let p: SubmitAccepted =
            parse(r#"{"id":"req_...","status":"processing","pollIntervalSeconds":15}"#);
        assert_eq!(p.status, RunStatus::Processing);
        assert_eq!(p.queue_position, None);
        let bare: SubmitAccepted = parse(r#"{"id":"req_1","status":"processing"}"#);
        assert_eq!(bare.poll_interval_seconds, None);
    }

    #[test]
    fn poll_light_payloads() {
        let q: PollResponse = parse(
            r#"{"id":"req_...","externalId":"candidate-abc-123","status":"queued","queuePosition":2,
                "pollIntervalSeconds":20,"metadata":{"candidate_id":"c_887","customer":"acme"},
                "tags":["batch-3","eu-region"]}"#,
        );
        assert_eq!(q.status, RunStatus::Queued);
        assert_eq!(q.queue_position, Some(2));
        assert_eq!(q.tags, vec!["batch-3", "eu-region"]);
        assert_eq!(q.metadata["customer"], "acme");
        let p: PollResponse = parse(
            r#"{"id":"req_...","externalId":"candidate-abc-123","status":"processing",
                "pollIntervalSeconds":15,"metadata":{},"tags":[]}"#,
        );
        assert!(!p.status.is_terminal());
    }

    const SUCCESS: &str = r#"{
      "id": "req_...", "externalId": "candidate-abc-123", "status": "success",
      "timestamp": "2026-05-29T10:04:12.345Z", "processingTimeMs": 184000,
      "scoringMethod": "ml_hybrid",
      "audio": {"durationMs": 612000, "durationFormatted": "10:12", "languageCode": "en",
                "requestedLanguage": "en", "speakerCount": 2},
      "candidateDetection": {"speaker": "speaker_1", "speakerLabel": "Speaker 2",
        "confidence": "high", "reason": "Speaker answers questions and describes experience",
        "wordCount": 432},
      "scores": {"vocabulary": 3.8, "vocabularyCefr": "B2", "vocabularyPercent": 76,
        "fluency": 3.5, "fluencyCefr": "B2", "fluencyPercent": 70,
        "accent": 4.1, "accentCefr": "C1", "accentPercent": 82,
        "overall": 3.8, "cefrLevel": "B2", "overallPercent": 76},
      "explainability": {"vocab": "<2–3 sentence plain-language explanation>",
                         "fluency": "<2–3 sentence plain-language explanation>"},
      "analysis": {}, "hrRecommendation": "<string>", "candidateFeedback": "<string>",
      "transcript": {"segments": [], "speakers": [], "candidateText": "<candidate's words only>",
                     "candidateSpeaker": "speaker_1"},
      "credits": {"deducted": 11, "remainingBalance": 489, "audioDurationMinutes": 10.2},
      "error": null,
      "metadata": {"candidate_id": "c_887", "customer": "acme"},
      "tags": ["batch-3", "eu-region"]
    }"#;

    #[test]
    fn poll_success() {
        let s: PollResponse = parse(SUCCESS);
        assert_eq!(s.status, RunStatus::Success);
        let scores = s.scores.expect("scores");
        assert_eq!(scores.overall().cefr.as_deref(), Some("B2"));
        assert_eq!(scores.dimension(Dimension::Accent).score, Some(4.1));
        assert!(scores.missing_dimensions().is_empty());
        let cd = s.candidate_detection.expect("candidate detection");
        assert_eq!(cd.confidence, Some(Confidence::High));
        assert_eq!(cd.word_count, Some(432));
        assert_eq!(s.audio.and_then(|a| a.speaker_count), Some(2));
        assert_eq!(s.credits.and_then(|c| c.deducted), Some(11.0));
        assert!(s.error.is_none());
        // Serializing and parsing again keeps everything.
        let again: PollResponse =
            parse(&serde_json::to_string(&parse::<PollResponse>(SUCCESS)).expect("ser"));
        assert_eq!(again, parse::<PollResponse>(SUCCESS));
    }

    #[test]
    fn poll_partial_names_missing_dimensions() {
        let p: PollResponse = parse(
            r#"{"id":"req_...","externalId":"candidate-abc-123","status":"partial","scoringMethod":"ml_hybrid",
              "scores":{"vocabulary":3.6,"vocabularyCefr":"B2","vocabularyPercent":72,
                "fluency":3.2,"fluencyCefr":"B1","fluencyPercent":64,
                "accent":null,"accentCefr":null,"accentPercent":null,
                "overall":null,"cefrLevel":null,"overallPercent":null},
              "credits":{"deducted":7,"remainingBalance":493,"audioDurationMinutes":10.2},
              "metadata":{},"tags":[]}"#,
        );
        assert_eq!(p.status, RunStatus::Partial);
        assert_eq!(
            p.scores.expect("scores").missing_dimensions(),
            vec![Dimension::Accent]
        );
    }

    #[test]
    fn poll_failed() {
        let f: PollResponse = parse(
            r#"{"id":"req_...","externalId":"candidate-abc-123","status":"failed",
              "error":{"code":"TRANSCRIPTION_LOW_CONFIDENCE","message":"Audio content does not match the requested language."},
              "credits":null,"metadata":{},"tags":[]}"#,
        );
        assert!(f.status.is_terminal());
        assert_eq!(
            f.error.expect("error").code,
            ErrorCode::TranscriptionLowConfidence
        );
        assert!(f.credits.is_none());
    }

    #[test]
    fn every_error_envelope_example() {
        let examples = [
            (
                r#"{"error":{"code":"INVALID_LANGUAGE_CODE","message":"Invalid language code. Must be a 2-letter ISO 639-1 code.","timestamp":"2026-04-21T12:34:56.789Z","requestId":"req_1705412345678_abc123","details":{}}}"#,
                ErrorCode::InvalidLanguageCode,
            ),
            (
                r#"{"error":{"code":"AUDIO_TOO_SHORT","message":"Audio is shorter than the 3-minute minimum.","timestamp":"2026-05-29T10:00:00.000Z","requestId":"req_1705412345678_abc123"}}"#,
                ErrorCode::AudioTooShort,
            ),
            (
                r#"{"error":{"code":"INVALID_API_KEY","message":"API key not recognized.","timestamp":"2026-05-29T10:00:00.000Z"}}"#,
                ErrorCode::InvalidApiKey,
            ),
            (
                r#"{"error":{"code":"INSUFFICIENT_CREDITS","message":"Insufficient credits for this request.","timestamp":"2026-05-29T10:00:00.000Z","requestId":"req_1705412345678_abc123","details":{"cost":11,"available":4}}}"#,
                ErrorCode::InsufficientCredits,
            ),
            (
                r#"{"error":{"code":"MULTILINGUAL_NOT_ENABLED","message":"Non-English analysis is not enabled for this account.","timestamp":"2026-05-29T10:00:00.000Z","requestId":"req_1705412345678_abc123"}}"#,
                ErrorCode::MultilingualNotEnabled,
            ),
            (
                r#"{"error":{"code":"<NOT_FOUND_CODE>","message":"Request not found.","timestamp":"2026-05-29T10:00:00.000Z","requestId":"req_1705412345678_abc123"}}"#,
                ErrorCode::Unknown("<NOT_FOUND_CODE>".into()),
            ),
            (
                r#"{"error":{"code":"RATE_LIMIT_EXCEEDED","message":"Rate limit exceeded.","timestamp":"2026-05-29T10:00:00.000Z","requestId":"req_1705412345678_abc123","retryAfterSeconds":30}}"#,
                ErrorCode::RateLimitExceeded,
            ),
            (
                r#"{"error":{"code":"POLL_RATE_LIMITED","message":"Polled too frequently; minimum interval is 10 seconds.","timestamp":"2026-05-29T10:00:00.000Z","requestId":"req_1705412345678_abc123","retryAfterSeconds":7}}"#,
                ErrorCode::PollRateLimited,
            ),
            (
                r#"{"error":{"code":"SERVICE_WARMING_UP","message":"Scoring service is warming up.","timestamp":"2026-05-29T10:00:00.000Z","requestId":"req_1705412345678_abc123","retryAfterSeconds":20}}"#,
                ErrorCode::ServiceWarmingUp,
            ),
        ];
        for (body, code) in &examples {
            let env: ErrorEnvelope = parse(body);
            assert_eq!(&env.error.code, code, "{body}");
            assert!(!env.error.message.is_empty());
        }
        let credits: ErrorEnvelope = parse(examples[3].0);
        assert_eq!(credits.error.credit_shortfall(), Some((11.0, 4.0)));
        let no_id: ErrorEnvelope = parse(examples[2].0);
        assert_eq!(no_id.error.request_id, None);
        let ra: ErrorEnvelope = parse(examples[7].0);
        assert_eq!(ra.error.retry_after_seconds, Some(7));
    }

    #[test]
    fn runs_list_in_any_envelope() {
        for body in [
            r#"[{"id":"req_1","status":"success"}]"#,
            r#"{"data":[{"id":"req_1","status":"success"}],"total":1}"#,
            r#"{"runs":[{"id":"req_1","status":"success","externalId":"x"}]}"#,
            r#"{"items":[{"id":"req_1"},{"noid":true}]}"#,
        ] {
            let list = RunsList::from_value(parse(body)).expect("rows found");
            assert_eq!(list.rows.len(), 1, "{body}");
            assert_eq!(list.rows[0].id, "req_1");
        }
        assert!(RunsList::from_value(parse(r#"{"nothing":1}"#)).is_none());
    }

    #[test]
    fn credits_balance_is_found_under_plausible_names() {
        let c = CreditsInfo {
            raw: parse(r#"{"balance":500,"available":489,"usage":{},"transactions":[]}"#),
        };
        assert_eq!(c.balance(), Some(500.0));
        assert_eq!(c.available(), Some(489.0));
        let nested = CreditsInfo {
            raw: parse(r#"{"data":{"creditBalance":12}}"#),
        };
        assert_eq!(nested.balance(), Some(12.0));
        assert_eq!(CreditsInfo { raw: parse("[]") }.balance(), None);
    }

    #[test]
    fn junk_never_panics() {
        for junk in [
            "",
            "null",
            "[]",
            "{}",
            "<html>502</html>",
            r#"{"id":5}"#,
            r#"{"status":"x"}"#,
        ] {
            let _ = serde_json::from_str::<PollResponse>(junk);
            let _ = serde_json::from_str::<SubmitAccepted>(junk);
            let _ = serde_json::from_str::<ErrorEnvelope>(junk);
        }
        let odd: PollResponse = parse(r#"{"id":"r","status":"archived","extra":{"x":1}}"#);
        assert_eq!(odd.status, RunStatus::Other("archived".into()));
        assert!(!odd.status.is_terminal());
        let nulls: PollResponse =
            parse(r#"{"id":"r","status":"queued","metadata":null,"tags":null}"#);
        assert!(nulls.metadata.is_empty() && nulls.tags.is_empty());
    }
}
