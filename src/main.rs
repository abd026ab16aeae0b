//! The thin edge: parse arguments, resolve the configuration, run, map to an exit code.
//! `anyhow` lives only here; the library has typed errors.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use citecheck::changed::ChangedLines;
use citecheck::cli::{
    CheckArgs, Cli, Command, CommonArgs, Format, InspectArgs, InspectFormat, StoreArgs, StoreFormat,
};
use citecheck::config::{Config, FileConfig};
use citecheck::output::triage::Location;
use citecheck::output::{
    Csv, Formatter, Github, Html, Json, JsonLines, JsonLinesStream, Junit, Markdown, RunReport,
    Sarif, StderrProgress,
};
use citecheck::output::{ReportOutput, ReportSink};
use citecheck::pipeline::{Listener, Listeners};
use citecheck::report::extract_paths;
use citecheck::store::Store;
use citecheck::store::recording::Recording;
use citecheck::{inspect, pipeline};

/// Every link alive (and nothing in `fail_on`).
const EXIT_OK: u8 = 0;
/// At least one citation failed under `fail_on`.
const EXIT_FAILING: u8 = 1;
/// Usage, configuration or input error.
const EXIT_ERROR: u8 = 2;
/// Interrupted by Ctrl-C (128 + SIGINT); SIGTERM gives 143 and SIGHUP 129 (128 + the
/// signal number, the shell's convention).
const EXIT_INTERRUPTED: u8 = 130;

/// mimalloc (see [`citecheck::heap`]).
#[global_allocator]
static ALLOCATOR: citecheck::heap::Allocator = citecheck::heap::Allocator {};

fn main() -> ExitCode {
    citecheck::heap::configure();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("CITECHECK_LOG"))
        .with_writer(io::stderr)
        .init();
    match run() {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("citecheck: error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run() -> Result<u8> {
    let cli = Cli::parse();
    match cli.command {
        Command::Extract(a) => {
            let file = FileConfig::load(a.common.config.as_deref())?;
            let config = Config::resolve(file, &a.overrides())?;
            let targets = targets(&a.common)?;
            let outs = open_outputs(&targets)?;
            let changed = changed_lines(&a.common)?;
            let mut extraction = extract_paths(&a.common.paths, &config.extract);
            if let Some(c) = &changed {
                c.filter(&mut extraction);
            }
            let report = pipeline::extract_report(extraction);
            write_all(&report, &config, outs)?;
            Ok(if report.errors.is_empty() {
                EXIT_OK
            } else {
                EXIT_ERROR
            })
        }
        Command::Check(a) if a.distributed => check_distributed(&a),
        Command::Check(a) => check(&a),
        Command::Worker(a) => worker_cmd(&a),
        Command::Report(a) => report_cmd(&a),
        Command::Inspect(a) => inspect_cmd(&a),
        Command::Runs(a) => store_cmd(&a.store, |store| async move {
            let mut runs = store.runs(a.limit).await?;
            citecheck::distributed::fill_progress(&store, &mut runs).await;
            Ok(citecheck::output::history::Doc::Runs(runs))
        }),
        Command::History(a) => store_cmd(&a.store, |store| async move {
            let url = pipeline::url_key(&a.url);
            let checks = store.timeline(&url).await?;
            Ok(citecheck::output::history::Doc::History { url, checks })
        }),
        Command::Diff(a) => store_cmd(&a.store, |store| async move {
            Ok(citecheck::output::history::Doc::Diff(Box::new(
                store.diff(a.from, a.to).await?,
            )))
        }),
        Command::Prune(a) => {
            let age = citecheck::store::duration::parse(&a.older_than)
                .map_err(|e| anyhow::anyhow!("invalid --older-than: {e}"))?;
            store_cmd(&a.store, |store| async move {
                let before = chrono::Utc::now() - age;
                Ok(citecheck::output::history::Doc::Pruned(
                    store.prune(before).await?,
                ))
            })
        }
    }
}

/// Run one history command against the store of `args` and print its document.
fn store_cmd<F, Fut>(args: &StoreArgs, query: F) -> Result<u8>
where
    F: FnOnce(Store) -> Fut,
    Fut: std::future::Future<
            Output = Result<citecheck::output::history::Doc, citecheck::store::StoreError>,
        >,
{
    let file = FileConfig::load(args.config.as_deref())?;
    let config = Config::resolve(file, &args.overrides())?;
    let Some(url) = config.store.url.clone() else {
        anyhow::bail!("no history store: store.url is empty (give --store URL)");
    };
    let rt = runtime()?;
    let doc = rt.block_on(async move {
        let store = Store::open(&url).await?;
        let doc = query(store.clone()).await;
        store.close().await;
        doc
    })?;
    rt.shutdown_background();
    let mut out = BufWriter::new(io::stdout().lock());
    match args.format {
        StoreFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &doc.to_json())?;
            writeln!(out)?;
        }
        StoreFormat::Markdown => doc.write_markdown(&mut out)?,
    }
    out.flush()?;
    Ok(EXIT_OK)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    // `TOKIO_WORKER_THREADS`, when set, is tokio's own setting and wins.
    if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        builder.worker_threads(citecheck::cpu::async_workers());
    }
    builder
        .enable_all()
        // Blocking work is DNS lookups and page reading (itself bounded by the cores).
        .max_blocking_threads(64)
        .build()
        .context("cannot start the async runtime")
}

