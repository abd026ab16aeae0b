//! The Markdown report (default): a broken-link report an editor can act on.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;

use chrono::SecondsFormat;

use super::{CitationResult, Formatter, Mode, RunReport};
use crate::model::{Change, LinkStatus, Verdict};

/// Renders [`RunReport`] as Markdown.
#[derive(Debug, Default, Clone, Copy)]
pub struct Markdown;

/// Longest claim text shown in a table cell, in characters.
const CLAIM_CHARS: usize = 120;

/// Make text safe for one table cell: one line, no pipes, bounded length.
pub(crate) fn cell(text: &str, max_chars: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut s: String = one_line.chars().take(max_chars).collect();
    if one_line.chars().count() > max_chars {
        s.push('…');
    }
    s.replace('|', "\\|")
}

/// A row as a formatter holds it: borrowed, or read back from the spill file.
type Row<'a> = Cow<'a, CitationResult>;

fn by_file<'a>(items: impl Iterator<Item = Row<'a>>) -> BTreeMap<PathBuf, Vec<Row<'a>>> {
    let mut map: BTreeMap<PathBuf, Vec<Row<'a>>> = BTreeMap::new();
    for c in items {
        match map.get_mut(&*c.citation.source.path) {
            Some(list) => list.push(c),
            None => {
                map.insert(c.citation.source.path.to_path_buf(), vec![c]);
            }
        }
    }
    map
}

fn link_detail(c: &CitationResult) -> String {
    let Some(l) = &c.link else {
        return String::new();
    };
    match (&l.http_status, &l.error) {
        (Some(code), Some(e)) => format!("HTTP {code}: {e}"),
        (Some(code), None) => format!("HTTP {code}"),
        (None, Some(e)) => e.clone(),
        (None, None) => String::new(),
    }
}

impl Markdown {
    fn summary(report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        let s = report.summary();
        writeln!(out, "# citecheck report\n")?;
        writeln!(
            out,
            "Generated {} · {} citations · {} distinct URLs · {} uncited claims{}\n",
            report
                .generated_at
                .to_rfc3339_opts(SecondsFormat::Secs, true),
            s.citations,
            s.urls,
            s.uncited_claims,
            if report.mode == Mode::Check {
                format!(" · {:.1} s", report.elapsed_ms as f64 / 1000.0)
            } else {
                String::new()
            }
        )?;
        if s.skipped_unchanged > 0 {
            writeln!(
                out,
                "{} citations on unchanged lines were skipped (`--changed-since`).\n",
                s.skipped_unchanged
            )?;
        }
        if !report.complete {
            writeln!(
                out,
                "> **Incomplete:** the run was interrupted; {} citations were not checked.\n",
                report.unchecked
            )?;
        }
        if let (Some(changes), Some(dead)) = (&s.changes, s.confirmed_dead) {
            let mut parts: Vec<String> = Change::ALL
                .iter()
                .filter_map(|c| {
                    let n = changes.get(c.as_str()).copied().unwrap_or(0);
                    (n > 0).then(|| format!("{n} {}", c.as_str().replace('_', " ")))
                })
                .collect();
            if parts.is_empty() {
                parts.push("nothing".to_owned());
            }
            writeln!(
                out,
                "Since the last recorded run: {}; {dead} confirmed dead.\n",
                parts.join(", ")
            )?;
        }
        if report.mode == Mode::Check {
            writeln!(out, "| status | citations |\n|---|---:|")?;
            for (k, v) in &s.by_status {
                writeln!(out, "| {k} | {v} |")?;
            }
            writeln!(out, "\n| verdict | citations |\n|---|---:|")?;
            for (k, v) in &s.by_verdict {
                writeln!(out, "| {k} | {v} |")?;
            }
            writeln!(out)?;
        }
        Ok(())
    }

