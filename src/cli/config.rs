//! What every command resolves the same way: where settings and history live, which service
//! (a profile), the key and the address, logging and the async runtime.
//!
//! The service: `--profile NAME` (or `$ZENHIRE_PROFILE`) picks that profile's base URL and
//! its own key, and nothing else decides (only `--base-url` still overrides its address).
//! Without one: the address from `--base-url`, `$ZENHIRE_BASE_URL`, the active profile, the
//! default; the key from `$ZENHIRE_API_KEY`, else the active profile's. The built-in
//! simulator profile is used only when named: the CLI then starts its own simulator for the
//! command (a script never gets simulated results by accident).

use std::process::ExitCode;

use std::sync::{Arc, OnceLock};

use crate::api::client::{ApiClient, ApiKey, DEFAULT_BASE_URL};
use crate::simulator::SimHandle;
use crate::store::profiles::{Profile, Profiles};
use crate::store::{
    History, KeychainOrFileStore, Paths, ProfileKeys, SecretStore, ServiceEnv, Settings,
    StoredProfileKeys, unnamed_service,
};

use super::Exit;

/// The key's environment variable.
pub use crate::store::KEY_ENV;

/// The base URL's environment variable.
pub use crate::store::BASE_URL_ENV;

/// The profile's environment variable (what `--profile` defaults to).
pub const PROFILE_ENV: &str = "ZENHIRE_PROFILE";

/// Where to send requests.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConnArgs {
    /// API base URL (default: $ZENHIRE_BASE_URL, the active profile's, then `https://platform.zenhire.ai`).
    /// Plain http:// is accepted only for loopback hosts (the simulator).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Use this service profile's base URL and its own key (see `speech-scorer profile
    /// list`); `simulator` starts the built-in simulator for this command.
    #[arg(long, value_name = "NAME", env = PROFILE_ENV)]
    pub profile: Option<String>,
}

/// Settings, paths, profiles and keys, read once per command.
pub(crate) struct Env {
    pub(crate) paths: Option<Paths>,
    pub(crate) settings: Settings,
    pub(crate) profiles: Profiles,
    keys: Option<Arc<dyn ProfileKeys>>,
    /// The built-in simulator, when a command named its profile (on its own runtime, alive
    /// as long as the command).
    sim: OnceLock<Result<(tokio::runtime::Runtime, SimHandle), String>>,
}

/// A service a command talks to, resolved.
pub(crate) struct Service {
    pub(crate) base_url: String,
    pub(crate) key: Option<ApiKey>,
}

/// Warnings from the engine (e.g. history that could not be saved) go to stderr; `RUST_LOG`
/// raises the level for support sessions.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

impl Env {
    /// Where a file that cannot be uploaded as it is gets converted (`score`, `batch`; the
    /// app's folder, so a file the app can score the CLI can too), with the upload files a
    /// killed run left there a day ago swept first.
    pub(crate) fn upload_work_dir(&self) -> std::path::PathBuf {
        let dir = self.paths.as_ref().map_or_else(
            || std::env::temp_dir().join("speech-scorer-prepared"),
            Paths::prepared_dir,
        );
        crate::audio::prepare::sweep_stale(&dir, crate::audio::prepare::STALE_AFTER);
        dir
    }

