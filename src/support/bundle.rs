//! Support bundles: one zip per run with everything support needs to see and replay it —
//! a manifest (app version, OS, audio device and format, settings without the key), the run
//! record, the request log, every response body, the replay scenario, the requests as curl
//! commands, and the recording only when the person asked for it. Every text part is passed
//! through [`super::redact`] so the key cannot ride along even if someone pasted it somewhere.

use std::io::{Read as _, Write as _};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{SupportError, redact};
use crate::store::{RunRecord, Settings};

/// Bumped when the layout changes in a way old readers cannot follow.
pub const BUNDLE_FORMAT: u32 = 1;

/// A bundled recording is never larger than what the API accepts.
pub const MAX_RECORDING_BYTES: u64 = crate::api::limits::MAX_FILE_BYTES;
/// No other part of a bundle inflates past this (a record with hundreds of capped bodies
/// stays far below it).
pub const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;
/// All parts of a bundle together never inflate past this.
pub const MAX_BUNDLE_BYTES: u64 = MAX_RECORDING_BYTES + 2 * MAX_PART_BYTES;

/// Names of the parts inside the zip.
pub mod parts {
    pub const MANIFEST: &str = "manifest.json";
    pub const RUN: &str = "run.json";
    pub const REQUESTS: &str = "requests.json";
    pub const SCENARIO: &str = "scenario.toml";
    pub const CURL: &str = "curl.txt";
    pub const RESPONSES_DIR: &str = "responses/";
    pub const RECORDING_DIR: &str = "recording/";
}

/// The audio that was submitted, as far as it is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AudioInfo {
    /// The file name only (no directories: they may name the person).
    pub file_name: Option<String>,
    /// `WAV`, `MP3`, ...
    pub format: Option<String>,
    pub duration_ms: Option<u64>,
    pub sample_rate: Option<u32>,
    pub channels: Option<u16>,
    pub size_bytes: Option<u64>,
    /// The input device it was recorded from, when known.
    pub device: Option<String>,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub bundle_format: u32,
    pub app_version: String,
    /// `linux`, `windows`, `macos` and the CPU architecture.
    pub os: String,
    pub arch: String,
    /// A longer OS description when one is readable (e.g. `/etc/os-release`).
    pub os_description: Option<String>,
    pub created: DateTime<Utc>,
    pub run_id: Option<String>,
    pub local_id: String,
    pub external_id: Option<String>,
    /// The outcome word (`failed`, `success`, ...), when the run ended.
    pub outcome: Option<String>,
    pub simulated: bool,
    pub audio: AudioInfo,
    /// The settings as saved (they never hold the key: it lives apart).
    pub settings: Value,
    /// Whether an API key was configured (never the key itself).
    pub key_configured: bool,
    /// How many exchanges the request log holds.
    pub exchanges: usize,
    /// `recording/<name>` is in the zip.
    pub includes_recording: bool,
}

/// What to put in a bundle besides the run.
#[derive(Debug, Clone, Default)]
pub struct BundleOptions {
    /// Add the recording (only when the person ticked "include the recording").
    pub include_recording: bool,
    /// The input device used, when the front end knows it.
    pub audio_device: Option<String>,
    /// The configured key, used only to scrub it from every part should it appear.
    pub secret: Option<String>,
}

/// A bundle read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    pub manifest: Manifest,
    pub record: RunRecord,
    /// `(file name, bytes)` of the recording, when included.
    pub recording: Option<(String, Vec<u8>)>,
}

fn os_description() -> Option<String> {
    let text = crate::capped::read_file(Path::new("/etc/os-release"), 64 * 1024).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
}

fn audio_info(record: &RunRecord, device: Option<String>) -> AudioInfo {
    let probed = record
        .file
        .as_deref()
        .and_then(|f| crate::audio::probe::probe_file(f).ok());
    AudioInfo {
        file_name: record
            .file
            .as_ref()
            .and_then(|f| f.file_name())
            .map(|n| n.to_string_lossy().into_owned()),
        format: probed.as_ref().map(|p| p.format.label().to_string()),
        duration_ms: probed.as_ref().map(|p| p.duration.as_millis() as u64),
        sample_rate: probed.as_ref().and_then(|p| p.sample_rate),
        channels: probed.as_ref().and_then(|p| p.channels),
        size_bytes: probed.as_ref().map(|p| p.size_bytes),
        device,
    }
}

/// The record as it goes into a bundle: the file reduced to its name.
fn shareable_record(record: &RunRecord) -> RunRecord {
    let mut r = record.clone();
    r.file = record
        .file
        .as_ref()
        .and_then(|f| f.file_name())
        .map(std::path::PathBuf::from);
    r
}

