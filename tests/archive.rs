//! Archived copies of dead and drifted citations, end to end: the binary against a site
//! and a fake archive ([`common::archive`]) on 127.0.0.1, speaking the CDX API, Memento
//! TimeMaps and raw captures.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use common::archive::{FakeArchive, Raw, page};
use common::{Server, citation, citecheck, report};
use serde_json::Value;

const HTML: &str = "text/html; charset=utf-8";

fn bridge() -> Vec<u8> {
    page(
        "Harbour bridge opens",
        "<p>The Quokka Harbour bridge opened to traffic, the city's transport office said.</p>",
        "2018-04-11T09:00:00+08:00",
    )
}

fn council() -> Vec<u8> {
    page(
        "Council approves budget",
        "<p>The Wombat Valley council approved the budget for the coming year.</p>",
        "2018-04-12T09:00:00+08:00",
    )
}

fn ferry() -> Vec<u8> {
    page(
        "Ferry back in service",
        "<p>The Quokka Harbour ferry resumed service after the storm, the operator said.</p>",
        "2018-04-12T09:00:00+08:00",
    )
}

fn unrelated() -> Vec<u8> {
    page(
        "Roadworks update",
        "<p>Lane closures continue on the coastal road until further notice.</p>",
        "2018-04-20T09:00:00+08:00",
    )
}

/// The cited site: `/alive` supports its claim, `/drift` is alive but says something
/// else now, every other path is gone (404).
fn site() -> Server {
    Server::start(
        Router::new()
            .route(
                "/alive",
                get(|| async { ([(header::CONTENT_TYPE, HTML)], bridge()).into_response() }),
            )
            .route(
                "/drift",
                get(|| async { ([(header::CONTENT_TYPE, HTML)], unrelated()).into_response() }),
            )
            .fallback(|| async { StatusCode::NOT_FOUND }),
    )
}

/// A config file that lets the archive go fast (tests only).
fn fast_archive(dir: &Path) -> PathBuf {
    let p = dir.join("archive.toml");
    std::fs::write(&p, "[archive]\nrate = 50\n").unwrap();
    p
}

/// `check` with the archive on, pointed at `endpoint`.
fn check_with_archive(args: &[&str], endpoint: &str) -> (Value, i32, String) {
    let out = citecheck()
        .env_remove("CITECHECK_NO_ARCHIVE")
        .arg("check")
        .args(args)
        .args(["--allow-private", "--host-rate", "100", "--no-progress"])
        .args(["--archive-endpoint", endpoint, "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stderr}"));
    (doc, out.status.code().unwrap_or(-1), stderr)
}

