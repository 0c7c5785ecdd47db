//! The report as a spreadsheet (XLSX, with rust_xlsxwriter): each of the
//! report's tables (`tables`) a sheet with a bold header, numbers as
//! numbers so the office can sort and sum them.

use anyhow::{Context, Result};
use chrono_tz::Tz;
use rust_xlsxwriter::{Format, Workbook};

use super::tables::{tables, Cell, Table};
use crate::domain::report::Figures;
use crate::i18n::Lang;

/// Table `t` as a new sheet of `book`.
fn sheet(book: &mut Workbook, t: Table, lang: Lang) -> Result<()> {
    let bold = Format::new().set_bold();
    let ws = book.add_worksheet();
    ws.set_name(t.name.get(lang)).context("naming a sheet")?;
    for (c, h) in t.header.iter().enumerate() {
        let c = u16::try_from(c)?;
        ws.write_string_with_format(0, c, h.get(lang), &bold)?;
        ws.set_column_width(c, 16)?;
    }
    for (r, row) in t.rows.into_iter().enumerate() {
        let r = u32::try_from(r + 1)?;
        for (c, cell) in row.into_iter().enumerate() {
            let c = u16::try_from(c)?;
            match cell {
                Cell::Text(s) => {
                    ws.write_string(r, c, s)?;
                }
                Cell::Number(n) => {
                    ws.write_number(r, c, n)?;
                }
                Cell::Empty => {}
            }
        }
    }
    Ok(())
}

/// The workbook's bytes.
pub fn workbook(f: &Figures, lang: Lang, tz: Tz) -> Result<Vec<u8>> {
    let mut book = Workbook::new();
    for t in tables(f, lang, tz) {
        sheet(&mut book, t, lang)?;
    }
    book.save_to_buffer().context("writing the spreadsheet")
}
