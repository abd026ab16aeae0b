//! The unit every front end (Markdown, HTML, text) reduces a report to: a block of plain
//! text (paragraph, list item, table row, heading) with the links found in it.
//!
//! Claim rules live here so every format shares them: in a paragraph the claim is the
//! sentence that holds the link (or the footnote mark); in a list item it is the item;
//! in a table row it is the row's cells that are not just links, cell by cell: a cell
//! that is only a date leads the claim, the row's label cell (its first short text cell,
//! when a longer one follows: `| 2018-05-08 | Hainan | Hainan signed … |`) is the
//! citation's context instead of part of the claim, and the other cells are joined with
//! `; ` so that no keyword spans two cells.

use std::cell::OnceCell;
use std::ops::Range;

/// Longest claim text kept (bytes); longer sentences are cut to a window around the link.
pub(crate) const MAX_CLAIM_BYTES: usize = 2000;

/// What kind of block a [`Block`] is; decides which text becomes a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockKind {
    Paragraph,
    Item,
    Row,
    Heading,
}

/// One link found in a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlockLink {
    /// Byte position in [`Block::text`] where the link (or footnote mark) stands.
    pub(crate) pos: usize,
    /// Byte range in [`Block::text`] of the link's visible text (empty for hidden ones).
    pub(crate) text_range: Range<usize>,
    /// The href / URL as written in the source.
    pub(crate) written: String,
    /// 1-based line of the URL in the source.
    pub(crate) line: usize,
    /// Written as a bare URL in Markdown prose, where backslash escapes (`a\_b`) are
    /// not part of the URL.
    pub(crate) md_escapes: bool,
}

/// A footnote reference mark in a block (`[^1]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FootnoteMark {
    pub(crate) pos: usize,
    pub(crate) label: String,
    pub(crate) line: usize,
}

/// A block of plain text and the links in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    pub(crate) kind: BlockKind,
    pub(crate) text: String,
    pub(crate) links: Vec<BlockLink>,
    pub(crate) footnotes: Vec<FootnoteMark>,
    /// Cell ranges in `text` (table rows only).
    pub(crate) cells: Vec<Range<usize>>,
    /// 1-based line where the block starts.
    pub(crate) line: usize,
    /// Sentence ends of `text`, computed once (claims of many links stay linear).
    ends: OnceCell<Vec<usize>>,
    /// The whole-block claim (items, rows), computed once.
    whole: OnceCell<String>,
    /// A table row's label cell, computed with `whole`.
    label: OnceCell<Option<String>>,
}

impl Block {
    /// An empty block of `kind` starting at `line`.
    pub(crate) fn new(kind: BlockKind, line: usize) -> Self {
        Block {
            kind,
            text: String::new(),
            links: Vec::new(),
            footnotes: Vec::new(),
            cells: Vec::new(),
            line,
            ends: OnceCell::new(),
            whole: OnceCell::new(),
            label: OnceCell::new(),
        }
    }

    /// A table row's label cell (see the module docs), the context of its citations.
    pub(crate) fn row_label(&self) -> Option<String> {
        if self.kind != BlockKind::Row {
            return None;
        }
        self.claim_at(0);
        self.label.get().cloned().flatten()
    }

