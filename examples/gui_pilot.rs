//! Opens the desktop app on the built-in simulator and walks it to a state worth a
//! screenshot (scripts/gui-screenshots.sh runs it under Xvfb). Not a test: it only clicks.
//!
//! Usage: gui_pilot [--fixture WAV] [--scenario TOML] [--credits N] [--fast] [--record]
//!        [--submit] [--settings]

use std::path::PathBuf;
use std::process::ExitCode;

use speech_scorer::simulator::{Scenario, SimConfig};
use speech_scorer::ui::app::AppConfig;
use speech_scorer::ui::{App, Command, Screen};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let flag = |name: &str| args.iter().any(|a| a == name);
    let mut sim = if flag("--fast") {
        SimConfig::fast()
    } else {
        SimConfig::default()
    };
    if let Some(path) = value("--scenario") {
        match Scenario::load(std::path::Path::new(&path)) {
            Ok(s) => sim = sim.with_scenario(s),
            Err(e) => {
                eprintln!("gui_pilot: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(c) = value("--credits").and_then(|c| c.parse().ok()) {
        sim.credits = c;
    }
    let fixture = value("--fixture").map(PathBuf::from);
    let record = flag("--record");
    let submit = flag("--submit");
    let settings = flag("--settings");
    let history = flag("--history");
    let config = AppConfig {
        demo_config: sim,
        ..AppConfig::default()
    };
    let mut step = 0;
    speech_scorer::ui::run_app(
        config,
        move |app: &mut App, ctx: &egui::Context| match step {
            0 => {
                if settings {
                    app.run_command(ctx, Command::Navigate(Screen::Settings));
                    step = 99;
                    return;
                }
                if let Some(f) = &fixture {
                    app.run_command(ctx, Command::ImportPath(f.clone()));
                }
                if record {
                    app.run_command(ctx, Command::StartRecording);
                }
                step = 1;
            }
            1 if submit && app.take.is_some() => {
                app.run_command(ctx, Command::Submit);
                step = 2;
            }
            2 if history && app.result.is_some() => {
                app.run_command(ctx, Command::Navigate(Screen::History));
                step = 3;
            }
            _ => {}
        },
    )
}
