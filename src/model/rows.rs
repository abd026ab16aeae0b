//! The rows of a run, in citation order — held in memory, or for a large run mostly in a
//! spill file, so that a run of 100,000 citations does not keep every finished row (link,
//! verdict, evidence, history) in memory until its reports are written.
//!
//! A [`Spool`] takes rows as they are finished, in any order: the first few thousand
//! ([`SPILL_AFTER`], `CITECHECK_SPILL_AFTER`) stay in memory, the rest are written in
//! batches to an unnamed temporary file (`TMPDIR`; gone when the process ends, however it
//! ends) as one compact JSON record each, with only a [`Brief`] and the row's citation
//! kept in memory — or, in a run whose citations are spilled too ([`Spool::for_citations`],
//! [`Citations`]), only the citation's index. Rows that cannot be written (a full disk)
//! stay in memory instead, and spilling stops: nothing finished is ever lost.
//! [`Rows::iter`] reads the spilled rows back one at a time, so a formatter streaming the
//! rows holds one at a time.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::cited::Citations;
use super::spill::{BATCH_BYTES, ReadBuf, SpillFile};
use super::{
    ArchiveCopy, Change, Citation, CitationHistory, CitationResult, Evidence, LinkResult,
    LinkStatus, Verdict,
};

/// Rows a run keeps in memory before it spills the rest (`CITECHECK_SPILL_AFTER`
/// overrides; `0` spills every row).
pub const SPILL_AFTER: usize = 2_000;

/// What the summary and the exit code need of a row, kept in memory for spilled rows so
/// that counting does not read the spill file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Brief {
    pub status: Option<LinkStatus>,
    pub verdict: Option<Verdict>,
    /// `None` without a history.
    pub change: Option<Change>,
    pub confirmed_dead: bool,
}

impl Brief {
    /// The brief of `row`.
    #[must_use]
    pub fn of(row: &CitationResult) -> Brief {
        Brief {
            status: row.link.as_ref().map(|l| l.status),
            verdict: row.verdict,
            change: row.history.as_ref().map(|h| h.change),
            confirmed_dead: row.history.as_ref().is_some_and(|h| h.confirmed_dead),
        }
    }
}

/// The citation of a spilled row: shared, or citation `i` of the run's [`Citations`]
/// (read back with the row, not kept in memory in between).
#[derive(Clone)]
enum Cite {
    Shared(Arc<Citation>),
    Table(usize),
}

/// One row: in memory, or its result part in the spill file.
#[derive(Clone)]
enum Slot {
    Mem(Box<CitationResult>),
    Spilled {
        citation: Cite,
        at: u64,
        len: u32,
        brief: Brief,
    },
}

impl Slot {
    fn brief(&self) -> Brief {
        match self {
            Slot::Mem(row) => Brief::of(row),
            Slot::Spilled { brief, .. } => *brief,
        }
    }
}

/// The rows of a run, in citation order.
#[derive(Clone, Default)]
pub struct Rows {
    slots: Vec<Slot>,
    file: SpillFile,
    /// The citations of the rows spilled with [`Cite::Table`].
    citations: Option<Arc<Citations>>,
}

impl fmt::Debug for Rows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rows")
            .field("len", &self.slots.len())
            .field("spilled", &self.spilled())
            .finish()
    }
}

/// What is written of a row (the citation stays in memory).
#[derive(Serialize)]
struct RecordOut<'a> {
    link: &'a Option<LinkResult>,
    verdict: Option<Verdict>,
    evidence: &'a Option<Evidence>,
    history: &'a Option<CitationHistory>,
    /// Not part of the JSON of `history`, but the change reports show it.
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_evidence: Option<&'a Evidence>,
    archive: &'a Option<Box<ArchiveCopy>>,
}

#[derive(Deserialize)]
struct RecordIn {
    link: Option<LinkResult>,
    verdict: Option<Verdict>,
    evidence: Option<Evidence>,
    history: Option<CitationHistory>,
    #[serde(default)]
    previous_evidence: Option<Box<Evidence>>,
    archive: Option<Box<ArchiveCopy>>,
}