/// The first SIGINT, SIGTERM or SIGHUP: stop starting requests, finish the report.
/// A second one exits at once. Resolves to the exit code of the first signal.
fn interrupt_on_signals() -> impl std::future::Future<Output = u8> + Send + 'static {
    let (first_tx, first_rx) = tokio::sync::oneshot::channel::<u8>();
    // Listen before the run starts and keep listening: no signal falls between two waits.
    let mut signals = Signals::new();
    tokio::spawn(async move {
        let code = signals.next().await;
        eprintln!(
            "citecheck: interrupted; finishing requests in flight (signal again to quit now)"
        );
        let _ = first_tx.send(code);
        let again = signals.next().await;
        std::process::exit(i32::from(again));
    });
    async move {
        match first_rx.await {
            Ok(code) => code,
            Err(_) => std::future::pending().await,
        }
    }
}

/// The terminating signals a run handles.
struct Signals {
    int: Option<tokio::signal::unix::Signal>,
    term: Option<tokio::signal::unix::Signal>,
    hup: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            int: signal(SignalKind::interrupt()).ok(),
            term: signal(SignalKind::terminate()).ok(),
            hup: signal(SignalKind::hangup()).ok(),
        }
    }

    /// The exit code (128 + signal number) of the next signal.
    async fn next(&mut self) -> u8 {
        async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            () = recv(&mut self.int) => EXIT_INTERRUPTED,
            () = recv(&mut self.term) => 143,
            () = recv(&mut self.hup) => 129,
        }
    }
}

