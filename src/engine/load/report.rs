//! Problems and where they are: a byte span of the file becomes a line, and
//! every problem is `file:line: message`.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One thing wrong with a dialogue file; displays as `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

impl Problem {
    #[must_use]
    pub fn new(file: &Path, line: usize, message: String) -> Problem {
        Problem {
            file: file.to_path_buf(),
            line,
            message,
        }
    }
}

/// The problems of one file, with the file's line starts to place them.
pub struct Report<'a> {
    file: &'a Path,
    /// The byte offset where each line starts; line 1 at offset 0.
    starts: Vec<usize>,
    problems: Vec<Problem>,
}

impl<'a> Report<'a> {
    #[must_use]
    pub fn new(file: &'a Path, src: &str) -> Report<'a> {
        let starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Report {
            file,
            starts,
            problems: Vec::new(),
        }
    }

    /// The line (from 1) where `span` starts.
    #[must_use]
    pub fn line(&self, span: &Range<usize>) -> usize {
        self.starts
            .partition_point(|start| *start <= span.start)
            .max(1)
    }

    /// A problem on the line where `span` starts.
    pub fn at(&mut self, span: &Range<usize>, message: String) {
        let line = self.line(span);
        self.at_line(line, message);
    }

    pub fn at_line(&mut self, line: usize, message: String) {
        self.problems.push(Problem::new(self.file, line, message));
    }

    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    #[must_use]
    pub fn into_problems(self) -> Vec<Problem> {
        self.problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_lands_on_the_line_it_starts_on() {
        let src = "a = 1\nb = 2\n\nc = 3";
        let report = Report::new(Path::new("x.toml"), src);
        assert_eq!(report.line(&(0..1)), 1);
        assert_eq!(report.line(&(5..6)), 1, "the newline ends line 1");
        assert_eq!(report.line(&(6..7)), 2);
        assert_eq!(report.line(&(13..14)), 4);
        assert_eq!(
            report.line(&(99..99)),
            4,
            "past the end stays on the last line"
        );
    }
}