#[test]
fn the_capture_closest_to_the_claim_that_supports_it_is_offered() {
    let site = site();
    let archive = FakeArchive::new();
    let fake = common::archive::start(Arc::clone(&archive));
    let u = |p: &str| site.url(p);
    let a = |p: &str| fake.url(p);
    // /bridge: the captures on the claim date are a 302 and a 404 in the index, and one
    // whose raw fetch is a redirect; after the claim date the page says something else;
    // the day before it supports the claim.
    archive.add(&u("/bridge"), "20180412100000", "302", Raw::redirect("/x"));
    archive.add(&u("/bridge"), "20180412090000", "404", Raw::status(404));
    archive.add(
        &u("/bridge"),
        "20180412080000",
        "200",
        Raw::redirect(&a(&format!("/web/20180411000000id_/{}", u("/bridge")))),
    );
    archive.add(
        &u("/bridge"),
        "20180420000000",
        "200",
        Raw::page(unrelated()),
    );
    archive.add(&u("/bridge"), "20180411000000", "200", Raw::page(bridge()));
    // /council: the capture on the claim date supports it; a later one does not.
    archive.add(
        &u("/council"),
        "20180412120000",
        "200",
        Raw::page(council()),
    );
    archive.add(
        &u("/council"),
        "20180415000000",
        "200",
        Raw::page(unrelated()),
    );
    // /drift is alive but drifted; its capture supports the claim.
    archive.add(&u("/drift"), "20180413000000", "200", Raw::page(ferry()));
    // /onlybad: the index says 200, the raw capture is a 404.
    archive.add(&u("/onlybad"), "20180413000000", "200", Raw::status(404));
    // /stale: the only capture does not support the claim either.
    archive.add(
        &u("/stale"),
        "20180413000000",
        "200",
        Raw::page(unrelated()),
    );

    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "# Report, April 2018\n\n\
         - On 12 April 2018, the “Quokka Harbour” bridge opened to traffic. {}\n\
         - On 12 April 2018, the “Wombat Valley” council approved the budget. {}\n\
         - On 12 April 2018, the “Quokka Harbour” ferry resumed service after the storm. {}\n\
         - On 12 April 2018, the “Emu Plains” library reopened. {}\n\
         - On 12 April 2018, the “Bilby Creek” dam was completed. {}\n\
         - On 12 April 2018, the “Wombat Valley” council approved the budget. {}\n\
         - On 12 April 2018, the “Quokka Harbour” bridge opened to traffic. {}\n",
        u("/bridge"),
        u("/council"),
        u("/drift"),
        u("/nocaps"),
        u("/onlybad"),
        u("/stale"),
        u("/alive"),
    );
    let r = report(dir.path(), "2018-04-report.md", &text);
    let config = fast_archive(dir.path());
    let md = dir.path().join("r.md");
    let html = dir.path().join("r.html");
    let (doc, code, stderr) = check_with_archive(
        &[
            r.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            &format!("--report=markdown={}", md.display()),
            &format!("--report=html={}", html.display()),
        ],
        &fake.url(""),
    );
    assert_eq!(code, 1, "broken links fail the run: {stderr}");

    let bridge = &citation(&doc, &u("/bridge"))["archive"];
    assert_eq!(
        bridge["url"],
        a(&format!("/web/20180411000000/{}", u("/bridge"))),
        "{bridge:#}"
    );
    assert_eq!(bridge["timestamp"], "2018-04-11T00:00:00Z");
    assert_eq!(bridge["status"], "ok");
    assert_eq!(bridge["verdict"], "supported");
    assert_eq!(bridge["evidence"]["page_date"], "2018-04-11");
    assert_eq!(
        bridge["tried"], 3,
        "the raw redirect, the later page, the day before"
    );
    assert_eq!(bridge["reason"], Value::Null);
    // Index rows with 302/404 were never fetched; the raw redirect was not followed.
    for ts in ["20180412100000", "20180412090000"] {
        assert!(archive.hits_to(&format!("/web/{ts}")).is_empty(), "{ts}");
    }
    assert_eq!(archive.hits_to("/web/20180412080000id_/").len(), 1);
    assert_eq!(archive.hits_to("/x").len(), 0);
    assert_eq!(archive.hits_to("/web/20180411000000id_/").len(), 1);

    let council = &citation(&doc, &u("/council"))["archive"];
    assert_eq!(council["verdict"], "supported", "{council:#}");
    assert_eq!(council["tried"], 1);
    assert_eq!(council["timestamp"], "2018-04-12T12:00:00Z");
    assert!(
        archive.hits_to("/web/20180415000000id_/").is_empty(),
        "the earlier capture supports the claim: the later one is not fetched"
    );

    let drift = citation(&doc, &u("/drift"));
    assert_eq!(drift["link"]["status"], "ok");
    assert_eq!(drift["verdict"], "unsupported");
    assert_eq!(drift["archive"]["verdict"], "supported", "{drift:#}");

    let nocaps = &citation(&doc, &u("/nocaps"))["archive"];
    assert_eq!(nocaps["url"], Value::Null);
    assert_eq!(nocaps["reason"], "no_captures", "{nocaps:#}");
    assert_eq!(nocaps["tried"], 0);

    let onlybad = &citation(&doc, &u("/onlybad"))["archive"];
    assert_eq!(onlybad["reason"], "no_usable_capture", "{onlybad:#}");
    assert_eq!(onlybad["tried"], 1);

    let stale = &citation(&doc, &u("/stale"))["archive"];
    assert_eq!(stale["verdict"], "unsupported", "{stale:#}");
    assert!(stale["url"].is_string());

    // An alive, supported citation is not looked up: null, and no index query.
    assert_eq!(citation(&doc, &u("/alive"))["archive"], Value::Null);
    assert!(
        archive
            .hits_to("/cdx/")
            .iter()
            .all(|h| !h.target.contains("alive")),
        "{:?}",
        archive.hits()
    );

    let md = std::fs::read_to_string(&md).unwrap();
    let want = format!(
        "Replace with {} (archived 11 Apr 2018; supports the claim)",
        a(&format!("/web/20180411000000/{}", u("/bridge")))
    );
    assert!(md.contains(&want), "{md}");
    assert!(
        md.contains("but it does not support the claim either"),
        "{md}"
    );
    assert!(md.contains("No archived copy: no capture of"), "{md}");
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(html.contains("Replace with <a href="), "{html}");
    assert!(html.contains("(archived 11 Apr 2018; supports the claim)"));
    assert!(html.contains("but it does not support the claim either"));
}

