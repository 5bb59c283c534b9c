//! The retry and poll rules of the API, as pure functions: no I/O, no clock reads, no
//! randomness of their own (jitter comes in as a number). Every rule of the vendor's "Retry
//! strategy at a glance" and of DESIGN.md's table is a row of the tests below.
//!
//! | after | what happened | decision |
//! |---|---|---|
//! | submit | 202 queued/processing | wait the hint (or 15 s), poll |
//! | poll | 200 queued/processing | wait max(pollIntervalSeconds, Retry-After); no hint: 15 s < 2 min, 30 s < 5 min, then 60 s (never < 10 s) |
//! | poll | 200 success/partial/failed | finished: never poll that id again |
//! | any | 400, 401, 402, 403, 404 (any 4xx but 429) | refused: never retried |
//! | any | 429 `POLL_RATE_LIMITED` | wait Retry-After (else the current interval), poll the same id |
//! | any | 429 `RATE_LIMIT_EXCEEDED` (any other 429) | wait ≥ Retry-After, doubling (+≤20 % jitter) to 60 s |
//! | any | 503 `SERVICE_WARMING_UP` | wait ≥ Retry-After (else 30 s), doubling (+jitter) to 120 s |
//! | submit | other 5xx, unreadable 2xx/5xx body, connection lost after sending | look the run up by externalId now |
//! | submit | connection refused (nothing sent) | wait 2 s doubling to 60 s, submit again |
//! | submit, poll | a redirect (3xx) | refused: never followed (the key must not leave the host) |
//! | look-up | our run found (exact externalId, created after our upload started) | poll it now |
//! | look-up | nothing found, the submit got an unreadable 2xx (the run exists) | wait 2 s doubling to 60 s, look again; never submit |
//! | look-up | nothing found after a 5xx or a dropped connection (1st–3rd) | wait 2 s doubling, look again |
//! | look-up | nothing found (4th) | wait (2 s doubling), submit again |
//! | look-up | network error, 5xx | back off, look up again (never submit blind) |
//! | poll | network error, 5xx, unreadable body | wait ≥ the last hint (else 10 s), doubling to 60 s, same id |
//! | any | the wait would pass `--max-wait` | give up |
//!
//! Floors: a server hint (Retry-After, pollIntervalSeconds) below 1 s is no hint; every wait
//! is at least [`MIN_WAIT`]; without a hint, polls keep the documented 10 s minimum.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::api::codes::{CodeFamily, ErrorCode};
use crate::api::limits;
use crate::api::model::RunStatus;

/// No wait is ever shorter than this: a hostile or broken hint must never make a hot loop.
pub const MIN_WAIT: Duration = Duration::from_secs(1);
/// Without a server hint, never poll one run more often than this (API §5).
pub const MIN_POLL_WITHOUT_HINT: Duration = limits::MIN_POLL_INTERVAL;
/// Default warm-up wait when a 503 carries no Retry-After (guide: 30–60 s).
pub const WARM_UP_DEFAULT_SECS: f64 = 30.0;
/// Repeated warm-ups back off up to this (a warm-up lasts 15–20 minutes).
pub const WARM_UP_CAP_SECS: f64 = 120.0;
/// Default submit rate-limit wait when a 429 carries no Retry-After.
pub const RATE_LIMIT_DEFAULT_SECS: f64 = 5.0;
/// Repeated rate limits back off up to this.
pub const RATE_LIMIT_CAP_SECS: f64 = 60.0;
/// First wait after a network error on submit or look-up.
pub const NETWORK_BASE_SECS: f64 = 2.0;
/// Network and server-error back-off cap.
pub const TRANSIENT_CAP_SECS: f64 = 60.0;
/// Jitter adds up to this fraction on top of a back-off (never subtracts: Retry-After is a floor).
pub const JITTER_FRACTION: f64 = 0.2;
/// How many empty look-ups (2, 4, 8 s apart: the list may lag) before a resubmission is
/// allowed after a 5xx or a dropped connection. After an unreadable 2xx there is none.
pub const LOOKUPS_BEFORE_RESUBMIT: u32 = 4;
/// Wait between two look-ups that found nothing (lets a just-created run appear in the list).
pub const LOOKUP_AGAIN_SECS: f64 = 2.0;
/// Server hints above this (a day) are read as this: a hostile or broken header must not
/// overflow a clock.
pub const MAX_HINT_SECS: u64 = 86_400;

/// A server hint as the rules use it: below 1 s it is no hint; above a day it is a day.
pub fn sane(hint: Option<u64>) -> Option<u64> {
    hint.filter(|h| *h >= 1).map(|h| h.min(MAX_HINT_SECS))
}

/// A request the engine makes: the one it just made, and the one it makes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// `POST /api/v1/speech/analyze`.
    Submit,
    /// `GET /api/v1/speech/analyze/{id}`.
    Poll,
    /// `GET /api/v1/speech/runs?externalId=…` after a submit whose answer was lost.
    LookUp,
}

