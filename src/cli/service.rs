//! `explain`, `credits`, `health` and `runs`: one request (or none) and its answer.

use std::process::ExitCode;

use crate::api::client::{ApiClient, RunsFilter};
use crate::guidance;

use super::Exit;
use super::config::{ConnArgs, Env, runtime};
use super::report::{print_json, report_api_error};

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

/// `speech-scorer explain CODE|FILE|-`.
pub fn explain(args: ExplainArgs) -> ExitCode {
    let text = if args.input == "-" {
        match crate::capped::read_text(std::io::stdin().lock(), EXPLAIN_INPUT_CAP) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("speech-scorer explain: stdin: {e}{}", paste_hint(&e));
                return Exit::InvalidInput.into();
            }
        }
    } else if std::path::Path::new(&args.input).is_file() {
        match crate::capped::read_file(std::path::Path::new(&args.input), EXPLAIN_INPUT_CAP) {
            Ok(s) => s,
            Err(e) => {
                eprintln!(
                    "speech-scorer explain: {}: {e}{}",
                    args.input,
                    paste_hint(&e)
                );
                return Exit::InvalidInput.into();
            }
        }
    } else {
        args.input.clone()
    };
    let e = crate::support::explain::explain(&text);
    let g = &e.guidance;
    if args.json {
        print_json(&serde_json::to_value(g).unwrap_or_default());
        return Exit::Success.into();
    }
    match &g.code {
        Some(code) => println!("{code}: {}", g.title),
        None => println!("{}", g.title),
    }
    println!("  {}", g.body);
    if !matches!(g.action, guidance::Action::None) {
        println!("  What to do: {}", g.action.instruction());
    }
    // The technical side for support staff: status, retryable, what the app does, the guide.
    if e.input != crate::support::explain::InputKind::Unrecognised {
        for line in e.technical_lines() {
            println!("  {line}");
        }
    }
    Exit::Success.into()
}

/// `explain` reads at most this much (an envelope or poll body is a few KB).
pub const EXPLAIN_INPUT_CAP: u64 = 1024 * 1024;

/// After a too-large or unreadable input: what to give `explain` instead.
fn paste_hint(e: &std::io::Error) -> &'static str {
    if e.kind() == std::io::ErrorKind::InvalidData {
        "; paste only the error response"
    } else {
        ""
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
    // Where the key came from: never a silent fallback (issue 14).
    if let Ok(paths) = crate::store::Paths::from_env() {
        println!("{}", crate::store::describe_key_location(&paths));
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
    fn a_too_large_input_says_what_to_paste_instead() {
        let big = vec![b'a'; 2048];
        let e = crate::capped::read_text(&big[..], 1024).expect_err("over the cap");
        assert_eq!(
            format!("{e}{}", paste_hint(&e)),
            "larger than 1 KB; paste only the error response"
        );
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(paste_hint(&missing), "");
    }
}
