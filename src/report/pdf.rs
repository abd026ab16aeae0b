//! PDF reports: the text layer's lines become paragraphs and tables ([`super::laid`]),
//! and link annotations become the links of the text under them.
//!
//! Rules (none specific to one report):
//! - **Noise**: a line in the top or bottom eighth of a page that is only a page number
//!   (`3`, `- 3 -`, `第3页`), or whose text repeats in that zone on other pages (a
//!   running header), is left out.
//! - **Tables**: a run of lines cut into segments by wide gaps, whose segments start at
//!   the same x positions (±3 pt) on at least two lines, is a table; its columns are those
//!   starts. Rows are the bands between horizontal rules (cell borders) when the table
//!   has them; otherwise a row starts where the first column has text after a gap, or
//!   where two or more columns start a new paragraph on the same baseline. A cell's
//!   paragraphs are separated by a gap wider than 1.25 line pitches. Tables go on across
//!   pages.
//! - **Paragraphs**: a new one starts after a gap wider than 1.25 line pitches, at a
//!   change of font size, at a bullet, at an indented first line, or after a short line
//!   ending a sentence; a paragraph goes on across a page break when the page's last
//!   line was full and did not end a sentence. Text larger than the body size is a
//!   heading (the context of what follows).
//! - **Lines join** without a space next to CJK text; a URL at the end of a full line
//!   goes on with the next line's URL characters (`repairs`: `joined_line_break`, or
//!   `joined_page_break` across pages).
//! - **Link annotations** (`/Link` with a `/URI`): the glyphs under the rectangle are the
//!   link's text, and the URI is the citation, exact even when the text is truncated; a
//!   text URL under an annotation is not cited twice. Annotations with the same target
//!   that touch (a link over two lines) are one link.

use std::collections::HashMap;

use super::block::{BlockKind, is_sentence_end, normalize_space};
use super::laid::{Laid, Location, Para};
use crate::model::RepairKind;
use crate::pdf::PdfText;
use crate::pdf::glyphs::{Line, Page, lines, segment_text};

/// Tolerance for column starts (points).
const ALIGN_PT: f32 = 3.0;

/// Glyph index and its byte range in a text.
type GlyphSpans = Vec<(usize, std::ops::Range<usize>)>;

/// A segment of a line: text, glyph spans, left and right edge.
type Seg = (String, GlyphSpans, f32, f32);

/// A line of a page as the layout sees it.
struct PLine {
    line: Line,
    /// Synthetic line.
    syn: usize,
    /// Each segment's text, glyph spans and edges.
    segs: Vec<Seg>,
}

/// Where a glyph's characters ended up: paragraph and byte range.
type GlyphAt = HashMap<(usize, usize), (usize, std::ops::Range<usize>)>;

