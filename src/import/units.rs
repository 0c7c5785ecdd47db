//! `units.csv`: `unit,building,entrance,floor,area_m2`.

use std::collections::HashMap;

use anyhow::Context;
use sqlx::PgConnection;

use super::kind::{counts, first_time, Counts, RowKind};
use super::source::Fields;
use crate::domain::units::{Area, UnitCode};

pub(crate) struct UnitRow {
    code: UnitCode,
    area: Area,
}

#[derive(Default)]
pub(crate) struct UnitsKind {
    /// unit code → the line it was first seen on.
    seen: HashMap<String, u64>,
}

impl RowKind for UnitsKind {
    type Row = UnitRow;
    const COLUMNS: &'static [&'static str] = &["unit", "building", "entrance", "floor", "area_m2"];

    fn parse(&mut self, fields: &Fields<'_>) -> Result<UnitRow, String> {
        let code = UnitCode::parse(fields.get("unit")).map_err(|e| e.to_string())?;
        let building = fields.required("building")?;
        let entrance = fields.required("entrance")?;
        let floor = fields.required("floor")?;
        let area = Area::parse(fields.get("area_m2"))?;
        let floor: i32 = floor
            .parse()
            .map_err(|_| format!("floor {floor:?} is not a whole number"))?;
        if building != code.building() || entrance != code.entrance() || floor != code.floor() {
            return Err(format!(
                "unit {code} means building {}, entrance {}, floor {}, but the row says building {building}, entrance {entrance}, floor {floor}",
                code.building(),
                code.entrance(),
                code.floor()
            ));
        }
        first_time(&mut self.seen, code.as_str().to_owned(), fields.line)
            .map_err(|first| format!("duplicate of line {first} (unit {code})"))?;
        Ok(UnitRow { code, area })
    }

    async fn write(&mut self, conn: &mut PgConnection, rows: &[UnitRow]) -> anyhow::Result<Counts> {
        let codes: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
        let buildings: Vec<&str> = rows.iter().map(|r| r.code.building()).collect();
        let entrances: Vec<&str> = rows.iter().map(|r| r.code.entrance()).collect();
        let floors: Vec<i32> = rows.iter().map(|r| r.code.floor()).collect();
        let areas: Vec<f64> = rows.iter().map(|r| r.area.m2()).collect();
        let (inserted, updated): (i64, i64) = sqlx::query_as(
            "WITH up AS (
                INSERT INTO units (code, building, entrance, floor, area_m2)
                SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int4[], $5::float8[])
                ON CONFLICT ON CONSTRAINT units_code_key DO UPDATE
                   SET building = EXCLUDED.building, entrance = EXCLUDED.entrance,
                       floor = EXCLUDED.floor, area_m2 = EXCLUDED.area_m2, updated_at = now()
                 WHERE (units.building, units.entrance, units.floor, units.area_m2)
                       IS DISTINCT FROM
                       (EXCLUDED.building, EXCLUDED.entrance, EXCLUDED.floor, EXCLUDED.area_m2)
                RETURNING (xmax = 0) AS inserted
             )
             SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up",
        )
        .bind(&codes)
        .bind(&buildings)
        .bind(&entrances)
        .bind(&floors)
        .bind(&areas)
        .fetch_one(conn)
        .await
        .context("upserting a batch of units")?;
        Ok(counts(rows.len(), inserted, updated))
    }
}
