//! The dates a PDF states about itself: `/CreationDate` and `/ModDate` of the document
//! information dictionary (`D:20180412093000+08'00'`) and the XMP packet's
//! `xmp:CreateDate`, `xmp:ModifyDate`, `photoshop:DateCreated`, `dc:date`
//! (ISO 8601). Creation comes first: it is the publication date the verifier wants.

use chrono::NaiveDate;
use lopdf::{Document, Object};

/// XMP keys read, creation first.
const XMP_KEYS: &[&str] = &[
    "xmp:CreateDate",
    "photoshop:DateCreated",
    "dc:date",
    "xmp:ModifyDate",
];

/// Largest XMP packet read.
const MAX_XMP_BYTES: usize = 1 << 20;

/// `(key, raw value)` of every date the document states, creation first.
pub(super) fn raw_dates(doc: &Document) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let info = match doc.trailer.get(b"Info") {
        Ok(Object::Reference(r)) => doc.get_dictionary(*r).ok(),
        Ok(Object::Dictionary(d)) => Some(d),
        _ => None,
    };
    if let Some(info) = info {
        for key in ["CreationDate", "ModDate"] {
            let value = match info.get(key.as_bytes()) {
                Ok(Object::String(s, _)) => Some(
                    lopdf::decode_text_string(&Object::String(
                        s.clone(),
                        lopdf::StringFormat::Literal,
                    ))
                    .unwrap_or_else(|_| String::from_utf8_lossy(s).into_owned()),
                ),
                Ok(Object::Reference(r)) => match doc.get_object(*r) {
                    Ok(Object::String(s, _)) => Some(String::from_utf8_lossy(s).into_owned()),
                    _ => None,
                },
                _ => None,
            };
            if let Some(v) = value {
                out.push((key.to_owned(), v));
            }
        }
    }
    let catalog = doc.catalog().ok();
    let xmp = catalog
        .and_then(|c| c.get(b"Metadata").and_then(Object::as_reference).ok())
        .and_then(|r| match doc.get_object(r) {
            Ok(Object::Stream(s)) => Some(s.content.clone()),
            _ => None,
        });
    if let Some(bytes) = xmp {
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_XMP_BYTES)]).into_owned();
        for key in XMP_KEYS {
            if let Some(v) = xmp_value(&text, key) {
                out.push(((*key).to_owned(), v));
            }
        }
    }
    out
}

/// The value of `key` in an XMP packet: as an element (`<xmp:CreateDate>…<`) or as an
/// attribute (`xmp:CreateDate="…"`); `dc:date` may wrap it in `<rdf:Seq><rdf:li>`.
fn xmp_value(text: &str, key: &str) -> Option<String> {
    if let Some(p) = text.find(&format!("{key}=\"")) {
        let rest = &text[p + key.len() + 2..];
        return rest.split('"').next().map(str::to_owned);
    }
    let p = text.find(&format!("<{key}>"))?;
    let rest = &text[p + key.len() + 2..];
    let end = rest.find(&format!("</{key}>"))?;
    let inner = &rest[..end];
    // Strip nested tags (`<rdf:Seq><rdf:li>2018-04-12</rdf:li></rdf:Seq>`).
    let mut out = String::new();
    let mut in_tag = false;
    for c in inner.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let v = out.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// Parse a PDF date (`D:YYYYMMDD…`) or an ISO 8601 date (`YYYY-MM-DD…`).
#[must_use]
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let s = raw.trim().trim_start_matches("D:");
    let digits: String = s.chars().filter(char::is_ascii_digit).take(8).collect();
    let iso = s.len() >= 10 && s.as_bytes().get(4) == Some(&b'-');
    let (y, m, d) = if iso {
        let y = s.get(0..4)?.parse().ok()?;
        let m = s.get(5..7)?.parse().ok()?;
        let d = s.get(8..10).and_then(|d| d.parse().ok()).unwrap_or(1);
        (y, m, d)
    } else if digits.len() >= 8 {
        (
            digits[0..4].parse().ok()?,
            digits[4..6].parse().ok()?,
            digits[6..8].parse().ok()?,
        )
    } else {
        return None;
    };
    NaiveDate::from_ymd_opt(y, m, d).filter(|d| d.year_ce().1 >= 1990)
}

/// The dates of `raw` (from [`super::PdfText::dates`]) that parse, in order, with the
/// key they came from.
#[must_use]
pub fn metadata_dates(raw: &[(String, String)]) -> Vec<(NaiveDate, String)> {
    raw.iter()
        .filter_map(|(k, v)| parse_date(v).map(|d| (d, k.clone())))
        .collect()
}

use chrono::Datelike as _;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(parse_date("D:20180412093000+08'00'"), d(2018, 4, 12));
        assert_eq!(parse_date("2018-04-12T09:30:00+08:00"), d(2018, 4, 12));
        assert_eq!(parse_date("D:1970"), None);
        let xmp = "<x><xmp:CreateDate>2018-04-12T09:30:00</xmp:CreateDate><dc:date><rdf:Seq><rdf:li>2018-04-13</rdf:li></rdf:Seq></dc:date></x>";
        assert_eq!(
            xmp_value(xmp, "xmp:CreateDate").as_deref(),
            Some("2018-04-12T09:30:00")
        );
        assert_eq!(xmp_value(xmp, "dc:date").as_deref(), Some("2018-04-13"));
        assert_eq!(
            xmp_value("<d xmp:ModifyDate=\"2019-01-02\"/>", "xmp:ModifyDate").as_deref(),
            Some("2019-01-02")
        );
    }
}
