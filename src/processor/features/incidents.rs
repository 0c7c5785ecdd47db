//! Outages: staff declare, list and close them (`/incident`,
//! `/incidents`, `/incident_close`) in a private chat or the staff group;
//! owners starting a repair report in an affected building are offered to
//! join the outage instead of filing a ticket; the declaring staff member can
//! notify every registered owner of the affected buildings. Buttons are
//! `i:j:<id>` join, `i:o` report something else, `i:n:<id>` notify.

use anyhow::Result;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message};
use teloxide::utils::command::BotCommands;

use super::outage_notices::queue_notices;
use super::staff::card::staff_language;
use super::staff::say;
use crate::clock::local_minute as local;
use crate::domain::incidents::{self, CloseOutcome, DeclareError, IncidentId};
use crate::domain::people;
use crate::domain::staff::{self, Staff, StaffRole};
use crate::i18n::Lang;
use crate::outbox::{Lane, Outgoing, Request};
use crate::processor::commands::{Chats, Command, Feature, Who};
use crate::processor::context::Ctx;
use crate::processor::main_menu::main_menu;
use crate::processor::reply::{answer, remove_buttons, Sender};
use crate::telegram::callback::Callback;
use crate::texts::{self, fill};

/// The outage commands (staff only).
#[derive(BotCommands, Debug, Clone, PartialEq, Eq)]
#[command(rename_rule = "snake_case")]
pub enum IncidentCommand {
    Incident(String),
    Outage,
    Incidents,
    IncidentClose(String),
    IncidentUpdate(String),
}

/// The outage commands (staff; closing another's outage needs a manager).
pub const COMMANDS: &[Command] = &[
    outage("incident").described(texts::desk::CMD_INCIDENT),
    outage("incidents").described(texts::desk::CMD_INCIDENTS),
    outage("incident_close").described(texts::desk::CMD_INCIDENT_CLOSE),
    outage("incident_update").described(texts::desk::CMD_INCIDENT_UPDATE),
    // The guided form; it refuses anyone below a supervisor.
    Command::new(
        "outage",
        Feature::Incidents,
        Chats::Any,
        Who::Staff(StaffRole::Supervisor),
    )
    .described(texts::desk::CMD_OUTAGE),
];

const fn outage(name: &'static str) -> Command {
    Command::new(
        name,
        Feature::Incidents,
        Chats::Any,
        Who::Staff(StaffRole::Assistant),
    )
}

/// A message in any chat: an outage command. True if handled here.
pub async fn on_message(ctx: &mut Ctx<'_>, from: &Sender, msg: &Message) -> Result<bool> {
    let Some(text) = msg.text().filter(|t| t.starts_with('/')) else {
        return Ok(false);
    };
    let Ok(command) = IncidentCommand::parse(text, &ctx.app.settings.bot_username) else {
        return Ok(false);
    };
    let lang = if from.private {
        from.lang
    } else {
        staff_language(ctx, from.chat_id).await?
    };
    let Some(member) = staff::by_telegram_id(ctx.conn, from.user_id).await? else {
        tracing::warn!(
            user_id = from.user_id,
            chat_id = from.chat_id,
            command = ?command,
            "outage command refused: not on the staff"
        );
        say(ctx, from.chat_id, texts::STAFF_ONLY.get(lang).to_string()).await?;
        return Ok(true);
    };
    let _ = member;
    match command {
        IncidentCommand::Incidents => list(ctx, from.chat_id, lang).await?,
        // Declaring, updating and closing are for supervisors and managers.
        IncidentCommand::Incident(args) if args.trim().is_empty() => {
            super::outages::start(ctx, from, lang).await?;
        }
        IncidentCommand::Outage => super::outages::start(ctx, from, lang).await?,
        command => {
            let Some(member) = super::outages::allowed(ctx, from, lang).await? else {
                return Ok(true);
            };
            match command {
                IncidentCommand::Incident(args) => {
                    declare(ctx, from.chat_id, lang, &member, &args).await?
                }
                IncidentCommand::IncidentClose(args) => {
                    close(ctx, from.chat_id, lang, &member, &args).await?
                }
                IncidentCommand::IncidentUpdate(args) => {
                    update(ctx, from.chat_id, lang, &member, &args).await?
                }
                _ => {}
            }
        }
    }
    Ok(true)
}

