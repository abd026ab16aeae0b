//! Stage 2: fetch each unique URL once, politely.
//!
//! One [`Fetcher`] holds the HTTP client, the per-host politeness objects
//! ([`host::HostPool`]) and the global concurrency knob. Redirects are followed here, not
//! by the client, so that every hop is recorded, loops are caught, every hop is checked
//! against the private-address guard and every hop is rate-limited on its own host.
//! A failure on one URL is data (a [`LinkResult`]), never an `Err`.

mod classify;
mod cookies;
mod decode;
mod dns;
mod guard;
pub mod host;
pub mod options;
mod robots;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use reqwest::header::{
    ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, COOKIE, HeaderValue, LOCATION,
    RETRY_AFTER,
};
use tokio::sync::{OnceCell, Semaphore};
use tokio::time::Instant;
use url::Url;

use crate::model::{LinkResult, LinkStatus, Reason, Redirect, RedirectKind};

use classify::{backoff, classify_error, is_transient_code, parse_retry_after, status_for_code};
use guard::{GuardedResolver, PrivateAddress, check_url_host, first_private, lookup};
use host::HostPool;
use robots::Robots;

pub use options::FetchOptions;

/// Longest URL accepted, in bytes.
pub const MAX_URL_BYTES: usize = 8192;

/// The client could not be built; the run cannot start.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("invalid proxy {proxy}")]
    Proxy {
        proxy: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
    #[error("cannot write evidence to {dir}")]
    Evidence {
        dir: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The outcome of fetching one URL: its link status and, for a 2xx answer, the body.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub link: LinkResult,
    /// The body of a 2xx answer, capped at `max_body_bytes` after decompression.
    pub body: Option<Bytes>,
    pub content_type: Option<String>,
    /// Whether the body was cut at the cap.
    pub truncated: bool,
    /// The HTTP version and headers of the last answer (for the WARC evidence).
    pub head: Option<Arc<ResponseHead>>,
    /// `link.final_url` as parsed (when there is one), so that it is not parsed again.
    pub final_parsed: Option<Url>,
}

/// The HTTP version and headers of an answer, as received (kept as they came: put
/// into text only when the exchange is written to the evidence, not for every answer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseHead {
    pub version: reqwest::Version,
    pub headers: reqwest::header::HeaderMap,
}

impl ResponseHead {
    /// `HTTP/1.1`, `HTTP/2.0`.
    #[must_use]
    pub fn version_name(&self) -> String {
        format!("{:?}", self.version)
    }

    /// Each header line as sent: its name and value (bytes that are not UTF-8 replaced).
    #[must_use]
    pub fn header_lines(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect()
    }
}

impl Fetched {
    fn failed(status: LinkStatus, reason: Reason, error: String, http_status: Option<u16>) -> Self {
        Fetched {
            link: LinkResult {
                status,
                http_status,
                final_url: None,
                redirects: Vec::new(),
                reason: Some(reason),
                error: Some(error),
                elapsed_ms: 0,
                cached: false,
            },
            body: None,
            content_type: None,
            truncated: false,
            head: None,
            final_parsed: None,
        }
    }
}

/// One answer to one request.
struct Answer {
    code: u16,
    head: Arc<ResponseHead>,
    location: Option<String>,
    retry_after: Option<Duration>,
    /// A `Retry-After` that is neither seconds nor an HTTP date, as sent.
    retry_after_invalid: Option<String>,
    content_type: Option<String>,
    body: Option<Bytes>,
    truncated: bool,
    /// Why a 2xx body could not be decoded (it is then `None`).
    undecodable: Option<String>,
}

/// A proxy's exact address: only this host and port are exempt from the private rule.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ProxyAddr {
    host: String,
    port: u16,
}

impl ProxyAddr {
    fn parse(proxy: &str) -> Option<Self> {
        let u = Url::parse(proxy).ok()?;
        let host = u.host_str()?.trim_end_matches('.').to_ascii_lowercase();
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = u.port_or_known_default().unwrap_or(1080);
        Some(ProxyAddr { host, port })
    }
}

