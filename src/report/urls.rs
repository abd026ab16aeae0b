//! Finding and cleaning URLs in text and in `href` attributes.
//!
//! Reports written in Chinese glue URLs to the surrounding prose (`见http://a.cn/x。`),
//! so a bare URL ends at whitespace, at any CJK punctuation, at `<`/`>`/quotes and at the
//! start of a second `http://` glued to it (`…/xhttps://…`); a second scheme right after
//! `/` or `=` is part of the URL (an archived copy
//! `https://web.archive.org/web/2007/http://a.com/x`, a redirect `?url=http://…`).
//! Trailing ASCII punctuation and unbalanced closing brackets are left out. Every scan
//! is a single pass over the text (linear time).
//!
//! An `href` (or `cite`) names a citation unless it is empty, an in-page anchor, or
//! cannot be a URL at all: a reference without a scheme that holds characters no URL
//! has (`\mathbf{L}`, `{{ url }}`) or is a bare e-mail address (`foo@bar.com`).
//! A relative reference is resolved against the report's base URL (`<base href>`,
//! else `--base-url`); a protocol-relative one (`//host/x`) takes the base's scheme,
//! `https:` without a base; other relative references without a base stay as written
//! (the fetch stage excludes them: not a web citation).

use url::Url;

use crate::model::{Repair, RepairKind};

/// A URL found in running text: byte range in the text and the URL as written there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FoundUrl {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) written: String,
}

