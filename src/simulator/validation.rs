//! Submit validation, in the documented order: audio present → format (sniffed from the
//! bytes) → duration (too short / too long / unreadable) → size → language → externalId →
//! metadata. The first failing check decides the code.

use std::time::Duration;

use bytes::Bytes;
use serde_json::{Map, Value};

use super::config::MAX_FILE_BYTES;
use super::wire::ApiError;
use crate::audio::probe::{self, AudioFormat, ProbeError};

/// Minimum accepted duration (3 min).
pub const MIN_DURATION: Duration = Duration::from_secs(180);
/// Maximum accepted duration (45 min).
pub const MAX_DURATION: Duration = Duration::from_secs(45 * 60);

/// The multipart fields as received.
#[derive(Debug, Default)]
pub struct SubmitForm {
    pub audio: Option<Bytes>,
    /// The body was larger than the simulator reads; the audio was not kept.
    pub oversized: bool,
    pub language: Option<String>,
    pub external_id: Option<String>,
    pub metadata: Option<String>,
    pub tags: Vec<String>,
}

/// A submission that passed validation.
#[derive(Debug, Clone)]
pub struct Submission {
    /// Shared, not copied, between validation and the analysis.
    pub audio: Bytes,
    pub format: AudioFormat,
    pub duration: Duration,
    pub language: String,
    pub external_id: Option<String>,
    /// Echoed on polls with string values.
    pub metadata: Map<String, Value>,
    /// De-duplicated, trimmed.
    pub tags: Vec<String>,
}

fn fail(code: &str) -> ApiError {
    ApiError::new(code)
}

/// Runs every check; CPU-bound (probing), so call it off the async threads.
pub fn validate(form: SubmitForm) -> Result<Submission, ApiError> {
    if form.oversized {
        return Err(fail("FILE_TOO_LARGE"));
    }
    let audio = match form.audio {
        Some(a) if !a.is_empty() => a,
        _ => return Err(fail("MISSING_AUDIO_FILE")),
    };
    let head = &audio[..audio.len().min(probe::SNIFF_LEN)];
    let Some(format) = probe::sniff(head) else {
        return Err(fail("UNSUPPORTED_FORMAT"));
    };
    let duration = match probe::probe_reader(std::io::Cursor::new(audio.clone())) {
        Ok(info) => info.duration,
        Err(ProbeError::UnsupportedFormat) => return Err(fail("UNSUPPORTED_FORMAT")),
        Err(ProbeError::DurationUnavailable { .. } | ProbeError::Io(_)) => {
            return Err(fail("AUDIO_DURATION_UNAVAILABLE"));
        }
    };
    if duration < MIN_DURATION {
        return Err(fail("AUDIO_TOO_SHORT").details(serde_json::json!({
            "durationSeconds": duration.as_secs_f64(),
            "minimumSeconds": MIN_DURATION.as_secs(),
        })));
    }
    if duration > MAX_DURATION {
        return Err(fail("AUDIO_TOO_LONG").details(serde_json::json!({
            "durationSeconds": duration.as_secs_f64(),
            "maximumSeconds": MAX_DURATION.as_secs(),
        })));
    }
    if audio.len() as u64 > MAX_FILE_BYTES {
        return Err(fail("FILE_TOO_LARGE"));
    }
    // The docs do not say whether `language` is required; every example sends it.
    let language = form.language.unwrap_or_else(|| "en".to_string());
    if !crate::languages::is_iso639_1(&language) {
        return Err(fail("INVALID_LANGUAGE_CODE"));
    }
    if let Some(id) = &form.external_id {
        let n = id.chars().count();
        if n == 0 || n > 255 {
            return Err(fail("INVALID_EXTERNAL_ID"));
        }
    }
    let metadata = match &form.metadata {
        None => Map::new(),
        Some(text) => parse_metadata(text).ok_or_else(|| fail("INVALID_METADATA"))?,
    };
    Ok(Submission {
        audio,
        format,
        duration,
        language,
        external_id: form.external_id,
        metadata,
        tags: clean_tags(&form.tags),
    })
}

/// A JSON object within the documented limits, values turned into strings.
fn parse_metadata(text: &str) -> Option<Map<String, Value>> {
    if text.len() > 8 * 1024 {
        return None;
    }
    let Value::Object(map) = serde_json::from_str::<Value>(text).ok()? else {
        return None;
    };
    if map.len() > 50 {
        return None;
    }
    let mut out = Map::new();
    for (k, v) in map {
        let s = match v {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return None,
        };
        if k.chars().count() > 40 || s.chars().count() > 500 {
            return None;
        }
        out.insert(k, Value::String(s));
    }
    Some(out)
}

/// Accepts repeated fields, a JSON array or a comma list; trims and de-duplicates.
fn clean_tags(raw: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for field in raw {
        let items: Vec<String> = match serde_json::from_str::<Vec<String>>(field) {
            Ok(list) => list,
            Err(_) => field.split(',').map(str::to_string).collect(),
        };
        for item in items {
            let t = item.trim();
            if !t.is_empty() && !out.iter().any(|x| x == t) {
                out.push(t.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_must_be_an_object_within_limits() {
        let m = parse_metadata(r#"{"a":"x","n":3,"b":true}"#).expect("valid");
        assert_eq!(m["n"], Value::String("3".into()));
        assert_eq!(m["b"], Value::String("true".into()));
        assert!(parse_metadata("not json").is_none());
        assert!(parse_metadata("[1,2]").is_none());
        assert!(parse_metadata(r#"{"nested":{"a":1}}"#).is_none());
    }

    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        let tags = clean_tags(&[
            " batch-3 ".into(),
            r#"["eu-region","batch-3"]"#.into(),
            "a, b,,a".into(),
        ]);
        assert_eq!(tags, ["batch-3", "eu-region", "a", "b"]);
    }

    #[test]
    fn missing_and_garbage_audio() {
        let e = validate(SubmitForm::default()).expect_err("no audio");
        assert_eq!(e.code, "MISSING_AUDIO_FILE");
        let e = validate(SubmitForm {
            audio: Some(Bytes::from_static(b"hello")),
            ..SubmitForm::default()
        })
        .expect_err("text");
        assert_eq!(e.code, "UNSUPPORTED_FORMAT");
    }
}