/// The proxy to use for `http` and `https` URLs: the configured one for both, else the
/// standard environment variables (lower case first, as curl reads them).
fn proxies_from(configured: Option<&str>) -> Vec<(&'static str, String)> {
    if let Some(p) = configured {
        return vec![("all", p.to_owned())];
    }
    let env = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
    };
    let all = env(&["all_proxy", "ALL_PROXY"]);
    let mut out = Vec::new();
    if let Some(p) = env(&["http_proxy", "HTTP_PROXY"]).or_else(|| all.clone()) {
        out.push(("http", p));
    }
    if let Some(p) = env(&["https_proxy", "HTTPS_PROXY"]).or(all) {
        out.push(("https", p));
    }
    out
}

/// The end of the retries for one request.
enum Attempted {
    Answer(Answer),
    Failed {
        status: LinkStatus,
        reason: Reason,
        http_status: Option<u16>,
        error: String,
    },
}

/// The HTTP client with its politeness state, shared by all workers of a run.
pub struct Fetcher {
    client: reqwest::Client,
    hosts: HostPool,
    global: Semaphore,
    config: Arc<FetchOptions>,
    robots: OnceMap<Robots>,
    /// Every proxy in use (configured or from the environment).
    proxies: Vec<ProxyAddr>,
    /// Fixed answers of `fetch.resolve`, shared with the client's resolver.
    overrides: Arc<HashMap<String, std::net::IpAddr>>,
    /// Local answers for names that a proxy will carry, once per name per run.
    proxied_names: OnceMap<Option<Vec<std::net::IpAddr>>>,
    /// The fleet's politeness (distributed runs only).
    fleet: Option<Arc<dyn host::FleetGate>>,
    cookies: cookies::Jar,
}

/// Values computed once per key (per host) and shared by every request that needs them.
pub(crate) struct OnceMap<T>(std::sync::Mutex<HashMap<String, Arc<OnceCell<T>>>>);

impl<T> OnceMap<T> {
    pub(crate) fn new() -> Self {
        OnceMap(std::sync::Mutex::new(HashMap::new()))
    }

    /// Every key with its cell, in no particular order.
    pub(crate) fn entries(&self) -> Vec<(String, Arc<OnceCell<T>>)> {
        let map = self.0.lock().expect("once-map lock poisoned");
        map.iter()
            .map(|(k, c)| (k.clone(), Arc::clone(c)))
            .collect()
    }

    /// The cell of `key`, created empty on first use.
    pub(crate) fn cell(&self, key: &str) -> Arc<OnceCell<T>> {
        let mut map = self.0.lock().expect("once-map lock poisoned");
        if let Some(c) = map.get(key) {
            return Arc::clone(c);
        }
        let c = Arc::new(OnceCell::new());
        map.insert(key.to_owned(), Arc::clone(&c));
        c
    }
}

