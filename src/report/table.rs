//! TAB-separated tables, as PDF-to-Markdown converters leave them: one row per line,
//! cells separated by TABs, a label cell (region, ministry, company), a claims cell and a
//! links cell, with HTML fragments (`<p>`, `<ul><li>`, `<a href>`) inside cells.
//!
//! Rules (none is specific to one report):
//! - **Detection.** A table starts at a line with at least two TAB-separated cells whose
//!   first cell is not empty, outside fenced code; it goes on over lines that hold a TAB
//!   and over blank lines followed by such a line.
//! - **Items.** Claims in a cell are its `<p>`/`<li>` blocks, else its runs of text
//!   separated by two or more spaces. The links cell is the last cell that holds links
//!   and (almost) nothing else; its links are every `<a href>` and bare URL in order.
//!   A link written inside a claim (or label) cell cites the item that holds it.
//! - **Label and date cells.** The first cell is the row's label (context, not claim).
//!   When it holds only a date (`2018-05-08 ⇥ Hainan ⇥ Hainan signed …`) and more cells
//!   follow, the next cell is the label and the date leads every claim of the row that
//!   does not start with a date of its own. Claims never merge cells.
//! - **Continuation rows.** A row whose first cell is empty continues the label above.
//!   Its first claim continues the previous row's last claim when that claim does not
//!   end a sentence, or when the table's claims normally start with a date and this one
//!   does not (a page break cut the sentence): the texts are joined, and characters the
//!   converter repeated across the break (`…协议。` + `议，双方…`) are merged.
//! - **Page-break URL repair.** When the previous row's last URL looks cut short (its
//!   last path segment has no extension, no `/`, no query) and this continuation row's
//!   first link is `href="#"` with a URL-like text, or a relative href starting with
//!   `/`, the two are joined into one URL; the fragment is not a citation of its own.
//! - **Pairing.** The i-th claim goes with the i-th link. When the counts differ, links
//!   are aligned to claims in order by the distance between the date in the URL and the
//!   claim's date; no link is ever dropped.

use super::block::{Block, BlockLink, is_sentence_end, normalize_space};
use super::claims::{YearContext, claim_date, is_date_only, starts_with_date, url_date};
use super::html::html_blocks;
use super::lines::LineIndex;
use super::urls::{decode_entities, is_citation_href, is_url_tail, looks_truncated};
use super::{RawCitation, RawUncited};
use crate::model::{Repair, RepairKind};

/// A link in a row's links cell.
#[derive(Debug, Clone)]
struct CellLink {
    written: String,
    url: String,
    text: String,
    line: usize,
    repairs: Vec<Repair>,
}

/// One parsed row.
#[derive(Debug, Clone)]
struct Row {
    line: usize,
    label: String,
    own_label: bool,
    claims: Vec<String>,
    links: Vec<CellLink>,
    /// Links written inside a claim (or label) cell, with the item that holds them.
    inline: Vec<(CellLink, String)>,
    has_link_cell: bool,
}

/// What the tables of a document yield.
#[derive(Debug, Default)]
pub(crate) struct TableOutput {
    /// Byte ranges of table lines (the Markdown/text front ends skip them).
    pub(crate) ranges: Vec<(usize, usize)>,
    pub(crate) citations: Vec<RawCitation>,
    pub(crate) uncited: Vec<RawUncited>,
}

/// Find and read every TAB table in `text`.
pub(crate) fn extract_tables(text: &str, lines: &LineIndex, ctx: &YearContext) -> TableOutput {
    let mut out = TableOutput::default();
    for table in find_tables(text) {
        let rows: Vec<Row> = table
            .iter()
            .map(|&(s, e)| parse_row(&text[s..e], s, lines))
            .collect();
        if let (Some(first), Some(last)) = (table.first(), table.last()) {
            out.ranges.push((first.0, last.1));
        }
        let rows = apply_continuations(rows);
        for row in rows {
            pair_row(row, ctx, &mut out);
        }
    }
    out
}