fn check(a: &CheckArgs) -> Result<u8> {
    let file = FileConfig::load(a.common.config.as_deref())?;
    let config = Config::resolve(file, &a.overrides())?;
    // Open the outputs first: a bad path fails before any request is sent.
    let targets = targets(&a.common)?;
    let mut outs = open_outputs(&targets)?;
    // The first JSON Lines output is streamed; every other one is written at the end.
    let streamed = outs
        .iter()
        .position(|(f, _)| *f == Format::Jsonl)
        .map(|i| outs.remove(i).1);
    let changed = changed_lines(&a.common)?;
    let mut extraction = extract_paths(&a.common.paths, &config.extract);
    if let Some(c) = &changed {
        c.filter(&mut extraction);
    }
    let rt = runtime()?;
    let signalled = std::sync::Arc::new(std::sync::atomic::AtomicU8::new(0));
    // A store that cannot be used is one clear error; the run still goes on and writes
    // its report, and then exits 2.
    let mut store_problem: Option<String> = None;
    let report = rt.block_on(async {
        let first = interrupt_on_signals();
        let seen = std::sync::Arc::clone(&signalled);
        let interrupt = async move {
            seen.store(first.await, std::sync::atomic::Ordering::SeqCst);
        };
        let mut recording = match &config.store.url {
            Some(url) => match Recording::begin(url, &config, &extraction).await {
                Ok(r) => Some(r),
                Err(e) => {
                    eprintln!("citecheck: error: {e}");
                    store_problem = Some("nothing was recorded in the history store".into());
                    None
                }
            },
            None => None,
        };
        let memory = recording.as_ref().map(Recording::memory);
        let mut progress = StderrProgress::new(config.progress);
        // Stream: every result is written (and flushed) the moment it is known.
        let mut stream = streamed.map(|out| JsonLinesStream::new(Box::new(out)));
        let mut listeners: Vec<&mut dyn Listener> = vec![&mut progress];
        if let Some(s) = stream.as_mut() {
            listeners.push(s);
        }
        if let Some(r) = recording.as_mut() {
            listeners.push(r.listener());
        }
        let mut report = pipeline::check_with(
            extraction,
            &config,
            &mut Listeners(listeners),
            memory,
            interrupt,
        )
        .await?;
        if let Some(now) = config.store.history.now {
            report.generated_at = now;
        }
        if let Some(r) = recording {
            if let Err(e) = r.finish(&mut report).await {
                eprintln!("citecheck: error: {}", e.error);
                store_problem = Some(format!(
                    "only {} rows were recorded in the history store",
                    e.rows
                ));
            }
        }
        let (out, error) = match stream {
            Some(s) => {
                let (out, error) = s.into_parts();
                (Some(out), error)
            }
            None => (None, None),
        };
        Ok::<_, anyhow::Error>((report, out, error))
    })?;
    rt.shutdown_background();
    let (report, streamed_out, stream_error) = report;
    if let Some(e) = stream_error {
        return Err(anyhow::Error::new(e).context("cannot write the report"));
    }
    let written = write_all(&report, &config, outs);
    if let Some(out) = streamed_out {
        out.commit().context("cannot write the jsonl report")?;
    }
    written?;
    if let Some(problem) = &store_problem {
        eprintln!(
            "citecheck: {problem} (the report was written; use --no-store to run without one)"
        );
    }
    let signal = signalled.load(std::sync::atomic::Ordering::SeqCst);
    Ok(if !report.complete {
        if signal == 0 {
            EXIT_INTERRUPTED
        } else {
            signal
        }
    } else if !report.errors.is_empty() || store_problem.is_some() {
        EXIT_ERROR
    } else if report
        .citations
        .briefs()
        .any(|b| pipeline::is_failing_brief(&b, &config))
    {
        EXIT_FAILING
    } else {
        EXIT_OK
    })
}

/// The store URL of a distributed command: PostgreSQL, or the clear error (exit 2).
fn distributed_store(config: &Config) -> Result<String> {
    let Some(url) = config.store.url.clone() else {
        anyhow::bail!("distributed runs need a PostgreSQL store (give --store postgres://…)");
    };
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(
            citecheck::distributed::DistError::NotPostgres(citecheck::store::redact(&url)).into(),
        );
    }
    Ok(url)
}

/// The exit code of a finished report.
fn exit_code(report: &RunReport, config: &Config, signal: u8) -> u8 {
    if !report.complete {
        if signal == 0 {
            EXIT_INTERRUPTED
        } else {
            signal
        }
    } else if !report.errors.is_empty() {
        EXIT_ERROR
    } else if report
        .citations
        .briefs()
        .any(|b| pipeline::is_failing_brief(&b, config))
    {
        EXIT_FAILING
    } else {
        EXIT_OK
    }
}

