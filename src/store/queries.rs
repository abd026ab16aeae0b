//! Every read and write of the history store, written once for both back ends. Rows are
//! read as tuples (the same types decode on both back ends), hence the long types.
#![allow(clippy::type_complexity)]

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{LinkState, Store, StoreError, at, each_backend, ms};
use crate::model::{ArchiveCopy, LinkResult, LinkStatus, PageSnapshot, RunHealth, Verdict};

/// Parameters per statement when looking many URLs up at once.
const CHUNK: usize = 500;

/// Rows per multi-row `INSERT` (at most 14 parameters a row: well under both back ends'
/// limits on parameters per statement).
const ROWS_PER_STATEMENT: usize = 200;

/// Statuses that count as alive / dead in SQL (see [`super::is_dead`]).
const ALIVE_SQL: &str = "('ok','redirected')";
const DEAD_SQL: &str = "('broken','unreachable','timeout','soft_404')";

/// One check of a URL in a run.
#[derive(Debug, Clone)]
pub struct CheckRecord {
    pub url: String,
    pub checked_at: DateTime<Utc>,
    pub link: LinkResult,
    pub fingerprint: Option<String>,
    pub page_changed: bool,
    /// Alive, not cut short, and no failing verdict: a later run may reuse it.
    pub reusable: bool,
    pub page: Option<PageSnapshot>,
}

/// One citation in a run.
#[derive(Debug, Clone)]
pub struct CitationRecord {
    pub url: String,
    pub claim_key: String,
    pub path: String,
    pub line: usize,
    pub claim: String,
    pub status: Option<LinkStatus>,
    pub verdict: Option<Verdict>,
    pub reason: Option<String>,
    /// The evidence as JSON.
    pub evidence: Option<String>,
    pub change: Option<&'static str>,
    pub failing: bool,
    pub confirmed_dead: bool,
    /// The archive lookup's result, as JSON.
    pub archive: Option<String>,
}

/// One row to write.
#[derive(Debug, Clone)]
pub enum Record {
    Check(Box<CheckRecord>),
    Link(String, LinkState),
    Claim {
        url: String,
        claim_key: String,
        verdict: Option<Verdict>,
        /// The evidence as JSON.
        evidence: Option<String>,
        /// An archived copy that supports the claim, as JSON (kept until a newer one).
        archive: Option<String>,
        at: DateTime<Utc>,
    },
    Citation(Box<CitationRecord>),
}

/// What the store knew before this run about the run's URLs and claims.
#[derive(Debug, Clone, Default)]
pub struct Prior {
    pub links: HashMap<String, LinkState>,
    /// The last verdict (and its evidence, as JSON: parsed only for a verdict that
    /// changed) per URL and claim.
    pub claims: HashMap<(String, String), (Verdict, Option<Box<str>>)>,
    /// The last archived copy that supported each claim.
    pub archives: HashMap<(String, String), ArchiveCopy>,
}

/// One recorded run (JSON of `citecheck runs`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRow {
    pub id: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub complete: bool,
    pub citations: i64,
    pub failures: i64,
    /// The work items of a distributed run (done, leased, left, failed); absent for
    /// other runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<crate::distributed::Progress>,
}

/// One check in a URL's timeline (JSON of `citecheck history`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    pub run: i64,
    pub checked_at: DateTime<Utc>,
    pub status: String,
    pub http_status: Option<i64>,
    pub final_url: Option<String>,
    pub error: Option<String>,
    /// The distinct verdicts of the citations of this URL in that run.
    pub verdicts: Vec<String>,
    pub page_changed: bool,
    pub cached: bool,
}

/// A citation's state in one run, as `diff` compares it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CitationState {
    pub status: Option<String>,
    pub verdict: Option<String>,
    pub reason: Option<String>,
    pub evidence: Option<serde_json::Value>,
}

/// One citation in a diff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffEntry {
    pub url: String,
    pub path: String,
    pub line: i64,
    pub claim: String,
    pub before: Option<CitationState>,
    pub after: Option<CitationState>,
}

