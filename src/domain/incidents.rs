//! Outages (incidents) declared by staff for one or more buildings: what a
//! declaration may say (parsed and checked here, before any SQL), and the
//! incident SQL — declare, list, find for an owner, join, notify, close.

use std::fmt;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use sqlx::PgConnection;

use crate::domain::chats;
use crate::i18n::Lang;
use crate::texts;

/// What kind of service is out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncidentKind {
    Water,
    Power,
    Lift,
    Gas,
    Network,
    Other,
}

impl IncidentKind {
    pub const ALL: [IncidentKind; 6] = [
        IncidentKind::Water,
        IncidentKind::Power,
        IncidentKind::Lift,
        IncidentKind::Gas,
        IncidentKind::Network,
        IncidentKind::Other,
    ];

    /// The kinds the outage form offers.
    pub const DECLARED: [IncidentKind; 5] = [
        IncidentKind::Water,
        IncidentKind::Power,
        IncidentKind::Gas,
        IncidentKind::Lift,
        IncidentKind::Network,
    ];

    /// The outage a repair of this category (the repair dialogue's
    /// `category`) may be part of.
    #[must_use]
    pub fn of_repair_category(category: &str) -> Option<IncidentKind> {
        Some(match category {
            "water" => IncidentKind::Water,
            "electricity" => IncidentKind::Power,
            "lift" => IncidentKind::Lift,
            "gas" => IncidentKind::Gas,
            "network" => IncidentKind::Network,
            _ => return None,
        })
    }

    /// The value stored in `incidents.kind`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::Water => "water",
            IncidentKind::Power => "power",
            IncidentKind::Lift => "lift",
            IncidentKind::Gas => "gas",
            IncidentKind::Network => "network",
            IncidentKind::Other => "other",
        }
    }

    /// Accepts the English names (and `electricity`, `elevator`) and the
    /// Chinese ones staff type (水, 电, 电梯, 燃气, 其他 …).
    #[must_use]
    pub fn parse(input: &str) -> Option<IncidentKind> {
        Some(match input.trim().to_lowercase().as_str() {
            "water" | "水" | "停水" => IncidentKind::Water,
            "power" | "electricity" | "电" | "停电" => IncidentKind::Power,
            "lift" | "elevator" | "电梯" => IncidentKind::Lift,
            "gas" | "燃气" | "煤气" | "停气" => IncidentKind::Gas,
            "network" | "internet" | "网络" | "断网" => IncidentKind::Network,
            "other" | "其他" | "其它" => IncidentKind::Other,
            _ => return None,
        })
    }

    /// `Water outage` / `停水`.
    #[must_use]
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            IncidentKind::Water => texts::labels::INCIDENT_WATER,
            IncidentKind::Power => texts::labels::INCIDENT_POWER,
            IncidentKind::Lift => texts::labels::INCIDENT_LIFT,
            IncidentKind::Gas => texts::labels::INCIDENT_GAS,
            IncidentKind::Network => texts::outage::KIND_NETWORK,
            IncidentKind::Other => texts::labels::INCIDENT_OTHER,
        }
        .get(lang)
    }

    fn from_stored(stored: &str) -> IncidentKind {
        IncidentKind::parse(stored).unwrap_or(IncidentKind::Other)
    }
}

/// An incident's number, shown as `#7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IncidentId(pub i64);

impl IncidentId {
    /// `7` or `#7`; nothing else.
    #[must_use]
    pub fn parse(input: &str) -> Option<IncidentId> {
        let digits = input.trim().trim_start_matches('#');
        match digits.parse::<i64>() {
            Ok(n) if n > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => Some(IncidentId(n)),
            _ => None,
        }
    }
}

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A checked declaration: every part valid, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub buildings: Vec<String>,
    pub kind: IncidentKind,
    pub expected_end: DateTime<Utc>,
    pub text: String,
}

