//! Units of the estate (`3-2-1101`: building 3, entrance 2, floor 11, room 01)
//! and who lives in them; the SQL the bot and the import share.

use std::fmt;
use std::sync::LazyLock;

use anyhow::Context;
use regex::Regex;
use sqlx::PgConnection;

/// `building-entrance-room`; the room number's last two digits are the
/// room on the floor, the digits before them the floor.
static UNIT_CODE: LazyLock<Regex> = LazyLock::new(|| {
    // A literal covered by the unit tests below.
    #[allow(clippy::expect_used)]
    Regex::new(r"^([0-9A-Za-z]{1,8})-([0-9A-Za-z]{1,8})-([0-9]{3,5})$").expect("unit pattern")
});

/// A unit's code, checked: building, entrance and room are known parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitCode {
    code: String,
    building: String,
    entrance: String,
    floor: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitCodeError {
    #[error("unit is empty")]
    Empty,
    #[error("unit {0:?} is not building-entrance-room like 3-2-1101")]
    Malformed(String),
}

impl UnitCode {
    pub fn parse(input: &str) -> Result<UnitCode, UnitCodeError> {
        let code = input.trim();
        if code.is_empty() {
            return Err(UnitCodeError::Empty);
        }
        let malformed = || UnitCodeError::Malformed(code.to_owned());
        let caps = UNIT_CODE.captures(code).ok_or_else(malformed)?;
        let room = &caps[3];
        let floor: i32 = room[..room.len() - 2].parse().map_err(|_| malformed())?;
        if floor == 0 {
            return Err(malformed());
        }
        Ok(UnitCode {
            code: code.to_owned(),
            building: caps[1].to_owned(),
            entrance: caps[2].to_owned(),
            floor,
        })
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.code
    }

    #[must_use]
    pub fn building(&self) -> &str {
        &self.building
    }

    #[must_use]
    pub fn entrance(&self) -> &str {
        &self.entrance
    }

    #[must_use]
    pub fn floor(&self) -> i32 {
        self.floor
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

/// A floor area in hundredths of a square metre, so that `89.5` is exact
/// and the rate per m² can be checked to the cent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Area(i64);

impl Area {
    /// Parses `89.5` / `120` / `75.25` (at most two decimals, more than 0).
    pub fn parse(input: &str) -> Result<Area, String> {
        let hundredths = crate::domain::decimal::parse_hundredths(input, "area_m2")?;
        if hundredths == 0 {
            return Err(format!("area_m2 {:?} must be more than 0", input.trim()));
        }
        Ok(Area(hundredths))
    }

    /// The stored `area_m2` (double precision) back as an exact area.
    #[must_use]
    pub fn from_m2(m2: f64) -> Area {
        // Areas are written with at most two decimals, so rounding recovers them.
        Area((m2 * 100.0).round() as i64)
    }

    #[must_use]
    pub fn hundredths(self) -> i64 {
        self.0
    }

    #[must_use]
    pub fn m2(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / 100, self.0 % 100);
        match frac {
            0 => write!(f, "{whole}"),
            f10 if f10 % 10 == 0 => write!(f, "{whole}.{}", f10 / 10),
            _ => write!(f, "{whole}.{frac:02}"),
        }
    }
}

/// How a person belongs to a unit (`unit_members.role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Owner,
    Tenant,
    Family,
}

impl Role {
    /// `owner|tenant|family`, and the Chinese words office spreadsheets use.
    pub fn parse(input: &str) -> Result<Role, String> {
        match input.trim().to_lowercase().as_str() {
            "owner" | "业主" => Ok(Role::Owner),
            "tenant" | "租户" | "租客" => Ok(Role::Tenant),
            "family" | "家属" | "家庭成员" => Ok(Role::Family),
            "" => Err("role is empty".to_owned()),
            other => Err(format!("role {other:?} is not owner, tenant or family")),
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Tenant => "tenant",
            Role::Family => "family",
        }
    }

    /// The role as stored; an unknown text (impossible under the CHECK
    /// constraint) reads as family, the least privileged.
    #[must_use]
    pub fn from_stored(stored: &str) -> Role {
        match stored {
            "owner" => Role::Owner,
            "tenant" => Role::Tenant,
            _ => Role::Family,
        }
    }

    #[must_use]
    pub fn label(self, lang: crate::i18n::Lang) -> &'static str {
        match self {
            Role::Owner => crate::texts::labels::ROLE_OWNER,
            Role::Tenant => crate::texts::labels::ROLE_TENANT,
            Role::Family => crate::texts::labels::ROLE_FAMILY,
        }
        .get(lang)
    }
}

/// A unit a person belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberUnit {
    pub unit_id: i64,
    pub code: String,
    pub building: String,
    pub entrance: String,
    pub floor: i32,
    pub area: Area,
    pub role: Role,
    pub is_default: bool,
}

