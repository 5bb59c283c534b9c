//! `score`, `resume`, `explain`, `credits`, `health` and `runs`: the headless front end over
//! the engine. Progress goes to stderr; with `--json`, stdout is exactly one JSON object.

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::api::client::{ApiClient, ApiKey, DEFAULT_BASE_URL, RunsFilter};
use crate::api::codes::ErrorCode;
use crate::api::error::ApiError;
use crate::api::model::{ApiErrorBody, ErrorEnvelope, PollResponse};
use crate::engine::events::{EventSink, JobEvent};
use crate::engine::job::{DEFAULT_MAX_WAIT, JobSpec, spawn_job, spawn_resume, spawn_resume_record};
use crate::engine::outcome::{Outcome, OutcomeError, OutcomeKind};
use crate::engine::policy::WaitReason;
use crate::guidance::{self, Guidance};
use crate::store::{FileSecretStore, History, Paths, SecretStore as _, Settings};

use super::Exit;

/// The key's environment variable.
pub const KEY_ENV: &str = "ZENHIRE_API_KEY";
/// The base URL's environment variable.
pub const BASE_URL_ENV: &str = "ZENHIRE_BASE_URL";

/// Where to send requests.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnArgs {
    /// API base URL (default: $ZENHIRE_BASE_URL, the settings, then `https://platform.zenhire.ai`).
    /// Plain http:// is accepted only for loopback hosts (the simulator).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ScoreArgs {
    /// The audio file (MP3, WAV, M4A, WebM, OGG or FLAC; 3–45 minutes; at most 25 MB).
    pub file: PathBuf,
    /// ISO 639-1 language code (default: the settings, else `en`).
    #[arg(long)]
    pub language: Option<String>,
    /// Your reference for the run (1–255 characters); `ss-<uuid>` is generated when absent.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
    /// A JSON object stored with the run, e.g. '{"candidate":"c_887"}'.
    #[arg(long, value_name = "JSON")]
    pub metadata: Option<String>,
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Give up after this many seconds in total (default 3600: covers a 20-minute warm-up).
    #[arg(long, value_name = "SECS")]
    pub max_wait: Option<u64>,
    /// Print exactly one JSON object (the outcome) on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ResumeArgs {
    /// The run id (`id` from the submit answer, e.g. req_…), or the local id of a history
    /// record whose upload was interrupted before the answer (it is then looked up by its
    /// externalId; nothing is ever submitted).
    pub run_id: String,
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Give up after this many seconds in total.
    #[arg(long, value_name = "SECS")]
    pub max_wait: Option<u64>,
    /// Print exactly one JSON object (the outcome) on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// An error code (INSUFFICIENT_CREDITS), a file holding an error envelope or poll body,
    /// or - to read one from stdin.
    pub input: String,
    /// Print the guidance as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct CreditsArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Print the raw body as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct HealthArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Print the raw body as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct RunsArgs {
    /// Only runs with this externalId.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
    /// Only runs in this status (queued, processing, success, partial, failed).
    #[arg(long)]
    pub status: Option<String>,
    /// Only runs created after this ISO 8601 time.
    #[arg(long, value_name = "TIME")]
    pub created_after: Option<String>,
    /// Only runs created before this ISO 8601 time.
    #[arg(long, value_name = "TIME")]
    pub created_before: Option<String>,
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Print the raw body as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Settings, paths and the key, read once per command.
struct Env {
    paths: Option<Paths>,
    settings: Settings,
}

/// Warnings from the engine (e.g. history that could not be saved) go to stderr; `RUST_LOG`
/// raises the level for support sessions.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

