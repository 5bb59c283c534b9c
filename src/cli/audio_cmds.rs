//! TODO(skeleton): `devices`, `record`, `convert` — owned by the audio work.

use std::process::ExitCode;

use super::Exit;

#[derive(Debug, clap::Args)]
pub struct DevicesArgs {}
#[derive(Debug, clap::Args)]
pub struct RecordArgs {}
#[derive(Debug, clap::Args)]
pub struct ConvertArgs {}

fn todo(what: &str) -> ExitCode {
    eprintln!("speech-scorer {what}: not built yet");
    Exit::Other.into()
}

pub fn devices(_: DevicesArgs) -> ExitCode {
    todo("devices")
}
pub fn record(_: RecordArgs) -> ExitCode {
    todo("record")
}
pub fn convert(_: ConvertArgs) -> ExitCode {
    todo("convert")
}
