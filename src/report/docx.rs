//! Word reports (`.docx`, Office Open XML): a zip of XML parts.
//!
//! Rules:
//! - Body paragraphs (`w:p`) are numbered 1, 2, … in document order, table cells
//!   included; a citation's `line` is that paragraph number.
//! - Links: `w:hyperlink` with an `r:id` whose relationship target is external;
//!   `HYPERLINK "url"` field codes, simple (`w:fldSimple`) or complex (`w:fldChar`
//!   begin / `w:instrText` / separate / result / end), whose result text is the link
//!   text; URLs written in the text.
//! - Footnotes and endnotes: the links of a note cite the sentence holding its
//!   reference mark (the Markdown footnote rule); the note stands at the paragraph of
//!   its first reference.
//! - Headings (`Heading…`/`Title` styles, outline levels) give the context; numbered or
//!   bulleted paragraphs are list items; tables are TAB rows for [`super::table`].
//! - Limits: parts larger than [`MAX_PART_BYTES`] inflated are refused, DTDs are refused
//!   (no entity expansion), and at most [`MAX_NODES`] XML nodes are read per part.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use roxmltree::{Document as Xml, Node, ParsingOptions};

use super::block::{BlockKind, FootnoteMark, normalize_space};
use super::laid::{Laid, Location, Para, escape};

/// Largest inflated XML part read (64 MiB).
pub(crate) const MAX_PART_BYTES: u64 = 64 << 20;
/// Most XML nodes read per part.
pub(crate) const MAX_NODES: u32 = 5_000_000;

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// Read a `.docx` into blocks and rows.
pub(crate) fn laid_out(bytes: &[u8]) -> Result<Laid, String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("not a Word file (.docx is a zip): {e}"))?;
    let doc =
        part(&mut zip, "word/document.xml")?.ok_or("not a Word file: no word/document.xml")?;
    let rels = read_rels(&mut zip, "word/_rels/document.xml.rels")?;
    let mut r = Reader {
        laid: Laid::default(),
        para_no: 0,
        rows: Vec::new(),
        prose: Vec::new(),
        heading: None,
        notes: HashMap::new(),
        defs: Vec::new(),
    };
    let xml = parse(&doc)?;
    if let Some(body) = child(xml.root_element(), "body") {
        r.body(body, &rels);
    }
    for (name, tag) in [("footnotes", "footnote"), ("endnotes", "endnote")] {
        let Some(text) = part(&mut zip, &format!("word/{name}.xml"))? else {
            continue;
        };
        let note_rels = read_rels(&mut zip, &format!("word/_rels/{name}.xml.rels"))?;
        let xml = parse(&text)?;
        for note in xml.root_element().children().filter(|n| is(n, tag)) {
            let Some(id) = note.attribute((W, "id")) else {
                continue;
            };
            let label = format!("{tag}-{id}");
            let Some(&at) = r.notes.get(&label) else {
                continue;
            };
            for p in note.descendants().filter(|n| is(n, "p")) {
                let line = r.laid.line_at(Location {
                    page: None,
                    line: at,
                });
                let para = paragraph(p, &note_rels, line, &mut Vec::new());
                r.defs
                    .push((para.into_block(BlockKind::Paragraph), label.clone()));
            }
        }
    }
    let rows = std::mem::take(&mut r.rows);
    let prose = std::mem::take(&mut r.prose);
    r.laid.set_rows(&rows, &prose);
    for (b, label) in r.defs {
        r.laid.plain.push_str(&b.text);
        r.laid.plain.push('\n');
        r.laid.blocks.push((b, None, Some(label)));
    }
    Ok(r.laid)
}

struct Reader {
    laid: Laid,
    para_no: usize,
    rows: Vec<(usize, String)>,
    prose: Vec<usize>,
    heading: Option<String>,
    /// Note label → paragraph number of its first reference.
    notes: HashMap<String, usize>,
    defs: Vec<(super::block::Block, String)>,
}

