//! Everything the simulator remembers: runs, the credit ledger, per-key rate windows, the
//! scenario script and the request log; and the clock-driven moves between run phases.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::response::{IntoResponse as _, Response};
use tokio::sync::Semaphore;

use super::config::{KeyConfig, SimConfig};
use super::disruption::{Disruption, DisruptionKind, Scope};
use super::ledger::{self, Ledger};
use super::runs::{Ending, Phase, Run};
use super::scenario::{Endpoint, Respond, Script};
use super::scoring::Features;
use super::stats::{Counters, CreditStats, SimStats};
use super::wire::{ApiError, Note, with_note};

/// Uploads read into memory at once (each at most `upload::BODY_CAP`); more wait their turn.
const UPLOADS_IN_MEMORY: usize = 8;
/// A rate log never holds more instants than this per key (a hot loop cannot grow it).
const RATE_LOG_CAP: usize = 1_000_000;

/// One request the simulator answered, for tests and support tooling.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, e.g. `/api/v1/speech/analyze/req_...`.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The HTTP status sent; 0 when the connection was dropped without a reply.
    pub status: u16,
    /// `error.code` of an envelope or failed run.
    pub code: Option<String>,
    /// The run the request created or polled.
    pub run_id: Option<String>,
    /// When the response was finished.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The fault injected, if any (`drop`, `html_502`, `empty_body`, `slow`, or the
    /// disruption under way: `warming_up`, `rate_limit_storm`).
    pub fault: Option<String>,
    /// The scenario step that answered (`endpoint:respond`), if any.
    pub step: Option<String>,
}

/// What the request log knows about a request when it arrives (a request extension).
#[derive(Debug, Clone, Default)]
pub struct Arrival {
    /// Requests the key made in the rate window up to and including this one; 0 when the
    /// request carries no known key.
    pub in_window: usize,
}

/// The mutable part, behind one lock (every operation is short and never awaits).
#[derive(Debug)]
pub struct Inner {
    pub runs: Vec<Run>,
    pub ledger: Ledger,
    rate: HashMap<String, VecDeque<Instant>>,
    pub script: Script,
    pub requests: Vec<RecordedRequest>,
    pub(crate) counters: Counters,
    /// When each of `Shared::disruptions` began (`None`: not yet).
    disruption_began: Vec<Option<Instant>>,
}

/// State shared by every handler and the ticker.
#[derive(Debug)]
pub struct Shared {
    pub cfg: SimConfig,
    /// `cfg.disruptions`, plus `cfg.warmup` as a warm-up of submits from the start.
    disruptions: Vec<Disruption>,
    /// Turns to hold an upload in memory.
    pub uploads: Arc<Semaphore>,
    inner: Mutex<Inner>,
}

impl Shared {
    /// Fresh state for a config.
    pub fn new(cfg: SimConfig) -> Arc<Self> {
        let script = Script::new(cfg.scenario.as_ref());
        let mut disruptions = cfg.disruptions.clone();
        if let Some(w) = cfg.warmup {
            let mut d = Disruption::new(DisruptionKind::WarmingUp, 0, w);
            d.scope = Some(Scope::Submit);
            disruptions.push(d);
        }
        let started = Instant::now();
        let disruption_began = disruptions
            .iter()
            .map(|d| (d.after_runs == 0).then_some(started))
            .collect();
        Arc::new(Self {
            inner: Mutex::new(Inner {
                runs: Vec::new(),
                ledger: Ledger::new(cfg.credits),
                rate: HashMap::new(),
                script,
                requests: Vec::new(),
                counters: Counters::default(),
                disruption_began,
            }),
            disruptions,
            uploads: Arc::new(Semaphore::new(UPLOADS_IN_MEMORY)),
            cfg,
        })
    }

    /// The lock; a panic elsewhere while holding it does not make the state unusable.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The key config for a secret.
    pub fn key(&self, secret: &str) -> Option<&KeyConfig> {
        self.cfg.keys.iter().find(|k| k.key == secret)
    }

    /// The rate limit of a key.
    fn limit_of(&self, key: &KeyConfig) -> usize {
        key.rate_per_minute.unwrap_or(self.cfg.rate_per_minute) as usize
    }

