//! Extraction on small fixtures: English Markdown (inline, reference, footnote, table
//! citations, date forms), an HTML report, directory walking, encodings and errors.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use citecheck::report::{ExtractOptions, extract_paths, extract_str};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reports")
        .join(name)
}

fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, day)
}

#[test]
fn english_markdown() {
    let path = fixture("english.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = extract_str(&path, &text);
    let got: Vec<(usize, &str, &str, Option<NaiveDate>)> = doc
        .citations
        .iter()
        .map(|c| {
            (
                c.source.line,
                c.url.as_str(),
                c.claim.text.as_str(),
                c.claim.date,
            )
        })
        .collect();
    let want: Vec<(usize, &str, &str, Option<NaiveDate>)> = vec![
        (
            7,
            "https://www.who.int/news/item/2018-04-03-air-quality",
            "On 3 April 2018, the World Health Organization published new guidance on air quality.",
            d(2018, 4, 3),
        ),
        (
            9,
            "https://gov.example.org/press/2018/04/12/statement.html",
            "The ministry confirmed the change on April 12, 2018 (see https://gov.example.org/press/2018/04/12/statement.html).",
            d(2018, 4, 12),
        ),
        (
            9,
            "https://news.example.com/a/20180413/123.html",
            "Later coverage is at https://news.example.com/a/20180413/123.html.",
            None,
        ),
        (
            13,
            "https://www.london.gov.uk/press-releases/2018/04/clinics?utm_source=report&utm_medium=x",
            "London opened 12 clinics on 9 April per the council.",
            d(2018, 4, 9),
        ),
        (
            17,
            "https://www.reuters.com/article/2018-04-10/health-idUS123",
            "A claim with a footnote.",
            None,
        ),
        (
            19,
            "https://www.who.int/item-one",
            "Item one cites WHO on 2018-04-05.",
            d(2018, 4, 5),
        ),
        (
            24,
            "https://hansard.example.uk/2018-04-11/clean-air",
            "2018-04-11 Parliament passed the Clean Air Act",
            d(2018, 4, 11),
        ),
        (
            25,
            "https://mayor.example.uk/orders/2018/0412",
            "12 April 2018 Mayor signed the order",
            d(2018, 4, 12),
        ),
    ];
    assert_eq!(got, want);
    // Query strings kept as written; keywords without date digits.
    let who = &doc.citations[0];
    let terms: Vec<&str> = who.claim.keywords.iter().map(|k| &*k.term).collect();
    assert!(terms.contains(&"World Health Organization"), "{terms:?}");
    assert!(
        !terms.iter().any(|t| t.contains("2018") || *t == "April"),
        "{terms:?}"
    );
    assert!(
        who.claim
            .keywords
            .windows(2)
            .all(|w| w[0].weight >= w[1].weight)
    );
    // Uncited dated claim.
    assert_eq!(doc.uncited.len(), 1);
    assert_eq!(doc.uncited[0].source.line, 27);
    assert_eq!(doc.uncited[0].claim.date, d(2018, 4, 14));
}

#[test]
fn html_report() {
    let path = fixture("sample.html");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = extract_str(&path, &text);
    let got: Vec<(usize, &str, &str, &str, Option<NaiveDate>)> = doc
        .citations
        .iter()
        .map(|c| {
            (
                c.source.line,
                c.written_url.as_str(),
                c.url.as_str(),
                c.claim.text.as_str(),
                c.claim.date,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                6,
                "https://agency.example.gov/news?id=1&amp;lang=en",
                "https://agency.example.gov/news?id=1&lang=en",
                "On 2 March 2018, the agency announced a new fund.",
                d(2018, 3, 2)
            ),
            (
                8,
                "https://fund.example.org/open",
                "https://fund.example.org/open",
                "March 5, 2018: the fund opened, see https://fund.example.org/open.",
                d(2018, 3, 5)
            ),
            (
                10,
                "mailto:editor@example.com",
                "mailto:editor@example.com",
                "Email us",
                None
            ),
            (
                15,
                "https://fund.example.org/grants/2018/03/07/",
                "https://fund.example.org/grants/2018/03/07/",
                "2018-03-07 First grants awarded",
                d(2018, 3, 7)
            ),
        ]
    );
    assert_eq!(
        doc.citations[0].repairs[0].kind.as_str(),
        "decoded_entities"
    );
}

#[test]
fn walking_directories_encodings_and_errors() {
    let root = fixture("walk");
    let missing = fixture("does-not-exist.md");
    let ex = extract_paths(&[root.clone(), missing.clone()], &ExtractOptions::default());
    let docs: Vec<String> = ex
        .documents
        .iter()
        .map(|d| d.path.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    assert_eq!(docs, vec!["gbk.txt", "notes.txt", "sub/b.md"]);
    assert_eq!(ex.skipped_files, 1);
    let errs: Vec<&Path> = ex.errors.iter().map(|e| e.path.as_path()).collect();
    assert_eq!(
        errs,
        vec![missing.as_path(), root.join("sub/binary.md").as_path()]
    );
    assert!(ex.errors[1].message.contains("binary"));
    let gbk = &ex.documents[0].citations[0];
    assert_eq!(
        gbk.url,
        "http://www.gov.cn/guowuyuan/2018-04/12/content_5282000.htm"
    );
    assert_eq!(gbk.claim.date, d(2018, 4, 12));
    let plain: Vec<&str> = ex.documents[1]
        .citations
        .iter()
        .map(|c| c.url.as_str())
        .collect();
    assert_eq!(
        plain,
        vec!["http://plain.example.com/a", "http://plain.example.com/b"]
    );
    assert_eq!(ex.citations().count(), 4);
    // Too large.
    let small = ExtractOptions {
        max_file_bytes: 10,
        ..ExtractOptions::default()
    };
    let ex = extract_paths(&[root.join("notes.txt")], &small);
    assert!(
        ex.errors[0].message.contains("too large"),
        "{:?}",
        ex.errors
    );
    // A file named explicitly in an unknown format is read as text.
    let ex = extract_paths(&[root.join("data.csv")], &ExtractOptions::default());
    assert_eq!((ex.documents.len(), ex.skipped_files), (1, 0));
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_reported_not_followed_forever() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.md"), "See https://a.example.com/x.\n").unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    let ex = extract_paths(&[dir.path().to_path_buf()], &ExtractOptions::default());
    assert_eq!(ex.documents.len(), 1);
    assert!(
        ex.errors.iter().any(|e| e.message.contains("loop")),
        "{:?}",
        ex.errors
    );
}

#[test]
fn large_inputs_stay_linear() {
    // One 10 MB line and 1,000,000 short lines: must finish quickly and not panic.
    let long = format!(
        "{}https://a.example.com/x {}",
        "x".repeat(5_000_000),
        "y".repeat(5_000_000)
    );
    let doc = extract_str(Path::new("long.txt"), &long);
    assert_eq!(doc.citations.len(), 1);
    let many: String = (0..1_000_000).map(|i| format!("l{i}\n")).collect();
    let doc = extract_str(Path::new("many.md"), &many);
    assert!(doc.citations.is_empty());
    let tabs: String = (0..100_000)
        .map(|i| format!("r{i}\t4月1日，甲。\thttp://a.cn/{i}\n"))
        .collect();
    let doc = extract_str(Path::new("tabs.md"), &tabs);
    assert_eq!(doc.citations.len(), 100_000);
    // 20,000 URLs in one 7.5 MB sentence: each claim is a bounded window, not 7.5 MB.
    let urls: String = (0..20_000)
        .map(|i| format!("word https://a.example.com/{i} "))
        .collect();
    let doc = extract_str(
        Path::new("urls.md"),
        &format!("{urls}{}", "z".repeat(7_000_000)),
    );
    assert_eq!(doc.citations.len(), 20_000);
    assert!(doc.citations.iter().all(|c| c.claim.text.len() <= 2000));
}

/// The work grows linearly with the input: the same shapes at two sizes, four times
/// apart, take at most ten times as long (linear: four; quadratic: sixteen). Each size
/// is timed as the best of three, and only the ratio counts, not the machine's speed.
#[test]
fn extraction_time_grows_linearly_with_the_input() {
    let best_of_three = |text: &str| {
        (0..3)
            .map(|_| {
                let t = std::time::Instant::now();
                let doc = extract_str(Path::new("x.md"), text);
                std::hint::black_box(doc.citations.len());
                t.elapsed()
            })
            .min()
            .unwrap()
    };
    type Shape = (&'static str, fn(usize) -> String);
    let shapes: [Shape; 3] = [
        ("URLs in one sentence", |n| {
            (0..n)
                .map(|i| format!("word https://a.example.com/{i} "))
                .collect()
        }),
        ("TAB table rows", |n| {
            (0..n)
                .map(|i| format!("r{i}\t4月1日，甲。\thttp://a.cn/{i}\n"))
                .collect()
        }),
        ("one long line", |n| {
            format!(
                "{} https://a.example.com/x {}",
                "x".repeat(n * 50),
                "y".repeat(n * 50)
            )
        }),
    ];
    for (name, make) in shapes {
        let small = best_of_three(&make(5_000));
        let large = best_of_three(&make(20_000));
        let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-6);
        assert!(
            ratio < 10.0,
            "{name}: 4x the input took {ratio:.1}x as long ({small:?} → {large:?})"
        );
    }
}
