//! Erasure: what of a person the database holds, and forgetting it.
//!
//! [`COLUMNS`] classifies every column of the schema as personal or not,
//! so this file is the one place that knows; a test reads
//! `information_schema` and fails when a column is added without being
//! classified here (or one classified here is gone).
//!
//! [`forget`] erases one person, named by their Telegram id: their `people`
//! row (name, phone, language, units, invitations), their chat, what they
//! wrote (the inbox payloads of their updates, their tickets' descriptions,
//! answers, comments and photos, their suggestions) and what the bot sent
//! them. Their tickets are kept, anonymised (no person, no chat, no text),
//! so counts, categories, response times and ratings still add up; their
//! survey answers likewise (without the comment). A ban is kept: erasure
//! must not lift it. Staff records (the roster, who handled what) are the
//! office's own and are not touched.
//!
//! `propdesk forget --telegram-id ID` and the owners' `/forgetme` both call
//! [`forget`], in the caller's transaction.

use anyhow::{Context, Result};
use sqlx::PgConnection;

/// Whether a column can hold a person's personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Names, identifies or describes a person (an owner, a tenant, a
    /// family member), or holds what they wrote or sent: [`forget`] erases
    /// it (or the row) for the person.
    Personal,
    /// Not about a person, or about staff at work, or a ban (kept on
    /// purpose): kept.
    Kept,
}

use Class::{Kept, Personal};

