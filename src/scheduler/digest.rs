//! The daily digest to the staff group at the `digest_time` office setting
//! (local time): the suggestion box (then marked read, and non-anonymous authors
//! thanked), active and overdue tickets by kind, yesterday's ratings. The
//! `digests` row for the day is written in the same transaction as the
//! messages, so a day's digest goes out exactly once.

use anyhow::Result;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use sqlx::PgPool;

use crate::domain::office_settings;
use crate::domain::suggestions;
use crate::domain::tickets::{self, KindLoad, TicketKind};
use crate::i18n::Lang;
use crate::outbox::{self, Lane, Outgoing, Request};
use crate::processor::features::staff::split_text;
use crate::processor::{chat_language, App};
use crate::texts::{self, fill};

/// How much of each suggestion the digest quotes.
const QUOTE_CHARS: usize = 300;

/// Sends today's digest if it is due and not sent; returns (1, acks) when it did.
pub async fn send_if_due(
    pool: &PgPool,
    app: &App,
    now: DateTime<Utc>,
) -> Result<Option<(usize, usize)>> {
    let Some(group) = app.settings.staff_chat_id else {
        return Ok(None);
    };
    let tz = app.settings.timezone;
    let mut tx = pool.begin().await?;
    let at = office_settings::load(&mut tx).await?.digest_time;
    let local = now.with_timezone(&tz);
    if local.time() < at {
        return Ok(None);
    }
    let day = local.date_naive();
    let claimed = sqlx::query!(
        "INSERT INTO digests (day, chat_id, sent_at) VALUES ($1, $2, $3)
         ON CONFLICT (day) DO NOTHING",
        day,
        group,
        now
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !claimed {
        return Ok(None);
    }
    let lang = crate::processor::features::staff::card::staff_chat_language(&mut tx, group).await?;
    let mut text = fill(texts::DIGEST_TITLE.get(lang), &[("date", &day.to_string())]);

    // The suggestion box.
    let rows = suggestions::take_unread(&mut tx, now).await?;
    text.push_str("\n\n");
    if rows.is_empty() {
        text.push_str(texts::DIGEST_NO_SUGGESTIONS.get(lang));
    } else {
        text.push_str(&texts::DIGEST_SUGGESTIONS.fill(lang, &[("n", &rows.len().to_string())]));
    }
    let mut acks = Vec::new();
    for r in &rows {
        let (anonymous, body) = (r.anonymous, &r.body);
        let (name, unit) = (r.name.clone(), r.code.clone());
        let who = if anonymous {
            texts::DIGEST_ANONYMOUS.get(lang).to_string()
        } else {
            [name, unit]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut quote: String = body.chars().take(QUOTE_CHARS).collect();
        if body.chars().count() > QUOTE_CHARS {
            quote.push('…');
        }
        text.push_str(&format!("\n• [{who}] {quote}"));
        if !anonymous {
            if let Some(chat) = r.chat_id {
                acks.push(chat);
            }
        }
    }
    sqlx::query!(
        "UPDATE digests SET suggestions = $2 WHERE day = $1",
        day,
        i32::try_from(rows.len()).unwrap_or(i32::MAX)
    )
    .execute(&mut *tx)
    .await?;

    // Active and overdue tickets by kind.
    let counts = tickets::active_by_kind(&mut tx, now).await?;
    text.push_str("\n\n");
    if counts.is_empty() {
        text.push_str(texts::DIGEST_NO_OPEN.get(lang));
    } else {
        text.push_str(texts::DIGEST_OPEN.get(lang));
        for r in &counts {
            let KindLoad {
                kind,
                active,
                overdue,
            } = r;
            let label = TicketKind::parse(kind).map_or(kind.clone(), |k| k.label(lang).to_string());
            text.push_str(&format!("\n• {label}: {active} / {overdue}"));
        }
    }

    // Yesterday's ratings (local days).
    let today_start = tz
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .earliest()
        .map_or(now, |d| d.with_timezone(&Utc));
    let yesterday_start = today_start - Duration::days(1);
    let (n, avg) = tickets::ratings_between(&mut tx, yesterday_start, today_start).await?;
    text.push_str("\n\n");
    if n == 0 {
        text.push_str(texts::DIGEST_NO_RATINGS.get(lang));
    } else {
        let avg = avg.unwrap_or(0.0);
        text.push_str(&texts::DIGEST_RATINGS.fill(
            lang,
            &[("n", &n.to_string()), ("avg", &format!("{avg:.1}"))],
        ));
    }

    for part in split_text(&text) {
        outbox::enqueue(
            &mut tx,
            None,
            &Outgoing::new(group, Lane::Staff, Request::text(part)),
        )
        .await?;
    }
    acks.sort_unstable();
    acks.dedup();
    for chat in &acks {
        let lang = chat_language(&mut tx, *chat).await?.unwrap_or(Lang::Zh);
        outbox::enqueue(
            &mut tx,
            None,
            &Outgoing::new(
                *chat,
                Lane::Reminder,
                Request::text(texts::SUGGESTION_ACK.get(lang)),
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Some((1, acks.len())))
}
