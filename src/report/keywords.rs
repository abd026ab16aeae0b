//! Keywords a supporting page must contain, weighted.
//!
//! Candidates, with a base weight by kind: quoted terms and titles (`“…”`, `「…」`,
//! `《…》`, nested ones too) 1.0; names of organisations, places and people (jieba's
//! `nt`/`ns`/`nr`/`nz` tags, capitalised English phrases) 0.8; numbers with units 0.7;
//! Latin-script terms in Chinese text 0.6; other nouns 0.4. Date mentions, URLs and
//! e-mail addresses are masked before anything else, so date digits and URL pieces
//! (`http`, `html`, host names) never become keywords.
//!
//! The final weight is `base × idf / idf_max` with `idf = ln(1 + N/df)` over all claims
//! of the run: a term found in nearly every claim (`互联网+` in the seed) weighs little.
//!
//! At scale (100,000 claims) the terms are interned once ([`Candidates`]): each claim
//! keeps only `(term id, base)` pairs and its masked ranges, and keyword strings are
//! allocated only for the [`MAX_KEYWORDS`] kept per claim.

use std::collections::HashMap;
use std::sync::LazyLock;

use jieba_rs::Jieba;
use regex::Regex;

#[cfg(test)]
use super::claims::date_spans;
use crate::model::Keyword;

/// At most this many keywords per claim.
pub(crate) const MAX_KEYWORDS: usize = 8;

