//! Orchestration only: dedupe URLs → fetch → verify → one consumer folds the results.
//!
//! Every distinct URL is fetched once and its page verified against every claim that
//! cites it. Work is queued per host: one task per host drains its queue with at most
//! the host's concurrency in flight, so a throttled host only ever waits on its own
//! gate and never holds global slots (see [`crate::fetch`]). Workers never print: each
//! finished URL is sent to the single consumer, which updates the progress display and
//! keeps the results. On the first Ctrl-C no new request starts, requests in flight get
//! a short grace period, and the report is written for what was checked.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use tokio::sync::{OnceCell, Semaphore, mpsc};
use tokio::time::Instant;

use crate::config::Config;
use crate::fetch::{FetchError, Fetched, Fetcher, host_key, without_fragment};
use crate::model::{Citation, Evidence, LinkResult, LinkStatus, Reason, Redirect, Verdict};
use crate::output::{CitationResult, Mode, Progress, RunReport};
use crate::report::Extraction;
use crate::verify::{self, PageInfo, VerifyOptions};

/// How long requests in flight may finish after the first Ctrl-C.
pub const INTERRUPT_GRACE: Duration = Duration::from_secs(3);

/// Similarity above which a page equals the host's answer to a random path.
pub const SOFT_404_SIMILARITY: f64 = 0.9;

/// Meta-refresh and script redirects followed per URL (within the redirect limit).
const MAX_PAGE_REDIRECTS: usize = 3;

/// One distinct URL and the citations that cite it.
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
        citations.extend(d.citations.into_iter().map(|c| CitationResult {
            citation: Arc::new(c),
            link: None,
            verdict: None,
            evidence: None,
        }));
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

/// Shared state of the workers.
struct Shared {
    fetcher: Fetcher,
    citations: Vec<Arc<Citation>>,
    verify: VerifyOptions,
    /// Bounds CPU-bound page reading to the number of cores (and so the blocking threads).
    readers: Semaphore,
    probe: bool,
    max_redirects: usize,
    probes: std::sync::Mutex<HashMap<String, Arc<OnceCell<Option<PageInfo>>>>>,
    stop: AtomicBool,
}

