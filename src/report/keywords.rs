//! Keywords a supporting page must contain, weighted.
//!
//! Candidates, with a base weight by kind: quoted terms and titles (`“…”`, `「…」`,
//! `《…》`, nested ones too) 1.0; names of organisations, places and people (jieba's
//! `nt`/`ns`/`nr`/`nz` tags, capitalised English phrases) 0.8; numbers with units 0.7;
//! Latin-script terms in Chinese text 0.6; other nouns 0.4. Date mentions are removed
//! before anything else, so date digits never become keywords.
//!
//! The final weight is `base × idf / idf_max` with `idf = ln(1 + N/df)` over all claims
//! of the run: a term found in nearly every claim (`互联网+` in the seed) weighs little.

use std::collections::HashMap;
use std::sync::LazyLock;

use jieba_rs::Jieba;
use regex::Regex;

use super::claims::date_spans;
use crate::model::Keyword;

/// At most this many keywords per claim.
pub(crate) const MAX_KEYWORDS: usize = 8;

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

static NUMBER_UNIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\d+(?:[.,]\d+)?\s*(?:余|多)?\s*(?:%|％|万元|亿元|万人|万|亿|元|个|家|项|名|条|所|座|台|人|次|倍|公里|千米|平方米|吨|percent\b|million\b|billion\b|thousand\b|people\b|km\b)")
        .expect("valid number-with-unit regex")
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

/// Replace every date mention by spaces (same byte length, so offsets stay valid).
fn mask_dates(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e) in date_spans(text) {
        out.push_str(&text[at..s]);
        out.extend(std::iter::repeat_n(' ', e - s));
        at = e;
    }
    out.push_str(&text[at..]);
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
pub(crate) fn candidates(text: &str) -> Vec<(String, f64)> {
    let masked = mask_dates(text);
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
    for q in quoted(&masked) {
        push(&q, 1.0);
    }
    for m in NUMBER_UNIT.find_iter(&masked) {
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
    if has_cjk(&masked) {
        for tag in JIEBA.tag(&masked, true) {
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
        english_terms(&masked, &mut push);
    }
    out
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

/// Document frequency of every candidate term over the claim texts.
fn document_frequency<'a>(
    all: &'a [Vec<(String, f64)>],
    texts: &[&str],
) -> HashMap<&'a str, usize> {
    let mut df: HashMap<&str, usize> = HashMap::new();
    for cands in all {
        for (t, _) in cands {
            df.entry(t.as_str()).or_insert(0);
        }
    }
    let terms: Vec<&str> = df.keys().copied().collect();
    let ac = (texts.len() == all.len() && terms.len() <= MAX_DF_TERMS)
        .then(|| aho_corasick::AhoCorasick::new(&terms).ok())
        .flatten();
    match ac {
        Some(ac) => {
            let mut counts = vec![0usize; terms.len()];
            let mut last = vec![usize::MAX; terms.len()];
            for (i, text) in texts.iter().enumerate() {
                for m in ac.find_overlapping_iter(*text) {
                    let p = m.pattern().as_usize();
                    if last[p] != i {
                        last[p] = i;
                        counts[p] += 1;
                    }
                }
            }
            for (t, c) in terms.iter().zip(counts) {
                df.insert(t, c.max(1));
            }
        }
        None => {
            for cands in all {
                for (t, _) in cands {
                    *df.entry(t.as_str()).or_default() += 1;
                }
            }
        }
    }
    df
}

/// Weigh every claim's candidates by IDF over all the claims given.
///
/// `texts[i]` is the claim text of `all[i]`: a term's document frequency is the number
/// of claims whose text *contains* it (so `互联网+` counts in every claim that has
/// `“互联网+医疗健康”`), found in one Aho-Corasick pass per claim. On very large inputs
/// (over [`MAX_DF_TERMS`] distinct terms) it falls back to counting candidate sets.
pub(crate) fn weigh(all: &[Vec<(String, f64)>], texts: &[&str]) -> Vec<Vec<Keyword>> {
    let df = document_frequency(all, texts);
    #[allow(clippy::cast_precision_loss)]
    let n = all.len().max(1) as f64;
    let idf_max = (1.0 + n).ln();
    all.iter()
        .map(|cands| {
            let mut kws: Vec<Keyword> = cands
                .iter()
                .map(|(t, base)| {
                    #[allow(clippy::cast_precision_loss)]
                    let d = df.get(t.as_str()).copied().unwrap_or(1).max(1) as f64;
                    let w = base * (1.0 + n / d).ln() / idf_max;
                    Keyword {
                        term: t.clone(),
                        weight: (w.clamp(0.0, 1.0) * 1000.0).round() / 1000.0,
                    }
                })
                .collect();
            kws.sort_by(|a, b| b.weight.total_cmp(&a.weight));
            kws.truncate(MAX_KEYWORDS);
            kws
        })
        .collect()
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
        assert!(
            !t.iter().any(|x| x == "2018" || x == "April" || x == "On"),
            "{t:?}"
        );
    }

    #[test]
    fn idf_lowers_common_terms() {
        let all = vec![
            vec![("互联网+".to_string(), 1.0), ("医疗".to_string(), 1.0)],
            vec![("互联网+".to_string(), 1.0), ("教育".to_string(), 1.0)],
            vec![("互联网+".to_string(), 1.0)],
        ];
        let texts = ["“互联网+医疗”", "“互联网+教育”", "“互联网+”"];
        let w = weigh(&all, &texts);
        assert_eq!(w[0][0].term, "医疗");
        assert!(w[0][1].weight < w[0][0].weight);
        assert!(w.iter().flatten().all(|k| (0.0..=1.0).contains(&k.weight)));
        let single = weigh(&[vec![("x".to_string(), 1.0)]], &["x"]);
        assert!((single[0][0].weight - 1.0).abs() < 1e-9);
    }
}