    /// Counts a request that carries a known key (every endpoint, before any answer):
    /// returns how many the key made in the window up to and including this one.
    pub fn count_request(&self, key: &KeyConfig, now: Instant) -> usize {
        let window = self.cfg.rate_window;
        let mut inner = self.lock();
        let log = inner.rate.entry(key.key.clone()).or_default();
        while log
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            log.pop_front();
        }
        if log.len() >= RATE_LOG_CAP {
            log.pop_front();
        }
        log.push_back(now);
        let in_window = log.len();
        inner.counters.key_request(&key.key, in_window);
        in_window
    }

    /// 429 `RATE_LIMIT_EXCEEDED` when this request took the key over its rate, with the
    /// wait until one more request fits in the window.
    pub fn over_rate(&self, key: &KeyConfig, arrival: &Arrival, now: Instant) -> Option<Response> {
        let limit = self.limit_of(key);
        if arrival.in_window <= limit {
            return None;
        }
        let inner = self.lock();
        let log = inner.rate.get(&key.key)?;
        // Once the entry at this index leaves the window, `limit - 1` remain: room for one.
        let expiring = log.len().saturating_sub(limit);
        let oldest = log.get(expiring).copied().unwrap_or(now);
        let wait = self
            .cfg
            .rate_window
            .saturating_sub(now.duration_since(oldest));
        let secs = (wait.as_secs_f64().ceil() as u64).max(1);
        Some(
            ApiError::new("RATE_LIMIT_EXCEEDED")
                .retry_after(secs)
                .into_response(),
        )
    }

    /// The rate check of endpoints other than submit, when the config refuses there too.
    pub fn over_rate_elsewhere(
        &self,
        key: &KeyConfig,
        arrival: &Arrival,
        now: Instant,
    ) -> Option<Response> {
        (self.cfg.rate_limit_scope == Scope::All)
            .then(|| self.over_rate(key, arrival, now))
            .flatten()
    }

    /// The refusal of a warm-up or storm under way for this kind of request, if any.
    pub fn disrupted(&self, is_submit: bool, now: Instant) -> Option<Response> {
        let inner = self.lock();
        self.disruptions
            .iter()
            .zip(&inner.disruption_began)
            .filter(|(d, _)| d.scope().covers(is_submit))
            .find_map(|(d, began)| {
                let left = d.left_in_burst((*began)?, now)?;
                let secs = d.retry_after_secs(left, self.cfg.retry_after_secs.max(1));
                let resp = ApiError::new(d.kind.code())
                    .retry_after(secs)
                    .into_response();
                Some(with_note(
                    resp,
                    Note {
                        fault: Some(d.kind.label().to_string()),
                        ..Note::default()
                    },
                ))
            })
    }

    /// Adds a run just accepted: counts it, starts disruptions due after this many runs.
    pub fn add_run(&self, inner: &mut Inner, run: Run, now: Instant) {
        inner.counters.run_created(run.external_id.as_deref());
        inner.runs.push(run);
        let created = inner.counters.runs_created;
        for (d, began) in self
            .disruptions
            .iter()
            .zip(inner.disruption_began.iter_mut())
        {
            if began.is_none() && d.after_runs <= created {
                *began = Some(now);
            }
        }
        inner.note_load();
    }

    /// Everything counted so far.
    pub fn stats(&self) -> SimStats {
        let inner = self.lock();
        let c = &inner.counters;
        let mut keys: Vec<_> = c.by_key.values().cloned().collect();
        keys.sort_by(|a, b| a.key.cmp(&b.key));
        let queued_now = inner
            .runs
            .iter()
            .filter(|r| matches!(r.phase, Phase::Queued))
            .count();
        SimStats {
            requests: c.requests,
            submits: c.submits,
            polls: c.polls,
            lookups: c.lookups,
            rate_limit: self.cfg.rate_per_minute,
            rate_window_secs: self.cfg.rate_window.as_secs_f64(),
            max_requests_per_window: keys.iter().map(|k| k.max_in_window).max().unwrap_or(0),
            keys,
            throttled: c.throttled,
            self_inflicted_429s: c.throttled.self_inflicted(),
            warming_up_503s: c.warming_up,
            concurrency_cap: self.cfg.concurrency,
            processing_now: inner.active(),
            queued_now,
            max_processing: c.max_processing,
            max_queued: c.max_queued,
            runs_created: c.runs_created,
            runs_per_external_id: c.per_external_id.clone(),
            runs_without_external_id: c.without_external_id,
            duplicate_external_ids: c
                .per_external_id
                .iter()
                .filter(|(_, n)| **n > 1)
                .map(|(id, _)| id.clone())
                .collect(),
            credits: CreditStats {
                balance: inner.ledger.balance(),
                held: inner.ledger.held(),
                available: inner.ledger.available(),
                charged: inner.ledger.charged_total(),
                max_held: c.max_held,
            },
        }
    }

    /// Moves runs along: finishes processing runs whose time is up, starts queued runs FIFO.
    pub fn tick(&self, now: Instant) {
        let mut inner = self.lock();
        inner.tick(&self.cfg, now);
    }

    /// Stores the analysis of a run's audio.
    pub fn set_analysis(&self, run_id: &str, analysis: Result<Features, String>) {
        let mut inner = self.lock();
        if let Some(run) = inner.runs.iter_mut().find(|r| r.id == run_id) {
            run.analysis = Some(analysis);
        }
    }
}

