//! What a cited URL resolves to: the one path from "fetch this URL" to "this is the page
//! (or why there is none)", shared by `check` and `inspect` so they never disagree about
//! the same URL.
//!
//! In order: fetch (redirects followed hop by hop, see [`crate::fetch`]); read the body
//! ([`crate::verify::read_page`], on the run's CPU workers, [`crate::cpu`]: one per
//! core); follow page-level redirects (meta refresh, script), up to
//! [`MAX_PAGE_REDIRECTS`] and within the redirect limit; then a bot challenge makes the
//! link `blocked`, and a soft 404 makes it `soft_404`: the page says it is gone, the
//! redirect went to the site root or an error page, or the host answers a random path
//! with the same page (one probe per host, cached for the run and, in a distributed run,
//! shared by the whole fleet through [`SharedProbes`]; a cited home page is never
//! compared with it).

use std::sync::Arc;

use crate::cpu::CpuPool;
use crate::fetch::{FetchError, FetchOptions, Fetched, Fetcher, OnceMap, ResponseHead, origin_key};
use crate::model::{LinkResult, LinkStatus, Reason, Redirect};
use crate::verify::{self, PageInfo, ProbePage};
use crate::warc::{Exchange, WarcSink};

/// Similarity above which a page equals the host's answer to a random path.
pub const SOFT_404_SIMILARITY: f64 = 0.9;

/// Meta-refresh and script redirects followed per URL (within the redirect limit).
pub const MAX_PAGE_REDIRECTS: usize = 3;

/// CPU work on a page, done on the CPU worker that has just read it, so that reading a
/// page and working on it (verifying its claims) cost one trip to the workers: see
/// [`Resolver::resolve_then`]. It may run more than once per URL (once for each page
/// read on the way: a meta refresh, a script redirect); only the final page's result is
/// kept.
pub type PageWork<T> = Arc<dyn Fn(&PageInfo) -> T + Send + Sync>;

/// What another machine knows of a host's soft-404 probe ([`SharedProbes::claim`]).
#[derive(Debug, Clone)]
pub enum ProbeClaim {
    /// Nobody has it: this machine sends the probe and publishes its answer.
    Mine,
    /// Probed already: the answer to the random path (`None`: no page, e.g. a 404).
    Known(Option<ProbePage>),
    /// Another machine is probing now: ask again after this long.
    Wait(std::time::Duration),
}

/// The soft-404 probe shared with other machines (distributed runs): one probe per
/// host for the whole fleet, not one per worker. A machine that cannot reach the share
/// probes on its own (the request still takes the fleet's turn of its host).
pub trait SharedProbes: Send + Sync {
    /// Claim the probe of `origin` (`scheme://host`), or learn its answer.
    fn claim<'a>(&'a self, origin: &'a str) -> futures::future::BoxFuture<'a, ProbeClaim>;
    /// Publish the answer of a probe claimed with [`ProbeClaim::Mine`].
    fn publish<'a>(
        &'a self,
        origin: &'a str,
        answer: Option<&'a ProbePage>,
    ) -> futures::future::BoxFuture<'a, ()>;
}

/// A URL resolved: its link result and, when alive, the page read from it.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub link: LinkResult,
    /// The page read from the last answer with a body (also for a soft 404 or a
    /// challenge, so `inspect` can show why); verify it only when the link is alive.
    pub page: Option<PageInfo>,
}

/// Resolves URLs for a whole run: the fetcher, the CPU workers and the probe cache.
pub struct Resolver {
    fetcher: Fetcher,
    /// The CPU workers that read pages (and verify claims, see [`Resolver::cpu`]).
    cpu: CpuPool,
    probe: bool,
    max_redirects: usize,
    probes: OnceMap<Option<ProbePage>>,
    /// The fleet's probes (distributed runs).
    shared: Option<Arc<dyn SharedProbes>>,
    /// Where every page read is kept as WARC records (`--save-evidence`).
    warc: Option<Arc<WarcSink>>,
    user_agent: String,
}

impl Resolver {
    /// A resolver with its own client, from the fetch settings.
    pub fn new(options: &FetchOptions) -> Result<Self, FetchError> {
        Ok(Resolver {
            fetcher: Fetcher::new(options)?,
            cpu: CpuPool::per_core(),
            probe: options.soft404_probe,
            max_redirects: options.max_redirects,
            probes: OnceMap::new(),
            shared: None,
            warc: None,
            user_agent: options.user_agent.clone(),
        })
    }

    /// Every request also takes the fleet's turn of its host (distributed runs).
    #[must_use]
    pub fn with_fleet(mut self, gate: Arc<dyn crate::fetch::host::FleetGate>) -> Self {
        self.fetcher = self.fetcher.with_fleet(gate);
        self
    }

