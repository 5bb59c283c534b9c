//! The headless front end: argument parsing and the subcommands. `main.rs` opens the desktop
//! app when there is no subcommand and calls [`run`] otherwise. Each group of subcommands
//! lives in its own file with its own `Args` types.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod audio_cmds;
pub mod batch;
mod batch_progress;
pub mod config;
pub mod exit;
pub mod export;
pub mod log_all;
pub mod profile_cmds;
pub mod progress;
pub mod report;
pub mod scoring;
pub mod service;
pub mod shell;
pub mod simulate;
pub mod support_cmds;

pub use exit::Exit;

/// Record speech, score it with the ZenHire Speech Analysis API, and explain every error.
///
/// Run with no subcommand to open the desktop app.
#[derive(Debug, Parser)]
#[command(name = "speech-scorer", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate, submit and poll an audio file to a final result.
    Score(scoring::ScoreArgs),
    /// Poll an existing run to a final result; never submits.
    Resume(scoring::ResumeArgs),
    /// Score a folder or a CSV manifest of recordings within the account's limits; resumable.
    Batch(batch::BatchArgs),
    /// Explain an error code, an error envelope or a poll body (CODE, FILE or - for stdin).
    Explain(service::ExplainArgs),
    /// Show the credit balance (GET /api/v1/credits).
    Credits(service::CreditsArgs),
    /// Check the service health (GET /api/v1/health, no key needed).
    Health(service::HealthArgs),
    /// List runs, optionally filtered (GET /api/v1/speech/runs).
    Runs(service::RunsArgs),
    /// Run the local ZenHire simulator.
    Simulate(simulate::SimulateArgs),
    /// List audio input devices.
    Devices(audio_cmds::DevicesArgs),
    /// Record from a microphone to a WAV file, with a live meter on stderr.
    Record(audio_cmds::RecordArgs),
    /// Convert an audio file to 16 kHz mono 16-bit WAV.
    Convert(audio_cmds::ConvertArgs),
    /// Print the request log of a run.
    Log(support_cmds::LogArgs),
    /// Write a support bundle (zip) for a run.
    Bundle(support_cmds::BundleArgs),
    /// Replay a support bundle through the local simulator.
    Replay(support_cmds::ReplayArgs),
    /// Print shell completions (bash, zsh, fish, …) for speech-scorer.
    Completions(shell::CompletionsArgs),
    /// Print the manual page (roff), or write every page into a directory with --dir.
    Man(shell::ManArgs),
    /// Service profiles: production, staging, a local simulator, the built-in simulator.
    Profile(profile_cmds::ProfileArgs),
    /// Export the history (CSV, JSON Lines) or a result as a one-page report.
    Export(export::ExportArgs),
}

/// Runs one subcommand; the process exit code follows DESIGN's contract.
pub fn run(command: Command) -> ExitCode {
    match command {
        Command::Score(a) => scoring::score(a),
        Command::Resume(a) => scoring::resume(a),
        Command::Batch(a) => batch::batch(a),
        Command::Explain(a) => service::explain(a),
        Command::Credits(a) => service::credits(a),
        Command::Health(a) => service::health(a),
        Command::Runs(a) => service::runs(a),
        Command::Simulate(a) => simulate::simulate(a),
        Command::Devices(a) => audio_cmds::devices(a),
        Command::Record(a) => audio_cmds::record(a),
        Command::Convert(a) => audio_cmds::convert(a),
        Command::Log(a) => support_cmds::log(a),
        Command::Bundle(a) => support_cmds::bundle(a),
        Command::Replay(a) => support_cmds::replay(a),
        Command::Completions(a) => shell::completions(a),
        Command::Man(a) => shell::man(a),
        Command::Profile(a) => profile_cmds::profile(a),
        Command::Export(a) => export::export(a),
    }
}
