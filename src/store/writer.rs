//! The store as a [`Listener`]: rows go through a channel to one writer task that
//! commits them in batched transactions, so the fetchers never wait on the database and
//! a run killed at any moment keeps everything up to the last batch (at most
//! [`BATCH_DELAY`] of results). When the writer falls behind by more than
//! [`MAX_BACKLOG`] records, the listener is not [`Listener::ready`] until it catches up:
//! the run slows down rather than queueing records in memory.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

use super::memory::{History, claim_key};
use super::queries::{CheckRecord, CitationRecord, Record};
use super::{SNAPSHOT_MAX_CHROME_BYTES, SNAPSHOT_MAX_MAIN_BYTES, StoreError, is_check};
use crate::config::Config;
use crate::model::{CitationResult, UrlCheck, Verdict};
use crate::pipeline::{Listener, is_failing};

/// Rows per transaction at most.
pub const BATCH_ROWS: usize = 2000;
/// Longest a row waits before its batch is committed.
pub const BATCH_DELAY: Duration = Duration::from_millis(200);
/// Records sent to the writer and not yet committed beyond which the listener makes the
/// run wait.
pub const MAX_BACKLOG: usize = 4 * BATCH_ROWS;

/// Records sent to the writer and not yet committed, and a wake-up when some are.
#[derive(Debug, Default)]
struct Backlog {
    queued: AtomicUsize,
    drained: Notify,
}

impl Backlog {
    fn done(&self, n: usize) {
        self.queued.fetch_sub(n, Ordering::AcqRel);
        self.drained.notify_waiters();
    }
}

/// What the writer did.
#[derive(Debug, Default)]
pub struct Written {
    pub rows: usize,
    /// The first write that failed; rows after it were not recorded.
    pub error: Option<StoreError>,
}

/// The listener half: turns events into records and sends them to the writer.
pub struct StoreListener {
    history: Arc<History>,
    config: Config,
    tx: Option<mpsc::UnboundedSender<Record>>,
    /// The key of the URL whose rows come next (rows follow their `url_checked`).
    url: String,
    backlog: Arc<Backlog>,
}

/// Start the writer task for run `run`; the listener feeds it, and the handle yields
/// what was written once the listener is dropped.
#[must_use]
pub fn start(
    history: Arc<History>,
    config: Config,
    run: i64,
) -> (StoreListener, JoinHandle<Written>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let store = history.store().clone();
    let backlog = Arc::new(Backlog::default());
    let task = tokio::spawn(write_batches(store, run, rx, Arc::clone(&backlog)));
    (
        StoreListener {
            history,
            config,
            url: String::new(),
            tx: Some(tx),
            backlog,
        },
        task,
    )
}

impl StoreListener {
    fn send(&self, record: Record) {
        if let Some(tx) = &self.tx {
            // The writer keeps draining after an error, so this only fails once it is gone.
            self.backlog.queued.fetch_add(1, Ordering::AcqRel);
            if tx.send(record).is_err() {
                self.backlog.done(1);
            }
        }
    }

    /// Stop feeding the writer (it then commits what it has and ends).
    pub fn close(&mut self) {
        self.tx = None;
    }
}

/// Whether a later run may reuse this check: alive, not cut short, no failing verdict.
fn reusable(check: &UrlCheck) -> bool {
    check.link.status.is_alive()
        && check.link.reason.is_none()
        && !check.link.cached
        && check
            .verdicts
            .iter()
            .all(|v| matches!(v, Verdict::Supported | Verdict::Partial))
}

impl Listener for StoreListener {
    fn url_checked(&mut self, check: &UrlCheck) -> io::Result<()> {
        self.url.clone_from(&check.url);
        for r in check_records(&self.history, check) {
            self.send(r);
        }
        Ok(())
    }

    fn checked(&mut self, row: &CitationResult) -> io::Result<()> {
        for r in row_records(&self.history, &self.config, &self.url, row) {
            self.send(r);
        }
        Ok(())
    }

    fn ready(&mut self) -> futures::future::BoxFuture<'_, ()> {
        Box::pin(async move {
            let Some(tx) = &self.tx else { return };
            loop {
                let drained = self.backlog.drained.notified();
                let mut drained = std::pin::pin!(drained);
                // Registered before the count is read: no wake-up is missed.
                drained.as_mut().enable();
                if self.backlog.queued.load(Ordering::Acquire) <= MAX_BACKLOG || tx.is_closed() {
                    return;
                }
                // Look again now and then, should the writer be gone without a word.
                let _ = tokio::time::timeout(Duration::from_millis(500), drained).await;
            }
        })
    }
}

/// The records of one checked URL and its rows, as the listener sends them (a
/// distributed worker writes them with the completion of its work item).
#[must_use]
pub fn records(
    history: &History,
    config: &Config,
    check: &UrlCheck,
    rows: &[CitationResult],
) -> Vec<Record> {
    let mut out = check_records(history, check);
    for row in rows {
        out.extend(row_records(history, config, &check.url, row));
    }
    out
}

/// The records of one checked URL: its check and its per-URL summary.
fn check_records(history: &History, check: &UrlCheck) -> Vec<Record> {
    let next = history.after(check);
    if !is_check(check.link.status) {
        // Not a check of the link (excluded, invalid): nothing to count, but the URL is
        // known from now on, so the next run does not call it a new link.
        return if history.before(&check.url).is_none() {
            vec![Record::Link(check.url.clone(), next)]
        } else {
            Vec::new()
        };
    }
    let page_changed = match (
        history
            .before(&check.url)
            .and_then(|p| p.fingerprint.as_deref()),
        check.fingerprint.as_deref(),
    ) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    };
    let reusable = reusable(check);
    let mut out = vec![Record::Check(Box::new(CheckRecord {
        url: check.url.clone(),
        checked_at: check.checked_at,
        link: check.link.clone(),
        fingerprint: check.fingerprint.clone(),
        page_changed,
        reusable,
        page: check
            .page
            .clone()
            .filter(|_| reusable)
            .map(|p| p.bounded(SNAPSHOT_MAX_MAIN_BYTES, SNAPSHOT_MAX_CHROME_BYTES)),
    }))];
    if !check.link.cached {
        out.push(Record::Link(check.url.clone(), next));
    }
    out
}

