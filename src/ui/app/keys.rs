//! The API key's life in the app, with every secret-store call off the UI thread.
//!
//! The key of a service profile lives in its own entry ([`crate::store::ProfileKeys`]): the
//! system keychain or an owner-only file ([`crate::store::KeychainOrFileStore`]), each call
//! waited for at most the keychain's timeout. So every call (read, save, forget, move, "where
//! is it?") runs on the runtime's blocking pool and its answer comes back as an
//! [`AppEvent::Key`]. Until the key of the profile in use is known, the connection is not
//! ready: no request goes out, and the app says it is reading the key.
//!
//! Connecting (at start-up, after a switch, after a key was saved or removed) is one path:
//! [`App::connect`] decides what is needed ([`Plan`]), reads the key when it must, and the
//! answer ([`KeyEvent::Read`]) finishes the connection. The environment (`$ZENHIRE_API_KEY`,
//! `$ZENHIRE_BASE_URL`) decides the service the way the CLI's does without `--profile`
//! ([`crate::store::unnamed_service`]) until the person picks a profile in the header.

use std::sync::Arc;

use crate::api::client::{ApiKey, DEFAULT_BASE_URL};
use crate::guidance::{self, KeyWork};
use crate::store::profiles::{self, Profile, Profiles};
use crate::store::{
    BASE_URL_ENV, KEY_ENV, KeyLocation, KeyReport, SecretStore, ServiceEnv, unnamed_service,
};
use crate::ui::app::{App, AppEvent, Connection};

/// What comes back from work on a key.
#[derive(Debug)]
pub enum KeyEvent {
    /// A profile's key, and where it is, were read.
    Read {
        /// Tells the latest connect from earlier ones.
        generation: u64,
        /// The profile whose entry was read.
        entry: String,
        /// What the key was read for.
        then: AfterRead,
        /// The key, or why it could not be read.
        key: Result<Option<ApiKey>, String>,
        /// Where it is.
        report: Result<KeyReport, String>,
    },
    /// Where a profile's key is, read again.
    Reported {
        /// The profile.
        entry: String,
        /// Where its key is.
        report: Result<KeyReport, String>,
    },
    /// A key was saved for `entry`, or why not.
    Saved {
        /// The profile.
        entry: String,
        /// The key saved.
        key: ApiKey,
        /// Saved, or why not.
        saved: Result<(), String>,
        /// Where its key is now.
        report: Result<KeyReport, String>,
    },
    /// A profile's key was forgotten, or why not.
    Cleared {
        /// The profile.
        entry: String,
        /// Forgotten, or why not.
        cleared: Result<(), String>,
        /// Where its key is now (nowhere, normally).
        report: Result<KeyReport, String>,
    },
    /// The key of a profile that was removed was forgotten, or why not.
    RemovedProfileKey {
        /// The profile removed.
        profile: String,
        /// Forgotten, or why not.
        cleared: Result<(), String>,
    },
    /// A key was moved between the system keychain and the file, or why not.
    Moved {
        /// The profile.
        entry: String,
        /// Moved, or why not.
        moved: Result<(), String>,
        /// Where its key is now.
        report: Result<KeyReport, String>,
    },
}

/// What a key was read for.
#[derive(Debug, Clone)]
pub enum AfterRead {
    /// Connect to `target` with it; `announce` says so in a toast (a switch in the header).
    Connect {
        /// Where requests will go.
        target: Target,
        /// Say which service and key are now in use.
        announce: bool,
    },
    /// No `profiles.toml` yet: whether a key was saved before profiles decides which
    /// profile is active (see `Profiles::migrated`); then connect.
    Migrate,
}

/// Where requests go once the key is known.
#[derive(Debug, Clone)]
pub enum Target {
    /// A service profile, with its own address.
    Profile(Profile),
    /// The address the environment resolved to, with `entry`'s key (or the environment's).
    Environment {
        /// The address.
        base_url: String,
        /// The profile whose key is used when the environment has none.
        entry: String,
    },
}

/// What connecting needs.
enum Plan {
    /// The built-in simulator (no key).
    Demo,
    /// Everything is known (the environment's key).
    Ready(Target, ApiKey),
    /// The key of `entry` must be read first.
    NeedsKey { entry: String, target: Target },
}