fn response_name(i: usize, ex: &crate::engine::reqlog::Exchange) -> String {
    let step = serde_json::to_value(ex.step)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "exchange".into());
    let status = ex.status.map_or("no-reply".to_string(), |s| s.to_string());
    let json = ex
        .body
        .as_deref()
        .is_some_and(|b| serde_json::from_str::<Value>(b).is_ok());
    format!(
        "{}{:03}-{step}-{status}.{}",
        parts::RESPONSES_DIR,
        i + 1,
        if json { "json" } else { "txt" }
    )
}

/// Writes the bundle for `record` to `out` and returns its manifest.
pub fn write_bundle(
    record: &RunRecord,
    settings: &Settings,
    opts: &BundleOptions,
    out: &Path,
) -> Result<Manifest, SupportError> {
    let secret = opts.secret.as_deref();
    let recording = match (&record.file, opts.include_recording) {
        (Some(path), true) => Some(recording_as_uploaded(path)?),
        (None, true) => {
            return Err(SupportError::BadBundle(
                "the run has no recording on this machine to include".into(),
            ));
        }
        _ => None,
    };
    let manifest = Manifest {
        bundle_format: BUNDLE_FORMAT,
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        os: std::env::consts::OS.to_string(),
        arch: std::env::consts::ARCH.to_string(),
        os_description: os_description(),
        created: Utc::now(),
        run_id: record.run_id.clone(),
        local_id: record.local_id.clone(),
        external_id: record.external_id.clone(),
        outcome: record.outcome.as_ref().map(|o| o.kind.as_str().to_string()),
        simulated: record.simulated,
        audio: audio_info(record, opts.audio_device.clone()),
        settings: serde_json::to_value(settings).unwrap_or(Value::Null),
        key_configured: secret.is_some(),
        exchanges: record.exchanges.len(),
        includes_recording: recording.is_some(),
    };

    let json = |v: &dyn erased::Ser| -> String { redact(&v.pretty(), secret) };
    let mut texts: Vec<(String, String)> = vec![
        (parts::MANIFEST.into(), json(&manifest)),
        (parts::RUN.into(), json(&shareable_record(record))),
        (parts::REQUESTS.into(), json(&record.exchanges)),
    ];
    let scenario = super::replay::scenario_for_record(record);
    match scenario.to_toml_string() {
        Ok(t) => texts.push((parts::SCENARIO.into(), redact(&t, secret))),
        Err(e) => tracing::warn!("the replay scenario could not be written: {e}"),
    }
    let curl: Vec<String> = record
        .exchanges
        .iter()
        .enumerate()
        .map(|(i, ex)| {
            format!(
                "# {} {} {} → {}\n{}\n",
                i + 1,
                ex.at.to_rfc3339(),
                ex.method,
                ex.status.map_or("no reply".into(), |s| s.to_string()),
                super::curl::to_curl_with(ex, record.base_url.as_deref(), Some(record))
            )
        })
        .collect();
    texts.push((parts::CURL.into(), redact(&curl.join("\n"), secret)));
    for (i, ex) in record.exchanges.iter().enumerate() {
        if let Some(body) = &ex.body {
            texts.push((response_name(i, ex), redact(body, secret)));
        }
    }

    // Owner-only, like history: it holds a candidate's results.
    let file = create_private(out)?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o600);
    let zerr = |e: zip::result::ZipError| SupportError::BadBundle(e.to_string());
    for (name, text) in &texts {
        zip.start_file(name.as_str(), options).map_err(zerr)?;
        zip.write_all(text.as_bytes())
            .map_err(|e| SupportError::io(out, e))?;
    }
    if let Some((name, bytes)) = &recording {
        zip.start_file(format!("{}{name}", parts::RECORDING_DIR), options)
            .map_err(zerr)?;
        zip.write_all(bytes).map_err(|e| SupportError::io(out, e))?;
    }
    zip.finish().map_err(zerr)?;
    Ok(manifest)
}

/// Creates (or truncates) `path` owner-only (0600), also when it already existed.
pub fn create_private(path: &Path) -> Result<std::fs::File, SupportError> {
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        open.mode(0o600);
    }
    let file = open.open(path).map_err(|e| SupportError::io(path, e))?;
    #[cfg(unix)]
    {
        // An existing file keeps its mode on open: make it owner-only too.
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| SupportError::io(path, e))?;
    }
    Ok(file)
}

/// Writes `bytes` to a new owner-only file at `path` (HAR exports hold candidate data too).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), SupportError> {
    let mut f = create_private(path)?;
    f.write_all(bytes).map_err(|e| SupportError::io(path, e))?;
    f.sync_all().map_err(|e| SupportError::io(path, e))
}

