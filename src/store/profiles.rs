//! Service profiles (Postman's "environments"): named services — production, staging, a local
//! simulator — each with its base URL and its own API key, one of them active. The built-in
//! simulator (the app's demo mode) is a profile too, so "demo or real" is a visible choice.
//!
//! Profiles live in `<config dir>/profiles.toml` (no secrets); each profile's key is its own
//! entry in a [`SecretStore`], reached through [`ProfileKeys`]. Before profiles existed the
//! app had one base URL (in the settings) and one key: the first load turns those into the
//! `default` profile, whose key entry is the one the key was already saved in (nothing moves).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::write_atomic;
use super::{
    KEY_ENV, KeychainOrFileStore, MemorySecretStore, Paths, SecretStore, Settings, StoreError,
};
use crate::api::client::{ApiKey, DEFAULT_BASE_URL, check_base_url};

/// The production service (built in).
pub const PRODUCTION: &str = "production";
/// The app's built-in simulator (built in): results are not real.
pub const SIMULATOR: &str = "simulator";
/// What the base URL and key saved before profiles existed became.
pub const DEFAULT: &str = "default";
/// The most characters a profile name may have.
pub const MAX_NAME_CHARS: usize = 40;
/// `profiles.toml` is never read past this.
const PROFILES_FILE_CAP: u64 = 256 * 1024;

/// Why a profile change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// No profile has that name.
    #[error("there is no profile {0:?} (see `speech-scorer profile list`)")]
    Unknown(String),
    /// The name is taken.
    #[error("a profile named {0:?} exists already")]
    Exists(String),
    /// The name cannot be used.
    #[error(
        "{0:?} is not a profile name: use 1–40 letters, digits, '-', '_' or '.', not starting with '.'"
    )]
    BadName(String),
    /// A built-in profile cannot be removed or changed.
    #[error("{0:?} is built in and cannot be removed or changed")]
    BuiltIn(String),
    /// The base URL is refused (see `api::client::check_base_url`).
    #[error("{0}")]
    BadUrl(String),
}

/// One service profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Its name (also the name of its key's entry).
    pub name: String,
    /// The service's base URL; `None` for the built-in simulator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The app's built-in simulator: no address of its own (it is started on a free port)
    /// and no key to keep (it makes its own).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub simulator: bool,
}

impl Profile {
    /// A profile for the service at `base_url`.
    pub fn service(name: &str, base_url: &str) -> Profile {
        Profile {
            name: name.to_string(),
            base_url: Some(base_url.trim().to_string()),
            simulator: false,
        }
    }

    /// True for the built-in profiles, which cannot be removed.
    pub fn is_built_in(&self) -> bool {
        self.name == PRODUCTION || self.name == SIMULATOR
    }

    /// Where it sends requests, for people: the URL, or "the built-in simulator".
    pub fn describe(&self) -> String {
        match (&self.base_url, self.simulator) {
            (_, true) => "the built-in simulator (simulated results)".to_string(),
            (Some(u), false) => u.clone(),
            (None, false) => DEFAULT_BASE_URL.to_string(),
        }
    }

    /// The base URL to use (production when none is set); `None` for the built-in simulator.
    pub fn url(&self) -> Option<&str> {
        if self.simulator {
            None
        } else {
            Some(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))
        }
    }
}

/// Checks a profile name: it names a secret entry (a file or a keychain item), so it is kept
/// to a safe alphabet.
pub fn check_name(name: &str) -> Result<(), ProfileError> {
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ProfileError::BadName(name.to_string()))
    }
}

fn built_ins() -> Vec<Profile> {
    vec![
        Profile::service(PRODUCTION, DEFAULT_BASE_URL),
        Profile {
            name: SIMULATOR.to_string(),
            base_url: None,
            simulator: true,
        },
    ]
}

/// Every profile and the active one (`profiles.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profiles {
    /// The name of the active profile.
    pub active: String,
    /// The profiles, in the order they are listed.
    #[serde(default, rename = "profile")]
    pub list: Vec<Profile>,
}

impl Profiles {
    fn file(paths: &Paths) -> PathBuf {
        paths.config_dir.join("profiles.toml")
    }

