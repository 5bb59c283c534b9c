//! TODO(skeleton): `score`, `resume`, `explain`, `credits`, `health`, `runs` — owned by the
//! foundation work.

use std::process::ExitCode;

use super::Exit;

#[derive(Debug, clap::Args)]
pub struct ScoreArgs {
    pub file: std::path::PathBuf,
}
#[derive(Debug, clap::Args)]
pub struct ResumeArgs {
    pub run_id: String,
}
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    pub input: String,
}
#[derive(Debug, clap::Args)]
pub struct CreditsArgs {}
#[derive(Debug, clap::Args)]
pub struct HealthArgs {}
#[derive(Debug, clap::Args)]
pub struct RunsArgs {}

fn todo(what: &str) -> ExitCode {
    eprintln!("speech-scorer {what}: not built yet");
    Exit::Other.into()
}

pub fn score(_: ScoreArgs) -> ExitCode {
    todo("score")
}
pub fn resume(_: ResumeArgs) -> ExitCode {
    todo("resume")
}
pub fn explain(_: ExplainArgs) -> ExitCode {
    todo("explain")
}
pub fn credits(_: CreditsArgs) -> ExitCode {
    todo("credits")
}
pub fn health(_: HealthArgs) -> ExitCode {
    todo("health")
}
pub fn runs(_: RunsArgs) -> ExitCode {
    todo("runs")
}
