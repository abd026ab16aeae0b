//! What an archive says it holds of one URL: the CDX index (JSON output) or a Memento
//! TimeMap (link format), read into [`Capture`]s; and which captures to try, in order.
//! Pure functions, unit-tested.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::options::{Endpoint, EndpointKind};

/// Statuses of an archived answer that can be a usable page (as InternetArchiveBot).
pub const USABLE_STATUSES: [u16; 3] = [200, 203, 206];

/// The CDX fields asked for, in this order.
pub const CDX_FIELDS: &str = "timestamp,original,statuscode,mimetype,digest";

/// One capture of a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    pub timestamp: DateTime<Utc>,
    /// The URL as the archive recorded it.
    pub original: String,
    /// The archived answer's status; `None` when the index does not say (Memento).
    pub status: Option<u16>,
    /// The address of the capture as archived, without the archive's toolbar.
    pub raw_url: String,
    /// The address a reader opens (the replacement offered).
    pub view_url: String,
}

/// The index query for `url` at `endpoint`.
#[must_use]
pub fn query_url(endpoint: &Endpoint, url: &str) -> String {
    match endpoint.kind {
        EndpointKind::Cdx => {
            let q: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("url", url)
                .append_pair("output", "json")
                .append_pair("fl", CDX_FIELDS)
                .append_pair("filter", "statuscode:200|203|206")
                .finish();
            format!("{}/cdx/search/cdx?{q}", endpoint.url)
        }
        EndpointKind::Memento if endpoint.url.contains("{url}") => {
            endpoint.url.replace("{url}", url)
        }
        EndpointKind::Memento => format!("{}/timemap/link/{url}", endpoint.url),
    }
}

/// A 14-digit Wayback timestamp (`20180412093001`; shorter ones are padded).
#[must_use]
pub fn parse_timestamp(ts: &str) -> Option<DateTime<Utc>> {
    if ts.is_empty() || ts.len() > 14 || !ts.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut full = ts.to_owned();
    // Pad a short one as the Wayback Machine does: month and day 01, time 00.
    let pad = "00000101000000";
    full.push_str(&pad[ts.len()..]);
    NaiveDateTime::parse_from_str(&full, "%Y%m%d%H%M%S")
        .ok()
        .map(|t| t.and_utc())
}

/// Read a CDX answer in JSON output: an array of rows, the first naming the fields
/// (`[]` when there are no captures). Rows that cannot be read are left out.
pub fn parse_cdx(endpoint: &Endpoint, body: &[u8]) -> Result<Vec<Capture>, String> {
    let text = String::from_utf8_lossy(body);
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Vec<serde_json::Value>> = serde_json::from_str(text.trim())
        .map_err(|e| format!("the CDX answer is not the JSON output: {e}"))?;
    let Some((head, rows)) = rows.split_first() else {
        return Ok(Vec::new());
    };
    let col = |name: &str| head.iter().position(|h| h.as_str() == Some(name));
    let (Some(ts), Some(orig)) = (col("timestamp"), col("original")) else {
        return Err("the CDX answer has no timestamp/original fields".to_owned());
    };
    let status = col("statuscode");
    let cell = |row: &[serde_json::Value], i: usize| {
        row.get(i).and_then(|v| v.as_str()).map(str::to_owned)
    };
    let mut out = Vec::new();
    for row in rows {
        let (Some(t), Some(original)) = (cell(row, ts), cell(row, orig)) else {
            continue;
        };
        let Some(timestamp) = parse_timestamp(&t) else {
            continue;
        };
        // `-` (a revisit record) or anything else that is not a number: not usable.
        let status = status
            .and_then(|i| cell(row, i))
            .map(|s| s.parse::<u16>().unwrap_or(0));
        out.push(Capture {
            timestamp,
            raw_url: format!("{}/web/{t}id_/{original}", endpoint.url),
            view_url: format!("{}/web/{t}/{original}", endpoint.url),
            original,
            status,
        });
    }
    Ok(out)
}

