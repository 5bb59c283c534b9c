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

/// The command as the manual describes it: the long description says what no subcommand does.
fn documented_command() -> clap::Command {
    Cli::command().name(BIN_NAME).long_about(
        "Record speech, score it with the ZenHire Speech Analysis API, and explain every error. \
         With no subcommand, speech-scorer opens the desktop app; with one, it works headless \
         over the same engine: the same retry rules, the same error texts, the same run history.",
    )
}

/// The main manual page (roff): every subcommand, then the environment, files and exit
/// status, which clap does not know about.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(documented_command());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    man.render_subcommands_section(&mut out)?;
    out.extend_from_slice(extra_sections().as_bytes());
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// ENVIRONMENT, FILES and EXIT STATUS in roff.
fn extra_sections() -> String {
    use crate::store::{KEY_ENV, KEYCHAIN_ENV, paths::HOME_ENV};
    let env = [
        (
            KEY_ENV,
            "The API key. When set, it is used instead of the saved key, which stays where it is.",
        ),
        (
            "ZENHIRE_BASE_URL",
            "The service address, unless \\fB\\-\\-base\\-url\\fR is given.",
        ),
        (
            HOME_ENV,
            "Keep the settings, the key file and the history under this directory instead of \
             the platform directories.",
        ),
        (
            KEYCHAIN_ENV,
            "Set to \\fBoff\\fR to keep the API key in the owner\\-only file even where a system \
             keychain is reachable.",
        ),
    ];
    let files = [
        ("~/.config/speech\\-scorer/settings.toml", "The settings."),
        (
            "~/.config/speech\\-scorer/api\\-key",
            "The API key, readable only by its owner, when it is not in the system keychain \
             (the Secret Service).",
        ),
        (
            "~/.local/share/speech\\-scorer/history/",
            "One file per run: what was sent, every response, the outcome.",
        ),
    ];
    let exits = [
        (Exit::Success, "Success, or a partial result."),
        (
            Exit::Other,
            "Anything else, for example interrupted with Ctrl\\-C: the run stays resumable.",
        ),
        (
            Exit::InvalidInput,
            "Invalid input found locally; nothing was sent.",
        ),
        (Exit::Refused, "The API refused the request (4xx)."),
        (Exit::RunFailed, "The run failed."),
        (
            Exit::GaveUp,
            "Gave up: the time budget or the retries ran out, or the service was unreachable.",
        ),
    ];
    let mut roff = String::from(".SH ENVIRONMENT\n");
    for (name, text) in env {
        roff.push_str(&format!(".TP\n\\fB{name}\\fR\n{text}\n"));
    }
    roff.push_str(".SH FILES\n");
    for (path, text) in files {
        roff.push_str(&format!(".TP\n\\fI{path}\\fR\n{text}\n"));
    }
    roff.push_str(".SH \"EXIT STATUS\"\n");
    for (code, text) in exits {
        roff.push_str(&format!(".TP\n{}\n{text}\n", code as u8));
    }
    roff
}

/// Writes the main page and one page per subcommand into `dir`; returns the files written.
pub fn write_man_pages(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let command = documented_command();
    clap_mangen::generate_to(command.clone(), dir)?;
    // The main page again, with the sections clap does not know about.
    let main = dir.join(format!("{BIN_NAME}.1"));
    std::fs::write(&main, man_page()?)?;
    let mut files = vec![main];
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
