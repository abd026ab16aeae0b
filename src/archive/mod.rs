//! Archived copies of dead and drifted citations: find the capture closest to the
//! claim, verify it with the same verifier as a live page, and offer it.
//!
//! For a citation whose link is dead (`broken`, `unreachable`, `timeout`, `soft_404`) or
//! whose page no longer supports the claim (`unsupported`; `partial` with the page date
//! outside the window) — see [`wanted`] — each endpoint is asked in turn for the
//! captures of the cited URL (and of the final URL when it differs and is not a home
//! page): the Wayback CDX API or a Memento TimeMap ([`index`]). Captures whose archived
//! status is not 200/203/206 are skipped; the rest are tried closest to the claim date
//! first (on or before it, then after it, alternately; without a claim date the
//! earliest first), at most [`options::MAX_CAPTURES_TRIED`] per endpoint. Each is
//! fetched raw (`/web/<timestamp>id_/<url>`, no toolbar) with one request, redirects
//! not followed (a redirect is "not this capture"), read by [`crate::resolve`] like a
//! live page and verified by [`crate::verify::verify`]. The first that supports the
//! claim wins; else the best verdict found is offered, so the editor learns that the
//! archived copy does not support the claim either.
//!
//! **Politeness.** Every archive request goes through the run's one
//! [`crate::fetch::Fetcher`], so the archive host has its own per-host limit
//! ([`options::DEFAULT_RATE`], [`options::DEFAULT_CONCURRENCY`], pinned in the host
//! pool over `[[fetch.hosts]]`), `Retry-After` holds the whole host, and retries are the
//! fetch stage's. On top of that, per endpoint: lookups take turns (a gate of
//! `concurrency` permits), and once an endpoint fails at the connection level, keeps
//! answering 429, or errs, it is marked down for the rest of the run — one quick
//! failure per run, never one per citation and never a retry storm. `max_lookups`
//! bounds the index queries of a run.
//!
//! **Seam for the history store.** Index answers and verified captures are cached for
//! the run in [`Archive`]; [`Archive::remembered`] hands them out as [`Remembered`]
//! (plain data) and [`Archive::with_remembered`] takes them back, so a store can save
//! them after a run and seed the next one: a remembered URL is not asked again.

pub mod index;
pub mod options;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::fetch::OnceMap;
use crate::model::{
    ArchiveCopy, ArchiveReason, Claim, Evidence, LinkResult, LinkStatus, Reason, Verdict,
};
use crate::resolve::{Resolved, Resolver};
use crate::verify::{self, VerifyOptions};

pub use index::Capture;
pub use options::{ArchiveOptions, Endpoint, EndpointKind};

/// Whether a citation with this link and verdict is looked up in the archives.
#[must_use]
pub fn wanted(link: &LinkResult, verdict: Option<Verdict>, evidence: Option<&Evidence>) -> bool {
    let dead = matches!(
        link.status,
        LinkStatus::Broken | LinkStatus::Unreachable | LinkStatus::Timeout | LinkStatus::Soft404
    );
    let drifted = match verdict {
        Some(Verdict::Unsupported) => link.status.is_alive(),
        Some(Verdict::Partial) => {
            evidence.and_then(|e| e.reason) == Some(Reason::PageDateOutsideWindow)
        }
        _ => false,
    };
    dead || drifted
}

/// Why an endpoint gave nothing: a code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub reason: ArchiveReason,
    pub message: String,
}

fn failure(reason: ArchiveReason, message: impl Into<String>) -> Failure {
    Failure {
        reason,
        message: message.into(),
    }
}

/// What a run learnt from the archives, as plain data: the index answer (the captures)
/// of each `(endpoint URL, cited URL)` asked. For the history store
/// ([`Archive::remembered`], [`Archive::with_remembered`]); the verified copies
/// themselves are in each row's `archive`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Remembered {
    pub indexes: Vec<((String, String), Vec<Capture>)>,
}

/// One endpoint's state for the run.
struct EndpointState {
    endpoint: Endpoint,
    /// Lookups take turns (and see `down` before they send anything).
    gate: Semaphore,
    /// Set on the first failure that says "do not ask again in this run".
    down: Mutex<Option<Failure>>,
}

impl EndpointState {
    fn down(&self) -> Option<Failure> {
        self.down
            .lock()
            .expect("archive endpoint lock poisoned")
            .clone()
    }

    fn mark_down(&self, f: &Failure) {
        let mut down = self.down.lock().expect("archive endpoint lock poisoned");
        if down.is_none() {
            tracing::warn!(endpoint = %self.endpoint.url, reason = %f.reason, "archive endpoint down for this run: {}", f.message);
            *down = Some(f.clone());
        }
    }
}

