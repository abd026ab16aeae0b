//! Glyphs with their positions, collected from pdf-extract's content-stream
//! interpreter, and lines built from them.
//!
//! Rules:
//! - Coordinates are top-down (y grows down the page), in points.
//! - A **line** is the glyphs whose baselines lie within 0.4 of the font size of each
//!   other, left to right. Lines are cut into **segments** at gaps wider than
//!   [`SEGMENT_GAP_EM`] font sizes (table columns, tab stops).
//! - **Spacing**: a space glyph is kept; otherwise a space is inserted between two
//!   glyphs when the gap passes 0.2 font sizes, or 0.6 when a CJK character is on either
//!   side (justified Chinese text spreads its glyphs; a real space is wider).
//! - Horizontal **rules** (thin filled rectangles, stroked horizontal lines) are kept:
//!   table borders separate rows.
//! - At most [`MAX_GLYPHS_PER_PAGE`] glyphs per page are kept.

use pdf_extract::{ColorSpace, MediaBox, OutputDev, OutputError, Path, PathOp, Transform};

use super::LinkAnnot;

/// Glyphs kept per page; the rest of a page is dropped.
pub const MAX_GLYPHS_PER_PAGE: usize = 400_000;
/// A gap wider than this many font sizes cuts a line into segments.
pub const SEGMENT_GAP_EM: f32 = 0.8;

/// One glyph: its box on the page and the characters it stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Glyph {
    pub x0: f32,
    pub x1: f32,
    /// Baseline, top-down.
    pub y: f32,
    /// Font size in points (after the text and graphics matrices).
    pub size: f32,
    /// Byte range of its characters in [`Page::chars`].
    pub start: u32,
    pub len: u16,
}

/// A horizontal rule: `(x0, x1, y)`.
pub type Rule = (f32, f32, f32);

/// One page's text layer.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub width: f32,
    pub height: f32,
    /// Glyphs in content-stream order.
    pub glyphs: Vec<Glyph>,
    /// The characters of every glyph, concatenated.
    pub chars: String,
    pub rules: Vec<Rule>,
    pub links: Vec<LinkAnnot>,
}

impl Page {
    /// The characters of glyph `g`.
    #[must_use]
    pub fn text_of(&self, g: &Glyph) -> &str {
        let s = g.start as usize;
        self.chars.get(s..s + g.len as usize).unwrap_or("")
    }
}

/// One visual line: glyph indices left to right, and its text with spaces inserted.
#[derive(Debug, Clone, Default)]
pub struct Line {
    /// Indices into [`Page::glyphs`], left to right.
    pub glyphs: Vec<usize>,
    /// Baseline.
    pub y: f32,
    /// Largest font size on the line.
    pub size: f32,
    /// Segments: ranges of `glyphs` separated by wide gaps.
    pub segments: Vec<std::ops::Range<usize>>,
}

impl Line {
    /// Left edge of segment `s`.
    #[must_use]
    pub fn seg_x0(&self, page: &Page, s: usize) -> f32 {
        self.segments
            .get(s)
            .and_then(|r| self.glyphs.get(r.start))
            .map_or(0.0, |&g| page.glyphs[g].x0)
    }

    /// Right edge of segment `s`.
    #[must_use]
    pub fn seg_x1(&self, page: &Page, s: usize) -> f32 {
        self.segments
            .get(s)
            .and_then(|r| {
                self.glyphs[r.clone()]
                    .iter()
                    .map(|&g| page.glyphs[g].x1)
                    .reduce(f32::max)
            })
            .unwrap_or(0.0)
    }
}

/// Whether `c` is a CJK character or CJK/full-width punctuation.
#[must_use]
pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{2e80}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{ff00}'..='\u{ffef}' | '\u{201c}' | '\u{201d}' | '\u{2018}' | '\u{2019}' | '\u{2014}' | '\u{2026}')
}

/// Whether a space goes between `a` and `b` separated by `gap` points at `size`.
#[must_use]
pub fn needs_space(a: char, b: char, gap: f32, size: f32) -> bool {
    if a.is_whitespace() || b.is_whitespace() {
        return false;
    }
    let em = if is_cjk(a) || is_cjk(b) { 0.6 } else { 0.2 };
    gap > em * size
}

