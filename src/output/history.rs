//! The documents of the history commands (`runs`, `history`, `diff`, `prune`): stable
//! JSON, and Markdown for people.

use std::io::{self, Write};

use serde::Serialize;

use super::markdown::cell as bounded_cell;

fn cell(text: &str) -> String {
    bounded_cell(text, 200)
}
use crate::store::queries::{CitationState, Diff, DiffEntry, Pruned, RunRow, TimelineEntry};

/// One history command's answer.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Doc {
    /// `{"runs": [...]}`
    Runs(Vec<RunRow>),
    /// `{"url": "...", "checks": [...]}`
    History {
        url: String,
        checks: Vec<TimelineEntry>,
    },
    /// `{"from": {...}, "to": {...}, "new_failures": [...], ...}`
    Diff(Box<Diff>),
    /// `{"pruned": {"runs", "checks", "citations"}}`
    Pruned(Pruned),
}

#[derive(Serialize)]
struct RunsDoc<'a> {
    runs: &'a [RunRow],
}

#[derive(Serialize)]
struct PrunedDoc<'a> {
    pruned: &'a Pruned,
}

impl Doc {
    /// The JSON document (`runs` and `prune` wrap their rows in an object).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Doc::Runs(runs) => serde_json::to_value(RunsDoc { runs }),
            Doc::Pruned(pruned) => serde_json::to_value(PrunedDoc { pruned }),
            other => serde_json::to_value(other),
        }
        .unwrap_or_default()
    }

    /// A readable summary.
    pub fn write_markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        match self {
            Doc::Runs(runs) => {
                writeln!(out, "# Recorded runs\n")?;
                if runs.is_empty() {
                    return writeln!(out, "No runs recorded yet.");
                }
                writeln!(
                    out,
                    "| Run | Started | Finished | Citations | Failing | Complete |"
                )?;
                writeln!(out, "|---:|---|---|---:|---:|---|")?;
                for r in runs {
                    writeln!(
                        out,
                        "| {} | {} | {} | {} | {} | {} |",
                        r.id,
                        r.started_at.format("%Y-%m-%d %H:%M UTC"),
                        r.finished_at.map_or("—".to_owned(), |t| t
                            .format("%Y-%m-%d %H:%M UTC")
                            .to_string()),
                        r.citations,
                        r.failures,
                        match (r.complete, r.items) {
                            (true, _) => "yes".to_owned(),
                            // A distributed run: how far its work items are.
                            (false, Some(p)) => format!(
                                "no ({} done, {} leased, {} left, {} failed items)",
                                p.done, p.leased, p.left, p.failed
                            ),
                            (false, None) => "no (interrupted)".to_owned(),
                        }
                    )?;
                }
                Ok(())
            }
            Doc::History { url, checks } => {
                writeln!(out, "# History of {}\n", cell(url))?;
                if checks.is_empty() {
                    return writeln!(out, "Never checked.");
                }
                writeln!(
                    out,
                    "| Checked | Run | Status | HTTP | Verdicts | Page changed |"
                )?;
                writeln!(out, "|---|---:|---|---:|---|---|")?;
                for c in checks {
                    writeln!(
                        out,
                        "| {} | {} | {}{} | {} | {} | {} |",
                        c.checked_at.format("%Y-%m-%d %H:%M UTC"),
                        c.run,
                        c.status,
                        if c.cached { " (cached)" } else { "" },
                        c.http_status.map_or("—".to_owned(), |h| h.to_string()),
                        if c.verdicts.is_empty() {
                            "—".to_owned()
                        } else {
                            c.verdicts.join(", ")
                        },
                        if c.page_changed { "yes" } else { "no" }
                    )?;
                }
                Ok(())
            }
            Doc::Diff(d) => write_diff(d, out),
            Doc::Pruned(p) => writeln!(
                out,
                "Pruned {} runs, {} checks and {} citation rows.",
                p.runs, p.checks, p.citations
            ),
        }
    }
}

fn state(s: Option<&CitationState>) -> String {
    match s {
        None => "—".to_owned(),
        Some(s) => {
            let mut text = s.status.clone().unwrap_or_else(|| "—".to_owned());
            if let Some(v) = &s.verdict {
                text.push_str(" / ");
                text.push_str(v);
            }
            if let Some(r) = &s.reason {
                text.push_str(&format!(" (`{r}`)"));
            }
            text
        }
    }
}

fn write_diff(d: &Diff, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "# Changes from run {} ({}) to run {} ({})\n",
        d.from.id,
        d.from.started_at.format("%Y-%m-%d"),
        d.to.id,
        d.to.started_at.format("%Y-%m-%d")
    )?;
    let sections: [(&str, &[DiffEntry]); 5] = [
        ("New failures", &d.new_failures),
        ("Recovered", &d.recovered),
        ("Verdicts changed", &d.verdict_changes),
        ("New citations", &d.new_citations),
        ("Removed citations", &d.removed_citations),
    ];
    for (title, entries) in sections {
        writeln!(out, "## {title} ({})\n", entries.len())?;
        if entries.is_empty() {
            writeln!(out, "None.\n")?;
            continue;
        }
        writeln!(out, "| Where | URL | Before | After | Claim |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for e in entries {
            writeln!(
                out,
                "| {}:{} | {} | {} | {} | {} |",
                cell(&e.path),
                e.line,
                cell(&e.url),
                cell(&state(e.before.as_ref())),
                cell(&state(e.after.as_ref())),
                cell(&e.claim)
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}
