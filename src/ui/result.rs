//! The result screen: a view over one `PollResponse` as the API returned it — the overall
//! level and each dimension (0–5 bar, CEFR level on its ladder, percent, and the change
//! since the same person's last attempt), the explanations, `candidateFeedback` for the
//! person recorded, `hrRecommendation` for a reviewer, who was scored, `analysis` as a
//! collapsible tree whatever its shape, the take's waveform with the transcript segments
//! (click one to hear it), the credits; and the one-page report export.

use std::path::{Path, PathBuf};
use std::time::Duration;

use egui::{RichText, Ui};
use serde_json::Value;

use crate::api::model::{Confidence, Dimension, PollResponse, RunStatus};
use crate::api::reading::{self, Segment};
use crate::store::attempts::{Attempt, Measure, deltas};
use crate::ui::app::{App, Command, ViewCommand};
use crate::ui::widgets::{cefr_ladder_ui, change_label_ui, format_clock, score_bar_with_change_ui};

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

/// Draws a finished run: overall level, the three dimensions, explanations, feedback, who
/// was scored, the analysis, the transcript and the credits; `simulated` marks a result the
/// simulator produced. Buttons push [`Command`]s; nothing happens while drawing. (The app's
/// screen, [`result_screen_ui`], adds the comparison with the last attempt, the take's
/// waveform and the export form.)
pub fn result_ui(ui: &mut Ui, poll: &PollResponse, simulated: bool, cmds: &mut Vec<Command>) {
    result_layout_ui(ui, poll, simulated, None, cmds);
}

/// The result screen of the app: the result on screen with what the app knows besides it.
pub fn result_screen_ui(ui: &mut Ui, app: &mut App, cmds: &mut Vec<Command>) {
    let Some(poll) = app.result.clone() else {
        ui.label("No result yet.");
        return;
    };
    let simulated = app.result_simulated;
    result_layout_ui(ui, &poll, simulated, Some(app), cmds);
}

/// The file the result on screen was scored from, when it is still on disk: the history
/// record's, else the take on screen (a result that just came in).
pub fn result_take_file(app: &App) -> Option<PathBuf> {
    let poll = app.result.as_ref()?;
    let from_history = app
        .result_record
        .as_ref()
        .and_then(|r| r.file.clone())
        .or_else(|| {
            app.history_view
                .rows
                .iter()
                .find(|r| r.record.run_id.as_deref() == Some(poll.id.as_str()))
                .and_then(|r| r.record.file.clone())
        });
    from_history
        .or_else(|| app.take.as_ref().map(|t| t.path.clone()))
        .filter(|f| f.exists())
}

fn result_layout_ui(
    ui: &mut Ui,
    poll: &PollResponse,
    simulated: bool,
    mut app: Option<&mut App>,
    cmds: &mut Vec<Command>,
) {
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
        if ui
            .button("Export report…")
            .on_hover_text("A one-page HTML report to send or print (Print, then Save as PDF)")
            .clicked()
        {
            cmds.push(Command::Views(ViewCommand::OpenExport(
                crate::ui::app::views::ExportKind::Report,
            )));
        }
    });
    ui.label(RichText::new(format!("Run {}", poll.id)).monospace().weak());
    if let Some(app) = app.as_deref_mut()
        && app.views.export.kind == Some(crate::ui::app::views::ExportKind::Report)
    {
        crate::ui::export::export_form_ui(ui, app, cmds);
    }
    ui.separator();
    let previous = app.as_deref_mut().and_then(App::result_previous);

    if poll.status == RunStatus::Partial {
        let missing = missing_dimensions_text(poll).unwrap_or_else(|| "some dimensions".into());
        ui.label(
            RichText::new(crate::guidance::partial_result_banner(&missing))
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
            // Wide: the scores and what was said about them on the left, the recording,
            // its transcript and the analysis on the right, so one screen shows it all.
            if ui.available_width() >= TWO_COLUMNS_FROM {
                ui.columns(2, |cols| {
                    let (left, right) = cols.split_at_mut(1);
                    let (left, right) = (&mut left[0], &mut right[0]);
                    scores_ui(left, poll, previous.as_ref());
                    explainability_ui(left, poll);
                    feedback_ui(left, poll);
                    candidate_ui(left, poll);
                    credits_ui(left, poll);
                    transcript_ui(right, poll, app, cmds);
                    analysis_ui(right, poll);
                });
                return;
            }
            scores_ui(ui, poll, previous.as_ref());
            explainability_ui(ui, poll);
            feedback_ui(ui, poll);
            candidate_ui(ui, poll);
            analysis_ui(ui, poll);
            transcript_ui(ui, poll, app, cmds);
            credits_ui(ui, poll);
        });
}

/// From this width the result is laid out in two columns.
const TWO_COLUMNS_FROM: f32 = 1100.0;

