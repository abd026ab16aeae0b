//! Claims stated without a source, and which citation (if any) supports the same event.
//!
//! An uncited claim is a paragraph, list item or table item that starts with a date
//! (a dated event) and carries no link. It is "supported by" a citation when both have
//! the same date and the texts overlap strongly: the share of the shorter text's
//! character bigrams (dates masked, punctuation ignored) found in the other is at
//! least [`MIN_OVERLAP`]. Only the uncited claim's first sentence is compared, since
//! it names the event.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::block::sentence_around;
use super::claims::date_spans;

/// Minimum bigram overlap coefficient for two claims to state the same event.
pub(crate) const MIN_OVERLAP: f64 = 0.6;

/// At most this many same-day citations are compared with one uncited claim.
const MAX_CANDIDATES: usize = 256;

/// Character bigrams of `text` with dates removed, over letters, digits and CJK only.
fn bigrams(text: &str) -> Vec<u64> {
    let mut keep = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e) in date_spans(text) {
        keep.push_str(&text[at..s]);
        at = e;
    }
    keep.push_str(&text[at..]);
    let chars: Vec<char> = keep
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '+')
        .collect();
    let mut grams: Vec<u64> = chars
        .windows(2)
        .map(|w| (u64::from(w[0]) << 32) | u64::from(w[1]))
        .collect();
    grams.sort_unstable();
    grams.dedup();
    grams
}

/// Overlap coefficient of two sorted bigram sets (linear merge).
fn overlap(a: &[u64], b: &[u64]) -> f64 {
    let small = a.len().min(b.len());
    if small == 0 {
        return 0.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let shared = shared as f64;
    #[allow(clippy::cast_precision_loss)]
    let small = small as f64;
    shared / small
}

/// For each uncited claim `(text, date)`, the index of the citation `(text, date)` that
/// supports it, if any.
pub(crate) fn match_support(
    uncited: &[(&str, Option<NaiveDate>)],
    cited: &[(&str, Option<NaiveDate>)],
) -> Vec<Option<usize>> {
    let mut by_date: HashMap<NaiveDate, Vec<usize>> = HashMap::new();
    for (i, (_, d)) in cited.iter().enumerate() {
        if let Some(d) = d {
            by_date.entry(*d).or_default().push(i);
        }
    }
    let mut cache: HashMap<usize, Vec<u64>> = HashMap::new();
    uncited
        .iter()
        .map(|(text, date)| {
            let date = (*date)?;
            let candidates = by_date.get(&date)?;
            let first = &text[sentence_around(text, 0)];
            let mine = bigrams(first);
            let mut best: Option<(f64, usize)> = None;
            // Bound the work on pathological inputs (thousands of claims on one day).
            for &i in candidates.iter().take(MAX_CANDIDATES) {
                let theirs = cache.entry(i).or_insert_with(|| bigrams(cited[i].0));
                let score = overlap(&mine, theirs);
                if score >= MIN_OVERLAP && best.is_none_or(|(b, _)| score > b) {
                    best = Some((score, i));
                }
            }
            best.map(|(_, i)| i)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(2018, m, day)
    }

    #[test]
    fn same_event_same_date() {
        let cited = [
            (
                "4月10日，湖北省食药监局、湖北省通信管理局与“饿了么”“美团点评”“百度外卖”三大网络订餐平台签署备忘录。",
                d(4, 10),
            ),
            ("4月10日，江西省工业互联网产业联盟大会召开。", d(4, 10)),
            (
                "3月26日，安徽省首个“互联网+诉讼服务”平台落户蚌埠。",
                d(3, 26),
            ),
        ];
        let uncited = [
            (
                "4月10日，湖北省食药监管局、湖北省通信管理局与“饿了么”“美团点评”“百度外卖”三大网络订餐平台签署备忘录，共同开展行动。",
                d(4, 10),
            ),
            (
                "3月26日，晋城大医院和腾讯公司共同组织的“互联网+生态医院签约暨AI人工智能观影系统上线仪式”举行。",
                d(3, 26),
            ),
            ("4月10日，湖北省食药监管局签署备忘录。", d(4, 11)),
            ("no date", None),
        ];
        assert_eq!(
            match_support(&uncited, &cited),
            vec![Some(0), None, None, None]
        );
    }
}
