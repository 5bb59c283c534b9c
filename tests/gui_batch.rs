//! The Batch screen (issue 13) in the real app against the built-in simulator: a folder is
//! checked (its cost against the balance), started, and its rows finish in the table; pause
//! holds back the rows not started; a row's result opens; the table exports as CSV; a
//! cancelled batch is continued by starting it again, with no run submitted twice.

mod gui_support;

use std::path::Path;

use egui::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use gui_support::{click, shows, start, step_until, type_into};
use speech_scorer::simulator::SimConfig;
use speech_scorer::ui::Screen;
use speech_scorer::ui::batch::labels;

/// `speech` speech-like takes of 181 s (links to one file) and one 10 s take.
fn folder(dir: &Path, speech: usize) {
    let (_one, take) = gui_support::fixture(181.0);
    for i in 1..=speech {
        let to = dir.join(format!("take-{i:02}.wav"));
        if std::fs::hard_link(&take, &to).is_err() {
            std::fs::copy(&take, &to).expect("copy take");
        }
    }
    let (_short, short) = gui_support::fixture(10.0);
    std::fs::copy(short, dir.join("z-short.wav")).expect("copy short take");
}

fn rows_showing(h: &egui_kittest::Harness<'static, speech_scorer::ui::App>, text: &str) -> usize {
    h.state()
        .batch
        .rows
        .iter()
        .filter(|r| speech_scorer::ui::app::row_status(r) == text)
        .count()
}

#[test]
fn a_folder_is_checked_started_paused_and_its_rows_finish_in_the_table() {
    let input = tempfile::tempdir().expect("tempdir");
    folder(input.path(), 10);
    let mut gui = start(SimConfig::fast());
    let h = &mut gui.harness;
    step_until(h, "the built-in simulator", |h| {
        h.state().demo_simulator().is_some()
    });
    click(h, "Batch");
    h.step();
    assert_eq!(h.state().state.screen, Screen::Batch);
    type_into(h, labels::PATH, input.path().to_str().expect("utf-8"));
    click(h, labels::CHECK);
    // 10 takes of 181 s: 4 credits each; the 10 s one fails the checks and costs nothing.
    step_until(h, "the estimate against the balance", |h| {
        shows(h, "Estimated cost: 40 credits") && shows(h, "balance 500 credits")
    });
    assert!(shows(h, "11 recordings; 11 to score"));
    assert!(shows(h, "1 recording the local checks refuse"));
    click(h, labels::START);
    // The first 8 start (the account's limit); pause before the last two can.
    step_until(h, "the first runs", |h| {
        h.state()
            .demo_simulator()
            .is_some_and(|s| s.stats().runs_created >= 1)
    });
    click(h, labels::PAUSE);
    step_until(h, "the paused note", |h| {
        shows(h, "Paused: no new recording starts")
    });
    step_until(h, "the first 8 to end", |h| rows_showing(h, "success") == 8);
    let sim_runs = |h: &egui_kittest::Harness<'static, speech_scorer::ui::App>| {
        h.state()
            .demo_simulator()
            .map_or(0, |s| s.stats().runs_created)
    };
    let until = std::time::Instant::now() + std::time::Duration::from_millis(1500);
    while std::time::Instant::now() < until {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(sim_runs(h), 8, "nothing started while paused");
    assert_eq!(rows_showing(h, "waiting to start"), 2);
    assert!(
        shows(h, "AUDIO_TOO_SHORT"),
        "the invalid row shows its code"
    );
    click(h, labels::RESUME);
    step_until(h, "every row to end", |h| {
        h.state().batch.running.is_none() && rows_showing(h, "success") == 10
    });
    assert!(shows(h, "11 of 11 recordings ended: 10 success"));
    assert_eq!(rows_showing(h, "invalid input"), 1);
    let stats = h.state().demo_simulator().expect("sim").stats();
    assert_eq!(stats.runs_created, 10);
    assert!(stats.max_processing <= 8, "{stats:?}");
    assert!(stats.duplicate_external_ids.is_empty());
    assert_eq!(stats.self_inflicted_429s, 0);

    // Export the table.
    let export = input.path().join("out").join("table.csv");
    h.get_by_label(labels::EXPORT_PATH)
        .set_text_value_accesskit(export.to_str().expect("utf-8"));
    h.step();
    assert_eq!(h.state().batch.export_path, export.to_str().expect("utf-8"));
    click(h, labels::EXPORT);
    step_until(h, "the export", |_| export.exists());
    let csv = std::fs::read_to_string(&export).expect("csv");
    assert_eq!(csv.lines().count(), 12, "{csv}");
    assert!(
        csv.starts_with("row,file,status,overall,cefr,errorCode,message"),
        "{csv}"
    );
    assert!(csv.contains(",invalid input,,,AUDIO_TOO_SHORT,"), "{csv}");

    // A row's result opens on the Result screen.
    h.query_all_by_role_and_label(Role::Button, labels::OPEN)
        .next()
        .expect("an Open button")
        .scroll_to_me();
    h.step();
    h.query_all_by_role_and_label(Role::Button, labels::OPEN)
        .next()
        .expect("an Open button")
        .click();
    step_until(h, "the result", |h| {
        h.state().state.screen == Screen::Result
    });
    step_until(h, "its scores", |h| shows(h, "Overall"));
}

#[test]
fn a_cancelled_batch_is_continued_by_starting_it_again() {
    let input = tempfile::tempdir().expect("tempdir");
    folder(input.path(), 10);
    let mut gui = start(SimConfig::fast());
    let h = &mut gui.harness;
    step_until(h, "the built-in simulator", |h| {
        h.state().demo_simulator().is_some()
    });
    click(h, "Batch");
    h.step();
    type_into(h, labels::PATH, input.path().to_str().expect("utf-8"));
    click(h, labels::CHECK);
    step_until(h, "the estimate", |h| shows(h, "Estimated cost"));
    click(h, labels::START);
    step_until(h, "the first runs", |h| {
        h.state()
            .demo_simulator()
            .is_some_and(|s| s.stats().runs_created >= 1)
    });
    click(h, labels::CANCEL);
    step_until(h, "the batch to stop", |h| {
        h.state().batch.running.is_none()
    });
    assert!(shows(h, "Not finished: Start again to continue"));
    // Starting it again continues: the runs already made are polled, the rest submitted.
    let again = h
        .query_all_by_role(Role::Button)
        .find(|b| {
            b.accesskit_node()
                .label()
                .is_some_and(|l| l.starts_with(labels::START))
        })
        .expect("Start again");
    again.click();
    step_until(h, "every row to end", |h| {
        h.state().batch.running.is_none() && rows_showing(h, "success") == 10
    });
    let stats = h.state().demo_simulator().expect("sim").stats();
    assert_eq!(stats.runs_created, 10, "{:?}", stats.runs_per_external_id);
    assert!(stats.duplicate_external_ids.is_empty());
    assert_eq!(stats.credits.held, 0);
}
