//! The Support screen: what support staff use to reproduce what a customer saw.
//!
//! - the request log (of the run on screen, an opened bundle, or a replay) as a sortable,
//!   filterable table; pick a row for its body, "Copy as curl";
//! - an explain box: paste an envelope, a code or a poll body and see the customer's dialog
//!   plus the technical side;
//! - look-up by run id (one poll) or by externalId / status / date range (the runs list),
//!   shown as a tree with the raw JSON beside it;
//! - open a bundle and replay it through an in-process simulator, step by step;
//! - export the run on screen as a bundle ("include the recording" is opt-in);
//! - a status bar with the credit balance and service health, refreshed on demand, when the
//!   screen opens and after each run.
//!
//! All network and file work runs on the app's runtime; results come back over a channel
//! followed by a repaint, so the UI thread never waits.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use serde_json::Value;

use crate::api::client::{ApiClient, ApiKey, RunsFilter};
use crate::engine::events::JobEvent;
use crate::engine::reqlog::Exchange;
use crate::store::{RunRecord, Settings};
use crate::support::bundle::{Bundle, BundleOptions, read_bundle, write_bundle};
use crate::support::explain::{Explanation, explain};
use crate::support::lookup::{LookupResult, list_runs, poll_run};
use crate::support::replay::{ReplayReport, replay, signature};
use crate::ui::app::{App, Command};
use crate::ui::commands::{command_for_action, dialog_for};
use crate::ui::dialogs::ErrorDialog;

/// Labels tests and screen readers find the widgets by.
pub mod labels {
    pub const EXPLAIN_INPUT: &str = "Error to explain";
    pub const EXPLAIN: &str = "Explain";
    pub const RUN_ID: &str = "Run id";
    pub const LOOK_UP: &str = "Look up run";
    pub const EXTERNAL_ID: &str = "externalId";
    pub const STATUS: &str = "Status";
    pub const CREATED_AFTER: &str = "Created after";
    pub const CREATED_BEFORE: &str = "Created before";
    pub const FIND_RUNS: &str = "Find runs";
    pub const BUNDLE_PATH: &str = "Bundle file";
    pub const OPEN_BUNDLE: &str = "Open bundle";
    pub const REPLAY: &str = "Replay bundle";
    pub const EXPORT_PATH: &str = "Export to";
    pub const INCLUDE_RECORDING: &str = "Include the recording";
    pub const EXPORT: &str = "Export support bundle";
    pub const FILTER: &str = "Filter requests";
    pub const COPY_CURL: &str = "Copy as curl";
    pub const REFRESH: &str = "Refresh credits and health";
}

/// What the app gives the screen each frame.
#[derive(Clone)]
pub struct SupportEnv<'a> {
    /// The app's runtime: every request and file operation runs there.
    pub rt: tokio::runtime::Handle,
    /// The service in use (the key only travels in the client's header).
    pub base_url: String,
    pub key: Option<ApiKey>,
    /// The run on screen (its request log, and what "Export" bundles).
    pub record: Option<&'a RunRecord>,
    /// The request log of a run still in flight, when no finished run is on screen.
    pub live: Option<&'a [Exchange]>,
    /// That run's id once accepted, and whether it has ended.
    pub live_run_id: Option<String>,
    pub live_finished: bool,
    /// Where finished runs are kept (to bundle a run that just ended on screen).
    pub history: Option<crate::store::History>,
    pub settings: &'a Settings,
    /// The input device in use, for the bundle's manifest.
    pub device: Option<String>,
}

/// Which request log the table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSource {
    /// The run on screen.
    Current,
    /// The opened bundle's original run.
    Bundle,
    /// The replay of the bundle.
    Replay,
}

/// Table columns that sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Order,
    Status,
    Code,
    Latency,
    Path,
}

/// Background results.
enum DeskEvent {
    Looked(LookupResult),
    Account {
        credits: Result<String, String>,
        health: Result<String, String>,
    },
    BundleOpened(PathBuf, Result<Box<Bundle>, String>),
    Exported(Result<String, String>),
    Replay(JobEvent),
    Replayed(Box<Result<ReplayReport, String>>),
}

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

