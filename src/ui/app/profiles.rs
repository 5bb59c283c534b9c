//! Service profiles in the app: one click in the header switches the service (its address and
//! its own key), Settings adds and removes profiles. The key of the profile switched to is
//! read off the UI thread (a keychain may take a moment); until it arrives no request goes
//! out, so the next request uses the new address and the new key.

use crate::api::client::{ApiKey, check_base_url};
use crate::store::profiles::{self, Profile};
use crate::ui::app::{App, AppEvent};

/// What comes back from profile work.
#[derive(Debug)]
pub enum ProfileEvent {
    /// The key of the profile switched to was read.
    KeyRead {
        /// Tells the latest switch from earlier ones.
        generation: u64,
        /// The profile.
        profile: Profile,
        /// Its key, or why it could not be read.
        key: Result<Option<ApiKey>, String>,
    },
}

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

    /// Writes `profiles.toml`; a failure is said in a toast.
    pub(crate) fn persist_profiles(&mut self) {
        if let Err(e) = self.profiles.save(&self.paths) {
            self.toast(format!("The profiles could not be saved: {e}"), true);
        }
    }

    /// Makes `name` the active profile and connects to it: the simulator at once; a service
    /// once its key has been read in the background (no request goes out meanwhile).
    pub(crate) fn switch_profile(&mut self, name: &str) {
        if name == self.profiles.active && self.connection.profile == name {
            return;
        }
        if let Err(e) = self.profiles.set_active(name) {
            self.toast(e.to_string(), true);
            return;
        }
        self.persist_profiles();
        self.profile_generation += 1;
        self.form.base_url = self.settings_form_url();
        self.form.key_changed();
        let profile = self.profiles.active();
        if profile.simulator {
            self.connect_demo();
            self.toast("Profile simulator: results are not real", false);
            return;
        }
        // Not ready until the key is here: a request now would go to the old service.
        self.connection = crate::ui::app::Connection {
            base_url: String::new(),
            key: None,
            demo: false,
            profile: profile.name.clone(),
        };
        let entry = self.profile_keys.entry(&profile.name);
        let generation = self.profile_generation;
        let sender = self.sender.clone();
        self.rt.spawn_blocking(move || {
            let key = entry.get().map_err(|e| e.to_string());
            sender.send(AppEvent::Profile(ProfileEvent::KeyRead {
                generation,
                profile,
                key,
            }));
        });
    }

    pub(crate) fn on_profile_event(&mut self, event: ProfileEvent) {
        match event {
            ProfileEvent::KeyRead {
                generation,
                profile,
                key,
            } => {
                // A later switch (or any other change) wins.
                if generation != self.profile_generation || self.profiles.active != profile.name {
                    return;
                }
                let key = match key {
                    Ok(k) => k,
                    Err(e) => {
                        self.toast(
                            format!("The key of profile {} could not be read: {e}", profile.name),
                            true,
                        );
                        None
                    }
                };
                let text = match &key {
                    Some(k) => format!(
                        "Profile {}: {} with key {}",
                        profile.name,
                        profile.describe(),
                        k.masked()
                    ),
                    None => format!(
                        "Profile {}: {} — no key saved for it (Settings)",
                        profile.name,
                        profile.describe()
                    ),
                };
                self.connect_service(&profile, key);
                self.toast(text, false);
            }
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
        if let Err(e) = self.profile_keys.entry(name).clear() {
            self.toast(
                format!("The key of profile {name} could not be removed: {e}"),
                true,
            );
        }
        self.persist_profiles();
        if was_active {
            self.profile_generation += 1;
            self.form.base_url = self.settings_form_url();
            self.connect();
        }
        self.toast(format!("Profile {name} removed"), false);
    }
}
