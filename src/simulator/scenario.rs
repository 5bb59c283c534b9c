//! Scenarios: a human-writable TOML script of what the next requests get.
//!
//! A scenario is a list of `[[step]]`s. Each step names the endpoint it answers (`on`) and
//! what to send (`respond`); requests to an endpoint take that endpoint's steps in file
//! order, each step answering `repeat` requests. When an endpoint's steps run out, the
//! simulator's normal rules answer. The format is documented for people in
//! `docs/scenarios.md`; a support bundle replays a customer's run as `raw` steps.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::config::SimConfig;
use super::contract;
use super::disruption::{Disruption, Scope};

/// The most of a scenario file read (hand-written ones are a few KB; one made from a bundle
/// holds the run's recorded bodies, each capped).
pub const SCENARIO_FILE_CAP: u64 = 64 * 1024 * 1024;

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("could not read the scenario file: {0}")]
    Io(#[from] std::io::Error),
    /// Not TOML, or not the scenario format (unknown keys are errors, to catch typos).
    #[error("the scenario is not valid TOML: {0}")]
    Parse(#[from] toml::de::Error),
    /// Writing TOML failed.
    #[error("the scenario could not be written as TOML: {0}")]
    Write(#[from] toml::ser::Error),
    /// A step that cannot happen (1-based step number).
    #[error("step {step}: {problem}")]
    Invalid { step: usize, problem: String },
    /// A `[config]` setting that cannot happen.
    #[error("[config]: {0}")]
    Config(String),
}

/// A named script of responses, plus optional config overrides and the expected outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name, e.g. `queued-then-low-confidence`.
    #[serde(default)]
    pub name: String,
    /// What the scenario shows, for people.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Overrides of the simulator config while this scenario runs.
    #[serde(default, skip_serializing_if = "ScenarioConfig::is_empty")]
    pub config: ScenarioConfig,
    /// What a rule-following client should end with (used by tests and `simulate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
    /// The scripted responses, in order.
    #[serde(default, rename = "step", skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
}

/// Config overrides a scenario can carry (`[config]` table).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioConfig {
    /// Starting credit balance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<u64>,
    /// Concurrency cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<usize>,
    /// Processing time in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_ms: Option<u64>,
    /// Warm-up window after start, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup_secs: Option<u64>,
    /// Submits per key per minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_per_minute: Option<u32>,
    /// Whether the default key may submit non-English audio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multilingual: Option<bool>,
    /// The rate limit's window in seconds (60 on the real service).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_window_secs: Option<u64>,
    /// Where a request over the rate is refused: `submit` (default) or `all`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_scope: Option<Scope>,
    /// Warm-ups and rate-limit storms (`[[config.disruption]]`).
    #[serde(default, rename = "disruption", skip_serializing_if = "Vec::is_empty")]
    pub disruptions: Vec<Disruption>,
}

impl ScenarioConfig {
    fn is_empty(&self) -> bool {
        self == &ScenarioConfig::default()
    }

    /// Writes the overrides into a config.
    pub fn apply(&self, cfg: &mut SimConfig) {
        if let Some(c) = self.credits {
            cfg.credits = c;
        }
        if let Some(c) = self.concurrency {
            cfg.concurrency = c;
        }
        if let Some(ms) = self.processing_ms {
            cfg.processing_time = std::time::Duration::from_millis(ms);
        }
        if let Some(s) = self.warmup_secs {
            cfg.warmup = Some(std::time::Duration::from_secs(s));
        }
        if let Some(r) = self.rate_per_minute {
            cfg.rate_per_minute = r;
        }
        if let Some(m) = self.multilingual {
            for k in &mut cfg.keys {
                k.multilingual = m;
            }
        }
        if let Some(s) = self.rate_window_secs {
            cfg.rate_window = std::time::Duration::from_secs(s.max(1));
        }
        if let Some(s) = self.rate_limit_scope {
            cfg.rate_limit_scope = s;
        }
        cfg.disruptions.extend(self.disruptions.iter().cloned());
    }
}

/// The outcome a rule-following client should reach (DESIGN's CLI contract).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// `success`, `partial`, `failed`, `rejected`, `gave_up` or `invalid_input`.
    pub outcome: String,
    /// The CLI exit code for that outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<u8>,
    /// The error code the client should report, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Which endpoint a step answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Endpoint {
    /// `POST /api/v1/speech/analyze`
    Submit,
    /// `GET /api/v1/speech/analyze/{id}`
    Poll,
    /// `GET /api/v1/speech/runs`
    Runs,
    /// `GET /api/v1/credits`
    Credits,
    /// `GET /api/v1/health`
    Health,
}