/// The overall level and the three dimensions, each with its change since `previous`.
fn scores_ui(ui: &mut Ui, poll: &PollResponse, previous: Option<&Attempt>) {
    let Some(scores) = &poll.scores else { return };
    let changes = previous
        .and_then(|p| p.scores.as_ref())
        .map(|before| deltas(scores, before))
        .unwrap_or_default();
    let change_of = |m: Measure| changes.iter().find(|d| d.measure == m).map(|d| d.change);
    overall_ui(ui, poll, previous, change_of(Measure::Overall));
    ui.add_space(10.0);
    for d in Dimension::ALL {
        score_bar_with_change_ui(
            ui,
            d.label(),
            &scores.dimension(d),
            change_of(Measure::Dimension(d)),
        );
    }
    ui.add_space(10.0);
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

fn overall_ui(ui: &mut Ui, poll: &PollResponse, previous: Option<&Attempt>, change: Option<f64>) {
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
                    cefr_ladder_ui(ui, Some(cefr));
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
        if let Some(prev) = previous {
            ui.vertical(|ui| {
                let date = prev
                    .time
                    .with_timezone(&chrono::Local)
                    .format("%Y-%m-%d")
                    .to_string();
                ui.label(RichText::new(crate::guidance::compared_with_last(&date)).weak());
                ui.horizontal(|ui| {
                    match change {
                        Some(c) => {
                            change_label_ui(ui, c);
                            ui.label("overall");
                        }
                        None => {
                            ui.label(RichText::new("no overall score to compare").weak());
                        }
                    }
                    if let Some(c) = prev.scores.as_ref().and_then(|s| s.cefr_level.clone()) {
                        ui.label(RichText::new(format!("(then {c})")).weak());
                    }
                });
            });
            ui.add_space(16.0);
        }
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
        ui.label(RichText::new(crate::guidance::REVIEW_NEEDED).color(ui.visuals().warn_fg_color));
    }
    ui.add_space(8.0);
}

/// `candidateFeedback` (written for the person recorded) and `hrRecommendation` (for a
/// reviewer), each under its own heading so nobody reads the other's as theirs.
fn feedback_ui(ui: &mut Ui, poll: &PollResponse) {
    let sections = [
        (
            crate::guidance::FEEDBACK_HEADING,
            "Written for the person who was recorded",
            &poll.candidate_feedback,
        ),
        (
            crate::guidance::RECOMMENDATION_HEADING,
            "Written for a recruiter or reviewer",
            &poll.hr_recommendation,
        ),
    ];
    for (heading, who, text) in sections {
        let Some(text) = text.as_deref().filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        ui.label(RichText::new(heading).strong()).on_hover_text(who);
        egui::Frame::new()
            .fill(ui.visuals().faint_bg_color)
            .inner_margin(egui::Margin::symmetric(8, 6))
            .corner_radius(4)
            .show(ui, |ui| {
                ui.set_max_width(ui.available_width().min(760.0));
                ui.add(egui::Label::new(text.trim()).wrap());
            });
        ui.add_space(8.0);
    }
}

/// The most nodes of `analysis` drawn (a huge body costs a bounded frame).
const MAX_TREE_NODES: usize = 2_000;

/// The most children of one branch drawn before "… N more".
const MAX_TREE_CHILDREN: usize = 200;

/// `analysis`, whatever its shape: objects and arrays as collapsible branches (the first
/// level open), values on one line each, keys as labels ("speechRatio" → "Speech ratio").
fn analysis_ui(ui: &mut Ui, poll: &PollResponse) {
    let Some(analysis) = &poll.analysis else {
        return;
    };
    if matches!(analysis, Value::Object(o) if o.is_empty())
        || matches!(analysis, Value::Array(a) if a.is_empty())
        || analysis.is_null()
    {
        return;
    }
    egui::CollapsingHeader::new(RichText::new("Analysis").strong())
        .id_salt("analysis")
        .default_open(true)
        .show(ui, |ui| {
            let mut budget = MAX_TREE_NODES;
            if reading::is_leaf(analysis) && !analysis.is_object() {
                leaf_row_ui(ui, "Analysis", analysis);
            } else {
                tree_children_ui(ui, analysis, "analysis", 0, &mut budget);
            }
            if budget == 0 {
                ui.label(RichText::new("… more than the app shows; see the request log").weak());
            }
        });
    ui.add_space(8.0);
}

fn leaf_row_ui(ui: &mut Ui, label: &str, value: &Value) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(format!("{label}:")).weak());
        ui.label(RichText::new(reading::leaf_text(value)).strong());
    });
}