/// The records of one citation row: the citation, and its claim's last verdict.
fn row_records(history: &History, config: &Config, url: &str, row: &CitationResult) -> Vec<Record> {
    use crate::pipeline::Memory;
    let mut out = Vec::new();
    let c = &row.citation;
    let url = url.to_owned();
    let key = claim_key(c);
    let status = row.link.as_ref().map(|l| l.status);
    if row.verdict.is_some() && status.is_some_and(is_check) {
        out.push(Record::Claim {
            url: url.clone(),
            claim_key: key.clone(),
            verdict: row.verdict,
            evidence: row
                .evidence
                .as_ref()
                .and_then(|e| serde_json::to_string(e).ok()),
            archive: row
                .archive
                .as_ref()
                .filter(|a| a.url.is_some() && a.verdict == Some(Verdict::Supported))
                .and_then(|a| serde_json::to_string(a).ok()),
            at: history.now(),
        });
    }
    out.push(Record::Citation(Box::new(CitationRecord {
        url,
        claim_key: key,
        path: c.source.path.to_string_lossy().into_owned(),
        line: c.source.line,
        claim: c.claim.text.clone(),
        status,
        verdict: row.verdict,
        reason: row
            .evidence
            .as_ref()
            .and_then(|e| e.reason)
            .or_else(|| row.link.as_ref().and_then(|l| l.reason))
            .map(|r| r.as_str().to_owned()),
        evidence: row
            .evidence
            .as_ref()
            .and_then(|e| serde_json::to_string(e).ok()),
        change: row.history.as_ref().map(|h| h.change.as_str()),
        failing: is_failing(row, config),
        confirmed_dead: row.history.as_ref().is_some_and(|h| h.confirmed_dead),
        archive: row
            .archive
            .as_ref()
            .and_then(|a| serde_json::to_string(a).ok()),
    })));
    out
}

/// Commit records in batches of at most [`BATCH_ROWS`], none waiting longer than
/// [`BATCH_DELAY`]. After a failed write, keep draining (the run must not stall) but
/// write nothing more.
async fn write_batches(
    store: super::Store,
    run: i64,
    mut rx: mpsc::UnboundedReceiver<Record>,
    backlog: Arc<Backlog>,
) -> Written {
    let mut written = Written::default();
    let mut batch: Vec<Record> = Vec::new();
    loop {
        let deadline = tokio::time::Instant::now() + BATCH_DELAY;
        let open = loop {
            if batch.len() >= BATCH_ROWS {
                break true;
            }
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(r)) => batch.push(r),
                Ok(None) => break false,
                Err(_) => break true,
            }
        };
        if !batch.is_empty() && written.error.is_none() {
            match store.write(run, &batch).await {
                Ok(()) => written.rows += batch.len(),
                Err(e) => written.error = Some(e),
            }
        }
        backlog.done(batch.len());
        batch.clear();
        if !open {
            return written;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sqlx::Connection;

    use super::*;
    use crate::model::{Citation, LinkResult, LinkStatus, Reason, UrlCheck};
    use crate::report::Extraction;
    use crate::store::recording::Recording;

    /// While the database is locked by another connection, the writer cannot commit:
    /// past [`MAX_BACKLOG`] records the listener is not ready; once the lock goes, it is.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_listener_is_not_ready_while_the_writer_is_far_behind() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("h.db").display());
        let config = Config::defaults().unwrap();
        let mut rec = Recording::begin(&url, &config, &Extraction::default())
            .await
            .unwrap();
        let mut lock = sqlx::sqlite::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut lock)
            .await
            .unwrap();
        let listener = rec.listener();
        assert!(
            tokio::time::timeout(Duration::from_secs(5), listener.ready())
                .await
                .is_ok(),
            "ready with nothing queued"
        );
        let when = chrono::Utc::now();
        for i in 0..(MAX_BACKLOG + 100) {
            let check = UrlCheck {
                url: format!("http://example.org/{i}"),
                link: LinkResult::unsent(LinkStatus::Broken, Reason::Http404, "gone"),
                verdicts: Vec::new(),
                fingerprint: None,
                page: None,
                checked_at: when,
            };
            listener.url_checked(&check).unwrap();
            let row = CitationResult::unchecked(Arc::new(Citation {
                source: crate::model::SourceSpan {
                    path: std::path::Path::new("r.md").into(),
                    page: None,
                    line: i + 1,
                },
                url: check.url.clone(),
                written_url: check.url.clone(),
                claim: crate::model::Claim::default(),
                context: None,
                repairs: Vec::new(),
                suggestions: Vec::new(),
            }));
            listener.checked(&row).unwrap();
        }
        assert!(
            tokio::time::timeout(Duration::from_millis(700), listener.ready())
                .await
                .is_err(),
            "not ready while {} records wait for a locked database",
            MAX_BACKLOG + 100
        );
        sqlx::query("COMMIT").execute(&mut lock).await.unwrap();
        drop(lock);
        assert!(
            tokio::time::timeout(Duration::from_secs(60), listener.ready())
                .await
                .is_ok(),
            "ready again once the writer caught up"
        );
    }
}