    /// What the settings of a version without profiles become: the built-ins, plus `default`
    /// (the saved base URL, else production, with the saved key) when a base URL or a key
    /// was saved. `default` is active when a key was saved; otherwise the built-in simulator
    /// is, as that version ran in demo mode without a key.
    pub fn migrated(settings: &Settings, key_saved: bool) -> Profiles {
        let mut list = built_ins();
        let base = settings.base_url.clone().filter(|u| !u.trim().is_empty());
        if base.is_some() || key_saved {
            list.push(Profile::service(
                DEFAULT,
                base.as_deref().unwrap_or(DEFAULT_BASE_URL),
            ));
        }
        let active = if key_saved { DEFAULT } else { SIMULATOR };
        Profiles {
            active: active.to_string(),
            list,
        }
    }

    /// Reads `profiles.toml`; without one, [`Profiles::migrated`] from the settings (nothing
    /// is written until [`Profiles::save`]). A file that lost a built-in gets it back; an
    /// unknown active profile falls back to the simulator.
    pub fn load(
        paths: &Paths,
        settings: &Settings,
        key_saved: bool,
    ) -> Result<Profiles, StoreError> {
        Ok(Profiles::load_saved(paths)?.unwrap_or_else(|| Profiles::migrated(settings, key_saved)))
    }

    /// Reads `profiles.toml`, repaired as [`Profiles::load`] does; `None` when there is none
    /// yet (the caller migrates, once it knows whether a key was saved: the app reads the
    /// key off its UI thread first).
    pub fn load_saved(paths: &Paths) -> Result<Option<Profiles>, StoreError> {
        use std::io::Read as _;
        let path = Self::file(paths);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        let mut text = String::new();
        file.take(PROFILES_FILE_CAP)
            .read_to_string(&mut text)
            .map_err(|e| StoreError::io(&path, e))?;
        let mut p: Profiles = toml::from_str(&text).map_err(|e| StoreError::Parse {
            path,
            message: e.to_string(),
        })?;
        p.repair();
        Ok(Some(p))
    }

    /// Writes `profiles.toml` (it holds no secret).
    pub fn save(&self, paths: &Paths) -> Result<(), StoreError> {
        let path = Self::file(paths);
        let text = toml::to_string_pretty(self).map_err(|e| StoreError::Parse {
            path: path.clone(),
            message: e.to_string(),
        })?;
        write_atomic(&path, text.as_bytes(), false)
    }

    fn repair(&mut self) {
        for b in built_ins().into_iter().rev() {
            match self.list.iter_mut().find(|p| p.name == b.name) {
                // The built-in simulator stays what it is, whatever the file says.
                Some(p) if b.simulator => *p = b,
                Some(_) => {}
                None => self.list.insert(0, b),
            }
        }
        self.list.retain(|p| check_name(&p.name).is_ok());
        let mut seen = std::collections::HashSet::new();
        self.list.retain(|p| seen.insert(p.name.clone()));
        for p in &mut self.list {
            if p.name != SIMULATOR {
                p.simulator = false;
            }
        }
        if self.get(&self.active).is_none() {
            self.active = SIMULATOR.to_string();
        }
    }

    /// The profile named `name`.
    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.list.iter().find(|p| p.name == name)
    }

    /// The active profile.
    pub fn active(&self) -> Profile {
        // `repair` and every change keep `active` naming a profile; the built-in simulator
        // is the safe answer should it not.
        self.get(&self.active)
            .cloned()
            .unwrap_or_else(|| built_ins().swap_remove(1))
    }

    /// Makes `name` the active profile.
    pub fn set_active(&mut self, name: &str) -> Result<(), ProfileError> {
        if self.get(name).is_none() {
            return Err(ProfileError::Unknown(name.to_string()));
        }
        self.active = name.to_string();
        Ok(())
    }

    /// Adds a service profile (the URL is checked as the client checks it).
    pub fn add(&mut self, name: &str, base_url: &str) -> Result<(), ProfileError> {
        check_name(name)?;
        if self.get(name).is_some() {
            return Err(ProfileError::Exists(name.to_string()));
        }
        check_base_url(base_url).map_err(|e| ProfileError::BadUrl(e.to_string()))?;
        self.list.push(Profile::service(name, base_url));
        Ok(())
    }

    /// Changes a service profile's base URL (production's and the simulator's are fixed).
    pub fn set_url(&mut self, name: &str, base_url: &str) -> Result<(), ProfileError> {
        check_base_url(base_url).map_err(|e| ProfileError::BadUrl(e.to_string()))?;
        let p = self
            .list
            .iter_mut()
            .find(|p| p.name == name)
            .ok_or_else(|| ProfileError::Unknown(name.to_string()))?;
        if p.is_built_in() {
            return Err(ProfileError::BuiltIn(name.to_string()));
        }
        p.base_url = Some(base_url.trim().to_string());
        Ok(())
    }

    /// Removes a profile (not a built-in one). Removing the active one makes the built-in
    /// simulator active. Its key is the caller's to forget ([`ProfileKeys::entry`]).
    pub fn remove(&mut self, name: &str) -> Result<(), ProfileError> {
        let p = self
            .get(name)
            .ok_or_else(|| ProfileError::Unknown(name.to_string()))?;
        if p.is_built_in() {
            return Err(ProfileError::BuiltIn(name.to_string()));
        }
        self.list.retain(|p| p.name != name);
        if self.active == name {
            self.active = SIMULATOR.to_string();
        }
        Ok(())
    }
}

