//! One scripted answer of the hostile server: any status, any header bytes, any body (sized,
//! endless, huge, truncated), or no answer at all, after reading all, part or none of the
//! request body, sent fast, late or with slow headers.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::Received;

/// How much of the request body to read before answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadBody {
    /// All of it (the default): the upload has reached the server.
    Whole,
    /// At most this many bytes, then answer (or drop) with the rest unread.
    UpTo(u64),
    /// None: answer as soon as the request head is in.
    Nothing,
}

/// What the response body is.
#[derive(Clone, PartialEq, Eq)]
pub enum Body {
    /// Exactly these bytes, with a matching `Content-Length`.
    Bytes(Vec<u8>),
    /// `len` bytes streamed from a pattern (a JSON-looking prefix, then `a`s), never held
    /// in memory; with `Content-Length: len`.
    Sized(u64),
    /// A chunked body that never ends (stops when the client goes, or after two minutes).
    Endless,
    /// `Content-Length: claimed`, but only `sent` is written before the connection closes.
    Truncated { claimed: u64, sent: Vec<u8> },
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Body::Sized(n) => write!(f, "Sized({n})"),
            Body::Endless => f.write_str("Endless"),
            Body::Truncated { claimed, sent } => {
                write!(f, "Truncated({} of {claimed})", sent.len())
            }
        }
    }
}

/// A reply built from the request it answers (the runs list that echoes `externalId`).
pub type ReplyFn = Arc<dyn Fn(&Received) -> Reply + Send + Sync>;

#[derive(Clone)]
pub(super) enum Kind {
    Respond {
        status: u16,
        headers: Vec<(String, Vec<u8>)>,
        body: Body,
        /// Pause before each header line (slow headers).
        header_pause: Option<Duration>,
    },
    /// Close the connection without a byte of answer.
    Drop,
    Dynamic(ReplyFn),
}

/// One answer. Build it with [`Reply::status`] (then `.header`, `.json`, ...),
/// [`Reply::drop_after_upload`] and friends, or [`Reply::from_fn`].
#[derive(Clone)]
pub struct Reply {
    pub(super) label: Option<String>,
    pub(super) read: ReadBody,
    pub(super) delay: Duration,
    pub(super) kind: Kind,
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Reply");
        d.field("label", &self.label)
            .field("read", &self.read)
            .field("delay", &self.delay);
        match &self.kind {
            Kind::Respond {
                status,
                headers,
                body,
                header_pause,
            } => {
                let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
                d.field("status", status)
                    .field("headers", &names)
                    .field("body", body)
                    .field("header_pause", header_pause);
            }
            Kind::Drop => {
                d.field("drop", &true);
            }
            Kind::Dynamic(_) => {
                d.field("dynamic", &true);
            }
        }
        d.finish()
    }
}

impl Reply {
    fn of(kind: Kind) -> Self {
        Self {
            label: None,
            read: ReadBody::Whole,
            delay: Duration::ZERO,
            kind,
        }
    }

    /// `status` with no headers and an empty body (`Content-Length: 0`).
    pub fn status(status: u16) -> Self {
        Self::of(Kind::Respond {
            status,
            headers: Vec::new(),
            body: Body::Bytes(Vec::new()),
            header_pause: None,
        })
    }

    /// A JSON body with `Content-Type: application/json`.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self::status(status)
            .header("Content-Type", "application/json")
            .body(body.to_string())
    }

    /// The standard error envelope with `code`, and `Retry-After` (as given, any text) in
    /// the header and, when it is a number, in `error.retryAfterSeconds`.
    pub fn error(status: u16, code: &str, retry_after: Option<&str>) -> Self {
        let body = super::bodies::envelope(code, retry_after.and_then(|r| r.parse().ok()));
        let reply = Self::json(status, &body);
        match retry_after {
            Some(r) => reply.header("Retry-After", r),
            None => reply,
        }
    }

    /// A redirect to `location` (never followed by a client that keeps its key home).
    pub fn redirect(status: u16, location: &str) -> Self {
        Self::status(status).header("Location", location)
    }

    /// Reads the whole upload, then closes the connection with no answer.
    pub fn drop_after_upload() -> Self {
        Self::of(Kind::Drop)
    }

    /// Reads `bytes` of the upload, then closes the connection with no answer.
    pub fn drop_mid_upload(bytes: u64) -> Self {
        Self::of(Kind::Drop).read_body(ReadBody::UpTo(bytes))
    }

    /// Closes the connection as soon as the request head is in.
    pub fn drop_at_once() -> Self {
        Self::of(Kind::Drop).read_body(ReadBody::Nothing)
    }

    /// A reply made from the request (head, query, headers) when it arrives.
    pub fn from_fn(f: impl Fn(&Received) -> Reply + Send + Sync + 'static) -> Self {
        Self::of(Kind::Dynamic(Arc::new(f)))
    }

    /// Adds a header; the value may be any bytes (the server sends them as they are).
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        if let Kind::Respond { headers, .. } = &mut self.kind {
            headers.push((name.to_string(), value.as_ref().to_vec()));
        }
        self
    }

    /// Adds `Retry-After: value` (any text: `0`, a past HTTP date, garbage).
    pub fn retry_after(self, value: &str) -> Self {
        self.header("Retry-After", value)
    }

    fn with_body(mut self, new: Body) -> Self {
        if let Kind::Respond { body, .. } = &mut self.kind {
            *body = new;
        }
        self
    }

    /// Exactly these body bytes.
    pub fn body(self, bytes: impl Into<Vec<u8>>) -> Self {
        self.with_body(Body::Bytes(bytes.into()))
    }

    /// A body of `len` bytes streamed without being held (a 200 MB body costs nothing here).
    pub fn sized_body(self, len: u64) -> Self {
        self.with_body(Body::Sized(len))
    }

    /// A chunked body that never ends.
    pub fn endless_body(self) -> Self {
        self.with_body(Body::Endless)
    }

    /// Claims `claimed` bytes, sends `sent`, then closes (a truncated response).
    pub fn truncated_body(self, claimed: u64, sent: impl Into<Vec<u8>>) -> Self {
        self.with_body(Body::Truncated {
            claimed,
            sent: sent.into(),
        })
    }

    /// Waits this long before the first byte of the answer.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Sends the status line, then each header line after `pause` (slow headers).
    pub fn slow_headers(mut self, pause: Duration) -> Self {
        if let Kind::Respond { header_pause, .. } = &mut self.kind {
            *header_pause = Some(pause);
        }
        self
    }

    /// How much of the request body to read before answering.
    pub fn read_body(mut self, read: ReadBody) -> Self {
        self.read = read;
        self
    }

    /// A name for the request log (`Received::reply`), e.g. `"fuzz#17: endless body"`.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// The label, if any.
    pub fn label_text(&self) -> Option<&str> {
        self.label.as_deref()
    }
}
