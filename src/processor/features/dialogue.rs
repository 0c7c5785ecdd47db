//! The dialogue runtime: keeps each private chat's dialogue as its
//! conversation state (`Waiting::Dialogue`), feeds the owner's messages and button presses to
//! the pure engine, carries out the engine's effects (registration, tickets,
//! fees, survey, suggestions) in the update's transaction, and sends the
//! replies through the outbox.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result};
use chrono::Datelike;
use serde_json::{json, Value};
use sqlx::PgConnection;
use teloxide::types::{
    ButtonRequest, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton,
    KeyboardMarkup, KeyboardRemove, Message, ReplyMarkup,
};

use super::outage_notices::notice_with;
use super::{limits, staff};
use crate::domain::incidents::{self, IncidentId, IncidentKind};
use crate::domain::phone::Phone;
use crate::domain::tickets::{self, Channel, NewTicket, Priority, TicketKind};
use crate::domain::{fees, people, suggestions, units};
use crate::engine::{
    self, Dialogue, Effect, EffectKind, Facts, Input, Keyboard, Prefill, Reply, State, Step,
    UnitFact,
};
use crate::i18n::Lang;
use crate::outbox::Request;
use crate::processor::context::Ctx;
use crate::processor::conversation::{self, Key, Loaded, Waiting};
use crate::processor::main_menu::main_menu;
use crate::processor::reply::{answer, Sender};
use crate::telegram::callback::Callback;
use crate::texts;

/// Who is talking, for the effects.
#[derive(Debug, Clone, Copy)]
pub struct Who {
    pub user_id: i64,
    pub chat_id: i64,
    pub lang: Lang,
}

impl Who {
    fn of(from: &Sender) -> Who {
        Who {
            user_id: from.user_id,
            chat_id: from.chat_id,
            lang: from.lang,
        }
    }

    fn key(self) -> Key {
        Key {
            chat_id: self.chat_id,
            user_id: self.user_id,
        }
    }
}

/// A stored conversation.
struct Conversation {
    state: State,
    /// Album photos waiting for the rest of their album.
    album: Vec<engine::Photo>,
}

/// The dialogue a main-menu item opens.
#[must_use]
pub fn dialogue_for_menu(item: &str) -> Option<&'static str> {
    Some(match item {
        "complaint" => "complaint",
        "repair" => "repair",
        "consultation" => "consultation",
        "fees" => "fees",
        "survey" => "survey",
        "suggestion" => "suggestion",
        "registration" => "registration",
        _ => return None,
    })
}

/// A private message while the chat is in a dialogue (`state`, with album
/// photos `album` held back). Returns false for the commands a dialogue
/// leaves to others (/mytickets, /lang …: the draft waits).
pub async fn on_waiting(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    msg: &Message,
    state: State,
    album: Vec<engine::Photo>,
) -> Result<bool> {
    // The dialogue goes on in the person's language as it is now: a /lang
    // pressed mid-dialogue counts from this answer on.
    let mut conv = Conversation { state, album };
    conv.state.lang = from.lang;
    let who = Who::of(from);
    if let Some(text) = msg.text() {
        if let Some(command) = text.strip_prefix('/') {
            let name = command
                .split(|c: char| c.is_whitespace() || c == '@')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            match name.as_str() {
                "cancel" => return feed(ctx, who, conv, &Input::Cancel).await.map(|()| true),
                "back" => return feed(ctx, who, conv, &Input::Back).await.map(|()| true),
                // `/start CODE` is an invitation link: its own feature.
                "start" if command.split_whitespace().nth(1).is_some() => return Ok(false),
                "start" | "menu" => {
                    ask_resume(ctx, who, &conv.state).await?;
                    return Ok(true);
                }
                "help" => {
                    let title = title_of(ctx, &conv.state);
                    let text =
                        texts::fill(texts::HELP_IN_DIALOGUE.get(who.lang), &[("title", &title)]);
                    ctx.reply(
                        who.chat_id,
                        Request::text(format!("{}\n\n{text}", texts::HELP.get(who.lang))),
                    )
                    .await?;
                    return Ok(true);
                }
                // Other commands (/mytickets, /lang …) work as usual; the draft waits.
                _ => return Ok(false),
            }
        }
    }
    let input = match to_input(msg) {
        MessageInput::Ready(input) => input,
        MessageInput::AlbumPart(photo, group) => {
            return album_part(ctx, who, conv, photo, &group)
                .await
                .map(|()| true);
        }
    };
    feed(ctx, who, conv, &input).await?;
    Ok(true)
}

