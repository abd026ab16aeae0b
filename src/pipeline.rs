//! Orchestration only: plan (dedupe URLs, decide the unfetchable ones) → run (one task
//! per host resolves and verifies its URLs) → collect (one consumer folds the results and
//! tells the listeners).
//!
//! Every distinct URL is fetched once and its page verified against every claim that
//! cites it. Work is queued per host: one task per host drains its queue with at most
//! the host's concurrency in flight, so a throttled host only ever waits on its own
//! gate and never holds global slots (see [`crate::fetch`]). What a URL resolves to
//! (redirects, soft 404s, challenges) is [`crate::resolve`]'s business; whether the page
//! supports a claim is [`crate::verify`]'s. Workers never print: each finished URL goes
//! to the single consumer, which hands every row to the [`Listener`]s (progress display,
//! JSON Lines stream, history store) and keeps it for the report. On the first interrupt
//! no new request starts, requests in flight get a short grace period, and the report
//! is written for what was checked; a listener that cannot keep a row (a full disk)
//! stops the run at once.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use url::Url;

use crate::archive::{self, Archive};
use crate::config::Config;
use crate::fetch::{FetchError, host_key, without_fragment};
use crate::model::{
    ArchiveCopy, Brief, Citation, CitationResult, Citations, Evidence, LinkResult, Mode,
    PageSnapshot, Reason, Rows, RunReport, Spool, UncitedClaim, UrlCheck, Verdict,
};
use crate::report::{Extraction, InputError};
use crate::resolve::{PageWork, Resolved, Resolver};
use crate::verify::{self, PageInfo, VerifyOptions};

/// How long requests in flight may finish after the first interrupt.
pub const INTERRUPT_GRACE: Duration = Duration::from_secs(3);

/// Archive lookups under way at once (each waits for its endpoint's turn; the
/// politeness is the endpoint's gate and the archive host's limits, not this number).
pub const ARCHIVE_IN_FLIGHT: usize = 8;

/// What the pipeline tells about a run as it goes; progress displays, streams and the
/// history store implement it. Calls come from one consumer, in order: `start`, then for
/// every URL `url_checked`, `checked` for each of its rows and `url_done`, then `finish`.
pub trait Listener: Send {
    /// The number of distinct URLs to check is known.
    fn start(&mut self, _urls: usize) -> io::Result<()> {
        Ok(())
    }
    /// One URL is checked (before the rows of its citations).
    fn url_checked(&mut self, _check: &UrlCheck) -> io::Result<()> {
        Ok(())
    }
    /// One citation is checked. An error stops the run: nothing more could be kept.
    fn checked(&mut self, _row: &CitationResult) -> io::Result<()> {
        Ok(())
    }
    /// One URL is done; `failing` counts the failing citations so far.
    fn url_done(&mut self, _failing: usize) {}
    /// Resolves when the listener can take more (the history store's writer has caught
    /// up); the pipeline takes the next result only then, so a slow listener slows the
    /// fetching instead of results piling up in memory.
    fn ready(&mut self) -> futures::future::BoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }
    /// The run is over (complete or not).
    fn finish(&mut self, _report: &RunReport) -> io::Result<()> {
        Ok(())
    }
}

/// What earlier runs know, as the pipeline asks it (the history store implements it):
/// a reusable earlier result for a URL (the `--max-age` cache), the time of a check,
/// and each row's history. The pipeline knows nothing of how it is kept.
pub trait Memory: Send + Sync {
    /// Whether listeners want a [`PageSnapshot`] of every page read (to keep for reuse).
    fn wants_pages(&self) -> bool {
        false
    }
    /// A reusable earlier result for `url` (the key of [`url_key`]): its link result
    /// (marked `cached`) and the page to verify the claims against.
    fn cached<'a>(
        &'a self,
        _url: &'a str,
    ) -> futures::future::BoxFuture<'a, Option<(LinkResult, PageSnapshot)>> {
        Box::pin(std::future::ready(None))
    }
    /// An archived copy that an earlier run found supporting this citation's claim
    /// (the archive is then not asked again).
    fn archived(&self, _url: &str, _citation: &Citation) -> Option<ArchiveCopy> {
        None
    }
    /// The time to record for a check finished now.
    fn now(&self) -> chrono::DateTime<Utc> {
        Utc::now()
    }
    /// Fill `row.history` from what earlier runs found and this run's `check`.
    fn annotate(&self, check: &UrlCheck, row: &mut CitationResult);
}

