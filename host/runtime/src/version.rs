//! The contract version check: refuse a plugin built for another `latchkey:connector` release
//! with a message that says so, instead of wasmtime's linker error.

use wasmtime::Engine;
use wasmtime::component::Component;

use super::error::LoadError;

/// The package every connector links against.
pub const PACKAGE: &str = "latchkey:connector";
/// The major.minor this host implements; any patch release of it links.
pub const SUPPORTED: &str = "0.1";
/// The interfaces of the package the host provides to plugins.
const PROVIDED: &[&str] = &["types", "http", "log"];
/// The interface every plugin exports, which the host calls.
const EXPORTED: &str = "plugin";

/// The interface part of `latchkey:connector/<interface>@<version>`.
fn interface_of(name: &str) -> Option<&str> {
    let rest = name.strip_prefix(PACKAGE)?.strip_prefix('/')?;
    Some(rest.split_once('@').map_or(rest, |(i, _)| i))
}

fn version_of(name: &str) -> Option<&str> {
    name.strip_prefix(PACKAGE)?.split_once('@').map(|(_, v)| v)
}

fn compatible(version: &str) -> bool {
    let mut parts = version.split('.');
    let (Some(major), Some(minor)) = (parts.next(), parts.next()) else {
        return false;
    };
    format!("{major}.{minor}") == SUPPORTED
}

/// Check the component's imports and exports against what this host provides.
pub fn check(engine: &Engine, component: &Component) -> Result<(), LoadError> {
    let ty = component.component_type();
    let mut exports_plugin = false;
    for (name, _) in ty.exports(engine) {
        if name.starts_with(&format!("{PACKAGE}/{EXPORTED}")) {
            match version_of(name) {
                Some(v) if compatible(v) => exports_plugin = true,
                Some(v) => {
                    return Err(LoadError::IncompatibleVersion {
                        found: v.to_string(),
                        supported: SUPPORTED.to_string(),
                    });
                }
                None => return Err(LoadError::MissingExport),
            }
        }
    }
    for (name, _) in ty.imports(engine) {
        if name.starts_with(PACKAGE) {
            match version_of(name) {
                Some(v) if compatible(v) => {
                    if !interface_of(name).is_some_and(|i| PROVIDED.contains(&i)) {
                        return Err(LoadError::UnsupportedImport(name.to_string()));
                    }
                }
                Some(v) => {
                    return Err(LoadError::IncompatibleVersion {
                        found: v.to_string(),
                        supported: SUPPORTED.to_string(),
                    });
                }
                None => return Err(LoadError::UnsupportedImport(name.to_string())),
            }
        } else if !name.starts_with("wasi:") {
            return Err(LoadError::UnsupportedImport(name.to_string()));
        }
    }
    if !exports_plugin {
        return Err(LoadError::MissingExport);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(version_of("latchkey:connector/http@0.1.3"), Some("0.1.3"));
        assert!(compatible("0.1.0"));
        assert!(compatible("0.1.7"));
        assert!(!compatible("0.2.0"));
        assert!(!compatible("1.1.0"));
        assert!(!compatible("garbage"));
        assert_eq!(interface_of("latchkey:connector/http@0.1.0"), Some("http"));
        assert_eq!(
            interface_of("latchkey:connector/vault@0.1.0"),
            Some("vault")
        );
    }

    /// `wit/` is the one source of the contract: the package, the version this host supports,
    /// the interfaces it provides and the one it calls are read from it, so a WIT edit the
    /// host does not follow (a new import, a renamed export, a version bump) fails here.
    #[test]
    fn the_host_follows_the_wit_package() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../wit");
        let mut resolve = wit_parser::Resolve::default();
        let (package_id, _) = resolve.push_dir(&dir).expect("wit/ parses");
        let package = &resolve.packages[package_id];
        assert_eq!(
            format!("{}:{}", package.name.namespace, package.name.name),
            PACKAGE
        );
        let version = package.name.version.as_ref().expect("wit/ is versioned");
        assert!(
            compatible(&version.to_string()),
            "wit/ is at {version}; the host supports {SUPPORTED}.x: update version::SUPPORTED and what changed"
        );
        let world_id = resolve
            .select_world(&[package_id], Some("connector"))
            .expect("world connector");
        let world = &resolve.worlds[world_id];
        let names = |items: &mut dyn Iterator<Item = &wit_parser::WorldItem>| {
            let mut names: Vec<String> = items
                .map(|item| match item {
                    wit_parser::WorldItem::Interface { id, .. } => {
                        resolve.interfaces[*id].name.clone().unwrap_or_default()
                    }
                    other => panic!("the world has a non-interface item: {other:?}"),
                })
                .collect();
            names.sort();
            names
        };
        let mut provided: Vec<String> = PROVIDED.iter().map(|s| s.to_string()).collect();
        provided.sort();
        assert_eq!(
            names(&mut world.imports.values()),
            provided,
            "the interfaces plugins import are the ones the host provides"
        );
        assert_eq!(names(&mut world.exports.values()), [EXPORTED]);
    }
}
