//! The interned candidate store: every claim's candidate terms, found once for a run.
//!
//! At scale (100,000 claims) each term is interned once: a claim keeps only a term id
//! and a base weight code per candidate (5 bytes, in two flat lists) and its masked
//! ranges, and keyword
//! strings are allocated later only for the few kept per claim ([`super::weigh`]).
//!
//! Claims are identified by their index in the run: claim `i` of [`Masks`] is claim `i`
//! of [`Candidates`] and text `i` of the texts given to [`Candidates::build`]; a length
//! mismatch is a bug and stops the run loudly instead of shifting keywords onto other
//! claims.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;

use super::segmenter::{Dictionary, Segmenter};
use super::terms::{has_cjk, masked_ranges_with, terms_of};

/// A masked byte range.
pub(super) type Span = (usize, usize);

/// Reports up to this size (bytes of text) with Chinese text have the segmenter loaded
/// while they are parsed ([`prefetch_segmenter`]); a larger report's parser buffers are
/// large enough that the dictionary waits until they are freed.
pub(crate) const PREFETCH_MAX_BYTES: usize = 4 << 20;

/// The segmenter's dictionary being read ahead, on a thread of its own.
static PREFETCHED: Mutex<Option<JoinHandle<Dictionary>>> = Mutex::new(None);

/// Start reading the Chinese segmenter's dictionary on a thread of its own (a few tens
/// of milliseconds of CPU), so that it is ready when the claims' terms are found
/// instead of being read after parsing. For a report whose text holds Chinese and is
/// at most [`PREFETCH_MAX_BYTES`]; does nothing when a read is already under way.
pub(crate) fn prefetch_segmenter(text: &str) {
    if text.len() > PREFETCH_MAX_BYTES || !has_cjk(text) {
        return;
    }
    let mut slot = PREFETCHED.lock().unwrap_or_else(PoisonError::into_inner);
    if slot.is_none() {
        *slot = std::thread::Builder::new()
            .name("citecheck-segmenter".to_owned())
            .spawn(Dictionary::load)
            .ok();
    }
}

/// The segmenter for `texts`: cut from the dictionary read ahead if there is one, else
/// read now.
fn segmenter<'a>(texts: impl IntoIterator<Item = &'a str>) -> Segmenter {
    let ahead = PREFETCHED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    ahead
        .and_then(|h| h.join().ok())
        .unwrap_or_else(Dictionary::load)
        .segmenter_for(texts)
}

/// Claims whose candidates are found together, spread over the worker threads.
const BLOCK: usize = 4096;

/// The masked byte ranges (dates, URLs, e-mail) of the claims of a run, claim after
/// claim in one flat list; filled while documents are parsed, so that the date mentions
/// found for each claim's own date are not searched for again.
#[derive(Debug, Default)]
pub(crate) struct Masks {
    spans: Vec<Span>,
    /// End of each claim's ranges in `spans`.
    ends: Vec<usize>,
}

/// One claim's masked ranges, found apart from the [`Masks`] they go to (so that the
/// claims of a large report can be masked on several threads).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Masked(Vec<Span>);

impl Masked {
    /// The masked ranges of `text`, given the byte ranges of its date mentions.
    pub(crate) fn of(text: &str, dates: Vec<Span>) -> Masked {
        Masked(masked_ranges_with(text, dates))
    }
}

impl Masks {
    /// Add the next claim, given the byte ranges of its date mentions.
    #[cfg(test)]
    pub(crate) fn push(&mut self, text: &str, dates: Vec<Span>) {
        self.push_masked(Masked::of(text, dates));
    }

    /// Add the next claim, masked already.
    pub(crate) fn push_masked(&mut self, masked: Masked) {
        self.spans.extend(masked.0);
        self.ends.push(self.spans.len());
    }

    /// Number of claims.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The masked ranges of claim `i` (empty past the end).
    pub(super) fn get(&self, i: usize) -> &[Span] {
        let Some(&end) = self.ends.get(i) else {
            return &[];
        };
        let start = i.checked_sub(1).map_or(0, |p| self.ends[p]);
        &self.spans[start..end]
    }
}

