//! Tickets: the queue staff work from Telegram. Types for what a ticket is
//! and the SQL that changes it; every state change is one conditional
//! UPDATE, so two people acting at once cannot both win.

use std::fmt;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::i18n::Lang;
use crate::texts::{self, Phrase};

/// First-response and resolve-by deadlines (minutes) of a ticket's kind and
/// priority; the office settings hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub response_minutes: u32,
    pub resolve_minutes: u32,
}

/// A ticket's number, shown to everyone as `#12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketId(pub i64);

impl TicketId {
    /// Parses `12` or `#12`.
    #[must_use]
    pub fn parse(s: &str) -> Option<TicketId> {
        let s = s.trim();
        s.strip_prefix('#')
            .unwrap_or(s)
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(TicketId)
    }
}

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $value:literal => $label:path),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),* }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The value stored in the database.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $value),* }
            }

            /// Parses the stored value.
            #[must_use]
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($value => Some($name::$variant),)* _ => None }
            }

            #[must_use]
            pub fn phrase(self) -> Phrase {
                match self { $($name::$variant => $label),* }
            }

            #[must_use]
            pub fn label(self, lang: Lang) -> &'static str {
                self.phrase().get(lang)
            }
        }
    };
}

text_enum!(
    /// What a ticket is about (`tickets_kind_check`).
    TicketKind {
        Complaint = "complaint" => texts::KIND_COMPLAINT,
        Repair = "repair" => texts::KIND_REPAIR,
        Consultation = "consultation" => texts::KIND_CONSULTATION,
        Registration = "registration" => texts::KIND_REGISTRATION,
        Suggestion = "suggestion" => texts::KIND_SUGGESTION,
        Other = "other" => texts::KIND_OTHER,
    }
);

text_enum!(
    /// Where a ticket stands (`tickets_status_check`).
    TicketStatus {
        Open = "open" => texts::STATUS_OPEN,
        Claimed = "claimed" => texts::STATUS_CLAIMED,
        Scheduled = "scheduled" => texts::STATUS_SCHEDULED,
        Resolved = "resolved" => texts::STATUS_RESOLVED,
        Closed = "closed" => texts::STATUS_CLOSED,
        Cancelled = "cancelled" => texts::STATUS_CANCELLED,
    }
);

text_enum!(
    /// How urgent (`tickets_priority_check`).
    Priority {
        Low = "low" => texts::PRIORITY_LOW,
        Normal = "normal" => texts::PRIORITY_NORMAL,
        High = "high" => texts::PRIORITY_HIGH,
        Urgent = "urgent" => texts::PRIORITY_URGENT,
    }
);

text_enum!(
    /// How the report reached the office.
    Channel {
        Telegram = "telegram" => texts::CHANNEL_TELEGRAM,
        Phone = "phone" => texts::CHANNEL_PHONE,
        WalkIn = "walk_in" => texts::CHANNEL_WALK_IN,
    }
);

impl TicketKind {
    /// What staff type in `/newticket`: the stored value, either label, or a
    /// short Chinese word.
    #[must_use]
    pub fn from_user(s: &str) -> Option<TicketKind> {
        let lower = s.trim().to_lowercase();
        TicketKind::ALL.iter().copied().find(|k| {
            k.as_str() == lower
                || Lang::ALL
                    .iter()
                    .any(|l| k.label(*l).to_lowercase() == lower)
                || matches!(
                    (k, lower.as_str()),
                    (TicketKind::Repair, "维修" | "修")
                        | (TicketKind::Consultation, "问" | "question")
                )
        })
    }
}

impl TicketStatus {
    /// Still work to do: open, claimed or scheduled.
    #[must_use]
    pub fn is_active(self) -> bool {
        matches!(
            self,
            TicketStatus::Open | TicketStatus::Claimed | TicketStatus::Scheduled
        )
    }
}

