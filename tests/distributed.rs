//! One audit over several processes sharing a real PostgreSQL queue and store (see
//! `common::pg`): every URL checked exactly once, the same report as one process,
//! politeness that holds across workers, and nothing lost when a worker is killed.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns unwrap freely

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use common::{Server, StampedAnswer, StampedServer, citecheck, citecheck_process, report};

const SUPPORTING: &str = "<html><head><title>Hainan and Alibaba Cloud</title></head><body>\
    <article><h1>Hainan and Alibaba Cloud sign smart-island agreement</h1><p>Hainan signed a \
    smart-island cooperation agreement with Alibaba Cloud on 12 April 2018, covering cloud \
    computing, data centres and digital government services across the province.</p></article>\
    </body></html>";
const DRIFTED: &str = "<html><head><title>Weather</title></head><body><article><h1>Weather \
    report</h1><p>Sunny skies are expected over the coast this weekend, with light winds and \
    mild temperatures in the afternoon; rain returns on Monday.</p></article></body></html>";
const CLAIM: &str =
    "2018-04-12: Hainan signed a smart-island cooperation agreement with Alibaba Cloud";

/// Pages by the end of their path: `…gone` is 404, `…drift` a page that no longer says
/// it, `…slow` answers after 300 ms, anything else the supporting page.
fn web() -> Server {
    async fn page(uri: Uri) -> Response {
        let p = uri.path();
        if p.ends_with("gone") {
            return StatusCode::NOT_FOUND.into_response();
        }
        if p.ends_with("slow") {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let body = if p.ends_with("drift") {
            DRIFTED
        } else {
            SUPPORTING
        };
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
    }
    Server::start(Router::new().fallback(page))
}

/// Settings: `hosts` names h0.test… resolved to 127.0.0.1, quick and local, then `extra`.
fn config(dir: &Path, hosts: usize, extra: &str) -> String {
    let mut text = format!(
        "[fetch]\nretry_base_ms = 10\nmax_retries = 0\nallow_private = true\n\
         soft404_probe = false\n{extra}\n[fetch.resolve]\n"
    );
    for h in 0..hosts {
        text.push_str(&format!("\"h{h}.test\" = \"127.0.0.1\"\n"));
    }
    let p = dir.join("c.toml");
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// A report citing `per_host` pages on each of `hosts` hosts (one in five cited twice),
/// every path ending in one of `kinds` in turn.
fn web_report(dir: &Path, port: u16, hosts: usize, per_host: usize, kinds: &[&str]) -> String {
    let mut text = String::from("# Audit\n\n");
    let mut n = 0;
    for h in 0..hosts {
        for p in 0..per_host {
            let kind = kinds[n % kinds.len()];
            let url = format!("http://h{h}.test:{port}/h{h}/p{p}{kind}");
            text.push_str(&format!("- {CLAIM} {url}\n"));
            if n % 5 == 0 {
                text.push_str(&format!("- Again: {CLAIM} {url}\n"));
            }
            n += 1;
        }
    }
    report(dir, "report.md", &text).display().to_string()
}

/// Plan a run (`--plan-only`) on `store`; its id.
fn plan(store: &str, cfg: &str, report: &str, extra: &[&str]) -> i64 {
    let out = citecheck()
        .args(["check", report, "--config", cfg, "--store", store])
        .args(["--distributed", "--plan-only", "--no-progress"])
        .args(extra)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "plan: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.trim().parse().unwrap()
}

/// A run planned (`--plan-only`, then `args`) on `store`: `per_host` pages on each of
/// `hosts` hosts of the web on `port`, every path ending in `kind`, under settings
/// `extra`. The directory (keep it alive), the config file and the run id.
fn planned(
    store: &str,
    port: u16,
    hosts: usize,
    per_host: usize,
    kind: &str,
    extra: &str,
    args: &[&str],
) -> (tempfile::TempDir, String, i64) {
    let dir = tempfile::tempdir().unwrap();
    let r = web_report(dir.path(), port, hosts, per_host, &[kind]);
    let cfg = config(dir.path(), hosts, extra);
    let run = plan(store, &cfg, &r, args);
    (dir, cfg, run)
}

fn worker(store: &str, cfg: &str, run: i64, extra: &[&str]) -> Child {
    citecheck_process()
        .args(["worker", "--store", store, "--config", cfg])
        .args(["--run", &run.to_string()])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait for a worker; the number of items it says it checked.
fn finish(child: Child) -> usize {
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "worker failed: {err}");
    err.lines()
        .find_map(|l| l.split("worker done: ").nth(1))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary: {err}"))
}

fn report_json(store: &str, run: i64) -> Value {
    let out = citecheck()
        .args(["report", "--run", &run.to_string(), "--store", store])
        .args(["--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Per citation (file, line, URL): link status and verdict.
fn outcomes(doc: &Value) -> BTreeMap<(String, i64, String), (String, String)> {
    doc["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                (
                    c["source"]["path"].as_str().unwrap_or_default().to_owned(),
                    c["source"]["line"].as_i64().unwrap_or_default(),
                    c["url"].as_str().unwrap_or_default().to_owned(),
                ),
                (
                    c["link"]["status"].as_str().unwrap_or_default().to_owned(),
                    c["verdict"].as_str().unwrap_or_default().to_owned(),
                ),
            )
        })
        .collect()
}

/// Requests per path (robots.txt aside).
fn hits_per_path(s: &Server) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for h in s.log.hits() {
        if h.path != "/robots.txt" {
            *m.entry(h.path).or_insert(0) += 1;
        }
    }
    m
}

/// Run `f` against the store, on a runtime of its own.
fn sql<T>(store: &str, f: impl AsyncFnOnce(sqlx::PgPool) -> T) -> T {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let pool = sqlx::PgPool::connect(store).await.unwrap();
        let r = f(pool.clone()).await;
        pool.close().await;
        r
    })
}

