//! `/report` for managers, in a private chat: this month, last month, this
//! or last quarter, or dates they type (`/report 2026-11`, `/report 2026Q4`,
//! `/report 2026-11-01 2026-11-30`, or the buttons). The answer is a short
//! summary with buttons for the spreadsheet (XLSX) and the CSV file, and the
//! charts as PNG photos;
//! a period with nothing in it says so and sends no chart. The monthly job
//! (`scheduler::monthly_report`) sends the same report with [`queue`].

use anyhow::Result;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sqlx::PgConnection;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message};

use crate::domain::report::{self, Period, PeriodError, MAX_DAYS};
use crate::domain::staff;
use crate::domain::staff::StaffRole;
use crate::i18n::Lang;
use crate::outbox::{self, Lane, Outgoing, Request};
use crate::processor::commands::{self, Chats, Command, Feature, Who};
use crate::processor::context::Ctx;
use crate::processor::conversation::{self, Waiting};
use crate::processor::reply::{answer, remove_buttons, Sender};
use crate::reports::{csv, present, xlsx};
use crate::telegram::callback::Callback;
use crate::texts::report as t;

/// The report's command (managers; it answers only in a private chat).
pub const COMMANDS: &[Command] = &[Command::new(
    "report",
    Feature::Reports,
    Chats::Any,
    Who::Staff(StaffRole::Manager),
)
.described(crate::texts::desk::CMD_REPORT)];

/// `/report [period]`. False for other messages.
pub async fn on_message(ctx: &mut Ctx<'_>, from: &Sender, msg: &Message) -> Result<bool> {
    let Some(text) = msg.text() else {
        return Ok(false);
    };
    if commands::word(text, &ctx.app.settings.bot_username).as_deref() != Some("report") {
        return Ok(false);
    }
    if !allowed(ctx, from).await? {
        return Ok(true);
    }
    let args = text
        .split_once(char::is_whitespace)
        .map_or("", |(_, a)| a)
        .trim();
    if args.is_empty() {
        return ask_period(ctx, from).await.map(|()| true);
    }
    typed_period(ctx, from, args).await?;
    Ok(true)
}

/// A message while the manager was asked for dates. `/cancel` ends the
/// question; another command passes (the question waits).
pub async fn on_waiting(ctx: &mut Ctx<'_>, from: &Sender, msg: &Message) -> Result<bool> {
    let text = msg.text().unwrap_or_default().trim();
    match commands::word(text, &ctx.app.settings.bot_username).as_deref() {
        Some("cancel") => {
            conversation::clear(ctx.conn, from.key()).await?;
            ctx.reply(from.chat_id, Request::text(t::CANCELLED.get(from.lang)))
                .await?;
            return Ok(true);
        }
        Some(_) => return Ok(false),
        None => {}
    }
    if !allowed(ctx, from).await? {
        conversation::clear(ctx.conn, from.key()).await?;
        return Ok(true);
    }
    typed_period(ctx, from, text).await?;
    Ok(true)
}

/// A report button.
pub async fn on_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    button: Callback,
) -> Result<()> {
    if !from.private || !is_manager(ctx, from).await? {
        return answer(ctx, q, Some(t::MANAGERS_ONLY.get(from.lang))).await;
    }
    answer(ctx, q, None).await?;
    match button {
        Callback::ReportPeriod(period) => {
            remove_buttons(ctx, q).await?;
            send(ctx, from, period).await
        }
        Callback::ReportRange => {
            remove_buttons(ctx, q).await?;
            conversation::wait_for(ctx, from.key(), &Waiting::ReportRange).await?;
            let text = t::ASK_RANGE.fill(from.lang, &[("max", &MAX_DAYS.to_string())]);
            ask(ctx, from, &text).await
        }
        Callback::ReportCancel => {
            remove_buttons(ctx, q).await?;
            conversation::clear(ctx.conn, from.key()).await?;
            ctx.reply(from.chat_id, Request::text(t::CANCELLED.get(from.lang)))
                .await?;
            Ok(())
        }
        Callback::ReportXlsx(period) => send_file(ctx, from, period, FileKind::Xlsx).await,
        Callback::ReportCsv(period) => send_file(ctx, from, period, FileKind::Csv).await,
        _ => Ok(()),
    }
}

