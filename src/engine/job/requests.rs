//! One adapter per request the engine makes — submit, poll, look-up — turning the client's
//! reply into what the policy decides on ([`Happened`]) and the log keeps ([`Facts`]), and
//! the rule for which listed run is ours.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::driver::Driver;
use crate::api::client::{Facts, Reply, RunsFilter};
use crate::api::codes::{ErrorCode, LocalCode};
use crate::api::error::ApiError;
use crate::api::model::{PollResponse, RunRow, RunStatus, RunsList, SubmitAccepted};
use crate::engine::checks::Prepared;
use crate::engine::events::JobEvent;
use crate::engine::outcome::OutcomeError;
use crate::engine::policy::{Decision, Happened, Step};

/// Clock skew tolerated when matching a listed run's `createdAt` against our upload's start.
pub const LOOKUP_SKEW: chrono::TimeDelta = chrono::TimeDelta::seconds(300);

/// One request's result, reduced for the policy and the log.
pub(super) struct Attempt {
    pub step: Step,
    pub happened: Happened,
    pub facts: Facts,
    pub error: Option<ApiError>,
}

/// Why a request did not produce an [`Attempt`].
pub(super) enum Interrupted {
    /// The person (or a signal) stopped the job.
    Cancelled,
    /// The time budget ran out while the request was in flight.
    OutOfTime,
}

/// True when a listed run is provably the one our lost submit created: its `externalId` is
/// exactly ours (a row without one, or with a differently spelled field, is not), and it was
/// created after our upload started, give or take [`LOOKUP_SKEW`] (a row with no readable
/// `createdAt` is not). Anything else may be another candidate's run: never ours.
pub fn is_ours(row: &RunRow, external_id: &str, upload_started: DateTime<Utc>) -> bool {
    let exact = row.external_id.as_deref() == Some(external_id);
    let created = row
        .raw
        .get("createdAt")
        .and_then(Value::as_str)
        .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
        .map(|c| c.with_timezone(&Utc));
    exact && created.is_some_and(|c| c >= upload_started - LOOKUP_SKEW)
}

/// Our run in a list, if there is one: among the rows that are provably ours, the first
/// created after our upload started (an earlier one with our id is some older attempt).
fn find_ours<'a>(
    list: &'a RunsList,
    external_id: &str,
    upload_started: DateTime<Utc>,
) -> Option<&'a RunRow> {
    let created = |r: &RunRow| {
        r.raw
            .get("createdAt")
            .and_then(Value::as_str)
            .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
    };
    list.rows
        .iter()
        .filter(|r| is_ours(r, external_id, upload_started))
        .min_by_key(|r| created(r))
}

/// The policy's view of a failed exchange.
pub(super) fn happened_from(e: &ApiError) -> Happened {
    match e {
        ApiError::Api {
            status,
            body,
            retry_after,
        } => Happened::Api {
            http_status: *status,
            code: body.code.clone(),
            retry_after: *retry_after,
        },
        ApiError::BadBody {
            status,
            retry_after,
            ..
        } => Happened::BadBody {
            http_status: *status,
            retry_after: *retry_after,
        },
        ApiError::Redirect { status, .. } => Happened::Redirected {
            http_status: *status,
        },
        ApiError::Network {
            may_have_reached_server,
            ..
        } => Happened::Network {
            may_have_reached_server: *may_have_reached_server,
        },
    }
}

/// A failed exchange as the outcome reports it.
pub(super) fn outcome_error(e: &ApiError) -> OutcomeError {
    let local = |code: LocalCode, message: String, http_status: Option<u16>| OutcomeError {
        code: ErrorCode::Local(code),
        message,
        http_status,
        request_id: None,
        details: None,
    };
    match e {
        ApiError::Api { status, body, .. } => OutcomeError {
            code: body.code.clone(),
            message: body.message.clone(),
            http_status: Some(*status),
            request_id: body.request_id.clone(),
            details: body.details.clone(),
        },
        ApiError::BadBody {
            status, snippet, ..
        } if (400..500).contains(status) => OutcomeError {
            code: ErrorCode::from_status(*status),
            message: format!("HTTP {status} with an unreadable body: {snippet}"),
            http_status: Some(*status),
            request_id: None,
            details: None,
        },
        ApiError::BadBody {
            status, snippet, ..
        } => local(
            LocalCode::BadResponse,
            format!("HTTP {status} with an unreadable body: {snippet}"),
            Some(*status),
        ),
        ApiError::Redirect { status, location } => local(
            LocalCode::Redirected,
            match location {
                Some(l) => format!("HTTP {status} redirect to {l}"),
                None => format!("HTTP {status} redirect"),
            },
            Some(*status),
        ),
        ApiError::Network { message, .. } => local(LocalCode::NetworkError, message.clone(), None),
    }
}

