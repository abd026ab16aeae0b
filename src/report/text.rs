//! Plain-text reports: paragraphs separated by blank lines, bulleted lines as items,
//! bare URLs as citations.

use super::block::{Block, BlockKind, BlockLink};
use super::lines::LineIndex;
use super::urls::find_urls;

/// Whether a line starts with a list bullet.
fn is_bullet(line: &str) -> bool {
    let t = line.trim_start();
    ["- ", "* ", "• ", "· ", "➤", "●", "▪"]
        .iter()
        .any(|b| t.starts_with(b))
}

/// Read a plain-text document into blocks. Lines inside `skip` byte ranges (TAB tables
/// read elsewhere) are left out.
pub(crate) fn text_blocks(text: &str, lines: &LineIndex) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut cur: Option<Block> = None;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            blocks.extend(cur.take());
            continue;
        }
        if is_bullet(line) {
            blocks.extend(cur.take());
        }
        let lno = lines.line(start);
        let kind = if is_bullet(line) {
            BlockKind::Item
        } else {
            BlockKind::Paragraph
        };
        let block = cur.get_or_insert_with(|| Block::new(kind, lno));
        if !block.text.is_empty() {
            block.text.push(' ');
        }
        let base = block.text.len();
        for u in find_urls(line) {
            block.links.push(BlockLink {
                pos: base + u.start,
                text_range: base + u.start..base + u.end,
                written: u.written,
                line: lno,
                md_escapes: false,
            });
        }
        block.text.push_str(line);
        if is_bullet(line) {
            blocks.extend(cur.take());
        }
    }
    blocks.extend(cur);
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_items() {
        let t = "First line\nsecond http://a.cn/x.\n\n- item https://b.cn\n- other\n";
        let bs = text_blocks(t, &LineIndex::new(t));
        assert_eq!(bs.len(), 3);
        assert_eq!(bs[0].links[0].line, 2);
        assert_eq!(
            bs[0].claim_at(bs[0].links[0].pos),
            "First line second http://a.cn/x."
        );
        assert_eq!(bs[1].kind, BlockKind::Item);
        assert_eq!(bs[1].links[0].written, "https://b.cn");
    }

    #[test]
    fn many_unpunctuated_lines_with_links_get_one_claim_each() {
        let t: String = (0..300)
            .map(|i| format!("Item {i} see https://example.org/p/{i}\n"))
            .collect();
        let bs = text_blocks(&t, &LineIndex::new(&t));
        assert_eq!(bs.len(), 1);
        let b = &bs[0];
        assert_eq!(b.links.len(), 300);
        assert_eq!(
            b.claim_at(b.links[7].pos),
            "Item 7 see https://example.org/p/7"
        );
        assert_eq!(
            b.claim_at(b.links[0].pos),
            "Item 0 see https://example.org/p/0"
        );
        // URL-first lines take the text after the link.
        let t: String = (0..300)
            .map(|i| format!("https://example.org/p/{i} item number {i}\n"))
            .collect();
        let bs = text_blocks(&t, &LineIndex::new(&t));
        let b = &bs[0];
        assert_eq!(
            b.claim_at(b.links[5].pos),
            "https://example.org/p/5 item number 5"
        );
    }
}