impl Channel {
    #[must_use]
    pub fn from_user(s: &str) -> Option<Channel> {
        match s.trim().to_lowercase().as_str() {
            "phone" | "电话" => Some(Channel::Phone),
            "walk-in" | "walkin" | "walk_in" | "来访" => Some(Channel::WalkIn),
            _ => None,
        }
    }
}

/// `ORDER BY` for "most urgent first".
pub const URGENCY_ORDER: &str =
    "CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END";

/// The statuses that are still work to do, for SQL.
pub const ACTIVE: &str = "('open', 'claimed', 'scheduled')";

/// What the dialogue (or `/newticket`) files.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTicket {
    pub kind: TicketKind,
    pub category: Option<String>,
    pub priority: Priority,
    pub unit_id: Option<i64>,
    pub person_id: Option<i64>,
    /// The owner's private chat: status pushes and replies go there.
    pub owner_chat_id: Option<i64>,
    pub location: Option<String>,
    pub description: String,
    /// Everything else the dialogue collected.
    pub fields: Value,
    /// Telegram file ids of photos.
    pub attachments: Vec<String>,
    pub channel: Channel,
    /// When the owner would like a visit, as they said it.
    pub appointment_pref: Option<String>,
}

impl NewTicket {
    /// A ticket with only the essentials; set the rest as needed.
    #[must_use]
    pub fn new(kind: TicketKind, description: impl Into<String>) -> NewTicket {
        NewTicket {
            kind,
            category: None,
            priority: Priority::Normal,
            unit_id: None,
            person_id: None,
            owner_chat_id: None,
            location: None,
            description: description.into(),
            fields: Value::Object(serde_json::Map::new()),
            attachments: Vec::new(),
            channel: Channel::Telegram,
            appointment_pref: None,
        }
    }
}

/// A ticket as staff and owners see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub id: TicketId,
    pub kind: TicketKind,
    pub category: Option<String>,
    pub priority: Priority,
    pub status: TicketStatus,
    pub channel: Channel,
    pub unit_id: Option<i64>,
    pub unit_code: Option<String>,
    pub building: Option<String>,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    pub person_phone: Option<String>,
    pub owner_chat_id: Option<i64>,
    pub location: Option<String>,
    pub description: String,
    pub fields: Value,
    pub assignee: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub due_response_at: Option<DateTime<Utc>>,
    pub due_resolve_at: Option<DateTime<Utc>>,
    pub appointment_at: Option<DateTime<Utc>>,
    pub rating: Option<i16>,
    pub rating_comment: Option<String>,
    pub card_outbox_id: Option<i64>,
    pub card_chat_id: Option<i64>,
    pub photo_count: i64,
}

const SELECT: &str = "SELECT t.id, t.kind, t.category, t.priority, t.status, t.channel, t.unit_id,
        u.code AS unit_code, u.building, t.person_id, p.name AS person_name, p.phone AS person_phone,
        t.owner_chat_id, t.location, t.description, t.fields, t.assignee, t.created_at,
        t.first_response_at, t.resolved_at, t.due_response_at, t.due_resolve_at, t.appointment_at,
        t.rating, t.rating_comment, t.card_outbox_id, t.card_chat_id,
        (SELECT count(*) FROM attachments a WHERE a.ticket_id = t.id) AS photo_count
   FROM tickets t
   LEFT JOIN units u ON u.id = t.unit_id
   LEFT JOIN people p ON p.id = t.person_id";

