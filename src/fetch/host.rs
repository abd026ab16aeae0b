//! Politeness, one object per host.
//!
//! The rule is about **when requests leave**: two requests to one host never leave closer
//! than `1 / rate` (or the robots.txt `Crawl-delay`, whichever is longer), and none leaves
//! before a `Retry-After` backoff has run out — whatever the contention for global slots,
//! and for retries, redirect hops, robots.txt and soft-404 probes alike (they all pass
//! through [`Host::enter`]).
//!
//! Every request passes the gate in a fixed order: host semaphore (in-flight cap) → wait
//! for the host's turn (backoff, then rate) → global slot → **take the turn** → send. The
//! turn is taken only once the global slot is held, so time spent waiting for a slot
//! never eats into the interval (taking the turn first and then waiting for a slot lets
//! two requests leave back to back). While it waits for its turn a request holds no global
//! slot, so a throttled host never holds a slot another host could use (lychee takes the
//! global slot first; we don't). If another request of the same host took the turn while
//! this one waited for its slot, the slot is given back at once and the wait starts over.
//!
//! A request that must first open a connection (TCP, TLS) leaves only when the connection
//! is up, which can be long after its turn; the next request, on a warm connection,
//! would then leave less than an interval after it. So the connector re-stamps the turn
//! when a connection opened for a request is ready ([`StampLayer`]): the next turn is
//! due one interval after that.
//!
//! The arithmetic lives in [`Schedule`]: synchronous, no clock of its own, unit-tested.
//! (governor's token bucket was used before; it cannot say when the next token is due
//! without taking it, which is exactly what the order above needs.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};
use tokio::time::Instant;

use super::FetchOptions;

/// When the next request to one host may leave.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    /// `1 / rate`.
    interval: Duration,
    /// robots.txt `Crawl-delay`, if longer than the interval.
    crawl_delay: Option<Duration>,
    /// The earliest time the next request may leave (none sent yet: `None`).
    next_at: Option<Instant>,
    /// `Retry-After`: nothing leaves before this.
    backoff_until: Option<Instant>,
}

impl Schedule {
    pub(crate) fn new(rate: f64) -> Self {
        Schedule {
            interval: interval_for(rate),
            crawl_delay: None,
            next_at: None,
            backoff_until: None,
        }
    }

    /// The time before which no request may leave, if it is later than `now`.
    pub(crate) fn wait_until(&self, now: Instant) -> Option<Instant> {
        let ready = match (self.next_at, self.backoff_until) {
            (Some(a), Some(b)) => a.max(b),
            (a, b) => a.or(b)?,
        };
        (ready > now).then_some(ready)
    }

    /// Take the turn at `now` if it is due: the next one is due one interval later.
    pub(crate) fn try_take(&mut self, now: Instant) -> Result<(), Instant> {
        if let Some(until) = self.wait_until(now) {
            return Err(until);
        }
        let gap = self
            .crawl_delay
            .map_or(self.interval, |d| d.max(self.interval));
        self.next_at = Some(now + gap);
        Ok(())
    }

    /// The request whose turn was last taken leaves only now (its connection just
    /// opened): the next turn is due one interval from now.
    pub(crate) fn restamp(&mut self, now: Instant) {
        let gap = self
            .crawl_delay
            .map_or(self.interval, |d| d.max(self.interval));
        if self.next_at.is_none_or(|n| n < now + gap) {
            self.next_at = Some(now + gap);
        }
    }

    /// Nothing leaves before `until` (a later backoff wins over an earlier one).
    pub(crate) fn back_off_until(&mut self, until: Instant) {
        if self.backoff_until.is_none_or(|cur| cur < until) {
            self.backoff_until = Some(until);
        }
    }

    pub(crate) fn set_crawl_delay(&mut self, delay: Duration) {
        self.crawl_delay = Some(delay);
    }

    /// The turn just taken was not used (the fleet's turn is not due): the next one is
    /// due at `at`, when the fleet's is.
    pub(crate) fn defer_to(&mut self, at: Instant) {
        self.next_at = Some(at);
    }

    /// The least time between two requests (the interval, or a longer crawl delay).
    pub(crate) fn gap(&self) -> Duration {
        self.crawl_delay
            .map_or(self.interval, |d| d.max(self.interval))
    }
}

