//! Measurement, not a regression test: date and main-text accuracy of `read_page` on a
//! directory of saved real pages that is not part of the repository.
//!
//! The directory holds the pages and an `expect.json`:
//! `{ "file.html": { "url": "...", "date": "YYYY-MM-DD" | null, "must": [...], "must_not": [...] } }`.
//! Run: `CITECHECK_PAGES=/path/to/dir cargo test --test measure_pages -- --ignored --nocapture`
//! (add `CITECHECK_NO_URL=1` to leave the URL out).

use citecheck::verify::read_page;

#[test]
#[ignore = "needs CITECHECK_PAGES, a directory of saved pages outside the repository"]
fn measure_saved_pages() {
    let Ok(dir) = std::env::var("CITECHECK_PAGES") else {
        eprintln!("CITECHECK_PAGES not set");
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let expect: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("expect.json")).expect("expect.json"))
            .expect("valid JSON");
    let (mut dated, mut date_ok, mut must_all, mut must_ok, mut not_all, mut not_ok) =
        (0, 0, 0, 0, 0, 0);
    let mut by_source = std::collections::BTreeMap::new();
    let mut entries: Vec<_> = expect.as_object().expect("object").iter().collect();
    entries.sort_by_key(|(name, _)| name.as_str());
    for (name, exp) in entries {
        let body = std::fs::read(dir.join(name)).expect("page file");
        // CITECHECK_NO_URL=1 hides the URL, to measure what the page itself gives.
        let url = if std::env::var_os("CITECHECK_NO_URL").is_some() {
            ""
        } else {
            exp["url"].as_str().unwrap_or("")
        };
        let page = read_page(url, Some("text/html"), &body);
        let got = page.page_date.map(|d| d.to_string());
        let want = exp.get("date").and_then(|d| d.as_str()).map(str::to_owned);
        let mut verdict = String::new();
        if want.is_some() {
            dated += 1;
            if got == want {
                date_ok += 1;
                *by_source
                    .entry(format!("{:?}", page.page_date_source))
                    .or_insert(0) += 1;
            } else {
                verdict = format!(
                    " DATE WRONG: got {got:?} want {want:?} candidates {:?}",
                    page.date_candidates
                );
            }
        }
        let strings = |key: &str| -> Vec<String> {
            exp.get(key)
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let must = strings("must");
        let not = strings("must_not");
        let missing: Vec<&String> = must
            .iter()
            .filter(|m| !page.main_text.contains(m.as_str()))
            .collect();
        let leaked: Vec<&String> = not
            .iter()
            .filter(|m| page.main_text.contains(m.as_str()))
            .collect();
        must_all += must.len();
        must_ok += must.len() - missing.len();
        not_all += not.len();
        not_ok += not.len() - leaked.len();
        println!(
            "{name}: date {got:?} ({:?}){verdict}; missing {missing:?}; leaked {leaked:?}",
            page.page_date_source
        );
    }
    println!("dates right: {date_ok}/{dated}  by source: {by_source:?}");
    println!(
        "main text: article phrases kept {must_ok}/{must_all}, chrome phrases excluded {not_ok}/{not_all}"
    );
}