/// Whether `c` ends a bare URL: whitespace, CJK/full-width punctuation, markup delimiters.
fn is_url_terminator(c: char) -> bool {
    c.is_whitespace()
        || matches!(c, '<' | '>' | '"' | '`' | '\u{0}'..='\u{1f}' | '\u{7f}')
        // CJK symbols and punctuation, full-width forms, general punctuation (quotes, dashes).
        || ('\u{3000}'..='\u{303f}').contains(&c)
        || ('\u{ff00}'..='\u{ffef}').contains(&c)
        || ('\u{2010}'..='\u{206f}').contains(&c)
        // Any CJK ideograph: a URL never continues into Chinese text.
        || ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Index of the next `http://` / `https://` (ASCII case-insensitive) at or after `from`.
fn find_scheme(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 7 <= bytes.len() {
        if bytes[i].eq_ignore_ascii_case(&b'h') && starts_with_scheme(&bytes[i..]) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Whether `rest` starts with `http://` or `https://` (ASCII case-insensitive).
fn starts_with_scheme(rest: &[u8]) -> bool {
    let has = |p: &[u8]| {
        rest.get(..p.len())
            .is_some_and(|r| r.eq_ignore_ascii_case(p))
    };
    has(b"http://") || has(b"https://")
}

/// Every bare `http(s)://` URL in `text`, in order.
pub(crate) fn find_urls(text: &str) -> Vec<FoundUrl> {
    find_url_spans(text)
        .into_iter()
        .map(|(start, end)| FoundUrl {
            start,
            end,
            written: text[start..end].to_string(),
        })
        .collect()
}

/// The byte ranges of every bare `http(s)://` URL in `text`, in order.
pub(crate) fn find_url_spans(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(start) = find_scheme(bytes, pos) {
        // A scheme glued to a preceding letter (`xhttp://`) is still taken: reports do that.
        let scheme_len = if bytes[start + 4].eq_ignore_ascii_case(&b's') {
            8
        } else {
            7
        };
        let body = start + scheme_len;
        let mut end = text.len();
        for (off, c) in text[body..].char_indices() {
            let at = body + off;
            let glued_scheme = (c == 'h' || c == 'H')
                && !matches!(bytes[at - 1], b'/' | b'=')
                && starts_with_scheme(&bytes[at..]);
            if is_url_terminator(c) || glued_scheme {
                end = at;
                break;
            }
        }
        let trimmed = trim_url_end(&text[start..end]);
        if trimmed.len() > scheme_len {
            out.push((start, start + trimmed.len()));
        }
        pos = end.max(start + scheme_len);
    }
    out
}

/// Drop trailing ASCII punctuation and closing brackets that have no opening partner.
pub(crate) fn trim_url_end(url: &str) -> &str {
    let mut s = url;
    loop {
        let Some(last) = s.chars().next_back() else {
            return s;
        };
        let drop = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' | '_' | '~' => true,
            ')' | ']' | '}' => {
                let open = match last {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                let opens = s.matches(open).count();
                let closes = s.matches(last).count();
                closes > opens
            }
            _ => false,
        };
        if !drop {
            return s;
        }
        s = &s[..s.len() - last.len_utf8()];
    }
}

/// Decode HTML character references (`&amp;`, `&#38;`, `&#x26;`, common named ones).
/// Unknown entities are kept as written.
pub(crate) fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let semi = rest.as_bytes().iter().take(12).position(|&b| b == b';');
        let decoded = semi.and_then(|semi| decode_one(&rest[1..semi]).map(|c| (c, semi)));
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Decode one entity body (between `&` and `;`).
fn decode_one(body: &str) -> Option<char> {
    if let Some(num) = body.strip_prefix('#') {
        let code = if let Some(hex) = num.strip_prefix(['x', 'X']) {
            u32::from_str_radix(hex, 16).ok()?
        } else {
            num.parse::<u32>().ok()?
        };
        return char::from_u32(code);
    }
    Some(match body {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "ldquo" => '“',
        "rdquo" => '”',
        "lsquo" => '‘',
        "rsquo" => '’',
        "mdash" => '—',
        "ndash" => '–',
        "middot" => '·',
        "hellip" => '…',
        _ => return None,
    })
}

/// Whether an `href` value names a citation at all: pure in-page anchors (`#`, `#top`),
/// empty values and references that cannot be URLs (see the module docs) do not.
/// Everything else is kept as written (the fetch stage marks `mailto:` and
/// `javascript:` links as excluded, unknown schemes as invalid).
pub(crate) fn is_citation_href(href: &str) -> bool {
    let h = href.trim();
    if h.is_empty() || h.starts_with('#') {
        return false;
    }
    if scheme_of(h).is_some() {
        return true;
    }
    let impossible = h.contains(['\\', '{', '}', '^', '|', '`', '<', '>', '"']);
    !impossible && !is_bare_email(h)
}

/// The scheme of an absolute reference (`https` of `https://…`, `mailto` of `mailto:…`).
fn scheme_of(h: &str) -> Option<&str> {
    let (scheme, _) = h.split_once(':')?;
    let mut chars = scheme.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    ok.then_some(scheme)
}

/// Whether `h` is an e-mail address written without `mailto:` (`foo@bar.com`).
fn is_bare_email(h: &str) -> bool {
    let Some((local, domain)) = h.split_once('@') else {
        return false;
    };
    let plain = |s: &str| {
        !s.is_empty()
            && !s.contains(['/', '?', '#', ':', '@'])
            && !s.chars().any(char::is_whitespace)
    };
    plain(local)
        && plain(domain)
        && domain
            .rsplit_once('.')
            .is_some_and(|(host, tld)| !host.is_empty() && tld.len() >= 2)
}

/// The URL to check for `url` (as written, entities decoded) in a report whose base URL
/// is `base`, with the repair that says what was done; `None` when it stays as it is
/// (absolute, or relative without a base).
pub(crate) fn resolve(url: &str, base: Option<&Url>) -> Option<(String, Repair)> {
    if scheme_of(url).is_some() {
        return None;
    }
    if url.starts_with("//") {
        let scheme = base.map_or("https", Url::scheme);
        let to = format!("{scheme}:{url}");
        let detail = format!("protocol-relative `{url}` read as `{to}`");
        return Some((
            to,
            Repair {
                kind: RepairKind::ProtocolRelative,
                detail,
            },
        ));
    }
    let base = base?;
    let to = base.join(url).ok()?.to_string();
    let detail = format!("relative `{url}` resolved against the base URL `{base}`");
    Some((
        to,
        Repair {
            kind: RepairKind::ResolvedRelative,
            detail,
        },
    ))
}

/// `url` without the Markdown backslash escapes of bare URLs in prose (`a\_b` → `a_b`).
pub(crate) fn remove_markdown_escapes(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut chars = url.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(char::is_ascii_punctuation) {
            continue;
        }
        out.push(c);
    }
    out
}

/// Whether a URL's last path segment looks cut short: no file extension, no trailing `/`,
/// no query or fragment. Used to recognise the first half of a URL split by a page break.
pub(crate) fn looks_truncated(url: &str) -> bool {
    let Some(rest) = url.split_once("://").map(|(_, r)| r) else {
        return false;
    };
    if url.contains(['?', '#']) || url.ends_with('/') {
        return false;
    }
    match rest.split_once('/') {
        Some((_, path)) => {
            let last = path.rsplit('/').next().unwrap_or_default();
            !last.is_empty() && !last.contains('.')
        }
        None => false,
    }
}

/// Whether `s` could be the tail of a URL written as link text (`72785_0.shtml`).
pub(crate) fn is_url_tail(s: &str) -> bool {
    !s.is_empty()
        && !s.contains("://")
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~/?=&%+#:@!$'()*,;".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(text: &str) -> Vec<String> {
        find_urls(text).into_iter().map(|u| u.written).collect()
    }

    #[test]
    fn bare_url_boundaries() {
        let cases: &[(&str, &[&str])] = &[
            ("见http://a.cn/x。后文", &["http://a.cn/x"]),
            ("（http://a.cn/x）", &["http://a.cn/x"]),
            ("「https://a.cn/x?y=1」", &["https://a.cn/x?y=1"]),
            ("另见https://a，https://b", &["https://a", "https://b"]),
            (
                "https://web.archive.org/web/20070701162536/http://www.riaa.com/x.php",
                &["https://web.archive.org/web/20070701162536/http://www.riaa.com/x.php"],
            ),
            (
                "https://a.cn/go?url=https://b.cn/y",
                &["https://a.cn/go?url=https://b.cn/y"],
            ),
            (
                "https://a.cn/xhttps://b.cn/y",
                &["https://a.cn/x", "https://b.cn/y"],
            ),
            ("See https://example.com/a.", &["https://example.com/a"]),
            (
                "(see https://en.wikipedia.org/wiki/Foo_(bar))",
                &["https://en.wikipedia.org/wiki/Foo_(bar)"],
            ),
            ("(see https://example.com/x)", &["https://example.com/x"]),
            (
                "https://a.cn/x、https://b.cn/y；",
                &["https://a.cn/x", "https://b.cn/y"],
            ),
            ("http://", &[]),
            ("no url here", &[]),
            ("HTTP://A.CN/X!", &["HTTP://A.CN/X"]),
            (
                "x https://a.cn/p?utm_source=x&utm_medium=y z",
                &["https://a.cn/p?utm_source=x&utm_medium=y"],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(urls(text), *want, "{text}");
        }
    }

    #[test]
    fn relative_references_and_bases() {
        let base = Url::parse("https://example.org/docs/index.html").unwrap();
        let got = |u: &str, b: Option<&Url>| {
            resolve(u, b).map(|(to, r)| (to, r.kind.as_str().to_string()))
        };
        assert_eq!(got("https://a.cn/x", Some(&base)), None);
        assert_eq!(got("page.html", None), None);
        assert_eq!(
            got("page.html", Some(&base)),
            Some((
                "https://example.org/docs/page.html".into(),
                "resolved_relative".into()
            ))
        );
        assert_eq!(
            got("/root", Some(&base)).map(|g| g.0).as_deref(),
            Some("https://example.org/root")
        );
        assert_eq!(
            got("//cdn.example.net/x", None),
            Some((
                "https://cdn.example.net/x".into(),
                "protocol_relative".into()
            ))
        );
        let http = Url::parse("http://example.org/").unwrap();
        assert_eq!(
            got("//cdn.example.net/x", Some(&http))
                .map(|g| g.0)
                .as_deref(),
            Some("http://cdn.example.net/x")
        );
        assert_eq!(
            remove_markdown_escapes("https://a.com/a\\_b\\x"),
            "https://a.com/a_b\\x"
        );
    }

    #[test]
    fn entities() {
        assert_eq!(decode_entities("a?b=1&amp;c=2"), "a?b=1&c=2");
        assert_eq!(
            decode_entities("&#38;&#x26;&lt;&unknown;&"),
            "&&<&unknown;&"
        );
        assert_eq!(decode_entities("&#xFFFFFFF;"), "&#xFFFFFFF;");
    }

    #[test]
    fn hrefs_and_fragments() {
        assert!(!is_citation_href("#"));
        assert!(!is_citation_href("#top"));
        assert!(is_citation_href("/t2018.shtml"));
        for junk in ["\\mathbf{L}", "foo@bar.com", "{{ url }}", "a|b", "x^2"] {
            assert!(!is_citation_href(junk), "{junk}");
        }
        for href in [
            "page.html",
            "../up.md",
            "//cdn.example.net/x",
            "mailto:foo@bar.com",
            "https://a.cn/x?q={id}",
            "user@host/path",
        ] {
            assert!(is_citation_href(href), "{href}");
        }
        assert!(looks_truncated("http://news.ifeng.com/a/20180411/574"));
        assert!(looks_truncated("http://www.cnr.cn/sxpd/shgl/20180327"));
        assert!(!looks_truncated("http://www.efw.cn/news/n248145.html"));
        assert!(!looks_truncated("http://a.cn/x/"));
        assert!(!looks_truncated("http://a.cn"));
        assert!(is_url_tail("72785_0.shtml"));
        assert!(!is_url_tail("中文"));
    }
}
