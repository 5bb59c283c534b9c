//! The Trend screen: a person's progress across attempts — the overall score and each
//! dimension over time (egui_plot), one point per scored attempt, grouped by language and,
//! when the person sets one, by an externalId prefix or a metadata key; the attempts of the
//! series below, each with its change since the one before. Drawing only: the series were
//! computed from the history rows (read off the UI thread) when they or the grouping
//! changed.

use egui::{Color32, RichText, Ui};
use egui_plot::{Corner, HoverPosition, Legend, Line, MarkerShape, Plot, PlotPoints, Points};

use crate::store::attempts::{GroupBy, Measure, TrendLine};
use crate::ui::app::views::Series;
use crate::ui::app::{App, Command, ViewCommand};

/// The accessible label of the chart starts with this.
pub const CHART_LABEL: &str = "Trend chart";

/// One colour per line, from a palette that colour-blind readers can tell apart
/// (Okabe–Ito), the overall line the strongest.
pub fn line_colour(m: Measure) -> Color32 {
    use crate::api::model::Dimension;
    match m {
        Measure::Overall => Color32::from_rgb(0, 114, 178),
        Measure::Dimension(Dimension::Vocabulary) => Color32::from_rgb(230, 159, 0),
        Measure::Dimension(Dimension::Fluency) => Color32::from_rgb(0, 158, 115),
        Measure::Dimension(Dimension::Accent) => Color32::from_rgb(204, 121, 167),
    }
}

/// Days since the epoch: the chart's x.
fn x_of(t: chrono::DateTime<chrono::Utc>) -> f64 {
    t.timestamp() as f64 / 86_400.0
}

fn date_of(x: f64) -> Option<chrono::DateTime<chrono::Local>> {
    chrono::DateTime::from_timestamp((x * 86_400.0) as i64, 0)
        .map(|t| t.with_timezone(&chrono::Local))
}

/// What the chart says to a screen reader: the series, how many attempts, and where the
/// overall score went.
pub fn chart_label(series: &Series) -> String {
    let overall = series
        .lines
        .iter()
        .find(|l| l.measure == Measure::Overall)
        .map(|l| &l.points);
    let trend = match overall.map(|p| (p.first(), p.last(), p.len())) {
        Some((Some(a), Some(b), n)) if n > 1 => {
            format!(", overall from {:.1} to {:.1}", a.score, b.score)
        }
        Some((Some(a), _, _)) => format!(", overall {:.1}", a.score),
        _ => String::new(),
    };
    format!(
        "{CHART_LABEL} of {}: {} attempt{}{trend}",
        series.label,
        series.attempts,
        if series.attempts == 1 { "" } else { "s" }
    )
}

/// Draws the Trend screen.
pub fn trend_ui(ui: &mut Ui, app: &mut App, cmds: &mut Vec<Command>) {
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.heading("Trend");
                if app.history_view.loading {
                    ui.spinner();
                }
            });
            ui.label(
                RichText::new(
                    "Scores across attempts, oldest on the left. Attempts in different \
                     languages are never mixed.",
                )
                .weak(),
            );
            grouping_ui(ui, app, cmds);
            ui.add_space(6.0);
            let by = app.state.trend_group.clone();
            let series = app.views.trend.series_for(&by).to_vec();
            if series.is_empty() {
                app.views.trend.drawn_points = 0;
                let text = if app.history_view.loaded {
                    crate::guidance::TREND_EMPTY
                } else {
                    "Reading the history…"
                };
                ui.label(RichText::new(text).weak());
                return;
            }
            let shown = app
                .views
                .trend
                .shown()
                .cloned()
                .unwrap_or_else(|| series[0].clone());
            ui.horizontal_wrapped(|ui| {
                let label = ui.label("Series");
                egui::ComboBox::from_id_salt("trend_series")
                    .selected_text(format!("{} ({})", shown.label, shown.attempts))
                    .width(280.0)
                    .show_ui(ui, |ui| {
                        for s in &series {
                            if ui
                                .selectable_label(
                                    s.label == shown.label,
                                    format!("{} ({})", s.label, s.attempts),
                                )
                                .clicked()
                            {
                                cmds.push(Command::Views(ViewCommand::SelectSeries(
                                    s.label.clone(),
                                )));
                            }
                        }
                    })
                    .response
                    .labelled_by(label.id);
            });
            let drawn = chart_ui(ui, &shown);
            app.views.trend.drawn_points = drawn;
            ui.add_space(8.0);
            attempts_table_ui(ui, app, &shown, cmds);
        });
}

