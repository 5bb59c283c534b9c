//! Replay: a run's request log becomes a simulator scenario of `raw` steps (status,
//! `Retry-After` and body exactly as received; a missing reply becomes a dropped
//! connection), and the engine runs against an in-process simulator playing it. Because the
//! engine follows the same rules on the same responses, it makes the same requests, chooses
//! the same waits and ends with the same outcome — which the report checks rather than
//! assumes.
//!
//! A replay runs at any [`ReplaySpeed`]: the engine's own clock skips what it does not sleep
//! (`JobOptions::speed`), so its decisions — and the wait seconds the request log records —
//! are those of the original at any speed; only the sleeping is shortened (`max`: none). What
//! is compared is therefore the sequence of responses and the engine's decisions (each
//! exchange's wait reason and seconds), never wall time.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::SupportError;
use super::bundle::Bundle;
use crate::api::client::{ApiClient, ApiKey};
use crate::engine::events::{EventSink, JobEvent};
use crate::engine::job::{JobOptions, JobSpec, Start, run};
use crate::engine::outcome::Outcome;
use crate::engine::policy::JITTER_FRACTION;
use crate::engine::policy::Step as EngineStep;
use crate::engine::reqlog::{ChosenWait, Exchange};
use crate::simulator::{Endpoint, Expect, Scenario, SimConfig, Simulator, Step};
use crate::store::RunRecord;

/// The scripted answer that reproduces one logged exchange.
pub fn step_for(ex: &Exchange) -> Option<Step> {
    if ex.interrupted {
        // Cut short by the app (cancel, budget): there was no answer to replay.
        return None;
    }
    let on = Endpoint::classify(&ex.method, &ex.path)?;
    let Some(status) = ex.status else {
        return Some(Step::dropped(on));
    };
    let body = ex.body.clone().unwrap_or_default();
    // The client reads bodies by status and content, not by Content-Type: the recorded type
    // when the log has the response headers, else one inferred from the body.
    let mut content_type = super::wire::response_mime(ex);
    // Only a plain header value replays as one (a bundle is outside input).
    if content_type.len() > 128 || !content_type.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        content_type = "application/octet-stream".to_string();
    }
    let mut headers = vec![("content-type".to_string(), content_type)];
    if let Some(r) = ex.retry_after {
        headers.push(("retry-after".to_string(), r.to_string()));
    }
    Some(Step::raw(on, status, headers, body))
}

/// A scenario that answers the logged requests exactly as they were answered.
pub fn scenario_from_exchanges(name: &str, exchanges: &[Exchange]) -> Scenario {
    let mut steps: Vec<Step> = Vec::new();
    for step in exchanges.iter().filter_map(step_for) {
        // Identical consecutive answers (e.g. the same dropped poll) fold into `repeat`.
        match steps.last_mut() {
            Some(last)
                if Step {
                    repeat: 1,
                    ..last.clone()
                } == step =>
            {
                last.repeat += 1
            }
            _ => steps.push(step),
        }
    }
    Scenario {
        name: name.to_string(),
        description: format!(
            "Replay of a recorded run: {} responses exactly as received.",
            exchanges.len()
        ),
        steps,
        ..Scenario::default()
    }
}

/// The replay scenario of a run, with the run's outcome as `[expect]`.
pub fn scenario_for_record(record: &RunRecord) -> Scenario {
    let name = format!(
        "replay-{}",
        record.run_id.as_deref().unwrap_or(&record.local_id)
    );
    let mut s = scenario_from_exchanges(&name, &record.exchanges);
    if let Some(o) = &record.outcome {
        s.expect = Some(Expect {
            outcome: o.kind.as_str().to_string(),
            // The exit code is the CLI's to derive from the outcome.
            exit_code: None,
            code: o.error.as_ref().map(|e| e.code.to_string()),
        });
    }
    s
}

/// One line per exchange that says what came back: `submit 503 SERVICE_WARMING_UP`,
/// `poll 200 processing`, `poll no-reply`. Two runs that saw the same thing have the same
/// signatures.
pub fn signature(ex: &Exchange) -> String {
    let on = Endpoint::classify(&ex.method, &ex.path).map_or("other", Endpoint::as_str);
    let Some(status) = ex.status else {
        return format!("{on} no-reply");
    };
    let what = match &ex.code {
        Some(c) => c.to_string(),
        None => ex
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str::<Value>(b).ok())
            .and_then(|v| {
                let st = v.get("status")?.as_str()?.to_string();
                let code = v.pointer("/error/code").and_then(Value::as_str);
                Some(match code {
                    Some(c) => format!("{st} {c}"),
                    None => st,
                })
            })
            .unwrap_or_default(),
    };
    format!("{on} {status} {what}").trim_end().to_string()
}

