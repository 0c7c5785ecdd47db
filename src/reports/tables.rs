//! The report as tables — a summary, tickets by kind and building,
//! deadlines, per staff member and department, the survey trend,
//! activities and their comments — headed in the manager's language, with
//! numbers as numbers. The spreadsheet (`xlsx`) makes each a sheet, the CSV
//! file (`csv`) each a block.

use chrono_tz::Tz;

use super::present::{building_label, kind_label, period_label};
use crate::domain::report::{Figures, StaffFigures};
use crate::i18n::Lang;
use crate::texts::{report as t, Phrase};

/// One table: its name (the sheet's), its header, its rows.
pub struct Table {
    pub name: Phrase,
    pub header: Vec<Phrase>,
    pub rows: Vec<Vec<Cell>>,
}

fn table(name: Phrase, header: &[Phrase], rows: Vec<Vec<Cell>>) -> Table {
    Table {
        name,
        header: header.to_vec(),
        rows,
    }
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
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

/// The report's tables, in the order the files show them.
#[must_use]
pub fn tables(f: &Figures, lang: Lang, tz: Tz) -> Vec<Table> {
    let mut out = Vec::new();
    let summary = super::present::summary(f, lang, tz);
    let mut rows: Vec<Vec<Cell>> = vec![vec![t::TITLE
        .fill(lang, &[("period", &period_label(&f.period, lang))])
        .into()]];
    rows.extend(summary.lines().skip(1).map(|l| vec![Cell::from(l)]));
    out.push(table(t::SHEET_SUMMARY, &[t::COL_ITEM], rows));

    let tk = &f.tickets;
    out.push(table(
        t::SHEET_TICKETS,
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
    ));
    out.push(table(
        t::SHEET_DEADLINES,
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
    ));
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
    out.push(table(
        t::SHEET_STAFF,
        &staff_header,
        people_rows(&f.staff, lang, false),
    ));
    out.push(table(
        t::SHEET_DEPARTMENTS,
        &people_header,
        people_rows(&f.departments, lang, true),
    ));
    out.push(table(
        t::SHEET_SURVEY,
        &[t::COL_QUARTER, t::COL_RESPONSES, t::COL_MEAN],
        f.survey_trend
            .iter()
            .map(|q| vec![q.code.clone().into(), q.responses.into(), q.mean.into()])
            .collect(),
    ));
    out.push(table(
        t::SHEET_ACTIVITIES,
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
    ));
    out.push(table(
        t::SHEET_COMMENTS,
        &[t::COL_TITLE, t::COL_COMMENT],
        f.activities
            .iter()
            .flat_map(|a| {
                a.comments
                    .iter()
                    .map(|c| vec![a.title.clone().into(), c.clone().into()])
            })
            .collect(),
    ));
    out
}