/// The Support screen's state.
pub struct SupportDesk {
    tx: Sender<DeskEvent>,
    rx: Receiver<DeskEvent>,
    /// The explain box.
    pub explain_input: String,
    pub explanation: Option<Explanation>,
    /// Look-up fields.
    pub run_id: String,
    pub external_id: String,
    pub status: String,
    pub created_after: String,
    pub created_before: String,
    pub looking_up: bool,
    pub lookup: Option<LookupResult>,
    /// Bundle and replay.
    pub bundle_path: String,
    pub bundle: Option<Bundle>,
    pub bundle_error: Option<String>,
    pub replay: Option<ReplayView>,
    /// Export.
    pub export_path: String,
    pub include_recording: bool,
    pub export_result: Option<Result<String, String>>,
    /// The log table.
    pub source: LogSource,
    pub filter: String,
    pub sort: SortBy,
    pub ascending: bool,
    pub selected: Option<usize>,
    /// The status bar.
    pub credits: Option<Result<String, String>>,
    pub health: Option<Result<String, String>>,
    pub refreshing: bool,
    /// The run last seen finished, to refresh the status bar after each run.
    seen_run: Option<(String, bool)>,
    opened: bool,
}

impl Default for SupportDesk {
    fn default() -> Self {
        let (tx, rx) = channel();
        SupportDesk {
            tx,
            rx,
            explain_input: String::new(),
            explanation: None,
            run_id: String::new(),
            external_id: String::new(),
            status: String::new(),
            created_after: String::new(),
            created_before: String::new(),
            looking_up: false,
            lookup: None,
            bundle_path: String::new(),
            bundle: None,
            bundle_error: None,
            replay: None,
            export_path: String::new(),
            include_recording: false,
            export_result: None,
            source: LogSource::Current,
            filter: String::new(),
            sort: SortBy::Order,
            ascending: true,
            selected: None,
            credits: None,
            health: None,
            refreshing: false,
            seen_run: None,
            opened: false,
        }
    }
}

/// Sends results to the desk and wakes the UI.
#[derive(Clone)]
struct Reply {
    tx: Sender<DeskEvent>,
    ctx: egui::Context,
}

impl Reply {
    fn send(&self, e: DeskEvent) {
        // A closed channel means the screen is gone; nobody is left to tell.
        let _ = self.tx.send(e);
        self.ctx.request_repaint();
    }
}

/// Draws the Support screen for the app (the desk lives in egui's memory, so the app shell
/// needs no field for it).
pub fn support_screen_ui(ui: &mut Ui, app: &App, cmds: &mut Vec<Command>) {
    let id = egui::Id::unique("support_desk");
    let desk: Arc<Mutex<SupportDesk>> = ui.data_mut(|d| {
        d.get_temp_mut_or_insert_with(id, || Arc::new(Mutex::new(SupportDesk::default())))
            .clone()
    });
    let record = app.result_record.as_ref();
    let env = SupportEnv {
        rt: app.rt.handle().clone(),
        base_url: app.connection.base_url.clone(),
        key: app.connection.key.clone(),
        record,
        live: app.run.as_ref().map(|r| r.exchanges.as_slice()),
        live_run_id: app.run.as_ref().and_then(|r| r.run_id.clone()),
        live_finished: app
            .run
            .as_ref()
            .is_some_and(|r| r.stage == crate::ui::progress::Stage::Finished),
        history: Some(app.history.clone()),
        settings: &app.settings,
        device: app.state.device.clone(),
    };
    if let Ok(mut desk) = desk.lock() {
        desk.ui(ui, &env, cmds);
    }
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

fn dialog_for_explanation(e: &Explanation) -> ErrorDialog {
    let g = &e.guidance;
    let mut d = ErrorDialog {
        title: g.title.clone(),
        body: g.body.clone(),
        code: g
            .code
            .as_ref()
            .map_or("NETWORK_ERROR".to_string(), |c| c.to_string()),
        message: String::new(),
        request_id: e.request_id.clone(),
        run_id: e.run_id.clone(),
        http_status: e.http_status,
        action: None,
        at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    d.action = command_for_action(&g.action, &d.support_summary());
    d
}

/// The customer's dialog, drawn inline (same words and button as the modal).
fn dialog_preview_ui(ui: &mut Ui, d: &ErrorDialog) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new(&d.title).heading().strong());
        ui.label(&d.body);
        let mut facts = vec![d.code.clone()];
        if let Some(s) = d.http_status {
            facts.push(format!("HTTP {s}"));
        }
        if let Some(r) = &d.request_id {
            facts.push(format!("requestId {r}"));
        }
        if let Some(r) = &d.run_id {
            facts.push(format!("run {r}"));
        }
        ui.label(RichText::new(facts.join(" · ")).monospace().small().weak());
        let label = d.action.as_ref().map_or("OK", |(l, _)| l.as_str());
        ui.add_enabled(false, egui::Button::new(RichText::new(label).strong()))
            .on_disabled_hover_text("The button the customer saw");
    });
}

