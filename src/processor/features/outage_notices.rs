//! What owners are told of an outage: the notice in each language and its
//! queueing to everyone in the outage's scope. Shared by `/incident`
//! (incidents.rs) and the outage form (outages.rs), so neither needs the other
//! for it.

use anyhow::Result;
use chrono_tz::Tz;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::staff::say;
use crate::clock::local_minute as local;
use crate::domain::chats;
use crate::domain::incidents::{self, Incident, IncidentId, Scope};
use crate::i18n::Lang;
use crate::outbox::{self, Batch, Lane, Request};
use crate::processor::context::Ctx;
use crate::telegram::callback::Callback;
use crate::texts::{self, fill};

/// Queues the notice for every reachable registered person of the affected
/// buildings: one query for them, one insert for their sends (an estate's
/// building can hold thousands).
pub async fn queue_notices(ctx: &mut Ctx<'_>, incident: &Incident) -> Result<i64> {
    let tz = ctx.app.settings.timezone;
    // One request per language, in the order of `Lang::ALL`: a recipient
    // gets theirs.
    let details = incidents::details(ctx.conn, incident.id).await?;
    let requests: Vec<Request> = Lang::ALL
        .into_iter()
        .map(|lang| Request::text(notice_with(incident, details.as_ref(), lang, tz)))
        .collect();
    let scope = details
        .map(|d| d.scope)
        .unwrap_or_else(|| incidents::Scope {
            buildings: incident.buildings.clone(),
            ..incidents::Scope::default()
        });
    let recipients = chats::reachable_residents_in(
        ctx.conn,
        &scope.buildings,
        &scope.entrances,
        scope.floor_min,
        scope.floor_max,
    )
    .await?;
    let rows: Vec<(i64, usize)> = recipients
        .iter()
        .map(|r| (r.chat_id, r.lang().index()))
        .collect();
    let batch = Batch {
        lane: Lane::Broadcast,
        not_before: None,
        update_id: Some(ctx.update_id),
        requests: &requests,
    };
    let queued = outbox::enqueue_many(ctx.conn, &batch, &rows).await?;
    Ok(i64::try_from(queued.len())?)
}

/// The notice owners see (in the offer and the broadcast).
pub fn notice(i: &Incident, lang: Lang, tz: Tz) -> String {
    fill(
        texts::incident::NOTICE.get(lang),
        &[
            ("id", &i.id.to_string()),
            ("kind", i.kind.label(lang)),
            ("buildings", &i.buildings.join(", ")),
            ("end", &local(i.expected_end, tz)),
            ("text", &i.text),
        ],
    )
}

/// The notice of an outage declared by form: its scope, its start (if
/// later), and its text in `lang` (Chinese when it has none in that one).
pub fn notice_with(i: &Incident, d: Option<&incidents::Details>, lang: Lang, tz: Tz) -> String {
    let Some(d) = d else {
        return notice(i, lang, tz);
    };
    let text = d.texts.get(lang.code()).unwrap_or(&i.text);
    let mut out = fill(
        texts::incident::NOTICE.get(lang),
        &[
            ("id", &i.id.to_string()),
            ("kind", i.kind.label(lang)),
            ("buildings", &scope_after_buildings(&d.scope, lang)),
            ("end", &local(i.expected_end, tz)),
            ("text", text),
        ],
    );
    if let Some(start) = d.starts_at.filter(|s| *s > i.created_at) {
        out.push('\n');
        out.push_str(&texts::outage::STARTS.fill(lang, &[("start", &local(start, tz))]));
    }
    out.chars().take(crate::i18n::MAX_TEXT).collect()
}

/// After a declaration: notify those affected now, or offer the button.
pub async fn after_declaring(
    ctx: &mut Ctx<'_>,
    chat_id: i64,
    lang: Lang,
    id: IncidentId,
    notify_now: bool,
) -> Result<()> {
    let Some(incident) = incidents::load(ctx.conn, id).await? else {
        return Ok(());
    };
    if notify_now && incidents::mark_notified(ctx.conn, id, ctx.now).await? {
        let count = queue_notices(ctx, &incident).await?;
        incidents::set_notified_count(ctx.conn, id, count).await?;
        let text = texts::incident::NOTIFIED.fill(
            lang,
            &[("id", &id.to_string()), ("count", &count.to_string())],
        );
        return say(ctx, chat_id, text).await;
    }
    let keyboard = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
        texts::incident::NOTIFY_BUTTON.get(lang),
        Callback::IncidentNotify(id).encode(),
    )]]);
    ctx.reply(
        chat_id,
        Request::text_with(texts::incident::NOTIFY_BUTTON.get(lang), keyboard),
    )
    .await?;
    Ok(())
}

/// After the buildings (for texts that already say "building(s)"): `3, 5
/// · entrance(s) 1 · floors 3–8`.
#[must_use]
pub fn scope_after_buildings(s: &Scope, lang: Lang) -> String {
    let buildings = s.buildings.join(", ");
    match scope_within(s, lang) {
        Some(within) => format!("{buildings} · {within}"),
        None => buildings,
    }
}

/// The entrances and floors of a scope, if it narrows its buildings.
pub fn scope_within(s: &Scope, lang: Lang) -> Option<String> {
    let mut parts = Vec::new();
    if !s.entrances.is_empty() {
        parts.push(
            texts::outage::SCOPE_ENTRANCES.fill(lang, &[("entrances", &s.entrances.join(", "))]),
        );
    }
    if s.floor_min.is_some() || s.floor_max.is_some() {
        let f = |v: Option<i32>| v.map_or_else(String::new, |v| v.to_string());
        parts.push(
            texts::outage::SCOPE_FLOORS
                .fill(lang, &[("from", &f(s.floor_min)), ("to", &f(s.floor_max))]),
        );
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}
