//! Broadcasts end to end: a manager composes one in private chat, owners get
//! it (blocked chats skipped and counted), RSVP is counted once per person,
//! the author's progress message is edited in place, and bad input is
//! refused with its reason before anything is sent.

use std::time::{Duration, Instant};

use chrono::{NaiveTime, Timelike, Utc};
use propdesk::clock::Clock;
use propdesk::db::testing::fresh_database;
use propdesk::domain::broadcasts::{Audience, NewBroadcast, QuietHours, Schedule};
use propdesk::domain::office_settings::OfficeSettings;
use propdesk::processor::features::broadcast::create;
use propdesk::scheduler::broadcasts::run_due_with;
use propdesk::standin::{StandIn, TestUser};
use propdesk::telegram::callback::Callback;
use sqlx::PgPool;

use crate::support::{spawn_app, TestApp};

pub const MANAGER: i64 = 900;
const BUTLER: i64 = 901;
/// Building 3: three reachable owners and one who blocked the bot.
const OWNERS_3: [i64; 4] = [3001, 3002, 3003, 3004];
const BLOCKED: i64 = 3004;
/// Building 4.
const OWNER_4: i64 = 4001;

/// Units in buildings 3, 4 and 9 (9 has nobody registered), the people in
/// 3 and 4, a manager and a butler.
pub async fn estate(pool: &PgPool) {
    sqlx::query(
        "INSERT INTO units (code, building, entrance, floor, area_m2) VALUES
           ('3-1-101', '3', '1', 1, 80), ('3-1-201', '3', '1', 2, 80),
           ('3-1-202', '3', '1', 2, 80), ('3-1-301', '3', '1', 3, 80),
           ('4-1-101', '4', '1', 1, 80), ('9-1-101', '9', '1', 1, 80)",
    )
    .execute(pool)
    .await
    .unwrap();
    for (user, unit) in [
        (3001, "3-1-101"),
        (3002, "3-1-201"),
        (3003, "3-1-202"),
        (3004, "3-1-301"),
        (4001, "4-1-101"),
    ] {
        sqlx::query(
            "WITH p AS (INSERT INTO people (name, phone, telegram_user_id, language)
                        VALUES ($1, $2, $3, 'en') RETURNING id)
             INSERT INTO unit_members (unit_id, person_id, role)
             SELECT u.id, p.id, 'owner' FROM p, units u WHERE u.code = $4",
        )
        .bind(format!("Owner {user}"))
        .bind(format!("+86139{user:08}"))
        .bind(user)
        .bind(unit)
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO chats (chat_id, kind, language, blocked_at) VALUES ($1, 'private', 'en', now())",
    )
    .bind(BLOCKED)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO staff (telegram_user_id, name, role) VALUES ($1, 'Wang', 'manager'), ($2, 'Li', 'butler')",
    )
    .bind(MANAGER)
    .bind(BUTLER)
    .execute(pool)
    .await
    .unwrap();
}

fn owners_in_standin(api: &StandIn) {
    for id in OWNERS_3.into_iter().chain([OWNER_4]) {
        api.add_started_user(TestUser::new(id, &format!("Owner {id}")).language("en"));
    }
}

async fn run_due(app: &TestApp) -> u64 {
    let mut conn = app.db.pool.acquire().await.unwrap();
    let schedule = Schedule::load(&mut conn, app.settings.processor.timezone)
        .await
        .unwrap();
    run_due_with(&mut conn, schedule, app.clock.now())
        .await
        .unwrap()
}

fn last_toast(app: &TestApp) -> String {
    app.api
        .callback_answers()
        .last()
        .and_then(|a| a.text.clone())
        .unwrap_or_default()
}

