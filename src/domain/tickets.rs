//! Tickets: the queue staff work from Telegram. Types for what a ticket is
//! and the SQL that reads it; every change of its state goes through
//! [`transition::perform`], which locks the row, so two people acting at
//! once cannot both win.

pub mod follow_up;
pub mod transition;

use std::fmt;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;

use crate::domain::departments::Department;
use crate::i18n::{Lang, Text};
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
        Patrol = "patrol" => texts::desk::CHANNEL_PATROL,
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
            "patrol" | "巡查" | "巡检" => Some(Channel::Patrol),
            _ => None,
        }
    }
}

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
    /// Who works it (filing sets it from the office settings' routes).
    pub department: Department,
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
            department: Department::Service,
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
    pub department: Department,
    /// The ticket's topic in the card's chat, if it has one.
    pub topic: Option<Topic>,
}

/// A ticket's forum topic: the outbox row of its `createForumTopic` (the
/// thread id is that row's message id), and the status its name shows and
/// whether it is closed, as last asked of Telegram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub outbox_id: i64,
    pub status: Option<TicketStatus>,
    pub closed: bool,
}

/// The field of `tickets.fields` that keeps, for a choice the dialogue
/// offered (`category`, `place`), its label in every language:
/// `{"labels": {"category": {"zh": "噪音", "en": "Noise"}}}`.
pub const LABELS_FIELD: &str = "labels";

/// A label in every language, as [`LABELS_FIELD`] stores it.
#[must_use]
pub fn label_json(label: &Text) -> Value {
    Value::Object(
        Lang::ALL
            .iter()
            .map(|l| {
                (
                    l.code().to_string(),
                    Value::String(label.get(*l).to_string()),
                )
            })
            .collect(),
    )
}

impl Ticket {
    /// The label in `lang` of the choice stored as `var` (see
    /// [`LABELS_FIELD`]), if the ticket kept one.
    #[must_use]
    pub fn label(&self, var: &str, lang: Lang) -> Option<&str> {
        self.fields
            .get(LABELS_FIELD)?
            .get(var)?
            .get(lang.code())?
            .as_str()
            .filter(|l| !l.is_empty())
    }
}

/// Runs `SELECT` of every ticket column (the card's joins included)
/// followed by `$tail` (a `WHERE …` literal), as a compile-time-checked
/// `query_as!` reading [`TicketRow`].
macro_rules! select_tickets {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            TicketRow,
            r#"SELECT t.id, t.kind, t.category, t.priority, t.status, t.channel, t.unit_id,
                    u.code AS "unit_code?", u.building AS "building?", t.person_id,
                    p.name AS "person_name?", p.phone AS "person_phone?",
                    t.owner_chat_id, t.location, t.description, t.fields, t.assignee, t.created_at,
                    t.first_response_at, t.resolved_at, t.due_response_at, t.due_resolve_at,
                    t.appointment_at, t.rating, t.rating_comment, t.card_outbox_id, t.card_chat_id,
                    (SELECT count(*) FROM attachments a WHERE a.ticket_id = t.id) AS "photo_count!",
                    t.department, t.topic_outbox_id, t.topic_status, t.topic_closed
               FROM tickets t
               LEFT JOIN units u ON u.id = t.unit_id
               LEFT JOIN people p ON p.id = t.person_id "# + $tail
            $(, $arg)*
        )
    };
}

/// A ticket's row as `select_tickets!` reads it; [`Ticket`] is it with its
/// texts parsed.
struct TicketRow {
    id: i64,
    kind: String,
    category: Option<String>,
    priority: String,
    status: String,
    channel: String,
    unit_id: Option<i64>,
    unit_code: Option<String>,
    building: Option<String>,
    person_id: Option<i64>,
    person_name: Option<String>,
    person_phone: Option<String>,
    owner_chat_id: Option<i64>,
    location: Option<String>,
    description: String,
    fields: Value,
    assignee: Option<i64>,
    created_at: DateTime<Utc>,
    first_response_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    due_response_at: Option<DateTime<Utc>>,
    due_resolve_at: Option<DateTime<Utc>>,
    appointment_at: Option<DateTime<Utc>>,
    rating: Option<i16>,
    rating_comment: Option<String>,
    card_outbox_id: Option<i64>,
    card_chat_id: Option<i64>,
    photo_count: i64,
    department: String,
    topic_outbox_id: Option<i64>,
    topic_status: Option<String>,
    topic_closed: bool,
}

