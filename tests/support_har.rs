//! The request, not only the response (issue 15): a scored run's log records what was sent —
//! the headers with the key masked at capture, the form fields and the audio part described —
//! and the response headers; `log RUN --har` writes it as HTTP Archive 1.2 that dev tools,
//! Insomnia and Postman open, with no fragment of the key anywhere.

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use speech_scorer::simulator::{Scenario, SimConfig, Simulator};
use speech_scorer::store::{History, Paths};
use speech_scorer::support::wire;

const KEY: &str = "zh_live_har_export_key_8h2k3m9q";

const SCENARIO: &str = r#"
[[step]]
on = "submit"
respond = "error"
code = "SERVICE_WARMING_UP"
retry_after = 1

[[step]]
on = "submit"
respond = "queued"
queue_position = 1

[[step]]
on = "poll"
respond = "success"
"#;

fn bin(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_speech-scorer"));
    c.env("SPEECH_SCORER_HOME", home)
        .env("ZENHIRE_API_KEY", KEY)
        .env_remove("ZENHIRE_BASE_URL");
    c
}

/// Fails unless `v` has every field HAR 1.2 requires of a log, its entries, requests,
/// responses and timings, with the documented types.
fn assert_har_1_2(v: &Value) {
    let log = &v["log"];
    assert_eq!(log["version"], "1.2");
    assert!(log["creator"]["name"].is_string() && log["creator"]["version"].is_string());
    let entries = log["entries"].as_array().expect("log.entries is an array");
    assert!(!entries.is_empty());
    let pages: Vec<&str> = log["pages"]
        .as_array()
        .expect("pages")
        .iter()
        .map(|p| {
            assert!(p["startedDateTime"].is_string() && p["title"].is_string());
            assert!(p["pageTimings"].is_object());
            p["id"].as_str().expect("page id")
        })
        .collect();
    for e in entries {
        let started = e["startedDateTime"].as_str().expect("startedDateTime");
        chrono::DateTime::parse_from_rfc3339(started).expect("ISO 8601 with a time zone");
        if let Some(p) = e["pageref"].as_str() {
            assert!(pages.contains(&p), "pageref {p} names a page");
        }
        let req = &e["request"];
        for k in ["method", "url", "httpVersion"] {
            assert!(req[k].is_string(), "request.{k}: {req}");
        }
        url::Url::parse(req["url"].as_str().expect("url")).expect("an absolute URL");
        for k in ["cookies", "headers", "queryString"] {
            assert!(req[k].is_array(), "request.{k}");
        }
        for h in req["headers"].as_array().expect("headers") {
            assert!(h["name"].is_string() && h["value"].is_string());
        }
        assert!(req["headersSize"].is_i64() && req["bodySize"].is_i64());
        if let Some(pd) = req.get("postData") {
            assert!(pd["mimeType"].is_string());
            assert!(pd["params"].is_array() || pd["text"].is_string());
        }
        let resp = &e["response"];
        assert!(resp["status"].is_u64() && resp["statusText"].is_string());
        assert!(resp["httpVersion"].is_string() && resp["redirectURL"].is_string());
        assert!(resp["cookies"].is_array() && resp["headers"].is_array());
        let content = &resp["content"];
        assert!(content["size"].is_i64() || content["size"].is_u64());
        assert!(content["mimeType"].is_string());
        assert!(resp["headersSize"].is_i64() && resp["bodySize"].is_i64());
        assert!(e["cache"].is_object());
        let t = &e["timings"];
        let mut sum = 0.0;
        for k in ["send", "wait", "receive"] {
            let x = t[k].as_f64().expect("timings.{k}");
            assert!(x >= 0.0, "timings.{k} may not be -1");
            sum += x;
        }
        let time = e["time"].as_f64().expect("time");
        assert!((time - sum).abs() < 1e-6, "time is the sum of the timings");
    }
}

