//! Memory across runs: the history store.
//!
//! One interface, two back ends through sqlx: SQLite (the embedded default,
//! `sqlite://.citecheck/history.db`) and PostgreSQL (a store shared by a team or several
//! machines). The schema is created and upgraded by the migrations embedded in the
//! binary ([`SCHEMA_VERSION`]); a store with a newer schema than this binary knows is an
//! error ([`StoreError::TooNew`]), never written to.
//!
//! What is kept: every run (start, end, complete or not, version, the settings that
//! affect results), every check of a URL in a run (status, HTTP code, final URL, the
//! link result, main-text fingerprint, and for reusable checks a bounded snapshot of the
//! page for `--max-age`), every citation of a run (report, line, claim, verdict, change),
//! and two summaries kept current: one row per URL ([`LinkState`]: consecutive
//! failures, since when, last success, fingerprint) and the last verdict per claim.
//! Rows are written by [`writer`] in batched transactions as results arrive, so a run
//! killed at any moment keeps what it checked; its run row stays `complete = 0`.
//!
//! Concurrency: SQLite runs in WAL mode with a busy timeout, every write is one short
//! transaction, and migrations take the write lock first (`BEGIN IMMEDIATE`);
//! PostgreSQL migrations take an advisory lock. Two runs on one store at once neither
//! fail nor corrupt it; the per-URL summary is last-writer-wins.
//!
//! Times are stored as Unix milliseconds (UTC), portable across both back ends.

pub mod duration;
mod history;
pub mod memory;
pub mod queries;
pub mod recording;
pub mod writer;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use history::{
    DEAD_AFTER_DAYS_RANGE, DEAD_AFTER_FAILURES_RANGE, DEFAULT_DEAD_AFTER_DAYS,
    DEFAULT_DEAD_AFTER_FAILURES, DeadRule, LinkState, advance, describe, is_check, is_dead,
};

/// The default store, relative to the working directory.
pub const DEFAULT_STORE_URL: &str = "sqlite://.citecheck/history.db";

/// The schema version this binary creates and understands.
pub const SCHEMA_VERSION: i64 = 3;

/// Largest main text kept per page for the cache (bytes).
pub const SNAPSHOT_MAX_MAIN_BYTES: usize = 256 * 1024;
/// Largest text outside the main text kept per page for the cache (bytes).
pub const SNAPSHOT_MAX_CHROME_BYTES: usize = 32 * 1024;

/// Tries of an open or migration that finds the store busy (another run at it).
const BUSY_RETRIES: u32 = 40;

/// The pause before try `attempt` (20 ms doubling to 320 ms: ≈ 12 s in all).
fn busy_pause(attempt: u32) -> Duration {
    Duration::from_millis(20 << attempt.min(4))
}

/// The embedded migrations: version, SQLite script, PostgreSQL script.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        include_str!("migrations/0001_sqlite.sql"),
        include_str!("migrations/0001_postgres.sql"),
    ),
    // The work queue and fleet politeness of distributed runs (`crate::distributed`).
    (
        2,
        include_str!("migrations/0002_sqlite.sql"),
        include_str!("migrations/0002_postgres.sql"),
    ),
    // The fleet's soft-404 probes (`crate::distributed::fleet::PgProbes`): one script,
    // the same for both.
    (
        3,
        include_str!("migrations/0003.sql"),
        include_str!("migrations/0003.sql"),
    ),
];

/// A store that cannot be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported history store URL {0:?} (use sqlite://PATH or postgres://…)")]
    BadUrl(String),
    #[error("cannot open the history store {store}: {message}")]
    Open { store: String, message: String },
    #[error(
        "the history store {store} has schema version {found}, newer than this citecheck \
         knows ({known}): upgrade citecheck (the store was not changed)"
    )]
    TooNew {
        store: String,
        found: i64,
        known: i64,
    },
    #[error("history store {store}: {message}")]
    Query { store: String, message: String },
}

/// One of the two back ends.
#[derive(Debug, Clone)]
pub(crate) enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Run `$body` with `$pool` bound to the back end's pool: one text of code, compiled for
/// each back end (the SQL is portable: `$N` parameters, `ON CONFLICT`, `RETURNING`).
macro_rules! each_backend {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::store::Backend::Sqlite($pool) => $body,
            $crate::store::Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use each_backend;

/// An open history store.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) backend: Backend,
    /// The URL with any password hidden, for messages.
    name: String,
}

