//! The page's publication date and where it came from.
//!
//! Candidates are ranked as the best extractors do (htmldate): structured metadata first,
//! then date-bearing elements, then the URL as a guard, then a guarded scan of the text.
//! In [`DateSource`] order:
//!
//! 1. `<meta>` publication tags (`article:published_time`, `PubDate`, gov.cn
//!    `firstpublishedtime`, …); 2. `datePublished` in JSON-LD; 3. `<time datetime>` and
//!    `itemprop=datePublished` outside chrome; 4. publication times in scripts and data
//!    attributes (`var publishTime = "…"`, `"pubDate": "…"`, `data-time="…"`);
//! 5. visible text: an element whose class/id names it as the date (`#paperdate`,
//!    `.pubtime`, `td.font_time`), else a date near the headline (each block that
//!    repeats the `<title>`/`og:title`, then the first `<h1>`, which may be a logo) — publication labels
//!    (`发布时间：`, `发布日期`, `Published`) before unlabelled dates, and dates labelled as
//!    written or updated (`成文日期`, `更新时间`, `Updated`) last; a label alone in a table
//!    cell labels the next cell — else the signature date a notice ends with
//!    (`二〇一八年四月十二日`); 6. the URL path. An unlabelled date counts only in a
//!    short line or at the start of its block: a date inside a sentence of prose is an
//!    event the article reports, not its dateline.
//!
//! When nothing is dated near a headline, a publication-labelled date anywhere outside
//! sidebars and widgets (`Erschienen am: …` in a footer, `Datum: …` in an info box),
//! then a written/updated one (`Aktualisiert:`, `Stand:`, `mis à jour`). Labels are words
//! of their own (`date` inside `Update:` is none). After a label a two-digit year counts
//! (`发布时间：18-04-12`, `Datum: 12.04.18`) in the century that keeps it in the past.
//!
//! Never from a sidebar list item, a comment, a header's "today is …" or a footer's
//! copyright year: dates in list items and chrome do not count. Dates before 1990, in
//! the future, or well after the date the URL was minted with are implausible and ignored.
//! Consensus: a day more sources agree on (dateline, `<time>`, scripts, JSON-LD, URL)
//! beats the top-ranked source standing alone; a tie keeps the ranking, except that a
//! lone `<meta>`/JSON-LD date and a visible dateline within two weeks of it are the same
//! article's life (published, re-indexed) and the dateline, what the page states, wins.
//! A timestamp one day off the URL's date is the same publication in another time zone
//! (UTC metadata, the newsroom's local day in the URL): the URL's day wins unless the
//! visible dateline shows the timestamp's day.

use std::sync::LazyLock;

use chrono::{Days, NaiveDate};
use regex::Regex;
use scraper::{ElementRef, Html, Selector};

use super::extract::{Block, in_chrome};
use crate::dates::{date_at_start, date_mentions, leading_ymd, url_date};
use crate::model::DateSource;

/// `<meta name|property|itemprop>` values that carry the publication date.
const META_KEYS: &[&str] = &[
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "article:published",
    "article.published",
    "pubdate",
    "publishdate",
    "publish_date",
    "publish-date",
    "published_date",
    "published-date",
    "publication_date",
    "firstpublishedtime",
    "datepublished",
    "datecreated",
    "date",
    "dc.date",
    "dc.date.issued",
    "dc.date.created",
    "dcterms.date",
    "dcterms.issued",
    "dcterms.created",
    "sailthru.date",
    "parsely-pub-date",
    "article_date_original",
    "originalpublicationdate",
    "og:pubdate",
    "bt:pubdate",
    "pub_date",
    "weibo:article:create_at",
    "citation_publication_date",
    "citation_date",
    "release_date",
];
/// A date and where it was read.
pub(crate) type Dated = (NaiveDate, DateSource);

/// A lone metadata date and a visible dateline this close (days) are the same article's
/// life (published, re-indexed): the dateline wins.
const DATELINE_OVER_META_DAYS: u64 = 14;
/// How many days after the URL's date a publication date may plausibly be.
const URL_SLACK_DAYS: u64 = 7;
/// Blocks before/after the headline searched for a visible date.
const BLOCKS_BEFORE_HEADLINE: usize = 3;
const BLOCKS_AFTER_HEADLINE: usize = 12;
/// Blocks right after the headline whose date counts even inside chrome.
const BLOCKS_DATELINE: usize = 2;
/// A block this short (chars) that is only a label labels the next block.
const MAX_LABEL_CHARS: usize = 12;
/// Blocks at the end of the page searched for a signature date.
const BLOCKS_SIGNATURE: usize = 6;
/// An element hinted as a date holding more text than this (chars) is not a dateline.
const MAX_DATE_ELEMENT_CHARS: usize = 120;
/// A block repeating the title is this long (chars): not a one-word logo, not a paragraph.
const MIN_ANCHOR_CHARS: usize = 6;
const MAX_ANCHOR_CHARS: usize = 300;
/// An unlabelled date counts in a block this short (chars), or this near its start.
const MAX_DATELINE_CHARS: usize = 100;
const MAX_DATELINE_OFFSET: usize = 30;
/// Blocks searched at the top of the main text when there is no headline.
const BLOCKS_WITHOUT_HEADLINE: usize = 15;

