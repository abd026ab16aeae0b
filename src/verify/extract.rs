//! Main text: the article, not the page chrome.
//!
//! A readability-style extractor for news and government pages, measured against
//! trafilatura on English news and on Chinese government/news pages
//! (`benches/eval/compare.py`). The page is walked once, iteratively, and cut into text
//! blocks (paragraphs, list items, cells, text between `<br>`s). The rules:
//!
//! - script/style/forms' controls are invisible; `nav`, `header`, `footer`, `aside`,
//!   `form`, `menu` and elements whose class/id say `nav`, `menu`, `footer`, `related`,
//!   `breadcrumb`, `comment`, `share`, `ad`, … are chrome, unless they wrap (nearly) the
//!   whole page;
//! - layout hints (`sidebar`, `side`, `widget`, `header`) are on article columns as often
//!   as on sidebars: such a region is chrome only when it holds no paragraph of prose;
//!   otherwise only its score as a container is lowered;
//! - a "related news" list (`相关新闻`, `相关阅读`, `Related`) after its label, and blocks
//!   that are mostly link text, are chrome;
//! - paragraph-like blocks score their nearest containers (as Mozilla's Readability
//!   does); a container named as the article's (`article-body`, `TRS_Editor`,
//!   `UCAP-CONTENT`, `<article>`) counts a quarter more, one named as chrome a quarter
//!   less; the main text is the best container plus strong siblings, climbing up to three
//!   levels to an ancestor that holds half as much prose again (an article split into
//!   columns or sections);
//! - the headline (`<h1>`, or the block repeating the title) is kept apart from the body
//!   ([`Extracted::headline`]), and so are bylines, editor and source lines
//!   (`By …`, `责任编辑：…`, `（责编：…）`, `来源：…`).

use std::collections::HashMap;
use std::sync::LazyLock;

use ego_tree::{NodeId, NodeRef};
use regex::Regex;
use scraper::{ElementRef, Html, Node, Selector};

/// Elements whose content is never visible text.
const INVISIBLE_TAGS: &[&str] = &[
    "script", "style", "noscript", "template", "head", "iframe", "svg", "select", "button",
    "textarea", "object", "embed", "canvas", "map", "title",
];
/// Elements that are page chrome by their tag.
const CHROME_TAGS: &[&str] = &["nav", "header", "footer", "aside", "form", "menu"];
/// Elements that end one text block and start another.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "blockquote",
    "body",
    "br",
    "caption",
    "center",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];
/// class/id tokens (split on space, `-`, `_`) that mark chrome.
const CHROME_HINTS: &[&str] = &[
    "nav",
    "navbar",
    "navigation",
    "subnav",
    "menu",
    "sidebar",
    "side",
    "sidenav",
    "footer",
    "foot",
    "header",
    "breadcrumb",
    "breadcrumbs",
    "crumb",
    "crumbs",
    "comment",
    "comments",
    "share",
    "sharing",
    "social",
    "related",
    "relate",
    "recommend",
    "recommended",
    "copyright",
    "toolbar",
    "topbar",
    "ad",
    "ads",
    "advert",
    "advertisement",
    "banner",
    "login",
    "friendlink",
    "hot",
    "hotnews",
    "rank",
    "ranking",
    "popular",
    "xgxw",
    "xgyd",
    "widget",
    "sns",
    "cookie",
];
/// Layout hints that many sites also put on the column holding the article: such an
/// element is not chrome, its score as a container is only lowered.
const SOFT_HINTS: &[&str] = &["sidebar", "side", "widget", "aside", "header"];
/// class/id tokens that mark the article body: its container's score counts more.
const CONTENT_HINTS: &[&str] = &[
    "article", "content", "entry", "story", "post", "body", "text", "detail", "main", "zoom",
    "trs", "editor", "ucap", "artibody", "rm", "txt", "con", "zw",
];
/// Byline, editor and dateline lines inside the article container: not body text.
static BYLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:[\[【(（]\s*)?(?:(?:By|BY|Analysis by|Written by|Posted by|Reporting by|Updated|Published|Photo:|Image:) |(?:责任编辑|责编|编辑|作者|记者|来源|本报记者|通讯员|摄影)\s*[:：\s])",
    )
    .expect("static regex is valid")
});
/// A line this short (chars) that matches [`BYLINE`] is a byline.
const MAX_BYLINE_CHARS: usize = 80;

