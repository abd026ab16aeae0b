//! The citations of a run, by index — held in memory, or for a large run mostly in a
//! spill file, so that a `check` of 100,000 citations does not keep every citation
//! (its claim's text, keywords, URLs, source) in memory while it fetches.
//!
//! [`Citations::new`] takes the extracted citations once the run is planned: the first
//! [`SPILL_AFTER`] (`CITECHECK_SPILL_AFTER`) stay in memory, the rest are written in
//! batches to an unnamed temporary file (gone when the process ends, however it ends),
//! one compact JSON record each, with only their place in the file kept in memory. The
//! report files' paths are not written (a name need not be UTF-8): each record names its
//! path by index in a table kept in memory, one entry per report file.
//! Citations that cannot be written (a full disk) stay in memory instead, and spilling
//! stops. [`Citations::get`] reads a spilled citation back when its URL is checked and
//! when its row is written out; nothing holds it in between.

use std::path::Path;
use std::sync::Arc;

use super::spill::{BATCH_BYTES, ReadBuf, SpillFile};
use super::{Citation, SourceSpan};

#[cfg(doc)]
use super::SPILL_AFTER;

/// One citation: in memory, or its record in the spill file.
enum Entry {
    Mem(Arc<Citation>),
    Spilled { at: u64, len: u32, path: u32 },
}

/// The citations of a run, by index (see the module documentation).
pub struct Citations {
    entries: Vec<Entry>,
    /// The report files' paths, for the spilled citations.
    paths: Vec<Arc<Path>>,
    file: SpillFile,
}

impl std::fmt::Debug for Citations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Citations")
            .field("len", &self.entries.len())
            .field("spilled", &self.spilled())
            .finish()
    }
}

impl Default for Citations {
    fn default() -> Self {
        Citations::new(Vec::new(), 0)
    }
}

impl Citations {
    /// The table of `citations` (in their order), keeping at most `keep_in_memory` in
    /// memory and spilling the rest.
    #[must_use]
    pub fn new(citations: Vec<Citation>, keep_in_memory: usize) -> Citations {
        Citations::spilled_to(citations, keep_in_memory, SpillFile::default())
    }

    /// [`Citations::new`], spilling to `file`.
    fn spilled_to(citations: Vec<Citation>, keep_in_memory: usize, file: SpillFile) -> Citations {
        let mut table = Citations {
            entries: Vec::with_capacity(citations.len()),
            paths: Vec::new(),
            file,
        };
        let mut batch = Vec::new();
        // The citations of `batch` (entry index, citation), kept until it is written.
        let mut pending: Vec<(usize, Citation)> = Vec::new();
        let mut given_up = false;
        let none: Arc<Path> = Arc::from(Path::new(""));
        for mut c in citations {
            if table.entries.len() < keep_in_memory || given_up {
                table.entries.push(Entry::Mem(Arc::new(c)));
                continue;
            }
            // The path is kept in the table, not in the record.
            let path = std::mem::replace(&mut c.source.path, Arc::clone(&none));
            if table.paths.last() != Some(&path) {
                table.paths.push(path);
            }
            let path = u32::try_from(table.paths.len() - 1).unwrap_or(u32::MAX);
            let before = batch.len();
            let len = serde_json::to_writer(&mut batch, &c)
                .ok()
                .and_then(|()| u32::try_from(batch.len() - before).ok());
            let Some(len) = len else {
                // Not representable as a record (cannot happen for our types): keep it.
                batch.truncate(before);
                c.source.path = table.path(path);
                table.entries.push(Entry::Mem(Arc::new(c)));
                continue;
            };
            // Its place in the file is set when the batch lands.
            table.entries.push(Entry::Spilled { at: 0, len, path });
            pending.push((table.entries.len() - 1, c));
            if batch.len() >= BATCH_BYTES {
                given_up = !table.flush(&mut batch, &mut pending);
            }
        }
        table.flush(&mut batch, &mut pending);
        table
    }

