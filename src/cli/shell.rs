//! `completions` and `man`: shell completions (clap_complete) and manual pages (clap_mangen),
//! generated from the same argument definitions the CLI parses with, so they never drift.
//! The package build ships both (scripts/package.sh).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::CommandFactory as _;

use super::{Cli, Exit};

/// The name every page and completion is generated for.
const BIN_NAME: &str = "speech-scorer";

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write speech-scorer.1 and one page per subcommand (speech-scorer-score.1, …) into
    /// this directory instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The completion script for `shell`.
pub fn completion_script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN_NAME, &mut out);
    if shell == clap_complete::Shell::Bash {
        out = fix_bash_state_names(&out);
    }
    out
}

/// clap_complete 4.6.12 spells the bash state of a subcommand of a hyphenated binary two ways
/// (`speech__scorer__subcmd__score` where it walks the words, `speech__subcmd__scorer__subcmd__score`
/// in the `case` arms), so no subcommand's options ever complete
/// (clap-rs/clap#6421). Spell the arms the way the walk does; once clap is fixed there is
/// nothing left to replace.
fn fix_bash_state_names(script: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(script);
    text.replace("speech__subcmd__scorer", "speech__scorer")
        .into_bytes()
}

/// The main manual page (roff), which lists every subcommand.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command().name(BIN_NAME)).render(&mut out)?;
    Ok(out)
}

/// Writes the main page and one page per subcommand into `dir`; returns the files written.
pub fn write_man_pages(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let command = Cli::command().name(BIN_NAME);
    clap_mangen::generate_to(command.clone(), dir)?;
    let mut files = vec![dir.join(format!("{BIN_NAME}.1"))];
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        files.push(dir.join(format!("{BIN_NAME}-{}.1", sub.get_name())));
    }
    Ok(files)
}

/// `speech-scorer completions SHELL`.
pub fn completions(args: CompletionsArgs) -> ExitCode {
    print(&completion_script(args.shell))
}

/// `speech-scorer man [--dir DIR]`.
pub fn man(args: ManArgs) -> ExitCode {
    if let Some(dir) = args.dir {
        return match write_man_pages(&dir) {
            Ok(files) => {
                for f in files {
                    eprintln!("wrote {}", f.display());
                }
                Exit::Success.into()
            }
            Err(e) => {
                eprintln!(
                    "speech-scorer: could not write the manual pages to {}: {e}",
                    dir.display()
                );
                Exit::Other.into()
            }
        };
    }
    match man_page() {
        Ok(page) => print(&page),
        Err(e) => {
            eprintln!("speech-scorer: could not render the manual page: {e}");
            Exit::Other.into()
        }
    }
}

/// Writes `bytes` to stdout; a closed pipe (`| head`) is reported, not a panic.
fn print(bytes: &[u8]) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Exit::Success.into(),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Other.into(),
        Err(e) => {
            eprintln!("speech-scorer: could not write to stdout: {e}");
            Exit::Other.into()
        }
    }
}
