//! Markdown reports: pulldown-cmark events (with source offsets) reduced to [`Block`]s.
//!
//! Inline links, reference links (line of the definition), autolinks, bare URLs in
//! prose, footnotes (the claim is the sentence holding the `[^n]` mark), raw HTML
//! (`<a href>` and `<q cite>` inline, HTML blocks through [`html_blocks`]) and pipe
//! tables are read; fenced and indented code, inline code and inline `<code>`, `<kbd>`,
//! `<samp>`, `<var>` are not. `$…$` math is text, never a link. The seed-style TAB
//! tables are cut out beforehand by [`super::table`] (pulldown-cmark would read their
//! indented rows as code).
//!
//! A bare URL is one token of the source text: it is found in the source before inline
//! parsing can split it at characters Markdown might read as syntax (`_`, `*`, `~`,
//! `[`, `&amp;`, `\_` in `Rust_(language)`, `__init__.py`, `~user`, `a*b*c`), and its
//! source spelling goes into the block. It ends where the URL rules of [`super::urls`]
//! end it, and also where Markdown really starts something else inside it (a link, a
//! footnote mark, inline code or HTML, the end of a table cell). Its backslash escapes
//! are removed from the URL checked.

use std::collections::HashMap;
use std::ops::Range;

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

use super::block::{Block, BlockKind, BlockLink, FootnoteMark, normalize_space};
use super::html::{attr, html_blocks, is_code_tag, parse_tag};
use super::lines::LineIndex;
use super::urls::{find_url_spans, trim_url_end};

/// A block and what it belongs to.
#[derive(Debug)]
pub(crate) struct MdBlock {
    pub(crate) block: Block,
    /// The nearest heading above.
    pub(crate) context: Option<String>,
    /// Set for blocks inside a footnote definition.
    pub(crate) footnote: Option<String>,
}

struct State<'a> {
    src: &'a str,
    lines: &'a LineIndex,
    out: &'a mut dyn FnMut(MdBlock),
    stack: Vec<Block>,
    heading: Option<String>,
    footnote: Option<String>,
    open_links: Vec<usize>,
    code_depth: usize,
    html_buf: Option<(usize, String)>,
    /// Bare URL tokens of the source (byte ranges), cut at [`stops`].
    bare: Vec<(usize, usize)>,
    /// Source text before this offset was written as part of a bare URL.
    written_to: usize,
    /// Open inline `<code>`/`<kbd>`/`<samp>`/`<var>` elements.
    html_code: usize,
}

