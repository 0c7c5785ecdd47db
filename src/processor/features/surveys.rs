//! Survey campaigns: a manager opens the quarter's satisfaction survey
//! (`/survey start 2026Q4`); owners are invited and reminded by the
//! scheduler (`visits::run_due`), and answer it in the survey dialogue (an
//! owner typing `/survey` starts it).

use anyhow::Result;
use teloxide::types::Message;

use super::staff::Desk;
use super::visits::desk::{command, split_first, staff_desk};
use super::visits::when;
use crate::domain::staff::{self, StaffRole};
use crate::domain::surveys::{self, SurveyCode};
use crate::domain::visits;
use crate::processor::commands::{Chats, Command, Feature, Who};
use crate::processor::context::Ctx;
use crate::processor::reply::Sender;
use crate::texts::visits as texts;

/// `/survey` (an owner answers it, a manager opens a campaign).
pub const COMMANDS: &[Command] =
    &[
        Command::new("survey", Feature::Surveys, Chats::Any, Who::Anyone)
            .described(crate::texts::CMD_SURVEY),
    ];

/// `/survey`: an owner answers it, a manager opens a campaign. True if
/// handled here.
pub async fn on_message(ctx: &mut Ctx<'_>, from: &Sender, msg: &Message) -> Result<bool> {
    let Some(text) = msg.text() else {
        return Ok(false);
    };
    let parsed = command(text, &ctx.app.settings.bot_username);
    match parsed.as_ref().map(|(n, a)| (n.as_str(), *a)) {
        Some(("survey", args)) => {
            // An owner typing /survey wants to answer it.
            if from.private
                && args.is_empty()
                && staff::by_telegram_id(ctx.conn, from.user_id)
                    .await?
                    .is_none()
            {
                super::dialogue::start_dialogue(ctx, from, "survey").await?;
                return Ok(true);
            }
            if let Some(desk) = staff_desk(ctx, from, StaffRole::Manager, "survey").await? {
                survey_command(ctx, &desk, args).await?;
            }
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// `/survey start 2026Q4` (managers).
async fn survey_command(ctx: &mut Ctx<'_>, desk: &Desk, args: &str) -> Result<()> {
    let (verb, code) = split_first(args);
    if !verb.eq_ignore_ascii_case("start") || code.is_empty() {
        return desk.say_phrase(ctx, texts::SURVEY_USAGE, &[]).await;
    }
    let Some(parsed) = SurveyCode::parse(code) else {
        return desk
            .say_phrase(ctx, texts::SURVEY_BAD_CODE, &[("code", code)])
            .await;
    };
    let settings = visits::settings(ctx.conn).await?;
    let tz = ctx.app.settings.timezone;
    let started = surveys::start_campaign(ctx.conn, &parsed, ctx.now, tz, &settings).await?;
    tracing::info!(
        survey = %parsed,
        by = desk.staff.staff_no,
        invited = started.invited,
        "survey campaign started"
    );
    let n = started.invited.to_string();
    if !started.newly_started {
        return desk
            .say_phrase(
                ctx,
                texts::SURVEY_RUNNING,
                &[("code", parsed.as_str()), ("n", &n)],
            )
            .await;
    }
    let when_text = if started.invite_at <= ctx.now {
        texts::WHEN_NOW.get(desk.lang).to_string()
    } else {
        when(started.invite_at, tz, desk.lang)
    };
    desk.say_phrase(
        ctx,
        texts::SURVEY_STARTED,
        &[
            ("code", parsed.as_str()),
            ("n", &n),
            ("when", &when_text),
            ("days", &settings.survey_reminder_days.to_string()),
        ],
    )
    .await
}
