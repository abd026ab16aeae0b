//! The HTML report (`--format html`): one self-contained page for editors.
//!
//! Rules: no external request of any kind (inline CSS and JS, inline SVG, a
//! Content-Security-Policy that forbids every fetch and allows only our own script by a
//! per-render nonce), so it works from `file://` and offline; readable without JS (every
//! row is in the page, grouped by report; the filter, search and sort controls are
//! hidden until the script shows them); every text that came from a report or a page is
//! escaped by the template engine (minijinja, autoescape on `.html` templates) — a page
//! title holding `<script>` is shown as text — and links get an `href` only for http(s)
//! URLs. The sections on changes since the last run and the health chart appear only
//! when the history store supplied data.

use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::SecondsFormat;
use minijinja::Environment;
use minijinja::value::Serde;
use serde::Serialize;

use super::triage::{Location, Severity, reason, severity};
use super::{CitationResult, Formatter, Mode, RunReport, Summary};
use crate::config::FailOn;
use crate::model::{Change, LinkStatus, RunHealth, Verdict};

/// The page template.
const TEMPLATE: &str = include_str!("templates/report.html");

/// Renders [`RunReport`] as one HTML page.
#[derive(Debug, Clone)]
pub struct Html {
    pub fail_on: FailOn,
    pub location: Location,
}

