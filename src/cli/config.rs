//! What every command resolves the same way: where settings and history live, the key
//! (`$ZENHIRE_API_KEY` or the saved one), the service address (`--base-url`,
//! `$ZENHIRE_BASE_URL`, the settings, the default), logging and the async runtime.

use std::process::ExitCode;

use crate::api::client::{ApiClient, ApiKey, DEFAULT_BASE_URL};
use crate::store::{History, KeychainOrFileStore, Paths, SecretStore as _, Settings};

use super::Exit;

/// The key's environment variable.
pub use crate::store::KEY_ENV;

/// The base URL's environment variable.
pub const BASE_URL_ENV: &str = "ZENHIRE_BASE_URL";

/// Where to send requests.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnArgs {
    /// API base URL (default: $ZENHIRE_BASE_URL, the settings, then `https://platform.zenhire.ai`).
    /// Plain http:// is accepted only for loopback hosts (the simulator).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

/// Settings, paths and the key, read once per command.
pub(crate) struct Env {
    pub(crate) paths: Option<Paths>,
    pub(crate) settings: Settings,
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
        Env { paths, settings }
    }

    pub(crate) fn base_url(&self, conn: &ConnArgs) -> String {
        conn.base_url
            .clone()
            .or_else(|| std::env::var(BASE_URL_ENV).ok().filter(|s| !s.is_empty()))
            .or_else(|| self.settings.base_url.clone())
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
    }

    /// The key: `$ZENHIRE_API_KEY`, else the saved one (system keychain or owner-only file).
    /// A keychain that does not answer is said on stderr, never skipped in silence.
    pub(crate) fn key(&self) -> Option<ApiKey> {
        if let Some(k) = std::env::var(KEY_ENV).ok().and_then(ApiKey::new) {
            return Some(k);
        }
        match KeychainOrFileStore::from_env(self.paths.as_ref()?).get() {
            Ok(k) => k,
            Err(e) => {
                eprintln!("speech-scorer: warning: the saved API key could not be read: {e}");
                None
            }
        }
    }

    pub(crate) fn history(&self) -> Option<crate::engine::Records> {
        self.paths
            .as_ref()
            .map(|p| std::sync::Arc::new(History::new(p)) as crate::engine::Records)
    }

    pub(crate) fn client(&self, conn: &ConnArgs, with_key: bool) -> Result<ApiClient, String> {
        let key = if with_key { self.key() } else { None };
        ApiClient::new(&self.base_url(conn), key).map_err(|e| e.to_string())
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
