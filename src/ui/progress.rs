//! The progress screen: a run in flight, as told by the engine's [`JobEvent`]s. The engine
//! owns every timer; this screen only counts down to the `until` it was given.

use std::time::{Duration, Instant, SystemTime};

use egui::{RichText, Ui};

use crate::engine::progress::RunProgress;
use crate::engine::{Exchange, JobEvent, WaitReason};
use crate::ui::app::{App, Command};

pub use crate::engine::progress::{Stage, Wait};

/// Everything the progress screen shows: the engine's one fold of the run's events (the CLI
/// renders the same [`RunProgress`]), plus the file name, the request log and the Cancel state.
#[derive(Debug, Clone)]
pub struct RunView {
    /// File being scored (for the heading).
    pub file_name: String,
    /// Where the run is.
    pub progress: RunProgress,
    /// Every HTTP exchange so far, for the request log.
    pub exchanges: Vec<Exchange>,
    /// When the person pressed Submit.
    pub started: Instant,
    /// True after Cancel was pressed, until the job confirms.
    pub cancelling: bool,
}

impl std::ops::Deref for RunView {
    type Target = RunProgress;

    fn deref(&self) -> &RunProgress {
        &self.progress
    }
}

impl RunView {
    /// A fresh view for a job that is starting.
    pub fn new(file_name: String) -> RunView {
        RunView {
            file_name,
            progress: RunProgress::default(),
            exchanges: Vec::new(),
            started: Instant::now(),
            cancelling: false,
        }
    }

    /// Folds one event in.
    pub fn apply(&mut self, event: &JobEvent) {
        self.progress.apply(event);
        if let JobEvent::Exchange(x) = event {
            self.exchanges.push(x.clone());
        }
    }

    /// The main line of the screen: a wait a person must know about, else the stage.
    pub fn headline(&self, now: SystemTime) -> String {
        if let Some(w) = &self.progress.wait
            && let Some(h) = crate::guidance::wait_headline(w.reason, w.seconds_left(now))
        {
            return h;
        }
        crate::guidance::stage_headline(&self.progress.stage)
    }
}

/// `sent / total` as a whole percent (0 when the total is unknown).
pub fn percent(sent: u64, total: u64) -> u64 {
    (sent.min(total).saturating_mul(100))
        .checked_div(total)
        .unwrap_or(0)
}

/// Draws the progress of the current run (scrolls when the window is small).
pub fn progress_ui(ui: &mut Ui, app: &App, cmds: &mut Vec<Command>) {
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| run_progress_ui(ui, app, cmds));
}

fn run_progress_ui(ui: &mut Ui, app: &App, cmds: &mut Vec<Command>) {
    let Some(run) = &app.run else {
        ui.heading("Progress");
        ui.label("No run in progress.");
        return;
    };
    let now = SystemTime::now();
    ui.heading(format!("Scoring {}", run.file_name));
    ui.add_space(10.0);
    ui.horizontal_wrapped(|ui| {
        if run.stage != Stage::Finished {
            ui.spinner();
        }
        ui.label(RichText::new(run.headline(now)).size(20.0).strong());
    });
    ui.add_space(6.0);
    // While a wait is being sat out, its countdown is the news; the finished upload bar is not.
    let waiting = run
        .wait
        .as_ref()
        .is_some_and(|w| w.reason != WaitReason::NextPoll);
    match &run.stage {
        Stage::Uploading { sent, total } if !waiting => {
            let f = if *total == 0 {
                0.0
            } else {
                *sent as f32 / *total as f32
            };
            ui.add(
                egui::ProgressBar::new(f)
                    .desired_width(ui.available_width().min(420.0))
                    .text(format!(
                        "{:.1} of {:.1} MB",
                        *sent as f64 / 1e6,
                        *total as f64 / 1e6
                    )),
            );
        }
        Stage::Queued { .. } => {
            ui.label("The service is busy; your recording waits for a free slot.");
        }
        Stage::Processing => {
            ui.label("Transcribing and scoring usually takes a few minutes.");
        }
        _ => {}
    }
    if let Some(wait) = &run.wait {
        let left = wait.seconds_left(now);
        if wait.reason != WaitReason::NextPoll {
            let f = if wait.seconds > 0.0 {
                (left as f64 / wait.seconds).clamp(0.0, 1.0) as f32
            } else {
                0.0
            };
            ui.add(
                egui::ProgressBar::new(f)
                    .desired_width(ui.available_width().min(420.0))
                    .text(format!("{left} s")),
            );
            ui.label(RichText::new(crate::guidance::wait_reason(wait.reason)).weak());
            if wait.reason == WaitReason::WarmingUp {
                ui.label(
                    RichText::new(
                        "After an update the service can take 15–20 minutes to start. \
                         The app keeps trying by itself; you can leave this window.",
                    )
                    .weak(),
                );
            }
        } else {
            ui.label(RichText::new(format!("Next status check in {left} s")).weak());
        }
        // Repaint when the shown number changes, not every frame.
        let to_next_second = wait
            .until
            .duration_since(now)
            .map(|d| Duration::from_nanos((d.as_nanos() % 1_000_000_000) as u64))
            .unwrap_or(Duration::ZERO);
        ui.ctx()
            .request_repaint_after(to_next_second + Duration::from_millis(20));
    }
    ui.add_space(10.0);
    if let Some(id) = &run.run_id {
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("Run {id}")).monospace().weak());
            if ui.small_button("Copy run id").clicked() {
                cmds.push(Command::CopyToClipboard {
                    text: id.clone(),
                    what: "Run id",
                });
            }
        });
    }
    ui.add_space(10.0);
    if run.stage != Stage::Finished {
        let label = if run.cancelling {
            "Cancelling…"
        } else {
            "Cancel"
        };
        if ui
            .add_enabled(!run.cancelling, egui::Button::new(label))
            .clicked()
        {
            cmds.push(Command::CancelRun);
        }
        if run.run_id.is_some() {
            ui.add(
                egui::Label::new(RichText::new(crate::guidance::CANCEL_HINT).small().weak()).wrap(),
            );
        }
    }
    ui.add_space(10.0);
    egui::CollapsingHeader::new(format!("Request log ({})", run.exchanges.len()))
        .id_salt("progress_log")
        .show(ui, |ui| exchanges_ui(ui, &run.exchanges));
}