static SEL_SCRIPT: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("script").expect("static selector is valid"));
static SEL_ANY: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("body *").expect("static selector is valid"));
static SEL_TITLE: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("title").expect("static selector is valid"));
static SEL_META: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("meta[content]").expect("static selector is valid"));
static SEL_JSONLD: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse(r#"script[type="application/ld+json"]"#).expect("static selector is valid")
});
static SEL_TIME: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse(
        "time[datetime], time[pubdate], [itemprop=datePublished], abbr.published[title], .published[title]",
    )
        .expect("static selector is valid")
});
static JSONLD_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""(datePublished|dateCreated)"\s*:\s*"([^"]+)""#).expect("static regex is valid")
});
static SHORT_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{1,2})([-./])(\d{1,2})([-./])(\d{1,2})(?:[^\d.\-/]|$)")
        .expect("static regex is valid")
});
static COMPACT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(\d{4})(\d{2})(\d{2})(?:\D|$)").expect("static regex is valid")
});
static LABELLED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(成文日期|印发日期|更新时间|更新日期|修改时间|发布时间|发布日期|发表时间|发稿时间|发文日期|时间|日期|来源|published( on)?|posted( on)?|last updated|updated|modified|aktualisiert( am)?|stand|mis à jour( le)?|actualizado( el)?|aggiornato( il)?|date|datum|veröffentlicht( am)?|erschienen( am)?|publié le|publicado( el)?|fecha|pubblicato( il)?|data|дата|опубликовано)\s*[:：]?\s*",
    )
    .expect("static regex is valid")
});
/// Labels of a date that is not the publication date (written, updated): used last.
const SECONDARY_LABELS: &[&str] = &[
    "成文日期",
    "印发日期",
    "更新时间",
    "更新日期",
    "修改时间",
    "last updated",
    "updated",
    "modified",
    "aktualisiert",
    "stand",
    "mis à jour",
    "actualizado",
    "aggiornato",
];
/// Publication-time keys in page scripts and JSON data (`var publishTime = "…"`).
static SCRIPT_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"["']?([A-Za-z_\-]*(?i:publish|publication|pubdate|pub_date|pubtime|releasedate|release_date|datecreated|date_created)[A-Za-z_\-]*)["']?\s*[:=]\s*["']([^"']{8,40})["']"#,
    )
    .expect("static regex is valid")
});
/// Script keys naming a date that is not the first publication (`publishedLast`).
const SCRIPT_SECONDARY: &[&str] = &["last", "modif", "updat", "expir", "end"];
/// class/id tokens of elements that hold the page's date (`span.pubtime`, `#paperdate`).
const DATE_HINTS: &[&str] = &[
    "date",
    "time",
    "pubtime",
    "pubdate",
    "publish",
    "published",
    "paperdate",
    "posted",
    "postdate",
    "dateline",
    "datetime",
    "timestamp",
    "fbsj",
    "fbrq",
    "sj",
    "rq",
    "h-time",
    "con_time",
    "font_time",
    "entry-date",
    "post-date",
    "article-date",
    "meta-date",
];
/// Attribute names whose value may be the page's date (`data-time="2018-04-12"`).
const DATE_ATTRS: &[&str] = &[
    "data-time",
    "data-date",
    "data-publish",
    "data-pubdate",
    "data-published",
    "data-publish-time",
    "data-publishtime",
    "data-timestamp",
    "data-created",
];

/// The elements the date steps read, gathered in one walk over the page instead of one
/// selector traversal per step (seven on every page, each matching every element).
///
/// Each list keeps the order in which `Html::select` visits elements (the tree's node
/// order, elements with a parent), so every step keeps its first-match semantics; a list
/// holds exactly what its selector would select, or, for `dated` and `hinted`, a superset
/// narrowed to `body *` where it is read.
struct Marked<'a> {
    /// `meta[content]`.
    metas: Vec<ElementRef<'a>>,
    /// `title`.
    titles: Vec<ElementRef<'a>>,
    /// `script` (JSON-LD ones too).
    scripts: Vec<ElementRef<'a>>,
    /// [`SEL_TIME`].
    times: Vec<ElementRef<'a>>,
    /// Elements with one of [`DATE_ATTRS`].
    dated: Vec<ElementRef<'a>>,
    /// Elements whose class/id names them as a date ([`is_date_hinted`]).
    hinted: Vec<ElementRef<'a>>,
}

impl<'a> Marked<'a> {
    fn of(html: &'a Html) -> Self {
        let mut marked = Marked {
            metas: Vec::new(),
            titles: Vec::new(),
            scripts: Vec::new(),
            times: Vec::new(),
            dated: Vec::new(),
            hinted: Vec::new(),
        };
        for el in html.tree.nodes().filter_map(ElementRef::wrap) {
            if el.parent().is_none() {
                continue;
            }
            let value = el.value();
            // A cheap test that every match passes (the name, an attribute), then the
            // selector itself: the lists hold what the selectors would select.
            match value.name() {
                "meta" if SEL_META.matches(&el) => marked.metas.push(el),
                "title" if SEL_TITLE.matches(&el) => marked.titles.push(el),
                "script" if SEL_SCRIPT.matches(&el) => marked.scripts.push(el),
                _ => {}
            }
            let mut maybe_time = value.name() == "time";
            let mut dated = false;
            for (name, v) in value.attrs() {
                dated |= DATE_ATTRS.contains(&name);
                maybe_time |= name == "itemprop"
                    || (name == "class" && contains_ignore_ascii_case(v, "published"));
            }
            if maybe_time && SEL_TIME.matches(&el) {
                marked.times.push(el);
            }
            if dated {
                marked.dated.push(el);
            }
            if is_date_hinted(value) {
                marked.hinted.push(el);
            }
        }
        marked
    }
}