impl TryFrom<TicketRow> for Ticket {
    type Error = anyhow::Error;

    fn try_from(r: TicketRow) -> Result<Ticket> {
        Ok(Ticket {
            id: TicketId(r.id),
            kind: TicketKind::parse(&r.kind)
                .with_context(|| format!("unknown ticket kind {}", r.kind))?,
            category: r.category,
            priority: Priority::parse(&r.priority)
                .with_context(|| format!("unknown priority {}", r.priority))?,
            status: TicketStatus::parse(&r.status)
                .with_context(|| format!("unknown status {}", r.status))?,
            // A channel written by a newer version reads as Telegram.
            channel: Channel::parse(&r.channel).unwrap_or(Channel::Telegram),
            unit_id: r.unit_id,
            unit_code: r.unit_code,
            building: r.building,
            person_id: r.person_id,
            person_name: r.person_name,
            person_phone: r.person_phone,
            owner_chat_id: r.owner_chat_id,
            location: r.location,
            description: r.description,
            fields: r.fields,
            assignee: r.assignee,
            created_at: r.created_at,
            first_response_at: r.first_response_at,
            resolved_at: r.resolved_at,
            due_response_at: r.due_response_at,
            due_resolve_at: r.due_resolve_at,
            appointment_at: r.appointment_at,
            rating: r.rating,
            rating_comment: r.rating_comment,
            card_outbox_id: r.card_outbox_id,
            card_chat_id: r.card_chat_id,
            photo_count: r.photo_count,
            // A department written by a newer version reads as customer service.
            department: Department::parse(&r.department).unwrap_or_default(),
            topic: r.topic_outbox_id.map(|outbox_id| Topic {
                outbox_id,
                status: r.topic_status.as_deref().and_then(TicketStatus::parse),
                closed: r.topic_closed,
            }),
        })
    }
}

fn tickets(rows: Vec<TicketRow>) -> Result<Vec<Ticket>> {
    rows.into_iter().map(Ticket::try_from).collect()
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
    let id = sqlx::query_scalar!(
        "INSERT INTO tickets (kind, category, priority, channel, unit_id, person_id, owner_chat_id,
                              location, description, fields, source_update_id, created_at, updated_at,
                              due_response_at, due_resolve_at, department)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12,
                 $12::timestamptz + make_interval(mins => $13),
                 $12::timestamptz + make_interval(mins => $14), $15)
         ON CONFLICT ON CONSTRAINT tickets_source_update_key DO NOTHING
         RETURNING id",
        new.kind.as_str(),
        new.category,
        new.priority.as_str(),
        new.channel.as_str(),
        new.unit_id,
        new.person_id,
        new.owner_chat_id,
        new.location,
        new.description,
        Value::Object(fields),
        source_update_id,
        now,
        i32::try_from(deadline.response_minutes)?,
        i32::try_from(deadline.resolve_minutes)?,
        new.department.as_str(),
    )
    .fetch_optional(&mut *conn)
    .await
    .context("inserting a ticket")?;
    if let Some(id) = id {
        return Ok((TicketId(id), true));
    }
    let existing = sqlx::query_scalar!(
        "SELECT id FROM tickets WHERE source_update_id = $1",
        source_update_id
    )
    .fetch_one(conn)
    .await
    .context("finding the ticket this update filed before")?;
    Ok((TicketId(existing), false))
}

/// One ticket.
pub async fn load(conn: &mut PgConnection, id: TicketId) -> Result<Option<Ticket>> {
    let row = select_tickets!("WHERE t.id = $1", id.0)
        .fetch_optional(conn)
        .await
        .context("loading a ticket")?;
    row.map(Ticket::try_from).transpose()
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
    sqlx::query!(
        "INSERT INTO ticket_events (ticket_id, at, actor_kind, actor_id, kind, body, internal, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        id.0,
        now,
        actor_kind,
        actor_id,
        kind,
        body,
        internal,
        data,
    )
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
    sqlx::query!(
        "INSERT INTO attachments (ticket_id, file_id, created_at) VALUES ($1, $2, $3)",
        id.0,
        file_id,
        now,
    )
    .execute(conn)
    .await
    .context("attaching a photo")?;
    Ok(())
}