#[test]
fn three_workers_check_every_url_once_and_agree_with_one_process() {
    let Some(pg) = common::pg::server() else {
        return;
    };
    let store = pg.database();
    let s = web();
    let dir = tempfile::tempdir().unwrap();
    let hosts = 12;
    let r = web_report(
        dir.path(),
        s.addr.port(),
        hosts,
        6,
        &["", "gone", "drift", "", "x"],
    );
    let cfg = config(
        dir.path(),
        hosts,
        "host_rate = 40.0\nhost_concurrency = 2\nmax_concurrency = 6\n",
    );
    // One process, with a store of its own (so that the history fields compare too).
    let alone = pg.database();
    let out = citecheck()
        .args([
            "check",
            &r,
            "--config",
            &cfg,
            "--format",
            "json",
            "--no-progress",
        ])
        .args(["--store", &alone])
        .output()
        .unwrap();
    let single: Value = serde_json::from_slice(&out.stdout).unwrap();
    let urls = hits_per_path(&s).len();
    assert_eq!(urls, hosts * 6);
    s.log.hits.lock().unwrap().clear();

    // The planner, then three workers (and the planner works too, by default; here
    // it only plans so the three share all of it).
    let run = plan(&store, &cfg, &r, &[]);
    let workers: Vec<Child> = (0..3)
        .map(|_| worker(&store, &cfg, run, &["--items-in-flight", "4"]))
        .collect();
    let done: Vec<usize> = workers.into_iter().map(finish).collect();
    assert_eq!(done.iter().sum::<usize>(), urls, "{done:?}");
    assert!(
        done.iter().filter(|&&n| n > 0).count() >= 2,
        "the work was not shared: {done:?}"
    );
    let hits = hits_per_path(&s);
    assert_eq!(hits.len(), urls);
    assert!(
        hits.values().all(|&n| n == 1),
        "a URL was fetched more than once: {hits:?}"
    );

    let combined = report_json(&store, run);
    assert_eq!(combined["complete"], true, "{combined:#}");
    let (a, b) = (outcomes(&single), outcomes(&combined));
    assert_eq!(a.len(), hosts * 6 + (hosts * 6).div_ceil(5));
    assert_eq!(a, b);
    let summary = |d: &Value| {
        let mut s = d["summary"].clone();
        s.as_object_mut().unwrap().remove("elapsed_ms");
        s
    };
    assert_eq!(summary(&single), summary(&combined));
    let history = |d: &Value| -> Vec<Value> {
        d["citations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["history"]["change"].clone())
            .collect()
    };
    assert_eq!(history(&single), history(&combined));

    // The store holds each citation once, and the run is finished and complete.
    let (citations, complete): (i64, i64) = sql(&store, async |p| {
        sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM citations WHERE run_id = $1), \
             (SELECT complete FROM runs WHERE id = $1)",
        )
        .bind(run)
        .fetch_one(&p)
        .await
        .unwrap()
    });
    assert_eq!(usize::try_from(citations).unwrap(), a.len());
    assert_eq!(complete, 1);

    // `citecheck runs` shows the items.
    let out = citecheck()
        .args(["runs", "--store", &store, "--format", "json"])
        .output()
        .unwrap();
    let runs: Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = &runs["runs"][0]["items"];
    assert_eq!(items["done"], i64::try_from(urls).unwrap(), "{runs:#}");
    assert_eq!(items["left"], 0);
}