fn from_row(row: &PgRow) -> Result<Ticket> {
    let text = |name: &str| -> Result<String> { Ok(row.try_get::<String, _>(name)?) };
    let kind = text("kind")?;
    let priority = text("priority")?;
    let status = text("status")?;
    let channel = text("channel")?;
    Ok(Ticket {
        id: TicketId(row.try_get("id")?),
        kind: TicketKind::parse(&kind).with_context(|| format!("unknown ticket kind {kind}"))?,
        category: row.try_get("category")?,
        priority: Priority::parse(&priority)
            .with_context(|| format!("unknown priority {priority}"))?,
        status: TicketStatus::parse(&status).with_context(|| format!("unknown status {status}"))?,
        // A channel written by a newer version reads as Telegram.
        channel: Channel::parse(&channel).unwrap_or(Channel::Telegram),
        unit_id: row.try_get("unit_id")?,
        unit_code: row.try_get("unit_code")?,
        building: row.try_get("building")?,
        person_id: row.try_get("person_id")?,
        person_name: row.try_get("person_name")?,
        person_phone: row.try_get("person_phone")?,
        owner_chat_id: row.try_get("owner_chat_id")?,
        location: row.try_get("location")?,
        description: row.try_get("description")?,
        fields: row.try_get("fields")?,
        assignee: row.try_get("assignee")?,
        created_at: row.try_get("created_at")?,
        first_response_at: row.try_get("first_response_at")?,
        resolved_at: row.try_get("resolved_at")?,
        due_response_at: row.try_get("due_response_at")?,
        due_resolve_at: row.try_get("due_resolve_at")?,
        appointment_at: row.try_get("appointment_at")?,
        rating: row.try_get("rating")?,
        rating_comment: row.try_get("rating_comment")?,
        card_outbox_id: row.try_get("card_outbox_id")?,
        card_chat_id: row.try_get("card_chat_id")?,
        photo_count: row.try_get("photo_count")?,
    })
}

/// Inserts a ticket filed by update `source_update_id` with `deadline`
/// (the office settings' for its kind and priority). Returns its id and
/// whether this call created it (a redelivered update finds the ticket it
/// filed the first time).
pub async fn insert(
    conn: &mut PgConnection,
    source_update_id: Option<i64>,
    now: DateTime<Utc>,
    new: &NewTicket,
    deadline: Deadline,
) -> Result<(TicketId, bool)> {
    let mut fields = match &new.fields {
        Value::Object(map) => map.clone(),
        Value::Null => serde_json::Map::new(),
        other => {
            let mut m = serde_json::Map::new();
            m.insert("value".into(), other.clone());
            m
        }
    };
    if let Some(pref) = &new.appointment_pref {
        fields.insert("appointment_pref".into(), Value::String(pref.clone()));
    }
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO tickets (kind, category, priority, channel, unit_id, person_id, owner_chat_id,
                              location, description, fields, source_update_id, created_at, updated_at,
                              due_response_at, due_resolve_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12,
                 $12 + make_interval(mins => $13), $12 + make_interval(mins => $14))
         ON CONFLICT ON CONSTRAINT tickets_source_update_key DO NOTHING
         RETURNING id",
    )
    .bind(new.kind.as_str())
    .bind(&new.category)
    .bind(new.priority.as_str())
    .bind(new.channel.as_str())
    .bind(new.unit_id)
    .bind(new.person_id)
    .bind(new.owner_chat_id)
    .bind(&new.location)
    .bind(&new.description)
    .bind(Value::Object(fields))
    .bind(source_update_id)
    .bind(now)
    .bind(i32::try_from(deadline.response_minutes)?)
    .bind(i32::try_from(deadline.resolve_minutes)?)
    .fetch_optional(&mut *conn)
    .await
    .context("inserting a ticket")?;
    if let Some(id) = id {
        return Ok((TicketId(id), true));
    }
    let existing: i64 = sqlx::query_scalar("SELECT id FROM tickets WHERE source_update_id = $1")
        .bind(source_update_id)
        .fetch_one(conn)
        .await
        .context("finding the ticket this update filed before")?;
    Ok((TicketId(existing), false))
}

/// One ticket.
pub async fn load(conn: &mut PgConnection, id: TicketId) -> Result<Option<Ticket>> {
    let row = sqlx::query(&format!("{SELECT} WHERE t.id = $1"))
        .bind(id.0)
        .fetch_optional(conn)
        .await
        .context("loading a ticket")?;
    row.as_ref().map(from_row).transpose()
}

/// Who did something to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Owner(Option<i64>),
    Staff(i64),
    System,
}