/// The key a URL is checked (and remembered) under: as written, fragment dropped.
#[must_use]
pub fn url_key(url: &str) -> String {
    url::Url::parse(url.trim())
        .map(|u| without_fragment(&u))
        .unwrap_or_else(|_| url.to_owned())
}

/// The keys of every URL an extraction cites, each once.
#[must_use]
pub fn url_keys(extraction: &Extraction) -> Vec<String> {
    let mut keys: Vec<String> = extraction.citations().map(|c| url_key(&c.url)).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// A listener that does nothing.
pub struct NoListener;

impl Listener for NoListener {}

/// Several listeners, told in order; the first error is returned (the rest still hear).
pub struct Listeners<'a>(pub Vec<&'a mut dyn Listener>);

impl Listener for Listeners<'_> {
    fn start(&mut self, urls: usize) -> io::Result<()> {
        first_error(self.0.iter_mut().map(|l| l.start(urls)))
    }

    fn url_checked(&mut self, check: &UrlCheck) -> io::Result<()> {
        first_error(self.0.iter_mut().map(|l| l.url_checked(check)))
    }

    fn checked(&mut self, row: &CitationResult) -> io::Result<()> {
        first_error(self.0.iter_mut().map(|l| l.checked(row)))
    }

    fn url_done(&mut self, failing: usize) {
        for l in &mut self.0 {
            l.url_done(failing);
        }
    }

    fn ready(&mut self) -> futures::future::BoxFuture<'_, ()> {
        Box::pin(async move {
            for l in &mut self.0 {
                l.ready().await;
            }
        })
    }

    fn finish(&mut self, report: &RunReport) -> io::Result<()> {
        first_error(self.0.iter_mut().map(|l| l.finish(report)))
    }
}

fn first_error(results: impl Iterator<Item = io::Result<()>>) -> io::Result<()> {
    let mut first = Ok(());
    for r in results {
        if first.is_ok() {
            first = r;
        }
    }
    first
}

/// The citations of an extraction as rows of a report with no link results yet.
#[must_use]
pub fn extract_report(extraction: Extraction) -> RunReport {
    let mut urls: Vec<&str> = extraction.citations().map(|c| c.url.as_str()).collect();
    urls.sort_unstable();
    urls.dedup();
    let urls = urls.len();
    let mut citations = Rows::default();
    let mut uncited = Vec::new();
    for d in extraction.documents {
        for c in d.citations {
            citations.push(CitationResult::unchecked(Arc::new(c)));
        }
        uncited.extend(d.uncited);
    }
    RunReport {
        mode: Mode::Extract,
        generated_at: Utc::now(),
        complete: true,
        citations,
        unchecked: 0,
        uncited,
        errors: extraction.errors,
        skipped_files: extraction.skipped_files,
        urls,
        elapsed_ms: 0,
        skipped_unchanged: extraction.skipped_unchanged,
        history_runs: Vec::new(),
    }
}

/// Whether a citation result makes the exit code 1 under `config.fail_on`.
#[must_use]
pub fn is_failing(c: &CitationResult, config: &Config) -> bool {
    is_failing_brief(&Brief::of(c), config)
}

/// [`is_failing`] from a row's [`Brief`] (all it looks at).
#[must_use]
pub fn is_failing_brief(b: &Brief, config: &Config) -> bool {
    let f = &config.fail_on;
    b.status.is_some_and(|s| f.statuses.contains(&s))
        || b.verdict.is_some_and(|v| f.verdicts.contains(&v))
        || (f.confirmed_dead && b.confirmed_dead)
        || b.change.is_some_and(|c| f.changes.contains(&c))
}

