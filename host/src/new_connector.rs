//! `latchkey new connector <id>`: a connector crate that builds and passes `latchkey check`
//! as generated — a complete `Cargo.toml` (`cdylib`, the SDK, the `testkit` feature), a
//! connector with OAuth and an API key, a read and a write tool, and its auth-kit test. The
//! files are the SDK's template (`sdk/template/`), with the id filled in.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The template: (path in the new crate, text with `{{placeholders}}`).
const FILES: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        include_str!("../../sdk/template/Cargo.toml.tmpl"),
    ),
    (
        "src/lib.rs",
        include_str!("../../sdk/template/src/lib.rs.tmpl"),
    ),
    (
        "tests/auth_kit.rs",
        include_str!("../../sdk/template/tests/auth_kit.rs.tmpl"),
    ),
    (
        "README.md",
        include_str!("../../sdk/template/README.md.tmpl"),
    ),
];

/// Where the new crate gets the SDK from.
const SDK_GIT: &str = "https://github.com/latchkey-dev/latchkey";

/// The id's `-`-separated words, each capitalized.
fn words(id: &str) -> Vec<String> {
    id.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// `acme-notes` → `AcmeNotes`: the connector's type name.
fn type_name(id: &str) -> String {
    words(id).concat()
}

/// `acme-notes` → `Acme Notes`: the display name until the author picks one.
fn display_name(id: &str) -> String {
    words(id).join(" ")
}

/// The TOML dependency value for the SDK: a local checkout's `sdk/`, else the repository.
fn sdk_dependency(sdk_path: Option<&Path>) -> anyhow::Result<String> {
    match sdk_path {
        Some(path) => {
            let path = std::fs::canonicalize(path)
                .with_context(|| format!("the SDK folder {}", path.display()))?;
            if !path.join("Cargo.toml").is_file() {
                bail!(
                    "{} has no Cargo.toml: give the SDK's folder (sdk/ of a Latchkey checkout)",
                    path.display()
                );
            }
            let text = path.display().to_string();
            Ok(format!("{{ path = {} }}", toml_string(&text)))
        }
        None => Ok(format!("{{ git = {} }}", toml_string(SDK_GIT))),
    }
}

/// `s` as a TOML basic string.
fn toml_string(s: &str) -> String {
    let escaped: String = s
        .chars()
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}

/// The template's files for connector `id`.
fn render(id: &str, sdk: &str) -> Vec<(&'static str, String)> {
    FILES
        .iter()
        .map(|(path, text)| {
            let filled = text
                .replace("{{id}}", id)
                .replace("{{file}}", &id.replace('-', "_"))
                .replace("{{name}}", &display_name(id))
                .replace("{{struct}}", &type_name(id))
                .replace("{{sdk}}", sdk);
            (*path, filled)
        })
        .collect()
}

/// Write a new connector crate for `id` into `dir` (default `./<id>`), which must not exist
/// or be empty; returns the folder. Nothing is written when the id or the folder is refused.
pub fn create(id: &str, dir: Option<&Path>, sdk_path: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(problem) = latchkey_contract::connector_id_problem(id) {
        bail!("cannot create the connector: its {problem}");
    }
    let dir = dir.map_or_else(|| PathBuf::from(id), Path::to_path_buf);
    if dir.exists() {
        let empty = std::fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_none();
        if !empty {
            bail!(
                "{} exists and is not empty: nothing was written",
                dir.display()
            );
        }
    }
    let sdk = sdk_dependency(sdk_path)?;
    for (path, text) in render(id, &sdk) {
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&file, text).with_context(|| format!("writing {}", file.display()))?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_id() {
        assert_eq!(type_name("acme-notes"), "AcmeNotes");
        assert_eq!(display_name("acme-notes"), "Acme Notes");
        assert_eq!(toml_string(r#"C:\a"b"#), r#""C:\\a\"b""#);
    }

    #[test]
    fn every_placeholder_is_filled() {
        for (path, text) in render("acme-notes", "{ path = \"/sdk\" }") {
            assert!(!text.contains("{{"), "{path} keeps a placeholder:\n{text}");
        }
    }

    #[test]
    fn bad_ids_and_busy_folders_are_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("new");
        let e = create("Acme_Notes", Some(&target), None).expect_err("refused");
        assert!(e.to_string().contains("\"Acme_Notes\""), "{e}");
        assert!(!target.exists());
        std::fs::create_dir_all(&target).expect("mkdir");
        std::fs::write(target.join("keep.txt"), "mine").expect("write");
        let e = create("acme", Some(&target), None).expect_err("refused");
        assert!(e.to_string().contains("not empty"), "{e}");
        assert_eq!(
            std::fs::read_to_string(target.join("keep.txt"))
                .ok()
                .as_deref(),
            Some("mine")
        );
        assert!(!target.join("Cargo.toml").exists());
        let made = create("acme", Some(&dir.path().join("fresh")), None).expect("created");
        let manifest = std::fs::read_to_string(made.join("Cargo.toml")).expect("Cargo.toml");
        assert!(manifest.contains("crate-type = [\"cdylib\"]"), "{manifest}");
        assert!(manifest.contains(SDK_GIT), "{manifest}");
    }
}
