//! Finding and cleaning URLs in text and in `href` attributes.
//!
//! Reports written in Chinese glue URLs to the surrounding prose (`见http://a.cn/x。`),
//! so a bare URL ends at whitespace, at any CJK punctuation, at `<`/`>`/quotes and at the
//! start of a second `http://`; trailing ASCII punctuation and unbalanced closing
//! brackets are left out. Every scan is a single pass over the text (linear time).

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
            if is_url_terminator(c) || (c == 'h' || c == 'H') && starts_with_scheme(&bytes[at..]) {
                end = at;
                break;
            }
        }
        let trimmed = trim_url_end(&text[start..end]);
        if trimmed.len() > scheme_len {
            out.push(FoundUrl {
                start,
                end: start + trimmed.len(),
                written: trimmed.to_string(),
            });
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

/// Whether an `href` value names a citation at all: pure in-page anchors (`#`, `#top`)
/// and empty values do not. Everything else is kept as written (the fetch stage marks
/// `mailto:`, `javascript:` and relative references as invalid or excluded).
pub(crate) fn is_citation_href(href: &str) -> bool {
    let h = href.trim();
    !h.is_empty() && !h.starts_with('#')
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
        assert!(looks_truncated("http://news.ifeng.com/a/20180411/574"));
        assert!(looks_truncated("http://www.cnr.cn/sxpd/shgl/20180327"));
        assert!(!looks_truncated("http://www.efw.cn/news/n248145.html"));
        assert!(!looks_truncated("http://a.cn/x/"));
        assert!(!looks_truncated("http://a.cn"));
        assert!(is_url_tail("72785_0.shtml"));
        assert!(!is_url_tail("中文"));
    }
}
