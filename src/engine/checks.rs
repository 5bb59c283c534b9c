//! The local checks run before any upload: [`crate::validate`] does the checking (the same
//! limits and codes as the API); this adds what the job needs to submit afterwards (the probed
//! format for the MIME type, the parsed metadata).

use std::path::{Path, PathBuf};

use crate::api::codes::ErrorCode;
use crate::api::model::SubmitFields;
use crate::audio::probe::ProbeInfo;
use crate::validate;

pub use crate::validate::Problem;

/// A submission that passed the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub path: PathBuf,
    /// MIME type of the `audio` part, from the sniffed format.
    pub mime: &'static str,
    pub info: ProbeInfo,
    pub fields: SubmitFields,
}

fn catalog_index(code: &ErrorCode) -> usize {
    ErrorCode::DOCUMENTED
        .iter()
        .position(|c| c == code)
        .unwrap_or(usize::MAX)
}

/// Every check at once, every problem reported (in the API's catalog order). Blocking (reads
/// the file): call it from `spawn_blocking`.
pub fn check_submission(
    path: &Path,
    language: &str,
    external_id: Option<&str>,
    metadata: Option<&str>,
) -> Result<Prepared, Vec<Problem>> {
    let mut problems = Vec::new();
    let info = match validate::check_audio_file(path) {
        Ok(info) => Some(info),
        Err(p) => {
            problems.extend(p);
            None
        }
    };
    if let Err(p) = validate::validate_language(language) {
        problems.push(p);
    }
    if let Some(Err(p)) = external_id.map(validate::validate_external_id) {
        problems.push(p);
    }
    if let Some(Err(p)) = metadata.map(validate::validate_metadata) {
        problems.push(p);
    }
    // validate_metadata accepted it, so it parses; kept as a value and re-serialized compactly.
    let metadata = metadata.and_then(|m| serde_json::from_str(m).ok());
    problems.sort_by_key(|p| catalog_index(&p.code));
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

    #[test]
    fn every_problem_is_reported_in_catalog_order() {
        let problems = check_submission(
            Path::new("/nonexistent/x.wav"),
            "english",
            Some(""),
            Some("{"),
        )
        .expect_err("problems");
        let codes: Vec<_> = problems.iter().map(|p| p.code.clone()).collect();
        assert_eq!(
            codes,
            [
                ErrorCode::MissingAudioFile,
                ErrorCode::InvalidLanguageCode,
                ErrorCode::InvalidExternalId,
                ErrorCode::InvalidMetadata,
            ]
        );
    }

    #[test]
    fn a_good_file_is_prepared_with_its_mime_type() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ok.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 1000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&path, spec).expect("create");
        for i in 0..181_000u32 {
            w.write_sample(((i % 50) as i16 - 25) * 100)
                .expect("sample");
        }
        w.finalize().expect("finalize");
        let p =
            check_submission(&path, "en", Some("cand-1"), Some(r#"{"a":"b"}"#)).expect("passes");
        assert_eq!(p.mime, "audio/wav");
        assert_eq!(p.fields.external_id.as_deref(), Some("cand-1"));
        assert_eq!(p.fields.metadata, Some(serde_json::json!({"a": "b"})));
    }
}