/// The archive lookups of one run: endpoints, their state, and what was learnt.
pub struct Archive {
    endpoints: Vec<EndpointState>,
    max_lookups: usize,
    lookups: AtomicUsize,
    /// Index answers by `endpoint URL \n cited URL`.
    indexes: OnceMap<Result<Arc<Vec<Capture>>, Failure>>,
    /// Captures fetched and read, by raw URL.
    captures: OnceMap<Arc<Resolved>>,
    /// Index answers given by the store ([`Archive::with_remembered`]).
    seeded: HashMap<String, Arc<Vec<Capture>>>,
}

/// The best capture found so far for one citation.
struct Best {
    capture: Capture,
    endpoint: String,
    status: LinkStatus,
    verdict: Verdict,
    evidence: Evidence,
}

fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Supported => 0,
        Verdict::Partial => 1,
        Verdict::Unsupported => 2,
        Verdict::Unverifiable => 3,
    }
}

/// A capture fetched: usable (a page to verify) or why not.
enum Fetched {
    Page(Arc<Resolved>),
    Skipped(String),
    /// The endpoint is down for the run.
    Down(Failure),
}

impl Archive {
    /// The lookups of a run, from the archive settings (`None` when turned off or no
    /// endpoint is configured).
    #[must_use]
    pub fn new(options: &ArchiveOptions) -> Option<Self> {
        if !options.enabled || options.endpoints.is_empty() {
            return None;
        }
        Some(Archive {
            endpoints: options
                .endpoints
                .iter()
                .map(|e| EndpointState {
                    endpoint: e.clone(),
                    gate: Semaphore::new(options.concurrency.max(1)),
                    down: Mutex::new(None),
                })
                .collect(),
            max_lookups: options.max_lookups,
            lookups: AtomicUsize::new(0),
            indexes: OnceMap::new(),
            captures: OnceMap::new(),
            seeded: HashMap::new(),
        })
    }

    /// Seed the run with what an earlier run learnt (from the history store).
    #[must_use]
    pub fn with_remembered(mut self, r: Remembered) -> Self {
        for ((endpoint, url), caps) in r.indexes {
            self.seeded.insert(key(&endpoint, &url), Arc::new(caps));
        }
        self
    }

    /// What this run learnt, for the history store: every index answer received.
    #[must_use]
    pub fn remembered(&self) -> Remembered {
        let mut indexes = Vec::new();
        for (k, cell) in self.indexes.entries() {
            if let Some(Ok(caps)) = cell.get() {
                if let Some((e, u)) = k.split_once('\n') {
                    indexes.push(((e.to_owned(), u.to_owned()), caps.as_ref().clone()));
                }
            }
        }
        indexes.sort_by(|a, b| a.0.cmp(&b.0));
        Remembered { indexes }
    }

    /// Index look-ups sent so far in this run.
    #[must_use]
    pub fn lookups(&self) -> usize {
        self.lookups.load(Ordering::Relaxed)
    }

