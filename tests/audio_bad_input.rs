//! Bad input: every kind gets a clear message naming the problem, exit code 2 from the CLI,
//! the same API code from local validation, and nothing crashes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use speech_scorer::api::codes::ErrorCode;
use speech_scorer::audio::wav::header;
use speech_scorer::validate::{check_audio_file, validate_submission};

struct Case {
    name: &'static str,
    path: PathBuf,
    /// What the message must mention.
    says: &'static str,
    code: ErrorCode,
}

fn cases(dir: &Path) -> Vec<Case> {
    let mut v = Vec::new();
    let empty = dir.join("empty.wav");
    std::fs::write(&empty, b"").expect("write");
    v.push(Case {
        name: "empty file",
        path: empty,
        says: "empty",
        code: ErrorCode::UnsupportedFormat,
    });

    let good = dir.join("good.wav");
    common::write_speechlike_wav(&good, 1.0, 8000);
    let truncated = dir.join("truncated.wav");
    let bytes = std::fs::read(&good).expect("read");
    std::fs::write(&truncated, &bytes[..30]).expect("write");
    v.push(Case {
        name: "truncated WAV",
        path: truncated,
        says: "duration",
        code: ErrorCode::AudioDurationUnavailable,
    });

    let text = dir.join("notes.wav");
    std::fs::write(&text, "Dear team, here are my notes for the interview.\n").expect("write");
    v.push(Case {
        name: "text named .wav",
        path: text,
        says: "not an MP3, WAV, M4A, WebM, OGG or FLAC",
        code: ErrorCode::UnsupportedFormat,
    });

    // A valid 0.1 s WAV with one header field broken.
    let broken = |name: &str, field: std::ops::Range<usize>, value: &[u8]| {
        let mut bytes = header(16_000, 1, 3200).to_vec();
        bytes[field].copy_from_slice(value);
        bytes.extend(vec![0u8; 3200]);
        let p = dir.join(name);
        std::fs::write(&p, &bytes).expect("write");
        p
    };
    v.push(Case {
        name: "0 channels",
        path: broken("zero-channels.wav", 22..24, &0u16.to_le_bytes()),
        says: "channel",
        code: ErrorCode::AudioDurationUnavailable,
    });
    v.push(Case {
        name: "0 Hz",
        path: broken("zero-hz.wav", 24..28, &0u32.to_le_bytes()),
        says: "0 Hz",
        code: ErrorCode::AudioDurationUnavailable,
    });

    // 2 GB, sparse: costs no disk. Zeros are not audio.
    let big = dir.join("huge.wav");
    let f = std::fs::File::create(&big).expect("create");
    f.set_len(2 * 1024 * 1024 * 1024).expect("sparse 2 GB");
    v.push(Case {
        name: "2 GB of zeros",
        path: big,
        says: "not an MP3, WAV, M4A, WebM, OGG or FLAC",
        code: ErrorCode::UnsupportedFormat,
    });

    v.push(Case {
        name: "missing path",
        path: dir.join("does-not-exist.wav"),
        says: "No such file",
        code: ErrorCode::MissingAudioFile,
    });
    let folder = dir.join("a-folder.wav");
    std::fs::create_dir(&folder).expect("mkdir");
    v.push(Case {
        name: "a folder",
        path: folder,
        says: "folder",
        code: ErrorCode::MissingAudioFile,
    });
    v
}

#[test]
fn convert_refuses_each_bad_input_with_exit_2_and_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    for case in cases(dir.path()) {
        let out = dir.path().join("out.wav");
        let o = Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
            .arg("convert")
            .arg(&case.path)
            .arg(&out)
            .output()
            .expect("run convert");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{}: {stderr}", case.name);
        assert!(
            stderr.contains(case.says) && stderr.starts_with("error: "),
            "{}: message should mention {:?}: {stderr}",
            case.name,
            case.says
        );
        assert!(!stderr.contains("panicked"), "{}: {stderr}", case.name);
        assert!(!out.exists(), "{}: no output left behind", case.name);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".partial"))
            .collect();
        assert!(leftovers.is_empty(), "{}: temp files left", case.name);
    }
}

