//! Composing a broadcast in a private chat with the bot (`/broadcast`), the
//! list (`/broadcasts`), and the buttons under `b:`: the compose steps, the
//! preview's inert buttons, and owners' RSVP answers.
//!
//! The draft's content lives in `broadcasts` (status 'draft'); what the bot
//! waits for is the author's conversation state (`Waiting::BroadcastDraft`),
//! which expires like any draft. Every button carries the draft's id and is
//! honoured only for its author, while the draft is at that step.

use anyhow::Result;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message};

use crate::domain::broadcasts::{
    self as bc, Audience, Broadcast, DraftChange, RsvpOutcome, Schedule,
};
use crate::domain::office_settings;
use crate::domain::staff::{self, StaffRole};
use crate::domain::units::LIST_SEPARATORS;
use crate::i18n::Lang;
use crate::outbox::{Outgoing, Request, Target};
use crate::processor::commands::{Chats, Command, Feature, Who};
use crate::processor::context::Ctx;
use crate::processor::conversation::{self, Waiting};
use crate::processor::reply::{answer, say, Sender};
use crate::telegram::callback::{AudienceChoice, Callback};
use crate::texts::{broadcast as texts, fill, notices, Phrase};

pub mod present;
mod send;

pub use send::{confirm, create};

/// Broadcasts listed by `/broadcasts`.
const LIST_LIMIT: i64 = 15;

/// The broadcast commands (managers).
pub const COMMANDS: &[Command] = &[
    Command::new(
        "broadcast",
        Feature::Broadcast,
        Chats::Any,
        Who::Staff(StaffRole::Manager),
    )
    .described(crate::texts::desk::CMD_BROADCAST),
    Command::new(
        "broadcasts",
        Feature::Broadcast,
        Chats::Any,
        Who::Staff(StaffRole::Manager),
    )
    .described(crate::texts::desk::CMD_BROADCASTS),
    Command::new(
        "broadcast_stop",
        Feature::Broadcast,
        Chats::Any,
        Who::Staff(StaffRole::Manager),
    )
    .described(crate::texts::desk::CMD_BROADCAST_STOP),
    Command::new(
        "broadcast_recall",
        Feature::Broadcast,
        Chats::Any,
        Who::Staff(StaffRole::Manager),
    )
    .described(crate::texts::desk::CMD_BROADCAST_RECALL),
];