/// Why a declaration was refused; each case has its own answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeclareError {
    #[error("nothing after the command")]
    Empty,
    #[error("no building given")]
    NoBuildings,
    #[error("unknown building {0:?}")]
    UnknownBuilding(String),
    #[error("missing kind")]
    MissingKind,
    #[error("unknown kind {0:?}")]
    UnknownKind(String),
    #[error("missing expected end")]
    MissingEnd,
    #[error("bad time {0:?}")]
    BadTime(String),
    #[error("expected end {0} is in the past")]
    EndInPast(String),
    #[error("missing text")]
    MissingText,
    #[error("text of {got} characters is over the limit of {max}")]
    TooLong { got: usize, max: usize },
}

/// The longest notice text accepted: with the notice's header and footer the
/// message stays within Telegram's 4096 characters.
pub const MAX_TEXT: usize = 3500;

/// Parses `/incident`'s arguments: `BUILDINGS KIND END TEXT…`, e.g.
/// `3,5 water 2026-11-28T18:00 Pipe repair on the main line`.
///
/// Buildings are comma separated (`3,5`, `3，5`); the end is local time in
/// `tz`, written `2026-11-28T18:00`, `2026-11-28 18:00`, or `18:00` (today).
/// `known` is every building of the estate.
pub fn parse_declaration(
    args: &str,
    known: &[String],
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Declaration, DeclareError> {
    let args = args.trim();
    if args.is_empty() {
        return Err(DeclareError::Empty);
    }
    let (first, rest) = next_word(args);
    let buildings = parse_buildings(first, known)?;
    let (kind_word, rest) = next_word(rest);
    if kind_word.is_empty() {
        return Err(DeclareError::MissingKind);
    }
    let kind = IncidentKind::parse(kind_word)
        .ok_or_else(|| DeclareError::UnknownKind(kind_word.to_string()))?;
    let (end_word, rest) = next_word(rest);
    if end_word.is_empty() {
        return Err(DeclareError::MissingEnd);
    }
    let (expected_end, rest) = parse_end(end_word, rest, now, tz)?;
    if expected_end <= now {
        return Err(DeclareError::EndInPast(
            expected_end
                .with_timezone(&tz)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        ));
    }
    let text = rest.trim();
    if text.is_empty() {
        return Err(DeclareError::MissingText);
    }
    let got = text.chars().count();
    if got > MAX_TEXT {
        return Err(DeclareError::TooLong { got, max: MAX_TEXT });
    }
    Ok(Declaration {
        buildings,
        kind,
        expected_end,
        text: text.to_string(),
    })
}

fn next_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    }
}

fn parse_buildings(word: &str, known: &[String]) -> Result<Vec<String>, DeclareError> {
    let mut buildings: Vec<String> = Vec::new();
    for part in word.split([',', '，', '、']) {
        // "3号楼" and "3栋" name building 3 as well.
        let name = part
            .trim()
            .trim_end_matches("号楼")
            .trim_end_matches('栋')
            .trim();
        if name.is_empty() {
            continue;
        }
        let Some(found) = known.iter().find(|k| k.eq_ignore_ascii_case(name)) else {
            return Err(DeclareError::UnknownBuilding(name.to_string()));
        };
        if !buildings.contains(found) {
            buildings.push(found.clone());
        }
    }
    if buildings.is_empty() {
        return Err(DeclareError::NoBuildings);
    }
    Ok(buildings)
}

/// The expected end and what follows it (`2026-11-28 18:00` takes two words).
fn parse_end<'a>(
    word: &str,
    rest: &'a str,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<(DateTime<Utc>, &'a str), DeclareError> {
    let bad = || DeclareError::BadTime(word.to_string());
    let time = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").ok();
    let (naive, rest) = if let Some(t) = time(word) {
        (now.with_timezone(&tz).date_naive().and_time(t), rest)
    } else if let Ok(dt) = NaiveDateTime::parse_from_str(word, "%Y-%m-%dT%H:%M") {
        (dt, rest)
    } else if let Ok(date) = NaiveDate::parse_from_str(word, "%Y-%m-%d") {
        let (t_word, after) = next_word(rest);
        let t = time(t_word).ok_or_else(|| DeclareError::BadTime(format!("{word} {t_word}")))?;
        (date.and_time(t), after)
    } else {
        return Err(bad());
    };
    // A time skipped by a daylight-saving change has no instant.
    let at = tz.from_local_datetime(&naive).earliest().ok_or_else(bad)?;
    Ok((at.with_timezone(&Utc), rest))
}

