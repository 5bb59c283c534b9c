//! Entry point: no subcommand opens the desktop app, anything else is the headless CLI.

fn main() -> std::process::ExitCode {
    speech_scorer::cli::main()
}
