//! The Chinese segmenter: jieba-rs with jieba's dictionary, cut down to the words a run's
//! texts contain, whose part-of-speech tags are kept only as the few classes the keyword
//! weights use.
//!
//! jieba's dictionary holds 349,045 words; inserting all of them into jieba-rs's trie
//! took about 1.2 G instructions (a quarter of a second) at every run that has Chinese
//! claims, and 30–45 MB. But jieba only ever looks up words that occur in the text it
//! cuts: the DAG of a sentence is built from the dictionary words that start at each of
//! its characters, a route is scored from those words' frequencies, and a run of single
//! characters is looked up as a whole. So a jieba given only the dictionary words found
//! in a run's texts, and the same total frequency (one filler entry that no text can
//! contain carries the rest), cuts those texts exactly as jieba with the whole
//! dictionary does (see the tests against jieba-rs's own dictionary).
//!
//! [`Dictionary`] is `data/jieba-dict.txt.gz` (the `dict.txt` of jieba-rs 0.8.1, sorted
//! by bytes, each word once) decompressed and indexed by word, a few tens of
//! milliseconds; [`Dictionary::segmenter_for`] finds the words of the texts by walking
//! the sorted words as a trie (a narrowing binary search per character) and builds the
//! [`Segmenter`] from them.

use std::io::Read;

use flate2::read::GzDecoder;
use jieba_rs::Jieba;

/// jieba's dictionary (`word freq tag` lines, sorted by word, each word once), gzipped.
static DICT_GZ: &[u8] = include_bytes!("data/jieba-dict.txt.gz");

/// The word no text contains that carries the frequency of the words left out (a
/// private-use character: jieba cuts only runs of ideographs, Latin letters, digits
/// and `+#&._%-`, so no lookup can ever reach it).
const FILLER: &str = "\u{e000}";

/// What a word's part-of-speech tag says for its keyword weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    /// Names of organisations, places, people, other proper nouns.
    Name,
    /// Latin letters (jieba's `eng`).
    Latin,
    /// Common nouns, verbal and other nouns.
    Noun,
    /// Anything else (verbs, particles, numbers, punctuation…).
    Other,
}

impl Class {
    /// The class of a jieba tag.
    pub(super) fn of_tag(tag: &str) -> Class {
        match tag {
            "nt" | "ns" | "nr" | "nz" | "nrt" | "nrfg" | "ORG" | "LOC" | "PER" => Class::Name,
            "eng" => Class::Latin,
            "n" | "vn" | "nl" | "ng" => Class::Noun,
            _ => Class::Other,
        }
    }

    /// The class jieba gives a word outside its dictionary: `eng` when it has ASCII
    /// letters, `m` when its ASCII characters are all digits, `x` otherwise.
    fn outside_dictionary(word: &str) -> Class {
        let (mut alnum, mut digits) = (0, 0);
        for c in word.chars().filter(char::is_ascii_alphanumeric) {
            alnum += 1;
            if c.is_ascii_digit() {
                digits += 1;
            }
        }
        if alnum > 0 && alnum != digits {
            Class::Latin
        } else {
            Class::Other
        }
    }
}

/// jieba's dictionary, decompressed and indexed: the segmenters of runs are cut from it.
pub(crate) struct Dictionary {
    /// The `word freq tag` lines.
    text: Vec<u8>,
    /// Each line's range in `text` and where its word ends, in the file's order (sorted
    /// by word).
    lines: Vec<Line>,
    /// The range of `lines` whose words start with each character, sorted by character.
    firsts: Vec<(char, u32, u32)>,
    /// The sum of every word's frequency (jieba's `total`, which scores every route).
    total: usize,
}

/// The range of words (`lo..hi` of [`Dictionary::lines`]) that start with a pair of
/// characters, by the pair (each as a `u32`; `u32::MAX` for the end of a text).
type Pairs = rustc_hash::FxHashMap<u64, (u32, u32)>;

/// One dictionary line: `text[start..word_end]` is the word, `text[start..end]` the line.
#[derive(Debug, Clone, Copy)]
struct Line {
    start: u32,
    word_end: u32,
    end: u32,
}

