//! The claim's date (mentions found by [`crate::dates`]): which date mention in a claim is the claim's own date, and which
//! year a month-day date (`4月12日`) belongs to, from the report's own context.
//!
//! Rules:
//! - the claim date is the *leading* mention (`3月21日消息，…于15日召开…` → 3月21日; a
//!   `消息` dateline is the news date); a range (`4月12日至13日`) gives its start as the
//!   date and its end as `date_end`;
//! - spans that only look like dates are not mentions: year ranges (`2018—2022年`,
//!   `(2018-2020)`), counts (`24条`), bare years;
//! - a mention without a year takes it from [`YearContext`]: the report's monitoring period
//!   (`2018 年 3 月 16—2018 年 4 月 15 日`), else its dateline (`(2018 年 4 月)`), else a
//!   `YYYY-MM` in the file name; of the years around that anchor the one that puts the
//!   date closest to it wins (a December date in a January report is the year before).
//!   Without any context the date stays unknown: never the current year.

use std::path::Path;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use regex::Regex;

/// One date mention in a text (byte range; the year may be missing).
pub(crate) type Mention = crate::dates::DateMention;

const MONTHS: &str = "Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?";

/// Month number of an English month name or abbreviation.
fn month_of(name: &str) -> Option<u32> {
    let n = name.get(..3)?.to_ascii_lowercase();
    let idx = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    .iter()
    .position(|m| *m == n)?;
    u32::try_from(idx + 1).ok()
}

fn num<T: std::str::FromStr>(m: Option<regex::Match<'_>>) -> Option<T> {
    m.and_then(|m| m.as_str().parse().ok())
}

/// Every date mention in `text`, in order (the shared recogniser in [`crate::dates`]).
pub(crate) fn find_mentions(text: &str) -> Vec<Mention> {
    crate::dates::find_dates(text)
}

/// What a report says about its own dates, used to give month-day dates a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct YearContext {
    /// The report's monitoring period, if it states one.
    pub(crate) period: Option<(NaiveDate, NaiveDate)>,
    /// A date the report is "about" (period end, dateline mid-month, file name month).
    pub(crate) anchor: Option<NaiveDate>,
}

static PERIOD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?\s*(?:—|–|-|~|～|至|到)+\s*(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日")
        .expect("valid period regex")
});
static DATELINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d{4})\s*年\s*(\d{1,2})\s*月").expect("valid dateline regex"));
static EN_DATELINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)\b({MONTHS})\.?\s+(\d{{4}})\b"))
        .expect("valid English dateline regex")
});
static FILE_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"((?:19|20)\d{2})[-_.]?(0[1-9]|1[0-2])").expect("valid file-name regex")
});

