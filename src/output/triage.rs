//! What every CI-facing format needs to say about one citation: how serious its result
//! is under `fail_on`, its reason code, a one-line message, and where it stands in the
//! repository.
//!
//! Rules: a result is a *failure* when its link status or verdict is in `fail_on`; a
//! *warning* when it is inconclusive or doubtful but not failing (`blocked`,
//! `soft_404`, `partial`, `unsupported`); a *note* for any other result with a reason
//! (`excluded`, `invalid`, `unverifiable`, a cut body); otherwise it passes. Paths are
//! shown relative to the repository root with `/` separators, as code-scanning tools and
//! GitHub annotations expect.

use std::path::{Component, Path, PathBuf};

use super::CitationResult;
use crate::config::FailOn;
use crate::model::{LinkStatus, Reason, Verdict};

/// How serious one result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Nothing to report.
    Pass,
    /// Worth knowing, nothing to do necessarily.
    Note,
    /// Inconclusive or doubtful, not failing.
    Warning,
    /// In `fail_on`: makes the exit code 1.
    Failure,
}

/// The severity of a citation's result under `fail_on`.
#[must_use]
pub fn severity(c: &CitationResult, fail_on: &FailOn) -> Severity {
    let status = c.link.as_ref().map(|l| l.status);
    if status.is_some_and(|s| fail_on.statuses.contains(&s))
        || c.verdict.is_some_and(|v| fail_on.verdicts.contains(&v))
    {
        return Severity::Failure;
    }
    if matches!(status, Some(LinkStatus::Blocked | LinkStatus::Soft404))
        || matches!(c.verdict, Some(Verdict::Partial | Verdict::Unsupported))
    {
        return Severity::Warning;
    }
    if reason(c).is_some() {
        return Severity::Note;
    }
    Severity::Pass
}

/// The reason code that explains the result best: the link's when it is not alive,
/// else the verdict's, else the link's (a cut body).
#[must_use]
pub fn reason(c: &CitationResult) -> Option<Reason> {
    let link = c.link.as_ref();
    let link_reason = link.and_then(|l| l.reason);
    if link.is_some_and(|l| !l.status.is_alive()) && link_reason.is_some() {
        return link_reason;
    }
    c.evidence
        .as_ref()
        .and_then(|e| e.reason)
        .filter(|r| *r != Reason::NoUsablePage)
        .or(link_reason)
}

/// A one-line, human message: what is wrong and with which URL.
#[must_use]
pub fn message(c: &CitationResult) -> String {
    let mut parts = Vec::new();
    if let Some(l) = &c.link {
        let mut s = format!("link {}", l.status);
        if let Some(code) = l.http_status.filter(|_| !l.status.is_alive()) {
            s.push_str(&format!(", HTTP {code}"));
        }
        if let Some(e) = &l.error {
            s.push_str(&format!(": {e}"));
        }
        parts.push(s);
    }
    if let Some(v) = c.verdict {
        let mut s = format!("claim {v}");
        if let Some(e) = &c.evidence
            && !e.missing_keywords.is_empty()
            && matches!(v, Verdict::Partial | Verdict::Unsupported)
        {
            s.push_str(&format!(" (missing: {})", e.missing_keywords.join(", ")));
        }
        parts.push(s);
    }
    format!("{}: {}", c.citation.url, parts.join("; "))
}

/// The repository root: the nearest ancestor of `start` holding `.git`, if any.
#[must_use]
pub fn find_repo_root(start: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).ok()?;
    start
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// `path` relative to `root` with `/` separators; `path` as given (made absolute
/// against `cwd`) when it lies outside `root`.
#[must_use]
pub fn relative_to(path: &Path, root: &Path, cwd: &Path) -> String {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let absolute = std::fs::canonicalize(&absolute).unwrap_or_else(|_| normalize(&absolute));
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let shown = absolute.strip_prefix(&root).unwrap_or(&absolute);
    shown
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::RootDir => Some(String::new()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Drop `.` and resolve `..` lexically (for paths that do not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Where the report's paths are shown from: the repository root and the directory
/// relative paths were given in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub root: PathBuf,
    pub cwd: PathBuf,
}

impl Location {
    /// The repository root around the current directory (or the current directory).
    #[must_use]
    pub fn current() -> Self {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let root = find_repo_root(&cwd).unwrap_or_else(|| cwd.clone());
        Location { root, cwd }
    }

    /// `path` relative to the repository root.
    #[must_use]
    pub fn show(&self, path: &Path) -> String {
        relative_to(path, &self.root, &self.cwd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_root_with_slashes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("reports/sub")).unwrap();
        std::fs::write(root.join("reports/sub/a.md"), "x").unwrap();
        let sub = root.join("reports");
        assert_eq!(
            find_repo_root(&sub).unwrap(),
            std::fs::canonicalize(root).unwrap()
        );
        let loc = Location {
            root: root.to_path_buf(),
            cwd: sub.clone(),
        };
        assert_eq!(loc.show(Path::new("sub/a.md")), "reports/sub/a.md");
        assert_eq!(loc.show(Path::new("./sub/../sub/a.md")), "reports/sub/a.md");
        assert_eq!(loc.show(&root.join("reports/sub/a.md")), "reports/sub/a.md");
        assert_eq!(loc.show(Path::new("missing/b.md")), "reports/missing/b.md");
        let outside = loc.show(Path::new("/etc/hostname"));
        assert_eq!(outside, "/etc/hostname");
    }
}
