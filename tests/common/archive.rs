//! A fake web archive on 127.0.0.1 for the archive tests: it speaks the Wayback CDX API
//! (`/cdx/search/cdx?url=…&output=json`, ignoring `filter` so that the client's own
//! status filter is tested), Memento TimeMaps (`/timemap/link/<url>`) and serves raw
//! captures (`/web/<timestamp>id_/<url>`) exactly as configured, redirects included.
//! Every request is logged with its arrival time; the next N requests can be answered
//! with 429 and a `Retry-After`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Server;

/// The raw answer of one capture.
#[derive(Debug, Clone)]
pub struct Raw {
    pub status: u16,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn page(body: Vec<u8>) -> Raw {
        Raw {
            status: 200,
            location: None,
            body,
        }
    }

    pub fn status(status: u16) -> Raw {
        Raw {
            status,
            location: None,
            body: b"<html><body>archived error page</body></html>".to_vec(),
        }
    }

    pub fn redirect(to: &str) -> Raw {
        Raw {
            status: 302,
            location: Some(to.to_owned()),
            body: Vec::new(),
        }
    }
}

/// One capture of a URL: its 14-digit timestamp, the status the index gives, and what
/// the raw fetch answers.
#[derive(Debug, Clone)]
pub struct Cap {
    pub ts: String,
    pub cdx_status: String,
    pub raw: Raw,
}

/// One request as the archive saw it.
#[derive(Debug, Clone)]
pub struct ArchiveHit {
    pub at: Instant,
    /// Path and query as sent.
    pub target: String,
    pub status: u16,
}

#[derive(Debug, Default)]
pub struct FakeArchive {
    captures: Mutex<HashMap<String, Vec<Cap>>>,
    log: Mutex<Vec<ArchiveHit>>,
    throttle: AtomicUsize,
    retry_after: AtomicUsize,
}

impl FakeArchive {
    pub fn new() -> Arc<FakeArchive> {
        Arc::new(FakeArchive::default())
    }

    /// Add a capture of `url`.
    pub fn add(&self, url: &str, ts: &str, cdx_status: &str, raw: Raw) {
        self.captures
            .lock()
            .unwrap()
            .entry(url.to_owned())
            .or_default()
            .push(Cap {
                ts: ts.to_owned(),
                cdx_status: cdx_status.to_owned(),
                raw,
            });
    }

    /// Answer the next `n` requests with 429 and `Retry-After: secs`.
    pub fn throttle(&self, n: usize, secs: usize) {
        self.retry_after.store(secs, Ordering::SeqCst);
        self.throttle.store(n, Ordering::SeqCst);
    }

    pub fn hits(&self) -> Vec<ArchiveHit> {
        self.log.lock().unwrap().clone()
    }

    /// Requests whose target starts with `prefix`.
    pub fn hits_to(&self, prefix: &str) -> Vec<ArchiveHit> {
        self.hits()
            .into_iter()
            .filter(|h| h.target.starts_with(prefix))
            .collect()
    }

    /// The answer to one request for `target` (path and query); `base` is the
    /// archive's own address (for the memento URIs of a TimeMap).
    pub fn answer(&self, target: &str, base: &str) -> Response {
        let at = Instant::now();
        let (status, resp) = if self
            .throttle
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            let secs = self.retry_after.load(Ordering::SeqCst).to_string();
            (
                429,
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, secs)],
                    "slow down",
                )
                    .into_response(),
            )
        } else {
            self.serve(target, base)
        };
        self.log.lock().unwrap().push(ArchiveHit {
            at,
            target: target.to_owned(),
            status,
        });
        resp
    }

    fn serve(&self, target: &str, base: &str) -> (u16, Response) {
        let caps = self.captures.lock().unwrap();
        if let Some(q) = target.strip_prefix("/cdx/search/cdx?") {
            let url = url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "url")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            let mut rows = vec![serde_json::json!([
                "timestamp",
                "original",
                "statuscode",
                "mimetype",
                "digest"
            ])];
            for c in caps.get(&url).into_iter().flatten() {
                rows.push(serde_json::json!([
                    c.ts,
                    url,
                    c.cdx_status,
                    "text/html",
                    format!("D{}", c.ts)
                ]));
            }
            if rows.len() == 1 {
                rows.clear();
            }
            let body = serde_json::to_string(&rows).unwrap();
            return (
                200,
                ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
            );
        }
        if let Some(url) = target.strip_prefix("/timemap/link/") {
            let Some(list) = caps.get(url) else {
                return (404, StatusCode::NOT_FOUND.into_response());
            };
            let mut lines = vec![format!("<{url}>; rel=\"original\"")];
            for c in list {
                let dt = chrono::NaiveDateTime::parse_from_str(&c.ts, "%Y%m%d%H%M%S").unwrap();
                lines.push(format!(
                    "<{base}/web/{}/{url}>; rel=\"memento\"; datetime=\"{}\"",
                    c.ts,
                    dt.format("%a, %d %b %Y %H:%M:%S GMT")
                ));
            }
            return (
                200,
                (
                    [(header::CONTENT_TYPE, "application/link-format")],
                    lines.join(",\n"),
                )
                    .into_response(),
            );
        }
        if let Some(rest) = target.strip_prefix("/web/")
            && let Some((ts, url)) = rest.split_once("id_/")
            && let Some(c) = caps.get(url).and_then(|l| l.iter().find(|c| c.ts == ts))
        {
            let mut resp = (
                StatusCode::from_u16(c.raw.status).unwrap(),
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                Body::from(c.raw.body.clone()),
            )
                .into_response();
            if let Some(l) = &c.raw.location {
                resp.headers_mut()
                    .insert(header::LOCATION, l.parse().unwrap());
            }
            return (c.raw.status, resp);
        }
        (404, StatusCode::NOT_FOUND.into_response())
    }
}

/// Serve `archive` on its own port of 127.0.0.1.
pub fn start(archive: Arc<FakeArchive>) -> Server {
    Server::start(Router::new().fallback(move |req: Request| {
        let a = Arc::clone(&archive);
        async move {
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let target = req
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            a.answer(&target, &format!("http://{host}"))
        }
    }))
}

/// A page as an article site would serve it.
pub fn page(title: &str, body: &str, published: &str) -> Vec<u8> {
    let meta = if published.is_empty() {
        String::new()
    } else {
        format!("<meta property=\"article:published_time\" content=\"{published}\">")
    };
    format!(
        "<html><head><meta charset=\"utf-8\"><title>{title}</title>{meta}</head><body>\
         <nav><a href=\"/\">Home</a> <a href=\"/news\">News</a></nav>\
         <article><h1>{title}</h1>{body}</article>\
         <footer>Copyright 2018 Example News. All rights reserved.</footer></body></html>"
    )
    .into_bytes()
}
