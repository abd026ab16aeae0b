//! The SARIF 2.1.0 report (`--format sarif`), for code scanning (GitHub and others).
//!
//! Rules, as GitHub code scanning requires them: one rule per reason code (`id` = the
//! stable code, with short and full descriptions and help); one result per citation
//! and reason (the link's reason when the link is not alive, the verdict's otherwise);
//! `level` is `error` for results in `fail_on`, `warning` for inconclusive or doubtful
//! ones, `note` for the rest; the location is the report file relative to the
//! repository root (`artifactLocation.uri`, percent-encoded, `%SRCROOT%`) and the
//! citation's line (`region.startLine`). `partialFingerprints` hash the path, the URL,
//! the rule and the occurrence of that pair in the file — not the line — so an alert
//! stays the same alert across runs and when lines move.

use std::collections::HashMap;
use std::io::{self, Write};

use serde_json::{Value, json};

use super::triage::Location;
use super::{CitationResult, Formatter, RunReport};
use crate::config::FailOn;
use crate::model::{LinkStatus, Reason, Verdict};

/// The schema the output declares.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The key of our fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "citecheck/v1";

/// Renders [`RunReport`] as SARIF 2.1.0.
#[derive(Debug, Clone)]
pub struct Sarif {
    pub fail_on: FailOn,
    pub location: Location,
}

/// FNV-1a, 64 bits: a stable hash (std's hasher is seeded per process).
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Percent-encode a relative path for a URI reference (keeps `/` and unreserved bytes).
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The reasons one citation is reported for: its link's (unless alive without a cut
/// body) and its verdict's (unless it only repeats that the link failed).
fn reasons(c: &CitationResult) -> Vec<Reason> {
    let mut out = Vec::new();
    if let Some(r) = c.link.as_ref().and_then(|l| l.reason) {
        out.push(r);
    }
    if let Some(r) = c.evidence.as_ref().and_then(|e| e.reason)
        && r != Reason::NoUsablePage
    {
        out.push(r);
    }
    out
}

fn rule(r: Reason) -> Value {
    json!({
        "id": r.as_str(),
        "name": r.as_str(),
        "shortDescription": { "text": r.title() },
        "fullDescription": { "text": r.help() },
        "help": { "text": r.help(), "markdown": format!("**{}**: {}", r.title(), r.help()) },
        "properties": { "tags": ["citations", "links"] },
    })
}

impl Sarif {
    fn result(&self, c: &CitationResult, r: Reason, occurrence: usize) -> Value {
        let path = self.location.show(&c.citation.source.path);
        let is_link = c.link.as_ref().and_then(|l| l.reason) == Some(r);
        // The level of a link reason follows the link status, of a verdict reason the
        // verdict; both under fail_on.
        let level = if is_link {
            match c.link.as_ref().map(|l| l.status) {
                Some(s) if self.fail_on.statuses.contains(&s) => "error",
                Some(LinkStatus::Blocked | LinkStatus::Soft404) => "warning",
                _ => "note",
            }
        } else {
            match c.verdict {
                Some(v) if self.fail_on.verdicts.contains(&v) => "error",
                Some(Verdict::Partial | Verdict::Unsupported) => "warning",
                _ => "note",
            }
        };
        let text = if is_link {
            let l = c.link.as_ref().expect("a link reason comes from a link");
            let detail = match (l.http_status, &l.error) {
                (_, Some(e)) => e.clone(),
                (Some(code), None) => format!("HTTP {code}"),
                (None, None) => r.title().to_owned(),
            };
            format!("Cited link is {}: {detail} ({})", l.status, c.citation.url)
        } else {
            let v = c.verdict.map_or("unchecked", |v| v.as_str());
            let missing = c
                .evidence
                .as_ref()
                .filter(|e| !e.missing_keywords.is_empty())
                .map(|e| format!("; missing: {}", e.missing_keywords.join(", ")))
                .unwrap_or_default();
            format!(
                "Claim is {v}: {}{missing} ({})",
                r.title().to_lowercase(),
                c.citation.url
            )
        };
        let fingerprint = fnv1a(&[&path, &c.citation.url, r.as_str(), &occurrence.to_string()]);
        json!({
            "ruleId": r.as_str(),
            "ruleIndex": Reason::ALL.iter().position(|x| *x == r),
            "level": level,
            "message": { "text": text },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": uri_path(&path), "uriBaseId": "%SRCROOT%" },
                    "region": { "startLine": c.citation.source.line },
                }
            }],
            "partialFingerprints": { FINGERPRINT_KEY: format!("{fingerprint:016x}") },
            "properties": {
                "url": c.citation.url,
                "status": c.link.as_ref().map(|l| l.status),
                "verdict": c.verdict,
                "claim": c.citation.claim.text,
            },
        })
    }
}

impl Formatter for Sarif {
    fn write(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        let mut seen: HashMap<(String, String, Reason), usize> = HashMap::new();
        let mut results = Vec::new();
        for c in &report.citations {
            for r in reasons(&c) {
                let key = (
                    self.location.show(&c.citation.source.path),
                    c.citation.url.clone(),
                    r,
                );
                let n = seen.entry(key).or_insert(0);
                results.push(self.result(&c, r, *n));
                *n += 1;
            }
        }
        let notifications: Vec<Value> = report
            .errors
            .iter()
            .map(|e| {
                json!({
                    "level": "error",
                    "message": { "text": format!("{}: {}", self.location.show(&e.path), e.message) },
                })
            })
            .collect();
        let root_uri = url::Url::from_directory_path(&self.location.root)
            .map(String::from)
            .ok();
        let mut run = json!({
            "tool": { "driver": {
                "name": "citecheck",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": Reason::ALL.iter().map(|r| rule(*r)).collect::<Vec<_>>(),
            }},
            "invocations": [{
                "executionSuccessful": report.complete && report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "columnKind": "unicodeCodePoints",
        });
        if let Some(uri) = root_uri {
            run["originalUriBaseIds"] = json!({ "%SRCROOT%": { "uri": uri } });
        }
        let doc = json!({
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [run],
        });
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
        out.write_all(b"\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_and_uris_are_stable() {
        assert_eq!(fnv1a(&["a", "b"]), fnv1a(&["a", "b"]));
        assert_ne!(fnv1a(&["ab", ""]), fnv1a(&["a", "b"]));
        // FNV-1a of the empty input is its offset basis; of "a\0" a known value.
        assert_eq!(fnv1a(&[]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(
            uri_path("reports/a b/报告.md"),
            "reports/a%20b/%E6%8A%A5%E5%91%8A.md"
        );
    }
}