/// What changed between two runs (JSON of `citecheck diff`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    pub from: RunRow,
    pub to: RunRow,
    pub new_failures: Vec<DiffEntry>,
    pub recovered: Vec<DiffEntry>,
    pub verdict_changes: Vec<DiffEntry>,
    pub new_citations: Vec<DiffEntry>,
    pub removed_citations: Vec<DiffEntry>,
}

/// What `prune` removed (JSON of `citecheck prune`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pruned {
    pub runs: u64,
    pub checks: u64,
    pub citations: u64,
}

/// Inserts first (in arrival order), then per-URL upserts, then per-claim upserts,
/// each in key order.
fn order_key(r: &Record) -> (u8, &str, &str) {
    match r {
        Record::Check(_) | Record::Citation(_) => (0, "", ""),
        Record::Link(url, _) => (1, url, ""),
        Record::Claim { url, claim_key, .. } => (2, url, claim_key),
    }
}

/// A deadlock, serialization failure or busy database: worth another try.
pub(crate) fn retryable(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| matches!(c.as_ref(), "40P01" | "40001" | "5" | "517" | "6"))
}

fn flag(b: bool) -> i64 {
    i64::from(b)
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

type CitationRow = (
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

type RunTuple = (i64, i64, Option<i64>, i64, i64, i64);

const RUNS_SELECT: &str = "SELECT r.id, r.started_at, r.finished_at, r.complete, \
     (SELECT COUNT(*) FROM citations c WHERE c.run_id = r.id), \
     (SELECT COUNT(*) FROM citations c WHERE c.run_id = r.id AND c.failing = 1) \
     FROM runs r";

fn run_row((id, started, finished, complete, citations, failures): RunTuple) -> RunRow {
    RunRow {
        id,
        started_at: at(started),
        finished_at: finished.map(at),
        complete: complete != 0,
        citations,
        failures,
        items: None,
    }
}

impl Store {
    /// Record the start of a run; its id.
    pub async fn begin_run(
        &self,
        started: DateTime<Utc>,
        settings: &str,
        urls: usize,
    ) -> Result<i64, StoreError> {
        let sql = "INSERT INTO runs (started_at, version, settings, urls) VALUES ($1, $2, $3, $4) \
                   RETURNING id";
        let urls = i64::try_from(urls).unwrap_or(i64::MAX);
        let id: Result<i64, sqlx::Error> = each_backend!(self, p => {
            sqlx::query_scalar(sql)
                .bind(ms(started))
                .bind(env!("CARGO_PKG_VERSION"))
                .bind(settings)
                .bind(urls)
                .fetch_one(p)
                .await
        });
        id.map_err(|e| self.err(&e))
    }

    /// Record the end of a run.
    pub async fn finish_run(
        &self,
        run: i64,
        finished: DateTime<Utc>,
        complete: bool,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE runs SET finished_at = $1, complete = $2 WHERE id = $3";
        let r: Result<_, sqlx::Error> = each_backend!(self, p => {
            sqlx::query(sql)
                .bind(ms(finished))
                .bind(flag(complete))
                .bind(run)
                .execute(p)
                .await
                .map(|_| ())
        });
        r.map_err(|e| self.err(&e))
    }

    /// Write `batch` for `run` in one transaction. Upserts of shared rows (per URL and
    /// per claim) go last and in key order, so that two runs writing at once take their
    /// locks in one order; a deadlock or busy store that still happens is retried.
    pub async fn write(&self, run: i64, batch: &[Record]) -> Result<(), StoreError> {
        self.write_closing(run, batch, None).await.map(|_| ())
    }

    /// [`Store::write`], and in the same transaction `close`: a statement (`$1` bound
    /// to its id, `$2`… to its texts) that must change exactly one row, or nothing is
    /// written (`Ok(false)`). A distributed worker completes its work item this way.
    pub async fn write_closing(
        &self,
        run: i64,
        batch: &[Record],
        close: Option<(&str, i64, &[&str])>,
    ) -> Result<bool, StoreError> {
        let mut ordered: Vec<&Record> = batch.iter().collect();
        ordered.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
        let mut attempt = 0;
        loop {
            match self.write_once(run, &ordered, close).await {
                Err(e) if attempt < 8 && retryable(&e) => {
                    attempt += 1;
                    tokio::time::sleep(super::busy_pause(attempt)).await;
                }
                r => return r.map_err(|e| self.err(&e)),
            }
        }
    }

    async fn write_once(
        &self,
        run: i64,
        batch: &[&Record],
        close: Option<(&str, i64, &[&str])>,
    ) -> Result<bool, sqlx::Error> {
        let mut checks = Vec::new();
        let mut citations = Vec::new();
        let mut links = Vec::new();
        let mut claims: Vec<&Record> = Vec::new();
        for r in batch {
            match r {
                Record::Check(c) => checks.push(c.as_ref()),
                Record::Citation(c) => citations.push(c.as_ref()),
                Record::Link(url, state) => links.push((url, state)),
                Record::Claim { .. } => claims.push(r),
            }
        }
        // One statement may not touch a row twice (PostgreSQL): the last claim row wins.
        claims.reverse();
        let mut seen = std::collections::HashSet::new();
        claims.retain(|r| seen.insert(order_key(r)));
        claims.reverse();
        let run_id = run;
        each_backend!(self, p => {
            async {
                let mut tx = p.begin().await?;
                for chunk in checks.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::new(
                        "INSERT INTO checks (run_id, url, checked_at, status, http_status, \
                         final_url, error, elapsed_ms, link, fingerprint, page_changed, cached, \
                         reusable, page) ",
                    );
                    q.push_values(chunk, |mut b, c| {
                        b.push_bind(run_id)
                            .push_bind(c.url.clone())
                            .push_bind(ms(c.checked_at))
                            .push_bind(c.link.status.as_str())
                            .push_bind(c.link.http_status.map(i64::from))
                            .push_bind(c.link.final_url.clone())
                            .push_bind(c.link.error.clone())
                            .push_bind(i64::try_from(c.link.elapsed_ms).unwrap_or(i64::MAX))
                            .push_bind(json(&c.link))
                            .push_bind(c.fingerprint.clone())
                            .push_bind(flag(c.page_changed))
                            .push_bind(flag(c.link.cached))
                            .push_bind(flag(c.reusable))
                            .push_bind(c.page.as_ref().map(json));
                    });
                    q.build().execute(&mut *tx).await?;
                }
                for chunk in citations.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::new(
                        "INSERT INTO citations (run_id, url, claim_key, path, line, claim, \
                         status, verdict, reason, evidence, change, failing, confirmed_dead, \
                         archive) ",
                    );
                    q.push_values(chunk, |mut b, c| {
                        b.push_bind(run_id)
                            .push_bind(c.url.clone())
                            .push_bind(c.claim_key.clone())
                            .push_bind(c.path.clone())
                            .push_bind(i64::try_from(c.line).unwrap_or(i64::MAX))
                            .push_bind(c.claim.clone())
                            .push_bind(c.status.map(LinkStatus::as_str))
                            .push_bind(c.verdict.map(Verdict::as_str))
                            .push_bind(c.reason.clone())
                            .push_bind(c.evidence.clone())
                            .push_bind(c.change)
                            .push_bind(flag(c.failing))
                            .push_bind(flag(c.confirmed_dead))
                            .push_bind(c.archive.clone());
                    });
                    q.build().execute(&mut *tx).await?;
                }
                for chunk in links.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::new(
                        "INSERT INTO links (url, first_seen, last_checked, last_ok, \
                         failing_since, last_failure, failures, last_status, fingerprint) ",
                    );
                    q.push_values(chunk, |mut b, (url, s)| {
                        b.push_bind((*url).clone())
                            .push_bind(ms(s.first_seen))
                            .push_bind(ms(s.last_checked))
                            .push_bind(s.last_ok.map(ms))
                            .push_bind(s.failing_since.map(ms))
                            .push_bind(s.last_failure.map(ms))
                            .push_bind(i64::from(s.failures))
                            .push_bind(s.last_status.map(LinkStatus::as_str))
                            .push_bind(s.fingerprint.clone());
                    });
                    q.push(
                        " ON CONFLICT (url) DO UPDATE SET \
                         last_checked = excluded.last_checked, last_ok = excluded.last_ok, \
                         failing_since = excluded.failing_since, \
                         last_failure = excluded.last_failure, failures = excluded.failures, \
                         last_status = excluded.last_status, fingerprint = excluded.fingerprint",
                    );
                    q.build().execute(&mut *tx).await?;
                }
                for chunk in claims.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::new(
                        "INSERT INTO claims (url, claim_key, verdict, evidence, archive, checked_at) ",
                    );
                    q.push_values(chunk, |mut b, r| {
                        if let Record::Claim { url, claim_key, verdict, evidence, archive, at } = r {
                            b.push_bind(url.clone())
                                .push_bind(claim_key.clone())
                                .push_bind(verdict.map(Verdict::as_str))
                                .push_bind(evidence.clone())
                                .push_bind(archive.clone())
                                .push_bind(ms(*at));
                        }
                    });
                    q.push(
                        " ON CONFLICT (url, claim_key) DO UPDATE SET \
                         verdict = excluded.verdict, evidence = excluded.evidence, \
                         archive = COALESCE(excluded.archive, claims.archive), \
                         checked_at = excluded.checked_at",
                    );
                    q.build().execute(&mut *tx).await?;
                }
                if let Some((sql, id, texts)) = close {
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).bind(id);
                    for t in texts {
                        q = q.bind(*t);
                    }
                    let done = q.execute(&mut *tx).await?;
                    if done.rows_affected() != 1 {
                        tx.rollback().await?;
                        return Ok(false);
                    }
                }
                tx.commit().await.map(|()| true)
            }
            .await
        })
    }

    /// What the store knows of `urls` (and their claims) before this run.
    pub async fn prior(&self, urls: &[String]) -> Result<Prior, StoreError> {
        let mut prior = Prior::default();
        for chunk in urls.chunks(CHUNK) {
            let list = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(",");
            let links_sql = format!(
                "SELECT url, first_seen, last_checked, last_ok, failing_since, last_failure, \
                 failures, last_status, fingerprint FROM links WHERE url IN ({list})"
            );
            let claims_sql = format!(
                "SELECT url, claim_key, verdict, evidence, archive FROM claims WHERE url IN ({list})"
            );
            type LinkRow = (
                String,
                i64,
                i64,
                Option<i64>,
                Option<i64>,
                Option<i64>,
                i64,
                Option<String>,
                Option<String>,
            );
            #[allow(clippy::type_complexity)]
            let r: Result<
                (
                    Vec<LinkRow>,
                    Vec<(
                        String,
                        String,
                        Option<String>,
                        Option<String>,
                        Option<String>,
                    )>,
                ),
                sqlx::Error,
            > = each_backend!(self, p => {
                async {
                    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(links_sql.clone()));
                    for u in chunk {
                        q = q.bind(u);
                    }
                    let links = q.fetch_all(p).await?;
                    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(claims_sql.clone()));
                    for u in chunk {
                        q = q.bind(u);
                    }
                    let claims = q.fetch_all(p).await?;
                    Ok((links, claims))
                }
                .await
            });
            let (links, claims) = r.map_err(|e| self.err(&e))?;
            for (url, first, last, ok, since, last_failure, failures, status, fingerprint) in links
            {
                prior.links.insert(
                    url,
                    LinkState {
                        first_seen: at(first),
                        last_checked: at(last),
                        last_ok: ok.map(at),
                        failing_since: since.map(at),
                        last_failure: last_failure.map(at),
                        failures: u32::try_from(failures).unwrap_or(0),
                        last_status: status.as_deref().and_then(LinkStatus::parse),
                        fingerprint,
                    },
                );
            }
            for (url, key, verdict, evidence, archive) in claims {
                if let Some(a) = archive.and_then(|a| serde_json::from_str(&a).ok()) {
                    prior.archives.insert((url.clone(), key.clone()), a);
                }
                if let Some(v) = verdict.as_deref().and_then(Verdict::parse) {
                    prior
                        .claims
                        .insert((url, key), (v, evidence.map(String::into_boxed_str)));
                }
            }
        }
        Ok(prior)
    }

    /// The last check of `url` (not itself a reuse), when it is reusable and no older
    /// than `not_before`: its link result, page snapshot and time.
    pub async fn cached(
        &self,
        url: &str,
        not_before: DateTime<Utc>,
    ) -> Result<Option<(LinkResult, PageSnapshot, DateTime<Utc>)>, StoreError> {
        let sql = "SELECT checked_at, reusable, link, page FROM checks \
                   WHERE url = $1 AND cached = 0 ORDER BY checked_at DESC, id DESC LIMIT 1";
        let r: Result<Option<(i64, i64, String, Option<String>)>, sqlx::Error> =
            each_backend!(self, p => sqlx::query_as(sql).bind(url).fetch_optional(p).await);
        let Some((checked, reusable, link, page)) = r.map_err(|e| self.err(&e))? else {
            return Ok(None);
        };
        if reusable == 0 || checked < ms(not_before) {
            return Ok(None);
        }
        let (Ok(link), Some(Ok(page))) = (
            serde_json::from_str::<LinkResult>(&link),
            page.map(|p| serde_json::from_str::<PageSnapshot>(&p)),
        ) else {
            return Ok(None);
        };
        Ok(Some((link, page, at(checked))))
    }

    /// The recorded runs, newest first (at most `limit`).
    pub async fn runs(&self, limit: usize) -> Result<Vec<RunRow>, StoreError> {
        let sql = format!("{RUNS_SELECT} ORDER BY r.started_at DESC, r.id DESC LIMIT $1");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let r: Result<Vec<RunTuple>, sqlx::Error> = each_backend!(self, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(limit).fetch_all(p).await
        });
        Ok(r.map_err(|e| self.err(&e))?
            .into_iter()
            .map(run_row)
            .collect())
    }

    async fn run(&self, id: i64) -> Result<Option<RunRow>, StoreError> {
        let sql = format!("{RUNS_SELECT} WHERE r.id = $1");
        let r: Result<Option<RunTuple>, sqlx::Error> = each_backend!(self, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(p).await
        });
        Ok(r.map_err(|e| self.err(&e))?.map(run_row))
    }

    /// Link health of the last `limit` runs, oldest first.
    pub async fn run_health(&self, limit: usize) -> Result<Vec<RunHealth>, StoreError> {
        let sql = format!(
            "SELECT r.started_at, \
             COALESCE(CAST(SUM(CASE WHEN c.status IN {ALIVE_SQL} THEN 1 ELSE 0 END) AS BIGINT), 0), \
             COALESCE(CAST(SUM(CASE WHEN c.status IN {DEAD_SQL} THEN 1 ELSE 0 END) AS BIGINT), 0), \
             COALESCE(CAST(SUM(c.confirmed_dead) AS BIGINT), 0), \
             COALESCE(CAST(SUM(CASE WHEN c.verdict = 'unsupported' THEN 1 ELSE 0 END) AS BIGINT), 0) \
             FROM runs r LEFT JOIN citations c ON c.run_id = r.id \
             GROUP BY r.id, r.started_at ORDER BY r.started_at DESC, r.id DESC LIMIT $1"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let r: Result<Vec<(i64, i64, i64, i64, i64)>, sqlx::Error> = each_backend!(self, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(limit).fetch_all(p).await
        });
        let count = |n: i64| usize::try_from(n).unwrap_or(0);
        let mut rows: Vec<RunHealth> = r
            .map_err(|e| self.err(&e))?
            .into_iter()
            .map(|(t, alive, failing, dead, unsupported)| RunHealth {
                started_at: at(t),
                alive: count(alive),
                failing: count(failing),
                confirmed_dead: count(dead),
                unsupported: count(unsupported),
            })
            .collect();
        rows.reverse();
        Ok(rows)
    }

    /// Every check of `url`, oldest first.
    pub async fn timeline(&self, url: &str) -> Result<Vec<TimelineEntry>, StoreError> {
        let checks_sql = "SELECT run_id, checked_at, status, http_status, final_url, error, \
                          page_changed, cached FROM checks WHERE url = $1 ORDER BY checked_at, id";
        let verdicts_sql = "SELECT run_id, verdict FROM citations WHERE url = $1";
        type CheckRow = (
            i64,
            i64,
            String,
            Option<i64>,
            Option<String>,
            Option<String>,
            i64,
            i64,
        );
        let r: Result<(Vec<CheckRow>, Vec<(i64, Option<String>)>), sqlx::Error> = each_backend!(self, p => {
            async {
                let checks = sqlx::query_as(checks_sql).bind(url).fetch_all(p).await?;
                let verdicts = sqlx::query_as(verdicts_sql).bind(url).fetch_all(p).await?;
                Ok((checks, verdicts))
            }
            .await
        });
        let (checks, verdicts) = r.map_err(|e| self.err(&e))?;
        let mut by_run: HashMap<i64, Vec<String>> = HashMap::new();
        for (run, v) in verdicts {
            if let Some(v) = v {
                let list = by_run.entry(run).or_default();
                if !list.contains(&v) {
                    list.push(v);
                }
            }
        }
        Ok(checks
            .into_iter()
            .map(
                |(run, t, status, http_status, final_url, error, changed, cached)| TimelineEntry {
                    run,
                    checked_at: at(t),
                    status,
                    http_status,
                    final_url,
                    error,
                    verdicts: by_run.get(&run).cloned().unwrap_or_default(),
                    page_changed: changed != 0,
                    cached: cached != 0,
                },
            )
            .collect())
    }

    async fn citations_of(
        &self,
        run: i64,
    ) -> Result<BTreeMap<(String, String), DiffEntry>, StoreError> {
        let sql = "SELECT url, claim_key, path, line, claim, status, verdict, reason, evidence \
                   FROM citations WHERE run_id = $1 ORDER BY path, line";
        let r: Result<Vec<CitationRow>, sqlx::Error> =
            each_backend!(self, p => sqlx::query_as(sql).bind(run).fetch_all(p).await);
        let mut out = BTreeMap::new();
        for (url, key, path, line, claim, status, verdict, reason, evidence) in
            r.map_err(|e| self.err(&e))?
        {
            let state = CitationState {
                status,
                verdict,
                reason,
                evidence: evidence.and_then(|e| serde_json::from_str(&e).ok()),
            };
            out.entry((url.clone(), key)).or_insert(DiffEntry {
                url,
                path,
                line,
                claim,
                before: None,
                after: Some(state),
            });
        }
        Ok(out)
    }

    /// What changed from run `from` to run `to` (default: the last two runs).
    pub async fn diff(&self, from: Option<i64>, to: Option<i64>) -> Result<Diff, StoreError> {
        let recent = self.runs(2).await?;
        let pick = |id: Option<i64>, nth: usize| -> Result<i64, StoreError> {
            id.or_else(|| recent.get(nth).map(|r| r.id))
                .ok_or_else(|| StoreError::Query {
                    store: self.name.clone(),
                    message: "diff needs two recorded runs (see `citecheck runs`)".to_owned(),
                })
        };
        let to = pick(to, 0)?;
        let from = match from {
            Some(f) => f,
            None => {
                // The run before `to`.
                let all = self.runs(usize::MAX >> 1).await?;
                let pos = all.iter().position(|r| r.id == to);
                pos.and_then(|i| all.get(i + 1))
                    .map(|r| r.id)
                    .ok_or_else(|| StoreError::Query {
                        store: self.name.clone(),
                        message: format!("no run before run {to} to compare with"),
                    })?
            }
        };
        let missing = |id: i64| StoreError::Query {
            store: self.name.clone(),
            message: format!("no run {id} (see `citecheck runs`)"),
        };
        let from_row = self.run(from).await?.ok_or_else(|| missing(from))?;
        let to_row = self.run(to).await?.ok_or_else(|| missing(to))?;
        let before = self.citations_of(from).await?;
        let mut after = self.citations_of(to).await?;
        let mut diff = Diff {
            from: from_row,
            to: to_row,
            new_failures: Vec::new(),
            recovered: Vec::new(),
            verdict_changes: Vec::new(),
            new_citations: Vec::new(),
            removed_citations: Vec::new(),
        };
        let dead = |s: &Option<CitationState>| {
            s.as_ref()
                .and_then(|s| s.status.as_deref())
                .and_then(LinkStatus::parse)
                .is_some_and(super::is_dead)
        };
        let alive = |s: &Option<CitationState>| {
            s.as_ref()
                .and_then(|s| s.status.as_deref())
                .and_then(LinkStatus::parse)
                .is_some_and(LinkStatus::is_alive)
        };
        for (key, mut old) in before {
            old.before = old.after.take();
            match after.remove(&key) {
                None => diff.removed_citations.push(old),
                Some(new) => {
                    let entry = DiffEntry {
                        before: old.before,
                        ..new
                    };
                    let verdict =
                        |s: &Option<CitationState>| s.as_ref().and_then(|s| s.verdict.clone());
                    if dead(&entry.after) && !dead(&entry.before) {
                        diff.new_failures.push(entry);
                    } else if alive(&entry.after) && dead(&entry.before) {
                        diff.recovered.push(entry);
                    } else if verdict(&entry.before) != verdict(&entry.after) {
                        diff.verdict_changes.push(entry);
                    }
                }
            }
        }
        diff.new_citations.extend(after.into_values());
        Ok(diff)
    }

    /// Drop runs started before `before`, keeping the last check of every URL (and the
    /// citations of that check's run for that URL).
    pub async fn prune(&self, before: DateTime<Utc>) -> Result<Pruned, StoreError> {
        let keep = "SELECT MAX(id) FROM checks GROUP BY url";
        let citations_sql = format!(
            "DELETE FROM citations WHERE run_id IN (SELECT id FROM runs WHERE started_at < $1) \
             AND NOT EXISTS (SELECT 1 FROM checks k WHERE k.run_id = citations.run_id \
             AND k.url = citations.url AND k.id IN ({keep}))"
        );
        let checks_sql = format!(
            "DELETE FROM checks WHERE run_id IN (SELECT id FROM runs WHERE started_at < $1) \
             AND id NOT IN ({keep})"
        );
        let runs_sql = "DELETE FROM runs WHERE started_at < $1 \
                        AND NOT EXISTS (SELECT 1 FROM checks k WHERE k.run_id = runs.id)";
        let cutoff = ms(before);
        let r: Result<(u64, u64, u64), sqlx::Error> = each_backend!(self, p => {
            async {
                let mut tx = p.begin().await?;
                let citations = sqlx::query(sqlx::AssertSqlSafe(citations_sql.clone()))
                    .bind(cutoff)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                let checks = sqlx::query(sqlx::AssertSqlSafe(checks_sql.clone()))
                    .bind(cutoff)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                let runs = sqlx::query(runs_sql)
                    .bind(cutoff)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                Ok((runs, checks, citations))
            }
            .await
        });
        let (runs, checks, citations) = r.map_err(|e| self.err(&e))?;
        Ok(Pruned {
            runs,
            checks,
            citations,
        })
    }
}
