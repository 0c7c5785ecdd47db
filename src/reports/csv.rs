//! The report as one CSV file: each of the report's tables (`tables`) a
//! block — its name, its header, its rows — with an empty line between
//! blocks. UTF-8 with a byte-order mark, so that Excel reads the Chinese
//! labels as Chinese, and CRLF line ends (RFC 4180).

use anyhow::{Context, Result};
use chrono_tz::Tz;

use super::tables::{tables, Cell};
use crate::domain::report::Figures;
use crate::i18n::Lang;

/// What tells Excel the file is UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A number as the file writes it: whole numbers without a decimal point,
/// the others as they are (already rounded to two places).
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

/// The file's bytes.
pub fn file(f: &Figures, lang: Lang, tz: Tz) -> Result<Vec<u8>> {
    let mut out = ::csv::WriterBuilder::new()
        .flexible(true)
        .terminator(::csv::Terminator::CRLF)
        .from_writer(BOM.to_vec());
    for (i, t) in tables(f, lang, tz).into_iter().enumerate() {
        if i > 0 {
            out.write_record([""])?;
        }
        out.write_record([t.name.get(lang)])?;
        out.write_record(t.header.iter().map(|h| h.get(lang)))?;
        for row in t.rows {
            out.write_record(row.into_iter().map(|cell| match cell {
                Cell::Text(s) => s,
                Cell::Number(n) => number(n),
                Cell::Empty => String::new(),
            }))?;
        }
    }
    out.into_inner().context("writing the CSV file")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_a_spreadsheet_reads_them() {
        assert_eq!(number(5.0), "5");
        assert_eq!(number(4.5), "4.5");
        assert_eq!(number(66.67), "66.67");
        assert_eq!(number(0.0), "0");
    }
}
