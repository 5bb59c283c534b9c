//! The desktop app (eframe 0.37, glow renderer so it runs on software OpenGL). A view over
//! `engine`, `guidance`, `audio` and `store`: no retry rule, error text or audio logic lives
//! here. `app` is the shell; one file per screen; `dialogs` for modals; `widgets` for the
//! custom-painted meter, time bar and score bars; `ports` for the desktop doors tests replace.

pub mod app;
pub mod commands;
pub mod dialogs;
pub mod frame;
pub mod history;
pub mod ports;
pub mod progress;
pub mod record;
pub mod recording;
pub mod result;
pub mod settings;
pub mod support;
pub mod widgets;

use std::process::ExitCode;

pub use app::{App, AppConfig, Command, Screen, State};

/// Opens the desktop app and blocks until its window closes.
pub fn run_desktop_app() -> ExitCode {
    let options = eframe::NativeOptions {
        renderer: eframe::Renderer::Glow,
        viewport: egui::ViewportBuilder::default()
            .with_title("speech-scorer")
            .with_inner_size([880.0, 640.0])
            .with_min_inner_size([560.0, 420.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    let result = eframe::run_native(
        "speech-scorer",
        options,
        Box::new(|cc| {
            let app = App::new(&cc.egui_ctx, AppConfig::default())?;
            Ok(Box::new(app))
        }),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("speech-scorer: could not open the window: {e}");
            ExitCode::from(1)
        }
    }
}
