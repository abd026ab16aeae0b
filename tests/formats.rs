//! Every report format from one run against a local test web: JUnit parsed back and
//! counted, SARIF validated against the SARIF 2.1.0 schema with stable fingerprints,
//! CSV read back, the GitHub workflow commands matched exactly (and the job summary),
//! and all of them consistent with the JSON report of the same run.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use axum::Router;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use common::{Server, citecheck, tools};
use serde_json::Value;

const CLAIM: &str = "On 12 April 2018, the “Quokka Harbour” bridge opened in Wellington.";

fn page(title: &str) -> String {
    format!(
        "<html><head><title>{title}</title></head><body><article><h1>Bridge</h1>\
         <p>Published 12 April 2018.</p><p>The Quokka Harbour bridge opened in Wellington on \
         12 April 2018, the council said. Thousands walked across the Quokka Harbour bridge \
         on its first day.</p></article></body></html>"
    )
}

/// A test web: supporting pages (one with a hostile title), a 404, a 403 and a page
/// about something else.
fn web() -> Server {
    Server::start(
        Router::new()
            .route(
                "/ok",
                get(|| async { Html(page("Quokka Harbour bridge opens")) }),
            )
            .route(
                "/hostile",
                get(|| async {
                    Html(page(
                        "&lt;script&gt;window.__pwned=1&lt;/script&gt;<b>Quokka</b> & \"bridge\"",
                    ))
                }),
            )
            .route("/gone", get(|| async { StatusCode::NOT_FOUND }))
            .route("/forbidden", get(|| async { StatusCode::FORBIDDEN }))
            .route(
                "/different",
                get(|| async {
                    Html(
                        "<html><head><title>Weather</title></head><body><article><p>Rain \
                         is expected across the region on Thursday, forecasters said, with \
                         strong winds in the afternoon.</p></article></body></html>",
                    )
                }),
            ),
    )
}

/// A repository (`.git`) with `reports/r.md` citing every page of `web`, and an address
/// where nothing listens. Returns the directory and the URLs by line.
fn repo(web: &Server) -> (tempfile::TempDir, BTreeMap<usize, String>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::create_dir_all(dir.path().join("reports")).unwrap();
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let mut urls = BTreeMap::new();
    let mut text = String::from("# Audit\n\n");
    for (i, path) in ["/ok", "/hostile", "/gone", "/forbidden", "/different"]
        .iter()
        .enumerate()
    {
        urls.insert(3 + i, web.url(path));
    }
    urls.insert(8, format!("http://{refused}/x"));
    for url in urls.values() {
        text.push_str(&format!("- {CLAIM} {url}\n"));
    }
    std::fs::write(dir.path().join("reports/r.md"), text).unwrap();
    std::fs::write(
        dir.path().join("c.toml"),
        "[fetch]\nsoft404_probe = false\nhost_rate = 100.0\nretry_base_ms = 10\nmax_retries = 1\nallow_private = true\n",
    )
    .unwrap();
    (dir, urls)
}

struct Run {
    code: i32,
    stdout: String,
    files: BTreeMap<&'static str, PathBuf>,
    summary: PathBuf,
}

fn run(dir: &Path, tag: &str) -> Run {
    run_env(dir, tag, &[])
}

fn run_env(dir: &Path, tag: &str, env: &[(&str, &str)]) -> Run {
    let out = dir.join(format!("out-{tag}"));
    std::fs::create_dir_all(&out).unwrap();
    let files: BTreeMap<&'static str, PathBuf> =
        ["json", "junit", "sarif", "csv", "html", "markdown", "jsonl"]
            .into_iter()
            .map(|f| (f, out.join(format!("report.{f}"))))
            .collect();
    let summary = out.join("summary.md");
    let mut cmd = citecheck();
    cmd.current_dir(dir)
        .envs(env.iter().copied())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["check", "reports", "--config", "c.toml", "--no-progress"]);
    for (f, p) in &files {
        cmd.arg("--report").arg(format!("{f}={}", p.display()));
    }
    cmd.args(["--report", "github=-"]);
    let o = cmd.output().unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8(o.stdout).unwrap(),
        files,
        summary,
    }
}