/// One distinct URL and the citations (indices into [`Plan::citations`]) that cite it;
/// the URL as requested is the first citation's.
struct Job {
    /// The first citation's URL as the plan's precheck parsed it (fragment kept): the
    /// request starts from it without parsing it again.
    url: Url,
    citations: Vec<usize>,
    /// The first citation's URL as written, when it is not `url`'s serialisation (spaces
    /// around it, an upper-case host, no path): the cited form the soft-404 check reads.
    written: Option<Box<str>>,
}

impl Job {
    fn new(url: Url, first: usize, written: &str) -> Job {
        Job {
            written: (written != url.as_str()).then(|| written.into()),
            url,
            citations: vec![first],
        }
    }
}

/// The claims to verify against one URL's page: read already, or to be read from the
/// run's table (a large run's are in its spill file) by the CPU worker that reads the
/// page, so that the async side does no file reads and no parsing.
enum Claims {
    Read(Vec<(usize, Arc<Citation>)>),
    Table(Arc<Citations>, Vec<usize>, String),
}

impl Claims {
    /// The claims with their indices (shared, not copied, when read already).
    fn read(&self) -> Vec<(usize, Arc<Citation>)> {
        match self {
            Claims::Read(claims) => claims.clone(),
            Claims::Table(table, indices, key) => {
                indices.iter().map(|&i| (i, table.get_or(i, key))).collect()
            }
        }
    }
}

