//! Fees per unit, period and item (money in cents), the owner's fee query
//! and its rendering as one Telegram message.

use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;

use anyhow::Context;
use chrono::NaiveDate;
use sqlx::PgConnection;

use crate::domain::decimal::parse_hundredths;
use crate::domain::units::{units_of_person, Area, Role};
use crate::i18n::{Lang, MAX_TEXT};
use crate::texts;

/// An amount of money in cents (fen). Never negative in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cents(pub i64);

impl Cents {
    /// Parses `331.15`, `0`, `12.5` exactly; refuses negatives, more than two
    /// decimals and anything that is not a plain decimal number.
    pub fn parse(input: &str, field: &str) -> Result<Cents, String> {
        parse_hundredths(input, field).map(Cents)
    }

    /// `¥331.15`.
    #[must_use]
    pub fn yuan(self) -> String {
        format!("¥{self}")
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl std::ops::Add for Cents {
    type Output = Cents;
    fn add(self, other: Cents) -> Cents {
        Cents(self.0.saturating_add(other.0))
    }
}

impl std::iter::Sum for Cents {
    fn sum<I: Iterator<Item = Cents>>(iter: I) -> Cents {
        iter.fold(Cents(0), |a, b| a + b)
    }
}

/// A billing period, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    month: u32,
}

impl Period {
    pub fn parse(input: &str) -> Result<Period, String> {
        let text = input.trim();
        if text.is_empty() {
            return Err("period is empty".to_owned());
        }
        let bad = || format!("period {text:?} is not YYYY-MM like 2026-11");
        let (year, month) = text.split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let month: u32 = month.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || !(1900..=2200).contains(&year) {
            return Err(bad());
        }
        Ok(Period { year, month })
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Parses a due date written `2026-11-30` (or `2026/11/30`, as Chinese Excel
/// exports dates).
pub fn parse_due_date(input: &str) -> Result<NaiveDate, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err("due_date is empty".to_owned());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y/%m/%d"))
        .map_err(|_| format!("due_date {text:?} is not a date like 2026-11-30"))
}

/// Whether an item is charged per square metre of the unit's area (the
/// property management fee and shared-area charges).
#[must_use]
pub fn is_area_based(item: &str) -> bool {
    let item = item.to_lowercase();
    [
        "property management",
        "物业管理",
        "物业费",
        "公摊",
        "shared area",
    ]
    .iter()
    .any(|k| item.contains(k))
}

/// One item of one period of one unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeLine {
    pub period: String,
    pub item: String,
    pub due: Cents,
    pub paid: Cents,
    pub due_date: NaiveDate,
}

impl FeeLine {
    /// What is still to pay on this line (overpayment counts as nothing owed).
    #[must_use]
    pub fn outstanding(&self) -> Cents {
        Cents((self.due.0 - self.paid.0).max(0))
    }
}

/// The fees of one unit a person belongs to, newest period first.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitFees {
    pub code: String,
    pub area: Area,
    pub role: Role,
    pub lines: Vec<FeeLine>,
}

impl UnitFees {
    /// Unpaid amounts whose due date has passed by `today`.
    #[must_use]
    pub fn arrears(&self, today: NaiveDate) -> Cents {
        self.lines
            .iter()
            .filter(|l| l.due_date < today)
            .map(FeeLine::outstanding)
            .sum()
    }