fn grouping_ui(ui: &mut Ui, app: &App, cmds: &mut Vec<Command>) {
    let by = app.state.trend_group.clone();
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Group attempts by");
        let current = match &by {
            GroupBy::Language => "language",
            GroupBy::ExternalIdPrefix(_) => "externalId prefix",
            GroupBy::MetadataKey(_) => "metadata key",
        };
        egui::ComboBox::from_id_salt("trend_group")
            .selected_text(current)
            .show_ui(ui, |ui| {
                let choices = [
                    ("language", GroupBy::Language),
                    (
                        "externalId prefix",
                        GroupBy::ExternalIdPrefix(match &by {
                            GroupBy::ExternalIdPrefix(p) => p.clone(),
                            _ => String::new(),
                        }),
                    ),
                    (
                        "metadata key",
                        GroupBy::MetadataKey(match &by {
                            GroupBy::MetadataKey(k) => k.clone(),
                            _ => String::new(),
                        }),
                    ),
                ];
                for (name, choice) in choices {
                    if ui.selectable_label(current == name, name).clicked() && choice != by {
                        cmds.push(Command::Views(ViewCommand::SetGrouping(choice)));
                    }
                }
            })
            .response
            .labelled_by(label.id);
        let (field_label, mut text, make): (&str, String, fn(String) -> GroupBy) = match &by {
            GroupBy::Language => return,
            GroupBy::ExternalIdPrefix(p) => ("starting with", p.clone(), GroupBy::ExternalIdPrefix),
            GroupBy::MetadataKey(k) => ("key", k.clone(), GroupBy::MetadataKey),
        };
        let l = ui.label(field_label);
        let hint = match by {
            GroupBy::ExternalIdPrefix(_) => "cand-42",
            _ => "candidate_id",
        };
        if ui
            .add(
                egui::TextEdit::singleline(&mut text)
                    .hint_text(hint)
                    .desired_width(160.0),
            )
            .labelled_by(l.id)
            .changed()
        {
            cmds.push(Command::Views(ViewCommand::SetGrouping(make(text))));
        }
    });
}

/// The chart; returns how many points it was given.
fn chart_ui(ui: &mut Ui, series: &Series) -> usize {
    let mut drawn = 0;
    let xs: Vec<f64> = series
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| x_of(p.time)))
        .collect();
    let (min_x, max_x) = xs
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(*x), b.max(*x)));
    let pad = ((max_x - min_x) * 0.05).max(0.5);
    let span_days = max_x - min_x;
    let height = (ui.available_height() * 0.55).clamp(180.0, 360.0);
    let lines: Vec<TrendLine> = series.lines.clone();
    let response = Plot::new("trend_chart")
        .height(height)
        .legend(Legend::default().position(Corner::LeftBottom))
        .include_y(0.0)
        .include_y(5.0)
        .include_x(min_x - pad)
        .include_x(max_x + pad)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .y_axis_label("score (0–5)")
        .x_axis_formatter(move |mark, _range| {
            date_of(mark.value)
                .map(|d| {
                    if span_days > 2.0 {
                        d.format("%d %b").to_string()
                    } else {
                        d.format("%d %b %H:%M").to_string()
                    }
                })
                .unwrap_or_default()
        })
        .label_formatter(|pos| {
            let (name, at) = match pos {
                HoverPosition::NearDataPoint {
                    plot_name,
                    position,
                    ..
                } => (*plot_name, *position),
                HoverPosition::Elsewhere { .. } => return None,
            };
            let when = date_of(at.x)
                .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default();
            Some(format!("{name}\n{when}\n{:.1} of 5", at.y))
        })
        .show(ui, |plot| {
            for line in &lines {
                if line.points.is_empty() {
                    continue;
                }
                let pts: Vec<[f64; 2]> = line
                    .points
                    .iter()
                    .map(|p| [x_of(p.time), p.score])
                    .collect();
                drawn += pts.len();
                let colour = line_colour(line.measure);
                let overall = line.measure == Measure::Overall;
                plot.line(
                    Line::new(line.measure.label(), PlotPoints::from(pts.clone()))
                        .color(colour)
                        .width(if overall { 3.0 } else { 1.5 }),
                );
                plot.points(
                    Points::new(line.measure.label(), PlotPoints::from(pts))
                        .color(colour)
                        .radius(if overall { 4.5 } else { 3.0 })
                        .shape(if overall {
                            MarkerShape::Circle
                        } else {
                            MarkerShape::Diamond
                        }),
                );
            }
        });
    let label = chart_label(series);
    response
        .response
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &label));
    drawn
}