/// The base URL's environment variable (the key's is [`KEY_ENV`]).
pub const BASE_URL_ENV: &str = "ZENHIRE_BASE_URL";

/// What the environment says about the service: `$ZENHIRE_API_KEY` and `$ZENHIRE_BASE_URL`,
/// read once (the CLI per command, the app at start-up; tests hand the app their own).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceEnv {
    /// The key from [`KEY_ENV`] (an empty value is no key).
    pub key: Option<ApiKey>,
    /// The address from [`BASE_URL_ENV`] (an empty value is no address).
    pub base_url: Option<String>,
}

impl ServiceEnv {
    /// This process's environment.
    pub fn from_env() -> ServiceEnv {
        ServiceEnv::from_vars(|name| std::env::var(name).ok())
    }

    /// The environment `var` gives (a name → its value, `None` when unset).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> ServiceEnv {
        ServiceEnv {
            key: var(KEY_ENV).and_then(ApiKey::new),
            base_url: var(BASE_URL_ENV)
                .map(|u| u.trim().to_string())
                .filter(|u| !u.is_empty()),
        }
    }

    /// True when either variable is set.
    pub fn is_set(&self) -> bool {
        self.key.is_some() || self.base_url.is_some()
    }
}

/// Where requests go when no profile was named (the CLI without `--profile`; the app while
/// the environment applies): see [`unnamed_service`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnnamedService {
    /// The address: the flag, else `$ZENHIRE_BASE_URL`, else the active profile's (the saved
    /// settings' while the built-in simulator is active), else production.
    pub base_url: String,
    /// The profile whose saved key is used when `$ZENHIRE_API_KEY` is not set: the active
    /// one, or `default` (the key saved before profiles) while the simulator is active.
    pub key_profile: String,
}

/// The one order in which the address and the key are chosen when no profile was named:
/// `flag_url` (the CLI's `--base-url`), then the environment, then the active profile. The
/// built-in simulator is never chosen this way (a script or a variable never gets
/// simulated results by accident).
pub fn unnamed_service(
    profiles: &Profiles,
    settings: &Settings,
    env: &ServiceEnv,
    flag_url: Option<&str>,
) -> UnnamedService {
    let active = profiles.active();
    let (profile_url, key_profile) = match active.url() {
        Some(url) => (Some(url.to_string()), active.name.clone()),
        None => (settings.base_url.clone(), DEFAULT.to_string()),
    };
    UnnamedService {
        base_url: flag_url
            .map(str::to_string)
            .or_else(|| env.base_url.clone())
            .or(profile_url)
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
        key_profile,
    }
}

/// Where each profile's key is kept: one [`SecretStore`] entry per profile.
pub trait ProfileKeys: Send + Sync {
    /// The key entry of `profile`.
    fn entry(&self, profile: &str) -> Arc<dyn SecretStore>;
}

/// Each profile's key where the app keeps keys: its own item in the system keychain, or
/// (without one) an owner-only file of its own (`<config dir>/profiles/<name>/api-key`); the
/// `default` profile's is the key saved before profiles existed (`legacy`, where it already
/// is). See [`KeychainOrFileStore::for_profile`].
pub struct StoredProfileKeys {
    paths: Paths,
    legacy: Arc<dyn SecretStore>,
    keychain: bool,
}

