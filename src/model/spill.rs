//! The unnamed temporary file a large run's rows ([`super::Spool`]) and citations
//! ([`super::Citations`]) are written to: batches of compact JSON records appended, each
//! record read back by its place. The file is created on first use in `TMPDIR` and is
//! gone when the process ends, however it ends.

use std::fs::File;
use std::io;
use std::sync::Arc;

use serde::de::DeserializeOwned;

/// Bytes of records written to a spill file at once.
pub(super) const BATCH_BYTES: usize = 64 << 10;

/// A spill file (none until the first batch) and the end of what was written; clones
/// share the file, for reading.
#[derive(Clone, Default)]
pub(super) struct SpillFile {
    file: Option<Arc<File>>,
    end: u64,
}

impl SpillFile {
    /// Append `batch` (creating the file on first use); where it starts.
    pub(super) fn append(&mut self, batch: &[u8]) -> io::Result<u64> {
        let file = match &self.file {
            Some(f) => Arc::clone(f),
            None => Arc::clone(self.file.insert(Arc::new(tempfile::tempfile()?))),
        };
        write_at(&file, batch, self.end)?;
        let at = self.end;
        self.end += batch.len() as u64;
        Ok(at)
    }

    /// A spill file over `file` (in tests: one that refuses writes).
    #[cfg(test)]
    pub(super) fn over(file: File) -> SpillFile {
        SpillFile {
            file: Some(Arc::new(file)),
            end: 0,
        }
    }

    /// Bytes written so far.
    #[cfg(test)]
    pub(super) fn len(&self) -> u64 {
        self.end
    }

    /// The JSON record of `len` bytes at `at` (`buf` is scratch space).
    pub(super) fn read<T: DeserializeOwned>(
        &self,
        at: u64,
        len: u32,
        buf: &mut Vec<u8>,
    ) -> io::Result<T> {
        let file = self
            .file
            .as_deref()
            .ok_or_else(|| io::Error::other("no spill file"))?;
        buf.resize(len as usize, 0);
        read_at(file, buf, at)?;
        serde_json::from_slice(buf).map_err(io::Error::other)
    }
}

#[cfg(unix)]
fn write_at(file: &File, buf: &[u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, at)
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(not(unix))]
fn write_at(_file: &File, _buf: &[u8], _at: u64) -> io::Result<()> {
    Err(io::Error::other("spilling needs positioned writes (Unix)"))
}

#[cfg(not(unix))]
fn read_at(_file: &File, _buf: &mut [u8], _at: u64) -> io::Result<()> {
    Err(io::Error::other("spilling needs positioned reads (Unix)"))
}
