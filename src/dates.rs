//! Date recognition in free text and in URLs.
//!
//! Claims state their dates in many forms (`4月12日`, `2018年4月12日`, `2018-04-12`,
//! `12 April 2018`, `April 12, 2018`, …) and pages repeat them in others; URLs of news
//! sites carry the publication date in their path (`/2018-04/12/`, `/201804/t20180402_…`).
//! This module finds all of them, with byte offsets, so claims (the claim date) and
//! verification (the page date, the claim date in the page text) share one recogniser.
//! Year ranges (`2018—2022年`), article numbers (`24条`), phone numbers and invalid
//! calendar dates (`2月30日`) are not dates.

use std::ops::Range;
use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::{Captures, Regex};

/// Plausible years for a date written in text.
const TEXT_YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;
/// Plausible years for a date found in a URL path.
const URL_YEARS: std::ops::RangeInclusive<i32> = 1990..=2100;

/// One date written in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateMention {
    /// Byte offset of the first byte of the mention.
    pub start: usize,
    /// Byte offset just past the mention.
    pub end: usize,
    /// The year, when the mention states one.
    pub year: Option<i32>,
    /// Month, `1..=12`.
    pub month: u32,
    /// Day of the month, `1..=31`.
    pub day: u32,
    /// End of a range (`4月12日至13日`, `4月12日至5月2日`): month if stated, and day.
    pub range_end: Option<(Option<u32>, u32)>,
}

impl DateMention {
    /// The full date, when the mention states a year and the date is valid.
    #[must_use]
    pub fn date(&self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year?, self.month, self.day)
    }

    /// The full date with `year` supplied for a month-day mention (its own year wins).
    #[must_use]
    pub fn date_in(&self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year.unwrap_or(year), self.month, self.day)
    }

    /// The end of the range as a full date, in the year of the start.
    #[must_use]
    pub fn range_end_in(&self, year: i32) -> Option<NaiveDate> {
        let (month, day) = self.range_end?;
        let year = self.year.unwrap_or(year);
        let month = month.unwrap_or(self.month);
        // `12月30日至1月2日` crosses into the next year.
        let year = if month < self.month { year + 1 } else { year };
        NaiveDate::from_ymd_opt(year, month, day)
    }
}

/// A decimal digit, ASCII or full-width.
const D: &str = "[0-9０-９]";
/// Range separators between the two ends of a date range.
const RANGE_SEP: &str = r"(?:至|到|~|～|-|－|—|–|―)+";

static CJK: LazyLock<Regex> = LazyLock::new(|| {
    let re = format!(
        r"(?:(?P<y>{D}{{4}})\s*年\s*)?(?P<m>{D}{{1,2}})\s*月\s*(?P<d>{D}{{1,2}})\s*(?:(?:日|号)(?:\s*{RANGE_SEP}\s*(?:(?P<m2>{D}{{1,2}})\s*月\s*)?(?P<d2>{D}{{1,2}})\s*(?:日|号))?|{RANGE_SEP}\s*(?P<d3>{D}{{1,2}})\s*(?:日|号))"
    );
    Regex::new(&re).expect("static CJK date regex is valid")
});

/// `二〇一八年四月十二日`: how Chinese government documents are dated.
static CJK_NUMERAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<y>[〇零○一二三四五六七八九]{4})\s*年\s*(?P<m>十[一二]?|[一二三四五六七八九])\s*月\s*(?P<d>[二三]?十[一二三四五六七八九]?|三十[一]?|[一二三四五六七八九])\s*(?:日|号)")
        .expect("static CJK numeral date regex is valid")
});

/// The value of a Chinese numeral: digits (`二〇一八`) or tens (`十二`, `二十一`).
fn cjk_numeral(s: &str) -> Option<u32> {
    let digit = |c: char| {
        "〇一二三四五六七八九"
            .chars()
            .position(|d| d == c || (d == '〇' && (c == '零' || c == '○')))
    };
    if let Some((tens, ones)) = s.split_once('十') {
        let tens = if tens.is_empty() {
            1
        } else {
            u32::try_from(digit(tens.chars().next()?)?).ok()?
        };
        let ones = match ones.chars().next() {
            None => 0,
            Some(c) => u32::try_from(digit(c)?).ok()?,
        };
        return Some(tens * 10 + ones);
    }
    s.chars()
        .try_fold(0u32, |n, c| Some(n * 10 + u32::try_from(digit(c)?).ok()?))
}

fn find_cjk_numeral(text: &str, range: &Range<usize>, out: &mut Vec<DateMention>) {
    for caps in captures_in(&CJK_NUMERAL, text, range) {
        let whole = caps.get(0).expect("group 0 always exists");
        let num = |name: &str| caps.name(name).and_then(|m| cjk_numeral(m.as_str()));
        let (Some(year), Some(month), Some(day)) = (num("y"), num("m"), num("d")) else {
            continue;
        };
        let year = i32::try_from(year).ok();
        if !valid(year, month, day) {
            continue;
        }
        out.push(DateMention {
            start: whole.start(),
            end: whole.end(),
            year,
            month,
            day,
            range_end: None,
        });
    }
}

static NUMERIC: LazyLock<Regex> = LazyLock::new(|| {
    let re =
        format!(r"(?P<y>{D}{{4}})(?P<s1>[-/.])(?P<m>{D}{{1,2}})(?P<s2>[-/.])(?P<d>{D}{{1,2}})");
    Regex::new(&re).expect("static numeric date regex is valid")
});

/// `12.04.2018`, `12/04/2018`, `12-04-2018`: day first (European, Latin American, Arabic
/// pages); `04/21/2018`, whose "month" cannot be one, is read month first.
static DOTTED_DMY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<d>[0-9０-９]{1,2})(?P<s1>[./-])(?P<m>[0-9０-９]{1,2})(?P<s2>[./-])(?P<y>[0-9０-９]{4})")
        .expect("static dotted date regex is valid")
});

const MONTH: &str = r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|JAN(?:UARY)?|FEB(?:RUARY)?|MAR(?:CH)?|APR(?:IL)?|MAY|JUNE?|JULY?|AUG(?:UST)?|SEP(?:T(?:EMBER)?)?|OCT(?:OBER)?|NOV(?:EMBER)?|DEC(?:EMBER)?)\.?";

