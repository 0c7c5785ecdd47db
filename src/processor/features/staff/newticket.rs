//! `/newticket`: a report taken by phone, at the desk or on a patrol, as a
//! guided form in the staff member's conversation (`Waiting::NewTicket`),
//! one question at a time, each with Back and Cancel:
//!
//! ```text
//! staff: /newticket
//! bot:   How did it reach the office?        [Phone] [Walk-in] [Patrol]
//! staff: [Phone]
//! bot:   Type the unit, or pick a common area: [📍 Lobby] [📍 B2 car park] …
//! staff: 3-2-1108
//! bot:   There is no unit 3-2-1108. Is it one of these? [🏠 3-2-1101] [📍 3-2-1108] [📍 Lobby] …
//! staff: [🏠 3-2-1101]
//! bot:   The caller's name and phone …       [Skip]
//! staff: Mr Zhang 13812341234    (a registered resident: linked, told in Telegram)
//! bot:   What kind? → Category → How urgent? → describe → photos → check → [Submit]
//! ```
//!
//! An urgent ticket goes to the head of the queue (the queue orders by
//! urgency) and the staff group is alerted at once. `/newticket UNIT KIND
//! TEXT` on one line (`admin::new_ticket`) stays for those who type fast.

use anyhow::Result;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message};

use super::card;
use super::desk::{file_ticket_as, photo_of, Desk};
use super::notify;
use crate::domain::office_settings;
use crate::domain::people;
use crate::domain::phone::Phone;
use crate::domain::staff::{self, Staff};
use crate::domain::tickets::{self, Actor, Channel, NewTicket, Priority, TicketKind};
use crate::domain::units;
use crate::i18n::{Lang, Text};
use crate::outbox::Request;
use crate::processor::commands;
use crate::processor::context::{chat_language, Ctx};
use crate::processor::conversation::{self, FormStep, Key, TicketForm, Waiting};
use crate::processor::reply::{answer, remove_buttons, Sender};
use crate::telegram::callback::{Callback, FormPress};
use crate::texts::{self, fill};

/// The kinds a phone or walk-in report can be (registration has its own dialogue).
const KINDS: [TicketKind; 5] = [
    TicketKind::Repair,
    TicketKind::Complaint,
    TicketKind::Consultation,
    TicketKind::Suggestion,
    TicketKind::Other,
];
const CHANNELS: [Channel; 3] = [Channel::Phone, Channel::WalkIn, Channel::Patrol];
/// Most urgent first: the first button is the emergency.
const PRIORITIES: [Priority; 4] = [
    Priority::Urgent,
    Priority::High,
    Priority::Normal,
    Priority::Low,
];
/// The longest description, as the owners' dialogues take.
const MAX_DESCRIPTION: usize = 2000;
/// Photos one ticket takes from the form (one album).
const MAX_PHOTOS: usize = 10;

/// The staff member filling the form, where, in which language.
struct Here {
    chat: i64,
    staff: Staff,
    lang: Lang,
}

impl Here {
    fn of(desk: &Desk) -> Here {
        Here {
            chat: desk.chat_id,
            staff: desk.staff.clone(),
            lang: desk.lang,
        }
    }

    fn key(&self) -> Key {
        Key {
            chat_id: self.chat,
            user_id: self.staff.telegram_user_id,
        }
    }

    async fn say(&self, ctx: &mut Ctx<'_>, text: impl Into<String>) -> Result<()> {
        ctx.reply(self.chat, Request::text(text)).await?;
        Ok(())
    }
}

/// `/newticket` with nothing after it: the form's first question.
pub async fn start(ctx: &mut Ctx<'_>, desk: &Desk) -> Result<()> {
    ask(
        ctx,
        &Here::of(desk),
        TicketForm::default(),
        FormStep::Channel,
    )
    .await
}

fn kind_of(form: &TicketForm) -> Option<TicketKind> {
    form.kind.as_deref().and_then(TicketKind::parse)
}

fn channel_of(form: &TicketForm) -> Option<Channel> {
    form.channel.as_deref().and_then(Channel::parse)
}

