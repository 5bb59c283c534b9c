//! The Support screen's side effects: look-ups on the service, the credits/health bar,
//! opening (path, file dialog, drop), replaying and exporting bundles, searching the log of
//! all runs and saving a log as HAR. Each runs on the app's runtime and reports back as an
//! [`AppEvent::Support`]; the screen's state is `App::support`.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use crate::api::client::{ApiClient, RunsFilter};
use crate::engine::events::JobEvent;
use crate::support::bundle::{Bundle, BundleOptions, read_bundle, write_bundle};
use crate::support::lookup::{LookupResult, list_runs, poll_run};
use crate::support::replay::{ReplayOptions, ReplayReport, replay};
use crate::support::search::{LogQuery, PAGE_SIZE, StatusFilter, load_hits, parse_time, search};
use crate::ui::app::{App, AppEvent, Screen, SupportCommand};
use crate::ui::ports::Picked;
use crate::ui::support::{LogSource, ReplayView, SearchForm, SearchView};

/// What comes back from the Support screen's background work.
#[derive(Debug)]
pub enum SupportEvent {
    /// A run look-up or runs list answered.
    Looked(LookupResult),
    /// The status bar's numbers.
    Account {
        /// The balance in words, or why not.
        credits: Result<String, String>,
        /// The health in words, or why not.
        health: Result<String, String>,
    },
    /// A bundle was read.
    BundleOpened(PathBuf, Result<Box<Bundle>, String>),
    /// The export ended.
    Exported(Result<String, String>),
    /// An event of the replay in progress.
    Replay(Box<JobEvent>),
    /// The replay ended.
    Replayed(Box<Result<ReplayReport, String>>),
    /// The file dialog for a bundle closed.
    BundlePicked(Picked),
    /// A search of all runs answered (`generation` tells the latest from older ones).
    Searched {
        /// Which search.
        generation: u64,
        /// The page, or why not.
        result: Result<Box<SearchView>, String>,
    },
    /// A HAR export ended.
    HarSaved(Result<String, String>),
}

/// The search fields as a query; the first field that does not read says why.
pub fn query_from_form(form: &SearchForm) -> Result<LogQuery, String> {
    let now = chrono::Utc::now();
    let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let time = |s: &str| opt(s).map(|t| parse_time(&t, now)).transpose();
    Ok(LogQuery {
        code: opt(&form.code),
        status: opt(&form.status)
            .map(|s| s.parse::<StatusFilter>())
            .transpose()?,
        run: opt(&form.run),
        external_id: opt(&form.external_id),
        since: time(&form.since)?,
        until: time(&form.until)?,
        text: opt(&form.text),
    })
}

impl App {
    /// Shows the Support screen; the status bar is filled the first time it opens.
    pub(crate) fn open_support(&mut self) {
        self.state.screen = Screen::Support;
        if !self.support.opened {
            self.support.opened = true;
            self.support_refresh_account();
        }
    }

    fn support_client(&self, with_key: bool) -> Result<ApiClient, String> {
        if !self.connection.is_ready() {
            return Err("The built-in simulator is still starting.".into());
        }
        let key = if with_key {
            self.connection.key.clone()
        } else {
            None
        };
        ApiClient::new(&self.connection.base_url, key).map_err(|e| e.to_string())
    }

    pub(crate) fn run_support_command(&mut self, command: SupportCommand) {
        match command {
            SupportCommand::RefreshAccount => self.support_refresh_account(),
            SupportCommand::Explain => {
                let text = self.support.explain_input.trim().to_string();
                if !text.is_empty() {
                    self.support.explanation = Some(crate::support::explain::explain(&text));
                    self.support.explained = text;
                }
            }
            SupportCommand::LookUpRun => self.support_look_up_run(),
            SupportCommand::FindRuns => self.support_find_runs(),
            SupportCommand::OpenBundle => self.support_open_bundle(),
            SupportCommand::StartReplay => self.support_start_replay(),
            SupportCommand::StopReplay => {
                if let Some(r) = &self.support.replay {
                    r.cancel.cancel();
                }
            }
            SupportCommand::Export => self.support_export(),
            SupportCommand::ChooseBundle => {
                self.support.bundle_dialog_error = None;
                let sender = self.sender.clone();
                self.config.file_picker.pick_bundle(Box::new(move |picked| {
                    sender.send(AppEvent::Support(SupportEvent::BundlePicked(picked)))
                }));
            }
            SupportCommand::Search => self.support_search(1),
            SupportCommand::SearchPage(page) => self.support_search(page),
            SupportCommand::ExportHar => self.support_export_har(),
        }
    }