/// `check --distributed`: plan the run into the store, then work on it like any worker
/// (unless `--plan-only`) and render the report from the store.
fn check_distributed(a: &CheckArgs) -> Result<u8> {
    let file = FileConfig::load(a.common.config.as_deref())?;
    let config = Config::resolve(file, &a.overrides())?;
    let url = distributed_store(&config)?;
    let targets = targets(&a.common)?;
    let outs = if a.plan_only {
        Vec::new()
    } else {
        open_outputs(&targets)?
    };
    let changed = changed_lines(&a.common)?;
    let mut extraction = extract_paths(&a.common.paths, &config.extract);
    if let Some(c) = &changed {
        c.filter(&mut extraction);
    }
    let rt = runtime()?;
    let signalled = std::sync::Arc::new(std::sync::atomic::AtomicU8::new(0));
    let result = rt.block_on(async {
        let store = Store::open(&url).await?;
        let run = citecheck::distributed::plan(&store, &config, extraction).await?;
        if a.plan_only {
            store.close().await;
            return Ok::<_, anyhow::Error>((run, None));
        }
        eprintln!("citecheck: run {run} planned; working on it (more workers: citecheck worker --run {run})");
        let first = interrupt_on_signals();
        let seen = std::sync::Arc::clone(&signalled);
        let stop = async move {
            seen.store(first.await, std::sync::atomic::Ordering::SeqCst);
        };
        citecheck::distributed::work(&store, &config, Some(run), false, stop).await?;
        let report = citecheck::distributed::report::report(&store, run).await?;
        store.close().await;
        Ok((run, Some(report)))
    })?;
    rt.shutdown_background();
    let (run, report) = result;
    let Some(report) = report else {
        println!("{run}");
        return Ok(EXIT_OK);
    };
    write_all(&report, &config, outs)?;
    let signal = signalled.load(std::sync::atomic::Ordering::SeqCst);
    Ok(exit_code(&report, &config, signal))
}

/// `citecheck worker`: work on distributed runs until none has work left (or, with
/// `--follow`, until a signal).
fn worker_cmd(a: &citecheck::cli::WorkerArgs) -> Result<u8> {
    let file = FileConfig::load(a.config.as_deref())?;
    let config = Config::resolve(file, &a.overrides())?;
    let url = distributed_store(&config)?;
    let rt = runtime()?;
    let worked = rt.block_on(async {
        let store = Store::open(&url).await?;
        let first = interrupt_on_signals();
        let stop = async move {
            first.await;
        };
        let worked = citecheck::distributed::work(&store, &config, a.run, a.follow, stop).await;
        store.close().await;
        Ok::<_, anyhow::Error>(worked?)
    })?;
    rt.shutdown_background();
    eprintln!(
        "citecheck: worker done: {} items checked{}",
        worked.done,
        if worked.lost > 0 {
            format!(", {} taken over by other workers", worked.lost)
        } else {
            String::new()
        }
    );
    Ok(EXIT_OK)
}

/// `citecheck report --run ID`: the report of a distributed run, from the store.
fn report_cmd(a: &citecheck::cli::ReportArgs) -> Result<u8> {
    let file = FileConfig::load(a.config.as_deref())?;
    let config = Config::resolve(file, &a.overrides())?;
    let url = distributed_store(&config)?;
    let common = CommonArgs {
        paths: Vec::new(),
        format: a.format,
        output: a.output.clone(),
        reports: a.reports.clone(),
        changed_since: None,
        config: None,
        base_url: None,
    };
    let targets = targets(&common)?;
    let outs = open_outputs(&targets)?;
    let rt = runtime()?;
    let report = rt.block_on(async {
        let store = Store::open(&url).await?;
        let report = citecheck::distributed::report::report(&store, a.run).await;
        store.close().await;
        Ok::<_, anyhow::Error>(report?)
    })?;
    rt.shutdown_background();
    if !report.complete {
        eprintln!(
            "citecheck: run {} is not complete: {} citations not checked yet",
            a.run, report.unchecked
        );
    }
    write_all(&report, &config, outs)?;
    Ok(if report.complete {
        exit_code(&report, &config, 0)
    } else {
        EXIT_OK
    })
}

