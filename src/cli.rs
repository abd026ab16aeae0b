//! Command-line arguments as typed, before any validation or I/O.
//!
//! Only this module and [`crate::config`] know about clap. Every flag is optional here so
//! that `config.toml` can supply the value; [`crate::config::Config::resolve`] applies
//! the precedence flag > config file > built-in default.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Audit the sources a report cites: is every link alive, and does each page still say
/// what the report claims?
#[derive(Debug, Parser)]
#[command(name = "citecheck", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process; boxing buys nothing
pub enum Command {
    /// Extract every citation, fetch each URL once and verify it against its claims.
    Check(Box<CheckArgs>),
    /// List the citations and their claims without any network access.
    Extract(ExtractArgs),
    /// Show what citecheck reads from one page: charset, title, date, main text, soft-404 signals.
    Inspect(InspectArgs),
    /// The runs recorded in the history store, newest first.
    Runs(RunsArgs),
    /// One URL's timeline in the history store: every check, its status and verdict.
    History(HistoryArgs),
    /// What changed between two recorded runs (default: the last two).
    Diff(DiffArgs),
    /// Drop old runs from the history store, keeping the last check of every URL.
    Prune(PruneArgs),
    /// Work on the items of distributed runs in a shared PostgreSQL store.
    Worker(WorkerArgs),
    /// Render the report of a distributed run from the store (partial runs marked so).
    Report(ReportArgs),
}

/// Output format of the history commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreFormat {
    /// One JSON document.
    Json,
    /// A readable summary.
    Markdown,
}

/// Flags shared by the history commands.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The history store (`sqlite://PATH`, `postgres://…`) [default: store.url in
    /// config.toml, else sqlite://.citecheck/history.db].
    #[arg(long, value_name = "URL", env = "CITECHECK_STORE")]
    pub store: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StoreFormat::Markdown)]
    pub format: StoreFormat,
    /// Read settings from FILE instead of ./config.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `citecheck runs`.
#[derive(Debug, Args)]
pub struct RunsArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Show at most N runs.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: usize,
}

/// `citecheck history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The URL, as cited.
    #[arg(value_name = "URL")]
    pub url: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// `citecheck diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier run's id [default: the run before --to].
    #[arg(long, value_name = "RUN")]
    pub from: Option<i64>,
    /// The later run's id [default: the last run].
    #[arg(long, value_name = "RUN")]
    pub to: Option<i64>,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// `citecheck prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Drop runs older than this (`90d`, `12w`, `36h`).
    #[arg(long, value_name = "DURATION")]
    pub older_than: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Parse an RFC 3339 time (`--now`).
pub fn parse_time(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("expected an RFC 3339 time such as 2026-04-12T09:00:00Z: {e}"))
}

/// Output format of `check` and `extract`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON document, written when the run ends.
    Json,
    /// JSON Lines, streamed as results arrive (one line per citation).
    Jsonl,
    /// A report for editors.
    Markdown,
    /// JUnit XML: a test suite per report file, a test case per citation.
    Junit,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// CSV, one row per citation.
    Csv,
    /// One self-contained HTML page for editors.
    Html,
    /// GitHub Actions workflow commands (annotations) and a job summary.
    Github,
}

impl Format {
    /// The flag value.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Markdown => "markdown",
            Format::Junit => "junit",
            Format::Sarif => "sarif",
            Format::Csv => "csv",
            Format::Html => "html",
            Format::Github => "github",
        }
    }
}

/// Output format of `inspect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InspectFormat {
    /// One JSON document.
    Json,
    /// The same JSON document.
    Jsonl,
    /// A readable summary.
    Markdown,
}

/// One `--report FORMAT=PATH`: a format and where to write it (`None` = stdout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportTarget {
    pub format: Format,
    pub path: Option<PathBuf>,
}

/// Parse `FORMAT=PATH` (`-` for stdout).
pub fn parse_report_target(s: &str) -> Result<ReportTarget, String> {
    let (format, path) = s
        .split_once('=')
        .ok_or_else(|| format!("expected FORMAT=PATH (e.g. sarif=citecheck.sarif), got {s:?}"))?;
    let format = Format::from_str(format.trim(), true).map_err(|_| {
        let names: Vec<&str> = Format::value_variants().iter().map(|f| f.name()).collect();
        format!("unknown format {format:?} (one of {})", names.join(", "))
    })?;
    let path = match path {
        "" => {
            return Err(format!(
                "no path after {}= (use - for stdout)",
                format.name()
            ));
        }
        "-" => None,
        p => Some(PathBuf::from(p)),
    };
    Ok(ReportTarget { format, path })
}

/// Flags shared by `check` and `extract`.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Report files or directories (walked recursively).
    #[arg(value_name = "PATH", default_value = "reports/")]
    pub paths: Vec<PathBuf>,
    /// Output format [default: markdown].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write a report in FORMAT to PATH (`-` = stdout); repeatable, e.g.
    /// `--report html=audit.html --report sarif=citecheck.sarif --report github=-`.
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = parse_report_target)]
    pub reports: Vec<ReportTarget>,
    /// Only citations on lines added or changed since the git revision REF (files added
    /// or renamed since count whole).
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,
    /// Read settings from FILE instead of ./config.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Resolve relative links in reports against this URL (a report's own
    /// `<base href>` comes first); without one, relative links are excluded.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

