//! The shape of the code: a network is one crate under `connectors/` plus one line in the
//! registry (`src/connectors.rs`), so no other file under `src/` names a connector crate.
//!
//! Issue 7 moves the files that still do behind the connectors' factories. Until then they are
//! listed in [`NOT_YET_MOVED`]: a file outside the lists that names a connector crate fails
//! this test, and so does a listed file that no longer does (take it off the list), so the list
//! only shrinks.

use std::path::{Path, PathBuf};

/// The registry: the one file under `src/` that names every connector crate.
const REGISTRY: &str = "src/connectors.rs";

/// Files that still name a connector crate outside the registry (issue 7 moves them).
const NOT_YET_MOVED: &[&str] = &[
    "src/accounts/mod.rs",
    "src/cli/account.rs",
    "src/cli/source.rs",
    "src/publish.rs",
];

/// Connector crates, from `connectors/*/Cargo.toml`, in both spellings (`braid-x`, `braid_x`);
/// `braid-core` is the shared contract, not a network.
fn connector_crates(root: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(root.join("connectors")).unwrap() {
        let manifest = entry.unwrap().path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let name = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("name = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .unwrap_or_else(|| panic!("{} has no package name", manifest.display()))
            .to_owned();
        if name != "braid-core" {
            names.push(name.replace('-', "_"));
            names.push(name);
        }
    }
    names
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn only_the_registry_names_connector_crates() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let crates = connector_crates(root);
    assert!(
        crates.iter().any(|c| c == "braid_feed") && crates.iter().any(|c| c == "braid_mastodon"),
        "connector crates not found: {crates:?}"
    );
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut naming: Vec<String> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            crates.iter().any(|c| text.contains(c.as_str()))
        })
        .map(|f| {
            f.strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    naming.sort();

    assert!(
        naming.iter().any(|f| f == REGISTRY),
        "the registry {REGISTRY} names no connector crate: {naming:?}"
    );
    let outside: Vec<&String> = naming
        .iter()
        .filter(|f| *f != REGISTRY && !NOT_YET_MOVED.contains(&f.as_str()))
        .collect();
    assert!(
        outside.is_empty(),
        "these files name a connector crate; a network's code belongs in its crate under \
         connectors/, reached through the registry ({REGISTRY}): {outside:?}"
    );
    let moved: Vec<&&str> = NOT_YET_MOVED
        .iter()
        .filter(|f| !naming.iter().any(|n| n == *f))
        .collect();
    assert!(
        moved.is_empty(),
        "these files no longer name a connector crate: take them off NOT_YET_MOVED: {moved:?}"
    );
}
