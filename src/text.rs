//! Text normalisation shared by claim and page matching.
//!
//! A claim and the page that supports it rarely spell things byte for byte alike:
//! full-width punctuation (`＋`, `，`), curly or corner quotes (`“”`, `「」`), stray spaces
//! inside Chinese text (`2018 年 4 月`), Latin case. [`normalize`] maps both sides onto
//! one form so that a plain substring search decides whether a term is present;
//! [`find_term`] adds word boundaries for Latin terms (`ai` must not match `said`).
//!
//! English words also match in their inflected forms (`signed` ↔ `sign`, `agreements` ↔
//! `agreement`): [`find_stemmed`] compares words by their Snowball (Porter2) English
//! stems, on both sides. It applies only to Latin-script terms that are not names
//! ([`is_stemmable`]: no capitalised word, no digits), so `Wells` never matches `well`;
//! names, numbers and Chinese terms keep their exact form.

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;

/// The English Snowball stemmer (stateless; shared).
static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// Whether `c` is a CJK character (Han, kana, Hangul, CJK symbols and punctuation).
#[must_use]
pub fn is_cjk(c: char) -> bool {
    matches!(u32::from(c),
        0x3000..=0x303F   // CJK symbols and punctuation (。、《》「」)
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xAC00..=0xD7AF // Hangul syllables
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0xFF00..=0xFFEF // half-width and full-width forms
        | 0x20000..=0x2FA1F) // extensions B–F, compatibility supplement
}

/// Whether `c` is one of the quote marks that [`normalize`] folds to `"`.
fn is_quote(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '“'
            | '”'
            | '„'
            | '‟'
            | '‘'
            | '’'
            | '‚'
            | '‛'
            | '「'
            | '」'
            | '『'
            | '』'
            | '〝'
            | '〞'
            | '«'
            | '»'
    )
}

/// Characters that carry no text (zero-width spaces, joiners, BOM, soft hyphen).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// Normalise text for matching.
///
/// Unicode NFKC per character (full-width `＋` → `+`, `，` → `,`), every quote style
/// (`“” 「」 "" ''`) as `"`, Latin case-folded, invisible characters dropped, runs of
/// whitespace collapsed to one space and trimmed, and no whitespace next to a CJK
/// character (`2018 年 4 月` → `2018年4月`, `华为 Mate` → `华为mate`).
#[must_use]
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    normalize_chars(s, |c, _| out.push(c));
    out
}

/// [`normalize`], plus for every byte of the result the byte offset in `s` of the
/// character it came from (to cut snippets from the original text).
#[must_use]
pub fn normalize_mapped(s: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(s.len());
    let mut map = Vec::with_capacity(s.len());
    normalize_chars(s, |c, offset| {
        out.push(c);
        map.extend(std::iter::repeat_n(offset, c.len_utf8()));
    });
    (out, map)
}

/// The byte offset in `s` of the character that byte `at` of [`normalize`]`(s)` came
/// from (what [`normalize_mapped`]'s map holds at `at`), without building the text or
/// the map; `None` past the end.
#[must_use]
pub fn original_offset(s: &str, at: usize) -> Option<usize> {
    let len = std::cell::Cell::new(0);
    let found = std::cell::Cell::new(None);
    // The rest of the text is not normalised once the character is found.
    normalize_chars_while(
        s,
        || found.get().is_none(),
        |c, offset| {
            if found.get().is_none() {
                len.set(len.get() + c.len_utf8());
                if len.get() > at {
                    found.set(Some(offset));
                }
            }
        },
    );
    found.get()
}

/// Whether NFKC leaves `c` as it is and it has no case: the CJK unified ideographs
/// (extension A and the main block), which have no decompositions.
fn is_plain_ideograph(c: char) -> bool {
    matches!(u32::from(c), 0x3400..=0x4DBF | 0x4E00..=0x9FFF)
}

/// The normaliser: every character of the result, with the byte offset in `s` of the
/// character it came from. NFKC is applied per character, as [`normalize`] documents;
/// ASCII, CJK ideographs and characters that NFKC's quick check passes (most text) are
/// taken as they are, without running the full algorithm.
fn normalize_chars(s: &str, emit: impl FnMut(char, usize)) {
    normalize_chars_while(s, || true, emit);
}

/// [`normalize_chars`] while `go_on` says so (asked before each character of `s`).
fn normalize_chars_while(s: &str, go_on: impl Fn() -> bool, mut emit: impl FnMut(char, usize)) {
    let mut state = Normalizer {
        pending_space: None,
        last_cjk: None,
    };
    for (offset, original) in s.char_indices() {
        if !go_on() {
            return;
        }
        if original.is_ascii() || is_plain_ideograph(original) || nfkc_keeps(original) {
            state.push(original, offset, &mut emit);
        } else {
            for c in std::iter::once(original).nfkc() {
                state.push(c, offset, &mut emit);
            }
        }
    }
}

