//! Settings, resolved once: built-in defaults < config file < command-line flags.
//!
//! [`FileConfig`] mirrors `config.toml` (unknown keys are an error, so a typo is not
//! silently ignored); [`Config::resolve`] applies the flags, validates everything and
//! returns an immutable [`Config`] that the rest of the crate reads. The committed
//! `config.toml` holds exactly the defaults below (a test keeps them in step).

use std::collections::BTreeMap;
use std::fmt::Display;
use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use globset::Glob;
use regex::Regex;
use serde::Deserialize;

use crate::archive::options::{self as archive, ArchiveOptions, Endpoint, EndpointKind};
use crate::fetch::options::{self as fetch, FetchOptions, HostRule};
use chrono::{DateTime, Utc};

use crate::model::{Change, LinkStatus, Verdict};
use crate::report::{self, ExtractOptions};
use crate::store::{self, DeadRule, memory::HistoryOptions};
use crate::verify::{self, VerifyOptions};

/// Statuses that fail a run by default.
pub const DEFAULT_FAIL_ON: [&str; 4] = ["broken", "unreachable", "timeout", "invalid"];

/// A configuration problem; the run cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config file {path}")]
    Parse {
        path: PathBuf,
        #[source]
        source: Box<toml::de::Error>,
    },
    #[error("invalid setting {key}: {reason}")]
    Invalid { key: String, reason: String },
}

pub(crate) fn invalid(key: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        reason: reason.into(),
    }
}

/// `[fetch]` in `config.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FetchFile {
    pub timeout: f64,
    pub max_concurrency: usize,
    pub host_concurrency: usize,
    pub host_rate: f64,
    pub max_retries: u32,
    pub retry_base_ms: u64,
    pub max_retry_after: u64,
    pub max_body_bytes: u64,
    pub max_redirects: usize,
    pub user_agent: String,
    pub proxy: String,
    pub allow_private: bool,
    pub respect_robots: bool,
    pub soft404_probe: bool,
    pub proxy_resolves_names: bool,
    pub exclude: Vec<String>,
    pub hosts: Vec<HostFile>,
    pub resolve: BTreeMap<String, String>,
}

impl Default for FetchFile {
    fn default() -> Self {
        FetchFile {
            timeout: fetch::DEFAULT_TIMEOUT_SECS,
            max_concurrency: fetch::DEFAULT_MAX_CONCURRENCY,
            host_concurrency: fetch::DEFAULT_HOST_CONCURRENCY,
            host_rate: fetch::DEFAULT_HOST_RATE,
            max_retries: fetch::DEFAULT_MAX_RETRIES,
            retry_base_ms: fetch::DEFAULT_RETRY_BASE_MS,
            max_retry_after: fetch::DEFAULT_MAX_RETRY_AFTER_SECS,
            max_body_bytes: fetch::DEFAULT_MAX_BODY_BYTES,
            max_redirects: fetch::DEFAULT_MAX_REDIRECTS,
            user_agent: fetch::DEFAULT_USER_AGENT.to_owned(),
            proxy: String::new(),
            allow_private: false,
            respect_robots: false,
            soft404_probe: true,
            proxy_resolves_names: false,
            exclude: Vec::new(),
            hosts: Vec::new(),
            resolve: BTreeMap::new(),
        }
    }
}

/// One `[[fetch.hosts]]` override.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostFile {
    /// Glob on the host name, e.g. `*.gov.cn` (also matches `gov.cn`).
    pub pattern: String,
    pub rate: Option<f64>,
    pub concurrency: Option<usize>,
}

/// `[verify]` in `config.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VerifyFile {
    pub window_before_days: i64,
    pub window_after_days: i64,
    pub keyword_threshold: f64,
}

impl Default for VerifyFile {
    fn default() -> Self {
        let d = VerifyOptions::default();
        VerifyFile {
            window_before_days: d.window_before_days,
            window_after_days: d.window_after_days,
            keyword_threshold: d.keyword_threshold,
        }
    }
}