impl YearContext {
    /// Read the context from a report's text (period anywhere; dateline in the first
    /// 40 lines) and its file name.
    pub(crate) fn detect(text: &str, path: &Path) -> Self {
        if let Some(c) = PERIOD.captures_iter(text).next() {
            let (y, m, d) = (num(c.get(1)), num(c.get(2)), num(c.get(3)));
            let start = match (y, m, d) {
                (Some(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(y, m, d),
                _ => None,
            };
            if let Some(start) = start {
                let ey = num(c.get(4)).unwrap_or(start.year());
                let em = num(c.get(5)).unwrap_or(start.month());
                let end = num(c.get(6)).and_then(|ed| NaiveDate::from_ymd_opt(ey, em, ed));
                if let Some(end) = end.filter(|e| *e >= start && (*e - start).num_days() < 400) {
                    return YearContext {
                        period: Some((start, end)),
                        anchor: Some(end),
                    };
                }
            }
        }
        let head: String = text.lines().take(40).collect::<Vec<_>>().join("\n");
        let dateline = DATELINE
            .captures_iter(&head)
            .filter(|c| {
                c.get(0).is_some_and(|m| {
                    !head[m.end()..]
                        .trim_start()
                        .starts_with(|ch: char| ch.is_ascii_digit())
                })
            })
            .find_map(|c| NaiveDate::from_ymd_opt(num(c.get(1))?, num(c.get(2))?, 15))
            .or_else(|| {
                EN_DATELINE.captures_iter(&head).find_map(|c| {
                    NaiveDate::from_ymd_opt(num(c.get(2))?, month_of(c.get(1)?.as_str())?, 15)
                })
            });
        if dateline.is_some() {
            return YearContext {
                period: None,
                anchor: dateline,
            };
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let anchor = FILE_MONTH
            .captures(&name)
            .and_then(|c| NaiveDate::from_ymd_opt(num(c.get(1))?, num(c.get(2))?, 15));
        YearContext {
            period: None,
            anchor,
        }
    }

    /// The full date for `month`/`day` with an optional explicit `year`.
    pub(crate) fn resolve(&self, year: Option<i32>, month: u32, day: u32) -> Option<NaiveDate> {
        if let Some(y) = year {
            return NaiveDate::from_ymd_opt(y, month, day);
        }
        let anchor = self.anchor?;
        let distance = |d: NaiveDate| match self.period {
            Some((s, e)) if d >= s && d <= e => 0,
            Some((s, e)) => (d - s).num_days().abs().min((d - e).num_days().abs()),
            None => (d - anchor).num_days().abs(),
        };
        (anchor.year() - 1..=anchor.year() + 1)
            .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
            .min_by_key(|d| distance(*d))
    }
}

/// The claim's date and range end: the leading mention, resolved with the context.
pub(crate) fn claim_date(text: &str, ctx: &YearContext) -> (Option<NaiveDate>, Option<NaiveDate>) {
    claim_date_of(&find_mentions(text), ctx)
}

/// [`claim_date`] from the date mentions of the claim, already found.
pub(crate) fn claim_date_of(
    mentions: &[Mention],
    ctx: &YearContext,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let Some(m) = mentions.first() else {
        return (None, None);
    };
    let Some(date) = ctx.resolve(m.year, m.month, m.day) else {
        return (None, None);
    };
    let end = m.range_end_in(date.year());
    (Some(date), end)
}

/// The date a URL's path states (shared recogniser in [`crate::dates`]).
pub(crate) fn url_date(url: &str) -> Option<NaiveDate> {
    crate::dates::url_date(url)
}

/// Whether `text` starts with a date mention (after a bullet): a dated event.
pub(crate) fn starts_with_date(text: &str) -> bool {
    let t = super::block::strip_bullet(text);
    let t = t
        .strip_prefix("On ")
        .or_else(|| t.strip_prefix("on "))
        .unwrap_or(t);
    // A leading date is short: look at the first 48 characters only.
    let head = t.char_indices().nth(48).map_or(t, |(i, _)| &t[..i]);
    find_mentions(head).first().is_some_and(|m| m.start == 0)
}

/// Whether a (table cell) text is a date and nothing else (`2018-05-08`, `4月12日`,
/// `12 April 2018`): fewer than two letters or digits outside its date mentions.
pub(crate) fn is_date_only(text: &str) -> bool {
    let t = text.trim();
    if !starts_with_date(t) {
        return false;
    }
    let mut rest = 0;
    let mut at = 0;
    for m in find_mentions(t) {
        rest += t[at..m.start.max(at)]
            .chars()
            .filter(|c| c.is_alphanumeric())
            .count();
        at = at.max(m.end);
    }
    rest += t[at..].chars().filter(|c| c.is_alphanumeric()).count();
    rest < 2
}

/// Byte ranges of every date mention (for excluding date digits from keywords).
pub(crate) fn date_spans(text: &str) -> Vec<(usize, usize)> {
    find_mentions(text)
        .into_iter()
        .map(|m| (m.start, m.end))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn ctx2018() -> YearContext {
        YearContext {
            period: Some((d(2018, 3, 16), d(2018, 4, 15))),
            anchor: Some(d(2018, 4, 15)),
        }
    }

    #[test]
    fn claim_dates_every_form() {
        let c = ctx2018();
        let cases: &[(&str, Option<NaiveDate>, Option<NaiveDate>)] = &[
            ("4月12日，国务院召开会议。", Some(d(2018, 4, 12)), None),
            (
                "4月12日至13日，峰会举行。",
                Some(d(2018, 4, 12)),
                Some(d(2018, 4, 13)),
            ),
            ("4月9日消息，哈尔滨市协会成立。", Some(d(2018, 4, 9)), None),
            (
                "3月21日消息，协会于15日召开会议。",
                Some(d(2018, 3, 21)),
                None,
            ),
            ("2018年4月12日，某事。", Some(d(2018, 4, 12)), None),
            ("2017年12月1日，某事。", Some(d(2017, 12, 1)), None),
            ("Published 2018-04-12.", Some(d(2018, 4, 12)), None),
            ("Published 2018/04/12.", Some(d(2018, 4, 12)), None),
            ("On 12 April 2018, it rained.", Some(d(2018, 4, 12)), None),
            ("April 12, 2018: it rained.", Some(d(2018, 4, 12)), None),
            ("On 3 April 2018 the board met.", Some(d(2018, 4, 3)), None),
            ("On April 3 the board met.", Some(d(2018, 4, 3)), None),
            ("印发《教师教育振兴行动计划(2018—2022年)》。", None, None),
            ("若干扶持政策（2018-2020年）", None, None),
            ("优化营商环境24条措施", None, None),
            ("The 2018-2020 plan.", None, None),
            ("Call 010-62303063.", None, None),
            ("May 2018 was warm.", None, None),
        ];
        for (text, date, end) in cases {
            assert_eq!(claim_date(text, &c), (*date, *end), "{text}");
        }
    }

    #[test]
    fn year_inference() {
        let text = "# 报告\n\n(2018 年 4 月)\n\n本监测期内(2018 年 3 月 16—2018 年 4 月 15 日)，…";
        let c = YearContext::detect(text, Path::new("x.md"));
        assert_eq!(c.period, Some((d(2018, 3, 16), d(2018, 4, 15))));
        let c = YearContext::detect("# 报告\n\n(2018 年 4 月)\n", Path::new("x.md"));
        assert_eq!(c.anchor, Some(d(2018, 4, 15)));
        let c = YearContext::detect("no dates", Path::new("reports/2019-01-weekly.md"));
        assert_eq!(c.anchor, Some(d(2019, 1, 15)));
        // A December date in a January report is the year before; a January date stays.
        assert_eq!(c.resolve(None, 12, 28), Some(d(2018, 12, 28)));
        assert_eq!(c.resolve(None, 1, 3), Some(d(2019, 1, 3)));
        assert_eq!(claim_date("12月30日，某事。", &c).0, Some(d(2018, 12, 30)));
        // No context: no year, no date (never the current year).
        let none = YearContext::detect("nothing", Path::new("notes.md"));
        assert_eq!(claim_date("4月12日，某事。", &none), (None, None));
        // Range crossing the year end.
        let jan = YearContext {
            period: None,
            anchor: Some(d(2019, 1, 15)),
        };
        assert_eq!(
            claim_date("12月30日至1月2日，会。", &jan),
            (Some(d(2018, 12, 30)), Some(d(2019, 1, 2)))
        );
    }

    #[test]
    fn url_dates() {
        let cases: &[(&str, Option<NaiveDate>)] = &[
            (
                "http://www.gov.cn/guowuyuan/2018-04/12/content_5282000.htm",
                Some(d(2018, 4, 12)),
            ),
            (
                "http://www.jl.gov.cn/zw/xxgk/ducha/dcyw/201804/t20180402_2895331.html",
                Some(d(2018, 4, 2)),
            ),
            (
                "http://news.ifeng.com/a/20180411/57472785_0.shtml",
                Some(d(2018, 4, 11)),
            ),
            (
                "http://finance.qianlong.com/2018/0318/2463976.shtml",
                Some(d(2018, 3, 18)),
            ),
            (
                "http://www.bjgtj.gov.cn/art/2018/3/18/art_1963_422507.html",
                Some(d(2018, 3, 18)),
            ),
            (
                "http://www.chinanews.com/gn/2018/03-15/8468835.shtml",
                Some(d(2018, 3, 15)),
            ),
            (
                "http://news.sina.com.cn/c/2018-04-13/doc-ifyteqtq9210844.shtml",
                Some(d(2018, 4, 13)),
            ),
            ("http://www.efw.cn/news/n248145.html", None),
            ("http://2018-04-12.example.com/", None),
        ];
        for (url, want) in cases {
            assert_eq!(url_date(url), *want, "{url}");
        }
    }

    #[test]
    fn leading_mentions() {
        assert!(starts_with_date("➤ 4月8日，黑龙江"));
        assert!(starts_with_date("On 3 April 2018, x"));
        assert!(!starts_with_date("从监测结果来看，4月8日"));
        assert!(!starts_with_date("2015年以来，"));
    }
}
