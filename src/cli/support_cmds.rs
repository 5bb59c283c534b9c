//! `log`, `bundle` and `replay`: the support desk on the command line. RUN is the service's
//! run id (`runId` in the `--json` outcome) or the local history id.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::Exit;
use super::config::KEY_ENV;
use crate::engine::events::{EventSink, JobEvent};
use crate::engine::reqlog::Exchange;
use crate::store::{History, KeychainOrFileStore, Paths, SecretStore as _, Settings};
use crate::support::bundle::{BundleOptions, read_bundle, write_bundle};
use crate::support::replay::{
    ReplayOptions, ReplaySpeed, replay as replay_bundle, scenario_for_record,
};
use crate::support::{curl, lookup};

#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// The run id (req_…) or the local history id.
    #[arg(required_unless_present = "all")]
    pub run: Option<String>,
    /// One log of every request across all runs in the history, newest first, a page at a
    /// time; narrow it with the filters below.
    #[arg(long, conflicts_with = "run")]
    pub all: bool,
    /// With --all: only exchanges with this error code (e.g. SERVICE_WARMING_UP).
    #[arg(long, value_name = "CODE", requires = "all")]
    pub code: Option<String>,
    /// With --all: only this HTTP status: 503, a class like 5xx, or none (no reply).
    #[arg(long, value_name = "STATUS", requires = "all")]
    pub status: Option<crate::support::search::StatusFilter>,
    /// With --all: only this run (its req_… id or local history id).
    #[arg(long = "run", value_name = "RUN", requires = "all")]
    pub run_filter: Option<String>,
    /// With --all: only runs with this externalId.
    #[arg(long, value_name = "ID", requires = "all")]
    pub external_id: Option<String>,
    /// With --all: at or after this time: 2026-05-01, 2026-05-01T10:00:00Z, or an age (2h, 7d).
    #[arg(long, value_name = "TIME", requires = "all")]
    pub since: Option<String>,
    /// With --all: before this time (same forms as --since).
    #[arg(long, value_name = "TIME", requires = "all")]
    pub until: Option<String>,
    /// With --all: text to find (case-insensitive) in the path, code, ids, the decision, the
    /// error or the body.
    #[arg(long, value_name = "TEXT", requires = "all")]
    pub text: Option<String>,
    /// With --all: which page (1 is the newest). With --har, all matches unless given.
    #[arg(long, value_name = "N", requires = "all")]
    pub page: Option<usize>,
    /// With --all: exchanges per page.
    #[arg(long, value_name = "N", default_value_t = crate::support::search::PAGE_SIZE, requires = "all")]
    pub per_page: usize,
    /// Print the exchanges as JSON (with --all: the page, as one object).
    #[arg(long)]
    pub json: bool,
    /// Print every request as a curl command (the key as $ZENHIRE_API_KEY).
    #[arg(long, conflicts_with_all = ["json", "all"])]
    pub curl: bool,
    /// Write the log as HTTP Archive 1.2 (open it in browser dev tools, Insomnia or
    /// Postman); to stdout, or to --output. The key is masked, the audio described.
    #[arg(long, conflicts_with_all = ["json", "curl"])]
    pub har: bool,
    /// Where --har writes (default: stdout).
    #[arg(short = 'o', long = "output", value_name = "FILE", requires = "har")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct BundleArgs {
    /// The run id (req_…) or the local history id.
    pub run: String,
    /// Where to write the zip.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    /// Put the recording in the bundle too (it holds the candidate's voice: ask first).
    #[arg(long)]
    pub include_recording: bool,
    /// The input device the recording was made with, if you know it.
    #[arg(long, value_name = "NAME")]
    pub device: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// A support bundle written by `speech-scorer bundle` or the app.
    pub bundle: PathBuf,
    /// Print exactly one JSON object (the replay's outcome) on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also write the replay scenario (TOML) for `speech-scorer simulate --scenario`.
    #[arg(long, value_name = "FILE")]
    pub export_scenario: Option<PathBuf>,
    /// Give up after this many seconds in total, counted on the replay's own clock (the
    /// original's waits count in full at any speed).
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    pub max_wait: u64,
    /// How fast to replay: N divides every wait by N (1 = as the original did), `max` does
    /// not wait at all. The requests, the waits chosen and the outcome are the same at any
    /// speed.
    #[arg(long, value_name = "N|max", default_value = "1")]
    pub speed: ReplaySpeed,
}

pub(super) fn history() -> Result<(Paths, History), ExitCode> {
    match Paths::from_env() {
        Ok(p) => {
            let h = History::new(&p);
            Ok((p, h))
        }
        Err(e) => {
            eprintln!("speech-scorer: {e}");
            Err(Exit::Other.into())
        }
    }
}

fn find(history: &History, run: &str) -> Result<crate::store::RunRecord, ExitCode> {
    lookup::find_local(history, run).map_err(|e| {
        eprintln!("speech-scorer: {e}");
        ExitCode::from(Exit::Other)
    })
}