    /// Unpaid amounts not yet due.
    #[must_use]
    pub fn upcoming(&self, today: NaiveDate) -> Cents {
        self.lines
            .iter()
            .filter(|l| l.due_date >= today)
            .map(FeeLine::outstanding)
            .sum()
    }
}

/// The fees of every unit `person_id` belongs to (only theirs: privacy).
pub async fn fees_for_person(
    conn: &mut PgConnection,
    person_id: i64,
) -> anyhow::Result<Vec<UnitFees>> {
    let units = units_of_person(conn, person_id).await?;
    let ids: Vec<i64> = units.iter().map(|u| u.unit_id).collect();
    let rows = sqlx::query!(
        "SELECT unit_id, period, item, amount_due_cents, amount_paid_cents, due_date
           FROM fees WHERE unit_id = ANY($1)
          ORDER BY period DESC, item",
        &ids
    )
    .map(|r| {
        (
            r.unit_id,
            r.period,
            r.item,
            r.amount_due_cents,
            r.amount_paid_cents,
            r.due_date,
        )
    })
    .fetch_all(&mut *conn)
    .await
    .context("reading the fees of a person's units")?;
    let mut by_unit: HashMap<i64, Vec<FeeLine>> = HashMap::new();
    for (unit_id, period, item, due, paid, due_date) in rows {
        by_unit.entry(unit_id).or_default().push(FeeLine {
            period,
            item,
            due: Cents(due),
            paid: Cents(paid),
            due_date,
        });
    }
    Ok(units
        .into_iter()
        .map(|u| UnitFees {
            lines: by_unit.remove(&u.unit_id).unwrap_or_default(),
            code: u.code,
            area: u.area,
            role: u.role,
        })
        .collect())
}

/// How many periods per unit are shown item by item before older ones are
/// summed up; fewer are tried until the message fits Telegram's limit.
const DETAIL_PERIODS: [usize; 5] = [6, 3, 2, 1, 0];
const LATEST_PAYMENTS: usize = 3;

/// The fee query's answer as one plain-text message of at most 4096
/// characters: per unit and period each item's due and paid amounts, how
/// area-based items are computed, arrears as of `today`, latest payments.
#[must_use]
pub fn render_fees(units: &[UnitFees], lang: Lang, today: NaiveDate) -> String {
    let mut text = String::new();
    for detail in DETAIL_PERIODS {
        text = render_with(units, lang, today, detail);
        if text.chars().count() <= MAX_TEXT {
            return text;
        }
    }
    let mut cut: String = text.chars().take(MAX_TEXT - 1).collect();
    cut.push('…');
    cut
}

fn render_with(units: &[UnitFees], lang: Lang, today: NaiveDate, detail: usize) -> String {
    let mut out = String::new();
    if units.is_empty() {
        return texts::fees::NO_UNIT.get(lang).to_owned();
    }
    let today_s = today.to_string();
    out.push_str(&texts::fees::HEADER.fill(lang, &[("today", &today_s)]));
    out.push('\n');
    for unit in units {
        out.push('\n');
        render_unit(&mut out, unit, lang, today, detail);
    }
    if units.len() > 1 {
        let total: Cents = units.iter().map(|u| u.arrears(today)).sum();
        out.push('\n');
        out.push_str(&texts::fees::TOTAL.fill(lang, &[("total", &total.yuan())]));
    }
    out.trim_end().to_owned()
}

/// Appends `text` and a line break.
fn push_line(out: &mut String, text: &str) {
    out.push_str(text);
    out.push('\n');
}

fn render_unit(out: &mut String, unit: &UnitFees, lang: Lang, today: NaiveDate, detail: usize) {
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "🏠 {} · {} m² · {}",
        unit.code,
        unit.area,
        unit.role.label(lang)
    );
    if unit.lines.is_empty() {
        push_line(out, texts::fees::NO_RECORDS.get(lang));
        return;
    }

    // Lines are newest period first; group them by period in that order.
    let mut periods: Vec<(&str, Vec<&FeeLine>)> = Vec::new();
    for line in &unit.lines {
        match periods.last_mut() {
            Some((p, lines)) if *p == line.period => lines.push(line),
            _ => periods.push((&line.period, vec![line])),
        }
    }
    for (period, lines) in periods.iter().take(detail) {
        push_line(out, period);
        for line in lines {
            render_line(out, line, unit.area, lang, today);
        }
    }
    let older: Vec<&FeeLine> = periods
        .iter()
        .skip(detail)
        .flat_map(|(_, l)| l.iter().copied())
        .collect();
    if !older.is_empty() {
        let count = periods.len().saturating_sub(detail);
        let due: Cents = older.iter().map(|l| l.due).sum();
        let paid: Cents = older.iter().map(|l| l.paid).sum();
        let owed: Cents = older.iter().map(|l| l.outstanding()).sum();
        let (first, last) = (
            older.last().map_or("", |l| l.period.as_str()),
            older.first().map_or("", |l| l.period.as_str()),
        );
        let text = texts::fees::EARLIER.fill(
            lang,
            &[
                ("count", &count.to_string()),
                ("first", first),
                ("last", last),
                ("due", &due.yuan()),
                ("paid", &paid.yuan()),
                ("unpaid", &owed.yuan()),
            ],
        );
        push_line(out, &text);
    }

    let arrears = unit.arrears(today);
    let upcoming = unit.upcoming(today);
    push_line(
        out,
        &texts::fees::ARREARS.fill(lang, &[("amount", &arrears.yuan())]),
    );
    if upcoming.0 > 0 {
        push_line(
            out,
            &texts::fees::UPCOMING.fill(lang, &[("amount", &upcoming.yuan())]),
        );
    }

