//! What durability costs: propdesk's pipeline (inbox → processor → outbox →
//! sender, every step committed to PostgreSQL with fsync on) against a bare
//! teloxide bot (polling dispatcher, answers straight from the handler),
//! both answering /start with the same menu to the same traffic from the
//! same Bot API stand-in, rate limits off on both sides.
//!
//! `cargo bench --bench pipeline` — prints throughput and reply latency for
//! both and their ratio, measured in one run; then the latency from an
//! owner's confirm of a complaint to its card in the staff group, at
//! Telegram's default limits.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use propdesk::app::ServeSettings;
use propdesk::db::{self, Durability, EmbeddedPostgres};
use propdesk::i18n::Lang;
use propdesk::processor::features::menu::main_menu;
use propdesk::sender::limits::RateLimits;
use propdesk::standin::{Limits, StandIn, StandInConfig, TestUser};
use propdesk::texts;
use teloxide::prelude::*;
use tokio_util::sync::CancellationToken;

const CHATS: i64 = 100;
const PER_CHAT: usize = 20;

struct Run {
    wall: Duration,
    latencies: Vec<Duration>,
}

impl Run {
    fn per_sec(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }
    fn pct(&self, p: f64) -> Duration {
        let mut l = self.latencies.clone();
        l.sort();
        l[((l.len() as f64 - 1.0) * p).round() as usize]
    }
}

fn main() -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let bare = bench_bare().await?;
        let ours = bench_propdesk().await?;
        println!(
            "{CHATS} chats × {PER_CHAT} messages = {} replies each",
            CHATS as usize * PER_CHAT
        );
        for (name, run) in [("bare teloxide", &bare), ("propdesk", &ours)] {
            println!(
                "{name:>14}: {:6.2} s wall, {:7.1} replies/s, latency p50 {:6.1} ms, p99 {:6.1} ms",
                run.wall.as_secs_f64(),
                run.per_sec(),
                run.pct(0.5).as_secs_f64() * 1e3,
                run.pct(0.99).as_secs_f64() * 1e3
            );
        }
        println!(
            "propdesk ÷ bare: throughput {:.2}, p50 latency {:.2}, p99 latency {:.2}",
            ours.per_sec() / bare.per_sec(),
            ours.pct(0.5).as_secs_f64() / bare.pct(0.5).as_secs_f64(),
            ours.pct(0.99).as_secs_f64() / bare.pct(0.99).as_secs_f64()
        );
        let cards = bench_confirm_to_card().await?;
        println!(
            "confirm → card in the staff group ({} complaints, Telegram's limits): p50 {:.1} ms, max {:.1} ms",
            cards.latencies.len(),
            cards.pct(0.5).as_secs_f64() * 1e3,
            cards.pct(1.0).as_secs_f64() * 1e3
        );
        Ok(())
    })
}

async fn standin() -> Result<StandIn> {
    let api = StandIn::start(StandInConfig {
        limits: Limits::unlimited(),
        ..StandInConfig::default()
    })
    .await?;
    for id in 1..=CHATS {
        api.add_user(TestUser::new(id, "Owner").language("en"));
    }
    Ok(api)
}

/// Sends every chat's messages as fast as possible and waits for all replies.
async fn drive(api: &StandIn) -> Result<Run> {
    let start = Instant::now();
    let mut sent_at: HashMap<i64, Vec<Instant>> = HashMap::new();
    for _ in 0..PER_CHAT {
        for chat in 1..=CHATS {
            api.send_text(chat, "/start")?;
            sent_at.entry(chat).or_default().push(Instant::now());
        }
        tokio::task::yield_now().await;
    }
    let mut latencies = Vec::new();
    for chat in 1..=CHATS {
        let replies = api
            .wait_for_messages(chat, PER_CHAT, Duration::from_secs(300))
            .await
            .with_context(|| format!("chat {chat}"))?;
        for (reply, asked) in replies.iter().zip(&sent_at[&chat]) {
            latencies.push(reply.sent_at.saturating_duration_since(*asked));
        }
    }
    let last = (1..=CHATS)
        .flat_map(|c| api.messages(c).into_iter().map(|m| m.sent_at))
        .max()
        .unwrap_or(start);
    Ok(Run {
        wall: last.saturating_duration_since(start),
        latencies,
    })
}

async fn bench_bare() -> Result<Run> {
    let api = standin().await?;
    let bot = Bot::new(api.token()).set_api_url(api.api_url());
    let handler = Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
        bot.send_message(msg.chat.id, texts::WELCOME.get(Lang::En))
            .reply_markup(main_menu(Lang::En))
            .await?;
        respond(())
    });
    let mut dispatcher = Dispatcher::builder(bot, handler).build();
    let token = dispatcher.shutdown_token();
    let task = tokio::spawn(async move { dispatcher.dispatch().await });
    // Let the dispatcher start polling before the traffic arrives.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let run = drive(&api).await;
    if let Ok(done) = token.shutdown() {
        done.await;
    }
    task.abort();
    run
}

