//! Golden file for the seed report: every citation with line, URL as checked and as
//! written, claim text, date, top keywords, repairs and suggestions; the uncited claims.
//! Regenerate with `UPDATE_GOLDEN=1 cargo test --test extract_golden` and review the diff.

use std::path::{Path, PathBuf};

use citecheck::report::{ExtractOptions, extract_paths};
use serde_json::{Value, json};

const SEED: &str = "reports/2018-04-internet-plus.md";
const GOLDEN: &str = "tests/golden/seed-extract.json";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The extraction of the seed as stable JSON (paths relative to the repo root).
fn seed_json() -> Value {
    std::env::set_current_dir(root()).expect("repo root exists");
    let ex = extract_paths(&[PathBuf::from(SEED)], &ExtractOptions::default());
    assert!(ex.errors.is_empty(), "{:?}", ex.errors);
    let doc = &ex.documents[0];
    let citations: Vec<Value> = doc
        .citations
        .iter()
        .map(|c| {
            let keywords: Vec<Value> =
                c.claim.keywords.iter().take(5).map(|k| json!({"term": k.term, "weight": k.weight})).collect();
            json!({
                "line": c.source.line,
                "url": c.url,
                "written_url": c.written_url,
                "context": c.context,
                "claim": c.claim.text,
                "date": c.claim.date,
                "date_end": c.claim.date_end,
                "keywords": keywords,
                "repairs": c.repairs.iter().map(|r| &r.kind).collect::<Vec<_>>(),
                "suggestions": c.suggestions.iter().map(|s| json!({"url": s.url, "line": s.source.line})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let uncited: Vec<Value> = doc
        .uncited
        .iter()
        .map(|u| {
            json!({
                "line": u.source.line,
                "claim": u.claim.text,
                "date": u.claim.date,
                "date_end": u.claim.date_end,
                "supported_by_line": u.supported_by.as_ref().map(|s| s.line),
                "supported_by_url": u.supported_by_url,
            })
        })
        .collect();
    json!({ "path": SEED, "citations": citations, "uncited": uncited })
}

#[test]
fn seed_report_matches_golden() {
    let got = seed_json();
    let path = root().join(GOLDEN);
    let pretty = serde_json::to_string_pretty(&got).expect("serialisable") + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &pretty).expect("golden file writable");
        return;
    }
    let want =
        std::fs::read_to_string(&path).expect("golden file exists (UPDATE_GOLDEN=1 creates it)");
    if want != pretty {
        let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), pretty.lines().collect());
        let first = w
            .iter()
            .zip(&g)
            .position(|(a, b)| a != b)
            .unwrap_or(w.len().min(g.len()));
        panic!(
            "seed extraction differs from {GOLDEN} at line {}:\n  want: {}\n  got:  {}",
            first + 1,
            w.get(first).unwrap_or(&"<end>"),
            g.get(first).unwrap_or(&"<end>")
        );
    }
}

#[test]
fn seed_report_key_facts() {
    let got = seed_json();
    let cits = got["citations"].as_array().unwrap();
    assert_eq!(cits.len(), 66);
    assert!(Path::new(SEED).exists());
    let urls: Vec<&str> = cits.iter().map(|c| c["url"].as_str().unwrap()).collect();
    assert!(urls.contains(&"http://news.ifeng.com/a/20180411/57472785_0.shtml"));
    assert!(urls.contains(&"http://www.cnr.cn/sxpd/shgl/20180327/t20180327_524178302.shtml"));
    assert!(
        !urls
            .iter()
            .any(|u| *u == "#" || u.starts_with('/') || *u == "72785_0.shtml")
    );
    assert!(urls.contains(
        &"http://info.hebei.gov.cn/eportal/ui?pageId=6778557&articleKey=6787788&columnId=329982"
    ));
    let typo = cits
        .iter()
        .find(|c| c["url"].as_str().unwrap().ends_with("content.htm1"))
        .unwrap();
    assert_eq!(typo["suggestions"][0]["line"], 61);
    assert!(
        cits.iter().all(|c| c["date"].is_string()),
        "every seed claim has a date"
    );
}
