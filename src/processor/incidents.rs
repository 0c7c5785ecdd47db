//! Outages: staff declare, list and close them (`/incident`,
//! `/incidents`, `/incident_close`) in a private chat or the staff group;
//! owners starting a repair report in an affected building are offered to
//! join the outage instead of filing a ticket; the declaring staff member can
//! notify every registered owner of the affected buildings. Buttons are
//! `i:j:<id>` join, `i:o` report something else, `i:n:<id>` notify.

use anyhow::Result;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message};
use teloxide::utils::command::BotCommands;

use super::context::Ctx;
use super::menu::main_menu;
use super::router::{answer, remove_buttons, Sender};
use super::staff::card::staff_language;
use super::staff::say;
use crate::domain::incidents::{
    self, CloseOutcome, DeclareError, Incident, IncidentId, JoinOutcome,
};
use crate::domain::people;
use crate::domain::staff::{self, Staff};
use crate::i18n::Lang;
use crate::telegram::outbox::{Lane, Outgoing, Request, NOTIFY_CHANNEL};
use crate::texts::{self, fill, Phrase};

/// The outage commands (staff only).
#[derive(BotCommands, Debug, Clone, PartialEq, Eq)]
#[command(rename_rule = "snake_case")]
pub enum IncidentCommand {
    Incident(String),
    Incidents,
    IncidentClose(String),
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
    match command {
        IncidentCommand::Incident(args) => declare(ctx, from.chat_id, lang, &member, &args).await?,
        IncidentCommand::Incidents => list(ctx, from.chat_id, lang).await?,
        IncidentCommand::IncidentClose(args) => {
            close(ctx, from.chat_id, lang, &member, &args).await?;
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
                INCIDENT_EXAMPLE.get(lang)
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
        DECLARED.get(lang),
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
        NOTIFY_BUTTON.get(lang),
        format!("i:n:{}", id.0),
    )]]);
    ctx.reply(chat_id, Request::text_with(text, keyboard))
        .await?;
    Ok(())
}

/// The answer to a refused declaration, naming what was wrong.
fn declare_error(e: &DeclareError, lang: Lang, known: &[String]) -> String {
    match e {
        DeclareError::Empty => INCIDENT_USAGE.get(lang).to_string(),
        DeclareError::NoBuildings => ERR_NO_BUILDINGS.get(lang).to_string(),
        DeclareError::UnknownBuilding(b) => fill(
            ERR_UNKNOWN_BUILDING.get(lang),
            &[("building", b), ("known", &known.join(", "))],
        ),
        DeclareError::MissingKind => ERR_MISSING_KIND.get(lang).to_string(),
        DeclareError::UnknownKind(k) => fill(ERR_UNKNOWN_KIND.get(lang), &[("kind", k)]),
        DeclareError::MissingEnd => ERR_MISSING_END.get(lang).to_string(),
        DeclareError::BadTime(t) => fill(ERR_BAD_TIME.get(lang), &[("time", t)]),
        DeclareError::EndInPast(t) => fill(ERR_END_IN_PAST.get(lang), &[("time", t)]),
        DeclareError::MissingText => ERR_MISSING_TEXT.get(lang).to_string(),
        DeclareError::TooLong { got, max } => fill(
            ERR_TOO_LONG.get(lang),
            &[("got", &got.to_string()), ("max", &max.to_string())],
        ),
    }
}

