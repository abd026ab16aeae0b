//! Stage 1: read report files and find every citation and its claim.
//!
//! Per document: read and decode ([`input`]), cut out the TAB tables ([`table`]), read
//! the rest as Markdown, HTML or text ([`markdown`], [`html`], [`text`]) into blocks
//! ([`block`]), turn links into citations with their claim text and date ([`claims`]).
//! Then, over all documents at once: keyword IDF ([`keywords`]), typo suggestions
//! ([`suggest`]) and which citation supports each uncited claim ([`uncited`]).

mod block;
mod claims;
mod docx;
mod format;
mod html;
mod input;
mod keywords;
mod laid;
mod lines;
mod markdown;
mod pdf;
mod suggest;
mod table;
mod text;
mod uncited;
mod urls;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::model::{Citation, Claim, Repair, RepairKind, SourceSpan, UncitedClaim};
use block::{Block, BlockKind, is_sentence_end};
use claims::{YearContext, claim_date_of, find_mentions, starts_with_date};
pub use format::Format;
use lines::LineIndex;

/// Default cap on a report file's size.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// `report.max_file_bytes`: a report is read whole, so at most 4 GiB.
pub const MAX_FILE_BYTES_RANGE: std::ops::RangeInclusive<u64> = 1..=4 << 30;

/// How report files are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractOptions {
    /// Files larger than this are not read (an [`InputError`] names them).
    pub max_file_bytes: u64,
    /// The URL relative links of every report are resolved against, unless a report
    /// states its own (`<base href>`); without any, relative links stay as written.
    pub base_url: Option<url::Url>,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            base_url: None,
        }
    }
}

/// Everything extracted from one report file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    /// The report file, as given or as found under a directory.
    #[serde(serialize_with = "crate::model::lossy_path")]
    pub path: PathBuf,
    /// Citations in source order (line, then position in the line).
    pub citations: Vec<Citation>,
    /// Dated claims stated without a link.
    pub uncited: Vec<UncitedClaim>,
}

/// A report file that could not be read; the run goes on without it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct InputError {
    /// The file or directory that could not be read.
    #[serde(serialize_with = "crate::model::lossy_path")]
    pub path: PathBuf,
    /// The line, when the problem is at one place in the file.
    pub line: Option<usize>,
    /// What went wrong, lowercase (`binary file (contains NUL bytes); not a report`).
    pub message: String,
}

/// The result of reading every report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extraction {
    /// The documents read, in walk order.
    pub documents: Vec<Document>,
    /// Paths that could not be read (missing, binary, too large, symlink loops).
    pub errors: Vec<InputError>,
    /// Files under a directory that are not reports (unknown extension).
    pub skipped_files: usize,
    /// Citations dropped because their lines did not change (`--changed-since`).
    pub skipped_unchanged: usize,
}

impl Extraction {
    /// Every citation of every document, in order.
    pub fn citations(&self) -> impl Iterator<Item = &Citation> {
        self.documents.iter().flat_map(|d| d.citations.iter())
    }
}

/// A citation before dates and keywords: what the front ends produce.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawCitation {
    pub(crate) line: usize,
    pub(crate) written: String,
    pub(crate) url: String,
    pub(crate) claim: String,
    pub(crate) context: Option<String>,
    pub(crate) repairs: Vec<Repair>,
}

/// An uncited claim before dates and keywords.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawUncited {
    pub(crate) line: usize,
    pub(crate) text: String,
    pub(crate) context: Option<String>,
}