/// A `d:` button of a dialogue prompt.
pub async fn on_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    data: &str,
) -> Result<()> {
    answer(ctx, q, None).await?;
    if !input(ctx, Who::of(from), &Input::Button(data.to_string())).await? {
        ctx.reply(
            from.chat_id,
            Request::text(texts::BUTTON_EXPIRED.get(from.lang)),
        )
        .await?;
    }
    Ok(())
}

/// The resume question's buttons: continue the draft (`resume`) or leave it.
pub async fn on_resume_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    resume: bool,
) -> Result<()> {
    answer(ctx, q, None).await?;
    let mut conv = match load_or_expire(ctx, Who::of(from)).await? {
        Found::Live(conv) => *conv,
        Found::Expired => return Ok(()),
        Found::Absent => {
            ctx.reply(
                from.chat_id,
                Request::text(texts::BUTTON_EXPIRED.get(from.lang)),
            )
            .await?;
            return Ok(());
        }
    };
    conv.state.lang = from.lang;
    let who = Who::of(from);
    if resume {
        let facts = facts_for(ctx, who).await?;
        let Some(dialogue) = ctx.app.dialogues.get(&conv.state.dialogue) else {
            delete(ctx.conn, who).await?;
            return show_menu(ctx, who, texts::WELCOME).await;
        };
        let step = engine::step::reprompt(dialogue, &conv.state, &facts, ctx.now);
        run(ctx, who, dialogue.clone(), step).await
    } else {
        delete(ctx.conn, who).await?;
        show_menu(ctx, who, texts::DRAFT_DISCARDED).await
    }
}

/// Starts dialogue `id` (from the menu). A draft in progress is not thrown
/// away silently: the owner is asked first.
pub async fn start_dialogue(ctx: &mut Ctx<'_>, from: &Sender, id: &str) -> Result<()> {
    start(ctx, Who::of(from), id).await
}

/// Starts dialogue `id` with what the owner's own words already said
/// (free text, `features::intents`); a draft in progress is asked about
/// first, as from the menu.
pub async fn start_prefilled(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    id: &str,
    prefill: &Prefill,
) -> Result<()> {
    begin(ctx, Who::of(from), id, prefill).await
}

/// `start_dialogue` for a transport other than Telegram (the console).
pub async fn start(ctx: &mut Ctx<'_>, who: Who, id: &str) -> Result<()> {
    begin(ctx, who, id, &Prefill::default()).await
}

async fn begin(ctx: &mut Ctx<'_>, who: Who, id: &str, prefill: &Prefill) -> Result<()> {
    if let Some(conv) = load(ctx, who).await? {
        return ask_resume(ctx, who, &conv.state).await;
    }
    let Some(dialogue) = ctx.app.dialogues.get(id).cloned() else {
        anyhow::bail!("the menu names dialogue {id:?}, which is not loaded");
    };
    let facts = facts_for(ctx, who).await?;
    let step = engine::start_with(&dialogue, who.lang, &facts, ctx.now, prefill);
    run(ctx, who, dialogue, step).await
}

/// Gives `input` to the chat's conversation; false when there is none.
/// A draft that has just expired counts as answered (its owner was told).
pub async fn input(ctx: &mut Ctx<'_>, who: Who, input: &Input) -> Result<bool> {
    let mut conv = match load_or_expire(ctx, who).await? {
        Found::Live(conv) => *conv,
        Found::Expired => return Ok(true),
        Found::Absent => return Ok(false),
    };
    // In the person's language as it is now (see `on_waiting`).
    conv.state.lang = who.lang;
    feed(ctx, who, conv, input).await?;
    Ok(true)
}

// ------------------------------------------------------------------ driving

async fn feed(ctx: &mut Ctx<'_>, who: Who, conv: Conversation, input: &Input) -> Result<()> {
    let facts = facts_for(ctx, who).await?;
    let Some(dialogue) = ctx.app.dialogues.get(&conv.state.dialogue).cloned() else {
        // The file was removed while the owner was in it.
        delete(ctx.conn, who).await?;
        return show_menu(ctx, who, texts::DIALOGUE_GONE).await;
    };
    let step = engine::step(&dialogue, &conv.state, input, &facts, ctx.now);
    run(ctx, who, dialogue, step).await
}