/// A JSON value as a collapsible tree.
fn json_tree_ui(ui: &mut Ui, name: &str, v: &Value, id: egui::Id) {
    match v {
        Value::Object(map) => {
            egui::CollapsingHeader::new(format!("{name} {{{}}}", map.len()))
                .id_salt(id)
                .default_open(true)
                .show(ui, |ui| {
                    for (k, child) in map {
                        json_tree_ui(ui, k, child, id.with(k));
                    }
                });
        }
        Value::Array(items) => {
            egui::CollapsingHeader::new(format!("{name} [{}]", items.len()))
                .id_salt(id)
                .default_open(items.len() <= 20)
                .show(ui, |ui| {
                    for (i, child) in items.iter().enumerate() {
                        json_tree_ui(ui, &i.to_string(), child, id.with(i));
                    }
                });
        }
        leaf => {
            ui.label(RichText::new(format!("{name}: {leaf}")).monospace());
        }
    }
}

fn labelled_field(ui: &mut Ui, label: &str, text: &mut String, width: f32) {
    let l = ui.label(label);
    ui.add(egui::TextEdit::singleline(text).desired_width(width))
        .labelled_by(l.id);
}

impl SupportDesk {
    fn reply(&self, ui: &Ui) -> Reply {
        Reply {
            tx: self.tx.clone(),
            ctx: ui.ctx().clone(),
        }
    }

    fn client(env: &SupportEnv<'_>, with_key: bool) -> Result<ApiClient, String> {
        let key = if with_key { env.key.clone() } else { None };
        ApiClient::new(&env.base_url, key).map_err(|e| e.to_string())
    }

    fn handle_events(&mut self) {
        while let Ok(e) = self.rx.try_recv() {
            match e {
                DeskEvent::Looked(r) => {
                    self.looking_up = false;
                    self.lookup = Some(r);
                }
                DeskEvent::Account { credits, health } => {
                    self.refreshing = false;
                    self.credits = Some(credits);
                    self.health = Some(health);
                }
                DeskEvent::BundleOpened(path, Ok(b)) => {
                    self.bundle_error = None;
                    self.bundle_path = path.display().to_string();
                    self.bundle = Some(*b);
                    self.replay = None;
                    self.source = LogSource::Bundle;
                    self.selected = None;
                }
                DeskEvent::BundleOpened(_, Err(e)) => self.bundle_error = Some(e),
                DeskEvent::Exported(r) => self.export_result = Some(r),
                DeskEvent::Replay(JobEvent::Exchange(ex)) => {
                    if let Some(r) = &mut self.replay {
                        r.waiting = None;
                        r.exchanges.push(ex);
                    }
                }
                DeskEvent::Replay(JobEvent::Waiting {
                    reason, seconds, ..
                }) => {
                    if let Some(r) = &mut self.replay {
                        r.waiting = Some(format!(
                            "{} — {seconds:.1} s",
                            crate::guidance::wait_reason(reason)
                        ));
                    }
                }
                DeskEvent::Replay(_) => {}
                DeskEvent::Replayed(result) => {
                    if let Some(r) = &mut self.replay {
                        r.waiting = None;
                        r.report = Some(*result);
                    }
                }
            }
        }
    }