/// What [`normalize_chars`] carries from one character to the next.
struct Normalizer {
    /// A whitespace run seen but not yet written: its original offset.
    pending_space: Option<usize>,
    /// Whether the last character written was CJK (`None`: nothing written yet).
    last_cjk: Option<bool>,
}

impl Normalizer {
    /// Take one character of the NFKC form, from the character at `offset`.
    #[inline]
    fn push(&mut self, c: char, offset: usize, emit: &mut impl FnMut(char, usize)) {
        if c.is_whitespace() {
            self.pending_space.get_or_insert(offset);
            return;
        }
        if !c.is_ascii() && is_invisible(c) {
            return;
        }
        let c = if is_quote(c) { '"' } else { c };
        let cjk = is_cjk(c);
        if let Some(space_at) = self.pending_space.take()
            && self.last_cjk == Some(false)
            && !cjk
        {
            emit(' ', space_at);
        }
        if c.is_ascii() {
            emit(c.to_ascii_lowercase(), offset);
        } else if is_plain_ideograph(c) {
            emit(c, offset);
        } else {
            for lower in c.to_lowercase() {
                emit(lower, offset);
            }
        }
        self.last_cjk = Some(cjk);
    }
}

/// Whether NFKC leaves the lone character `c` unchanged (its quick check says so).
fn nfkc_keeps(c: char) -> bool {
    unicode_normalization::is_nfkc_quick(std::iter::once(c))
        == unicode_normalization::IsNormalized::Yes
}

/// Byte offsets in `haystack` where `needle` occurs (both already normalised).
///
/// A needle that starts (ends) with an ASCII letter or digit only matches where the
/// haystack has no ASCII letter or digit just before (after) it, so `ai` does not
/// match inside `said` and `5g` does not match inside `15g`; CJK needles match anywhere.
#[must_use]
pub fn find_term(haystack: &str, needle: &str) -> Vec<usize> {
    term_matches(haystack, needle).collect()
}

/// Whether [`find_term`] finds `needle` in `haystack` at all (stops at the first match).
#[must_use]
pub fn contains_term(haystack: &str, needle: &str) -> bool {
    term_matches(haystack, needle).next().is_some()
}

fn term_matches<'a>(haystack: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    let guard_start = needle
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let guard_end = needle
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    // An empty needle matches nowhere.
    let needle_ok = !needle.is_empty();
    haystack
        .match_indices(needle)
        .take_while(move |_| needle_ok)
        .map(|(at, _)| at)
        .filter(move |&at| {
            let before_ok = !guard_start
                || haystack.as_bytes()[..at]
                    .last()
                    .is_none_or(|c| !c.is_ascii_alphanumeric());
            let after_ok = !guard_end
                || haystack.as_bytes()[at + needle.len()..]
                    .first()
                    .is_none_or(|c| !c.is_ascii_alphanumeric());
            before_ok && after_ok
        })
}

/// Strip the brackets and quotes a claim may wrap a term in (`《…》`, `“…”`), after
/// normalising it, so the bare term is searched.
#[must_use]
pub fn normalize_term(term: &str) -> String {
    let n = normalize(term);
    n.trim_matches(|c: char| matches!(c, '"' | '《' | '》' | '〈' | '〉' | '(' | ')' | '[' | ']'))
        .trim()
        .to_owned()
}

/// Whether `c` is a Latin letter (ASCII, Latin-1 supplement, Latin Extended-A/B).
fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || (c.is_alphabetic() && ('\u{00C0}'..='\u{024F}').contains(&c))
}

/// Whether `c` belongs to a word for stemming (Latin letters and ASCII digits).
fn is_word_char(c: char) -> bool {
    is_latin_letter(c) || c.is_ascii_digit()
}

/// Whether a keyword (as written in the claim) is matched by its stems: it holds Latin
/// words, none of them capitalised (a name keeps its exact form), and no digits, CJK or
/// other scripts.
#[must_use]
pub fn is_stemmable(term: &str) -> bool {
    let mut words = 0;
    for w in term.split(|c: char| !c.is_alphanumeric()) {
        let Some(first) = w.chars().next() else {
            continue;
        };
        if first.is_uppercase() || !w.chars().all(is_latin_letter) {
            return false;
        }
        words += 1;
    }
    words > 0
}

