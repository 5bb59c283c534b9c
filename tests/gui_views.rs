//! The views of issue 12 in the real app (kittest, against the in-process simulator): the
//! waveform of a take and seeking on it, trimming into a new take (checked with the WAV
//! reader), "Trim to 45:00" on an over-long take that then submits, the trend across
//! attempts, the whole result (feedback, recommendation, analysis tree, timed segments, the
//! change since the last attempt), and the exports (CSV and the one-page report, read back).

mod gui_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use gui_support::{Setup, click, import_fixture, shows, start, start_with, step_until, wait_for};
use serde_json::json;
use speech_scorer::api::model::{PollResponse, RunStatus};
use speech_scorer::engine::{Outcome, OutcomeKind};
use speech_scorer::simulator::SimConfig;
use speech_scorer::store::attempts::Measure;
use speech_scorer::store::{History, Paths, RunRecord};
use speech_scorer::ui::app::AppConfig;
use speech_scorer::ui::waveform::WAVEFORM_LABEL;
use speech_scorer::ui::{App, Screen};

const FULL_RESULT: &str = include_str!("fixtures/result-full.json");

fn take_file(h: &Harness<'static, App>) -> PathBuf {
    h.state().take.as_ref().expect("a take").original.clone()
}

/// Waits until the take's waveform is drawn.
fn wait_for_waveform(h: &mut Harness<'static, App>) {
    step_until(h, "the waveform", |h| {
        h.query_by_label_contains(WAVEFORM_LABEL).is_some()
    });
}

fn wav_frames(path: &Path) -> (u64, u32) {
    let r = hound::WavReader::open(path).expect("a readable WAV");
    (u64::from(r.duration()), r.spec().sample_rate)
}

#[test]
fn the_waveform_appears_for_a_take_and_a_click_seeks() {
    let mut gui = start(SimConfig::fast());
    import_fixture(&mut gui);
    let h = &mut gui.harness;
    wait_for_waveform(h);
    let file = take_file(h);
    assert_eq!(h.state().playhead(&file), Duration::ZERO);
    let label = h
        .get_by_label_contains(WAVEFORM_LABEL)
        .accesskit_node()
        .label()
        .unwrap_or_default();
    assert!(label.contains("3:20"), "the take's length: {label}");
    assert!(label.contains("playhead 0:00"), "{label}");
    // The fixture has 0.6 s pauses (speech), no silence a second long, nothing clipped.
    assert!(label.contains("0 silences, 0 clipped stretches"), "{label}");
    // A click in the middle of the whole-take view moves the playhead to the middle.
    h.get_by_label_contains(WAVEFORM_LABEL).click();
    h.step();
    h.step();
    let at = h.state().playhead(&file).as_secs_f64();
    assert!((at - 100.0).abs() < 2.0, "seeked to {at} s, not the middle");
    step_until(h, "the label to follow", |h| {
        shows(h, "playhead 1:40") || shows(h, "playhead 1:39") || shows(h, "playhead 1:41")
    });
    // The arrow keys move it 5 s while the waveform has focus.
    h.key_press(egui::Key::ArrowRight);
    h.step();
    h.step();
    let after = h.state().playhead(&file).as_secs_f64();
    assert!((after - at - 5.0).abs() < 0.01, "{at} → {after}");
}