/// The Telegram file ids of a ticket's photos, oldest first.
pub async fn photos(conn: &mut PgConnection, id: TicketId) -> Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT file_id FROM attachments WHERE ticket_id = $1 ORDER BY id",
        id.0
    )
    .fetch_all(conn)
    .await
    .context("reading a ticket's photos")
}

/// Remembers where the card was posted.
pub async fn set_card(
    conn: &mut PgConnection,
    id: TicketId,
    chat_id: i64,
    outbox_id: i64,
) -> Result<()> {
    sqlx::query!(
        "UPDATE tickets SET card_outbox_id = $2, card_chat_id = $3 WHERE id = $1",
        id.0,
        outbox_id,
        chat_id,
    )
    .execute(&mut *conn)
    .await?;
    link_message(conn, outbox_id, id).await
}

/// Records that `outbox_id` (a `createForumTopic` row) opens the ticket's
/// topic, named for `status`; the topic stands for the ticket (its thread
/// id is that row's message id, see [`for_message`]).
pub async fn set_topic(
    conn: &mut PgConnection,
    id: TicketId,
    outbox_id: i64,
    status: TicketStatus,
) -> Result<()> {
    sqlx::query!(
        "UPDATE tickets SET topic_outbox_id = $2, topic_status = $3, topic_closed = false
          WHERE id = $1",
        id.0,
        outbox_id,
        status.as_str(),
    )
    .execute(&mut *conn)
    .await?;
    link_message(conn, outbox_id, id).await
}