/// Labels that open a "related news" list.
const RELATED_LABELS: &[&str] = &[
    "相关新闻",
    "相关阅读",
    "相关链接",
    "相关报道",
    "相关文章",
    "相关稿件",
    "相关内容",
    "延伸阅读",
    "推荐阅读",
    "热点推荐",
    "热门推荐",
    "热点新闻",
    "热门新闻",
    "猜你喜欢",
    "更多新闻",
    "精彩推荐",
    "往期回顾",
    "图片新闻",
    "新闻排行",
    "related",
    "more stories",
    "read more",
    "read next",
    "recommended",
    "you may also like",
    "most popular",
    "most read",
    "trending",
    "more from",
];

/// Blocks shorter than this (in chars) do not score their containers.
const MIN_SCORING_CHARS: usize = 25;
/// A chrome-hinted element with at least this much text and 80% of the page is a wrapper.
const MIN_WRAPPER_CHARS: usize = 100;
/// A text run this long (non-space chars) is a paragraph of prose.
const PROSE_CHARS: usize = 80;
/// Ancestors the main container may climb to (see `choose_containers`).
const MAX_CLIMB: usize = 3;
/// How much more prose an ancestor must hold for the main container to climb to it.
const CLIMB_GAIN: f64 = 1.5;
/// Blocks with more link text than this share are not prose (for climbing).
const MAX_PROSE_LINK_DENSITY: f64 = 0.3;
/// Blocks with more link text than this share are link lists.
const MAX_LINK_DENSITY: f64 = 0.5;

static SEL_H1: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("h1").expect("static selector is valid"));
static SEL_BODY: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("body").expect("static selector is valid"));
static SEL_TITLE: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("title").expect("static selector is valid"));
static SEL_OG_TITLE: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse(r#"meta[property="og:title"]"#).expect("static selector is valid")
});
/// One block of visible text.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub(crate) text: String,
    link_chars: usize,
    /// Block-level ancestors, outermost first, the block's own element last.
    pub(crate) path: Vec<NodeId>,
    /// Inside chrome (by tag, hint, related list or link density).
    pub(crate) chrome: bool,
    /// Inside a layout region hinted as a sidebar/header/widget (not chrome for the main
    /// text, but no place for the page date).
    pub(crate) layout: bool,
    /// Inside the headline `<h1>`.
    pub(crate) headline: bool,
}

impl Block {
    fn chars(&self) -> usize {
        self.text.chars().count()
    }

    #[allow(clippy::cast_precision_loss)]
    fn link_density(&self) -> f64 {
        self.link_chars as f64 / self.chars().max(1) as f64
    }
}

/// What the extractor read from a page.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extracted {
    pub(crate) title: Option<String>,
    /// The article's headline (`<h1>`, or the block that repeats the title).
    pub(crate) headline: Option<String>,
    pub(crate) main_text: String,
    /// Visible text that is not main text (navigation, sidebars, related lists, …).
    pub(crate) chrome_text: String,
    /// Every block, in document order (for the date near the headline).
    pub(crate) blocks: Vec<Block>,
}

struct Walker {
    blocks: Vec<Block>,
    current: String,
    current_links: usize,
    stack: Vec<NodeId>,
    chrome_depth: usize,
    layout_depth: usize,
    headline_depth: usize,
    headline: Option<NodeId>,
    body_chars: usize,
}

/// Runs of whitespace as one space, trimmed (`\s+` → ` `).
fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The class and id tokens of an element, as written (compare with [`is_hint`]).
fn hint_tokens(el: &scraper::node::Element) -> impl Iterator<Item = &str> + '_ {
    el.attr("class")
        .into_iter()
        .chain(el.id())
        .flat_map(|v| v.split(|c: char| c.is_whitespace() || c == '-' || c == '_'))
        .filter(|t| !t.is_empty())
}