#[test]
fn silence_and_clipping_are_marked_on_the_waveform() {
    // 10 s of a voice-like tone, 3 s of silence, 1 s clipped at full scale, 10 s of tone.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("marks.wav");
    let rate = 16_000u32;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).expect("wav");
    let tone = |i: u32| {
        ((f64::from(i) * 2.0 * std::f64::consts::PI * 140.0 / f64::from(rate)).sin() * 8_000.0)
            as i16
    };
    for i in 0..10 * rate {
        w.write_sample(tone(i)).expect("write");
    }
    for _ in 0..3 * rate {
        w.write_sample(0i16).expect("write");
    }
    for i in 0..rate {
        w.write_sample(if (i / 40) % 2 == 0 {
            i16::MAX
        } else {
            i16::MIN
        })
        .expect("write");
    }
    for i in 0..10 * rate {
        w.write_sample(tone(i)).expect("write");
    }
    w.finalize().expect("finalize");
    let mut gui = start(SimConfig::fast());
    let h = &mut gui.harness;
    step_until(h, "the record screen", |h| shows(h, "Import a file"));
    gui_support::type_into(
        h,
        speech_scorer::ui::record::IMPORT_PATH_LABEL,
        &path.display().to_string(),
    );
    click(h, "Import");
    wait_for_waveform(h);
    let label = h
        .get_by_label_contains(WAVEFORM_LABEL)
        .accesskit_node()
        .label()
        .unwrap_or_default();
    assert!(label.contains("1 silence, 1 clipped stretch"), "{label}");
    let file = take_file(h);
    let wave = h.state().views.wave.ready(&file).expect("the peaks");
    let silence = wave.silences()[0];
    let clip = wave.clipping()[0];
    assert!(
        (silence.start.as_secs_f64() - 10.0).abs() < 0.05,
        "{silence:?}"
    );
    assert!(
        (silence.end.as_secs_f64() - 13.0).abs() < 0.05,
        "{silence:?}"
    );
    assert!((clip.start.as_secs_f64() - 13.0).abs() < 0.05, "{clip:?}");
    assert!((clip.end.as_secs_f64() - 14.0).abs() < 0.05, "{clip:?}");
    assert!(
        shows(h, "grey: silence"),
        "the marks are explained beside the waveform"
    );
}

/// Drags from `from` to `to` (screen points) with the primary button.
fn drag(h: &mut Harness<'static, App>, from: egui::Pos2, to: egui::Pos2) {
    h.hover_at(from);
    h.step();
    h.drag_at(from);
    h.step();
    for i in 1..=4 {
        h.hover_at(from + (to - from) * (i as f32 / 4.0));
        h.step();
    }
    h.drop_at(to);
    h.step();
}

#[test]
fn the_trim_handles_make_a_new_take_of_exactly_that_stretch() {
    let mut gui = start(SimConfig::fast());
    import_fixture(&mut gui);
    let h = &mut gui.harness;
    wait_for_waveform(h);
    let original = take_file(h);
    let rect = h.get_by_label_contains(WAVEFORM_LABEL).rect();
    // Drag the start handle to 10 % and the end handle to 60 % of the take.
    let y = rect.center().y;
    drag(
        h,
        egui::pos2(rect.left() + 1.0, y),
        egui::pos2(rect.left() + rect.width() * 0.1, y),
    );
    drag(
        h,
        egui::pos2(rect.right() - 1.0, y),
        egui::pos2(rect.left() + rect.width() * 0.6, y),
    );
    let view = h.state().views.wave.view(&original);
    let (start, end) = view.selection.expect("the handles moved");
    assert!((start.as_secs_f64() - 20.0).abs() < 1.5, "start {start:?}");
    assert!((end.as_secs_f64() - 120.0).abs() < 1.5, "end {end:?}");
    assert!(shows(h, "Keep "), "the kept stretch is said");
    click(h, "Trim to the handles");
    step_until(h, "the trimmed take", |h| {
        h.state()
            .take
            .as_ref()
            .is_some_and(|t| t.original.to_string_lossy().contains("-trim-"))
    });
    let trimmed = take_file(h);
    // Sample-exact: frames ⌊start × rate⌋ .. ⌊end × rate⌋ of the original.
    let (frames, rate) = wav_frames(&trimmed);
    let (_, original_rate) = wav_frames(&original);
    assert_eq!(rate, original_rate, "copied, not resampled");
    let expected = (end.as_secs_f64() * f64::from(rate)).floor() as u64
        - (start.as_secs_f64() * f64::from(rate)).floor() as u64;
    assert_eq!(frames, expected);
    // The original is kept until the person chooses.
    assert!(original.exists());
    let listed = |h: &Harness<'static, App>, p: &Path| h.state().takes.list.find_path(p).is_some();
    assert!(listed(h, &original) && listed(h, &trimmed));
    wait_for(h, "The original is kept until you choose");
    click(h, "Keep the trimmed take");
    wait_for(h, "Keep the trimmed take?");
    click(h, "Yes, keep the trimmed take");
    step_until(h, "the original to leave the list", |h| {
        h.state().takes.list.find_path(&original).is_none()
    });
    assert!(original.exists(), "an imported file is never deleted");
    assert_eq!(take_file(h), trimmed);
}