/// Sends the replies, carries out the effects (feeding outcomes back), and
/// stores where the conversation ended up.
async fn run(ctx: &mut Ctx<'_>, who: Who, mut dialogue: Dialogue, mut step: Step) -> Result<()> {
    let mut replies: Vec<Reply> = Vec::new();
    // Bounded: a dialogue hands over to another at most a few times.
    for _ in 0..16 {
        replies.append(&mut step.replies);
        let mut next: Option<Input> = None;
        let mut switch_to: Option<String> = None;
        for effect in std::mem::take(&mut step.effects) {
            if effect.kind == EffectKind::StartDialogue {
                switch_to = effect
                    .args
                    .get("dialogue")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                continue;
            }
            if matches!(effect.kind, EffectKind::FileTicket | EffectKind::HandOff) {
                if let Some(notice) = limits::ticket_cap_reached(ctx, who.chat_id, who.lang).await?
                {
                    delete(ctx.conn, who).await?;
                    let menu = main_menu(who.lang);
                    return ctx
                        .reply(who.chat_id, Request::text_with(notice, menu))
                        .await
                        .map(|_| ());
                }
            }
            let (name, vars) = perform(ctx, who, &effect).await?;
            if effect.awaits_outcome {
                next = Some(Input::Outcome { name, vars });
            }
        }
        // Facts are read again only when the engine steps on: an effect
        // (registration, say) may have changed them.
        match (step.state.take(), next, switch_to) {
            (_, _, Some(id)) => {
                let Some(other) = ctx.app.dialogues.get(&id).cloned() else {
                    anyhow::bail!(
                        "dialogue {} hands over to unknown dialogue {id:?}",
                        dialogue.id
                    );
                };
                let facts = facts_for(ctx, who).await?;
                step = engine::start(&other, who.lang, &facts, ctx.now);
                dialogue = other;
            }
            (Some(state), Some(input), None) => {
                let facts = facts_for(ctx, who).await?;
                step = engine::step(&dialogue, &state, &input, &facts, ctx.now);
            }
            (Some(state), None, None) => {
                save(ctx, who, &state).await?;
                return send_replies(ctx, who, replies, false).await;
            }
            (None, _, None) => {
                delete(ctx.conn, who).await?;
                return send_replies(ctx, who, replies, true).await;
            }
        }
    }
    anyhow::bail!(
        "dialogue {} did not settle after 16 hand-overs",
        dialogue.id
    )
}

/// Queues the replies; at the end of a conversation the main menu comes
/// with the last one.
async fn send_replies(ctx: &mut Ctx<'_>, who: Who, replies: Vec<Reply>, ended: bool) -> Result<()> {
    for request in requests_for(replies, ended, who.lang) {
        ctx.reply(who.chat_id, request).await?;
    }
    Ok(())
}

/// The messages that show an engine step's replies (pure: the benchmark's
/// bare bot answers with exactly these). At the end of a conversation the
/// main menu comes with the last one, or alone when there is none.
#[must_use]
pub fn requests_for(replies: Vec<Reply>, ended: bool, lang: Lang) -> Vec<Request> {
    let count = replies.len();
    let mut requests: Vec<Request> = replies
        .into_iter()
        .enumerate()
        .map(|(i, reply)| {
            let markup = match reply.keyboard {
                Keyboard::None if ended && i + 1 == count => Some(main_menu(lang).into()),
                other => markup_of(other),
            };
            Request::SendMessage {
                text: reply.text,
                reply_markup: markup,
                reply_to: None,
            }
        })
        .collect();
    if ended && count == 0 {
        requests.push(Request::text_with(texts::MENU.get(lang), main_menu(lang)));
    }
    requests
}

fn markup_of(keyboard: Keyboard) -> Option<ReplyMarkup> {
    match keyboard {
        Keyboard::None => None,
        Keyboard::Inline(rows) => Some(
            InlineKeyboardMarkup::new(rows.into_iter().map(|row| {
                row.into_iter()
                    .map(|b| {
                        InlineKeyboardButton::callback(b.label, Callback::Dialogue(b.data).encode())
                    })
                    .collect::<Vec<_>>()
            }))
            .into(),
        ),
        Keyboard::RequestContact { label } => Some(one_button(
            KeyboardButton::new(label).request(ButtonRequest::Contact),
        )),
        Keyboard::RequestLocation { label } => Some(one_button(
            KeyboardButton::new(label).request(ButtonRequest::Location),
        )),
        Keyboard::RemoveReplyKeyboard => Some(KeyboardRemove::new().into()),
    }
}

fn one_button(button: KeyboardButton) -> ReplyMarkup {
    KeyboardMarkup::new([[button]])
        .resize_keyboard()
        .one_time_keyboard()
        .into()
}