/// `12 April 2018`, `3rd April 2018`, `12-13 April 2018`, `12 April`.
static DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    let re = format!(
        r"(?P<d>[0-9０-９]{{1,2}})(?:st|nd|rd|th)?(?:\s*[-–]\s*(?P<d2>[0-9０-９]{{1,2}})(?:st|nd|rd|th)?)?\s+(?:of\s+)?{MONTH},?(?:\s+(?P<y>[0-9０-９]{{4}}))?"
    );
    Regex::new(&re).expect("static day-month regex is valid")
});

/// `April 12, 2018`, `Apr. 12, 2018`, `April 12-13, 2018`, `April 12`.
static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    let re = format!(
        r"{MONTH}\s+(?P<d>[0-9０-９]{{1,2}})(?:st|nd|rd|th)?(?:\s*[-–]\s*(?P<d2>[0-9０-９]{{1,2}})(?:st|nd|rd|th)?)?(?:,?\s+(?P<y>[0-9０-９]{{4}}))?"
    );
    Regex::new(&re).expect("static month-day regex is valid")
});

/// Month names of the European languages pages are written in (German, French, Spanish,
/// Italian, Portuguese, Dutch), full and abbreviated, for the forms that need a year.
const EU_MONTH: &str = r"(?P<mon>janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|januar|jänner|februar|märz|maerz|april|mai|juni|juli|august|september|oktober|november|dezember|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|janeiro|fevereiro|março|marco|maio|junho|julho|setembro|outubro|novembro|dezembro|januari|februari|maart|mei|augustus|jan|feb|mär|apr|jun|jul|aug|sept|sep|okt|nov|dez)\.?";

/// Day first, year required: `27 juin 2019`, `3. Januar 2019`, `5. Nov. 2021`,
/// `17 de marzo de 2020`, `1er mars 2020`.
static DAY_MONTH_EU: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(?P<d>[0-9０-９]{{1,2}})(?:\.|er|º|°)?\s*(?:de\s+)?{EU_MONTH}\s*(?:de\s+|del\s+)?(?P<y>[0-9０-９]{{4}})"
    ))
    .expect("static European month regex is valid")
});

/// Month first in a European language, year required: `Juli 12, 2017`.
static MONTH_DAY_EU: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i){EU_MONTH}\s+(?P<d>[0-9０-９]{{1,2}}),?\s+(?P<y>[0-9０-９]{{4}})"
    ))
    .expect("static European month-first regex is valid")
});

/// Month number of a European month name (full or abbreviated, any case).
fn eu_month_number(name: &str) -> Option<u32> {
    let lower = name.trim_end_matches('.').to_lowercase();
    let n = match lower.as_str() {
        "janvier" | "januar" | "jänner" | "enero" | "gennaio" | "janeiro" | "januari" | "jan" => 1,
        "février" | "fevrier" | "februar" | "febrero" | "febbraio" | "fevereiro" | "februari"
        | "feb" => 2,
        "mars" | "märz" | "maerz" | "marzo" | "março" | "marco" | "maart" | "mär" => 3,
        "avril" | "april" | "abril" | "aprile" | "apr" => 4,
        "mai" | "mayo" | "maggio" | "maio" | "mei" => 5,
        "juin" | "juni" | "junio" | "giugno" | "junho" | "jun" => 6,
        "juillet" | "juli" | "julio" | "luglio" | "julho" | "jul" => 7,
        "août" | "aout" | "august" | "agosto" | "augustus" | "aug" => 8,
        "septembre" | "september" | "septiembre" | "setiembre" | "settembre" | "setembro"
        | "sept" | "sep" => 9,
        "octobre" | "oktober" | "octubre" | "ottobre" | "outubro" | "okt" => 10,
        "novembre" | "november" | "noviembre" | "novembro" | "nov" => 11,
        "décembre" | "decembre" | "dezember" | "diciembre" | "dicembre" | "dezembro" | "dez" => 12,
        _ => return None,
    };
    Some(n)
}

/// Parse ASCII or full-width decimal digits.
fn parse_num(s: &str) -> Option<u32> {
    let mut n: u32 = 0;
    for c in s.chars() {
        let digit = match c {
            '0'..='9' => u32::from(c) - u32::from('0'),
            '０'..='９' => u32::from(c) - u32::from('０'),
            _ => return None,
        };
        n = n.checked_mul(10)?.checked_add(digit)?;
    }
    Some(n)
}

