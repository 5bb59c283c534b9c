//! The Trend screen: a person's progress across attempts — the overall score and each
//! dimension over time (egui_plot), one point per scored attempt, grouped by language and,
//! when the person sets one, by an externalId prefix or a metadata key; the attempts of the
//! series below, each with its change since the one before. Drawing only: the series were
//! computed from the history rows (read off the UI thread) when they or the grouping
//! changed.

use egui::{Color32, RichText, Ui};
use egui_plot::{Corner, HoverPosition, Legend, Line, MarkerShape, Plot, PlotPoints, Points};

use crate::store::attempts::{Attempt, GroupBy, Measure};
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

fn date_of(x: f64) -> Option<chrono::DateTime<chrono::Local>> {
    chrono::DateTime::from_timestamp((x * 86_400.0) as i64, 0)
        .map(|t| t.with_timezone(&chrono::Local))
}

/// A line with more points than this is drawn without markers (hundreds of markers are a
/// smear, not information; hovering still finds each attempt).
const MARKERS_UP_TO: usize = 80;

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
    // The chart and the table share the window's height (what is above them takes about
    // 120 points); a window too short for both scrolls.
    let below_header = (ui.available_height() - 120.0).max(0.0);
    let chart_height = (below_header * 0.55).clamp(140.0, 380.0);
    let table_height = (below_header - chart_height - 30.0).max(90.0);
    egui::ScrollArea::vertical()
        .id_salt("trend_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.heading("Trend");
                if app.history_view.loading {
                    ui.spinner();
                }
            });
            ui.label(RichText::new(crate::guidance::TREND_INTRO).weak());
            grouping_ui(ui, app, cmds);
            ui.add_space(6.0);
            let by = app.state.trend_group.clone();
            app.views.trend.series_for(&by);
            let Some(shown) = app.views.trend.shown_index() else {
                app.views.trend.drawn_points = 0;
                let text = if app.history_view.loaded {
                    crate::guidance::TREND_EMPTY
                } else {
                    crate::guidance::TREND_READING
                };
                ui.label(RichText::new(text).weak());
                return;
            };
            let trend = &app.views.trend;
            let series = &trend.series[shown];
            series_picker_ui(ui, trend, shown, cmds);
            let drawn = chart_ui(ui, series, chart_height);
            ui.add_space(8.0);
            attempts_table_ui(ui, trend, series, table_height, cmds);
            app.views.trend.drawn_points = drawn;
        });
}

fn series_picker_ui(
    ui: &mut Ui,
    trend: &crate::ui::app::views::TrendState,
    shown: usize,
    cmds: &mut Vec<Command>,
) {
    let current = &trend.series[shown];
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Series");
        egui::ComboBox::from_id_salt("trend_series")
            .selected_text(format!("{} ({})", current.label, current.attempts))
            .width(280.0)
            .show_ui(ui, |ui| {
                for (i, s) in trend.series.iter().enumerate() {
                    if ui
                        .selectable_label(i == shown, format!("{} ({})", s.label, s.attempts))
                        .clicked()
                    {
                        cmds.push(Command::Views(ViewCommand::SelectSeries(s.label.clone())));
                    }
                }
            })
            .response
            .labelled_by(label.id);
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

/// The chart; returns how many points it was given. The points are the series' own
/// (borrowed, nothing is rebuilt per frame).
fn chart_ui(ui: &mut Ui, series: &Series, height: f32) -> usize {
    let mut drawn = 0;
    let (min_x, max_x) = series.x_range;
    let pad = ((max_x - min_x) * 0.05).max(0.5);
    let span_days = max_x - min_x;
    let response = Plot::new("trend_chart")
        .height(height)
        .legend(
            Legend::default()
                .position(Corner::LeftBottom)
                .follow_insertion_order(true),
        )
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
            // Overall last, so it is drawn on top (and listed first: the legend in a
            // bottom corner lists from the bottom up).
            for (line, points) in series.lines.iter().zip(&series.plot).rev() {
                if points.is_empty() {
                    continue;
                }
                drawn += points.len();
                let colour = line_colour(line.measure);
                let overall = line.measure == Measure::Overall;
                plot.line(
                    Line::new(line.measure.label(), PlotPoints::Borrowed(points))
                        .color(colour)
                        .width(if overall { 3.0 } else { 1.5 }),
                );
                if points.len() <= MARKERS_UP_TO {
                    plot.points(
                        Points::new(line.measure.label(), PlotPoints::Borrowed(points))
                            .color(colour)
                            .radius(if overall { 4.5 } else { 3.0 })
                            .shape(if overall {
                                MarkerShape::Circle
                            } else {
                                MarkerShape::Diamond
                            }),
                    );
                }
            }
        });
    let label = chart_label(series);
    response
        .response
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &label));
    drawn
}

