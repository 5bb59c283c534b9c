//! Which service the app talks to: the active service profile (its address and its own key),
//! or demo mode on the built-in simulator profile (started on the app's runtime, never on the
//! UI thread). Settings' *Test key*, the checks before a key is saved, and saving the other
//! settings live here too; the key's reads and writes are in `keys`, switching and editing
//! profiles in `profiles`.

use crate::api::client::{ApiClient, ApiKey, DEFAULT_BASE_URL, check_base_url};
use crate::api::error::ApiError;
use crate::guidance;
use crate::simulator::SimHandle;
use crate::store::profiles::{self, Profile};
use crate::ui::app::{App, AppEvent, Command, Confirmation, KeyWait};

/// The service the app talks to.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Base URL (empty while the built-in simulator is starting).
    pub base_url: String,
    /// The key sent.
    pub key: Option<ApiKey>,
    /// True for the built-in simulator (demo mode): results are not real.
    pub demo: bool,
    /// The service profile this is.
    pub profile: String,
}

impl Connection {
    /// True once requests can be made (demo mode: once the simulator has started).
    pub fn is_ready(&self) -> bool {
        !self.base_url.is_empty()
    }
}

/// What "Test key" found.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyTest {
    /// GET /credits answered; the balance when it said.
    Works(Option<f64>),
    /// The service answered and refused the key (401/403): the key is the problem.
    Refused {
        /// The code it refused with.
        code: String,
        /// What that code means, from `guidance`.
        title: String,
    },
    /// No answer arrived (offline, DNS, refused connection, timeout): the key was not checked.
    Unreachable(String),
    /// Anything else (a bad address, an unreadable or unexpected answer).
    Failed(String),
}

impl KeyTest {
    /// Sorts a GET /credits result: a refusal is about the key, no answer is about the network.
    pub fn from_credits(result: Result<Option<f64>, ApiError>) -> KeyTest {
        match result {
            Ok(balance) => KeyTest::Works(balance),
            Err(ApiError::Network { kind, message, .. }) => {
                KeyTest::Unreachable(format!("{kind}: {message}"))
            }
            Err(e) => match (e.code(), e.http_status()) {
                (Some(code), Some(401 | 403)) => KeyTest::Refused {
                    title: guidance::for_code(&code).title,
                    code: code.as_str().to_string(),
                },
                _ => KeyTest::Failed(e.to_string()),
            },
        }
    }
}

impl App {
    /// A client for the service in use.
    pub(crate) fn client(&self) -> Result<ApiClient, String> {
        if !self.connection.is_ready() {
            return Err(match &self.key_wait {
                KeyWait::Reading => guidance::READING_KEY_WAIT.to_string(),
                KeyWait::Unreadable { profile, error } => guidance::key_unreadable(profile, error),
                KeyWait::Known if self.connection.demo => {
                    "The built-in simulator is still starting; try again in a moment.".into()
                }
                KeyWait::Known => format!(
                    "Switching to profile {}; try again in a moment.",
                    self.connection.profile
                ),
            });
        }
        ApiClient::new(&self.connection.base_url, self.connection.key.clone())
            .map_err(|e| e.to_string())
    }

    /// Talks to a service profile with `key` (none: requests go without one, and the header
    /// says so).
    pub(crate) fn connect_service(&mut self, profile: &Profile, key: Option<ApiKey>) {
        self.connection = Connection {
            base_url: profile.url().unwrap_or(DEFAULT_BASE_URL).to_string(),
            key,
            demo: false,
            profile: profile.name.clone(),
        };
        self.on_connected();
    }

    /// Demo mode on the built-in simulator, started once in the background.
    pub(crate) fn connect_demo(&mut self) {
        match &self.demo_sim {
            Some(sim) => {
                self.connection = demo_connection(sim);
                self.on_connected();
            }
            None => {
                self.connection = Connection {
                    base_url: String::new(),
                    key: None,
                    demo: true,
                    profile: profiles::SIMULATOR.to_string(),
                };
                if !self.demo_starting {
                    self.demo_starting = true;
                    let cfg = self.config.demo_config.clone();
                    let sender = self.sender.clone();
                    self.rt.spawn(async move {
                        let started = crate::simulator::Simulator::start(cfg)
                            .await
                            .map_err(|e| e.to_string());
                        sender.send(AppEvent::DemoStarted(started));
                    });
                }
            }
        }
    }

    pub(crate) fn on_demo_started(&mut self, started: Result<SimHandle, String>) {
        self.demo_starting = false;
        match started {
            Ok(sim) => {
                // A key saved meanwhile wins; the simulator stays for a later "Forget key".
                let use_it = self.connection.demo;
                if use_it {
                    self.connection = demo_connection(&sim);
                }
                self.demo_sim = Some(sim);
                if use_it {
                    self.on_connected();
                }
            }
            Err(e) => self.toast(format!("The built-in simulator did not start: {e}"), true),
        }
    }

    /// The service is usable: ask for the balance and finish the runs left unfinished.
    pub(crate) fn on_connected(&mut self) {
        self.refresh_credits();
        self.resume_pending = true;
        self.resume_unfinished();
        if self.support.opened {
            self.support_refresh_account();
        }
    }

    /// Asks for the balance in the background.
    pub(crate) fn refresh_credits(&mut self) {
        let Ok(client) = self.client() else { return };
        let sender = self.sender.clone();
        self.rt.spawn(async move {
            let result = client
                .credits()
                .await
                .into_result()
                .map(|c| c.available().or(c.balance()))
                .map_err(|e| e.to_string());
            sender.send(AppEvent::Credits(result));
        });
    }

