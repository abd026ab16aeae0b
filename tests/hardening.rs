//! What a hostile or merely odd server, proxy set-up or setting must not break: each
//! test here failed on citecheck 0.1.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write as _;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::{Server, check_json, citation, citecheck, forward_proxy, report};

const PAGE: &str = "<html><head><title>Zephyr Council approves Quokka plan</title></head>\
<body><article><h1>Zephyr Council approves Quokka plan</h1><p>Published April 12, 2018</p>\
<p>On 12 April 2018 the Zephyr Council approved the Quokka reforestation plan for the \
Wombat valley, with 3000 hectares of new forest.</p></article></body></html>";

const CLAIM: &str = "On 12 April 2018, the Zephyr Council approved the “Quokka” plan";

fn html(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

use common::fast_config as quick;

#[test]
fn every_content_encoding_layer_is_decoded_or_the_body_is_unreadable() {
    let twice = gzip(&gzip(PAGE.as_bytes()));
    let router = Router::new()
        .route(
            "/gzgz",
            get(move || {
                let twice = twice.clone();
                async move {
                    (
                        [
                            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                            (header::CONTENT_ENCODING, "gzip, gzip"),
                        ],
                        twice,
                    )
                        .into_response()
                }
            }),
        )
        .route(
            "/garbage",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                        (header::CONTENT_ENCODING, "gzip"),
                    ],
                    "this is not gzip at all",
                )
                    .into_response()
            }),
        );
    let s = Server::start(router);
    let dir = tempfile::tempdir().unwrap();
    let r = report(
        dir.path(),
        "r.md",
        &format!(
            "- {CLAIM} [a]({}).\n- {CLAIM} [b]({}).\n",
            s.url("/gzgz"),
            s.url("/garbage")
        ),
    );
    let cfg = quick(dir.path(), "");
    let (doc, _) = check_json(&[r.to_str().unwrap(), "--config", &cfg, "--allow-private"]);
    let c = citation(&doc, &s.url("/gzgz"));
    assert_eq!(c["link"]["status"], "ok", "{c:#}");
    assert_eq!(c["verdict"], "supported", "{c:#}");
    let c = citation(&doc, &s.url("/garbage"));
    assert_eq!(c["verdict"], "unverifiable", "{c:#}");
    let error = c["link"]["error"].as_str().unwrap();
    assert!(error.contains("could not be decoded"), "{c:#}");
}

#[test]
fn odd_locations_are_followed_and_no_error_is_empty() {
    let router = Router::new()
        .route(
            "/space",
            get(|| async {
                (
                    StatusCode::FOUND,
                    [(header::LOCATION, HeaderValue::from_static("/new page"))],
                )
                    .into_response()
            }),
        )
        .route(
            "/utf8",
            get(|| async {
                let mut r = StatusCode::MOVED_PERMANENTLY.into_response();
                r.headers_mut().insert(
                    header::LOCATION,
                    HeaderValue::from_bytes("/新闻/页".as_bytes()).unwrap(),
                );
                r
            }),
        )
        .route("/nolocation", get(|| async { StatusCode::FOUND }))
        .route(
            "/toolong",
            get(|| async {
                let target = format!("/x/{}", "a".repeat(9000));
                (
                    StatusCode::FOUND,
                    [(header::LOCATION, HeaderValue::from_str(&target).unwrap())],
                )
                    .into_response()
            }),
        )
        .route("/new%20page", get(|| async { html(PAGE) }))
        .route(
            "/%E6%96%B0%E9%97%BB/%E9%A1%B5",
            get(|| async { html(PAGE) }),
        );
    let s = Server::start(router);
    let dir = tempfile::tempdir().unwrap();
    let text: String = ["/space", "/utf8", "/nolocation", "/toolong"]
        .iter()
        .map(|p| format!("- {CLAIM} [x]({}).\n", s.url(p)))
        .collect();
    let r = report(dir.path(), "r.md", &text);
    let cfg = quick(dir.path(), "");
    let (doc, _) = check_json(&[r.to_str().unwrap(), "--config", &cfg, "--allow-private"]);
    for (path, final_path) in [
        ("/space", "/new%20page"),
        ("/utf8", "/%E6%96%B0%E9%97%BB/%E9%A1%B5"),
    ] {
        let c = citation(&doc, &s.url(path));
        assert_eq!(c["link"]["status"], "redirected", "{c:#}");
        assert_eq!(c["link"]["final_url"], s.url(final_path), "{c:#}");
        assert_eq!(c["verdict"], "supported", "{c:#}");
    }
    let c = citation(&doc, &s.url("/nolocation"));
    assert_eq!(c["link"]["status"], "broken", "{c:#}");
    assert!(
        c["link"]["error"].as_str().unwrap().contains("Location"),
        "{c:#}"
    );
    let c = citation(&doc, &s.url("/toolong"));
    assert_eq!(c["link"]["status"], "broken", "{c:#}");
    assert!(
        c["link"]["error"].as_str().unwrap().contains("8192"),
        "{c:#}"
    );
    assert_eq!(
        s.log
            .hits()
            .iter()
            .filter(|h| h.path.starts_with("/x/"))
            .count(),
        0
    );
    for c in doc["citations"].as_array().unwrap() {
        if let Some(e) = c["link"]["error"].as_str() {
            assert!(!e.trim().is_empty(), "an empty error text: {c:#}");
        }
    }
}

