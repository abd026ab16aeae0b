//! The thin edge: parse arguments, resolve the configuration, run, map to an exit code.
//! `anyhow` lives only here; the library has typed errors.

use std::fs::File;
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
use citecheck::report::extract_paths;
use citecheck::{inspect, pipeline};

/// Every link alive (and nothing in `fail_on`).
const EXIT_OK: u8 = 0;
/// At least one citation failed under `fail_on`.
const EXIT_FAILING: u8 = 1;
/// Usage, configuration or input error.
const EXIT_ERROR: u8 = 2;
/// Interrupted by Ctrl-C (128 + SIGINT).
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

fn check(a: &CheckArgs) -> Result<u8> {
    let file = FileConfig::load(a.common.config.as_deref())?;
    let config = Config::resolve(file, &a.overrides())?;
    // Open the output first: a bad path fails before any request is sent.
    let out = open_output(a.common.output.as_deref())?;
    let extraction = extract_paths(&a.common.paths, &config.extract);
    let rt = runtime()?;
    let report = rt.block_on(async {
        let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("citecheck: interrupted; finishing requests in flight (Ctrl-C again to quit now)");
                let _ = first_tx.send(());
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(i32::from(EXIT_INTERRUPTED));
                }
            }
        });
        let interrupt = async move {
            if first_rx.await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let progress = StderrProgress::new(config.progress);
        if a.common.format == Format::Jsonl {
            // Stream: every result is written (and flushed) the moment it is known.
            let mut stream = JsonLinesStream::new(out, progress);
            let report = pipeline::check(extraction, &config, &mut stream, interrupt).await;
            Ok::<_, anyhow::Error>((report?, stream.into_error().map(Err)))
        } else {
            let mut progress = progress;
            let report = pipeline::check(extraction, &config, &mut progress, interrupt).await?;
            Ok((report, Some(Ok(out))))
        }
    })?;
    rt.shutdown_background();
    let (report, pending) = report;
    match pending {
        Some(Ok(out)) => write_to(&report, a.common.format, out)?,
        Some(Err(e)) => return Err(anyhow::Error::new(e).context("cannot write the report")),
        None => {}
    }
    Ok(if !report.complete {
        EXIT_INTERRUPTED
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

fn open_output(path: Option<&Path>) -> Result<Box<dyn Write + Send>> {
    Ok(match path {
        Some(p) => {
            Box::new(BufWriter::new(File::create(p).with_context(|| {
                format!("cannot create output file {}", p.display())
            })?))
        }
        None => Box::new(BufWriter::new(io::stdout())),
    })
}

fn write_to(report: &RunReport, format: Format, mut out: Box<dyn Write + Send>) -> Result<()> {
    let formatter: &dyn Formatter = match format {
        Format::Json => &Json,
        Format::Jsonl => &JsonLines,
        Format::Markdown => &Markdown,
    };
    formatter
        .write(report, &mut out)
        .and_then(|()| out.flush())
        .context("cannot write the report")
}

fn write_report(report: &RunReport, format: Format, path: Option<&Path>) -> Result<()> {
    write_to(report, format, open_output(path)?)
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