/// Every column of every table, classified. Keep it in step with the
/// migrations: `every_column_of_the_schema_is_classified_for_erasure`
/// (tests/e2e/retention.rs) compares it with the database.
pub const COLUMNS: &[(&str, &[(&str, Class)])] = &[
    (
        "activities",
        &[
            ("id", Kept),
            ("title", Kept),
            ("starts_at", Kept),
            ("place", Kept),
            ("capacity", Kept),
            ("description", Kept),
            ("status", Kept),
            ("created_by", Kept),
            ("created_at", Kept),
            ("reminded_at", Kept),
            ("attendance_at", Kept),
            ("attendance_by", Kept),
        ],
    ),
    (
        // The person's replies to an activity: the rows are deleted.
        "activity_rsvps",
        &[
            ("id", Kept),
            ("activity_id", Kept),
            ("person_id", Personal),
            ("chat_id", Personal),
            ("status", Personal),
            ("joined_at", Personal),
            ("attended", Personal),
            ("rating", Personal),
            ("comment", Personal),
            ("feedback_at", Personal),
        ],
    ),
    (
        // Photos of the person's tickets: deleted.
        "attachments",
        &[
            ("id", Kept),
            ("ticket_id", Kept),
            ("file_id", Personal),
            ("file_unique_id", Personal),
            ("kind", Kept),
            ("created_at", Kept),
        ],
    ),
    (
        // Bans survive an erasure (else /forgetme would lift one).
        "ban_audit",
        &[
            ("id", Kept),
            ("user_id", Kept),
            ("action", Kept),
            ("reason", Kept),
            ("staff_id", Kept),
            ("at", Kept),
        ],
    ),
    (
        "bans",
        &[
            ("user_id", Kept),
            ("reason", Kept),
            ("banned_by", Kept),
            ("banned_at", Kept),
        ],
    ),
    (
        "bot_state",
        &[("key", Kept), ("value", Kept), ("updated_at", Kept)],
    ),
    (
        // The person's copies of broadcasts: deleted.
        "broadcast_recipients",
        &[
            ("id", Kept),
            ("broadcast_id", Kept),
            ("person_id", Personal),
            ("chat_id", Personal),
            ("language", Personal),
            ("skipped_blocked", Kept),
            ("outbox_id", Kept),
            ("rsvp", Personal),
            ("rsvp_at", Personal),
            ("recall", Kept),
            ("recall_outbox_id", Kept),
        ],
    ),
    (
        // Written by staff.
        "broadcasts",
        &[
            ("id", Kept),
            ("author_user_id", Kept),
            ("author_chat_id", Kept),
            ("status", Kept),
            ("audience", Kept),
            ("text", Kept),
            ("photo", Kept),
            ("rsvp", Kept),
            ("urgent", Kept),
            ("send_at", Kept),
            ("starts_at", Kept),
            ("recipients", Kept),
            ("skipped_blocked", Kept),
            ("status_outbox_id", Kept),
            ("progress_text", Kept),
            ("progress_at", Kept),
            ("created_at", Kept),
            ("updated_at", Kept),
            ("confirmed_at", Kept),
            ("finished_at", Kept),
            ("texts", Kept),
            ("activity_id", Kept),
            ("stopped_at", Kept),
            ("stopped_by", Kept),
            ("recalled_at", Kept),
            ("recalled_by", Kept),
            ("recall_outbox_id", Kept),
            ("recall_finished_at", Kept),
        ],
    ),
    (
        "canned_replies",
        &[
            ("id", Kept),
            ("key", Kept),
            ("texts", Kept),
            ("active", Kept),
            ("created_at", Kept),
            ("updated_at", Kept),
            ("updated_by", Kept),
        ],
    ),
    (
        // The person's private chat: deleted.
        "chats",
        &[
            ("chat_id", Personal),
            ("kind", Kept),
            ("language", Personal),
            ("blocked_at", Personal),
            ("created_at", Kept),
            ("updated_at", Kept),
            ("left_at", Kept),
            ("is_forum", Kept),
        ],
    ),
    (
        // Unanswered questions and drafts: deleted.
        "conversations",
        &[
            ("chat_id", Personal),
            ("user_id", Personal),
            ("started_at", Kept),
            ("updated_at", Kept),
            ("expires_at", Kept),
            ("album", Personal),
            ("waiting", Personal),
        ],
    ),
    (
        "digests",
        &[
            ("day", Kept),
            ("chat_id", Kept),
            ("sent_at", Kept),
            ("suggestions", Kept),
        ],
    ),
    (
        // A pending /forgetme: deleted.
        "erasure_requests",
        &[
            ("telegram_user_id", Personal),
            ("nonce", Kept),
            ("confirmed_at", Kept),
        ],
    ),
    (
        // That an erasure happened, never whose.
        "erasures",
        &[
            ("id", Kept),
            ("erased_at", Kept),
            ("requested_by", Kept),
            ("tickets_kept", Kept),
        ],
    ),
    (
        // Deleted with the person (ON DELETE CASCADE).
        "fee_reminders_sent",
        &[
            ("person_id", Personal),
            ("period", Kept),
            ("sent_at", Kept),
            ("arrears_cents", Personal),
            ("outbox_id", Kept),
        ],
    ),
    (
        // A unit's fees, not a person's.
        "fees",
        &[
            ("id", Kept),
            ("unit_id", Kept),
            ("period", Kept),
            ("item", Kept),
            ("amount_due_cents", Kept),
            ("amount_paid_cents", Kept),
            ("due_date", Kept),
            ("updated_at", Kept),
        ],
    ),
    (
        "import_runs",
        &[
            ("id", Kept),
            ("kind", Kept),
            ("file_name", Kept),
            ("converted_from", Kept),
            ("rows_read", Kept),
            ("inserted", Kept),
            ("updated", Kept),
            ("unchanged", Kept),
            ("rejected", Kept),
            ("finished_at", Kept),
            ("removed", Kept),
        ],
    ),
    (
        "inbound_limits",
        &[("user_id", Personal), ("over_at", Kept)],
    ),
    (
        // The person's updates: the payload is emptied to its update id
        // and the ids cleared (the row stays, so a redelivery is still
        // recognised).
        "inbox",
        &[
            ("update_id", Kept),
            ("chat_id", Personal),
            ("user_id", Personal),
            ("kind", Kept),
            ("payload", Personal),
            ("received_at", Kept),
            ("processed_at", Kept),
            ("attempts", Kept),
            ("next_attempt_at", Kept),
            ("last_error", Personal),
            ("parked_at", Kept),
        ],
    ),
    (
        // Deleted with the person (ON DELETE CASCADE).
        "incident_reports",
        &[
            ("incident_id", Kept),
            ("person_id", Personal),
            ("chat_id", Personal),
            ("at", Kept),
        ],
    ),
    (
        "incident_updates",
        &[
            ("id", Kept),
            ("incident_id", Kept),
            ("kind", Kept),
            ("text", Kept),
            ("texts", Kept),
            ("expected_end", Kept),
            ("by_staff", Kept),
            ("at", Kept),
            ("notified_count", Kept),
        ],
    ),
    (
        "incidents",
        &[
            ("id", Kept),
            ("buildings", Kept),
            ("kind", Kept),
            ("expected_end", Kept),
            ("text", Kept),
            ("declared_by", Kept),
            ("declared_chat_id", Kept),
            ("created_at", Kept),
            ("notified_at", Kept),
            ("notified_count", Kept),
            ("closed_at", Kept),
            ("closed_by", Kept),
            ("close_note", Kept),
            ("entrances", Kept),
            ("floor_min", Kept),
            ("floor_max", Kept),
            ("starts_at", Kept),
            ("texts", Kept),
        ],
    ),
    (
        // Invitations the person made are deleted with them; one they used
        // forgets who used it (ON DELETE SET NULL).
        "invites",
        &[
            ("id", Kept),
            ("code_hash", Kept),
            ("unit_id", Kept),
            ("role", Kept),
            ("invited_by", Personal),
            ("created_at", Kept),
            ("expires_at", Kept),
            ("used_at", Kept),
            ("used_by", Personal),
        ],
    ),
    (
        "monthly_reports_sent",
        &[("month", Kept), ("sent_at", Kept), ("managers", Kept)],
    ),
    (
        "office_settings",
        &[
            ("key", Kept),
            ("value", Kept),
            ("updated_at", Kept),
            ("updated_by", Kept),
        ],
    ),
    (
        "office_settings_audit",
        &[
            ("id", Kept),
            ("key", Kept),
            ("old_value", Kept),
            ("new_value", Kept),
            ("changed_by", Kept),
            ("changed_at", Kept),
        ],
    ),
    (
        // What the bot sent: rows to the person's chat are deleted once
        // settled; settled rows elsewhere caused by their updates or
        // showing their tickets (staff cards, relays) lose their text,
        // caption and photos.
        "outbox",
        &[
            ("id", Kept),
            ("chat_id", Personal),
            ("lane", Kept),
            ("request", Personal),
            ("status", Kept),
            ("not_before", Kept),
            ("attempts", Kept),
            ("ambiguous", Kept),
            ("message_id", Kept),
            ("last_error", Kept),
            ("update_id", Kept),
            ("created_at", Kept),
            ("sent_at", Kept),
            ("thread_id", Kept),
            ("thread_outbox_id", Kept),
        ],
    ),
    (
        // Charts and spreadsheets for managers.
        "outbox_files",
        &[
            ("id", Kept),
            ("file_name", Kept),
            ("bytes", Kept),
            ("created_at", Kept),
        ],
    ),
    (
        // The person: deleted.
        "people",
        &[
            ("id", Personal),
            ("name", Personal),
            ("phone", Personal),
            ("telegram_user_id", Personal),
            ("language", Personal),
            ("fee_reminders", Personal),
            ("created_at", Personal),
            ("updated_at", Personal),
        ],
    ),
    (
        // Reminders to the person's chat: deleted.
        "reminders",
        &[
            ("id", Kept),
            ("kind", Kept),
            ("visit_id", Kept),
            ("survey_id", Kept),
            ("unit_id", Kept),
            ("chat_id", Personal),
            ("due_at", Kept),
            ("sent_at", Kept),
            ("result", Kept),
            ("outbox_id", Kept),
            ("cancelled_at", Kept),
            ("created_at", Kept),
        ],
    ),
    (
        "staff",
        &[
            ("telegram_user_id", Kept),
            ("staff_no", Kept),
            ("name", Kept),
            ("role", Kept),
            ("active", Kept),
            ("created_at", Kept),
            ("updated_at", Kept),
            ("username", Kept),
            ("department", Kept),
        ],
    ),
    (
        // Kept for the digest counts, without author, text or photos.
        "suggestions",
        &[
            ("id", Kept),
            ("person_id", Personal),
            ("chat_id", Personal),
            ("anonymous", Kept),
            ("body", Personal),
            ("photos", Personal),
            ("source_update_id", Kept),
            ("created_at", Kept),
            ("read_at", Kept),
        ],
    ),
    (
        // Kept for the survey's averages, anonymous and without comment.
        "survey_responses",
        &[
            ("survey_id", Kept),
            ("unit_id", Kept),
            ("person_id", Personal),
            ("anonymous", Kept),
            ("answers", Kept),
            ("comment", Personal),
            ("created_at", Kept),
            ("updated_at", Kept),
        ],
    ),
    (
        "surveys",
        &[
            ("id", Kept),
            ("code", Kept),
            ("started_at", Kept),
            ("closes_at", Kept),
            ("campaign_started_at", Kept),
        ],
    ),
    (
        // Kept for the times and counts; the owner's words and their id go.
        "ticket_events",
        &[
            ("id", Kept),
            ("ticket_id", Kept),
            ("at", Kept),
            ("actor_kind", Kept),
            ("actor_id", Personal),
            ("kind", Kept),
            ("body", Personal),
            ("internal", Kept),
            ("data", Personal),
        ],
    ),
    (
        "ticket_messages",
        &[("outbox_id", Kept), ("ticket_id", Kept)],
    ),
    (
        // Kept, anonymised: kind, category, unit, times, rating stay.
        "tickets",
        &[
            ("id", Kept),
            ("kind", Kept),
            ("category", Kept),
            ("priority", Kept),
            ("status", Kept),
            ("channel", Kept),
            ("unit_id", Kept),
            ("person_id", Personal),
            ("owner_chat_id", Personal),
            ("location", Personal),
            ("description", Personal),
            ("fields", Personal),
            ("assignee", Kept),
            ("source_update_id", Kept),
            ("created_at", Kept),
            ("updated_at", Kept),
            ("first_response_at", Kept),
            ("resolved_at", Kept),
            ("closed_at", Kept),
            ("due_response_at", Kept),
            ("due_resolve_at", Kept),
            ("appointment_at", Kept),
            ("rating", Kept),
            ("rating_comment", Personal),
            ("card_outbox_id", Kept),
            ("card_chat_id", Kept),
            ("last_ping_at", Kept),
            ("escalated_at", Kept),
            ("follow_up_at", Kept),
            ("follow_up_due_at", Kept),
            ("follow_up_done_at", Kept),
            ("follow_up_chased_at", Kept),
            ("department", Kept),
            ("topic_outbox_id", Kept),
            ("topic_status", Kept),
            ("topic_closed", Kept),
        ],
    ),
    (
        // Deleted with the person (ON DELETE CASCADE); where they acted
        // on someone else's membership, the actor is cleared.
        "unit_member_log",
        &[
            ("id", Kept),
            ("unit_id", Kept),
            ("person_id", Personal),
            ("role", Kept),
            ("action", Kept),
            ("actor_kind", Kept),
            ("actor_id", Personal),
            ("note", Personal),
            ("at", Kept),
        ],
    ),
    (
        // Deleted with the person (ON DELETE CASCADE).
        "unit_members",
        &[
            ("unit_id", Kept),
            ("person_id", Personal),
            ("role", Kept),
            ("is_default", Kept),
            ("created_at", Kept),
            ("source", Kept),
            ("invited_by", Personal),
        ],
    ),
    (
        // Property, not a person.
        "units",
        &[
            ("id", Kept),
            ("code", Kept),
            ("building", Kept),
            ("entrance", Kept),
            ("floor", Kept),
            ("area_m2", Kept),
            ("created_at", Kept),
            ("updated_at", Kept),
            ("search_key", Kept),
        ],
    ),
    (
        // Visits of the person's tickets: kept, without their chat or the
        // note about their home.
        "visits",
        &[
            ("id", Kept),
            ("ticket_id", Kept),
            ("unit_id", Kept),
            ("staff_id", Kept),
            ("staff_chat_id", Kept),
            ("owner_chat_id", Personal),
            ("at", Kept),
            ("status", Kept),
            ("outcome", Kept),
            ("outcome_note", Personal),
            ("outcome_at", Kept),
            ("follow_up_ticket_id", Kept),
            ("created_at", Kept),
            ("updated_at", Kept),
        ],
    ),
];