fn cap_num(caps: &Captures<'_>, name: &str) -> Option<u32> {
    caps.name(name).and_then(|m| parse_num(m.as_str()))
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

fn month_number(name: &str) -> Option<u32> {
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    let prefix = lower.get(..3)?;
    let n = match prefix {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    Some(n)
}

/// Whether month/day form a valid calendar day (in a leap year when the year is unknown).
fn valid(year: Option<i32>, month: u32, day: u32) -> bool {
    match year {
        Some(y) => TEXT_YEARS.contains(&y) && NaiveDate::from_ymd_opt(y, month, day).is_some(),
        None => NaiveDate::from_ymd_opt(2000, month, day).is_some(),
    }
}

fn char_before(text: &str, at: usize) -> Option<char> {
    text.get(..at).and_then(|s| s.chars().next_back())
}

fn char_after(text: &str, at: usize) -> Option<char> {
    text.get(at..).and_then(|s| s.chars().next())
}

fn year_of(caps: &Captures<'_>) -> Option<Option<i32>> {
    match caps.name("y") {
        None => Some(None),
        Some(m) => parse_num(m.as_str())
            .and_then(|y| i32::try_from(y).ok())
            .map(Some),
    }
}

fn find_cjk(text: &str, range: &Range<usize>, out: &mut Vec<DateMention>) {
    for caps in captures_in(&CJK, text, range) {
        let whole = caps.get(0).expect("group 0 always exists");
        let (Some(month), Some(day), Some(year)) =
            (cap_num(&caps, "m"), cap_num(&caps, "d"), year_of(&caps))
        else {
            continue;
        };
        // A longer number before the month or the year is something else (`124月`).
        if char_before(text, whole.start()).is_some_and(is_digit) || !valid(year, month, day) {
            continue;
        }
        let range_end = match (cap_num(&caps, "d2"), cap_num(&caps, "d3")) {
            (Some(d2), _) => Some((cap_num(&caps, "m2"), d2)),
            (None, Some(d3)) => Some((None, d3)),
            (None, None) => None,
        };
        let range_end = range_end
            .filter(|&(m2, d2)| NaiveDate::from_ymd_opt(2000, m2.unwrap_or(month), d2).is_some());
        out.push(DateMention {
            start: whole.start(),
            end: whole.end(),
            year,
            month,
            day,
            range_end,
        });
    }
}

fn find_numeric(text: &str, range: &Range<usize>, out: &mut Vec<DateMention>) {
    for caps in captures_in(&NUMERIC, text, range) {
        let whole = caps.get(0).expect("group 0 always exists");
        let (Some(s1), Some(s2)) = (caps.name("s1"), caps.name("s2")) else {
            continue;
        };
        if s1.as_str() != s2.as_str() {
            continue;
        }
        let (Some(month), Some(day), Some(year)) =
            (cap_num(&caps, "m"), cap_num(&caps, "d"), year_of(&caps))
        else {
            continue;
        };
        if char_before(text, whole.start()).is_some_and(|c| is_digit(c) || c == '.')
            || char_after(text, whole.end()).is_some_and(is_digit)
            || followed_by_sep_digit(text, whole.end(), s1.as_str())
            || !valid(year, month, day)
        {
            continue;
        }
        out.push(DateMention {
            start: whole.start(),
            end: whole.end(),
            year,
            month,
            day,
            range_end: None,
        });
    }
    for caps in captures_in(&DOTTED_DMY, text, range) {
        let whole = caps.get(0).expect("group 0 always exists");
        let (Some(s1), Some(s2)) = (caps.name("s1"), caps.name("s2")) else {
            continue;
        };
        let (Some(mut month), Some(mut day), Some(year)) =
            (cap_num(&caps, "m"), cap_num(&caps, "d"), year_of(&caps))
        else {
            continue;
        };
        // `04/21/2018` (US order): a second field above 12 is the day.
        if month > 12 && day <= 12 && s1.as_str() == "/" {
            std::mem::swap(&mut month, &mut day);
        }
        if s1.as_str() != s2.as_str()
            || char_before(text, whole.start())
                .is_some_and(|c| is_digit(c) || matches!(c, '.' | '/' | '-'))
            || char_after(text, whole.end()).is_some_and(is_digit)
            || followed_by_sep_digit(text, whole.end(), s1.as_str())
            || !valid(year, month, day)
        {
            continue;
        }
        out.push(DateMention {
            start: whole.start(),
            end: whole.end(),
            year,
            month,
            day,
            range_end: None,
        });
    }
}

/// `2018.04.12.3` (a version or an address) continues with the separator and a digit.
/// A time glued on with the same separator (gov.cn `2018-04-12-20:31:56`) is fine.
fn followed_by_sep_digit(text: &str, end: usize, sep: &str) -> bool {
    let Some(rest) = text.get(end..).and_then(|rest| rest.strip_prefix(sep)) else {
        return false;
    };
    let after_digits = rest.trim_start_matches(is_digit);
    after_digits.len() < rest.len() && !after_digits.starts_with(':')
}

fn find_english(text: &str, range: &Range<usize>, out: &mut Vec<DateMention>) {
    for re in [&*DAY_MONTH, &*MONTH_DAY, &*DAY_MONTH_EU, &*MONTH_DAY_EU] {
        for caps in captures_in(re, text, range) {
            let whole = caps.get(0).expect("group 0 always exists");
            let (Some(month), Some(day), Some(year)) = (
                caps.name("mon")
                    .and_then(|m| month_number(m.as_str()).or_else(|| eu_month_number(m.as_str()))),
                cap_num(&caps, "d"),
                year_of(&caps),
            ) else {
                continue;
            };
            if char_before(text, whole.start()).is_some_and(|c| c.is_ascii_alphanumeric())
                || char_after(text, whole.end()).is_some_and(|c| c.is_ascii_alphanumeric())
                || !valid(year, month, day)
            {
                continue;
            }
            let range_end = cap_num(&caps, "d2")
                .filter(|&d2| d2 > day && NaiveDate::from_ymd_opt(2000, month, d2).is_some())
                .map(|d2| (None, d2));
            out.push(DateMention {
                start: whole.start(),
                end: whole.end(),
                year,
                month,
                day,
                range_end,
            });
        }
    }
}

/// Every date written in `text`, in order of appearance, without overlaps.
///
/// Recognises `4月12日`, `4月12日至13日` / `4月12日-13日` (ranges), `2018年4月12日`,
/// `2018年04月12日 09:12`, `2018-04-12`, `2018/04/12`, `2018.04.12`, `12.04.2018`,
/// `12/04/2018` (day first unless the month cannot be one), `12 April 2018`,
/// `3rd April 2018`, `April 12, 2018`, `Apr. 12, 2018`, European month names day or
/// month first (`5. November 2021`, `21. Jan 2022`, `17 de marzo de 2020`,
/// `Juli 12, 2017`), and full-width digits. Year ranges, article numbers, phone numbers and invalid dates
/// are skipped.
#[must_use]
pub fn find_dates(text: &str) -> Vec<DateMention> {
    date_mentions(text).collect()
}

/// The mentions of [`find_dates`], in the same order, found as they are consumed: a
/// caller that needs the first mention, or the first that answers its question, leaves
/// the rest of the text unsearched.
///
/// The same mentions: every mention lies inside one run of [`DateRuns`] (each pattern
/// is searched within its run), runs are disjoint and in text order, so ordering and
/// de-overlapping the mentions run by run is doing it for all of them at once.
pub fn date_mentions(text: &str) -> impl Iterator<Item = DateMention> + '_ {
    DateRuns::new(text).flat_map(move |run| mentions_in(text, &run))
}

/// The mentions inside one run of `text`, earliest first, without overlaps.
fn mentions_in(text: &str, run: &Range<usize>) -> Vec<DateMention> {
    let mut all = Vec::new();
    let needs = Needs::of(&text[run.clone()]);
    if needs.cjk_digit_date {
        find_cjk(text, run, &mut all);
    }
    if needs.cjk_numeral_date {
        find_cjk_numeral(text, run, &mut all);
    }
    if needs.numeric_date {
        find_numeric(text, run, &mut all);
    }
    if needs.latin_date {
        find_english(text, run, &mut all);
    }
    earliest_longest(all)
}

/// The date of `text` when it opens with `YYYY-MM-DD` (or `/`, `.` twice) in ASCII
/// digits and nothing is glued on (a digit, the separator again): the first mention
/// [`date_mentions`] finds then, found without a regex search. `None` when the text does
/// not open so or the date is not valid: search the text then. Metadata and JSON-LD
/// dates are written so (`2018-04-12`, `2018-04-12T09:00:00+08:00`).
#[must_use]
pub fn leading_ymd(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).and_then(ascii_number);
    let sep = *b.get(4)?;
    if !matches!(sep, b'-' | b'/' | b'.') || b.get(7) != Some(&sep) {
        return None;
    }
    if b.get(10).is_some_and(|&c| c.is_ascii_digit() || c == sep) {
        return None;
    }
    let year = digits(0..4)?;
    let (month, day) = (
        u32::try_from(digits(5..7)?).ok()?,
        u32::try_from(digits(8..10)?).ok()?,
    );
    valid(Some(year), month, day)
        .then(|| NaiveDate::from_ymd_opt(year, month, day))
        .flatten()
}

