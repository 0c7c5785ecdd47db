//! The owner's side of a ticket: /mytickets, cancelling with a reason,
//! rating, reopening, and follow-up messages relayed to whoever holds it.
//! The questions it asks (a cancel reason, a rating comment, "reopen or new
//! request?") are the owner's conversation state; `on_waiting` answers
//! them and refuses what does not fit.

use anyhow::Result;
use chrono::Duration;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message};

use super::desk::{self, photo_of};
use super::{card, outcome};
use crate::domain::office_settings;
use crate::domain::tickets::transition::{self, Refusal, Transition};
use crate::domain::tickets::{self, Actor, Ticket, TicketId, TicketStatus};
use crate::i18n::Lang;
use crate::outbox::{Lane, Outgoing, Request};
use crate::processor::context::{chat_language, Ctx};
use crate::processor::conversation::{self, Key, Waiting};
use crate::processor::main_menu::main_menu;
use crate::processor::reply::{answer, remove_buttons, Sender};
use crate::telegram::callback::Callback;
use crate::texts::{self, fill};

/// `/mytickets`: the owner's last tickets with their status, and buttons to
/// cancel an active one or reopen a recently resolved one.
pub async fn my_tickets(ctx: &mut Ctx<'_>, chat_id: i64, lang: Lang) -> Result<()> {
    let list = tickets::of_owner(ctx.conn, chat_id, 10).await?;
    if list.is_empty() {
        ctx.reply(chat_id, Request::text(texts::MYTICKETS_EMPTY.get(lang)))
            .await?;
        return Ok(());
    }
    let window = i64::from(office_settings::load(ctx.conn).await?.reopen_days);
    let tz = ctx.app.settings.timezone;
    let mut text = texts::MYTICKETS_HEADER.get(lang).to_string();
    let mut rows = Vec::new();
    for t in &list {
        text.push_str(&format!(
            "\n{} · {} · {} · {}",
            t.id,
            t.kind.label(lang),
            t.status.label(lang),
            card::local(t.created_at, tz)
        ));
        if t.status.is_active() {
            rows.push(vec![InlineKeyboardButton::callback(
                fill(
                    texts::BUTTON_CANCEL_TICKET.get(lang),
                    &[("id", &t.id.to_string())],
                ),
                Callback::CancelTicket(t.id).encode(),
            )]);
        } else if may_reopen(t, ctx.now, window) {
            rows.push(vec![InlineKeyboardButton::callback(
                fill(
                    texts::BUTTON_REOPEN_TICKET.get(lang),
                    &[("id", &t.id.to_string())],
                ),
                Callback::Reopen(t.id).encode(),
            )]);
        }
    }
    let request = if rows.is_empty() {
        Request::text(text)
    } else {
        Request::text_with(text, InlineKeyboardMarkup::new(rows))
    };
    ctx.reply(chat_id, request).await?;
    Ok(())
}

fn may_reopen(t: &Ticket, now: chrono::DateTime<chrono::Utc>, days: i64) -> bool {
    t.status == TicketStatus::Resolved
        && t.resolved_at
            .is_some_and(|r| now - r <= Duration::days(days))
}

/// The ticket a button names, if it belongs to the owner pressing it (a
/// forged button for someone else's ticket finds nothing).
async fn own_ticket(ctx: &mut Ctx<'_>, chat_id: i64, id: TicketId) -> Result<Option<Ticket>> {
    Ok(tickets::load(ctx.conn, id)
        .await?
        .filter(|t| t.owner_chat_id == Some(chat_id)))
}

/// An owner's conversation (owner buttons are pressed in their private chat).
fn key(chat_id: i64) -> Key {
    Key {
        chat_id,
        user_id: chat_id,
    }
}

