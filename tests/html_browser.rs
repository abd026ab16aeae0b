//! The HTML report in a real browser (Debian's chromium, headless, driven over the
//! DevTools protocol): the right number of rows, a filter click hides the others,
//! search and sort work, a hostile page title is shown as text and runs nothing, and
//! the page loads nothing from the network — neither from `file://` nor when served.
//!
//! Needs `chromium` on PATH (`apt-get install -y chromium`): a loud skip locally, a
//! failure in CI. `CITECHECK_SCREENSHOT=path.png` saves a screenshot (docs/).

#![allow(clippy::unwrap_used)]

mod common;

use std::ffi::OsStr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use common::{Server, citecheck, tools};
use headless_chrome::browser::tab::RequestPausedDecision;
use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions, Tab};

const CLAIM: &str = "On 12 April 2018, the “Quokka Harbour” bridge opened in Wellington.";

fn article(title: &str) -> String {
    format!(
        "<html><head><title>{title}</title></head><body><article><h1>Bridge</h1>\
         <p>Published 12 April 2018.</p><p>The Quokka Harbour bridge opened in Wellington on \
         12 April 2018, the council said. Thousands walked across the Quokka Harbour bridge \
         on its first day.</p></article></body></html>"
    )
}

fn eval(tab: &Tab, js: &str) -> serde_json::Value {
    tab.evaluate(js, false)
        .unwrap()
        .value
        .unwrap_or(serde_json::Value::Null)
}

fn visible_rows(tab: &Tab) -> u64 {
    eval(
        tab,
        "document.querySelectorAll('tr.row:not([hidden])').length",
    )
    .as_u64()
    .unwrap()
}