/// The result for one distinct URL.
struct Done {
    key: String,
    citations: Vec<usize>,
    /// The citations themselves, in the order of `citations`, as read for the check;
    /// empty for URLs decided without the network (the rows read them then).
    cited: Vec<Arc<Citation>>,
    link: LinkResult,
    verdicts: Vec<(usize, Verdict, Evidence)>,
    fingerprint: Option<String>,
    page: Option<PageSnapshot>,
    /// Archived copies looked up for dead or drifted citations (the archive stage).
    archive: Vec<(usize, ArchiveCopy)>,
    /// Held from when the URL's host task hands the result over until the collector is
    /// done with it (see [`RESULTS_AHEAD`]); `None` for URLs decided without the network.
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// Results a run lets wait for its collector (fetched, not yet taken by the listeners),
/// per request allowed in flight: when a listener is slower than the fetching (the
/// history store's writer on a fast local web), a host with a result to hand over
/// fetches nothing more until there is room, instead of results piling up in memory.
/// A host waiting for its turn holds no permit.
pub const RESULTS_AHEAD: usize = 4;

/// Where a planned URL's job is: in its host's queue (host, job), or decided.
#[derive(Debug, Clone, Copy)]
enum Place {
    Queued(usize, usize),
    Decided(usize),
}

/// A run before any request: the citations, their URLs queued by host, and the URLs
/// decided without the network.
struct Plan {
    citations: Arc<Citations>,
    uncited: Vec<UncitedClaim>,
    errors: Vec<InputError>,
    skipped_files: usize,
    skipped_unchanged: usize,
    urls: usize,
    queues: HashMap<String, Vec<Job>>,
    decided: Vec<Done>,
}

/// Dedupe the URLs (one job per URL as requested, fragment dropped), settle the ones
/// that cannot be fetched, queue the rest by host.
fn plan(extraction: Extraction, resolver: &Resolver) -> Plan {
    let mut citations = Vec::new();
    let mut uncited = Vec::new();
    for d in extraction.documents {
        citations.extend(d.citations);
        uncited.extend(d.uncited);
    }
    // One parse per citation: the URL as parsed for the precheck gives the key too.
    // Each key's job is placed once, by its first citation (queued by host, or decided
    // without the network); later citations of the key join it there.
    let mut by_key: HashMap<String, Place> = HashMap::new();
    let mut hosts: HashMap<String, usize> = HashMap::new();
    let mut queued: Vec<Vec<Job>> = Vec::new();
    let mut decided = Vec::new();
    for (i, c) in citations.iter().enumerate() {
        let checked = resolver.fetcher().precheck(&c.url);
        let key = match &checked {
            Ok(u) => without_fragment(u),
            Err(_) => url_key(&c.url),
        };
        if let Some(place) = by_key.get(&key) {
            match *place {
                Place::Queued(h, j) => queued[h][j].citations.push(i),
                Place::Decided(j) => {
                    let done: &mut Done = &mut decided[j];
                    done.citations.push(i);
                    if let Some((_, v, e)) = unverifiable(&[i], &done.link).pop() {
                        done.verdicts.push((i, v, e));
                    }
                }
            }
            continue;
        }
        let place = match checked {
            Err(link) => {
                decided.push(Done {
                    verdicts: unverifiable(&[i], &link),
                    key: key.clone(),
                    citations: vec![i],
                    cited: Vec::new(),
                    link,
                    fingerprint: None,
                    page: None,
                    archive: Vec::new(),
                    permit: None,
                });
                Place::Decided(decided.len() - 1)
            }
            Ok(u) => {
                let next = hosts.len();
                let h = *hosts.entry(host_key(&u)).or_insert(next);
                if h == queued.len() {
                    queued.push(Vec::new());
                }
                queued[h].push(Job::new(u, i, &c.url));
                Place::Queued(h, queued[h].len() - 1)
            }
        };
        by_key.insert(key, place);
    }
    let urls = by_key.len();
    drop(by_key);
    let mut queues: HashMap<String, Vec<Job>> = HashMap::with_capacity(hosts.len());
    let mut queued: Vec<Option<Vec<Job>>> = queued.into_iter().map(Some).collect();
    for (host, h) in hosts {
        if let Some(q) = queued.get_mut(h).and_then(Option::take) {
            queues.insert(host, q);
        }
    }
    // Planned: from here on a large run's citations wait in a spill file, read back
    // when their URL is checked and when their rows are written out.
    let citations = Arc::new(Citations::new(citations, Spool::keep_from_env()));
    Plan {
        citations,
        uncited,
        errors: extraction.errors,
        skipped_files: extraction.skipped_files,
        skipped_unchanged: extraction.skipped_unchanged,
        urls,
        queues,
        decided,
    }
}

/// What checking one URL needs, shared by every URL of a run: the resolver (with the
/// politeness state of every host), the verifier's options and the archive lookups.
/// [`check_with`] runs its host tasks over one; a distributed worker
/// ([`crate::distributed`]) checks the URLs of its work items with [`UrlContext::check_url`].
pub struct UrlContext {
    resolver: Resolver,
    verify: VerifyOptions,
    /// The archive lookups (`None` with `--no-archive`).
    archive: Option<Archive>,
}

impl UrlContext {
    /// The context of a run under `config` (its own client, evidence sink if asked).
    pub fn new(config: &Config) -> Result<Self, FetchError> {
        let mut resolver = Resolver::new(&config.fetch)?;
        if let Some(dir) = &config.evidence_dir {
            let sink =
                crate::warc::WarcSink::create(dir).map_err(|source| FetchError::Evidence {
                    dir: dir.clone(),
                    source,
                })?;
            resolver = resolver.with_evidence(Arc::new(sink));
        }
        Ok(UrlContext {
            resolver,
            verify: config.verify,
            archive: Archive::new(&config.archive),
        })
    }

    /// Every request also waits for the fleet's turn of its host (distributed runs).
    #[must_use]
    pub fn with_fleet(mut self, gate: Arc<dyn crate::fetch::host::FleetGate>) -> Self {
        self.resolver = self.resolver.with_fleet(gate);
        self
    }

    /// Each host's soft-404 probe is shared with the fleet (distributed runs).
    #[must_use]
    pub fn with_shared_probes(mut self, shared: Arc<dyn crate::resolve::SharedProbes>) -> Self {
        self.resolver = self.resolver.with_shared_probes(shared);
        self
    }

