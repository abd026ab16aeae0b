//! End-to-end runs of `citecheck check` against real HTTP servers on 127.0.0.1:
//! every status class, redirects, retries, timeouts, compression, proxies, politeness.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns unwrap freely

mod common;

use std::io::Write as _;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use common::{Server, check_json, citation, citecheck, forward_proxy, report};

const PAGE: &str = "<html><head><title>Zephyr Council approves Quokka plan</title></head>\
<body><article><h1>Zephyr Council approves Quokka plan</h1><p>Published April 12, 2018</p>\
<p>On 12 April 2018 the Zephyr Council approved the Quokka reforestation plan for the \
Wombat valley, with 3000 hectares of new forest.</p></article></body></html>";

fn html(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

use common::fast_config;

fn status_router() -> Router {
    let flaky = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    Router::new()
        .route("/ok", get(|| async { html(PAGE) }))
        .route("/gone", get(|| async { StatusCode::NOT_FOUND }))
        .route("/deleted", get(|| async { StatusCode::GONE }))
        .route("/teapot", get(|| async { StatusCode::IM_A_TEAPOT }))
        .route("/forbidden", get(|| async { StatusCode::FORBIDDEN }))
        .route("/login", get(|| async { StatusCode::UNAUTHORIZED }))
        .route(
            "/error",
            get(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .route(
            "/flaky",
            get(move || {
                let flaky = std::sync::Arc::clone(&flaky);
                async move {
                    if flaky.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                        StatusCode::BAD_GATEWAY.into_response()
                    } else {
                        html(PAGE)
                    }
                }
            }),
        )
        .route("/r1", get(|| async { Redirect::permanent("/r2") }))
        .route("/r2", get(|| async { Redirect::temporary("/ok") }))
        .route("/loop1", get(|| async { Redirect::temporary("/loop2") }))
        .route("/loop2", get(|| async { Redirect::temporary("/loop1") }))
        .route(
            "/to-ftp",
            get(|| async { Redirect::temporary("ftp://example.org/file") }),
        )
}

#[test]
fn every_status_class_against_a_local_server() {
    let s = Server::start(status_router());
    let dir = tempfile::tempdir().unwrap();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let paths = [
        "/ok",
        "/gone",
        "/deleted",
        "/teapot",
        "/forbidden",
        "/login",
        "/error",
        "/flaky",
        "/r1",
        "/loop1",
        "/to-ftp",
    ];
    let mut text = String::from("# Sources\n\n");
    for p in paths {
        text.push_str(&format!("- See {} for details.\n", s.url(p)));
    }
    text.push_str(&format!("- Closed port http://{closed}/nothing here.\n"));
    text.push_str(
        "- An [FTP source](ftp://example.org/pub/file.txt) and a [mail](mailto:a@example.org).\n",
    );
    let r = report(dir.path(), "r.md", &text);
    let cfg = fast_config(dir.path(), "");
    let (doc, code) = check_json(&[
        r.to_str().unwrap(),
        "--config",
        &cfg,
        "--allow-private",
        "--max-retries",
        "2",
    ]);
    assert_eq!(code, 1, "broken links make the exit code 1");
    let st = |url: &str| {
        citation(&doc, url)["link"]["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(st(&s.url("/ok")), "ok");
    assert_eq!(citation(&doc, &s.url("/ok"))["link"]["http_status"], 200);
    assert_eq!(st(&s.url("/gone")), "broken");
    assert_eq!(st(&s.url("/deleted")), "broken");
    assert_eq!(st(&s.url("/teapot")), "broken");
    assert_eq!(st(&s.url("/forbidden")), "blocked");
    assert_eq!(st(&s.url("/login")), "blocked");
    assert_eq!(st(&s.url("/error")), "broken");
    assert_eq!(s.log.count("/error"), 3, "a 5xx is retried twice");
    assert_eq!(s.log.count("/gone"), 1, "a 404 is not retried");
    assert_eq!(st(&s.url("/flaky")), "ok", "a transient 502 is retried");
    assert_eq!(st(&format!("http://{closed}/nothing")), "unreachable");
    assert_eq!(st("ftp://example.org/pub/file.txt"), "invalid");
    assert_eq!(st("mailto:a@example.org"), "excluded");
    let reason = |url: &str| citation(&doc, url)["link"]["reason"].clone();
    for (path, want) in [
        ("/ok", serde_json::Value::Null),
        ("/gone", "http_404".into()),
        ("/deleted", "http_410".into()),
        ("/teapot", "http_4xx".into()),
        ("/forbidden", "http_403".into()),
        ("/login", "http_401".into()),
        ("/error", "http_5xx".into()),
        ("/flaky", serde_json::Value::Null),
        ("/r1", serde_json::Value::Null),
        ("/loop1", "redirect_loop".into()),
        ("/to-ftp", "redirect_not_http".into()),
    ] {
        assert_eq!(reason(&s.url(path)), want, "{path}");
    }
    assert_eq!(
        reason(&format!("http://{closed}/nothing")),
        "connection_refused"
    );
    assert_eq!(
        citation(&doc, &format!("http://{closed}/nothing"))["link"]["error"],
        "connection refused (after 3 attempts)",
        "a short human message, not nested wrappers"
    );
    assert_eq!(
        reason("ftp://example.org/pub/file.txt"),
        "unsupported_scheme"
    );
    assert_eq!(reason("mailto:a@example.org"), "not_a_web_link");
    let gone = citation(&doc, &s.url("/gone"));
    assert_eq!(gone["verdict"], "unverifiable");
    assert_eq!(gone["evidence"]["reason"], "no_usable_page");

    let chain = citation(&doc, &s.url("/r1"));
    assert_eq!(chain["link"]["status"], "redirected");
    assert_eq!(chain["link"]["final_url"], s.url("/ok"));
    let hops: Vec<&str> = chain["link"]["redirects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    assert_eq!(hops, [s.url("/r1"), s.url("/r2")]);
    assert_eq!(chain["link"]["redirects"][0]["status"], 308);

    let lp = citation(&doc, &s.url("/loop1"));
    assert_eq!(lp["link"]["status"], "broken");
    assert!(
        lp["link"]["error"]
            .as_str()
            .unwrap()
            .contains("redirect loop")
    );
    let ftp = citation(&doc, &s.url("/to-ftp"));
    assert_eq!(ftp["link"]["status"], "broken");
    assert!(ftp["link"]["error"].as_str().unwrap().contains("non-HTTP"));

    assert_eq!(doc["version"], 1);
    assert_eq!(doc["summary"]["by_status"]["ok"], 2);
    assert!(doc["generated_at"].as_str().unwrap().ends_with('Z'));
    let ua = &s.log.hits()[0].user_agent;
    assert!(ua.starts_with("citecheck/"), "{ua}");
}

/// A cookie set on a redirect goes with the next hop (a consent wall's way): without
/// it, `/members` would send the request on to a 403.
#[test]
fn a_cookie_set_on_a_redirect_is_sent_back() {
    let router = Router::new()
        .route(
            "/start",
            get(|| async {
                (
                    [(header::SET_COOKIE, "consent=yes; Path=/; HttpOnly")],
                    Redirect::temporary("/members"),
                )
                    .into_response()
            }),
        )
        .route(
            "/members",
            get(|headers: HeaderMap| async move {
                let consented = headers
                    .get_all(header::COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .any(|v| v.split("; ").any(|c| c == "consent=yes"));
                if consented {
                    html(PAGE)
                } else {
                    Redirect::temporary("/denied").into_response()
                }
            }),
        )
        .route("/denied", get(|| async { StatusCode::FORBIDDEN }));
    let s = Server::start(router);
    let dir = tempfile::tempdir().unwrap();
    let r = report(
        dir.path(),
        "r.md",
        &format!("# Sources\n\n- See {} for details.\n", s.url("/start")),
    );
    let cfg = fast_config(dir.path(), "");
    let (doc, _) = check_json(&[r.to_str().unwrap(), "--config", &cfg, "--allow-private"]);
    let link = &citation(&doc, &s.url("/start"))["link"];
    assert_eq!(link["status"], "redirected", "{link}");
    assert_eq!(link["final_url"], s.url("/members"), "{link}");
    assert_eq!(s.log.count("/denied"), 0);
}

#[test]
fn retry_after_short_is_honoured_and_long_ends_retries_at_once() {
    let short = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let router = Router::new()
        .route(
            "/short",
            get(move || {
                let short = std::sync::Arc::clone(&short);
                async move {
                    if short.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            [(header::RETRY_AFTER, "1")],
                        )
                            .into_response()
                    } else {
                        html(PAGE)
                    }
                }
            }),
        )
        .route(
            "/long",
            get(|| async {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, "3600")],
                )
                    .into_response()
            }),
        );
    let s = Server::start(router);
    let dir = tempfile::tempdir().unwrap();
    let r = report(
        dir.path(),
        "r.md",
        &format!("One {} and two {}.\n", s.url("/short"), s.url("/long")),
    );
    let cfg = fast_config(dir.path(), "");
    let t0 = Instant::now();
    let (doc, _) = check_json(&[r.to_str().unwrap(), "--config", &cfg, "--allow-private"]);
    assert!(
        t0.elapsed() < Duration::from_secs(30),
        "a long Retry-After is not waited for"
    );
    assert_eq!(citation(&doc, &s.url("/short"))["link"]["status"], "ok");
    let hits: Vec<_> = s
        .log
        .hits()
        .into_iter()
        .filter(|h| h.path == "/short")
        .collect();
    assert_eq!(hits.len(), 2);
    let gap = hits[1].at - hits[0].at;
    assert!(
        gap >= Duration::from_millis(950),
        "Retry-After: 1 honoured, gap {gap:?}"
    );
    let long = citation(&doc, &s.url("/long"));
    assert_eq!(long["link"]["status"], "blocked");
    assert_eq!(long["link"]["http_status"], 429);
    assert!(long["link"]["error"].as_str().unwrap().contains("3600"));
    assert_eq!(long["link"]["reason"], "retry_after_too_long");
    assert_eq!(s.log.count("/long"), 1, "no retry after a long Retry-After");
}

#[test]
fn a_server_that_never_answers_times_out() {
    let router = Router::new().route(
        "/hang",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            "late"
        }),
    );
    let s = Server::start(router);
    let dir = tempfile::tempdir().unwrap();
    let r = report(dir.path(), "r.txt", &format!("{}\n", s.url("/hang")));
    let cfg = fast_config(dir.path(), "");
    let t0 = Instant::now();
    let (doc, code) = check_json(&[
        r.to_str().unwrap(),
        "--config",
        &cfg,
        "--allow-private",
        "--timeout",
        "0.5",
        "--max-retries",
        "1",
    ]);
    assert!(t0.elapsed() < Duration::from_secs(20));
    let c = citation(&doc, &s.url("/hang"));
    assert_eq!(c["link"]["status"], "timeout");
    assert_eq!(s.log.count("/hang"), 2, "a timeout is retried");
    assert_eq!(code, 1);
}

