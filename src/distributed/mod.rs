//! One audit over several machines: workers that share a PostgreSQL queue and store.
//!
//! `check --distributed` plans a run ([`plan`]): it extracts the citations, writes the
//! run and one work item per distinct URL (its citations as JSON) into the store. Any
//! number of `citecheck worker` processes ([`work`]) then lease items with
//! `SELECT … FOR UPDATE SKIP LOCKED` (`leased_until`, `attempts`, at most
//! `max_attempts`), check each URL with the same code as `check`
//! ([`crate::pipeline::UrlContext::check_url`]) and write the results (checks, citations,
//! links, claims, as the store's listener makes them) in the same transaction that
//! completes the item — a lost lease rolls the write back, so no result is kept twice.
//! A heartbeat extends the leases of the items in flight; a worker that dies loses them
//! after the run's `lease_timeout`, and the others take them over.
//!
//! Politeness holds for the whole fleet: the fetch layer takes the fleet's turn of a
//! host last ([`fleet::PgFleet`], a row per host whose `next_allowed_at` is advanced by
//! one atomic `INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`, and whose
//! `backoff_until` any worker sets from a `Retry-After` or 429), a worker leases an
//! item only while its host has fewer leased items than its concurrency (leasing is
//! serialised by an advisory lock, so that count is exact), and a host's soft-404 probe
//! is sent once for the fleet ([`fleet::PgProbes`]), not once per worker.
//!
//! Why plain SQL rather than a queue library (pgmq, apalis-postgres, graphile_worker):
//! the two things that matter are in-flight limits per *host* at lease time and the
//! result rows written in the *same* transaction as the completion; both need the
//! queue's rows in our own schema and our own statements (pgmq's messages are opaque
//! JSON in its own tables, needs an extension, and acknowledges apart from our writes;
//! apalis owns the worker loop and its own schema). The queue is three statements.

pub mod fleet;
pub mod report;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tokio::task::JoinSet;

use crate::config::{Config, ConfigError, Overrides, invalid};
use crate::fetch::host_key;
use crate::model::{Citation, UncitedClaim};
use crate::pipeline::{UrlContext, url_key};
use crate::report::{Extraction, InputError};
use crate::store::memory::History;
use crate::store::{Store, StoreError, writer};

/// Default `[distributed] lease_timeout`.
pub const DEFAULT_LEASE_TIMEOUT: Duration = Duration::from_secs(60);
/// Default `[distributed] max_attempts`.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Default `[distributed] items_in_flight`.
pub const DEFAULT_ITEMS_IN_FLIGHT: usize = 256;
/// Items leased by one statement at most (one transaction under the fleet's leasing
/// lock: fewer, larger leases are what lets workers scale).
pub const LEASE_BATCH: usize = 64;
/// Open items a lease looks at per item it may take (the rest wait for the next lease).
const LEASE_SCAN: i64 = 4;
/// The longest a finished item's room waits to be filled (see `Worker::run_loop`).
const LEASE_PAUSE: Duration = Duration::from_millis(20);
/// How often an idle worker looks for work again.
pub const POLL: Duration = Duration::from_millis(200);

/// The time on the database's clock, in milliseconds (every machine reads one clock).
pub(crate) const NOW_MS: &str = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

/// `[distributed]` in `config.toml`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DistributedFile {
    /// How long a lease lasts without a heartbeat (`60s`, `2m`).
    pub lease_timeout: Option<String>,
    /// Leases of one item at most before it counts as failed.
    pub max_attempts: Option<u32>,
    /// Work items one worker holds at once (each waits for its host's turn; requests in
    /// flight stay bounded by `fetch.max_concurrency`).
    pub items_in_flight: Option<usize>,
}

/// The validated `[distributed]` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DistributedOptions {
    pub lease_timeout: Duration,
    pub max_attempts: u32,
    pub items_in_flight: usize,
}

impl Default for DistributedOptions {
    fn default() -> Self {
        DistributedOptions {
            lease_timeout: DEFAULT_LEASE_TIMEOUT,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            items_in_flight: DEFAULT_ITEMS_IN_FLIGHT,
        }
    }
}

