//! The JUnit XML report (`--format junit`), for CI systems that show test results.
//!
//! One test suite per report file, one test case per citation (`name` = `line N: URL`,
//! `classname` = the report path relative to the repository root). A citation whose
//! result is in `fail_on` is a failure whose `type` is its reason code and whose message
//! is the short human one; a link never sent (excluded, invalid but not failing) is
//! skipped; every other citation passes (warnings go to its `system-out`). Written with
//! quick-junit, which escapes text and drops characters XML cannot hold.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::triage::{Location, Severity, message, reason, severity};
use super::{CitationResult, Formatter, Mode, RunReport};
use crate::config::FailOn;
use crate::model::LinkStatus;

/// Renders [`RunReport`] as JUnit XML.
#[derive(Debug, Clone)]
pub struct Junit {
    pub fail_on: FailOn,
    pub location: Location,
}

impl Junit {
    fn case(&self, c: &CitationResult, mode: Mode) -> TestCase {
        let name = format!("line {}: {}", c.citation.source.line, c.citation.url);
        let sev = severity(c, &self.fail_on);
        let code = reason(c).map_or_else(|| "failing".to_owned(), |r| r.as_str().to_owned());
        let unsent = c
            .link
            .as_ref()
            .is_some_and(|l| matches!(l.status, LinkStatus::Excluded | LinkStatus::Invalid));
        let status = if mode == Mode::Extract {
            let mut s = TestCaseStatus::skipped();
            s.set_message("not checked (extract)");
            s
        } else if sev == Severity::Failure {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type(code.as_str()).set_message(message(c));
            if let Some(ev) = &c.evidence {
                s.set_description(ev.notes.join("\n"));
            }
            s
        } else if unsent {
            let mut s = TestCaseStatus::skipped();
            s.set_message(message(c));
            s
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new(name, status);
        case.set_classname(self.location.show(&c.citation.source.path));
        if let Some(l) = &c.link {
            case.set_time(Duration::from_millis(l.elapsed_ms));
        }
        if sev == Severity::Warning {
            case.set_system_out(format!("{code}: {}", message(c)));
        }
        case
    }
}

impl Formatter for Junit {
    fn write(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        let mut by_file: BTreeMap<String, Vec<std::borrow::Cow<'_, CitationResult>>> =
            BTreeMap::new();
        for c in &report.citations {
            by_file
                .entry(self.location.show(&c.citation.source.path))
                .or_default()
                .push(c);
        }
        let mut junit = Report::new("citecheck");
        junit.set_timestamp(report.generated_at.fixed_offset());
        junit.set_time(Duration::from_millis(report.elapsed_ms));
        for (path, citations) in by_file {
            let mut suite = TestSuite::new(path);
            suite.set_timestamp(report.generated_at.fixed_offset());
            suite.add_test_cases(citations.iter().map(|c| self.case(c, report.mode)));
            junit.add_test_suite(suite);
        }
        if !report.errors.is_empty() {
            // Unreadable reports are errors of the run, not of a citation.
            let mut suite = TestSuite::new("citecheck input errors");
            for e in &report.errors {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                s.set_type("input_error").set_message(e.message.clone());
                let mut case = TestCase::new(self.location.show(&e.path), s);
                case.set_classname("input");
                suite.add_test_case(case);
            }
            junit.add_test_suite(suite);
        }
        junit.serialize(&mut *out).map_err(io::Error::other)?;
        out.write_all(b"\n")
    }
}