/// Group a page's glyphs into lines, top to bottom.
#[must_use]
pub fn lines(page: &Page) -> Vec<Line> {
    let mut order: Vec<usize> = (0..page.glyphs.len())
        .filter(|&i| {
            !page.text_of(&page.glyphs[i]).trim().is_empty() || page.text_of(&page.glyphs[i]) == " "
        })
        .collect();
    order.sort_by(|&a, &b| page.glyphs[a].y.total_cmp(&page.glyphs[b].y));
    let mut out: Vec<Line> = Vec::new();
    for i in order {
        let g = &page.glyphs[i];
        match out.last_mut() {
            Some(l) if (g.y - l.y).abs() <= 0.4 * l.size.max(g.size) => {
                l.glyphs.push(i);
                l.size = l.size.max(g.size);
            }
            _ => out.push(Line {
                glyphs: vec![i],
                y: g.y,
                size: g.size,
                segments: Vec::new(),
            }),
        }
    }
    for l in &mut out {
        l.glyphs
            .sort_by(|&a, &b| page.glyphs[a].x0.total_cmp(&page.glyphs[b].x0));
        // Drop space glyphs at the ends, and doubled glyphs (fake bold draws twice).
        l.glyphs.dedup_by(|b, a| {
            let (ga, gb) = (&page.glyphs[*a], &page.glyphs[*b]);
            page.text_of(ga) == page.text_of(gb) && (ga.x0 - gb.x0).abs() < 0.1 * ga.size
        });
        let mut start = 0;
        for k in 1..=l.glyphs.len() {
            let cut = k == l.glyphs.len() || {
                let prev_end = l.glyphs[start..k]
                    .iter()
                    .filter(|&&g| page.text_of(&page.glyphs[g]) != " ")
                    .map(|&g| page.glyphs[g].x1)
                    .reduce(f32::max);
                let g = &page.glyphs[l.glyphs[k]];
                prev_end.is_some_and(|e| g.x0 - e > SEGMENT_GAP_EM * l.size.max(g.size))
                    && page.text_of(g) != " "
            };
            if cut {
                let mut r = start..k;
                while r.start < r.end && page.text_of(&page.glyphs[l.glyphs[r.start]]) == " " {
                    r.start += 1;
                }
                while r.end > r.start && page.text_of(&page.glyphs[l.glyphs[r.end - 1]]) == " " {
                    r.end -= 1;
                }
                if !r.is_empty() {
                    l.segments.push(r);
                }
                start = k;
            }
        }
    }
    out.retain(|l| !l.segments.is_empty());
    out
}

/// The text of glyphs `glyphs` (left to right) with spaces inserted; `at` receives each
/// glyph's byte range in the text.
pub fn segment_text(
    page: &Page,
    glyphs: &[usize],
    at: &mut Vec<(usize, std::ops::Range<usize>)>,
) -> String {
    let mut s = String::new();
    let mut prev: Option<(char, f32)> = None;
    for &i in glyphs {
        let g = &page.glyphs[i];
        let t = page.text_of(g);
        let Some(first) = t.chars().next() else {
            continue;
        };
        if t == " " {
            if !s.ends_with(' ') && !s.is_empty() {
                s.push(' ');
            }
            prev = Some((' ', g.x1));
            continue;
        }
        if let Some((pc, pe)) = prev
            && needs_space(pc, first, g.x0 - pe, g.size)
        {
            s.push(' ');
        }
        let start = s.len();
        s.push_str(t);
        at.push((i, start..s.len()));
        prev = t.chars().next_back().map(|c| (c, g.x1));
    }
    s.trim_end().to_string()
}

/// pdf-extract output device that keeps the glyphs and rules of every page.
#[derive(Debug, Default)]
pub struct Collector {
    /// Pages begun so far; the last one is being drawn.
    pub pages: Vec<Page>,
    /// Height of the current page, for flipping coordinates.
    height: f64,
    /// Stop (an error to the interpreter) at the next page once this has passed.
    deadline: Option<super::guard::Deadline>,
}

