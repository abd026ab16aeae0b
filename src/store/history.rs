//! The rules of memory across runs, as pure functions: how one check moves a URL's state
//! (consecutive failures, since when, last success, main-text fingerprint), when a link
//! is confirmed dead, and how a citation's result changed since the previous run.
//!
//! The rule for "dead" is InternetArchiveBot's: a link is dead only after
//! [`DeadRule::failures`] consecutive failed checks whose first and last lie at least
//! [`DeadRule::days`] apart. A dead check is `broken`, `unreachable`, `timeout` or
//! `soft_404`; an alive one (`ok`, `redirected`) resets the count; `blocked` is
//! inconclusive and neither counts nor resets; `excluded` and `invalid` never reach the
//! network and are not checks of the link at all.

use chrono::{DateTime, Duration, Utc};

use crate::model::{Change, CitationHistory, LinkStatus, Verdict};

/// Default consecutive failures before a link is confirmed dead (`history.dead_after_failures`).
pub const DEFAULT_DEAD_AFTER_FAILURES: u32 = 3;
/// Default days between the first and the last of them (`history.dead_after_days`).
pub const DEFAULT_DEAD_AFTER_DAYS: u32 = 3;
/// Accepted range of `history.dead_after_failures`.
pub const DEAD_AFTER_FAILURES_RANGE: std::ops::RangeInclusive<u32> = 1..=1000;
/// Accepted range of `history.dead_after_days`.
pub const DEAD_AFTER_DAYS_RANGE: std::ops::RangeInclusive<u32> = 0..=3650;

/// When repeated failures confirm a link dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadRule {
    pub failures: u32,
    pub days: u32,
}

impl Default for DeadRule {
    fn default() -> Self {
        DeadRule {
            failures: DEFAULT_DEAD_AFTER_FAILURES,
            days: DEFAULT_DEAD_AFTER_DAYS,
        }
    }
}

impl DeadRule {
    /// Whether `state` is confirmed dead.
    #[must_use]
    pub fn confirms(self, state: &LinkState) -> bool {
        state.failures >= self.failures
            && state.failing_since.is_some_and(|since| {
                state
                    .last_failure
                    .is_some_and(|last| last - since >= Duration::days(i64::from(self.days)))
            })
    }
}

/// What the store knows about one URL after its latest check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkState {
    pub first_seen: DateTime<Utc>,
    pub last_checked: DateTime<Utc>,
    pub last_ok: Option<DateTime<Utc>>,
    /// The first of the current run of consecutive failures.
    pub failing_since: Option<DateTime<Utc>>,
    /// The last of them.
    pub last_failure: Option<DateTime<Utc>>,
    /// Consecutive dead checks (`blocked` in between neither counts nor resets).
    pub failures: u32,
    pub last_status: Option<LinkStatus>,
    /// Fingerprint of the main text at the last check that read the page.
    pub fingerprint: Option<String>,
}

/// Whether a status is a dead check of the link.
#[must_use]
pub fn is_dead(status: LinkStatus) -> bool {
    matches!(
        status,
        LinkStatus::Broken | LinkStatus::Unreachable | LinkStatus::Timeout | LinkStatus::Soft404
    )
}

/// Whether a status is a check of the link at all (it reached the network).
#[must_use]
pub fn is_check(status: LinkStatus) -> bool {
    !matches!(status, LinkStatus::Excluded | LinkStatus::Invalid)
}

/// The state after one check at `now` with `status` (and the page's fingerprint, when
/// a page was read). `prev` is `None` for a URL never checked before.
#[must_use]
pub fn advance(
    prev: Option<&LinkState>,
    now: DateTime<Utc>,
    status: LinkStatus,
    fingerprint: Option<&str>,
) -> LinkState {
    let mut next = prev.cloned().unwrap_or(LinkState {
        first_seen: now,
        last_checked: now,
        last_ok: None,
        failing_since: None,
        last_failure: None,
        failures: 0,
        last_status: None,
        fingerprint: None,
    });
    if !is_check(status) {
        return next;
    }
    next.last_checked = now;
    next.last_status = Some(status);
    if status.is_alive() {
        next.failures = 0;
        next.failing_since = None;
        next.last_failure = None;
        next.last_ok = Some(now);
    } else if is_dead(status) {
        next.failures = next.failures.saturating_add(1);
        next.failing_since.get_or_insert(now);
        next.last_failure = Some(now);
    }
    if let Some(f) = fingerprint {
        next.fingerprint = Some(f.to_owned());
    }
    next
}

