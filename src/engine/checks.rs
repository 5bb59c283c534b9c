//! The local checks run before any upload, mirroring the API's limits so a bad submission
//! costs no request. (A small local stand-in: `crate::validate` is being written in parallel;
//! when it lands, `check_submission` should delegate to it.)

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::api::codes::ErrorCode;
use crate::api::model::SubmitFields;
use crate::audio::probe::{ProbeError, ProbeInfo, probe_file};

/// The API's minimum duration (3 minutes).
pub const MIN_DURATION: Duration = Duration::from_secs(180);
/// The API's maximum duration (45 minutes).
pub const MAX_DURATION: Duration = Duration::from_secs(45 * 60);
/// The API's size limit (25 MB).
pub const MAX_BYTES: u64 = 25 * 1024 * 1024;
/// externalId length limit.
pub const MAX_EXTERNAL_ID_CHARS: usize = 255;

/// One problem found locally, with the code the API would have returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub code: ErrorCode,
    pub message: String,
}

/// A submission that passed the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub path: PathBuf,
    /// MIME type of the `audio` part, from the sniffed format.
    pub mime: &'static str,
    pub info: ProbeInfo,
    pub fields: SubmitFields,
}

/// Checks a language code (ISO 639-1).
pub fn check_language(language: &str) -> Result<(), Problem> {
    if crate::languages::is_iso639_1(language) {
        Ok(())
    } else {
        Err(Problem {
            code: ErrorCode::InvalidLanguageCode,
            message: format!(
                "{language:?} is not a two-letter ISO 639-1 language code (e.g. en, es, fr)"
            ),
        })
    }
}

/// Checks an externalId: 1–255 characters.
pub fn check_external_id(id: &str) -> Result<(), Problem> {
    let n = id.chars().count();
    if n == 0 || n > MAX_EXTERNAL_ID_CHARS {
        Err(Problem {
            code: ErrorCode::InvalidExternalId,
            message: format!("the external id must be 1–255 characters (it has {n})"),
        })
    } else {
        Ok(())
    }
}

/// Parses metadata text: it must be a JSON object.
pub fn check_metadata(text: &str) -> Result<Value, Problem> {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(Problem {
            code: ErrorCode::InvalidMetadata,
            message: "metadata must be a JSON object, e.g. {\"candidate\":\"c_887\"}".into(),
        }),
        Err(e) => Err(Problem {
            code: ErrorCode::InvalidMetadata,
            message: format!("metadata is not valid JSON: {e}"),
        }),
    }
}

/// Checks what probing found against the API limits.
pub fn check_audio(info: &ProbeInfo) -> Vec<Problem> {
    let mut problems = Vec::new();
    if info.size_bytes > MAX_BYTES {
        problems.push(Problem {
            code: ErrorCode::FileTooLarge,
            message: format!(
                "the file is {:.1} MB; the limit is 25 MB",
                info.size_bytes as f64 / (1024.0 * 1024.0)
            ),
        });
    }
    let secs = info.duration.as_secs_f64();
    if info.duration < MIN_DURATION {
        problems.push(Problem {
            code: ErrorCode::AudioTooShort,
            message: format!("the recording lasts {secs:.0} s; at least 3 minutes are needed"),
        });
    }
    if info.duration > MAX_DURATION {
        problems.push(Problem {
            code: ErrorCode::AudioTooLong,
            message: format!(
                "the recording lasts {:.1} minutes; the maximum is 45",
                secs / 60.0
            ),
        });
    }
    problems
}

fn probe_problem(path: &Path, e: ProbeError) -> Problem {
    match e {
        ProbeError::UnsupportedFormat => Problem {
            code: ErrorCode::UnsupportedFormat,
            message: format!("{}: {e}", path.display()),
        },
        ProbeError::DurationUnavailable { .. } => Problem {
            code: ErrorCode::AudioDurationUnavailable,
            message: format!("{}: {e}", path.display()),
        },
        ProbeError::Io(ref io) if io.kind() == std::io::ErrorKind::NotFound => Problem {
            code: ErrorCode::MissingAudioFile,
            message: format!("{}: no such file", path.display()),
        },
        ProbeError::Io(_) => Problem {
            code: ErrorCode::MissingAudioFile,
            message: format!("{}: {e}", path.display()),
        },
    }
}

/// Every check at once; all problems are reported, not just the first. Blocking (reads the
/// file): call from `spawn_blocking`.
pub fn check_submission(
    path: &Path,
    language: &str,
    external_id: Option<&str>,
    metadata: Option<&str>,
) -> Result<Prepared, Vec<Problem>> {
    let mut problems = Vec::new();
    if let Err(p) = check_language(language) {
        problems.push(p);
    }
    if let Some(Err(p)) = external_id.map(check_external_id) {
        problems.push(p);
    }
    let metadata = match metadata.map(check_metadata) {
        Some(Ok(v)) => Some(v),
        Some(Err(p)) => {
            problems.push(p);
            None
        }
        None => None,
    };
    let info = match probe_file(path) {
        Ok(info) => {
            problems.extend(check_audio(&info));
            Some(info)
        }
        Err(e) => {
            problems.push(probe_problem(path, e));
            None
        }
    };
    match info {
        Some(info) if problems.is_empty() => Ok(Prepared {
            path: path.to_path_buf(),
            mime: info.format.mime(),
            info,
            fields: SubmitFields {
                language: language.to_string(),
                external_id: external_id.map(str::to_string),
                metadata,
            },
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::probe::AudioFormat;

    fn info(secs: u64, bytes: u64) -> ProbeInfo {
        ProbeInfo {
            format: AudioFormat::Wav,
            duration: Duration::from_secs(secs),
            sample_rate: Some(16000),
            channels: Some(1),
            size_bytes: bytes,
        }
    }

    #[test]
    fn limits_mirror_the_api() {
        assert!(check_audio(&info(180, 1000)).is_empty());
        assert!(check_audio(&info(2700, 1000)).is_empty());
        assert_eq!(
            check_audio(&info(10, 1000))[0].code,
            ErrorCode::AudioTooShort
        );
        assert_eq!(
            check_audio(&info(2701, 1000))[0].code,
            ErrorCode::AudioTooLong
        );
        assert_eq!(
            check_audio(&info(600, MAX_BYTES + 1))[0].code,
            ErrorCode::FileTooLarge
        );
        assert!(check_language("en").is_ok());
        assert_eq!(
            check_language("english").expect_err("bad").code,
            ErrorCode::InvalidLanguageCode
        );
        assert!(check_external_id("x").is_ok());
        assert!(check_external_id("").is_err());
        assert!(check_external_id(&"a".repeat(256)).is_err());
        assert!(
            check_external_id(&"é".repeat(255)).is_ok(),
            "characters, not bytes"
        );
        assert!(check_metadata("{\"a\":\"b\"}").is_ok());
        assert_eq!(
            check_metadata("{").expect_err("bad").code,
            ErrorCode::InvalidMetadata
        );
        assert!(check_metadata("[1]").is_err());
    }

    #[test]
    fn a_missing_file_and_a_bad_language_are_both_reported() {
        let problems = check_submission(Path::new("/nonexistent/x.wav"), "xx1", None, None)
            .expect_err("problems");
        let codes: Vec<_> = problems.iter().map(|p| p.code.clone()).collect();
        assert!(codes.contains(&ErrorCode::InvalidLanguageCode));
        assert!(codes.contains(&ErrorCode::MissingAudioFile));
    }
}