/// Whether `haystack` holds `needle` (ASCII lower case) in any ASCII case.
fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Whether an element's class/id names it as the date (`pubtime`, `#paperdate`,
/// `entry-date`), in any ASCII case.
fn is_date_hinted(value: &scraper::node::Element) -> bool {
    value
        .attr("class")
        .into_iter()
        .chain(value.id())
        .flat_map(str::split_whitespace)
        .any(|t| {
            // The hints are lower case: no lower-cased copy of each token is needed.
            DATE_HINTS.iter().any(|h| h.eq_ignore_ascii_case(t))
                || t.split(['-', '_']).any(|part| {
                    ["date", "time", "pubtime", "pubdate"]
                        .iter()
                        .any(|w| w.eq_ignore_ascii_case(part))
                })
        })
}

/// The first full date (with a year) in a metadata value.
pub(crate) fn parse_date_value(value: &str) -> Option<NaiveDate> {
    if let Some(caps) = COMPACT.captures(value) {
        let y = caps.get(1)?.as_str().parse().ok()?;
        let m = caps.get(2)?.as_str().parse().ok()?;
        let d = caps.get(3)?.as_str().parse().ok()?;
        return NaiveDate::from_ymd_opt(y, m, d);
    }
    leading_ymd(value).or_else(|| date_mentions(value).find_map(|m| m.date()))
}

fn meta_dates(marked: &Marked<'_>, out: &mut Vec<Dated>) {
    for el in &marked.metas {
        let value = el.value();
        let key = value
            .attr("property")
            .or_else(|| value.attr("name"))
            .or_else(|| value.attr("itemprop"))
            .map(str::to_ascii_lowercase);
        if key.is_some_and(|k| META_KEYS.contains(&k.as_str()))
            && let Some(date) = value.attr("content").and_then(parse_date_value)
        {
            out.push((date, DateSource::Meta));
        }
    }
}

fn jsonld_dates(marked: &Marked<'_>, out: &mut Vec<Dated>) {
    for script in marked.scripts.iter().filter(|el| SEL_JSONLD.matches(el)) {
        let text: String = script.text().collect();
        // `datePublished` before `dateCreated`, whatever the order in the script.
        let mut found: Vec<(bool, NaiveDate)> = JSONLD_DATE
            .captures_iter(&text)
            .filter_map(|caps| {
                let published = caps.get(1)?.as_str() == "datePublished";
                Some((published, parse_date_value(caps.get(2)?.as_str())?))
            })
            .collect();
        found.sort_by_key(|(published, _)| !published);
        if let Some((_, date)) = found.first() {
            out.push((*date, DateSource::JsonLd));
        }
    }
}

fn time_dates(marked: &Marked<'_>, out: &mut Vec<Dated>) {
    let date_of = |el: ElementRef<'_>| {
        let value = el.value();
        value
            .attr("datetime")
            .or_else(|| value.attr("content"))
            .or_else(|| value.attr("title"))
            .and_then(parse_date_value)
            .or_else(|| parse_date_value(&el.text().collect::<String>()))
    };
    if let Some(date) = marked
        .times
        .iter()
        .copied()
        .filter(|el| !in_chrome(*el))
        .find_map(date_of)
    {
        out.push((date, DateSource::Time));
    }
}

/// Blocks that repeat the page's title (`<title>`, `og:title`): the article's own headline
/// when the first `<h1>` is a logo or a site banner (`<h1>Zoll</h1>`, `<h1>Willkommen</h1>`).
fn title_anchors(marked: Option<&Marked<'_>>, blocks: &[Block]) -> Vec<usize> {
    let Some(marked) = marked else {
        return Vec::new();
    };
    let titles: Vec<String> = marked
        .titles
        .iter()
        .map(|el| el.text().collect::<String>())
        .chain(
            marked
                .metas
                .iter()
                .filter(|el| el.value().attr("property") == Some("og:title"))
                .filter_map(|el| el.value().attr("content").map(str::to_owned)),
        )
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
        .collect();
    blocks
        .iter()
        .enumerate()
        .filter(|(_, b)| {
            let chars = b.text.chars().count();
            (MIN_ANCHOR_CHARS..=MAX_ANCHOR_CHARS).contains(&chars)
                && titles
                    .iter()
                    .any(|t| t.contains(b.text.as_str()) && chars * 2 >= t.chars().count())
        })
        .map(|(i, _)| i)
        .collect()
}

/// A date in the visible text near the headline: a labelled one first, else the first.
///
/// The headline is each block that repeats the title, then the first `<h1>`; the first
/// of them with a date nearby gives it.
fn text_date(html: Option<&Html>, blocks: &[Block], anchors: &[usize]) -> Option<NaiveDate> {
    let mut heads: Vec<Option<usize>> = anchors.iter().copied().map(Some).collect();
    let flagged = blocks.iter().position(|b| b.headline);
    if flagged.is_none_or(|h| !anchors.contains(&h)) {
        heads.push(flagged);
    }
    let mut secondary = None;
    for head in heads {
        let (primary, second) = near_headline(blocks, head);
        if primary.is_some() {
            return primary;
        }
        secondary = secondary.or(second);
    }
    signature_date(blocks)
        .or_else(|| page_labelled_date(html, blocks, false))
        .or(secondary)
        .or_else(|| page_labelled_date(html, blocks, true))
}