    /// Asks for the credit balance (with the key) and the health (without).
    pub fn refresh_account(&mut self, ui: &Ui, env: &SupportEnv<'_>) {
        self.refreshing = true;
        let reply = self.reply(ui);
        let keyed = Self::client(env, true);
        let open = Self::client(env, false);
        env.rt.spawn(async move {
            let credits = match keyed {
                Ok(c) => match c.credits().await.result {
                    Ok(info) => Ok(match (info.balance(), info.available()) {
                        (Some(b), Some(a)) => format!("{b} credits ({a} available)"),
                        (Some(b), None) => format!("{b} credits"),
                        _ => info.raw.to_string(),
                    }),
                    Err(e) => Err(e.to_string()),
                },
                Err(e) => Err(e),
            };
            let health = match open {
                Ok(c) => match c.health().await.result {
                    Ok(h) if h.healthy => Ok(format!("healthy (HTTP {})", h.http_status)),
                    Ok(h) => Err(format!("unhealthy (HTTP {})", h.http_status)),
                    Err(e) => Err(e.to_string()),
                },
                Err(e) => Err(e),
            };
            reply.send(DeskEvent::Account { credits, health });
        });
    }

    fn look_up_run(&mut self, ui: &Ui, env: &SupportEnv<'_>) {
        let id = self.run_id.trim().to_string();
        if id.is_empty() {
            return;
        }
        let client = match Self::client(env, true) {
            Ok(c) => c,
            Err(e) => {
                self.lookup = Some(LookupResult {
                    request: format!("GET /api/v1/speech/analyze/{id}"),
                    status: None,
                    body: Value::Null,
                    error: Some(e),
                });
                return;
            }
        };
        self.looking_up = true;
        let reply = self.reply(ui);
        env.rt.spawn(async move {
            reply.send(DeskEvent::Looked(poll_run(&client, &id).await));
        });
    }

    fn find_runs(&mut self, ui: &Ui, env: &SupportEnv<'_>) {
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let filter = RunsFilter {
            external_id: opt(&self.external_id),
            status: opt(&self.status),
            created_after: opt(&self.created_after),
            created_before: opt(&self.created_before),
        };
        let client = match Self::client(env, true) {
            Ok(c) => c,
            Err(e) => {
                self.lookup = Some(LookupResult {
                    request: "GET /api/v1/speech/runs".into(),
                    status: None,
                    body: Value::Null,
                    error: Some(e),
                });
                return;
            }
        };
        self.looking_up = true;
        let reply = self.reply(ui);
        env.rt.spawn(async move {
            reply.send(DeskEvent::Looked(list_runs(&client, &filter).await));
        });
    }

    fn open_bundle(&mut self, ui: &Ui, env: &SupportEnv<'_>) {
        let path = PathBuf::from(self.bundle_path.trim());
        let reply = self.reply(ui);
        env.rt.spawn_blocking(move || {
            let b = read_bundle(&path).map(Box::new).map_err(|e| e.to_string());
            reply.send(DeskEvent::BundleOpened(path, b));
        });
    }

