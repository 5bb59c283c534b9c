//! The progress screen: a run in flight, as told by the engine's [`JobEvent`]s. The engine
//! owns every timer; this screen only counts down to the `until` it was given.

use std::time::{Duration, Instant, SystemTime};

use egui::{RichText, Ui};

use crate::api::codes::ErrorCode;
use crate::engine::{Exchange, JobEvent, WaitReason};
use crate::ui::app::{App, Command};

/// Where the run is.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Local checks (and, for imports, conversion).
    Preparing,
    /// Uploading the file.
    Uploading {
        /// Bytes sent.
        sent: u64,
        /// File size.
        total: u64,
    },
    /// Accepted, waiting for a processing slot.
    Queued {
        /// Place in the queue, when the service said.
        position: Option<u32>,
    },
    /// Being scored.
    Processing,
    /// Looking up a submit whose reply was lost, before any resubmission.
    CheckingLostSubmit,
    /// The job ended.
    Finished,
}

/// A wait the engine is sitting out.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitView {
    /// Why.
    pub reason: WaitReason,
    /// The code that caused it, if any.
    pub code: Option<ErrorCode>,
    /// How long in total.
    pub seconds: f64,
    /// When it ends.
    pub until: SystemTime,
}

impl WaitView {
    /// Whole seconds left, rounded up (what the countdown shows).
    pub fn seconds_left(&self, now: SystemTime) -> u64 {
        self.until
            .duration_since(now)
            .map(|d| d.as_millis().div_ceil(1000) as u64)
            .unwrap_or(0)
    }

    /// The headline for waits a person must know about; `None` for the normal poll interval.
    pub fn headline(&self, now: SystemTime) -> Option<String> {
        let left = self.seconds_left(now);
        let what = match self.reason {
            WaitReason::NextPoll => return None,
            WaitReason::WarmingUp => "Service warming up",
            WaitReason::RateLimited | WaitReason::PollRateLimited => "Too many requests",
            WaitReason::Network => "Can't reach the service",
            WaitReason::ServerError => "The service had a problem",
            WaitReason::LookUpAgain => "Checking whether the upload arrived",
            WaitReason::Resubmit => "The upload did not arrive",
            WaitReason::Budget => "Stopped waiting",
        };
        Some(format!("{what} — retrying in {left} s"))
    }
}

/// Everything the progress screen shows, folded from the engine's events.
#[derive(Debug, Clone)]
pub struct RunView {
    /// File being scored (for the heading).
    pub file_name: String,
    /// Where the run is.
    pub stage: Stage,
    /// The wait in progress, if any.
    pub wait: Option<WaitView>,
    /// The run id once accepted.
    pub run_id: Option<String>,
    /// Our externalId for the run.
    pub external_id: Option<String>,
    /// Repeat number of the current request (2 = first retry).
    pub attempt: Option<u32>,
    /// Every HTTP exchange so far, for the request log.
    pub exchanges: Vec<Exchange>,
    /// When the person pressed Submit.
    pub started: Instant,
    /// True after Cancel was pressed, until the job confirms.
    pub cancelling: bool,
}

impl RunView {
    /// A fresh view for a job that is starting.
    pub fn new(file_name: String) -> RunView {
        RunView {
            file_name,
            stage: Stage::Preparing,
            wait: None,
            run_id: None,
            external_id: None,
            attempt: None,
            exchanges: Vec::new(),
            started: Instant::now(),
            cancelling: false,
        }
    }

    /// Folds one event in.
    pub fn apply(&mut self, event: &JobEvent) {
        match event {
            JobEvent::Validating => self.stage = Stage::Preparing,
            JobEvent::Uploading { sent, total } => {
                self.wait = None;
                self.stage = Stage::Uploading {
                    sent: *sent,
                    total: *total,
                };
            }
            JobEvent::Accepted {
                run_id,
                external_id,
                status,
                queue_position,
            } => {
                self.wait = None;
                self.attempt = None;
                self.run_id = Some(run_id.clone());
                self.external_id = Some(external_id.clone());
                self.stage = if status.as_str() == "queued" {
                    Stage::Queued {
                        position: *queue_position,
                    }
                } else {
                    Stage::Processing
                };
            }
            JobEvent::Queued { position } => {
                self.wait = None;
                self.stage = Stage::Queued {
                    position: *position,
                };
            }
            JobEvent::Processing => {
                self.wait = None;
                self.stage = Stage::Processing;
            }
            JobEvent::Waiting {
                reason,
                code,
                seconds,
                until,
            } => {
                self.wait = Some(WaitView {
                    reason: *reason,
                    code: code.clone(),
                    seconds: *seconds,
                    until: *until,
                });
            }
            JobEvent::Retrying { attempt } => {
                self.wait = None;
                self.attempt = Some(*attempt);
            }
            JobEvent::CheckingForLostSubmit { external_id } => {
                self.wait = None;
                self.external_id = Some(external_id.clone());
                self.stage = Stage::CheckingLostSubmit;
            }
            JobEvent::Exchange(x) => self.exchanges.push(x.clone()),
            JobEvent::Finished(_) => {
                self.wait = None;
                self.stage = Stage::Finished;
            }
        }
    }

    /// The main line of the screen.
    pub fn headline(&self, now: SystemTime) -> String {
        if let Some(h) = self.wait.as_ref().and_then(|w| w.headline(now)) {
            return h;
        }
        match &self.stage {
            Stage::Preparing => "Checking the recording".to_string(),
            Stage::Uploading { sent, total } => format!("Uploading {} %", percent(*sent, *total)),
            Stage::Queued { position: Some(p) } => format!("Queued — #{p} in line"),
            Stage::Queued { position: None } => "Queued".to_string(),
            Stage::Processing => "Scoring the recording".to_string(),
            Stage::CheckingLostSubmit => "Checking whether the upload arrived".to_string(),
            Stage::Finished => "Finished".to_string(),
        }
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
            ui.label(RichText::new(wait.reason.describe()).weak());
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
