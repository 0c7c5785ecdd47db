//! Canned replies at the desk: the 💬 button under a card (a picker, then
//! one press sends), `/canned TICKET [name or word]`, the catalogue
//! (`/canned`), and the managers' `/canned add|edit|remove`. A reply goes
//! to the owner in their language, signed by the office like any `/reply`;
//! one whose placeholder the ticket cannot fill is refused with the reason.

use std::collections::BTreeMap;

use anyhow::Result;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup};

use super::card;
use super::desk::{refuse, split_first, Desk};
use super::replies;
use crate::domain::canned::{self, Canned, Invalid};
use crate::domain::staff::StaffRole;
use crate::domain::tickets::{self, Ticket, TicketId};
use crate::i18n::Lang;
use crate::outbox::Request;
use crate::processor::context::{chat_language, Ctx};
use crate::processor::reply::answer;
use crate::telegram::callback::Callback;
use crate::texts::{self, fill};

/// Buttons a picker shows at most (Telegram takes 100; a phone shows fewer).
const PICKER_MAX: usize = 30;
/// Characters of a reply's text a picker line or button shows.
const PREVIEW_CHARS: usize = 40;

fn preview(c: &Canned, lang: Lang) -> String {
    let text = c.text(lang).replace('\n', " ");
    let mut short: String = text.chars().take(PREVIEW_CHARS).collect();
    if text.chars().count() > PREVIEW_CHARS {
        short.push('…');
    }
    short
}

/// `/canned …`: the catalogue, a reply for a ticket, or a manager's change.
/// `replied_to` is the ticket of the message a Telegram reply answers.
pub async fn command(
    ctx: &mut Ctx<'_>,
    desk: &Desk,
    arg: &str,
    replied_to: Option<TicketId>,
) -> Result<()> {
    let (verb, rest) = split_first(arg);
    match verb {
        "" if replied_to.is_none() => catalogue(ctx, desk, "").await,
        "add" | "edit" | "remove" => change(ctx, desk, verb, rest).await,
        _ => match TicketId::parse(verb) {
            Some(id) => for_ticket(ctx, desk, id, rest).await,
            None => match replied_to {
                Some(id) => for_ticket(ctx, desk, id, arg.trim()).await,
                None => catalogue(ctx, desk, arg.trim()).await,
            },
        },
    }
}

/// The replies in force (those matching `word`, if given), one a line.
async fn catalogue(ctx: &mut Ctx<'_>, desk: &Desk, word: &str) -> Result<()> {
    let all = matching(ctx, word, desk.lang).await?;
    if all.is_empty() {
        return no_match(ctx, desk, word).await;
    }
    let mut text = texts::desk::CANNED_LIST_HEADER.get(desk.lang).to_string();
    for c in &all {
        text.push('\n');
        text.push_str(&texts::desk::CANNED_LIST_LINE.fill(
            desk.lang,
            &[("key", &c.key), ("text", &preview(c, desk.lang))],
        ));
    }
    desk.say(ctx, text).await
}

async fn no_match(ctx: &mut Ctx<'_>, desk: &Desk, word: &str) -> Result<()> {
    if word.is_empty() {
        desk.say_phrase(ctx, texts::desk::CANNED_NONE, &[]).await
    } else {
        desk.say_phrase(ctx, texts::desk::CANNED_NO_MATCH, &[("word", word)])
            .await
    }
}

/// The replies in force whose name is `word`, else whose name or text (in
/// any language) contains it; all of them for no word.
async fn matching(ctx: &mut Ctx<'_>, word: &str, _lang: Lang) -> Result<Vec<Canned>> {
    let all = canned::active(ctx.conn).await?;
    let word = word.trim().to_lowercase();
    if word.is_empty() {
        return Ok(all);
    }
    if let Some(exact) = all.iter().find(|c| c.key == word) {
        return Ok(vec![exact.clone()]);
    }
    Ok(all
        .into_iter()
        .filter(|c| {
            c.key.contains(&word) || c.texts.values().any(|t| t.to_lowercase().contains(&word))
        })
        .collect())
}

/// `/canned N [word]`: one match is sent, several are offered as buttons.
async fn for_ticket(ctx: &mut Ctx<'_>, desk: &Desk, id: TicketId, word: &str) -> Result<()> {
    let Some(t) = tickets::load(ctx.conn, id).await? else {
        return desk
            .say_phrase(ctx, texts::NO_SUCH_TICKET, &[("id", &id.to_string())])
            .await;
    };
    let found = matching(ctx, word, desk.lang).await?;
    match found.as_slice() {
        [] => no_match(ctx, desk, word).await,
        [one] if !word.is_empty() => send(ctx, desk, &t, one).await,
        many => picker(ctx, desk, &t, many).await,
    }
}

