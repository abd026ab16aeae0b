//! Typo suggestions: a cited URL that is near-identical to another cited URL.
//!
//! URLs are never rewritten. Two URLs are compared when they share everything up to
//! the last `/` (URLs are bucketed by that prefix, so the work is linear in the number
//! of URLs, bounded per bucket); their last segments must be 1–2 edits apart, and not
//! only in digits: with every run of digits read as one number, the segments must
//! differ (`content_5282000` vs `content_5281920`, `n/5` vs `n/15` are distinct pages,
//! not typos). When exactly one of the two ends in a known web extension (`.html` vs
//! `.htm1`), only the other gets the suggestion; otherwise both do.

use std::collections::HashMap;

use crate::model::{SourceSpan, Suggestion};

/// At most this many URLs are compared pairwise within one directory (bounds the work).
const MAX_GROUP: usize = 256;

/// Longest last path segment compared (bytes).
const MAX_SEGMENT: usize = 256;

const KNOWN_EXT: &[&str] = &[
    "html", "htm", "shtml", "xhtml", "php", "asp", "aspx", "jsp", "pdf", "xml", "json", "txt",
    "doc", "docx", "cgi", "do", "action", "xls", "xlsx", "ppt", "pptx", "md",
];

fn ext(segment: &str) -> Option<&str> {
    let seg = segment.split(['?', '#']).next().unwrap_or(segment);
    seg.rsplit_once('.').map(|(_, e)| e)
}

fn known_ext(segment: &str) -> bool {
    ext(segment).is_some_and(|e| KNOWN_EXT.contains(&e.to_ascii_lowercase().as_str()))
}

/// Whether `a` and `b` are equal once every run of ASCII digits is read as one `0`
/// (so they differ only in their numbers). Allocation-free.
fn same_but_numbers(a: &str, b: &str) -> bool {
    skeleton(a).eq(skeleton(b))
}

/// The chars of `s` with every run of ASCII digits as one `0`.
fn skeleton(s: &str) -> impl Iterator<Item = char> + '_ {
    let mut prev_digit = false;
    s.chars().filter_map(move |c| {
        let digit = c.is_ascii_digit();
        let out = match (digit, prev_digit) {
            (true, true) => None,
            (true, false) => Some('0'),
            _ => Some(c),
        };
        prev_digit = digit;
        out
    })
}

/// Whether `a` could be a typo of `b` (or the other way round).
fn near(a: &str, b: &str) -> bool {
    // Edit distance is quadratic: compare only segments of ordinary length.
    if a.len() > MAX_SEGMENT || b.len() > MAX_SEGMENT || a.len().abs_diff(b.len()) > 2 {
        return false;
    }
    // The cheap test first: most pairs in a bucket differ only in their numbers.
    if same_but_numbers(a, b) {
        return false;
    }
    (1..=2).contains(&strsim::levenshtein(a, b))
}

/// For each URL (by index), the suggestions it gets. `urls` holds (url, where cited).
pub(crate) fn suggestions(urls: &[(&str, &SourceSpan)]) -> Vec<Vec<Suggestion>> {
    let mut out = vec![Vec::new(); urls.len()];
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (u, _)) in urls.iter().enumerate() {
        if let Some((dir, _)) = u.rsplit_once('/') {
            let g = groups.entry(dir).or_default();
            if g.len() < MAX_GROUP {
                g.push(i);
            }
        }
    }
    let mut keys: Vec<&&str> = groups.keys().collect();
    keys.sort();
    for key in keys {
        let g = &groups[*key];
        for (x, &i) in g.iter().enumerate() {
            for &j in &g[x + 1..] {
                let (ua, ub) = (urls[i].0, urls[j].0);
                let (la, lb) = (last_segment(ua), last_segment(ub));
                if ua == ub || !near(la, lb) {
                    continue;
                }
                let (ka, kb) = (known_ext(la), known_ext(lb));
                if !ka || kb {
                    out[i].push(suggestion(&urls[j], ka, kb));
                }
                if !kb || ka {
                    out[j].push(suggestion(&urls[i], kb, ka));
                }
            }
        }
    }
    out
}

fn last_segment(u: &str) -> &str {
    u.rsplit_once('/').map_or(u, |(_, s)| s)
}

fn suggestion(
    &(url, source): &(&str, &SourceSpan),
    own_known: bool,
    other_known: bool,
) -> Suggestion {
    let reason = if !own_known && other_known {
        "near-identical URL with a valid file extension cited elsewhere; this one may be a typo"
            .to_string()
    } else {
        "near-identical URL cited elsewhere; one of them may be a typo".to_string()
    };
    Suggestion {
        url: url.to_string(),
        source: source.clone(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(line: usize) -> SourceSpan {
        SourceSpan {
            page: None,
            path: std::path::Path::new("r.md").into(),
            line,
        }
    }

    #[test]
    fn extension_typo() {
        let spans: Vec<SourceSpan> = [35, 61, 1, 2, 3, 4, 5, 6, 7].map(span).to_vec();
        let urls = [
            "http://a.cn/c6122298/content.htm1",
            "http://a.cn/c6122298/content.html",
            "http://a.cn/2018-04/12/content_5282000.htm",
            "http://a.cn/2018-04/12/content_5281920.htm",
            "http://a.cn/x/page1.htm",
            "http://a.cn/x/page2.htm",
            "http://h5.test/n/5",
            "http://h5.test/n/15",
            "http://h5.test/n/105",
        ];
        let urls: Vec<(&str, &SourceSpan)> = urls.iter().copied().zip(&spans).collect();
        let s = suggestions(&urls);
        assert_eq!(s[0].len(), 1);
        assert_eq!(s[0][0].url, "http://a.cn/c6122298/content.html");
        assert_eq!(s[0][0].source.line, 61);
        assert!(s[1].is_empty());
        assert!(s[2..].iter().all(Vec::is_empty), "{s:?}");
    }

    #[test]
    fn letter_typos_still_found() {
        assert!(near("content_5282000.htm", "content_528200O.htm"));
        assert!(near("report.html", "reprot.html"));
        assert!(!near("n5", "n15"));
        assert!(!near("a1b22", "a333b4"));
    }
}
