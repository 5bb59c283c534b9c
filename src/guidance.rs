//! Turns every API error code into what a person sees: title, explanation, action.
//!
//! One table (`entry`) for every documented code, plus the network and unknown-code cases.
//! The GUI dialog, the CLI messages and `explain` all read it, so a customer and a support
//! person see the same words. Wording follows the vendor's guide (quoted in `vendor_says`).

use serde::Serialize;

use crate::api::codes::{ErrorCode, LocalCode};
use crate::api::model::ApiErrorBody;
use crate::engine::outcome::OutcomeError;
use crate::engine::policy::WaitReason;
use crate::engine::progress::Stage;

/// The one thing that fixes the problem; the GUI turns it into a button.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Buy credits in the ZenHire dashboard.
    TopUpCredits,
    /// Check the configured API key.
    CheckKey,
    /// The key expired: create a new one in the dashboard.
    RotateKey,
    /// The service is starting; the app retries by itself.
    WaitForWarmUp,
    /// Fix the recording; `what` says how.
    FixRecording { what: &'static str },
    /// Pick the language actually spoken.
    ChooseLanguage,
    /// Send the same recording again.
    SubmitAgain,
    /// Make a new recording.
    RecordAgain,
    /// Ask ZenHire support, quoting the run id / request id.
    ContactSupport,
    /// Nothing to do (the app handles it).
    None,
}

impl Action {
    /// Button text.
    pub fn label(&self) -> &'static str {
        match self {
            Action::TopUpCredits => "Top up credits",
            Action::CheckKey => "Check API key",
            Action::RotateKey => "Create a new API key",
            Action::WaitForWarmUp => "Wait",
            Action::FixRecording { .. } => "Fix the recording",
            Action::ChooseLanguage => "Choose language",
            Action::SubmitAgain => "Submit again",
            Action::RecordAgain => "Record again",
            Action::ContactSupport => "Contact support",
            Action::None => "OK",
        }
    }
}

impl Action {
    /// What to do, as a sentence (the CLI's "What to do:" line).
    pub fn instruction(&self) -> String {
        match self {
            Action::TopUpCredits => "top up your credits in the ZenHire dashboard".into(),
            Action::CheckKey => "check the API key ($ZENHIRE_API_KEY or the saved settings)".into(),
            Action::RotateKey => "create a new API key in the ZenHire dashboard and save it".into(),
            Action::WaitForWarmUp => "wait; the app retries by itself".into(),
            Action::FixRecording { what } => format!("fix the recording: {what}"),
            Action::ChooseLanguage => "choose the language that is spoken (--language)".into(),
            Action::SubmitAgain => "submit the recording again".into(),
            Action::RecordAgain => "record again".into(),
            Action::ContactSupport => "contact ZenHire support".into(),
            Action::None => String::new(),
        }
    }
}

/// Why the engine waits, as a short phrase (progress lines, the request log).
pub fn wait_reason(reason: WaitReason) -> &'static str {
    match reason {
        WaitReason::NextPoll => "waiting for the next status check",
        WaitReason::RateLimited => "rate limited by the service",
        WaitReason::PollRateLimited => "polled too soon; the service asked us to wait",
        WaitReason::WarmingUp => "the analysis service is warming up after an update",
        WaitReason::ServerError => "the service answered with an error page",
        WaitReason::Network => "could not reach the service",
        WaitReason::LookUpAgain => "checking whether the upload created a run",
        WaitReason::Resubmit => "the upload did not arrive; sending it again",
        WaitReason::Budget => "the time budget ran out",
    }
}

/// The headline of a wait a person must know about (with its countdown); `None` for the
/// normal wait between status checks.
pub fn wait_headline(reason: WaitReason, seconds_left: u64) -> Option<String> {
    let what = match reason {
        WaitReason::NextPoll => return None,
        WaitReason::WarmingUp => "Service warming up",
        WaitReason::RateLimited | WaitReason::PollRateLimited => "Too many requests",
        WaitReason::Network => "Can't reach the service",
        WaitReason::ServerError => "The service had a problem",
        WaitReason::LookUpAgain => "Checking whether the upload arrived",
        WaitReason::Resubmit => "The upload did not arrive",
        WaitReason::Budget => "Stopped waiting",
    };
    Some(format!("{what} — retrying in {seconds_left} s"))
}

/// Said when a file had to be converted before it could be uploaded.
pub fn converted_for_upload(description: &str) -> String {
    format!("converted to {description} for upload (your file is unchanged)")
}

/// Where a run is, as a headline.
pub fn stage_headline(stage: &Stage) -> String {
    match stage {
        Stage::Preparing => "Checking the recording".to_string(),
        Stage::Uploading { sent, total } => {
            let pct = if *total == 0 {
                100
            } else {
                (sent.saturating_mul(100) / total).min(100)
            };
            format!("Uploading {pct} %")
        }
        Stage::Queued { position: Some(p) } => format!("Queued — #{p} in line"),
        Stage::Queued { position: None } => "Queued".to_string(),
        Stage::Processing => "Scoring the recording".to_string(),
        Stage::CheckingLostSubmit => "Checking whether the upload arrived".to_string(),
        Stage::Finished => "Finished".to_string(),
    }
}

/// What a person sees for one error.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Guidance {
    /// The code this is about (verbatim for unknown codes); `None` for network errors.
    pub code: Option<ErrorCode>,
    pub title: String,
    /// A short plain-language explanation, with the specifics (shortfall, seconds) filled in.
    pub body: String,
    pub action: Action,
    /// True when the app keeps trying by itself (429, 503, network): no button needed.
    pub retries_automatically: bool,
    /// The HTTP status the docs give for this code.
    pub http_status: Option<u16>,
    /// What the vendor's error-handling guide says about it.
    pub vendor_says: &'static str,
}

/// Specifics to fill into the text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// `details.cost` of INSUFFICIENT_CREDITS.
    pub cost: Option<f64>,
    /// `details.available` of INSUFFICIENT_CREDITS.
    pub available: Option<f64>,
    /// Retry-After in seconds.
    pub retry_after: Option<u64>,
    /// The run id, to quote to support.
    pub run_id: Option<String>,
    /// `error.requestId`, to quote to support.
    pub request_id: Option<String>,
    /// The server's message, shown for codes we don't know.
    pub message: Option<String>,
}

struct Entry {
    title: &'static str,
    body: &'static str,
    action: Action,
    auto: bool,
    vendor: &'static str,
}

const V400: &str = "400: Malformed input. Fix the request and retry. Do not retry a 400. It will fail the same way.";
const V_FAILED: &str = "status \"failed\": the run reached a terminal failure. No credits were charged. Resubmit the audio with a fresh request; do not reuse the same id — it's terminal.";

