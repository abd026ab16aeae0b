//! Links exactly as written: `tests/fixtures/links/` holds small reports (Markdown, HTML,
//! text) with the URL spellings that link extractors get wrong (Markdown syntax
//! characters inside bare URLs, archived URLs, HTML5 without `</head>`, `<base href>`,
//! protocol-relative and relative links, `cite` attributes, text that is not a link);
//! `expect.json` lists the URLs each must yield, in order.
//!
//! `cargo test --test link_fixtures -- --nocapture` prints the agreement per file.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use axum::Router;
use axum::routing::get;
use common::{Server, check_json, citecheck, report};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/links")
}

/// `citecheck extract ARGS --format json`, parsed.
fn extract(args: &[&str]) -> Value {
    let out = citecheck()
        .arg("extract")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("citecheck runs");
    assert!(
        out.status.success(),
        "extract failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

#[test]
fn link_fixtures_yield_the_urls_as_written() {
    let dir = fixtures();
    let expect: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expect.json")).expect("expect.json"),
    )
    .expect("expect.json is JSON");
    let doc = extract(&[dir.to_str().expect("UTF-8 path")]);
    // Citations by file name, in source order.
    let mut by_file: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for c in doc["citations"].as_array().expect("citations") {
        let path = c["source"]["path"].as_str().expect("path");
        let name = Path::new(path)
            .file_name()
            .and_then(|n| n.to_str())
            .expect("file name");
        by_file.entry(name.to_owned()).or_default().push(c);
    }
    let files = expect["files"].as_array().expect("files");
    let mut failures = Vec::new();
    for f in files {
        let name = f["file"].as_str().expect("file");
        let cits = by_file.get(name).cloned().unwrap_or_default();
        let got: Vec<&str> = cits
            .iter()
            .map(|c| c["url"].as_str().unwrap_or(""))
            .collect();
        let want: Vec<&str> = f["urls"]
            .as_array()
            .expect("urls")
            .iter()
            .map(|u| u.as_str().expect("url"))
            .collect();
        let mut ok = got == want;
        let mut why = format!("urls {got:?}, want {want:?}");
        if let Some(claims) = f["claims"].as_object() {
            for (url, claim) in claims {
                let found = cits.iter().find(|c| c["url"] == url.as_str());
                let text = found.map(|c| c["claim"]["text"].as_str().unwrap_or(""));
                if text != claim.as_str() {
                    ok = false;
                    why.push_str(&format!("; claim of {url}: {text:?}, want {claim}"));
                }
            }
        }
        println!("{} {name}", if ok { "agree " } else { "DIFFER" });
        if !ok {
            failures.push(format!("{name}: {why}"));
        }
    }
    println!(
        "{}/{} link fixtures agree",
        files.len() - failures.len(),
        files.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn relative_links_without_a_base_are_excluded_not_invalid() {
    let server = Server::start(
        Router::new()
            .route(
                "/ok",
                get(|| async { "<html><body><p>fine</p></body></html>" }),
            )
            .route(
                "/base/page.html",
                get(|| async { "<html><body><p>the page</p></body></html>" }),
            ),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let path = report(
        dir.path(),
        "r.md",
        &format!(
            "See [the page](page.html) and [the root](/about/).\n\nAlive: {}\n",
            server.url("/ok")
        ),
    );
    let p = path.to_str().expect("UTF-8 path");
    let (doc, code) = check_json(&[p, "--allow-private", "--no-progress"]);
    assert_eq!(code, 0, "relative links do not fail the run: {doc}");
    let cits = doc["citations"].as_array().expect("citations");
    assert_eq!(cits.len(), 3);
    for c in cits.iter().filter(|c| c["url"] != server.url("/ok")) {
        assert_eq!(c["link"]["status"], "excluded", "{c}");
        assert_eq!(c["link"]["reason"], "relative_without_base", "{c}");
        let err = c["link"]["error"].as_str().expect("an error text");
        assert!(err.contains("relative URL without a base"), "{err}");
    }
    assert_eq!(doc["summary"]["by_status"]["excluded"], 2);
    assert_eq!(doc["summary"]["by_status"]["invalid"], 0);
    assert_eq!(
        server.log.hits().len(),
        1,
        "only the absolute link is fetched"
    );

    // With a base URL the relative link is a web citation, resolved and fetched.
    let base = server.url("/base/");
    let (doc, _) = check_json(&[p, "--allow-private", "--no-progress", "--base-url", &base]);
    let page = doc["citations"]
        .as_array()
        .expect("citations")
        .iter()
        .find(|c| c["written_url"] == "page.html")
        .expect("the relative citation")
        .clone();
    assert_eq!(page["url"], server.url("/base/page.html"));
    assert_eq!(page["link"]["status"], "ok", "{page}");
    assert_eq!(server.log.count("/base/page.html"), 1);
}
