//! Reading PDF files: the text layer as positioned glyphs and lines, link annotations,
//! and the document's dates. Shared by reports in PDF ([`crate::report`]) and cited
//! documents that are PDFs ([`crate::verify`]).
//!
//! lopdf parses the file and gives the annotations and metadata; pdf-extract interprets
//! the content streams (fonts, CMaps, CJK encodings) and hands every glyph with its
//! position to [`glyphs`], which builds lines with spacing rules that suit Chinese
//! (no space between CJK glyphs unless the gap is wide). Everything runs inside
//! [`guard`]: panics, time, stack and memory are contained, and a bad file is one error
//! naming the problem.

pub mod glyphs;
pub mod guard;
pub mod meta;
pub mod sanitize;

use std::time::Duration;

use lopdf::{Document, Object};

pub use glyphs::{Glyph, Line, Page};
pub use meta::metadata_dates;

/// Error for a PDF without any text: the run goes on without it.
pub const NO_TEXT_LAYER: &str = "no text layer: scanned PDF?";

/// A link annotation: where it is on the page and where it points.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkAnnot {
    /// Rectangle `(x0, top, x1, bottom)`, top-down page coordinates.
    pub rect: (f32, f32, f32, f32),
    /// The `/URI` of the link's action.
    pub uri: String,
}

/// A PDF read for its text.
#[derive(Debug, Clone, Default)]
pub struct PdfText {
    /// The pages, in order; `pages[0]` is page 1.
    pub pages: Vec<Page>,
    /// `/CreationDate`, `/ModDate` of the document information and `xmp:CreateDate`
    /// etc. of the XMP metadata, raw.
    pub dates: Vec<(String, String)>,
    /// Things left out (a stream over the cap, a form cycle, a page that failed).
    pub notes: Vec<String>,
}

impl PdfText {
    /// Whether any page holds any glyph.
    #[must_use]
    pub fn has_text(&self) -> bool {
        self.pages
            .iter()
            .any(|p| p.glyphs.iter().any(|g| !p.text_of(g).trim().is_empty()))
    }
}

/// Whether bytes are a PDF (`%PDF-` near the start).
#[must_use]
pub fn is_pdf(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    head.windows(5).any(|w| w == b"%PDF-")
}

/// Read a PDF, bounded by [`guard::TIME_LIMIT`]: glyphs and lines of every page, link
/// annotations, dates. `Err` is a lowercase message for the user (encrypted, damaged,
/// no text layer, too slow).
pub fn read(bytes: Vec<u8>) -> Result<PdfText, String> {
    read_with_limit(bytes, guard::TIME_LIMIT)
}

/// [`read`] with another time limit.
pub fn read_with_limit(bytes: Vec<u8>, limit: Duration) -> Result<PdfText, String> {
    if !is_pdf(&bytes) {
        return Err("not a PDF (no %PDF- header)".into());
    }
    let text = guard::run_bounded(limit, move |deadline| read_inner(&bytes, deadline))?;
    if !text.has_text() {
        // No text because a stream was left out over the cap: say so.
        if let Some(n) = text.notes.iter().find(|n| n.contains("bomb")) {
            return Err(format!("damaged PDF: {n}"));
        }
        return Err(NO_TEXT_LAYER.into());
    }
    Ok(text)
}

fn read_inner(bytes: &[u8], deadline: &guard::Deadline) -> Result<PdfText, String> {
    guard::check_object_streams(bytes)?;
    let mut doc = Document::load_mem(bytes).map_err(|e| match e {
        lopdf::Error::Decryption(_) => "encrypted PDF (a password is needed); not read".into(),
        e => format!("damaged PDF: {e}"),
    })?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err("encrypted PDF (a password is needed); not read".into());
    }
    if doc.is_encrypted() || doc.trailer.get(b"Encrypt").is_ok() {
        // Decrypted in memory with the empty user password: readable.
        doc.trailer.remove(b"Encrypt");
    }
    let mut out = PdfText {
        notes: sanitize::sanitize(&mut doc),
        dates: meta::raw_dates(&doc),
        ..PdfText::default()
    };
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err("damaged PDF: no pages".into());
    }
    // The whole document in one pass (per-page calls would walk the page tree for
    // every page); after a page the interpreter fails on, the rest page by page.
    let mut collector = glyphs::Collector::new(deadline.clone());
    let whole = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pdf_extract::output_doc(&doc, &mut collector)
    }));
    let nums: Vec<u32> = pages.keys().copied().collect();
    if !matches!(whole, Ok(Ok(()))) {
        let failed = collector.pages.len().max(1);
        if collector.pages.is_empty() {
            collector.pages.push(glyphs::Page::default());
        }
        out.notes.push(failure(failed, whole));
        for &num in nums.iter().skip(failed) {
            if deadline.passed() {
                out.notes.push(format!("stopped at page {num}: time limit"));
                break;
            }
            let before = collector.pages.len();
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pdf_extract::output_doc_page(&doc, &mut collector, num)
            }));
            if collector.pages.len() == before {
                collector.pages.push(glyphs::Page::default());
            }
            if !matches!(r, Ok(Ok(()))) {
                out.notes.push(failure(num as usize, r));
            }
        }
    }
    // Pages in order with their annotations; a page tree whose kids point back lists a
    // page again: it is read once.
    let mut seen = std::collections::HashSet::new();
    for (mut page, (_, &id)) in collector.pages.into_iter().zip(&pages) {
        if !seen.insert(id) {
            continue;
        }
        page.links = link_annots(&doc, id, page.height);
        out.pages.push(page);
    }
    Ok(out)
}

/// A note for a page the text extractor failed on.
fn failure(page: usize, r: std::thread::Result<Result<(), pdf_extract::OutputError>>) -> String {
    match r {
        Ok(Err(e)) => format!("page {page}: {e}"),
        _ => format!("page {page}: the text extractor failed on it"),
    }
}

/// The page's `/Link` annotations with a `/URI` action (rectangles top-down).
fn link_annots(doc: &Document, page: lopdf::ObjectId, height: f32) -> Vec<LinkAnnot> {
    let Ok(annots) = doc.get_page_annotations(page) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for a in annots {
        let is_link = a
            .get(b"Subtype")
            .and_then(Object::as_name)
            .is_ok_and(|n| n == b"Link");
        if !is_link {
            continue;
        }
        let action = match a.get(b"A") {
            Ok(Object::Reference(r)) => doc.get_dictionary(*r).ok(),
            Ok(Object::Dictionary(d)) => Some(d),
            _ => None,
        };
        let Some(uri) = action.and_then(|act| match act.get(b"URI") {
            Ok(Object::String(s, _)) => Some(String::from_utf8_lossy(s).trim().to_string()),
            Ok(Object::Reference(r)) => match doc.get_object(*r) {
                Ok(Object::String(s, _)) => Some(String::from_utf8_lossy(s).trim().to_string()),
                _ => None,
            },
            _ => None,
        }) else {
            continue;
        };
        let rect: Vec<f32> = match a.get(b"Rect") {
            Ok(Object::Array(v)) => v.iter().filter_map(number).collect(),
            _ => Vec::new(),
        };
        if rect.len() != 4 || uri.is_empty() {
            continue;
        }
        let (x0, x1) = (rect[0].min(rect[2]), rect[0].max(rect[2]));
        let (y0, y1) = (rect[1].min(rect[3]), rect[1].max(rect[3]));
        out.push(LinkAnnot {
            rect: (x0, height - y1, x1, height - y0),
            uri,
        });
    }
    out
}

/// A PDF number as `f32`.
pub(crate) fn number(o: &Object) -> Option<f32> {
    match o {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
}
