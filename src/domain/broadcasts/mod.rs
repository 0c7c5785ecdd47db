//! Broadcast notices from managers to owners, as data: the audience, the
//! limits a notice must meet, drafts, fixing the recipients when one is
//! confirmed, quiet hours, status changes, progress and RSVP answers.
//!
//! What owners and the author see (the notice with its RSVP buttons, the
//! progress message) is the feature's (`processor::features::broadcast::present`); it
//! also queues the sends (`processor::features::broadcast::confirm`). The periodic job
//! that releases and finishes broadcasts is `scheduler::broadcasts`.
//!
//! A recipient's delivery status is the status of its outbox row
//! (`broadcast_recipients.outbox_id`), so the sender's record is the only
//! record: nothing here has to be kept in step with it.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;

use crate::domain::office_settings;
use crate::domain::units::{self, UnitMatch};
use crate::i18n::{Lang, MAX_TEXT};
use crate::texts::{broadcast as texts, fill};

/// Telegram's limit on a photo's caption.
pub const CAPTION_LIMIT: usize = 1024;
/// Recipients written per statement when a broadcast is confirmed.
pub const BATCH: i64 = 2_000;
/// The author's progress message is edited at most this often.
pub const PROGRESS_EVERY: Duration = Duration::seconds(3);

pub use crate::domain::quiet_hours::QuietHours;

/// Who receives a broadcast: registered people (a bound Telegram id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Audience {
    All,
    Building {
        building: String,
    },
    Floor {
        building: String,
        floor: i32,
    },
    Units {
        codes: Vec<String>,
    },
    /// Those who answered Join to an earlier broadcast.
    Rsvp {
        broadcast: i64,
    },
}

impl Audience {
    #[must_use]
    pub fn label(&self, lang: Lang) -> String {
        match self {
            Audience::All => texts::AUDIENCE_ALL_LABEL.get(lang).to_string(),
            Audience::Building { building } => fill(
                texts::AUDIENCE_BUILDING_LABEL.get(lang),
                &[("building", building)],
            ),
            Audience::Floor { building, floor } => fill(
                texts::AUDIENCE_FLOOR_LABEL.get(lang),
                &[("building", building), ("floor", &floor.to_string())],
            ),
            Audience::Units { codes } => {
                let mut shown: Vec<&str> = codes.iter().take(5).map(String::as_str).collect();
                if codes.len() > 5 {
                    shown.push("…");
                }
                texts::AUDIENCE_UNITS_LABEL.fill(
                    lang,
                    &[
                        ("count", &codes.len().to_string()),
                        ("units", &shown.join(", ")),
                    ],
                )
            }
            Audience::Rsvp { broadcast } => fill(
                texts::AUDIENCE_RSVP_LABEL.get(lang),
                &[("n", &broadcast.to_string())],
            ),
        }
    }

    /// The query parameters of `audience_query!`.
    fn params(
        &self,
    ) -> (
        &'static str,
        Option<&str>,
        Option<i32>,
        Option<&[String]>,
        i64,
    ) {
        match self {
            Audience::All => ("all", None, None, None, 0),
            Audience::Building { building } => ("units", Some(building), None, None, 0),
            Audience::Floor { building, floor } => ("units", Some(building), Some(*floor), None, 0),
            Audience::Units { codes } => ("units", None, None, Some(codes), 0),
            Audience::Rsvp { broadcast } => ("rsvp", None, None, None, *broadcast),
        }
    }
}

/// Runs `$head` + "registered people in the audience" + `$tail` as one
/// checked `query!`. The audience is a sub-select of person, private chat,
/// language, and whether the chat is unreachable (`blocked`, by the rule of
/// [`crate::domain::chats`]), over the parameters `$1`–`$5` of
/// [`Audience::params`].
macro_rules! audience_query {
    ($head:literal, $tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query!(
            $head
                + "SELECT p.id AS person_id, p.telegram_user_id AS chat_id,
                          COALESCE(chat_language(p.telegram_user_id), p.language, 'zh') AS language,
                          NOT chat_is_reachable(p.telegram_user_id) AS blocked
                     FROM people p
                    WHERE p.telegram_user_id IS NOT NULL
                      AND ($1 = 'all'
                           OR ($1 = 'units' AND EXISTS (
                                  SELECT 1 FROM unit_members m JOIN units u ON u.id = m.unit_id
                                   WHERE m.person_id = p.id
                                     AND ($2::text IS NULL OR u.building = $2)
                                     AND ($3::int IS NULL OR u.floor = $3)
                                     AND ($4::text[] IS NULL OR u.code = ANY($4))))
                           OR ($1 = 'rsvp' AND EXISTS (
                                  SELECT 1 FROM broadcast_recipients r
                                   WHERE r.broadcast_id = $5 AND r.rsvp = 'join'
                                     AND r.chat_id = p.telegram_user_id)))"
                + $tail
            $(, $arg)*
        )
    };
}

