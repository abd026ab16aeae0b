//! Matching one claim against one page: keywords, date, verdict and evidence.
//!
//! Keywords are searched in the normalised main text ([`crate::text`]); an English
//! keyword that is not a name also matches in its inflected forms (`signed` ↔ `sign`,
//! [`find_stemmed`]). Their weights give a coverage score compared with a threshold. The date matches when the claim's
//! date is written in the main text in any form ([`crate::dates::find_dates`]) or the
//! page date lies within a window around it. Keywords found only in the page chrome
//! (navigation, sidebar, related lists) are not evidence, but are noted.

use chrono::{Datelike, NaiveDate};

use super::PageInfo;
use crate::dates::date_mentions;
use crate::model::{Claim, Evidence, Reason, Verdict};
use crate::text::{
    contains_term, find_stemmed, find_term, is_stemmable, normalize, normalize_term,
    original_offset,
};

/// Default days a page may be dated before the claim date.
pub const DEFAULT_WINDOW_BEFORE_DAYS: i64 = 7;
/// Default days a page may be dated after the claim date.
pub const DEFAULT_WINDOW_AFTER_DAYS: i64 = 14;
/// Default share of keyword weight that must be found.
pub const DEFAULT_KEYWORD_THRESHOLD: f64 = 0.5;
/// `verify.window_before_days` and `verify.window_after_days`: up to ten years.
pub const WINDOW_DAYS_RANGE: std::ops::RangeInclusive<i64> = 0..=3650;
/// `verify.keyword_threshold`.
pub const KEYWORD_THRESHOLD_RANGE: std::ops::RangeInclusive<f64> = 0.0..=1.0;
/// Characters of context on each side of the best match in the snippet.
const SNIPPET_RADIUS: usize = 60;
/// A month-day mention belongs to the claim's year when the page date is at most this
/// many days before it (a page announcing an event) …
const MONTH_DAY_BEFORE_DAYS: i64 = 60;
/// … or at most this many days after it (a page reporting on it).
const MONTH_DAY_AFTER_DAYS: i64 = 366;

/// Tuning of [`verify`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VerifyOptions {
    /// Days the page date may lie before the claim date (7).
    pub window_before_days: i64,
    /// Days the page date may lie after the claim date (14).
    pub window_after_days: i64,
    /// Share of the claim's keyword weight the main text must hold (0.5).
    pub keyword_threshold: f64,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            window_before_days: DEFAULT_WINDOW_BEFORE_DAYS,
            window_after_days: DEFAULT_WINDOW_AFTER_DAYS,
            keyword_threshold: DEFAULT_KEYWORD_THRESHOLD,
        }
    }
}

/// Whether the claim's date (or any day of its range) is written in `text`.
fn claim_date_in_text(
    claim_date: NaiveDate,
    claim_end: Option<NaiveDate>,
    page_dates: &[NaiveDate],
    text: &str,
) -> bool {
    let end = claim_end.filter(|e| *e >= claim_date).unwrap_or(claim_date);
    let covers = |start: NaiveDate, stop: NaiveDate| start <= end && stop >= claim_date;
    // Mentions are searched only until one matches (the claim's date is often the first).
    date_mentions(text).any(|m| {
        if let Some(start) = m.date() {
            let stop = m.range_end_in(start.year()).unwrap_or(start);
            return covers(start, stop.max(start));
        }
        // A month-day mention: read it in the claim's year, and check that the page's
        // own dates do not put it in another year. Any date the page carries counts
        // (meta, text, URL): a CMS migration can stamp a later date into the metadata
        // while the visible dateline keeps the original one.
        let Some(start) = m.date_in(claim_date.year()) else {
            return false;
        };
        let stop = m.range_end_in(claim_date.year()).unwrap_or(start);
        let year_consistent = page_dates.is_empty()
            || page_dates.iter().any(|p| {
                let delta = (*p - start).num_days();
                (-MONTH_DAY_BEFORE_DAYS..=MONTH_DAY_AFTER_DAYS).contains(&delta)
            });
        year_consistent && covers(start, stop.max(start))
    })
}