/// The categories the owners' dialogue of `kind` offers (its choices saved
/// as `category`, or `topic` for questions), with their labels.
fn categories(ctx: &Ctx<'_>, kind: Option<TicketKind>) -> Vec<(String, Text)> {
    let Some(d) = kind.and_then(|k| ctx.app.dialogues.get(k.as_str())) else {
        return Vec::new();
    };
    let mut choices = d.choices_saved_as("category");
    if choices.is_empty() {
        choices = d.choices_saved_as("topic");
    }
    choices
        .into_iter()
        .map(|c| (c.key.clone(), c.label.clone()))
        .collect()
}

/// Whether `step` is asked for this form (a patrol has no caller; a kind
/// without categories has no category question).
fn applies(ctx: &Ctx<'_>, form: &TicketForm, step: FormStep) -> bool {
    match step {
        FormStep::Caller => channel_of(form) != Some(Channel::Patrol),
        FormStep::Category => !categories(ctx, kind_of(form)).is_empty(),
        _ => true,
    }
}

/// The step after `step` that applies.
fn next(ctx: &Ctx<'_>, form: &TicketForm, step: FormStep) -> FormStep {
    FormStep::ALL
        .into_iter()
        .skip_while(|s| *s != step)
        .skip(1)
        .find(|s| applies(ctx, form, *s))
        .unwrap_or(FormStep::Confirm)
}

fn press(step: FormStep, label: impl Into<String>, press: FormPress) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(
        label,
        Callback::NewTicketForm {
            step: step.code(),
            press,
        }
        .encode(),
    )
}

/// Back (after the first question) and Cancel.
fn way_out(step: FormStep, lang: Lang, trail: &[FormStep]) -> Vec<InlineKeyboardButton> {
    let mut row = Vec::new();
    if !trail.is_empty() {
        row.push(press(step, texts::engine::BACK.get(lang), FormPress::Back));
    }
    row.push(press(
        step,
        texts::engine::CANCEL.get(lang),
        FormPress::Cancel,
    ));
    row
}

/// Buttons two a row.
fn pairs(buttons: Vec<InlineKeyboardButton>) -> Vec<Vec<InlineKeyboardButton>> {
    buttons.chunks(2).map(<[_]>::to_vec).collect()
}

/// An offered place as its button shows it.
fn offered_label(entry: &str) -> String {
    match entry.split_once(':') {
        Some(("unit", code)) => format!("🏠 {code}"),
        Some((_, name)) => format!("📍 {name}"),
        None => entry.to_string(),
    }
}

/// Stores the form at `step` and asks its question.
async fn ask(ctx: &mut Ctx<'_>, here: &Here, mut form: TicketForm, step: FormStep) -> Result<()> {
    let lang = here.lang;
    form.step = Some(step);
    let mut rows: Vec<Vec<InlineKeyboardButton>> = Vec::new();
    let text = match step {
        FormStep::Channel => {
            rows.push(
                CHANNELS
                    .iter()
                    .enumerate()
                    .map(|(i, c)| press(step, c.label(lang), FormPress::Pick(index(i))))
                    .collect(),
            );
            texts::desk::NT_ASK_CHANNEL.get(lang).to_string()
        }
        FormStep::Place => {
            if form.offered.is_empty() {
                form.offered = office_settings::load(ctx.conn)
                    .await?
                    .common_areas
                    .into_iter()
                    .map(|a| format!("area:{a}"))
                    .collect();
            }
            rows.extend(pairs(
                form.offered
                    .iter()
                    .enumerate()
                    .map(|(i, o)| press(step, offered_label(o), FormPress::Pick(index(i))))
                    .collect(),
            ));
            texts::desk::NT_ASK_PLACE.get(lang).to_string()
        }
        FormStep::Caller => {
            rows.push(vec![press(
                step,
                texts::engine::SKIP.get(lang),
                FormPress::Skip,
            )]);
            texts::desk::NT_ASK_CALLER.get(lang).to_string()
        }
        FormStep::Kind => {
            rows.extend(pairs(
                KINDS
                    .iter()
                    .enumerate()
                    .map(|(i, k)| press(step, k.label(lang), FormPress::Pick(index(i))))
                    .collect(),
            ));
            texts::desk::NT_ASK_KIND.get(lang).to_string()
        }
        FormStep::Category => {
            let mut buttons: Vec<InlineKeyboardButton> = categories(ctx, kind_of(&form))
                .iter()
                .enumerate()
                .map(|(i, (_, label))| press(step, label.get(lang), FormPress::Pick(index(i))))
                .collect();
            buttons.push(press(
                step,
                texts::desk::BUTTON_NO_CATEGORY.get(lang),
                FormPress::Skip,
            ));
            rows.extend(pairs(buttons));
            texts::desk::NT_ASK_CATEGORY.get(lang).to_string()
        }
        FormStep::Priority => {
            rows.extend(pairs(
                PRIORITIES
                    .iter()
                    .enumerate()
                    .map(|(i, p)| press(step, p.label(lang), FormPress::Pick(index(i))))
                    .collect(),
            ));
            texts::desk::NT_ASK_PRIORITY.get(lang).to_string()
        }
        FormStep::Description => texts::desk::NT_ASK_DESCRIPTION.get(lang).to_string(),
        FormStep::Photos => photos_prompt(&form, lang, &mut rows),
        FormStep::Confirm => {
            rows.push(vec![press(
                step,
                texts::desk::BUTTON_SUBMIT.get(lang),
                FormPress::Submit,
            )]);
            let summary = summary(ctx, &form, lang);
            texts::desk::NT_CONFIRM.fill(lang, &[("summary", &summary)])
        }
    };
    rows.push(way_out(step, lang, &form.trail));
    show(ctx, here, form, text, rows).await
}