/// Walk files/dirs (recursively, symlink loops detected, sorted for determinism), read,
/// decode, extract, then the cross-document steps (keyword IDF over all claims, typo
/// suggestions, uncited → supported_by). Never panics; every unreadable, binary,
/// too-large or missing path becomes an [`InputError`] naming it and the rest goes on.
#[must_use]
pub fn extract_paths(paths: &[PathBuf], opts: &ExtractOptions) -> Extraction {
    let mut ex = Extraction::default();
    let mut masks = keywords::Masks::default();
    let files = input::collect_files(paths, &mut ex.errors, &mut ex.skipped_files);
    for file in files {
        let doc = if Format::of_path(&file).is_binary() {
            input::read_bytes(&file, opts.max_file_bytes)
                .and_then(|bytes| parse_binary(&file, bytes, opts, &mut masks))
        } else {
            input::read_report(&file, opts.max_file_bytes).map(|text| {
                keywords::prefetch_segmenter(&text);
                parse_document(&file, &text, opts, &mut masks)
            })
        };
        match doc {
            Ok(doc) => ex.documents.push(doc),
            Err(message) => ex.errors.push(InputError {
                path: file,
                line: None,
                message,
            }),
        }
    }
    finish(&mut ex.documents, masks);
    ex
}

/// One document from text already in memory (format chosen by the path's extension,
/// see [`Format::of_path`]; the seed-style TAB tables are recognised inside Markdown
/// and text). Includes keywords
/// computed with IDF over this document alone.
#[must_use]
pub fn extract_str(path: &Path, text: &str) -> Document {
    let mut masks = keywords::Masks::default();
    let opts = ExtractOptions::default();
    let mut docs = vec![parse_document(path, text, &opts, &mut masks)];
    finish(&mut docs, masks);
    docs.pop().unwrap_or_else(|| Document {
        path: path.to_path_buf(),
        citations: Vec::new(),
        uncited: Vec::new(),
    })
}

/// One PDF or Word document from its bytes (format chosen by the path's extension),
/// with keywords computed over this document alone. `Err` names what is wrong
/// (encrypted, damaged, no text layer, not a Word file).
pub fn extract_bytes(path: &Path, bytes: Vec<u8>) -> Result<Document, String> {
    let mut masks = keywords::Masks::default();
    let mut docs = vec![parse_binary(
        path,
        bytes,
        &ExtractOptions::default(),
        &mut masks,
    )?];
    finish(&mut docs, masks);
    docs.pop().ok_or_else(|| "no document".to_string())
}

/// Read a PDF or Word report and extract it like a text report (see [`laid`]).
fn parse_binary(
    path: &Path,
    bytes: Vec<u8>,
    opts: &ExtractOptions,
    masks: &mut keywords::Masks,
) -> Result<Document, String> {
    let laid = match Format::of_path(path) {
        Format::Docx => docx::laid_out(&bytes)?,
        _ => pdf::laid_out(&crate::pdf::read(bytes)?),
    };
    Ok(parse_laid(path, &laid, opts, masks))
}

/// Citations and claims of a laid-out document: its TAB rows through [`table`], its
/// prose blocks through the same collector as every other format; then each synthetic
/// line is mapped back to its page and line.
fn parse_laid(
    path: &Path,
    laid: &laid::Laid,
    opts: &ExtractOptions,
    masks: &mut keywords::Masks,
) -> Document {
    let ctx = YearContext::detect(&laid.plain, path);
    tracing::debug!(path = %path.display(), rows = %laid.table_text, text = %laid.plain, "laid out");
    let lines = LineIndex::new(&laid.table_text);
    let tables = table::extract_tables(&laid.table_text, &lines, &ctx);
    // One path for every citation of the document.
    let shared: Arc<Path> = Arc::from(path);
    let mut citations: Vec<Citation> = tables
        .citations
        .into_iter()
        .map(|c| c.into_citation(&shared))
        .collect();
    let mut raw_unc = tables.uncited;
    let mut collect = Collector::new(&shared, &mut citations, &mut raw_unc);
    for (b, context, def) in &laid.blocks {
        collect.block(b.clone(), context.clone(), def.clone());
    }
    collect.finish();
    for c in &mut citations {
        if let Some(j) = laid
            .joins
            .iter()
            .find(|j| j.line == c.source.line && j.url == c.url)
        {
            c.written_url.clone_from(&j.written);
            c.repairs.push(j.repair.clone());
        }
    }
    resolve_relative(&mut citations, opts.base_url.as_ref());
    let mut doc = finish_document(path, citations, raw_unc, &ctx, masks);
    let place = |span: &mut SourceSpan| {
        let loc = laid.locate(span.line);
        span.page = loc.page;
        span.line = loc.line;
    };
    for c in &mut doc.citations {
        place(&mut c.source);
    }
    for u in &mut doc.uncited {
        place(&mut u.source);
    }
    doc
}

