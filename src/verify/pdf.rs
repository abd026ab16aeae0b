//! Cited documents that are PDFs: read as text and verified like a page.
//!
//! Rules:
//! - A response is a PDF when its Content-Type is `application/pdf` (or `…/x-pdf`), or
//!   when the body starts with `%PDF-` (a `.pdf` served as `application/octet-stream`
//!   or with no type). The body is what the fetcher kept (bounded by the body cap).
//! - The main text is every page's lines, pages in order; [`PageInfo::pdf_pages`] says
//!   where each page starts, so the evidence can name the page of the keywords.
//! - The page date: the document's metadata (`/CreationDate`, then XMP
//!   `xmp:CreateDate`…; source `meta`), then a dated line on the first page — a heading
//!   or signature line that is mostly a full date (`2018年4月12日`,
//!   `二〇一八年四月十二日`; source `text`), then the URL. Dates after today are
//!   skipped.
//! - Soft-404, bot-challenge and client-redirect rules do not apply to PDFs.

use chrono::NaiveDate;

use super::PageInfo;
use crate::dates::{find_dates, url_date};
use crate::model::DateSource;
use crate::pdf::{self, glyphs};

/// Whether a response is a PDF document.
#[must_use]
pub fn is_pdf_response(content_type: Option<&str>, body: &[u8]) -> bool {
    let mime = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    mime == "application/pdf" || mime == "application/x-pdf" || body.starts_with(b"%PDF-")
}

/// Read a PDF body into `info`: main text, page starts, title, dates. A PDF that cannot
/// be read leaves the main text empty, with the reason in `pdf_error`.
pub(super) fn read_pdf(url: &str, body: &[u8], today: NaiveDate, info: &mut PageInfo) {
    info.is_pdf = true;
    info.charset = "PDF".into();
    info.charset_source = crate::model::CharsetSource::Pdf;
    let text = match pdf::read(body.to_vec()) {
        Ok(t) => t,
        Err(e) => {
            info.pdf_error = Some(e);
            info.date_candidates = url_date(url)
                .map(|d| (d, DateSource::Url))
                .into_iter()
                .collect();
            choose(info, today);
            return;
        }
    };
    let mut main = String::new();
    let mut first_page = String::new();
    for (i, page) in text.pages.iter().enumerate() {
        info.pdf_pages.push(main.len());
        for line in glyphs::lines(page) {
            let t = glyphs::segment_text(page, &line.glyphs, &mut Vec::new());
            main.push_str(&t);
            main.push('\n');
            if i == 0 {
                first_page.push_str(&t);
                first_page.push('\n');
            }
        }
        main.push('\n');
    }
    info.title = first_page
        .lines()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_owned());
    let mut cands: Vec<(NaiveDate, DateSource)> = pdf::metadata_dates(&text.dates)
        .into_iter()
        .map(|(d, _)| (d, DateSource::Meta))
        .collect();
    cands.extend(
        dated_lines(&first_page)
            .into_iter()
            .map(|d| (d, DateSource::Text)),
    );
    cands.extend(url_date(url).map(|d| (d, DateSource::Url)));
    cands.dedup();
    info.date_candidates = cands;
    choose(info, today);
    info.main_text = main;
}

fn choose(info: &mut PageInfo, today: NaiveDate) {
    if let Some(&(d, s)) = info.date_candidates.iter().find(|(d, _)| *d <= today) {
        info.page_date = Some(d);
        info.page_date_source = Some(s);
    }
}

/// Full dates standing on lines of their own (a heading's date, a signature line):
/// lines where the date is most of the text. Chinese numerals are read too.
fn dated_lines(text: &str) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = arabic_date(line.trim());
        let chars = line.chars().filter(|c| !c.is_whitespace()).count();
        for m in find_dates(&line) {
            let Some(d) = m.date() else { continue };
            let len = line[m.start..m.end]
                .chars()
                .filter(|c| !c.is_whitespace())
                .count();
            if len * 2 >= chars {
                out.push(d);
            }
        }
    }
    out
}

/// `二〇一八年四月十二日` → `2018年4月12日`; other text unchanged.
fn arabic_date(s: &str) -> String {
    let digit = |c: char| {
        "〇一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .or((c == '零').then_some(0))
    };
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // A run of Chinese numerals followed by 年, 月 or 日.
        let start = i;
        while i < chars.len() && (digit(chars[i]).is_some() || chars[i] == '十') {
            i += 1;
        }
        if i > start && i < chars.len() && matches!(chars[i], '年' | '月' | '日') {
            let run = &chars[start..i];
            let value = if chars[i] == '年' {
                run.iter()
                    .filter_map(|&c| digit(c))
                    .fold(0, |v, d| v * 10 + d)
            } else {
                // 十二 = 12, 二十 = 20, 二十三 = 23, 十 = 10, 四 = 4.
                match run.iter().position(|&c| c == '十') {
                    Some(p) => {
                        let tens = if p == 0 {
                            1
                        } else {
                            run[..p].iter().filter_map(|&c| digit(c)).sum()
                        };
                        let ones: usize = run[p + 1..].iter().filter_map(|&c| digit(c)).sum();
                        tens * 10 + ones
                    }
                    None => run
                        .iter()
                        .filter_map(|&c| digit(c))
                        .fold(0, |v, d| v * 10 + d),
                }
            };
            out.push_str(&value.to_string());
            continue;
        }
        if i == start {
            out.push(chars[i]);
            i += 1;
        } else {
            out.extend(&chars[start..i]);
        }
    }
    out
}

/// The 1-based PDF page holding the most weight of the matched (normalised) terms.
#[must_use]
pub(super) fn best_page(info: &PageInfo, terms: &[(String, f64)]) -> Option<usize> {
    let text = &info.main_text;
    let mut best: Option<(usize, f64)> = None;
    for (i, &start) in info.pdf_pages.iter().enumerate() {
        let end = info.pdf_pages.get(i + 1).copied().unwrap_or(text.len());
        let page = crate::text::normalize(text.get(start..end).unwrap_or(""));
        let w: f64 = terms
            .iter()
            .filter(|(t, _)| !crate::text::find_term(&page, t).is_empty())
            .map(|(_, w)| w)
            .sum();
        if w > 0.0 && best.is_none_or(|(_, bw)| w > bw) {
            best = Some((i + 1, w));
        }
    }
    best.map(|(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numeral_dates() {
        assert_eq!(arabic_date("二〇一八年四月十二日"), "2018年4月12日");
        assert_eq!(
            arabic_date("二〇一八年十月二十三日印发"),
            "2018年10月23日印发"
        );
        assert_eq!(arabic_date("第十二条"), "第十二条");
        let d = NaiveDate::from_ymd_opt(2018, 4, 12).unwrap();
        assert_eq!(
            dated_lines("关于印发的通知\n国务院办公厅\n二〇一八年四月十二日\n"),
            vec![d]
        );
        // A date inside a sentence is not the document's date.
        assert!(
            dated_lines("会议于2018年4月12日在北京召开，讨论了互联网+医疗健康的发展").is_empty()
        );
    }

    #[test]
    fn pdf_responses() {
        assert!(is_pdf_response(Some("application/pdf"), b""));
        assert!(is_pdf_response(
            Some("application/octet-stream"),
            b"%PDF-1.4"
        ));
        assert!(is_pdf_response(None, b"%PDF-1.7"));
        assert!(!is_pdf_response(Some("text/html"), b"<html>"));
    }
}
