//! Containment for the PDF parser: a hostile or broken file must never take the run
//! down, nor hold it for long, nor eat the machine's memory.
//!
//! Rules:
//! - **Panics** in the parser (lopdf, pdf-extract unwrap on malformed input) are caught
//!   (`catch_unwind`) and become an error naming the file.
//! - **Time**: the parser runs on its own thread; the caller waits at most
//!   [`TIME_LIMIT`] and then reports the file as too slow. The worker checks a shared
//!   deadline between pages and stops soon after.
//! - **Stack**: the worker thread has a large stack, and recursion the parser would do
//!   without end (a form XObject that draws itself) is cut before parsing (see
//!   [`super::sanitize`]); lopdf itself limits object nesting (100) and reference chains.
//! - **Memory**: before lopdf expands object streams, every `/ObjStm` is test-inflated
//!   with a cap ([`MAX_STREAM_BYTES`]); every content stream is inflated with the same
//!   cap before text extraction, and the whole document's inflated bytes are capped at
//!   [`MAX_TOTAL_BYTES`]. Glyphs are capped per page and per document.

use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Longest time one PDF may take to read.
pub const TIME_LIMIT: Duration = Duration::from_secs(60);
/// Largest inflated size of one stream (64 MiB).
pub const MAX_STREAM_BYTES: u64 = 64 << 20;
/// Largest inflated size of all streams of one document (512 MiB).
pub const MAX_TOTAL_BYTES: u64 = 512 << 20;
/// Stack of the parser thread.
const STACK_BYTES: usize = 256 << 20;

/// A deadline shared with the worker; it also stops when the caller gave up.
#[derive(Debug, Clone)]
pub struct Deadline {
    at: Instant,
    abandoned: Arc<AtomicBool>,
}

impl Deadline {
    /// Whether the worker should stop now.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.abandoned.load(Ordering::Relaxed) || Instant::now() >= self.at
    }
}

/// Run `work` on a bounded worker thread: its panics are caught, and the caller waits at
/// most `limit`. `Err` says what went wrong, lowercase, for an error message.
pub fn run_bounded<T: Send + 'static>(
    limit: Duration,
    work: impl FnOnce(&Deadline) -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    quiet_parser_panics();
    let deadline = Deadline {
        at: Instant::now() + limit,
        abandoned: Arc::new(AtomicBool::new(false)),
    };
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let d = deadline.clone();
    let spawned = std::thread::Builder::new()
        .name(THREAD_NAME.into())
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let out = catch_unwind(AssertUnwindSafe(|| work(&d)));
            let _ = tx.send(out);
        });
    if let Err(e) = spawned {
        return Err(format!("cannot start the PDF reader: {e}"));
    }
    match rx.recv_timeout(limit + Duration::from_secs(1)) {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".into());
            Err(format!("damaged PDF: the parser failed ({what})"))
        }
        Err(_) => {
            deadline.abandoned.store(true, Ordering::Relaxed);
            Err(format!(
                "PDF took longer than {} s to read; not read",
                limit.as_secs()
            ))
        }
    }
}

/// Panics on the parser thread are expected on broken files and reported as errors:
/// keep them off stderr (other threads' panics still print).
fn quiet_parser_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() != Some(THREAD_NAME) {
                previous(info);
            }
        }));
    });
}

/// Name of the parser thread.
const THREAD_NAME: &str = "citecheck-pdf";

/// Inflate zlib `data`, failing when the output passes `cap` bytes.
pub fn inflate_capped(data: &[u8], cap: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut dec = flate2::read::ZlibDecoder::new(data).take(cap + 1);
    if let Err(e) = dec.read_to_end(&mut out) {
        // A truncated or damaged stream: keep what inflated (readers do the same).
        if out.is_empty() {
            return Err(format!("damaged compressed stream: {e}"));
        }
    }
    if out.len() as u64 > cap {
        return Err(format!(
            "a compressed stream inflates to more than {} MiB (decompression bomb?)",
            cap >> 20
        ));
    }
    Ok(out)
}

/// Check every object stream (`/Type /ObjStm`) of the raw file before lopdf expands
/// them: each must inflate within [`MAX_STREAM_BYTES`]. One linear scan.
pub fn check_object_streams(bytes: &[u8]) -> Result<(), String> {
    let mut at = 0;
    let mut total = 0u64;
    while let Some(p) = find(&bytes[at..], b"/ObjStm") {
        let mark = at + p;
        at = mark + 7;
        // The stream data follows the dictionary: `stream` EOL … `endstream`.
        let Some(s) = find(&bytes[at..bytes.len().min(at + 4096)], b"stream") else {
            continue;
        };
        let mut start = at + s + 6;
        if bytes.get(start) == Some(&b'\r') {
            start += 1;
        }
        if bytes.get(start) == Some(&b'\n') {
            start += 1;
        }
        let end = find(&bytes[start..], b"endstream").map_or(bytes.len(), |e| start + e);
        let dict = &bytes[mark.saturating_sub(512)..at + s];
        if find(dict, b"FlateDecode").is_some() {
            let n = inflate_capped(&bytes[start..end], MAX_STREAM_BYTES)
                .map(|v| v.len() as u64)
                .or_else(|e| if e.contains("bomb") { Err(e) } else { Ok(0) })?;
            total += n;
            if total > MAX_TOTAL_BYTES {
                return Err(format!(
                    "object streams inflate to more than {} MiB (decompression bomb?)",
                    MAX_TOTAL_BYTES >> 20
                ));
            }
        }
        at = end;
    }
    Ok(())
}

/// Position of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn panics_and_timeouts_are_errors() {
        let r: Result<(), String> = run_bounded(Duration::from_secs(5), |_| panic!("boom"));
        assert!(r.unwrap_err().contains("boom"));
        let r: Result<(), String> = run_bounded(Duration::from_millis(50), |d| {
            while !d.passed() {
                std::thread::sleep(Duration::from_millis(5));
            }
            std::thread::sleep(Duration::from_secs(3));
            Ok(())
        });
        assert!(r.unwrap_err().contains("longer than"));
    }

    #[test]
    fn inflation_is_capped() {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![b'a'; 1 << 20]).unwrap();
        let z = e.finish().unwrap();
        assert_eq!(inflate_capped(&z, 2 << 20).unwrap().len(), 1 << 20);
        assert!(inflate_capped(&z, 1000).unwrap_err().contains("bomb"));
    }
}
