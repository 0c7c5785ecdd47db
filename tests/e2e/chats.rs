//! Reachability, one rule for every audience (`domain::chats`): a chat is
//! unreachable once Telegram says so (403, blocked, bot removed from the
//! group) until it shows life again (unblocked, added back, a message);
//! a chat never seen is reachable.
//!
//! ```text
//! owner:   (blocks the bot)
//! manager: broadcast to building 3     → not queued for the owner, counted as blocked
//! manager: /incident 3 water … [Notify] → "queued for 1 owner" (the neighbour)
//! butler:  /reply N …                  → "业主已屏蔽机器人 …", nothing queued
//! owner:   (unblocks the bot)
//! the same three                       → the owner gets each
//! ```

use chrono::{Duration, Utc};
use propdesk::clock::Clock;
use propdesk::db::testing::fresh_database;
use propdesk::domain::broadcasts::{self as bc, Audience, NewBroadcast, Schedule};
use propdesk::domain::chats::{self, Kind};
use propdesk::domain::staff::{self, StaffRole};
use propdesk::domain::tickets::{NewTicket, TicketId, TicketKind};
use propdesk::i18n::Lang;
use propdesk::outbox::{self, Lane, Outgoing, Request};
use propdesk::processor::features::broadcast::create;
use propdesk::processor::{file_ticket, App, Ctx};
use propdesk::standin::TestUser;
use serde_json::json;
use sqlx::PgPool;

use crate::support::{fast_limits, spawn_app_with, TestApp, WAIT};

const GROUP: i64 = -100_888;
const MANAGER: i64 = 7100;
const BUTLER: i64 = 7101;
/// Building 3, unit 3-1-101: blocks and unblocks the bot.
const OWNER: i64 = 7201;
/// Building 3, unit 3-1-102: always reachable.
const NEIGHBOUR: i64 = 7202;

async fn building_three(pool: &PgPool) {
    for (user, unit) in [(OWNER, "3-1-101"), (NEIGHBOUR, "3-1-102")] {
        sqlx::query(
            "WITH u AS (INSERT INTO units (code, building, entrance, floor, area_m2)
                        VALUES ($4, '3', '1', 1, 80) RETURNING id),
                  p AS (INSERT INTO people (name, phone, telegram_user_id, language)
                        VALUES ($1, $2, $3, 'en') RETURNING id)
             INSERT INTO unit_members (unit_id, person_id, role, is_default)
             SELECT u.id, p.id, 'owner', TRUE FROM u, p",
        )
        .bind(format!("Owner {user}"))
        .bind(format!("+86137{user:08}"))
        .bind(user)
        .bind(unit)
        .execute(pool)
        .await
        .unwrap();
    }
}

// ------------------------------------------------------------ the rule

#[tokio::test]
async fn the_rule_never_seen_blocked_unblocked_and_written_to_again() {
    let db = fresh_database().await.unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    let c = &mut *conn;

    // Never seen: reachable (the send is tried), but no open private chat.
    assert!(chats::is_reachable(c, 42).await.unwrap());
    assert!(!chats::has_open_private_chat(c, 42).await.unwrap());
    assert_eq!(chats::language(c, 42).await.unwrap(), None);

    // A message: known, reachable, its language kept.
    let lang = chats::remember(c, 42, Kind::Private, Some(Lang::En), false)
        .await
        .unwrap();
    assert_eq!(lang, Some(Lang::En));
    assert!(chats::has_open_private_chat(c, 42).await.unwrap());
    chats::set_language(c, 42, Lang::Zh).await.unwrap();
    // A later message does not overwrite the chosen language.
    let lang = chats::remember(c, 42, Kind::Private, Some(Lang::En), false)
        .await
        .unwrap();
    assert_eq!(lang, Some(Lang::Zh));

    // Blocked (403 or my_chat_member "kicked"): unreachable everywhere.
    chats::mark_blocked(c, 42, Kind::Private).await.unwrap();
    assert!(!chats::is_reachable(c, 42).await.unwrap());
    assert!(!chats::has_open_private_chat(c, 42).await.unwrap());
    let id = outbox::enqueue(c, None, &Outgoing::reply(42, Request::text("x")))
        .await
        .unwrap();
    assert_eq!(status(c, id).await, "unreachable");

    // Unblocked: reachable again, and new sends are pending.
    chats::mark_unblocked(c, 42, Kind::Private).await.unwrap();
    assert!(chats::is_reachable(c, 42).await.unwrap());
    let id = outbox::enqueue(c, None, &Outgoing::reply(42, Request::text("y")))
        .await
        .unwrap();
    assert_eq!(status(c, id).await, "pending");

    // Blocked again, then the person writes: a message is a sign of life.
    chats::mark_blocked(c, 42, Kind::Private).await.unwrap();
    chats::remember(c, 42, Kind::Private, None, false)
        .await
        .unwrap();
    assert!(chats::is_reachable(c, 42).await.unwrap());

    // A 403 from a chat never seen records it, as unreachable.
    chats::mark_blocked(c, 43, Kind::guess(43)).await.unwrap();
    assert!(!chats::is_reachable(c, 43).await.unwrap());
    assert!(chats::is_reachable(c, 44).await.unwrap());
}