/// The table. Every documented code has a row; `Unknown` is handled by [`for_unknown`].
fn entry(code: &ErrorCode) -> Option<Entry> {
    use ErrorCode::*;
    let e = |title, body, action, auto, vendor| {
        Some(Entry {
            title,
            body,
            action,
            auto,
            vendor,
        })
    };
    match code {
        MissingAudioFile => e(
            "No audio was sent",
            "The service received no audio file. Choose or record a file and submit it again.",
            Action::FixRecording {
                what: "attach the recording",
            },
            false,
            V400,
        ),
        UnsupportedFormat => e(
            "This file type isn't supported",
            "Upload MP3, WAV, M4A, WebM, OGG or FLAC. Convert the file (speech-scorer convert) and try again.",
            Action::FixRecording {
                what: "convert it to WAV, FLAC, MP3, M4A, WebM or OGG",
            },
            false,
            V400,
        ),
        FileTooLarge => e(
            "The file is too large",
            "The file is larger than 25 MB. Compress it (FLAC or MP3) or shorten it, then submit again.",
            Action::FixRecording {
                what: "compress or shorten it to under 25 MB",
            },
            false,
            "400 FILE_TOO_LARGE — audio exceeds the per-request file-size limit. Do not retry a 400.",
        ),
        InvalidLanguageCode => e(
            "The language isn't valid",
            "The language must be a two-letter ISO 639-1 code such as en, es or fr. Choose the language that is spoken.",
            Action::ChooseLanguage,
            false,
            V400,
        ),
        InvalidExternalId => e(
            "The reference id isn't valid",
            "The external id must be 1 to 255 characters, or left out. Fix it in the settings and submit again.",
            Action::SubmitAgain,
            false,
            V400,
        ),
        InvalidMetadata => e(
            "The metadata isn't valid JSON",
            "Metadata must be a JSON object such as {\"candidate\": \"c_887\"}. Fix it and submit again.",
            Action::SubmitAgain,
            false,
            V400,
        ),
        AudioTooShort => e(
            "The recording is too short",
            "At least 3 minutes of speech are needed. Record a longer answer and submit again.",
            Action::RecordAgain,
            false,
            V400,
        ),
        AudioTooLong => e(
            "The recording is too long",
            "The maximum is 45 minutes. Trim the recording and submit again.",
            Action::FixRecording {
                what: "trim it to 45 minutes or less",
            },
            false,
            V400,
        ),
        AudioDurationUnavailable => e(
            "The recording's length can't be read",
            "The file may be damaged or oddly encoded. Re-export or convert it (speech-scorer convert) and submit again.",
            Action::FixRecording {
                what: "re-export or convert it",
            },
            false,
            V400,
        ),
        InvalidStatus => e(
            "The status filter isn't valid",
            "Use one of queued, processing, success, partial or failed.",
            Action::None,
            false,
            V400,
        ),
        InvalidServiceType => e(
            "The service type filter isn't valid",
            "Use speech or cv_deepmatch.",
            Action::None,
            false,
            V400,
        ),
        InvalidDate => e(
            "The date filter isn't valid",
            "Dates must be ISO 8601, for example 2026-04-19T00:00:00Z.",
            Action::None,
            false,
            V400,
        ),
        InvalidParameters => e(
            "A parameter is out of range",
            "The service rejected a setting of this request. This is a bug in the app; please contact support.",
            Action::ContactSupport,
            false,
            V400,
        ),
        MissingApiKey => e(
            "No API key is set",
            "Add your ZenHire API key in the settings (or set ZENHIRE_API_KEY) and try again.",
            Action::CheckKey,
            false,
            "401 MISSING_API_KEY — no X-API-Key or Authorization header. Check your API key.",
        ),
        InvalidApiKey => e(
            "The API key isn't recognised",
            "The key is unknown or was revoked. Check the key in the settings against the ZenHire dashboard.",
            Action::CheckKey,
            false,
            "401 INVALID_API_KEY — key not recognized or marked inactive. Check your API key.",
        ),
        ApiKeyExpired => e(
            "The API key has expired",
            "Create a new key in the ZenHire dashboard and save it in the settings.",
            Action::RotateKey,
            false,
            "401 API_KEY_EXPIRED — key had an expiration date that's now past. Rotate.",
        ),
        ClientInactive => e(
            "This account is disabled",
            "Speech analysis is unavailable for this account. Contact ZenHire support.",
            Action::ContactSupport,
            false,
            "401 CLIENT_INACTIVE — the account behind the key has been disabled. Contact support.",
        ),
        InsufficientCredits => e(
            "Not enough credits",
            "This recording needs {cost} credits but only {available} are available. Top up your balance, then submit again.",
            Action::TopUpCredits,
            false,
            "402 INSUFFICIENT_CREDITS — top up balance before retrying.",
        ),
        MultilingualNotEnabled => e(
            "This language isn't enabled for your account",
            "Analysis in languages other than English needs the multilingual permission. Ask your account manager, or submit as English if the speech is English.",
            Action::ChooseLanguage,
            false,
            "403 MULTILINGUAL_NOT_ENABLED — request language is non-English and the permission isn't enabled on your account. Contact support.",
        ),
        IpNotAllowed => e(
            "This computer's address isn't allowed",
            "The API key only works from certain IP addresses. Ask your administrator to add this network, or contact support.",
            Action::ContactSupport,
            false,
            "403 IP_NOT_ALLOWED — the API key has an IP whitelist and your request didn't originate from an allowed address.",
        ),
        MissingPermission => e(
            "Speech analysis isn't enabled for your account",
            "The account lacks the speech module permission. Contact ZenHire support.",
            Action::ContactSupport,
            false,
            "403 — contact support (module permission).",
        ),
        NotFound => e(
            "We couldn't find that analysis",
            "The run id is unknown, or it belongs to another account's key. Check the id and the key.",
            Action::CheckKey,
            false,
            "404 — id not found, or it belongs to another client.",
        ),
        RateLimitExceeded => e(
            "Too many requests right now",
            "The service is receiving a lot of requests. Retrying in {retry} — nothing to do.",
            Action::None,
            true,
            "429 RATE_LIMIT_EXCEEDED on submit: you're submitting too fast. Respect Retry-After, then back off with exponential delay.",
        ),
        PollRateLimited => e(
            "Checking too often",
            "The service asked us to check less often. Checking the same run again in {retry} — nothing to do.",
            Action::None,
            true,
            "429 POLL_RATE_LIMITED on poll: respect Retry-After and continue polling the same requestId.",
        ),
        ServiceWarmingUp => e(
            "The analysis service is starting up",
            "The service is starting up after an update (this can take 15–20 minutes). Retrying in {retry} by itself.",
            Action::WaitForWarmUp,
            true,
            "503 SERVICE_WARMING_UP — the scoring service is warming up after a fresh deployment (typically 15–20 minutes). Retry after 30–60 s, then back off further if still warming.",
        ),
        TranscriptionFailed => e(
            "The speech couldn't be transcribed",
            "This is usually an audio quality problem. Check the microphone and the recording, then submit again. No credits were charged.",
            Action::FixRecording {
                what: "check the microphone and audio quality",
            },
            false,
            V_FAILED,
        ),
        TranscriptionLowConfidence => e(
            "The speech doesn't match the language",
            "The audio doesn't seem to be in the language you chose. Choose the language that is spoken, or record again. No credits were charged.",
            Action::ChooseLanguage,
            false,
            V_FAILED,
        ),
        ScoringFailed => e(
            "Scoring failed",
            "The scoring service had an error after its own retries. Submit the same recording again later. No credits were charged.",
            Action::SubmitAgain,
            false,
            V_FAILED,
        ),
        ServiceConfigurationError => e(
            "The service is misconfigured",
            "A provider behind the service is misconfigured. Contact support and quote the run id. No credits were charged.",
            Action::ContactSupport,
            false,
            V_FAILED,
        ),
        StuckTimeout => e(
            "The analysis took too long",
            "The run passed the service's time limit. Submit the same recording again. No credits were charged.",
            Action::SubmitAgain,
            false,
            V_FAILED,
        ),
        InternalError => e(
            "The service had an unexpected error",
            "Contact support and quote the run id; you may also submit again. No credits were charged.",
            Action::ContactSupport,
            false,
            V_FAILED,
        ),
        Local(l) => local_entry(*l),
        Unknown(_) => None,
    }
}

