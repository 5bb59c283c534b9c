//! "Copy as curl": any logged request as a shell command a support person can paste. The key
//! is always `$ZENHIRE_API_KEY` (expanded by the shell, never written out), and the base URL
//! is `$ZENHIRE_BASE_URL` with the production address as fallback unless one is given.

use crate::api::client::DEFAULT_BASE_URL;
use crate::engine::reqlog::Exchange;
use crate::store::RunRecord;

/// Single-quotes `s` for a POSIX shell.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r#"'\''"#))
}

/// The request of `ex` as a curl command; the base URL comes from `$ZENHIRE_BASE_URL`.
pub fn to_curl(ex: &Exchange) -> String {
    to_curl_with(ex, None, None)
}

/// The request of `ex` as a curl command: the one builder behind `log --curl`, the bundle's
/// `curl.txt` and the app's *Copy as curl*. `base_url` fixes the address (the run's own base
/// URL; `None`: `$ZENHIRE_BASE_URL`, else production). The submit's form fields are the ones
/// recorded with the exchange; `run` fills them for logs written before they were recorded.
pub fn to_curl_with(ex: &Exchange, base_url: Option<&str>, run: Option<&RunRecord>) -> String {
    let path = if ex.path.starts_with('/') {
        ex.path.clone()
    } else {
        format!("/{}", ex.path)
    };
    let url = match base_url {
        // The path is quoted apart so a query's `&` stays literal.
        Some(b) => sh_quote(&format!("{}{path}", b.trim_end_matches('/'))),
        None => format!(
            "\"${{ZENHIRE_BASE_URL:-{DEFAULT_BASE_URL}}}\"{}",
            sh_quote(&path)
        ),
    };
    let method = ex.method.to_ascii_uppercase();
    let mut parts = vec!["curl -sS -i".to_string()];
    if method != "GET" {
        parts.push(format!("-X {method}"));
    }
    // The health endpoint needs no key; sending it anyway would be harmless, but the app
    // doesn't, and the command should show what the app did.
    if !path.starts_with("/api/v1/health") {
        parts.push("-H \"X-API-Key: $ZENHIRE_API_KEY\"".to_string());
    }
    // The form as it was sent (recorded with the exchange), or rebuilt from the run for
    // logs written before the form was recorded.
    if let Some(form) = super::wire::form_of(ex, run) {
        let mut audio = format!("audio=@{}", form.audio.file_name);
        if !form.audio.content_type.is_empty() {
            audio.push_str(&format!(";type={}", form.audio.content_type));
        }
        parts.push(format!("-F {}", sh_quote(&audio)));
        parts.push(format!(
            "-F {}",
            sh_quote(&format!("language={}", form.language))
        ));
        if let Some(id) = &form.external_id {
            parts.push(format!("-F {}", sh_quote(&format!("externalId={id}"))));
        }
        if let Some(meta) = &form.metadata {
            parts.push(format!("-F {}", sh_quote(&format!("metadata={meta}"))));
        }
    } else if method == "POST" {
        parts.push(format!("-F {}", sh_quote("audio=@recording.wav")));
        parts.push(format!("-F {}", sh_quote("language=en")));
    }
    parts.push(url);
    parts.join(" \\\n  ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::policy::Step;

    fn ex(method: &str, path: &str) -> Exchange {
        Exchange {
            at: chrono::Utc::now(),
            step: Step::Poll,
            method: method.into(),
            path: path.into(),
            status: Some(200),
            code: None,
            request_id: None,
            run_id: None,
            attempt: 1,
            wait: None,
            decision: String::new(),
            latency_ms: 1,
            bytes_sent: 0,
            bytes_received: 0,
            body: None,
            body_truncated: false,
            retry_after: None,
            error: None,
            simulated: false,
            interrupted: false,
            request_headers: Vec::new(),
            form: None,
            response_headers: Vec::new(),
        }
    }

    #[test]
    fn a_poll_uses_the_key_variable_and_the_base_url_variable() {
        let c = to_curl(&ex("GET", "/api/v1/speech/analyze/req_1"));
        assert!(c.contains("-H \"X-API-Key: $ZENHIRE_API_KEY\""), "{c}");
        assert!(
            c.contains(
                "\"${ZENHIRE_BASE_URL:-https://platform.zenhire.ai}\"'/api/v1/speech/analyze/req_1'"
            ),
            "{c}"
        );
        assert!(!c.contains("-X"), "GET is curl's default: {c}");
    }

    #[test]
    fn a_submit_carries_the_form_fields_of_the_run() {
        let mut run = RunRecord::new(chrono::Utc::now());
        run.file = Some("/home/x/take 1.wav".into());
        run.language = Some("de".into());
        run.external_id = Some("cand-1".into());
        run.metadata = Some(serde_json::json!({"who": "it's me"}));
        let c = to_curl_with(
            &ex("POST", "/api/v1/speech/analyze"),
            Some("http://127.0.0.1:9/"),
            Some(&run),
        );
        assert!(c.contains("-X POST"));
        assert!(c.contains("-F 'audio=@take 1.wav'"), "{c}");
        assert!(c.contains("-F 'language=de'"));
        assert!(c.contains("-F 'externalId=cand-1'"));
        assert!(c.contains(r#"-F 'metadata={"who":"it'\''s me"}'"#), "{c}");
        assert!(
            c.ends_with("'http://127.0.0.1:9/api/v1/speech/analyze'"),
            "{c}"
        );
    }

    #[test]
    fn the_recorded_form_wins_over_the_run() {
        let mut e = ex("POST", "/api/v1/speech/analyze");
        e.form = Some(Box::new(crate::api::client::SentForm {
            language: "fr".into(),
            external_id: Some("sent-1".into()),
            metadata: None,
            audio: crate::api::client::SentAudio {
                file_name: "prepared.flac".into(),
                size_bytes: 10,
                content_type: "audio/flac".into(),
                duration_ms: Some(200_000),
            },
        }));
        let mut run = RunRecord::new(chrono::Utc::now());
        run.external_id = Some("record-1".into());
        let c = to_curl_with(&e, None, Some(&run));
        assert!(
            c.contains("-F 'audio=@prepared.flac;type=audio/flac'"),
            "{c}"
        );
        assert!(c.contains("-F 'externalId=sent-1'"), "{c}");
        assert!(!c.contains("record-1"), "{c}");
    }

    #[test]
    fn health_needs_no_key() {
        let c = to_curl(&ex("GET", "/api/v1/health"));
        assert!(!c.contains("X-API-Key"));
    }
}