/// How many registered people `audience` reaches, and how many of them
/// blocked the bot.
pub async fn count_audience(conn: &mut PgConnection, audience: &Audience) -> Result<(i64, i64)> {
    let (kind, building, floor, codes, rsvp) = audience.params();
    let counts = audience_query!(
        r#"SELECT count(*) AS "all!", count(*) FILTER (WHERE blocked) AS "blocked!" FROM ("#,
        ") a",
        kind,
        building,
        floor,
        codes,
        rsvp,
    )
    .fetch_one(conn)
    .await
    .context("counting a broadcast's audience")?;
    Ok((counts.all, counts.blocked))
}

/// The units a manager typed (codes or common variants of them), as the
/// office's codes; and what matched none, each with its close codes if any.
pub async fn resolve_units(
    conn: &mut PgConnection,
    typed: &[String],
) -> Result<(Vec<String>, Vec<(String, Vec<String>)>)> {
    let mut codes = Vec::new();
    let mut unknown = Vec::new();
    for t in typed {
        match units::find_unit(conn, t).await? {
            UnitMatch::Found(u) => codes.push(u.code),
            UnitMatch::Several(close) | UnitMatch::Close(close) => {
                unknown.push((t.clone(), close));
            }
            UnitMatch::Nothing => unknown.push((t.clone(), Vec::new())),
        }
    }
    codes.sort();
    codes.dedup();
    Ok((codes, unknown))
}

/// Whether broadcast `id` asked for RSVP (so its Join answers can be an audience).
pub async fn had_rsvp(conn: &mut PgConnection, id: i64) -> Result<bool> {
    let rsvp = sqlx::query_scalar!(
        "SELECT rsvp FROM broadcasts WHERE id = $1 AND status IN ('scheduled', 'sending', 'done')",
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(rsvp.unwrap_or(false))
}

/// Why a notice cannot go out as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Nobody registered is in the audience.
    NoAudience,
    /// Over Telegram's limit (`limit` is 4096, or 1024 with a photo).
    TooLong { len: usize, limit: usize },
    /// Not a draft any more (confirmed twice, cancelled).
    NotADraft,
    /// The draft lacks its audience or text.
    Incomplete,
}

impl Refusal {
    #[must_use]
    pub fn explain(&self, lang: Lang, audience: Option<&Audience>) -> String {
        match self {
            Refusal::NoAudience => fill(
                texts::NO_AUDIENCE.get(lang),
                &[(
                    "audience",
                    &audience.map(|a| a.label(lang)).unwrap_or_default(),
                )],
            ),
            Refusal::TooLong { len, limit } if *limit == CAPTION_LIMIT => fill(
                texts::CAPTION_TOO_LONG.get(lang),
                &[("len", &len.to_string())],
            ),
            Refusal::TooLong { len, limit } => fill(
                texts::TEXT_TOO_LONG.get(lang),
                &[("len", &len.to_string()), ("limit", &limit.to_string())],
            ),
            Refusal::NotADraft => texts::ALREADY_CONFIRMED.get(lang).to_string(),
            Refusal::Incomplete => texts::ASK_TEXT.get(lang).to_string(),
        }
    }
}

/// Checks a notice's length against Telegram's limits.
pub fn check_text(text: &str, with_photo: bool) -> std::result::Result<(), Refusal> {
    let len = text.chars().count();
    let limit = if with_photo { CAPTION_LIMIT } else { MAX_TEXT };
    if len > limit {
        return Err(Refusal::TooLong { len, limit });
    }
    Ok(())
}

/// A notice to create and confirm in one go (the library path; the chat flow
/// builds the same row step by step).
#[derive(Debug, Clone)]
pub struct NewBroadcast {
    pub author_user_id: i64,
    pub author_chat_id: i64,
    pub audience: Audience,
    pub text: String,
    pub photo: Option<String>,
    pub rsvp: bool,
    pub urgent: bool,
    /// None: now.
    pub send_at: Option<DateTime<Utc>>,
}

/// A confirmed broadcast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub id: i64,
    pub recipients: i64,
    pub skipped_blocked: i64,
    pub starts_at: DateTime<Utc>,
    /// True if quiet hours moved the start.
    pub held: bool,
}

/// What the time settings of a broadcast need.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub timezone: Tz,
    pub quiet_hours: QuietHours,
}

impl Schedule {
    /// The estate's time zone and the office's quiet hours in force now.
    pub async fn load(conn: &mut PgConnection, timezone: Tz) -> Result<Schedule> {
        Ok(Schedule {
            timezone,
            quiet_hours: office_settings::load(conn).await?.quiet_hours,
        })
    }

    /// When a notice asked for `send_at` really starts.
    #[must_use]
    pub fn starts_at(
        &self,
        send_at: Option<DateTime<Utc>>,
        urgent: bool,
        now: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let at = send_at.map_or(now, |t| t.max(now));
        if urgent {
            at
        } else {
            self.quiet_hours.release(at, self.timezone)
        }
    }

    /// `2026-12-01 10:00` in local time.
    #[must_use]
    pub fn parse_local(&self, text: &str) -> Option<DateTime<Utc>> {
        let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M").ok()?;
        self.timezone
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }

    #[must_use]
    pub fn show(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.timezone)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }
}

