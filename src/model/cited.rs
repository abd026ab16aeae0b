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

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::Arc;

use super::rows::{BATCH_BYTES, read_at, write_at};
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
    file: Option<File>,
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

/// A citation written to the batch, not yet in the file.
struct Pending {
    index: usize,
    citation: Citation,
    len: u32,
    path: u32,
}

impl Citations {
    /// The table of `citations` (in their order), keeping at most `keep_in_memory` in
    /// memory and spilling the rest.
    #[must_use]
    pub fn new(citations: Vec<Citation>, keep_in_memory: usize) -> Citations {
        let mut table = Citations {
            entries: Vec::with_capacity(citations.len()),
            paths: Vec::new(),
            file: None,
        };
        let mut end = 0u64;
        let mut batch = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
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
            // Until its batch is written, a citation is kept as it is; its entry is
            // set when the batch lands.
            table.entries.push(Entry::Spilled { at: 0, len, path });
            pending.push(Pending {
                index: table.entries.len() - 1,
                citation: c,
                len,
                path,
            });
            if batch.len() >= BATCH_BYTES {
                given_up = !table.flush(&mut batch, &mut pending, &mut end);
            }
        }
        table.flush(&mut batch, &mut pending, &mut end);
        table
    }

    /// The number of citations kept in memory before the rest are spilled, from the
    /// environment (`CITECHECK_SPILL_AFTER`), else [`SPILL_AFTER`].
    #[must_use]
    pub fn keep_from_env() -> usize {
        super::Spool::keep_from_env()
    }

    /// Write the batch of the `pending` citations at `end`; on failure
    /// they are kept in memory instead. Whether it was written.
    fn flush(&mut self, batch: &mut Vec<u8>, pending: &mut Vec<Pending>, end: &mut u64) -> bool {
        if pending.is_empty() {
            return true;
        }
        let written = self.write(batch, *end);
        let mut at = *end;
        for p in pending.drain(..) {
            let entry = if written.is_ok() {
                let entry = Entry::Spilled {
                    at,
                    len: p.len,
                    path: p.path,
                };
                at += u64::from(p.len);
                entry
            } else {
                let mut c = p.citation;
                c.source.path = self.path(p.path);
                Entry::Mem(Arc::new(c))
            };
            if let Some(e) = self.entries.get_mut(p.index) {
                *e = entry;
            }
        }
        batch.clear();
        match written {
            Ok(()) => {
                *end = at;
                true
            }
            Err(e) => {
                tracing::warn!(
                    "citations are kept in memory: the temporary spill file failed: {e}"
                );
                false
            }
        }
    }

    fn write(&mut self, batch: &[u8], at: u64) -> io::Result<()> {
        if self.file.is_none() {
            self.file = Some(tempfile::tempfile()?);
        }
        let file = self
            .file
            .as_ref()
            .ok_or_else(|| io::Error::other("no file"))?;
        write_at(file, batch, at)
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
    pub fn get(&self, i: usize) -> io::Result<Arc<Citation>> {
        match self.entries.get(i) {
            None => Err(io::Error::other(format!("no citation {i}"))),
            Some(Entry::Mem(c)) => Ok(Arc::clone(c)),
            Some(&Entry::Spilled { at, len, path }) => {
                let file = self
                    .file
                    .as_ref()
                    .ok_or_else(|| io::Error::other("no spill file"))?;
                let mut buf = vec![0; len as usize];
                read_at(file, &mut buf, at)?;
                let mut c: Citation = serde_json::from_slice(&buf).map_err(io::Error::other)?;
                c.source.path = self.path(path);
                Ok(Arc::new(c))
            }
        }
    }

    /// Citation `i`, or when it cannot be read back a stand-in that names `url` (the
    /// URL it was checked under) and says what failed, with a warning: a damaged
    /// temporary file costs the citation's details, never the run.
    #[must_use]
    pub fn get_or(&self, i: usize, url: &str) -> Arc<Citation> {
        self.get(i).unwrap_or_else(|e| {
            tracing::warn!(
                "citation {} of {url} could not be read back from the temporary spill file: {e}",
                i + 1
            );
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
        assert!(table.file.is_none(), "no spill file for a small run");
        assert_eq!(*table.get(4).unwrap(), all[4]);
    }
}
