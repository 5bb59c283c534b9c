//! `speech-scorer log --all [filters]`: one log of every request across all runs, newest
//! first, a page at a time (or all matches as HAR). The search runs over the request index
//! (`store::request_index`), brought up to date first.

use std::process::ExitCode;

use serde_json::json;

use super::Exit;
use super::support_cmds::{LogArgs, configured_secret, history, write_har};
use crate::store::RequestIndex;
use crate::support::search::{LoadedHit, LogPage, LogQuery, load_hits, parse_time, search};
use crate::support::wire;

fn query(args: &LogArgs) -> Result<LogQuery, String> {
    let now = chrono::Utc::now();
    let time = |t: &Option<String>| t.as_deref().map(|t| parse_time(t, now)).transpose();
    let opt = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
    Ok(LogQuery {
        code: opt(&args.code),
        status: args.status,
        run: opt(&args.run_filter),
        external_id: opt(&args.external_id),
        since: time(&args.since)?,
        until: time(&args.until)?,
        text: opt(&args.text),
    })
}

/// The page as a table: one row per exchange, with its run.
pub fn page_table(page: &LogPage, hits: &[LoadedHit]) -> String {
    let mut out = format!(
        "{:>5}  {:<23}  {:<34}  {:>6}  {:<28}  {}\n",
        "#", "time (UTC)", "run", "status", "code", "request"
    );
    let first = (page.page - 1) * page.per_page;
    for (i, hit) in hits.iter().enumerate() {
        let ex = &hit.exchange;
        let run = ex
            .run_id
            .as_deref()
            .or(hit.run.run_id.as_deref())
            .unwrap_or(&hit.run.local_id);
        let code = match (&ex.code, &ex.error) {
            (Some(c), _) => c.to_string(),
            (None, Some(e)) => e.chars().take(28).collect(),
            _ => String::new(),
        };
        out.push_str(&format!(
            "{:>5}  {:<23}  {:<34}  {:>6}  {:<28}  {} {}\n",
            first + i + 1,
            ex.at.format("%Y-%m-%d %H:%M:%S%.3f"),
            run.chars().take(34).collect::<String>(),
            ex.status.map_or("-".to_string(), |s| s.to_string()),
            code,
            ex.method,
            ex.path
        ));
    }
    out
}

fn summary(page: &LogPage) -> String {
    let mut s = format!(
        "page {} of {} · {} matching exchanges in {} runs · newest first",
        page.page, page.pages, page.total, page.runs
    );
    if page.page < page.pages {
        s.push_str(&format!(" · --page {} for older", page.page + 1));
    }
    s
}

/// `speech-scorer log --all`.
pub fn log_all(args: &LogArgs) -> ExitCode {
    let query = match query(args) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("speech-scorer log: {e}");
            return Exit::InvalidInput.into();
        }
    };
    let (paths, _) = match history() {
        Ok(h) => h,
        Err(c) => return c,
    };
    let index = RequestIndex::new(&paths);
    // HAR exports every match unless a page was asked for.
    let (page_no, per_page) = match (args.har, args.page) {
        (true, None) => (1, usize::MAX),
        (_, p) => (p.unwrap_or(1), args.per_page),
    };
    let page = match search(&index, &query, page_no, per_page) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("speech-scorer log: {e}");
            return Exit::Other.into();
        }
    };
    if page.sync.unreadable > 0 {
        eprintln!(
            "speech-scorer log: warning: {} history files could not be read and were left out",
            page.sync.unreadable
        );
    }
    let hits = load_hits(&index, &page.hits);
    if args.har {
        let items: Vec<_> = hits.iter().map(|h| (h.run.as_ref(), &h.exchange)).collect();
        let text = crate::support::har::har(&items, configured_secret().as_deref());
        return write_har(&text, args.output.as_deref());
    }
    if args.json {
        let exchanges: Vec<_> = hits
            .iter()
            .map(|h| wire::exchange_json(&h.exchange, Some(&h.run)))
            .collect();
        let v = json!({
            "total": page.total,
            "page": page.page,
            "pages": page.pages,
            "perPage": page.per_page,
            "runs": page.runs,
            "exchanges": exchanges,
        });
        println!("{v}");
        return Exit::Success.into();
    }
    if page.total == 0 {
        println!("no exchanges match (searched {} runs)", page.runs);
    } else {
        print!("{}", page_table(&page, &hits));
    }
    eprintln!("{}", summary(&page));
    Exit::Success.into()
}
