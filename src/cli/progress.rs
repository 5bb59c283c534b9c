//! Progress on stderr: the engine's one fold ([`RunProgress`]) rendered as a spinner with a
//! live countdown on a terminal, or as plain lines otherwise (logs, CI). The words come from
//! `guidance`; this file only decides when a line is worth printing.

use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::engine::events::{EventSink, JobEvent};
use crate::engine::policy::WaitReason;
use crate::engine::progress::{RunProgress, Stage};
use crate::guidance;

/// What the plain renderer printed last, so a line is printed only when it says something new.
#[derive(Default)]
struct Printed {
    upload_quarter: Option<u64>,
}

/// The stderr renderer of one job.
pub(crate) struct Progress {
    bar: Option<indicatif::ProgressBar>,
    run: Mutex<RunProgress>,
    printed: Mutex<Printed>,
}

impl Progress {
    /// A renderer; on a terminal it ticks a spinner whose message counts down the current wait.
    pub(crate) fn new() -> Arc<Progress> {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        let p = Arc::new(Progress {
            bar,
            run: Mutex::new(RunProgress::default()),
            printed: Mutex::new(Printed::default()),
        });
        if p.bar.is_some() {
            let me = Arc::clone(&p);
            std::thread::spawn(move || me.tick());
        }
        p
    }

    /// Refreshes the spinner's countdown until the bar is finished.
    fn tick(&self) {
        let Some(bar) = &self.bar else {
            return;
        };
        while !bar.is_finished() {
            if let Ok(run) = self.run.lock()
                && run.wait.is_some()
            {
                bar.set_message(headline(&run));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// True when any answer came from the local simulator.
    pub(crate) fn simulated(&self) -> bool {
        self.run.lock().map(|r| r.simulated).unwrap_or(false)
    }

    fn event(&self, event: &JobEvent) {
        let Ok(mut run) = self.run.lock() else {
            return;
        };
        if !run.apply(event) {
            return;
        }
        match &self.bar {
            Some(bar) => {
                if matches!(event, JobEvent::Finished(_)) {
                    bar.finish_and_clear();
                } else {
                    bar.set_message(headline(&run));
                }
            }
            None => {
                if let Some(line) = self.plain_line(&run, event) {
                    eprintln!("speech-scorer: {line}");
                }
            }
        }
    }

    /// The line a log gets for an event, if it is worth one.
    fn plain_line(&self, run: &RunProgress, event: &JobEvent) -> Option<String> {
        match event {
            JobEvent::Uploading { sent, total } => {
                let pct = if *total == 0 { 100 } else { sent * 100 / total };
                let quarter = pct / 25;
                let mut printed = self.printed.lock().ok()?;
                if printed.upload_quarter == Some(quarter) {
                    return None;
                }
                printed.upload_quarter = Some(quarter);
                Some(format!("uploading {pct}% ({sent}/{total} bytes)"))
            }
            JobEvent::Accepted {
                run_id,
                external_id,
                status,
                ..
            } => Some(format!(
                "accepted: run {run_id} (externalId {external_id}), {status}"
            )),
            JobEvent::Waiting {
                reason, seconds, ..
            } => Some(match reason {
                WaitReason::NextPoll => format!("next status check in {seconds:.1} s"),
                _ => format!("{}; trying again in {seconds:.1} s", wait_words(run)),
            }),
            JobEvent::Retrying { attempt } => Some(format!("trying again (attempt {attempt})")),
            JobEvent::CheckingForLostSubmit { external_id } => Some(format!(
                "the upload's answer was lost; looking for a run with externalId {external_id} before sending again"
            )),
            JobEvent::Converted { description } => {
                Some(guidance::converted_for_upload(description))
            }
            JobEvent::Exchange(_) | JobEvent::Finished(_) => None,
            JobEvent::Validating | JobEvent::Queued { .. } | JobEvent::Processing => {
                Some(guidance::stage_headline(&run.stage))
            }
        }
    }

    /// The events sink that feeds this renderer.
    pub(crate) fn sink(self: &Arc<Self>) -> EventSink {
        let me = Arc::clone(self);
        Arc::new(move |e| me.event(&e))
    }
}

/// Why the run waits, with the code that caused it.
fn wait_words(run: &RunProgress) -> String {
    match &run.wait {
        Some(w) => match &w.code {
            Some(c) => format!("{} ({c})", guidance::wait_reason(w.reason)),
            None => guidance::wait_reason(w.reason).to_string(),
        },
        None => String::new(),
    }
}

/// The spinner's message (and a batch row's): the wait with its countdown, else where the
/// run is.
pub(super) fn headline(run: &RunProgress) -> String {
    if let Some(w) = &run.wait {
        let left = w.seconds_left(SystemTime::now());
        return match guidance::wait_headline(w.reason, left) {
            Some(h) => h,
            None => format!("{} — {left} s", guidance::stage_headline(&run.stage)),
        };
    }
    match run.stage {
        Stage::Finished => String::new(),
        _ => guidance::stage_headline(&run.stage),
    }
}