/// `citecheck check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Send every request through this proxy (http://, https://, socks5://).
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Whole-request timeout in seconds (connect, headers and body of one attempt).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Requests in flight at once, over all hosts.
    #[arg(long, value_name = "N")]
    pub max_concurrency: Option<usize>,
    /// Requests in flight at once to one host.
    #[arg(long, value_name = "N")]
    pub host_concurrency: Option<usize>,
    /// Requests per second to one host (`inf`: no pacing, for one's own servers).
    #[arg(long, value_name = "R")]
    pub host_rate: Option<f64>,
    /// Retries for transient failures (connect errors, timeouts, 408, 429, 5xx).
    #[arg(long, value_name = "N")]
    pub max_retries: Option<u32>,
    /// User-Agent header (`{version}` is replaced by citecheck's version).
    #[arg(long, value_name = "STRING")]
    pub user_agent: Option<String>,
    /// Statuses and verdicts that make the exit code 1 (comma-separated), e.g.
    /// `broken,unreachable,timeout,invalid,unsupported`.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub fail_on: Option<Vec<String>>,
    /// Do not check URLs matching this regular expression (repeatable).
    #[arg(long, value_name = "REGEX")]
    pub exclude: Vec<String>,
    /// Allow connections to loopback, private, link-local and unspecified addresses.
    #[arg(long, overrides_with = "no_allow_private")]
    pub allow_private: bool,
    /// Refuse private addresses even if config.toml allows them.
    #[arg(long, overrides_with = "allow_private")]
    pub no_allow_private: bool,
    /// Fetch robots.txt once per host and honour Disallow and Crawl-delay.
    #[arg(long, overrides_with = "no_respect_robots")]
    pub respect_robots: bool,
    /// Ignore robots.txt even if config.toml says to honour it.
    #[arg(long, overrides_with = "respect_robots")]
    pub no_respect_robots: bool,
    /// Never show the progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Record the run in this history store (`sqlite://PATH`, `postgres://…`)
    /// [default: store.url in config.toml, else sqlite://.citecheck/history.db].
    #[arg(long, value_name = "URL", env = "CITECHECK_STORE")]
    pub store: Option<String>,
    /// Run without a history store: nothing is recorded and `history` is null.
    #[arg(long)]
    pub no_store: bool,
    /// Reuse a stored result younger than DURATION (`30m`, `12h`, `7d`) when it was
    /// alive and supported its claims; failures are never reused.
    #[arg(long, value_name = "DURATION")]
    pub max_age: Option<String>,
    /// The time of this run, RFC 3339 (for back-filling history and for tests) [default: now].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Do not look up archived copies of dead or drifted citations.
    #[arg(long, env = "CITECHECK_NO_ARCHIVE")]
    pub no_archive: bool,
    /// Ask this archive instead of `[[archive.endpoints]]` (repeatable): a base URL
    /// serving the Wayback CDX API, or `memento=URL` for a Memento TimeMap.
    #[arg(long, value_name = "[KIND=]URL")]
    pub archive_endpoint: Vec<String>,
    /// Keep every page verified (live or archived) as WARC/1.1 records in a new file in
    /// DIR (`citecheck inspect FILE.warc --url URI` reads one back).
    #[arg(long, value_name = "DIR")]
    pub save_evidence: Option<PathBuf>,
    /// Plan the run as a work queue in the (PostgreSQL) store and work on it like any
    /// `citecheck worker`; the report is rendered from the store once every item is done.
    #[arg(long)]
    pub distributed: bool,
    /// With --distributed: only plan the run and print its id (workers do the rest).
    #[arg(long, requires = "distributed")]
    pub plan_only: bool,
    /// With --distributed: a worker's lease on an item lasts this long without a
    /// heartbeat (`60s`, `2m`) [default: distributed.lease_timeout, else 60s].
    #[arg(long, value_name = "DURATION")]
    pub lease_timeout: Option<String>,
    /// With --distributed: leases of one item at most before it counts as failed
    /// [default: distributed.max_attempts, else 3].
    #[arg(long, value_name = "N")]
    pub max_attempts: Option<u32>,
}

/// `citecheck worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The shared store (`postgres://…`).
    #[arg(long, value_name = "URL", env = "CITECHECK_STORE")]
    pub store: Option<String>,
    /// Work only on this run [default: every distributed run with work left].
    #[arg(long, value_name = "RUN")]
    pub run: Option<i64>,
    /// When no work is left, wait for new runs instead of exiting.
    #[arg(long)]
    pub follow: bool,
    /// Read settings from FILE instead of ./config.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Requests in flight at once (and so work items), over all hosts.
    #[arg(long, value_name = "N")]
    pub max_concurrency: Option<usize>,
    /// Work items held at once [default: distributed.items_in_flight, else 256].
    #[arg(long, value_name = "N")]
    pub items_in_flight: Option<usize>,
    /// Do not look up archived copies of dead or drifted citations.
    #[arg(long, env = "CITECHECK_NO_ARCHIVE")]
    pub no_archive: bool,
}

