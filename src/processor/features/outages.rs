//! The outage form, for supervisors and managers (`/incident` or `/outage`
//! in a private chat): what is out (water, power, gas, lift, network), the
//! scope (buildings, then entrances, then floors, each "all" by a button),
//! the start, the expected end, the notice in Chinese and optionally every
//! other language, then Declare and notify now, or Declare and notify later.
//! The form lives in the declarer's conversation state
//! (`Waiting::OutageForm`) and expires like any draft. Updates
//! (`/incident_update N text`) and the all-clear (`/incident_close`) go to
//! those affected (`incidents.rs`).

use anyhow::Result;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message};

use super::outage_notices::{self, scope_within};
use crate::clock::local_minute as local;
use crate::domain::incidents::{self, FormDraft, IncidentKind, Scope, ScopeError, MAX_TEXT};
use crate::domain::staff;
use crate::i18n::Lang;
use crate::processor::commands;
use crate::processor::context::Ctx;
use crate::processor::conversation::{self, Waiting};
use crate::processor::reply::{answer, remove_buttons, say, Sender};
use crate::telegram::callback::Callback;
use crate::texts::{self, outage as t};

/// Whether `from` may declare outages; anyone else is told so.
pub async fn allowed(ctx: &mut Ctx<'_>, from: &Sender, lang: Lang) -> Result<Option<staff::Staff>> {
    let member = staff::by_telegram_id(ctx.conn, from.user_id).await?;
    match member {
        Some(m) if m.role.can_declare_outages() => Ok(Some(m)),
        Some(m) => {
            tracing::warn!(
                user_id = from.user_id,
                role = m.role.as_str(),
                "outage form refused: role"
            );
            say(ctx, from.chat_id, t::SUPERVISORS_ONLY.get(lang)).await?;
            Ok(None)
        }
        None => {
            tracing::warn!(
                user_id = from.user_id,
                "outage form refused: not on the staff"
            );
            say(ctx, from.chat_id, texts::STAFF_ONLY.get(lang)).await?;
            Ok(None)
        }
    }
}

/// `/incident` without arguments, or `/outage`: the form's first question.
pub async fn start(ctx: &mut Ctx<'_>, from: &Sender, lang: Lang) -> Result<()> {
    if allowed(ctx, from, lang).await?.is_none() {
        return Ok(());
    }
    if !from.private {
        return say(ctx, from.chat_id, t::PRIVATE_ONLY.get(lang)).await;
    }
    ask(ctx, from, "kind", FormDraft::default(), None).await
}

/// The scope as owners and staff read it: `building(s) 3, 5 · entrance(s)
/// 1 · floors 3–8`.
#[must_use]
pub fn scope_label(s: &Scope, lang: Lang) -> String {
    let buildings = t::SCOPE_BUILDINGS.fill(lang, &[("buildings", &s.buildings.join(", "))]);
    match scope_within(s, lang) {
        Some(within) => format!("{buildings} · {within}"),
        None => buildings,
    }
}

fn button(label: &str, c: Callback) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(label, c.encode())
}