/// Everything the template shows.
#[derive(Serialize)]
struct Page {
    nonce: String,
    generated_at: String,
    mode: Mode,
    complete: bool,
    summary: Summary,
    failing: usize,
    cards: Vec<Card>,
    groups: Vec<Group>,
    changes: Option<Vec<(&'static str, usize)>>,
    change_items: Option<Vec<ChangeItem>>,
    chart: Option<Chart>,
    uncited: Vec<Uncited>,
    errors: Vec<InputErrorRow>,
    version: &'static str,
}

#[derive(Serialize)]
struct Uncited {
    path: String,
    line: usize,
    claim: String,
    supported_by_url: Option<String>,
}

#[derive(Serialize)]
struct InputErrorRow {
    path: String,
    line: Option<usize>,
    message: String,
}

#[derive(Serialize)]
struct Card {
    /// `status` or `verdict`.
    kind: &'static str,
    key: &'static str,
    count: usize,
    severity: &'static str,
}

#[derive(Serialize)]
struct Row {
    id: usize,
    path: String,
    line: usize,
    claim: String,
    claim_date: Option<String>,
    context: Option<String>,
    url: String,
    /// Whether `url` may be a link target (http or https only).
    url_safe: bool,
    final_url: Option<String>,
    final_url_safe: bool,
    status: &'static str,
    verdict: &'static str,
    reason: Option<&'static str>,
    reason_title: Option<&'static str>,
    reason_help: Option<&'static str>,
    http_status: Option<u16>,
    error: Option<String>,
    severity: &'static str,
    matched: Vec<String>,
    missing: Vec<String>,
    page_date: Option<String>,
    page_title: Option<String>,
    snippet: Option<String>,
    score: Option<String>,
    notes: Vec<String>,
    archive_url: Option<String>,
    archive_safe: bool,
    archive_date: Option<String>,
    archive_verdict: Option<&'static str>,
    /// The copy supports the claim (at least in part): offered as the replacement.
    archive_replaces: bool,
    /// No archived copy: why.
    archive_none: Option<String>,
    change: Option<&'static str>,
}

#[derive(Serialize)]
struct Group {
    path: String,
    rows: Vec<Row>,
}

#[derive(Serialize)]
struct ChangeItem {
    change: &'static str,
    path: String,
    line: usize,
    url: String,
    before: String,
    after: String,
}

/// Counts per change, and the changes worth listing.
type Changes = (Vec<(&'static str, usize)>, Vec<ChangeItem>);

#[derive(Serialize)]
struct Series {
    name: &'static str,
    class: &'static str,
    points: String,
    last: usize,
}

#[derive(Serialize)]
struct Chart {
    width: u32,
    height: u32,
    max: usize,
    series: Vec<Series>,
    first: String,
    last: String,
    runs: usize,
}

fn is_web(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Failure => "failure",
        Severity::Warning => "warning",
        Severity::Note => "note",
        Severity::Pass => "pass",
    }
}

const CHART_WIDTH: u32 = 640;
const CHART_HEIGHT: u32 = 160;
const CHART_PAD: u32 = 24;

/// The polylines of the health chart, or `None` with fewer than one run.
fn chart(runs: &[RunHealth]) -> Option<Chart> {
    let (first, last) = (runs.first()?, runs.last()?);
    let max = runs
        .iter()
        .map(|r| {
            r.alive
                .max(r.failing)
                .max(r.unsupported)
                .max(r.confirmed_dead)
        })
        .max()
        .unwrap_or(0)
        .max(1);
    let span = f64::from(CHART_WIDTH - 2 * CHART_PAD);
    let height = f64::from(CHART_HEIGHT - 2 * CHART_PAD);
    #[allow(clippy::cast_precision_loss)]
    let point = |i: usize, v: usize| {
        let x = if runs.len() == 1 {
            span / 2.0
        } else {
            span * i as f64 / (runs.len() - 1) as f64
        };
        let y = height - height * v as f64 / max as f64;
        format!(
            "{:.1},{:.1}",
            x + f64::from(CHART_PAD),
            y + f64::from(CHART_PAD)
        )
    };
    let line = |name, class, get: fn(&RunHealth) -> usize| Series {
        name,
        class,
        points: runs
            .iter()
            .enumerate()
            .map(|(i, r)| point(i, get(r)))
            .collect::<Vec<_>>()
            .join(" "),
        last: get(last),
    };
    Some(Chart {
        width: CHART_WIDTH,
        height: CHART_HEIGHT,
        max,
        series: vec![
            line("alive", "alive", |r| r.alive),
            line("failing", "failing", |r| r.failing),
            line("confirmed dead", "dead", |r| r.confirmed_dead),
            line("unsupported", "unsupported", |r| r.unsupported),
        ],
        first: first.started_at.format("%Y-%m-%d").to_string(),
        last: last.started_at.format("%Y-%m-%d").to_string(),
        runs: runs.len(),
    })
}

impl Html {
    fn row(&self, id: usize, c: &CitationResult) -> Row {
        let link = c.link.as_ref();
        let ev = c.evidence.as_ref();
        let r = reason(c);
        let final_url = link
            .and_then(|l| l.final_url.clone())
            .filter(|f| *f != c.citation.url);
        Row {
            id,
            path: self.location.show(&c.citation.source.path),
            line: c.citation.source.line,
            claim: c.citation.claim.text.clone(),
            claim_date: c.citation.claim.date.map(|d| d.to_string()),
            context: c.citation.context.clone(),
            url_safe: is_web(&c.citation.url),
            url: c.citation.url.clone(),
            final_url_safe: final_url.as_deref().is_some_and(is_web),
            final_url,
            status: link.map_or("unchecked", |l| l.status.as_str()),
            verdict: c.verdict.map_or("unchecked", Verdict::as_str),
            reason: r.map(|r| r.as_str()),
            reason_title: r.map(|r| r.title()),
            reason_help: r.map(|r| r.help()),
            http_status: link.and_then(|l| l.http_status),
            error: link.and_then(|l| l.error.clone()),
            severity: severity_name(severity(c, &self.fail_on)),
            matched: ev.map(|e| e.matched_keywords.clone()).unwrap_or_default(),
            missing: ev.map(|e| e.missing_keywords.clone()).unwrap_or_default(),
            page_date: ev.and_then(|e| e.page_date).map(|d| d.to_string()),
            page_title: ev.and_then(|e| e.page_title.clone()),
            snippet: ev.and_then(|e| e.snippet.clone()),
            score: ev
                .filter(|_| link.is_some_and(|l| l.status.is_alive()))
                .map(|e| format!("{:.2}", e.score)),
            notes: ev.map(|e| e.notes.clone()).unwrap_or_default(),
            archive_url: c.archive.as_ref().and_then(|a| a.url.clone()),
            archive_safe: c
                .archive
                .as_ref()
                .and_then(|a| a.url.as_deref())
                .is_some_and(is_web),
            archive_date: c.archive.as_deref().and_then(super::archive_date),
            archive_verdict: c
                .archive
                .as_ref()
                .filter(|a| a.url.is_some())
                .map(|a| super::archive_verdict_phrase(a.verdict)),
            archive_replaces: c.archive.as_deref().is_some_and(super::archive_replaces),
            archive_none: c
                .archive
                .as_deref()
                .filter(|a| a.url.is_none())
                .map(super::archive_advice),
            change: c.history.as_ref().map(|h| h.change.as_str()),
        }
    }

    fn changes(&self, report: &RunReport) -> Option<Changes> {
        if report.citations.iter().all(|c| c.history.is_none()) {
            return None;
        }
        let mut counts: BTreeMap<Change, usize> = BTreeMap::new();
        let mut items = Vec::new();
        for c in &report.citations {
            let Some(h) = &c.history else { continue };
            *counts.entry(h.change).or_default() += 1;
            if matches!(
                h.change,
                Change::NewFailure | Change::Recovered | Change::VerdictChanged
            ) {
                let before = format!(
                    "{} / {}",
                    h.previous_status.map_or("–", LinkStatus::as_str),
                    h.previous_verdict.map_or("–", Verdict::as_str)
                );
                let after = format!(
                    "{} / {}",
                    c.link.as_ref().map_or("–", |l| l.status.as_str()),
                    c.verdict.map_or("–", Verdict::as_str)
                );
                items.push(ChangeItem {
                    change: h.change.as_str(),
                    path: self.location.show(&c.citation.source.path),
                    line: c.citation.source.line,
                    url: c.citation.url.clone(),
                    before,
                    after,
                });
            }
        }
        items.sort_by_key(|i| Change::ALL.iter().position(|c| c.as_str() == i.change));
        let counts = Change::ALL
            .iter()
            .filter_map(|c| counts.get(c).map(|n| (c.as_str(), *n)))
            .collect();
        Some((counts, items))
    }
}

impl Formatter for Html {
    fn write(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        let summary = report.summary();
        let mut cards = Vec::new();
        for s in LinkStatus::ALL {
            let count = summary.by_status.get(s.as_str()).copied().unwrap_or(0);
            if count > 0 || report.mode == Mode::Check {
                let severity = if self.fail_on.statuses.contains(&s) {
                    "failure"
                } else if s.is_alive() {
                    "pass"
                } else {
                    "warning"
                };
                cards.push(Card {
                    kind: "status",
                    key: s.as_str(),
                    count,
                    severity,
                });
            }
        }
        for v in Verdict::ALL {
            let count = summary.by_verdict.get(v.as_str()).copied().unwrap_or(0);
            if count > 0 || report.mode == Mode::Check {
                let severity = if self.fail_on.verdicts.contains(&v) {
                    "failure"
                } else if v == Verdict::Supported {
                    "pass"
                } else {
                    "warning"
                };
                cards.push(Card {
                    kind: "verdict",
                    key: v.as_str(),
                    count,
                    severity,
                });
            }
        }
        let mut groups: BTreeMap<String, Vec<Row>> = BTreeMap::new();
        for (i, c) in report.citations.iter().enumerate() {
            let row = self.row(i, &c);
            groups.entry(row.path.clone()).or_default().push(row);
        }
        let groups: Vec<Group> = groups
            .into_iter()
            .map(|(path, rows)| Group { path, rows })
            .collect();
        let failing = report
            .citations
            .iter()
            .filter(|c| severity(c, &self.fail_on) == Severity::Failure)
            .count();
        let (change_counts, change_items) = self.changes(report).unzip();
        let uncited: Vec<Uncited> = report
            .uncited
            .iter()
            .map(|u| Uncited {
                path: self.location.show(&u.source.path),
                line: u.source.line,
                claim: u.claim.text.clone(),
                supported_by_url: u.supported_by_url.clone(),
            })
            .collect();
        let errors: Vec<InputErrorRow> = report
            .errors
            .iter()
            .map(|e| InputErrorRow {
                path: self.location.show(&e.path),
                line: e.line,
                message: e.message.clone(),
            })
            .collect();
        let page = Page {
            nonce: format!("{:032x}", rand::random::<u128>()),
            generated_at: report
                .generated_at
                .to_rfc3339_opts(SecondsFormat::Secs, true),
            mode: report.mode,
            complete: report.complete,
            summary,
            failing,
            cards,
            groups,
            changes: change_counts,
            change_items,
            chart: chart(&report.history_runs),
            uncited,
            errors,
            version: env!("CARGO_PKG_VERSION"),
        };
        let mut env = Environment::new();
        env.add_template("report.html", TEMPLATE)
            .map_err(io::Error::other)?;
        let template = env.get_template("report.html").map_err(io::Error::other)?;
        let html = template.render(Serde(&page)).map_err(io::Error::other)?;
        out.write_all(html.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::config::Config;
    use crate::model::{
        ArchiveCopy, Citation, CitationHistory, Claim, Evidence, LinkResult, Reason, SourceSpan,
    };

    fn row(line: usize, url: &str, status: LinkStatus, history: Option<Change>) -> CitationResult {
        let when = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        CitationResult {
            citation: Arc::new(Citation {
                source: SourceSpan {
                    path: std::path::Path::new("reports/a.md").into(),
                    page: None,
                    line,
                },
                url: url.to_owned(),
                written_url: url.to_owned(),
                claim: Claim {
                    text: "A <b>claim</b> & more".to_owned(),
                    ..Claim::default()
                },
                context: None,
                repairs: Vec::new(),
                suggestions: Vec::new(),
            }),
            link: Some(LinkResult {
                reason: (!status.is_alive()).then_some(Reason::Http404),
                http_status: Some(if status.is_alive() { 200 } else { 404 }),
                ..LinkResult::unsent(status, Reason::Http404, "")
            }),
            verdict: Some(if status.is_alive() {
                Verdict::Supported
            } else {
                Verdict::Unverifiable
            }),
            evidence: Some(Evidence::default()),
            history: history.map(|change| CitationHistory {
                first_seen: when,
                last_ok: Some(when),
                failing_since: None,
                failures: 1,
                confirmed_dead: false,
                previous_status: Some(LinkStatus::Ok),
                previous_verdict: Some(Verdict::Supported),
                page_changed: false,
                change,
                previous_evidence: None,
            }),
            archive: None,
        }
    }

    fn report(citations: Vec<CitationResult>, runs: Vec<RunHealth>) -> RunReport {
        RunReport {
            mode: Mode::Check,
            generated_at: Utc.with_ymd_and_hms(2026, 11, 28, 19, 30, 0).unwrap(),
            complete: true,
            citations: citations.into(),
            unchecked: 0,
            uncited: Vec::new(),
            errors: Vec::new(),
            skipped_files: 0,
            urls: 2,
            elapsed_ms: 10,
            skipped_unchanged: 0,
            history_runs: runs,
        }
    }

    fn render(r: &RunReport) -> String {
        let html = Html {
            fail_on: Config::defaults().unwrap().fail_on,
            location: Location {
                root: PathBuf::from("/nonexistent"),
                cwd: PathBuf::from("/nonexistent"),
            },
        };
        let mut out = Vec::new();
        html.write(r, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn history_sections_only_with_history() {
        let plain = render(&report(
            vec![
                row(1, "https://a.example/x", LinkStatus::Ok, None),
                row(2, "https://a.example/y", LinkStatus::Broken, None),
            ],
            Vec::new(),
        ));
        assert_eq!(plain.matches("<tr class=\"row ").count(), 2);
        assert!(!plain.contains("Changes since the last run"));
        assert!(!plain.contains("<polyline"));
        assert!(plain.contains("A &lt;b&gt;claim&lt;&#x2f;b&gt; &amp; more"));

        let day = |d| Utc.with_ymd_and_hms(2026, 11, d, 5, 0, 0).unwrap();
        let runs = vec![
            RunHealth {
                started_at: day(7),
                alive: 10,
                failing: 0,
                confirmed_dead: 0,
                unsupported: 1,
            },
            RunHealth {
                started_at: day(14),
                alive: 9,
                failing: 1,
                confirmed_dead: 0,
                unsupported: 1,
            },
            RunHealth {
                started_at: day(21),
                alive: 8,
                failing: 2,
                confirmed_dead: 1,
                unsupported: 2,
            },
        ];
        let mut archived = row(
            3,
            "https://a.example/z",
            LinkStatus::Broken,
            Some(Change::StillFailing),
        );
        archived.archive = Some(Box::new(ArchiveCopy {
            url: Some("https://web.archive.org/web/20180412000000/https://a.example/z".to_owned()),
            timestamp: Some(day(1)),
            status: Some(LinkStatus::Ok),
            verdict: Some(Verdict::Supported),
            ..ArchiveCopy::default()
        }));
        let with = render(&report(
            vec![
                row(
                    1,
                    "https://a.example/x",
                    LinkStatus::Ok,
                    Some(Change::Unchanged),
                ),
                row(
                    2,
                    "https://a.example/y",
                    LinkStatus::Broken,
                    Some(Change::NewFailure),
                ),
                archived,
            ],
            runs,
        ));
        assert!(with.contains("Changes since the last run"));
        assert_eq!(
            with.matches("class=\"change-row\"").count(),
            1,
            "only the new failure is listed"
        );
        assert!(with.contains("<td class=\"change-new_failure\">new_failure</td>"));
        assert!(with.contains("ok &#x2f; supported"), "the state before");
        assert!(with.contains("Link health over 3 recorded runs"));
        assert_eq!(with.matches("<polyline").count(), 4);
        // alive: 10 → 9 → 8 on a 0..10 scale, x from 24 to 616.
        assert!(
            with.contains("points=\"24.0,24.0 320.0,35.2 616.0,46.4\""),
            "{with}"
        );
        assert!(with.contains("2026-11-07") && with.contains("2026-11-21"));
        assert!(with.contains("Replace with <a href=\"https:&#x2f;&#x2f;web.archive.org"));
    }

    #[test]
    fn only_web_links_are_links() {
        let r = report(
            vec![row(1, "javascript:alert(1)", LinkStatus::Excluded, None)],
            Vec::new(),
        );
        let html = render(&r);
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(html.contains("javascript:alert(1)"));
    }
}