/// Extract one document (no keywords, suggestions or support links yet); its claims are
/// added to `masks` for the keywords ([`finish_document`]).
fn parse_document(
    path: &Path,
    text: &str,
    opts: &ExtractOptions,
    masks: &mut keywords::Masks,
) -> Document {
    let text = &*lines::unify_line_ends(text);
    let lines = LineIndex::new(text);
    let ctx = YearContext::detect(text, path);
    let format = Format::of_path(path);
    // One path for every citation of the document.
    let shared: Arc<Path> = Arc::from(path);
    debug_assert!(
        !format.is_binary(),
        "binary formats go through parse_binary"
    );
    let mut citations = Vec::new();
    let mut raw_unc = Vec::new();
    let body;
    let text_for_blocks = if format == Format::Html {
        text
    } else {
        let tables = table::extract_tables(text, &lines, &ctx);
        citations.extend(
            tables
                .citations
                .into_iter()
                .map(|c| c.into_citation(&shared)),
        );
        raw_unc.extend(tables.uncited);
        if tables.ranges.is_empty() {
            text
        } else {
            body = blank_ranges(text, &tables.ranges);
            body.as_str()
        }
    };
    let mut collect = Collector::new(&shared, &mut citations, &mut raw_unc);
    match format {
        Format::Markdown => markdown::markdown_blocks(text_for_blocks, &lines, &mut |b| {
            collect.block(b.block, b.context, b.footnote);
        }),
        Format::Html => html_with_context(text_for_blocks, &lines, &mut collect),
        Format::Text | Format::Pdf | Format::Docx => {
            for b in text::text_blocks(text_for_blocks, &lines) {
                collect.block(b, None, None);
            }
        }
    }
    collect.finish();
    let base = match format {
        Format::Html => document_base(text_for_blocks, opts.base_url.as_ref()),
        _ => opts.base_url.clone(),
    };
    resolve_relative(&mut citations, base.as_ref());
    finish_document(path, citations, raw_unc, &ctx, masks)
}

/// Resolve relative and protocol-relative citations against `base` (recorded as repairs).
fn resolve_relative(citations: &mut [Citation], base: Option<&url::Url>) {
    for c in citations {
        if let Some((url, repair)) = urls::resolve(&c.url, base) {
            c.url = url;
            c.repairs.push(repair);
        }
    }
}

/// Sort a document's citations and uncited claims, date them, and queue their claims
/// (citations, then uncited claims: the order of [`claim_slots`]) for the keywords.
fn finish_document(
    path: &Path,
    mut citations: Vec<Citation>,
    mut raw_unc: Vec<RawUncited>,
    ctx: &YearContext,
    masks: &mut keywords::Masks,
) -> Document {
    let before = masks.len();
    citations.sort_by_key(|c| c.source.line);
    citations.shrink_to_fit();
    raw_unc.sort_by_key(|u| u.line);
    // Dates, and the claims (in their final order) for the keywords.
    let texts: Vec<&str> = citations
        .iter()
        .map(|c| c.claim.text.as_str())
        .chain(raw_unc.iter().map(|u| u.text.as_str()))
        .collect();
    let mut dated = dated_claims(&texts, ctx).into_iter();
    drop(texts);
    for c in &mut citations {
        if let Some(((date, end), masked)) = dated.next() {
            (c.claim.date, c.claim.date_end) = (date, end);
            masks.push_masked(masked);
        }
    }
    let uncited = raw_unc
        .into_iter()
        .zip(dated)
        .map(|(u, ((date, date_end), masked))| {
            masks.push_masked(masked);
            UncitedClaim {
                source: SourceSpan {
                    path: Arc::from(path),
                    page: None,
                    line: u.line,
                },
                claim: Claim {
                    text: u.text,
                    date,
                    date_end,
                    keywords: Vec::new(),
                },
                supported_by: None,
                supported_by_url: None,
            }
        })
        .collect::<Vec<_>>();
    assert_eq!(
        masks.len() - before,
        citations.len() + uncited.len(),
        "one masked entry per claim of {}",
        path.display()
    );
    Document {
        path: path.to_path_buf(),
        citations,
        uncited,
    }
}

