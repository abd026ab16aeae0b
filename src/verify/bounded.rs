//! Parsing a page with bounded depth, size and memory.
//!
//! A server may send anything: 100,000 nested `<div>`s (the HTML parser's scope checks
//! become quadratic, and any recursive walk overflows the stack), 20,000 unclosed `<b>`,
//! megabytes of NUL bytes (each one a parse error and a token), or millions of tiny tags
//! (each one a DOM node of a few hundred bytes). So before and while parsing:
//!
//! - NUL characters are dropped (browsers ignore them in text; the parser would record
//!   two errors for each);
//! - nesting is flattened beyond [`MAX_DEPTH`] open elements, as browsers do (Chromium
//!   attaches elements deeper than 512 levels to the element at that depth): a start tag
//!   that would nest deeper is left out with its end tag, its text stays;
//! - the DOM is capped at [`MAX_NODES`] nodes: the page is fed to the parser in chunks and
//!   the rest is not parsed once the cap is reached (a news page has a few thousand).
//!
//! The depth scan is a light tag scanner, not a second HTML parser: it skips comments
//! and raw-text elements (`script`, `style`, `textarea`, `title`, `noscript`, …), does
//! not count void elements, and lets the elements whose end tag is optional (`p`, `li`,
//! `td`, …) close their open namesake, so ordinary sloppy markup is never flattened.
//! Whatever it gets wrong only matters on pages nested deeper than [`MAX_DEPTH`].

use html5ever::driver::ParseOpts;
use html5ever::tendril::TendrilSink;
use scraper::{Html, HtmlTreeSink};

/// Open elements kept before deeper ones are flattened.
pub(crate) const MAX_DEPTH: usize = 512;
/// DOM nodes (elements, text, comments) after which the rest of the page is not parsed.
pub(crate) const MAX_NODES: usize = 200_000;
/// Bytes fed to the parser at a time (the node cap is checked between chunks).
const CHUNK_BYTES: usize = 16 * 1024;
/// How far down the scanner's stack an end tag looks for its start tag.
const END_TAG_SEARCH: usize = 64;

/// Elements that never have content.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "basefont", "bgsound", "frame", "keygen", "image",
];
/// Elements whose content is raw text up to their end tag.
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];
/// Elements whose end tag may be omitted: a new one closes an open one.
const SELF_CLOSING_SIBLINGS: &[&str] = &[
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "tbody", "thead", "tfoot", "rb",
    "rt", "rp", "rtc", "colgroup", "caption",
];
/// Elements that never add depth (the parser keeps one of each).
const SINGLETONS: &[&str] = &["html", "head", "body"];

/// A parsed page and what was cut to parse it.
pub(crate) struct Parsed {
    pub(crate) html: Html,
    /// What the limits changed, if anything (`inspect` shows it).
    pub(crate) limit: Option<String>,
}

struct Open {
    name: String,
    kept: bool,
}

/// The page with NUL removed and nesting flattened beyond `max_depth`; how many start
/// tags were left out.
pub(crate) fn flatten(text: &str, max_depth: usize) -> (String, usize) {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut stack: Vec<Open> = Vec::new();
    let mut kept_depth = 0usize;
    let mut dropped = 0usize;
    let mut foreign = 0usize; // open `svg`/`math` elements
    let mut i = 0;
    let mut copied = 0; // bytes of `text` before this offset are in `out` (or dropped)
    let push_text = |out: &mut String, piece: &str| {
        if piece.contains('\0') {
            out.extend(piece.chars().filter(|&c| c != '\0'));
        } else {
            out.push_str(piece);
        }
    };
    while let Some(lt) = memchr(b'<', &bytes[i..]).map(|p| p + i) {
        i = lt + 1;
        let rest = &text[lt..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            i = comment.find("-->").map_or(bytes.len(), |p| lt + 4 + p + 3);
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            i = memchr(b'>', &bytes[lt..]).map_or(bytes.len(), |p| lt + p + 1);
            continue;
        }
        let (end_tag, name_start) = if rest.starts_with("</") {
            (true, lt + 2)
        } else {
            (false, lt + 1)
        };
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b':')
            .count();
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            continue;
        }
        let name = text[name_start..name_start + name_len].to_ascii_lowercase();
        let tag_end = tag_end(bytes, name_start + name_len);
        let self_closing = tag_end >= 2 && bytes[tag_end - 2] == b'/';
        i = tag_end;
        if end_tag {
            let found = stack
                .iter()
                .rev()
                .take(END_TAG_SEARCH)
                .position(|o| o.name == name)
                .map(|from_top| stack.len() - 1 - from_top);
            if let Some(at) = found {
                let kept = stack[at].kept;
                for o in stack.drain(at..) {
                    kept_depth -= usize::from(o.kept);
                    foreign -= usize::from(is_foreign(&o.name));
                }
                if !kept {
                    push_text(&mut out, &text[copied..lt]);
                    copied = tag_end;
                }
            }
            continue;
        }
        if SINGLETONS.contains(&name.as_str()) || VOID.contains(&name.as_str()) {
            continue;
        }
        if self_closing && foreign > 0 {
            continue;
        }
        if SELF_CLOSING_SIBLINGS.contains(&name.as_str())
            && let Some(from_top) = stack.iter().rev().take(4).position(|o| o.name == name)
        {
            let at = stack.len() - 1 - from_top;
            for o in stack.drain(at..) {
                kept_depth -= usize::from(o.kept);
                foreign -= usize::from(is_foreign(&o.name));
            }
        }
        let kept = kept_depth < max_depth;
        if kept {
            kept_depth += 1;
        } else {
            dropped += 1;
            push_text(&mut out, &text[copied..lt]);
            copied = tag_end;
        }
        if RAW_TEXT.contains(&name.as_str()) {
            // Skip to the end tag; the content is not markup. A dropped raw-text start
            // tag takes its content with it (it would have been invisible).
            let close = find_end_tag(text, tag_end, &name);
            if !kept {
                copied = close.map_or(bytes.len(), |(_, after)| after);
                i = copied;
                continue;
            }
            i = close.map_or(bytes.len(), |(at, _)| at);
            continue;
        }
        foreign += usize::from(is_foreign(&name));
        stack.push(Open { name, kept });
    }
    push_text(&mut out, &text[copied.min(text.len())..]);
    (out, dropped)
}