/// Why the engine is waiting; shown to people (in `guidance`'s words) and kept in the request
/// log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitReason {
    /// The normal wait between polls (server hint or the 15/30/60 s schedule).
    NextPoll,
    /// `429 RATE_LIMIT_EXCEEDED` (or another 429).
    RateLimited,
    /// `429 POLL_RATE_LIMITED`: same run, later.
    PollRateLimited,
    /// `503 SERVICE_WARMING_UP`.
    WarmingUp,
    /// A 5xx or a body we could not read.
    ServerError,
    /// No response arrived.
    Network,
    /// A look-up by externalId found nothing yet; looking again before any resubmission.
    LookUpAgain,
    /// A lost submit was confirmed not to have created a run; submitting again.
    Resubmit,
    /// The time budget (`--max-wait`) ran out.
    Budget,
}

/// What the last exchange produced, reduced to what the rules need.
#[derive(Debug, Clone, PartialEq)]
pub enum Happened {
    /// The submit answered 202.
    Accepted {
        status: RunStatus,
        poll_interval: Option<u64>,
        retry_after: Option<u64>,
    },
    /// A poll answered 200 with a readable body.
    Polled {
        status: RunStatus,
        poll_interval: Option<u64>,
        retry_after: Option<u64>,
    },
    /// A look-up by externalId answered. `lookups` counts look-ups for this lost submit,
    /// this one included; `run_exists` is true when the submit got a 2xx we could not read
    /// (the service created the run: never submit again, keep looking).
    LookedUp {
        found: bool,
        lookups: u32,
        run_exists: bool,
    },
    /// An error envelope.
    Api {
        http_status: u16,
        code: ErrorCode,
        retry_after: Option<u64>,
    },
    /// A response we could not read (HTML, empty, truncated).
    BadBody {
        http_status: u16,
        retry_after: Option<u64>,
    },
    /// No response.
    Network { may_have_reached_server: bool },
    /// A redirect (3xx): never followed, since the key header would go along.
    Redirected { http_status: u16 },
}

/// Everything a decision depends on. Times are passed in; the policy never reads a clock.
#[derive(Debug, Clone, PartialEq)]
pub struct Situation {
    pub step: Step,
    pub happened: Happened,
    /// Consecutive failures of this kind of request, this one included (1 on the first).
    pub attempt: u32,
    /// Since the job started: the budget is measured on this.
    pub elapsed: Duration,
    /// Since the run was accepted: the poll schedule is measured on this.
    pub since_accepted: Duration,
    /// The latest interval the server suggested for this run (pollIntervalSeconds or
    /// Retry-After on a 200), used as the floor after a failed poll.
    pub last_hint: Option<u64>,
    /// The total budget (`--max-wait`).
    pub budget: Duration,
    /// A random number in `[0, 1)` for jitter; tests pass fixed values.
    pub jitter: f64,
}

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Wait `delay` for `reason`, then do `then`.
    Wait {
        delay: Duration,
        reason: WaitReason,
        then: Step,
    },
    /// Make this request right away (e.g. look the run up after a lost submit).
    Now(Step),
    /// The run reached `success`, `partial` or `failed`: never poll it again.
    Finished,
    /// The API refused; retrying unchanged would fail the same way.
    Refused,
    /// The budget would be exceeded by the wait this situation needs.
    GiveUp {
        reason: WaitReason,
        needed: Duration,
    },
}

/// The poll interval without a server hint: 15 s for the first 2 minutes, 30 s to 5 minutes,
/// then 60 s (API §7).
pub fn scheduled_interval(since_accepted: Duration) -> Duration {
    limits::scheduled_poll_interval(since_accepted)
}

/// The wait before the next poll: the server's hint wins (the larger of pollIntervalSeconds and
/// Retry-After when both are given); without one, the schedule (never under 10 s).
pub fn poll_delay(
    poll_interval: Option<u64>,
    retry_after: Option<u64>,
    since_accepted: Duration,
) -> Duration {
    match sane(poll_interval).max(sane(retry_after)) {
        Some(hint) => Duration::from_secs(hint),
        None => scheduled_interval(since_accepted).max(MIN_POLL_WITHOUT_HINT),
    }
}

/// Exponential back-off: `base · 2^(attempt-1)` capped at `cap`, plus up to
/// [`JITTER_FRACTION`] jitter, and never less than `floor` (the server's Retry-After).
pub fn backoff(base: f64, attempt: u32, cap: f64, floor: Option<u64>, jitter: f64) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    let raw = (base * f64::from(1u32 << exp.min(20))).min(cap);
    let jittered = raw * (1.0 + JITTER_FRACTION * jitter.clamp(0.0, 1.0));
    let floor = sane(floor).map_or(0.0, |f| f as f64);
    Duration::try_from_secs_f64(jittered.max(floor)).unwrap_or(Duration::from_secs(MAX_HINT_SECS))
}