/// `[report]` in `config.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportFile {
    pub fail_on: Vec<String>,
    pub max_file_bytes: u64,
    /// Absolute http(s) URL relative links in reports are resolved against (`""`: none).
    pub base_url: String,
}

impl Default for ReportFile {
    fn default() -> Self {
        ReportFile {
            fail_on: DEFAULT_FAIL_ON.iter().map(|s| (*s).to_owned()).collect(),
            max_file_bytes: report::DEFAULT_MAX_FILE_BYTES,
            base_url: String::new(),
        }
    }
}

/// `[store]` in `config.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreFile {
    /// `sqlite://PATH` or `postgres://…`; `""`: no store.
    pub url: String,
    /// Reuse results younger than this (`30m`, `12h`, `7d`); `""`: never.
    pub max_age: String,
}

impl Default for StoreFile {
    fn default() -> Self {
        StoreFile {
            url: store::DEFAULT_STORE_URL.to_owned(),
            max_age: String::new(),
        }
    }
}

/// `[history]` in `config.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HistoryFile {
    pub dead_after_failures: u32,
    pub dead_after_days: u32,
}

impl Default for HistoryFile {
    fn default() -> Self {
        HistoryFile {
            dead_after_failures: store::DEFAULT_DEAD_AFTER_FAILURES,
            dead_after_days: store::DEFAULT_DEAD_AFTER_DAYS,
        }
    }
}

/// `[archive]` in `config.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArchiveFile {
    pub enabled: bool,
    pub max_lookups: usize,
    pub rate: f64,
    pub concurrency: usize,
    pub endpoints: Vec<EndpointFile>,
}

impl Default for ArchiveFile {
    fn default() -> Self {
        let d = ArchiveOptions::default();
        ArchiveFile {
            enabled: d.enabled,
            max_lookups: d.max_lookups,
            rate: d.rate,
            concurrency: d.concurrency,
            endpoints: d
                .endpoints
                .iter()
                .map(|e| EndpointFile {
                    kind: e.kind.as_str().to_owned(),
                    url: e.url.clone(),
                })
                .collect(),
        }
    }
}

/// One `[[archive.endpoints]]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointFile {
    /// `cdx` or `memento`.
    pub kind: String,
    pub url: String,
}

/// The whole of `config.toml`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub fetch: FetchFile,
    pub verify: VerifyFile,
    pub report: ReportFile,
    pub store: StoreFile,
    pub history: HistoryFile,
    pub archive: ArchiveFile,
    pub distributed: crate::distributed::DistributedFile,
}

impl FileConfig {
    /// Parse TOML text; `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            source: Box::new(e),
        })
    }

    /// Read the file given by `--config`, or `./config.toml` if present, else defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        let path = match explicit {
            Some(p) => p.to_owned(),
            None => {
                let p = PathBuf::from("config.toml");
                if !p.is_file() {
                    return Ok(FileConfig::default());
                }
                p
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        Self::parse(&text, &path)
    }
}

/// Values given on the command line; `None` leaves the file's value.
///
/// Booleans are tri-state so that a flag can turn a file's `true` off
/// (`--no-allow-private`) as well as on.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub proxy: Option<String>,
    pub timeout: Option<f64>,
    pub max_concurrency: Option<usize>,
    pub host_concurrency: Option<usize>,
    pub host_rate: Option<f64>,
    pub max_retries: Option<u32>,
    pub user_agent: Option<String>,
    pub fail_on: Option<Vec<String>>,
    pub base_url: Option<String>,
    pub exclude: Vec<String>,
    pub allow_private: Option<bool>,
    pub respect_robots: Option<bool>,
    pub progress: Option<bool>,
    /// `--store URL`.
    pub store: Option<String>,
    /// `--no-store`.
    pub no_store: bool,
    /// `--max-age DURATION`.
    pub max_age: Option<String>,
    /// `--now RFC3339`.
    pub now: Option<DateTime<Utc>>,
    /// `--no-archive`.
    pub no_archive: bool,
    /// `--archive-endpoint [KIND=]URL` (repeatable): replaces `[[archive.endpoints]]`.
    pub archive_endpoints: Vec<String>,
    /// `--save-evidence DIR`.
    pub save_evidence: Option<PathBuf>,
    /// `--lease-timeout DURATION` (distributed runs).
    pub lease_timeout: Option<String>,
    /// `--max-attempts N` (distributed runs).
    pub max_attempts: Option<u32>,
    /// `--items-in-flight N` (distributed workers).
    pub items_in_flight: Option<usize>,
}

