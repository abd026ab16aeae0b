//! Golden file for the seed report: every citation with line, URL as checked and as
//! written, claim text, date, top keywords, repairs and suggestions; the uncited claims.
//! Regenerate with `UPDATE_GOLDEN=1 cargo test --test extract_golden` and review the diff.

mod common;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

const SEED: &str = "reports/2018-04-internet-plus.md";
const GOLDEN: &str = "tests/golden/seed-extract.json";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A JSON array field, or empty when the output leaves it out.
fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v[key].as_array().map_or(&[], Vec::as_slice)
}

/// The extraction of the seed as stable JSON: `citecheck extract` run in the repo root
/// (its own working directory, not the test process's) on the relative path.
fn seed_json() -> Value {
    let out = common::citecheck()
        .current_dir(root())
        .args(["extract", SEED, "--format", "json"])
        .output()
        .expect("citecheck runs");
    assert!(
        out.status.success(),
        "extract failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    assert_eq!(doc["errors"], json!([]), "{}", doc["errors"]);
    let citations: Vec<Value> = list(&doc, "citations")
        .iter()
        .map(|c| {
            assert_eq!(c["source"]["path"], SEED);
            let claim = &c["claim"];
            let keywords: Vec<Value> = list(claim, "keywords")
                .iter()
                .take(5)
                .map(|k| json!({"term": k["term"], "weight": k["weight"]}))
                .collect();
            json!({
                "line": c["source"]["line"],
                "url": c["url"],
                "written_url": c["written_url"],
                "context": c["context"],
                "claim": claim["text"],
                "date": claim["date"],
                "date_end": claim["date_end"],
                "keywords": keywords,
                "repairs": list(c, "repairs").iter().map(|r| &r["kind"]).collect::<Vec<_>>(),
                "suggestions": list(c, "suggestions").iter().map(|s| json!({"url": s["url"], "line": s["source"]["line"]})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let uncited: Vec<Value> = list(&doc, "uncited_claims")
        .iter()
        .map(|u| {
            json!({
                "line": u["source"]["line"],
                "claim": u["claim"]["text"],
                "date": u["claim"]["date"],
                "date_end": u["claim"]["date_end"],
                "supported_by_line": u["supported_by"]["line"],
                "supported_by_url": u["supported_by_url"],
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
    assert!(root().join(Path::new(SEED)).exists());
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
