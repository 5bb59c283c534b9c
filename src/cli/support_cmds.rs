//! TODO(skeleton): `log`, `bundle`, `replay` — owned by the support-desk work.

use std::process::ExitCode;

use super::Exit;

#[derive(Debug, clap::Args)]
pub struct LogArgs {}
#[derive(Debug, clap::Args)]
pub struct BundleArgs {}
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {}

fn todo(what: &str) -> ExitCode {
    eprintln!("speech-scorer {what}: not built yet");
    Exit::Other.into()
}

pub fn log(_: LogArgs) -> ExitCode {
    todo("log")
}
pub fn bundle(_: BundleArgs) -> ExitCode {
    todo("bundle")
}
pub fn replay(_: ReplayArgs) -> ExitCode {
    todo("replay")
}
