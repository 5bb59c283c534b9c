//! `GET /api/v1/speech/analyze/{id}`: the run's state, behind the per-run poll gate; scripted
//! poll steps decide queued / processing / the ending while they last.

use std::sync::Arc;
use std::time::Instant;

use axum::Extension;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::auth::admit;
use super::contract;
use super::faults::{self, step_label};
use super::net::ConnTag;
use super::routes::{Conn, Sim, note_normal, scripted};
use super::runs::Ending;
use super::scenario::{Dimension, Endpoint, Respond, Step};
use super::state::{Arrival, Shared};
use super::wire::{ApiError, Note, json_reply, with_note};

/// `GET /api/v1/speech/analyze/{id}`.
pub(super) async fn poll(
    State(sim): Sim,
    ConnectInfo(conn): Conn,
    Path(id): Path<String>,
    Extension(arrival): Extension<Arrival>,
    headers: HeaderMap,
) -> Response {
    let normal = match scripted(&sim, Endpoint::Poll, &conn).await {
        Ok(step) => step,
        Err(reply) => return reply,
    };
    let resp = poll_by_rules(&sim, &conn, &id, &headers, &arrival).await;
    note_normal(resp, normal.as_ref())
}

pub(super) async fn poll_by_rules(
    sim: &Arc<Shared>,
    conn: &ConnTag,
    id: &str,
    headers: &HeaderMap,
    arrival: &Arrival,
) -> Response {
    let key = match admit(sim, headers, conn, true, arrival) {
        Ok(k) => k.key.clone(),
        Err(refusal) => return *refusal,
    };
    let now = Instant::now();
    let mut decision = decide_poll(sim, &key, id, now, false);
    if matches!(decision, PollDecision::NeedsAnalysis) {
        // A scripted result needs the audio measured first; that takes milliseconds.
        for _ in 0..600 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            if sim
                .lock()
                .runs
                .iter()
                .any(|r| r.id == id && r.analysis.is_some())
            {
                break;
            }
        }
        decision = decide_poll(sim, &key, id, now, true);
    }
    match decision {
        PollDecision::Reply(resp, Some(step)) => {
            faults::delay(&step).await;
            resp
        }
        PollDecision::Reply(resp, None) => resp,
        PollDecision::NeedsAnalysis => ApiError::new("INTERNAL_ERROR").into_response(),
    }
}

enum PollDecision {
    /// The response, and the scenario step that made it (for its delay).
    Reply(Response, Option<Box<Step>>),
    /// A scripted success/partial is next but the audio is still being measured.
    NeedsAnalysis,
}

fn decide_poll(sim: &Shared, key: &str, id: &str, now: Instant, waited: bool) -> PollDecision {
    let hint = sim.cfg.poll_interval_hint_secs;
    let mut inner = sim.lock();
    inner.tick(&sim.cfg, now);
    let Some(i) = inner.runs.iter().position(|r| r.id == id && r.key == key) else {
        return PollDecision::Reply(ApiError::new("NOT_FOUND").into_response(), None);
    };
    let note = |step: Option<&Step>, code: Option<String>| Note {
        run_id: Some(id.to_string()),
        step: step.map(step_label),
        code,
        ..Note::default()
    };
    if inner.runs[i].is_terminal() {
        let body = inner.runs[i].result.clone().unwrap_or(Value::Null);
        let code = body["error"]["code"].as_str().map(str::to_string);
        return PollDecision::Reply(
            with_note(json_reply(StatusCode::OK, body, None), note(None, code)),
            None,
        );
    }
    // The gate counts from the last accepted poll of this run.
    if !waited && let Some(last) = inner.runs[i].last_poll {
        let since = now.duration_since(last);
        if since < sim.cfg.poll_min_interval {
            let left = sim.cfg.poll_min_interval - since;
            let secs = left.as_secs_f64().ceil().max(1.0) as u64;
            let e = ApiError::new("POLL_RATE_LIMITED").retry_after(secs);
            return PollDecision::Reply(with_note(e.into_response(), note(None, None)), None);
        }
    }
    let step = match inner.script.peek(Endpoint::Poll).map(|s| s.respond) {
        Some(
            Respond::Queued
            | Respond::Processing
            | Respond::Success
            | Respond::Partial
            | Respond::Failed,
        ) => inner.script.peek(Endpoint::Poll).cloned(),
        _ => None,
    };
    let needs_analysis = matches!(
        step.as_ref().map(|s| s.respond),
        Some(Respond::Success | Respond::Partial)
    ) && inner.runs[i].analysis.is_none();
    if needs_analysis && !waited {
        return PollDecision::NeedsAnalysis;
    }
    inner.runs[i].last_poll = Some(now);
    let Some(step) = step else {
        let status = inner.runs[i].status().to_string();
        let pos = inner.queue_position(id);
        let body = inner.runs[i].light_body(&status, pos, hint);
        return PollDecision::Reply(
            with_note(
                json_reply(StatusCode::OK, body, Some(hint)),
                note(None, None),
            ),
            None,
        );
    };
    inner.script.take(Endpoint::Poll);
    let reply = match step.respond {
        Respond::Queued => {
            let pos = step.queue_position.unwrap_or(1);
            let body = inner.runs[i].light_body("queued", Some(pos), hint);
            json_reply(StatusCode::OK, body, Some(hint))
        }
        Respond::Processing => {
            let body = inner.runs[i].light_body("processing", None, hint);
            json_reply(StatusCode::OK, body, Some(hint))
        }
        other => {
            let ending = match other {
                Respond::Success => Ending::Success,
                Respond::Partial => Ending::Partial(
                    step.dimensions
                        .clone()
                        .unwrap_or_else(|| vec![Dimension::Vocabulary, Dimension::Fluency]),
                ),
                _ => {
                    let code = step.code.clone().unwrap_or_else(|| "INTERNAL_ERROR".into());
                    let message = step
                        .message
                        .clone()
                        .unwrap_or_else(|| contract::message(&code).to_string());
                    Ending::Failed { code, message }
                }
            };
            inner.finish(i, &ending, now);
            let body = inner.runs[i].result.clone().unwrap_or(Value::Null);
            json_reply(StatusCode::OK, body, None)
        }
    };
    let code = match step.respond {
        Respond::Failed => step.code.clone(),
        _ => None,
    };
    let resp = with_note(reply, note(Some(&step), code));
    PollDecision::Reply(resp, Some(Box::new(step)))
}