/// Stores where the form is and asks its question (after why the last
/// answer was refused, if it was).
async fn ask(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    step: &str,
    form: FormDraft,
    refused: Option<String>,
) -> Result<()> {
    let lang = from.lang;
    let tz = ctx.app.settings.timezone;
    let cancel = button(t::CANCEL.get(lang), Callback::OutageCancel);
    let (question, rows): (String, Vec<Vec<InlineKeyboardButton>>) = match step {
        "kind" => (
            t::ASK_KIND.get(lang).to_string(),
            IncidentKind::DECLARED
                .chunks(3)
                .map(|row| {
                    row.iter()
                        .map(|k| button(k.label(lang), Callback::OutageKind(*k)))
                        .collect()
                })
                .chain([vec![cancel]])
                .collect(),
        ),
        "buildings" => {
            let known = incidents::known_buildings(ctx.conn).await?;
            (
                t::ASK_BUILDINGS.fill(lang, &[("known", &known.join(", "))]),
                vec![vec![
                    button(t::ALL_BUILDINGS.get(lang), Callback::OutageAll),
                    cancel,
                ]],
            )
        }
        "entrances" => {
            let known = incidents::known_entrances(ctx.conn, &form.scope.buildings).await?;
            (
                t::ASK_ENTRANCES.fill(lang, &[("known", &known.join(", "))]),
                vec![vec![
                    button(t::ALL_ENTRANCES.get(lang), Callback::OutageAll),
                    cancel,
                ]],
            )
        }
        "floors" => (
            t::ASK_FLOORS.get(lang).to_string(),
            vec![vec![
                button(t::ALL_FLOORS.get(lang), Callback::OutageAll),
                cancel,
            ]],
        ),
        "start" => (
            t::ASK_START.get(lang).to_string(),
            vec![vec![button(t::NOW.get(lang), Callback::OutageNow), cancel]],
        ),
        "end" => (t::ASK_END.get(lang).to_string(), vec![vec![cancel]]),
        "text" => (
            t::ASK_TEXT.fill(lang, &[("max", &MAX_TEXT.to_string())]),
            vec![vec![cancel]],
        ),
        step if step.starts_with("text:") => {
            let version = step
                .strip_prefix("text:")
                .and_then(Lang::parse)
                .unwrap_or_default();
            (
                t::ASK_LANGUAGE.fill(lang, &[("language", texts::LANGUAGE_NAME.get(version))]),
                vec![vec![
                    button(t::SKIP.get(lang), Callback::OutageSkipLanguage(version)),
                    cancel,
                ]],
            )
        }
        _ => {
            let Some(f) = form.complete() else {
                return Ok(());
            };
            let count = incidents::count_affected(ctx.conn, &f.scope).await?;
            (
                t::PREVIEW.fill(
                    lang,
                    &[
                        ("kind", f.kind.label(lang)),
                        ("scope", &scope_label(&f.scope, lang)),
                        (
                            "start",
                            &f.starts_at
                                .map_or_else(|| t::NOW.get(lang).to_string(), |s| local(s, tz)),
                        ),
                        ("end", &local(f.expected_end, tz)),
                        ("text", &f.text),
                        ("count", &count.to_string()),
                    ],
                ),
                vec![
                    vec![button(
                        t::DECLARE_NOTIFY.get(lang),
                        Callback::OutageDeclare { notify: true },
                    )],
                    vec![
                        button(
                            t::DECLARE_ONLY.get(lang),
                            Callback::OutageDeclare { notify: false },
                        ),
                        cancel,
                    ],
                ],
            )
        }
    };
    let waiting = Waiting::OutageForm {
        step: step.to_string(),
        form,
    };
    conversation::ask(
        ctx,
        from.key(),
        &waiting,
        refused,
        question,
        InlineKeyboardMarkup::new(rows),
    )
    .await
}

/// The step after `step`: the texts in other languages follow the Chinese
/// one in the order of `Lang::ALL`.
fn next_step(step: &str) -> String {
    let after_text = |after: Lang| {
        Lang::ALL
            .into_iter()
            .skip_while(|l| *l != after)
            .skip(1)
            .find(|l| *l != Lang::default())
            .map_or_else(|| "preview".to_string(), |l| format!("text:{}", l.code()))
    };
    match step {
        "kind" => "buildings".into(),
        "buildings" => "entrances".into(),
        "entrances" => "floors".into(),
        "floors" => "start".into(),
        "start" => "end".into(),
        "end" => "text".into(),
        "text" => after_text(Lang::default()),
        s => match s.strip_prefix("text:").and_then(Lang::parse) {
            Some(l) => after_text(l),
            None => "preview".into(),
        },
    }
}