impl DistributedFile {
    /// Apply `--lease-timeout` and `--max-attempts` and validate.
    pub(crate) fn validate(&self, a: &Overrides) -> Result<DistributedOptions, ConfigError> {
        let lease_timeout = match a.lease_timeout.as_deref().or(self.lease_timeout.as_deref()) {
            None => DEFAULT_LEASE_TIMEOUT,
            Some(text) => crate::store::duration::parse(text)
                .map_err(|e| invalid("distributed.lease_timeout", e))?
                .to_std()
                .ok()
                .filter(|d| *d >= Duration::from_secs(1))
                .ok_or_else(|| invalid("distributed.lease_timeout", "at least 1s"))?,
        };
        let max_attempts = a
            .max_attempts
            .or(self.max_attempts)
            .unwrap_or(DEFAULT_MAX_ATTEMPTS);
        if !(1..=100).contains(&max_attempts) {
            return Err(invalid("distributed.max_attempts", "between 1 and 100"));
        }
        let items_in_flight = a
            .items_in_flight
            .or(self.items_in_flight)
            .unwrap_or(DEFAULT_ITEMS_IN_FLIGHT);
        if !(1..=100_000).contains(&items_in_flight) {
            return Err(invalid(
                "distributed.items_in_flight",
                "between 1 and 100000",
            ));
        }
        Ok(DistributedOptions {
            lease_timeout,
            max_attempts,
            items_in_flight,
        })
    }
}

/// What a distributed run cannot do.
#[derive(Debug, thiserror::Error)]
pub enum DistError {
    #[error(
        "distributed runs need a PostgreSQL store (--store postgres://…); {0} is SQLite, \
         which is for one machine"
    )]
    NotPostgres(String),
    #[error("run {0} is not a distributed run in this store")]
    NoSuchRun(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
}

/// One citation of a work item, with its place in the run's report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ItemCitation {
    pub(crate) index: usize,
    pub(crate) citation: Citation,
}

/// What the planner knew that no work item carries.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct PlanInfo {
    pub(crate) citations: usize,
    pub(crate) urls: usize,
    pub(crate) uncited: Vec<UncitedClaim>,
    pub(crate) errors: Vec<InputError>,
    pub(crate) skipped_files: usize,
    pub(crate) skipped_unchanged: usize,
}

/// The PostgreSQL pool of `store`, or the clear error.
pub fn postgres(store: &Store) -> Result<&PgPool, DistError> {
    store
        .postgres()
        .ok_or_else(|| DistError::NotPostgres(store.name().to_owned()))
}

fn db(store: &Store, e: &sqlx::Error) -> DistError {
    DistError::Store(store.err(e))
}

