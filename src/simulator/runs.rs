//! One run's life (queued → processing → success | partial | failed) and the JSON bodies
//! the poll and list endpoints send for it, in the PollResponse shape of the API docs.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::scenario::Dimension;
use super::scoring::{self, Features};
use super::wire::timestamp;

/// Where a run is in its lifecycle.
#[derive(Debug, Clone)]
pub enum Phase {
    Queued,
    Processing { since: Instant },
    Done,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    Success,
    Partial(Vec<Dimension>),
    Failed { code: String, message: String },
}

/// A run the simulator holds.
#[derive(Debug)]
pub struct Run {
    pub id: String,
    /// The key that submitted it; other keys get 404.
    pub key: String,
    pub external_id: Option<String>,
    pub metadata: Map<String, Value>,
    pub tags: Vec<String>,
    pub language: String,
    pub duration: Duration,
    pub cost: u64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub created: Instant,
    pub phase: Phase,
    pub last_poll: Option<Instant>,
    /// Filled in by the background analysis; `Err` when the audio could not be decoded.
    pub analysis: Option<Result<Features, String>>,
    /// The terminal body, fixed once the run ends so every later poll sees the same thing.
    pub result: Option<Value>,
}

impl Run {
    /// `queued`, `processing`, or the terminal status.
    pub fn status(&self) -> &str {
        match (&self.phase, &self.result) {
            (Phase::Queued, _) => "queued",
            (Phase::Processing { .. }, _) => "processing",
            (Phase::Done, Some(r)) => r["status"].as_str().unwrap_or("failed"),
            (Phase::Done, None) => "failed",
        }
    }