/// The decision for one situation, floors and budget included.
pub fn decide(s: &Situation) -> Decision {
    let decision = match rule(s) {
        Decision::Wait {
            delay,
            reason,
            then,
        } => Decision::Wait {
            delay: delay.max(MIN_WAIT),
            reason,
            then,
        },
        other => other,
    };
    within_budget(s, decision)
}

fn within_budget(s: &Situation, d: Decision) -> Decision {
    match d {
        Decision::Wait { delay, reason, .. } if s.elapsed.saturating_add(delay) > s.budget => {
            Decision::GiveUp {
                reason,
                needed: delay,
            }
        }
        Decision::Now(_) if s.elapsed >= s.budget => Decision::GiveUp {
            reason: WaitReason::Budget,
            needed: Duration::ZERO,
        },
        other => other,
    }
}

fn wait(delay: Duration, reason: WaitReason, then: Step) -> Decision {
    Decision::Wait {
        delay,
        reason,
        then,
    }
}

/// The floor after a failed poll: the server's last hint, else the 10 s minimum.
fn poll_failure_floor(s: &Situation) -> f64 {
    sane(s.last_hint).map_or(MIN_POLL_WITHOUT_HINT.as_secs_f64(), |h| h as f64)
}

fn rule(s: &Situation) -> Decision {
    use Happened::*;
    let same = s.step;
    match (&s.step, &s.happened) {
        // A redirect would carry the key header to wherever it points: never followed.
        (_, Redirected { .. }) => Decision::Refused,
        // The run exists: poll it at the pace the server asks for.
        (_, Accepted { status, .. }) if status.is_terminal() => Decision::Now(Step::Poll),
        (
            _,
            Accepted {
                poll_interval,
                retry_after,
                ..
            },
        ) => wait(
            poll_delay(*poll_interval, *retry_after, s.since_accepted),
            WaitReason::NextPoll,
            Step::Poll,
        ),
        (_, Polled { status, .. }) if status.is_terminal() => Decision::Finished,
        (
            _,
            Polled {
                poll_interval,
                retry_after,
                ..
            },
        ) => wait(
            poll_delay(*poll_interval, *retry_after, s.since_accepted),
            WaitReason::NextPoll,
            Step::Poll,
        ),

        // A lost submit: found means we poll that run; never submit twice.
        (_, LookedUp { found: true, .. }) => Decision::Now(Step::Poll),
        // The submit got a 2xx we could not read: the run exists, the list may lag. Keep
        // looking (the budget ends it); a resubmission would create a second run.
        (
            _,
            LookedUp {
                found: false,
                lookups,
                run_exists: true,
            },
        ) => wait(
            backoff(
                LOOKUP_AGAIN_SECS,
                *lookups,
                TRANSIENT_CAP_SECS,
                None,
                s.jitter,
            ),
            WaitReason::LookUpAgain,
            Step::LookUp,
        ),
        (
            _,
            LookedUp {
                found: false,
                lookups,
                ..
            },
        ) if *lookups < LOOKUPS_BEFORE_RESUBMIT => wait(
            backoff(
                LOOKUP_AGAIN_SECS,
                *lookups,
                TRANSIENT_CAP_SECS,
                None,
                s.jitter,
            ),
            WaitReason::LookUpAgain,
            Step::LookUp,
        ),
        (_, LookedUp { found: false, .. }) => wait(
            backoff(
                NETWORK_BASE_SECS,
                s.attempt,
                TRANSIENT_CAP_SECS,
                None,
                s.jitter,
            ),
            WaitReason::Resubmit,
            Step::Submit,
        ),

        // Error envelopes.
        (
            step,
            Api {
                http_status,
                code,
                retry_after,
            },
        ) => api_rule(s, *step, same, *http_status, code, *retry_after),

        // Unreadable bodies.
        (Step::Submit, BadBody { http_status, .. })
            if (200..300).contains(http_status) || *http_status >= 500 =>
        {
            // The server may have created the run before its answer got mangled.
            Decision::Now(Step::LookUp)
        }
        (
            _,
            BadBody {
                http_status: 429,
                retry_after,
            },
        ) => wait(
            backoff(
                sane(*retry_after).map_or(RATE_LIMIT_DEFAULT_SECS, |r| r as f64),
                s.attempt,
                RATE_LIMIT_CAP_SECS,
                *retry_after,
                s.jitter,
            ),
            WaitReason::RateLimited,
            same,
        ),
        (_, BadBody { http_status, .. }) if (400..500).contains(http_status) => Decision::Refused,
        (Step::Poll, BadBody { retry_after, .. }) => wait(
            backoff(
                poll_failure_floor(s),
                s.attempt,
                TRANSIENT_CAP_SECS.max(poll_failure_floor(s)),
                *retry_after,
                s.jitter,
            ),
            WaitReason::ServerError,
            Step::Poll,
        ),
        (_, BadBody { retry_after, .. }) => wait(
            backoff(
                NETWORK_BASE_SECS,
                s.attempt,
                TRANSIENT_CAP_SECS,
                *retry_after,
                s.jitter,
            ),
            WaitReason::ServerError,
            same,
        ),

        // No response at all.
        (
            Step::Submit,
            Network {
                may_have_reached_server: true,
            },
        ) => Decision::Now(Step::LookUp),
        (Step::Poll, Network { .. }) => wait(
            backoff(
                poll_failure_floor(s),
                s.attempt,
                TRANSIENT_CAP_SECS.max(poll_failure_floor(s)),
                None,
                s.jitter,
            ),
            WaitReason::Network,
            Step::Poll,
        ),
        (_, Network { .. }) => wait(
            backoff(
                NETWORK_BASE_SECS,
                s.attempt,
                TRANSIENT_CAP_SECS,
                None,
                s.jitter,
            ),
            WaitReason::Network,
            same,
        ),
    }
}

