//! Plain data shared by every stage of the pipeline.
//!
//! Extraction produces [`Citation`]s (each with its [`Claim`]), fetching produces a
//! [`LinkResult`] per unique URL, verification produces a [`Verdict`] with its
//! [`Evidence`], and the output stage serialises all of it. Nothing here does I/O; the
//! serde field names are the stable JSON contract documented in the README.

mod cited;
mod rows;
mod run;
mod spill;

use std::fmt;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Where something stands in a report: file, page (PDF) and 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourceSpan {
    /// The report file, as given on the command line or found under a directory. Shown
    /// lossily when the name is not UTF-8 (see [`lossy_path`]).
    /// Shared by every citation of the report.
    #[serde(serialize_with = "lossy_path")]
    pub path: std::sync::Arc<Path>,
    /// 1-based page, for PDF reports (JSON: absent for other formats).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<usize>,
    /// 1-based line number of the URL (or of the claim, for uncited claims); in a PDF,
    /// the line on the page; in a Word file, the paragraph number.
    pub line: usize,
}

/// Serialise a path as a string, with U+FFFD for bytes that are not UTF-8: a file name
/// that is not UTF-8 is shown, never an error that loses the whole report.
pub fn lossy_path<S: serde::Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}

impl fmt::Display for SourceSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.page {
            Some(p) => write!(f, "{}:p{p}:{}", self.path.display(), self.line),
            None => write!(f, "{}:{}", self.path.display(), self.line),
        }
    }
}

/// A distinctive term a supporting page must contain, with its weight in `0.0..=1.0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Keyword {
    /// Shared by every claim with the same term (one allocation per distinct term of a
    /// run, not one per claim).
    pub term: std::sync::Arc<str>,
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

/// What was done to a URL as written (JSON `repairs[].kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepairKind {
    /// A URL split by a page break (PDF conversion) joined again.
    JoinedPageBreak,
    /// A URL wrapped at a line end (PDF text) joined again.
    JoinedLineBreak,
    /// HTML entities (`&amp;`) in the URL decoded.
    DecodedEntities,
    /// Markdown backslash escapes (`a\_b`) removed from a bare URL.
    MarkdownEscapesRemoved,
    /// A protocol-relative link (`//host/x`) given a scheme.
    ProtocolRelative,
    /// A relative link resolved against the report's base URL.
    ResolvedRelative,
}

impl RepairKind {
    /// The JSON name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RepairKind::JoinedPageBreak => "joined_page_break",
            RepairKind::JoinedLineBreak => "joined_line_break",
            RepairKind::DecodedEntities => "decoded_entities",
            RepairKind::MarkdownEscapesRemoved => "markdown_escapes_removed",
            RepairKind::ProtocolRelative => "protocol_relative",
            RepairKind::ResolvedRelative => "resolved_relative",
        }
    }
}

/// One change made to a URL as written, so the reader knows what was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repair {
    /// Short machine-readable kind.
    pub kind: RepairKind,
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

/// How a redirect was expressed (JSON `redirects[].kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedirectKind {
    /// A 3xx answer with a `Location`.
    Http,
    /// `<meta http-equiv="refresh">`.
    MetaRefresh,
    /// An unconditional `location = …` script.
    Script,
}

impl RedirectKind {
    /// The JSON name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RedirectKind::Http => "http",
            RedirectKind::MetaRefresh => "meta_refresh",
            RedirectKind::Script => "script",
        }
    }
}

impl fmt::Display for RedirectKind {
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
    /// How the redirect was expressed.
    pub kind: RedirectKind,
}

/// The outcome of fetching one URL (JSON `link`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkResult {
    pub status: LinkStatus,
    pub http_status: Option<u16>,
    pub final_url: Option<String>,
    pub redirects: Vec<Redirect>,
    /// Why the link is not `ok`/`redirected` (or why an alive page was cut short), as
    /// a stable code; the human message is in `error`.
    #[serde(default)]
    pub reason: Option<Reason>,
    /// A short human message.
    pub error: Option<String>,
    pub elapsed_ms: u64,
    /// Reused from the history store (`--max-age`) instead of fetched in this run
    /// (JSON: present only when true).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
}

