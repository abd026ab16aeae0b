//! A small, forgiving HTML tokenizer: enough to read `<a href>` links, text and block
//! boundaries from whole HTML reports and from the HTML fragments that converters leave
//! inside Markdown (`<p>…</p>`, `<ul><li>`, `<a href="…">`).
//!
//! It keeps byte offsets (for line numbers), never allocates per character and runs in
//! one pass over the tags, keeping no tree and no stack of open elements (only
//! counters), so nesting depth costs nothing: 100,000 nested `<div>`s or 20,000 unclosed
//! `<b>`s read like flat text. Malformed markup degrades to text instead of failing.
//!
//! Rules:
//! - `<a href>` is a link; `<blockquote cite>` cites the quote (its first text) and
//!   `<q cite>` the sentence holding the quote: the HTML ways to name a source.
//! - Bare URLs in text are links, except inside `<code>`, `<pre>`, `<kbd>`, `<samp>`
//!   and `<var>` (typed or shown text, not a citation).
//! - `<script>`, `<style>`, `<noscript>`, `<template>`, `<title>`, `<svg>` and
//!   `<textarea>` hold no report text. `<head>` is not skipped as a whole: HTML5 lets a
//!   page omit `</head>` (and `<head>` itself), so only the elements above are.
//! - [`base_href`] is the document's `<base href>`, for relative links.

use super::block::{Block, BlockKind, BlockLink};
use super::lines::LineIndex;
use super::urls::{decode_entities, find_urls};

/// Longest tag read (bytes); anything longer is text.
const MAX_TAG_BYTES: usize = 8192;

/// One parsed tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag<'a> {
    /// Lower-case tag name.
    pub(crate) name: String,
    pub(crate) closing: bool,
    /// The raw attribute text.
    pub(crate) attrs: &'a str,
}

/// Parse the tag at the start of `s` (which starts with `<`). Returns the tag and its
/// length in bytes, or `None` when `s` does not start with a tag (a lone `<`).
pub(crate) fn parse_tag(s: &str) -> Option<(Tag<'_>, usize)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'<') {
        return None;
    }
    if s.starts_with("<!--") {
        let end = s.find("-->").map_or(s.len(), |e| e + 3);
        return Some((
            Tag {
                name: "!--".into(),
                closing: false,
                attrs: "",
            },
            end,
        ));
    }
    let (closing, name_start) = if b.get(1) == Some(&b'/') {
        (true, 2)
    } else {
        (false, 1)
    };
    let first = *b.get(name_start)?;
    if !(first.is_ascii_alphabetic() || first == b'!' || first == b'?') {
        return None;
    }
    let name_end = b[name_start..]
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'-' || *c == b'!' || *c == b'?'))
        .map_or(b.len(), |p| name_start + p);
    // Find the closing `>` outside quotes, within a bounded length (a stray `<a x="`
    // must not make every later `<` scan to the end of the text).
    let mut quote: Option<u8> = None;
    let mut i = name_end;
    let limit = b.len().min(name_end + MAX_TAG_BYTES);
    while i < limit {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'>' => {
                let name = s[name_start..name_end].to_ascii_lowercase();
                let attrs = s[name_end..i].trim_end_matches('/');
                return Some((
                    Tag {
                        name,
                        closing,
                        attrs,
                    },
                    i + 1,
                ));
            }
            None if c == b'<' => return None,
            None => {}
        }
        i += 1;
    }
    None
}

/// The raw value of attribute `name` in a tag's attribute text.
pub(crate) fn attr<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let b = attrs.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let key_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'>' {
            i += 1;
        }
        let key = &attrs[key_start..i];
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let (vs, ve) = if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let vs = i + 1;
                let ve = b[vs..]
                    .iter()
                    .position(|&c| c == q)
                    .map_or(b.len(), |p| vs + p);
                i = (ve + 1).min(b.len());
                (vs, ve)
            } else {
                let vs = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                (vs, i)
            };
            if key.eq_ignore_ascii_case(name) {
                return Some(&attrs[vs..ve]);
            }
        } else if key_start == i {
            i += 1;
        }
    }
    None
}

/// Tags that start a new block.
fn is_block_tag(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "li"
            | "ul"
            | "ol"
            | "tr"
            | "table"
            | "tbody"
            | "thead"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "blockquote"
            | "dd"
            | "dt"
            | "dl"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "body"
            | "main"
            | "nav"
            | "aside"
            | "figure"
            | "figcaption"
            | "pre"
            | "hr"
            | "caption"
    )
}

/// Tags whose content is never report text.
fn is_skipped_tag(name: &str) -> bool {
    matches!(
        name,
        "script" | "style" | "noscript" | "template" | "title" | "svg" | "textarea"
    )
}