/// Owner buttons: cancel, keep (do not cancel), rate, reopen, skip the
/// comment, "that was my comment", new request.
pub async fn on_button(
    ctx: &mut Ctx<'_>,
    chat_id: i64,
    lang: Lang,
    q: &CallbackQuery,
    button: Callback,
) -> Result<()> {
    let id = match button {
        Callback::CancelTicket(id)
        | Callback::KeepTicket(id)
        | Callback::Rate { ticket: id, .. }
        | Callback::Reopen(id)
        | Callback::SkipComment(id)
        | Callback::MyComment(id)
        | Callback::NewRequest(id) => id,
        _ => return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await,
    };
    let Some(t) = own_ticket(ctx, chat_id, id).await? else {
        tracing::warn!(chat_id, data = ?q.data, "ticket button for a ticket that is not this owner's");
        return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await;
    };
    match button {
        Callback::CancelTicket(_) if t.status.is_active() => {
            let waiting = Waiting::CancelReason { ticket: t.id.0 };
            conversation::wait_for(ctx, key(chat_id), &waiting).await?;
            answer(ctx, q, None).await?;
            ask_cancel_reason(ctx, chat_id, lang, t.id, texts::ASK_CANCEL_REASON).await
        }
        Callback::KeepTicket(_) => {
            let waiting = conversation::live(ctx, key(chat_id)).await?;
            if waiting != Some(Waiting::CancelReason { ticket: t.id.0 }) {
                return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await;
            }
            conversation::clear(ctx.conn, key(chat_id)).await?;
            answer(ctx, q, None).await?;
            remove_buttons(ctx, q).await?;
            say(
                ctx,
                chat_id,
                fill(texts::TICKET_KEPT.get(lang), &[("id", &t.id.to_string())]),
            )
            .await
        }
        Callback::MyComment(_) => {
            let Some(Waiting::RatingComment {
                ticket,
                held: Some(text),
            }) = conversation::live(ctx, key(chat_id)).await?
            else {
                return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await;
            };
            if ticket != t.id.0 {
                return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await;
            }
            conversation::clear(ctx.conn, key(chat_id)).await?;
            answer(ctx, q, None).await?;
            remove_buttons(ctx, q).await?;
            record_comment(ctx, chat_id, lang, t.id, &text).await
        }
        Callback::NewRequest(_) => {
            forget_question_about(ctx, chat_id, t.id).await?;
            answer(ctx, q, None).await?;
            remove_buttons(ctx, q).await?;
            ctx.reply(
                chat_id,
                Request::text_with(texts::NEW_REQUEST_PICK.get(lang), main_menu(lang)),
            )
            .await?;
            Ok(())
        }
        Callback::Rate { stars, .. } => rate(ctx, chat_id, lang, q, &t, stars).await,
        Callback::Reopen(_) => {
            let office = office_settings::load(ctx.conn).await?;
            let window = i64::from(office.reopen_days);
            let deadline = office.deadline(t.kind, t.priority);
            if !may_reopen(&t, ctx.now, window) {
                return answer(ctx, q, Some(texts::CANNOT_REOPEN.get(lang))).await;
            }
            let reopen = Transition::Reopen { deadline };
            let owner = Actor::Owner(Some(chat_id));
            let Ok(done) = transition::perform(ctx.conn, t.id, reopen, owner, ctx.now).await?
            else {
                return answer(ctx, q, Some(texts::CANNOT_REOPEN.get(lang))).await;
            };
            answer(ctx, q, None).await?;
            outcome::apply(ctx, &done).await?;
            // What the owner wrote that led to the reopening goes with it.
            if let Some(Waiting::ReopenOrNew { ticket, text }) =
                conversation::live(ctx, key(chat_id)).await?
            {
                if ticket == t.id.0 {
                    conversation::clear(ctx.conn, key(chat_id)).await?;
                    if let Some(t) = tickets::load(ctx.conn, t.id).await? {
                        attach_and_relay(ctx, chat_id, &t, &text, None).await?;
                    }
                }
            }
            Ok(())
        }
        Callback::SkipComment(_) => {
            forget_question_about(ctx, chat_id, t.id).await?;
            answer(ctx, q, None).await?;
            say(ctx, chat_id, texts::THANKS_FOR_RATING.get(lang).to_string()).await
        }
        _ => answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await,
    }
}

/// Clears the owner's question if it is about ticket `id`.
async fn forget_question_about(ctx: &mut Ctx<'_>, chat_id: i64, id: TicketId) -> Result<()> {
    let about = match conversation::live(ctx, key(chat_id)).await? {
        Some(
            Waiting::CancelReason { ticket }
            | Waiting::RatingComment { ticket, .. }
            | Waiting::ReopenOrNew { ticket, .. },
        ) => ticket == id.0,
        _ => false,
    };
    if about {
        conversation::clear(ctx.conn, key(chat_id)).await?;
    }
    Ok(())
}