fn scope_error(e: &ScopeError, known: &[String], lang: Lang) -> String {
    match e {
        ScopeError::Empty => t::ERR_NO_SCOPE.get(lang).to_string(),
        ScopeError::Unknown(name) => {
            t::ERR_UNKNOWN.fill(lang, &[("name", name), ("known", &known.join(", "))])
        }
        ScopeError::BadFloors(text) => t::ERR_FLOORS.fill(lang, &[("text", text)]),
    }
}

/// A message while the form waits for `step`. `/cancel` drops it; other
/// commands pass (the form waits).
pub async fn on_answer(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    msg: &Message,
    step: &str,
    mut form: FormDraft,
) -> Result<bool> {
    let lang = from.lang;
    let text = msg.text().unwrap_or_default().trim();
    match commands::word(text, &ctx.app.settings.bot_username).as_deref() {
        Some("cancel") => {
            conversation::clear(ctx.conn, from.key()).await?;
            say(ctx, from.chat_id, t::CANCELLED.get(lang)).await?;
            return Ok(true);
        }
        Some(_) => return Ok(false),
        None => {}
    }
    let tz = ctx.app.settings.timezone;
    let refused: Option<String> = match step {
        "buildings" => {
            let known = incidents::known_buildings(ctx.conn).await?;
            match incidents::parse_names(text, &known) {
                Ok(b) => {
                    form.scope.buildings = b;
                    None
                }
                Err(e) => Some(scope_error(&e, &known, lang)),
            }
        }
        "entrances" => {
            let known = incidents::known_entrances(ctx.conn, &form.scope.buildings).await?;
            match incidents::parse_names(text, &known) {
                Ok(e) => {
                    form.scope.entrances = e;
                    None
                }
                Err(e) => Some(scope_error(&e, &known, lang)),
            }
        }
        "floors" => match incidents::parse_floors(text) {
            Ok((a, b)) => {
                form.scope.floor_min = Some(a);
                form.scope.floor_max = Some(b);
                None
            }
            Err(e) => Some(scope_error(&e, &[], lang)),
        },
        "start" => match incidents::parse_local_time(text, ctx.now, tz) {
            Some(at) => {
                form.starts_at = Some(at.max(ctx.now));
                None
            }
            None => Some(t::ERR_TIME.fill(lang, &[("text", text)])),
        },
        "end" => match incidents::parse_local_time(text, ctx.now, tz) {
            Some(end) if end > ctx.now && form.starts_at.is_none_or(|s| end > s) => {
                form.expected_end = Some(end);
                None
            }
            Some(end) => Some(t::ERR_END.fill(
                lang,
                &[
                    ("end", &local(end, tz)),
                    ("start", &local(form.starts_at.unwrap_or(ctx.now), tz)),
                ],
            )),
            None => Some(t::ERR_TIME.fill(lang, &[("text", text)])),
        },
        s if s == "text" || s.starts_with("text:") => {
            let got = text.chars().count();
            if got == 0 {
                Some(t::ERR_EMPTY.get(lang).to_string())
            } else if got > MAX_TEXT {
                Some(t::ERR_TOO_LONG.fill(
                    lang,
                    &[("got", &got.to_string()), ("max", &MAX_TEXT.to_string())],
                ))
            } else {
                match s.strip_prefix("text:").and_then(Lang::parse) {
                    Some(version) => {
                        form.texts
                            .insert(version.code().to_string(), text.to_string());
                    }
                    None => form.text = Some(text.to_string()),
                }
                None
            }
        }
        // The kind and the preview wait for a button.
        _ => return ask(ctx, from, step, form, None).await.map(|()| true),
    };
    match refused {
        Some(why) => {
            tracing::info!(user_id = from.user_id, step, "outage form answer refused");
            ask(ctx, from, step, form, Some(why)).await?;
        }
        None => ask(ctx, from, &next_step(step), form, None).await?,
    }
    Ok(true)
}

