//! Evidence: the pages that were verified, kept as WARC/1.1 records (ISO 28500), so the
//! page that supported a claim today can be shown when it rots.
//!
//! [`WarcSink`] writes one file per run, `DIR/citecheck-<UTC time>.warc`: a `warcinfo`
//! record, then for every page verified (live or an archived capture) a `request` and a
//! `response` record (`WARC-Target-URI`, `WARC-Date`, `WARC-Record-ID`,
//! `WARC-Payload-Digest` and `WARC-Block-Digest` as `sha1:` base32, `WARC-Truncated:
//! length` for a body cut at the cap). The payload is the body as read (every
//! `Content-Encoding` undone), so the stored headers drop `Content-Encoding` and
//! `Transfer-Encoding` and give the stored `Content-Length`. Records are appended under
//! a lock as pages are read; a write error is logged once and evidence stops (the run
//! goes on).
//!
//! [`read`] is a strict reader (version line, header fields, `Content-Length`, the block,
//! the `CRLF CRLF` end of every record), used by `citecheck inspect FILE.warc --url URI`.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{SecondsFormat, Utc};
use data_encoding::BASE32;
use sha1::{Digest, Sha1};

/// One HTTP exchange to keep: what was asked and what came back.
#[derive(Debug, Clone)]
pub struct Exchange<'a> {
    pub url: &'a str,
    pub user_agent: &'a str,
    /// `HTTP/1.1`, `HTTP/2.0`.
    pub version: &'a str,
    pub code: u16,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    pub truncated: bool,
}

/// Where the evidence of a run goes.
pub struct WarcSink {
    path: PathBuf,
    out: Mutex<Option<BufWriter<File>>>,
}

/// `sha1:` and the base32 digest, as WARC tools write it.
#[must_use]
pub fn sha1_digest(bytes: &[u8]) -> String {
    format!("sha1:{}", BASE32.encode(&Sha1::digest(bytes)))
}

fn record_id() -> String {
    let r: u128 = rand::random();
    // A version-4 UUID.
    let r = (r & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let h = format!("{r:032x}");
    format!(
        "<urn:uuid:{}-{}-{}-{}-{}>",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn write_record(
    out: &mut dyn Write,
    fields: &[(&str, String)],
    content_type: &str,
    block: &[u8],
) -> io::Result<()> {
    let mut head = String::from("WARC/1.1\r\n");
    for (k, v) in fields {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("WARC-Block-Digest: {}\r\n", sha1_digest(block)));
    head.push_str(&format!("Content-Type: {content_type}\r\n"));
    head.push_str(&format!("Content-Length: {}\r\n\r\n", block.len()));
    out.write_all(head.as_bytes())?;
    out.write_all(block)?;
    out.write_all(b"\r\n\r\n")
}

/// Header values are one line: CR and LF become spaces.
fn one_line(v: &str) -> String {
    v.replace(['\r', '\n'], " ")
}

impl WarcSink {
    /// Create `dir` if needed and open a new WARC file in it, with its `warcinfo`.
    pub fn create(dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let name = format!("citecheck-{}.warc", Utc::now().format("%Y%m%dT%H%M%S%.3fZ"));
        let path = dir.join(name);
        let mut out = BufWriter::new(File::create_new(&path)?);
        let info = format!(
            "software: citecheck/{}\r\nformat: WARC File Format 1.1\r\nconformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n",
            env!("CARGO_PKG_VERSION")
        );
        write_record(
            &mut out,
            &[
                ("WARC-Type", "warcinfo".to_owned()),
                ("WARC-Record-ID", record_id()),
                ("WARC-Date", now()),
                (
                    "WARC-Filename",
                    path.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                ),
            ],
            "application/warc-fields",
            info.as_bytes(),
        )?;
        out.flush()?;
        Ok(WarcSink {
            path,
            out: Mutex::new(Some(out)),
        })
    }

    /// The file being written.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Keep one exchange: a `request` and a `response` record.
    pub fn keep(&self, x: &Exchange<'_>) {
        let mut guard = self.out.lock().expect("warc lock poisoned");
        let Some(out) = guard.as_mut() else {
            return;
        };
        if let Err(e) = Self::write_exchange(out, x).and_then(|()| out.flush()) {
            tracing::error!(path = %self.path.display(), "cannot write evidence: {e}; no more evidence in this run");
            *guard = None;
        }
    }

    fn write_exchange(out: &mut dyn Write, x: &Exchange<'_>) -> io::Result<()> {
        let url = url::Url::parse(x.url).map_err(|e| io::Error::other(e.to_string()))?;
        let mut target = url.path().to_owned();
        if let Some(q) = url.query() {
            target.push('?');
            target.push_str(q);
        }
        let host = crate::fetch::host_key(&url);
        let request = format!(
            "GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {}\r\nAccept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\r\n",
            one_line(x.user_agent)
        );
        let response_id = record_id();
        let date = now();
        let mut block = format!(
            "{} {} {}\r\n",
            if x.version.starts_with("HTTP/") {
                x.version
            } else {
                "HTTP/1.1"
            },
            x.code,
            reqwest::StatusCode::from_u16(x.code)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("")
        );
        for (k, v) in x.headers {
            let lower = k.to_ascii_lowercase();
            if matches!(
                lower.as_str(),
                "content-encoding" | "transfer-encoding" | "content-length"
            ) {
                continue;
            }
            block.push_str(&format!("{k}: {}\r\n", one_line(v)));
        }
        block.push_str(&format!("Content-Length: {}\r\n\r\n", x.body.len()));
        let mut block = block.into_bytes();
        block.extend_from_slice(x.body);
        let mut fields = vec![
            ("WARC-Type", "response".to_owned()),
            ("WARC-Record-ID", response_id.clone()),
            ("WARC-Date", date.clone()),
            ("WARC-Target-URI", x.url.to_owned()),
            ("WARC-Payload-Digest", sha1_digest(x.body)),
        ];
        if x.truncated {
            fields.push(("WARC-Truncated", "length".to_owned()));
        }
        write_record(out, &fields, "application/http;msgtype=response", &block)?;
        write_record(
            out,
            &[
                ("WARC-Type", "request".to_owned()),
                ("WARC-Record-ID", record_id()),
                ("WARC-Date", date),
                ("WARC-Target-URI", x.url.to_owned()),
                ("WARC-Concurrent-To", response_id),
            ],
            "application/http;msgtype=request",
            request.as_bytes(),
        )
    }
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A `response` record's HTTP message: status code, headers, payload.
pub type HttpResponse<'a> = (u16, Vec<(String, String)>, &'a [u8]);

/// One record read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// `WARC/1.1`.
    pub version: String,
    pub fields: Vec<(String, String)>,
    pub block: Vec<u8>,
}

impl Record {
    /// The first field named `name` (case-insensitive).
    #[must_use]
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A `response` record's HTTP message: status code, headers, payload.
    #[must_use]
    pub fn http_response(&self) -> Option<HttpResponse<'_>> {
        let end = self.block.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&self.block[..end]).ok()?;
        let mut lines = head.split("\r\n");
        let code = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Some((code, headers, &self.block[end + 4..]))
    }
}