/// The first mention of [`find_dates`] when it opens `text` (starts at byte 0).
///
/// Such a mention lies in a run that starts at 0: when the first run does not, no
/// mention opens the text, and only the first run is ever searched.
#[must_use]
pub fn date_at_start(text: &str) -> Option<DateMention> {
    let run = DateRuns::new(text).next().filter(|run| run.start == 0)?;
    mentions_in(text, &run)
        .into_iter()
        .next()
        .filter(|m| m.start == 0)
}

/// Earliest first; at the same start, the longest (most complete) mention wins; no
/// overlaps.
fn earliest_longest(mut all: Vec<DateMention>) -> Vec<DateMention> {
    all.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out: Vec<DateMention> = Vec::with_capacity(all.len());
    for m in all {
        if out.last().is_none_or(|last| m.start >= last.end) {
            out.push(m);
        }
    }
    out
}

/// Every match of `re` inside `text[range]`, in order, positions in `text`: what
/// `captures_iter` finds there. The date patterns have no anchors and no look-around,
/// so what lies around the range changes nothing, and none matches the empty string.
fn captures_in<'t>(
    re: &'t Regex,
    text: &'t str,
    range: &Range<usize>,
) -> impl Iterator<Item = Captures<'t>> + 't {
    let haystack = &text[..range.end];
    let mut at = range.start;
    std::iter::from_fn(move || {
        // Every pattern needs a digit: none left, no match left (and no search).
        if !haystack.get(at..).is_some_and(has_digit) {
            return None;
        }
        let caps = re.captures_at(haystack, at)?;
        let whole = caps.get(0)?;
        at = whole.end();
        if whole.is_empty() {
            at += haystack[at..].chars().next().map_or(1, char::len_utf8);
        }
        Some(caps)
    })
}

/// Whether `c` can be part of a written date in any of the forms [`find_dates`] reads:
/// digits (ASCII, full-width, Chinese numerals), white space, the separators, the CJK
/// date characters, and letters outside the CJK scripts (month names, ordinals, `de`;
/// also the letters case-insensitive matching folds into them, such as `K` and `ſ`).
fn may_be_in_date(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric()
            || c.is_whitespace()
            || matches!(c, '-' | '/' | '.' | ',' | '~');
    }
    c.is_whitespace()
        || is_cjk_numeral_char(c)
        || ('０'..='９').contains(&c)
        || matches!(
            c,
            '年' | '月'
                | '日'
                | '号'
                | '至'
                | '到'
                | '～'
                | '－'
                | '—'
                | '–'
                | '―'
                | 'º'
                | '°'
        )
        || (c.is_alphabetic() && u32::from(c) < 0x2E80)
}

/// A digit of any date form: ASCII, full-width, Chinese numeral.
fn is_date_digit(c: char) -> bool {
    is_digit(c) || is_cjk_numeral_char(c)
}

/// Whether `text` holds a digit of any date form ([`is_date_digit`]).
fn has_digit(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_digit())
        || (!text.is_ascii() && text.chars().any(is_date_digit))
}

/// A digit of a Chinese numeral date (`二〇一八年四月十二日`).
fn is_cjk_numeral_char(c: char) -> bool {
    matches!(
        c,
        '〇' | '零' | '○' | '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十'
    )
}

/// Every run of [`DateRuns`].
#[cfg(test)]
fn date_runs(text: &str) -> Vec<Range<usize>> {
    DateRuns::new(text).collect()
}

/// The runs of `text` that may hold a date: the longest stretches of characters
/// [`may_be_in_date`] allows, holding a digit or a Chinese numeral. No date pattern
/// matches across a character outside them, so each run can be searched on its own,
/// and most of a page's text (prose in Chinese, dateless lines) is never searched.
/// Found as they are consumed (see [`date_mentions`]).
struct DateRuns<'t> {
    text: &'t str,
    chars: std::str::CharIndices<'t>,
}

impl<'t> DateRuns<'t> {
    fn new(text: &'t str) -> Self {
        DateRuns {
            text,
            chars: text.char_indices(),
        }
    }
}

impl Iterator for DateRuns<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let mut start = None;
        let mut digit = false;
        for (i, c) in self.chars.by_ref() {
            if may_be_in_date(c) {
                start.get_or_insert(i);
                digit |= is_date_digit(c);
            } else if let Some(s) = start.take()
                && std::mem::take(&mut digit)
            {
                return Some(s..i);
            }
        }
        start.filter(|_| digit).map(|s| s..self.text.len())
    }
}