fn tree_children_ui(ui: &mut Ui, value: &Value, path: &str, depth: usize, budget: &mut usize) {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(o) => o.iter().map(|(k, v)| (reading::key_label(k), v)).collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("Item {}", i + 1), v))
            .collect(),
        _ => return,
    };
    let total = children.len();
    for (i, (label, child)) in children.into_iter().enumerate() {
        if *budget == 0 || i >= MAX_TREE_CHILDREN || depth > 32 {
            if i < total {
                ui.label(RichText::new(format!("… {} more", total - i)).weak());
            }
            return;
        }
        *budget -= 1;
        if reading::is_leaf(child) {
            leaf_row_ui(ui, &label, child);
        } else {
            let id = format!("{path}/{i}");
            let count = match child {
                Value::Array(a) => format!("{label} ({} items)", a.len()),
                _ => label.clone(),
            };
            egui::CollapsingHeader::new(count)
                .id_salt(&id)
                .default_open(depth == 0)
                .show(ui, |ui| tree_children_ui(ui, child, &id, depth + 1, budget));
        }
    }
}

/// How long a segment without an end plays.
const SEGMENT_FALLBACK: Duration = Duration::from_secs(8);

/// The transcript: timed segments (click one to hear that part of the take) with the take's
/// waveform above them, or the candidate's text when the segments carry no timings.
fn transcript_ui(ui: &mut Ui, poll: &PollResponse, app: Option<&mut App>, cmds: &mut Vec<Command>) {
    let mut app = app;
    let segments = match app.as_deref_mut() {
        Some(app) => app.views.segments_of(poll),
        None => std::sync::Arc::new(reading::result_segments(poll)),
    };
    let timed = segments.iter().any(Segment::is_timed);
    let file = app.as_deref().and_then(result_take_file);
    if let (Some(app), Some(file)) = (app, &file) {
        ui.label(RichText::new("The recording").strong());
        crate::ui::waveform::file_waveform_ui(ui, app, file, false, 56.0, cmds);
        ui.horizontal(|ui| {
            if app.is_playing(file) {
                if ui.button("Stop").clicked() {
                    cmds.push(Command::StopPlayback);
                }
            } else if ui.button("Play").clicked() {
                let length = app
                    .views
                    .wave
                    .ready(file)
                    .map(|w| w.duration())
                    .unwrap_or_default();
                cmds.push(Command::Views(ViewCommand::Play {
                    file: file.clone(),
                    start: app.play_start(file, length),
                    end: None,
                }));
            }
        });
        if timed {
            let playhead = app.is_playing(file).then(|| app.playhead(file));
            segments_ui(ui, &segments, Some(file), playhead, cmds);
        }
        ui.add_space(8.0);
    } else if timed {
        segments_ui(ui, &segments, None, None, cmds);
    }
    if timed {
        return;
    }
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

/// The accessible label of a segment's row ("Play 0:12–0:18: …").
pub fn segment_label(seg: &Segment) -> String {
    let when = match (seg.start, seg.end) {
        (Some(a), Some(b)) => format!("{}–{}", format_clock(a), format_clock(b)),
        (Some(a), None) => format_clock(a),
        _ => "—".to_string(),
    };
    let who = seg
        .speaker
        .as_deref()
        .map(|s| format!("{s}: "))
        .unwrap_or_default();
    format!("{when} {who}{}", seg.text)
}

fn segments_ui(
    ui: &mut Ui,
    segments: &[Segment],
    file: Option<&Path>,
    playhead: Option<Duration>,
    cmds: &mut Vec<Command>,
) {
    egui::CollapsingHeader::new(format!("Transcript ({} segments)", segments.len()))
        .id_salt("segments")
        .default_open(true)
        .show(ui, |ui| {
            if file.is_none() {
                ui.label(RichText::new(crate::guidance::RECORDING_NOT_HERE).weak());
            }
            let row_h = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
            egui::ScrollArea::vertical()
                .id_salt("segments_scroll")
                .max_height(220.0)
                .auto_shrink([false, true])
                .show_rows(ui, row_h, segments.len(), |ui, rows| {
                    for i in rows {
                        let seg = &segments[i];
                        let label = segment_label(seg);
                        let playing = match (playhead, seg.start) {
                            (Some(p), Some(a)) => {
                                let end =
                                    reading::play_end(segments, i, SEGMENT_FALLBACK).unwrap_or(a);
                                p >= a && p < end
                            }
                            _ => false,
                        };
                        let mut text = RichText::new(&label);
                        if !seg.candidate {
                            text = text.weak();
                        }
                        match (file, seg.start) {
                            (Some(f), Some(start)) => {
                                let clicked = ui
                                    .add(
                                        egui::Button::selectable(playing, text)
                                            .truncate()
                                            .min_size(egui::vec2(ui.available_width(), 0.0)),
                                    )
                                    .on_hover_text(format!("Play this part · {}", seg.text))
                                    .clicked();
                                if clicked {
                                    cmds.push(Command::Views(ViewCommand::Play {
                                        file: f.to_path_buf(),
                                        start,
                                        end: reading::play_end(segments, i, SEGMENT_FALLBACK),
                                    }));
                                }
                            }
                            _ => {
                                ui.add(egui::Label::new(text).truncate())
                                    .on_hover_text(&seg.text);
                            }
                        }
                    }
                });
        });
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