/// An incident as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: IncidentId,
    pub buildings: Vec<String>,
    pub kind: IncidentKind,
    pub expected_end: DateTime<Utc>,
    pub text: String,
    pub declared_by: i64,
    pub created_at: DateTime<Utc>,
    pub notified_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Owners who joined it.
    pub reports: i64,
}

/// An incident as the queries below select it (each names the same
/// columns, with the count of its reports).
struct IncidentRow {
    id: i64,
    buildings: Vec<String>,
    kind: String,
    expected_end: DateTime<Utc>,
    text: String,
    declared_by: i64,
    created_at: DateTime<Utc>,
    notified_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    reports: i64,
}

fn from_row(row: IncidentRow) -> Incident {
    Incident {
        id: IncidentId(row.id),
        buildings: row.buildings,
        kind: IncidentKind::from_stored(&row.kind),
        expected_end: row.expected_end,
        text: row.text,
        declared_by: row.declared_by,
        created_at: row.created_at,
        notified_at: row.notified_at,
        closed_at: row.closed_at,
        reports: row.reports,
    }
}

/// Every building of the estate (what a declaration may name).
pub async fn known_buildings(conn: &mut PgConnection) -> Result<Vec<String>> {
    sqlx::query_scalar!("SELECT DISTINCT building FROM units ORDER BY building")
        .fetch_all(conn)
        .await
        .context("reading the estate's buildings")
}

/// Stores a declaration by `staff_id` made in `chat_id`.
pub async fn declare(
    conn: &mut PgConnection,
    d: &Declaration,
    staff_id: i64,
    chat_id: i64,
    now: DateTime<Utc>,
) -> Result<IncidentId> {
    let id = sqlx::query_scalar!(
        "INSERT INTO incidents (buildings, kind, expected_end, text, declared_by, declared_chat_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        &d.buildings,
        d.kind.as_str(),
        d.expected_end,
        d.text,
        staff_id,
        chat_id,
        now
    )
    .fetch_one(conn)
    .await
    .context("declaring an incident")?;
    Ok(IncidentId(id))
}

/// One incident, open or closed.
pub async fn load(conn: &mut PgConnection, id: IncidentId) -> Result<Option<Incident>> {
    let row = sqlx::query_as!(
        IncidentRow,
        r#"SELECT i.id, i.buildings, i.kind, i.expected_end, i.text, i.declared_by,
                i.created_at, i.notified_at, i.closed_at,
                (SELECT count(*) FROM incident_reports r WHERE r.incident_id = i.id) AS "reports!"
           FROM incidents i WHERE i.id = $1"#,
        id.0
    )
    .fetch_optional(conn)
    .await
    .context("reading an incident")?;
    Ok(row.map(from_row))
}

/// The active incidents, oldest first.
pub async fn active(conn: &mut PgConnection) -> Result<Vec<Incident>> {
    let rows = sqlx::query_as!(
        IncidentRow,
        r#"SELECT i.id, i.buildings, i.kind, i.expected_end, i.text, i.declared_by,
                i.created_at, i.notified_at, i.closed_at,
                (SELECT count(*) FROM incident_reports r WHERE r.incident_id = i.id) AS "reports!"
           FROM incidents i WHERE i.closed_at IS NULL ORDER BY i.id"#
    )
    .fetch_all(conn)
    .await
    .context("listing active incidents")?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// What joining an incident came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinOutcome {
    Joined,
    AlreadyJoined,
    /// Closed, unknown, or not in one of the person's buildings.
    NotOpen,
}