/// The candidate terms of every claim of a run, interned.
///
/// [`Candidates::build`] finds the terms in blocks spread over the cores. The Chinese
/// segmenter is cut from its dictionary (about 10 MB while it is read) for the first
/// block with Chinese text, after parsing (not alongside the parser's buffers; for a
/// small report the dictionary is read while it is parsed: [`prefetch_segmenter`]), with
/// only the words of the run's Chinese texts, and freed when the build ends, so it does
/// not stay for the rest of a run.
#[derive(Debug, Default)]
pub(crate) struct Candidates {
    /// Term → id.
    ids: HashMap<Box<str>, u32>,
    /// The term id of every candidate of every claim, claim after claim.
    term_ids: Vec<u32>,
    /// The base weight code of each candidate of `term_ids` (apart: a `(u32, u8)` pair
    /// takes 8 bytes).
    codes: Vec<u8>,
    /// The distinct base weights, by code.
    bases: Vec<f64>,
    /// End of each claim's candidates.
    entry_ends: Vec<usize>,
    /// Masked byte ranges of every claim.
    masks: Masks,
}

impl Candidates {
    /// Find the candidate terms of every claim: `texts[i]` is the text of claim `i` of
    /// `masks`.
    ///
    /// # Panics
    /// When `texts` and `masks` do not hold the same number of claims (a bug in the
    /// caller: keywords would land on the wrong claims).
    pub(crate) fn build(masks: Masks, texts: &[&str]) -> Candidates {
        assert_eq!(texts.len(), masks.len(), "one claim text per masked claim");
        let mut cands = Candidates {
            masks,
            ..Candidates::default()
        };
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let mut jieba: Option<Segmenter> = None;
        for (b, block) in texts.chunks(BLOCK).enumerate() {
            let first = b * BLOCK;
            // Masking only blanks: a claim with no CJK cannot have any once masked.
            if jieba.is_none() && block.iter().any(|t| has_cjk(t)) {
                // The parser's buffers are freed by now; its scattered free pages cannot
                // hold the dictionary's large arrays, so give them back first.
                crate::heap::release_free_memory();
                // Cut for the Chinese texts of this block and every later one: jieba
                // needs only the dictionary words they contain.
                jieba = Some(segmenter(
                    texts[first..].iter().copied().filter(|t| has_cjk(t)),
                ));
            }
            let work: Vec<(&str, &[Span])> = block
                .iter()
                .enumerate()
                .map(|(k, &text)| (text, cands.masks.get(first + k)))
                .collect();
            let per = work.len().div_ceil(threads).max(256);
            let jieba = jieba.as_ref();
            let found: Vec<Vec<Vec<(String, f64)>>> = std::thread::scope(|s| {
                let workers: Vec<_> = work
                    .chunks(per)
                    .map(|chunk| s.spawn(move || terms_of(chunk, jieba)))
                    .collect();
                workers
                    .into_iter()
                    .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            });
            for terms in found.into_iter().flatten() {
                cands.push_terms(terms);
            }
        }
        cands
    }

    /// Add the next claim's candidate terms.
    pub(super) fn push_terms(&mut self, terms: Vec<(String, f64)>) {
        for (term, base) in terms {
            let next = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
            let id = *self.ids.entry(term.into_boxed_str()).or_insert(next);
            let code = match self
                .bases
                .iter()
                .position(|&b| b.to_bits() == base.to_bits())
            {
                Some(k) => k,
                None => {
                    self.bases.push(base);
                    self.bases.len() - 1
                }
            };
            // Base weights are a handful of constants (see the term rules).
            self.term_ids.push(id);
            self.codes.push(u8::try_from(code).unwrap_or(u8::MAX));
        }
        self.entry_ends.push(self.term_ids.len());
    }

    /// Number of claims.
    pub(super) fn len(&self) -> usize {
        self.entry_ends.len()
    }

    /// The term id of every candidate of every claim.
    pub(super) fn term_ids(&self) -> &[u32] {
        &self.term_ids
    }

    /// The base weight of `code`.
    pub(super) fn base(&self, code: u8) -> f64 {
        self.bases.get(usize::from(code)).copied().unwrap_or(0.0)
    }

    /// Per claim, in order: its candidates (term id and base weight code) and its
    /// masked ranges.
    pub(super) fn claims(
        &self,
    ) -> impl Iterator<Item = (impl Iterator<Item = (u32, u8)> + '_, &[Span])> {
        let mut prev = 0;
        self.entry_ends.iter().enumerate().map(move |(i, &e)| {
            let candidates = self.term_ids[prev..e]
                .iter()
                .copied()
                .zip(self.codes[prev..e].iter().copied());
            let out = (candidates, self.masks.get(i));
            prev = e;
            out
        })
    }

    /// The terms, indexed by id.
    pub(super) fn terms(&self) -> Vec<&str> {
        let mut terms = vec![""; self.ids.len()];
        for (t, &id) in &self.ids {
            terms[id as usize] = t;
        }
        terms
    }
}