async fn declare(
    ctx: &mut Ctx<'_>,
    chat_id: i64,
    lang: Lang,
    member: &Staff,
    args: &str,
) -> Result<()> {
    let tz = ctx.app.settings.timezone;
    let known = incidents::known_buildings(ctx.conn).await?;
    let declaration = match incidents::parse_declaration(args, &known, ctx.now, tz) {
        Ok(d) => d,
        Err(e) => {
            tracing::info!(chat_id, error = %e, "outage declaration refused");
            let text = format!(
                "{}\n\n{}",
                declare_error(&e, lang, &known),
                texts::incident::INCIDENT_EXAMPLE.get(lang)
            );
            return say(ctx, chat_id, text).await;
        }
    };
    let id = incidents::declare(
        ctx.conn,
        &declaration,
        member.telegram_user_id,
        chat_id,
        ctx.now,
    )
    .await?;
    tracing::info!(
        incident = id.0,
        by = member.telegram_user_id,
        "outage declared"
    );
    let text = fill(
        texts::incident::DECLARED.get(lang),
        &[
            ("id", &id.to_string()),
            ("n", &id.0.to_string()),
            ("kind", declaration.kind.label(lang)),
            ("buildings", &declaration.buildings.join(", ")),
            ("end", &local(declaration.expected_end, tz)),
            ("text", &declaration.text),
        ],
    );
    let keyboard = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
        texts::incident::NOTIFY_BUTTON.get(lang),
        Callback::IncidentNotify(id).encode(),
    )]]);
    ctx.reply(chat_id, Request::text_with(text, keyboard))
        .await?;
    Ok(())
}

/// The answer to a refused declaration, naming what was wrong.
fn declare_error(e: &DeclareError, lang: Lang, known: &[String]) -> String {
    match e {
        DeclareError::Empty => texts::incident::INCIDENT_USAGE.get(lang).to_string(),
        DeclareError::NoBuildings => texts::incident::ERR_NO_BUILDINGS.get(lang).to_string(),
        DeclareError::UnknownBuilding(b) => fill(
            texts::incident::ERR_UNKNOWN_BUILDING.get(lang),
            &[("building", b), ("known", &known.join(", "))],
        ),
        DeclareError::MissingKind => texts::incident::ERR_MISSING_KIND.get(lang).to_string(),
        DeclareError::UnknownKind(k) => {
            fill(texts::incident::ERR_UNKNOWN_KIND.get(lang), &[("kind", k)])
        }
        DeclareError::MissingEnd => texts::incident::ERR_MISSING_END.get(lang).to_string(),
        DeclareError::BadTime(t) => fill(texts::incident::ERR_BAD_TIME.get(lang), &[("time", t)]),
        DeclareError::EndInPast(t) => {
            fill(texts::incident::ERR_END_IN_PAST.get(lang), &[("time", t)])
        }
        DeclareError::MissingText => texts::incident::ERR_MISSING_TEXT.get(lang).to_string(),
        DeclareError::TooLong { got, max } => fill(
            texts::incident::ERR_TOO_LONG.get(lang),
            &[("got", &got.to_string()), ("max", &max.to_string())],
        ),
    }
}