    pub(crate) fn load() -> Env {
        init_logging();
        let paths = match Paths::from_env() {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("speech-scorer: warning: {e}; history will not be kept");
                None
            }
        };
        let settings = match paths.as_ref().map(Settings::load) {
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                eprintln!("speech-scorer: warning: {e}; using default settings");
                Settings::default()
            }
            None => Settings::default(),
        };
        let keys = paths.as_ref().map(|p| {
            let legacy: Arc<dyn SecretStore> = Arc::new(KeychainOrFileStore::saved(p));
            Arc::new(StoredProfileKeys::new(p, legacy)) as Arc<dyn ProfileKeys>
        });
        let profiles = match &paths {
            Some(p) => {
                let key_saved = KeychainOrFileStore::saved(p).get().ok().flatten().is_some();
                Profiles::load(p, &settings, key_saved).unwrap_or_else(|e| {
                    eprintln!("speech-scorer: warning: {e}; using the built-in profiles");
                    Profiles::migrated(&settings, key_saved)
                })
            }
            None => Profiles::migrated(&settings, false),
        };
        Env {
            paths,
            settings,
            profiles,
            keys,
            sim: OnceLock::new(),
        }
    }

    /// The profile a command named (`--profile` / `$ZENHIRE_PROFILE`), if any.
    fn named_profile(&self, conn: &ConnArgs) -> Result<Option<Profile>, String> {
        let Some(name) = conn
            .profile
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        else {
            return Ok(None);
        };
        self.profiles.get(name).cloned().map(Some).ok_or_else(|| {
            let names: Vec<&str> = self.profiles.list.iter().map(|p| p.name.as_str()).collect();
            format!(
                "there is no profile {name:?} (profiles: {})",
                names.join(", ")
            )
        })
    }

    /// The key saved for `profile`, if any.
    fn profile_key(&self, profile: &str) -> Option<ApiKey> {
        let entry = self.keys.as_ref()?.entry(profile);
        match entry.get() {
            Ok(k) => k,
            Err(e) => {
                eprintln!(
                    "speech-scorer: warning: the key of profile {profile} could not be read: {e}"
                );
                None
            }
        }
    }

    /// The built-in simulator, started on first use.
    fn simulator(&self) -> Result<&SimHandle, String> {
        let started = self.sim.get_or_init(|| {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("speech-scorer-sim")
                .enable_all()
                .build()
                .map_err(|e| format!("could not start the simulator's runtime: {e}"))?;
            let sim = rt
                .block_on(crate::simulator::Simulator::start(
                    crate::simulator::SimConfig::default(),
                ))
                .map_err(|e| format!("the built-in simulator did not start: {e}"))?;
            eprintln!(
                "speech-scorer: profile simulator: the built-in simulator at {} (results are not real)",
                sim.base_url()
            );
            Ok((rt, sim))
        });
        started.as_ref().map(|(_, sim)| sim).map_err(Clone::clone)
    }

    /// Which service a command talks to, with which key (see the module doc for the order).
    pub(crate) fn service(&self, conn: &ConnArgs) -> Result<Service, String> {
        let env = ServiceEnv::from_env();
        let (env_url, env_key) = (env.base_url.clone(), env.key.clone());
        if let Some(profile) = self.named_profile(conn)? {
            if profile.simulator {
                let sim = self.simulator()?;
                return Ok(Service {
                    base_url: sim.base_url(),
                    key: ApiKey::new(sim.api_key()),
                });
            }
            let ignored: Vec<&str> = [
                env_url.as_ref().map(|_| BASE_URL_ENV),
                env_key.as_ref().map(|_| KEY_ENV),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !ignored.is_empty() {
                eprintln!(
                    "speech-scorer: profile {}: its own address and key are used; ${} {} ignored",
                    profile.name,
                    ignored.join(" and $"),
                    if ignored.len() > 1 { "are" } else { "is" }
                );
            }
            return Ok(Service {
                base_url: conn
                    .base_url
                    .clone()
                    .unwrap_or_else(|| profile.url().unwrap_or(DEFAULT_BASE_URL).to_string()),
                key: self.profile_key(&profile.name),
            });
        }
        // No profile named: the environment first, then the active profile (unless it is the
        // built-in simulator: then the key saved before profiles, and the settings' address).
        // The app uses the same order while the environment applies.
        let unnamed = unnamed_service(
            &self.profiles,
            &self.settings,
            &env,
            conn.base_url.as_deref(),
        );
        Ok(Service {
            base_url: unnamed.base_url,
            key: env_key.or_else(|| self.profile_key(&unnamed.key_profile)),
        })
    }

    pub(crate) fn history(&self) -> Option<crate::engine::Records> {
        self.paths
            .as_ref()
            .map(|p| std::sync::Arc::new(History::new(p)) as crate::engine::Records)
    }

    pub(crate) fn client(&self, conn: &ConnArgs, with_key: bool) -> Result<ApiClient, String> {
        let service = self.service(conn)?;
        let key = if with_key { service.key } else { None };
        ApiClient::new(&service.base_url, key).map_err(|e| e.to_string())
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("speech-scorer: could not start the async runtime: {e}");
            Exit::Other.into()
        })
}