/// The best ~120-char passage of `text` around matched terms; `norm` is
/// [`normalize`]`(text)`.
fn snippet(text: &str, norm: &str, terms: &[(String, f64)]) -> Option<String> {
    let mut hits: Vec<(usize, usize, f64)> = Vec::new(); // (offset, term index, weight)
    for (i, (term, weight)) in terms.iter().enumerate() {
        for at in find_term(norm, term).into_iter().take(20) {
            hits.push((at, i, *weight));
        }
    }
    let radius_bytes = SNIPPET_RADIUS * 3;
    let (center, _) = hits
        .iter()
        .map(|&(at, _, _)| {
            let mut seen = Vec::new();
            let score: f64 = hits
                .iter()
                .filter(|(other, i, _)| {
                    other.abs_diff(at) <= radius_bytes && !seen.contains(i) && {
                        seen.push(*i);
                        true
                    }
                })
                .map(|(_, _, w)| w)
                .sum();
            (at, score)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))?;
    let original_at = original_offset(text, center)?;
    let before: Vec<(usize, char)> = text[..original_at]
        .char_indices()
        .rev()
        .take(SNIPPET_RADIUS)
        .collect();
    let start = before.last().map_or(original_at, |(i, _)| *i);
    let end = text[original_at..]
        .char_indices()
        .nth(SNIPPET_RADIUS)
        .map_or(text.len(), |(i, _)| original_at + i);
    let piece = text[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if end < text.len() { "…" } else { "" };
    Some(format!("{prefix}{piece}{suffix}"))
}

/// Decide whether `page` supports `claim`, and say why.
///
/// - `unverifiable`: neither HTML nor a readable PDF, a bot challenge, a soft 404, no main text, or a claim
///   without keywords (nothing to check);
/// - `unsupported`: keyword coverage below the threshold;
/// - `supported`: coverage reached and the date matched (or the claim states no date);
/// - `partial`: coverage reached but the date is missing or contradicts the claim.
#[must_use]
pub fn verify(claim: &Claim, page: &PageInfo, opts: &VerifyOptions) -> (Verdict, Evidence) {
    let mut ev = Evidence {
        page_date: page.page_date,
        page_date_source: page.page_date_source,
        page_title: page.title.clone(),
        ..Evidence::default()
    };
    let unusable = if let Some(e) = &page.pdf_error {
        Some((Reason::PdfUnreadable, format!("PDF not readable: {e}")))
    } else if !page.is_html && !page.is_pdf {
        Some((Reason::NotHtml, "not an HTML page".to_owned()))
    } else if let Some(reason) = &page.challenge {
        Some((Reason::BotChallenge, format!("bot challenge: {reason}")))
    } else if let Some(reason) = &page.soft_404 {
        Some((Reason::Soft404Text, format!("soft 404: {reason}")))
    } else if page.article().trim().is_empty() {
        Some((Reason::NoMainText, "no main text".to_owned()))
    } else {
        None
    };
    if let Some((reason, note)) = unusable {
        ev.notes.push(note);
        ev.reason = Some(reason);
        ev.missing_keywords = claim.keywords.iter().map(|k| k.term.to_string()).collect();
        return (Verdict::Unverifiable, ev);
    }

    // Keywords.
    let article = page.article();
    let main = page.normalized_article();
    // The chrome is normalised only if a keyword is missing from the main text.
    let chrome = std::cell::OnceCell::new();
    let chrome = || chrome.get_or_init(|| normalize(&page.chrome_text));
    let mut total = 0.0;
    let mut found = 0.0;
    let mut matched_terms = Vec::new();
    let mut chrome_only = Vec::new();
    for keyword in &claim.keywords {
        let term = normalize_term(&keyword.term);
        let weight = keyword.weight.max(0.0);
        if term.is_empty() {
            continue;
        }
        total += weight;
        let stemmable = is_stemmable(&keyword.term);
        let found_in =
            |text: &str| contains_term(text, &term) || (stemmable && find_stemmed(text, &term));
        if !found_in(main) {
            if found_in(chrome()) {
                chrome_only.push(keyword.term.to_string());
            }
            ev.missing_keywords.push(keyword.term.to_string());
        } else {
            found += weight;
            ev.matched_keywords.push(keyword.term.to_string());
            matched_terms.push((term, weight));
        }
    }
    if total <= 0.0 {
        ev.notes.push("claim has no keywords to check".to_owned());
        ev.reason = Some(Reason::NoKeywords);
        return (Verdict::Unverifiable, ev);
    }
    ev.score = (found / total).clamp(0.0, 1.0);
    ev.snippet = snippet(&article, main, &matched_terms);
    if page.is_pdf {
        ev.pdf_page = super::pdf::best_page(page, &matched_terms);
        if let Some(p) = ev.pdf_page {
            ev.notes
                .push(format!("PDF document: keywords found on page {p}"));
        }
    }
    if !chrome_only.is_empty() {
        ev.notes.push(format!(
            "only in navigation/sidebar/related links, not evidence: {}",
            chrome_only.join(", ")
        ));
    }
    let terms_ok = ev.score >= opts.keyword_threshold;

    // Date.
    let date_ok = match claim.date {
        None => {
            ev.notes.push("claim states no date".to_owned());
            true
        }
        Some(claim_date) => {
            let page_dates: Vec<NaiveDate> = page
                .page_date
                .into_iter()
                .chain(page.date_candidates.iter().map(|(d, _)| *d))
                .collect();
            ev.claim_date_found =
                claim_date_in_text(claim_date, claim.date_end, &page_dates, &article);
            ev.page_date_in_window = page.page_date.map(|p| {
                let end = claim
                    .date_end
                    .filter(|e| *e >= claim_date)
                    .unwrap_or(claim_date);
                (p - claim_date).num_days() >= -opts.window_before_days
                    && (p - end).num_days() <= opts.window_after_days
            });
            if ev.page_date_in_window == Some(false)
                && let Some(p) = page.page_date
            {
                let days = (p - claim_date).num_days();
                ev.notes.push(format!(
                    "page date {p} is {days} days from the claim date {claim_date}"
                ));
            }
            ev.claim_date_found || ev.page_date_in_window == Some(true)
        }
    };
    let verdict = match (terms_ok, date_ok) {
        (false, _) => {
            ev.reason = Some(Reason::KeywordsMissing);
            Verdict::Unsupported
        }
        (true, true) => Verdict::Supported,
        (true, false) => {
            // The date did not match: the page has no date (and the text lacks the
            // claim's), or its date lies outside the window.
            if page.page_date.is_none() {
                ev.notes.push("claim date not found on the page".to_owned());
                ev.reason = Some(Reason::ClaimDateNotFound);
            } else {
                ev.reason = Some(Reason::PageDateOutsideWindow);
            }
            Verdict::Partial
        }
    };
    (verdict, ev)
}