/// The two files a report comes as.
#[derive(Debug, Clone, Copy)]
enum FileKind {
    Xlsx,
    Csv,
}

/// The report of `period` as a file (`sendDocument`).
async fn send_file(ctx: &mut Ctx<'_>, from: &Sender, period: Period, kind: FileKind) -> Result<()> {
    let tz = ctx.app.settings.timezone;
    let figures = report::figures(ctx.conn, period, tz, ctx.now).await?;
    let (bytes, extension) = match kind {
        FileKind::Xlsx => (xlsx::workbook(&figures, from.lang, tz)?, "xlsx"),
        FileKind::Csv => (csv::file(&figures, from.lang, tz)?, "csv"),
    };
    let name = format!("report-{}.{extension}", file_stem(&period));
    let file = outbox::store_file(ctx.conn, &name, &bytes).await?;
    let caption = t::FILE_CAPTION.fill(
        from.lang,
        &[("period", &present::period_label(&period, from.lang))],
    );
    tracing::info!(user_id = from.user_id, ?period, ?kind, "report file sent");
    ctx.reply(
        from.chat_id,
        Request::SendDocument {
            file,
            caption: Some(caption),
        },
    )
    .await?;
    Ok(())
}

async fn is_manager(ctx: &mut Ctx<'_>, from: &Sender) -> Result<bool> {
    Ok(staff::by_telegram_id(ctx.conn, from.user_id)
        .await?
        .is_some_and(|s| s.role.can_read_reports()))
}

/// A manager in a private chat; anyone else is told why not.
async fn allowed(ctx: &mut Ctx<'_>, from: &Sender) -> Result<bool> {
    if !is_manager(ctx, from).await? {
        tracing::warn!(user_id = from.user_id, "report refused: not a manager");
        ctx.reply(from.chat_id, Request::text(t::MANAGERS_ONLY.get(from.lang)))
            .await?;
        return Ok(false);
    }
    if !from.private {
        ctx.reply(from.chat_id, Request::text(t::PRIVATE_ONLY.get(from.lang)))
            .await?;
        return Ok(false);
    }
    Ok(true)
}

async fn ask(ctx: &mut Ctx<'_>, from: &Sender, text: &str) -> Result<()> {
    let keyboard = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
        t::CANCEL.get(from.lang),
        Callback::ReportCancel.encode(),
    )]]);
    ctx.reply(from.chat_id, Request::text_with(text, keyboard))
        .await?;
    Ok(())
}

fn today(now: DateTime<Utc>, tz: Tz) -> chrono::NaiveDate {
    now.with_timezone(&tz).date_naive()
}

async fn ask_period(ctx: &mut Ctx<'_>, from: &Sender) -> Result<()> {
    let lang = from.lang;
    let today = today(ctx.now, ctx.app.settings.timezone);
    let button = |label: crate::texts::Phrase, c: Callback| {
        InlineKeyboardButton::callback(label.get(lang), c.encode())
    };
    let keyboard = InlineKeyboardMarkup::new([
        vec![
            button(
                t::THIS_MONTH,
                Callback::ReportPeriod(Period::this_month(today)),
            ),
            button(
                t::LAST_MONTH,
                Callback::ReportPeriod(Period::last_month(today)),
            ),
        ],
        vec![
            button(
                t::THIS_QUARTER,
                Callback::ReportPeriod(Period::this_quarter(today)),
            ),
            button(
                t::LAST_QUARTER,
                Callback::ReportPeriod(Period::last_quarter(today)),
            ),
        ],
        vec![
            button(t::A_RANGE, Callback::ReportRange),
            button(t::CANCEL, Callback::ReportCancel),
        ],
    ]);
    ctx.reply(
        from.chat_id,
        Request::text_with(t::ASK_PERIOD.get(lang), keyboard),
    )
    .await?;
    Ok(())
}