/// A number with its unit. English units must end a word; that `\b` is checked by
/// [`number_units`], not here: a Unicode word boundary keeps the regex off its fast
/// engines on non-ASCII (Chinese) text.
static NUMBER_UNIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\d+(?:[.,]\d+)?\s*(?:余|多)?\s*(?:%|％|万元|亿元|万人|万|亿|元|个|家|项|名|条|所|座|台|人|次|倍|公里|千米|平方米|吨|percent|million|billion|thousand|people|km)")
        .expect("valid number-with-unit regex")
});
/// URLs (any scheme, or a bare `www.` host) and e-mail addresses. A URL ends where
/// [`super::urls`] ends bare URLs: whitespace, markup delimiters, CJK text and punctuation.
static URL_OR_EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?:(?-u:\b)[a-z][a-z0-9+.\-]*://|(?-u:\b)www\.|(?-u:\b)mailto:)[^\s<>"`\p{Han}\x{3000}-\x{303f}\x{ff00}-\x{ffef}\x{2010}-\x{206f}]*|[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)+"#,
    )
    .expect("valid URL/e-mail regex")
});
static LATIN_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z][A-Za-z0-9'’\-]*").expect("valid word regex"));

const EN_STOP: &[&str] = &[
    "a",
    "an",
    "and",
    "are",
    "as",
    "at",
    "be",
    "been",
    "by",
    "for",
    "from",
    "has",
    "have",
    "he",
    "her",
    "his",
    "in",
    "into",
    "is",
    "it",
    "its",
    "of",
    "on",
    "or",
    "she",
    "that",
    "the",
    "their",
    "this",
    "to",
    "was",
    "were",
    "which",
    "will",
    "with",
    "would",
    "after",
    "also",
    "about",
    "over",
    "said",
    "says",
    "new",
    "more",
    "than",
    "they",
    "them",
    "there",
    "these",
    "those",
    "under",
    "while",
    "when",
    "where",
    "who",
    "what",
    "report",
    "reports",
    "see",
    "source",
    "according",
    "announced",
    "published",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const ZH_STOP: &[&str] = &[
    "消息", "方面", "近日", "相关", "有关", "工作", "情况", "进行", "举行", "召开", "正式", "全国",
    "一批",
];

fn is_stop(term: &str) -> bool {
    let lower = term.to_lowercase();
    EN_STOP.contains(&lower.as_str()) || ZH_STOP.contains(&term)
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Byte ranges of `text` that never yield keywords: date mentions, URLs and e-mail
/// addresses; sorted, merged, on char boundaries.
#[cfg(test)]
fn masked_ranges(text: &str) -> Vec<(usize, usize)> {
    masked_ranges_with(text, date_spans(text))
}

/// [`masked_ranges`] given the date mentions' byte ranges, already found.
fn masked_ranges_with(text: &str, dates: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let mut ranges = dates;
    ranges.extend(URL_OR_EMAIL.find_iter(text).map(|m| (m.start(), m.end())));
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// Write `text` into `out` with every byte of `ranges` replaced by a space (same byte
/// length, so offsets stay valid).
fn apply_mask(text: &str, ranges: &[(usize, usize)], out: &mut String) {
    out.clear();
    let mut at = 0;
    for &(s, e) in ranges {
        out.push_str(&text[at..s]);
        out.extend(std::iter::repeat_n(' ', e - s));
        at = e;
    }
    out.push_str(&text[at..]);
}

/// `text` with dates, URLs and e-mail addresses masked (see [`masked_ranges`]).
#[cfg(test)]
fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    apply_mask(text, &masked_ranges(text), &mut out);
    out
}

/// Quoted terms and titles, nested ones included (inner first).
fn quoted(text: &str) -> Vec<String> {
    let pairs = [
        ('“', '”'),
        ('「', '」'),
        ('『', '』'),
        ('《', '》'),
        ('〈', '〉'),
        ('<', '>'),
        ('"', '"'),
    ];
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut out = Vec::new();
    for (i, c) in text.char_indices() {
        // A closer that matches an open quote on the stack (straight quotes close first).
        if let Some(k) = stack
            .iter()
            .rposition(|&(open, _)| pairs.iter().any(|&(o, cl)| o == open && cl == c))
        {
            let (open, start) = stack[k];
            stack.truncate(k);
            let inner = text[start + open.len_utf8()..i].trim();
            let n = inner.chars().count();
            if (2..=40).contains(&n) {
                out.push(inner.to_string());
            }
            continue;
        }
        if pairs.iter().any(|&(o, _)| o == c) && stack.len() < 16 {
            stack.push((c, i));
        }
    }
    out
}

/// Candidate terms of one claim with their base weights, in order of first appearance.
#[cfg(test)]
pub(crate) fn candidates(text: &str) -> Vec<(String, f64)> {
    let jieba = has_cjk(text).then(Jieba::new);
    candidates_of_masked(&mask(text), jieba.as_ref())
}

/// The candidates of each `(text, masked ranges)`.
fn terms_of(
    claims: &[(&str, &[(usize, usize)])],
    jieba: Option<&Jieba>,
) -> Vec<Vec<(String, f64)>> {
    let mut masked = String::new();
    claims
        .iter()
        .map(|&(text, ranges)| {
            apply_mask(text, ranges, &mut masked);
            candidates_of_masked(&masked, jieba)
        })
        .collect()
}

/// [`candidates`] of a text whose dates and URLs are already masked. Chinese text is
/// segmented with `jieba` (given whenever the text has CJK ideographs).
fn candidates_of_masked(masked: &str, jieba: Option<&Jieba>) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = Vec::new();
    let mut push = |term: &str, base: f64| {
        let term = term.trim();
        if term.is_empty() || is_stop(term) || term.chars().all(|c| c.is_ascii_digit()) {
            return;
        }
        match out.iter_mut().find(|(t, _)| t == term) {
            Some((_, b)) => *b = b.max(base),
            None => out.push((term.to_string(), base)),
        }
    };
    for q in quoted(masked) {
        push(&q, 1.0);
    }
    for m in number_units(masked) {
        let digits: String = m
            .as_str()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let yearish = digits.len() == 4
            && digits
                .parse::<u32>()
                .is_ok_and(|y| (1900..=2100).contains(&y));
        if !yearish {
            push(&m.as_str().replace(' ', ""), 0.7);
        }
    }
    if let Some(jieba) = jieba.filter(|_| has_cjk(masked)) {
        // Runs of spaces (the masks) become one: jieba makes a word of every space.
        let squeezed = squeeze_spaces(masked);
        for tag in jieba.tag(&squeezed, true) {
            let n = tag.word.chars().count();
            let base = match tag.tag {
                "nt" | "ns" | "nr" | "nz" | "nrt" | "nrfg" | "ORG" | "LOC" | "PER" if n >= 2 => 0.8,
                "eng" if n >= 2 => 0.6,
                "n" | "vn" | "nl" | "ng" if n >= 2 => 0.4,
                _ => continue,
            };
            push(tag.word, base);
        }
    } else {
        english_terms(masked, &mut push);
    }
    out
}

/// `text` with every run of whitespace as one space (jieba's words are the same: it
/// cuts at whitespace and makes a word of each whitespace character).
fn squeeze_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev_space = false;
    for c in text.chars() {
        let space = c.is_whitespace();
        if !(space && prev_space) {
            out.push(if space { ' ' } else { c });
        }
        prev_space = space;
    }
    out
}

/// Numbers with units in `text`: [`NUMBER_UNIT`] matches, an English unit only where a
/// word ends (as `\b` would: not followed by a letter, digit or `_`).
fn number_units(text: &str) -> impl Iterator<Item = regex::Match<'_>> {
    NUMBER_UNIT.find_iter(text).filter(|m| {
        let english = m.as_str().ends_with(|c: char| c.is_ascii_alphabetic());
        !english || !text[m.end()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
    })
}

/// Capitalised phrases (names) and content words of English text.
fn english_terms(text: &str, push: &mut impl FnMut(&str, f64)) {
    let words: Vec<(usize, usize)> = LATIN_WORD
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .collect();
    let sentence_start = |s: usize| {
        text[..s]
            .trim_end()
            .chars()
            .next_back()
            .is_none_or(|c| matches!(c, '.' | '!' | '?' | ':' | '\n'))
    };
    let mut i = 0;
    while i < words.len() {
        let (s, e) = words[i];
        let w = text[s..e].trim_end_matches(['\'', '’', '-']);
        let cap = w.starts_with(|c: char| c.is_ascii_uppercase());
        if cap {
            let mut j = i + 1;
            let mut end = e;
            while j < words.len() {
                let (s2, e2) = words[j];
                let gap = &text[end..s2];
                let w2 = &text[s2..e2];
                let joins = gap.chars().all(|c| c == ' ') && gap.len() <= 2;
                if joins && w2.starts_with(|c: char| c.is_ascii_uppercase()) {
                    end = e2;
                    j += 1;
                } else if joins
                    && matches!(w2, "of" | "for" | "and" | "de")
                    && words.get(j + 1).is_some_and(|&(s3, e3)| {
                        text[s3..e3].starts_with(|c: char| c.is_ascii_uppercase())
                    })
                {
                    j += 1;
                } else {
                    break;
                }
            }
            if j - i >= 2 {
                let phrase = strip_leading_stop(&text[s..end]);
                push(phrase, 0.8);
            } else if !sentence_start(s) || w.chars().filter(char::is_ascii_uppercase).count() > 1 {
                push(w, 0.7);
            } else if w.len() >= 4 {
                push(w, 0.4);
            }
            i = j.max(i + 1);
            continue;
        }
        if w.len() >= 4 {
            push(w, 0.4);
        }
        i += 1;
    }
}

/// Drop a leading sentence word like `On`/`The` from a capitalised phrase.
fn strip_leading_stop(phrase: &str) -> &str {
    match phrase.split_once(' ') {
        Some((first, rest)) if is_stop(first) => rest,
        _ => phrase,
    }
}

/// Most distinct terms for which substring document frequency is computed.
pub(crate) const MAX_DF_TERMS: usize = 500_000;

/// Most terms in one Aho-Corasick automaton: larger term sets are counted in several
/// passes, which bounds the automaton's memory (it is the largest structure here).
const DF_CHUNK: usize = 1 << 16;

/// A candidate of one claim: term id and base weight code.
type Entry = (u32, u8);
/// A masked byte range.
type Span = (usize, usize);

/// Claims whose candidates are found together, spread over the worker threads.
const BLOCK: usize = 4096;

/// The candidate terms of every claim of a run, interned.
///
/// Claims are added while documents are parsed ([`Candidates::push_claim_dated`]: only
/// their masked ranges are kept); their terms are found afterwards, in blocks spread
/// over the cores ([`Candidates::collect_terms`]). It owns the Chinese segmenter (its
/// dictionary takes some 30–45 MB): loaded for the first block with Chinese text, after
/// parsing (not alongside the parser's buffers), and freed by [`Candidates::done`], so
/// it does not stay for the rest of a run.
#[derive(Default)]
pub(crate) struct Candidates {
    jieba: Option<Jieba>,
    /// Term → id.
    ids: HashMap<Box<str>, u32>,
    /// `(term id, base weight code)` of every claim, claim after claim: 8 bytes each.
    entries: Vec<(u32, u8)>,
    /// The distinct base weights, by code.
    bases: Vec<f64>,
    /// End of each claim's entries.
    entry_ends: Vec<usize>,
    /// Masked byte ranges (dates, URLs, e-mail) of every claim, claim after claim.
    masks: Vec<(usize, usize)>,
    /// End of each claim's masked ranges.
    mask_ends: Vec<usize>,
}

impl Candidates {
    /// Add the next claim.
    #[cfg(test)]
    pub(crate) fn push_claim(&mut self, text: &str) {
        self.push_claim_dated(text, date_spans(text));
        self.collect_terms(std::iter::once(text));
    }

    /// Add the next claim, given the byte ranges of its date mentions (so the dates,
    /// found once for the claim's own date, are not searched for again).
    pub(crate) fn push_claim_dated(&mut self, text: &str, dates: Vec<(usize, usize)>) {
        self.masks.extend(masked_ranges_with(text, dates));
        self.mask_ends.push(self.masks.len());
    }

    /// Find the terms of the claims added since the last call; `texts` yields their
    /// texts, in order.
    pub(crate) fn collect_terms<'t>(&mut self, texts: impl Iterator<Item = &'t str>) {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let mut texts = texts;
        let mut block: Vec<&str> = Vec::with_capacity(BLOCK);
        loop {
            block.clear();
            block.extend(texts.by_ref().take(BLOCK));
            if block.is_empty() {
                return;
            }
            let first = self.entry_ends.len();
            // Masking only blanks: a claim with no CJK cannot have any once masked.
            if block.iter().any(|t| has_cjk(t)) && self.jieba.is_none() {
                self.jieba = Some(Jieba::new());
            }
            let jieba = self.jieba.as_ref();
            let work: Vec<(&str, &[(usize, usize)])> = block
                .iter()
                .enumerate()
                .map(|(k, &text)| (text, self.masks_of(first + k)))
                .collect();
            let per = work.len().div_ceil(threads).max(256);
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
                self.push_terms(terms);
            }
        }
    }

    /// The masked ranges of claim `i`.
    fn masks_of(&self, i: usize) -> &[(usize, usize)] {
        let start = i.checked_sub(1).map_or(0, |p| self.mask_ends[p]);
        self.mask_ends
            .get(i)
            .map_or(&[], |&end| &self.masks[start..end])
    }

    /// Add the next claim's candidate terms.
    fn push_terms(&mut self, terms: Vec<(String, f64)>) {
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
            // Base weights are a handful of constants (see the module docs).
            self.entries
                .push((id, u8::try_from(code).unwrap_or(u8::MAX)));
        }
        self.entry_ends.push(self.entries.len());
    }

    /// Free the segmenter: every claim has been added.
    pub(crate) fn done(&mut self) {
        self.jieba = None;
    }

    /// Number of claims.
    fn len(&self) -> usize {
        self.entry_ends.len()
    }

    /// Per claim: its entries and its masked ranges.
    fn claims(&self) -> impl Iterator<Item = (&[Entry], &[Span])> {
        let mut prev = 0;
        self.entry_ends.iter().enumerate().map(move |(i, &e)| {
            let out = (&self.entries[prev..e], self.masks_of(i));
            prev = e;
            out
        })
    }

    /// The terms, indexed by id.
    fn terms(&self) -> Vec<&str> {
        let mut terms = vec![""; self.ids.len()];
        for (t, &id) in &self.ids {
            terms[id as usize] = t;
        }
        terms
    }
}

