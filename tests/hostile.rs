//! Hostile and broken servers: each gives a clear status and error text, and the run goes
//! on with the rest.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns unwrap freely

mod common;

use std::io::Write as _;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use common::{Server, check_json, citation, raw_server, report};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Read the request head, so the client is not reset before it reads our answer.
async fn read_request(s: &mut TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn raw(answer: &'static [u8]) -> std::net::SocketAddr {
    raw_server(move |mut s| async move {
        read_request(&mut s).await;
        let _ = s.write_all(answer).await;
        let _ = s.shutdown().await;
    })
}

#[test]
fn hostile_servers_get_clear_statuses_and_the_run_goes_on() {
    let trickle = raw_server(|mut s| async move {
        read_request(&mut s).await;
        let _ = s
            .write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000000\r\n\r\n",
            )
            .await;
        for _ in 0..600 {
            if s.write_all(b"x").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let huge_header: &'static [u8] = Box::leak(
        format!(
            "HTTP/1.1 200 OK\r\nX-Big: {}\r\n\r\n",
            "a".repeat(2_000_000)
        )
        .into_bytes()
        .into_boxed_slice(),
    );
    let many_headers: &'static [u8] = Box::leak(
        format!(
            "HTTP/1.1 200 OK\r\n{}Content-Length: 0\r\n\r\n",
            (0..500)
                .map(|i| format!("X-H{i}: v\r\n"))
                .collect::<String>()
        )
        .into_bytes()
        .into_boxed_slice(),
    );
    let big_header = raw(huge_header);
    let many = raw(many_headers);
    let bad_status = raw(b"HTTP/1.1 abc Nope\r\nContent-Length: 0\r\n\r\n");
    let garbage = raw(b"hello there, this is not HTTP\r\n\r\n");
    let cut = raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n<html>short",
    );

    let bomb = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            e.write_all(&zeros).unwrap();
        }
        e.finish().unwrap()
    };
    let (gbk, _, _) = encoding_rs::GBK.encode(
        "<html><head><title>国务院常务会议</title></head><body><article><p>发布时间：2018-04-12</p>\
         <p>4月12日，国务院总理李克强主持召开国务院常务会议，确定发展“互联网+医疗健康”措施。</p></article></body></html>",
    );
    let gbk = gbk.into_owned();
    let web = Server::start(
        Router::new()
            .route(
                "/endless",
                get(|| async {
                    let chunk = bytes::Bytes::from(vec![b'a'; 64 * 1024]);
                    let stream = futures::stream::repeat_with(move || {
                        Ok::<_, std::io::Error>(chunk.clone())
                    });
                    (
                        [(header::CONTENT_TYPE, "text/html")],
                        Body::from_stream(stream),
                    )
                        .into_response()
                }),
            )
            .route(
                "/bomb",
                get(move || {
                    let bomb = bomb.clone();
                    async move {
                        (
                            [
                                (header::CONTENT_TYPE, "text/html"),
                                (header::CONTENT_ENCODING, "gzip"),
                            ],
                            bomb,
                        )
                            .into_response()
                    }
                }),
            )
            .route(
                "/liar",
                get(move || {
                    let gbk = gbk.clone();
                    async move {
                        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], gbk).into_response()
                    }
                }),
            )
            .route("/fine", get(|| async { "fine" })),
    );

    let dir = tempfile::tempdir().unwrap();
    let urls = [
        format!("http://{trickle}/slow"),
        format!("http://{big_header}/big"),
        format!("http://{many}/many"),
        format!("http://{bad_status}/status"),
        format!("http://{garbage}/garbage"),
        format!("http://{cut}/cut"),
        web.url("/endless"),
        web.url("/bomb"),
        web.url("/liar"),
        web.url("/fine"),
    ];
    let text: String = urls
        .iter()
        .map(|u| format!("- 2018年4月12日，国务院常务会议确定发展“互联网+医疗健康”措施。 {u}\n"))
        .collect();
    let r = report(dir.path(), "r.md", &text);
    let cfg = std::path::PathBuf::from(common::fast_config(
        dir.path(),
        "max_body_bytes = 1048576\n",
    ));
    // A hostile server never hangs the run: the command's own time limit (see
    // `common::citecheck`) would fail this test.
    let (doc, code) = check_json(&[
        r.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--allow-private",
        "--timeout",
        "2",
        "--max-retries",
        "1",
    ]);
    assert_eq!(code, 1);
    let link = |u: &str| citation(&doc, u)["link"].clone();
    let expect = |u: &str, status: &str, reason: &str, needle: &str| {
        let l = link(u);
        assert_eq!(l["status"], status, "{u}: {l:#}");
        assert_eq!(l["reason"], reason, "{u}: {l:#}");
        let err = l["error"].as_str().unwrap_or_default();
        assert!(err.contains(needle), "{u}: error {err:?} lacks {needle:?}");
    };
    expect(
        &urls[0],
        "timeout",
        "timeout",
        "no complete answer within 2 s",
    );
    expect(&urls[1], "broken", "invalid_http", "invalid HTTP response");
    expect(&urls[2], "broken", "invalid_http", "invalid HTTP response");
    expect(&urls[3], "broken", "invalid_http", "invalid HTTP response");
    expect(&urls[4], "broken", "invalid_http", "invalid HTTP response");
    expect(&urls[5], "unreachable", "connection_closed", "closed");
    expect(
        &urls[6],
        "ok",
        "body_too_large",
        "larger than 1048576 bytes",
    );
    expect(
        &urls[7],
        "ok",
        "body_too_large",
        "larger than 1048576 bytes",
    );
    let liar = citation(&doc, &urls[8]);
    assert_eq!(liar["link"]["status"], "ok");
    assert_eq!(
        liar["verdict"], "supported",
        "a page lying about its charset is read: {liar:#}"
    );
    assert_eq!(link(&urls[9])["status"], "ok");
    assert_eq!(link(&urls[9])["reason"], serde_json::Value::Null);
}

#[test]
fn redirect_to_a_private_address_from_a_public_name_is_excluded() {
    // public.test resolves (by a fixed answer) to 127.0.0.1: caught after resolution.
    let web = Server::start(Router::new().route("/x", get(|| async { "x" })));
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[fetch.resolve]\n\"public.test\" = \"127.0.0.1\"\n").unwrap();
    let url = format!("http://public.test:{}/x", web.addr.port());
    let r = report(dir.path(), "r.md", &format!("See {url} now.\n"));
    let (doc, _) = check_json(&[r.to_str().unwrap(), "--config", cfg.to_str().unwrap()]);
    let l = &citation(&doc, &url)["link"];
    assert_eq!(l["status"], "excluded");
    assert_eq!(l["reason"], "private_address");
    assert!(
        l["error"]
            .as_str()
            .unwrap()
            .contains("public.test resolves to 127.0.0.1"),
        "{l:#}"
    );
    assert!(web.log.hits().is_empty());
}
