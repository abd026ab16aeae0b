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

use crate::config::Config;
use crate::fetch::{FetchError, host_key, without_fragment};
use crate::model::{
    Citation, CitationResult, Evidence, LinkResult, Mode, Reason, RunReport, UncitedClaim, Verdict,
};
use crate::report::{Extraction, InputError};
use crate::resolve::{PageWork, Resolved, Resolver};
use crate::verify::{self, VerifyOptions};

/// How long requests in flight may finish after the first interrupt.
pub const INTERRUPT_GRACE: Duration = Duration::from_secs(3);

/// What the pipeline tells about a run as it goes; progress displays, streams and the
/// history store implement it. Calls come from one consumer, in order: `start`, then
/// `checked` for every row and `url_done` for every URL, then `finish`.
pub trait Listener: Send {
    /// The number of distinct URLs to check is known.
    fn start(&mut self, _urls: usize) -> io::Result<()> {
        Ok(())
    }
    /// One citation is checked. An error stops the run: nothing more could be kept.
    fn checked(&mut self, _row: &CitationResult) -> io::Result<()> {
        Ok(())
    }
    /// One URL is done; `failing` counts the failing citations so far.
    fn url_done(&mut self, _failing: usize) {}
    /// The run is over (complete or not).
    fn finish(&mut self, _report: &RunReport) -> io::Result<()> {
        Ok(())
    }
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

    fn checked(&mut self, row: &CitationResult) -> io::Result<()> {
        first_error(self.0.iter_mut().map(|l| l.checked(row)))
    }

    fn url_done(&mut self, failing: usize) {
        for l in &mut self.0 {
            l.url_done(failing);
        }
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
    let mut citations = Vec::new();
    let mut uncited = Vec::new();
    for d in extraction.documents {
        citations.extend(
            d.citations
                .into_iter()
                .map(|c| CitationResult::unchecked(Arc::new(c))),
        );
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
    c.link
        .as_ref()
        .is_some_and(|l| config.fail_on.statuses.contains(&l.status))
        || c.verdict
            .is_some_and(|v| config.fail_on.verdicts.contains(&v))
}

/// One distinct URL and the citations (indices into [`Plan::citations`]) that cite it.
struct Job {
    url: String,
    citations: Vec<usize>,
}

/// The result for one distinct URL.
struct Done {
    citations: Vec<usize>,
    link: LinkResult,
    verdicts: Vec<(usize, Verdict, Evidence)>,
}

/// A run before any request: the citations, their URLs queued by host, and the URLs
/// decided without the network.
struct Plan {
    citations: Vec<Arc<Citation>>,
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
        citations.extend(d.citations.into_iter().map(Arc::new));
        uncited.extend(d.uncited);
    }
    let mut jobs: Vec<Job> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for (i, c) in citations.iter().enumerate() {
        let key = url::Url::parse(c.url.trim())
            .map(|u| without_fragment(&u))
            .unwrap_or_else(|_| c.url.clone());
        match by_key.get(&key) {
            Some(&j) => jobs[j].citations.push(i),
            None => {
                by_key.insert(key, jobs.len());
                jobs.push(Job {
                    url: c.url.clone(),
                    citations: vec![i],
                });
            }
        }
    }
    let urls = jobs.len();
    let mut queues: HashMap<String, Vec<Job>> = HashMap::new();
    let mut decided = Vec::new();
    for job in jobs {
        match resolver.fetcher().precheck(&job.url) {
            Err(link) => decided.push(Done {
                verdicts: unverifiable(&job.citations, &link),
                citations: job.citations,
                link,
            }),
            Ok(u) => queues.entry(host_key(&u)).or_default().push(job),
        }
    }
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

/// Shared state of the host tasks.
struct Shared {
    resolver: Resolver,
    citations: Vec<Arc<Citation>>,
    verify: VerifyOptions,
    stop: AtomicBool,
}

/// One task per host: resolve and verify its URLs, at most the host's concurrency at once.
fn run(
    shared: &Arc<Shared>,
    queues: HashMap<String, Vec<Job>>,
    config: &Config,
    tx: &mpsc::UnboundedSender<Done>,
) -> JoinSet<()> {
    let mut hosts = JoinSet::new();
    for (host, queue) in queues {
        let (concurrency, _) = config.fetch.host_limits(&host);
        let shared = Arc::clone(shared);
        let tx = tx.clone();
        hosts.spawn(async move {
            futures::stream::iter(queue)
                .map(|job| {
                    let shared = Arc::clone(&shared);
                    async move {
                        if shared.stop.load(Ordering::Relaxed) {
                            return None;
                        }
                        Some(Box::pin(process(&shared, job)).await)
                    }
                })
                .buffer_unordered(concurrency)
                .for_each(|done| {
                    if let Some(done) = done {
                        let _ = tx.send(done);
                    }
                    futures::future::ready(())
                })
                .await;
        });
    }
    hosts
}

/// Check every citation of `extraction`: plan, run, collect.
pub async fn check(
    extraction: Extraction,
    config: &Config,
    listener: &mut dyn Listener,
    interrupt: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<RunReport, FetchError> {
    let started = Instant::now();
    let resolver = Resolver::new(&config.fetch)?;
    let mut plan = plan(extraction, &resolver);
    let shared = Arc::new(Shared {
        resolver,
        citations: std::mem::take(&mut plan.citations),
        verify: config.verify,
        stop: AtomicBool::new(false),
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
    let mut results: Vec<Option<CitationResult>> = vec![None; shared.citations.len()];
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
                let Some(done) = done else { break };
                let mut verdicts: HashMap<usize, (Verdict, Evidence)> =
                    done.verdicts.into_iter().map(|(i, v, e)| (i, (v, e))).collect();
                for i in done.citations {
                    let (verdict, evidence) = verdicts.remove(&i).unzip();
                    let row = CitationResult {
                        link: Some(done.link.clone()),
                        verdict,
                        evidence,
                        ..CitationResult::unchecked(Arc::clone(&shared.citations[i]))
                    };
                    if is_failing(&row, config) {
                        failing += 1;
                    }
                    let kept = listener.checked(&row);
                    results[i] = Some(row);
                    if kept.is_err() && !stopped {
                        // Nothing more could be kept (a full disk): stop now.
                        stopped = true;
                        shared.stop.store(true, Ordering::Relaxed);
                        hosts.abort_all();
                    }
                }
                listener.url_done(failing);
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
    let total = results.len();
    let rows: Vec<CitationResult> = results.into_iter().flatten().collect();
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

/// Resolve one URL and verify every citing claim against its page.
async fn process(shared: &Shared, job: Job) -> Done {
    // Claims are verified on the CPU worker that reads the page: one trip per page, and
    // no CPU work on the async side.
    let claims: Vec<(usize, Arc<Citation>)> = job
        .citations
        .iter()
        .map(|&i| (i, Arc::clone(&shared.citations[i])))
        .collect();
    let opts = shared.verify;
    let verify_all: PageWork<Vec<(usize, Verdict, Evidence)>> = Arc::new(move |page| {
        claims
            .iter()
            .map(|(i, c)| {
                let (v, e) = verify::verify(&c.claim, page, &opts);
                (*i, v, e)
            })
            .collect()
    });
    let (Resolved { link, page }, verified) =
        shared.resolver.resolve_then(&job.url, verify_all).await;
    let verdicts = match (page, verified) {
        (Some(_), Some(verified)) if link.status.is_alive() => verified,
        _ => unverifiable(&job.citations, &link),
    };
    Done {
        citations: job.citations,
        link,
        verdicts,
    }
}