#[test]
fn gzip_bodies_are_decompressed_and_read() {
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(PAGE.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let router = Router::new().route(
        "/gz",
        get(move |headers: HeaderMap| {
            let gz = gz.clone();
            async move {
                let accepts = headers
                    .get(header::ACCEPT_ENCODING)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .contains("gzip");
                assert!(accepts, "the client accepts gzip");
                (
                    [
                        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                        (header::CONTENT_ENCODING, "gzip"),
                    ],
                    gz,
                )
                    .into_response()
            }
        }),
    );
    let s = Server::start(router);
    let dir = tempfile::tempdir().unwrap();
    let r = report(
        dir.path(),
        "r.md",
        &format!(
            "On 12 April 2018, the Zephyr Council approved the “Quokka” plan [source]({}).\n",
            s.url("/gz")
        ),
    );
    let cfg = fast_config(dir.path(), "");
    let (doc, code) = check_json(&[r.to_str().unwrap(), "--config", &cfg, "--allow-private"]);
    let c = citation(&doc, &s.url("/gz"));
    assert_eq!(c["link"]["status"], "ok");
    assert_eq!(c["verdict"], "supported", "{c:#}");
    assert_eq!(code, 0);
}

#[test]
fn a_url_cited_twice_is_fetched_once() {
    let s = Server::start(status_router());
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "First {0} here.\n\nSecond [again]({0}) there.\n\nThird {0}#section.\n",
        s.url("/ok")
    );
    let r = report(dir.path(), "r.md", &text);
    let (doc, code) = check_json(&[r.to_str().unwrap(), "--allow-private", "--host-rate", "50"]);
    assert_eq!(doc["summary"]["citations"], 3);
    assert_eq!(doc["summary"]["urls"], 1);
    assert_eq!(s.log.count("/ok"), 1);
    assert_eq!(code, 0);
}