#[test]
fn back_to_the_original_drops_the_trimmed_copy() {
    let mut gui = start(SimConfig::fast());
    import_fixture(&mut gui);
    let h = &mut gui.harness;
    wait_for_waveform(h);
    let original = take_file(h);
    let mut view = h.state().views.wave.view(&original);
    view.selection = Some((Duration::from_secs(5), Duration::from_secs(190)));
    h.state_mut().views.wave.set_view(&original, view);
    h.step();
    click(h, "Trim to the handles");
    step_until(h, "the trimmed take", |h| take_file(h) != original);
    let trimmed = take_file(h);
    click(h, "Back to the original");
    step_until(h, "the original back", |h| {
        h.state()
            .take
            .as_ref()
            .is_some_and(|t| t.original == original)
    });
    step_until(h, "the copy to go", |_| !trimmed.exists());
    assert!(h.state().takes.list.find_path(&trimmed).is_none());
}

#[test]
fn trim_to_45_00_on_a_take_half_a_second_too_long_then_submits() {
    let mut gui = start_with(Setup {
        fixture_secs: 1.0,
        ..Setup::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let long = dir.path().join("interview-45m00.5s.wav");
    let rate = 8_000;
    gui_support::write_tone(&long, rate, (2700.5 * f64::from(rate)) as u64);
    let h = &mut gui.harness;
    step_until(h, "the record screen", |h| shows(h, "Import a file"));
    gui_support::type_into(
        h,
        speech_scorer::ui::record::IMPORT_PATH_LABEL,
        &long.display().to_string(),
    );
    click(h, "Import");
    step_until(h, "the long take", |h| h.state().take.is_some());
    let trim = speech_scorer::guidance::trim_to_max_label();
    assert_eq!(trim, "Trim to 45:00");
    wait_for(h, "longer than the 45-minute limit");
    // Submitting is refused on this computer, and the dialog offers the one fix that works.
    click(h, "Submit for scoring");
    // 45:00.5 of 8 kHz WAV is also over 25 MB (no encoding makes 45+ minutes fit, so it was
    // not converted): the check on this computer names the size first, as the service
    // would, and the dialog offers the trim either way (then the 45:00 take is converted).
    step_until(h, "the refusal", |h| h.state().dialog.is_some());
    let code = h
        .state()
        .dialog
        .as_ref()
        .map(|d| d.code.clone())
        .unwrap_or_default();
    assert!(
        code == "AUDIO_TOO_LONG" || code == "FILE_TOO_LARGE",
        "refused as {code}"
    );
    wait_for(h, "Checked on this computer");
    wait_for(h, "is 45:00.500 long");
    // The dialog's button (the Record screen has one too, behind the dialog).
    let buttons: Vec<_> = h.query_all_by_role_and_label(Role::Button, &trim).collect();
    assert_eq!(buttons.len(), 2, "the dialog's and the Record screen's");
    buttons.last().expect("the dialog's button").click();
    h.step();
    assert!(h.state().dialog.is_none(), "the button closes the dialog");
    step_until(h, "the 45:00 take", |h| {
        h.state()
            .take
            .as_ref()
            .is_some_and(|t| t.original.to_string_lossy().contains("-trim-"))
    });
    let take = h.state().take.clone().expect("take");
    let (frames, r) = wav_frames(&take.original);
    assert_eq!((frames, r), (2700 * u64::from(rate), rate), "exactly 45:00");
    assert!(take.duration <= speech_scorer::api::limits::MAX_DURATION);
    assert!(long.exists(), "the original stays");
    click(h, "Submit for scoring");
    step_until(h, "the result", |h| {
        !h.state().is_submitting() && h.state().state.screen == Screen::Result
    });
    let poll = h.state().result.clone().expect("a result");
    assert_eq!(poll.status, RunStatus::Success);
}

/// Writes a scored run to the history under `paths`.
fn seed_run(paths: &Paths, days_ago: i64, overall: f64, external_id: &str, file: Option<&Path>) {
    let at = chrono::Utc::now() - chrono::Duration::days(days_ago);
    let mut r = RunRecord::new(at);
    let run_id = format!("req_seed_{days_ago}_{external_id}");
    r.run_id = Some(run_id.clone());
    r.external_id = Some(external_id.to_string());
    r.language = Some("en".into());
    r.file = file.map(Path::to_path_buf);
    r.simulated = true;
    r.set_outcome(&Outcome {
        kind: OutcomeKind::Success,
        run_id: Some(run_id.clone()),
        external_id: Some(external_id.into()),
        local_id: None,
        result: Some(json!({
            "id": run_id, "externalId": external_id, "status": "success",
            "audio": {"languageCode": "en", "durationMs": 200000},
            "scores": {"overall": overall, "cefrLevel": "B2", "vocabulary": overall + 0.1,
                       "vocabularyCefr": "B2", "fluency": overall - 0.1, "fluencyCefr": "B1",
                       "accent": null},
            "credits": {"deducted": 4}
        })),
        error: None,
    });
    History::new(paths).save(&r).expect("seed a run");
}

fn seeded(runs: Vec<(i64, f64, &'static str)>) -> Box<dyn FnOnce(&AppConfig)> {
    Box::new(move |config| {
        let paths = config.paths.as_ref().expect("test paths");
        for (days, overall, ext) in runs {
            seed_run(paths, days, overall, ext, None);
        }
    })
}

#[test]
fn the_trend_chart_has_one_point_per_attempt_and_draws() {
    let mut gui = start_with(Setup {
        prepare: seeded(vec![
            (30, 3.0, "ana-1"),
            (20, 3.3, "ben-1"),
            (10, 3.4, "ana-2"),
            (5, 3.6, "ana-3"),
        ]),
        ..Setup::default()
    });
    let h = &mut gui.harness;
    step_until(h, "the history", |h| h.state().history_view.loaded);
    click(h, "Trend");
    step_until(h, "the chart", |h| shows(h, "Trend chart of"));
    // By language: one series, four attempts, one point each on the overall line.
    let series = h.state().views.trend.shown().cloned().expect("a series");
    assert_eq!(series.attempts, 4);
    let overall = series
        .lines
        .iter()
        .find(|l| l.measure == Measure::Overall)
        .expect("overall line");
    let scores: Vec<f64> = overall.points.iter().map(|p| p.score).collect();
    assert_eq!(
        scores,
        vec![3.0, 3.3, 3.4, 3.6],
        "oldest first, one per attempt"
    );
    // Overall, vocabulary and fluency have four points each; accent was never scored.
    assert_eq!(
        h.state().views.trend.drawn_points,
        12,
        "every point reached the chart"
    );
    assert!(shows(
        h,
        "Trend chart of English (en): 4 attempts, overall from 3.0 to 3.6"
    ));
    // Group by an externalId prefix: ana's three attempts.
    h.state_mut().state.trend_group =
        speech_scorer::store::attempts::GroupBy::ExternalIdPrefix("ana-".into());
    h.state_mut().views.trend.invalidate();
    step_until(h, "ana's series", |h| {
        shows(h, "3 attempts, overall from 3.0 to 3.6")
    });
    assert_eq!(h.state().views.trend.drawn_points, 9);
}

#[test]
fn the_attempts_table_draws_only_the_rows_in_view_and_opens_one() {
    // 600 attempts of two people: the table lists them all, draws only what is in view.
    let runs: Vec<(i64, f64, &'static str)> = (0..600)
        .map(|k| {
            let who = if k % 2 == 0 { "ana-x" } else { "ben-x" };
            (600 - k, 2.0 + f64::from((k % 30) as u32) / 20.0, who)
        })
        .collect();
    let mut gui = start_with(Setup {
        prepare: seeded(runs),
        ..Setup::default()
    });
    let h = &mut gui.harness;
    step_until(h, "the history", |h| h.state().history_view.loaded);
    click(h, "Trend");
    step_until(h, "the table", |h| shows(h, "Attempts (600), newest first"));
    let open_buttons = h.query_all_by_role_and_label(Role::Button, "Open").count();
    assert!(
        (1..60).contains(&open_buttons),
        "{open_buttons} rows drawn of 600: the table is not virtualized"
    );
    // The newest attempt is the first row; its Open shows its result.
    let newest = h.state().views.trend.shown().expect("a series").members[0];
    let run_id = h.state().views.trend.attempts[newest].run_id.clone();
    h.query_all_by_role_and_label(Role::Button, "Open")
        .next()
        .expect("a row")
        .click_accesskit();
    h.step();
    step_until(h, "the result", |h| {
        h.state().state.screen == Screen::Result
            && h.state().result.as_ref().map(|p| p.id.clone()) == run_id
    });
    // Grouped by the externalId prefix typed in: ana's 300 only.
    click(h, "Trend");
    step_until(h, "the trend", |h| shows(h, "Group attempts by"));
    h.get_by_role_and_label(Role::ComboBox, "Group attempts by")
        .click_accesskit();
    h.step();
    h.step();
    h.get_by_label("externalId prefix").click_accesskit();
    h.step();
    h.step();
    gui_support::type_into(h, "starting with", "ana-");
    step_until(h, "ana's series", |h| {
        shows(h, "Attempts (300), newest first")
    });
    assert_eq!(h.state().views.trend.drawn_points, 900, "3 lines × 300");
}

fn show_full_result(h: &mut Harness<'static, App>) -> PollResponse {
    let poll: PollResponse = serde_json::from_str(FULL_RESULT).expect("fixture parses");
    h.state_mut().result = Some(poll.clone());
    h.state_mut().result_simulated = true;
    h.state_mut().state.screen = Screen::Result;
    h.step();
    poll
}

#[test]
fn the_result_shows_feedback_recommendation_analysis_and_segments() {
    let mut gui = start_with(Setup {
        // A previous attempt of the same person in the same language, 0.3 lower.
        prepare: seeded(vec![(7, 3.5, "ana-2026-02")]),
        ..Setup::default()
    });
    import_fixture(&mut gui);
    let h = &mut gui.harness;
    step_until(h, "the history", |h| h.state().history_view.loaded);
    let poll = show_full_result(h);
    wait_for(h, "Feedback for you");
    assert!(shows(
        h,
        poll.candidate_feedback.as_deref().expect("feedback")
    ));
    assert!(shows(h, "For the reviewer"));
    assert!(shows(
        h,
        poll.hr_recommendation.as_deref().expect("recommendation")
    ));
    // The analysis tree: first level open, keys as labels, values as they came.
    assert!(shows(h, "Analysis"));
    assert!(shows(h, "Speech ratio:"));
    assert!(shows(h, "0.712"));
    assert!(shows(h, "Long pauses (2 items)"));
    assert!(shows(h, "migration, reconcile, stakeholder"));
    assert!(!shows(h, "Item 1"), "deeper levels start closed");
    h.get_by_label("Long pauses (2 items)").click_accesskit();
    h.step();
    h.step();
    assert!(shows(h, "Item 1"), "a branch opens");
    // Compared with the last attempt (3.5 → 3.8).
    assert!(shows(h, "Compared with your last attempt"));
    assert!(shows(h, "+0.3"));
    // CEFR levels on their ladders, the labels unchanged for screen readers.
    h.get_by_role_and_label(Role::Meter, "Accent: C1, 4.1 of 5, 82 %");
    // Timed segments, read from three different shapes; clicking one plays that part.
    assert!(shows(h, "Transcript (4 segments)"));
    let seg = "0:14–0:31 speaker_1: We planned it in stages";
    step_until(h, "the segment", |h| {
        h.query_by_label_contains(seg).is_some()
    });
    assert!(shows(h, "0:31–0:38 speaker_0: And the result?"));
    h.get_by_label_contains(seg).click_accesskit();
    h.step();
    h.step();
    let file = h.state().take.as_ref().expect("take").path.clone();
    assert_eq!(
        h.state().views.wave.playing.as_deref(),
        Some(file.as_path())
    );
    assert_eq!(
        h.state().views.wave.view(&file).cursor,
        Duration::from_millis(14_600),
        "playback starts at the segment"
    );
}

fn parse_csv(text: &str) -> Vec<Vec<String>> {
    // Fields here hold no quotes or commas but the header's; a plain split suffices, and a
    // quoted field would fail the column count below.
    text.lines()
        .map(|l| {
            l.trim_end_matches('\r')
                .split(',')
                .map(str::to_string)
                .collect()
        })
        .collect()
}

#[test]
fn exports_write_a_csv_and_a_report_that_read_back() {
    let mut gui = start_with(Setup {
        prepare: seeded(vec![(9, 3.1, "ana-a"), (3, 3.4, "ana-b")]),
        ..Setup::default()
    });
    let h = &mut gui.harness;
    step_until(h, "the history", |h| h.state().history_view.loaded);
    click(h, "History");
    wait_for(h, "Export CSV");
    click(h, "Export CSV…");
    wait_for(h, "Export: History (CSV)");
    // No save dialog in tests: Choose… says so and the path field stays the way.
    click(h, "Choose…");
    step_until(h, "the fallback", |h| {
        shows(h, "save dialog could not open")
    });
    let path = PathBuf::from(h.state().views.export.path.clone());
    assert!(
        path.starts_with(gui.home.path()),
        "the default is under the test home"
    );
    click(h, "Save");
    step_until(h, "the CSV", |h| {
        matches!(h.state().views.export.last, Some(Ok(_)))
    });
    let rows = parse_csv(&std::fs::read_to_string(&path).expect("csv written"));
    assert_eq!(rows.len(), 3, "a header and one row per run");
    let col = |name: &str| {
        speech_scorer::store::export::CSV_COLUMNS
            .iter()
            .position(|c| *c == name)
            .expect("column")
    };
    assert!(
        rows.iter()
            .all(|r| r.len() == speech_scorer::store::export::CSV_COLUMNS.len())
    );
    assert_eq!(rows[1][col("overall")], "3.1");
    assert_eq!(rows[2][col("overall")], "3.4");
    assert_eq!(rows[2][col("external_id")], "ana-b");
    assert_eq!(rows[2][col("simulated")], "Simulated");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o077, 0, "owner-only");
    }
    // The report of the newest run, from its History row.
    let newest = h.state().history_view.rows[0].record.local_id.clone();
    h.state_mut().run_command(
        &egui::Context::default(),
        speech_scorer::ui::Command::OpenRun(newest),
    );
    h.step();
    wait_for(h, "Export report");
    click(h, "Export report…");
    wait_for(h, "Export: Report");
    let report = PathBuf::from(h.state().views.export.path.clone());
    click(h, "Save");
    step_until(h, "the report", |h| {
        matches!(h.state().views.export.last, Some(Ok(_)))
    });
    let html = std::fs::read_to_string(&report).expect("report written");
    let text = speech_scorer::store::export::html_text(&html);
    assert!(text.contains("Speech assessment"), "{text}");
    assert!(text.contains("3.4 of 5"), "{text}");
    assert!(text.contains("Vocabulary"), "{text}");
    assert!(text.contains("3.5 / 5"), "vocabulary's score: {text}");
    assert!(text.contains("Simulated — not a real score"), "{text}");
    assert!(
        text.contains("+0.3"),
        "compared with the last attempt: {text}"
    );
    assert!(!html.contains("<script"), "no scripts in a report");
}
