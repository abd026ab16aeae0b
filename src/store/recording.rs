//! One `check` recorded in the store, from beginning to end: open the store, begin the
//! run, load what is known of its URLs, feed the writer while the pipeline runs, then
//! finish the run and read back the health of the recent runs for the report.

use std::sync::Arc;

use tokio::task::JoinHandle;

use super::memory::History;
use super::writer::{self, StoreListener, Written};
use super::{Store, StoreError};
use crate::config::Config;
use crate::model::RunReport;
use crate::pipeline::{self, Memory};
use crate::report::Extraction;

/// Runs shown in the report's history chart.
pub const HEALTH_RUNS: usize = 52;

/// A run being recorded.
pub struct Recording {
    store: Store,
    run: i64,
    history: Arc<History>,
    listener: StoreListener,
    task: JoinHandle<Written>,
}

/// A recording that did not keep everything.
#[derive(Debug, thiserror::Error)]
#[error("{error}; only {rows} rows were recorded in the history store")]
pub struct Incomplete {
    pub rows: usize,
    pub error: StoreError,
}

impl Recording {
    /// Open the store at `url` and begin a run over `extraction` (an error names the
    /// store; the caller runs on without it).
    pub async fn begin(
        url: &str,
        config: &Config,
        extraction: &Extraction,
    ) -> Result<Recording, StoreError> {
        let store = Store::open(url).await?;
        let options = config.store.history;
        let started = options.now.unwrap_or_else(chrono::Utc::now);
        let keys = pipeline::url_keys(extraction);
        let prior = store.prior(&keys).await?;
        let run = store
            .begin_run(started, &settings(config), keys.len())
            .await?;
        let history = History::new(store.clone(), prior, options, started);
        let (listener, task) = writer::start(Arc::clone(&history), config.clone(), run);
        Ok(Recording {
            store,
            run,
            history,
            listener,
            task,
        })
    }

    /// The listener that records every result.
    pub fn listener(&mut self) -> &mut StoreListener {
        &mut self.listener
    }

    /// What earlier runs know, for the pipeline.
    #[must_use]
    pub fn memory(&self) -> Arc<dyn Memory> {
        Arc::clone(&self.history) as Arc<dyn Memory>
    }

    /// Commit what is left, mark the run complete (or not) and fill the report's
    /// history of recent runs.
    pub async fn finish(mut self, report: &mut RunReport) -> Result<(), Incomplete> {
        self.listener.close();
        let written = self.task.await.unwrap_or_default();
        let finished = self.history.now();
        let complete = report.complete && written.error.is_none();
        let finish = self.store.finish_run(self.run, finished, complete).await;
        let result = match written.error.map(Err).unwrap_or(finish) {
            Ok(()) => {
                match self.store.run_health(HEALTH_RUNS).await {
                    Ok(runs) => report.history_runs = runs,
                    Err(e) => tracing::warn!("{e}"),
                }
                Ok(())
            }
            Err(error) => Err(Incomplete {
                rows: written.rows,
                error,
            }),
        };
        self.store.close().await;
        result
    }
}

/// The settings that affect results, as recorded with each run.
pub fn settings(config: &Config) -> String {
    let f = &config.fetch;
    serde_json::json!({
        "user_agent": f.user_agent,
        "timeout_ms": u64::try_from(f.timeout.as_millis()).unwrap_or(u64::MAX),
        "max_redirects": f.max_redirects,
        "max_body_bytes": f.max_body_bytes,
        "allow_private": f.allow_private,
        "respect_robots": f.respect_robots,
        "soft404_probe": f.soft404_probe,
        "exclude": f.exclude.iter().map(regex::Regex::as_str).collect::<Vec<_>>(),
        "verify": format!("{:?}", config.verify),
        "fail_on": format!("{:?}", config.fail_on),
        "base_url": config.extract.base_url.as_ref().map(url::Url::as_str),
        "history": format!("{:?}", config.store.history),
    })
    .to_string()
}
