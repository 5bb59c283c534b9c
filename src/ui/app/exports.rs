//! Exports, app side: the form (a path field that is always there, filled with a default,
//! and a save dialog when one can open), and the writing off the UI thread through
//! `store::export` — the same functions `speech-scorer export` uses.

use std::path::PathBuf;

use crate::api::model::PollResponse;
use crate::store::attempts::{Attempt, group_key, key_of_result, previous_attempt};
use crate::store::export::{ReportInput, history_csv, history_jsonl, report_html, write_export};
use crate::ui::app::views::ViewEvent;
use crate::ui::app::{App, AppEvent};
use crate::ui::ports::Picked;

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// The whole history, CSV.
    HistoryCsv,
    /// The whole history, JSON Lines.
    HistoryJsonl,
    /// The result on screen, as a one-page HTML report.
    Report,
}

impl ExportKind {
    /// What it is, for buttons and toasts.
    pub fn label(self) -> &'static str {
        match self {
            ExportKind::HistoryCsv => "History (CSV)",
            ExportKind::HistoryJsonl => "History (JSON Lines)",
            ExportKind::Report => "Report",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            ExportKind::HistoryCsv => "csv",
            ExportKind::HistoryJsonl => "jsonl",
            ExportKind::Report => "html",
        }
    }
}

/// The export form.
#[derive(Debug, Clone, Default)]
pub struct ExportForm {
    /// What the form is open for (`None`: closed).
    pub kind: Option<ExportKind>,
    /// Where to write (typed, pasted, or from the save dialog).
    pub path: String,
    /// Why the save dialog could not open, when it could not.
    pub dialog_error: Option<String>,
    /// Focus the path field on the next frame.
    pub focus_path: bool,
    /// An export is being written.
    pub writing: bool,
    /// The last export's file, or why it failed.
    pub last: Option<Result<PathBuf, String>>,
}

impl App {
    /// Where exports go by default: the person's documents folder (the app's own exports
    /// folder when the app was given its directories, as in tests, or there is no such
    /// folder).
    pub fn default_export_dir(&self) -> PathBuf {
        let own = self.paths.data_dir.join("exports");
        if self.config.paths.is_some() {
            return own;
        }
        directories::UserDirs::new()
            .and_then(|u| u.document_dir().map(PathBuf::from))
            .unwrap_or(own)
    }

    pub(crate) fn open_export(&mut self, kind: ExportKind) {
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M");
        let name = match kind {
            ExportKind::HistoryCsv | ExportKind::HistoryJsonl => {
                format!("speech-scorer-history-{stamp}.{}", kind.extension())
            }
            ExportKind::Report => {
                let run = self
                    .result
                    .as_ref()
                    .map(|p| {
                        p.id.replace(
                            |c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '-',
                            "",
                        )
                    })
                    .unwrap_or_default();
                format!("speech-scorer-report-{run}.html")
            }
        };
        let path = self.default_export_dir().join(name).display().to_string();
        let form = &mut self.views.export;
        form.kind = Some(kind);
        form.path = path;
        form.dialog_error = None;
        form.last = None;
    }

    pub(crate) fn choose_export_path(&mut self) {
        let suggested = PathBuf::from(self.views.export.path.trim());
        let sender = self.sender.clone();
        self.views.export.dialog_error = None;
        self.config.file_picker.pick_save(
            suggested,
            Box::new(move |picked| {
                sender.send(AppEvent::Views(ViewEvent::ExportPathPicked(picked)))
            }),
        );
    }

    pub(crate) fn on_export_path_picked(&mut self, picked: Picked) {
        let form = &mut self.views.export;
        match picked {
            Picked::File(path) => form.path = path.display().to_string(),
            Picked::Cancelled => {}
            Picked::Unavailable(why) => {
                form.dialog_error = Some(why);
                form.focus_path = true;
            }
        }
    }

