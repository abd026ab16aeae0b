//! The history store, end to end, against real databases: a SQLite file in a temporary
//! directory and a real PostgreSQL server (see `common::pg`). Every scenario runs on both
//! back ends. Local servers change their answers between runs, and `--now` steps over
//! days.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns unwrap freely

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

use common::{Server, citation, citecheck, citecheck_process, report};

const SUPPORTING: &str = "<html><head><title>Hainan and Alibaba Cloud</title></head><body>\
    <article><h1>Hainan and Alibaba Cloud sign smart-island agreement</h1><p>Hainan signed a \
    smart-island cooperation agreement with Alibaba Cloud on 12 April 2018, covering cloud \
    computing, data centres and digital government services across the province.</p></article>\
    </body></html>";
const DRIFTED: &str = "<html><head><title>Weather</title></head><body><article><h1>Weather \
    report</h1><p>Sunny skies are expected over the coast this weekend, with light winds and \
    mild temperatures in the afternoon; rain returns on Monday.</p></article></body></html>";

/// What `/page` answers: 0 = the supporting page, 1 = 404, 2 = the drifted page, 3 = 500.
#[derive(Clone, Default)]
struct Mode(Arc<AtomicUsize>);

impl Mode {
    fn set(&self, m: usize) {
        self.0.store(m, Ordering::SeqCst);
    }
}

fn html(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn server(mode: &Mode) -> Server {
    async fn page(State(m): State<Mode>) -> Response {
        match m.0.load(Ordering::SeqCst) {
            0 => html(SUPPORTING),
            1 => StatusCode::NOT_FOUND.into_response(),
            2 => html(DRIFTED),
            _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }
    let router = Router::new()
        .route("/page", get(page))
        .route("/stable", get(|| async { html(SUPPORTING) }))
        .route("/gone", get(|| async { StatusCode::NOT_FOUND }))
        .route("/forbidden", get(|| async { StatusCode::FORBIDDEN }))
        .route(
            "/slow/{n}",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(150)).await;
                html(SUPPORTING)
            }),
        )
        .with_state(mode.clone());
    Server::start(router)
}

fn claim_report(dir: &Path, s: &Server, paths: &[&str]) -> String {
    let text: String = paths
        .iter()
        .map(|p| {
            format!(
                "- 2018-04-12: Hainan signed a smart-island cooperation agreement with Alibaba \
                 Cloud {}\n",
                s.url(p)
            )
        })
        .collect();
    report(dir, "report.md", &text).display().to_string()
}

fn config(dir: &Path) -> String {
    let p = dir.join("fast.toml");
    std::fs::write(
        &p,
        "[fetch]\nretry_base_ms = 10\nmax_retries = 0\nhost_rate = 1000.0\nhost_concurrency = 8\n\
         soft404_probe = false\nallow_private = true\n",
    )
    .unwrap();
    p.display().to_string()
}

/// One `check` at `day` (days after 2026-03-01) on `store`; JSON and exit code.
fn check(store: &str, cfg: &str, report: &str, day: u32, extra: &[&str]) -> (Value, i32) {
    let now = format!("2026-03-{:02}T06:00:00Z", day + 1);
    let out = citecheck()
        .args([
            "check", report, "--config", cfg, "--store", store, "--now", &now,
        ])
        .args(["--format", "json", "--no-progress"])
        .args(extra)
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (doc, out.status.code().unwrap_or(-1))
}

fn store_json(args: &[&str], store: &str) -> Value {
    let out = citecheck()
        .args(args)
        .args(["--store", store, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Run `scenario` on a fresh SQLite store and on a fresh PostgreSQL database.
fn on_both(scenario: impl Fn(&str, &Path)) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("history.db").display());
    scenario(&sqlite, dir.path());
    if let Some(pg) = common::pg::server() {
        let dir = tempfile::tempdir().unwrap();
        scenario(&pg.database(), dir.path());
    }
}

fn history<'a>(doc: &'a Value, url: &str) -> &'a Value {
    &citation(doc, url)["history"]
}