/// Plan a run over `extraction`: the run, and one work item per distinct URL. Its id.
pub async fn plan(
    store: &Store,
    config: &Config,
    extraction: Extraction,
) -> Result<i64, DistError> {
    let pool = postgres(store)?;
    let mut items: Vec<(String, String, String, usize, Vec<ItemCitation>)> = Vec::new();
    let mut by_key = std::collections::HashMap::new();
    let mut index = 0;
    let mut info = PlanInfo {
        errors: extraction.errors,
        skipped_files: extraction.skipped_files,
        skipped_unchanged: extraction.skipped_unchanged,
        ..PlanInfo::default()
    };
    for d in extraction.documents {
        info.uncited.extend(d.uncited);
        for c in d.citations {
            let key = url_key(&c.url);
            let slot = *by_key.entry(key.clone()).or_insert_with(|| {
                let host = crate::fetch::precheck(&c.url, &config.fetch)
                    .map(|u| host_key(&u))
                    .unwrap_or_default();
                let concurrency = if host.is_empty() {
                    1_000_000
                } else {
                    config.fetch.host_limits(&host).0
                };
                items.push((key, c.url.clone(), host, concurrency, Vec::new()));
                items.len() - 1
            });
            items[slot].4.push(ItemCitation { index, citation: c });
            index += 1;
        }
    }
    info.citations = index;
    info.urls = items.len();
    let started = config.store.history.now.unwrap_or_else(chrono::Utc::now);
    let settings = crate::store::recording::settings(config);
    let run = store.begin_run(started, &settings, items.len()).await?;
    let opts = config.distributed;
    let r: Result<(), sqlx::Error> = async {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO dist_runs (run_id, max_attempts, lease_timeout_ms, plan) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(run)
        .bind(i64::from(opts.max_attempts))
        .bind(i64::try_from(opts.lease_timeout.as_millis()).unwrap_or(i64::MAX))
        .bind(serde_json::to_string(&info).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        let mut per_host: std::collections::HashMap<&str, i64> = Default::default();
        for (_, _, host, _, _) in &items {
            *per_host.entry(host.as_str()).or_default() += 1;
        }
        for chunk in items.chunks(1000) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO work_items (run_id, url_key, url, host, concurrency, priority, \
                 citations, max_attempts) ",
            );
            q.push_values(chunk, |mut b, (key, url, host, concurrency, citations)| {
                b.push_bind(run)
                    .push_bind(key)
                    .push_bind(url)
                    .push_bind(host)
                    .push_bind(i64::try_from(*concurrency).unwrap_or(i64::MAX))
                    .push_bind(per_host.get(host.as_str()).copied().unwrap_or(0))
                    .push_bind(serde_json::to_string(citations).unwrap_or_default())
                    .push_bind(i64::from(opts.max_attempts));
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        // Statistics for the new items now, not when autovacuum gets to them: without
        // them the planner takes the queue for empty and sorts every open item on each
        // lease (14 ms per lease at 10,000 items) instead of reading the open-items
        // index in order (under 2 ms).
        sqlx::query("ANALYZE work_items")
            .execute(pool)
            .await
            .map(|_| ())
    }
    .await;
    r.map_err(|e| db(store, &e))?;
    Ok(run)
}

/// How far a distributed run is (JSON of `citecheck runs`, `items`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Progress {
    pub done: i64,
    pub leased: i64,
    pub left: i64,
    pub failed: i64,
}

impl Progress {
    /// Nothing queued or leased any more.
    #[must_use]
    pub fn finished(&self) -> bool {
        self.leased == 0 && self.left == 0
    }
}

/// The progress of distributed run `run` (`None`: not a distributed run).
pub async fn progress(pool: &PgPool, run: i64) -> Result<Option<Progress>, sqlx::Error> {
    let row: Option<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM dist_runs WHERE run_id = $1), \
         COUNT(*) FILTER (WHERE state = 'done'), COUNT(*) FILTER (WHERE state = 'leased'), \
         COUNT(*) FILTER (WHERE state = 'queued'), COUNT(*) FILTER (WHERE state = 'failed') \
         FROM work_items WHERE run_id = $1",
    )
    .bind(run)
    .fetch_optional(pool)
    .await?;
    Ok(row
        .filter(|r| r.0 > 0)
        .map(|(_, done, leased, left, failed)| Progress {
            done,
            leased,
            left,
            failed,
        }))
}

/// Fill in the progress of the distributed runs among `runs` (a PostgreSQL store only;
/// a failure leaves them as they are).
pub async fn fill_progress(store: &Store, runs: &mut [crate::store::queries::RunRow]) {
    let Some(pool) = store.postgres() else {
        return;
    };
    for r in runs {
        match progress(pool, r.id).await {
            Ok(p) => r.items = p,
            Err(e) => tracing::warn!("progress of run {}: {e}", r.id),
        }
    }
}

/// One leased work item.
struct Item {
    id: i64,
    run: i64,
    citations: Vec<ItemCitation>,
}

/// What one worker did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Worked {
    /// Items this worker completed.
    pub done: usize,
    /// Items whose lease was lost before their results were kept (another worker
    /// took them over).
    pub lost: usize,
}

/// A worker: lease, check, complete, until the run is done.
struct Worker {
    store: Store,
    pool: PgPool,
    config: Config,
    ctx: UrlContext,
    id: String,
    run: Option<i64>,
    /// Runs this worker completed items of, not yet seen finished: marked finished when
    /// the worker is idle ([`Worker::finish_runs`]), not after every item (that
    /// statement looks at the run's open items: it was a third of the database's work).
    touched: std::sync::Mutex<std::collections::BTreeSet<i64>>,
}

