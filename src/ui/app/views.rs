//! The app's side of the views of issue 12 — the waveform (seek, play a stretch, trim), the
//! trend across attempts, the exports — as one [`ViewCommand`] the screens push and one
//! [`ViewEvent`] background work sends back, so the shared command and event enums each grow
//! by one variant. The work lives in `waveform.rs`, `trend.rs` and `exports.rs`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::api::model::PollResponse;
use crate::api::reading::Segment;
use crate::store::attempts::GroupBy;
use crate::ui::app::App;
use crate::ui::ports::Picked;

pub use super::exports::{ExportForm, ExportKind};
pub use super::trend::{Series, TrendState};
pub use super::waveform::{PendingTrim, WaveState, WaveView, WaveformEntry};

/// What the views ask for (inside [`crate::ui::Command::Views`]).
#[derive(Debug, Clone, PartialEq)]
pub enum ViewCommand {
    /// Compute (or read from the cache) the waveform of this file, off the UI thread.
    LoadWaveform(PathBuf),
    /// Move the playhead of `file` here (playback, if running, goes on from here).
    Seek {
        /// The take shown.
        file: PathBuf,
        /// Where, from the start of the take.
        to: Duration,
    },
    /// Play `file` from `start` (to `end`, or its end).
    Play {
        /// The take.
        file: PathBuf,
        /// From here.
        start: Duration,
        /// To here (`None`: to the end).
        end: Option<Duration>,
    },
    /// Make a new take of `start..end` of the take on screen (the original stays).
    Trim {
        /// From here.
        start: Duration,
        /// To here.
        end: Duration,
    },
    /// Make a new take of the first 45:00 of the take on screen (AUDIO_TOO_LONG's fix).
    TrimToMax,
    /// Keep the trimmed take and let the original go (after [`crate::ui::Command::Confirm`]).
    KeepTrimmed,
    /// Go back to the original and drop the trimmed copy.
    RevertTrim,
    /// Open the export form for this kind (path field filled with a default).
    OpenExport(ExportKind),
    /// Close the export form.
    CloseExport,
    /// Ask the save dialog where to write (the path field stays the fallback).
    ChooseExportPath,
    /// Write the export the form is open for, to the path in the form.
    Export,
    /// Group the trend's attempts another way (saved with the window state).
    SetGrouping(GroupBy),
    /// Show this series of the trend (its label).
    SelectSeries(String),
}

/// What the views' background work sends back (inside `AppEvent::Views`).
pub enum ViewEvent {
    /// A waveform was computed or read from its cache.
    Waveform {
        /// The file.
        path: PathBuf,
        /// The peaks, or why not.
        result: Result<std::sync::Arc<crate::audio::waveform::Waveform>, String>,
        /// How long it took (shown in the log when `SPEECH_SCORER_TIMING` is set).
        took: Duration,
    },
    /// A trim finished.
    Trimmed {
        /// The take it was made from (the original file).
        original: PathBuf,
        /// The new file, or why not.
        result: Result<crate::audio::trim::TrimmedInfo, String>,
    },
    /// The save dialog answered.
    ExportPathPicked(Picked),
    /// An export was written (its path), or why not.
    Exported {
        /// What was exported.
        kind: ExportKind,
        /// Where, or the error.
        result: Result<PathBuf, String>,
    },
}

impl std::fmt::Debug for ViewEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ViewEvent::Waveform { .. } => "Waveform",
            ViewEvent::Trimmed { .. } => "Trimmed",
            ViewEvent::ExportPathPicked(_) => "ExportPathPicked",
            ViewEvent::Exported { .. } => "Exported",
        })
    }
}

/// Everything the views keep in the app.
#[derive(Debug, Default)]
pub struct Views {
    /// Waveforms, the playhead, the trim selection, a trim waiting for an answer.
    pub wave: WaveState,
    /// The export form.
    pub export: ExportForm,
    /// The trend's series, computed from the history rows when they or the grouping change.
    pub trend: TrendState,
    /// CPU time of the last frame (`eframe::Frame::info().cpu_usage`), for the benchmarks.
    pub last_frame_cpu: Option<f32>,
    /// The transcript segments of the result on screen (by run id), read once.
    segments: Option<(String, Arc<Vec<Segment>>)>,
    /// Frames counted for `SPEECH_SCORER_TIMING`.
    frames: FrameCount,
    /// The previous attempt of the result on screen, and what it was computed for (run id,
    /// history generation, grouping).
    pub(crate) compared: Option<ComparedFor>,
}

