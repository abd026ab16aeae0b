//! Reports in binary formats (PDF, Word) reduced to what the text front ends read:
//! prose blocks with their links, and tables as TAB rows with HTML cells for
//! [`super::table`], so claims, dates, keywords and the i-th claim ↔ i-th link pairing
//! follow exactly the rules of Markdown reports.
//!
//! Every block and row is addressed by a *synthetic line*: an index into
//! [`Laid::locations`], which says where it stands in the file (page and line on the
//! page for PDF; paragraph number for Word). URLs joined across a line or page break
//! are listed in [`Laid::joins`] so the citation keeps the fragment as `written_url`
//! and says what was joined.

use std::ops::Range;

use super::block::{Block, BlockKind, BlockLink};
use super::urls::{find_urls, is_url_tail, looks_truncated};
use crate::model::{Repair, RepairKind};

/// Where a synthetic line stands in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Location {
    /// 1-based page (PDF).
    pub(crate) page: Option<usize>,
    /// 1-based line on the page (PDF) or paragraph number (Word).
    pub(crate) line: usize,
}

/// A URL joined across a break.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Join {
    /// Synthetic line of the first fragment.
    pub(crate) line: usize,
    /// The joined URL.
    pub(crate) url: String,
    /// The first fragment, as the report shows it.
    pub(crate) written: String,
    pub(crate) repair: Repair,
}

/// A report laid out as blocks and TAB rows.
#[derive(Debug, Clone, Default)]
pub(crate) struct Laid {
    /// The document's plain text (for the report's year context).
    pub(crate) plain: String,
    /// TAB rows at their synthetic lines, `·` on prose lines, blank elsewhere.
    pub(crate) table_text: String,
    /// Prose blocks with the heading they sit under and, for a footnote or endnote,
    /// its label.
    pub(crate) blocks: Vec<(Block, Option<String>, Option<String>)>,
    /// Synthetic line `n` stands at `locations[n - 1]`.
    pub(crate) locations: Vec<Location>,
    pub(crate) joins: Vec<Join>,
}

impl Laid {
    /// Add a synthetic line at `loc`; returns its number.
    pub(crate) fn line_at(&mut self, loc: Location) -> usize {
        self.locations.push(loc);
        self.locations.len()
    }

    /// Where synthetic line `n` stands.
    pub(crate) fn locate(&self, n: usize) -> Location {
        n.checked_sub(1)
            .and_then(|i| self.locations.get(i))
            .copied()
            .unwrap_or_default()
    }

    /// Fill `table_text` from the rows (synthetic line → TAB text) and prose lines.
    pub(crate) fn set_rows(&mut self, rows: &[(usize, String)], prose: &[usize]) {
        let n = self.locations.len();
        let mut lines = vec![String::new(); n];
        for &p in prose {
            if let Some(l) = p.checked_sub(1).and_then(|i| lines.get_mut(i)) {
                *l = "·".into();
            }
        }
        for (line, text) in rows {
            if let Some(l) = line.checked_sub(1).and_then(|i| lines.get_mut(i)) {
                *l = text.replace(['\n', '\r'], " ");
            }
        }
        self.table_text = lines.join("\n");
    }
}

/// A paragraph being built from lines: its text, the synthetic line of each byte run,
/// and link anchors.
#[derive(Debug, Clone, Default)]
pub(crate) struct Para {
    pub(crate) text: String,
    /// `(byte offset, synthetic line)` where each source line starts.
    pub(crate) lines: Vec<(usize, usize)>,
    /// Link anchors: text range and target.
    pub(crate) anchors: Vec<(Range<usize>, String)>,
    /// Whether the last line pushed reached the right edge.
    pub(crate) last_full: bool,
}

/// Whether `c` is CJK text or punctuation (no space is put next to it when lines join).
pub(crate) fn is_cjk(c: char) -> bool {
    crate::pdf::glyphs::is_cjk(c)
}

impl Para {
    /// The synthetic line of byte `pos`.
    pub(crate) fn line_of(&self, pos: usize) -> usize {
        let i = self.lines.partition_point(|&(at, _)| at <= pos);
        self.lines.get(i.saturating_sub(1)).map_or(0, |&(_, l)| l)
    }

