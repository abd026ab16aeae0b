//! The JSON report (`--format json`), version 1.

use std::io::{self, Write};

use chrono::SecondsFormat;
use serde::Serialize;

use super::{Formatter, Mode, RunReport, Summary};
use crate::model::Rows;
use crate::model::UncitedClaim;
use crate::report::InputError;

/// JSON layout version; bumped only if a field changes meaning or disappears.
pub const JSON_VERSION: u32 = 1;

/// Rows rendered as one piece: two threads render alternate pieces.
const CHUNK_ROWS: usize = 256;

/// Renders [`RunReport`] as one JSON document.
#[derive(Debug, Default, Clone, Copy)]
pub struct Json;

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    generated_at: String,
    mode: Mode,
    complete: bool,
    summary: Summary,
    citations: &'a Rows,
    uncited_claims: &'a [UncitedClaim],
    errors: &'a [InputError],
}

/// The document of `report`, with `citations` as its rows.
fn doc<'a>(report: &'a RunReport, citations: &'a Rows) -> Doc<'a> {
    Doc {
        version: JSON_VERSION,
        generated_at: report
            .generated_at
            .to_rfc3339_opts(SecondsFormat::Secs, true),
        mode: report.mode,
        complete: report.complete,
        summary: report.summary(),
        citations,
        uncited_claims: &report.uncited,
        errors: &report.errors,
    }
}

fn io_error(e: serde_json::Error) -> io::Error {
    match e.io_error_kind() {
        // Keep the kind (a closed pipe must stay recognisable).
        Some(kind) => io::Error::new(kind, e),
        None => io::Error::other(e),
    }
}

/// The citations field of the document written without rows: where the rows go.
const NO_ROWS: &[u8] = b"\n  \"citations\": []";

impl Formatter for Json {
    /// The document `serde_json::to_writer_pretty` writes, byte for byte, but with the
    /// rows (nearly all of a large report) serialised on two threads: the document is
    /// written with no rows, and the rows, rendered in pieces in order, go where its
    /// empty list is ([`Splice`]); what follows them streams through as before.
    fn write(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        // serde_json writes token by token: a buffer of our own takes those small writes
        // without a dynamic call each, and hands `out` large pieces.
        let mut buffered = io::BufWriter::with_capacity(64 * 1024, &mut *out);
        let none = Rows::default();
        let mut splice = Splice {
            out: &mut buffered,
            rows: &report.citations,
            head: Vec::new(),
            spliced: false,
        };
        serde_json::to_writer_pretty(&mut splice, &doc(report, &none)).map_err(io_error)?;
        if !splice.spliced {
            debug_assert!(false, "the JSON document has no empty citations list");
            serde_json::to_writer_pretty(&mut buffered, &doc(report, &report.citations))
                .map_err(io_error)?;
        }
        buffered.write_all(b"\n")?;
        buffered.flush()
    }
}

/// Takes the document written without rows: holds its head until the empty citations
/// list ([`NO_ROWS`]; no string holds a raw newline, so only the top-level field looks
/// like it), writes the rows into it, then passes the rest straight through. Until then
/// nothing reaches `out` (a document without the list is written again, whole).
struct Splice<'a, W: Write> {
    out: W,
    rows: &'a Rows,
    head: Vec<u8>,
    spliced: bool,
}