impl Rows {
    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether there are no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Rows whose result lives in the spill file.
    #[must_use]
    pub fn spilled(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| matches!(s, Slot::Spilled { .. }))
            .count()
    }

    /// The brief of every row, in order, without reading the spill file.
    pub fn briefs(&self) -> impl Iterator<Item = Brief> + '_ {
        self.slots.iter().map(Slot::brief)
    }

    /// Add a row at the end, in memory.
    pub fn push(&mut self, row: CitationResult) {
        self.slots.push(Slot::Mem(Box::new(row)));
    }

    /// The rows in order: borrowed when in memory, read back when spilled. A spilled row
    /// that cannot be read back (the temporary file damaged under us) is given as not
    /// checked, with a warning on stderr, rather than ending the report.
    #[must_use]
    pub fn iter(&self) -> Iter<'_> {
        self.iter_range(0..self.slots.len())
    }

    /// The rows of `range` (clamped to the rows there are), as [`Rows::iter`] gives them:
    /// passes over separate ranges can run side by side (each reads back on its own).
    #[must_use]
    pub fn iter_range(&self, range: std::ops::Range<usize>) -> Iter<'_> {
        let end = range.end.min(self.slots.len());
        Iter {
            rows: self,
            next: range.start.min(end),
            end,
            buf: Bufs::default(),
        }
    }

    /// The rows whose [`Brief`] passes `keep`, in order; only those are read back.
    pub fn select<'a, F: Fn(&Brief) -> bool>(
        &'a self,
        keep: F,
    ) -> impl Iterator<Item = Cow<'a, CitationResult>> + use<'a, F> {
        let mut buf = Bufs::default();
        self.slots
            .iter()
            .filter(move |s| keep(&s.brief()))
            .map(move |s| self.load(s, &mut buf))
    }

    /// The row of `slot`: borrowed, or read back (see [`Rows::iter`]).
    fn load<'a>(&'a self, slot: &'a Slot, buf: &mut Bufs) -> Cow<'a, CitationResult> {
        match slot {
            Slot::Mem(row) => Cow::Borrowed(&**row),
            Slot::Spilled {
                citation, at, len, ..
            } => {
                let citation = match citation {
                    Cite::Shared(c) => Arc::clone(c),
                    Cite::Table(i) => match &self.citations {
                        Some(table) => table.get_or_through(*i, "(URL unknown)", &mut buf.cited),
                        None => Citations::lost("(URL unknown)"),
                    },
                };
                Cow::Owned(
                    self.read(&citation, *at, *len, &mut buf.rows)
                        .unwrap_or_else(|e| {
                            eprintln!(
                                "citecheck: {}: the result of {} could not be read back from \
                                 the temporary spill file: {e}",
                                citation.source, citation.url
                            );
                            CitationResult::unchecked(Arc::clone(&citation))
                        }),
                )
            }
        }
    }

    fn read(
        &self,
        citation: &Arc<Citation>,
        at: u64,
        len: u32,
        buf: &mut ReadBuf,
    ) -> io::Result<CitationResult> {
        let r: RecordIn = self.file.read(at, len, buf)?;
        let mut history = r.history;
        if let Some(h) = &mut history {
            h.previous_evidence = r.previous_evidence;
        }
        Ok(CitationResult {
            citation: Arc::clone(citation),
            link: r.link,
            verdict: r.verdict,
            evidence: r.evidence,
            history,
            archive: r.archive,
        })
    }
}

/// The rows of [`Rows`] in order ([`Rows::iter`]).
pub struct Iter<'a> {
    rows: &'a Rows,
    next: usize,
    end: usize,
    buf: Bufs,
}

/// The read-back buffers of one pass over the rows: rows and their citations were each
/// written in order, so both are read ahead.
#[derive(Default)]
struct Bufs {
    rows: ReadBuf,
    cited: ReadBuf,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Cow<'a, CitationResult>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let slot = self.rows.slots.get(self.next)?;
        self.next += 1;
        Some(self.rows.load(slot, &mut self.buf))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.end - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Rows {
    type Item = Cow<'a, CitationResult>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl From<Vec<CitationResult>> for Rows {
    fn from(rows: Vec<CitationResult>) -> Self {
        rows.into_iter().collect()
    }
}

impl FromIterator<CitationResult> for Rows {
    fn from_iter<I: IntoIterator<Item = CitationResult>>(iter: I) -> Self {
        Rows {
            slots: iter.into_iter().map(|r| Slot::Mem(Box::new(r))).collect(),
            file: SpillFile::default(),
            citations: None,
        }
    }
}

impl Serialize for Rows {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// Takes the finished rows of a run in any order and gives them back as [`Rows`] in
/// citation order; spills all but the first `keep_in_memory` to a temporary file, in
/// batches of about 64 KiB (a row stays in memory until its batch is written).
pub struct Spool {
    slots: Vec<Option<Slot>>,
    keep_in_memory: usize,
    in_memory: usize,
    /// The spill file.
    file: SpillFile,
    /// Spilling was given up (no temporary file, or a write failed).
    given_up: bool,
    /// Records of the rows in `pending`, one after another, not written yet.
    batch: Vec<u8>,
    /// The rows of `batch`: index and row, and each record's length.
    pending: Vec<(usize, CitationResult, u32)>,
    /// The run's citations: a spilled row's citation is read from there (by the row's
    /// index) rather than kept.
    citations: Option<Arc<Citations>>,
}

impl Spool {
    /// A spool for `total` rows that keeps at most `keep_in_memory` in memory.
    #[must_use]
    pub fn new(total: usize, keep_in_memory: usize) -> Self {
        Spool {
            slots: std::iter::repeat_with(|| None).take(total).collect(),
            keep_in_memory,
            in_memory: 0,
            file: SpillFile::default(),
            given_up: false,
            batch: Vec::new(),
            pending: Vec::new(),
            citations: None,
        }
    }