impl RawCitation {
    /// The citation in `path` (no date, keywords or suggestions yet).
    fn into_citation(self, path: &Arc<Path>) -> Citation {
        Citation {
            source: SourceSpan {
                path: Arc::clone(path),
                page: None,
                line: self.line,
            },
            url: self.url,
            written_url: self.written,
            claim: Claim {
                text: self.claim,
                date: None,
                date_end: None,
                keywords: Vec::new(),
            },
            context: self.context,
            repairs: self.repairs,
            suggestions: Vec::new(),
        }
    }
}

/// A claim's date and the end of its range.
type ClaimDates = (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>);

/// Claims from which [`dated_claims`] spreads over the cores: below, a thread costs
/// more than it saves.
const PARALLEL_CLAIMS: usize = 2048;

/// Each claim's date and range end, and its masked ranges for the keywords (its date
/// mentions among them), in the order of `texts`; a large report's claims are spread
/// over the cores (on one thread when no other can be started).
fn dated_claims(texts: &[&str], ctx: &YearContext) -> Vec<(ClaimDates, keywords::Masked)> {
    let one = |text: &&str| {
        let mentions = find_mentions(text);
        let date = claim_date_of(&mentions, ctx);
        let dates = mentions.iter().map(|m| (m.start, m.end)).collect();
        (date, keywords::Masked::of(text, dates))
    };
    crate::cpu::spread(texts, PARALLEL_CLAIMS, one)
}

/// The base URL of an HTML report: its `<base href>` (itself resolved against the
/// configured base), else the configured one.
fn document_base(text: &str, configured: Option<&url::Url>) -> Option<url::Url> {
    let own = html::base_href(text).and_then(|href| {
        let href = urls::decode_entities(href);
        match configured {
            Some(b) => b.join(&href).ok(),
            None => url::Url::parse(&href).ok(),
        }
    });
    own.filter(|u| matches!(u.scheme(), "http" | "https"))
        .or_else(|| configured.cloned())
}

/// HTML blocks with the nearest heading as context.
fn html_with_context(text: &str, lines: &LineIndex, collect: &mut Collector<'_>) {
    let mut heading = None;
    for b in html::html_blocks(text, 0, lines) {
        if b.kind == BlockKind::Heading {
            let h = block::normalize_space(&b.text);
            heading = (!h.is_empty()).then_some(h);
        }
        let context = heading.clone();
        collect.block(b, context, None);
    }
}

