//! Stable machine codes for why a link is not alive and why a verdict is not
//! `supported` (JSON `link.reason` and `evidence.reason`).
//!
//! The human message (`link.error`, `evidence.notes`) may be reworded; a code never is:
//! scripts, SARIF rules, CSV columns and dashboards key on it. Codes are snake_case,
//! only ever added, never renamed or removed (the README's reason table lists every one;
//! a test keeps the two equal). Each code carries a short title and a help text, which
//! the SARIF rules and the HTML report show.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Declares [`Reason`] with its code, title and help from one table, so that the three
/// can never drift apart.
macro_rules! reasons {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $title:literal, $help:literal; )*) => {
        /// Why a link is not alive, or why a verdict is not `supported`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Reason {
            $( $(#[$doc])* #[serde(rename = $code)] $variant, )*
        }

        impl Reason {
            /// Every reason, in documentation order.
            pub const ALL: &'static [Reason] = &[$(Reason::$variant),*];

            /// The stable code (the JSON string).
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(Reason::$variant => $code),* }
            }

            /// A one-line title.
            #[must_use]
            pub fn title(self) -> &'static str {
                match self { $(Reason::$variant => $title),* }
            }

            /// What the reason means and what an editor can do about it.
            #[must_use]
            pub fn help(self) -> &'static str {
                match self { $(Reason::$variant => $help),* }
            }
        }
    };
}