    /// What changed since the last recorded run, most urgent first (only with a
    /// history store): new failures, verdicts that changed (with both evidences),
    /// recovered links, then links confirmed dead after repeated failures.
    fn changes(report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        let with_change = |c: Change| -> Vec<Row<'_>> {
            report
                .citations
                .select(move |b| b.change == Some(c))
                .collect()
        };
        Self::link_table(
            "New failures",
            "Alive at the last run, failing now.",
            &with_change(Change::NewFailure),
            out,
        )?;
        let changed = with_change(Change::VerdictChanged);
        Self::section(
            "Verdicts changed",
            "The page is alive but no longer says the same about the claim (or says it again).",
            &changed,
            out,
            |list, out| {
                for c in list {
                    let h = c.history.as_ref();
                    writeln!(
                        out,
                        "- **line {}** — {}
  - URL: {}
  - was **{}**, now **{}**{}",
                        c.citation.source.line,
                        cell(&c.citation.claim.text, 300),
                        c.citation.url,
                        h.and_then(|h| h.previous_verdict)
                            .map_or("—", Verdict::as_str),
                        c.verdict.map_or("—", Verdict::as_str),
                        if h.is_some_and(|h| h.page_changed) {
                            " (the page's main text changed)"
                        } else {
                            ""
                        }
                    )?;
                    let evidence = |e: &crate::model::Evidence| {
                        format!(
                            "score {:.2}; found: {}; missing: {}",
                            e.score,
                            if e.matched_keywords.is_empty() {
                                "—".to_owned()
                            } else {
                                e.matched_keywords.join(", ")
                            },
                            if e.missing_keywords.is_empty() {
                                "—".to_owned()
                            } else {
                                e.missing_keywords.join(", ")
                            }
                        )
                    };
                    if let Some(e) = h.and_then(|h| h.previous_evidence.as_ref()) {
                        writeln!(out, "  - before: {}", cell(&evidence(e), 300))?;
                    }
                    if let Some(e) = &c.evidence {
                        writeln!(out, "  - now: {}", cell(&evidence(e), 300))?;
                    }
                }
                Ok(())
            },
        )?;
        Self::link_table(
            "Recovered links",
            "Failing at the last run, alive again.",
            &with_change(Change::Recovered),
            out,
        )?;
        let dead: Vec<Row<'_>> = report.citations.select(|b| b.confirmed_dead).collect();
        Self::link_table(
            "Confirmed dead",
            "Failed on repeated checks over several days (see `history.dead_after_failures` and `dead_after_days`): replace or remove these.",
            &dead,
            out,
        )
    }

    /// A `## title (n)` section with one `### file` part per report, unless empty.
    fn section(
        title: &str,
        intro: &str,
        items: &[Row<'_>],
        out: &mut dyn Write,
        part: impl Fn(&[Row<'_>], &mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        writeln!(out, "## {title} ({})\n\n{intro}\n", items.len())?;
        for (path, list) in by_file(items.iter().map(|c| Cow::Borrowed(&**c))) {
            writeln!(out, "### {}\n", path.display())?;
            part(&list, out)?;
            writeln!(out)?;
        }
        Ok(())
    }

    fn link_table(
        title: &str,
        intro: &str,
        items: &[Row<'_>],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        Self::section(title, intro, items, out, |list, out| {
            writeln!(
                out,
                "| line | claim | status | verdict | HTTP / error | URL | final URL |\n|---:|---|---|---|---|---|---|"
            )?;
            for c in list {
                let l = c.link.as_ref();
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    c.citation.source.line,
                    cell(&c.citation.claim.text, CLAIM_CHARS),
                    l.map_or("", |l| l.status.as_str()),
                    c.verdict.map_or("", Verdict::as_str),
                    cell(&link_detail(c), 160),
                    cell(&c.citation.url, 300),
                    cell(l.and_then(|l| l.final_url.as_deref()).unwrap_or(""), 300),
                )?;
            }
            Self::archive_lines(list, out)
        })
    }

    /// Under a link table: what the archive lookup found for each of its rows.
    fn archive_lines(list: &[Row<'_>], out: &mut dyn Write) -> io::Result<()> {
        let looked_up: Vec<&Row<'_>> = list.iter().filter(|c| c.archive.is_some()).collect();
        if looked_up.is_empty() {
            return Ok(());
        }
        writeln!(out)?;
        for c in looked_up {
            if let Some(a) = &c.archive {
                writeln!(
                    out,
                    "- line {}: {}",
                    c.citation.source.line,
                    cell(&super::archive_advice(a), 600)
                )?;
            }
        }
        Ok(())
    }

    fn verdict_section(
        title: &str,
        intro: &str,
        items: &[Row<'_>],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        Self::section(title, intro, items, out, |list, out| {
            for c in list {
                let cit = &c.citation;
                writeln!(
                    out,
                    "- **line {}** — {}\n  - URL: {}",
                    cit.source.line,
                    cell(&cit.claim.text, 300),
                    cit.url
                )?;
                if let Some(e) = &c.evidence {
                    let claim_date = cit
                        .claim
                        .date
                        .map_or_else(|| "none".to_owned(), |d| d.to_string());
                    let page_date = match (e.page_date, e.page_date_source) {
                        (Some(d), Some(src)) => format!("{d} (from {src:?})").to_lowercase(),
                        (Some(d), None) => d.to_string(),
                        _ => "not found".to_owned(),
                    };
                    writeln!(
                        out,
                        "  - claim date {claim_date}; page date {page_date}; claim date in text: {}; score {:.2}",
                        if e.claim_date_found { "yes" } else { "no" },
                        e.score
                    )?;
                    if !e.matched_keywords.is_empty() {
                        writeln!(out, "  - found: {}", e.matched_keywords.join(", "))?;
                    }
                    if !e.missing_keywords.is_empty() {
                        writeln!(out, "  - missing: {}", e.missing_keywords.join(", "))?;
                    }
                    if let Some(s) = &e.snippet {
                        writeln!(out, "  - page says: “{}”", cell(s, 200))?;
                    }
                    for n in &e.notes {
                        writeln!(out, "  - note: {n}")?;
                    }
                }
                if let Some(a) = &c.archive {
                    writeln!(out, "  - {}", cell(&super::archive_advice(a), 600))?;
                }
            }
            Ok(())
        })
    }

    fn extract_table(report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "## Citations ({})\n", report.citations.len())?;
        for (path, list) in by_file(report.citations.iter()) {
            writeln!(out, "### {}\n", path.display())?;
            writeln!(
                out,
                "| line | date | claim | URL | keywords |\n|---:|---|---|---|---|"
            )?;
            for c in list {
                let cit = &c.citation;
                let kws: Vec<&str> = cit
                    .claim
                    .keywords
                    .iter()
                    .take(5)
                    .map(|k| &*k.term)
                    .collect();
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    cit.source.line,
                    cit.claim.date.map(|d| d.to_string()).unwrap_or_default(),
                    cell(&cit.claim.text, CLAIM_CHARS),
                    cell(&cit.url, 300),
                    cell(&kws.join(", "), 100)
                )?;
            }
            writeln!(out)?;
        }
        Ok(())
    }

    fn tail(report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        if !report.uncited.is_empty() {
            writeln!(
                out,
                "## Uncited claims ({})\n\nStated without a source next to them.\n",
                report.uncited.len()
            )?;
            writeln!(
                out,
                "| where | claim | supported elsewhere by |\n|---|---|---|"
            )?;
            for u in &report.uncited {
                let by = match (&u.supported_by, &u.supported_by_url) {
                    (Some(s), Some(url)) => format!("{s} {url}"),
                    (Some(s), None) => s.to_string(),
                    _ => String::new(),
                };
                writeln!(
                    out,
                    "| {} | {} | {} |",
                    u.source,
                    cell(&u.claim.text, CLAIM_CHARS),
                    cell(&by, 300)
                )?;
            }
            writeln!(out)?;
        }
        if !report.errors.is_empty() {
            writeln!(out, "## Input errors ({})\n", report.errors.len())?;
            for e in &report.errors {
                match e.line {
                    Some(l) => writeln!(out, "- {}:{l}: {}", e.path.display(), e.message)?,
                    None => writeln!(out, "- {}: {}", e.path.display(), e.message)?,
                }
            }
            writeln!(out)?;
        }
        if report.skipped_files > 0 {
            writeln!(
                out,
                "{} files under the given directories were skipped (not .md, .markdown, .html, .htm or .txt).",
                report.skipped_files
            )?;
        }
        Ok(())
    }
}

