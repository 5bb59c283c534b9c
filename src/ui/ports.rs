//! The app's doors to the desktop: the file dialog, the web browser and the microphones. Each
//! is a trait so tests inject a recorder instead of opening real windows (rfd needs a desktop
//! portal; a test must never open a browser) or a fake list of microphones instead of the
//! machine's sound system.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::audio::AudioError;
use crate::audio::capture::{Source, Synthetic};
use crate::audio::devices::{DeviceInfo, DeviceKind};
use crate::audio::recorder::RecorderOptions;

/// What the file dialog answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Picked {
    /// The person chose this file.
    File(PathBuf),
    /// The person closed the dialog without choosing.
    Cancelled,
    /// No dialog could be shown here (no desktop portal, no zenity); the reason in words.
    Unavailable(String),
}

/// Called once with what the dialog answered.
pub type PickDone = Box<dyn FnOnce(Picked) + Send>;

/// Asks the person for an audio file. Must not block the UI thread: report through `done`.
pub trait FilePicker: Send + Sync {
    /// Opens the picker; `done` runs (on any thread) when the person has chosen.
    fn pick_audio(&self, done: PickDone);

    /// Asks for what a batch scores: a folder of recordings (`folder`) or a CSV manifest.
    /// Without a dialog here, says so (the path field is always there).
    fn pick_batch_input(&self, folder: bool, done: PickDone) {
        let _ = folder;
        done(Picked::Unavailable(NO_DIALOG.to_string()));
    }

    /// Opens the picker for a support bundle (`.zip`). Pickers that cannot show one say so
    /// (the Support screen's path field is always there).
    fn pick_bundle(&self, done: PickDone) {
        done(Picked::Unavailable(NO_BUNDLE_DIALOG.to_string()));
    }

    /// Asks where to save a file (`suggested`: the path field's text); `done` runs (on any
    /// thread) with the answer. A picker that cannot save answers [`Picked::Unavailable`]
    /// at once, so the path field is the way (tests never open a dialog).
    fn pick_save(&self, suggested: PathBuf, done: PickDone) {
        let _ = suggested;
        done(Picked::Unavailable(
            crate::guidance::NO_SAVE_DIALOG.to_string(),
        ));
    }
}

/// What the Support screen says when no file dialog can open for a bundle.
pub const NO_BUNDLE_DIALOG: &str = "No file dialog here: type or paste the bundle's path, or \
     drop the .zip on the window.";

/// Opens a URL in the person's browser.
pub trait BrowserOpener: Send + Sync {
    /// Opens `url`; the error text is shown to the person.
    fn open(&self, url: &str) -> Result<(), String>;
}

/// What the record screen says when no file dialog can open.
pub const NO_DIALOG: &str = "The file dialog could not open on this desktop (no file chooser \
     portal or zenity). Type or paste the file's path instead.";

/// The native file dialog (rfd), run on its own thread so the window keeps painting.
#[derive(Debug, Default, Clone, Copy)]
pub struct RfdFilePicker;

impl FilePicker for RfdFilePicker {
    fn pick_audio(&self, done: PickDone) {
        RfdFilePicker::on_thread(
            || {
                rfd::FileDialog::new()
                    .set_title("Import a recording")
                    .add_filter(
                        "Audio (wav, mp3, m4a, flac, ogg, webm)",
                        &[
                            "wav", "mp3", "m4a", "mp4", "aac", "flac", "ogg", "oga", "webm",
                        ],
                    )
                    .add_filter("All files", &["*"])
                    .pick_file()
            },
            NO_DIALOG,
            done,
        );
    }

    fn pick_batch_input(&self, folder: bool, done: PickDone) {
        RfdFilePicker::on_thread(
            move || {
                let dialog = rfd::FileDialog::new();
                if folder {
                    dialog
                        .set_title("Choose a folder of recordings")
                        .pick_folder()
                } else {
                    dialog
                        .set_title("Choose a manifest (CSV)")
                        .add_filter("CSV manifest", &["csv"])
                        .add_filter("All files", &["*"])
                        .pick_file()
                }
            },
            NO_DIALOG,
            done,
        );
    }

