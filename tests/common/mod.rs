//! Shared helpers of the end-to-end tests: real HTTP servers on 127.0.0.1, each on its
//! own runtime thread, that record every request they receive.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

pub mod archive;
pub mod pg;
pub mod tools;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub host: String,
    pub at: Instant,
    pub user_agent: String,
}

/// What a test server recorded.
#[derive(Debug, Default)]
pub struct Log {
    pub hits: Mutex<Vec<Hit>>,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
}

impl Log {
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    pub fn count(&self, path: &str) -> usize {
        self.hits().iter().filter(|h| h.path == path).count()
    }
}

/// A running test server.
pub struct Server {
    pub addr: SocketAddr,
    pub log: Arc<Log>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    /// Serve `router` on a free port of 127.0.0.1, recording every request.
    pub fn start(router: Router) -> Server {
        let log = Arc::new(Log::default());
        let l = Arc::clone(&log);
        let router = router.layer(middleware::from_fn(move |req: Request, next: Next| {
            let log = Arc::clone(&l);
            async move { record(log, req, next).await }
        }));
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let addr = serve_on_thread(move |listener| async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = shutdown_rx.await;
                })
                .await
                .unwrap();
        });
        Server {
            addr,
            log,
            _shutdown: shutdown_tx,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

async fn record(log: Arc<Log>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let user_agent = req
        .headers()
        .get("user-agent")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    log.hits.lock().unwrap().push(Hit {
        path: req.uri().path().to_owned(),
        host,
        at: Instant::now(),
        user_agent,
    });
    let now = log.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    log.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let resp = next.run(req).await;
    log.in_flight.fetch_sub(1, Ordering::SeqCst);
    resp
}

/// A tiny forward proxy: it takes absolute-form requests and forwards them to `origin`,
/// whatever host they name.
pub fn forward_proxy(origin: std::net::SocketAddr) -> Server {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    Server::start(Router::new().fallback(move |uri: Uri| {
        let client = client.clone();
        async move {
            assert!(
                uri.scheme().is_some(),
                "a proxy gets absolute-form requests: {uri}"
            );
            let target = format!("http://{origin}{}", uri.path());
            match client.get(target).send().await {
                Ok(r) => {
                    let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
                    let location = r
                        .headers()
                        .get(header::LOCATION)
                        .map(|v| v.to_str().unwrap().to_owned());
                    let body = r.bytes().await.unwrap_or_default();
                    let mut resp = (
                        status,
                        [(header::CONTENT_TYPE, "text/html")],
                        Body::from(body),
                    )
                        .into_response();
                    if let Some(l) = location {
                        resp.headers_mut()
                            .insert(header::LOCATION, l.parse().unwrap());
                    }
                    resp
                }
                Err(_) => StatusCode::BAD_GATEWAY.into_response(),
            }
        }
    }))
}

/// One request as seen by [`StampedServer`]: when its first byte reached this machine's
/// network stack (the kernel's receive timestamp, not when a server thread got to it).
#[derive(Debug, Clone)]
pub struct Stamped {
    pub host: String,
    pub path: String,
    /// Kernel receive time (CLOCK_REALTIME), since the epoch.
    pub at: Duration,
}

/// What a [`StampedServer`] answers to a path: status, extra header lines (each ending in
/// CRLF) and body.
pub type StampedAnswer = (u16, String, String);

/// An HTTP/1.1 server for politeness tests: a thread per connection, keep-alive, each
/// answer from `answer(path)` after `delay`, and every request stamped with the kernel's receive
/// timestamp (SO_TIMESTAMPNS). On loopback the packet is received in the sender's
/// write, so the stamp is when the request left the client: no server-side scheduling
/// noise in the gaps a test measures.
pub struct StampedServer {
    pub addr: SocketAddr,
    pub log: Arc<Mutex<Vec<Stamped>>>,
}

impl StampedServer {
    pub fn start(
        delay: Duration,
        answer: impl Fn(&str) -> StampedAnswer + Send + Sync + 'static,
    ) -> StampedServer {
        let answer: Arc<dyn Fn(&str) -> StampedAnswer + Send + Sync> = Arc::new(answer);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let log: Arc<Mutex<Vec<Stamped>>> = Arc::default();
        let l = Arc::clone(&log);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                let log = Arc::clone(&l);
                let answer = Arc::clone(&answer);
                std::thread::spawn(move || serve_stamped(stream, &log, delay, &*answer));
            }
        });
        StampedServer { addr, log }
    }

    /// Requests per Host header, in arrival order.
    pub fn by_host(&self) -> std::collections::HashMap<String, Vec<Stamped>> {
        let mut m: std::collections::HashMap<String, Vec<Stamped>> = Default::default();
        for s in self.log.lock().unwrap().iter() {
            m.entry(s.host.clone()).or_default().push(s.clone());
        }
        for v in m.values_mut() {
            v.sort_by_key(|s| s.at);
        }
        m
    }
}

