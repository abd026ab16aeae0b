//! Decoding a page's bytes to text.
//!
//! Order, as browsers do: a byte-order mark, the `Content-Type` header's `charset`, a
//! `<meta charset>` / `<meta http-equiv="Content-Type">` in the first 4 KB, and else a
//! guess by chardetng (with the URL's TLD as a hint). Chinese sites often declare
//! nothing, or declare UTF-8 while serving GBK: a declaration whose decoding is full
//! of malformed sequences is overruled by detection, and a declared legacy charset is
//! overruled when the bytes are valid, non-ASCII UTF-8.
//!
//! UTF-16 and UTF-32 are not ASCII-compatible, so neither the `<meta>` pre-scan nor
//! chardetng sees them: they are recognised by their BOM, by a `charset` in the header
//! (encoding_rs has no UTF-32, so it is decoded here), or sniffed from the pattern of NUL
//! bytes that markup in them shows (`<\0h\0t\0m\0l\0` …).

use std::sync::LazyLock;

use encoding_rs::{Encoding, UTF_8};

use crate::model::CharsetSource;
use regex::bytes::Regex;

/// How many bytes the `<meta>` pre-scan looks at.
const PRESCAN_BYTES: usize = 4096;
/// Share of malformed sequences (per decoded char) above which a declaration is a lie.
const MAX_MALFORMED_SHARE: f64 = 0.002;
/// At least this many malformed sequences before a declaration is doubted.
const MIN_MALFORMED: usize = 3;

/// The text of a page and how its charset was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decoded {
    pub(crate) text: String,
    /// The encoding used (`UTF-8`, `GBK`, `Big5`, `Shift_JIS`, …).
    pub(crate) charset: String,
    /// Where the charset came from.
    pub(crate) source: CharsetSource,
    /// The declared charset that was overruled, with where it was declared.
    pub(crate) overruled: Option<String>,
}

static META_CHARSET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)"#)
        .expect("static meta charset regex is valid")
});

/// The `charset` parameter of a Content-Type value.
fn header_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        Encoding::for_label(value.trim().trim_matches(['"', '\'']).as_bytes())
    })
}

/// The charset declared by a `<meta>` in the first bytes of the page.
fn meta_charset(body: &[u8]) -> Option<&'static Encoding> {
    let head = &body[..body.len().min(PRESCAN_BYTES)];
    let caps = META_CHARSET.captures(head)?;
    let label = caps.get(1)?.as_bytes();
    let encoding = Encoding::for_label(label)?;
    // A UTF-16 declaration in an ASCII-compatible stream means UTF-8 (HTML spec).
    if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        return Some(UTF_8);
    }
    Some(encoding)
}

fn detect(body: &[u8], tld: Option<&str>) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(body, true);
    let tld = tld.map(str::as_bytes);
    detector.guess(tld, chardetng::Utf8Detection::Allow)
}

/// Decode without BOM handling; the count of malformed sequences.
fn decode_counting(body: &[u8], encoding: &'static Encoding) -> (String, usize) {
    let (text, had_errors) = encoding.decode_without_bom_handling(body);
    let malformed = if had_errors {
        text.chars()
            .filter(|&c| c == char::REPLACEMENT_CHARACTER)
            .count()
            - count_literal_replacements(body)
    } else {
        0
    };
    (text.into_owned(), malformed)
}

/// U+FFFD written in the page itself (as UTF-8) is not a decoding error.
fn count_literal_replacements(body: &[u8]) -> usize {
    body.windows(3).filter(|w| *w == [0xEF, 0xBF, 0xBD]).count()
}

fn too_malformed(malformed: usize, text: &str) -> bool {
    let chars = text.chars().count().max(1);
    #[allow(clippy::cast_precision_loss)]
    let share = malformed as f64 / chars as f64;
    malformed >= MIN_MALFORMED && share > MAX_MALFORMED_SHARE
}

/// A UTF-16 or UTF-32 form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wide {
    Utf16Le,
    Utf16Be,
    Utf32Le,
    Utf32Be,
}

impl Wide {
    fn name(self) -> &'static str {
        match self {
            Wide::Utf16Le => "UTF-16LE",
            Wide::Utf16Be => "UTF-16BE",
            Wide::Utf32Le => "UTF-32LE",
            Wide::Utf32Be => "UTF-32BE",
        }
    }

    fn decode(self, body: &[u8]) -> String {
        match self {
            Wide::Utf16Le => encoding_rs::UTF_16LE
                .decode_without_bom_handling(body)
                .0
                .into_owned(),
            Wide::Utf16Be => encoding_rs::UTF_16BE
                .decode_without_bom_handling(body)
                .0
                .into_owned(),
            Wide::Utf32Le | Wide::Utf32Be => body
                .chunks_exact(4)
                .map(|c| {
                    let b = [c[0], c[1], c[2], c[3]];
                    let v = if self == Wide::Utf32Le {
                        u32::from_le_bytes(b)
                    } else {
                        u32::from_be_bytes(b)
                    };
                    char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER)
                })
                .collect(),
        }
    }
}