impl Endpoint {
    /// Which endpoint a request is for (`None` for paths the API does not have). Support
    /// tooling uses it to turn a recorded request log into `raw` replay steps.
    pub fn classify(method: &str, path: &str) -> Option<Endpoint> {
        let path = path.split('?').next().unwrap_or(path).trim_end_matches('/');
        let path = path.find("/api/v1/").map(|i| &path[i..]).unwrap_or(path);
        match (method.to_ascii_uppercase().as_str(), path) {
            ("POST", "/api/v1/speech/analyze") => Some(Endpoint::Submit),
            ("GET", p) if p.starts_with("/api/v1/speech/analyze/") => Some(Endpoint::Poll),
            ("GET", "/api/v1/speech/runs") => Some(Endpoint::Runs),
            ("GET", "/api/v1/credits") => Some(Endpoint::Credits),
            ("GET", "/api/v1/health") => Some(Endpoint::Health),
            _ => None,
        }
    }

    /// The name used in scenario files.
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Submit => "submit",
            Endpoint::Poll => "poll",
            Endpoint::Runs => "runs",
            Endpoint::Credits => "credits",
            Endpoint::Health => "health",
        }
    }
}

/// What a step sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Respond {
    /// Let the simulator's rules answer (useful with `delay_ms` for a slow response).
    Normal,
    /// An error envelope with `code` (HTTP status from the catalog unless `status` is set).
    Error,
    /// Submit: create the run and answer 202 queued; poll: answer 200 queued.
    Queued,
    /// Submit: create the run and answer 202 processing; poll: answer 200 processing.
    Processing,
    /// Poll: finish the run now with all three scores.
    Success,
    /// Poll: finish the run now with only `dimensions` scored.
    Partial,
    /// Poll: finish the run now as failed with `code` / `message`.
    Failed,
    /// Exactly `status`, `headers` and `body`, as recorded.
    Raw,
    /// A proxy's HTML 502 page.
    #[serde(rename = "html_502")]
    Html502,
    /// `status` (default 200) with an empty body.
    EmptyBody,
    /// Close the connection without any reply.
    Drop,
    /// Submit: create the run (credits held), then close the connection without a reply.
    DropAfterCreate,
}

/// A score dimension, for `partial` steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    /// `scores.vocabulary*`
    Vocabulary,
    /// `scores.fluency*`
    Fluency,
    /// `scores.accent*`
    Accent,
}

/// One scripted answer (`[[step]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The endpoint whose next request(s) this step answers.
    pub on: Endpoint,
    /// What to send.
    pub respond: Respond,
    /// How many consecutive requests to that endpoint this step answers (default 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub repeat: u32,
    /// Error code (`error`, `failed`); any string, documented or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Error message; a sensible default per code otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// HTTP status (`raw`, `empty_body`, or to override an `error`'s catalog status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `Retry-After` / `retryAfterSeconds` on `error` steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// `error.details` on `error` steps (e.g. `{ cost = 11, available = 4 }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
    /// `queuePosition` on `queued` steps (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_position: Option<u32>,
    /// `activeRequests` on a queued submit (default: the concurrency cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_requests: Option<u32>,
    /// Dimensions that were scored on a `partial` step (default vocabulary + fluency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<Vec<Dimension>>,
    /// Response headers of a `raw` step.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Exact body of a `raw` step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Wait this long before answering (a slow response).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

impl Step {
    /// A step answering one request with `respond` and nothing else set.
    pub fn new(on: Endpoint, respond: Respond) -> Self {
        Self {
            on,
            respond,
            repeat: 1,
            code: None,
            message: None,
            status: None,
            retry_after: None,
            details: None,
            queue_position: None,
            active_requests: None,
            dimensions: None,
            headers: BTreeMap::new(),
            body: None,
            delay_ms: None,
        }
    }

    /// A step that sends exactly this recorded response (a support replay).
    pub fn raw(
        on: Endpoint,
        status: u16,
        headers: impl IntoIterator<Item = (String, String)>,
        body: impl Into<String>,
    ) -> Self {
        let mut step = Self::new(on, Respond::Raw);
        step.status = Some(status);
        step.headers = headers.into_iter().collect();
        step.body = Some(body.into());
        step
    }

    /// A step that drops the connection with no reply (a recorded network error).
    pub fn dropped(on: Endpoint) -> Self {
        Self::new(on, Respond::Drop)
    }

    /// True when the step replaces the whole response whatever the request (no rules run).
    pub fn is_scripted_reply(&self) -> bool {
        matches!(
            self.respond,
            Respond::Error | Respond::Raw | Respond::Html502 | Respond::EmptyBody | Respond::Drop
        )
    }

