//! External tools some tests need (a browser, schema validators): found on `PATH` or
//! else a loud skip locally; in CI (`CI=true`) a missing tool fails the test.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Whether this is a CI run.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The first of `names` found on `PATH`.
pub fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|n| {
        std::env::split_paths(&path)
            .map(|d| d.join(n))
            .find(|p| p.is_file())
    })
}

/// The tool, or `None` after a loud skip message; panics in CI.
pub fn require(names: &[&str], install: &str) -> Option<PathBuf> {
    if let Some(p) = find(names) {
        return Some(p);
    }
    let msg = format!(
        "{} not found on PATH (install: {install})",
        names.join(" or ")
    );
    assert!(!in_ci(), "{msg}: required in CI");
    eprintln!("\n!!!!!!!! SKIPPED: {msg} !!!!!!!!\n");
    None
}

/// SARIF checked against the SARIF 2.1.0 JSON schema shipped in `tests/fixtures/sarif/`
/// (check-jsonschema; its Python regex dialect, since the official schema has one
/// pattern that ECMAScript rejects).
pub fn validate_sarif(path: &Path) {
    let Some(tool) = require(&["check-jsonschema"], "pip install check-jsonschema") else {
        return;
    };
    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif/sarif-schema-2.1.0.json");
    let out = std::process::Command::new(&tool)
        .args(["--regex-variant", "python", "--schemafile"])
        .arg(&schema)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "SARIF invalid: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The validator itself rejects an invalid log (the check can fail).
    let mut bad: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    bad["runs"][0]["results"][0]["level"] = "fatal".into();
    let bad_path = path.with_extension("bad.sarif");
    std::fs::write(&bad_path, serde_json::to_vec(&bad).unwrap()).unwrap();
    let out = std::process::Command::new(&tool)
        .args(["--regex-variant", "python", "--schemafile"])
        .arg(&schema)
        .arg(&bad_path)
        .output()
        .unwrap();
    assert!(!out.status.success(), "a wrong level must be rejected");
}