impl Actor {
    fn parts(self) -> (&'static str, Option<i64>) {
        match self {
            Actor::Owner(id) => ("owner", id),
            Actor::Staff(id) => ("staff", Some(id)),
            Actor::System => ("system", None),
        }
    }
}

/// Appends to the ticket's audit trail. `internal` events never reach the
/// owner.
#[allow(clippy::too_many_arguments)]
pub async fn add_event(
    conn: &mut PgConnection,
    id: TicketId,
    now: DateTime<Utc>,
    actor: Actor,
    kind: &str,
    body: Option<&str>,
    internal: bool,
    data: Value,
) -> Result<()> {
    let (actor_kind, actor_id) = actor.parts();
    sqlx::query(
        "INSERT INTO ticket_events (ticket_id, at, actor_kind, actor_id, kind, body, internal, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.0)
    .bind(now)
    .bind(actor_kind)
    .bind(actor_id)
    .bind(kind)
    .bind(body)
    .bind(internal)
    .bind(data)
    .execute(conn)
    .await
    .context("recording a ticket event")?;
    Ok(())
}

/// Attaches a photo (Telegram file id).
pub async fn attach(
    conn: &mut PgConnection,
    id: TicketId,
    file_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("INSERT INTO attachments (ticket_id, file_id, created_at) VALUES ($1, $2, $3)")
        .bind(id.0)
        .bind(file_id)
        .bind(now)
        .execute(conn)
        .await
        .context("attaching a photo")?;
    Ok(())
}

/// Remembers where the card was posted.
pub async fn set_card(
    conn: &mut PgConnection,
    id: TicketId,
    chat_id: i64,
    outbox_id: i64,
) -> Result<()> {
    sqlx::query("UPDATE tickets SET card_outbox_id = $2, card_chat_id = $3 WHERE id = $1")
        .bind(id.0)
        .bind(outbox_id)
        .bind(chat_id)
        .execute(&mut *conn)
        .await?;
    link_message(conn, outbox_id, id).await
}

/// Marks a bot message (by outbox row) as standing for a ticket.
pub async fn link_message(conn: &mut PgConnection, outbox_id: i64, id: TicketId) -> Result<()> {
    sqlx::query(
        "INSERT INTO ticket_messages (outbox_id, ticket_id) VALUES ($1, $2)
         ON CONFLICT (outbox_id) DO NOTHING",
    )
    .bind(outbox_id)
    .bind(id.0)
    .execute(conn)
    .await?;
    Ok(())
}

/// The ticket a bot message in `chat_id` stands for, if any.
pub async fn for_message(
    conn: &mut PgConnection,
    chat_id: i64,
    message_id: i32,
) -> Result<Option<TicketId>> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT tm.ticket_id FROM ticket_messages tm JOIN outbox o ON o.id = tm.outbox_id
          WHERE o.chat_id = $1 AND o.message_id = $2
          ORDER BY tm.outbox_id DESC LIMIT 1",
    )
    .bind(chat_id)
    .bind(i64::from(message_id))
    .fetch_optional(conn)
    .await?;
    Ok(id.map(TicketId))
}

/// What came of a claim.
#[derive(Debug, Clone, PartialEq)]
pub enum ClaimOutcome {
    Claimed,
    /// Someone else got there first (or it is no longer open).
    Taken {
        status: TicketStatus,
        assignee: Option<i64>,
    },
    NotFound,
}

