//! URLs of every awkward kind in a report: each gets `invalid` or `excluded` with the
//! reason, or is fetched correctly (IDN hosts as punycode); never a panic.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns unwrap freely

mod common;

use axum::Router;
use axum::routing::get;
use common::{Server, check_json, citation, report};

#[test]
fn awkward_urls_get_a_status_and_a_reason() {
    let s =
        Server::start(Router::new().route("/%E8%B7%AF%E5%BE%84", get(|| async { "<p>ok</p>" })));
    let port = s.addr.port();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[fetch]\nsoft404_probe = false\nhost_rate = 100.0\n\
         [fetch.resolve]\n\"xn--fsqu00a.xn--0zwm56d\" = \"127.0.0.1\"\n",
    )
    .unwrap();
    let long = format!("https://example.org/{}", "a".repeat(9000));
    let text = format!(
        "# Links\n\n\
         - [long]({long})\n\
         - [script](javascript:alert(1))\n\
         - [mail](mailto:editor@example.org)\n\
         - [local](file:///etc/passwd)\n\
         - [bad port](http://example.org:99999/x)\n\
         - [v6](http://[::1]:{port}/x)\n\
         - [broken v6](http://[::1/x)\n\
         - [idn](http://例子.测试:{port}/路径)\n\
         - Brackets (see http://example.org:99999/y) here.\n"
    );
    let r = report(dir.path(), "r.md", &text);
    let (doc, code) = check_json(&[r.to_str().unwrap(), "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 1, "invalid URLs fail the run");
    let expect = |url: &str, status: &str, code: &str, text: &str| {
        let l = &citation(&doc, url)["link"];
        assert_eq!(l["status"], status, "{url}: {l:#}");
        assert_eq!(l["reason"], code, "{url}: {l:#}");
        let e = l["error"].as_str().unwrap_or_default();
        assert!(e.contains(text), "{url}: {e:?} lacks {text:?}");
    };
    expect(&long, "invalid", "url_too_long", "longer than 8192");
    expect(
        "javascript:alert(1)",
        "excluded",
        "not_a_web_link",
        "javascript",
    );
    expect(
        "mailto:editor@example.org",
        "excluded",
        "not_a_web_link",
        "mailto",
    );
    expect("file:///etc/passwd", "excluded", "not_a_web_link", "file");
    expect(
        "http://example.org:99999/x",
        "invalid",
        "invalid_url",
        "port",
    );
    let v6 = format!("http://[::1]:{port}/x");
    expect(&v6, "excluded", "private_address", "loopback");
    expect("http://[::1/x", "invalid", "invalid_url", "IPv6");
    expect(
        "http://example.org:99999/y",
        "invalid",
        "invalid_url",
        "port",
    );
    // The IDN host is fetched as punycode (and reaches the server only with
    // --allow-private, since the name resolves to 127.0.0.1 here).
    expect(
        &format!("http://例子.测试:{port}/路径"),
        "excluded",
        "private_address",
        "xn--fsqu00a.xn--0zwm56d",
    );
    let (doc, _) = check_json(&[
        r.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--allow-private",
    ]);
    let idn = &citation(&doc, &format!("http://例子.测试:{port}/路径"))["link"];
    assert_eq!(idn["status"], "ok", "{idn:#}");
    let host = &s.log.hits()[0].host;
    assert_eq!(host, &format!("xn--fsqu00a.xn--0zwm56d:{port}"));
}