    pub(crate) fn test_key(&mut self) {
        let typed = ApiKey::new(self.form.key_input.clone());
        let base = if let Some(url) = self.env_url_in_use() {
            url.to_string()
        } else if !self.form.base_url.trim().is_empty() {
            self.form.base_url.trim().to_string()
        } else if typed.is_some() {
            DEFAULT_BASE_URL.to_string()
        } else {
            self.connection.base_url.clone()
        };
        let key = typed.or_else(|| self.connection.key.clone());
        let client = match ApiClient::new(&base, key) {
            Ok(c) => c,
            Err(e) => {
                self.form.key_test = Some(KeyTest::Failed(e.to_string()));
                return;
            }
        };
        self.form.key_testing = true;
        self.form.key_test = None;
        let generation = self.form.key_generation;
        let sender = self.sender.clone();
        self.rt.spawn(async move {
            let result = client
                .credits()
                .await
                .into_result()
                .map(|c| c.available().or(c.balance()));
            sender.send(AppEvent::KeyTested {
                generation,
                result: KeyTest::from_credits(result),
            });
        });
    }

    pub(crate) fn on_key_tested(&mut self, generation: u64, result: KeyTest) {
        // A test of a key that has since been edited says nothing about the key typed now.
        if generation != self.form.key_generation {
            return;
        }
        self.form.key_testing = false;
        self.form.key_test = Some(result);
    }

    /// Saves the typed key, unless it failed its test: then asks first.
    pub(crate) fn save_key(&mut self, anyway: bool) {
        if !anyway && let Some(KeyTest::Refused { code, title }) = &self.form.key_test {
            let body = format!(
                "The service refused this key when you tested it ({title}, {code}). \
                 Runs with it will be refused too. Save it anyway?"
            );
            self.confirm = Some(Confirmation {
                title: "Save a key that did not work?".into(),
                body,
                confirm_label: "Save anyway".into(),
                command: Box::new(Command::SaveKeyAnyway),
            });
            return;
        }
        let Some(key) = ApiKey::new(self.form.key_input.clone()) else {
            self.toast("Type or paste the key first.", true);
            return;
        };
        if self.key_panel.working() {
            return;
        }
        self.save_key_in_background(key);
    }

    pub(crate) fn save_settings(&mut self) {
        let base = self.form.base_url.trim().to_string();
        if !base.is_empty()
            && let Err(e) = check_base_url(&base)
        {
            self.toast(e.to_string(), true);
            return;
        }
        let ext = self.form.external_id.trim().to_string();
        if !ext.is_empty()
            && let Err(p) = crate::validate::validate_external_id(&ext)
        {
            self.toast(p.message, true);
            return;
        }
        let meta = self.form.metadata.trim().to_string();
        if !meta.is_empty()
            && let Err(p) = crate::validate::validate_metadata(&meta)
        {
            self.toast(p.message, true);
            return;
        }
        // The address is the profile's Settings edits (when it exists and is not built in);
        // the settings keep it too while that is `default`, as before profiles.
        let target = self.settings_profile();
        let fixed = self.profiles.get(&target).is_some_and(|p| p.is_built_in());
        if fixed && !base.is_empty() && base.trim_end_matches('/') != DEFAULT_BASE_URL {
            self.toast(
                format!("Profile {target}'s address is fixed; add a profile (below) for {base}"),
                true,
            );
            return;
        }
        if self.profiles.get(&target).is_some_and(|p| !p.is_built_in()) {
            let url = if base.is_empty() {
                DEFAULT_BASE_URL
            } else {
                base.as_str()
            };
            match self.profiles.set_url(&target, url) {
                Ok(()) => self.persist_profiles(),
                Err(e) => {
                    self.toast(e.to_string(), true);
                    return;
                }
            }
        }
        if target == profiles::DEFAULT {
            self.settings.base_url = (!base.is_empty()).then_some(base);
        }
        self.settings.default_external_id = (!ext.is_empty()).then_some(ext);
        self.settings.default_metadata = (!meta.is_empty()).then_some(meta);
        self.write_settings(Some(guidance::SETTINGS_SAVED));
        if !self.connection.demo {
            self.connect();
        }
    }

    /// Writes the settings (off the UI thread); a failure is said in a toast.
    pub(crate) fn persist_settings(&mut self) {
        self.write_settings(None);
    }

    /// Writes the settings off the UI thread; `note` is said once they are written.
    fn write_settings(&mut self, note: Option<&'static str>) {
        if self.persist.settings(&self.settings, note) {
            return;
        }
        // No writer thread: write here, as before.
        match self.settings.save(&self.paths) {
            Ok(()) => {
                if let Some(note) = note {
                    self.toast(note, false);
                }
            }
            Err(e) => self.toast(guidance::not_saved_text("Settings", &e.to_string()), true),
        }
    }
}

fn demo_connection(sim: &SimHandle) -> Connection {
    Connection {
        base_url: sim.base_url(),
        key: ApiKey::new(sim.api_key()),
        demo: true,
        profile: profiles::SIMULATOR.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::error::NetworkKind;

    #[test]
    fn a_network_failure_is_not_a_bad_key() {
        let offline = ApiError::Network {
            kind: NetworkKind::Connect,
            may_have_reached_server: false,
            message: "dns error".into(),
        };
        assert_eq!(
            KeyTest::from_credits(Err(offline)),
            KeyTest::Unreachable("could not connect: dns error".into())
        );
        assert_eq!(
            KeyTest::from_credits(Ok(Some(5.0))),
            KeyTest::Works(Some(5.0))
        );
    }
}
