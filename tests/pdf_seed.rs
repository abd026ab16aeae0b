//! The seed report as its publisher would print it: the Markdown in `reports/` as an
//! HTML page (tables with a claims and a links column) printed to PDF by headless
//! Chromium. Extracting that PDF must give the seed's citations: the same URLs with the
//! same claims, dates and keywords as `tests/golden/seed-extract.json` (the Markdown
//! version), and the same uncited claims.
//!
//! Needs `chromium` and a CJK font (`apt-get install chromium fonts-wqy-zenhei`, done by
//! `.ci/run`); without them the test says so and passes, except under CI, where it fails.
#![allow(clippy::unwrap_used)]

mod docs;

use std::path::Path;

use citecheck::report::{ExtractOptions, extract_paths};
use serde_json::Value;

#[test]
fn seed_as_pdf_gives_the_markdown_citations() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let md = std::fs::read_to_string(root.join("reports/2018-04-internet-plus.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("seed.html");
    std::fs::write(&html, docs::seed_html::seed_to_html(&md)).unwrap();
    // The file name carries the report's month, as the Markdown's does.
    let pdf = dir.path().join("2018-04-internet-plus.pdf");
    if let Err(e) = docs::chromium_pdf(&html, &pdf) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must render the seed to PDF: {e}"
        );
        eprintln!("SKIPPED seed_as_pdf_gives_the_markdown_citations: {e}");
        return;
    }
    let ex = extract_paths(std::slice::from_ref(&pdf), &ExtractOptions::default());
    assert!(ex.errors.is_empty(), "{:?}", ex.errors);
    let doc = &ex.documents[0];
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/golden/seed-extract.json")).unwrap(),
    )
    .unwrap();
    let want = golden["citations"].as_array().unwrap();
    assert_eq!(doc.citations.len(), want.len(), "citation count");
    let mut same = 0;
    let mut diffs = Vec::new();
    for (got, want) in doc.citations.iter().zip(want) {
        let keywords: Vec<&str> = got
            .claim
            .keywords
            .iter()
            .take(5)
            .map(|k| &*k.term)
            .collect();
        let want_kw: Vec<&str> = want["keywords"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["term"].as_str().unwrap())
            .collect();
        let ok = got.url == want["url"].as_str().unwrap()
            && got.claim.text == want["claim"].as_str().unwrap()
            && got.claim.date.map(|d| d.to_string()).as_deref() == want["date"].as_str()
            && keywords == want_kw
            && got.source.page.is_some();
        if ok {
            same += 1;
        } else {
            diffs.push(format!(
                "{} | {} ≠ {} | {}",
                got.url, got.claim.text, want["url"], want["claim"]
            ));
        }
    }
    assert_eq!(
        same,
        want.len(),
        "citations that differ from the Markdown version:\n{}",
        diffs.join("\n")
    );
    // The two URLs the conversion split at page breaks are joined here too.
    let joined = doc
        .citations
        .iter()
        .filter(|c| {
            c.repairs
                .iter()
                .any(|r| r.kind.as_str() == "joined_page_break")
        })
        .count();
    assert_eq!(joined, 2);
    let unc: Vec<&str> = doc.uncited.iter().map(|u| u.claim.text.as_str()).collect();
    let want_unc: Vec<&str> = golden["uncited"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["claim"].as_str().unwrap())
        .collect();
    assert_eq!(unc, want_unc);
}
