//! Last stage: render a finished run, one formatter per format behind [`Formatter`].
//!
//! The JSON layout (`version` 1) is a contract documented in the README; fields are only
//! ever added to it. The Markdown and HTML reports are for editors: what to fix, where,
//! and why. JUnit, SARIF, CSV and the GitHub workflow commands are for CI and scripts;
//! they share one triage of each result ([`triage`]: severity under `fail_on`, reason,
//! message, repository-relative path).

mod csv;
mod file;
mod github;
pub mod history;
mod html;
mod json;
mod jsonl;
mod junit;
mod markdown;
mod progress;
mod sarif;
pub mod triage;

use std::io::{self, Write};

use crate::model::{ArchiveCopy, Verdict};
pub use crate::model::{CitationResult, Mode, RunReport, Summary};

pub use csv::{CSV_COLUMNS, Csv};
pub use file::{OutputError, ReportOutput, ReportSink};
pub use github::{Github, escape_data, escape_property};
pub use html::Html;
pub use json::{JSON_VERSION, Json};
pub use jsonl::{JsonLines, JsonLinesStream};
pub use junit::Junit;
pub use markdown::Markdown;
pub use progress::{StderrProgress, summary_line};
pub use sarif::{FINGERPRINT_KEY, SARIF_SCHEMA, Sarif};

/// The date of an archived copy as editors read it (`12 Apr 2018`).
#[must_use]
pub fn archive_date(a: &ArchiveCopy) -> Option<String> {
    a.timestamp.map(|t| t.format("%-d %b %Y").to_string())
}

/// What an archived copy's verdict means for the claim, in words.
#[must_use]
pub fn archive_verdict_phrase(v: Option<Verdict>) -> &'static str {
    match v {
        Some(Verdict::Supported) => "supports the claim",
        Some(Verdict::Partial) => "supports the claim in part",
        _ => "does not support the claim either",
    }
}

/// Whether an archived copy is offered as the replacement (it supports the claim, at
/// least in part).
#[must_use]
pub fn archive_replaces(a: &ArchiveCopy) -> bool {
    a.url.is_some() && matches!(a.verdict, Some(Verdict::Supported | Verdict::Partial))
}

/// The archive lookup of a citation as one line for an editor: "Replace with URL
/// (archived 12 Apr 2018; supports the claim)", "Archived copy found (URL, archived …)
/// but it does not support the claim either", or why none was found.
#[must_use]
pub fn archive_advice(a: &ArchiveCopy) -> String {
    let date = archive_date(a).unwrap_or_else(|| "date unknown".to_owned());
    match &a.url {
        Some(url) if archive_replaces(a) => format!(
            "Replace with {url} (archived {date}; {})",
            archive_verdict_phrase(a.verdict)
        ),
        Some(url) => format!(
            "Archived copy found ({url}, archived {date}) but it does not support the claim either"
        ),
        None => format!(
            "No archived copy: {}",
            a.error
                .as_deref()
                .or(a.reason.map(crate::model::ArchiveReason::as_str))
                .unwrap_or("none found")
        ),
    }
}

/// One output format.
pub trait Formatter {
    /// Write the whole report.
    fn write(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()>;
}
