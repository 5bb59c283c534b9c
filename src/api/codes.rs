//! Every error code the ZenHire docs name, plus `Unknown` for the ones they don't.
//!
//! Branch on these, never on `error.message` (its wording may change). An unknown code is
//! kept verbatim so it can still be shown, logged and explained.

use std::fmt;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $text:literal, )*) => {
        /// A ZenHire `error.code`: every documented value, or `Unknown` with the text as sent.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
            /// One of this app's own codes, for endings the API has no code for.
            Local(LocalCode),
            /// A code the docs don't list, kept exactly as the server sent it.
            Unknown(String),
        }

        impl ErrorCode {
            /// Every documented code (not `Unknown`), in catalog order.
            pub const DOCUMENTED: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// The wire string, e.g. `"INSUFFICIENT_CREDITS"`.
            pub fn as_str(&self) -> &str {
                match self {
                    $( ErrorCode::$variant => $text, )*
                    ErrorCode::Local(l) => l.as_str(),
                    ErrorCode::Unknown(s) => s,
                }
            }

            /// Parses a code the *service* sent; anything undocumented becomes `Unknown`
            /// verbatim (a service never sends one of our [`LocalCode`]s, so a string that
            /// looks like one stays `Unknown`).
            pub fn parse(s: &str) -> ErrorCode {
                match s {
                    $( $text => ErrorCode::$variant, )*
                    other => ErrorCode::Unknown(other.to_string()),
                }
            }
        }
    };
}

error_codes! {
    // 400: validation. Never retried unchanged.
    /// No `audio` part in the multipart body.
    MissingAudioFile = "MISSING_AUDIO_FILE",
    /// Not a valid MP3/WAV/M4A/WebM/OGG/FLAC file.
    UnsupportedFormat = "UNSUPPORTED_FORMAT",
    /// Larger than 25 MB.
    FileTooLarge = "FILE_TOO_LARGE",
    /// `language` is not a 2-letter ISO 639-1 code.
    InvalidLanguageCode = "INVALID_LANGUAGE_CODE",
    /// `externalId` empty or longer than 255 characters.
    InvalidExternalId = "INVALID_EXTERNAL_ID",
    /// `metadata` is not valid JSON.
    InvalidMetadata = "INVALID_METADATA",
    /// Shorter than 3 minutes.
    AudioTooShort = "AUDIO_TOO_SHORT",
    /// Longer than 45 minutes.
    AudioTooLong = "AUDIO_TOO_LONG",
    /// The duration could not be read (corrupt or unsupported file).
    AudioDurationUnavailable = "AUDIO_DURATION_UNAVAILABLE",
    /// `/runs` status filter not a lifecycle value.
    InvalidStatus = "INVALID_STATUS",
    /// `/runs` serviceType not `speech` or `cv_deepmatch`.
    InvalidServiceType = "INVALID_SERVICE_TYPE",
    /// `/runs` createdAfter/createdBefore not ISO 8601.
    InvalidDate = "INVALID_DATE",
    /// A parameter (a "cutSetting") out of range.
    InvalidParameters = "INVALID_PARAMETERS",
    // 401: authentication.
    /// Neither `X-API-Key` nor `Authorization` was sent.
    MissingApiKey = "MISSING_API_KEY",
    /// The key is unknown or inactive.
    InvalidApiKey = "INVALID_API_KEY",
    /// The key has passed its expiry date.
    ApiKeyExpired = "API_KEY_EXPIRED",
    /// The account behind the key is disabled.
    ClientInactive = "CLIENT_INACTIVE",
    // 402: credits.
    /// The run's cost exceeds the available balance.
    InsufficientCredits = "INSUFFICIENT_CREDITS",
    // 403: permissions.
    /// Non-English language without the multilingual permission.
    MultilingualNotEnabled = "MULTILINGUAL_NOT_ENABLED",
    /// The key has an IP allow-list and the caller isn't on it.
    IpNotAllowed = "IP_NOT_ALLOWED",
    /// The account lacks the `speech` module permission.
    MissingPermission = "MISSING_PERMISSION",
    // 404: the docs do not give the string; this is our name for "poll id not found" when
    // the server sends no code we recognise (see `ErrorCode::from_status`).
    /// The run id is unknown or belongs to another client.
    NotFound = "NOT_FOUND",
    // 429: throttling (retryable).
    /// Submitting too fast (per-minute cap).
    RateLimitExceeded = "RATE_LIMIT_EXCEEDED",
    /// Polling one run id more often than every 10 s.
    PollRateLimited = "POLL_RATE_LIMITED",
    // 503.
    /// The scoring service is warming up after a deploy.
    ServiceWarmingUp = "SERVICE_WARMING_UP",
    // Terminal codes on a `status: failed` poll.
    /// Audio quality issue or provider error.
    TranscriptionFailed = "TRANSCRIPTION_FAILED",
    /// The speech does not match the requested language.
    TranscriptionLowConfidence = "TRANSCRIPTION_LOW_CONFIDENCE",
    /// Scoring service error after its own retry.
    ScoringFailed = "SCORING_FAILED",
    /// External provider misconfigured.
    ServiceConfigurationError = "SERVICE_CONFIGURATION_ERROR",
    /// The run exceeded its watchdog timeout.
    StuckTimeout = "STUCK_TIMEOUT",
    /// Unexpected server error.
    InternalError = "INTERNAL_ERROR",
}

