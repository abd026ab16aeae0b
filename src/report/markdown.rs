//! Markdown reports: pulldown-cmark events (with source offsets) reduced to [`Block`]s.
//!
//! Inline links, reference links (line of the definition), autolinks, bare URLs in
//! prose, footnotes (the claim is the sentence holding the `[^n]` mark), raw HTML
//! (`<a href>` inline, HTML blocks through [`html_blocks`]) and pipe tables are read;
//! fenced and indented code is not. The seed-style TAB tables are cut out beforehand by
//! [`super::table`] (pulldown-cmark would read their indented rows as code).

use std::collections::HashMap;

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

use super::block::{Block, BlockKind, BlockLink, FootnoteMark, normalize_space};
use super::html::{attr, html_blocks, parse_tag};
use super::lines::LineIndex;
use super::urls::find_urls;

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
    lines: &'a LineIndex,
    out: &'a mut dyn FnMut(MdBlock),
    stack: Vec<Block>,
    heading: Option<String>,
    footnote: Option<String>,
    open_links: Vec<usize>,
    code_depth: usize,
    html_buf: Option<(usize, String)>,
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

    fn text(&mut self, t: &str, offset: usize, scan: bool) {
        let in_link = !self.open_links.is_empty();
        let lines = self.lines;
        let block = self.top(lines.line(offset));
        let base = block.text.len();
        if scan && !in_link {
            for u in find_urls(t) {
                block.links.push(BlockLink {
                    pos: base + u.start,
                    text_range: base + u.start..base + u.end,
                    written: u.written,
                    line: lines.line(offset + u.start.min(t.len())),
                });
            }
        }
        block.text.push_str(t);
    }

    fn start_link(&mut self, written: String, line: usize) {
        let block = self.top(line);
        let pos = block.text.len();
        block.links.push(BlockLink {
            pos,
            text_range: pos..pos,
            written,
            line,
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

    fn inline_html(&mut self, html: &str, offset: usize) {
        let Some((tag, _)) = parse_tag(html.trim_start()) else {
            self.text(html, offset, true);
            return;
        };
        match (tag.name.as_str(), tag.closing) {
            ("a", false) => {
                if let Some(href) = attr(tag.attrs, "href") {
                    self.start_link(href.to_string(), self.lines.line(offset));
                }
            }
            ("a", true) => self.end_link(),
            ("br", _) => self.text(" ", offset, false),
            _ => {}
        }
    }
}

/// Read a Markdown document into blocks, handing each to `out` as it closes (so a
/// large report is never held as blocks all at once).
pub(crate) fn markdown_blocks(text: &str, lines: &LineIndex, out: &mut dyn FnMut(MdBlock)) {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH;
    let parser = Parser::new_ext(text, opts);
    let refdefs: HashMap<String, usize> = parser
        .reference_definitions()
        .iter()
        .map(|(k, d)| (k.to_lowercase(), lines.line(d.span.start)))
        .collect();
    let mut st = State {
        lines,
        out,
        stack: Vec::new(),
        heading: None,
        footnote: None,
        open_links: Vec::new(),
        code_depth: 0,
        html_buf: None,
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
            Event::Text(t) => st.text(&t, range.start, true),
            Event::Code(t) => st.text(&t, range.start, false),
            Event::SoftBreak | Event::HardBreak => st.text(" ", range.start, false),
            Event::InlineHtml(h) => st.inline_html(&h, range.start),
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
}