#[test]
fn the_planner_works_too_and_writes_the_report() {
    let Some(pg) = common::pg::server() else {
        return;
    };
    let store = pg.database();
    let s = web();
    let dir = tempfile::tempdir().unwrap();
    let r = web_report(dir.path(), s.addr.port(), 3, 4, &["", "gone"]);
    let cfg = config(dir.path(), 3, "host_rate = 100.0\n");
    let out = citecheck()
        .args(["check", &r, "--config", &cfg, "--store", &store])
        .args(["--distributed", "--format", "json", "--no-progress"])
        .output()
        .unwrap();
    // Broken links fail the run, as with one process.
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["complete"], true);
    let statuses: Vec<&str> = doc["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["link"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), 12 + 3);
    assert!(statuses.contains(&"broken") && statuses.contains(&"ok"));
}

#[test]
fn distributed_with_sqlite_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let r = report(dir.path(), "r.md", &format!("- {CLAIM} http://h0.test/x\n"));
    let db = format!("sqlite://{}", dir.path().join("h.db").display());
    for args in [
        vec![
            "check",
            r.to_str().unwrap(),
            "--store",
            &db,
            "--distributed",
        ],
        vec!["worker", "--store", &db],
    ] {
        let out = citecheck().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("PostgreSQL") && err.contains("SQLite"),
            "{err}"
        );
    }
    assert!(!dir.path().join("h.db").exists());
}

/// A stamped server whose paths start with `/hN/`: each answer takes `delay`, and the
/// most requests in flight at once per host are counted.
/// Per host: requests in flight now, and the most at once.
type Flight = Arc<Mutex<HashMap<String, (usize, usize)>>>;

fn stamped(delay: Duration) -> (StampedServer, Flight) {
    let flight: Flight = Arc::default();
    let f = Arc::clone(&flight);
    let s = StampedServer::start(Duration::ZERO, move |path: &str| -> StampedAnswer {
        let host = path.split('/').nth(1).unwrap_or_default().to_owned();
        {
            let mut m = f.lock().unwrap();
            let e = m.entry(host.clone()).or_default();
            e.0 += 1;
            e.1 = e.1.max(e.0);
        }
        std::thread::sleep(delay);
        f.lock().unwrap().get_mut(&host).unwrap().0 -= 1;
        (
            200,
            "content-type: text/html; charset=utf-8\r\n".to_owned(),
            SUPPORTING.to_owned(),
        )
    });
    (s, flight)
}

