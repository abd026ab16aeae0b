//! Weighting: each claim's candidates weighed by how rare they are in the run.
//!
//! The final weight is `base × idf / idf_max` with `idf = ln(1 + N/df)` over all claims
//! of the run: a term found in nearly every claim (`互联网+` in the seed) weighs little.
//! A term's document frequency is the number of claims whose text (dates and URLs
//! masked) *contains* it (so `互联网+` counts in every claim that has
//! `“互联网+医疗健康”`), found in one Aho-Corasick pass per claim. On very large inputs
//! (over [`MAX_DF_TERMS`] distinct terms) it falls back to counting candidate sets. The
//! [`MAX_KEYWORDS`] heaviest terms of a claim are kept.

use crate::model::Keyword;

use super::store::Candidates;
use super::terms::apply_mask;

/// At most this many keywords per claim.
const MAX_KEYWORDS: usize = 8;

/// Most distinct terms for which substring document frequency is computed.
const MAX_DF_TERMS: usize = 500_000;

/// Most terms in one Aho-Corasick automaton: larger term sets are counted in several
/// passes, which bounds the automaton's memory (it is the largest structure here).
const DF_CHUNK: usize = 1 << 16;

/// Document frequency of every term (by id), counting candidate sets (each claim's
/// terms are distinct).
fn candidate_frequency(cands: &Candidates, n_terms: usize) -> Vec<usize> {
    let mut df = vec![0usize; n_terms];
    for &id in cands.term_ids() {
        df[id as usize] += 1;
    }
    df
}

/// Document frequency of every term (by id) over the claim texts, masked as for
/// candidates; `texts[i]` is the text of claim `i`.
fn document_frequency(cands: &Candidates, terms: &[&str], texts: &[&str]) -> Vec<usize> {
    if terms.len() > MAX_DF_TERMS {
        return candidate_frequency(cands, terms.len());
    }
    let mut df = vec![0usize; terms.len()];
    let mut last = vec![usize::MAX; DF_CHUNK.min(terms.len())];
    let mut masked = String::new();
    for (chunk_no, chunk) in terms.chunks(DF_CHUNK).enumerate() {
        let ac = aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(chunk);
        let Ok(ac) = ac else {
            return candidate_frequency(cands, terms.len());
        };
        last.fill(usize::MAX);
        let counts = &mut df[chunk_no * DF_CHUNK..];
        for (i, (_, ranges)) in cands.claims().enumerate() {
            apply_mask(texts[i], ranges, &mut masked);
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

/// Weigh every claim's candidates by IDF over all the claims; keyword list `i` is
/// claim `i`'s, and `texts[i]` is its text.
///
/// # Panics
/// When `texts` does not hold one text per claim of `cands` (a bug in the caller).
pub(crate) fn weigh(cands: &Candidates, texts: &[&str]) -> Vec<Vec<Keyword>> {
    assert_eq!(texts.len(), cands.len(), "one claim text per claim");
    let terms = cands.terms();
    let df = document_frequency(cands, &terms, texts);
    #[allow(clippy::cast_precision_loss)]
    let n = cands.len().max(1) as f64;
    let idf_max = (1.0 + n).ln();
    let mut scored: Vec<(u32, f64)> = Vec::new();
    // Each distinct term is allocated once, when a claim first keeps it.
    let mut shared: Vec<Option<std::sync::Arc<str>>> = vec![None; terms.len()];
    cands
        .claims()
        .map(|(candidates, _)| {
            scored.clear();
            scored.extend(candidates.map(|(id, code)| {
                #[allow(clippy::cast_precision_loss)]
                let d = df[id as usize].max(1) as f64;
                let w = cands.base(code) * (1.0 + n / d).ln() / idf_max;
                (id, (w.clamp(0.0, 1.0) * 1000.0).round() / 1000.0)
            }));
            scored.sort_by(|a, b| b.1.total_cmp(&a.1));
            scored
                .iter()
                .take(MAX_KEYWORDS)
                .map(|&(id, weight)| Keyword {
                    term: std::sync::Arc::clone(
                        shared[id as usize].get_or_insert_with(|| terms[id as usize].into()),
                    ),
                    weight,
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weigh_terms(all: Vec<Vec<(String, f64)>>, texts: &[&str]) -> Vec<Vec<Keyword>> {
        let mut cands = Candidates::default();
        for terms in all {
            cands.push_terms(terms);
        }
        weigh(&cands, texts)
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
        assert_eq!(&*w[0][0].term, "医疗");
        assert!(w[0][1].weight < w[0][0].weight);
        assert!(w.iter().flatten().all(|k| (0.0..=1.0).contains(&k.weight)));
        let single = weigh_terms(vec![vec![("x".to_string(), 1.0)]], &["x"]);
        assert!((single[0][0].weight - 1.0).abs() < 1e-9);
    }
}
