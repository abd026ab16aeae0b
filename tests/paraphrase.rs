//! Verdicts on English claims whose sources say the same thing in slightly different
//! words (tense, number, word order): `tests/fixtures/paraphrase/` holds a report, a
//! page per claim (served from 127.0.0.1) and, as controls, pages about something else
//! that share a word with the claim. Also the table row whose cells must not merge into
//! false terms (`Hainan Hainan`).
//!
//! `cargo test --test paraphrase -- --nocapture` prints the verdict of every pair.

mod common;

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::Path as UrlPath;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use common::{Server, check_json, report};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/paraphrase")
}

/// Every page of `pages/`, by file name.
fn page_server() -> Server {
    Server::start(Router::new().route(
        "/p/{name}",
        get(|UrlPath(name): UrlPath<String>| async move {
            let safe = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '.');
            match std::fs::read(fixtures().join("pages").join(&name)) {
                Ok(body) if safe => (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    body,
                )
                    .into_response(),
                _ => StatusCode::NOT_FOUND.into_response(),
            }
        }),
    ))
}

/// `check` of the fixture report `name` with `{base}` pointing at `server`.
fn check(server: &Server, name: &str) -> Value {
    let text = std::fs::read_to_string(fixtures().join(name)).expect("fixture report");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = report(dir.path(), name, &text.replace("{base}", &server.url("")));
    let (doc, _) = check_json(&[
        path.to_str().expect("UTF-8 path"),
        "--allow-private",
        "--no-progress",
        "--host-rate",
        "100",
    ]);
    assert_eq!(doc["complete"], true, "{doc}");
    doc
}

/// The page id of a citation (`…/p/{id}.html`).
fn page_id(c: &Value) -> &str {
    let url = c["url"].as_str().expect("url");
    url.rsplit('/')
        .next()
        .and_then(|f| f.strip_suffix(".html"))
        .expect("a fixture page")
}

#[test]
fn lightly_paraphrased_sources_support_their_claims() {
    let server = page_server();
    let expect: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("expect.json")).expect("expect.json"),
    )
    .expect("JSON");
    let doc = check(&server, "report.md");
    let cits = doc["citations"].as_array().expect("citations");
    let ids = |key: &str| -> Vec<String> {
        expect[key]
            .as_array()
            .expect("ids")
            .iter()
            .map(|v| v.as_str().expect("id").to_owned())
            .collect()
    };
    let (pos, neg) = (ids("positive"), ids("negative"));
    assert_eq!(cits.len(), pos.len() + neg.len());
    let mut wrong = Vec::new();
    let (mut supported, mut rejected) = (0, 0);
    for c in cits {
        let id = page_id(c);
        let verdict = c["verdict"].as_str().unwrap_or("-");
        println!(
            "{id:<10} {verdict:<12} score {:.2}  missing {}",
            c["evidence"]["score"].as_f64().unwrap_or(0.0),
            c["evidence"]["missing_keywords"]
        );
        if pos.iter().any(|p| p == id) {
            if verdict == "supported" {
                supported += 1;
            } else {
                wrong.push(format!(
                    "{id}: {verdict}, want supported: {}",
                    c["evidence"]
                ));
            }
        } else if verdict == "unsupported" {
            rejected += 1;
        } else {
            wrong.push(format!(
                "{id}: {verdict}, want unsupported: {}",
                c["evidence"]
            ));
        }
    }
    println!(
        "paraphrases supported: {supported}/{}; unrelated pages unsupported: {rejected}/{}",
        pos.len(),
        neg.len()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn table_cells_do_not_merge_into_false_terms() {
    let server = page_server();
    let doc = check(&server, "tables.md");
    let cits = doc["citations"].as_array().expect("citations");
    assert_eq!(cits.len(), 2, "a pipe-table row and a TAB-table row: {doc}");
    for c in cits {
        let claim = &c["claim"];
        let terms: Vec<&str> = claim["keywords"]
            .as_array()
            .expect("keywords")
            .iter()
            .map(|k| k["term"].as_str().expect("term"))
            .collect();
        assert!(
            terms.iter().all(|t| !t.contains("Hainan Hainan")),
            "{terms:?}"
        );
        assert!(terms.contains(&"Alibaba Cloud"), "{terms:?}");
        assert_eq!(claim["date"], "2018-05-08", "{claim}");
        assert_eq!(c["context"], "Hainan", "the row label is context: {c}");
        assert_eq!(c["verdict"], "supported", "{c}");
    }
}
