//! Ctrl-C, SIGTERM and SIGHUP: the first stops new requests and writes what was checked
//! (exit 128 + the signal: 130, 143, 129); the second exits at once; JSON Lines output
//! keeps every result already known; a report file is replaced only by a whole report.
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
    spawn_with(report, format, &[])
}

fn spawn_with(report: &std::path::Path, format: &str, extra: &[&str]) -> Child {
    citecheck_process()
        .args([
            "check",
            report.to_str().unwrap(),
            "--format",
            format,
            "--allow-private",
        ])
        .args(extra)
        .args(["--host-rate", "100", "--host-concurrency", "8"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn sigint(child: &Child) {
    signal(child, "INT");
}

fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
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
    sigint(&child);
    let out = child.wait_with_output().unwrap();
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
    let mut child = spawn(&r, "jsonl");
    wait_for_requests(&s, 4);
    sigint(&child);
    wait_for_stderr_line(&mut child);
    sigint(&child);
    let out = child.wait_with_output().unwrap();
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
    // At once: the run did not get to finish its report (no closing line).
    assert!(lines.iter().all(|l| l["type"] != "end"), "{text}");
}

/// Wait until the first signal has been taken: citecheck says so on stderr.
fn wait_for_stderr_line(child: &mut Child) {
    use std::io::BufRead as _;
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufReader::new(stderr).lines();
    let line = lines.next().unwrap().unwrap();
    assert!(line.contains("interrupted"), "{line}");
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
}

#[test]
fn sigterm_and_sighup_write_the_partial_report_like_ctrl_c() {
    for (sig, code) in [("TERM", 143), ("HUP", 129)] {
        let s = slow_web();
        let dir = tempfile::tempdir().unwrap();
        let r = write_report(dir.path(), &s);
        let out_path = dir.path().join("audit.json");
        std::fs::write(&out_path, "{\"the\": \"old report\"}").unwrap();
        let child = spawn_with(&r, "json", &["-o", out_path.to_str().unwrap()]);
        wait_for_requests(&s, 4);
        signal(&child, sig);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(code), "SIG{sig}");
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
        assert_eq!(doc["complete"], false, "SIG{sig}");
        assert_eq!(doc["summary"]["unchecked"], 4);
        assert_eq!(doc["citations"][0]["url"], s.url("/fast"));
    }
}

#[test]
fn a_killed_run_leaves_the_previous_report_in_place() {
    let s = slow_web();
    let dir = tempfile::tempdir().unwrap();
    let r = write_report(dir.path(), &s);
    let out_path = dir.path().join("audit.json");
    std::fs::write(&out_path, "the old, good report").unwrap();
    let mut child = spawn_with(&r, "json", &["-o", out_path.to_str().unwrap()]);
    wait_for_requests(&s, 4);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        std::fs::read_to_string(&out_path).unwrap(),
        "the old, good report"
    );
}