    /// Find the archived copy for one citation: `cited` is its URL, `link` what the live
    /// fetch gave, `claim` what the copy must support.
    pub async fn find(
        &self,
        resolver: &Resolver,
        verify: &VerifyOptions,
        claim: &Claim,
        cited: &str,
        link: &LinkResult,
    ) -> ArchiveCopy {
        let started = Instant::now();
        // The fragment is not part of what an archive holds.
        let cited = url::Url::parse(cited.trim())
            .map(|u| crate::fetch::without_fragment(&u))
            .unwrap_or_else(|_| cited.to_owned());
        let cited = cited.as_str();
        let mut urls = vec![cited.to_owned()];
        let final_url = link
            .final_url
            .as_deref()
            .and_then(|f| url::Url::parse(f).ok())
            .map(|u| crate::fetch::without_fragment(&u));
        if let Some(f) = final_url.as_deref()
            && f != cited
            && url::Url::parse(f).is_ok_and(|u| u.path() != "/" || u.query().is_some())
        {
            urls.push(f.to_owned());
        }
        let mut tried = 0;
        let mut best: Option<Best> = None;
        // Why nothing was found, first reason first (the cited URL at the first endpoint).
        let mut failures: Vec<(Failure, String)> = Vec::new();
        'endpoints: for ep in &self.endpoints {
            let Ok(_turn) = ep.gate.acquire().await else {
                continue;
            };
            for url in &urls {
                if url.starts_with(&format!("{}/", ep.endpoint.url)) {
                    // A cited capture of this very archive: nothing to look up.
                    continue;
                }
                if let Some(f) = ep.down() {
                    failures.push((f, ep.endpoint.url.clone()));
                    continue 'endpoints;
                }
                let captures = match self.index(resolver, ep, url).await {
                    Ok(c) => c,
                    Err(f) => {
                        failures.push((f, ep.endpoint.url.clone()));
                        continue;
                    }
                };
                let order = index::order(&captures, claim.date);
                if order.is_empty() {
                    failures.push((
                        failure(
                            if captures.is_empty() {
                                ArchiveReason::NoCaptures
                            } else {
                                ArchiveReason::NoUsableCapture
                            },
                            if captures.is_empty() {
                                format!("no capture of {url}")
                            } else {
                                format!("no capture of {url} with status 200, 203 or 206")
                            },
                        ),
                        ep.endpoint.url.clone(),
                    ));
                    continue;
                }
                let mut skipped = Vec::new();
                for capture in order.into_iter().take(options::MAX_CAPTURES_TRIED) {
                    tried += 1;
                    let resolved = match self.capture(resolver, ep, &capture).await {
                        Fetched::Page(r) => r,
                        Fetched::Skipped(why) => {
                            skipped.push(why);
                            continue;
                        }
                        Fetched::Down(f) => {
                            failures.push((f, ep.endpoint.url.clone()));
                            continue 'endpoints;
                        }
                    };
                    let Some(page) = resolved.page.as_ref() else {
                        continue;
                    };
                    let (verdict, evidence) = verify::verify(claim, page, verify);
                    let better = best
                        .as_ref()
                        .is_none_or(|b| rank(verdict) < rank(b.verdict));
                    if better {
                        best = Some(Best {
                            capture,
                            endpoint: ep.endpoint.url.clone(),
                            status: resolved.link.status,
                            verdict,
                            evidence,
                        });
                    }
                    if verdict == Verdict::Supported {
                        break 'endpoints;
                    }
                }
                if best.is_none() {
                    failures.push((
                        failure(
                            ArchiveReason::NoUsableCapture,
                            format!("no usable capture of {url}: {}", skipped.join("; ")),
                        ),
                        ep.endpoint.url.clone(),
                    ));
                }
            }
        }
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match best {
            Some(b) => ArchiveCopy {
                url: Some(b.capture.view_url),
                timestamp: Some(b.capture.timestamp),
                status: Some(b.status),
                verdict: Some(b.verdict),
                evidence: Some(b.evidence),
                tried,
                reason: None,
                error: None,
                endpoint: Some(b.endpoint),
                elapsed_ms,
                remembered: false,
            },
            None => {
                let (f, endpoint) = failures.into_iter().next().unwrap_or_else(|| {
                    (
                        failure(ArchiveReason::NoCaptures, "no capture found"),
                        String::new(),
                    )
                });
                ArchiveCopy {
                    tried,
                    reason: Some(f.reason),
                    error: Some(f.message),
                    endpoint: Some(endpoint).filter(|e| !e.is_empty()),
                    elapsed_ms,
                    ..ArchiveCopy::default()
                }
            }
        }
    }

    /// The captures of `url` at one endpoint, asked once per run.
    async fn index(
        &self,
        resolver: &Resolver,
        ep: &EndpointState,
        url: &str,
    ) -> Result<Arc<Vec<Capture>>, Failure> {
        let k = key(&ep.endpoint.url, url);
        if let Some(caps) = self.seeded.get(&k) {
            return Ok(Arc::clone(caps));
        }
        let cell = self.indexes.cell(&k);
        cell.get_or_init(|| async {
            if self.lookups.fetch_add(1, Ordering::Relaxed) >= self.max_lookups {
                return Err(failure(
                    ArchiveReason::LookupLimit,
                    format!("archive.max_lookups ({}) reached", self.max_lookups),
                ));
            }
            let query = index::query_url(&ep.endpoint, url);
            let fetched = resolver.fetcher().fetch(&query).await;
            let link = &fetched.link;
            if link.status.is_alive() {
                let body = fetched.body.as_deref().unwrap_or_default();
                let caps = match ep.endpoint.kind {
                    EndpointKind::Cdx => index::parse_cdx(&ep.endpoint, body).map_err(|e| {
                        let f = failure(ArchiveReason::ArchiveFailed, e);
                        ep.mark_down(&f);
                        f
                    })?,
                    EndpointKind::Memento => index::parse_timemap(body, url),
                };
                return Ok(Arc::new(caps));
            }
            if link.http_status == Some(404) {
                // pywb and Memento TimeMaps answer 404 for a URL they hold nothing of.
                return Ok(Arc::new(Vec::new()));
            }
            let f = endpoint_failure(&ep.endpoint, link);
            ep.mark_down(&f);
            Err(f)
        })
        .await
        .clone()
    }

    /// Fetch one capture raw (one request, no redirect followed) and read it.
    async fn capture(&self, resolver: &Resolver, ep: &EndpointState, c: &Capture) -> Fetched {
        if let Some(f) = ep.down() {
            return Fetched::Down(f);
        }
        let cell = self.captures.cell(&c.raw_url);
        let resolved = cell
            .get_or_init(|| async {
                let fetched = resolver.fetcher().fetch_once(&c.raw_url).await;
                // Read the page as the cited URL (dates in the URL).
                Arc::new(resolver.resolve_fetched(fetched, &c.original).await)
            })
            .await;
        let link = &resolved.link;
        match link.status {
            LinkStatus::Unreachable | LinkStatus::Timeout | LinkStatus::Excluded => {
                let f = endpoint_failure(&ep.endpoint, link);
                ep.mark_down(&f);
                Fetched::Down(f)
            }
            LinkStatus::Blocked if link.reason != Some(Reason::BotChallenge) => {
                let f = endpoint_failure(&ep.endpoint, link);
                ep.mark_down(&f);
                Fetched::Down(f)
            }
            LinkStatus::Redirected => Fetched::Skipped(format!(
                "{} is a redirect (HTTP {})",
                c.view_url,
                link.http_status.unwrap_or(0)
            )),
            LinkStatus::Ok => match resolved.page.as_ref() {
                Some(p) if p.redirect.is_some() => {
                    Fetched::Skipped(format!("{} is a page redirect", c.view_url))
                }
                Some(_) => Fetched::Page(Arc::clone(resolved)),
                None => Fetched::Skipped(format!("{} has no readable body", c.view_url)),
            },
            s => Fetched::Skipped(format!(
                "{} is {s}{}",
                c.view_url,
                link.http_status
                    .map(|h| format!(" (HTTP {h})"))
                    .unwrap_or_default()
            )),
        }
    }
}