#[test]
fn politeness_holds_across_three_workers() {
    let Some(pg) = common::pg::server() else {
        return;
    };
    let store = pg.database();
    // Answers take 250 ms and the rate allows one request per 100 ms: without the fleet's
    // limits three workers would each keep their own 100 ms and 2 in flight per host (up
    // to 6 at once); with them, never more than 2 nor closer than 100 ms.
    let (s, flight) = stamped(Duration::from_millis(250));
    let hosts = 3;
    let extra = "host_rate = 10.0\nhost_concurrency = 2\nmax_concurrency = 8\n";
    let (_dir, cfg, run) = planned(&store, s.addr.port(), hosts, 10, "", extra, &[]);
    // Two items in flight per worker: no single worker can take all of it.
    let workers: Vec<Child> = (0..3)
        .map(|_| worker(&store, &cfg, run, &["--items-in-flight", "2"]))
        .collect();
    let done: Vec<usize> = workers.into_iter().map(finish).collect();
    assert_eq!(done.iter().sum::<usize>(), hosts * 10);
    assert!(done.iter().filter(|&&n| n > 0).count() >= 2, "{done:?}");
    let by_host = s.by_host();
    assert_eq!(by_host.len(), hosts);
    for (host, stamps) in &by_host {
        assert_eq!(stamps.len(), 10, "{host}");
        let gaps: Vec<Duration> = stamps.windows(2).map(|w| w[1].at - w[0].at).collect();
        let min = gaps.iter().min().unwrap();
        // Stamped on arrival: the fleet spaces the turns 100 ms apart, and each request
        // then crosses its worker's scheduling on a loaded 2-core machine (seen: one gap
        // of 94.98 ms while nine such tests ran at once). Without the fleet's limits the
        // workers' requests to a host arrive close together (gaps near 0).
        assert!(
            *min >= Duration::from_millis(90),
            "two requests to {host} left {min:?} apart (1/rate = 100 ms): {gaps:?}"
        );
    }
    let flight = flight.lock().unwrap();
    assert!(
        flight.values().all(|&(_, max)| max <= 2),
        "more than host_concurrency in flight: {flight:?}"
    );
    assert!(
        flight.values().any(|&(_, max)| max == 2),
        "the concurrency was never used: {flight:?}"
    );
    let report = report_json(&store, run);
    assert_eq!(report["complete"], true);
}

const FALLBACK: &str = "<html><head><title>Portal</title></head><body><main><h1>Welcome \
    to the portal</h1><p>Find services, news and contacts for residents and businesses in \
    one place; use the search box above to look for a page by its title.</p></main></body></html>";

/// Hosts h0, h2, … answer a path they do not have with 404; h1, h3, … with their home
/// page (`FALLBACK`), as pages ending in `moved` do on every host.
fn probed_web() -> Server {
    async fn page(uri: Uri, headers: axum::http::HeaderMap) -> Response {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        let odd = host
            .split('.')
            .next()
            .and_then(|h| h.trim_start_matches('h').parse::<usize>().ok())
            .is_some_and(|n| n % 2 == 1);
        let p = uri.path();
        let body = if p.starts_with("/citecheck-probe-") {
            if !odd {
                return StatusCode::NOT_FOUND.into_response();
            }
            FALLBACK
        } else if p.ends_with("moved") {
            FALLBACK
        } else {
            SUPPORTING
        };
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
    }
    Server::start(Router::new().fallback(page))
}

#[test]
fn three_workers_send_one_soft_404_probe_per_host() {
    let Some(pg) = common::pg::server() else {
        return;
    };
    let store = pg.database();
    let s = probed_web();
    let dir = tempfile::tempdir().unwrap();
    let hosts = 6;
    let r = web_report(dir.path(), s.addr.port(), hosts, 8, &["", "moved", ""]);
    let cfg = config(
        dir.path(),
        hosts,
        "host_rate = 40.0\nhost_concurrency = 2\nmax_concurrency = 8\nsoft404_probe = true\n",
    );
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, text.replacen("soft404_probe = false\n", "", 1)).unwrap();
    let run = plan(&store, &cfg, &r, &[]);
    let workers: Vec<Child> = (0..3)
        .map(|_| worker(&store, &cfg, run, &["--items-in-flight", "2"]))
        .collect();
    let done: Vec<usize> = workers.into_iter().map(finish).collect();
    assert_eq!(done.iter().sum::<usize>(), hosts * 8);
    assert!(done.iter().filter(|&&n| n > 0).count() >= 2, "{done:?}");
    // One probe per host from the whole fleet (each worker probed on its own before).
    let mut probes: BTreeMap<String, usize> = BTreeMap::new();
    for h in s.log.hits() {
        if h.path.starts_with("/citecheck-probe-") {
            *probes.entry(h.host.clone()).or_default() += 1;
        }
    }
    assert_eq!(probes.len(), hosts, "{probes:?}");
    assert!(probes.values().all(|&n| n == 1), "{probes:?}");
    // And the shared answer is used: on the hosts that answer a random path with their
    // home page, a cited page that is that home page is a soft 404 for every worker.
    let doc = report_json(&store, run);
    assert_eq!(doc["complete"], true);
    for ((_, _, url), (status, _)) in outcomes(&doc) {
        let host: usize = url
            .split("//h")
            .nth(1)
            .and_then(|u| u.split('.').next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        let expect = if url.ends_with("moved") && host % 2 == 1 {
            "soft_404"
        } else {
            "ok"
        };
        assert_eq!(status, expect, "{url}");
    }
}