/// Document frequency of every term (by id) over the claim texts, masked as for
/// candidates. `texts` must yield one text per claim of `cands`, in order.
fn document_frequency<'t>(
    cands: &Candidates,
    terms: &[&str],
    texts: impl Iterator<Item = &'t str> + Clone,
) -> Vec<usize> {
    let mut df = vec![0usize; terms.len()];
    if terms.len() > MAX_DF_TERMS || texts.clone().count() != cands.len() {
        // Fallback: count candidate sets (each claim's terms are distinct).
        for &(id, _) in &cands.entries {
            df[id as usize] += 1;
        }
        return df;
    }
    let mut last = vec![usize::MAX; DF_CHUNK.min(terms.len())];
    let mut masked = String::new();
    for (chunk_no, chunk) in terms.chunks(DF_CHUNK).enumerate() {
        let ac = aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(chunk);
        let Ok(ac) = ac else {
            for &(id, _) in &cands.entries {
                df[id as usize] += 1;
            }
            return df;
        };
        last.fill(usize::MAX);
        let counts = &mut df[chunk_no * DF_CHUNK..];
        for (i, (text, (_, ranges))) in texts.clone().zip(cands.claims()).enumerate() {
            apply_mask(text, ranges, &mut masked);
            for m in ac.find_overlapping_iter(masked.as_str()) {
                let p = m.pattern().as_usize();
                if last[p] != i {
                    last[p] = i;
                    counts[p] += 1;
                }
            }
        }
    }
    df
}

