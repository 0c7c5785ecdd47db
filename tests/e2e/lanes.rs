//! The sender's lanes under Telegram's default limits (30 msg/s, 1 msg/s per
//! private chat): an owner's reply overtakes a broadcast in progress, waiting
//! at most one send slot; a 429 storm pauses only the chats it concerns.

use std::time::{Duration, Instant, SystemTime};

use chrono::Utc;
use propdesk::domain::broadcasts::{Audience, NewBroadcast, Schedule};
use propdesk::domain::office_settings::OfficeSettings;
use propdesk::processor::features::broadcast;
use propdesk::standin::{Outcome, TestUser};
use sqlx::PgPool;

use crate::support::{spawn_app, TestApp, WAIT};

/// `n` registered people with ids 1..=n who have started the bot, and a
/// broadcast to all of them.
async fn broadcast_to(app: &TestApp, n: i64) -> i64 {
    sqlx::query(
        "INSERT INTO people (name, phone, telegram_user_id)
         SELECT 'P' || g, '+8615' || lpad(g::text, 9, '0'), g FROM generate_series(1, $1::bigint) g",
    )
    .bind(n)
    .execute(&app.db.pool)
    .await
    .unwrap();
    for id in 1..=n {
        app.api.add_started_user(TestUser::new(id, "P"));
    }
    create(&app.db.pool).await
}

async fn create(pool: &PgPool) -> i64 {
    let mut tx = pool.begin().await.unwrap();
    let started = broadcast::create(
        &mut tx,
        Schedule {
            timezone: chrono_tz::Asia::Shanghai,
            quiet_hours: OfficeSettings::default().quiet_hours,
        },
        &NewBroadcast {
            author_user_id: 1_000_000,
            author_chat_id: 1_000_000,
            audience: Audience::All,
            text: "Lift maintenance on Monday".into(),
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
    started.id
}

fn chat_of(params: &serde_json::Value) -> Option<i64> {
    params.get("chat_id").and_then(serde_json::Value::as_i64)
}

#[tokio::test]
async fn a_broadcast_in_progress_delays_an_owners_reply_by_at_most_one_slot() {
    let app = spawn_app().await;
    broadcast_to(&app, 150).await;
    let owner = app.person(5001, "en");
    // Let the broadcast run at full rate for a while, then the owner writes.
    let deadline = Instant::now() + WAIT;
    while app.api.accepted_sends() < 40 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut worst = Duration::ZERO;
    let mut overtaken_by = 0;
    for round in 1..=3 {
        app.say(owner, "/start");
        app.nth_message(owner, round).await;
        // When the reply row was written, and when its request reached the stand-in.
        let queued: chrono::DateTime<Utc> = sqlx::query_scalar(
            "SELECT created_at FROM outbox WHERE chat_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(owner)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        let queued = SystemTime::from(queued);
        let log = app.api.requests();
        let reply_at = log
            .iter()
            .filter(|r| r.method == "sendMessage" && chat_of(&r.params) == Some(owner))
            .nth(round - 1)
            .unwrap()
            .at;
        let between = log
            .iter()
            .filter(|r| {
                r.method == "sendMessage"
                    && r.at > queued
                    && r.at < reply_at
                    && chat_of(&r.params).is_some_and(|c| (1..=150).contains(&c))
            })
            .count();
        worst = worst.max(reply_at.duration_since(queued).unwrap_or_default());
        overtaken_by = overtaken_by.max(between);
        // A second apart, so the owner's own chat limit (1/s) is not what
        // is measured (this waits for real sends, not for a deadline).
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    let unsent: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE lane = 3 AND status = 'pending'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    eprintln!("reply: worst {worst:?} after its row was written, {overtaken_by} broadcast send(s) in between; {unsent} broadcast rows still pending");
    assert!(unsent > 0, "the broadcast was still running");
    // One slot at 30 msg/s: the broadcast send already dispatched in the
    // current slot may go first; nothing else.
    assert!(
        overtaken_by <= 1,
        "{overtaken_by} broadcast sends overtook the reply"
    );
    assert!(worst < Duration::from_millis(250), "{worst:?}");
    app.finish().await;
}

#[tokio::test]
async fn a_429_storm_pauses_only_the_chats_it_concerns() {
    let app = spawn_app().await;
    let stormed = [1, 2, 3, 4, 5];
    for chat in stormed {
        app.api.force_429(chat, 3);
    }
    let start = Instant::now();
    broadcast_to(&app, 40).await;
    app.settle().await;
    let mut last_calm = start;
    let mut first_stormed = None::<Instant>;
    for chat in 1..=40 {
        let msgs = app.api.messages(chat);
        assert_eq!(msgs.len(), 1, "chat {chat}");
        let at = msgs[0].sent_at;
        if stormed.contains(&chat) {
            assert!(
                at - start >= Duration::from_secs(3),
                "chat {chat} waited its retry_after"
            );
            first_stormed = Some(first_stormed.map_or(at, |f: Instant| f.min(at)));
        } else {
            last_calm = last_calm.max(at);
        }
    }
    // The other chats went on at the normal pace (40 at 30/s): all of them
    // before the paused chats' retry_after ran out.
    assert!(
        last_calm < first_stormed.unwrap(),
        "calm chats were held up"
    );
    assert!(last_calm - start < Duration::from_millis(2900));
    let errors = app
        .api
        .requests()
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Error { code: 429, .. }))
        .filter_map(|r| chat_of(&r.params))
        .collect::<Vec<_>>();
    assert_eq!(errors.len(), 5, "{errors:?}");
    assert!(errors.iter().all(|c| stormed.contains(c)));
    app.finish().await;
}
