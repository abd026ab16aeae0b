//! The settings of the fetch stage, their defaults and their sane ranges.
//!
//! The fetch stage owns them; [`crate::config`] only assembles them from `config.toml`
//! and the flags. Every number has a documented range (README, `config.toml`): a value
//! outside it is a configuration error naming the setting and the range, never a panic
//! or an overflow deep inside the run (`--timeout 1e20`, `--host-rate 1e-300`).

use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::time::Duration;

use globset::GlobMatcher;
use regex::Regex;

/// Default whole-request timeout, seconds.
pub const DEFAULT_TIMEOUT_SECS: f64 = 20.0;
/// Default number of requests in flight over all hosts.
pub const DEFAULT_MAX_CONCURRENCY: usize = 32;
/// Default number of requests in flight to one host.
pub const DEFAULT_HOST_CONCURRENCY: usize = 2;
/// Default requests per second to one host.
pub const DEFAULT_HOST_RATE: f64 = 1.0;
/// Default retries for transient failures.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// Default first backoff before a retry, milliseconds (doubled each time, with jitter).
pub const DEFAULT_RETRY_BASE_MS: u64 = 500;
/// Default longest `Retry-After` honoured, seconds; a longer one ends retries (`blocked`).
pub const DEFAULT_MAX_RETRY_AFTER_SECS: u64 = 60;
/// Default cap on a response body, after decompression.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 5 * 1024 * 1024;
/// Default number of redirects followed.
pub const DEFAULT_MAX_REDIRECTS: usize = 10;
/// Default User-Agent; `{version}` is replaced by the crate version.
pub const DEFAULT_USER_AGENT: &str = "citecheck/{version} (link and citation audit)";

/// `fetch.timeout`, seconds.
pub const TIMEOUT_RANGE: RangeInclusive<f64> = 0.001..=3600.0;
/// `fetch.max_concurrency`.
pub const MAX_CONCURRENCY_RANGE: RangeInclusive<usize> = 1..=4096;
/// `fetch.host_concurrency` (and `[[fetch.hosts]] concurrency`).
pub const HOST_CONCURRENCY_RANGE: RangeInclusive<usize> = 1..=256;
/// `fetch.host_rate` (and `[[fetch.hosts]] rate`), requests per second: one request a
/// day at least, 10,000 a second at most; or [`UNPACED`].
pub const HOST_RATE_RANGE: RangeInclusive<f64> = 0.000_011_6..=10_000.0;
/// `fetch.host_rate = inf` (and `[[fetch.hosts]] rate = inf`, `--host-rate inf`): no
/// time between two requests to a host; only the concurrency limits, `Retry-After` and
/// robots.txt `Crawl-delay` hold. For one's own servers, a mirror, a replayed WARC (what
/// lychee's `--host-request-interval 0ms` does); never the default.
pub const UNPACED: f64 = f64::INFINITY;
/// `fetch.max_retries`.
pub const MAX_RETRIES_RANGE: RangeInclusive<u32> = 0..=20;
/// `fetch.retry_base_ms`.
pub const RETRY_BASE_MS_RANGE: RangeInclusive<u64> = 0..=600_000;
/// `fetch.max_retry_after`, seconds.
pub const MAX_RETRY_AFTER_RANGE: RangeInclusive<u64> = 0..=86_400;
/// `fetch.max_body_bytes`: 1 byte to 1 GiB.
pub const MAX_BODY_BYTES_RANGE: RangeInclusive<u64> = 1..=1 << 30;
/// `fetch.max_redirects`.
pub const MAX_REDIRECTS_RANGE: RangeInclusive<usize> = 0..=100;

/// A per-host override, compiled.
#[derive(Debug, Clone)]
pub struct HostRule {
    pub(crate) pattern: String,
    pub(crate) matcher: GlobMatcher,
    pub(crate) bare: Option<GlobMatcher>,
    pub rate: Option<f64>,
    pub concurrency: Option<usize>,
}

impl HostRule {
    /// Whether the rule applies to `host` (`*.example.org` also matches `example.org`).
    #[must_use]
    pub fn matches(&self, host: &str) -> bool {
        self.matcher.is_match(host) || self.bare.as_ref().is_some_and(|m| m.is_match(host))
    }

    /// The pattern as written.
    #[must_use]
    pub fn pattern(&self) -> &str {
        &self.pattern
    }
}

/// Settings of the fetch stage, validated.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub timeout: Duration,
    pub max_concurrency: usize,
    pub host_concurrency: usize,
    pub host_rate: f64,
    pub max_retries: u32,
    pub retry_base: Duration,
    pub max_retry_after: Duration,
    pub max_body_bytes: u64,
    pub max_redirects: usize,
    pub user_agent: String,
    pub proxy: Option<String>,
    pub allow_private: bool,
    pub respect_robots: bool,
    pub soft404_probe: bool,
    /// Leave names that a proxy carries to the proxy alone (no local look-up, so no
    /// private-address check for them).
    pub proxy_resolves_names: bool,
    pub exclude: Vec<Regex>,
    pub hosts: Vec<HostRule>,
    /// Fixed name → address answers, consulted before DNS (like curl's `--resolve`).
    pub resolve: Vec<(String, IpAddr)>,
    /// Limits set by another stage for exact host keys (`host` or `host:port`), e.g. the
    /// archive endpoints' own politeness limits; they win over `hosts`.
    pub pinned: Vec<PinnedHost>,
}

/// Concurrency and rate for one exact host key, set by a stage (not by a glob rule).
#[derive(Debug, Clone, PartialEq)]
pub struct PinnedHost {
    /// The host key, as [`crate::fetch::host_key`] gives it.
    pub key: String,
    pub concurrency: usize,
    pub rate: f64,
}

impl FetchOptions {
    /// Concurrency and rate for `host`: the first matching `[[fetch.hosts]]` rule wins.
    #[must_use]
    pub fn host_limits(&self, host: &str) -> (usize, f64) {
        if let Some(p) = self.pinned.iter().find(|p| p.key == host) {
            return (p.concurrency, p.rate);
        }
        // Patterns name hosts; a host key may carry a port (`example.org:8080`).
        let name = match host.rsplit_once(':') {
            Some((name, port))
                if !name.ends_with(':') && port.bytes().all(|b| b.is_ascii_digit()) =>
            {
                name
            }
            _ => host,
        };
        let rule = self.hosts.iter().find(|r| r.matches(name));
        (
            rule.and_then(|r| r.concurrency)
                .unwrap_or(self.host_concurrency),
            rule.and_then(|r| r.rate).unwrap_or(self.host_rate),
        )
    }
}
