//! GitHub Actions output (`--format github`): workflow commands on stdout, which GitHub
//! turns into annotations on the report's lines, and a compact job summary.
//!
//! Rules: `::error` for results in `fail_on`, `::warning` for inconclusive or doubtful
//! ones (`blocked`, `soft_404`, `partial`, `unsupported`), nothing for the rest. Each
//! command names the file relative to the repository root and the line, with the reason
//! code in the title. Data is escaped as the runner expects (`%`, CR, LF; in properties
//! also `:` and `,`), so a hostile URL cannot end a command early or start another.
//! When `GITHUB_STEP_SUMMARY` names a file, a Markdown summary is appended to it.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::PathBuf;

use super::triage::{Location, Severity, message, reason, severity};
use super::{CitationResult, Formatter, RunReport};
use crate::config::FailOn;

/// Most failing citations listed in the job summary.
const SUMMARY_ROWS: usize = 50;

/// Renders [`RunReport`] as GitHub workflow commands (and a job summary).
#[derive(Debug, Clone)]
pub struct Github {
    pub fail_on: FailOn,
    pub location: Location,
    /// The job summary file (`$GITHUB_STEP_SUMMARY`), if any.
    pub step_summary: Option<PathBuf>,
}

/// Escape the message of a workflow command.
#[must_use]
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value of a workflow command.
#[must_use]
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Make text safe for one Markdown table cell of the job summary.
fn cell(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let short: String = one_line.chars().take(160).collect();
    let short = if one_line.chars().count() > 160 {
        format!("{short}…")
    } else {
        short
    };
    short
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
}

impl Github {
    fn command(&self, c: &CitationResult, sev: Severity) -> Option<String> {
        let kind = match sev {
            Severity::Failure => "error",
            Severity::Warning => "warning",
            Severity::Note | Severity::Pass => return None,
        };
        let code = reason(c).map_or("failing", |r| r.as_str());
        Some(format!(
            "::{kind} file={},line={},title={}::{}",
            escape_property(&self.location.show(&c.citation.source.path)),
            c.citation.source.line,
            escape_property(&format!("citecheck {code}")),
            escape_data(&message(c)),
        ))
    }

    fn summary(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        let s = report.summary();
        let failing: Vec<std::borrow::Cow<'_, CitationResult>> = report
            .citations
            .iter()
            .filter(|c| severity(c, &self.fail_on) == Severity::Failure)
            .collect();
        let warnings = report
            .citations
            .iter()
            .filter(|c| severity(c, &self.fail_on) == Severity::Warning)
            .count();
        writeln!(out, "## citecheck\n")?;
        let mut line = format!(
            "{} citations · {} URLs · **{} failing** · {} warnings",
            s.citations,
            s.urls,
            failing.len(),
            warnings
        );
        if s.skipped_unchanged > 0 {
            line.push_str(&format!(
                " · {} unchanged, not checked",
                s.skipped_unchanged
            ));
        }
        if !report.complete {
            line.push_str(&format!(" · interrupted, {} unchecked", s.unchecked));
        }
        if s.errors > 0 {
            line.push_str(&format!(" · {} input errors", s.errors));
        }
        writeln!(out, "{line}\n")?;
        let counts: Vec<String> = s
            .by_status
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .chain(
                s.by_verdict
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(k, n)| format!("{k} {n}")),
            )
            .collect();
        if !counts.is_empty() {
            writeln!(out, "{}\n", counts.join(" · "))?;
        }
        if !failing.is_empty() {
            writeln!(out, "| file | line | status | verdict | reason | URL |")?;
            writeln!(out, "|---|---:|---|---|---|---|")?;
            for c in failing.iter().take(SUMMARY_ROWS) {
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    cell(&self.location.show(&c.citation.source.path)),
                    c.citation.source.line,
                    c.link.as_ref().map_or("", |l| l.status.as_str()),
                    c.verdict.map_or("", |v| v.as_str()),
                    reason(c).map_or("", |r| r.as_str()),
                    cell(&c.citation.url),
                )?;
            }
            if failing.len() > SUMMARY_ROWS {
                writeln!(out, "\n… and {} more.", failing.len() - SUMMARY_ROWS)?;
            }
            writeln!(out)?;
        }
        Ok(())
    }
}

impl Formatter for Github {
    fn write(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        for c in &report.citations {
            if let Some(line) = self.command(&c, severity(&c, &self.fail_on)) {
                writeln!(out, "{line}")?;
            }
        }
        for e in &report.errors {
            let mut props = format!("file={}", escape_property(&self.location.show(&e.path)));
            if let Some(l) = e.line {
                props.push_str(&format!(",line={l}"));
            }
            writeln!(
                out,
                "::error {props},title=citecheck input error::{}",
                escape_data(&e.message)
            )?;
        }
        if !report.complete {
            writeln!(
                out,
                "::warning title=citecheck interrupted::{} citations were not checked",
                report.unchecked
            )?;
        }
        if let Some(path) = &self.step_summary {
            let mut f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("cannot append to the job summary {}: {e}", path.display()),
                    )
                })?;
            let mut text = Vec::new();
            self.summary(report, &mut text)?;
            f.write_all(&text)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_cannot_be_broken_out_of() {
        assert_eq!(escape_data("a%b\r\n::error::x"), "a%25b%0D%0A::error::x");
        assert_eq!(escape_property("a:b,c\n"), "a%3Ab%2Cc%0A");
        assert_eq!(cell("<b>|x\n"), "&lt;b&gt;\\|x");
    }
}