/// This worker's name in `leased_by`: host name, process id and a random tag.
fn worker_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".to_owned());
    format!(
        "{host}-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// Work on the items of `run` (or of every distributed run) until none is left — items
/// leased by other workers count as not done: wait for them or take them over once
/// their lease runs out — or, with `follow`, until `stop` resolves. On `stop` no new
/// item is leased and the items in flight finish.
pub async fn work(
    store: &Store,
    config: &Config,
    run: Option<i64>,
    follow: bool,
    stop: impl std::future::Future<Output = ()> + Send,
) -> Result<Worked, DistError> {
    let pool = postgres(store)?.clone();
    if let Some(r) = run
        && progress(&pool, r)
            .await
            .map_err(|e| db(store, &e))?
            .is_none()
    {
        return Err(DistError::NoSuchRun(r));
    }
    // The fleet's turns are taken by every request in flight: a pool of their own, so
    // that they never queue behind result writes.
    let turns = sqlx::postgres::PgPoolOptions::new()
        .max_connections(u32::try_from(config.fetch.max_concurrency.clamp(2, 16)).unwrap_or(8))
        .acquire_timeout(Duration::from_secs(15))
        .connect_lazy_with((*pool.connect_options()).clone());
    let id = worker_id();
    let ctx = UrlContext::new(config)?
        .with_fleet(Arc::new(fleet::PgFleet::new(turns.clone())))
        .with_shared_probes(Arc::new(fleet::PgProbes::new(turns, id.clone())));
    let worker = Arc::new(Worker {
        store: store.clone(),
        pool,
        config: config.clone(),
        ctx,
        id,
        run,
        touched: std::sync::Mutex::default(),
    });
    let heartbeat = tokio::spawn(heartbeat(Arc::clone(&worker)));
    let result = worker.run_loop(follow, stop).await;
    heartbeat.abort();
    result
}

impl Worker {
    async fn run_loop(
        self: &Arc<Self>,
        follow: bool,
        stop: impl std::future::Future<Output = ()> + Send,
    ) -> Result<Worked, DistError> {
        let cap = self.config.distributed.items_in_flight.max(1);
        let mut inflight: JoinSet<Option<bool>> = JoinSet::new();
        let mut worked = Worked::default();
        let mut stop = std::pin::pin!(stop);
        let mut stopping = false;
        let mut retry = Backoff::default();
        // Leases go in batches: a room freed by a finished item is filled when a batch's
        // worth is free, when nothing is in flight, or LEASE_PAUSE after the first item
        // finished since the last lease, not once per item.
        let batch = (cap / 4).clamp(1, LEASE_BATCH);
        let mut freed_since: Option<std::time::Instant> = None;
        let mut lease_now = true;
        loop {
            let room = cap - inflight.len();
            let due = lease_now
                || inflight.is_empty()
                || room >= batch
                || freed_since.is_some_and(|t| t.elapsed() >= LEASE_PAUSE);
            if !stopping && room > 0 && due {
                freed_since = None;
                while inflight.len() < cap {
                    let asked = (cap - inflight.len()).min(LEASE_BATCH);
                    match self.lease(asked).await {
                        Ok(items) => {
                            retry.reset();
                            let drained = items.len() < asked;
                            for item in items {
                                let w = Arc::clone(self);
                                inflight.spawn(async move { w.process(item).await });
                            }
                            // Fewer than asked: nothing more is leasable now.
                            if drained {
                                break;
                            }
                        }
                        Err(e) => {
                            // The database is away (restarting?): try again with backoff.
                            tracing::warn!("cannot lease work: {}", short(&e));
                            retry.sleep().await;
                            break;
                        }
                    }
                }
            }
            lease_now = false;
            if inflight.is_empty() {
                self.finish_runs().await;
                if stopping {
                    return Ok(worked);
                }
                match self.open_items().await {
                    Ok(0) if !follow => return Ok(worked),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!("cannot read the queue: {}", short(&e));
                        retry.sleep().await;
                        continue;
                    }
                }
            }
            let pause = freed_since.map_or(POLL, |t| LEASE_PAUSE.saturating_sub(t.elapsed()));
            tokio::select! {
                joined = inflight.join_next(), if !inflight.is_empty() => {
                    match joined {
                        Some(Ok(Some(true))) => worked.done += 1,
                        Some(Ok(Some(false))) => worked.lost += 1,
                        _ => {}
                    }
                    freed_since.get_or_insert_with(std::time::Instant::now);
                }
                () = tokio::time::sleep(pause) => lease_now = true,
                () = &mut stop, if !stopping => stopping = true,
            }
        }
    }

    /// Items of this worker's run(s) not done yet (queued or leased).
    async fn open_items(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM work_items WHERE state IN ('queued', 'leased') \
             AND ($1::BIGINT IS NULL OR run_id = $1)",
        )
        .bind(self.run)
        .fetch_one(&self.pool)
        .await
    }

    /// Lease up to `limit` items, none beyond its host's concurrency counting the
    /// items leased fleet-wide: queued ones, or ones whose lease ran out, the busiest
    /// hosts first. Items out of attempts become `failed` first.
    async fn lease(&self, limit: usize) -> Result<Vec<Item>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        // Leasing is serialised, so that the per-host count below is exact.
        sqlx::query("SELECT pg_advisory_xact_lock(727012346)")
            .execute(&mut *tx)
            .await?;
        let expired = format!(
            "UPDATE work_items SET state = 'failed', leased_by = NULL \
             WHERE state = 'leased' AND leased_until < {NOW_MS} AND attempts >= max_attempts \
             AND ($1::BIGINT IS NULL OR run_id = $1)"
        );
        sqlx::query(sqlx::AssertSqlSafe(expired))
            .bind(self.run)
            .execute(&mut *tx)
            .await?;
        // The first open items in order whose host has room (`cand`, a bounded index
        // scan), numbered within their host (`ranked`): an item is leased only while
        // its number is within the room its host has left.
        let lease = format!(
            "WITH busy AS (SELECT host, COUNT(*) AS n FROM work_items \
               WHERE state = 'leased' AND leased_until >= {NOW_MS} GROUP BY host), \
             cand AS (SELECT w.id, w.host, w.priority, w.concurrency - COALESCE(b.n, 0) AS room \
               FROM work_items w LEFT JOIN busy b ON b.host = w.host \
               WHERE w.state IN ('queued', 'leased') \
               AND ($1::BIGINT IS NULL OR w.run_id = $1) \
               AND (w.state = 'queued' OR w.leased_until < {NOW_MS}) \
               AND COALESCE(b.n, 0) < w.concurrency \
               ORDER BY w.priority DESC, w.id LIMIT $4), \
             ranked AS (SELECT id, priority, room, \
               ROW_NUMBER() OVER (PARTITION BY host ORDER BY priority DESC, id) AS k FROM cand), \
             pick AS (SELECT w.id FROM work_items w JOIN ranked r ON r.id = w.id \
               WHERE r.k <= r.room ORDER BY r.priority DESC, w.id LIMIT $3 \
               FOR UPDATE OF w SKIP LOCKED) \
             UPDATE work_items w SET state = 'leased', leased_by = $2, \
               leased_until = {NOW_MS} + d.lease_timeout_ms, attempts = w.attempts + 1 \
             FROM pick, dist_runs d WHERE w.id = pick.id AND d.run_id = w.run_id \
             RETURNING w.id, w.run_id, w.citations"
        );
        let limit = i64::try_from(limit.max(1)).unwrap_or(1);
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(lease))
            .bind(self.run)
            .bind(&self.id)
            .bind(limit)
            .bind(limit.saturating_mul(LEASE_SCAN))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let items: Vec<Item> = rows
            .into_iter()
            .map(|(id, run, citations)| Item {
                id,
                run,
                citations: serde_json::from_str(&citations).unwrap_or_default(),
            })
            .collect();
        Ok(items)
    }

    /// Check one item and keep its results with its completion. `Some(true)`: done
    /// here; `Some(false)`: the lease was lost (another worker has it); `None`: could
    /// not be kept (the lease runs out and the item is done again).
    async fn process(&self, item: Item) -> Option<bool> {
        let citations: Vec<Arc<Citation>> = item
            .citations
            .iter()
            .map(|c| Arc::new(c.citation.clone()))
            .collect();
        let key = url_key(&citations.first()?.url);
        let mut retry = Backoff::default();
        let prior = loop {
            match self.store.prior(std::slice::from_ref(&key)).await {
                Ok(p) => break p,
                Err(e) => {
                    tracing::warn!("{e}");
                    if retry.exhausted() {
                        return None;
                    }
                    retry.sleep().await;
                }
            }
        };
        let options = self.config.store.history;
        let started = options.now.unwrap_or_else(chrono::Utc::now);
        let history = History::new(self.store.clone(), prior, options, started);
        let memory: &dyn crate::pipeline::Memory = &*history;
        let (check, rows) = self.ctx.check_url(&citations, Some(memory)).await?;
        let records = writer::records(&history, &self.config, &check, &rows);
        let stored: Vec<report::StoredRow> = item
            .citations
            .iter()
            .zip(&rows)
            .map(|(c, r)| report::StoredRow::new(c.index, r))
            .collect();
        let results = serde_json::to_string(&stored).unwrap_or_default();
        let close = format!(
            "UPDATE work_items SET state = 'done', done_by = $2, results = $3, \
             finished_at = {NOW_MS}, leased_until = NULL \
             WHERE id = $1 AND state = 'leased' AND leased_by = $2"
        );
        loop {
            match self
                .store
                .write_closing(
                    item.run,
                    &records,
                    Some((&close, item.id, &[&self.id, &results])),
                )
                .await
            {
                Ok(kept) => {
                    if kept {
                        self.touched
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .insert(item.run);
                    } else {
                        tracing::warn!("lost the lease of {key}: another worker checks it");
                    }
                    return Some(kept);
                }
                Err(e) => {
                    tracing::warn!("{e}; trying again");
                    if retry.exhausted() {
                        return None;
                    }
                    retry.sleep().await;
                }
            }
        }
    }

    /// Mark the runs this worker worked on finished where none of their items is queued
    /// or leased any more (whichever worker goes idle after the last item does it).
    async fn finish_runs(&self) {
        let runs: Vec<i64> = self
            .touched
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .copied()
            .collect();
        for run in runs {
            match self.finish_run(run).await {
                Ok(true) => {
                    self.touched
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .remove(&run);
                }
                Ok(false) => {}
                Err(e) => tracing::warn!("cannot mark run {run} finished: {}", short(&e)),
            }
        }
    }

    /// Mark `run` finished if none of its items is queued or leased; whether it is
    /// finished now.
    async fn finish_run(&self, run: i64) -> Result<bool, sqlx::Error> {
        let sql = format!(
            "UPDATE runs SET finished_at = {NOW_MS}, complete = CASE WHEN EXISTS \
             (SELECT 1 FROM work_items WHERE run_id = $1 AND state = 'failed') THEN 0 ELSE 1 END \
             WHERE id = $1 AND finished_at IS NULL AND NOT EXISTS \
             (SELECT 1 FROM work_items WHERE run_id = $1 AND state IN ('queued', 'leased'))"
        );
        let marked = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(run)
            .execute(&self.pool)
            .await?;
        if marked.rows_affected() > 0 {
            return Ok(true);
        }
        // Not marked now: finished already (or gone), or items still open.
        sqlx::query_scalar("SELECT finished_at IS NOT NULL FROM runs WHERE id = $1")
            .bind(run)
            .fetch_optional(&self.pool)
            .await
            .map(|f: Option<bool>| f.unwrap_or(true))
    }
}