    /// The claim text for a footnote mark at byte `pos`: the mark belongs to the text
    /// before it (`A claim.[^1] Next.` → `A claim.`).
    pub(crate) fn claim_before(&self, pos: usize) -> String {
        let prev = self.text[..pos.min(self.text.len())]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i);
        self.claim_at(prev)
    }

    /// The claim text for something standing at byte `pos` of the block.
    pub(crate) fn claim_at(&self, pos: usize) -> String {
        match self.kind {
            BlockKind::Paragraph | BlockKind::Heading => {
                let ends = self.ends.get_or_init(|| sentence_ends(&self.text));
                let mut r = range_in(ends, &self.text, pos);
                // A sentence that only points at the link (`详见http://…。`, `Source: …`)
                // takes the sentence before it, which states the claim.
                if r.start > 0 && r.len() <= 512 && is_pointer(&self.text[r.clone()]) {
                    r.start = range_in(ends, &self.text, r.start - 1).start;
                }
                if r.len() > MAX_CLAIM_BYTES {
                    r = self.link_segment(r, pos);
                }
                normalize_space(&self.text[clip(&self.text, r, pos)])
            }
            BlockKind::Item => self
                .whole
                .get_or_init(|| {
                    let r = clip(&self.text, 0..self.text.len(), 0);
                    normalize_space(&self.text[r])
                })
                .clone(),
            BlockKind::Row => self
                .whole
                .get_or_init(|| {
                    let (claim, label) = self.row_claim();
                    let _ = self.label.set(label);
                    claim
                })
                .clone(),
        }
    }

    /// Within an over-long "sentence" holding many links (lines of `text URL` without
    /// punctuation, one long list), the claim of the link at `pos` is its own segment:
    /// the text after the previous link up to the end of this one, or, in `URL text`
    /// style (no words before the first link), from this link up to the next.
    fn link_segment(&self, r: Range<usize>, pos: usize) -> Range<usize> {
        // Links of a paragraph are in text order; find ours and its neighbours.
        let idx = self.links.partition_point(|l| l.text_range.end <= pos);
        let Some(own) = self.links.get(idx).filter(|l| l.text_range.start <= pos) else {
            return r;
        };
        let own = own.text_range.clone();
        let prev_end = idx
            .checked_sub(1)
            .and_then(|i| self.links.get(i))
            .map_or(r.start, |l| l.text_range.end.max(r.start))
            .min(own.start);
        let next_start = self
            .links
            .get(idx + 1)
            .map_or(r.end, |l| l.text_range.start.min(r.end))
            .max(own.end);
        let has_words = |t: &str| t.chars().filter(|c| c.is_alphanumeric()).count() >= 2;
        // The style of the whole run decides: text before its first link means
        // `text URL` entries, none means `URL text` entries.
        let first = self.links.partition_point(|l| l.text_range.start < r.start);
        let url_first = self
            .links
            .get(first)
            .is_some_and(|l| !has_words(&self.text[r.start..l.text_range.start.max(r.start)]));
        if url_first || !has_words(&self.text[prev_end..own.start]) {
            own.start.max(r.start)..next_start
        } else {
            prev_end..own.end.min(r.end)
        }
    }

    /// A table row's claim and label: its cells that hold more than links, read as the
    /// module docs say.
    fn row_claim(&self) -> (String, Option<String>) {
        let mut order: Vec<&BlockLink> = self.links.iter().collect();
        order.sort_by_key(|l| l.text_range.start);
        let mut next = 0;
        let mut parts = Vec::new();
        for cell in &self.cells {
            let mut rest = String::new();
            let mut at = cell.start;
            while next < order.len() && order[next].text_range.start < cell.start {
                next += 1;
            }
            while next < order.len() && cell.contains(&order[next].text_range.start) {
                let link = order[next];
                if link.text_range.start >= at && link.text_range.end <= cell.end {
                    rest.push_str(&self.text[at..link.text_range.start]);
                    at = link.text_range.end;
                }
                next += 1;
            }
            rest.push_str(&self.text[at..cell.end]);
            let rest = normalize_space(&rest);
            if !rest.is_empty() && !rest.chars().all(|c| c.is_ascii_punctuation()) {
                parts.push(rest);
            }
        }
        let (dates, texts): (Vec<String>, Vec<String>) = parts
            .into_iter()
            .partition(|p| super::claims::is_date_only(p));
        let is_label = |t: &String| {
            t.chars().count() <= 40
                && !t.ends_with(is_sentence_end)
                && !t.ends_with('.')
                && texts.iter().any(|o| o.chars().count() > t.chars().count())
        };
        let label = texts
            .first()
            .filter(|t| texts.len() >= 2 && is_label(t))
            .cloned();
        let body = texts[usize::from(label.is_some())..].join("; ");
        let joined = dates
            .into_iter()
            .chain((!body.is_empty()).then_some(body))
            .collect::<Vec<_>>()
            .join(" ");
        let r = clip(&joined, 0..joined.len(), 0);
        (joined[r].to_string(), label)
    }
}

/// The sentence range holding `pos`, from precomputed sentence `ends`.
fn range_in(ends: &[usize], text: &str, pos: usize) -> Range<usize> {
    let pos = if pos >= text.len() {
        text.char_indices().next_back().map_or(0, |(i, _)| i)
    } else {
        pos
    };
    let idx = ends.partition_point(|&e| e <= pos);
    let start = if idx == 0 { 0 } else { ends[idx - 1] };
    let end = ends.get(idx).copied().unwrap_or(text.len()).max(start);
    start..end
}

/// Cut `r` to at most [`MAX_CLAIM_BYTES`] around `pos`, on character boundaries.
fn clip(text: &str, r: Range<usize>, pos: usize) -> Range<usize> {
    if r.len() <= MAX_CLAIM_BYTES {
        return r;
    }
    let mut start = pos.saturating_sub(MAX_CLAIM_BYTES / 2).max(r.start);
    while start > r.start && !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + MAX_CLAIM_BYTES).min(r.end);
    while end < r.end && !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// Whether a sentence has almost no words besides its URLs (a pointer like `详见…`).