    /// Share each host's soft-404 probe with the other machines of the fleet.
    #[must_use]
    pub fn with_shared_probes(mut self, shared: Arc<dyn SharedProbes>) -> Self {
        self.shared = Some(shared);
        self
    }

    /// Keep every page read (live, or an archived capture) in `sink` as WARC records.
    #[must_use]
    pub fn with_evidence(mut self, sink: Arc<WarcSink>) -> Self {
        self.warc = Some(sink);
        self
    }

    /// Write the exchange that gave a page read to the evidence, if kept.
    fn keep(&self, f: &Fetched) {
        let (Some(sink), Some(body), Some(url)) =
            (&self.warc, &f.body, f.link.final_url.as_deref())
        else {
            return;
        };
        let head = f.head.as_deref();
        let version = head.map(ResponseHead::version_name);
        let headers = head.map(ResponseHead::header_lines).unwrap_or_default();
        sink.keep(&Exchange {
            url,
            user_agent: &self.user_agent,
            version: version.as_deref().unwrap_or("HTTP/1.1"),
            code: f.link.http_status.unwrap_or(200),
            headers: &headers,
            body,
            truncated: f.truncated,
        });
    }

    /// The fetcher (for the URLs decided before any request: [`Fetcher::precheck`]).
    #[must_use]
    pub fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    /// The run's CPU workers: CPU-bound work goes there, not on the async side.
    #[must_use]
    pub fn cpu(&self) -> &CpuPool {
        &self.cpu
    }

    /// Fetch `url`, read its page, follow page-level redirects, and detect challenges
    /// and soft 404s.
    pub async fn resolve(&self, url: &str) -> Resolved {
        self.resolve_then(url, Arc::new(|_: &PageInfo| ())).await.0
    }

