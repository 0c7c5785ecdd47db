//! The report as a spreadsheet (XLSX, with rust_xlsxwriter): a summary
//! sheet and one sheet per table, headed in the manager's language, numbers
//! as numbers so the office can sort and sum them.

use anyhow::{Context, Result};
use chrono_tz::Tz;
use rust_xlsxwriter::{Format, Workbook, Worksheet};

use super::present::{building_label, kind_label, period_label};
use crate::domain::report::{Figures, StaffFigures};
use crate::i18n::Lang;
use crate::texts::{report as t, Phrase};

/// One cell.
enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        #[allow(clippy::cast_precision_loss)]
        Cell::Number(n as f64)
    }
}

impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Cell {
        v.map_or(Cell::Empty, |v| Cell::Number((v * 100.0).round() / 100.0))
    }
}

/// A sheet named `name` with a bold header row and `rows` under it.
fn sheet(
    book: &mut Workbook,
    name: Phrase,
    lang: Lang,
    header: &[Phrase],
    rows: Vec<Vec<Cell>>,
) -> Result<()> {
    let bold = Format::new().set_bold();
    let ws: &mut Worksheet = book.add_worksheet();
    ws.set_name(name.get(lang)).context("naming a sheet")?;
    for (c, h) in header.iter().enumerate() {
        let c = u16::try_from(c)?;
        ws.write_string_with_format(0, c, h.get(lang), &bold)?;
        ws.set_column_width(c, 16)?;
    }
    for (r, row) in rows.into_iter().enumerate() {
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

fn people_rows(people: &[StaffFigures], lang: Lang, department_only: bool) -> Vec<Vec<Cell>> {
    people
        .iter()
        .map(|s| {
            let department = if s.department.is_empty() {
                t::NO_DEPARTMENT.get(lang).to_string()
            } else {
                s.department.clone()
            };
            let mut row: Vec<Cell> = Vec::new();
            if !department_only {
                row.push(s.name.clone().into());
            }
            row.extend([
                department.into(),
                s.assigned.into(),
                s.resolved.into(),
                s.resolve_on_time.into(),
                s.resolve_late.into(),
                s.resolve_percent().into(),
                s.average_rating.into(),
            ]);
            row
        })
        .collect()
}

/// The workbook's bytes.
pub fn workbook(f: &Figures, lang: Lang, tz: Tz) -> Result<Vec<u8>> {
    let mut book = Workbook::new();
    let summary = super::present::summary(f, lang, tz);
    let mut rows: Vec<Vec<Cell>> = vec![vec![t::TITLE
        .fill(lang, &[("period", &period_label(&f.period, lang))])
        .into()]];
    rows.extend(summary.lines().skip(1).map(|l| vec![Cell::from(l)]));
    sheet(&mut book, t::SHEET_SUMMARY, lang, &[t::COL_ITEM], rows)?;

    let tk = &f.tickets;
    sheet(
        &mut book,
        t::SHEET_TICKETS,
        lang,
        &[t::COL_KIND, t::COL_BUILDING, t::COL_TICKETS],
        tk.by_kind_building
            .iter()
            .map(|r| {
                vec![
                    kind_label(&r.kind, lang).into(),
                    building_label(&r.building, lang).into(),
                    r.tickets.into(),
                ]
            })
            .collect(),
    )?;
    sheet(
        &mut book,
        t::SHEET_DEADLINES,
        lang,
        &[
            t::COL_KIND,
            t::COL_TICKETS,
            t::COL_RESPONSE_ON_TIME,
            t::COL_RESPONSE_LATE,
            t::COL_RESOLVE_ON_TIME,
            t::COL_RESOLVE_LATE,
        ],
        tk.deadlines
            .iter()
            .map(|d| {
                vec![
                    kind_label(&d.kind, lang).into(),
                    d.tickets.into(),
                    d.response_on_time.into(),
                    d.response_late.into(),
                    d.resolve_on_time.into(),
                    d.resolve_late.into(),
                ]
            })
            .collect(),
    )?;
    let people_header = [
        t::COL_DEPARTMENT,
        t::COL_ASSIGNED,
        t::COL_RESOLVED,
        t::COL_RESOLVE_ON_TIME,
        t::COL_RESOLVE_LATE,
        t::COL_PERCENT,
        t::COL_RATING,
    ];
    let mut staff_header = vec![t::COL_NAME];
    staff_header.extend(people_header);
    sheet(
        &mut book,
        t::SHEET_STAFF,
        lang,
        &staff_header,
        people_rows(&f.staff, lang, false),
    )?;
    sheet(
        &mut book,
        t::SHEET_DEPARTMENTS,
        lang,
        &people_header,
        people_rows(&f.departments, lang, true),
    )?;
    sheet(
        &mut book,
        t::SHEET_SURVEY,
        lang,
        &[t::COL_QUARTER, t::COL_RESPONSES, t::COL_MEAN],
        f.survey_trend
            .iter()
            .map(|q| vec![q.code.clone().into(), q.responses.into(), q.mean.into()])
            .collect(),
    )?;
    sheet(
        &mut book,
        t::SHEET_ACTIVITIES,
        lang,
        &[
            t::COL_TITLE,
            t::COL_DATE,
            t::COL_PLACE,
            t::COL_CAPACITY,
            t::COL_JOINED,
            t::COL_WAITING,
            t::COL_ATTENDED,
            t::COL_RATINGS,
            t::COL_RATING,
        ],
        f.activities
            .iter()
            .map(|a| {
                vec![
                    a.title.clone().into(),
                    a.starts_at
                        .with_timezone(&tz)
                        .format("%Y-%m-%d %H:%M")
                        .to_string()
                        .into(),
                    a.place.clone().into(),
                    a.capacity.into(),
                    a.joined.into(),
                    a.waiting.into(),
                    a.attended.into(),
                    a.ratings.into(),
                    a.average_rating.into(),
                ]
            })
            .collect(),
    )?;
    sheet(
        &mut book,
        t::SHEET_COMMENTS,
        lang,
        &[t::COL_TITLE, t::COL_COMMENT],
        f.activities
            .iter()
            .flat_map(|a| {
                a.comments
                    .iter()
                    .map(|c| vec![a.title.clone().into(), c.clone().into()])
            })
            .collect(),
    )?;
    book.save_to_buffer().context("writing the spreadsheet")
}
