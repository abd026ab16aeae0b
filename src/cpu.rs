//! A fixed set of CPU workers, one per core, for the CPU-bound part of a run: reading
//! pages (decode, parse, main text, dates) and verifying claims against them.
//!
//! The async side only fetches; it hands each piece of CPU work to [`CpuPool::run`] and
//! awaits the answer. Jobs wait in one queue: a worker that finishes a job takes the next
//! one without sleeping, and only an idle worker is woken, so a busy run costs no thread
//! hand-off per page (a blocking-pool task per page costs a wake-up and a park each).
//! At most one job per worker runs at a time, so CPU work never exceeds the cores and
//! never starves the fetches. A job that panics loses only its own answer.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

type Job = Box<dyn FnOnce() + Send>;

/// The cores available to this process, as the OS reports them.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

/// Worker threads for the async side of a run: half the cores, at least one. It only
/// sends requests and reads answers (the CPU work is the CPU workers'), and with
/// fewer threads than cores it does so without work stealing between idle threads and
/// without the wake-ups that cost: on 2 cores, one async worker instead of two took the
/// CPU per URL of the `throughput` bench from about 190 to 165 ms per 1,000 URLs.
#[must_use]
pub fn async_workers() -> usize {
    (cores() / 2).max(1)
}

/// `f` of each of `items`, in their order, spread over the cores in one piece per core
/// when there are at least `min` items (below that a thread costs more than it saves;
/// on one thread too when no other can be started). For the serial stages before the
/// fetching (a large report's claims), while no CPU worker has work yet.
pub fn spread<T: Sync, R: Send>(items: &[T], min: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = cores();
    if items.len() < min.max(2) || threads < 2 {
        return items.iter().map(&f).collect();
    }
    let per = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let f = &f;
        let parts: Vec<_> = items
            .chunks(per)
            .map(|part| {
                let spawned = std::thread::Builder::new()
                    .spawn_scoped(s, move || part.iter().map(f).collect::<Vec<_>>());
                (part, spawned.ok())
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|(part, worker)| match worker {
                Some(w) => w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
                None => part.iter().map(f).collect(),
            })
            .collect()
    })
}

/// The queue and the workers' state, behind one lock.
#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    /// Workers waiting for a job.
    idle: usize,
    /// No more jobs: workers finish the queue and stop.
    closed: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    ready: Condvar,
}

/// The CPU workers of a run; dropping the pool lets them finish the queue and stop.
pub struct CpuPool {
    shared: Arc<Shared>,
    workers: usize,
}

impl CpuPool {
    /// One worker per core (as the OS reports the cores available to this process);
    /// `CITECHECK_CPU_WORKERS` sets another number (for tuning and benchmarks).
    #[must_use]
    pub fn per_core() -> Self {
        let set = std::env::var("CITECHECK_CPU_WORKERS")
            .ok()
            .and_then(|v| v.trim().parse().ok());
        Self::new(set.unwrap_or_else(cores))
    }

    /// A pool of `workers` threads (at least one).
    #[must_use]
    pub fn new(workers: usize) -> Self {
        let workers = workers.max(1);
        let shared = Arc::new(Shared::default());
        let mut spawned = 0;
        for i in 0..workers {
            let worker = Arc::clone(&shared);
            let started = std::thread::Builder::new()
                .name(format!("citecheck-cpu-{i}"))
                .spawn(move || work(&worker));
            spawned += usize::from(started.is_ok());
        }
        // Not even one thread: jobs run on the caller's thread (see `submit`).
        CpuPool {
            shared,
            workers: spawned,
        }
    }

    /// The number of worker threads.
    #[must_use]
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Run `f` on a worker and wait for its result; `None` if it panicked.
    pub async fn run<T, F>(&self, f: F) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(Box::new(move || {
            let _ = tx.send(f());
        }));
        rx.await.ok()
    }

    fn submit(&self, job: Job) {
        if self.workers == 0 {
            run_job(job);
            return;
        }
        let mut state = self
            .shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        state.jobs.push_back(job);
        let wake = state.idle > 0;
        drop(state);
        if wake {
            self.shared.ready.notify_one();
        }
    }
}

impl Drop for CpuPool {
    fn drop(&mut self) {
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .closed = true;
        self.shared.ready.notify_all();
    }
}

/// A worker: take jobs until the pool is closed and the queue is empty.
fn work(shared: &Shared) {
    loop {
        let mut state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut yielded = false;
        let job = loop {
            if let Some(job) = state.jobs.pop_front() {
                break job;
            }
            if state.closed {
                return;
            }
            if !yielded {
                // Let the threads that make jobs run once before sleeping: in a busy run
                // the next page is usually ready by then, and no wake-up is needed.
                yielded = true;
                drop(state);
                std::thread::yield_now();
                state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state.idle += 1;
            state = shared
                .ready
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.idle -= 1;
        };
        drop(state);
        run_job(job);
    }
}

fn run_job(job: Job) {
    // A panicking job drops its sender: its caller gets `None`, the worker goes on.
    let _ = catch_unwind(AssertUnwindSafe(job));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_keeps_the_order_and_uses_other_threads_only_from_min() {
        let here = std::thread::current().id();
        for (n, min) in [(0, 4), (3, 4), (4, 4), (1001, 4), (1001, 5000)] {
            let items: Vec<usize> = (0..n).collect();
            let out = spread(&items, min, |&i| (i * 3, std::thread::current().id()));
            assert_eq!(
                out.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
                items.iter().map(|i| i * 3).collect::<Vec<_>>(),
                "{n} items, min {min}"
            );
            let elsewhere = out.iter().any(|(_, t)| *t != here);
            assert_eq!(elsewhere, n >= min && cores() >= 2, "{n} items, min {min}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_every_job_on_the_workers_and_survives_a_panic() {
        let pool = Arc::new(CpuPool::new(2));
        let main = std::thread::current().id();
        let mut tasks = Vec::new();
        for i in 0..200u64 {
            let pool = Arc::clone(&pool);
            tasks.push(tokio::spawn(async move {
                pool.run(move || {
                    assert_ne!(std::thread::current().id(), main);
                    let name = std::thread::current().name().map(str::to_owned);
                    (i * i, name)
                })
                .await
            }));
        }
        for (i, t) in tasks.into_iter().enumerate() {
            let (sq, name) = t.await.expect("task").expect("job ran");
            assert_eq!(sq, (i * i) as u64);
            assert!(name.is_some_and(|n| n.starts_with("citecheck-cpu-")));
        }
        let panicked: Option<()> = pool.run(|| panic!("a bad page")).await;
        assert!(panicked.is_none());
        assert_eq!(pool.run(|| 7).await, Some(7), "the worker survives");
    }

    #[test]
    fn dropping_the_pool_finishes_the_queue() {
        let pool = CpuPool::new(1);
        let (tx, rx) = std::sync::mpsc::channel();
        for i in 0..50 {
            let tx = tx.clone();
            pool.submit(Box::new(move || {
                let _ = tx.send(i);
            }));
        }
        drop(pool);
        drop(tx);
        assert_eq!(rx.iter().count(), 50);
    }
}
