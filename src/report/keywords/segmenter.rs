//! The Chinese segmenter: jieba-rs with jieba's dictionary, whose part-of-speech tags are
//! kept only as the few classes the keyword weights use.
//!
//! jieba-rs keeps its embedded dictionary (5 MB of text) in memory for the life of the
//! process once it is read, and a tag `String` for each of its 349,045 words, about
//! 11 MB of small allocations. Here the same dictionary (`data/jieba-dict.txt.gz`, the
//! `dict.txt` of jieba-rs 0.8.1) is streamed into jieba without its tags, and the words
//! whose tag matters are kept apart, sorted in one string with one class byte each
//! (about 3 MB): the segmentation is jieba's own, and each word's class is the one its
//! tag gives (see the test against jieba-rs's own dictionary).

use std::io::{self, BufRead, BufReader, Read};

use flate2::read::GzDecoder;
use jieba_rs::Jieba;

/// jieba's dictionary (`word freq tag` lines), gzipped.
static DICT_GZ: &[u8] = include_bytes!("data/jieba-dict.txt.gz");

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

/// jieba and the classes of the dictionary words whose tag gives another class than
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
    /// Load the dictionary (a few hundred milliseconds of CPU).
    pub(crate) fn load() -> Segmenter {
        Segmenter::from_dictionary(DICT_GZ)
    }

    /// Load a gzipped dictionary of `word freq tag` lines. Lines that cannot be read
    /// end the load with a warning; the words read so far stay.
    fn from_dictionary(gz: &[u8]) -> Segmenter {
        let mut lines = Untagged::new(BufReader::new(GzDecoder::new(gz)));
        let mut jieba = Jieba::empty();
        if let Err(e) = jieba.load_dict(&mut lines) {
            tracing::warn!("the Chinese segmenter's dictionary could not be read in full: {e}");
        }
        let Untagged {
            text, mut entries, ..
        } = lines;
        let word = |&(s, e, _): &(u32, u32, Class)| &text[s as usize..e as usize];
        // jieba keeps the first tag of a word listed twice: a stable sort, first kept.
        entries.sort_by(|a, b| word(a).cmp(word(b)));
        entries.dedup_by(|later, first| word(later) == word(first));
        let mut words = String::with_capacity(text.len());
        let mut starts = Vec::with_capacity(entries.len() + 1);
        let mut classes = Vec::with_capacity(entries.len());
        for e in &entries {
            starts.push(offset(words.len()));
            words.push_str(word(e));
            classes.push(e.2);
        }
        starts.push(offset(words.len()));
        Segmenter {
            jieba,
            words,
            starts,
            classes,
        }
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

/// A byte offset in the dictionary's text (5 MB: far below `u32::MAX`).
fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The dictionary's lines without their tags (`word freq`), as jieba reads them; every
/// word's class is noted on the way.
struct Untagged<R> {
    inner: R,
    /// The current line, tag removed.
    line: String,
    /// How much of `line` was read.
    pos: usize,
    /// The words whose class is not [`Class::outside_dictionary`], end to end.
    text: String,
    /// Each of those words' range in `text` and its class, in dictionary order.
    entries: Vec<(u32, u32, Class)>,
    /// The line as read.
    raw: String,
}

impl<R: BufRead> Untagged<R> {
    fn new(inner: R) -> Untagged<R> {
        Untagged {
            inner,
            line: String::new(),
            pos: 0,
            text: String::new(),
            entries: Vec::new(),
            raw: String::new(),
        }
    }
}

impl<R: BufRead> BufRead for Untagged<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.line.len() {
            self.raw.clear();
            if self.inner.read_line(&mut self.raw)? == 0 {
                return Ok(&[]);
            }
            self.line.clear();
            self.pos = 0;
            let mut fields = self.raw.split_whitespace();
            let Some(word) = fields.next() else {
                continue;
            };
            let freq = fields.next();
            let class = Class::of_tag(fields.next().unwrap_or(""));
            // Only the words whose tag says more than their letters would (about two
            // in three); the dictionary lists each word once (a word listed twice
            // would keep its first tag in jieba, which the test against jieba checks).
            if class != Class::outside_dictionary(word) {
                let start = offset(self.text.len());
                self.text.push_str(word);
                self.entries.push((start, offset(self.text.len()), class));
            }
            self.line.push_str(word);
            if let Some(freq) = freq {
                self.line.push(' ');
                self.line.push_str(freq);
            }
            self.line.push('\n');
        }
        Ok(&self.line.as_bytes()[self.pos..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.line.len());
    }
}

impl<R: BufRead> Read for Untagged<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let avail = self.fill_buf()?;
            let n = avail.len().min(buf.len());
            buf[..n].copy_from_slice(&avail[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// jieba-rs with its own embedded dictionary and tags (a dev-dependency feature).
    fn reference() -> Jieba {
        Jieba::new()
    }

    /// Every word of the dictionary is classed as jieba-rs's own tag classes it, and the
    /// reports' Chinese text is cut and classed the same.
    #[test]
    fn words_are_cut_and_classed_as_jieba_tags_them() {
        let ours = Segmenter::load();
        let theirs = reference();
        let mut dict = String::new();
        GzDecoder::new(DICT_GZ)
            .read_to_string(&mut dict)
            .expect("the dictionary decompresses");
        let mut compared = 0;
        for line in dict.lines() {
            let word = line.split_whitespace().next().expect("a word per line");
            let tags = theirs.tag(word, false);
            if let [t] = tags.as_slice() {
                assert_eq!(t.word, word);
                assert_eq!(ours.class(word), Class::of_tag(t.tag), "{line}");
                compared += 1;
            }
        }
        assert!(compared > 340_000, "{compared} words compared");
        let mut texts = Vec::new();
        for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/reports")).unwrap() {
            let path = entry.unwrap().path();
            if let Ok(t) = std::fs::read_to_string(&path) {
                texts.push(t);
            }
        }
        texts.push("4月12日，国务院发布《关于落实政府工作报告重点工作部门分工的意见》，推进互联网+政务服务。iPhone 15发布，A股上涨3%。".to_owned());
        let mut words = 0;
        for text in &texts {
            let ours = ours.tag(text);
            let theirs: Vec<(&str, Class)> = theirs
                .tag(text, true)
                .into_iter()
                .map(|t| (t.word, Class::of_tag(t.tag)))
                .collect();
            assert_eq!(ours, theirs);
            words += ours.len();
        }
        assert!(words > 1000, "{words} words compared in the reports");
    }

    #[test]
    fn a_dictionary_cut_short_keeps_the_words_read() {
        let mut gz = Vec::new();
        {
            use std::io::Write;
            let mut w = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::fast());
            w.write_all("国务院 3000 nt\n发布 2000 v\n意见 1500 n\n".as_bytes())
                .unwrap();
            w.finish().unwrap();
        }
        let whole = Segmenter::from_dictionary(&gz);
        assert_eq!(whole.class("国务院"), Class::Name);
        assert_eq!(whole.class("意见"), Class::Noun);
        assert_eq!(whole.class("发布"), Class::Other);
        assert_eq!(whole.class("abc"), Class::Latin);
        assert_eq!(whole.class("2024"), Class::Other);
        // Cut inside the compressed stream: the load ends with a warning, no panic.
        let short = Segmenter::from_dictionary(&gz[..gz.len() - 12]);
        assert_eq!(short.class("国务院"), Class::Name);
    }
}