/// How fast a replay runs: `Times(n)` divides every wait by `n` (1 = as the original);
/// `Max` does not wait at all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReplaySpeed {
    /// Every wait divided by this (at least 1).
    Times(f64),
    /// No waits.
    Max,
}

impl Default for ReplaySpeed {
    fn default() -> Self {
        ReplaySpeed::Times(1.0)
    }
}

impl ReplaySpeed {
    /// The factor the engine's waits are divided by (`f64::INFINITY` for `Max`).
    pub fn factor(self) -> f64 {
        match self {
            ReplaySpeed::Times(n) => n.max(1.0),
            ReplaySpeed::Max => f64::INFINITY,
        }
    }

    /// The in-process simulator's settings at this speed: the documented limits scaled like
    /// the engine's clock, so a replay that leaves the script meets the service's rules at the
    /// same pace as the original would have. (The scripted `raw` answers come before any
    /// gate or key check.)
    pub fn sim_config(self) -> SimConfig {
        let scale = match self {
            ReplaySpeed::Times(n) => n.max(1.0),
            // "No waits": every time of the model shrinks to (next to) nothing.
            ReplaySpeed::Max => 1e6,
        };
        SimConfig::default().time_scaled(scale)
    }
}

impl std::fmt::Display for ReplaySpeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplaySpeed::Max => f.write_str("max"),
            ReplaySpeed::Times(n) if n.fract() == 0.0 => write!(f, "{n:.0}×"),
            ReplaySpeed::Times(n) => write!(f, "{n}×"),
        }
    }
}

impl std::str::FromStr for ReplaySpeed {
    type Err = String;

    /// `max`, or a number of at least 1 (`10`, `10x`, `2.5`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        if t == "max" {
            return Ok(ReplaySpeed::Max);
        }
        let n: f64 = t
            .trim_end_matches(['x', '×'])
            .parse()
            .map_err(|_| format!("{s:?} is not a speed: use a number like 10, or max"))?;
        if !n.is_finite() || n < 1.0 {
            return Err(format!(
                "{s:?}: a replay runs at least at the original's speed (1), or at max"
            ));
        }
        Ok(ReplaySpeed::Times(n))
    }
}

/// How to replay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplayOptions {
    /// The replay's budget on the engine's clock (the original's waits count in full).
    pub max_wait: Duration,
    /// How fast.
    pub speed: ReplaySpeed,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            max_wait: crate::engine::job::DEFAULT_MAX_WAIT,
            speed: ReplaySpeed::default(),
        }
    }
}

/// True when two waits are the same decision: the same reason, and the same seconds up to
/// the engine's jitter (a back-off adds up to [`JITTER_FRACTION`] of random jitter, which no
/// log records; waits from a server hint or the poll schedule are equal to the millisecond).
pub fn same_wait(a: Option<&ChosenWait>, b: Option<&ChosenWait>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            let (lo, hi) = if a.seconds <= b.seconds {
                (a.seconds, b.seconds)
            } else {
                (b.seconds, a.seconds)
            };
            a.reason == b.reason && hi <= lo * (1.0 + JITTER_FRACTION) + 0.001
        }
        _ => false,
    }
}

fn wait_words(w: Option<&ChosenWait>) -> String {
    match w {
        Some(w) => format!(
            "waited {:.1} s ({})",
            w.seconds,
            crate::guidance::wait_reason(w.reason)
        ),
        None => "no wait".into(),
    }
}

/// The total of the waits a log chose, in seconds.
pub fn total_wait_secs(exchanges: &[Exchange]) -> f64 {
    exchanges
        .iter()
        .filter_map(|e| e.wait.as_ref())
        .map(|w| w.seconds)
        .sum()
}

