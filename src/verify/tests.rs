//! End-to-end tests of the verify stage on byte inputs: read_page, then verify.

use chrono::NaiveDate;

use super::*;
use crate::model::{Claim, Keyword, Verdict};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
}

fn kw(term: &str, weight: f64) -> Keyword {
    Keyword {
        term: term.into(),
        weight,
    }
}

/// The seed-like claim: 2018-04-12, "互联网+医疗健康" meeting.
fn claim() -> Claim {
    Claim {
        text: "4月12日，国务院常务会议部署推进“互联网+医疗健康”发展".to_owned(),
        date: Some(d(2018, 4, 12)),
        date_end: None,
        keywords: vec![
            kw("互联网+医疗健康", 1.0),
            kw("国务院常务会议", 0.8),
            kw("远程医疗", 0.5),
            kw("互联网+", 0.1),
        ],
    }
}

const ARTICLE: &str = "国务院总理李克强主持召开国务院常务会议，部署推进“互联网＋医疗健康”发展，更好满足群众健康需求。\
    会议指出，要加快发展远程医疗，推动医联体内信息互通共享，让群众少跑腿。";
const OTHER: &str = "国家统计局今天发布数据，一季度国内生产总值同比增长6.8%，经济运行保持在合理区间，\
    就业形势总体稳定，居民收入继续增长，消费对经济增长的贡献率提高。";

fn news_page(head: &str, headline: &str, dateline: &str, article: &str, sidebar: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html><head>{head}<title>{headline}_中国政府网</title></head><body>
        <div class="header"><a href="/">首页</a> <a href="/zhengce">政策</a></div>
        <div class="main"><div class="article"><h1>{headline}</h1><div class="pages-date">{dateline}</div>
        <div id="UCAP-CONTENT"><p>{article}</p><p>{article}</p></div></div>
        <div class="sidebar"><h3>相关新闻</h3><ul><li><a href="/1">{sidebar}</a></li></ul></div></div>
        <div class="footer">版权所有 中国政府网</div></body></html>"#
    )
}

fn check(
    url: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> (PageInfo, Verdict, crate::model::Evidence) {
    let page = read_page(url, content_type, body);
    let (verdict, evidence) = verify(&claim(), &page, &VerifyOptions::default());
    (page, verdict, evidence)
}

/// name, URL, Content-Type, body, expected verdict.
type Case = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Vec<u8>,
    Verdict,
);