#[test]
fn dead_only_after_repeated_failures_over_days() {
    on_both(|store, dir| {
        let mode = Mode::default();
        let s = server(&mode);
        let cfg = config(dir);
        let r = claim_report(dir, &s, &["/page", "/forbidden"]);
        let page = s.url("/page");
        let dead_fail = ["--fail-on", "confirmed_dead"];

        mode.set(0);
        let (d, _) = check(store, &cfg, &r, 0, &[]);
        assert_eq!(history(&d, &page)["change"], "new_link");
        assert_eq!(d["summary"]["changes"]["new_link"], 2);

        // One failure: not dead.
        mode.set(1);
        let (d, code) = check(store, &cfg, &r, 1, &dead_fail);
        let h = history(&d, &page);
        assert_eq!(
            (
                h["change"].as_str(),
                h["failures"].as_u64(),
                h["confirmed_dead"].as_bool()
            ),
            (Some("new_failure"), Some(1), Some(false)),
            "{h}"
        );
        assert_eq!(h["previous_status"], "ok");
        assert_eq!(code, 0, "only confirmed_dead fails");
        // Three failures two days apart: still not dead.
        mode.set(3);
        check(store, &cfg, &r, 2, &[]);
        let (d, code) = check(store, &cfg, &r, 3, &dead_fail);
        let h = history(&d, &page);
        assert_eq!(
            (h["failures"].as_u64(), h["confirmed_dead"].as_bool()),
            (Some(3), Some(false))
        );
        assert_eq!(h["change"], "still_failing");
        assert_eq!(code, 0);
        // A fourth, four days after the first: confirmed dead.
        let (d, code) = check(store, &cfg, &r, 5, &dead_fail);
        let h = history(&d, &page);
        assert_eq!(h["confirmed_dead"], true, "{h}");
        assert_eq!(h["failing_since"], "2026-03-02T06:00:00Z");
        assert_eq!(d["summary"]["confirmed_dead"], 1);
        assert_eq!(code, 1, "--fail-on confirmed_dead fails the run");
        // blocked never confirms: 403 on every run over five days.
        let f = history(&d, &s.url("/forbidden"));
        assert_eq!(
            (f["failures"].as_u64(), f["confirmed_dead"].as_bool()),
            (Some(0), Some(false))
        );
        // A success resets.
        mode.set(0);
        let (d, _) = check(store, &cfg, &r, 6, &["--fail-on", "new_failure"]);
        let h = history(&d, &page);
        assert_eq!(
            (
                h["change"].as_str(),
                h["failures"].as_u64(),
                h["confirmed_dead"].as_bool()
            ),
            (Some("recovered"), Some(0), Some(false))
        );
        assert_eq!(h["last_ok"], "2026-03-07T06:00:00Z");
        assert_eq!(h["first_seen"], "2026-03-01T06:00:00Z");
        // ... and failures count again from one.
        mode.set(1);
        let (d, code) = check(store, &cfg, &r, 9, &["--fail-on", "new_failure"]);
        assert_eq!(history(&d, &page)["failures"], 1);
        assert_eq!(code, 1, "--fail-on new_failure fails on a new failure");

        // The commands see the same history.
        let runs = store_json(&["runs"], store);
        let runs = runs["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 7);
        assert!(
            runs.iter()
                .all(|r| r["complete"] == true && r["citations"] == 2)
        );
        assert_eq!(
            runs[0]["started_at"], "2026-03-10T06:00:00Z",
            "newest first"
        );
        let t = store_json(&["history", &page], store);
        let statuses: Vec<&str> = t["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["status"].as_str().unwrap())
            .collect();
        assert_eq!(
            statuses,
            ["ok", "broken", "broken", "broken", "broken", "ok", "broken"]
        );
        let diff = store_json(&["diff"], store);
        assert_eq!(
            diff["new_failures"].as_array().unwrap().len(),
            1,
            "{diff:#}"
        );
        assert_eq!(diff["new_failures"][0]["url"], page);
        assert_eq!(diff["new_failures"][0]["before"]["status"], "ok");
        let ids: Vec<i64> = runs.iter().map(|r| r["id"].as_i64().unwrap()).collect();
        let diff = store_json(
            &[
                "diff",
                "--from",
                &ids[2].to_string(),
                "--to",
                &ids[1].to_string(),
            ],
            store,
        );
        assert_eq!(diff["recovered"].as_array().unwrap().len(), 1, "{diff:#}");
    });
}

#[test]
fn a_page_that_drifts_changes_its_verdict() {
    on_both(|store, dir| {
        let mode = Mode::default();
        let s = server(&mode);
        let cfg = config(dir);
        let r = claim_report(dir, &s, &["/page"]);
        let page = s.url("/page");
        mode.set(0);
        let (d, _) = check(store, &cfg, &r, 0, &[]);
        assert_eq!(citation(&d, &page)["verdict"], "supported");
        let (d, _) = check(store, &cfg, &r, 1, &[]);
        let h = history(&d, &page);
        assert_eq!(
            (h["change"].as_str(), h["page_changed"].as_bool()),
            (Some("unchanged"), Some(false))
        );
        mode.set(2);
        let (d, _) = check(store, &cfg, &r, 2, &["--fail-on", "verdict_changed"]);
        let h = history(&d, &page);
        assert_eq!(citation(&d, &page)["verdict"], "unsupported");
        assert_eq!(
            (
                h["change"].as_str(),
                h["page_changed"].as_bool(),
                h["previous_verdict"].as_str()
            ),
            (Some("verdict_changed"), Some(true), Some("supported")),
            "{h}"
        );
        mode.set(0);
        let (d, _) = check(store, &cfg, &r, 3, &[]);
        let h = history(&d, &page);
        assert_eq!(
            (h["change"].as_str(), h["previous_verdict"].as_str()),
            (Some("verdict_changed"), Some("unsupported"))
        );
        // The Markdown report leads with the change, both evidences shown — here from
        // rows read back from the spill file, as in a large run.
        mode.set(2);
        let out = citecheck()
            .env("CITECHECK_SPILL_AFTER", "0")
            .args([
                "check",
                &r,
                "--config",
                &cfg,
                "--store",
                store,
                "--no-progress",
            ])
            .args(["--now", "2026-03-05T06:00:00Z"])
            .output()
            .unwrap();
        let md = String::from_utf8_lossy(&out.stdout);
        let changed = md.find("## Verdicts changed").expect("a change section");
        let unsupported = md.find("## Unsupported claims").expect("the usual section");
        assert!(changed < unsupported, "changes lead: {md}");
        assert!(
            md.contains("was **supported**, now **unsupported**"),
            "{md}"
        );
        assert!(md.contains("  - before: score"), "{md}");
    });
}

#[test]
fn max_age_reuses_a_fresh_good_result_and_never_a_failure() {
    on_both(|store, dir| {
        let mode = Mode::default();
        let s = server(&mode);
        let cfg = config(dir);
        let r = claim_report(dir, &s, &["/stable", "/gone"]);
        check(store, &cfg, &r, 0, &[]);
        let (stable, gone) = (s.log.count("/stable"), s.log.count("/gone"));
        assert_eq!((stable, gone), (1, 1));
        // An hour later with --max-age 2h: the good page is not fetched again.
        let (d, _) = check(store, &cfg, &r, 0, &["--max-age", "2h"]);
        assert_eq!(
            s.log.count("/stable"),
            1,
            "the server saw no request for /stable"
        );
        assert_eq!(s.log.count("/gone"), 2, "a failure is never reused");
        let c = citation(&d, &s.url("/stable"));
        assert_eq!(c["link"]["cached"], true);
        assert_eq!(
            c["verdict"], "supported",
            "verified against the stored page"
        );
        assert!(
            citation(&d, &s.url("/gone"))["link"]
                .get("cached")
                .is_none()
        );
        // Too old: fetched again.
        check(store, &cfg, &r, 1, &["--max-age", "2h"]);
        assert_eq!(s.log.count("/stable"), 2);
        // A changed claim is verified afresh against the stored page.
        let other = report(
            dir,
            "other.md",
            &format!(
                "- Weather: sunny skies over the coast this weekend {}\n",
                s.url("/stable")
            ),
        );
        let (d, _) = check(
            store,
            &cfg,
            &other.display().to_string(),
            1,
            &["--max-age", "2h"],
        );
        assert_eq!(s.log.count("/stable"), 2);
        assert_eq!(citation(&d, &s.url("/stable"))["verdict"], "unsupported");
    });
}

#[test]
fn a_killed_run_keeps_what_it_checked() {
    on_both(|store, dir| {
        let s = server(&Mode::default());
        let cfg = dir.join("slow.toml");
        std::fs::write(
            &cfg,
            "[fetch]\nhost_rate = 1000.0\nhost_concurrency = 1\nmax_concurrency = 1\n\
             soft404_probe = false\nallow_private = true\n",
        )
        .unwrap();
        let paths: Vec<String> = (0..60).map(|i| format!("/slow/{i}")).collect();
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let r = claim_report(dir, &s, &refs);
        let mut child = citecheck_process()
            .args([
                "check",
                &r,
                "--config",
                &cfg.display().to_string(),
                "--store",
                store,
            ])
            .args(["--no-progress", "--format", "json"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the store holds at least ten rows of the run (whatever the machine's
        // speed), then SIGKILL it mid-run.
        let until = Instant::now() + Duration::from_secs(60);
        let seen = loop {
            let n = store_json(&["runs"], store)["runs"][0]["citations"]
                .as_i64()
                .unwrap_or(0);
            if n >= 10 || Instant::now() > until {
                break n;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        child.kill().unwrap();
        child.wait().unwrap();
        let served = s.log.hits().len();
        assert!(served < 60, "killed before the end ({served} served)");
        let runs = store_json(&["runs"], store);
        let run = &runs["runs"][0];
        assert_eq!(run["complete"], false, "{runs:#}");
        assert!(run["finished_at"].is_null());
        let kept = run["citations"].as_i64().unwrap();
        assert!(
            kept >= 10 && kept >= seen,
            "kept {kept} (saw {seen}) of {served} served"
        );
        let t = store_json(&["history", &s.url("/slow/0")], store);
        assert_eq!(t["checks"][0]["status"], "ok");
        // The next run works, and its checks count as any others.
        let out = citecheck()
            .args([
                "check",
                &r,
                "--config",
                &cfg.display().to_string(),
                "--store",
                store,
            ])
            .args(["--no-progress", "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let d: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(history(&d, &s.url("/slow/0"))["change"], "unchanged");
        assert_eq!(history(&d, &s.url("/slow/59"))["change"], "new_link");
        let runs = store_json(&["runs"], store);
        assert_eq!(runs["runs"][0]["complete"], true);
    });
}

#[test]
fn two_runs_at_once_share_one_store() {
    on_both(|store, dir| {
        let s = server(&Mode::default());
        let cfg = config(dir);
        let paths: Vec<String> = (0..40).map(|i| format!("/slow/{i}")).collect();
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let r = claim_report(dir, &s, &refs);
        let spawn = || {
            citecheck_process()
                .args([
                    "check",
                    &r,
                    "--config",
                    &cfg,
                    "--store",
                    store,
                    "--no-progress",
                ])
                .args(["--format", "json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let d: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(d["citations"].as_array().unwrap().len(), 40);
        }
        let runs = store_json(&["runs"], store);
        let runs = runs["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 2);
        assert!(
            runs.iter()
                .all(|r| r["complete"] == true && r["citations"] == 40),
            "{runs:?}"
        );
        let t = store_json(&["history", &s.url("/slow/7")], store);
        assert_eq!(t["checks"].as_array().unwrap().len(), 2);
    });
}

#[test]
fn prune_drops_old_runs_and_keeps_the_last_check_of_every_url() {
    on_both(|store, dir| {
        let mode = Mode::default();
        let s = server(&mode);
        let cfg = config(dir);
        let both = claim_report(dir, &s, &["/stable", "/gone"]);
        let one = report(dir, "one.md", &format!("- Hainan {}\n", s.url("/stable")));
        // Old runs (2026-03): far older than a day.
        check(store, &cfg, &both, 0, &[]);
        check(store, &cfg, &both, 1, &[]);
        check(store, &cfg, &one.display().to_string(), 2, &[]);
        let out = citecheck()
            .args([
                "prune",
                "--older-than",
                "1d",
                "--store",
                store,
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let p: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(p["pruned"]["runs"], 1, "{p}");
        // /gone's last check (run 2) and /stable's (run 3) are kept; run 1 is gone.
        let runs = store_json(&["runs"], store);
        assert_eq!(runs["runs"].as_array().unwrap().len(), 2, "{runs}");
        assert_eq!(
            store_json(&["history", &s.url("/gone")], store)["checks"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            store_json(&["history", &s.url("/stable")], store)["checks"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    });
}

#[test]
fn a_store_that_cannot_be_opened_is_one_clear_error_and_the_report_is_still_written() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&Mode::default());
    let cfg = config(dir.path());
    let r = claim_report(dir.path(), &s, &["/stable"]);
    let out_file = dir.path().join("out.json");
    for bad in [
        "sqlite:///proc/citecheck-no-such-dir/h.db".to_owned(),
        "mysql://nowhere/x".to_owned(),
        format!("postgres://nobody@127.0.0.1:{}/x", unused_port()),
    ] {
        let out = citecheck()
            .args([
                "check",
                &r,
                "--config",
                &cfg,
                "--store",
                &bad,
                "--no-progress",
            ])
            .args([
                "--format",
                "json",
                "--output",
                &out_file.display().to_string(),
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(
            err.contains("history store") && err.contains("nothing was recorded"),
            "{err}"
        );
        let d: Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
        assert_eq!(citation(&d, &s.url("/stable"))["verdict"], "supported");
        assert!(citation(&d, &s.url("/stable"))["history"].is_null());
    }
    // --no-store: no store at all, history null, summary.changes null.
    let (d, code) = common::check_json(&[&r, "--config", &cfg, "--no-store"]);
    assert_eq!(code, 0);
    assert!(citation(&d, &s.url("/stable"))["history"].is_null());
    assert!(d["summary"]["changes"].is_null());
}

#[test]
fn the_default_store_is_created_in_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&Mode::default());
    let cfg = config(dir.path());
    let r = claim_report(dir.path(), &s, &["/stable"]);
    let out = citecheck_process()
        .env_remove("CITECHECK_STORE")
        .current_dir(dir.path())
        .args([
            "check",
            &r,
            "--config",
            &cfg,
            "--no-progress",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join(".citecheck/history.db").is_file());
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(history(&d, &s.url("/stable"))["change"], "new_link");
}

fn unused_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn an_excluded_link_is_not_new_on_every_run() {
    on_both(|store, dir| {
        let s = server(&Mode::default());
        let cfg = config(dir);
        let r = claim_report(dir, &s, &["/stable", "/gone"]);
        let skip = ["--exclude", "/gone$"];
        let (d, _) = check(store, &cfg, &r, 0, &skip);
        assert_eq!(citation(&d, &s.url("/gone"))["link"]["status"], "excluded");
        assert_eq!(history(&d, &s.url("/gone"))["change"], "new_link");
        let (d, _) = check(store, &cfg, &r, 1, &skip);
        let h = history(&d, &s.url("/gone"));
        assert_eq!(
            (h["change"].as_str(), h["failures"].as_u64()),
            (Some("unchanged"), Some(0))
        );
        assert_eq!(s.log.count("/gone"), 0);
        // and its timeline has no checks: it never reached the network
        let t = store_json(&["history", &s.url("/gone")], store);
        assert!(t["checks"].as_array().unwrap().is_empty(), "{t}");
    });
}