/// The cancel question (or its repetition), with "keep it" under it.
async fn ask_cancel_reason(
    ctx: &mut Ctx<'_>,
    chat_id: i64,
    lang: Lang,
    id: TicketId,
    question: texts::Phrase,
) -> Result<()> {
    let keep = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
        fill(
            texts::BUTTON_KEEP_TICKET.get(lang),
            &[("id", &id.to_string())],
        ),
        Callback::KeepTicket(id).encode(),
    )]]);
    let text = question.fill(lang, &[("id", &id.to_string())]);
    ctx.reply(chat_id, Request::text_with(text, keep)).await?;
    Ok(())
}
async fn rate(
    ctx: &mut Ctx<'_>,
    chat_id: i64,
    lang: Lang,
    q: &CallbackQuery,
    t: &Ticket,
    stars: u8,
) -> Result<()> {
    let stars = i16::from(stars);
    let rate = Transition::Rate { stars };
    let owner = Actor::Owner(Some(chat_id));
    let done = match transition::perform(ctx.conn, t.id, rate, owner, ctx.now).await? {
        Ok(done) => done,
        Err(Refusal::AlreadyRated) => {
            return answer(ctx, q, Some(texts::ALREADY_RATED.get(lang))).await;
        }
        Err(refusal) => {
            tracing::info!(ticket = t.id.0, ?refusal, "rating refused");
            return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await;
        }
    };
    let low = done.low_rating();
    answer(ctx, q, None).await?;
    remove_buttons(ctx, q).await?;
    outcome::apply(ctx, &done).await?;
    // An optional comment never displaces a dialogue the owner is in.
    let in_dialogue = matches!(
        conversation::live(ctx, key(chat_id)).await?,
        Some(Waiting::Dialogue { .. })
    );
    if !in_dialogue {
        let waiting = Waiting::RatingComment {
            ticket: t.id.0,
            held: None,
        };
        conversation::wait_for(ctx, key(chat_id), &waiting).await?;
    }
    let skip = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
        texts::BUTTON_SKIP.get(lang),
        Callback::SkipComment(t.id).encode(),
    )]]);
    if low {
        let markup = InlineKeyboardMarkup::new([
            vec![InlineKeyboardButton::callback(
                fill(
                    texts::BUTTON_REOPEN_TICKET.get(lang),
                    &[("id", &t.id.to_string())],
                ),
                Callback::Reopen(t.id).encode(),
            )],
            vec![InlineKeyboardButton::callback(
                texts::BUTTON_SKIP.get(lang),
                Callback::SkipComment(t.id).encode(),
            )],
        ]);
        ctx.reply(
            chat_id,
            Request::text_with(texts::LOW_RATING_SORRY.get(lang), markup),
        )
        .await?;
    } else if in_dialogue {
        say(ctx, chat_id, texts::THANKS_FOR_RATING.get(lang).to_string()).await?;
    } else {
        ctx.reply(
            chat_id,
            Request::text_with(texts::ASK_RATING_COMMENT.get(lang), skip),
        )
        .await?;
    }
    Ok(())
}

async fn say(ctx: &mut Ctx<'_>, chat: i64, text: String) -> Result<()> {
    ctx.reply(chat, Request::text(text)).await?;
    Ok(())
}

