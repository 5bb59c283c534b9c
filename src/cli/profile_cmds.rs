//! `speech-scorer profile …`: the service profiles (production, staging, a local simulator,
//! the built-in simulator), each with its base URL and its own key. The same profiles the
//! app switches between in its header.

use std::io::Read as _;
use std::process::ExitCode;
use std::sync::Arc;

use super::Exit;
use crate::api::client::ApiKey;
use crate::store::profiles::Profiles;
use crate::store::{
    KeychainOrFileStore, Paths, ProfileKeys, SecretStore, Settings, StoredProfileKeys,
};

#[derive(Debug, clap::Args)]
pub struct ProfileArgs {
    #[command(subcommand)]
    pub command: ProfileCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ProfileCommand {
    /// List the profiles: the active one, each address, whether a key is saved (masked).
    List {
        /// One JSON array on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Add a service profile. The key is read from stdin with --key-stdin (never from the
    /// command line, where other users could see it).
    Add {
        /// Its name: letters, digits, '-', '_', '.'.
        name: String,
        /// The service's base URL (http:// only for loopback hosts).
        #[arg(long, value_name = "URL")]
        base_url: String,
        /// Read the profile's API key from stdin (one line).
        #[arg(long)]
        key_stdin: bool,
        /// Also make it the active profile.
        #[arg(long = "use")]
        activate: bool,
    },
    /// Make a profile the active one (the app and commands without --profile use it).
    Use { name: String },
    /// Save a profile's API key, read from stdin (one line).
    SetKey { name: String },
    /// Forget a profile's saved API key.
    ForgetKey { name: String },
    /// Remove a profile and its saved key (the built-in ones stay).
    Remove { name: String },
}

struct Store {
    paths: Paths,
    profiles: Profiles,
    keys: StoredProfileKeys,
}

fn open() -> Result<Store, String> {
    let paths = Paths::from_env().map_err(|e| e.to_string())?;
    let legacy: Arc<dyn SecretStore> = Arc::new(KeychainOrFileStore::saved(&paths));
    let key_saved = legacy.get().ok().flatten().is_some();
    let settings = Settings::load(&paths).unwrap_or_default();
    let profiles = Profiles::load(&paths, &settings, key_saved).map_err(|e| e.to_string())?;
    Ok(Store {
        keys: StoredProfileKeys::new(&paths, legacy),
        paths,
        profiles,
    })
}

/// One line of stdin, capped (a key is tens of characters).
fn key_from_stdin() -> Result<ApiKey, String> {
    let mut text = String::new();
    std::io::stdin()
        .take(4096)
        .read_to_string(&mut text)
        .map_err(|e| format!("could not read the key from stdin: {e}"))?;
    let line = text.lines().next().unwrap_or_default();
    ApiKey::new(line).ok_or_else(|| "no key on stdin".to_string())
}

fn fail(e: impl std::fmt::Display, code: Exit) -> ExitCode {
    eprintln!("speech-scorer profile: {e}");
    code.into()
}

/// `speech-scorer profile …`.
pub fn profile(args: ProfileArgs) -> ExitCode {
    let mut store = match open() {
        Ok(s) => s,
        Err(e) => return fail(e, Exit::Other),
    };
    let saved = |store: &Store| match store.profiles.save(&store.paths) {
        Ok(()) => Exit::Success.into(),
        Err(e) => fail(e, Exit::Other),
    };
    match args.command {
        ProfileCommand::List { json } => list(&store, json),
        ProfileCommand::Add {
            name,
            base_url,
            key_stdin,
            activate,
        } => {
            let key = if key_stdin {
                match key_from_stdin() {
                    Ok(k) => Some(k),
                    Err(e) => return fail(e, Exit::InvalidInput),
                }
            } else {
                None
            };
            if let Err(e) = store.profiles.add(&name, &base_url) {
                return fail(e, Exit::InvalidInput);
            }
            if activate && let Err(e) = store.profiles.set_active(&name) {
                return fail(e, Exit::InvalidInput);
            }
            if let Some(k) = key
                && let Err(e) = store.keys.entry(&name).set(&k)
            {
                return fail(e, Exit::Other);
            }
            eprintln!("added profile {name} ({base_url})");
            saved(&store)
        }
        ProfileCommand::Use { name } => {
            if let Err(e) = store.profiles.set_active(&name) {
                return fail(e, Exit::InvalidInput);
            }
            eprintln!(
                "profile {name} is active: {}",
                store.profiles.active().describe()
            );
            saved(&store)
        }
        ProfileCommand::SetKey { name } => {
            match store.profiles.get(&name) {
                None => return fail(format!("there is no profile {name:?}"), Exit::InvalidInput),
                Some(p) if p.simulator => {
                    return fail(
                        "the built-in simulator makes its own key",
                        Exit::InvalidInput,
                    );
                }
                Some(_) => {}
            }
            let key = match key_from_stdin() {
                Ok(k) => k,
                Err(e) => return fail(e, Exit::InvalidInput),
            };
            // The profiles file is written too, so a migrated `default` is kept.
            match store.keys.entry(&name).set(&key) {
                Ok(()) => {
                    eprintln!("saved key {} for profile {name}", key.masked());
                    saved(&store)
                }
                Err(e) => fail(e, Exit::Other),
            }
        }
        ProfileCommand::ForgetKey { name } => {
            if store.profiles.get(&name).is_none() {
                return fail(format!("there is no profile {name:?}"), Exit::InvalidInput);
            }
            match store.keys.entry(&name).clear() {
                Ok(()) => {
                    eprintln!("forgot the key of profile {name}");
                    Exit::Success.into()
                }
                Err(e) => fail(e, Exit::Other),
            }
        }
        ProfileCommand::Remove { name } => {
            if let Err(e) = store.profiles.remove(&name) {
                return fail(e, Exit::InvalidInput);
            }
            if let Err(e) = store.keys.entry(&name).clear() {
                eprintln!("speech-scorer profile: warning: its key could not be removed: {e}");
            }
            eprintln!("removed profile {name}");
            saved(&store)
        }
    }
}

fn list(store: &Store, json: bool) -> ExitCode {
    let rows: Vec<(bool, String, String, String)> = store
        .profiles
        .list
        .iter()
        .map(|p| {
            let key = if p.simulator {
                "(its own)".to_string()
            } else {
                match store.keys.entry(&p.name).get() {
                    Ok(Some(k)) => k.masked(),
                    Ok(None) => "no key".to_string(),
                    Err(e) => format!("unreadable: {e}"),
                }
            };
            (
                p.name == store.profiles.active,
                p.name.clone(),
                p.describe(),
                key,
            )
        })
        .collect();
    if json {
        let v: Vec<_> = rows
            .iter()
            .map(|(active, name, url, key)| {
                serde_json::json!({"name": name, "active": active, "service": url, "key": key})
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
        return Exit::Success.into();
    }
    for (active, name, url, key) in rows {
        println!(
            "{} {name:<14} {url:<48} {key}",
            if active { "*" } else { " " }
        );
    }
    Exit::Success.into()
}
