//! Every limit the ZenHire Speech API documents, in one place.
//!
//! Each constant quotes the contract (`zenhire-speech-api.md`, the consolidated public docs;
//! section numbers refer to it). Local validation, the audio preparation, the engine's poll
//! schedule and the batch budget read these, so a changed limit is changed here once. The
//! simulator keeps its own copy on purpose: a mistake here must not hide in its tests.
//!
//! Depends on nothing else in the crate.

use std::time::Duration;

// ---- The recording (§4, `audio` field) ----

/// Shortest accepted recording. §4: "Duration **≥ 3 min** (else `AUDIO_TOO_SHORT`)".
/// Inclusive: exactly 3:00 is accepted.
pub const MIN_DURATION: Duration = Duration::from_secs(3 * 60);

/// Longest accepted recording. §4: "**≤ 45 min** (else `AUDIO_TOO_LONG`)". Inclusive: exactly
/// 45:00 is accepted, 45:00 plus one sample is not — so nothing we produce may be longer
/// than what it was made from.
pub const MAX_DURATION: Duration = Duration::from_secs(45 * 60);

/// Largest accepted upload, the binary reading. §4: "Size **≤ 25 MB** (else
/// `FILE_TOO_LARGE`)". The docs do not say which MB; 25 MiB (26 214 400 bytes) is the common
/// server setting and what local validation refuses above.
pub const MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;

/// The same "≤ 25 MB" in its strict, decimal reading (25 000 000 bytes). Everything we encode
/// ourselves aims at or under this, so it passes whichever way the service counts.
pub const MAX_FILE_BYTES_STRICT: u64 = 25_000_000;

/// The formats the API accepts, in the docs' order. §4: "Formats: **MP3, WAV, M4A, WebM, OGG,
/// FLAC**; anything else gives `UNSUPPORTED_FORMAT`".
pub const ACCEPTED_FORMATS: [&str; 6] = ["MP3", "WAV", "M4A", "WebM", "OGG", "FLAC"];

// ---- The other submit fields (§3, §4) ----

/// `language` length. §4: "Must be a 2-letter ISO 639-1 code (`en`, `es`, `fr`, …); otherwise
/// `INVALID_LANGUAGE_CODE`".
pub const LANGUAGE_CODE_CHARS: usize = 2;

/// Shortest `externalId`, in characters. §3/§4: "Length 1–255 chars; an empty or longer value
/// gives `400 INVALID_EXTERNAL_ID`" (or leave the field out).
pub const MIN_EXTERNAL_ID_CHARS: usize = 1;

/// Longest `externalId`, in characters. §3/§4: "1–255 chars … Empty or > 255 gives
/// `INVALID_EXTERNAL_ID`".
pub const MAX_EXTERNAL_ID_CHARS: usize = 255;

/// Most keys in `metadata`. §4: "the metadata map has 'the same shape and limits as Speech':
/// ≤ 50 keys" (stated on the Interview pages, not on a Speech page).
pub const MAX_METADATA_KEYS: usize = 50;

/// Longest `metadata` key, in characters. §4: "key ≤ 40 chars".
pub const MAX_METADATA_KEY_CHARS: usize = 40;

/// Longest `metadata` value, in characters. §4: "value ≤ 500 chars".
pub const MAX_METADATA_VALUE_CHARS: usize = 500;

/// Largest `metadata` text, in bytes. §4: "≤ 8 KB total" (read as 8 × 1024 bytes; values
/// "string/number/boolean on input").
pub const MAX_METADATA_BYTES: usize = 8 * 1024;

// ---- Polling (§5, §7) ----

/// Minimum time between two polls of one run. §5: "**Minimum interval: 10 s per run id**
/// while the run is not terminal. Polling faster returns `429 POLL_RATE_LIMITED`"; §7: "Never
/// poll the same id more often than every **10 s**".
pub const MIN_POLL_INTERVAL: Duration = Duration::from_secs(10);

