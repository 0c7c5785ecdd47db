//! Crash safety: the real binary is killed with SIGKILL in the middle of a
//! 2,000-recipient broadcast and started again. Every recipient ends with a
//! final status, and the duplicates owners got are at most the sends that
//! were in flight at the kill — counted in the stand-in and reported in the
//! outbox's `ambiguous` column.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::Utc;
use propdesk::db::testing::fresh_database;
use propdesk::domain::broadcasts::{Audience, NewBroadcast, Schedule};
use propdesk::domain::office_settings::OfficeSettings;
use propdesk::processor::features::broadcast::create;
use propdesk::standin::{Limits, StandIn, StandInConfig, TestUser};
use tokio::process::{Child, Command};

const RECIPIENTS: i64 = 2_000;
/// Telegram's global limit ×10 on both sides, so the test takes seconds.
const RATE: u32 = 300;

fn spawn_bot(url: &str, api: &StandIn) -> Child {
    Command::new(env!("CARGO_BIN_EXE_propdesk"))
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("TELOXIDE_TOKEN", api.token())
        .env("TELOXIDE_API_URL", api.api_url().as_str())
        .env(
            "PROPDESK_DIALOGUES",
            concat!(env!("CARGO_MANIFEST_DIR"), "/dialogues"),
        )
        .env("PROPDESK_RATE_PER_SEC", RATE.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start the propdesk binary")
}

#[tokio::test]
async fn a_broadcast_killed_mid_way_finishes_after_restart_with_duplicates_counted() {
    let db = fresh_database().await.unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    propdesk::domain::office_settings::set(&mut conn, "quiet_hours", "00:00-00:00", "test")
        .await
        .unwrap()
        .unwrap();
    drop(conn);
    let api = StandIn::start(StandInConfig {
        limits: Limits {
            global_per_sec: RATE,
            ..Limits::default()
        },
        ..StandInConfig::default()
    })
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO people (name, phone, telegram_user_id)
         SELECT 'P' || g, '+8615' || lpad(g::text, 9, '0'), g FROM generate_series(1, $1::bigint) g",
    )
    .bind(RECIPIENTS)
    .execute(&db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO chats (chat_id, kind, language)
         SELECT g, 'private', 'zh' FROM generate_series(1, $1::bigint) g",
    )
    .bind(RECIPIENTS)
    .execute(&db.pool)
    .await
    .unwrap();
    for id in 1..=RECIPIENTS {
        api.add_started_user(TestUser::new(id, "P"));
    }
    let mut tx = db.pool.begin().await.unwrap();
    let started = create(
        &mut tx,
        Schedule {
            timezone: chrono_tz::Asia::Shanghai,
            quiet_hours: OfficeSettings::default().quiet_hours,
        },
        &NewBroadcast {
            // Outside the recipients' ids, so the progress message is no duplicate.
            author_user_id: 1_000_000,
            author_chat_id: 1_000_000,
            audience: Audience::All,
            text: "停电通知 / Power cut notice".into(),
            photo: None,
            rsvp: false,
            urgent: true,
            send_at: None,
        },
        Utc::now(),
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(started.recipients, RECIPIENTS);

    // Answers take 50 ms, so about 15 sends are on the wire at any time.
    api.set_latency(Duration::from_millis(50));
    // Run until about a third is delivered, then SIGKILL.
    let mut bot = spawn_bot(&db.url, &api);
    let deadline = Instant::now() + Duration::from_secs(60);
    while api.accepted_sends() < 700 {
        assert!(Instant::now() < deadline, "the broadcast never got going");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    bot.start_kill().unwrap();
    bot.wait().await.unwrap();
    let in_flight: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE lane = 3 AND status = 'sending'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let delivered_at_kill = api.accepted_sends();
    assert!(
        (delivered_at_kill as i64) < RECIPIENTS,
        "killed after the end"
    );

    // Restart: the new process finishes the broadcast.
    let mut bot = spawn_bot(&db.url, &api);
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE lane = 3 AND status IN ('pending', 'sending')",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        if open == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{open} recipients still waiting");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bot.start_kill().unwrap();
    bot.wait().await.unwrap();

    // Every recipient has a final status, from its outbox row.
    let statuses: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "SELECT o.status, count(*) FROM broadcast_recipients r
           JOIN outbox o ON o.id = r.outbox_id WHERE r.broadcast_id = $1 GROUP BY o.status",
    )
    .bind(started.id)
    .fetch_all(&db.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(statuses.get("sent"), Some(&RECIPIENTS), "{statuses:?}");

    // Duplicates: counted in the stand-in, reported in the outbox.
    let mut duplicates = 0;
    for id in 1..=RECIPIENTS {
        let n = api.messages(id).len();
        assert!(n >= 1, "chat {id} got nothing");
        duplicates += n - 1;
    }
    let reported: i64 =
        sqlx::query_scalar("SELECT COALESCE(sum(ambiguous), 0)::bigint FROM outbox WHERE lane = 3")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    eprintln!(
        "killed after {delivered_at_kill} sends with {in_flight} in flight; \
         {duplicates} duplicate(s) delivered, {reported} send(s) reported ambiguous"
    );
    assert!(duplicates as i64 <= in_flight, "{duplicates} > {in_flight}");
    assert!(reported >= duplicates as i64, "every duplicate is reported");
    assert_eq!(reported, in_flight, "each in-flight send is reported once");
    api.shutdown().await;
}
