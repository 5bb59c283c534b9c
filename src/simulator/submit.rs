//! `POST /api/v1/speech/analyze`: read the upload, then the admission checks in the
//! documented order (keys → warm-up → validation → multilingual → rate limit → credits →
//! concurrency cap), and start the analysis of the audio in the background.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, Multipart, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use serde_json::json;

use super::auth::authenticate;
use super::faults::{self, scripted_reply, step_label};
use super::ledger;
use super::net::ConnTag;
use super::routes::{Conn, Sim, note_normal, take_reply_step};
use super::runs::{Phase, Run};
use super::scenario::{Endpoint, Respond};
use super::scoring;
use super::state::Shared;
use super::validation::{self, SubmitForm};
use super::wire::{self, ApiError, Note, json_reply, with_note};

/// The request bodies the simulator reads at most; larger uploads get FILE_TOO_LARGE.
const BODY_LIMIT: usize = 40 * 1024 * 1024;
/// Beyond this, an upload is not even drained: the connection is closed.
const DRAIN_LIMIT: usize = 512 * 1024 * 1024;
/// Reads the multipart fields; a body over the limit is marked oversized.
pub(super) async fn read_form(req: Request) -> SubmitForm {
    let mut form = SubmitForm::default();
    let Ok(mut multipart) = Multipart::from_request(req, &()).await else {
        return form;
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                form.oversized |= e.status() == StatusCode::PAYLOAD_TOO_LARGE;
                if form.oversized {
                    form.audio = None;
                }
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        match field.bytes().await {
            Ok(bytes) => {
                let text = || String::from_utf8_lossy(&bytes).into_owned();
                match name.as_str() {
                    "audio" => form.audio = Some(bytes.to_vec()),
                    "language" => form.language = Some(text()),
                    "externalId" => form.external_id = Some(text()),
                    "metadata" => form.metadata = Some(text()),
                    "tags" | "tags[]" => form.tags.push(text()),
                    _ => {}
                }
            }
            Err(e) => {
                form.oversized |= e.status() == StatusCode::PAYLOAD_TOO_LARGE;
                if form.oversized {
                    form.audio = None;
                }
                break;
            }
        }
    }
    form
}

/// `POST /api/v1/speech/analyze`.
pub(super) async fn submit(State(sim): Sim, ConnectInfo(conn): Conn, req: Request) -> Response {
    let step = take_reply_step(&sim, Endpoint::Submit);
    if let Some(s) = step.as_ref().filter(|s| s.respond == Respond::Drop) {
        // Mid-upload, like a connection that really broke.
        return scripted_reply(s, &conn, sim.cfg.retry_after_secs).await;
    }
    // Read the whole upload before answering anything, even a 401: a server that replies
    // while the client is still sending can reset the connection and lose its own reply.
    let (parts, body) = req.into_parts();
    let (bytes, oversized) = read_body(body).await;
    let req = Request::from_parts(parts, Body::from(bytes));
    match step {
        Some(s) if s.respond == Respond::Normal => {
            faults::delay(&s).await;
            let resp = submit_by_rules(&sim, &conn, req, oversized).await;
            note_normal(resp, Some(&s))
        }
        Some(s) => scripted_reply(&s, &conn, sim.cfg.retry_after_secs).await,
        None => submit_by_rules(&sim, &conn, req, oversized).await,
    }
}

/// Reads up to `BODY_LIMIT` bytes and discards the rest (up to `DRAIN_LIMIT`); says whether
/// the body was larger than what was kept.
pub(super) async fn read_body(body: Body) -> (Bytes, bool) {
    let mut kept = Vec::new();
    let mut seen = 0usize;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            break;
        };
        seen += chunk.len();
        if seen <= BODY_LIMIT {
            kept.extend_from_slice(&chunk);
        } else if seen > DRAIN_LIMIT {
            break;
        }
    }
    let oversized = seen > BODY_LIMIT;
    if oversized {
        kept.clear();
    }
    (Bytes::from(kept), oversized)
}

