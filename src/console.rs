//! `propdesk console`: walk the dialogues in a terminal, through the same
//! runtime the bot uses, so office staff can try a change to a dialogue file
//! without Telegram. Everything happens in one transaction that is rolled
//! back at the end: tickets filed here are shown, never kept.

use std::sync::Arc;

use anyhow::{Context as _, Result};
use sqlx::PgPool;
use teloxide::types::{InlineKeyboardButtonKind, ReplyMarkup};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::app::{load_dialogues, load_texts};
use crate::clock::SystemClock;
use crate::config::{ConsoleArgs, LangArg};
use crate::domain::{chats, people, phone::Phone};
use crate::engine::{Input, Photo};
use crate::i18n::Lang;
use crate::outbox::Request;
use crate::processor::features::dialogue::{self, Who};
use crate::processor::{App, Ctx, ProcessorSettings};
use crate::telegram::callback::Callback;

/// The console's user and chat id: outside the range Telegram hands out.
const CONSOLE_ID: i64 = 7_000_000_000_000;

pub async fn run(pool: &PgPool, args: &ConsoleArgs) -> Result<()> {
    let dialogues = Arc::new(load_dialogues(&args.dialogues)?);
    load_texts(&args.dialogues)?;
    let lang = match args.lang {
        LangArg::Zh => Lang::Zh,
        LangArg::En => Lang::En,
        LangArg::ZhHant => Lang::ZhHant,
    };
    let app = App {
        settings: ProcessorSettings::defaults(),
        clock: Arc::new(SystemClock),
        dialogues: dialogues.clone(),
    };
    let mut tx = pool.begin().await?;
    chats::remember(&mut tx, CONSOLE_ID, chats::Kind::Private, Some(lang), false).await?;
    let phone = match &args.as_phone {
        Some(raw) => Some(act_as(&mut tx, raw).await?),
        None => None,
    };

    println!("propdesk console — nothing done here is saved.");
    println!("A number presses a button; `photo`, `contact` and `location` send one; /back, /cancel, /menu; /quit ends.");
    let menu: Vec<(String, String)> = [
        "registration",
        "complaint",
        "repair",
        "consultation",
        "fees",
        "survey",
        "suggestion",
    ]
    .iter()
    .filter_map(|id| {
        dialogues
            .get(id)
            .map(|d| ((*id).to_string(), d.title.get(lang).to_string()))
    })
    .collect();
    print_menu(&menu);

    let who = Who {
        user_id: CONSOLE_ID,
        chat_id: CONSOLE_ID,
        lang,
    };
    let mut buttons: Vec<String> = Vec::new();
    let mut last_row: i64 = 0;
    let mut update_id: i64 = 0;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        let line = line.trim().to_string();
        if line == "/quit" || line == "/exit" {
            break;
        }
        if line.is_empty() {
            continue;
        }
        update_id -= 1;
        let mut ctx = Ctx {
            conn: &mut tx,
            app: &app,
            update_id,
            now: app.clock.now(),
            thread: None,
        };
        let in_dialogue: bool = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM conversations WHERE chat_id = $1) AS "exists!""#,
            CONSOLE_ID
        )
        .fetch_one(&mut *ctx.conn)
        .await?;
        let picked = line.parse::<usize>().ok().filter(|n| *n >= 1);
        let result = if line == "/menu" {
            print_menu(&menu);
            Ok(())
        } else if !in_dialogue {
            match picked.and_then(|n| menu.get(n - 1)) {
                Some((id, _)) => dialogue::start(&mut ctx, who, id).await,
                None => {
                    println!("(pick a number from the menu)");
                    Ok(())
                }
            }
        } else {
            let input = match (picked.and_then(|n| buttons.get(n - 1)), line.as_str()) {
                (Some(data), _) => Input::Button(data.clone()),
                (None, "photo") => Input::Photos(vec![Photo {
                    file_id: format!("console-photo-{update_id}"),
                    file_unique_id: format!("console-{update_id}"),
                }]),
                (None, "contact") => Input::Contact {
                    phone: phone.clone().unwrap_or_else(|| "+8613800000000".into()),
                    is_own: true,
                },
                (None, "location") => Input::Location {
                    latitude: 22.54,
                    longitude: 114.06,
                },
                (None, text) => Input::Text(text.to_string()),
            };
            dialogue::input(&mut ctx, who, &input).await.map(|_| ())
        };
        if let Err(e) = result {
            println!("(error: {e:#})");
        }
        let (shown, newest) = print_replies(&mut tx, last_row).await?;
        let still: bool = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM conversations WHERE chat_id = $1) AS "exists!""#,
            CONSOLE_ID
        )
        .fetch_one(&mut *tx)
        .await?;
        if in_dialogue && !still {
            print_menu(&menu);
        }
        last_row = newest;
        if !shown.is_empty() {
            buttons = shown;
        }
    }
    tx.rollback().await?;
    println!("bye — nothing was saved.");
    Ok(())
}

