//! The one list of report formats: which file extensions are reports, and how each is
//! read.
//!
//! Rules: a directory walk reads only files whose extension (any case) belongs to a
//! format; a file named explicitly is read whatever its extension, as plain text when
//! the extension is unknown.

use std::path::Path;

/// A report format, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `.md`, `.markdown`: Markdown (with raw HTML and TAB tables inside).
    Markdown,
    /// `.html`, `.htm`.
    Html,
    /// `.txt`, and any file named explicitly in an unknown format.
    Text,
    /// `.pdf`: the text layer and link annotations.
    Pdf,
    /// `.docx`: Word (Office Open XML) paragraphs, tables, hyperlinks, notes.
    Docx,
}

impl Format {
    /// Every format, in the order the README lists them.
    pub const ALL: [Format; 5] = [
        Format::Markdown,
        Format::Html,
        Format::Text,
        Format::Pdf,
        Format::Docx,
    ];

    /// The file extensions (lowercase, without the dot) of this format.
    #[must_use]
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::Markdown => &["md", "markdown"],
            Format::Html => &["html", "htm"],
            Format::Text => &["txt"],
            Format::Pdf => &["pdf"],
            Format::Docx => &["docx"],
        }
    }

    /// The format whose extensions include the path's, if any.
    #[must_use]
    pub fn of_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.extensions().contains(&ext.as_str()))
    }

    /// Whether files of this format are binary (read as bytes, not decoded as text).
    #[must_use]
    pub fn is_binary(self) -> bool {
        matches!(self, Format::Pdf | Format::Docx)
    }

    /// How a file named explicitly is read: by its extension, else as text.
    #[must_use]
    pub fn of_path(path: &Path) -> Format {
        Format::of_extension(path).unwrap_or(Format::Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_extension() {
        assert_eq!(Format::of_path(Path::new("a/b.MD")), Format::Markdown);
        assert_eq!(Format::of_path(Path::new("b.htm")), Format::Html);
        assert_eq!(Format::of_extension(Path::new("b.csv")), None);
        assert_eq!(Format::of_path(Path::new("b.csv")), Format::Text);
        assert_eq!(Format::of_extension(Path::new("README")), None);
        assert_eq!(Format::of_path(Path::new("r.PDF")), Format::Pdf);
        assert_eq!(Format::of_path(Path::new("r.docx")), Format::Docx);
        // No extension belongs to two formats.
        let mut all: Vec<&str> = Format::ALL
            .iter()
            .flat_map(|f| f.extensions())
            .copied()
            .collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n);
    }
}
