//! One HTTP client for the ZenHire Speech API: a method per endpoint, each returning the
//! parsed body (or a typed [`ApiError`]) together with the facts of the exchange, so the engine
//! can log every request it makes — including the ones that never got an answer.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use reqwest::header::{CONTENT_LENGTH, HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;
use url::Url;

use super::codes::ErrorCode;
use super::error::{ApiError, ClientError, NetworkKind};
use super::model::{
    CreditsInfo, ErrorEnvelope, Health, PollResponse, RunError, RunStatus, RunsList,
    SubmitAccepted, SubmitFields,
};
use serde_json::Value;

/// The production host.
pub const DEFAULT_BASE_URL: &str = "https://platform.zenhire.ai";
/// Opening a connection never takes longer than this.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Polls, lists, credits and health are small: they get a short timeout.
pub const SHORT_TIMEOUT: Duration = Duration::from_secs(30);
/// How many characters of an unreadable body are kept in [`ApiError::BadBody`].
pub const SNIPPET_CHARS: usize = 200;
/// No response body is read past this (the documented bodies are a few KB; a full result is
/// tens of KB). A longer body is an unreadable response of its kind: reading stops here.
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// An API key. It never prints: `Debug` and `Display` show the masked form (`zh_…1234`).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// A key from text; `None` when empty (the docs say to check nothing beyond that).
    pub fn new(text: impl Into<String>) -> Option<ApiKey> {
        let text = text.into().trim().to_string();
        (!text.is_empty()).then_some(ApiKey(text))
    }

    /// The secret itself, for the `X-API-Key` header and the secret store only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `zh_…1234`: the prefix up to the first `_` and the last four characters.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        let last4: String = chars[chars.len().saturating_sub(4)..].iter().collect();
        let prefix = match self.0.find('_') {
            Some(i) if i < 12 && chars.len() > 8 => &self.0[..=i],
            _ => "",
        };
        if chars.len() <= 4 {
            "…".to_string()
        } else {
            format!("{prefix}…{last4}")
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", self.masked())
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Filters of `GET /api/v1/speech/runs`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunsFilter {
    pub external_id: Option<String>,
    pub status: Option<String>,
    /// ISO 8601.
    pub created_after: Option<String>,
    /// ISO 8601.
    pub created_before: Option<String>,
}

/// One HTTP header as it went out or came back. A request's `X-API-Key` is only ever kept
/// masked (`zh_…1234`, see [`ApiKey::masked`]): the secret itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// The audio part of a submit, described (its bytes are never kept).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentAudio {
    /// The file name sent in the part's `Content-Disposition`.
    pub file_name: String,
    /// The part's length in bytes.
    pub size_bytes: u64,
    /// The part's `Content-Type` (`audio/wav`, ...).
    pub content_type: String,
    /// How long the audio is, when the engine knew it (the client does not read audio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

/// The form fields of a submit as they were sent.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentForm {
    pub language: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The metadata part as sent (a JSON string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    pub audio: SentAudio,
}

/// The most response headers kept per exchange (the service sends about ten).
pub const MAX_KEPT_HEADERS: usize = 32;
/// A kept header value is cut at this many characters.
pub const MAX_HEADER_VALUE_CHARS: usize = 256;

/// Cuts `value` to [`MAX_HEADER_VALUE_CHARS`] characters.
fn capped_value(value: &str) -> String {
    if value.chars().count() <= MAX_HEADER_VALUE_CHARS {
        return value.to_string();
    }
    let mut v: String = value.chars().take(MAX_HEADER_VALUE_CHARS).collect();
    v.push('…');
    v
}

/// The request headers as they go out, the key masked. reqwest adds `accept` and
/// `user-agent` from the client's defaults when sending; they are listed too, so the log
/// shows what the server saw.
fn sent_headers(headers: &HeaderMap, key: Option<&ApiKey>) -> Vec<Header> {
    let mut out: Vec<Header> = headers
        .iter()
        .take(MAX_KEPT_HEADERS)
        .map(|(name, value)| Header {
            name: name.as_str().to_string(),
            value: if name.as_str().eq_ignore_ascii_case("x-api-key") {
                // Masked here, at capture: the secret never reaches the log.
                key.map_or_else(|| "…".to_string(), ApiKey::masked)
            } else {
                capped_value(&String::from_utf8_lossy(value.as_bytes()))
            },
        })
        .collect();
    for (name, value) in [("accept", "*/*"), ("user-agent", USER_AGENT)] {
        if !headers.contains_key(name) {
            out.push(Header {
                name: name.to_string(),
                value: value.to_string(),
            });
        }
    }
    out
}

/// The response headers worth keeping: at most [`MAX_KEPT_HEADERS`], values capped, and never
/// a cookie (`set-cookie` is named but its value is not kept).
fn received_headers(headers: &HeaderMap) -> Vec<Header> {
    headers
        .iter()
        .take(MAX_KEPT_HEADERS)
        .map(|(name, value)| Header {
            name: name.as_str().to_string(),
            value: if name == reqwest::header::SET_COOKIE {
                "(not kept)".to_string()
            } else {
                capped_value(&String::from_utf8_lossy(value.as_bytes()))
            },
        })
        .collect()
}

/// The `User-Agent` the client sends.
pub const USER_AGENT: &str = concat!("speech-scorer/", env!("CARGO_PKG_VERSION"));

/// What happened on the wire during one exchange, whatever its outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Path and query (the key travels only in a header, so this holds no secret).
    pub path: String,
    /// When the request started.
    pub started: DateTime<Utc>,
    /// HTTP status, if a response arrived.
    pub status: Option<u16>,
    /// `Retry-After` in seconds (given as seconds or as an HTTP date).
    pub retry_after: Option<u64>,
    /// Until the body was read or the request failed.
    pub latency: Duration,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// The response body as text (lossy UTF-8), if one arrived; at most
    /// [`MAX_RESPONSE_BYTES`].
    pub body: Option<String>,
    /// The body was longer than [`MAX_RESPONSE_BYTES`] and was not read to its end.
    pub body_cut: bool,
    /// The response carried `x-zenhire-simulator`: results are not real.
    pub simulated: bool,
    /// The request headers as sent, the key masked (empty when nothing was sent).
    pub request_headers: Vec<Header>,
    /// A submit's form fields and a description of its audio part.
    pub form: Option<Box<SentForm>>,
    /// The response headers (see [`received_headers`] for what is kept).
    pub response_headers: Vec<Header>,
}