/// The publication date near one headline (`None`: the top of the main text), and a date
/// labelled as written or updated there.
fn near_headline(
    blocks: &[Block],
    headline: Option<usize>,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    // (block, whether an unlabelled date in it counts): right after the headline the
    // dateline counts even inside chrome (`<div class="header">…<span class="h-time">`);
    // elsewhere only outside chrome (a header's "today is …" is not the page date).
    let window: Vec<(&Block, bool)> = match headline {
        Some(h) => blocks
            .iter()
            .enumerate()
            .skip(h.saturating_sub(BLOCKS_BEFORE_HEADLINE))
            .take(BLOCKS_BEFORE_HEADLINE + 1 + BLOCKS_AFTER_HEADLINE)
            .map(|(i, b)| {
                let chrome = b.chrome || b.layout;
                (b, !chrome || (h..=h + BLOCKS_DATELINE).contains(&i))
            })
            .collect(),
        None => blocks
            .iter()
            .filter(|b| !b.chrome && !b.layout)
            .take(BLOCKS_WITHOUT_HEADLINE)
            .map(|b| (b, true))
            .collect(),
    };
    let texts = join_labels(&window);
    let labelled = |secondary: bool| labelled_date(&texts, secondary);
    let primary = labelled(false).or_else(|| {
        texts
            .iter()
            .filter(|(_, counts)| *counts)
            .find_map(|(text, _)| {
                date_mentions(text).find_map(|m| {
                    // A date inside a sentence of prose is an event it reports, not
                    // the dateline: a dateline is a short line or opens its block.
                    if text.chars().count() > MAX_DATELINE_CHARS
                        && text[..m.start].chars().count() > MAX_DATELINE_OFFSET
                    {
                        return None;
                    }
                    // A date labelled as written or updated is not the publication date.
                    let before = text[..m.start].to_lowercase();
                    let secondary = SECONDARY_LABELS
                        .iter()
                        .any(|l| before.trim_end_matches([' ', ':', '：']).ends_with(l));
                    if secondary { None } else { m.date() }
                })
            })
    });
    (primary, labelled(true))
}

/// Block texts, a label alone in its block (a table cell `发布日期：`) joined to the next.
fn join_labels(window: &[(&Block, bool)]) -> Vec<(String, bool)> {
    let mut texts: Vec<(String, bool)> = Vec::with_capacity(window.len());
    let mut k = 0;
    while k < window.len() {
        let (block, counts) = window[k];
        let label_only = block.text.chars().count() <= MAX_LABEL_CHARS
            && LABELLED.find(&block.text).is_some_and(|m| {
                m.end() == block.text.len() && block.text[..m.start()].trim().chars().count() <= 2
            });
        if label_only && let Some((next, next_counts)) = window.get(k + 1) {
            texts.push((format!("{} {}", block.text, next.text), *next_counts));
            k += 2;
        } else {
            texts.push((block.text.clone(), counts));
            k += 1;
        }
    }
    texts
}

/// The first date right after a publication label (`secondary`: after a written/updated one).
fn labelled_date(texts: &[(String, bool)], secondary: bool) -> Option<NaiveDate> {
    texts.iter().find_map(|(text, _)| {
        LABELLED.find_iter(text).find_map(|label| {
            let name = label.as_str().to_lowercase();
            if SECONDARY_LABELS.iter().any(|l| name.starts_with(l)) != secondary {
                return None;
            }
            // A label is a word of its own (`date` in `Update:` is not one).
            if text[..label.start()]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphabetic())
            {
                return None;
            }
            // `成文日期` ends in `日期`: a label preceded by another label word is that one.
            if !secondary
                && text[..label.start()].ends_with(['文', '新', '改', '发'])
                && name.starts_with("日期")
            {
                return None;
            }
            let rest = &text[label.end()..];
            date_at_start(rest)
                .and_then(|m| m.date())
                .or_else(|| short_year_date(rest))
        })
    })
}

/// A date with a two-digit year right after a label (`发布时间：18-04-12`, `Datum: 12.04.18`):
/// `YY-MM-DD` with dashes, day first with dots or slashes; the century is the one that
/// does not put the year in the future.
fn short_year_date(rest: &str) -> Option<NaiveDate> {
    let caps = SHORT_YEAR.captures(rest)?;
    let num = |i: usize| caps.get(i)?.as_str().parse::<u32>().ok();
    let (a, b, c) = (num(1)?, num(3)?, num(5)?);
    let sep = caps.get(2)?.as_str();
    let year_digits = caps.get(if sep == "-" { 1 } else { 5 })?.as_str().len();
    if caps.get(4)?.as_str() != sep || year_digits != 2 {
        return None;
    }
    let (yy, month, day) = if sep == "-" { (a, b, c) } else { (c, b, a) };
    let this_year = u32::try_from(chrono::Datelike::year(&chrono::Utc::now().date_naive())).ok()?;
    let century = if 2000 + yy <= this_year { 2000 } else { 1900 };
    NaiveDate::from_ymd_opt(i32::try_from(century + yy).ok()?, month, day)
}