impl LinkResult {
    /// A result for a URL that was never sent (invalid, excluded).
    #[must_use]
    pub fn unsent(status: LinkStatus, reason: Reason, message: impl Into<String>) -> Self {
        LinkResult {
            status,
            http_status: None,
            final_url: None,
            redirects: Vec::new(),
            reason: Some(reason),
            error: Some(message.into()),
            elapsed_ms: 0,
            cached: false,
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
    /// For a cited PDF: the page (1-based) holding most of the matched keywords.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf_page: Option<usize>,
    /// Free-text notes (e.g. "keyword only in navigation", "soft 404: title says 页面不存在").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Why the verdict is not `supported`, as a stable code.
    #[serde(default)]
    pub reason: Option<Reason>,
    /// The page's title, as the page gives it (untrusted text).
    #[serde(default)]
    pub page_title: Option<String>,
}

/// Where the charset used to decode a page came from (JSON `charset_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CharsetSource {
    /// The `charset` parameter of `Content-Type`.
    Header,
    /// A byte-order mark.
    Bom,
    /// `<meta charset>` or `<meta http-equiv="Content-Type">`.
    Meta,
    /// Guessed from the bytes (nothing declared, or the declaration was overruled).
    #[default]
    Detected,
    /// Not decoded as text: a PDF document, read by the PDF reader.
    Pdf,
}

impl CharsetSource {
    /// The JSON name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CharsetSource::Header => "header",
            CharsetSource::Bom => "bom",
            CharsetSource::Meta => "meta",
            CharsetSource::Detected => "detected",
            CharsetSource::Pdf => "pdf",
        }
    }
}

impl fmt::Display for CharsetSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub use crate::reason::Reason;
pub use cited::Citations;
/// A row with every field filled, for tests of the formatters.
#[cfg(test)]
pub(crate) use rows::tests::row as filled_row;
pub use rows::{Brief, Rows, SPILL_AFTER, Spool};
pub use run::{CitationResult, Mode, RunReport, Summary};

/// How a citation's result changed since the previous recorded run (JSON
/// `history.change`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Not seen in any earlier run.
    NewLink,
    /// Same status and verdict as last time.
    Unchanged,
    /// Alive last time, failing now.
    NewFailure,
    /// Failing last time and now.
    StillFailing,
    /// Failing last time, alive now.
    Recovered,
    /// The verdict differs from last time's.
    VerdictChanged,
}

impl Change {
    /// Every change, in report order (most urgent first).
    pub const ALL: [Change; 6] = [
        Change::NewFailure,
        Change::VerdictChanged,
        Change::Recovered,
        Change::StillFailing,
        Change::NewLink,
        Change::Unchanged,
    ];

    /// The JSON name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Change::NewLink => "new_link",
            Change::Unchanged => "unchanged",
            Change::NewFailure => "new_failure",
            Change::StillFailing => "still_failing",
            Change::Recovered => "recovered",
            Change::VerdictChanged => "verdict_changed",
        }
    }
}

/// What the history store knows about one citation's URL (JSON `history`; filled by the
/// store, absent without one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitationHistory {
    pub first_seen: chrono::DateTime<chrono::Utc>,
    pub last_ok: Option<chrono::DateTime<chrono::Utc>>,
    pub failing_since: Option<chrono::DateTime<chrono::Utc>>,
    /// Consecutive checks whose link was dead.
    pub failures: u32,
    pub confirmed_dead: bool,
    pub previous_status: Option<LinkStatus>,
    pub previous_verdict: Option<Verdict>,
    /// The main text differs from the last check that read the page.
    pub page_changed: bool,
    pub change: Change,
    /// The evidence of the previous verdict, when the verdict changed (shown in the
    /// Markdown and HTML change reports; not in JSON).
    #[serde(skip)]
    pub previous_evidence: Option<Box<Evidence>>,
}

/// Link health of one recorded run, for the chart of the HTML report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunHealth {
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// Citations whose link was `ok` or `redirected`.
    pub alive: usize,
    /// Citations whose link was dead (`broken`, `unreachable`, `timeout`, `soft_404`).
    pub failing: usize,
    /// Of those, confirmed dead after repeated failures.
    pub confirmed_dead: usize,
    /// Citations whose verdict was `unsupported`.
    pub unsupported: usize,
}

