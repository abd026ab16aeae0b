//! A small PDF writer for the tests (on lopdf): text placed glyph by glyph in a Type0
//! font (Identity-H, CID = Unicode code point, a ToUnicode CMap, no embedded font —
//! what a text extractor reads), link annotations, horizontal rules, images, metadata,
//! and deliberately broken files.

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat, dictionary};

/// Page size (A4, points).
pub const W: f32 = 595.0;
pub const H: f32 = 842.0;

/// Advance of a character in thousandths of the font size.
pub fn advance(c: char) -> i64 {
    if c.is_ascii() { 500 } else { 1000 }
}

/// Width of `s` at `size` points.
pub fn width(s: &str, size: f32) -> f32 {
    s.chars().map(|c| advance(c) as f32 * size / 1000.0).sum()
}

#[derive(Default)]
struct PageSpec {
    ops: Vec<Operation>,
    links: Vec<(f32, f32, f32, f32, String)>,
    image: bool,
}

/// A PDF being written.
#[derive(Default)]
pub struct Pdf {
    pages: Vec<PageSpec>,
    used: std::collections::BTreeSet<u32>,
    info: Vec<(String, String)>,
    xmp: Option<String>,
}

impl Pdf {
    pub fn new() -> Self {
        Pdf::default()
    }

    /// Start a new page; later calls draw on it.
    pub fn page(&mut self) -> &mut Self {
        self.pages.push(PageSpec::default());
        self
    }

    fn cur(&mut self) -> &mut PageSpec {
        if self.pages.is_empty() {
            self.pages.push(PageSpec::default());
        }
        self.pages.last_mut().unwrap()
    }

    /// Text with its baseline at `y` (top-down) starting at `x`.
    pub fn text(&mut self, x: f32, y: f32, size: f32, s: &str) -> &mut Self {
        let mut hex = Vec::new();
        for c in s.chars() {
            let cp = c as u32;
            assert!(cp <= 0xffff, "BMP only");
            self.used.insert(cp);
            hex.extend_from_slice(&(cp as u16).to_be_bytes());
        }
        let ops = &mut self.cur().ops;
        ops.push(Operation::new("BT", vec![]));
        ops.push(Operation::new("Tf", vec!["F1".into(), size.into()]));
        ops.push(Operation::new("Td", vec![x.into(), (H - y).into()]));
        ops.push(Operation::new(
            "Tj",
            vec![Object::String(hex, StringFormat::Hexadecimal)],
        ));
        ops.push(Operation::new("ET", vec![]));
        self
    }

    /// Lines of text from `y` down, `pitch` apart; returns the y after the last line.
    pub fn lines(&mut self, x: f32, y: f32, size: f32, pitch: f32, lines: &[&str]) -> f32 {
        let mut y = y;
        for l in lines {
            self.text(x, y, size, l);
            y += pitch;
        }
        y
    }

    /// A link annotation over `(x0, top, x1, bottom)` (top-down) to `uri`.
    pub fn link(&mut self, x0: f32, top: f32, x1: f32, bottom: f32, uri: &str) -> &mut Self {
        self.cur().links.push((x0, top, x1, bottom, uri.to_owned()));
        self
    }

    /// A link over the text `s` drawn at `(x, y)` in `size`.
    pub fn link_over(&mut self, x: f32, y: f32, size: f32, s: &str, uri: &str) -> &mut Self {
        self.link(x, y - size, x + width(s, size), y + 0.25 * size, uri)
    }

    /// A horizontal rule from `x0` to `x1` at `y`.
    pub fn rule(&mut self, x0: f32, x1: f32, y: f32) -> &mut Self {
        let ops = &mut self.cur().ops;
        ops.push(Operation::new(
            "re",
            vec![x0.into(), (H - y).into(), (x1 - x0).into(), 0.6.into()],
        ));
        ops.push(Operation::new("f", vec![]));
        self
    }

    /// A full-page image and no text (a scanned page).
    pub fn image_page(&mut self) -> &mut Self {
        self.page();
        let p = self.cur();
        p.image = true;
        p.ops.extend([
            Operation::new("q", vec![]),
            Operation::new(
                "cm",
                vec![W.into(), 0.into(), 0.into(), H.into(), 0.into(), 0.into()],
            ),
            Operation::new("Do", vec!["Im1".into()]),
            Operation::new("Q", vec![]),
        ]);
        self
    }

    /// A document information entry (`CreationDate` = `D:20180412…`).
    pub fn info(&mut self, key: &str, value: &str) -> &mut Self {
        self.info.push((key.to_owned(), value.to_owned()));
        self
    }

    /// An XMP metadata packet.
    pub fn xmp(&mut self, packet: &str) -> &mut Self {
        self.xmp = Some(packet.to_owned());
        self
    }

