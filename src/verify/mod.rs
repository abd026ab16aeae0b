//! Stage 3: read each fetched page and decide whether it still supports its claim.
//!
//! [`read_page`] turns the bytes of a response into a [`PageInfo`]: charset
//! ([`charset`]), title and main text ([`extract`]), page date ([`pagedate`]),
//! meta-refresh and script redirects, soft-404 and bot-challenge signals ([`soft404`]).
//! [`verify`] then matches one claim against it ([`matching`]). Everything here is pure
//! and synchronous: no network, no clock except for "a date in the future".

mod bounded;
mod charset;
mod extract;
mod matching;
mod pagedate;
mod pdf;
mod soft404;
mod structured;

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;
use scraper::{ElementRef, Html, Selector};

use serde::Serialize;

use crate::model::{CharsetSource, DateSource, PageSnapshot, RedirectKind};
use crate::text::normalize;

pub use matching::{
    DEFAULT_KEYWORD_THRESHOLD, DEFAULT_WINDOW_AFTER_DAYS, DEFAULT_WINDOW_BEFORE_DAYS,
    KEYWORD_THRESHOLD_RANGE, VerifyOptions, WINDOW_DAYS_RANGE, verify,
};
pub use pdf::is_pdf_response;
pub use soft404::{ProbePage, page_similarity, redirect_soft_404};

/// Main text shorter than this (chars) lets a script redirect count.
const SCRIPT_REDIRECT_MAX_TEXT: usize = 200;
/// Visible main text shorter than this (chars) gives way to a body found in data.
const MIN_VISIBLE_BODY_CHARS: usize = 250;
/// A meta refresh slower than this (seconds) is a reload, not a redirect.
const META_REFRESH_MAX_DELAY: f64 = 30.0;

/// What the tool reads from one page (also the `inspect` output).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct PageInfo {
    /// The encoding used to decode the page (`UTF-8`, `GBK`, …).
    pub charset: String,
    /// Where the charset came from: `header`, `bom`, `meta` or `detected`.
    pub charset_source: CharsetSource,
    /// A declared charset that the bytes contradicted, e.g. `UTF-8 (header)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charset_overruled: Option<String>,
    /// `<title>` (or `og:title`).
    pub title: Option<String>,
    /// The article's headline (`<h1>`, or the block that repeats the title); not part of
    /// [`PageInfo::main_text`], but keywords may match it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    /// The article body: chrome, title, headline and byline removed.
    pub main_text: String,
    /// Visible text outside the main text (navigation, sidebars, related lists).
    #[serde(skip)]
    pub chrome_text: String,
    /// The chosen publication date.
    pub page_date: Option<NaiveDate>,
    /// Where [`PageInfo::page_date`] came from.
    pub page_date_source: Option<DateSource>,
    /// Every date candidate, most trustworthy source first.
    pub date_candidates: Vec<(NaiveDate, DateSource)>,
    /// A client-side redirect: absolute target URL and `meta_refresh` or `script`.
    pub redirect: Option<(String, RedirectKind)>,
    /// Why the page reads as "gone", if it does.
    pub soft_404: Option<String>,
    /// Why the page reads as a bot challenge, if it does.
    pub challenge: Option<String>,
    /// Whether the body is HTML (by Content-Type, else by sniffing).
    pub is_html: bool,
    /// Whether the body is a PDF document (read as text; see `verify/pdf.rs`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_pdf: bool,
    /// For a PDF: byte offset in `main_text` where each page starts.
    #[serde(skip)]
    pub pdf_pages: Vec<usize>,
    /// For a PDF that could not be read: why (encrypted, damaged, no text layer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdf_error: Option<String>,
    /// What the page-size limits cut or flattened to read the page, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_limit: Option<String>,
    /// [`PageInfo::normalized_article`], once computed.
    #[serde(skip)]
    pub normalized: NormalizedCache,
}

/// The normalised article text of a page, computed on first use and kept: every claim
/// and every soft-404 and challenge check compares against the same normalised text.
/// Fill it only once the page's main text and headline are final (as
/// [`read_page`] returns them). Two caches always compare equal: the cache is no part of
/// what a page says.
#[derive(Debug, Clone, Default)]
pub struct NormalizedCache(std::sync::OnceLock<String>);

impl PartialEq for NormalizedCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

static SEL_META_REFRESH: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse("meta[http-equiv][content]").expect("static selector is valid")
});
static SEL_SCRIPT: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("script").expect("static selector is valid"));
static SCRIPT_REDIRECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:\blocation(?:\.href)?\s*=\s*|\blocation\.(?:replace|assign)\(\s*)["']([^"']+)["']"#,
    )
    .expect("static regex is valid")
});

static CONDITIONAL_JS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:if|function|switch|addEventListener|onclick|setTimeout)\b|=>|\?")
        .expect("static regex is valid")
});