/// Adds `person_id`'s report to the incident, if it is active and covers a
/// building of theirs.
pub async fn join(
    conn: &mut PgConnection,
    id: IncidentId,
    person_id: i64,
    chat_id: i64,
    now: DateTime<Utc>,
) -> Result<JoinOutcome> {
    let row = sqlx::query!(
        r#"WITH target AS (
             SELECT i.id FROM incidents i
              WHERE i.id = $1 AND i.closed_at IS NULL
                AND i.buildings && ARRAY(
                    SELECT u.building FROM unit_members m JOIN units u ON u.id = m.unit_id
                     WHERE m.person_id = $2)),
         added AS (
             INSERT INTO incident_reports (incident_id, person_id, chat_id, at)
             SELECT id, $2, $3, $4 FROM target
             ON CONFLICT (incident_id, person_id) DO NOTHING
             RETURNING incident_id)
         SELECT EXISTS (SELECT 1 FROM target) AS "open!", EXISTS (SELECT 1 FROM added) AS "added!""#,
        id.0,
        person_id,
        chat_id,
        now
    )
    .fetch_one(conn)
    .await
    .context("joining an incident")?;
    let outcome = match (row.open, row.added) {
        (false, _) => JoinOutcome::NotOpen,
        (true, true) => JoinOutcome::Joined,
        (true, false) => JoinOutcome::AlreadyJoined,
    };
    if outcome == JoinOutcome::Joined {
        tracing::info!(
            incident = id.0,
            person = person_id,
            "owner joined an outage"
        );
    }
    Ok(outcome)
}

impl JoinOutcome {
    /// What the owner is told, if the outage is still open.
    #[must_use]
    pub fn phrase(self) -> Option<texts::Phrase> {
        match self {
            JoinOutcome::Joined => Some(texts::incident::JOINED),
            JoinOutcome::AlreadyJoined => Some(texts::incident::ALREADY_JOINED),
            JoinOutcome::NotOpen => None,
        }
    }
}

/// Marks the incident as notified, once; false if it already was, or is
/// closed or unknown.
pub async fn mark_notified(
    conn: &mut PgConnection,
    id: IncidentId,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = sqlx::query!(
        "UPDATE incidents SET notified_at = $2
          WHERE id = $1 AND notified_at IS NULL AND closed_at IS NULL",
        id.0,
        now
    )
    .execute(&mut *conn)
    .await
    .context("marking an incident notified")?
    .rows_affected();
    Ok(n == 1)
}

/// Records how many owners were sent the notice.
pub async fn set_notified_count(conn: &mut PgConnection, id: IncidentId, n: i64) -> Result<()> {
    sqlx::query!(
        "UPDATE incidents SET notified_count = $2 WHERE id = $1",
        id.0,
        i32::try_from(n).unwrap_or(i32::MAX)
    )
    .execute(conn)
    .await
    .context("recording the notified count")?;
    Ok(())
}

/// What closing came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseOutcome {
    /// Closed now: the incident and who reported it (chat, language).
    Closed(Incident, Vec<(i64, Lang)>),
    AlreadyClosed,
    NotFound,
}