/// For each answered exchange of `record`: whether a job ended right after it with more of
/// the run still to come (the run was resumed later). Such an exchange has no wait of its own.
fn stopped_after_each(record: &RunRecord) -> Vec<bool> {
    let answered: Vec<&Exchange> = record.exchanges.iter().filter(|e| !e.interrupted).collect();
    let ends: Vec<chrono::DateTime<chrono::Utc>> = record
        .events
        .iter()
        .filter(|e| matches!(e.event, JobEvent::Finished(_)))
        .map(|e| e.at)
        .collect();
    answered
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let Some(next) = answered.get(i + 1) else {
                return false;
            };
            e.wait.is_none() && ends.iter().any(|&end| end >= e.at && end <= next.at)
        })
        .collect()
}

/// What a replay did, next to what the original run did.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayReport {
    /// How the replay ended.
    pub outcome: Outcome,
    /// How the original ended (from the bundle), if it ended.
    pub original: Option<Outcome>,
    /// [`signature`]s of the original's exchanges.
    pub original_sequence: Vec<String>,
    /// [`signature`]s of the replay's exchanges.
    pub replayed_sequence: Vec<String>,
    /// The waits the original chose after each of its exchanges (as recorded: unscaled).
    pub original_waits: Vec<Option<ChosenWait>>,
    /// The waits the replay chose after each of its exchanges (recorded unscaled too, so
    /// they compare with the original's at any speed).
    pub replayed_waits: Vec<Option<ChosenWait>>,
    /// For each of the original's exchanges: true when the original job ended right after it
    /// (cancelled, or out of time) and the run was resumed later. It chose no wait there, so
    /// whatever the replay waits at that point is not compared.
    pub original_stopped: Vec<bool>,
    /// The replay's own request log.
    pub exchanges: Vec<Exchange>,
    /// Scripted answers the replay never asked for (0 when it followed the same path).
    pub steps_left: usize,
    /// How fast it ran.
    pub speed: ReplaySpeed,
    /// How long the replay took (wall time).
    pub elapsed: Duration,
}

impl ReplayReport {
    /// True when the replay made the same exchanges, chose the same waits after them (see
    /// [`same_wait`]) and ended the same way.
    pub fn matches(&self) -> bool {
        self.original_sequence == self.replayed_sequence
            && self.same_waits()
            && self.steps_left == 0
            && self.original.as_ref().is_none_or(|o| *o == self.outcome)
    }

    fn same_waits(&self) -> bool {
        self.original_waits.len() == self.replayed_waits.len()
            && self
                .original_waits
                .iter()
                .zip(&self.replayed_waits)
                .enumerate()
                .all(|(i, (a, b))| self.stopped_after(i) || same_wait(a.as_ref(), b.as_ref()))
    }

    fn stopped_after(&self, i: usize) -> bool {
        self.original_stopped.get(i).copied().unwrap_or(false)
    }

    /// Where the two runs first differ — a response, or the wait chosen after it — in words
    /// (`None` when the sequences and waits match).
    pub fn first_difference(&self) -> Option<String> {
        let n = self
            .original_sequence
            .len()
            .max(self.replayed_sequence.len());
        (0..n).find_map(|i| {
            let a = self.original_sequence.get(i);
            let b = self.replayed_sequence.get(i);
            if a != b {
                return Some(format!(
                    "exchange {}: original {}, replay {}",
                    i + 1,
                    a.map_or("(none)", String::as_str),
                    b.map_or("(none)", String::as_str)
                ));
            }
            let wa = self.original_waits.get(i).and_then(Option::as_ref);
            let wb = self.replayed_waits.get(i).and_then(Option::as_ref);
            (!self.stopped_after(i) && !same_wait(wa, wb)).then(|| {
                format!(
                    "after exchange {} ({}): the original {}, the replay {}",
                    i + 1,
                    a.map_or("(none)", String::as_str),
                    wait_words(wa),
                    wait_words(wb)
                )
            })
        })
    }

    /// The sum of the original's waits, in seconds (what a replay at 1× sleeps).
    pub fn original_wait_secs(&self) -> f64 {
        self.original_waits
            .iter()
            .flatten()
            .map(|w| w.seconds)
            .sum()
    }
}

/// Writes a placeholder WAV (silence, 16-bit mono 8 kHz) that passes the local checks, for
/// bundles without the recording: the scripted answers do not depend on the audio.
pub fn write_placeholder_wav(path: &Path, seconds: u32) -> Result<(), SupportError> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let err = |e: hound::Error| SupportError::io(path, std::io::Error::other(e.to_string()));
    let mut w = hound::WavWriter::create(path, spec).map_err(err)?;
    {
        let mut i16s = w.get_i16_writer(seconds * 8000);
        for _ in 0..seconds * 8000 {
            i16s.write_sample(0);
        }
        i16s.flush().map_err(err)?;
    }
    w.finalize().map_err(err)
}