impl Formatter for Markdown {
    fn write(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        Self::summary(report, out)?;
        if report.mode == Mode::Extract {
            Self::extract_table(report, out)?;
            return Self::tail(report, out);
        }
        let with_status = |pred: &dyn Fn(LinkStatus) -> bool| -> Vec<Row<'_>> {
            report
                .citations
                .select(move |b| b.status.is_some_and(pred))
                .collect()
        };
        let with_verdict = |v: Verdict| -> Vec<Row<'_>> {
            report
                .citations
                .select(move |b| b.verdict == Some(v) && b.status.is_some_and(LinkStatus::is_alive))
                .collect()
        };
        Self::changes(report, out)?;
        Self::link_table(
            "Links to fix",
            "Dead, unreachable, invalid or soft-404 links (a 200 page that says it is gone).",
            &with_status(&|s| {
                matches!(
                    s,
                    LinkStatus::Broken
                        | LinkStatus::Unreachable
                        | LinkStatus::Timeout
                        | LinkStatus::Invalid
                        | LinkStatus::Soft404
                )
            }),
            out,
        )?;
        Self::link_table(
            "Blocked links",
            "The server refused us (401, 403, 429, a bot challenge): inconclusive, not dead. Check these by hand.",
            &with_status(&|s| s == LinkStatus::Blocked),
            out,
        )?;
        Self::verdict_section(
            "Unsupported claims",
            "The page is alive, but its main text does not hold the claim's key terms: the content changed or the link points elsewhere.",
            &with_verdict(Verdict::Unsupported),
            out,
        )?;
        Self::verdict_section(
            "Partially supported claims",
            "The key terms are there, but the claim's date is not (or the page is from another time).",
            &with_verdict(Verdict::Partial),
            out,
        )?;
        Self::link_table(
            "Redirected links",
            "Alive at another address: consider citing the final URL.",
            &with_status(&|s| s == LinkStatus::Redirected),
            out,
        )?;
        Self::link_table(
            "Excluded links",
            "Not checked by policy (exclude patterns, private addresses, robots.txt, non-web links).",
            &with_status(&|s| s == LinkStatus::Excluded),
            out,
        )?;
        Self::tail(report, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_one_line_escaped_and_bounded() {
        assert_eq!(cell("a | b\nc", 50), "a \\| b c");
        assert_eq!(cell("互联网+医疗健康", 3), "互联网…");
    }
}