/// The units `person_id` belongs to, the default one first, then by code.
pub async fn units_of_person(
    conn: &mut PgConnection,
    person_id: i64,
) -> anyhow::Result<Vec<MemberUnit>> {
    let rows = sqlx::query_as!(
        MemberUnitRow,
        "SELECT u.id AS unit_id, u.code, u.building, u.entrance, u.floor, u.area_m2,
                m.role, m.is_default
           FROM unit_members m JOIN units u ON u.id = m.unit_id
          WHERE m.person_id = $1
          ORDER BY m.is_default DESC, u.code",
        person_id
    )
    .fetch_all(conn)
    .await
    .context("reading the units of a person")?;
    Ok(rows
        .into_iter()
        .map(|r| MemberUnit {
            unit_id: r.unit_id,
            code: r.code,
            building: r.building,
            entrance: r.entrance,
            floor: r.floor,
            area: Area::from_m2(r.area_m2),
            role: Role::from_stored(&r.role),
            is_default: r.is_default,
        })
        .collect())
}

struct MemberUnitRow {
    unit_id: i64,
    code: String,
    building: String,
    entrance: String,
    floor: i32,
    area_m2: f64,
    role: String,
    is_default: bool,
}

/// Every unit code with its id (the import resolves codes in memory).
pub async fn unit_ids_by_code(
    conn: &mut PgConnection,
) -> anyhow::Result<std::collections::HashMap<String, i64>> {
    let rows = sqlx::query!("SELECT code, id FROM units")
        .map(|r| (r.code, r.id))
        .fetch_all(conn)
        .await
        .context("reading unit codes")?;
    Ok(rows.into_iter().collect())
}

/// Makes the unit with `code` the person's default (and no other); false
/// when the person has no units at all.
pub async fn set_default_unit(
    conn: &mut PgConnection,
    person_id: i64,
    code: &str,
) -> anyhow::Result<bool> {
    let updated = sqlx::query!(
        "UPDATE unit_members m SET is_default = (u.code = $2)
           FROM units u WHERE u.id = m.unit_id AND m.person_id = $1",
        person_id,
        code
    )
    .execute(conn)
    .await
    .context("setting a default unit")?
    .rows_affected();
    Ok(updated > 0)
}

/// A unit found by its code, with the person the office deals with about
/// it (its default member, owners first), if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitContact {
    pub unit_id: i64,
    pub person_id: Option<i64>,
    pub telegram_user_id: Option<i64>,
}

/// The unit with `code` and its contact person.
pub async fn with_contact(
    conn: &mut PgConnection,
    code: &str,
) -> anyhow::Result<Option<UnitContact>> {
    sqlx::query_as!(
        UnitContact,
        r#"SELECT u.id AS unit_id, m.person_id AS "person_id?", p.telegram_user_id AS "telegram_user_id?"
             FROM units u
             LEFT JOIN LATERAL (
                 SELECT person_id FROM unit_members WHERE unit_id = u.id
                  ORDER BY is_default DESC, role = 'owner' DESC, created_at LIMIT 1) m ON TRUE
             LEFT JOIN people p ON p.id = m.person_id
            WHERE u.code = $1"#,
        code
    )
    .fetch_optional(conn)
    .await
    .context("finding a unit and its contact")
}

/// A unit's code by its id.
pub async fn code_of(conn: &mut PgConnection, unit_id: i64) -> anyhow::Result<Option<String>> {
    Ok(
        sqlx::query_scalar!("SELECT code FROM units WHERE id = $1", unit_id)
            .fetch_optional(conn)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_codes_name_building_entrance_and_floor() {
        let u = UnitCode::parse(" 3-2-1101 ").unwrap();
        assert_eq!(
            (u.as_str(), u.building(), u.entrance(), u.floor()),
            ("3-2-1101", "3", "2", 11)
        );
        assert_eq!(UnitCode::parse("12-1-302").unwrap().floor(), 3);
        assert_eq!(UnitCode::parse("A-1-2503").unwrap().building(), "A");
    }

    #[test]
    fn malformed_unit_codes_are_refused() {
        assert_eq!(UnitCode::parse(""), Err(UnitCodeError::Empty));
        for bad in [
            "3-2", "3-2-11", "3/2/1101", "3-2-0001", "3-2-11a1", "3--1101",
        ] {
            assert!(
                matches!(UnitCode::parse(bad), Err(UnitCodeError::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn areas_are_exact_to_the_hundredth() {
        assert_eq!(Area::parse("89.5").unwrap().hundredths(), 8950);
        assert_eq!(Area::parse("120").unwrap().to_string(), "120");
        assert_eq!(Area::parse("75.25").unwrap().to_string(), "75.25");
        assert_eq!(Area::parse("89.50").unwrap().to_string(), "89.5");
        assert_eq!(Area::from_m2(89.5), Area::parse("89.5").unwrap());
        assert!(Area::parse("0").is_err());
        assert!(Area::parse("-3").is_err());
        assert!(Area::parse("1.234").is_err());
    }

    #[test]
    fn roles_accept_english_and_chinese() {
        assert_eq!(Role::parse("Owner"), Ok(Role::Owner));
        assert_eq!(Role::parse("租户"), Ok(Role::Tenant));
        assert_eq!(Role::parse("family"), Ok(Role::Family));
        assert!(Role::parse("landlord").is_err());
        assert!(Role::parse("").is_err());
    }
}