/// Takes an open ticket for `staff_id`: one conditional UPDATE, so of any
/// number of simultaneous claims exactly one wins. Claiming counts as the
/// first response (the owner is told at once).
pub async fn claim(
    conn: &mut PgConnection,
    id: TicketId,
    staff_id: i64,
    now: DateTime<Utc>,
) -> Result<ClaimOutcome> {
    let won = sqlx::query(
        "UPDATE tickets
            SET status = 'claimed', assignee = $2, updated_at = $3,
                first_response_at = COALESCE(first_response_at, $3)
          WHERE id = $1 AND status = 'open'
          RETURNING id",
    )
    .bind(id.0)
    .bind(staff_id)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await
    .context("claiming a ticket")?;
    if won.is_some() {
        return Ok(ClaimOutcome::Claimed);
    }
    let row = sqlx::query("SELECT status, assignee FROM tickets WHERE id = $1")
        .bind(id.0)
        .fetch_optional(conn)
        .await?;
    Ok(match row {
        None => ClaimOutcome::NotFound,
        Some(row) => {
            let status: String = row.try_get("status")?;
            ClaimOutcome::Taken {
                status: TicketStatus::parse(&status).unwrap_or(TicketStatus::Closed),
                assignee: row.try_get("assignee")?,
            }
        }
    })
}

/// The most urgent, then oldest, open ticket nobody else is claiming right now.
pub async fn next_open(conn: &mut PgConnection) -> Result<Option<TicketId>> {
    let id: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT t.id FROM tickets t WHERE t.status = 'open'
          ORDER BY {URGENCY_ORDER}, t.created_at, t.id
          LIMIT 1 FOR UPDATE SKIP LOCKED"
    ))
    .fetch_optional(conn)
    .await?;
    Ok(id.map(TicketId))
}

/// Runs `sql` (an UPDATE with `WHERE id = $1 … RETURNING id`, `$2` = now,
/// optional `$3`) and says whether it changed the ticket.
async fn change(
    conn: &mut PgConnection,
    sql: &str,
    id: TicketId,
    now: DateTime<Utc>,
    arg: Option<i64>,
) -> Result<bool> {
    let mut query = sqlx::query(sql).bind(id.0).bind(now);
    if let Some(arg) = arg {
        query = query.bind(arg);
    }
    Ok(query.fetch_optional(conn).await?.is_some())
}

/// Puts a claimed or scheduled ticket back in the queue.
pub async fn release(conn: &mut PgConnection, id: TicketId, now: DateTime<Utc>) -> Result<bool> {
    change(
        conn,
        "UPDATE tickets SET status = 'open', assignee = NULL, appointment_at = NULL, updated_at = $2
          WHERE id = $1 AND status IN ('claimed', 'scheduled') RETURNING id",
        id,
        now,
        None,
    )
    .await
}

/// Gives an active ticket to `staff_id` (an open one becomes claimed).
pub async fn assign(
    conn: &mut PgConnection,
    id: TicketId,
    now: DateTime<Utc>,
    staff_id: i64,
) -> Result<bool> {
    change(
        conn,
        &format!(
            "UPDATE tickets
                SET assignee = $3, updated_at = $2,
                    status = CASE WHEN status = 'open' THEN 'claimed' ELSE status END,
                    first_response_at = COALESCE(first_response_at, $2)
              WHERE id = $1 AND status IN {ACTIVE} RETURNING id"
        ),
        id,
        now,
        Some(staff_id),
    )
    .await
}

/// Books a visit on a claimed (or already scheduled) ticket.
pub async fn schedule(
    conn: &mut PgConnection,
    id: TicketId,
    now: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE tickets SET status = 'scheduled', appointment_at = $3, updated_at = $2
          WHERE id = $1 AND status IN ('claimed', 'scheduled') RETURNING id",
    )
    .bind(id.0)
    .bind(now)
    .bind(at)
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// Marks an active ticket resolved.
pub async fn resolve(conn: &mut PgConnection, id: TicketId, now: DateTime<Utc>) -> Result<bool> {
    change(
        conn,
        &format!(
            "UPDATE tickets SET status = 'resolved', resolved_at = $2, updated_at = $2,
                    first_response_at = COALESCE(first_response_at, $2)
              WHERE id = $1 AND status IN {ACTIVE} RETURNING id"
        ),
        id,
        now,
        None,
    )
    .await
}