/// Our own codes, for endings the API has no code for.
fn local_entry(code: LocalCode) -> Option<Entry> {
    let e = |title, body, action, auto, vendor| {
        Some(Entry {
            title,
            body,
            action,
            auto,
            vendor,
        })
    };
    match code {
        LocalCode::NetworkError => e(
            "Can't reach the analysis service",
            "Check the internet connection. The app keeps retrying; a run that was already accepted is never lost and can be resumed.",
            Action::None,
            true,
            "A network error while polling is safe to retry. The id never expires.",
        ),
        LocalCode::MaxWaitExceeded => e(
            "Stopped waiting",
            "The result did not arrive within the time allowed. The run keeps going on the service; resume it later to get the result.",
            Action::None,
            false,
            "The id never expires, so you can stop and resume hours later.",
        ),
        LocalCode::BadResponse => e(
            "The service sent an answer that can't be read",
            "The analysis service answered with something that is not a valid response (an error page, an empty or cut-off reply). The app retried as the vendor's guide says; try again later.",
            Action::ContactSupport,
            false,
            "Treat an unreadable response like a server error: retry with backoff; never resubmit blindly.",
        ),
        LocalCode::NotSubmitted => e(
            "The upload never reached the service",
            "The app stopped during the upload, and the service has no run for it. Nothing was charged. Submit the recording again.",
            Action::SubmitAgain,
            false,
            "A submit has no idempotency key: look the run up by externalId before submitting again.",
        ),
        LocalCode::InvalidBaseUrl => e(
            "The service address isn't usable",
            "The address must start with https:// (plain http:// only for this computer, such as the local simulator). Fix it in Settings, ZENHIRE_BASE_URL or --base-url.",
            Action::None,
            false,
            "All requests go to https://platform.zenhire.ai unless you were given another address.",
        ),
        LocalCode::NoErrorCode => e(
            "The analysis failed without a reason",
            "The service ended the run as failed but sent no error code. Contact support and quote the run id; you may also submit again.",
            Action::ContactSupport,
            false,
            "Any other code must still be shown (code, message, run id), never swallowed.",
        ),
        LocalCode::Redirected => e(
            "The service address redirects elsewhere",
            "The address answered with a redirect. The app never follows one, so your API key is never sent to another host. Check the service address in Settings (or ZENHIRE_BASE_URL / --base-url).",
            Action::None,
            false,
            "All requests go to https://platform.zenhire.ai unless you were given another address.",
        ),
        LocalCode::RunMismatch => e(
            "The service answered about another run",
            "The service sent a result for a different run than the one asked for. It is not shown, so you never see another person's scores. Try again later; if it repeats, contact support.",
            Action::ContactSupport,
            false,
            "Use id to poll; externalId is your correlation tag, echoed on every response for that run.",
        ),
        LocalCode::AlreadyRunning => e(
            "This run is already being followed",
            "Another window or command on this computer is already waiting for this run's result. Nothing was sent twice; the result appears in History when it arrives.",
            Action::None,
            false,
            "Never poll one run more often than every 10 seconds.",
        ),
        LocalCode::UploadUnconfirmed => e(
            "Stopped before the service confirmed the upload",
            "The upload was under way or finished, so the service may have created a run and hold credits for it. Resume it to find out; it is looked up, never sent twice.",
            Action::None,
            false,
            "A submit has no idempotency key: look the run up by externalId before submitting again.",
        ),
        LocalCode::InternalError => e(
            "Something went wrong inside the app",
            "The job stopped because of a problem in this app, not the service. A run that was accepted can be resumed from History. Please report this.",
            Action::ContactSupport,
            false,
            "The id never expires, so you can stop and resume hours later.",
        ),
    }
}

fn number(v: Option<f64>) -> String {
    match v {
        Some(n) if n.fract() == 0.0 => format!("{n:.0}"),
        Some(n) => format!("{n}"),
        None => "more".to_string(),
    }
}

fn fill(template: &str, ctx: &Context) -> String {
    if template.contains("{cost}")
        && let (Some(cost), Some(available)) = (ctx.cost, ctx.available)
    {
        // Numbers in their right grammatical number ("1 credit", "only 1 is available").
        return insufficient_credits_body(cost, available);
    }
    let mut s = template
        .replace("{cost}", &number(ctx.cost))
        .replace(
            "{available}",
            &ctx.available
                .map_or("fewer".to_string(), |a| number(Some(a))),
        )
        .replace(
            "{retry}",
            &ctx.retry_after
                .map_or("a few seconds".to_string(), |r| format!("{r} s")),
        );
    if ctx.cost.is_none() && template.contains("{cost}") {
        s = "This recording needs more credits than are available. Top up your balance, then submit again.".to_string();
    }
    s
}