fn json(run: &Run) -> Value {
    serde_json::from_slice(&std::fs::read(&run.files["json"]).unwrap()).unwrap()
}

/// The JSON citation cited on `line`.
fn at(doc: &Value, line: usize) -> &Value {
    doc["citations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["source"]["line"] == line)
        .unwrap()
}

fn failing(c: &Value) -> bool {
    ["broken", "unreachable", "timeout", "invalid"].contains(&c["link"]["status"].as_str().unwrap())
}

#[test]
fn several_reports_from_one_run_agree() {
    let web = web();
    let (dir, urls) = repo(&web);
    let r = run(dir.path(), "a");
    assert_eq!(r.code, 1, "a 404 and a refused connection fail the run");
    let doc = json(&r);
    let citations = doc["citations"].as_array().unwrap();
    assert_eq!(citations.len(), 6);
    let n_failing = citations.iter().filter(|c| failing(c)).count();
    assert_eq!(n_failing, 2);
    assert_eq!(at(&doc, 4)["verdict"], "supported", "{:#}", at(&doc, 4));
    assert_eq!(at(&doc, 7)["verdict"], "unsupported");

    // GitHub workflow commands, line by line.
    let missing = at(&doc, 7)["evidence"]["missing_keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect::<Vec<_>>()
        .join(", ");
    let expected = [
        format!(
            "::error file=reports/r.md,line=5,title=citecheck http_404::{}: link broken, HTTP 404; claim unverifiable",
            urls[&5]
        ),
        format!(
            "::warning file=reports/r.md,line=6,title=citecheck http_403::{}: link blocked, HTTP 403; claim unverifiable",
            urls[&6]
        ),
        format!(
            "::warning file=reports/r.md,line=7,title=citecheck keywords_missing::{}: link ok; claim unsupported (missing: {missing})",
            urls[&7]
        ),
        format!(
            "::error file=reports/r.md,line=8,title=citecheck connection_refused::{}: link unreachable: connection refused (after 2 attempts); claim unverifiable",
            urls[&8]
        ),
    ];
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines, expected, "stdout:\n{}", r.stdout);
    let summary = std::fs::read_to_string(&r.summary).unwrap();
    assert!(summary.starts_with("## citecheck\n"), "{summary}");
    assert!(
        summary.contains("6 citations · 6 URLs · **2 failing** · 2 warnings"),
        "{summary}"
    );
    assert!(
        summary.contains(&format!(
            "| reports/r.md | 5 | broken | unverifiable | http_404 | {} |",
            urls[&5]
        )),
        "{summary}"
    );

    // JUnit: one suite for the report, one case per citation, failures typed by reason.
    let xml = std::fs::read_to_string(&r.files["junit"]).unwrap();
    let junit = parse_junit(&xml);
    assert_eq!(junit.suites, vec!["reports/r.md".to_owned()]);
    assert_eq!(junit.cases.len(), citations.len());
    let failures: Vec<(&str, &str)> = junit
        .cases
        .iter()
        .filter_map(|c| c.failure.as_deref().map(|f| (c.name.as_str(), f)))
        .collect();
    assert_eq!(
        failures,
        [
            (format!("line 5: {}", urls[&5]).as_str(), "http_404"),
            (
                format!("line 8: {}", urls[&8]).as_str(),
                "connection_refused"
            ),
        ]
    );
    assert!(xml.contains(&format!("failures=\"{n_failing}\"")), "{xml}");

    // SARIF: valid against the schema; errors = failing; locations are repo-relative.
    let sarif: Value = serde_json::from_slice(&std::fs::read(&r.files["sarif"]).unwrap()).unwrap();
    tools::validate_sarif(&r.files["sarif"]);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let errors: Vec<(u64, &str)> = results
        .iter()
        .filter(|x| x["level"] == "error")
        .map(|x| {
            let loc = &x["locations"][0]["physicalLocation"];
            assert_eq!(loc["artifactLocation"]["uri"], "reports/r.md");
            (
                loc["region"]["startLine"].as_u64().unwrap(),
                x["ruleId"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(errors, [(5, "http_404"), (8, "connection_refused")]);
    let rules: Vec<&str> = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for x in results {
        let id = x["ruleId"].as_str().unwrap();
        let index = usize::try_from(x["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[index], id, "ruleIndex points at the rule");
    }
    let warnings: Vec<&str> = results
        .iter()
        .filter(|x| x["level"] == "warning")
        .map(|x| x["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(warnings, ["http_403", "keywords_missing"]);

    // CSV: the documented columns, one row per citation, the same statuses and reasons.
    let mut rd = csv::Reader::from_path(&r.files["csv"]).unwrap();
    let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        header,
        [
            "path",
            "line",
            "url",
            "written_url",
            "status",
            "reason",
            "http_status",
            "error",
            "final_url",
            "verdict",
            "verdict_reason",
            "score",
            "claim_date",
            "page_date",
            "page_date_source",
            "matched_keywords",
            "missing_keywords",
            "claim",
            "context"
        ]
    );
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), citations.len());
    for row in &rows {
        let line: usize = row[1].parse().unwrap();
        let c = at(&doc, line);
        assert_eq!(&row[0], "reports/r.md");
        assert_eq!(&row[2], c["url"].as_str().unwrap());
        assert_eq!(&row[4], c["link"]["status"].as_str().unwrap());
        assert_eq!(&row[5], c["link"]["reason"].as_str().unwrap_or(""));
        assert_eq!(&row[9], c["verdict"].as_str().unwrap());
        assert_eq!(&row[10], c["evidence"]["reason"].as_str().unwrap_or(""));
        assert!(
            row[17].starts_with(CLAIM),
            "the claim survives quoting: {:?}",
            &row[17]
        );
    }

    // HTML: one row per citation; the hostile title is escaped text.
    let html = std::fs::read_to_string(&r.files["html"]).unwrap();
    assert_eq!(html.matches("<tr class=\"row ").count(), citations.len());
    assert!(
        !html.contains("<script>window.__pwned"),
        "hostile title escaped"
    );
    assert!(
        html.contains("&lt;script&gt;window.__pwned=1&lt;&#x2f;script&gt;"),
        "shown as text"
    );
}

/// A run whose rows all went to the spill file (`CITECHECK_SPILL_AFTER=0`, as for a
/// large run) writes the same reports as one that kept them in memory.
#[test]
fn reports_from_spilled_rows_equal_reports_from_memory() {
    let web = web();
    let (dir, _) = repo(&web);
    let mem = run_env(dir.path(), "mem", &[("CITECHECK_SPILL_AFTER", "1000000")]);
    let spilled = run_env(dir.path(), "spilled", &[("CITECHECK_SPILL_AFTER", "0")]);
    assert_eq!(mem.code, spilled.code);
    // Timings differ from run to run: compare without them.
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.retain(|k, _| k != "elapsed_ms" && k != "generated_at");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let (mut a, mut b) = (json(&mem), json(&spilled));
    assert_eq!(a["citations"].as_array().unwrap().len(), 6);
    strip(&mut a);
    strip(&mut b);
    assert_eq!(a, b, "JSON from spilled rows");
    // Digits (times, ports) and the HTML report's per-run script nonce vary.
    let digits = |s: &str| {
        let mut out = String::new();
        let mut s = s.to_owned();
        while let Some(at) = s.find("nonce") {
            let rest = &s[at + 5..];
            let end = rest
                .char_indices()
                .skip(2)
                .find(|(_, c)| *c == '"' || *c == '\'')
                .map_or(rest.len(), |(i, _)| i);
            s = format!("{}NONCE{}", &s[..at], &rest[end..]);
        }
        for ch in s.chars() {
            if ch.is_ascii_digit() {
                if !out.ends_with('#') {
                    out.push('#');
                }
            } else {
                out.push(ch);
            }
        }
        out
    };
    for f in ["junit", "sarif", "csv", "html", "markdown", "jsonl"] {
        let read = |r: &Run| {
            let text = digits(&std::fs::read_to_string(&r.files[f]).unwrap());
            if f == "jsonl" {
                // Streamed as URLs finish: in the order they finished.
                let mut lines: Vec<&str> = text.lines().collect();
                lines.sort_unstable();
                lines.join("\n")
            } else {
                text
            }
        };
        let (x, y) = (read(&mem), read(&spilled));
        assert!(x.contains("gone"), "{f} lists the rows");
        let first = x.chars().zip(y.chars()).take_while(|(a, b)| a == b).count();
        assert!(
            x == y,
            "{f} from spilled rows differs at char {first}: {:?} vs {:?}",
            x.chars().skip(first).take(80).collect::<String>(),
            y.chars().skip(first).take(80).collect::<String>()
        );
    }
    assert_eq!(
        digits(&mem.stdout),
        digits(&spilled.stdout),
        "GitHub commands"
    );
}

#[test]
fn sarif_fingerprints_are_stable_across_runs() {
    let web = web();
    let (dir, _) = repo(&web);
    let fingerprints = |tag: &str| -> Vec<(String, String)> {
        let r = run(dir.path(), tag);
        let sarif: Value =
            serde_json::from_slice(&std::fs::read(&r.files["sarif"]).unwrap()).unwrap();
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["ruleId"].as_str().unwrap().to_owned(),
                    x["partialFingerprints"]["citecheck/v1"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                )
            })
            .collect()
    };
    let first = fingerprints("one");
    let second = fingerprints("two");
    assert_eq!(first.len(), 4);
    assert_eq!(first, second, "same citations, same fingerprints");
    let mut distinct: Vec<&String> = first.iter().map(|(_, f)| f).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), first.len(), "one fingerprint per alert");
    // Moving the citations down two lines keeps their fingerprints.
    let report = dir.path().join("reports/r.md");
    let text = std::fs::read_to_string(&report).unwrap();
    std::fs::write(&report, format!("Intro.\n\n{text}")).unwrap();
    assert_eq!(fingerprints("three"), first, "lines moved, alerts kept");
}

#[test]
fn only_one_report_may_go_to_stdout_and_bad_targets_are_usage_errors() {
    for args in [
        &["--report", "github=-", "--report", "csv=-"][..],
        &["--format", "json", "--report", "sarif=-"][..],
        &["--report", "pdf=x.pdf"][..],
        &["--report", "sarif"][..],
    ] {
        let out = citecheck()
            .args(["extract", "/nonexistent"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("stdout") || err.contains("FORMAT=PATH") || err.contains("unknown format"),
            "{args:?}: {err}"
        );
    }
}

struct JunitCase {
    name: String,
    failure: Option<String>,
}

struct JunitDoc {
    suites: Vec<String>,
    cases: Vec<JunitCase>,
}

/// Read JUnit XML back with an XML parser: suite names, case names, failure types.
fn parse_junit(xml: &str) -> JunitDoc {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut doc = JunitDoc {
        suites: Vec::new(),
        cases: Vec::new(),
    };
    let attr = |e: &quick_xml::events::BytesStart<'_>, name: &[u8]| -> Option<String> {
        e.attributes()
            .map(Result::unwrap)
            .find(|a| a.key.as_ref() == name)
            .map(|a| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned()
            })
    };
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"testsuite" => doc.suites.push(attr(&e, b"name").unwrap()),
                b"testcase" => doc.cases.push(JunitCase {
                    name: attr(&e, b"name").unwrap(),
                    failure: None,
                }),
                b"failure" => {
                    doc.cases.last_mut().unwrap().failure = Some(attr(&e, b"type").unwrap());
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    doc
}
