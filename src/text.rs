//! Text normalisation shared by claim and page matching.
//!
//! A claim and the page that supports it rarely spell things byte for byte alike:
//! full-width punctuation (`＋`, `，`), curly or corner quotes (`“”`, `「」`), stray spaces
//! inside Chinese text (`2018 年 4 月`), Latin case. [`normalize`] maps both sides onto
//! one form so that a plain substring search decides whether a term is present;
//! [`find_term`] adds word boundaries for Latin terms (`ai` must not match `said`).

use unicode_normalization::UnicodeNormalization;

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
    normalize_mapped(s).0
}

/// [`normalize`], plus for every byte of the result the byte offset in `s` of the
/// character it came from (to cut snippets from the original text).
#[must_use]
pub fn normalize_mapped(s: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(s.len());
    let mut map = Vec::with_capacity(s.len());
    // A whitespace run seen but not yet written: (its original offset).
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

/// Byte offsets in `haystack` where `needle` occurs (both already normalised).
///
/// A needle that starts (ends) with an ASCII letter or digit only matches where the
/// haystack has no ASCII letter or digit just before (after) it, so `ai` does not
/// match inside `said` and `5g` does not match inside `15g`; CJK needles match anywhere.
#[must_use]
pub fn find_term(haystack: &str, needle: &str) -> Vec<usize> {
    if needle.is_empty() {
        return Vec::new();
    }
    let guard_start = needle
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let guard_end = needle
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    haystack
        .match_indices(needle)
        .map(|(at, _)| at)
        .filter(|&at| {
            let before_ok = !guard_start
                || haystack[..at]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_ascii_alphanumeric());
            let after_ok = !guard_end
                || haystack[at + needle.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_ascii_alphanumeric());
            before_ok && after_ok
        })
        .collect()
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
}