/// Lay a PDF out for the text front ends.
pub(crate) fn laid_out(pdf: &PdfText) -> Laid {
    let mut laid = Laid::default();
    let noise = running_noise(pdf);
    let body = body_size(pdf);
    let mut paras: Vec<Para> = Vec::new();
    let mut kinds: Vec<BlockKind> = Vec::new();
    let mut glyph_at: GlyphAt = HashMap::new();
    // Table rows: (synthetic line, cells as lists of paragraph ids, continues the row
    // before across a page break).
    let mut rows: Vec<(usize, Vec<Vec<usize>>, bool)> = Vec::new();
    // Columns of the table the last page ended in.
    let mut table_open: Option<usize> = None;
    let mut prose_lines: Vec<usize> = Vec::new();
    // Reading order: paragraph ids of prose, in order.
    let mut prose: Vec<usize> = Vec::new();
    let mut open: Option<(usize, f32, f32, bool)> = None; // (para, size, right edge, full+unended)
    let mut plain = String::new();
    for (pi, page) in pdf.pages.iter().enumerate() {
        let mut pl: Vec<PLine> = Vec::new();
        for line in lines(page) {
            let whole: Vec<usize> = line.glyphs.clone();
            let t = segment_text(page, &whole, &mut Vec::new());
            if is_noise(&t, line.y, page.height, &noise) {
                continue;
            }
            plain.push_str(&t);
            plain.push('\n');
            let n = pl.len() + 1;
            let syn = laid.line_at(Location {
                page: Some(pi + 1),
                line: n,
            });
            let segs = line
                .segments
                .iter()
                .enumerate()
                .map(|(s, r)| {
                    let mut at = Vec::new();
                    let text = segment_text(page, &line.glyphs[r.clone()], &mut at);
                    (text, at, line.seg_x0(page, s), line.seg_x1(page, s))
                })
                .collect();
            pl.push(PLine { line, syn, segs });
        }
        let regions = table_regions(&pl);
        let right = pl
            .iter()
            .flat_map(|l| l.segs.iter().map(|s| s.3))
            .fold(0.0f32, f32::max);
        let mut i = 0;
        let mut reg = regions.iter().peekable();
        let pitch = median_pitch(&pl);
        let mut prev: Option<usize> = None;
        while i < pl.len() {
            if let Some(&&(s, e, ref cols)) = reg.peek()
                && s == i
            {
                reg.next();
                open = None;
                let region_rows = table_rows(page, &pl[s..e], cols);
                // A table going on from the last page: its first row, without a label,
                // is the rest of the row the page break cut.
                let carried = s == 0 && table_open == Some(cols.0.len());
                for (ri, row) in region_rows.into_iter().enumerate() {
                    let cont = carried && ri == 0 && row.cells.first().is_none_or(Vec::is_empty);
                    let syn = pl[s + row.first].syn;
                    let mut cells = Vec::new();
                    for cell in row.cells {
                        let mut ids = Vec::new();
                        for para_lines in cell {
                            let id = paras.len();
                            let mut p = Para::default();
                            for (li, si) in para_lines {
                                let l = &pl[s + li];
                                let (text, at, _, x1) = &l.segs[si];
                                let col_right = cols
                                    .1
                                    .get(col_of(&cols.0, l.segs[si].2))
                                    .copied()
                                    .unwrap_or(right);
                                let full = *x1 >= col_right - 1.5 * l.line.size;
                                let locs = &laid.locations;
                                let where_ = |n: usize| describe(locs, n);
                                let off = p.push_line(
                                    text,
                                    l.syn,
                                    full,
                                    RepairKind::JoinedLineBreak,
                                    &where_,
                                    &mut laid.joins,
                                );
                                for (g, r) in at {
                                    glyph_at.insert((pi, *g), (id, r.start + off..r.end + off));
                                }
                            }
                            paras.push(p);
                            kinds.push(BlockKind::Paragraph);
                            ids.push(id);
                        }
                        cells.push(ids);
                    }
                    rows.push((syn, cells, cont));
                }
                table_open = (e == pl.len()).then_some(cols.0.len());
                i = e;
                prev = None;
                continue;
            }
            let l = &pl[i];
            table_open = None;
            prose_lines.push(l.syn);
            let (text, at, x0, x1) = merged_segments(l);
            let size = l.line.size;
            let heading = size > body * 1.15;
            let bullet = starts_bullet(&text);
            let left = pl
                .iter()
                .flat_map(|l| l.segs.first().map(|s| s.2))
                .fold(f32::MAX, f32::min);
            let indented = x0 > left + 1.5 * size;
            let new_para = match (prev, open) {
                (Some(p), _) => {
                    let pline = &pl[p];
                    let gap = l.line.y - pline.line.y;
                    let (ptext, _, _, px1) = merged_segments(pline);
                    gap > pitch.max(size) * 1.25 + 0.5
                        || (size - pline.line.size).abs() > 0.15 * size
                        || bullet
                        || indented
                        || (px1 < right - 2.0 * size && ptext.ends_with(is_sentence_end))
                }
                // First line of the page: go on with the last page's paragraph?
                (None, Some((_, osize, _, carry))) => {
                    !carry || bullet || indented || (size - osize).abs() > 0.15 * size
                }
                (None, None) => true,
            };
            let full = x1 >= right - 1.5 * size;
            if new_para || open.is_none() {
                paras.push(Para::default());
                kinds.push(if heading {
                    BlockKind::Heading
                } else if bullet {
                    BlockKind::Item
                } else {
                    BlockKind::Paragraph
                });
                prose.push(paras.len() - 1);
                open = Some((paras.len() - 1, size, right, false));
            }
            let Some((id, _, _, _)) = open else { continue };
            let kind = if prev.is_none() {
                RepairKind::JoinedPageBreak
            } else {
                RepairKind::JoinedLineBreak
            };
            let locs = &laid.locations;
            let where_ = |n: usize| describe(locs, n);
            let off = paras[id].push_line(&text, l.syn, full, kind, &where_, &mut laid.joins);
            for (g, r) in at {
                glyph_at.insert((pi, g), (id, r.start + off..r.end + off));
            }
            open = Some((
                id,
                size,
                right,
                full && !text.ends_with(is_sentence_end) && !heading,
            ));
            prev = Some(i);
            i += 1;
        }
        // Annotations: the glyphs under each rectangle (glyphs sorted by height, so each
        // rectangle looks only at its own band of the page).
        let mut by_y: Vec<(f32, usize)> = if page.links.is_empty() {
            Vec::new()
        } else {
            page.glyphs
                .iter()
                .enumerate()
                .map(|(i, g)| (g.y - 0.3 * g.size, i))
                .collect()
        };
        by_y.sort_by(|a, b| a.0.total_cmp(&b.0));
        for a in &page.links {
            let (x0, top, x1, bottom) = a.rect;
            let mut hit: HashMap<usize, std::ops::Range<usize>> = HashMap::new();
            let from = by_y.partition_point(|&(y, _)| y < top - 1.0);
            let to = by_y.partition_point(|&(y, _)| y <= bottom + 1.0);
            for &(_, gi) in by_y.get(from..to.max(from)).unwrap_or(&[]) {
                let g = &page.glyphs[gi];
                let cx = (g.x0 + g.x1) / 2.0;
                let cy = g.y - 0.3 * g.size;
                if cx >= x0 - 1.0 && cx <= x1 + 1.0 && cy >= top - 1.0 && cy <= bottom + 1.0 {
                    if let Some((p, r)) = glyph_at.get(&(pi, gi)) {
                        let e = hit.entry(*p).or_insert(r.clone());
                        e.start = e.start.min(r.start);
                        e.end = e.end.max(r.end);
                    }
                }
            }
            for (p, r) in hit {
                paras[p].anchors.push((r, a.uri.clone()));
            }
        }
        // Glyph places are only needed for this page's annotations.
        glyph_at.clear();
    }
    // Prose blocks, with the heading they sit under.
    let mut heading: Option<String> = None;
    let mut blocks = Vec::new();
    let mut taken: Vec<Option<Para>> = paras.into_iter().map(Some).collect();
    for id in prose {
        let Some(p) = taken[id].take() else { continue };
        let b = p.into_block(kinds[id]);
        if b.kind == BlockKind::Heading {
            let h = normalize_space(&b.text);
            heading = (!h.is_empty()).then_some(h);
        }
        blocks.push((b, heading.clone(), None));
    }
    // Rows cut by a page break: the rest goes into the row before, a cut paragraph
    // (no sentence end) into its cut paragraph.
    let mut merged: Vec<(usize, Vec<Vec<usize>>)> = Vec::new();
    for (syn, cells, cont) in rows {
        let Some(last) = merged.last_mut().filter(|_| cont) else {
            merged.push((syn, cells));
            continue;
        };
        for (k, ids) in cells.into_iter().enumerate() {
            let Some(cell) = last.1.get_mut(k) else {
                continue;
            };
            let mut ids = ids.into_iter();
            if let (Some(&a), Some(b)) = (cell.last(), ids.clone().next()) {
                let cut = taken[a]
                    .as_ref()
                    .is_some_and(|p| !p.text.ends_with(is_sentence_end) && !p.text.ends_with('。'));
                if cut && let Some(pb) = taken[b].take() {
                    ids.next();
                    let locs = &laid.locations;
                    let where_ = |n: usize| describe(locs, n);
                    if let Some(pa) = taken[a].as_mut() {
                        pa.append(pb, &where_, &mut laid.joins);
                    }
                }
            }
            cell.extend(ids);
        }
    }
    // A two-column table (claims | links): its first cell is the row's label for the
    // table rules, so a row of k claim paragraphs beside k link paragraphs is k rows,
    // which keeps the i-th claim with the i-th link.
    let mut split: Vec<(usize, Vec<Vec<usize>>)> = Vec::new();
    for (syn, cells) in merged {
        let paired = cells.len() == 2
            && cells[0].len() >= 2
            && cells[0].len() == cells[1].len()
            && cells[1]
                .iter()
                .all(|&id| taken[id].as_ref().is_some_and(|p| !p.anchors.is_empty()));
        if !paired {
            split.push((syn, cells));
            continue;
        }
        for (&a, &b) in cells[0].iter().zip(&cells[1]) {
            let line = taken[a]
                .as_ref()
                .and_then(|p| p.lines.first())
                .map_or(syn, |&(_, l)| l);
            split.push((line, vec![vec![a], vec![b]]));
        }
    }
    let row_text: Vec<(usize, String)> = split
        .into_iter()
        .map(|(syn, cells)| {
            let html: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(c, ids)| {
                    let mut s = String::new();
                    for &id in ids {
                        if let Some(p) = taken[id].as_mut() {
                            // The label cell is plain text; other cells keep paragraphs.
                            if c == 0 && p.anchors.is_empty() {
                                s.push_str(&super::laid::escape(&p.text));
                            } else {
                                s.push_str(&p.html());
                            }
                        }
                    }
                    s
                })
                .collect();
            (syn, html.join("\t"))
        })
        .collect();
    // A URL the text wraps over two lines but a link annotation gives whole was not
    // repaired: the annotation is the citation.
    let annotated: std::collections::HashSet<&str> = pdf
        .pages
        .iter()
        .flat_map(|p| p.links.iter().map(|a| a.uri.as_str()))
        .collect();
    laid.joins.retain(|j| !annotated.contains(j.url.as_str()));
    laid.set_rows(&row_text, &prose_lines);
    laid.blocks = blocks;
    laid.plain = plain;
    laid
}