async fn list(ctx: &mut Ctx<'_>, chat_id: i64, lang: Lang) -> Result<()> {
    let active = incidents::active(ctx.conn).await?;
    if active.is_empty() {
        return say(
            ctx,
            chat_id,
            texts::incident::LIST_EMPTY.get(lang).to_string(),
        )
        .await;
    }
    let tz = ctx.app.settings.timezone;
    let mut text = texts::incident::LIST_HEADER.get(lang).to_string();
    for i in &active {
        text.push_str("\n\n");
        text.push_str(&texts::incident::LIST_LINE.fill(
            lang,
            &[
                ("id", &i.id.to_string()),
                ("kind", i.kind.label(lang)),
                ("buildings", &i.buildings.join(", ")),
                ("end", &local(i.expected_end, tz)),
                ("reports", &i.reports.to_string()),
                ("text", &i.text),
            ],
        ));
        if i.expected_end <= ctx.now {
            text.push_str(texts::incident::OVERDUE_MARK.get(lang));
        }
    }
    say(ctx, chat_id, text).await
}

async fn close(
    ctx: &mut Ctx<'_>,
    chat_id: i64,
    lang: Lang,
    member: &Staff,
    args: &str,
) -> Result<()> {
    let args = args.trim();
    let (first, note) = match args.split_once(char::is_whitespace) {
        Some((first, note)) => (first, note.trim()),
        None => (args, ""),
    };
    let Some(id) = IncidentId::parse(first) else {
        return say(
            ctx,
            chat_id,
            texts::incident::CLOSE_USAGE.get(lang).to_string(),
        )
        .await;
    };
    let note = (!note.is_empty()).then_some(note);
    if note.is_some_and(|n| n.chars().count() > incidents::MAX_TEXT) {
        let text = fill(
            texts::incident::ERR_TOO_LONG.get(lang),
            &[
                ("got", &note.map_or(0, |n| n.chars().count()).to_string()),
                ("max", &incidents::MAX_TEXT.to_string()),
            ],
        );
        return say(ctx, chat_id, text).await;
    }
    // Everyone in the scope if they were told of it, else those who joined.
    let affected = incidents::affected(ctx.conn, id).await?;
    let outcome = incidents::close(ctx.conn, id, member.telegram_user_id, note, ctx.now).await?;
    let (incident, _) = match outcome {
        CloseOutcome::NotFound => {
            let text = fill(
                texts::incident::CLOSE_NOT_FOUND.get(lang),
                &[("id", &id.to_string())],
            );
            return say(ctx, chat_id, text).await;
        }
        CloseOutcome::AlreadyClosed => {
            let text = fill(
                texts::incident::CLOSE_ALREADY.get(lang),
                &[("id", &id.to_string())],
            );
            return say(ctx, chat_id, text).await;
        }
        CloseOutcome::Closed(incident, reporters) => (incident, reporters),
    };
    let reporters = affected;
    if let Some(note) = note {
        incidents::add_update(
            ctx.conn,
            id,
            "all_clear",
            note,
            None,
            member.telegram_user_id,
            ctx.now,
        )
        .await?;
    }
    tracing::info!(
        incident = id.0,
        by = member.telegram_user_id,
        told = reporters.len(),
        "outage closed"
    );
    for (owner_chat, owner_lang) in &reporters {
        let mut text = fill(
            texts::incident::OWNER_CLOSED.get(*owner_lang),
            &[
                ("id", &id.to_string()),
                ("kind", incident.kind.label(*owner_lang)),
                ("buildings", &incident.buildings.join(", ")),
            ],
        );
        if let Some(note) = note {
            text.push_str("\n\n");
            text.push_str(note);
        }
        ctx.send(Outgoing::new(
            *owner_chat,
            Lane::Reply,
            Request::text_with(text, main_menu(*owner_lang)),
        ))
        .await?;
    }
    let text = texts::incident::CLOSED.fill(
        lang,
        &[
            ("id", &id.to_string()),
            ("count", &reporters.len().to_string()),
        ],
    );
    say(ctx, chat_id, text).await
}

