//! `batch`: score a folder or a CSV manifest of recordings within the account's limits, with
//! results streamed to `results.jsonl` and a `summary.csv`; running the same command again
//! resumes the batch. `batch --status BATCH` shows where a batch stands.
//!
//! Exit code: 0 when every recording ended `success` or `partial`; 1 when the batch did not
//! finish (Ctrl-C, or another process holds it): run the same command again to resume;
//! otherwise the most severe per-recording code, in this order: 5 (gave up) > 4 (run failed)
//! > 3 (refused) > 2 (invalid input) > 1 (anything else).

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::engine::account::{Account, AccountLimits, BUDGET_REQUESTS_PER_MINUTE, MAX_ACTIVE_RUNS};
use crate::engine::batch::{
    BatchContext, BatchEvent, BatchRow, BatchSink, BatchState, RowStatus, batch_id, is_batch_id,
    plan_rows, result_line, run_batch,
};
use crate::engine::job::{DEFAULT_MAX_WAIT, JobOptions};
use crate::engine::outcome::{Outcome, OutcomeKind};
use crate::store::Batches;

use super::Exit;
use super::batch_progress::BatchProgress;
use super::config::{ConnArgs, Env, runtime};
use super::report::print_json;

#[derive(Debug, clap::Args)]
pub struct BatchArgs {
    /// A folder of recordings (its .mp3, .wav, .m4a, .webm, .ogg and .flac files, in name
    /// order), or a CSV manifest with a header row: file, and optionally language,
    /// externalId, metadata (a JSON object). Relative paths are read from the manifest's
    /// folder.
    #[arg(value_name = "DIR|MANIFEST.csv", required_unless_present = "status")]
    pub input: Option<PathBuf>,
    /// ISO 639-1 language of rows that do not give one (default: the settings, else `en`).
    #[arg(long)]
    pub language: Option<String>,
    /// Runs in flight at once (1–8; the account processes at most 8).
    #[arg(long, value_name = "N", default_value_t = MAX_ACTIVE_RUNS as u16,
          value_parser = clap::value_parser!(u16).range(1..=MAX_ACTIVE_RUNS as i64))]
    pub concurrency: u16,
    /// Print each recording's outcome as one JSON line on stdout (as in results.jsonl).
    #[arg(long)]
    pub json: bool,
    /// Where results.jsonl and summary.csv go (default: the folder used last time for this
    /// batch, else ./speech-scorer-batch-<id>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Show where a batch stands: its id, or the folder or manifest it was started with.
    #[arg(long, value_name = "BATCH", conflicts_with_all = ["language", "out", "batch_id"])]
    pub status: Option<String>,
    /// Name the batch yourself (letters, digits, - and _); run it again with the same id to
    /// resume. Default: made from the input's path and the service address, so the same
    /// command resumes the same batch.
    #[arg(long, value_name = "ID")]
    pub batch_id: Option<String>,
    /// Give up on a recording after this many seconds (default 3600).
    #[arg(long, value_name = "SECS")]
    pub max_wait: Option<u64>,
    /// Requests per minute this process allows itself, polls included (at most 450: the
    /// documented 500 less headroom).
    #[arg(long, value_name = "N", default_value_t = BUDGET_REQUESTS_PER_MINUTE,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(BUDGET_REQUESTS_PER_MINUTE)))]
    pub requests_per_minute: u32,
    /// Against a time-scaled simulator (`simulate --time-scale K`): the request budget's
    /// minute lasts 60/K seconds. The simulator scales its own hints, which the runs follow.
    #[arg(long, value_name = "K", hide = true)]
    pub time_scale: Option<f64>,
    #[command(flatten)]
    pub conn: ConnArgs,
}

