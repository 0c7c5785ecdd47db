//! Broadcast notices from managers to owners: the audience, the limits a
//! notice must meet, confirming one (recipients and their outbox rows in one
//! transaction), quiet hours, RSVP answers, and the periodic job that keeps
//! the author's progress message up to date.
//!
//! A recipient's delivery status is the status of its outbox row
//! (`broadcast_recipients.outbox_id`), so the sender's record is the only
//! record: nothing here has to be kept in step with it.

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, Row};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::domain::office_settings;
use crate::i18n::{Lang, MAX_TEXT};
use crate::processor::App;
use crate::telegram::callback::Callback;
use crate::telegram::outbox::{self, Lane, Outgoing, Request, Target, NOTIFY_CHANNEL};
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
                fill(
                    texts::AUDIENCE_UNITS_LABEL.get(lang),
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

    /// The query parameters of `AUDIENCE_SQL`.
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

/// Registered people in the audience: person, private chat, language, blocked.
const AUDIENCE_SQL: &str = "
    SELECT p.id AS person_id, p.telegram_user_id AS chat_id,
           COALESCE(c.language, p.language, 'zh') AS language,
           c.blocked_at IS NOT NULL AS blocked
      FROM people p
      LEFT JOIN chats c ON c.chat_id = p.telegram_user_id
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
                      AND r.chat_id = p.telegram_user_id)))";

/// How many registered people `audience` reaches, and how many of them
/// blocked the bot.
pub async fn count_audience(conn: &mut PgConnection, audience: &Audience) -> Result<(i64, i64)> {
    let (kind, building, floor, codes, rsvp) = audience.params();
    let row = sqlx::query(&format!(
        "SELECT count(*) AS total, count(*) FILTER (WHERE blocked) AS blocked FROM ({AUDIENCE_SQL}) a"
    ))
    .bind(kind)
    .bind(building)
    .bind(floor)
    .bind(codes)
    .bind(rsvp)
    .fetch_one(conn)
    .await
    .context("counting a broadcast's audience")?;
    Ok((row.get("total"), row.get("blocked")))
}

/// Unit codes in `codes` that do not exist.
pub async fn unknown_units(conn: &mut PgConnection, codes: &[String]) -> Result<Vec<String>> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT c FROM unnest($1::text[]) AS c WHERE NOT EXISTS (SELECT 1 FROM units WHERE code = c)",
    )
    .bind(codes)
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Whether broadcast `id` asked for RSVP (so its Join answers can be an audience).
pub async fn had_rsvp(conn: &mut PgConnection, id: i64) -> Result<bool> {
    let rsvp: Option<bool> = sqlx::query_scalar(
        "SELECT rsvp FROM broadcasts WHERE id = $1 AND status IN ('scheduled', 'sending', 'done')",
    )
    .bind(id)
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

/// Creates a broadcast and confirms it at once (what a confirmed draft does).
pub async fn create(
    conn: &mut PgConnection,
    schedule: Schedule,
    new: &NewBroadcast,
    now: DateTime<Utc>,
) -> Result<std::result::Result<Started, Refusal>> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO broadcasts
             (author_user_id, author_chat_id, status, audience, text, photo, rsvp, urgent, send_at)
         VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8)
         ON CONFLICT (author_user_id) WHERE status = 'draft' DO NOTHING
         RETURNING id",
    )
    .bind(new.author_user_id)
    .bind(new.author_chat_id)
    .bind(serde_json::to_value(&new.audience)?)
    .bind(&new.text)
    .bind(&new.photo)
    .bind(new.rsvp)
    .bind(new.urgent)
    .bind(new.send_at)
    .fetch_optional(&mut *conn)
    .await?
    .context("the author has a draft broadcast open; finish or cancel it first")?;
    confirm(conn, schedule, id, now).await
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
}

const COLUMNS: &str = "id, author_user_id, author_chat_id, status, audience, text, photo, rsvp,
    urgent, send_at, starts_at, status_outbox_id, progress_text, progress_at, created_at";

