//! Byte offset → 1-based line number, by binary search over line starts.
//!
//! Line ends are `\n`, `\r\n` and a lone `\r` (old Mac files): [`unify_line_ends`]
//! turns a lone `\r` into `\n` before a report is read (same byte length, so every
//! offset stays valid), and every front end then splits lines at `\n` only.

use std::borrow::Cow;

/// `text` with every lone `\r` (one not followed by `\n`) replaced by `\n`; borrowed
/// when there is none.
pub(crate) fn unify_line_ends(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let lone = |i: usize| b[i] == b'\r' && b.get(i + 1) != Some(&b'\n');
    if !(0..b.len()).any(lone) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for i in (0..b.len()).filter(|&i| lone(i)) {
        out.push_str(&text[at..i]);
        out.push('\n');
        at = i + 1;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// Line starts of one text, for offset → line lookups in `O(log n)`.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Index the line starts of `text`.
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(text.as_bytes()));
        LineIndex { starts }
    }

    /// 1-based line of byte `offset`.
    pub(crate) fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

/// Offsets just past each `\n`.
fn memchr_newlines(b: &[u8]) -> impl Iterator<Item = usize> + '_ {
    b.iter()
        .enumerate()
        .filter(|(_, c)| **c == b'\n')
        .map(|(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let idx = LineIndex::new("a\nbc\n\nd");
        let got: Vec<usize> = [0, 1, 2, 4, 5, 6, 7].iter().map(|&o| idx.line(o)).collect();
        assert_eq!(got, vec![1, 1, 2, 2, 3, 4, 4]);
    }

    #[test]
    fn lone_carriage_returns_end_lines() {
        assert_eq!(unify_line_ends("a\rb\r\nc\r\rd"), "a\nb\r\nc\n\nd");
        assert!(matches!(unify_line_ends("a\r\nb\n"), Cow::Borrowed(_)));
        let t = unify_line_ends("a\rbc\r\rd\r");
        let idx = LineIndex::new(&t);
        let got: Vec<usize> = [0, 2, 5, 6].iter().map(|&o| idx.line(o)).collect();
        assert_eq!(got, vec![1, 2, 3, 4]);
    }
}