    /// Opens `path` as a bundle on the Support screen (dropped on the window, or chosen).
    pub(crate) fn support_open_bundle_file(&mut self, path: PathBuf) {
        self.open_support();
        self.support.bundle_path = path.display().to_string();
        self.support_open_bundle();
    }

    /// Searches the log of all runs (page `page`, 1-based) off the UI thread; only the
    /// latest search's answer is shown.
    fn support_search(&mut self, page: usize) {
        let query = match query_from_form(&self.support.search) {
            Ok(q) => q,
            Err(e) => {
                self.support.search_error = Some(e);
                return;
            }
        };
        self.support.search_error = None;
        self.support.searching = true;
        self.support.search_generation += 1;
        let generation = self.support.search_generation;
        let index = Arc::clone(&self.request_index);
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let result = search(&index, &query, page, PAGE_SIZE)
                .map(|page| {
                    let hits = load_hits(&index, &page.hits);
                    Box::new(SearchView { page, hits })
                })
                .map_err(|e| e.to_string());
            sender.send(AppEvent::Support(SupportEvent::Searched {
                generation,
                result,
            }));
        });
    }

    /// Writes the request log shown (the run on screen, the bundle, the replay, or every
    /// match of the search of all runs) as HAR, owner-only, off the UI thread.
    fn support_export_har(&mut self) {
        let out = PathBuf::from(self.support.har_path.trim());
        if out.as_os_str().is_empty() {
            return;
        }
        let secret = self.connection.key.as_ref().map(|k| k.expose().to_string());
        enum What {
            Runs(Vec<crate::store::RunRecord>),
            Search(LogQuery),
        }
        let what = match self.support.source {
            LogSource::Current => {
                let record = self.result_record.clone().or_else(|| {
                    // A run on the progress screen with no record open: its live log.
                    let run = self.run.as_ref()?;
                    let mut r = crate::store::RunRecord::new(chrono::Utc::now());
                    r.run_id = run.run_id.clone();
                    r.base_url = Some(self.connection.base_url.clone());
                    r.exchanges = run.exchanges.clone();
                    Some(r)
                });
                What::Runs(record.into_iter().collect())
            }
            LogSource::Bundle => What::Runs(
                self.support
                    .bundle
                    .as_ref()
                    .map(|b| b.record.clone())
                    .into_iter()
                    .collect(),
            ),
            LogSource::Replay => {
                let (Some(b), Some(r)) = (&self.support.bundle, &self.support.replay) else {
                    return;
                };
                let mut rec = b.record.clone();
                rec.exchanges = r.exchanges.clone();
                What::Runs(vec![rec])
            }
            LogSource::AllRuns => match query_from_form(&self.support.search) {
                Ok(q) => What::Search(q),
                Err(e) => {
                    self.support.har_result = Some(Err(e));
                    return;
                }
            },
        };
        self.support.exporting_har = true;
        self.support.har_result = None;
        let index = Arc::clone(&self.request_index);
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let written = (|| -> Result<String, String> {
                let (text, n) = match what {
                    What::Runs(runs) => {
                        if runs.iter().all(|r| r.exchanges.is_empty()) {
                            return Err("No requests to export.".into());
                        }
                        let items: Vec<_> = runs
                            .iter()
                            .flat_map(|r| r.exchanges.iter().map(move |e| (r, e)))
                            .collect();
                        (
                            crate::support::har::har(&items, secret.as_deref()),
                            items.len(),
                        )
                    }
                    What::Search(query) => {
                        let page =
                            search(&index, &query, 1, usize::MAX).map_err(|e| e.to_string())?;
                        let hits = load_hits(&index, &page.hits);
                        let items: Vec<_> =
                            hits.iter().map(|h| (h.run.as_ref(), &h.exchange)).collect();
                        (
                            crate::support::har::har(&items, secret.as_deref()),
                            items.len(),
                        )
                    }
                };
                crate::support::bundle::write_private(&out, text.as_bytes())
                    .map_err(|e| e.to_string())?;
                Ok(format!("Wrote {} ({n} requests, HAR 1.2)", out.display()))
            })();
            sender.send(AppEvent::Support(SupportEvent::HarSaved(written)));
        });
    }

    /// Asks for the credit balance (with the key) and the health (without).
    pub(crate) fn support_refresh_account(&mut self) {
        let keyed = self.support_client(true);
        let open = self.support_client(false);
        self.support.refreshing = true;
        let sender = self.sender.clone();
        self.rt.spawn(async move {
            let credits = match keyed {
                Ok(c) => match c.credits().await.result {
                    Ok(info) => Ok(match (info.balance(), info.available()) {
                        (Some(b), Some(a)) => format!(
                            "{} ({} available)",
                            crate::guidance::credits_text(b),
                            crate::guidance::number_text(a)
                        ),
                        (Some(b), None) => crate::guidance::credits_text(b),
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
            sender.send(AppEvent::Support(SupportEvent::Account { credits, health }));
        });
    }

    fn support_look_up_run(&mut self) {
        let id = self.support.run_id.trim().to_string();
        if id.is_empty() {
            return;
        }
        let client = match self.support_client(true) {
            Ok(c) => c,
            Err(e) => {
                self.support.lookup = Some(LookupResult {
                    request: format!("GET /api/v1/speech/analyze/{id}"),
                    status: None,
                    body: Value::Null,
                    error: Some(e),
                });
                return;
            }
        };
        self.support.looking_up = true;
        let sender = self.sender.clone();
        self.rt.spawn(async move {
            let found = poll_run(&client, &id).await;
            sender.send(AppEvent::Support(SupportEvent::Looked(found)));
        });
    }

    fn support_find_runs(&mut self) {
        let desk = &self.support;
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let filter = RunsFilter {
            external_id: opt(&desk.external_id),
            status: opt(&desk.status),
            created_after: opt(&desk.created_after),
            created_before: opt(&desk.created_before),
        };
        let client = match self.support_client(true) {
            Ok(c) => c,
            Err(e) => {
                self.support.lookup = Some(LookupResult {
                    request: "GET /api/v1/speech/runs".into(),
                    status: None,
                    body: Value::Null,
                    error: Some(e),
                });
                return;
            }
        };
        self.support.looking_up = true;
        let sender = self.sender.clone();
        self.rt.spawn(async move {
            let found = list_runs(&client, &filter).await;
            sender.send(AppEvent::Support(SupportEvent::Looked(found)));
        });
    }

    fn support_open_bundle(&mut self) {
        let text = self.support.bundle_path.trim();
        if text.is_empty() {
            return;
        }
        let path = PathBuf::from(text);
        self.support.opening_bundle = true;
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let b = read_bundle(&path).map(Box::new).map_err(|e| e.to_string());
            sender.send(AppEvent::Support(SupportEvent::BundleOpened(path, b)));
        });
    }

    fn support_start_replay(&mut self) {
        let Some(bundle) = self.support.bundle.clone() else {
            return;
        };
        if self
            .support
            .replay
            .as_ref()
            .is_some_and(|r| r.report.is_none())
        {
            return;
        }
        let cancel = tokio_util::sync::CancellationToken::new();
        self.support.replay = Some(ReplayView {
            cancel: cancel.clone(),
            ..ReplayView::default()
        });
        self.support.source = LogSource::Replay;
        self.support.selected = None;
        let options = ReplayOptions {
            max_wait: crate::engine::job::DEFAULT_MAX_WAIT,
            speed: self.support.replay_speed,
        };
        let sender = self.sender.clone();
        let events = sender.clone();
        let sink: crate::engine::EventSink = Arc::new(move |e: JobEvent| {
            events.send(AppEvent::Support(SupportEvent::Replay(Box::new(e))))
        });
        self.rt.spawn(async move {
            let scratch =
                std::env::temp_dir().join(format!("speech-scorer-replay-{}", uuid::Uuid::new_v4()));
            let result = replay(&bundle, &scratch, options, sink, cancel)
                .await
                .map_err(|e| e.to_string());
            if let Err(e) = tokio::fs::remove_dir_all(&scratch).await
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!("could not remove the replay's scratch folder: {e}");
            }
            sender.send(AppEvent::Support(SupportEvent::Replayed(Box::new(result))));
        });
    }

    /// True when there is a run to export: one opened from history, or one that ran here.
    pub fn can_export_support_bundle(&self) -> bool {
        self.result_record.is_some() || self.run.as_ref().is_some_and(|r| r.run_id.is_some())
    }

    fn support_export(&mut self) {
        let out_text = self.support.export_path.trim();
        if out_text.is_empty() || !self.can_export_support_bundle() {
            return;
        }
        let out = PathBuf::from(out_text);
        let record = self.result_record.clone();
        let live_run_id = self.run.as_ref().and_then(|r| r.run_id.clone());
        let history = self.history.clone();
        let settings = self.settings.clone();
        let opts = BundleOptions {
            include_recording: self.support.include_recording,
            audio_device: self.state.device.clone(),
            secret: self.connection.key.as_ref().map(|k| k.expose().to_string()),
        };
        self.support.exporting = true;
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            // A run that just ended on screen is read back from history, with its full log.
            let record = match (record, live_run_id) {
                (Some(r), _) => Ok(r),
                (None, Some(run_id)) => match history.find_by_run_id(&run_id) {
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
            sender.send(AppEvent::Support(SupportEvent::Exported(r)));
        });
    }

    pub(crate) fn on_support_event(&mut self, event: SupportEvent) {
        let desk = &mut self.support;
        match event {
            SupportEvent::Looked(r) => {
                desk.looking_up = false;
                desk.lookup = Some(r);
            }
            SupportEvent::Account { credits, health } => {
                desk.refreshing = false;
                desk.credits = Some(credits);
                desk.health = Some(health);
            }
            SupportEvent::BundleOpened(path, Ok(b)) => {
                desk.opening_bundle = false;
                desk.bundle_error = None;
                desk.bundle_path = path.display().to_string();
                desk.bundle = Some(*b);
                desk.replay = None;
                desk.source = LogSource::Bundle;
                desk.selected = None;
            }
            SupportEvent::BundleOpened(_, Err(e)) => {
                desk.opening_bundle = false;
                desk.bundle_error = Some(e);
            }
            SupportEvent::BundlePicked(Picked::File(path)) => {
                self.support_open_bundle_file(path);
            }
            SupportEvent::BundlePicked(Picked::Cancelled) => {}
            SupportEvent::BundlePicked(Picked::Unavailable(why)) => {
                // The path field is always there: point at it.
                desk.bundle_dialog_error = Some(why);
                desk.focus_bundle_path = true;
            }
            SupportEvent::Searched { generation, result } => {
                if generation == desk.search_generation {
                    desk.searching = false;
                    match result {
                        Ok(view) => {
                            desk.search_error = None;
                            desk.search_view = Some(*view);
                        }
                        Err(e) => desk.search_error = Some(e),
                    }
                }
            }
            SupportEvent::HarSaved(r) => {
                desk.exporting_har = false;
                desk.har_result = Some(r);
            }
            SupportEvent::Exported(r) => {
                desk.exporting = false;
                desk.export_result = Some(r);
            }
            SupportEvent::Replay(event) => match *event {
                JobEvent::Exchange(ex) => {
                    if let Some(r) = &mut desk.replay {
                        r.waiting = None;
                        r.exchanges.push(ex);
                    }
                }
                JobEvent::Waiting {
                    reason, seconds, ..
                } => {
                    if let Some(r) = &mut desk.replay {
                        r.waiting = Some(format!(
                            "{} — {seconds:.1} s",
                            crate::guidance::wait_reason(reason)
                        ));
                    }
                }
                _ => {}
            },
            SupportEvent::Replayed(result) => {
                if let Some(r) = &mut desk.replay {
                    r.waiting = None;
                    r.report = Some(*result);
                }
            }
        }
    }
}
