//! A batch's progress on stderr: on a terminal, one overall bar and a line per active run
//! (indicatif's multi-progress) with the run's stage or its current wait and countdown; one
//! line per ended recording above them. Plain lines otherwise (logs, CI). Each run's state is
//! the engine's one fold ([`RunProgress`]); the words come from `guidance`.

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::progress::headline;
use crate::engine::batch::{BatchEvent, BatchState};
use crate::engine::events::JobEvent;
use crate::engine::outcome::{Outcome, OutcomeKind};
use crate::engine::policy::WaitReason;
use crate::engine::progress::RunProgress;
use crate::guidance;

/// One active run.
struct Active {
    bar: Option<ProgressBar>,
    run: RunProgress,
}

/// What ended so far, for the overall line.
#[derive(Default)]
struct Tally {
    ended: u64,
    ok: u64,
    failed: u64,
    other: u64,
}

struct Inner {
    active: HashMap<usize, Active>,
    tally: Tally,
}

/// The stderr renderer of a batch.
pub(crate) struct BatchProgress {
    multi: Option<MultiProgress>,
    overall: Option<ProgressBar>,
    names: HashMap<usize, String>,
    total: usize,
    inner: Mutex<Inner>,
}

impl BatchProgress {
    /// A renderer for `state`'s rows; on a terminal it ticks every active run's countdown.
    pub(crate) fn new(state: &BatchState) -> Arc<BatchProgress> {
        let names = state
            .rows
            .iter()
            .map(|r| {
                let name = r
                    .file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| r.file.to_string_lossy().into_owned());
                (r.row, name)
            })
            .collect();
        let total = state.rows.len();
        let (multi, overall) = if std::io::stderr().is_terminal() {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let bar = multi.add(ProgressBar::new(total as u64));
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            (Some(multi), Some(bar))
        } else {
            (None, None)
        };
        let p = Arc::new(BatchProgress {
            multi,
            overall,
            names,
            total,
            inner: Mutex::new(Inner {
                active: HashMap::new(),
                tally: Tally::default(),
            }),
        });
        if p.multi.is_some() {
            let me = Arc::clone(&p);
            std::thread::spawn(move || me.tick());
        }
        p
    }

    fn name(&self, row: usize) -> &str {
        self.names.get(&row).map_or("", String::as_str)
    }

    /// Refreshes the countdowns until the overall bar is finished.
    fn tick(&self) {
        let Some(overall) = &self.overall else {
            return;
        };
        while !overall.is_finished() {
            if let Ok(inner) = self.inner.lock() {
                for a in inner.active.values() {
                    if let (Some(bar), Some(_)) = (&a.bar, &a.run.wait) {
                        bar.set_message(headline(&a.run));
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn line(&self, text: String) {
        match &self.multi {
            Some(m) => {
                if m.println(&text).is_err() {
                    eprintln!("{text}");
                }
            }
            None => eprintln!("speech-scorer: {text}"),
        }
    }

    fn overall_message(&self, inner: &Inner) {
        if let Some(bar) = &self.overall {
            let t = &inner.tally;
            bar.set_position(t.ended);
            bar.set_message(format!(
                "ended · {} running · {} ok · {} failed · {} other",
                inner.active.len(),
                t.ok,
                t.failed,
                t.other
            ));
        }
    }

    /// Folds one batch event in.
    pub(crate) fn event(&self, e: &BatchEvent) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        match e {
            BatchEvent::Checked {
                rows,
                to_run,
                invalid,
                done_before,
            } => {
                self.line(format!(
                    "{rows} recordings: {to_run} to run, {invalid} invalid, {done_before} ended before"
                ));
            }
            BatchEvent::Started { row, resumed } => {
                let bar = self.multi.as_ref().map(|m| {
                    let bar = m.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("  {spinner} {prefix} {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.set_prefix(format!("row {row} {}", self.name(*row)));
                    bar.enable_steady_tick(Duration::from_millis(120));
                    bar
                });
                if bar.is_none() {
                    let what = if *resumed {
                        "continuing the run of an earlier attempt"
                    } else {
                        "started"
                    };
                    self.line(format!(
                        "row {row}/{} {}: {what}",
                        self.total,
                        self.name(*row)
                    ));
                }
                inner.active.insert(
                    *row,
                    Active {
                        bar,
                        run: RunProgress::default(),
                    },
                );
            }
            BatchEvent::Job { row, event } => {
                let line = {
                    let Some(a) = inner.active.get_mut(row) else {
                        return;
                    };
                    if !a.run.apply(event) {
                        return;
                    }
                    match &a.bar {
                        Some(bar) => {
                            bar.set_message(headline(&a.run));
                            None
                        }
                        None => plain_line(&a.run, event),
                    }
                };
                if let Some(l) = line {
                    self.line(format!("row {row} {}: {l}", self.name(*row)));
                }
            }
            BatchEvent::Finished {
                row,
                outcome,
                earlier,
            } => {
                if let Some(a) = inner.active.remove(row)
                    && let Some(bar) = a.bar
                {
                    bar.finish_and_clear();
                    if let Some(m) = &self.multi {
                        m.remove(&bar);
                    }
                }
                let t = &mut inner.tally;
                t.ended += 1;
                match outcome.kind {
                    OutcomeKind::Success | OutcomeKind::Partial => t.ok += 1,
                    OutcomeKind::Failed => t.failed += 1,
                    _ => t.other += 1,
                }
                let before = if *earlier { " (ended before)" } else { "" };
                self.line(format!(
                    "row {row} {}: {}{before}",
                    self.name(*row),
                    ending_words(outcome)
                ));
            }
        }
        self.overall_message(&inner);
    }

    /// Clears the bars.
    pub(crate) fn finish(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            for (_, a) in inner.active.drain() {
                if let Some(bar) = a.bar {
                    bar.finish_and_clear();
                }
            }
        }
        if let Some(bar) = &self.overall {
            bar.finish_and_clear();
        }
    }
}

/// How a recording ended, in one line.
fn ending_words(o: &Outcome) -> String {
    let scores = o
        .result
        .clone()
        .and_then(|b| serde_json::from_value::<crate::api::model::PollResponse>(b).ok())
        .and_then(|p| p.scores)
        .map(|s| s.overall());
    let mut words = o.kind.as_str().replace('_', " ");
    if let Some(s) = scores
        && let Some(score) = s.score
    {
        words.push_str(&format!(
            " — overall {score:.1}/5 {}",
            s.cefr.unwrap_or_default()
        ));
    }
    if let Some(e) = &o.error {
        words.push_str(&format!(" — {}: {}", e.code, e.message));
    }
    words
}

/// The line a log gets for a run's event, if it is worth one.
fn plain_line(run: &RunProgress, event: &JobEvent) -> Option<String> {
    match event {
        JobEvent::Accepted { run_id, status, .. } => {
            Some(format!("accepted: run {run_id}, {status}"))
        }
        JobEvent::Waiting {
            reason, seconds, ..
        } if *reason != WaitReason::NextPoll => {
            let why = guidance::wait_reason(*reason);
            let why = match run.wait.as_ref().and_then(|w| w.code.as_ref()) {
                Some(c) => format!("{why} ({c})"),
                None => why.to_string(),
            };
            Some(format!("{why}; trying again in {seconds:.1} s"))
        }
        JobEvent::CheckingForLostSubmit { external_id } => Some(format!(
            "looking for a run with externalId {external_id} before sending anything again"
        )),
        _ => None,
    }
}
