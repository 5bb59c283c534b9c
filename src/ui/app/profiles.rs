//! Service profiles in the app: one click in the header switches the service (its address and
//! its own key), Settings adds and removes profiles. The key of the profile switched to is
//! read off the UI thread (a keychain may take a moment) by the one path every key read takes
//! (`keys`); until it arrives no request goes out, so the next request uses the new address
//! and the new key.

use crate::api::client::check_base_url;
use crate::store::profiles;
use crate::ui::app::App;

/// The "add a profile" fields in Settings.
#[derive(Debug, Clone, Default)]
pub struct ProfileForm {
    /// The new profile's name.
    pub name: String,
    /// Its base URL.
    pub base_url: String,
}

impl App {
    /// The profile the Settings screen's key and address apply to: the active one, or
    /// `default` while the built-in simulator (which needs no key) is active.
    pub fn settings_profile(&self) -> String {
        let active = self.profiles.active();
        if active.simulator {
            profiles::DEFAULT.to_string()
        } else {
            active.name
        }
    }

    /// The address the Settings form shows: the profile it edits, else the saved one.
    pub(crate) fn settings_form_url(&self) -> String {
        let target = self.settings_profile();
        match self.profiles.get(&target) {
            Some(p) => p.base_url.clone().unwrap_or_default(),
            None => self.settings.base_url.clone().unwrap_or_default(),
        }
    }

    /// Writes `profiles.toml` (off the UI thread); a failure is said in a toast.
    pub(crate) fn persist_profiles(&mut self) {
        if self.persist.profiles(&self.profiles) {
            return;
        }
        // No writer thread: write here, as before.
        if let Err(e) = self.profiles.save(&self.paths) {
            self.toast(
                crate::guidance::not_saved_text("The profiles", &e.to_string()),
                true,
            );
        }
    }

    /// Makes `name` the active profile and connects to it: the simulator at once; a service
    /// once its key has been read in the background (no request goes out meanwhile). The
    /// person chose it: from now on the environment no longer decides the service (as
    /// `--profile` beats it in the CLI).
    pub(crate) fn switch_profile(&mut self, name: &str) {
        let env_vars = self.env_vars_in_use();
        if env_vars.is_empty() && name == self.profiles.active && self.connection.profile == name {
            return;
        }
        if let Err(e) = self.profiles.set_active(name) {
            self.toast(e.to_string(), true);
            return;
        }
        self.env_applies = false;
        self.profiles_migrating = false;
        self.persist_profiles();
        self.form.base_url = self.settings_form_url();
        self.form.key_changed();
        let simulator = self.profiles.active().simulator;
        // One toast says what is now in use: that the environment no longer applies, else
        // the profile (once its key is read).
        self.connect_and(env_vars.is_empty());
        if !env_vars.is_empty() {
            self.toast(crate::guidance::env_ignored_text(name, &env_vars), false);
        } else if simulator {
            self.toast("Profile simulator: results are not real", false);
        }
    }

    /// Adds the profile typed in Settings (not switched to).
    pub(crate) fn add_profile(&mut self) {
        let name = self.profile_form.name.trim().to_string();
        let url = self.profile_form.base_url.trim().to_string();
        if let Err(e) = check_base_url(&url) {
            self.toast(e.to_string(), true);
            return;
        }
        if let Err(e) = self.profiles.add(&name, &url) {
            self.toast(e.to_string(), true);
            return;
        }
        self.persist_profiles();
        self.profile_form = super::ProfileForm::default();
        self.toast(
            format!("Profile {name} added: switch to it in the header, then save its key"),
            false,
        );
    }

    /// Removes a profile and its key (built-in ones stay).
    pub(crate) fn remove_profile(&mut self, name: &str) {
        let was_active = self.profiles.active == name;
        if let Err(e) = self.profiles.remove(name) {
            self.toast(e.to_string(), true);
            return;
        }
        self.forget_removed_profile_key(name);
        self.persist_profiles();
        if was_active {
            self.form.base_url = self.settings_form_url();
            self.connect();
        }
        self.toast(format!("Profile {name} removed"), false);
    }
}