impl<W: Write> Write for Splice<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.spliced {
            return self.out.write(buf);
        }
        self.head.extend_from_slice(buf);
        if let Some(at) = memchr::memmem::find(&self.head, NO_ROWS) {
            // Up to the list's `[`, its rows, then `]` and what follows.
            let open = at + NO_ROWS.len() - 1;
            self.out.write_all(&self.head[..open])?;
            if !self.rows.is_empty() {
                write_rows(self.rows, &mut self.out)?;
                self.out.write_all(b"\n  ")?;
            }
            self.out.write_all(&self.head[open..])?;
            self.head = Vec::new();
            self.spliced = true;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The rows as elements of the document's `citations` list (each after its separator,
/// indented two levels), rendered in pieces of [`CHUNK_ROWS`]: the odd pieces on a
/// second thread, one piece ahead at most, so memory holds a few pieces, not the rows.
fn write_rows(rows: &Rows, out: &mut impl Write) -> io::Result<()> {
    let pieces = rows.len().div_ceil(CHUNK_ROWS);
    if pieces <= 1 {
        return out.write_all(&render_piece(rows, 0)?);
    }
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let helper = std::thread::Builder::new()
            .name("citecheck-json".to_owned())
            .spawn_scoped(s, move || {
                for piece in (1..pieces).step_by(2) {
                    if tx.send(render_piece(rows, piece)).is_err() {
                        break;
                    }
                }
            });
        // No second thread to be had: every piece here.
        let alone = helper.is_err();
        for piece in 0..pieces {
            let bytes = if alone || piece % 2 == 0 {
                render_piece(rows, piece)?
            } else {
                rx.recv()
                    .map_err(|_| io::Error::other("the thread writing JSON rows stopped"))??
            };
            out.write_all(&bytes)?;
        }
        Ok(())
    })
}

/// Piece `piece` of the rows, as [`write_rows`] writes it.
fn render_piece(rows: &Rows, piece: usize) -> io::Result<Vec<u8>> {
    let start = piece * CHUNK_ROWS;
    let mut out = Vec::with_capacity(CHUNK_ROWS * 2048);
    let mut one = Vec::with_capacity(4096);
    for (i, row) in rows.iter_range(start..start + CHUNK_ROWS).enumerate() {
        out.extend_from_slice(if start + i == 0 {
            b"\n    "
        } else {
            b",\n    "
        });
        one.clear();
        serde_json::to_writer_pretty(&mut one, &*row).map_err(io_error)?;
        // Two levels deep in the document: each line after the first four spaces in.
        let mut from = 0;
        for nl in memchr::memchr_iter(b'\n', &one) {
            out.extend_from_slice(&one[from..=nl]);
            out.extend_from_slice(b"    ");
            from = nl + 1;
        }
        out.extend_from_slice(&one[from..]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::model::{Claim, SourceSpan, Spool, filled_row as row};

    fn report(n: usize, keep_in_memory: usize) -> RunReport {
        let mut spool = Spool::new(n, keep_in_memory);
        for i in 0..n {
            spool.put(i, row(i));
        }
        RunReport {
            mode: Mode::Check,
            generated_at: Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap(),
            complete: true,
            citations: spool.into_rows(),
            unchecked: 0,
            uncited: vec![UncitedClaim {
                source: SourceSpan {
                    path: std::path::Path::new("reports/a.md").into(),
                    page: None,
                    line: 3,
                },
                claim: Claim {
                    text: "“citations”: [] \"citations\": []".to_owned(),
                    ..Claim::default()
                },
                supported_by: None,
                supported_by_url: None,
            }],
            errors: vec![InputError {
                path: "reports/b.md".into(),
                line: Some(2),
                message: "bad\n  \"citations\": []".to_owned(),
            }],
            skipped_files: 0,
            urls: n,
            elapsed_ms: 10,
            skipped_unchanged: 0,
            history_runs: Vec::new(),
        }
    }

    #[test]
    fn rows_rendered_in_pieces_make_the_document_serde_writes() {
        for (n, keep) in [
            (0, 0),
            (1, 0),
            (CHUNK_ROWS, 10),
            (CHUNK_ROWS + 1, CHUNK_ROWS + 1),
            (3 * CHUNK_ROWS + 7, 100),
        ] {
            let report = report(n, keep);
            let mut ours = Vec::new();
            Json.write(&report, &mut ours).unwrap();
            let mut reference =
                serde_json::to_vec_pretty(&doc(&report, &report.citations)).unwrap();
            reference.push(b'\n');
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(reference).unwrap(),
                "{n} rows, {keep} in memory"
            );
        }
    }
}
