//! Persisted formats stay readable forever: the fixtures in `tests/fixtures/` are a history
//! record and a support bundle exactly as the first release wrote them. A renamed field or
//! variant that breaks them fails here. Add a fixture for every new format; never edit one.

use std::path::Path;

use speech_scorer::api::ErrorCode;
use speech_scorer::engine::policy::{Step, WaitReason};
use speech_scorer::engine::record::RECORD_FORMAT;
use speech_scorer::engine::{JobEvent, OutcomeKind, RunRecord};
use speech_scorer::store::History;
use speech_scorer::support::bundle::read_bundle;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn check_first_record(r: &RunRecord) {
    assert_eq!(r.format, 1, "records without a format field are format 1");
    assert_eq!(r.run_id.as_deref(), Some("req_1796118562544_qa0f86ktip4m"));
    assert_eq!(r.external_id.as_deref(), Some("cand-fixture-1"));
    assert_eq!(r.language.as_deref(), Some("en"));
    assert!(r.simulated);
    assert_eq!(r.last_status.as_deref(), Some("success"));
    let outcome = r.full_outcome().expect("an outcome");
    assert_eq!(outcome.kind, OutcomeKind::Success);
    assert_eq!(outcome.local_id, None, "format 1 had no localId");
    assert_eq!(
        outcome
            .result
            .as_ref()
            .and_then(|b| b.pointer("/scores/cefrLevel")),
        r.final_body
            .as_ref()
            .and_then(|b| b.pointer("/scores/cefrLevel"))
    );
    // The retry history: three warm-ups on submit, then the accepted run and its polls.
    let steps: Vec<(Step, Option<u16>)> = r.exchanges.iter().map(|e| (e.step, e.status)).collect();
    assert_eq!(
        steps,
        [
            (Step::Submit, Some(503)),
            (Step::Submit, Some(503)),
            (Step::Submit, Some(503)),
            (Step::Submit, Some(202)),
            (Step::Poll, Some(200)),
            (Step::Poll, Some(200)),
        ]
    );
    assert_eq!(r.exchanges[0].code, Some(ErrorCode::ServiceWarmingUp));
    assert_eq!(
        r.exchanges[0].wait.as_ref().map(|w| w.reason),
        Some(WaitReason::WarmingUp)
    );
    assert!(
        r.events
            .iter()
            .any(|e| matches!(&e.event, JobEvent::Accepted { run_id, .. } if run_id == "req_1796118562544_qa0f86ktip4m"))
    );
    assert!(!r.is_unfinished());
}

#[test]
fn a_first_release_history_record_still_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = History::in_dir(dir.path().to_path_buf());
    let text = std::fs::read_to_string(fixture("history-record-v1.json")).expect("fixture");
    let record: RunRecord = serde_json::from_str(&text).expect("format 1 parses");
    std::fs::write(dir.path().join(format!("{}.json", record.local_id)), &text).expect("copy");
    let (all, problems) = history.list().expect("list");
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(all.len(), 1);
    check_first_record(&all[0]);
    assert_eq!(
        all[0].file.as_deref(),
        Some(Path::new("/home/ana/interview.wav"))
    );
    // Saving it again writes today's format, which still reads back the same.
    let mut upgraded = all[0].clone();
    upgraded.format = RECORD_FORMAT;
    history.save(&upgraded).expect("save");
    let back = history.load(&upgraded.local_id).expect("load");
    assert_eq!(back, upgraded);
}

#[test]
fn a_first_release_support_bundle_still_reads() {
    let bundle = read_bundle(&fixture("bundle-v1.zip")).expect("format 1 bundle reads");
    assert_eq!(bundle.manifest.bundle_format, 1);
    assert!(bundle.recording.is_none());
    check_first_record(&bundle.record);
}
