//! What can go wrong with one HTTP exchange, as a typed error the engine can decide on.

use std::fmt;

use super::codes::ErrorCode;
use super::model::ApiErrorBody;

/// One failed exchange with the API.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The server answered with the standard error envelope.
    #[error("HTTP {status} {}: {}", body.code, body.message)]
    Api {
        status: u16,
        /// Boxed: the envelope is large and errors travel through many `Result`s.
        body: Box<ApiErrorBody>,
        /// Seconds from the `Retry-After` header, else `error.retryAfterSeconds`.
        retry_after: Option<u64>,
    },
    /// The server answered, but not with a body we can read (an HTML proxy page, an empty
    /// body, truncated JSON, a 2xx without the fields we need).
    #[error("HTTP {status} with an unreadable body: {snippet:?}")]
    BadBody {
        status: u16,
        /// The first characters of the body, for logs and dialogs.
        snippet: String,
        /// `Retry-After` if the response carried one.
        retry_after: Option<u64>,
    },
    /// A redirect (3xx). Never followed: the `X-API-Key` header would go wherever it points.
    #[error(
        "HTTP {status}: the service address redirects to {location:?}; redirects are never followed"
    )]
    Redirect {
        status: u16,
        /// The `Location` header (cut to a few hundred characters), if any.
        location: Option<String>,
    },
    /// No complete HTTP response arrived.
    #[error("network error ({kind}): {message}")]
    Network {
        kind: NetworkKind,
        /// False only when we know the request never left (connection refused, DNS, TLS
        /// handshake). When true, a submit may have created a run we never heard about.
        may_have_reached_server: bool,
        message: String,
    },
}

impl ApiError {
    /// The HTTP status, when a response arrived.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            ApiError::Api { status, .. }
            | ApiError::BadBody { status, .. }
            | ApiError::Redirect { status, .. } => Some(*status),
            ApiError::Network { .. } => None,
        }
    }

    /// The error code: the envelope's, or one derived from the status for unreadable bodies.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ApiError::Api { body, .. } => Some(body.code.clone()),
            ApiError::BadBody { status, .. } | ApiError::Redirect { status, .. } => {
                Some(ErrorCode::from_status(*status))
            }
            ApiError::Network { .. } => None,
        }
    }

    /// The server's `Retry-After` (header or body), in seconds.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::Api { retry_after, .. } | ApiError::BadBody { retry_after, .. } => {
                *retry_after
            }
            ApiError::Redirect { .. } | ApiError::Network { .. } => None,
        }
    }

    /// `error.requestId` when the envelope had one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::Api { body, .. } => body.request_id.as_deref(),
            _ => None,
        }
    }
}

/// Why no response arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkKind {
    /// The connection could not be opened (refused, DNS, TLS).
    Connect,
    /// The request or the response took longer than its timeout.
    Timeout,
    /// The connection broke after the request started (dropped, reset, truncated).
    Dropped,
    /// The audio file could not be read while uploading.
    LocalFile,
    /// Anything else reqwest reports.
    Other,
}

impl fmt::Display for NetworkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NetworkKind::Connect => "could not connect",
            NetworkKind::Timeout => "timed out",
            NetworkKind::Dropped => "connection dropped",
            NetworkKind::LocalFile => "could not read the file",
            NetworkKind::Other => "request failed",
        })
    }
}

/// Why an [`super::client::ApiClient`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The base URL does not parse.
    #[error("the base URL {0:?} is not a valid URL")]
    BadUrl(String),
    /// Plain `http://` to a host that is not this machine: the key would travel in clear.
    #[error(
        "refusing plain http:// to {0}: the API key would be sent unencrypted (only loopback hosts may use http)"
    )]
    InsecureUrl(String),
    /// Neither http nor https.
    #[error("unsupported URL scheme {0:?} (use https://)")]
    BadScheme(String),
    /// reqwest could not build its client (TLS set-up).
    #[error("could not set up the HTTP client: {0}")]
    Build(String),
}
