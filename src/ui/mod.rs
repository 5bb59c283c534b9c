//! TODO(skeleton): owned by the ui work; replaced when it lands.

/// Opens the desktop app.
pub fn run_desktop_app() -> std::process::ExitCode {
    eprintln!("the desktop app is not built yet");
    std::process::ExitCode::from(1)
}
