//! A distributed run's report, from the store: every completed work item keeps its
//! rows (as JSON, in the transaction that completed it), the run keeps what the planner
//! knew (uncited claims, input errors). A run with items not done is reported as it
//! stands, marked incomplete (`complete: false`, `unchecked` counting the rest).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{DistError, PlanInfo, db, postgres};
use crate::model::{
    ArchiveCopy, Citation, CitationHistory, CitationResult, Evidence, LinkResult, Mode, RunReport,
    Verdict,
};
use crate::store::Store;
use crate::store::recording::HEALTH_RUNS;

/// One row of a work item's results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredRow {
    index: usize,
    citation: Citation,
    link: Option<LinkResult>,
    verdict: Option<Verdict>,
    evidence: Option<Evidence>,
    history: Option<CitationHistory>,
    archive: Option<ArchiveCopy>,
}

impl StoredRow {
    pub(crate) fn new(index: usize, r: &CitationResult) -> Self {
        StoredRow {
            index,
            citation: (*r.citation).clone(),
            link: r.link.clone(),
            verdict: r.verdict,
            evidence: r.evidence.clone(),
            history: r.history.clone(),
            archive: r.archive.as_deref().cloned(),
        }
    }

    fn into_result(self) -> (usize, CitationResult) {
        (
            self.index,
            CitationResult {
                citation: Arc::new(self.citation),
                link: self.link,
                verdict: self.verdict,
                evidence: self.evidence,
                history: self.history,
                archive: self.archive.map(Box::new),
            },
        )
    }
}

/// The report of distributed run `run` as the store has it now.
pub async fn report(store: &Store, run: i64) -> Result<RunReport, DistError> {
    let pool = postgres(store)?;
    let head: Option<(String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT d.plan, r.started_at, r.finished_at FROM dist_runs d JOIN runs r ON r.id = d.run_id \
         WHERE d.run_id = $1",
    )
    .bind(run)
    .fetch_optional(pool)
    .await
    .map_err(|e| db(store, &e))?;
    let Some((plan, started, finished)) = head else {
        return Err(DistError::NoSuchRun(run));
    };
    let info: PlanInfo = serde_json::from_str(&plan).unwrap_or_default();
    let items: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT state, results FROM work_items WHERE run_id = $1 ORDER BY id")
            .bind(run)
            .fetch_all(pool)
            .await
            .map_err(|e| db(store, &e))?;
    let mut rows: Vec<(usize, CitationResult)> = Vec::new();
    let mut open = false;
    for (state, results) in items {
        match results.filter(|_| state == "done") {
            Some(json) => rows.extend(
                serde_json::from_str::<Vec<StoredRow>>(&json)
                    .unwrap_or_default()
                    .into_iter()
                    .map(StoredRow::into_result),
            ),
            None => open = true,
        }
    }
    rows.sort_by_key(|(i, _)| *i);
    let citations: Vec<CitationResult> = rows.into_iter().map(|(_, r)| r).collect();
    let unchecked = info.citations.saturating_sub(citations.len());
    let history_runs = store.run_health(HEALTH_RUNS).await.unwrap_or_default();
    Ok(RunReport {
        mode: Mode::Check,
        generated_at: chrono::Utc::now(),
        complete: !open && unchecked == 0,
        citations: citations.into(),
        unchecked,
        uncited: info.uncited,
        errors: info.errors,
        skipped_files: info.skipped_files,
        urls: info.urls,
        elapsed_ms: finished
            .map(|f| u64::try_from(f - started).unwrap_or(0))
            .unwrap_or(0),
        skipped_unchanged: info.skipped_unchanged,
        history_runs,
    })
}
