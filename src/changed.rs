//! `--changed-since REF`: keep only the citations on lines added or changed since a git
//! revision, so a CI check on a pull request looks at what the pull request touched.
//!
//! Rules: the changes are those of `git diff -U0 REF` (REF against the working tree,
//! so uncommitted edits count), limited to the report paths given; a file added or
//! renamed since REF counts whole, as does a file git does not track yet; in a modified
//! file, the lines of the `+` side of each hunk count. Not being in a git repository, a
//! missing `git`, or a REF that names no commit is a clear error. Paths are compared
//! canonicalised, so `reports/a.md` and `./reports/../reports/a.md` are the same file.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::report::Extraction;

/// Why the changed lines could not be found.
#[derive(Debug, thiserror::Error)]
pub enum ChangedError {
    #[error("--changed-since needs git, which could not be run: {0}")]
    NoGit(#[source] std::io::Error),
    #[error("--changed-since needs a git repository, and {0} is not in one")]
    NotARepository(PathBuf),
    #[error("--changed-since {0}: unknown revision (no commit of that name; fetch it first?)")]
    UnknownRevision(String),
    #[error("git {args} failed: {stderr}")]
    Git { args: String, stderr: String },
}

/// What changed in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    /// Added, renamed or untracked: every line counts.
    Whole,
    /// Modified: these 1-based lines (of the current file) were added or changed.
    Lines(Vec<RangeInclusive<usize>>),
}

/// The changed lines of every changed file, by canonical path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedLines {
    files: HashMap<PathBuf, FileChange>,
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, ChangedError> {
    Command::new("git")
        .current_dir(dir)
        .args(["-c", "core.quotePath=false"])
        .args(args)
        .output()
        .map_err(ChangedError::NoGit)
}