/// The accessible label of the attempts table's heading starts with this.
pub const TABLE_LABEL: &str = "Attempts";

/// The text of a measure's cell: "B2 3.4", or "—" when it was not scored.
fn score_cell(a: &Attempt, m: Measure) -> String {
    a.measure(m)
        .map(|d| {
            format!(
                "{} {:.1}",
                d.cefr.unwrap_or_else(|| "—".into()),
                d.score.unwrap_or_default()
            )
        })
        .unwrap_or_else(|| "—".into())
}

/// The series' attempts, newest first, each with its change since the one before: a table
/// that draws only the rows in view (cheap with thousands of attempts).
fn attempts_table_ui(
    ui: &mut Ui,
    trend: &crate::ui::app::views::TrendState,
    series: &Series,
    height: f32,
    cmds: &mut Vec<Command>,
) {
    use egui_extras::{Column, TableBuilder};
    let members = &series.members;
    ui.label(RichText::new(format!("{TABLE_LABEL} ({}), newest first", members.len())).strong());
    let row_height = ui.spacing().interact_size.y + 4.0;
    let overall_of = |a: &Attempt| a.measure(Measure::Overall).and_then(|d| d.score);
    TableBuilder::new(ui)
        .id_salt("trend_attempts")
        .striped(true)
        .resizable(false)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .columns(Column::auto().at_least(40.0), 6)
        .column(Column::auto().at_least(60.0).clip(true))
        .column(Column::remainder())
        .min_scrolled_height(0.0)
        .max_scroll_height(height)
        .header(row_height, |mut header| {
            for h in [
                "Date",
                "Overall",
                "Change",
                "Vocab.",
                "Fluency",
                "Accent",
                "externalId",
                "",
            ] {
                header.col(|ui| {
                    ui.label(RichText::new(h).strong());
                });
            }
        })
        .body(|body| {
            body.rows(row_height, members.len(), |mut row| {
                let i = row.index();
                let Some(a) = members.get(i).and_then(|&k| trend.attempts.get(k)) else {
                    return;
                };
                // "Change" compares with the attempt before it (the next row).
                let before = members.get(i + 1).and_then(|&k| trend.attempts.get(k));
                row.col(|ui| {
                    ui.label(
                        a.time
                            .with_timezone(&chrono::Local)
                            .format("%Y-%m-%d %H:%M")
                            .to_string(),
                    );
                });
                row.col(|ui| {
                    ui.label(RichText::new(score_cell(a, Measure::Overall)).strong());
                });
                row.col(|ui| match (overall_of(a), before.and_then(overall_of)) {
                    (Some(now), Some(then)) => {
                        crate::ui::widgets::change_label_ui(ui, now - then);
                    }
                    _ => {
                        ui.label(
                            RichText::new(if before.is_none() { "first" } else { "—" }).weak(),
                        );
                    }
                });
                for d in crate::api::model::Dimension::ALL {
                    row.col(|ui| {
                        ui.label(score_cell(a, Measure::Dimension(d)));
                    });
                }
                row.col(|ui| {
                    ui.add(
                        egui::Label::new(
                            RichText::new(a.external_id.as_deref().unwrap_or("—")).weak(),
                        )
                        .truncate(),
                    );
                });
                row.col(|ui| {
                    if ui
                        .small_button("Open")
                        .on_hover_text("Show this result")
                        .clicked()
                    {
                        cmds.push(Command::OpenRun(a.local_id.clone()));
                    }
                    if a.simulated {
                        ui.label(
                            RichText::new(crate::store::export::SIMULATED_MARK)
                                .small()
                                .strong()
                                .color(ui.visuals().warn_fg_color),
                        );
                    }
                });
            });
        });
}
