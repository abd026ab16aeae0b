//! Typo suggestions: a cited URL that is near-identical to another cited URL.
//!
//! URLs are never rewritten. Two URLs are compared when they share everything up to
//! the last `/`; their last segments must be 1–2 edits apart, and not only in digits
//! (`content_5282000` vs `content_5281920` are two pages, not a typo). When exactly one
//! of the two ends in a known web extension (`.html` vs `.htm1`), only the other gets
//! the suggestion; otherwise both do.

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

fn digit_skeleton(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_digit() { '0' } else { c })
        .collect()
}

/// Whether `a` could be a typo of `b` (or the other way round).
fn near(a: &str, b: &str) -> bool {
    // Edit distance is quadratic: compare only segments of ordinary length.
    if a.len() > MAX_SEGMENT || b.len() > MAX_SEGMENT || a.len().abs_diff(b.len()) > 2 {
        return false;
    }
    let d = strsim::levenshtein(a, b);
    (1..=2).contains(&d) && digit_skeleton(a) != digit_skeleton(b)
}

/// For each URL (by index), the suggestions it gets. `urls` holds (url, where cited).
pub(crate) fn suggestions(urls: &[(String, SourceSpan)]) -> Vec<Vec<Suggestion>> {
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
                let (ua, ub) = (&urls[i].0, &urls[j].0);
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
    (url, source): &(String, SourceSpan),
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
        url: url.clone(),
        source: source.clone(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn span(line: usize) -> SourceSpan {
        SourceSpan {
            path: PathBuf::from("r.md"),
            line,
        }
    }

    #[test]
    fn extension_typo() {
        let urls = vec![
            ("http://a.cn/c6122298/content.htm1".to_string(), span(35)),
            ("http://a.cn/c6122298/content.html".to_string(), span(61)),
            (
                "http://a.cn/2018-04/12/content_5282000.htm".to_string(),
                span(1),
            ),
            (
                "http://a.cn/2018-04/12/content_5281920.htm".to_string(),
                span(2),
            ),
            ("http://a.cn/x/page1.htm".to_string(), span(3)),
            ("http://a.cn/x/page2.htm".to_string(), span(4)),
        ];
        let s = suggestions(&urls);
        assert_eq!(s[0].len(), 1);
        assert_eq!(s[0][0].url, "http://a.cn/c6122298/content.html");
        assert_eq!(s[0][0].source.line, 61);
        assert!(s[1].is_empty());
        assert!(s[2..].iter().all(Vec::is_empty));
    }
}
