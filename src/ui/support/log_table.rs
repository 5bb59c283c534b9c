//! The request log as a table: sortable, filterable, a row opens its request view (request
//! and response, "Copy as curl", "Copy as JSON"); the log shown saves as HAR. The table
//! scrolls sideways when the window is narrower than its columns. "All runs" shows the
//! search of every run instead (`search`).

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::engine::reqlog::Exchange;
use crate::store::RunRecord;
use crate::ui::app::{Command, SupportCommand};
use crate::ui::support::request_view::exchange_view_ui;
use crate::ui::support::{RunOnScreen, SupportDesk, labelled_field, labels};

/// Which request log the table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogSource {
    /// The run on screen.
    #[default]
    Current,
    /// The opened bundle's original run.
    Bundle,
    /// The replay of the bundle.
    Replay,
    /// Every request of every run in the history (searched, paged).
    AllRuns,
}

/// Table columns that sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    /// The order the requests happened in.
    #[default]
    Order,
    /// HTTP status.
    Status,
    /// Error code.
    Code,
    /// Time to answer.
    Latency,
    /// Request path.
    Path,
}

/// Does `ex` match the filter text (path, method, status, code, requestId, decision)?
pub fn matches_filter(ex: &Exchange, filter: &str) -> bool {
    let f = filter.trim().to_lowercase();
    if f.is_empty() {
        return true;
    }
    let fields = [
        ex.method.clone(),
        ex.path.clone(),
        ex.status.map(|s| s.to_string()).unwrap_or_default(),
        ex.code.as_ref().map(|c| c.to_string()).unwrap_or_default(),
        ex.request_id.clone().unwrap_or_default(),
        ex.decision.clone(),
        ex.error.clone().unwrap_or_default(),
    ];
    fields.iter().any(|x| x.to_lowercase().contains(&f))
}

/// The rows to show: indices into `exchanges`, filtered and sorted.
pub fn visible_rows(
    exchanges: &[Exchange],
    filter: &str,
    sort: SortBy,
    ascending: bool,
) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..exchanges.len())
        .filter(|&i| matches_filter(&exchanges[i], filter))
        .collect();
    let key = |i: &usize| -> (u64, String) {
        let ex = &exchanges[*i];
        match sort {
            SortBy::Order => (*i as u64, String::new()),
            SortBy::Status => (u64::from(ex.status.unwrap_or(0)), String::new()),
            SortBy::Code => (
                0,
                ex.code.as_ref().map(|c| c.to_string()).unwrap_or_default(),
            ),
            SortBy::Latency => (ex.latency_ms, String::new()),
            SortBy::Path => (0, ex.path.clone()),
        }
    };
    // Stable, so equal keys stay in the order they happened.
    rows.sort_by_key(key);
    if !ascending {
        rows.reverse();
    }
    rows
}

fn exchanges<'a>(desk: &'a SupportDesk, on_screen: &'a RunOnScreen<'a>) -> &'a [Exchange] {
    match desk.source {
        LogSource::Current => on_screen.exchanges(),
        LogSource::Bundle => desk
            .bundle
            .as_ref()
            .map_or(&[][..], |b| b.record.exchanges.as_slice()),
        LogSource::Replay => desk
            .replay
            .as_ref()
            .map_or(&[][..], |r| r.exchanges.as_slice()),
        LogSource::AllRuns => &[],
    }
}

fn har_ui(ui: &mut Ui, desk: &mut SupportDesk, cmds: &mut Vec<Command>) {
    ui.scope(|ui| {
        labelled_field(ui, labels::HAR_PATH, &mut desk.har_path, 200.0);
        let ready = !desk.har_path.trim().is_empty() && !desk.exporting_har;
        if ui
            .add_enabled(ready, egui::Button::new(labels::SAVE_HAR))
            .on_hover_text(
                "HTTP Archive 1.2: open it in browser dev tools (Network → Import), Insomnia or \
                 Postman. The key is masked; the audio is described, not embedded.",
            )
            .clicked()
        {
            cmds.push(Command::Support(SupportCommand::ExportHar));
        }
        if desk.exporting_har {
            ui.spinner();
        }
        match &desk.har_result {
            Some(Ok(t)) => {
                ui.label(t.as_str());
            }
            Some(Err(e)) => {
                ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
            }
            None => {}
        }
    });
}