/// Whether the key of the profile in use is known yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum KeyWait {
    /// Known (or none is needed).
    #[default]
    Known,
    /// Being read: no request goes out meanwhile.
    Reading,
    /// It could not be read; nothing is sent until it can be ("Check again").
    Unreadable {
        /// The profile.
        profile: String,
        /// Why.
        error: String,
    },
}

/// What Settings shows about where the key is.
#[derive(Debug, Clone, Default)]
pub struct KeyPanel {
    /// The profile whose entry `report` describes.
    pub entry: String,
    /// Where its key is; `None` until the first answer.
    pub report: Option<Result<KeyReport, String>>,
    /// Work on the key in progress.
    pub busy: Option<KeyWork>,
    /// The last save, removal or move that failed, said under the key's place.
    pub error: Option<String>,
}

impl KeyPanel {
    /// True while the key is being saved, removed or moved (the buttons wait).
    pub fn working(&self) -> bool {
        matches!(
            self.busy,
            Some(KeyWork::Saving | KeyWork::Removing | KeyWork::Moving)
        )
    }
}

impl App {
    /// The environment, while it decides the service (from start-up until the person picks
    /// a profile in the header).
    pub fn env_in_use(&self) -> Option<&ServiceEnv> {
        (self.env_applies && self.config.environment.is_set()).then_some(&self.config.environment)
    }

    /// True while the key in use is `$ZENHIRE_API_KEY`.
    pub fn env_key_in_use(&self) -> bool {
        self.env_in_use().is_some_and(|e| e.key.is_some())
    }

    /// The address from `$ZENHIRE_BASE_URL`, while it is the one in use.
    pub fn env_url_in_use(&self) -> Option<&str> {
        self.env_in_use().and_then(|e| e.base_url.as_deref())
    }

    /// The environment variables in use, for people: "ZENHIRE_API_KEY and ZENHIRE_BASE_URL".
    pub fn env_vars_in_use(&self) -> String {
        let Some(env) = self.env_in_use() else {
            return String::new();
        };
        let vars: Vec<&str> = [
            env.key.as_ref().map(|_| KEY_ENV),
            env.base_url.as_ref().map(|_| BASE_URL_ENV),
        ]
        .into_iter()
        .flatten()
        .collect();
        vars.join(" and ")
    }

    /// Where Settings' profile keeps its key, as Settings shows it: with the environment's
    /// key in use, the report says so (and names the saved key it hides). `None` until read.
    pub fn key_report_shown(&self) -> Option<Result<KeyReport, String>> {
        if self.key_panel.entry != self.settings_profile() {
            return None;
        }
        let mut report = self.key_panel.report.clone()?;
        if self.env_key_in_use()
            && let Ok(r) = &mut report
        {
            r.in_use = Some(KeyLocation::Environment);
            r.can_move_to = r.can_move_to.take().filter(|_| r.saved.is_some());
        }
        Some(report)
    }

    /// Connects to the service in use (see the module doc).
    pub(crate) fn connect(&mut self) {
        self.connect_and(false);
    }

    /// Connects; `announce` says in a toast what is now in use (a switch in the header).
    pub(crate) fn connect_and(&mut self, announce: bool) {
        self.profile_generation += 1;
        if self.profiles_migrating {
            self.await_key(profiles::DEFAULT, AfterRead::Migrate);
            return;
        }
        match self.plan() {
            Plan::Demo => {
                self.key_wait = KeyWait::Known;
                self.connect_demo();
                self.refresh_key_report();
            }
            Plan::Ready(target, key) => {
                self.key_wait = KeyWait::Known;
                self.connect_to(target, Some(key));
                self.refresh_key_report();
            }
            Plan::NeedsKey { entry, target } => {
                self.await_key(&entry, AfterRead::Connect { target, announce })
            }
        }
    }

    fn plan(&self) -> Plan {
        if let Some(env) = self.env_in_use() {
            let unnamed = unnamed_service(&self.profiles, &self.settings, env, None);
            let target = Target::Environment {
                base_url: unnamed.base_url,
                entry: unnamed.key_profile.clone(),
            };
            return match &env.key {
                Some(key) => Plan::Ready(target, key.clone()),
                None => Plan::NeedsKey {
                    entry: unnamed.key_profile,
                    target,
                },
            };
        }
        let profile = self.profiles.active();
        if profile.simulator {
            Plan::Demo
        } else {
            Plan::NeedsKey {
                entry: profile.name.clone(),
                target: Target::Profile(profile),
            }
        }
    }

