//! A throwaway PostgreSQL server for the store tests, started once per test binary.
//!
//! `CITECHECK_TEST_POSTGRES=postgres://user@host:port` uses a server that is already
//! running (each test creates its own database there). Otherwise the server binaries
//! are looked up (`CITECHECK_PG_BIN`, `/usr/lib/postgresql/*/bin`, `PATH`), a cluster is
//! made with `initdb` in a temporary directory (as the `postgres` user when run as root)
//! and `postgres` is started on a free port of 127.0.0.1. A watchdog stops it when the
//! test process is gone. With `CI=true` a missing PostgreSQL is a failure; elsewhere the
//! tests that need it say loudly that they were skipped.
#![allow(clippy::expect_used)]

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A server the tests may create databases on.
pub struct Postgres {
    /// `postgres://postgres@127.0.0.1:PORT` (no database).
    base: String,
    bin: Option<PathBuf>,
    host: String,
    port: String,
    user: String,
}

static SERVER: OnceLock<Result<Postgres, String>> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// The server, or why there is none. Panics in CI (`CI=true`) when there is none.
pub fn server() -> Option<&'static Postgres> {
    match SERVER.get_or_init(start) {
        Ok(pg) => Some(pg),
        Err(why) => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(!ci, "PostgreSQL is required in CI but unavailable: {why}");
            eprintln!(
                "\n*** SKIPPED: PostgreSQL tests did not run: {why} ***\n\
                 (install PostgreSQL or set CITECHECK_TEST_POSTGRES)\n"
            );
            None
        }
    }
}

impl Postgres {
    /// A fresh, empty database; its URL.
    pub fn database(&self) -> String {
        let n = DATABASES.fetch_add(1, Ordering::SeqCst);
        let name = format!("citecheck_test_{}_{n}", std::process::id());
        let createdb = self
            .bin
            .as_ref()
            .map_or_else(|| PathBuf::from("createdb"), |b| b.join("createdb"));
        let out = Command::new(createdb)
            .args(["-h", &self.host, "-p", &self.port, "-U", &self.user, &name])
            .output()
            .expect("createdb runs");
        assert!(
            out.status.success(),
            "createdb {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!("{}/{name}", self.base)
    }
}

fn find_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CITECHECK_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").is_file())
        .collect();
    found.sort();
    if let Some(b) = found.pop() {
        return Some(b);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|p| p.join("initdb").is_file() && p.join("postgres").is_file())
    })
}