/// What the engine decided, in words for the request log.
pub(super) fn describe(d: &Decision) -> String {
    match d {
        Decision::Wait { then, .. } | Decision::Now(then) => match then {
            Step::Submit => "submit again",
            Step::Poll => "poll",
            Step::LookUp => "look the run up by externalId",
        }
        .to_string(),
        Decision::Finished => "finished".into(),
        Decision::Refused => "stop: refused".into(),
        Decision::GiveUp { .. } => "give up: budget exhausted".into(),
    }
}

impl Driver {
    /// `POST /analyze`. The upload's start is saved before the first byte goes out, so after
    /// a crash the run is looked up rather than submitted again.
    pub(super) async fn submit(&mut self, prepared: &Prepared) -> Result<Attempt, Interrupted> {
        // The account's wait comes first: nothing is on its way while we sit it out.
        self.pace().await?;
        if self.record.upload_started.is_none() {
            self.record.upload_started = Some(Utc::now());
            self.save();
        }
        let sink = self.sink.clone();
        let sent = std::sync::Arc::clone(&self.uploaded);
        let request = self.client.submit(
            &prepared.path,
            prepared.mime,
            &prepared.fields,
            move |done, total| {
                sent.store(done, std::sync::atomic::Ordering::Relaxed);
                sink(JobEvent::Uploading { sent: done, total });
            },
        );
        let mut reply: Reply<SubmitAccepted> = self.guard(request).await?;
        // The request log describes the audio part with its duration (issue 15).
        reply.facts.note_audio_duration(prepared.info.duration);
        self.record.simulated |= reply.facts.simulated;
        Ok(match reply.result {
            Ok(acc) => {
                // Kept in history as the "upload complete" mark (chunk events are not).
                let size = prepared.info.size_bytes;
                self.emit(JobEvent::Uploading {
                    sent: size,
                    total: size,
                });
                self.remember_hint(acc.poll_interval_seconds, reply.facts.retry_after);
                self.remember_body(&reply.facts);
                let happened = Happened::Accepted {
                    status: acc.status.clone(),
                    poll_interval: acc.poll_interval_seconds,
                    retry_after: reply.facts.retry_after,
                };
                self.accept(acc.id, acc.status, acc.queue_position);
                Attempt {
                    step: Step::Submit,
                    happened,
                    facts: reply.facts,
                    error: None,
                }
            }
            Err(e) => {
                self.note_lost_submit(&e);
                Attempt {
                    step: Step::Submit,
                    happened: happened_from(&e),
                    facts: reply.facts,
                    error: Some(e),
                }
            }
        })
    }

    /// `GET /analyze/{id}`. A body about another run (another id, another externalId) is
    /// never taken for ours.
    pub(super) async fn poll(&mut self) -> Result<Attempt, Interrupted> {
        let run_id = self.run_id.clone().unwrap_or_default();
        self.pace().await?;
        let reply: Reply<PollResponse> = self.guard(self.client.poll(&run_id)).await?;
        self.record.simulated |= reply.facts.simulated;
        Ok(match reply.result {
            Ok(p) => {
                if let Some(why) = self.not_ours(&run_id, &p) {
                    self.mismatch = Some(why);
                    return Ok(Attempt {
                        step: Step::Poll,
                        happened: Happened::BadBody {
                            http_status: reply.facts.status.unwrap_or(200),
                            retry_after: None,
                        },
                        facts: reply.facts,
                        error: None,
                    });
                }
                self.remember_hint(p.poll_interval_seconds, reply.facts.retry_after);
                self.remember_body(&reply.facts);
                self.note_status(&p.status, p.queue_position);
                Attempt {
                    step: Step::Poll,
                    happened: Happened::Polled {
                        status: p.status,
                        poll_interval: p.poll_interval_seconds,
                        retry_after: reply.facts.retry_after,
                    },
                    facts: reply.facts,
                    error: None,
                }
            }
            Err(e) => Attempt {
                step: Step::Poll,
                happened: happened_from(&e),
                facts: reply.facts,
                error: Some(e),
            },
        })
    }

    /// Why a poll body is not about our run, if it is not.
    fn not_ours(&self, run_id: &str, p: &PollResponse) -> Option<String> {
        if p.id != run_id {
            return Some(format!(
                "a poll of run {run_id} answered about run {}",
                p.id
            ));
        }
        match (&self.record.external_id, &p.external_id) {
            (Some(ours), Some(theirs)) if ours != theirs => Some(format!(
                "run {run_id} carries externalId {theirs}, not ours ({ours})"
            )),
            _ => None,
        }
    }