/// Weigh every claim's candidates by IDF over all the claims given; one keyword list
/// per claim, in order.
///
/// `texts` yields the claim text of each claim of `cands`: a term's document frequency
/// is the number of claims whose text (dates and URLs masked) *contains* it (so
/// `互联网+` counts in every claim that has `“互联网+医疗健康”`), found in one
/// Aho-Corasick pass per claim. On very large inputs (over [`MAX_DF_TERMS`] distinct
/// terms) it falls back to counting candidate sets.
pub(crate) fn weigh<'t>(
    cands: &Candidates,
    texts: impl Iterator<Item = &'t str> + Clone,
) -> impl Iterator<Item = Vec<Keyword>> {
    let terms = cands.terms();
    let df = document_frequency(cands, &terms, texts);
    #[allow(clippy::cast_precision_loss)]
    let n = cands.len().max(1) as f64;
    let idf_max = (1.0 + n).ln();
    let mut scored: Vec<(u32, f64)> = Vec::new();
    cands.claims().map(move |(entries, _)| {
        scored.clear();
        scored.extend(entries.iter().map(|&(id, code)| {
            let base = cands.bases.get(usize::from(code)).copied().unwrap_or(0.0);
            #[allow(clippy::cast_precision_loss)]
            let d = df[id as usize].max(1) as f64;
            let w = base * (1.0 + n / d).ln() / idf_max;
            (id, (w.clamp(0.0, 1.0) * 1000.0).round() / 1000.0)
        }));
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        scored
            .iter()
            .take(MAX_KEYWORDS)
            .map(|&(id, weight)| Keyword {
                term: terms[id as usize].to_string(),
                weight,
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        candidates(text).into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn quoted_and_titles_nested() {
        let t = terms(
            "4月12日，国务院发布《关于落实<政府工作报告>重点工作部门分工的意见》，推进“互联网+”。",
        );
        assert!(t.contains(&"政府工作报告".to_string()), "{t:?}");
        assert!(
            t.contains(&"关于落实<政府工作报告>重点工作部门分工的意见".to_string()),
            "{t:?}"
        );
        assert!(t.contains(&"互联网+".to_string()), "{t:?}");
        assert!(t.contains(&"国务院".to_string()), "{t:?}");
    }

    #[test]
    fn no_date_digits_numbers_with_units() {
        let t = terms("4月12日至13日，本次峰会吸引了4000余名嘉宾，投资3000万元，出台24条措施。");
        assert!(
            t.iter().all(|x| !x.contains("12") && !x.contains("13")),
            "{t:?}"
        );
        assert!(t.contains(&"4000余名".to_string()), "{t:?}");
        assert!(t.contains(&"3000万元".to_string()), "{t:?}");
        assert!(t.contains(&"24条".to_string()), "{t:?}");
    }

    #[test]
    fn english() {
        let t = terms(
            "On 3 April 2018, the World Health Organization said 15% of London clinics closed.",
        );
        assert!(
            t.contains(&"World Health Organization".to_string()),
            "{t:?}"
        );
        assert!(t.contains(&"London".to_string()), "{t:?}");
        assert!(t.contains(&"15%".to_string()), "{t:?}");
        let t = terms("Some 12 kms and 3 peoples, but 40 million visitors and 7 km.");
        assert!(
            !t.iter().any(|x| x.starts_with("12") || x.starts_with('3')),
            "{t:?}"
        );
        assert!(t.contains(&"40million".to_string()), "{t:?}");
        assert!(t.contains(&"7km".to_string()), "{t:?}");
        assert!(
            !t.iter().any(|x| x == "2018" || x == "April" || x == "On"),
            "{t:?}"
        );
    }

    fn weigh_terms(all: Vec<Vec<(String, f64)>>, texts: &[&str]) -> Vec<Vec<Keyword>> {
        let mut cands = Candidates::default();
        for terms in all {
            cands.push_claim_dated("", Vec::new());
            cands.push_terms(terms);
        }
        weigh(&cands, texts.iter().copied()).collect()
    }

    #[test]
    fn no_url_or_email_pieces() {
        let text = "On 12 April 2018, the “Quokka Harbour” bridge opened. http://127.0.0.1:1/news/bridge.html";
        let t = terms(text);
        assert!(t.contains(&"Quokka Harbour".to_string()), "{t:?}");
        for bad in ["http", "news", "html", "bridge.html", "127"] {
            assert!(!t.iter().any(|x| x.contains(bad)), "{bad} in {t:?}");
        }
        let t = terms(
            "4月12日，某局发布通知（见www.example.gov.cn/tzgg/notice.htm，联系press@example.org）。",
        );
        assert!(
            !t.iter()
                .any(|x| x.contains("example") || x.contains("press") || x.contains("htm")),
            "{t:?}"
        );
        let t = terms(
            "Contact mailto:office@quokka.example or see https://quokka.example/about for the Quokka Harbour Trust.",
        );
        assert!(t.contains(&"Quokka Harbour Trust".to_string()), "{t:?}");
        assert!(
            !t.iter()
                .any(|x| x.contains("mailto") || x.contains("quokka.") || x.contains("about")),
            "{t:?}"
        );
        // The masked claim text is not changed: the URL stays in `text`.
        let mut c = Candidates::default();
        c.push_claim(text);
        let kws: Vec<Keyword> = weigh(&c, std::iter::once(text)).flatten().collect();
        assert!(kws.iter().all(|k| !k.term.contains("http")), "{kws:?}");
    }

    #[test]
    fn idf_lowers_common_terms() {
        let all = vec![
            vec![("互联网+".to_string(), 1.0), ("医疗".to_string(), 1.0)],
            vec![("互联网+".to_string(), 1.0), ("教育".to_string(), 1.0)],
            vec![("互联网+".to_string(), 1.0)],
        ];
        let texts = ["“互联网+医疗”", "“互联网+教育”", "“互联网+”"];
        let w = weigh_terms(all, &texts);
        assert_eq!(w[0][0].term, "医疗");
        assert!(w[0][1].weight < w[0][0].weight);
        assert!(w.iter().flatten().all(|k| (0.0..=1.0).contains(&k.weight)));
        let single = weigh_terms(vec![vec![("x".to_string(), 1.0)]], &["x"]);
        assert!((single[0][0].weight - 1.0).abs() < 1e-9);
    }
}