/// Stores the form (it waits for the answer) and shows `text` with `rows`.
async fn show(
    ctx: &mut Ctx<'_>,
    here: &Here,
    form: TicketForm,
    text: String,
    rows: Vec<Vec<InlineKeyboardButton>>,
) -> Result<()> {
    let waiting = Waiting::NewTicket {
        form: Box::new(form),
    };
    conversation::wait_for(ctx, here.key(), &waiting).await?;
    ctx.reply(
        here.chat,
        Request::text_with(text, InlineKeyboardMarkup::new(rows)),
    )
    .await?;
    Ok(())
}

fn index(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// The photo question, or how many came so far; Done once there are some.
fn photos_prompt(
    form: &TicketForm,
    lang: Lang,
    rows: &mut Vec<Vec<InlineKeyboardButton>>,
) -> String {
    let step = FormStep::Photos;
    if form.photos.is_empty() {
        rows.push(vec![press(
            step,
            texts::engine::SKIP.get(lang),
            FormPress::Skip,
        )]);
        texts::desk::NT_ASK_PHOTOS.get(lang).to_string()
    } else {
        rows.push(vec![press(
            step,
            texts::engine::DONE.get(lang),
            FormPress::Done,
        )]);
        texts::desk::NT_PHOTOS_RECEIVED.fill(lang, &[("n", &form.photos.len().to_string())])
    }
}

/// What will be filed, one line a field.
fn summary(ctx: &Ctx<'_>, form: &TicketForm, lang: Lang) -> String {
    let mut lines = Vec::new();
    if let Some(c) = channel_of(form) {
        lines.push(format!(
            "{}: {}",
            texts::CARD_CHANNEL.get(lang),
            c.label(lang)
        ));
    }
    if let Some(unit) = &form.unit {
        lines.push(format!("{}: {unit}", texts::CARD_UNIT.get(lang)));
    }
    if let Some(area) = &form.area {
        lines.push(format!("{}: {area}", texts::CARD_LOCATION.get(lang)));
    }
    if form.caller_name.is_some() || form.caller_phone.is_some() {
        let phone = form
            .caller_phone
            .as_deref()
            .map(card::masked)
            .unwrap_or_default();
        lines.push(format!(
            "{}: {} {phone}",
            texts::desk::CARD_CALLER.get(lang),
            form.caller_name.as_deref().unwrap_or("-")
        ));
    }
    if let Some(kind) = kind_of(form) {
        let mut line = kind.label(lang).to_string();
        if let Some(key) = &form.category {
            let label = categories(ctx, Some(kind))
                .into_iter()
                .find(|(k, _)| k == key)
                .map_or_else(|| key.clone(), |(_, l)| l.get(lang).to_string());
            line.push_str(&format!(" / {label}"));
        }
        if let Some(p) = form.priority.as_deref().and_then(Priority::parse) {
            line.push_str(&format!(" · {}", p.label(lang)));
        }
        lines.push(line);
    }
    if let Some(d) = &form.description {
        lines.push(String::new());
        lines.push(d.clone());
    }
    if !form.photos.is_empty() {
        lines.push(String::new());
        lines.push(fill(
            texts::CARD_PHOTOS.get(lang),
            &[("n", &form.photos.len().to_string())],
        ));
    }
    lines.join("\n")
}

/// Moves on from the answered `step`.
async fn advance(
    ctx: &mut Ctx<'_>,
    here: &Here,
    mut form: TicketForm,
    step: FormStep,
) -> Result<()> {
    if form.trail.last() != Some(&step) {
        form.trail.push(step);
    }
    let to = next(ctx, &form, step);
    ask(ctx, here, form, to).await
}

/// A press on one of the form's buttons.
pub async fn on_button(
    ctx: &mut Ctx<'_>,
    desk: &Desk,
    q: &CallbackQuery,
    step: u8,
    pressed: FormPress,
) -> Result<()> {
    let here = Here::of(desk);
    let form = match conversation::live(ctx, here.key()).await? {
        Some(Waiting::NewTicket { form }) => *form,
        _ => return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(here.lang))).await,
    };
    // A button of an earlier question (the form has moved on) is stale.
    let Some(at) = form.step.filter(|s| s.code() == step) else {
        return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(here.lang))).await;
    };
    answer(ctx, q, None).await?;
    remove_buttons(ctx, q).await?;
    match pressed {
        FormPress::Cancel => cancel(ctx, &here).await,
        FormPress::Back => back(ctx, &here, form).await,
        FormPress::Submit if at == FormStep::Confirm => submit(ctx, &here, form).await,
        FormPress::Skip | FormPress::Done => skip(ctx, &here, form, at).await,
        FormPress::Pick(i) => pick(ctx, &here, form, at, usize::from(i)).await,
        FormPress::Submit => ask(ctx, &here, form, at).await,
    }
}

