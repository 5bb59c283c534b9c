//! The result screen: a view over one `PollResponse` as the API returned it.

use egui::{RichText, Ui};

use crate::api::model::{Confidence, Dimension, PollResponse, RunStatus};
use crate::ui::app::Command;
use crate::ui::widgets::{format_clock, score_bar_ui};

/// The names of the dimensions a partial result is missing, for the banner ("Accent").
pub fn missing_dimensions_text(poll: &PollResponse) -> Option<String> {
    let scores = poll.scores.as_ref()?;
    let missing: Vec<&str> = scores
        .missing_dimensions()
        .into_iter()
        .map(Dimension::label)
        .collect();
    if missing.is_empty() {
        None
    } else {
        Some(missing.join(", "))
    }
}

/// The marker on a result the simulator produced.
pub const SIMULATED_MARK: &str = "Simulated — not a real score";

/// Draws a finished run: overall level, the three dimensions, explanations, who was scored,
/// the transcript and the credits; `simulated` marks a result the simulator produced.
/// Buttons push [`Command`]s; nothing happens while drawing.
pub fn result_ui(ui: &mut Ui, poll: &PollResponse, simulated: bool, cmds: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        ui.heading("Result");
        ui.add_space(8.0);
        status_badge_ui(ui, &poll.status);
        if simulated {
            ui.label(
                RichText::new(SIMULATED_MARK)
                    .strong()
                    .color(ui.visuals().warn_fg_color),
            )
            .on_hover_text("The built-in or a local simulator answered: these scores are made up");
        }
    });
    ui.horizontal_wrapped(|ui| {
        if ui.button("New recording").clicked() {
            cmds.push(Command::Navigate(crate::ui::app::Screen::Record));
        }
        if ui
            .button("Open request log")
            .on_hover_text("Every request made for this run, for support")
            .clicked()
        {
            cmds.push(Command::Navigate(crate::ui::app::Screen::Support));
        }
        if ui.button("Copy run id").on_hover_text(&poll.id).clicked() {
            cmds.push(Command::CopyToClipboard {
                text: poll.id.clone(),
                what: "Run id",
            });
        }
    });
    ui.label(RichText::new(format!("Run {}", poll.id)).monospace().weak());
    ui.separator();

    if poll.status == RunStatus::Partial {
        let missing = missing_dimensions_text(poll).unwrap_or_else(|| "some dimensions".into());
        ui.label(
            RichText::new(format!(
                "Partial result: {missing} could not be scored. The scores below are real; \
                 the missing ones are not zero, they are unknown."
            ))
            .color(ui.visuals().warn_fg_color),
        );
        ui.add_space(6.0);
    }
    if let Some(err) = &poll.error {
        ui.label(
            RichText::new(format!("{}: {}", err.code.as_str(), err.message))
                .color(ui.visuals().error_fg_color),
        );
    }

    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            if let Some(scores) = &poll.scores {
                overall_ui(ui, poll);
                ui.add_space(10.0);
                for d in Dimension::ALL {
                    score_bar_ui(ui, d.label(), &scores.dimension(d));
                }
                ui.add_space(10.0);
            }
            explainability_ui(ui, poll);
            candidate_ui(ui, poll);
            transcript_ui(ui, poll);
            credits_ui(ui, poll);
        });
}

fn status_badge_ui(ui: &mut Ui, status: &RunStatus) {
    let (text, colour) = match status {
        RunStatus::Success => ("Complete", ui.visuals().selection.bg_fill),
        RunStatus::Partial => ("Partial", ui.visuals().warn_fg_color),
        RunStatus::Failed => ("Failed", ui.visuals().error_fg_color),
        other => (other.as_str(), ui.visuals().weak_text_color()),
    };
    ui.label(RichText::new(text).strong().color(colour));
}

