//! `--changed-since REF` in a real git repository made by the test: only citations on
//! lines added or changed since REF are checked (added, renamed and untracked files
//! whole), the rest are counted as skipped and never fetched; outside a repository or
//! with an unknown REF the run stops with a clear error.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use axum::Router;
use axum::response::Html;
use common::{Server, citecheck};

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .args([
            "-c",
            "user.name=citecheck test",
            "-c",
            "user.email=test@example.org",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn line(url: &str) -> String {
    format!("- On 12 April 2018 the bridge opened, see {url}\n")
}

#[test]
fn only_changed_lines_are_checked() {
    let web = Server::start(Router::new().fallback(|| async {
        Html("<html><body><article><p>The bridge opened on 12 April 2018.</p></article></body></html>")
    }));
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("reports")).unwrap();
    git(root, &["init", "-q"]);
    let u = |p: &str| web.url(p);
    std::fs::write(
        root.join("reports/old.md"),
        [line(&u("/a")), line(&u("/b")), line(&u("/c"))].concat(),
    )
    .unwrap();
    std::fs::write(root.join("reports/moved.md"), line(&u("/m"))).unwrap();
    std::fs::write(root.join("notes.md"), line(&u("/outside"))).unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "base"]);
    git(root, &["tag", "base"]);

    // Change line 2, append line 4, rename one file, add one, and leave one untracked.
    std::fs::write(
        root.join("reports/old.md"),
        [
            line(&u("/a")),
            line(&u("/b2")),
            line(&u("/c")),
            line(&u("/d")),
        ]
        .concat(),
    )
    .unwrap();
    git(root, &["mv", "reports/moved.md", "reports/renamed.md"]);
    std::fs::write(root.join("reports/new.md"), line(&u("/e"))).unwrap();
    std::fs::write(
        root.join("notes.md"),
        [line(&u("/outside")), line(&u("/outside2"))].concat(),
    )
    .unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "change"]);
    std::fs::write(root.join("reports/untracked.md"), line(&u("/f"))).unwrap();

    let out = citecheck()
        .current_dir(root)
        .args([
            "check",
            "reports",
            "--changed-since",
            "base",
            "--allow-private",
        ])
        .args(["--host-rate", "100", "--format", "json", "--no-progress"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let mut checked: Vec<(String, u64)> = doc["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let path = c["source"]["path"].as_str().unwrap().to_owned();
            let file = Path::new(&path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (file, c["source"]["line"].as_u64().unwrap())
        })
        .collect();
    checked.sort();
    assert_eq!(
        checked,
        [
            ("new.md".to_owned(), 1),
            ("old.md".to_owned(), 2),
            ("old.md".to_owned(), 4),
            ("renamed.md".to_owned(), 1),
            ("untracked.md".to_owned(), 1),
        ]
    );
    assert_eq!(
        doc["summary"]["skipped_unchanged"], 2,
        "old.md lines 1 and 3"
    );
    let asked: Vec<String> = web.log.hits().into_iter().map(|h| h.path).collect();
    for p in ["/a", "/c", "/outside", "/outside2"] {
        assert!(!asked.iter().any(|a| a == p), "{p} was fetched: {asked:?}");
    }
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 unchanged, skipped"));

    // The Markdown report says so too.
    let md = citecheck()
        .current_dir(root)
        .args(["extract", "reports", "--changed-since", "HEAD~1"])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(
        md.contains("2 citations on unchanged lines were skipped"),
        "{md}"
    );

    // An unknown revision and a directory outside any repository are clear errors.
    let bad = citecheck()
        .current_dir(root)
        .args(["check", "reports", "--changed-since", "no-such-branch"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("no-such-branch: unknown revision"), "{err}");
    assert!(
        web.log.hits().len() == asked.len(),
        "nothing fetched on error"
    );

    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("r.md"), line(&u("/x"))).unwrap();
    let bad = citecheck()
        .current_dir(outside.path())
        .env("GIT_CEILING_DIRECTORIES", outside.path().parent().unwrap())
        .args(["check", "r.md", "--changed-since", "main"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("needs a git repository"), "{err}");
}