    let mut payments: Vec<&FeeLine> = unit.lines.iter().filter(|l| l.paid.0 > 0).collect();
    payments.sort_by(|a, b| (b.period.as_str(), b.due_date).cmp(&(a.period.as_str(), a.due_date)));
    if !payments.is_empty() {
        let list: Vec<String> = payments
            .iter()
            .take(LATEST_PAYMENTS)
            .map(|l| format!("{} {} {}", l.period, l.item, l.paid.yuan()))
            .collect();
        let list = list.join(texts::fees::LIST_SEPARATOR.get(lang));
        push_line(
            out,
            &texts::fees::LATEST_PAYMENTS.fill(lang, &[("list", &list)]),
        );
    }
}

fn render_line(out: &mut String, line: &FeeLine, area: Area, lang: Lang, today: NaiveDate) {
    let owed = line.outstanding();
    let date = line.due_date.to_string();
    let status = match (owed.0 == 0, line.due_date < today) {
        (true, _) => texts::fees::PAID.get(lang).to_owned(),
        (false, true) => texts::fees::OVERDUE.fill(lang, &[("date", &date)]),
        (false, false) => texts::fees::DUE_BY.fill(lang, &[("date", &date)]),
    };
    let text = texts::fees::LINE.fill(
        lang,
        &[
            ("item", &line.item),
            ("due", &line.due.yuan()),
            ("paid", &line.paid.yuan()),
            ("status", &status),
        ],
    );
    push_line(out, &text);
    if is_area_based(&line.item) && area.hundredths() > 0 {
        let (rate, exact) = rate_per_m2(line.due, area);
        let approx = if exact { "" } else { "≈" };
        let text = texts::fees::AREA.fill(
            lang,
            &[
                ("area", &area.to_string()),
                ("approx", approx),
                ("rate", &rate.yuan()),
            ],
        );
        push_line(out, &text);
    }
}

/// The rate per m² behind an area-based amount, rounded half up to the
/// cent, and whether area × rate gives the amount exactly.
#[must_use]
pub fn rate_per_m2(due: Cents, area: Area) -> (Cents, bool) {
    // due is in cents and area in hundredths of m², so cents per m² is
    // due × 100 / area.
    let numerator = i128::from(due.0) * 100;
    let area = i128::from(area.hundredths());
    let rounded = (2 * numerator + area) / (2 * area);
    let exact = numerator % area == 0;
    (Cents(i64::try_from(rounded).unwrap_or(i64::MAX)), exact)
}

/// Someone who may be due this month's arrears reminder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderCandidate {
    pub person_id: i64,
    pub name: String,
    pub chat_id: i64,
    /// The chat's language, else the person's.
    pub language: Option<String>,
}

/// People due a reminder for `period`: opted in, registered, reachable,
/// with a unit, not yet reminded; up to `limit` after person `after_id`,
/// locked for this transaction (`SKIP LOCKED`: other replicas take others).
pub async fn reminder_candidates(
    conn: &mut PgConnection,
    after_id: i64,
    period: &str,
    limit: i64,
) -> anyhow::Result<Vec<ReminderCandidate>> {
    sqlx::query_as!(
        ReminderCandidate,
        r#"SELECT p.id AS person_id, p.name, p.telegram_user_id AS "chat_id!",
                  COALESCE(chat_language(p.telegram_user_id), p.language) AS language
             FROM people p
            WHERE p.id > $1
              AND p.fee_reminders
              AND p.telegram_user_id IS NOT NULL
              AND chat_is_reachable(p.telegram_user_id)
              AND EXISTS (SELECT 1 FROM unit_members m WHERE m.person_id = p.id)
              AND NOT EXISTS (SELECT 1 FROM fee_reminders_sent s
                               WHERE s.person_id = p.id AND s.period = $2)
            ORDER BY p.id
            LIMIT $3
            FOR UPDATE OF p SKIP LOCKED"#,
        after_id,
        period,
        limit
    )
    .fetch_all(conn)
    .await
    .context("choosing people to remind")
}