    fn pick_bundle(&self, done: PickDone) {
        RfdFilePicker::on_thread(
            || {
                rfd::FileDialog::new()
                    .set_title("Open a support bundle")
                    .add_filter("Support bundle (zip)", &["zip"])
                    .add_filter("All files", &["*"])
                    .pick_file()
            },
            NO_BUNDLE_DIALOG,
            done,
        );
    }

    fn pick_save(&self, suggested: PathBuf, done: PickDone) {
        RfdFilePicker::on_thread(
            move || {
                let mut dialog = rfd::FileDialog::new().set_title("Save the export");
                if let Some(dir) = suggested.parent().filter(|d| d.is_dir()) {
                    dialog = dialog.set_directory(dir);
                }
                if let Some(name) = suggested.file_name() {
                    dialog = dialog.set_file_name(name.to_string_lossy());
                }
                dialog.save_file()
            },
            crate::guidance::NO_SAVE_DIALOG,
            done,
        );
    }
}

impl RfdFilePicker {
    /// Runs `dialog` on its own thread and reports what it chose. rfd says "nothing" both
    /// for a cancel and for a dialog it could not show; only the second comes back at once,
    /// and is reported as [`Picked::Unavailable`] with `unavailable`.
    fn on_thread(
        dialog: impl FnOnce() -> Option<PathBuf> + Send + 'static,
        unavailable: &'static str,
        done: PickDone,
    ) {
        let spawned = std::thread::Builder::new()
            .name("file-dialog".into())
            .spawn(move || {
                let opened = std::time::Instant::now();
                done(match dialog() {
                    Some(path) => Picked::File(path),
                    None if opened.elapsed() < crate::ui::app::NO_DIALOG_WITHIN => {
                        Picked::Unavailable(unavailable.to_string())
                    }
                    None => Picked::Cancelled,
                });
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

/// Test double: answers every pick the same way, and counts the picks.
#[derive(Debug, Clone)]
pub struct FixedFilePicker {
    answer: Picked,
    picks: Arc<Mutex<u32>>,
}

impl FixedFilePicker {
    /// A picker that always "chooses" `answer` (`None`: the person cancels).
    pub fn new(answer: Option<PathBuf>) -> Self {
        FixedFilePicker::answering(answer.map_or(Picked::Cancelled, Picked::File))
    }

    /// A picker that always answers `answer` (e.g. [`Picked::Unavailable`], as on a desktop
    /// without a file chooser portal).
    pub fn answering(answer: Picked) -> Self {
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

    fn pick_batch_input(&self, _folder: bool, done: PickDone) {
        self.pick_audio(done);
    }
}

/// Test double: remembers every URL it was asked to open, opens nothing.
#[derive(Debug, Clone, Default)]
pub struct RecordingBrowser {
    opened: Arc<Mutex<Vec<String>>>,
    failure: Option<String>,
}

impl RecordingBrowser {
    /// A browser that fails to open anything with `error` (still recording the URLs).
    pub fn failing(error: &str) -> Self {
        RecordingBrowser {
            opened: Arc::default(),
            failure: Some(error.to_string()),
        }
    }

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
        match &self.failure {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

/// The microphones: what the picker lists and what a chosen device is opened with. The app
/// uses the system's ([`SystemMicrophones`]); tests use [`FakeMicrophones`] (a fixed list
/// whose devices "hear" generated signals), so no test touches the machine's sound system.
pub trait Microphones: Send + Sync {
    /// Every input device, the ones that are not microphones marked, the default first.
    /// Can take a second: called off the UI thread.
    fn list_all(&self) -> Result<Vec<DeviceInfo>, AudioError>;

    /// How to open `device` (an id from the list; `None`: the system default).
    fn options(&self, device: Option<&str>) -> Result<RecorderOptions, AudioError>;
}

/// The system's microphones (cpal: the sound server's sources, else ALSA's devices).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemMicrophones;

impl Microphones for SystemMicrophones {
    fn list_all(&self) -> Result<Vec<DeviceInfo>, AudioError> {
        crate::audio::devices::list_all_input_devices()
    }

    fn options(&self, _device: Option<&str>) -> Result<RecorderOptions, AudioError> {
        // The recorder opens the device named in its config.
        Ok(RecorderOptions::default())
    }
}

/// A device of [`FakeMicrophones`]: what the list shows, and what it "hears".
#[derive(Debug, Clone)]
pub struct FakeDevice {
    /// As the picker lists it.
    pub info: DeviceInfo,
    /// The signal it delivers (`speed` above 1 is a device faster than real time).
    pub signal: Synthetic,
    /// Accept it even when it is faster than real time (a test that records minutes of
    /// audio in seconds on purpose). Off for a device that stands in for ALSA's `null`.
    pub allow_fast: bool,
}

/// Microphones for tests: a fixed list, each device a generated signal.
#[derive(Debug, Clone, Default)]
pub struct FakeMicrophones {
    /// The devices, in list order.
    pub devices: Vec<FakeDevice>,
    /// How many times a device was opened (a test checks that recording reuses the open
    /// microphone test instead of opening the device again).
    pub opened: Arc<std::sync::atomic::AtomicUsize>,
}

impl FakeMicrophones {
    /// One device, the default: a microphone hearing a quiet tone in real time.
    pub fn one_microphone() -> FakeMicrophones {
        FakeMicrophones::with(vec![FakeDevice::microphone(
            "fake:mic",
            "Test Microphone",
            true,
        )])
    }

    /// These devices, in this order.
    pub fn with(devices: Vec<FakeDevice>) -> FakeMicrophones {
        FakeMicrophones {
            devices,
            opened: Arc::default(),
        }
    }
}

impl FakeDevice {
    /// A microphone named `name` hearing a tone at a speaking level (about -23 dBFS RMS)
    /// in real time.
    pub fn microphone(id: &str, name: &str, is_default: bool) -> FakeDevice {
        FakeDevice {
            info: DeviceInfo {
                id: id.into(),
                name: name.into(),
                kind: DeviceKind::Microphone,
                is_default,
                default_rate: Some(16_000),
                channels: Some(1),
                sample_format: Some("f32".into()),
                problem: None,
            },
            signal: Synthetic {
                rate: 16_000,
                channels: 1,
                freq: 220.0,
                amplitude: 0.1,
                fail_after: None,
                speed: 1.0,
                stall_after: None,
                hang_when_stalled: false,
            },
            allow_fast: false,
        }
    }

    /// Stands in for ALSA's `null` device: not a microphone, silence faster than real time.
    pub fn null_device() -> FakeDevice {
        let mut d = FakeDevice::microphone(
            "alsa:null",
            "Discard all samples (playback) or generate zero samples (capture)",
            false,
        );
        d.info.kind = DeviceKind::NotAMicrophone {
            why: "discards what is played and records only silence, faster than real time".into(),
        };
        d.signal.amplitude = 0.0;
        d.signal.speed = 200.0;
        d
    }
}

impl Microphones for FakeMicrophones {
    fn list_all(&self) -> Result<Vec<DeviceInfo>, AudioError> {
        Ok(self.devices.iter().map(|d| d.info.clone()).collect())
    }

    fn options(&self, device: Option<&str>) -> Result<RecorderOptions, AudioError> {
        let found = match device {
            Some(id) => self.devices.iter().find(|d| d.info.id == id),
            None => self.devices.iter().find(|d| d.info.is_default),
        };
        let d = found.ok_or_else(|| {
            AudioError::DeviceNotFound(device.unwrap_or("the default input").to_string())
        })?;
        self.opened
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(RecorderOptions {
            source: Some(Source::Synthetic(d.signal.clone())),
            allow_faster_than_real_time: d.allow_fast,
            ..RecorderOptions::default()
        })
    }
}