/// The reports to write: every `--report`, plus `--format`/`--output` when given (or
/// when nothing else is asked for: Markdown on stdout). At most one goes to stdout.
fn targets(common: &CommonArgs) -> Result<Vec<(Format, Option<PathBuf>)>> {
    let mut targets: Vec<(Format, Option<PathBuf>)> = common
        .reports
        .iter()
        .map(|t| (t.format, t.path.clone()))
        .collect();
    if common.format.is_some() || common.output.is_some() || targets.is_empty() {
        targets.insert(
            0,
            (
                common.format.unwrap_or(Format::Markdown),
                common.output.clone(),
            ),
        );
    }
    let to_stdout: Vec<&str> = targets
        .iter()
        .filter(|(_, p)| p.is_none())
        .map(|(f, _)| f.name())
        .collect();
    if to_stdout.len() > 1 {
        anyhow::bail!(
            "only one report can go to stdout, but {} would (give the others a path)",
            to_stdout.join(" and ")
        );
    }
    Ok(targets)
}

/// The lines changed since `--changed-since REF`, if given.
fn changed_lines(common: &CommonArgs) -> Result<Option<ChangedLines>> {
    common
        .changed_since
        .as_deref()
        .map(|rev| ChangedLines::since(rev, &common.paths))
        .transpose()
        .map_err(anyhow::Error::new)
}

/// Open every report output, in order (files are replaced atomically on commit).
fn open_outputs(targets: &[(Format, Option<PathBuf>)]) -> Result<Vec<(Format, ReportOutput)>> {
    targets
        .iter()
        .map(|(f, p)| Ok((*f, ReportOutput::open(p.as_deref())?)))
        .collect()
}

/// The formatter of `format`, with what the CI formats need to know.
fn formatter(format: Format, config: &Config) -> Box<dyn Formatter> {
    let fail_on = config.fail_on.clone();
    let location = Location::current();
    match format {
        Format::Json => Box::new(Json),
        Format::Jsonl => Box::new(JsonLines),
        Format::Markdown => Box::new(Markdown),
        Format::Junit => Box::new(Junit { fail_on, location }),
        Format::Sarif => Box::new(Sarif { fail_on, location }),
        Format::Csv => Box::new(Csv { location }),
        Format::Html => Box::new(Html { fail_on, location }),
        Format::Github => Box::new(Github {
            fail_on,
            location,
            step_summary: std::env::var_os("GITHUB_STEP_SUMMARY")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        }),
    }
}

/// Write `report` to every output; every output is tried, the first failure returned.
fn write_all(report: &RunReport, config: &Config, outs: Vec<(Format, ReportOutput)>) -> Result<()> {
    let mut first_error = None;
    for (format, mut out) in outs {
        let result = formatter(format, config)
            .write(report, &mut out)
            .and_then(|()| Box::new(out).commit())
            .with_context(|| format!("cannot write the {} report", format.name()));
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

fn inspect_cmd(a: &InspectArgs) -> Result<u8> {
    let file = FileConfig::load(a.config.as_deref())?;
    let config = Config::resolve(file, &a.overrides())?;
    let path = PathBuf::from(&a.target);
    let inspection = if path.is_file() {
        let body =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        if citecheck::warc::is_warc(&body) {
            inspect::from_warc(&body, a.url.as_deref())
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        } else {
            let url = a.url.clone().unwrap_or_default();
            inspect::from_bytes(&url, None, &body)
        }
    } else {
        let rt = runtime()?;
        let target = a.url.clone().unwrap_or_else(|| a.target.clone());
        let inspection = rt.block_on(inspect::from_url(&target, &config))?;
        rt.shutdown_background();
        inspection
    };
    let mut out = BufWriter::new(io::stdout().lock());
    match a.format {
        InspectFormat::Json | InspectFormat::Jsonl => {
            serde_json::to_writer_pretty(&mut out, &inspection)?;
            writeln!(out)?;
        }
        InspectFormat::Markdown => inspection.write_markdown(&mut out)?,
    }
    out.flush()?;
    Ok(EXIT_OK)
}