/// Replace the bytes of `ranges` by spaces (newlines kept), so offsets and lines stay.
fn blank_ranges(text: &str, ranges: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for &(s, e) in ranges {
        let (s, e) = (s.max(at).min(text.len()), e.min(text.len()));
        if s < at || e < s {
            continue;
        }
        out.push_str(&text[at..s]);
        for c in text[s..e].chars() {
            if c == '\n' {
                out.push('\n');
            } else {
                out.extend(std::iter::repeat_n(' ', c.len_utf8()));
            }
        }
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

/// Citations and uncited claims from blocks, one block at a time, in document order.
///
/// A block is dropped as soon as its citations and claims are taken, except the few
/// that footnotes need across blocks: blocks with footnote marks (their sentences are
/// the claims of the footnote's links) and footnote definitions (read at the end, when
/// every mark is known).
struct Collector<'a> {
    path: &'a Arc<Path>,
    cits: &'a mut Vec<Citation>,
    unc: &'a mut Vec<RawUncited>,
    /// Index of the next block.
    next: usize,
    /// Index of the last block that made (or continued) an uncited claim.
    last_uncited: Option<usize>,
    /// Blocks with footnote marks, kept for the definitions.
    marked: Vec<Block>,
    /// Footnote marks by label: (index in `marked`, mark position).
    marks: HashMap<String, Vec<(usize, usize)>>,
    /// Footnote definition blocks with their context and label, read at the end.
    defs: Vec<(Block, Option<String>, String)>,
}

impl<'a> Collector<'a> {
    fn new(path: &'a Arc<Path>, cits: &'a mut Vec<Citation>, unc: &'a mut Vec<RawUncited>) -> Self {
        Collector {
            path,
            cits,
            unc,
            next: 0,
            last_uncited: None,
            marked: Vec::new(),
            marks: HashMap::new(),
            defs: Vec::new(),
        }
    }

    /// The next block, with the heading it sits under and, inside a footnote
    /// definition, the footnote's label.
    fn block(&mut self, b: Block, context: Option<String>, def: Option<String>) {
        let i = self.next;
        self.next += 1;
        if let Some(label) = def {
            // Not plain: it neither starts nor continues an uncited claim.
            self.defs.push((b, context, label));
            return;
        }
        // A table row's label cell is its context.
        let context = b.row_label().or(context);
        let mut has_links = false;
        for l in b
            .links
            .iter()
            .filter(|l| urls::is_citation_href(&l.written))
        {
            has_links = true;
            let claims = vec![b.claim_at(l.pos)];
            push_citation(self.cits, self.path, l, claims, context.as_ref());
        }
        // Uncited dated claims; a page-break continuation paragraph joins the one before.
        let plain = !has_links && b.footnotes.is_empty() && b.kind != BlockKind::Heading;
        if plain {
            let text = if b.kind == BlockKind::Row {
                b.claim_at(0)
            } else {
                block::normalize_space(&b.text)
            };
            if starts_with_date(&text) {
                self.unc.push(RawUncited {
                    line: b.line,
                    text,
                    context,
                });
                self.last_uncited = Some(i);
            } else if self.last_uncited.is_some()
                && self.last_uncited == i.checked_sub(1)
                && !text.is_empty()
            {
                if let Some(u) = self
                    .unc
                    .last_mut()
                    .filter(|u| !u.text.ends_with(is_sentence_end))
                {
                    u.text.push_str(&text);
                    self.last_uncited = Some(i);
                }
            }
        }
        if !b.footnotes.is_empty() {
            let k = self.marked.len();
            for m in &b.footnotes {
                self.marks
                    .entry(m.label.clone())
                    .or_default()
                    .push((k, m.pos));
            }
            self.marked.push(b);
        }
    }

    /// Read the footnote definitions: each link's claims are the sentences holding
    /// the marks of its footnote (its own sentence when nothing refers to it).
    fn finish(self) {
        for (b, context, label) in &self.defs {
            for l in b
                .links
                .iter()
                .filter(|l| urls::is_citation_href(&l.written))
            {
                let claims = match self.marks.get(label) {
                    Some(refs) => refs
                        .iter()
                        .map(|&(k, pos)| self.marked[k].claim_before(pos))
                        .collect(),
                    None => vec![b.claim_at(l.pos)],
                };
                push_citation(self.cits, self.path, l, claims, context.as_ref());
            }
        }
    }
}

/// One raw citation per claim of link `l`.
fn push_citation(
    cits: &mut Vec<Citation>,
    path: &Arc<Path>,
    l: &block::BlockLink,
    claims: Vec<String>,
    context: Option<&String>,
) {
    let written = l.written.trim().to_string();
    let mut url = urls::decode_entities(&written);
    let mut repairs = Vec::new();
    if url != written {
        repairs.push(Repair {
            kind: RepairKind::DecodedEntities,
            detail: format!("HTML entities decoded in `{written}`"),
        });
    }
    if l.md_escapes {
        let unescaped = urls::remove_markdown_escapes(&url);
        if unescaped != url {
            repairs.push(Repair {
                kind: RepairKind::MarkdownEscapesRemoved,
                detail: format!("Markdown backslash escapes removed from `{written}`"),
            });
            url = unescaped;
        }
    }
    for claim in claims {
        cits.push(
            RawCitation {
                line: l.line,
                written: written.clone(),
                url: url.clone(),
                claim,
                context: context.cloned(),
                repairs: repairs.clone(),
            }
            .into_citation(path),
        );
    }
}

/// Where a claim of the run lives: its document and its citation or uncited claim.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Cited(usize, usize),
    Uncited(usize, usize),
}

