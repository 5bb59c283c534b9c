//! Entry point, dispatch only: no subcommand opens the desktop app, anything else is the
//! headless CLI.

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    let cli = speech_scorer::cli::Cli::parse();
    match cli.command {
        None => speech_scorer::ui::run_desktop_app(),
        Some(command) => speech_scorer::cli::run(command),
    }
}