    /// Check one URL as a run does: decide it without the network if it cannot be
    /// fetched, else resolve it (or reuse a fresh earlier result of `memory`), verify
    /// every citing claim, look up archived copies of dead or drifted citations. The
    /// check and one row per citation, in the order of `citations`.
    pub async fn check_url(
        &self,
        citations: &[Arc<Citation>],
        memory: Option<&dyn Memory>,
    ) -> Option<(UrlCheck, Vec<CitationResult>)> {
        let first = citations.first()?;
        let all: Vec<usize> = (0..citations.len()).collect();
        let done = match self.resolver.fetcher().precheck(&first.url) {
            Err(link) => Done {
                verdicts: unverifiable(&all, &link),
                key: url_key(&first.url),
                citations: all,
                cited: citations.to_vec(),
                link,
                fingerprint: None,
                page: None,
                archive: Vec::new(),
                permit: None,
            },
            Ok(url) => {
                let key = without_fragment(&url);
                let mut job = Job::new(url, 0, &first.url);
                job.citations = all;
                let claims = Claims::Read(citations.iter().cloned().enumerate().collect());
                let done = Box::pin(process(self, claims, memory, job, key)).await;
                if wants_archive(self, &done) {
                    look_up(self, memory, &AtomicBool::new(false), done).await
                } else {
                    done
                }
            }
        };
        let (check, rows) = fold(done, None, memory);
        Some((check, rows.into_iter().map(|(_, r)| r).collect()))
    }
}

/// Shared state of the host tasks.
struct Shared {
    ctx: UrlContext,
    citations: Arc<Citations>,
    stop: AtomicBool,
    memory: Option<Arc<dyn Memory>>,
    /// Permits for results ahead of the collector ([`RESULTS_AHEAD`]).
    ahead: Arc<tokio::sync::Semaphore>,
}

impl Shared {
    fn memory(&self) -> Option<&dyn Memory> {
        self.memory.as_deref()
    }
}

/// One task per host: resolve and verify its URLs, at most the host's concurrency at once.
/// A URL with dead or drifted citations goes on to the archive stage, one task apart,
/// so that a slow archive never holds a cited host's slots.
fn run(
    shared: &Arc<Shared>,
    queues: HashMap<String, Vec<Job>>,
    config: &Config,
    tx: &mpsc::UnboundedSender<Done>,
) -> JoinSet<()> {
    let mut hosts = JoinSet::new();
    let (archive_tx, archive_rx) = mpsc::unbounded_channel::<Done>();
    hosts.spawn(archive_stage(Arc::clone(shared), archive_rx, tx.clone()));
    for (host, queue) in queues {
        let (concurrency, _) = config.fetch.host_limits(&host);
        let shared = Arc::clone(shared);
        let tx = tx.clone();
        let archive_tx = archive_tx.clone();
        hosts.spawn(async move {
            futures::stream::iter(queue)
                .map(|job| {
                    let shared = Arc::clone(&shared);
                    async move {
                        if shared.stop.load(Ordering::Relaxed) {
                            return None;
                        }
                        let key = without_fragment(&job.url);
                        let claims = Claims::Table(
                            Arc::clone(&shared.citations),
                            job.citations.clone(),
                            key.clone(),
                        );
                        let done = process(&shared.ctx, claims, shared.memory(), job, key);
                        Some(Box::pin(done).await)
                    }
                })
                .buffer_unordered(concurrency)
                .for_each(|done| {
                    let shared = Arc::clone(&shared);
                    let (tx, archive_tx) = (tx.clone(), archive_tx.clone());
                    async move {
                        let Some(mut done) = done else { return };
                        if wants_archive(&shared.ctx, &done) {
                            // The archive stage paces itself (its endpoints' turns).
                            let _ = archive_tx.send(done);
                            return;
                        }
                        // Room ahead of the collector first: a slow listener holds the
                        // host's next fetches back instead of results piling up.
                        done.permit = Arc::clone(&shared.ahead).acquire_owned().await.ok();
                        let _ = tx.send(done);
                    }
                })
                .await;
        });
    }
    hosts
}

/// Whether any citation of `done` is to be looked up in the archives.
fn wants_archive(ctx: &UrlContext, done: &Done) -> bool {
    ctx.archive.is_some()
        && done
            .verdicts
            .iter()
            .any(|(_, v, e)| archive::wanted(&done.link, Some(*v), Some(e)))
}

/// The archive stage: look up the dead and drifted citations of each URL handed over,
/// then pass the URL on to the consumer.
async fn archive_stage(
    shared: Arc<Shared>,
    rx: mpsc::UnboundedReceiver<Done>,
    tx: mpsc::UnboundedSender<Done>,
) {
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|d| (d, rx)) })
        .map(|mut done| {
            let shared = Arc::clone(&shared);
            async move {
                // A URL without a page read had its citations read by no CPU worker.
                if done.cited.len() != done.citations.len() {
                    done.cited = done
                        .citations
                        .iter()
                        .map(|&i| shared.citations.get_or(i, &done.key))
                        .collect();
                }
                look_up(&shared.ctx, shared.memory(), &shared.stop, done).await
            }
        })
        .buffer_unordered(ARCHIVE_IN_FLIGHT)
        .for_each(|done| {
            let _ = tx.send(done);
            futures::future::ready(())
        })
        .await;
}