/// A labelled date anywhere on the page outside sidebars and widgets (`Erschienen am:` in
/// the footer of a review, `Datum:` in an info box), when none is near the headline.
fn page_labelled_date(html: Option<&Html>, blocks: &[Block], secondary: bool) -> Option<NaiveDate> {
    let html = html?;
    let aside = |b: &Block| {
        b.path
            .last()
            .and_then(|id| html.tree.get(*id))
            .is_some_and(|node| {
                let el = ElementRef::wrap(node);
                let in_aside = node.ancestors().chain(std::iter::once(node)).any(|a| {
                    a.value()
                        .as_element()
                        .is_some_and(|e| matches!(e.name(), "aside" | "nav" | "menu"))
                });
                in_aside || (b.chrome && el.is_some_and(in_list))
            })
    };
    let window: Vec<(&Block, bool)> = blocks
        .iter()
        .filter(|b| !b.layout && !aside(b))
        .map(|b| (b, true))
        .collect();
    labelled_date(&join_labels(&window), secondary)
}

/// A document signed with its date: the last short block of the main text that is only
/// a date (`二〇一八年四月十二日`, `2018年4月12日`), as notices and government documents end.
fn signature_date(blocks: &[Block]) -> Option<NaiveDate> {
    blocks
        .iter()
        .filter(|b| !b.chrome && !b.layout)
        .rev()
        .take(BLOCKS_SIGNATURE)
        .find_map(|b| {
            let text = b.text.trim();
            let m = date_mentions(text).next()?;
            (m.start == 0 && m.end >= text.len().saturating_sub(3))
                .then(|| m.date())
                .flatten()
        })
}

/// Dates in scripts and data attributes: `var publishTime = "…"`, `"pubDate": "…"`,
/// `data-time="…"`. The first one outside chrome and lists.
fn script_dates(marked: &Marked<'_>, out: &mut Vec<Dated>) {
    for script in &marked.scripts {
        if script.value().attr("type") == Some("application/ld+json") {
            continue;
        }
        let code: String = script.text().collect();
        if let Some(date) = SCRIPT_DATE.captures_iter(&code).find_map(|c| {
            let key = c.get(1)?.as_str().to_ascii_lowercase();
            if SCRIPT_SECONDARY.iter().any(|s| key.contains(s)) {
                return None;
            }
            parse_date_value(c.get(2)?.as_str())
        }) {
            out.push((date, DateSource::Script));
            return;
        }
    }
    let found = marked
        .dated
        .iter()
        .copied()
        .filter(|el| SEL_ANY.matches(el))
        .find_map(|el| {
            let value = el.value();
            let date = value
                .attrs()
                .filter(|(name, _)| DATE_ATTRS.contains(name))
                .find_map(|(_, v)| parse_date_value(v))?;
            (!in_chrome(el) && !in_list(el)).then_some(date)
        });
    if let Some(date) = found {
        out.push((date, DateSource::Script));
    }
}

/// Whether an element sits in a list item (a dated list of other pages).
fn in_list(el: ElementRef<'_>) -> bool {
    el.ancestors()
        .filter_map(ElementRef::wrap)
        .any(|a| matches!(a.value().name(), "li" | "dd" | "dt"))
}

/// A date in an element whose class/id names it as the date (`<span id="paperdate">`,
/// `<div class="pubtime">`, a table cell `class="font_time"`), outside chrome and lists.
fn hinted_element_date(marked: &Marked<'_>) -> Option<NaiveDate> {
    marked
        .hinted
        .iter()
        .copied()
        .filter(|el| SEL_ANY.matches(el))
        .find_map(|el| {
            if in_chrome(el) || in_list(el) {
                return None;
            }
            let mut text = String::new();
            for piece in el.text() {
                text.push_str(piece);
                if text.chars().count() > MAX_DATE_ELEMENT_CHARS {
                    return None;
                }
            }
            date_mentions(&text).find_map(|m| m.date())
        })
}

/// Every date candidate of a page, most trustworthy source first.
pub(crate) fn candidates(url: &str, html: Option<&Html>, blocks: &[Block]) -> Vec<Dated> {
    let mut out = Vec::new();
    let marked = html.map(Marked::of);
    if let Some(marked) = &marked {
        meta_dates(marked, &mut out);
        jsonld_dates(marked, &mut out);
        time_dates(marked, &mut out);
        script_dates(marked, &mut out);
        if let Some(date) = hinted_element_date(marked) {
            out.push((date, DateSource::Text));
        }
    }
    if let Some(date) = text_date(html, blocks, &title_anchors(marked.as_ref(), blocks)) {
        out.push((date, DateSource::Text));
    }
    if let Some(date) = url_date(url) {
        out.push((date, DateSource::Url));
    }
    let mut seen = Vec::new();
    out.retain(|c| {
        let new = !seen.contains(c);
        seen.push(*c);
        new
    });
    out.sort_by_key(|(_, source)| *source);
    out
}