/// One line per HTTP exchange: time, request, status, code, what the engine decided.
pub fn exchanges_ui(ui: &mut Ui, exchanges: &[Exchange]) {
    egui::ScrollArea::vertical()
        .id_salt("exchanges")
        .max_height(240.0)
        .show(ui, |ui| {
            for x in exchanges {
                let status = x
                    .status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "—".into());
                let code = x
                    .code
                    .as_ref()
                    .map(|c| format!(" {}", c.as_str()))
                    .unwrap_or_default();
                let wait = x
                    .wait
                    .as_ref()
                    .map(|w| format!(", wait {:.0} s", w.seconds))
                    .unwrap_or_default();
                ui.label(
                    RichText::new(format!(
                        "{} {} {} → {status}{code} · {}{wait}",
                        x.at.format("%H:%M:%S"),
                        x.method,
                        x.path,
                        x.decision
                    ))
                    .monospace()
                    .small(),
                );
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::codes::ErrorCode;

    #[test]
    fn warm_up_wait_reads_as_a_countdown() {
        let now = SystemTime::now();
        let mut v = RunView::new("take.wav".into());
        v.apply(&JobEvent::Uploading {
            sent: 50,
            total: 200,
        });
        assert_eq!(v.headline(now), "Uploading 25 %");
        v.apply(&JobEvent::Waiting {
            reason: WaitReason::WarmingUp,
            code: Some(ErrorCode::ServiceWarmingUp),
            seconds: 37.0,
            until: now + Duration::from_millis(36_200),
        });
        assert_eq!(v.headline(now), "Service warming up — retrying in 37 s");
        v.apply(&JobEvent::Retrying { attempt: 2 });
        assert!(v.wait.is_none());
    }

    #[test]
    fn rate_limit_and_queue_lines() {
        let now = SystemTime::now();
        let mut v = RunView::new("t".into());
        v.apply(&JobEvent::Queued { position: Some(3) });
        assert_eq!(v.headline(now), "Queued — #3 in line");
        v.apply(&JobEvent::Waiting {
            reason: WaitReason::RateLimited,
            code: Some(ErrorCode::RateLimitExceeded),
            seconds: 4.0,
            until: now + Duration::from_secs(4),
        });
        assert_eq!(v.headline(now), "Too many requests — retrying in 4 s");
        v.apply(&JobEvent::Waiting {
            reason: WaitReason::NextPoll,
            code: None,
            seconds: 15.0,
            until: now + Duration::from_secs(15),
        });
        // The normal poll interval keeps the stage as the headline.
        assert_eq!(v.headline(now), "Queued — #3 in line");
        assert_eq!(percent(1, 0), 0);
        assert_eq!(percent(300, 200), 100);
    }
}