impl Inner {
    /// Runs currently processing.
    pub fn active(&self) -> usize {
        self.runs
            .iter()
            .filter(|r| matches!(r.phase, Phase::Processing { .. }))
            .count()
    }

    /// 1-based position among queued runs.
    pub fn queue_position(&self, run_id: &str) -> Option<u32> {
        self.runs
            .iter()
            .filter(|r| matches!(r.phase, Phase::Queued))
            .position(|r| r.id == run_id)
            .map(|p| p as u32 + 1)
    }

    /// Updates the most-processing / most-queued / most-held marks.
    pub fn note_load(&mut self) {
        let processing = self.active();
        let queued = self
            .runs
            .iter()
            .filter(|r| matches!(r.phase, Phase::Queued))
            .count();
        let held = self.ledger.held();
        let c = &mut self.counters;
        c.max_processing = c.max_processing.max(processing);
        c.max_queued = c.max_queued.max(queued);
        c.max_held = c.max_held.max(held);
    }

    /// True while the script still decides when runs end (its poll steps script states).
    fn script_holds_runs(&self) -> bool {
        self.script.has_pending(Endpoint::Poll, |s| {
            matches!(
                s.respond,
                Respond::Queued
                    | Respond::Processing
                    | Respond::Success
                    | Respond::Partial
                    | Respond::Failed
            )
        })
    }

    pub fn tick(&mut self, cfg: &SimConfig, now: Instant) {
        if !self.script_holds_runs() {
            let due: Vec<usize> = self
                .runs
                .iter()
                .enumerate()
                .filter(|(_, r)| match r.phase {
                    Phase::Processing { since } => {
                        now.duration_since(since) >= cfg.processing_for(r.duration)
                            && r.analysis.is_some()
                    }
                    _ => false,
                })
                .map(|(i, _)| i)
                .collect();
            for i in due {
                let ending = match &self.runs[i].analysis {
                    Some(Ok(f)) if !f.is_silent() => Ending::Success,
                    Some(Ok(_)) => Ending::Failed {
                        code: "TRANSCRIPTION_FAILED".into(),
                        message: "No speech was detected in the audio.".into(),
                    },
                    _ => Ending::Failed {
                        code: "TRANSCRIPTION_FAILED".into(),
                        message: "The audio could not be decoded for transcription.".into(),
                    },
                };
                self.finish(i, &ending, now);
            }
        }
        let mut active = self.active();
        for run in self.runs.iter_mut() {
            if active >= cfg.concurrency {
                break;
            }
            if matches!(run.phase, Phase::Queued) {
                run.phase = Phase::Processing { since: now };
                active += 1;
            }
        }
        self.note_load();
    }

    /// Ends run `i`: settles its credits and fixes its terminal body.
    pub fn finish(&mut self, i: usize, ending: &Ending, now: Instant) {
        let (id, cost) = (self.runs[i].id.clone(), self.runs[i].cost);
        let deducted = match ending {
            Ending::Success => self.ledger.charge(&id, cost),
            Ending::Partial(dims) => self
                .ledger
                .charge(&id, ledger::partial_charge(cost, dims.len())),
            Ending::Failed { .. } => {
                self.ledger.release(&id);
                0
            }
        };
        let balance = self.ledger.balance();
        let run = &mut self.runs[i];
        run.result = Some(run.terminal_body(ending, deducted, balance, now));
        run.phase = Phase::Done;
    }
}