/// Eight URLs of one host, each answered after `answer`, checked with `--host-rate` and
/// `--host-concurrency`: the report, the exit code, the arrival times of every request
/// to the host (sorted: the eight and the soft-404 probe, paced alike) and the most
/// requests it had in flight at once.
fn eight_slow_urls(
    answer: Duration,
    rate: &str,
    concurrency: &str,
) -> (serde_json::Value, i32, Vec<Instant>, usize) {
    let router = Router::new().route(
        "/slow/{n}",
        get(move || async move {
            tokio::time::sleep(answer).await;
            html(PAGE)
        }),
    );
    let s = Server::start(router);
    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..8)
        .map(|i| format!("- item {}\n", s.url(&format!("/slow/{i}"))))
        .collect();
    let r = report(dir.path(), "r.md", &text);
    let (doc, code) = check_json(&[
        r.to_str().unwrap(),
        "--allow-private",
        "--host-rate",
        rate,
        "--host-concurrency",
        concurrency,
        "--max-concurrency",
        "32",
    ]);
    assert_eq!(
        s.log
            .hits()
            .iter()
            .filter(|h| h.path.starts_with("/slow/"))
            .count(),
        8
    );
    let mut at: Vec<Instant> = s.log.hits().iter().map(|h| h.at).collect();
    at.sort();
    let max = s
        .log
        .max_in_flight
        .load(std::sync::atomic::Ordering::SeqCst);
    (doc, code, at, max)
}