    /// Write `batch`, the records of the `pending` citations, and set their places; on
    /// failure they are kept in memory instead. Whether it was written.
    fn flush(&mut self, batch: &mut Vec<u8>, pending: &mut Vec<(usize, Citation)>) -> bool {
        if pending.is_empty() {
            return true;
        }
        let written = self.file.append(batch);
        batch.clear();
        let mut next = written.as_ref().ok().copied();
        for (i, mut c) in pending.drain(..) {
            let path = match self.entries.get_mut(i) {
                Some(Entry::Spilled { at, len, path }) => match &mut next {
                    Some(n) => {
                        *at = *n;
                        *n += u64::from(*len);
                        continue;
                    }
                    None => *path,
                },
                _ => continue,
            };
            c.source.path = self.path(path);
            self.entries[i] = Entry::Mem(Arc::new(c));
        }
        match written {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(
                    "citations are kept in memory: the temporary spill file failed: {e}"
                );
                false
            }
        }
    }

    fn path(&self, i: u32) -> Arc<Path> {
        self.paths
            .get(i as usize)
            .cloned()
            .unwrap_or_else(|| Arc::from(Path::new("")))
    }

    /// Number of citations.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Citations whose record lives in the spill file.
    #[must_use]
    pub fn spilled(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e, Entry::Spilled { .. }))
            .count()
    }

    /// Citation `i`: shared when in memory, else read back from the spill file.
    ///
    /// # Errors
    /// `i` out of range, or the record could not be read back (the temporary file
    /// damaged under us).
    pub fn get(&self, i: usize) -> std::io::Result<Arc<Citation>> {
        self.get_through(i, &mut ReadBuf::exact())
    }

    /// [`Citations::get`], reading through `buf` (citations read in order share reads).
    pub(super) fn get_through(
        &self,
        i: usize,
        buf: &mut ReadBuf,
    ) -> std::io::Result<Arc<Citation>> {
        match self.entries.get(i) {
            None => Err(std::io::Error::other(format!("no citation {i}"))),
            Some(Entry::Mem(c)) => Ok(Arc::clone(c)),
            Some(&Entry::Spilled { at, len, path }) => {
                let mut c: Citation = self.file.read(at, len, buf)?;
                c.source.path = self.path(path);
                Ok(Arc::new(c))
            }
        }
    }

    /// Citation `i`, or when it cannot be read back [`Citations::lost`] with a warning:
    /// a damaged temporary file costs the citation's details, never the run.
    #[must_use]
    pub fn get_or(&self, i: usize, url: &str) -> Arc<Citation> {
        self.get_or_through(i, url, &mut ReadBuf::exact())
    }

    /// [`Citations::get_or`], reading through `buf`.
    pub(super) fn get_or_through(&self, i: usize, url: &str, buf: &mut ReadBuf) -> Arc<Citation> {
        self.get_through(i, buf).unwrap_or_else(|e| {
            tracing::warn!(
                "citation {} of {url} could not be read back from the temporary spill file: {e}",
                i + 1
            );
            Citations::lost(url)
        })
    }

    /// The stand-in for a citation that could not be read back: it names `url` (the URL
    /// it was checked under) and says what was lost.
    #[must_use]
    pub fn lost(url: &str) -> Arc<Citation> {
        Arc::new(Citation {
            source: SourceSpan {
                path: Arc::from(Path::new(
                    "(citation lost: temporary spill file unreadable)",
                )),
                page: None,
                line: 0,
            },
            url: url.to_owned(),
            written_url: url.to_owned(),
            claim: super::Claim::default(),
            context: None,
            repairs: Vec::new(),
            suggestions: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::ffi::OsStrExt;
    use std::path::PathBuf;

    use chrono::NaiveDate;

    use super::*;
    use crate::model::{Claim, Keyword};

    fn citation(i: usize, path: &std::path::Path) -> Citation {
        Citation {
            source: SourceSpan {
                path: Arc::from(path),
                page: (i % 3 == 0).then_some(i),
                line: i + 1,
            },
            url: format!("https://example.org/{i}#x"),
            written_url: format!("https://example.org/{i}#x&amp;"),
            claim: Claim {
                text: format!(
                    "4月{}日，国务院发布第{i}号文件 — weight 0.1+0.2",
                    1 + i % 28
                ),
                date: NaiveDate::from_ymd_opt(2018, 4, 1 + (i % 28) as u32),
                date_end: None,
                keywords: vec![
                    Keyword {
                        term: Arc::from("国务院"),
                        weight: 0.1 + 0.2,
                    },
                    Keyword {
                        term: Arc::from(format!("文件{i}").as_str()),
                        weight: 1.0 / 3.0,
                    },
                ],
            },
            context: (i % 2 == 0).then(|| "第二节".to_owned()),
            repairs: Vec::new(),
            suggestions: Vec::new(),
        }
    }

    #[test]
    fn spilled_citations_come_back_equal_with_their_raw_paths() {
        // Two report files, one whose name is not UTF-8: paths are never written.
        let a = PathBuf::from("reports/a.md");
        let b = PathBuf::from(std::ffi::OsStr::from_bytes(b"reports/b\xff.md"));
        let n = 3_000;
        let all: Vec<Citation> = (0..n)
            .map(|i| citation(i, if i < n / 2 { &a } else { &b }))
            .collect();
        let table = Citations::new(all.clone(), 10);
        assert_eq!(table.len(), n);
        assert_eq!(
            table.spilled(),
            n - 10,
            "all but ten went to the spill file"
        );
        for (i, want) in all.iter().enumerate() {
            assert_eq!(*table.get(i).unwrap(), *want, "citation {i}");
        }
        assert!(table.get(n).is_err());
        let lost = table.get_or(n, "https://example.org/lost");
        assert_eq!(lost.url, "https://example.org/lost");
    }

    #[test]
    fn a_small_run_keeps_its_citations_in_memory() {
        let all: Vec<Citation> = (0..5).map(|i| citation(i, "r.md".as_ref())).collect();
        let table = Citations::new(all.clone(), 5);
        assert_eq!(table.spilled(), 0);
        assert_eq!(table.file.len(), 0, "no spill file for a small run");
        assert_eq!(*table.get(4).unwrap(), all[4]);
    }

    #[test]
    fn a_spill_file_that_cannot_be_written_keeps_the_citations_in_memory() {
        // A spill "file" that refuses writes: a read-only handle.
        let ro = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
        let all: Vec<Citation> = (0..3_000).map(|i| citation(i, "r.md".as_ref())).collect();
        let table = Citations::spilled_to(all.clone(), 0, SpillFile::over(ro));
        assert_eq!(
            table.spilled(),
            0,
            "nothing claimed spilled that was not written"
        );
        for (i, want) in all.iter().enumerate() {
            assert_eq!(*table.get(i).unwrap(), *want, "citation {i}, path included");
        }
    }
}
