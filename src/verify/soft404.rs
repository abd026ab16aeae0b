//! Pages that answer 200 but are not the page: soft 404s and bot challenges.
//!
//! Three signals: the page says it is gone (title, or a short main text: `页面不存在`,
//! `Page not found`, `404`), a redirect to the site root or to an error page, and a host
//! that answers any path with the same page (Bar-Yossef et al., *Sic transit gloria
//! telae*, WWW 2004: fetch a random path on the same host and compare; see
//! [`page_similarity`]). Bot challenges (`Just a moment...`, captcha pages) are told
//! apart: they say nothing about the page behind them.

use std::collections::HashSet;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use crate::model::Reason;
use crate::text::{is_cjk, normalize};

use super::PageInfo;

/// Phrases that say the page is gone wherever they stand in a short page.
const GONE_PHRASES: &[&str] = &[
    "页面不存在",
    "该页面不存在",
    "您访问的页面不存在",
    "访问的页面不存在",
    "页面已删除",
    "页面已被删除",
    "已被删除或不存在",
    "页面未找到",
    "找不到页面",
    "找不到您要的页面",
    "找不到该页面",
    "页面找不到",
    "您要访问的页面",
    "文章不存在",
    "信息不存在",
    "内容不存在",
    "稿件不存在",
    "页面已过期",
    "page not found",
    "page cannot be found",
    "page could not be found",
    "page does not exist",
    "page you requested",
    "no longer available",
    "has been removed",
    "file not found",
    "404 not found",
    "error 404",
    "404 error",
];
/// Weaker phrases: only a short title or a very short page counts.
const WEAK_PHRASES: &[&str] = &["404", "not found", "找不到", "出错了", "错误页", "error"];
/// Bot-challenge phrases in the title or a short page.
const CHALLENGE_PHRASES: &[&str] = &[
    "just a moment",
    "attention required",
    "checking your browser",
    "verify you are human",
    "are you a robot",
    "ddos protection",
    "access denied",
    "please enable cookies",
    "captcha",
    "验证码",
    "安全验证",
    "人机验证",
    "滑动验证",
    "请完成验证",
    "访问验证",
    "安全检查",
];
/// Markers of a challenge service in the raw HTML (its scripts and ids).
const CHALLENGE_MARKUP: &[&str] = &["cf-chl", "challenge-platform", "cf_chl_opt"];
static CHALLENGE_MARKUP_SEARCH: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(CHALLENGE_MARKUP)
        .expect("static patterns are valid")
});
static GONE_SEARCH: LazyLock<AhoCorasick> =
    LazyLock::new(|| AhoCorasick::new(GONE_PHRASES).expect("static patterns are valid"));
static WEAK_SEARCH: LazyLock<AhoCorasick> =
    LazyLock::new(|| AhoCorasick::new(WEAK_PHRASES).expect("static patterns are valid"));
static CHALLENGE_SEARCH: LazyLock<AhoCorasick> =
    LazyLock::new(|| AhoCorasick::new(CHALLENGE_PHRASES).expect("static patterns are valid"));

/// The first of `phrases` (in their order) that `text` holds: what
/// `phrases.iter().find(|p| text.contains(p))` says, in one pass over `text`.
fn first_phrase(
    search: &AhoCorasick,
    phrases: &'static [&'static str],
    text: &str,
) -> Option<&'static str> {
    search
        .find_overlapping_iter(text)
        .map(|m| m.pattern().as_usize())
        .min()
        .map(|i| phrases[i])
}
/// class/id of captcha widgets: a challenge only when the widget is the page's content,
/// not a comment or newsletter form beside an article.
const CAPTCHA_WIDGETS: &[&str] = &[
    "g-recaptcha",
    "h-captcha",
    "geetest",
    "nc_1_wrapper",
    "tcaptcha",
];

/// Main text shorter than this (chars) counts as a "short page".
const SHORT_PAGE_CHARS: usize = 600;
/// Main text shorter than this may be judged on weak phrases.
const TINY_PAGE_CHARS: usize = 200;
/// A title longer than this is an article title, not an error title, for weak phrases.
const SHORT_TITLE_CHARS: usize = 40;
/// Words per shingle in [`page_similarity`].
const SHINGLE: usize = 4;

/// The first of [`WEAK_PHRASES`] that `text` holds as a term ([`contains_term`]): one
/// pass finds the phrases `text` holds at all; only those are tried as terms.
///
/// [`contains_term`]: crate::text::contains_term
fn has_weak(text: &str) -> Option<&'static str> {
    let mut held = [false; WEAK_PHRASES.len()];
    for m in WEAK_SEARCH.find_overlapping_iter(text) {
        held[m.pattern().as_usize()] = true;
    }
    WEAK_PHRASES
        .iter()
        .zip(held)
        .find(|(p, held)| *held && crate::text::contains_term(text, p))
        .map(|(p, _)| *p)
}

