//! Politeness, one object per host.
//!
//! Every request to a host passes through its [`Host`] gate in a fixed order:
//! host semaphore (in-flight cap) → backoff from `Retry-After` → token bucket (rate) →
//! global slot → send. The global slot is taken last, so a host that is throttled or
//! backing off never holds a slot another host could use (lychee takes the global slot
//! first; we don't). The rate is a governor direct limiter per host rather than one keyed
//! limiter, because per-host overrides give hosts different quotas; hosts are created
//! lazily and live for the run, so there is nothing for `retain_recent` to prune.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};
use tokio::time::Instant;

use crate::config::FetchConfig;

type Limiter = RateLimiter<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    DefaultClock,
    governor::middleware::NoOpMiddleware<<DefaultClock as Clock>::Instant>,
>;

/// The quota for `rate` requests per second with a burst of one, so that consecutive
/// requests are never closer than `1 / rate`.
pub(crate) fn quota_for(rate: f64) -> Quota {
    let period = Duration::from_secs_f64(1.0 / rate).max(Duration::from_nanos(1));
    Quota::with_period(period)
        .expect("period is at least 1 ns")
        .allow_burst(NonZeroU32::MIN)
}

/// Politeness state of one host.
pub(crate) struct Host {
    permits: Arc<Semaphore>,
    limiter: Limiter,
    clock: DefaultClock,
    backoff_until: Mutex<Option<Instant>>,
    /// robots.txt `Crawl-delay`: the least time between two requests.
    crawl_delay: Mutex<Option<Duration>>,
}

/// Held while one request to a host is in flight.
pub(crate) struct Gate<'a> {
    _host: OwnedSemaphorePermit,
    _global: SemaphorePermit<'a>,
}

impl Host {
    fn new(concurrency: usize, rate: f64) -> Self {
        let clock = DefaultClock::default();
        Host {
            permits: Arc::new(Semaphore::new(concurrency)),
            limiter: RateLimiter::direct_with_clock(quota_for(rate), clock.clone()),
            clock,
            backoff_until: Mutex::new(None),
            crawl_delay: Mutex::new(None),
        }
    }

    /// Keep at least `delay` between two requests to this host (robots.txt).
    pub(crate) fn set_crawl_delay(&self, delay: Duration) {
        *self.crawl_delay.lock().expect("crawl-delay lock poisoned") = Some(delay);
    }

    /// Wait for this host's turn, then for a global slot.
    pub(crate) async fn enter<'a>(&self, global: &'a Semaphore) -> Gate<'a> {
        let host = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .expect("host semaphores are never closed");
        loop {
            if let Some(until) = self.backoff() {
                tokio::time::sleep_until(until).await;
                continue;
            }
            if let Err(not_until) = self.limiter.check() {
                tokio::time::sleep(not_until.wait_time_from(self.clock.now())).await;
                continue;
            }
            // The token is ours; only now take a global slot (waiting here does not
            // delay other hosts, and the token interval is already counted).
            let global = global
                .acquire()
                .await
                .expect("the global semaphore is never closed");
            let crawl_delay = *self.crawl_delay.lock().expect("crawl-delay lock poisoned");
            if let Some(delay) = crawl_delay {
                self.back_off_until(Instant::now() + delay);
            }
            return Gate {
                _host: host,
                _global: global,
            };
        }
    }

    /// Ask every request to this host to wait until `until` (from `Retry-After`).
    pub(crate) fn back_off_until(&self, until: Instant) {
        let mut b = self.backoff_until.lock().expect("backoff lock poisoned");
        if b.is_none_or(|cur| cur < until) {
            *b = Some(until);
        }
    }

    fn backoff(&self) -> Option<Instant> {
        let mut b = self.backoff_until.lock().expect("backoff lock poisoned");
        match *b {
            Some(until) if until > Instant::now() => Some(until),
            Some(_) => {
                *b = None;
                None
            }
            None => None,
        }
    }
}

/// All hosts of a run, created on first use with their configured limits.
pub(crate) struct HostPool {
    hosts: Mutex<HashMap<String, Arc<Host>>>,
    config: Arc<FetchConfig>,
}

impl HostPool {
    pub(crate) fn new(config: Arc<FetchConfig>) -> Self {
        HostPool {
            hosts: Mutex::new(HashMap::new()),
            config,
        }
    }

    /// The politeness object of `host` (lower-case host name, with port if not default).
    pub(crate) fn get(&self, host: &str) -> Arc<Host> {
        let mut hosts = self.hosts.lock().expect("host pool lock poisoned");
        if let Some(h) = hosts.get(host) {
            return Arc::clone(h);
        }
        let (concurrency, rate) = self.config.host_limits(host);
        let h = Arc::new(Host::new(concurrency, rate));
        hosts.insert(host.to_owned(), Arc::clone(&h));
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_period_is_the_inverse_of_the_rate() {
        assert_eq!(quota_for(1.0).replenish_interval(), Duration::from_secs(1));
        assert_eq!(quota_for(4.0).replenish_interval(), Duration::from_millis(250));
        assert_eq!(quota_for(0.5).replenish_interval(), Duration::from_secs(2));
        assert_eq!(quota_for(2.0).burst_size().get(), 1);
    }

    #[tokio::test]
    async fn second_request_waits_for_the_token() {
        let host = Host::new(2, 5.0);
        let global = Semaphore::new(1);
        let t0 = Instant::now();
        drop(host.enter(&global).await);
        drop(host.enter(&global).await);
        let gap = t0.elapsed();
        assert!(gap >= Duration::from_millis(190), "gap {gap:?}");
    }

    #[tokio::test]
    async fn a_throttled_host_holds_no_global_slot() {
        let host = Arc::new(Host::new(1, 2.0));
        let global = Arc::new(Semaphore::new(1));
        drop(host.enter(&global).await);
        let (h, g) = (Arc::clone(&host), Arc::clone(&global));
        let waiting = tokio::spawn(async move {
            drop(h.enter(&g).await);
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        assert_eq!(global.available_permits(), 1);
        waiting.await.unwrap();
    }

    #[tokio::test]
    async fn backoff_delays_the_next_request() {
        let host = Host::new(1, 1000.0);
        let global = Semaphore::new(4);
        host.back_off_until(Instant::now() + Duration::from_millis(150));
        let t0 = Instant::now();
        drop(host.enter(&global).await);
        assert!(t0.elapsed() >= Duration::from_millis(140));
    }
}
