//! `--save-evidence DIR`: every page verified, live or archived, kept as WARC/1.1
//! request and response records; read back record by record with the `warc` crate's
//! reader (an independent parser) and re-inspected with `citecheck inspect`.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use common::archive::{FakeArchive, Raw, page};
use common::{Server, citation, citecheck, report};
use serde_json::Value;
use warc::{RecordType, WarcHeader, WarcReader};

fn bridge() -> Vec<u8> {
    page(
        "Harbour bridge opens",
        "<p>The Quokka Harbour bridge opened to traffic, the city's transport office said.</p>",
        "2018-04-12T09:00:00+08:00",
    )
}

#[test]
fn verified_pages_live_and_archived_are_kept_as_warc_records() {
    let site = Server::start(
        Router::new()
            .route(
                "/alive",
                get(|| async {
                    (
                        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                        bridge(),
                    )
                        .into_response()
                }),
            )
            .fallback(|| async { StatusCode::NOT_FOUND }),
    );
    let archive = FakeArchive::new();
    let fake = common::archive::start(Arc::clone(&archive));
    let gone = site.url("/gone");
    archive.add(&gone, "20180412120000", "200", Raw::page(bridge()));
    let raw = fake.url(&format!("/web/20180412120000id_/{gone}"));

    let dir = tempfile::tempdir().unwrap();
    let r = report(
        dir.path(),
        "2018-04-report.md",
        &format!(
            "- On 12 April 2018, the “Quokka Harbour” bridge opened to traffic. {}\n\
             - On 12 April 2018, the “Quokka Harbour” bridge opened to traffic. {gone}\n",
            site.url("/alive")
        ),
    );
    let evidence = dir.path().join("evidence");
    let out = citecheck()
        .env_remove("CITECHECK_NO_ARCHIVE")
        .args([
            "check",
            r.to_str().unwrap(),
            "--allow-private",
            "--host-rate",
            "100",
        ])
        .args([
            "--no-progress",
            "--format",
            "json",
            "--archive-endpoint",
            &fake.url(""),
        ])
        .args(["--save-evidence", evidence.to_str().unwrap()])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(citation(&doc, &gone)["archive"]["verdict"], "supported");

    let files: Vec<_> = std::fs::read_dir(&evidence)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "one WARC file per run: {files:?}");
    let file = &files[0];
    assert!(file.extension().is_some_and(|e| e == "warc"));

    // Record by record, with the warc crate's reader.
    let mut types = Vec::new();
    let mut responses: BTreeMap<String, (String, Vec<u8>)> = BTreeMap::new();
    let mut requests: BTreeMap<String, String> = BTreeMap::new();
    // (`WarcReader::from_path` of warc 0.4.0 opens the file with `create` but no write
    // access, which std refuses: open it here.)
    let reader = std::io::BufReader::new(std::fs::File::open(file).unwrap());
    for record in WarcReader::new(reader).iter_records() {
        let record = record.unwrap_or_else(|e| panic!("not a valid WARC record: {e}"));
        assert_eq!(record.warc_version(), "1.1");
        types.push(record.warc_type().to_string());
        let uri = record
            .header(WarcHeader::TargetURI)
            .map(|u| u.into_owned())
            .unwrap_or_default();
        match record.warc_type() {
            RecordType::Response => {
                let block = record.body().to_vec();
                let end = block.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                let payload = &block[end..];
                assert_eq!(
                    record.header(WarcHeader::PayloadDigest).unwrap(),
                    citecheck::warc::sha1_digest(payload),
                    "{uri}"
                );
                assert_eq!(
                    record.header(WarcHeader::BlockDigest).unwrap(),
                    citecheck::warc::sha1_digest(&block)
                );
                assert!(block.starts_with(b"HTTP/1.1 200 OK\r\n"), "{uri}");
                if uri.ends_with("/alive") {
                    // The answer's own headers are kept (the length is the payload's).
                    let head = String::from_utf8_lossy(&block[..end]);
                    assert!(
                        head.contains("\r\ncontent-type: text/html; charset=utf-8\r\n"),
                        "{head}"
                    );
                }
                responses.insert(uri, (record.warc_id().to_owned(), payload.to_vec()));
            }
            RecordType::Request => {
                let to = record
                    .header(WarcHeader::ConcurrentTo)
                    .unwrap()
                    .into_owned();
                assert!(String::from_utf8_lossy(record.body()).starts_with("GET /"));
                requests.insert(uri, to);
            }
            _ => {}
        }
    }
    assert_eq!(types[0], "warcinfo");
    let want = [site.url("/alive"), raw.clone()];
    assert_eq!(
        responses.keys().cloned().collect::<Vec<_>>(),
        {
            let mut w = want.to_vec();
            w.sort();
            w
        },
        "one response per verified page: the live one and the archived capture"
    );
    for (uri, (id, payload)) in &responses {
        assert_eq!(payload, &bridge(), "{uri}");
        assert_eq!(requests.get(uri), Some(id), "the request record of {uri}");
    }

    // And the page is read back from the evidence as citecheck read it.
    for uri in &want {
        let o = citecheck()
            .args([
                "inspect",
                file.to_str().unwrap(),
                "--url",
                uri,
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let i: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(i["url"], uri.as_str());
        assert!(
            i["page"]["main_text"]
                .as_str()
                .unwrap()
                .contains("Quokka Harbour bridge opened"),
            "{i:#}"
        );
        assert_eq!(i["page"]["page_date"], "2018-04-12");
    }
    let o = citecheck()
        .args([
            "inspect",
            file.to_str().unwrap(),
            "--url",
            "http://nowhere.example/",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("no response record for http://nowhere.example/")
    );
}
