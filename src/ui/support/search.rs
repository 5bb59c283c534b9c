//! The log of all runs on the Support screen: a search box and filters (code, HTTP status,
//! run, externalId, since, until), newest first, a page at a time. Every change searches
//! again, off the UI thread (`ui::app::support`); a row opens its request view.

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::support::search::{LoadedHit, LogPage};
use crate::ui::app::{Command, SupportCommand};
use crate::ui::support::request_view::exchange_view_ui;
use crate::ui::support::{SupportDesk, labels};

/// What the search fields hold (text as typed; read when a search starts).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchForm {
    /// Free text.
    pub text: String,
    /// Error code.
    pub code: String,
    /// HTTP status: 503, 5xx or none.
    pub status: String,
    /// Run id (req_…) or local id.
    pub run: String,
    /// externalId.
    pub external_id: String,
    /// At or after (2026-05-01, an RFC 3339 time, or an age like 2h).
    pub since: String,
    /// Before.
    pub until: String,
}

/// A page of results, as shown.
#[derive(Debug, Clone)]
pub struct SearchView {
    /// The page and its counts.
    pub page: LogPage,
    /// Its exchanges, read in full.
    pub hits: Vec<LoadedHit>,
}

fn field(ui: &mut Ui, label: &str, text: &mut String, width: f32, hint: &str) -> bool {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .desired_width(width)
            .hint_text(hint),
    )
    .labelled_by(l.id)
    .changed()
}

/// Draws the search fields, the page of results and the selected exchange.
pub fn all_runs_ui(ui: &mut Ui, desk: &mut SupportDesk, cmds: &mut Vec<Command>) {
    let mut changed = false;
    ui.horizontal_wrapped(|ui| {
        changed |= field(
            ui,
            labels::SEARCH,
            &mut desk.search.text,
            220.0,
            "text in paths, codes, ids, bodies",
        );
        changed |= field(
            ui,
            labels::SEARCH_CODE,
            &mut desk.search.code,
            150.0,
            "SERVICE_WARMING_UP",
        );
        changed |= field(
            ui,
            labels::SEARCH_STATUS,
            &mut desk.search.status,
            50.0,
            "5xx",
        );
    });
    ui.horizontal_wrapped(|ui| {
        changed |= field(ui, labels::SEARCH_RUN, &mut desk.search.run, 160.0, "req_…");
        changed |= field(
            ui,
            labels::SEARCH_EXTERNAL_ID,
            &mut desk.search.external_id,
            120.0,
            "",
        );
        changed |= field(
            ui,
            labels::SEARCH_SINCE,
            &mut desk.search.since,
            110.0,
            "2026-05-01, 2h",
        );
        changed |= field(ui, labels::SEARCH_UNTIL, &mut desk.search.until, 110.0, "");
        if ui.button(labels::SEARCH_BUTTON).clicked() {
            changed = true;
        }
        if desk.searching {
            ui.spinner();
        }
    });
    if changed {
        desk.selected = None;
        cmds.push(Command::Support(SupportCommand::Search));
    }
    if let Some(e) = &desk.search_error {
        ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
    }
    let Some(view) = &desk.search_view else {
        if !desk.searching {
            ui.label(RichText::new("Type to search every request of every run.").weak());
        }
        return;
    };
    let page = &view.page;
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(page.page > 1, egui::Button::new(labels::NEWER))
            .clicked()
        {
            desk.selected = None;
            cmds.push(Command::Support(SupportCommand::SearchPage(page.page - 1)));
        }
        ui.label(format!(
            "Page {} of {} · {} matching requests in {} runs · newest first",
            page.page, page.pages, page.total, page.runs
        ));
        if ui
            .add_enabled(page.page < page.pages, egui::Button::new(labels::OLDER))
            .clicked()
        {
            desk.selected = None;
            cmds.push(Command::Support(SupportCommand::SearchPage(page.page + 1)));
        }
    });
    if view.hits.is_empty() {
        ui.label("No request matches.");
        return;
    }
    let mut clicked = None;
    egui::ScrollArea::horizontal()
        .id_salt("all_runs_scroll")
        .show(ui, |ui| {
            ui.push_id("all_runs_table", |ui| {
                TableBuilder::new(ui)
                    .striped(true)
                    .resizable(true)
                    .sense(egui::Sense::click())
                    .max_scroll_height(300.0)
                    .column(Column::auto().at_least(150.0))
                    .column(Column::auto().at_least(150.0).clip(true))
                    .column(Column::auto().at_least(50.0))
                    .column(Column::auto().at_least(160.0))
                    .column(Column::auto().at_least(260.0).clip(true))
                    .header(22.0, |mut h| {
                        for name in ["Time (UTC)", "Run", "Status", "Code", "Request"] {
                            h.col(|ui| {
                                ui.strong(name);
                            });
                        }
                    })
                    .body(|mut body| {
                        for (i, hit) in view.hits.iter().enumerate() {
                            let ex = &hit.exchange;
                            body.row(20.0, |mut row| {
                                row.set_selected(desk.selected == Some(i));
                                row.col(|ui| {
                                    ui.label(ex.at.format("%Y-%m-%d %H:%M:%S").to_string());
                                });
                                row.col(|ui| {
                                    let run = ex
                                        .run_id
                                        .as_deref()
                                        .or(hit.run.run_id.as_deref())
                                        .unwrap_or(&hit.run.local_id);
                                    ui.label(RichText::new(run).monospace().small());
                                });
                                row.col(|ui| {
                                    ui.label(ex.status.map_or("—".into(), |s| s.to_string()));
                                });
                                row.col(|ui| {
                                    ui.label(match (&ex.code, &ex.error) {
                                        (Some(c), _) => c.to_string(),
                                        (None, Some(_)) => "no reply".into(),
                                        _ => String::new(),
                                    });
                                });
                                row.col(|ui| {
                                    if ui
                                        .selectable_label(
                                            desk.selected == Some(i),
                                            RichText::new(format!("{} {}", ex.method, ex.path))
                                                .monospace(),
                                        )
                                        .clicked()
                                    {
                                        clicked = Some(i);
                                    }
                                });
                                if row.response().clicked() {
                                    clicked = Some(i);
                                }
                            });
                        }
                    });
            });
        });
    if let Some(i) = clicked {
        desk.selected = if desk.selected == Some(i) {
            None
        } else {
            Some(i)
        };
    }
    if let Some(hit) = desk
        .selected
        .and_then(|i| desk.search_view.as_ref()?.hits.get(i))
    {
        let run = hit.run.clone();
        let ex = hit.exchange.clone();
        exchange_view_ui(ui, &ex, Some(&run), None, cmds);
    }
}