    /// A spool for the rows of `citations` (row `i` cites citation `i`) that keeps at
    /// most `keep_in_memory` rows in memory; a spilled row keeps no citation in memory.
    #[must_use]
    pub fn for_citations(citations: Arc<Citations>, keep_in_memory: usize) -> Self {
        Spool {
            citations: Some(Arc::clone(&citations)),
            ..Spool::new(citations.len(), keep_in_memory)
        }
    }

    /// The number of rows kept in memory from the environment (`CITECHECK_SPILL_AFTER`),
    /// else [`SPILL_AFTER`].
    #[must_use]
    pub fn keep_from_env() -> usize {
        std::env::var("CITECHECK_SPILL_AFTER")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(SPILL_AFTER)
    }

    /// Row `i` is finished. Out of range is a caller's bug and is ignored.
    pub fn put(&mut self, i: usize, row: CitationResult) {
        if i >= self.slots.len() {
            return;
        }
        if self.in_memory < self.keep_in_memory || self.given_up {
            self.keep(i, row);
            return;
        }
        let before = self.batch.len();
        let record = RecordOut {
            link: &row.link,
            verdict: row.verdict,
            evidence: &row.evidence,
            history: &row.history,
            previous_evidence: row
                .history
                .as_ref()
                .and_then(|h| h.previous_evidence.as_deref()),
            archive: &row.archive,
        };
        let len = serde_json::to_writer(&mut self.batch, &record)
            .ok()
            .and_then(|()| u32::try_from(self.batch.len() - before).ok());
        let Some(len) = len else {
            // Not representable as a record (cannot happen for our types): keep it.
            self.batch.truncate(before);
            self.keep(i, row);
            return;
        };
        self.pending.push((i, row, len));
        if self.batch.len() >= BATCH_BYTES {
            self.flush();
        }
    }

    fn keep(&mut self, i: usize, row: CitationResult) {
        self.in_memory += 1;
        self.slots[i] = Some(Slot::Mem(Box::new(row)));
    }

    /// Write the pending batch; its rows become spilled, or on failure stay in memory
    /// (and spilling stops).
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let written = self.file.append(&self.batch);
        let pending = std::mem::take(&mut self.pending);
        self.batch.clear();
        match written {
            Ok(mut at) => {
                for (i, row, len) in pending {
                    let brief = Brief::of(&row);
                    let citation = match self.citations {
                        Some(_) => Cite::Table(i),
                        None => Cite::Shared(row.citation),
                    };
                    self.slots[i] = Some(Slot::Spilled {
                        brief,
                        citation,
                        at,
                        len,
                    });
                    at += u64::from(len);
                }
            }
            Err(e) => {
                if !self.given_up {
                    tracing::warn!(
                        "results are kept in memory: the temporary spill file failed: {e}"
                    );
                }
                self.given_up = true;
                for (i, row, _) in pending {
                    self.keep(i, row);
                }
            }
        }
    }