impl Fetcher {
    /// Build the client from the fetch settings.
    pub fn new(config: &FetchOptions) -> Result<Self, FetchError> {
        let config = Arc::new(config.clone());
        let proxy_urls = proxies_from(config.proxy.as_deref());
        let proxies: Vec<ProxyAddr> = proxy_urls
            .iter()
            .filter_map(|(_, p)| ProxyAddr::parse(p))
            .collect();
        let overrides: Arc<HashMap<_, _>> = Arc::new(config.resolve.iter().cloned().collect());
        let resolver = GuardedResolver {
            allow_private: config.allow_private,
            overrides: Arc::clone(&overrides),
            proxy_hosts: proxies.iter().map(|p| p.host.clone()).collect(),
        };
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static(
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            ),
        );
        headers.insert(
            ACCEPT_ENCODING,
            HeaderValue::from_static(decode::ACCEPT_ENCODING),
        );
        let mut builder = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .connect_timeout(config.timeout)
            .pool_idle_timeout(Duration::from_secs(10))
            .dns_resolver(Arc::new(resolver))
            .connector_layer(host::StampLayer)
            // Proxies are set explicitly below (from the settings or the environment),
            // so that the private-address rule knows exactly which ones are in use.
            .no_proxy();
        for (scheme, p) in &proxy_urls {
            let proxy = match *scheme {
                "http" => reqwest::Proxy::http(p),
                "https" => reqwest::Proxy::https(p),
                _ => reqwest::Proxy::all(p),
            };
            let proxy = proxy
                .map_err(|source| FetchError::Proxy {
                    proxy: p.clone(),
                    source,
                })?
                .no_proxy(reqwest::NoProxy::from_env());
            builder = builder.proxy(proxy);
        }
        let client = builder.build().map_err(FetchError::Client)?;
        Ok(Fetcher {
            client,
            hosts: HostPool::new(Arc::clone(&config)),
            global: Semaphore::new(config.max_concurrency),
            config,
            robots: OnceMap::new(),
            proxies,
            overrides,
            proxied_names: OnceMap::new(),
            fleet: None,
            cookies: cookies::Jar::default(),
        })
    }

    /// Every request also takes the fleet's turn of its host (distributed runs).
    #[must_use]
    pub fn with_fleet(mut self, gate: Arc<dyn host::FleetGate>) -> Self {
        self.fleet = Some(gate);
        self
    }

    /// The in-process gate of `host`, then the fleet's turn (if any) taken last: a
    /// fleet turn not yet due gives the gate back, the host's next turn is moved to when
    /// the fleet's is due (rather than a whole interval later), and the wait starts over.
    async fn enter<'a>(&'a self, host: &host::Host, key: &str) -> host::Gate<'a> {
        loop {
            let gate = host.enter(&self.global).await;
            let Some(fleet) = &self.fleet else {
                return gate;
            };
            match fleet.take_turn(key, host.gap()).await {
                Ok(()) => return gate,
                Err(wait) => {
                    host.defer_to(Instant::now() + wait);
                    drop(gate);
                }
            }
        }
    }

    /// Hold `host` until `until` here, and for the fleet.
    async fn back_off(&self, host: &host::Host, key: &str, wait: Duration) {
        host.back_off_until(Instant::now() + wait);
        if let Some(fleet) = &self.fleet {
            fleet.back_off(key, wait).await;
        }
    }

    /// The private-address rule for a name a proxy may carry: the client resolves
    /// nothing itself then, so resolve the name here and refuse a private answer. A name
    /// that does not resolve here is left to the proxy. Only the exact address and port
    /// of a proxy are exempt.
    async fn guard_proxied(&self, url: &Url) -> Option<PrivateAddress> {
        if self.config.allow_private || self.proxies.is_empty() || self.config.proxy_resolves_names
        {
            return None;
        }
        let Some(url::Host::Domain(name)) = url.host() else {
            return None; // IP literals are checked by `check_url_host`.
        };
        let host = name.trim_end_matches('.').to_ascii_lowercase();
        let port = url.port_or_known_default();
        if self
            .proxies
            .iter()
            .any(|p| p.host == host && Some(p.port) == port)
        {
            return None;
        }
        let cell = self.proxied_names.cell(&host);
        let addrs = cell
            .get_or_init(|| async {
                let wait = self.config.timeout.min(Duration::from_secs(5));
                match tokio::time::timeout(wait, lookup(&self.overrides, &host)).await {
                    Ok(Ok(addrs)) => Some(addrs),
                    // No local answer (or none in time): the proxy decides.
                    _ => None,
                }
            })
            .await
            .as_ref()?;
        first_private(&host, addrs)
    }

    /// Decide, without any network access, whether `url` can be fetched at all.
    pub fn precheck(&self, url: &str) -> Result<Url, LinkResult> {
        precheck(url, &self.config)
    }

    /// Fetch `url`, following redirects.
    pub async fn fetch(&self, url: &str) -> Fetched {
        self.fetch_continuing(url, Vec::new()).await
    }

    /// Fetch `url` as the next hop of a chain already taken (e.g. after a meta refresh),
    /// so that loops and the redirect limit count the whole chain.
    pub async fn fetch_continuing(&self, url: &str, redirects: Vec<Redirect>) -> Fetched {
        self.fetch_hops(url, redirects, true).await
    }

    /// Fetch `url` with one request (retries aside): a redirect is not followed but
    /// reported as the answer (`redirected`, `http_status` 3xx, no body, the target in
    /// `error`). For archived captures, where a redirect means "not this capture".
    pub async fn fetch_once(&self, url: &str) -> Fetched {
        self.fetch_hops(url, Vec::new(), false).await
    }

    /// [`Fetcher::fetch`] of a URL that passed [`Fetcher::precheck`] already (a run's
    /// planned URL): it is not parsed again.
    pub async fn fetch_checked(&self, url: Url) -> Fetched {
        self.fetch_hops_from(url, Vec::new(), true).await
    }

    async fn fetch_hops(&self, url: &str, redirects: Vec<Redirect>, follow: bool) -> Fetched {
        match self.precheck(url) {
            Ok(u) => self.fetch_hops_from(u, redirects, follow).await,
            Err(link) => Fetched {
                link: LinkResult { redirects, ..link },
                body: None,
                content_type: None,
                truncated: false,
                head: None,
                final_parsed: None,
            },
        }
    }

    async fn fetch_hops_from(
        &self,
        mut current: Url,
        mut redirects: Vec<Redirect>,
        follow: bool,
    ) -> Fetched {
        let cited = redirects
            .first()
            .and_then(|r| Url::parse(&r.url).ok())
            .unwrap_or_else(|| current.clone());
        let mut seen: HashSet<String> = redirects.iter().map(|r| r.url.clone()).collect();
        if !seen.insert(without_fragment(&current)) {
            // A page-level redirect (meta refresh, script) back into its own chain.
            let mut looped = Fetched::failed(
                LinkStatus::Broken,
                Reason::RedirectLoop,
                loop_error(&redirects, &current),
                None,
            );
            looped.link.redirects = redirects;
            return looped;
        }
        let started = Instant::now();
        let result = loop {
            if !self.config.allow_private
                && let Err(p) = check_url_host(&current)
            {
                break Fetched::failed(
                    LinkStatus::Excluded,
                    Reason::PrivateAddress,
                    p.to_string(),
                    None,
                );
            }
            if let Some(p) = self.guard_proxied(&current).await {
                break Fetched::failed(
                    LinkStatus::Excluded,
                    Reason::PrivateAddress,
                    p.to_string(),
                    None,
                );
            }
            if self.config.respect_robots && !self.robots_allow(&current).await {
                break Fetched::failed(
                    LinkStatus::Excluded,
                    Reason::RobotsDisallowed,
                    format!("disallowed by {}", robots_url(&current)),
                    None,
                );
            }
            let answer = match self.request(&current).await {
                Attempted::Failed {
                    status,
                    reason,
                    http_status,
                    error,
                } => break Fetched::failed(status, reason, error, http_status),
                Attempted::Answer(a) => a,
            };
            let is_redirect = (300..400).contains(&answer.code);
            let redirect_to = is_redirect.then_some(answer.location.as_deref()).flatten();
            if let (Some(location), false) = (redirect_to, follow) {
                break Fetched {
                    link: LinkResult {
                        status: LinkStatus::Redirected,
                        http_status: Some(answer.code),
                        final_url: Some(current.to_string()),
                        redirects: Vec::new(),
                        reason: None,
                        error: Some(format!("redirect to {location} (not followed)")),
                        elapsed_ms: 0,
                        cached: false,
                    },
                    body: None,
                    content_type: answer.content_type,
                    truncated: false,
                    head: Some(answer.head),
                    final_parsed: Some(current),
                };
            }
            let Some(location) = redirect_to else {
                let mut status = status_for_code(answer.code);
                if status == LinkStatus::Ok && !same_page(&current, &cited) {
                    status = LinkStatus::Redirected;
                }
                let (reason, error) = if is_redirect {
                    (
                        Some(Reason::HttpOther),
                        Some(format!("HTTP {} without a Location header", answer.code)),
                    )
                } else if let Some(why) = answer.undecodable {
                    (Some(Reason::BodyUndecodable), Some(why))
                } else if answer.truncated {
                    (
                        Some(Reason::BodyTooLarge),
                        Some(format!(
                            "body larger than {} bytes after decompression; read the first {0}",
                            self.config.max_body_bytes
                        )),
                    )
                } else {
                    // The HTTP status says it all: no message besides it.
                    (Reason::for_http_status(answer.code), None)
                };
                break Fetched {
                    link: LinkResult {
                        status,
                        http_status: Some(answer.code),
                        final_url: Some(current.to_string()),
                        redirects: Vec::new(),
                        reason,
                        error,
                        elapsed_ms: 0,
                        cached: false,
                    },
                    body: answer.body,
                    content_type: answer.content_type,
                    truncated: answer.truncated,
                    head: Some(answer.head),
                    final_parsed: Some(current),
                };
            };
            redirects.push(Redirect {
                url: current.to_string(),
                status: answer.code,
                kind: RedirectKind::Http,
            });
            let next = match current.join(location.trim()) {
                Ok(n) => n,
                Err(e) => {
                    break Fetched::failed(
                        LinkStatus::Broken,
                        Reason::RedirectInvalidLocation,
                        format!("redirect to an invalid Location {location:?}: {e}"),
                        Some(answer.code),
                    );
                }
            };
            if let Some(failed) = self.check_hop(&next, &redirects, &mut seen) {
                break failed;
            }
            current = next;
        };
        let mut result = result;
        result.link.redirects = redirects;
        result.link.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        result
    }

    /// Whether robots.txt of `url`'s host lets us fetch it; robots.txt is fetched once
    /// per host (politely, like any request) and its Crawl-delay applied to the host.
    async fn robots_allow(&self, url: &Url) -> bool {
        let key = origin_key(url);
        let cell = self.robots.cell(&key);
        let robots = cell
            .get_or_init(|| async {
                let Ok(robots_url) = Url::parse(&robots_url(url)) else {
                    return Robots::default();
                };
                let agent = self
                    .config
                    .user_agent
                    .split('/')
                    .next()
                    .unwrap_or("citecheck");
                let robots = match self.request(&robots_url).await {
                    Attempted::Answer(a) if (200..300).contains(&a.code) => {
                        Robots::parse(&String::from_utf8_lossy(&a.body.unwrap_or_default()), agent)
                    }
                    // 4xx, 5xx after retries, or no answer: no rules to honour.
                    _ => Robots::default(),
                };
                if let Some(d) = robots.crawl_delay {
                    self.hosts.get(&host_key(url)).set_crawl_delay(d);
                }
                robots
            })
            .await;
        let mut path = url.path().to_owned();
        if let Some(q) = url.query() {
            path.push('?');
            path.push_str(q);
        }
        robots.allows(&path)
    }

    /// Refuse a redirect target that is not HTTP, loops back or exceeds the limit.
    fn check_hop(
        &self,
        next: &Url,
        redirects: &[Redirect],
        seen: &mut HashSet<String>,
    ) -> Option<Fetched> {
        if !matches!(next.scheme(), "http" | "https") {
            return Some(Fetched::failed(
                LinkStatus::Broken,
                Reason::RedirectNotHttp,
                format!("redirect to a non-HTTP URL {next}"),
                redirects.last().map(|r| r.status),
            ));
        }
        if !seen.insert(without_fragment(next)) {
            return Some(Fetched::failed(
                LinkStatus::Broken,
                Reason::RedirectLoop,
                loop_error(redirects, next),
                redirects.last().map(|r| r.status),
            ));
        }
        if next.as_str().len() > MAX_URL_BYTES {
            return Some(Fetched::failed(
                LinkStatus::Broken,
                Reason::RedirectUrlTooLong,
                format!("redirect to a URL longer than {MAX_URL_BYTES} bytes"),
                redirects.last().map(|r| r.status),
            ));
        }
        if redirects.len() > self.config.max_redirects {
            return Some(Fetched::failed(
                LinkStatus::Broken,
                Reason::TooManyRedirects,
                format!("more than {} redirects", self.config.max_redirects),
                redirects.last().map(|r| r.status),
            ));
        }
        if let Some(re) = self
            .config
            .exclude
            .iter()
            .find(|re| re.is_match(next.as_str()))
        {
            return Some(Fetched::failed(
                LinkStatus::Excluded,
                Reason::ExcludedPattern,
                format!("redirect to {next}, which matches exclude pattern {re}"),
                None,
            ));
        }
        None
    }

    /// One request, with retries for transient failures.
    async fn request(&self, url: &Url) -> Attempted {
        let key = host_key(url);
        let host = self.hosts.get(&key);
        let mut attempt = 0;
        loop {
            let gate = self.enter(&host, &key).await;
            let sending = tokio::time::timeout(self.config.timeout, self.send(url));
            let res = host::SENDING.scope(Arc::clone(&host), sending).await;
            drop(gate);
            let (status, reason, http_status, error, retry_after) = match res {
                Err(_) => (
                    LinkStatus::Timeout,
                    Reason::Timeout,
                    None,
                    format!(
                        "no complete answer within {} s",
                        self.config.timeout.as_secs_f64()
                    ),
                    None,
                ),
                Ok(Err(e)) => {
                    let c = classify_error(&e);
                    if !c.transient {
                        return Attempted::Failed {
                            status: c.status,
                            reason: c.reason,
                            http_status: None,
                            error: c.message,
                        };
                    }
                    (c.status, c.reason, None, c.message, None)
                }
                Ok(Ok(a)) if is_transient_code(a.code) => (
                    status_for_code(a.code),
                    Reason::for_http_status(a.code).unwrap_or(Reason::HttpOther),
                    Some(a.code),
                    match &a.retry_after_invalid {
                        Some(v) => format!(
                            "HTTP {} (Retry-After {v:?} is neither seconds nor a date; retried with the normal backoff)",
                            a.code
                        ),
                        None => format!("HTTP {}", a.code),
                    },
                    a.retry_after,
                ),
                Ok(Ok(a)) => return Attempted::Answer(a),
            };
            if let Some(ra) = retry_after
                && ra > self.config.max_retry_after
            {
                return Attempted::Failed {
                    status: LinkStatus::Blocked,
                    reason: Reason::RetryAfterTooLong,
                    http_status,
                    error: format!(
                        "{error} with Retry-After {} s, over the {} s cap: not retried",
                        ra.as_secs(),
                        self.config.max_retry_after.as_secs()
                    ),
                };
            }
            // A `Retry-After` holds the whole host, also when this request retries no more:
            // the next request to it waits too (no storm of fresh requests after a 429).
            if let Some(ra) = retry_after {
                self.back_off(&host, &key, ra).await;
            }
            if attempt >= self.config.max_retries {
                let tries = attempt + 1;
                return Attempted::Failed {
                    status,
                    reason,
                    http_status,
                    error: if tries > 1 {
                        format!("{error} (after {tries} attempts)")
                    } else {
                        error
                    },
                };
            }
            if retry_after.is_none() {
                let delay = backoff(self.config.retry_base, attempt, rand::random::<f64>());
                if http_status == Some(429) {
                    // Too many requests: the whole host waits, not only this request.
                    self.back_off(&host, &key, delay).await;
                } else {
                    tokio::time::sleep(delay).await;
                }
            }
            attempt += 1;
        }
    }

    /// Send one GET and read a 2xx body up to the cap, decoded (see [`decode`]).
    async fn send(&self, url: &Url) -> Result<Answer, reqwest::Error> {
        let mut request = self.client.get(url.clone());
        if let Some(cookies) = self.cookies.header_for(url) {
            request = request.header(COOKIE, cookies);
        }
        let resp = request.send().await?;
        self.cookies.keep(resp.headers(), url);
        let code = resp.status().as_u16();
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let location = resp.headers().get(LOCATION).map(location_of);
        let content_type = header(CONTENT_TYPE);
        let encoding = header(CONTENT_ENCODING);
        let retry_after_raw = resp
            .headers()
            .get(RETRY_AFTER)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let retry_after = retry_after_raw
            .as_deref()
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let head = Arc::new(ResponseHead {
            version: resp.version(),
            headers: resp.headers().clone(),
        });
        let mut answer = Answer {
            code,
            head,
            location,
            retry_after,
            retry_after_invalid: retry_after_raw.filter(|_| retry_after.is_none()),
            content_type,
            body: None,
            truncated: false,
            undecodable: None,
        };
        if (200..300).contains(&code) {
            let cap = usize::try_from(self.config.max_body_bytes).unwrap_or(usize::MAX);
            let layers = decode::codings(encoding.as_deref().unwrap_or(""));
            let mut buf = BytesMut::new();
            let mut raw_truncated = false;
            let mut stream = resp.bytes_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                let room = cap - buf.len();
                if chunk.len() > room {
                    buf.extend_from_slice(&chunk[..room]);
                    raw_truncated = true;
                    break;
                }
                buf.extend_from_slice(&chunk);
            }
            match layers.and_then(|l| {
                if l.is_empty() {
                    Ok((None, false))
                } else {
                    decode::decode(&buf, &l, cap).map(|(d, t)| (Some(d), t))
                }
            }) {
                Ok((None, _)) => {
                    answer.body = Some(buf.freeze());
                    answer.truncated = raw_truncated;
                }
                Ok((Some(decoded), truncated)) => {
                    answer.body = Some(Bytes::from(decoded));
                    answer.truncated = truncated || raw_truncated;
                }
                Err(e) => answer.undecodable = Some(e.to_string()),
            }
        }
        Ok(answer)
    }
}