/// An owner's message while one of this module's questions waits. True
/// when it was answered here; false when the message is not the answer
/// (a command, or a new message after an unanswered offer): the question
/// is then dropped and the message goes where it would have gone anyway.
pub async fn on_waiting(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    msg: &Message,
    waiting: &Waiting,
) -> Result<bool> {
    let chat = from.chat_id;
    let lang = from.lang;
    let text = msg.text().unwrap_or_default().trim().to_string();
    if text.starts_with('/') {
        conversation::clear(ctx.conn, key(chat)).await?;
        if let (Waiting::CancelReason { ticket }, Some("cancel")) = (
            waiting,
            crate::processor::commands::word(&text, &ctx.app.settings.bot_username).as_deref(),
        ) {
            let id = TicketId(*ticket).to_string();
            say(
                ctx,
                chat,
                fill(texts::TICKET_KEPT.get(lang), &[("id", &id)]),
            )
            .await?;
            return Ok(true);
        }
        return Ok(false);
    }
    match waiting {
        Waiting::CancelReason { ticket } => {
            let id = TicketId(*ticket);
            if text.is_empty() {
                // A photo, a sticker, a location: not a reason.
                return ask_cancel_reason(ctx, chat, lang, id, texts::CANCEL_NOT_A_REASON)
                    .await
                    .map(|()| true);
            }
            conversation::clear(ctx.conn, key(chat)).await?;
            cancel_with_reason(ctx, chat, lang, id, &text).await?;
            Ok(true)
        }
        Waiting::RatingComment { ticket, .. } => {
            let id = TicketId(*ticket);
            let caption = msg.caption().unwrap_or_default().trim();
            if !text.is_empty() && !looks_like_a_new_problem(&text) {
                conversation::clear(ctx.conn, key(chat)).await?;
                record_comment(ctx, chat, lang, id, &text).await?;
                return Ok(true);
            }
            if text.is_empty() && photo_of(msg).is_none() {
                // A sticker, a location …: no comment; the general rules answer it.
                conversation::clear(ctx.conn, key(chat)).await?;
                return Ok(false);
            }
            // A photo or a new problem: a new request, not a comment on this one.
            let held = if text.is_empty() { caption } else { &text };
            let mut rows: Vec<Vec<InlineKeyboardButton>> = main_menu(lang).inline_keyboard.clone();
            if held.is_empty() {
                conversation::clear(ctx.conn, key(chat)).await?;
            } else {
                let waiting = Waiting::RatingComment {
                    ticket: id.0,
                    held: Some(held.to_string()),
                };
                conversation::wait_for(ctx, key(chat), &waiting).await?;
                rows.push(vec![InlineKeyboardButton::callback(
                    fill(
                        texts::BUTTON_IT_WAS_MY_COMMENT.get(lang),
                        &[("id", &id.to_string())],
                    ),
                    Callback::MyComment(id).encode(),
                )]);
            }
            let question = fill(
                texts::RATING_OR_NEW_PROBLEM.get(lang),
                &[("id", &id.to_string())],
            );
            ctx.reply(
                chat,
                Request::text_with(question, InlineKeyboardMarkup::new(rows)),
            )
            .await?;
            Ok(true)
        }
        // Written again instead of choosing: the offer is made afresh.
        Waiting::ReopenOrNew { .. } => {
            conversation::clear(ctx.conn, key(chat)).await?;
            Ok(false)
        }
        Waiting::Dialogue { .. }
        | Waiting::BroadcastDraft { .. }
        | Waiting::VisitNote { .. }
        | Waiting::FollowUpNote { .. }
        | Waiting::NewTicket { .. }
        | Waiting::RegistrationRefusal { .. }
        | Waiting::ReportRange
        | Waiting::ActivityPlan { .. }
        | Waiting::Attendance { .. }
        | Waiting::ActivityComment { .. }
        | Waiting::OutageForm { .. } => Ok(false),
    }
}

/// Words that say something is wrong: such a text after a rating is a new
/// problem, not a comment on the work.
/// (A false alarm costs the owner one button press: "it was my comment".)
const PROBLEM_WORDS: &[&str] = &[
    "坏",
    "漏",
    "渗水",
    "堵",
    "停电",
    "停水",
    "没水",
    "没电",
    "跳闸",
    "故障",
    "不能用",
    "不好用",
    "不工作",
    "不亮",
    "不通",
    "投诉",
    "噪音",
    "异味",
    "臭",
    "裂",
    "脱落",
    "被困",
    "broken",
    "broke",
    "leak",
    "not working",
    "doesn't work",
    "does not work",
    "stopped",
    "blocked",
    "clogged",
    "no water",
    "no power",
    "smell",
    "noise",
    "crack",
    "stuck",
    "still",
];

/// Whether `text` reads as a report of something wrong.
#[must_use]
pub fn looks_like_a_new_problem(text: &str) -> bool {
    let text = text.to_lowercase();
    PROBLEM_WORDS.iter().any(|w| text.contains(w))
}

