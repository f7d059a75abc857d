//! Embeds the kit fixtures of the bundled connectors — `plugins/<name>/kit.toml`, which live
//! next to their plugin — so the kit knows every bundled connector without a list in code:
//! a new plugin folder with a `kit.toml` is picked up by the next build.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let plugins = Path::new(&manifest_dir).join("../../plugins");
    println!("cargo:rerun-if-changed={}", plugins.display());
    let mut found: Vec<(String, String)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&plugins) {
        for entry in entries.flatten() {
            let file = entry.path().join("kit.toml");
            println!("cargo:rerun-if-changed={}", file.display());
            if file.is_file()
                && let Some(name) = entry.file_name().to_str()
            {
                let path = std::fs::canonicalize(&file).unwrap_or(file);
                found.push((name.to_string(), path.display().to_string()));
            }
        }
    }
    found.sort();
    let mut out = String::from(
        "/// The bundled connectors' kit fixtures: (plugin folder, `kit.toml` text).\npub const FIXTURES: &[(&str, &str)] = &[\n",
    );
    for (name, path) in &found {
        let _ = writeln!(out, "    ({name:?}, include_str!({path:?})),");
    }
    out.push_str("];\n");
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    if let Err(e) = std::fs::write(Path::new(&out_dir).join("fixtures.rs"), out) {
        panic!("cannot write the fixture list: {e}");
    }
}
