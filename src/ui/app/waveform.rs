//! The waveform of a take, app side: peaks computed once per file off the UI thread
//! (`audio::waveform`, with its disk cache) and kept in memory for the few files on screen;
//! the playhead, seeking and playing a stretch (a transcript segment); trimming to the handles
//! or to 45:00 into a NEW take, with the original kept until the person chooses.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::api::limits::MAX_DURATION;
use crate::audio::playback::Player;
use crate::audio::trim::TrimmedInfo;
use crate::audio::waveform::{Peak, Waveform};
use crate::store::takes::TakeOrigin;
use crate::ui::app::recording::AudioEvent;
use crate::ui::app::views::{ViewCommand, ViewEvent};
use crate::ui::app::{App, AppEvent, Command, Confirmation, TakeSource};

/// How many files' waveforms stay in memory (the take on screen, the result's, a few back).
const KEEP_WAVEFORMS: usize = 4;

/// A file's waveform as the app has it.
#[derive(Debug, Clone)]
pub enum WaveformEntry {
    /// Being computed (or read from the cache).
    Loading,
    /// Ready to draw.
    Ready(Arc<Waveform>),
    /// Could not be read (said once; not retried every frame).
    Failed(String),
}

/// What the person did to one file's waveform: the zoom, the playhead, the trim handles.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WaveView {
    /// The playhead when nothing plays (where Play starts).
    pub cursor: Duration,
    /// The visible stretch (`None`: the whole take).
    pub visible: Option<(Duration, Duration)>,
    /// The trim handles (`None`: at the take's ends).
    pub selection: Option<(Duration, Duration)>,
}

/// A trim that made a new take, waiting for the person to keep it or go back.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingTrim {
    /// The take it was cut from (kept until the person chooses).
    pub original: PathBuf,
    /// The new take.
    pub trimmed: PathBuf,
    /// Its length.
    pub length: Duration,
}

/// The waveforms and what goes with them.
#[derive(Debug, Default)]
pub struct WaveState {
    /// Waveforms by file, most recently asked for last.
    pub entries: Vec<(PathBuf, WaveformEntry)>,
    /// Zoom, playhead and handles by file.
    pub views: Vec<(PathBuf, WaveView)>,
    /// The file the player plays (the player itself is `App::audio.player`).
    pub playing: Option<PathBuf>,
    /// A trim waiting for an answer.
    pub pending: Option<PendingTrim>,
    /// A trim is being written.
    pub trimming: bool,
    /// Reused every frame for the visible columns (no allocation per frame).
    pub columns: Vec<Peak>,
    /// CPU time of the last frame's waveform drawing.
    pub last_draw: Option<Duration>,
}

impl WaveState {
    /// The waveform of `path`, as far as it is known.
    pub fn entry(&self, path: &Path) -> Option<&WaveformEntry> {
        self.entries.iter().find(|(p, _)| p == path).map(|(_, e)| e)
    }

    /// The ready waveform of `path`.
    pub fn ready(&self, path: &Path) -> Option<Arc<Waveform>> {
        match self.entry(path)? {
            WaveformEntry::Ready(w) => Some(Arc::clone(w)),
            _ => None,
        }
    }

    /// What was done to `path`'s waveform.
    pub fn view(&self, path: &Path) -> WaveView {
        self.views
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Changes what was done to `path`'s waveform.
    pub fn set_view(&mut self, path: &Path, view: WaveView) {
        match self.views.iter_mut().find(|(p, _)| p == path) {
            Some((_, v)) => *v = view,
            None => {
                self.views.push((path.to_path_buf(), view));
                if self.views.len() > KEEP_WAVEFORMS * 2 {
                    self.views.remove(0);
                }
            }
        }
    }

    fn set_entry(&mut self, path: &Path, entry: WaveformEntry) {
        self.entries.retain(|(p, _)| p != path);
        self.entries.push((path.to_path_buf(), entry));
        while self.entries.len() > KEEP_WAVEFORMS {
            self.entries.remove(0);
        }
    }
}

/// Where `start..end` of `original` is written: the app's recordings folder (the app made
/// it), named after the original and the stretch, never over an existing file.
fn trimmed_path(dir: &Path, original: &Path, start: Duration, end: Duration) -> PathBuf {
    let stem = original
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "take".to_string());
    let mark = |d: Duration| {
        let s = d.as_secs();
        format!("{}m{:02}s", s / 60, s % 60)
    };
    let base = format!("{stem}-trim-{}-{}", mark(start), mark(end));
    let mut path = dir.join(format!("{base}.wav"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("{base}-{n}.wav"));
        n += 1;
    }
    path
}

