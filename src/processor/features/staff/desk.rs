//! What the staff queue's parts share: the staff member at work in a chat
//! (`Desk`) and how a command names a ticket, filing a ticket, and sending
//! texts that may be too long for one message. A leaf below `staff` and its
//! children, so they need not import the module that declares them.

use anyhow::Result;
use teloxide::types::{CallbackQuery, Message};

use super::card;
use crate::domain::departments::Department;
use crate::domain::office_settings;
use crate::domain::staff::{Staff, StaffRole};
use crate::domain::tickets::{self, Actor, NewTicket, Ticket, TicketId};
use crate::domain::units;
use crate::i18n::{Lang, MAX_TEXT};
use crate::outbox::Request;
use crate::processor::context::Ctx;
use crate::processor::reply::Sender;
use crate::texts::{self, fill, Phrase};

/// A staff member at work in a chat.
pub struct Desk {
    pub staff: Staff,
    pub chat_id: i64,
    pub private: bool,
    pub lang: Lang,
}

impl Desk {
    pub async fn say(&self, ctx: &mut Ctx<'_>, text: impl Into<String>) -> Result<()> {
        say(ctx, self.chat_id, text.into()).await
    }

    pub async fn say_phrase(
        &self,
        ctx: &mut Ctx<'_>,
        p: Phrase,
        vars: &[(&str, &str)],
    ) -> Result<()> {
        self.say(ctx, p.fill(self.lang, vars)).await
    }

    /// The holder of `t`, or a supervisor.
    #[must_use]
    pub fn may_act_on(&self, t: &Ticket) -> bool {
        t.assignee == Some(self.staff.telegram_user_id) || self.staff.role.can_assign()
    }

    /// Who is acting, for the ticket's history.
    #[must_use]
    pub fn actor(&self) -> Actor {
        Actor::Staff(self.staff.telegram_user_id)
    }
}

/// The language staff read in the chat of `from`: theirs in private, the
/// group's in the staff group.
pub async fn desk_lang(ctx: &mut Ctx<'_>, from: &Sender) -> Result<Lang> {
    if from.private {
        Ok(from.lang)
    } else {
        card::staff_language(ctx, from.chat_id).await
    }
}

/// Answers a button press with an alert the presser must dismiss (a
/// refusal): at most 200 characters, as Telegram allows.
pub async fn answer_alert(ctx: &mut Ctx<'_>, q: &CallbackQuery, text: &str) -> Result<()> {
    let chat_id = q
        .message
        .as_ref()
        .map_or(i64::try_from(q.from.id.0)?, |m| m.chat().id.0);
    // answerCallbackQuery text is limited to 200 characters.
    let text: String = text.chars().take(200).collect();
    ctx.reply(
        chat_id,
        Request::AnswerCallbackQuery {
            callback_query_id: q.id.0.clone(),
            text: Some(text),
            show_alert: true,
        },
    )
    .await?;
    Ok(())
}

/// Says no to `user_id` for `what`, and logs the attempt.
pub async fn refuse(
    ctx: &mut Ctx<'_>,
    chat_id: i64,
    lang: Lang,
    user_id: i64,
    who: Option<&Staff>,
    what: &str,
    needed: StaffRole,
) -> Result<()> {
    tracing::warn!(user_id, chat_id, command = what, role = ?who.map(|s| s.role), "staff command refused");
    let text = match who {
        None => texts::STAFF_ONLY.get(lang).to_string(),
        Some(s) => fill(
            texts::STAFF_ROLE_TOO_LOW.get(lang),
            &[("role", s.role.label(lang)), ("needed", needed.label(lang))],
        ),
    };
    say(ctx, chat_id, text).await
}

/// `("12", "the rest")` from `"12 the rest"`.
#[must_use]
pub fn split_first(s: &str) -> (&str, &str) {
    let s = s.trim();
    match s.split_once(char::is_whitespace) {
        Some((a, b)) => (a, b.trim()),
        None => (s, ""),
    }
}