    /// [`Resolver::resolve`], and `work` done on the final page (when there is one) by
    /// the worker that read it. `work` sees every page read, whatever the link turns out
    /// to be: the caller decides by the link whether to use its result.
    pub async fn resolve_then<T: Send + 'static>(
        &self,
        url: &str,
        work: PageWork<T>,
    ) -> (Resolved, Option<T>) {
        match self.fetcher.precheck(url) {
            Ok(checked) => self.resolve_checked_then(url, checked, work).await,
            // Nothing to fetch: the link as the precheck found it, no page.
            Err(link) => (Resolved { link, page: None }, None),
        }
    }

    /// [`Resolver::resolve_then`] of `url` (as cited) that passed the fetcher's
    /// [`Fetcher::precheck`] as `checked` (a run's planned URL): not parsed again.
    pub async fn resolve_checked_then<T: Send + 'static>(
        &self,
        url: &str,
        checked: url::Url,
        work: PageWork<T>,
    ) -> (Resolved, Option<T>) {
        let mut fetched = self.fetcher.fetch_checked(checked).await;
        let (mut page, mut done) = self.read_then(&fetched, Some(&work)).await;
        let mut hops = 0;
        while let Some((target, kind)) = page.as_ref().and_then(|p| p.redirect.clone()) {
            if hops >= MAX_PAGE_REDIRECTS || fetched.link.redirects.len() >= self.max_redirects {
                break;
            }
            hops += 1;
            let from = fetched
                .link
                .final_url
                .clone()
                .unwrap_or_else(|| url.to_owned());
            let mut chain = fetched.link.redirects.clone();
            chain.push(Redirect {
                url: from,
                status: fetched.link.http_status.unwrap_or(200),
                kind,
            });
            let elapsed = fetched.link.elapsed_ms;
            fetched = self.fetcher.fetch_continuing(&target, chain).await;
            fetched.link.elapsed_ms += elapsed;
            if fetched.link.status == LinkStatus::Ok {
                fetched.link.status = LinkStatus::Redirected;
            }
            (page, done) = self.read_then(&fetched, Some(&work)).await;
        }
        if page.is_some() {
            self.keep(&fetched);
        }
        let mut link = fetched.link;
        if let Some(p) = &page {
            if let Some(reason) = &p.challenge {
                link.status = LinkStatus::Blocked;
                link.reason = Some(Reason::BotChallenge);
                link.error = Some(format!("bot challenge: {reason}"));
            } else if let Some((reason, message)) = self
                .soft_404(url, &link, fetched.final_parsed.as_ref(), p)
                .await
            {
                link.status = LinkStatus::Soft404;
                link.reason = Some(reason);
                link.error = Some(message);
            }
        }
        (Resolved { link, page }, done)
    }

    /// Resolve an answer already fetched (an archived capture, fetched with
    /// [`Fetcher::fetch_once`]) the way a live page is read: the same page reader, a bot
    /// challenge makes it `blocked`, a page that says it is gone `soft_404`. Nothing more
    /// is fetched: page-level redirects are left in [`PageInfo::redirect`] for the
    /// caller to judge, and there is no random-path probe.
    ///
    /// The page is read as if it stood at `read_as` (the cited URL, for dates in it).
    pub async fn resolve_fetched(&self, fetched: Fetched, read_as: &str) -> Resolved {
        let page = self
            .read_at(&fetched, read_as, None::<&PageWork<()>>)
            .await
            .0;
        if page.is_some() {
            self.keep(&fetched);
        }
        let mut link = fetched.link;
        if let Some(p) = &page {
            if let Some(reason) = &p.challenge {
                link.status = LinkStatus::Blocked;
                link.reason = Some(Reason::BotChallenge);
                link.error = Some(format!("bot challenge: {reason}"));
            } else if let Some(r) = &p.soft_404 {
                link.status = LinkStatus::Soft404;
                link.reason = Some(Reason::Soft404Text);
                link.error = Some(r.clone());
            }
        }
        Resolved { link, page }
    }

    /// Read the page of a live answer on a CPU worker.
    async fn read(&self, fetched: &Fetched) -> Option<PageInfo> {
        self.read_then::<()>(fetched, None).await.0
    }

    /// Read the page of a live answer on a CPU worker, and do `work` on it there.
    async fn read_then<T: Send + 'static>(
        &self,
        fetched: &Fetched,
        work: Option<&PageWork<T>>,
    ) -> (Option<PageInfo>, Option<T>) {
        let url = fetched.link.final_url.clone().unwrap_or_default();
        self.read_at(fetched, &url, work).await
    }

    /// [`Resolver::read_then`], with the page taken to stand at `url`.
    async fn read_at<T: Send + 'static>(
        &self,
        fetched: &Fetched,
        url: &str,
        work: Option<&PageWork<T>>,
    ) -> (Option<PageInfo>, Option<T>) {
        if !fetched.link.status.is_alive() {
            return (None, None);
        }
        let Some(body) = fetched.body.clone() else {
            return (None, None);
        };
        let url = url.to_owned();
        let ct = fetched.content_type.clone();
        let work = work.cloned();
        // scraper's DOM is not `Send`: the page is parsed and read on the worker.
        let read = self.cpu.run(move || {
            let page = verify::read_page(&url, ct.as_deref(), &body);
            let done = work.map(|w| w(&page));
            (page, done)
        });
        match read.await {
            Some((page, done)) => (Some(page), done),
            None => (None, None),
        }
    }

    /// The answer of `origin` to a random path: the fleet's, when it is shared and
    /// known or being probed by another machine, else probed here (and published).
    async fn probe_host(&self, origin: &str) -> Option<ProbePage> {
        let Some(shared) = &self.shared else {
            return self.send_probe(origin).await;
        };
        loop {
            match shared.claim(origin).await {
                ProbeClaim::Known(answer) => return answer,
                ProbeClaim::Wait(pause) => tokio::time::sleep(pause).await,
                ProbeClaim::Mine => {
                    let answer = self.send_probe(origin).await;
                    shared.publish(origin, answer.as_ref()).await;
                    return answer;
                }
            }
        }
    }

    /// Fetch a random path of `origin` and read its answer.
    async fn send_probe(&self, origin: &str) -> Option<ProbePage> {
        let nonce: u64 = rand::random();
        let probe_url = format!("{origin}/citecheck-probe-{nonce:016x}.html");
        let fetched = self.fetcher.fetch(&probe_url).await;
        self.read(&fetched)
            .await
            .map(|p| ProbePage::new(p.title, p.main_text))
    }

    /// A soft-404 reason and message, if the page reads as gone.
    async fn soft_404(
        &self,
        cited: &str,
        link: &LinkResult,
        final_parsed: Option<&url::Url>,
        page: &PageInfo,
    ) -> Option<(Reason, String)> {
        if let Some(r) = &page.soft_404 {
            return Some((Reason::Soft404Text, r.clone()));
        }
        if !link.status.is_alive() {
            return None;
        }
        let final_url = link.final_url.as_deref()?;
        if let Some(r) = verify::redirect_soft_404(cited, final_url) {
            return Some(r);
        }
        if !self.probe || !page.is_html {
            return None;
        }
        let parsed_here;
        let url = match final_parsed {
            Some(u) => u,
            None => {
                parsed_here = url::Url::parse(final_url).ok()?;
                &parsed_here
            }
        };
        if url.path() == "/" && url.query().is_none() {
            // A cited home page is expected to look like the host's fallback page.
            return None;
        }
        let key = origin_key(url);
        let cell = self.probes.cell(&key);
        let probe = cell.get_or_init(|| self.probe_host(&key)).await.as_ref()?;
        let sim = probe.similarity(page);
        (sim >= SOFT_404_SIMILARITY).then(|| {
            (
                Reason::Soft404RandomPath,
                format!("the host answers a random path with the same page (similarity {sim:.2})"),
            )
        })
    }
}