fn from_row(row: &sqlx::postgres::PgRow) -> Result<Broadcast> {
    let audience: Option<serde_json::Value> = row.try_get("audience")?;
    Ok(Broadcast {
        id: row.try_get("id")?,
        author_user_id: row.try_get("author_user_id")?,
        author_chat_id: row.try_get("author_chat_id")?,
        status: row.try_get("status")?,
        audience: audience.map(serde_json::from_value).transpose()?,
        text: row.try_get("text")?,
        photo: row.try_get("photo")?,
        rsvp: row.try_get("rsvp")?,
        urgent: row.try_get("urgent")?,
        send_at: row.try_get("send_at")?,
        starts_at: row.try_get("starts_at")?,
        status_outbox_id: row.try_get("status_outbox_id")?,
        progress_text: row.try_get("progress_text")?,
        progress_at: row.try_get("progress_at")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Loads broadcast `id`, locking it for this transaction.
pub async fn load_for_update(conn: &mut PgConnection, id: i64) -> Result<Option<Broadcast>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM broadcasts WHERE id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The author's open draft, locked.
pub async fn draft_of(conn: &mut PgConnection, author_user_id: i64) -> Result<Option<Broadcast>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM broadcasts WHERE author_user_id = $1 AND status = 'draft' FOR UPDATE"
    ))
    .bind(author_user_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Starts a new draft for the author (cancelling an unfinished one).
pub async fn start_draft(
    conn: &mut PgConnection,
    author_user_id: i64,
    chat_id: i64,
) -> Result<i64> {
    sqlx::query(
        "UPDATE broadcasts SET status = 'cancelled', updated_at = now()
          WHERE author_user_id = $1 AND status = 'draft'",
    )
    .bind(author_user_id)
    .execute(&mut *conn)
    .await?;
    let id = sqlx::query_scalar(
        "INSERT INTO broadcasts (author_user_id, author_chat_id) VALUES ($1, $2) RETURNING id",
    )
    .bind(author_user_id)
    .bind(chat_id)
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
    sqlx::query(
        "UPDATE broadcasts
            SET audience = COALESCE($2, audience),
                text = COALESCE($3, text),
                photo = CASE WHEN $4 THEN $5 ELSE photo END,
                rsvp = COALESCE($6, rsvp),
                urgent = COALESCE($7, urgent),
                send_at = CASE WHEN $8 THEN $9 ELSE send_at END,
                updated_at = now()
          WHERE id = $1 AND status = 'draft'",
    )
    .bind(id)
    .bind(change.audience.map(serde_json::to_value).transpose()?)
    .bind(change.text)
    .bind(change.photo.is_some())
    .bind(change.photo.flatten())
    .bind(change.rsvp)
    .bind(change.urgent)
    .bind(change.send_at.is_some())
    .bind(change.send_at.flatten())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn cancel_draft(conn: &mut PgConnection, id: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE broadcasts SET status = 'cancelled', updated_at = now()
          WHERE id = $1 AND status = 'draft'",
    )
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// The RSVP buttons owners get (join, decline); a preview gets inert ones
/// with the same labels.
#[must_use]
pub fn rsvp_keyboard(id: i64, lang: Lang, preview: bool) -> InlineKeyboardMarkup {
    let data = |answer: Callback| {
        if preview {
            Callback::BroadcastPreview(id).encode()
        } else {
            answer.encode()
        }
    };
    InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback(texts::JOIN.get(lang), data(Callback::BroadcastJoin(id))),
        InlineKeyboardButton::callback(
            texts::DECLINE.get(lang),
            data(Callback::BroadcastDecline(id)),
        ),
    ]])
}

/// The message an owner reading `lang` receives.
#[must_use]
pub fn owner_request(b: &Broadcast, lang: Lang, preview: bool) -> Request {
    let text = b.text.clone().unwrap_or_default();
    let markup = b.rsvp.then(|| rsvp_keyboard(b.id, lang, preview));
    match &b.photo {
        Some(photo) => Request::SendPhoto {
            photo: photo.clone(),
            caption: (!text.is_empty()).then_some(text),
            reply_markup: markup.map(Into::into),
        },
        None => Request::SendMessage {
            text,
            reply_markup: markup.map(Into::into),
            reply_to: None,
        },
    }
}