impl StoredProfileKeys {
    /// Keys under `paths`; `legacy` is the store the single key lived in before profiles.
    /// The keychain is used unless `$SPEECH_SCORER_KEYCHAIN` is `off`.
    pub fn new(paths: &Paths, legacy: Arc<dyn SecretStore>) -> StoredProfileKeys {
        StoredProfileKeys {
            paths: paths.clone(),
            legacy,
            keychain: super::secrets::keychain_wanted(),
        }
    }

    /// The same, every key in its file (tests: never the person's keychain).
    pub fn files_only(paths: &Paths, legacy: Arc<dyn SecretStore>) -> StoredProfileKeys {
        StoredProfileKeys {
            keychain: false,
            ..StoredProfileKeys::new(paths, legacy)
        }
    }
}

impl ProfileKeys for StoredProfileKeys {
    fn entry(&self, profile: &str) -> Arc<dyn SecretStore> {
        if profile == DEFAULT || check_name(profile).is_err() {
            return Arc::clone(&self.legacy);
        }
        let dir = self.paths.config_dir.join("profiles").join(profile);
        Arc::new(KeychainOrFileStore::for_profile(
            profile,
            &dir,
            self.keychain,
        ))
    }
}

/// Keys in memory (tests): `legacy` for `default`, a fresh store per other profile.
#[derive(Clone)]
pub struct MemoryProfileKeys {
    legacy: Arc<dyn SecretStore>,
    entries: Arc<Mutex<HashMap<String, Arc<MemorySecretStore>>>>,
}

impl MemoryProfileKeys {
    /// Keys in memory, `default`'s in `legacy`.
    pub fn new(legacy: Arc<dyn SecretStore>) -> MemoryProfileKeys {
        MemoryProfileKeys {
            legacy,
            entries: Arc::default(),
        }
    }
}

impl ProfileKeys for MemoryProfileKeys {
    fn entry(&self, profile: &str) -> Arc<dyn SecretStore> {
        if profile == DEFAULT {
            return Arc::clone(&self.legacy);
        }
        let Ok(mut map) = self.entries.lock() else {
            return Arc::new(MemorySecretStore::default());
        };
        let e = map.entry(profile.to_string()).or_default();
        Arc::clone(e) as Arc<dyn SecretStore>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_url_and_key_become_the_default_profile() {
        let fresh = Profiles::migrated(&Settings::default(), false);
        assert_eq!(
            fresh.active, SIMULATOR,
            "a fresh install starts in demo mode"
        );
        assert_eq!(fresh.list.len(), 2);
        let with_key = Profiles::migrated(&Settings::default(), true);
        assert_eq!(with_key.active, DEFAULT);
        assert_eq!(with_key.active().url(), Some(DEFAULT_BASE_URL));
        let staging = Settings {
            base_url: Some("https://staging.example".into()),
            ..Settings::default()
        };
        let with_url = Profiles::migrated(&staging, true);
        let url_only = Profiles::migrated(&staging, false);
        assert_eq!(url_only.active, SIMULATOR, "no key: demo mode, as before");
        assert!(url_only.get(DEFAULT).is_some());
        assert_eq!(with_url.active().url(), Some("https://staging.example"));
    }

    #[test]
    fn profiles_round_trip_and_keep_their_rules() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::under(dir.path().to_path_buf());
        let mut p = Profiles::load(&paths, &Settings::default(), false).expect("load");
        p.add("staging", "https://staging.zenhire.example")
            .expect("add");
        p.add("local", "http://127.0.0.1:8080").expect("add");
        assert!(matches!(
            p.add("local", "http://127.0.0.1:1"),
            Err(ProfileError::Exists(_))
        ));
        assert!(matches!(
            p.add("../x", "https://a.example"),
            Err(ProfileError::BadName(_))
        ));
        assert!(matches!(
            p.add("remote", "http://a.example"),
            Err(ProfileError::BadUrl(_))
        ));
        assert!(matches!(
            p.remove(PRODUCTION),
            Err(ProfileError::BuiltIn(_))
        ));
        p.set_active("staging").expect("use");
        p.save(&paths).expect("save");
        let back = Profiles::load(&paths, &Settings::default(), false).expect("load");
        assert_eq!(back, p);
        assert_eq!(back.active().url(), Some("https://staging.zenhire.example"));
        let mut back = back;
        back.remove("staging").expect("remove");
        assert_eq!(
            back.active, SIMULATOR,
            "removing the active one goes to the simulator"
        );
        // A hand-edited file that lost a built-in or names no real profile is repaired.
        std::fs::write(
            paths.config_dir.join("profiles.toml"),
            "active = \"gone\"\n[[profile]]\nname = \"x\"\nbase_url = \"https://x.example\"\nsimulator = true\n",
        )
        .expect("write");
        let fixed = Profiles::load(&paths, &Settings::default(), false).expect("load");
        assert_eq!(fixed.active, SIMULATOR);
        assert!(fixed.get(PRODUCTION).is_some());
        assert!(
            !fixed.get("x").expect("x").simulator,
            "only the built-in is the simulator"
        );
    }

