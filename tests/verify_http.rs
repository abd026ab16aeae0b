//! End-to-end verdicts: pages served by a local server with real headers and encodings,
//! checked through the binary against claims in a report.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns unwrap freely

mod common;

use std::path::Path;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use common::{Server, check_json, citation, citecheck, report};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/pages")
            .join(name),
    )
    .unwrap()
}

fn serve(content_type: &'static str, body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn page(title: &str, body: &str, head: &str) -> Vec<u8> {
    format!(
        "<html><head><meta charset=\"utf-8\"><title>{title}</title>{head}</head><body>\
         <nav><a href=\"/\">Home</a> <a href=\"/news\">News</a></nav>\
         <article><h1>{title}</h1>{body}</article>\
         <footer>Copyright 2018 Example News. All rights reserved.</footer></body></html>"
    )
    .into_bytes()
}

fn router() -> Router {
    let html = "text/html; charset=utf-8";
    Router::new()
        // GBK page with a <meta> charset, served without a charset in the header.
        .route("/xinhua", get(|| async { serve("text/html", fixture("xinhua_gbk.html")) }))
        // GBK page that declares nothing anywhere.
        .route(
            "/zj/2018/4/10/art.html",
            get(|| async { serve("text/html", fixture("province_table_gbk_undeclared.html")) }),
        )
        // The only matching terms are in the sidebar.
        .route("/people", get(|| async { serve("text/html", fixture("people_sidebar_only.html")) }))
        .route("/challenge", get(|| async {
            (StatusCode::OK, [(header::CONTENT_TYPE, "text/html")], fixture("challenge_cloudflare.html")).into_response()
        }))
        .route("/gone-page", get(|| async { serve("text/html", fixture("soft404_gov.html")) }))
        // Meta refresh to the article.
        .route("/old", get(|| async {
            serve(html, b"<html><head><meta http-equiv=\"refresh\" content=\"0; url=/meta-only\"></head><body></body></html>".to_vec())
        }))
        .route("/meta-only", get(|| async {
            serve(html, page(
                "Harbour bridge opens",
                "<p>The Quokka Harbour bridge opened to traffic, the city's transport office said.</p>",
                "<meta property=\"article:published_time\" content=\"2018-04-12T09:00:00+08:00\">",
            ))
        }))
        .route("/news/2018-04/12/url-only.html", get(|| async {
            serve(html, page(
                "Harbour bridge opens",
                "<p>The Quokka Harbour bridge opened to traffic, the city's transport office said.</p>",
                "",
            ))
        }))
        .route("/text-only", get(|| async {
            serve(html, page(
                "Harbour bridge opens",
                "<p class=\"date\">Published April 12, 2018</p><p>The Quokka Harbour bridge opened to traffic, the city's transport office said.</p>",
                "",
            ))
        }))
        .route("/other-year", get(|| async {
            serve(html, page(
                "Harbour bridge opens",
                "<p class=\"date\">Published April 12, 2016</p><p>The Quokka Harbour bridge opened to traffic, the city's transport office said.</p>",
                "<meta property=\"article:published_time\" content=\"2016-04-12T09:00:00+08:00\">",
            ))
        }))
        .route("/different", get(|| async {
            serve(html, page(
                "Local football results",
                "<p class=\"date\">Published April 12, 2018</p><p>The Wombats beat the Platypuses three to one on Saturday.</p>",
                "",
            ))
        }))
        // Full-width plus and quotes on the page, ASCII in the claim.
        .route("/fullwidth", get(|| async {
            serve(html, page(
                "国务院常务会议",
                "<p>发布时间：2018-04-12</p><p>4月12日，国务院总理李克强主持召开国务院常务会议，确定发展「互联网＋医疗健康」措施。</p>",
                "",
            ))
        }))
        .route("/moved", get(|| async { Redirect::temporary("/") }))
        .route("/self-refresh", get(|| async {
            serve("text/html; charset=utf-8", b"<html><head><meta http-equiv=\"refresh\" content=\"0; url=/self-refresh\"></head><body></body></html>".to_vec())
        }))
        .route("/", get(|| async { serve("text/html; charset=utf-8", page("Welcome", "<p>Welcome to our site.</p>", "")) }))
}