    fn check(&self) -> Result<(), String> {
        use Endpoint::*;
        use Respond::*;
        if self.repeat == 0 {
            return Err("repeat must be at least 1".into());
        }
        let needs = |ok: &[Endpoint]| {
            if ok.contains(&self.on) {
                Ok(())
            } else {
                Err(format!(
                    "respond = {:?} does not apply to on = \"{}\"",
                    self.respond,
                    self.on.as_str()
                ))
            }
        };
        match self.respond {
            Error => {
                let code = self.code.as_deref().ok_or("an error step needs a code")?;
                if self.status.is_none() && contract::entry(code).and_then(|e| e.status()).is_none()
                {
                    return Err(format!(
                        "{code} has no HTTP status in the catalog: set status, or use respond = \"failed\" on a poll"
                    ));
                }
            }
            Queued | Processing => needs(&[Submit, Poll])?,
            Success => needs(&[Poll])?,
            Partial => {
                needs(&[Poll])?;
                if let Some(d) = &self.dimensions
                    && (d.is_empty() || d.len() > 2)
                {
                    return Err("a partial run scores one or two dimensions".into());
                }
            }
            Failed => {
                needs(&[Poll])?;
                if self.code.is_none() {
                    return Err("a failed step needs a code".into());
                }
            }
            Raw => {
                if self.status.is_none() {
                    return Err("a raw step needs a status".into());
                }
            }
            DropAfterCreate => needs(&[Submit])?,
            Normal | Html502 | EmptyBody | Drop => {}
        }
        for (name, value) in &self.headers {
            if axum::http::HeaderName::from_bytes(name.as_bytes()).is_err()
                || axum::http::HeaderValue::from_str(value).is_err()
            {
                return Err(format!("header {name:?} is not a valid HTTP header"));
            }
        }
        if let Some(s) = self.status
            && !(100..=599).contains(&s)
        {
            return Err(format!("status {s} is not an HTTP status"));
        }
        Ok(())
    }
}

impl Scenario {
    /// Parses and checks a scenario written in TOML.
    pub fn from_toml_str(text: &str) -> Result<Self, ScenarioError> {
        let scenario: Scenario = toml::from_str(text)?;
        scenario.check()?;
        Ok(scenario)
    }

    /// Reads a scenario file.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let text = crate::capped::read_file(path, SCENARIO_FILE_CAP)?;
        let mut scenario = Self::from_toml_str(&text)?;
        if scenario.name.is_empty()
            && let Some(stem) = path.file_stem()
        {
            scenario.name = stem.to_string_lossy().into_owned();
        }
        Ok(scenario)
    }

    /// Writes the scenario back as TOML (round-trips through `from_toml_str`).
    pub fn to_toml_string(&self) -> Result<String, ScenarioError> {
        Ok(toml::to_string(self)?)
    }

    /// Checks every step; the error names the first bad step (1-based).
    pub fn check(&self) -> Result<(), ScenarioError> {
        if let Some(problem) = self.config.disruptions.iter().find_map(|d| d.problem()) {
            return Err(ScenarioError::Config(problem));
        }
        for (i, step) in self.steps.iter().enumerate() {
            step.check().map_err(|problem| ScenarioError::Invalid {
                step: i + 1,
                problem,
            })?;
        }
        Ok(())
    }
}

/// The steps still to be played, one queue per endpoint.
#[derive(Debug, Default)]
pub(crate) struct Script {
    queues: HashMap<Endpoint, VecDeque<(Step, u32)>>,
}

impl Script {
    pub(crate) fn new(scenario: Option<&Scenario>) -> Self {
        let mut queues: HashMap<Endpoint, VecDeque<(Step, u32)>> = HashMap::new();
        for step in scenario.map(|s| s.steps.as_slice()).unwrap_or_default() {
            queues
                .entry(step.on)
                .or_default()
                .push_back((step.clone(), step.repeat));
        }
        Self { queues }
    }

    /// The step that would answer the next request to `on`, without using it up.
    pub(crate) fn peek(&self, on: Endpoint) -> Option<&Step> {
        self.queues.get(&on)?.front().map(|(s, _)| s)
    }

    /// Uses up one repetition of the step at the head of `on`'s queue.
    pub(crate) fn take(&mut self, on: Endpoint) -> Option<Step> {
        let queue = self.queues.get_mut(&on)?;
        let (step, left) = queue.front_mut()?;
        let step_out = step.clone();
        *left -= 1;
        if *left == 0 {
            queue.pop_front();
        }
        Some(step_out)
    }

