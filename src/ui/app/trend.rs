//! The trend across attempts, app side: the history's attempts (each read off the UI thread
//! with its row) and their series under the person's grouping, computed again only when the
//! rows or the grouping change — never per frame. The chart's points are kept in the form
//! egui_plot draws from (borrowed, not rebuilt each frame), and the attempts table reads its
//! rows by index, so a frame costs the same with 5 attempts or 5 000.

use egui_plot::PlotPoint;

use crate::store::attempts::{Attempt, GroupBy, GroupKey, TrendLine, TrendPoint, groups, trend};

/// The chart's x of an attempt: days since the Unix epoch.
pub fn chart_x(t: chrono::DateTime<chrono::Utc>) -> f64 {
    t.timestamp() as f64 / 86_400.0
}

/// The chart's points of one line.
fn plot_points(points: &[TrendPoint]) -> Vec<PlotPoint> {
    points
        .iter()
        .map(|p| PlotPoint::new(chart_x(p.time), p.score))
        .collect()
}

/// One series of the trend: whose, and its four lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Whose attempts (language, and the prefix or metadata value).
    pub key: GroupKey,
    /// Its label in the picker.
    pub label: String,
    /// Scored attempts in it.
    pub attempts: usize,
    /// Overall and each dimension, oldest first.
    pub lines: Vec<TrendLine>,
    /// Its attempts, as indices into [`TrendState::attempts`], newest first.
    pub members: Vec<usize>,
    /// The points of each of `lines`, as the chart draws them (x: [`chart_x`], y: 0–5).
    pub plot: Vec<Vec<PlotPoint>>,
    /// The first and last attempt's x ([`chart_x`]).
    pub x_range: (f64, f64),
}

/// The trend's cache.
#[derive(Debug, Default)]
pub struct TrendState {
    /// Every attempt of the history, newest first (as the rows).
    pub attempts: Vec<Attempt>,
    /// The series under `computed_for`.
    pub series: Vec<Series>,
    /// The grouping `series` was computed for (`None`: not computed since the last change).
    computed_for: Option<GroupBy>,
    /// The series shown (its label); `None`: the one with the latest attempt.
    pub selected: Option<String>,
    /// Points handed to the chart on the last frame it was drawn.
    pub drawn_points: usize,
    /// Counts [`TrendState::set_attempts`], so what was computed from older rows is known
    /// to be old (the result screen's comparison with the last attempt).
    pub generation: u64,
}

impl TrendState {
    /// New rows were read: the series are computed again on the next look.
    pub fn set_attempts(&mut self, attempts: Vec<Attempt>) {
        self.attempts = attempts;
        self.generation += 1;
        self.invalidate();
    }

    /// The grouping changed.
    pub fn invalidate(&mut self) {
        self.computed_for = None;
    }

    /// The series under `by`, computed now if the rows or the grouping changed.
    pub fn series_for(&mut self, by: &GroupBy) -> &[Series] {
        if self.computed_for.as_ref() != Some(by) {
            let index: std::collections::HashMap<&str, usize> = self
                .attempts
                .iter()
                .enumerate()
                .map(|(i, a)| (a.local_id.as_str(), i))
                .collect();
            let mut series: Vec<(Series, chrono::DateTime<chrono::Utc>)> =
                groups(&self.attempts, by)
                    .into_iter()
                    .map(|(key, list)| {
                        let latest = list.last().map(|a| a.time).unwrap_or_default();
                        let members = list
                            .iter()
                            .rev()
                            .filter_map(|a| index.get(a.local_id.as_str()).copied())
                            .collect();
                        let lines = trend(&list);
                        let plot = lines.iter().map(|l| plot_points(&l.points)).collect();
                        let x_range = (
                            list.first().map_or(0.0, |a| chart_x(a.time)),
                            list.last().map_or(0.0, |a| chart_x(a.time)),
                        );
                        (
                            Series {
                                label: key.label(),
                                attempts: list.len(),
                                lines,
                                members,
                                plot,
                                x_range,
                                key,
                            },
                            latest,
                        )
                    })
                    .collect();
            // The series with the latest attempt first.
            series.sort_by_key(|(_, latest)| std::cmp::Reverse(*latest));
            self.series = series.into_iter().map(|(s, _)| s).collect();
            self.computed_for = Some(by.clone());
        }
        &self.series
    }

    /// The series on screen: the one picked, else the most recent.
    pub fn shown(&self) -> Option<&Series> {
        self.shown_index().and_then(|i| self.series.get(i))
    }

    /// Where [`TrendState::shown`] is in [`TrendState::series`].
    pub fn shown_index(&self) -> Option<usize> {
        if self.series.is_empty() {
            return None;
        }
        self.selected
            .as_ref()
            .and_then(|l| self.series.iter().position(|s| &s.label == l))
            .or(Some(0))
    }
}