/// The history store settings of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreOptions {
    /// Where the store is; `None`: no store (`--no-store`, or `store.url = ""`).
    pub url: Option<String>,
    pub history: HistoryOptions,
}

/// What makes the exit code 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailOn {
    pub statuses: Vec<LinkStatus>,
    pub verdicts: Vec<Verdict>,
    /// Changes since the last run (`new_failure`, …; needs the history store).
    pub changes: Vec<Change>,
    /// Links confirmed dead after repeated failures (needs the history store).
    pub confirmed_dead: bool,
}

impl FailOn {
    /// Parse names of statuses and verdicts.
    pub fn parse(names: &[String]) -> Result<Self, ConfigError> {
        let mut statuses = Vec::new();
        let mut verdicts = Vec::new();
        let mut changes = Vec::new();
        let mut confirmed_dead = false;
        for name in names {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            if let Some(s) = LinkStatus::parse(name) {
                statuses.push(s);
            } else if let Some(v) = Verdict::parse(name) {
                verdicts.push(v);
            } else if let Some(c) = Change::ALL.into_iter().find(|c| c.as_str() == name) {
                changes.push(c);
            } else if name == "confirmed_dead" {
                confirmed_dead = true;
            } else {
                return Err(invalid(
                    "fail_on",
                    format!("unknown status, verdict or change {name:?}"),
                ));
            }
        }
        Ok(FailOn {
            statuses,
            verdicts,
            changes,
            confirmed_dead,
        })
    }
}

/// The validated, immutable settings of one run.
#[derive(Debug, Clone)]
pub struct Config {
    pub fetch: FetchOptions,
    pub verify: VerifyOptions,
    pub extract: ExtractOptions,
    pub fail_on: FailOn,
    pub progress: bool,
    pub store: StoreOptions,
    pub archive: ArchiveOptions,
    /// Keep every page verified as WARC records in this directory (`--save-evidence`).
    pub evidence_dir: Option<PathBuf>,
    /// `[distributed]`: the work queue of runs over several machines.
    pub distributed: crate::distributed::DistributedOptions,
}

impl Config {
    /// Built-in defaults, without any file or flag.
    pub fn defaults() -> Result<Self, ConfigError> {
        Self::resolve(FileConfig::default(), &Overrides::default())
    }

    /// Apply the command-line overrides over `file` and validate.
    pub fn resolve(file: FileConfig, a: &Overrides) -> Result<Self, ConfigError> {
        let mut f = file.fetch;
        let mut report = file.report;
        if let Some(v) = &a.proxy {
            f.proxy.clone_from(v);
        }
        set(&mut f.timeout, a.timeout);
        set(&mut f.max_concurrency, a.max_concurrency);
        set(&mut f.host_concurrency, a.host_concurrency);
        set(&mut f.host_rate, a.host_rate);
        set(&mut f.max_retries, a.max_retries);
        if let Some(v) = &a.user_agent {
            f.user_agent.clone_from(v);
        }
        if let Some(v) = &a.fail_on {
            report.fail_on.clone_from(v);
        }
        if let Some(v) = &a.base_url {
            report.base_url.clone_from(v);
        }
        f.exclude.extend(a.exclude.iter().cloned());
        set(&mut f.allow_private, a.allow_private);
        set(&mut f.respect_robots, a.respect_robots);
        let archive = validate_archive(file.archive, a)?;
        let mut fetch = validate_fetch(f)?;
        fetch.pinned = archive.pinned_hosts();
        Ok(Config {
            archive,
            evidence_dir: a.save_evidence.clone(),
            fetch,
            verify: validate_verify(&file.verify)?,
            fail_on: FailOn::parse(&report.fail_on)?,
            extract: ExtractOptions {
                max_file_bytes: within(
                    "report.max_file_bytes",
                    report.max_file_bytes,
                    &report::MAX_FILE_BYTES_RANGE,
                )?,
                base_url: validate_base_url(&report.base_url)?,
            },
            progress: a.progress.unwrap_or(true),
            store: validate_store(&file.store, &file.history, a)?,
            distributed: file.distributed.validate(a)?,
        })
    }
}