/// Whether the normalised `haystack` holds the normalised `term` with each of its words
/// in any inflected form: the same words by their English stems, the same separators
/// between them, whole words only.
///
/// Candidates are found by searching for the part a word and its stem share (`happ` of
/// `happy`/`happi`), so only words that could match are stemmed: the page is not
/// stemmed as a whole.
#[must_use]
pub fn find_stemmed(haystack: &str, term: &str) -> bool {
    // The term as words and the separators between them.
    let mut words: Vec<(&str, String)> = Vec::new();
    let mut seps: Vec<&str> = Vec::new();
    let mut at = 0;
    for (start, end) in word_spans(term) {
        if !words.is_empty() {
            seps.push(&term[at..start]);
        } else if start > 0 {
            return false;
        }
        let w = &term[start..end];
        words.push((w, STEMMER.stem(w).into_owned()));
        at = end;
    }
    let Some((first, first_stem)) = words.first() else {
        return false;
    };
    if at < term.len() {
        return false;
    }
    // The part every inflected form shares with the stem: the stem's letters that the
    // word also has, less the last (`subsidi` of `subsidies` is `subsid` in `subsidy`).
    let shared = first
        .chars()
        .zip(first_stem.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let keep = shared
        .min(first_stem.chars().count().saturating_sub(1))
        .max(1);
    let probe_len: usize = first.chars().take(keep).map(char::len_utf8).sum();
    let probe = &first[..probe_len];
    haystack.match_indices(probe).any(|(pos, _)| {
        if haystack[..pos]
            .chars()
            .next_back()
            .is_some_and(is_word_char)
        {
            return false;
        }
        let mut p = pos;
        for (k, (_, stem)) in words.iter().enumerate() {
            if k > 0 {
                let Some(rest) = haystack[p..].strip_prefix(seps[k - 1]) else {
                    return false;
                };
                p = haystack.len() - rest.len();
            }
            let len = haystack[p..]
                .char_indices()
                .find(|&(_, c)| !is_word_char(c))
                .map_or(haystack.len() - p, |(i, _)| i);
            let word = &haystack[p..p + len];
            if word.is_empty() || STEMMER.stem(word) != stem.as_str() {
                return false;
            }
            p += len;
        }
        true
    })
}

/// Byte ranges of the words (runs of [`is_word_char`]) of `s`.
fn word_spans(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        match (is_word_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(st)) => {
                out.push((st, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(st) = start {
        out.push((st, s.len()));
    }
    out
}

/// A stable 64-bit fingerprint (FNV-1a, hex) of `text` with whitespace runs counted as
/// one space: equal for texts that differ only in spacing, stable across builds and
/// platforms (unlike std's hasher).
#[must_use]
pub fn fingerprint(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 {
            feed(b' ');
        }
        word.bytes().for_each(&mut feed);
    }
    format!("{h:016x}")
}

/// The authority (`host` or `host:port`) and the path (empty for a bare host) of an
/// `http`/`https` URL that is already in the form the URL crate writes, read off the
/// string: ASCII, a lower-case host name or a dotted-quad address, no user name, no
/// default port, no escapes, dot segments or characters the crate would encode. `None`
/// for anything else, which the caller parses.
#[must_use]
pub(crate) fn plain_url(url: &str) -> Option<(&str, &str)> {
    let (rest, default_port) = match url.strip_prefix("https://") {
        Some(rest) => (rest, "443"),
        None => (url.strip_prefix("http://")?, "80"),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(end);
    let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
    let plain_port = port.is_empty()
        || (port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && !port.starts_with('0')
            && port.parse::<u32>().is_ok_and(|p| p <= 65_535)
            && port != default_port);
    let plain_host = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && canonical_if_numeric(host);
    let path = after.split(['?', '#']).next().unwrap_or("");
    let plain = plain_port
        && plain_host
        && url
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#@!$&()*+,;=".contains(&b))
        && !path.split('/').any(|seg| seg == "." || seg == "..");
    plain.then_some((authority, path))
}

/// A host whose last label is a number is an IPv4 address to the URL crate, which
/// rewrites all but the dotted quad (`127.1`, `0x7f.0.0.1`, `010.0.0.1`).
fn canonical_if_numeric(host: &str) -> bool {
    let labels: Vec<&str> = host.strip_suffix('.').unwrap_or(host).split('.').collect();
    let last = labels.last().copied().unwrap_or("");
    let numeric = |l: &str| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit());
    if !numeric(last) && !last.starts_with("0x") {
        return true;
    }
    !host.ends_with('.')
        && labels.len() == 4
        && labels
            .iter()
            .all(|l| numeric(l) && (l.len() == 1 || !l.starts_with('0')) && l.parse::<u8>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_for_matching() {
        let cases = [
            ("互联网＋", "互联网+"),
            ("“互联网+”行动", "\"互联网+\"行动"),
            ("「互联网+」行动", "\"互联网+\"行动"),
            ("\"互联网+\"行动", "\"互联网+\"行动"),
            ("‘AI’ and 'AI'", "\"ai\" and \"ai\""),
            ("2018 年 4 月 12 日", "2018年4月12日"),
            ("华为 Mate 10 发布", "华为mate 10发布"),
            ("数字  中国\n建设\t峰会", "数字中国建设峰会"),
            ("  Digital   China\u{3000}Summit ", "digital china summit"),
            ("ＡＢＣ１２３", "abc123"),
            ("会议，于", "会议,于"),
            ("zero\u{200B}width", "zerowidth"),
            ("ÉCOLE", "école"),
        ];
        for (input, expect) in cases {
            assert_eq!(normalize(input), expect, "input {input:?}");
        }
    }

    /// The normaliser as first written (NFKC through the full algorithm for every
    /// character): the fast paths must give exactly its text and map.
    fn reference_mapped(s: &str) -> (String, Vec<usize>) {
        let mut out = String::with_capacity(s.len());
        let mut map = Vec::with_capacity(s.len());
        let mut pending_space: Option<usize> = None;
        let mut last: Option<char> = None;
        let mut buf = [0u8; 4];
        for (offset, original) in s.char_indices() {
            for c in std::iter::once(original).nfkc() {
                if is_invisible(c) {
                    continue;
                }
                if c.is_whitespace() {
                    pending_space.get_or_insert(offset);
                    continue;
                }
                let c = if is_quote(c) { '"' } else { c };
                if let Some(space_at) = pending_space.take() {
                    let keep = last.is_some_and(|prev| !is_cjk(prev)) && !is_cjk(c);
                    if keep {
                        out.push(' ');
                        map.push(space_at);
                    }
                }
                for lower in c.to_lowercase() {
                    let encoded = lower.encode_utf8(&mut buf);
                    out.push_str(encoded);
                    map.extend(std::iter::repeat_n(offset, encoded.len()));
                }
                last = Some(c);
            }
        }
        (out, map)
    }

    fn assert_same_as_reference(s: &str) {
        let (text, map) = normalize_mapped(s);
        let (ref_text, ref_map) = reference_mapped(s);
        assert_eq!(text, ref_text, "{s:?}");
        assert_eq!(map, ref_map, "{s:?}");
        assert_eq!(normalize(s), ref_text, "{s:?}");
        for (at, offset) in ref_map.iter().enumerate().step_by(13) {
            assert_eq!(original_offset(s, at), Some(*offset), "{s:?} at {at}");
        }
        assert_eq!(original_offset(s, ref_map.len()), None);
    }

    #[test]
    fn fast_paths_match_full_nfkc_for_every_character() {
        // Every scalar value up to the end of plane 3, in runs of 64 between spaces,
        // CJK and Latin neighbours, so each meets each kind of context.
        let all: Vec<char> = (0..0x3_2000).filter_map(char::from_u32).collect();
        for chunk in all.chunks(64) {
            let mut s = String::from("a ");
            for (i, c) in chunk.iter().enumerate() {
                s.push(*c);
                match i % 4 {
                    0 => s.push(' '),
                    1 => s.push_str(" 中 "),
                    2 => s.push('\u{0301}'),
                    _ => {}
                }
            }
            s.push_str("\u{3000}end");
            assert_same_as_reference(&s);
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_paths_match_full_nfkc(s in "\\PC{0,40}|[ a-zA-Z０-９Ａ-ｚ中文“”「」\u{0300}-\u{036F}\u{3000}\u{200B}\u{00AD}\t\n\u{0B}ﬁ㍿が\u{3099}가\u{1161}]{0,40}") {
            assert_same_as_reference(&s);
        }
    }

    #[test]
    fn map_points_back_to_original() {
        let original = "数字 中国 Summit";
        let (n, map) = normalize_mapped(original);
        assert_eq!(n, "数字中国summit");
        assert_eq!(map.len(), n.len());
        let at = n.find("中国").expect("present");
        assert_eq!(&original[map[at]..], "中国 Summit");
        let at = n.find("summit").expect("present");
        assert_eq!(&original[map[at]..], "Summit");
    }

    #[test]
    fn classifies_cjk() {
        for c in ['中', '。', 'の', '한', '，'] {
            assert!(is_cjk(c), "{c}");
        }
        for c in ['a', '1', '+', ' ', 'é'] {
            assert!(!is_cjk(c), "{c}");
        }
    }

    #[test]
    fn finds_terms_with_latin_boundaries() {
        let cases: &[(&str, &str, &[usize])] = &[
            ("he said ai is", "ai", &[8]),
            ("said", "ai", &[]),
            ("15g and 5g", "5g", &[8]),
            ("互联网+行动", "互联网+", &[0]),
            ("在5g网络", "5g", &[3]),
            ("anything", "", &[]),
        ];
        for (hay, needle, expect) in cases {
            assert_eq!(find_term(hay, needle), *expect, "{needle:?} in {hay:?}");
        }
    }

    #[test]
    fn strips_term_wrappers() {
        assert_eq!(
            normalize_term("《数字中国建设发展报告》"),
            "数字中国建设发展报告"
        );
        assert_eq!(normalize_term("“互联网＋”"), "互联网+");
        assert_eq!(normalize_term("Digital China"), "digital china");
    }

    #[test]
    fn words_match_in_their_inflected_forms() {
        let page = normalize(
            "Hainan and Alibaba Cloud sign a smart-island agreement; the signing of agreements \
             went well. Happiness, flies and cycling lanes; a subsidy.",
        );
        for (term, found) in [
            ("signed", true),
            ("signs", true),
            ("agreement", true),
            ("agreements", true),
            ("smart-island", true),
            ("smart-islands agreements", true),
            ("cycling lane", true),
            ("cycled lanes", true),
            ("happy", true),
            ("flight", false),
            ("happiness", true),
            ("fly", true),
            ("subsidies", true),
            ("wells", true),
            ("sig", false),
            ("island agreement", true),
            ("smart island", false),
            ("", false),
        ] {
            assert_eq!(find_stemmed(&page, &normalize(term)), found, "{term}");
        }
    }

    #[test]
    fn names_numbers_and_chinese_keep_their_exact_form() {
        for term in ["signed", "smart-island cooperation", "agreements", "école"] {
            assert!(is_stemmable(term), "{term}");
        }
        for term in [
            "Wells",
            "Alibaba Cloud",
            "NATO",
            "smart Island",
            "5g",
            "40million",
            "签署",
            "15%",
            "",
        ] {
            assert!(!is_stemmable(term), "{term}");
        }
    }

    #[test]
    fn a_plain_url_is_what_the_url_crate_reads() {
        let urls = [
            "http://127.0.0.2:37609/n/5",
            "https://www.gov.cn/zhengce/content/2018-04/12/content_5281912.htm",
            "https://example.org:8443/a/b?q=1&r=(2)#f",
            "http://example.org",
            "http://example.org?x=1",
            "http://example.org./x",
            "https://user:pw@example.org:8080/a/b",
            "https://[::1]:8080/x",
            "HTTP://Example.ORG/x",
            "http://example.org/a/../b",
            "http://example.org/a b",
            "http://example.org/%7Ex",
            "http://例子.中国/x",
            "http://example.org\\x",
            "ftp://example.org/x",
            "http://example.org/{x}",
            "http://example.org/a[1]",
            "http:/example.org/x",
            "http://127.1/x",
            "http://0x7f.0.0.1/x",
            "http://010.0.0.1/x",
            "http://example.123/x",
            "http://example.org:80/x",
            "https://example.org:443/x",
            "http://example.org:08080/x",
            "http://ex_ample.org/x",
        ];
        let mut plain = 0;
        for raw in urls {
            let Some((authority, path)) = plain_url(raw) else {
                continue;
            };
            plain += 1;
            // Plain: the URL crate writes it back as it is (a bare host gains its `/`).
            let u = url::Url::parse(raw).expect("a plain URL parses");
            assert!(
                u.as_str() == raw || u.as_str() == format!("{raw}/") || {
                    let (before, after) = raw.split_at(raw.find(['?', '#']).unwrap_or(raw.len()));
                    u.as_str() == format!("{before}/{after}")
                },
                "{raw} is written {u}"
            );
            assert_eq!(
                authority,
                &u[url::Position::BeforeHost..url::Position::AfterPort],
                "{raw}"
            );
            assert!(
                path == u.path() || (path.is_empty() && u.path() == "/"),
                "{raw}"
            );
        }
        assert_eq!(plain, 6, "the plain ones among the examples");
        for not_plain in [
            "HTTP://Example.ORG/x",
            "http://127.1/x",
            "http://example.org:80/x",
            "https://user:pw@example.org:8080/a/b",
        ] {
            assert!(plain_url(not_plain).is_none(), "{not_plain}");
        }
    }
}
