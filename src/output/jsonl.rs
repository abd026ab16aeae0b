//! JSON Lines (`--format jsonl`): one object per line, streamed as results arrive.
//!
//! A `run` line first, one `citation` line per citation as soon as it is checked
//! (completion order), then an `end` line with the summary. Every line is flushed when
//! written, so an interrupted or killed run keeps everything checked so far.

use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::json::JSON_VERSION;
use super::{CitationResult, Formatter, Mode, ReportSink, RunReport, Summary};
use crate::model::UncitedClaim;
use crate::pipeline::Listener;
use crate::report::InputError;

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line<'a> {
    Run {
        version: u32,
        mode: Mode,
        generated_at: String,
    },
    Citation(&'a CitationResult),
    End {
        complete: bool,
        summary: Summary,
        uncited_claims: &'a [UncitedClaim],
        errors: &'a [InputError],
    },
}

fn write_line(out: &mut dyn Write, line: &Line<'_>) -> io::Result<()> {
    serde_json::to_writer(&mut *out, line).map_err(|e| match e.io_error_kind() {
        Some(kind) => io::Error::new(kind, e),
        None => io::Error::other(e),
    })?;
    out.write_all(b"\n")?;
    out.flush()
}

fn run_line(mode: Mode, at: DateTime<Utc>) -> Line<'static> {
    Line::Run {
        version: JSON_VERSION,
        mode,
        generated_at: at.to_rfc3339_opts(SecondsFormat::Secs, true),
    }
}

fn end_line(report: &RunReport) -> Line<'_> {
    Line::End {
        complete: report.complete,
        summary: report.summary(),
        uncited_claims: &report.uncited,
        errors: &report.errors,
    }
}

/// Renders a finished [`RunReport`] as JSON Lines (used by `extract`).
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonLines;

impl Formatter for JsonLines {
    fn write(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        write_line(out, &run_line(report.mode, report.generated_at))?;
        for c in &report.citations {
            write_line(out, &Line::Citation(&c))?;
        }
        write_line(out, &end_line(report))
    }
}

/// Streams JSON Lines while `check` runs: a listener of the pipeline.
pub struct JsonLinesStream {
    out: Box<dyn ReportSink>,
    error: Option<io::Error>,
}

impl JsonLinesStream {
    /// Stream to `out`.
    pub fn new(out: Box<dyn ReportSink>) -> Self {
        JsonLinesStream { out, error: None }
    }

    /// Write a line; after the first failure nothing more is written, and the failure is
    /// returned again, so the run stops.
    fn emit(&mut self, line: &Line<'_>) -> io::Result<()> {
        if self.error.is_none()
            && let Err(e) = write_line(&mut *self.out, line)
        {
            self.error = Some(e);
        }
        match &self.error {
            Some(e) => Err(io::Error::new(e.kind(), e.to_string())),
            None => Ok(()),
        }
    }

    /// The output (to commit) and the first write error, if any (writing stops at the
    /// first one).
    pub fn into_parts(self) -> (Box<dyn ReportSink>, Option<io::Error>) {
        (self.out, self.error)
    }
}

impl Listener for JsonLinesStream {
    fn start(&mut self, _urls: usize) -> io::Result<()> {
        self.emit(&run_line(Mode::Check, Utc::now()))
    }

    fn checked(&mut self, result: &CitationResult) -> io::Result<()> {
        self.emit(&Line::Citation(result))
    }

    fn finish(&mut self, report: &RunReport) -> io::Result<()> {
        self.emit(&end_line(report))
    }
}
