//! How the app is put together: which desktop doors and stores it uses. Tests replace them.

use std::path::PathBuf;
use std::sync::Arc;

use crate::store::{Paths, ProfileKeys, SecretStore, ServiceEnv};
use crate::ui::ports::{
    BrowserOpener, FakeMicrophones, FilePicker, Microphones, RfdFilePicker, SystemBrowser,
    SystemMicrophones,
};

/// The doors and stores of the app.
pub struct AppConfig {
    /// The file dialog.
    pub file_picker: Arc<dyn FilePicker>,
    /// The browser.
    pub browser: Arc<dyn BrowserOpener>,
    /// Where the key lives; `None`: the system keychain, or where there is none the
    /// owner-only file in the config dir ([`crate::store::KeychainOrFileStore`], without the
    /// environment: that is [`AppConfig::environment`]). It is the `default` profile's key
    /// entry (the one key saved before profiles existed).
    pub secrets: Option<Arc<dyn SecretStore>>,
    /// Where each service profile's key lives (one entry per profile); `None`: its own
    /// keychain item, or a file per profile ([`crate::store::StoredProfileKeys`]), with
    /// `default`'s in `secrets`.
    pub profile_keys: Option<Arc<dyn ProfileKeys>>,
    /// `$ZENHIRE_API_KEY` and `$ZENHIRE_BASE_URL`: read from the process by
    /// [`AppConfig::default`]; tests hand in their own (never the process's).
    pub environment: ServiceEnv,
    /// Directories; `None`: from `SPEECH_SCORER_HOME` or the platform dirs.
    pub paths: Option<Paths>,
    /// The simulator's settings in demo mode.
    pub demo_config: crate::simulator::SimConfig,
    /// The microphones (the system's; tests: a fake list of generated signals).
    pub microphones: Arc<dyn Microphones>,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            file_picker: Arc::new(RfdFilePicker),
            browser: Arc::new(SystemBrowser),
            secrets: None,
            profile_keys: None,
            environment: ServiceEnv::from_env(),
            paths: None,
            demo_config: crate::simulator::SimConfig::default(),
            microphones: Arc::new(SystemMicrophones),
        }
    }
}

impl AppConfig {
    /// For tests: everything under `home`, the keys in memory (none saved), no environment
    /// (`ZENHIRE_*` of the test process are not read), a file picker that
    /// answers `pick` without a window, a browser that only records URLs, and the simulator
    /// settings `demo_config` for demo mode, and one fake microphone hearing a tone (no test
    /// touches the machine's sound system unless it sets `microphones` itself).
    pub fn for_test(
        home: &std::path::Path,
        demo_config: crate::simulator::SimConfig,
        pick: Option<PathBuf>,
    ) -> (AppConfig, crate::ui::ports::RecordingBrowser) {
        let browser = crate::ui::ports::RecordingBrowser::default();
        let secrets: Arc<dyn SecretStore> = Arc::new(crate::store::MemorySecretStore::default());
        let config = AppConfig {
            file_picker: Arc::new(crate::ui::ports::FixedFilePicker::new(pick)),
            browser: Arc::new(browser.clone()),
            profile_keys: Some(Arc::new(crate::store::MemoryProfileKeys::new(Arc::clone(
                &secrets,
            )))),
            secrets: Some(secrets),
            environment: ServiceEnv::default(),
            paths: Some(Paths::under(home.to_path_buf())),
            demo_config,
            microphones: Arc::new(FakeMicrophones::one_microphone()),
        };
        (config, browser)
    }
}

/// Errors that stop the app from starting.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The background runtime could not be created.
    #[error("could not start the background runtime: {0}")]
    Runtime(#[from] std::io::Error),
}