impl Reader {
    fn body(&mut self, body: Node<'_, '_>, rels: &HashMap<String, String>) {
        for n in body.children().filter(Node::is_element) {
            if is(&n, "p") {
                self.para_no += 1;
                let line = self.laid.line_at(Location {
                    page: None,
                    line: self.para_no,
                });
                self.prose.push(line);
                let mut marks = Vec::new();
                let p = paragraph(n, rels, line, &mut marks);
                let kind = para_kind(n);
                self.laid.plain.push_str(&p.text);
                self.laid.plain.push('\n');
                let mut b = p.into_block(kind);
                for (pos, label) in marks {
                    self.notes.entry(label.clone()).or_insert(self.para_no);
                    b.footnotes.push(FootnoteMark { pos, label, line });
                }
                if kind == BlockKind::Heading {
                    let h = normalize_space(&b.text);
                    self.heading = (!h.is_empty()).then_some(h);
                }
                self.laid.blocks.push((b, self.heading.clone(), None));
            } else if is(&n, "tbl") {
                for tr in n.children().filter(|c| is(c, "tr")) {
                    let first = self.para_no + 1;
                    let line = self.laid.line_at(Location {
                        page: None,
                        line: first,
                    });
                    let mut cells = Vec::new();
                    for (k, tc) in tr.children().filter(|c| is(c, "tc")).enumerate() {
                        let mut html = String::new();
                        for p in tc.descendants().filter(|d| is(d, "p")) {
                            self.para_no += 1;
                            let mut para = paragraph(p, rels, line, &mut Vec::new());
                            self.laid.plain.push_str(&para.text);
                            self.laid.plain.push('\n');
                            if k == 0 && para.anchors.is_empty() {
                                html.push_str(&escape(&para.text));
                            } else if !para.text.trim().is_empty() {
                                html.push_str(&para.html());
                            }
                        }
                        cells.push(html);
                    }
                    self.rows.push((line, cells.join("\t")));
                }
            } else if is(&n, "sdt") {
                if let Some(c) = child(n, "sdtContent") {
                    self.body(c, rels);
                }
            }
        }
    }
}

/// Heading, list item or plain paragraph, by its properties.
fn para_kind(p: Node<'_, '_>) -> BlockKind {
    let Some(ppr) = child(p, "pPr") else {
        return BlockKind::Paragraph;
    };
    let style = child(ppr, "pStyle")
        .and_then(|s| s.attribute((W, "val")))
        .unwrap_or("")
        .to_ascii_lowercase();
    if style.starts_with("heading") || style == "title" || child(ppr, "outlineLvl").is_some() {
        BlockKind::Heading
    } else if child(ppr, "numPr").is_some() || style.contains("list") {
        BlockKind::Item
    } else {
        BlockKind::Paragraph
    }
}

/// One paragraph: its text, link anchors (hyperlinks, field codes), and note marks
/// (`(position, label)`).
fn paragraph(
    p: Node<'_, '_>,
    rels: &HashMap<String, String>,
    line: usize,
    marks: &mut Vec<(usize, String)>,
) -> Para {
    let mut para = Para::default();
    para.lines.push((0, line));
    // Complex field state: instruction text, and where its result starts.
    let mut field: Option<(String, Option<usize>)> = None;
    walk(p, rels, &mut para, &mut field, marks);
    para
}

