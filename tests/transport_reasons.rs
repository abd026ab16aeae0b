//! Transport failures get the right reason code, from the error's type: a refused
//! connection, a reset, a TLS handshake against a server that does not speak TLS, a
//! name that does not exist. Each against a real socket on 127.0.0.1.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{check_json, citation, raw_server, report};
use tokio::io::AsyncReadExt;

#[test]
fn transport_failures_are_classified_by_type() {
    // A port that was bound and released: nothing listens there.
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    // Reads the request, then resets the connection (linger 0 sends RST on close).
    let reset = raw_server(|mut s| async move {
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf).await;
        let std = s.into_std().unwrap();
        let sock = socket2::SockRef::from(&std);
        sock.set_linger(Some(Duration::ZERO)).unwrap();
        drop(std);
    });
    // Answers a TLS ClientHello with plain HTTP.
    let plain = raw_server(|mut s| async move {
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf).await;
        use tokio::io::AsyncWriteExt;
        let _ = s
            .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .await;
    });
    let urls = [
        format!("http://{refused}/x"),
        format!("http://{reset}/x"),
        format!("https://{plain}/x"),
        "http://no-such-host.invalid/x".to_owned(),
    ];
    let dir = tempfile::tempdir().unwrap();
    let text: String = urls.iter().map(|u| format!("- See {u} here.\n")).collect();
    let r = report(dir.path(), "r.md", &text);
    let cfg = std::path::PathBuf::from(common::fast_config(dir.path(), ""));
    let (doc, code) = check_json(&[
        r.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--allow-private",
        "--max-retries",
        "1",
    ]);
    assert_eq!(code, 1);
    let link = |u: &str| citation(&doc, u)["link"].clone();
    let expect = |u: &str, reason: &str, error: &str| {
        let l = link(u);
        assert_eq!(l["status"], "unreachable", "{u}: {l:#}");
        assert_eq!(l["reason"], reason, "{u}: {l:#}");
        let e = l["error"].as_str().unwrap();
        assert!(e.starts_with(error), "{u}: {e:?}");
        assert!(e.len() < 120, "short: {e:?}");
        let v = &citation(&doc, u)["evidence"];
        assert_eq!(v["reason"], "no_usable_page");
    };
    expect(&urls[0], "connection_refused", "connection refused");
    expect(&urls[1], "connection_reset", "connection reset");
    expect(&urls[2], "tls", "TLS: ");
    // Offline machines may have no resolver at all: then the lookup fails (transient)
    // rather than finding the name absent. Both are typed DNS reasons.
    let dns = link(&urls[3]);
    assert_eq!(dns["status"], "unreachable");
    match dns["reason"].as_str().unwrap() {
        "dns_no_such_host" => assert_eq!(dns["error"], "no such host"),
        "dns_failed" => assert!(
            dns["error"]
                .as_str()
                .unwrap()
                .starts_with("DNS lookup failed")
        ),
        other => panic!("DNS failure classified as {other}: {dns:#}"),
    }
}