/// Whether a class/id token is one of `hints` (lowercase), in any ASCII case.
fn is_hint(hints: &[&str], token: &str) -> bool {
    hints.iter().any(|h| h.eq_ignore_ascii_case(token))
}

fn visible_chars(node: NodeRef<'_, Node>) -> usize {
    node.descendants()
        .filter_map(|n| n.value().as_text())
        .map(|t| t.chars().filter(|c| !c.is_whitespace()).count())
        .sum()
}

/// Whether a subtree holds a paragraph of prose (one text run of [`PROSE_CHARS`]).
fn has_prose(node: NodeRef<'_, Node>) -> bool {
    node.descendants().any(|n| {
        n.value()
            .as_text()
            .is_some_and(|t| t.chars().filter(|c| !c.is_whitespace()).count() >= PROSE_CHARS)
    })
}

impl Walker {
    fn flush(&mut self) {
        let text = collapse(&self.current);
        self.current.clear();
        let links = std::mem::take(&mut self.current_links);
        if text.is_empty() {
            return;
        }
        self.blocks.push(Block {
            text,
            link_chars: links,
            path: self.stack.clone(),
            chrome: self.chrome_depth > 0,
            layout: self.layout_depth > 0,
            headline: self.headline_depth > 0,
        });
    }

    /// Whether an element is chrome (hard), a layout region (soft) or neither.
    fn chrome_kind(&self, node: NodeRef<'_, Node>, el: &scraper::node::Element) -> (bool, bool) {
        let soft = !CHROME_TAGS.contains(&el.name())
            && !matches!(el.name(), "body" | "html" | "article" | "main")
            && hint_tokens(el).any(|t| is_hint(SOFT_HINTS, t));
        (self.is_chrome(node, el), soft)
    }

    /// Whether an element is chrome; a "chrome" wrapper holding most of the page is not.
    fn is_chrome(&self, node: NodeRef<'_, Node>, el: &scraper::node::Element) -> bool {
        let by_tag = CHROME_TAGS.contains(&el.name());
        let hints: Vec<&str> = if matches!(el.name(), "body" | "html" | "article" | "main") {
            Vec::new()
        } else {
            hint_tokens(el)
                .filter(|t| is_hint(CHROME_HINTS, t))
                .collect()
        };
        if !by_tag && hints.is_empty() {
            return false;
        }
        // Layout hints (`sidebar`, `widget`, `header`) are on article columns as often as
        // on sidebars: a region so named that holds a paragraph of prose is not chrome
        // (its score as a container is only lowered, see `choose_containers`).
        if !by_tag && hints.iter().all(|t| is_hint(SOFT_HINTS, t)) && has_prose(node) {
            return false;
        }
        // A hinted wrapper of (nearly) the whole page is a layout wrapper, not chrome.
        let chars = visible_chars(node);
        !(chars >= MIN_WRAPPER_CHARS && chars * 10 >= self.body_chars * 8)
    }

    /// Walk the tree in document order, iteratively (pages may nest deeply).
    fn walk(&mut self, root: NodeRef<'_, Node>) {
        enum Step<'a> {
            Enter(NodeRef<'a, Node>, bool),
            Leave {
                block: bool,
                chrome: bool,
                layout: bool,
                headline: bool,
            },
        }
        let mut todo = vec![Step::Enter(root, false)];
        while let Some(step) = todo.pop() {
            let (node, in_link) = match step {
                Step::Leave {
                    block,
                    chrome,
                    layout,
                    headline,
                } => {
                    if block {
                        self.flush();
                        self.stack.pop();
                    }
                    if chrome {
                        self.chrome_depth -= 1;
                    }
                    if layout {
                        self.layout_depth -= 1;
                    }
                    if headline {
                        self.headline_depth -= 1;
                    }
                    continue;
                }
                Step::Enter(node, in_link) => (node, in_link),
            };
            let link = match node.value() {
                Node::Text(text) => {
                    self.current.push_str(text);
                    if in_link {
                        self.current_links += text.chars().filter(|c| !c.is_whitespace()).count();
                    }
                    continue;
                }
                Node::Element(el) => {
                    let name = el.name();
                    if INVISIBLE_TAGS.contains(&name) {
                        continue;
                    }
                    let (chrome, layout) = self.chrome_kind(node, el);
                    let block = BLOCK_TAGS.contains(&name);
                    let headline = name == "h1"
                        && self.headline.is_none()
                        && self.chrome_depth == 0
                        && !chrome;
                    if block {
                        self.flush();
                        self.stack.push(node.id());
                    }
                    if chrome {
                        self.chrome_depth += 1;
                    }
                    if layout {
                        self.layout_depth += 1;
                    }
                    if headline {
                        self.headline = Some(node.id());
                        self.headline_depth += 1;
                    }
                    todo.push(Step::Leave {
                        block,
                        chrome,
                        layout,
                        headline,
                    });
                    in_link || name == "a"
                }
                _ => in_link,
            };
            todo.extend(node.children().rev().map(|c| Step::Enter(c, link)));
        }
    }
}

