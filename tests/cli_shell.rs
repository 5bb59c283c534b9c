//! `speech-scorer completions` and `speech-scorer man`, run as a person (or the package
//! build) runs them: every subcommand the CLI parses appears in every completion script and
//! in the manual page.

use std::process::Command;

use clap::CommandFactory as _;

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
        .args(args)
        .env(
            "SPEECH_SCORER_HOME",
            std::env::temp_dir().join("speech-scorer-shell-test"),
        )
        .output()
        .expect("run speech-scorer");
    assert!(
        out.status.success(),
        "speech-scorer {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The subcommands, from the parser itself (so a new one is checked without editing this).
fn subcommands() -> Vec<String> {
    let names: Vec<String> = speech_scorer::cli::Cli::command()
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for expected in [
        "score",
        "resume",
        "credits",
        "record",
        "bundle",
        "completions",
        "man",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    names
}

#[test]
fn completions_cover_every_subcommand_in_each_shell() {
    let subs = subcommands();
    for (shell, marker) in [
        ("bash", "complete -F _speech__scorer"),
        ("zsh", "#compdef speech-scorer"),
        ("fish", "complete -c speech-scorer"),
    ] {
        let script = run(&["completions", shell]);
        assert!(script.contains(marker), "{shell}: no `{marker}`");
        for sub in &subs {
            assert!(
                script.contains(sub.as_str()),
                "{shell} completion lacks {sub}"
            );
        }
        // Options of a subcommand too, not only the names.
        assert!(
            script.contains("external-id"),
            "{shell} completion lacks score's options"
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
        .args(["completions", "tcsh"])
        .output()
        .expect("run");
    assert!(!out.status.success(), "an unknown shell is refused");
}

/// Bash itself completes `speech-scorer sc` and `speech-scorer score --ext` with the script,
/// called as bash calls it (command, current word, previous word).
#[test]
fn bash_completes_with_the_script() {
    let script = run(&["completions", "bash"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("speech-scorer.bash");
    std::fs::write(&path, script).expect("write");
    let complete = |words: &str| {
        let out = Command::new("bash")
            .arg("--norc")
            .arg("-c")
            .arg(format!(
                "source '{}'; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
                 _speech__scorer speech-scorer \"${{COMP_WORDS[COMP_CWORD]}}\" \
                 \"${{COMP_WORDS[COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                path.display()
            ))
            .output()
            .expect("bash");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && stderr.is_empty(), "{stderr}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let subs = complete("speech-scorer sc");
    assert!(subs.lines().any(|l| l == "score"), "{subs}");
    // A subcommand's own options (clap-rs/clap#6421 broke these for hyphenated names).
    let opts = complete("speech-scorer score --ext");
    assert!(opts.lines().any(|l| l == "--external-id"), "{opts}");
    let shells = complete("speech-scorer completions f");
    assert!(shells.lines().any(|l| l == "fish"), "{shells}");
}

#[test]
fn the_man_page_names_every_subcommand() {
    let page = run(&["man"]);
    assert!(page.contains(".TH speech-scorer 1"), "a section 1 page");
    assert!(page.contains(".SH NAME") && page.contains(".SH SUBCOMMANDS"));
    assert!(
        page.contains(env!("CARGO_PKG_VERSION")),
        "the version is on the page"
    );
    for sub in subcommands() {
        assert!(
            page.contains(&format!("speech\\-scorer\\-{sub}(1)")),
            "man page lacks {sub}"
        );
    }
}

#[test]
fn man_dir_writes_a_page_per_subcommand() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_speech-scorer"))
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let main = std::fs::read_to_string(dir.path().join("speech-scorer.1")).expect("main page");
    assert!(main.contains(".SH SUBCOMMANDS") && main.contains(".SH ENVIRONMENT"));
    for sub in subcommands() {
        let page = std::fs::read_to_string(dir.path().join(format!("speech-scorer-{sub}.1")))
            .unwrap_or_else(|e| panic!("page for {sub}: {e}"));
        assert!(
            page.contains(&format!(".TH speech-scorer-{sub} 1")),
            "{sub}: {page}"
        );
    }
    let score = std::fs::read_to_string(dir.path().join("speech-scorer-score.1")).expect("score");
    assert!(
        score.contains("external\\-id"),
        "the score page documents its options"
    );
}