/// The page date: the most trustworthy plausible candidate.
///
/// Implausible: before 1990, after `today` (plus a day for time zones), or more than a
/// week after the date in the URL (a URL is minted when the page is published, so a
/// later "publication" date is a site-wide render or crawl date).
pub(crate) fn choose(candidates: &[Dated], today: NaiveDate) -> Option<Dated> {
    let floor = NaiveDate::from_ymd_opt(1990, 1, 1)?;
    let ceiling = today.checked_add_days(Days::new(1))?;
    let url_limit = candidates
        .iter()
        .find(|(_, s)| *s == DateSource::Url)
        .and_then(|(d, _)| d.checked_add_days(Days::new(URL_SLACK_DAYS)));
    let plausible: Vec<Dated> = candidates
        .iter()
        .filter(|(d, _)| *d >= floor && *d <= ceiling && url_limit.is_none_or(|limit| *d <= limit))
        .copied()
        .collect();
    let top = plausible.iter().min_by_key(|(_, s)| *s).copied()?;
    // Consensus: a day more sources of the page agree on beats a top source standing alone
    // (a `<meta>` date that neither the dateline, `<time>` nor the scripts repeat).
    let votes = |day: NaiveDate| {
        let mut sources: Vec<DateSource> = plausible
            .iter()
            .filter(|(d, _)| *d == day)
            .map(|(_, s)| *s)
            .collect();
        sources.sort();
        sources.dedup();
        sources.len()
    };
    let best = plausible
        .iter()
        .filter(|(d, _)| votes(*d) > votes(top.0))
        .max_by_key(|(d, s)| (votes(*d), std::cmp::Reverse(*s)))
        .copied()
        .unwrap_or(top);
    // One metadata date against one visible dateline days apart: the article's own
    // dateline is what the page states (a lone `<meta>` date is often its re-indexing).
    let best = match plausible.iter().find(|&&(d, s)| {
        s == DateSource::Text
            && d != best.0
            && votes(d) == 1
            && (d - best.0).num_days().unsigned_abs() <= DATELINE_OVER_META_DAYS
    }) {
        Some(&dateline)
            if votes(best.0) == 1 && matches!(best.1, DateSource::Meta | DateSource::JsonLd) =>
        {
            dateline
        }
        _ => best,
    };
    // A timestamp a day off the URL's date is the same publication in another time zone
    // (metadata in UTC, the URL in the newsroom's local day): the URL's day wins, unless
    // the page's visible dateline shows the timestamp's day.
    let url = candidates.iter().find(|(_, s)| *s == DateSource::Url);
    let shown = candidates
        .iter()
        .any(|&(d, s)| s == DateSource::Text && d == best.0);
    if let Some(&(url_day, _)) = url
        && (best.0 - url_day).num_days().abs() == 1
        && !shown
    {
        return Some((url_day, DateSource::Url));
    }
    Some(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::extract::extract;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn page_dates(url: &str, html: &str) -> (Vec<Dated>, Option<Dated>) {
        let html = Html::parse_document(html);
        let extracted = extract(&html);
        let all = candidates(url, Some(&html), &extracted.blocks);
        let chosen = choose(&all, d(2026, 1, 1));
        (all, chosen)
    }

    const BODY: &str = "<p>国务院常务会议部署推进互联网医疗健康发展，更好满足群众健康需求，会议还研究了其他事项。</p>";

    #[test]
    fn reads_each_source() {
        let plain = "https://example.com/news/a.html";
        let cases: Vec<(&str, String, Option<Dated>)> = vec![
            (
                "meta article:published_time",
                format!(
                    r#"<head><meta property="article:published_time" content="2018-04-12T09:12:00+08:00"></head><body>{BODY}</body>"#
                ),
                Some((d(2018, 4, 12), DateSource::Meta)),
            ),
            (
                "meta PubDate",
                format!(
                    r#"<head><meta name="PubDate" content="2018-04-12 09:12"></head><body>{BODY}</body>"#
                ),
                Some((d(2018, 4, 12), DateSource::Meta)),
            ),
            (
                "meta gov.cn firstpublishedtime",
                format!(
                    r#"<head><meta name="firstpublishedtime" content="2018-04-12-20:31:56"></head><body>{BODY}</body>"#
                ),
                Some((d(2018, 4, 12), DateSource::Meta)),
            ),
            (
                "meta compact",
                format!(
                    r#"<head><meta name="publishdate" content="20180412"></head><body>{BODY}</body>"#
                ),
                Some((d(2018, 4, 12), DateSource::Meta)),
            ),
            (
                "json-ld",
                format!(
                    r#"<head><script type="application/ld+json">{{"@type":"NewsArticle","dateModified":"2019-01-01","datePublished":"2018-04-12T08:00:00Z"}}</script></head><body>{BODY}</body>"#
                ),
                Some((d(2018, 4, 12), DateSource::JsonLd)),
            ),
            (
                "time",
                format!(
                    r#"<body><article><h1>标题</h1><time datetime="2018-04-12">April 12</time>{BODY}</article></body>"#
                ),
                Some((d(2018, 4, 12), DateSource::Time)),
            ),
            (
                "text 发布时间",
                format!(
                    r#"<body><h1>标题</h1><div>发布时间：2018-04-12 来源：新华社</div>{BODY}</body>"#
                ),
                Some((d(2018, 4, 12), DateSource::Text)),
            ),
            (
                "text CJK with time",
                format!(
                    r#"<body><h1>标题</h1><div>2018年04月12日 09:12 来源：人民网</div>{BODY}</body>"#
                ),
                Some((d(2018, 4, 12), DateSource::Text)),
            ),
            (
                "text seconds",
                format!(r#"<body><h1>标题</h1><span>2018-04-10 10:13:52</span>{BODY}</body>"#),
                Some((d(2018, 4, 10), DateSource::Text)),
            ),
            (
                "text Published",
                format!(
                    r#"<body><h1>Title</h1><p class="byline">Published April 12, 2018</p>{BODY}</body>"#
                ),
                Some((d(2018, 4, 12), DateSource::Text)),
            ),
            (
                "text Updated",
                format!(r#"<body><h1>Title</h1><p>Updated: 2018-04-12</p>{BODY}</body>"#),
                Some((d(2018, 4, 12), DateSource::Text)),
            ),
            (
                "abbr published",
                format!(
                    r#"<body><h1>T</h1><p><abbr class="published" title="2019-06-27T10:21:40Z">jeudi</abbr></p>{BODY}</body>"#
                ),
                Some((d(2019, 6, 27), DateSource::Time)),
            ),
            ("nothing", format!("<body>{BODY}</body>"), None),
        ];
        for (name, html, expect) in cases {
            let (_, chosen) = page_dates(plain, &html);
            assert_eq!(chosen, expect, "{name}");
        }
        let (_, chosen) = page_dates(
            "http://www.gov.cn/xinwen/2018-04/12/content_5281960.htm",
            &format!("<body>{BODY}</body>"),
        );
        assert_eq!(chosen, Some((d(2018, 4, 12), DateSource::Url)));
    }

    #[test]
    fn prefers_trustworthy_sources_and_skips_implausible_dates() {
        let html = format!(
            r#"<head><meta name="PubDate" content="2018-04-10"></head><body><div class="header">今天是2025年12月30日</div>
            <h1>标题</h1><div>发布时间：2018-03-01</div>{BODY}</body>"#
        );
        let (all, chosen) = page_dates("http://www.gov.cn/xinwen/2018-04/12/content_1.htm", &html);
        assert_eq!(chosen, Some((d(2018, 4, 10), DateSource::Meta)));
        assert_eq!(all.len(), 3, "{all:?}");

        // A meta date long after the URL's date is a render date.
        let html =
            format!(r#"<head><meta name="date" content="2024-06-01"></head><body>{BODY}</body>"#);
        let (_, chosen) = page_dates("http://www.gov.cn/xinwen/2018-04/12/content_1.htm", &html);
        assert_eq!(chosen, Some((d(2018, 4, 12), DateSource::Url)));

        // Future and ancient dates are skipped.
        let html = format!(
            r#"<head><meta name="date" content="2031-06-01"><meta name="pubdate" content="1970-01-01"></head><body><h1>T</h1><p>发布时间：2018-04-12</p>{BODY}</body>"#
        );
        let (_, chosen) = page_dates("https://example.com/a", &html);
        assert_eq!(chosen, Some((d(2018, 4, 12), DateSource::Text)));
    }

    #[test]
    fn byline_time_in_an_article_header_counts_but_not_in_site_chrome() {
        let html = r#"<html><head><title>T</title></head><body>
            <header class="site-header"><time datetime="2026-11-01">today</time></header>
            <aside class="sidebar"><article><header class="entry-header">
              <time datetime="2019-01-02">other post</time></header></article></aside>
            <article><header class="entry-header"><h1>Post</h1>
              <time class="entry-date" datetime="2019-07-13T10:00:00+02:00">13. Juli 2019</time>
            </header><p>Text of the post, long enough to be the article body here.</p></article>
            </body></html>"#;
        let (cands, _) = page_dates("https://blog.example/post/", html);
        assert!(
            cands.contains(&(d(2019, 7, 13), DateSource::Time)),
            "{cands:?}"
        );
        assert!(!cands.iter().any(|(x, _)| *x == d(2019, 1, 2)), "{cands:?}");
        assert!(
            !cands.iter().any(|(x, _)| *x == d(2026, 11, 1)),
            "{cands:?}"
        );
    }

    #[test]
    fn the_block_repeating_the_title_is_the_headline_when_the_first_h1_is_a_logo() {
        let filler: String = (0..20)
            .map(|i| format!("<p>Rubrik {i} mit einem kurzen Text ohne Datum.</p>"))
            .collect();
        let html = format!(
            r#"<head><title>Neue Brücke über den Fluss eröffnet | Stadtportal</title></head><body>
            <h1>Stadtportal</h1>{filler}<div class="main"><h2>Neue Brücke über den Fluss eröffnet</h2>
            <div class="meta">dpa am 12.11.2021</div><p>Die neue Brücke ist seit heute für den Verkehr
            freigegeben, nach drei Jahren Bauzeit und vielen Verzögerungen.</p></div></body>"#
        );
        let (_, chosen) = page_dates("https://example.com/a", &html);
        assert_eq!(chosen, Some((d(2021, 11, 12), DateSource::Text)));
    }

    #[test]
    fn european_datelines() {
        for (line, want) in [
            ("Veröffentlicht am 5. November 2021", d(2021, 11, 5)),
            ("martes 17 de marzo de 2020", d(2020, 3, 17)),
            ("22/11/2020 - 04:30 - Fonte: Agência", d(2020, 11, 22)),
        ] {
            let html = format!(r#"<body><h1>Titel</h1><p class="x">{line}</p>{BODY}</body>"#);
            let (_, chosen) = page_dates("https://example.com/a", &html);
            assert_eq!(chosen, Some((want, DateSource::Text)), "{line}");
        }
    }

    #[test]
    fn a_date_inside_prose_is_an_event_not_the_dateline() {
        let html = r#"<body><h1>Zentrum eröffnet</h1><p>Im Beisein zahlreicher Gäste wurde das neue
            Zentrum am 18. Oktober 2021 offiziell eröffnet und in Betrieb genommen, nach langer Bauzeit.</p>
            <p>Mehr dazu im nächsten Heft, das im Dezember erscheinen wird.</p></body>"#;
        let (_, chosen) = page_dates("https://example.org/2021/10/20/zentrum/", html);
        assert_eq!(chosen, Some((d(2021, 10, 20), DateSource::Url)));
        let (_, chosen) = page_dates("https://example.org/zentrum/", html);
        assert_eq!(chosen, None);
    }

    #[test]
    fn a_utc_timestamp_a_day_after_the_url_date_is_the_url_day() {
        let head = r#"<head><meta property="article:published_time" content="2020-02-25T02:25:54+00:00"></head>"#;
        let url = "https://news.example/2020/02/24/story/";
        let html = format!("{head}<body><h1>T</h1>{BODY}</body>");
        let (_, chosen) = page_dates(url, &html);
        assert_eq!(chosen, Some((d(2020, 2, 24), DateSource::Url)));
        // The visible dateline shows the timestamp's day: that day stands.
        let html = format!("{head}<body><h1>T</h1><p>Feb. 25, 2020</p>{BODY}</body>");
        let (_, chosen) = page_dates(url, &html);
        assert_eq!(chosen, Some((d(2020, 2, 25), DateSource::Meta)));
        // Further apart: the metadata stands.
        let (_, chosen) = page_dates(
            "https://news.example/2020/02/22/story/",
            &format!("{head}<body><h1>T</h1>{BODY}</body>"),
        );
        assert_eq!(chosen, Some((d(2020, 2, 25), DateSource::Meta)));
    }

    #[test]
    fn a_day_more_sources_agree_on_beats_a_lone_meta_date() {
        let html = format!(
            r#"<head><meta name="date" content="2022-01-15"></head><body><article><h1>T</h1>
            <time datetime="2022-01-25T08:00:00">25.01.2022</time><script>var publishTime = "2022-01-25 08:00";</script>
            {BODY}</article></body>"#
        );
        let (_, chosen) = page_dates("https://example.com/a", &html);
        assert_eq!(chosen, Some((d(2022, 1, 25), DateSource::Time)));
        // One against one, months apart: the more trustworthy source stands.
        let html = format!(
            r#"<head><meta name="date" content="2022-01-15"></head><body><h1>T</h1><p>25.05.2022</p>{BODY}</body>"#
        );
        let (_, chosen) = page_dates("https://example.com/a", &html);
        assert_eq!(chosen, Some((d(2022, 1, 15), DateSource::Meta)));
        // One against one, days apart: the article's own dateline.
        let html = format!(
            r#"<head><meta name="date" content="2022-01-15"></head><body><h1>T</h1><p>25.01.2022</p>{BODY}</body>"#
        );
        let (_, chosen) = page_dates("https://example.com/a", &html);
        assert_eq!(chosen, Some((d(2022, 1, 25), DateSource::Text)));
        // Metadata that two sources agree on stands against the dateline.
        let html = format!(
            r#"<head><meta name="date" content="2022-01-15"><script type="application/ld+json">{{"datePublished":"2022-01-15"}}</script></head>
            <body><h1>T</h1><p>25.01.2022</p>{BODY}</body>"#
        );
        let (_, chosen) = page_dates("https://example.com/a", &html);
        assert_eq!(chosen, Some((d(2022, 1, 15), DateSource::Meta)));
    }

    #[test]
    fn a_labelled_date_far_from_the_headline_counts_when_none_is_near() {
        let filler: String = (0..20)
            .map(|i| format!("<p>Absatz {i} der Rezension, ohne ein Datum darin.</p>"))
            .collect();
        let page = |footer: &str| {
            format!(
                r#"<body><h1>Vom Boden aus gedacht</h1>{filler}<div class="footer"><p>Letzte Änderung: 31.10.2023</p>{footer}</div>
                <aside class="sidebar"><p>Veröffentlicht am: 02.02.2020</p></aside></body>"#
            )
        };
        // A publication label beats an update label; a sidebar's label never counts.
        let (_, chosen) = page_dates(
            "https://example.org/r",
            &page("<p>Erschienen am: 01.11.2023</p>"),
        );
        assert_eq!(chosen, Some((d(2023, 11, 1), DateSource::Text)));
        let (_, chosen) = page_dates(
            "https://example.org/r",
            &page("<p>Aktualisiert: 30.12.2016</p>"),
        );
        assert_eq!(chosen, Some((d(2016, 12, 30), DateSource::Text)));
        // `date` inside `Update:` is not a publication label.
        let html = format!("<body><h1>T</h1>{filler}<p>Update: 2019-03-04</p></body>");
        let (_, chosen) = page_dates("https://example.org/r", &html);
        assert_eq!(chosen, None);
    }

    #[test]
    fn a_two_digit_year_counts_after_a_label() {
        for (line, want) in [
            ("发布时间：18-04-12 09:30", Some(d(2018, 4, 12))),
            ("Datum: 12.04.18", Some(d(2018, 4, 12))),
            ("Posted: 03/11/99", Some(d(1999, 11, 3))),
            ("18-04-12 09:30", None),
        ] {
            let html = format!("<body><h1>T</h1><p>{line}</p>{BODY}</body>");
            let (_, chosen) = page_dates("https://example.com/a", &html);
            assert_eq!(chosen.map(|(x, _)| x), want, "{line}");
        }
    }

    #[test]
    fn header_date_of_today_is_not_the_page_date() {
        let html = format!(
            r#"<body><div class="header"><p>2025年12月30日 星期二</p></div><div class="content">{BODY}</div></body>"#
        );
        let (_, chosen) = page_dates("https://example.com/a", &html);
        assert_eq!(chosen, None);
    }
}