fn is_related_label(text: &str) -> bool {
    // Lower-casing never shortens the alphanumeric core (`İ` becomes `i̇`): a block whose
    // core is already longer is no label, and is not lower-cased at all.
    let core = text.trim_matches(|c: char| !c.is_alphanumeric());
    if core.chars().nth(30).is_some() {
        return false;
    }
    let lower = text.to_lowercase();
    let trimmed = lower.trim_matches(|c: char| !c.is_alphanumeric());
    trimmed.chars().count() <= 30
        && RELATED_LABELS
            .iter()
            .any(|label| trimmed.starts_with(label))
}

/// Mark related-news lists (label, then short or link-heavy blocks) and link lists.
fn mark_chrome(blocks: &mut [Block]) {
    let mut in_related = false;
    for block in blocks.iter_mut() {
        if is_related_label(&block.text) {
            in_related = true;
            block.chrome = true;
            continue;
        }
        let linky = block.link_density() > MAX_LINK_DENSITY;
        if in_related {
            if linky || block.chars() < MIN_SCORING_CHARS {
                block.chrome = true;
                continue;
            }
            in_related = false;
        }
        if linky {
            block.chrome = true;
        }
    }
}

#[allow(clippy::cast_precision_loss)]
fn block_score(block: &Block) -> f64 {
    let commas = block
        .text
        .chars()
        .filter(|c| matches!(c, ',' | '，' | '。' | '、' | ';' | '；'))
        .count();
    1.0 + commas as f64 + (block.chars() as f64 / 100.0).min(3.0)
}

/// The ids of the containers whose blocks make up the main text.
fn choose_containers(blocks: &[Block], html: &Html) -> Option<(NodeId, Vec<NodeId>)> {
    let mut scores: HashMap<NodeId, f64> = HashMap::new();
    for block in blocks
        .iter()
        .filter(|b| !b.chrome && b.chars() >= MIN_SCORING_CHARS)
    {
        let score = block_score(block);
        for (depth, id) in block.path.iter().rev().take(3).enumerate() {
            let share = if depth < 2 { 1.0 } else { 0.5 };
            *scores.entry(*id).or_default() += score * share;
        }
    }
    // A container named as the article's (`article-body`, `TRS_Editor`, `UCAP-CONTENT`)
    // counts a quarter more, one named as chrome a quarter less.
    for (id, score) in &mut scores {
        if let Some(el) = html.tree.get(*id).and_then(ElementRef::wrap) {
            let tokens: Vec<&str> = hint_tokens(el.value()).collect();
            if tokens.iter().any(|t| is_hint(CONTENT_HINTS, t)) || el.value().name() == "article" {
                *score *= 1.25;
            }
            if tokens.iter().any(|t| is_hint(CHROME_HINTS, t)) {
                *score *= 0.75;
            }
        }
    }
    let (&best, &best_score) = scores
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))?;
    // Strong siblings of the best container (lead paragraph, second body part).
    let parent = blocks
        .iter()
        .find_map(|b| b.path.iter().position(|id| *id == best).map(|i| (b, i)))
        .and_then(|(b, i)| i.checked_sub(1).map(|p| b.path[p]));
    let mut siblings = Vec::new();
    if let Some(parent) = parent {
        let threshold = (best_score * 0.2).max(3.0);
        for block in blocks {
            if let Some(i) = block.path.iter().position(|id| *id == parent)
                && let Some(&child) = block.path.get(i + 1)
                && child != best
                && scores.get(&child).is_some_and(|s| *s >= threshold)
                && !siblings.contains(&child)
            {
                siblings.push(child);
            }
        }
    }
    siblings.push(best);
    // An article split over several containers (a column per section, a lead apart from
    // the rest): climb while the ancestor holds at least half as much prose again.
    let prose = |under: NodeId| -> f64 {
        blocks
            .iter()
            .filter(|b| {
                !b.chrome
                    && b.chars() >= MIN_SCORING_CHARS
                    && b.link_density() < MAX_PROSE_LINK_DENSITY
                    && b.path.contains(&under)
            })
            .map(block_score)
            .sum()
    };
    let path = blocks
        .iter()
        .find_map(|b| {
            b.path
                .iter()
                .position(|id| *id == best)
                .map(|i| &b.path[..i])
        })
        .unwrap_or_default();
    let mut chosen = best;
    let mut mass = prose(best);
    for &up in path.iter().rev().take(MAX_CLIMB) {
        if is_page_wrapper(html, up) {
            break;
        }
        let up_mass = prose(up);
        if up_mass >= mass * CLIMB_GAIN {
            chosen = up;
            mass = up_mass;
        }
    }
    if chosen != best {
        siblings.push(chosen);
    }
    Some((chosen, siblings))
}