    #[test]
    fn the_environment_is_read_from_the_values_given() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let env = ServiceEnv::from_vars(vars(&[
            ("ZENHIRE_API_KEY", " zh_live_env_4242 "),
            ("ZENHIRE_BASE_URL", " http://127.0.0.1:8080 "),
            ("ZENHIRE_OTHER", "x"),
        ]));
        assert_eq!(env.key, ApiKey::new("zh_live_env_4242"));
        assert_eq!(env.base_url.as_deref(), Some("http://127.0.0.1:8080"));
        assert!(env.is_set());
        // Set but empty is not set.
        let empty =
            ServiceEnv::from_vars(vars(&[("ZENHIRE_API_KEY", ""), ("ZENHIRE_BASE_URL", "  ")]));
        assert_eq!(empty, ServiceEnv::default());
        assert!(!empty.is_set());
        let url_only = ServiceEnv::from_vars(vars(&[("ZENHIRE_BASE_URL", "https://s.example")]));
        assert_eq!(url_only.key, None);
        assert!(url_only.is_set());
    }

    #[test]
    fn without_a_named_profile_the_flag_then_the_environment_then_the_profile_decide() {
        let settings = Settings {
            base_url: Some("https://saved.example".into()),
            ..Settings::default()
        };
        let mut profiles = Profiles::migrated(&settings, true);
        profiles
            .add("staging", "https://staging.example")
            .expect("add");
        let env = ServiceEnv {
            key: ApiKey::new("zh_env_1234"),
            base_url: Some("https://env.example".into()),
        };
        let none = ServiceEnv::default();
        let got = |p: &Profiles, env: &ServiceEnv, flag: Option<&str>| {
            let s = unnamed_service(p, &settings, env, flag);
            (s.base_url, s.key_profile)
        };
        assert_eq!(
            got(&profiles, &env, Some("http://127.0.0.1:9")),
            ("http://127.0.0.1:9".into(), DEFAULT.into())
        );
        assert_eq!(
            got(&profiles, &env, None),
            ("https://env.example".into(), DEFAULT.into())
        );
        assert_eq!(
            got(&profiles, &none, None),
            ("https://saved.example".into(), DEFAULT.into())
        );
        profiles.set_active("staging").expect("use");
        assert_eq!(
            got(&profiles, &none, None),
            ("https://staging.example".into(), "staging".into())
        );
        // The built-in simulator is never the answer: the saved address and default's key.
        profiles.set_active(SIMULATOR).expect("use");
        assert_eq!(
            got(&profiles, &env, None),
            ("https://env.example".into(), DEFAULT.into())
        );
        assert_eq!(
            got(&profiles, &none, None),
            ("https://saved.example".into(), DEFAULT.into())
        );
    }

    #[test]
    fn each_profile_has_its_own_key_entry() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::under(dir.path().to_path_buf());
        let legacy: Arc<dyn SecretStore> = Arc::new(crate::store::FileSecretStore::new(&paths));
        let keys = StoredProfileKeys::files_only(&paths, Arc::clone(&legacy));
        let a = ApiKey::new("zh_live_profile_a_1111").expect("key");
        let b = ApiKey::new("zh_live_profile_b_2222").expect("key");
        keys.entry("staging").set(&a).expect("set");
        keys.entry(DEFAULT).set(&b).expect("set");
        assert_eq!(keys.entry("staging").get().expect("get"), Some(a));
        assert_eq!(
            legacy.get().expect("get"),
            Some(b),
            "default is the old key"
        );
        assert_eq!(keys.entry("other").get().expect("get"), None);
        let mem = MemoryProfileKeys::new(Arc::new(MemorySecretStore::default()));
        mem.entry("x")
            .set(&ApiKey::new("zh_k_12345678").expect("key"))
            .expect("set");
        assert!(mem.entry("x").get().expect("get").is_some());
        assert!(mem.entry("y").get().expect("get").is_none());
    }
}