/// Reopens a resolved or closed ticket: back to its holder (or the queue),
/// with a fresh resolve-by deadline and no rating.
pub async fn reopen(
    conn: &mut PgConnection,
    id: TicketId,
    now: DateTime<Utc>,
    deadline: Deadline,
) -> Result<bool> {
    change(
        conn,
        "UPDATE tickets t
            SET status = CASE WHEN t.assignee IS NULL THEN 'open' ELSE 'claimed' END,
                resolved_at = NULL, closed_at = NULL, rating = NULL, rating_comment = NULL,
                escalated_at = NULL, last_ping_at = NULL, updated_at = $2,
                due_resolve_at = $2 + make_interval(mins => $3::int)
          WHERE t.id = $1 AND t.status IN ('resolved', 'closed') RETURNING t.id",
        id,
        now,
        Some(i64::from(deadline.resolve_minutes)),
    )
    .await
}

/// Cancels an active ticket (the owner changed their mind).
pub async fn cancel(conn: &mut PgConnection, id: TicketId, now: DateTime<Utc>) -> Result<bool> {
    change(
        conn,
        &format!(
            "UPDATE tickets SET status = 'cancelled', closed_at = $2, updated_at = $2
              WHERE id = $1 AND status IN {ACTIVE} RETURNING id"
        ),
        id,
        now,
        None,
    )
    .await
}

/// Records the owner's rating once, on a resolved or closed ticket; a low
/// one (1–2) opens a follow-up for a supervisor.
pub async fn rate(
    conn: &mut PgConnection,
    id: TicketId,
    now: DateTime<Utc>,
    rating: i16,
) -> Result<bool> {
    change(
        conn,
        "UPDATE tickets SET rating = $3::smallint, updated_at = $2,
                follow_up_at = CASE WHEN $3 <= 2 THEN $2 ELSE follow_up_at END
          WHERE id = $1 AND status IN ('resolved', 'closed') AND rating IS NULL
            AND $3 BETWEEN 1 AND 5 RETURNING id",
        id,
        now,
        Some(i64::from(rating)),
    )
    .await
}

/// Stores the owner's comment on their rating.
pub async fn set_rating_comment(
    conn: &mut PgConnection,
    id: TicketId,
    comment: &str,
) -> Result<()> {
    sqlx::query("UPDATE tickets SET rating_comment = $2 WHERE id = $1")
        .bind(id.0)
        .bind(comment)
        .execute(conn)
        .await?;
    Ok(())
}

/// Active tickets past a deadline whose last overdue ping is at least
/// `ping_interval_minutes` old, most urgent first, locked for this
/// transaction (other replicas skip them).
pub async fn overdue(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
    ping_interval_minutes: u32,
) -> Result<Vec<TicketId>> {
    let ids: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT t.id FROM tickets t
          WHERE t.status IN {ACTIVE}
            AND ((t.first_response_at IS NULL AND t.due_response_at < $1) OR t.due_resolve_at < $1)
            AND (t.last_ping_at IS NULL
                 OR t.last_ping_at <= $1 - make_interval(mins => $3))
          ORDER BY t.due_resolve_at, t.id
          LIMIT $2
          FOR UPDATE OF t SKIP LOCKED"
    ))
    .bind(now)
    .bind(limit)
    .bind(i32::try_from(ping_interval_minutes)?)
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(TicketId).collect())
}

