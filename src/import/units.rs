//! `units.csv`: `unit,building,entrance,floor,area_m2`. The unit is the
//! office's own label, kept as written; building, entrance and floor are
//! read from their columns (entrance and floor may be empty), never from the
//! code.

use std::collections::HashMap;

use anyhow::Context;
use sqlx::PgConnection;

use super::kind::{counts, first_time, Counts, RowKind};
use super::source::Fields;
use crate::domain::units::{Area, Place, UnitCode};

pub(crate) struct UnitRow {
    code: UnitCode,
    place: Place,
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
        let place = Place::parse(
            fields.get("building"),
            fields.get("entrance"),
            fields.get("floor"),
        )?;
        let area = Area::parse(fields.get("area_m2"))?;
        first_time(&mut self.seen, code.as_str().to_owned(), fields.line)
            .map_err(|first| format!("duplicate of line {first} (unit {code})"))?;
        Ok(UnitRow { code, place, area })
    }

    async fn write(&mut self, conn: &mut PgConnection, rows: &[UnitRow]) -> anyhow::Result<Counts> {
        let codes: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
        let buildings: Vec<&str> = rows.iter().map(|r| r.place.building.as_str()).collect();
        let entrances: Vec<Option<&str>> =
            rows.iter().map(|r| r.place.entrance.as_deref()).collect();
        let floors: Vec<Option<i32>> = rows.iter().map(|r| r.place.floor).collect();
        let areas: Vec<f64> = rows.iter().map(|r| r.area.m2()).collect();
        let r = sqlx::query!(
            r#"WITH up AS (
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
             SELECT count(*) FILTER (WHERE inserted) AS "inserted!",
                    count(*) FILTER (WHERE NOT inserted) AS "updated!"
               FROM up"#,
            &codes as &[&str],
            &buildings as &[&str],
            &entrances as &[Option<&str>],
            &floors as &[Option<i32>],
            &areas,
        )
        .fetch_one(conn)
        .await
        .context("upserting a batch of units")?;
        Ok(counts(rows.len(), r.inserted, r.updated))
    }
}