#[test]
fn a_batch_lease_keeps_each_host_within_its_concurrency() {
    let Some(pg) = common::pg::server() else {
        return;
    };
    let store = pg.database();
    // One worker that may hold 64 items takes them in batches: still never more than a
    // host's concurrency (2) leased per host, as the store itself shows while it works.
    let (s, _flight) = stamped(Duration::from_millis(150));
    let hosts = 3;
    let extra = "host_rate = 50.0\nhost_concurrency = 2\nmax_concurrency = 16\n";
    let (_dir, cfg, run) = planned(&store, s.addr.port(), hosts, 10, "", extra, &[]);
    let w = worker(&store, &cfg, run, &["--items-in-flight", "64"]);
    let most: BTreeMap<String, i64> = sql(&store, async |p| {
        let mut most = BTreeMap::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            assert!(
                Instant::now() < deadline,
                "the worker did not finish: {most:?}"
            );
            let rows: Vec<(String, i64)> = sqlx::query_as(
                "SELECT host, COUNT(*) FROM work_items WHERE run_id = $1 \
                 AND state = 'leased' GROUP BY host",
            )
            .bind(run)
            .fetch_all(&p)
            .await
            .unwrap();
            for (host, n) in rows {
                let e = most.entry(host).or_insert(0);
                *e = (*e).max(n);
            }
            let open: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM work_items WHERE run_id = $1 AND state <> 'done'",
            )
            .bind(run)
            .fetch_one(&p)
            .await
            .unwrap();
            if open == 0 {
                return most;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    assert_eq!(finish(w), hosts * 10);
    assert_eq!(most.len(), hosts, "{most:?}");
    assert!(most.values().all(|&n| n <= 2), "{most:?}");
    assert!(most.values().any(|&n| n == 2), "{most:?}");
}

#[test]
fn a_killed_worker_loses_its_leases_to_the_others() {
    let Some(pg) = common::pg::server() else {
        return;
    };
    let store = pg.database();
    let s = web();
    let hosts = 4;
    let extra = "host_rate = 20.0\nhost_concurrency = 1\nmax_concurrency = 4\n";
    let lease = ["--lease-timeout", "2s"];
    let (_dir, cfg, run) = planned(&store, s.addr.port(), hosts, 5, "slow", extra, &lease);
    // The first worker leases up to 4 items (one per host) and is killed mid-fetch.
    let mut first = worker(&store, &cfg, run, &[]);
    let t0 = Instant::now();
    while s.log.hits().len() < 2 {
        assert!(t0.elapsed() < Duration::from_secs(30), "no request came");
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = sql(&store, async |p| {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM work_items WHERE run_id = $1 AND state = 'leased'",
        )
        .bind(run)
        .fetch_one(&p)
        .await
        .unwrap()
    });
    first.kill().unwrap();
    let _ = first.wait();
    assert!(killed >= 1);
    let others: Vec<Child> = (0..2).map(|_| worker(&store, &cfg, run, &[])).collect();
    let done: usize = others.into_iter().map(finish).sum();
    let urls = hosts * 5;
    let (done_first, retaken, citations): (i64, i64, i64) = sql(&store, async |p| {
        sqlx::query_as(
            "SELECT \
             (SELECT COUNT(*) FROM work_items WHERE run_id = $1 AND state = 'done' \
              AND attempts = 1 AND done_by IS NOT NULL), \
             (SELECT COUNT(*) FROM work_items WHERE run_id = $1 AND state = 'done' \
              AND attempts = 2), \
             (SELECT COUNT(*) FROM citations WHERE run_id = $1)",
        )
        .bind(run)
        .fetch_one(&p)
        .await
        .unwrap()
    });
    // Whatever the killed worker held was done again by the others, once.
    assert_eq!(usize::try_from(done_first + retaken).unwrap(), urls);
    assert!(done <= urls && done >= urls - 4, "{done}");
    assert!(retaken >= 1, "no lease was taken over");
    let hits = hits_per_path(&s);
    assert_eq!(hits.len(), urls);
    let report = report_json(&store, run);
    assert_eq!(report["complete"], true, "{report:#}");
    let rows = report["citations"].as_array().unwrap();
    assert_eq!(rows.len(), urls + urls.div_ceil(5));
    assert_eq!(usize::try_from(citations).unwrap(), rows.len());
    assert!(rows.iter().all(|c| c["link"]["status"] == "ok"));
}

#[test]
fn a_slow_item_keeps_its_lease_by_the_heartbeat() {
    let Some(pg) = common::pg::server() else {
        return;
    };
    let store = pg.database();
    // Pages take 2.5 s, the lease only 1 s: without the heartbeat a second worker would
    // take every item over and fetch it again.
    let (s, _) = stamped(Duration::from_millis(2500));
    let extra = "host_rate = 10.0\ntimeout = 10\n";
    let lease = ["--lease-timeout", "1s"];
    let (_dir, cfg, run) = planned(&store, s.addr.port(), 2, 1, "", extra, &lease);
    let first = worker(&store, &cfg, run, &[]);
    std::thread::sleep(Duration::from_millis(800));
    let second = worker(&store, &cfg, run, &[]);
    let done = finish(first) + finish(second);
    assert_eq!(done, 2);
    let by_host = s.by_host();
    assert!(by_host.values().all(|v| v.len() == 1), "{by_host:?}");
    let attempts: Vec<i64> = sql(&store, async |p| {
        sqlx::query_scalar("SELECT attempts FROM work_items WHERE run_id = $1")
            .bind(run)
            .fetch_all(&p)
            .await
            .unwrap()
    });
    assert_eq!(attempts, [1, 1]);
}

#[test]
fn workers_reconnect_after_postgresql_restarts() {
    let Some(pg) = common::pg::Dedicated::start() else {
        return;
    };
    let store = pg.database();
    let s = web();
    let hosts = 4;
    let extra = "host_rate = 20.0\nhost_concurrency = 1\nmax_concurrency = 4\n";
    let lease = ["--lease-timeout", "3s"];
    let (_dir, cfg, run) = planned(&store, s.addr.port(), hosts, 6, "slow", extra, &lease);
    let workers: Vec<Child> = (0..2).map(|_| worker(&store, &cfg, run, &[])).collect();
    let t0 = Instant::now();
    while s.log.hits().len() < 6 {
        assert!(t0.elapsed() < Duration::from_secs(30), "no request came");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The database goes away mid-run (connections cut) and comes back 2 s later.
    pg.down();
    std::thread::sleep(Duration::from_secs(2));
    pg.up();
    let done: usize = workers.into_iter().map(finish).sum();
    let urls = hosts * 6;
    let report = report_json(&store, run);
    assert_eq!(report["complete"], true, "{report:#}");
    let rows = report["citations"].as_array().unwrap();
    assert_eq!(rows.len(), urls + urls.div_ceil(5));
    assert!(rows.iter().all(|c| c["link"]["status"] == "ok"));
    // Each item's results are kept once, whoever finished it.
    let citations: i64 = sql(&store, async |p| {
        sqlx::query_scalar("SELECT COUNT(*) FROM citations WHERE run_id = $1")
            .bind(run)
            .fetch_one(&p)
            .await
            .unwrap()
    });
    assert_eq!(usize::try_from(citations).unwrap(), rows.len());
    assert_eq!(done, urls);
}
