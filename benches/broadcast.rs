//! Broadcast throughput and the sender's lanes: a broadcast to 10,000 chats
//! through the real `serve` path (processor, outbox, sender, teloxide) against
//! the Bot API stand-in, with Telegram's global limit scaled ×10 on both
//! sides (300 msg/s; per-chat limits unchanged), while owners send /start
//! every 200 ms and their reply latency is measured.
//!
//! Then the same broadcast path at Telegram's own limit (30 msg/s on both
//! sides) with the stand-in answering every send 0, 150 and 400 ms late:
//! the pace must not depend on the round trip.
//!
//! Run: `cargo bench --bench broadcast` (figures go to docs/benchmarks.md);
//! `cargo bench --bench broadcast -- pace` runs only the latency runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::Utc;
use propdesk::app::{serve, ServeSettings};
use propdesk::clock::SystemClock;
use propdesk::db::{self, Durability, EmbeddedPostgres};
use propdesk::domain::broadcasts::{Audience, NewBroadcast, Schedule};
use propdesk::processor::features::broadcast::create;
use propdesk::sender::limits::RateLimits;
use propdesk::standin::{Limits, StandIn, StandInConfig, TestUser};
use tokio_util::sync::CancellationToken;

/// One run: how many recipients, the global limit on both sides, and the
/// delay the stand-in adds before it takes each request.
#[derive(Clone, Copy)]
struct Scenario {
    recipients: i64,
    rate: u32,
    latency: Duration,
    /// Owners write while the broadcast runs (reply latency is measured).
    owners_write: bool,
}

const SCENARIOS: [Scenario; 4] = [
    Scenario {
        recipients: 10_000,
        rate: 300,
        latency: Duration::ZERO,
        owners_write: true,
    },
    Scenario {
        recipients: 450,
        rate: 30,
        latency: Duration::ZERO,
        owners_write: false,
    },
    Scenario {
        recipients: 450,
        rate: 30,
        latency: Duration::from_millis(150),
        owners_write: false,
    },
    Scenario {
        recipients: 450,
        rate: 30,
        latency: Duration::from_millis(400),
        owners_write: false,
    },
];
/// Owners who take turns sending /start (one every 200 ms in all, so each
/// owner's own chat stays within its 1 msg/s limit).
const OWNERS: i64 = 50;
const MANAGER: i64 = 900;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let pg_dir = dir.path().join("pg");
    let pg =
        tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&pg_dir, Durability::Durable))
            .await??;
    let admin = db::pool(pg.connect_options(), 2).await?;
    // `-- pace`: only the runs at Telegram's limit (they need no release build).
    let pace_only = std::env::args().any(|a| a == "pace");
    let mut pace = Vec::new();
    for (i, scenario) in SCENARIOS.iter().enumerate() {
        if pace_only && i == 0 {
            continue;
        }
        let name = format!("bench_broadcast_{i}");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await?;
        let pool = db::pool(pg.connect_options_for(&name), 16).await?;
        db::migrate(&pool).await?;
        let (rate, max_window, rejected) = run(&pool, *scenario).await?;
        pace.push((*scenario, rate, max_window, rejected));
        pool.close().await;
    }
    println!();
    println!("Pace at Telegram's limit whatever the round trip:");
    println!("| added latency | recipients | achieved ÷ limit | 429s | max arrivals in any 1 s |");
    println!("|---:|---:|---:|---:|---:|");
    for (s, rate, max_window, rejected) in pace.iter().filter(|(s, ..)| s.rate == 30) {
        println!(
            "| {} ms | {} | {:.3} | {rejected} | {max_window} (limit {}) |",
            s.latency.as_millis(),
            s.recipients,
            rate / f64::from(s.rate),
            s.rate
        );
    }
    admin.close().await;
    let mut pg = pg;
    tokio::task::spawn_blocking(move || pg.stop()).await?;
    Ok(())
}