/// A period the manager typed: the report, or why the text is not a period
/// (the question stays open for another try).
async fn typed_period(ctx: &mut Ctx<'_>, from: &Sender, text: &str) -> Result<()> {
    let lang = from.lang;
    let today = today(ctx.now, ctx.app.settings.timezone);
    match Period::parse(text, today) {
        Ok(period) => {
            conversation::clear(ctx.conn, from.key()).await?;
            send(ctx, from, period).await
        }
        Err(e) => {
            tracing::info!(user_id = from.user_id, text, error = %e, "report period refused");
            let why = match e {
                PeriodError::Unreadable => t::BAD_PERIOD.fill(lang, &[("text", text)]),
                PeriodError::EndBeforeStart => t::END_BEFORE_START.get(lang).to_string(),
                PeriodError::Future => t::FUTURE.get(lang).to_string(),
                PeriodError::TooLong => t::TOO_LONG.fill(lang, &[("max", &MAX_DAYS.to_string())]),
            };
            conversation::wait_for(ctx, from.key(), &Waiting::ReportRange).await?;
            ask(ctx, from, &why).await
        }
    }
}

async fn send(ctx: &mut Ctx<'_>, from: &Sender, period: Period) -> Result<()> {
    let tz = ctx.app.settings.timezone;
    let figures = report::figures(ctx.conn, period, tz, ctx.now).await?;
    tracing::info!(
        user_id = from.user_id,
        ?period,
        empty = figures.is_empty(),
        "report asked for"
    );
    queue(
        ctx.conn,
        Some(ctx.update_id),
        from.chat_id,
        Lane::Reply,
        &figures,
        from.lang,
        tz,
        None,
    )
    .await
}

/// The line above a monthly report.
#[must_use]
pub fn intro(period: &Period, lang: Lang) -> String {
    t::MONTHLY_INTRO.fill(lang, &[("period", &present::period_label(period, lang))])
}

fn file_stem(p: &Period) -> String {
    p.code()
        .unwrap_or_else(|| format!("{}_{}", p.from.format("%Y-%m-%d"), p.to.format("%Y-%m-%d")))
}

/// Queues the report of `figures` to `chat_id` in `lang`: the summary
/// (after `intro`, if given) with the file buttons, then the charts;
/// or, for an empty period, one sentence saying so and no chart.
#[allow(clippy::too_many_arguments)]
pub async fn queue(
    conn: &mut PgConnection,
    update_id: Option<i64>,
    chat_id: i64,
    lane: Lane,
    figures: &report::Figures,
    lang: Lang,
    tz: Tz,
    intro: Option<String>,
) -> Result<()> {
    let period = present::period_label(&figures.period, lang);
    let with_intro = |text: String| match &intro {
        Some(i) => format!("{i}\n\n{text}"),
        None => text,
    };
    if figures.is_empty() {
        let mut text = t::EMPTY.fill(lang, &[("period", &period)]);
        if figures.activity_overdue(tz) {
            text.push_str("\n\n");
            text.push_str(&match figures.last_activity {
                Some(at) => t::ACTIVITY_OVERDUE.fill(
                    lang,
                    &[(
                        "date",
                        &at.with_timezone(&tz).format("%Y-%m-%d").to_string(),
                    )],
                ),
                None => t::ACTIVITY_NEVER.get(lang).to_string(),
            });
        }
        outbox::enqueue(
            conn,
            update_id,
            &Outgoing::new(chat_id, lane, Request::text(with_intro(text))),
        )
        .await?;
        return Ok(());
    }
    let file_button = |label: crate::texts::Phrase, c: Callback| {
        [InlineKeyboardButton::callback(label.get(lang), c.encode())]
    };
    let keyboard = InlineKeyboardMarkup::new([
        file_button(t::XLSX_BUTTON, Callback::ReportXlsx(figures.period)),
        file_button(t::CSV_BUTTON, Callback::ReportCsv(figures.period)),
    ]);
    let summary = with_intro(present::summary(figures, lang, tz));
    let summary: String = summary.chars().take(crate::i18n::MAX_TEXT).collect();
    outbox::enqueue(
        conn,
        update_id,
        &Outgoing::new(chat_id, lane, Request::text_with(summary, keyboard)),
    )
    .await?;
    for chart in present::charts(figures, lang, tz)? {
        let file = outbox::store_file(conn, &chart.file_name, &chart.png).await?;
        outbox::enqueue(
            conn,
            update_id,
            &Outgoing::new(
                chat_id,
                lane,
                Request::SendPhotoFile {
                    file,
                    caption: Some(chart.caption),
                    reply_markup: None,
                },
            ),
        )
        .await?;
    }
    Ok(())
}