#[test]
fn validation_gives_the_code_the_api_would() {
    let dir = tempfile::tempdir().expect("tempdir");
    for case in cases(dir.path()) {
        let problems = check_audio_file(&case.path).expect_err(case.name);
        assert_eq!(problems[0].code, case.code, "{}: {problems:?}", case.name);
        assert!(!problems[0].message.is_empty());
    }
}

#[test]
fn a_2_gb_wav_is_too_large_and_too_long_without_being_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("huge-real.wav");
    let data: u64 = 2 * 1024 * 1024 * 1024 - 44;
    std::fs::write(&p, header(16_000, 1, data)).expect("header");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .and_then(|f| f.set_len(data + 44))
        .expect("sparse");
    let started = std::time::Instant::now();
    let problems = validate_submission(&p, Some("en"), None, None).expect_err("too big");
    let codes: Vec<_> = problems.iter().map(|p| p.code.clone()).collect();
    assert_eq!(codes, [ErrorCode::FileTooLarge, ErrorCode::AudioTooLong]);
    assert!(
        started.elapsed().as_secs() < 2,
        "validation must not read the file"
    );
    // Preparing it for upload does not try to encode 18 hours of audio either.
    let prepared = speech_scorer::audio::prepare::for_upload(&p, dir.path()).expect("prepare");
    assert!(!prepared.converted);
    assert!(started.elapsed().as_secs() < 3);
}

/// A 16 kHz mono WAV whose header claims `declared_secs` but which holds `present_secs`.
fn cut_short(dir: &Path, declared_secs: u32, present_secs: u32) -> PathBuf {
    let p = dir.join(format!("cut-{declared_secs}-{present_secs}.wav"));
    let mut bytes = header(16_000, 1, u64::from(declared_secs) * 32_000).to_vec();
    bytes.extend(
        (0..present_secs * 16_000).flat_map(|i| (((i % 80) as i16 - 40) * 200).to_le_bytes()),
    );
    std::fs::write(&p, bytes).expect("write");
    p
}

#[test]
fn a_wav_cut_short_is_measured_by_what_it_holds_and_never_uploaded() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Passed before: the header says 5:00, within 3–45 minutes.
    for (declared, present) in [(300, 10), (300, 200)] {
        let p = cut_short(dir.path(), declared, present);
        let problems = check_audio_file(&p).expect_err("cut short");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].code, ErrorCode::AudioDurationUnavailable);
        let m = &problems[0].message;
        let held = format!("{}:{:02}", present / 60, present % 60);
        assert!(
            m.contains("5:00") && m.contains(&held) && m.contains("cut short"),
            "{m}"
        );
        // The engine's checks refuse it too, even allowed to convert: a fragment is not
        // uploaded (and paid for) as the recording without the person deciding.
        let work = dir.path().join("work");
        let refused =
            speech_scorer::engine::checks::check_submission(&p, "en", None, None, Some(&work))
                .expect_err("refused");
        assert_eq!(refused[0].code, ErrorCode::AudioDurationUnavailable);
    }
}

#[test]
fn convert_refuses_a_wav_cut_short_and_converts_what_is_there_with_partial() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = cut_short(dir.path(), 300, 10);
    let out = dir.path().join("out.wav");
    let convert = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
            .arg("convert")
            .args(extra)
            .arg(&p)
            .arg(&out)
            .output()
            .expect("run convert")
    };
    let o = convert(&[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the header says 5:00 of audio but the file holds only 0:10"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--partial"),
        "says how to convert what is there: {stderr}"
    );
    assert!(!out.exists());

    let o = convert(&["--partial", "--json"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("shorter than its header says (0:10 of 5:00)"),
        "{stderr}"
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["declared_duration"]["secs"], 300, "{v}");
    let r = hound::WavReader::open(&out).expect("a valid WAV");
    assert_eq!(r.duration(), 160_000, "exactly the 10 s that were there");
}