#[test]
fn verdicts_for_every_case() {
    let plain_url = "http://www.example.cn/news/content_1.htm";
    let dated_url = "http://www.gov.cn/xinwen/2018-04/12/content_5281960.htm";
    let gbk = |s: &str| encoding_rs::GBK.encode(s).0.into_owned();
    let title = "李克强主持召开国务院常务会议";
    let cases: Vec<Case> = vec![
        ("supported, date in text", plain_url, None,
            news_page("", title, "发布时间：2018-04-12 20:31", ARTICLE, "无关新闻").into_bytes(), Verdict::Supported),
        ("supported, GBK with meta", plain_url, None,
            gbk(&news_page(r#"<meta charset="gbk">"#, title, "2018年04月12日 20:31", ARTICLE, "无关")), Verdict::Supported),
        ("supported, GBK with nothing declared", plain_url, Some("text/html"),
            gbk(&news_page("", title, "2018年04月12日 20:31", ARTICLE, "无关")), Verdict::Supported),
        ("supported, GBK lying header", plain_url, Some("text/html; charset=utf-8"),
            gbk(&news_page("", title, "2018年04月12日", ARTICLE, "无关")), Verdict::Supported),
        ("supported, date only in meta", plain_url, None,
            news_page(r#"<meta name="firstpublishedtime" content="2018-04-13-09:00:00">"#, title, "来源：新华社", ARTICLE, "无关").into_bytes(), Verdict::Supported),
        ("supported, date only in URL", dated_url, None,
            news_page("", title, "来源：新华社", ARTICLE, "无关").into_bytes(), Verdict::Supported),
        ("supported, month-day in article", plain_url, None,
            news_page("", title, "来源：新华社", &format!("4月12日，{ARTICLE}"), "无关").into_bytes(), Verdict::Supported),
        ("partial, another year", "http://www.gov.cn/xinwen/2016-04/12/content_1.htm", None,
            news_page("", title, "发布时间：2016-04-12", ARTICLE, "无关").into_bytes(), Verdict::Partial),
        ("partial, no date anywhere", plain_url, None,
            news_page("", title, "来源：新华社", ARTICLE, "无关").into_bytes(), Verdict::Partial),
        ("unsupported, different page", dated_url, None,
            news_page("", "一季度经济数据发布", "发布时间：2018-04-12", OTHER, "无关").into_bytes(), Verdict::Unsupported),
        ("unsupported, keywords only in the sidebar", dated_url, None,
            news_page("", "一季度经济数据发布", "发布时间：2018-04-12", OTHER,
                "国务院常务会议部署推进互联网+医疗健康发展，加快远程医疗").into_bytes(), Verdict::Unsupported),
        ("unverifiable, soft 404", dated_url, None,
            "<html><head><title>页面不存在</title></head><body><p>抱歉，您访问的页面不存在或已被删除！</p></body></html>".as_bytes().to_vec(), Verdict::Unverifiable),
        ("unverifiable, challenge", dated_url, None,
            "<html><head><title>Just a moment...</title></head><body><p>Checking your browser before accessing gov.cn.</p></body></html>".as_bytes().to_vec(), Verdict::Unverifiable),
        ("unverifiable, pdf", dated_url, Some("application/pdf"), b"%PDF-1.4 binary".to_vec(), Verdict::Unverifiable),
        ("unverifiable, empty page", dated_url, None, b"<html><body><script>x()</script></body></html>".to_vec(), Verdict::Unverifiable),
    ];
    for (name, url, content_type, body, expect) in cases {
        let (page, verdict, evidence) = check(url, content_type, &body);
        assert_eq!(verdict, expect, "{name}: {evidence:#?}\n{page:#?}");
        use crate::model::Reason;
        let reason = match name {
            "partial, another year" => Some(Reason::PageDateOutsideWindow),
            "partial, no date anywhere" => Some(Reason::ClaimDateNotFound),
            n if n.starts_with("supported") => None,
            n if n.starts_with("unsupported") => Some(Reason::KeywordsMissing),
            "unverifiable, soft 404" => Some(Reason::Soft404Text),
            "unverifiable, challenge" => Some(Reason::BotChallenge),
            "unverifiable, pdf" => Some(Reason::PdfUnreadable),
            "unverifiable, empty page" => Some(Reason::NoMainText),
            other => panic!("no reason listed for case {other}"),
        };
        assert_eq!(evidence.reason, reason, "{name}");
    }
}

#[test]
fn evidence_says_why() {
    let html = news_page(
        "",
        "李克强主持召开国务院常务会议",
        "发布时间：2018-04-12",
        ARTICLE,
        "无关",
    );
    let (page, verdict, ev) = check("http://www.example.cn/a.htm", None, html.as_bytes());
    assert_eq!(verdict, Verdict::Supported);
    assert_eq!(page.page_date, Some(d(2018, 4, 12)));
    assert_eq!(page.page_date_source, Some(crate::model::DateSource::Text));
    assert_eq!(ev.page_date_in_window, Some(true));
    // The dateline sits between headline and article: page date, not article text.
    assert!(!ev.claim_date_found, "{}", page.main_text);
    assert_eq!(
        page.headline.as_deref(),
        Some("李克强主持召开国务院常务会议")
    );
    assert!(
        page.article_text()
            .starts_with("李克强主持召开国务院常务会议\n"),
        "{}",
        page.main_text
    );
    assert!(!page.main_text.contains("李克强主持召开国务院常务会议\n"));
    assert_eq!(ev.matched_keywords.len(), 4);
    assert!((ev.score - 1.0).abs() < 1e-9);
    let snippet = ev.snippet.expect("a snippet");
    assert!(snippet.contains("互联网＋医疗健康"), "{snippet}");
    assert!(snippet.chars().count() <= 125, "{snippet}");

    // Sidebar-only keywords are noted.
    let html = news_page(
        "",
        "一季度经济数据发布",
        "发布时间：2018-04-12",
        OTHER,
        "国务院常务会议部署推进互联网+医疗健康",
    );
    let (_, verdict, ev) = check("http://www.example.cn/a.htm", None, html.as_bytes());
    assert_eq!(verdict, Verdict::Unsupported);
    assert!(
        ev.notes
            .iter()
            .any(|n| n.contains("sidebar") && n.contains("互联网+医疗健康")),
        "{:?}",
        ev.notes
    );
    assert!(ev.score < 0.01);
}

#[test]
fn date_window_and_threshold_are_configurable() {
    let html = news_page(
        "",
        "李克强主持召开国务院常务会议",
        "发布时间：2018-04-30",
        ARTICLE,
        "无关",
    );
    let page = read_page("http://www.example.cn/a.htm", None, html.as_bytes());
    let default = VerifyOptions::default();
    assert_eq!(verify(&claim(), &page, &default).0, Verdict::Partial);
    let wide = VerifyOptions {
        window_after_days: 30,
        ..default
    };
    assert_eq!(verify(&claim(), &page, &wide).0, Verdict::Supported);
    let strict = VerifyOptions {
        keyword_threshold: 1.01,
        ..wide
    };
    assert_eq!(verify(&claim(), &page, &strict).0, Verdict::Unsupported);
}

#[test]
fn month_day_mention_of_another_year_does_not_match() {
    let html = news_page(
        "",
        "李克强主持召开国务院常务会议",
        "来源：新华社",
        &format!("4月12日，{ARTICLE}"),
        "无关",
    );
    let page = read_page(
        "http://www.gov.cn/xinwen/2016-04/12/content_1.htm",
        None,
        html.as_bytes(),
    );
    let (verdict, ev) = verify(&claim(), &page, &VerifyOptions::default());
    assert!(!ev.claim_date_found);
    assert_eq!(verdict, Verdict::Partial);
}

#[test]
fn claim_ranges_and_full_width_text() {
    let mut c = claim();
    c.date = Some(d(2018, 4, 11));
    c.date_end = Some(d(2018, 4, 13));
    c.keywords = vec![kw("“互联网＋医疗健康”", 1.0)];
    let html = news_page(
        "",
        "标题",
        "来源：新华社",
        &format!("2018年4月12日，{ARTICLE}"),
        "无关",
    );
    let page = read_page("http://www.example.cn/a.htm", None, html.as_bytes());
    let (verdict, ev) = verify(&c, &page, &VerifyOptions::default());
    assert!(ev.claim_date_found);
    assert_eq!(verdict, Verdict::Supported);
}

#[test]
fn client_side_redirects() {
    let cases = [
        (
            r#"<html><head><meta http-equiv="refresh" content="0; url=/new/page.html"></head><body></body></html>"#,
            Some(("http://a.cn/new/page.html", "meta_refresh")),
        ),
        (
            r#"<html><head><meta http-equiv="Refresh" content="3;URL='http://b.cn/x'"></head><body></body></html>"#,
            Some(("http://b.cn/x", "meta_refresh")),
        ),
        (
            r#"<html><head><meta http-equiv="refresh" content="600"></head><body><p>x</p></body></html>"#,
            None,
        ),
        (
            r#"<html><head><script>window.location.href = "../other.html";</script></head><body></body></html>"#,
            Some(("http://a.cn/other.html", "script")),
        ),
        (
            r#"<html><head><script>location.replace('https://c.cn/y');</script></head><body></body></html>"#,
            Some(("https://c.cn/y", "script")),
        ),
        (
            r#"<html><head><script>window.location = "/z";</script></head><body></body></html>"#,
            Some(("http://a.cn/z", "script")),
        ),
    ];
    for (html, expect) in cases {
        let page = read_page(
            "http://a.cn/old/index.html",
            Some("text/html"),
            html.as_bytes(),
        );
        let got = page
            .redirect
            .as_ref()
            .map(|(u, k)| (u.as_str(), k.as_str()));
        assert_eq!(got, expect, "{html}");
    }
    // A long article with a conditional mobile redirect script is not a redirect.
    let html = news_page(
        "<script>if (mobile) { location.href = '/m/'; }</script>",
        "标题",
        "",
        ARTICLE,
        "无关",
    );
    let page = read_page("http://a.cn/old/index.html", None, html.as_bytes());
    assert_eq!(page.redirect, None);
}

#[test]
fn similarity_of_pages() {
    let a = read_page(
        "http://a.cn/1",
        None,
        news_page("", "标题一", "", ARTICLE, "x").as_bytes(),
    );
    let a2 = read_page(
        "http://a.cn/2",
        None,
        news_page("", "标题一", "", ARTICLE, "y").as_bytes(),
    );
    let b = read_page(
        "http://a.cn/3",
        None,
        news_page("", "标题二", "", OTHER, "x").as_bytes(),
    );
    assert!(page_similarity(&a, &a2) > 0.9);
    assert!(page_similarity(&a, &b) < 0.1);
    assert!((page_similarity(&a, &b) - page_similarity(&b, &a)).abs() < 1e-12);
}

#[test]
fn page_info_serialises() {
    let page = read_page(
        "http://www.gov.cn/xinwen/2018-04/12/content_1.htm",
        None,
        news_page("", "标题", "", ARTICLE, "x").as_bytes(),
    );
    let json = serde_json::to_value(&page).expect("serialisable");
    assert_eq!(json["page_date"], "2018-04-12");
    assert_eq!(json["page_date_source"], "url");
    assert_eq!(json["charset_source"], "detected");
    assert!(json.get("chrome_text").is_none());
}

/// The realistic fixture pages in `tests/fixtures/pages/` (made by `generate.py` there,
/// also served by the end-to-end tests): main text, date, soft 404, challenge, redirect.
#[test]
fn fixture_pages() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pages");
    let expect: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("expect.json")).expect("expect.json present"),
    )
    .expect("expect.json is JSON");
    let expect = expect.as_object().expect("an object of pages");
    assert!(expect.len() >= 8);
    for (name, exp) in expect {
        let body = std::fs::read(dir.join(name)).expect("fixture present");
        let url = exp["url"].as_str().expect("fixture url");
        let page = read_page(url, Some("text/html"), &body);
        for must in exp["must"].as_array().expect("must list") {
            let must = must.as_str().expect("string");
            assert!(
                page.article_text().contains(must),
                "{name}: {must:?} missing from main text:\n{}",
                page.main_text
            );
        }
        for not in exp["must_not"].as_array().expect("must_not list") {
            let not = not.as_str().expect("string");
            assert!(
                !page.main_text.contains(not),
                "{name}: {not:?} leaked into main text:\n{}",
                page.main_text
            );
        }
        if let Some(date) = exp.get("date").and_then(|d| d.as_str()) {
            assert_eq!(
                page.page_date.map(|d| d.to_string()).as_deref(),
                Some(date),
                "{name}: {:?}",
                page.date_candidates
            );
        }
        assert_eq!(
            page.soft_404.is_some(),
            exp.get("soft_404").is_some(),
            "{name}: {:?}",
            page.soft_404
        );
        assert_eq!(
            page.challenge.is_some(),
            exp.get("challenge").is_some(),
            "{name}: {:?}",
            page.challenge
        );
        let redirect = page.redirect.as_ref().map(|(u, _)| u.as_str());
        assert_eq!(
            redirect,
            exp.get("redirect").and_then(|r| r.as_str()),
            "{name}"
        );
    }
}

/// Run `f` on a thread with a small stack: a recursive walk of a deep tree would overflow it.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("thread starts")
        .join()
        .expect("no stack overflow or panic")
}

#[test]
fn hostile_deep_pages_are_read() {
    const LEVELS: usize = 100_000;
    let divs = format!(
        "<html><head><title>深层页面</title></head><body>{}<p>{ARTICLE}</p>{}</body></html>",
        "<div class=\"x\">".repeat(LEVELS),
        "</div>".repeat(LEVELS)
    );
    let bolds = format!(
        "<html><head><title>深层页面</title></head><body><p>{ARTICLE}</p>{}</body></html>",
        "<b>粗".repeat(LEVELS)
    );
    for (name, page) in [("divs", divs), ("unclosed b", bolds)] {
        let info = on_small_stack(move || read_page("http://a.cn/x.htm", None, page.as_bytes()));
        assert!(
            info.main_text.contains("远程医疗"),
            "{name}: {}",
            info.main_text
        );
        assert!(
            info.read_limit
                .as_deref()
                .is_some_and(|l| l.contains("flattened")),
            "{name}: {:?}",
            info.read_limit
        );
    }
}

#[test]
fn nul_runs_and_tag_floods_are_bounded() {
    let nul = [
        b"<html><body><p>".as_slice(),
        ARTICLE.as_bytes(),
        &vec![0u8; 2_000_000],
        b"</p></body></html>",
    ]
    .concat();
    let info = read_page("http://a.cn/x.htm", Some("text/html"), &nul);
    assert!(info.main_text.contains("远程医疗"));
    assert!(!info.main_text.contains('\0') && !info.main_text.contains('\u{fffd}'));

    let flood = format!(
        "<html><body><p>{ARTICLE}</p>{}</body></html>",
        "<br>".repeat(1_000_000)
    );
    let parsed = bounded::parse(&flood);
    assert!(parsed.html.tree.nodes().len() <= bounded::MAX_NODES + 20_000);
    assert!(parsed.limit.is_some());
}

#[test]
fn sniffs_html_that_opens_with_a_script_and_names_html_late() {
    // No Content-Type: a page that opens with `<script>`/`<style>` and names `<html>`
    // only after the first kilobyte is still HTML (WHATWG sniffing).
    let html = format!(
        r#"<script src="/a.js"></script><style>{}</style><!doctype html><html><head>
        <meta property="article:published_time" content="2023-10-26T19:19:17+00:00"></head>
        <body><p>Text.</p></body></html>"#,
        ".x{color:red}".repeat(100)
    );
    let page = read_page("https://example.com/a", None, html.as_bytes());
    assert!(page.is_html);
    assert_eq!(page.page_date, Some(d(2023, 10, 26)));
    let text = read_page("https://example.com/a", None, b"a <b> plain note");
    assert!(!text.is_html);
}

/// `select_named` gives what `Html::select` gives for every selector the page readers
/// run through it, on the fixture pages and on markup with the names in other places
/// (upper case, SVG, nested bodies, scripts of each kind).
#[test]
fn selecting_by_name_first_selects_the_same_elements() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut pages: Vec<String> = ["pages", "zh-pages"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root.join(d)).expect("fixture folder"))
        .map(|e| e.expect("fixture entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).expect("fixture")).into_owned())
        .collect();
    assert!(pages.len() >= 20, "fixture pages found");
    pages.push(
        r#"<!doctype html><HTML><HEAD><TITLE>T</TITLE><META HTTP-EQUIV="refresh" CONTENT="0;url=/x">
        <meta property="og:title" content="O"><SCRIPT type="application/ld+json">{"a":1}</SCRIPT>
        <script id="__NEXT_DATA__">{}</script></HEAD><BODY><svg><title>svg</title><script>s</script></svg>
        <H1>h</H1><noscript>n</noscript><body><h1>second</h1></body><math><h1>m</h1></math>
        <template><script>t</script><title>in template</title></template></BODY></HTML>"#
            .to_owned(),
    );
    let pairs: [(&str, &str); 9] = [
        ("meta", "meta[http-equiv][content]"),
        ("script", "script"),
        ("body", "body"),
        ("title", "title"),
        ("h1", "h1"),
        ("meta", r#"meta[property="og:title"]"#),
        ("script", r#"script[type="application/ld+json"]"#),
        ("script", "script#__NEXT_DATA__, script#__NUXT_DATA__"),
        ("noscript", "body noscript"),
    ];
    let mut seen = 0;
    for page in &pages {
        let html = scraper::Html::parse_document(page);
        for (name, css) in pairs {
            let selector = scraper::Selector::parse(css).expect("selector");
            let all: Vec<_> = html.select(&selector).map(|e| e.id()).collect();
            let named: Vec<_> = super::select_named(&html, name, &selector)
                .map(|e| e.id())
                .collect();
            assert_eq!(named, all, "{css}");
            seen += all.len();
        }
    }
    assert!(seen > 100, "the selectors select something ({seen})");
}
