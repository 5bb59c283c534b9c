//! How a simulator instance behaves: keys, credits, limits, timings and an optional scenario.
//!
//! `SimConfig::default()` follows the documented service defaults (10 s poll gate, 8
//! concurrent runs, 500 requests a minute) with processing shortened to 15–20 s;
//! `SimConfig::fast()` shrinks every wait to about a second for tests, and
//! `time_scaled(k)` divides every time of the account model by `k`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::disruption::{Disruption, Scope};
use super::scenario::Scenario;

/// The key `SimConfig::default()` accepts when no other key is configured.
pub const DEFAULT_DEMO_KEY: &str = "zh_api_simulator_demo_key";

/// The largest upload the service accepts (25 MB).
pub const MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;

/// One API key the simulator knows, and what is wrong with it (if anything).
#[derive(Clone, PartialEq, Eq)]
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

/// Shows the key as `zh_…1234`: a `--api-key` may be a real one, and configs get logged.
impl std::fmt::Debug for KeyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyConfig")
            .field("key", &super::stats::masked(&self.key))
            .field("expired", &self.expired)
            .field("inactive", &self.inactive)
            .field("multilingual", &self.multilingual)
            .field("speech_permission", &self.speech_permission)
            .field("allowed_ips", &self.allowed_ips)
            .field("rate_per_minute", &self.rate_per_minute)
            .finish()
    }
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
    /// P: how long a run stays `processing` once it has a slot, for the shortest audio.
    pub processing_time: Duration,
    /// How much longer the longest audio (45 min) takes than P, as a share of P (default a
    /// third, like a pipeline that scales with length; 0 makes every run take exactly P).
    pub processing_length_factor: f64,
    /// Runs processed at once per client; later submits are `queued` (FIFO).
    pub concurrency: usize,
    /// Requests allowed per key per `rate_window` (the docs' 500 per minute). Every request
    /// that carries a known key counts, whatever its endpoint and answer; the window slides
    /// (any span of `rate_window` holds at most this many).
    pub rate_per_minute: u32,
    /// The rate limit's window: a minute, or less in a time-scaled test.
    pub rate_window: Duration,
    /// Where a request over the rate is refused with 429 `RATE_LIMIT_EXCEEDED`: at submit
    /// (the documented place, default) or on every endpoint.
    pub rate_limit_scope: Scope,
    /// Submits get 503 `SERVICE_WARMING_UP` for this long after start.
    pub warmup: Option<Duration>,
    /// Warm-ups and rate-limit storms, e.g. in the middle of a batch.
    pub disruptions: Vec<Disruption>,
    /// `Retry-After` on 503 warm-ups and storms (at most; less when the window ends sooner).
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
            processing_length_factor: 1.0 / 3.0,
            concurrency: 8,
            rate_per_minute: 500,
            rate_window: Duration::from_secs(60),
            rate_limit_scope: Scope::Submit,
            warmup: None,
            disruptions: Vec::new(),
            retry_after_secs: 30,
            scenario: None,
        }
    }
}

impl SimConfig {
    /// Processing time for a run with `audio` of this length (see `processing_time`).
    pub fn processing_for(&self, audio: Duration) -> Duration {
        let share = (audio.as_secs_f64() / (45.0 * 60.0)).clamp(0.0, 1.0);
        let factor = self.processing_length_factor.clamp(0.0, 10.0);
        self.processing_time + self.processing_time.mul_f64(share * factor)
    }

    /// Every time in the account model divided by `scale`, so a test of many runs takes
    /// seconds: the poll gate, the rate window, processing time, disruptions; the hints
    /// (`pollIntervalSeconds`, `Retry-After`) too, in whole seconds and never below 1. The
    /// counts (concurrency, requests per window) stay: a client under test must scale its
    /// own clock the same way.
    pub fn time_scaled(mut self, scale: f64) -> Self {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        let shrink = |d: Duration| d.div_f64(scale);
        let secs = |s: u64| ((s as f64 / scale).ceil() as u64).max(1);
        self.poll_min_interval = shrink(self.poll_min_interval);
        self.rate_window = shrink(self.rate_window);
        self.processing_time = shrink(self.processing_time);
        self.warmup = self.warmup.map(shrink);
        self.poll_interval_hint_secs = secs(self.poll_interval_hint_secs);
        self.retry_after_secs = secs(self.retry_after_secs);
        for d in &mut self.disruptions {
            d.lasting_ms = ((d.lasting_ms as f64 / scale).ceil() as u64).max(1);
            d.every_ms = d
                .every_ms
                .map(|e| ((e as f64 / scale).ceil() as u64).max(1));
        }
        self
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processing_takes_15_to_20_seconds_by_default() {
        let cfg = SimConfig::default();
        assert_eq!(
            cfg.processing_for(Duration::from_secs(0)),
            Duration::from_secs(15)
        );
        assert_eq!(
            cfg.processing_for(Duration::from_secs(45 * 60)),
            Duration::from_secs(20)
        );
        let mid = cfg.processing_for(Duration::from_secs(10 * 60));
        assert!(
            mid > Duration::from_secs(15) && mid < Duration::from_secs(17),
            "{mid:?}"
        );
    }

    #[test]
    fn time_scaling_shrinks_waits_not_counts() {
        let cfg = SimConfig::default().time_scaled(10.0);
        assert_eq!(cfg.poll_min_interval, Duration::from_secs(1));
        assert_eq!(cfg.rate_window, Duration::from_secs(6));
        assert_eq!(cfg.processing_time, Duration::from_millis(1500));
        assert_eq!(cfg.poll_interval_hint_secs, 2, "1.5 s rounds up");
        assert_eq!(cfg.retry_after_secs, 3);
        assert_eq!((cfg.concurrency, cfg.rate_per_minute), (8, 500));
        let exact = SimConfig {
            processing_length_factor: 0.0,
            ..SimConfig::default()
        };
        assert_eq!(
            exact.processing_for(Duration::from_secs(45 * 60)),
            exact.processing_time
        );
    }

    #[test]
    fn debug_output_never_shows_the_whole_key() {
        let cfg = SimConfig::fast().with_key("zh_api_secret_value_9876");
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("secret_value"), "{shown}");
        assert!(shown.contains("zh_…9876"), "{shown}");
    }
}