    fn start_replay(&mut self, ui: &Ui, env: &SupportEnv<'_>) {
        let Some(bundle) = self.bundle.clone() else {
            return;
        };
        let cancel = tokio_util::sync::CancellationToken::new();
        self.replay = Some(ReplayView {
            cancel: cancel.clone(),
            ..ReplayView::default()
        });
        self.source = LogSource::Replay;
        self.selected = None;
        let reply = self.reply(ui);
        let events = reply.clone();
        let sink: crate::engine::EventSink =
            Arc::new(move |e: JobEvent| events.send(DeskEvent::Replay(e)));
        env.rt.spawn(async move {
            let scratch =
                std::env::temp_dir().join(format!("speech-scorer-replay-{}", uuid::Uuid::new_v4()));
            let result = replay(&bundle, &scratch, Duration::from_secs(3600), sink, cancel)
                .await
                .map_err(|e| e.to_string());
            let _ = tokio::fs::remove_dir_all(&scratch).await;
            reply.send(DeskEvent::Replayed(Box::new(result)));
        });
    }

    fn can_export(env: &SupportEnv<'_>) -> bool {
        env.record.is_some() || (env.live_run_id.is_some() && env.history.is_some())
    }

    fn export(&mut self, ui: &Ui, env: &SupportEnv<'_>) {
        let record = env.record.cloned();
        let from_history = env.history.clone().zip(env.live_run_id.clone());
        let out = PathBuf::from(self.export_path.trim());
        let settings = env.settings.clone();
        let opts = BundleOptions {
            include_recording: self.include_recording,
            audio_device: env.device.clone(),
            secret: env.key.as_ref().map(|k| k.expose().to_string()),
        };
        let reply = self.reply(ui);
        env.rt.spawn_blocking(move || {
            // A run that just ended on screen is read back from history, with its full log.
            let record = match (record, from_history) {
                (Some(r), _) => Ok(r),
                (None, Some((history, run_id))) => match history.find_by_run_id(&run_id) {
                    Ok(Some(r)) => Ok(r),
                    Ok(None) => Err(format!("run {run_id} is not in the history yet")),
                    Err(e) => Err(e.to_string()),
                },
                (None, None) => Err("no run on screen".to_string()),
            };
            let r = record
                .and_then(|record| {
                    write_bundle(&record, &settings, &opts, &out).map_err(|e| e.to_string())
                })
                .map(|m| {
                    format!(
                        "Wrote {} ({} requests{})",
                        out.display(),
                        m.exchanges,
                        if m.includes_recording {
                            ", with the recording"
                        } else {
                            ""
                        }
                    )
                });
            reply.send(DeskEvent::Exported(r));
        });
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut Ui, env: &SupportEnv<'_>, cmds: &mut Vec<Command>) {
        self.handle_events();
        // Refresh the status bar when the screen opens and whenever a run has ended.
        let run_state = match (env.record, &env.live_run_id) {
            (Some(r), _) => Some((r.local_id.clone(), r.outcome.is_some())),
            (None, Some(id)) => Some((id.clone(), env.live_finished)),
            (None, None) => None,
        };
        if !self.opened || (run_state != self.seen_run && run_state.as_ref().is_some_and(|s| s.1)) {
            self.opened = true;
            self.refresh_account(ui, env);
        }
        self.seen_run = run_state;

        self.status_bar_ui(ui, env);
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("support_scroll")
            .show(ui, |ui| {
                ui.heading("Request log");
                self.log_ui(ui, env, cmds);
                ui.separator();
                ui.columns(2, |cols| {
                    self.explain_ui(&mut cols[0]);
                    self.bundle_ui(&mut cols[1], env);
                });
                ui.separator();
                self.lookup_ui(ui, env);
            });
    }

    fn status_bar_ui(&mut self, ui: &mut Ui, env: &SupportEnv<'_>) {
        ui.horizontal(|ui| {
            let show = |ui: &mut Ui, what: &str, v: &Option<Result<String, String>>| match v {
                None => {
                    ui.label(format!("{what}: …"));
                }
                Some(Ok(t)) => {
                    ui.label(format!("{what}: {t}"));
                }
                Some(Err(e)) => {
                    ui.label(
                        RichText::new(format!("{what}: {e}")).color(ui.visuals().error_fg_color),
                    );
                }
            };
            show(ui, "Credits", &self.credits);
            ui.separator();
            show(ui, "Service", &self.health);
            ui.separator();
            if ui
                .add_enabled(!self.refreshing, egui::Button::new(labels::REFRESH))
                .clicked()
            {
                self.refresh_account(ui, env);
            }
        });
    }