/// A `Location` header as a URL reference: bytes outside printable ASCII (raw UTF-8,
/// Latin-1, spaces, controls) are percent-encoded byte by byte, as browsers do, so that
/// `Url::join` can follow it.
fn location_of(value: &HeaderValue) -> String {
    let mut out = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        if b.is_ascii_graphic() {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The host key of politeness: lower-case host, with the port when it is explicit.
#[must_use]
pub fn host_key(url: &Url) -> String {
    let mut key = String::with_capacity(url.host_str().map_or(0, str::len) + 6);
    push_host_key(&mut key, url);
    key
}

/// `scheme://` and the [`host_key`]: what a host's robots.txt and soft-404 probe are
/// kept by. Built without `format!`: it is taken for every request.
#[must_use]
pub fn origin_key(url: &Url) -> String {
    let scheme = url.scheme();
    let mut key = String::with_capacity(scheme.len() + 3 + url.host_str().map_or(0, str::len) + 6);
    key.push_str(scheme);
    key.push_str("://");
    push_host_key(&mut key, url);
    key
}

fn push_host_key(key: &mut String, url: &Url) {
    let from = key.len();
    key.push_str(url.host_str().unwrap_or_default());
    key[from..].make_ascii_lowercase();
    if let Some(p) = url.port() {
        key.push(':');
        key.push_str(itoa::Buffer::new().format(p));
    }
}

/// `redirect loop: a → b → a`.
fn loop_error(redirects: &[Redirect], back_to: &Url) -> String {
    let chain: Vec<&str> = redirects.iter().map(|r| r.url.as_str()).collect();
    format!("redirect loop: {} → {back_to}", chain.join(" → "))
}

fn robots_url(url: &Url) -> String {
    format!("{}/robots.txt", origin_key(url))
}

/// The URL without its fragment (what is actually requested).
#[must_use]
pub fn without_fragment(url: &Url) -> String {
    url[..url::Position::AfterQuery].to_owned()
}

fn same_page(a: &Url, b: &Url) -> bool {
    a[..url::Position::AfterQuery] == b[..url::Position::AfterQuery]
}

/// The result for a relative link that no base URL resolved (`page.html`, `/about/`):
/// not a web citation, so `excluded` (counted apart by its error text), never `invalid`.
#[must_use]
pub fn relative_without_base() -> LinkResult {
    LinkResult::unsent(
        LinkStatus::Excluded,
        Reason::RelativeWithoutBase,
        "relative URL without a base: not a web citation (give --base-url to check it)",
    )
}

/// Decide whether `raw` can be fetched, before any network access.
pub fn precheck(raw: &str, config: &FetchOptions) -> Result<Url, LinkResult> {
    let raw = raw.trim();
    if raw.len() > MAX_URL_BYTES {
        return Err(LinkResult::unsent(
            LinkStatus::Invalid,
            Reason::UrlTooLong,
            format!("URL longer than {MAX_URL_BYTES} bytes"),
        ));
    }
    let url = match Url::parse(raw) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => return Err(relative_without_base()),
        Err(e) => {
            return Err(LinkResult::unsent(
                LinkStatus::Invalid,
                Reason::InvalidUrl,
                format!("not a valid URL: {e}"),
            ));
        }
    };
    match url.scheme() {
        "http" | "https" => {}
        s @ ("mailto" | "tel" | "javascript" | "data" | "file" | "sms") => {
            return Err(LinkResult::unsent(
                LinkStatus::Excluded,
                Reason::NotAWebLink,
                format!("{s}: link, not a web page"),
            ));
        }
        s => {
            return Err(LinkResult::unsent(
                LinkStatus::Invalid,
                Reason::UnsupportedScheme,
                format!("unsupported scheme {s}:"),
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(LinkResult::unsent(
            LinkStatus::Invalid,
            Reason::NoHost,
            "URL has no host",
        ));
    }
    if let Some(re) = config.exclude.iter().find(|re| re.is_match(raw)) {
        return Err(LinkResult::unsent(
            LinkStatus::Excluded,
            Reason::ExcludedPattern,
            format!("matches exclude pattern {re}"),
        ));
    }
    if !config.allow_private
        && let Err(p) = check_url_host(&url)
    {
        return Err(LinkResult::unsent(
            LinkStatus::Excluded,
            Reason::PrivateAddress,
            p.to_string(),
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn precheck_sorts_out_unfetchable_urls() {
        let cfg = Config::defaults().unwrap().fetch;
        let long = format!("http://example.org/{}", "a".repeat(9000));
        use LinkStatus::{Excluded, Invalid};
        let cases: &[(&str, LinkStatus, Reason, &str)] = &[
            (
                "mailto:a@example.org",
                Excluded,
                Reason::NotAWebLink,
                "mailto",
            ),
            (
                "javascript:void(0)",
                Excluded,
                Reason::NotAWebLink,
                "javascript",
            ),
            ("file:///etc/passwd", Excluded, Reason::NotAWebLink, "file"),
            (
                "ftp://example.org/x",
                Invalid,
                Reason::UnsupportedScheme,
                "scheme",
            ),
            (
                "/t20180327_524178302.shtml",
                Excluded,
                Reason::RelativeWithoutBase,
                "relative URL without a base",
            ),
            (
                "page.html",
                Excluded,
                Reason::RelativeWithoutBase,
                "relative URL without a base",
            ),
            (
                "http://example.org:99999/",
                Invalid,
                Reason::InvalidUrl,
                "port",
            ),
            ("http://[::1/", Invalid, Reason::InvalidUrl, "IPv6"),
            ("http:///", Invalid, Reason::InvalidUrl, "host"),
            (&long, Invalid, Reason::UrlTooLong, "8192"),
            (
                "http://127.0.0.1/admin",
                Excluded,
                Reason::PrivateAddress,
                "loopback",
            ),
            (
                "http://[fd00::1]/",
                Excluded,
                Reason::PrivateAddress,
                "private",
            ),
        ];
        for (url, status, reason, text) in cases {
            let err = precheck(url, &cfg).unwrap_err();
            assert_eq!(err.status, *status, "{url}");
            assert_eq!(err.reason, Some(*reason), "{url}");
            let msg = err.error.unwrap();
            assert!(msg.contains(text), "{url}: {msg}");
        }
        let mut excluding = cfg.clone();
        excluding.exclude = vec![regex::Regex::new("skip").unwrap()];
        let err = precheck("http://example.org/skip", &excluding).unwrap_err();
        assert_eq!(err.reason, Some(Reason::ExcludedPattern));
        for ok in [
            "http://例子.测试/路径",
            "https://[2001:db8::1]:8443/x",
            "http://example.org/a b",
        ] {
            assert!(precheck(ok, &cfg).is_ok(), "{ok}");
        }
        assert_eq!(
            precheck("http://例子.测试/", &cfg).unwrap().host_str(),
            Some("xn--fsqu00a.xn--0zwm56d")
        );
    }

    #[test]
    fn without_fragment_is_the_serialisation_with_the_fragment_unset() {
        for raw in [
            "http://example.org/a?b=1#c",
            "http://example.org/a#",
            "https://user:pw@Example.org:8443/x/../y?q#f#g",
            "http://[::1]:8080/p?x=%20#frag",
            "http://example.org",
            "http://127.0.0.1:34567/n/5",
            "https://例え.jp/パス?クエリ#片",
        ] {
            let u = Url::parse(raw).unwrap();
            let mut unset = u.clone();
            unset.set_fragment(None);
            assert_eq!(without_fragment(&u), unset.to_string(), "{raw}");
            let other = Url::parse(&format!("{}#other", unset)).unwrap();
            assert!(same_page(&u, &other), "{raw}");
        }
        let (a, b) = (
            Url::parse("http://a.example/x?1").unwrap(),
            Url::parse("http://a.example/x?2").unwrap(),
        );
        assert!(!same_page(&a, &b));
    }

    #[test]
    fn host_key_keeps_explicit_ports() {
        let u = Url::parse("http://Example.org:8080/x").unwrap();
        assert_eq!(host_key(&u), "example.org:8080");
        assert_eq!(host_key(&Url::parse("https://a.b/").unwrap()), "a.b");
        for raw in [
            "http://Example.org:8080/x",
            "https://a.b/",
            "https://A.B:443/",
            "http://127.0.0.1:65535/x?y#z",
            "http://[::1]:8080/",
            "http://user:pw@Bücher.example:1/",
        ] {
            let u = Url::parse(raw).unwrap();
            let host = u.host_str().unwrap().to_ascii_lowercase();
            let by_format = match u.port() {
                Some(p) => format!("{host}:{p}"),
                None => host,
            };
            assert_eq!(host_key(&u), by_format, "{raw}");
            assert_eq!(
                origin_key(&u),
                format!("{}://{by_format}", u.scheme()),
                "{raw}"
            );
        }
        assert_eq!(
            robots_url(&Url::parse("http://H.example:81/a").unwrap()),
            "http://h.example:81/robots.txt"
        );
    }
}