#[test]
fn the_html_report_works_in_a_real_browser() {
    let Some(chromium) = tools::require(
        &["chromium", "chromium-browser", "google-chrome"],
        "apt-get install -y chromium",
    ) else {
        return;
    };
    // A beacon: any request to it means something in the report reached the network.
    let beacon = Server::start(Router::new().fallback(|| async { StatusCode::NOT_FOUND }));
    let hostile_title = format!(
        "&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=\"{}\" onerror=\"window.__pwned=2\"&gt;Quokka",
        beacon.url("/pwned.png")
    );
    let web = Server::start(
        Router::new()
            .route(
                "/ok",
                get(|| async { Html(article("Quokka Harbour bridge opens")) }),
            )
            .route(
                "/hostile",
                get(move || {
                    let t = hostile_title.clone();
                    async move { Html(article(&t)) }
                }),
            )
            .route("/gone", get(|| async { StatusCode::NOT_FOUND }))
            .route("/forbidden", get(|| async { StatusCode::FORBIDDEN })),
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::create_dir_all(dir.path().join("reports")).unwrap();
    let mut a = String::new();
    for p in ["/ok", "/hostile", "/gone"] {
        a.push_str(&format!("- {CLAIM} {}\n", web.url(p)));
    }
    std::fs::write(dir.path().join("reports/a.md"), a).unwrap();
    std::fs::write(
        dir.path().join("reports/b.md"),
        format!(
            "- {CLAIM} {}\n- {CLAIM} {}\n",
            web.url("/gone?again"),
            web.url("/forbidden")
        ),
    )
    .unwrap();
    let html_path = dir.path().join("audit.html");
    let out = citecheck()
        .current_dir(dir.path())
        .args([
            "check",
            "reports",
            "--allow-private",
            "--host-rate",
            "100",
            "--no-progress",
        ])
        .args(["--report", &format!("html={}", html_path.display())])
        .args(["--report", "json=audit.json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("audit.json")).unwrap()).unwrap();
    let total = doc["citations"].as_array().unwrap().len() as u64;
    let broken = doc["summary"]["by_status"]["broken"].as_u64().unwrap();
    assert_eq!((total, broken), (5, 2));

    // The same page served over HTTP, to count what the browser asks for.
    let page = std::fs::read(&html_path).unwrap();
    let host = Server::start(Router::new().route(
        "/audit.html",
        get(move || {
            let p = page.clone();
            async move { ([("content-type", "text/html; charset=utf-8")], p) }
        }),
    ));

    let profile = tempfile::tempdir().unwrap();
    let args: Vec<&OsStr> = [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    .iter()
    .map(OsStr::new)
    .collect();
    let browser = Browser::new(LaunchOptions {
        path: Some(chromium),
        headless: true,
        sandbox: false,
        user_data_dir: Some(profile.path().to_path_buf()),
        window_size: Some((1280, 900)),
        args,
        ..LaunchOptions::default()
    })
    .unwrap();
    let tab = browser.new_tab().unwrap();
    // Every request the page makes passes through here.
    let requested: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = Arc::clone(&requested);
    tab.enable_fetch(None, None).unwrap();
    tab.enable_request_interception(Arc::new(
        move |_t, _s, event: headless_chrome::protocol::cdp::Fetch::events::RequestPausedEvent| {
            seen.lock().unwrap().push(event.params.request.url.clone());
            RequestPausedDecision::Continue(None)
        },
    ))
    .unwrap();

    // From file://.
    let file_url = url::Url::from_file_path(&html_path).unwrap().to_string();
    tab.navigate_to(&file_url)
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    assert_eq!(
        eval(&tab, "document.querySelectorAll('tr.row').length"),
        total
    );
    assert_eq!(visible_rows(&tab), total);
    assert_eq!(
        eval(&tab, "document.getElementById('controls').hidden"),
        false,
        "the script ran"
    );
    assert_eq!(
        eval(&tab, "typeof window.__pwned"),
        "undefined",
        "nothing injected ran"
    );
    let title = eval(
        &tab,
        "Array.from(document.querySelectorAll('.page-title')).map(e => e.textContent).find(t => t.includes('__pwned'))",
    );
    assert!(
        title
            .as_str()
            .unwrap()
            .starts_with("<script>window.__pwned=1</script><img src="),
        "the hostile title is text: {title}"
    );
    assert_eq!(
        eval(
            &tab,
            "document.querySelectorAll('main script, main img').length"
        ),
        0
    );

    // A filter click shows only that status; a second click shows all again.
    tab.find_element("button.card[data-filter-value='broken']")
        .unwrap()
        .click()
        .unwrap();
    assert_eq!(visible_rows(&tab), broken);
    assert_eq!(
        eval(
            &tab,
            "Array.from(document.querySelectorAll('tr.row:not([hidden])')).every(r => r.dataset.status === 'broken')"
        ),
        true
    );
    assert_eq!(
        eval(&tab, "document.getElementById('shown').textContent"),
        format!("{broken} of {total} shown")
    );
    if let Ok(shot) = std::env::var("CITECHECK_SCREENSHOT") {
        // The picture in the README: filtered to broken links, evidence opened.
        eval(
            &tab,
            "document.querySelectorAll('tr.row:not([hidden]) details').forEach(d => d.open = true)",
        );
        let png = tab
            .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
            .unwrap();
        std::fs::write(shot, png).unwrap();
    }
    tab.find_element("button.card[data-filter-value='broken']")
        .unwrap()
        .click()
        .unwrap();
    assert_eq!(visible_rows(&tab), total);
    // A report filter hides the other report's section.
    eval(
        &tab,
        "(() => { const s = document.getElementById('f-report'); s.value = 'reports/b.md'; s.dispatchEvent(new Event('change')); })()",
    );
    assert_eq!(visible_rows(&tab), 2);
    assert_eq!(
        eval(
            &tab,
            "document.querySelector('section.group[data-report=\"reports/a.md\"]').hidden"
        ),
        true
    );
    // Search.
    eval(
        &tab,
        "(() => { document.getElementById('f-clear').click(); const i = document.getElementById('f-text'); i.value = 'forbidden'; i.dispatchEvent(new Event('input')); })()",
    );
    assert_eq!(visible_rows(&tab), 1);
    eval(&tab, "document.getElementById('f-clear').click()");
    assert_eq!(visible_rows(&tab), total);
    // Sort by line, descending on the second click.
    let lines = "Array.from(document.querySelectorAll('section.group[data-report=\"reports/a.md\"] tr.row')).map(r => Number(r.dataset.line)).join(',')";
    assert_eq!(eval(&tab, lines), "1,2,3");
    let th = "section.group[data-report='reports/a.md'] th[data-sort='line']";
    tab.find_element(th).unwrap().click().unwrap();
    tab.find_element(th).unwrap().click().unwrap();
    assert_eq!(eval(&tab, lines), "3,2,1");

    // Served over HTTP: the page is the only request.
    tab.navigate_to(&host.url("/audit.html"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    assert_eq!(
        eval(&tab, "document.querySelectorAll('tr.row').length"),
        total
    );
    let hits: Vec<String> = host.log.hits().into_iter().map(|h| h.path).collect();
    assert_eq!(hits, ["/audit.html"], "no favicon, no asset, nothing else");
    assert!(
        beacon.log.hits().is_empty(),
        "the hostile title reached the network"
    );
    let requested = requested.lock().unwrap().clone();
    assert!(
        requested
            .iter()
            .all(|u| u.starts_with("file:") || *u == host.url("/audit.html")),
        "requests: {requested:?}"
    );

    // The detector detects: a page with an external image is seen asking for it.
    let control = dir.path().join("control.html");
    std::fs::write(
        &control,
        format!("<img src=\"{}\">", beacon.url("/control.png")),
    )
    .unwrap();
    tab.navigate_to(url::Url::from_file_path(&control).unwrap().as_ref())
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    let _ = tab.wait_for_element("img");
    for _ in 0..600 {
        if !beacon.log.hits().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(
        beacon.log.count("/control.png"),
        1,
        "the control request is seen"
    );
}
