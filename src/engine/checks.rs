//! The local checks run before any upload: [`crate::validate`] does the checking (the same
//! limits and codes as the API) and [`crate::audio::prepare`] converts a file that cannot be
//! uploaded as it is (over 25 MB, or a format the API does not take) — the same preparation
//! the desktop app runs on a take, so a file the app can score, the CLI can score. This adds
//! what the job needs to submit afterwards (the probed format for the MIME type, the parsed
//! metadata, what was converted).

use std::path::{Path, PathBuf};

use crate::api::codes::ErrorCode;
use crate::api::model::SubmitFields;
use crate::audio::prepare::{self, PreparedAudio};
use crate::audio::probe::ProbeInfo;
use crate::validate;

pub use crate::validate::Problem;

/// A submission that passed the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The file to upload: the person's own, or the conversion in the work folder.
    pub path: PathBuf,
    /// MIME type of the `audio` part, from the sniffed format.
    pub mime: &'static str,
    /// What probing the uploaded file found.
    pub info: ProbeInfo,
    pub fields: SubmitFields,
    /// Set when the file could not be uploaded as it is and was converted: the format, size
    /// and duration of what is uploaded instead (for "Converted to FLAC 16 kHz mono
    /// (18.2 MB) for upload", see [`PreparedAudio::description`]).
    pub conversion: Option<PreparedAudio>,
}

impl Prepared {
    /// Removes the converted file, if one was made (never the person's own file). Call it
    /// when the job no longer needs to upload.
    pub fn discard_conversion(&self) {
        if let Some(c) = &self.conversion {
            prepare::discard(c);
        }
    }
}

/// Problems a conversion for upload can fix: the file is too big or not a format the API
/// takes, but is audio we can decode.
fn conversion_can_fix(problems: &[Problem]) -> bool {
    !problems.is_empty()
        && problems.iter().all(|p| {
            matches!(
                p.code,
                ErrorCode::FileTooLarge | ErrorCode::UnsupportedFormat
            )
        })
}

/// The audio part of the checks: the file as it is, or else (with a `work_dir`) its
/// conversion for upload, itself checked.
fn check_audio(
    path: &Path,
    work_dir: Option<&Path>,
) -> Result<(PathBuf, ProbeInfo, Option<PreparedAudio>), Vec<Problem>> {
    let problems = match validate::check_audio_file(path) {
        Ok(info) => return Ok((path.to_path_buf(), info, None)),
        Err(problems) => problems,
    };
    let Some(work_dir) = work_dir.filter(|_| conversion_can_fix(&problems)) else {
        return Err(problems);
    };
    let converted = match prepare::for_upload(path, work_dir) {
        Ok(p) if p.converted => p,
        Ok(_) => return Err(problems),
        Err(e) => {
            // Not audio we can decode either: the first problem stands.
            tracing::info!("{} cannot be converted for upload: {e}", path.display());
            return Err(problems);
        }
    };
    match validate::check_audio_file(&converted.path) {
        Ok(info) => Ok((converted.path.clone(), info, Some(converted))),
        Err(after) => {
            prepare::discard(&converted);
            Err(after)
        }
    }
}

/// Every check at once, every problem reported (in the API's catalog order). With a
/// `work_dir`, a file that cannot be uploaded as it is (too large, or a format the API does
/// not take) is converted into that folder first, as the app does. Blocking (reads and may
/// encode the file): call it from `spawn_blocking`.
pub fn check_submission(
    path: &Path,
    language: &str,
    external_id: Option<&str>,
    metadata: Option<&str>,
    work_dir: Option<&Path>,
) -> Result<Prepared, Vec<Problem>> {
    let mut problems = validate::validate_fields(Some(language), external_id, metadata);
    if !problems.is_empty() {
        // Nothing will be sent: report the audio's own problems without converting it, and
        // leave out those the conversion will fix once the fields are right.
        if let Err(audio) = validate::check_audio_file(path) {
            let fixed_later =
                work_dir.is_some() && conversion_can_fix(&audio) && prepare::can_convert(path);
            if !fixed_later {
                problems.extend(audio);
            }
        }
        validate::in_catalog_order(&mut problems);
        return Err(problems);
    }
    let (upload, info, conversion) = check_audio(path, work_dir)?;
    Ok(Prepared {
        path: upload,
        mime: info.format.mime(),
        info,
        fields: SubmitFields {
            language: language.to_string(),
            external_id: external_id.map(str::to_string),
            // validate_metadata accepted it, so it parses; kept as a value and re-serialized
            // compactly.
            metadata: metadata.and_then(|m| serde_json::from_str(m).ok()),
        },
        conversion,
    })
}