impl WorkerArgs {
    /// The settings given as flags, for [`crate::config::Config::resolve`].
    #[must_use]
    pub fn overrides(&self) -> crate::config::Overrides {
        crate::config::Overrides {
            store: self.store.clone(),
            max_concurrency: self.max_concurrency,
            items_in_flight: self.items_in_flight,
            no_archive: self.no_archive,
            progress: Some(false),
            ..crate::config::Overrides::default()
        }
    }
}

/// `citecheck report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The run (a distributed run) whose report to render.
    #[arg(long, value_name = "RUN")]
    pub run: i64,
    /// The store (`postgres://…`).
    #[arg(long, value_name = "URL", env = "CITECHECK_STORE")]
    pub store: Option<String>,
    /// Output format [default: markdown].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write a report in FORMAT to PATH (`-` = stdout); repeatable.
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = parse_report_target)]
    pub reports: Vec<ReportTarget>,
    /// Read settings from FILE instead of ./config.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl ReportArgs {
    /// The settings given as flags, for [`crate::config::Config::resolve`].
    #[must_use]
    pub fn overrides(&self) -> crate::config::Overrides {
        crate::config::Overrides {
            store: self.store.clone(),
            progress: Some(false),
            ..crate::config::Overrides::default()
        }
    }
}

/// A `--flag` / `--no-flag` pair: `None` when neither is given (the file decides).
fn tri(on: bool, off: bool) -> Option<bool> {
    match (on, off) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

/// `citecheck extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `citecheck inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A saved page (file), a WARC file (with `--url` naming a record), or a URL to fetch.
    #[arg(value_name = "FILE_OR_URL")]
    pub target: String,
    /// The address of a saved file (used for dates in the URL and relative redirects); for
    /// a WARC file, the record's `WARC-Target-URI` (or `WARC-Record-ID`).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Output format (markdown is a readable summary).
    #[arg(long, value_enum, default_value_t = InspectFormat::Markdown)]
    pub format: InspectFormat,
    /// Read settings from FILE instead of ./config.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Send the request through this proxy.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Whole-request timeout in seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Allow connections to private addresses.
    #[arg(long, overrides_with = "no_allow_private")]
    pub allow_private: bool,
    /// Refuse private addresses even if config.toml allows them.
    #[arg(long, overrides_with = "allow_private")]
    pub no_allow_private: bool,
}

impl CheckArgs {
    /// The settings given as flags, for [`crate::config::Config::resolve`].
    #[must_use]
    pub fn overrides(&self) -> crate::config::Overrides {
        crate::config::Overrides {
            proxy: self.proxy.clone(),
            timeout: self.timeout,
            max_concurrency: self.max_concurrency,
            host_concurrency: self.host_concurrency,
            host_rate: self.host_rate,
            max_retries: self.max_retries,
            user_agent: self.user_agent.clone(),
            fail_on: self.fail_on.clone(),
            base_url: self.common.base_url.clone(),
            exclude: self.exclude.clone(),
            allow_private: tri(self.allow_private, self.no_allow_private),
            respect_robots: tri(self.respect_robots, self.no_respect_robots),
            progress: self.no_progress.then_some(false),
            store: self.store.clone(),
            no_store: self.no_store,
            max_age: self.max_age.clone(),
            now: self.now,
            no_archive: self.no_archive,
            archive_endpoints: self.archive_endpoint.clone(),
            save_evidence: self.save_evidence.clone(),
            lease_timeout: self.lease_timeout.clone(),
            max_attempts: self.max_attempts,
            items_in_flight: None,
        }
    }
}

impl ExtractArgs {
    /// The settings given as flags, for [`crate::config::Config::resolve`].
    #[must_use]
    pub fn overrides(&self) -> crate::config::Overrides {
        crate::config::Overrides {
            base_url: self.common.base_url.clone(),
            ..crate::config::Overrides::default()
        }
    }
}

impl InspectArgs {
    /// The settings given as flags, for [`crate::config::Config::resolve`].
    #[must_use]
    pub fn overrides(&self) -> crate::config::Overrides {
        crate::config::Overrides {
            proxy: self.proxy.clone(),
            timeout: self.timeout,
            allow_private: tri(self.allow_private, self.no_allow_private),
            progress: Some(false),
            ..crate::config::Overrides::default()
        }
    }
}

impl StoreArgs {
    /// The settings given as flags, for [`crate::config::Config::resolve`].
    #[must_use]
    pub fn overrides(&self) -> crate::config::Overrides {
        crate::config::Overrides {
            store: self.store.clone(),
            progress: Some(false),
            ..crate::config::Overrides::default()
        }
    }
}
