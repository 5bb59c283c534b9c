//! The Support screen: what support staff use to reproduce what a customer saw. One file per
//! panel:
//!
//! - `log_table`: the request log (of the run on screen, an opened bundle, a replay, or all
//!   runs) as a sortable, filterable table, saved as HAR on demand;
//! - `search`: the log of all runs, searched and filtered, a page at a time;
//! - `request_view`: one exchange, request and response, "Copy as curl" / "Copy as JSON";
//! - `explain`: paste an envelope, a code or a poll body and see the customer's dialog plus
//!   the technical side;
//! - `bundles`: open a bundle (file dialog, drop on the window, or a path) and replay it
//!   through an in-process simulator at any speed, step by step;
//!   export the run on screen as a bundle ("include the recording" is opt-in);
//! - `lookup`: look-up by run id (one poll) or by externalId / status / date range (the runs
//!   list), shown as a tree with the raw JSON beside it.
//!
//! Above them, a status bar with the credit balance and service health. The screen's state is
//! [`SupportDesk`], a field of the app; drawing only edits its fields and pushes
//! [`Command::Support`]. The work runs in `ui::app::support`, on the app's runtime.

mod bundles;
mod explain;
mod log_table;
mod lookup;
mod request_view;
mod search;

use egui::{RichText, Ui};

use crate::engine::reqlog::Exchange;
use crate::store::RunRecord;
use crate::support::bundle::Bundle;
use crate::support::explain::Explanation;
use crate::support::lookup::LookupResult;
use crate::support::replay::ReplayReport;
use crate::ui::app::{App, Command, SupportCommand};

pub use log_table::{LogSource, SortBy, matches_filter, visible_rows};
pub use request_view::exchange_view_ui;
pub use search::{SearchForm, SearchView};

/// Labels tests and screen readers find the widgets by.
pub mod labels {
    /// The explain box.
    pub const EXPLAIN_INPUT: &str = "Error to explain";
    /// Explains the box's text.
    pub const EXPLAIN: &str = "Explain";
    /// The run id field.
    pub const RUN_ID: &str = "Run id";
    /// Polls the run id once.
    pub const LOOK_UP: &str = "Look up run";
    /// The externalId filter.
    pub const EXTERNAL_ID: &str = "externalId";
    /// The status filter.
    pub const STATUS: &str = "Status";
    /// The created-after filter.
    pub const CREATED_AFTER: &str = "Created after";
    /// The created-before filter.
    pub const CREATED_BEFORE: &str = "Created before";
    /// Lists runs by the filters.
    pub const FIND_RUNS: &str = "Find runs";
    /// The bundle path field.
    pub const BUNDLE_PATH: &str = "Bundle file";
    /// Opens the bundle.
    pub const OPEN_BUNDLE: &str = "Open bundle";
    /// Replays the bundle.
    pub const REPLAY: &str = "Replay bundle";
    /// Where to write the export.
    pub const EXPORT_PATH: &str = "Export to";
    /// Puts the recording in the export.
    pub const INCLUDE_RECORDING: &str = "Include the recording";
    /// Writes the export.
    pub const EXPORT: &str = "Export support bundle";
    /// Filters the request log.
    pub const FILTER: &str = "Filter requests";
    /// Copies the selected request as curl.
    pub const COPY_CURL: &str = "Copy as curl";
    /// Refreshes the status bar.
    pub const REFRESH: &str = "Refresh credits and health";
    /// Copies the selected exchange as JSON.
    pub const COPY_JSON: &str = "Copy as JSON";
    /// The request half of the request view.
    pub const REQUEST: &str = "Request";
    /// The response half of the request view.
    pub const RESPONSE: &str = "Response";
    /// The log source listing every run.
    pub const ALL_RUNS: &str = "All runs";
    /// The free-text search of all runs.
    pub const SEARCH: &str = "Search requests";
    /// The error-code filter.
    pub const SEARCH_CODE: &str = "Code";
    /// The HTTP status filter.
    pub const SEARCH_STATUS: &str = "HTTP status";
    /// The run filter.
    pub const SEARCH_RUN: &str = "Run";
    /// The externalId filter of the search.
    pub const SEARCH_EXTERNAL_ID: &str = "External id";
    /// The since filter.
    pub const SEARCH_SINCE: &str = "Since";
    /// The until filter.
    pub const SEARCH_UNTIL: &str = "Until";
    /// Searches again.
    pub const SEARCH_BUTTON: &str = "Search";
    /// The previous (newer) page.
    pub const NEWER: &str = "Newer";
    /// The next (older) page.
    pub const OLDER: &str = "Older";
    /// Where to write the HAR file.
    pub const HAR_PATH: &str = "HAR file";
    /// Writes the log shown as HAR.
    pub const SAVE_HAR: &str = "Save as HAR";
    /// Opens the file dialog for a bundle.
    pub const CHOOSE_BUNDLE: &str = "Choose bundle…";
    /// The replay speed choice.
    pub const REPLAY_SPEED: &str = "Replay speed";
}

