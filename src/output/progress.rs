//! Progress on stderr: a bar when stderr is a terminal, one summary line otherwise.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::RunReport;
use crate::pipeline::Listener;

/// The progress display of `citecheck check`.
pub struct StderrProgress {
    bar: Option<ProgressBar>,
}

impl StderrProgress {
    /// A bar if `enabled` and stderr is a terminal; otherwise only the closing line.
    #[must_use]
    pub fn new(enabled: bool) -> Self {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{bar:25}] {pos}/{len} URLs · {elapsed_precise} (ETA {eta}) · {per_sec} · {msg}",
                )
                .expect("the template is valid")
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar.set_message("0 failing");
            bar
        });
        StderrProgress { bar }
    }
}

/// The one-line summary printed at the end of a run.
#[must_use]
pub fn summary_line(report: &RunReport) -> String {
    let s = report.summary();
    let statuses: Vec<String> = s
        .by_status
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    let verdicts: Vec<String> = s
        .by_verdict
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    let mut line = format!(
        "citecheck: {} citations, {} URLs in {:.1} s: {}",
        s.citations,
        s.urls,
        s.elapsed_ms as f64 / 1000.0,
        if statuses.is_empty() {
            "nothing checked".to_owned()
        } else {
            statuses.join(", ")
        }
    );
    if !verdicts.is_empty() {
        line.push_str(&format!("; verdicts: {}", verdicts.join(", ")));
    }
    if s.skipped_unchanged > 0 {
        line.push_str(&format!("; {} unchanged, skipped", s.skipped_unchanged));
    }
    if !report.complete {
        line.push_str(&format!("; INTERRUPTED, {} not checked", report.unchecked));
    }
    if s.errors > 0 {
        line.push_str(&format!("; {} input errors", s.errors));
    }
    line
}

impl Listener for StderrProgress {
    fn start(&mut self, urls: usize) -> std::io::Result<()> {
        if let Some(b) = &self.bar {
            b.set_length(urls as u64);
        }
        Ok(())
    }

    fn url_done(&mut self, failing: usize) {
        if let Some(b) = &self.bar {
            b.inc(1);
            b.set_message(format!("{failing} failing"));
        }
    }

    fn finish(&mut self, report: &RunReport) -> std::io::Result<()> {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
        eprintln!("{}", summary_line(report));
        Ok(())
    }
}
