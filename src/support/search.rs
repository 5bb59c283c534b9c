//! One log of every request across all runs (issue 15.2): filter by error code, HTTP status,
//! run id, externalId, time range and free text; newest first; a page at a time. Searches
//! run over the [`RequestIndex`] (brought up to date first), so thousands of runs stay fast;
//! only the runs on the page shown are read in full.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};

use super::SupportError;
use crate::engine::reqlog::Exchange;
use crate::store::request_index::{IndexedExchange, IndexedRun, SyncStats};
use crate::store::{RequestIndex, RunRecord};

/// Exchanges per page unless asked otherwise.
pub const PAGE_SIZE: usize = 50;

/// Which HTTP statuses match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// Exactly this status.
    Exact(u16),
    /// A class: `5xx` is `Class(5)`.
    Class(u16),
    /// No response arrived.
    NoReply,
}

impl StatusFilter {
    /// True when `status` matches.
    pub fn matches(self, status: Option<u16>) -> bool {
        match (self, status) {
            (StatusFilter::Exact(want), Some(s)) => s == want,
            (StatusFilter::Class(c), Some(s)) => s / 100 == c,
            (StatusFilter::NoReply, None) => true,
            _ => false,
        }
    }
}

impl std::str::FromStr for StatusFilter {
    type Err = String;

    /// `503`, `5xx`, or `none` (no reply).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        if matches!(t.as_str(), "none" | "no-reply" | "-") {
            return Ok(StatusFilter::NoReply);
        }
        if let Some(c) = t.strip_suffix("xx")
            && let Ok(c) = c.parse::<u16>()
            && (1..=5).contains(&c)
        {
            return Ok(StatusFilter::Class(c));
        }
        match t.parse::<u16>() {
            Ok(n) if (100..=599).contains(&n) => Ok(StatusFilter::Exact(n)),
            _ => Err(format!(
                "{s:?} is not a status: use e.g. 503, 5xx or none (no reply)"
            )),
        }
    }
}

/// Reads a time for `--since`/`--until`: RFC 3339 (`2026-05-01T10:00:00Z`), a date
/// (`2026-05-01`, midnight UTC), or an age (`90s`, `30m`, `2h`, `7d`: that long before `now`).
pub fn parse_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        && let Some(midnight) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(Utc.from_utc_datetime(&midnight));
    }
    let unit_secs = match t.chars().last() {
        Some('s') => Some(1),
        Some('m') => Some(60),
        Some('h') => Some(3600),
        Some('d') => Some(86_400),
        Some('w') => Some(7 * 86_400),
        _ => None,
    };
    if let Some(unit) = unit_secs
        && let Ok(n) = t[..t.len() - 1].trim().parse::<u32>()
    {
        return Ok(now - chrono::Duration::seconds(i64::from(n) * unit));
    }
    Err(format!(
        "{text:?} is not a time: use 2026-05-01, 2026-05-01T10:00:00Z, or an age like 2h or 7d"
    ))
}

/// What to look for. Every filter given must match; none given matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogQuery {
    /// The error code (`SERVICE_WARMING_UP`), case-insensitive.
    pub code: Option<String>,
    pub status: Option<StatusFilter>,
    /// A service run id (`req_…`) or a local history id.
    pub run: Option<String>,
    /// The run's externalId, exactly.
    pub external_id: Option<String>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
    /// Free text, case-insensitive, in the method and path, status, code, requestId, run id,
    /// externalId, the engine's decision, the error and the start of the body.
    pub text: Option<String>,
}

impl LogQuery {
    /// True when `ex` of `run` matches.
    pub fn matches(&self, run: &IndexedRun, ex: &IndexedExchange) -> bool {
        if let Some(c) = &self.code
            && !ex
                .code
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(c.trim()))
        {
            return false;
        }
        if let Some(s) = self.status
            && !s.matches(ex.status)
        {
            return false;
        }
        if let Some(r) = &self.run {
            let r = r.trim();
            let hit = run.local_id == r
                || run.run_id.as_deref() == Some(r)
                || ex.run_id.as_deref() == Some(r);
            if !hit {
                return false;
            }
        }
        if let Some(e) = &self.external_id
            && run.external_id.as_deref() != Some(e.trim())
        {
            return false;
        }
        if self.since.is_some_and(|t| ex.at < t) || self.until.is_some_and(|t| ex.at >= t) {
            return false;
        }
        if let Some(text) = &self.text {
            let needle = text.trim().to_lowercase();
            if !needle.is_empty() && !haystack_has(run, ex, &needle) {
                return false;
            }
        }
        true
    }
}

fn haystack_has(run: &IndexedRun, ex: &IndexedExchange, needle: &str) -> bool {
    let has = |s: &str| s.to_lowercase().contains(needle);
    ex.text.contains(needle)
        || has(&format!("{} {}", ex.method, ex.path))
        || ex.status.is_some_and(|s| s.to_string().contains(needle))
        || ex.code.as_deref().is_some_and(has)
        || ex.request_id.as_deref().is_some_and(has)
        || ex.run_id.as_deref().is_some_and(has)
        || run.run_id.as_deref().is_some_and(has)
        || run.external_id.as_deref().is_some_and(has)
        || has(&run.local_id)
}