async fn list(ctx: &mut Ctx<'_>, chat_id: i64, lang: Lang) -> Result<()> {
    let active = incidents::active(ctx.conn).await?;
    if active.is_empty() {
        return say(ctx, chat_id, LIST_EMPTY.get(lang).to_string()).await;
    }
    let tz = ctx.app.settings.timezone;
    let mut text = LIST_HEADER.get(lang).to_string();
    for i in &active {
        text.push_str("\n\n");
        text.push_str(&fill(
            LIST_LINE.get(lang),
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
            text.push_str(OVERDUE_MARK.get(lang));
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
        return say(ctx, chat_id, CLOSE_USAGE.get(lang).to_string()).await;
    };
    let note = (!note.is_empty()).then_some(note);
    if note.is_some_and(|n| n.chars().count() > incidents::MAX_TEXT) {
        let text = fill(
            ERR_TOO_LONG.get(lang),
            &[
                ("got", &note.map_or(0, |n| n.chars().count()).to_string()),
                ("max", &incidents::MAX_TEXT.to_string()),
            ],
        );
        return say(ctx, chat_id, text).await;
    }
    let outcome = incidents::close(ctx.conn, id, member.telegram_user_id, note, ctx.now).await?;
    let (incident, reporters) = match outcome {
        CloseOutcome::NotFound => {
            let text = fill(CLOSE_NOT_FOUND.get(lang), &[("id", &id.to_string())]);
            return say(ctx, chat_id, text).await;
        }
        CloseOutcome::AlreadyClosed => {
            let text = fill(CLOSE_ALREADY.get(lang), &[("id", &id.to_string())]);
            return say(ctx, chat_id, text).await;
        }
        CloseOutcome::Closed(incident, reporters) => (incident, reporters),
    };
    tracing::info!(
        incident = id.0,
        by = member.telegram_user_id,
        reporters = reporters.len(),
        "outage closed"
    );
    for (owner_chat, owner_lang) in &reporters {
        let mut text = fill(
            OWNER_CLOSED.get(*owner_lang),
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
    let text = fill(
        CLOSED.get(lang),
        &[
            ("id", &id.to_string()),
            ("count", &reporters.len().to_string()),
        ],
    );
    say(ctx, chat_id, text).await
}

/// Before the repair dialogue starts from the menu: if an outage is active
/// in one of the owner's buildings, shows it and offers to join it. True
/// when the offer was made (the dialogue then waits for the owner's choice).
pub async fn offer_before_repair(ctx: &mut Ctx<'_>, from: &Sender) -> Result<bool> {
    let Some(person) = people::find_person_by_telegram_id(ctx.conn, from.user_id).await? else {
        return Ok(false);
    };
    let active = incidents::active_for_person(ctx.conn, person.id).await?;
    if active.is_empty() {
        return Ok(false);
    }
    let lang = from.lang;
    let tz = ctx.app.settings.timezone;
    let mut text = String::new();
    let mut rows = Vec::new();
    for i in &active {
        text.push_str(&notice(i, lang, tz));
        text.push_str("\n\n");
        let label = if active.len() == 1 {
            JOIN_BUTTON.get(lang).to_string()
        } else {
            format!("{} {}", JOIN_BUTTON.get(lang), i.id)
        };
        rows.push(vec![InlineKeyboardButton::callback(
            label,
            format!("i:j:{}", i.id.0),
        )]);
    }
    text.push_str(OFFER_QUESTION.get(lang));
    rows.push(vec![InlineKeyboardButton::callback(
        OTHER_BUTTON.get(lang),
        "i:o",
    )]);
    // Several long notices could pass Telegram's limit; the newest are the
    // ones cut, and the buttons still name every outage.
    let text: String = text.chars().take(crate::i18n::MAX_TEXT).collect();
    ctx.reply(
        from.chat_id,
        Request::text_with(text, InlineKeyboardMarkup::new(rows)),
    )
    .await?;
    Ok(true)
}

/// An `i:` button.
pub async fn on_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    data: &str,
) -> Result<()> {
    let (action, rest) = data.split_once(':').unwrap_or((data, ""));
    match action {
        "j" => join(ctx, from, q, rest).await,
        "o" => {
            answer(ctx, q, None).await?;
            remove_buttons(ctx, q).await?;
            super::dialogue::start_dialogue(ctx, from, "repair").await
        }
        "n" => notify(ctx, from, q, rest).await,
        _ => answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(from.lang))).await,
    }
}

async fn join(ctx: &mut Ctx<'_>, from: &Sender, q: &CallbackQuery, rest: &str) -> Result<()> {
    let lang = from.lang;
    let person = people::find_person_by_telegram_id(ctx.conn, from.user_id).await?;
    let (Some(id), Some(person)) = (IncidentId::parse(rest), person) else {
        return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await;
    };
    answer(ctx, q, None).await?;
    let phrase = match incidents::join(ctx.conn, id, person.id, from.chat_id, ctx.now).await? {
        JoinOutcome::Joined => {
            tracing::info!(
                incident = id.0,
                person = person.id,
                "owner joined an outage"
            );
            JOINED
        }
        JoinOutcome::AlreadyJoined => ALREADY_JOINED,
        JoinOutcome::NotOpen => JOIN_CLOSED,
    };
    remove_buttons(ctx, q).await?;
    ctx.reply(
        from.chat_id,
        Request::text_with(
            fill(phrase.get(lang), &[("id", &id.to_string())]),
            main_menu(lang),
        ),
    )
    .await?;
    Ok(())
}

/// "Notify affected owners": one broadcast-lane message per registered
/// person of the affected buildings whose chat is not blocked, once per
/// incident.
async fn notify(ctx: &mut Ctx<'_>, from: &Sender, q: &CallbackQuery, rest: &str) -> Result<()> {
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
    let incident = match IncidentId::parse(rest) {
        Some(id) => incidents::load(ctx.conn, id).await?,
        None => None,
    };
    let Some(incident) = incident else {
        return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await;
    };
    if incident.declared_by != member.telegram_user_id && !member.role.can_broadcast() {
        tracing::warn!(
            user_id = from.user_id,
            incident = incident.id.0,
            "outage notify refused"
        );
        return answer(ctx, q, Some(NOTIFY_NOT_YOURS.get(lang))).await;
    }
    if !incidents::mark_notified(ctx.conn, incident.id, ctx.now).await? {
        let phrase = if incident.closed_at.is_some() {
            NOTIFY_CLOSED
        } else {
            ALREADY_NOTIFIED
        };
        return answer(ctx, q, Some(phrase.get(lang))).await;
    }
    let count = queue_notices(ctx, &incident).await?;
    incidents::set_notified_count(ctx.conn, incident.id, count).await?;
    tracing::info!(incident = incident.id.0, count, "outage notice queued");
    answer(ctx, q, None).await?;
    remove_buttons(ctx, q).await?;
    let text = fill(
        NOTIFIED.get(lang),
        &[
            ("id", &incident.id.to_string()),
            ("count", &count.to_string()),
        ],
    );
    say(ctx, from.chat_id, text).await
}

/// Queues the notice for every reachable registered person of the affected
/// buildings in one statement (an estate's building can hold thousands).
async fn queue_notices(ctx: &mut Ctx<'_>, incident: &Incident) -> Result<i64> {
    let tz = ctx.app.settings.timezone;
    let request = |lang: Lang| serde_json::to_value(Request::text(notice(incident, lang, tz)));
    let count: i64 = sqlx::query_scalar(
        "WITH recipients AS (
             SELECT DISTINCT p.telegram_user_id AS chat_id,
                    COALESCE(c.language, p.language, 'zh') AS lang
               FROM units u
               JOIN unit_members m ON m.unit_id = u.id
               JOIN people p ON p.id = m.person_id
               LEFT JOIN chats c ON c.chat_id = p.telegram_user_id
              WHERE u.building = ANY($1)
                AND p.telegram_user_id IS NOT NULL
                AND c.blocked_at IS NULL),
         queued AS (
             INSERT INTO outbox (chat_id, lane, request, update_id)
             SELECT chat_id, $2, CASE WHEN lang = 'en' THEN $3::jsonb ELSE $4::jsonb END, $5
               FROM recipients ORDER BY chat_id
             RETURNING id)
         SELECT count(*) FROM queued",
    )
    .bind(&incident.buildings)
    .bind(Lane::Broadcast as i16)
    .bind(request(Lang::En)?)
    .bind(request(Lang::Zh)?)
    .bind(ctx.update_id)
    .fetch_one(&mut *ctx.conn)
    .await?;
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(NOTIFY_CHANNEL)
        .execute(&mut *ctx.conn)
        .await?;
    Ok(count)
}

