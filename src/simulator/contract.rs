//! The simulator's own copy of the error catalog: for each code, how the service delivers
//! it (an HTTP status, or inside a 200 `status: failed` poll) and the message it sends.
//!
//! Written from `zenhire-speech-api.md` §11 and the vendor's error-handling guide, not from
//! the client's `api::codes`: when the client's table is wrong, the simulator still answers
//! like the real service, and the tests that talk to it catch the mistake. Codes are plain
//! strings here, as on the wire.

/// How the service sends a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// An error envelope with this HTTP status.
    Http(u16),
    /// `error.code` of a `status: failed` poll body, sent with HTTP 200.
    FailedRun,
}

/// One catalog entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeEntry {
    /// The wire string, e.g. `"INSUFFICIENT_CREDITS"`.
    pub code: &'static str,
    /// Status or failed run.
    pub delivery: Delivery,
    /// The message the simulator sends (the docs' sample where there is one, else ours; the
    /// docs say clients must not parse it).
    pub message: &'static str,
}

impl CodeEntry {
    /// The HTTP status of the envelope; `None` for failed-run codes.
    pub fn status(&self) -> Option<u16> {
        match self.delivery {
            Delivery::Http(s) => Some(s),
            Delivery::FailedRun => None,
        }
    }

    /// 401s are rejected by middleware before a route handler runs: no `requestId`.
    pub fn carries_request_id(&self) -> bool {
        self.status() != Some(401)
    }

    /// 429s and the 503 warm-up carry `Retry-After` and `error.retryAfterSeconds`.
    pub fn carries_retry_after(&self) -> bool {
        matches!(self.status(), Some(429 | 503))
    }
}

const fn http(code: &'static str, status: u16, message: &'static str) -> CodeEntry {
    CodeEntry {
        code,
        delivery: Delivery::Http(status),
        message,
    }
}

const fn failed(code: &'static str, message: &'static str) -> CodeEntry {
    CodeEntry {
        code,
        delivery: Delivery::FailedRun,
        message,
    }
}

/// The code the simulator sends for an unknown or foreign run id. The docs give a 404 but
/// not its code string; this is our name for it (the client treats any 404 alike).
pub const NOT_FOUND: &str = "NOT_FOUND";

/// Every code the contract names, in catalog order (§11.2, then the failed-run codes §11.3).
pub const CODES: [CodeEntry; 31] = [
    // 400: validation.
    http(
        "MISSING_AUDIO_FILE",
        400,
        "No audio file was provided in the 'audio' field.",
    ),
    http(
        "UNSUPPORTED_FORMAT",
        400,
        "Unsupported audio format. Supported formats: MP3, WAV, M4A, WebM, OGG, FLAC.",
    ),
    http("FILE_TOO_LARGE", 400, "Audio file exceeds the 25 MB limit."),
    http(
        "INVALID_LANGUAGE_CODE",
        400,
        "Invalid language code. Must be a 2-letter ISO 639-1 code.",
    ),
    http(
        "INVALID_EXTERNAL_ID",
        400,
        "externalId must be between 1 and 255 characters.",
    ),
    http(
        "INVALID_METADATA",
        400,
        "metadata must be a valid JSON object.",
    ),
    http(
        "AUDIO_TOO_SHORT",
        400,
        "Audio is shorter than the 3-minute minimum.",
    ),
    http(
        "AUDIO_TOO_LONG",
        400,
        "Audio is longer than the 45-minute maximum.",
    ),
    http(
        "AUDIO_DURATION_UNAVAILABLE",
        400,
        "Could not determine the audio duration.",
    ),
    http(
        "INVALID_STATUS",
        400,
        "Invalid status filter. Use queued, processing, success, partial or failed.",
    ),
    http(
        "INVALID_SERVICE_TYPE",
        400,
        "Invalid serviceType. Use speech or cv_deepmatch.",
    ),
    http(
        "INVALID_DATE",
        400,
        "Invalid date filter. Use an ISO 8601 datetime.",
    ),
    http(
        "INVALID_PARAMETERS",
        400,
        "One or more parameters are out of range.",
    ),
    // 401: authentication (middleware-level).
    http(
        "MISSING_API_KEY",
        401,
        "API key required. Send it in the X-API-Key header.",
    ),
    http("INVALID_API_KEY", 401, "API key not recognized."),
    http("API_KEY_EXPIRED", 401, "API key has expired."),
    http("CLIENT_INACTIVE", 401, "Client account is inactive."),
    // 402: credits.
    http(
        "INSUFFICIENT_CREDITS",
        402,
        "Insufficient credits for this request.",
    ),
    // 403: permissions.
    http(
        "MULTILINGUAL_NOT_ENABLED",
        403,
        "Non-English analysis is not enabled for this account.",
    ),
    http(
        "IP_NOT_ALLOWED",
        403,
        "Requests from this IP address are not allowed for this key.",
    ),
    http(
        "MISSING_PERMISSION",
        403,
        "This account does not have the speech permission.",
    ),
    // 404 on poll.
    http(NOT_FOUND, 404, "Request not found."),
    // 429: throttled.
    http("RATE_LIMIT_EXCEEDED", 429, "Rate limit exceeded."),
    http(
        "POLL_RATE_LIMITED",
        429,
        "Polled too frequently; minimum interval is 10 seconds.",
    ),
    // 503.
    http("SERVICE_WARMING_UP", 503, "Scoring service is warming up."),
    // A `status: failed` poll (HTTP 200).
    failed("TRANSCRIPTION_FAILED", "Transcription failed."),
    failed(
        "TRANSCRIPTION_LOW_CONFIDENCE",
        "Audio content does not match the requested language.",
    ),
    failed("SCORING_FAILED", "Scoring failed after retry."),
    failed(
        "SERVICE_CONFIGURATION_ERROR",
        "An external provider is misconfigured.",
    ),
    failed("STUCK_TIMEOUT", "The run exceeded its watchdog timeout."),
    failed("INTERNAL_ERROR", "An unexpected error occurred."),
];