/// Draws the source picker, the filter, the table and the selected row's details.
pub fn log_ui(
    ui: &mut Ui,
    desk: &mut SupportDesk,
    on_screen: &RunOnScreen<'_>,
    cmds: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        let before = desk.source;
        ui.selectable_value(&mut desk.source, LogSource::Current, "Run on screen");
        if desk.bundle.is_some() {
            ui.selectable_value(&mut desk.source, LogSource::Bundle, "Bundle (original)");
        }
        if desk.replay.is_some() {
            ui.selectable_value(&mut desk.source, LogSource::Replay, "Replay");
        }
        ui.selectable_value(&mut desk.source, LogSource::AllRuns, labels::ALL_RUNS);
        if before != desk.source {
            desk.selected = None;
            if desk.source == LogSource::AllRuns {
                // Fresh numbers each time the log of all runs is opened.
                cmds.push(Command::Support(SupportCommand::Search));
            }
        }
        if desk.source != LogSource::AllRuns {
            ui.separator();
            labelled_field(ui, labels::FILTER, &mut desk.filter, 160.0);
        }
        ui.separator();
        har_ui(ui, desk, cmds);
    });
    if desk.source == LogSource::AllRuns {
        crate::ui::support::search::all_runs_ui(ui, desk, cmds);
        return;
    }
    let exchanges = exchanges(desk, on_screen).to_vec();
    if exchanges.is_empty() {
        ui.label(match desk.source {
            LogSource::Current => "No run on screen: open one from History, or open a bundle.",
            _ => "No requests yet.",
        });
        return;
    }
    let ascending = !desk.descending;
    let rows = visible_rows(&exchanges, &desk.filter, desk.sort, ascending);
    let mut clicked_sort = None;
    let mut clicked_row = None;
    egui::ScrollArea::horizontal()
        .id_salt(("log_table_scroll", desk.source as u8))
        .show(ui, |ui| {
            table_ui(
                ui,
                desk,
                &exchanges,
                &rows,
                &mut clicked_sort,
                &mut clicked_row,
            );
        });
    if let Some(s) = clicked_sort {
        if desk.sort == s {
            desk.descending = !desk.descending;
        } else {
            desk.sort = s;
            desk.descending = false;
        }
    }
    if let Some(i) = clicked_row {
        desk.selected = if desk.selected == Some(i) {
            None
        } else {
            Some(i)
        };
    }
    ui.label(
        RichText::new(format!(
            "{} of {} requests shown · click a row for its request and response",
            rows.len(),
            exchanges.len()
        ))
        .small()
        .weak(),
    );
    if let Some(ex) = desk.selected.and_then(|i| exchanges.get(i)) {
        selected_ui(ui, desk, on_screen, ex, cmds);
    }
}

