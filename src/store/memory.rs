//! The store as the pipeline's [`Memory`]: what was known before this run, the `--max-age`
//! cache, and each row's history.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::queries::Prior;
use super::{DeadRule, LinkState, Store, advance, describe};
use crate::model::{ArchiveCopy, Citation, CitationResult, LinkResult, PageSnapshot, UrlCheck};
use crate::pipeline::Memory;

/// How history is kept and judged in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryOptions {
    pub dead: DeadRule,
    /// Reuse a reusable check younger than this (`--max-age`); `None`: never.
    pub max_age: Option<Duration>,
    /// The time of the run (`--now`); `None`: the clock.
    pub now: Option<DateTime<Utc>>,
}

/// What earlier runs know, for one run.
pub struct History {
    store: Store,
    prior: Prior,
    options: HistoryOptions,
    started: DateTime<Utc>,
}

impl History {
    /// History for a run starting at `started` over what `prior` holds.
    #[must_use]
    pub fn new(
        store: Store,
        prior: Prior,
        options: HistoryOptions,
        started: DateTime<Utc>,
    ) -> Arc<Self> {
        Arc::new(History {
            store,
            prior,
            options,
            started,
        })
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The URL's state before this run.
    #[must_use]
    pub fn before(&self, url: &str) -> Option<&LinkState> {
        self.prior.links.get(url)
    }

    /// The URL's state after `check` (a reused result is not a new check).
    #[must_use]
    pub fn after(&self, check: &UrlCheck) -> LinkState {
        let prev = self.before(&check.url);
        match prev {
            Some(p) if check.link.cached => p.clone(),
            _ => advance(
                prev,
                check.checked_at,
                check.link.status,
                check.fingerprint.as_deref(),
            ),
        }
    }

    /// The rule for "dead".
    #[must_use]
    pub fn rule(&self) -> DeadRule {
        self.options.dead
    }
}

/// The key a claim is remembered under (its text, whitespace runs as one space).
#[must_use]
pub fn claim_key(citation: &Citation) -> String {
    crate::text::fingerprint(&citation.claim.text)
}

impl Memory for History {
    fn wants_pages(&self) -> bool {
        true
    }

    fn cached<'a>(
        &'a self,
        url: &'a str,
    ) -> futures::future::BoxFuture<'a, Option<(LinkResult, PageSnapshot)>> {
        Box::pin(async move {
            let max_age = self.options.max_age?;
            let not_before = self.started.checked_sub_signed(max_age)?;
            match self.store.cached(url, not_before).await {
                Ok(Some((mut link, page, _))) => {
                    link.cached = true;
                    Some((link, page))
                }
                Ok(None) => None,
                Err(e) => {
                    tracing::warn!("{e}; fetching {url} again");
                    None
                }
            }
        })
    }

    fn archived(&self, url: &str, citation: &Citation) -> Option<ArchiveCopy> {
        let copy = self
            .prior
            .archives
            .get(&(url.to_owned(), claim_key(citation)))?;
        Some(ArchiveCopy {
            remembered: true,
            elapsed_ms: 0,
            ..copy.clone()
        })
    }

    fn now(&self) -> DateTime<Utc> {
        self.options.now.unwrap_or_else(Utc::now)
    }

    fn annotate(&self, check: &UrlCheck, row: &mut CitationResult) {
        let prev = self.before(&check.url);
        let next = self.after(check);
        let previous = self
            .prior
            .claims
            .get(&(check.url.clone(), claim_key(&row.citation)));
        let mut history = describe(
            prev,
            &next,
            check.link.status,
            check.fingerprint.as_deref(),
            previous.map(|(v, _)| *v),
            row.verdict,
            self.options.dead,
        );
        if history.change == crate::model::Change::VerdictChanged {
            history.previous_evidence = previous
                .and_then(|(_, e)| e.as_deref())
                .and_then(|e| serde_json::from_str(e).ok())
                .map(Box::new);
        }
        row.history = Some(history);
    }
}