/// This app's own codes, for endings the API has no code for. They are written into our own
/// records (`--json` outcomes, history) with these exact strings, never sent by the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocalCode {
    /// No response arrived (connection refused, timeout, dropped).
    NetworkError,
    /// `--max-wait` ran out while the run was still going.
    MaxWaitExceeded,
    /// The server kept answering with bodies we could not read.
    BadResponse,
    /// An interrupted upload turned out never to have created a run.
    NotSubmitted,
    /// The configured service address is not usable (bad URL, plain http to another host).
    InvalidBaseUrl,
    /// A run ended `failed` without an error code.
    NoErrorCode,
    /// The job itself failed inside this app (a bug): reported, never shown as "cancelled".
    InternalError,
    /// The service answered with a redirect, which is never followed (the key would go too).
    Redirected,
    /// The service answered a poll about another run (another id or externalId): its result
    /// is never reported as ours.
    RunMismatch,
    /// Another job (in this or another process) already follows this run.
    AlreadyRunning,
    /// Stopped after the upload started and before the service confirmed it: a run may exist
    /// (and hold credits); resuming looks it up.
    UploadUnconfirmed,
}

impl LocalCode {
    /// Every local code.
    pub const ALL: &'static [LocalCode] = &[
        LocalCode::NetworkError,
        LocalCode::MaxWaitExceeded,
        LocalCode::BadResponse,
        LocalCode::NotSubmitted,
        LocalCode::InvalidBaseUrl,
        LocalCode::NoErrorCode,
        LocalCode::InternalError,
        LocalCode::Redirected,
        LocalCode::RunMismatch,
        LocalCode::AlreadyRunning,
        LocalCode::UploadUnconfirmed,
    ];

    /// The string kept in our records.
    pub fn as_str(self) -> &'static str {
        match self {
            LocalCode::NetworkError => "NETWORK_ERROR",
            LocalCode::MaxWaitExceeded => "MAX_WAIT_EXCEEDED",
            LocalCode::BadResponse => "BAD_RESPONSE",
            LocalCode::NotSubmitted => "NOT_SUBMITTED",
            LocalCode::InvalidBaseUrl => "INVALID_BASE_URL",
            LocalCode::NoErrorCode => "UNKNOWN",
            LocalCode::InternalError => "JOB_ABORTED",
            LocalCode::Redirected => "REDIRECTED",
            LocalCode::RunMismatch => "RUN_MISMATCH",
            LocalCode::AlreadyRunning => "ALREADY_RUNNING",
            LocalCode::UploadUnconfirmed => "UPLOAD_UNCONFIRMED",
        }
    }

    /// The local code written as `s`, if any.
    pub fn parse(s: &str) -> Option<LocalCode> {
        LocalCode::ALL.iter().copied().find(|l| l.as_str() == s)
    }
}

impl From<LocalCode> for ErrorCode {
    fn from(l: LocalCode) -> ErrorCode {
        ErrorCode::Local(l)
    }
}

/// Where in the API a code comes from; decides how the engine and the UI treat it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeFamily {
    /// 400: fix the input.
    Validation,
    /// 401: the key.
    Auth,
    /// 402: credits.
    Credits,
    /// 403: account permissions.
    Permission,
    /// 404 on poll.
    NotFound,
    /// 429: slow down and retry.
    Throttled,
    /// 503: the service is warming up; retry.
    WarmingUp,
    /// A terminal `status: failed` on a poll.
    RunFailed,
    /// One of this app's own codes (no HTTP status: nothing, or nothing readable, came back).
    Local,
    /// Not documented.
    Unknown,
}

impl ErrorCode {
    /// The family a documented code belongs to.
    pub fn family(&self) -> CodeFamily {
        use ErrorCode::*;
        match self {
            MissingAudioFile
            | UnsupportedFormat
            | FileTooLarge
            | InvalidLanguageCode
            | InvalidExternalId
            | InvalidMetadata
            | AudioTooShort
            | AudioTooLong
            | AudioDurationUnavailable
            | InvalidStatus
            | InvalidServiceType
            | InvalidDate
            | InvalidParameters => CodeFamily::Validation,
            MissingApiKey | InvalidApiKey | ApiKeyExpired | ClientInactive => CodeFamily::Auth,
            InsufficientCredits => CodeFamily::Credits,
            MultilingualNotEnabled | IpNotAllowed | MissingPermission => CodeFamily::Permission,
            NotFound => CodeFamily::NotFound,
            RateLimitExceeded | PollRateLimited => CodeFamily::Throttled,
            ServiceWarmingUp => CodeFamily::WarmingUp,
            TranscriptionFailed
            | TranscriptionLowConfidence
            | ScoringFailed
            | ServiceConfigurationError
            | StuckTimeout
            | InternalError => CodeFamily::RunFailed,
            Local(_) => CodeFamily::Local,
            Unknown(_) => CodeFamily::Unknown,
        }
    }

