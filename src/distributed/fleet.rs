//! Politeness across the fleet: a row per host in `fleet_hosts`, on the database's
//! clock (microseconds). A turn is taken by one atomic statement — the row's
//! `next_allowed_at` moves one gap ahead only if it and `backoff_until` have passed — so
//! two machines never take one turn. A `Retry-After` (or a 429) seen by any worker moves
//! `backoff_until` for all of them.
//!
//! The soft-404 probe of each host is shared the same way ([`PgProbes`]): one probe per
//! host for the fleet.

use std::borrow::Cow;
use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::PgPool;

use crate::fetch::host::FleetGate;
use crate::resolve::{ProbeClaim, SharedProbes};
use crate::verify::ProbePage;

/// The database's clock in microseconds.
const NOW_US: &str = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT";

/// How long to wait when the database cannot be asked (no request leaves meanwhile).
const AWAY: Duration = Duration::from_millis(250);

/// The fleet's gate, kept in PostgreSQL.
pub struct PgFleet {
    pool: PgPool,
}

impl PgFleet {
    #[must_use]
    pub fn new(pool: PgPool) -> Self {
        PgFleet { pool }
    }

    async fn try_take(&self, host: &str, gap: Duration) -> Result<Option<i64>, sqlx::Error> {
        let gap = i64::try_from(gap.as_micros()).unwrap_or(i64::MAX / 2);
        let take = format!(
            "INSERT INTO fleet_hosts AS h (host, next_allowed_at, backoff_until) \
             VALUES ($1, {NOW_US} + $2, 0) \
             ON CONFLICT (host) DO UPDATE SET next_allowed_at = {NOW_US} + $2 \
             WHERE h.next_allowed_at <= {NOW_US} AND h.backoff_until <= {NOW_US} \
             RETURNING h.next_allowed_at"
        );
        let taken: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(take))
            .bind(host)
            .bind(gap)
            .fetch_optional(&self.pool)
            .await?;
        if taken.is_some() {
            return Ok(None);
        }
        let wait = format!(
            "SELECT GREATEST(next_allowed_at, backoff_until) - {NOW_US} FROM fleet_hosts \
             WHERE host = $1"
        );
        let wait: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(wait))
            .bind(host)
            .fetch_optional(&self.pool)
            .await?;
        Ok(Some(wait.unwrap_or(0).max(200)))
    }
}

impl FleetGate for PgFleet {
    fn take_turn<'a>(
        &'a self,
        host: &'a str,
        gap: Duration,
    ) -> BoxFuture<'a, Result<(), Duration>> {
        Box::pin(async move {
            match self.try_take(host, gap).await {
                Ok(None) => Ok(()),
                Ok(Some(us)) => Err(Duration::from_micros(u64::try_from(us).unwrap_or(200))),
                Err(e) => {
                    tracing::warn!("fleet politeness: {e}; waiting");
                    Err(AWAY)
                }
            }
        })
    }

    fn back_off<'a>(&'a self, host: &'a str, wait: Duration) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let wait = i64::try_from(wait.as_micros()).unwrap_or(i64::MAX / 2);
            let sql = format!(
                "INSERT INTO fleet_hosts AS h (host, next_allowed_at, backoff_until) \
                 VALUES ($1, 0, {NOW_US} + $2) \
                 ON CONFLICT (host) DO UPDATE SET \
                 backoff_until = GREATEST(h.backoff_until, EXCLUDED.backoff_until)"
            );
            if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(host)
                .bind(wait)
                .execute(&self.pool)
                .await
            {
                tracing::warn!("fleet backoff of {host}: {e}");
            }
        })
    }
}

/// How long one machine may take to probe a host before another may claim the probe
/// (a claimer that died; the probe request waits for the host's turn like any other).
pub const PROBE_CLAIM: Duration = Duration::from_secs(60);

/// How long a host's probe answer serves the fleet before it is probed again.
pub const PROBE_TTL: Duration = Duration::from_secs(3600);

/// The longest pause between two looks at a probe another machine is sending.
const PROBE_POLL: Duration = Duration::from_millis(100);