impl State<'_> {
    fn top(&mut self, line: usize) -> &mut Block {
        if self.stack.is_empty() {
            self.stack.push(Block::new(BlockKind::Paragraph, line));
        }
        let last = self.stack.len() - 1;
        &mut self.stack[last]
    }

    fn open(&mut self, kind: BlockKind, line: usize) {
        self.stack.push(Block::new(kind, line));
    }

    fn close(&mut self) {
        if let Some(block) = self.stack.pop() {
            self.open_links.clear();
            if block.kind == BlockKind::Heading {
                let h = normalize_space(&block.text);
                self.heading = (!h.is_empty()).then_some(h);
            }
            if !block.text.trim().is_empty() || !block.links.is_empty() {
                (self.out)(MdBlock {
                    block,
                    context: self.heading.clone(),
                    footnote: self.footnote.clone(),
                });
            }
        }
    }

    /// Text of an event at `range` of the source; bare URLs are looked for when `scan`.
    fn text(&mut self, t: &str, range: Range<usize>, scan: bool) {
        let scan = scan && self.open_links.is_empty() && self.html_code == 0;
        let verbatim = self.src.get(range.clone()) == Some(t);
        let mut at = range.start;
        if self.written_to > range.start {
            // Already written as part of a bare URL (an entity or escape in it, a piece
            // of emphasis syntax): only what follows the URL is new.
            if !verbatim || self.written_to >= range.end {
                return;
            }
            at = self.written_to;
        }
        let (src, lines) = (self.src, self.lines);
        let first = self.bare.partition_point(|&(s, _)| s < at);
        let n = self.bare[first..].partition_point(|&(s, _)| s < range.end);
        let tokens = self.bare[first..first + n].to_vec();
        let block = self.top(lines.line(range.start));
        if !scan {
            block
                .text
                .push_str(if verbatim { &src[at..range.end] } else { t });
            return;
        }
        if !verbatim {
            // Text that is not a slice of the source (an entity, a trimmed line): its
            // own URLs, as the event gives them.
            let base = block.text.len();
            for (s, e) in find_url_spans(t) {
                block.links.push(BlockLink {
                    pos: base + s,
                    text_range: base + s..base + e,
                    written: t[s..e].to_string(),
                    line: lines.line(range.start),
                    md_escapes: false,
                });
            }
            block.text.push_str(t);
            return;
        }
        for (start, end) in tokens {
            block.text.push_str(&src[at..start]);
            let pos = block.text.len();
            block.text.push_str(&src[start..end]);
            block.links.push(BlockLink {
                pos,
                text_range: pos..block.text.len(),
                written: src[start..end].to_string(),
                line: lines.line(start),
                md_escapes: true,
            });
            at = end;
        }
        if at < range.end {
            block.text.push_str(&src[at..range.end]);
        }
        self.written_to = self.written_to.max(at);
    }

    fn start_link(&mut self, written: String, line: usize) {
        let block = self.top(line);
        let pos = block.text.len();
        block.links.push(BlockLink {
            pos,
            text_range: pos..pos,
            written,
            line,
            md_escapes: false,
        });
        let idx = block.links.len() - 1;
        self.open_links.push(idx);
    }

    fn end_link(&mut self) {
        if let Some(idx) = self.open_links.pop() {
            let block = self.top(0);
            let end = block.text.len();
            if let Some(l) = block.links.get_mut(idx) {
                l.text_range.end = end;
            }
        }
    }

    fn inline_html(&mut self, html: &str, range: Range<usize>) {
        let Some((tag, _)) = parse_tag(html.trim_start()) else {
            self.text(html, range, true);
            return;
        };
        let line = self.lines.line(range.start);
        match (tag.name.as_str(), tag.closing) {
            ("a", false) => {
                if let Some(href) = attr(tag.attrs, "href") {
                    self.start_link(href.to_string(), line);
                }
            }
            ("a", true) => self.end_link(),
            ("q", false) => {
                if let Some(cite) = attr(tag.attrs, "cite") {
                    let block = self.top(line);
                    let pos = block.text.len();
                    block.links.push(BlockLink {
                        pos,
                        text_range: pos..pos,
                        written: cite.to_string(),
                        line,
                        md_escapes: false,
                    });
                }
            }
            ("br", _) => self.text(" ", range.start..range.start, false),
            (n, false) if is_code_tag(n) => self.html_code += 1,
            (n, true) if is_code_tag(n) => self.html_code = self.html_code.saturating_sub(1),
            _ => {}
        }
    }
}

