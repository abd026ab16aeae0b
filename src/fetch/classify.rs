//! The synchronous arithmetic of fetching: which status an answer means, which failures
//! are worth a retry, how long to wait before one.

use std::error::Error as _;
use std::time::{Duration, SystemTime};

use crate::model::LinkStatus;

use super::guard::PrivateAddress;

/// The link status of a final (non-redirect) HTTP status code.
#[must_use]
pub(crate) fn status_for_code(code: u16) -> LinkStatus {
    match code {
        200..=299 => LinkStatus::Ok,
        401 | 403 | 429 => LinkStatus::Blocked,
        // A 3xx without a usable Location, 1xx, 4xx, 5xx and non-standard codes.
        _ => LinkStatus::Broken,
    }
}

/// Whether an HTTP status is worth retrying.
#[must_use]
pub(crate) fn is_transient_code(code: u16) -> bool {
    matches!(code, 408 | 429 | 500..=599)
}

/// Parse `Retry-After`: delay-seconds or an HTTP date (a date in the past means now).
#[must_use]
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Exponential backoff before retry number `attempt` (0-based): `base · 2^attempt`,
/// scaled by `0.5 + jitter` where `jitter` is uniform in `0..1` ("equal jitter").
#[must_use]
pub(crate) fn backoff(base: Duration, attempt: u32, jitter: f64) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.min(16));
    exp.mul_f64(0.5 + jitter.clamp(0.0, 1.0))
}

/// What a transport error means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ErrorClass {
    pub(crate) status: LinkStatus,
    pub(crate) transient: bool,
    pub(crate) message: String,
}

/// Classify a reqwest error by walking its source chain.
pub(crate) fn classify_error(err: &reqwest::Error) -> ErrorClass {
    let mut source = err.source();
    let mut detail = Vec::new();
    while let Some(e) = source {
        if let Some(p) = e.downcast_ref::<PrivateAddress>() {
            return ErrorClass {
                status: LinkStatus::Excluded,
                transient: false,
                message: p.to_string(),
            };
        }
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            if h.is_parse() || h.is_parse_status() {
                return ErrorClass {
                    status: LinkStatus::Broken,
                    transient: false,
                    message: format!("invalid HTTP response: {h}"),
                };
            }
            if h.is_incomplete_message() || h.is_body_write_aborted() {
                return ErrorClass {
                    status: LinkStatus::Unreachable,
                    transient: true,
                    message: format!("connection closed mid-response: {h}"),
                };
            }
        }
        let s = e.to_string();
        if detail.last() != Some(&s) {
            detail.push(s);
        }
        source = e.source();
    }
    let detail = if detail.is_empty() {
        err.to_string()
    } else {
        detail.join(": ")
    };
    if err.is_timeout() {
        return ErrorClass {
            status: LinkStatus::Timeout,
            transient: true,
            message: format!("timed out: {detail}"),
        };
    }
    let lower = detail.to_ascii_lowercase();
    let (what, transient) = if lower.contains("name or service not known")
        || lower.contains("no address associated")
        || lower.contains("nodename nor servname")
    {
        // The name does not exist: asking again will not help.
        ("DNS: no such host", false)
    } else if lower.contains("dns") || lower.contains("failed to lookup") {
        ("DNS lookup failed", true)
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        ("TLS failed", false)
    } else if lower.contains("refused") {
        ("connection refused", true)
    } else if lower.contains("reset") {
        ("connection reset", true)
    } else if err.is_connect() {
        ("connection failed", true)
    } else if lower.contains("end of file before message length")
        || lower.contains("incomplete message")
    {
        ("connection closed mid-body", true)
    } else if err.is_body() || err.is_decode() {
        ("response body failed", true)
    } else {
        ("request failed", true)
    };
    ErrorClass {
        status: LinkStatus::Unreachable,
        transient,
        message: format!("{what}: {detail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_statuses() {
        let cases = [
            (200, LinkStatus::Ok),
            (204, LinkStatus::Ok),
            (401, LinkStatus::Blocked),
            (403, LinkStatus::Blocked),
            (429, LinkStatus::Blocked),
            (404, LinkStatus::Broken),
            (410, LinkStatus::Broken),
            (400, LinkStatus::Broken),
            (500, LinkStatus::Broken),
            (503, LinkStatus::Broken),
            (999, LinkStatus::Broken),
        ];
        for (code, want) in cases {
            assert_eq!(status_for_code(code), want, "{code}");
        }
        assert!(is_transient_code(408) && is_transient_code(429) && is_transient_code(502));
        assert!(!is_transient_code(404) && !is_transient_code(403));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(parse_retry_after("5", now), Some(Duration::from_secs(5)));
        assert_eq!(parse_retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(30)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        let base = Duration::from_millis(500);
        assert_eq!(backoff(base, 0, 0.5), Duration::from_millis(500));
        assert_eq!(backoff(base, 1, 0.5), Duration::from_millis(1000));
        assert_eq!(backoff(base, 2, 0.0), Duration::from_millis(1000));
        assert_eq!(backoff(base, 2, 1.0), Duration::from_millis(3000));
        assert!(backoff(base, 40, 1.0) > Duration::from_secs(1000));
    }
}