/// Closes an active incident and returns the chats of the owners who
/// joined it, each with their language.
pub async fn close(
    conn: &mut PgConnection,
    id: IncidentId,
    staff_id: i64,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<CloseOutcome> {
    let closed = sqlx::query_scalar!(
        "UPDATE incidents SET closed_at = $2, closed_by = $3, close_note = $4
          WHERE id = $1 AND closed_at IS NULL RETURNING id",
        id.0,
        now,
        staff_id,
        note
    )
    .fetch_optional(&mut *conn)
    .await
    .context("closing an incident")?;
    let Some(incident) = load(conn, id).await? else {
        return Ok(CloseOutcome::NotFound);
    };
    if closed.is_none() {
        return Ok(CloseOutcome::AlreadyClosed);
    }
    let rows = sqlx::query!(
        "SELECT r.chat_id, COALESCE(chat_language(r.chat_id), p.language) AS language
           FROM incident_reports r
           JOIN people p ON p.id = r.person_id
          WHERE r.incident_id = $1
          ORDER BY r.at",
        id.0
    )
    .fetch_all(&mut *conn)
    .await
    .context("reading who reported an incident")?;
    let reporters = rows
        .into_iter()
        .map(|r| {
            let lang = r.language.as_deref().and_then(Lang::parse);
            (r.chat_id, lang.unwrap_or_default())
        })
        .collect();
    Ok(CloseOutcome::Closed(incident, reporters))
}

/// Where an outage is: buildings, and within them entrances (empty: all)
/// and a range of floors (None: no bound), matched against the units' own
/// columns.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Scope {
    pub buildings: Vec<String>,
    #[serde(default)]
    pub entrances: Vec<String>,
    #[serde(default)]
    pub floor_min: Option<i32>,
    #[serde(default)]
    pub floor_max: Option<i32>,
}

/// Why a scope answer was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("no building named")]
    Empty,
    #[error("unknown {0:?}")]
    Unknown(String),
    #[error("bad floors {0:?}")]
    BadFloors(String),
}

/// A list of names (`3,5`, `3，5`, `3 5`, `3号楼`), each one of `known`.
pub fn parse_names(text: &str, known: &[String]) -> std::result::Result<Vec<String>, ScopeError> {
    let mut out: Vec<String> = Vec::new();
    for part in text.split(|c: char| c == ',' || c == '，' || c == '、' || c.is_whitespace()) {
        let name = part
            .trim()
            .trim_end_matches("号楼")
            .trim_end_matches('栋')
            .trim_end_matches("单元")
            .trim();
        if name.is_empty() {
            continue;
        }
        let Some(found) = known.iter().find(|k| k.eq_ignore_ascii_case(name)) else {
            return Err(ScopeError::Unknown(name.to_string()));
        };
        if !out.contains(found) {
            out.push(found.clone());
        }
    }
    if out.is_empty() {
        return Err(ScopeError::Empty);
    }
    Ok(out)
}

/// `5` or `3-8` (also `3–8`, `3~8`, `3至8`).
pub fn parse_floors(text: &str) -> std::result::Result<(i32, i32), ScopeError> {
    let bad = || ScopeError::BadFloors(text.trim().to_string());
    let t = text.trim().trim_end_matches('层');
    let (a, b) = t
        .split_once(['-', '–', '~', '至'])
        .map_or((t, t), |(a, b)| (a, b));
    let (a, b): (i32, i32) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if a > b {
        return Err(bad());
    }
    Ok((a, b))
}

/// The entrances of the units in `buildings`.
pub async fn known_entrances(conn: &mut PgConnection, buildings: &[String]) -> Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT DISTINCT entrance AS \"entrance!\" FROM units WHERE building = ANY($1) AND entrance <> '' ORDER BY 1",
        buildings
    )
    .fetch_all(conn)
    .await
    .context("reading the entrances of buildings")
}

/// How many registered, reachable people live in `scope`.
pub async fn count_affected(conn: &mut PgConnection, scope: &Scope) -> Result<usize> {
    Ok(chats::reachable_residents_in(
        conn,
        &scope.buildings,
        &scope.entrances,
        scope.floor_min,
        scope.floor_max,
    )
    .await?
    .len())
}

/// The outage form as filled in so far (the declarer's conversation state).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FormDraft {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default)]
    pub scope: Scope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_end: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default)]
    pub texts: std::collections::BTreeMap<String, String>,
}

impl FormDraft {
    /// The declaration, once kind, scope, end and text are given.
    #[must_use]
    pub fn complete(&self) -> Option<Form> {
        if self.scope.buildings.is_empty() {
            return None;
        }
        Some(Form {
            kind: IncidentKind::parse(self.kind.as_deref()?)?,
            scope: self.scope.clone(),
            starts_at: self.starts_at,
            expected_end: self.expected_end?,
            text: self.text.clone()?,
            texts: self.texts.clone(),
        })
    }
}