/// A button of the form.
pub async fn on_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    button: Callback,
) -> Result<()> {
    let lang = from.lang;
    let (step, mut form) = match conversation::live(ctx, from.key()).await? {
        Some(Waiting::OutageForm { step, form }) => (step, form),
        _ => return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await,
    };
    let Some(member) = staff::by_telegram_id(ctx.conn, from.user_id)
        .await?
        .filter(|m| m.role.can_declare_outages())
    else {
        conversation::clear(ctx.conn, from.key()).await?;
        return answer(ctx, q, Some(t::SUPERVISORS_ONLY.get(lang))).await;
    };
    let fits = match &button {
        Callback::OutageKind(_) => step == "kind",
        Callback::OutageAll => matches!(step.as_str(), "buildings" | "entrances" | "floors"),
        Callback::OutageNow => step == "start",
        Callback::OutageSkipLanguage(l) => step == format!("text:{}", l.code()),
        Callback::OutageDeclare { .. } => step == "preview",
        Callback::OutageCancel => true,
        _ => false,
    };
    if !fits {
        return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await;
    }
    answer(ctx, q, None).await?;
    remove_buttons(ctx, q).await?;
    match button {
        Callback::OutageCancel => {
            conversation::clear(ctx.conn, from.key()).await?;
            say(ctx, from.chat_id, t::CANCELLED.get(lang)).await
        }
        Callback::OutageKind(kind) => {
            form.kind = Some(kind.as_str().to_string());
            ask(ctx, from, &next_step(&step), form, None).await
        }
        Callback::OutageAll => {
            match step.as_str() {
                "buildings" => form.scope.buildings = incidents::known_buildings(ctx.conn).await?,
                "entrances" => form.scope.entrances.clear(),
                _ => {
                    form.scope.floor_min = None;
                    form.scope.floor_max = None;
                }
            }
            if form.scope.buildings.is_empty() {
                return ask(
                    ctx,
                    from,
                    "buildings",
                    form,
                    Some(t::ERR_NO_SCOPE.get(lang).to_string()),
                )
                .await;
            }
            ask(ctx, from, &next_step(&step), form, None).await
        }
        Callback::OutageNow => {
            form.starts_at = None;
            ask(ctx, from, &next_step(&step), form, None).await
        }
        Callback::OutageSkipLanguage(l) => {
            form.texts.remove(l.code());
            ask(ctx, from, &next_step(&step), form, None).await
        }
        Callback::OutageDeclare { notify } => declare(ctx, from, &member, &form, notify).await,
        _ => Ok(()),
    }
}

async fn declare(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    member: &staff::Staff,
    form: &FormDraft,
    notify: bool,
) -> Result<()> {
    let lang = from.lang;
    let Some(f) = form.complete() else {
        return ask(
            ctx,
            from,
            "buildings",
            form.clone(),
            Some(t::ERR_NO_SCOPE.get(lang).to_string()),
        )
        .await;
    };
    if f.expected_end <= ctx.now {
        let tz = ctx.app.settings.timezone;
        let why = t::ERR_END.fill(
            lang,
            &[
                ("end", &local(f.expected_end, tz)),
                ("start", &local(ctx.now, tz)),
            ],
        );
        return ask(ctx, from, "end", form.clone(), Some(why)).await;
    }
    conversation::clear(ctx.conn, from.key()).await?;
    let id = incidents::declare_form(ctx.conn, &f, member.telegram_user_id, from.chat_id, ctx.now)
        .await?;
    tracing::info!(
        incident = id.0,
        by = member.telegram_user_id,
        notify,
        "outage declared by form"
    );
    say(
        ctx,
        from.chat_id,
        t::DECLARED.fill(
            lang,
            &[
                ("id", &id.to_string()),
                ("kind", f.kind.label(lang)),
                ("scope", &scope_label(&f.scope, lang)),
            ],
        ),
    )
    .await?;
    outage_notices::after_declaring(ctx, from.chat_id, lang, id, notify).await
}