/// "page 3, line 12" for repair details.
fn describe(locs: &[Location], n: usize) -> String {
    let l = n
        .checked_sub(1)
        .and_then(|i| locs.get(i))
        .copied()
        .unwrap_or_default();
    match l.page {
        Some(p) => format!("page {p}, line {}", l.line),
        None => format!("paragraph {}", l.line),
    }
}

/// A prose line's segments as one text (gaps become a space).
fn merged_segments(l: &PLine) -> Seg {
    let mut text = String::new();
    let mut at = Vec::new();
    for (t, a, _, _) in &l.segs {
        if !text.is_empty() {
            text.push(' ');
        }
        let off = text.len();
        text.push_str(t);
        at.extend(a.iter().map(|(g, r)| (*g, r.start + off..r.end + off)));
    }
    let x0 = l.segs.first().map_or(0.0, |s| s.2);
    let x1 = l.segs.last().map_or(0.0, |s| s.3);
    (text, at, x0, x1)
}

fn starts_bullet(t: &str) -> bool {
    ["• ", "· ", "➤", "●", "▪", "■", "◆", "- ", "* "]
        .iter()
        .any(|b| t.starts_with(b))
}

/// The most common font size of the document's glyphs (half-point steps).
fn body_size(pdf: &PdfText) -> f32 {
    let mut count: HashMap<i32, usize> = HashMap::new();
    for p in &pdf.pages {
        for g in &p.glyphs {
            *count.entry((g.size * 2.0).round() as i32).or_default() += 1;
        }
    }
    count
        .into_iter()
        .max_by_key(|&(s, n)| (n, -s))
        .map_or(10.0, |(s, _)| s as f32 / 2.0)
}

