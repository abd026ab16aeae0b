//! The run's cookies: what a server sets is sent back to it, as a browser does (a
//! consent or session cookie set on a redirect is often what lets the next hop answer).
//!
//! Kept here rather than by reqwest's cookie layer: that layer parses every request's
//! URL once more (its `Url` from the request's `http::Uri`), about 6% of the async
//! thread's instructions per request on the `throughput` bench, although the fetcher
//! holds the URL parsed already. The store and its rules (domain, path, expiry, secure,
//! public suffixes) are the `cookie_store` crate's, as in reqwest's own jar.

use std::sync::{PoisonError, RwLock};

use reqwest::header::{HeaderMap, HeaderValue, SET_COOKIE};
use url::Url;

#[derive(Debug, Default)]
pub(super) struct Jar(RwLock<cookie_store::CookieStore>);

impl Jar {
    /// The `Cookie` header for a request to `url`, if any cookie applies.
    pub(super) fn header_for(&self, url: &Url) -> Option<HeaderValue> {
        let store = self.0.read().unwrap_or_else(PoisonError::into_inner);
        let mut value = String::new();
        for (name, v) in store.get_request_values(url) {
            if !value.is_empty() {
                value.push_str("; ");
            }
            value.push_str(name);
            value.push('=');
            value.push_str(v);
        }
        drop(store);
        if value.is_empty() {
            return None;
        }
        HeaderValue::from_str(&value).ok()
    }

    /// Keep the cookies an answer from `url` sets (`Set-Cookie`; one that cannot be
    /// parsed is ignored, as a browser does).
    pub(super) fn keep(&self, headers: &HeaderMap, url: &Url) {
        let mut set = headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| std::str::from_utf8(v.as_bytes()).ok())
            .filter_map(|v| cookie::Cookie::parse(v).ok())
            .map(cookie::Cookie::into_owned)
            .peekable();
        if set.peek().is_none() {
            return;
        }
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .store_response_cookies(set, url);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(SET_COOKIE, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn cookies_go_back_to_the_host_and_path_that_set_them() {
        let jar = Jar::default();
        let url = |s| Url::parse(s).unwrap();
        assert_eq!(jar.header_for(&url("http://a.example/")), None);
        jar.keep(
            &set(&[
                "consent=yes; Path=/",
                "session=7; Path=/app; HttpOnly",
                "not a cookie",
                "gone=1; Max-Age=0",
            ]),
            &url("http://a.example/start"),
        );
        jar.keep(&set(&["secret=1; Secure"]), &url("https://a.example/"));
        let header = |s| {
            jar.header_for(&url(s))
                .map(|v| v.to_str().unwrap().to_owned())
        };
        // The cookies of one header, in name order.
        let sorted = |s| {
            let mut all: Vec<String> = header(s)
                .unwrap_or_default()
                .split("; ")
                .map(str::to_owned)
                .collect();
            all.sort();
            all
        };
        assert_eq!(
            sorted("http://a.example/app/x"),
            ["consent=yes", "session=7"]
        );
        assert_eq!(
            header("http://a.example/other").as_deref(),
            Some("consent=yes")
        );
        assert_eq!(sorted("https://a.example/"), ["consent=yes", "secret=1"]);
        assert_eq!(header("http://b.example/app/x"), None);
    }
}