impl Facts {
    /// The facts of a request that has not (yet) gone out: nothing sent, nothing received.
    pub fn unsent(method: &'static str, path: String) -> Facts {
        Facts {
            method,
            path,
            started: Utc::now(),
            status: None,
            retry_after: None,
            latency: Duration::ZERO,
            bytes_sent: 0,
            bytes_received: 0,
            body: None,
            body_cut: false,
            simulated: false,
            request_headers: Vec::new(),
            form: None,
            response_headers: Vec::new(),
        }
    }

    /// Adds the audio's duration to a submit's form description (the engine knows it from
    /// probing the file; the client does not read audio).
    pub fn note_audio_duration(&mut self, duration: Duration) {
        if let Some(form) = &mut self.form {
            form.audio.duration_ms = Some(duration.as_millis() as u64);
        }
    }
}

/// The parsed answer (or typed failure) of one exchange, plus its [`Facts`].
#[derive(Debug, Clone)]
pub struct Reply<T> {
    pub result: Result<T, ApiError>,
    pub facts: Facts,
}

impl<T> Reply<T> {
    /// Drops the facts.
    pub fn into_result(self) -> Result<T, ApiError> {
        self.result
    }
}

/// The ZenHire Speech API over HTTPS (plain HTTP only to loopback, for the simulator).
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    key: Option<ApiKey>,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("base", &self.base.as_str())
            .field("key", &self.key)
            .finish()
    }
}

