//! Tests of the whole extraction of one document.

use super::*;
use proptest::prelude::*;

fn md(text: &str) -> Document {
    extract_str(Path::new("r.md"), text)
}

#[test]
fn code_blocks_are_not_citations() {
    let d =
        md("Text https://a.com/x.\n\n```\nhttps://code.com/\n```\n\n    https://indented.com/\n");
    let urls: Vec<&str> = d.citations.iter().map(|c| c.url.as_str()).collect();
    assert_eq!(urls, vec!["https://a.com/x"]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn never_panics(s in "\\PC*") {
        for ext in ["r.md", "r.html", "r.txt"] {
            let _ = extract_str(Path::new(ext), &s);
        }
    }

    #[test]
    fn never_panics_on_report_like_text(s in "[\\t \\n<>/a\"=#&;:.ahref pli月日0-9http：。，“”《》\\-]{0,200}") {
        for ext in ["r.md", "r.html", "r.txt"] {
            let _ = extract_str(Path::new(ext), &s);
        }
    }
}
