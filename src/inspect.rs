//! `citecheck inspect`: what the tool reads from one page, so a user can see why a
//! verdict came out as it did.

use std::io::{self, Write};

use serde::Serialize;

use crate::config::Config;
use crate::fetch::FetchError;
use crate::model::LinkResult;
use crate::resolve::Resolver;
use crate::verify::{self, PageInfo};

/// One page as citecheck reads it.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// The page's address (given with `--url` for a saved file).
    pub url: String,
    /// The fetch result, for a URL.
    pub link: Option<LinkResult>,
    /// What was read from the body, if there was one.
    pub page: Option<PageInfo>,
}

/// Read a saved page.
#[must_use]
pub fn from_bytes(url: &str, content_type: Option<&str>, body: &[u8]) -> Inspection {
    Inspection {
        url: url.to_owned(),
        link: None,
        page: Some(verify::read_page(url, content_type, body)),
    }
}

/// Read the response record for `uri` (its `WARC-Target-URI` or `WARC-Record-ID`; the
/// first response without one) of a WARC file, e.g. evidence kept by `--save-evidence`.
pub fn from_warc(bytes: &[u8], uri: Option<&str>) -> Result<Inspection, String> {
    let records = crate::warc::read(bytes)?;
    let record = crate::warc::find_response(&records, uri).ok_or_else(|| match uri {
        Some(u) => format!("no response record for {u} in the WARC file"),
        None => "no response record in the WARC file".to_owned(),
    })?;
    let target = record
        .field("WARC-Target-URI")
        .unwrap_or_default()
        .to_owned();
    let (_, headers, body) = record
        .http_response()
        .ok_or_else(|| format!("the record for {target} holds no HTTP response"))?;
    let content_type = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.as_str());
    Ok(from_bytes(&target, content_type, body))
}

/// Fetch and read a page exactly as `check` does (page redirects, soft-404 probe,
/// challenges: [`crate::resolve`]).
pub async fn from_url(url: &str, config: &Config) -> Result<Inspection, FetchError> {
    let resolved = Resolver::new(&config.fetch)?.resolve(url).await;
    Ok(Inspection {
        url: url.to_owned(),
        link: Some(resolved.link),
        page: resolved.page,
    })
}

impl Inspection {
    /// A readable summary.
    pub fn write_markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "# {}\n",
            if self.url.is_empty() {
                "(saved page)"
            } else {
                &self.url
            }
        )?;
        if let Some(l) = &self.link {
            writeln!(out, "- status: {}", l.status)?;
            if let Some(code) = l.http_status {
                writeln!(out, "- HTTP status: {code}")?;
            }
            for r in &l.redirects {
                writeln!(out, "- redirect ({} {}): {}", r.kind, r.status, r.url)?;
            }
            if let Some(u) = &l.final_url {
                writeln!(out, "- final URL: {u}")?;
            }
            if let Some(e) = &l.error {
                writeln!(out, "- error: {e}")?;
            }
        }
        let Some(p) = &self.page else {
            return writeln!(out, "\nNo page body to read.");
        };
        writeln!(out, "- charset: {} (from {})", p.charset, p.charset_source)?;
        writeln!(out, "- title: {}", p.title.as_deref().unwrap_or("(none)"))?;
        match (p.page_date, p.page_date_source) {
            (Some(d), Some(s)) => writeln!(out, "- page date: {d} (from {s:?})")?,
            _ => writeln!(out, "- page date: not found")?,
        }
        for (d, s) in &p.date_candidates {
            writeln!(out, "  - candidate: {d} ({s:?})")?;
        }
        if let Some((u, kind)) = &p.redirect {
            writeln!(out, "- page redirect ({kind}): {u}")?;
        }
        if let Some(r) = &p.soft_404 {
            writeln!(out, "- soft 404: {r}")?;
        }
        if let Some(r) = &p.challenge {
            writeln!(out, "- bot challenge: {r}")?;
        }
        writeln!(
            out,
            "\n## Main text ({} characters)\n\n{}",
            p.main_text.chars().count(),
            p.main_text
        )
    }
}
