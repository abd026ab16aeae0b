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

#[test]
fn claims_dated_on_several_threads_equal_claims_dated_one_by_one() {
    // Enough claims to be spread over the threads, of every kind of date and mask.
    let forms = [
        "4月12日，国务院发布通知。",
        "On 3 March 2021 the council met, see https://example.org/a?b=1.",
        "2018年4月12日至13日，会议召开。",
        "No date here, write to a@example.org.",
        "The rule of 2021-03-14 applies; April 2, 2021 too.",
        "",
    ];
    let texts: Vec<String> = (0..PARALLEL_CLAIMS * 2 + 7)
        .map(|i| format!("{} {i}", forms[i % forms.len()]))
        .collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let ctx = YearContext::detect("# 报告\n\n(2018 年 4 月)\n", Path::new("x.md"));
    let together = dated_claims(&texts, &ctx);
    assert_eq!(together.len(), texts.len());
    for (text, got) in texts.iter().zip(&together) {
        let alone = dated_claims(&[text], &ctx).pop().unwrap();
        assert_eq!(got, &alone, "{text}");
    }
    assert!(together.iter().any(|((d, _), _)| d.is_some()));
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

#[test]
fn lone_cr_line_ends_give_the_right_lines() {
    let cr = "# Title\r\rFirst https://a.example/1 here.\r\rSecond line\rgoes on https://a.example/2 .\r";
    let html =
        "<p>First\r<a href=\"https://a.example/1\">one</a></p>\r\r<p>x https://a.example/2</p>\r";
    let tab = "(2018 年 4 月)\r\r地区\t政策\t链接\r甲\t4月1日，甲事。\thttps://a.example/1\r乙\t4月2日，乙事。\thttps://a.example/2\r";
    let cases = [
        ("r.md", cr, [3, 6]),
        ("r.txt", cr, [3, 6]),
        ("r.html", html, [2, 4]),
        ("r.md", tab, [4, 5]),
    ];
    for (name, text, want) in cases {
        let d = extract_str(Path::new(name), text);
        let got: Vec<(usize, &str)> = d
            .citations
            .iter()
            .map(|c| (c.source.line, c.url.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (want[0], "https://a.example/1"),
                (want[1], "https://a.example/2")
            ],
            "{name}: {text:?}"
        );
        // The same text with `\n` line ends reads alike.
        let lf = extract_str(Path::new(name), &text.replace('\r', "\n"));
        assert_eq!(d.citations, lf.citations, "{name}");
    }
}

#[test]
fn year_from_file_name_and_year_boundary() {
    let d = extract_str(
        Path::new("reports/2019-01-weekly.md"),
        "12月28日，某市召开会议 https://a.cn/x 。\n\n1月3日，另一事 https://a.cn/y 。\n",
    );
    let dates: Vec<String> = d
        .citations
        .iter()
        .map(|c| c.claim.date.map(|x| x.to_string()).unwrap_or_default())
        .collect();
    assert_eq!(dates, vec!["2018-12-28", "2019-01-03"]);
    let d = extract_str(Path::new("notes.md"), "4月12日，某事 https://a.cn/x 。\n");
    assert_eq!(d.citations[0].claim.date, None, "never the current year");
}

#[test]
fn tab_tables_in_plain_text_and_entities() {
    let t = "(2018 年 4 月)\n\n地区\t政策\t链接\n甲\t4月1日，甲事。\t<a href=\"http://a.cn/?a=1&amp;b=2\">x</a>\n";
    let d = extract_str(Path::new("r.txt"), t);
    assert_eq!(d.citations.len(), 1);
    let c = &d.citations[0];
    assert_eq!(
        (c.source.line, c.url.as_str(), c.written_url.as_str()),
        (4, "http://a.cn/?a=1&b=2", "http://a.cn/?a=1&amp;b=2")
    );
    assert_eq!(
        c.claim.date.map(|x| x.to_string()).as_deref(),
        Some("2018-04-01")
    );
    assert_eq!(c.context.as_deref(), Some("甲"));
}

#[test]
fn seed_reads_the_same_as_text_and_markdown() {
    let seed = include_str!("../../reports/2018-04-internet-plus.md");
    let as_md = extract_str(Path::new("2018-04-internet-plus.md"), seed);
    let as_txt = extract_str(Path::new("2018-04-internet-plus.txt"), seed);
    let urls = |d: &Document| {
        d.citations
            .iter()
            .map(|c| (c.source.line, c.url.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(as_md.citations.len(), 66);
    assert_eq!(urls(&as_md), urls(&as_txt));
    // Year from the monitoring period: every claim dated in 2018.
    assert!(as_md.citations.iter().all(|c| {
        c.claim
            .date
            .is_some_and(|d| d.to_string().starts_with("2018-"))
    }));
    // `互联网+` is in nearly every claim: it weighs little.
    let w = as_md
        .citations
        .iter()
        .flat_map(|c| c.claim.keywords.iter())
        .filter(|k| &*k.term == "互联网+")
        .map(|k| k.weight)
        .fold(0.0_f64, f64::max);
    assert!(w < 0.3, "{w}");
}

/// The URLs of a document, in order.
fn urls_of(d: &Document) -> Vec<&str> {
    d.citations.iter().map(|c| c.url.as_str()).collect()
}

#[test]
fn deeply_nested_html_reports_are_read_with_their_citations() {
    const DEEP: usize = 100_000;
    let nested = format!(
        "{}<p>The deep claim https://deep.example/a</p>{}",
        "<div>".repeat(DEEP),
        "</div>".repeat(DEEP)
    );
    let after = "<p>After <a href=\"https://deep.example/b\">b</a>.</p>";
    let html = format!("<html><body>{nested}{after}</body></html>");
    let d = extract_str(Path::new("deep.html"), &html);
    assert_eq!(
        urls_of(&d),
        ["https://deep.example/a", "https://deep.example/b"]
    );
    assert_eq!(
        d.citations[0].claim.text,
        "The deep claim https://deep.example/a"
    );
    // 20,000 unclosed `<b>`, and as many `<blockquote cite>` opened and never closed.
    let bold = format!(
        "<p>{}Bold claim https://deep.example/c</p>",
        "<b>".repeat(20_000)
    );
    let d = extract_str(Path::new("bold.html"), &bold);
    assert_eq!(urls_of(&d), ["https://deep.example/c"]);
    let quotes = "<blockquote cite=\"https://deep.example/q\">".repeat(20_000) + "Quoted.";
    let d = extract_str(Path::new("quotes.html"), &quotes);
    assert_eq!(d.citations.len(), 20_000);
    // The same HTML inside Markdown: as an HTML block and inline in a paragraph.
    let md = format!(
        "# T\n\nBefore https://deep.example/0\n\n{nested}\n\nInline {}x https://deep.example/i{}\n\n\
         {}quoted https://deep.example/g\n\n{}listed https://deep.example/l\n\nAfter https://deep.example/z\n",
        "<span>".repeat(DEEP),
        "</span>".repeat(DEEP),
        "> ".repeat(DEEP),
        "- ".repeat(20_000),
    );
    let d = extract_str(Path::new("deep.md"), &md);
    assert_eq!(
        urls_of(&d),
        [
            "https://deep.example/0",
            "https://deep.example/a",
            "https://deep.example/i",
            "https://deep.example/g",
            "https://deep.example/l",
            "https://deep.example/z",
        ]
    );
}

#[test]
fn pathological_inputs_stay_fast() {
    let start = std::time::Instant::now();
    // Unclosed quoted attributes, thousands of them.
    let tags = "<a href=\"x ".repeat(50_000);
    let _ = extract_str(Path::new("t.html"), &tags);
    let _ = extract_str(Path::new("t.md"), &tags);
    // Two very long near-identical URLs in one directory.
    let long = format!(
        "https://a.cn/{} https://a.cn/{}x\n",
        "y".repeat(200_000),
        "y".repeat(200_000)
    );
    let d = extract_str(Path::new("t.txt"), &long);
    assert_eq!(d.citations.len(), 2);
    // Many `h`s (scheme scanning).
    let _ = extract_str(Path::new("h.txt"), &"h".repeat(2_000_000));
    assert!(start.elapsed().as_secs() < 30, "{:?}", start.elapsed());
}