/// The notice that a draft expired, naming the setting it expired by.
async fn show_menu(ctx: &mut Ctx<'_>, who: Who, text: texts::Phrase) -> Result<()> {
    ctx.reply(
        who.chat_id,
        Request::text_with(text.get(who.lang), main_menu(who.lang)),
    )
    .await?;
    Ok(())
}

async fn ask_resume(ctx: &mut Ctx<'_>, who: Who, state: &State) -> Result<()> {
    let title = title_of(ctx, state);
    let text = texts::fill(texts::RESUME_ASK.get(who.lang), &[("title", &title)]);
    let keyboard = InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback(
            texts::RESUME_CONTINUE.get(who.lang),
            Callback::ResumeContinue.encode(),
        ),
        InlineKeyboardButton::callback(
            texts::RESUME_DISCARD.get(who.lang),
            Callback::ResumeDiscard.encode(),
        ),
    ]]);
    ctx.reply(who.chat_id, Request::text_with(text, keyboard))
        .await?;
    Ok(())
}

fn title_of(ctx: &Ctx<'_>, state: &State) -> String {
    ctx.app.dialogues.get(&state.dialogue).map_or_else(
        || state.dialogue.clone(),
        |d| d.title.get(state.lang).to_string(),
    )
}

// ------------------------------------------------------------------ input

enum MessageInput {
    Ready(Input),
    /// A photo that is part of an album (media group).
    AlbumPart(engine::Photo, String),
}

fn to_input(msg: &Message) -> MessageInput {
    if let Some(text) = msg.text() {
        return MessageInput::Ready(Input::Text(text.to_string()));
    }
    if let Some(sizes) = msg.photo() {
        // The largest size is last.
        let Some(best) = sizes.last() else {
            return MessageInput::Ready(Input::Unsupported);
        };
        let photo = engine::Photo {
            file_id: best.file.id.0.clone(),
            file_unique_id: best.file.unique_id.0.clone(),
        };
        return match msg.media_group_id() {
            Some(group) => MessageInput::AlbumPart(photo, group.0.clone()),
            None => MessageInput::Ready(Input::Photos(vec![photo])),
        };
    }
    if let Some(contact) = msg.contact() {
        let is_own = match (contact.user_id, &msg.from) {
            (Some(contact_user), Some(from)) => contact_user == from.id,
            _ => false,
        };
        return MessageInput::Ready(Input::Contact {
            phone: contact.phone_number.clone(),
            is_own,
        });
    }
    if let Some(location) = msg.location() {
        return MessageInput::Ready(Input::Location {
            latitude: location.latitude,
            longitude: location.longitude,
        });
    }
    MessageInput::Ready(Input::Unsupported)
}

/// Telegram delivers an album as one update per photo. They are collected
/// while the next update of the chat in the inbox continues the album, and
/// given to the engine as one answer with the last part.
async fn album_part(
    ctx: &mut Ctx<'_>,
    who: Who,
    mut conv: Conversation,
    photo: engine::Photo,
    group: &str,
) -> Result<()> {
    conv.album.push(photo);
    let next = crate::inbox::next_album(ctx.conn, who.chat_id, ctx.update_id).await?;
    if next.as_deref() == Some(group) {
        return conversation::set_album(ctx.conn, who.key(), &conv.album).await;
    }
    let photos = std::mem::take(&mut conv.album);
    conversation::set_album(ctx.conn, who.key(), &[]).await?;
    feed(ctx, who, conv, &Input::Photos(photos)).await
}

// ------------------------------------------------------------------ storage

/// A chat's dialogue as `load_or_expire` found it.
enum Found {
    Live(Box<Conversation>),
    /// It had expired: it is deleted and the owner has been told.
    Expired,
    /// No dialogue (another question may be waiting; starting a dialogue
    /// replaces it).
    Absent,
}

async fn load(ctx: &mut Ctx<'_>, from: Who) -> Result<Option<Conversation>> {
    Ok(match load_or_expire(ctx, from).await? {
        Found::Live(conv) => Some(*conv),
        Found::Expired | Found::Absent => None,
    })
}

async fn load_or_expire(ctx: &mut Ctx<'_>, from: Who) -> Result<Found> {
    Ok(match conversation::load(ctx, from.key()).await? {
        Loaded::Live(conv) => match conv.waiting {
            Waiting::Dialogue { state } => Found::Live(Box::new(Conversation {
                state,
                album: conv.album,
            })),
            _ => Found::Absent,
        },
        Loaded::Expired(w) if matches!(*w, Waiting::Dialogue { .. }) => Found::Expired,
        Loaded::Expired(_) | Loaded::Absent => Found::Absent,
    })
}

