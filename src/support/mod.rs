//! The support desk: what support staff use to reproduce and explain what a customer saw.
//!
//! - [`lookup`]: find a run in the local history (by run id or local id) and on the service
//!   (one poll, or the runs list).
//! - [`bundle`]: write and read a support bundle (zip): manifest, settings without the key,
//!   request log, response bodies, optionally the recording.
//! - [`replay`]: turn a request log into a simulator scenario and replay it through an
//!   in-process simulator, ending with the same outcome as the original run.
//! - [`curl`]: a logged request as a `curl` command, the key as `$ZENHIRE_API_KEY`.
//! - [`explain`]: the technical side of an error, beside the dialog the customer saw.
//! - [`wire`]: one exchange as read by a person (full URL, headers, form, response).
//! - [`har`]: request logs as HTTP Archive 1.2, for browser dev tools, Insomnia, Postman.
//! - [`search`]: one log of every request across all runs, filtered and paged.

pub mod bundle;
pub mod curl;
pub mod explain;
pub mod har;
pub mod lookup;
pub mod replay;
pub mod search;
pub mod wire;

/// What can go wrong in the support tools.
#[derive(Debug, thiserror::Error)]
pub enum SupportError {
    /// The run is not in the local history.
    #[error("no run {0} in the local history (try `speech-scorer runs` to find its id)")]
    NotFound(String),
    /// The history could not be read.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// The bundle is not a zip or misses a part.
    #[error("not a readable support bundle: {0}")]
    BadBundle(String),
    /// The request log could not be turned into a scenario.
    #[error(transparent)]
    Scenario(#[from] crate::simulator::ScenarioError),
    /// The in-process simulator did not start.
    #[error(transparent)]
    Simulator(#[from] crate::simulator::SimError),
    /// The client could not be built.
    #[error("{0}")]
    Client(String),
}

impl SupportError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> SupportError {
        SupportError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The placeholder shown wherever the key would be.
pub const KEY_PLACEHOLDER: &str = "$ZENHIRE_API_KEY";

/// Replaces every occurrence of `secret` in `text` with [`KEY_PLACEHOLDER`]. Defence in depth:
/// nothing we log should hold the key, but a person may have pasted it into metadata.
pub fn redact(text: &str, secret: Option<&str>) -> String {
    // The key as the client sends it: trimmed (a key pasted with a newline is the same key).
    match secret.map(str::trim) {
        Some(s) if s.len() >= 4 && text.contains(s) => text.replace(s, KEY_PLACEHOLDER),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_replaces_the_key_everywhere() {
        let t = redact("a zh_secret_1234 b zh_secret_1234", Some("zh_secret_1234"));
        assert_eq!(t, "a $ZENHIRE_API_KEY b $ZENHIRE_API_KEY");
        assert_eq!(redact("abc", None), "abc");
        assert_eq!(
            redact("abc", Some("")),
            "abc",
            "an empty key matches nothing"
        );
        assert_eq!(
            redact("key zh_secret_1234 here", Some("  zh_secret_1234\n")),
            "key $ZENHIRE_API_KEY here",
            "an untrimmed key is the key the client sends"
        );
    }
}
