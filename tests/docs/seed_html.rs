//! The seed report (a PDF-to-Markdown conversion with TAB tables) as the HTML page a
//! publisher would print to PDF: headings, paragraphs, and each TAB table as a bordered
//! table with a label, a claims and a links column. Cell HTML (`<p>`, `<ul><li>`,
//! `<a href>`) is kept as written; plain cells put each claim (runs split by two or more
//! spaces) in its own paragraph. Nothing is repaired: the conversion's page-break
//! artefacts (a continuation row, a URL cut in two) are printed as they stand.

/// Escape text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Whether a cell already holds HTML markup.
fn is_html(cell: &str) -> bool {
    let l = cell.to_ascii_lowercase();
    l.contains("<p") || l.contains("<a ") || l.contains("<ul") || l.contains("<li")
}

/// One cell's HTML.
fn cell_html(cell: &str) -> String {
    let cell = cell.trim();
    if is_html(cell) {
        // Links written one after another: one per line, as a links column shows them.
        return cell
            .replace("</a>  <a", "</a><br><a")
            .replace("</a> <a", "</a><br><a");
    }
    let runs: Vec<&str> = cell
        .split("  ")
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect();
    runs.iter().map(|r| format!("<p>{}</p>", esc(r))).collect()
}

/// The seed Markdown as a printable HTML page.
pub fn seed_to_html(md: &str) -> String {
    let mut out = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><style>\
         @page { size: A4; margin: 18mm 16mm; }\
         body { font-family: 'WenQuanYi Zen Hei', sans-serif; font-size: 10pt; line-height: 1.45; }\
         table { border-collapse: collapse; width: 100%; margin: 6pt 0; }\
         td { border: 0.6pt solid #888; padding: 4pt 5pt; vertical-align: top; }\
         td:first-child { width: 14%; } td:last-child { width: 34%; word-break: break-all; }\
         td p, td ul { margin: 0 0 5pt 0; padding: 0; } td li { list-style: none; margin-bottom: 5pt; }\
         p { margin: 0 0 8pt 0; }\
         </style></head><body>\n",
    );
    let lines: Vec<&str> = md.lines().collect();
    let mut i = 0;
    let mut para: Vec<&str> = Vec::new();
    let flush = |para: &mut Vec<&str>, out: &mut String| {
        if !para.is_empty() {
            out.push_str(&format!("<p>{}</p>\n", esc(&para.join(""))));
            para.clear();
        }
    };
    while i < lines.len() {
        let line = lines[i];
        if line.contains('\t') {
            flush(&mut para, &mut out);
            out.push_str("<table>\n");
            while i < lines.len() {
                let l = lines[i];
                if l.trim().is_empty() {
                    // A blank line inside a table: the table goes on when a row follows.
                    if lines.get(i + 1).is_some_and(|n| n.contains('\t')) {
                        i += 1;
                        continue;
                    }
                    break;
                }
                if !l.contains('\t') {
                    break;
                }
                out.push_str("<tr>");
                let cells: Vec<&str> = l.split('\t').collect();
                for c in &cells {
                    out.push_str(&format!("<td>{}</td>", cell_html(c)));
                }
                // Rows with fewer cells keep the table's columns.
                for _ in cells.len()..3 {
                    out.push_str("<td></td>");
                }
                out.push_str("</tr>\n");
                i += 1;
            }
            out.push_str("</table>\n");
            continue;
        }
        let t = line.trim();
        if t.is_empty() {
            flush(&mut para, &mut out);
        } else if let Some(h) = t.strip_prefix('#') {
            flush(&mut para, &mut out);
            let level = 1 + h.chars().take_while(|&c| c == '#').count();
            let text = h.trim_start_matches('#').trim();
            out.push_str(&format!("<h{level}>{}</h{level}>\n", esc(text)));
        } else {
            para.push(t);
        }
        i += 1;
    }
    flush(&mut para, &mut out);
    out.push_str("</body></html>\n");
    out
}