async fn save(ctx: &mut Ctx<'_>, who: Who, state: &State) -> Result<()> {
    let waiting = Waiting::Dialogue {
        state: state.clone(),
    };
    conversation::wait_for(ctx, who.key(), &waiting).await
}

async fn delete(conn: &mut PgConnection, who: Who) -> Result<()> {
    conversation::clear(conn, who.key()).await
}

// ------------------------------------------------------------------ facts

async fn facts_for(ctx: &mut Ctx<'_>, who: Who) -> Result<Facts> {
    let person = people::find_person_by_telegram_id(ctx.conn, who.user_id).await?;
    let units = match &person {
        Some(p) => units::units_of_person(ctx.conn, p.id).await?,
        None => Vec::new(),
    };
    Ok(Facts {
        registered: !units.is_empty(),
        default_unit: units
            .iter()
            .find(|u| u.is_default)
            .or(units.first())
            .map(|u| u.code.clone()),
        units: units
            .iter()
            .map(|u| UnitFact {
                code: u.code.clone(),
                role: u.role.as_str().to_string(),
                is_default: u.is_default,
            })
            .collect(),
        timezone: ctx.app.settings.timezone,
        duty_phone: ctx.app.settings.duty_phone.clone(),
    })
}

// ------------------------------------------------------------------ effects

type Outcome = (String, BTreeMap<String, Value>);

fn outcome(name: &str) -> Outcome {
    (name.to_string(), BTreeMap::new())
}

fn outcome_with(name: &str, vars: impl IntoIterator<Item = (&'static str, Value)>) -> Outcome {
    (
        name.to_string(),
        vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    )
}

fn arg<'a>(effect: &'a Effect, name: &str) -> Option<&'a str> {
    effect
        .args
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

async fn perform(ctx: &mut Ctx<'_>, who: Who, effect: &Effect) -> Result<Outcome> {
    match effect.kind {
        EffectKind::Register => register(ctx, who, effect).await,
        EffectKind::SetDefaultUnit => set_default_unit(ctx, who, effect).await,
        EffectKind::FileTicket => file_ticket(ctx, who, effect, false).await,
        EffectKind::HandOff => file_ticket(ctx, who, effect, true).await,
        EffectKind::ShowFees => show_fees(ctx, who, effect).await,
        EffectKind::RecordSurvey => record_survey(ctx, who, effect).await,
        EffectKind::SaveSuggestion => save_suggestion(ctx, who, effect).await,
        EffectKind::FindUnit => find_unit(ctx, effect).await,
        EffectKind::SetReminders => set_reminders(ctx, who, effect).await,
        EffectKind::FindOutage => find_outage(ctx, who, effect).await,
        EffectKind::JoinOutage => join_outage(ctx, who, effect).await,
        // Handled by the driver before effects are performed.
        EffectKind::StartDialogue => Ok(outcome("started")),
    }
}

async fn register(ctx: &mut Ctx<'_>, who: Who, effect: &Effect) -> Result<Outcome> {
    let Some(phone) = arg(effect, "phone").and_then(|p| Phone::parse(p).ok()) else {
        return Ok(outcome("unknown"));
    };
    let Some(person) = people::find_people_by_phone(ctx.conn, &phone)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(outcome("unknown"));
    };
    let units = units::units_of_person(ctx.conn, person.id).await?;
    if units.is_empty() {
        return Ok(outcome("unknown"));
    }
    // This Telegram account now belongs to this person only.
    people::bind_telegram(ctx.conn, person.id, who.user_id, who.lang.code()).await?;
    if let [unit] = units.as_slice() {
        units::set_default_unit(ctx.conn, person.id, &unit.code).await?;
        return Ok(outcome_with(
            "matched_one",
            [
                ("unit", json!(unit.code)),
                ("role", json!(unit.role.as_str())),
            ],
        ));
    }
    let list: Vec<Value> = units
        .iter()
        .map(|u| json!({"code": u.code, "role": u.role.as_str()}))
        .collect();
    Ok(outcome_with(
        "matched_many",
        [("units", Value::Array(list))],
    ))
}

async fn set_default_unit(ctx: &mut Ctx<'_>, who: Who, effect: &Effect) -> Result<Outcome> {
    let person = people::find_person_by_telegram_id(ctx.conn, who.user_id)
        .await?
        .context("setting a default unit for someone not registered")?;
    let code = arg(effect, "unit").unwrap_or_default();
    let updated = units::set_default_unit(ctx.conn, person.id, code).await?;
    anyhow::ensure!(updated, "person {} has no units", person.id);
    Ok(outcome("saved"))
}