/// Whether `bytes` start like a WARC file.
#[must_use]
pub fn is_warc(bytes: &[u8]) -> bool {
    bytes.starts_with(b"WARC/1.")
}

/// Read every record of an uncompressed WARC file, strictly: an error names the byte
/// offset of the record that is wrong.
pub fn read(bytes: &[u8]) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        let bad = |what: &str| format!("WARC record at byte {start}: {what}");
        let head_end = bytes[at..]
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| bad("no end of the header block"))?;
        let head = std::str::from_utf8(&bytes[at..at + head_end])
            .map_err(|_| bad("header block is not UTF-8"))?;
        let mut lines = head.split("\r\n");
        let version = lines.next().unwrap_or_default();
        if !matches!(version, "WARC/1.0" | "WARC/1.1") {
            return Err(bad(&format!("version line {version:?}")));
        }
        let mut fields = Vec::new();
        for l in lines {
            let (k, v) = l
                .split_once(':')
                .ok_or_else(|| bad(&format!("header line without a colon: {l:?}")))?;
            fields.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        let len: usize = fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Content-Length"))
            .and_then(|(_, v)| v.parse().ok())
            .ok_or_else(|| bad("no Content-Length"))?;
        let body_at = at + head_end + 4;
        let block = bytes
            .get(body_at..body_at + len)
            .ok_or_else(|| bad("block shorter than its Content-Length"))?;
        if bytes.get(body_at + len..body_at + len + 4) != Some(b"\r\n\r\n") {
            return Err(bad("the block does not end with CRLF CRLF"));
        }
        out.push(Record {
            version: version.to_owned(),
            fields,
            block: block.to_vec(),
        });
        at = body_at + len + 4;
    }
    Ok(out)
}

/// The `response` record for `uri` (its `WARC-Target-URI` or `WARC-Record-ID`), or the
/// first response record when no URI is given.
#[must_use]
pub fn find_response<'a>(records: &'a [Record], uri: Option<&str>) -> Option<&'a Record> {
    records.iter().find(|r| {
        r.field("WARC-Type") == Some("response")
            && uri.is_none_or(|u| {
                r.field("WARC-Target-URI") == Some(u) || r.field("WARC-Record-ID") == Some(u)
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_written_are_read_back_strictly() {
        let dir = tempfile::tempdir().unwrap();
        let sink = WarcSink::create(dir.path()).unwrap();
        let headers = vec![
            ("Content-Type".to_owned(), "text/html".to_owned()),
            ("Content-Encoding".to_owned(), "gzip".to_owned()),
        ];
        sink.keep(&Exchange {
            url: "http://example.org/a?b=1",
            user_agent: "citecheck/test",
            version: "HTTP/1.1",
            code: 200,
            headers: &headers,
            body: b"<p>hello</p>",
            truncated: true,
        });
        let bytes = std::fs::read(sink.path()).unwrap();
        let records = read(&bytes).unwrap();
        let types: Vec<_> = records
            .iter()
            .map(|r| r.field("WARC-Type").unwrap())
            .collect();
        assert_eq!(types, ["warcinfo", "response", "request"]);
        let resp = find_response(&records, Some("http://example.org/a?b=1")).unwrap();
        assert_eq!(resp.field("WARC-Truncated"), Some("length"));
        let (code, h, body) = resp.http_response().unwrap();
        assert_eq!(code, 200);
        assert_eq!(body, b"<p>hello</p>");
        assert!(h.iter().all(|(k, _)| k != "Content-Encoding"));
        assert_eq!(
            resp.field("WARC-Payload-Digest"),
            Some(sha1_digest(body).as_str())
        );
        assert_eq!(sha1_digest(b"abc"), "sha1:VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5");
        let req = &records[2];
        assert_eq!(
            req.field("WARC-Concurrent-To"),
            resp.field("WARC-Record-ID")
        );
        assert!(
            String::from_utf8_lossy(&req.block)
                .starts_with("GET /a?b=1 HTTP/1.1\r\nHost: example.org\r\n")
        );
        let id = resp.field("WARC-Record-ID").unwrap();
        assert!(id.starts_with("<urn:uuid:") && id.len() == 47, "{id}");
        // Strict: a record cut short is an error naming where.
        let err = read(&bytes[..bytes.len() - 3]).unwrap_err();
        assert!(err.contains("WARC record at byte"), "{err}");
    }
}