fn key(endpoint: &str, url: &str) -> String {
    format!("{endpoint}\n{url}")
}

/// Why an endpoint's answer ends its use for the run.
fn endpoint_failure(endpoint: &Endpoint, link: &LinkResult) -> Failure {
    let what = link
        .error
        .clone()
        .or_else(|| link.http_status.map(|h| format!("HTTP {h}")))
        .unwrap_or_else(|| link.status.to_string());
    let reason = match link.status {
        LinkStatus::Unreachable | LinkStatus::Timeout => ArchiveReason::ArchiveUnreachable,
        LinkStatus::Blocked => ArchiveReason::ArchiveThrottled,
        LinkStatus::Excluded | LinkStatus::Invalid => ArchiveReason::ArchiveExcluded,
        _ => ArchiveReason::ArchiveFailed,
    };
    failure(
        reason,
        format!(
            "archive {} {}: {what}; not asked again in this run",
            endpoint.url,
            match reason {
                ArchiveReason::ArchiveUnreachable => "unreachable",
                ArchiveReason::ArchiveThrottled => "throttles us",
                ArchiveReason::ArchiveExcluded => "not allowed",
                _ => "failed",
            }
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_and_drifted_citations_are_wanted() {
        let link = |status| LinkResult {
            status,
            ..LinkResult::unsent(status, Reason::Http404, "")
        };
        let ev = |reason| Evidence {
            reason: Some(reason),
            ..Evidence::default()
        };
        for s in [
            LinkStatus::Broken,
            LinkStatus::Unreachable,
            LinkStatus::Timeout,
            LinkStatus::Soft404,
        ] {
            assert!(wanted(&link(s), Some(Verdict::Unverifiable), None), "{s}");
        }
        for s in [
            LinkStatus::Blocked,
            LinkStatus::Excluded,
            LinkStatus::Invalid,
        ] {
            assert!(!wanted(&link(s), Some(Verdict::Unverifiable), None), "{s}");
        }
        let ok = link(LinkStatus::Ok);
        assert!(wanted(&ok, Some(Verdict::Unsupported), None));
        assert!(!wanted(&ok, Some(Verdict::Supported), None));
        assert!(wanted(
            &ok,
            Some(Verdict::Partial),
            Some(&ev(Reason::PageDateOutsideWindow))
        ));
        assert!(!wanted(
            &ok,
            Some(Verdict::Partial),
            Some(&ev(Reason::ClaimDateNotFound))
        ));
    }
}