/// `2026-12-20 18:00`, or `18:00` for today, in `tz`.
#[must_use]
pub fn parse_local_time(text: &str, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    let t = text.trim().replace('T', " ");
    let naive = if let Ok(time) = NaiveTime::parse_from_str(&t, "%H:%M") {
        now.with_timezone(&tz).date_naive().and_time(time)
    } else {
        NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M").ok()?
    };
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
}

/// A declaration made with the outage form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub kind: IncidentKind,
    pub scope: Scope,
    pub starts_at: Option<DateTime<Utc>>,
    pub expected_end: DateTime<Utc>,
    /// The Chinese text, every owner's fallback.
    pub text: String,
    /// Other languages, by code.
    pub texts: std::collections::BTreeMap<String, String>,
}

/// Stores a declaration from the form by `staff_id` in `chat_id`.
pub async fn declare_form(
    conn: &mut PgConnection,
    f: &Form,
    staff_id: i64,
    chat_id: i64,
    now: DateTime<Utc>,
) -> Result<IncidentId> {
    let id = sqlx::query_scalar!(
        "INSERT INTO incidents (buildings, entrances, floor_min, floor_max, kind, starts_at, expected_end,
                                text, texts, declared_by, declared_chat_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        &f.scope.buildings,
        &f.scope.entrances,
        f.scope.floor_min,
        f.scope.floor_max,
        f.kind.as_str(),
        f.starts_at,
        f.expected_end,
        f.text,
        serde_json::to_value(&f.texts)?,
        staff_id,
        chat_id,
        now
    )
    .fetch_one(conn)
    .await
    .context("declaring an outage")?;
    Ok(IncidentId(id))
}

/// An outage's scope, start and texts (what the form added to an incident).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    pub scope: Scope,
    pub starts_at: Option<DateTime<Utc>>,
    pub texts: std::collections::BTreeMap<String, String>,
}

pub async fn details(conn: &mut PgConnection, id: IncidentId) -> Result<Option<Details>> {
    let row = sqlx::query!(
        "SELECT buildings, entrances, floor_min, floor_max, starts_at, texts FROM incidents WHERE id = $1",
        id.0
    )
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(Details {
            scope: Scope {
                buildings: r.buildings,
                entrances: r.entrances,
                floor_min: r.floor_min,
                floor_max: r.floor_max,
            },
            starts_at: r.starts_at,
            texts: serde_json::from_value(r.texts).context("an outage's texts")?,
        })
    })
    .transpose()
}

/// Who an update or the all-clear of `id` goes to: everyone in its scope if
/// they were told of it, else those who joined it; reachable, once each.
pub async fn affected(conn: &mut PgConnection, id: IncidentId) -> Result<Vec<(i64, Lang)>> {
    let Some(incident) = load(conn, id).await? else {
        return Ok(Vec::new());
    };
    let mut out: Vec<(i64, Lang)> = Vec::new();
    if incident.notified_at.is_some() {
        if let Some(d) = details(conn, id).await? {
            let s = d.scope;
            for r in chats::reachable_residents_in(
                conn,
                &s.buildings,
                &s.entrances,
                s.floor_min,
                s.floor_max,
            )
            .await?
            {
                out.push((r.chat_id, r.lang()));
            }
        }
    }
    let reporters = sqlx::query!(
        "SELECT r.chat_id, COALESCE(chat_language(r.chat_id), p.language) AS language
           FROM incident_reports r JOIN people p ON p.id = r.person_id
          WHERE r.incident_id = $1 AND chat_is_reachable(r.chat_id)
          ORDER BY r.at",
        id.0
    )
    .fetch_all(&mut *conn)
    .await
    .context("reading who reported an outage")?;
    for r in reporters {
        if !out.iter().any(|(c, _)| *c == r.chat_id) {
            out.push((
                r.chat_id,
                r.language
                    .as_deref()
                    .and_then(Lang::parse)
                    .unwrap_or_default(),
            ));
        }
    }
    Ok(out)
}

