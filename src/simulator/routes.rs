//! The HTTP surface: one handler per endpoint, each applying (in the documented order) the
//! scenario's scripted replies, the key checks, and the rules of the real service.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::config::KeyConfig;
use super::faults::{self, scripted_reply, step_label};
use super::ledger;
use super::net::ConnTag;
use super::runs::{Ending, Phase, Run};
use super::scenario::{Dimension, Endpoint, Respond, Step};
use super::scoring;
use super::state::{RecordedRequest, Shared};
use super::validation::{self, SubmitForm};
use super::wire::{self, ApiError, Note, SIMULATOR_HEADER, json_reply, with_note};
use crate::api::codes::ErrorCode;

type Sim = State<Arc<Shared>>;
type Conn = ConnectInfo<ConnTag>;

/// The request bodies the simulator reads at most; larger uploads get FILE_TOO_LARGE.
const BODY_LIMIT: usize = 40 * 1024 * 1024;

/// How many exchanges the request log keeps.
const MAX_RECORDED: usize = 100_000;

/// The router with every endpoint, the request log and the simulator header.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/speech/analyze", post(submit))
        .route("/api/v1/speech/analyze/{id}", get(poll))
        .route("/api/v1/speech/runs", get(list_runs))
        .route("/api/v1/credits", get(credits))
        .route("/api/v1/health", get(health))
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(shared.clone(), record))
        .with_state(shared)
}

/// Logs every exchange and marks every response as simulated.
async fn record(State(sim): Sim, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let mut resp = next.run(req).await;
    resp.headers_mut()
        .insert(SIMULATOR_HEADER, HeaderValue::from_static("1"));
    let note = resp.extensions().get::<Note>().cloned().unwrap_or_default();
    let status = if note.fault.as_deref() == Some("drop")
        || note.fault.as_deref() == Some("drop_after_create")
    {
        0
    } else {
        resp.status().as_u16()
    };
    let mut inner = sim.lock();
    // A simulator left running for days keeps the most recent exchanges only.
    if inner.requests.len() >= MAX_RECORDED {
        inner.requests.drain(..MAX_RECORDED / 10);
    }
    inner.requests.push(RecordedRequest {
        method,
        path,
        query,
        status,
        code: note.code,
        run_id: note.run_id,
        at: chrono::Utc::now(),
        fault: note.fault,
        step: note.step,
    });
    resp
}

/// Takes the head step of `on` if it replaces the whole response, or is `normal`.
fn take_reply_step(sim: &Shared, on: Endpoint) -> Option<Step> {
    let mut inner = sim.lock();
    let head = inner.script.peek(on)?;
    if head.is_scripted_reply() || head.respond == Respond::Normal {
        inner.script.take(on)
    } else {
        None
    }
}

/// Answers from the script when its head step replaces the response; `Err(reply)` then.
/// `Ok(Some(step))` for a `normal` step (the rules answer after its delay).
async fn scripted(sim: &Shared, on: Endpoint, conn: &ConnTag) -> Result<Option<Step>, Response> {
    match take_reply_step(sim, on) {
        Some(step) if step.respond == Respond::Normal => {
            faults::delay(&step).await;
            Ok(Some(step))
        }
        Some(step) => Err(scripted_reply(&step, conn, sim.cfg.retry_after_secs).await),
        None => Ok(None),
    }
}

/// Notes a `normal` step (with its delay as a `slow` fault) on the rules' response.
fn note_normal(resp: Response, step: Option<&Step>) -> Response {
    match step {
        Some(s) => with_note(
            resp,
            Note {
                step: Some(step_label(s)),
                fault: s.delay_ms.map(|_| "slow".to_string()),
                ..Note::default()
            },
        ),
        None => resp,
    }
}