/// The series' attempts, newest first, each with its change since the one before.
fn attempts_table_ui(ui: &mut Ui, app: &App, series: &Series, cmds: &mut Vec<Command>) {
    let attempts: Vec<&crate::store::attempts::Attempt> = app
        .views
        .trend
        .attempts
        .iter()
        .filter(|a| {
            a.is_scored()
                && crate::store::attempts::group_key(a, &app.state.trend_group).as_ref()
                    == Some(&series.key)
        })
        .collect();
    egui::CollapsingHeader::new(format!("Attempts ({})", attempts.len()))
        .id_salt("trend_attempts")
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("trend_attempts_grid")
                .striped(true)
                .spacing([12.0, 4.0])
                .show(ui, |ui| {
                    for h in [
                        "Date", "Overall", "Change", "Vocab.", "Fluency", "Accent", "",
                    ] {
                        ui.label(RichText::new(h).strong());
                    }
                    ui.end_row();
                    // Newest first; "change" compares with the attempt before it.
                    for (i, a) in attempts.iter().enumerate() {
                        let before = attempts.get(i + 1);
                        ui.label(
                            a.time
                                .with_timezone(&chrono::Local)
                                .format("%Y-%m-%d %H:%M")
                                .to_string(),
                        );
                        let cell = |m: Measure| {
                            a.measure(m)
                                .map(|d| {
                                    format!(
                                        "{} {:.1}",
                                        d.cefr.unwrap_or_else(|| "—".into()),
                                        d.score.unwrap_or_default()
                                    )
                                })
                                .unwrap_or_else(|| "—".into())
                        };
                        ui.label(RichText::new(cell(Measure::Overall)).strong());
                        let change = before.and_then(|b| {
                            Some(
                                a.measure(Measure::Overall)?.score?
                                    - b.measure(Measure::Overall)?.score?,
                            )
                        });
                        match change {
                            Some(c) => {
                                crate::ui::widgets::change_label_ui(ui, c);
                            }
                            None => {
                                ui.label(
                                    RichText::new(if before.is_none() { "first" } else { "—" })
                                        .weak(),
                                );
                            }
                        }
                        for d in crate::api::model::Dimension::ALL {
                            ui.label(cell(Measure::Dimension(d)));
                        }
                        ui.horizontal(|ui| {
                            if ui
                                .small_button("Open")
                                .on_hover_text("Show this result")
                                .clicked()
                            {
                                cmds.push(Command::OpenRun(a.local_id.clone()));
                            }
                            if a.simulated {
                                ui.label(
                                    RichText::new("Simulated")
                                        .small()
                                        .strong()
                                        .color(ui.visuals().warn_fg_color),
                                );
                            }
                        });
                        ui.end_row();
                    }
                });
        });
}