/// Confirms draft `id`: fixes its recipients (skipping, and counting, chats
/// that blocked the bot), writes one broadcast-lane outbox row per recipient
/// in batches, and sends the author the progress message. All in the
/// caller's transaction.
pub async fn confirm(
    conn: &mut PgConnection,
    schedule: Schedule,
    id: i64,
    now: DateTime<Utc>,
) -> Result<std::result::Result<Started, Refusal>> {
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
    let inserted = sqlx::query(&format!(
        "INSERT INTO broadcast_recipients (broadcast_id, person_id, chat_id, language, skipped_blocked)
         SELECT $6, person_id, chat_id, language, blocked FROM ({AUDIENCE_SQL}) a
         ORDER BY chat_id
         ON CONFLICT (broadcast_id, chat_id) DO NOTHING"
    ))
    .bind(kind)
    .bind(building)
    .bind(floor)
    .bind(codes)
    .bind(rsvp)
    .bind(id)
    .execute(&mut *conn)
    .await
    .context("fixing a broadcast's recipients")?
    .rows_affected();
    if inserted == 0 {
        return Ok(Err(Refusal::NoAudience));
    }

    // One request per language, keyed by its code: a recipient gets theirs.
    let requests = Lang::ALL
        .into_iter()
        .map(|lang| {
            let request = serde_json::to_value(owner_request(&b, lang, false))?;
            Ok((lang.code().to_string(), request))
        })
        .collect::<serde_json::Result<serde_json::Map<_, _>>>()?;
    let requests = serde_json::Value::Object(requests);
    loop {
        let n = sqlx::query(
            "WITH batch AS (
                 SELECT id, chat_id, language FROM broadcast_recipients
                  WHERE broadcast_id = $1 AND outbox_id IS NULL AND NOT skipped_blocked
                  ORDER BY id LIMIT $2),
             ins AS (
                 INSERT INTO outbox (chat_id, lane, request, not_before, status)
                 SELECT chat_id, $3, COALESCE($4::jsonb -> language, $4::jsonb -> $5), $6, 'pending'
                   FROM batch ORDER BY id
                 RETURNING id, chat_id)
             UPDATE broadcast_recipients r SET outbox_id = ins.id
               FROM ins
              WHERE r.broadcast_id = $1 AND r.chat_id = ins.chat_id",
        )
        .bind(id)
        .bind(BATCH)
        .bind(Lane::Broadcast as i16)
        .bind(&requests)
        .bind(Lang::default().code())
        .bind(starts_at)
        .execute(&mut *conn)
        .await
        .context("queueing a broadcast")?
        .rows_affected();
        if n == 0 {
            break;
        }
    }
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(NOTIFY_CHANNEL)
        .execute(&mut *conn)
        .await?;

    let skipped: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM broadcast_recipients WHERE broadcast_id = $1 AND skipped_blocked",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let status = if starts_at > now {
        "scheduled"
    } else {
        "sending"
    };
    sqlx::query(
        "UPDATE broadcasts
            SET status = $2, starts_at = $3, recipients = $4,
                skipped_blocked = $5, confirmed_at = $6, updated_at = now()
          WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(starts_at)
    .bind(i32::try_from(inserted)?)
    .bind(i32::try_from(skipped)?)
    .bind(now)
    .execute(&mut *conn)
    .await?;

    // The author's progress message, edited in place by `run_due`.
    let lang = author_lang(conn, b.author_chat_id).await?;
    let b = load_for_update(conn, id)
        .await?
        .context("broadcast vanished")?;
    let text = progress_text(conn, &b, schedule, lang).await?;
    let status_id = outbox::enqueue(
        conn,
        None,
        &Outgoing::reply(b.author_chat_id, Request::text(text.clone())),
    )
    .await?;
    sqlx::query(
        "UPDATE broadcasts SET status_outbox_id = $2, progress_text = $3, progress_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(status_id)
    .bind(&text)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    tracing::info!(
        broadcast = id,
        recipients = inserted,
        skipped_blocked = skipped,
        %starts_at,
        "broadcast confirmed"
    );
    Ok(Ok(Started {
        id,
        recipients: i64::try_from(inserted)?,
        skipped_blocked: skipped,
        starts_at,
        held,
    }))
}

async fn author_lang(conn: &mut PgConnection, chat_id: i64) -> Result<Lang> {
    Ok(crate::processor::chat_language(conn, chat_id)
        .await?
        .unwrap_or(Lang::Zh))
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
    let row = sqlx::query(
        "SELECT count(*) FILTER (WHERE o.status = 'sent') AS sent,
                count(*) FILTER (WHERE o.status IN ('failed', 'cancelled')) AS failed,
                count(*) FILTER (WHERE r.skipped_blocked OR o.status = 'unreachable') AS blocked,
                count(*) FILTER (WHERE o.status IN ('pending', 'sending')) AS waiting,
                count(*) FILTER (WHERE r.rsvp = 'join') AS joined,
                count(*) FILTER (WHERE r.rsvp = 'decline') AS declined
           FROM broadcast_recipients r
           LEFT JOIN outbox o ON o.id = r.outbox_id
          WHERE r.broadcast_id = $1",
    )
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(Progress {
        sent: row.get("sent"),
        failed: row.get("failed"),
        blocked: row.get("blocked"),
        waiting: row.get("waiting"),
        join: row.get("joined"),
        decline: row.get("declined"),
    })
}

async fn progress_text(
    conn: &mut PgConnection,
    b: &Broadcast,
    schedule: Schedule,
    lang: Lang,
) -> Result<String> {
    let p = progress(conn, b.id).await?;
    let state = match b.status.as_str() {
        "scheduled" => fill(
            texts::STATE_SCHEDULED.get(lang),
            &[("at", &schedule.show(b.starts_at.unwrap_or(b.created_at)))],
        ),
        "done" => texts::STATE_DONE.get(lang).to_string(),
        _ => texts::STATE_SENDING.get(lang).to_string(),
    };
    let mut text = fill(
        texts::PROGRESS.get(lang),
        &[
            ("id", &b.id.to_string()),
            (
                "audience",
                &b.audience
                    .as_ref()
                    .map(|a| a.label(lang))
                    .unwrap_or_default(),
            ),
            ("state", &state),
            ("sent", &p.sent.to_string()),
            ("failed", &p.failed.to_string()),
            ("blocked", &p.blocked.to_string()),
            ("waiting", &p.waiting.to_string()),
        ],
    );
    if b.rsvp {
        text.push_str(&fill(
            texts::RSVP_TOTALS.get(lang),
            &[
                ("join", &p.join.to_string()),
                ("decline", &p.decline.to_string()),
            ],
        ));
    }
    Ok(text)
}

/// The periodic job: moves scheduled broadcasts to sending when their time
/// comes, edits each author's progress message (at most once per
/// `PROGRESS_EVERY`, only when it changed) and marks a broadcast done with a
/// final edit when no recipient is waiting. Returns the number of edits.
pub async fn run_due(conn: &mut PgConnection, app: &App, now: DateTime<Utc>) -> Result<u64> {
    let schedule = Schedule::load(conn, app.settings.timezone).await?;
    run_due_with(conn, schedule, now).await
}

/// `run_due` with the schedule settings passed in.
pub async fn run_due_with(
    conn: &mut PgConnection,
    schedule: Schedule,
    now: DateTime<Utc>,
) -> Result<u64> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM broadcasts
          WHERE status IN ('scheduled', 'sending')
          ORDER BY id
          FOR UPDATE SKIP LOCKED"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut edits = 0;
    for row in &rows {
        let mut b = from_row(row)?;
        let p = progress(conn, b.id).await?;
        let mut status = b.status.clone();
        if status == "scheduled" && b.starts_at.is_some_and(|t| t <= now) {
            status = "sending".into();
        }
        let done = p.waiting == 0;
        if done {
            status = "done".into();
        }
        let status_changed = status != b.status;
        b.status.clone_from(&status);
        let due = b.progress_at.is_none_or(|t| now - t >= PROGRESS_EVERY);
        let lang = author_lang(conn, b.author_chat_id).await?;
        let text = progress_text(conn, &b, schedule, lang).await?;
        let changed = b.progress_text.as_deref() != Some(text.as_str());
        let edit = changed && (due || done) && status != "scheduled";
        if edit {
            if let Some(target) = b.status_outbox_id {
                outbox::enqueue(
                    conn,
                    None,
                    &Outgoing::new(
                        b.author_chat_id,
                        Lane::Staff,
                        Request::EditMessageText {
                            target: Target::Outbox(target),
                            text: text.clone(),
                            reply_markup: None,
                        },
                    ),
                )
                .await?;
                edits += 1;
            }
        }
        if edit || status_changed {
            sqlx::query(
                "UPDATE broadcasts
                    SET status = $2,
                        progress_text = CASE WHEN $3 THEN $4 ELSE progress_text END,
                        progress_at = CASE WHEN $3 THEN $5 ELSE progress_at END,
                        finished_at = CASE WHEN $2 = 'done' THEN $5 ELSE finished_at END,
                        updated_at = now()
                  WHERE id = $1",
            )
            .bind(b.id)
            .bind(&status)
            .bind(edit)
            .bind(&text)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
        if status_changed && status == "done" {
            tracing::info!(broadcast = b.id, ?p, "broadcast done");
        }
    }
    Ok(edits)
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
    let row = sqlx::query(
        "SELECT r.id, r.rsvp, o.message_id
           FROM broadcast_recipients r
           JOIN broadcasts b ON b.id = r.broadcast_id
           LEFT JOIN outbox o ON o.id = r.outbox_id
          WHERE r.broadcast_id = $1 AND r.chat_id = $2 AND b.rsvp
          FOR UPDATE OF r",
    )
    .bind(id)
    .bind(chat_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(RsvpOutcome::Expired);
    };
    let sent_as: Option<i64> = row.get("message_id");
    if sent_as != Some(i64::from(message_id)) {
        return Ok(RsvpOutcome::Expired);
    }
    let answer = if join { "join" } else { "decline" };
    let current: Option<String> = row.get("rsvp");
    if current.as_deref() == Some(answer) {
        return Ok(RsvpOutcome::Same);
    }
    let rid: i64 = row.get("id");
    sqlx::query("UPDATE broadcast_recipients SET rsvp = $2, rsvp_at = $3 WHERE id = $1")
        .bind(rid)
        .bind(answer)
        .bind(now)
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
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM broadcasts
          WHERE status IN ('scheduled', 'sending', 'done')
          ORDER BY id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let broadcast = from_row(row)?;
        let progress = progress(conn, broadcast.id).await?;
        out.push(Summary {
            broadcast,
            progress,
        });
    }
    Ok(out)
}