/// Binds the console to the person with `raw` phone inside the transaction.
async fn act_as(tx: &mut sqlx::PgConnection, raw: &str) -> Result<String> {
    let phone = Phone::parse(raw).map_err(|e| anyhow::anyhow!("--as-phone {raw}: {e}"))?;
    match people::find_people_by_phone(tx, &phone)
        .await?
        .into_iter()
        .next()
    {
        Some(person) => {
            sqlx::query!(
                "UPDATE people SET telegram_user_id = $2 WHERE id = $1",
                person.id,
                CONSOLE_ID
            )
            .execute(&mut *tx)
            .await
            .context("acting as the owner")?;
            println!("acting as {} ({})", person.name, phone.masked());
        }
        None => println!(
            "no owner has {}; you are not registered (try the registration dialogue)",
            phone.masked()
        ),
    }
    Ok(phone.as_str().to_string())
}

fn print_menu(menu: &[(String, String)]) {
    println!();
    for (i, (_, title)) in menu.iter().enumerate() {
        println!("  {}. {title}", i + 1);
    }
}

/// Prints the outbox rows for the console chat after `after`; returns the
/// callback data of the buttons shown (numbered from 1) and the newest row id.
async fn print_replies(tx: &mut sqlx::PgConnection, after: i64) -> Result<(Vec<String>, i64)> {
    let rows = sqlx::query!(
        "SELECT id, request FROM outbox WHERE chat_id = $1 AND id > $2 ORDER BY id",
        CONSOLE_ID,
        after
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut newest = after;
    let mut buttons = Vec::new();
    for row in rows {
        newest = row.id;
        let Ok(request) = serde_json::from_value::<Request>(row.request) else {
            continue;
        };
        let Request::SendMessage {
            text, reply_markup, ..
        } = request
        else {
            continue;
        };
        println!("\nbot: {text}");
        match reply_markup {
            Some(ReplyMarkup::InlineKeyboard(keyboard)) => {
                buttons.clear();
                for button in keyboard.inline_keyboard.iter().flatten() {
                    if let InlineKeyboardButtonKind::CallbackData(data) = &button.kind {
                        match Callback::decode(data) {
                            // The bot's main menu: the console shows its own.
                            Some(Callback::Menu(_)) => continue,
                            // The engine reads its own data, without the envelope.
                            Some(Callback::Dialogue(raw)) => buttons.push(raw),
                            _ => buttons.push(data.clone()),
                        }
                        println!("  [{}] {}", buttons.len(), button.text);
                    }
                }
            }
            Some(ReplyMarkup::Keyboard(keyboard)) => {
                for button in keyboard.keyboard.iter().flatten() {
                    println!("  ({} — type `contact` or `location`)", button.text);
                }
            }
            _ => {}
        }
    }
    Ok((buttons, newest))
}
