//! Politeness as the servers see it: per-host gaps under contention for global slots,
//! for retries, redirects and probes alike.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{StampedAnswer, StampedServer, check_json, report};

const PAGE: &str = "<html><head><title>Zephyr Council approves Quokka plan</title></head>\
<body><article><h1>Zephyr Council approves Quokka plan</h1>\
<p>On 12 April 2018 the Zephyr Council approved the Quokka reforestation plan for the \
Wombat valley, with 3000 hectares of new forest.</p></article></body></html>";

/// The smallest gap between two requests to one host, and that host.
fn min_gap(s: &StampedServer) -> (Duration, String) {
    let mut min = (Duration::MAX, String::new());
    for (host, at) in s.by_host() {
        for w in at.windows(2) {
            if w[1].at - w[0].at < min.0 {
                min = (w[1].at - w[0].at, host.clone());
            }
        }
    }
    min
}

fn page(_: &str) -> StampedAnswer {
    (
        200,
        "content-type: text/html; charset=utf-8\r\n".to_owned(),
        PAGE.to_owned(),
    )
}

/// Settings: `hosts` names resolved to 127.0.0.1, quick retries, then `extra`.
fn config(dir: &std::path::Path, hosts: &[String], extra: &str) -> String {
    let resolve: String = hosts
        .iter()
        .map(|h| format!("\"{h}\" = \"127.0.0.1\"\n"))
        .collect();
    let p = dir.join("c.toml");
    std::fs::write(
        &p,
        format!(
            "[fetch]\nretry_base_ms = 10\nallow_private = true\n{extra}\n[fetch.resolve]\n{resolve}"
        ),
    )
    .unwrap();
    p.display().to_string()
}

#[test]
fn per_host_gaps_hold_when_global_slots_are_scarce() {
    // 3 hosts share 2 global slots; every answer takes 100 ms, so a request that got its
    // host's turn often waits for a slot. The gap between two requests to one host must
    // still be at least 1/rate when they leave (the kernel's receive stamps).
    let s = StampedServer::start(Duration::from_millis(100), page);
    let hosts: Vec<String> = ["a", "b", "c"].iter().map(|h| format!("{h}.test")).collect();
    let dir = tempfile::tempdir().unwrap();
    let port = s.addr.port();
    let text: String = (0..8)
        .flat_map(|i| {
            hosts
                .iter()
                .map(move |h| format!("- item http://{h}:{port}/p{i}\n"))
        })
        .collect();
    let r = report(dir.path(), "r.md", &text);
    let cfg = config(
        dir.path(),
        &hosts,
        "host_rate = 5.0\nmax_concurrency = 2\nsoft404_probe = false\n",
    );
    let (doc, code) = check_json(&[r.to_str().unwrap(), "--config", &cfg]);
    assert_eq!(code, 0, "{doc:#}");
    let by_host = s.by_host();
    assert_eq!(by_host.len(), 3);
    assert!(by_host.values().all(|v| v.len() == 8), "{by_host:?}");
    let (gap, host) = min_gap(&s);
    assert!(
        gap >= Duration::from_millis(195),
        "two requests to {host} left {gap:?} apart (1/rate = 200 ms)"
    );
}

#[test]
fn retries_redirects_and_probes_keep_the_gap() {
    // One host: a redirect chain, a flaky page retried after 503s, and the soft-404 probe.
    let flaky = std::sync::atomic::AtomicUsize::new(0);
    let s = StampedServer::start(Duration::ZERO, move |path| {
        if let Some(n) = path.strip_prefix("/hop/") {
            let n: u32 = n.parse().unwrap_or(0);
            if n < 3 {
                return (302, format!("location: /hop/{}\r\n", n + 1), String::new());
            }
        } else if path == "/flaky" {
            if flaky.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 2 {
                return (503, String::new(), String::new());
            }
        } else if path.contains("citecheck-probe") {
            return (404, String::new(), String::new());
        }
        page(path)
    });
    let hosts = vec!["one.test".to_owned()];
    let dir = tempfile::tempdir().unwrap();
    let port = s.addr.port();
    let r = report(
        dir.path(),
        "r.md",
        &format!(
            "- a http://one.test:{port}/hop/0\n- b http://one.test:{port}/flaky\n- c http://one.test:{port}/page\n"
        ),
    );
    let cfg = config(
        dir.path(),
        &hosts,
        "host_rate = 10.0\nhost_concurrency = 2\nmax_concurrency = 1\nsoft404_probe = true\n",
    );
    let (doc, code) = check_json(&[r.to_str().unwrap(), "--config", &cfg]);
    assert_eq!(code, 0, "{doc:#}");
    let by_host = s.by_host();
    let hits = &by_host[&format!("one.test:{port}")];
    // 4 hops + 3 tries + 1 page + 1 probe.
    assert_eq!(hits.len(), 9, "{hits:?}");
    let (gap, _) = min_gap(&s);
    let gaps: Vec<Duration> = hits.windows(2).map(|w| w[1].at - w[0].at).collect();
    assert!(gap >= Duration::from_millis(95), "gap {gap:?} < 1/rate: {gaps:?} {hits:?}");
}