/// The notice owners see (in the offer and the broadcast).
fn notice(i: &Incident, lang: Lang, tz: Tz) -> String {
    fill(
        NOTICE.get(lang),
        &[
            ("id", &i.id.to_string()),
            ("kind", i.kind.label(lang)),
            ("buildings", &i.buildings.join(", ")),
            ("end", &local(i.expected_end, tz)),
            ("text", &i.text),
        ],
    )
}

fn local(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

// ------------------------------------------------------------------ texts

pub const INCIDENT_USAGE: Phrase = Phrase {
    zh: "发布停水停电等故障通知：/incident 楼栋 类型 预计恢复时间 说明\n类型：water（停水）、power（停电）、lift（电梯）、gas（燃气）、other（其他）。时间为本地时间：2026-11-28T18:00、2026-11-28 18:00 或 18:00（今天）。",
    en: "To declare an outage: /incident BUILDINGS KIND END TEXT\nKinds: water, power, lift, gas, other. The end is local time: 2026-11-28T18:00, 2026-11-28 18:00 or 18:00 (today).",
};
pub const INCIDENT_EXAMPLE: Phrase = Phrase {
    zh: "例如：/incident 3,5 water 2026-11-28T18:00 主管道维修",
    en: "Example: /incident 3,5 water 2026-11-28T18:00 Pipe repair on the main line",
};
pub const ERR_NO_BUILDINGS: Phrase = Phrase {
    zh: "请写明受影响的楼栋，多个用逗号分隔，例如 3,5。",
    en: "Please name the affected building(s), separated by commas, e.g. 3,5.",
};
pub const ERR_UNKNOWN_BUILDING: Phrase = Phrase {
    zh: "没有 {building} 号楼。小区的楼栋有：{known}。",
    en: "There is no building {building}. The estate's buildings are: {known}.",
};
pub const ERR_MISSING_KIND: Phrase = Phrase {
    zh: "请在楼栋后写明类型：water、power、lift、gas 或 other。",
    en: "Please give the kind after the buildings: water, power, lift, gas or other.",
};
pub const ERR_UNKNOWN_KIND: Phrase = Phrase {
    zh: "不认识类型“{kind}”。可用：water（停水）、power（停电）、lift（电梯）、gas（燃气）、other（其他）。",
    en: "Unknown kind \"{kind}\". Use one of: water, power, lift, gas, other.",
};
pub const ERR_MISSING_END: Phrase = Phrase {
    zh: "请在类型后写明预计恢复时间，例如 2026-11-28T18:00。",
    en: "Please give the expected end after the kind, e.g. 2026-11-28T18:00.",
};
pub const ERR_BAD_TIME: Phrase = Phrase {
    zh: "看不懂时间“{time}”。请写成 2026-11-28T18:00、2026-11-28 18:00 或 18:00（本地时间）。",
    en: "Cannot read the time \"{time}\". Write it as 2026-11-28T18:00, 2026-11-28 18:00 or 18:00 (local time).",
};
pub const ERR_END_IN_PAST: Phrase = Phrase {
    zh: "预计恢复时间 {time} 已经过去，请填写将来的时间。",
    en: "The expected end {time} is already past; please give a time in the future.",
};
pub const ERR_MISSING_TEXT: Phrase = Phrase {
    zh: "请在时间后写一段给业主看的说明。",
    en: "Please add a text for the owners after the time.",
};
pub const ERR_TOO_LONG: Phrase = Phrase {
    zh: "说明有 {got} 个字，超过了上限 {max} 个字（Telegram 的消息长度限制），请缩短。",
    en: "The text has {got} characters, over the limit of {max} (Telegram's message length); please shorten it.",
};
pub const DECLARED: Phrase = Phrase {
    zh: "已发布故障 {id}：{kind}，楼栋 {buildings}，预计 {end} 恢复。\n{text}\n\n这些楼栋的业主报修时会看到此通知。点下面的按钮可通知这些楼栋所有已登记的业主。结束时发送 /incident_close {n} [说明]。",
    en: "Outage {id} declared: {kind}, building(s) {buildings}, expected to end {end}.\n{text}\n\nOwners starting a repair report in these buildings will see it. The button below notifies every registered owner there. Close it with /incident_close {n} [note].",
};
pub const NOTIFY_BUTTON: Phrase = Phrase {
    zh: "通知受影响的业主",
    en: "Notify affected owners",
};
pub const NOTIFIED: Phrase = Phrase {
    zh: "故障 {id} 的通知已排队发送给 {count} 位业主。",
    en: "The notice of outage {id} is queued for {count} owners.",
};
pub const ALREADY_NOTIFIED: Phrase = Phrase {
    zh: "这个故障的业主已经通知过了。",
    en: "The owners were already notified of this outage.",
};
pub const NOTIFY_CLOSED: Phrase = Phrase {
    zh: "这个故障已经结束，不再通知。",
    en: "This outage is closed; no notice is sent.",
};
pub const NOTIFY_NOT_YOURS: Phrase = Phrase {
    zh: "只有发布人或经理可以发送此通知。",
    en: "Only whoever declared it, or a manager, may send this notice.",
};
pub const LIST_EMPTY: Phrase = Phrase {
    zh: "目前没有进行中的故障。",
    en: "No active outages.",
};
pub const LIST_HEADER: Phrase = Phrase {
    zh: "进行中的故障：",
    en: "Active outages:",
};
pub const LIST_LINE: Phrase = Phrase {
    zh: "{id} {kind} · 楼栋 {buildings} · 预计 {end} 恢复 · {reports} 位业主报告\n{text}",
    en: "{id} {kind} · building(s) {buildings} · until {end} · {reports} owner reports\n{text}",
};
pub const OVERDUE_MARK: Phrase = Phrase {
    zh: "\n⏰ 已超过预计恢复时间",
    en: "\n⏰ past its expected end",
};
pub const CLOSE_USAGE: Phrase = Phrase {
    zh: "结束故障：/incident_close 编号 [说明]，例如 /incident_close 3 已恢复供水",
    en: "To close an outage: /incident_close NUMBER [note], e.g. /incident_close 3 Water is back",
};
pub const CLOSE_NOT_FOUND: Phrase = Phrase {
    zh: "没有故障 {id}。发送 /incidents 查看进行中的故障。",
    en: "There is no outage {id}. Send /incidents to see the active ones.",
};
pub const CLOSE_ALREADY: Phrase = Phrase {
    zh: "故障 {id} 已经结束了。",
    en: "Outage {id} was already closed.",
};
pub const CLOSED: Phrase = Phrase {
    zh: "故障 {id} 已结束；正在通知报告过的 {count} 位业主。",
    en: "Outage {id} closed; the {count} owners who reported it are being told.",
};
pub const NOTICE: Phrase = Phrase {
    zh: "⚠️ {kind}（{id}）\n楼栋：{buildings}\n预计恢复：{end}\n{text}",
    en: "⚠️ {kind} ({id})\nBuilding(s): {buildings}\nExpected to end: {end}\n{text}",
};
pub const OFFER_QUESTION: Phrase = Phrase {
    zh: "您要报修的是这个问题吗？可以把您的报告加入此故障，无需另行报修，恢复后我们会在这里通知您。",
    en: "Is your repair about this? You can add your report to this outage instead of filing a new request; we will tell you here when it is over.",
};
pub const JOIN_BUTTON: Phrase = Phrase {
    zh: "加入此故障报告",
    en: "Add me to this outage",
};
pub const OTHER_BUTTON: Phrase = Phrase {
    zh: "报修其他问题",
    en: "Report something else",
};
pub const JOINED: Phrase = Phrase {
    zh: "已记录：您的报告已加入故障 {id}，无需另行报修。恢复后我们会在这里通知您。",
    en: "Noted: your report is added to outage {id}; no separate repair request is needed. We will tell you here when it is over.",
};
pub const ALREADY_JOINED: Phrase = Phrase {
    zh: "您的报告已经在故障 {id} 中了，恢复后会通知您。",
    en: "Your report is already part of outage {id}; we will tell you when it is over.",
};
pub const JOIN_CLOSED: Phrase = Phrase {
    zh: "故障 {id} 已经结束或与您的楼栋无关。如果问题仍在，请从菜单选择“报修”。",
    en: "Outage {id} is over or does not concern your building. If the problem remains, please choose Repair in the menu.",
};
pub const OWNER_CLOSED: Phrase = Phrase {
    zh: "好消息：您报告的{kind}（{id}，楼栋 {buildings}）已经恢复。如仍有问题，请从菜单选择“报修”告诉我们。",
    en: "Good news: the {kind} you reported ({id}, building(s) {buildings}) is over. If anything is still wrong, please tell us with Repair in the menu.",
};

/// Every phrase of this module, for the completeness test.
pub const ALL: &[Phrase] = &[
    INCIDENT_USAGE,
    INCIDENT_EXAMPLE,
    ERR_NO_BUILDINGS,
    ERR_UNKNOWN_BUILDING,
    ERR_MISSING_KIND,
    ERR_UNKNOWN_KIND,
    ERR_MISSING_END,
    ERR_BAD_TIME,
    ERR_END_IN_PAST,
    ERR_MISSING_TEXT,
    ERR_TOO_LONG,
    DECLARED,
    NOTIFY_BUTTON,
    NOTIFIED,
    ALREADY_NOTIFIED,
    NOTIFY_CLOSED,
    NOTIFY_NOT_YOURS,
    LIST_EMPTY,
    LIST_HEADER,
    LIST_LINE,
    OVERDUE_MARK,
    CLOSE_USAGE,
    CLOSE_NOT_FOUND,
    CLOSE_ALREADY,
    CLOSED,
    NOTICE,
    OFFER_QUESTION,
    JOIN_BUTTON,
    OTHER_BUTTON,
    JOINED,
    ALREADY_JOINED,
    JOIN_CLOSED,
    OWNER_CLOSED,
];

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use incidents::IncidentKind;

    #[test]
    fn every_text_exists_in_both_languages() {
        for p in ALL {
            assert!(!p.zh.trim().is_empty() && !p.en.trim().is_empty(), "{p:?}");
        }
    }

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
                OFFER_QUESTION.get(lang)
            );
            assert!(text.chars().count() <= crate::i18n::MAX_TEXT);
            let declared = fill(DECLARED.get(lang), &[("text", &i.text)]);
            assert!(declared.chars().count() <= crate::i18n::MAX_TEXT);
        }
    }
}
