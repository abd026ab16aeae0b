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

    /// The JSON record of `len` bytes at `at`, read through `buf`: a record inside the
    /// window `buf` holds is read from it, else a new window is read there (see
    /// [`ReadBuf`]).
    pub(super) fn read<T: DeserializeOwned>(
        &self,
        at: u64,
        len: u32,
        buf: &mut ReadBuf,
    ) -> io::Result<T> {
        let file = self
            .file
            .as_deref()
            .ok_or_else(|| io::Error::other("no spill file"))?;
        let end = at + u64::from(len);
        let held = buf.start..buf.start + buf.data.len() as u64;
        let sequential = at == buf.last_end;
        buf.last_end = end;
        buf.run = if sequential {
            buf.run.saturating_add(1)
        } else {
            0
        };
        if !(held.contains(&at) && end <= held.end) {
            // Read ahead only while records are read in the order they were written,
            // more the longer that lasts: rows written as hosts finished and read in
            // citation order jump about, and a jump reads only its record.
            let want = if buf.ahead && sequential {
                (len as usize).max(READ_AHEAD_MIN << buf.run.min(READ_AHEAD_STEPS))
            } else {
                len as usize
            };
            buf.data.resize(want, 0);
            let got = read_some_at(file, &mut buf.data, at)?;
            buf.data.truncate(got);
            buf.start = at;
            if got < len as usize {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the spill file ends inside a record",
                ));
            }
        }
        let from = usize::try_from(at - buf.start).map_err(io::Error::other)?;
        // One UTF-8 check of the whole record, not one per string inside it (as
        // `from_slice` does): loading 20,000 rows back took 14% fewer instructions.
        let record =
            std::str::from_utf8(&buf.data[from..from + len as usize]).map_err(io::Error::other)?;
        serde_json::from_str(record).map_err(io::Error::other)
    }
}

/// Scratch space for reading records back. Records are appended and never changed, so
/// a window read once stays true: reading records in the order they were written (the
/// citations of a report's rows) costs one read per window instead of one per record.
/// [`ReadBuf::exact`] reads only the record (records read in no order).
#[derive(Debug)]
pub(super) struct ReadBuf {
    start: u64,
    data: Vec<u8>,
    ahead: bool,
    /// The end of the last record read, and how many reads in a row began there.
    last_end: u64,
    run: u32,
}

/// The first read-ahead window (doubled on each record read in order, up to
/// [`BATCH_BYTES`]).
const READ_AHEAD_MIN: usize = BATCH_BYTES >> READ_AHEAD_STEPS;
const READ_AHEAD_STEPS: u32 = 2;

impl Default for ReadBuf {
    fn default() -> Self {
        ReadBuf {
            start: 0,
            data: Vec::new(),
            ahead: true,
            last_end: u64::MAX,
            run: 0,
        }
    }
}

impl ReadBuf {
    /// A buffer that reads each record alone.
    pub(super) fn exact() -> Self {
        ReadBuf {
            ahead: false,
            ..ReadBuf::default()
        }
    }
}

#[cfg(unix)]
fn write_at(file: &File, buf: &[u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, at)
}

/// Read into `buf` from `at` until it is full or the file ends; the bytes read.
#[cfg(unix)]
fn read_some_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match std::os::unix::fs::FileExt::read_at(file, &mut buf[got..], at + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(not(unix))]
fn write_at(_file: &File, _buf: &[u8], _at: u64) -> io::Result<()> {
    Err(io::Error::other("spilling needs positioned writes (Unix)"))
}

#[cfg(not(unix))]
fn read_some_at(_file: &File, _buf: &mut [u8], _at: u64) -> io::Result<usize> {
    Err(io::Error::other("spilling needs positioned reads (Unix)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_in_any_order_through_one_buffer_come_back_whole() {
        let mut file = SpillFile::default();
        let mut places = Vec::new();
        // Records of every size, in batches, some larger than a read-ahead window.
        let mut batch = Vec::new();
        let mut at = 0u64;
        for i in 0..400usize {
            let record = serde_json::to_vec(&vec![i; i * i % 9_000]).expect("json");
            places.push((at + batch.len() as u64, record.len() as u32, i));
            batch.extend_from_slice(&record);
            if batch.len() > BATCH_BYTES || i == 399 {
                at = file.append(&batch).expect("append") + batch.len() as u64;
                batch.clear();
            }
        }
        let check = |order: &mut dyn Iterator<Item = &(u64, u32, usize)>, buf: &mut ReadBuf| {
            for &(at, len, i) in order {
                let back: Vec<usize> = file.read(at, len, buf).expect("read back");
                assert_eq!(back, vec![i; i * i % 9_000], "record {i}");
            }
        };
        check(&mut places.iter(), &mut ReadBuf::default());
        check(&mut places.iter().rev(), &mut ReadBuf::default());
        check(&mut places.iter().step_by(3), &mut ReadBuf::default());
        check(&mut places.iter(), &mut ReadBuf::exact());
        // A record past the end of what was written is an error, not a panic.
        let end = places
            .last()
            .map(|&(at, len, _)| at + u64::from(len))
            .unwrap_or(0);
        assert!(
            file.read::<Vec<usize>>(end, 10, &mut ReadBuf::default())
                .is_err()
        );
    }
}
