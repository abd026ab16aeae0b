//! Floors of page-reading accuracy on the committed Chinese page set
//! (`tests/fixtures/zh-pages/`, made by `generate.py` there with its truth): page dates and
//! main text of pages in the styles of gov.cn, people.cn, xinhuanet, provincial and
//! department portals. A regression in date ranking or body extraction fails here.
//! `python3 benches/eval/compare.py zh-text zh-dates` gives the figures side by side with
//! trafilatura and htmldate.

use std::collections::HashMap;
use std::path::Path;

use citecheck::verify::read_page;

/// Character 4-gram counts of the CJK and alphanumeric characters of a text.
fn shingles(text: &str) -> HashMap<String, f64> {
    let chars: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).collect();
    let mut out = HashMap::new();
    for w in chars.windows(4) {
        *out.entry(w.iter().collect()).or_insert(0.0) += 1.0;
    }
    out
}

/// (precision, recall) of `got` against `want` over shingle counts.
fn precision_recall(want: &str, got: &str) -> (f64, f64) {
    let (a, b) = (shingles(want), shingles(got));
    let tp: f64 = a
        .iter()
        .map(|(k, n)| n.min(*b.get(k).unwrap_or(&0.0)))
        .sum();
    let (sa, sb): (f64, f64) = (a.values().sum(), b.values().sum());
    (
        if sb > 0.0 { tp / sb } else { 0.0 },
        if sa > 0.0 { tp / sa } else { 0.0 },
    )
}

#[test]
fn chinese_pages_read_well() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/zh-pages");
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("truth.json")).expect("truth.json"))
            .expect("truth.json is JSON");
    let truth = truth.as_object().expect("an object of pages");
    assert!(truth.len() >= 40, "the set has at least 40 pages");
    let (mut dates_right, mut precision, mut recall) = (0usize, 0.0, 0.0);
    for (name, t) in truth {
        let body = std::fs::read(dir.join(name)).expect("page present");
        let page = read_page(t["url"].as_str().expect("url"), Some("text/html"), &body);
        let got = page.page_date.map(|d| d.to_string());
        if got.as_deref() == t["date"].as_str() {
            dates_right += 1;
        } else {
            eprintln!("{name}: date {got:?}, want {}", t["date"]);
        }
        let (p, r) = precision_recall(t["body"].as_str().expect("body"), &page.main_text);
        if p < 0.8 || r < 0.8 {
            eprintln!("{name}: main text precision {p:.2} recall {r:.2}");
        }
        precision += p;
        recall += r;
    }
    #[allow(clippy::cast_precision_loss)]
    let n = truth.len() as f64;
    #[allow(clippy::cast_precision_loss)]
    let date_accuracy = dates_right as f64 / n;
    let (p, r) = (precision / n, recall / n);
    let f1 = 2.0 * p * r / (p + r);
    eprintln!("dates {date_accuracy:.3}; main text F1 {f1:.3} (precision {p:.3}, recall {r:.3})");
    assert!(
        date_accuracy >= 0.9,
        "date accuracy {date_accuracy:.3} < 0.90"
    );
    assert!(f1 >= 0.9, "main text F1 {f1:.3} < 0.90");
}