/// Find the archived copy of every dead or drifted citation of one URL (none once the
/// run is stopping).
async fn look_up(
    ctx: &UrlContext,
    memory: Option<&dyn Memory>,
    stop: &AtomicBool,
    mut done: Done,
) -> Done {
    let Some(archive) = &ctx.archive else {
        return done;
    };
    for (i, v, e) in &done.verdicts {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if archive::wanted(&done.link, Some(*v), Some(e)) {
            let Some(c) = done
                .citations
                .iter()
                .position(|j| j == i)
                .and_then(|k| done.cited.get(k))
            else {
                continue;
            };
            if let Some(copy) = memory.and_then(|m| m.archived(&done.key, c)) {
                done.archive.push((*i, copy));
                continue;
            }
            let copy = archive
                .find(&ctx.resolver, &ctx.verify, &c.claim, &c.url, &done.link)
                .await;
            done.archive.push((*i, copy));
        }
    }
    done
}

/// Check every citation of `extraction`: plan, run, collect.
pub async fn check(
    extraction: Extraction,
    config: &Config,
    listener: &mut dyn Listener,
    interrupt: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<RunReport, FetchError> {
    check_with(extraction, config, listener, None, interrupt).await
}

/// [`check`], with what earlier runs know (`memory`: the history store).
pub async fn check_with(
    extraction: Extraction,
    config: &Config,
    listener: &mut dyn Listener,
    memory: Option<Arc<dyn Memory>>,
    interrupt: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<RunReport, FetchError> {
    let started = Instant::now();
    let ctx = UrlContext::new(config)?;
    let mut plan = plan(extraction, &ctx.resolver);
    // What extraction and planning freed is not needed again: give it back before the
    // fetching allocates its own.
    crate::heap::release_free_memory();
    let shared = Arc::new(Shared {
        ctx,
        citations: std::mem::take(&mut plan.citations),
        stop: AtomicBool::new(false),
        memory,
        ahead: Arc::new(tokio::sync::Semaphore::new(
            config
                .fetch
                .max_concurrency
                .saturating_mul(RESULTS_AHEAD)
                .max(64),
        )),
    });
    let (tx, rx) = mpsc::unbounded_channel::<Done>();
    for done in std::mem::take(&mut plan.decided) {
        let _ = tx.send(done);
    }
    let hosts = run(&shared, std::mem::take(&mut plan.queues), config, &tx);
    drop(tx);
    let mut report = collect(&shared, plan, config, listener, rx, hosts, interrupt).await;
    report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    // A failure to finish a listener (e.g. the stream's end line) was already the
    // listener's to report; the report itself is complete as far as it goes.
    let _ = listener.finish(&report);
    Ok(report)
}

/// The single consumer: fold results into rows, tell the listener, honour interrupts.
async fn collect(
    shared: &Shared,
    plan: Plan,
    config: &Config,
    listener: &mut dyn Listener,
    mut rx: mpsc::UnboundedReceiver<Done>,
    mut hosts: JoinSet<()>,
    interrupt: impl std::future::Future<Output = ()> + Send + 'static,
) -> RunReport {
    let mut stopped = listener.start(plan.urls).is_err();
    if stopped {
        shared.stop.store(true, Ordering::Relaxed);
        hosts.abort_all();
    }
    // Finished rows go to the spool: a large run keeps most of them in a spill file.
    let mut results = Spool::for_citations(Arc::clone(&shared.citations), Spool::keep_from_env());
    let mut failing = 0;
    let mut interrupt = Box::pin(interrupt);
    let mut deadline: Option<Instant> = None;
    loop {
        let grace = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            done = rx.recv() => {
                let Some(mut done) = done else { break };
                let permit = done.permit.take();
                let (check, rows) = fold(done, Some(&shared.citations), shared.memory());
                let mut kept = listener.url_checked(&check);
                for (i, row) in rows {
                    if is_failing(&row, config) {
                        failing += 1;
                    }
                    kept = kept.and(listener.checked(&row));
                    results.put(i, row);
                    if kept.is_err() && !stopped {
                        // Nothing more could be kept (a full disk): stop now.
                        stopped = true;
                        shared.stop.store(true, Ordering::Relaxed);
                        hosts.abort_all();
                    }
                }
                listener.url_done(failing);
                // Take the next result only once the listeners keep up (the store's
                // writer); the result's permit lets another URL be fetched after that.
                if !stopped {
                    tokio::select! {
                        () = listener.ready() => {}
                        () = &mut interrupt => {
                            stopped = true;
                            shared.stop.store(true, Ordering::Relaxed);
                            deadline = Some(Instant::now() + INTERRUPT_GRACE);
                        }
                    }
                }
                drop(permit);
            }
            () = &mut interrupt, if !stopped => {
                stopped = true;
                shared.stop.store(true, Ordering::Relaxed);
                deadline = Some(Instant::now() + INTERRUPT_GRACE);
            }
            () = grace => {
                hosts.abort_all();
                break;
            }
        }
    }
    hosts.abort_all();
    let total = shared.citations.len();
    let rows = results.into_rows();
    let unchecked = total - rows.len();
    RunReport {
        mode: Mode::Check,
        generated_at: Utc::now(),
        complete: !stopped && unchecked == 0,
        citations: rows,
        unchecked,
        uncited: plan.uncited,
        errors: plan.errors,
        skipped_files: plan.skipped_files,
        urls: plan.urls,
        elapsed_ms: 0,
        skipped_unchanged: plan.skipped_unchanged,
        history_runs: Vec::new(),
    }
}

/// The check of one URL and its rows (with their indices), from what was found; a
/// citation `done` does not hold is read from `citations`.
fn fold(
    done: Done,
    citations: Option<&Citations>,
    memory: Option<&dyn Memory>,
) -> (UrlCheck, Vec<(usize, CitationResult)>) {
    let check = UrlCheck {
        url: done.key,
        link: done.link,
        verdicts: done.verdicts.iter().map(|(_, v, _)| *v).collect(),
        fingerprint: done.fingerprint,
        page: done.page,
        checked_at: memory.map_or_else(Utc::now, Memory::now),
    };
    let mut verdicts: HashMap<usize, (Verdict, Evidence)> = done
        .verdicts
        .into_iter()
        .map(|(i, v, e)| (i, (v, e)))
        .collect();
    let mut archives: HashMap<usize, ArchiveCopy> = done.archive.into_iter().collect();
    let mut cited = done.cited.into_iter();
    let rows = done
        .citations
        .into_iter()
        .map(|i| {
            let citation = cited.next().unwrap_or_else(|| match citations {
                Some(table) => table.get_or(i, &check.url),
                None => Citations::lost(&check.url),
            });
            let (verdict, evidence) = verdicts.remove(&i).unzip();
            let mut row = CitationResult {
                link: Some(check.link.clone()),
                verdict,
                evidence,
                archive: archives.remove(&i).map(Box::new),
                ..CitationResult::unchecked(citation)
            };
            if let Some(m) = memory {
                m.annotate(&check, &mut row);
            }
            (i, row)
        })
        .collect();
    (check, rows)
}

fn unverifiable(citations: &[usize], link: &LinkResult) -> Vec<(usize, Verdict, Evidence)> {
    citations
        .iter()
        .map(|&i| {
            let note = format!(
                "no usable page: link is {}{}",
                link.status,
                link.error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            );
            let evidence = Evidence {
                notes: vec![note],
                reason: Some(Reason::NoUsablePage),
                ..Evidence::default()
            };
            (i, Verdict::Unverifiable, evidence)
        })
        .collect()
}

/// What the CPU worker that read a page made of it.
struct Verified {
    /// The citations, as read there (in the order of the job's).
    cited: Vec<Arc<Citation>>,
    verdicts: Vec<(usize, Verdict, Evidence)>,
    fingerprint: Option<String>,
    snapshot: Option<PageSnapshot>,
}

/// The verdict and evidence of each claim (with its index) against `page`.
fn verify_all(
    claims: &[(usize, Arc<Citation>)],
    page: &PageInfo,
    opts: &VerifyOptions,
) -> Vec<(usize, Verdict, Evidence)> {
    claims
        .iter()
        .map(|(i, c)| {
            let (v, e) = verify::verify(&c.claim, page, opts);
            (*i, v, e)
        })
        .collect()
}

/// Resolve one URL (or reuse a fresh earlier result) and verify every citing claim
/// against its page; `key` is the job's URL without its fragment ([`without_fragment`]).
async fn process(
    ctx: &UrlContext,
    claims: Claims,
    memory: Option<&dyn Memory>,
    job: Job,
    key: String,
) -> Done {
    // Claims are read and verified on the CPU worker that reads the page: one trip per
    // page, and no CPU work (nor file reads) on the async side. The fingerprint and the
    // snapshot for the history store are taken there too.
    let opts = ctx.verify;
    // Claims read already stay at hand for the rows when no page is read.
    let kept: Vec<Arc<Citation>> = match &claims {
        Claims::Read(claims) => claims.iter().map(|(_, c)| Arc::clone(c)).collect(),
        Claims::Table(..) => Vec::new(),
    };
    let Job {
        url,
        citations,
        written,
    } = job;
    let cached = match memory {
        Some(m) => m.cached(&key).await,
        None => None,
    };
    let (link, verified) = match cached {
        Some((link, snapshot)) => {
            // A reused page is the stored one: verified on a CPU worker too, but nothing
            // to compare and nothing to keep again.
            let verified = ctx
                .resolver
                .cpu()
                .run(move || {
                    let claims = claims.read();
                    Verified {
                        verdicts: verify_all(&claims, &PageInfo::from_snapshot(snapshot), &opts),
                        cited: claims.into_iter().map(|(_, c)| c).collect(),
                        fingerprint: None,
                        snapshot: None,
                    }
                })
                .await;
            (link, verified)
        }
        None => {
            // Only a run with a history store compares pages across runs or keeps them.
            let remembers = memory.is_some();
            let wants_pages = memory.is_some_and(Memory::wants_pages);
            // Read once, on the first page read (a page-level redirect reads another).
            let read = std::sync::OnceLock::new();
            let work: PageWork<Verified> = Arc::new(move |page| {
                let claims = read.get_or_init(|| claims.read());
                Verified {
                    verdicts: verify_all(claims, page, &opts),
                    cited: claims.iter().map(|(_, c)| Arc::clone(c)).collect(),
                    fingerprint: remembers.then(|| page.fingerprint()),
                    snapshot: wants_pages.then(|| page.snapshot()),
                }
            });
            let cited = written.map_or_else(|| url.as_str().to_owned(), String::from);
            let (Resolved { link, page }, verified) =
                ctx.resolver.resolve_checked_then(&cited, url, work).await;
            (link, verified.filter(|_| page.is_some()))
        }
    };
    let (cited, verdicts, fingerprint, page) = match verified {
        Some(v) if link.status.is_alive() => (v.cited, v.verdicts, v.fingerprint, v.snapshot),
        Some(v) => (v.cited, unverifiable(&citations, &link), None, None),
        // No page read: the rows read the citations not at hand (see [`fold`]).
        None => (kept, unverifiable(&citations, &link), None, None),
    };
    Done {
        key,
        citations,
        cited,
        fingerprint,
        page,
        link,
        verdicts,
        archive: Vec::new(),
        permit: None,
    }
}