/// Records what the ticket's topic now shows: the status in its name, and
/// whether it is closed.
pub async fn set_topic_shown(
    conn: &mut PgConnection,
    id: TicketId,
    status: TicketStatus,
    closed: bool,
) -> Result<()> {
    sqlx::query!(
        "UPDATE tickets SET topic_status = $2, topic_closed = $3 WHERE id = $1",
        id.0,
        status.as_str(),
        closed,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The ticket outbox row `outbox_id` stands for (its card, a topic, a
/// message about it), if any.
pub async fn for_outbox_row(conn: &mut PgConnection, outbox_id: i64) -> Result<Option<TicketId>> {
    let id = sqlx::query_scalar!(
        "SELECT ticket_id FROM ticket_messages WHERE outbox_id = $1",
        outbox_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(id.map(TicketId))
}

/// Row `to` (a message sent again) stands for what row `from` stood for.
pub async fn copy_links(conn: &mut PgConnection, from: i64, to: i64) -> Result<()> {
    sqlx::query!(
        "INSERT INTO ticket_messages (outbox_id, ticket_id)
         SELECT $2, ticket_id FROM ticket_messages WHERE outbox_id = $1
         ON CONFLICT (outbox_id) DO NOTHING",
        from,
        to
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a bot message (by outbox row) as standing for a ticket.
pub async fn link_message(conn: &mut PgConnection, outbox_id: i64, id: TicketId) -> Result<()> {
    sqlx::query!(
        "INSERT INTO ticket_messages (outbox_id, ticket_id) VALUES ($1, $2)
         ON CONFLICT (outbox_id) DO NOTHING",
        outbox_id,
        id.0,
    )
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
    let id = sqlx::query_scalar!(
        "SELECT tm.ticket_id FROM ticket_messages tm JOIN outbox o ON o.id = tm.outbox_id
          WHERE o.chat_id = $1 AND o.message_id = $2
          ORDER BY tm.outbox_id DESC LIMIT 1",
        chat_id,
        i64::from(message_id),
    )
    .fetch_optional(conn)
    .await?;
    Ok(id.map(TicketId))
}

/// Whether ticket `id` is still work to do (false when there is none).
pub async fn is_active(conn: &mut PgConnection, id: TicketId) -> Result<bool> {
    let active = sqlx::query_scalar!(
        r#"SELECT ticket_is_active(status) AS "active!" FROM tickets WHERE id = $1"#,
        id.0
    )
    .fetch_optional(conn)
    .await?;
    Ok(active == Some(true))
}

/// The most urgent, then oldest, open ticket nobody else is claiming right
/// now; of `department` only, when given (a department's own chat).
pub async fn next_open(
    conn: &mut PgConnection,
    department: Option<Department>,
) -> Result<Option<TicketId>> {
    let id = sqlx::query_scalar!(
        "SELECT t.id FROM tickets t
          WHERE t.status = 'open' AND ($1::text IS NULL OR t.department = $1)
          ORDER BY ticket_urgency(t.priority), t.created_at, t.id
          LIMIT 1 FOR UPDATE SKIP LOCKED",
        department.map(Department::as_str),
    )
    .fetch_optional(conn)
    .await?;
    Ok(id.map(TicketId))
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
    let ids = sqlx::query_scalar!(
        "SELECT t.id FROM tickets t
          WHERE ticket_is_active(t.status)
            AND ((t.first_response_at IS NULL AND t.due_response_at < $1) OR t.due_resolve_at < $1)
            AND (t.last_ping_at IS NULL
                 OR t.last_ping_at <= $1 - make_interval(mins => $3))
          ORDER BY t.due_resolve_at, t.id
          LIMIT $2
          FOR UPDATE OF t SKIP LOCKED",
        now,
        limit,
        i32::try_from(ping_interval_minutes)?,
    )
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
    Ok(sqlx::query_scalar!(
        "UPDATE tickets SET escalated_at = $2 WHERE id = $1 AND escalated_at IS NULL RETURNING id",
        id.0,
        now,
    )
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// Records an overdue ping, so the next waits `ping_interval_minutes`.
pub async fn mark_pinged(conn: &mut PgConnection, id: TicketId, now: DateTime<Utc>) -> Result<()> {
    sqlx::query!(
        "UPDATE tickets SET last_ping_at = $2 WHERE id = $1",
        id.0,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Tickets resolved before `cutoff` (their reopen window is over), locked
/// for this transaction (other replicas skip them).
pub async fn resolved_before(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<TicketId>> {
    let ids = sqlx::query_scalar!(
        "SELECT id FROM tickets WHERE status = 'resolved' AND resolved_at < $1
          ORDER BY resolved_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
        cutoff,
        limit,
    )
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(TicketId).collect())
}

/// Moves ticket `id` to department `to`: whoever held it lets go (a claimed
/// or scheduled ticket is open again, for the new department to claim).
/// Returns the department it was in, or None when it is already in `to` or
/// is gone. The caller records the event and owns the transaction.
pub async fn set_department(
    conn: &mut PgConnection,
    id: TicketId,
    to: Department,
    now: DateTime<Utc>,
) -> Result<Option<Department>> {
    let from = sqlx::query_scalar!(
        "UPDATE tickets t
            SET department = $2, assignee = NULL, updated_at = $3,
                status = CASE WHEN t.status IN ('claimed', 'scheduled') THEN 'open' ELSE t.status END
           FROM (SELECT id, department FROM tickets WHERE id = $1 FOR UPDATE) old
          WHERE t.id = old.id AND old.department <> $2
          RETURNING old.department",
        id.0,
        to.as_str(),
        now,
    )
    .fetch_optional(conn)
    .await
    .context("transferring a ticket")?;
    Ok(from.as_deref().and_then(Department::parse))
}

/// Marks the first response if there was none yet.
pub async fn responded(conn: &mut PgConnection, id: TicketId, now: DateTime<Utc>) -> Result<()> {
    sqlx::query!(
        "UPDATE tickets SET first_response_at = COALESCE(first_response_at, $2), updated_at = $2
          WHERE id = $1",
        id.0,
        now,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Active tickets, unclaimed first, then most urgent and oldest; of
/// `department` only, when given (a department's own chat).
pub async fn queue(
    conn: &mut PgConnection,
    department: Option<Department>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Ticket>, i64)> {
    let department = department.map(Department::as_str);
    let rows = select_tickets!(
        "WHERE ticket_is_active(t.status) AND ($3::text IS NULL OR t.department = $3)
          ORDER BY t.status <> 'open',
                   ticket_urgency(t.priority), t.created_at, t.id
          LIMIT $1 OFFSET $2",
        limit,
        offset,
        department,
    )
    .fetch_all(&mut *conn)
    .await
    .context("reading the queue")?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM tickets
            WHERE ticket_is_active(status) AND ($1::text IS NULL OR department = $1)"#,
        department,
    )
    .fetch_one(conn)
    .await?;
    Ok((tickets(rows)?, total))
}

/// A staff member's active tickets, most urgent first.
pub async fn held_by(conn: &mut PgConnection, staff_id: i64) -> Result<Vec<Ticket>> {
    let rows = select_tickets!(
        "WHERE t.assignee = $1 AND ticket_is_active(t.status)
          ORDER BY ticket_urgency(t.priority), t.created_at",
        staff_id,
    )
    .fetch_all(conn)
    .await?;
    tickets(rows)
}

/// An owner's tickets, newest first.
pub async fn of_owner(
    conn: &mut PgConnection,
    owner_chat_id: i64,
    limit: i64,
) -> Result<Vec<Ticket>> {
    let rows = select_tickets!(
        "WHERE t.owner_chat_id = $1 ORDER BY t.created_at DESC, t.id DESC LIMIT $2",
        owner_chat_id,
        limit,
    )
    .fetch_all(conn)
    .await?;
    tickets(rows)
}

/// The owner's most recent active ticket, which their follow-ups attach to.
pub async fn latest_active_of_owner(
    conn: &mut PgConnection,
    owner_chat_id: i64,
) -> Result<Option<Ticket>> {
    let row = select_tickets!(
        "WHERE t.owner_chat_id = $1 AND ticket_is_active(t.status)
          ORDER BY t.created_at DESC, t.id DESC LIMIT 1",
        owner_chat_id,
    )
    .fetch_optional(conn)
    .await?;
    row.map(Ticket::try_from).transpose()
}

/// Active tickets of one kind, and how many of them are past a deadline
/// (the daily digest's table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindLoad {
    pub kind: String,
    pub active: i64,
    pub overdue: i64,
}

/// Active tickets by kind at `now`.
pub async fn active_by_kind(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<Vec<KindLoad>> {
    Ok(sqlx::query_as!(
        KindLoad,
        r#"SELECT kind, count(*) AS "active!",
                  count(*) FILTER (WHERE due_resolve_at < $1
                                      OR (first_response_at IS NULL AND due_response_at < $1))
                    AS "overdue!"
             FROM tickets WHERE ticket_is_active(status)
            GROUP BY kind ORDER BY kind"#,
        now
    )
    .fetch_all(conn)
    .await?)
}

/// Ratings given in `[from, to)`: how many, and their average (none when
/// there were none).
pub async fn ratings_between(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(i64, Option<f64>)> {
    let r = sqlx::query!(
        r#"SELECT count(*) AS "n!", avg((data->>'rating')::int)::float8 AS avg
             FROM ticket_events WHERE kind = 'rated' AND at >= $1 AND at < $2"#,
        from,
        to
    )
    .fetch_one(conn)
    .await?;
    Ok((r.n, r.avg))
}

/// Tickets filed for chat `owner_chat_id` since `since`, not counting one
/// filed by update `update_id` (a redelivery of the filing update).
pub async fn filed_since(
    conn: &mut PgConnection,
    owner_chat_id: i64,
    since: DateTime<Utc>,
    update_id: i64,
) -> Result<i64> {
    let n = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM tickets
            WHERE owner_chat_id = $1 AND created_at >= $2
              AND source_update_id IS DISTINCT FROM $3"#,
        owner_chat_id,
        since,
        update_id,
    )
    .fetch_one(conn)
    .await?;
    Ok(n)
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
    Ok(sqlx::query_as!(
        Event,
        "SELECT at, actor_kind, actor_id, kind, body, internal FROM ticket_events
          WHERE ticket_id = $1 ORDER BY id",
        id.0,
    )
    .fetch_all(conn)
    .await?)
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

    /// The SQL functions of migration 0025 state the Rust rules again, so
    /// queries can stay literals; they must agree value by value.
    #[tokio::test]
    async fn the_sql_rules_agree_with_the_enums() {
        let db = crate::db::testing::fresh_database().await.unwrap();
        let mut conn = db.pool.acquire().await.unwrap();
        for status in TicketStatus::ALL {
            let active: bool = sqlx::query_scalar("SELECT ticket_is_active($1)")
                .bind(status.as_str())
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(active, status.is_active(), "{status:?}");
        }
        let mut by_urgency = Vec::new();
        for priority in Priority::ALL {
            let rank: i32 = sqlx::query_scalar("SELECT ticket_urgency($1)")
                .bind(priority.as_str())
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            by_urgency.push((rank, *priority));
        }
        by_urgency.sort_by_key(|(rank, _)| *rank);
        let order: Vec<Priority> = by_urgency.into_iter().map(|(_, p)| p).collect();
        assert_eq!(
            order,
            [
                Priority::Urgent,
                Priority::High,
                Priority::Normal,
                Priority::Low
            ]
        );
    }
}