impl Store {
    /// Open (and create or upgrade) the store at `url`: `sqlite://PATH` (created with
    /// its directory on first use) or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let name = redact(url);
        let open_err = |message: String| StoreError::Open {
            store: name.clone(),
            message,
        };
        let backend = if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(StoreError::BadUrl(url.to_owned()));
            }
            let path = Path::new(path);
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| open_err(format!("cannot create {}: {e}", dir.display())))?;
            }
            let options = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(60))
                .foreign_keys(true);
            // A new file opened by two runs at once: switching it to WAL may find it busy
            // without waiting; try again, as for any busy store.
            let mut attempt = 0;
            let pool = loop {
                match SqlitePoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(60))
                    .connect_with(options.clone())
                    .await
                {
                    Err(e) if attempt < BUSY_RETRIES && queries::retryable(&e) => {
                        attempt += 1;
                        tokio::time::sleep(busy_pause(attempt)).await;
                    }
                    r => break r.map_err(|e| open_err(short(&e)))?,
                }
            };
            Backend::Sqlite(pool)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options: PgConnectOptions = url.parse().map_err(|e| open_err(short(&e)))?;
            let pool = PgPoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(15))
                .connect_with(options)
                .await
                .map_err(|e| open_err(short(&e)))?;
            Backend::Postgres(pool)
        } else {
            return Err(StoreError::BadUrl(url.to_owned()));
        };
        let store = Store { backend, name };
        store.migrate().await?;
        Ok(store)
    }

    /// The PostgreSQL pool, when the store is PostgreSQL (distributed runs need it).
    #[must_use]
    pub fn postgres(&self) -> Option<&PgPool> {
        match &self.backend {
            Backend::Postgres(p) => Some(p),
            Backend::Sqlite(_) => None,
        }
    }

    /// The store's URL, password hidden.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn err(&self, e: &sqlx::Error) -> StoreError {
        StoreError::Query {
            store: self.name.clone(),
            message: short(e),
        }
    }

    /// Apply the migrations this binary has and the store lacks, under the store's
    /// write lock; refuse a store whose schema is newer.
    async fn migrate(&self) -> Result<(), StoreError> {
        const VERSION_TABLE: &str =
            "CREATE TABLE IF NOT EXISTS citecheck_schema (version BIGINT NOT NULL)";
        // SQLite: take the write lock first; PostgreSQL: an advisory lock. The scripts
        // differ per back end; the rest is one text for both.
        let postgres = matches!(self.backend, Backend::Postgres(_));
        let (begin, lock) = if postgres {
            ("BEGIN", Some("SELECT pg_advisory_xact_lock(727012345)"))
        } else {
            ("BEGIN IMMEDIATE", None)
        };
        let mut attempt = 0;
        let result = loop {
            let result: Result<Result<(), StoreError>, sqlx::Error> = each_backend!(self, p => {
                async {
                    let mut tx = p.begin_with(begin).await?;
                    if let Some(lock) = lock {
                        sqlx::query(lock).execute(&mut *tx).await?;
                    }
                    sqlx::query(VERSION_TABLE).execute(&mut *tx).await?;
                    let found: Option<i64> =
                        sqlx::query_scalar("SELECT MAX(version) FROM citecheck_schema")
                            .fetch_one(&mut *tx)
                            .await?;
                    let todo = match self.pending(found.unwrap_or(0)) {
                        Err(e) => return Ok(Err(e)),
                        Ok(todo) => todo,
                    };
                    for (version, sqlite, pg) in todo {
                        sqlx::raw_sql(if postgres { *pg } else { *sqlite })
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query("INSERT INTO citecheck_schema (version) VALUES ($1)")
                            .bind(version)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    Ok(Ok(()))
                }
                .await
            });
            match result {
                Err(e) if attempt < BUSY_RETRIES && queries::retryable(&e) => {
                    attempt += 1;
                    tokio::time::sleep(busy_pause(attempt)).await;
                }
                r => break r,
            }
        };
        result.map_err(|e| StoreError::Open {
            store: self.name.clone(),
            message: short(&e),
        })?
    }

    /// The migrations to apply over schema `found`.
    fn pending(
        &self,
        found: i64,
    ) -> Result<&'static [(i64, &'static str, &'static str)], StoreError> {
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                store: self.name.clone(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        let first = MIGRATIONS
            .iter()
            .position(|(v, _, _)| *v > found)
            .unwrap_or(MIGRATIONS.len());
        Ok(&MIGRATIONS[first..])
    }

    /// Close the pool (waits for connections to be returned).
    pub async fn close(&self) {
        each_backend!(self, p => p.close().await);
    }
}

/// Milliseconds since the epoch.
pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A time from milliseconds since the epoch.
pub(crate) fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A database error as one short line (sqlx's own message, without its wrappers).
fn short(e: &(dyn std::error::Error + 'static)) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
        source = s.source();
    }
    message
}

/// `url` with the password (if any) replaced by `***`.
#[must_use]
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact("postgres://me:secret@db.example/audit"),
            "postgres://me:***@db.example/audit"
        );
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }

    #[test]
    fn a_newer_schema_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("h.db").display());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let store = Store::open(&url).await.unwrap();
            // Opening again applies nothing twice.
            let again = Store::open(&url).await.unwrap();
            let Backend::Sqlite(p) = &again.backend else {
                unreachable!()
            };
            let versions: Vec<i64> =
                sqlx::query_scalar("SELECT version FROM citecheck_schema ORDER BY version")
                    .fetch_all(p)
                    .await
                    .unwrap();
            assert_eq!(versions, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
            sqlx::query("INSERT INTO citecheck_schema (version) VALUES (99)")
                .execute(p)
                .await
                .unwrap();
            store.close().await;
            again.close().await;
            let err = Store::open(&url).await.unwrap_err();
            assert!(
                matches!(
                    err,
                    StoreError::TooNew {
                        found: 99,
                        known: SCHEMA_VERSION,
                        ..
                    }
                ),
                "{err}"
            );
            assert!(err.to_string().contains("upgrade citecheck"), "{err}");
        });
    }

    #[test]
    fn bad_urls_are_named() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for bad in ["mysql://x/y", "sqlite://", "history.db"] {
            let err = rt.block_on(Store::open(bad)).unwrap_err();
            assert!(matches!(err, StoreError::BadUrl(_)), "{bad}: {err}");
            assert!(err.to_string().contains(bad), "{err}");
        }
    }
}