impl std::fmt::Debug for Dictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dictionary")
            .field("words", &self.lines.len())
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl Dictionary {
    /// Decompress and index the embedded dictionary.
    pub(crate) fn load() -> Dictionary {
        Dictionary::from_gz(DICT_GZ)
    }

    /// Decompress and index a gzipped dictionary of `word freq tag` lines sorted by
    /// word. A stream cut short keeps its whole lines read so far (with a warning); a
    /// line out of order or without a frequency is left out (with a warning): the
    /// narrowing search needs the order.
    fn from_gz(gz: &[u8]) -> Dictionary {
        let mut text = Vec::new();
        if let Err(e) = GzDecoder::new(gz).read_to_end(&mut text) {
            tracing::warn!("the Chinese segmenter's dictionary could not be read in full: {e}");
            let whole = memchr::memrchr(b'\n', &text).map_or(0, |i| i + 1);
            text.truncate(whole);
        }
        // Indexed as bytes: the words are compared as bytes (their UTF-8 order is their
        // order as text), and only the lines kept for a run are read as text.
        let mut lines: Vec<Line> = Vec::with_capacity(text.len() / 14);
        let mut firsts: Vec<(char, u32, u32)> = Vec::new();
        let mut total = 0usize;
        let mut skipped = 0usize;
        let mut start = 0;
        let mut prev: &[u8] = &[];
        // Lines are short (15 bytes on average): plain byte loops beat `memchr` calls.
        for raw in text.split_inclusive(|&b| b == b'\n') {
            let end = start + raw.len();
            // `word freq tag`, one space apart (the file's own form; a line in another
            // form is left out, which the test of the whole dictionary would see).
            let line = raw.trim_ascii_end();
            let (word, rest) = split_at_space(line);
            let freq = parse_count(split_at_space(rest).0);
            match (freq, first_char(word)) {
                (Some(freq), Some(first)) if word > prev => {
                    prev = word;
                    total = total.saturating_add(freq);
                    let n = offset(lines.len());
                    match firsts.last_mut() {
                        Some(last) if last.0 == first => last.2 = n + 1,
                        _ => firsts.push((first, n, n + 1)),
                    }
                    lines.push(Line {
                        start: offset(start),
                        word_end: offset(start + word.len()),
                        end: offset(end),
                    });
                }
                _ => skipped += usize::from(!line.is_empty()),
            }
            start = end;
        }
        if skipped > 0 {
            tracing::warn!("{skipped} lines of the Chinese segmenter's dictionary were left out");
        }
        Dictionary {
            text,
            lines,
            firsts,
            total,
        }
    }

    fn word(&self, i: usize) -> &[u8] {
        let l = self.lines[i];
        &self.text[l.start as usize..l.word_end as usize]
    }

    /// The range of words starting with `prefix` among `lo..hi`, where every word starts
    /// with `prefix` less its last character; marks the word that is `prefix` itself.
    fn narrow(&self, prefix: &str, lo: usize, hi: usize, found: &mut [bool]) -> (usize, usize) {
        // The words that start with `prefix` are a run of them (the words are sorted).
        let prefix = prefix.as_bytes();
        let word = |l: &Line| &self.text[l.start as usize..l.word_end as usize];
        let lo = lo + self.lines[lo..hi].partition_point(|l| word(l) < prefix);
        let hi = lo + self.lines[lo..hi].partition_point(|l| word(l).starts_with(prefix));
        if lo < hi && self.word(lo) == prefix {
            found[lo] = true;
        }
        (lo, hi)
    }

    /// Mark in `found` every dictionary word that occurs in `text`. The first two steps
    /// of the walk from each character depend only on it and the next one: they are
    /// taken once per pair of characters of the run (`pairs`).
    fn mark_words_of(&self, text: &str, found: &mut [bool], pairs: &mut Pairs) {
        let mut chars = text.char_indices().peekable();
        while let Some((pos, c)) = chars.next() {
            let next = chars.peek().map(|&(_, n)| n);
            let key = (u64::from(u32::from(c)) << 32) | u64::from(next.map_or(u32::MAX, u32::from));
            let (mut lo, mut hi) = *pairs.entry(key).or_insert_with(|| {
                let Ok(k) = self.firsts.binary_search_by(|f| f.0.cmp(&c)) else {
                    return (0, 0);
                };
                let (lo, hi) = (self.firsts[k].1 as usize, self.firsts[k].2 as usize);
                if self.word(lo).len() == c.len_utf8() {
                    found[lo] = true;
                }
                let Some(n) = next else { return (0, 0) };
                let end = pos + c.len_utf8() + n.len_utf8();
                let (lo, hi) = self.narrow(&text[pos..end], lo, hi, found);
                (offset(lo), offset(hi))
            });
            if lo == hi {
                continue;
            }
            // Longer words start with this pair: walk on, a character at a time.
            let rest = &text[pos..];
            let mut end = c.len_utf8() + next.map_or(0, char::len_utf8);
            while let Some(n) = rest[end..].chars().next() {
                end += n.len_utf8();
                let (l, h) = self.narrow(&rest[..end], lo as usize, hi as usize, found);
                if l == h {
                    break;
                }
                (lo, hi) = (offset(l), offset(h));
            }
        }
    }

    /// The segmenter for `texts`: jieba with every dictionary word they contain.
    pub(crate) fn segmenter_for<'a>(&self, texts: impl IntoIterator<Item = &'a str>) -> Segmenter {
        let mut found = vec![false; self.lines.len()];
        let mut seen = std::collections::HashSet::new();
        let mut pairs = Pairs::default();
        for text in texts {
            if seen.insert(text) {
                self.mark_words_of(text, &mut found, &mut pairs);
            }
        }
        self.segmenter(|i| found[i])
    }

    /// The segmenter with every word of the dictionary (what the cut ones are tested
    /// against).
    #[cfg(test)]
    pub(crate) fn whole(&self) -> Segmenter {
        self.segmenter(|_| true)
    }

    /// jieba with the words `keep` keeps, and the dictionary's total frequency.
    fn segmenter(&self, keep: impl Fn(usize) -> bool) -> Segmenter {
        let mut lines = String::new();
        let mut kept_freq = 0usize;
        let mut words = String::new();
        let mut starts = Vec::new();
        let mut classes = Vec::new();
        for (i, l) in self.lines.iter().enumerate() {
            if !keep(i) {
                continue;
            }
            let Ok(line) = std::str::from_utf8(&self.text[l.start as usize..l.end as usize]) else {
                continue;
            };
            let mut fields = line.split_whitespace();
            let (Some(word), Some(freq)) = (fields.next(), fields.next()) else {
                continue;
            };
            kept_freq = kept_freq.saturating_add(freq.parse().unwrap_or(0));
            lines.push_str(word);
            lines.push(' ');
            lines.push_str(freq);
            lines.push('\n');
            // Only the words whose tag says more than their letters would (about two in
            // three), in the dictionary's order: sorted, as `class` searches them.
            let class = Class::of_tag(fields.next().unwrap_or(""));
            if class != Class::outside_dictionary(word) {
                starts.push(offset(words.len()));
                words.push_str(word);
                classes.push(class);
            }
        }
        starts.push(offset(words.len()));
        let rest = self.total.saturating_sub(kept_freq);
        if rest > 0 {
            lines.push_str(FILLER);
            lines.push(' ');
            lines.push_str(&rest.to_string());
            lines.push('\n');
        }
        let mut jieba = Jieba::empty();
        if let Err(e) = jieba.load_dict(&mut lines.as_bytes()) {
            tracing::warn!("the Chinese segmenter's dictionary could not be read in full: {e}");
        }
        Segmenter {
            jieba,
            words,
            starts,
            classes,
        }
    }
}

