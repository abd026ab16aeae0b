//! A minimal `.docx` writer: the parts Word needs to open the file, a body given as
//! WordprocessingML, relationships for hyperlinks, and footnotes.

use std::io::Write;

const NS: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;

/// Escape XML text.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A run of text.
pub fn run(text: &str) -> String {
    format!(
        r#"<w:r><w:t xml:space="preserve">{}</w:t></w:r>"#,
        esc(text)
    )
}

/// A paragraph of runs (already XML).
pub fn para(inner: &str) -> String {
    format!("<w:p>{inner}</w:p>")
}

/// A heading paragraph.
pub fn heading(text: &str) -> String {
    format!(
        r#"<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr>{}</w:p>"#,
        run(text)
    )
}

/// A hyperlink by relationship id.
pub fn hyperlink(rid: &str, text: &str) -> String {
    format!(r#"<w:hyperlink r:id="{rid}">{}</w:hyperlink>"#, run(text))
}

/// A complex `HYPERLINK` field: begin, instruction, separate, result, end.
pub fn field_link(url: &str, text: &str) -> String {
    format!(
        r#"<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> HYPERLINK "{}" \o "tip" </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>{}<w:r><w:fldChar w:fldCharType="end"/></w:r>"#,
        esc(url),
        run(text)
    )
}

/// A footnote reference mark.
pub fn footnote_ref(id: u32) -> String {
    format!(
        r#"<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:id="{id}"/></w:r>"#
    )
}

/// A table of rows of cells (each cell: paragraphs' XML).
pub fn table(rows: &[Vec<String>]) -> String {
    let mut s = String::from("<w:tbl>");
    for r in rows {
        s.push_str("<w:tr>");
        for c in r {
            s.push_str(&format!("<w:tc>{c}</w:tc>"));
        }
        s.push_str("</w:tr>");
    }
    s.push_str("</w:tbl>");
    s
}

/// The `.docx` bytes: `body` (paragraph and table XML), external hyperlink targets by
/// id, and footnotes (id, paragraphs' XML).
pub fn docx(body: &str, links: &[(&str, &str)], footnotes: &[(u32, String)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opt = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let mut put = |name: &str, text: &str| {
            z.start_file(name, opt).unwrap();
            z.write_all(text.as_bytes()).unwrap();
        };
        put(
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/footnotes.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>"#,
        );
        put(
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#,
        );
        let mut rels = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdFn" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/>"#,
        );
        for (id, url) in links {
            rels.push_str(&format!(r#"<Relationship Id="{id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="{}" TargetMode="External"/>"#, esc(url)));
        }
        rels.push_str("</Relationships>");
        put("word/_rels/document.xml.rels", &rels);
        put(
            "word/document.xml",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {NS}><w:body>{body}<w:sectPr/></w:body></w:document>"#
            ),
        );
        let mut notes = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><w:footnotes {NS}><w:footnote w:type="separator" w:id="-1"><w:p/></w:footnote>"#
        );
        for (id, inner) in footnotes {
            notes.push_str(&format!(r#"<w:footnote w:id="{id}">{inner}</w:footnote>"#));
        }
        notes.push_str("</w:footnotes>");
        put("word/footnotes.xml", &notes);
        put("word/_rels/footnotes.xml.rels", &format!(r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{}</Relationships>"#,
            links.iter().map(|(id, url)| format!(r#"<Relationship Id="{id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="{}" TargetMode="External"/>"#, esc(url))).collect::<String>()));
        z.finish().unwrap();
    }
    buf.into_inner()
}
