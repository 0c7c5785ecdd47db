//! Overdue tickets: a ping in the staff group at most once per
//! `ping_interval_minutes` (an office setting) each, and one escalation to the
//! supervisors when the resolve-by deadline passes.

use anyhow::Result;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::office_settings;
use crate::domain::staff::{self, StaffRole};
use crate::domain::tickets::transition::{self, Transition};
use crate::domain::tickets::{self, Actor, Ticket};
use crate::i18n::Lang;
use crate::outbox::{self, Lane, Outgoing, Request};
use crate::processor::chat_language;
use crate::processor::features::staff::card;
use crate::processor::App;
use crate::texts::{self, fill};

/// Tickets handled per transaction (the rest wait for the next tick).
const BATCH: i64 = 50;

/// Pings and escalates what is overdue; returns (pings, escalations).
pub async fn ping_overdue(pool: &PgPool, app: &App, now: DateTime<Utc>) -> Result<(usize, usize)> {
    let mut tx = pool.begin().await?;
    let settings = office_settings::load(&mut tx).await?;
    let due = tickets::overdue(&mut tx, now, BATCH, settings.ping_interval_minutes).await?;
    let lang = settings.staff_language;
    let tz = app.settings.timezone;
    let (mut pings, mut escalations) = (0, 0);
    for id in due {
        let Some(t) = tickets::load(&mut tx, id).await? else {
            continue;
        };
        // Where its card is: the ticket's department's chat, else the group.
        let Some((group, thread)) = card::ticket_place(&mut tx, app, &t).await? else {
            continue;
        };
        let holder = match t.assignee {
            Some(a) => staff::by_telegram_id(&mut tx, a).await?,
            None => None,
        };
        let who = holder
            .as_ref()
            .map_or_else(|| texts::NOBODY.get(lang).to_string(), |s| s.display(lang));
        let resolve_overdue = t.due_resolve_at.is_some_and(|d| d < now);
        let escalate = resolve_overdue && tickets::mark_escalated(&mut tx, id, now).await?;
        let reply_to = card_message(&mut tx, &t).await?;
        let text = if escalate {
            escalations += 1;
            escalate_to_supervisors(&mut tx, &t, &who, now, app).await?;
            escalation_text(&t, &who, lang, tz)
        } else if resolve_overdue {
            fill(
                texts::PING_RESOLVE.get(lang),
                &[
                    ("id", &t.id.to_string()),
                    ("due", &due_text(t.due_resolve_at, tz)),
                    ("who", &who),
                ],
            )
        } else {
            fill(
                texts::PING_RESPONSE.get(lang),
                &[
                    ("id", &t.id.to_string()),
                    ("due", &due_text(t.due_response_at, tz)),
                ],
            )
        };
        let row = outbox::enqueue(
            &mut tx,
            None,
            &Outgoing::new(
                group,
                Lane::Staff,
                Request::SendMessage {
                    text,
                    reply_markup: None,
                    reply_to,
                },
            )
            .in_thread(thread),
        )
        .await?;
        tickets::link_message(&mut tx, row, t.id).await?;
        tickets::mark_pinged(&mut tx, id, now).await?;
        tickets::add_event(
            &mut tx,
            t.id,
            now,
            Actor::System,
            if escalate {
                "escalated"
            } else {
                "overdue_ping"
            },
            None,
            true,
            serde_json::Value::Null,
        )
        .await?;
        pings += 1;
    }
    tx.commit().await?;
    Ok((pings, escalations))
}

fn due_text(due: Option<DateTime<Utc>>, tz: chrono_tz::Tz) -> String {
    due.map_or_else(|| "-".into(), |d| card::local(d, tz))
}

fn escalation_text(t: &Ticket, who: &str, lang: Lang, tz: chrono_tz::Tz) -> String {
    fill(
        texts::ESCALATION.get(lang),
        &[
            ("id", &t.id.to_string()),
            ("kind", t.kind.label(lang)),
            ("unit", t.unit_code.as_deref().unwrap_or("-")),
            ("due", &due_text(t.due_resolve_at, tz)),
            ("who", who),
        ],
    )
}

/// Each supervisor and manager who has a private chat with the bot.
async fn escalate_to_supervisors(
    conn: &mut PgConnection,
    t: &Ticket,
    who: &str,
    _now: DateTime<Utc>,
    app: &App,
) -> Result<()> {
    for s in staff::with_role_at_least(conn, StaffRole::Supervisor).await? {
        let Some(lang) = chat_language(conn, s.telegram_user_id).await? else {
            // No private chat with the bot yet: the group notice reaches them.
            continue;
        };
        let row = outbox::enqueue(
            conn,
            None,
            &Outgoing::new(
                s.telegram_user_id,
                Lane::Staff,
                Request::text(escalation_text(t, who, lang, app.settings.timezone)),
            ),
        )
        .await?;
        tickets::link_message(conn, row, t.id).await?;
    }
    Ok(())
}

/// The card's Telegram message id, once it is sent.
async fn card_message(conn: &mut PgConnection, t: &Ticket) -> Result<Option<i32>> {
    let Some(card) = t.card_outbox_id else {
        return Ok(None);
    };
    let id: Option<Option<i64>> =
        sqlx::query_scalar!("SELECT message_id FROM outbox WHERE id = $1", card)
            .fetch_optional(conn)
            .await?;
    Ok(id.flatten().and_then(|m| i32::try_from(m).ok()))
}

/// Resolved tickets past the reopen window become closed, their cards
/// showing it.
pub async fn close_resolved(pool: &PgPool, app: &App, now: DateTime<Utc>) -> Result<u64> {
    let mut tx = pool.begin().await?;
    let days = office_settings::load(&mut tx).await?.reopen_days;
    let cutoff = now - chrono::Duration::days(i64::from(days));
    let mut closed = 0;
    for id in tickets::resolved_before(&mut tx, cutoff, BATCH).await? {
        match transition::perform(&mut tx, id, Transition::Close, Actor::System, now).await? {
            Ok(_) => {
                card::refresh_in(&mut tx, app, now, None, id).await?;
                closed += 1;
            }
            Err(refusal) => tracing::warn!(ticket = id.0, ?refusal, "closing refused"),
        }
    }
    tx.commit().await?;
    Ok(closed)
}
