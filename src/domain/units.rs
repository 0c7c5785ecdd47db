//! Units of the estate and who lives in them; the SQL the bot and the
//! import share. A unit's code is the office's own label, kept verbatim
//! (`A栋1203`, `12-502`, `D-07`, `3-2-1101`, `B2-车位-015`): nothing is read
//! out of it. Building, entrance and floor are columns of their own, filled
//! from the CSV. Owners may type a code in a common variant (`A-1203`,
//! `a栋 1203`, `3栋2单元1101`); [`find_unit`] finds it by the search key
//! PostgreSQL derives from every code (`unit_search_key`, migration 0030).

use std::fmt;

use anyhow::Context;
use sqlx::PgConnection;

/// The longest unit code, in characters.
pub const MAX_CODE_CHARS: usize = 32;

/// A unit's code, checked: one label of at most [`MAX_CODE_CHARS`]
/// characters, without spaces or list separators (so that a list of codes
/// can be typed and split).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitCodeError {
    #[error("unit is empty")]
    Empty,
    #[error("unit {0:?} is longer than 32 characters")]
    TooLong(String),
    #[error("unit {0:?} holds a space, a comma or a control character: a unit code is one label such as A栋1203 or 3-2-1101")]
    NotOneLabel(String),
}

/// Characters that separate the codes of a typed list.
pub const LIST_SEPARATORS: [char; 6] = [',', '，', '、', ';', '；', '|'];