fn support_suffix(ctx: &Context) -> String {
    let mut parts = Vec::new();
    if let Some(r) = &ctx.run_id {
        parts.push(format!("run id {r}"));
    }
    if let Some(r) = &ctx.request_id {
        parts.push(format!("request id {r}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" Quote {} when you contact support.", parts.join(" and "))
    }
}

/// The guidance for a code, with the specifics of `ctx` filled in. Unknown codes get the
/// generic entry with the code and message shown verbatim.
pub fn for_code_with(code: &ErrorCode, ctx: &Context) -> Guidance {
    let Some(e) = entry(code) else {
        return for_unknown_with(code.as_str(), ctx.message.as_deref().unwrap_or(""), ctx);
    };
    let mut body = fill(e.body, ctx);
    if matches!(e.action, Action::ContactSupport)
        || *code == ErrorCode::Local(LocalCode::MaxWaitExceeded)
    {
        body.push_str(&support_suffix(ctx));
    }
    Guidance {
        code: Some(code.clone()),
        title: e.title.to_string(),
        body,
        action: e.action,
        retries_automatically: e.auto,
        http_status: code.http_status(),
        vendor_says: e.vendor,
    }
}

/// The guidance for a code without specifics.
pub fn for_code(code: &ErrorCode) -> Guidance {
    for_code_with(code, &Context::default())
}

/// The guidance for an error envelope (shortfall, Retry-After and requestId filled in).
pub fn for_api_error(body: &ApiErrorBody, retry_after: Option<u64>) -> Guidance {
    let (cost, available) = body.credit_shortfall().unzip();
    for_code_with(
        &body.code,
        &Context {
            cost,
            available,
            retry_after: retry_after.or(body.retry_after_seconds),
            run_id: None,
            request_id: body.request_id.clone(),
            message: Some(body.message.clone()),
        },
    )
}

/// The guidance for how a job ended (its error), quoting the run id where it helps.
pub fn for_outcome_error(err: &OutcomeError, run_id: Option<&str>) -> Guidance {
    let shortfall = err
        .details
        .as_ref()
        .and_then(|d| Some((d.get("cost")?.as_f64()?, d.get("available")?.as_f64()?)));
    let ctx = Context {
        cost: shortfall.map(|s| s.0),
        available: shortfall.map(|s| s.1),
        retry_after: None,
        run_id: run_id.map(str::to_string),
        request_id: err.request_id.clone(),
        message: Some(err.message.clone()),
    };
    match err.code {
        ErrorCode::Local(LocalCode::NetworkError) => for_network(),
        _ => for_code_with(&err.code, &ctx),
    }
}

/// No response arrived (offline, DNS, refused, timeout).
pub fn for_network() -> Guidance {
    Guidance {
        code: None,
        ..for_code(&ErrorCode::Local(LocalCode::NetworkError))
    }
}

/// Pasted text that is not a code, an envelope, a poll body or an outcome.
pub fn for_unrecognised_input(text: &str) -> Guidance {
    let (title, body) = not_recognised(text);
    Guidance {
        code: None,
        title,
        body,
        action: Action::None,
        retries_automatically: false,
        http_status: None,
        vendor_says: "Branch on error.code, never on error.message.",
    }
}

/// True when the app retries this by itself: the codes the docs say to retry (429, 503) and
/// our network and unreadable-response cases (`None`: a network error).
pub fn retried_by_app(code: Option<&ErrorCode>) -> bool {
    match code {
        None => true,
        Some(ErrorCode::Local(LocalCode::NetworkError | LocalCode::BadResponse)) => true,
        Some(c) => c.is_retryable(),
    }
}

/// What the engine does by itself when it meets a code (`None`: a network error), for
/// support staff.
pub fn app_does(code: Option<&ErrorCode>) -> &'static str {
    use crate::api::codes::CodeFamily;
    const NETWORK: &str = "Retries with exponential backoff. A poll is always safe to repeat; a submit whose answer was lost is first looked up by externalId, so no duplicate run is created.";
    let Some(code) = code else {
        return NETWORK;
    };
    match (code.family(), code) {
        (_, ErrorCode::Local(LocalCode::NetworkError)) => NETWORK,
        (_, ErrorCode::Local(LocalCode::MaxWaitExceeded)) => {
            "Stops waiting at the time budget; the run keeps going and `resume RUN` (or reopening the app) polls it again."
        }
        (_, ErrorCode::Local(LocalCode::BadResponse)) => {
            "Treats an unreadable body like a server error: waits with backoff and asks again."
        }
        (_, ErrorCode::Local(LocalCode::NotSubmitted)) => {
            "Looked the run up by externalId and found none, so nothing was created; it never resubmits by itself."
        }
        (_, ErrorCode::Local(LocalCode::InvalidBaseUrl)) => {
            "Sends nothing: the address is checked before any request."
        }
        (_, ErrorCode::Local(LocalCode::Redirected)) => {
            "Never follows a redirect (the key must not leave the host); stops and reports the Location."
        }
        (_, ErrorCode::Local(LocalCode::RunMismatch)) => {
            "Discards an answer about another run and stops; it never reports another run's scores."
        }
        (_, ErrorCode::Local(LocalCode::AlreadyRunning)) => {
            "Leaves the run to the job already following it (one poller per run)."
        }
        (_, ErrorCode::Local(LocalCode::UploadUnconfirmed)) => {
            "Keeps the record resumable; resuming looks the run up by externalId and never submits again."
        }
        (CodeFamily::Local, _) => "Stops and shows the dialog; an accepted run can be resumed.",
        (_, ErrorCode::PollRateLimited) => {
            "Waits Retry-After, then polls the same run id again. Nothing is lost."
        }
        (CodeFamily::Throttled, _) => {
            "Waits Retry-After, then retries with exponential backoff and jitter (never sooner than Retry-After)."
        }
        (CodeFamily::WarmingUp, _) => {
            "Waits retryAfterSeconds (30–60 s), backs off further while it repeats, with a visible countdown; the default budget covers a 15–20 minute warm-up."
        }
        (CodeFamily::RunFailed, _) => {
            "Stops: this run id is final. Shows the dialog; a fresh submission (new run id) is offered where it can help."
        }
        (CodeFamily::NotFound, _) => {
            "Stops polling this id and shows the dialog; it never resubmits by itself."
        }
        (
            CodeFamily::Validation
            | CodeFamily::Auth
            | CodeFamily::Credits
            | CodeFamily::Permission,
            _,
        ) => {
            "Never retries: the same request would fail the same way. Shows the dialog with the one action that fixes it."
        }
        (CodeFamily::Unknown, _) => {
            "Shows the code and message verbatim; retries only when the HTTP status is 5xx (as a server error), never on 4xx."
        }
    }
}

/// A code the docs don't list: shown verbatim, never swallowed.
pub fn for_unknown(code: &str, message: &str) -> Guidance {
    for_unknown_with(code, message, &Context::default())
}

fn for_unknown_with(code: &str, message: &str, ctx: &Context) -> Guidance {
    let said = if message.is_empty() {
        String::new()
    } else {
        format!(" The service said: \"{message}\".")
    };
    Guidance {
        code: Some(ErrorCode::parse(code)),
        title: format!("Unexpected error ({code})"),
        body: format!(
            "The service returned an error this app doesn't know: {code}.{said} You may submit again; if it keeps happening, contact support.{}",
            support_suffix(ctx)
        ),
        action: Action::ContactSupport,
        retries_automatically: false,
        http_status: None,
        vendor_says: "Any other code must still be shown (code, message, run id), never swallowed.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_code_has_an_entry() {
        for code in ErrorCode::DOCUMENTED {
            assert!(entry(code).is_some(), "{code} has no guidance");
            let g = for_code(code);
            assert!(!g.title.is_empty() && !g.body.is_empty(), "{code}");
            assert!(!g.title.contains("Unexpected"), "{code} fell back");
            for slot in ["{cost}", "{available}", "{retry}"] {
                assert!(
                    !g.body.contains(slot),
                    "{code}: unfilled {slot}: {}",
                    g.body
                );
            }
            assert_eq!(g.retries_automatically, code.is_retryable(), "{code}");
        }
    }

    #[test]
    fn statuses_shown_are_the_contracts() {
        // Literal statuses from the API's error catalog, not from the client's own table.
        let want: &[(&str, Option<u16>)] = &[
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
        assert_eq!(want.len(), ErrorCode::DOCUMENTED.len());
        for (text, status) in want {
            let g = for_code(&ErrorCode::parse(text));
            assert_eq!(g.http_status, *status, "{text}");
        }
    }

    #[test]
    fn every_wait_reason_and_stage_has_words() {
        use WaitReason::*;
        for r in [
            NextPoll,
            RateLimited,
            PollRateLimited,
            WarmingUp,
            ServerError,
            Network,
            LookUpAgain,
            Resubmit,
            Budget,
        ] {
            assert!(!wait_reason(r).is_empty(), "{r:?}");
            // Every wait but the ordinary one gets a headline with its countdown.
            match wait_headline(r, 42) {
                Some(h) => assert!(h.contains("42 s"), "{r:?}: {h}"),
                None => assert_eq!(r, NextPoll),
            }
        }
        assert_eq!(
            stage_headline(&Stage::Uploading { sent: 1, total: 4 }),
            "Uploading 25 %"
        );
        assert_eq!(
            stage_headline(&Stage::Queued { position: Some(2) }),
            "Queued — #2 in line"
        );
        for a in [
            Action::TopUpCredits,
            Action::CheckKey,
            Action::RotateKey,
            Action::WaitForWarmUp,
            Action::FixRecording { what: "x" },
            Action::ChooseLanguage,
            Action::SubmitAgain,
            Action::RecordAgain,
            Action::ContactSupport,
        ] {
            assert!(!a.instruction().is_empty(), "{a:?}");
            assert!(!a.label().is_empty(), "{a:?}");
        }
    }

    #[test]
    fn every_local_code_has_its_own_words() {
        for l in LocalCode::ALL {
            let g = for_code(&ErrorCode::Local(*l));
            assert!(
                !g.title.contains("Unexpected"),
                "{l:?} fell back: {}",
                g.title
            );
            assert!(!g.body.is_empty(), "{l:?}");
            assert!(!app_does(Some(&ErrorCode::Local(*l))).is_empty());
        }
    }

    #[test]
    fn credits_shortfall_and_retry_after_are_filled_in() {
        let body: ApiErrorBody = serde_json::from_str(
            r#"{"code":"INSUFFICIENT_CREDITS","message":"x","timestamp":"t","requestId":"req_1","details":{"cost":11,"available":4}}"#,
        )
        .expect("parse");
        let g = for_api_error(&body, None);
        assert!(g.body.contains("needs 11 credits"), "{}", g.body);
        assert!(g.body.contains("only 4 are available"), "{}", g.body);
        assert_eq!(g.action, Action::TopUpCredits);

        let warm = for_code_with(
            &ErrorCode::ServiceWarmingUp,
            &Context {
                retry_after: Some(42),
                ..Context::default()
            },
        );
        assert!(warm.body.contains("42 s"));
        assert!(warm.retries_automatically);
        assert_eq!(warm.action, Action::WaitForWarmUp);
    }

    #[test]
    fn failed_runs_quote_the_run_id() {
        let g = for_code_with(
            &ErrorCode::InternalError,
            &Context {
                run_id: Some("req_abc".into()),
                ..Context::default()
            },
        );
        assert!(g.body.contains("req_abc"));
        assert_eq!(g.action, Action::ContactSupport);
        let g = for_code(&ErrorCode::TranscriptionLowConfidence);
        assert_eq!(g.action, Action::ChooseLanguage);
    }

    #[test]
    fn unknown_codes_are_shown_verbatim() {
        let g = for_unknown("BRAND_NEW_CODE", "Something new happened");
        assert!(g.title.contains("BRAND_NEW_CODE"));
        assert!(g.body.contains("Something new happened"));
        assert_eq!(g.code, Some(ErrorCode::Unknown("BRAND_NEW_CODE".into())));
        let via_code = for_code(&ErrorCode::Unknown("OTHER".into()));
        assert!(via_code.body.contains("OTHER"));
        assert!(for_network().retries_automatically);
    }

    #[test]
    fn the_key_actions_match_the_guide() {
        assert_eq!(
            for_code(&ErrorCode::ApiKeyExpired).action,
            Action::RotateKey
        );
        assert_eq!(for_code(&ErrorCode::InvalidApiKey).action, Action::CheckKey);
        assert_eq!(
            for_code(&ErrorCode::ClientInactive).action,
            Action::ContactSupport
        );
        assert_eq!(
            for_code(&ErrorCode::AudioTooShort).action,
            Action::RecordAgain
        );
    }
}

// ---- Words the desktop app needs beyond the table (appended by the UI work, issue 11). ----

/// Where the message under an error dialog came from, and so how it is introduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageOrigin {
    /// The service answered with it.
    Service,
    /// A check made on this computer before anything was sent (or a local stop).
    ThisComputer,
    /// No answer arrived: the network layer's words.
    Connection,
}

impl MessageOrigin {
    /// The words before the message ("Service said:").
    pub fn heading(self) -> &'static str {
        match self {
            MessageOrigin::Service => "Service said:",
            MessageOrigin::ThisComputer => "Checked on this computer:",
            MessageOrigin::Connection => "No answer from the service:",
        }
    }
}