    /// True when a step still to be played at `on` matches `pred`.
    pub(crate) fn has_pending(&self, on: Endpoint, pred: impl Fn(&Step) -> bool) -> bool {
        self.queues
            .get(&on)
            .is_some_and(|q| q.iter().any(|(s, _)| pred(s)))
    }

    /// Steps not yet used, over all endpoints.
    pub(crate) fn remaining(&self) -> usize {
        self.queues
            .values()
            .flat_map(|q| q.iter())
            .map(|(_, n)| *n as usize)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
name = "queued-then-low-confidence"
description = "warm up for 3 responses, queued at position 3, processing twice, then fail"

[expect]
outcome = "failed"
exit_code = 4
code = "TRANSCRIPTION_LOW_CONFIDENCE"

[[step]]
on = "submit"
respond = "error"
code = "SERVICE_WARMING_UP"
retry_after = 1
repeat = 3

[[step]]
on = "submit"
respond = "queued"
queue_position = 3

[[step]]
on = "poll"
respond = "processing"
repeat = 2

[[step]]
on = "poll"
respond = "failed"
code = "TRANSCRIPTION_LOW_CONFIDENCE"
"#;

    #[test]
    fn the_issue_example_parses_and_plays_in_order() {
        let s = Scenario::from_toml_str(EXAMPLE).expect("parse");
        assert_eq!(s.steps.len(), 4);
        let mut script = Script::new(Some(&s));
        assert_eq!(script.remaining(), 7);
        for _ in 0..3 {
            let step = script.take(Endpoint::Submit).expect("warm-up step");
            assert_eq!(step.code.as_deref(), Some("SERVICE_WARMING_UP"));
        }
        assert_eq!(
            script.take(Endpoint::Submit).map(|s| s.respond),
            Some(Respond::Queued)
        );
        assert!(script.take(Endpoint::Submit).is_none());
        assert_eq!(
            script.peek(Endpoint::Poll).map(|s| s.respond),
            Some(Respond::Processing)
        );
        script.take(Endpoint::Poll);
        script.take(Endpoint::Poll);
        assert_eq!(
            script.take(Endpoint::Poll).map(|s| s.respond),
            Some(Respond::Failed)
        );
        assert_eq!(script.remaining(), 0);
    }

    #[test]
    fn round_trips_through_toml() {
        let mut s = Scenario::from_toml_str(EXAMPLE).expect("parse");
        let mut raw = Step::new(Endpoint::Poll, Respond::Raw);
        raw.status = Some(200);
        raw.headers.insert("Retry-After".into(), "5".into());
        raw.body = Some("{\"id\":\"req_1\",\"status\":\"processing\"}".into());
        s.steps.push(raw);
        let text = s.to_toml_string().expect("write");
        let back = Scenario::from_toml_str(&text).expect("reparse");
        assert_eq!(back, s);
    }

    #[test]
    fn classifies_recorded_requests() {
        use Endpoint::*;
        let cases = [
            ("POST", "/api/v1/speech/analyze", Some(Submit)),
            (
                "get",
                "https://platform.zenhire.ai/api/v1/speech/analyze/req_1",
                Some(Poll),
            ),
            ("GET", "/api/v1/speech/runs?externalId=a", Some(Runs)),
            ("GET", "/api/v1/credits", Some(Credits)),
            ("GET", "/api/v1/health/", Some(Health)),
            ("DELETE", "/api/v1/speech/analyze/req_1", None),
            ("GET", "/api/transcribe", None),
        ];
        for (method, path, want) in cases {
            assert_eq!(Endpoint::classify(method, path), want, "{method} {path}");
        }
        let step = Step::raw(Poll, 200, [("retry-after".into(), "5".into())], "{}");
        assert!(step.check().is_ok());
        assert_eq!(step.headers["retry-after"], "5");
    }

    #[test]
    fn rejects_steps_that_cannot_happen() {
        let bad = [
            "[[step]]\non = \"submit\"\nrespond = \"success\"",
            "[[step]]\non = \"poll\"\nrespond = \"error\"",
            "[[step]]\non = \"poll\"\nrespond = \"failed\"",
            "[[step]]\non = \"poll\"\nrespond = \"raw\"\nbody = \"x\"",
            "[[step]]\non = \"poll\"\nrespond = \"drop_after_create\"",
            "[[step]]\non = \"poll\"\nrespond = \"error\"\ncode = \"SCORING_FAILED\"",
            "[[step]]\non = \"poll\"\nrespond = \"processing\"\nrepeat = 0",
            "[[step]]\non = \"poll\"\nrespond = \"processing\"\ntypo = 1",
        ];
        for text in bad {
            assert!(Scenario::from_toml_str(text).is_err(), "accepted: {text}");
        }
    }
}