/// The checks of [`check_submission`] without converting anything: `Ok(())` when the file
/// can be submitted as it is, or (`converts`: the job has a work folder) once it is converted
/// for upload at submit. A batch runs this on every row before anything is sent: converting
/// every file up front would keep all the conversions on disk at once.
pub fn check_without_converting(
    path: &Path,
    language: &str,
    external_id: Option<&str>,
    metadata: Option<&str>,
    converts: bool,
) -> Result<(), Vec<Problem>> {
    let mut problems = validate::validate_fields(Some(language), external_id, metadata);
    if let Err(audio) = validate::check_audio_file(path) {
        let fixed_later = converts && conversion_can_fix(&audio) && prepare::can_convert(path);
        if !fixed_later {
            problems.extend(audio);
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    validate::in_catalog_order(&mut problems);
    Err(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_wav(path: &Path, rate: u32, seconds: u32) {
        let samples = (0..rate * seconds).map(|i| ((i % 50) as i16 - 25) * 100);
        crate::audio::wav::testing::write_wav(path, rate, 1, samples);
    }

    #[test]
    fn every_problem_is_reported_in_catalog_order() {
        let problems = check_submission(
            Path::new("/nonexistent/x.wav"),
            "english",
            Some(""),
            Some("{"),
            None,
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
        write_wav(&path, 1000, 181);
        let work = dir.path().join("work");
        let p = check_submission(
            &path,
            "en",
            Some("cand-1"),
            Some(r#"{"a":"b"}"#),
            Some(&work),
        )
        .expect("passes");
        assert_eq!(p.mime, "audio/wav");
        assert_eq!(p.path, path, "sent as it is");
        assert_eq!(p.conversion, None);
        assert!(!work.exists(), "nothing written when nothing is converted");
        assert_eq!(p.fields.external_id.as_deref(), Some("cand-1"));
        assert_eq!(p.fields.metadata, Some(serde_json::json!({"a": "b"})));
    }

    #[test]
    fn a_file_too_large_as_it_is_is_converted_into_the_work_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.wav");
        // 3:05 at 96 kHz mono: 35.5 MB, over 25 MB; 5.9 MB as 16 kHz WAV.
        write_wav(&path, 96_000, 185);
        let original = std::fs::read(&path).expect("read");
        let work = dir.path().join("work");
        let without = check_submission(&path, "en", None, None, None).expect_err("too large");
        assert_eq!(without[0].code, ErrorCode::FileTooLarge);
        let p = check_submission(&path, "en", None, None, Some(&work)).expect("converted");
        let c = p.conversion.clone().expect("a conversion");
        assert!(p.path.starts_with(&work), "{}", p.path.display());
        assert_eq!(c.path, p.path);
        assert_eq!(
            c.description(),
            format!("WAV 16 kHz mono ({:.1} MB)", c.size_bytes as f64 / 1e6)
        );
        assert_eq!(p.info.duration, std::time::Duration::from_secs(185));
        assert_eq!(
            std::fs::read(&path).expect("read"),
            original,
            "original untouched"
        );
        p.discard_conversion();
        assert!(!p.path.exists());
    }

    #[test]
    fn a_text_file_with_a_bad_language_reports_both() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notes.wav");
        std::fs::write(&path, "not audio").expect("write");
        let work = dir.path().join("work");
        let problems =
            check_submission(&path, "english", None, None, Some(&work)).expect_err("bad");
        let codes: Vec<_> = problems.iter().map(|p| p.code.clone()).collect();
        assert_eq!(
            codes,
            [ErrorCode::UnsupportedFormat, ErrorCode::InvalidLanguageCode]
        );
    }

    #[test]
    fn a_bad_field_reports_and_leaves_no_conversion_behind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.wav");
        write_wav(&path, 96_000, 185);
        let work = dir.path().join("work");
        let problems =
            check_submission(&path, "english", None, None, Some(&work)).expect_err("bad language");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, ErrorCode::InvalidLanguageCode);
        let left = std::fs::read_dir(&work).map(|d| d.count()).unwrap_or(0);
        assert_eq!(left, 0, "the conversion was removed");
    }
}