async fn wait_toasts(app: &TestApp, n: usize) -> String {
    let deadline = Instant::now() + crate::support::WAIT;
    while app.api.callback_answers().len() < n {
        assert!(Instant::now() < deadline, "no answer to the button");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    last_toast(app)
}

/// The bot with quiet hours off, so the test does not depend on the hour
/// it runs at.
async fn spawn_without_quiet_hours() -> TestApp {
    let app = spawn_app().await;
    app.set_office_setting("quiet_hours", "00:00-00:00").await;
    app
}

#[tokio::test]
async fn a_manager_broadcasts_to_a_building_with_rsvp_and_sees_progress() {
    let app = spawn_without_quiet_hours().await;
    estate(&app.db.pool).await;
    owners_in_standin(&app.api);
    let m = app.person(MANAGER, "en");

    app.say(m, "/broadcast");
    let q = app.expect_message(m, "Who should receive it").await;
    app.press(m, &q, "A building");
    app.expect_message(m, "Type the building").await;
    // An empty building is refused with the reason; the draft waits.
    app.say(m, "9");
    app.expect_message(
        m,
        "Nobody would receive it: building 9 has no registered owners",
    )
    .await;
    app.say(m, "3");
    app.expect_message(m, "Audience: building 3 (4 people)")
        .await;
    // Over Telegram's limit: refused with the numbers.
    app.say(m, &"x".repeat(4097));
    app.expect_message(
        m,
        "too long: 4097 characters, and Telegram allows at most 4096",
    )
    .await;
    app.say(m, "Mid-autumn party on Saturday at 15:00 in the garden.");
    let q = app.expect_message(m, "Attach a photo?").await;
    app.press(m, &q, "No photo");
    // Every owner gets the one version written (the Chinese one is the
    // fallback of every language).
    let q = app
        .expect_message(m, "the English version of the notice")
        .await;
    app.press(m, &q, "Skip");
    let q = app
        .expect_message(m, "the 繁體中文 version of the notice")
        .await;
    app.press(m, &q, "Skip");
    let q = app.expect_message(m, "Is this an activity?").await;
    app.press(m, &q, "Add the buttons");
    let q = app.expect_message(m, "Is it urgent").await;
    app.press(m, &q, "Not urgent");
    let q = app.expect_message(m, "When should it go out?").await;
    app.press(m, &q, "Send now");
    app.expect_message(m, "Preview: this is exactly what owners will receive.")
        .await;
    let preview = app.expect_message(m, "Mid-autumn party").await;
    assert!(
        preview.callback_data("Join").is_some() && preview.callback_data("Can't come").is_some()
    );
    let summary = app.expect_message(m, "Send it?").await;
    assert!(
        summary
            .body()
            .contains("Recipients: 4 (1 of them blocked the bot"),
        "{}",
        summary.body()
    );
    let toasts = app.api.callback_answers().len();
    app.press(m, &preview, "Join");
    assert!(wait_toasts(&app, toasts + 1).await.contains("preview"));
    app.press(m, &summary, "Send");

    // The three reachable owners of building 3 get exactly the preview.
    let mut received = Vec::new();
    for o in [3001, 3002, 3003] {
        let msg = app.expect_message(o, "Mid-autumn party").await;
        assert_eq!(msg.body(), preview.body());
        received.push(msg);
    }
    app.expect_message(m, "Broadcast #1 (building 3)").await;
    app.settle().await;
    assert!(
        app.api.messages(BLOCKED).is_empty(),
        "a blocked chat is skipped"
    );
    assert!(
        app.api.messages(OWNER_4).is_empty(),
        "another building gets nothing"
    );

    // RSVP: once per person; pressing again changes the answer; the same
    // answer twice changes nothing.
    let (a, b) = (&received[0], &received[1]);
    let mut n = app.api.callback_answers().len();
    app.press(3001, a, "Join");
    n += 1;
    assert_eq!(wait_toasts(&app, n).await, "Noted: you will join.");
    app.press(3001, a, "Join");
    n += 1;
    assert_eq!(wait_toasts(&app, n).await, "You already answered that.");
    app.press(3002, b, "Join");
    n += 1;
    wait_toasts(&app, n).await;
    app.press(3002, b, "Can't come");
    n += 1;
    assert_eq!(wait_toasts(&app, n).await, "Noted: you can't come.");
    // A forged button for another broadcast on this message: refused.
    let join_2 = Callback::BroadcastJoin(2).encode();
    app.api
        .press_forged_button(3003, 3003, received[2].message_id, &join_2)
        .unwrap();
    n += 1;
    assert_eq!(wait_toasts(&app, n).await, "This button has expired.");
    // The same button as a message sent before the versioned codec carried it
    // (`b:j:1`): expired, not read as an answer.
    app.api
        .press_forged_button(3003, 3003, received[2].message_id, "b:j:1")
        .unwrap();
    n += 1;
    assert_eq!(wait_toasts(&app, n).await, "This button has expired.");
    // Someone else's draft button: refused, nothing changes.
    let confirm_1 = Callback::BroadcastConfirm(1).encode();
    app.api
        .press_forged_button(3003, 3003, received[2].message_id, &confirm_1)
        .unwrap();
    n += 1;
    assert_eq!(wait_toasts(&app, n).await, "This button has expired.");

    // The job: everyone has a final status, so the broadcast is done and
    // the progress message says so, edited in place.
    assert_eq!(run_due(&app).await, 1);
    assert_eq!(run_due(&app).await, 0, "nothing more to do");
    app.settle().await;
    let status = app.expect_message(m, "Broadcast #1").await;
    assert!(
        status.body().contains("done")
            && status
                .body()
                .contains("sent 3 · failed 0 · blocked 1 · waiting 0")
            && status.body().contains("join 1 · can't come 1"),
        "{}",
        status.body()
    );
    assert!(status.edit_date.is_some(), "the same message was edited");
    let rows: Vec<(Option<String>, bool)> = sqlx::query_as(
        "SELECT o.status, r.skipped_blocked FROM broadcast_recipients r
           LEFT JOIN outbox o ON o.id = r.outbox_id ORDER BY r.chat_id",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            (Some("sent".into()), false),
            (Some("sent".into()), false),
            (Some("sent".into()), false),
            (None, true)
        ]
    );

    app.say(m, "/broadcasts");
    let list = app.expect_message(m, "Recent broadcasts").await;
    assert!(
        list.body().contains("#1") && list.body().contains("join 1 / can't come 1"),
        "{}",
        list.body()
    );
    // Confirming again (the button is gone; a client may still send it) does nothing.
    let before = app.api.accepted_sends();
    app.api
        .press_forged_button(m, m, summary.message_id, &confirm_1)
        .unwrap();
    n += 1;
    assert_eq!(
        wait_toasts(&app, n).await,
        "This notice was already confirmed."
    );
    app.settle().await;
    assert_eq!(app.api.accepted_sends(), before);
    app.finish().await;
}