/// Check every citation of `extraction`: fetch, verify, fold.
pub async fn check(
    extraction: Extraction,
    config: &Config,
    progress: &mut dyn Progress,
    interrupt: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<RunReport, FetchError> {
    let started = Instant::now();
    let fetcher = Fetcher::new(&config.fetch)?;
    let mut citations = Vec::new();
    let mut uncited = Vec::new();
    for d in extraction.documents {
        citations.extend(d.citations.into_iter().map(Arc::new));
        uncited.extend(d.uncited);
    }

    // Dedupe: one job per URL as requested (fragment dropped).
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
    let total_urls = jobs.len();
    progress.start(total_urls);

    let shared = Arc::new(Shared {
        fetcher,
        citations,
        verify: config.verify,
        readers: Semaphore::new(
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
        ),
        probe: config.fetch.soft404_probe,
        max_redirects: config.fetch.max_redirects,
        probes: std::sync::Mutex::new(HashMap::new()),
        stop: AtomicBool::new(false),
    });

    let (tx, mut rx) = mpsc::unbounded_channel::<Done>();
    // Unfetchable URLs are decided at once; the rest are queued by host.
    let mut queues: HashMap<String, Vec<Job>> = HashMap::new();
    for job in jobs {
        match shared.fetcher.precheck(&job.url) {
            Err(link) => {
                let verdicts = unverifiable(&job.citations, &link);
                let _ = tx.send(Done {
                    citations: job.citations,
                    link,
                    verdicts,
                });
            }
            Ok(u) => queues.entry(host_key(&u)).or_default().push(job),
        }
    }
    let mut hosts = tokio::task::JoinSet::new();
    for (host, queue) in queues {
        let (concurrency, _) = config.fetch.host_limits(&host);
        let shared = Arc::clone(&shared);
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
    drop(tx);

    let mut results: Vec<Option<CitationResult>> = vec![None; shared.citations.len()];
    let mut failing = 0;
    let mut interrupt = Box::pin(interrupt);
    let mut interrupted = false;
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
                        citation: Arc::clone(&shared.citations[i]),
                        link: Some(done.link.clone()),
                        verdict,
                        evidence,
                    };
                    if is_failing(&row, config) {
                        failing += 1;
                    }
                    let kept = progress.checked(&row);
                    results[i] = Some(row);
                    if kept.is_err() {
                        // Nothing more could be kept (a full disk): stop now.
                        interrupted = true;
                        shared.stop.store(true, Ordering::Relaxed);
                        hosts.abort_all();
                    }
                }
                progress.advance(failing);
            }
            () = &mut interrupt, if !interrupted => {
                interrupted = true;
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
    let report = RunReport {
        mode: Mode::Check,
        generated_at: Utc::now(),
        complete: !interrupted && unchecked == 0,
        citations: rows,
        unchecked,
        uncited,
        errors: extraction.errors,
        skipped_files: extraction.skipped_files,
        urls: total_urls,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    progress.finish(&report);
    Ok(report)
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

/// Fetch one URL, read its page, follow page-level redirects, detect soft 404s, and
/// verify every citing claim.
async fn process(shared: &Shared, job: Job) -> Done {
    let mut fetched = shared.fetcher.fetch(&job.url).await;
    let mut page = read(shared, &fetched).await;
    let mut hops = 0;
    while let Some((target, kind)) = page.as_ref().and_then(|p| p.redirect.clone()) {
        if hops >= MAX_PAGE_REDIRECTS || fetched.link.redirects.len() >= shared.max_redirects {
            break;
        }
        hops += 1;
        let from = fetched
            .link
            .final_url
            .clone()
            .unwrap_or_else(|| job.url.clone());
        let mut chain = fetched.link.redirects.clone();
        chain.push(Redirect {
            url: from,
            status: fetched.link.http_status.unwrap_or(200),
            kind,
        });
        let elapsed = fetched.link.elapsed_ms;
        fetched = shared.fetcher.fetch_continuing(&target, chain).await;
        fetched.link.elapsed_ms += elapsed;
        if fetched.link.status == LinkStatus::Ok {
            fetched.link.status = LinkStatus::Redirected;
        }
        page = read(shared, &fetched).await;
    }
    let mut link = fetched.link;
    if let Some(p) = &page {
        if let Some(reason) = &p.challenge {
            link.status = LinkStatus::Blocked;
            link.reason = Some(Reason::BotChallenge);
            link.error = Some(format!("bot challenge: {reason}"));
        } else if let Some((reason, message)) = soft_404(shared, &job, &link, p).await {
            link.status = LinkStatus::Soft404;
            link.reason = Some(reason);
            link.error = Some(message);
        }
    }
    let verdicts = match (&page, link.status.is_alive()) {
        (Some(p), true) => job
            .citations
            .iter()
            .map(|&i| {
                let (v, e) = verify::verify(&shared.citations[i].claim, p, &shared.verify);
                (i, v, e)
            })
            .collect(),
        _ => unverifiable(&job.citations, &link),
    };
    Done {
        citations: job.citations,
        link,
        verdicts,
    }
}

/// Read the page of a live answer, at most one page per core at a time.
async fn read(shared: &Shared, fetched: &Fetched) -> Option<PageInfo> {
    if !fetched.link.status.is_alive() {
        return None;
    }
    let _permit = shared.readers.acquire().await.ok()?;
    read_fetched(fetched).await
}

/// Read the body of a fetched answer on a blocking thread (scraper is not `Send`).
pub async fn read_fetched(fetched: &Fetched) -> Option<PageInfo> {
    let body = fetched.body.clone()?;
    let url = fetched.link.final_url.clone().unwrap_or_default();
    let ct = fetched.content_type.clone();
    tokio::task::spawn_blocking(move || verify::read_page(&url, ct.as_deref(), &body))
        .await
        .ok()
}

/// A soft-404 reason and message: the page says so, the redirect went to the root or an
/// error page, or the host answers a random path with the same page.
async fn soft_404(
    shared: &Shared,
    job: &Job,
    link: &LinkResult,
    page: &PageInfo,
) -> Option<(Reason, String)> {
    if let Some(r) = &page.soft_404 {
        return Some((Reason::Soft404Text, r.clone()));
    }
    if !link.status.is_alive() {
        return None;
    }
    let final_url = link.final_url.as_deref()?;
    if let Some(r) = verify::redirect_soft_404(&job.url, final_url) {
        return Some(r);
    }
    if !shared.probe || !page.is_html {
        return None;
    }
    let url = url::Url::parse(final_url).ok()?;
    if url.path() == "/" && url.query().is_none() {
        // A cited home page is expected to look like the host's fallback page.
        return None;
    }
    let key = format!("{}://{}", url.scheme(), host_key(&url));
    let cell = {
        let mut probes = shared.probes.lock().expect("probe lock poisoned");
        Arc::clone(probes.entry(key.clone()).or_default())
    };
    let probe = cell
        .get_or_init(|| async {
            let nonce: u64 = rand::random();
            let probe_url = format!("{key}/citecheck-probe-{nonce:016x}.html");
            let fetched = shared.fetcher.fetch(&probe_url).await;
            read(shared, &fetched).await
        })
        .await
        .as_ref()?;
    let sim = verify::page_similarity(page, probe);
    (sim >= SOFT_404_SIMILARITY).then(|| {
        (
            Reason::Soft404RandomPath,
            format!("the host answers a random path with the same page (similarity {sim:.2})"),
        )
    })
}