fn serve_stamped(
    mut stream: std::net::TcpStream,
    log: &Mutex<Vec<Stamped>>,
    delay: Duration,
    answer: &(dyn Fn(&str) -> StampedAnswer + Send + Sync),
) {
    use nix::sys::socket::{
        ControlMessageOwned, MsgFlags, recvmsg, setsockopt, sockopt::ReceiveTimestampns,
    };
    use nix::sys::time::TimeSpec;
    use std::io::Write as _;
    use std::os::fd::AsRawFd as _;
    if setsockopt(&stream, ReceiveTimestampns, &true).is_err() {
        return;
    }
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let mut first: Option<TimeSpec> = None;
        while !pending.windows(4).any(|w| w == b"\r\n\r\n") {
            let mut buf = [0u8; 8192];
            let mut cmsg = nix::cmsg_space!(TimeSpec);
            let mut iov = [std::io::IoSliceMut::new(&mut buf)];
            let Ok(msg) = recvmsg::<()>(
                stream.as_raw_fd(),
                &mut iov,
                Some(&mut cmsg),
                MsgFlags::empty(),
            ) else {
                return;
            };
            let n = msg.bytes;
            if let Ok(cmsgs) = msg.cmsgs() {
                for c in cmsgs {
                    if let ControlMessageOwned::ScmTimestampns(ts) = c {
                        first.get_or_insert(ts);
                    }
                }
            }
            if n == 0 {
                return;
            }
            pending.extend_from_slice(&buf[..n]);
        }
        let end = pending.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8_lossy(&pending[..end]).into_owned();
        pending.drain(..end);
        let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
        let host = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("host").then(|| v.trim().to_owned())
            })
            .unwrap_or_default();
        let at = first.map_or(Duration::ZERO, |ts| {
            Duration::new(ts.tv_sec() as u64, ts.tv_nsec() as u32)
        });
        let (status, headers, body) = answer(&path);
        log.lock().unwrap().push(Stamped { host, path, at });
        std::thread::sleep(delay);
        let resp = format!(
            "HTTP/1.1 {status} X\r\n{headers}content-length: {}\r\n\r\n{body}",
            body.len()
        );
        if stream.write_all(resp.as_bytes()).is_err() {
            return;
        }
    }
}

/// A raw TCP server for behaviour a well-behaved HTTP library will not produce: each
/// connection gets `handler(stream)`.
pub fn raw_server<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    serve_on_thread(move |listener| async move {
        let handler = Arc::new(handler);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                break;
            };
            let h = Arc::clone(&handler);
            tokio::spawn(async move { h(stream).await });
        }
    })
}

/// Bind a free port of 127.0.0.1 and run `serve(listener)` on a runtime thread of its
/// own; returns the address once it is listening.
fn serve_on_thread<F, Fut>(serve: F) -> SocketAddr
where
    F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            serve(listener).await;
        });
    });
    addr_rx.recv().unwrap()
}

/// The settings that make local tests quick, written once: short retry backoff, a
/// high per-host rate, no soft-404 probe; `extra` adds `[fetch]` keys (or whole tables
/// after them). Returns the path of the config file written into `dir`.
pub fn fast_config(dir: &Path, extra: &str) -> String {
    let p = dir.join("fast.toml");
    std::fs::write(&p, format!("{FAST_FETCH}{extra}")).unwrap();
    p.display().to_string()
}

/// The `[fetch]` table of [`fast_config`].
pub const FAST_FETCH: &str =
    "[fetch]\nretry_base_ms = 10\nhost_rate = 100.0\nsoft404_probe = false\n";

/// Write a report file into `dir`.
pub fn report(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A `citecheck` command with settings that make tests quick and local.
pub fn citecheck() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::from_std(citecheck_process());
    c.timeout(Duration::from_secs(120));
    c
}

/// The same command as a plain process, for tests that signal it or close its pipes.
pub fn citecheck_process() -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("citecheck"));
    // No config.toml from the working directory, no proxy from the environment, and no
    // history store unless a test asks for one (`--store`).
    c.current_dir(std::env::temp_dir());
    c.env("CITECHECK_STORE", "none");
    // No archive lookups (they would go to the Wayback Machine): tests of the archive
    // remove this and point `--archive-endpoint` at a fake archive on 127.0.0.1.
    c.env("CITECHECK_NO_ARCHIVE", "true");
    for v in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
    ] {
        c.env_remove(v);
    }
    c
}

/// Run `check` with JSON output and return the parsed document and the exit code.
pub fn check_json(args: &[&str]) -> (serde_json::Value, i32) {
    let out = citecheck()
        .arg("check")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); exit {:?}; stderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (doc, code)
}

/// The citation of `doc` whose `url` is `url`.
pub fn citation<'a>(doc: &'a serde_json::Value, url: &str) -> &'a serde_json::Value {
    doc["citations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["url"] == url)
        .unwrap_or_else(|| panic!("no citation of {url} in {doc:#}"))
}
