//! The Batch screen's side effects: reading a folder or manifest and estimating its cost,
//! running the batch on the app's runtime within one account budget (the engine's
//! scheduler, the same as `speech-scorer batch`), pause / resume / cancel, opening a row's
//! result, exporting the table. Each reports back as an [`AppEvent::Batch`]; the screen's
//! state is `App::batch`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::api::limits;
use crate::api::model::PollResponse;
use crate::engine::account::{Account, AccountLimits};
use crate::engine::batch::{
    BatchContext, BatchEvent, BatchSink, BatchState, RowStatus, batch_id, plan_rows, run_batch,
};
use crate::engine::job::JobOptions;
use crate::engine::outcome::OutcomeKind;
use crate::engine::progress::RunProgress;
use crate::engine::{JobEvent, Outcome, RunRecord};
use crate::store::Batches;
use crate::ui::app::{App, AppEvent, BatchCommand, Screen};
use crate::ui::ports::Picked;

/// One row of the table.
#[derive(Debug, Clone)]
pub struct BatchRowView {
    /// 1-based row number.
    pub row: usize,
    /// The file's name.
    pub file: String,
    /// The history record, once known (to open the result).
    pub local_id: Option<String>,
    /// Where its run is (stage, wait and countdown).
    pub run: Option<RunProgress>,
    /// How it ended, when it has.
    pub ending: Option<RowEnded>,
}

/// How a row ended, for the table.
#[derive(Debug, Clone, PartialEq)]
pub struct RowEnded {
    pub kind: OutcomeKind,
    pub code: Option<String>,
    pub message: Option<String>,
    pub overall: Option<f64>,
    pub cefr: Option<String>,
    /// It ended in an earlier attempt.
    pub earlier: bool,
}

impl RowEnded {
    fn from_outcome(o: &Outcome, earlier: bool) -> RowEnded {
        let overall = o
            .result
            .clone()
            .and_then(|b| serde_json::from_value::<PollResponse>(b).ok())
            .and_then(|p| p.scores)
            .map(|s| s.overall());
        RowEnded {
            kind: o.kind,
            code: o.error.as_ref().map(|e| e.code.to_string()),
            message: o.error.as_ref().map(|e| e.message.clone()),
            overall: overall.as_ref().and_then(|s| s.score),
            cefr: overall.and_then(|s| s.cefr),
            earlier,
        }
    }
}

/// What a checked folder or manifest holds.
#[derive(Debug, Clone)]
pub struct BatchPlan {
    /// The batch as it will start (a batch run before is continued).
    pub state: BatchState,
    /// 1 credit per started minute of every row still to score, from the files' lengths.
    pub estimated_credits: u64,
    /// Rows the local checks refuse (never sent, so free).
    pub unreadable: usize,
    /// Rows that ended in an earlier attempt of this batch.
    pub done_before: usize,
    /// The batch ran since the check: the estimate is of what it was then.
    pub ran: bool,
}

/// A batch in flight.
pub struct RunningBatch {
    cancel: CancellationToken,
    pause: tokio::sync::watch::Sender<bool>,
}

/// The Batch screen's state.
#[derive(Default)]
pub struct BatchDesk {
    /// The folder or manifest path typed (or chosen in the dialog).
    pub path: String,
    /// Why the dialog could not open, when it could not.
    pub dialog_error: Option<String>,
    /// Reading the folder or manifest.
    pub checking: bool,
    /// What "Check" found (or why not).
    pub plan: Option<Result<BatchPlan, String>>,
    /// The table.
    pub rows: Vec<BatchRowView>,
    /// The batch running now.
    pub running: Option<RunningBatch>,
    /// No new row starts.
    pub paused: bool,
    /// Stopping (Cancel was pressed).
    pub cancelling: bool,
    /// How the last run of the batch ended, in words.
    pub summary: Option<String>,
    /// Where "Export CSV" writes.
    pub export_path: String,
}

impl BatchDesk {
    /// The table's row with this number (rows are kept in row order).
    fn row_mut(&mut self, row: usize) -> Option<&mut BatchRowView> {
        match self.rows.binary_search_by_key(&row, |r| r.row) {
            Ok(i) => self.rows.get_mut(i),
            Err(_) => self.rows.iter_mut().find(|r| r.row == row),
        }
    }

    /// Rows that ended.
    pub fn ended(&self) -> usize {
        self.rows.iter().filter(|r| r.ending.is_some()).count()
    }
}

