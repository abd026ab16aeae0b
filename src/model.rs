//! Plain data shared by every stage of the pipeline.
//!
//! Extraction produces [`Citation`]s (each with its [`Claim`]), fetching produces a
//! [`LinkResult`] per unique URL, verification produces a [`Verdict`] with its
//! [`Evidence`], and the output stage serialises all of it. Nothing here does I/O; the
//! serde field names are the stable JSON contract documented in the README.

use std::fmt;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Where something stands in a report: file and 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourceSpan {
    /// The report file, as given on the command line or found under a directory.
    pub path: PathBuf,
    /// 1-based line number of the URL (or of the claim, for uncited claims).
    pub line: usize,
}

impl fmt::Display for SourceSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)
    }
}

/// A distinctive term a supporting page must contain, with its weight in `0.0..=1.0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Keyword {
    pub term: String,
    pub weight: f64,
}

/// What the report says the cited page supports.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Claim {
    /// The sentence, list item or table cell that holds the citation.
    pub text: String,
    /// The claim's own date (ISO 8601), if it states one.
    pub date: Option<NaiveDate>,
    /// End of a date range (`4月12日至13日`), if the claim states one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_end: Option<NaiveDate>,
    /// Keywords, heaviest first.
    pub keywords: Vec<Keyword>,
}

/// One change made to a URL as written, so the reader knows what was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repair {
    /// Short machine-readable kind, e.g. `joined_page_break`, `decoded_entities`.
    pub kind: String,
    /// Human-readable explanation naming the fragments and their lines.
    pub detail: String,
}

/// A hint that the URL as written may be a typo of another cited URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The near-identical URL cited elsewhere.
    pub url: String,
    /// Where it is cited.
    pub source: SourceSpan,
    /// Why it is suggested.
    pub reason: String,
}

/// One URL cited at one place in a report, with the claim it supports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Citation {
    pub source: SourceSpan,
    /// The URL as checked (entities decoded, page-break fragments joined).
    pub url: String,
    /// The URL exactly as it stands in the report (first fragment for joined URLs).
    pub written_url: String,
    pub claim: Claim,
    /// The section, region or row label the citation sits under, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repairs: Vec<Repair>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<Suggestion>,
}

/// A claim the report states without citing a source for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UncitedClaim {
    pub source: SourceSpan,
    pub claim: Claim,
    /// A citation elsewhere in the reports that supports the same event, if any.
    pub supported_by: Option<SourceSpan>,
    /// The URL of that citation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_by_url: Option<String>,
}

/// Health of one link (JSON `link.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatus {
    /// Alive at the cited URL.
    Ok,
    /// Alive, but at a different final URL.
    Redirected,
    /// 404, 410, other 4xx except 401/403/429, 5xx after retries.
    Broken,
    /// DNS, connection refused or reset, TLS.
    Unreachable,
    /// The whole-request timeout ran out.
    Timeout,
    /// 401, 403, 429 after retries, a bot challenge: inconclusive, not dead.
    Blocked,
    /// Not checked by policy (config pattern, private address, robots.txt).
    Excluded,
    /// Not a fetchable URL.
    Invalid,
    /// Answers 200 but the page says it is gone.
    #[serde(rename = "soft_404")]
    Soft404,
}

impl LinkStatus {
    /// Every status, in report order.
    pub const ALL: [LinkStatus; 9] = [
        LinkStatus::Ok,
        LinkStatus::Redirected,
        LinkStatus::Broken,
        LinkStatus::Unreachable,
        LinkStatus::Timeout,
        LinkStatus::Blocked,
        LinkStatus::Excluded,
        LinkStatus::Invalid,
        LinkStatus::Soft404,
    ];

    /// The JSON name of the status.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            LinkStatus::Ok => "ok",
            LinkStatus::Redirected => "redirected",
            LinkStatus::Broken => "broken",
            LinkStatus::Unreachable => "unreachable",
            LinkStatus::Timeout => "timeout",
            LinkStatus::Blocked => "blocked",
            LinkStatus::Excluded => "excluded",
            LinkStatus::Invalid => "invalid",
            LinkStatus::Soft404 => "soft_404",
        }
    }

    /// Parse a JSON name (as used by `--fail-on` and `fail_on` in config).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether a page was received that can be read (verification applies).
    #[must_use]
    pub fn is_alive(self) -> bool {
        matches!(self, LinkStatus::Ok | LinkStatus::Redirected)
    }
}

impl fmt::Display for LinkStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One hop of a redirect chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redirect {
    /// The URL that answered with the redirect.
    pub url: String,
    /// Its HTTP status (301, 302, …), or 200 for a meta-refresh / script redirect.
    pub status: u16,
    /// How the redirect was expressed: `http`, `meta_refresh`, `script`.
    pub kind: String,
}

/// The outcome of fetching one URL (JSON `link`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkResult {
    pub status: LinkStatus,
    pub http_status: Option<u16>,
    pub final_url: Option<String>,
    pub redirects: Vec<Redirect>,
    pub error: Option<String>,
    pub elapsed_ms: u64,
}

impl LinkResult {
    /// A result for a URL that was never sent (invalid, excluded).
    #[must_use]
    pub fn unsent(status: LinkStatus, reason: impl Into<String>) -> Self {
        LinkResult {
            status,
            http_status: None,
            final_url: None,
            redirects: Vec::new(),
            error: Some(reason.into()),
            elapsed_ms: 0,
        }
    }
}

/// Whether the page supports the claim (JSON `verdict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Key terms found in the main text and the date matched.
    Supported,
    /// Key terms found, but the date is missing or contradicts the claim.
    Partial,
    /// Alive page whose main text lacks the key terms.
    Unsupported,
    /// No usable page (not alive, soft 404, blocked).
    Unverifiable,
}

impl Verdict {
    /// Every verdict, in report order.
    pub const ALL: [Verdict; 4] = [
        Verdict::Supported,
        Verdict::Partial,
        Verdict::Unsupported,
        Verdict::Unverifiable,
    ];

    /// The JSON name of the verdict.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Supported => "supported",
            Verdict::Partial => "partial",
            Verdict::Unsupported => "unsupported",
            Verdict::Unverifiable => "unverifiable",
        }
    }

    /// Parse a JSON name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a page date was read from, most trustworthy first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateSource {
    /// `<meta>` publication-time tags.
    Meta,
    /// `datePublished` in JSON-LD.
    JsonLd,
    /// `<time datetime>`.
    Time,
    /// A publication time in a page script or data attribute (`"publishTime": "…"`,
    /// `data-time="…"`).
    Script,
    /// Visible text near the title (`发布时间：…`, `Published …`).
    Text,
    /// The URL path.
    Url,
}

/// Why a verdict came out as it did (JSON `evidence`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Evidence {
    pub matched_keywords: Vec<String>,
    pub missing_keywords: Vec<String>,
    pub page_date: Option<NaiveDate>,
    pub page_date_source: Option<DateSource>,
    /// Whether the claim's date appears in the main text in some form.
    pub claim_date_found: bool,
    /// Whether the page date lies within the window around the claim date.
    pub page_date_in_window: Option<bool>,
    /// A short passage of the main text around the best match.
    pub snippet: Option<String>,
    /// Weighted keyword coverage, `0.0..=1.0`.
    pub score: f64,
    /// Free-text notes (e.g. "keyword only in navigation", "soft 404: title says 页面不存在").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}