impl UnitCode {
    pub fn parse(input: &str) -> Result<UnitCode, UnitCodeError> {
        let code = input.trim();
        if code.is_empty() {
            return Err(UnitCodeError::Empty);
        }
        if code.chars().count() > MAX_CODE_CHARS {
            return Err(UnitCodeError::TooLong(code.to_owned()));
        }
        if code
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || LIST_SEPARATORS.contains(&c))
        {
            return Err(UnitCodeError::NotOneLabel(code.to_owned()));
        }
        Ok(UnitCode(code.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a unit is, from the CSV's `building`, `entrance` and `floor`
/// columns; entrance and floor are optional (villas, parking spaces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub building: String,
    pub entrance: Option<String>,
    pub floor: Option<i32>,
}

impl Place {
    /// Reads the three columns; `floor` is a whole number (negative for
    /// basements), `building` is required.
    pub fn parse(building: &str, entrance: &str, floor: &str) -> Result<Place, String> {
        let building = building.trim();
        if building.is_empty() {
            return Err("building is empty".to_owned());
        }
        if building.chars().count() > MAX_CODE_CHARS {
            return Err(format!(
                "building {building:?} is longer than 32 characters"
            ));
        }
        let entrance = entrance.trim();
        let floor = floor.trim();
        let floor = if floor.is_empty() {
            None
        } else {
            Some(
                floor
                    .parse::<i32>()
                    .ok()
                    .filter(|f| (-20..=300).contains(f))
                    .ok_or_else(|| {
                        format!("floor {floor:?} is not a whole number (-20 to 300, or empty)")
                    })?,
            )
        };
        Ok(Place {
            building: building.to_owned(),
            entrance: (!entrance.is_empty()).then(|| entrance.to_owned()),
            floor,
        })
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
    pub entrance: Option<String>,
    pub floor: Option<i32>,
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
    entrance: Option<String>,
    floor: Option<i32>,
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

/// A unit found by what someone typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundUnit {
    pub id: i64,
    pub code: String,
}

/// What a typed unit matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitMatch {
    /// The code itself, or the one unit whose search key it has.
    Found(FoundUnit),
    /// Several units share its search key (`A-1203` when the estate has
    /// both `A-1203` and `A栋1203`): their codes, to choose from.
    Several(Vec<String>),
    /// Nothing matched; these codes are close (nearest first).
    Close(Vec<String>),
    Nothing,
}

/// Close matches offered at most.
pub const MAX_CLOSE_MATCHES: usize = 6;

/// The unit `typed` names: its verbatim code, else a common variant of it
/// (the same search key), else the close matches.
pub async fn find_unit(conn: &mut PgConnection, typed: &str) -> anyhow::Result<UnitMatch> {
    let typed = typed.trim();
    let exact = sqlx::query_as!(
        FoundUnit,
        "SELECT id, code FROM units WHERE code = $1",
        typed
    )
    .fetch_optional(&mut *conn)
    .await
    .context("looking a unit up by its code")?;
    if let Some(unit) = exact {
        return Ok(UnitMatch::Found(unit));
    }
    let key: String = sqlx::query_scalar!(r#"SELECT unit_search_key($1) AS "key!""#, typed)
        .fetch_one(&mut *conn)
        .await
        .context("computing a unit search key")?;
    if key.is_empty() {
        return Ok(UnitMatch::Nothing);
    }
    let mut same = sqlx::query_as!(
        FoundUnit,
        "SELECT id, code FROM units WHERE search_key = $1 ORDER BY code",
        key
    )
    .fetch_all(&mut *conn)
    .await
    .context("looking a unit up by its search key")?;
    match same.len() {
        0 => {}
        1 => return Ok(UnitMatch::Found(same.remove(0))),
        _ => {
            return Ok(UnitMatch::Several(
                same.into_iter().map(|u| u.code).collect(),
            ))
        }
    }
    // An estate has thousands of units, not millions: compared in memory.
    let all: Vec<(String, String)> =
        sqlx::query!(r#"SELECT code, search_key AS "search_key!" FROM units"#)
            .map(|r| (r.code, r.search_key))
            .fetch_all(&mut *conn)
            .await
            .context("reading unit search keys")?;
    let close = close_matches(&key, &all);
    Ok(if close.is_empty() {
        UnitMatch::Nothing
    } else {
        UnitMatch::Close(close)
    })
}

/// Codes whose search key is near `key`: ending in it (`1203` for
/// `A栋1203`), or within one edit (keys up to 4 characters) or two;
/// only the nearest and the next nearest, nearest first, at most
/// [`MAX_CLOSE_MATCHES`].
#[must_use]
pub fn close_matches(key: &str, units: &[(String, String)]) -> Vec<String> {
    let len = key.chars().count();
    if len == 0 {
        return Vec::new();
    }
    let limit = if len <= 4 { 1 } else { 2 };
    let mut scored: Vec<(usize, &str)> = units
        .iter()
        .filter_map(|(code, k)| {
            let score = if len >= 3 && k.ends_with(key) {
                0
            } else {
                edit_distance(key, k)
            };
            (score <= limit).then_some((score, code.as_str()))
        })
        .collect();
    let Some(best) = scored.iter().map(|(s, _)| *s).min() else {
        return Vec::new();
    };
    scored.retain(|(s, _)| *s <= best + 1);
    scored.sort_unstable();
    scored
        .into_iter()
        .take(MAX_CLOSE_MATCHES)
        .map(|(_, c)| c.to_owned())
        .collect()
}

/// Levenshtein distance in characters.
#[must_use]
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
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
    fn any_office_label_is_a_unit_code_kept_verbatim() {
        for code in [
            "A栋1203",
            "12-502",
            "D-07",
            "3-2-1101",
            "B2-车位-015",
            "3/2/1101",
        ] {
            assert_eq!(
                UnitCode::parse(&format!(" {code} ")).unwrap().as_str(),
                code
            );
        }
    }

    #[test]
    fn a_unit_code_is_one_label_of_at_most_32_characters() {
        assert_eq!(UnitCode::parse("  "), Err(UnitCodeError::Empty));
        for bad in ["A栋 1203", "3-2-1101,3-2-1102", "12、502", "a\tb"] {
            assert!(
                matches!(UnitCode::parse(bad), Err(UnitCodeError::NotOneLabel(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            UnitCode::parse(&"1".repeat(33)),
            Err(UnitCodeError::TooLong(_))
        ));
        assert!(UnitCode::parse(&"栋".repeat(32)).is_ok());
    }

    #[test]
    fn building_is_required_and_entrance_and_floor_are_optional() {
        assert_eq!(
            Place::parse(" A ", "", ""),
            Ok(Place {
                building: "A".into(),
                entrance: None,
                floor: None
            })
        );
        assert_eq!(
            Place::parse("3", "2", "11"),
            Ok(Place {
                building: "3".into(),
                entrance: Some("2".into()),
                floor: Some(11)
            })
        );
        assert_eq!(Place::parse("B", "", "-2").unwrap().floor, Some(-2));
        assert!(Place::parse("", "1", "2").is_err());
        assert!(Place::parse("3", "1", "eleven").is_err());
        assert!(Place::parse("3", "1", "1.5").is_err());
        assert!(Place::parse("3", "1", "999").is_err());
    }

    #[test]
    fn close_matches_come_nearest_first() {
        let codes: Vec<(String, String)> = [
            ("A栋1203", "a1203"),
            ("A栋1204", "a1204"),
            ("B栋1203", "b1203"),
            ("D-07", "d7"),
            ("3-2-1101", "321101"),
        ]
        .iter()
        .map(|(c, k)| ((*c).to_owned(), (*k).to_owned()))
        .collect();
        assert_eq!(close_matches("a1230", &codes), vec!["A栋1203", "A栋1204"]);
        assert_eq!(close_matches("1203", &codes), vec!["A栋1203", "B栋1203"]);
        assert_eq!(close_matches("d8", &codes), vec!["D-07"]);
        assert!(close_matches("9999999", &codes).is_empty());
        assert!(close_matches("", &codes).is_empty());
    }

    #[test]
    fn edit_distance_counts_characters_not_bytes() {
        assert_eq!(edit_distance("a栋1203", "a栋1203"), 0);
        assert_eq!(edit_distance("车位15", "车位16"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    /// The search key is PostgreSQL's (`unit_search_key`, migration 0030):
    /// the variants owners type reach the office's code.
    #[tokio::test]
    async fn typed_variants_find_the_office_code() {
        let db = crate::db::testing::fresh_database().await.unwrap();
        let mut conn = db.pool.acquire().await.unwrap();
        for (code, building) in [
            ("A栋1203", "A"),
            ("12-502", "12"),
            ("D-07", "D"),
            ("3-2-1101", "3"),
            ("B2-车位-015", "B2"),
            ("B栋1203", "B"),
        ] {
            sqlx::query!(
                "INSERT INTO units (code, building, area_m2) VALUES ($1, $2, 80)",
                code,
                building
            )
            .execute(&mut *conn)
            .await
            .unwrap();
        }
        let found = |m: UnitMatch| match m {
            UnitMatch::Found(u) => u.code,
            other => panic!("{other:?}"),
        };
        for (typed, code) in [
            ("A栋1203", "A栋1203"),
            ("A-1203", "A栋1203"),
            ("a栋 1203", "A栋1203"),
            ("Ａ－１２０３", "A栋1203"),
            ("a1203", "A栋1203"),
            ("12-502", "12-502"),
            ("12号楼502室", "12-502"),
            ("d7", "D-07"),
            ("D-07", "D-07"),
            ("3栋2单元1101", "3-2-1101"),
            ("3号楼2单元1101室", "3-2-1101"),
            (" 3-2-1101 ", "3-2-1101"),
            ("b2车位015", "B2-车位-015"),
        ] {
            assert_eq!(
                found(find_unit(&mut conn, typed).await.unwrap()),
                code,
                "{typed}"
            );
        }
        assert_eq!(
            find_unit(&mut conn, "1203").await.unwrap(),
            UnitMatch::Close(vec!["A栋1203".into(), "B栋1203".into()])
        );
        assert_eq!(
            find_unit(&mut conn, "A-1208").await.unwrap(),
            UnitMatch::Close(vec!["A栋1203".into(), "B栋1203".into()])
        );
        assert_eq!(
            find_unit(&mut conn, "Z-9999-77").await.unwrap(),
            UnitMatch::Nothing
        );
        assert_eq!(find_unit(&mut conn, "—").await.unwrap(), UnitMatch::Nothing);
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