    fn exchanges<'a>(&'a self, env: &SupportEnv<'a>) -> &'a [Exchange] {
        match self.source {
            LogSource::Current => env
                .record
                .map(|r| r.exchanges.as_slice())
                .or(env.live)
                .unwrap_or(&[]),
            LogSource::Bundle => self
                .bundle
                .as_ref()
                .map_or(&[][..], |b| b.record.exchanges.as_slice()),
            LogSource::Replay => self
                .replay
                .as_ref()
                .map_or(&[][..], |r| r.exchanges.as_slice()),
        }
    }

    fn log_ui(&mut self, ui: &mut Ui, env: &SupportEnv<'_>, cmds: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            let before = self.source;
            ui.selectable_value(&mut self.source, LogSource::Current, "Run on screen");
            if self.bundle.is_some() {
                ui.selectable_value(&mut self.source, LogSource::Bundle, "Bundle (original)");
            }
            if self.replay.is_some() {
                ui.selectable_value(&mut self.source, LogSource::Replay, "Replay");
            }
            if before != self.source {
                self.selected = None;
            }
            ui.separator();
            labelled_field(ui, labels::FILTER, &mut self.filter, 160.0);
        });
        let exchanges = self.exchanges(env).to_vec();
        if exchanges.is_empty() {
            ui.label(match self.source {
                LogSource::Current => "No run on screen: open one from History, or open a bundle.",
                _ => "No requests yet.",
            });
            return;
        }
        let rows = visible_rows(&exchanges, &self.filter, self.sort, self.ascending);
        let mut clicked_sort = None;
        let mut clicked_row = None;
        let base_url = match self.source {
            LogSource::Current => env.record.and_then(|r| r.base_url.clone()),
            _ => None,
        };
        ui.push_id(("log_table", self.source as u8), |ui| {
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
                .column(Column::remainder().at_least(60.0))
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
                                let arrow = if self.sort == s {
                                    if self.ascending { " (up)" } else { " (down)" }
                                } else {
                                    ""
                                };
                                if ui
                                    .button(RichText::new(format!("{name}{arrow}")).strong())
                                    .on_hover_text(format!("Sort by {name}"))
                                    .clicked()
                                {
                                    clicked_sort = Some(s);
                                }
                            }
                            None => {
                                ui.strong(name);
                            }
                        });
                    }
                })
                .body(|mut body| {
                    for &i in &rows {
                        let ex = &exchanges[i];
                        body.row(20.0, |mut row| {
                            row.set_selected(self.selected == Some(i));
                            row.col(|ui| {
                                ui.label((i + 1).to_string());
                            });
                            row.col(|ui| {
                                ui.label(ex.at.format("%H:%M:%S%.3f").to_string());
                            });
                            row.col(|ui| {
                                // A selectable label, so keyboards and screen readers can
                                // pick the row too.
                                if ui
                                    .selectable_label(
                                        self.selected == Some(i),
                                        RichText::new(format!("{} {}", ex.method, ex.path))
                                            .monospace(),
                                    )
                                    .clicked()
                                {
                                    clicked_row = Some(i);
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
                                clicked_row = Some(i);
                            }
                        });
                    }
                });
        });
        if let Some(s) = clicked_sort {
            if self.sort == s {
                self.ascending = !self.ascending;
            } else {
                self.sort = s;
                self.ascending = true;
            }
        }
        if let Some(i) = clicked_row {
            self.selected = if self.selected == Some(i) {
                None
            } else {
                Some(i)
            };
        }
        ui.label(
            RichText::new(format!(
                "{} of {} requests shown · click a row for its body",
                rows.len(),
                exchanges.len()
            ))
            .small()
            .weak(),
        );
        if let Some(ex) = self.selected.and_then(|i| exchanges.get(i)) {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.strong(format!("{} {}", ex.method, ex.path));
                    if ui.button(labels::COPY_CURL).clicked() {
                        let run = match self.source {
                            LogSource::Current => env.record,
                            LogSource::Bundle => self.bundle.as_ref().map(|b| &b.record),
                            LogSource::Replay => None,
                        };
                        cmds.push(Command::CopyToClipboard {
                            text: crate::support::curl::to_curl_with(ex, base_url.as_deref(), run),
                            what: "curl command",
                        });
                    }
                });
                ui.label(format!("What the app decided: {}", ex.decision));
                if let Some(r) = &ex.request_id {
                    ui.label(format!("requestId: {r}"));
                }
                if let Some(e) = &ex.error {
                    ui.label(format!("Error: {e}"));
                }
                if let Some(r) = ex.retry_after {
                    ui.label(format!("Retry-After: {r} s"));
                }
                let body = ex.body.as_deref().unwrap_or("(no body)");
                let pretty = serde_json::from_str::<Value>(body)
                    .ok()
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or_else(|| body.to_string());
                egui::ScrollArea::vertical()
                    .id_salt("exchange_body")
                    .max_height(180.0)
                    .show(ui, |ui| {
                        ui.label(RichText::new(pretty).monospace().small());
                    });
            });
        }
    }

    fn explain_ui(&mut self, ui: &mut Ui) {
        ui.heading("Explain an error");
        let l = ui.label(labels::EXPLAIN_INPUT);
        ui.add(
            egui::TextEdit::multiline(&mut self.explain_input)
                .desired_rows(4)
                .hint_text("An error envelope, a code, a poll body or a --json outcome")
                .code_editor(),
        )
        .labelled_by(l.id);
        if ui.button(labels::EXPLAIN).clicked() && !self.explain_input.trim().is_empty() {
            self.explanation = Some(explain(&self.explain_input));
        }
        if let Some(e) = &self.explanation {
            ui.label(RichText::new("What the customer saw:").small().weak());
            dialog_preview_ui(ui, &dialog_for_explanation(e));
            ui.label(RichText::new("The technical side:").small().weak());
            for line in e.technical_lines() {
                ui.label(line);
            }
        }
    }

    fn bundle_ui(&mut self, ui: &mut Ui, env: &SupportEnv<'_>) {
        ui.heading("Bundles");
        ui.horizontal(|ui| {
            labelled_field(ui, labels::BUNDLE_PATH, &mut self.bundle_path, 200.0);
            if ui.button(labels::OPEN_BUNDLE).clicked() && !self.bundle_path.trim().is_empty() {
                self.open_bundle(ui, env);
            }
        });
        if let Some(e) = &self.bundle_error {
            ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
        }
        let mut replay_clicked = false;
        if let Some(b) = &self.bundle {
            let m = &b.manifest;
            ui.label(format!(
                "Run {} · {} · {} requests · app {} on {} {}",
                m.run_id.as_deref().unwrap_or("(none)"),
                m.outcome.as_deref().unwrap_or("unfinished"),
                m.exchanges,
                m.app_version,
                m.os,
                m.arch
            ));
            if let Some(f) = &m.audio.format {
                ui.label(format!(
                    "Audio: {f}, {} s{}",
                    m.audio.duration_ms.unwrap_or(0) / 1000,
                    m.audio
                        .device
                        .as_deref()
                        .map_or(String::new(), |d| format!(", from {d}"))
                ));
            }
            let running = self.replay.as_ref().is_some_and(|r| r.report.is_none());
            replay_clicked = ui
                .add_enabled(!running, egui::Button::new(labels::REPLAY))
                .clicked();
        }
        if replay_clicked {
            self.start_replay(ui, env);
        }
        if let Some(r) = &self.replay {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                for (i, ex) in r.exchanges.iter().enumerate() {
                    ui.label(RichText::new(format!("{}. {}", i + 1, signature(ex))).monospace());
                }
                if let Some(w) = &r.waiting {
                    ui.label(RichText::new(w).weak());
                }
                match &r.report {
                    None => {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label("Replaying…");
                            if ui.button("Stop replay").clicked() {
                                r.cancel.cancel();
                            }
                        });
                    }
                    Some(Err(e)) => {
                        ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
                    }
                    Some(Ok(rep)) => {
                        let verdict = if rep.matches() {
                            "Replay matches the original: same requests, same outcome".to_string()
                        } else {
                            format!(
                                "Replay differs from the original: {}",
                                rep.first_difference()
                                    .unwrap_or_else(|| "the outcome differs".into())
                            )
                        };
                        ui.label(RichText::new(verdict).strong());
                        ui.label(format!("Outcome: {}", rep.outcome.kind.as_str()));
                        if let Some(err) = &rep.outcome.error {
                            dialog_preview_ui(ui, &dialog_for(err, rep.outcome.run_id.as_deref()));
                        }
                    }
                }
            });
        }
        ui.add_space(6.0);
        ui.label(RichText::new("Export the run on screen").strong());
        if !Self::can_export(env) {
            ui.label(RichText::new("Open a run from History first.").weak());
            return;
        }
        ui.horizontal(|ui| {
            labelled_field(ui, labels::EXPORT_PATH, &mut self.export_path, 200.0);
        });
        ui.checkbox(&mut self.include_recording, labels::INCLUDE_RECORDING)
            .on_hover_text(
                "The recording holds the candidate's voice: include it only with consent",
            );
        if ui.button(labels::EXPORT).clicked() && !self.export_path.trim().is_empty() {
            self.export(ui, env);
        }
        match &self.export_result {
            Some(Ok(t)) => {
                ui.label(t);
            }
            Some(Err(e)) => {
                ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
            }
            None => {}
        }
    }

    fn lookup_ui(&mut self, ui: &mut Ui, env: &SupportEnv<'_>) {
        ui.heading("Look up a run on the service");
        ui.horizontal(|ui| {
            labelled_field(ui, labels::RUN_ID, &mut self.run_id, 240.0);
            if ui
                .add_enabled(!self.looking_up, egui::Button::new(labels::LOOK_UP))
                .clicked()
            {
                self.look_up_run(ui, env);
            }
        });
        ui.horizontal_wrapped(|ui| {
            labelled_field(ui, labels::EXTERNAL_ID, &mut self.external_id, 140.0);
            labelled_field(ui, labels::STATUS, &mut self.status, 80.0);
            labelled_field(ui, labels::CREATED_AFTER, &mut self.created_after, 150.0);
            labelled_field(ui, labels::CREATED_BEFORE, &mut self.created_before, 150.0);
            if ui
                .add_enabled(!self.looking_up, egui::Button::new(labels::FIND_RUNS))
                .clicked()
            {
                self.find_runs(ui, env);
            }
        });
        if self.looking_up {
            ui.spinner();
        }
        let Some(r) = &self.lookup else { return };
        ui.label(
            RichText::new(format!(
                "{} → {}",
                r.request,
                r.status.map_or("no reply".into(), |s| format!("HTTP {s}"))
            ))
            .monospace(),
        );
        if let Some(e) = &r.error {
            ui.label(RichText::new(e).color(ui.visuals().error_fg_color));
        }
        let raw = serde_json::to_string_pretty(&r.body).unwrap_or_default();
        ui.columns(2, |cols| {
            egui::ScrollArea::vertical()
                .id_salt("lookup_tree")
                .max_height(320.0)
                .show(&mut cols[0], |ui| {
                    json_tree_ui(ui, "body", &r.body, egui::Id::unique("lookup_json"));
                });
            egui::ScrollArea::vertical()
                .id_salt("lookup_raw")
                .max_height(320.0)
                .show(&mut cols[1], |ui| {
                    ui.label(RichText::new(raw).monospace().small());
                });
        });
    }
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
