//! The trend across attempts, app side: the history's attempts (each read off the UI thread
//! with its row) and their series under the person's grouping, computed again only when the
//! rows or the grouping change — never per frame.

use crate::store::attempts::{Attempt, GroupBy, GroupKey, TrendLine, groups, trend};

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
}

impl TrendState {
    /// New rows were read: the series are computed again on the next look.
    pub fn set_attempts(&mut self, attempts: Vec<Attempt>) {
        self.attempts = attempts;
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
                        (
                            Series {
                                label: key.label(),
                                attempts: list.len(),
                                lines: trend(&list),
                                members,
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
        self.selected
            .as_ref()
            .and_then(|l| self.series.iter().find(|s| &s.label == l))
            .or_else(|| self.series.first())
    }
}
