//! The HTTP surface: one handler per endpoint, each applying (in the documented order) the
//! scenario's scripted replies, the key checks, and the rules of the real service.
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::auth::presented_key;
use super::disruption::DisruptionKind;
use super::faults::{self, scripted_reply, step_label};
use super::listing::{credits, health, list_runs};
use super::net::ConnTag;
use super::poll::poll;
use super::scenario::{Endpoint, Respond, Step};
use super::state::{Arrival, RecordedRequest, Shared};
use super::stats::Counters;
use super::submit::submit;
use super::wire::{ApiError, Note, SIMULATOR_HEADER, with_note};

pub(super) type Sim = State<Arc<Shared>>;
pub(super) type Conn = ConnectInfo<ConnTag>;

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
        .route("/__sim/stats", get(stats))
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        // The submit handler enforces its own limit while reading.
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(shared.clone(), record))
        .with_state(shared)
}

/// Counts every request against its key's rate (before any answer), then logs the
/// exchange, counts it in the stats and marks the response as simulated.
async fn record(State(sim): Sim, mut req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    if path.starts_with("/__sim/") {
        let mut resp = next.run(req).await;
        resp.headers_mut()
            .insert(SIMULATOR_HEADER, HeaderValue::from_static("1"));
        return resp;
    }
    let query = req.uri().query().map(str::to_string);
    let in_window = presented_key(req.headers())
        .and_then(|k| sim.key(k))
        .map_or(0, |key| sim.count_request(key, Instant::now()));
    req.extensions_mut().insert(Arrival { in_window });
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
    count(&mut inner.counters, &method, &path, status, &note);
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

/// Adds one exchange to the stats: its endpoint, and who caused a 429 or 503.
fn count(c: &mut Counters, method: &str, path: &str, status: u16, note: &Note) {
    c.requests += 1;
    match Endpoint::classify(method, path) {
        Some(Endpoint::Submit) => c.submits += 1,
        Some(Endpoint::Poll) => c.polls += 1,
        Some(Endpoint::Runs) => c.lookups += 1,
        _ => {}
    }
    let fault = note.fault.as_deref();
    let code = note.code.as_deref();
    match status {
        429 if note.step.is_some() => c.throttled.scripted += 1,
        429 if fault == Some(DisruptionKind::RateLimitStorm.label()) => c.throttled.storm += 1,
        429 if code == Some("RATE_LIMIT_EXCEEDED") => c.throttled.rate_limit += 1,
        429 if code == Some("POLL_RATE_LIMITED") => c.throttled.poll_gate += 1,
        503 if fault == Some(DisruptionKind::WarmingUp.label()) => c.warming_up += 1,
        _ => {}
    }
}

/// `GET /__sim/stats`: what the simulator counted (debug endpoint, simulator only).
async fn stats(State(sim): Sim) -> Response {
    axum::Json(sim.stats()).into_response()
}

/// Takes the head step of `on` if it replaces the whole response, or is `normal`.
pub(super) fn take_reply_step(sim: &Shared, on: Endpoint) -> Option<Step> {
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
pub(super) async fn scripted(
    sim: &Shared,
    on: Endpoint,
    conn: &ConnTag,
) -> Result<Option<Step>, Response> {
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
pub(super) fn note_normal(resp: Response, step: Option<&Step>) -> Response {
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

async fn not_found() -> Response {
    ApiError::new("NOT_FOUND").into_response()
}
