//! The synchronous arithmetic of fetching: which status an answer means, which failures
//! are worth a retry, how long to wait before one.
//!
//! Transport errors are classified by the types in their source chain: our own
//! [`PrivateAddress`] and [`DnsError`], `rustls::Error`, `hyper::Error` kinds and
//! `std::io::ErrorKind`; never by searching their text. Each class carries a stable
//! [`Reason`] and a short human message.

use std::error::Error as StdError;
use std::io;
use std::time::{Duration, SystemTime};

use crate::model::{LinkStatus, Reason};

use super::dns::DnsError;
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
    pub(crate) reason: Reason,
    pub(crate) transient: bool,
    pub(crate) message: String,
}

impl ErrorClass {
    fn new(
        status: LinkStatus,
        reason: Reason,
        transient: bool,
        message: impl Into<String>,
    ) -> Self {
        ErrorClass {
            status,
            reason,
            transient,
            message: message.into(),
        }
    }
}

/// The next error of a source chain. `io::Error::source` skips the error it wraps
/// (a rustls error inside an `io::Error`, say), so that one is taken first.
fn next_source<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    if let Some(io) = e.downcast_ref::<io::Error>()
        && let Some(inner) = io.get_ref()
    {
        return Some(inner);
    }
    e.source()
}

/// What one error of the chain means, if its type says so.
fn classify_one(e: &(dyn StdError + 'static)) -> Option<ErrorClass> {
    use LinkStatus::{Broken, Excluded, Timeout, Unreachable};
    if let Some(p) = e.downcast_ref::<PrivateAddress>() {
        return Some(ErrorClass::new(
            Excluded,
            Reason::PrivateAddress,
            false,
            p.to_string(),
        ));
    }
    if let Some(d) = e.downcast_ref::<DnsError>() {
        // A name that does not exist will not exist on the next attempt either.
        return Some(ErrorClass::new(
            Unreachable,
            d.reason(),
            !d.no_such_host,
            d.to_string(),
        ));
    }
    if let Some(t) = e.downcast_ref::<rustls::Error>() {
        return Some(ErrorClass::new(
            Unreachable,
            Reason::Tls,
            false,
            format!("TLS: {t}"),
        ));
    }
    if let Some(h) = e.downcast_ref::<hyper::Error>() {
        if h.is_parse() || h.is_parse_status() {
            return Some(ErrorClass::new(
                Broken,
                Reason::InvalidHttp,
                false,
                "invalid HTTP response",
            ));
        }
        if h.is_incomplete_message() || h.is_body_write_aborted() || h.is_closed() {
            return Some(ErrorClass::new(
                Unreachable,
                Reason::ConnectionClosed,
                true,
                "connection closed before the answer was complete",
            ));
        }
        if h.is_timeout() {
            return Some(ErrorClass::new(Timeout, Reason::Timeout, true, "timed out"));
        }
    }
    if let Some(io) = e.downcast_ref::<io::Error>() {
        use io::ErrorKind as K;
        let (reason, message) = match io.kind() {
            K::ConnectionRefused => (Reason::ConnectionRefused, "connection refused"),
            K::ConnectionReset | K::ConnectionAborted => {
                (Reason::ConnectionReset, "connection reset")
            }
            K::UnexpectedEof | K::BrokenPipe => (
                Reason::ConnectionClosed,
                "connection closed before the answer was complete",
            ),
            K::TimedOut => {
                return Some(ErrorClass::new(Timeout, Reason::Timeout, true, "timed out"));
            }
            K::HostUnreachable | K::NetworkUnreachable | K::NetworkDown | K::AddrNotAvailable => {
                (Reason::ConnectionFailed, "host or network unreachable")
            }
            _ => return None,
        };
        return Some(ErrorClass::new(Unreachable, reason, true, message));
    }
    None
}

/// Classify a reqwest error by the types in its source chain (never by its text).
pub(crate) fn classify_error(err: &reqwest::Error) -> ErrorClass {
    let mut source = err.source();
    let mut innermost = None;
    while let Some(e) = source {
        if let Some(class) = classify_one(e) {
            return class;
        }
        innermost = Some(e);
        source = next_source(e);
    }
    if err.is_timeout() {
        return ErrorClass::new(LinkStatus::Timeout, Reason::Timeout, true, "timed out");
    }
    let detail = innermost.map_or_else(|| err.to_string(), ToString::to_string);
    let what = if err.is_connect() {
        return ErrorClass::new(
            LinkStatus::Unreachable,
            Reason::ConnectionFailed,
            true,
            format!("connection failed: {detail}"),
        );
    } else if err.is_body() || err.is_decode() {
        "reading the body failed"
    } else {
        "request failed"
    };
    ErrorClass::new(
        LinkStatus::Unreachable,
        Reason::RequestFailed,
        true,
        format!("{what}: {detail}"),
    )
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
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
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