    /// The finished rows in citation order (rows never finished are left out).
    #[must_use]
    pub fn into_rows(mut self) -> Rows {
        self.flush();
        Rows {
            slots: self.slots.into_iter().flatten().collect(),
            file: self.file,
            citations: self.citations,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {

    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;
    use crate::model::{
        ArchiveReason, Change, Claim, DateSource, Keyword, LinkStatus, Reason, Redirect,
        RedirectKind, SourceSpan,
    };

    /// A row with every field of its result filled, differing by `i`.
    pub(crate) fn row(i: usize) -> CitationResult {
        let when = Utc.with_ymd_and_hms(2026, 11, 1, 8, 30, 0).unwrap();
        let evidence = Evidence {
            matched_keywords: vec![format!("国务院{i}"), "policy".to_owned()],
            missing_keywords: vec!["missing".to_owned()],
            page_date: NaiveDate::from_ymd_opt(2018, 4, 12),
            page_date_source: Some(DateSource::JsonLd),
            claim_date_found: true,
            page_date_in_window: Some(false),
            snippet: Some(format!("…第{i}号 \"quoted\"\n line…")),
            score: 2.0 / 3.0 + i as f64 * 1e-9,
            pdf_page: Some(i),
            notes: vec!["a note".to_owned()],
            reason: Some(Reason::PageDateOutsideWindow),
            page_title: Some("标题 & <title>".to_owned()),
        };
        CitationResult {
            citation: Arc::new(Citation {
                source: SourceSpan {
                    path: std::path::Path::new("reports/a.md").into(),
                    page: None,
                    line: i + 1,
                },
                url: format!("https://example.org/{i}"),
                written_url: format!("https://example.org/{i}"),
                claim: Claim {
                    text: format!("4月12日，国务院 {i}"),
                    keywords: vec![Keyword {
                        term: "国务院".into(),
                        weight: 1.0,
                    }],
                    ..Claim::default()
                },
                context: None,
                repairs: Vec::new(),
                suggestions: Vec::new(),
            }),
            link: Some(LinkResult {
                status: LinkStatus::Redirected,
                http_status: Some(200),
                final_url: Some(format!("https://example.org/{i}/")),
                redirects: vec![Redirect {
                    url: format!("https://example.org/{i}"),
                    status: 301,
                    kind: RedirectKind::Http,
                }],
                reason: None,
                error: Some("cut short".to_owned()),
                elapsed_ms: 17 + i as u64,
                cached: i % 2 == 0,
            }),
            verdict: Some(Verdict::Partial),
            evidence: Some(evidence.clone()),
            history: Some(CitationHistory {
                first_seen: when,
                last_ok: Some(when),
                failing_since: None,
                failures: 2,
                confirmed_dead: i % 3 == 0,
                previous_status: Some(LinkStatus::Ok),
                previous_verdict: Some(Verdict::Supported),
                page_changed: true,
                change: Change::VerdictChanged,
                previous_evidence: Some(Box::new(Evidence {
                    score: 1.0,
                    ..evidence.clone()
                })),
            }),
            archive: Some(Box::new(ArchiveCopy {
                url: Some("https://web.archive.org/web/2018/x".to_owned()),
                timestamp: Some(when),
                status: Some(LinkStatus::Ok),
                verdict: Some(Verdict::Supported),
                evidence: Some(evidence),
                tried: 2,
                reason: Some(ArchiveReason::NoCaptures),
                error: None,
                endpoint: Some("https://web.archive.org".to_owned()),
                elapsed_ms: 5,
                remembered: true,
            })),
        }
    }

    #[test]
    fn spilled_rows_come_back_equal_and_in_citation_order() {
        // Enough rows for several batches of the spill file.
        let n = 300;
        let mut spool = Spool::new(n + 2, 10);
        // Finished out of order, as hosts finish; two rows never finished.
        for i in (0..n).rev() {
            spool.put(i, row(i));
        }
        assert!(spool.file.len() > 0, "batches written");
        let rows = spool.into_rows();
        assert_eq!(rows.len(), n, "unfinished rows are left out");
        assert_eq!(rows.spilled(), n - 10, "all but ten went to the spill file");
        let back: Vec<CitationResult> = rows.iter().map(std::borrow::Cow::into_owned).collect();
        let want: Vec<CitationResult> = (0..n).map(row).collect();
        assert_eq!(back, want, "every field, previous evidence included");
        let briefs: Vec<Brief> = want.iter().map(Brief::of).collect();
        assert_eq!(
            rows.briefs().collect::<Vec<_>>(),
            briefs,
            "briefs kept in memory"
        );
        // A second pass reads the same rows again, and clones share the file.
        let again = rows.clone();
        assert_eq!(again.iter().nth(n - 1).unwrap().into_owned(), row(n - 1));
        // As the JSON report writes them: exactly as from memory.
        let mem: Rows = want.into();
        assert_eq!(mem.spilled(), 0);
        assert_eq!(
            serde_json::to_string(&rows).unwrap(),
            serde_json::to_string(&mem).unwrap()
        );
    }

    #[test]
    fn a_spill_file_that_cannot_be_written_keeps_the_rows_in_memory() {
        let mut spool = Spool::new(3, 0);
        // A spill "file" that refuses writes: a read-only handle.
        let ro = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
        spool.file = SpillFile::over(ro);
        for i in 0..3 {
            spool.put(i, row(i));
        }
        let rows = spool.into_rows();
        assert_eq!(
            rows.spilled(),
            0,
            "nothing claimed spilled that was not written"
        );
        let back: Vec<CitationResult> = rows.iter().map(std::borrow::Cow::into_owned).collect();
        assert_eq!(back, (0..3).map(row).collect::<Vec<_>>());
    }
}
