//! Side effects the UI asks for, as values. Drawing code only pushes these; `App::run_command`
//! (in `command_handling.rs`) runs them once, after the frame is drawn.

use std::path::PathBuf;

use crate::ui::app::{Replacement, Screen};

/// A side effect the UI asks for.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Show another screen.
    Navigate(Screen),
    /// Put text on the clipboard and say so in a toast.
    CopyToClipboard {
        /// The text copied.
        text: String,
        /// What it is, for the toast ("Run id").
        what: &'static str,
    },
    /// Open a URL in the browser (when it can't open, the address is shown to copy).
    OpenUrl(String),
    /// Close the "copy this address" window shown when the browser could not open.
    CloseUrlFallback,
    /// Open the file picker to import a recording.
    PickFile,
    /// Use this file as the take (from the picker, the path field or drag-and-drop); asks
    /// first when the take on screen was never submitted.
    ImportPath(PathBuf),
    /// Put the current take away (it stays in the Takes list; the file stays on disk); asks
    /// first when it was never submitted.
    DiscardTake,
    /// Replace the take on screen without asking (the answer to the question).
    ReplaceTake(Replacement),
    /// Make a take from the Takes list the current one (asks as [`Command::ImportPath`]).
    OpenTake(String),
    /// Forget a take from the list; a recording the app made is deleted (after
    /// [`Command::Confirm`]).
    DeleteTake(String),
    /// Start recording from the chosen device (asks first when the take on screen was never
    /// submitted: the new recording will replace it).
    StartRecording,
    /// Stop recording and keep the take.
    StopRecording,
    /// Play the take.
    PlayTake,
    /// Stop playback.
    StopPlayback,
    /// Choose the input device (`None`: system default); remembered across restarts.
    SelectDevice(Option<String>),
    /// List what is not a microphone too (marked), or not.
    ShowAllDevices(bool),
    /// Close the record screen's dialog (a source that is not a microphone, a silent take).
    CloseRecordDialog,
    /// Submit the take even though it is silent (the answer to the question).
    SubmitAnyway,
    /// Read the list of input devices again.
    RefreshDevices,
    /// Submit the take as a fresh run (a silent take asks first).
    Submit,
    /// Stop waiting for the run in flight (the run itself goes on on the service).
    CancelRun,
    /// Close the error dialog.
    DismissDialog,
    /// Score the current take in this language (the default stays as it is), and close the
    /// picker; with `make_default`, also make it the default for later takes.
    SetTakeLanguage {
        /// ISO 639-1 code.
        code: String,
        /// Also save it as the default language.
        make_default: bool,
    },
    /// Make this the default language of every later take (Settings).
    SetDefaultLanguage(String),
    /// Open the language picker.
    OpenLanguagePicker,
    /// Close the language picker.
    CloseLanguagePicker,
    /// Open Settings with the key field focused.
    FocusKeySettings,
    /// Save the key typed in Settings and leave demo mode (asks first when the key failed
    /// its test).
    SaveKey,
    /// Save the typed key even though it failed its test (after the warning).
    SaveKeyAnyway,
    /// Forget the saved key (back to demo mode).
    ForgetKey,
    /// Call GET /credits with the key typed in Settings (or the saved one).
    TestKey,
    /// Move the saved key to the system keychain or the owner-only file (Settings' one-click
    /// move, offered when the store says it can).
    MoveKey(crate::store::KeyLocation),
    /// Read the key (when it could not be read) or where it is again (Settings).
    CheckKeyAgain,
    /// Save base URL, externalId and metadata from the Settings form.
    SaveSettings,
    /// Ask the service for the credit balance.
    RefreshCredits,
    /// Read the history again (off the UI thread).
    RefreshHistory,
    /// Show a run from history.
    OpenRun(String),
    /// Poll a run from history again (a cancelled or stopped run that exists on the service).
    ResumeRun(String),
    /// Delete a run's recording file from disk (after [`Command::Confirm`]).
    DeleteRecording(String),
    /// Remove a run from history (after [`Command::Confirm`]).
    DeleteRun(String),
    /// Ask before doing something that can't be undone.
    Confirm(Confirmation),
    /// Close the confirmation without doing anything.
    CloseConfirm,
    /// Something on the Support screen.
    Support(SupportCommand),
    /// Something on the Batch screen.
    Batch(BatchCommand),
    /// Open this support bundle on the Support screen (dropped on the window, or chosen).
    OpenBundleFile(PathBuf),
    /// Make this service profile the active one (the header's profile switch).
    SwitchProfile(String),
    /// Add the profile typed in Settings.
    AddProfile,
    /// Remove a service profile and its key (after [`Command::Confirm`]).
    RemoveProfile(String),
    /// The waveform, trend and export views.
    Views(crate::ui::app::ViewCommand),
}

/// "Are you sure?" before a command that can't be undone.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmation {
    /// Headline ("Delete the recording?").
    pub title: String,
    /// What will happen, and what stays.
    pub body: String,
    /// The button that goes ahead ("Delete recording").
    pub confirm_label: String,
    /// What going ahead runs.
    pub command: Box<Command>,
}

/// The Batch screen's side effects. They read their inputs (the path and export fields) from
/// `App::batch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchCommand {
    /// Open the folder dialog.
    PickFolder,
    /// Open the manifest dialog.
    PickManifest,
    /// Read the folder or manifest typed in and estimate its cost.
    Check,
    /// Start (or continue) the checked batch.
    Start,
    /// No new row starts; rows in flight go on.
    Pause,
    /// Rows start again.
    Resume,
    /// Stop the batch; runs already submitted stay resumable.
    Cancel,
    /// Show a row's result (by row number).
    OpenResult(usize),
    /// Write the table as CSV to the export path.
    Export,
}

/// The Support screen's side effects. They read their inputs (the fields the person typed
/// into) from `App::support`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupportCommand {
    /// Ask for the credit balance (with the key) and the health (without).
    RefreshAccount,
    /// Explain the text in the explain box.
    Explain,
    /// Poll the run id typed in once.
    LookUpRun,
    /// List runs by externalId, status and dates.
    FindRuns,
    /// Open the bundle file typed in.
    OpenBundle,
    /// Replay the opened bundle through an in-process simulator.
    StartReplay,
    /// Stop the replay.
    StopReplay,
    /// Export the run on screen as a bundle.
    Export,
    /// Open the file dialog to choose a bundle.
    ChooseBundle,
    /// Search the log of all runs with the filters typed in (from the first page).
    Search,
    /// Show this page (1-based) of the last search.
    SearchPage(usize),
    /// Write the request log shown as HAR to the path typed in.
    ExportHar,
}