    /// `GET /runs?externalId=…` after a submit whose answer was lost.
    pub(super) async fn look_up(&mut self, lookups: u32) -> Result<Attempt, Interrupted> {
        let external_id = self.record.external_id.clone().unwrap_or_default();
        self.emit(JobEvent::CheckingForLostSubmit {
            external_id: external_id.clone(),
        });
        let filter = RunsFilter {
            external_id: Some(external_id.clone()),
            ..RunsFilter::default()
        };
        self.pace().await?;
        let reply = self.guard(self.client.runs(&filter)).await?;
        let run_exists = self.lost.is_some_and(|l| l.run_exists);
        Ok(match reply.result {
            Ok(list) => {
                let since = self.record.upload_started.unwrap_or(self.record.created);
                let found = find_ours(&list, &external_id, since)
                    .map(|row| (row.id.clone(), row.status.clone()));
                if let Some((id, status)) = &found {
                    let status = status.clone().unwrap_or(RunStatus::Queued);
                    self.accept(id.clone(), status, None);
                }
                Attempt {
                    step: Step::LookUp,
                    happened: Happened::LookedUp {
                        found: found.is_some(),
                        lookups,
                        run_exists,
                    },
                    facts: reply.facts,
                    error: None,
                }
            }
            Err(e) => Attempt {
                step: Step::LookUp,
                happened: happened_from(&e),
                facts: reply.facts,
                error: Some(e),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(v: Value) -> RunRow {
        RunsList::from_value(serde_json::json!([v]))
            .expect("list")
            .rows
            .remove(0)
    }

    #[test]
    fn a_run_is_ours_only_with_our_exact_external_id_created_after_our_upload() {
        let started = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .expect("date")
            .with_timezone(&Utc);
        let ours = "ss-1";
        let at = |t: &str| serde_json::json!({"id": "req_1", "externalId": ours, "createdAt": t});
        assert!(is_ours(&row(at("2026-12-01T10:00:05Z")), ours, started));
        // Clock skew of up to five minutes is tolerated, more is not.
        assert!(is_ours(&row(at("2026-12-01T09:56:00Z")), ours, started));
        assert!(!is_ours(&row(at("2026-12-01T09:50:00Z")), ours, started));
        // No externalId, another spelling, another value: not ours.
        for v in [
            serde_json::json!({"id": "req_2", "createdAt": "2026-12-01T10:00:05Z"}),
            serde_json::json!({"id": "req_2", "external_id": ours, "createdAt": "2026-12-01T10:00:05Z"}),
            serde_json::json!({"id": "req_2", "externalId": "ss-10", "createdAt": "2026-12-01T10:00:05Z"}),
            serde_json::json!({"id": "req_2", "externalId": "SS-1", "createdAt": "2026-12-01T10:00:05Z"}),
        ] {
            assert!(!is_ours(&row(v.clone()), ours, started), "{v}");
        }
        // No createdAt (or another field, or junk): not provably ours.
        for v in [
            serde_json::json!({"id": "req_3", "externalId": ours}),
            serde_json::json!({"id": "req_3", "externalId": ours, "timestamp": "2026-12-01T10:00:05Z"}),
            serde_json::json!({"id": "req_3", "externalId": ours, "createdAt": "yesterday"}),
            serde_json::json!({"id": "req_3", "externalId": ours, "createdAt": 1764583205}),
        ] {
            assert!(!is_ours(&row(v.clone()), ours, started), "{v}");
        }
    }

    #[test]
    fn the_earliest_of_our_runs_after_the_upload_is_chosen() {
        let started = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .expect("date")
            .with_timezone(&Utc);
        let list = RunsList::from_value(serde_json::json!({"data": [
            {"id": "req_new", "externalId": "ss-1", "createdAt": "2026-12-01T10:02:00Z"},
            {"id": "req_mine", "externalId": "ss-1", "createdAt": "2026-12-01T10:00:03Z"},
            {"id": "req_old", "externalId": "ss-1", "createdAt": "2026-11-01T10:00:00Z"},
            {"id": "req_other", "externalId": "ss-2", "createdAt": "2026-12-01T10:00:01Z"},
        ]}))
        .expect("list");
        assert_eq!(
            find_ours(&list, "ss-1", started).map(|r| r.id.as_str()),
            Some("req_mine")
        );
        assert!(find_ours(&list, "ss-3", started).is_none());
    }
}