/// jieba and the classes of its dictionary words whose tag gives another class than
/// [`Class::outside_dictionary`] would.
pub(crate) struct Segmenter {
    jieba: Jieba,
    /// Those words, sorted, end to end.
    words: String,
    /// Where each word starts in `words`, and where the last ends.
    starts: Vec<u32>,
    /// The class of each word.
    classes: Vec<Class>,
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segmenter")
            .field("classed_words", &self.classes.len())
            .finish_non_exhaustive()
    }
}

impl Segmenter {
    /// The segmenter with the whole dictionary (a few hundred milliseconds of CPU).
    #[cfg(test)]
    pub(crate) fn load() -> Segmenter {
        Dictionary::load().whole()
    }

    /// The words of `text` with their classes, as jieba cuts and tags them (with its
    /// HMM for words outside the dictionary).
    pub(super) fn tag<'a>(&self, text: &'a str) -> Vec<(&'a str, Class)> {
        self.jieba
            .cut(text, true)
            .into_iter()
            .map(|w| (w, self.class(w)))
            .collect()
    }

    /// The class of `word`.
    pub(super) fn class(&self, word: &str) -> Class {
        let word_at = |i: usize| &self.words[self.starts[i] as usize..self.starts[i + 1] as usize];
        let (mut lo, mut hi) = (0, self.classes.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match word_at(mid).cmp(word) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return self.classes[mid],
            }
        }
        Class::outside_dictionary(word)
    }
}

