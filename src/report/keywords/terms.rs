//! Term extraction: the candidate keywords of one claim, each with a base weight.
//!
//! Rules: quoted terms and titles (`“…”`, `「…」`, `《…》`, nested ones too) 1.0; names
//! of organisations, places and people (jieba's `nt`/`ns`/`nr`/`nz` tags, capitalised
//! English phrases) 0.8; numbers with units 0.7; Latin-script terms in Chinese text 0.6;
//! other nouns 0.4. Date mentions, URLs and e-mail addresses are masked before anything
//! else ([`masked_ranges_with`], [`apply_mask`]), so date digits and URL pieces (`http`,
//! `html`, host names) never become keywords.

use std::sync::LazyLock;

use super::segmenter::{Class, Segmenter};
use regex::Regex;

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

/// Whether `s` holds CJK ideographs (and so needs the segmenter).
pub(super) fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Byte ranges of `text` that never yield keywords: the date mentions' ranges `dates`
/// (already found, for the claim's own date), URLs and e-mail addresses; sorted,
/// merged, on char boundaries.
pub(super) fn masked_ranges_with(text: &str, dates: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
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
pub(super) fn apply_mask(text: &str, ranges: &[(usize, usize)], out: &mut String) {
    out.clear();
    let mut at = 0;
    for &(s, e) in ranges {
        out.push_str(&text[at..s]);
        out.extend(std::iter::repeat_n(' ', e - s));
        at = e;
    }
    out.push_str(&text[at..]);
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

/// The candidates of each `(text, masked ranges)`.
pub(super) fn terms_of(
    claims: &[(&str, &[(usize, usize)])],
    jieba: Option<&Segmenter>,
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

/// Candidate terms of one claim with their base weights, in order of first appearance,
/// from a text whose dates and URLs are already masked. Chinese text is
/// segmented with `jieba` (given whenever the text has CJK ideographs).
pub(super) fn candidates_of_masked(masked: &str, jieba: Option<&Segmenter>) -> Vec<(String, f64)> {
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
        for (word, class) in jieba.tag(&squeezed) {
            let base = match class {
                _ if word.chars().nth(1).is_none() => continue,
                Class::Name => 0.8,
                Class::Latin => 0.6,
                Class::Noun => 0.4,
                Class::Other => continue,
            };
            push(word, base);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::claims::date_spans;

    /// The segmenter, loaded once for all the tests.
    fn segmenter() -> &'static Segmenter {
        static LOADED: std::sync::OnceLock<Segmenter> = std::sync::OnceLock::new();
        LOADED.get_or_init(Segmenter::load)
    }

    /// Candidate terms of one claim, as the store finds them.
    fn candidates(text: &str) -> Vec<(String, f64)> {
        let mut masked = String::new();
        apply_mask(
            text,
            &masked_ranges_with(text, date_spans(text)),
            &mut masked,
        );
        candidates_of_masked(&masked, has_cjk(text).then(segmenter))
    }

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
    }
}