#[test]
fn memento_timemaps_give_captures_too() {
    let site = site();
    let archive = FakeArchive::new();
    let fake = common::archive::start(Arc::clone(&archive));
    let u = |p: &str| site.url(p);
    let a = |p: &str| fake.url(p);
    archive.add(
        &u("/bridge"),
        "20180412080000",
        "200",
        Raw::redirect(&a(&format!("/web/20180411000000id_/{}", u("/bridge")))),
    );
    archive.add(
        &u("/bridge"),
        "20180420000000",
        "200",
        Raw::page(unrelated()),
    );
    archive.add(&u("/bridge"), "20180411000000", "200", Raw::page(bridge()));
    let dir = tempfile::tempdir().unwrap();
    let r = report(
        dir.path(),
        "2018-04-report.md",
        &format!(
            "- On 12 April 2018, the “Quokka Harbour” bridge opened to traffic. {}\n\
             - On 12 April 2018, the “Emu Plains” library reopened. {}\n",
            u("/bridge"),
            u("/nocaps")
        ),
    );
    let config = fast_archive(dir.path());
    let (doc, _, stderr) = check_with_archive(
        &[r.to_str().unwrap(), "--config", config.to_str().unwrap()],
        &format!("memento={}", fake.url("")),
    );
    let got = &citation(&doc, &u("/bridge"))["archive"];
    assert_eq!(
        got["url"],
        a(&format!("/web/20180411000000/{}", u("/bridge"))),
        "{got:#} {stderr}"
    );
    assert_eq!(got["verdict"], "supported");
    assert_eq!(got["tried"], 3);
    assert_eq!(archive.hits_to("/timemap/link/").len(), 2);
    // The TimeMap's 404 means no captures.
    assert_eq!(
        citation(&doc, &u("/nocaps"))["archive"]["reason"],
        "no_captures"
    );
}