/// Writes `new` as the author's draft, ready to confirm (what the library
/// path confirms at once). Fails if the author has a draft open.
pub async fn insert_draft(conn: &mut PgConnection, new: &NewBroadcast) -> Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO broadcasts
             (author_user_id, author_chat_id, status, audience, text, photo, rsvp, urgent, send_at)
         VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8)
         ON CONFLICT (author_user_id) WHERE status = 'draft' DO NOTHING
         RETURNING id",
        new.author_user_id,
        new.author_chat_id,
        serde_json::to_value(&new.audience)?,
        new.text,
        new.photo,
        new.rsvp,
        new.urgent,
        new.send_at
    )
    .fetch_optional(&mut *conn)
    .await?
    .context("the author has a draft broadcast open; finish or cancel it first")
}

/// A broadcast as stored.
#[derive(Debug, Clone)]
pub struct Broadcast {
    pub id: i64,
    pub author_user_id: i64,
    pub author_chat_id: i64,
    pub status: String,
    pub audience: Option<Audience>,
    pub text: Option<String>,
    pub photo: Option<String>,
    pub rsvp: bool,
    pub urgent: bool,
    pub send_at: Option<DateTime<Utc>>,
    pub starts_at: Option<DateTime<Utc>>,
    pub status_outbox_id: Option<i64>,
    pub progress_text: Option<String>,
    pub progress_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The notice in other languages than Chinese, by language code.
    pub texts: BTreeMap<String, String>,
    /// The activity this notice announces (its buttons are the activity's).
    pub activity_id: Option<i64>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub recalled_at: Option<DateTime<Utc>>,
    /// The author's recall message (edited when every deletion is done).
    pub recall_outbox_id: Option<i64>,
    pub recall_finished_at: Option<DateTime<Utc>>,
}

impl Broadcast {
    /// The notice a reader of `lang` gets: their language's version, or the
    /// Chinese one.
    #[must_use]
    pub fn text_in(&self, lang: Lang) -> Option<&str> {
        self.texts
            .get(lang.code())
            .map(String::as_str)
            .or(self.text.as_deref())
    }

    /// The languages the notice is written in: Chinese, then the others given.
    #[must_use]
    pub fn languages(&self) -> Vec<Lang> {
        Lang::ALL
            .into_iter()
            .filter(|l| *l == Lang::default() || self.texts.contains_key(l.code()))
            .collect()
    }
}

/// A `broadcasts` row as the queries below select it (every one names the
/// same columns), before its audience is read from JSON.
struct BroadcastRow {
    id: i64,
    author_user_id: i64,
    author_chat_id: i64,
    status: String,
    audience: Option<serde_json::Value>,
    text: Option<String>,
    photo: Option<String>,
    rsvp: bool,
    urgent: bool,
    send_at: Option<DateTime<Utc>>,
    starts_at: Option<DateTime<Utc>>,
    status_outbox_id: Option<i64>,
    progress_text: Option<String>,
    progress_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    texts: serde_json::Value,
    activity_id: Option<i64>,
    confirmed_at: Option<DateTime<Utc>>,
    stopped_at: Option<DateTime<Utc>>,
    recalled_at: Option<DateTime<Utc>>,
    recall_outbox_id: Option<i64>,
    recall_finished_at: Option<DateTime<Utc>>,
}

fn from_row(row: BroadcastRow) -> Result<Broadcast> {
    Ok(Broadcast {
        id: row.id,
        author_user_id: row.author_user_id,
        author_chat_id: row.author_chat_id,
        status: row.status,
        audience: row.audience.map(serde_json::from_value).transpose()?,
        text: row.text,
        photo: row.photo,
        rsvp: row.rsvp,
        urgent: row.urgent,
        send_at: row.send_at,
        starts_at: row.starts_at,
        status_outbox_id: row.status_outbox_id,
        progress_text: row.progress_text,
        progress_at: row.progress_at,
        created_at: row.created_at,
        texts: serde_json::from_value(row.texts).context("a broadcast's texts")?,
        activity_id: row.activity_id,
        confirmed_at: row.confirmed_at,
        stopped_at: row.stopped_at,
        recalled_at: row.recalled_at,
        recall_outbox_id: row.recall_outbox_id,
        recall_finished_at: row.recall_finished_at,
    })
}