#[test]
fn an_unparseable_retry_after_falls_back_to_the_normal_backoff() {
    let router = Router::new().route(
        "/busy",
        get(|| async {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "soon, maybe")],
            )
                .into_response()
        }),
    );
    let s = Server::start(router);
    let dir = tempfile::tempdir().unwrap();
    let r = report(
        dir.path(),
        "r.md",
        &format!("- {CLAIM} [x]({}).\n", s.url("/busy")),
    );
    let cfg = quick(dir.path(), "max_retries = 2\n");
    let (doc, _) = check_json(&[r.to_str().unwrap(), "--config", &cfg, "--allow-private"]);
    let c = citation(&doc, &s.url("/busy"));
    assert_eq!(s.log.count("/busy"), 3, "retried with the normal backoff");
    let error = c["link"]["error"].as_str().unwrap();
    assert!(error.contains("Retry-After"), "{c:#}");
    assert!(error.contains("soon, maybe"), "{c:#}");
}

/// Names resolved "locally" (as `/etc/hosts` would) to 127.0.0.1, plus a config file.
fn proxy_config(dir: &std::path::Path, extra: &str) -> String {
    let p = dir.join("proxy.toml");
    std::fs::write(
        &p,
        format!(
            "[fetch]\nretry_base_ms = 10\nsoft404_probe = false\n{extra}\n[fetch.resolve]\n\"inside.test\" = \"127.0.0.1\"\n\"proxyhost.test\" = \"127.0.0.1\"\n"
        ),
    )
    .unwrap();
    p.display().to_string()
}

#[test]
fn the_private_address_rule_holds_through_a_proxy() {
    let origin = Server::start(
        Router::new()
            .route("/ok", get(|| async { html(PAGE) }))
            .route(
                "/to-inside",
                get(|| async {
                    (
                        StatusCode::FOUND,
                        [(header::LOCATION, "http://inside.test/ok")],
                    )
                        .into_response()
                }),
            ),
    );
    let proxy = forward_proxy(origin.addr);
    let dir = tempfile::tempdir().unwrap();
    let r = report(
        dir.path(),
        "r.md",
        &format!(
            "- {CLAIM} [a](http://inside.test/ok).\n- {CLAIM} [b](http://origin.test/to-inside).\n- {CLAIM} [c](http://origin.test/ok).\n"
        ),
    );
    let cfg = proxy_config(dir.path(), "");
    let (doc, _) = check_json(&[
        r.to_str().unwrap(),
        "--config",
        &cfg,
        "--proxy",
        &proxy.url(""),
    ]);
    // A name that resolves here to a private address is refused, first hop or later.
    for url in ["http://inside.test/ok", "http://origin.test/to-inside"] {
        let c = citation(&doc, url);
        assert_eq!(c["link"]["status"], "excluded", "{c:#}");
        assert!(
            c["link"]["error"].as_str().unwrap().contains("loopback"),
            "{c:#}"
        );
    }
    // A name that does not resolve here is the proxy's to resolve.
    assert_eq!(
        citation(&doc, "http://origin.test/ok")["link"]["status"],
        "ok"
    );
    assert!(
        proxy.log.hits().iter().all(|h| h.host != "inside.test"),
        "{:?}",
        proxy.log.hits()
    );

    // The documented opt-out leaves every name to the proxy.
    let cfg = proxy_config(dir.path(), "proxy_resolves_names = true\n");
    let (doc, _) = check_json(&[
        r.to_str().unwrap(),
        "--config",
        &cfg,
        "--proxy",
        &proxy.url(""),
    ]);
    assert_eq!(
        citation(&doc, "http://inside.test/ok")["link"]["status"],
        "ok"
    );
}