fn is_html(content_type: Option<&str>, body: &[u8]) -> bool {
    if let Some(ct) = content_type {
        let mime = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !mime.is_empty() && mime != "application/octet-stream" {
            return mime.contains("html") || mime.contains("xml");
        }
    }
    let head = String::from_utf8_lossy(&body[..body.len().min(1024)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    // The WHATWG MIME sniffing patterns: a page may open with `<script>` or `<style>`
    // and name `<html>` only after the first kilobyte.
    let sniffed = HTML_SNIFF_TAGS.iter().any(|tag| {
        head.strip_prefix(tag)
            .is_some_and(|rest| rest.starts_with([' ', '>', '\t', '\n', '\r', '\x0c']))
    }) || head.starts_with("<!--");
    head.starts_with('<')
        && (sniffed
            || head.contains("<html")
            || head.contains("<!doctype html")
            || head.contains("<head")
            || head.contains("<body")
            || head.contains("<p"))
}

/// Tags an HTML document may open with (WHATWG MIME sniffing, "text/html" patterns).
const HTML_SNIFF_TAGS: &[&str] = &[
    "<!doctype html",
    "<html",
    "<head",
    "<script",
    "<iframe",
    "<h1",
    "<div",
    "<font",
    "<table",
    "<a",
    "<style",
    "<title",
    "<b",
    "<body",
    "<br",
    "<p",
];

/// The last label of `url`'s host (`cn` of `http://www.gov.cn/…`), a charset hint.
fn host_tld(url: &str) -> Option<String> {
    match crate::text::plain_url(url) {
        // An address as the URL crate writes it (ASCII, lower case): no parse needed.
        Some((authority, _)) => {
            let host = authority.split_once(':').map_or(authority, |(h, _)| h);
            host.rsplit('.').next().map(str::to_owned)
        }
        None => {
            let host = url::Url::parse(url).ok()?.host_str()?.to_owned();
            host.rsplit('.').next().map(str::to_owned)
        }
    }
}

fn resolve(base: &str, target: &str) -> String {
    url::Url::parse(base)
        .and_then(|b| b.join(target))
        .map_or_else(|_| target.to_owned(), String::from)
}

/// What `html.select(selector)` gives, in the same order, for a selector that only
/// matches elements named `name` (every selector of the page readers names its element):
/// the selector is run on those elements only, not on every element of the page.
pub(crate) fn select_named<'a>(
    html: &'a Html,
    name: &'static str,
    selector: &'a Selector,
) -> impl Iterator<Item = ElementRef<'a>> + 'a {
    html.tree
        .nodes()
        .filter_map(ElementRef::wrap)
        .filter(move |el| {
            el.value().name() == name && el.parent().is_some() && selector.matches(el)
        })
}

fn meta_refresh(html: &Html) -> Option<String> {
    select_named(html, "meta", &SEL_META_REFRESH).find_map(|el| {
        let value = el.value();
        if !value
            .attr("http-equiv")?
            .trim()
            .eq_ignore_ascii_case("refresh")
        {
            return None;
        }
        let content = value.attr("content")?;
        let (delay, rest) = content.split_once([';', ','])?;
        if delay.trim().parse::<f64>().ok()? > META_REFRESH_MAX_DELAY {
            return None;
        }
        let rest = rest.trim();
        let target = if rest.len() >= 4 && rest[..4].eq_ignore_ascii_case("url=") {
            &rest[4..]
        } else {
            rest
        };
        let target = target.trim().trim_matches(['\'', '"']).trim();
        (!target.is_empty()).then(|| target.to_owned())
    })
}

fn script_redirect(html: &Html) -> Option<String> {
    select_named(html, "script", &SEL_SCRIPT)
        .filter(|el| el.value().attr("src").is_none())
        .find_map(|el| {
            let code: String = el.text().collect();
            // Only an unconditional redirect: no branches, no functions, no handlers.
            if CONDITIONAL_JS.is_match(&code) {
                return None;
            }
            SCRIPT_REDIRECT
                .captures(&code)
                .and_then(|caps| caps.get(1))
                .map(|m| m.as_str().to_owned())
        })
}

/// Read a fetched page: decode, extract title/main text/date, detect client-side
/// redirects, soft 404s and bot challenges. `url` is the page's (final) address, used
/// for URL dates, resolving redirects and as a charset hint (TLD).
#[must_use]
pub fn read_page(url: &str, content_type: Option<&str>, body: &[u8]) -> PageInfo {
    if pdf::is_pdf_response(content_type, body) {
        let mut info = PageInfo::default();
        pdf::read_pdf(url, body, today(), &mut info);
        return info;
    }
    let html_page = is_html(content_type, body);
    let tld = host_tld(url);
    let decoded = charset::decode(content_type, body, tld.as_deref());
    let mut info = PageInfo {
        charset: decoded.charset,
        charset_source: decoded.source,
        charset_overruled: decoded.overruled,
        is_html: html_page,
        ..PageInfo::default()
    };
    if !html_page {
        info.date_candidates = pagedate::candidates(url, None, &[]);
        if let Some((date, source)) = pagedate::choose(&info.date_candidates, today()) {
            info.page_date = Some(date);
            info.page_date_source = Some(source);
        }
        return info;
    }
    let parsed = bounded::parse(&decoded.text);
    info.read_limit = parsed.limit;
    let html = parsed.html;
    let mut extracted = extract::extract(&html);
    // A script-rendered shell: the article is in JSON-LD, `__NEXT_DATA__` or `<noscript>`.
    if extracted.main_text.chars().count() < MIN_VISIBLE_BODY_CHARS
        && let Some(body) = structured::fallback_body(&html)
        && body.chars().count() > extracted.main_text.chars().count()
    {
        extracted.main_text = body;
    }
    info.date_candidates = pagedate::candidates(url, Some(&html), &extracted.blocks);
    if let Some((date, source)) = pagedate::choose(&info.date_candidates, today()) {
        info.page_date = Some(date);
        info.page_date_source = Some(source);
    }
    info.redirect = meta_refresh(&html)
        .map(|t| (resolve(url, &t), RedirectKind::MetaRefresh))
        .or_else(|| {
            (info_text_chars(&extracted) < SCRIPT_REDIRECT_MAX_TEXT)
                .then(|| script_redirect(&html))
                .flatten()
                .map(|t| (resolve(url, &t), RedirectKind::Script))
        });
    info.headline = extracted.headline.clone();
    info.main_text = std::mem::take(&mut extracted.main_text);
    let title = extracted
        .title
        .as_deref()
        .map(normalize)
        .unwrap_or_default();
    let article = info.normalized_article();
    let challenge = soft404::challenge_reason_normalized(&title, article, &html, &decoded.text);
    let soft_404 = challenge
        .is_none()
        .then(|| soft404::soft_404_reason_normalized(&title, article))
        .flatten();
    info.challenge = challenge;
    info.soft_404 = soft_404;
    info.title = extracted.title;
    info.chrome_text = extracted.chrome_text;
    info
}

fn info_text_chars(extracted: &extract::Extracted) -> usize {
    extracted.main_text.chars().count()
        + extracted.headline.as_ref().map_or(0, |h| h.chars().count())
}

impl PageInfo {
    /// The headline and the main text, as keywords are matched against them.
    #[must_use]
    pub fn article_text(&self) -> String {
        self.article().into_owned()
    }

    /// [`PageInfo::article_text`], borrowed when it is the main text alone.
    pub(crate) fn article(&self) -> std::borrow::Cow<'_, str> {
        match &self.headline {
            Some(h) if !self.main_text.starts_with(h.as_str()) => {
                format!("{h}\n{}", self.main_text).into()
            }
            _ => self.main_text.as_str().into(),
        }
    }

    /// What verifying a claim needs of this page (for the history store's cache).
    #[must_use]
    pub fn snapshot(&self) -> PageSnapshot {
        PageSnapshot {
            charset: self.charset.clone(),
            title: self.title.clone(),
            headline: self.headline.clone(),
            main_text: self.main_text.clone(),
            chrome_text: self.chrome_text.clone(),
            page_date: self.page_date,
            page_date_source: self.page_date_source,
            date_candidates: self.date_candidates.clone(),
            is_html: self.is_html,
            is_pdf: self.is_pdf,
            pdf_pages: self.pdf_pages.clone(),
        }
    }

    /// A page read back from a snapshot: verified exactly as the page it was taken from
    /// (it was alive, so no redirect, soft 404 or challenge is left to find).
    #[must_use]
    pub fn from_snapshot(s: PageSnapshot) -> Self {
        PageInfo {
            charset: s.charset,
            title: s.title,
            headline: s.headline,
            main_text: s.main_text,
            chrome_text: s.chrome_text,
            page_date: s.page_date,
            page_date_source: s.page_date_source,
            date_candidates: s.date_candidates,
            is_html: s.is_html,
            is_pdf: s.is_pdf,
            pdf_pages: s.pdf_pages,
            ..PageInfo::default()
        }
    }

    /// A stable fingerprint of the main text (whitespace runs count as one space), to
    /// tell whether a page changed between two runs.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        crate::text::fingerprint(&self.main_text)
    }

    /// [`crate::text::normalize`] of [`PageInfo::article_text`], computed once per page.
    #[must_use]
    pub fn normalized_article(&self) -> &str {
        self.normalized.0.get_or_init(|| normalize(&self.article()))
    }
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

#[cfg(test)]
mod tests;