/// `[store]` and `[history]` with `--store`, `--no-store`, `--max-age`, `--now`.
fn validate_store(
    file: &StoreFile,
    history: &HistoryFile,
    a: &Overrides,
) -> Result<StoreOptions, ConfigError> {
    let url = a.store.clone().unwrap_or_else(|| file.url.clone());
    // `""` or `none` (in the file, `--store` or CITECHECK_STORE) means no store.
    let url = url.trim();
    let url = (!a.no_store && !url.is_empty() && url != "none").then(|| url.to_owned());
    let max_age = match a.max_age.as_deref().unwrap_or(&file.max_age).trim() {
        "" | "off" | "0" => None,
        text => Some(store::duration::parse(text).map_err(|e| invalid("store.max_age", e))?),
    };
    Ok(StoreOptions {
        url,
        history: HistoryOptions {
            dead: DeadRule {
                failures: within(
                    "history.dead_after_failures",
                    history.dead_after_failures,
                    &store::DEAD_AFTER_FAILURES_RANGE,
                )?,
                days: within(
                    "history.dead_after_days",
                    history.dead_after_days,
                    &store::DEAD_AFTER_DAYS_RANGE,
                )?,
            },
            max_age,
            now: a.now,
        },
    })
}

/// `report.base_url`: empty for none, else an absolute `http:`/`https:` URL.
fn validate_base_url(v: &str) -> Result<Option<url::Url>, ConfigError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    match url::Url::parse(v) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(Some(u)),
        Ok(_) => Err(invalid(
            "report.base_url",
            format!("{v:?}: must be an http:// or https:// URL"),
        )),
        Err(e) => Err(invalid("report.base_url", format!("{v:?}: {e}"))),
    }
}

fn set<T: Copy>(slot: &mut T, flag: Option<T>) {
    if let Some(v) = flag {
        *slot = v;
    }
}

/// `v` if it lies in `range`, else an error naming the setting and the range (a NaN is
/// in no range).
fn within<T: PartialOrd + Display>(
    key: &str,
    v: T,
    range: &RangeInclusive<T>,
) -> Result<T, ConfigError> {
    if range.contains(&v) {
        Ok(v)
    } else {
        Err(invalid(
            key,
            format!(
                "{v} is out of range: must be from {} to {}",
                range.start(),
                range.end()
            ),
        ))
    }
}

/// A host rate: within [`fetch::HOST_RATE_RANGE`], or `inf` ([`fetch::UNPACED`]).
fn host_rate(key: &str, v: f64) -> Result<f64, ConfigError> {
    if v == fetch::UNPACED {
        return Ok(v);
    }
    within(key, v, &fetch::HOST_RATE_RANGE).map_err(|_| {
        invalid(
            key,
            format!(
                "{v} is out of range: must be from {} to {}, or inf (no pacing)",
                fetch::HOST_RATE_RANGE.start(),
                fetch::HOST_RATE_RANGE.end()
            ),
        )
    })
}

