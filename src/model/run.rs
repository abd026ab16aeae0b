//! The result of a run: one row per citation, and the run's own facts. Plain data, as
//! every formatter and listener (progress, JSON Lines stream, history store) reads it.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{
    ArchiveCopy, Change, Citation, CitationHistory, Evidence, LinkResult, LinkStatus, Rows,
    RunHealth, UncitedClaim, Verdict,
};
use crate::report::InputError;

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
    /// What earlier runs found (from the history store; `null` without one).
    #[serde(default)]
    pub history: Option<CitationHistory>,
    /// What the archive lookup found (an archived copy to use instead, or why there is
    /// none); always present in JSON, `null` when the citation was not looked up.
    #[serde(default)]
    pub archive: Option<Box<ArchiveCopy>>,
}

impl CitationResult {
    /// A row for `citation` with nothing known about it yet.
    #[must_use]
    pub fn unchecked(citation: Arc<Citation>) -> Self {
        CitationResult {
            citation,
            link: None,
            verdict: None,
            evidence: None,
            history: None,
            archive: None,
        }
    }
}

/// Everything a formatter needs.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub mode: Mode,
    pub generated_at: DateTime<Utc>,
    /// False when the run was interrupted: only the citations checked so far are listed.
    pub complete: bool,
    /// In citation order; for a large run mostly in a spill file ([`Rows`]).
    pub citations: Rows,
    /// Citations never checked because the run was interrupted.
    pub unchecked: usize,
    pub uncited: Vec<UncitedClaim>,
    pub errors: Vec<InputError>,
    pub skipped_files: usize,
    /// Distinct URLs (fetched once each).
    pub urls: usize,
    pub elapsed_ms: u64,
    /// Citations not checked because their lines did not change (`--changed-since`).
    pub skipped_unchanged: usize,
    /// Link health of the recorded runs, oldest first, this one last (from the history
    /// store; empty without one).
    pub history_runs: Vec<RunHealth>,
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
    /// Citations not checked because their lines did not change (`--changed-since`).
    pub skipped_unchanged: usize,
    pub elapsed_ms: u64,
    /// Citations per change since the last run, every change present (`null` without a
    /// history store).
    pub changes: Option<BTreeMap<&'static str, usize>>,
    /// Citations whose link is confirmed dead (`null` without a history store).
    pub confirmed_dead: Option<usize>,
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
        // From the rows' briefs: counting never reads rows back from the spill file.
        let mut any_history = false;
        let mut by_change: BTreeMap<&'static str, usize> =
            Change::ALL.iter().map(|c| (c.as_str(), 0)).collect();
        let mut dead = 0;
        for b in self.citations.briefs() {
            if let Some(s) = b.status {
                *by_status.entry(s.as_str()).or_insert(0) += 1;
            }
            if let Some(v) = b.verdict {
                *by_verdict.entry(v.as_str()).or_insert(0) += 1;
            }
            if let Some(c) = b.change {
                any_history = true;
                *by_change.entry(c.as_str()).or_insert(0) += 1;
            }
            dead += usize::from(b.confirmed_dead);
        }
        let recorded = !self.history_runs.is_empty() || any_history;
        let changes = recorded.then_some(by_change);
        let confirmed_dead = recorded.then_some(dead);
        Summary {
            citations: self.citations.len(),
            urls: self.urls,
            by_status,
            by_verdict,
            uncited_claims: self.uncited.len(),
            errors: self.errors.len(),
            skipped_files: self.skipped_files,
            unchecked: self.unchecked,
            skipped_unchanged: self.skipped_unchanged,
            elapsed_ms: self.elapsed_ms,
            changes,
            confirmed_dead,
        }
    }
}