/// Politeness shared with other machines (distributed runs, [`crate::distributed`]): on
/// top of the in-process gate, a request takes the fleet's turn of its host last, and a
/// `Retry-After` seen here holds the host for the whole fleet. The single-machine path
/// has none.
pub trait FleetGate: Send + Sync {
    /// Take the fleet's turn of `host` now if it is due (the next one is due `gap`
    /// later, for every machine); if not, how long to wait before asking again.
    fn take_turn<'a>(
        &'a self,
        host: &'a str,
        gap: Duration,
    ) -> futures::future::BoxFuture<'a, Result<(), Duration>>;
    /// Nothing leaves for `host` on any machine for `wait` from now.
    fn back_off<'a>(&'a self, host: &'a str, wait: Duration) -> futures::future::BoxFuture<'a, ()>;
}

/// `1 / rate`, for a rate already validated to a sane range; none for an unpaced host
/// ([`super::options::UNPACED`]): every turn is due at once, so no request ever sleeps
/// for its turn (a wait below the timer's millisecond would cost a timer, a wake-up and
/// up to a millisecond for nothing).
pub(crate) fn interval_for(rate: f64) -> Duration {
    if rate == super::options::UNPACED {
        return Duration::ZERO;
    }
    Duration::try_from_secs_f64(1.0 / rate)
        .unwrap_or(Duration::MAX)
        .max(Duration::from_nanos(1))
}

/// Politeness state of one host.
pub(crate) struct Host {
    permits: Arc<Semaphore>,
    schedule: Mutex<Schedule>,
}

/// Held while one request to a host is in flight.
pub(crate) struct Gate<'a> {
    _host: OwnedSemaphorePermit,
    _global: SemaphorePermit<'a>,
}

impl Host {
    fn new(concurrency: usize, rate: f64) -> Self {
        Host {
            permits: Arc::new(Semaphore::new(concurrency)),
            schedule: Mutex::new(Schedule::new(rate)),
        }
    }

    fn schedule(&self) -> std::sync::MutexGuard<'_, Schedule> {
        self.schedule.lock().expect("schedule lock poisoned")
    }

    /// Keep at least `delay` between two requests to this host (robots.txt).
    pub(crate) fn set_crawl_delay(&self, delay: Duration) {
        self.schedule().set_crawl_delay(delay);
    }

    /// The turn taken was given back (the fleet's is not due): the next is due at `at`.
    pub(crate) fn defer_to(&self, at: Instant) {
        self.schedule().defer_to(at);
    }

    /// The least time between two requests to this host.
    pub(crate) fn gap(&self) -> Duration {
        self.schedule().gap()
    }

    /// A connection opened for a request of this host is ready: it leaves now.
    pub(crate) fn connected(&self, now: Instant) {
        self.schedule().restamp(now);
    }

    /// Ask every request to this host to wait until `until` (from `Retry-After`).
    pub(crate) fn back_off_until(&self, until: Instant) {
        self.schedule().back_off_until(until);
    }

    /// Wait for this host's turn, then for a global slot; the turn is taken last.
    pub(crate) async fn enter<'a>(&self, global: &'a Semaphore) -> Gate<'a> {
        let host = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .expect("host semaphores are never closed");
        loop {
            let wait = self.schedule().wait_until(Instant::now());
            if let Some(until) = wait {
                tokio::time::sleep_until(until).await;
                continue;
            }
            let slot = global
                .acquire()
                .await
                .expect("the global semaphore is never closed");
            let taken = self.schedule().try_take(Instant::now());
            if taken.is_ok() {
                return Gate {
                    _host: host,
                    _global: slot,
                };
            }
            // Another request of this host took the turn while we waited for the slot.
            drop(slot);
        }
    }
}

tokio::task_local! {
    /// The host a request in this task is being sent to, for [`StampLayer`].
    pub(crate) static SENDING: Arc<Host>;
}

/// A layer on the client's connector: when a connection opened by a request of ours is
/// ready, that request's host re-stamps its turn ([`Schedule::restamp`]). A connection
/// finished in the background for the pool (no request waits on it) stamps nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StampLayer;

impl<S> tower_layer::Layer<S> for StampLayer {
    type Service = Stamp<S>;

    fn layer(&self, inner: S) -> Stamp<S> {
        Stamp(inner)
    }
}

/// The connector wrapped by [`StampLayer`].
#[derive(Debug, Clone)]
pub(crate) struct Stamp<S>(S);

impl<S, R> tower_service::Service<R> for Stamp<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        let connecting = self.0.call(req);
        Box::pin(async move {
            let conn = connecting.await;
            if conn.is_ok() {
                // Not inside one of our requests (a pooled background connect): no-op.
                let _ = SENDING.try_with(|host| host.connected(Instant::now()));
            }
            conn
        })
    }
}