impl Env {
    fn load() -> Env {
        init_logging();
        let paths = match Paths::from_env() {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("speech-scorer: warning: {e}; history will not be kept");
                None
            }
        };
        let settings = match paths.as_ref().map(Settings::load) {
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                eprintln!("speech-scorer: warning: {e}; using default settings");
                Settings::default()
            }
            None => Settings::default(),
        };
        Env { paths, settings }
    }

    fn base_url(&self, conn: &ConnArgs) -> String {
        conn.base_url
            .clone()
            .or_else(|| std::env::var(BASE_URL_ENV).ok().filter(|s| !s.is_empty()))
            .or_else(|| self.settings.base_url.clone())
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
    }

    fn key(&self) -> Option<ApiKey> {
        if let Some(k) = std::env::var(KEY_ENV).ok().and_then(ApiKey::new) {
            return Some(k);
        }
        let store = FileSecretStore::new(self.paths.as_ref()?);
        store.get().ok().flatten()
    }

    fn history(&self) -> Option<History> {
        self.paths.as_ref().map(History::new)
    }

    fn client(&self, conn: &ConnArgs, with_key: bool) -> Result<ApiClient, String> {
        let key = if with_key { self.key() } else { None };
        ApiClient::new(&self.base_url(conn), key).map_err(|e| e.to_string())
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("speech-scorer: could not start the async runtime: {e}");
            Exit::Other.into()
        })
}

/// Prints progress on stderr: a spinner with a live countdown on a terminal, plain lines
/// otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    countdown: Arc<Mutex<Option<(String, SystemTime)>>>,
    last_upload_quarter: Mutex<u64>,
    /// Set when any response came from the local simulator (its marker header), so the
    /// result can say it is not real.
    simulated: std::sync::atomic::AtomicBool,
}