/// Split link-format text at the commas outside `<…>` and `"…"`.
fn link_entries(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut in_uri, mut in_quote, mut start) = (false, false, 0);
    for (i, c) in text.char_indices() {
        match c {
            '<' if !in_quote => in_uri = true,
            '>' if !in_quote => in_uri = false,
            '"' if !in_uri => in_quote = !in_quote,
            ',' if !in_uri && !in_quote => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

/// Read a Memento TimeMap in link format (RFC 7089 §5): every entry whose `rel` holds
/// `memento` and that has a `datetime`.
#[must_use]
pub fn parse_timemap(body: &[u8], original: &str) -> Vec<Capture> {
    let text = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    for entry in link_entries(&text) {
        let entry = entry.trim();
        let (Some(a), Some(b)) = (entry.find('<'), entry.find('>')) else {
            continue;
        };
        if b <= a {
            continue;
        }
        let uri = entry[a + 1..b].trim();
        let mut rel = String::new();
        let mut datetime = None;
        for param in entry[b + 1..].split(';') {
            let Some((k, v)) = param.split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"');
            match k.trim().to_ascii_lowercase().as_str() {
                "rel" => rel = v.to_ascii_lowercase(),
                "datetime" => datetime = DateTime::parse_from_rfc2822(v).ok(),
                _ => {}
            }
        }
        let is_memento = rel.split_whitespace().any(|r| r == "memento");
        let (true, Some(dt)) = (is_memento, datetime) else {
            continue;
        };
        out.push(Capture {
            timestamp: dt.with_timezone(&Utc),
            original: original.to_owned(),
            status: None,
            raw_url: raw_memento(uri),
            view_url: uri.to_owned(),
        });
    }
    out
}

/// The raw form of a Wayback-style memento (pywb, OpenWayback, arquivo.pt:
/// `…/<14 digits>/<url>` → `…/<14 digits>id_/<url>`); other URLs as they are.
#[must_use]
pub fn raw_memento(uri: &str) -> String {
    let bytes = uri.as_bytes();
    let mut i = 0;
    while i + 16 <= bytes.len() {
        if bytes[i] == b'/'
            && bytes[i + 1..i + 15].iter().all(u8::is_ascii_digit)
            && bytes[i + 15] == b'/'
        {
            return format!("{}id_{}", &uri[..i + 15], &uri[i + 15..]);
        }
        i += 1;
    }
    uri.to_owned()
}

/// The captures to try, best first: usable statuses only (200/203/206; unknown for
/// Memento), one per timestamp; with an anchor date (the claim's), the closest capture
/// on or before it, then the closest after it, then the next before, and so on; without
/// one, the earliest first.
#[must_use]
pub fn order(captures: &[Capture], anchor: Option<NaiveDate>) -> Vec<Capture> {
    let mut usable: Vec<Capture> = captures
        .iter()
        .filter(|c| c.status.is_none_or(|s| USABLE_STATUSES.contains(&s)))
        .cloned()
        .collect();
    usable.sort_by_key(|c| c.timestamp);
    usable.dedup_by_key(|c| c.timestamp);
    let Some(anchor) = anchor else {
        return usable;
    };
    let (mut before, after): (Vec<Capture>, Vec<Capture>) = usable
        .into_iter()
        .partition(|c| c.timestamp.date_naive() <= anchor);
    before.reverse();
    let mut out = Vec::with_capacity(before.len() + after.len());
    let (mut b, mut a) = (before.into_iter(), after.into_iter());
    loop {
        match (b.next(), a.next()) {
            (None, None) => break,
            (x, y) => out.extend(x.into_iter().chain(y)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cdx() -> Endpoint {
        Endpoint::new(EndpointKind::Cdx, "https://web.archive.org/").unwrap()
    }

    #[test]
    fn cdx_query_and_answer() {
        let q = query_url(&cdx(), "http://www.gov.cn/a b?x=1&y=2");
        assert!(q.starts_with("https://web.archive.org/cdx/search/cdx?url=http%3A%2F%2Fwww.gov.cn%2Fa+b%3Fx%3D1%26y%3D2&output=json"), "{q}");
        assert!(q.contains("filter=statuscode%3A200%7C203%7C206"), "{q}");
        let body = br#"[["timestamp","original","statuscode","mimetype","digest"],
            ["20180412093001","http://www.gov.cn/x.htm","200","text/html","A"],
            ["20180413","http://www.gov.cn/x.htm","-","warc/revisit","B"],
            ["bad","http://www.gov.cn/x.htm","200","text/html","C"]]"#;
        let caps = parse_cdx(&cdx(), body).unwrap();
        assert_eq!(caps.len(), 2);
        assert_eq!(
            caps[0].view_url,
            "https://web.archive.org/web/20180412093001/http://www.gov.cn/x.htm"
        );
        assert_eq!(
            caps[0].raw_url,
            "https://web.archive.org/web/20180412093001id_/http://www.gov.cn/x.htm"
        );
        assert_eq!(caps[0].timestamp.to_rfc3339(), "2018-04-12T09:30:01+00:00");
        assert_eq!(caps[1].status, Some(0));
        assert_eq!(caps[1].timestamp.to_rfc3339(), "2018-04-13T00:00:00+00:00");
        assert!(parse_cdx(&cdx(), b"[]").unwrap().is_empty());
        assert!(parse_cdx(&cdx(), b"").unwrap().is_empty());
        assert!(parse_cdx(&cdx(), b"<html>").is_err());
    }

    #[test]
    fn timemap_link_format() {
        let body = br#"<http://x.example/a>; rel="original",
<http://arc.example/timemap/link/http://x.example/a>; rel="self"; type="application/link-format",
<http://arc.example/20180410000000/http://x.example/a>; rel="first memento"; datetime="Tue, 10 Apr 2018 00:00:00 GMT",
<http://arc.example/20180415120000/http://x.example/a,b>; rel="memento"; datetime="Sun, 15 Apr 2018 12:00:00 GMT""#;
        let caps = parse_timemap(body, "http://x.example/a");
        assert_eq!(caps.len(), 2);
        assert_eq!(
            caps[0].raw_url,
            "http://arc.example/20180410000000id_/http://x.example/a"
        );
        assert_eq!(
            caps[1].view_url,
            "http://arc.example/20180415120000/http://x.example/a,b"
        );
        assert_eq!(caps[1].timestamp.to_rfc3339(), "2018-04-15T12:00:00+00:00");
        let m = Endpoint::new(EndpointKind::Memento, "http://arc.example").unwrap();
        assert_eq!(
            query_url(&m, "http://x/"),
            "http://arc.example/timemap/link/http://x/"
        );
        let t = Endpoint::new(EndpointKind::Memento, "http://arc.example/tm/{url}").unwrap();
        assert_eq!(
            query_url(&t, "http://x/"),
            "http://arc.example/tm/http://x/"
        );
        assert_eq!(
            raw_memento("http://archive.ph/abcd"),
            "http://archive.ph/abcd"
        );
    }

    #[test]
    fn closest_before_then_closest_after() {
        let cap = |ts: &str, status: u16| Capture {
            timestamp: parse_timestamp(ts).unwrap(),
            original: String::new(),
            status: Some(status),
            raw_url: ts.to_owned(),
            view_url: ts.to_owned(),
        };
        let caps = vec![
            cap("20170101", 200),
            cap("20180410", 200),
            cap("20180411", 302),
            cap("20180412235959", 200),
            cap("20180413", 404),
            cap("20180420", 206),
            cap("20190101", 200),
            cap("20190101", 200),
        ];
        let anchor = NaiveDate::from_ymd_opt(2018, 4, 12);
        let got: Vec<String> = order(&caps, anchor)
            .into_iter()
            .map(|c| c.raw_url)
            .collect();
        assert_eq!(
            got,
            [
                "20180412235959",
                "20180420",
                "20180410",
                "20190101",
                "20170101"
            ]
        );
        let got: Vec<String> = order(&caps, None).into_iter().map(|c| c.raw_url).collect();
        assert_eq!(got[0], "20170101");
    }
}