/// Which pattern families can match in a run of text (see [`DateRuns`]): each flag is
/// what every pattern of its family needs, so a family left out could not have
/// matched there.
#[derive(Debug, Clone, Copy)]
struct Needs {
    /// `4月12日`: `月` and a digit.
    cjk_digit_date: bool,
    /// `二〇一八年四月十二日`: `年`, `月` and a Chinese numeral.
    cjk_numeral_date: bool,
    /// `2018-04-12`, `12.04.2018`: two separators with a digit on each side, and four
    /// digits (the year) next to a separator.
    numeric_date: bool,
    /// `12 April 2018`, `5. November 2021`: a digit, an ASCII letter and a word of
    /// three letters or more (every month name, every abbreviation).
    latin_date: bool,
}

impl Needs {
    fn of(run: &str) -> Self {
        let (mut ascii_digit, mut wide_digit, mut latin) = (false, false, false);
        let (mut month, mut year, mut numeral) = (false, false, false);
        // Numeric forms: two separators each between digits (`2018-04-12`), and a
        // four-digit year just before or just after a separator.
        let (mut digit_sep_digit, mut year_at_sep) = (0u8, false);
        let (mut digits, mut digits_after_sep, mut sep_after_digit, mut after_sep) =
            (0usize, false, false, false);
        // Month names, in every language read, have three letters or more in a row.
        let (mut letters, mut word) = (0usize, false);
        for c in run.chars() {
            match c {
                '0'..='9' => ascii_digit = true,
                '０'..='９' => wide_digit = true,
                'a'..='z' | 'A'..='Z' => latin = true,
                '月' => month = true,
                '年' => year = true,
                c if is_cjk_numeral_char(c) => numeral = true,
                _ => {}
            }
            if c.is_alphabetic() {
                letters += 1;
                word |= letters >= 3;
            } else {
                letters = 0;
            }
            let sep = matches!(c, '-' | '/' | '.');
            if is_digit(c) {
                if sep_after_digit {
                    digit_sep_digit = digit_sep_digit.saturating_add(1);
                }
                if digits == 0 {
                    digits_after_sep = after_sep;
                }
                digits += 1;
                year_at_sep |= digits >= 4 && digits_after_sep;
                sep_after_digit = false;
            } else {
                year_at_sep |= sep && digits >= 4;
                sep_after_digit = sep && digits > 0;
                digits = 0;
            }
            after_sep = sep;
        }
        Needs {
            cjk_digit_date: month && (ascii_digit || wide_digit),
            cjk_numeral_date: month && year && numeral,
            numeric_date: digit_sep_digit >= 2 && year_at_sep,
            latin_date: (ascii_digit || wide_digit) && latin && word,
        }
    }
}

/// URL path patterns, most specific first: (regex, how to read year/month/day).
static URL_PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // /201804/t20180402_123.html, /t20180402_
        r"/t(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})_",
        // /c/2018-04-13/doc-…, /2018-04-13/
        r"/(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[/_.]|$)",
        // /2018-04/12/
        r"/(?P<y>\d{4})-(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/|$)",
        // /2018/03-15/
        r"/(?P<y>\d{4})/(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:/|$)",
        // /2018/0318/, /n2/2018/0410/
        r"/(?P<y>\d{4})/(?P<m>\d{2})(?P<d>\d{2})(?:/|$)",
        // /art/2018/3/18/, /2018/03/23/
        r"/(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/|$)",
        // /20180411/, /a/20180411/574…, /20180411_123.html
        r"/(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:[/_.-]|$)",
        // …/2018_04_12_title.html, news_20180412.html
        r"[/_-](?P<y>\d{4})[_-]?(?P<m>\d{2})[_-]?(?P<d>\d{2})(?:[/_.-]|$)",
    ]
    .into_iter()
    .map(|re| Regex::new(re).expect("static URL date regex is valid"))
    .collect()
});

/// The date in a URL path (`/2018-04/12/`, `/201804/t20180402_…`, `/20180411/`,
/// `/2018/0318/`, `/art/2018/3/18/`, `/2018/03-15/`, `/2018/03/23/`,
/// `/c/2018-04-13/doc-…`, `/n2/2018/0410/`), if it holds a valid date in a plausible
/// year (1990–2100).
#[must_use]
pub fn url_date(url: &str) -> Option<NaiveDate> {
    let path: std::borrow::Cow<'_, str> = match crate::text::plain_url(url) {
        // An address as the URL crate writes it: no parse (and no copy) needed.
        Some((_, path)) => path.into(),
        None => match url::Url::parse(url) {
            Ok(parsed) => parsed.path().to_owned().into(),
            Err(_) => url.split(['?', '#']).next().unwrap_or(url).into(),
        },
    };
    if path.is_ascii() && !has_url_year(&path) {
        return None;
    }
    path_date(&path)
}

/// Whether an ASCII path has what every pattern of [`URL_PATTERNS`] needs: four digits
/// that are a year of `URL_YEARS`, after `/`, `t`, `_` or `-`. Most paths (numeric
/// ids, no digits) have none and are not searched.
fn has_url_year(path: &str) -> bool {
    let bytes = path.as_bytes();
    (1..bytes.len().saturating_sub(3)).any(|i| {
        matches!(bytes[i - 1], b'/' | b't' | b'_' | b'-')
            && ascii_number(&bytes[i..i + 4]).is_some_and(|y| URL_YEARS.contains(&y))
    })
}

/// The value of a short run of ASCII digits (at most 9, so it cannot overflow; none is
/// 0); `None` if any byte is not one.
fn ascii_number(digits: &[u8]) -> Option<i32> {
    debug_assert!(digits.len() <= 9);
    digits.iter().try_fold(0, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + i32::from(c - b'0'))
    })
}