#[tokio::test]
async fn a_group_that_removed_the_bot_is_unreachable_until_it_is_back() {
    let db = fresh_database().await.unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    let c = &mut *conn;
    chats::remember(c, GROUP, Kind::Supergroup, None, false)
        .await
        .unwrap();
    assert!(chats::is_reachable(c, GROUP).await.unwrap());
    chats::mark_blocked(c, GROUP, Kind::Supergroup)
        .await
        .unwrap();
    assert!(!chats::is_reachable(c, GROUP).await.unwrap());
    // A message in the group means the bot is in it again.
    chats::remember(c, GROUP, Kind::Supergroup, None, false)
        .await
        .unwrap();
    assert!(chats::is_reachable(c, GROUP).await.unwrap());
}

#[tokio::test]
async fn every_audience_asks_the_same_question() {
    let db = fresh_database().await.unwrap();
    building_three(&db.pool).await;
    let mut conn = db.pool.acquire().await.unwrap();
    let c = &mut *conn;
    let building = Audience::Building {
        building: "3".into(),
    };
    let buildings = ["3".to_string()];
    // Neither owner has been seen: both are reachable.
    assert_eq!(bc::count_audience(c, &building).await.unwrap(), (2, 0));
    let residents = chats::reachable_residents(c, &buildings).await.unwrap();
    assert_eq!(
        residents.iter().map(|r| r.chat_id).collect::<Vec<_>>(),
        vec![OWNER, NEIGHBOUR]
    );
    assert!(residents.iter().all(|r| r.lang() == Lang::En));

    chats::mark_blocked(c, OWNER, Kind::Private).await.unwrap();
    assert_eq!(bc::count_audience(c, &building).await.unwrap(), (2, 1));
    let residents = chats::reachable_residents(c, &buildings).await.unwrap();
    assert_eq!(
        residents.iter().map(|r| r.chat_id).collect::<Vec<_>>(),
        vec![NEIGHBOUR]
    );

    chats::mark_unblocked(c, OWNER, Kind::Private)
        .await
        .unwrap();
    assert_eq!(bc::count_audience(c, &building).await.unwrap(), (2, 0));
    assert_eq!(
        chats::reachable_residents(c, &buildings)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn a_bulk_enqueue_keeps_order_lane_and_the_rule() {
    let db = fresh_database().await.unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    let c = &mut *conn;
    chats::mark_blocked(c, 2, Kind::Private).await.unwrap();
    let requests = [Request::text("zh"), Request::text("en")];
    let batch = outbox::Batch {
        lane: Lane::Broadcast,
        not_before: None,
        update_id: Some(77),
        requests: &requests,
    };
    let queued = outbox::enqueue_many(c, &batch, &[(3, 1), (1, 0), (2, 1)])
        .await
        .unwrap();
    assert_eq!(
        queued.iter().map(|q| q.chat_id).collect::<Vec<_>>(),
        vec![3, 1, 2]
    );
    assert!(queued.windows(2).all(|w| w[0].id < w[1].id));
    let rows: Vec<(i64, i16, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT chat_id, lane, request->>'text', status, update_id FROM outbox ORDER BY id",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            (3, 3, "en".into(), "pending".into(), Some(77)),
            (1, 3, "zh".into(), "pending".into(), Some(77)),
            (2, 3, "en".into(), "unreachable".into(), Some(77)),
        ]
    );
    // A template index out of range is refused, nothing written.
    assert!(outbox::enqueue_many(c, &batch, &[(4, 2)]).await.is_err());
    assert!(outbox::enqueue_many(c, &batch, &[])
        .await
        .unwrap()
        .is_empty());
}

async fn status(conn: &mut sqlx::PgConnection, id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await
        .unwrap()
}

// ------------------------------------------------ through Telegram's updates

/// The bot with a staff group, a manager, a butler and the two owners of
/// building 3, both of whom have started the bot.
async fn office() -> TestApp {
    let (config, limits) = fast_limits();
    let app = spawn_app_with(config, |s| {
        s.sender.limits = limits;
        s.processor.staff_chat_id = Some(GROUP);
    })
    .await;
    app.set_office_setting("quiet_hours", "00:00-00:00").await;
    app.api.add_group(GROUP, "Staff");
    app.person(MANAGER, "en");
    app.api
        .add_user(TestUser::new(BUTLER, "Butler").language("zh-hans"));
    let mut conn = app.db.pool.acquire().await.unwrap();
    staff::upsert(&mut conn, MANAGER, "Manager", StaffRole::Manager)
        .await
        .unwrap();
    staff::upsert(&mut conn, BUTLER, "Butler", StaffRole::Butler)
        .await
        .unwrap();
    drop(conn);
    building_three(&app.db.pool).await;
    for owner in [OWNER, NEIGHBOUR] {
        app.person(owner, "en");
    }
    // (Telegram lets a bot write only to people who have started it.)
    for person in [MANAGER, OWNER, NEIGHBOUR] {
        app.say(person, "/start");
        app.nth_message(person, 1).await;
    }
    app
}

/// Files a ticket of `OWNER`'s as the dialogues do.
async fn file(app: &TestApp, update_id: i64) -> TicketId {
    let shared = App {
        settings: {
            let mut s = app.settings.processor.clone();
            s.staff_chat_id = Some(GROUP);
            s
        },
        clock: app.clock.clone(),
        dialogues: Default::default(),
    };
    let mut new = NewTicket::new(TicketKind::Repair, "Kitchen tap drips");
    new.owner_chat_id = Some(OWNER);
    let mut tx = app.db.pool.begin().await.unwrap();
    let filed = {
        let mut ctx = Ctx {
            conn: &mut tx,
            app: &shared,
            update_id,
            now: shared.clock.now(),
            thread: None,
        };
        file_ticket(&mut ctx, new).await.unwrap()
    };
    tx.commit().await.unwrap();
    filed.id
}

/// A broadcast to building 3, confirmed at once: (recipients, skipped).
async fn broadcast(app: &TestApp, text: &str) -> (i64, i64) {
    let mut tx = app.db.pool.begin().await.unwrap();
    let schedule = Schedule::load(&mut tx, app.settings.processor.timezone)
        .await
        .unwrap();
    let started = create(
        &mut tx,
        schedule,
        &NewBroadcast {
            author_user_id: MANAGER,
            author_chat_id: MANAGER,
            audience: Audience::Building {
                building: "3".into(),
            },
            text: text.into(),
            photo: None,
            rsvp: false,
            urgent: true,
            send_at: None,
        },
        app.clock.now(),
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
    (started.recipients, started.skipped_blocked)
}

/// Declares an outage in building 3 and notifies it; returns the manager's
/// confirmation.
async fn outage(app: &TestApp, n: usize, kind: &str, text: &str) -> String {
    let end = (Utc::now() + Duration::days(1))
        .with_timezone(&app.settings.processor.timezone)
        .format("%Y-%m-%dT%H:%M");
    app.say(MANAGER, &format!("/incident 3 {kind} {end} {text}"));
    let declared = app
        .expect_message(MANAGER, &format!("Outage #{n} declared"))
        .await;
    app.press(MANAGER, &declared, "Notify affected owners");
    app.expect_message(MANAGER, &format!("notice of outage #{n} is queued"))
        .await
        .body()
        .to_string()
}

async fn queued_for(app: &TestApp, chat: i64, needle: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE chat_id = $1 AND request::text LIKE $2")
        .bind(chat)
        .bind(format!("%{needle}%"))
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// owner blocks the bot → no broadcast, no outage notice, staff told on
/// /reply; owner unblocks → all three reach them.
#[tokio::test]
async fn an_owner_who_blocked_the_bot_is_skipped_by_every_audience_until_they_unblock_it() {
    let app = office().await;
    let ticket = file(&app, 990_001).await;
    app.api.my_chat_member(OWNER, "member", "kicked").unwrap();
    app.settle().await;

    assert_eq!(broadcast(&app, "Lift maintenance on Monday").await, (2, 1));
    let told = outage(&app, 1, "water", "Pipe repair on the main line").await;
    assert!(told.contains("queued for 1 owner."), "{told}");
    app.api
        .send_text_in_group(GROUP, BUTLER, &format!("/reply {} 明天上午来修", ticket.0))
        .unwrap();
    app.api
        .wait_for_message(GROUP, |m| m.body().contains("业主已屏蔽机器人"), WAIT)
        .await
        .unwrap();
    app.expect_message(NEIGHBOUR, "Lift maintenance on Monday")
        .await;
    app.expect_message(NEIGHBOUR, "Pipe repair on the main line")
        .await;
    app.settle().await;
    for needle in ["Lift maintenance", "Pipe repair", "明天上午来修"] {
        assert_eq!(queued_for(&app, OWNER, needle).await, 0, "{needle}");
    }

    app.api.my_chat_member(OWNER, "kicked", "member").unwrap();
    app.settle().await;
    assert_eq!(broadcast(&app, "Water tank cleaning").await, (2, 0));
    let told = outage(&app, 2, "power", "Transformer swap").await;
    assert!(told.contains("queued for 2 owners"), "{told}");
    app.api
        .send_text_in_group(GROUP, BUTLER, &format!("/reply {} 明天下午来修", ticket.0))
        .unwrap();
    app.expect_message(OWNER, "Water tank cleaning").await;
    app.expect_message(OWNER, "Transformer swap").await;
    app.expect_message(OWNER, "明天下午来修").await;
    app.finish().await;
}

/// The bot is removed from the staff group, then added back.
#[tokio::test]
async fn removing_the_bot_from_a_group_makes_it_unreachable_until_it_is_added_back() {
    let app = office().await;
    let change = |old: &str, new: &str| {
        json!({"my_chat_member": {
            "chat": {"id": GROUP, "type": "group", "title": "Staff"},
            "from": {"id": MANAGER, "is_bot": false, "first_name": "Manager"},
            "date": Utc::now().timestamp(),
            "old_chat_member": {"user": {"id": 1, "is_bot": true, "first_name": "Bot"}, "status": old},
            "new_chat_member": {"user": {"id": 1, "is_bot": true, "first_name": "Bot"}, "status": new},
        }})
    };
    let mut conn = app.db.pool.acquire().await.unwrap();
    assert!(chats::is_reachable(&mut conn, GROUP).await.unwrap());
    app.api.inject_raw_update(change("member", "left"));
    app.settle().await;
    assert!(!chats::is_reachable(&mut conn, GROUP).await.unwrap());
    app.api.inject_raw_update(change("left", "member"));
    app.settle().await;
    assert!(chats::is_reachable(&mut conn, GROUP).await.unwrap());
    drop(conn);
    app.finish().await;
}