/// Tables that are the machinery's, not the application's.
pub const NOT_APPLICATION_TABLES: &[&str] = &["_sqlx_migrations"];

/// How a column is classified; `None` when [`COLUMNS`] does not know it.
#[must_use]
pub fn class_of(table: &str, column: &str) -> Option<Class> {
    COLUMNS
        .iter()
        .find(|(t, _)| *t == table)
        .and_then(|(_, cols)| cols.iter().find(|(c, _)| *c == column))
        .map(|(_, class)| *class)
}

/// What stands in for erased text that a column must hold.
pub const ERASED: &str = "[erased]";

/// Who asked for an erasure (`erasures.requested_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestedBy {
    Owner,
    CommandLine,
}

impl RequestedBy {
    fn code(self) -> &'static str {
        match self {
            RequestedBy::Owner => "owner",
            RequestedBy::CommandLine => "command line",
        }
    }
}

/// What [`forget`] did, in counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erased {
    /// `people` rows deleted (0 or 1).
    pub people: u64,
    /// Tickets kept, anonymised.
    pub tickets: u64,
    /// Inbox rows emptied.
    pub updates: u64,
    /// Outbox rows deleted (to the person's chat) or emptied (elsewhere).
    pub messages: u64,
    /// Photos (attachments) deleted.
    pub photos: u64,
    /// Other rows deleted or anonymised: suggestions, survey answers,
    /// replies to activities and broadcasts, reminders, drafts, the chat.
    pub other: u64,
    /// The person is also on the staff roster (which is kept).
    pub is_staff: bool,
}