/// Where an error's message came from. `nothing_sent` is true when the job ended on a local
/// check (`invalid_input`): nothing reached the service.
pub fn message_origin(err: &OutcomeError, nothing_sent: bool) -> MessageOrigin {
    if nothing_sent {
        return MessageOrigin::ThisComputer;
    }
    match err.code.local() {
        Some(LocalCode::NetworkError) => MessageOrigin::Connection,
        // Our own codes are decided on this computer, whatever the service sent before.
        Some(_) => MessageOrigin::ThisComputer,
        None => MessageOrigin::Service,
    }
}

/// A number as a person writes it: `4`, `2.5`.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

/// "1 credit", "4 credits", "2.5 credits".
pub fn credits_text(n: f64) -> String {
    let noun = if n == 1.0 { "credit" } else { "credits" };
    format!("{} {noun}", number_text(n))
}

/// The INSUFFICIENT_CREDITS body with its numbers in the right grammatical number ("needs 1
/// credit but only 1 is available"). `fill` should use this for the table's template.
pub fn insufficient_credits_body(cost: f64, available: f64) -> String {
    let verb = if available == 1.0 { "is" } else { "are" };
    format!(
        "This recording needs {} but only {} {verb} available. Top up your balance, then submit again.",
        credits_text(cost),
        number_text(available)
    )
}

