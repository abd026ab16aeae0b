//! External tools some tests need (a browser, schema validators): found on `PATH` or
//! else a loud skip locally; in CI (`CI=true`) a missing tool fails the test.

use std::path::PathBuf;

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
