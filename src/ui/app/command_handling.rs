//! Runs the [`Command`]s the UI pushed during a frame, once, after the frame is drawn. Each
//! arm is a line: the work lives in the file named for its concern (`connection`, `jobs`,
//! `takes`, `history`, `support`, `recording`).

use crate::ui::app::{App, Command, Replacement, Screen};

impl App {
    /// Runs one command the UI asked for.
    pub fn run_command(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::Navigate(screen) => self.navigate(screen),
            Command::CopyToClipboard { text, what } => {
                ctx.copy_text(text);
                self.toast(format!("{what} copied"), false);
            }
            Command::OpenUrl(url) => self.open_url(url),
            Command::CloseUrlFallback => self.url_fallback = None,
            Command::PickFile => self.pick_file(),
            Command::ImportPath(path) => self.replace_take(Replacement::Import(path), false),
            Command::DiscardTake => self.replace_take(Replacement::Discard, false),
            Command::ReplaceTake(what) => self.replace_take(what, true),
            Command::OpenTake(id) => self.replace_take(Replacement::Open(id), false),
            Command::DeleteTake(id) => self.delete_take(&id),
            Command::StartRecording => self.replace_take(Replacement::Record, false),
            Command::StopRecording => self.stop_recording(),
            Command::PlayTake => self.play_take(),
            Command::StopPlayback => self.stop_playback(),
            Command::SelectDevice(device) => self.select_device(device),
            Command::ShowAllDevices(all) => self.audio.show_all = all,
            Command::CloseRecordDialog => self.audio.dialog = None,
            Command::SubmitAnyway => self.submit_anyway(),
            Command::RefreshDevices => self.refresh_devices(),
            Command::Submit => self.submit_checked(),
            Command::CancelRun => self.cancel_run(),
            Command::DismissDialog => self.dialog = None,
            Command::SetTakeLanguage { code, make_default } => {
                self.set_take_language(code, make_default)
            }
            Command::SetDefaultLanguage(code) => self.set_default_language(code),
            Command::OpenLanguagePicker => {
                self.language_filter.clear();
                self.language_make_default = false;
                self.language_picker_open = true;
            }
            Command::CloseLanguagePicker => self.language_picker_open = false,
            Command::FocusKeySettings => {
                self.navigate(Screen::Settings);
                self.form.focus_key = true;
            }
            Command::SaveKey => self.save_key(false),
            Command::SaveKeyAnyway => self.save_key(true),
            Command::ForgetKey => self.forget_key(),
            Command::TestKey => self.test_key(),
            Command::MoveKey(to) => self.move_key(to),
            Command::CheckKeyAgain => self.check_key_again(),
            Command::SaveSettings => self.save_settings(),
            Command::RefreshCredits => self.refresh_credits(),
            Command::RefreshHistory => self.refresh_history(),
            Command::OpenRun(local_id) => self.open_run(&local_id),
            Command::ResumeRun(local_id) => self.resume_run(&local_id),
            Command::DeleteRecording(local_id) => self.delete_recording(&local_id),
            Command::DeleteRun(local_id) => self.delete_run(&local_id),
            Command::Confirm(confirmation) => self.confirm = Some(confirmation),
            Command::CloseConfirm => self.confirm = None,
            Command::Support(command) => self.run_support_command(command),
            Command::Batch(command) => self.run_batch_command(command),
            Command::OpenBundleFile(path) => self.support_open_bundle_file(path),
            Command::SwitchProfile(name) => self.switch_profile(&name),
            Command::AddProfile => self.add_profile(),
            Command::RemoveProfile(name) => self.remove_profile(&name),
            Command::Views(command) => self.run_view_command(command),
        }
    }

    fn navigate(&mut self, screen: Screen) {
        if screen != Screen::Record {
            // The microphone is tested only on the record screen.
            self.stop_monitor();
        }
        match screen {
            Screen::History => {
                self.state.screen = screen;
                self.refresh_history();
            }
            Screen::Support => self.open_support(),
            Screen::Settings => {
                self.state.screen = screen;
                // Where the key is may have changed meanwhile (the CLI moved it, the keyring
                // was unlocked): read it again, in the background.
                self.refresh_key_report();
            }
            _ => self.state.screen = screen,
        }
    }

    /// Opens `url` in the browser; when no browser opens, shows the address to copy.
    fn open_url(&mut self, url: String) {
        match self.config.browser.open(&url) {
            Ok(()) => self.toast(format!("Opened {url} in the browser"), false),
            Err(error) => self.url_fallback = Some(UrlFallback { url, error }),
        }
    }

    fn set_take_language(&mut self, code: String, make_default: bool) {
        let name = crate::languages::language_name(&code).unwrap_or("?");
        self.language_picker_open = false;
        if make_default {
            self.set_default_language(code.clone());
        }
        match &mut self.take {
            Some(take) => {
                take.language = Some(code.clone());
                let original = take.original.clone();
                if let Some(id) = self.takes.list.find_path(&original).map(|t| t.id.clone()) {
                    self.takes
                        .list
                        .update(&id, |t| t.language = Some(code.clone()));
                    self.save_takes();
                }
                self.toast(format!("This recording: {name} ({code})"), false);
            }
            // No take yet: the choice can only be the default.
            None if !make_default => self.set_default_language(code),
            None => {}
        }
    }

    fn set_default_language(&mut self, code: String) {
        let name = crate::languages::language_name(&code).unwrap_or("?");
        self.toast(format!("Default language: {name} ({code})"), false);
        self.settings.default_language = code;
        self.persist_settings();
    }
}

/// The browser could not open: the address to copy, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlFallback {
    /// The address.
    pub url: String,
    /// What opening it said.
    pub error: String,
}