/// True for text that could be an error code (`INSUFFICIENT_CREDITS`, `insufficient_credits`).
pub fn is_code_shaped(text: &str) -> bool {
    let t = text.trim().trim_matches('"');
    !t.is_empty() && t.len() <= 64 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What `explain` says about text that is neither a code nor any envelope it knows.
pub fn not_recognised(text: &str) -> (String, String) {
    let shown: String = text.trim().chars().take(80).collect();
    (
        "Not an error this app knows".to_string(),
        format!(
            "\"{shown}\" is not an error code or an error envelope this app knows. Paste an error \
             envelope ({{\"error\": {{…}}}}), a poll body with status failed, a --json outcome, or \
             a code such as INSUFFICIENT_CREDITS."
        ),
    )
}

/// What cancelling a run means (the toast after Cancel; Progress's hint under the button).
/// The service has no cancel endpoint: the run goes on, and so does its credit hold.
pub fn cancelled_text(run_id: Option<&str>) -> String {
    match run_id {
        Some(id) => format!(
            "Stopped waiting for run {id}. The service has no cancel: the run goes on, and its \
             credits stay held until it ends (charged if it is scored, released if it fails). \
             Resume it from History to get the result."
        ),
        None => "Cancelled before anything was sent; no credits are held.".to_string(),
    }
}

/// The line under *Cancel* on the progress screen.
pub const CANCEL_HINT: &str = "Cancel only stops this app waiting: the service has no cancel, \
     so an accepted run still finishes there, and its credits stay held until it does.";

#[cfg(test)]
mod ui_words_tests {
    use super::*;

    #[test]
    fn plurals_follow_the_numbers() {
        assert_eq!(credits_text(1.0), "1 credit");
        assert_eq!(credits_text(4.0), "4 credits");
        assert_eq!(credits_text(2.5), "2.5 credits");
        assert_eq!(
            insufficient_credits_body(1.0, 1.0),
            "This recording needs 1 credit but only 1 is available. Top up your balance, then submit again."
        );
        assert!(insufficient_credits_body(11.0, 4.0).contains("needs 11 credits but only 4 are"));
    }

    #[test]
    fn local_checks_are_not_the_service_speaking() {
        let err = |code: &str| OutcomeError {
            code: ErrorCode::parse_ours(code),
            message: "m".into(),
            http_status: None,
            request_id: None,
            details: None,
        };
        assert_eq!(
            message_origin(&err("AUDIO_TOO_SHORT"), true),
            MessageOrigin::ThisComputer
        );
        assert_eq!(
            message_origin(&err("AUDIO_TOO_SHORT"), false),
            MessageOrigin::Service
        );
        assert_eq!(
            message_origin(&err("NETWORK_ERROR"), false),
            MessageOrigin::Connection
        );
        assert_eq!(
            MessageOrigin::ThisComputer.heading(),
            "Checked on this computer:"
        );
    }

    #[test]
    fn free_text_is_not_a_code() {
        assert!(is_code_shaped("INSUFFICIENT_CREDITS"));
        assert!(is_code_shaped("\"insufficient_credits\""));
        assert!(!is_code_shaped("HELLO IT BROKE"));
        assert!(
            not_recognised("HELLO IT BROKE")
                .1
                .contains("is not an error code")
        );
    }
}

// ---- Words of the views: the waveform's trim, the result's sections, exports (issue 12) ----

/// The button that keeps the first 45:00 of an over-long take (AUDIO_TOO_LONG's fix).
pub fn trim_to_max_label() -> String {
    let max = crate::api::limits::MAX_DURATION.as_secs();
    format!("Trim to {}:{:02}", max / 60, max % 60)
}

/// Said beside *Trim to 45:00* on the Record screen when the take is over the limit.
pub fn too_long_hint(length: &str) -> String {
    format!(
        "This take is {length}, longer than the 45-minute limit: the service would refuse it. \
         {} keeps its first 45 minutes as a new take; the original stays in the Takes list.",
        trim_to_max_label()
    )
}

/// The button of the other "fix the recording" dialogs: it goes back to the take (the app
/// cannot fix those by itself; the dialog's text says what to do).
pub fn back_to_recording_label() -> &'static str {
    "Back to the recording"
}

/// Said after a trim made a new take from the one on screen.
pub fn trimmed_note(original: &str, length: &str) -> String {
    format!(
        "A trimmed copy ({length}) of {original} is now the take. The original is kept until you \
         choose: keep the trimmed take, or go back to the original."
    )
}

/// The heading of `candidateFeedback` (written for the person who was recorded).
pub const FEEDBACK_HEADING: &str = "Feedback for you";

/// The heading of `hrRecommendation` (written for a reviewer or recruiter).
pub const RECOMMENDATION_HEADING: &str = "For the reviewer";

/// "Compared with your last attempt" with the last attempt's date.
pub fn compared_with_last(date: &str) -> String {
    format!("Compared with your last attempt ({date})")
}

/// Why the trend has nothing to draw yet.
pub const TREND_EMPTY: &str =
    "No scored attempts in this group yet. Every scored run appears here, oldest on the left.";

/// Said when an export was written.
pub fn exported_text(what: &str, path: &str) -> String {
    format!("{what} saved to {path}")
}

/// What the export field says when no save dialog can open.
pub const NO_SAVE_DIALOG: &str = "The save dialog could not open on this desktop (no file \
     chooser portal or zenity). Type or paste where to save the file, then press Save.";

/// The words under the level meter for the recorder's hint (`None`: nothing to say; the
/// line stays empty).
pub fn level_hint(hint: crate::audio::meter::LevelHint) -> Option<&'static str> {
    use crate::audio::meter::LevelHint;
    match hint {
        LevelHint::Good => None,
        LevelHint::NoSound => Some(
            "Silence: no sound is coming in. Is the microphone muted or blocked by the system?",
        ),
        LevelHint::TooQuiet => Some("Very quiet: move closer to the microphone or speak up."),
        LevelHint::TooLoud => {
            Some("Too loud: the input clipped. Move back a little or lower the input gain.")
        }
    }
}

// Views (views3): the trend, the comparison with the last attempt, the report, exports.

/// What the Trend screen says under its heading.
pub const TREND_INTRO: &str = "Scores across attempts, oldest on the left. Attempts in \
     different languages are never mixed; group them by an externalId prefix or a metadata \
     key to follow one person.";

/// Said while the history is being read for the trend.
pub const TREND_READING: &str = "Reading the history…";

/// Said under a report's text when `speech-scorer export --format report` prints to a
/// terminal.
pub const REPORT_ON_TERMINAL: &str = "This is the report's text. For the one-page report to \
     send or print, write it to a file: speech-scorer export --format report -o report.html \
     (open it in a browser; Print, then Save as PDF, makes a PDF).";

/// The banner at the top of a report a simulator scored.
pub const REPORT_SIMULATED: &str = "Simulated — not a real score: a simulator of the ZenHire \
     service made these numbers up from the sound of the recording, not from what was said.";

/// Under the scores of a partial result's report.
pub const REPORT_PARTIAL: &str = "Partial result: a dimension marked \"not scored\" could not \
     be scored. It is unknown, not zero.";

/// On a result (screen and report) whose speaker detection had low confidence.
pub const REVIEW_NEEDED: &str = "Review needed: the service is not sure it picked the right \
     speaker; read the transcript before relying on these scores.";

/// The banner of a partial result on the Result screen (`missing`: "Accent").
pub fn partial_result_banner(missing: &str) -> String {
    format!(
        "Partial result: {missing} could not be scored. The scores below are real; the \
         missing ones are not zero, they are unknown."
    )
}

/// Above timed segments whose recording is not on this computer.
pub const RECORDING_NOT_HERE: &str =
    "The recording is not on this computer: segments can't be played.";

/// The export form's Save with an empty path.
pub const EXPORT_NEEDS_PATH: &str = "Type where to save the file first.";

/// The export form's Save with a folder for a path.
pub fn export_path_is_folder(path: &str) -> String {
    format!("{path} is a folder: add a file name.")
}

/// *Export report…* with no result on screen.
pub const EXPORT_NO_RESULT: &str = "There is no result on screen.";

/// Said when an export could not be written (`what`: "Report", `why`: the error).
pub fn export_failed(what: &str, why: &str) -> String {
    format!("{what} could not be saved: {why}")
}

/// Under the export form of a report.
pub const REPORT_HINT: &str = "One page of HTML: open it in a browser to read or print it \
     (Print, then Save as PDF, makes a PDF).";

/// Under a report's analysis when sections were left out for the page's sake.
pub fn report_more_in_app(sections: usize) -> String {
    format!(
        "{sections} more section{} of the analysis in the app.",
        if sections == 1 { "" } else { "s" }
    )
}
// Settings and keys (plat3)
//
// Where the key is kept, waiting for it, moving it, and values that come from the
// environment. (Where exactly the key is, is said by the store's own report; these are the
// words around it.)

/// Shown while the saved key is read (in the background) and no request may go yet.
pub const READING_KEY: &str = "Reading the saved key…";