/// One matching exchange, as the index knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LogHit {
    /// The run it belongs to.
    pub run: Arc<IndexedRun>,
    /// The exchange's position in that run's log.
    pub index: usize,
    /// When it happened.
    pub at: DateTime<Utc>,
}

impl LogHit {
    /// What the index knows of the exchange.
    pub fn exchange(&self) -> Option<&IndexedExchange> {
        self.run.exchanges.iter().find(|e| e.index == self.index)
    }
}

/// One page of matches, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct LogPage {
    pub hits: Vec<LogHit>,
    /// Matching exchanges in all.
    pub total: usize,
    /// This page (1-based; 1 when there are none).
    pub page: usize,
    /// Pages in all (at least 1).
    pub pages: usize,
    pub per_page: usize,
    /// Runs searched.
    pub runs: usize,
    /// What bringing the index up to date did.
    pub sync: SyncStats,
}

/// Every exchange of `runs` that matches, newest first.
pub fn matching(runs: &[Arc<IndexedRun>], query: &LogQuery) -> Vec<LogHit> {
    let mut hits: Vec<LogHit> = runs
        .iter()
        .flat_map(|run| {
            run.exchanges
                .iter()
                .filter(|ex| query.matches(run, ex))
                .map(|ex| LogHit {
                    run: Arc::clone(run),
                    index: ex.index,
                    at: ex.at,
                })
        })
        .collect();
    // Newest first; the same instant in the order of the run's log, later first.
    hits.sort_by(|a, b| {
        b.at.cmp(&a.at)
            .then_with(|| b.run.local_id.cmp(&a.run.local_id))
            .then_with(|| b.index.cmp(&a.index))
    });
    hits
}

/// Brings the index up to date and returns page `page` (1-based) of the matches
/// (`per_page` `usize::MAX`: all of them on one page).
pub fn search(
    index: &RequestIndex,
    query: &LogQuery,
    page: usize,
    per_page: usize,
) -> Result<LogPage, SupportError> {
    let (runs, sync) = index.sync()?;
    let all = matching(&runs, query);
    let per_page = per_page.max(1);
    let pages = all.len().div_ceil(per_page).max(1);
    let page = page.clamp(1, pages);
    let hits = all
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .cloned()
        .collect();
    Ok(LogPage {
        hits,
        total: all.len(),
        page,
        pages,
        per_page,
        runs: runs.len(),
        sync,
    })
}

/// A matching exchange read in full, with its run (the run's exchanges left out).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedHit {
    /// The run, without its exchanges (for curl, HAR and the request view).
    pub run: Arc<RunRecord>,
    pub exchange: Exchange,
}

/// Reads the exchanges of `hits` from history (each run once). A run that has gone or
/// changed since the search is skipped.
pub fn load_hits(index: &RequestIndex, hits: &[LogHit]) -> Vec<LoadedHit> {
    // Each run read once: its record (exchanges taken out) and its exchanges.
    type Read = Option<(Arc<RunRecord>, Vec<Exchange>)>;
    let mut runs: std::collections::HashMap<String, Read> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(hits.len());
    for hit in hits {
        let entry = runs.entry(hit.run.local_id.clone()).or_insert_with(|| {
            match index.history().load(&hit.run.local_id) {
                Ok(mut r) => {
                    let exchanges = std::mem::take(&mut r.exchanges);
                    Some((Arc::new(r), exchanges))
                }
                Err(e) => {
                    tracing::debug!("search: {} could not be read: {e}", hit.run.local_id);
                    None
                }
            }
        });
        if let Some((run, exchanges)) = entry
            && let Some(ex) = exchanges.get(hit.index)
        {
            out.push(LoadedHit {
                run: Arc::clone(run),
                exchange: ex.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_times_parse() {
        assert_eq!("503".parse(), Ok(StatusFilter::Exact(503)));
        assert_eq!("5XX".parse(), Ok(StatusFilter::Class(5)));
        assert_eq!("none".parse(), Ok(StatusFilter::NoReply));
        assert!("6xx".parse::<StatusFilter>().is_err());
        assert!("abc".parse::<StatusFilter>().is_err());
        assert!(StatusFilter::Class(4).matches(Some(429)));
        assert!(!StatusFilter::Class(4).matches(None));
        let now = Utc
            .with_ymd_and_hms(2026, 5, 2, 12, 0, 0)
            .single()
            .expect("time");
        assert_eq!(
            parse_time("2026-05-01", now),
            Ok(Utc
                .with_ymd_and_hms(2026, 5, 1, 0, 0, 0)
                .single()
                .expect("t"))
        );
        assert_eq!(
            parse_time("2026-05-01T10:00:00+02:00", now),
            Ok(Utc
                .with_ymd_and_hms(2026, 5, 1, 8, 0, 0)
                .single()
                .expect("t"))
        );
        assert_eq!(parse_time("2h", now), Ok(now - chrono::Duration::hours(2)));
        assert_eq!(parse_time("7d", now), Ok(now - chrono::Duration::days(7)));
        assert!(parse_time("yesterday", now).is_err());
    }
}