/// What comes back from the Batch screen's background work.
#[derive(Debug)]
pub enum BatchAppEvent {
    /// The dialog closed.
    Picked(Picked),
    /// The folder or manifest was read and its cost estimated.
    Checked(Result<BatchPlan, String>),
    /// An event of the batch in flight.
    Event(BatchEvent),
    /// The batch stopped (every row ended, or it was cancelled).
    Ended(Result<BatchState, String>),
    /// A row's history record was read (to show its result).
    Opened(Result<Box<RunRecord>, String>),
    /// The table was exported.
    Exported(Result<(PathBuf, usize), String>),
}

/// Reads the folder or manifest at `path`, brings in what a batch of it did before, and
/// estimates the cost of the rows still to score. Blocking (reads every file's header).
fn check(
    path: &str,
    language: &str,
    base_url: &str,
    batches: &Batches,
) -> Result<BatchPlan, String> {
    let path = path.trim();
    if path.is_empty() {
        return Err("Type or choose a folder of recordings or a CSV manifest.".into());
    }
    let source = std::fs::canonicalize(path).map_err(|e| format!("{path}: {e}"))?;
    let planned = plan_rows(&source, language)?;
    let id = batch_id(&source, base_url);
    let mut state = match batches.load(&id) {
        Ok(Some(s)) => s,
        Ok(None) => BatchState::new(&id, Some(source.clone()), Some(base_url.to_string())),
        Err(e) => return Err(e.to_string()),
    };
    state.reconcile(planned);
    let (mut credits, mut unreadable, mut done_before) = (0, 0, 0);
    for row in &state.rows {
        if row.is_final() {
            done_before += 1;
            continue;
        }
        // What the service would charge for a file it takes (as it is, or converted for
        // upload); a file that fails the local checks costs nothing: it is never sent.
        let length = match crate::validate::check_audio_file(&row.file) {
            Ok(info) => Some(info.duration),
            Err(_) => crate::audio::probe::probe_file(&row.file)
                .ok()
                .map(|info| info.duration)
                .filter(|d| (limits::MIN_DURATION..=limits::MAX_DURATION).contains(d)),
        };
        match length {
            Some(d) => credits += limits::credits_for(d),
            None => unreadable += 1,
        }
    }
    Ok(BatchPlan {
        state,
        estimated_credits: credits,
        unreadable,
        done_before,
        ran: false,
    })
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// Writes the table as CSV.
fn export(path: &Path, rows: &[BatchRowView]) -> Result<usize, String> {
    let shown = path.display();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        // Scores of candidates: owner-only, like history.
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let file = opts.open(path).map_err(|e| format!("{shown}: {e}"))?;
    let mut w = csv::Writer::from_writer(file);
    let header = [
        "row",
        "file",
        "status",
        "overall",
        "cefr",
        "errorCode",
        "message",
    ];
    w.write_record(header)
        .map_err(|e| format!("{shown}: {e}"))?;
    for r in rows {
        let e = r.ending.as_ref();
        w.write_record([
            r.row.to_string(),
            r.file.clone(),
            row_status(r),
            e.and_then(|e| e.overall)
                .map(|s| format!("{s:.1}"))
                .unwrap_or_default(),
            e.and_then(|e| e.cefr.clone()).unwrap_or_default(),
            e.and_then(|e| e.code.clone()).unwrap_or_default(),
            e.and_then(|e| e.message.clone()).unwrap_or_default(),
        ])
        .map_err(|e| format!("{shown}: {e}"))?;
    }
    w.flush().map_err(|e| format!("{shown}: {e}"))?;
    Ok(rows.len())
}

/// A row's status in words (the table's Status column).
pub fn row_status(r: &BatchRowView) -> String {
    match (&r.ending, &r.run) {
        (Some(e), _) => e.kind.as_str().replace('_', " "),
        (None, Some(run)) => crate::guidance::stage_headline(&run.stage),
        (None, None) => "waiting to start".into(),
    }
}

impl App {
    pub(crate) fn run_batch_command(&mut self, command: BatchCommand) {
        match command {
            BatchCommand::PickFolder => self.batch_pick(true),
            BatchCommand::PickManifest => self.batch_pick(false),
            BatchCommand::Check => self.batch_check(),
            BatchCommand::Start => self.batch_start(),
            BatchCommand::Pause => self.batch_pause(true),
            BatchCommand::Resume => self.batch_pause(false),
            BatchCommand::Cancel => {
                if let Some(b) = &self.batch.running {
                    b.cancel.cancel();
                    self.batch.cancelling = true;
                }
            }
            BatchCommand::OpenResult(row) => self.batch_open_result(row),
            BatchCommand::Export => self.batch_export(),
        }
    }

    fn batch_pick(&mut self, folder: bool) {
        let sender = self.sender.clone();
        self.batch.dialog_error = None;
        self.config.file_picker.pick_batch_input(
            folder,
            Box::new(move |picked| sender.send(AppEvent::Batch(BatchAppEvent::Picked(picked)))),
        );
    }

    fn batch_check(&mut self) {
        if self.batch.running.is_some() {
            return;
        }
        if !self.connection.is_ready() {
            self.toast(
                "The built-in simulator is still starting; try again in a moment.",
                true,
            );
            return;
        }
        self.batch.checking = true;
        self.batch.plan = None;
        self.refresh_credits();
        let path = self.batch.path.clone();
        let language = self.settings.default_language.clone();
        let base_url = self.connection.base_url.trim_end_matches('/').to_string();
        let batches = Batches::new(&self.paths);
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let result = check(&path, &language, &base_url, &batches);
            sender.send(AppEvent::Batch(BatchAppEvent::Checked(result)));
        });
    }

    fn batch_start(&mut self) {
        if self.batch.running.is_some() {
            return;
        }
        let Some(Ok(plan)) = self.batch.plan.clone() else {
            self.toast("Check the folder or manifest first.", true);
            return;
        };
        let client = match self.client() {
            Ok(c) => c,
            Err(e) => {
                self.toast(e, true);
                return;
            }
        };
        let cancel = CancellationToken::new();
        let (pause, paused) = tokio::sync::watch::channel(false);
        let sender = self.sender.clone();
        let sink: BatchSink = Arc::new(move |e| {
            // The request log's exchanges change nothing on this screen.
            if !matches!(
                e,
                BatchEvent::Job {
                    event: JobEvent::Exchange(_),
                    ..
                }
            ) {
                sender.send(AppEvent::Batch(BatchAppEvent::Event(e)));
            }
        });
        let ctx = BatchContext {
            client,
            account: Account::new(AccountLimits::default()),
            options: JobOptions::default(),
            records: Some(self.history.records()),
            store: Some(Arc::new(Batches::new(&self.paths)) as crate::engine::batch::Batches),
            work_dir: Some(self.paths.prepared_dir()),
            sink,
            cancel: cancel.clone(),
            pause: Some(paused),
        };
        self.batch.rows = plan
            .state
            .rows
            .iter()
            .map(|r| BatchRowView {
                row: r.row,
                file: file_name(&r.file),
                local_id: r.local_id.clone(),
                run: None,
                ending: None,
            })
            .collect();
        self.batch.summary = None;
        self.batch.paused = false;
        self.batch.cancelling = false;
        if self.batch.export_path.is_empty()
            && let Some(source) = &plan.state.source
        {
            let name = file_name(source);
            let dir = source.parent().unwrap_or(Path::new("."));
            let stem = name.trim_end_matches(".csv");
            self.batch.export_path = dir.join(format!("{stem}-scores.csv")).display().to_string();
        }
        self.batch.running = Some(RunningBatch { cancel, pause });
        let sender = self.sender.clone();
        let state = plan.state;
        self.rt.spawn(async move {
            let ended = run_batch(state, ctx).await.map_err(|e| e.to_string());
            sender.send(AppEvent::Batch(BatchAppEvent::Ended(ended)));
        });
    }

    fn batch_pause(&mut self, pause: bool) {
        if let Some(b) = &self.batch.running
            && b.pause.send(pause).is_ok()
        {
            self.batch.paused = pause;
        }
    }

    fn batch_open_result(&mut self, row: usize) {
        let Some(local_id) = self
            .batch
            .rows
            .iter()
            .find(|r| r.row == row)
            .and_then(|r| r.local_id.clone())
        else {
            self.toast("This row has no result yet.", true);
            return;
        };
        let history = self.history.clone();
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let record = history
                .load(&local_id)
                .map(Box::new)
                .map_err(|e| e.to_string());
            sender.send(AppEvent::Batch(BatchAppEvent::Opened(record)));
        });
    }

    fn batch_export(&mut self) {
        let path = PathBuf::from(self.batch.export_path.trim());
        if path.as_os_str().is_empty() {
            self.toast("Type where the CSV file should go.", true);
            return;
        }
        let rows = self.batch.rows.clone();
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let result = export(&path, &rows).map(|n| (path, n));
            sender.send(AppEvent::Batch(BatchAppEvent::Exported(result)));
        });
    }

    pub(crate) fn on_batch_event(&mut self, event: BatchAppEvent) {
        match event {
            BatchAppEvent::Picked(Picked::File(path)) => {
                self.batch.path = path.display().to_string();
                self.batch_check();
            }
            BatchAppEvent::Picked(Picked::Cancelled) => {}
            BatchAppEvent::Picked(Picked::Unavailable(why)) => self.batch.dialog_error = Some(why),
            BatchAppEvent::Checked(result) => {
                self.batch.checking = false;
                self.batch.plan = Some(result);
            }
            BatchAppEvent::Event(e) => self.on_batch_progress(e),
            BatchAppEvent::Ended(result) => {
                self.batch.running = None;
                self.batch.cancelling = false;
                self.batch.paused = false;
                self.refresh_history();
                self.refresh_credits();
                match result {
                    Ok(state) => {
                        let c = state.counts();
                        let mut words = format!(
                            "{} of {} recordings ended: {} success, {} partial, {} failed, {} \
                             invalid, {} other.",
                            c.done(),
                            c.rows,
                            c.success,
                            c.partial,
                            c.failed,
                            c.invalid_input,
                            c.rejected + c.gave_up + c.internal_error
                        );
                        if !state.is_complete() {
                            words.push_str(
                                " Not finished: Start again to continue (nothing is sent twice).",
                            );
                        }
                        self.batch.summary = Some(words);
                        // The next Start continues this batch as it now stands.
                        if let Some(Ok(plan)) = &mut self.batch.plan {
                            plan.state = state;
                            plan.ran = true;
                        }
                    }
                    Err(e) => self.toast(format!("The batch could not run: {e}"), true),
                }
            }
            BatchAppEvent::Opened(Ok(record)) => {
                let poll = record
                    .final_body
                    .clone()
                    .and_then(|b| serde_json::from_value::<PollResponse>(b).ok());
                match poll {
                    Some(poll) => {
                        self.result = Some(poll);
                        self.result_simulated = record.simulated;
                        self.result_record = Some(*record);
                        self.state.screen = Screen::Result;
                    }
                    None => {
                        // No scores (failed, refused): its request log says what happened.
                        self.result_record = Some(*record);
                        self.open_support();
                    }
                }
            }
            BatchAppEvent::Opened(Err(e)) => {
                self.toast(format!("The row's run could not be read: {e}"), true)
            }
            BatchAppEvent::Exported(Ok((path, n))) => {
                self.toast(format!("Exported {n} rows to {}", path.display()), false)
            }
            BatchAppEvent::Exported(Err(e)) => self.toast(format!("Export failed: {e}"), true),
        }
    }

    fn on_batch_progress(&mut self, event: BatchEvent) {
        match event {
            BatchEvent::Checked { .. } => {}
            BatchEvent::Started { row, .. } => {
                if let Some(r) = self.batch.row_mut(row) {
                    r.run = Some(RunProgress::default());
                    r.ending = None;
                }
            }
            BatchEvent::Job { row, event } => {
                if let Some(r) = self.batch.row_mut(row)
                    && let Some(run) = &mut r.run
                {
                    run.apply(&event);
                }
            }
            BatchEvent::Finished {
                row,
                outcome,
                earlier,
            } => {
                if let Some(r) = self.batch.row_mut(row) {
                    r.ending = Some(RowEnded::from_outcome(&outcome, earlier));
                    if outcome.local_id.is_some() {
                        r.local_id = outcome.local_id.clone();
                    }
                    r.run = None;
                }
            }
        }
    }
}

/// Rows of `state` a Start would send: not ended, stopped, or ended in a way another try can
/// change (refused, gave up). Rows the service answered, and rows the local checks refused,
/// are not counted (those are checked again, and still refused unless the file was fixed).
pub fn rows_to_score(state: &BatchState) -> usize {
    state
        .rows
        .iter()
        .filter(|r| {
            let invalid = r.status == RowStatus::Done
                && r.ending
                    .as_ref()
                    .is_some_and(|e| e.outcome == OutcomeKind::InvalidInput);
            !r.is_final() && !invalid
        })
        .count()
}
