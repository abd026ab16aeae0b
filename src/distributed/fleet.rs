//! Politeness across the fleet: a row per host in `fleet_hosts`, on the database's
//! clock (microseconds). A turn is taken by one atomic statement — the row's
//! `next_allowed_at` moves one gap ahead only if it and `backoff_until` have passed — so
//! two machines never take one turn. A `Retry-After` (or a 429) seen by any worker moves
//! `backoff_until` for all of them.

use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::PgPool;

use crate::fetch::host::FleetGate;

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