#[test]
fn a_429_holds_the_whole_archive_until_retry_after_and_nothing_is_lost() {
    let site = site();
    let archive = FakeArchive::new();
    let fake = common::archive::start(Arc::clone(&archive));
    let u = |p: &str| site.url(p);
    for p in ["/a", "/b", "/c"] {
        archive.add(&u(p), "20180412120000", "200", Raw::page(bridge()));
    }
    archive.throttle(1, 2);
    let dir = tempfile::tempdir().unwrap();
    let r = report(
        dir.path(),
        "2018-04-report.md",
        &format!(
            "- On 12 April 2018, the “Quokka Harbour” bridge opened to traffic. {}\n\
             - On 12 April 2018, the “Quokka Harbour” bridge opened to traffic. {}\n\
             - On 12 April 2018, the “Quokka Harbour” bridge opened to traffic. {}\n",
            u("/a"),
            u("/b"),
            u("/c")
        ),
    );
    let config = fast_archive(dir.path());
    let (doc, _, stderr) = check_with_archive(
        &[r.to_str().unwrap(), "--config", config.to_str().unwrap()],
        &fake.url(""),
    );
    for p in ["/a", "/b", "/c"] {
        let got = &citation(&doc, &u(p))["archive"];
        assert_eq!(got["verdict"], "supported", "{p}: {got:#} {stderr}");
    }
    let hits = archive.hits();
    let throttled: Vec<_> = hits.iter().filter(|h| h.status == 429).collect();
    assert_eq!(throttled.len(), 1, "{hits:?}");
    let t429 = throttled[0].at;
    let after: Vec<Duration> = hits
        .iter()
        .filter(|h| h.at > t429)
        .map(|h| h.at - t429)
        .collect();
    assert_eq!(after.len(), hits.len() - 1, "{hits:?}");
    // Arrival times at the archive: nothing before the Retry-After ran out.
    let first = after.iter().min().unwrap();
    assert!(
        *first >= Duration::from_millis(1990),
        "a request reached the archive {first:?} after its 429 (Retry-After: 2)"
    );
    // 3 index queries (one retried) and 3 captures.
    assert_eq!(hits.len(), 7, "{hits:?}");
}

#[test]
fn the_archive_host_keeps_its_own_limit_under_a_fast_host_rate() {
    let site = site();
    let archive = FakeArchive::new();
    let fake = common::archive::start(Arc::clone(&archive));
    let u = |p: &str| site.url(p);
    let dir = tempfile::tempdir().unwrap();
    let r = report(
        dir.path(),
        "2018-04-report.md",
        &format!(
            "- On 12 April 2018, the “Emu Plains” library reopened. {}\n\
             - On 12 April 2018, the “Bilby Creek” dam was completed. {}\n",
            u("/gone1"),
            u("/gone2")
        ),
    );
    // Default archive settings (0.5 requests a second), `--host-rate 100` for the rest.
    let (doc, _, _) = check_with_archive(&[r.to_str().unwrap()], &fake.url(""));
    assert_eq!(
        citation(&doc, &u("/gone1"))["archive"]["reason"],
        "no_captures"
    );
    let hits = archive.hits();
    assert_eq!(hits.len(), 2, "{hits:?}");
    let gap = hits[1].at.max(hits[0].at) - hits[1].at.min(hits[0].at);
    assert!(
        gap >= Duration::from_millis(1990),
        "two archive requests {gap:?} apart (archive rate 0.5/s)"
    );
}

#[test]
fn an_unreachable_archive_costs_one_failure_per_run() {
    let site = site();
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&connections);
    // Accepts and hangs up at once: every request to it fails at the connection level.
    let addr = common::raw_server(move |stream| {
        seen.fetch_add(1, Ordering::SeqCst);
        async move { drop(stream) }
    });
    let u = |p: &str| site.url(p);
    let dir = tempfile::tempdir().unwrap();
    let paths = ["/g1", "/g2", "/g3", "/g4", "/g5"];
    let text: String = paths
        .iter()
        .map(|p| {
            format!(
                "- On 12 April 2018, the “Emu Plains” library reopened. {}\n",
                u(p)
            )
        })
        .collect();
    let r = report(dir.path(), "2018-04-report.md", &text);
    let config = fast_archive(dir.path());
    let (doc, code, stderr) = check_with_archive(
        &[r.to_str().unwrap(), "--config", config.to_str().unwrap()],
        &format!("http://{addr}"),
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(doc["complete"], true);
    for p in paths {
        let c = citation(&doc, &u(p));
        assert_eq!(c["link"]["status"], "broken");
        assert_eq!(c["archive"]["reason"], "archive_unreachable", "{c:#}");
        assert_eq!(c["archive"]["tried"], 0);
    }
    let n = connections.load(Ordering::SeqCst);
    // One failing request (with its retries: --max-retries defaults to 2), not one per
    // citation.
    assert!(
        (1..=3).contains(&n),
        "{n} connections to the unreachable archive"
    );
}