fn validate_fetch(f: FetchFile) -> Result<FetchOptions, ConfigError> {
    let timeout = within("fetch.timeout", f.timeout, &fetch::TIMEOUT_RANGE)?;
    let proxy = match f.proxy.trim() {
        "" => None,
        p => {
            let u = url::Url::parse(p).map_err(|e| invalid("proxy", format!("{p:?}: {e}")))?;
            if !matches!(u.scheme(), "http" | "https" | "socks5" | "socks5h") {
                return Err(invalid(
                    "proxy",
                    format!("{p:?}: scheme must be http, https, socks5 or socks5h"),
                ));
            }
            Some(p.to_owned())
        }
    };
    let exclude = f
        .exclude
        .iter()
        .map(|re| Regex::new(re).map_err(|e| invalid("exclude", format!("{re:?}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let mut hosts = Vec::new();
    for h in &f.hosts {
        let glob = |p: &str| {
            Glob::new(&p.to_ascii_lowercase())
                .map(|g| g.compile_matcher())
                .map_err(|e| invalid("fetch.hosts.pattern", format!("{p:?}: {e}")))
        };
        let bare = match h.pattern.strip_prefix("*.") {
            Some(rest) => Some(glob(rest)?),
            None => None,
        };
        if let Some(r) = h.rate {
            host_rate("fetch.hosts.rate", r)?;
        }
        if let Some(c) = h.concurrency {
            within("fetch.hosts.concurrency", c, &fetch::HOST_CONCURRENCY_RANGE)?;
        }
        hosts.push(HostRule {
            pattern: h.pattern.clone(),
            matcher: glob(&h.pattern)?,
            bare,
            rate: h.rate,
            concurrency: h.concurrency,
        });
    }
    let resolve = f
        .resolve
        .iter()
        .map(|(host, addr)| {
            addr.parse::<IpAddr>()
                .map(|ip| (host.to_ascii_lowercase(), ip))
                .map_err(|e| invalid("fetch.resolve", format!("{host} = {addr:?}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(FetchOptions {
        timeout: Duration::from_secs_f64(timeout),
        max_concurrency: within(
            "fetch.max_concurrency",
            f.max_concurrency,
            &fetch::MAX_CONCURRENCY_RANGE,
        )?,
        host_concurrency: within(
            "fetch.host_concurrency",
            f.host_concurrency,
            &fetch::HOST_CONCURRENCY_RANGE,
        )?,
        host_rate: host_rate("fetch.host_rate", f.host_rate)?,
        max_retries: within(
            "fetch.max_retries",
            f.max_retries,
            &fetch::MAX_RETRIES_RANGE,
        )?,
        retry_base: Duration::from_millis(within(
            "fetch.retry_base_ms",
            f.retry_base_ms,
            &fetch::RETRY_BASE_MS_RANGE,
        )?),
        max_retry_after: Duration::from_secs(within(
            "fetch.max_retry_after",
            f.max_retry_after,
            &fetch::MAX_RETRY_AFTER_RANGE,
        )?),
        max_body_bytes: within(
            "fetch.max_body_bytes",
            f.max_body_bytes,
            &fetch::MAX_BODY_BYTES_RANGE,
        )?,
        max_redirects: within(
            "fetch.max_redirects",
            f.max_redirects,
            &fetch::MAX_REDIRECTS_RANGE,
        )?,
        user_agent: f.user_agent.replace("{version}", env!("CARGO_PKG_VERSION")),
        proxy,
        allow_private: f.allow_private,
        respect_robots: f.respect_robots,
        soft404_probe: f.soft404_probe,
        proxy_resolves_names: f.proxy_resolves_names,
        exclude,
        hosts,
        resolve,
        pinned: Vec::new(),
    })
}

fn validate_archive(f: ArchiveFile, a: &Overrides) -> Result<ArchiveOptions, ConfigError> {
    let mut endpoints = Vec::new();
    for e in &f.endpoints {
        let kind = EndpointKind::parse(&e.kind).ok_or_else(|| {
            invalid(
                "archive.endpoints.kind",
                format!("{:?}: must be \"cdx\" or \"memento\"", e.kind),
            )
        })?;
        endpoints
            .push(Endpoint::new(kind, &e.url).map_err(|r| invalid("archive.endpoints.url", r))?);
    }
    if !a.archive_endpoints.is_empty() {
        endpoints.clear();
        for v in &a.archive_endpoints {
            let (kind, url) = match v.split_once('=') {
                Some((k, u)) if EndpointKind::parse(k).is_some() => {
                    (EndpointKind::parse(k).expect("just checked"), u)
                }
                _ => (EndpointKind::Cdx, v.as_str()),
            };
            endpoints.push(Endpoint::new(kind, url).map_err(|r| invalid("--archive-endpoint", r))?);
        }
    }
    Ok(ArchiveOptions {
        enabled: f.enabled && !a.no_archive,
        endpoints,
        max_lookups: within(
            "archive.max_lookups",
            f.max_lookups,
            &archive::MAX_LOOKUPS_RANGE,
        )?,
        rate: within("archive.rate", f.rate, &archive::RATE_RANGE)?,
        concurrency: within(
            "archive.concurrency",
            f.concurrency,
            &archive::CONCURRENCY_RANGE,
        )?,
    })
}

fn validate_verify(v: &VerifyFile) -> Result<VerifyOptions, ConfigError> {
    Ok(VerifyOptions {
        window_before_days: within(
            "verify.window_before_days",
            v.window_before_days,
            &verify::WINDOW_DAYS_RANGE,
        )?,
        window_after_days: within(
            "verify.window_after_days",
            v.window_after_days,
            &verify::WINDOW_DAYS_RANGE,
        )?,
        keyword_threshold: within(
            "verify.keyword_threshold",
            v.keyword_threshold,
            &verify::KEYWORD_THRESHOLD_RANGE,
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_config_toml_holds_exactly_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed = FileConfig::parse(&text, &path).unwrap();
        assert_eq!(parsed, FileConfig::default());
    }

    #[test]
    fn an_infinite_host_rate_lifts_the_pacing_and_nothing_else_beyond_the_range() {
        let p = Path::new("x.toml");
        let resolve = |text: &str| {
            Config::resolve(FileConfig::parse(text, p).unwrap(), &Overrides::default())
        };
        let c = resolve(
            "[fetch]\nhost_rate = inf\n\n[[fetch.hosts]]\npattern = \"a.example\"\nrate = inf\n\n\
             [[fetch.hosts]]\npattern = \"b.example\"\nrate = 2.0\n",
        )
        .unwrap();
        assert_eq!(c.fetch.host_limits("a.example").1, f64::INFINITY);
        assert_eq!(c.fetch.host_limits("b.example").1, 2.0);
        assert_eq!(c.fetch.host_limits("c.example").1, f64::INFINITY);
        for text in [
            "[fetch]\nhost_rate = 20000\n",
            "[fetch]\nhost_rate = -inf\n",
            "[[fetch.hosts]]\npattern = \"*\"\nrate = 1e300\n",
        ] {
            let err = resolve(text).unwrap_err().to_string();
            assert!(
                err.contains("rate") && err.contains("or inf"),
                "{text}: {err}"
            );
        }
        // The archive's rate stays bounded: its hosts are never one's own.
        let err = resolve("[archive]\nrate = inf\n").unwrap_err().to_string();
        assert!(err.contains("archive.rate"), "{err}");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let p = Path::new("x.toml");
        assert!(FileConfig::parse("[fetch]\ntimeuot = 3\n", p).is_err());
        let f = FileConfig::parse("[fetch]\nhost_rate = 0\n", p).unwrap();
        let err = Config::resolve(f, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("host_rate"), "{err}");
        for (text, key) in [
            ("[fetch]\ntimeout = 1e20\n", "fetch.timeout"),
            ("[fetch]\nhost_rate = 1e-300\n", "fetch.host_rate"),
            ("[fetch]\nhost_rate = nan\n", "fetch.host_rate"),
            (
                "[fetch]\nmax_concurrency = 9223372036854775807\n",
                "fetch.max_concurrency",
            ),
            (
                "[fetch]\nhost_concurrency = 100000\n",
                "fetch.host_concurrency",
            ),
            ("[fetch]\nmax_body_bytes = 0\n", "fetch.max_body_bytes"),
            (
                "[[fetch.hosts]]\npattern = \"*\"\nrate = 1e-300\n",
                "fetch.hosts.rate",
            ),
            (
                "[[fetch.hosts]]\npattern = \"*\"\nconcurrency = 100000\n",
                "fetch.hosts.concurrency",
            ),
            (
                "[verify]\nwindow_after_days = -1\n",
                "verify.window_after_days",
            ),
            ("[report]\nmax_file_bytes = 0\n", "report.max_file_bytes"),
        ] {
            let f = FileConfig::parse(text, p).unwrap();
            let err = Config::resolve(f, &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains(key) && err.contains("range"), "{text}: {err}");
        }
        // A flag turns a file's `true` off.
        let f = FileConfig::parse("[fetch]\nallow_private = true\n", p).unwrap();
        let off = Overrides {
            allow_private: Some(false),
            ..Overrides::default()
        };
        assert!(!Config::resolve(f, &off).unwrap().fetch.allow_private);
        let f = FileConfig::parse("[report]\nfail_on = [\"brokn\"]\n", p).unwrap();
        assert!(Config::resolve(f, &Overrides::default()).is_err());
        let f = FileConfig::parse("[fetch]\nexclude = [\"(\"]\n", p).unwrap();
        assert!(Config::resolve(f, &Overrides::default()).is_err());
        for bad in ["docs/", "ftp://example.org/", "https://"] {
            let f = FileConfig::parse(&format!("[report]\nbase_url = {bad:?}\n"), p).unwrap();
            let err = Config::resolve(f, &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains("report.base_url"), "{bad}: {err}");
        }
    }

    #[test]
    fn base_url_from_the_file_or_the_flag() {
        let p = Path::new("x.toml");
        let f = FileConfig::parse("[report]\nbase_url = \"https://a.example/d/\"\n", p).unwrap();
        let c = Config::resolve(f.clone(), &Overrides::default()).unwrap();
        assert_eq!(
            c.extract.base_url.map(|u| u.to_string()).as_deref(),
            Some("https://a.example/d/")
        );
        let flag = Overrides {
            base_url: Some("http://b.example/".into()),
            ..Overrides::default()
        };
        let c = Config::resolve(f, &flag).unwrap();
        assert_eq!(
            c.extract.base_url.map(|u| u.to_string()).as_deref(),
            Some("http://b.example/")
        );
        assert_eq!(Config::defaults().unwrap().extract.base_url, None);
    }

    #[test]
    fn host_rules_first_match_wins_and_star_dot_matches_bare_domain() {
        let text = "[[fetch.hosts]]\npattern = \"*.gov.cn\"\nrate = 0.5\n\
                    [[fetch.hosts]]\npattern = \"*\"\nconcurrency = 4\n";
        let f = FileConfig::parse(text, Path::new("x")).unwrap();
        let c = Config::resolve(f, &Overrides::default()).unwrap();
        assert_eq!(c.fetch.host_limits("www.gov.cn"), (2, 0.5));
        assert_eq!(c.fetch.host_limits("gov.cn"), (2, 0.5));
        assert_eq!(c.fetch.host_limits("example.org"), (4, 1.0));
        assert_eq!(c.fetch.host_limits("www.gov.cn:8080"), (2, 0.5));
        assert_eq!(c.fetch.host_limits("[::1]:8080"), (4, 1.0));
    }

    #[test]
    fn fail_on_takes_statuses_and_verdicts() {
        let f = FailOn::parse(&["broken".into(), "unsupported".into(), "soft_404".into()]).unwrap();
        assert_eq!(f.statuses, vec![LinkStatus::Broken, LinkStatus::Soft404]);
        assert_eq!(f.verdicts, vec![Verdict::Unsupported]);
    }
}
