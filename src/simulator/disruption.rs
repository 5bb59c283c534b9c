//! Stretches of time when the service refuses requests: a warm-up after a deploy (503
//! `SERVICE_WARMING_UP`) or a rate-limit storm (429 `RATE_LIMIT_EXCEEDED`), starting at
//! start-up or once a number of runs exist (the middle of a batch), in one or more bursts.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// What the service answers during a disruption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisruptionKind {
    /// 503 `SERVICE_WARMING_UP` with `Retry-After`.
    WarmingUp,
    /// 429 `RATE_LIMIT_EXCEEDED` with `Retry-After`, whatever the client's real rate.
    RateLimitStorm,
}

impl DisruptionKind {
    /// The error code sent.
    pub fn code(self) -> &'static str {
        match self {
            DisruptionKind::WarmingUp => "SERVICE_WARMING_UP",
            DisruptionKind::RateLimitStorm => "RATE_LIMIT_EXCEEDED",
        }
    }

    /// The label in the request log's `fault` and in the stats.
    pub fn label(self) -> &'static str {
        match self {
            DisruptionKind::WarmingUp => "warming_up",
            DisruptionKind::RateLimitStorm => "rate_limit_storm",
        }
    }
}

/// Which requests a rule or a disruption applies to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// `POST /api/v1/speech/analyze` only.
    #[default]
    Submit,
    /// Every API endpoint (submit, poll, runs, credits, health).
    All,
}

impl Scope {
    /// True when the scope covers a request to this endpoint (`submit` or another).
    pub fn covers(self, is_submit: bool) -> bool {
        is_submit || self == Scope::All
    }
}

/// One disruption (`[[config.disruption]]` in a scenario).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disruption {
    /// Warm-up (503) or rate-limit storm (429).
    pub kind: DisruptionKind,
    /// Begins once this many runs have been created (0: when the simulator starts).
    #[serde(default)]
    pub after_runs: u64,
    /// How long each burst lasts, in milliseconds.
    pub lasting_ms: u64,
    /// How many bursts (default 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub bursts: u32,
    /// Time from one burst's start to the next's (default: twice `lasting_ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_ms: Option<u64>,
    /// Which requests are refused (default: all for a warm-up, submits for a storm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// `Retry-After` sent; default: the seconds left in the burst, at most the config's
    /// `retry_after_secs`, at least 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

impl Disruption {
    /// A single burst of `kind` for `lasting`, starting once `after_runs` runs exist.
    pub fn new(kind: DisruptionKind, after_runs: u64, lasting: Duration) -> Self {
        Self {
            kind,
            after_runs,
            lasting_ms: lasting.as_millis() as u64,
            bursts: 1,
            every_ms: None,
            scope: None,
            retry_after: None,
        }
    }

    /// The requests it refuses.
    pub fn scope(&self) -> Scope {
        self.scope.unwrap_or(match self.kind {
            DisruptionKind::WarmingUp => Scope::All,
            DisruptionKind::RateLimitStorm => Scope::Submit,
        })
    }

    fn period(&self) -> Duration {
        Duration::from_millis(self.every_ms.unwrap_or(self.lasting_ms.saturating_mul(2)))
    }

    /// Time left in the burst that `now` falls in, if any, for a disruption that began at
    /// `began`.
    pub fn left_in_burst(&self, began: Instant, now: Instant) -> Option<Duration> {
        let since = now.checked_duration_since(began)?;
        let lasting = Duration::from_millis(self.lasting_ms);
        let period = self.period().max(Duration::from_millis(1));
        let burst = (since.as_nanos() / period.as_nanos()) as u64;
        if burst >= u64::from(self.bursts) {
            return None;
        }
        let into = since.saturating_sub(period.saturating_mul(burst as u32));
        (into < lasting).then(|| lasting - into)
    }

    /// The `Retry-After` seconds for a request refused with `left` of the burst to go.
    pub fn retry_after_secs(&self, left: Duration, cap: u64) -> u64 {
        self.retry_after
            .unwrap_or_else(|| (left.as_secs_f64().ceil() as u64).min(cap))
            .max(1)
    }

    /// Why the disruption cannot happen, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if self.lasting_ms == 0 {
            return Some("a disruption needs lasting_ms > 0".into());
        }
        if self.bursts == 0 {
            return Some("bursts must be at least 1".into());
        }
        if self.every_ms.is_some_and(|e| e < self.lasting_ms) {
            return Some("every_ms must be at least lasting_ms".into());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_repeat_with_their_period_then_stop() {
        let mut d = Disruption::new(
            DisruptionKind::RateLimitStorm,
            3,
            Duration::from_millis(200),
        );
        d.bursts = 2;
        d.every_ms = Some(1000);
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        assert_eq!(
            d.left_in_burst(t0, at(50)),
            Some(Duration::from_millis(150))
        );
        assert_eq!(d.left_in_burst(t0, at(200)), None, "between bursts");
        assert_eq!(
            d.left_in_burst(t0, at(1100)),
            Some(Duration::from_millis(100))
        );
        assert_eq!(d.left_in_burst(t0, at(2050)), None, "only two bursts");
        assert_eq!(d.scope(), Scope::Submit);
        assert_eq!(
            Disruption::new(DisruptionKind::WarmingUp, 0, Duration::from_secs(1)).scope(),
            Scope::All
        );
    }

    #[test]
    fn retry_after_is_what_is_left_within_bounds() {
        let d = Disruption::new(DisruptionKind::WarmingUp, 0, Duration::from_secs(90));
        assert_eq!(d.retry_after_secs(Duration::from_millis(200), 30), 1);
        assert_eq!(d.retry_after_secs(Duration::from_millis(2100), 30), 3);
        assert_eq!(d.retry_after_secs(Duration::from_secs(80), 30), 30);
        let fixed = Disruption {
            retry_after: Some(0),
            ..d
        };
        assert_eq!(fixed.retry_after_secs(Duration::from_secs(5), 30), 1);
    }
}
