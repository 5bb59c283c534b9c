//! The CLI's stable exit codes (DESIGN.md, "Headless CLI contract").

use std::process::ExitCode;

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
