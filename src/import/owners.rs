//! `owners.csv`: `unit,name,phone,role`. A phone is one person: the same
//! phone on two units is one person with two memberships. A membership the
//! file lists is the office's record (`source = 'import'`), even if staff or
//! an invitation made it first; `--replace` removes those it no longer lists
//! (`domain::households::remove_unlisted`).

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use sqlx::PgConnection;

use super::kind::{first_time, Counts, RowKind};
use super::source::Fields;
use crate::domain::phone::Phone;
use crate::domain::units::{unit_ids_by_code, Role, UnitCode};

pub(crate) struct OwnerRow {
    unit_id: i64,
    name: String,
    phone: Phone,
    role: Role,
}

pub(crate) struct OwnersKind {
    units: HashMap<String, i64>,
    /// (unit id, phone) → the line it was first seen on.
    seen: HashMap<(i64, Phone), u64>,
    /// phone → the name and line it was first given with in this file.
    names: HashMap<Phone, (String, u64)>,
    /// (unit id, person id) of every membership written: what the file
    /// lists, for `--replace`.
    pub(crate) listed: Vec<(i64, i64)>,
}

impl OwnersKind {
    pub(crate) async fn load(conn: &mut PgConnection) -> anyhow::Result<OwnersKind> {
        Ok(OwnersKind {
            units: unit_ids_by_code(conn).await?,
            seen: HashMap::new(),
            names: HashMap::new(),
            listed: Vec::new(),
        })
    }
}

/// What the people upsert did to one phone's person.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PersonChange {
    Inserted,
    Updated,
    Unchanged,
}

impl RowKind for OwnersKind {
    type Row = OwnerRow;
    const COLUMNS: &'static [&'static str] = &["unit", "name", "phone", "role"];

    fn parse(&mut self, fields: &Fields<'_>) -> Result<OwnerRow, String> {
        let code = UnitCode::parse(fields.get("unit")).map_err(|e| e.to_string())?;
        let name = fields.required("name")?.to_owned();
        let phone = Phone::parse(fields.get("phone")).map_err(|e| e.to_string())?;
        let role = Role::parse(fields.get("role"))?;
        let unit_id = *self
            .units
            .get(code.as_str())
            .ok_or_else(|| format!("unknown unit {code} (import it with units.csv first)"))?;
        if let Some((first_name, first_line)) = self.names.get(&phone) {
            if *first_name != name {
                return Err(format!(
                    "phone {phone} belongs to {first_name} on line {first_line}, not {name}"
                ));
            }
        }
        first_time(&mut self.seen, (unit_id, phone.clone()), fields.line)
            .map_err(|first| format!("duplicate of line {first} (unit {code}, phone {phone})"))?;
        self.names
            .entry(phone.clone())
            .or_insert_with(|| (name.clone(), fields.line));
        Ok(OwnerRow {
            unit_id,
            name,
            phone,
            role,
        })
    }

    async fn write(
        &mut self,
        conn: &mut PgConnection,
        rows: &[OwnerRow],
    ) -> anyhow::Result<Counts> {
        // People first, one per phone (the file check made names agree).
        let mut phones: Vec<&str> = Vec::new();
        let mut names: Vec<&str> = Vec::new();
        let mut unique = HashSet::new();
        for row in rows {
            if unique.insert(row.phone.as_str()) {
                phones.push(row.phone.as_str());
                names.push(&row.name);
            }
        }
        // The snapshot of the statement does not see the rows the CTE
        // inserts, so the unchanged people are read from the table and the
        // new or updated ones from RETURNING.
        let people = sqlx::query!(
            r#"WITH input AS (
                SELECT * FROM UNNEST($1::text[], $2::text[]) AS t(phone, name)
             ), up AS (
                INSERT INTO people (phone, name) SELECT phone, name FROM input
                ON CONFLICT ON CONSTRAINT people_phone_key DO UPDATE
                   SET name = EXCLUDED.name, updated_at = now()
                 WHERE people.name IS DISTINCT FROM EXCLUDED.name
                RETURNING id, phone, CASE WHEN xmax = 0 THEN 'inserted' ELSE 'updated' END AS change
             )
             SELECT id AS "id!", phone AS "phone!", change AS "change!" FROM up
             UNION ALL
             SELECT p.id, p.phone, 'unchanged' FROM people p JOIN input i ON i.phone = p.phone
              WHERE NOT EXISTS (SELECT 1 FROM up WHERE up.phone = p.phone)"#,
            &phones as &[&str],
            &names as &[&str]
        )
        .map(|r| (r.id, r.phone, r.change))
        .fetch_all(&mut *conn)
        .await
        .context("upserting a batch of people")?;
        let people: HashMap<String, (i64, PersonChange)> = people
            .into_iter()
            .map(|(id, phone, change)| {
                let change = match change.as_str() {
                    "inserted" => PersonChange::Inserted,
                    "updated" => PersonChange::Updated,
                    _ => PersonChange::Unchanged,
                };
                (phone, (id, change))
            })
            .collect();

        let mut unit_ids = Vec::with_capacity(rows.len());
        let mut person_ids = Vec::with_capacity(rows.len());
        let mut roles = Vec::with_capacity(rows.len());
        // A person's first row in the batch may become their default unit
        // (if they have none yet); one candidate per person per statement.
        let mut candidates = Vec::with_capacity(rows.len());
        let mut person_changed = Vec::with_capacity(rows.len());
        let mut first_row = HashSet::new();
        for row in rows {
            let (person_id, change) = *people
                .get(row.phone.as_str())
                .with_context(|| format!("the people upsert lost {}", row.phone))?;
            let first = first_row.insert(person_id);
            self.listed.push((row.unit_id, person_id));
            unit_ids.push(row.unit_id);
            person_ids.push(person_id);
            roles.push(row.role.as_str());
            candidates.push(first);
            // A renamed person counts once, on their first row.
            person_changed.push(first && change == PersonChange::Updated);
        }
        let memberships = sqlx::query!(
            r#"INSERT INTO unit_members (unit_id, person_id, role, is_default)
             SELECT i.unit_id, i.person_id, i.role,
                    i.candidate AND NOT EXISTS (
                        SELECT 1 FROM unit_members m WHERE m.person_id = i.person_id AND m.is_default)
               FROM UNNEST($1::int8[], $2::int8[], $3::text[], $4::bool[])
                    AS i(unit_id, person_id, role, candidate)
             ON CONFLICT ON CONSTRAINT unit_members_pkey
                DO UPDATE SET role = EXCLUDED.role, source = 'import', invited_by = NULL
              WHERE (unit_members.role, unit_members.source) IS DISTINCT FROM (EXCLUDED.role, 'import')
             RETURNING unit_id, person_id, (xmax = 0) AS "inserted!""#,
            &unit_ids,
            &person_ids,
            &roles as &[&str],
            &candidates
        )
        .map(|r| (r.unit_id, r.person_id, r.inserted))
        .fetch_all(&mut *conn)
        .await
        .context("upserting a batch of unit memberships")?;
        let memberships: HashMap<(i64, i64), bool> = memberships
            .into_iter()
            .map(|(unit, person, inserted)| ((unit, person), inserted))
            .collect();

        let mut counts = Counts::default();
        for i in 0..rows.len() {
            match memberships.get(&(unit_ids[i], person_ids[i])) {
                Some(true) => counts.inserted += 1,
                Some(false) => counts.updated += 1,
                None if person_changed[i] => counts.updated += 1,
                None => counts.unchanged += 1,
            }
        }
        Ok(counts)
    }
}