#[test]
fn a_run_exports_as_har_with_the_request_and_no_key() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let scenario = Scenario::from_toml_str(SCENARIO).expect("scenario");
    let sim = rt
        .block_on(Simulator::start(
            SimConfig::fast().with_key(KEY).with_scenario(scenario),
        ))
        .expect("simulator");
    let home = tempfile::tempdir().expect("home");
    let (_audio_dir, audio) = common::speech_fixture(181.0);
    let scored = bin(home.path())
        .args([
            "score",
            "--json",
            "--external-id",
            "cand-har-7",
            "--metadata",
            r#"{"team":"support"}"#,
            "--base-url",
            &sim.base_url(),
        ])
        .arg(&audio)
        .output()
        .expect("score");
    assert!(scored.status.success(), "{scored:?}");
    drop(sim);

    // What the log holds: the request as sent.
    let history = History::new(&Paths::under(home.path().to_path_buf()));
    let (records, _) = history.list().expect("history");
    let record = records.into_iter().next().expect("the run");
    let submit = record
        .exchanges
        .iter()
        .find(|e| e.status == Some(202))
        .expect("the accepted submit");
    assert_eq!(
        wire::header(&submit.request_headers, "x-api-key"),
        Some("zh_…3m9q"),
        "the key masked at capture: {:?}",
        submit.request_headers
    );
    assert!(
        wire::header(&submit.request_headers, "content-type")
            .is_some_and(|v| v.starts_with("multipart/form-data; boundary=")),
        "{:?}",
        submit.request_headers
    );
    assert!(wire::header(&submit.request_headers, "user-agent").is_some());
    let form = submit.form.as_ref().expect("the form was recorded");
    assert_eq!(form.language, "en");
    assert_eq!(form.external_id.as_deref(), Some("cand-har-7"));
    assert_eq!(form.metadata.as_deref(), Some(r#"{"team":"support"}"#));
    assert_eq!(form.audio.file_name, "speech-181s.wav");
    assert_eq!(
        form.audio.size_bytes,
        std::fs::metadata(&audio).expect("meta").len()
    );
    assert_eq!(form.audio.content_type, "audio/wav");
    assert_eq!(form.audio.duration_ms, Some(181_000));
    assert_eq!(
        wire::header(&submit.response_headers, "x-zenhire-simulator"),
        Some("1")
    );
    assert!(
        wire::header(&submit.response_headers, "content-type").is_some_and(|v| v.contains("json"))
    );
    assert_eq!(
        wire::full_url(record.base_url.as_deref(), submit),
        format!(
            "{}/api/v1/speech/analyze",
            record.base_url.clone().expect("base")
        )
    );
    let history_text =
        std::fs::read_to_string(history.dir().join(format!("{}.json", record.local_id)))
            .expect("record file");
    assert!(
        !history_text.contains(KEY),
        "the history never holds the key"
    );

    // The HAR export.
    let run_id = record.run_id.clone().expect("run id");
    let out = home.path().join("run.har");
    let exported = bin(home.path())
        .args(["log", &run_id, "--har", "-o"])
        .arg(&out)
        .output()
        .expect("log --har");
    assert!(exported.status.success(), "{exported:?}");
    let text = std::fs::read_to_string(&out).expect("har file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&out).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "owner-only: it holds candidate data");
    }
    assert!(!text.contains(KEY), "the key is not in the HAR");
    assert!(
        !text.contains(&KEY[KEY.len() - 8..]),
        "not even its last 8 characters"
    );
    let har: Value = serde_json::from_str(&text).expect("the HAR is JSON");
    assert_har_1_2(&har);
    let entries = har["log"]["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), record.exchanges.len());
    let warm = &entries[0];
    assert_eq!(warm["request"]["method"], "POST");
    assert_eq!(warm["response"]["status"], 503);
    assert_eq!(warm["response"]["statusText"], "Service Unavailable");
    assert_eq!(warm["_speechScorer"]["code"], "SERVICE_WARMING_UP");
    let params = warm["request"]["postData"]["params"]
        .as_array()
        .expect("multipart params");
    let audio_param = params
        .iter()
        .find(|p| p["name"] == "audio")
        .expect("the audio part");
    assert_eq!(audio_param["fileName"], "speech-181s.wav");
    assert!(
        audio_param.get("value").is_none(),
        "described, not embedded"
    );
    assert!(
        audio_param["comment"]
            .as_str()
            .is_some_and(|c| c.contains("not embedded") && c.contains("3 min 01 s")),
        "{audio_param}"
    );
    assert!(
        params
            .iter()
            .any(|p| p["name"] == "externalId" && p["value"] == "cand-har-7")
    );
    let last = entries.last().expect("the poll");
    assert_eq!(last["request"]["method"], "GET");
    assert_eq!(last["response"]["status"], 200);
    assert!(
        last["response"]["content"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("\"success\""))
    );
    // Without -o it goes to stdout, identical.
    let stdout = bin(home.path())
        .args(["log", &run_id, "--har"])
        .output()
        .expect("log --har");
    let again: Value = serde_json::from_slice(&stdout.stdout).expect("stdout HAR");
    assert_eq!(again["log"]["entries"], har["log"]["entries"]);
}