    /// Append a source line's text (`line` its synthetic line; `full` when it reached
    /// the right edge, so a URL at its end may go on in the next line). Returns the offset of
    /// `text` in the paragraph; a URL joined across the break goes to `joins`, with
    /// `kind` naming the break (`joined_line_break`, `joined_page_break`).
    pub(crate) fn push_line(
        &mut self,
        text: &str,
        line: usize,
        full: bool,
        kind: RepairKind,
        where_: &dyn Fn(usize) -> String,
        joins: &mut Vec<Join>,
    ) -> usize {
        let prev_full = std::mem::replace(&mut self.last_full, full);
        if self.text.is_empty() {
            self.lines.push((0, line));
            self.text.push_str(text);
            return 0;
        }
        let prev_line = self.lines.last().map_or(line, |&(_, l)| l);
        let last = self.text.chars().next_back().unwrap_or(' ');
        let first = text.chars().next().unwrap_or(' ');
        // A URL cut at the line end goes on with the next line's leading URL characters.
        let tail_url = find_urls(&self.text[self.text.len().saturating_sub(4096)..])
            .pop()
            .filter(|u| {
                let base = self.text.len().saturating_sub(4096);
                base + u.end == self.text.len()
            });
        let head_len = text
            .char_indices()
            .find(|&(_, c)| !is_url_tail(&c.to_string()))
            .map_or(text.len(), |(i, _)| i);
        let head = &text[..head_len];
        let join_url = prev_full
            && is_url_tail(head)
            && tail_url.as_ref().is_some_and(|u| {
                looks_truncated(&u.written)
                    || u.written.ends_with(['/', '-', '_', '.', '=', '&', '?'])
                    || head.contains(['/', '.', '_', '=', '&', '?', '%'])
            });
        let sep = if join_url
            || is_cjk(last)
            || is_cjk(first)
            || (last == '-' && first.is_alphanumeric())
        {
            ""
        } else {
            " "
        };
        if join_url && let Some(u) = tail_url {
            let joined = format!("{}{head}", u.written);
            joins.push(Join {
                line: prev_line,
                url: joined.clone(),
                written: u.written.clone(),
                repair: Repair {
                    kind,
                    detail: format!(
                        "URL split by a {}: `{}` ({}) + `{head}` ({}) → `{joined}`",
                        if kind == RepairKind::JoinedPageBreak {
                            "page break"
                        } else {
                            "line end"
                        },
                        u.written,
                        where_(prev_line),
                        where_(line),
                    ),
                },
            });
        }
        self.text.push_str(sep);
        let at = self.text.len();
        self.lines.push((at, line));
        self.text.push_str(text);
        at
    }

    /// Merge anchors with the same target that touch (a link drawn over two lines).
    pub(crate) fn merge_anchors(&mut self) {
        self.anchors.sort_by_key(|(r, _)| (r.start, r.end));
        let mut out: Vec<(Range<usize>, String)> = Vec::new();
        for (r, uri) in std::mem::take(&mut self.anchors) {
            if let Some((pr, pu)) = out.last_mut()
                && (*pu == uri && r.start <= pr.end + 1 || r.start < pr.end)
            {
                pr.end = pr.end.max(r.end);
                continue;
            }
            out.push((r, uri));
        }
        self.anchors = out;
    }

    /// The paragraph as a prose block: anchors are links; text URLs that no anchor
    /// covers are links too.
    pub(crate) fn into_block(mut self, kind: BlockKind) -> Block {
        self.merge_anchors();
        let mut b = Block::new(kind, self.lines.first().map_or(0, |&(_, l)| l));
        let mut links: Vec<BlockLink> = self
            .anchors
            .iter()
            .filter(|(_, uri)| is_web_target(uri))
            .map(|(r, uri)| BlockLink {
                pos: r.start,
                text_range: r.clone(),
                written: uri.clone(),
                line: self.line_of(r.start),
                md_escapes: false,
            })
            .collect();
        for u in find_urls(&self.text) {
            let covered = self
                .anchors
                .iter()
                .any(|(r, _)| r.start < u.end && u.start < r.end);
            if !covered {
                links.push(BlockLink {
                    pos: u.start,
                    text_range: u.start..u.end,
                    written: u.written,
                    line: self.line_of(u.start),
                    md_escapes: false,
                });
            }
        }
        links.sort_by_key(|l| l.pos);
        b.links = links;
        b.text = self.text;
        b
    }