fn walk(
    n: Node<'_, '_>,
    rels: &HashMap<String, String>,
    para: &mut Para,
    field: &mut Option<(String, Option<usize>)>,
    marks: &mut Vec<(usize, String)>,
) {
    for c in n.children().filter(Node::is_element) {
        let name = c.tag_name().name();
        if c.tag_name().namespace() != Some(W) {
            // Drawings, math, alternate content: read their text runs only.
            walk(c, rels, para, field, marks);
            continue;
        }
        match name {
            "t" => {
                let in_instr = field.as_ref().is_some_and(|f| f.1.is_none());
                if !in_instr {
                    para.text.push_str(c.text().unwrap_or(""));
                }
            }
            "instrText" => {
                if let Some(f) = field.as_mut() {
                    f.0.push_str(c.text().unwrap_or(""));
                }
            }
            "tab" | "br" | "cr" => para.text.push(' '),
            "fldChar" => match c.attribute((W, "fldCharType")) {
                Some("begin") => *field = Some((String::new(), None)),
                Some("separate") => {
                    if let Some(f) = field.as_mut() {
                        f.1 = Some(para.text.len());
                    }
                }
                Some("end") => {
                    if let Some((instr, Some(start))) = field.take()
                        && let Some(url) = hyperlink_instr(&instr)
                    {
                        para.anchors.push((start..para.text.len(), url));
                    }
                }
                _ => {}
            },
            "fldSimple" => {
                let start = para.text.len();
                walk(c, rels, para, field, marks);
                if let Some(url) = c.attribute((W, "instr")).and_then(hyperlink_instr) {
                    para.anchors.push((start..para.text.len(), url));
                }
            }
            "hyperlink" => {
                let start = para.text.len();
                walk(c, rels, para, field, marks);
                if let Some(target) = c.attribute((R, "id")).and_then(|id| rels.get(id)) {
                    para.anchors.push((start..para.text.len(), target.clone()));
                }
            }
            "footnoteReference" | "endnoteReference" => {
                if let Some(id) = c.attribute((W, "id")) {
                    let tag = name.trim_end_matches("Reference");
                    marks.push((para.text.len(), format!("{tag}-{id}")));
                }
            }
            "pPr" | "rPr" | "delText" => {}
            _ => walk(c, rels, para, field, marks),
        }
    }
}

/// The URL of a `HYPERLINK "url" \o "tip"` field instruction (`\l` anchors are not).
fn hyperlink_instr(instr: &str) -> Option<String> {
    let t = instr.trim();
    let rest = t
        .strip_prefix("HYPERLINK")
        .or_else(|| t.strip_prefix("hyperlink"))?;
    let mut parts = rest.split('"');
    let before = parts.next()?;
    if before.contains("\\l") {
        return None;
    }
    let url = parts.next().map_or_else(|| before.trim(), str::trim);
    (!url.is_empty()).then(|| url.to_owned())
}

/// External relationship targets by id.
fn read_rels(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
) -> Result<HashMap<String, String>, String> {
    let Some(text) = part(zip, name)? else {
        return Ok(HashMap::new());
    };
    let xml = parse(&text)?;
    Ok(xml
        .root_element()
        .children()
        .filter(|n| n.tag_name().name() == "Relationship")
        .filter_map(|n| {
            Some((
                n.attribute("Id")?.to_owned(),
                n.attribute("Target")?.to_owned(),
            ))
        })
        .collect())
}

/// A zip part as text, `None` when absent.
fn part(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Result<Option<String>, String> {
    let file = match zip.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(format!("damaged Word file: {name}: {e}")),
    };
    let mut out = Vec::new();
    file.take(MAX_PART_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("damaged Word file: {name}: {e}"))?;
    if out.len() as u64 > MAX_PART_BYTES {
        return Err(format!(
            "Word part {name} is larger than {} MiB; not read",
            MAX_PART_BYTES >> 20
        ));
    }
    String::from_utf8(out)
        .map(Some)
        .map_err(|_| format!("damaged Word file: {name} is not UTF-8"))
}

fn parse(text: &str) -> Result<Xml<'_>, String> {
    let opts = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..ParsingOptions::default()
    };
    Xml::parse_with_options(text, opts).map_err(|e| format!("damaged Word file: {e}"))
}

fn is(n: &Node<'_, '_>, name: &str) -> bool {
    n.is_element() && n.tag_name().name() == name && n.tag_name().namespace() == Some(W)
}

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| is(c, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_instructions() {
        assert_eq!(
            hyperlink_instr(r#" HYPERLINK "http://a.cn/x" \o "tip" "#).as_deref(),
            Some("http://a.cn/x")
        );
        assert_eq!(hyperlink_instr(r#"HYPERLINK \l "_Toc1""#), None);
        assert_eq!(hyperlink_instr("PAGEREF _Toc1"), None);
    }
}
