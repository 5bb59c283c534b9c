//! How a simulator instance behaves: keys, credits, limits, timings and an optional scenario.
//!
//! `SimConfig::default()` follows the documented service defaults (10 s poll gate, 8
//! concurrent runs, 500 requests a minute) with processing shortened to ~15 s;
//! `SimConfig::fast()` shrinks every wait to about a second for tests.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::scenario::Scenario;

/// The key `SimConfig::default()` accepts when no other key is configured.
pub const DEFAULT_DEMO_KEY: &str = "zh_api_simulator_demo_key";

/// The largest upload the service accepts (25 MB).
pub const MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;

/// One API key the simulator knows, and what is wrong with it (if anything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyConfig {
    /// The secret sent in `X-API-Key` or `Authorization: Bearer`.
    pub key: String,
    /// Past its expiry date: every call gets 401 `API_KEY_EXPIRED`.
    pub expired: bool,
    /// The account behind the key is disabled: 401 `CLIENT_INACTIVE`.
    pub inactive: bool,
    /// May submit non-English audio; otherwise 403 `MULTILINGUAL_NOT_ENABLED`.
    pub multilingual: bool,
    /// The account has the `speech` module permission; otherwise 403 `MISSING_PERMISSION`.
    pub speech_permission: bool,
    /// When not empty, only these caller addresses are allowed (403 `IP_NOT_ALLOWED`).
    pub allowed_ips: Vec<IpAddr>,
    /// Per-key submit rate limit; `None` uses `SimConfig::rate_per_minute`.
    pub rate_per_minute: Option<u32>,
}

impl KeyConfig {
    /// A healthy key with multilingual access and no restrictions.
    pub fn new(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            expired: false,
            inactive: false,
            multilingual: true,
            speech_permission: true,
            allowed_ips: Vec::new(),
            rate_per_minute: None,
        }
    }
}

/// Everything that shapes one simulator instance.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free port.
    pub bind: SocketAddr,
    /// Accepted keys; the first is the "default key" reported by `SimHandle::api_key`.
    pub keys: Vec<KeyConfig>,
    /// Starting credit balance shared by all keys (one client, one ledger).
    pub credits: u64,
    /// Minimum interval between polls of one non-terminal run (`POLL_RATE_LIMITED` below it).
    pub poll_min_interval: Duration,
    /// `pollIntervalSeconds` and `Retry-After` sent on non-terminal responses.
    pub poll_interval_hint_secs: u64,
    /// How long a run stays `processing` once it has a slot.
    pub processing_time: Duration,
    /// Runs processed at once per client; later submits are `queued` (FIFO).
    pub concurrency: usize,
    /// Submits allowed per key per minute (`RATE_LIMIT_EXCEEDED` beyond).
    pub rate_per_minute: u32,
    /// Submits get 503 `SERVICE_WARMING_UP` for this long after start.
    pub warmup: Option<Duration>,
    /// `Retry-After` sent on 503 warm-up responses.
    pub retry_after_secs: u64,
    /// Scripted responses applied before the rules (see `docs/scenarios.md`).
    pub scenario: Option<Scenario>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            keys: vec![KeyConfig::new(DEFAULT_DEMO_KEY)],
            credits: 500,
            poll_min_interval: Duration::from_secs(10),
            poll_interval_hint_secs: 15,
            processing_time: Duration::from_secs(15),
            concurrency: 8,
            rate_per_minute: 500,
            warmup: None,
            retry_after_secs: 30,
            scenario: None,
        }
    }
}

impl SimConfig {
    /// For tests: a 1 s poll gate and 1 s hints, about a second of processing.
    pub fn fast() -> Self {
        Self {
            poll_min_interval: Duration::from_secs(1),
            poll_interval_hint_secs: 1,
            processing_time: Duration::from_millis(1200),
            retry_after_secs: 1,
            ..Self::default()
        }
    }

    /// Replaces the keys with one healthy key.
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.keys = vec![KeyConfig::new(key)];
        self
    }

    /// Sets the scenario, applying its `[config]` overrides.
    pub fn with_scenario(mut self, scenario: Scenario) -> Self {
        scenario.config.apply(&mut self);
        self.scenario = Some(scenario);
        self
    }
}
