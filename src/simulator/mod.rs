//! A local ZenHire Speech API: the app's demo mode, the test bed, and support's replay engine.
//!
//! It enforces the documented rules (keys, validation order, credits with holds, per-minute
//! rate limit, concurrency cap with a FIFO queue, the per-run poll gate, warm-up) and scores
//! audio deterministically from its sound. A [`Scenario`] scripts what the next requests get:
//! any documented code at the step where the real API produces it, exact recorded responses,
//! and raw faults. Every response carries `x-zenhire-simulator: 1`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), speech_scorer::simulator::SimError> {
//! use speech_scorer::simulator::{SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig::fast()).await?;
//! println!("{} with key {}", sim.base_url(), sim.api_key());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod auth;
mod config;
pub mod contract;
mod disruption;
mod faults;
pub mod hostile;
mod ledger;
mod listing;
mod net;
mod poll;
mod routes;
mod runs;
mod scenario;
mod scoring;
mod state;
mod stats;
mod submit;
mod upload;
mod validation;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{DEFAULT_DEMO_KEY, KeyConfig, MAX_FILE_BYTES, SimConfig};
pub use disruption::{Disruption, DisruptionKind, Scope};
pub use ledger::{cost_for, partial_charge};
pub use scenario::{
    Dimension, Endpoint, Expect, Respond, Scenario, ScenarioConfig, ScenarioError, Step,
};
pub use scoring::{Features, Scores, cefr, percent};
pub use state::RecordedRequest;
pub use stats::{CreditStats, KeyStats, SimStats, Throttles, masked as masked_key};
pub use upload::BODY_CAP;
pub use wire::SIMULATOR_HEADER;

use net::{ConnTag, KillableListener};
use state::Shared;

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The address is taken or not allowed.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// `SimConfig::keys` is empty.
    #[error("the simulator config has no API key")]
    NoKeys,
}

/// Starts simulators.
pub struct Simulator;

impl Simulator {
    /// Binds `cfg.bind` and serves until the handle is shut down or dropped.
    pub async fn start(mut cfg: SimConfig) -> Result<SimHandle, SimError> {
        if cfg.keys.is_empty() {
            return Err(SimError::NoKeys);
        }
        // With no slot at all, queued runs would never start.
        cfg.concurrency = cfg.concurrency.max(1);
        let bind = cfg.bind;
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|source| SimError::Bind { addr: bind, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SimError::Bind { addr: bind, source })?;
        let api_key = cfg.keys[0].key.clone();
        let shared = Shared::new(cfg);
        let app = routes::router(shared.clone());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let service = app.into_make_service_with_connect_info::<ConnTag>();
            let _ = axum::serve(KillableListener(listener), service)
                .with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                })
                .await;
        });
        // Runs start and finish on the clock even when nobody polls.
        let ticking = shared.clone();
        let ticker = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(100));
            loop {
                every.tick().await;
                ticking.tick(Instant::now());
            }
        });
        Ok(SimHandle {
            addr,
            api_key,
            shared,
            stop: Some(stop_tx),
            server: Some(server),
            ticker,
        })
    }
}

/// A running simulator. Dropping it stops the server.
pub struct SimHandle {
    addr: SocketAddr,
    api_key: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    ticker: JoinHandle<()>,
}

impl SimHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, to use as the client's base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The default key (the first configured key).
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// Every request answered so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// The credit balance (holds not subtracted).
    pub fn credits_balance(&self) -> u64 {
        self.shared.lock().ledger.balance()
    }

    /// Credits held for runs in flight.
    pub fn credits_held(&self) -> u64 {
        self.shared.lock().ledger.held()
    }

    /// Balance minus holds.
    pub fn credits_available(&self) -> u64 {
        self.shared.lock().ledger.available()
    }

    /// How many runs exist (any status, any key).
    pub fn run_count(&self) -> usize {
        self.shared.lock().runs.len()
    }

    /// Everything counted so far: rate per key, 429s by cause, most runs processing at
    /// once, runs per externalId, credits (also served as `GET /__sim/stats`).
    pub fn stats(&self) -> SimStats {
        self.shared.stats()
    }

    /// Scenario step repetitions not yet played.
    pub fn scenario_steps_left(&self) -> usize {
        self.shared.lock().script.remaining()
    }

    /// Replaces the steps still to be played with `scenario`'s steps (its `[config]` is not
    /// applied: the server is already running). Lets a running demo or test switch scripts.
    pub fn play(&self, scenario: &Scenario) {
        self.shared.lock().script = scenario::Script::new(Some(scenario));
    }

    /// The scenario given at start, if any.
    pub fn scenario(&self) -> Option<&Scenario> {
        self.shared.cfg.scenario.as_ref()
    }

    /// Stops accepting connections and waits (briefly) for open requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), server)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        self.ticker.abort();
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
        self.ticker.abort();
    }
}
