//! The simulator's copy of the contract and the client's table must agree: each is written
//! from the docs separately, so a slip in either shows up here instead of hiding in tests
//! that use one table to check the other.

use speech_scorer::api::codes::ErrorCode;
use speech_scorer::simulator::contract::{CODES, Delivery};

#[test]
fn the_client_gives_every_code_the_status_the_simulator_sends() {
    for entry in &CODES {
        let client = ErrorCode::parse(entry.code);
        assert!(
            !matches!(client, ErrorCode::Unknown(_)),
            "the client does not know {}",
            entry.code
        );
        let want = match entry.delivery {
            Delivery::Http(status) => Some(status),
            Delivery::FailedRun => None,
        };
        assert_eq!(client.http_status(), want, "{}", entry.code);
        assert_eq!(
            client.is_retryable(),
            entry.carries_retry_after(),
            "{}: retryable",
            entry.code
        );
    }
}

#[test]
fn the_client_knows_no_code_the_contract_does_not_name() {
    for code in ErrorCode::DOCUMENTED {
        assert!(
            CODES.iter().any(|e| e.code == code.as_str()),
            "{code} is not in the simulator's contract table"
        );
    }
    assert_eq!(ErrorCode::DOCUMENTED.len(), CODES.len());
}

/// The module rule for the simulator: it keeps its own contract, so nothing under
/// `src/simulator` may use the client, its codes and model, or the engine.
#[test]
fn the_simulator_imports_neither_the_client_nor_the_engine() {
    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/simulator");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 10, "{files:?}");
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read source");
        let code = text.lines().filter(|l| !l.trim_start().starts_with("//"));
        for (n, line) in code.enumerate() {
            for forbidden in ["crate::api", "crate::engine", "speech_scorer::api"] {
                assert!(
                    !line.contains(forbidden),
                    "{} uses {forbidden}: {line} (code line {n})",
                    path.display()
                );
            }
        }
    }
}
