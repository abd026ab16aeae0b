//! The settings of the archive lookup, their defaults and their sane ranges.
//!
//! The archive stage owns them; [`crate::config`] only assembles them from `config.toml`
//! (`[archive]`, `[[archive.endpoints]]`) and the flags (`--no-archive`,
//! `--archive-endpoint`).

use std::ops::RangeInclusive;

use url::Url;

use crate::fetch::host_key;
use crate::fetch::options::PinnedHost;

/// The default endpoint: the Wayback Machine's CDX API and raw captures.
pub const DEFAULT_ENDPOINT: &str = "https://web.archive.org";
/// Default cap on index look-ups (CDX queries, TimeMaps) per run.
pub const DEFAULT_MAX_LOOKUPS: usize = 500;
/// Default requests per second to an archive host: one every 2 s, 30 a minute, half
/// of the Wayback CDX API's ~60 a minute (an address that keeps going after 429s is
/// firewalled there for an hour).
pub const DEFAULT_RATE: f64 = 0.5;
/// Default requests in flight to an archive host.
pub const DEFAULT_CONCURRENCY: usize = 1;
/// Captures fetched and verified per citation and endpoint, at most.
pub const MAX_CAPTURES_TRIED: usize = 4;

/// `archive.max_lookups`.
pub const MAX_LOOKUPS_RANGE: RangeInclusive<usize> = 0..=1_000_000;
/// `archive.rate`, requests per second (the fetch stage's range).
pub const RATE_RANGE: RangeInclusive<f64> = crate::fetch::options::HOST_RATE_RANGE;
/// `archive.concurrency`.
pub const CONCURRENCY_RANGE: RangeInclusive<usize> = 1..=16;

/// The protocol an endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    /// The Wayback CDX server API (`/cdx/search/cdx`) and raw captures
    /// (`/web/<timestamp>id_/<url>`) on the same host.
    Cdx,
    /// A Memento (RFC 7089) TimeMap in link format: `<url>/timemap/link/<url-r>`, or the
    /// `url` as a template with `{url}` where the cited URL goes.
    Memento,
}

impl EndpointKind {
    /// The config name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointKind::Cdx => "cdx",
            EndpointKind::Memento => "memento",
        }
    }

    /// Parse a config name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cdx" => Some(EndpointKind::Cdx),
            "memento" => Some(EndpointKind::Memento),
            _ => None,
        }
    }
}

/// One archive to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub kind: EndpointKind,
    /// The base URL (no trailing slash), or for `memento` a template holding `{url}`.
    pub url: String,
}

impl Endpoint {
    /// Check and normalise a configured endpoint; the error says what is wrong.
    pub fn new(kind: EndpointKind, url: &str) -> Result<Self, String> {
        let url = url.trim().trim_end_matches('/').to_owned();
        let parsed = Url::parse(&url.replace("{url}", "")).map_err(|e| format!("{url:?}: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || !parsed.has_host() {
            return Err(format!("{url:?}: must be an http:// or https:// URL"));
        }
        if kind == EndpointKind::Cdx && url.contains("{url}") {
            return Err(format!(
                "{url:?}: a cdx endpoint is a base URL, without {{url}}"
            ));
        }
        Ok(Endpoint { kind, url })
    }

    /// The politeness key of the endpoint's host.
    #[must_use]
    pub fn host_key(&self) -> String {
        Url::parse(&self.url.replace("{url}", ""))
            .map(|u| host_key(&u))
            .unwrap_or_default()
    }
}

/// Settings of the archive stage, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveOptions {
    /// Look up dead and drifted citations at all (`--no-archive` turns it off).
    pub enabled: bool,
    /// Asked in order, until one gives a capture that supports the claim.
    pub endpoints: Vec<Endpoint>,
    /// Index look-ups per run, at most.
    pub max_lookups: usize,
    /// Requests per second to each archive host.
    pub rate: f64,
    /// Requests in flight to each archive host.
    pub concurrency: usize,
}

impl Default for ArchiveOptions {
    fn default() -> Self {
        ArchiveOptions {
            enabled: true,
            endpoints: vec![Endpoint {
                kind: EndpointKind::Cdx,
                url: DEFAULT_ENDPOINT.to_owned(),
            }],
            max_lookups: DEFAULT_MAX_LOOKUPS,
            rate: DEFAULT_RATE,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

impl ArchiveOptions {
    /// The archive hosts' own limits, for the fetch stage's host pool (they win over
    /// `[[fetch.hosts]]` and the global host rate: an archive is not a cited site).
    #[must_use]
    pub fn pinned_hosts(&self) -> Vec<PinnedHost> {
        if !self.enabled {
            return Vec::new();
        }
        let mut keys: Vec<String> = self.endpoints.iter().map(Endpoint::host_key).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .map(|key| PinnedHost {
                key,
                concurrency: self.concurrency,
                rate: self.rate,
            })
            .collect()
    }
}