/// An owner's message outside any question: a follow-up on their active
/// ticket, attached to it and relayed to the holder (or the staff group).
/// Returns false when it is not one, so the caller can start a new
/// conversation.
pub async fn owner_follow_up(ctx: &mut Ctx<'_>, owner_chat_id: i64, msg: &Message) -> Result<bool> {
    let text = match msg.contact() {
        // A contact card shared about the ticket (a plumber's, a
        // neighbour's); the owner's own number stays masked, as on the card.
        Some(c) => format!(
            "📇 {} {} {}",
            c.first_name,
            c.last_name.as_deref().unwrap_or_default(),
            if c.user_id
                .is_some_and(|u| i64::try_from(u.0).ok() == Some(owner_chat_id))
            {
                card::masked(&c.phone_number)
            } else {
                c.phone_number.clone()
            }
        )
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" "),
        None => msg
            .text()
            .or(msg.caption())
            .unwrap_or_default()
            .trim()
            .to_string(),
    };
    let photo = photo_of(msg);
    if text.is_empty() && photo.is_none() {
        return Ok(false);
    }
    let Some(t) = tickets::latest_active_of_owner(ctx.conn, owner_chat_id).await? else {
        return Ok(false);
    };
    attach_and_relay(ctx, owner_chat_id, &t, &text, photo).await?;
    Ok(true)
}

/// Free text from an owner with no active ticket but one resolved within
/// the reopen window: offers "reopen #N" or "new request" (the text goes
/// with a reopening). False when there is no such ticket.
pub async fn offer_reopen(ctx: &mut Ctx<'_>, from: &Sender, text: &str) -> Result<bool> {
    let window = i64::from(office_settings::load(ctx.conn).await?.reopen_days);
    let recent = tickets::of_owner(ctx.conn, from.chat_id, 10)
        .await?
        .into_iter()
        .find(|t| may_reopen(t, ctx.now, window));
    let Some(t) = recent else {
        return Ok(false);
    };
    let lang = from.lang;
    let waiting = Waiting::ReopenOrNew {
        ticket: t.id.0,
        text: text.to_string(),
    };
    conversation::wait_for(ctx, key(from.chat_id), &waiting).await?;
    let id = t.id.to_string();
    let at = t
        .resolved_at
        .map(|r| card::local(r, ctx.app.settings.timezone))
        .unwrap_or_default();
    let question = fill(
        texts::REOPEN_OR_NEW.get(lang),
        &[("id", &id), ("kind", t.kind.label(lang)), ("at", &at)],
    );
    let markup = InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback(
            fill(texts::BUTTON_REOPEN_TICKET.get(lang), &[("id", &id)]),
            Callback::Reopen(t.id).encode(),
        ),
        InlineKeyboardButton::callback(
            texts::BUTTON_NEW_REQUEST.get(lang),
            Callback::NewRequest(t.id).encode(),
        ),
    ]]);
    ctx.reply(from.chat_id, Request::text_with(question, markup))
        .await?;
    Ok(true)
}

/// The owner's message on ticket `t`: recorded, attached, relayed, and the
/// owner told where it went.
async fn attach_and_relay(
    ctx: &mut Ctx<'_>,
    owner_chat_id: i64,
    t: &Ticket,
    text: &str,
    photo: Option<String>,
) -> Result<()> {
    let lang = chat_language(ctx.conn, owner_chat_id)
        .await?
        .unwrap_or(Lang::Zh);
    tickets::add_event(
        ctx.conn,
        t.id,
        ctx.now,
        Actor::Owner(Some(owner_chat_id)),
        "owner_message",
        (!text.is_empty()).then_some(text),
        false,
        serde_json::json!({ "photo": photo }),
    )
    .await?;
    if let Some(p) = &photo {
        tickets::attach(ctx.conn, t.id, p, ctx.now).await?;
    }
    relay_to_staff(ctx, t, text, photo.as_deref()).await?;
    say(
        ctx,
        owner_chat_id,
        fill(
            texts::FOLLOW_UP_RELAYED.get(lang),
            &[("id", &t.id.to_string())],
        ),
    )
    .await
}

