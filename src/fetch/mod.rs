//! Stage 2: fetch each unique URL once, politely.
//!
//! One [`Fetcher`] holds the HTTP client, the per-host politeness objects
//! ([`host::HostPool`]) and the global concurrency knob. Redirects are followed here, not
//! by the client, so that every hop is recorded, loops are caught, every hop is checked
//! against the private-address guard and every hop is rate-limited on its own host.
//! A failure on one URL is data (a [`LinkResult`]), never an `Err`.

mod classify;
mod guard;
mod host;
mod robots;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use tokio::sync::{OnceCell, Semaphore};
use tokio::time::Instant;
use url::Url;

use crate::config::FetchConfig;
use crate::model::{LinkResult, LinkStatus, Redirect};

use classify::{backoff, classify_error, is_transient_code, parse_retry_after, status_for_code};
use guard::{GuardedResolver, check_url_host};
use host::HostPool;
use robots::Robots;

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
}

impl Fetched {
    fn failed(status: LinkStatus, error: String, http_status: Option<u16>) -> Self {
        Fetched {
            link: LinkResult {
                status,
                http_status,
                final_url: None,
                redirects: Vec::new(),
                error: Some(error),
                elapsed_ms: 0,
            },
            body: None,
            content_type: None,
            truncated: false,
        }
    }
}

/// One answer to one request.
struct Answer {
    code: u16,
    location: Option<String>,
    retry_after: Option<Duration>,
    content_type: Option<String>,
    body: Option<Bytes>,
    truncated: bool,
}

/// The end of the retries for one request.
enum Attempted {
    Answer(Answer),
    Failed {
        status: LinkStatus,
        http_status: Option<u16>,
        error: String,
    },
}

/// The HTTP client with its politeness state, shared by all workers of a run.
pub struct Fetcher {
    client: reqwest::Client,
    hosts: HostPool,
    global: Semaphore,
    config: Arc<FetchConfig>,
    robots: std::sync::Mutex<HashMap<String, Arc<OnceCell<Robots>>>>,
}