impl App {
    /// Computes `path`'s waveform off the UI thread (once: a file asked for again is
    /// already loading, ready or failed).
    pub(crate) fn load_waveform(&mut self, path: PathBuf) {
        if self.views.wave.entry(&path).is_some() {
            return;
        }
        self.views.wave.set_entry(&path, WaveformEntry::Loading);
        let cache = self.paths.data_dir.join("waveforms");
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let started = Instant::now();
            let result = Waveform::load_or_compute(&path, &cache)
                .map(Arc::new)
                .map_err(|e| e.to_string());
            sender.send(AppEvent::Views(ViewEvent::Waveform {
                path,
                result,
                took: started.elapsed(),
            }));
        });
    }

    pub(crate) fn on_waveform(
        &mut self,
        path: PathBuf,
        result: Result<Arc<Waveform>, String>,
        took: Duration,
    ) {
        if std::env::var_os("SPEECH_SCORER_TIMING").is_some() {
            eprintln!(
                "speech-scorer: waveform of {} in {} ms",
                path.display(),
                took.as_millis()
            );
        }
        let entry = match result {
            Ok(w) => WaveformEntry::Ready(w),
            Err(e) => WaveformEntry::Failed(e),
        };
        self.views.wave.set_entry(&path, entry);
    }

    /// True while `file` is being played.
    pub fn is_playing(&self, file: &Path) -> bool {
        self.audio.player.is_some() && self.views.wave.playing.as_deref() == Some(file)
    }

    /// Where the playhead of `file` is: the player's position while it plays, else the cursor.
    pub fn playhead(&self, file: &Path) -> Duration {
        match &self.audio.player {
            Some(p) if self.views.wave.playing.as_deref() == Some(file) => p.position(),
            _ => self.views.wave.view(file).cursor,
        }
    }

    /// Moves the playhead; while the file plays, playback goes on from there.
    pub(crate) fn seek(&mut self, file: PathBuf, to: Duration) {
        let mut view = self.views.wave.view(&file);
        view.cursor = to;
        self.views.wave.set_view(&file, view);
        if self.is_playing(&file) {
            let end = self
                .audio
                .player
                .as_ref()
                .and_then(|p| p.range().1)
                .filter(|e| *e > to);
            self.play_range(file, to, end);
        }
    }

    /// Plays `start..end` of `file` (the device opens off the UI thread).
    pub(crate) fn play_range(&mut self, file: PathBuf, start: Duration, end: Option<Duration>) {
        if self.is_recording() {
            return;
        }
        self.stop_player_only();
        let mut view = self.views.wave.view(&file);
        view.cursor = start;
        self.views.wave.set_view(&file, view);
        self.views.wave.playing = Some(file.clone());
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let result = Player::play_range(&file, start, end).map_err(|e| e.to_string());
            sender.send(AppEvent::Audio(AudioEvent::Playing(result)));
        });
    }

    /// Stops the player without moving the cursor (a new one starts right after).
    fn stop_player_only(&mut self) {
        if let Some(mut player) = self.audio.player.take() {
            player.stop();
        }
    }

    /// Playback stopped by the person: the cursor stays where it was, so Play goes on there.
    pub(crate) fn remember_stop_position(&mut self) {
        let (Some(player), Some(file)) = (&self.audio.player, self.views.wave.playing.clone())
        else {
            return;
        };
        let at = player.position();
        let mut view = self.views.wave.view(&file);
        view.cursor = at;
        self.views.wave.set_view(&file, view);
    }

    /// Where Play starts for `file`: the cursor, or the beginning when it is at the end.
    pub fn play_start(&self, file: &Path, length: Duration) -> Duration {
        let cursor = self.views.wave.view(file).cursor;
        if cursor + Duration::from_millis(500) >= length {
            Duration::ZERO
        } else {
            cursor
        }
    }

    fn can_trim(&mut self) -> bool {
        if self.is_recording() || self.is_submitting() || self.importing {
            self.toast(
                "Wait until the recording, submission or import is done.",
                true,
            );
            return false;
        }
        if self.views.wave.trimming {
            return false;
        }
        if self.take.is_none() {
            self.toast("Record or import a take first.", true);
            return false;
        }
        true
    }

    /// Writes `start..end` of the take on screen to a new take (the original stays).
    pub(crate) fn trim_take(&mut self, start: Duration, end: Duration) {
        if !self.can_trim() {
            return;
        }
        let Some(take) = self.take.clone() else {
            return;
        };
        let end = end.min(take.duration);
        if end <= start + Duration::from_millis(100) {
            self.toast(
                "The trim keeps nothing: move the end after the start.",
                true,
            );
            return;
        }
        self.spawn_trim(take.original, start, end, false);
    }

    /// Writes the first 45:00 of the take on screen to a new take (the fix for
    /// AUDIO_TOO_LONG); a take within the limit is left as it is.
    pub(crate) fn trim_take_to_max(&mut self) {
        if !self.can_trim() {
            return;
        }
        let Some(take) = self.take.clone() else {
            return;
        };
        if take.duration <= MAX_DURATION {
            self.toast(
                format!(
                    "{} is already within the 45-minute limit; nothing to trim.",
                    take.file_name()
                ),
                false,
            );
            return;
        }
        self.spawn_trim(take.original, Duration::ZERO, MAX_DURATION, true);
    }

    fn spawn_trim(&mut self, original: PathBuf, start: Duration, end: Duration, to_max: bool) {
        self.stop_playback();
        self.views.wave.trimming = true;
        let dir = self.paths.recordings_dir();
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let result = std::fs::create_dir_all(&dir)
                .map_err(|e| format!("could not create {}: {e}", dir.display()))
                .and_then(|()| {
                    let out = trimmed_path(&dir, &original, start, end);
                    if to_max {
                        crate::audio::trim::trim_to_max(&original, &out)
                    } else {
                        crate::audio::trim::trim(&original, start, end, &out)
                    }
                    .map_err(|e| e.to_string())
                });
            sender.send(AppEvent::Views(ViewEvent::Trimmed { original, result }));
        });
    }

    pub(crate) fn on_trimmed(&mut self, original: PathBuf, result: Result<TrimmedInfo, String>) {
        self.views.wave.trimming = false;
        let info = match result {
            Ok(info) => info,
            Err(e) => {
                self.toast(format!("The take could not be trimmed: {e}"), true);
                return;
            }
        };
        let name = original
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Said instead of "Recorded …" when the new take is ready.
        self.recovered_note = Some(crate::guidance::trimmed_note(
            &name,
            &crate::ui::widgets::format_clock(info.duration),
        ));
        self.views.wave.pending = Some(PendingTrim {
            original,
            trimmed: info.path.clone(),
            length: info.duration,
        });
        // The new take goes through the same preparation as any take (converted for upload
        // when over 25 MB) and joins the Takes list as a recording the app made.
        self.prepare_take(info.path, TakeSource::Recorded);
    }

    /// A take over 45:00 is refused as too long — or first as too large, when it is also over
    /// 25 MB (no encoding fits 45+ minutes, so it was not converted): either way the one fix
    /// is a new take of its first 45:00 (which is then converted to fit).
    pub(crate) fn offer_trim_when_too_long(&self, dialog: &mut crate::ui::dialogs::ErrorDialog) {
        let too_long = self
            .take
            .as_ref()
            .is_some_and(|t| t.duration > MAX_DURATION);
        let fixable = [
            crate::api::ErrorCode::AudioTooLong.as_str(),
            crate::api::ErrorCode::FileTooLarge.as_str(),
        ];
        if too_long && fixable.contains(&dialog.code.as_str()) {
            dialog.action = Some((
                crate::guidance::trim_to_max_label(),
                Command::Views(ViewCommand::TrimToMax),
            ));
        }
    }

    /// The question before keeping the trimmed take: the original goes (deleted when the app
    /// recorded it; an imported file only leaves the list).
    pub fn keep_trimmed_confirmation(&self) -> Option<Confirmation> {
        let pending = self.views.wave.pending.as_ref()?;
        let name = pending
            .original
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let own = self
            .takes
            .list
            .find_path(&pending.original)
            .is_some_and(|t| t.origin == TakeOrigin::Recorded)
            && crate::ui::app::is_own_recording(&pending.original, &self.paths);
        let body = if own {
            format!("{name}, the untrimmed recording, will be deleted from this computer.")
        } else {
            format!("{name} leaves the Takes list. The file itself stays where it is.")
        };
        Some(Confirmation {
            title: "Keep the trimmed take?".into(),
            body,
            confirm_label: if own {
                "Yes, keep it and delete the original".into()
            } else {
                "Yes, keep the trimmed take".into()
            },
            command: Box::new(Command::Views(ViewCommand::KeepTrimmed)),
        })
    }

    pub(crate) fn keep_trimmed(&mut self) {
        let Some(pending) = self.views.wave.pending.take() else {
            return;
        };
        if let Some(id) = self
            .takes
            .list
            .find_path(&pending.original)
            .map(|t| t.id.clone())
        {
            // Deletes the file only when the app recorded it (see `delete_take`).
            self.delete_take(&id);
        }
    }

    pub(crate) fn revert_trim(&mut self) {
        let Some(pending) = self.views.wave.pending.take() else {
            return;
        };
        if !pending.original.exists() {
            self.toast(
                "The original is no longer on disk; the trimmed take stays.",
                true,
            );
            return;
        }
        let source = match self
            .takes
            .list
            .find_path(&pending.original)
            .map(|t| t.origin)
        {
            Some(TakeOrigin::Imported) => TakeSource::Imported,
            _ => TakeSource::Recorded,
        };
        self.stop_playback();
        self.prepare_take(pending.original.clone(), source);
        // The trimmed copy was made by the app and is not wanted: it goes.
        if let Some(id) = self
            .takes
            .list
            .find_path(&pending.trimmed)
            .map(|t| t.id.clone())
        {
            self.delete_take(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_files_never_overwrite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = trimmed_path(
            dir.path(),
            Path::new("/x/take-1.wav"),
            Duration::from_secs(5),
            Duration::from_secs(200),
        );
        assert_eq!(
            a.file_name().and_then(|n| n.to_str()),
            Some("take-1-trim-0m05s-3m20s.wav")
        );
        std::fs::write(&a, b"x").expect("write");
        let b = trimmed_path(
            dir.path(),
            Path::new("/x/take-1.wav"),
            Duration::from_secs(5),
            Duration::from_secs(200),
        );
        assert_ne!(a, b);
    }

    #[test]
    fn a_few_waveforms_stay_in_memory() {
        let mut s = WaveState::default();
        for i in 0..10 {
            s.set_entry(Path::new(&format!("/{i}")), WaveformEntry::Loading);
        }
        assert_eq!(s.entries.len(), KEEP_WAVEFORMS);
        assert!(s.entry(Path::new("/9")).is_some());
        assert!(s.entry(Path::new("/0")).is_none());
    }
}
