//! How a command's result reaches the person: the outcome as one JSON object on stdout
//! (`--json`) or the scores and the guidance on stdout/stderr, and the exit code.

use std::io::Write as _;
use std::process::ExitCode;

use crate::api::codes::ErrorCode;
use crate::api::error::ApiError;
use crate::api::model::PollResponse;
use crate::engine::outcome::{Outcome, OutcomeError, OutcomeKind};
use crate::guidance::{self, Guidance};

use super::Exit;

pub(crate) fn print_guidance(g: &Guidance) {
    eprintln!("{}", g.title);
    eprintln!("  {}", g.body);
    if !matches!(g.action, guidance::Action::None) {
        eprintln!("  What to do: {}", g.action.instruction());
    }
}

pub(crate) fn print_json(v: &serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}

fn print_scores(outcome: &Outcome, simulated: bool) {
    let Some(body) = outcome.result.clone() else {
        return;
    };
    let Ok(poll) = serde_json::from_value::<PollResponse>(body) else {
        return;
    };
    println!(
        "{} — run {}",
        outcome.kind.as_str(),
        outcome.run_id.as_deref().unwrap_or("?")
    );
    if let Some(scores) = &poll.scores {
        use crate::api::model::Dimension;
        let show = |label: &str, d: crate::api::model::DimensionScore| match d.score {
            Some(s) => println!(
                "  {label:<11} {s:.1}/5  {}  {}%",
                d.cefr.unwrap_or_default(),
                d.percent.map_or("-".into(), |p| format!("{p:.0}"))
            ),
            None => println!("  {label:<11} not scored"),
        };
        for dim in Dimension::ALL {
            show(dim.label(), scores.dimension(dim));
        }
        show("Overall", scores.overall());
    }
    if simulated {
        println!("  Simulated by the local ZenHire simulator: not a real assessment.");
    }
    if let Some(cd) = &poll.candidate_detection
        && let Some(crate::api::model::Confidence::Low) = cd.confidence
    {
        println!(
            "  Candidate detection confidence is low: review the transcript before any decision."
        );
    }
}

/// Prints an outcome (stdout JSON with `--json`, scores or guidance otherwise) and returns its
/// exit code.
pub(crate) fn report_outcome(outcome: &Outcome, json: bool) -> ExitCode {
    report_outcome_marked(outcome, json, false)
}

/// As [`report_outcome`], saying so when the answers came from the simulator.
pub(crate) fn report_outcome_marked(outcome: &Outcome, json: bool, simulated: bool) -> ExitCode {
    if json {
        print_json(&outcome.to_json());
    }
    match outcome.kind {
        OutcomeKind::Success | OutcomeKind::Partial => {
            if !json {
                print_scores(outcome, simulated);
            }
        }
        OutcomeKind::Cancelled => match (&outcome.run_id, &outcome.error) {
            (Some(run), _) => eprintln!(
                "Interrupted. The run continues on the service; finish it with: speech-scorer resume {run}"
            ),
            (None, Some(err)) => {
                print_guidance(&guidance::for_outcome_error(err, None));
                if let Some(local) = &outcome.local_id {
                    eprintln!("  Finish it with: speech-scorer resume {local}");
                }
            }
            (None, None) => eprintln!("Interrupted before anything was sent."),
        },
        _ => {
            if let Some(err) = &outcome.error {
                eprintln!("error: {} — {}", err.code, err.message);
                print_guidance(&guidance::for_outcome_error(err, outcome.run_id.as_deref()));
            }
            if outcome.is_resumable()
                && let Some(run) = &outcome.run_id
            {
                eprintln!("The run still exists; finish it later with: speech-scorer resume {run}");
            }
        }
    }
    super::exit::for_outcome(outcome).into()
}

/// After a job that ended without a run id: when its record says the upload may have
/// created a run (the app stopped waiting before the service confirmed it), how to finish it.
pub(crate) fn print_lost_upload_hint(outcome: &Outcome, unfinished: bool) {
    if outcome.run_id.is_some() || !unfinished || outcome.kind == OutcomeKind::Cancelled {
        return;
    }
    if let Some(local) = &outcome.local_id {
        eprintln!(
            "The upload may have created a run; finish it later with: speech-scorer resume {local}"
        );
    }
}

pub(crate) fn local_failure(
    json: bool,
    code: ErrorCode,
    message: String,
    external_id: Option<String>,
) -> ExitCode {
    let outcome = Outcome {
        kind: OutcomeKind::InvalidInput,
        run_id: None,
        external_id,
        local_id: None,
        result: None,
        error: Some(OutcomeError {
            code,
            message,
            http_status: None,
            request_id: None,
            details: None,
        }),
    };
    report_outcome(&outcome, json)
}

pub(crate) fn report_api_error(e: &ApiError) -> ExitCode {
    match e {
        ApiError::Api {
            status,
            body,
            retry_after,
        } => {
            eprintln!("error: HTTP {status} {} — {}", body.code, body.message);
            print_guidance(&guidance::for_api_error(body, *retry_after));
            if let Some(r) = &body.request_id {
                eprintln!("  requestId: {r}");
            }
            if (400..500).contains(status) {
                Exit::Refused.into()
            } else {
                Exit::GaveUp.into()
            }
        }
        ApiError::BadBody {
            status, snippet, ..
        } => {
            eprintln!("error: HTTP {status} with an unreadable body: {snippet}");
            Exit::Other.into()
        }
        ApiError::Redirect { .. } => {
            eprintln!("error: {e}");
            print_guidance(&guidance::for_code(&ErrorCode::Local(
                crate::api::codes::LocalCode::Redirected,
            )));
            Exit::Refused.into()
        }
        ApiError::Network { .. } => {
            eprintln!("error: {e}");
            print_guidance(&guidance::for_network());
            Exit::GaveUp.into()
        }
    }
}