#[test]
fn verdicts_against_a_local_test_web() {
    let s = Server::start(router());
    let dir = tempfile::tempdir().unwrap();
    let u = |p: &str| s.url(p);
    let text = format!(
        "# Monitoring report (2018 年 4 月)\n\n\
         - 4月22日，首届“数字中国建设峰会”在福州开幕，发布《数字中国建设发展报告（2017年）》。{}\n\
         - 4月10日，省政府召开“互联网+政务服务”推进电视电话会议，部署“最多跑一次”改革。{}\n\
         - 4月12日，国务院常务会议明确支持发展“远程医疗”和“互联网医院”。{}\n\
         - On 12 April 2018, the “Quokka Harbour” bridge opened to traffic. {}\n\
         - On 12 April 2018, the “Quokka Harbour” bridge opened to traffic. {}\n\
         - On 12 April 2018, the “Quokka Harbour” bridge opened to traffic. {}\n\
         - On 12 April 2018, the “Quokka Harbour” bridge opened to traffic. {}\n\
         - On 12 April 2018, the “Quokka Harbour” bridge opened to traffic. {}\n\
         - 4月12日，国务院总理李克强主持召开国务院常务会议，确定发展“互联网+医疗健康”措施。{}\n\
         - 4月12日，国务院发布通知。{}\n\
         - 4月12日，某网站发布通知。{}\n\
         - 4月12日，某单位发布“互联网+政务服务”通知。{}\n\
         - 4月12日，某单位发布通知。{}\n",
        u("/xinhua"),
        u("/zj/2018/4/10/art.html"),
        u("/people"),
        u("/old"),
        u("/news/2018-04/12/url-only.html"),
        u("/text-only"),
        u("/other-year"),
        u("/different"),
        u("/fullwidth"),
        u("/challenge"),
        u("/gone-page"),
        u("/moved"),
        u("/self-refresh"),
    );
    let r = report(dir.path(), "2018-04-report.md", &text);
    let (doc, code) = check_json(&[r.to_str().unwrap(), "--allow-private", "--host-rate", "100"]);
    let verdict = |p: &str| {
        citation(&doc, &u(p))["verdict"]
            .as_str()
            .unwrap_or("null")
            .to_owned()
    };
    let status = |p: &str| {
        citation(&doc, &u(p))["link"]["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    assert_eq!(
        verdict("/xinhua"),
        "supported",
        "GBK with meta: {:#}",
        citation(&doc, &u("/xinhua"))
    );
    assert_eq!(
        verdict("/zj/2018/4/10/art.html"),
        "supported",
        "GBK declared nowhere: {:#}",
        citation(&doc, &u("/zj/2018/4/10/art.html"))
    );
    let people = citation(&doc, &u("/people"));
    assert_eq!(
        people["verdict"], "unsupported",
        "sidebar-only match: {people:#}"
    );

    let old = citation(&doc, &u("/old"));
    assert_eq!(old["link"]["status"], "redirected", "{old:#}");
    assert_eq!(old["link"]["final_url"], u("/meta-only"));
    assert_eq!(old["link"]["redirects"][0]["kind"], "meta_refresh");
    assert_eq!(old["verdict"], "supported", "{old:#}");
    assert_eq!(old["evidence"]["page_date_source"], "meta");

    let url_only = citation(&doc, &u("/news/2018-04/12/url-only.html"));
    assert_eq!(url_only["verdict"], "supported", "{url_only:#}");
    assert_eq!(url_only["evidence"]["page_date_source"], "url");
    let text_only = citation(&doc, &u("/text-only"));
    assert_eq!(text_only["verdict"], "supported", "{text_only:#}");
    assert_eq!(text_only["evidence"]["page_date"], "2018-04-12");

    assert_eq!(
        verdict("/other-year"),
        "partial",
        "{:#}",
        citation(&doc, &u("/other-year"))
    );
    assert_eq!(verdict("/different"), "unsupported");
    assert_eq!(
        verdict("/fullwidth"),
        "supported",
        "{:#}",
        citation(&doc, &u("/fullwidth"))
    );

    assert_eq!(status("/challenge"), "blocked");
    assert_eq!(verdict("/challenge"), "unverifiable");
    assert_eq!(status("/gone-page"), "soft_404");
    assert_eq!(status("/moved"), "soft_404", "redirect to the site root");
    assert_eq!(verdict("/moved"), "unverifiable");
    let link_reason = |p: &str| citation(&doc, &u(p))["link"]["reason"].clone();
    let verdict_reason = |p: &str| citation(&doc, &u(p))["evidence"]["reason"].clone();
    assert_eq!(link_reason("/challenge"), "bot_challenge");
    assert_eq!(link_reason("/gone-page"), "soft_404_text");
    assert_eq!(link_reason("/moved"), "soft_404_redirect_root");
    assert_eq!(verdict_reason("/moved"), "no_usable_page");
    assert_eq!(verdict_reason("/different"), "keywords_missing");
    assert_eq!(verdict_reason("/other-year"), "page_date_outside_window");
    assert_eq!(verdict_reason("/xinhua"), serde_json::Value::Null);
    assert_eq!(link_reason("/self-refresh"), "redirect_loop");
    assert_eq!(
        code, 1,
        "the self-refresh loop is broken; soft 404 and unsupported are not failing by default"
    );
    let lp = citation(&doc, &u("/self-refresh"));
    assert_eq!(lp["link"]["status"], "broken", "{lp:#}");
    assert!(
        lp["link"]["error"]
            .as_str()
            .unwrap()
            .contains("redirect loop")
    );
    assert_eq!(lp["link"]["redirects"][0]["kind"], "meta_refresh");

    // The Markdown report has sections for unsupported and partial claims with evidence.
    let out = citecheck()
        .args([
            "check",
            r.to_str().unwrap(),
            "--allow-private",
            "--host-rate",
            "100",
            "--fail-on",
            "unsupported,soft_404",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "--fail-on unsupported fails the run"
    );
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("## Unsupported claims"), "{md}");
    assert!(md.contains("## Partially supported claims"), "{md}");
    assert!(md.contains("missing:"), "{md}");
}

#[test]
fn a_host_that_answers_every_path_alike_is_a_soft_404() {
    let catch_all = Router::new().fallback(|| async {
        serve(
            "text/html; charset=utf-8",
            page(
                "Example portal",
                "<p>Welcome to the Example portal. Find news and services here.</p>",
                "",
            ),
        )
    });
    let s = Server::start(catch_all);
    let dir = tempfile::tempdir().unwrap();
    let r = report(
        dir.path(),
        "r.md",
        &format!(
            "On 12 April 2018, the “Quokka Harbour” bridge opened. {}\n",
            s.url("/news/bridge.html")
        ),
    );
    let (doc, _) = check_json(&[r.to_str().unwrap(), "--allow-private", "--host-rate", "100"]);
    let c = citation(&doc, &s.url("/news/bridge.html"));
    assert_eq!(c["link"]["status"], "soft_404", "{c:#}");
    assert!(c["link"]["error"].as_str().unwrap().contains("random path"));
    assert_eq!(c["link"]["reason"], "soft_404_random_path");
    let probes = s
        .log
        .hits()
        .iter()
        .filter(|h| h.path.contains("citecheck-probe"))
        .count();
    assert_eq!(probes, 1, "one probe per host");

    // `inspect URL` resolves the page exactly as `check` does: the probe runs there too.
    let out = citecheck()
        .args(["inspect", &s.url("/news/bridge.html"), "--format", "json"])
        .args(["--allow-private"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["link"]["status"], "soft_404", "{doc:#}");
    assert_eq!(doc["link"]["reason"], "soft_404_random_path");
}

#[test]
fn inspect_follows_page_redirects_like_check() {
    let router = Router::new()
        .route(
            "/old",
            axum::routing::get(|| async {
                serve(
                    "text/html; charset=utf-8",
                    b"<html><head><meta http-equiv=\"refresh\" content=\"0; url=/new\"></head><body></body></html>".to_vec(),
                )
            }),
        )
        .route(
            "/new",
            axum::routing::get(|| async {
                serve(
                    "text/html; charset=utf-8",
                    page(
                        "Quokka Harbour bridge opens",
                        "<p>On 12 April 2018 the Quokka Harbour bridge opened to traffic after four years.</p>",
                        "",
                    ),
                )
            }),
        );
    let s = Server::start(router);
    let dir = tempfile::tempdir().unwrap();
    let r = report(
        dir.path(),
        "r.md",
        &format!(
            "On 12 April 2018, the “Quokka Harbour” bridge opened. {}\n",
            s.url("/old")
        ),
    );
    let (doc, _) = check_json(&[r.to_str().unwrap(), "--allow-private", "--host-rate", "100"]);
    let checked = &citation(&doc, &s.url("/old"))["link"];
    let out = citecheck()
        .args([
            "inspect",
            &s.url("/old"),
            "--format",
            "json",
            "--allow-private",
        ])
        .output()
        .unwrap();
    let inspected: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let inspected = &inspected["link"];
    assert_eq!(inspected["status"], "redirected", "{inspected:#}");
    assert_eq!(inspected["final_url"], s.url("/new"));
    assert_eq!(inspected["redirects"][0]["kind"], "meta_refresh");
    for key in ["status", "final_url", "redirects"] {
        assert_eq!(inspected[key], checked[key], "{key}");
    }
}

#[test]
fn inspect_shows_what_is_read_from_a_saved_page() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pages/province_table_gbk_undeclared.html");
    let out = citecheck()
        .args([
            "inspect",
            path.to_str().unwrap(),
            "--format",
            "json",
            "--url",
            "http://www.zj.gov.cn/art/2018/4/10/art_1.html",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &doc["page"];
    assert_eq!(p["charset"], "GBK");
    assert_eq!(p["charset_source"], "detected");
    assert_eq!(p["page_date"], "2018-04-10");
    assert!(p["main_text"].as_str().unwrap().contains("最多跑一次"));
    assert!(!p["main_text"].as_str().unwrap().contains("备案号"));
    let md = citecheck()
        .args(["inspect", path.to_str().unwrap()])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("## Main text"), "{md}");
}