reasons! {
    // ---- Not sent: decided before any network access.
    /// Not a parseable URL.
    InvalidUrl = "invalid_url", "Not a valid URL",
        "The URL as written cannot be parsed (bad port, broken IPv6 literal, stray characters). Correct the URL in the report.";
    /// Longer than the 8192-byte limit.
    UrlTooLong = "url_too_long", "URL too long",
        "The URL is longer than 8192 bytes; it is most likely two URLs or text run together. Correct the URL in the report.";
    /// A relative link and no base to resolve it against.
    RelativeWithoutBase = "relative_without_base", "Relative link without a base",
        "The report cites a relative path (e.g. /t2018….shtml) that cannot be resolved without the page it was copied from. Write the full URL.";
    /// A scheme that is not fetched (`ftp:`, `gopher:` …).
    UnsupportedScheme = "unsupported_scheme", "Unsupported URL scheme",
        "Only http and https links are checked. Cite a web address, or exclude the link.";
    /// A URL without a host name.
    NoHost = "no_host", "URL has no host",
        "The URL has no host name. Correct the URL in the report.";
    /// `mailto:`, `tel:`, `javascript:`, `data:`, `file:`, `sms:`.
    NotAWebLink = "not_a_web_link", "Not a web link",
        "mailto:, tel:, javascript:, data:, file: and sms: links are not web pages and are not checked.";
    /// Matches a configured `exclude` pattern (the URL or a redirect target).
    ExcludedPattern = "excluded_pattern", "Excluded by pattern",
        "The URL (or a redirect target) matches an exclude pattern of the configuration, so it is not checked.";
    /// Resolves to a loopback, private, link-local or other non-public address.
    PrivateAddress = "private_address", "Private address",
        "The host resolves to a loopback, private, link-local or unspecified address, which is not connected to by default. Use --allow-private to check it.";
    /// robots.txt disallows the path (with `--respect-robots`).
    RobotsDisallowed = "robots_disallowed", "Disallowed by robots.txt",
        "The site's robots.txt disallows the path and --respect-robots is on, so the page was not fetched.";

    // ---- Transport: no HTTP answer.
    /// The name does not exist (NXDOMAIN): asking again will not help.
    DnsNoSuchHost = "dns_no_such_host", "No such host",
        "The host name does not exist in DNS. The site may be gone or the URL misspelt; look for the page elsewhere or an archived copy.";
    /// The lookup failed for another reason (no resolver, temporary failure).
    DnsFailed = "dns_failed", "DNS lookup failed",
        "The host name could not be resolved (temporary failure or no resolver). Check the network; run again later.";
    /// The server refused the connection.
    ConnectionRefused = "connection_refused", "Connection refused",
        "Nothing listens at the address. The site may be down or gone; run again later.";
    /// The connection was reset by the peer or a middlebox.
    ConnectionReset = "connection_reset", "Connection reset",
        "The connection was reset, by the server or by something in between. Run again later; persistent resets can mean filtering.";
    /// The connection closed before a complete answer.
    ConnectionClosed = "connection_closed", "Connection closed mid-answer",
        "The server closed the connection before the answer was complete. Run again later.";
    /// Another connect failure (host or network unreachable …).
    ConnectionFailed = "connection_failed", "Connection failed",
        "The connection could not be made (host or network unreachable). Check the network; run again later.";
    /// The TLS handshake or certificate check failed.
    Tls = "tls", "TLS failed",
        "The secure connection failed (bad or expired certificate, protocol mismatch). Try the http:// address or an archived copy.";
    /// No complete answer within the timeout.
    Timeout = "timeout", "Timed out",
        "No complete answer arrived within the timeout. The site may be slow or overloaded; run again later or raise --timeout.";
    /// The answer was not valid HTTP.
    InvalidHttp = "invalid_http", "Invalid HTTP answer",
        "The server's answer is not valid HTTP. The site is broken or not a web server.";
    /// Any other failure of the request or of reading the body.
    RequestFailed = "request_failed", "Request failed",
        "The request failed for another reason; the message says which.";

    // ---- HTTP answers.
    /// 401 Unauthorized: a login is needed (inconclusive).
    Http401 = "http_401", "HTTP 401 Unauthorized",
        "The page needs a login. The link may well be alive; check it in a browser.";
    /// 403 Forbidden: often bot protection (inconclusive).
    Http403 = "http_403", "HTTP 403 Forbidden",
        "The server refuses automated access. The link may well be alive; check it in a browser.";
    /// 404 Not Found.
    Http404 = "http_404", "HTTP 404 Not Found",
        "The page is gone. Find where it moved, or use an archived copy.";
    /// 410 Gone: removed on purpose.
    Http410 = "http_410", "HTTP 410 Gone",
        "The page was removed on purpose. Use an archived copy or another source.";
    /// 429 Too Many Requests after retries (inconclusive).
    Http429 = "http_429", "HTTP 429 Too Many Requests",
        "The server throttled the requests. Run again later or lower --host-rate.";
    /// Another 4xx answer.
    Http4xx = "http_4xx", "HTTP client error",
        "The server answered with a 4xx error other than 401/403/404/410/429; the HTTP status says which.";
    /// A 5xx answer after retries.
    Http5xx = "http_5xx", "HTTP server error",
        "The server failed (5xx) on every attempt. It may be temporary; run again later.";
    /// 1xx, a 3xx without a usable `Location`, or a non-standard code.
    HttpOther = "http_other", "Unexpected HTTP status",
        "The server answered with a status that is neither success nor a followable redirect nor an error; the HTTP status says which.";
    /// A `Retry-After` longer than `max_retry_after` (inconclusive).
    RetryAfterTooLong = "retry_after_too_long", "Retry-After too long",
        "The server asked to wait longer than max_retry_after before trying again, so the link was not retried. Run again later.";

    // ---- Redirects.
    /// A redirect chain that comes back to a URL already visited.
    RedirectLoop = "redirect_loop", "Redirect loop",
        "The redirects go round in a circle and never reach a page. The site is misconfigured.";
    /// More redirects than `max_redirects`.
    TooManyRedirects = "too_many_redirects", "Too many redirects",
        "The redirect chain is longer than max_redirects.";
    /// A `Location` that is not a valid URL.
    RedirectInvalidLocation = "redirect_invalid_location", "Redirect to an invalid URL",
        "The server redirects to a Location that is not a valid URL.";
    /// A redirect target longer than the 8192-byte limit.
    RedirectUrlTooLong = "redirect_url_too_long", "Redirect to an over-long URL",
        "The server redirects to a URL longer than 8192 bytes, which is not followed. The site is misconfigured.";
    /// A redirect to a non-HTTP URL.
    RedirectNotHttp = "redirect_not_http", "Redirect to a non-web URL",
        "The server redirects to a URL that is not http or https.";

    // ---- Alive, but not the page.
    /// The body was cut at `max_body_bytes` (the link itself is alive).
    BodyTooLarge = "body_too_large", "Body too large",
        "The page is larger than max_body_bytes; only the first part was read and verified.";
    /// A `Content-Encoding` that could not be undone (corrupt or unsupported).
    BodyUndecodable = "body_undecodable", "Body could not be decoded",
        "The server answered, but its compressed body (Content-Encoding) is corrupt or in an unsupported encoding, so the page could not be read.";
    /// A 200 page whose title or text says it is gone.
    Soft404Text = "soft_404_text", "Soft 404: the page says it is gone",
        "The server answers 200 but the page says it does not exist. Find where it moved, or use an archived copy.";
    /// A redirect from a deep path to the site root.
    Soft404RedirectRoot = "soft_404_redirect_root", "Soft 404: redirect to the home page",
        "The cited page redirects to the site's home page, which usually means it is gone. Find where it moved, or use an archived copy.";
    /// A redirect to an error page (`/404.html`, `notfound`, `error`).
    Soft404RedirectErrorPage = "soft_404_redirect_error_page", "Soft 404: redirect to an error page",
        "The cited page redirects to an error page. Find where it moved, or use an archived copy.";
    /// The host answers a random path with the same page.
    Soft404RandomPath = "soft_404_random_path", "Soft 404: same page as a random path",
        "The host answers any path, even a made-up one, with this same page, so the cited page is most likely gone.";
    /// A bot challenge or CAPTCHA page instead of the content (inconclusive).
    BotChallenge = "bot_challenge", "Bot challenge",
        "The site shows a bot challenge instead of the page. The link may well be alive; check it in a browser.";

    // ---- Verdicts.
    /// No page could be read: the link is not alive (its own reason says why).
    NoUsablePage = "no_usable_page", "No usable page",
        "The claim cannot be checked because the link gave no readable page; see the link's reason.";
    /// The answer is not an HTML page (PDF, image …).
    NotHtml = "not_html", "Not an HTML page",
        "The cited resource is not an HTML page, so its text is not read. Check the claim by hand.";
    /// An HTML page without main text.
    NoMainText = "no_main_text", "No main text",
        "The page has no readable main text (it may be built by scripts). Check the claim by hand.";
    /// The claim has no keywords to look for.
    NoKeywords = "no_keywords", "Claim has no keywords",
        "The claim has no distinctive terms to look for, so it cannot be checked automatically.";
    /// Too little of the claim's keyword weight is in the main text.
    KeywordsMissing = "keywords_missing", "Key terms missing",
        "The page's main text lacks the claim's key terms: the page may have changed, or the citation points to the wrong page.";
    /// Key terms found, but neither the page date nor the text gives the claim's date.
    ClaimDateNotFound = "claim_date_not_found", "Claim date not found",
        "The key terms are on the page, but the claim's date appears neither in the text nor as the page's date.";
    /// Key terms found, but the page is dated outside the window around the claim date.
    PageDateOutsideWindow = "page_date_outside_window", "Page date outside the window",
        "The key terms are on the page, but the page is dated well before or after the claim's date: it may be a different event.";
}