/// `<body>`/`<html>`: climbing to them would take the whole page.
fn is_page_wrapper(html: &Html, id: NodeId) -> bool {
    html.tree
        .get(id)
        .and_then(ElementRef::wrap)
        .is_some_and(|el| matches!(el.value().name(), "body" | "html"))
}

fn first_text(html: &Html, name: &'static str, selector: &Selector) -> Option<String> {
    super::select_named(html, name, selector)
        .map(|el| collapse(&el.text().collect::<String>()))
        .find(|t| !t.is_empty())
}

fn og_title(html: &Html) -> Option<String> {
    super::select_named(html, "meta", &SEL_OG_TITLE)
        .filter_map(|el| el.attr("content"))
        .map(collapse)
        .find(|t| !t.is_empty())
}

/// A page title without the site name (`法国全国大罢工-新华网` → `法国全国大罢工`).
fn strip_site_name(title: &str) -> String {
    const SEPARATORS: &[&str] = &[" | ", " - ", " – ", " — ", "_", "|", "-", "－", "–", "—"];
    for sep in SEPARATORS {
        if let Some((head, _)) = title.split_once(sep)
            && head.trim().chars().count() >= 4
        {
            return head.trim().to_owned();
        }
    }
    title.trim().to_owned()
}

/// Read the title, the main text and the chrome text of a parsed page.
pub(crate) fn extract(html: &Html) -> Extracted {
    let root = html.root_element();
    let body_chars = super::select_named(html, "body", &SEL_BODY)
        .next()
        .map_or(0, |b| visible_chars(*b));
    let mut walker = Walker {
        blocks: Vec::new(),
        current: String::new(),
        current_links: 0,
        stack: Vec::new(),
        chrome_depth: 0,
        layout_depth: 0,
        headline_depth: 0,
        headline: None,
        body_chars,
    };
    walker.walk(*root);
    walker.flush();
    let mut blocks = walker.blocks;
    mark_chrome(&mut blocks);
    let title = first_text(html, "title", &SEL_TITLE).or_else(|| og_title(html));
    if !blocks.iter().any(|b| b.headline) {
        // No `<h1>`: the headline is the block that repeats the title (`<div class="h-title">`).
        let candidates: Vec<String> = og_title(html)
            .into_iter()
            .chain(title.as_deref().map(strip_site_name))
            .collect();
        if let Some(block) = blocks.iter_mut().find(|b| {
            candidates
                .iter()
                .any(|c| c.chars().count() >= 4 && b.text == *c)
        }) {
            block.headline = true;
        }
    }

    let chosen = choose_containers(&blocks, html);
    let mut main = Vec::new();
    let mut chrome = Vec::new();
    for block in &blocks {
        if block.headline {
            continue;
        }
        let in_main = !block.chrome
            && match &chosen {
                Some((_, containers)) => block.path.iter().any(|id| containers.contains(id)),
                None => true,
            };
        let byline = block.chars() <= MAX_BYLINE_CHARS
            && BYLINE.is_match(&block.text)
            && !block.text.contains(['。', '！', '？']);
        if in_main && !byline {
            main.push(block.text.as_str());
        } else {
            chrome.push(block.text.as_str());
        }
    }
    let headline = blocks
        .iter()
        .find(|b| b.headline)
        .map(|b| b.text.clone())
        .or_else(|| first_text(html, "h1", &SEL_H1))
        .or_else(|| og_title(html));
    let main_text = main.join("\n");
    Extracted {
        title,
        headline,
        main_text,
        chrome_text: chrome.join("\n"),
        blocks,
    }
}

