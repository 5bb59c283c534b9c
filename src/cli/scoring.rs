//! `score` and `resume`: run a job to its end on the engine, with progress on stderr and the
//! outcome on stdout.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::api::client::ApiClient;
use crate::api::codes::{ErrorCode, LocalCode};
use crate::engine::account::{Account, AccountLimits};
use crate::engine::job::{DEFAULT_MAX_WAIT, JobHandle, JobOptions, JobSpec, Start, spawn};
use crate::engine::outcome::Outcome;
use crate::store::History;

use super::config::{ConnArgs, Env, KEY_ENV, runtime};
use super::progress::Progress;
use super::report::{local_failure, print_lost_upload_hint, report_outcome_marked};

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

/// The client a job needs (key required); a missing key or a refused base URL ends the
/// command as invalid input, nothing sent.
pub(crate) fn job_client(
    env: &Env,
    conn: &ConnArgs,
    json: bool,
    external_id: &Option<String>,
) -> Result<ApiClient, ExitCode> {
    let service = env.service(conn).map_err(|e| {
        local_failure(
            json,
            ErrorCode::Local(LocalCode::InvalidBaseUrl),
            e,
            external_id.clone(),
        )
    })?;
    let Some(key) = service.key else {
        return Err(local_failure(
            json,
            ErrorCode::MissingApiKey,
            match &conn.profile {
                Some(p) => format!(
                    "no API key for profile {p}: save one with `speech-scorer profile set-key {p}`"
                ),
                None => format!("no API key: set ${KEY_ENV} or save one in the app's settings"),
            },
            external_id.clone(),
        ));
    };
    ApiClient::new(&service.base_url, Some(key)).map_err(|e| {
        local_failure(
            json,
            ErrorCode::Local(LocalCode::InvalidBaseUrl),
            e.to_string(),
            external_id.clone(),
        )
    })
}

/// Runs a job to its end, cancelling it on Ctrl-C (the run stays in history, resumable).
/// Also says whether the answers came from the simulator.
fn run_to_end(
    rt: &tokio::runtime::Runtime,
    start: impl FnOnce(&tokio::runtime::Handle, crate::engine::EventSink) -> JobHandle,
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
    let simulated = progress.simulated();
    (outcome, simulated)
}

/// The account budget of a single run. One run never comes near the account's limits, but it
/// goes through the same path as a batch (rate token and shared not-before before each
/// request), so that path is exercised by every `score` and `resume`.
fn one_run_account() -> std::sync::Arc<Account> {
    Account::new(AccountLimits::default().with_max_active(1))
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
        local_id: None,
        // A file the app would convert for upload, the CLI converts too (never beside it).
        work_dir: Some(env.upload_work_dir()),
        original: None,
    };
    let options =
        JobOptions::with_max_wait(args.max_wait.map_or(DEFAULT_MAX_WAIT, Duration::from_secs))
            .with_account(one_run_account());
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let history = env.history();
    let (outcome, simulated) = run_to_end(&rt, |h, sink| {
        spawn(h, client, Start::Submit(spec), options, history, sink)
    });
    let code = report_outcome_marked(&outcome, args.json, simulated);
    print_lost_upload_hint(&outcome, lost_upload_open(&env, &outcome));
    code
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
    let options = JobOptions::with_max_wait(max_wait).with_account(one_run_account());
    let history = env.history();
    // A local id names a history record (e.g. an upload interrupted before its answer).
    let local = env
        .paths
        .as_ref()
        .and_then(|p| History::new(p).load(&args.run_id).ok())
        .filter(|r| r.run_id.is_some() || r.upload_may_have_arrived());
    let (outcome, simulated) = run_to_end(&rt, |h, sink| match local {
        Some(record) => spawn(
            h,
            client,
            Start::Record(Box::new(record)),
            options,
            history,
            sink,
        ),
        None => spawn(
            h,
            client,
            Start::Resume {
                run_id: args.run_id,
            },
            options,
            history,
            sink,
        ),
    });
    let code = report_outcome_marked(&outcome, args.json, simulated);
    print_lost_upload_hint(&outcome, lost_upload_open(&env, &outcome));
    code
}

/// True when the outcome's history record still has an upload that may have created a run.
fn lost_upload_open(env: &Env, outcome: &Outcome) -> bool {
    let (Some(paths), Some(local)) = (&env.paths, &outcome.local_id) else {
        return false;
    };
    History::new(paths)
        .load(local)
        .is_ok_and(|r| r.is_unfinished() && r.upload_may_have_arrived())
}
