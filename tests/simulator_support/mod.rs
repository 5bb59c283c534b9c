//! Helpers for the simulator tests: in-memory audio, a multipart submit, envelope checks.
#![allow(dead_code)]

use std::time::Duration;

use reqwest::multipart::{Form, Part};
use serde_json::Value;
use speech_scorer::simulator::{SimConfig, SimHandle, Simulator};

/// A WAV header + PCM body of `seconds` at `rate` Hz, mono, `bits` bits; samples from `f(t)`.
pub fn wav(seconds: f64, rate: u32, bits: u16, f: impl Fn(f64) -> f64) -> Vec<u8> {
    let frames = (seconds * f64::from(rate)) as u32;
    let bytes_per = u32::from(bits / 8);
    let data_len = frames * bytes_per;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * bytes_per).to_le_bytes());
    out.extend_from_slice(&(bytes_per as u16).to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..frames {
        let v = f(f64::from(i) / f64::from(rate)).clamp(-1.0, 1.0);
        if bits == 8 {
            out.push((128.0 + v * 127.0) as u8);
        } else {
            out.extend_from_slice(&((v * 32767.0) as i16).to_le_bytes());
        }
    }
    out
}

/// Speech-like sound: 2.2 s voiced phrases (140 Hz + harmonics, syllable modulation),
/// 0.6 s pauses; same shape as `tests/common`'s fixture.
pub fn speechlike(t: f64) -> f64 {
    use std::f64::consts::PI;
    if t % 2.8 >= 2.2 {
        return 0.0;
    }
    let syllable = (0.5 - 0.5 * (2.0 * PI * 4.0 * t).cos()).powf(1.5);
    let voiced: f64 = (1..=5)
        .map(|h| (2.0 * PI * 140.0 * h as f64 * t).sin() / h as f64)
        .sum();
    0.35 * syllable * voiced
}

/// Choppier speech: 1 s phrases, 2.5 s pauses.
pub fn choppy(t: f64) -> f64 {
    if t % 3.5 >= 1.0 { 0.0 } else { speechlike(t) }
}

/// A speech-like 8 kHz 16-bit WAV of `seconds` (made once per length per test binary:
/// synthesis is slow in unoptimised test builds).
pub fn speech_wav(seconds: f64) -> Vec<u8> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<u64, Arc<Vec<u8>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let key = seconds.to_bits();
    if let Some(hit) = cache.lock().expect("cache").get(&key) {
        return hit.as_ref().clone();
    }
    let made = Arc::new(wav(seconds, 8000, 16, speechlike));
    cache
        .lock()
        .expect("cache")
        .entry(key)
        .or_insert(made)
        .as_ref()
        .clone()
}

/// A simulator with fast timings and the given tweaks.
pub async fn start(cfg: SimConfig) -> SimHandle {
    Simulator::start(cfg).await.expect("simulator starts")
}

/// A client with a short timeout.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// The multipart form: `audio` plus text fields.
pub fn form(audio: Option<Vec<u8>>, fields: &[(&str, &str)]) -> Form {
    let mut form = Form::new();
    if let Some(bytes) = audio {
        let part = Part::bytes(bytes)
            .file_name("recording.wav")
            .mime_str("audio/wav")
            .expect("mime");
        form = form.part("audio", part);
    }
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    form
}

/// POSTs a submit with `key` (None: no key header).
pub async fn submit(
    sim: &SimHandle,
    key: Option<&str>,
    audio: Option<Vec<u8>>,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = client()
        .post(format!("{}/api/v1/speech/analyze", sim.base_url()))
        .multipart(form(audio, fields));
    if let Some(k) = key {
        req = req.header("X-API-Key", k);
    }
    req.send().await.expect("submit reaches the simulator")
}

/// GETs `path` with the default key.
pub async fn get(sim: &SimHandle, path: &str) -> reqwest::Response {
    get_as(sim, sim.api_key(), path).await
}

/// GETs `path` with `key`.
pub async fn get_as(sim: &SimHandle, key: &str, path: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", sim.base_url()))
        .header("X-API-Key", key)
        .send()
        .await
        .expect("request reaches the simulator")
}

/// A fast simulator playing the scenario written in `toml`.
pub async fn start_scripted(toml: &str) -> SimHandle {
    let scenario = speech_scorer::simulator::Scenario::from_toml_str(toml).expect("scenario");
    start(SimConfig::fast().with_scenario(scenario)).await
}

/// `speech-scorer simulate ARGS` as a child process, its URL (from the first line it
/// prints) and the rest of its stdout.
pub fn simulate_process(
    args: &[&str],
) -> (
    std::process::Child,
    String,
    std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
) {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
        .arg("simulate")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn the simulator");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    let url = first
        .rsplit(' ')
        .next()
        .filter(|u| u.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_string();
    (child, url, lines)
}

/// Status and JSON body.
pub async fn json(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let body = resp.json::<Value>().await.expect("JSON body");
    (status, body)
}

/// True for `req_<13 digits>_<6 lowercase alphanumerics>`.
pub fn is_request_id(s: &str) -> bool {
    let parts: Vec<&str> = s.split('_').collect();
    parts.len() == 3
        && parts[0] == "req"
        && parts[1].len() == 13
        && parts[1].bytes().all(|b| b.is_ascii_digit())
        && parts[2].len() == 6
        && parts[2]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Checks the standard envelope and returns `error`.
pub fn envelope<'a>(body: &'a Value, code: &str, request_id: bool) -> &'a Value {
    let e = &body["error"];
    assert_eq!(e["code"], code, "{body}");
    assert!(
        e["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let ts = e["timestamp"].as_str().expect("timestamp");
    assert!(
        chrono::DateTime::parse_from_rfc3339(ts).is_ok(),
        "timestamp {ts}"
    );
    match e.get("requestId").and_then(Value::as_str) {
        Some(id) => {
            assert!(request_id, "unexpected requestId in {body}");
            assert!(is_request_id(id), "requestId {id}");
        }
        None => assert!(!request_id, "missing requestId in {body}"),
    }
    e
}

/// Polls `id` until terminal, honouring Retry-After (what a rule-following client does).
pub async fn poll_to_end(sim: &SimHandle, id: &str) -> Value {
    for _ in 0..60 {
        let resp = get(sim, &format!("/api/v1/speech/analyze/{id}")).await;
        let wait = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let (status, body) = json(resp).await;
        if status == 200
            && ["success", "partial", "failed"].contains(&body["status"].as_str().unwrap_or(""))
        {
            return body;
        }
        tokio::time::sleep(Duration::from_secs(wait.unwrap_or(1))).await;
    }
    panic!("run {id} did not finish");
}
