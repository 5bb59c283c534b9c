//! Local checks that mirror the API limits, run before any upload, so the person sees the
//! problem (with the very code the API would return) before anything is sent.
//!
//! The limits are the documented ones, all from [`crate::api::limits`]: an accepted container
//! (MP3, WAV, M4A, WebM, OGG, FLAC), 3 to 45 minutes, at most 25 MB, `language` an ISO 639-1
//! code, `externalId` 1–255 characters, `metadata` valid JSON. Problems come back in the API's
//! catalog order.

use std::path::Path;
use std::time::Duration;

use crate::api::codes::ErrorCode;
use crate::api::limits::{
    MAX_DURATION, MAX_EXTERNAL_ID_CHARS, MAX_FILE_BYTES, MAX_METADATA_BYTES,
    MAX_METADATA_KEY_CHARS, MAX_METADATA_KEYS, MAX_METADATA_VALUE_CHARS, MIN_DURATION,
    MIN_EXTERNAL_ID_CHARS,
};
use crate::audio::probe::{self, ProbeError, ProbeInfo};
use crate::audio::recorder::clock;

/// One thing wrong with a submission, with the code the API would answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub code: ErrorCode,
    pub message: String,
}

impl Problem {
    fn new(code: ErrorCode, message: impl Into<String>) -> Problem {
        Problem {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// `m:ss`, with milliseconds when whole seconds would hide the difference from `limit`
/// ("45:00.024 long; the maximum is 45 minutes").
fn length_against(d: Duration, limit: Duration) -> String {
    if d.as_secs() == limit.as_secs() && d != limit {
        format!("{}.{:03}", clock(d), d.subsec_millis())
    } else {
        clock(d)
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// Checks a probed file: size, then duration (the format was already recognised by probing).
pub fn validate_audio(info: &ProbeInfo) -> Result<(), Vec<Problem>> {
    let mut problems = Vec::new();
    if let Some(p) = check_size(info.size_bytes) {
        problems.push(p);
    }
    if info.duration < MIN_DURATION {
        problems.push(Problem::new(
            ErrorCode::AudioTooShort,
            format!(
                "The recording is {} long; at least 3 minutes are needed.",
                length_against(info.duration, MIN_DURATION)
            ),
        ));
    } else if info.duration > MAX_DURATION {
        problems.push(Problem::new(
            ErrorCode::AudioTooLong,
            format!(
                "The recording is {} long; the maximum is 45 minutes.",
                length_against(info.duration, MAX_DURATION)
            ),
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn check_size(size: u64) -> Option<Problem> {
    (size > MAX_FILE_BYTES).then(|| {
        Problem::new(
            ErrorCode::FileTooLarge,
            format!(
                "The file is {}; the limit is 25 MB. Compress or shorten it.",
                megabytes(size)
            ),
        )
    })
}

/// Checks an audio file on disk: readable, an accepted format, within size and length.
/// Returns what probing found so the caller need not probe twice.
pub fn check_audio_file(path: &Path) -> Result<ProbeInfo, Vec<Problem>> {
    let size = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m.len(),
        Ok(_) => {
            return Err(vec![Problem::new(
                ErrorCode::MissingAudioFile,
                format!("{} is not a file.", path.display()),
            )]);
        }
        Err(e) => {
            return Err(vec![Problem::new(
                ErrorCode::MissingAudioFile,
                format!("Could not read {}: {e}.", path.display()),
            )]);
        }
    };
    match probe::probe_file(path) {
        Ok(info) => validate_audio(&info).map(|()| info),
        Err(e) => {
            let mut problems = Vec::new();
            match e {
                ProbeError::UnsupportedFormat => problems.push(Problem::new(
                    ErrorCode::UnsupportedFormat,
                    if size == 0 {
                        format!("{} is empty.", path.display())
                    } else {
                        format!(
                            "{} is not an MP3, WAV, M4A, WebM, OGG or FLAC file.",
                            path.display()
                        )
                    },
                )),
                ProbeError::DurationUnavailable { format, reason } => {
                    if let Some(p) = check_size(size) {
                        problems.push(p);
                    }
                    problems.push(Problem::new(
                        ErrorCode::AudioDurationUnavailable,
                        format!(
                            "The length of this {format} file could not be read ({reason}); it may be damaged."
                        ),
                    ));
                }
                ProbeError::Io(e) => problems.push(Problem::new(
                    ErrorCode::MissingAudioFile,
                    format!("Could not read {}: {e}.", path.display()),
                )),
            }
            Err(problems)
        }
    }
}

/// `language` must be a lower-case two-letter ISO 639-1 code.
pub fn validate_language(language: &str) -> Result<(), Problem> {
    if crate::languages::is_iso639_1(language) {
        Ok(())
    } else {
        Err(Problem::new(
            ErrorCode::InvalidLanguageCode,
            format!("\"{language}\" is not a 2-letter ISO 639-1 language code (e.g. en, es, fr)."),
        ))
    }
}

/// `externalId`, when sent, must be 1 to 255 characters.
pub fn validate_external_id(external_id: &str) -> Result<(), Problem> {
    let n = external_id.chars().count();
    if (MIN_EXTERNAL_ID_CHARS..=MAX_EXTERNAL_ID_CHARS).contains(&n) {
        Ok(())
    } else if n == 0 {
        Err(Problem::new(
            ErrorCode::InvalidExternalId,
            format!(
                "The external id is empty; leave it out or give {MIN_EXTERNAL_ID_CHARS} to {MAX_EXTERNAL_ID_CHARS} characters."
            ),
        ))
    } else {
        Err(Problem::new(
            ErrorCode::InvalidExternalId,
            format!(
                "The external id is {n} characters long; the maximum is {MAX_EXTERNAL_ID_CHARS}."
            ),
        ))
    }
}

/// `metadata`, when sent, must parse as JSON. It comes back on every poll as a `{key: value}`
/// map, and the documented limits are those of a map (≤ 50 keys, key ≤ 40 chars, value ≤ 500
/// chars, string/number/boolean values, ≤ 8 KB), so a local check insists on a JSON object
/// within them rather than let the service refuse it after the upload.
pub fn validate_metadata(metadata: &str) -> Result<(), Problem> {
    let bad = |why: String| Err(Problem::new(ErrorCode::InvalidMetadata, why));
    if metadata.len() > MAX_METADATA_BYTES {
        return bad(format!(
            "The metadata is {} bytes; the maximum is 8 KB.",
            metadata.len()
        ));
    }
    let map = match serde_json::from_str::<serde_json::Value>(metadata) {
        Ok(serde_json::Value::Object(map)) => map,
        Ok(_) => {
            return bad(
                "The metadata must be a JSON object, e.g. {\"candidate\": \"c_887\"}.".into(),
            );
        }
        Err(e) => return bad(format!("The metadata is not valid JSON ({e}).")),
    };
    if map.len() > MAX_METADATA_KEYS {
        return bad(format!(
            "The metadata has {} keys; the maximum is {MAX_METADATA_KEYS}.",
            map.len()
        ));
    }
    for (key, value) in &map {
        if key.chars().count() > MAX_METADATA_KEY_CHARS {
            return bad(format!(
                "The metadata key \"{key}\" is longer than {MAX_METADATA_KEY_CHARS} characters."
            ));
        }
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => {
                return bad(format!(
                    "The metadata value of \"{key}\" must be text, a number or true/false."
                ));
            }
        };
        if text.chars().count() > MAX_METADATA_VALUE_CHARS {
            return bad(format!(
                "The metadata value of \"{key}\" is longer than {MAX_METADATA_VALUE_CHARS} characters."
            ));
        }
    }
    Ok(())
}

/// Everything the API checks on a submission, all at once, in the API's catalog order.
/// `None` fields are the ones that will not be sent.
pub fn validate_submission(
    audio: &Path,
    language: Option<&str>,
    external_id: Option<&str>,
    metadata: Option<&str>,
) -> Result<(), Vec<Problem>> {
    let mut problems = match check_audio_file(audio) {
        Ok(_) => Vec::new(),
        Err(p) => p,
    };
    problems.extend(validate_fields(language, external_id, metadata));
    in_catalog_order(&mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The checks on the fields beside the audio (`None`: not sent), every problem found.
pub fn validate_fields(
    language: Option<&str>,
    external_id: Option<&str>,
    metadata: Option<&str>,
) -> Vec<Problem> {
    [
        language.map(validate_language),
        external_id.map(validate_external_id),
        metadata.map(validate_metadata),
    ]
    .into_iter()
    .flatten()
    .filter_map(Result::err)
    .collect()
}

/// Sorts problems into the order of the API's error catalog (the order the service checks in).
pub fn in_catalog_order(problems: &mut [Problem]) {
    problems.sort_by_key(|p| {
        ErrorCode::DOCUMENTED
            .iter()
            .position(|c| *c == p.code)
            .unwrap_or(usize::MAX)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::AudioFormat;

    fn info(seconds: u64, size: u64) -> ProbeInfo {
        ProbeInfo {
            format: AudioFormat::Wav,
            duration: Duration::from_secs(seconds),
            sample_rate: Some(16_000),
            channels: Some(1),
            size_bytes: size,
        }
    }

    fn codes(r: Result<(), Vec<Problem>>) -> Vec<ErrorCode> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.code)
            .collect()
    }

    #[test]
    fn duration_and_size_limits_are_inclusive() {
        assert!(validate_audio(&info(180, 1000)).is_ok());
        assert!(validate_audio(&info(2700, MAX_FILE_BYTES)).is_ok());
        assert_eq!(
            codes(validate_audio(&info(179, 10))),
            [ErrorCode::AudioTooShort]
        );
        assert_eq!(
            codes(validate_audio(&info(2701, 10))),
            [ErrorCode::AudioTooLong]
        );
        assert_eq!(
            codes(validate_audio(&info(60, MAX_FILE_BYTES + 1))),
            [ErrorCode::FileTooLarge, ErrorCode::AudioTooShort]
        );
    }

    #[test]
    fn language_external_id_and_metadata() {
        assert!(validate_language("en").is_ok());
        assert!(validate_language("pt").is_ok());
        for bad in ["", "EN", "eng", "english", "e1", "xx", "en-US"] {
            let p = validate_language(bad).expect_err(bad);
            assert_eq!(p.code, ErrorCode::InvalidLanguageCode);
        }
        assert!(validate_external_id("a").is_ok());
        assert!(
            validate_external_id(&"é".repeat(255)).is_ok(),
            "characters, not bytes"
        );
        assert_eq!(
            validate_external_id("").expect_err("empty").code,
            ErrorCode::InvalidExternalId
        );
        assert_eq!(
            validate_external_id(&"x".repeat(256))
                .expect_err("long")
                .code,
            ErrorCode::InvalidExternalId
        );
        assert!(validate_metadata(r#"{"candidate":"c_1","n":3}"#).is_ok());
        assert!(
            validate_metadata("[1,2]").is_err(),
            "an array is not a metadata map"
        );
        assert!(validate_metadata(r#"{"nested":{"a":1}}"#).is_err());
        let long_key = format!(r#"{{"{}":"x"}}"#, "k".repeat(41));
        assert!(validate_metadata(&long_key).is_err());
        let many: Vec<String> = (0..51).map(|i| format!(r#""k{i}":1"#)).collect();
        assert!(validate_metadata(&format!("{{{}}}", many.join(","))).is_err());
        for bad in ["", "{", "{'a':1}", "candidate=1"] {
            assert_eq!(
                validate_metadata(bad).expect_err(bad).code,
                ErrorCode::InvalidMetadata
            );
        }
    }

    #[test]
    fn a_submission_reports_every_problem_in_catalog_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = dir.path().join("notes.wav");
        std::fs::write(&text, "not audio at all").expect("write");
        let problems =
            validate_submission(&text, Some("english"), Some(""), Some("{")).expect_err("bad");
        let got: Vec<_> = problems.iter().map(|p| p.code.clone()).collect();
        assert_eq!(
            got,
            [
                ErrorCode::UnsupportedFormat,
                ErrorCode::InvalidLanguageCode,
                ErrorCode::InvalidExternalId,
                ErrorCode::InvalidMetadata
            ]
        );
        let missing = dir.path().join("nope.wav");
        let p = validate_submission(&missing, None, None, None).expect_err("missing");
        assert_eq!(p[0].code, ErrorCode::MissingAudioFile);
    }
}