/// An outage button.
pub async fn on_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    button: Callback,
) -> Result<()> {
    match button {
        Callback::IncidentJoin(id) => join(ctx, from, q, id).await,
        // The repair dialogue offers outages itself now (`find_outage`);
        // these two answer the buttons of offers made before it did.
        Callback::IncidentOther => {
            answer(ctx, q, None).await?;
            remove_buttons(ctx, q).await?;
            super::dialogue::start_dialogue(ctx, from, "repair").await
        }
        Callback::IncidentNotify(id) => notify(ctx, from, q, id).await,
        _ => answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(from.lang))).await,
    }
}

async fn join(ctx: &mut Ctx<'_>, from: &Sender, q: &CallbackQuery, id: IncidentId) -> Result<()> {
    let lang = from.lang;
    let person = people::find_person_by_telegram_id(ctx.conn, from.user_id).await?;
    let Some(person) = person else {
        return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await;
    };
    answer(ctx, q, None).await?;
    let phrase = incidents::join(ctx.conn, id, person.id, from.chat_id, ctx.now)
        .await?
        .phrase()
        .unwrap_or(texts::incident::JOIN_CLOSED);
    remove_buttons(ctx, q).await?;
    ctx.reply(
        from.chat_id,
        Request::text_with(
            phrase.fill(lang, &[("id", &id.to_string())]),
            main_menu(lang),
        ),
    )
    .await?;
    Ok(())
}

/// "Notify affected owners": one broadcast-lane message per registered
/// person of the affected buildings whose chat is not blocked, once per
/// incident.
async fn notify(ctx: &mut Ctx<'_>, from: &Sender, q: &CallbackQuery, id: IncidentId) -> Result<()> {
    let lang = if from.private {
        from.lang
    } else {
        staff_language(ctx, from.chat_id).await?
    };
    let Some(member) = staff::by_telegram_id(ctx.conn, from.user_id).await? else {
        tracing::warn!(
            user_id = from.user_id,
            "outage notify pressed by someone not on the staff"
        );
        return answer(ctx, q, Some(texts::STAFF_ONLY.get(lang))).await;
    };
    let Some(incident) = incidents::load(ctx.conn, id).await? else {
        return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await;
    };
    if incident.declared_by != member.telegram_user_id && !member.role.can_declare_outages() {
        tracing::warn!(
            user_id = from.user_id,
            incident = incident.id.0,
            "outage notify refused"
        );
        return answer(ctx, q, Some(texts::incident::NOTIFY_NOT_YOURS.get(lang))).await;
    }
    if !incidents::mark_notified(ctx.conn, incident.id, ctx.now).await? {
        let phrase = if incident.closed_at.is_some() {
            texts::incident::NOTIFY_CLOSED
        } else {
            texts::incident::ALREADY_NOTIFIED
        };
        return answer(ctx, q, Some(phrase.get(lang))).await;
    }
    let count = queue_notices(ctx, &incident).await?;
    incidents::set_notified_count(ctx.conn, incident.id, count).await?;
    tracing::info!(incident = incident.id.0, count, "outage notice queued");
    answer(ctx, q, None).await?;
    remove_buttons(ctx, q).await?;
    let text = texts::incident::NOTIFIED.fill(
        lang,
        &[
            ("id", &incident.id.to_string()),
            ("count", &count.to_string()),
        ],
    );
    say(ctx, from.chat_id, text).await
}