#[test]
fn per_host_rate_and_concurrency_hold_at_the_server() {
    // Answers long enough that consecutive requests (200 ms apart) overlap even on a
    // loaded machine, so the in-flight cap is exercised.
    let (doc, code, at, max) = eight_slow_urls(Duration::from_millis(600), "5", "2");
    assert_eq!(code, 0, "{doc:#}");
    for w in at.windows(2) {
        let gap = w[1] - w[0];
        assert!(
            gap >= Duration::from_millis(200 - 25),
            "requests to one host closer than 1/rate: {gap:?}"
        );
    }
    assert!(max <= 2, "in flight per host {max} > 2");
    assert_eq!(max, 2, "the cap is used: 600 ms answers at 5/s overlap");
}

#[test]
fn an_unpaced_host_still_keeps_its_concurrency_cap() {
    // `--host-rate inf` lifts the time between requests, nothing else: eight 300 ms
    // answers leave three at a time. Paced at any rate up to 3.3/s (the default is 1/s)
    // no two would ever be in flight together, so three at once shows the pacing is
    // lifted, with no bound on how fast this machine is.
    let (doc, code, _, max) = eight_slow_urls(Duration::from_millis(300), "inf", "3");
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["summary"]["by_status"]["ok"], 8, "{doc:#}");
    assert!(max <= 3, "in flight per host {max} > 3");
    assert_eq!(max, 3, "the cap is used, so nothing paces the requests");
}