async fn cancel(ctx: &mut Ctx<'_>, here: &Here) -> Result<()> {
    conversation::clear(ctx.conn, here.key()).await?;
    here.say(ctx, texts::desk::NT_CANCELLED.get(here.lang))
        .await
}

async fn back(ctx: &mut Ctx<'_>, here: &Here, mut form: TicketForm) -> Result<()> {
    match form.trail.pop() {
        Some(previous) => {
            if previous == FormStep::Place {
                form.offered.clear();
            }
            ask(ctx, here, form, previous).await
        }
        None => {
            let at = form.step.unwrap_or(FormStep::Channel);
            ask(ctx, here, form, at).await
        }
    }
}

async fn skip(ctx: &mut Ctx<'_>, here: &Here, mut form: TicketForm, at: FormStep) -> Result<()> {
    match at {
        FormStep::Caller => {
            form.caller_name = None;
            form.caller_phone = None;
            form.person_id = None;
            form.owner_chat_id = None;
        }
        FormStep::Category => form.category = None,
        FormStep::Photos => {}
        // Nothing to skip here: ask again.
        _ => return ask(ctx, here, form, at).await,
    }
    advance(ctx, here, form, at).await
}

async fn pick(
    ctx: &mut Ctx<'_>,
    here: &Here,
    mut form: TicketForm,
    at: FormStep,
    i: usize,
) -> Result<()> {
    let chosen = match at {
        FormStep::Channel => CHANNELS
            .get(i)
            .map(|c| form.channel = Some(c.as_str().into())),
        FormStep::Place => form.offered.get(i).cloned().map(|entry| {
            let (unit, area) = match entry.split_once(':') {
                Some(("unit", code)) => (Some(code.to_string()), None),
                Some((_, name)) => (None, Some(name.to_string())),
                None => (None, Some(entry.clone())),
            };
            form.unit = unit;
            form.area = area;
            form.offered.clear();
        }),
        FormStep::Kind => KINDS.get(i).map(|k| {
            if form.kind.as_deref() != Some(k.as_str()) {
                form.category = None;
            }
            form.kind = Some(k.as_str().into());
        }),
        FormStep::Category => categories(ctx, kind_of(&form))
            .get(i)
            .map(|(key, _)| form.category = Some(key.clone())),
        FormStep::Priority => PRIORITIES
            .get(i)
            .map(|p| form.priority = Some(p.as_str().into())),
        _ => None,
    };
    match chosen {
        Some(()) => advance(ctx, here, form, at).await,
        None => ask(ctx, here, form, at).await,
    }
}