/// `/incident_update N text`: the update to everyone affected.
async fn update(
    ctx: &mut Ctx<'_>,
    chat_id: i64,
    lang: Lang,
    member: &Staff,
    args: &str,
) -> Result<()> {
    let args = args.trim();
    let (first, text) = args
        .split_once(char::is_whitespace)
        .map_or((args, ""), |(a, b)| (a, b.trim()));
    let (Some(id), false) = (IncidentId::parse(first), text.is_empty()) else {
        return say(
            ctx,
            chat_id,
            texts::outage::UPDATE_USAGE.get(lang).to_string(),
        )
        .await;
    };
    if text.chars().count() > incidents::MAX_TEXT {
        let t = fill(
            texts::incident::ERR_TOO_LONG.get(lang),
            &[
                ("got", &text.chars().count().to_string()),
                ("max", &incidents::MAX_TEXT.to_string()),
            ],
        );
        return say(ctx, chat_id, t).await;
    }
    let incident = incidents::load(ctx.conn, id)
        .await?
        .filter(|i| i.closed_at.is_none());
    let Some(incident) = incident else {
        let t = fill(
            texts::incident::CLOSE_NOT_FOUND.get(lang),
            &[("id", &id.to_string())],
        );
        return say(ctx, chat_id, t).await;
    };
    let details = incidents::details(ctx.conn, id).await?;
    let affected = incidents::affected(ctx.conn, id).await?;
    let update = incidents::add_update(
        ctx.conn,
        id,
        "update",
        text,
        None,
        member.telegram_user_id,
        ctx.now,
    )
    .await?;
    for (owner_chat, owner_lang) in &affected {
        let scope = details.as_ref().map_or_else(
            || incident.buildings.join(", "),
            |d| super::outages::scope_label(&d.scope, *owner_lang),
        );
        let body = texts::outage::UPDATE_NOTICE.fill(
            *owner_lang,
            &[
                ("id", &id.to_string()),
                ("kind", incident.kind.label(*owner_lang)),
                ("scope", &scope),
                ("text", text),
            ],
        );
        ctx.send(Outgoing::new(
            *owner_chat,
            Lane::Broadcast,
            Request::text(body),
        ))
        .await?;
    }
    incidents::set_update_count(ctx.conn, update, affected.len()).await?;
    tracing::info!(incident = id.0, told = affected.len(), "outage update sent");
    let t = texts::outage::UPDATED.fill(
        lang,
        &[
            ("id", &id.to_string()),
            ("count", &affected.len().to_string()),
        ],
    );
    say(ctx, chat_id, t).await
}

#[cfg(test)]
mod tests {
    use super::super::outage_notices::notice;
    use super::*;
    use chrono::{TimeZone, Utc};
    use incidents::{Incident, IncidentKind};

    #[test]
    fn outage_commands_parse_with_arguments_and_bot_name() {
        assert_eq!(
            IncidentCommand::parse("/incident 3 water 18:00 x", "bot").ok(),
            Some(IncidentCommand::Incident("3 water 18:00 x".into()))
        );
        assert_eq!(
            IncidentCommand::parse("/incidents@bot", "bot").ok(),
            Some(IncidentCommand::Incidents)
        );
        assert_eq!(
            IncidentCommand::parse("/incident_close 3 Water is back", "bot").ok(),
            Some(IncidentCommand::IncidentClose("3 Water is back".into()))
        );
        assert!(IncidentCommand::parse("/claim 3", "bot").is_err());
    }

    #[test]
    fn the_longest_notice_fits_one_message_with_its_buttons() {
        let i = Incident {
            id: IncidentId(i64::MAX),
            buildings: (0..20).map(|b| format!("B{b}")).collect(),
            kind: IncidentKind::Lift,
            expected_end: Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap(),
            text: "字".repeat(incidents::MAX_TEXT),
            declared_by: 1,
            created_at: Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap(),
            notified_at: None,
            closed_at: None,
            reports: 0,
        };
        for lang in [Lang::Zh, Lang::En] {
            let text = format!(
                "{}\n\n{}",
                notice(&i, lang, chrono_tz::Asia::Shanghai),
                texts::incident::OFFER_QUESTION.get(lang)
            );
            assert!(text.chars().count() <= crate::i18n::MAX_TEXT);
            let declared = texts::incident::DECLARED.fill(
                lang,
                &[
                    ("id", "I9223372036854775807"),
                    ("kind", i.kind.label(lang)),
                    ("buildings", &i.buildings.join(",")),
                    ("end", "2026-11-28 18:00"),
                    ("text", &i.text),
                    ("n", "9223372036854775807"),
                ],
            );
            assert!(declared.chars().count() <= crate::i18n::MAX_TEXT);
        }
    }
}
