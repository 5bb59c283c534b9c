//! One account's budget, shared by every run in the process: at most [`MAX_ACTIVE_RUNS`] runs
//! at once (a tokio [`Semaphore`]), a request rate under the documented 500 a minute (a
//! `governor` GCRA limiter; submits, polls and look-ups all count), and a shared "not before"
//! that a 429 `RATE_LIMIT_EXCEEDED` or a 503 `SERVICE_WARMING_UP` seen by any run pushes
//! forward for everyone.
//!
//! A job with an account ([`super::JobOptions::account`]) waits for the not-before and a rate
//! token before each request, and pushes the not-before by the wait its policy chose after a
//! 429 / 503; every per-run rule stays in the policy. A batch also takes a [`RunSlot`] before
//! it starts a run and holds it until the run ends.
//!
//! Every time here is on tokio's clock, so tests can pause it. The documented limits come
//! from [`crate::api::limits`].

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::policy::WaitReason;
use crate::api::codes::ErrorCode;
use crate::api::limits;

/// Runs the service processes at once per account (the documented 8; more are queued by the
/// service). A process never has more runs in flight than this.
pub const MAX_ACTIVE_RUNS: usize = limits::DEFAULT_MAX_CONCURRENT_RUNS;
/// Requests per minute per key the service allows (the documented 500), polls and look-ups
/// included.
pub const DOCUMENTED_REQUESTS_PER_MINUTE: u32 = limits::DEFAULT_REQUESTS_PER_MINUTE;
/// The budget a process keeps to, and never goes above: the documented 500 less 10 % of
/// headroom for clock differences and the odd request outside the budget (a `417` retry).
pub const BUDGET_REQUESTS_PER_MINUTE: u32 = DOCUMENTED_REQUESTS_PER_MINUTE / 10 * 9;
/// The rate limit's window.
pub const RATE_WINDOW: Duration = Duration::from_secs(60);

/// The account's limits as this process keeps them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AccountLimits {
    /// Runs in flight at once (1..=[`MAX_ACTIVE_RUNS`]).
    pub max_active: usize,
    /// Requests in any one `window` (1..=[`BUDGET_REQUESTS_PER_MINUTE`]).
    pub requests_per_window: u32,
    /// The window: a minute, or less against a time-scaled simulator.
    pub window: Duration,
}

impl Default for AccountLimits {
    fn default() -> AccountLimits {
        AccountLimits {
            max_active: MAX_ACTIVE_RUNS,
            requests_per_window: BUDGET_REQUESTS_PER_MINUTE,
            window: RATE_WINDOW,
        }
    }
}

impl AccountLimits {
    /// At most `n` runs at once, kept within 1..=[`MAX_ACTIVE_RUNS`].
    pub fn with_max_active(self, n: usize) -> AccountLimits {
        AccountLimits {
            max_active: n.clamp(1, MAX_ACTIVE_RUNS),
            ..self
        }
    }

    /// At most `n` requests per window, kept within 1..=[`BUDGET_REQUESTS_PER_MINUTE`].
    pub fn with_requests_per_window(self, n: u32) -> AccountLimits {
        AccountLimits {
            requests_per_window: n.clamp(1, BUDGET_REQUESTS_PER_MINUTE),
            ..self
        }
    }

    /// The window divided by `scale` (the counts stay), to match a simulator started with
    /// `SimConfig::time_scaled(scale)` / `simulate --time-scale`. A scale that is not a
    /// positive number leaves the limits as they are.
    pub fn time_scaled(self, scale: f64) -> AccountLimits {
        if !(scale.is_finite() && scale > 0.0) {
            return self;
        }
        AccountLimits {
            window: self.window.div_f64(scale).max(Duration::from_millis(1)),
            ..self
        }
    }

    /// The GCRA quota that never lets more than `requests_per_window` requests into any
    /// window: a burst of a tenth of the budget, then one request every
    /// `window / (budget - burst)`. In a window starting with a full burst, the burst plus
    /// the spaced requests that fit before the window ends stay within the budget.
    fn quota(&self) -> Quota {
        let budget = self.requests_per_window.max(1);
        let burst = (budget / 10).clamp(1, budget);
        let spaced = (budget - burst).max(1);
        let nanos = self.window.as_nanos().div_ceil(u128::from(spaced));
        let period = Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX).max(1));
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN))
            .allow_burst(burst)
    }
}