/// Records an update (`kind` 'update' or 'all_clear') of outage `id`; a new
/// expected end moves the outage's.
pub async fn add_update(
    conn: &mut PgConnection,
    id: IncidentId,
    kind: &str,
    text: &str,
    expected_end: Option<DateTime<Utc>>,
    by: i64,
    now: DateTime<Utc>,
) -> Result<i64> {
    if let Some(end) = expected_end {
        sqlx::query!(
            "UPDATE incidents SET expected_end = $2 WHERE id = $1",
            id.0,
            end
        )
        .execute(&mut *conn)
        .await?;
    }
    let update = sqlx::query_scalar!(
        "INSERT INTO incident_updates (incident_id, kind, text, expected_end, by_staff, at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        id.0,
        kind,
        text,
        expected_end,
        by,
        now
    )
    .fetch_one(conn)
    .await
    .context("recording an outage update")?;
    Ok(update)
}

pub async fn set_update_count(conn: &mut PgConnection, update: i64, n: usize) -> Result<()> {
    sqlx::query!(
        "UPDATE incident_updates SET notified_count = $2 WHERE id = $1",
        update,
        i32::try_from(n).unwrap_or(i32::MAX)
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Active outages of `kind` whose scope holds `unit`, one of `person_id`'s
/// units, that the person has not joined (what a repair of that kind for
/// that unit is offered to join).
pub async fn active_of_kind_for_unit(
    conn: &mut PgConnection,
    person_id: i64,
    unit: &str,
    kind: IncidentKind,
) -> Result<Vec<Incident>> {
    let ids = sqlx::query_scalar!(
        "SELECT i.id FROM incidents i
          WHERE i.closed_at IS NULL AND i.kind = $2
            AND EXISTS (SELECT 1 FROM unit_members m JOIN units u ON u.id = m.unit_id
                         WHERE m.person_id = $1 AND u.code = $3
                           AND u.building = ANY(i.buildings)
                           AND (cardinality(i.entrances) = 0 OR u.entrance = ANY(i.entrances))
                           AND (i.floor_min IS NULL OR u.floor >= i.floor_min)
                           AND (i.floor_max IS NULL OR u.floor <= i.floor_max))
            AND NOT EXISTS (SELECT 1 FROM incident_reports r
                             WHERE r.incident_id = i.id AND r.person_id = $1)
          ORDER BY i.id",
        person_id,
        kind.as_str(),
        unit
    )
    .fetch_all(&mut *conn)
    .await
    .context("finding outages of a kind for a unit")?;
    let mut out = Vec::new();
    for id in ids {
        if let Some(i) = load(conn, IncidentId(id)).await? {
            out.push(i);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_name_known_buildings_and_floor_ranges() {
        let known: Vec<String> = ["1", "2", "3"].iter().map(|s| (*s).to_string()).collect();
        assert_eq!(
            parse_names("3，1 3号楼", &known),
            Ok(vec!["3".to_string(), "1".to_string()])
        );
        assert_eq!(parse_names(" , ", &known), Err(ScopeError::Empty));
        assert_eq!(
            parse_names("9", &known),
            Err(ScopeError::Unknown("9".into()))
        );
        assert_eq!(parse_floors("3-8"), Ok((3, 8)));
        assert_eq!(parse_floors("5层"), Ok((5, 5)));
        assert_eq!(
            parse_floors("8-3"),
            Err(ScopeError::BadFloors("8-3".into()))
        );
        assert_eq!(
            IncidentKind::of_repair_category("electricity"),
            Some(IncidentKind::Power)
        );
        assert_eq!(IncidentKind::of_repair_category("door_lock"), None);
    }

    fn known() -> Vec<String> {
        ["3", "5", "9", "A"]
            .iter()
            .map(|s| (*s).to_string())
            .collect()
    }

    fn now() -> DateTime<Utc> {
        // 2026-11-27 18:00 in Shanghai.
        Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap()
    }

    fn parse(args: &str) -> Result<Declaration, DeclareError> {
        parse_declaration(args, &known(), now(), chrono_tz::Asia::Shanghai)
    }

    #[test]
    fn a_full_declaration_parses_in_local_time() {
        let d = parse("3,5 water 2026-11-28T18:00 Pipe repair on the main line").unwrap();
        assert_eq!(d.buildings, vec!["3".to_string(), "5".to_string()]);
        assert_eq!(d.kind, IncidentKind::Water);
        assert_eq!(
            d.expected_end,
            Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap()
        );
        assert_eq!(d.text, "Pipe repair on the main line");
    }

    #[test]
    fn other_spellings_of_buildings_kinds_and_times_are_understood() {
        let d = parse("3号楼，a 停电 2026-11-28 08:30 线路检修").unwrap();
        assert_eq!(d.buildings, vec!["3".to_string(), "A".to_string()]);
        assert_eq!(d.kind, IncidentKind::Power);
        assert_eq!(
            d.expected_end,
            Utc.with_ymd_and_hms(2026, 11, 28, 0, 30, 0).unwrap()
        );
        assert_eq!(d.text, "线路检修");
        let today = parse("9 lift 20:00 Annual inspection").unwrap();
        assert_eq!(
            today.expected_end,
            Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
        );
    }

    #[test]
    fn each_bad_part_has_its_own_error() {
        assert_eq!(parse(""), Err(DeclareError::Empty));
        assert_eq!(parse(", water"), Err(DeclareError::NoBuildings));
        assert_eq!(
            parse("3,12 water 2026-11-28T18:00 x"),
            Err(DeclareError::UnknownBuilding("12".into()))
        );
        assert_eq!(parse("3"), Err(DeclareError::MissingKind));
        assert_eq!(
            parse("3 fire 2026-11-28T18:00 x"),
            Err(DeclareError::UnknownKind("fire".into()))
        );
        assert_eq!(parse("3 water"), Err(DeclareError::MissingEnd));
        assert_eq!(
            parse("3 water tomorrow Pipe"),
            Err(DeclareError::BadTime("tomorrow".into()))
        );
        assert_eq!(
            parse("3 water 2026-11-31T18:00 Pipe"),
            Err(DeclareError::BadTime("2026-11-31T18:00".into()))
        );
        assert_eq!(
            parse("3 water 2026-11-28 6pm Pipe"),
            Err(DeclareError::BadTime("2026-11-28 6pm".into()))
        );
        assert_eq!(
            parse("3 water 2026-11-27T09:00 Pipe"),
            Err(DeclareError::EndInPast("2026-11-27 09:00".into()))
        );
        assert_eq!(
            parse("3 water 2026-11-28T18:00   "),
            Err(DeclareError::MissingText)
        );
        let long = format!("3 water 2026-11-28T18:00 {}", "字".repeat(MAX_TEXT + 1));
        assert_eq!(
            parse(&long),
            Err(DeclareError::TooLong {
                got: MAX_TEXT + 1,
                max: MAX_TEXT
            })
        );
    }

    #[test]
    fn incident_numbers_and_kinds_parse() {
        assert_eq!(IncidentId::parse("#7"), Some(IncidentId(7)));
        assert_eq!(IncidentId::parse("7"), Some(IncidentId(7)));
        assert_eq!(IncidentId::parse("0"), None);
        assert_eq!(IncidentId::parse("+7"), None);
        assert_eq!(IncidentId::parse("seven"), None);
        for kind in IncidentKind::ALL {
            assert_eq!(IncidentKind::parse(kind.as_str()), Some(kind));
            assert!(!kind.label(Lang::Zh).is_empty() && !kind.label(Lang::En).is_empty());
        }
    }
}