/// The catalog entry for a code, if the contract names it.
pub fn entry(code: &str) -> Option<&'static CodeEntry> {
    CODES.iter().find(|e| e.code == code)
}

/// The message for a code; a generic one for codes the contract does not name.
pub fn message(code: &str) -> &'static str {
    entry(code).map_or("An error occurred.", |e| e.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Copied by hand from `zenhire-speech-api.md` §11.2 / §11.3 and the error-handling
    /// guide; `None` is a code sent inside a 200 `status: failed` poll.
    const FROM_THE_CONTRACT: [(&str, Option<u16>); 31] = [
        ("MISSING_AUDIO_FILE", Some(400)),
        ("UNSUPPORTED_FORMAT", Some(400)),
        ("FILE_TOO_LARGE", Some(400)),
        ("INVALID_LANGUAGE_CODE", Some(400)),
        ("INVALID_EXTERNAL_ID", Some(400)),
        ("INVALID_METADATA", Some(400)),
        ("AUDIO_TOO_SHORT", Some(400)),
        ("AUDIO_TOO_LONG", Some(400)),
        ("AUDIO_DURATION_UNAVAILABLE", Some(400)),
        ("INVALID_STATUS", Some(400)),
        ("INVALID_SERVICE_TYPE", Some(400)),
        ("INVALID_DATE", Some(400)),
        ("INVALID_PARAMETERS", Some(400)),
        ("MISSING_API_KEY", Some(401)),
        ("INVALID_API_KEY", Some(401)),
        ("API_KEY_EXPIRED", Some(401)),
        ("CLIENT_INACTIVE", Some(401)),
        ("INSUFFICIENT_CREDITS", Some(402)),
        ("MULTILINGUAL_NOT_ENABLED", Some(403)),
        ("IP_NOT_ALLOWED", Some(403)),
        ("MISSING_PERMISSION", Some(403)),
        ("NOT_FOUND", Some(404)),
        ("RATE_LIMIT_EXCEEDED", Some(429)),
        ("POLL_RATE_LIMITED", Some(429)),
        ("SERVICE_WARMING_UP", Some(503)),
        ("TRANSCRIPTION_FAILED", None),
        ("TRANSCRIPTION_LOW_CONFIDENCE", None),
        ("SCORING_FAILED", None),
        ("SERVICE_CONFIGURATION_ERROR", None),
        ("STUCK_TIMEOUT", None),
        ("INTERNAL_ERROR", None),
    ];

    #[test]
    fn every_documented_code_has_the_contracts_status() {
        for (code, status) in FROM_THE_CONTRACT {
            let e = entry(code).unwrap_or_else(|| panic!("{code} missing from the table"));
            assert_eq!(e.status(), status, "{code}");
        }
        for e in &CODES {
            assert!(
                FROM_THE_CONTRACT.iter().any(|(c, _)| *c == e.code),
                "{} is not in the contract",
                e.code
            );
        }
        let mut seen: Vec<&str> = CODES.iter().map(|e| e.code).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 31, "no code twice");
    }

    #[test]
    fn envelope_rules_follow_the_status() {
        let by = |code| entry(code).expect("documented");
        assert!(!by("INVALID_API_KEY").carries_request_id());
        assert!(by("INSUFFICIENT_CREDITS").carries_request_id());
        assert!(by("RATE_LIMIT_EXCEEDED").carries_retry_after());
        assert!(by("SERVICE_WARMING_UP").carries_retry_after());
        assert!(!by("NOT_FOUND").carries_retry_after());
        assert!(!by("STUCK_TIMEOUT").carries_retry_after());
        // The one message text the docs give verbatim.
        assert_eq!(
            message("INVALID_LANGUAGE_CODE"),
            "Invalid language code. Must be a 2-letter ISO 639-1 code."
        );
        assert_eq!(message("SOMETHING_NEW"), "An error occurred.");
        assert!(CODES.iter().all(|e| !e.message.is_empty()));
    }
}