impl Fetcher {
    /// Build the client from the fetch settings.
    pub fn new(config: &FetchConfig) -> Result<Self, FetchError> {
        let config = Arc::new(config.clone());
        let proxy_host = config
            .proxy
            .as_deref()
            .and_then(|p| Url::parse(p).ok())
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
        let resolver = GuardedResolver {
            allow_private: config.allow_private,
            overrides: config.resolve.iter().cloned().collect::<HashMap<_, _>>(),
            proxy_host,
        };
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            ACCEPT,
            reqwest::header::HeaderValue::from_static(
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            ),
        );
        let mut builder = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .cookie_store(true)
            .gzip(true)
            .brotli(true)
            .deflate(true)
            .connect_timeout(config.timeout)
            .pool_idle_timeout(Duration::from_secs(10))
            .dns_resolver(Arc::new(resolver));
        if let Some(p) = &config.proxy {
            let proxy = reqwest::Proxy::all(p)
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
            robots: std::sync::Mutex::new(HashMap::new()),
        })
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
    pub async fn fetch_continuing(&self, url: &str, mut redirects: Vec<Redirect>) -> Fetched {
        let mut current = match self.precheck(url) {
            Ok(u) => u,
            Err(link) => {
                return Fetched {
                    link: LinkResult { redirects, ..link },
                    body: None,
                    content_type: None,
                    truncated: false,
                };
            }
        };
        let cited = redirects
            .first()
            .and_then(|r| Url::parse(&r.url).ok())
            .unwrap_or_else(|| current.clone());
        let mut seen: HashSet<String> = redirects.iter().map(|r| r.url.clone()).collect();
        if !seen.insert(without_fragment(&current)) {
            // A page-level redirect (meta refresh, script) back into its own chain.
            let mut looped =
                Fetched::failed(LinkStatus::Broken, loop_error(&redirects, &current), None);
            looped.link.redirects = redirects;
            return looped;
        }
        let started = Instant::now();
        let result = loop {
            if !self.config.allow_private
                && let Err(p) = check_url_host(&current)
            {
                break Fetched::failed(LinkStatus::Excluded, p.to_string(), None);
            }
            if self.config.respect_robots && !self.robots_allow(&current).await {
                break Fetched::failed(
                    LinkStatus::Excluded,
                    format!("disallowed by {}", robots_url(&current)),
                    None,
                );
            }
            let answer = match self.request(&current).await {
                Attempted::Failed {
                    status,
                    http_status,
                    error,
                } => break Fetched::failed(status, error, http_status),
                Attempted::Answer(a) => a,
            };
            let redirect_to = (300..400)
                .contains(&answer.code)
                .then_some(answer.location.as_deref())
                .flatten();
            let Some(location) = redirect_to else {
                let mut status = status_for_code(answer.code);
                if status == LinkStatus::Ok && !same_page(&current, &cited) {
                    status = LinkStatus::Redirected;
                }
                let error = answer.truncated.then(|| {
                    format!(
                        "body larger than {} bytes after decompression; read the first {0}",
                        self.config.max_body_bytes
                    )
                });
                break Fetched {
                    link: LinkResult {
                        status,
                        http_status: Some(answer.code),
                        final_url: Some(current.to_string()),
                        redirects: Vec::new(),
                        error,
                        elapsed_ms: 0,
                    },
                    body: answer.body,
                    content_type: answer.content_type,
                    truncated: answer.truncated,
                };
            };
            redirects.push(Redirect {
                url: current.to_string(),
                status: answer.code,
                kind: "http".to_owned(),
            });
            let next = match current.join(location.trim()) {
                Ok(n) => n,
                Err(e) => {
                    break Fetched::failed(
                        LinkStatus::Broken,
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
        let key = format!("{}://{}", url.scheme(), host_key(url));
        let cell = {
            let mut map = self.robots.lock().expect("robots lock poisoned");
            Arc::clone(map.entry(key).or_default())
        };
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
                format!("redirect to a non-HTTP URL {next}"),
                redirects.last().map(|r| r.status),
            ));
        }
        if !seen.insert(without_fragment(next)) {
            return Some(Fetched::failed(
                LinkStatus::Broken,
                loop_error(redirects, next),
                redirects.last().map(|r| r.status),
            ));
        }
        if redirects.len() > self.config.max_redirects {
            return Some(Fetched::failed(
                LinkStatus::Broken,
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
                format!("redirect to {next}, which matches exclude pattern {re}"),
                None,
            ));
        }
        None
    }

    /// One request, with retries for transient failures.
    async fn request(&self, url: &Url) -> Attempted {
        let host = self.hosts.get(&host_key(url));
        let mut attempt = 0;
        loop {
            let gate = host.enter(&self.global).await;
            let res = tokio::time::timeout(self.config.timeout, self.send(url)).await;
            drop(gate);
            let (status, http_status, error, retry_after) = match res {
                Err(_) => (
                    LinkStatus::Timeout,
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
                            http_status: None,
                            error: c.message,
                        };
                    }
                    (c.status, None, c.message, None)
                }
                Ok(Ok(a)) if is_transient_code(a.code) => (
                    status_for_code(a.code),
                    Some(a.code),
                    format!("HTTP {}", a.code),
                    a.retry_after,
                ),
                Ok(Ok(a)) => return Attempted::Answer(a),
            };
            if let Some(ra) = retry_after
                && ra > self.config.max_retry_after
            {
                return Attempted::Failed {
                    status: LinkStatus::Blocked,
                    http_status,
                    error: format!(
                        "{error} with Retry-After {} s, over the {} s cap: not retried",
                        ra.as_secs(),
                        self.config.max_retry_after.as_secs()
                    ),
                };
            }
            if attempt >= self.config.max_retries {
                let tries = attempt + 1;
                return Attempted::Failed {
                    status,
                    http_status,
                    error: if tries > 1 {
                        format!("{error} (after {tries} attempts)")
                    } else {
                        error
                    },
                };
            }
            match retry_after {
                Some(ra) => host.back_off_until(Instant::now() + ra),
                None => {
                    let delay = backoff(self.config.retry_base, attempt, rand::random::<f64>());
                    tokio::time::sleep(delay).await;
                }
            }
            attempt += 1;
        }
    }

    /// Send one GET and read a 2xx body up to the cap.
    async fn send(&self, url: &Url) -> Result<Answer, reqwest::Error> {
        let resp = self.client.get(url.clone()).send().await?;
        let code = resp.status().as_u16();
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let location = header(LOCATION);
        let content_type = header(CONTENT_TYPE);
        let retry_after = header(RETRY_AFTER)
            .as_deref()
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let mut answer = Answer {
            code,
            location,
            retry_after,
            content_type,
            body: None,
            truncated: false,
        };
        if (200..300).contains(&code) {
            let cap = usize::try_from(self.config.max_body_bytes).unwrap_or(usize::MAX);
            let mut buf = BytesMut::new();
            let mut stream = resp.bytes_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                let room = cap - buf.len();
                if chunk.len() > room {
                    buf.extend_from_slice(&chunk[..room]);
                    answer.truncated = true;
                    break;
                }
                buf.extend_from_slice(&chunk);
            }
            answer.body = Some(buf.freeze());
        }
        Ok(answer)
    }
}

