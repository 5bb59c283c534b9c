//! The module rule (docs/architecture.md), checked on the sources: every top-level module of
//! the crate imports only from the layers below it, so data flows one way and there is no
//! import cycle between top-level modules. Test code (`#[cfg(test)]` modules) is exempt.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first. A module may use modules of a lower layer only.
const LAYERS: &[&[&str]] = &[
    &["languages", "capped"],
    &["api"],
    &["audio"],
    &["validate"],
    &["engine"],
    &["guidance"],
    &["store", "simulator"],
    &["support"],
    &["ui", "cli"],
];

/// Paths a module must never use although its layer would allow them.
const BANNED: &[(&str, &str)] = &[
    // The simulator keeps its own copy of the contract so a mistake in the client's table
    // shows up in tests; it never drives the engine.
    ("simulator", "engine"),
    ("simulator", "api::client"),
    ("simulator", "api::ApiClient"),
];

/// Known breaks being removed right now (file, module it uses). Empty once done.
const PENDING: &[(&str, &str)] = &[];

fn layer_of(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| l.contains(&module))
        .unwrap_or_else(|| panic!("module {module} is not in the layer table; add it"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without comments and without `#[cfg(test)]` items (from the attribute on).
fn code_of(text: &str) -> String {
    let body = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    body.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::a::b` path in `code`, as "a::b" (and "a").
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        let path: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let mut parts = path.split("::").filter(|p| !p.is_empty());
        if let Some(first) = parts.next() {
            found.insert(first.to_string());
            if let Some(second) = parts.next() {
                found.insert(format!("{first}::{second}"));
            }
        }
        rest = after;
    }
    found
}

fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.trim_end_matches(".rs");
    (name != "lib" && name != "main").then(|| name.to_string())
}

#[test]
fn modules_import_only_from_the_layers_below() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 20, "found only {} source files", files.len());
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut violations = Vec::new();
    for file in &files {
        let Some(module) = top_module(&src, file) else {
            continue;
        };
        let text = std::fs::read_to_string(file).expect("read source");
        let own = layer_of(&module);
        for path in crate_paths(&code_of(&text)) {
            let target = path.split("::").next().unwrap_or_default().to_string();
            if target == module {
                continue;
            }
            if !path.contains("::") {
                graph
                    .entry(module.clone())
                    .or_default()
                    .insert(target.clone());
                let rel = file.strip_prefix(&src).unwrap_or(file);
                let pending = PENDING
                    .iter()
                    .any(|(f, m)| rel == Path::new(f) && target == *m);
                if layer_of(&target) >= own && !pending {
                    violations.push(format!(
                        "{}: `{module}` uses `crate::{target}` (same or higher layer)",
                        file.display()
                    ));
                }
            }
            for (from, banned) in BANNED {
                if module == *from && (path == *banned || path.starts_with(&format!("{banned}::")))
                {
                    violations.push(format!(
                        "{}: `{module}` must never use `crate::{banned}`",
                        file.display()
                    ));
                }
            }
        }
    }
    let graph_text: Vec<String> = graph
        .iter()
        .map(|(m, deps)| {
            format!(
                "{m} -> {}",
                deps.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    assert!(
        violations.is_empty(),
        "module rule broken:\n{}\n\nthe graph:\n{}",
        violations.join("\n"),
        graph_text.join("\n")
    );
    // The graph is what docs/architecture.md draws; print it for `--nocapture`.
    println!("{}", graph_text.join("\n"));
}

#[test]
fn the_checker_catches_a_violation() {
    // The scanner itself must see a crate path in real code and ignore comments and tests.
    let code = code_of(
        "use crate::ui::App; // crate::cli::x\n/// crate::store::y\nfn f() {}\n#[cfg(test)]\nmod tests { use crate::cli::z; }",
    );
    let paths = crate_paths(&code);
    assert!(paths.contains("ui"), "{paths:?}");
    assert!(paths.contains("ui::App"), "{paths:?}");
    assert!(
        !paths.contains("cli"),
        "comments and tests are exempt: {paths:?}"
    );
    assert!(
        !paths.contains("store"),
        "doc comments are exempt: {paths:?}"
    );
    assert!(layer_of("ui") > layer_of("engine"));
    assert_eq!(
        layer_of("ui"),
        layer_of("cli"),
        "ui and cli may not use each other"
    );
}
