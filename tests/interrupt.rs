//! Ctrl-C: the first stops new requests and writes what was checked (exit 130); the
//! second exits at once; JSON Lines output keeps every result already known.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns unwrap freely

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use common::{Server, citecheck_process, report};

fn slow_web() -> Server {
    Server::start(
        Router::new()
            .route(
                "/fast",
                get(|| async { "<html><body><p>fast</p></body></html>" }),
            )
            .route(
                "/hang/{n}",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    "late"
                }),
            ),
    )
}

fn spawn(report: &std::path::Path, format: &str) -> Child {
    citecheck_process()
        .args([
            "check",
            report.to_str().unwrap(),
            "--format",
            format,
            "--allow-private",
        ])
        .args(["--host-rate", "100", "--host-concurrency", "8"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn sigint(child: &Child) {
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

/// Wait until the server has seen the fast page and every hanging request.
fn wait_for_requests(s: &Server, hanging: usize) {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(30) {
        let hits = s.log.hits();
        if hits.iter().any(|h| h.path == "/fast")
            && hits.iter().filter(|h| h.path.starts_with("/hang/")).count() >= hanging
        {
            // Give the fast result time to reach the consumer.
            std::thread::sleep(Duration::from_millis(300));
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("requests did not arrive: {:?}", s.log.hits());
}

fn write_report(dir: &std::path::Path, s: &Server) -> std::path::PathBuf {
    let mut text = format!("- fast {}\n", s.url("/fast"));
    for i in 0..4 {
        text.push_str(&format!("- slow {}\n", s.url(&format!("/hang/{i}"))));
    }
    report(dir, "r.md", &text)
}

#[test]
fn first_ctrl_c_writes_what_was_checked_and_exits_130() {
    let s = slow_web();
    let dir = tempfile::tempdir().unwrap();
    let r = write_report(dir.path(), &s);
    let child = spawn(&r, "json");
    wait_for_requests(&s, 4);
    let t0 = Instant::now();
    sigint(&child);
    let out = child.wait_with_output().unwrap();
    assert!(
        t0.elapsed() < Duration::from_secs(15),
        "grace period is short"
    );
    assert_eq!(out.status.code(), Some(130));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["complete"], false);
    assert_eq!(doc["summary"]["unchecked"], 4);
    let cits = doc["citations"].as_array().unwrap();
    assert_eq!(cits.len(), 1);
    assert_eq!(cits[0]["url"], s.url("/fast"));
    assert_eq!(cits[0]["link"]["status"], "ok");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("interrupted"), "{stderr}");
}

#[test]
fn second_ctrl_c_exits_at_once_and_streamed_results_are_kept() {
    let s = slow_web();
    let dir = tempfile::tempdir().unwrap();
    let r = write_report(dir.path(), &s);
    let child = spawn(&r, "jsonl");
    wait_for_requests(&s, 4);
    sigint(&child);
    std::thread::sleep(Duration::from_millis(300));
    let t0 = Instant::now();
    sigint(&child);
    let out = child.wait_with_output().unwrap();
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "second Ctrl-C exits at once"
    );
    assert_eq!(out.status.code(), Some(130));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "run");
    let fast = lines
        .iter()
        .find(|l| l["type"] == "citation" && l["url"] == s.url("/fast"))
        .unwrap_or_else(|| panic!("the checked result was streamed: {text}"));
    assert_eq!(fast["link"]["status"], "ok");
}