/// `speech-scorer batch`.
pub fn batch(args: BatchArgs) -> ExitCode {
    let env = Env::load();
    if let Some(which) = &args.status {
        return status(&env, &args, which);
    }
    let Some(input) = args.input.clone() else {
        return usage("give a folder or a manifest (or --status BATCH)");
    };
    let source = match std::fs::canonicalize(&input) {
        Ok(p) => p,
        Err(e) => return usage(&format!("{}: {e}", input.display())),
    };
    let language = args
        .language
        .clone()
        .unwrap_or_else(|| env.settings.default_language.clone());
    let planned = match plan_rows(&source, &language) {
        Ok(p) => p,
        Err(e) => return usage(&e),
    };
    let client = match super::scoring::job_client(&env, &args.conn, args.json, &None) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let base_url = client.base_url().trim_end_matches('/').to_string();
    let id = match &args.batch_id {
        Some(id) if is_batch_id(id) => id.clone(),
        Some(id) => {
            return usage(&format!(
                "{id:?} cannot name a batch: use letters, digits, - and _ (at most 64)"
            ));
        }
        None => batch_id(&source, &base_url),
    };
    let store = env.paths.as_ref().map(Batches::new);
    if store.is_none() {
        eprintln!("speech-scorer: warning: no data folder; this batch cannot be resumed");
    }
    let mut state = match store.as_ref().map(|s| s.load(&id)) {
        Some(Ok(Some(s))) => s,
        Some(Ok(None)) | None => BatchState::new(&id, Some(source.clone()), Some(base_url)),
        Some(Err(e)) => {
            eprintln!("speech-scorer: {e}");
            return Exit::Other.into();
        }
    };
    state.reconcile(planned);
    let out_dir = match out_dir(args.out.as_deref(), state.out_dir.as_deref(), &id) {
        Ok(d) => d,
        Err(e) => return usage(&e),
    };
    state.out_dir = Some(out_dir.clone());
    let results = match Results::create(&out_dir, &state, args.json) {
        Ok(r) => Arc::new(r),
        Err(e) => {
            eprintln!("speech-scorer: {}: {e}", out_dir.display());
            return Exit::Other.into();
        }
    };
    let limits = AccountLimits::default()
        .with_max_active(usize::from(args.concurrency))
        .with_requests_per_window(args.requests_per_minute);
    let limits = match args.time_scale {
        Some(k) => limits.time_scaled(k),
        None => limits,
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let progress = BatchProgress::new(&state);
    let sink: BatchSink = {
        let (progress, results) = (Arc::clone(&progress), Arc::clone(&results));
        Arc::new(move |e: BatchEvent| {
            if let BatchEvent::Finished { row, outcome, .. } = &e {
                results.write(*row, outcome);
            }
            progress.event(&e);
        })
    };
    let cancel = tokio_util::sync::CancellationToken::new();
    let ctx = BatchContext {
        client,
        account: Account::new(limits),
        options: JobOptions::with_max_wait(
            args.max_wait.map_or(DEFAULT_MAX_WAIT, Duration::from_secs),
        ),
        records: env.history(),
        store: store.map(|s| Arc::new(s) as crate::engine::batch::Batches),
        // As `score`: a file the app would convert for upload is converted at its submit.
        work_dir: Some(env.upload_work_dir()),
        sink,
        cancel: cancel.clone(),
        pause: None,
    };
    {
        let cancel = cancel.clone();
        rt.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.cancel();
            }
        });
    }
    let ran = rt.block_on(run_batch(state, ctx));
    progress.finish();
    let state = match ran {
        Ok(s) => s,
        Err(e) => {
            eprintln!("speech-scorer: {e}");
            return Exit::Other.into();
        }
    };
    if let Err(e) = write_summary(&out_dir.join("summary.csv"), &state) {
        eprintln!("speech-scorer: summary.csv: {e}");
    }
    report(&state, &out_dir, cancel.is_cancelled());
    batch_exit(&state).into()
}

fn usage(message: &str) -> ExitCode {
    eprintln!("speech-scorer batch: {message}");
    Exit::InvalidInput.into()
}

/// The exit code of a batch (see the module docs).
pub fn batch_exit(state: &BatchState) -> Exit {
    if !state.is_complete() {
        return Exit::Other;
    }
    let rank = |e: Exit| match e {
        Exit::Success => 0,
        Exit::Other => 1,
        Exit::InvalidInput => 2,
        Exit::Refused => 3,
        Exit::RunFailed => 4,
        Exit::GaveUp => 5,
    };
    state
        .rows
        .iter()
        .filter_map(|r| r.ending.as_ref())
        .map(|e| Exit::from(e.outcome))
        .max_by_key(|e| rank(*e))
        .unwrap_or(Exit::Success)
}