/// Tags whose text is typed, shown or computed, not prose: no bare URL in them is a
/// citation.
pub(crate) fn is_code_tag(name: &str) -> bool {
    matches!(name, "code" | "pre" | "kbd" | "samp" | "var")
}

/// The `href` of the document's first `<base>` element, as written.
pub(crate) fn base_href(src: &str) -> Option<&str> {
    let mut i = 0;
    while let Some(lt) = src[i..].find('<').map(|p| i + p) {
        let Some((tag, len)) = parse_tag(&src[lt..]) else {
            i = lt + 1;
            continue;
        };
        match tag.name.as_str() {
            "base" if !tag.closing => {
                if let Some(href) = attr(tag.attrs, "href") {
                    return Some(href.trim());
                }
            }
            // `<base>` belongs in the head: nothing after the body starts counts.
            "body" => return None,
            _ => {}
        }
        i = lt + len;
    }
    None
}

/// Builds blocks from a stream of tags and text.
struct Builder<'l> {
    lines: &'l LineIndex,
    blocks: Vec<Block>,
    cur: Block,
    open_link: Option<usize>,
    in_code: usize,
    /// `<blockquote cite>`s waiting for the quote's first text: (URL, line).
    pending_cites: Vec<(String, usize)>,
}

impl Builder<'_> {
    fn flush(&mut self, kind: BlockKind, line: usize) {
        let next = Block::new(kind, line);
        let done = std::mem::replace(&mut self.cur, next);
        if !done.text.trim().is_empty() || !done.links.is_empty() {
            self.blocks.push(done);
        }
        self.open_link = None;
    }

    fn text(&mut self, raw: &str, offset: usize) {
        let decoded = decode_entities(raw);
        let base = self.cur.text.len();
        if let Some(first) = decoded.find(|c: char| !c.is_whitespace()) {
            self.cite_here(base + first);
        }
        if self.open_link.is_none() && self.in_code == 0 {
            for u in find_urls(&decoded) {
                let nl = decoded[..u.start].matches('\n').count();
                self.cur.links.push(BlockLink {
                    pos: base + u.start,
                    text_range: base + u.start..base + u.end,
                    written: u.written,
                    line: self.lines.line(offset) + nl,
                    md_escapes: false,
                });
            }
        }
        self.cur.text.push_str(&decoded);
    }

    /// Place the waiting `<blockquote cite>`s at byte `pos` of the current block.
    fn cite_here(&mut self, pos: usize) {
        for (written, line) in std::mem::take(&mut self.pending_cites) {
            self.hidden_link(written, pos, line);
        }
    }

    /// A link with no visible text of its own at byte `pos` of the current block.
    fn hidden_link(&mut self, written: String, pos: usize, line: usize) {
        // Links stay in text order (claims of many links rely on it).
        let at = self.cur.links.partition_point(|l| l.pos <= pos);
        self.cur.links.insert(
            at,
            BlockLink {
                pos,
                text_range: pos..pos,
                written,
                line,
                md_escapes: false,
            },
        );
        if let Some(open) = self.open_link.as_mut().filter(|k| **k >= at) {
            *open += 1;
        }
    }
}