async fn cancel_with_reason(
    ctx: &mut Ctx<'_>,
    chat: i64,
    lang: Lang,
    id: TicketId,
    text: &str,
) -> Result<()> {
    let cancel = Transition::Cancel {
        reason: text.to_string(),
    };
    let owner = Actor::Owner(Some(chat));
    let phrase = match transition::perform(ctx.conn, id, cancel, owner, ctx.now).await? {
        Ok(done) => {
            outcome::apply(ctx, &done).await?;
            texts::CANCELLED_OK
        }
        Err(refusal) => {
            tracing::info!(ticket = id.0, ?refusal, "owner cancel refused");
            texts::CANNOT_CANCEL
        }
    };
    say(ctx, chat, phrase.fill(lang, &[("id", &id.to_string())])).await
}

async fn record_comment(
    ctx: &mut Ctx<'_>,
    chat: i64,
    lang: Lang,
    id: TicketId,
    text: &str,
) -> Result<()> {
    let comment = Transition::Comment {
        text: text.to_string(),
    };
    let owner = Actor::Owner(Some(chat));
    match transition::perform(ctx.conn, id, comment, owner, ctx.now).await? {
        Ok(done) => outcome::apply(ctx, &done).await?,
        Err(refusal) => tracing::info!(ticket = id.0, ?refusal, "rating comment refused"),
    }
    say(ctx, chat, texts::THANKS_FOR_RATING.get(lang).to_string()).await
}

/// Into the ticket's topic when it has one (everyone at the desk sees it
/// there); else to the holder's private chat when they have one with the
/// bot, else the staff group. Linked to the ticket so a Telegram reply
/// answers the owner.
async fn relay_to_staff(
    ctx: &mut Ctx<'_>,
    t: &Ticket,
    text: &str,
    photo: Option<&str>,
) -> Result<()> {
    let place = card::ticket_place(ctx.conn, ctx.app, t).await?;
    let holder_chat = match (t.assignee, &place) {
        (_, Some((_, Some(_)))) => None,
        (Some(a), _) if crate::domain::chats::has_open_private_chat(ctx.conn, a).await? => Some(a),
        _ => None,
    };
    let Some((chat, thread)) = holder_chat.map(|a| (a, None)).or(place) else {
        tracing::warn!(
            ticket = t.id.0,
            "owner follow-up has nowhere to go: no holder chat, no staff group"
        );
        return Ok(());
    };
    let lang = card::staff_language(ctx, chat).await?;
    let header = fill(
        texts::RELAYED_HEADER.get(lang),
        &[
            ("id", &t.id.to_string()),
            ("unit", t.unit_code.as_deref().unwrap_or("-")),
        ],
    );
    let body = if text.is_empty() {
        header
    } else {
        format!("{header}\n{text}")
    };
    let request = match photo {
        Some(p) if body.chars().count() <= 1024 => Request::SendPhoto {
            photo: p.to_string(),
            caption: Some(body),
            reply_markup: None,
        },
        Some(p) => {
            let photo = Request::SendPhoto {
                photo: p.to_string(),
                caption: None,
                reply_markup: None,
            };
            let out = Outgoing::new(chat, Lane::Staff, photo).in_thread(thread);
            let row = ctx.send(out).await?;
            tickets::link_message(ctx.conn, row, t.id).await?;
            Request::text(body)
        }
        None => Request::text(body),
    };
    for request in desk::split_request(request) {
        let out = Outgoing::new(chat, Lane::Staff, request).in_thread(thread);
        let row = ctx.send(out).await?;
        tickets::link_message(ctx.conn, row, t.id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::looks_like_a_new_problem;

    #[test]
    fn a_report_of_something_wrong_is_not_taken_for_a_comment() {
        for problem in [
            "电梯也坏了",
            "the lift is broken too",
            "还在漏水",
            "still leaking",
            "Kitchen tap does not work",
        ] {
            assert!(looks_like_a_new_problem(problem), "{problem}");
        }
        for comment in [
            "师傅很专业",
            "very quick, thanks!",
            "服务态度很好",
            "Great job",
        ] {
            assert!(!looks_like_a_new_problem(comment), "{comment}");
        }
    }
}