/// One row of the documented poll schedule: polls `interval` apart until `until` has passed
/// since the submit (`None`: from then on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollStep {
    /// The row applies while the time since submit is below this.
    pub until: Option<Duration>,
    /// Time between polls in this row.
    pub interval: Duration,
}

/// The poll schedule without a server hint. §7: "Prefer `pollIntervalSeconds` from the latest
/// response … Without it, use the documented schedule: 0–2 min 15 s, 2–5 min 30 s, > 5 min
/// 60 s".
pub const POLL_SCHEDULE: [PollStep; 3] = [
    PollStep {
        until: Some(Duration::from_secs(2 * 60)),
        interval: Duration::from_secs(15),
    },
    PollStep {
        until: Some(Duration::from_secs(5 * 60)),
        interval: Duration::from_secs(30),
    },
    PollStep {
        until: None,
        interval: Duration::from_secs(60),
    },
];

/// The schedule's interval at `since_submit` (the row of [`POLL_SCHEDULE`] it falls in).
pub fn scheduled_poll_interval(since_submit: Duration) -> Duration {
    POLL_SCHEDULE
        .iter()
        .find(|step| step.until.is_none_or(|until| since_submit < until))
        .map_or(Duration::from_secs(60), |step| step.interval)
}

// ---- The account (§2, §4, §8) ----

/// Runs processing at once per client, by default. §4: "Concurrency cap (default **8**
/// processing runs per client; support can raise it) … At the cap, submit **still returns
/// 202**, with `status: "queued"`"; §8: "8 processing runs per client (support can extend)".
pub const DEFAULT_MAX_CONCURRENT_RUNS: usize = 8;

/// Requests per minute per key, by default. §2: "set per key, default 500 requests/minute,
/// adjustable in the dashboard"; §8: "500 req/min per client … `429 RATE_LIMIT_EXCEEDED`".
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 500;

/// Default page size of `GET /api/v1/speech/runs`. §12: "Newest first; default page size 20".
pub const RUNS_DEFAULT_PAGE_SIZE: usize = 20;

// ---- Credits (§13) ----

/// What one started minute of audio costs. §13: "Speech: **1 credit per minute of audio,
/// rounded up** (per started minute; minimum 1)".
pub const CREDITS_PER_STARTED_MINUTE: u64 = 1;

/// The smallest charge for a run. §13: "minimum 1".
pub const MIN_CREDITS_PER_RUN: u64 = 1;

/// The documented cost of a recording: 1 credit per started minute, at least 1
/// (§13: "3 min 20 s costs 4 credits; 12 min 5 s costs 13").
pub fn credits_for(duration: Duration) -> u64 {
    let minutes = duration.as_nanos().div_ceil(60_000_000_000);
    (u64::try_from(minutes).unwrap_or(u64::MAX) * CREDITS_PER_STARTED_MINUTE)
        .max(MIN_CREDITS_PER_RUN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poll_schedule_is_15_30_60() {
        let at = |s| scheduled_poll_interval(Duration::from_secs(s)).as_secs();
        assert_eq!(
            [at(0), at(119), at(120), at(299), at(300), at(86_400)],
            [15, 15, 30, 30, 60, 60]
        );
        assert!(
            POLL_SCHEDULE
                .iter()
                .all(|s| s.interval >= MIN_POLL_INTERVAL)
        );
    }

    #[test]
    fn credits_follow_the_documented_examples() {
        assert_eq!(credits_for(Duration::from_secs(200)), 4, "3 min 20 s");
        assert_eq!(
            credits_for(Duration::from_secs(12 * 60 + 5)),
            13,
            "12 min 5 s"
        );
        assert_eq!(credits_for(Duration::from_secs(180)), 3);
        assert_eq!(credits_for(Duration::from_millis(180_001)), 4);
        assert_eq!(credits_for(Duration::ZERO), 1, "minimum 1");
        assert_eq!(credits_for(MAX_DURATION), 45);
    }
}
