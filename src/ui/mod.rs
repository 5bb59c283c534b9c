//! The desktop app (eframe 0.37, glow renderer so it runs on software OpenGL). A view over
//! `engine`, `guidance`, `audio` and `store`: no retry rule, error text or audio logic lives
//! here.
//!
//! - `app/`: the shell and what it does (commands, events, connection, jobs, takes, history,
//!   the Support screen's work), split by concern;
//! - `frame`: one frame (navigation, banner, the screen, modals, toasts); one file per
//!   screen (`record`, `progress`, `result`, `history`, `batch`, `settings`), `support/` one file
//!   per panel; `profiles` for the header's profile switch and the Settings list; `dialogs` for
//!   modals; `widgets` for the custom-painted meter, time bar and score bars; `waveform` for
//!   the take's waveform; `trend` for the chart across attempts; `export` for the export form;
//!   `ports` for the desktop doors tests replace.

pub mod app;
pub mod batch;
pub mod dialogs;
pub mod export;
pub mod frame;
pub mod history;
pub mod ports;
pub mod profiles;
pub mod progress;
pub mod record;
pub mod result;
pub mod settings;
pub mod support;
pub mod trend;
pub mod waveform;
pub mod widgets;

use std::process::ExitCode;

pub use app::{App, AppConfig, Command, Screen, State};

/// Opens the desktop app and blocks until its window closes.
pub fn run_desktop_app() -> ExitCode {
    run_app(AppConfig::default(), |_, _| {})
}

/// The window's size at start-up.
pub const DEFAULT_WINDOW: egui::Vec2 = egui::vec2(880.0, 640.0);

/// Opens the app built from `config`; `pilot` runs after every frame with the app (the
/// screenshot tool uses it to press buttons). Blocks until the window closes.
pub fn run_app(
    config: AppConfig,
    pilot: impl FnMut(&mut App, &egui::Context) + 'static,
) -> ExitCode {
    run_app_sized(config, DEFAULT_WINDOW, pilot)
}

/// [`run_app`] with a window of `size` (the screenshot tool takes each screen at several).
pub fn run_app_sized(
    config: AppConfig,
    size: egui::Vec2,
    pilot: impl FnMut(&mut App, &egui::Context) + 'static,
) -> ExitCode {
    let launched_at = std::time::Instant::now();
    let options = eframe::NativeOptions {
        renderer: eframe::Renderer::Glow,
        viewport: egui::ViewportBuilder::default()
            .with_title("speech-scorer")
            // The same id as the desktop entry and the AppStream metainfo (packaging/).
            .with_app_id("ai.zenhire.SpeechScorer")
            .with_inner_size(size)
            .with_min_inner_size([560.0, 400.0])
            .with_drag_and_drop(true),
        // Dithering hides banding in gradients; this UI has none, and on a software
        // renderer it costs a hash per pixel of every frame.
        dithering: false,
        ..Default::default()
    };
    let result = eframe::run_native(
        "speech-scorer",
        options,
        Box::new(move |cc| {
            let mut app = App::new(&cc.egui_ctx, config)?;
            app.launched_at = Some(launched_at);
            Ok(Box::new(Piloted { app, pilot }))
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

/// The app with a hook after each frame.
struct Piloted<F> {
    app: App,
    pilot: F,
}

impl<F: FnMut(&mut App, &egui::Context)> eframe::App for Piloted<F> {
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        self.app.clear_color(visuals)
    }

    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.app.logic(ctx, frame);
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.app.ui(ui, frame);
        let ctx = ui.ctx().clone();
        (self.pilot)(&mut self.app, &ctx);
    }

    fn on_exit(&mut self, gl: Option<&eframe::glow::Context>) {
        self.app.on_exit(gl);
    }
}