#[test]
fn no_archive_turns_the_lookups_off() {
    let site = site();
    let archive = FakeArchive::new();
    let fake = common::archive::start(Arc::clone(&archive));
    let dir = tempfile::tempdir().unwrap();
    let r = report(
        dir.path(),
        "r.md",
        &format!(
            "- On 12 April 2018, the library reopened. {}\n",
            site.url("/gone")
        ),
    );
    let (doc, _, _) = check_with_archive(&[r.to_str().unwrap(), "--no-archive"], &fake.url(""));
    assert_eq!(citation(&doc, &site.url("/gone"))["archive"], Value::Null);
    assert!(archive.hits().is_empty());
}

#[test]
fn max_lookups_bounds_the_index_queries_of_a_run() {
    let site = site();
    let archive = FakeArchive::new();
    let fake = common::archive::start(Arc::clone(&archive));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("archive.toml");
    std::fs::write(&config, "[archive]\nrate = 50\nmax_lookups = 1\n").unwrap();
    let r = report(
        dir.path(),
        "2018-04-report.md",
        &format!(
            "- On 12 April 2018, the “Emu Plains” library reopened. {}#top\n\
             - On 12 April 2018, the “Bilby Creek” dam was completed. {}\n",
            site.url("/gone1"),
            site.url("/gone2")
        ),
    );
    let (doc, _, _) = check_with_archive(
        &[r.to_str().unwrap(), "--config", config.to_str().unwrap()],
        &fake.url(""),
    );
    let reasons: Vec<&Value> = doc["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["archive"]["reason"])
        .collect();
    assert!(
        reasons.contains(&&Value::from("lookup_limit")),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&&Value::from("no_captures")),
        "{reasons:?}"
    );
    let hits = archive.hits();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(
        !hits[0].target.contains("%23top"),
        "no fragment in the query: {hits:?}"
    );
}

#[test]
fn a_verified_copy_is_remembered_by_the_history_store_and_not_asked_again() {
    let site = site();
    let archive = FakeArchive::new();
    let fake = common::archive::start(Arc::clone(&archive));
    archive.add(
        &site.url("/council"),
        "20180412120000",
        "200",
        Raw::page(council()),
    );
    let dir = tempfile::tempdir().unwrap();
    let r = report(
        dir.path(),
        "r.md",
        &format!(
            "- On 12 April 2018, the “Wombat Valley” council approved the budget. {}\n",
            site.url("/council")
        ),
    );
    let config = fast_archive(dir.path());
    let store = format!("sqlite://{}", dir.path().join("h.db").display());
    let args = [
        r.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--store",
        &store,
    ];
    let (first, _, stderr) = check_with_archive(&args, &fake.url(""));
    let a = &citation(&first, &site.url("/council"))["archive"];
    assert_eq!(a["verdict"], "supported", "{a}\n{stderr}");
    assert!(a.get("remembered").is_none());
    let asked = archive.hits().len();
    assert!(asked >= 2, "index and capture asked: {asked}");
    // The next audit: still dead, the copy comes from the store, the archive hears nothing.
    let (second, _, _) = check_with_archive(&args, &fake.url(""));
    let b = &citation(&second, &site.url("/council"))["archive"];
    assert_eq!(
        (b["remembered"].as_bool(), b["url"].clone()),
        (Some(true), a["url"].clone())
    );
    assert_eq!(b["verdict"], "supported");
    assert_eq!(
        archive.hits().len(),
        asked,
        "the archive was not asked again"
    );
    // Without the store it is asked again.
    let no_store = [&args[..3], &["--no-store"]].concat();
    check_with_archive(&no_store, &fake.url(""));
    assert!(archive.hits().len() > asked);
}