fn git_ok(dir: &Path, args: &[&str]) -> Result<Vec<u8>, ChangedError> {
    let out = git(dir, args)?;
    if !out.status.success() {
        return Err(ChangedError::Git {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(out.stdout)
}

/// Undo git's C-style quoting of a path (`"a\\tb"`, `"\\303\\244"`).
fn unquote(s: &str) -> String {
    let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return s.to_owned();
    };
    let mut bytes = Vec::new();
    let mut it = inner.bytes().peekable();
    while let Some(b) = it.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match it.next() {
            Some(b'n') => bytes.push(b'\n'),
            Some(b't') => bytes.push(b'\t'),
            Some(b'r') => bytes.push(b'\r'),
            Some(d @ b'0'..=b'7') => {
                let mut v = u32::from(d - b'0');
                for _ in 0..2 {
                    if let Some(&n @ b'0'..=b'7') = it.peek() {
                        v = v * 8 + u32::from(n - b'0');
                        it.next();
                    }
                }
                bytes.push(u8::try_from(v).unwrap_or(b'?'));
            }
            Some(other) => bytes.push(other),
            None => bytes.push(b'\\'),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The `+` side of a hunk header `@@ -a,b +c,d @@`: `c..=c+d-1`, or `None` for a pure
/// deletion (`d` = 0).
fn hunk_lines(header: &str) -> Option<RangeInclusive<usize>> {
    let plus = header.split_whitespace().find(|w| w.starts_with('+'))?;
    let plus = &plus[1..];
    let (start, count) = match plus.split_once(',') {
        Some((s, c)) => (s.parse::<usize>().ok()?, c.parse::<usize>().ok()?),
        None => (plus.parse::<usize>().ok()?, 1),
    };
    (count > 0).then(|| start..=start + count - 1)
}

/// Parse `git diff -U0` output run in `root` into changed lines per file.
fn parse_diff(root: &Path, diff: &str, files: &mut HashMap<PathBuf, FileChange>) {
    let mut current: Option<PathBuf> = None;
    let mut whole = false;
    for line in diff.lines() {
        if line.starts_with("diff --git ") {
            current = None;
            whole = false;
        } else if line.starts_with("new file mode") || line.starts_with("rename from ") {
            whole = true;
        } else if let Some(path) = line.strip_prefix("rename to ") {
            // A pure rename has no `+++` line.
            files.insert(canonical(&root.join(unquote(path))), FileChange::Whole);
        } else if let Some(path) = line.strip_prefix("+++ ") {
            if path == "/dev/null" {
                current = None;
                continue;
            }
            let path = unquote(path);
            let path = path.strip_prefix("b/").unwrap_or(&path);
            let p = canonical(&root.join(path));
            if whole {
                files.insert(p.clone(), FileChange::Whole);
            } else {
                files
                    .entry(p.clone())
                    .or_insert(FileChange::Lines(Vec::new()));
            }
            current = Some(p);
        } else if line.starts_with("@@ ")
            && let Some(p) = &current
            && let Some(range) = hunk_lines(line)
            && let Some(FileChange::Lines(v)) = files.get_mut(p)
        {
            v.push(range);
        }
    }
}

impl ChangedLines {
    /// The lines changed since `rev` in the reports under `paths` (relative paths are
    /// taken from the current directory).
    pub fn since(rev: &str, paths: &[PathBuf]) -> Result<Self, ChangedError> {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let top = git(&cwd, &["rev-parse", "--show-toplevel"])?;
        if !top.status.success() {
            return Err(ChangedError::NotARepository(cwd));
        }
        let root =
            PathBuf::from(String::from_utf8_lossy(&top.stdout).trim_end_matches(['\n', '\r']));
        if rev.is_empty() || rev.starts_with('-') {
            return Err(ChangedError::UnknownRevision(rev.to_owned()));
        }
        let commit = format!("{rev}^{{commit}}");
        let verified = git(&cwd, &["rev-parse", "--verify", "--quiet", &commit])?;
        if !verified.status.success() {
            return Err(ChangedError::UnknownRevision(rev.to_owned()));
        }
        let sha = String::from_utf8_lossy(&verified.stdout).trim().to_owned();
        // Pathspecs relative to the root, so the diff's paths and ours agree.
        let root_c = canonical(&root);
        let specs: Vec<String> = paths
            .iter()
            .map(|p| {
                let abs = canonical(&cwd.join(p));
                abs.strip_prefix(&root_c)
                    .map(|r| r.to_string_lossy().into_owned())
                    .unwrap_or_else(|_| abs.to_string_lossy().into_owned())
            })
            .map(|s| if s.is_empty() { ".".to_owned() } else { s })
            .collect();
        let tops: Vec<String> = specs.iter().map(|s| format!(":(top){s}")).collect();
        let mut args = vec![
            "diff",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "--find-renames",
            &sha,
            "--",
        ];
        args.extend(tops.iter().map(String::as_str));
        let diff = git_ok(&root, &args)?;
        let mut files = HashMap::new();
        parse_diff(&root, &String::from_utf8_lossy(&diff), &mut files);
        // Files git does not track yet are new.
        let mut args = vec!["ls-files", "--others", "--exclude-standard", "-z", "--"];
        args.extend(tops.iter().map(String::as_str));
        let untracked = git_ok(&root, &args)?;
        for p in untracked.split(|b| *b == 0).filter(|p| !p.is_empty()) {
            let p = String::from_utf8_lossy(p);
            files.insert(canonical(&root.join(p.as_ref())), FileChange::Whole);
        }
        for change in files.values_mut() {
            if let FileChange::Lines(v) = change {
                v.sort_by_key(|r| *r.start());
            }
        }
        Ok(ChangedLines { files })
    }

    /// Whether line `line` of `path` changed.
    #[must_use]
    pub fn contains(&self, path: &Path, line: usize) -> bool {
        match self.files.get(&canonical(path)) {
            Some(FileChange::Whole) => true,
            Some(FileChange::Lines(ranges)) => {
                // Hunks come sorted and disjoint: the last one starting at or before
                // `line` is the only candidate (a binary search, not a scan, so a
                // large diff times many citations stays n·log n).
                let i = ranges.partition_point(|r| *r.start() <= line);
                i > 0 && ranges[i - 1].contains(&line)
            }
            None => false,
        }
    }

    /// Drop the citations (and uncited claims) on unchanged lines; count the citations
    /// dropped in `extraction.skipped_unchanged`.
    pub fn filter(&self, extraction: &mut Extraction) {
        for d in &mut extraction.documents {
            let before = d.citations.len();
            d.citations
                .retain(|c| self.contains(&c.source.path, c.source.line));
            extraction.skipped_unchanged += before - d.citations.len();
            d.uncited
                .retain(|u| self.contains(&u.source.path, u.source.line));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_inside_hunks_only() {
        let mut files = HashMap::new();
        let p = PathBuf::from("/nonexistent/r.md");
        files.insert(p.clone(), FileChange::Lines(vec![2..=2, 5..=7, 10..=10]));
        let c = ChangedLines { files };
        let hits: Vec<usize> = (1..=11).filter(|l| c.contains(&p, *l)).collect();
        assert_eq!(hits, [2, 5, 6, 7, 10]);
        assert!(!c.contains(Path::new("/nonexistent/other.md"), 2));
    }

    #[test]
    fn hunk_headers_and_quoted_paths() {
        assert_eq!(hunk_lines("@@ -3,0 +4,2 @@ x"), Some(4..=5));
        assert_eq!(hunk_lines("@@ -3 +3 @@"), Some(3..=3));
        assert_eq!(hunk_lines("@@ -3,2 +2,0 @@"), None);
        assert_eq!(unquote("\"a\\tb\\\"c\""), "a\tb\"c");
        assert_eq!(unquote("\"\\346\\212\\245.md\""), "报.md");
        assert_eq!(unquote("plain.md"), "plain.md");
    }
}
