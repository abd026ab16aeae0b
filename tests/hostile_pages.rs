//! Pages no server should send, checked end to end: `citecheck check` against a local
//! server serving them must complete with a valid JSON report, every citation judged.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns unwrap freely

mod common;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use common::{Server, check_json, citation, report};

const LEVELS: usize = 100_000;
const ARTICLE: &str = "<p>The Quokka Harbour bridge opened to traffic on 12 April 2018, the city's \
    transport office said, after four years of building work.</p>";

fn html(body: String) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body)
}

#[test]
fn deeply_nested_and_flooded_pages_do_not_end_the_run() {
    let router = Router::new()
        .route(
            "/divs",
            get(|| async {
                html(format!(
                    "<html><body>{}{ARTICLE}{}</body></html>",
                    "<div>".repeat(LEVELS),
                    "</div>".repeat(LEVELS)
                ))
            }),
        )
        .route(
            "/bold",
            get(|| async {
                html(format!(
                    "<html><body>{ARTICLE}<p>{}</p></body></html>",
                    "<b>x".repeat(LEVELS)
                ))
            }),
        )
        .route(
            "/spans",
            get(|| async {
                html(format!(
                    "<html><body>{}{ARTICLE}</body></html>",
                    "<span><em>".repeat(LEVELS)
                ))
            }),
        )
        .route(
            "/nul",
            get(|| async {
                html(format!(
                    "<html><body>{ARTICLE}{}</body></html>",
                    "\0".repeat(3_000_000)
                ))
            }),
        )
        .route(
            "/plain",
            get(|| async {
                html(format!(
                    "<html><body><article>{ARTICLE}</article></body></html>"
                ))
            }),
        );
    let server = Server::start(router);
    let dir = tempfile::tempdir().unwrap();
    let paths = ["/divs", "/bold", "/spans", "/nul", "/plain"];
    let text: String = paths
        .iter()
        .map(|p| {
            format!(
                "- On 12 April 2018 the Quokka Harbour bridge opened: {}\n",
                server.url(p)
            )
        })
        .collect();
    let r = report(dir.path(), "hostile.md", &text);
    let (doc, _) = check_json(&[r.to_str().unwrap(), "--allow-private", "--host-rate", "100"]);
    assert_eq!(doc["complete"], true, "{doc:#}");
    for p in paths {
        let c = citation(&doc, &server.url(p));
        assert_eq!(c["link"]["status"], "ok", "{p}: {c:#}");
        assert_eq!(c["verdict"], "supported", "{p}: {c:#}");
    }
}