/// `/broadcast` and `/broadcasts`. Returns false for other messages.
pub async fn on_message(ctx: &mut Ctx<'_>, from: &Sender, msg: &Message) -> Result<bool> {
    let text = msg.text().or(msg.caption());
    let args = text
        .and_then(|t| t.split_once(char::is_whitespace))
        .map_or("", |(_, a)| a.trim());
    match text.and_then(|t| command(t, &ctx.app.settings.bot_username)) {
        Some("broadcast") => start(ctx, from).await?,
        Some("broadcasts") => list(ctx, from).await?,
        Some(c @ ("broadcast_stop" | "broadcast_recall")) => {
            if manager(ctx, from).await?.is_none() {
                refuse_non_manager(ctx, from, c).await?;
                return Ok(true);
            }
            let stop = c == "broadcast_stop";
            match args.trim_start_matches('#').parse::<i64>() {
                Ok(n) if n > 0 && stop => stop_broadcast(ctx, from, n).await?,
                Ok(n) if n > 0 => ask_recall(ctx, from, n).await?,
                _ => {
                    let usage = if stop {
                        notices::USAGE_STOP
                    } else {
                        notices::USAGE_RECALL
                    };
                    say(ctx, from.chat_id, usage.get(from.lang)).await?;
                }
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// A message while the author's draft `id` waits for the answer to `step`.
/// `/cancel` discards the draft; other commands pass (the draft waits).
/// False when the message is not the draft's.
pub async fn on_waiting(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    msg: &Message,
    id: i64,
    step: &str,
) -> Result<bool> {
    let text = msg.text().or(msg.caption()).unwrap_or_default();
    let word = crate::processor::commands::word(text, &ctx.app.settings.bot_username);
    let draft = bc::load_for_update(ctx.conn, id)
        .await?
        .filter(|b| b.status == "draft" && b.author_user_id == from.user_id);
    let (Some(draft), Some(_)) = (draft, manager(ctx, from).await?) else {
        // Sent, cancelled, or its author is no longer a manager.
        conversation::clear(ctx.conn, from.key()).await?;
        return Ok(false);
    };
    match word.as_deref() {
        Some("cancel") => {
            bc::cancel_draft(ctx.conn, id).await?;
            conversation::clear(ctx.conn, from.key()).await?;
            say(ctx, from.chat_id, texts::CANCELLED.get(from.lang)).await?;
            return Ok(true);
        }
        Some(_) => return Ok(false),
        None => {}
    }
    // Any answer, right or wrong, keeps the draft alive.
    set_step(ctx, from, id, step).await?;
    on_input(ctx, from, msg, &draft, step).await?;
    Ok(true)
}

/// The command word of `text` if it is one of ours (`/broadcast@bot args`).
fn command<'t>(text: &'t str, bot_username: &str) -> Option<&'t str> {
    let word = text.strip_prefix('/')?.split_whitespace().next()?;
    let (name, to) = word.split_once('@').unwrap_or((word, ""));
    if !to.is_empty() && !to.eq_ignore_ascii_case(bot_username) {
        return None;
    }
    [
        "broadcast",
        "broadcasts",
        "broadcast_stop",
        "broadcast_recall",
    ]
    .into_iter()
    .find(|c| name.eq_ignore_ascii_case(c))
}

async fn manager(ctx: &mut Ctx<'_>, from: &Sender) -> Result<Option<staff::Staff>> {
    Ok(staff::by_telegram_id(ctx.conn, from.user_id)
        .await?
        .filter(|s| s.role.can_broadcast()))
}

/// A polite refusal, and the attempt in the log.
async fn refuse_non_manager(ctx: &mut Ctx<'_>, from: &Sender, what: &str) -> Result<()> {
    tracing::warn!(
        user_id = from.user_id,
        chat_id = from.chat_id,
        what,
        "broadcast refused: not a manager"
    );
    say(ctx, from.chat_id, texts::MANAGERS_ONLY.get(from.lang)).await
}

async fn start(ctx: &mut Ctx<'_>, from: &Sender) -> Result<()> {
    if manager(ctx, from).await?.is_none() {
        return refuse_non_manager(ctx, from, "/broadcast").await;
    }
    if !from.private {
        return say(ctx, from.chat_id, texts::PRIVATE_ONLY.get(from.lang)).await;
    }
    let id = bc::start_draft(ctx.conn, from.user_id, from.chat_id).await?;
    set_step(ctx, from, id, "audience").await?;
    ask_audience(ctx, from, id).await
}

async fn list(ctx: &mut Ctx<'_>, from: &Sender) -> Result<()> {
    if manager(ctx, from).await?.is_none() {
        return refuse_non_manager(ctx, from, "/broadcasts").await;
    }
    let items = bc::list(ctx.conn, LIST_LIMIT).await?;
    let schedule = Schedule::load(ctx.conn, ctx.app.settings.timezone).await?;
    let text = present::list_text(&items, schedule, from.lang);
    say(ctx, from.chat_id, text).await
}

fn button(label: &str, data: String) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(label, data)
}

fn cancel_button(id: i64, lang: Lang) -> InlineKeyboardButton {
    button(
        texts::CANCEL.get(lang),
        Callback::BroadcastCancel(id).encode(),
    )
}

/// A question answered by typing, with the way out under it.
async fn ask(ctx: &mut Ctx<'_>, from: &Sender, id: i64, text: impl Into<String>) -> Result<()> {
    let keyboard = InlineKeyboardMarkup::new([[cancel_button(id, from.lang)]]);
    ctx.reply(from.chat_id, Request::text_with(text, keyboard))
        .await?;
    Ok(())
}

async fn ask_audience(ctx: &mut Ctx<'_>, from: &Sender, id: i64) -> Result<()> {
    let lang = from.lang;
    let choice = |label: Phrase, choice: AudienceChoice| {
        let data = Callback::BroadcastAudience {
            broadcast: id,
            choice,
        };
        button(label.get(lang), data.encode())
    };
    let keyboard = InlineKeyboardMarkup::new([
        vec![
            choice(texts::AUDIENCE_ALL, AudienceChoice::All),
            choice(texts::AUDIENCE_BUILDING, AudienceChoice::Building),
        ],
        vec![
            choice(texts::AUDIENCE_FLOOR, AudienceChoice::Floor),
            choice(texts::AUDIENCE_UNITS, AudienceChoice::Units),
        ],
        vec![choice(texts::AUDIENCE_RSVP, AudienceChoice::Rsvp)],
        vec![cancel_button(id, lang)],
    ]);
    ctx.reply(
        from.chat_id,
        Request::text_with(texts::ASK_AUDIENCE.get(lang), keyboard),
    )
    .await?;
    Ok(())
}

/// Sets the audience if anyone registered is in it; otherwise says why not
/// and leaves the draft where it is.
async fn choose_audience(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    id: i64,
    audience: Audience,
) -> Result<()> {
    let lang = from.lang;
    let (count, _blocked) = bc::count_audience(ctx.conn, &audience).await?;
    if count == 0 {
        tracing::info!(
            broadcast = id,
            ?audience,
            "broadcast audience refused: nobody in it"
        );
        return ask(
            ctx,
            from,
            id,
            bc::Refusal::NoAudience.explain(lang, Some(&audience)),
        )
        .await;
    }
    let label = audience.label(lang);
    bc::update_draft(
        ctx.conn,
        id,
        DraftChange {
            audience: Some(audience),
            ..DraftChange::default()
        },
    )
    .await?;
    set_step(ctx, from, id, "text").await?;
    let mut question =
        texts::AUDIENCE_SET.fill(lang, &[("audience", &label), ("count", &count.to_string())]);
    if Lang::ALL.len() > 1 {
        question.push('\n');
        question.push_str(notices::TEXT_LANGUAGE_HINT.get(lang));
    }
    ask(ctx, from, id, question).await
}

/// What the author's next answer is for.
async fn set_step(ctx: &mut Ctx<'_>, from: &Sender, id: i64, step: &str) -> Result<()> {
    let waiting = Waiting::BroadcastDraft {
        draft: id,
        step: step.to_string(),
    };
    conversation::wait_for(ctx, from.key(), &waiting).await
}

async fn ask_photo(ctx: &mut Ctx<'_>, from: &Sender, id: i64) -> Result<()> {
    let lang = from.lang;
    let keyboard = InlineKeyboardMarkup::new([[
        button(
            texts::NO_PHOTO.get(lang),
            Callback::BroadcastNoPhoto(id).encode(),
        ),
        cancel_button(id, lang),
    ]]);
    ctx.reply(
        from.chat_id,
        Request::text_with(texts::ASK_PHOTO.get(lang), keyboard),
    )
    .await?;
    Ok(())
}

async fn ask_yes_no(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    id: i64,
    question: String,
    key: fn(i64, bool) -> Callback,
    yes: Phrase,
    no: Phrase,
) -> Result<()> {
    let lang = from.lang;
    let keyboard = InlineKeyboardMarkup::new([
        vec![
            button(yes.get(lang), key(id, true).encode()),
            button(no.get(lang), key(id, false).encode()),
        ],
        vec![cancel_button(id, lang)],
    ]);
    ctx.reply(from.chat_id, Request::text_with(question, keyboard))
        .await?;
    Ok(())
}

/// Asks for the draft's version in the next language after `after` (in the
/// order of `Lang::ALL`, Chinese being the one already written), or goes on
/// to the RSVP question when every language was asked.
async fn ask_next_language(ctx: &mut Ctx<'_>, from: &Sender, id: i64, after: Lang) -> Result<()> {
    let next = Lang::ALL
        .into_iter()
        .skip_while(|l| *l != after)
        .skip(1)
        .find(|l| *l != Lang::default());
    match next {
        Some(version) => ask_language(ctx, from, id, version, None).await,
        None => ask_rsvp(ctx, from, id).await,
    }
}

/// The optional version in `version`, with Skip (and why the last answer
/// was refused, if it was).
async fn ask_language(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    id: i64,
    version: Lang,
    refused: Option<String>,
) -> Result<()> {
    let lang = from.lang;
    set_step(ctx, from, id, &format!("text:{}", version.code())).await?;
    let mut question = notices::ASK_LANGUAGE.fill(
        lang,
        &[("language", crate::texts::LANGUAGE_NAME.get(version))],
    );
    if let Some(why) = refused {
        question = format!("{why}\n\n{question}");
    }
    let keyboard = InlineKeyboardMarkup::new([[
        button(
            notices::SKIP.get(lang),
            Callback::BroadcastSkipLanguage {
                broadcast: id,
                lang: version,
            }
            .encode(),
        ),
        cancel_button(id, lang),
    ]]);
    ctx.reply(from.chat_id, Request::text_with(question, keyboard))
        .await?;
    Ok(())
}

async fn ask_rsvp(ctx: &mut Ctx<'_>, from: &Sender, id: i64) -> Result<()> {
    set_step(ctx, from, id, "rsvp").await?;
    let q = texts::ASK_RSVP.get(from.lang).to_string();
    let key = |broadcast, yes| Callback::BroadcastRsvp { broadcast, yes };
    ask_yes_no(ctx, from, id, q, key, texts::YES_RSVP, texts::NO_RSVP).await
}

async fn ask_urgent(ctx: &mut Ctx<'_>, from: &Sender, id: i64) -> Result<()> {
    let q = fill(
        texts::ASK_URGENT.get(from.lang),
        &[(
            "quiet",
            &office_settings::load(ctx.conn).await?.quiet_hours.label(),
        )],
    );
    let key = |broadcast, yes| Callback::BroadcastUrgent { broadcast, yes };
    ask_yes_no(ctx, from, id, q, key, texts::URGENT, texts::NOT_URGENT).await
}

async fn ask_when(ctx: &mut Ctx<'_>, from: &Sender, id: i64) -> Result<()> {
    let lang = from.lang;
    let keyboard = InlineKeyboardMarkup::new([
        vec![
            button(
                texts::SEND_NOW.get(lang),
                Callback::BroadcastSendNow(id).encode(),
            ),
            button(
                texts::SEND_LATER.get(lang),
                Callback::BroadcastSendLater(id).encode(),
            ),
        ],
        vec![cancel_button(id, lang)],
    ]);
    ctx.reply(
        from.chat_id,
        Request::text_with(texts::ASK_WHEN.get(lang), keyboard),
    )
    .await?;
    Ok(())
}

/// The preview (exactly what owners get, with inert buttons) and the summary
/// with Send / Cancel.
async fn preview(ctx: &mut Ctx<'_>, from: &Sender, id: i64) -> Result<()> {
    set_step(ctx, from, id, "preview").await?;
    let Some(b) = bc::load_for_update(ctx.conn, id).await? else {
        return Ok(());
    };
    let lang = from.lang;
    let Some(audience) = &b.audience else {
        return Ok(());
    };
    let (count, blocked) = bc::count_audience(ctx.conn, audience).await?;
    let schedule = Schedule::load(ctx.conn, ctx.app.settings.timezone).await?;
    let starts = schedule.starts_at(b.send_at, b.urgent, ctx.now);
    let asked = b.send_at.unwrap_or(ctx.now).max(ctx.now);
    let when = if starts > asked {
        fill(
            texts::WHEN_HELD.get(lang),
            &[("at", &schedule.show(starts))],
        )
    } else if b.send_at.is_some() {
        fill(texts::WHEN_AT.get(lang), &[("at", &schedule.show(starts))])
    } else {
        texts::WHEN_NOW.get(lang).to_string()
    };
    let yes_no = |v: bool| if v { texts::YES } else { texts::NO }.get(lang);
    say(ctx, from.chat_id, texts::PREVIEW_INTRO.get(lang)).await?;
    // One version: shown as the author reads it; several: each as its
    // readers get it.
    let versions = b.languages();
    let shown = if versions.len() > 1 {
        versions.clone()
    } else {
        vec![lang]
    };
    for version in &shown {
        if versions.len() > 1 {
            let label = notices::PREVIEW_LANGUAGE.fill(
                lang,
                &[("language", crate::texts::LANGUAGE_NAME.get(*version))],
            );
            say(ctx, from.chat_id, label).await?;
        }
        ctx.reply(from.chat_id, present::owner_request(&b, *version, true))
            .await?;
    }
    let mut summary = fill(
        texts::SUMMARY.get(lang),
        &[
            ("audience", &audience.label(lang)),
            ("count", &count.to_string()),
            ("blocked", &blocked.to_string()),
            ("urgent", yes_no(b.urgent)),
            ("rsvp", yes_no(b.rsvp)),
            ("when", &when),
        ],
    );
    if Lang::ALL.len() > 1 {
        let names: Vec<&str> = versions
            .iter()
            .map(|l| crate::texts::LANGUAGE_NAME.get(*l))
            .collect();
        summary.push('\n');
        summary.push_str(&notices::LANGUAGES.fill(lang, &[("languages", &names.join(", "))]));
    }
    let keyboard = InlineKeyboardMarkup::new([[
        button(
            texts::CONFIRM.get(lang),
            Callback::BroadcastConfirm(id).encode(),
        ),
        cancel_button(id, lang),
    ]]);
    ctx.reply(from.chat_id, Request::text_with(summary, keyboard))
        .await?;
    Ok(())
}

/// A message (text or photo) while a draft waits for an answer.
async fn on_input(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    msg: &Message,
    b: &Broadcast,
    step: &str,
) -> Result<()> {
    let lang = from.lang;
    let chat = from.chat_id;
    let text = msg.text().or(msg.caption()).map(str::trim).unwrap_or("");
    let photo = super::staff::desk::photo_of(msg);
    match step {
        "building" if !text.is_empty() => {
            let audience = Audience::Building {
                building: text.to_string(),
            };
            choose_audience(ctx, from, b.id, audience).await
        }
        "floor" => {
            let parts: Vec<&str> = text.split_whitespace().collect();
            match parts.as_slice() {
                [building, floor] => match floor.parse::<i32>() {
                    Ok(floor) => {
                        let audience = Audience::Floor {
                            building: (*building).to_string(),
                            floor,
                        };
                        choose_audience(ctx, from, b.id, audience).await
                    }
                    Err(_) => ask(ctx, from, b.id, texts::BAD_FLOOR.get(lang)).await,
                },
                _ => ask(ctx, from, b.id, texts::BAD_FLOOR.get(lang)).await,
            }
        }
        "units" if !text.is_empty() => {
            // Codes never hold spaces or list separators: either splits.
            let typed: Vec<String> = text
                .split(|c: char| LIST_SEPARATORS.contains(&c) || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            let (codes, unknown) = bc::resolve_units(ctx.conn, &typed).await?;
            if !unknown.is_empty() {
                let shown: Vec<String> = unknown
                    .iter()
                    .map(|(t, close)| match close.as_slice() {
                        [] => t.clone(),
                        close => format!("{t} → {}?", close.join(" / ")),
                    })
                    .collect();
                let text = fill(
                    texts::UNKNOWN_UNITS.get(lang),
                    &[("units", &shown.join(", "))],
                );
                return ask(ctx, from, b.id, text).await;
            }
            choose_audience(ctx, from, b.id, Audience::Units { codes }).await
        }
        "rsvp_of" => match text.trim_start_matches('#').parse::<i64>() {
            Ok(n) if bc::had_rsvp(ctx.conn, n).await? => {
                choose_audience(ctx, from, b.id, Audience::Rsvp { broadcast: n }).await
            }
            Ok(n) => {
                let text = fill(texts::NOT_AN_RSVP.get(lang), &[("n", &n.to_string())]);
                ask(ctx, from, b.id, text).await
            }
            Err(_) => ask(ctx, from, b.id, texts::BAD_NUMBER.get(lang)).await,
        },
        "text" if !text.is_empty() => {
            if let Err(r) = bc::check_text(text, photo.is_some()) {
                return ask(ctx, from, b.id, r.explain(lang, None)).await;
            }
            bc::update_draft(
                ctx.conn,
                b.id,
                DraftChange {
                    text: Some(text.to_string()),
                    photo: Some(photo.clone()),
                    ..DraftChange::default()
                },
            )
            .await?;
            if photo.is_some() {
                ask_next_language(ctx, from, b.id, Lang::default()).await
            } else {
                set_step(ctx, from, b.id, "photo").await?;
                ask_photo(ctx, from, b.id).await
            }
        }
        step if step.starts_with("text:") && !text.is_empty() => {
            let Some(version) = step.strip_prefix("text:").and_then(Lang::parse) else {
                return say(ctx, chat, texts::USE_BUTTONS.get(lang)).await;
            };
            if let Err(r) = bc::check_text(text, b.photo.is_some()) {
                return ask_language(ctx, from, b.id, version, Some(r.explain(lang, None))).await;
            }
            bc::set_text_in(ctx.conn, b.id, version, Some(text)).await?;
            ask_next_language(ctx, from, b.id, version).await
        }
        step if step.starts_with("text:") => {
            let version = step
                .strip_prefix("text:")
                .and_then(Lang::parse)
                .unwrap_or_default();
            ask_language(ctx, from, b.id, version, None).await
        }
        "photo" if photo.is_some() => {
            let stored = b.text.as_deref().unwrap_or("");
            if let Err(r) = bc::check_text(stored, true) {
                return say(ctx, chat, r.explain(lang, None)).await;
            }
            bc::update_draft(
                ctx.conn,
                b.id,
                DraftChange {
                    photo: Some(photo),
                    ..DraftChange::default()
                },
            )
            .await?;
            // Versions already given must fit a caption now.
            for version in b.texts.values() {
                if let Err(r) = bc::check_text(version, true) {
                    return say(ctx, chat, r.explain(lang, None)).await;
                }
            }
            ask_next_language(ctx, from, b.id, Lang::default()).await
        }
        "time" => {
            let schedule = Schedule::load(ctx.conn, ctx.app.settings.timezone).await?;
            match schedule.parse_local(text) {
                None => ask(ctx, from, b.id, texts::BAD_TIME.get(lang)).await,
                Some(at) if at <= ctx.now => ask(ctx, from, b.id, texts::PAST_TIME.get(lang)).await,
                Some(at) => {
                    bc::update_draft(
                        ctx.conn,
                        b.id,
                        DraftChange {
                            send_at: Some(Some(at)),
                            ..DraftChange::default()
                        },
                    )
                    .await?;
                    preview(ctx, from, b.id).await
                }
            }
        }
        "text" => ask(ctx, from, b.id, texts::ASK_TEXT.get(lang)).await,
        "building" => ask(ctx, from, b.id, texts::ASK_BUILDING.get(lang)).await,
        "units" => ask(ctx, from, b.id, texts::ASK_UNITS.get(lang)).await,
        _ => say(ctx, chat, texts::USE_BUTTONS.get(lang)).await,
    }
}

/// A `b:` button: `rest` is what follows the prefix.
pub async fn on_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    button: Callback,
) -> Result<()> {
    let lang = from.lang;
    let id = match button {
        Callback::BroadcastJoin(id) => return rsvp(ctx, from, q, id, true).await,
        Callback::BroadcastDecline(id) => return rsvp(ctx, from, q, id, false).await,
        Callback::BroadcastPreview(_) => {
            return answer(ctx, q, Some(texts::PREVIEW_BUTTON.get(lang))).await
        }
        Callback::BroadcastStop(id)
        | Callback::BroadcastRecall(id)
        | Callback::BroadcastRecallConfirm(id)
        | Callback::BroadcastRecallKeep(id) => {
            if manager(ctx, from).await?.is_none() {
                answer(ctx, q, None).await?;
                return refuse_non_manager(ctx, from, "broadcast stop or recall button").await;
            }
            answer(ctx, q, None).await?;
            return match button {
                Callback::BroadcastStop(_) => stop_broadcast(ctx, from, id).await,
                Callback::BroadcastRecall(_) => ask_recall(ctx, from, id).await,
                Callback::BroadcastRecallConfirm(_) => {
                    drop_buttons(ctx, q).await?;
                    recall(ctx, from, id).await
                }
                _ => {
                    drop_buttons(ctx, q).await?;
                    say(
                        ctx,
                        from.chat_id,
                        notices::KEPT.fill(lang, &[("n", &id.to_string())]),
                    )
                    .await
                }
            };
        }
        Callback::BroadcastCancel(id)
        | Callback::BroadcastAudience { broadcast: id, .. }
        | Callback::BroadcastNoPhoto(id)
        | Callback::BroadcastSkipLanguage { broadcast: id, .. }
        | Callback::BroadcastRsvp { broadcast: id, .. }
        | Callback::BroadcastUrgent { broadcast: id, .. }
        | Callback::BroadcastSendNow(id)
        | Callback::BroadcastSendLater(id)
        | Callback::BroadcastConfirm(id) => id,
        _ => return answer(ctx, q, Some(texts::EXPIRED.get(lang))).await,
    };
    // Compose buttons: the author's own draft, at the step the button asks about.
    let draft = bc::load_for_update(ctx.conn, id).await?;
    let Some(b) = draft.filter(|b| b.author_user_id == from.user_id) else {
        tracing::warn!(
            user_id = from.user_id,
            data = q.data.as_deref().unwrap_or_default(),
            "broadcast button of someone else's draft"
        );
        return answer(ctx, q, Some(texts::EXPIRED.get(lang))).await;
    };
    if manager(ctx, from).await?.is_none() {
        answer(ctx, q, None).await?;
        return refuse_non_manager(ctx, from, "broadcast button").await;
    }
    if b.status != "draft" {
        let text = if matches!(button, Callback::BroadcastConfirm(_)) {
            texts::ALREADY_CONFIRMED
        } else {
            texts::EXPIRED
        };
        return answer(ctx, q, Some(text.get(lang))).await;
    }
    // The step the author's conversation is at; none once the draft expired.
    let step = match conversation::live(ctx, from.key()).await? {
        Some(Waiting::BroadcastDraft { draft, step }) if draft == id => step,
        _ => return answer(ctx, q, Some(texts::EXPIRED.get(lang))).await,
    };
    let skipped;
    let expected = match button {
        Callback::BroadcastAudience { .. } => "audience",
        Callback::BroadcastNoPhoto(_) => "photo",
        Callback::BroadcastSkipLanguage { lang: version, .. } => {
            skipped = format!("text:{}", version.code());
            skipped.as_str()
        }
        Callback::BroadcastRsvp { .. } => "rsvp",
        Callback::BroadcastUrgent { .. } => "urgent",
        Callback::BroadcastSendNow(_) | Callback::BroadcastSendLater(_) => "when",
        Callback::BroadcastConfirm(_) => "preview",
        Callback::BroadcastCancel(_) => step.as_str(),
        _ => "",
    };
    if step != expected {
        return answer(ctx, q, Some(texts::EXPIRED.get(lang))).await;
    }
    answer(ctx, q, None).await?;
    let chat = from.chat_id;
    match button {
        Callback::BroadcastAudience {
            choice: AudienceChoice::All,
            ..
        } => choose_audience(ctx, from, id, Audience::All).await,
        Callback::BroadcastAudience { choice, .. } => {
            let (step, question) = match choice {
                AudienceChoice::Building => ("building", texts::ASK_BUILDING),
                AudienceChoice::Floor => ("floor", texts::ASK_FLOOR),
                AudienceChoice::Units => ("units", texts::ASK_UNITS),
                _ => ("rsvp_of", texts::ASK_RSVP_SOURCE),
            };
            set_step(ctx, from, id, step).await?;
            ask(ctx, from, id, question.get(lang)).await
        }
        Callback::BroadcastNoPhoto(_) => ask_next_language(ctx, from, id, Lang::default()).await,
        Callback::BroadcastSkipLanguage { lang: version, .. } => {
            bc::set_text_in(ctx.conn, id, version, None).await?;
            ask_next_language(ctx, from, id, version).await
        }
        Callback::BroadcastRsvp { yes, .. } => {
            bc::update_draft(
                ctx.conn,
                id,
                DraftChange {
                    rsvp: Some(yes),
                    ..DraftChange::default()
                },
            )
            .await?;
            set_step(ctx, from, id, "urgent").await?;
            ask_urgent(ctx, from, id).await
        }
        Callback::BroadcastUrgent { yes, .. } => {
            bc::update_draft(
                ctx.conn,
                id,
                DraftChange {
                    urgent: Some(yes),
                    ..DraftChange::default()
                },
            )
            .await?;
            set_step(ctx, from, id, "when").await?;
            ask_when(ctx, from, id).await
        }
        Callback::BroadcastSendNow(_) => {
            bc::update_draft(
                ctx.conn,
                id,
                DraftChange {
                    send_at: Some(None),
                    ..DraftChange::default()
                },
            )
            .await?;
            preview(ctx, from, id).await
        }
        Callback::BroadcastSendLater(_) => {
            set_step(ctx, from, id, "time").await?;
            ask(ctx, from, id, texts::ASK_TIME.get(lang)).await
        }
        Callback::BroadcastConfirm(_) => {
            drop_buttons(ctx, q).await?;
            let schedule = Schedule::load(ctx.conn, ctx.app.settings.timezone).await?;
            match confirm(ctx.conn, schedule, id, ctx.now).await? {
                Ok(started) => {
                    conversation::clear(ctx.conn, from.key()).await?;
                    tracing::info!(
                        broadcast = id,
                        author = from.user_id,
                        ?started,
                        "broadcast confirmed by its author"
                    );
                    Ok(())
                }
                Err(refusal) => {
                    let text = refusal.explain(lang, b.audience.as_ref());
                    if refusal == bc::Refusal::NoAudience {
                        set_step(ctx, from, id, "audience").await?;
                        say(ctx, chat, text).await?;
                        return ask_audience(ctx, from, id).await;
                    }
                    say(ctx, chat, text).await
                }
            }
        }
        Callback::BroadcastCancel(_) => {
            drop_buttons(ctx, q).await?;
            bc::cancel_draft(ctx.conn, id).await?;
            conversation::clear(ctx.conn, from.key()).await?;
            say(ctx, chat, texts::CANCELLED.get(lang)).await
        }
        _ => say(ctx, chat, texts::USE_BUTTONS.get(lang)).await,
    }
}

/// Stops broadcast `n`: what has not gone out stays unsent; the author's
/// progress message shows it (with Recall if copies went out).
async fn stop_broadcast(ctx: &mut Ctx<'_>, from: &Sender, n: i64) -> Result<()> {
    let lang = from.lang;
    let number = n.to_string();
    match bc::stop(ctx.conn, n, from.user_id, ctx.now).await? {
        bc::StopOutcome::NotFound => {
            say(
                ctx,
                from.chat_id,
                notices::NOT_FOUND.fill(lang, &[("n", &number)]),
            )
            .await
        }
        bc::StopOutcome::NotRunning => {
            say(
                ctx,
                from.chat_id,
                notices::NOT_RUNNING.fill(lang, &[("n", &number)]),
            )
            .await
        }
        bc::StopOutcome::Stopped { withheld, sent } => {
            tracing::info!(
                broadcast = n,
                by = from.user_id,
                withheld,
                sent,
                "broadcast stopped"
            );
            refresh_progress(ctx, n).await?;
            let mut text = notices::STOPPED.fill(
                lang,
                &[
                    ("n", &number),
                    ("withheld", &withheld.to_string()),
                    ("sent", &sent.to_string()),
                ],
            );
            if sent > 0 {
                text.push('\n');
                text.push_str(&notices::STOPPED_RECALL_HINT.fill(lang, &[("n", &number)]));
            }
            say(ctx, from.chat_id, text).await
        }
    }
}

/// Edits the author's progress message to where broadcast `n` stands now.
async fn refresh_progress(ctx: &mut Ctx<'_>, n: i64) -> Result<()> {
    let Some(b) = bc::load_for_update(ctx.conn, n).await? else {
        return Ok(());
    };
    let Some(target) = b.status_outbox_id else {
        return Ok(());
    };
    let p = bc::progress(ctx.conn, n).await?;
    let author_lang = crate::processor::context::chat_language(ctx.conn, b.author_chat_id)
        .await?
        .unwrap_or_default();
    let schedule = Schedule::load(ctx.conn, ctx.app.settings.timezone).await?;
    let text = present::progress_text(&b, &p, schedule, author_lang);
    ctx.send(Outgoing::reply(
        b.author_chat_id,
        Request::EditMessageText {
            target: Target::Outbox(target),
            text: text.clone(),
            reply_markup: present::progress_keyboard(&b, &p, author_lang),
        },
    ))
    .await?;
    bc::record_progress(ctx.conn, n, &b.status, Some(&text), ctx.now).await
}

/// "Recall #n? …" with Recall it / Keep it.
async fn ask_recall(ctx: &mut Ctx<'_>, from: &Sender, n: i64) -> Result<()> {
    let lang = from.lang;
    let number = n.to_string();
    let b = bc::load_for_update(ctx.conn, n)
        .await?
        .filter(|b| b.confirmed_at.is_some());
    let Some(b) = b else {
        return say(
            ctx,
            from.chat_id,
            notices::NOT_FOUND.fill(lang, &[("n", &number)]),
        )
        .await;
    };
    if b.recalled_at.is_some() {
        return say(
            ctx,
            from.chat_id,
            notices::ALREADY_RECALLED.fill(lang, &[("n", &number)]),
        )
        .await;
    }
    let p = bc::progress(ctx.conn, n).await?;
    let text = notices::ASK_RECALL.fill(
        lang,
        &[
            ("n", &number),
            (
                "audience",
                &b.audience
                    .as_ref()
                    .map(|a| a.label(lang))
                    .unwrap_or_default(),
            ),
            ("count", &p.sent.to_string()),
            ("hours", &bc::RECALL_WITHIN.num_hours().to_string()),
        ],
    );
    let keyboard = InlineKeyboardMarkup::new([[
        button(
            notices::RECALL_YES.get(lang),
            Callback::BroadcastRecallConfirm(n).encode(),
        ),
        button(
            notices::RECALL_KEEP.get(lang),
            Callback::BroadcastRecallKeep(n).encode(),
        ),
    ]]);
    ctx.reply(from.chat_id, Request::text_with(text, keyboard))
        .await?;
    Ok(())
}

/// Recalls broadcast `n`: a deleteMessage for every copy delivered less than
/// 48 hours ago, and the author's recall message, which the broadcast job
/// completes with the counts once Telegram answered each deletion.
async fn recall(ctx: &mut Ctx<'_>, from: &Sender, n: i64) -> Result<()> {
    let lang = from.lang;
    let number = n.to_string();
    let delete = match bc::recall(ctx.conn, n, from.user_id, ctx.now).await? {
        bc::RecallOutcome::NotFound => {
            return say(
                ctx,
                from.chat_id,
                notices::NOT_FOUND.fill(lang, &[("n", &number)]),
            )
            .await
        }
        bc::RecallOutcome::AlreadyRecalled => {
            return say(
                ctx,
                from.chat_id,
                notices::ALREADY_RECALLED.fill(lang, &[("n", &number)]),
            )
            .await
        }
        bc::RecallOutcome::Recalled { delete } => delete,
    };
    let requests: Vec<Request> = delete
        .iter()
        .map(|(_, copy)| Request::DeleteMessage {
            target: Target::Outbox(*copy),
        })
        .collect();
    let rows: Vec<(i64, usize)> = delete
        .iter()
        .enumerate()
        .map(|(i, (chat, _))| (*chat, i))
        .collect();
    let batch = crate::outbox::Batch {
        lane: crate::outbox::Lane::Staff,
        not_before: None,
        update_id: Some(ctx.update_id),
        requests: &requests,
    };
    let queued = crate::outbox::enqueue_many(ctx.conn, &batch, &rows).await?;
    let deletions: Vec<(i64, i64)> = queued.iter().map(|q| (q.chat_id, q.id)).collect();
    let text = notices::RECALLING.fill(
        lang,
        &[("n", &number), ("asked", &deletions.len().to_string())],
    );
    let message = ctx.reply(from.chat_id, Request::text(text)).await?;
    bc::link_recall(ctx.conn, n, &deletions, message).await?;
    refresh_progress(ctx, n).await?;
    tracing::info!(
        broadcast = n,
        by = from.user_id,
        deletions = deletions.len(),
        "broadcast recalled"
    );
    Ok(())
}

/// Takes the buttons off the message that was pressed (it has been acted on).
async fn drop_buttons(ctx: &mut Ctx<'_>, q: &CallbackQuery) -> Result<()> {
    let Some(message) = &q.message else {
        return Ok(());
    };
    ctx.send(Outgoing::reply(
        message.chat().id.0,
        Request::EditMessageReplyMarkup {
            target: Target::Message(message.id().0),
            reply_markup: None,
        },
    ))
    .await?;
    Ok(())
}

async fn rsvp(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    id: i64,
    join: bool,
) -> Result<()> {
    let lang = from.lang;
    let message_id = q.message.as_ref().map_or(0, |m| m.id().0);
    let outcome = bc::answer_rsvp(ctx.conn, id, from.chat_id, message_id, join, ctx.now).await?;
    let toast = match outcome {
        RsvpOutcome::Recorded if join => texts::JOINED,
        RsvpOutcome::Recorded => texts::DECLINED,
        RsvpOutcome::Same => texts::SAME_ANSWER,
        RsvpOutcome::Expired => {
            tracing::warn!(
                broadcast = id,
                chat = from.chat_id,
                message_id,
                "RSVP button not on this broadcast's message: refused"
            );
            texts::EXPIRED
        }
    };
    answer(ctx, q, Some(toast.get(lang))).await
}

#[cfg(test)]
mod tests {
    use super::command;

    #[test]
    fn commands_are_ours_only_when_addressed_to_us() {
        assert_eq!(command("/broadcast", "bot"), Some("broadcast"));
        assert_eq!(command("/broadcasts@Bot", "bot"), Some("broadcasts"));
        assert_eq!(command("/broadcast@other", "bot"), None);
        assert_eq!(command("/broadcaster", "bot"), None);
        assert_eq!(command("hello", "bot"), None);
    }
}