/// governor's clock on tokio's time (which tests can pause).
#[derive(Debug, Clone, Copy)]
struct TokioClock {
    start: Instant,
}

impl Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

/// A wait everyone sits out: set by a 429 `RATE_LIMIT_EXCEEDED` or a 503
/// `SERVICE_WARMING_UP`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pause {
    /// No request goes out before this.
    pub until: Instant,
    /// Why (the wait the run that saw it chose).
    pub reason: WaitReason,
    /// The code that caused it.
    pub code: Option<ErrorCode>,
}

/// A run's place among the account's active runs; the place is free again when this is
/// dropped.
#[derive(Debug)]
pub struct RunSlot {
    _permit: OwnedSemaphorePermit,
}

/// The budget every run of one account in this process shares. Make one with
/// [`Account::new`] and hand it to every job ([`super::JobOptions::account`]).
pub struct Account {
    limits: AccountLimits,
    slots: Arc<Semaphore>,
    rate: RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Duration>>,
    clock: TokioClock,
    pause: Mutex<Option<Pause>>,
    requests: AtomicU64,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("limits", &self.limits)
            .field("active_runs", &self.active_runs())
            .field("requests", &self.requests())
            .field("pause", &self.paused())
            .finish()
    }
}

impl Account {
    /// An account budget with these limits (clamped to the documented ones).
    pub fn new(limits: AccountLimits) -> Arc<Account> {
        let limits = limits
            .with_max_active(limits.max_active)
            .with_requests_per_window(limits.requests_per_window);
        let clock = TokioClock {
            start: Instant::now(),
        };
        Arc::new(Account {
            limits,
            slots: Arc::new(Semaphore::new(limits.max_active)),
            rate: RateLimiter::direct_with_clock(limits.quota(), clock),
            clock,
            pause: Mutex::new(None),
            requests: AtomicU64::new(0),
        })
    }

    /// The limits kept.
    pub fn limits(&self) -> AccountLimits {
        self.limits
    }

    /// Waits for a place among the active runs; `None` once the account is closed.
    pub async fn run_slot(&self) -> Option<RunSlot> {
        Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .ok()
            .map(|p| RunSlot { _permit: p })
    }

    /// Stops handing out run slots: whoever waits for one gets `None` (a batch that was
    /// cancelled). Slots already held stay valid.
    pub fn close(&self) {
        self.slots.close();
    }

    /// Runs holding a slot now.
    pub fn active_runs(&self) -> usize {
        self.limits
            .max_active
            .saturating_sub(self.slots.available_permits())
    }

    /// Requests let through so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The shared wait in force now, if any.
    pub fn paused(&self) -> Option<Pause> {
        let now = Instant::now();
        self.pause
            .lock()
            .ok()
            .and_then(|p| p.clone())
            .filter(|p| p.until > now)
    }

    /// Pushes the shared not-before to `wait` from now, unless it is already later.
    pub fn hold_off(&self, wait: Duration, reason: WaitReason, code: Option<ErrorCode>) {
        let until = Instant::now() + wait;
        if let Ok(mut pause) = self.pause.lock()
            && pause.as_ref().is_none_or(|p| p.until < until)
        {
            *pause = Some(Pause {
                until,
                reason,
                code,
            });
        }
    }