/// A UTF-32 BOM (checked before UTF-16's, whose BOM is UTF-32LE's prefix).
fn utf32_bom(body: &[u8]) -> Option<Wide> {
    match body.get(..4)? {
        [0xFF, 0xFE, 0, 0] => Some(Wide::Utf32Le),
        [0, 0, 0xFE, 0xFF] => Some(Wide::Utf32Be),
        _ => None,
    }
}

/// A UTF-32 `charset` in the Content-Type (encoding_rs knows no UTF-32 labels).
fn header_utf32(content_type: &str, body: &[u8]) -> Option<Wide> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        match value
            .trim()
            .trim_matches(['"', '\''])
            .to_ascii_lowercase()
            .as_str()
        {
            "utf-32le" => Some(Wide::Utf32Le),
            "utf-32be" => Some(Wide::Utf32Be),
            "utf-32" | "ucs-4" => Some(sniff_wide(body).unwrap_or(Wide::Utf32Be)),
            _ => None,
        }
    })
}

/// UTF-16/32 without a BOM, from where the NUL bytes fall: every UTF-32 unit has a zero
/// high byte (code points end at U+10FFFF), and in UTF-16 the ASCII of the markup has a
/// zero byte on one side only. Text in ASCII-compatible encodings has no NULs at all.
fn sniff_wide(body: &[u8]) -> Option<Wide> {
    let head = &body[..body.len().min(1024) / 4 * 4];
    let units = head.len() / 4;
    if units >= 4 {
        let char_like = |hi: u8, plane: u8, lo: &[u8]| hi == 0 && plane <= 0x10 && lo != [0, 0];
        let le = head
            .chunks_exact(4)
            .filter(|c| char_like(c[3], c[2], &c[..2]))
            .count();
        let be = head
            .chunks_exact(4)
            .filter(|c| char_like(c[0], c[1], &c[2..]))
            .count();
        if le * 20 >= units * 19 {
            return Some(Wide::Utf32Le);
        }
        if be * 20 >= units * 19 {
            return Some(Wide::Utf32Be);
        }
    }
    let pairs = head.len() / 2;
    let odd = head
        .chunks_exact(2)
        .filter(|c| c[0] != 0 && c[1] == 0)
        .count();
    let even = head
        .chunks_exact(2)
        .filter(|c| c[0] == 0 && c[1] != 0)
        .count();
    let enough = |n: usize| n >= 8 && n * 10 >= pairs;
    if enough(odd) && even * 8 <= odd {
        return Some(Wide::Utf16Le);
    }
    if enough(even) && odd * 8 <= even {
        return Some(Wide::Utf16Be);
    }
    None
}

fn wide(text: String, wide: Wide, source: CharsetSource) -> Decoded {
    Decoded {
        text,
        charset: wide.name().to_owned(),
        source,
        overruled: None,
    }
}