/// What the archive lookup of one citation found (JSON `archive`): the capture offered
/// in place of a dead or drifted page, verified against the claim like a live page, or
/// (`url` null) why there is none. Filled by [`crate::archive`]; `null` when the
/// citation was not looked up (alive and supported, `--no-archive`, `extract`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ArchiveCopy {
    /// The capture's address as a reader opens it (`https://web.archive.org/web/<timestamp>/<url>`);
    /// `None` when no usable capture was found.
    pub url: Option<String>,
    /// When it was captured.
    pub timestamp: Option<chrono::DateTime<chrono::Utc>>,
    /// The link status of the raw capture as fetched (`ok` for a usable one).
    pub status: Option<LinkStatus>,
    /// Whether the capture supports the claim (the same verifier as a live page).
    pub verdict: Option<Verdict>,
    /// Why, as for a live page.
    pub evidence: Option<Evidence>,
    /// Captures fetched and verified for this citation (skipped index rows not counted).
    pub tried: usize,
    /// Why no capture is offered (`url` null), as a stable code.
    pub reason: Option<ArchiveReason>,
    /// A short human message to go with `reason`.
    pub error: Option<String>,
    /// The archive endpoint that gave the capture (or was asked last).
    pub endpoint: Option<String>,
    /// Time spent on this citation's lookup, waiting for the archive's turn included.
    pub elapsed_ms: u64,
    /// Found by an earlier run and taken from the history store: the archive was not
    /// asked again (JSON: present only when true).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub remembered: bool,
}

/// Why an archive lookup offers no capture (JSON `archive.reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveReason {
    /// The archive holds no capture of the URL with status 200/203/206.
    NoCaptures,
    /// Captures exist, but every one tried was a redirect, a 404 or unreadable.
    NoUsableCapture,
    /// The archive could not be reached (once per run; later lookups are not sent).
    ArchiveUnreachable,
    /// The archive kept answering 429 (or asked for a longer pause than allowed); it is
    /// not asked again in this run.
    ArchiveThrottled,
    /// The archive answered with an error (5xx after retries, an unreadable index).
    ArchiveFailed,
    /// The archive endpoint is not allowed (e.g. a private address without `--allow-private`).
    ArchiveExcluded,
    /// `archive.max_lookups` was reached.
    LookupLimit,
}

impl ArchiveReason {
    /// The JSON name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveReason::NoCaptures => "no_captures",
            ArchiveReason::NoUsableCapture => "no_usable_capture",
            ArchiveReason::ArchiveUnreachable => "archive_unreachable",
            ArchiveReason::ArchiveThrottled => "archive_throttled",
            ArchiveReason::ArchiveFailed => "archive_failed",
            ArchiveReason::ArchiveExcluded => "archive_excluded",
            ArchiveReason::LookupLimit => "lookup_limit",
        }
    }
}

impl fmt::Display for ArchiveReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One distinct URL checked in a run, as the listeners (the history store) see it before
/// the rows of its citations.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlCheck {
    /// The URL as requested, fragment dropped (the key of its history).
    pub url: String,
    pub link: LinkResult,
    /// The verdicts of the citations that cite it.
    pub verdicts: Vec<Verdict>,
    /// A fingerprint of the page's main text, when a page was read.
    pub fingerprint: Option<String>,
    /// What verification needs of the page, when a listener asked for it (see
    /// [`PageSnapshot`]).
    pub page: Option<PageSnapshot>,
    /// When the check finished (the run's `--now` when given).
    pub checked_at: chrono::DateTime<chrono::Utc>,
}

/// What verifying a claim needs of a page, kept by the history store so that a cached
/// result (`--max-age`) is verified against the current claims. Bounded in size by the
/// store ([`PageSnapshot::bounded`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PageSnapshot {
    pub charset: String,
    pub title: Option<String>,
    pub headline: Option<String>,
    pub main_text: String,
    #[serde(default)]
    pub chrome_text: String,
    pub page_date: Option<NaiveDate>,
    pub page_date_source: Option<DateSource>,
    #[serde(default)]
    pub date_candidates: Vec<(NaiveDate, DateSource)>,
    pub is_html: bool,
    #[serde(default)]
    pub is_pdf: bool,
    #[serde(default)]
    pub pdf_pages: Vec<usize>,
}

impl PageSnapshot {
    /// The snapshot with its main text cut to `max_main` bytes and the text outside it
    /// to `max_chrome` bytes (at character boundaries).
    #[must_use]
    pub fn bounded(mut self, max_main: usize, max_chrome: usize) -> Self {
        cut(&mut self.main_text, max_main);
        cut(&mut self.chrome_text, max_chrome);
        let len = self.main_text.len();
        self.pdf_pages.retain(|&o| o <= len);
        self
    }
}

fn cut(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}