/// Records the one escalation of a ticket; false if it was escalated before.
pub async fn mark_escalated(
    conn: &mut PgConnection,
    id: TicketId,
    now: DateTime<Utc>,
) -> Result<bool> {
    Ok(sqlx::query_scalar::<_, bool>(
        "UPDATE tickets SET escalated_at = $2 WHERE id = $1 AND escalated_at IS NULL RETURNING TRUE",
    )
    .bind(id.0)
    .bind(now)
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// Records an overdue ping, so the next waits `ping_interval_minutes`.
pub async fn mark_pinged(conn: &mut PgConnection, id: TicketId, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE tickets SET last_ping_at = $2 WHERE id = $1")
        .bind(id.0)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Closes, at `now`, the tickets resolved before `cutoff` (their reopen
/// window is over).
pub async fn close_resolved_before(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    cutoff: DateTime<Utc>,
) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE tickets SET status = 'closed', closed_at = $1, updated_at = $1
          WHERE status = 'resolved' AND resolved_at < $2",
    )
    .bind(now)
    .bind(cutoff)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Marks the first response if there was none yet.
pub async fn responded(conn: &mut PgConnection, id: TicketId, now: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "UPDATE tickets SET first_response_at = COALESCE(first_response_at, $2), updated_at = $2
          WHERE id = $1",
    )
    .bind(id.0)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Active tickets, unclaimed first, then most urgent and oldest.
pub async fn queue(conn: &mut PgConnection, limit: i64, offset: i64) -> Result<(Vec<Ticket>, i64)> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE t.status IN {ACTIVE}
          ORDER BY t.status <> 'open', {URGENCY_ORDER}, t.created_at, t.id
          LIMIT $1 OFFSET $2"
    ))
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await
    .context("reading the queue")?;
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM tickets WHERE status IN {ACTIVE}"
    ))
    .fetch_one(conn)
    .await?;
    Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
}

/// A staff member's active tickets, most urgent first.
pub async fn held_by(conn: &mut PgConnection, staff_id: i64) -> Result<Vec<Ticket>> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE t.assignee = $1 AND t.status IN {ACTIVE}
          ORDER BY {URGENCY_ORDER}, t.created_at"
    ))
    .bind(staff_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// An owner's tickets, newest first.
pub async fn of_owner(
    conn: &mut PgConnection,
    owner_chat_id: i64,
    limit: i64,
) -> Result<Vec<Ticket>> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE t.owner_chat_id = $1 ORDER BY t.created_at DESC, t.id DESC LIMIT $2"
    ))
    .bind(owner_chat_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The owner's most recent active ticket, which their follow-ups attach to.
pub async fn latest_active_of_owner(
    conn: &mut PgConnection,
    owner_chat_id: i64,
) -> Result<Option<Ticket>> {
    let row = sqlx::query(&format!(
        "{SELECT} WHERE t.owner_chat_id = $1 AND t.status IN {ACTIVE}
          ORDER BY t.created_at DESC, t.id DESC LIMIT 1"
    ))
    .bind(owner_chat_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// One line of a ticket's history.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub kind: String,
    pub body: Option<String>,
    pub internal: bool,
}

/// The audit trail, oldest first.
pub async fn history(conn: &mut PgConnection, id: TicketId) -> Result<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT at, actor_kind, actor_id, kind, body, internal FROM ticket_events
          WHERE ticket_id = $1 ORDER BY id",
    )
    .bind(id.0)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                at: r.try_get("at")?,
                actor_kind: r.try_get("actor_kind")?,
                actor_id: r.try_get("actor_id")?,
                kind: r.try_get("kind")?,
                body: r.try_get("body")?,
                internal: r.try_get("internal")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_numbers_parse_with_or_without_hash() {
        assert_eq!(TicketId::parse("#12"), Some(TicketId(12)));
        assert_eq!(TicketId::parse(" 7 "), Some(TicketId(7)));
        assert_eq!(TicketId::parse("0"), None);
        assert_eq!(TicketId::parse("abc"), None);
        assert_eq!(TicketId(3).to_string(), "#3");
    }

    #[test]
    fn enums_round_trip_through_their_stored_text() {
        for k in TicketKind::ALL {
            assert_eq!(TicketKind::parse(k.as_str()), Some(*k));
        }
        for s in TicketStatus::ALL {
            assert_eq!(TicketStatus::parse(s.as_str()), Some(*s));
        }
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()), Some(*p));
        }
        assert_eq!(TicketKind::from_user("报修"), Some(TicketKind::Repair));
        assert_eq!(TicketKind::from_user("Repair"), Some(TicketKind::Repair));
        assert_eq!(Channel::from_user("walk-in"), Some(Channel::WalkIn));
    }
}
