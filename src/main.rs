//! The thin edge: parse arguments, resolve the configuration, run, map to an exit code.
//! `anyhow` lives only here; the library has typed errors.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use citecheck::cli::{CheckArgs, Cli, Command, Format, InspectArgs};
use citecheck::config::{Config, FileConfig};
use citecheck::output::{
    Formatter, Json, JsonLines, JsonLinesStream, Markdown, RunReport, StderrProgress,
};
use citecheck::output::{ReportOutput, ReportSink};
use citecheck::report::extract_paths;
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

fn main() -> ExitCode {
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
            let extraction = extract_paths(&a.common.paths, &config.extract);
            let report = pipeline::extract_report(extraction);
            write_report(&report, a.common.format, a.common.output.as_deref())?;
            Ok(if report.errors.is_empty() {
                EXIT_OK
            } else {
                EXIT_ERROR
            })
        }
        Command::Check(a) => check(&a),
        Command::Inspect(a) => inspect_cmd(&a),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
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
    // Open the output first: a bad path fails before any request is sent.
    let out = ReportOutput::open(a.common.output.as_deref())?;
    let extraction = extract_paths(&a.common.paths, &config.extract);
    let rt = runtime()?;
    let signalled = std::sync::Arc::new(std::sync::atomic::AtomicU8::new(0));
    let report = rt.block_on(async {
        let first = interrupt_on_signals();
        let seen = std::sync::Arc::clone(&signalled);
        let interrupt = async move {
            seen.store(first.await, std::sync::atomic::Ordering::SeqCst);
        };
        let progress = StderrProgress::new(config.progress);
        if a.common.format == Format::Jsonl {
            // Stream: every result is written (and flushed) the moment it is known.
            let mut stream = JsonLinesStream::new(Box::new(out), progress);
            let report = pipeline::check(extraction, &config, &mut stream, interrupt).await;
            let (out, error) = stream.into_parts();
            Ok::<_, anyhow::Error>((report?, out, error))
        } else {
            let mut progress = progress;
            let report = pipeline::check(extraction, &config, &mut progress, interrupt).await?;
            Ok((report, Box::new(out) as Box<dyn ReportSink>, None))
        }
    })?;
    rt.shutdown_background();
    let (report, out, stream_error) = report;
    if let Some(e) = stream_error {
        return Err(anyhow::Error::new(e).context("cannot write the report"));
    }
    if a.common.format == Format::Jsonl {
        out.commit().context("cannot write the report")?;
    } else {
        write_to(&report, a.common.format, out)?;
    }
    let signal = signalled.load(std::sync::atomic::Ordering::SeqCst);
    Ok(if !report.complete {
        if signal == 0 {
            EXIT_INTERRUPTED
        } else {
            signal
        }
    } else if !report.errors.is_empty() {
        EXIT_ERROR
    } else if report
        .citations
        .iter()
        .any(|c| pipeline::is_failing(c, &config))
    {
        EXIT_FAILING
    } else {
        EXIT_OK
    })
}

fn write_to(report: &RunReport, format: Format, mut out: Box<dyn ReportSink>) -> Result<()> {
    let formatter: &dyn Formatter = match format {
        Format::Json => &Json,
        Format::Jsonl => &JsonLines,
        Format::Markdown => &Markdown,
    };
    formatter
        .write(report, &mut out)
        .context("cannot write the report")?;
    out.commit().context("cannot write the report")
}

fn write_report(report: &RunReport, format: Format, path: Option<&Path>) -> Result<()> {
    write_to(report, format, Box::new(ReportOutput::open(path)?))
}

fn inspect_cmd(a: &InspectArgs) -> Result<u8> {
    let file = FileConfig::load(a.config.as_deref())?;
    let config = Config::resolve(file, &a.overrides())?;
    let path = PathBuf::from(&a.target);
    let inspection = if path.is_file() {
        let body =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let url = a.url.clone().unwrap_or_default();
        inspect::from_bytes(&url, None, &body)
    } else {
        let rt = runtime()?;
        let target = a.url.clone().unwrap_or_else(|| a.target.clone());
        let inspection = rt.block_on(inspect::from_url(&target, &config))?;
        rt.shutdown_background();
        inspection
    };
    let mut out = BufWriter::new(io::stdout().lock());
    match a.format {
        Format::Json | Format::Jsonl => {
            serde_json::to_writer_pretty(&mut out, &inspection)?;
            writeln!(out)?;
        }
        Format::Markdown => inspection.write_markdown(&mut out)?,
    }
    out.flush()?;
    Ok(EXIT_OK)
}
