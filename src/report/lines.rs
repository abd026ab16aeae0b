//! Byte offset → 1-based line number, by binary search over line starts.

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
}