/// Serialization behind a trait object, so the part list above stays one expression each.
mod erased {
    pub trait Ser {
        fn pretty(&self) -> String;
    }
    impl<T: serde::Serialize> Ser for T {
        fn pretty(&self) -> String {
            serde_json::to_string_pretty(self).unwrap_or_default()
        }
    }
}

/// The run's recording as the app uploads it: the file itself when the API takes it as it
/// is, else the file `audio::prepare` converts it to (a long take's WAV is over 25 MB; the
/// history keeps the person's file, not the upload, which goes with its take), made in a
/// scratch folder that is removed again. Returns the name and the bytes for the bundle.
fn recording_as_uploaded(path: &Path) -> Result<(String, Vec<u8>), SupportError> {
    let name_of = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "recording".into())
    };
    let scratch = std::env::temp_dir().join(format!(
        "speech-scorer-bundle-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let read = match crate::audio::prepare::for_upload(path, &scratch) {
        Ok(prepared) => {
            let bytes = read_recording(&prepared.path);
            crate::audio::prepare::discard(&prepared);
            bytes.map(|b| (name_of(&prepared.path), b))
        }
        // Not audio it can read (or not there): the file as it is, for support to look at
        // (a missing file says so here).
        Err(e) => {
            tracing::debug!("bundling {} as it is: {e}", path.display());
            read_recording(path).map(|b| (name_of(path), b))
        }
    };
    if let Err(e) = std::fs::remove_dir_all(&scratch)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("could not remove {}: {e}", scratch.display());
    }
    read
}

/// Reads the recording to bundle, refusing one larger than the API would accept.
fn read_recording(path: &Path) -> Result<Vec<u8>, SupportError> {
    let file = std::fs::File::open(path).map_err(|e| SupportError::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_RECORDING_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| SupportError::io(path, e))?;
    if bytes.len() as u64 > MAX_RECORDING_BYTES {
        return Err(SupportError::BadBundle(format!(
            "the recording is larger than {} MB, the most the API accepts; bundle it without the recording",
            MAX_RECORDING_BYTES / (1024 * 1024)
        )));
    }
    Ok(bytes)
}

/// The most a part may inflate to.
fn part_cap(name: &str) -> u64 {
    if name.starts_with(parts::RECORDING_DIR) {
        MAX_RECORDING_BYTES
    } else {
        MAX_PART_BYTES
    }
}

/// Inflates one entry, never past `cap` bytes whatever its header claims (a zip bomb stops
/// at the cap with a clear refusal).
fn inflate_capped(
    mut f: impl std::io::Read,
    name: &str,
    cap: u64,
) -> Result<Vec<u8>, SupportError> {
    let mut bytes = Vec::new();
    (&mut f)
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| SupportError::BadBundle(format!("{name}: {e}")))?;
    if bytes.len() as u64 > cap {
        return Err(SupportError::BadBundle(format!(
            "{name} inflates to more than {} MB; this is not a bundle the app wrote",
            cap / 1_000_000
        )));
    }
    Ok(bytes)
}

fn read_part(
    zip: &mut zip::ZipArchive<std::fs::File>,
    name: &str,
) -> Result<Option<Vec<u8>>, SupportError> {
    let f = match zip.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(SupportError::BadBundle(e.to_string())),
    };
    let cap = part_cap(name);
    if f.size() > cap {
        return Err(SupportError::BadBundle(format!(
            "{name} says it inflates to {} bytes, more than the {} MB a part may have",
            f.size(),
            cap / 1_000_000
        )));
    }
    inflate_capped(f, name, cap).map(Some)
}