/// A message while the form waits. True when it was taken as an answer (or
/// answered with a hint); false for a command other than /cancel and
/// /back, which goes where it would have gone (the form keeps waiting).
pub async fn on_waiting(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    msg: &Message,
    form: TicketForm,
) -> Result<bool> {
    let key = Key {
        chat_id: from.chat_id,
        user_id: from.user_id,
    };
    let Some(member) = staff::by_telegram_id(ctx.conn, from.user_id).await? else {
        conversation::clear(ctx.conn, key).await?;
        return Ok(false);
    };
    let here = Here {
        chat: from.chat_id,
        staff: member,
        lang: card::staff_language(ctx, from.chat_id).await?,
    };
    let text = msg
        .text()
        .or(msg.caption())
        .unwrap_or_default()
        .trim()
        .to_string();
    if text.starts_with('/') {
        return match commands::word(&text, &ctx.app.settings.bot_username).as_deref() {
            Some("cancel") => cancel(ctx, &here).await.map(|()| true),
            Some("back") => back(ctx, &here, form).await.map(|()| true),
            _ => Ok(false),
        };
    }
    let photo = photo_of(msg);
    match (form.step, photo) {
        (Some(FormStep::Photos), Some(p)) => add_photo(ctx, &here, form, msg, p).await?,
        (Some(FormStep::Place), None) if !text.is_empty() => place(ctx, &here, form, &text).await?,
        (Some(FormStep::Caller), None) if !text.is_empty() => {
            caller(ctx, &here, form, &text).await?
        }
        (Some(FormStep::Description), photo) if !text.is_empty() => {
            description(ctx, &here, form, &text, photo).await?;
        }
        (Some(FormStep::Description), _) => {
            let max = MAX_DESCRIPTION.to_string();
            here.say(
                ctx,
                texts::desk::NT_BAD_DESCRIPTION.fill(here.lang, &[("max", &max)]),
            )
            .await?;
        }
        _ => {
            here.say(ctx, texts::desk::NT_PRESS_A_BUTTON.get(here.lang))
                .await?;
        }
    }
    Ok(true)
}

/// A typed place: a unit, a common area of the list, else close matches,
/// the text as a place, and the list to choose from.
async fn place(ctx: &mut Ctx<'_>, here: &Here, mut form: TicketForm, typed: &str) -> Result<()> {
    let close = match units::find_unit(ctx.conn, typed).await? {
        units::UnitMatch::Found(unit) => {
            form.unit = Some(unit.code);
            form.area = None;
            form.offered.clear();
            return advance(ctx, here, form, FormStep::Place).await;
        }
        units::UnitMatch::Several(close) | units::UnitMatch::Close(close) => close,
        units::UnitMatch::Nothing => Vec::new(),
    };
    let areas = office_settings::load(ctx.conn).await?.common_areas;
    if let Some(area) = areas.iter().find(|a| a.eq_ignore_ascii_case(typed)) {
        form.unit = None;
        form.area = Some(area.clone());
        form.offered.clear();
        return advance(ctx, here, form, FormStep::Place).await;
    }
    let typed: String = typed.chars().take(60).collect();
    form.offered = close
        .into_iter()
        .map(|code| format!("unit:{code}"))
        .chain(std::iter::once(format!("area:{typed}")))
        .chain(
            areas
                .iter()
                .filter(|a| **a != typed)
                .map(|a| format!("area:{a}")),
        )
        .collect();
    form.step = Some(FormStep::Place);
    let step = FormStep::Place;
    let mut rows = pairs(
        form.offered
            .iter()
            .enumerate()
            .map(|(i, o)| press(step, offered_label(o), FormPress::Pick(index(i))))
            .collect(),
    );
    rows.push(way_out(step, here.lang, &form.trail));
    let text = texts::desk::NT_UNKNOWN_PLACE.fill(here.lang, &[("unit", &typed)]);
    show(ctx, here, form, text, rows).await
}