fn overall_ui(ui: &mut Ui, poll: &PollResponse) {
    let Some(scores) = &poll.scores else { return };
    let overall = scores.overall();
    ui.horizontal(|ui| {
        match (&overall.cefr, overall.score) {
            (Some(cefr), Some(score)) => {
                let text = format!("Overall level {cefr}");
                ui.label(RichText::new(cefr).size(44.0).strong())
                    .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &text));
                ui.vertical(|ui| {
                    ui.label(RichText::new("Overall").weak());
                    let pct = overall
                        .percent
                        .map(|p| format!(" · {p:.0} %"))
                        .unwrap_or_default();
                    ui.label(RichText::new(format!("{score:.1} of 5{pct}")).size(18.0));
                });
            }
            _ => {
                ui.label(
                    RichText::new("Overall level not available")
                        .size(20.0)
                        .color(ui.visuals().warn_fg_color),
                );
            }
        }
        ui.add_space(16.0);
        if let Some(audio) = &poll.audio {
            ui.vertical(|ui| {
                if let Some(ms) = audio.duration_ms {
                    ui.label(format!(
                        "Audio {}",
                        format_clock(std::time::Duration::from_millis(ms))
                    ));
                }
                if let Some(lang) = &audio.language_code {
                    let name = crate::languages::language_name(lang).unwrap_or(lang);
                    ui.label(format!("Language {name}"));
                }
            });
        }
    });
}

fn explainability_ui(ui: &mut Ui, poll: &PollResponse) {
    let Some(ex) = &poll.explainability else {
        return;
    };
    if ex.vocab.is_none() && ex.fluency.is_none() {
        return;
    }
    ui.label(RichText::new("Why these scores").strong());
    for (name, text) in [("Vocabulary", &ex.vocab), ("Fluency", &ex.fluency)] {
        if let Some(text) = text {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(format!("{name}:")).strong());
                ui.label(text);
            });
        }
    }
    ui.add_space(8.0);
}

/// Low confidence means the pipeline may have scored the wrong speaker.
pub fn needs_review(poll: &PollResponse) -> bool {
    poll.candidate_detection
        .as_ref()
        .and_then(|c| c.confidence.as_ref())
        .is_some_and(|c| *c == Confidence::Low)
}

fn candidate_ui(ui: &mut Ui, poll: &PollResponse) {
    let Some(cd) = &poll.candidate_detection else {
        return;
    };
    ui.label(RichText::new("Who was scored").strong());
    let speakers = poll
        .audio
        .as_ref()
        .and_then(|a| a.speaker_count)
        .map(|n| format!("{n} speaker{} heard; ", if n == 1 { "" } else { "s" }))
        .unwrap_or_default();
    let who = cd
        .speaker_label
        .as_deref()
        .or(cd.speaker.as_deref())
        .unwrap_or("unknown speaker");
    let conf = cd
        .confidence
        .as_ref()
        .map(|c| format!(", confidence {}", c.as_str()))
        .unwrap_or_default();
    let words = cd
        .word_count
        .map(|w| format!(", {w} words"))
        .unwrap_or_default();
    ui.label(format!("{speakers}scored {who}{conf}{words}"));
    if let Some(reason) = &cd.reason {
        ui.label(RichText::new(reason).italics().weak());
    }
    if needs_review(poll) {
        ui.label(
            RichText::new(
                "Review needed: the service is not sure it picked the right speaker. \
                 Read the transcript before relying on these scores.",
            )
            .color(ui.visuals().warn_fg_color),
        );
    }
    ui.add_space(8.0);
}

fn transcript_ui(ui: &mut Ui, poll: &PollResponse) {
    let Some(text) = poll
        .transcript
        .as_ref()
        .and_then(|t| t.candidate_text.as_deref())
    else {
        return;
    };
    egui::CollapsingHeader::new("Candidate transcript")
        .default_open(needs_review(poll))
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("transcript")
                .max_height(160.0)
                .show(ui, |ui| {
                    ui.label(text);
                });
        });
    ui.add_space(8.0);
}

fn credits_ui(ui: &mut Ui, poll: &PollResponse) {
    let Some(c) = &poll.credits else { return };
    let mut parts = Vec::new();
    if let Some(d) = c.deducted {
        parts.push(format!("{} deducted", crate::guidance::credits_text(d)));
    }
    if let Some(r) = c.remaining_balance {
        parts.push(format!("{r} remaining"));
    }
    if let Some(m) = c.audio_duration_minutes {
        parts.push(format!("{m:.1} min of audio"));
    }
    if !parts.is_empty() {
        ui.label(RichText::new(parts.join(" · ")).weak());
    }
}
