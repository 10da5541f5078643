//! The crate dependency rule of DESIGN.md, checked from the `Cargo.toml` files:
//! `proto` at the bottom, with `bus` (the bus trait every service shares) just
//! above it and depending on `proto` only; domain crates depend on `proto`, `bus`
//! and pure libraries only, never on IO frameworks or each other; adapters (`store`, `fanout`, `mail`)
//! never depend on `server` or each other either; nothing depends on `server`.

use std::collections::BTreeMap;
use std::path::Path;

const DOMAIN: &[&str] = &["reynard-auth", "reynard-chat", "reynard-collab", "reynard-rtc", "reynard-schedule"];
const ADAPTERS: &[&str] = &["reynard-store", "reynard-fanout", "reynard-mail", "reynard-calendar", "reynard-turn"];
/// Below the domain crates: any crate may depend on these.
const FOUNDATION: &[&str] = &["reynard-proto", "reynard-bus"];
const IO_FRAMEWORKS: &[&str] = &["axum", "hyper", "tokio", "sqlx", "redis", "reqwest", "tower", "tower-http", "lettre"];

/// crate name → (normal dependencies, dev dependencies)
fn manifests() -> BTreeMap<String, (Vec<String>, Vec<String>)> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&crates).unwrap() {
        let manifest = entry.unwrap().path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else { continue };
        let doc: toml::Table = text.parse().unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
        let name = doc["package"]["name"].as_str().unwrap().to_owned();
        let keys = |section: &str| -> Vec<String> {
            doc.get(section).and_then(|d| d.as_table()).map(|t| t.keys().cloned().collect()).unwrap_or_default()
        };
        out.insert(name, (keys("dependencies"), keys("dev-dependencies")));
    }
    out
}

#[test]
fn crate_dependency_rule() {
    let manifests = manifests();
    for known in ["reynard-proto", "reynard-bus", "reynard-server", "reynard-mail"] {
        assert!(manifests.contains_key(known), "{known} not found in {:?}", manifests.keys());
    }
    let mut violations = Vec::new();
    for (name, (deps, dev_deps)) in &manifests {
        for dep in deps.iter().chain(dev_deps) {
            if dep == "reynard-server" {
                violations.push(format!("{name} depends on reynard-server"));
            }
        }
        if name == "reynard-proto" {
            for dep in deps.iter().filter(|d| d.starts_with("reynard-")) {
                violations.push(format!("reynard-proto must be at the bottom but depends on {dep}"));
            }
            for dep in deps.iter().filter(|d| IO_FRAMEWORKS.contains(&d.as_str())) {
                violations.push(format!("reynard-proto depends on {dep}"));
            }
        }
        if ADAPTERS.contains(&name.as_str()) {
            for dep in deps.iter().filter(|d| ADAPTERS.contains(&d.as_str())) {
                violations.push(format!("adapter {name} depends on the adapter {dep} (the server wires adapters)"));
            }
        }
        if name == "reynard-bus" {
            for dep in deps.iter().filter(|d| d.starts_with("reynard-") && *d != "reynard-proto") {
                violations.push(format!("reynard-bus sits just above reynard-proto but depends on {dep}"));
            }
            for dep in deps.iter().filter(|d| IO_FRAMEWORKS.contains(&d.as_str())) {
                violations.push(format!("reynard-bus depends on {dep}"));
            }
        }
        if DOMAIN.contains(&name.as_str()) {
            for dep in deps {
                if dep.starts_with("reynard-") && !FOUNDATION.contains(&dep.as_str()) {
                    violations.push(format!("domain crate {name} depends on {dep}"));
                }
                if IO_FRAMEWORKS.contains(&dep.as_str()) {
                    violations.push(format!("domain crate {name} depends on the IO framework {dep}"));
                }
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// `reynard-proto` is for every crate to use: by default it needs serde only;
/// anything else (the JSON Schemas of the server's OpenAPI document) is an
/// optional dependency behind a feature.
#[test]
fn proto_needs_only_serde_by_default() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto/Cargo.toml");
    let doc: toml::Table = std::fs::read_to_string(&manifest).unwrap().parse().unwrap();
    for (name, spec) in doc["dependencies"].as_table().unwrap() {
        let optional = spec.get("optional").and_then(toml::Value::as_bool).unwrap_or(false);
        assert!(
            name == "serde" || optional,
            "reynard-proto needs {name} by default; make it optional behind a feature"
        );
    }
}
