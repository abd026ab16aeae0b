//! Finding report files and reading them as text.
//!
//! Directories are walked recursively in file-name order (deterministic output);
//! symlinked directories are followed and loops reported. Under a directory only files
//! of a known [`Format`] are read; a file named explicitly is read whatever its
//! extension. Text that is not UTF-8 is decoded (BOM,
//! else chardetng's guess, e.g. GBK); a file with NUL bytes is binary and rejected.

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Format, InputError};

/// Every file to read, in order; missing paths and walk errors go to `errors`.
pub(crate) fn collect_files(
    paths: &[PathBuf],
    errors: &mut Vec<InputError>,
    skipped: &mut usize,
) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    let mut add = |p: PathBuf, files: &mut Vec<PathBuf>| {
        let key = fs::canonicalize(&p).unwrap_or_else(|_| p.clone());
        if seen.insert(key) {
            files.push(p);
        }
    };
    for path in paths {
        match fs::metadata(path) {
            Err(e) => errors.push(InputError {
                path: path.clone(),
                line: None,
                message: format!("cannot read: {e}"),
            }),
            Ok(m) if m.is_dir() => {
                let walker = walkdir::WalkDir::new(path)
                    .follow_links(true)
                    .sort_by_file_name();
                for entry in walker {
                    match entry {
                        Ok(e) if e.file_type().is_file() => {
                            if Format::of_extension(e.path()).is_some() {
                                add(e.into_path(), &mut files);
                            } else {
                                *skipped += 1;
                            }
                        }
                        // FIFOs, sockets and devices are never read: counted as skipped.
                        Ok(e) if !e.file_type().is_dir() => *skipped += 1,
                        Ok(_) => {}
                        Err(e) => {
                            let p = e.path().map_or_else(|| path.clone(), Path::to_path_buf);
                            let message = if e.loop_ancestor().is_some() {
                                "symbolic link loop; not followed".to_string()
                            } else {
                                format!("cannot read: {e}")
                            };
                            errors.push(InputError {
                                path: p,
                                line: None,
                                message,
                            });
                        }
                    }
                }
            }
            Ok(m) if m.is_file() => add(path.clone(), &mut files),
            // Opening a FIFO would block the run; a device could be endless.
            Ok(_) => errors.push(InputError {
                path: path.clone(),
                line: None,
                message: "not a regular file (FIFO, socket or device); not read".to_owned(),
            }),
        }
    }
    files
}

/// Read and decode one report; the error message names what is wrong.
pub(crate) fn read_report(path: &Path, max_bytes: u64) -> Result<String, String> {
    decode(&read_bytes(path, max_bytes)?)
}

/// Read one file's bytes, at most `max_bytes`.
pub(crate) fn read_bytes(path: &Path, max_bytes: u64) -> Result<Vec<u8>, String> {
    let file = fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > max_bytes {
        return Err(format!("file too large: {len} bytes (limit {max_bytes})"));
    }
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > max_bytes {
        return Err(format!("file too large: more than {max_bytes} bytes"));
    }
    Ok(bytes)
}

/// Decode report bytes to text.
pub(crate) fn decode(bytes: &[u8]) -> Result<String, String> {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return Ok(text.into_owned());
    }
    if bytes.contains(&0) {
        return Err("binary file (contains NUL bytes); not a report".to_string());
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    let enc = det.guess(None, chardetng::Utf8Detection::Allow);
    let (text, _, had_errors) = enc.decode(bytes);
    let replaced = text.chars().filter(|&c| c == '\u{fffd}').count();
    if had_errors && replaced * 20 > text.chars().count().max(1) {
        return Err(format!(
            "not text: undecodable bytes (guessed {})",
            enc.name()
        ));
    }
    Ok(text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_gbk_and_rejects_binary() {
        let (gbk, _, _) = encoding_rs::GBK.encode(
            "国务院发布通知，详见http://www.gov.cn/a.htm。这是一个较长的中文句子，用于编码检测。",
        );
        assert!(decode(&gbk).unwrap().contains("国务院"));
        assert!(decode(b"abc\0def").unwrap_err().contains("binary"));
        assert_eq!(decode("\u{feff}hi".as_bytes()).unwrap(), "hi");
    }
}