/// All hosts of a run, created on first use with their configured limits.
pub(crate) struct HostPool {
    hosts: Mutex<HashMap<String, Arc<Host>>>,
    config: Arc<FetchOptions>,
}

impl HostPool {
    pub(crate) fn new(config: Arc<FetchOptions>) -> Self {
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
    fn the_schedule_spaces_turns_by_the_interval() {
        let t0 = Instant::now();
        let mut s = Schedule::new(5.0);
        assert_eq!(s.wait_until(t0), None);
        assert!(s.try_take(t0).is_ok());
        let ms = Duration::from_millis;
        assert_eq!(s.try_take(t0 + ms(100)), Err(t0 + ms(200)));
        // A late turn counts from when it is taken, not from when it was due.
        assert!(s.try_take(t0 + ms(350)).is_ok());
        assert_eq!(s.wait_until(t0 + ms(360)), Some(t0 + ms(550)));
        // A crawl delay longer than the interval wins; a backoff wins over both.
        s.set_crawl_delay(Duration::from_secs(1));
        assert!(s.try_take(t0 + ms(600)).is_ok());
        assert_eq!(s.wait_until(t0 + ms(600)), Some(t0 + ms(1600)));
        // A turn whose connection opened late counts from then.
        s.restamp(t0 + ms(1700));
        assert_eq!(s.wait_until(t0 + ms(1700)), Some(t0 + ms(2700)));
        s.back_off_until(t0 + ms(5000));
        s.back_off_until(t0 + ms(4000));
        assert_eq!(s.try_take(t0 + ms(2000)), Err(t0 + ms(5000)));
        assert!(s.try_take(t0 + ms(5000)).is_ok());
        assert_eq!(interval_for(0.5), Duration::from_secs(2));
        assert_eq!(interval_for(4.0), ms(250));
    }

    #[test]
    fn an_unpaced_host_never_waits_for_a_turn_but_for_a_backoff_or_crawl_delay() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        // The fastest paced host makes the second request of one instant wait.
        let mut paced = Schedule::new(*crate::fetch::options::HOST_RATE_RANGE.end());
        assert!(paced.try_take(t0).is_ok());
        assert!(paced.try_take(t0).is_err());
        // Unpaced: every turn is due at once, however many are taken in one instant.
        let mut s = Schedule::new(crate::fetch::options::UNPACED);
        assert_eq!(interval_for(crate::fetch::options::UNPACED), Duration::ZERO);
        for _ in 0..3 {
            assert!(s.try_take(t0).is_ok());
            assert_eq!(s.wait_until(t0), None);
        }
        s.restamp(t0);
        assert!(s.try_take(t0).is_ok());
        // A `Retry-After` and a robots.txt crawl delay still hold.
        s.back_off_until(t0 + ms(500));
        assert_eq!(s.try_take(t0 + ms(1)), Err(t0 + ms(500)));
        s.set_crawl_delay(ms(200));
        assert!(s.try_take(t0 + ms(500)).is_ok());
        assert_eq!(s.try_take(t0 + ms(600)), Err(t0 + ms(700)));
    }

    #[tokio::test]
    async fn second_request_waits_for_its_turn() {
        let host = Host::new(2, 5.0);
        let global = Semaphore::new(1);
        let t0 = Instant::now();
        drop(host.enter(&global).await);
        drop(host.enter(&global).await);
        let gap = t0.elapsed();
        assert!(gap >= Duration::from_millis(199), "gap {gap:?}");
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
    async fn time_spent_waiting_for_a_slot_does_not_count_as_the_interval() {
        // The host's first request waits 150 ms for the only global slot; the second
        // must still leave a whole interval (100 ms) after the first actually left.
        let host = Host::new(2, 10.0);
        let global = Semaphore::new(1);
        let busy = global.acquire().await.unwrap();
        let (first, ()) = tokio::join!(
            async {
                let g = host.enter(&global).await;
                let at = Instant::now();
                drop(g);
                at
            },
            async {
                tokio::time::sleep(Duration::from_millis(150)).await;
                drop(busy);
            }
        );
        drop(host.enter(&global).await);
        let gap = first.elapsed();
        assert!(
            gap >= Duration::from_millis(99),
            "second left {gap:?} after the first"
        );
    }

    #[tokio::test]
    async fn backoff_delays_the_next_request() {
        let host = Host::new(1, 1000.0);
        let global = Semaphore::new(4);
        host.back_off_until(Instant::now() + Duration::from_millis(150));
        let t0 = Instant::now();
        drop(host.enter(&global).await);
        assert!(t0.elapsed() >= Duration::from_millis(149));
    }
}