/// What an action that needs the service says while the key is being read.
pub const READING_KEY_WAIT: &str =
    "Reading the saved API key (the system keychain may take a moment); try again in a moment.";

/// The key of `profile` could not be read (a locked or stuck keychain, an unreadable file):
/// nothing is sent until it can be.
pub fn key_unreadable(profile: &str, error: &str) -> String {
    format!(
        "The saved key of profile {profile} could not be read: {error}. Nothing is sent until \
         it can be; Settings says what to do."
    )
}

/// What the status bar says while the key could not be read.
pub const KEY_UNREADABLE_SHORT: &str = "The saved key could not be read — see Settings";

/// The button that reads the key (and where it is) again.
pub const CHECK_AGAIN: &str = "Check again";

/// What to do when the system keychain is there but did not answer or refused (locked,
/// its password prompt dismissed or hidden). `off_setting` is `SPEECH_SCORER_KEYCHAIN=off`.
pub fn keychain_stuck_help(off_setting: &str) -> String {
    format!(
        "What to do: unlock your keyring (its password prompt may be waiting behind this \
         window, or open your keyring manager, such as Seahorse or KWalletManager), then press \
         {CHECK_AGAIN}. To keep the key in an owner-only file instead, start the app with \
         {off_setting}."
    )
}

/// Where the key is could not be checked at all.
pub fn key_place_unknown(error: &str) -> String {
    format!("Where the API key is kept could not be checked: {error}.")
}

/// Work on the key in progress, for the line under the key's place.
pub fn key_work_text(work: KeyWork) -> &'static str {
    match work {
        KeyWork::Saving => "Saving the key…",
        KeyWork::Removing => "Removing the key…",
        KeyWork::Moving => "Moving the key…",
        KeyWork::Checking => "Checking where the key is kept…",
    }
}

/// Something done with the saved key in the background.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyWork {
    /// Saving a new key.
    Saving,
    /// Forgetting the saved key.
    Removing,
    /// Moving it between the system keychain and the file.
    Moving,
    /// Reading where it is.
    Checking,
}

/// The one-click move's button: to the system keychain, or to the owner-only file.
pub fn move_key_label(to_keychain: bool) -> &'static str {
    if to_keychain {
        "Move the key to the system keychain"
    } else {
        "Move the key to a file"
    }
}

/// The move button's tooltip.
pub fn move_key_hover(to_keychain: bool) -> &'static str {
    if to_keychain {
        "Saves the key in the system keychain, checks it is there, then removes the key file"
    } else {
        "Writes the key to an owner-only file (readable only by you), checks it, then removes \
         it from the system keychain; for a keychain that is often locked"
    }
}

/// Said when the key was moved; `place` is where it is now ("the system keychain (…)").
pub fn key_moved_text(place: &str) -> String {
    format!("The API key is now kept in {place}.")
}

/// Said when a key was saved; `place` is where ("the system keychain (…)").
pub fn key_saved_text(masked: &str, profile: &str, place: Option<&str>) -> String {
    match place {
        Some(place) => format!("Key {masked} saved for profile {profile}, in {place}."),
        None => format!("Key {masked} saved for profile {profile}."),
    }
}

/// A key could not be saved (the typed key stays in the field).
pub fn key_not_saved(error: &str) -> String {
    format!("The key could not be saved: {error}")
}

/// A key could not be removed.
pub fn key_not_removed(profile: &str, error: &str) -> String {
    format!("The key of profile {profile} could not be removed: {error}")
}

/// Said when a profile's key was removed; `to_simulator` when the app went back to the
/// built-in simulator for it.
pub fn key_removed_text(profile: &str, to_simulator: bool) -> String {
    if to_simulator {
        format!("Key of profile {profile} removed; using the built-in simulator")
    } else {
        format!("Key of profile {profile} removed")
    }
}

/// The Settings line when the key in use comes from the environment variable `var`.
pub fn env_key_in_use(masked: &str, var: &str) -> String {
    format!("Key in use: {masked}, from the environment variable {var} (read-only here).")
}

/// How to change a key that comes from the environment variable `var`.
pub fn env_key_note(var: &str) -> String {
    format!(
        "To use another key, change or unset {var} where it is set (your shell profile or the \
         app's launcher) and restart the app, or pick a profile in the header to use its own \
         saved key."
    )
}

/// The Service address when it comes from the environment variable `var`.
pub fn env_url_note(var: &str) -> String {
    format!(
        "From the environment variable {var} (read-only here). To change it, change or unset \
         {var} and restart the app, or pick a profile in the header to use its own address."
    )
}

/// The header's marker while the environment decides the service (`vars`: "ZENHIRE_API_KEY
/// and ZENHIRE_BASE_URL").
pub const ENV_MARKER: &str = "environment";

/// The marker's tooltip.
pub fn env_marker_hover(vars: &str) -> String {
    format!(
        "{vars} set in the environment decide where requests go and with which key. Click a \
         profile to use its own address and key instead (until the app restarts)."
    )
}

/// Said when the person picked a profile while the environment was setting the service.
pub fn env_ignored_text(profile: &str, vars: &str) -> String {
    format!(
        "Profile {profile}: its own address and key are used; {vars} from the environment \
         no longer apply (until the app restarts)."
    )
}

/// The status bar's note when the environment sets the service.
pub fn env_status(vars: &str) -> String {
    format!("from {vars}")
}

/// Said when settings were written (in the background).
pub const SETTINGS_SAVED: &str = "Settings saved";

/// A file of the app's own could not be written (`what`: "Settings", "The profiles", "The
/// window state").
pub fn not_saved_text(what: &str, error: &str) -> String {
    format!("{what} could not be saved: {error}")
}

/// Said at start-up when settings, profiles and the window state did not come off the disk
/// within `waited`: the app opens with defaults and writes none of them over.
pub fn startup_files_unanswered_text(waited: std::time::Duration) -> String {
    format!(
        "The disk did not answer within {} s, so the settings, profiles and window state were \
         not read: the app uses defaults for now and does not write over them. Start the app \
         again once the disk answers.",
        waited.as_secs()
    )
}

#[cfg(test)]
mod settings_words_tests {
    use super::*;

    #[test]
    fn the_key_words_name_what_to_do() {
        let help = keychain_stuck_help("SPEECH_SCORER_KEYCHAIN=off");
        assert!(help.contains("unlock your keyring"), "{help}");
        assert!(help.contains(CHECK_AGAIN), "{help}");
        assert!(
            help.ends_with("start the app with SPEECH_SCORER_KEYCHAIN=off."),
            "{help}"
        );
        assert_eq!(
            key_saved_text(
                "zh_…1234",
                "default",
                Some("the system keychain (Secret Service)")
            ),
            "Key zh_…1234 saved for profile default, in the system keychain (Secret Service)."
        );
        assert!(env_key_note("ZENHIRE_API_KEY").contains("restart the app"));
        assert_ne!(move_key_label(true), move_key_label(false));
        assert_eq!(
            key_removed_text("staging", false),
            "Key of profile staging removed"
        );
    }
}

// Record screen (rec3): testing the microphone, the microphone list, a source faster than
// real time, a silent take, the auto-stop.

/// The level the meter's target zone spans (dBFS, RMS of speech): what a person aims for
/// while speaking. Speech at a good distance from the microphone is around -30 to -15 dBFS
/// (see `audio::meter::QUIET_DBFS` for where "very quiet" begins).
pub const TARGET_ZONE_DBFS: (f32, f32) = (-30.0, -15.0);