/// Why a page reads as "gone", if it does.
#[cfg(test)]
pub(crate) fn soft_404_reason(title: Option<&str>, main_text: &str) -> Option<String> {
    let title = title.map(normalize).unwrap_or_default();
    soft_404_reason_normalized(&title, &normalize(main_text))
}

/// [`soft_404_reason`] of a title and main text already normalised.
pub(crate) fn soft_404_reason_normalized(title: &str, main: &str) -> Option<String> {
    let main_chars = main.chars().count();
    if let Some(p) = first_phrase(&GONE_SEARCH, GONE_PHRASES, title) {
        return Some(format!("title says {p:?}"));
    }
    if main_chars < SHORT_PAGE_CHARS
        && let Some(p) = first_phrase(&GONE_SEARCH, GONE_PHRASES, main)
    {
        return Some(format!("short page says {p:?}"));
    }
    if title.chars().count() <= SHORT_TITLE_CHARS
        && main_chars < SHORT_PAGE_CHARS
        && let Some(p) = has_weak(title)
    {
        return Some(format!("title says {p:?}"));
    }
    if main_chars < TINY_PAGE_CHARS
        && let Some(p) = has_weak(main)
    {
        return Some(format!("short page says {p:?}"));
    }
    None
}

/// Why a page reads as a bot challenge, if it does.
///
/// A challenge page is one whose main content is the challenge: its title or short main
/// text says so, it runs a challenge service's script, or a captcha widget stands outside
/// any form and chrome of a page with (almost) no article. A captcha in the comment form
/// of a real article is not a challenge.
#[cfg(test)]
pub(crate) fn challenge_reason(
    title: Option<&str>,
    main_text: &str,
    html: &scraper::Html,
    raw_html: &str,
) -> Option<String> {
    let title = title.map(normalize).unwrap_or_default();
    challenge_reason_normalized(&title, &normalize(main_text), html, raw_html)
}

/// [`challenge_reason`] of a title and main text already normalised.
pub(crate) fn challenge_reason_normalized(
    title: &str,
    main: &str,
    html: &scraper::Html,
    raw_html: &str,
) -> Option<String> {
    let main_chars = main.chars().count();
    if main_chars >= SHORT_PAGE_CHARS {
        return None;
    }
    if let Some(p) = first_phrase(&CHALLENGE_SEARCH, CHALLENGE_PHRASES, title) {
        return Some(format!("title says {p:?}"));
    }
    if let Some(p) = first_phrase(&CHALLENGE_SEARCH, CHALLENGE_PHRASES, main) {
        return Some(format!("short page says {p:?}"));
    }
    // The first marker of the list that the page holds, in any ASCII case.
    if let Some(m) = first_phrase(&CHALLENGE_MARKUP_SEARCH, CHALLENGE_MARKUP, raw_html) {
        return Some(format!("challenge markup {m:?}"));
    }
    let widget = html
        .tree
        .nodes()
        .filter_map(scraper::ElementRef::wrap)
        .find_map(|el| {
            let value = el.value();
            let marker = CAPTCHA_WIDGETS.iter().find(|m| {
                value.attr("class").is_some_and(|c| c.contains(**m))
                    || value.id().is_some_and(|i| i.contains(**m))
            })?;
            let in_form = el
                .ancestors()
                .filter_map(scraper::ElementRef::wrap)
                .any(|a| a.value().name() == "form");
            let beside_article =
                (in_form || super::extract::in_chrome(el)) && main_chars >= TINY_PAGE_CHARS;
            (!beside_article).then_some(*marker)
        });
    widget.map(|m| format!("challenge markup {m:?}"))
}

/// Whether a redirect from `original_url` to `final_url` means the page is gone: a
/// redirect to the site root (from a deeper path) or to an error page (`/404.html`,
/// `notfound`, `error`). Returns the reason code and message.
#[must_use]
pub fn redirect_soft_404(original_url: &str, final_url: &str) -> Option<(Reason, String)> {
    if original_url == final_url {
        // No redirect (the common case): nothing to parse.
        return None;
    }
    let original = url::Url::parse(original_url).ok()?;
    let target = url::Url::parse(final_url).ok()?;
    if original == target {
        return None;
    }
    let path = target.path().to_ascii_lowercase();
    let file = path.rsplit('/').next().unwrap_or("");
    let error_markers = [
        "404",
        "notfound",
        "not-found",
        "not_found",
        "pagenotfound",
        "error",
        "errorpage",
    ];
    if error_markers.iter().any(|m| {
        path.split(['/', '.', '_', '-']).any(|seg| seg == *m)
            || file.starts_with(m)
            || path.contains("notfound")
    }) {
        return Some((
            Reason::Soft404RedirectErrorPage,
            format!("redirected to an error page ({final_url})"),
        ));
    }
    let is_root = |p: &str| {
        matches!(
            p.trim_end_matches('/'),
            "" | "/index.html"
                | "/index.htm"
                | "/index.shtml"
                | "/index.php"
                | "/index.jsp"
                | "/default.aspx"
                | "/default.htm"
                | "/default.html"
        )
    };
    if is_root(&path) && !is_root(&original.path().to_ascii_lowercase()) {
        return Some((
            Reason::Soft404RedirectRoot,
            format!("redirected to the site root ({final_url})"),
        ));
    }
    None
}

