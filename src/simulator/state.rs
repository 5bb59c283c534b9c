//! Everything the simulator remembers: runs, the credit ledger, per-key rate windows, the
//! scenario script and the request log; and the clock-driven moves between run phases.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::config::{KeyConfig, SimConfig};
use super::ledger::{self, Ledger};
use super::runs::{Ending, Phase, Run};
use super::scenario::{Endpoint, Respond, Script};
use super::scoring::Features;

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
    /// The fault injected, if any (`drop`, `html_502`, `empty_body`, `slow`...).
    pub fault: Option<String>,
    /// The scenario step that answered (`endpoint:respond`), if any.
    pub step: Option<String>,
}

/// The mutable part, behind one lock (every operation is short and never awaits).
#[derive(Debug)]
pub struct Inner {
    pub runs: Vec<Run>,
    pub ledger: Ledger,
    rate: HashMap<String, VecDeque<Instant>>,
    pub script: Script,
    pub requests: Vec<RecordedRequest>,
}

/// State shared by every handler and the ticker.
#[derive(Debug)]
pub struct Shared {
    pub cfg: SimConfig,
    pub started: Instant,
    inner: Mutex<Inner>,
}

impl Shared {
    /// Fresh state for a config.
    pub fn new(cfg: SimConfig) -> Arc<Self> {
        let script = Script::new(cfg.scenario.as_ref());
        Arc::new(Self {
            inner: Mutex::new(Inner {
                runs: Vec::new(),
                ledger: Ledger::new(cfg.credits),
                rate: HashMap::new(),
                script,
                requests: Vec::new(),
            }),
            cfg,
            started: Instant::now(),
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

    /// Seconds left in the warm-up window, if still warming up.
    pub fn warming_up(&self, now: Instant) -> Option<Duration> {
        let w = self.cfg.warmup?;
        let end = self.started + w;
        (now < end).then(|| end - now)
    }

    /// Counts a submit against the key's per-minute limit; `Err(secs)` to wait when over it.
    pub fn check_rate(&self, key: &KeyConfig, now: Instant) -> Result<(), u64> {
        let limit = key.rate_per_minute.unwrap_or(self.cfg.rate_per_minute) as usize;
        let mut inner = self.lock();
        let window = inner.rate.entry(key.key.clone()).or_default();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            window.pop_front();
        }
        if window.len() >= limit {
            let oldest = window.front().copied().unwrap_or(now);
            let wait = Duration::from_secs(60).saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs_f64().ceil().max(1.0) as u64);
        }
        window.push_back(now);
        Ok(())
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
