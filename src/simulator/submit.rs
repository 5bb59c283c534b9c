//! `POST /api/v1/speech/analyze`: the admission checks in the documented order (keys →
//! warm-up → validation → multilingual → rate limit → credits → concurrency cap), the key
//! and warm-up decided before the upload is read, and the analysis of the audio started in
//! the background.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::sync::OwnedSemaphorePermit;

use super::auth::authenticate;
use super::faults::{self, scripted_reply, step_label};
use super::ledger;
use super::net::ConnTag;
use super::routes::{Conn, Sim, note_normal, take_reply_step};
use super::runs::{Phase, Run};
use super::scenario::{Endpoint, Respond};
use super::scoring;
use super::state::{Arrival, Shared};
use super::upload;
use super::validation;
use super::wire::{self, ApiError, Note, json_reply, with_note};

/// `POST /api/v1/speech/analyze`.
pub(super) async fn submit(State(sim): Sim, ConnectInfo(conn): Conn, req: Request) -> Response {
    let retry_after = sim.cfg.retry_after_secs;
    match take_reply_step(&sim, Endpoint::Submit) {
        // Mid-upload, like a connection that really broke.
        Some(s) if s.respond == Respond::Drop => scripted_reply(&s, &conn, retry_after).await,
        Some(s) if s.respond == Respond::Normal => {
            faults::delay(&s).await;
            let resp = submit_by_rules(&sim, &conn, req).await;
            note_normal(resp, Some(&s))
        }
        // A scripted answer comes once the whole upload has reached the server.
        Some(s) => {
            upload::drain(req.into_body()).await;
            scripted_reply(&s, &conn, retry_after).await
        }
        None => submit_by_rules(&sim, &conn, req).await,
    }
}

pub(super) async fn submit_by_rules(sim: &Arc<Shared>, conn: &ConnTag, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    // The key and the service's state decide before a byte of the upload is read.
    let key = match authenticate(sim, &parts.headers, conn, true) {
        Ok(k) => k.clone(),
        Err(e) => return upload::answer_unread(body, e.into_response()),
    };
    if let Some(refusal) = sim.disrupted(true, Instant::now()) {
        return upload::answer_unread(body, refusal);
    }
    // A turn to hold an upload in memory, kept until its audio has been analysed.
    let Ok(turn) = sim.uploads.clone().acquire_owned().await else {
        return upload::answer_unread(body, ApiError::new("INTERNAL_ERROR").into_response());
    };
    let arrival = parts
        .extensions
        .get::<Arrival>()
        .cloned()
        .unwrap_or_default();
    let form = upload::read_form(parts, body).await;
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
    if let Some(refusal) = sim.over_rate(&key, &arrival, now) {
        return refusal;
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
        let run = Run {
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
        };
        sim.add_run(&mut inner, run, now);
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
        turn,
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
    audio: Bytes,
    format: crate::audio::probe::AudioFormat,
    turn: OwnedSemaphorePermit,
) {
    tokio::spawn(async move {
        let result = tokio::task::spawn_blocking(move || scoring::analyse(&audio, format))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
        // The audio is gone: another upload may be read.
        drop(turn);
        sim.set_analysis(&run_id, result);
        sim.tick(Instant::now());
    });
}