fn is_pointer(sentence: &str) -> bool {
    let mut rest = String::with_capacity(sentence.len());
    let mut at = 0;
    for u in super::urls::find_urls(sentence) {
        rest.push_str(&sentence[at..u.start]);
        at = u.end;
    }
    rest.push_str(&sentence[at..]);
    rest.chars().filter(|c| c.is_alphanumeric()).count() < 6
}

/// Whether `c` ends a sentence.
pub(crate) fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?' | '；' | '…')
}

/// Byte range of the sentence of `text` that holds byte `pos`.
///
/// Sentences end at `。！？!?；` and at `.` followed by whitespace (not inside a URL or a
/// number). A closing quote or bracket right after the end mark stays with the sentence.
pub(crate) fn sentence_around(text: &str, pos: usize) -> Range<usize> {
    range_in(&sentence_ends(text), text, pos)
}

/// Byte offsets just past each sentence end in `text` (the last one is `text.len()`).
pub(crate) fn sentence_ends(text: &str) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let is_end = is_sentence_end(c)
            || (c == '.'
                && iter.peek().is_none_or(|&(_, n)| n.is_whitespace())
                && !prev_is_abbrev(text, i));
        if is_end {
            let mut end = i + c.len_utf8();
            while let Some(&(j, n)) = iter.peek() {
                if matches!(n, '”' | '’' | '」' | '』' | '）' | ')' | '"' | '\'' | '】')
                    || is_sentence_end(n)
                {
                    end = j + n.len_utf8();
                    iter.next();
                } else {
                    break;
                }
            }
            ends.push(end);
        }
    }
    if ends.last() != Some(&text.len()) {
        ends.push(text.len());
    }
    ends
}

/// Whether the word before the `.` at `dot` is a common abbreviation (`e.g.`, `Dr.`, `No.`).
fn prev_is_abbrev(text: &str, dot: usize) -> bool {
    let before = &text[..dot];
    let word_start = before
        .trim_end_matches(|c: char| c.is_alphabetic() || c == '.')
        .len();
    // Only a free-standing word can be an abbreviation (not the end of a URL or path).
    if before[..word_start]
        .chars()
        .next_back()
        .is_some_and(|c| !c.is_whitespace() && c != '(')
    {
        return false;
    }
    let original = &before[word_start..];
    if original.len() == 1 {
        // An initial (`J. Smith`), not the word `a`.
        return original.chars().all(|c| c.is_uppercase());
    }
    let word = original.to_ascii_lowercase();
    matches!(
        word.as_str(),
        "e.g"
            | "i.e"
            | "dr"
            | "mr"
            | "mrs"
            | "ms"
            | "no"
            | "vs"
            | "etc"
            | "st"
            | "inc"
            | "u.s"
            | "jan"
            | "feb"
            | "mar"
            | "apr"
            | "jun"
            | "jul"
            | "aug"
            | "sep"
            | "sept"
            | "oct"
            | "nov"
            | "dec"
    )
}

/// Collapse runs of whitespace into one space and trim; drop a leading list bullet.
pub(crate) fn normalize_space(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    strip_bullet(&out).to_string()
}

/// Strip a leading bullet (`➤`, `•`, `·`, `-`, `*`, `▪`) and the space after it.
pub(crate) fn strip_bullet(s: &str) -> &str {
    let t = s.trim_start();
    for b in ['➤', '•', '●', '▪', '■', '◆', '➢', '►', '·'] {
        if let Some(rest) = t.strip_prefix(b) {
            return rest.trim_start();
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences() {
        let t = "First one. Second https://a.cn/x. Third!";
        let pos = t.find("https").unwrap();
        assert_eq!(&t[sentence_around(t, pos)], " Second https://a.cn/x.");
        let t = "甲。乙“丙。”丁";
        let pos = t.find('丙').unwrap();
        assert_eq!(&t[sentence_around(t, pos)], "乙“丙。”");
        let t = "See e.g. this [link].";
        assert_eq!(&t[sentence_around(t, 10)], t);
        let t = "A claim. Next.";
        assert_eq!(&t[sentence_around(t, t.len())], " Next.");
    }

    #[test]
    fn pointer_sentences_take_the_claim_before() {
        let mut b = Block::new(BlockKind::Paragraph, 1);
        b.text = "国务院召开会议。详见http://a.cn/x。另一句。".to_string();
        let pos = b.text.find("http").unwrap();
        assert_eq!(b.claim_at(pos), "国务院召开会议。详见http://a.cn/x。");
        let mut b = Block::new(BlockKind::Paragraph, 1);
        b.text = "It rained. See https://a.com/x.".to_string();
        let pos = b.text.find("https").unwrap();
        assert_eq!(b.claim_at(pos), "It rained. See https://a.com/x.");
    }

    #[test]
    fn bullets_and_space() {
        assert_eq!(normalize_space("  ➤ 4月8日，\n 甲  乙 "), "4月8日， 甲 乙");
    }
}