/// The host key of politeness: lower-case host, with the port when it is explicit.
#[must_use]
pub fn host_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    }
}

/// `redirect loop: a → b → a`.
fn loop_error(redirects: &[Redirect], back_to: &Url) -> String {
    let chain: Vec<&str> = redirects.iter().map(|r| r.url.as_str()).collect();
    format!("redirect loop: {} → {back_to}", chain.join(" → "))
}

fn robots_url(url: &Url) -> String {
    format!("{}://{}/robots.txt", url.scheme(), host_key(url))
}

/// The URL without its fragment (what is actually requested).
#[must_use]
pub fn without_fragment(url: &Url) -> String {
    let mut u = url.clone();
    u.set_fragment(None);
    u.to_string()
}

fn same_page(a: &Url, b: &Url) -> bool {
    without_fragment(a) == without_fragment(b)
}

/// The result for a relative link that no base URL resolved (`page.html`, `/about/`):
/// not a web citation, so `excluded` (counted apart by its error text), never `invalid`.
#[must_use]
pub fn relative_without_base() -> LinkResult {
    LinkResult::unsent(
        LinkStatus::Excluded,
        "relative URL without a base: not a web citation (give --base-url to check it)",
    )
}

/// Decide whether `raw` can be fetched, before any network access.
pub fn precheck(raw: &str, config: &FetchConfig) -> Result<Url, LinkResult> {
    let raw = raw.trim();
    if raw.len() > MAX_URL_BYTES {
        return Err(LinkResult::unsent(
            LinkStatus::Invalid,
            format!("URL longer than {MAX_URL_BYTES} bytes"),
        ));
    }
    let url = match Url::parse(raw) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => return Err(relative_without_base()),
        Err(e) => {
            return Err(LinkResult::unsent(
                LinkStatus::Invalid,
                format!("not a valid URL: {e}"),
            ));
        }
    };
    match url.scheme() {
        "http" | "https" => {}
        s @ ("mailto" | "tel" | "javascript" | "data" | "file" | "sms") => {
            return Err(LinkResult::unsent(
                LinkStatus::Excluded,
                format!("{s}: link, not a web page"),
            ));
        }
        s => {
            return Err(LinkResult::unsent(
                LinkStatus::Invalid,
                format!("unsupported scheme {s}:"),
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(LinkResult::unsent(LinkStatus::Invalid, "URL has no host"));
    }
    if let Some(re) = config.exclude.iter().find(|re| re.is_match(raw)) {
        return Err(LinkResult::unsent(
            LinkStatus::Excluded,
            format!("matches exclude pattern {re}"),
        ));
    }
    if !config.allow_private
        && let Err(p) = check_url_host(&url)
    {
        return Err(LinkResult::unsent(LinkStatus::Excluded, p.to_string()));
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
        let cases: &[(&str, LinkStatus, &str)] = &[
            ("mailto:a@example.org", LinkStatus::Excluded, "mailto"),
            ("javascript:void(0)", LinkStatus::Excluded, "javascript"),
            ("file:///etc/passwd", LinkStatus::Excluded, "file"),
            ("ftp://example.org/x", LinkStatus::Invalid, "scheme"),
            (
                "/t20180327_524178302.shtml",
                LinkStatus::Excluded,
                "relative URL without a base",
            ),
            (
                "page.html",
                LinkStatus::Excluded,
                "relative URL without a base",
            ),
            ("http://example.org:99999/", LinkStatus::Invalid, "port"),
            ("http://[::1/", LinkStatus::Invalid, "IPv6"),
            (&long, LinkStatus::Invalid, "8192"),
            ("http://127.0.0.1/admin", LinkStatus::Excluded, "loopback"),
            ("http://[fd00::1]/", LinkStatus::Excluded, "private"),
        ];
        for (url, status, reason) in cases {
            let err = precheck(url, &cfg).unwrap_err();
            assert_eq!(err.status, *status, "{url}");
            let msg = err.error.unwrap();
            assert!(msg.contains(reason), "{url}: {msg}");
        }
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
    fn host_key_keeps_explicit_ports() {
        let u = Url::parse("http://Example.org:8080/x").unwrap();
        assert_eq!(host_key(&u), "example.org:8080");
        assert_eq!(host_key(&Url::parse("https://a.b/").unwrap()), "a.b");
    }
}