impl Erased {
    /// Whether anything of the person was found.
    #[must_use]
    pub fn found(&self) -> bool {
        self.people + self.tickets + self.updates + self.messages + self.photos + self.other > 0
    }
}

/// Erases the personal data of the person with Telegram id `telegram_id`,
/// in the caller's transaction (see the module doc). `current_update`: the
/// update being handled (a `/forgetme` confirmation), erased with the rest;
/// other updates of theirs not processed yet are left to be handled (they
/// came after the request).
pub async fn forget(
    conn: &mut PgConnection,
    telegram_id: i64,
    current_update: Option<i64>,
    by: RequestedBy,
) -> Result<Erased> {
    let mut erased = Erased::default();
    let people: Vec<i64> = sqlx::query_scalar!(
        "SELECT id FROM people WHERE telegram_user_id = $1",
        telegram_id
    )
    .fetch_all(&mut *conn)
    .await
    .context("finding the person")?;
    erased.is_staff = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM staff WHERE telegram_user_id = $1) AS "s!""#,
        telegram_id
    )
    .fetch_one(&mut *conn)
    .await?;

    // Their tickets: what the bot showed staff of them first (it reads the
    // ticket's links), then the tickets themselves.
    let tickets: Vec<i64> = sqlx::query_scalar!(
        "SELECT id FROM tickets WHERE person_id = ANY($1) OR owner_chat_id = $2",
        &people,
        telegram_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let updates: Vec<i64> = sqlx::query_scalar!(
        "SELECT update_id FROM inbox
          WHERE (user_id = $1 OR chat_id = $1)
            AND (processed_at IS NOT NULL OR parked_at IS NOT NULL OR update_id = $2)",
        telegram_id,
        current_update
    )
    .fetch_all(&mut *conn)
    .await?;
    erased.messages += sqlx::query!(
        r#"UPDATE outbox
              SET request = (request - 'photos' - 'photo' - 'text' - 'caption' - 'name')
                            || CASE WHEN request ? 'text' THEN jsonb_build_object('text', $4::text) ELSE '{}' END
                            || CASE WHEN request ? 'name' THEN jsonb_build_object('name', $4::text) ELSE '{}' END
                            || CASE WHEN request ? 'caption' THEN jsonb_build_object('caption', $4::text) ELSE '{}' END
                            || CASE WHEN request ? 'photo' THEN jsonb_build_object('photo', $4::text) ELSE '{}' END
                            || CASE WHEN request ? 'photos' THEN '{"photos": []}'::jsonb ELSE '{}' END
            WHERE chat_id <> $3
              AND status NOT IN ('pending', 'sending')
              AND (update_id = ANY($2)
                   OR id IN (SELECT card_outbox_id FROM tickets WHERE id = ANY($1))
                   OR id IN (SELECT outbox_id FROM ticket_messages WHERE ticket_id = ANY($1)))"#,
        &tickets,
        &updates,
        telegram_id,
        ERASED
    )
    .execute(&mut *conn)
    .await
    .context("erasing what staff were shown")?
    .rows_affected();
    erased.messages += sqlx::query!(
        "DELETE FROM outbox WHERE chat_id = $1 AND status NOT IN ('pending', 'sending')",
        telegram_id
    )
    .execute(&mut *conn)
    .await
    .context("erasing what the person was sent")?
    .rows_affected();
    erased.updates = sqlx::query!(
        "UPDATE inbox
            SET payload = jsonb_build_object('update_id', update_id),
                chat_id = NULL, user_id = NULL, last_error = NULL
          WHERE update_id = ANY($1)",
        &updates
    )
    .execute(&mut *conn)
    .await
    .context("erasing the person's messages")?
    .rows_affected();

    erased.photos = sqlx::query!(
        "DELETE FROM attachments WHERE ticket_id = ANY($1)",
        &tickets
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sqlx::query!(
        "UPDATE ticket_events SET body = NULL, data = '{}'::jsonb,
                actor_id = CASE WHEN actor_kind = 'owner' THEN NULL ELSE actor_id END
          WHERE ticket_id = ANY($1)",
        &tickets
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE visits SET owner_chat_id = NULL, outcome_note = NULL WHERE ticket_id = ANY($1)",
        &tickets
    )
    .execute(&mut *conn)
    .await?;
    erased.tickets = sqlx::query!(
        "UPDATE tickets
            SET person_id = NULL, owner_chat_id = NULL, location = NULL, description = $2,
                fields = '{}'::jsonb, rating_comment = NULL, updated_at = now()
          WHERE id = ANY($1)",
        &tickets,
        ERASED
    )
    .execute(&mut *conn)
    .await
    .context("anonymising the person's tickets")?
    .rows_affected();

    erased.other += sqlx::query!(
        "UPDATE suggestions SET person_id = NULL, chat_id = NULL, body = $3, photos = '[]'::jsonb
          WHERE person_id = ANY($1) OR chat_id = $2",
        &people,
        telegram_id,
        ERASED
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    erased.other += sqlx::query!(
        "UPDATE survey_responses SET person_id = NULL, comment = NULL, anonymous = TRUE
          WHERE person_id = ANY($1)",
        &people
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    for deleted in [
        sqlx::query!(
            "DELETE FROM activity_rsvps WHERE person_id = ANY($1) OR chat_id = $2",
            &people,
            telegram_id
        )
        .execute(&mut *conn)
        .await?,
        sqlx::query!(
            "DELETE FROM broadcast_recipients WHERE person_id = ANY($1) OR chat_id = $2",
            &people,
            telegram_id
        )
        .execute(&mut *conn)
        .await?,
        sqlx::query!("DELETE FROM reminders WHERE chat_id = $1", telegram_id)
            .execute(&mut *conn)
            .await?,
        sqlx::query!(
            "DELETE FROM conversations WHERE chat_id = $1 OR user_id = $1",
            telegram_id
        )
        .execute(&mut *conn)
        .await?,
        sqlx::query!("DELETE FROM inbound_limits WHERE user_id = $1", telegram_id)
            .execute(&mut *conn)
            .await?,
        sqlx::query!(
            "DELETE FROM erasure_requests WHERE telegram_user_id = $1",
            telegram_id
        )
        .execute(&mut *conn)
        .await?,
        sqlx::query!("DELETE FROM chats WHERE chat_id = $1", telegram_id)
            .execute(&mut *conn)
            .await?,
    ] {
        erased.other += deleted.rows_affected();
    }
    sqlx::query!(
        "UPDATE unit_member_log SET actor_id = NULL, note = NULL
          WHERE actor_kind = 'owner' AND actor_id = ANY($1)",
        &people
    )
    .execute(&mut *conn)
    .await?;
    // The person last: their units, invitations, fee reminders and
    // membership history go with them (ON DELETE CASCADE / SET NULL).
    erased.people = sqlx::query!("DELETE FROM people WHERE id = ANY($1)", &people)
        .execute(&mut *conn)
        .await
        .context("deleting the person")?
        .rows_affected();
    if erased.found() {
        sqlx::query!(
            "INSERT INTO erasures (requested_by, tickets_kept) VALUES ($1, $2)",
            by.code(),
            i32::try_from(erased.tickets).unwrap_or(i32::MAX)
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(erased)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_columns_are_listed_once() {
        let mut tables: Vec<&str> = COLUMNS.iter().map(|(t, _)| *t).collect();
        let n = tables.len();
        tables.sort_unstable();
        tables.dedup();
        assert_eq!(tables.len(), n, "a table is listed twice");
        for (table, cols) in COLUMNS {
            let mut names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
            let n = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), n, "a column of {table} is listed twice");
        }
    }

    #[test]
    fn what_names_a_person_is_personal() {
        for (table, column) in [
            ("people", "name"),
            ("people", "phone"),
            ("inbox", "payload"),
            ("attachments", "file_id"),
            ("tickets", "description"),
        ] {
            assert_eq!(class_of(table, column), Some(Personal), "{table}.{column}");
        }
        assert_eq!(class_of("tickets", "category"), Some(Kept));
        assert_eq!(class_of("tickets", "nonsense"), None);
    }
}