/// Word-ish tokens: each CJK character alone, runs of other alphanumerics together.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if is_cjk(c) && c.is_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            out.push(c.to_string());
        } else if c.is_alphanumeric() {
            word.push(c);
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

fn shingles(page: &PageInfo) -> HashSet<String> {
    shingles_of(page.title.as_deref(), &page.main_text)
}

fn shingles_of(title: Option<&str>, main_text: &str) -> HashSet<String> {
    let text = format!("{}\n{main_text}", title.unwrap_or(""));
    let toks = tokens(&normalize(&text));
    if toks.len() < SHINGLE {
        return std::iter::once(toks.join(" "))
            .filter(|s| !s.is_empty())
            .collect();
    }
    toks.windows(SHINGLE).map(|w| w.join(" ")).collect()
}

fn jaccard(sa: &HashSet<String>, sb: &HashSet<String>) -> f64 {
    if sa.is_empty() && sb.is_empty() {
        return 1.0;
    }
    let inter = sa.intersection(sb).count();
    let union = sa.len() + sb.len() - inter;
    #[allow(clippy::cast_precision_loss)]
    let similarity = inter as f64 / union.max(1) as f64;
    similarity
}

/// Similarity of two pages in `0.0..=1.0`: Jaccard over 4-token shingles of the
/// normalised title and main text (CJK characters count as tokens).
///
/// For the per-host soft-404 probe: a cited page very similar (say ≥ 0.9) to the answer
/// for a random path on the same host is that host's "not found" page.
#[must_use]
pub fn page_similarity(a: &PageInfo, b: &PageInfo) -> f64 {
    jaccard(&shingles(a), &shingles(b))
}

/// A host's answer to a random path, as the soft-404 probe keeps it: what
/// [`page_similarity`] compares (title and main text), which other machines can share,
/// and its shingles, computed once for all the pages compared with it.
#[derive(Debug, Clone)]
pub struct ProbePage {
    pub title: Option<String>,
    pub main_text: String,
    shingles: HashSet<String>,
}

impl ProbePage {
    #[must_use]
    pub fn new(title: Option<String>, main_text: String) -> Self {
        let shingles = shingles_of(title.as_deref(), &main_text);
        ProbePage {
            title,
            main_text,
            shingles,
        }
    }

    /// [`page_similarity`] of `page` and this answer.
    #[must_use]
    pub fn similarity(&self, page: &PageInfo) -> f64 {
        jaccard(&shingles(page), &self.shingles)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_phrases_are_the_first_held_as_terms_in_list_order() {
        let reference = |text: &str| {
            WEAK_PHRASES
                .iter()
                .copied()
                .find(|p| crate::text::contains_term(text, p))
        };
        for text in [
            "",
            "error 404",
            "error404 errors",
            "errors: page not found",
            "4040 not foundation",
            "页面出错了，找不到",
            "an error occurred, code 1404 then 404",
            "not found",
        ] {
            assert_eq!(has_weak(text), reference(text), "{text:?}");
        }
        assert_eq!(has_weak("error 404"), Some("404"));
        assert_eq!(has_weak("error404 errors"), None);
        assert_eq!(has_weak("页面出错了，找不到"), Some("找不到"));
    }

    #[test]
    fn recognises_soft_404_pages() {
        let long_article = "国务院常务会议部署推进互联网医疗健康发展。".repeat(40);
        let cases: &[(&str, Option<&str>, &str, bool)] = &[
            ("title 页面不存在", Some("页面不存在"), "返回首页", true),
            (
                "text 您访问的页面不存在或已被删除",
                Some("中国政府网"),
                "抱歉，您访问的页面不存在或已被删除！ 返回首页",
                true,
            ),
            ("title 404", Some("404"), "", true),
            (
                "title 404 - site",
                Some("404 - 新华网"),
                "返回首页 联系我们",
                true,
            ),
            (
                "text 找不到",
                Some("提示信息"),
                "对不起，找不到您要的页面",
                true,
            ),
            (
                "title Page not found",
                Some("Page Not Found | Example"),
                "Sorry.",
                true,
            ),
            (
                "text not found",
                None,
                "Not Found. The requested URL was not found on this server.",
                true,
            ),
            ("text 页面已删除", Some("新闻"), "该页面已删除", true),
            ("text 该页面不存在", Some("新闻"), "该页面不存在", true),
            (
                "long article mentioning 404",
                Some("国务院常务会议"),
                &format!("{long_article}错误码404的网页找不到问题也在会上讨论。{long_article}"),
                false,
            ),
            (
                "article title with 404 in a long page",
                Some("交通部：G404国道改扩建工程4月开工"),
                &long_article,
                false,
            ),
            (
                "ordinary page",
                Some("国务院常务会议"),
                &long_article,
                false,
            ),
            (
                "short real page",
                Some("李克强会见外宾"),
                "国务院总理李克强4月12日在人民大会堂会见外宾。",
                false,
            ),
        ];
        for (name, title, main, expect) in cases {
            assert_eq!(soft_404_reason(*title, main).is_some(), *expect, "{name}");
        }
    }

    #[test]
    fn recognises_challenges() {
        let cases: &[(&str, Option<&str>, &str, &str, bool)] = &[
            (
                "cloudflare moment",
                Some("Just a moment..."),
                "Checking your browser before accessing",
                "",
                true,
            ),
            (
                "cloudflare attention",
                Some("Attention Required! | Cloudflare"),
                "Please complete the security check",
                "",
                true,
            ),
            ("验证码", Some("提示"), "请输入验证码后继续访问", "", true),
            ("安全验证", Some("安全验证"), "", "", true),
            (
                "captcha markup",
                Some("example.com"),
                "",
                r#"<div class="g-recaptcha"></div>"#,
                true,
            ),
            (
                "news item with a captcha in its comment form",
                Some("市民服务热线整合工作全面完成"),
                &"记者从市政务服务管理局获悉，全市各类政务服务热线整合工作已全面完成。".repeat(8),
                r#"<article><p>…</p></article><div class="comment"><form><div class="g-recaptcha"></div></form></div>
                   <script src="https://www.google.com/recaptcha/api.js"></script>"#,
                false,
            ),
            (
                "captcha widget as the page's content",
                Some("example.com"),
                "Please verify to continue.",
                r#"<div class="main"><form><div class="g-recaptcha"></div></form></div>"#,
                true,
            ),
            (
                "article about captchas",
                Some("新闻"),
                &"验证码技术的发展。".repeat(100),
                "",
                false,
            ),
            (
                "plain",
                Some("新闻"),
                "会议召开。",
                "<p>会议召开。</p>",
                false,
            ),
        ];
        for (name, title, main, raw, expect) in cases {
            let html = scraper::Html::parse_document(raw);
            assert_eq!(
                challenge_reason(*title, main, &html, raw).is_some(),
                *expect,
                "{name}"
            );
        }
    }

    #[test]
    fn redirects_that_mean_gone() {
        let cases = [
            ("http://a.cn/x/2018/1.htm", "http://a.cn/", true),
            ("http://a.cn/x/2018/1.htm", "http://a.cn/index.html", true),
            ("http://a.cn/x/2018/1.htm", "http://a.cn/404.html", true),
            (
                "http://a.cn/x/2018/1.htm",
                "http://a.cn/notfound.aspx",
                true,
            ),
            ("http://a.cn/x/2018/1.htm", "http://a.cn/error/page", true),
            (
                "http://a.cn/x/2018/1.htm",
                "https://a.cn/x/2018/1.htm",
                false,
            ),
            (
                "http://a.cn/x/2018/1.htm",
                "http://www.a.cn/x/2018/1.htm",
                false,
            ),
            ("http://a.cn/", "https://a.cn/", false),
            ("http://a.cn/x/1.htm", "http://a.cn/x/1.htm", false),
            (
                "http://a.cn/terror/1.htm",
                "http://a.cn/terror/2.htm",
                false,
            ),
        ];
        for (from, to, expect) in cases {
            assert_eq!(
                redirect_soft_404(from, to).is_some(),
                expect,
                "{from} -> {to}"
            );
        }
        let reason = |to| redirect_soft_404("http://a.cn/x/2018/1.htm", to).map(|r| r.0);
        assert_eq!(reason("http://a.cn/"), Some(Reason::Soft404RedirectRoot));
        assert_eq!(
            reason("http://a.cn/404.html"),
            Some(Reason::Soft404RedirectErrorPage)
        );
    }
}