/// Where results go: `--out`, else where they went last time, else
/// `./speech-scorer-batch-<id>`; always absolute (a rerun from elsewhere finds it).
fn out_dir(given: Option<&Path>, before: Option<&Path>, id: &str) -> Result<PathBuf, String> {
    let dir = match (given, before) {
        (Some(d), _) => d.to_path_buf(),
        (None, Some(d)) => return Ok(d.to_path_buf()),
        (None, None) => PathBuf::from(format!("speech-scorer-batch-{id}")),
    };
    if dir.is_absolute() {
        return Ok(dir);
    }
    std::env::current_dir()
        .map(|cwd| cwd.join(dir))
        .map_err(|e| format!("the current folder: {e}"))
}

/// Opens a file for the user's results, owner-only (results hold candidates' scores).
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// `results.jsonl`, written whole on every run of the batch: the rows that ended before,
/// then each row as it ends. With `--json` each line also goes to stdout.
struct Results {
    file: Mutex<std::io::BufWriter<std::fs::File>>,
    rows: HashMap<usize, BatchRow>,
    json: bool,
}

impl Results {
    fn create(dir: &Path, state: &BatchState, json: bool) -> std::io::Result<Results> {
        std::fs::create_dir_all(dir)?;
        let file = create_private(&dir.join("results.jsonl"))?;
        Ok(Results {
            file: Mutex::new(std::io::BufWriter::new(file)),
            rows: state.rows.iter().map(|r| (r.row, r.clone())).collect(),
            json,
        })
    }

    fn write(&self, row: usize, outcome: &Outcome) {
        let Some(r) = self.rows.get(&row) else {
            return;
        };
        let line = result_line(r, outcome);
        if self.json {
            print_json(&line);
        }
        if let Ok(mut f) = self.file.lock() {
            let written = writeln!(f, "{line}").and_then(|()| f.flush());
            if let Err(e) = written {
                eprintln!("speech-scorer: results.jsonl: {e}");
            }
        }
    }
}

/// `summary.csv`: one line per recording, in row order.
fn write_summary(path: &Path, state: &BatchState) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(create_private(path)?);
    w.write_record([
        "row",
        "file",
        "externalId",
        "outcome",
        "exitCode",
        "runId",
        "localId",
        "errorCode",
        "message",
        "overall",
        "cefr",
    ])?;
    for r in &state.rows {
        let e = r.ending.as_ref();
        let (outcome, exit) = match (r.status, e) {
            (RowStatus::Done, Some(e)) => (
                e.outcome.as_str(),
                (Exit::from(e.outcome) as u8).to_string(),
            ),
            (RowStatus::Running, _) => ("running", String::new()),
            _ => ("pending", String::new()),
        };
        w.write_record([
            r.row.to_string(),
            r.file.to_string_lossy().into_owned(),
            r.external_id.clone(),
            outcome.to_string(),
            exit,
            r.run_id.clone().unwrap_or_default(),
            r.local_id.clone().unwrap_or_default(),
            e.and_then(|e| e.code.clone()).unwrap_or_default(),
            e.and_then(|e| e.message.clone()).unwrap_or_default(),
            e.and_then(|e| e.overall)
                .map(|s| format!("{s:.1}"))
                .unwrap_or_default(),
            e.and_then(|e| e.cefr.clone()).unwrap_or_default(),
        ])?;
    }
    w.flush()
}

/// The counts in words: "13 success, 1 partial, 3 failed".
fn counts_line(state: &BatchState) -> String {
    let c = state.counts();
    let parts = [
        (c.success, "success"),
        (c.partial, "partial"),
        (c.failed, "failed"),
        (c.rejected, "refused"),
        (c.gave_up, "gave up"),
        (c.invalid_input, "invalid input"),
        (c.internal_error, "internal error"),
        (c.running, "running"),
        (c.pending, "not finished"),
    ];
    let words: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, w)| format!("{n} {w}"))
        .collect();
    format!("{} recordings: {}", c.rows, words.join(", "))
}

/// The closing lines on stderr.
fn report(state: &BatchState, out_dir: &Path, interrupted: bool) {
    eprintln!("speech-scorer: batch {}: {}", state.id, counts_line(state));
    eprintln!(
        "speech-scorer: results in {} and {}",
        out_dir.join("results.jsonl").display(),
        out_dir.join("summary.csv").display()
    );
    if !state.is_complete() {
        let why = if interrupted {
            "Interrupted"
        } else {
            "Not finished"
        };
        eprintln!(
            "speech-scorer: {why}; runs already submitted continue on the service. Run the same command again to resume (nothing is submitted twice)."
        );
    }
}