/// The audio to submit in a replay: the bundled recording, or a placeholder.
fn replay_audio(bundle: &Bundle, scratch: &Path) -> Result<PathBuf, SupportError> {
    std::fs::create_dir_all(scratch).map_err(|e| SupportError::io(scratch, e))?;
    if let Some((name, bytes)) = &bundle.recording {
        // Only a plain file name inside `scratch`: never a path that leaves it.
        let safe: String = name
            .chars()
            .map(|c| {
                if c == '/' || c == '\\' || c.is_control() {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        let safe = match safe.trim_matches('.') {
            "" => "recording".to_string(),
            _ => safe,
        };
        let path = scratch.join(safe);
        std::fs::write(&path, bytes).map_err(|e| SupportError::io(&path, e))?;
        return Ok(path);
    }
    let path = scratch.join("placeholder.wav");
    // Just over the 3-minute minimum: the length the API checks is the only property used.
    write_placeholder_wav(&path, 181)?;
    Ok(path)
}

/// Replays a bundle through an in-process simulator. `scratch` holds the audio submitted
/// (the bundled recording or a placeholder); `sink` sees the replay's events as they happen.
pub async fn replay(
    bundle: &Bundle,
    scratch: &Path,
    opts: ReplayOptions,
    sink: EventSink,
    cancel: CancellationToken,
) -> Result<ReplayReport, SupportError> {
    let started = std::time::Instant::now();
    let record = &bundle.record;
    let scenario = scenario_for_record(record);
    let steps_total = scenario.steps.len();
    let sim = Simulator::start(opts.speed.sim_config().with_scenario(scenario)).await?;
    let job_options = JobOptions {
        max_wait: opts.max_wait,
        speed: opts.speed.factor(),
        account: None,
    };
    let client = ApiClient::new(&sim.base_url(), ApiKey::new(sim.api_key()))
        .map_err(|e| SupportError::Client(e.to_string()))?;
    let seen: Arc<Mutex<Vec<Exchange>>> = Arc::default();
    let log = Arc::clone(&seen);
    let tee: EventSink = Arc::new(move |e: JobEvent| {
        if let JobEvent::Exchange(ex) = &e
            && let Ok(mut l) = log.lock()
        {
            l.push(ex.clone());
        }
        sink(e);
    });
    let submitted = record
        .exchanges
        .iter()
        .any(|e| e.step == EngineStep::Submit);
    let outcome = match (&record.run_id, submitted) {
        (Some(run_id), false) => {
            let start = Start::Resume {
                run_id: run_id.clone(),
            };
            run(client, start, job_options, None, tee, cancel).await
        }
        _ => {
            let spec = JobSpec {
                file: replay_audio(bundle, scratch)?,
                language: record.language.clone().unwrap_or_else(|| "en".into()),
                external_id: record.external_id.clone(),
                metadata: record.metadata.as_ref().map(Value::to_string),
                local_id: None,
                work_dir: None,
                original: None,
            };
            run(client, Start::Submit(spec), job_options, None, tee, cancel).await
        }
    };
    // A replay keeps no history record of its own: it reports the original's local id.
    let outcome = Outcome {
        local_id: record.outcome.as_ref().and_then(|o| o.local_id.clone()),
        ..outcome
    };
    let steps_left = sim.scenario_steps_left();
    sim.shutdown().await;
    let exchanges = seen.lock().map(|l| l.clone()).unwrap_or_default();
    tracing::debug!(
        "replayed {} exchanges over {steps_total} steps",
        exchanges.len()
    );
    let answered = || record.exchanges.iter().filter(|e| !e.interrupted);
    Ok(ReplayReport {
        original: record.full_outcome(),
        original_sequence: answered().map(signature).collect(),
        replayed_sequence: exchanges.iter().map(signature).collect(),
        original_waits: answered().map(|e| e.wait.clone()).collect(),
        replayed_waits: exchanges.iter().map(|e| e.wait.clone()).collect(),
        original_stopped: stopped_after_each(record),
        exchanges,
        steps_left,
        outcome,
        speed: opts.speed,
        elapsed: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::Respond;

    fn ex(method: &str, path: &str, status: Option<u16>, body: &str) -> Exchange {
        Exchange {
            at: chrono::Utc::now(),
            step: EngineStep::Poll,
            method: method.into(),
            path: path.into(),
            status,
            code: None,
            request_id: None,
            run_id: None,
            attempt: 1,
            wait: None,
            decision: String::new(),
            latency_ms: 1,
            bytes_sent: 0,
            bytes_received: 0,
            body: (!body.is_empty()).then(|| body.to_string()),
            body_truncated: false,
            retry_after: None,
            error: None,
            simulated: true,
            interrupted: false,
            request_headers: Vec::new(),
            form: None,
            response_headers: Vec::new(),
        }
    }

    #[test]
    fn exchanges_become_raw_steps_and_dropped_replies() {
        let mut warm = ex(
            "POST",
            "/api/v1/speech/analyze",
            Some(503),
            r#"{"error":{"code":"SERVICE_WARMING_UP"}}"#,
        );
        warm.retry_after = Some(1);
        let lost = ex("GET", "/api/v1/speech/analyze/req_1", None, "");
        let html = ex(
            "GET",
            "/api/v1/speech/analyze/req_1",
            Some(502),
            "<html>bad</html>",
        );
        let s = scenario_from_exchanges("t", &[warm.clone(), warm, lost.clone(), lost, html]);
        assert_eq!(s.steps.len(), 3, "{s:?}");
        assert_eq!(s.steps[0].on, Endpoint::Submit);
        assert_eq!(s.steps[0].respond, Respond::Raw);
        assert_eq!(s.steps[0].repeat, 2);
        assert_eq!(s.steps[0].status, Some(503));
        assert_eq!(s.steps[0].headers["retry-after"], "1");
        assert_eq!(s.steps[1].respond, Respond::Drop);
        assert_eq!(s.steps[1].repeat, 2);
        assert_eq!(s.steps[2].headers["content-type"], "text/html");
        let back = Scenario::from_toml_str(&s.to_toml_string().expect("toml")).expect("parse");
        assert_eq!(back, s);
    }

    #[test]
    fn speeds_parse_and_print() {
        assert_eq!("max".parse::<ReplaySpeed>(), Ok(ReplaySpeed::Max));
        assert_eq!("10".parse::<ReplaySpeed>(), Ok(ReplaySpeed::Times(10.0)));
        assert_eq!("2.5x".parse::<ReplaySpeed>(), Ok(ReplaySpeed::Times(2.5)));
        assert!("0.5".parse::<ReplaySpeed>().is_err(), "never slower");
        assert!("fast".parse::<ReplaySpeed>().is_err());
        assert_eq!(ReplaySpeed::Times(10.0).to_string(), "10×");
        assert_eq!(ReplaySpeed::Max.factor(), f64::INFINITY);
    }

    #[test]
    fn waits_match_up_to_the_jitter_only() {
        use crate::engine::policy::WaitReason;
        let w = |seconds, reason| ChosenWait { seconds, reason };
        let warm = w(600.0, WaitReason::WarmingUp);
        assert!(same_wait(Some(&warm), Some(&warm.clone())));
        assert!(same_wait(
            Some(&w(30.0, WaitReason::WarmingUp)),
            Some(&w(35.9, WaitReason::WarmingUp))
        ));
        assert!(!same_wait(
            Some(&w(30.0, WaitReason::WarmingUp)),
            Some(&w(60.0, WaitReason::WarmingUp))
        ));
        assert!(!same_wait(
            Some(&warm),
            Some(&w(600.0, WaitReason::RateLimited))
        ));
        assert!(!same_wait(Some(&warm), None));
        assert!(same_wait(None, None));
    }

    #[test]
    fn signatures_name_status_and_code() {
        let mut e = ex("POST", "/api/v1/speech/analyze", Some(503), "{}");
        e.code = Some(crate::api::codes::ErrorCode::ServiceWarmingUp);
        assert_eq!(signature(&e), "submit 503 SERVICE_WARMING_UP");
        let p = ex(
            "GET",
            "/api/v1/speech/analyze/req_1",
            Some(200),
            r#"{"id":"req_1","status":"failed","error":{"code":"STUCK_TIMEOUT"}}"#,
        );
        assert_eq!(signature(&p), "poll 200 failed STUCK_TIMEOUT");
        assert_eq!(
            signature(&ex("GET", "/api/v1/speech/analyze/x", None, "")),
            "poll no-reply"
        );
    }
}