/// Every claim of the run, numbered: document after document, its citations, then its
/// uncited claims (the order in which [`parse_document`] masks them).
fn claim_slots(docs: &[Document]) -> Vec<Slot> {
    docs.iter()
        .enumerate()
        .flat_map(|(d, doc)| {
            (0..doc.citations.len())
                .map(move |i| Slot::Cited(d, i))
                .chain((0..doc.uncited.len()).map(move |j| Slot::Uncited(d, j)))
        })
        .collect()
}

/// The claim in `slot`, to fill in.
fn claim_mut(docs: &mut [Document], slot: Slot) -> &mut Claim {
    match slot {
        Slot::Cited(d, i) => &mut docs[d].citations[i].claim,
        Slot::Uncited(d, j) => &mut docs[d].uncited[j].claim,
    }
}

/// The cross-document steps: keywords (IDF over all claims, whose masks were collected
/// while parsing), suggestions, support. Every result is a list indexed like the list
/// it was computed from, and is written back by that index.
fn finish(docs: &mut [Document], masks: keywords::Masks) {
    // Keywords (the slots are listed after: not held beside the segmenter).
    let mut weighted = {
        let texts: Vec<&str> = docs
            .iter()
            .flat_map(|doc| {
                let cited = doc.citations.iter().map(|c| &c.claim);
                cited.chain(doc.uncited.iter().map(|u| &u.claim))
            })
            .map(|c| c.text.as_str())
            .collect();
        let cands = keywords::Candidates::build(masks, &texts);
        keywords::weigh(&cands, &texts)
    };
    let slots = claim_slots(docs);
    debug_assert_eq!(slots.len(), weighted.len(), "one keyword list per slot");
    for (k, &slot) in slots.iter().enumerate() {
        claim_mut(docs, slot).keywords = std::mem::take(&mut weighted[k]);
    }
    drop(weighted);
    // Suggestions, by citation.
    let cited: Vec<(usize, usize)> = docs
        .iter()
        .enumerate()
        .flat_map(|(d, doc)| (0..doc.citations.len()).map(move |i| (d, i)))
        .collect();
    let mut sugg = {
        let all: Vec<(&str, &SourceSpan)> = cited
            .iter()
            .map(|&(d, i)| {
                let c = &docs[d].citations[i];
                (c.url.as_str(), &c.source)
            })
            .collect();
        suggest::suggestions(&all)
    };
    for (k, &(d, i)) in cited.iter().enumerate() {
        docs[d].citations[i].suggestions = std::mem::take(&mut sugg[k]);
    }
    drop(sugg);
    // Uncited → supporting citation.
    let uncited: Vec<(usize, usize)> = docs
        .iter()
        .enumerate()
        .flat_map(|(d, doc)| (0..doc.uncited.len()).map(move |j| (d, j)))
        .collect();
    let support: Vec<Option<usize>> = {
        let keys: Vec<(&str, Option<chrono::NaiveDate>)> = cited
            .iter()
            .map(|&(d, i)| {
                let c = &docs[d].citations[i].claim;
                (c.text.as_str(), c.date)
            })
            .collect();
        let unc: Vec<(&str, Option<chrono::NaiveDate>)> = uncited
            .iter()
            .map(|&(d, j)| {
                let c = &docs[d].uncited[j].claim;
                (c.text.as_str(), c.date)
            })
            .collect();
        uncited::match_support(&unc, &keys)
    };
    for (k, &(d, j)) in uncited.iter().enumerate() {
        if let Some(&(cd, ci)) = support[k].and_then(|m| cited.get(m)) {
            let by = &docs[cd].citations[ci];
            let (span, url) = (by.source.clone(), by.url.clone());
            let u = &mut docs[d].uncited[j];
            u.supported_by = Some(span);
            u.supported_by_url = Some(url);
        }
    }
}

#[cfg(test)]
mod tests;
