//! Where a report goes: standard output, or a file that is replaced atomically.
//!
//! A report file is written to a temporary file in the same directory and renamed into
//! place when it is complete ([`ReportSink::commit`]), so a crash, a kill or a full disk
//! never leaves a truncated report where a good one was: the old report stays until the
//! new one is whole. (A run killed while streaming JSON Lines leaves what it had
//! streamed in the temporary file `.NAME.XXXXXX.partial` next to NAME.) An output that
//! exists and is not a regular file (`/dev/stdout`, a FIFO, `/dev/full`) is written
//! directly, since it cannot be renamed over.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A report output that must be committed once everything is written.
pub trait ReportSink: Write + Send {
    /// Flush and, for a file, move it into place.
    fn commit(self: Box<Self>) -> io::Result<()>;
}

/// A report output could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot create output file {path}")]
pub struct OutputError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// Standard output, a file written in place, or a file replaced atomically.
pub enum ReportOutput {
    Stdout(BufWriter<io::Stdout>),
    Direct(BufWriter<File>),
    Atomic {
        tmp: BufWriter<tempfile::NamedTempFile>,
        path: PathBuf,
    },
}

impl ReportOutput {
    /// Open `path` (stdout when `None`) before any work, so a bad path fails early.
    pub fn open(path: Option<&Path>) -> Result<Self, OutputError> {
        let Some(path) = path else {
            return Ok(ReportOutput::Stdout(BufWriter::new(io::stdout())));
        };
        let err = |source| OutputError {
            path: path.to_owned(),
            source,
        };
        match std::fs::metadata(path) {
            Ok(m) if !m.is_file() && !m.is_dir() => {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(err)?;
                return Ok(ReportOutput::Direct(BufWriter::new(f)));
            }
            Ok(m) if m.is_dir() => {
                return Err(err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "is a directory",
                )));
            }
            _ => {}
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .map_or_else(|| "report".into(), |n| n.to_string_lossy());
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            .tempfile_in(dir)
            .map_err(err)?;
        // The report should be readable like any file the user creates, not 0600.
        let mode = std::fs::metadata(path).map_or(0o644, |m| {
            use std::os::unix::fs::PermissionsExt;
            m.permissions().mode()
        });
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode))
                .map_err(err)?;
        }
        Ok(ReportOutput::Atomic {
            tmp: BufWriter::new(tmp),
            path: path.to_owned(),
        })
    }

    fn inner(&mut self) -> &mut dyn Write {
        match self {
            ReportOutput::Stdout(w) => w,
            ReportOutput::Direct(w) => w,
            ReportOutput::Atomic { tmp, .. } => tmp,
        }
    }
}

impl Write for ReportOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner().flush()
    }
}

impl ReportSink for ReportOutput {
    fn commit(self: Box<Self>) -> io::Result<()> {
        match *self {
            ReportOutput::Stdout(mut w) => w.flush(),
            // A device or FIFO: flushed, not synced (fsync means nothing there).
            ReportOutput::Direct(w) => w.into_inner().map(drop).map_err(|e| e.into_error()),
            ReportOutput::Atomic { tmp, path } => {
                let tmp = tmp.into_inner().map_err(|e| e.into_error())?;
                tmp.as_file().sync_all()?;
                tmp.persist(&path).map(drop).map_err(|e| e.error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, "old and good").unwrap();
        let mut out = Box::new(ReportOutput::open(Some(&path)).unwrap());
        out.write_all(b"new, half writ").unwrap();
        out.flush().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old and good");
        drop(out); // a run that dies before committing
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old and good");
        let mut out = Box::new(ReportOutput::open(Some(&path)).unwrap());
        out.write_all(b"new and whole").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new and whole");
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
    }

    #[test]
    fn devices_are_written_directly_and_directories_refused() {
        let mut out = Box::new(ReportOutput::open(Some(Path::new("/dev/null"))).unwrap());
        out.write_all(b"x").unwrap();
        out.commit().unwrap();
        let dir = tempfile::tempdir().unwrap();
        assert!(ReportOutput::open(Some(dir.path())).is_err());
    }
}