fn start() -> Result<Postgres, String> {
    if let Ok(url) = std::env::var("CITECHECK_TEST_POSTGRES") {
        let u = url::Url::parse(&url).map_err(|e| format!("CITECHECK_TEST_POSTGRES: {e}"))?;
        return Ok(Postgres {
            base: url.trim_end_matches('/').to_owned(),
            bin: find_bin(),
            host: u.host_str().unwrap_or("127.0.0.1").to_owned(),
            port: u.port().unwrap_or(5432).to_string(),
            user: if u.username().is_empty() {
                "postgres".into()
            } else {
                u.username().into()
            },
        });
    }
    let bin = find_bin().ok_or("no PostgreSQL server binaries (initdb, postgres) found")?;
    // Kept: the watchdog removes it when the server stops.
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let data = dir.path().join("data");
    // As root, the server must run as an ordinary user.
    let owner = if nix::unistd::Uid::effective().is_root() {
        let user = nix::unistd::User::from_name("postgres")
            .ok()
            .flatten()
            .ok_or("running as root and there is no `postgres` user")?;
        std::os::unix::fs::chown(dir.path(), Some(user.uid.as_raw()), Some(user.gid.as_raw()))
            .map_err(|e| e.to_string())?;
        Some((user.uid.as_raw(), user.gid.as_raw()))
    } else {
        None
    };
    let as_owner = |c: &mut Command| {
        if let Some((uid, gid)) = owner {
            c.uid(uid).gid(gid);
        }
        c.current_dir(dir.path());
    };
    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .args(["-D"])
        .arg(&data)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    as_owner(&mut initdb);
    let out = initdb.output().map_err(|e| format!("initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let port = free_port();
    // The watchdog: stop the server (fast shutdown) once this test process is gone.
    let script = format!(
        "{postgres} -D {data} -p {port} -k {sock} -c listen_addresses=127.0.0.1 \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
         -c max_connections=200 >{log} 2>&1 & pg=$!; \
         while [ -d /proc/{parent} ] && kill -0 $pg 2>/dev/null; do sleep 0.5; done; \
         kill -INT $pg 2>/dev/null; wait $pg; rm -rf {dir}",
        postgres = bin.join("postgres").display(),
        data = data.display(),
        sock = dir.path().display(),
        log = dir.path().join("server.log").display(),
        parent = std::process::id(),
        dir = dir.path().display(),
    );
    let mut sh = Command::new("sh");
    sh.args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    as_owner(&mut sh);
    sh.spawn()
        .map_err(|e| format!("cannot start postgres: {e}"))?;
    let ready = Instant::now() + Duration::from_secs(60);
    loop {
        let ok = Command::new(bin.join("pg_isready"))
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            break;
        }
        if Instant::now() > ready {
            let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
            return Err(format!("postgres did not start within 60 s: {log}"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = dir.keep();
    Ok(Postgres {
        base: format!("postgres://postgres@127.0.0.1:{port}"),
        bin: Some(bin),
        host: "127.0.0.1".into(),
        port: port.to_string(),
        user: "postgres".into(),
    })
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A PostgreSQL server of one test's own, that the test may stop and start again (the
/// shared [`server`] must stay up for the other tests). Removed when dropped.
pub struct Dedicated {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    owner: Option<(u32, u32)>,
}

impl Dedicated {
    /// A new cluster, started; `None` (said loudly) when PostgreSQL is not installed.
    pub fn start() -> Option<Dedicated> {
        let Some(bin) = find_bin() else {
            eprintln!("\n*** SKIPPED: no PostgreSQL server binaries for a dedicated server ***\n");
            return None;
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let owner = nix::unistd::Uid::effective().is_root().then(|| {
            let user = nix::unistd::User::from_name("postgres")
                .ok()
                .flatten()
                .expect("a postgres user");
            std::os::unix::fs::chown(dir.path(), Some(user.uid.as_raw()), Some(user.gid.as_raw()))
                .expect("chown");
            (user.uid.as_raw(), user.gid.as_raw())
        });
        let d = Dedicated {
            bin,
            dir,
            port: free_port(),
            owner,
        };
        let out = d
            .command("initdb")
            .arg("-D")
            .arg(d.data())
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .output()
            .expect("initdb");
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        d.up();
        Some(d)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, name: &str) -> Command {
        let mut c = Command::new(self.bin.join(name));
        if let Some((uid, gid)) = self.owner {
            c.uid(uid).gid(gid);
        }
        c.current_dir(self.dir.path());
        c.stdin(Stdio::null());
        c
    }

    /// `postgres://postgres@127.0.0.1:PORT` (no database).
    pub fn base(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    /// A fresh, empty database; its URL.
    pub fn database(&self) -> String {
        let n = DATABASES.fetch_add(1, Ordering::SeqCst);
        let name = format!("citecheck_own_{}_{n}", std::process::id());
        let out = self
            .command("createdb")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                &name,
            ])
            .output()
            .expect("createdb");
        assert!(
            out.status.success(),
            "createdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!("{}/{name}", self.base())
    }

    /// Start the server (again) and wait until it answers.
    pub fn up(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-l", "server.log", "-w", "-o", &opts, "start"])
            .output()
            .expect("pg_ctl start");
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Stop the server at once (`-m immediate`: connections are cut as in a crash).
    pub fn down(&self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-w", "-m", "immediate", "stop"])
            .output();
    }
}

impl Drop for Dedicated {
    fn drop(&mut self) {
        self.down();
    }
}