fn api_rule(
    s: &Situation,
    step: Step,
    same: Step,
    http_status: u16,
    code: &ErrorCode,
    retry_after: Option<u64>,
) -> Decision {
    let family = code.family();
    match (step, family, http_status) {
        // 429 POLL_RATE_LIMITED: wait Retry-After (else the current interval), same run id.
        (_, _, _) if *code == ErrorCode::PollRateLimited => {
            let delay = match sane(retry_after) {
                Some(r) => Duration::from_secs(r),
                // No usable hint: the current interval, growing while the 429s repeat.
                None => {
                    let base = poll_delay(s.last_hint, None, s.since_accepted).as_secs_f64();
                    backoff(base, s.attempt, base.max(WARM_UP_CAP_SECS), None, s.jitter)
                }
            };
            wait(delay, WaitReason::PollRateLimited, Step::Poll)
        }
        // 429 RATE_LIMIT_EXCEEDED (or any other 429): Retry-After, then exponential back-off.
        (_, CodeFamily::Throttled, _) | (_, _, 429) => wait(
            backoff(
                sane(retry_after).map_or(RATE_LIMIT_DEFAULT_SECS, |r| r as f64),
                s.attempt,
                RATE_LIMIT_CAP_SECS,
                retry_after,
                s.jitter,
            ),
            WaitReason::RateLimited,
            same,
        ),
        // 503 SERVICE_WARMING_UP: wait the suggested time, back off further while it repeats.
        (_, CodeFamily::WarmingUp, _) => wait(
            backoff(
                sane(retry_after).map_or(WARM_UP_DEFAULT_SECS, |r| r as f64),
                s.attempt,
                WARM_UP_CAP_SECS,
                retry_after,
                s.jitter,
            ),
            WaitReason::WarmingUp,
            same,
        ),
        // Any other 5xx on submit: the run may exist; look before submitting again.
        (Step::Submit, _, 500..) => Decision::Now(Step::LookUp),
        (Step::Poll, _, 500..) => wait(
            backoff(
                poll_failure_floor(s),
                s.attempt,
                TRANSIENT_CAP_SECS.max(poll_failure_floor(s)),
                retry_after,
                s.jitter,
            ),
            WaitReason::ServerError,
            Step::Poll,
        ),
        (Step::LookUp, _, 500..) => wait(
            backoff(
                NETWORK_BASE_SECS,
                s.attempt,
                TRANSIENT_CAP_SECS,
                retry_after,
                s.jitter,
            ),
            WaitReason::ServerError,
            Step::LookUp,
        ),
        // 400, 401, 402, 403, 404 and anything else: never retried unchanged.
        _ => Decision::Refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(step: Step, happened: Happened) -> Situation {
        Situation {
            step,
            happened,
            attempt: 1,
            elapsed: Duration::from_secs(5),
            since_accepted: Duration::ZERO,
            last_hint: None,
            budget: Duration::from_secs(3600),
            jitter: 0.0,
        }
    }

    fn api(status: u16, code: ErrorCode, retry_after: Option<u64>) -> Happened {
        Happened::Api {
            http_status: status,
            code,
            retry_after,
        }
    }

    fn secs(d: &Decision) -> f64 {
        match d {
            Decision::Wait { delay, .. } => delay.as_secs_f64(),
            other => panic!("expected a wait, got {other:?}"),
        }
    }

    /// The vendor's "Retry strategy at a glance", one row per line.
    #[test]
    fn guide_retry_table() {
        use ErrorCode::*;
        // 400 — No — Fix input.
        for code in [
            MissingAudioFile,
            UnsupportedFormat,
            FileTooLarge,
            InvalidLanguageCode,
            InvalidExternalId,
            InvalidMetadata,
            AudioTooShort,
            AudioTooLong,
            AudioDurationUnavailable,
            InvalidParameters,
        ] {
            assert_eq!(
                decide(&at(Step::Submit, api(400, code.clone(), None))),
                Decision::Refused,
                "{code}"
            );
        }
        // 401 — No — check key / rotate / contact support.
        for code in [MissingApiKey, InvalidApiKey, ApiKeyExpired, ClientInactive] {
            assert_eq!(
                decide(&at(Step::Submit, api(401, code.clone(), None))),
                Decision::Refused
            );
            assert_eq!(
                decide(&at(Step::Poll, api(401, code, None))),
                Decision::Refused
            );
        }
        // 402 — No — top up.
        assert_eq!(
            decide(&at(Step::Submit, api(402, InsufficientCredits, None))),
            Decision::Refused
        );
        // 403 — No — contact support.
        for code in [MultilingualNotEnabled, IpNotAllowed, MissingPermission] {
            assert_eq!(
                decide(&at(Step::Submit, api(403, code, None))),
                Decision::Refused
            );
        }
        // 429 RATE_LIMIT_EXCEEDED — Yes — Retry-After, then exponential backoff.
        let d = decide(&at(Step::Submit, api(429, RateLimitExceeded, Some(30))));
        assert!(matches!(
            d,
            Decision::Wait {
                reason: WaitReason::RateLimited,
                then: Step::Submit,
                ..
            }
        ));
        assert!(secs(&d) >= 30.0);
        // 429 POLL_RATE_LIMITED — Yes — Retry-After, continue polling the same id.
        let d = decide(&at(Step::Poll, api(429, PollRateLimited, Some(7))));
        assert_eq!(
            d,
            Decision::Wait {
                delay: Duration::from_secs(7),
                reason: WaitReason::PollRateLimited,
                then: Step::Poll
            }
        );
        // 503 SERVICE_WARMING_UP — Yes — retry after 30–60 s, back off further if repeated.
        let d = decide(&at(Step::Submit, api(503, ServiceWarmingUp, None)));
        assert!(matches!(
            d,
            Decision::Wait {
                reason: WaitReason::WarmingUp,
                then: Step::Submit,
                ..
            }
        ));
        assert!((30.0..=60.0).contains(&secs(&d)));
        // status: "failed" — never the same id again.
        let failed = Happened::Polled {
            status: RunStatus::Failed,
            poll_interval: Some(1),
            retry_after: None,
        };
        assert_eq!(decide(&at(Step::Poll, failed)), Decision::Finished);
    }

    /// DESIGN.md's table, the rows the guide does not have.
    #[test]
    fn design_table_network_and_5xx() {
        // Network error on poll: back off, same run.
        let d = decide(&at(
            Step::Poll,
            Happened::Network {
                may_have_reached_server: true,
            },
        ));
        assert!(matches!(
            d,
            Decision::Wait {
                reason: WaitReason::Network,
                then: Step::Poll,
                ..
            }
        ));
        assert!(secs(&d) >= 10.0, "no hint: never under 10 s");
        // Network error on submit that may have reached the server: look up first.
        assert_eq!(
            decide(&at(
                Step::Submit,
                Happened::Network {
                    may_have_reached_server: true
                }
            )),
            Decision::Now(Step::LookUp)
        );
        // Connection refused on submit: nothing was created, retry the submit with back-off.
        let d = decide(&at(
            Step::Submit,
            Happened::Network {
                may_have_reached_server: false,
            },
        ));
        assert!(matches!(
            d,
            Decision::Wait {
                reason: WaitReason::Network,
                then: Step::Submit,
                ..
            }
        ));
        // 5xx without an envelope on submit: look up first.
        assert_eq!(
            decide(&at(
                Step::Submit,
                Happened::BadBody {
                    http_status: 502,
                    retry_after: None
                }
            )),
            Decision::Now(Step::LookUp)
        );
        // A mangled 202: the run probably exists.
        assert_eq!(
            decide(&at(
                Step::Submit,
                Happened::BadBody {
                    http_status: 202,
                    retry_after: None
                }
            )),
            Decision::Now(Step::LookUp)
        );
        // 500 with an envelope on submit: look up too.
        assert_eq!(
            decide(&at(
                Step::Submit,
                api(500, ErrorCode::Unknown("INTERNAL".into()), None)
            )),
            Decision::Now(Step::LookUp)
        );
        // HTML 502 and junk 200 while polling: keep polling the same run.
        for status in [502, 200] {
            let d = decide(&at(
                Step::Poll,
                Happened::BadBody {
                    http_status: status,
                    retry_after: None,
                },
            ));
            assert!(matches!(
                d,
                Decision::Wait {
                    reason: WaitReason::ServerError,
                    then: Step::Poll,
                    ..
                }
            ));
        }
        // 404 on poll: refused (the id is unknown or someone else's).
        assert_eq!(
            decide(&at(Step::Poll, api(404, ErrorCode::NotFound, None))),
            Decision::Refused
        );
        // An HTML 404 from a proxy: refused, not retried forever.
        assert_eq!(
            decide(&at(
                Step::Poll,
                Happened::BadBody {
                    http_status: 404,
                    retry_after: None
                }
            )),
            Decision::Refused
        );
    }

    #[test]
    fn lost_submit_never_resubmits_without_looking() {
        // Found: poll it.
        assert_eq!(
            decide(&at(
                Step::LookUp,
                Happened::LookedUp {
                    found: true,
                    lookups: 1,
                    run_exists: false,
                }
            )),
            Decision::Now(Step::Poll)
        );
        // Not found after a 5xx or a dropped connection: look again, 2, 4, 8 s apart (the
        // list may lag), and only then is a resubmission safe.
        for (lookups, want) in [(1, 2.0), (2, 4.0), (3, 8.0)] {
            let d = decide(&at(
                Step::LookUp,
                Happened::LookedUp {
                    found: false,
                    lookups,
                    run_exists: false,
                },
            ));
            assert!(
                matches!(
                    d,
                    Decision::Wait {
                        then: Step::LookUp,
                        reason: WaitReason::LookUpAgain,
                        ..
                    }
                ),
                "{lookups}: {d:?}"
            );
            assert_eq!(secs(&d), want, "{lookups}");
        }
        assert!(matches!(
            decide(&at(
                Step::LookUp,
                Happened::LookedUp {
                    found: false,
                    lookups: LOOKUPS_BEFORE_RESUBMIT,
                    run_exists: false,
                }
            )),
            Decision::Wait {
                then: Step::Submit,
                reason: WaitReason::Resubmit,
                ..
            }
        ));
        // An unreadable 2xx: the run exists, so it is never submitted again, however many
        // look-ups find nothing; the waits grow to a minute.
        for lookups in [1, 4, 10, 50] {
            let d = decide(&at(
                Step::LookUp,
                Happened::LookedUp {
                    found: false,
                    lookups,
                    run_exists: true,
                },
            ));
            match d {
                Decision::Wait { then, delay, .. } => {
                    assert_eq!(then, Step::LookUp, "{lookups}");
                    assert!(delay <= Duration::from_secs(60), "{lookups}");
                }
                other => panic!("{lookups}: {other:?}"),
            }
        }
        // The look-up itself failing: look up again, never submit.
        for h in [
            Happened::Network {
                may_have_reached_server: true,
            },
            Happened::Network {
                may_have_reached_server: false,
            },
            Happened::BadBody {
                http_status: 502,
                retry_after: None,
            },
            api(500, ErrorCode::Unknown("X".into()), None),
        ] {
            match decide(&at(Step::LookUp, h.clone())) {
                Decision::Wait { then, .. } => assert_eq!(then, Step::LookUp, "{h:?}"),
                other => panic!("{h:?} -> {other:?}"),
            }
        }
    }

    #[test]
    fn poll_cadence() {
        // Server hint wins, even under 10 s.
        assert_eq!(
            poll_delay(Some(1), None, Duration::ZERO),
            Duration::from_secs(1)
        );
        assert_eq!(
            poll_delay(None, Some(20), Duration::ZERO),
            Duration::from_secs(20)
        );
        // Both: the larger, so we never poll before Retry-After.
        assert_eq!(
            poll_delay(Some(15), Some(20), Duration::ZERO),
            Duration::from_secs(20)
        );
        // Schedule without hints.
        let cases = [
            (0, 15),
            (119, 15),
            (120, 30),
            (299, 30),
            (300, 60),
            (5000, 60),
        ];
        for (since, want) in cases {
            assert_eq!(
                poll_delay(None, None, Duration::from_secs(since)),
                Duration::from_secs(want),
                "{since}"
            );
        }
        // A processing 200 with a Retry-After header.
        let d = decide(&Situation {
            since_accepted: Duration::from_secs(400),
            ..at(
                Step::Poll,
                Happened::Polled {
                    status: RunStatus::Processing,
                    poll_interval: None,
                    retry_after: Some(12),
                },
            )
        });
        assert_eq!(secs(&d), 12.0);
        // Queued right after submit, no hints: 15 s.
        let d = decide(&at(
            Step::Submit,
            Happened::Accepted {
                status: RunStatus::Queued,
                poll_interval: None,
                retry_after: None,
            },
        ));
        assert_eq!(
            d,
            Decision::Wait {
                delay: Duration::from_secs(15),
                reason: WaitReason::NextPoll,
                then: Step::Poll
            }
        );
    }

    #[test]
    fn poll_rate_limited_without_retry_after_uses_the_current_interval() {
        let d = decide(&Situation {
            last_hint: Some(3),
            ..at(Step::Poll, api(429, ErrorCode::PollRateLimited, None))
        });
        assert_eq!(secs(&d), 3.0);
        let d = decide(&at(Step::Poll, api(429, ErrorCode::PollRateLimited, None)));
        assert_eq!(secs(&d), 15.0);
    }

    #[test]
    fn repeated_warm_ups_grow_never_below_retry_after_and_cap() {
        let mut last = 0.0;
        for attempt in 1..=4 {
            let d = decide(&Situation {
                attempt,
                jitter: 0.99,
                ..at(Step::Submit, api(503, ErrorCode::ServiceWarmingUp, Some(1)))
            });
            let s = secs(&d);
            assert!(s >= 1.0);
            assert!(s > last, "attempt {attempt}: {s} after {last}");
            last = s;
        }
        let capped = decide(&Situation {
            attempt: 20,
            ..at(
                Step::Submit,
                api(503, ErrorCode::ServiceWarmingUp, Some(30)),
            )
        });
        assert_eq!(secs(&capped), WARM_UP_CAP_SECS);
        // A Retry-After above the cap still wins.
        let big = decide(&Situation {
            attempt: 20,
            ..at(
                Step::Submit,
                api(503, ErrorCode::ServiceWarmingUp, Some(600)),
            )
        });
        assert_eq!(secs(&big), 600.0);
    }

    #[test]
    fn rate_limit_backoff_grows_with_jitter_and_respects_retry_after() {
        let a1 = secs(&decide(&Situation {
            attempt: 1,
            jitter: 0.5,
            ..at(
                Step::Submit,
                api(429, ErrorCode::RateLimitExceeded, Some(2)),
            )
        }));
        let a2 = secs(&decide(&Situation {
            attempt: 2,
            jitter: 0.0,
            ..at(
                Step::Submit,
                api(429, ErrorCode::RateLimitExceeded, Some(2)),
            )
        }));
        assert!((a1 - 2.2).abs() < 1e-9, "{a1}");
        assert!((a2 - 4.0).abs() < 1e-9, "{a2}");
        // Jitter never takes a wait below Retry-After.
        for j in [0.0, 0.3, 0.99] {
            assert!(backoff(1.0, 1, 60.0, Some(5), j) >= Duration::from_secs(5));
        }
    }

    #[test]
    fn failed_poll_floor_is_the_last_hint_else_ten_seconds() {
        let junk = Happened::BadBody {
            http_status: 200,
            retry_after: None,
        };
        let d = decide(&Situation {
            last_hint: Some(1),
            ..at(Step::Poll, junk.clone())
        });
        assert_eq!(secs(&d), 1.0);
        let d = decide(&Situation {
            last_hint: Some(1),
            attempt: 3,
            ..at(Step::Poll, junk.clone())
        });
        assert_eq!(secs(&d), 4.0);
        let d = decide(&at(Step::Poll, junk));
        assert_eq!(secs(&d), 10.0);
    }

    #[test]
    fn budget_ends_in_give_up() {
        let d = decide(&Situation {
            elapsed: Duration::from_secs(3590),
            ..at(
                Step::Submit,
                api(503, ErrorCode::ServiceWarmingUp, Some(30)),
            )
        });
        assert_eq!(
            d,
            Decision::GiveUp {
                reason: WaitReason::WarmingUp,
                needed: Duration::from_secs(30)
            }
        );
        // Connection refused with a 5 s budget: a couple of tries, then give up.
        let refused = Happened::Network {
            may_have_reached_server: false,
        };
        let d = decide(&Situation {
            elapsed: Duration::from_secs(3),
            budget: Duration::from_secs(5),
            attempt: 2,
            ..at(Step::Submit, refused)
        });
        assert!(matches!(d, Decision::GiveUp { .. }));
        // Acting now after the budget is gone also gives up.
        let d = decide(&Situation {
            elapsed: Duration::from_secs(10),
            budget: Duration::from_secs(5),
            ..at(
                Step::Submit,
                Happened::Network {
                    may_have_reached_server: true,
                },
            )
        });
        assert!(matches!(d, Decision::GiveUp { .. }));
    }

    #[test]
    fn absurd_server_hints_never_overflow() {
        for h in [
            api(429, ErrorCode::PollRateLimited, Some(u64::MAX)),
            api(429, ErrorCode::RateLimitExceeded, Some(u64::MAX)),
            api(503, ErrorCode::ServiceWarmingUp, Some(u64::MAX)),
            Happened::Polled {
                status: RunStatus::Processing,
                poll_interval: Some(u64::MAX),
                retry_after: Some(u64::MAX),
            },
        ] {
            let step = if matches!(h, Happened::Polled { .. }) {
                Step::Poll
            } else {
                Step::Submit
            };
            // With time left, the hint is clamped to a day (no overflow, no panic)...
            let d = decide(&Situation {
                elapsed: Duration::ZERO,
                budget: Duration::from_secs(2 * MAX_HINT_SECS),
                ..at(step, h.clone())
            });
            assert_eq!(
                secs(&d),
                MAX_HINT_SECS as f64,
                "{h:?} is clamped to a day: {d:?}"
            );
            // ...and a day is more than the default budget: give up rather than wait.
            let d = decide(&Situation {
                elapsed: Duration::ZERO,
                ..at(step, h)
            });
            assert!(matches!(d, Decision::GiveUp { .. }), "{d:?}");
        }
        assert_eq!(
            poll_delay(Some(u64::MAX), None, Duration::ZERO),
            Duration::from_secs(MAX_HINT_SECS)
        );
    }

    /// Issue 9.2: a zero or past hint is no hint, and no wait is ever under a second.
    #[test]
    fn zero_hints_are_no_hints_and_every_wait_has_a_floor() {
        // 429 POLL_RATE_LIMITED with Retry-After: 0 (or a past date, parsed as 0): the current
        // interval (15 s without a hint), growing while it repeats.
        let mut last = 0.0;
        for attempt in 1..=4 {
            let d = decide(&Situation {
                attempt,
                ..at(Step::Poll, api(429, ErrorCode::PollRateLimited, Some(0)))
            });
            assert!(secs(&d) >= 15.0, "{attempt}: {d:?}");
            assert!(secs(&d) >= last, "{attempt}");
            last = secs(&d);
        }
        // 503 / 429 on submit with Retry-After: 0: the documented defaults, backing off.
        let warm = decide(&at(
            Step::Submit,
            api(503, ErrorCode::ServiceWarmingUp, Some(0)),
        ));
        assert_eq!(secs(&warm), WARM_UP_DEFAULT_SECS);
        let warm4 = decide(&Situation {
            attempt: 4,
            ..at(Step::Submit, api(503, ErrorCode::ServiceWarmingUp, Some(0)))
        });
        assert_eq!(secs(&warm4), WARM_UP_CAP_SECS);
        let rate = decide(&at(
            Step::Submit,
            api(429, ErrorCode::RateLimitExceeded, Some(0)),
        ));
        assert_eq!(secs(&rate), RATE_LIMIT_DEFAULT_SECS);
        // A 200 poll with Retry-After: 0 and pollIntervalSeconds: 0: the 10 s+ schedule.
        let d = decide(&at(
            Step::Poll,
            Happened::Polled {
                status: RunStatus::Processing,
                poll_interval: Some(0),
                retry_after: Some(0),
            },
        ));
        assert_eq!(secs(&d), 15.0);
        // A remembered zero hint is no floor either.
        let d = decide(&Situation {
            last_hint: Some(0),
            ..at(
                Step::Poll,
                Happened::Network {
                    may_have_reached_server: true,
                },
            )
        });
        assert!(secs(&d) >= 10.0, "{d:?}");
        // Whatever happens, a wait is never under MIN_WAIT.
        for h in [
            api(429, ErrorCode::PollRateLimited, Some(0)),
            api(429, ErrorCode::RateLimitExceeded, Some(0)),
            api(503, ErrorCode::ServiceWarmingUp, Some(0)),
            Happened::BadBody {
                http_status: 500,
                retry_after: Some(0),
            },
            Happened::Network {
                may_have_reached_server: false,
            },
        ] {
            for step in [Step::Submit, Step::Poll, Step::LookUp] {
                if let Decision::Wait { delay, .. } = decide(&at(step, h.clone())) {
                    assert!(delay >= MIN_WAIT, "{step:?} {h:?}: {delay:?}");
                }
            }
        }
    }

    #[test]
    fn redirects_are_refused_never_followed() {
        for step in [Step::Submit, Step::Poll, Step::LookUp] {
            assert_eq!(
                decide(&at(step, Happened::Redirected { http_status: 302 })),
                Decision::Refused
            );
        }
    }

    #[test]
    fn terminal_statuses_finish() {
        for status in [RunStatus::Success, RunStatus::Partial, RunStatus::Failed] {
            let d = decide(&at(
                Step::Poll,
                Happened::Polled {
                    status,
                    poll_interval: Some(1),
                    retry_after: Some(1),
                },
            ));
            assert_eq!(d, Decision::Finished);
        }
        // An undocumented status is not terminal: keep polling.
        let d = decide(&at(
            Step::Poll,
            Happened::Polled {
                status: RunStatus::Other("scoring".into()),
                poll_interval: Some(2),
                retry_after: None,
            },
        ));
        assert_eq!(secs(&d), 2.0);
    }
}
