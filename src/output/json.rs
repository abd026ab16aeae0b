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

impl Formatter for Json {
    fn write(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        let doc = Doc {
            version: JSON_VERSION,
            generated_at: report
                .generated_at
                .to_rfc3339_opts(SecondsFormat::Secs, true),
            mode: report.mode,
            complete: report.complete,
            summary: report.summary(),
            citations: &report.citations,
            uncited_claims: &report.uncited,
            errors: &report.errors,
        };
        // serde_json writes token by token: a buffer of our own takes those small writes
        // without a dynamic call each, and hands `out` large pieces.
        let mut buffered = io::BufWriter::with_capacity(64 * 1024, &mut *out);
        serde_json::to_writer_pretty(&mut buffered, &doc).map_err(|e| match e.io_error_kind() {
            // Keep the kind (a closed pipe must stay recognisable).
            Some(kind) => io::Error::new(kind, e),
            None => io::Error::other(e),
        })?;
        buffered.write_all(b"\n")?;
        buffered.flush()
    }
}