/// True for `localhost`, 127.0.0.0/8 and `::1`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Checks a base URL: https anywhere, http only to loopback.
pub fn check_base_url(base_url: &str) -> Result<Url, ClientError> {
    let url = Url::parse(base_url.trim()).map_err(|_| ClientError::BadUrl(base_url.into()))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(ClientError::InsecureUrl(
            url.host_str().unwrap_or_default().to_string(),
        )),
        other => Err(ClientError::BadScheme(other.to_string())),
    }
}

/// Parses `Retry-After`: delay-seconds, or an HTTP date (seconds from `now`, at least 0).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs);
    }
    if let Ok(secs) = value.parse::<f64>() {
        // `as` saturates: a huge or fractional value still becomes a sane integer.
        // Under a second is no hint (0); otherwise rounded up.
        return (secs.is_finite() && secs >= 0.0)
            .then(|| if secs < 1.0 { 0 } else { secs.ceil() as u64 });
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(now)
            .map(|d| d.as_secs() + u64::from(d.subsec_nanos() > 0))
            .unwrap_or(0),
    )
}

fn header_retry_after(headers: &HeaderMap) -> Option<u64> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(v, SystemTime::now())
}

/// Reads a response body up to `cap` bytes; `true` when there was more (not read).
async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut buf = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = cap - buf.len();
        if chunk.len() > room {
            buf.extend_from_slice(&chunk[..room]);
            return Ok((buf, true));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok((buf, false))
}

/// The first [`SNIPPET_CHARS`] characters of a body, for an error message.
pub fn snippet(body: &str) -> String {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return "(empty body)".to_string();
    }
    let mut s: String = trimmed.chars().take(SNIPPET_CHARS).collect();
    if trimmed.chars().count() > SNIPPET_CHARS {
        s.push('…');
    }
    s
}

fn classify(err: &reqwest::Error) -> (NetworkKind, bool) {
    if err.is_connect() {
        // The request never left: nothing can have been created.
        (NetworkKind::Connect, false)
    } else if err.is_timeout() {
        (NetworkKind::Timeout, true)
    } else if err.is_request() || err.is_body() || err.is_decode() {
        (NetworkKind::Dropped, true)
    } else {
        (NetworkKind::Other, true)
    }
}

