//! TODO(skeleton): `simulate` — owned by the simulator work.

use std::process::ExitCode;

use super::Exit;

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {}

pub fn simulate(_: SimulateArgs) -> ExitCode {
    eprintln!("speech-scorer simulate: not built yet");
    Exit::Other.into()
}
