//! Content-Encoding, decoded here rather than by the client, so that every layer is
//! undone (`Content-Encoding: gzip, gzip` is two layers), the body cap counts decoded
//! bytes whatever the encoding (a gzip bomb stops at the cap), and a body that cannot be
//! decoded says so instead of being read as garbage.
//!
//! We offer `gzip, deflate, br`; `identity` is a no-op; anything else is an error naming
//! the encoding. Layers are undone last-applied first (RFC 9110 §8.4). HTTP `deflate` is
//! zlib, but servers also send raw deflate: both are accepted, by the zlib header.

use std::io::{self, Read};

/// Accept-Encoding sent with every request: what [`decode`] can undo.
pub(crate) const ACCEPT_ENCODING: &str = "gzip, deflate, br";

/// One Content-Encoding layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Gzip,
    Deflate,
    Brotli,
}

/// Why a body could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum DecodeError {
    #[error("unsupported content-encoding {0:?}")]
    Unsupported(String),
    #[error("body could not be decoded ({coding}): {message}")]
    Corrupt {
        coding: &'static str,
        message: String,
    },
}

impl Coding {
    fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
            Coding::Brotli => "br",
        }
    }
}

/// The layers of a `Content-Encoding` header value, in the order they were applied.
pub(crate) fn codings(header: &str) -> Result<Vec<Coding>, DecodeError> {
    let mut out = Vec::new();
    for token in header.split(',') {
        let token = token.trim().to_ascii_lowercase();
        match token.as_str() {
            "" | "identity" => {}
            "gzip" | "x-gzip" => out.push(Coding::Gzip),
            "deflate" => out.push(Coding::Deflate),
            "br" => out.push(Coding::Brotli),
            _ => return Err(DecodeError::Unsupported(token)),
        }
    }
    Ok(out)
}

/// The decoded body, at most `cap` bytes, and whether it was cut there.
///
/// A stream that ends early (a body cut at the raw cap, or a connection closed mid-body
/// after a complete prefix) keeps what was decoded; corrupt data is an error.
pub(crate) fn decode(
    raw: &[u8],
    layers: &[Coding],
    cap: usize,
) -> Result<(Vec<u8>, bool), DecodeError> {
    if layers.is_empty() {
        let n = raw.len().min(cap);
        return Ok((raw[..n].to_vec(), raw.len() > cap));
    }
    let mut reader: Box<dyn Read + '_> = Box::new(raw);
    for &coding in layers.iter().rev() {
        reader = match coding {
            Coding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(reader)),
            Coding::Deflate => deflate_reader(reader),
            Coding::Brotli => Box::new(brotli_decompressor::Decompressor::new(reader, 16 * 1024)),
        };
    }
    let mut out = Vec::new();
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    match reader.take(limit).read_to_end(&mut out) {
        Ok(_) => {}
        // A truncated stream: keep the prefix that decoded.
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && !out.is_empty() => {}
        Err(e) => {
            return Err(DecodeError::Corrupt {
                coding: layers.last().map_or("?", |c| c.name()),
                message: e.to_string(),
            });
        }
    }
    let truncated = out.len() > cap;
    out.truncate(cap);
    Ok((out, truncated))
}

/// zlib-wrapped deflate when the first two bytes are a zlib header, else raw deflate.
fn deflate_reader<'a>(inner: Box<dyn Read + 'a>) -> Box<dyn Read + 'a> {
    let mut inner = io::BufReader::new(inner);
    let zlib = match io::BufRead::fill_buf(&mut inner) {
        Ok(head) if head.len() >= 2 => {
            head[0] & 0x0f == 8 && (u16::from(head[0]) << 8 | u16::from(head[1])) % 31 == 0
        }
        _ => true,
    };
    if zlib {
        Box::new(flate2::bufread::ZlibDecoder::new(inner))
    } else {
        Box::new(flate2::bufread::DeflateDecoder::new(inner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn every_layer_is_undone() {
        let page = b"<html><body>hello</body></html>".as_slice();
        let twice = gzip(&gzip(page));
        let layers = codings("gzip, gzip").unwrap();
        assert_eq!(layers, [Coding::Gzip, Coding::Gzip]);
        assert_eq!(
            decode(&twice, &layers, 1 << 20).unwrap(),
            (page.to_vec(), false)
        );
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(page).unwrap();
        let zlib = z.finish().unwrap();
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        d.write_all(page).unwrap();
        let raw_deflate = d.finish().unwrap();
        for body in [zlib, raw_deflate] {
            assert_eq!(decode(&body, &[Coding::Deflate], 1 << 20).unwrap().0, page);
        }
        assert_eq!(codings("identity").unwrap(), []);
        assert_eq!(
            codings("zstd"),
            Err(DecodeError::Unsupported("zstd".to_owned()))
        );
    }

    #[test]
    fn the_cap_counts_decoded_bytes_and_garbage_is_an_error() {
        let bomb = gzip(&vec![b'a'; 4 << 20]);
        let (out, truncated) = decode(&bomb, &[Coding::Gzip], 1000).unwrap();
        assert_eq!((out.len(), truncated), (1000, true));
        let err = decode(b"not gzip at all", &[Coding::Gzip], 1000).unwrap_err();
        assert!(err.to_string().contains("gzip"), "{err}");
        // A body cut mid-stream keeps its decoded prefix.
        let long = gzip(&b"0123456789".repeat(10_000));
        let (out, _) = decode(&long[..long.len() / 2], &[Coding::Gzip], 1 << 20).unwrap();
        assert!(!out.is_empty() && out.starts_with(b"0123456789"));
    }
}
