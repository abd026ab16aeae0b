//! Last stage: render a finished run, one formatter per format behind [`Formatter`].
//!
//! The JSON layout (`version` 1) is a contract documented in the README; fields are only
//! ever added to it. The Markdown report is for editors: what to fix, where, and why.

mod file;
mod json;
mod jsonl;
mod markdown;
mod progress;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Citation, Evidence, LinkResult, LinkStatus, UncitedClaim, Verdict};
use crate::report::InputError;

pub use file::{OutputError, ReportOutput, ReportSink};
pub use json::{JSON_VERSION, Json};
pub use jsonl::{JsonLines, JsonLinesStream};
pub use markdown::Markdown;
pub use progress::{StderrProgress, summary_line};

/// What a run did: `check` fetches and verifies, `extract` only reads the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Check,
    Extract,
}

/// One citation with what the run found out about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CitationResult {
    /// Shared with the pipeline's list of citations (one allocation per citation).
    #[serde(flatten)]
    pub citation: Arc<Citation>,
    /// `None` for `extract`.
    pub link: Option<LinkResult>,
    /// `None` for `extract`.
    pub verdict: Option<Verdict>,
    pub evidence: Option<Evidence>,
}

/// Everything a formatter needs.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub mode: Mode,
    pub generated_at: DateTime<Utc>,
    /// False when the run was interrupted: only the citations checked so far are listed.
    pub complete: bool,
    pub citations: Vec<CitationResult>,
    /// Citations never checked because the run was interrupted.
    pub unchecked: usize,
    pub uncited: Vec<UncitedClaim>,
    pub errors: Vec<InputError>,
    pub skipped_files: usize,
    /// Distinct URLs (fetched once each).
    pub urls: usize,
    pub elapsed_ms: u64,
}

/// Counts for the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub citations: usize,
    pub urls: usize,
    pub by_status: BTreeMap<&'static str, usize>,
    pub by_verdict: BTreeMap<&'static str, usize>,
    pub uncited_claims: usize,
    pub errors: usize,
    pub skipped_files: usize,
    pub unchecked: usize,
    pub elapsed_ms: u64,
}

impl RunReport {
    /// Counts by status and verdict, every status and verdict present (zero or not) in
    /// `check` mode so scripts can index them without checking.
    #[must_use]
    pub fn summary(&self) -> Summary {
        let mut by_status = BTreeMap::new();
        let mut by_verdict = BTreeMap::new();
        if self.mode == Mode::Check {
            for s in LinkStatus::ALL {
                by_status.insert(s.as_str(), 0);
            }
            for v in Verdict::ALL {
                by_verdict.insert(v.as_str(), 0);
            }
        }
        for c in &self.citations {
            if let Some(l) = &c.link {
                *by_status.entry(l.status.as_str()).or_insert(0) += 1;
            }
            if let Some(v) = c.verdict {
                *by_verdict.entry(v.as_str()).or_insert(0) += 1;
            }
        }
        Summary {
            citations: self.citations.len(),
            urls: self.urls,
            by_status,
            by_verdict,
            uncited_claims: self.uncited.len(),
            errors: self.errors.len(),
            skipped_files: self.skipped_files,
            unchecked: self.unchecked,
            elapsed_ms: self.elapsed_ms,
        }
    }
}

/// One output format.
pub trait Formatter {
    /// Write the whole report.
    fn write(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()>;
}

/// Progress events for the display; the consumer sends them, workers never print.
pub trait Progress: Send {
    /// The number of distinct URLs to check is known.
    fn start(&mut self, urls: usize);
    /// One URL is done; `failing` counts failing citations so far.
    fn advance(&mut self, failing: usize);
    /// One citation is checked (called as results arrive, for streaming output). An
    /// error (a full disk under a JSON Lines stream) stops the run: nothing more could be
    /// kept.
    fn checked(&mut self, _result: &CitationResult) -> io::Result<()> {
        Ok(())
    }
    /// The run is over.
    fn finish(&mut self, report: &RunReport);
}

/// A progress display that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&mut self, _urls: usize) {}
    fn advance(&mut self, _failing: usize) {}
    fn finish(&mut self, _report: &RunReport) {}
}
