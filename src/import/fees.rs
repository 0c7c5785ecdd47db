//! `fees.csv`: `unit,period,item,amount_due,amount_paid,due_date`.

use std::collections::HashMap;

use anyhow::Context;
use chrono::NaiveDate;
use sqlx::PgConnection;

use super::kind::{counts, first_time, Counts, RowKind};
use super::source::Fields;
use crate::domain::fees::{parse_due_date, Cents, Period};
use crate::domain::units::{unit_ids_by_code, UnitCode};

pub(crate) struct FeeRow {
    unit_id: i64,
    period: String,
    item: String,
    due: Cents,
    paid: Cents,
    due_date: NaiveDate,
}

pub(crate) struct FeesKind {
    units: HashMap<String, i64>,
    /// (unit id, period, item) → the line it was first seen on.
    seen: HashMap<(i64, String, String), u64>,
}

impl FeesKind {
    pub(crate) async fn load(conn: &mut PgConnection) -> anyhow::Result<FeesKind> {
        Ok(FeesKind {
            units: unit_ids_by_code(conn).await?,
            seen: HashMap::new(),
        })
    }
}

impl RowKind for FeesKind {
    type Row = FeeRow;
    const COLUMNS: &'static [&'static str] = &[
        "unit",
        "period",
        "item",
        "amount_due",
        "amount_paid",
        "due_date",
    ];

    fn parse(&mut self, fields: &Fields<'_>) -> Result<FeeRow, String> {
        let code = UnitCode::parse(fields.get("unit")).map_err(|e| e.to_string())?;
        let period = Period::parse(fields.get("period"))?.to_string();
        let item = fields.required("item")?.to_owned();
        let due = Cents::parse(fields.get("amount_due"), "amount_due")?;
        let paid = Cents::parse(fields.get("amount_paid"), "amount_paid")?;
        let due_date = parse_due_date(fields.get("due_date"))?;
        let unit_id = *self
            .units
            .get(code.as_str())
            .ok_or_else(|| format!("unknown unit {code} (import it with units.csv first)"))?;
        first_time(
            &mut self.seen,
            (unit_id, period.clone(), item.clone()),
            fields.line,
        )
        .map_err(|first| {
            format!("duplicate of line {first} (unit {code}, period {period}, item {item})")
        })?;
        Ok(FeeRow {
            unit_id,
            period,
            item,
            due,
            paid,
            due_date,
        })
    }

    async fn write(&mut self, conn: &mut PgConnection, rows: &[FeeRow]) -> anyhow::Result<Counts> {
        let unit_ids: Vec<i64> = rows.iter().map(|r| r.unit_id).collect();
        let periods: Vec<&str> = rows.iter().map(|r| r.period.as_str()).collect();
        let items: Vec<&str> = rows.iter().map(|r| r.item.as_str()).collect();
        let due: Vec<i64> = rows.iter().map(|r| r.due.0).collect();
        let paid: Vec<i64> = rows.iter().map(|r| r.paid.0).collect();
        let due_dates: Vec<NaiveDate> = rows.iter().map(|r| r.due_date).collect();
        let (inserted, updated): (i64, i64) = sqlx::query_as(
            "WITH up AS (
                INSERT INTO fees (unit_id, period, item, amount_due_cents, amount_paid_cents, due_date)
                SELECT * FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::int8[], $5::int8[], $6::date[])
                ON CONFLICT ON CONSTRAINT fees_unit_period_item_key DO UPDATE
                   SET amount_due_cents = EXCLUDED.amount_due_cents,
                       amount_paid_cents = EXCLUDED.amount_paid_cents,
                       due_date = EXCLUDED.due_date, updated_at = now()
                 WHERE (fees.amount_due_cents, fees.amount_paid_cents, fees.due_date)
                       IS DISTINCT FROM
                       (EXCLUDED.amount_due_cents, EXCLUDED.amount_paid_cents, EXCLUDED.due_date)
                RETURNING (xmax = 0) AS inserted
             )
             SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up",
        )
        .bind(&unit_ids)
        .bind(&periods)
        .bind(&items)
        .bind(&due)
        .bind(&paid)
        .bind(&due_dates)
        .fetch_one(conn)
        .await
        .context("upserting a batch of fees")?;
        Ok(counts(rows.len(), inserted, updated))
    }
}
