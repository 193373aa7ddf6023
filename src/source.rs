//! Owns the policy's source text and byte spans: turning a byte offset into the
//! 1-based line and column every diagnostic prints.

use std::sync::Arc;

/// A half-open byte range `[start, end)` into one source file.
///
/// Bytes, not characters: miette and SARIF both want byte offsets, and a
/// character offset drifts after the first non-ASCII character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// One loaded policy file: its display name, its text and a line index.
///
/// Cheap to clone (the text is shared) because every report carries one.
#[derive(Debug, Clone)]
pub struct SourceFile {
    name: Arc<str>,
    text: Arc<str>,
    /// Byte offset at which each line starts; `line_starts[0] == 0`.
    line_starts: Arc<[usize]>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text: String = text.into();
        let mut line_starts = vec![0];
        // YAML breaks lines at LF, CRLF and a lone CR; count all three so
        // every output format agrees on line numbers.
        let bytes = text.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            let lone_cr = b == b'\r' && bytes.get(i + 1) != Some(&b'\n');
            if b == b'\n' || lone_cr {
                line_starts.push(i + 1);
            }
        }
        SourceFile {
            name: name.into().into(),
            text: text.into(),
            line_starts: line_starts.into(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text under `span`, or "" when the span does not fall on char boundaries.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    /// 1-based line and 1-based column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(exact) => exact,
            Err(next) => next - 1,
        };
        let line_start = self.line_starts[line];
        let mut col_end = offset;
        while col_end > line_start && !self.text.is_char_boundary(col_end) {
            col_end -= 1;
        }
        let col = self.text[line_start..col_end].chars().count() + 1;
        (line + 1, col)
    }

    /// Byte offset of a 1-based line's first byte, if the line exists.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts.get(line.checked_sub(1)?).copied()
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(start) = self.line_start(line) else {
            return "";
        };
        let end = self
            .line_start(line + 1)
            .unwrap_or(self.text.len())
            .min(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let src = SourceFile::new("p.yaml", "a: 1\nnamé: x\n");
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(5), (2, 1));
        // "namé: " is 7 bytes; 'x' is the 7th character on line 2.
        assert_eq!(src.line_col(12), (2, 7));
        assert_eq!(src.line_text(2), "namé: x");
    }
}