#[test]
fn only_the_exact_proxy_address_and_port_are_exempt() {
    let origin = Server::start(Router::new().route("/ok", get(|| async { html(PAGE) })));
    let proxy = forward_proxy(origin.addr);
    let dir = tempfile::tempdir().unwrap();
    // The proxy is named by a host name; the cited URL names the same host on another
    // port and NO_PROXY sends it directly: that is loopback, not the proxy.
    let url = format!("http://proxyhost.test:{}/ok", origin.addr.port());
    let r = report(dir.path(), "r.md", &format!("- {CLAIM} [a]({url}).\n"));
    let cfg = proxy_config(dir.path(), "");
    let out = citecheck()
        .env("NO_PROXY", "proxyhost.test")
        .args([
            "check",
            r.to_str().unwrap(),
            "--format",
            "json",
            "--config",
            &cfg,
        ])
        .args([
            "--proxy",
            &format!("http://proxyhost.test:{}", proxy.addr.port()),
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = citation(&doc, &url);
    assert_eq!(c["link"]["status"], "excluded", "{c:#}");
    assert_eq!(
        origin.log.hits().len(),
        0,
        "nothing reached loopback directly"
    );
}

#[test]
fn out_of_range_settings_are_usage_errors_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let r = report(dir.path(), "r.md", "Nothing cited.\n");
    for (flag, value, key) in [
        ("--timeout", "1e20", "fetch.timeout"),
        ("--host-rate", "1e-300", "fetch.host_rate"),
        (
            "--max-concurrency",
            "18446744073709551615",
            "fetch.max_concurrency",
        ),
        (
            "--host-concurrency",
            "18446744073709551615",
            "fetch.host_concurrency",
        ),
        ("--max-retries", "4000000000", "fetch.max_retries"),
    ] {
        let out = citecheck()
            .args(["check", r.to_str().unwrap(), flag, value])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert!(
            stderr.contains(key) && stderr.contains("range"),
            "{flag}: {stderr}"
        );
    }
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[[fetch.hosts]]\npattern = \"*.gov.cn\"\nrate = 1e-300\n",
    )
    .unwrap();
    let out = citecheck()
        .args([
            "check",
            r.to_str().unwrap(),
            "--config",
            cfg.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("fetch.hosts.rate"), "{stderr}");
}

#[test]
fn a_report_name_that_is_not_utf8_is_shown_lossily() {
    use std::os::unix::ffi::OsStrExt as _;
    let s = Server::start(Router::new().route("/ok", get(|| async { html(PAGE) })));
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"b\xff.md");
    std::fs::write(
        dir.path().join(name),
        format!("- {CLAIM} [x]({}).\n", s.url("/ok")),
    )
    .unwrap();
    let cfg = quick(dir.path(), "");
    for format in ["json", "jsonl"] {
        let out = citecheck()
            .args(["check", dir.path().to_str().unwrap(), "--format", format])
            .args(["--config", &cfg, "--allow-private"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let last = if format == "json" {
            serde_json::from_str::<serde_json::Value>(&text).unwrap()["citations"][0].clone()
        } else {
            let lines: Vec<serde_json::Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            lines
                .iter()
                .find(|l| l["type"] == "citation")
                .unwrap()
                .clone()
        };
        let path = last["source"]["path"].as_str().unwrap();
        assert!(path.ends_with("b\u{FFFD}.md"), "{path}");
    }
}

#[test]
fn a_stream_that_cannot_be_written_stops_the_run_early() {
    // 40 URLs on one host at 20 requests per second: about two seconds of work. The
    // JSON Lines stream goes to /dev/full, so the first result cannot be kept.
    let s = Server::start(Router::new().fallback(|| async { html(PAGE) }));
    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..40)
        .map(|i| format!("- {CLAIM} [x]({}).\n", s.url(&format!("/p{i}"))))
        .collect();
    let r = report(dir.path(), "r.md", &text);
    let cfg = quick(dir.path(), "");
    let out = citecheck()
        .args([
            "check",
            r.to_str().unwrap(),
            "--format",
            "jsonl",
            "-o",
            "/dev/full",
        ])
        .args(["--config", &cfg, "--allow-private", "--host-rate", "20"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot write the report"), "{stderr}");
    let sent = s.log.hits().len();
    assert!(
        sent < 10,
        "the run went on after the stream failed: {sent} requests"
    );
}

/// A listener that is not ready (a history store whose writer fell behind) holds the
/// fetching back: results do not pile up in memory while it catches up. Here the
/// listener stays unready until the requests stop; the server must not see more than
/// the results allowed ahead of the collector (`RESULTS_AHEAD` per request in flight,
/// at least 64) plus those in flight.
#[test]
fn a_listener_that_falls_behind_holds_the_fetching_back() {
    use citecheck::config::{Config, FileConfig, Overrides};
    use citecheck::pipeline::{self, Listener};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    struct Behind(Arc<AtomicBool>);
    impl Listener for Behind {
        fn ready(&mut self) -> futures::future::BoxFuture<'_, ()> {
            let caught_up = Arc::clone(&self.0);
            Box::pin(async move {
                while !caught_up.load(Ordering::Acquire) {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            })
        }
    }

    let web = Server::start(Router::new().fallback(get(|| async {
        html(
            "<html><body><article><p>The Quokka Harbour bridge opened.</p></article></body></html>",
        )
    })));
    let dir = tempfile::tempdir().unwrap();
    let n = 400;
    let text: String = (0..n)
        .map(|i| {
            format!(
                "- The Quokka Harbour bridge opened. {}\n",
                web.url(&format!("/p/{i}"))
            )
        })
        .collect();
    let r = report(dir.path(), "r.md", &text);
    let file = FileConfig::parse(
        "[fetch]\nallow_private = true\nsoft404_probe = false\nhost_rate = 10000.0\n\
         host_concurrency = 4\nmax_concurrency = 4\n",
        std::path::Path::new("c.toml"),
    )
    .unwrap();
    let mut config = Config::resolve(file, &Overrides::default()).unwrap();
    config.progress = false;
    config.archive.enabled = false;
    let extraction = citecheck::report::extract_paths(&[r], &Default::default());
    let caught_up = Arc::new(AtomicBool::new(false));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let log = Arc::clone(&web.log);
    let flag = Arc::clone(&caught_up);
    let ahead = (4 * pipeline::RESULTS_AHEAD).max(64);
    let seen_while_behind = std::thread::spawn(move || {
        // Wait until the requests stop coming (every permit taken, or every page
        // fetched if nothing holds the run back), however fast this machine is.
        let mut last = (0, std::time::Instant::now());
        let give_up = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            std::thread::sleep(std::time::Duration::from_millis(50));
            let seen = log.hits().len();
            if seen != last.0 {
                last = (seen, std::time::Instant::now());
            } else if (seen >= ahead && last.1.elapsed() > std::time::Duration::from_millis(500))
                || std::time::Instant::now() > give_up
            {
                break;
            }
        }
        flag.store(true, Ordering::Release);
        last.0
    });
    let report = rt
        .block_on(pipeline::check(
            extraction,
            &config,
            &mut Behind(caught_up),
            std::future::pending(),
        ))
        .unwrap();
    let seen = seen_while_behind.join().unwrap();
    assert_eq!(report.citations.len(), n, "every URL checked in the end");
    assert!(report.complete);
    assert!(
        seen <= ahead + 4 + 1,
        "{seen} requests while the listener was behind (at most {ahead} results ahead + 4 in flight + the first)"
    );
    assert!(
        seen >= ahead,
        "{seen} requests: the run fills what it may get ahead"
    );
}