pub(super) async fn submit_by_rules(
    sim: &Arc<Shared>,
    conn: &ConnTag,
    req: Request,
    oversized: bool,
) -> Response {
    let key = match authenticate(sim, req.headers(), conn, true) {
        Ok(k) => k.clone(),
        Err(e) => return e.into_response(),
    };
    if let Some(left) = sim.warming_up(Instant::now()) {
        let secs = (left.as_secs_f64().ceil() as u64).clamp(1, sim.cfg.retry_after_secs.max(1));
        return ApiError::new("SERVICE_WARMING_UP")
            .retry_after(secs)
            .into_response();
    }
    let mut form = read_form(req).await;
    if oversized {
        form.oversized = true;
        form.audio = None;
    }
    let checked = tokio::task::spawn_blocking(move || validation::validate(form)).await;
    let submission = match checked {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return e.into_response(),
        Err(_) => return ApiError::new("INTERNAL_ERROR").into_response(),
    };
    if submission.language != "en" && !key.multilingual {
        return ApiError::new("MULTILINGUAL_NOT_ENABLED").into_response();
    }
    let now = Instant::now();
    if let Err(secs) = sim.check_rate(&key, now) {
        return ApiError::new("RATE_LIMIT_EXCEEDED")
            .retry_after(secs)
            .into_response();
    }
    let cost = ledger::cost_for(submission.duration.as_secs_f64());
    let run_id = wire::new_run_id();
    let (body, step) = {
        let mut inner = sim.lock();
        if let Err(short) = inner.ledger.hold(&run_id, cost) {
            return ApiError::new("INSUFFICIENT_CREDITS")
                .details(json!({ "cost": short.cost, "available": short.available }))
                .into_response();
        }
        let queued = inner.active() >= sim.cfg.concurrency;
        inner.runs.push(Run {
            id: run_id.clone(),
            key: key.key.clone(),
            external_id: submission.external_id.clone(),
            metadata: submission.metadata.clone(),
            tags: submission.tags.clone(),
            language: submission.language.clone(),
            duration: submission.duration,
            cost,
            created_at: chrono::Utc::now(),
            created: now,
            phase: if queued {
                Phase::Queued
            } else {
                Phase::Processing { since: now }
            },
            last_poll: None,
            analysis: None,
            result: None,
        });
        let step = match inner.script.peek(Endpoint::Submit).map(|s| s.respond) {
            Some(Respond::Queued | Respond::Processing | Respond::DropAfterCreate) => {
                inner.script.take(Endpoint::Submit)
            }
            _ => None,
        };
        let hint = sim.cfg.poll_interval_hint_secs;
        let mut body = json!({ "id": run_id, "status": if queued { "queued" } else { "processing" },
            "pollIntervalSeconds": hint });
        let forced = step.as_ref().map(|s| s.respond);
        if queued || forced == Some(Respond::Queued) {
            let pos = step
                .as_ref()
                .and_then(|s| s.queue_position)
                .or_else(|| inner.queue_position(&run_id))
                .unwrap_or(1);
            let active = step
                .as_ref()
                .and_then(|s| s.active_requests)
                .unwrap_or(inner.active() as u32)
                .max(sim.cfg.concurrency as u32);
            body["status"] = json!("queued");
            body["queuePosition"] = json!(pos);
            body["activeRequests"] = json!(active);
        }
        if forced == Some(Respond::Processing) {
            body["status"] = json!("processing");
        }
        (body, step)
    };
    spawn_analysis(
        sim.clone(),
        run_id.clone(),
        submission.audio,
        submission.format,
    );
    let mut note = Note {
        run_id: Some(run_id),
        ..Note::default()
    };
    if let Some(s) = &step {
        note.step = Some(step_label(s));
        faults::delay(s).await;
        if s.respond == Respond::DropAfterCreate {
            note.fault = Some("drop_after_create".into());
            conn.kill();
        }
    }
    let hint = sim.cfg.poll_interval_hint_secs;
    with_note(json_reply(StatusCode::ACCEPTED, body, Some(hint)), note)
}

fn spawn_analysis(
    sim: Arc<Shared>,
    run_id: String,
    audio: Vec<u8>,
    format: crate::audio::probe::AudioFormat,
) {
    tokio::spawn(async move {
        let result = tokio::task::spawn_blocking(move || scoring::analyse(&audio, format))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
        sim.set_analysis(&run_id, result);
        sim.tick(Instant::now());
    });
}