/// Median distance between consecutive baselines.
fn median_pitch(pl: &[PLine]) -> f32 {
    let mut d: Vec<f32> = pl
        .windows(2)
        .map(|w| w[1].line.y - w[0].line.y)
        .filter(|&d| d > 0.0)
        .collect();
    if d.is_empty() {
        return pl.first().map_or(14.0, |l| l.line.size * 1.4);
    }
    d.sort_by(f32::total_cmp);
    d[d.len() / 2]
}

/// Texts that are page furniture: page numbers and running headers/footers.
fn running_noise(pdf: &PdfText) -> HashMap<String, usize> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for page in &pdf.pages {
        let mut on_page = std::collections::HashSet::new();
        for l in lines(page) {
            if in_margin(l.y, page.height) {
                let t = segment_text(page, &l.glyphs, &mut Vec::new());
                on_page.insert(t.split_whitespace().collect::<String>());
            }
        }
        for t in on_page {
            *seen.entry(t).or_default() += 1;
        }
    }
    let need = if pdf.pages.len() >= 4 { 3 } else { 2 };
    seen.retain(|_, n| *n >= need);
    seen
}

fn in_margin(y: f32, height: f32) -> bool {
    y < height / 8.0 || y > height * 7.0 / 8.0
}

fn is_noise(t: &str, y: f32, height: f32, repeated: &HashMap<String, usize>) -> bool {
    if !in_margin(y, height) {
        return false;
    }
    let squashed: String = t.split_whitespace().collect();
    let core = squashed.trim_matches(|c: char| {
        c == '-' || c == '—' || c == '第' || c == '页' || c == '/' || c == '·'
    });
    (!core.is_empty() && core.chars().all(|c| c.is_ascii_digit()) && core.len() <= 4)
        || (squashed.len() <= 120 && repeated.contains_key(&squashed))
}

