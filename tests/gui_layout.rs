//! Every screen is usable from 640×480 to full screen (issue 11, "Layout"): at each size, each
//! screen's controls can be brought into the window (they wrap, stack or scroll; none is cut
//! off out of reach). A control counts as reachable when, after "scroll into view", its whole
//! rectangle is inside the window.

mod gui_support;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use gui_support::{Setup, click, import_fixture, reachable, shows, start_with, step_until};
use speech_scorer::simulator::SimConfig;
use speech_scorer::ui::support::labels;
use speech_scorer::ui::{App, Screen};

fn go(h: &mut Harness<'static, App>, screen: Screen) {
    click(h, screen.label());
    h.step();
    h.step();
    assert_eq!(h.state().state.screen, screen);
}

fn every_screen_is_usable_at(size: egui::Vec2) {
    let mut gui = start_with(Setup {
        size,
        sim: SimConfig::fast(),
        ..Setup::default()
    });
    import_fixture(&mut gui);
    let h = &mut gui.harness;
    for (label, button) in [
        ("Start recording", true),
        ("Import a file…", true),
        (speech_scorer::ui::record::IMPORT_PATH_LABEL, false),
        ("Change language", true),
        ("Refresh balance", true),
        ("Discard", true),
        ("Submit for scoring", true),
    ] {
        reachable(h, size, label, button);
    }
    click(h, "Submit for scoring");
    step_until(h, "the result", |h| shows(h, "Overall level "));
    for (label, button) in [
        ("Copy run id", true),
        ("Open request log", true),
        ("New recording", true),
        ("Accent: ", false),
    ] {
        if button {
            reachable(h, size, label, true);
        } else {
            let full = h
                .query_all_by_label_contains(label)
                .next()
                .and_then(|n| n.accesskit_node().label())
                .expect("the accent bar");
            reachable(h, size, &full, false);
        }
    }
    go(h, Screen::History);
    step_until(h, "the history row", |h| shows(h, "success"));
    for label in ["Open", "Remove"] {
        reachable(h, size, label, true);
    }
    go(h, Screen::Batch);
    use speech_scorer::ui::batch::labels as batch;
    for (label, button) in [
        (batch::PATH, false),
        (batch::CHECK, true),
        (batch::CHOOSE_FOLDER, true),
        (batch::CHOOSE_MANIFEST, true),
    ] {
        reachable(h, size, label, button);
    }
    go(h, Screen::Settings);
    for label in ["Save key", "Test key", "Save settings"] {
        reachable(h, size, label, true);
    }
    go(h, Screen::Support);
    step_until(h, "the status bar", |h| shows(h, "Service: healthy"));
    for (label, button) in [
        (labels::REFRESH, true),
        ("Bytes in", false),
        (labels::EXPLAIN, true),
        (labels::OPEN_BUNDLE, true),
        (labels::EXPORT, true),
        (labels::LOOK_UP, true),
        (labels::FIND_RUNS, true),
    ] {
        reachable(h, size, label, button);
    }
}

#[test]
fn every_screen_is_usable_at_640_by_480() {
    every_screen_is_usable_at(egui::vec2(640.0, 480.0));
}

#[test]
fn every_screen_is_usable_at_the_default_880_by_640() {
    every_screen_is_usable_at(egui::vec2(880.0, 640.0));
}

#[test]
fn every_screen_is_usable_full_screen() {
    every_screen_is_usable_at(egui::vec2(1920.0, 1080.0));
}