    /// Not ready until `entry`'s key is read (in the background); then `then`.
    fn await_key(&mut self, entry: &str, then: AfterRead) {
        self.connection = Connection {
            base_url: String::new(),
            key: None,
            demo: false,
            profile: entry.to_string(),
        };
        self.key_wait = KeyWait::Reading;
        let store = self.profile_keys.entry(entry);
        let generation = self.profile_generation;
        let entry = entry.to_string();
        self.off_thread(
            move || {
                let key = store.get().map_err(|e| e.to_string());
                let report = store.report().map_err(|e| e.to_string());
                (key, report)
            },
            move |answer| {
                let (key, report) = answer.unwrap_or_else(|e| (Err(e.clone()), Err(e)));
                KeyEvent::Read {
                    generation,
                    entry,
                    then,
                    key,
                    report,
                }
            },
        );
    }

    /// Runs `work` (secret-store calls) on the runtime's blocking pool and sends what `done`
    /// makes of its answer; a panic in `work` is an internal error, said as such.
    fn off_thread<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
        done: impl FnOnce(Result<T, String>) -> KeyEvent + Send + 'static,
    ) {
        let sender = self.sender.clone();
        let task = self.rt.spawn_blocking(work);
        self.rt.spawn(async move {
            let answer = task
                .await
                .map_err(|e| format!("internal error: the key store stopped ({e})"));
            sender.send(AppEvent::Key(done(answer)));
        });
    }

    /// Reads again where Settings' profile keeps its key (Settings opened, "Check again").
    pub(crate) fn refresh_key_report(&mut self) {
        let entry = self.settings_profile();
        if self.key_panel.entry != entry {
            self.key_panel = KeyPanel {
                entry: entry.clone(),
                ..KeyPanel::default()
            };
        }
        if self.key_panel.busy.is_none() {
            self.key_panel.busy = Some(KeyWork::Checking);
        }
        let store = self.profile_keys.entry(&entry);
        self.off_thread(
            move || store.report().map_err(|e| e.to_string()),
            move |answer| KeyEvent::Reported {
                entry,
                report: answer.and_then(|r| r),
            },
        );
    }

    /// Settings' *Check again*: reads the key again when it could not be read, else where
    /// it is.
    pub(crate) fn check_key_again(&mut self) {
        if matches!(self.key_wait, KeyWait::Unreadable { .. }) {
            self.connect();
        } else {
            self.refresh_key_report();
        }
    }

    /// Marks Settings' key panel busy with `work` for its profile and gives that profile's name
    /// and key entry (for a background call).
    fn begin_key_work(&mut self, work: KeyWork) -> (String, Arc<dyn SecretStore>) {
        let entry = self.settings_profile();
        self.key_panel.entry = entry.clone();
        self.key_panel.busy = Some(work);
        self.key_panel.error = None;
        let store = self.profile_keys.entry(&entry);
        (entry, store)
    }

    /// Saves `key` for Settings' profile in the background; [`KeyEvent::Saved`] goes on.
    pub(crate) fn save_key_in_background(&mut self, key: ApiKey) {
        let (entry, store) = self.begin_key_work(KeyWork::Saving);
        let secret = key.clone();
        self.off_thread(
            move || {
                let saved = store.set(&secret).map_err(|e| e.to_string());
                (saved, store.report().map_err(|e| e.to_string()))
            },
            move |answer| {
                let (saved, report) = answer.unwrap_or_else(|e| (Err(e.clone()), Err(e)));
                KeyEvent::Saved {
                    entry,
                    key,
                    saved,
                    report,
                }
            },
        );
    }

    /// Forgets Settings' profile's key in the background.
    pub(crate) fn forget_key(&mut self) {
        let (entry, store) = self.begin_key_work(KeyWork::Removing);
        self.off_thread(
            move || {
                let cleared = store.clear().map_err(|e| e.to_string());
                (cleared, store.report().map_err(|e| e.to_string()))
            },
            move |answer| {
                let (cleared, report) = answer.unwrap_or_else(|e| (Err(e.clone()), Err(e)));
                KeyEvent::Cleared {
                    entry,
                    cleared,
                    report,
                }
            },
        );
    }

    /// Moves Settings' profile's key to `to` (the keychain or the file) in the background.
    pub(crate) fn move_key(&mut self, to: KeyLocation) {
        let (entry, store) = self.begin_key_work(KeyWork::Moving);
        self.off_thread(
            move || match store.move_key_to(&to) {
                Ok(report) => (Ok(()), Ok(report)),
                Err(e) => (
                    Err(e.to_string()),
                    store.report().map_err(|e| e.to_string()),
                ),
            },
            move |answer| {
                let (moved, report) = answer.unwrap_or_else(|e| (Err(e.clone()), Err(e)));
                KeyEvent::Moved {
                    entry,
                    moved,
                    report,
                }
            },
        );
    }

    /// Forgets the key of a profile that was removed, in the background.
    pub(crate) fn forget_removed_profile_key(&mut self, profile: &str) {
        let store: Arc<dyn SecretStore> = self.profile_keys.entry(profile);
        let profile = profile.to_string();
        self.off_thread(
            move || store.clear().map_err(|e| e.to_string()),
            move |answer| KeyEvent::RemovedProfileKey {
                profile,
                cleared: answer.and_then(|r| r),
            },
        );
    }

    pub(crate) fn on_key_event(&mut self, event: KeyEvent) {
        match event {
            KeyEvent::Read {
                generation,
                entry,
                then,
                key,
                report,
            } => {
                self.take_report(&entry, report, None);
                // A later connect (a switch, a saved key) wins.
                if generation != self.profile_generation {
                    return;
                }
                match then {
                    AfterRead::Migrate => self.migrate(key),
                    AfterRead::Connect { target, announce } => {
                        self.finish_connect(target, key, announce)
                    }
                }
            }
            KeyEvent::Reported { entry, report } => {
                self.take_report(&entry, report, Some(KeyWork::Checking))
            }
            KeyEvent::Saved {
                entry,
                key,
                saved,
                report,
            } => {
                self.take_report(&entry, report, Some(KeyWork::Saving));
                self.on_key_saved(entry, key, saved);
            }
            KeyEvent::Cleared {
                entry,
                cleared,
                report,
            } => {
                self.take_report(&entry, report, Some(KeyWork::Removing));
                match cleared {
                    Ok(()) => self.on_key_cleared(&entry),
                    Err(e) => self.key_failed(guidance::key_not_removed(&entry, &e)),
                }
            }
            KeyEvent::RemovedProfileKey { profile, cleared } => {
                if let Err(e) = cleared {
                    self.toast(guidance::key_not_removed(&profile, &e), true);
                }
            }
            KeyEvent::Moved {
                entry,
                moved,
                report,
            } => {
                self.take_report(&entry, report, Some(KeyWork::Moving));
                match moved {
                    Ok(()) => {
                        let place = self
                            .key_panel
                            .report
                            .as_ref()
                            .and_then(|r| r.as_ref().ok())
                            .and_then(|r| r.saved.as_ref())
                            .map(KeyLocation::describe);
                        if let Some(place) = place {
                            self.toast(guidance::key_moved_text(&place), false);
                        }
                    }
                    Err(e) => self.key_failed(e),
                }
            }
        }
    }

    /// Keeps `report` for Settings when it is about Settings' profile; `ends` is the work it
    /// answers (a check does not end a save still under way).
    fn take_report(
        &mut self,
        entry: &str,
        report: Result<KeyReport, String>,
        ends: Option<KeyWork>,
    ) {
        if entry != self.settings_profile() {
            return;
        }
        if self.key_panel.entry != entry {
            self.key_panel = KeyPanel {
                entry: entry.to_string(),
                ..KeyPanel::default()
            };
        }
        self.key_panel.report = Some(report);
        if ends.is_some() && self.key_panel.busy == ends {
            self.key_panel.busy = None;
        }
    }

    fn key_failed(&mut self, text: String) {
        self.key_panel.busy = None;
        self.key_panel.error = Some(text.clone());
        self.toast(text, true);
    }

    /// The key saved before profiles is known: which profile is active follows from it. When
    /// it could not be read, nothing is decided (not even demo mode: that would be a guess)
    /// until it can be; picking a profile in the header decides too.
    fn migrate(&mut self, key: Result<Option<ApiKey>, String>) {
        if let Err(error) = key {
            self.key_unreadable(profiles::DEFAULT.to_string(), error);
            return;
        }
        let saved = matches!(key, Ok(Some(_)));
        self.profiles = Profiles::migrated(&self.settings, saved);
        self.profiles_migrating = false;
        self.form.base_url = self.settings_form_url();
        match self.plan() {
            Plan::Demo => {
                self.key_wait = KeyWait::Known;
                self.connect_demo();
            }
            Plan::Ready(target, env_key) => {
                self.key_wait = KeyWait::Known;
                self.connect_to(target, Some(env_key));
            }
            // `default`'s key (the one just read) is the key of every target a migration
            // can lead to.
            Plan::NeedsKey { target, .. } => self.finish_connect(target, key, false),
        }
    }

    /// The key could not be read: nothing is sent until it can be, and the person is told
    /// (Settings says it in place; elsewhere a toast does).
    fn key_unreadable(&mut self, profile: String, error: String) {
        if self.state.screen != crate::ui::app::Screen::Settings {
            self.toast(guidance::key_unreadable(&profile, &error), true);
        }
        self.key_wait = KeyWait::Unreadable { profile, error };
    }

    fn finish_connect(
        &mut self,
        target: Target,
        key: Result<Option<ApiKey>, String>,
        announce: bool,
    ) {
        let profile = match &target {
            Target::Profile(p) => p.name.clone(),
            Target::Environment { entry, .. } => entry.clone(),
        };
        match key {
            Err(error) => self.key_unreadable(profile, error),
            Ok(key) => {
                self.key_wait = KeyWait::Known;
                if announce && let Target::Profile(p) = &target {
                    let text = match &key {
                        Some(k) => format!(
                            "Profile {}: {} with key {}",
                            p.name,
                            p.describe(),
                            k.masked()
                        ),
                        None => format!(
                            "Profile {}: {} — no key saved for it (Settings)",
                            p.name,
                            p.describe()
                        ),
                    };
                    self.toast(text, false);
                }
                self.connect_to(target, key);
            }
        }
    }

    fn connect_to(&mut self, target: Target, key: Option<ApiKey>) {
        match target {
            Target::Profile(profile) => self.connect_service(&profile, key),
            Target::Environment { base_url, entry } => {
                self.connection = Connection {
                    base_url,
                    key,
                    demo: false,
                    profile: entry,
                };
                self.on_connected();
            }
        }
    }

    fn on_key_saved(&mut self, entry: String, key: ApiKey, saved: Result<(), String>) {
        if let Err(e) = saved {
            self.key_failed(guidance::key_not_saved(&e));
            return;
        }
        self.key_panel.busy = None;
        // The key goes to the profile Settings edits; on the built-in simulator that is
        // `default` (made from the saved address, as before profiles), which becomes active.
        if self.profiles.get(&entry).is_none() {
            let url = self
                .settings
                .base_url
                .clone()
                .filter(|u| !u.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
            if let Err(e) = self.profiles.add(&entry, &url) {
                self.toast(e.to_string(), true);
                return;
            }
        }
        if let Err(e) = self.profiles.set_active(&entry) {
            self.toast(e.to_string(), true);
            return;
        }
        self.profiles_migrating = false;
        self.persist_profiles();
        self.form.key_input.clear();
        self.form.key_changed();
        // The key just saved is the key: connect with it, no second read.
        self.profile_generation += 1;
        self.key_wait = KeyWait::Known;
        match self.plan() {
            Plan::Demo => self.connect_demo(),
            Plan::Ready(target, env_key) => self.connect_to(target, Some(env_key)),
            Plan::NeedsKey { target, .. } => self.connect_to(target, Some(key.clone())),
        }
        let place = self
            .key_report_shown()
            .and_then(Result::ok)
            .and_then(|r| r.saved)
            .map(|p| p.describe());
        self.toast(
            guidance::key_saved_text(&key.masked(), &entry, place.as_deref()),
            false,
        );
    }

    fn on_key_cleared(&mut self, entry: &str) {
        // Without its key the profile cannot be used: back to demo mode, as before profiles.
        let was_active = self.profiles.active == entry;
        if was_active && let Err(e) = self.profiles.set_active(profiles::SIMULATOR) {
            self.toast(e.to_string(), true);
        }
        self.persist_profiles();
        self.connect();
        let to_simulator = was_active && self.connection.demo;
        self.toast(guidance::key_removed_text(entry, to_simulator), false);
    }
}