impl Progress {
    fn new() -> Arc<Progress> {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        let p = Arc::new(Progress {
            bar,
            countdown: Arc::new(Mutex::new(None)),
            last_upload_quarter: Mutex::new(u64::MAX),
            simulated: std::sync::atomic::AtomicBool::new(false),
        });
        if let Some(bar) = p.bar.clone() {
            let countdown = Arc::clone(&p.countdown);
            std::thread::spawn(move || {
                while !bar.is_finished() {
                    if let Ok(guard) = countdown.lock()
                        && let Some((what, until)) = guard.as_ref()
                    {
                        let left = until
                            .duration_since(SystemTime::now())
                            .unwrap_or_default()
                            .as_secs_f64()
                            .ceil();
                        bar.set_message(format!("{what} — {left:.0} s"));
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            });
        }
        p
    }

    fn line(&self, text: String) {
        if let Ok(mut c) = self.countdown.lock() {
            *c = None;
        }
        match &self.bar {
            Some(bar) => bar.set_message(text),
            None => eprintln!("speech-scorer: {text}"),
        }
    }

    fn event(&self, event: &JobEvent) {
        match event {
            JobEvent::Validating => self.line("checking the file".into()),
            JobEvent::Uploading { sent, total } => {
                let pct = if *total == 0 { 100 } else { sent * 100 / total };
                match &self.bar {
                    Some(bar) => bar.set_message(format!("uploading {pct}%")),
                    None => {
                        let quarter = pct / 25;
                        if let Ok(mut last) = self.last_upload_quarter.lock()
                            && *last != quarter
                        {
                            *last = quarter;
                            eprintln!("speech-scorer: uploading {pct}% ({sent}/{total} bytes)");
                        }
                    }
                }
            }
            JobEvent::Accepted {
                run_id,
                external_id,
                status,
                ..
            } => self.line(format!(
                "accepted: run {run_id} (externalId {external_id}), {status}"
            )),
            JobEvent::Queued { position } => self.line(match position {
                Some(p) => format!("queued #{p}"),
                None => "queued".into(),
            }),
            JobEvent::Processing => self.line("scoring".into()),
            JobEvent::Waiting {
                reason,
                code,
                seconds,
                until,
            } => {
                let what = match code {
                    Some(c) => format!("{} ({c})", reason.describe()),
                    None => reason.describe().to_string(),
                };
                match &self.bar {
                    Some(_) => {
                        if let Ok(mut c) = self.countdown.lock() {
                            *c = Some((what, *until));
                        }
                    }
                    None if *reason == WaitReason::NextPoll => {
                        eprintln!("speech-scorer: next status check in {seconds:.1} s")
                    }
                    None => eprintln!("speech-scorer: {what}; trying again in {seconds:.1} s"),
                }
            }
            JobEvent::Retrying { attempt } => self.line(format!("trying again (attempt {attempt})")),
            JobEvent::CheckingForLostSubmit { external_id } => self.line(format!(
                "the upload's answer was lost; looking for a run with externalId {external_id} before sending again"
            )),
            JobEvent::Exchange(x) => {
                if x.simulated {
                    self.simulated
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
            JobEvent::Finished(_) => {
                if let Some(bar) = &self.bar {
                    bar.finish_and_clear();
                }
            }
        }
    }

    fn sink(self: &Arc<Self>) -> EventSink {
        let me = Arc::clone(self);
        Arc::new(move |e| me.event(&e))
    }
}

fn print_guidance(g: &Guidance) {
    eprintln!("{}", g.title);
    eprintln!("  {}", g.body);
    if !matches!(g.action, guidance::Action::None) {
        eprintln!("  What to do: {}", action_text(&g.action));
    }
}

fn action_text(a: &guidance::Action) -> String {
    use guidance::Action::*;
    match a {
        TopUpCredits => "top up your credits in the ZenHire dashboard".into(),
        CheckKey => format!("check the API key (${KEY_ENV} or the saved settings)"),
        RotateKey => "create a new API key in the ZenHire dashboard and save it".into(),
        WaitForWarmUp => "wait; the app retries by itself".into(),
        FixRecording { what } => format!("fix the recording: {what}"),
        ChooseLanguage => "choose the language that is spoken (--language)".into(),
        SubmitAgain => "submit the recording again".into(),
        RecordAgain => "record again".into(),
        ContactSupport => "contact ZenHire support".into(),
        None => String::new(),
    }
}

fn print_json(v: &serde_json::Value) {
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
fn report_outcome_marked(outcome: &Outcome, json: bool, simulated: bool) -> ExitCode {
    if json {
        print_json(&outcome.to_json());
    }
    match outcome.kind {
        OutcomeKind::Success | OutcomeKind::Partial => {
            if !json {
                print_scores(outcome, simulated);
            }
        }
        OutcomeKind::Cancelled => {
            if let Some(run) = &outcome.run_id {
                eprintln!(
                    "Interrupted. The run continues on the service; finish it with: speech-scorer resume {run}"
                );
            } else {
                eprintln!("Interrupted before the service accepted the upload.");
            }
        }
        _ => {
            if outcome.kind == OutcomeKind::GaveUp {
                eprintln!("Gave up: the time budget (--max-wait) ran out before a final answer.");
            }
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
    outcome.exit_code().into()
}

fn local_failure(
    json: bool,
    code: ErrorCode,
    message: String,
    external_id: Option<String>,
) -> ExitCode {
    let outcome = Outcome {
        kind: OutcomeKind::InvalidInput,
        run_id: None,
        external_id,
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

/// The client a job needs (key required); a missing key or a refused base URL ends the
/// command as invalid input, nothing sent.
fn job_client(
    env: &Env,
    conn: &ConnArgs,
    json: bool,
    external_id: &Option<String>,
) -> Result<ApiClient, ExitCode> {
    let Some(key) = env.key() else {
        return Err(local_failure(
            json,
            ErrorCode::MissingApiKey,
            format!("no API key: set ${KEY_ENV} or save one in the app's settings"),
            external_id.clone(),
        ));
    };
    ApiClient::new(&env.base_url(conn), Some(key)).map_err(|e| {
        local_failure(
            json,
            ErrorCode::Unknown("INVALID_BASE_URL".into()),
            e.to_string(),
            external_id.clone(),
        )
    })
}

/// Runs a job to its end, cancelling it on Ctrl-C (the run stays in history, resumable).
/// Also says whether the answers came from the simulator.
fn run_to_end(
    rt: &tokio::runtime::Runtime,
    start: impl FnOnce(&tokio::runtime::Handle, EventSink) -> crate::engine::JobHandle,
) -> (Outcome, bool) {
    let progress = Progress::new();
    let handle = start(rt.handle(), progress.sink());
    let token = handle.cancel_token();
    rt.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            token.cancel();
        }
    });
    let outcome = rt.block_on(handle.finished());
    let simulated = progress
        .simulated
        .load(std::sync::atomic::Ordering::Relaxed);
    (outcome, simulated)
}

/// `speech-scorer score FILE`.
pub fn score(args: ScoreArgs) -> ExitCode {
    let env = Env::load();
    let client = match job_client(&env, &args.conn, args.json, &args.external_id) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let spec = JobSpec {
        file: args.file,
        language: args
            .language
            .unwrap_or_else(|| env.settings.default_language.clone()),
        external_id: args
            .external_id
            .or_else(|| env.settings.default_external_id.clone()),
        metadata: args
            .metadata
            .or_else(|| env.settings.default_metadata.clone()),
        max_wait: args.max_wait.map_or(DEFAULT_MAX_WAIT, Duration::from_secs),
        // A file the app would convert for upload, the CLI converts too (never beside it).
        work_dir: Some(env.paths.as_ref().map_or_else(
            || std::env::temp_dir().join("speech-scorer-prepared"),
            |p| p.data_dir.join("prepared"),
        )),
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let history = env.history();
    let (outcome, simulated) = run_to_end(&rt, |h, sink| spawn_job(h, client, spec, history, sink));
    report_outcome_marked(&outcome, args.json, simulated)
}

/// `speech-scorer resume RUN_ID`.
pub fn resume(args: ResumeArgs) -> ExitCode {
    let env = Env::load();
    let client = match job_client(&env, &args.conn, args.json, &None) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let max_wait = args.max_wait.map_or(DEFAULT_MAX_WAIT, Duration::from_secs);
    let history = env.history();
    // A local id names a history record (e.g. an upload interrupted before its answer).
    let local = history
        .as_ref()
        .and_then(|h| h.load(&args.run_id).ok())
        .filter(|r| r.run_id.is_some() || r.upload_may_have_arrived());
    let (outcome, simulated) = run_to_end(&rt, |h, sink| match local {
        Some(record) => spawn_resume_record(h, client, record, max_wait, history, sink),
        None => spawn_resume(h, client, args.run_id, max_wait, history, sink),
    });
    report_outcome_marked(&outcome, args.json, simulated)
}

/// What `explain` was given, turned into guidance.
pub fn explain_text(text: &str) -> Guidance {
    let trimmed = text.trim();
    if let Ok(poll) = serde_json::from_str::<PollResponse>(trimmed)
        && let Some(err) = &poll.error
    {
        return guidance::for_outcome_error(
            &OutcomeError {
                code: err.code.clone(),
                message: err.message.clone(),
                http_status: None,
                request_id: None,
                details: None,
            },
            Some(&poll.id),
        );
    }
    if let Ok(env) = serde_json::from_str::<ErrorEnvelope>(trimmed) {
        return guidance::for_api_error(&env.error, env.error.retry_after_seconds);
    }
    if let Ok(body) = serde_json::from_str::<ApiErrorBody>(trimmed) {
        return guidance::for_api_error(&body, body.retry_after_seconds);
    }
    if let Ok(outcome) = serde_json::from_str::<Outcome>(trimmed)
        && let Some(err) = &outcome.error
    {
        return guidance::for_outcome_error(err, outcome.run_id.as_deref());
    }
    let code = trimmed.trim_matches('"').to_ascii_uppercase();
    guidance::for_code(&ErrorCode::parse(&code))
}

/// `speech-scorer explain CODE|FILE|-`.
pub fn explain(args: ExplainArgs) -> ExitCode {
    let text = if args.input == "-" {
        let mut s = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut s) {
            eprintln!("speech-scorer explain: could not read stdin: {e}");
            return Exit::Other.into();
        }
        s
    } else if std::path::Path::new(&args.input).is_file() {
        match std::fs::read_to_string(&args.input) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("speech-scorer explain: {}: {e}", args.input);
                return Exit::Other.into();
            }
        }
    } else {
        args.input.clone()
    };
    let g = explain_text(&text);
    if args.json {
        print_json(&serde_json::to_value(&g).unwrap_or_default());
        return Exit::Success.into();
    }
    let code = g
        .code
        .as_ref()
        .map_or("network error".to_string(), |c| c.to_string());
    println!("{code}: {}", g.title);
    println!("  {}", g.body);
    if !matches!(g.action, guidance::Action::None) {
        println!("  What to do: {}", action_text(&g.action));
    }
    // The technical side for support staff: status, retryable, what the app does, the guide.
    for line in crate::support::explain::explain(&text).technical_lines() {
        println!("  {line}");
    }
    Exit::Success.into()
}

fn report_api_error(e: &ApiError) -> ExitCode {
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
        ApiError::Network { .. } => {
            eprintln!("error: {e}");
            print_guidance(&guidance::for_network());
            Exit::GaveUp.into()
        }
    }
}

fn simple_command<T>(
    conn: &ConnArgs,
    with_key: bool,
    call: impl AsyncFnOnce(ApiClient) -> crate::api::Reply<T>,
) -> Result<(T, bool), ExitCode> {
    let env = Env::load();
    let client = env.client(conn, with_key).map_err(|e| {
        eprintln!("speech-scorer: {e}");
        ExitCode::from(Exit::InvalidInput)
    })?;
    let rt = runtime()?;
    let reply = rt.block_on(call(client));
    let simulated = reply.facts.simulated;
    match reply.result {
        Ok(v) => Ok((v, simulated)),
        Err(e) => Err(report_api_error(&e)),
    }
}

/// `speech-scorer credits`.
pub fn credits(args: CreditsArgs) -> ExitCode {
    let (info, simulated) = match simple_command(&args.conn, true, async |c| c.credits().await) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if args.json {
        print_json(&info.raw);
        return Exit::Success.into();
    }
    let sim = if simulated { " (simulator)" } else { "" };
    match (info.balance(), info.available()) {
        (Some(b), Some(a)) => println!("Balance: {b} credits, {a} available{sim}"),
        (Some(b), None) => println!("Balance: {b} credits{sim}"),
        _ => println!(
            "{}{sim}",
            serde_json::to_string_pretty(&info.raw).unwrap_or_default()
        ),
    }
    Exit::Success.into()
}

/// `speech-scorer health`.
pub fn health(args: HealthArgs) -> ExitCode {
    let (h, simulated) = match simple_command(&args.conn, false, async |c| c.health().await) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if args.json {
        print_json(&h.raw);
    } else {
        let sim = if simulated { " (simulator)" } else { "" };
        let state = if h.healthy { "healthy" } else { "unhealthy" };
        println!("{state} (HTTP {}){sim}", h.http_status);
    }
    if h.healthy {
        Exit::Success.into()
    } else {
        Exit::Other.into()
    }
}

/// `speech-scorer runs`.
pub fn runs(args: RunsArgs) -> ExitCode {
    let filter = RunsFilter {
        external_id: args.external_id.clone(),
        status: args.status.clone(),
        created_after: args.created_after.clone(),
        created_before: args.created_before.clone(),
    };
    let (list, _) = match simple_command(&args.conn, true, async move |c| c.runs(&filter).await) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if args.json {
        print_json(&list.raw);
        return Exit::Success.into();
    }
    if list.rows.is_empty() {
        println!("no runs");
    }
    for row in &list.rows {
        println!(
            "{}  {:<10}  {}  {}",
            row.id,
            row.status.as_ref().map_or("?", |s| s.as_str()),
            row.created_at.as_deref().unwrap_or("-"),
            row.external_id.as_deref().unwrap_or("-"),
        );
    }
    Exit::Success.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explain_reads_codes_envelopes_and_failed_polls() {
        let g = explain_text("insufficient_credits");
        assert_eq!(g.code, Some(ErrorCode::InsufficientCredits));
        let g = explain_text(
            r#"{"error":{"code":"INSUFFICIENT_CREDITS","message":"x","timestamp":"t","details":{"cost":11,"available":4}}}"#,
        );
        assert!(g.body.contains("11"), "{}", g.body);
        let g = explain_text(
            r#"{"id":"req_9","status":"failed","error":{"code":"INTERNAL_ERROR","message":"m"}}"#,
        );
        assert_eq!(g.code, Some(ErrorCode::InternalError));
        assert!(g.body.contains("req_9"));
        let g = explain_text("WHAT_IS_THIS");
        assert!(g.title.contains("WHAT_IS_THIS"));
    }
}