/// The key check (401s carry no requestId), then the key's IP allow-list and, for speech
/// endpoints (not the universal credits endpoint), the speech permission.
fn authenticate<'a>(
    sim: &'a Shared,
    headers: &HeaderMap,
    conn: &ConnTag,
    speech_endpoint: bool,
) -> Result<&'a KeyConfig, ApiError> {
    let from_header = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let from_auth = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim())
        .map(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .unwrap_or(v)
                .trim()
        })
        .filter(|s| !s.is_empty());
    let Some(secret) = from_header.or(from_auth) else {
        return Err(ApiError::new(ErrorCode::MissingApiKey));
    };
    let key = sim
        .key(secret)
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidApiKey))?;
    if key.expired {
        return Err(ApiError::new(ErrorCode::ApiKeyExpired));
    }
    if key.inactive {
        return Err(ApiError::new(ErrorCode::ClientInactive));
    }
    if !key.allowed_ips.is_empty() && !key.allowed_ips.contains(&conn.peer.ip()) {
        return Err(ApiError::new(ErrorCode::IpNotAllowed));
    }
    if speech_endpoint && !key.speech_permission {
        return Err(ApiError::new(ErrorCode::MissingPermission));
    }
    Ok(key)
}

/// Reads the multipart fields; a body over the limit is marked oversized.
async fn read_form(req: Request) -> SubmitForm {
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

/// Reads and discards the upload. A reply sent while the client is still uploading reaches
/// it as a connection reset (unread data makes the kernel send RST on close), so every
/// answer that does not read the form drains it first.
async fn drain(req: Request) {
    let _ = axum::body::to_bytes(req.into_body(), BODY_LIMIT).await;
}

async fn submit(State(sim): Sim, ConnectInfo(conn): Conn, req: Request) -> Response {
    let normal = match scripted(&sim, Endpoint::Submit, &conn).await {
        Ok(step) => step,
        Err(reply) => {
            drain(req).await;
            return reply;
        }
    };
    let resp = submit_by_rules(&sim, &conn, req).await;
    note_normal(resp, normal.as_ref())
}

async fn submit_by_rules(sim: &Arc<Shared>, conn: &ConnTag, req: Request) -> Response {
    let key = match authenticate(sim, req.headers(), conn, true) {
        Ok(k) => k.clone(),
        Err(e) => {
            drain(req).await;
            return e.into_response();
        }
    };
    if let Some(left) = sim.warming_up(Instant::now()) {
        let secs = (left.as_secs_f64().ceil() as u64).clamp(1, sim.cfg.retry_after_secs.max(1));
        drain(req).await;
        return ApiError::new(ErrorCode::ServiceWarmingUp)
            .retry_after(secs)
            .into_response();
    }
    let form = read_form(req).await;
    let checked = tokio::task::spawn_blocking(move || validation::validate(form)).await;
    let submission = match checked {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return e.into_response(),
        Err(_) => return ApiError::new(ErrorCode::InternalError).into_response(),
    };
    if submission.language != "en" && !key.multilingual {
        return ApiError::new(ErrorCode::MultilingualNotEnabled).into_response();
    }
    let now = Instant::now();
    if let Err(secs) = sim.check_rate(&key, now) {
        return ApiError::new(ErrorCode::RateLimitExceeded)
            .retry_after(secs)
            .into_response();
    }
    let cost = ledger::cost_for(submission.duration.as_secs_f64());
    let run_id = wire::new_run_id();
    let (body, step) = {
        let mut inner = sim.lock();
        if let Err(short) = inner.ledger.hold(&run_id, cost) {
            return ApiError::new(ErrorCode::InsufficientCredits)
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

async fn poll(
    State(sim): Sim,
    ConnectInfo(conn): Conn,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let normal = match scripted(&sim, Endpoint::Poll, &conn).await {
        Ok(step) => step,
        Err(reply) => return reply,
    };
    let resp = poll_by_rules(&sim, &conn, &id, &headers).await;
    note_normal(resp, normal.as_ref())
}

async fn poll_by_rules(
    sim: &Arc<Shared>,
    conn: &ConnTag,
    id: &str,
    headers: &HeaderMap,
) -> Response {
    let key = match authenticate(sim, headers, conn, true) {
        Ok(k) => k.key.clone(),
        Err(e) => return e.into_response(),
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
        PollDecision::NeedsAnalysis => ApiError::new(ErrorCode::InternalError).into_response(),
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
        return PollDecision::Reply(ApiError::new(ErrorCode::NotFound).into_response(), None);
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
            let e = ApiError::new(ErrorCode::PollRateLimited).retry_after(secs);
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
                        .unwrap_or_else(|| wire::default_message(&code).to_string());
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

const STATUSES: [&str; 5] = ["queued", "processing", "success", "partial", "failed"];

fn parse_date(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(dt.with_timezone(&chrono::Utc));
    }
    if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S") {
        return Some(naive.and_utc());
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

async fn list_runs(
    State(sim): Sim,
    ConnectInfo(conn): Conn,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let normal = match scripted(&sim, Endpoint::Runs, &conn).await {
        Ok(step) => step,
        Err(reply) => return reply,
    };
    let resp = match list_by_rules(&sim, &conn, &q, &headers) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    note_normal(resp, normal.as_ref())
}

fn list_by_rules(
    sim: &Shared,
    conn: &ConnTag,
    q: &std::collections::HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let key = authenticate(sim, headers, conn, true)?.key.clone();
    let status = q.get("status").map(String::as_str);
    if let Some(s) = status
        && !STATUSES.contains(&s)
    {
        return Err(ApiError::new(ErrorCode::InvalidStatus));
    }
    if let Some(t) = q.get("serviceType")
        && t != "speech"
        && t != "cv_deepmatch"
    {
        return Err(ApiError::new(ErrorCode::InvalidServiceType));
    }
    let date = |name: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
        match q.get(name) {
            None => Ok(None),
            Some(t) => parse_date(t)
                .map(Some)
                .ok_or_else(|| ApiError::new(ErrorCode::InvalidDate)),
        }
    };
    let after = date("createdAfter")?;
    let before = date("createdBefore")?;
    let limit = match q.get("limit") {
        None => 20,
        Some(t) => match t.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => return Err(ApiError::new(ErrorCode::InvalidParameters)),
        },
    };
    let mut inner = sim.lock();
    inner.tick(&sim.cfg, Instant::now());
    let speech_only = q.get("serviceType").is_none_or(|t| t == "speech");
    let matching: Vec<&Run> = inner
        .runs
        .iter()
        .rev()
        .filter(|r| speech_only && r.key == key)
        .filter(|r| {
            q.get("externalId")
                .is_none_or(|e| r.external_id.as_deref() == Some(e.as_str()))
        })
        .filter(|r| status.is_none_or(|s| r.status() == s))
        .filter(|r| after.is_none_or(|a| r.created_at >= a))
        .filter(|r| before.is_none_or(|b| r.created_at < b))
        .collect();
    let total = matching.len();
    let rows: Vec<Value> = matching.iter().take(limit).map(|r| r.list_row()).collect();
    Ok(json_reply(
        StatusCode::OK,
        json!({ "data": rows, "limit": limit, "total": total }),
        None,
    ))
}

async fn credits(State(sim): Sim, ConnectInfo(conn): Conn, headers: HeaderMap) -> Response {
    let normal = match scripted(&sim, Endpoint::Credits, &conn).await {
        Ok(step) => step,
        Err(reply) => return reply,
    };
    let resp = match authenticate(&sim, &headers, &conn, false) {
        Err(e) => e.into_response(),
        Ok(_) => {
            let mut inner = sim.lock();
            inner.tick(&sim.cfg, Instant::now());
            json_reply(StatusCode::OK, inner.ledger.to_json(), None)
        }
    };
    note_normal(resp, normal.as_ref())
}

async fn health(State(sim): Sim, ConnectInfo(conn): Conn) -> Response {
    let normal = match scripted(&sim, Endpoint::Health, &conn).await {
        Ok(step) => step,
        Err(reply) => return reply,
    };
    // Body undocumented: a simulator choice. HTTP 200 means healthy.
    let resp = json_reply(
        StatusCode::OK,
        json!({ "status": "ok", "simulated": true, "timestamp": wire::timestamp(chrono::Utc::now()) }),
        None,
    );
    note_normal(resp, normal.as_ref())
}

async fn not_found() -> Response {
    ApiError::new(ErrorCode::NotFound).into_response()
}
