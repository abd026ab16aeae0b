//! Deeply nested report HTML (a whole `.html` report and HTML inside Markdown) is read
//! without recursion: the run completes with every citation (issue: a stack overflow
//! would abort the process and lose the whole report).

mod common;

use common::{citecheck, report};
use serde_json::Value;

const DEEP: usize = 100_000;

fn extract_urls(path: &std::path::Path) -> Vec<String> {
    let out = citecheck()
        .args([
            "extract",
            path.to_str().expect("UTF-8 path"),
            "--format",
            "json",
        ])
        .output()
        .expect("citecheck runs");
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    doc["citations"]
        .as_array()
        .expect("citations")
        .iter()
        .map(|c| c["url"].as_str().expect("url").to_owned())
        .collect()
}

#[test]
fn deeply_nested_reports_complete_with_their_citations() {
    let dir = tempfile::tempdir().expect("temp dir");
    let nested = format!(
        "{}<p>Deep claim https://deep.example/a</p>{}",
        "<div>".repeat(DEEP),
        "</div>".repeat(DEEP)
    );
    let html = report(
        dir.path(),
        "deep.html",
        &format!(
            "<html><body>{nested}<p>{}Bold https://deep.example/b</p></body></html>",
            "<b>".repeat(20_000)
        ),
    );
    assert_eq!(
        extract_urls(&html),
        ["https://deep.example/a", "https://deep.example/b"]
    );
    let md = report(
        dir.path(),
        "deep.md",
        &format!(
            "# Deep\n\nBefore https://deep.example/0\n\n{nested}\n\n{}Bold https://deep.example/b\n\nAfter https://deep.example/z\n",
            "<b>".repeat(20_000)
        ),
    );
    assert_eq!(
        extract_urls(&md),
        [
            "https://deep.example/0",
            "https://deep.example/a",
            "https://deep.example/b",
            "https://deep.example/z"
        ]
    );
}