#[test]
fn requests_go_through_the_proxy_flag_and_the_environment() {
    let origin = Server::start(status_router());
    let proxy = forward_proxy(origin.addr);
    let dir = tempfile::tempdir().unwrap();
    let r = report(dir.path(), "r.md", "Source: http://origin.test/ok.\n");
    // The target name is resolved by the proxy, not here; the proxy is on loopback and
    // allowed without --allow-private.
    let (doc, code) = check_json(&[r.to_str().unwrap(), "--proxy", &proxy.url("")]);
    assert_eq!(
        citation(&doc, "http://origin.test/ok")["link"]["status"],
        "ok",
        "{doc:#}"
    );
    assert_eq!(code, 0);
    assert_eq!(proxy.log.count("/ok"), 1);
    assert_eq!(proxy.log.hits()[0].host, "origin.test");
    assert_eq!(origin.log.count("/ok"), 1);

    let out = citecheck()
        .env("HTTP_PROXY", proxy.url(""))
        .args(["check", r.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        citation(&doc, "http://origin.test/ok")["link"]["status"],
        "ok"
    );
    assert_eq!(proxy.log.count("/ok"), 2, "HTTP_PROXY is honoured");
}

#[test]
fn private_addresses_are_excluded_by_default() {
    let origin = Server::start(status_router().route(
        "/to-private",
        get(|| async { Redirect::temporary("http://127.0.0.1:9/admin") }),
    ));
    let proxy = forward_proxy(origin.addr);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[fetch]\nsoft404_probe = false\n[fetch.resolve]\n\"public.test\" = \"127.0.0.1\"\n",
    )
    .unwrap();
    let port = origin.addr.port();
    let r = report(
        dir.path(),
        "r.md",
        &format!(
            "A {0}.\n\nB http://public.test:{port}/ok.\n\nC http://localhost:{port}/ok.\n",
            origin.url("/ok")
        ),
    );
    let (doc, code) = check_json(&[r.to_str().unwrap(), "--config", cfg.to_str().unwrap()]);
    for url in [
        origin.url("/ok"),
        format!("http://public.test:{port}/ok"),
        format!("http://localhost:{port}/ok"),
    ] {
        let c = citation(&doc, &url);
        assert_eq!(c["link"]["status"], "excluded", "{url}");
        assert!(
            c["link"]["error"].as_str().unwrap().contains("loopback"),
            "{c:#}"
        );
        assert_eq!(c["link"]["reason"], "private_address", "{url}");
    }
    assert_eq!(
        origin.log.hits().len(),
        0,
        "nothing reached the private address"
    );
    assert_eq!(code, 0, "excluded is not failing by default");

    // A redirect hop to a private address is caught too (the first hop goes via a proxy).
    let r = report(dir.path(), "r2.md", "X http://origin.test/to-private.\n");
    let (doc, _) = check_json(&[
        r.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--proxy",
        &proxy.url(""),
    ]);
    let c = citation(&doc, "http://origin.test/to-private");
    assert_eq!(c["link"]["status"], "excluded", "{c:#}");

    // --allow-private lifts it.
    let r = report(
        dir.path(),
        "r3.md",
        &format!("B http://public.test:{port}/ok.\n"),
    );
    let (doc, _) = check_json(&[
        r.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--allow-private",
    ]);
    assert_eq!(
        citation(&doc, &format!("http://public.test:{port}/ok"))["link"]["status"],
        "ok"
    );
}