/// `line` up to its first space, and what follows that space (empty without one).
fn split_at_space(line: &[u8]) -> (&[u8], &[u8]) {
    match line.iter().position(|&b| b == b' ') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, &[]),
    }
}

/// A frequency: what `usize::from_str` reads (an optional `+`, then at least one ASCII
/// digit and nothing else, not overflowing), without going through a `str`.
fn parse_count(field: &[u8]) -> Option<usize> {
    let digits = field.strip_prefix(b"+").unwrap_or(field);
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0usize, |n, &b| {
        let d = b.checked_sub(b'0').filter(|d| *d < 10)?;
        n.checked_mul(10)?.checked_add(usize::from(d))
    })
}

/// The first character of a word given as UTF-8.
fn first_char(word: &[u8]) -> Option<char> {
    let width = match *word.first()? {
        b if b < 0x80 => 1,
        b if b >= 0xf0 => 4,
        b if b >= 0xe0 => 3,
        _ => 2,
    };
    std::str::from_utf8(word.get(..width)?).ok()?.chars().next()
}

/// A byte offset in the dictionary's text (5 MB: far below `u32::MAX`).
fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// jieba-rs with its own embedded dictionary and tags (a dev-dependency feature).
    fn reference() -> &'static Jieba {
        static LOADED: std::sync::OnceLock<Jieba> = std::sync::OnceLock::new();
        LOADED.get_or_init(Jieba::new)
    }

    fn dictionary() -> &'static Dictionary {
        static LOADED: std::sync::OnceLock<Dictionary> = std::sync::OnceLock::new();
        LOADED.get_or_init(Dictionary::load)
    }

    /// The reports' texts and a few sentences with names, Latin words and numbers.
    fn texts() -> Vec<String> {
        let mut texts = Vec::new();
        for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/reports")).unwrap() {
            let path = entry.unwrap().path();
            if let Ok(t) = std::fs::read_to_string(&path) {
                texts.push(t);
            }
        }
        texts.push("4月12日，国务院发布《关于落实政府工作报告重点工作部门分工的意见》，推进互联网+政务服务。iPhone 15发布，A股上涨3%。".to_owned());
        texts
    }

    /// jieba-rs's own cut and classes of `text`.
    fn theirs(text: &str) -> Vec<(&str, Class)> {
        reference()
            .tag(text, true)
            .into_iter()
            .map(|t| (t.word, Class::of_tag(t.tag)))
            .collect()
    }

    /// Every word of the dictionary is classed as jieba-rs's own tag classes it, and the
    /// reports' Chinese text is cut and classed the same.
    #[test]
    fn words_are_cut_and_classed_as_jieba_tags_them() {
        let ours = Segmenter::load();
        let mut dict = String::new();
        GzDecoder::new(DICT_GZ)
            .read_to_string(&mut dict)
            .expect("the dictionary decompresses");
        let mut compared = 0;
        for line in dict.lines() {
            let word = line.split_whitespace().next().expect("a word per line");
            let tags = reference().tag(word, false);
            if let [t] = tags.as_slice() {
                assert_eq!(t.word, word);
                assert_eq!(ours.class(word), Class::of_tag(t.tag), "{line}");
                compared += 1;
            }
        }
        assert!(compared > 340_000, "{compared} words compared");
        let mut words = 0;
        for text in &texts() {
            let ours = ours.tag(text);
            assert_eq!(ours, theirs(text));
            words += ours.len();
        }
        assert!(words > 1000, "{words} words compared in the reports");
    }

    #[test]
    fn frequencies_read_as_usize_from_str_reads_them() {
        let max = usize::MAX.to_string();
        let over = format!("{max}0");
        for field in [
            "", "0", "7", "+7", "++7", "-7", "12a", " 12", "12 ", "0012", "+", "٣", "１２", &max,
            &over,
        ] {
            assert_eq!(
                parse_count(field.as_bytes()),
                field.parse::<usize>().ok(),
                "{field:?}"
            );
        }
        assert_eq!(split_at_space(b"word 5 n"), (&b"word"[..], &b"5 n"[..]));
        assert_eq!(split_at_space(b"word"), (&b"word"[..], &b""[..]));
        assert_eq!(split_at_space(b"word "), (&b"word"[..], &b""[..]));
    }

    /// The embedded dictionary is sorted by word with each word once: the index keeps
    /// every line (a line out of order would be left out of every segmenter).
    #[test]
    fn the_dictionary_is_sorted_and_indexed_whole() {
        let d = dictionary();
        assert_eq!(d.lines.len(), 349_045);
        assert_eq!(d.total, 60_101_964);
        assert!((1..d.lines.len()).all(|i| d.word(i - 1) < d.word(i)));
    }

    /// The segmenter cut for the reports holds a small part of the dictionary and cuts
    /// and classes them exactly as jieba with the whole dictionary does.
    #[test]
    fn a_segmenter_cut_for_texts_cuts_them_as_the_whole_dictionary_does() {
        let texts = texts();
        let cut = dictionary().segmenter_for(texts.iter().map(String::as_str));
        let whole = Segmenter::load();
        assert!(
            cut.classes.len() * 20 < whole.classes.len(),
            "{} of {} classed words kept",
            cut.classes.len(),
            whole.classes.len()
        );
        for text in &texts {
            assert_eq!(cut.tag(text), theirs(text));
        }
        // A text of characters outside the dictionary: the HMM's guesses, as jieba's own.
        let text = "龘靐齉齾爩鱻麤龗灪";
        let none = dictionary().segmenter_for([text]);
        assert_eq!(none.tag(text), theirs(text));
    }

    /// Pieces texts are made of: dictionary words, their parts, characters outside it,
    /// digits, Latin, punctuation and spaces.
    const PIECES: &[&str] = &[
        "国务院",
        "国务",
        "院",
        "发布",
        "关于",
        "落实",
        "政府工作报告",
        "重点",
        "工作",
        "部门",
        "分工",
        "的",
        "意见",
        "互联网",
        "+",
        "政务服务",
        "推进",
        "会",
        "单位",
        "通知",
        "测试",
        "实施方案",
        "中华人民共和国",
        "人民",
        "共和国",
        "北京",
        "上海市",
        "经济",
        "发展",
        "改革委员会",
        "iPhone",
        "A股",
        "3%",
        "15",
        "2018年",
        "4月12日",
        "，",
        "。",
        "《",
        "》",
        " ",
        "\n",
        "Zephyr",
        "the",
        "龘",
        "鱻",
        "的的",
        "了",
        "是",
        "在",
        "一",
        "中国",
        "国",
        "中",
        "心",
        "中心",
        "科技",
        "创新",
        "示范区",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Any text of those pieces is cut and classed by the segmenter cut for it as by
        /// the one with the whole dictionary.
        #[test]
        fn cut_for_a_text_equals_the_whole_dictionary(
            picks in proptest::collection::vec(0..PIECES.len(), 1..24)
        ) {
            static WHOLE: std::sync::OnceLock<Segmenter> = std::sync::OnceLock::new();
            let whole = WHOLE.get_or_init(Segmenter::load);
            let text: String = picks.iter().map(|&i| PIECES[i]).collect();
            let cut = dictionary().segmenter_for([text.as_str()]);
            prop_assert_eq!(cut.tag(&text), whole.tag(&text));
        }
    }

    #[test]
    fn a_dictionary_cut_short_keeps_the_words_read() {
        let gzip = |text: &str| {
            let mut gz = Vec::new();
            use std::io::Write;
            let mut w = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::fast());
            w.write_all(text.as_bytes()).unwrap();
            w.finish().unwrap();
            gz
        };
        // Sorted by bytes: 发 (E5 8F) < 国 (E5 9B) < 意 (E6).
        let gz = gzip("发布 2000 v\n国务院 3000 nt\n意见 1500 n\n");
        let whole = Dictionary::from_gz(&gz).whole();
        assert_eq!(whole.class("国务院"), Class::Name);
        assert_eq!(whole.class("意见"), Class::Noun);
        assert_eq!(whole.class("发布"), Class::Other);
        assert_eq!(whole.class("abc"), Class::Latin);
        assert_eq!(whole.class("2024"), Class::Other);
        // Cut inside the compressed stream: the load ends with a warning, no panic.
        let short = Dictionary::from_gz(&gz[..gz.len() - 12]).whole();
        assert_eq!(short.class("国务院"), Class::Name);
        // A line out of order or without a frequency is left out, the rest kept.
        let odd = Dictionary::from_gz(&gzip("国务院 3000 nt\n发布 2000 v\n意见\n银行 10 n\n"));
        assert_eq!(odd.lines.len(), 2);
        assert_eq!(odd.whole().class("银行"), Class::Noun);
        // Not gzip at all: an empty dictionary, every word outside it.
        let none = Dictionary::from_gz(b"not gzip");
        assert_eq!(none.segmenter_for(["国务院"]).class("国务院"), Class::Other);
    }
}