/// One broadcast through `serve`; returns (achieved msg/s, most sends the
/// stand-in saw in any one second, 429 answers).
async fn run(pool: &sqlx::PgPool, scenario: Scenario) -> Result<(f64, usize, u64)> {
    let Scenario {
        recipients,
        rate: limit,
        latency,
        owners_write,
    } = scenario;
    let pool = pool.clone();
    let api = StandIn::start(StandInConfig {
        limits: Limits {
            global_per_sec: limit,
            ..Limits::default()
        },
        ..StandInConfig::default()
    })
    .await?;
    api.set_latency(latency);
    // Recipients 1..=10,000 have started the bot; owners 20,001.. write to it.
    sqlx::query(
        "INSERT INTO people (name, phone, telegram_user_id, language)
         SELECT 'P' || g, '+8615' || lpad(g::text, 9, '0'), g, 'zh' FROM generate_series(1, $1::bigint) g",
    )
    .bind(recipients)
    .execute(&pool)
    .await?;
    for id in 1..=recipients {
        api.add_started_user(TestUser::new(id, "P"));
    }
    for i in 0..OWNERS {
        api.add_user(TestUser::new(20_001 + i, "Owner").language("en"));
    }

    let mut settings = ServeSettings::new(api.token().to_string());
    settings.api_url = Some(api.api_url());
    settings.poll_timeout = 5;
    settings.clock = Arc::new(SystemClock);
    settings.dialogues_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/dialogues").into();
    let mut conn = pool.acquire().await?;
    if let Err(e) =
        propdesk::domain::office_settings::set(&mut conn, "quiet_hours", "00:00-00:00", "bench")
            .await?
    {
        anyhow::bail!("{e}");
    }
    drop(conn);
    settings.processor.poll_interval = Duration::from_millis(100);
    settings.sender.limits = RateLimits {
        global_per_sec: limit,
        ..RateLimits::default()
    };
    let stop = CancellationToken::new();
    let task = tokio::spawn(serve(pool.clone(), settings.clone(), stop.clone()));
    while !api.requests().iter().any(|r| r.method == "getUpdates") {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let schedule = Schedule::load(&mut *pool.acquire().await?, settings.processor.timezone).await?;
    let t_queue = Instant::now();
    let mut tx = pool.begin().await?;
    let started = create(
        &mut tx,
        schedule,
        &NewBroadcast {
            author_user_id: MANAGER,
            author_chat_id: MANAGER,
            audience: Audience::All,
            text: "停水通知：明天 9:00–12:00 全小区停水检修。".into(),
            photo: None,
            rsvp: false,
            urgent: true,
            send_at: None,
        },
        Utc::now(),
    )
    .await?
    .map_err(|r| anyhow::anyhow!("refused: {r:?}"))?;
    tx.commit().await?;
    let queued_in = t_queue.elapsed();
    eprintln!("queued {} recipients in {queued_in:?}", started.recipients);

    // Owners write while the broadcast runs; each reply's latency is the
    // time from the update entering the stand-in to the reply arriving there.
    let mut latencies = Vec::new();
    let mut pending: Vec<(i64, usize, Instant)> = Vec::new();
    let mut turn = 0i64;
    let mut next = Instant::now();
    loop {
        let unsent: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE lane = 3 AND status IN ('pending', 'sending')",
        )
        .fetch_one(&pool)
        .await?;
        if unsent == 0 {
            break;
        }
        if owners_write && Instant::now() >= next {
            let owner = 20_001 + turn % OWNERS;
            turn += 1;
            let before = api.messages(owner).len();
            api.send_text(owner, "/start")?;
            pending.push((owner, before + 1, Instant::now()));
            next += Duration::from_millis(200);
        }
        pending.retain(|(owner, n, at)| {
            let msgs = api.messages(*owner);
            match msgs.get(n - 1) {
                Some(m) => {
                    latencies.push(m.sent_at.saturating_duration_since(*at));
                    false
                }
                None => true,
            }
        });
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pending.is_empty() && Instant::now() < deadline {
        pending.retain(|(owner, n, at)| match api.messages(*owner).get(n - 1) {
            Some(m) => {
                latencies.push(m.sent_at.saturating_duration_since(*at));
                false
            }
            None => true,
        });
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let mut times: Vec<Instant> = (1..=recipients)
        .filter_map(|id| api.messages(id).first().map(|m| m.sent_at))
        .collect();
    times.sort();
    let delivered = times.len();
    let first = *times.first().context("nothing delivered")?;
    let last = *times.last().context("nothing delivered")?;
    let span = last - first;
    let rate = (delivered as f64 - 1.0) / span.as_secs_f64();
    let statuses: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, count(*) FROM outbox WHERE lane = 3 GROUP BY status ORDER BY status",
    )
    .fetch_all(&pool)
    .await?;
    latencies.sort();
    let max_window = api.max_sends_in_any_window(Duration::from_secs(1));
    let max_chat = api.max_sends_per_chat_in_any_window(Duration::from_secs(1));

    println!();
    println!(
        "Broadcast to {recipients} chats, limit {limit} msg/s on both sides, {} ms added to every request",
        latency.as_millis()
    );
    println!("queued (recipients + outbox rows, one transaction): {queued_in:.2?}");
    println!("delivered: {delivered} in {span:.2?} (first to last broadcast send)");
    println!("outbox broadcast rows by status: {statuses:?}");
    println!(
        "achieved rate: {rate:.1} msg/s = {:.3} of the limit",
        rate / f64::from(limit)
    );
    println!("429 answers: {}", api.rate_limited_count());
    println!("max sends in any 1 s window: {max_window} (limit {limit})");
    println!("max sends to one chat in any 1 s window: {max_chat}");
    if owners_write {
        println!(
            "owner replies: {} (/start every 200 ms over {OWNERS} owners), latency p50 {:.1?}, p99 {:.1?}, max {:.1?}",
            latencies.len(),
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            latencies.last().copied().unwrap_or_default()
        );
    }
    let rejected = api.rate_limited_count();

    stop.cancel();
    let _ = task.await;
    api.shutdown().await;
    Ok((rate, max_window, rejected))
}