/// The replies as buttons, each sending itself to ticket `t`'s owner.
async fn picker(ctx: &mut Ctx<'_>, desk: &Desk, t: &Ticket, replies: &[Canned]) -> Result<()> {
    let lang = desk.lang;
    let mut text = texts::desk::CANNED_PICK.fill(lang, &[("id", &t.id.to_string())]);
    let mut rows = Vec::new();
    for c in replies.iter().take(PICKER_MAX) {
        text.push('\n');
        text.push_str(
            &texts::desk::CANNED_LIST_LINE
                .fill(lang, &[("key", &c.key), ("text", &preview(c, lang))]),
        );
        rows.push(vec![InlineKeyboardButton::callback(
            c.key.clone(),
            Callback::CannedSend {
                ticket: t.id,
                reply: c.id,
            }
            .encode(),
        )]);
    }
    ctx.reply(
        desk.chat_id,
        Request::text_with(text, InlineKeyboardMarkup::new(rows)),
    )
    .await?;
    Ok(())
}

/// The 💬 button (a picker) and a picker's button (send that reply).
pub async fn on_button(
    ctx: &mut Ctx<'_>,
    desk: &Desk,
    q: &CallbackQuery,
    button: Callback,
) -> Result<()> {
    let id = match button {
        Callback::CannedPick(id) | Callback::CannedSend { ticket: id, .. } => id,
        _ => return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(desk.lang))).await,
    };
    let Some(t) = tickets::load(ctx.conn, id).await? else {
        return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(desk.lang))).await;
    };
    answer(ctx, q, None).await?;
    match button {
        Callback::CannedSend { reply, .. } => match canned::by_id(ctx.conn, reply).await? {
            Some(c) => send(ctx, desk, &t, &c).await,
            // Retired since the picker was drawn.
            None => desk.say_phrase(ctx, texts::BUTTON_EXPIRED, &[]).await,
        },
        _ => {
            let all = canned::active(ctx.conn).await?;
            if all.is_empty() {
                return no_match(ctx, desk, "").await;
            }
            picker(ctx, desk, &t, &all).await
        }
    }
}

/// The value of each placeholder for ticket `t`, in the owner's `lang`;
/// `Err` names what the ticket lacks.
fn values(
    ctx: &Ctx<'_>,
    desk: &Desk,
    t: &Ticket,
    c: &Canned,
    lang: Lang,
) -> Result<Vec<(&'static str, String)>, texts::Phrase> {
    let mut out = Vec::new();
    for name in c.placeholders() {
        let (key, value) = match name {
            "owner_name" => (
                "owner_name",
                card::contact(t)
                    .map(|(_, n, _)| n)
                    .filter(|n| n != "-")
                    .ok_or(texts::desk::PH_OWNER_NAME)?,
            ),
            "ticket" => ("ticket", t.id.to_string()),
            "unit" => (
                "unit",
                t.unit_code
                    .clone()
                    .or_else(|| t.location.clone())
                    .filter(|u| !u.is_empty())
                    .ok_or(texts::desk::PH_UNIT)?,
            ),
            "visit_time" => (
                "visit_time",
                t.appointment_at
                    .filter(|_| t.status.is_active())
                    .map(|at| card::local(at, ctx.app.settings.timezone))
                    .ok_or(texts::desk::PH_VISIT_TIME)?,
            ),
            "staff" => ("staff", desk.staff.signature(lang)),
            "duty_phone" => ("duty_phone", ctx.app.settings.duty_phone.clone()),
            // `canned::check` lets no other name in.
            _ => continue,
        };
        out.push((key, value));
    }
    Ok(out)
}

/// Sends reply `c` to ticket `t`'s owner in their language, or says why not.
async fn send(ctx: &mut Ctx<'_>, desk: &Desk, t: &Ticket, c: &Canned) -> Result<()> {
    let lang = match t.owner_chat_id {
        Some(owner) => chat_language(ctx.conn, owner).await?.unwrap_or(Lang::Zh),
        None => Lang::Zh,
    };
    let values = match values(ctx, desk, t, c, lang) {
        Ok(v) => v,
        Err(what) => {
            tracing::info!(ticket = t.id.0, reply = %c.key, "canned reply refused: a placeholder has no value");
            return desk
                .say_phrase(
                    ctx,
                    texts::desk::CANNED_MISSING,
                    &[
                        ("key", &c.key),
                        ("what", what.get(desk.lang)),
                        ("id", &t.id.to_string()),
                    ],
                )
                .await;
        }
    };
    let pairs: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let text = fill(c.text(lang), &pairs);
    let data = serde_json::json!({ "canned": c.key });
    replies::reply_with(ctx, desk, t, &text, None, data).await
}