#[tokio::test]
async fn non_managers_and_bad_notices_are_refused_before_sending() {
    let app = spawn_without_quiet_hours().await;
    estate(&app.db.pool).await;
    owners_in_standin(&app.api);
    let butler = app.person(BUTLER, "en");
    app.say(butler, "/broadcast");
    app.expect_message(butler, "only managers can send broadcasts")
        .await;
    app.say(3001, "/broadcasts");
    app.expect_message(3001, "only managers can send broadcasts")
        .await;

    let m = app.person(MANAGER, "en");
    app.say(m, "/broadcast");
    let q = app.expect_message(m, "Who should receive it").await;
    app.press(m, &q, "A list of units");
    app.expect_message(m, "Type the unit codes").await;
    app.say(m, "3-1-101, 7-7-777");
    app.expect_message(m, "These units do not exist: 7-7-777")
        .await;
    app.say(m, "3-1-101 3-1-201");
    app.expect_message(m, "Audience: 2 units").await;
    // A photo's caption has Telegram's 1024 limit.
    app.api.send_photo(m, Some(&"y".repeat(1100))).unwrap();
    app.expect_message(m, "at most 1024 characters; yours has 1100")
        .await;
    app.say(m, "/cancel");
    app.expect_message(m, "Cancelled").await;
    app.settle().await;
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM broadcast_recipients")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(queued, 0);
    assert_eq!(app.api.messages(3001).len(), 1, "only the refusal");
    for o in [3002, 3003, 3004, OWNER_4] {
        assert!(app.api.messages(o).is_empty(), "nothing sent by mistake");
    }
    app.finish().await;
}

