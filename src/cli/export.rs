//! `export`: the history as CSV or JSON Lines (one row per run), or one result as a one-page
//! HTML report. The same `store::export` functions the desktop app's buttons call, so a file
//! from either reads the same.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::store::attempts::{Attempt, GroupBy};
use crate::store::export::{history_csv, history_jsonl, report_for_run, write_export};
use crate::store::{History, Paths};

use super::Exit;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Every run, one row each (RFC 4180, header row).
    Csv,
    /// Every run, one JSON object per line.
    Jsonl,
    /// One result as a self-contained HTML page that prints on one page.
    Report,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// csv or jsonl (the whole history), or report (one run).
    #[arg(long, value_enum)]
    pub format: Format,
    /// For a report: the run id (req_…) or the local history id (default: the newest scored
    /// run).
    #[arg(long, value_name = "RUN")]
    pub run: Option<String>,
    /// Write here instead of stdout (owner-only: it holds candidate data).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// For a report's "compared with the last attempt": attempts whose externalId starts
    /// with this are one person's (default: every attempt in the same language).
    #[arg(long, value_name = "PREFIX", conflicts_with = "metadata_key")]
    pub external_id_prefix: Option<String>,
    /// For a report's comparison: attempts with the same value of this metadata key are one
    /// person's.
    #[arg(long, value_name = "KEY")]
    pub metadata_key: Option<String>,
}

/// Runs `speech-scorer export`.
pub fn export(args: ExportArgs) -> ExitCode {
    let fail_as = |exit: Exit, message: String| -> ExitCode {
        eprintln!("speech-scorer: {message}");
        exit.into()
    };
    let fail = |message: String| fail_as(Exit::Other, message);
    let paths = match Paths::from_env() {
        Ok(p) => p,
        Err(e) => return fail(e.to_string()),
    };
    let (records, unreadable) = match History::new(&paths).list() {
        Ok(listed) => listed,
        Err(e) => return fail(format!("the history could not be read: {e}")),
    };
    if !unreadable.is_empty() {
        eprintln!(
            "speech-scorer: warning: {} history file(s) could not be read and are left out",
            unreadable.len()
        );
    }
    let text = match args.format {
        Format::Csv | Format::Jsonl => {
            if args.run.is_some() {
                return fail_as(
                    Exit::InvalidInput,
                    "--run goes with --format report (csv and jsonl are the whole history)"
                        .to_string(),
                );
            }
            let attempts: Vec<Attempt> = records.iter().map(Attempt::from_record).collect();
            if args.format == Format::Csv {
                history_csv(&attempts)
            } else {
                history_jsonl(&attempts)
            }
        }
        Format::Report => {
            let by = match (&args.external_id_prefix, &args.metadata_key) {
                (Some(p), _) => GroupBy::ExternalIdPrefix(p.clone()),
                (None, Some(k)) => GroupBy::MetadataKey(k.clone()),
                (None, None) => GroupBy::Language,
            };
            match report_for_run(&records, args.run.as_deref(), &by, chrono::Utc::now()) {
                Ok(html) => html,
                // A run named that the history does not have is the caller's input.
                Err(e) if args.run.is_some() => return fail_as(Exit::InvalidInput, e),
                Err(e) => return fail(e),
            }
        }
    };
    match &args.output {
        Some(path) => match write_export(path, &text) {
            Ok(()) => {
                eprintln!("speech-scorer: wrote {}", path.display());
                Exit::Success.into()
            }
            Err(e) => fail(format!("could not write the export: {e}")),
        },
        None => {
            let mut out = std::io::stdout().lock();
            // A report on a terminal is read, not saved: its text, and how to get the page.
            let shown = if args.format == Format::Report && out.is_terminal() {
                format!(
                    "{}\n\n{}\n",
                    crate::store::export::html_text(&text),
                    crate::guidance::REPORT_ON_TERMINAL
                )
            } else {
                text
            };
            match out.write_all(shown.as_bytes()).and_then(|()| out.flush()) {
                Ok(()) => Exit::Success.into(),
                // The reader went away (`| head`): nothing more to say.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Success.into(),
                Err(e) => fail(format!("could not write to stdout: {e}")),
            }
        }
    }
}