impl Reason {
    /// Parse a code.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.as_str() == s)
    }

    /// The reason of a final HTTP status code that is not a success.
    #[must_use]
    pub fn for_http_status(code: u16) -> Option<Self> {
        Some(match code {
            200..=299 => return None,
            401 => Reason::Http401,
            403 => Reason::Http403,
            404 => Reason::Http404,
            410 => Reason::Http410,
            429 => Reason::Http429,
            400..=499 => Reason::Http4xx,
            500..=599 => Reason::Http5xx,
            _ => Reason::HttpOther,
        })
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_unique_and_match_serde() {
        let mut seen = std::collections::HashSet::new();
        for &r in Reason::ALL {
            let code = r.as_str();
            assert!(
                code.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    && !code.starts_with('_')
                    && !code.ends_with('_')
                    && !code.contains("__"),
                "{code} is not snake_case"
            );
            assert!(seen.insert(code), "{code} twice");
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{code}\""));
            assert_eq!(serde_json::from_str::<Reason>(&json).unwrap(), r);
            assert_eq!(Reason::parse(code), Some(r));
            assert!(!r.title().is_empty() && r.help().ends_with('.'), "{code}");
        }
    }

    #[test]
    fn http_codes_map_to_reasons() {
        let cases = [
            (200, None),
            (401, Some(Reason::Http401)),
            (403, Some(Reason::Http403)),
            (404, Some(Reason::Http404)),
            (410, Some(Reason::Http410)),
            (429, Some(Reason::Http429)),
            (400, Some(Reason::Http4xx)),
            (451, Some(Reason::Http4xx)),
            (500, Some(Reason::Http5xx)),
            (503, Some(Reason::Http5xx)),
            (304, Some(Reason::HttpOther)),
            (999, Some(Reason::HttpOther)),
        ];
        for (code, want) in cases {
            assert_eq!(Reason::for_http_status(code), want, "{code}");
        }
    }

    #[test]
    fn readme_documents_every_code() {
        let readme = include_str!("../README.md");
        for &r in Reason::ALL {
            assert!(
                readme.contains(&format!("| `{}` |", r.as_str())),
                "README's reason table lacks {}",
                r.as_str()
            );
        }
    }
}