/// Line ranges `(start, end)` of each table's rows (blank lines left out).
fn find_tables(text: &str) -> Vec<Vec<(usize, usize)>> {
    let mut tables = Vec::new();
    let mut cur: Vec<(usize, usize)> = Vec::new();
    let mut fence: Option<&str> = None;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let (start, end) = (offset, offset + raw.trim_end_matches(['\n', '\r']).len());
        offset += raw.len();
        let line = &text[start..end];
        let trimmed = line.trim_start_matches(' ');
        if let Some(f) = fence {
            if trimmed.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if line.len() - trimmed.len() <= 3
            && (trimmed.starts_with("```") || trimmed.starts_with("~~~"))
        {
            fence = Some(&trimmed[..3]);
            flush(&mut cur, &mut tables);
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let is_start = !line.starts_with(char::is_whitespace)
            && line.split('\t').filter(|c| !c.trim().is_empty()).count() >= 2;
        if line.contains('\t') && (is_start || !cur.is_empty()) {
            cur.push((start, end));
        } else {
            flush(&mut cur, &mut tables);
        }
    }
    flush(&mut cur, &mut tables);
    tables
}

fn flush(cur: &mut Vec<(usize, usize)>, tables: &mut Vec<Vec<(usize, usize)>>) {
    if !cur.is_empty() {
        tables.push(std::mem::take(cur));
    }
}

/// Parse one row line starting at byte `base`.
fn parse_row(line: &str, base: usize, lines: &LineIndex) -> Row {
    let mut cells: Vec<(usize, &str)> = Vec::new();
    let mut at = 0;
    for cell in line.split('\t') {
        cells.push((base + at, cell));
        at += cell.len() + 1;
    }
    let cell_text = |&(off, cell): &(usize, &str)| {
        let texts: Vec<String> = html_blocks(cell, off, lines)
            .into_iter()
            .map(|b| b.text)
            .collect();
        normalize_space(&texts.join(" "))
    };
    let first = cells.first().map(cell_text).unwrap_or_default();
    // A leading date cell: the label is the next cell, the date leads the claims.
    let date_first = cells.len() >= 3 && is_date_only(&first);
    let (label_idx, label, row_date) = if date_first {
        (1, cell_text(&cells[1]), Some(first))
    } else {
        (0, first, None)
    };
    // The links cell: the last cell that holds links and little else.
    let link_idx = (label_idx + 1..cells.len())
        .rev()
        .find(|&i| has_link(cells[i].1) && is_links_only(cells[i].1, cells[i].0, lines));
    let dated = |item: String| match &row_date {
        Some(d) if !starts_with_date(&item) => format!("{d} {item}"),
        _ => item,
    };
    let mut claims = Vec::new();
    let mut inline = Vec::new();
    for (i, &(off, cell)) in cells.iter().enumerate() {
        if Some(i) == link_idx {
            continue;
        }
        for (item, item_links) in cell_items(cell, off, lines) {
            // An item that carries its own link is cited by it, not paired.
            let cited = !item_links.is_empty();
            for l in item_links {
                let claim = if i <= label_idx {
                    label.clone()
                } else {
                    dated(item.clone())
                };
                inline.push((l, claim));
            }
            if i > label_idx && !cited && !item.is_empty() {
                claims.push(dated(item));
            }
        }
    }
    let mut links = Vec::new();
    if let Some(i) = link_idx {
        let (off, cell) = cells[i];
        for block in html_blocks(cell, off, lines) {
            links.extend(block.links.iter().map(|l| cell_link(&block, l)));
        }
    }
    Row {
        line: lines.line(base),
        own_label: !label.is_empty(),
        label,
        claims,
        links,
        inline,
        has_link_cell: link_idx.is_some(),
    }
}

/// A link of a cell, with its visible text and the entity-decoding repair.
fn cell_link(block: &Block, l: &BlockLink) -> CellLink {
    let text = block
        .text
        .get(l.text_range.clone())
        .unwrap_or_default()
        .trim()
        .to_string();
    let url = decode_entities(&l.written).trim().to_string();
    let mut repairs = Vec::new();
    if url != l.written {
        repairs.push(Repair {
            kind: RepairKind::DecodedEntities,
            detail: format!("HTML entities decoded in `{}`", l.written),
        });
    }
    CellLink {
        written: l.written.clone(),
        url,
        text,
        line: l.line,
        repairs,
    }
}

/// Whether a cell holds only links: fewer than 4 letters or digits outside link texts.
fn is_links_only(cell: &str, base: usize, lines: &LineIndex) -> bool {
    let mut words = 0;
    for block in html_blocks(cell, base, lines) {
        let mut at = 0;
        for l in &block.links {
            if l.text_range.start >= at && l.text_range.end <= block.text.len() {
                words += block.text[at..l.text_range.start]
                    .chars()
                    .filter(|c| c.is_alphanumeric())
                    .count();
                at = l.text_range.end;
            }
        }
        words += block.text[at..]
            .chars()
            .filter(|c| c.is_alphanumeric())
            .count();
    }
    words < 4
}

/// Whether a cell holds a link (`<a href`, or a bare URL).
fn has_link(cell: &str) -> bool {
    let lower = cell.to_ascii_lowercase();
    lower.contains("<a ") && lower.contains("href")
        || lower.contains("http://")
        || lower.contains("https://")
}

/// The claim items of a cell (its blocks, else its runs split by 2+ spaces), each with
/// the links written inside it.
fn cell_items(cell: &str, base: usize, lines: &LineIndex) -> Vec<(String, Vec<CellLink>)> {
    let blocks: Vec<Block> = html_blocks(cell, base, lines);
    let mut items = Vec::new();
    for b in &blocks {
        let links = b.links.iter().filter(|l| is_citation_href(&l.written));
        if blocks.len() > 1 {
            items.push((
                normalize_space(&b.text),
                links.map(|l| cell_link(b, l)).collect(),
            ));
            continue;
        }
        let runs = split_runs(&b.text);
        let mut with_links: Vec<(String, Vec<CellLink>)> = runs
            .iter()
            .map(|r| (normalize_space(r), Vec::new()))
            .collect();
        for l in links {
            // The run that holds the link's position (runs are slices of `b.text`).
            let k = runs
                .iter()
                .rposition(|r| r.as_ptr() as usize - b.text.as_ptr() as usize <= l.pos)
                .unwrap_or(0);
            if let Some(item) = with_links.get_mut(k) {
                item.1.push(cell_link(b, l));
            }
        }
        items.extend(with_links);
    }
    items.retain(|(s, l)| !s.is_empty() || !l.is_empty());
    items
}

/// Split at runs of two or more spaces (ASCII, ideographic, no-break).
fn split_runs(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut run_start: Option<usize> = None;
    let mut run_len = 0;
    for (i, c) in s.char_indices() {
        if c == ' ' || c == '\u{3000}' || c == '\u{a0}' {
            if run_start.is_none() {
                run_start = Some(i);
            }
            run_len += 1;
        } else {
            if let Some(rs) = run_start.take() {
                if run_len >= 2 {
                    out.push(&s[start..rs]);
                    start = i;
                }
            }
            run_len = 0;
        }
    }
    out.push(&s[start..]);
    out
}

/// Apply the continuation-row rules (label, claim and URL continuation).
fn apply_continuations(rows: Vec<Row>) -> Vec<Row> {
    // The header row (first row) is left out of the statistics.
    let all_items: Vec<&String> = rows.iter().skip(1).flat_map(|r| r.claims.iter()).collect();
    let dated = all_items.iter().filter(|c| starts_with_date(c)).count();
    let mostly_dated = !all_items.is_empty() && dated * 10 >= all_items.len() * 6;
    let mut out: Vec<Row> = Vec::with_capacity(rows.len());
    for mut row in rows {
        let Some(prev) = out.last_mut() else {
            out.push(row);
            continue;
        };
        if row.own_label {
            out.push(row);
            continue;
        }
        row.label.clone_from(&prev.label);
        // Claim continuation.
        if let (Some(first), Some(last)) = (row.claims.first(), prev.claims.last_mut()) {
            let cut = !last.ends_with(is_sentence_end) && !last.ends_with(['。', '.', '”', '」']);
            if cut || (mostly_dated && !starts_with_date(first)) {
                *last = join_continuation(last, first);
                row.claims.remove(0);
            }
        }
        // Page-break URL repair.
        if let (Some(first), Some(last)) = (row.links.first(), prev.links.last_mut()) {
            let tail = if first.written.trim() == "#" && is_url_tail(&first.text) {
                Some(first.text.clone())
            } else if first.written.starts_with('/') && !first.written.starts_with("//") {
                Some(first.url.clone())
            } else {
                None
            };
            if let Some(tail) = tail.filter(|_| looks_truncated(&last.url)) {
                let joined = format!("{}{}", last.url, tail);
                last.repairs.push(Repair {
                    kind: RepairKind::JoinedPageBreak,
                    detail: format!(
                        "URL split by a page break: `{}` (line {}) + `{}` (line {}, {}) → `{}`",
                        last.written,
                        last.line,
                        tail,
                        first.line,
                        if first.written.trim() == "#" {
                            "text of an href=\"#\" link"
                        } else {
                            "relative href"
                        },
                        joined
                    ),
                });
                last.url = joined;
                row.links.remove(0);
            }
        }
        out.push(row);
    }
    // Pure `#` anchors left over are not citations.
    for row in &mut out {
        row.links.retain(|l| is_citation_href(&l.written));
    }
    out
}

/// Join a claim cut by a page break with its continuation.
fn join_continuation(prev: &str, cont: &str) -> String {
    let core = prev
        .trim_end_matches(is_sentence_end)
        .trim_end_matches(['。', '.']);
    if core.len() < prev.len() {
        // The converter closed the cut sentence and repeated its last characters on the
        // next page: merge the overlap when the continuation goes on with punctuation.
        for k in (1..=4).rev() {
            let Some((head_end, next)) = cont.char_indices().nth(k) else {
                continue;
            };
            let head = &cont[..head_end];
            if core.ends_with(head)
                && (next.is_ascii_punctuation()
                    || ('\u{3000}'..='\u{303f}').contains(&next)
                    || ('\u{ff00}'..='\u{ffef}').contains(&next))
            {
                return format!("{core}{}", &cont[head_end..]);
            }
        }
        return format!("{prev}{cont}");
    }
    let ascii_gap = prev.ends_with(|c: char| c.is_ascii_alphanumeric())
        && cont.starts_with(|c: char| c.is_ascii_alphanumeric());
    if ascii_gap {
        format!("{prev} {cont}")
    } else {
        format!("{prev}{cont}")
    }
}

/// Pair a row's claims and links and emit citations / uncited claims.
fn pair_row(row: Row, ctx: &YearContext, out: &mut TableOutput) {
    let context = (!row.label.is_empty()).then(|| row.label.clone());
    for (link, claim) in &row.inline {
        out.citations.push(RawCitation {
            line: link.line,
            written: link.written.clone(),
            url: link.url.clone(),
            claim: claim.clone(),
            context: context.clone(),
            repairs: link.repairs.clone(),
        });
    }
    if row.links.is_empty() {
        if !row.has_link_cell || row.claims.iter().any(|c| starts_with_date(c)) {
            for c in row.claims.iter().filter(|c| starts_with_date(c)) {
                out.uncited.push(RawUncited {
                    line: row.line,
                    text: c.clone(),
                    context: context.clone(),
                });
            }
        }
        return;
    }
    let assign = align(&row.claims, &row.links, ctx);
    let mut used = vec![false; row.claims.len()];
    for (link, j) in row.links.iter().zip(assign) {
        let claim = match j {
            Some(j) => {
                used[j] = true;
                row.claims[j].clone()
            }
            None => row.label.clone(),
        };
        out.citations.push(RawCitation {
            line: link.line,
            written: link.written.clone(),
            url: link.url.clone(),
            claim,
            context: context.clone(),
            repairs: link.repairs.clone(),
        });
    }
    for (c, _) in row
        .claims
        .iter()
        .zip(&used)
        .filter(|(c, u)| !**u && starts_with_date(c))
    {
        out.uncited.push(RawUncited {
            line: row.line,
            text: c.clone(),
            context: context.clone(),
        });
    }
}

/// Which claim each link goes with (`None` only when the row has no claims).
fn align(claims: &[String], links: &[CellLink], ctx: &YearContext) -> Vec<Option<usize>> {
    let (n, m) = (links.len(), claims.len());
    if m == 0 {
        return vec![None; n];
    }
    if n == m {
        return (0..n).map(Some).collect();
    }
    if n.saturating_mul(m) > 250_000 {
        return (0..n).map(|i| Some(i * m / n)).collect();
    }
    let cdates: Vec<_> = claims.iter().map(|c| claim_date(c, ctx).0).collect();
    let cost = |i: usize, j: usize| -> u64 {
        match (url_date(&links[i].url), cdates[j]) {
            (Some(u), Some(c)) => u64::try_from((u - c).num_days().abs().min(60)).unwrap_or(60),
            _ => 30,
        }
    };
    const INF: u64 = u64::MAX / 4;
    // dp[i][j]: best cost with link i on claim j; links in order, claims non-decreasing
    // (strictly increasing when there are fewer links than claims).
    let strict = n < m;
    let mut dp = vec![vec![INF; m]; n];
    let mut back = vec![vec![0usize; m]; n];
    for (j, slot) in dp[0].iter_mut().enumerate() {
        *slot = cost(0, j);
    }
    for i in 1..n {
        let mut best = (INF, 0);
        for j in 0..m {
            let reach = if strict { j } else { j + 1 };
            // best over dp[i-1][0..reach]
            if reach > 0 && dp[i - 1][reach - 1] < best.0 {
                best = (dp[i - 1][reach - 1], reach - 1);
            }
            if best.0 < INF {
                dp[i][j] = best.0 + cost(i, j);
                back[i][j] = best.1;
            }
        }
    }
    let mut j = (0..m).min_by_key(|&j| dp[n - 1][j]).unwrap_or(0);
    let mut out = vec![None; n];
    for i in (0..n).rev() {
        out[i] = Some(j);
        j = back[i][j];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn ctx() -> YearContext {
        let d = |m, day| NaiveDate::from_ymd_opt(2018, m, day).unwrap();
        YearContext {
            period: Some((d(3, 16), d(4, 15))),
            anchor: Some(d(4, 15)),
        }
    }

    fn run(text: &str) -> TableOutput {
        extract_tables(text, &LineIndex::new(text), &ctx())
    }

    #[test]
    fn pairs_items_with_links() {
        let t = "地区\t政策\t链接\n甲省\t3月1日，甲。  3月2日，乙。\t<a href=\"http://a.cn/1\">x</a>  <a href=\"http://a.cn/2?a=1&amp;b=2\">y</a>\n";
        let o = run(t);
        assert_eq!(o.citations.len(), 2);
        assert_eq!(o.citations[0].claim, "3月1日，甲。");
        assert_eq!(o.citations[1].claim, "3月2日，乙。");
        assert_eq!(o.citations[1].url, "http://a.cn/2?a=1&b=2");
        assert_eq!(o.citations[1].written, "http://a.cn/2?a=1&amp;b=2");
        assert_eq!(o.citations[1].context.as_deref(), Some("甲省"));
        assert_eq!(o.ranges, vec![(0, t.len() - 1)]);
    }

    #[test]
    fn page_break_repairs() {
        let t = "地区\t政策\t链接\n甲\t3月1日，签订协议。\t<a href=\"http://a.cn/x/574\">http://a.cn/x/574</a>\n\n \t<p>议，双方合作。</p> <p>3月2日，乙。</p>\t<a href=\"#\">72785_0.shtml</a>  <a href=\"http://b.cn/2\">b</a>\n乙\t3月3日，开展植树实\t<a href=\"http://c.cn/s/20180327\">c</a>\n\n \t体参与活动。  3月4日，丙。\t<a href=\"/t1.shtml\">/t1.shtml</a>  <a href=\"http://d.cn/4\">d</a>\n";
        let o = run(t);
        let got: Vec<(&str, &str, usize)> = o
            .citations
            .iter()
            .map(|c| (c.url.as_str(), c.claim.as_str(), c.line))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "http://a.cn/x/57472785_0.shtml",
                    "3月1日，签订协议，双方合作。",
                    2
                ),
                ("http://b.cn/2", "3月2日，乙。", 4),
                (
                    "http://c.cn/s/20180327/t1.shtml",
                    "3月3日，开展植树实体参与活动。",
                    5
                ),
                ("http://d.cn/4", "3月4日，丙。", 7),
            ]
        );
        assert_eq!(o.citations[0].written, "http://a.cn/x/574");
        assert_eq!(o.citations[0].repairs[0].kind, RepairKind::JoinedPageBreak);
        assert_eq!(o.citations[1].context.as_deref(), Some("甲"));
    }

    #[test]
    fn align_by_url_date_never_drops() {
        let t = "地区\t政策\t链接\n甲\t3月1日，甲。  3月20日，乙。  4月2日，丙。\t<a href=\"http://a.cn/2018-03/20/x.htm\">1</a>  <a href=\"http://a.cn/201804/t20180402_1.htm\">2</a>\n";
        let o = run(t);
        let claims: Vec<&str> = o.citations.iter().map(|c| c.claim.as_str()).collect();
        assert_eq!(claims, vec!["3月20日，乙。", "4月2日，丙。"]);
        assert_eq!(o.uncited.len(), 1);
        let t = "地区\t政策\t链接\n甲\t3月1日，甲。\t<a href=\"http://a.cn/1\">1</a>  <a href=\"http://a.cn/2\">2</a>\n";
        assert_eq!(run(t).citations.len(), 2);
    }

    #[test]
    fn tables_without_links_give_uncited_and_code_is_ignored() {
        let t = "企业\t举措\n甲\t<ul><li>➤ 4月9日，甲事。</li> <li>➤ 4月10日，乙事。</li></ul>\n```\na\tb\tc http://x.cn\n```\n";
        let o = run(t);
        assert!(o.citations.is_empty());
        let u: Vec<&str> = o.uncited.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(u, vec!["4月9日，甲事。", "4月10日，乙事。"]);
    }

    #[test]
    fn links_inside_claim_cells_are_citations() {
        let t = "公司\t举措\n甲\t4月1日，甲事，见http://a.cn/1。  4月2日，乙事。\n<a href=\"http://l.cn\">乙</a>\t4月3日，丙事。\thttp://b.cn/3\n";
        let o = run(t);
        let got: Vec<(&str, &str)> = o
            .citations
            .iter()
            .map(|c| (c.url.as_str(), c.claim.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("http://a.cn/1", "4月1日，甲事，见http://a.cn/1。"),
                ("http://l.cn", "乙"),
                ("http://b.cn/3", "4月3日，丙事。"),
            ]
        );
        let u: Vec<&str> = o.uncited.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(u, vec!["4月2日，乙事。"]);
    }

    #[test]
    fn joins() {
        assert_eq!(
            join_continuation("签订合作协议。", "议，双方"),
            "签订合作协议，双方"
        );
        assert_eq!(join_continuation("开展实", "体参与。"), "开展实体参与。");
        assert_eq!(join_continuation("It was", "done."), "It was done.");
        assert_eq!(split_runs("a  b c   d"), vec!["a", "b c", "d"]);
    }
}