    /// Waits until a request may go out: past the shared not-before, with a rate token.
    /// Cancel-safe (drop the future to stop waiting; no token is taken until it returns).
    pub async fn ready(&self) {
        loop {
            if let Some(p) = self.paused() {
                tokio::time::sleep_until(p.until).await;
                continue;
            }
            match self.rate.check() {
                Ok(()) => {
                    self.requests.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Err(not_until) => {
                    let wait = not_until.wait_time_from(self.clock.now());
                    tokio::time::sleep(wait.max(Duration::from_micros(100))).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The most instants in any half-open window of `window`.
    fn busiest(times: &[Instant], window: Duration) -> usize {
        let mut most = 0;
        for (i, start) in times.iter().enumerate() {
            let n = times[i..]
                .iter()
                .take_while(|t| t.duration_since(*start) < window)
                .count();
            most = most.max(n);
        }
        most
    }

    #[tokio::test(start_paused = true)]
    async fn no_window_holds_more_requests_than_the_budget() {
        for budget in [1, 7, 10, 45, 450] {
            let account = Account::new(AccountLimits::default().with_requests_per_window(budget));
            let mut times = Vec::new();
            for _ in 0..budget * 3 {
                account.ready().await;
                times.push(Instant::now());
            }
            let most = busiest(&times, RATE_WINDOW);
            assert!(
                most <= budget as usize,
                "{most} requests in one window over a budget of {budget}"
            );
            // And the budget is used, not wasted: over three windows' worth of requests the
            // rate stays close to the budget (the burst is spent once, then 90 % of it).
            let took = times[times.len() - 1].duration_since(times[0]);
            let per_window = times.len() as f64 / took.as_secs_f64() * RATE_WINDOW.as_secs_f64();
            assert!(
                per_window >= 0.85 * f64::from(budget),
                "{budget}: only {per_window:.1} per window"
            );
            assert_eq!(account.requests(), u64::from(budget) * 3);
        }
    }

    #[test]
    fn limits_never_pass_the_documented_ones() {
        let l = AccountLimits::default()
            .with_max_active(50)
            .with_requests_per_window(10_000);
        assert_eq!(l.max_active, MAX_ACTIVE_RUNS);
        assert_eq!(l.requests_per_window, BUDGET_REQUESTS_PER_MINUTE);
        assert_eq!(
            BUDGET_REQUESTS_PER_MINUTE, 450,
            "the documented 500 less 10 %"
        );
        assert_eq!(AccountLimits::default().with_max_active(0).max_active, 1);
        let scaled = AccountLimits::default().time_scaled(10.0);
        assert_eq!(scaled.window, Duration::from_secs(6));
        assert_eq!(scaled.requests_per_window, BUDGET_REQUESTS_PER_MINUTE);
        assert_eq!(
            AccountLimits::default().time_scaled(0.0),
            AccountLimits::default()
        );
        assert_eq!(
            AccountLimits::default().time_scaled(f64::NAN),
            AccountLimits::default()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_request_and_only_moves_later() {
        let account = Account::new(AccountLimits::default());
        let t0 = Instant::now();
        account.hold_off(
            Duration::from_secs(30),
            WaitReason::WarmingUp,
            Some(ErrorCode::ServiceWarmingUp),
        );
        // A shorter wait seen later does not bring it forward.
        account.hold_off(Duration::from_secs(5), WaitReason::RateLimited, None);
        let pause = account.paused().expect("paused");
        assert_eq!(pause.reason, WaitReason::WarmingUp);
        assert_eq!(pause.until, t0 + Duration::from_secs(30));
        let waiters = (0..3).map(|_| {
            let a = Arc::clone(&account);
            tokio::spawn(async move {
                a.ready().await;
                Instant::now()
            })
        });
        for w in waiters {
            let at = w.await.expect("waiter");
            assert!(
                at >= t0 + Duration::from_secs(30),
                "went out during the pause"
            );
        }
        assert!(account.paused().is_none(), "over");
        // A later push moves it on.
        account.hold_off(Duration::from_secs(60), WaitReason::RateLimited, None);
        let started = Instant::now();
        account.ready().await;
        assert_eq!(started.elapsed(), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_max_active_runs_hold_a_slot() {
        let account = Account::new(AccountLimits::default().with_max_active(3));
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(account.run_slot().await.expect("slot"));
        }
        assert_eq!(account.active_runs(), 3);
        let more = tokio::time::timeout(Duration::from_secs(3600), account.run_slot()).await;
        assert!(more.is_err(), "a fourth run waited");
        held.pop();
        assert_eq!(account.active_runs(), 2);
        let again = tokio::time::timeout(Duration::from_secs(1), account.run_slot())
            .await
            .expect("a freed slot is taken");
        assert!(again.is_some());
        account.close();
        assert!(account.run_slot().await.is_none(), "closed");
    }
}