/// A citation's history given the URL's state before and after this run's check.
#[must_use]
pub fn describe(
    prev: Option<&LinkState>,
    next: &LinkState,
    status: LinkStatus,
    fingerprint: Option<&str>,
    previous_verdict: Option<Verdict>,
    verdict: Option<Verdict>,
    rule: DeadRule,
) -> CitationHistory {
    let page_changed = match (prev.and_then(|p| p.fingerprint.as_deref()), fingerprint) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    };
    let was_failing = prev.is_some_and(|p| p.failures > 0);
    let change = match prev {
        None => Change::NewLink,
        Some(_) if is_dead(status) && was_failing => Change::StillFailing,
        Some(_) if is_dead(status) => Change::NewFailure,
        Some(_) if status.is_alive() && was_failing => Change::Recovered,
        Some(_) => match (previous_verdict, verdict) {
            (Some(a), Some(b)) if a != b => Change::VerdictChanged,
            _ => Change::Unchanged,
        },
    };
    CitationHistory {
        first_seen: next.first_seen,
        last_ok: next.last_ok,
        failing_since: next.failing_since,
        failures: next.failures,
        confirmed_dead: rule.confirms(next),
        previous_status: prev.and_then(|p| p.last_status),
        previous_verdict,
        page_changed,
        change,
        previous_evidence: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap() + Duration::days(n)
    }

    fn run(statuses: &[(i64, LinkStatus)]) -> LinkState {
        let mut state = None;
        for &(d, s) in statuses {
            state = Some(advance(state.as_ref(), day(d), s, None));
        }
        state.unwrap()
    }

    #[test]
    fn dead_needs_repeated_failures_over_days() {
        let rule = DeadRule::default();
        use LinkStatus::{Blocked, Broken, Ok, Timeout};
        assert!(!rule.confirms(&run(&[(0, Broken)])));
        assert!(!rule.confirms(&run(&[(0, Broken), (1, Broken), (2, Broken)])));
        assert!(rule.confirms(&run(&[(0, Broken), (2, Timeout), (4, Broken)])));
        assert!(!rule.confirms(&run(&[(0, Broken), (2, Ok), (4, Broken), (5, Broken)])));
        // blocked neither counts nor resets
        let s = run(&[(0, Broken), (2, Blocked), (3, Broken), (4, Blocked)]);
        assert_eq!(s.failures, 2);
        assert!(!rule.confirms(&s));
        assert!(rule.confirms(&run(&[(0, Broken), (2, Blocked), (3, Broken), (4, Broken)])));
        assert!(!rule.confirms(&run(&[
            (0, Blocked),
            (2, Blocked),
            (4, Blocked),
            (6, Blocked)
        ])));
    }

    #[test]
    fn excluded_is_not_a_check() {
        let s = run(&[(0, LinkStatus::Broken), (5, LinkStatus::Excluded)]);
        assert_eq!(s.last_checked, day(0));
        assert_eq!(s.failures, 1);
    }

    #[test]
    fn changes() {
        let rule = DeadRule::default();
        let ok = run(&[(0, LinkStatus::Ok)]);
        let failing = run(&[(0, LinkStatus::Broken)]);
        let next = |p: &LinkState, s| advance(Some(p), day(1), s, None);
        let c = |p: &LinkState, s, pv, v| describe(Some(p), &next(p, s), s, None, pv, v, rule);
        use Verdict::{Supported, Unsupported, Unverifiable};
        assert_eq!(
            describe(
                None,
                &run(&[(0, LinkStatus::Ok)]),
                LinkStatus::Ok,
                None,
                None,
                None,
                rule
            )
            .change,
            Change::NewLink
        );
        let broken = LinkStatus::Broken;
        let alive = LinkStatus::Ok;
        assert_eq!(c(&ok, broken, None, None).change, Change::NewFailure);
        assert_eq!(c(&failing, broken, None, None).change, Change::StillFailing);
        assert_eq!(c(&failing, alive, None, None).change, Change::Recovered);
        let v = c(&ok, alive, Some(Supported), Some(Unsupported));
        assert_eq!(v.change, Change::VerdictChanged);
        assert_eq!(v.previous_verdict, Some(Supported));
        assert_eq!(
            c(&ok, alive, Some(Supported), Some(Supported)).change,
            Change::Unchanged
        );
        let d = c(&ok, broken, Some(Supported), Some(Unverifiable));
        assert_eq!(
            (d.change, d.previous_status),
            (Change::NewFailure, Some(alive))
        );
    }

    #[test]
    fn page_changed_compares_fingerprints() {
        let rule = DeadRule::default();
        let a = advance(None, day(0), LinkStatus::Ok, Some("a"));
        let b = advance(Some(&a), day(1), LinkStatus::Ok, Some("b"));
        let h = describe(Some(&a), &b, LinkStatus::Ok, Some("b"), None, None, rule);
        assert!(h.page_changed);
        let same = describe(Some(&a), &a, LinkStatus::Ok, Some("a"), None, None, rule);
        assert!(!same.page_changed);
        // a check that read no page keeps the last fingerprint and says nothing changed
        let c = advance(Some(&b), day(2), LinkStatus::Broken, None);
        assert_eq!(c.fingerprint.as_deref(), Some("b"));
    }
}