    /// The history entry of the result on screen, and the same person's previous attempt.
    pub fn result_attempts(&self) -> (Option<Attempt>, Option<Attempt>) {
        let Some(poll) = &self.result else {
            return (None, None);
        };
        let attempts = &self.views.trend.attempts;
        let this = attempts
            .iter()
            .find(|a| a.run_id.as_deref() == Some(poll.id.as_str()))
            .cloned();
        let by = &self.state.trend_group;
        let key = match &this {
            Some(a) => group_key(a, by),
            None => key_of_result(poll, Some(self.take_language()), by),
        };
        let before = this.as_ref().map_or_else(chrono::Utc::now, |a| a.time);
        let previous = key
            .and_then(|k| previous_attempt(attempts, &k, by, before, &poll.id))
            .cloned();
        (this, previous)
    }

    /// The same person's previous attempt for the result on screen, for "compared with your
    /// last attempt": computed once per result, history read and grouping, not per frame.
    pub fn result_previous(&mut self) -> Option<Attempt> {
        let id = self.result.as_ref()?.id.clone();
        let key = (
            id,
            self.views.trend.generation,
            self.state.trend_group.clone(),
        );
        if let Some((k, previous)) = &self.views.compared
            && *k == key
        {
            return previous.clone();
        }
        let previous = self.result_attempts().1;
        self.views.compared = Some((key, previous.clone()));
        previous
    }

    /// Writes the export the form is open for, off the UI thread.
    pub(crate) fn export(&mut self) {
        let Some(kind) = self.views.export.kind else {
            return;
        };
        let path = PathBuf::from(self.views.export.path.trim());
        if path.as_os_str().is_empty() {
            self.views.export.last = Some(Err(crate::guidance::EXPORT_NEEDS_PATH.into()));
            return;
        }
        if path.is_dir() {
            self.views.export.last = Some(Err(crate::guidance::export_path_is_folder(
                &path.display().to_string(),
            )));
            return;
        }
        let report = match kind {
            ExportKind::Report => {
                let Some(poll) = self.result.clone() else {
                    self.views.export.last = Some(Err(crate::guidance::EXPORT_NO_RESULT.into()));
                    return;
                };
                let (this, previous) = self.result_attempts();
                Some((poll, this, previous, self.result_simulated))
            }
            _ => None,
        };
        self.views.export.writing = true;
        let history = self.history.clone();
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let text = match report {
                Some((poll, this, previous, simulated)) => Ok(report_text(
                    &poll,
                    this.as_ref(),
                    previous.as_ref(),
                    simulated,
                )),
                None => history
                    .list()
                    .map_err(|e| format!("the history could not be read: {e}"))
                    .map(|(records, _)| {
                        let attempts: Vec<Attempt> =
                            records.iter().map(Attempt::from_record).collect();
                        if kind == ExportKind::HistoryCsv {
                            history_csv(&attempts)
                        } else {
                            history_jsonl(&attempts)
                        }
                    }),
            };
            let result = text.and_then(|t| {
                write_export(&path, &t)
                    .map(|()| path.clone())
                    .map_err(|e| e.to_string())
            });
            sender.send(AppEvent::Views(ViewEvent::Exported { kind, result }));
        });
    }

    pub(crate) fn on_exported(&mut self, kind: ExportKind, result: Result<PathBuf, String>) {
        self.views.export.writing = false;
        match &result {
            Ok(path) => self.toast(
                crate::guidance::exported_text(kind.label(), &path.display().to_string()),
                false,
            ),
            Err(e) => self.toast(crate::guidance::export_failed(kind.label(), e), true),
        }
        self.views.export.last = Some(result);
    }
}

fn report_text(
    poll: &PollResponse,
    this: Option<&Attempt>,
    previous: Option<&Attempt>,
    simulated: bool,
) -> String {
    report_html(&ReportInput {
        poll,
        attempt: this,
        simulated,
        previous,
        generated: chrono::Utc::now(),
    })
}