/// Below this width the panels stack instead of sitting side by side.
pub const STACK_BELOW: f32 = 760.0;

/// A replay in progress or done.
#[derive(Default)]
pub struct ReplayView {
    /// Exchanges seen so far (step by step, as they happen).
    pub exchanges: Vec<Exchange>,
    /// The current wait, in words.
    pub waiting: Option<String>,
    /// Set when the replay ended.
    pub report: Option<Result<ReplayReport, String>>,
    /// Stops the replay ("Stop replay").
    pub cancel: tokio_util::sync::CancellationToken,
}

/// The Support screen's state (a field of the app).
#[derive(Default)]
pub struct SupportDesk {
    /// The explain box.
    pub explain_input: String,
    /// What the last "Explain" found.
    pub explanation: Option<Explanation>,
    /// The text it explained.
    pub explained: String,
    /// Look-up: the run id.
    pub run_id: String,
    /// Look-up: the externalId filter.
    pub external_id: String,
    /// Look-up: the status filter.
    pub status: String,
    /// Look-up: created after.
    pub created_after: String,
    /// Look-up: created before.
    pub created_before: String,
    /// A look-up is running.
    pub looking_up: bool,
    /// The last look-up's answer.
    pub lookup: Option<LookupResult>,
    /// The bundle path typed in.
    pub bundle_path: String,
    /// The opened bundle.
    pub bundle: Option<Bundle>,
    /// A bundle is being read.
    pub opening_bundle: bool,
    /// Why the file dialog could not open.
    pub bundle_dialog_error: Option<String>,
    /// Focus the bundle path field on the next frame.
    pub focus_bundle_path: bool,
    /// Why the bundle could not be opened.
    pub bundle_error: Option<String>,
    /// The replay of the bundle.
    pub replay: Option<ReplayView>,
    /// How fast the next replay runs (the choice beside *Replay bundle*).
    pub replay_speed: crate::support::replay::ReplaySpeed,
    /// Where to export.
    pub export_path: String,
    /// Put the recording in the export (holds the candidate's voice: opt-in).
    pub include_recording: bool,
    /// An export is running.
    pub exporting: bool,
    /// The last export's result in words.
    pub export_result: Option<Result<String, String>>,
    /// Which request log the table shows.
    pub source: LogSource,
    /// The table's filter text.
    pub filter: String,
    /// The table's sort column.
    pub sort: SortBy,
    /// Sorted up (`true`) or down.
    pub descending: bool,
    /// The row picked for its body.
    pub selected: Option<usize>,
    /// The status bar: the balance in words, or why not.
    pub credits: Option<Result<String, String>>,
    /// The status bar: the health in words, or why not.
    pub health: Option<Result<String, String>>,
    /// The status bar is being refreshed.
    pub refreshing: bool,
    /// The search of all runs: the fields.
    pub search: SearchForm,
    /// The page of results shown.
    pub search_view: Option<SearchView>,
    /// Why the last search could not run (a filter that does not read).
    pub search_error: Option<String>,
    /// A search is running.
    pub searching: bool,
    /// Counts searches, so an older answer never replaces a newer one.
    pub search_generation: u64,
    /// Where "Save as HAR" writes.
    pub har_path: String,
    /// A HAR export is running.
    pub exporting_har: bool,
    /// The last HAR export's result in words.
    pub har_result: Option<Result<String, String>>,
    /// The screen has been opened (its status bar filled) at least once.
    pub opened: bool,
}