/// Offset just past the `>` that ends a tag whose name ends at `from` (quotes respected).
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote: Option<u8> = None;
    let mut prev_eq = false;
    for (k, &b) in bytes[from..].iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'>' => return from + k + 1,
            None if (b == b'"' || b == b'\'') && prev_eq => quote = Some(b),
            None => {}
        }
        if !b.is_ascii_whitespace() {
            prev_eq = b == b'=';
        }
    }
    bytes.len()
}

/// Where `</name` starts after `from`, and the offset just past its `>`.
fn find_end_tag(text: &str, from: usize, name: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut at = from;
    while let Some(p) = memchr(b'<', &bytes[at..]).map(|p| p + at) {
        let after = p + 2 + name.len();
        if bytes.get(p + 1) == Some(&b'/')
            && bytes
                .get(p + 2..after)
                .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
            && bytes.get(after).is_none_or(|b| !b.is_ascii_alphanumeric())
        {
            return Some((p, tag_end(bytes, after)));
        }
        at = p + 1;
    }
    None
}

fn is_foreign(name: &str) -> bool {
    name == "svg" || name == "math"
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// Parse a page within the limits of this module.
pub(crate) fn parse(text: &str) -> Parsed {
    parse_with(text, MAX_DEPTH, MAX_NODES)
}

pub(crate) fn parse_with(text: &str, max_depth: usize, max_nodes: usize) -> Parsed {
    let (flat, dropped) = flatten(text, max_depth);
    let mut parser = html5ever::driver::parse_document(
        HtmlTreeSink::new(Html::new_document()),
        ParseOpts::default(),
    );
    let mut at = 0;
    let mut cut = false;
    while at < flat.len() {
        let mut end = (at + CHUNK_BYTES).min(flat.len());
        while !flat.is_char_boundary(end) {
            end += 1;
        }
        parser.process(flat[at..end].into());
        at = end;
        if parser.tokenizer.sink.sink.0.borrow().tree.nodes().len() >= max_nodes {
            cut = at < flat.len();
            break;
        }
    }
    let html = parser.finish();
    let mut notes = Vec::new();
    if dropped > 0 {
        notes.push(format!(
            "nesting deeper than {max_depth} levels flattened ({dropped} tags)"
        ));
    }
    if cut {
        notes.push(format!(
            "page cut after {max_nodes} nodes ({} of {} bytes parsed)",
            at,
            flat.len()
        ));
    }
    Parsed {
        html,
        limit: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(html: &Html) -> usize {
        html.tree
            .nodes()
            .map(|n| n.ancestors().count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn deep_nesting_is_flattened_and_text_kept() {
        let n = 100_000;
        let page = format!(
            "<html><body>{}deep text{}</body></html>",
            "<div>".repeat(n),
            "</div>".repeat(n)
        );
        let parsed = parse(&page);
        assert!(
            depth(&parsed.html) <= MAX_DEPTH + 4,
            "{}",
            depth(&parsed.html)
        );
        let text: String = parsed.html.root_element().text().collect();
        assert!(text.contains("deep text"));
        assert!(
            parsed
                .limit
                .as_deref()
                .is_some_and(|l| l.contains("flattened"))
        );

        let page = format!("<html><body><p>{}</p></body></html>", "<b>x".repeat(n));
        let parsed = parse(&page);
        assert!(
            depth(&parsed.html) <= MAX_DEPTH + 8,
            "{}",
            depth(&parsed.html)
        );
    }

    #[test]
    fn ordinary_markup_is_untouched() {
        let page = "<html><head><title>a<b</title><script>if (a<b) { x = '<div>'; }</script></head>\
            <body><!-- <div> --><p>one<p>two<ul><li>a<li>b</ul><table><tr><td>1<td>2<tr><td>3</table>\
            <img src=x><br><svg><path d='M0'/></svg><div class=\"a>b\">c</div></body></html>";
        let (flat, dropped) = flatten(page, 8);
        assert_eq!(dropped, 0);
        assert_eq!(flat, page);
    }

    #[test]
    fn nul_bytes_are_dropped_and_dom_is_capped() {
        let page = format!(
            "<html><body><p>a{}b</p></body></html>",
            "\0".repeat(100_000)
        );
        let parsed = parse(&page);
        let text: String = parsed.html.root_element().text().collect();
        assert_eq!(text, "ab");

        let page = format!("<html><body>{}</body></html>", "<br>".repeat(100_000));
        let parsed = parse_with(&page, MAX_DEPTH, 10_000);
        let nodes = parsed.html.tree.nodes().len();
        assert!(nodes < 20_000, "{nodes}");
        assert!(parsed.limit.as_deref().is_some_and(|l| l.contains("cut")));
    }
}