/// Decode a page body.
///
/// `tld` (e.g. `cn`) helps detection when nothing is declared.
pub(crate) fn decode(content_type: Option<&str>, body: &[u8], tld: Option<&str>) -> Decoded {
    if let Some(w) = utf32_bom(body) {
        return wide(w.decode(&body[4..]), w, CharsetSource::Bom);
    }
    if let Some(w) = content_type.and_then(|ct| header_utf32(ct, body)) {
        return wide(w.decode(body), w, CharsetSource::Header);
    }
    if let Some((encoding, bom_len)) = Encoding::for_bom(body) {
        let (text, _) = encoding.decode_without_bom_handling(&body[bom_len..]);
        return Decoded {
            text: text.into_owned(),
            charset: encoding.name().to_owned(),
            source: CharsetSource::Bom,
            overruled: None,
        };
    }
    let declared = content_type
        .and_then(header_charset)
        .map(|e| (e, CharsetSource::Header))
        .or_else(|| meta_charset(body).map(|e| (e, CharsetSource::Meta)));
    if let Some((encoding, source)) = declared {
        let (text, malformed) = decode_counting(body, encoding);
        let lying_legacy =
            encoding != UTF_8 && !body.is_ascii() && std::str::from_utf8(body).is_ok();
        if lying_legacy {
            return Decoded {
                text: String::from_utf8_lossy(body).into_owned(),
                charset: UTF_8.name().to_owned(),
                source: CharsetSource::Detected,
                overruled: Some(format!("{} ({source})", encoding.name())),
            };
        }
        if !too_malformed(malformed, &text) {
            return Decoded {
                text,
                charset: encoding.name().to_owned(),
                source,
                overruled: None,
            };
        }
        let guess = detect(body, tld);
        if guess != encoding {
            let (guessed_text, guessed_malformed) = decode_counting(body, guess);
            if guessed_malformed < malformed {
                return Decoded {
                    text: guessed_text,
                    charset: guess.name().to_owned(),
                    source: CharsetSource::Detected,
                    overruled: Some(format!("{} ({source})", encoding.name())),
                };
            }
        }
        return Decoded {
            text,
            charset: encoding.name().to_owned(),
            source,
            overruled: None,
        };
    }
    if let Some(w) = sniff_wide(body) {
        return wide(w.decode(body), w, CharsetSource::Detected);
    }
    let guess = detect(body, tld);
    let (text, _) = decode_counting(body, guess);
    Decoded {
        text,
        charset: guess.name().to_owned(),
        source: CharsetSource::Detected,
        overruled: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZH: &str = "国务院常务会议部署推进“互联网＋医疗健康”发展，加快发展数字经济，建设网络强国。\
        会议指出，要加快推进政务服务一网通办，让企业和群众办事更便捷。";

    fn page(head: &str, body: &str) -> String {
        format!(
            "<!DOCTYPE html><html><head>{head}<title>News</title></head><body><p>{body}</p></body></html>"
        )
    }

    fn encode(encoding: &'static Encoding, s: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = encoding.encode(s);
        assert!(
            !unmappable,
            "test text must be encodable in {}",
            encoding.name()
        );
        bytes.into_owned()
    }

    /// name, Content-Type, body, expected charset, source, text.
    type Case = (
        &'static str,
        Option<&'static str>,
        Vec<u8>,
        &'static str,
        &'static str,
        &'static str,
    );

    #[test]
    fn utf16_without_bom_and_utf32_are_decoded() {
        let html = page(r#"<meta charset="utf-8">"#, ZH);
        let utf16le: Vec<u8> = html.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let utf16be: Vec<u8> = html.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let utf32le: Vec<u8> = html
            .chars()
            .flat_map(|c| u32::from(c).to_le_bytes())
            .collect();
        let utf32be: Vec<u8> = html
            .chars()
            .flat_map(|c| u32::from(c).to_be_bytes())
            .collect();
        let mut bom32 = vec![0xFF, 0xFE, 0, 0];
        bom32.extend_from_slice(&utf32le);
        let cases: [(Option<&str>, &[u8], &str, &str); 6] = [
            (None, &utf16le, "UTF-16LE", "detected"),
            (None, &utf16be, "UTF-16BE", "detected"),
            (None, &utf32le, "UTF-32LE", "detected"),
            (None, &utf32be, "UTF-32BE", "detected"),
            (None, &bom32, "UTF-32LE", "bom"),
            (
                Some("text/html; charset=utf-32be"),
                &utf32be,
                "UTF-32BE",
                "header",
            ),
        ];
        for (ct, body, charset, source) in cases {
            let d = decode(ct, body, None);
            assert_eq!((d.charset.as_str(), d.source.as_str()), (charset, source));
            assert!(d.text.contains("互联网＋医疗健康"), "{charset}: {}", d.text);
        }
        let d = decode(Some("text/html; charset=utf-16le"), &utf16le, None);
        assert!(d.text.contains("互联网＋医疗健康"));
    }

    #[test]
    fn decodes_declared_and_undeclared_pages() {
        let gbk_meta = encode(encoding_rs::GBK, &page(r#"<meta charset="gb2312">"#, ZH));
        let gbk_http_equiv = encode(
            encoding_rs::GBK,
            &page(
                r#"<meta http-equiv="Content-Type" content="text/html; charset=GBK">"#,
                ZH,
            ),
        );
        let gbk_bare = encode(encoding_rs::GBK, &page("", ZH));
        let gb18030 = encode(
            encoding_rs::GB18030,
            &page(r#"<meta charset="gb18030">"#, ZH),
        );
        let big5_text = "行政院會議推動數位經濟發展，加快建設網路強國。會議指出，要推進政務服務，讓企業和民眾辦事更便捷。";
        let big5 = encode(encoding_rs::BIG5, &page("", big5_text));
        let sjis_text = "日本政府はデジタル経済の発展を推進し、行政サービスのオンライン化を加速すると発表した。会議では企業と市民の手続きを簡素化する方針が示された。";
        let sjis = encode(
            encoding_rs::SHIFT_JIS,
            &page(r#"<meta charset="shift_jis">"#, sjis_text),
        );
        let sjis_bare = encode(encoding_rs::SHIFT_JIS, &page("", sjis_text));
        let utf8 = page("", ZH).into_bytes();
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(&utf8);
        let utf16 = {
            let mut v = vec![0xFF, 0xFE];
            for unit in page("", ZH).encode_utf16() {
                v.extend_from_slice(&unit.to_le_bytes());
            }
            v
        };
        let cases: Vec<Case> = vec![
            (
                "gbk nothing declared, no tld",
                None,
                gbk_bare.clone(),
                "GBK",
                "detected",
                ZH,
            ),
            ("gbk meta", None, gbk_meta.clone(), "GBK", "meta", ZH),
            ("gbk http-equiv", None, gbk_http_equiv, "GBK", "meta", ZH),
            (
                "gbk header",
                Some("text/html; charset=gbk"),
                gbk_bare.clone(),
                "GBK",
                "header",
                ZH,
            ),
            (
                "gbk header beats meta",
                Some("text/html;charset=\"GB2312\""),
                gbk_meta,
                "GBK",
                "header",
                ZH,
            ),
            (
                "gbk nothing declared",
                None,
                gbk_bare.clone(),
                "GBK",
                "detected",
                ZH,
            ),
            (
                "gbk content-type without charset",
                Some("text/html"),
                gbk_bare,
                "GBK",
                "detected",
                ZH,
            ),
            ("gb18030", None, gb18030, "gb18030", "meta", ZH),
            ("big5 undeclared", None, big5, "Big5", "detected", big5_text),
            ("shift_jis meta", None, sjis, "Shift_JIS", "meta", sjis_text),
            (
                "shift_jis undeclared",
                None,
                sjis_bare,
                "Shift_JIS",
                "detected",
                sjis_text,
            ),
            (
                "utf-8 undeclared",
                None,
                utf8.clone(),
                "UTF-8",
                "detected",
                ZH,
            ),
            (
                "utf-8 header",
                Some("text/html; charset=utf-8"),
                utf8,
                "UTF-8",
                "header",
                ZH,
            ),
            (
                "utf-8 bom",
                Some("text/html; charset=gbk"),
                bom,
                "UTF-8",
                "bom",
                ZH,
            ),
            ("utf-16le bom", None, utf16, "UTF-16LE", "bom", ZH),
        ];
        for (name, content_type, body, charset, source, text) in cases {
            let tld = match charset {
                "Big5" => Some("tw"),
                "Shift_JIS" => Some("jp"),
                _ if name.contains("no tld") => None,
                _ => Some("cn"),
            };
            let decoded = decode(content_type, &body, tld);
            assert_eq!(decoded.charset, charset, "{name}");
            assert_eq!(decoded.source.as_str(), source, "{name}");
            assert!(decoded.text.contains(text), "{name}: {}", decoded.text);
        }
    }

    #[test]
    fn overrules_a_lying_declaration() {
        // Declares UTF-8 (header and meta) but the bytes are GBK.
        let body = encode(encoding_rs::GBK, &page(r#"<meta charset="utf-8">"#, ZH));
        let decoded = decode(Some("text/html; charset=UTF-8"), &body, Some("cn"));
        assert_eq!(decoded.charset, "GBK");
        assert_eq!(decoded.source, CharsetSource::Detected);
        assert_eq!(decoded.overruled.as_deref(), Some("UTF-8 (header)"));
        assert!(decoded.text.contains(ZH));

        // Declares GBK but the bytes are UTF-8.
        let body = page(r#"<meta charset="gbk">"#, ZH).into_bytes();
        let decoded = decode(None, &body, None);
        assert_eq!(decoded.charset, "UTF-8");
        assert_eq!(decoded.overruled.as_deref(), Some("GBK (meta)"));
        assert!(decoded.text.contains(ZH));
    }

    #[test]
    fn keeps_a_declaration_with_a_stray_bad_byte() {
        let mut body = page(r#"<meta charset="utf-8">"#, &ZH.repeat(20)).into_bytes();
        body.insert(200, 0xFF);
        let decoded = decode(None, &body, None);
        assert_eq!(decoded.charset, "UTF-8");
        assert_eq!(decoded.source, CharsetSource::Meta);
    }
}