/// The person's unit with `code`, or their default unit — never a unit
/// they are not a member of.
async fn unit_of(
    ctx: &mut Ctx<'_>,
    person_id: Option<i64>,
    code: Option<&str>,
) -> Result<Option<i64>> {
    let Some(person_id) = person_id else {
        return Ok(None);
    };
    let units = units::units_of_person(ctx.conn, person_id).await?;
    let chosen = code
        .and_then(|c| units.iter().find(|u| u.code == c))
        .or_else(|| units.iter().find(|u| u.is_default))
        .or(units.first());
    Ok(chosen.map(|u| u.unit_id))
}

async fn file_ticket(
    ctx: &mut Ctx<'_>,
    who: Who,
    effect: &Effect,
    hand_off: bool,
) -> Result<Outcome> {
    let person = people::find_person_by_telegram_id(ctx.conn, who.user_id).await?;
    let kind = if hand_off {
        TicketKind::Consultation
    } else {
        arg(effect, "kind")
            .and_then(TicketKind::parse)
            .with_context(|| {
                format!(
                    "file_ticket with unknown kind {:?}",
                    effect.args.get("kind")
                )
            })?
    };
    let mut description = ["description", "question", "text"]
        .iter()
        .find_map(|k| arg(effect, k))
        .unwrap_or_default()
        .to_string();
    if kind == TicketKind::Registration {
        // The card goes to the whole staff group: the applicant's number is
        // masked there; the full one stays in the ticket's fields for the
        // holder and supervisors.
        description = format!(
            "{} / {} / {} / {}",
            arg(effect, "name").unwrap_or("-"),
            arg(effect, "unit_text")
                .or(arg(effect, "unit"))
                .unwrap_or("-"),
            arg(effect, "role").unwrap_or("-"),
            arg(effect, "phone").map_or_else(|| "-".to_string(), staff::card::masked),
        );
    }
    if let Some(transcript) = effect.args.get("transcript").and_then(Value::as_array) {
        let lines: Vec<&str> = transcript.iter().filter_map(Value::as_str).collect();
        if !lines.is_empty() {
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str(&lines.join("\n"));
        }
    }
    let priority = match arg(effect, "priority") {
        Some("urgent") => Priority::Urgent,
        Some("high") => Priority::High,
        Some("low") => Priority::Low,
        _ => Priority::Normal,
    };
    // A registration request names the unit the applicant found (any
    // unit: they do not belong to one yet); anything else one of theirs.
    let unit_id = if kind == TicketKind::Registration {
        match arg(effect, "unit") {
            Some(code) => match units::find_unit(ctx.conn, code).await? {
                units::UnitMatch::Found(u) if u.code == code => Some(u.id),
                _ => None,
            },
            None => None,
        }
    } else {
        unit_of(ctx, person.as_ref().map(|p| p.id), arg(effect, "unit")).await?
    };
    let attachments: Vec<String> = effect
        .args
        .get("photos")
        .and_then(Value::as_array)
        .map(|photos| {
            photos
                .iter()
                .filter_map(|p| p.get("file_id").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    // The place's label goes with the ticket (`fields.labels`); the location
    // is what was written or the unit.
    let location = arg(effect, "location")
        .or(arg(effect, "place"))
        .map(str::to_string);
    let appointment_pref = effect.args.get("appointment").and_then(|a| match a {
        Value::Object(o) => Some(format!(
            "{} {}–{}",
            o.get("date").and_then(Value::as_str).unwrap_or_default(),
            o.get("from").and_then(Value::as_str).unwrap_or_default(),
            o.get("to").and_then(Value::as_str).unwrap_or_default(),
        )),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    });
    let mut fields = serde_json::Map::new();
    for (key, value) in &effect.args {
        if !matches!(key.as_str(), "photos" | "transcript" | "lang" | "dialogue") {
            fields.insert(key.clone(), value.clone());
        }
    }
    let labels = choice_labels(ctx, effect);
    if !labels.is_empty() {
        fields.insert(tickets::LABELS_FIELD.into(), Value::Object(labels));
    }
    if kind == TicketKind::Registration {
        // Whom staff bind when they accept the request.
        fields.insert("applicant_user_id".into(), json!(who.user_id));
        fields.insert("applicant_lang".into(), json!(who.lang.code()));
    }
    let mut new = NewTicket::new(kind, description);
    new.category = arg(effect, "category")
        .or(arg(effect, "topic"))
        .map(str::to_string);
    new.priority = priority;
    new.unit_id = unit_id;
    new.person_id = person.as_ref().map(|p| p.id);
    new.owner_chat_id = Some(who.chat_id);
    new.location = location;
    new.fields = Value::Object(fields);
    new.attachments = attachments;
    new.channel = Channel::Telegram;
    new.appointment_pref = appointment_pref;
    let filed = staff::file_ticket(ctx, new).await?;
    let name = if hand_off { "handed_off" } else { "filed" };
    Ok(outcome_with(
        name,
        [("ticket_no", json!(filed.id.to_string()))],
    ))
}

/// The labels, in every language, of the choices the ticket's `category`
/// and `place` came from (a category may also come from a `topic`), so cards
/// show 噪音 / Noise rather than `noise`.
fn choice_labels(ctx: &Ctx<'_>, effect: &Effect) -> serde_json::Map<String, Value> {
    let mut labels = serde_json::Map::new();
    let Some(d) = arg(effect, "dialogue").and_then(|id| ctx.app.dialogues.get(id)) else {
        return labels;
    };
    for (field, vars) in [
        ("category", &["category", "topic"][..]),
        ("place", &["place"][..]),
    ] {
        let value = arg(effect, field).or_else(|| {
            (field == "category")
                .then(|| arg(effect, "topic"))
                .flatten()
        });
        let Some(value) = value else { continue };
        if let Some(label) = vars.iter().find_map(|v| d.choice_label(v, value)) {
            labels.insert(field.into(), tickets::label_json(label));
        }
    }
    labels
}

/// The fees of the unit `args.unit` (one of the person's), or of all their
/// units when none is named.
async fn show_fees(ctx: &mut Ctx<'_>, who: Who, effect: &Effect) -> Result<Outcome> {
    let Some(person) = people::find_person_by_telegram_id(ctx.conn, who.user_id).await? else {
        return Ok(outcome("no_units"));
    };
    let mut units = fees::fees_for_person(ctx.conn, person.id).await?;
    if let Some(code) = arg(effect, "unit") {
        if units.iter().any(|u| u.code == code) {
            units.retain(|u| u.code == code);
        }
    }
    if units.is_empty() {
        return Ok(outcome("no_units"));
    }
    let today = ctx
        .now
        .with_timezone(&ctx.app.settings.timezone)
        .date_naive();
    let text = fees::render_fees(&units, who.lang, today);
    Ok(outcome_with("ok", [("fees_text", json!(text))]))
}

/// The survey answered is the open campaign, or else the current quarter's
/// evaluation (created on first answer), so an owner can always give one.
async fn record_survey(ctx: &mut Ctx<'_>, who: Who, effect: &Effect) -> Result<Outcome> {
    let Some(person) = people::find_person_by_telegram_id(ctx.conn, who.user_id).await? else {
        return Ok(outcome("no_campaign"));
    };
    let Some(unit_id) = unit_of(ctx, Some(person.id), arg(effect, "unit")).await? else {
        return Ok(outcome("no_campaign"));
    };
    let local = ctx.now.with_timezone(&ctx.app.settings.timezone);
    let quarter = format!("{}Q{}", local.year(), (local.month() - 1) / 3 + 1);
    let survey_id =
        crate::domain::surveys::open_or_this_quarter(ctx.conn, ctx.now, &quarter).await?;
    let answers: serde_json::Map<String, Value> = crate::domain::surveys::QUESTIONS
        .iter()
        .filter_map(|q| effect.args.get(*q).map(|v| ((*q).to_string(), v.clone())))
        .collect();
    let anonymous = effect
        .args
        .get("anonymous")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    crate::domain::surveys::record_response(
        ctx.conn,
        &crate::domain::surveys::Response {
            survey_id,
            unit_id,
            person_id: (!anonymous).then_some(person.id),
            anonymous,
            answers: Value::Object(answers),
            comment: arg(effect, "comment"),
        },
    )
    .await?;
    Ok(outcome("recorded"))
}

/// The unit typed in `args.text`: found, several or close ones to choose
/// from, or none.
async fn find_unit(ctx: &mut Ctx<'_>, effect: &Effect) -> Result<Outcome> {
    let typed = arg(effect, "text").unwrap_or_default();
    Ok(match units::find_unit(ctx.conn, typed).await? {
        units::UnitMatch::Found(u) => outcome_with("found", [("unit_code", json!(u.code))]),
        units::UnitMatch::Several(codes) | units::UnitMatch::Close(codes) => {
            outcome_with("choose", [("candidates", json!(codes))])
        }
        units::UnitMatch::Nothing => outcome("none"),
    })
}

/// Arrears reminders on or off, as chosen at registration.
async fn set_reminders(ctx: &mut Ctx<'_>, who: Who, effect: &Effect) -> Result<Outcome> {
    let wanted = effect
        .args
        .get("on")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    if let Some(person) = people::find_person_by_telegram_id(ctx.conn, who.user_id).await? {
        people::set_fee_reminders(ctx.conn, person.id, wanted).await?;
    }
    let state = super::household::reminders_state(ctx, who.lang, wanted).await?;
    Ok(outcome_with("saved", [("reminders_state", json!(state))]))
}

async fn save_suggestion(ctx: &mut Ctx<'_>, who: Who, effect: &Effect) -> Result<Outcome> {
    let anonymous = effect
        .args
        .get("anonymous")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let person = if anonymous {
        None
    } else {
        people::find_person_by_telegram_id(ctx.conn, who.user_id).await?
    };
    let photos: Vec<Value> = effect
        .args
        .get("photos")
        .and_then(Value::as_array)
        .map(|p| p.iter().filter_map(|x| x.get("file_id").cloned()).collect())
        .unwrap_or_default();
    suggestions::insert(
        ctx.conn,
        &suggestions::NewSuggestion {
            person_id: person.map(|p| p.id),
            chat_id: (!anonymous).then_some(who.chat_id),
            anonymous,
            body: arg(effect, "text").unwrap_or_default(),
            photo_file_ids: photos,
            source_update_id: ctx.update_id,
        },
    )
    .await?;
    Ok(outcome("saved"))
}

/// Outages of the repair's kind declared for its unit, not joined yet:
/// their notices in the owner's language and the question (`found`), or
/// `none`.
async fn find_outage(ctx: &mut Ctx<'_>, who: Who, effect: &Effect) -> Result<Outcome> {
    let kind = arg(effect, "category").and_then(IncidentKind::of_repair_category);
    let (Some(kind), Some(unit)) = (kind, arg(effect, "unit")) else {
        return Ok(outcome("none"));
    };
    let Some(person) = people::find_person_by_telegram_id(ctx.conn, who.user_id).await? else {
        return Ok(outcome("none"));
    };
    let outages = incidents::active_of_kind_for_unit(ctx.conn, person.id, unit, kind).await?;
    if outages.is_empty() {
        return Ok(outcome("none"));
    }
    let tz = ctx.app.settings.timezone;
    let mut offer = String::new();
    let mut ids = Vec::new();
    for i in &outages {
        let details = incidents::details(ctx.conn, i.id).await?;
        offer.push_str(&notice_with(i, details.as_ref(), who.lang, tz));
        offer.push_str("\n\n");
        ids.push(i.id.0);
    }
    offer.push_str(texts::incident::OFFER_QUESTION.get(who.lang));
    tracing::info!(
        user_id = who.user_id,
        ?ids,
        kind = kind.as_str(),
        "repair offered an outage"
    );
    // Several long notices could pass Telegram's limit: the later ones are
    // cut, the question with them (the buttons still ask it).
    let offer: String = offer.chars().take(crate::i18n::MAX_TEXT).collect();
    Ok(outcome_with(
        "found",
        [("outage_offer", json!(offer)), ("outage_ids", json!(ids))],
    ))
}

/// The owner's report added to the offered outages: `joined` (what to
/// tell them), or `closed` when none of them is open any more.
async fn join_outage(ctx: &mut Ctx<'_>, who: Who, effect: &Effect) -> Result<Outcome> {
    let ids: Vec<i64> = effect
        .args
        .get("outages")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let Some(person) = people::find_person_by_telegram_id(ctx.conn, who.user_id).await? else {
        return Ok(outcome("closed"));
    };
    let mut told = Vec::new();
    for id in ids.into_iter().map(IncidentId) {
        let joined = incidents::join(ctx.conn, id, person.id, who.chat_id, ctx.now).await?;
        let Some(phrase) = joined.phrase() else {
            continue;
        };
        told.push(phrase.fill(who.lang, &[("id", &id.to_string())]));
    }
    if told.is_empty() {
        return Ok(outcome("closed"));
    }
    Ok(outcome_with(
        "joined",
        [("outage_joined", json!(told.join("\n")))],
    ))
}