/// Read a Markdown document into blocks, handing each to `out` as it closes (so a
/// large report is never held as blocks all at once).
pub(crate) fn markdown_blocks(text: &str, lines: &LineIndex, out: &mut dyn FnMut(MdBlock)) {
    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_MATH;
    let bare = bare_urls(text, &stops(text, opts));
    let parser = Parser::new_ext(text, opts);
    let refdefs: HashMap<String, usize> = parser
        .reference_definitions()
        .iter()
        .map(|(k, d)| (k.to_lowercase(), lines.line(d.span.start)))
        .collect();
    let mut st = State {
        src: text,
        lines,
        out,
        stack: Vec::new(),
        heading: None,
        footnote: None,
        open_links: Vec::new(),
        code_depth: 0,
        html_buf: None,
        bare,
        written_to: 0,
        html_code: 0,
    };
    for (event, range) in parser.into_offset_iter() {
        let line = lines.line(range.start);
        if st.code_depth > 0 {
            match event {
                Event::Start(Tag::CodeBlock(_)) => st.code_depth += 1,
                Event::End(TagEnd::CodeBlock) => st.code_depth -= 1,
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(tag) => match tag {
                Tag::Paragraph => {
                    if !matches!(st.stack.last().map(|b| b.kind), Some(BlockKind::Item)) {
                        st.open(BlockKind::Paragraph, line);
                    } else if let Some(b) = st.stack.last_mut() {
                        if !b.text.is_empty() {
                            b.text.push(' ');
                        }
                    }
                }
                Tag::Heading { .. } => st.open(BlockKind::Heading, line),
                Tag::Item => st.open(BlockKind::Item, line),
                Tag::TableHead | Tag::TableRow => st.open(BlockKind::Row, line),
                Tag::TableCell => {
                    let b = st.top(line);
                    if !b.text.is_empty() {
                        b.text.push(' ');
                    }
                    let at = b.text.len();
                    b.cells.push(at..at);
                }
                // Code is neither a citation nor part of a claim.
                Tag::CodeBlock(_) => st.code_depth = 1,
                Tag::FootnoteDefinition(label) => st.footnote = Some(label.to_string()),
                Tag::Link {
                    link_type,
                    dest_url,
                    id,
                    ..
                } => {
                    if link_type == LinkType::Email {
                        st.open_links.push(usize::MAX);
                        continue;
                    }
                    let def_line = match link_type {
                        LinkType::Reference | LinkType::Collapsed | LinkType::Shortcut => {
                            refdefs.get(&id.to_lowercase()).copied().unwrap_or(line)
                        }
                        _ => lines.line(range.end.saturating_sub(1)),
                    };
                    st.start_link(dest_url.to_string(), def_line);
                }
                Tag::HtmlBlock => st.html_buf = Some((range.start, String::new())),
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Paragraph
                    if !matches!(st.stack.last().map(|b| b.kind), Some(BlockKind::Item)) =>
                {
                    st.close();
                }
                TagEnd::Heading(_) | TagEnd::Item | TagEnd::TableHead | TagEnd::TableRow => {
                    st.close()
                }
                TagEnd::TableCell => {
                    let b = st.top(line);
                    let end = b.text.len();
                    if let Some(c) = b.cells.last_mut() {
                        c.end = end;
                    }
                }
                TagEnd::FootnoteDefinition => st.footnote = None,
                TagEnd::Link => {
                    if st.open_links.last() == Some(&usize::MAX) {
                        st.open_links.pop();
                    } else {
                        st.end_link();
                    }
                }
                TagEnd::HtmlBlock => {
                    if let Some((start, buf)) = st.html_buf.take() {
                        for block in html_blocks(&buf, start, lines) {
                            (st.out)(MdBlock {
                                block,
                                context: st.heading.clone(),
                                footnote: st.footnote.clone(),
                            });
                        }
                    }
                }
                _ => {}
            },
            Event::Text(t) => st.text(&t, range, true),
            Event::Code(t) => st.text(&t, range, false),
            // Math is text as written (`$…$` included), never a link.
            Event::InlineMath(_) | Event::DisplayMath(_) => {
                let src = text.get(range.clone()).unwrap_or_default();
                st.text(src, range, false);
            }
            Event::SoftBreak | Event::HardBreak => {
                let at = range.start;
                st.text(" ", at..at, false);
            }
            Event::InlineHtml(h) => st.inline_html(&h, range),
            Event::Html(h) => {
                if let Some((_, buf)) = st.html_buf.as_mut() {
                    buf.push_str(&h);
                } else {
                    for block in html_blocks(&h, range.start, lines) {
                        (st.out)(MdBlock {
                            block,
                            context: st.heading.clone(),
                            footnote: st.footnote.clone(),
                        });
                    }
                }
            }
            Event::FootnoteReference(label) => {
                let b = st.top(line);
                let pos = b.text.len();
                b.footnotes.push(FootnoteMark {
                    pos,
                    label: label.to_string(),
                    line,
                });
            }
            _ => {}
        }
    }
    while !st.stack.is_empty() {
        st.close();
    }
}

/// Source offsets where Markdown starts something that ends a bare URL: links,
/// footnote marks, inline code, HTML and math, and the end of each table cell. A first,
/// cheap pass of the parser (no text is kept).
fn stops(text: &str, opts: Options) -> Vec<usize> {
    let mut stops: Vec<usize> = Parser::new_ext(text, opts)
        .into_offset_iter()
        .filter_map(|(event, range)| match event {
            Event::Start(Tag::Link { .. } | Tag::Image { .. })
            | Event::FootnoteReference(_)
            | Event::Code(_)
            | Event::InlineHtml(_)
            | Event::Html(_)
            | Event::InlineMath(_)
            | Event::DisplayMath(_) => Some(range.start),
            Event::End(TagEnd::TableCell) => Some(range.end),
            _ => None,
        })
        .collect();
    stops.sort_unstable();
    stops
}

/// The bare URL tokens of `text`: [`find_url_spans`], each cut at the first of `stops`
/// inside it (then trimmed again, and a trailing backslash, a Markdown hard break,
/// dropped).
fn bare_urls(text: &str, stops: &[usize]) -> Vec<(usize, usize)> {
    find_url_spans(text)
        .into_iter()
        .filter_map(|(start, end)| {
            let k = stops.partition_point(|&s| s <= start);
            let end = stops.get(k).map_or(end, |&s| s.min(end));
            let mut url = trim_url_end(&text[start..end]);
            while let Some(shorter) = url.strip_suffix('\\') {
                url = trim_url_end(shorter);
            }
            let scheme = url.find("://").map_or(url.len(), |i| i + 3);
            (url.len() > scheme).then_some((start, start + url.len()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(src: &str) -> Vec<MdBlock> {
        let mut out = Vec::new();
        markdown_blocks(src, &LineIndex::new(src), &mut |b| out.push(b));
        out
    }

    #[test]
    fn links_of_every_kind() {
        let src = "# Title\n\nOne [a](https://a.com/x). Two <https://b.com/y> and https://c.com/z.\n\nSee [ref][r].\n\n[r]: https://d.com/w\n\n```\nhttps://code.com/\n```\n\n    https://indented.com/\n";
        let bs = blocks(src);
        let links: Vec<(String, usize)> = bs
            .iter()
            .flat_map(|b| b.block.links.iter().map(|l| (l.written.clone(), l.line)))
            .collect();
        assert_eq!(
            links,
            vec![
                ("https://a.com/x".to_string(), 3),
                ("https://b.com/y".to_string(), 3),
                ("https://c.com/z".to_string(), 3),
                ("https://d.com/w".to_string(), 7),
            ]
        );
        assert_eq!(bs[1].context.as_deref(), Some("Title"));
        assert_eq!(
            bs[1].block.claim_at(bs[1].block.links[1].pos),
            "Two <https://b.com/y> and https://c.com/z."
                .replace("<https://b.com/y>", "https://b.com/y")
        );
    }

    #[test]
    fn footnotes_and_inline_html() {
        let src = "A claim.[^1] Other.\n\n[^1]: https://f.com/1\n\nText <a href=\"https://h.com/?a=1&amp;b=2\">here</a>.\n";
        let bs = blocks(src);
        assert_eq!(bs[0].block.footnotes[0].label, "1");
        assert_eq!(
            bs[0].block.claim_before(bs[0].block.footnotes[0].pos),
            "A claim."
        );
        assert_eq!(bs[1].footnote.as_deref(), Some("1"));
        assert_eq!(bs[1].block.links[0].written, "https://f.com/1");
        assert_eq!(bs[2].block.links[0].written, "https://h.com/?a=1&amp;b=2");
    }

    #[test]
    fn bare_urls_are_source_tokens_cut_where_markdown_starts_something() {
        let src = "Source https://a.com/x[^1] and https://a.com/p__q__r.\n\n[^1]: note\n\n\
                   Then https://b.com/y[link](https://c.com/z) and https://d.com/`code`.\n\n\
                   | a |https://t.com/p| y |\n|---|---|---|\n| 1 |https://t.com/q|2|\n\n\
                   Break https://e.com/h\\\nnext line.\n";
        let bs = blocks(src);
        let links: Vec<&str> = bs
            .iter()
            .flat_map(|b| b.block.links.iter().map(|l| l.written.as_str()))
            .collect();
        assert_eq!(
            links,
            vec![
                "https://a.com/x",
                "https://a.com/p__q__r",
                "https://b.com/y",
                "https://c.com/z",
                "https://d.com/",
                "https://t.com/p",
                "https://t.com/q",
                "https://e.com/h",
            ]
        );
        // The block keeps the URL's source spelling, and the text around it once.
        assert_eq!(
            bs[0].block.text,
            "Source https://a.com/x and https://a.com/p__q__r."
        );
    }
}