/// The ticket number that is the first word of `arg`, or an answer saying
/// why there is none.
pub async fn ticket_number(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<Option<TicketId>> {
    let (first, _) = split_first(arg);
    let id = TicketId::parse(first);
    if id.is_none() {
        desk.say_phrase(ctx, texts::NEED_TICKET_NUMBER, &[]).await?;
    }
    Ok(id)
}

/// The ticket named by the first word of `arg`, or an answer saying why not.
pub async fn ticket_arg(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<Option<Ticket>> {
    let Some(id) = ticket_number(ctx, desk, arg).await? else {
        return Ok(None);
    };
    let t = tickets::load(ctx.conn, id).await?;
    if t.is_none() {
        desk.say_phrase(ctx, texts::NO_SUCH_TICKET, &[("id", &id.to_string())])
            .await?;
    }
    Ok(t)
}

/// The unit `typed` names — its code or a common variant (`A-1203` for
/// `A栋1203`) — or an answer in `chat` saying there is none, with the close
/// ones if any.
pub async fn unit_arg(
    ctx: &mut Ctx<'_>,
    chat_id: i64,
    lang: Lang,
    typed: &str,
) -> Result<Option<units::FoundUnit>> {
    let text = match units::find_unit(ctx.conn, typed).await? {
        units::UnitMatch::Found(unit) => return Ok(Some(unit)),
        units::UnitMatch::Several(close) | units::UnitMatch::Close(close) => {
            texts::household::NO_UNIT_CLOSE.fill(
                lang,
                &[("unit", typed.trim()), ("close", &close.join(", "))],
            )
        }
        units::UnitMatch::Nothing => {
            texts::household::NO_UNIT.fill(lang, &[("unit", typed.trim())])
        }
    };
    say(ctx, chat_id, text).await?;
    Ok(None)
}

/// The photo of a message (its largest size), if any.
#[must_use]
pub fn photo_of(msg: &Message) -> Option<String> {
    msg.photo()
        .and_then(|sizes| sizes.last())
        .map(|p| p.file.id.0.clone())
}

/// A filed ticket, for the owner's confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FiledTicket {
    pub id: TicketId,
    /// False when this update had filed it already (a redelivery).
    pub created: bool,
}

/// Files a ticket for the update being handled: inserts it (once per
/// update), its first event and photos, with its deadlines from the office
/// settings, and queues its card to the staff group. The caller sends
/// the owner's confirmation with `FiledTicket::id` (shown as `#12`).
pub async fn file_ticket(ctx: &mut Ctx<'_>, new: NewTicket) -> Result<FiledTicket> {
    let actor = Actor::Owner(new.owner_chat_id);
    file_ticket_as(ctx, new, actor).await
}

/// `file_ticket` on behalf of `actor` (staff filing a phone report).
pub async fn file_ticket_as(
    ctx: &mut Ctx<'_>,
    mut new: NewTicket,
    actor: Actor,
) -> Result<FiledTicket> {
    // The photos filed with the ticket are the ones posted below its card.
    if let serde_json::Value::Object(fields) = &mut new.fields {
        fields.insert(
            card::CARD_PHOTOS_FIELD.into(),
            serde_json::json!(new.attachments.len()),
        );
    }
    let settings = office_settings::load(ctx.conn).await?;
    let deadline = settings.deadline(new.kind, new.priority);
    new.department = settings.department_for(new.kind, new.category.as_deref());
    let (id, created) =
        tickets::insert(ctx.conn, Some(ctx.update_id), ctx.now, &new, deadline).await?;
    if !created {
        return Ok(FiledTicket { id, created });
    }
    tickets::add_event(
        ctx.conn,
        id,
        ctx.now,
        actor,
        "filed",
        Some(&new.description),
        false,
        serde_json::json!({
            "channel": new.channel.as_str(),
            "department": new.department.as_str(),
        }),
    )
    .await?;
    for photo in &new.attachments {
        tickets::attach(ctx.conn, id, photo, ctx.now).await?;
    }
    card::post(ctx, id, &new.attachments).await?;
    tracing::info!(
        ticket = id.0,
        kind = new.kind.as_str(),
        department = new.department.as_str(),
        "ticket filed"
    );
    Ok(FiledTicket { id, created })
}

/// The department whose own chat `chat` is (its `/queue` and `/next` show
/// that department's tickets); None in a private chat or the main staff
/// group.
pub async fn chat_department(ctx: &mut Ctx<'_>, chat: i64) -> Result<Option<Department>> {
    if chat >= 0 {
        return Ok(None);
    }
    // In a forum, the topic the command was typed in may be a department's.
    let thread = ctx.thread.filter(|(c, _)| *c == chat).map(|(_, t)| t);
    Ok(office_settings::load(ctx.conn)
        .await?
        .department_at(chat, thread))
}

/// Sends a plain text (split if too long) in the reply lane.
pub async fn say(ctx: &mut Ctx<'_>, chat: i64, text: String) -> Result<()> {
    for part in split_text(&text) {
        ctx.reply(chat, Request::text(part)).await?;
    }
    Ok(())
}

/// `text` in pieces Telegram accepts, cut at line ends where possible;
/// nothing is dropped.
#[must_use]
pub fn split_text(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut len = 0;
    for line in text.split_inclusive('\n') {
        for ch in line.chars() {
            if len == MAX_TEXT {
                // Prefer the last line break in this part.
                match current.rfind('\n') {
                    Some(i) if i > 0 => {
                        let rest = current.split_off(i + 1);
                        parts.push(std::mem::replace(&mut current, rest));
                        len = current.chars().count();
                    }
                    _ => {
                        parts.push(std::mem::take(&mut current));
                        len = 0;
                    }
                }
            }
            current.push(ch);
            len += 1;
        }
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
}

/// A text request split into as many as it takes.
#[must_use]
pub fn split_request(request: Request) -> Vec<Request> {
    match request {
        Request::SendMessage { text, .. } if text.chars().count() > MAX_TEXT => {
            split_text(&text).into_iter().map(Request::text).collect()
        }
        other => vec![other],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_split_without_losing_a_character() {
        let text = format!("{}\n{}", "a".repeat(3000), "b".repeat(3000));
        let parts = split_text(&text);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.chars().count() <= MAX_TEXT));
        assert_eq!(parts.concat(), text);
        let one_line = "字".repeat(9000);
        let parts = split_text(&one_line);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts.concat(), one_line);
        assert_eq!(split_text("hi"), vec!["hi".to_string()]);
    }
}