/// The soft-404 probes of the fleet: a row per origin in `fleet_probes` (times on the
/// database's clock, in milliseconds). The first machine to need a host's probe claims
/// it by one atomic `INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`, sends it and
/// publishes the answer; the others wait for it, so a host gets one probe per
/// [`PROBE_TTL`] from the whole fleet, not one per worker.
pub struct PgProbes {
    pool: PgPool,
    /// This worker's name (`leased_by`).
    worker: String,
}

/// A probe answer as `fleet_probes.answer` keeps it (JSON; `null`: no page); borrowed
/// from the [`ProbePage`] when published.
#[derive(serde::Serialize, serde::Deserialize)]
struct Answer<'a> {
    title: Option<Cow<'a, str>>,
    main_text: Cow<'a, str>,
}

impl PgProbes {
    #[must_use]
    pub fn new(pool: PgPool, worker: String) -> Self {
        PgProbes { pool, worker }
    }

    async fn try_claim(&self, origin: &str) -> Result<ProbeClaim, sqlx::Error> {
        let now = crate::distributed::NOW_MS;
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4);
        let claim = format!(
            "INSERT INTO fleet_probes AS p (origin, claimed_by, claimed_until) \
             VALUES ($1, $2, {now} + $3) \
             ON CONFLICT (origin) DO UPDATE SET claimed_by = $2, claimed_until = {now} + $3, \
             fetched_at = NULL, answer = NULL \
             WHERE (p.fetched_at IS NULL AND p.claimed_until < {now}) \
             OR p.fetched_at < {now} - $4 \
             RETURNING 1"
        );
        let mine: Option<i32> = sqlx::query_scalar(sqlx::AssertSqlSafe(claim))
            .bind(origin)
            .bind(&self.worker)
            .bind(ms(PROBE_CLAIM))
            .bind(ms(PROBE_TTL))
            .fetch_optional(&self.pool)
            .await?;
        if mine.is_some() {
            return Ok(ProbeClaim::Mine);
        }
        let look = format!(
            "SELECT fetched_at IS NOT NULL, answer, claimed_until - {now} FROM fleet_probes \
             WHERE origin = $1"
        );
        let row: Option<(bool, Option<String>, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(look))
            .bind(origin)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some((true, answer, _)) => ProbeClaim::Known(
                answer
                    .and_then(|a| serde_json::from_str::<Option<Answer>>(&a).ok())
                    .flatten()
                    .map(|a| {
                        ProbePage::new(a.title.map(Cow::into_owned), a.main_text.into_owned())
                    }),
            ),
            Some((false, _, left)) => ProbeClaim::Wait(
                Duration::from_millis(u64::try_from(left).unwrap_or(0))
                    .clamp(Duration::from_millis(10), PROBE_POLL),
            ),
            // Gone between the two statements (a stale answer re-claimed): ask again.
            None => ProbeClaim::Wait(Duration::from_millis(10)),
        })
    }
}

impl SharedProbes for PgProbes {
    fn claim<'a>(&'a self, origin: &'a str) -> BoxFuture<'a, ProbeClaim> {
        Box::pin(async move {
            match self.try_claim(origin).await {
                Ok(claim) => claim,
                Err(e) => {
                    tracing::warn!("fleet probe of {origin}: {e}; probing here");
                    ProbeClaim::Mine
                }
            }
        })
    }

    fn publish<'a>(&'a self, origin: &'a str, answer: Option<&'a ProbePage>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let answer = answer.map(|a| Answer {
                title: a.title.as_deref().map(Cow::Borrowed),
                main_text: Cow::Borrowed(&a.main_text),
            });
            let json = serde_json::to_string(&answer).unwrap_or_else(|_| "null".to_owned());
            let sql = format!(
                "UPDATE fleet_probes SET fetched_at = {}, answer = $3, claimed_until = 0 \
                 WHERE origin = $1 AND claimed_by = $2",
                crate::distributed::NOW_MS
            );
            if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(origin)
                .bind(&self.worker)
                .bind(json)
                .execute(&self.pool)
                .await
            {
                tracing::warn!("fleet probe of {origin}: {e}; the others probe it themselves");
            }
        })
    }
}