fn table_ui(
    ui: &mut Ui,
    desk: &SupportDesk,
    exchanges: &[Exchange],
    rows: &[usize],
    clicked_sort: &mut Option<SortBy>,
    clicked_row: &mut Option<usize>,
) {
    ui.push_id(("log_table", desk.source as u8), |ui| {
        TableBuilder::new(ui)
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .max_scroll_height(260.0)
            .column(Column::auto().at_least(28.0))
            .column(Column::auto().at_least(80.0))
            .column(Column::auto().at_least(200.0).clip(true))
            .column(Column::auto().at_least(50.0))
            .column(Column::auto().at_least(160.0))
            .column(Column::auto().at_least(30.0))
            .column(Column::auto().at_least(160.0).clip(true))
            .column(Column::auto().at_least(60.0))
            .column(Column::auto().at_least(60.0))
            .header(22.0, |mut header| {
                let cols: [(&str, Option<SortBy>); 9] = [
                    ("#", Some(SortBy::Order)),
                    ("Time (UTC)", None),
                    ("Request", Some(SortBy::Path)),
                    ("Status", Some(SortBy::Status)),
                    ("Code", Some(SortBy::Code)),
                    ("Try", None),
                    ("Wait (why)", None),
                    ("Latency", Some(SortBy::Latency)),
                    ("Bytes in", None),
                ];
                for (name, sort) in cols {
                    header.col(|ui| match sort {
                        Some(s) => {
                            let arrow = if desk.sort == s {
                                if desk.descending { " (down)" } else { " (up)" }
                            } else {
                                ""
                            };
                            if ui
                                .button(RichText::new(format!("{name}{arrow}")).strong())
                                .on_hover_text(format!("Sort by {name}"))
                                .clicked()
                            {
                                *clicked_sort = Some(s);
                            }
                        }
                        None => {
                            ui.strong(name);
                        }
                    });
                }
            })
            .body(|mut body| {
                for &i in rows {
                    let ex = &exchanges[i];
                    body.row(20.0, |mut row| {
                        row.set_selected(desk.selected == Some(i));
                        row.col(|ui| {
                            ui.label((i + 1).to_string());
                        });
                        row.col(|ui| {
                            ui.label(ex.at.format("%H:%M:%S%.3f").to_string());
                        });
                        row.col(|ui| {
                            // A selectable label, so keyboards and screen readers can pick
                            // the row too.
                            if ui
                                .selectable_label(
                                    desk.selected == Some(i),
                                    RichText::new(format!("{} {}", ex.method, ex.path)).monospace(),
                                )
                                .clicked()
                            {
                                *clicked_row = Some(i);
                            }
                        });
                        row.col(|ui| {
                            ui.label(ex.status.map_or("—".into(), |s| s.to_string()));
                        });
                        row.col(|ui| {
                            let text = match (&ex.code, &ex.error) {
                                (Some(c), _) => c.to_string(),
                                (None, Some(_)) => "no reply".into(),
                                _ => String::new(),
                            };
                            ui.label(text);
                        });
                        row.col(|ui| {
                            ui.label(ex.attempt.to_string());
                        });
                        row.col(|ui| {
                            ui.label(ex.wait.as_ref().map_or(ex.decision.clone(), |w| {
                                format!(
                                    "{:.1} s ({})",
                                    w.seconds,
                                    crate::guidance::wait_reason(w.reason)
                                )
                            }));
                        });
                        row.col(|ui| {
                            ui.label(format!("{} ms", ex.latency_ms));
                        });
                        row.col(|ui| {
                            ui.label(ex.bytes_received.to_string());
                        });
                        if row.response().clicked() {
                            *clicked_row = Some(i);
                        }
                    });
                }
            });
    });
}

/// The run an exchange of the table belongs to (for its address and, for old logs, its form).
pub(crate) fn run_of<'a>(
    desk: &'a SupportDesk,
    on_screen: &'a RunOnScreen<'a>,
) -> Option<&'a RunRecord> {
    match desk.source {
        LogSource::Current => on_screen.record,
        // A replay's requests went to an in-process simulator that is gone: they are shown
        // (and copied) as the customer's run sent them.
        LogSource::Bundle | LogSource::Replay => desk.bundle.as_ref().map(|b| &b.record),
        LogSource::AllRuns => None,
    }
}

fn selected_ui(
    ui: &mut Ui,
    desk: &SupportDesk,
    on_screen: &RunOnScreen<'_>,
    ex: &Exchange,
    cmds: &mut Vec<Command>,
) {
    let run = run_of(desk, on_screen);
    // A live run on screen (no record open yet) went to the service in use.
    let base_url = match (desk.source, run) {
        (LogSource::Current, None) => on_screen.base_url,
        _ => None,
    };
    exchange_view_ui(ui, ex, run, base_url, cmds);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::policy::Step;

    fn ex(path: &str, status: Option<u16>, latency: u64) -> Exchange {
        Exchange {
            at: chrono::Utc::now(),
            step: Step::Poll,
            method: "GET".into(),
            path: path.into(),
            status,
            code: None,
            request_id: None,
            run_id: None,
            attempt: 1,
            wait: None,
            decision: "poll".into(),
            latency_ms: latency,
            bytes_sent: 0,
            bytes_received: 0,
            body: None,
            body_truncated: false,
            retry_after: None,
            error: None,
            simulated: true,
            interrupted: false,
            request_headers: Vec::new(),
            form: None,
            response_headers: Vec::new(),
        }
    }

    #[test]
    fn rows_filter_and_sort() {
        let log = [
            ex("/api/v1/speech/analyze/a", Some(200), 30),
            ex("/api/v1/speech/analyze/a", Some(429), 10),
            ex("/api/v1/speech/runs", Some(200), 20),
        ];
        assert_eq!(visible_rows(&log, "", SortBy::Order, true), [0, 1, 2]);
        assert_eq!(visible_rows(&log, "429", SortBy::Order, true), [1]);
        assert_eq!(visible_rows(&log, "RUNS", SortBy::Order, true), [2]);
        assert_eq!(visible_rows(&log, "", SortBy::Latency, true), [1, 2, 0]);
        assert_eq!(visible_rows(&log, "", SortBy::Status, false), [1, 2, 0]);
    }
}