/// Records that `person_id` is reminded for `period` (arrears as of now);
/// false when they already were (another run or replica won).
pub async fn record_reminder(
    conn: &mut PgConnection,
    person_id: i64,
    period: &str,
    now: chrono::DateTime<chrono::Utc>,
    arrears: Cents,
) -> anyhow::Result<bool> {
    let recorded = sqlx::query_scalar!(
        "INSERT INTO fee_reminders_sent (person_id, period, sent_at, arrears_cents)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (person_id, period) DO NOTHING
         RETURNING person_id",
        person_id,
        period,
        now,
        arrears.0
    )
    .fetch_optional(conn)
    .await
    .context("recording a reminder")?;
    Ok(recorded.is_some())
}

/// Links a recorded reminder to the outbox row that carries it.
pub async fn set_reminder_outbox(
    conn: &mut PgConnection,
    person_id: i64,
    period: &str,
    outbox_id: i64,
) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE fee_reminders_sent SET outbox_id = $3 WHERE person_id = $1 AND period = $2",
        person_id,
        period,
        outbox_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly_to_the_cent() {
        assert_eq!(Cents::parse("331.15", "amount_due"), Ok(Cents(33115)));
        assert_eq!(Cents::parse("0", "amount_due"), Ok(Cents(0)));
        assert_eq!(Cents::parse(" 12.5 ", "amount_due"), Ok(Cents(1250)));
        assert_eq!(Cents::parse("0.07", "amount_due"), Ok(Cents(7)));
        assert_eq!(
            Cents::parse("1000000", "amount_due"),
            Ok(Cents(100_000_000))
        );
        assert_eq!(Cents(33115).to_string(), "331.15");
        assert_eq!(Cents(7).yuan(), "¥0.07");
    }

    #[test]
    fn bad_amounts_are_refused_with_the_reason() {
        let err = |s: &str| Cents::parse(s, "amount_due").unwrap_err();
        assert_eq!(err("-3.00"), "amount_due -3.00 is negative");
        assert_eq!(err("1.234"), "amount_due 1.234 has more than 2 decimals");
        assert_eq!(err("abc"), "amount_due \"abc\" is not a number");
        assert_eq!(err("1,5"), "amount_due \"1,5\" is not a number");
        assert_eq!(err("3."), "amount_due \"3.\" is not a number");
        assert_eq!(err(".5"), "amount_due \".5\" is not a number");
        assert_eq!(err("1e3"), "amount_due \"1e3\" is not a number");
        assert_eq!(err(""), "amount_due is empty");
        assert_eq!(
            err("99999999999999999999"),
            "amount_due 99999999999999999999 is too large"
        );
    }

    #[test]
    fn periods_and_due_dates_are_checked() {
        assert_eq!(Period::parse("2026-11").unwrap().to_string(), "2026-11");
        for bad in ["2026-13", "2026-1", "26-11", "2026/11", "", "2026-00"] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_due_date("2026-11-30"),
            Ok(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap())
        );
        assert_eq!(
            parse_due_date("2026/11/30"),
            Ok(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap())
        );
        assert!(parse_due_date("2026-02-30").is_err());
        assert!(parse_due_date("30.11.2026").is_err());
    }

    #[test]
    fn the_rate_per_square_metre_is_exact_or_marked_approximate() {
        let area = Area::parse("89.5").unwrap();
        assert_eq!(rate_per_m2(Cents(33115), area), (Cents(370), true));
        assert_eq!(rate_per_m2(Cents(33100), area), (Cents(370), false));
        let area = Area::parse("100").unwrap();
        assert_eq!(rate_per_m2(Cents(25050), area), (Cents(251), false));
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn line(period: &str, item: &str, due: i64, paid: i64, due_date: NaiveDate) -> FeeLine {
        FeeLine {
            period: period.into(),
            item: item.into(),
            due: Cents(due),
            paid: Cents(paid),
            due_date,
        }
    }

    fn two_units() -> Vec<UnitFees> {
        vec![
            UnitFees {
                code: "3-2-1101".into(),
                area: Area::parse("89.5").unwrap(),
                role: Role::Owner,
                lines: vec![
                    line(
                        "2026-11",
                        "property management",
                        33115,
                        0,
                        date(2026, 11, 30),
                    ),
                    line("2026-11", "water", 4500, 4500, date(2026, 11, 30)),
                    line(
                        "2026-12",
                        "property management",
                        33115,
                        0,
                        date(2026, 12, 31),
                    ),
                    line(
                        "2026-10",
                        "property management",
                        33115,
                        33115,
                        date(2026, 10, 31),
                    ),
                ],
            },
            UnitFees {
                code: "5-1-302".into(),
                area: Area::parse("60").unwrap(),
                role: Role::Tenant,
                lines: vec![line(
                    "2026-11",
                    "物业管理费",
                    20000,
                    5000,
                    date(2026, 11, 30),
                )],
            },
        ]
    }

    fn sorted(mut units: Vec<UnitFees>) -> Vec<UnitFees> {
        for u in &mut units {
            u.lines
                .sort_by(|a, b| b.period.cmp(&a.period).then(a.item.cmp(&b.item)));
        }
        units
    }

    #[test]
    fn fees_of_two_units_render_in_english() {
        let text = render_fees(&sorted(two_units()), Lang::En, date(2026, 12, 5));
        let expected = "\
Your fees as of 2026-12-05

🏠 3-2-1101 · 89.5 m² · owner
2026-12
• property management: due ¥331.15, paid ¥0.00, due by 2026-12-31
  computed as 89.5 m² × ¥3.70/m²
2026-11
• property management: due ¥331.15, paid ¥0.00, overdue since 2026-11-30
  computed as 89.5 m² × ¥3.70/m²
• water: due ¥45.00, paid ¥45.00, paid
2026-10
• property management: due ¥331.15, paid ¥331.15, paid
  computed as 89.5 m² × ¥3.70/m²
Arrears (past due): ¥331.15
To pay, not yet due: ¥331.15
Latest payments: 2026-11 water ¥45.00; 2026-10 property management ¥331.15

🏠 5-1-302 · 60 m² · tenant
2026-11
• 物业管理费: due ¥200.00, paid ¥50.00, overdue since 2026-11-30
  computed as 60 m² × ≈¥3.33/m²
Arrears (past due): ¥150.00
Latest payments: 2026-11 物业管理费 ¥50.00

Total arrears, all units: ¥481.15";
        assert_eq!(text, expected);
    }

    #[test]
    fn fees_of_two_units_render_in_chinese() {
        let text = render_fees(&sorted(two_units()), Lang::Zh, date(2026, 12, 5));
        assert!(text.starts_with("费用查询（截至 2026-12-05）"), "{text}");
        assert!(text.contains("🏠 3-2-1101 · 89.5 m² · 业主"), "{text}");
        assert!(
            text.contains(
                "• property management：应缴 ¥331.15，已缴 ¥0.00，已逾期（2026-11-30到期）"
            ),
            "{text}"
        );
        assert!(text.contains("  计费：89.5 m² × ¥3.70/m²"), "{text}");
        assert!(text.contains("  计费：60 m² × ≈¥3.33/m²"), "{text}");
        assert!(text.contains("欠费（已过缴费期限）：¥150.00"), "{text}");
        assert!(
            text.contains("最近缴费：2026-11 物业管理费 ¥50.00"),
            "{text}"
        );
        assert!(text.ends_with("全部房屋欠费合计：¥481.15"), "{text}");
    }

    #[test]
    fn a_long_history_is_summarised_to_fit_one_message() {
        let mut lines = Vec::new();
        for year in 2010..2027 {
            for month in 1..=12u32 {
                for item in [
                    "property management",
                    "water",
                    "electricity",
                    "parking",
                    "rubbish",
                ] {
                    lines.push(line(
                        &format!("{year}-{month:02}"),
                        item,
                        10000,
                        if year < 2026 { 10000 } else { 0 },
                        date(year, month, 28),
                    ));
                }
            }
        }
        let unit = UnitFees {
            code: "1-1-101".into(),
            area: Area::parse("100").unwrap(),
            role: Role::Owner,
            lines,
        };
        let units = sorted(vec![unit.clone(), unit.clone(), unit]);
        for lang in [Lang::Zh, Lang::En] {
            let text = render_fees(&units, lang, date(2026, 12, 5));
            assert!(text.chars().count() <= MAX_TEXT, "{}", text.len());
            assert!(text.contains("2026-12"), "{text}");
        }
        let en = render_fees(&units, Lang::En, date(2026, 12, 5));
        assert!(en.contains("Earlier"), "{en}");
        assert!(en.contains("Arrears (past due): ¥5500.00"), "{en}");
    }

    #[test]
    fn a_person_without_units_is_told_so() {
        assert!(render_fees(&[], Lang::En, date(2026, 1, 1)).starts_with("No unit"));
        assert!(render_fees(&[], Lang::Zh, date(2026, 1, 1)).contains("尚未关联房屋"));
    }
}