/// `/broadcasts` as text.
#[must_use]
pub fn list_text(items: &[Summary], schedule: Schedule, lang: Lang) -> String {
    if items.is_empty() {
        return texts::LIST_EMPTY.get(lang).to_string();
    }
    let mut out = texts::LIST_HEADER.get(lang).to_string();
    for s in items {
        let b = &s.broadcast;
        let p = &s.progress;
        let status = match b.status.as_str() {
            "scheduled" => texts::STATUS_SCHEDULED,
            "sending" => texts::STATUS_SENDING,
            "done" => texts::STATUS_DONE,
            _ => texts::STATUS_CANCELLED,
        };
        let rsvp = if b.rsvp {
            fill(
                texts::LIST_RSVP.get(lang),
                &[
                    ("join", &p.join.to_string()),
                    ("decline", &p.decline.to_string()),
                ],
            )
        } else {
            String::new()
        };
        out.push('\n');
        out.push_str(&fill(
            texts::LIST_LINE.get(lang),
            &[
                ("id", &b.id.to_string()),
                ("at", &schedule.show(b.starts_at.unwrap_or(b.created_at))),
                (
                    "audience",
                    &b.audience
                        .as_ref()
                        .map(|a| a.label(lang))
                        .unwrap_or_default(),
                ),
                ("status", status.get(lang)),
                ("sent", &p.sent.to_string()),
                ("failed", &p.failed.to_string()),
                ("blocked", &p.blocked.to_string()),
                ("waiting", &p.waiting.to_string()),
                ("rsvp", &rsvp),
            ],
        ));
    }
    out
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