    /// The paragraph as cell HTML: text escaped, anchors as `<a href>` (targets that
    /// are not web links, e.g. `file:` or in-document, as `href="#"`).
    pub(crate) fn html(&mut self) -> String {
        self.merge_anchors();
        let linky = self.anchors.iter().any(|(_, u)| is_web_target(u));
        let mut out = String::from("<p>");
        let mut at = 0;
        for (r, uri) in &self.anchors {
            if r.start < at || r.end > self.text.len() {
                continue;
            }
            out.push_str(&plain_html(&self.text[at..r.start], linky));
            let href = if is_web_target(uri) {
                uri.replace('"', "%22")
            } else {
                "#".into()
            };
            out.push_str(&format!(
                "<a href=\"{href}\">{}</a>",
                escape(&self.text[r.clone()])
            ));
            at = r.end;
        }
        out.push_str(&plain_html(&self.text[at..], linky));
        out.push_str("</p>");
        out
    }

    /// Append paragraph `b` (its first line continues this one's last, across a page
    /// break): URL fragments join as in [`Para::push_line`].
    pub(crate) fn append(
        &mut self,
        b: Para,
        where_: &dyn Fn(usize) -> String,
        joins: &mut Vec<Join>,
    ) {
        let first_line = b.lines.first().map_or(0, |&(_, l)| l);
        let off = self.push_line(
            &b.text,
            first_line,
            b.last_full,
            RepairKind::JoinedPageBreak,
            where_,
            joins,
        );
        self.lines
            .extend(b.lines.iter().skip(1).map(|&(at, l)| (at + off, l)));
        self.anchors.extend(
            b.anchors
                .into_iter()
                .map(|(r, u)| (r.start + off..r.end + off, u)),
        );
    }
}

/// Plain text of a cell paragraph as HTML. In a paragraph of links, a bare URL
/// fragment (`72785_0.shtml`: the tail of a URL cut by a page break, left unlinked) is
/// written as an in-document link, so the table rules can join it to the cut URL.
fn plain_html(text: &str, linky: bool) -> String {
    if !linky {
        return escape(text);
    }
    let mut out = String::new();
    for (i, tok) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if tok.len() >= 4 && is_url_tail(tok) && tok.contains(['.', '/']) {
            out.push_str(&format!("<a href=\"#\">{}</a>", escape(tok)));
        } else {
            out.push_str(&escape(tok));
        }
    }
    out
}

/// Whether a link target is a citation (web or mail), not a file or in-document link.
pub(crate) fn is_web_target(uri: &str) -> bool {
    let l = uri.trim().to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://") || l.starts_with("mailto:")
}

/// Escape text for the HTML of a cell.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_join_cjk_latin_and_urls() {
        let mut joins = Vec::new();
        let w = |l: usize| format!("line {l}");
        let mut p = Para::default();
        p.push_line(
            "国务院召开常务会",
            1,
            true,
            RepairKind::JoinedLineBreak,
            &w,
            &mut joins,
        );
        p.push_line(
            "议，详见http://www.gov.cn/xinwen/2018-",
            2,
            true,
            RepairKind::JoinedLineBreak,
            &w,
            &mut joins,
        );
        p.push_line(
            "04/12/content_1.htm。It was",
            3,
            true,
            RepairKind::JoinedLineBreak,
            &w,
            &mut joins,
        );
        p.push_line(
            "approved.",
            4,
            false,
            RepairKind::JoinedLineBreak,
            &w,
            &mut joins,
        );
        assert_eq!(
            p.text,
            "国务院召开常务会议，详见http://www.gov.cn/xinwen/2018-04/12/content_1.htm。It was approved."
        );
        assert_eq!(joins.len(), 1);
        assert_eq!(
            joins[0].url,
            "http://www.gov.cn/xinwen/2018-04/12/content_1.htm"
        );
        assert_eq!(joins[0].written, "http://www.gov.cn/xinwen/2018-");
        assert_eq!(joins[0].line, 2);
        // A line that did not reach the edge ends its URL there.
        let mut q = Para::default();
        q.push_line(
            "see http://a.cn/x",
            1,
            false,
            RepairKind::JoinedLineBreak,
            &w,
            &mut joins,
        );
        q.push_line(
            "next/word",
            2,
            false,
            RepairKind::JoinedLineBreak,
            &w,
            &mut joins,
        );
        assert_eq!(q.text, "see http://a.cn/x next/word");
        let b = q.into_block(BlockKind::Paragraph);
        assert_eq!(b.links[0].written, "http://a.cn/x");
    }
}