/// Extend the leases of this worker's items in flight, a few times per lease timeout.
async fn heartbeat(worker: Arc<Worker>) {
    let sql = format!(
        "UPDATE work_items w SET leased_until = {NOW_MS} + d.lease_timeout_ms \
         FROM dist_runs d WHERE d.run_id = w.run_id AND w.leased_by = $1 AND w.state = 'leased'"
    );
    let every: Duration = match sqlx::query_scalar::<_, Option<i64>>(
        "SELECT MIN(lease_timeout_ms) FROM dist_runs WHERE ($1::BIGINT IS NULL OR run_id = $1)",
    )
    .bind(worker.run)
    .fetch_one(&worker.pool)
    .await
    {
        Ok(Some(ms)) => Duration::from_millis(u64::try_from(ms / 4).unwrap_or(250).max(100)),
        _ => Duration::from_millis(500),
    };
    loop {
        tokio::time::sleep(every.min(Duration::from_secs(15))).await;
        if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(&worker.id)
            .execute(&worker.pool)
            .await
        {
            tracing::warn!("heartbeat: {}", short(&e));
        }
    }
}

/// Backoff for a database that is away: 100 ms doubling to 5 s, for about two minutes.
#[derive(Default)]
struct Backoff {
    tries: u32,
}

impl Backoff {
    fn reset(&mut self) {
        self.tries = 0;
    }

    fn exhausted(&self) -> bool {
        self.tries >= 30
    }

    async fn sleep(&mut self) {
        let ms = (100u64 << self.tries.min(6)).min(5000);
        self.tries += 1;
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

fn short(e: &sqlx::Error) -> String {
    e.to_string()
}