/// One table row per exchange; widths fit an 120-column terminal.
pub fn log_table(exchanges: &[Exchange]) -> String {
    let mut out = format!(
        "{:>3}  {:<12}  {:<6} {:<38}  {:>6}  {:<28}  {:>3}  {:<34}  {:>7}  {:>9}\n",
        "#",
        "time (UTC)",
        "method",
        "path",
        "status",
        "code",
        "try",
        "wait (why)",
        "latency",
        "bytes in"
    );
    for (i, ex) in exchanges.iter().enumerate() {
        let status = ex.status.map_or("-".to_string(), |s| s.to_string());
        let code = match (&ex.code, &ex.error) {
            (Some(c), _) => c.to_string(),
            (None, Some(e)) => e.chars().take(28).collect(),
            _ => String::new(),
        };
        let wait = ex.wait.as_ref().map_or(ex.decision.clone(), |w| {
            format!(
                "{:.1} s ({})",
                w.seconds,
                crate::guidance::wait_reason(w.reason)
            )
        });
        let path: String = ex.path.chars().take(38).collect();
        let wait: String = wait.chars().take(34).collect();
        out.push_str(&format!(
            "{:>3}  {:<12}  {:<6} {:<38}  {:>6}  {:<28}  {:>3}  {:<34}  {:>5}ms  {:>9}\n",
            i + 1,
            ex.at.format("%H:%M:%S%.3f"),
            ex.method,
            path,
            status,
            code,
            ex.attempt,
            wait,
            ex.latency_ms,
            ex.bytes_received
        ));
        if let Some(r) = &ex.request_id {
            out.push_str(&format!("{:>5}requestId {r}\n", ""));
        }
    }
    out
}

/// `speech-scorer log RUN`.
pub fn log(args: LogArgs) -> ExitCode {
    let (_, history) = match history() {
        Ok(h) => h,
        Err(c) => return c,
    };
    let Some(run) = args.run.as_deref() else {
        return super::log_all::log_all(&args);
    };
    let record = match find(&history, run) {
        Ok(r) => r,
        Err(c) => return c,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&record.exchanges).unwrap_or_else(|_| "[]".into())
        );
        return Exit::Success.into();
    }
    if args.har {
        let text = crate::support::har::har_for_run(&record, configured_secret().as_deref());
        return write_har(&text, args.output.as_deref());
    }
    if args.curl {
        for ex in &record.exchanges {
            println!(
                "{}\n",
                curl::to_curl_with(ex, record.base_url.as_deref(), Some(&record))
            );
        }
        return Exit::Success.into();
    }
    println!(
        "run {}  externalId {}  {}{}",
        record.run_id.as_deref().unwrap_or("(not accepted)"),
        record.external_id.as_deref().unwrap_or("-"),
        record
            .outcome
            .as_ref()
            .map_or("unfinished", |o| o.kind.as_str()),
        if record.simulated {
            "  (simulator)"
        } else {
            ""
        }
    );
    if record.exchanges.is_empty() {
        println!("no exchanges: nothing was sent");
    } else {
        print!("{}", log_table(&record.exchanges));
    }
    Exit::Success.into()
}

/// The configured key, read only so it can be scrubbed from what we write should it appear
/// anywhere: the same trimmed key the client would send.
pub(super) fn configured_secret() -> Option<String> {
    std::env::var(KEY_ENV)
        .ok()
        .and_then(crate::api::ApiKey::new)
        .or_else(|| {
            let paths = Paths::from_env().ok()?;
            KeychainOrFileStore::saved(&paths).get().ok().flatten()
        })
        .map(|k| k.expose().to_string())
}

/// Writes a HAR document to `out` (owner-only: it holds candidate data) or stdout.
pub(super) fn write_har(text: &str, out: Option<&std::path::Path>) -> ExitCode {
    let Some(path) = out else {
        println!("{text}");
        return Exit::Success.into();
    };
    match crate::support::bundle::write_private(path, text.as_bytes()) {
        Ok(()) => {
            eprintln!("wrote {}", path.display());
            Exit::Success.into()
        }
        Err(e) => {
            eprintln!("speech-scorer log: {e}");
            Exit::Other.into()
        }
    }
}

/// `speech-scorer bundle RUN -o FILE`.
pub fn bundle(args: BundleArgs) -> ExitCode {
    let (paths, history) = match history() {
        Ok(h) => h,
        Err(c) => return c,
    };
    let record = match find(&history, &args.run) {
        Ok(r) => r,
        Err(c) => return c,
    };
    let settings = Settings::load(&paths).unwrap_or_default();
    // The key is read only so it can be scrubbed should it appear in any part.
    let secret = configured_secret();
    let opts = BundleOptions {
        include_recording: args.include_recording,
        audio_device: args.device,
        secret,
    };
    match write_bundle(&record, &settings, &opts, &args.output) {
        Ok(m) => {
            eprintln!(
                "wrote {} ({} exchanges{})",
                args.output.display(),
                m.exchanges,
                if m.includes_recording {
                    ", with the recording"
                } else {
                    ", without the recording"
                }
            );
            Exit::Success.into()
        }
        Err(e) => {
            eprintln!("speech-scorer bundle: {e}");
            Exit::Other.into()
        }
    }
}

