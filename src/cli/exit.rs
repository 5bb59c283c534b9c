//! The CLI's stable exit codes (DESIGN.md, "Headless CLI contract").

use std::process::ExitCode;

use crate::engine::{Outcome, OutcomeKind};

/// Exit codes scripts rely on. Never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// The run succeeded (or finished `partial`).
    Success = 0,
    /// Anything not covered below.
    Other = 1,
    /// Invalid input found locally; nothing was sent.
    InvalidInput = 2,
    /// The API refused the request (4xx).
    Refused = 3,
    /// The run failed (`status: failed`).
    RunFailed = 4,
    /// Gave up: retries or time budget exhausted, service unreachable.
    GaveUp = 5,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

impl From<OutcomeKind> for Exit {
    /// 0 success/partial, 2 invalid input, 3 refused, 4 run failed, 5 gave up, 1 anything else
    /// (cancelled).
    fn from(kind: OutcomeKind) -> Exit {
        match kind {
            OutcomeKind::Success | OutcomeKind::Partial => Exit::Success,
            OutcomeKind::InvalidInput => Exit::InvalidInput,
            OutcomeKind::Rejected => Exit::Refused,
            OutcomeKind::Failed => Exit::RunFailed,
            OutcomeKind::GaveUp => Exit::GaveUp,
            OutcomeKind::Cancelled | OutcomeKind::InternalError => Exit::Other,
        }
    }
}

/// The process exit code for an outcome.
pub fn for_outcome(outcome: &Outcome) -> Exit {
    Exit::from(outcome.kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_cli_contract() {
        // Literal numbers from DESIGN.md's table, not from the enum.
        let want = [
            (OutcomeKind::Success, 0),
            (OutcomeKind::Partial, 0),
            (OutcomeKind::InvalidInput, 2),
            (OutcomeKind::Rejected, 3),
            (OutcomeKind::Failed, 4),
            (OutcomeKind::GaveUp, 5),
            (OutcomeKind::Cancelled, 1),
            (OutcomeKind::InternalError, 1),
        ];
        for (kind, code) in want {
            assert_eq!(Exit::from(kind) as u8, code, "{kind:?}");
        }
    }
}