    /// Parses a code from *our own* records (outcomes, history): the documented codes, our
    /// [`LocalCode`]s, else `Unknown` verbatim.
    pub fn parse_ours(s: &str) -> ErrorCode {
        match LocalCode::parse(s) {
            Some(l) => ErrorCode::Local(l),
            None => ErrorCode::parse(s),
        }
    }

    /// The local code, if this is one.
    pub fn local(&self) -> Option<LocalCode> {
        match self {
            ErrorCode::Local(l) => Some(*l),
            _ => None,
        }
    }

    /// The HTTP status the docs give for this code; `None` for failed-run codes (they come
    /// in a 200 poll body) and unknown codes.
    pub fn http_status(&self) -> Option<u16> {
        match self.family() {
            CodeFamily::Validation => Some(400),
            CodeFamily::Auth => Some(401),
            CodeFamily::Credits => Some(402),
            CodeFamily::Permission => Some(403),
            CodeFamily::NotFound => Some(404),
            CodeFamily::Throttled => Some(429),
            CodeFamily::WarmingUp => Some(503),
            CodeFamily::RunFailed | CodeFamily::Local | CodeFamily::Unknown => None,
        }
    }

    /// The code to use when a response carries no readable code: a 404 is `NotFound`;
    /// anything else is `Unknown("HTTP <status>")`.
    pub fn from_status(status: u16) -> ErrorCode {
        match status {
            404 => ErrorCode::NotFound,
            other => ErrorCode::Unknown(format!("HTTP {other}")),
        }
    }

    /// True for the codes the docs say to retry (429 and 503).
    pub fn is_retryable(&self) -> bool {
        matches!(self.family(), CodeFamily::Throttled | CodeFamily::WarmingUp)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(ErrorCode::parse(&s))
    }
}

/// Serde for an [`ErrorCode`] in our own records: local codes come back as [`LocalCode`]s
/// (`#[serde(with = "crate::api::codes::ours")]`).
pub mod ours {
    use super::ErrorCode;

    /// Writes the code's string.
    pub fn serialize<S: serde::Serializer>(code: &ErrorCode, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(code.as_str())
    }

    /// Reads a code with [`ErrorCode::parse_ours`].
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ErrorCode, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        Ok(ErrorCode::parse_ours(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_codes_round_trip_only_from_our_records() {
        for l in LocalCode::ALL {
            let code = ErrorCode::from(*l);
            assert_eq!(ErrorCode::parse_ours(code.as_str()), code);
            assert_eq!(code.family(), CodeFamily::Local);
            assert_eq!(code.http_status(), None);
            // From the service, the same text is just an unknown code.
            assert_eq!(
                ErrorCode::parse(code.as_str()),
                ErrorCode::Unknown(code.as_str().to_string())
            );
        }
    }

    #[test]
    fn every_documented_code_round_trips() {
        for code in ErrorCode::DOCUMENTED {
            assert_eq!(&ErrorCode::parse(code.as_str()), code);
            assert_ne!(code.family(), CodeFamily::Unknown, "{code}");
        }
        assert_eq!(ErrorCode::DOCUMENTED.len(), 31);
    }

    #[test]
    fn unknown_codes_are_kept_verbatim() {
        let c = ErrorCode::parse("SOMETHING_NEW");
        assert_eq!(c, ErrorCode::Unknown("SOMETHING_NEW".into()));
        assert_eq!(c.as_str(), "SOMETHING_NEW");
        assert_eq!(c.family(), CodeFamily::Unknown);
        let json = serde_json::to_string(&c).expect("serialize");
        assert_eq!(json, "\"SOMETHING_NEW\"");
    }

    #[test]
    fn statuses_follow_the_catalog() {
        assert_eq!(ErrorCode::AudioTooShort.http_status(), Some(400));
        assert_eq!(ErrorCode::ApiKeyExpired.http_status(), Some(401));
        assert_eq!(ErrorCode::InsufficientCredits.http_status(), Some(402));
        assert_eq!(ErrorCode::MissingPermission.http_status(), Some(403));
        assert_eq!(ErrorCode::PollRateLimited.http_status(), Some(429));
        assert_eq!(ErrorCode::ServiceWarmingUp.http_status(), Some(503));
        assert_eq!(ErrorCode::StuckTimeout.http_status(), None);
        assert!(ErrorCode::ServiceWarmingUp.is_retryable());
        assert!(!ErrorCode::InsufficientCredits.is_retryable());
        assert_eq!(ErrorCode::from_status(404), ErrorCode::NotFound);
    }
}