/// Loads broadcast `id`, locking it for this transaction.
pub async fn load_for_update(conn: &mut PgConnection, id: i64) -> Result<Option<Broadcast>> {
    let row = sqlx::query_as!(
        BroadcastRow,
        "SELECT id, author_user_id, author_chat_id, status, audience, text, photo, rsvp,
                urgent, send_at, starts_at, status_outbox_id, progress_text, progress_at, created_at,
                texts, activity_id, confirmed_at, stopped_at, recalled_at, recall_outbox_id,
                recall_finished_at
           FROM broadcasts WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await?;
    row.map(from_row).transpose()
}

/// The author's open draft, locked.
pub async fn draft_of(conn: &mut PgConnection, author_user_id: i64) -> Result<Option<Broadcast>> {
    let row = sqlx::query_as!(
        BroadcastRow,
        "SELECT id, author_user_id, author_chat_id, status, audience, text, photo, rsvp,
                urgent, send_at, starts_at, status_outbox_id, progress_text, progress_at, created_at,
                texts, activity_id, confirmed_at, stopped_at, recalled_at, recall_outbox_id,
                recall_finished_at
           FROM broadcasts WHERE author_user_id = $1 AND status = 'draft' FOR UPDATE",
        author_user_id
    )
    .fetch_optional(conn)
    .await?;
    row.map(from_row).transpose()
}

/// Starts a new draft for the author (cancelling an unfinished one).
pub async fn start_draft(
    conn: &mut PgConnection,
    author_user_id: i64,
    chat_id: i64,
) -> Result<i64> {
    sqlx::query!(
        "UPDATE broadcasts SET status = 'cancelled', updated_at = now()
          WHERE author_user_id = $1 AND status = 'draft'",
        author_user_id
    )
    .execute(&mut *conn)
    .await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO broadcasts (author_user_id, author_chat_id) VALUES ($1, $2) RETURNING id",
        author_user_id,
        chat_id
    )
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// The fields a compose step may change (None: leave as is). Which step
/// the draft is at is the author's conversation state.
#[derive(Debug, Default, Clone)]
pub struct DraftChange {
    pub audience: Option<Audience>,
    pub text: Option<String>,
    pub photo: Option<Option<String>>,
    pub rsvp: Option<bool>,
    pub urgent: Option<bool>,
    pub send_at: Option<Option<DateTime<Utc>>>,
}

pub async fn update_draft(conn: &mut PgConnection, id: i64, change: DraftChange) -> Result<()> {
    sqlx::query!(
        "UPDATE broadcasts
            SET audience = COALESCE($2, audience),
                text = COALESCE($3, text),
                photo = CASE WHEN $4 THEN $5 ELSE photo END,
                rsvp = COALESCE($6, rsvp),
                urgent = COALESCE($7, urgent),
                send_at = CASE WHEN $8 THEN $9 ELSE send_at END,
                updated_at = now()
          WHERE id = $1 AND status = 'draft'",
        id,
        change.audience.map(serde_json::to_value).transpose()?,
        change.text,
        change.photo.is_some(),
        change.photo.flatten(),
        change.rsvp,
        change.urgent,
        change.send_at.is_some(),
        change.send_at.flatten()
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn cancel_draft(conn: &mut PgConnection, id: i64) -> Result<bool> {
    let n = sqlx::query!(
        "UPDATE broadcasts SET status = 'cancelled', updated_at = now()
          WHERE id = $1 AND status = 'draft'",
        id
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Sets (Some) or removes (None) the draft's version in `lang` (not the
/// Chinese one, which is `text`).
pub async fn set_text_in(
    conn: &mut PgConnection,
    id: i64,
    lang: Lang,
    text: Option<&str>,
) -> Result<()> {
    sqlx::query!(
        "UPDATE broadcasts
            SET texts = CASE WHEN $3::text IS NULL THEN texts - $2
                             ELSE jsonb_set(texts, ARRAY[$2], to_jsonb($3::text)) END,
                updated_at = now()
          WHERE id = $1 AND status = 'draft'",
        id,
        lang.code(),
        text
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Links a draft to the activity it announces.
pub async fn set_activity(conn: &mut PgConnection, id: i64, activity_id: i64) -> Result<()> {
    sqlx::query!(
        "UPDATE broadcasts SET activity_id = $2 WHERE id = $1 AND status = 'draft'",
        id,
        activity_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// What stopping a broadcast came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOutcome {
    /// Stopped: `withheld` copies will not be sent; `sent` had gone out.
    Stopped {
        withheld: u64,
        sent: i64,
    },
    /// Every copy had gone out already (or it was stopped before).
    NotRunning,
    NotFound,
}

/// Withholds the copies of broadcast `id` not yet sent (their outbox rows
/// become 'cancelled'); the broadcast is 'cancelled' with who stopped it.
/// Works on a scheduled (quiet-hours-held, sent later) or sending one.
pub async fn stop(
    conn: &mut PgConnection,
    id: i64,
    by: i64,
    now: DateTime<Utc>,
) -> Result<StopOutcome> {
    let Some(b) = load_for_update(conn, id).await? else {
        return Ok(StopOutcome::NotFound);
    };
    if b.confirmed_at.is_none() {
        return Ok(StopOutcome::NotFound);
    }
    if !matches!(b.status.as_str(), "scheduled" | "sending") {
        return Ok(StopOutcome::NotRunning);
    }
    let withheld = withhold(conn, id).await?;
    sqlx::query!(
        "UPDATE broadcasts SET status = 'cancelled', stopped_at = $2, stopped_by = $3,
                finished_at = $2, updated_at = now()
          WHERE id = $1",
        id,
        now,
        by
    )
    .execute(&mut *conn)
    .await?;
    let sent = progress(conn, id).await?.sent;
    Ok(StopOutcome::Stopped { withheld, sent })
}

/// Cancels the outbox rows of `id`'s copies that have not left yet.
async fn withhold(conn: &mut PgConnection, id: i64) -> Result<u64> {
    let n = sqlx::query!(
        "UPDATE outbox o SET status = 'cancelled', last_error = 'broadcast stopped'
           FROM broadcast_recipients r
          WHERE r.broadcast_id = $1 AND o.id = r.outbox_id AND o.status = 'pending'",
        id
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n)
}

/// How long after its sending Telegram still deletes a message. A copy is
/// asked to be deleted only if it is younger than this less [`RECALL_MARGIN`].
pub const RECALL_WITHIN: Duration = Duration::hours(48);
/// Time for the deleteMessage to reach Telegram.
pub const RECALL_MARGIN: Duration = Duration::minutes(5);

/// What recalling a broadcast came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecallOutcome {
    /// Recalled: delete these copies, as (chat, outbox row of the copy).
    Recalled {
        delete: Vec<(i64, i64)>,
    },
    AlreadyRecalled,
    NotFound,
}

/// Recalls broadcast `id`: withholds what has not gone out, and marks each
/// recipient's copy as to delete (delivered less than [`RECALL_WITHIN`]
/// ago), too old to delete, or never delivered. The caller queues the
/// deletions and links them with [`link_recall`].
pub async fn recall(
    conn: &mut PgConnection,
    id: i64,
    by: i64,
    now: DateTime<Utc>,
) -> Result<RecallOutcome> {
    let Some(b) = load_for_update(conn, id).await? else {
        return Ok(RecallOutcome::NotFound);
    };
    if b.confirmed_at.is_none() {
        return Ok(RecallOutcome::NotFound);
    }
    if b.recalled_at.is_some() {
        return Ok(RecallOutcome::AlreadyRecalled);
    }
    withhold(conn, id).await?;
    let oldest = now - RECALL_WITHIN + RECALL_MARGIN;
    sqlx::query!(
        "UPDATE broadcast_recipients r
            SET recall = CASE WHEN o.status = 'sent' AND o.message_id IS NOT NULL AND o.sent_at > $2
                              THEN 'queued'
                              WHEN o.status = 'sent' THEN 'too_old'
                              ELSE 'not_delivered' END
           FROM outbox o
          WHERE r.broadcast_id = $1 AND o.id = r.outbox_id",
        id,
        oldest
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE broadcast_recipients SET recall = 'not_delivered'
          WHERE broadcast_id = $1 AND outbox_id IS NULL",
        id
    )
    .execute(&mut *conn)
    .await?;
    let delete = sqlx::query!(
        r#"SELECT chat_id, outbox_id AS "outbox_id!" FROM broadcast_recipients
            WHERE broadcast_id = $1 AND recall = 'queued' ORDER BY id"#,
        id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.chat_id, r.outbox_id))
    .collect();
    sqlx::query!(
        "UPDATE broadcasts
            SET status = CASE WHEN status IN ('scheduled', 'sending') THEN 'cancelled' ELSE status END,
                stopped_at = CASE WHEN status IN ('scheduled', 'sending') THEN $2 ELSE stopped_at END,
                recalled_at = $2, recalled_by = $3, updated_at = now()
          WHERE id = $1",
        id,
        now,
        by
    )
    .execute(&mut *conn)
    .await?;
    Ok(RecallOutcome::Recalled { delete })
}

/// Links each recalled copy's chat to the outbox row of its deleteMessage,
/// and records the author's recall message.
pub async fn link_recall(
    conn: &mut PgConnection,
    id: i64,
    deletions: &[(i64, i64)],
    recall_message: i64,
) -> Result<()> {
    let chats: Vec<i64> = deletions.iter().map(|(c, _)| *c).collect();
    let rows: Vec<i64> = deletions.iter().map(|(_, o)| *o).collect();
    sqlx::query!(
        "UPDATE broadcast_recipients r SET recall_outbox_id = q.outbox_id
           FROM unnest($2::bigint[], $3::bigint[]) AS q (chat_id, outbox_id)
          WHERE r.broadcast_id = $1 AND r.chat_id = q.chat_id",
        id,
        &chats,
        &rows
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE broadcasts SET recall_outbox_id = $2 WHERE id = $1",
        id,
        recall_message
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Where a recall stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecallProgress {
    /// Copies asked to be deleted.
    pub asked: i64,
    pub deleted: i64,
    /// Telegram refused (or the chat is gone).
    pub refused: i64,
    /// Deletions not done yet.
    pub pending: i64,
    /// Delivered more than 48 hours ago: not asked.
    pub too_old: i64,
    /// Never delivered (stopped, failed, blocked).
    pub not_delivered: i64,
    /// Who still has a copy: name and units, in unit order.
    pub kept_by: Vec<String>,
}

pub async fn recall_progress(conn: &mut PgConnection, id: i64) -> Result<RecallProgress> {
    let c = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE r.recall = 'queued') AS "asked!",
                  count(*) FILTER (WHERE r.recall = 'queued' AND d.status = 'sent') AS "deleted!",
                  count(*) FILTER (WHERE r.recall = 'queued'
                                     AND d.status IN ('failed', 'unreachable', 'cancelled')) AS "refused!",
                  count(*) FILTER (WHERE r.recall = 'queued'
                                     AND (d.status IS NULL OR d.status IN ('pending', 'sending'))) AS "pending!",
                  count(*) FILTER (WHERE r.recall = 'too_old') AS "too_old!",
                  count(*) FILTER (WHERE r.recall = 'not_delivered') AS "not_delivered!"
             FROM broadcast_recipients r
             LEFT JOIN outbox d ON d.id = r.recall_outbox_id
            WHERE r.broadcast_id = $1"#,
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    let kept_by = sqlx::query!(
        r#"SELECT COALESCE(p.name, r.chat_id::text) AS "name!",
                  COALESCE(string_agg(u.code, ', ' ORDER BY u.code), '') AS "units!"
             FROM broadcast_recipients r
             LEFT JOIN outbox d ON d.id = r.recall_outbox_id
             LEFT JOIN people p ON p.id = r.person_id
             LEFT JOIN unit_members m ON m.person_id = p.id
             LEFT JOIN units u ON u.id = m.unit_id
            WHERE r.broadcast_id = $1
              AND (r.recall = 'too_old'
                   OR (r.recall = 'queued' AND d.status IN ('failed', 'unreachable', 'cancelled')))
            GROUP BY r.id, p.name, r.chat_id
            ORDER BY min(u.code), r.id"#,
        id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        if r.units.is_empty() {
            r.name
        } else {
            format!("{} ({})", r.units, r.name)
        }
    })
    .collect();
    Ok(RecallProgress {
        asked: c.asked,
        deleted: c.deleted,
        refused: c.refused,
        pending: c.pending,
        too_old: c.too_old,
        not_delivered: c.not_delivered,
        kept_by,
    })
}

/// Recalls whose deletions are not all reported yet, locked (skipping those
/// another replica holds).
pub async fn recalls_in_flight(conn: &mut PgConnection) -> Result<Vec<i64>> {
    let ids = sqlx::query_scalar!(
        "SELECT id FROM broadcasts
          WHERE recalled_at IS NOT NULL AND recall_finished_at IS NULL
          ORDER BY id FOR UPDATE SKIP LOCKED"
    )
    .fetch_all(conn)
    .await?;
    Ok(ids)
}

/// The recall of `id` is reported.
pub async fn finish_recall(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> Result<()> {
    sqlx::query!(
        "UPDATE broadcasts SET recall_finished_at = $2 WHERE id = $1",
        id,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A draft whose recipients are fixed: the first half of confirming it. The
/// feature then queues one outbox row per recipient not yet linked to one
/// (`broadcast_recipients.outbox_id`) and calls [`mark_confirmed`].
#[derive(Debug, Clone)]
pub struct Confirming {
    pub broadcast: Broadcast,
    /// Recipients written, blocked ones included.
    pub recipients: u64,
    pub starts_at: DateTime<Utc>,
    /// True if quiet hours moved the start.
    pub held: bool,
}

/// Locks draft `id`, checks it can go out, and fixes its recipients
/// (skipping, and counting, chats that blocked the bot). In the caller's
/// transaction; a refusal writes nothing.
pub async fn fix_recipients(
    conn: &mut PgConnection,
    schedule: Schedule,
    id: i64,
    now: DateTime<Utc>,
) -> Result<std::result::Result<Confirming, Refusal>> {
    let Some(b) = load_for_update(conn, id).await? else {
        return Ok(Err(Refusal::NotADraft));
    };
    if b.status != "draft" {
        return Ok(Err(Refusal::NotADraft));
    }
    let (Some(audience), Some(text)) = (&b.audience, &b.text) else {
        return Ok(Err(Refusal::Incomplete));
    };
    if let Err(r) = check_text(text, b.photo.is_some()) {
        return Ok(Err(r));
    }
    let starts_at = schedule.starts_at(b.send_at, b.urgent, now);
    let held = starts_at > b.send_at.unwrap_or(now).max(now);

    let (kind, building, floor, codes, rsvp) = audience.params();
    let inserted = audience_query!(
        "INSERT INTO broadcast_recipients (broadcast_id, person_id, chat_id, language, skipped_blocked)
         SELECT $6, person_id, chat_id, language, blocked FROM (",
        ") a
         ORDER BY chat_id
         ON CONFLICT (broadcast_id, chat_id) DO NOTHING",
        kind,
        building,
        floor,
        codes,
        rsvp,
        id,
    )
    .execute(&mut *conn)
    .await
    .context("fixing a broadcast's recipients")?
    .rows_affected();
    if inserted == 0 {
        return Ok(Err(Refusal::NoAudience));
    }
    Ok(Ok(Confirming {
        broadcast: b,
        recipients: inserted,
        starts_at,
        held,
    }))
}

/// A recipient whose send is not queued yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unqueued {
    pub chat_id: i64,
    language: String,
}

impl Unqueued {
    /// The language the notice goes out in.
    #[must_use]
    pub fn lang(&self) -> Lang {
        Lang::parse(&self.language).unwrap_or_default()
    }
}

/// Up to `limit` recipients of broadcast `id` not yet queued (and not
/// skipped as blocked), in the order they were fixed.
pub async fn unqueued(conn: &mut PgConnection, id: i64, limit: i64) -> Result<Vec<Unqueued>> {
    let rows = sqlx::query_as!(
        Unqueued,
        "SELECT chat_id, language FROM broadcast_recipients
          WHERE broadcast_id = $1 AND outbox_id IS NULL AND NOT skipped_blocked
          ORDER BY id LIMIT $2",
        id,
        limit,
    )
    .fetch_all(conn)
    .await
    .context("reading a broadcast's unqueued recipients")?;
    Ok(rows)
}

/// Links recipients of broadcast `id` to their outbox rows, given as
/// (chat, outbox row): a recipient's delivery status is its row's.
/// Returns how many were linked.
pub async fn link_outbox(conn: &mut PgConnection, id: i64, rows: &[(i64, i64)]) -> Result<u64> {
    let chats: Vec<i64> = rows.iter().map(|(chat, _)| *chat).collect();
    let outbox: Vec<i64> = rows.iter().map(|(_, row)| *row).collect();
    let linked = sqlx::query!(
        "UPDATE broadcast_recipients r SET outbox_id = q.outbox_id
           FROM unnest($2::bigint[], $3::bigint[]) AS q (chat_id, outbox_id)
          WHERE r.broadcast_id = $1 AND r.chat_id = q.chat_id",
        id,
        &chats,
        &outbox,
    )
    .execute(conn)
    .await
    .context("linking a broadcast's recipients to their sends")?
    .rows_affected();
    Ok(linked)
}

/// The second half, once the recipients' sends are queued: the broadcast is
/// scheduled (or sending, if it starts now) with its counts. Returns how
/// many recipients were skipped as blocked.
pub async fn mark_confirmed(
    conn: &mut PgConnection,
    c: &Confirming,
    now: DateTime<Utc>,
) -> Result<i64> {
    let id = c.broadcast.id;
    let skipped = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM broadcast_recipients WHERE broadcast_id = $1 AND skipped_blocked"#,
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    let status = if c.starts_at > now {
        "scheduled"
    } else {
        "sending"
    };
    sqlx::query!(
        "UPDATE broadcasts
            SET status = $2, starts_at = $3, recipients = $4,
                skipped_blocked = $5, confirmed_at = $6, updated_at = now()
          WHERE id = $1",
        id,
        status,
        c.starts_at,
        i32::try_from(c.recipients)?,
        i32::try_from(skipped)?,
        now
    )
    .execute(&mut *conn)
    .await?;
    Ok(skipped)
}

/// Records the author's progress message (its outbox row, edited in place
/// later) and the text it was sent with.
pub async fn set_progress_message(
    conn: &mut PgConnection,
    id: i64,
    outbox_id: i64,
    text: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query!(
        "UPDATE broadcasts SET status_outbox_id = $2, progress_text = $3, progress_at = $4 WHERE id = $1",
        id,
        outbox_id,
        text,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Where a broadcast's deliveries stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub sent: i64,
    pub failed: i64,
    /// Skipped at confirm (blocked then) or refused by Telegram (403) since.
    pub blocked: i64,
    pub waiting: i64,
    pub join: i64,
    pub decline: i64,
}

pub async fn progress(conn: &mut PgConnection, id: i64) -> Result<Progress> {
    let progress = sqlx::query_as!(
        Progress,
        r#"SELECT count(*) FILTER (WHERE o.status = 'sent') AS "sent!",
                count(*) FILTER (WHERE o.status IN ('failed', 'cancelled')) AS "failed!",
                count(*) FILTER (WHERE r.skipped_blocked OR o.status = 'unreachable') AS "blocked!",
                count(*) FILTER (WHERE o.status IN ('pending', 'sending')) AS "waiting!",
                count(*) FILTER (WHERE r.rsvp = 'join') AS "join!",
                count(*) FILTER (WHERE r.rsvp = 'decline') AS "decline!"
           FROM broadcast_recipients r
           LEFT JOIN outbox o ON o.id = r.outbox_id
          WHERE r.broadcast_id = $1"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(progress)
}

/// Scheduled and sending broadcasts, locked (skipping those another
/// replica holds), oldest first.
pub async fn in_flight(conn: &mut PgConnection) -> Result<Vec<Broadcast>> {
    let rows = sqlx::query_as!(
        BroadcastRow,
        "SELECT id, author_user_id, author_chat_id, status, audience, text, photo, rsvp,
                urgent, send_at, starts_at, status_outbox_id, progress_text, progress_at, created_at,
                texts, activity_id, confirmed_at, stopped_at, recalled_at, recall_outbox_id,
                recall_finished_at
           FROM broadcasts
          WHERE status IN ('scheduled', 'sending')
          ORDER BY id
          FOR UPDATE SKIP LOCKED"
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}

/// The status `b` moves to at `now`: sending once its time came, done when
/// no recipient is waiting.
#[must_use]
pub fn next_status(b: &Broadcast, p: &Progress, now: DateTime<Utc>) -> String {
    if p.waiting == 0 {
        return "done".into();
    }
    if b.status == "scheduled" && b.starts_at.is_some_and(|t| t <= now) {
        return "sending".into();
    }
    b.status.clone()
}

/// Stores `status` and, if `edited`, the progress text just sent to the
/// author; a broadcast becoming done gets its finish time.
pub async fn record_progress(
    conn: &mut PgConnection,
    id: i64,
    status: &str,
    edited: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query!(
        "UPDATE broadcasts
            SET status = $2,
                progress_text = CASE WHEN $3 THEN $4 ELSE progress_text END,
                progress_at = CASE WHEN $3 THEN $5 ELSE progress_at END,
                finished_at = CASE WHEN $2 = 'done' THEN $5 ELSE finished_at END,
                updated_at = now()
          WHERE id = $1",
        id,
        status,
        edited.is_some(),
        edited.unwrap_or_default(),
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// What became of an RSVP press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsvpOutcome {
    Recorded,
    /// The same answer again: nothing changed.
    Same,
    /// Not a recipient of that broadcast, not its message, or no RSVP.
    Expired,
}

/// Records `chat_id`'s answer to broadcast `id`, pressed on `message_id`.
/// The button must be on the message this broadcast sent to this chat, so a
/// forged `b:` button for another broadcast changes nothing.
pub async fn answer_rsvp(
    conn: &mut PgConnection,
    id: i64,
    chat_id: i64,
    message_id: i32,
    join: bool,
    now: DateTime<Utc>,
) -> Result<RsvpOutcome> {
    let row = sqlx::query!(
        r#"SELECT r.id, r.rsvp, o.message_id AS "message_id?"
           FROM broadcast_recipients r
           JOIN broadcasts b ON b.id = r.broadcast_id
           LEFT JOIN outbox o ON o.id = r.outbox_id
          WHERE r.broadcast_id = $1 AND r.chat_id = $2 AND b.rsvp
          FOR UPDATE OF r"#,
        id,
        chat_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(RsvpOutcome::Expired);
    };
    if row.message_id != Some(i64::from(message_id)) {
        return Ok(RsvpOutcome::Expired);
    }
    let answer = if join { "join" } else { "decline" };
    if row.rsvp.as_deref() == Some(answer) {
        return Ok(RsvpOutcome::Same);
    }
    sqlx::query!(
        "UPDATE broadcast_recipients SET rsvp = $2, rsvp_at = $3 WHERE id = $1",
        row.id,
        answer,
        now
    )
    .execute(conn)
    .await?;
    Ok(RsvpOutcome::Recorded)
}

/// A line of `/broadcasts`.
#[derive(Debug, Clone)]
pub struct Summary {
    pub broadcast: Broadcast,
    pub progress: Progress,
}

/// The latest confirmed broadcasts, newest first.
pub async fn list(conn: &mut PgConnection, limit: i64) -> Result<Vec<Summary>> {
    let rows = sqlx::query_as!(
        BroadcastRow,
        "SELECT id, author_user_id, author_chat_id, status, audience, text, photo, rsvp,
                urgent, send_at, starts_at, status_outbox_id, progress_text, progress_at, created_at,
                texts, activity_id, confirmed_at, stopped_at, recalled_at, recall_outbox_id,
                recall_finished_at
           FROM broadcasts
          WHERE status IN ('scheduled', 'sending', 'done')
             OR (status = 'cancelled' AND confirmed_at IS NOT NULL)
          ORDER BY id DESC LIMIT $1",
        limit
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let broadcast = from_row(row)?;
        let progress = progress(conn, broadcast.id).await?;
        out.push(Summary {
            broadcast,
            progress,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::office_settings::OfficeSettings;
    use chrono::NaiveTime;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn quiet_hours_span_midnight() {
        let q = OfficeSettings::default().quiet_hours;
        assert!(q.contains(t(21, 0)) && q.contains(t(23, 59)) && q.contains(t(7, 59)));
        assert!(!q.contains(t(8, 0)) && !q.contains(t(20, 59)));
        assert_eq!(QuietHours::parse("21:00-08:00").unwrap(), q);
        assert!(QuietHours::parse("21-8").is_err());
    }

    #[test]
    fn a_late_notice_waits_until_the_morning() {
        let s = Schedule {
            timezone: chrono_tz::Asia::Shanghai,
            quiet_hours: OfficeSettings::default().quiet_hours,
        };
        let evening = s.parse_local("2026-12-01 22:30").unwrap();
        let morning = s.parse_local("2026-12-02 08:00").unwrap();
        let early = s.parse_local("2026-12-02 06:00").unwrap();
        let noon = s.parse_local("2026-12-02 12:00").unwrap();
        assert_eq!(s.starts_at(None, false, evening), morning);
        assert_eq!(s.starts_at(None, false, early), morning);
        assert_eq!(s.starts_at(None, true, evening), evening);
        assert_eq!(s.starts_at(Some(noon), false, evening), noon);
        assert_eq!(s.show(morning), "2026-12-02 08:00");
    }

    #[test]
    fn texts_over_telegrams_limits_are_refused() {
        assert!(check_text(&"字".repeat(4096), false).is_ok());
        assert_eq!(
            check_text(&"字".repeat(4097), false),
            Err(Refusal::TooLong {
                len: 4097,
                limit: 4096
            })
        );
        assert!(check_text(&"a".repeat(1025), true).is_err());
        assert!(check_text(&"a".repeat(1024), true).is_ok());
    }

    #[test]
    fn audiences_round_trip_through_json() {
        for a in [
            Audience::All,
            Audience::Floor {
                building: "3".into(),
                floor: 12,
            },
            Audience::Units {
                codes: vec!["3-1-1201".into()],
            },
            Audience::Rsvp { broadcast: 4 },
        ] {
            let v = serde_json::to_value(&a).unwrap();
            assert_eq!(serde_json::from_value::<Audience>(v).unwrap(), a);
        }
    }
}
