//! The shape of the code: a network is one crate under `connectors/` plus one line in the
//! registry (`src/connectors.rs`), so no other file under `src/` names a connector crate.
//!
//! The same holds for a network's kind (`"feed"`, `"mastodon"`): no file under `src/` but the
//! registry spells one as a string, so no code branches on a network's name.

use std::path::{Path, PathBuf};

/// The registry: the one file under `src/` that names every connector crate.
const REGISTRY: &str = "src/connectors.rs";

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
    let outside: Vec<&String> = naming.iter().filter(|f| *f != REGISTRY).collect();
    assert!(
        outside.is_empty(),
        "these files name a connector crate; a network's code belongs in its crate under \
         connectors/, reached through the registry ({REGISTRY}): {outside:?}"
    );
}

#[test]
fn only_the_registry_spells_a_networks_kind() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let kinds = braid::connectors::Registry::builtin().kinds();
    assert!(
        kinds.contains(&"feed") && kinds.contains(&"mastodon"),
        "{kinds:?}"
    );
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut naming: Vec<String> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            kinds.iter().any(|k| text.contains(&format!("\"{k}\"")))
        })
        .map(|f| {
            f.strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .filter(|f| f != REGISTRY)
        .collect();
    naming.sort();
    assert!(
        naming.is_empty(),
        "these files spell a network's kind; ask the registry ({REGISTRY}) instead: {naming:?}"
    );
}