    /// The document, for tests that break it further.
    pub fn document(&self) -> Document {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font = self.font(&mut doc);
        let image = doc.add_object(Stream::new(
            dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => 8, "Height" => 8,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8 },
            vec![128u8; 64],
        ));
        let mut kids = Vec::new();
        for spec in &self.pages {
            let content = Content {
                operations: spec.ops.clone(),
            };
            let content_id = doc.add_object(Stream::new(
                dictionary! {},
                content.encode().expect("content encodes"),
            ));
            let mut resources = dictionary! { "Font" => dictionary! { "F1" => font } };
            if spec.image {
                resources.set("XObject", dictionary! { "Im1" => image });
            }
            let annots: Vec<Object> = spec
                .links
                .iter()
                .map(|(x0, t, x1, b, uri)| {
                    doc.add_object(dictionary! {
                        "Type" => "Annot", "Subtype" => "Link",
                        "Rect" => vec![(*x0).into(), (H - b).into(), (*x1).into(), (H - t).into()],
                        "Border" => vec![0.into(), 0.into(), 0.into()],
                        "A" => dictionary! { "S" => "URI", "URI" => Object::string_literal(uri.as_str()) },
                    })
                    .into()
                })
                .collect();
            let page = doc.add_object(dictionary! {
                "Type" => "Page", "Parent" => pages_id,
                "MediaBox" => vec![0.into(), 0.into(), W.into(), H.into()],
                "Contents" => content_id, "Resources" => resources, "Annots" => annots,
            });
            kids.push(Object::Reference(page));
        }
        doc.objects.insert(
            pages_id,
            Object::Dictionary(
                dictionary! { "Type" => "Pages", "Count" => kids.len() as i64, "Kids" => kids },
            ),
        );
        let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
        if let Some(x) = &self.xmp {
            let m = doc.add_object(Stream::new(
                dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
                x.as_bytes().to_vec(),
            ));
            catalog.set("Metadata", m);
        }
        let catalog_id = doc.add_object(catalog);
        doc.trailer.set("Root", catalog_id);
        if !self.info.is_empty() {
            let mut info = Dictionary::new();
            for (k, v) in &self.info {
                info.set(k.as_bytes().to_vec(), Object::string_literal(v.as_str()));
            }
            let id = doc.add_object(info);
            doc.trailer.set("Info", id);
        }
        doc
    }

    /// The PDF file.
    pub fn build(&self) -> Vec<u8> {
        save(&mut self.document())
    }

    fn font(&self, doc: &mut Document) -> ObjectId {
        let mut cmap = String::from(
            "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n/CMapName /U def\n1 begincodespacerange <0000> <FFFF> endcodespacerange\n",
        );
        let used: Vec<u32> = self.used.iter().copied().collect();
        for chunk in used.chunks(100) {
            cmap.push_str(&format!("{} beginbfchar\n", chunk.len()));
            for cp in chunk {
                cmap.push_str(&format!("<{cp:04X}> <{cp:04X}>\n"));
            }
            cmap.push_str("endbfchar\n");
        }
        cmap.push_str("endcmap CMapName currentdict /CMap defineresource pop end end\n");
        let to_unicode = doc.add_object(Stream::new(dictionary! {}, cmap.into_bytes()));
        let widths: Vec<Object> = used
            .iter()
            .flat_map(|&cp| {
                let c = char::from_u32(cp).unwrap_or(' ');
                [
                    Object::Integer(cp as i64),
                    Object::Array(vec![Object::Integer(advance(c))]),
                ]
            })
            .collect();
        let descriptor = doc.add_object(dictionary! {
            "Type" => "FontDescriptor", "FontName" => "TestSans", "Flags" => 4,
            "FontBBox" => vec![0.into(), (-200).into(), 1000.into(), 900.into()],
            "ItalicAngle" => 0, "Ascent" => 900, "Descent" => -200, "CapHeight" => 700, "StemV" => 80,
        });
        let cid = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "CIDFontType2", "BaseFont" => "TestSans",
            "CIDSystemInfo" => dictionary! { "Registry" => Object::string_literal("Adobe"),
                                             "Ordering" => Object::string_literal("Identity"), "Supplement" => 0 },
            "FontDescriptor" => descriptor, "DW" => 1000, "W" => widths, "CIDToGIDMap" => "Identity",
        });
        doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "TestSans",
            "Encoding" => "Identity-H", "DescendantFonts" => vec![cid.into()], "ToUnicode" => to_unicode,
        })
    }
}

/// Serialise a document.
pub fn save(doc: &mut Document) -> Vec<u8> {
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("PDF serialises");
    out
}

/// Lay out paragraphs of a "report" on pages: each paragraph's text is cut into lines of
/// at most `per_line` characters (CJK-style wrapping, at any character), pages hold
/// `lines_per_page` lines. Returns the PDF and, per paragraph, its first `(page, y)`.
pub fn flow(pdf: &mut Pdf, paragraphs: &[&str], per_line: usize, lines_per_page: usize) {
    let (x, top, size, pitch) = (60.0, 80.0, 10.0, 15.0);
    let mut n = lines_per_page;
    let mut y = top;
    for p in paragraphs {
        let chars: Vec<char> = p.chars().collect();
        for chunk in chars.chunks(per_line) {
            if n >= lines_per_page {
                pdf.page();
                n = 0;
                y = top;
            }
            let s: String = chunk.iter().collect();
            pdf.text(x, y, size, &s);
            y += pitch;
            n += 1;
        }
        // Paragraph gap.
        y += pitch * 0.6;
    }
}
