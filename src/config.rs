//! Settings, resolved once: built-in defaults < config file < command-line flags.
//!
//! [`FileConfig`] mirrors `config.toml` (unknown keys are an error, so a typo is not
//! silently ignored); [`Config::resolve`] applies the flags, validates everything and
//! returns an immutable [`Config`] that the rest of the crate reads. The committed
//! `config.toml` holds exactly the defaults below (a test keeps them in step).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use globset::{Glob, GlobMatcher};
use regex::Regex;
use serde::Deserialize;

use crate::model::{LinkStatus, Verdict};
use crate::report::ExtractOptions;
use crate::verify::VerifyOptions;

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
/// Default cap on a report file's size.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
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

fn invalid(key: &str, reason: impl Into<String>) -> ConfigError {
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
    pub exclude: Vec<String>,
    pub hosts: Vec<HostFile>,
    pub resolve: BTreeMap<String, String>,
}

impl Default for FetchFile {
    fn default() -> Self {
        FetchFile {
            timeout: DEFAULT_TIMEOUT_SECS,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            host_concurrency: DEFAULT_HOST_CONCURRENCY,
            host_rate: DEFAULT_HOST_RATE,
            max_retries: DEFAULT_MAX_RETRIES,
            retry_base_ms: DEFAULT_RETRY_BASE_MS,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER_SECS,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            proxy: String::new(),
            allow_private: false,
            respect_robots: false,
            soft404_probe: true,
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
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            base_url: String::new(),
        }
    }
}

/// The whole of `config.toml`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub fetch: FetchFile,
    pub verify: VerifyFile,
    pub report: ReportFile,
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

/// Values given on the command line; `None`/`false` leaves the file's value.
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
    pub allow_private: bool,
    pub respect_robots: bool,
    pub no_progress: bool,
}

/// A per-host override, compiled.
#[derive(Debug, Clone)]
pub struct HostRule {
    pattern: String,
    matcher: GlobMatcher,
    bare: Option<GlobMatcher>,
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

/// Settings of the fetch stage.
#[derive(Debug, Clone)]
pub struct FetchConfig {
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
    pub exclude: Vec<Regex>,
    pub hosts: Vec<HostRule>,
    /// Fixed name → address answers, consulted before DNS (like curl's `--resolve`).
    pub resolve: Vec<(String, IpAddr)>,
}

impl FetchConfig {
    /// Concurrency and rate for `host`: the first matching `[[fetch.hosts]]` rule wins.
    #[must_use]
    pub fn host_limits(&self, host: &str) -> (usize, f64) {
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

/// What makes the exit code 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailOn {
    pub statuses: Vec<LinkStatus>,
    pub verdicts: Vec<Verdict>,
}

impl FailOn {
    /// Parse names of statuses and verdicts.
    pub fn parse(names: &[String]) -> Result<Self, ConfigError> {
        let mut statuses = Vec::new();
        let mut verdicts = Vec::new();
        for name in names {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            if let Some(s) = LinkStatus::parse(name) {
                statuses.push(s);
            } else if let Some(v) = Verdict::parse(name) {
                verdicts.push(v);
            } else {
                return Err(invalid(
                    "fail_on",
                    format!("unknown status or verdict {name:?}"),
                ));
            }
        }
        Ok(FailOn { statuses, verdicts })
    }
}

/// The validated, immutable settings of one run.
#[derive(Debug, Clone)]
pub struct Config {
    pub fetch: FetchConfig,
    pub verify: VerifyOptions,
    pub extract: ExtractOptions,
    pub fail_on: FailOn,
    pub progress: bool,
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
        {
            if let Some(v) = &a.proxy {
                f.proxy.clone_from(v);
            }
            if let Some(v) = a.timeout {
                f.timeout = v;
            }
            if let Some(v) = a.max_concurrency {
                f.max_concurrency = v;
            }
            if let Some(v) = a.host_concurrency {
                f.host_concurrency = v;
            }
            if let Some(v) = a.host_rate {
                f.host_rate = v;
            }
            if let Some(v) = a.max_retries {
                f.max_retries = v;
            }
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
            f.allow_private |= a.allow_private;
            f.respect_robots |= a.respect_robots;
        }
        let progress = !a.no_progress;
        Ok(Config {
            fetch: validate_fetch(f)?,
            verify: validate_verify(&file.verify)?,
            fail_on: FailOn::parse(&report.fail_on)?,
            extract: ExtractOptions {
                max_file_bytes: report.max_file_bytes,
                base_url: validate_base_url(&report.base_url)?,
            },
            progress,
        })
    }
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

fn positive(key: &str, v: f64) -> Result<f64, ConfigError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(invalid(key, format!("must be a positive number, got {v}")))
    }
}

fn at_least_one(key: &str, v: usize) -> Result<usize, ConfigError> {
    if v >= 1 {
        Ok(v)
    } else {
        Err(invalid(key, "must be at least 1"))
    }
}

fn validate_fetch(f: FetchFile) -> Result<FetchConfig, ConfigError> {
    let timeout = positive("timeout", f.timeout)?;
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
            positive("fetch.hosts.rate", r)?;
        }
        if let Some(c) = h.concurrency {
            at_least_one("fetch.hosts.concurrency", c)?;
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
    Ok(FetchConfig {
        timeout: Duration::from_secs_f64(timeout),
        max_concurrency: at_least_one("max_concurrency", f.max_concurrency)?,
        host_concurrency: at_least_one("host_concurrency", f.host_concurrency)?,
        host_rate: positive("host_rate", f.host_rate)?,
        max_retries: f.max_retries,
        retry_base: Duration::from_millis(f.retry_base_ms),
        max_retry_after: Duration::from_secs(f.max_retry_after),
        max_body_bytes: f.max_body_bytes.max(1),
        max_redirects: f.max_redirects,
        user_agent: f.user_agent.replace("{version}", env!("CARGO_PKG_VERSION")),
        proxy,
        allow_private: f.allow_private,
        respect_robots: f.respect_robots,
        soft404_probe: f.soft404_probe,
        exclude,
        hosts,
        resolve,
    })
}

fn validate_verify(v: &VerifyFile) -> Result<VerifyOptions, ConfigError> {
    if v.window_before_days < 0 || v.window_after_days < 0 {
        return Err(invalid("verify.window_*_days", "must not be negative"));
    }
    if !(0.0..=1.0).contains(&v.keyword_threshold) {
        return Err(invalid("verify.keyword_threshold", "must be within 0..1"));
    }
    Ok(VerifyOptions {
        window_before_days: v.window_before_days,
        window_after_days: v.window_after_days,
        keyword_threshold: v.keyword_threshold,
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
    fn unknown_keys_and_bad_values_are_errors() {
        let p = Path::new("x.toml");
        assert!(FileConfig::parse("[fetch]\ntimeuot = 3\n", p).is_err());
        let f = FileConfig::parse("[fetch]\nhost_rate = 0\n", p).unwrap();
        let err = Config::resolve(f, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("host_rate"), "{err}");
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
