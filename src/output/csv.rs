//! The CSV report (`--format csv`): one row per citation, for spreadsheets and scripts.
//!
//! The columns are a contract (README, "CSV"): they are only ever appended to, never
//! renamed or reordered. Quoting is RFC 4180 (the `csv` crate): fields with commas,
//! quotes or line breaks are quoted, quotes doubled. Lists are joined with `; `. Empty
//! cells mean "none" (e.g. no HTTP status for a refused connection).

use std::io::{self, Write};

use super::triage::Location;
use super::{Formatter, RunReport};

/// The header row, in order.
pub const CSV_COLUMNS: [&str; 19] = [
    "path",
    "line",
    "url",
    "written_url",
    "status",
    "reason",
    "http_status",
    "error",
    "final_url",
    "verdict",
    "verdict_reason",
    "score",
    "claim_date",
    "page_date",
    "page_date_source",
    "matched_keywords",
    "missing_keywords",
    "claim",
    "context",
];

/// Renders [`RunReport`] as CSV.
#[derive(Debug, Clone)]
pub struct Csv {
    pub location: Location,
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl Formatter for Csv {
    fn write(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(CSV_COLUMNS)?;
        for c in &report.citations {
            let link = c.link.as_ref();
            let ev = c.evidence.as_ref();
            let page_date_source = ev
                .and_then(|e| e.page_date_source)
                .and_then(|s| serde_json::to_value(s).ok())
                .and_then(|v| v.as_str().map(str::to_owned));
            let row: [String; CSV_COLUMNS.len()] = [
                self.location.show(&c.citation.source.path),
                c.citation.source.line.to_string(),
                c.citation.url.clone(),
                c.citation.written_url.clone(),
                opt(link.map(|l| l.status)),
                opt(link.and_then(|l| l.reason)),
                opt(link.and_then(|l| l.http_status)),
                opt(link.and_then(|l| l.error.clone())),
                opt(link.and_then(|l| l.final_url.clone())),
                opt(c.verdict),
                opt(ev.and_then(|e| e.reason)),
                opt(ev
                    .filter(|_| c.verdict.is_some())
                    .map(|e| format!("{:.2}", e.score))),
                opt(c.citation.claim.date),
                opt(ev.and_then(|e| e.page_date)),
                page_date_source.unwrap_or_default(),
                ev.map(|e| e.matched_keywords.join("; "))
                    .unwrap_or_default(),
                ev.map(|e| e.missing_keywords.join("; "))
                    .unwrap_or_default(),
                c.citation.claim.text.clone(),
                opt(c.citation.context.clone()),
            ];
            w.write_record(&row)?;
        }
        w.flush()
    }
}
