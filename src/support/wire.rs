//! One exchange as a support person reads it: the request (method, full URL, headers with the
//! key masked, the form fields and the audio part described) and the response (status,
//! headers, body). The GUI's request view, `log --json`/"Copy as JSON", curl and HAR all read
//! an exchange through these helpers, so they agree.

use serde_json::{Value, json};

use crate::api::client::{DEFAULT_BASE_URL, Header, SentAudio, SentForm};
use crate::engine::reqlog::Exchange;
use crate::store::RunRecord;

/// The full URL of `ex`: the run's base URL (production when unknown) and the logged path.
pub fn full_url(base_url: Option<&str>, ex: &Exchange) -> String {
    let base = base_url
        .filter(|b| !b.trim().is_empty())
        .unwrap_or(DEFAULT_BASE_URL)
        .trim_end_matches('/');
    if ex.path.starts_with('/') {
        format!("{base}{}", ex.path)
    } else {
        format!("{base}/{}", ex.path)
    }
}

/// The reason phrase of an HTTP status (`Service Unavailable`), empty when unknown.
pub fn status_text(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// `3.4 MB`, `812 KB`, `96 bytes`.
pub fn size_text(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1_000_000.0)
    } else if bytes >= 1_000 {
        format!("{} KB", bytes / 1_000)
    } else {
        format!("{bytes} bytes")
    }
}

/// `3 min 01 s`, `42 s`.
pub fn duration_text(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 60 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

/// The audio part in words: `take.wav · 3.4 MB · audio/wav · 3 min 01 s`.
pub fn audio_text(a: &SentAudio) -> String {
    let mut parts = vec![
        a.file_name.clone(),
        size_text(a.size_bytes),
        a.content_type.clone(),
    ];
    parts.push(
        a.duration_ms
            .map_or("duration not recorded".into(), duration_text),
    );
    parts.join(" · ")
}

/// The form of a submit: as recorded with the exchange, or — for logs written before the
/// form was recorded — rebuilt from the run record (`None` for anything but a submit).
pub fn form_of(ex: &Exchange, run: Option<&RunRecord>) -> Option<SentForm> {
    if !ex.method.eq_ignore_ascii_case("POST") {
        return None;
    }
    if let Some(f) = &ex.form {
        return Some(f.as_ref().clone());
    }
    let run = run?;
    Some(SentForm {
        language: run.language.clone().unwrap_or_else(|| "en".into()),
        external_id: run.external_id.clone(),
        metadata: run.metadata.as_ref().map(Value::to_string),
        audio: SentAudio {
            file_name: run
                .file
                .as_ref()
                .and_then(|f| f.file_name())
                .map_or_else(|| "recording".into(), |n| n.to_string_lossy().into_owned()),
            size_bytes: 0,
            content_type: String::new(),
            duration_ms: None,
        },
    })
}

/// A header's value in a list (case-insensitive name).
pub fn header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// The response's content type: its header, else inferred from the body.
pub fn response_mime(ex: &Exchange) -> String {
    if let Some(ct) = header(&ex.response_headers, "content-type") {
        return ct.to_string();
    }
    let body = ex.body.as_deref().unwrap_or("").trim_start();
    if body.starts_with(['{', '[']) {
        "application/json".into()
    } else if body.starts_with('<') {
        "text/html".into()
    } else {
        "text/plain".into()
    }
}

/// The exchange as one JSON object for "Copy as JSON": everything logged, plus the full URL
/// and the run it belongs to. Holds no key (the log never does).
pub fn exchange_json(ex: &Exchange, run: Option<&RunRecord>) -> Value {
    let mut v = serde_json::to_value(ex).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert(
            "url".into(),
            Value::String(full_url(run.and_then(|r| r.base_url.as_deref()), ex)),
        );
        if let Some(r) = run {
            m.insert(
                "run".into(),
                json!({
                    "localId": r.local_id,
                    "runId": r.run_id,
                    "externalId": r.external_id,
                    "baseUrl": r.base_url,
                }),
            );
        }
        if ex.form.is_none()
            && let Some(f) = form_of(ex, run)
        {
            m.insert(
                "form".into(),
                serde_json::to_value(f).unwrap_or(Value::Null),
            );
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_for_sizes_durations_and_statuses() {
        assert_eq!(size_text(3_400_000), "3.4 MB");
        assert_eq!(size_text(812_345), "812 KB");
        assert_eq!(size_text(96), "96 bytes");
        assert_eq!(duration_text(181_000), "3 min 01 s");
        assert_eq!(duration_text(42_500), "42 s");
        assert_eq!(status_text(503), "Service Unavailable");
        assert_eq!(status_text(799), "");
        let a = SentAudio {
            file_name: "take.wav".into(),
            size_bytes: 2_896_044,
            content_type: "audio/wav".into(),
            duration_ms: Some(181_000),
        };
        assert_eq!(audio_text(&a), "take.wav · 2.9 MB · audio/wav · 3 min 01 s");
    }
}