/// `张先生 13812345678`, `13812345678 Mr Zhang`, `Mr Zhang`-less numbers:
/// the name (if any) and the phone.
fn parse_caller(text: &str) -> Option<(Option<String>, Phone)> {
    let name = |s: &str| {
        let s = s.trim().trim_matches([',', '，', ':', '：']).trim();
        (!s.is_empty()).then(|| s.chars().take(60).collect::<String>())
    };
    let starts = text
        .char_indices()
        .filter(|(_, c)| c.is_ascii_digit() || matches!(c, '+' | '(' | '（' | '０'..='９'))
        .map(|(i, _)| i);
    for i in starts {
        if let Ok(phone) = Phone::parse(&text[i..]) {
            return Some((name(&text[..i]), phone));
        }
    }
    let ends = text
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .filter(|i| text[..*i].ends_with(|c: char| c.is_ascii_digit() || c == ')'));
    for j in ends.collect::<Vec<_>>().into_iter().rev() {
        if let Ok(phone) = Phone::parse(&text[..j]) {
            return Some((name(&text[j..]), phone));
        }
    }
    None
}

async fn caller(ctx: &mut Ctx<'_>, here: &Here, mut form: TicketForm, text: &str) -> Result<()> {
    let Some((name, phone)) = parse_caller(text) else {
        here.say(ctx, texts::desk::NT_BAD_CALLER.get(here.lang))
            .await?;
        return Ok(());
    };
    let people = people::find_people_by_phone(ctx.conn, &phone).await?;
    let known = people
        .iter()
        .find(|p| p.telegram_user_id.is_some())
        .or(people.first());
    form.person_id = known.map(|p| p.id);
    form.owner_chat_id = known.and_then(|p| p.telegram_user_id);
    form.caller_name = name.or_else(|| known.map(|p| p.name.clone()));
    form.caller_phone = Some(phone.as_str().to_string());
    if let Some(p) = known.filter(|p| p.telegram_user_id.is_some()) {
        here.say(
            ctx,
            texts::desk::NT_CALLER_KNOWN.fill(here.lang, &[("name", &p.name)]),
        )
        .await?;
    }
    advance(ctx, here, form, FormStep::Caller).await
}

async fn description(
    ctx: &mut Ctx<'_>,
    here: &Here,
    mut form: TicketForm,
    text: &str,
    photo: Option<String>,
) -> Result<()> {
    if text.chars().count() > MAX_DESCRIPTION {
        let max = MAX_DESCRIPTION.to_string();
        return here
            .say(
                ctx,
                texts::desk::NT_BAD_DESCRIPTION.fill(here.lang, &[("max", &max)]),
            )
            .await;
    }
    form.description = Some(text.to_string());
    if let Some(p) = photo {
        form.photos.push(p);
    }
    advance(ctx, here, form, FormStep::Description).await
}

/// A photo for the ticket; an album is answered once (its first photo).
async fn add_photo(
    ctx: &mut Ctx<'_>,
    here: &Here,
    mut form: TicketForm,
    msg: &Message,
    photo: String,
) -> Result<()> {
    if form.photos.len() < MAX_PHOTOS && !form.photos.contains(&photo) {
        form.photos.push(photo);
    }
    let later_part = match msg.media_group_id() {
        Some(group) => {
            crate::inbox::album_seen_before(ctx.conn, here.chat, ctx.update_id, &group.0).await?
        }
        None => false,
    };
    if later_part {
        let waiting = Waiting::NewTicket {
            form: Box::new(form),
        };
        return conversation::wait_for(ctx, here.key(), &waiting).await;
    }
    ask(ctx, here, form, FormStep::Photos).await
}