fn progress_sink(speed: ReplaySpeed) -> EventSink {
    std::sync::Arc::new(move |e: JobEvent| match e {
        JobEvent::Exchange(ex) => eprintln!(
            "speech-scorer replay: {}",
            crate::support::replay::signature(&ex)
        ),
        JobEvent::Waiting {
            reason, seconds, ..
        } => eprintln!(
            "speech-scorer replay: {} — {seconds:.1} s{}",
            crate::guidance::wait_reason(reason),
            match speed {
                ReplaySpeed::Max => " (not waited: max)".to_string(),
                ReplaySpeed::Times(n) if n > 1.0 => {
                    format!(" (waits {:.1} s at {speed})", seconds / n)
                }
                ReplaySpeed::Times(_) => String::new(),
            }
        ),
        _ => {}
    })
}

/// `speech-scorer replay BUNDLE`.
pub fn replay(args: ReplayArgs) -> ExitCode {
    let bundle = match read_bundle(&args.bundle) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("speech-scorer replay: {e}");
            return Exit::Other.into();
        }
    };
    if let Some(path) = &args.export_scenario {
        let written = scenario_for_record(&bundle.record)
            .to_toml_string()
            .map_err(|e| e.to_string())
            .and_then(|t| std::fs::write(path, t).map_err(|e| e.to_string()));
        match written {
            Ok(()) => eprintln!(
                "speech-scorer replay: wrote the scenario to {}",
                path.display()
            ),
            Err(e) => {
                eprintln!("speech-scorer replay: {}: {e}", path.display());
                return Exit::Other.into();
            }
        }
    }
    if bundle.record.exchanges.is_empty() {
        // Nothing was sent: the original ended locally; show how.
        eprintln!("speech-scorer replay: the run made no requests; showing its recorded outcome");
        return match &bundle.record.outcome {
            Some(o) => super::report::report_outcome(o, args.json),
            None => Exit::Other.into(),
        };
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("speech-scorer: could not start the async runtime: {e}");
            return Exit::Other.into();
        }
    };
    let scratch = match tempfile_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("speech-scorer replay: {e}");
            return Exit::Other.into();
        }
    };
    let cancel = tokio_util::sync::CancellationToken::new();
    let token = cancel.clone();
    rt.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            token.cancel();
        }
    });
    let options = ReplayOptions {
        max_wait: Duration::from_secs(args.max_wait),
        speed: args.speed,
    };
    let result = rt.block_on(replay_bundle(
        &bundle,
        &scratch,
        options,
        progress_sink(args.speed),
        cancel,
    ));
    if let Err(e) = std::fs::remove_dir_all(&scratch) {
        eprintln!(
            "speech-scorer replay: warning: could not remove {}: {e}",
            scratch.display()
        );
    }
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("speech-scorer replay: {e}");
            return Exit::Other.into();
        }
    };
    eprintln!(
        "speech-scorer replay: replayed at {} in {:.1} s (the original waited {:.0} s in all)",
        report.speed,
        report.elapsed.as_secs_f64(),
        report.original_wait_secs()
    );
    if report.matches() {
        eprintln!(
            "speech-scorer replay: matches the original: the same {} exchanges, the same waits and the same outcome",
            report.replayed_sequence.len()
        );
    } else {
        eprintln!("speech-scorer replay: the replay differs from the original run");
        if let Some(d) = report.first_difference() {
            eprintln!("  {d}");
        }
        if report.steps_left > 0 {
            eprintln!(
                "  {} recorded responses were never asked for",
                report.steps_left
            );
        }
    }
    super::report::report_outcome(&report.outcome, args.json)
}

/// A private scratch directory for the replay's audio.
fn tempfile_dir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("speech-scorer-replay-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::policy::{Step, WaitReason};
    use crate::engine::reqlog::ChosenWait;

    #[test]
    fn the_log_table_names_status_code_wait_and_request_id() {
        let ex = Exchange {
            at: chrono::Utc::now(),
            step: Step::Submit,
            method: "POST".into(),
            path: "/api/v1/speech/analyze".into(),
            status: Some(503),
            code: Some(crate::api::codes::ErrorCode::ServiceWarmingUp),
            request_id: Some("req_9_w".into()),
            run_id: None,
            attempt: 2,
            wait: Some(ChosenWait {
                seconds: 45.0,
                reason: WaitReason::WarmingUp,
            }),
            decision: "submit again".into(),
            latency_ms: 12,
            bytes_sent: 10,
            bytes_received: 182,
            body: None,
            body_truncated: false,
            retry_after: Some(45),
            error: None,
            simulated: false,
            interrupted: false,
            request_headers: Vec::new(),
            form: None,
            response_headers: Vec::new(),
        };
        let t = log_table(&[ex]);
        let row = t.lines().nth(1).expect("a row");
        for want in [
            "POST",
            "/api/v1/speech/analyze",
            "503",
            "SERVICE_WARMING_UP",
            "45.0 s",
            "12ms",
            "182",
        ] {
            assert!(row.contains(want), "{want} missing: {row}");
        }
        assert!(
            t.lines()
                .nth(2)
                .is_some_and(|l| l.contains("requestId req_9_w")),
            "{t}"
        );
    }
}
