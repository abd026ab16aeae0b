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

/// One output format.
pub trait Formatter {
    /// Write the whole report.
    fn write(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()>;
}