impl Extracted {
    /// Every block's text, one per line (for markup found inside data and `<noscript>`).
    pub(crate) fn all_text(&self) -> String {
        let texts: Vec<&str> = self.blocks.iter().map(|b| b.text.as_str()).collect();
        texts.join("\n")
    }
}

/// Whether an element sits inside chrome (tag or class/id hint) — for dates in markup.
///
/// A `<header>`/`<footer>` (or a `header`/`footer`-hinted block) inside an `<article>` or
/// `<main>` belongs to that article — HTML5 scopes them to their sectioning ancestor —
/// so the byline `<time>` of `article > header.entry-header` counts.
pub(crate) fn in_chrome(el: ElementRef<'_>) -> bool {
    let ancestors: Vec<ElementRef<'_>> = el.ancestors().filter_map(ElementRef::wrap).collect();
    ancestors.iter().enumerate().any(|(i, a)| {
        let value = a.value();
        let in_article = || {
            ancestors[i + 1..]
                .iter()
                .any(|up| matches!(up.value().name(), "article" | "main"))
        };
        let scoped = |t: &str| matches!(t, "header" | "footer" | "head" | "foot");
        if CHROME_TAGS.contains(&value.name()) {
            return !(scoped(value.name()) && in_article());
        }
        !matches!(value.name(), "body" | "html" | "article" | "main")
            && hint_tokens(value).any(|t| {
                is_hint(CHROME_HINTS, t) && !(scoped(&t.to_ascii_lowercase()) && in_article())
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLE: &str = "国务院总理李克强4月12日主持召开国务院常务会议，部署推进“互联网＋医疗健康”发展，\
        更好满足群众健康需求。会议指出，要加快发展远程医疗，推动医联体内信息互通共享。";
    const ARTICLE2: &str = "会议要求，各地要健全“互联网＋医疗健康”服务体系，完善支撑体系，加强行业监管和安全保障，\
        确保患者信息安全。会议还研究了其他事项。";

    fn page(body: &str) -> Html {
        Html::parse_document(&format!(
            "<html><head><title>国务院常务会议_中国政府网</title><script>var nav='互联网+';</script>\
             <style>.x{{}}</style></head><body>{body}</body></html>"
        ))
    }

    #[test]
    fn keeps_the_article_and_drops_chrome() {
        let body = format!(
            r#"<div class="header"><ul><li><a href="/">首页</a></li><li><a href="/a">政务公开</a></li></ul>
            <p>今天是2026年11月28日 星期六</p></div>
            <nav><a href="/x">数字经济专题</a></nav>
            <div class="main"><div class="content">
              <h1>李克强主持召开国务院常务会议</h1>
              <div class="pages-date">2018-04-12 20:31 来源：新华社</div>
              <div id="UCAP-CONTENT"><p>{ARTICLE}</p><p>{ARTICLE2}</p></div>
              <div class="xgxw"><h3>相关新闻</h3><ul><li><a href="/1">区块链技术发展论坛在京举行并发布白皮书</a></li></ul></div>
              <p>相关阅读：</p><ul><li><a href="/2">人工智能产业大会开幕</a></li></ul>
            </div>
            <div class="sidebar"><p>热点：第二届数字中国建设峰会在福州开幕，发布大量成果和合作项目，吸引数万人参会。</p></div></div>
            <div id="footer"><p>版权所有：中国政府网 京ICP备05070218号</p></div>
            <aside><p>友情链接说明文字，这是一段在aside中的较长文本内容用于测试。</p></aside>"#
        );
        let extracted = extract(&page(&body));
        let main = &extracted.main_text;
        assert_eq!(
            extracted.headline.as_deref(),
            Some("李克强主持召开国务院常务会议")
        );
        assert!(
            main.starts_with("国务院总理"),
            "title and dateline are not body: {main}"
        );
        assert!(main.contains("互联网＋医疗健康"), "{main}");
        assert!(main.contains("确保患者信息安全"), "{main}");
        for chrome in [
            "首页",
            "数字经济专题",
            "区块链",
            "人工智能产业",
            "数字中国建设峰会",
            "版权所有",
            "友情链接",
            "2026年11月28日",
            "var nav",
        ] {
            assert!(
                !main.contains(chrome),
                "{chrome} leaked into main text: {main}"
            );
        }
        assert!(extracted.chrome_text.contains("区块链"));
        assert!(extracted.chrome_text.contains("数字中国建设峰会"));
        assert_eq!(
            extracted.title.as_deref(),
            Some("国务院常务会议_中国政府网")
        );
    }

    #[test]
    fn text_between_br_in_table_layouts() {
        let body = format!(
            r#"<table><tr><td class="nav"><a href="/">首页</a> | <a href="/b">机构</a></td></tr>
            <tr><td><font>省政府召开常务会议</font><br>{ARTICLE}<br>{ARTICLE2}</td>
            <td width="200"><a href="/r1">热门文章一则比较长的标题用于测试侧栏</a><br><a href="/r2">另一则标题</a></td></tr></table>"#
        );
        let extracted = extract(&page(&body));
        assert!(
            extracted.main_text.contains("远程医疗"),
            "{}",
            extracted.main_text
        );
        assert!(!extracted.main_text.contains("热门文章"));
        assert!(!extracted.main_text.contains("首页"));
    }

    #[test]
    fn a_chrome_hint_on_a_wrapper_of_everything_is_ignored() {
        let body = format!(
            r#"<div class="side-wrapper"><p>{ARTICLE}</p><p>{ARTICLE2}</p><p>{ARTICLE}</p></div>"#
        );
        let extracted = extract(&page(&body));
        assert!(
            extracted.main_text.contains("远程医疗"),
            "{}",
            extracted.main_text
        );
    }

    #[test]
    fn english_related_block_is_dropped() {
        let body = "<article><h1>Digital China Summit opens</h1><p>The first Digital China Summit opened in Fuzhou on 22 April 2018, \
            with officials, companies and researchers discussing e-government.</p><p>Speakers said the data economy would grow, and \
            that cities must share data.</p></article><section><h2>Related</h2><ul><li><a href='/x'>Blockchain forum ends in Beijing</a></li></ul></section>";
        let extracted = extract(&page(body));
        assert!(extracted.main_text.contains("Fuzhou"));
        assert!(!extracted.main_text.contains("Blockchain"));
        assert!(extracted.chrome_text.contains("Blockchain"));
    }

    #[test]
    fn headline_without_h1_is_found_by_title() {
        let html = Html::parse_document(&format!(
            r#"<html><head><title>法国全国大罢工再次严重影响交通-新华网</title></head><body>
            <div class="header"><div class="h-title">法国全国大罢工再次严重影响交通</div>
            <div class="h-info"><span class="h-time">2019-12-10 07:57:40</span></div></div>
            <div id="p-detail"><p>{ARTICLE}</p><p>{ARTICLE2}</p></div></body></html>"#
        ));
        let extracted = extract(&html);
        assert_eq!(
            extracted.headline.as_deref(),
            Some("法国全国大罢工再次严重影响交通")
        );
        assert!(
            extracted.main_text.starts_with("国务院总理"),
            "{}",
            extracted.main_text
        );
        assert_eq!(
            strip_site_name("China holds summit | Example News"),
            "China holds summit"
        );
        assert_eq!(
            strip_site_name("国务院常务会议_滚动新闻_中国政府网"),
            "国务院常务会议"
        );
    }
}