/// An error with its chain of causes, in words. reqwest's Display includes the URL, which
/// holds no secret (the key is a header).
fn error_message(err: &reqwest::Error) -> String {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

fn network_error(err: &reqwest::Error) -> ApiError {
    let (kind, may_have_reached_server) = classify(err);
    ApiError::Network {
        kind,
        may_have_reached_server,
        message: error_message(err),
    }
}

/// Turns a status and body into the typed result: a 2xx parses as `T`, anything else as the
/// error envelope; whatever does not parse becomes [`ApiError::BadBody`].
pub fn interpret<T: DeserializeOwned>(
    status: u16,
    body: &str,
    retry_after: Option<u64>,
) -> Result<T, ApiError> {
    if (200..300).contains(&status) {
        return serde_json::from_str::<T>(body).map_err(|_| ApiError::BadBody {
            status,
            snippet: snippet(body),
            retry_after,
        });
    }
    match serde_json::from_str::<ErrorEnvelope>(body) {
        Ok(env) => Err(ApiError::Api {
            status,
            retry_after: retry_after.or(env.error.retry_after_seconds),
            body: Box::new(env.error),
        }),
        Err(_) => Err(ApiError::BadBody {
            status,
            snippet: snippet(body),
            retry_after,
        }),
    }
}

/// How long the upload is held back after the request headers (see [`ApiClient::submit`]).
pub const EXPECT_CONTINUE_WAIT: Duration = Duration::from_millis(400);

/// The submit form: `audio` (file name and MIME type), `language`, `externalId`, `metadata`
/// (a JSON string).
fn submit_form(
    audio: reqwest::multipart::Part,
    file_name: &str,
    mime: &str,
    fields: &SubmitFields,
) -> Result<reqwest::multipart::Form, String> {
    let audio = audio
        .file_name(file_name.to_string())
        .mime_str(mime)
        .map_err(|e| format!("bad MIME type {mime:?}: {e}"))?;
    let mut form = reqwest::multipart::Form::new()
        .part("audio", audio)
        .text("language", fields.language.clone());
    if let Some(id) = &fields.external_id {
        form = form.text("externalId", id.clone());
    }
    if let Some(meta) = &fields.metadata {
        form = form.text("metadata", meta.to_string());
    }
    Ok(form)
}

/// Reads a poll body. The full schema is tried first; when a field has an unexpected type
/// (the docs leave many open), the essentials are still read, so a terminal status is never
/// missed because of a detail. `None` when there is no `id` and `status`.
pub fn poll_from_value(v: Value) -> Option<PollResponse> {
    if let Ok(p) = serde_json::from_value::<PollResponse>(v.clone()) {
        return Some(p);
    }
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let number = |k: &str| {
        v.get(k)
            .and_then(Value::as_f64)
            .map(|n| n.max(0.0).ceil() as u64)
    };
    let error = v.get("error").and_then(|e| {
        Some(RunError {
            code: ErrorCode::parse(e.get("code")?.as_str()?),
            message: e
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        })
    });
    Some(PollResponse {
        id: text("id")?,
        external_id: text("externalId"),
        status: RunStatus::parse(&text("status")?),
        queue_position: number("queuePosition").map(|n| n.min(u64::from(u32::MAX)) as u32),
        poll_interval_seconds: number("pollIntervalSeconds"),
        error,
        ..PollResponse::default()
    })
}

impl ApiClient {
    /// A client for `base_url` (e.g. `https://platform.zenhire.ai`). Refuses `http://` unless
    /// the host is loopback. `key` may be `None` for `health`, which needs none.
    pub fn new(base_url: &str, key: Option<ApiKey>) -> Result<ApiClient, ClientError> {
        let base = check_base_url(base_url)?;
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            // A redirect could carry the key header to another host: never follow one.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| ClientError::Build(e.to_string()))?;
        Ok(ApiClient { http, base, key })
    }

    /// The base URL as given.
    pub fn base_url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// The key, if one is set.
    pub fn key(&self) -> Option<&ApiKey> {
        self.key.as_ref()
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        let base_path = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base_path}{path}"));
        url
    }

    /// The path of `url` relative to the base URL (`/api/v1/…`), as the request log keeps it:
    /// a base URL with a path prefix is added back once, never twice.
    fn api_path(&self, url: &Url) -> String {
        let prefix = self.base.path().trim_end_matches('/');
        let path = url.path();
        let rel = path.strip_prefix(prefix).unwrap_or(path);
        match url.query() {
            Some(q) => format!("{rel}?{q}"),
            None => rel.to_string(),
        }
    }

    fn with_key(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.key {
            Some(k) => req.header("X-API-Key", k.expose()),
            None => req,
        }
    }

    /// Upload timeout sized to the file: 60 s plus one second per 64 KiB (a slow 0.5 Mbit/s
    /// uplink still finishes a 25 MB file).
    pub fn upload_timeout(bytes: u64) -> Duration {
        Duration::from_secs(60 + bytes / (64 * 1024))
    }

    /// Sends a request and reads the whole response, filling in the [`Facts`].
    async fn exchange<T: DeserializeOwned>(
        &self,
        method: &'static str,
        req: reqwest::RequestBuilder,
        path: String,
        // For uploads: file bytes streamed so far, and the file's size.
        upload: Option<(Arc<AtomicU64>, u64)>,
    ) -> Reply<T> {
        let started = Utc::now();
        let clock = Instant::now();
        let mut facts = Facts::unsent(method, path);
        facts.started = started;
        let built = match req.build() {
            Ok(r) => r,
            Err(e) => {
                facts.latency = clock.elapsed();
                return Reply {
                    result: Err(ApiError::Network {
                        kind: NetworkKind::Other,
                        may_have_reached_server: false,
                        message: e.to_string(),
                    }),
                    facts,
                };
            }
        };
        facts.request_headers = sent_headers(built.headers(), self.key.as_ref());
        let declared_len = built
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let response = self.http.execute(built).await;
        // What actually went out: the form's overhead plus the file bytes streamed (an early
        // refusal answers before most of the file is sent).
        let sent_so_far = || -> Option<u64> {
            let (counter, file_len) = upload.as_ref()?;
            let streamed = counter.load(Ordering::Relaxed);
            let overhead = declared_len.map_or(0, |d| d.saturating_sub(*file_len));
            Some(overhead + streamed)
        };
        let response = match response {
            Ok(r) => r,
            Err(e) => {
                facts.latency = clock.elapsed();
                facts.bytes_sent = sent_so_far().unwrap_or(0);
                return Reply {
                    result: Err(network_error(&e)),
                    facts,
                };
            }
        };
        let status = response.status().as_u16();
        facts.status = Some(status);
        facts.retry_after = header_retry_after(response.headers());
        facts.simulated = response.headers().contains_key("x-zenhire-simulator");
        facts.response_headers = received_headers(response.headers());
        facts.bytes_sent = sent_so_far().or(declared_len).unwrap_or(0);
        if (300..400).contains(&status) {
            // Never followed, and its body is not read: the address is wrong or hostile.
            let location = response.headers().get(reqwest::header::LOCATION).map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .chars()
                    .take(300)
                    .collect()
            });
            facts.latency = clock.elapsed();
            return Reply {
                result: Err(ApiError::Redirect { status, location }),
                facts,
            };
        }
        let (bytes, cut) = match read_capped(response, MAX_RESPONSE_BYTES).await {
            Ok(read) => read,
            Err(e) => {
                // The status line arrived, so this is an answer of that status whose body
                // broke off: unreadable, not unanswered. (A 2xx submit answered this way
                // created its run: it must be looked up, never sent again.)
                facts.latency = clock.elapsed();
                return Reply {
                    result: Err(ApiError::BadBody {
                        status,
                        snippet: format!("the body broke off: {}", error_message(&e)),
                        retry_after: facts.retry_after,
                    }),
                    facts,
                };
            }
        };
        facts.latency = clock.elapsed();
        facts.bytes_received = bytes.len() as u64;
        facts.body_cut = cut;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let result = if cut {
            Err(ApiError::BadBody {
                status,
                snippet: format!(
                    "the body is longer than {} MB; reading stopped there",
                    MAX_RESPONSE_BYTES / (1024 * 1024)
                ),
                retry_after: facts.retry_after,
            })
        } else {
            interpret::<T>(status, &text, facts.retry_after)
        };
        facts.body = Some(text);
        Reply { result, facts }
    }

    /// `POST /api/v1/speech/analyze`: streams `path` as the `audio` part (file name and MIME
    /// type from `mime`), calling `progress(sent, total)` as file bytes go out.
    ///
    /// The request carries `Expect: 100-continue`; a server that refuses that header (417)
    /// gets the same request once more without it.
    pub async fn submit(
        &self,
        path: &Path,
        mime: &str,
        fields: &SubmitFields,
        progress: impl Fn(u64, u64) + Send + Sync + 'static,
    ) -> Reply<SubmitAccepted> {
        let progress: Arc<dyn Fn(u64, u64) + Send + Sync> = Arc::new(progress);
        let first = self
            .submit_once(path, mime, fields, Arc::clone(&progress), true)
            .await;
        if first.facts.status == Some(417) {
            return self.submit_once(path, mime, fields, progress, false).await;
        }
        first
    }

    async fn submit_once(
        &self,
        path: &Path,
        mime: &str,
        fields: &SubmitFields,
        progress: Arc<dyn Fn(u64, u64) + Send + Sync>,
        expect_continue: bool,
    ) -> Reply<SubmitAccepted> {
        let api_path = "/api/v1/speech/analyze".to_string();
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "audio".to_string());
        let opened = async {
            let file = tokio::fs::File::open(path).await?;
            let len = file.metadata().await?.len();
            Ok::<_, std::io::Error>((file, len))
        }
        .await;
        let (file, total) = match opened {
            Ok(x) => x,
            Err(e) => {
                return Reply {
                    result: Err(ApiError::Network {
                        kind: NetworkKind::LocalFile,
                        may_have_reached_server: false,
                        message: e.to_string(),
                    }),
                    facts: Facts::unsent("POST", api_path),
                };
            }
        };
        // What the request log keeps of the form: the fields, and the audio described.
        let sent_form = SentForm {
            language: fields.language.clone(),
            external_id: fields.external_id.clone(),
            metadata: fields.metadata.as_ref().map(Value::to_string),
            audio: SentAudio {
                file_name: file_name.clone(),
                size_bytes: total,
                content_type: mime.to_string(),
                duration_ms: None,
            },
        };
        let counter = Arc::new(AtomicU64::new(0));
        let sent = Arc::clone(&counter);
        let stream =
            tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024).map(move |chunk| {
                if let Ok(c) = &chunk {
                    let now = sent.fetch_add(c.len() as u64, Ordering::Relaxed) + c.len() as u64;
                    progress(now, total);
                }
                chunk
            });
        let audio =
            reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(stream), total);
        let form = match submit_form(audio, &file_name, mime, fields) {
            Ok(f) => f,
            Err(message) => {
                return Reply {
                    result: Err(ApiError::Network {
                        kind: NetworkKind::Other,
                        may_have_reached_server: false,
                        message,
                    }),
                    facts: Facts::unsent("POST", api_path),
                };
            }
        };
        // The same form with an empty audio stream of the same declared length: reqwest
        // computes the Content-Length from it (the boundary's length is fixed).
        let empty = reqwest::multipart::Part::stream_with_length(
            reqwest::Body::wrap_stream(futures_util::stream::empty::<
                Result<bytes::Bytes, std::io::Error>,
            >()),
            total,
        );
        let content_length = submit_form(empty, &file_name, mime, fields)
            .ok()
            .and_then(|probe| {
                self.http
                    .post(self.url(&api_path))
                    .multipart(probe)
                    .build()
                    .ok()
            })
            .and_then(|r| {
                r.headers()
                    .get(CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
            });
        let content_type = format!("multipart/form-data; boundary={}", form.boundary());
        // `Expect: 100-continue`, and the body held back briefly (as curl does): a server that
        // refuses from the headers alone (a 401 from middleware, a 503 while warming up) can
        // answer before any of the upload is in flight. Otherwise it would close a connection
        // with unread upload bytes, the kernel would reset it, and its answer would be lost.
        let form_stream = form.into_stream();
        let hold_back = if expect_continue {
            EXPECT_CONTINUE_WAIT
        } else {
            Duration::ZERO
        };
        let delayed = futures_util::stream::once(async move {
            tokio::time::sleep(hold_back).await;
            form_stream
        })
        .flatten();
        let mut req = self
            .with_key(self.http.post(self.url(&api_path)))
            .timeout(Self::upload_timeout(total))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(reqwest::Body::wrap_stream(delayed));
        if expect_continue {
            req = req.header(reqwest::header::EXPECT, "100-continue");
        }
        if let Some(len) = content_length {
            req = req.header(CONTENT_LENGTH, len);
        }
        let mut reply: Reply<SubmitAccepted> = self
            .exchange("POST", req, api_path, Some((counter, total)))
            .await;
        reply.facts.form = Some(Box::new(sent_form));
        reply
    }

    /// `GET /api/v1/speech/analyze/{id}`.
    pub async fn poll(&self, run_id: &str) -> Reply<PollResponse> {
        let mut url = self.url("/api/v1/speech/analyze");
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.push(run_id);
        }
        let path = self.api_path(&url);
        let req = self.with_key(self.http.get(url)).timeout(SHORT_TIMEOUT);
        let reply: Reply<Value> = self.exchange("GET", req, path, None).await;
        let status = reply.facts.status.unwrap_or(200);
        let result = reply.result.and_then(|v| {
            poll_from_value(v).ok_or_else(|| ApiError::BadBody {
                status,
                snippet: snippet(reply.facts.body.as_deref().unwrap_or("")),
                retry_after: reply.facts.retry_after,
            })
        });
        Reply {
            result,
            facts: reply.facts,
        }
    }

    /// `GET /api/v1/speech/runs` with filters. The list is read leniently (see [`RunsList`]).
    pub async fn runs(&self, filter: &RunsFilter) -> Reply<RunsList> {
        let mut url = self.url("/api/v1/speech/runs");
        {
            let mut q = url.query_pairs_mut();
            let pairs = [
                ("externalId", &filter.external_id),
                ("status", &filter.status),
                ("createdAfter", &filter.created_after),
                ("createdBefore", &filter.created_before),
            ];
            for (k, v) in pairs {
                if let Some(v) = v {
                    q.append_pair(k, v);
                }
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        let path = self.api_path(&url);
        let req = self.with_key(self.http.get(url)).timeout(SHORT_TIMEOUT);
        let reply: Reply<serde_json::Value> = self.exchange("GET", req, path, None).await;
        let result = reply.result.and_then(|v| {
            RunsList::from_value(v).ok_or_else(|| ApiError::BadBody {
                status: reply.facts.status.unwrap_or(200),
                snippet: snippet(reply.facts.body.as_deref().unwrap_or("")),
                retry_after: None,
            })
        });
        Reply {
            result,
            facts: reply.facts,
        }
    }

    /// `GET /api/v1/credits`.
    pub async fn credits(&self) -> Reply<CreditsInfo> {
        let path = "/api/v1/credits".to_string();
        let req = self
            .with_key(self.http.get(self.url(&path)))
            .timeout(SHORT_TIMEOUT);
        let reply: Reply<serde_json::Value> = self.exchange("GET", req, path, None).await;
        Reply {
            result: reply.result.map(|raw| CreditsInfo { raw }),
            facts: reply.facts,
        }
    }

    /// `GET /api/v1/health` (no key). Any answer is a [`Health`]: 200 is healthy; the body is
    /// kept raw (it is not documented).
    pub async fn health(&self) -> Reply<Health> {
        let path = "/api/v1/health".to_string();
        let req = self.http.get(self.url(&path)).timeout(SHORT_TIMEOUT);
        let reply: Reply<serde_json::Value> = self.exchange("GET", req, path, None).await;
        let status = reply.facts.status;
        let raw = reply
            .facts
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or(serde_json::Value::Null);
        let result = match (status, reply.result) {
            (_, Err(e @ ApiError::Network { .. })) => Err(e),
            (Some(s), _) => Ok(Health {
                healthy: s == 200,
                http_status: s,
                raw,
            }),
            (None, Ok(_)) => Ok(Health {
                healthy: false,
                http_status: 0,
                raw,
            }),
            (None, Err(e)) => Err(e),
        };
        Reply {
            result,
            facts: reply.facts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_never_print() {
        let key = ApiKey::new("zh_api_supersecretvalue1234").expect("key");
        assert_eq!(key.masked(), "zh_…1234");
        assert_eq!(format!("{key}"), "zh_…1234");
        assert!(!format!("{key:?}").contains("supersecret"));
        assert_eq!(ApiKey::new("   "), None);
        let client = ApiClient::new("https://platform.zenhire.ai", Some(key)).expect("client");
        assert!(!format!("{client:?}").contains("supersecret"));
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_base_url("https://platform.zenhire.ai").is_ok());
        assert!(check_base_url("http://127.0.0.1:8080").is_ok());
        assert!(check_base_url("http://localhost:1").is_ok());
        assert!(check_base_url("http://[::1]:80").is_ok());
        assert!(matches!(
            check_base_url("http://platform.zenhire.ai"),
            Err(ClientError::InsecureUrl(_))
        ));
        assert!(matches!(
            check_base_url("ftp://x"),
            Err(ClientError::BadScheme(_))
        ));
        assert!(matches!(
            check_base_url("not a url"),
            Err(ClientError::BadUrl(_))
        ));
    }

    #[test]
    fn retry_after_as_seconds_or_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("30", now), Some(30));
        assert_eq!(parse_retry_after(" 7 ", now), Some(7));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(45));
        assert_eq!(parse_retry_after(&later, now), Some(45));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(45));
        assert_eq!(parse_retry_after(&past, now), Some(0));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn bodies_become_typed_results_never_panics() {
        let ok: Result<PollResponse, _> =
            interpret(200, r#"{"id":"req_1","status":"processing"}"#, Some(1));
        assert_eq!(ok.expect("parses").id, "req_1");

        let html = "<html><body>502 Bad Gateway</body></html>";
        match interpret::<PollResponse>(502, html, None) {
            Err(ApiError::BadBody {
                status, snippet, ..
            }) => {
                assert_eq!(status, 502);
                assert!(snippet.contains("Bad Gateway"));
            }
            other => panic!("unexpected {other:?}"),
        }
        match interpret::<PollResponse>(200, "", None) {
            Err(ApiError::BadBody {
                status, snippet, ..
            }) => {
                assert_eq!(status, 200);
                assert_eq!(snippet, "(empty body)");
            }
            other => panic!("unexpected {other:?}"),
        }
        let env = r#"{"error":{"code":"POLL_RATE_LIMITED","message":"slow down","timestamp":"t","requestId":"req_9","retryAfterSeconds":7}}"#;
        match interpret::<PollResponse>(429, env, None) {
            Err(e @ ApiError::Api { .. }) => {
                assert_eq!(e.code(), Some(ErrorCode::PollRateLimited));
                assert_eq!(e.retry_after(), Some(7), "falls back to retryAfterSeconds");
                assert_eq!(e.request_id(), Some("req_9"));
            }
            other => panic!("unexpected {other:?}"),
        }
        // The header wins over the body.
        let e = interpret::<PollResponse>(429, env, Some(9)).expect_err("error");
        assert_eq!(e.retry_after(), Some(9));
        // A 404 without an envelope still gets a code.
        let e = interpret::<PollResponse>(404, "Not Found", None).expect_err("error");
        assert_eq!(e.code(), Some(ErrorCode::NotFound));
        let long = "x".repeat(1000);
        assert!(snippet(&long).chars().count() <= SNIPPET_CHARS + 1);
    }

    #[test]
    fn a_terminal_status_is_read_even_when_details_have_odd_types() {
        let v = serde_json::json!({
            "id": "req_1", "status": "failed", "processingTimeMs": "slow",
            "scores": "n/a", "pollIntervalSeconds": 2.5,
            "error": {"code": "STUCK_TIMEOUT", "message": "m"}
        });
        let p = poll_from_value(v).expect("essentials");
        assert_eq!(p.status, RunStatus::Failed);
        assert_eq!(p.poll_interval_seconds, Some(3));
        assert_eq!(p.error.expect("error").code, ErrorCode::StuckTimeout);
        assert!(poll_from_value(serde_json::json!({"status": "success"})).is_none());
        assert!(poll_from_value(serde_json::json!([1, 2])).is_none());
    }

    #[test]
    fn urls_keep_a_base_path_and_escape_ids() {
        let c = ApiClient::new("http://127.0.0.1:9/prefix/", None).expect("client");
        assert_eq!(
            c.url("/api/v1/health").as_str(),
            "http://127.0.0.1:9/prefix/api/v1/health"
        );
        assert_eq!(c.base_url(), "http://127.0.0.1:9/prefix");
        // The log keeps paths relative to the base: the prefix is never doubled.
        let mut poll = c.url("/api/v1/speech/analyze");
        poll.path_segments_mut().expect("segments").push("req 1");
        assert_eq!(c.api_path(&poll), "/api/v1/speech/analyze/req%201");
        let mut runs = c.url("/api/v1/speech/runs");
        runs.set_query(Some("externalId=a"));
        assert_eq!(c.api_path(&runs), "/api/v1/speech/runs?externalId=a");
    }

    #[test]
    fn upload_timeout_grows_with_the_file() {
        assert_eq!(ApiClient::upload_timeout(0), Duration::from_secs(60));
        assert!(ApiClient::upload_timeout(25 * 1024 * 1024) >= Duration::from_secs(400));
    }
}
