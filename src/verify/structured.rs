//! Article text that a page carries outside its visible markup.
//!
//! Script-rendered pages ship an empty shell and the article as data: schema.org JSON-LD
//! (`articleBody`), the Next.js `__NEXT_DATA__` blob (the page's props, one long string
//! of HTML or text), or a `<noscript>` copy for readers without JavaScript. When the
//! visible main text is short, the longest of these stands in for it ([`fallback_body`]).
//! JSON is walked with an explicit stack (a hostile blob may nest deeply).

use std::sync::LazyLock;

use scraper::{Html, Selector};
use serde_json::Value;

use super::bounded;

/// A string in `__NEXT_DATA__` shorter than this (chars) is not an article body.
const MIN_DATA_BODY_CHARS: usize = 80;

static SEL_JSONLD: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse(r#"script[type="application/ld+json"]"#).expect("static selector is valid")
});
static SEL_NEXT: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse("script#__NEXT_DATA__, script#__NUXT_DATA__").expect("static selector is valid")
});
static SEL_NOSCRIPT: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("body noscript").expect("static selector is valid"));

/// Every string value under `key` (or, with `key` None, every string) in a JSON value.
fn strings<'a>(value: &'a Value, key: Option<&str>, out: &mut Vec<&'a str>) {
    let mut todo = vec![(value, false)];
    while let Some((v, under_key)) = todo.pop() {
        match v {
            Value::String(s) if under_key || key.is_none() => out.push(s),
            Value::Array(items) => todo.extend(items.iter().map(|i| (i, under_key))),
            Value::Object(map) => {
                todo.extend(
                    map.iter()
                        .map(|(k, v)| (v, key.is_some_and(|want| k == want))),
                );
            }
            _ => {}
        }
    }
}

/// The text of an HTML snippet (a data string that holds markup), paragraphs on lines.
fn snippet_text(s: &str) -> String {
    if !s.contains('<') {
        return s.trim().to_owned();
    }
    let parsed = bounded::parse(&format!("<html><body>{s}</body></html>"));
    super::extract::extract(&parsed.html).all_text()
}

/// The JSON-LD `articleBody`, if the page has one.
pub(crate) fn jsonld_body(html: &Html) -> Option<String> {
    super::select_named(html, "script", &SEL_JSONLD)
        .filter_map(|script| serde_json::from_str::<Value>(&script.text().collect::<String>()).ok())
        .filter_map(|json| {
            let mut found = Vec::new();
            strings(&json, Some("articleBody"), &mut found);
            found.into_iter().max_by_key(|s| s.len()).map(snippet_text)
        })
        .max_by_key(String::len)
        .filter(|s| !s.is_empty())
}

/// The longest text in a Next.js/Nuxt data blob.
fn next_data_body(html: &Html) -> Option<String> {
    super::select_named(html, "script", &SEL_NEXT)
        .filter_map(|script| serde_json::from_str::<Value>(&script.text().collect::<String>()).ok())
        .filter_map(|json| {
            let mut found = Vec::new();
            strings(&json, None, &mut found);
            found
                .into_iter()
                .filter(|s| !s.starts_with("http") && !s.starts_with('/'))
                .max_by_key(|s| s.chars().count())
                .map(snippet_text)
        })
        .filter(|s| s.chars().count() >= MIN_DATA_BODY_CHARS)
        .max_by_key(String::len)
}

/// The text of the `<noscript>` elements in the body (their content is markup in text).
fn noscript_body(html: &Html) -> Option<String> {
    super::select_named(html, "noscript", &SEL_NOSCRIPT)
        .map(|n| snippet_text(&n.text().collect::<String>()))
        .max_by_key(String::len)
        .filter(|s| !s.is_empty())
}

/// The longest article text the page carries as data or in `<noscript>`.
pub(crate) fn fallback_body(html: &Html) -> Option<String> {
    [jsonld_body(html), next_data_body(html), noscript_body(html)]
        .into_iter()
        .flatten()
        .max_by_key(|s| s.chars().count())
}