/// `batch --status BATCH`.
fn status(env: &Env, args: &BatchArgs, which: &str) -> ExitCode {
    let Some(paths) = &env.paths else {
        return usage("no data folder: no batches are kept");
    };
    let id = if Path::new(which).exists() {
        let Ok(source) = std::fs::canonicalize(which) else {
            return usage(&format!("{which}: cannot be read"));
        };
        let base_url = match env.service(&args.conn) {
            Ok(service) => service.base_url,
            Err(e) => return usage(&e),
        };
        batch_id(&source, base_url.trim_end_matches('/'))
    } else {
        which.to_string()
    };
    let state = match Batches::new(paths).load(&id) {
        Ok(Some(s)) => s,
        Ok(None) => return usage(&format!("no batch {id}")),
        Err(e) => {
            eprintln!("speech-scorer: {e}");
            return Exit::Other.into();
        }
    };
    if args.json {
        print_json(&serde_json::to_value(&state).unwrap_or_default());
        return Exit::Success.into();
    }
    let mut text = String::new();
    macro_rules! say {
        ($($arg:tt)*) => {{
            text.push_str(&format!($($arg)*));
            text.push('\n');
        }};
    }
    say!("Batch {}", state.id);
    if let Some(s) = &state.source {
        say!("  from     {}", s.display());
    }
    if let Some(u) = &state.base_url {
        say!("  service  {u}");
    }
    if let Some(d) = &state.out_dir {
        say!("  results  {}", d.display());
    }
    say!(
        "  updated  {}",
        state.updated.format("%Y-%m-%d %H:%M:%S UTC")
    );
    say!("  {}", counts_line(&state));
    if state.is_complete() {
        say!("  complete (exit code {})", batch_exit(&state) as u8);
    } else {
        say!("  not finished: run the batch command again to resume");
    }
    say!("");
    say!(
        "{:>5}  {:<14}  {:<30}  {:<30}  code",
        "row",
        "status",
        "file",
        "run"
    );
    for r in &state.rows {
        let status = match (r.status, &r.ending) {
            (RowStatus::Done, Some(e)) => e.outcome.as_str().to_string(),
            (RowStatus::Running, _) => "running".into(),
            (_, Some(e)) if e.outcome == OutcomeKind::Cancelled => "stopped".into(),
            _ => "pending".into(),
        };
        let name = r
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        say!(
            "{:>5}  {:<14}  {:<30}  {:<30}  {}",
            r.row,
            status,
            name,
            r.run_id.as_deref().unwrap_or("-"),
            r.ending
                .as_ref()
                .and_then(|e| e.code.as_deref())
                .unwrap_or("")
        );
    }
    // A reader that went away (`| head`) is no error worth a word.
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        return Exit::Other.into();
    }
    Exit::Success.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::batch::{RowEnding, RowSpec};

    #[test]
    fn the_exit_code_is_the_most_severe_and_an_unfinished_batch_is_1() {
        let mut state = BatchState::new("b", None, None);
        state.reconcile(
            (0..3)
                .map(|i| RowSpec {
                    file: PathBuf::from(format!("{i}.wav")),
                    language: "en".into(),
                    external_id: None,
                    metadata: None,
                })
                .collect(),
        );
        let end = |kind| {
            Some(RowEnding {
                outcome: kind,
                code: None,
                message: None,
                overall: None,
                cefr: None,
                at: chrono::Utc::now(),
            })
        };
        let set = |state: &mut BatchState, kinds: [OutcomeKind; 3]| {
            for (r, k) in state.rows.iter_mut().zip(kinds) {
                r.status = RowStatus::Done;
                r.ending = end(k);
            }
        };
        use OutcomeKind::*;
        for (kinds, code) in [
            ([Success, Partial, Success], 0),
            ([Success, InvalidInput, Success], 2),
            ([Rejected, InvalidInput, Success], 3),
            ([Rejected, Failed, InvalidInput], 4),
            ([Failed, GaveUp, InvalidInput], 5),
            ([InternalError, Success, Success], 1),
            ([InternalError, InvalidInput, Success], 2),
        ] {
            set(&mut state, kinds);
            assert_eq!(batch_exit(&state) as u8, code, "{kinds:?}");
        }
        // A stopped row: not finished, whatever the others say.
        set(&mut state, [GaveUp, Failed, Success]);
        state.rows[2].status = RowStatus::Pending;
        state.rows[2].ending = end(Cancelled);
        assert_eq!(batch_exit(&state) as u8, 1);
    }
}