/// Split an HTML document or fragment into blocks with their links.
///
/// `base` is the byte offset of `src` in the file (for line numbers). `<a href>` gives a
/// link (pure `#` anchors included: callers decide what they are); bare URLs in text
/// outside links and outside `<code>`/`<pre>` give links too.
pub(crate) fn html_blocks(src: &str, base: usize, lines: &LineIndex) -> Vec<Block> {
    let mut b = Builder {
        lines,
        blocks: Vec::new(),
        cur: Block::new(BlockKind::Paragraph, lines.line(base)),
        open_link: None,
        in_code: 0,
        pending_cites: Vec::new(),
    };
    let mut i = 0;
    let mut text_start = 0;
    let mut skip_until: Option<String> = None;
    while let Some(lt) = src[i..].find('<').map(|p| i + p) {
        let Some((tag, len)) = parse_tag(&src[lt..]) else {
            i = lt + 1;
            continue;
        };
        if let Some(end_name) = &skip_until {
            if tag.closing && &tag.name == end_name {
                skip_until = None;
                text_start = lt + len;
            }
            i = lt + len;
            continue;
        }
        if text_start < lt {
            b.text(&src[text_start..lt], base + text_start);
        }
        i = lt + len;
        text_start = i;
        let line = lines.line(base + lt);
        let name = tag.name.as_str();
        if is_skipped_tag(name) && !tag.closing {
            skip_until = Some(tag.name.clone());
            continue;
        }
        match (name, tag.closing) {
            ("a", false) => {
                if let Some(href) = attr(tag.attrs, "href") {
                    let pos = b.cur.text.len();
                    b.cur.links.push(BlockLink {
                        pos,
                        text_range: pos..pos,
                        written: href.to_string(),
                        line,
                        md_escapes: false,
                    });
                    b.open_link = Some(b.cur.links.len() - 1);
                }
            }
            ("a", true) => {
                if let Some(k) = b.open_link.take() {
                    let end = b.cur.text.len();
                    if let Some(link) = b.cur.links.get_mut(k) {
                        link.text_range.end = end;
                    }
                }
            }
            ("br", _) => b.cur.text.push(' '),
            ("q", false) => {
                if let Some(cite) = attr(tag.attrs, "cite") {
                    let pos = b.cur.text.len();
                    b.hidden_link(cite.to_string(), pos, line);
                }
            }
            (n, false) if is_code_tag(n) => b.in_code += 1,
            (n, true) if is_code_tag(n) => b.in_code = b.in_code.saturating_sub(1),
            ("td" | "th", false) => {
                let at = b.cur.text.len();
                if !b.cur.text.is_empty() {
                    b.cur.text.push(' ');
                }
                b.cur.kind = BlockKind::Row;
                b.cur.cells.push(at..at);
            }
            ("td" | "th", true) => {
                let end = b.cur.text.len();
                if let Some(cell) = b.cur.cells.last_mut() {
                    cell.end = end;
                }
            }
            (n, closing) if is_block_tag(n) => {
                let kind = match n {
                    "li" if !closing => BlockKind::Item,
                    "tr" if !closing => BlockKind::Row,
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" if !closing => BlockKind::Heading,
                    _ => BlockKind::Paragraph,
                };
                // Inside a table row, `</p>` etc. do not end the row.
                if b.cur.kind == BlockKind::Row && !matches!(n, "tr" | "table" | "tbody" | "thead")
                {
                    continue;
                }
                if n == "blockquote" && closing {
                    // A quote without text still names its source.
                    let pos = b.cur.text.len();
                    b.cite_here(pos);
                }
                b.flush(kind, line);
                if n == "blockquote" && !closing {
                    if let Some(cite) = attr(tag.attrs, "cite") {
                        b.pending_cites.push((cite.to_string(), line));
                    }
                }
            }
            _ => {}
        }
    }
    if skip_until.is_none() && text_start < src.len() {
        b.text(&src[text_start..], base + text_start);
    }
    let pos = b.cur.text.len();
    b.cite_here(pos);
    let line = lines.line(base + src.len());
    b.flush(BlockKind::Paragraph, line);
    // Rows: make sure every cell range is closed.
    for block in &mut b.blocks {
        let len = block.text.len();
        for cell in &mut block.cells {
            if cell.end < cell.start {
                cell.end = len;
            }
        }
        if let Some(last) = block.cells.last_mut() {
            if last.end == last.start {
                last.end = len;
            }
        }
    }
    b.blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(src: &str) -> Vec<Block> {
        html_blocks(src, 0, &LineIndex::new(src))
    }

    #[test]
    fn tags_and_attrs() {
        let src = r#"<a href="x?a=1&amp;b=2" class='c'>t"#;
        let (t, n) = parse_tag(src).unwrap();
        assert_eq!((t.name.as_str(), t.closing, n), ("a", false, src.len() - 1));
        assert_eq!(attr(t.attrs, "href"), Some("x?a=1&amp;b=2"));
        assert_eq!(attr(t.attrs, "class"), Some("c"));
        assert_eq!(attr("HREF=/x", "href"), Some("/x"));
        assert!(parse_tag("< a").is_none());
        assert!(parse_tag("<a href='x'").is_none());
    }

    #[test]
    fn paragraphs_links_and_items() {
        let bs = blocks(
            "<p>一。<a href=\"http://a.cn/1\">甲</a></p> <ul><li>➤ 二 http://b.cn/2。</li></ul>",
        );
        assert_eq!(bs.len(), 2);
        assert_eq!(bs[0].links[0].written, "http://a.cn/1");
        assert_eq!(&bs[0].text[bs[0].links[0].text_range.clone()], "甲");
        assert_eq!(bs[1].kind, BlockKind::Item);
        assert_eq!(bs[1].links[0].written, "http://b.cn/2");
    }

    #[test]
    fn rows_scripts_and_code() {
        let src = "<script>var u='http://x.cn';</script><table><tr><td>2018-04-12</td><td>Event.</td>\n<td><a href=\"http://a.cn\">src</a></td></tr></table><pre>http://code.cn</pre>";
        let bs = blocks(src);
        assert_eq!(bs.len(), 2);
        assert_eq!(bs[0].kind, BlockKind::Row);
        assert_eq!(bs[0].claim_at(0), "2018-04-12 Event.");
        assert_eq!(bs[0].links[0].line, 2);
        assert!(bs[1].links.is_empty());
    }
}