    /// True once the run has ended.
    pub fn is_terminal(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// The light payload of a non-terminal poll.
    pub fn light_body(&self, status: &str, queue_position: Option<u32>, hint: u64) -> Value {
        let mut body = json!({
            "id": self.id,
            "externalId": self.external_id,
            "status": status,
            "pollIntervalSeconds": hint,
            "metadata": self.metadata,
            "tags": self.tags,
        });
        if let Some(pos) = queue_position {
            body["queuePosition"] = json!(pos);
        }
        body
    }

    /// A row of `GET /api/v1/speech/runs` (shape is a simulator choice: undocumented).
    pub fn list_row(&self) -> Value {
        json!({
            "id": self.id,
            "externalId": self.external_id,
            "status": self.status(),
            "serviceType": "speech",
            "createdAt": timestamp(self.created_at),
            "audioDurationMs": self.duration.as_millis() as u64,
            "metadata": self.metadata,
            "tags": self.tags,
        })
    }

    fn audio_block(&self) -> Value {
        let secs = self.duration.as_secs();
        json!({
            "durationMs": self.duration.as_millis() as u64,
            "durationFormatted": format!("{}:{:02}", secs / 60, secs % 60),
            "languageCode": self.language,
            "requestedLanguage": self.language,
            "speakerCount": 1,
        })
    }

    /// The terminal body for `ending`, with the credits actually charged.
    pub fn terminal_body(
        &self,
        ending: &Ending,
        deducted: u64,
        remaining_balance: u64,
        now: Instant,
    ) -> Value {
        let minutes = (self.duration.as_secs_f64() / 60.0 * 10.0).round() / 10.0;
        let common = json!({
            "id": self.id,
            "externalId": self.external_id,
            "timestamp": timestamp(chrono::Utc::now()),
            "processingTimeMs": now.duration_since(self.created).as_millis() as u64,
            "metadata": self.metadata,
            "tags": self.tags,
        });
        let Value::Object(mut body) = common else {
            return Value::Null;
        };
        let (status, features) = match (ending, &self.analysis) {
            (Ending::Failed { code, message }, _) => {
                body.insert("status".into(), json!("failed"));
                body.insert("error".into(), json!({ "code": code, "message": message }));
                body.insert("credits".into(), Value::Null);
                return Value::Object(body);
            }
            (Ending::Success, Some(Ok(f))) => ("success", f),
            (Ending::Partial(_), Some(Ok(f))) => ("partial", f),
            // A forced success on audio the simulator could not decode: neutral numbers.
            (_, _) => (
                if matches!(ending, Ending::Success) {
                    "success"
                } else {
                    "partial"
                },
                &NEUTRAL,
            ),
        };
        let scores = features.scores();
        let scored = |d: Dimension| match ending {
            Ending::Partial(dims) => dims.contains(&d),
            _ => true,
        };
        let dim = |d: Dimension, v: f64| -> (Value, Value, Value) {
            if scored(d) {
                (
                    json!(v),
                    json!(scoring::cefr(v)),
                    json!(scoring::percent(v)),
                )
            } else {
                (Value::Null, Value::Null, Value::Null)
            }
        };
        let (v, vc, vp) = dim(Dimension::Vocabulary, scores.vocabulary);
        let (f, fc, fp) = dim(Dimension::Fluency, scores.fluency);
        let (a, ac, ap) = dim(Dimension::Accent, scores.accent);
        let (o, oc, op) = if status == "success" {
            let o = scores.overall();
            (
                json!(o),
                json!(scoring::cefr(o)),
                json!(scoring::percent(o)),
            )
        } else {
            (Value::Null, Value::Null, Value::Null)
        };
        body.insert("status".into(), json!(status));
        body.insert(
            "scoringMethod".into(),
            json!(if self.language == "en" {
                "ml_hybrid"
            } else {
                "gpt_multilingual"
            }),
        );
        body.insert("audio".into(), self.audio_block());
        body.insert(
            "candidateDetection".into(),
            json!({
                "speaker": "speaker_0",
                "speakerLabel": "Speaker 1",
                "confidence": "high",
                "reason": "Single speaker in the recording (simulated detection)",
                "wordCount": (self.duration.as_secs_f64() / 60.0 * 120.0 * features.speech_ratio).round() as u64,
            }),
        );
        body.insert(
            "scores".into(),
            json!({
                "vocabulary": v, "vocabularyCefr": vc, "vocabularyPercent": vp,
                "fluency": f, "fluencyCefr": fc, "fluencyPercent": fp,
                "accent": a, "accentCefr": ac, "accentPercent": ap,
                "overall": o, "cefrLevel": oc, "overallPercent": op,
            }),
        );
        body.insert(
            "explainability".into(),
            json!({ "vocab": features.explain_vocab(), "fluency": features.explain_fluency() }),
        );
        body.insert(
            "analysis".into(),
            json!({
                "simulated": true,
                "speechRatio": (features.speech_ratio * 1000.0).round() / 1000.0,
                "pauseCount": features.pauses,
                "meanPauseSeconds": (features.mean_pause_secs * 100.0).round() / 100.0,
                "loudnessStdDb": (features.loudness_std_db * 10.0).round() / 10.0,
            }),
        );
        body.insert(
            "hrRecommendation".into(),
            json!("Simulated result from the local ZenHire simulator; not an assessment of the candidate."),
        );
        body.insert(
            "candidateFeedback".into(),
            json!("These scores were produced by a local simulator from the sound of the recording, not from what was said."),
        );
        body.insert(
            "transcript".into(),
            json!({
                "segments": [],
                "speakers": [{ "speaker": "speaker_0", "label": "Speaker 1" }],
                "candidateText": "[Simulated transcript: the local ZenHire simulator does not transcribe speech.]",
                "candidateSpeaker": "speaker_0",
            }),
        );
        body.insert(
            "credits".into(),
            json!({
                "deducted": deducted,
                "remainingBalance": remaining_balance,
                "audioDurationMinutes": minutes,
            }),
        );
        body.insert("error".into(), Value::Null);
        Value::Object(body)
    }
}

/// Middle-of-the-road measurements for forced results on undecodable audio.
static NEUTRAL: Features = Features {
    speech_ratio: 0.7,
    pauses: 0,
    mean_pause_secs: 0.6,
    long_pause_share: 0.0,
    loudness_std_db: 6.0,
    burst_rate: 3.5,
};