/// The caption under the meter's scale.
pub fn target_zone_caption() -> String {
    format!(
        "Aim for the marked zone ({:.0} to {:.0} dB) while you speak.",
        TARGET_ZONE_DBFS.0, TARGET_ZONE_DBFS.1
    )
}

/// The line above the meter while the microphone is tested (nothing written yet).
pub fn monitoring_status(device: &str) -> String {
    format!("Testing {device}: nothing is recorded yet. Set the level, then start recording.")
}

/// The line above the meter while the microphone is being opened for the test.
pub const MONITOR_OPENING: &str = "Opening the microphone…";

/// The line above the meter when the test is not running (another screen, no device).
pub const PRESS_START: &str = "Press Start recording or Space.";

/// The microphone test could not open the device, or it stopped; `why` is the audio layer's
/// reason.
pub fn monitor_problem(why: &str) -> String {
    let why = why.trim().trim_end_matches('.');
    let mut chars = why.chars();
    let why: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "The microphone stopped".into(),
    };
    format!("{why}. Choose another microphone or press Refresh.")
}

/// The picker's line when the saved microphone is gone and the default is used instead.
pub fn microphone_not_connected(saved: &str, using: &str) -> String {
    format!("{saved} is not connected; using {using}.")
}

/// How a device is marked in the picker: `(default)`, and in the full list what it is when
/// it is not a plain microphone.
pub fn device_label(device: &crate::audio::devices::DeviceInfo) -> String {
    use crate::audio::devices::DeviceKind;
    let mut label = device.name.clone();
    if device.is_default {
        label.push_str(" (default)");
    }
    match &device.kind {
        DeviceKind::Microphone => {}
        DeviceKind::SystemDefault => label.push_str(" — the system's default input"),
        DeviceKind::Monitor { of } => {
            label.push_str(&format!(" — records what {of} plays, not a microphone"))
        }
        DeviceKind::NotAMicrophone { why } => {
            label.push_str(&format!(" — not a microphone: {why}"))
        }
    }
    label
}

/// The toggle that lists what is not a microphone too.
pub const SHOW_ALL_DEVICES: &str = "Show all devices";

/// The toggle's hover text.
pub const SHOW_ALL_DEVICES_HINT: &str = "Also list inputs that are not microphones (what the \
     computer plays, sound-system plugins, ALSA's null device), marked";

/// The title of the dialog for a source that delivers sound faster than real time.
pub const NOT_REAL_TIME_TITLE: &str = "This input is not a microphone";

/// The text of that dialog. `recording`: it was found while recording (the take is gone),
/// else while testing the microphone.
pub fn not_real_time_body(
    device: &str,
    seconds_delivered: f64,
    seconds_elapsed: f64,
    recording: bool,
) -> String {
    let kept = if recording {
        "The recording was stopped and nothing was kept, so no silent take is offered for \
         scoring."
    } else {
        "Nothing was recorded."
    };
    format!(
        "{device} delivered {seconds_delivered:.0} seconds of sound in {seconds_elapsed:.1} \
         seconds: faster than anyone can speak, so it is not a microphone (ALSA's null device \
         and some sound-system plugins do this). {kept} Choose a microphone in the list."
    )
}

/// The button that switches to another microphone.
pub fn use_device_label(name: &str) -> String {
    format!("Use {name}")
}

/// The title of the question before a silent take is submitted.
pub const SILENT_TAKE_TITLE: &str = "This take is silent";

/// The text of that question.
pub fn silent_take_body(loudness: &crate::audio::LoudnessSummary, credits: u64) -> String {
    let share = (loudness.silent_fraction * 100.0).round().clamp(0.0, 100.0);
    let loudest = if loudness.peak_dbfs <= crate::audio::meter::DB_FLOOR + 1.0 {
        "not a single sound: digital silence".to_string()
    } else {
        format!("its loudest moment is {:.0} dBFS", loudness.peak_dbfs)
    };
    format!(
        "{share:.0} % of it is silence ({loudest}): the microphone was probably muted, \
         blocked or the wrong one. Submitting it costs {} and the service cannot score \
         silence. Check the meter and record again, or submit it anyway.",
        credits_text(credits as f64)
    )
}

/// The button that submits a silent take after all.
pub const SUBMIT_ANYWAY: &str = "Submit anyway";

/// The button that records a new take instead (the silent one stays in the Takes list).
pub const RECORD_AGAIN: &str = "Record again";

/// The line on a silent take's panel.
pub const SILENT_TAKE_NOTE: &str =
    "Almost all of this take is silence: check the microphone before you submit it.";

/// The line under the time bar while recording: where the recorder stops by itself, and why.
pub fn auto_stop_note() -> String {
    format!(
        "Stops by itself at {}, just under the service's {} limit.",
        crate::audio::recorder::clock(crate::audio::AUTO_STOP),
        crate::audio::recorder::clock(crate::audio::MAX_DURATION)
    )
}

#[cfg(test)]
mod record_words_tests {
    use super::*;

    #[test]
    fn the_auto_stop_says_where_and_why() {
        assert_eq!(
            auto_stop_note(),
            "Stops by itself at 44:50, just under the service's 45:00 limit."
        );
    }

    #[test]
    fn a_fallen_back_microphone_is_named() {
        assert_eq!(
            microphone_not_connected("Yeti Stereo Microphone", "Built-in Audio"),
            "Yeti Stereo Microphone is not connected; using Built-in Audio."
        );
    }

    #[test]
    fn silent_take_words_give_the_share_and_the_cost() {
        let l = crate::audio::LoudnessSummary {
            duration: std::time::Duration::from_secs(200),
            silent_fraction: 0.994,
            peak_dbfs: -100.0,
            rms_dbfs: -100.0,
            active_rms_dbfs: -100.0,
            clipped_fraction: 0.0,
        };
        let body = silent_take_body(&l, 4);
        assert!(body.starts_with("99 % of it is silence"), "{body}");
        assert!(body.contains("digital silence"), "{body}");
        assert!(body.contains("4 credits"), "{body}");
        let quiet = crate::audio::LoudnessSummary {
            peak_dbfs: -52.4,
            ..l
        };
        assert!(silent_take_body(&quiet, 1).contains("loudest moment is -52 dBFS"));
        assert!(silent_take_body(&quiet, 1).contains("costs 1 credit "));
    }

    #[test]
    fn devices_are_marked_with_what_they_are() {
        use crate::audio::devices::{DeviceInfo, DeviceKind};
        let d = |kind, is_default| DeviceInfo {
            id: "x".into(),
            name: "Thing".into(),
            kind,
            is_default,
            default_rate: None,
            channels: None,
            sample_format: None,
            problem: None,
        };
        assert_eq!(
            device_label(&d(DeviceKind::Microphone, true)),
            "Thing (default)"
        );
        assert!(
            device_label(&d(
                DeviceKind::NotAMicrophone {
                    why: "silence".into()
                },
                false
            ))
            .ends_with("not a microphone: silence")
        );
        assert!(
            device_label(&d(
                DeviceKind::Monitor {
                    of: "Speakers".into()
                },
                false
            ))
            .contains("records what Speakers plays")
        );
    }
}
