//! End-to-end runs of `citecheck extract`: the seed report, bad input of every kind, and
//! output plumbing (files, pipes). No network.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns unwrap freely

mod common;

use std::io::Read as _;
use std::process::Stdio;

use common::{citecheck, report};

fn seed() -> String {
    format!(
        "{}/reports/2018-04-internet-plus.md",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn extract_json(args: &[&str]) -> (serde_json::Value, i32, String) {
    let out = citecheck()
        .arg("extract")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    (
        doc,
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn extract_lists_every_citation_of_the_seed_with_its_line() {
    let (doc, code, _) = extract_json(&[&seed()]);
    assert_eq!(code, 0);
    assert_eq!(doc["mode"], "extract");
    let cits = doc["citations"].as_array().unwrap();
    assert_eq!(
        cits.len(),
        66,
        "68 hrefs minus the two page-break fragments"
    );
    assert_eq!(doc["summary"]["citations"], 66);
    let first = &cits[0];
    assert_eq!(first["source"]["line"], 33);
    assert_eq!(
        first["url"],
        "http://www.gov.cn/guowuyuan/2018-04/12/content_5282000.htm"
    );
    assert!(first["link"].is_null() && first["verdict"].is_null());
    assert_eq!(first["claim"]["date"], "2018-04-12");
    // entities decoded
    assert!(cits.iter().any(|c| c["url"]
        == "http://info.hebei.gov.cn/eportal/ui?pageId=6778557&articleKey=6787788&columnId=329982"));
    // the page-break repairs
    let ifeng = cits
        .iter()
        .find(|c| c["url"] == "http://news.ifeng.com/a/20180411/57472785_0.shtml")
        .expect("joined ifeng URL");
    assert_eq!(ifeng["written_url"], "http://news.ifeng.com/a/20180411/574");
    assert!(!ifeng["repairs"].as_array().unwrap().is_empty());
    assert!(
        cits.iter()
            .all(|c| c["url"] != "#" && c["url"] != "/t20180327_524178302.shtml")
    );

    let md = citecheck().args(["extract", &seed()]).output().unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("## Citations (66)"), "{md}");
}

#[test]
fn bad_input_gets_one_clear_error_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    report(d, "good.md", "A source: https://example.org/a.\n");
    report(d, "empty.md", "");
    std::fs::write(d.join("binary.md"), [0u8, 159, 146, 150, 0, 1, 2, 3, 0, 0]).unwrap();
    // GBK-encoded report: decoded, not rejected.
    let (gbk, _, _) =
        encoding_rs::GBK.encode("4月12日，国务院发布通知 http://www.gov.cn/x.htm 。\n");
    std::fs::write(d.join("gbk.md"), &gbk).unwrap();
    std::fs::write(d.join("notes.xlsx"), b"PK\x03\x04").unwrap();
    // A Word report that is not a zip: one error naming it.
    std::fs::write(d.join("notes.docx"), b"PK\x03\x04").unwrap();
    std::os::unix::fs::symlink(d.join("missing-target.md"), d.join("dangling.md")).unwrap();
    let sub = d.join("loop");
    std::fs::create_dir(&sub).unwrap();
    std::os::unix::fs::symlink(d, sub.join("back")).unwrap();
    let long_line = format!("x{} https://example.org/long\n", " word".repeat(2_000_000));
    report(d, "longline.txt", &long_line);

    let fifo = d.join("pipe.md");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let missing = d.join("nope.md");
    let (doc, code, stderr) = extract_json(&[
        d.to_str().unwrap(),
        missing.to_str().unwrap(),
        fifo.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "input errors give exit code 2: {stderr}");
    let urls: Vec<&str> = doc["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["url"].as_str().unwrap())
        .collect();
    assert!(urls.contains(&"https://example.org/a"), "{urls:?}");
    assert!(
        urls.contains(&"http://www.gov.cn/x.htm"),
        "GBK decoded: {urls:?}"
    );
    assert!(urls.contains(&"https://example.org/long"), "{urls:?}");
    let errors = doc["errors"].as_array().unwrap();
    let names: Vec<String> = errors
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_owned())
        .collect();
    for bad in [
        "binary.md",
        "dangling.md",
        "nope.md",
        "pipe.md",
        "notes.docx",
    ] {
        assert!(
            names.iter().any(|n| n.ends_with(bad)),
            "{bad} not in {names:?}"
        );
    }
    assert!(
        !names
            .iter()
            .any(|n| n.ends_with("good.md") || n.ends_with("empty.md"))
    );
    assert_eq!(
        doc["summary"]["skipped_files"], 2,
        "notes.xlsx and the FIFO under the directory are skipped and counted"
    );
}

#[test]
fn oversized_reports_are_rejected_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.md");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(200 * 1024 * 1024).unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[report]\nmax_file_bytes = 1048576\n").unwrap();
    let (doc, code, _) = extract_json(&[big.to_str().unwrap(), "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 2);
    let e = &doc["errors"][0];
    assert!(e["path"].as_str().unwrap().ends_with("big.md"));
    assert!(e["message"].as_str().unwrap().contains("large"), "{e}");
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    // Output far larger than a pipe buffer, so writing must hit the closed pipe.
    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..20_000)
        .map(|i| format!("- Item {i}: https://example.org/page/{i}\n"))
        .collect();
    let big = report(dir.path(), "big.md", &text);
    let mut child = common::citecheck_process()
        .args(["extract", big.to_str().unwrap(), "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read a little, then close our end like `| head -c 100`.
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = [0u8; 100];
    stdout.read_exact(&mut buf).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