/// Column starts and right edges of a table region.
type Cols = (Vec<f32>, Vec<f32>);

/// Table regions of a page: `(first line, end line, columns)`.
fn table_regions(pl: &[PLine]) -> Vec<(usize, usize, Cols)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < pl.len() {
        if pl[i].segs.len() < 2 {
            i += 1;
            continue;
        }
        let mut cols: Vec<f32> = pl[i].segs.iter().map(|s| s.2).collect();
        let mut multi = 1;
        let mut j = i + 1;
        while j < pl.len() {
            let l = &pl[j];
            let gap = l.line.y - pl[j - 1].line.y;
            if gap > 3.0 * l.line.size.max(pl[j - 1].line.size) {
                break;
            }
            let aligned = |cols: &[f32], x: f32| cols.iter().any(|c| (c - x).abs() <= ALIGN_PT);
            if l.segs.len() >= 2 {
                let known = l.segs.iter().filter(|s| aligned(&cols, s.2)).count();
                if known == 0 {
                    break;
                }
                for s in &l.segs {
                    if !aligned(&cols, s.2) {
                        cols.push(s.2);
                    }
                }
                cols.sort_by(f32::total_cmp);
                multi += 1;
            } else {
                let s = &l.segs[0];
                let k = cols.iter().position(|c| (c - s.2).abs() <= ALIGN_PT);
                match k {
                    Some(0) if cols.len() > 1 && s.3 < cols[1] - 1.0 => {}
                    Some(k) if k > 0 => {}
                    _ => break,
                }
            }
            j += 1;
        }
        if multi >= 2 {
            let mut right = vec![0.0f32; cols.len()];
            for l in &pl[i..j] {
                for s in &l.segs {
                    let k = col_of(&cols, s.2);
                    right[k] = right[k].max(s.3);
                }
            }
            out.push((i, j, (cols, right)));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// The column a segment starting at `x` belongs to.
fn col_of(cols: &[f32], x: f32) -> usize {
    cols.iter().rposition(|&c| c <= x + ALIGN_PT).unwrap_or(0)
}

/// One table row: its first line (index in the region) and, per column, paragraphs of
/// `(line, segment)` pairs.
struct Row {
    first: usize,
    cells: Vec<Vec<Vec<(usize, usize)>>>,
}

/// Rows of a table region.
fn table_rows(page: &Page, region: &[PLine], cols: &Cols) -> Vec<Row> {
    let ncol = cols.0.len();
    // The line pitch inside cells: the smallest baseline step within one column.
    let mut pitch = f32::MAX;
    let mut last: Vec<Option<f32>> = vec![None; ncol];
    for l in region {
        for s in &l.segs {
            let k = col_of(&cols.0, s.2);
            if let Some(prev) = last[k] {
                let d = l.line.y - prev;
                if d > 0.8 * l.line.size {
                    pitch = pitch.min(d);
                }
            }
            last[k] = Some(l.line.y);
        }
    }
    if pitch == f32::MAX {
        pitch = region.first().map_or(14.0, |l| 1.2 * l.line.size);
    }
    let top = region.first().map_or(0.0, |l| l.line.y - l.line.size);
    let bottom = region.last().map_or(0.0, |l| l.line.y + l.line.size);
    let x0 = cols.0.first().copied().unwrap_or(0.0);
    let x1 = cols.1.iter().copied().fold(0.0f32, f32::max);
    let mut rules: Vec<f32> = page
        .rules
        .iter()
        .filter(|r| r.2 >= top - 4.0 && r.2 <= bottom + 4.0 && r.1 - r.0 >= 0.6 * (x1 - x0))
        .map(|r| r.2)
        .collect();
    rules.sort_by(f32::total_cmp);
    rules.dedup_by(|a, b| (*a - *b).abs() < 2.0);
    let use_rules = rules.len() >= 2;
    let band = |y: f32| rules.partition_point(|&r| r < y);
    let mut rows: Vec<Row> = Vec::new();
    // Per column: line index of its last segment.
    let mut last_in_col: Vec<Option<usize>> = vec![None; ncol];
    for (li, l) in region.iter().enumerate() {
        let segs: Vec<(usize, usize)> = (0..l.segs.len())
            .map(|s| (col_of(&cols.0, l.segs[s].2), s))
            .collect();
        let starting: Vec<bool> = (0..ncol)
            .map(|k| {
                last_in_col[k].is_none_or(|p| l.line.y - region[p].line.y > pitch * 1.25 + 0.5)
            })
            .collect();
        let starts = |k: usize| starting[k];
        let new_row = match rows.last() {
            None => true,
            Some(_) if use_rules => {
                let prev = &region[li - 1];
                band(l.line.y - 0.5 * l.line.size) != band(prev.line.y - 0.5 * prev.line.size)
            }
            Some(_) => {
                let label = segs.iter().any(|&(k, _)| k == 0);
                let prev_label = li > 0
                    && region[li - 1]
                        .segs
                        .iter()
                        .any(|s| col_of(&cols.0, s.2) == 0);
                (label && (!prev_label || starts(0)))
                    || (segs.len() >= 2 && segs.iter().all(|&(k, _)| starts(k)))
            }
        };
        if new_row {
            rows.push(Row {
                first: li,
                cells: vec![Vec::new(); ncol],
            });
            last_in_col = vec![None; ncol];
        }
        let Some(row) = rows.last_mut() else { continue };
        for (k, s) in segs {
            let cell = &mut row.cells[k];
            let new_para = cell.is_empty() || starts(k);
            if new_para || cell.is_empty() {
                cell.push(Vec::new());
            }
            if let Some(p) = cell.last_mut() {
                p.push((li, s));
            }
            last_in_col[k] = Some(li);
        }
    }
    rows
}