#[test]
fn exit_codes_and_the_markdown_report() {
    let s = Server::start(status_router());
    let dir = tempfile::tempdir().unwrap();
    let good = report(dir.path(), "good.md", &format!("Fine {}.\n", s.url("/ok")));
    let bad = report(
        dir.path(),
        "bad.md",
        &format!("# Notes\n\nThe plan was approved {}.\n", s.url("/gone")),
    );
    let cfg = fast_config(dir.path(), "");
    citecheck()
        .args([
            "check",
            good.to_str().unwrap(),
            "--config",
            &cfg,
            "--allow-private",
        ])
        .assert()
        .code(0);
    let out = citecheck()
        .args([
            "check",
            bad.to_str().unwrap(),
            "--config",
            &cfg,
            "--allow-private",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("## Links to fix (1)"), "{md}");
    assert!(md.contains("| 3 | The plan was approved"), "{md}");
    assert!(md.contains("| broken | unverifiable | HTTP 404"), "{md}");
    assert!(md.contains("HTTP 404"), "{md}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("1 citations, 1 URLs"),
        "one summary line: {stderr}"
    );
    assert!(stderr.contains("1 broken"), "{stderr}");
    // broken is not failing when fail_on leaves it out
    citecheck()
        .args([
            "check",
            bad.to_str().unwrap(),
            "--config",
            &cfg,
            "--allow-private",
            "--fail-on",
            "timeout",
        ])
        .assert()
        .code(0);
    // usage, configuration and input errors: 2
    citecheck()
        .args(["check", "--host-rate", "fast"])
        .assert()
        .code(2);
    citecheck()
        .args(["check", "--config", "/nonexistent.toml"])
        .assert()
        .code(2);
    citecheck()
        .args(["check", "/nonexistent/reports", "--config", &cfg])
        .assert()
        .code(2);
    let out_file = dir.path().join("out.json");
    citecheck()
        .args([
            "check",
            good.to_str().unwrap(),
            "--config",
            &cfg,
            "--allow-private",
            "--format",
            "json",
            "--output",
        ])
        .arg(&out_file)
        .assert()
        .code(0);
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(doc["summary"]["citations"], 1);
}

#[test]
fn robots_txt_is_honoured_only_when_asked() {
    let router = Router::new()
        .route(
            "/robots.txt",
            get(|| async {
                "User-agent: *\nDisallow: /\n\nUser-agent: citecheck\nDisallow: /private/\nCrawl-delay: 1\n"
            }),
        )
        .route("/private/page", get(|| async { html(PAGE) }))
        .route("/public/{n}", get(|| async { html(PAGE) }));
    let s = Server::start(router);
    let dir = tempfile::tempdir().unwrap();
    let r = report(
        dir.path(),
        "r.md",
        &format!(
            "- A {}\n- B {}\n- C {}\n",
            s.url("/private/page"),
            s.url("/public/1"),
            s.url("/public/2")
        ),
    );
    let cfg = fast_config(dir.path(), "");
    let (doc, _) = check_json(&[r.to_str().unwrap(), "--config", &cfg, "--allow-private"]);
    assert_eq!(
        citation(&doc, &s.url("/private/page"))["link"]["status"],
        "ok",
        "off by default"
    );
    assert_eq!(s.log.count("/robots.txt"), 0);

    let (doc, _) = check_json(&[
        r.to_str().unwrap(),
        "--config",
        &cfg,
        "--allow-private",
        "--respect-robots",
    ]);
    let private = &citation(&doc, &s.url("/private/page"))["link"];
    assert_eq!(private["status"], "excluded", "{private:#}");
    assert!(private["error"].as_str().unwrap().contains("robots.txt"));
    assert_eq!(private["reason"], "robots_disallowed");
    assert_eq!(citation(&doc, &s.url("/public/1"))["link"]["status"], "ok");
    assert_eq!(s.log.count("/robots.txt"), 1, "fetched once per host");
    let public: Vec<Instant> = s
        .log
        .hits()
        .iter()
        .filter(|h| h.path.starts_with("/public/"))
        .map(|h| h.at)
        .collect();
    assert_eq!(public.len(), 4, "two runs, two public pages each");
    let gap = public[3] - public[2];
    assert!(
        gap >= Duration::from_millis(950),
        "Crawl-delay: 1 holds: {gap:?}"
    );
}
