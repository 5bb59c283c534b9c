//! HTTP Archive (HAR) 1.2 export of request logs, so a support person can open a customer's
//! requests in the tools they already use: browser dev tools (Network → Import HAR),
//! Insomnia and Postman (Import → HAR).
//!
//! Each run is a page; each exchange an entry with the request (method, full URL, headers —
//! the key masked as the log keeps it, `zh_…1234` — the query string, and for a submit the
//! multipart form with the audio part described, never embedded), the response (status,
//! headers, body as logged) and timings. What HAR has no field for (the engine's wait and
//! decision, the attempt, the error code) is in the entry's `_speechScorer` object, as the
//! spec allows for custom fields. The whole document is scrubbed for the key once more before
//! it is returned.

use chrono::SecondsFormat;
use serde_json::{Value, json};

use super::redact;
use super::wire::{audio_text, form_of, full_url, header, response_mime, status_text};
use crate::engine::reqlog::Exchange;
use crate::store::RunRecord;

/// The HAR version written.
pub const HAR_VERSION: &str = "1.2";

/// One exchange to export and the run it belongs to.
pub type HarItem<'a> = (&'a RunRecord, &'a Exchange);

fn name_values(headers: &[crate::api::client::Header]) -> Vec<Value> {
    headers
        .iter()
        .map(|h| json!({"name": h.name, "value": h.value}))
        .collect()
}

fn query_string(path: &str) -> Vec<Value> {
    let Some((_, query)) = path.split_once('?') else {
        return Vec::new();
    };
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| json!({"name": k, "value": v}))
        .collect()
}

/// The page id of a run: its service run id, else the local id.
fn page_id(run: &RunRecord) -> String {
    run.run_id.clone().unwrap_or_else(|| run.local_id.clone())
}

fn post_data(ex: &Exchange, run: &RunRecord) -> Option<Value> {
    let form = form_of(ex, Some(run))?;
    let mime = header(&ex.request_headers, "content-type").unwrap_or("multipart/form-data");
    let mut audio = json!({
        "name": "audio",
        "fileName": form.audio.file_name,
        "comment": format!("audio not embedded: {}", audio_text(&form.audio)),
    });
    if !form.audio.content_type.is_empty() {
        audio["contentType"] = Value::String(form.audio.content_type.clone());
    }
    let mut params = vec![audio, json!({"name": "language", "value": form.language})];
    if let Some(id) = &form.external_id {
        params.push(json!({"name": "externalId", "value": id}));
    }
    if let Some(m) = &form.metadata {
        params.push(json!({"name": "metadata", "value": m}));
    }
    let mut pd = json!({"mimeType": mime, "params": params});
    if ex.form.is_none() {
        pd["comment"] = Value::String(
            "form rebuilt from the run record (this log predates recorded forms)".into(),
        );
    }
    Some(pd)
}

fn entry(run: &RunRecord, ex: &Exchange) -> Value {
    let latency = ex.latency_ms as f64;
    let is_post = ex.method.eq_ignore_ascii_case("POST");
    let mut request = json!({
        "method": ex.method.to_ascii_uppercase(),
        "url": full_url(run.base_url.as_deref(), ex),
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": name_values(&ex.request_headers),
        "queryString": query_string(&ex.path),
        "headersSize": -1,
        "bodySize": if is_post { ex.bytes_sent as i64 } else { 0 },
    });
    if ex.request_headers.is_empty() {
        request["comment"] =
            Value::String("request headers not recorded (this log predates them)".into());
    }
    if let Some(pd) = post_data(ex, run) {
        request["postData"] = pd;
    }
    let mut content = json!({
        "size": ex.bytes_received,
        "mimeType": response_mime(ex),
    });
    if let Some(body) = &ex.body {
        content["text"] = Value::String(body.clone());
        if ex.body_truncated {
            content["comment"] = Value::String(format!(
                "cut at {} KiB in the request log",
                crate::engine::reqlog::BODY_CAP / 1024
            ));
        }
    }
    let status = ex.status.unwrap_or(0);
    let response = json!({
        "status": status,
        "statusText": status_text(status),
        "httpVersion": if ex.status.is_some() { "HTTP/1.1" } else { "" },
        "cookies": [],
        "headers": name_values(&ex.response_headers),
        "content": content,
        "redirectURL": header(&ex.response_headers, "location").unwrap_or(""),
        "headersSize": -1,
        "bodySize": if ex.status.is_some() { ex.bytes_received as i64 } else { -1 },
    });
    let mut comment = ex.decision.clone();
    if let Some(w) = &ex.wait {
        comment = format!(
            "{comment}; then waited {:.1} s ({})",
            w.seconds,
            crate::guidance::wait_reason(w.reason)
        );
    }
    json!({
        "pageref": page_id(run),
        "startedDateTime": ex.at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "time": latency,
        "request": request,
        "response": response,
        "cache": {},
        "timings": {
            "blocked": -1, "dns": -1, "connect": -1, "ssl": -1,
            "send": 0, "wait": latency, "receive": 0,
        },
        "comment": comment,
        "_speechScorer": {
            "step": ex.step,
            "attempt": ex.attempt,
            "code": ex.code.as_ref().map(|c| c.to_string()),
            "requestId": ex.request_id,
            "runId": ex.run_id.clone().or_else(|| run.run_id.clone()),
            "localId": run.local_id,
            "externalId": run.external_id,
            "wait": ex.wait,
            "decision": ex.decision,
            "error": ex.error,
            "simulated": ex.simulated,
            "interrupted": ex.interrupted,
        },
    })
}

/// The HAR document (as JSON) for `items`, oldest first; `secret` is scrubbed from every
/// string should it appear anywhere (it never should: the log does not hold it).
pub fn har(items: &[HarItem<'_>], secret: Option<&str>) -> String {
    let mut items: Vec<HarItem<'_>> = items.to_vec();
    items.sort_by_key(|(_, ex)| ex.at);
    let mut pages: Vec<Value> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (run, ex) in &items {
        let id = page_id(run);
        if !seen.contains(&id) {
            pages.push(json!({
                "startedDateTime": ex.at.to_rfc3339_opts(SecondsFormat::Millis, true),
                "id": id,
                "title": format!(
                    "run {} · externalId {}",
                    id,
                    run.external_id.as_deref().unwrap_or("-")
                ),
                "pageTimings": {"onContentLoad": -1, "onLoad": -1},
            }));
            seen.push(id);
        }
    }
    let doc = json!({
        "log": {
            "version": HAR_VERSION,
            "creator": {"name": "speech-scorer", "version": env!("CARGO_PKG_VERSION")},
            "pages": pages,
            "entries": items.iter().map(|(r, e)| entry(r, e)).collect::<Vec<_>>(),
            "comment": "Exported by speech-scorer. The API key is masked (zh_…1234); audio parts are described, not embedded.",
        }
    });
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    redact(&text, secret)
}

/// The HAR of one run's request log.
pub fn har_for_run(run: &RunRecord, secret: Option<&str>) -> String {
    let items: Vec<HarItem<'_>> = run.exchanges.iter().map(|e| (run, e)).collect();
    har(&items, secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_split_and_decoded() {
        let q = query_string("/api/v1/speech/runs?externalId=cand%2042&status=failed");
        assert_eq!(q.len(), 2);
        assert_eq!(q[0]["value"], "cand 42");
        assert!(query_string("/api/v1/health").is_empty());
    }
}