/// The run whose request log the table shows when the source is [`LogSource::Current`].
pub struct RunOnScreen<'a> {
    /// A run opened from history (or bundled from it).
    pub record: Option<&'a RunRecord>,
    /// The request log of the run on the progress screen, when no record is open.
    pub live: Option<&'a [Exchange]>,
    /// A run can be exported.
    pub can_export: bool,
    /// Where the run on screen was sent (for "Copy as curl").
    pub base_url: Option<&'a str>,
}

impl RunOnScreen<'_> {
    /// The run's exchanges (empty when none is on screen).
    pub fn exchanges(&self) -> &[Exchange] {
        self.record
            .map(|r| r.exchanges.as_slice())
            .or(self.live)
            .unwrap_or(&[])
    }
}

/// Draws the Support screen.
pub fn support_screen_ui(ui: &mut Ui, app: &mut App, cmds: &mut Vec<Command>) {
    let can_export = app.can_export_support_bundle();
    let App {
        support: desk,
        result_record,
        run,
        connection,
        ..
    } = app;
    let record = result_record.as_ref();
    let on_screen = RunOnScreen {
        record,
        live: run.as_ref().map(|r| r.exchanges.as_slice()),
        can_export,
        // A run that ran here went to the service in use.
        base_url: match record {
            Some(r) => r.base_url.as_deref(),
            None => Some(connection.base_url.as_str()),
        },
    };
    status_bar_ui(ui, desk, cmds);
    ui.separator();
    egui::ScrollArea::vertical()
        .id_salt("support_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.heading("Request log");
            log_table::log_ui(ui, desk, &on_screen, cmds);
            ui.separator();
            if ui.available_width() < STACK_BELOW {
                explain::explain_ui(ui, desk, cmds);
                ui.separator();
                bundles::bundles_ui(ui, desk, &on_screen, cmds);
            } else {
                ui.columns(2, |cols| {
                    explain::explain_ui(&mut cols[0], desk, cmds);
                    bundles::bundles_ui(&mut cols[1], desk, &on_screen, cmds);
                });
            }
            ui.separator();
            lookup::lookup_ui(ui, desk, cmds);
        });
}

fn status_bar_ui(ui: &mut Ui, desk: &SupportDesk, cmds: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        let show = |ui: &mut Ui, what: &str, v: &Option<Result<String, String>>| match v {
            None => {
                ui.label(format!("{what}: …"));
            }
            Some(Ok(t)) => {
                ui.label(format!("{what}: {t}"));
            }
            Some(Err(e)) => {
                ui.label(RichText::new(format!("{what}: {e}")).color(ui.visuals().error_fg_color));
            }
        };
        show(ui, "Credits", &desk.credits);
        ui.separator();
        show(ui, "Service", &desk.health);
        ui.separator();
        if ui
            .add_enabled(!desk.refreshing, egui::Button::new(labels::REFRESH))
            .clicked()
        {
            cmds.push(Command::Support(SupportCommand::RefreshAccount));
        }
    });
}

/// A label and a one-line text field it names.
pub(crate) fn labelled_field(ui: &mut Ui, label: &str, text: &mut String, width: f32) {
    let l = ui.label(label);
    ui.add(egui::TextEdit::singleline(text).desired_width(width))
        .labelled_by(l.id);
}