/// The first date of [`URL_PATTERNS`] in `path`.
fn path_date(path: &str) -> Option<NaiveDate> {
    for re in URL_PATTERNS.iter() {
        for caps in re.captures_iter(path) {
            let (Some(y), Some(m), Some(d)) = (
                cap_num(&caps, "y"),
                cap_num(&caps, "m"),
                cap_num(&caps, "d"),
            ) else {
                continue;
            };
            let Ok(y) = i32::try_from(y) else { continue };
            if !URL_YEARS.contains(&y) {
                continue;
            }
            if let Some(date) = NaiveDate::from_ymd_opt(y, m, d) {
                return Some(date);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    type Expect = (Option<i32>, u32, u32, Option<(Option<u32>, u32)>);

    fn dates(text: &str) -> Vec<(String, Expect)> {
        find_dates(text)
            .into_iter()
            .map(|m| {
                (
                    text[m.start..m.end].to_owned(),
                    (m.year, m.month, m.day, m.range_end),
                )
            })
            .collect()
    }

    #[test]
    fn finds_every_date_form() {
        let cases: &[(&str, &str, Expect)] = &[
            ("会议于4月12日举行", "4月12日", (None, 4, 12, None)),
            (
                "4月12日至13日，会议召开",
                "4月12日至13日",
                (None, 4, 12, Some((None, 13))),
            ),
            (
                "4月12日-13日",
                "4月12日-13日",
                (None, 4, 12, Some((None, 13))),
            ),
            ("4月12-13日", "4月12-13日", (None, 4, 12, Some((None, 13)))),
            (
                "4月30日至5月2日",
                "4月30日至5月2日",
                (None, 4, 30, Some((Some(5), 2))),
            ),
            ("4月9日消息，", "4月9日", (None, 4, 9, None)),
            (
                "2018年4月12日，",
                "2018年4月12日",
                (Some(2018), 4, 12, None),
            ),
            (
                "2018 年 4 月 12 日",
                "2018 年 4 月 12 日",
                (Some(2018), 4, 12, None),
            ),
            (
                "2018年04月12日 09:12 来源",
                "2018年04月12日",
                (Some(2018), 4, 12, None),
            ),
            (
                "２０１８年４月１２日",
                "２０１８年４月１２日",
                (Some(2018), 4, 12, None),
            ),
            ("4月12号", "4月12号", (None, 4, 12, None)),
            (
                "发布时间：2018-04-12",
                "2018-04-12",
                (Some(2018), 4, 12, None),
            ),
            (
                "2018-04-10 10:13:52",
                "2018-04-10",
                (Some(2018), 4, 10, None),
            ),
            (
                "2018-04-12-20:31:56",
                "2018-04-12",
                (Some(2018), 4, 12, None),
            ),
            ("2018/04/12", "2018/04/12", (Some(2018), 4, 12, None)),
            ("2018.04.12", "2018.04.12", (Some(2018), 4, 12, None)),
            ("2018-4-2", "2018-4-2", (Some(2018), 4, 2, None)),
            (
                "am 12.04.2018 in Berlin",
                "12.04.2018",
                (Some(2018), 4, 12, None),
            ),
            ("12 April 2018", "12 April 2018", (Some(2018), 4, 12, None)),
            (
                "April 12, 2018",
                "April 12, 2018",
                (Some(2018), 4, 12, None),
            ),
            ("Apr. 12, 2018", "Apr. 12, 2018", (Some(2018), 4, 12, None)),
            (
                "On 3 April 2018 the",
                "3 April 2018",
                (Some(2018), 4, 3, None),
            ),
            ("3rd April 2018", "3rd April 2018", (Some(2018), 4, 3, None)),
            ("Sept. 5, 2017", "Sept. 5, 2017", (Some(2017), 9, 5, None)),
            (
                "12-13 April 2018",
                "12-13 April 2018",
                (Some(2018), 4, 12, Some((None, 13))),
            ),
            ("on April 12 the", "April 12", (None, 4, 12, None)),
            (
                "Published April 12, 2018",
                "April 12, 2018",
                (Some(2018), 4, 12, None),
            ),
            (
                "Updated: 2018-04-12",
                "2018-04-12",
                (Some(2018), 4, 12, None),
            ),
            (
                "国务院办公厅 二〇一八年四月十二日",
                "二〇一八年四月十二日",
                (Some(2018), 4, 12, None),
            ),
            (
                "二〇〇五年十月三十日印发",
                "二〇〇五年十月三十日",
                (Some(2005), 10, 30, None),
            ),
            (
                "二〇二一年十二月二十一日",
                "二〇二一年十二月二十一日",
                (Some(2021), 12, 21, None),
            ),
            (
                "Stand: 5. November 2021",
                "5. November 2021",
                (Some(2021), 11, 5, None),
            ),
            (
                "21. Jan 2022 // Autor",
                "21. Jan 2022",
                (Some(2022), 1, 21, None),
            ),
            ("am 3. Okt. 2019", "3. Okt. 2019", (Some(2019), 10, 3, None)),
            ("Juli 12, 2017", "Juli 12, 2017", (Some(2017), 7, 12, None)),
            (
                "martes 17 de marzo de 2020",
                "17 de marzo de 2020",
                (Some(2020), 3, 17, None),
            ),
            ("1er mars 2020", "1er mars 2020", (Some(2020), 3, 1, None)),
            (
                "12 maggio 2020",
                "12 maggio 2020",
                (Some(2020), 5, 12, None),
            ),
            (
                "22/11/2020 - 04:30",
                "22/11/2020",
                (Some(2020), 11, 22, None),
            ),
            ("17-03-2020", "17-03-2020", (Some(2020), 3, 17, None)),
            ("04/21/2018", "04/21/2018", (Some(2018), 4, 21, None)),
        ];
        for (text, span, expect) in cases {
            let found = dates(text);
            assert_eq!(found, vec![((*span).to_owned(), *expect)], "input {text:?}");
        }
    }

    #[test]
    fn skips_things_that_are_not_dates() {
        let cases = [
            "2018—2022年行动计划",
            "(2018-2020)",
            "第24条",
            "电话：010-6552-1234",
            "电话 0571-88881234",
            "2月30日",
            "2018-02-30",
            "13月1日",
            "May 2018",
            "版本 1.2.2018.5",
            "2018.04.12.3",
            "共有124月份",
            "April 123",
            "人数为2018人",
            "12/04-2018",
            "1/2/3/2018",
            "Mai 2018",
        ];
        for text in cases {
            assert_eq!(dates(text), vec![], "input {text:?}");
        }
    }

    #[test]
    fn finds_several_dates_in_order() {
        let text = "3月21日消息，会议于15日召开。2018年4月12日至13日举办；另见 April 3, 2018。";
        let found: Vec<String> = dates(text).into_iter().map(|(s, _)| s).collect();
        assert_eq!(found, ["3月21日", "2018年4月12日至13日", "April 3, 2018"]);
    }

    #[test]
    fn mention_dates_resolve_years() {
        let m = find_dates("12月30日至1月2日")[0];
        assert_eq!(m.date(), None);
        assert_eq!(m.date_in(2017), NaiveDate::from_ymd_opt(2017, 12, 30));
        assert_eq!(m.range_end_in(2017), NaiveDate::from_ymd_opt(2018, 1, 2));
    }

    #[test]
    fn reads_dates_from_urls() {
        let cases = [
            (
                "http://www.xinhuanet.com/2018-04/12/c_1122672372.htm",
                Some((2018, 4, 12)),
            ),
            (
                "http://www.gov.cn/xinwen/2018-04/12/content_5281960.htm",
                Some((2018, 4, 12)),
            ),
            (
                "http://www.miit.gov.cn/n1146290/201804/t20180402_545678.html",
                Some((2018, 4, 2)),
            ),
            (
                "http://news.ifeng.com/a/20180411/57472785_0.shtml",
                Some((2018, 4, 11)),
            ),
            (
                "http://www.chinanews.com/gn/2018/03-15/8468018.shtml",
                Some((2018, 3, 15)),
            ),
            (
                "http://sh.people.com.cn/n2/2018/0410/c134768-31443427.html",
                Some((2018, 4, 10)),
            ),
            (
                "http://www.zj.gov.cn/art/2018/3/18/art_1554467_1234.html",
                Some((2018, 3, 18)),
            ),
            (
                "https://example.com/2018/03/23/some-title/",
                Some((2018, 3, 23)),
            ),
            (
                "https://finance.sina.com.cn/roll/2018-04-13/doc-ifyteqtq8571234.shtml",
                Some((2018, 4, 13)),
            ),
            (
                "http://www.cnr.cn/sxpd/shgl/20180327/t20180327_524178302.shtml",
                Some((2018, 3, 27)),
            ),
            (
                "http://www.example.com/2018/0318/123.html",
                Some((2018, 3, 18)),
            ),
            (
                "http://www.gov.cn/zhengce/t20180402_123.html",
                Some((2018, 4, 2)),
            ),
            (
                "https://example.com/news_20180412.html",
                Some((2018, 4, 12)),
            ),
            ("https://example.com/a-2018_04_12.html", Some((2018, 4, 12))),
            ("https://example.com/2100/01/02/", Some((2100, 1, 2))),
            ("https://example.com/news/12345678/", None),
            ("https://example.com/n/1234", None),
            ("https://example.com/content_5280001.htm", None),
            ("https://example.com/2018/13/45/", None),
            ("https://example.com/1890/03/23/", None),
            ("https://example.com/about/", None),
            ("https://example.com/?d=2018-04-12", None),
        ];
        for (url, expect) in cases {
            let expect = expect.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d));
            assert_eq!(url_date(url), expect, "url {url}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// Paths shaped like dated ones (something, a separator or not, four digits, date
        /// parts): those the pre-test turns away have no date for the patterns either.
        #[test]
        fn paths_without_a_year_at_a_separator_have_no_date(
            head in proptest::sample::select(&["", "/", "/n/", "/a_b", "/5"][..]),
            sep in proptest::sample::select(&["/", "t", "_", "-", ".", "x", ""][..]),
            year in proptest::sample::select(&["2018", "1989", "2100", "2101", "1234", "0412"][..]),
            rest in proptest::collection::vec(
                proptest::sample::select(&["/", "-", "_", ".", "04", "4", "12", "0412"][..]),
                0..5,
            ),
        ) {
            let path = format!("{head}{sep}{year}{}", rest.concat());
            if !has_url_year(&path) {
                proptest::prop_assert_eq!(path_date(&path), None, "{}", path);
            }
        }
    }

    /// The reference: every pattern family over the whole text.
    fn find_dates_everywhere(text: &str) -> Vec<DateMention> {
        let mut all = Vec::new();
        let range = 0..text.len();
        find_cjk(text, &range, &mut all);
        find_cjk_numeral(text, &range, &mut all);
        find_numeric(text, &range, &mut all);
        find_english(text, &range, &mut all);
        earliest_longest(all)
    }

    /// Date-like pieces and the text around dates, glued at random.
    const PIECES: &[&str] = &[
        "2018",
        "4",
        "12",
        "04",
        "31",
        "1",
        "月",
        "日",
        "号",
        "年",
        "至",
        "-",
        "/",
        ".",
        " ",
        ":",
        ",",
        "，",
        "。",
        "April",
        "Apr.",
        "APRIL",
        "may",
        "of ",
        "3rd",
        "juin",
        "märz",
        "MÄRZ",
        "Février",
        "AOÛT",
        "de ",
        "1er",
        "º",
        "3.",
        "二〇一八",
        "四",
        "十二",
        "三十一",
        "２０１８",
        "１２",
        "٣",
        "x",
        "发布",
        "测试",
        "\u{212A}",
        "\u{17F}ep",
        "n",
        "mai",
        "12345",
        "v1.2",
        "http://127.0.0.1:8080/n/5",
        "okt",
        "October",
        "–",
        "～",
        "\u{3000}",
        "\u{a0}",
        "é",
        "(",
        "“",
        // Whole dates of every form, so that random texts hold real ones.
        "April 12, 2018",
        "12 April 2018",
        "3rd April 2018",
        "April 12-13, 2018",
        "2018年4月12日至13日",
        "4月12日-13日",
        "2018-04-12",
        "2018/4/12",
        "12.04.2018",
        "04/21/2018",
        "二〇一八年四月十二日",
        "５. November 2021",
        "5. November 2021",
        "17 de marzo de 2020",
        "Juli 12, 2017",
        "1er mars 2020",
        "４月１２日",
        "21. Jan 2022",
        "12 OKTOBER 2019",
        "12 o\u{212A}tober 2019",
        "12 ſeptembre 2019",
        "１２ April ２０１８",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        #[test]
        fn a_leading_ymd_is_the_first_date_the_search_finds(
            year in 1890i32..2110,
            month in 0u32..14,
            day in 0u32..33,
            seps in proptest::sample::select(vec!["--", "//", "..", "-/", "./"]),
            wide in proptest::bool::ANY,
            tail in "[-/.T :0-9+Z年月日号至a-z ]{0,10}",
            noise in "[0-9１２０./ -]{6,14}",
        ) {
            let (s1, s2) = (&seps[..1], &seps[1..]);
            let month = if wide { format!("{month}") } else { format!("{month:02}") };
            let written = format!("{year}{s1}{month}{s2}{day:02}{tail}");
            for text in [written.as_str(), noise.as_str()] {
                let fast = leading_ymd(text);
                if fast.is_some() {
                    proptest::prop_assert_eq!(
                        fast,
                        date_mentions(text).find_map(|m| m.date()),
                        "{}", text
                    );
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn a_leading_ymd_never_panics(text in "\\PC{0,16}") {
            if let Some(date) = leading_ymd(&text) {
                proptest::prop_assert_eq!(
                    Some(date),
                    date_mentions(&text).find_map(|m| m.date()),
                    "{}", text
                );
            }
        }
    }

    #[test]
    fn a_leading_ymd_is_the_first_date_the_search_finds_for_every_tail() {
        let tails = [
            "",
            "T09:00:00+08:00",
            " 09:00",
            "Z",
            "-3",
            "-20:31:56",
            "-2018",
            "/5",
            ".1",
            ".12.3",
            "1",
            "12",
            "日",
            "日至13日",
            "号",
            "年",
            "月",
            " 至 13日",
            "-13",
            "~13",
            " 12 April 2018",
            "/04/2019",
            ".2019",
            " (2019-05-06)",
            "a",
            " ",
            "T",
            ":",
            "-",
            "/",
            ".",
        ];
        let mut fast_ones = 0;
        for date in [
            "2018-04-12",
            "1999-12-31",
            "2100-01-01",
            "1900-02-28",
            "2018-02-30",
        ] {
            for sep in ["-", "/", "."] {
                for tail in tails {
                    let text = format!("{}{tail}", date.replace('-', sep));
                    let fast = leading_ymd(&text);
                    if fast.is_some() {
                        fast_ones += 1;
                        assert_eq!(fast, date_mentions(&text).find_map(|m| m.date()), "{text}");
                    }
                }
            }
        }
        assert!(fast_ones > 100, "{fast_ones}");
    }

    #[test]
    fn a_leading_ymd_is_read_only_when_nothing_is_glued_on() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        for (text, want) in [
            ("2018-04-12", d(2018, 4, 12)),
            ("2018-04-12T09:00:00+08:00", d(2018, 4, 12)),
            ("2018/04/12 09:00", d(2018, 4, 12)),
            ("2018.04.12", d(2018, 4, 12)),
            ("2018-04-123", None),
            ("2018-04-12-3", None),
            ("2018-04/12", None),
            ("2018-02-30", None),
            ("1776-07-04", None),
            (" 2018-04-12", None),
            ("2018-4-12", None),
            ("２０１８-04-12", None),
        ] {
            assert_eq!(leading_ymd(text), want, "{text}");
            if want.is_some() {
                assert_eq!(date_mentions(text).find_map(|m| m.date()), want, "{text}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn searching_only_the_runs_that_may_hold_a_date_finds_the_same_dates(
            picks in proptest::collection::vec(0..PIECES.len(), 0..16)
        ) {
            let text: String = picks.iter().map(|&i| PIECES[i]).collect();
            let everywhere = find_dates_everywhere(&text);
            proptest::prop_assert_eq!(
                date_at_start(&text),
                everywhere.first().filter(|m| m.start == 0).copied(),
                "{}", text
            );
            proptest::prop_assert_eq!(find_dates(&text), everywhere, "{}", text);
        }
    }

    #[test]
    fn only_runs_with_a_digit_are_searched_and_only_by_the_families_they_allow() {
        let text = "测试单位发布通知：2018年4月12日，The plan of 12 April 2018. 无日期";
        let runs: Vec<&str> = date_runs(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(runs, ["2018年4月12日", "The plan of 12 April 2018. "]);
        let n = Needs::of(runs[0]);
        assert!(n.cjk_digit_date && !n.cjk_numeral_date && !n.numeric_date && !n.latin_date);
        let n = Needs::of(runs[1]);
        assert!(!n.cjk_digit_date && !n.numeric_date && n.latin_date);
        assert!(Needs::of("2018-04-12 09:00").numeric_date);
        assert!(Needs::of("12.04.2018").numeric_date);
        // Addresses and paths: separators between digits, but no year at one; a letter
        // between digits, but no month name.
        let url = "http://127.0.0.1:34567/n/123";
        for run in ["//127.0.0.1", "34567/n/123", "2018-04", "v1.2.3"] {
            let n = Needs::of(run);
            assert!(!n.numeric_date && !n.latin_date, "{run}");
        }
        assert!(find_dates(url).is_empty());
        assert!(Needs::of("12 mai 2020").latin_date);
        assert!(Needs::of("二〇一八年四月十二日").cjk_numeral_date);
        assert!(date_runs("测试单位发布通知").is_empty());
        assert_eq!(find_dates(text).len(), 2);
        // Full-width digits in the Latin and dotted forms, as `\d` read them.
        for wide in [
            "１２ April ２０１８",
            "April １２, ２０１８",
            "１２.０４.２０１８",
        ] {
            let found = find_dates(wide);
            assert_eq!(found.len(), 1, "{wide}");
            assert_eq!(
                found[0].date(),
                NaiveDate::from_ymd_opt(2018, 4, 12),
                "{wide}"
            );
        }
    }
}