#[tokio::test]
async fn quiet_hours_hold_a_notice_until_morning_unless_urgent() {
    let db = fresh_database().await.unwrap();
    estate(&db.pool).await;
    let now = Utc::now();
    let tz = chrono_tz::Asia::Shanghai;
    // Quiet hours from an hour ago to two hours from now, whatever the hour.
    let local = now.with_timezone(&tz).time();
    let start = NaiveTime::from_hms_opt((local.hour() + 23) % 24, 0, 0).unwrap();
    let end = NaiveTime::from_hms_opt((local.hour() + 2) % 24, 0, 0).unwrap();
    let schedule = Schedule {
        timezone: tz,
        quiet_hours: QuietHours { start, end },
    };
    let notice = |urgent| NewBroadcast {
        author_user_id: MANAGER,
        author_chat_id: MANAGER,
        audience: Audience::Building {
            building: "3".into(),
        },
        text: "Water off tomorrow".into(),
        photo: None,
        rsvp: false,
        urgent,
        send_at: None,
    };
    let mut tx = db.pool.begin().await.unwrap();
    let held = create(&mut tx, schedule, &notice(false), now)
        .await
        .unwrap()
        .unwrap();
    let urgent = create(&mut tx, schedule, &notice(true), now)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    assert!(held.held && !urgent.held);
    assert_eq!(held.starts_at.with_timezone(&tz).time(), end);
    assert_eq!((held.recipients, held.skipped_blocked), (4, 1));
    let not_before: Vec<(i64, chrono::DateTime<Utc>)> = sqlx::query_as(
        "SELECT r.broadcast_id, o.not_before FROM broadcast_recipients r
           JOIN outbox o ON o.id = r.outbox_id ORDER BY r.id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(not_before.len(), 6);
    for (id, at) in not_before {
        let want = if id == held.id { held.starts_at } else { now };
        assert!(
            (at - want).num_milliseconds().abs() < 1000,
            "{at} vs {want}"
        );
    }
    // Scheduled: the job does not start it before its time.
    let mut conn = db.pool.acquire().await.unwrap();
    run_due_with(&mut conn, schedule, now).await.unwrap();
    let status: String = sqlx::query_scalar("SELECT status FROM broadcasts WHERE id = $1")
        .bind(held.id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(status, "scheduled");
}

#[tokio::test]
async fn ten_thousand_recipients_are_queued_in_one_transaction() {
    let db = fresh_database().await.unwrap();
    estate(&db.pool).await;
    sqlx::query(
        "INSERT INTO people (name, phone, telegram_user_id)
         SELECT 'P' || g, '+8615' || lpad(g::text, 9, '0'), 1000000 + g FROM generate_series(1, 10000) g",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let schedule = Schedule {
        timezone: chrono_tz::Asia::Shanghai,
        quiet_hours: OfficeSettings::default().quiet_hours,
    };
    let t = Instant::now();
    let mut tx = db.pool.begin().await.unwrap();
    let started = create(
        &mut tx,
        schedule,
        &NewBroadcast {
            author_user_id: MANAGER,
            author_chat_id: MANAGER,
            audience: Audience::All,
            text: "Annual meeting".into(),
            photo: None,
            rsvp: true,
            urgent: true,
            send_at: None,
        },
        Utc::now(),
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
    let took = t.elapsed();
    assert_eq!(started.recipients, 10_005);
    assert_eq!(started.skipped_blocked, 1);
    let linked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM broadcast_recipients r JOIN outbox o ON o.id = r.outbox_id
          WHERE o.lane = 3 AND o.status = 'pending'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(linked, 10_004);
    assert!(took < Duration::from_secs(20), "{took:?}");
    eprintln!("10,005 recipients queued in {took:?}");
}
