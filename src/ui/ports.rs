//! The app's doors to the desktop: the file dialog and the web browser. Each is a trait so
//! tests inject a recorder instead of opening real windows (rfd needs a desktop portal; a test
//! must never open a browser).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Called once with the file the person picked, or `None` when they cancelled.
pub type PickDone = Box<dyn FnOnce(Option<PathBuf>) + Send>;

/// Asks the person for an audio file. Must not block the UI thread: report through `done`.
pub trait FilePicker: Send + Sync {
    /// Opens the picker; `done` runs (on any thread) when the person has chosen.
    fn pick_audio(&self, done: PickDone);
}

/// Opens a URL in the person's browser.
pub trait BrowserOpener: Send + Sync {
    /// Opens `url`; the error text is shown to the person.
    fn open(&self, url: &str) -> Result<(), String>;
}

/// The native file dialog (rfd), run on its own thread so the window keeps painting.
#[derive(Debug, Default, Clone, Copy)]
pub struct RfdFilePicker;

impl FilePicker for RfdFilePicker {
    fn pick_audio(&self, done: PickDone) {
        let spawned = std::thread::Builder::new()
            .name("file-dialog".into())
            .spawn(move || {
                let picked = rfd::FileDialog::new()
                    .set_title("Import a recording")
                    .add_filter(
                        "Audio (wav, mp3, m4a, flac, ogg, webm)",
                        &[
                            "wav", "mp3", "m4a", "mp4", "aac", "flac", "ogg", "oga", "webm",
                        ],
                    )
                    .add_filter("All files", &["*"])
                    .pick_file();
                done(picked);
            });
        if let Err(e) = spawned {
            tracing::error!("could not start the file dialog thread: {e}");
        }
    }
}

/// The system browser (`webbrowser` crate).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemBrowser;

impl BrowserOpener for SystemBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        webbrowser::open(url).map_err(|e| format!("Could not open the browser: {e}"))
    }
}

/// Test double: answers every pick with the same path (or a cancel), and counts the picks.
#[derive(Debug, Clone, Default)]
pub struct FixedFilePicker {
    answer: Option<PathBuf>,
    picks: Arc<Mutex<u32>>,
}

impl FixedFilePicker {
    /// A picker that always "chooses" `answer` (`None`: the person cancels).
    pub fn new(answer: Option<PathBuf>) -> Self {
        FixedFilePicker {
            answer,
            picks: Arc::default(),
        }
    }

    /// How many times the picker was opened.
    pub fn picks(&self) -> u32 {
        self.picks.lock().map(|p| *p).unwrap_or(0)
    }
}

impl FilePicker for FixedFilePicker {
    fn pick_audio(&self, done: PickDone) {
        if let Ok(mut p) = self.picks.lock() {
            *p += 1;
        }
        done(self.answer.clone());
    }
}

/// Test double: remembers every URL it was asked to open, opens nothing.
#[derive(Debug, Clone, Default)]
pub struct RecordingBrowser {
    opened: Arc<Mutex<Vec<String>>>,
}

impl RecordingBrowser {
    /// The URLs opened so far, oldest first.
    pub fn opened(&self) -> Vec<String> {
        self.opened.lock().map(|o| o.clone()).unwrap_or_default()
    }
}

impl BrowserOpener for RecordingBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        self.opened
            .lock()
            .map_err(|_| "browser recorder poisoned".to_string())?
            .push(url.to_string());
        Ok(())
    }
}