/// A migrated database on its own embedded cluster with fsync on (the
/// test clusters turn it off).
async fn durable_database() -> Result<(tempfile::TempDir, EmbeddedPostgres, sqlx::PgPool)> {
    let dir = tempfile::tempdir()?;
    let dir_path = dir.path().to_path_buf();
    let pg = tokio::task::spawn_blocking(move || {
        EmbeddedPostgres::start(&dir_path, Durability::Durable)
    })
    .await??;
    let pool = db::pool(pg.connect_options(), 30).await?;
    db::migrate(&pool).await?;
    Ok((dir, pg, pool))
}

async fn bench_propdesk() -> Result<Run> {
    let (_dir, pg, pool) = durable_database().await?;
    let api = standin().await?;
    let mut settings = ServeSettings::new(api.token().to_string());
    settings.api_url = Some(api.api_url());
    settings.dialogues_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/dialogues").into();
    settings.sender.limits = RateLimits {
        global_per_sec: 100_000,
        private_per_sec: 100_000.0,
        private_burst: 100_000,
        group_per_min: 100_000,
    };
    let stop = CancellationToken::new();
    let serve = tokio::spawn(propdesk::app::serve(pool.clone(), settings, stop.clone()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let run = drive(&api).await;
    stop.cancel();
    let _ = serve.await;
    pool.close().await;
    drop(pg);
    run
}

const GROUP: i64 = -100_555;
const OWNERS: i64 = 15;

/// Registered owners each walk the complaint dialogue; the clock starts
/// when they press Yes on the confirmation and stops when the card reaches
/// the staff group.
async fn bench_confirm_to_card() -> Result<Run> {
    let (_dir, pg, pool) = durable_database().await?;
    for i in 1..=OWNERS {
        sqlx::raw_sql(&format!(
            "INSERT INTO units (code, building, entrance, floor, area_m2) VALUES ('3-1-{i}01', '3', '1', {i}, 90);
             INSERT INTO people (name, phone, telegram_user_id) VALUES ('Owner {i}', '+86138000000{i:02}', {i});
             INSERT INTO unit_members (unit_id, person_id, role, is_default)
               SELECT u.id, p.id, 'owner', TRUE FROM units u, people p
                WHERE u.code = '3-1-{i}01' AND p.telegram_user_id = {i};"
        ))
        .execute(&pool)
        .await?;
    }
    let api = StandIn::start(StandInConfig::default()).await?;
    api.add_group(GROUP, "staff");
    for id in 1..=OWNERS {
        api.add_user(TestUser::new(id, "Owner").language("en"));
    }
    let mut settings = ServeSettings::new(api.token().to_string());
    settings.api_url = Some(api.api_url());
    settings.dialogues_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/dialogues").into();
    settings.processor.staff_chat_id = Some(GROUP);
    let stop = CancellationToken::new();
    let serve = tokio::spawn(propdesk::app::serve(pool.clone(), settings, stop.clone()));
    tokio::time::sleep(Duration::from_millis(500)).await;

    let start = Instant::now();
    let mut latencies = Vec::new();
    for owner in 1..=OWNERS {
        api.send_text(owner, "/start")?;
        press(&api, owner, "property service desk", "Complaint").await?;
        press(&api, owner, "What is the complaint about?", "Noise").await?;
        wait(&api, owner, "Please describe").await?;
        api.send_text(owner, "The lift on floor 3 is noisy at night.")?;
        press(&api, owner, "Send photos", "Skip").await?;
        press(&api, owner, "Where is it?", "My unit").await?;
        let cards_before = api.messages(GROUP).len();
        let confirmed = press(&api, owner, "Please check your complaint", "Yes").await?;
        let cards = api
            .wait_for_messages(GROUP, cards_before + 1, Duration::from_secs(60))
            .await?;
        latencies.push(
            cards[cards_before]
                .sent_at
                .saturating_duration_since(confirmed),
        );
    }
    let wall = start.elapsed();
    api.assert_nothing_refused();
    stop.cancel();
    let _ = serve.await;
    pool.close().await;
    drop(pg);
    Ok(Run { wall, latencies })
}

async fn wait(api: &StandIn, chat: i64, needle: &str) -> Result<propdesk::standin::SentMessage> {
    let seen = api.messages(chat).len();
    api.wait_for_message(chat, |m| m.body().contains(needle), Duration::from_secs(60))
        .await
        .with_context(|| format!("chat {chat} waiting for {needle:?} after {seen} messages"))
}

/// Waits for the newest message containing `needle` and presses `label`;
/// returns when the press was made.
async fn press(api: &StandIn, chat: i64, needle: &str, label: &str) -> Result<Instant> {
    wait(api, chat, needle).await?;
    let message = api
        .messages(chat)
        .into_iter()
        .rev()
        .find(|m| m.body().contains(needle))
        .context("the message just seen")?;
    let data = message
        .callback_data(label)
        .with_context(|| format!("no button {label:?} on {:?}", message.body()))?;
    let at = Instant::now();
    api.press_button(chat, chat, message.message_id, &data)?;
    Ok(at)
}
