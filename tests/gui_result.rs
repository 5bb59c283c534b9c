//! The result screen, drawn from the documented example poll bodies of
//! `api/zenhire-speech-api.md`, checked the way a person (or a screen reader) reads it.

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use speech_scorer::api::model::PollResponse;
use speech_scorer::ui::Command;
use speech_scorer::ui::result::{missing_dimensions_text, needs_review, result_ui};

const SUCCESS: &str = r#"{
  "id": "req_1705412345678_abc123", "externalId": "candidate-abc-123", "status": "success",
  "timestamp": "2026-05-29T10:04:12.345Z", "processingTimeMs": 184000,
  "scoringMethod": "ml_hybrid",
  "audio": {"durationMs": 612000, "durationFormatted": "10:12", "languageCode": "en",
            "requestedLanguage": "en", "speakerCount": 2},
  "candidateDetection": {"speaker": "speaker_1", "speakerLabel": "Speaker 2",
    "confidence": "high", "reason": "Speaker answers questions and describes experience",
    "wordCount": 432},
  "scores": {"vocabulary": 3.8, "vocabularyCefr": "B2", "vocabularyPercent": 76,
    "fluency": 3.5, "fluencyCefr": "B2", "fluencyPercent": 70,
    "accent": 4.1, "accentCefr": "C1", "accentPercent": 82,
    "overall": 3.8, "cefrLevel": "B2", "overallPercent": 76},
  "explainability": {"vocab": "Uses a broad range of work vocabulary.",
                     "fluency": "Speaks at an even pace with few long pauses."},
  "analysis": {}, "hrRecommendation": "<string>", "candidateFeedback": "<string>",
  "transcript": {"segments": [], "speakers": [], "candidateText": "I led the migration of our billing system.",
                 "candidateSpeaker": "speaker_1"},
  "credits": {"deducted": 11, "remainingBalance": 489, "audioDurationMinutes": 10.2},
  "error": null,
  "metadata": {"candidate_id": "c_887", "customer": "acme"},
  "tags": ["batch-3", "eu-region"]
}"#;

const PARTIAL: &str = r#"{"id":"req_partial_1","externalId":"candidate-abc-123","status":"partial","scoringMethod":"ml_hybrid",
  "scores":{"vocabulary":3.6,"vocabularyCefr":"B2","vocabularyPercent":72,
    "fluency":3.2,"fluencyCefr":"B1","fluencyPercent":64,
    "accent":null,"accentCefr":null,"accentPercent":null,
    "overall":null,"cefrLevel":null,"overallPercent":null},
  "credits":{"deducted":7,"remainingBalance":493,"audioDurationMinutes":10.2},
  "metadata":{},"tags":[]}"#;

fn parse(body: &str) -> PollResponse {
    serde_json::from_str(body).expect("documented example parses")
}

fn harness(poll: PollResponse) -> Harness<'static, Vec<Command>> {
    Harness::builder()
        .with_size(egui::vec2(800.0, 900.0))
        .build_ui_state(
            move |ui, cmds: &mut Vec<Command>| result_ui(ui, &poll, false, cmds),
            Vec::new(),
        )
}

#[test]
fn success_shows_overall_level_dimensions_and_credits() {
    let mut h = harness(parse(SUCCESS));
    h.run();
    h.get_by_label("Overall level B2");
    h.get_by_role_and_label(Role::Meter, "Vocabulary: B2, 3.8 of 5, 76 %");
    h.get_by_role_and_label(Role::Meter, "Fluency: B2, 3.5 of 5, 70 %");
    h.get_by_role_and_label(Role::Meter, "Accent: C1, 4.1 of 5, 82 %");
    h.get_by_label_contains("Uses a broad range of work vocabulary.");
    h.get_by_label_contains("Speaks at an even pace");
    h.get_by_label_contains("2 speakers heard; scored Speaker 2, confidence high, 432 words");
    h.get_by_label("11 credits deducted · 489 remaining · 10.2 min of audio");
    assert!(h.query_by_label_contains("Partial result").is_none());
    assert!(h.query_by_label_contains("Review needed").is_none());
}

#[test]
fn copy_run_id_asks_for_the_clipboard() {
    let mut h = harness(parse(SUCCESS));
    h.run();
    h.get_by_role_and_label(Role::Button, "Copy run id").click();
    h.run();
    assert_eq!(
        h.state().as_slice(),
        [Command::CopyToClipboard {
            text: "req_1705412345678_abc123".into(),
            what: "Run id"
        }]
    );
}

#[test]
fn partial_is_marked_and_names_the_missing_dimension() {
    let poll = parse(PARTIAL);
    assert_eq!(missing_dimensions_text(&poll).as_deref(), Some("Accent"));
    let mut h = harness(poll);
    h.run();
    h.get_by_label_contains("Partial result: Accent could not be scored");
    h.get_by_role_and_label(Role::Meter, "Accent: not scored");
    h.get_by_role_and_label(Role::Meter, "Fluency: B1, 3.2 of 5, 64 %");
    h.get_by_label("Overall level not available");
    h.get_by_label("7 credits deducted · 493 remaining · 10.2 min of audio");
}

#[test]
fn low_confidence_candidate_asks_for_review_and_opens_the_transcript() {
    let body = SUCCESS.replace(r#""confidence": "high""#, r#""confidence": "low""#);
    let poll = parse(&body);
    assert!(needs_review(&poll));
    let mut h = harness(poll);
    h.run();
    h.get_by_label_contains("Review needed");
    // The transcript opens by itself so the reviewer sees the words.
    h.get_by_label("I led the migration of our billing system.");
}

#[test]
fn failed_run_shows_code_and_message() {
    let mut h = harness(parse(
        r#"{"id":"req_f","status":"failed",
          "error":{"code":"TRANSCRIPTION_LOW_CONFIDENCE","message":"Audio content does not match the requested language."},
          "credits":null,"metadata":{},"tags":[]}"#,
    ));
    h.run();
    h.get_by_label_contains("TRANSCRIPTION_LOW_CONFIDENCE: Audio content does not match");
}