/// `/canned add|edit|remove NAME` (managers): the texts follow the name, one
/// language a line (`zh: …`).
async fn change(ctx: &mut Ctx<'_>, desk: &Desk, verb: &str, rest: &str) -> Result<()> {
    if desk.staff.role < StaffRole::Manager {
        return refuse(
            ctx,
            desk.chat_id,
            desk.lang,
            desk.staff.telegram_user_id,
            Some(&desk.staff),
            &format!("canned {verb}"),
            StaffRole::Manager,
        )
        .await;
    }
    let (key, body) = match rest.split_once(char::is_whitespace) {
        Some((k, b)) => (k.trim(), b),
        None => (rest.trim(), ""),
    };
    if key.is_empty() {
        let list = canned::list();
        let text = texts::desk::CANNED_USAGE.fill(desk.lang, &[("placeholders", &list)]);
        return desk.say(ctx, text).await;
    }
    if !canned::valid_key(key) {
        return desk
            .say_phrase(ctx, texts::desk::CANNED_BAD_KEY, &[("key", key)])
            .await;
    }
    let by = desk.staff.telegram_user_id.to_string();
    if verb == "remove" {
        let done = canned::retire(ctx.conn, key, &by).await?;
        tracing::info!(key, done, by = desk.staff.staff_no, "canned reply retired");
        let phrase = if done {
            texts::desk::CANNED_REMOVED
        } else {
            texts::desk::CANNED_UNKNOWN
        };
        return desk.say_phrase(ctx, phrase, &[("key", key)]).await;
    }
    let given = match texts_of(body) {
        Ok(given) if !given.is_empty() => given,
        Ok(_) => {
            let list = canned::list();
            let text = texts::desk::CANNED_EDIT_USAGE.fill(desk.lang, &[("placeholders", &list)]);
            return desk.say(ctx, text).await;
        }
        Err(line) => {
            return desk
                .say_phrase(ctx, texts::desk::CANNED_BAD_LINE, &[("line", &line)])
                .await
        }
    };
    let mut texts = BTreeMap::new();
    if verb == "edit" {
        let Some(current) = canned::by_key(ctx.conn, key).await? else {
            return desk
                .say_phrase(ctx, texts::desk::CANNED_UNKNOWN, &[("key", key)])
                .await;
        };
        texts = current.texts;
    }
    texts.extend(given);
    if let Err(why) = canned::check(&texts) {
        return invalid(ctx, desk, key, &why).await;
    }
    let (done, phrase) = if verb == "add" {
        let added = canned::add(ctx.conn, key, &texts, &by).await?;
        let phrase = if added {
            texts::desk::CANNED_ADDED
        } else {
            texts::desk::CANNED_EXISTS
        };
        (added, phrase)
    } else {
        let edited = canned::edit(ctx.conn, key, &texts, &by).await?;
        let phrase = if edited {
            texts::desk::CANNED_EDITED
        } else {
            texts::desk::CANNED_UNKNOWN
        };
        (edited, phrase)
    };
    tracing::info!(
        key,
        verb,
        done,
        by = desk.staff.staff_no,
        "canned reply changed"
    );
    desk.say_phrase(ctx, phrase, &[("key", key)]).await
}

/// Why the texts were refused, in the desk's language.
async fn invalid(ctx: &mut Ctx<'_>, desk: &Desk, key: &str, why: &Invalid) -> Result<()> {
    let lang = desk.lang;
    let text = match why {
        Invalid::MissingLanguage(l) => {
            texts::desk::CANNED_MISSING_LANGUAGE.fill(lang, &[("key", key), ("lang", l.code())])
        }
        Invalid::UnknownPlaceholder(name) => texts::desk::CANNED_BAD_PLACEHOLDER.fill(
            lang,
            &[
                ("name", &format!("{{{name}}}")),
                ("allowed", &canned::list()),
            ],
        ),
        Invalid::PlaceholdersDiffer => {
            texts::desk::CANNED_PLACEHOLDERS_DIFFER.fill(lang, &[("key", key)])
        }
        Invalid::TooLong(l) => texts::desk::CANNED_TOO_LONG.fill(
            lang,
            &[("lang", l.code()), ("max", &canned::MAX_CHARS.to_string())],
        ),
    };
    desk.say(ctx, text).await
}

/// `zh: …` / `en: …` lines (a line without a code continues the one
/// before); the first line not understood is the error.
fn texts_of(body: &str) -> Result<BTreeMap<Lang, String>, String> {
    let mut texts: BTreeMap<Lang, String> = BTreeMap::new();
    let mut current: Option<Lang> = None;
    for line in body.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let coded = trimmed.split_once([':', '：']).and_then(|(code, text)| {
            let code = code.trim();
            let lang = Lang::ALL
                .into_iter()
                .find(|l| l.code().eq_ignore_ascii_case(code))?;
            Some((lang, text))
        });
        match (coded, current) {
            (Some((lang, text)), _) => {
                texts.insert(lang, text.trim().to_string());
                current = Some(lang);
            }
            (None, Some(lang)) => {
                if let Some(t) = texts.get_mut(&lang) {
                    t.push('\n');
                    t.push_str(trimmed);
                }
            }
            (None, None) => return Err(trimmed.to_string()),
        }
    }
    Ok(texts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_come_one_language_a_line_and_may_run_on() {
        let texts = texts_of("zh: 您好\n  师傅已出发\nEN：Hello, on the way").unwrap();
        assert_eq!(texts[&Lang::Zh], "您好\n师傅已出发");
        assert_eq!(texts[&Lang::En], "Hello, on the way");
        let hant = texts_of("zh-Hant: 您好\nZH-HANT：師傅已出發").unwrap();
        assert_eq!(hant[&Lang::ZhHant], "師傅已出發");
        assert_eq!(texts_of("hello there").unwrap_err(), "hello there");
        assert!(texts_of("").unwrap().is_empty());
    }
}