/// The key and value of [`Views`]'s comparison cache.
pub(crate) type ComparedFor = (
    (String, u64, GroupBy),
    Option<crate::store::attempts::Attempt>,
);

/// `SPEECH_SCORER_TIMING` is set (read once).
static TIMING: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| std::env::var_os("SPEECH_SCORER_TIMING").is_some());

/// With `SPEECH_SCORER_TIMING` set, how many frames were drawn and their CPU time, every
/// this often (on stderr): the repaint rate of a screen, for the benchmarks.
const FRAME_REPORT_EVERY: Duration = Duration::from_secs(10);

/// Frames counted for the report.
#[derive(Debug, Default)]
pub struct FrameCount {
    since: Option<std::time::Instant>,
    frames: u32,
    cpu: f32,
}

impl Views {
    /// Called once per frame with its CPU time (`eframe::Frame::info().cpu_usage`).
    pub fn note_frame(&mut self, cpu: Option<f32>) {
        self.last_frame_cpu = cpu;
        if !*TIMING {
            return;
        }
        let now = std::time::Instant::now();
        let c = &mut self.frames;
        let since = *c.since.get_or_insert(now);
        c.frames += 1;
        c.cpu += cpu.unwrap_or(0.0);
        if now.duration_since(since) >= FRAME_REPORT_EVERY {
            let secs = now.duration_since(since).as_secs_f32();
            eprintln!(
                "speech-scorer: {} frames in {secs:.1} s ({:.1} per second), {:.2} ms CPU each",
                c.frames,
                c.frames as f32 / secs,
                c.cpu * 1000.0 / c.frames.max(1) as f32
            );
            *c = FrameCount::default();
        }
    }

    /// The result's transcript segments, read leniently once per result (not per frame).
    pub fn segments_of(&mut self, poll: &PollResponse) -> Arc<Vec<Segment>> {
        if let Some((id, segments)) = &self.segments
            && *id == poll.id
        {
            return Arc::clone(segments);
        }
        let segments = Arc::new(crate::api::reading::result_segments(poll));
        self.segments = Some((poll.id.clone(), Arc::clone(&segments)));
        segments
    }
}

impl App {
    /// Runs one [`ViewCommand`].
    pub(crate) fn run_view_command(&mut self, command: ViewCommand) {
        match command {
            ViewCommand::LoadWaveform(path) => self.load_waveform(path),
            ViewCommand::Seek { file, to } => self.seek(file, to),
            ViewCommand::Play { file, start, end } => self.play_range(file, start, end),
            ViewCommand::Trim { start, end } => self.trim_take(start, end),
            ViewCommand::TrimToMax => self.trim_take_to_max(),
            ViewCommand::KeepTrimmed => self.keep_trimmed(),
            ViewCommand::RevertTrim => self.revert_trim(),
            ViewCommand::OpenExport(kind) => self.open_export(kind),
            ViewCommand::CloseExport => self.views.export.kind = None,
            ViewCommand::ChooseExportPath => self.choose_export_path(),
            ViewCommand::Export => self.export(),
            ViewCommand::SetGrouping(by) => {
                self.state.trend_group = by;
                self.views.trend.invalidate();
            }
            ViewCommand::SelectSeries(label) => self.views.trend.selected = Some(label),
        }
    }

    /// Takes in one [`ViewEvent`].
    pub(crate) fn on_view_event(&mut self, event: ViewEvent) {
        match event {
            ViewEvent::Waveform { path, result, took } => self.on_waveform(path, result, took),
            ViewEvent::Trimmed { original, result } => self.on_trimmed(original, result),
            ViewEvent::ExportPathPicked(picked) => self.on_export_path_picked(picked),
            ViewEvent::Exported { kind, result } => self.on_exported(kind, result),
        }
    }
}