/// Files the ticket the form describes.
async fn submit(ctx: &mut Ctx<'_>, here: &Here, form: TicketForm) -> Result<()> {
    let (Some(kind), Some(description)) = (kind_of(&form), form.description.clone()) else {
        // Back was used to skip past a question: ask the first one missing.
        let missing = if kind_of(&form).is_none() {
            FormStep::Kind
        } else {
            FormStep::Description
        };
        return ask(ctx, here, form, missing).await;
    };
    let channel = channel_of(&form).unwrap_or(Channel::Phone);
    let priority = form
        .priority
        .as_deref()
        .and_then(Priority::parse)
        .unwrap_or(Priority::Normal);
    let unit = match &form.unit {
        Some(code) => units::with_contact(ctx.conn, code).await?,
        None => None,
    };
    let mut fields = serde_json::Map::new();
    fields.insert(
        "filed_by_staff".into(),
        serde_json::json!(here.staff.staff_no),
    );
    if let Some(name) = &form.caller_name {
        fields.insert("caller_name".into(), serde_json::json!(name));
    }
    if let Some(phone) = &form.caller_phone {
        fields.insert("caller_phone".into(), serde_json::json!(phone));
    }
    if let Some(key) = &form.category {
        if let Some((_, label)) = categories(ctx, Some(kind))
            .into_iter()
            .find(|(k, _)| k == key)
        {
            fields.insert(
                tickets::LABELS_FIELD.into(),
                serde_json::json!({ "category": tickets::label_json(&label) }),
            );
        }
    }
    let mut new = NewTicket::new(kind, description.clone());
    new.category = form.category.clone();
    new.priority = priority;
    new.unit_id = unit.map(|u| u.unit_id);
    new.person_id = form.person_id;
    new.owner_chat_id = form.owner_chat_id;
    new.location = form.area.clone();
    new.fields = serde_json::Value::Object(fields);
    new.attachments = form.photos.clone();
    new.channel = channel;
    let actor = Actor::Staff(here.staff.telegram_user_id);
    let filed = file_ticket_as(ctx, new, actor).await?;
    conversation::clear(ctx.conn, here.key()).await?;
    let id = filed.id.to_string();
    if filed.created {
        if let Some(owner) = form.owner_chat_id {
            let lang = chat_language(ctx.conn, owner).await?.unwrap_or(Lang::Zh);
            let told = texts::desk::NT_OWNER_TOLD.fill(
                lang,
                &[
                    ("id", &id),
                    ("kind", kind.label(lang)),
                    ("channel", channel.label(lang)),
                ],
            );
            ctx.reply(owner, Request::text(told)).await?;
        }
        if priority == Priority::Urgent {
            // An emergency does not wait for the scheduler's first ping.
            let place = form
                .unit
                .clone()
                .or(form.area.clone())
                .unwrap_or_else(|| "-".into());
            let short: String = description.chars().take(200).collect();
            notify::staff_group(
                ctx,
                filed.id,
                texts::desk::NT_URGENT,
                &[("place", &place), ("text", &short)],
            )
            .await?;
        }
        tracing::info!(
            ticket = filed.id.0,
            channel = channel.as_str(),
            by = here.staff.staff_no,
            "ticket filed from the desk form"
        );
    }
    here.say(ctx, texts::NEWTICKET_OK.fill(here.lang, &[("id", &id)]))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_is_a_name_and_a_phone_in_either_order() {
        let (name, phone) = parse_caller("张先生 13812345678").unwrap();
        assert_eq!(
            (name.as_deref(), phone.as_str()),
            (Some("张先生"), "+8613812345678")
        );
        let (name, phone) = parse_caller("138 1234 5678 Mr Zhang").unwrap();
        assert_eq!(
            (name.as_deref(), phone.as_str()),
            (Some("Mr Zhang"), "+8613812345678")
        );
        let (name, phone) = parse_caller("李女士，0755-1234-5678").unwrap();
        assert_eq!(
            (name.as_deref(), phone.as_str()),
            (Some("李女士"), "+8675512345678")
        );
        let (name, _) = parse_caller("13812345678").unwrap();
        assert_eq!(name, None);
        assert!(parse_caller("张先生").is_none());
        assert!(parse_caller("call 123").is_none());
    }

    #[test]
    fn every_step_has_a_button_code_of_its_own() {
        let mut codes: Vec<u8> = FormStep::ALL.iter().map(|s| s.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), FormStep::ALL.len());
        for s in FormStep::ALL {
            assert_eq!(FormStep::from_code(s.code()), Some(s));
        }
    }
}