impl Collector {
    /// A collector that stops at a page boundary once `deadline` has passed.
    #[must_use]
    pub fn new(deadline: super::guard::Deadline) -> Self {
        Collector {
            deadline: Some(deadline),
            ..Collector::default()
        }
    }

    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let n = self.pages.len();
        &mut self.pages[n - 1]
    }

    fn flip(&self, ctm: &Transform, x: f64, y: f64) -> (f32, f32) {
        let px = x * ctm.m11 + y * ctm.m21 + ctm.m31;
        let py = x * ctm.m12 + y * ctm.m22 + ctm.m32;
        (px as f32, (self.height - py) as f32)
    }

    fn add_rule(&mut self, a: (f32, f32), b: (f32, f32)) {
        let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
        let page = self.page();
        if (a.1 - b.1).abs() <= 2.0 && x1 - x0 >= 20.0 && page.rules.len() < 100_000 {
            page.rules.push((x0, x1, (a.1 + b.1) / 2.0));
        }
    }

    fn path_rules(&mut self, ctm: &Transform, path: &Path) {
        let mut cur: Option<(f32, f32)> = None;
        for op in &path.ops {
            match *op {
                PathOp::MoveTo(x, y) => cur = Some(self.flip(ctm, x, y)),
                PathOp::LineTo(x, y) => {
                    let p = self.flip(ctm, x, y);
                    if let Some(c) = cur {
                        self.add_rule(c, p);
                    }
                    cur = Some(p);
                }
                PathOp::Rect(x, y, w, h) => {
                    let a = self.flip(ctm, x, y);
                    let b = self.flip(ctm, x + w, y + h);
                    // A thin box is a rule; a box's top and bottom edges are rules.
                    self.add_rule(a, (b.0, a.1));
                    if (a.1 - b.1).abs() > 2.0 {
                        self.add_rule((a.0, b.1), b);
                    }
                }
                PathOp::CurveTo(.., x, y) => cur = Some(self.flip(ctm, x, y)),
                PathOp::Close => {}
            }
        }
    }
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        _page_num: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        if self
            .deadline
            .as_ref()
            .is_some_and(super::guard::Deadline::passed)
        {
            return Err(OutputError::PdfError(lopdf::Error::Unimplemented(
                "time limit",
            )));
        }
        self.height = media_box.ury - media_box.lly;
        self.pages.push(Page {
            width: (media_box.urx - media_box.llx) as f32,
            height: self.height as f32,
            ..Page::default()
        });
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        ch: &str,
    ) -> Result<(), OutputError> {
        if self.page().glyphs.len() >= MAX_GLYPHS_PER_PAGE || ch.is_empty() || ch.len() > 64 {
            return Ok(());
        }
        let (sx, sy) = (
            (trm.m11 * font_size).hypot(trm.m12 * font_size),
            (trm.m21 * font_size).hypot(trm.m22 * font_size),
        );
        let size = (sx * sy).sqrt();
        let x = trm.m31;
        let y = self.height - trm.m32;
        let adv = width * sx;
        if !(x.is_finite() && y.is_finite() && size.is_finite() && adv.is_finite()) || size <= 0.0 {
            return Ok(());
        }
        let page = self.page();
        let start = page.chars.len();
        // Control characters and NULs from broken encodings are not text.
        let clean: String = ch
            .chars()
            .filter(|c| !c.is_control() || *c == ' ')
            .collect();
        if clean.is_empty() {
            return Ok(());
        }
        page.chars.push_str(&clean);
        page.glyphs.push(Glyph {
            x0: x as f32,
            x1: (x + adv.max(0.0)) as f32,
            y: y as f32,
            size: size as f32,
            start: u32::try_from(start).unwrap_or(u32::MAX),
            len: u16::try_from(clean.len()).unwrap_or(0),
        });
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn stroke(
        &mut self,
        ctm: &Transform,
        _colorspace: &ColorSpace,
        _color: &[f64],
        path: &Path,
    ) -> Result<(), OutputError> {
        self.path_rules(ctm, path);
        Ok(())
    }

    fn fill(
        &mut self,
        ctm: &Transform,
        _colorspace: &ColorSpace,
        _color: &[f64],
        path: &Path,
    ) -> Result<(), OutputError> {
        self.path_rules(ctm, path);
        Ok(())
    }
}