/// Reads a bundle written by [`write_bundle`].
pub fn read_bundle(path: &Path) -> Result<Bundle, SupportError> {
    let file = std::fs::File::open(path).map_err(|e| SupportError::io(path, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| SupportError::BadBundle(e.to_string()))?;
    let need = |zip: &mut zip::ZipArchive<std::fs::File>, name: &str| {
        read_part(zip, name)?.ok_or_else(|| SupportError::BadBundle(format!("{name} is missing")))
    };
    let manifest: Manifest = serde_json::from_slice(&need(&mut zip, parts::MANIFEST)?)
        .map_err(|e| SupportError::BadBundle(format!("{}: {e}", parts::MANIFEST)))?;
    let record: RunRecord = serde_json::from_slice(&need(&mut zip, parts::RUN)?)
        .map_err(|e| SupportError::BadBundle(format!("{}: {e}", parts::RUN)))?;
    let recording_name = (0..zip.len()).find_map(|i| {
        let name = zip.name_for_index(i)?;
        name.strip_prefix(parts::RECORDING_DIR)
            .filter(|n| !n.is_empty())
            .map(|n| (name.to_string(), n.to_string()))
    });
    let recording = match recording_name {
        Some((full, short)) => read_part(&mut zip, &full)?.map(|b| (short, b)),
        None => None,
    };
    Ok(Bundle {
        manifest,
        record,
        recording,
    })
}

/// Every part of a bundle as `(name, bytes)`, for inspection (and the no-key test).
pub fn unpack_all(path: &Path) -> Result<Vec<(String, Vec<u8>)>, SupportError> {
    let file = std::fs::File::open(path).map_err(|e| SupportError::io(path, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| SupportError::BadBundle(e.to_string()))?;
    let mut out = Vec::new();
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let f = zip
            .by_index(i)
            .map_err(|e| SupportError::BadBundle(e.to_string()))?;
        let name = f.name().to_string();
        let bytes = inflate_capped(f, &name, part_cap(&name))?;
        total += bytes.len() as u64;
        if total > MAX_BUNDLE_BYTES {
            return Err(SupportError::BadBundle(format!(
                "the bundle inflates to more than {} MB in all",
                MAX_BUNDLE_BYTES / 1_000_000
            )));
        }
        out.push((name, bytes));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::wav::testing::{sine, write_wav};

    #[test]
    fn writes_and_reads_back_without_the_recording_unless_asked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let audio = dir.path().join("take.wav");
        std::fs::write(&audio, b"RIFF....WAVE").expect("write");
        let mut r = RunRecord::new(Utc::now());
        r.run_id = Some("req_1".into());
        r.file = Some(audio.clone());
        r.metadata = Some(serde_json::json!({"oops": "zh_live_SECRET_9999"}));
        let opts = BundleOptions {
            include_recording: false,
            audio_device: Some("USB mic".into()),
            secret: Some("zh_live_SECRET_9999".into()),
        };
        let out = dir.path().join("b.zip");
        let m = write_bundle(&r, &Settings::default(), &opts, &out).expect("write");
        assert!(!m.includes_recording);
        assert!(m.key_configured);
        let b = read_bundle(&out).expect("read");
        assert_eq!(b.manifest, m);
        assert_eq!(b.manifest.audio.device.as_deref(), Some("USB mic"));
        assert_eq!(b.record.file.as_deref(), Some(Path::new("take.wav")));
        assert!(b.recording.is_none());
        assert_eq!(
            b.record.metadata,
            Some(serde_json::json!({"oops": "$ZENHIRE_API_KEY"}))
        );
        for (name, bytes) in unpack_all(&out).expect("unpack") {
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains("SECRET_9999"), "{name} holds the key");
        }

        let opts = BundleOptions {
            include_recording: true,
            ..opts
        };
        write_bundle(&r, &Settings::default(), &opts, &out).expect("write");
        let b = read_bundle(&out).expect("read");
        assert_eq!(
            b.recording,
            Some(("take.wav".into(), b"RIFF....WAVE".to_vec()))
        );
    }

    #[test]
    fn a_recording_too_large_to_upload_is_bundled_as_the_app_uploads_it() {
        // 48 kHz stereo, 140 s: 27 MB, over the API's 25 MB, so the app converts it for upload.
        let dir = tempfile::tempdir().expect("tempdir");
        let audio = dir.path().join("long take.wav");
        let tone = (0..48_000u32 * 140).flat_map(|i| [sine(i, 48_000, 440.0, 0.25); 2]);
        write_wav(&audio, 48_000, 2, tone);
        assert!(std::fs::metadata(&audio).expect("size").len() > MAX_RECORDING_BYTES);
        let mut r = RunRecord::new(Utc::now());
        r.file = Some(audio.clone());
        let opts = BundleOptions {
            include_recording: true,
            audio_device: None,
            secret: None,
        };
        let out = dir.path().join("b.zip");
        write_bundle(&r, &Settings::default(), &opts, &out).expect("write");
        let (name, bytes) = read_bundle(&out)
            .expect("read")
            .recording
            .expect("the recording is in the bundle");
        assert!(
            name.starts_with("long take") && name.contains(".upload."),
            "{name}"
        );
        assert!(bytes.len() as u64 <= MAX_RECORDING_BYTES);
        let back = dir.path().join(&name);
        std::fs::write(&back, &bytes).expect("write");
        let info = crate::audio::probe::probe_file(&back).expect("the bundled file is audio");
        assert!(
            (info.duration.as_secs_f64() - 140.0).abs() < 0.1,
            "{:?}",
            info.duration
        );
        assert!(audio.exists(), "the person's file is left alone");
    }

    #[test]
    fn junk_is_not_a_bundle() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.zip");
        std::fs::write(&p, b"not a zip").expect("write");
        assert!(matches!(read_bundle(&p), Err(SupportError::BadBundle(_))));
    }
}
