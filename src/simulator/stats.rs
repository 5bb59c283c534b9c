//! What the simulator counted, for tests and benchmarks: the request rate per key (the most
//! requests seen in any window), 429s by who caused them, the most runs processing at once,
//! runs per externalId, credits. In process through `SimHandle::stats()`, over HTTP as
//! `GET /__sim/stats` (simulator only; no key needed, keys shown masked).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// 429s sent, by cause.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Throttles {
    /// `RATE_LIMIT_EXCEEDED` because the key went over its rate (caused by the client).
    pub rate_limit: u64,
    /// `POLL_RATE_LIMITED` because a run was polled inside the gate (caused by the client).
    pub poll_gate: u64,
    /// `RATE_LIMIT_EXCEEDED` sent by a rate-limit storm (not the client's doing).
    pub storm: u64,
    /// Any 429 a scenario step sent.
    pub scripted: u64,
}

impl Throttles {
    /// 429s the client brought on itself by going over a documented limit.
    pub fn self_inflicted(&self) -> u64 {
        self.rate_limit + self.poll_gate
    }
}

/// One key's request rate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyStats {
    /// The key as `zh_…1234`.
    pub key: String,
    /// Requests that carried this key, any endpoint, any answer.
    pub requests: u64,
    /// The most of them in any one rate window (a minute unless time-scaled).
    pub max_in_window: usize,
}

/// The credit ledger now, and the most ever held at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditStats {
    /// The balance, holds not subtracted.
    pub balance: u64,
    /// Held for runs not yet finished.
    pub held: u64,
    /// Balance minus holds.
    pub available: u64,
    /// Charged so far (success and partial runs).
    pub charged: u64,
    /// The most held at any one time.
    pub max_held: u64,
}

/// Everything counted since the simulator started.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimStats {
    /// API requests answered (the `/__sim/` endpoints are not counted).
    pub requests: u64,
    /// `POST /api/v1/speech/analyze` requests (uploads), whatever the answer.
    pub submits: u64,
    /// `GET /api/v1/speech/analyze/{id}` requests.
    pub polls: u64,
    /// `GET /api/v1/speech/runs` requests (look-ups).
    pub lookups: u64,
    /// Requests allowed per key per window.
    pub rate_limit: u32,
    /// The rate window in seconds (60 unless time-scaled).
    pub rate_window_secs: f64,
    /// The most requests one key made in any one window.
    pub max_requests_per_window: usize,
    /// Per key.
    pub keys: Vec<KeyStats>,
    /// 429s by cause.
    pub throttled: Throttles,
    /// `throttled.self_inflicted()`, for readers of the JSON.
    pub self_inflicted_429s: u64,
    /// 503 `SERVICE_WARMING_UP` sent by warm-up windows.
    pub warming_up_503s: u64,
    /// The concurrency cap.
    pub concurrency_cap: usize,
    /// Runs processing now.
    pub processing_now: usize,
    /// Runs queued now.
    pub queued_now: usize,
    /// The most runs ever processing at once.
    pub max_processing: usize,
    /// The most runs ever queued at once.
    pub max_queued: usize,
    /// Runs created (submits accepted).
    pub runs_created: u64,
    /// Runs created per externalId sent.
    pub runs_per_external_id: BTreeMap<String, u32>,
    /// Runs created without an externalId.
    pub runs_without_external_id: u64,
    /// externalIds with more than one run.
    pub duplicate_external_ids: Vec<String>,
    /// The ledger.
    pub credits: CreditStats,
}

/// The running counts behind [`SimStats`] (kept in the state lock).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: u64,
    pub submits: u64,
    pub polls: u64,
    pub lookups: u64,
    pub by_key: HashMap<String, KeyStats>,
    pub throttled: Throttles,
    pub warming_up: u64,
    pub max_processing: usize,
    pub max_queued: usize,
    pub runs_created: u64,
    pub per_external_id: BTreeMap<String, u32>,
    pub without_external_id: u64,
    pub max_held: u64,
}

impl Counters {
    /// Notes one request with `key` and how many that key made in the window up to now.
    pub fn key_request(&mut self, key: &str, in_window: usize) {
        let entry = self
            .by_key
            .entry(key.to_string())
            .or_insert_with(|| KeyStats {
                key: masked(key),
                ..KeyStats::default()
            });
        entry.requests += 1;
        entry.max_in_window = entry.max_in_window.max(in_window);
    }

    /// Notes a run created with this externalId.
    pub fn run_created(&mut self, external_id: Option<&str>) {
        self.runs_created += 1;
        match external_id {
            Some(id) => *self.per_external_id.entry(id.to_string()).or_default() += 1,
            None => self.without_external_id += 1,
        }
    }
}

/// `zh_…1234`: enough to recognise a key, never enough to use it.
pub fn masked(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("zh_…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_counted_masked_with_their_busiest_window() {
        let mut c = Counters::default();
        c.key_request("zh_api_secret_1234", 1);
        c.key_request("zh_api_secret_1234", 7);
        c.key_request("zh_api_secret_1234", 3);
        let k = &c.by_key["zh_api_secret_1234"];
        assert_eq!((k.requests, k.max_in_window), (3, 7));
        assert_eq!(k.key, "zh_…1234");
        c.run_created(Some("a"));
        c.run_created(Some("a"));
        c.run_created(None);
        assert_eq!(c.per_external_id["a"], 2);
        assert_eq!((c.runs_created, c.without_external_id), (3, 1));
        let t = Throttles {
            rate_limit: 2,
            poll_gate: 3,
            storm: 10,
            scripted: 1,
        };
        assert_eq!(t.self_inflicted(), 5);
    }
}
