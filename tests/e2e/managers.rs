//! Issue 13 end to end: notices in each owner's language, stopped before
//! they go out and recalled after (Telegram's 48 hours), an activity from
//! plan to feedback with a waiting list, and the outage form.

use std::time::Duration;

use chrono::{Duration as Days, NaiveTime, TimeZone, Timelike, Utc};
use propdesk::clock::Clock;
use propdesk::domain::broadcasts::{Audience, NewBroadcast, Schedule};
use propdesk::processor::features::broadcast::create;
use propdesk::standin::{StandIn, TestUser};

use crate::broadcasts::{estate, MANAGER};
use crate::support::{spawn_app, TestApp, WAIT};

const OWNERS: [i64; 4] = [3001, 3002, 3003, 4001];
const BUTLER: i64 = 901;
const SUPERVISOR: i64 = 902;
const ASSISTANT: i64 = 903;

fn started(api: &StandIn) {
    api.add_started_user(TestUser::new(MANAGER, "Wang").language("en"));
    for id in OWNERS {
        let lang = if id == 3002 { "zh" } else { "en" };
        api.add_started_user(TestUser::new(id, &format!("Owner {id}")).language(lang));
    }
}

/// The estate of `broadcasts`, 3002 reading Chinese, quiet hours off.
async fn office() -> TestApp {
    let app = spawn_app().await;
    app.set_office_setting("quiet_hours", "00:00-00:00").await;
    estate(&app.db.pool).await;
    sqlx::query("UPDATE people SET language = 'zh' WHERE telegram_user_id = 3002")
        .execute(&app.db.pool)
        .await
        .unwrap();
    // The manager reads English (a notice created without a message from
    // them reports its progress in their chat's language).
    sqlx::query("INSERT INTO chats (chat_id, kind, language) VALUES ($1, 'private', 'en')")
        .bind(MANAGER)
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO staff (telegram_user_id, name, role) VALUES ($1, 'Qian', 'supervisor'), ($2, 'Sun', 'assistant')",
    )
    .bind(SUPERVISOR)
    .bind(ASSISTANT)
    .execute(&app.db.pool)
    .await
    .unwrap();
    started(&app.api);
    app
}

async fn run_due(app: &TestApp) -> u64 {
    let mut conn = app.db.pool.acquire().await.unwrap();
    let schedule = Schedule::load(&mut conn, app.settings.processor.timezone)
        .await
        .unwrap();
    propdesk::scheduler::broadcasts::run_due_with(&mut conn, schedule, app.clock.now())
        .await
        .unwrap()
}

async fn notice(app: &TestApp, text: &str, urgent: bool) -> i64 {
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
            urgent,
            send_at: None,
        },
        app.clock.now(),
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
    started.id
}

/// manager: /broadcast → All owners → 明天上午停水 → No photo →
///          English: Water is off tomorrow morning → No buttons → Not urgent → Send now → Send
/// 3001 (English) gets the English text, 3002 (Chinese) the Chinese one.
#[tokio::test]
async fn a_bilingual_notice_reaches_each_owner_in_their_language() {
    let app = office().await;
    let m = MANAGER;
    app.say(m, "/broadcast");
    let q = app.expect_message(m, "Who should receive it").await;
    app.press(m, &q, "All owners");
    let q = app
        .expect_message(m, "Write the Chinese version first")
        .await;
    assert!(
        q.body().contains("Audience: all owners (5 people)"),
        "{}",
        q.body()
    );
    app.say(m, "明天上午停水，请提前储水。");
    let q = app.expect_message(m, "Attach a photo?").await;
    app.press(m, &q, "No photo");
    app.expect_message(m, "the English version of the notice")
        .await;
    // Over the limit in English too: refused with the numbers, asked again.
    app.say(m, &"x".repeat(4097));
    app.expect_message(m, "4097 characters").await;
    app.say(m, "Water is off tomorrow morning; please store some.");
    let q = app
        .expect_message(m, "the 繁體中文 version of the notice")
        .await;
    app.press(m, &q, "Skip");
    let q = app.expect_message(m, "Is this an activity?").await;
    app.press(m, &q, "No buttons");
    let q = app.expect_message(m, "Is it urgent").await;
    app.press(m, &q, "Not urgent");
    let q = app.expect_message(m, "When should it go out?").await;
    app.press(m, &q, "Send now");
    let summary = app.expect_message(m, "Send it?").await;
    assert!(
        summary.body().contains("Languages: 简体中文, English"),
        "{}",
        summary.body()
    );
    app.expect_message(m, "(what English readers get)").await;
    app.press(m, &summary, "Send");
    let en = app.expect_message(3001, "Water is off").await;
    assert_eq!(
        en.body(),
        "Water is off tomorrow morning; please store some."
    );
    app.expect_message(4001, "Water is off").await;
    let zh = app.expect_message(3002, "停水").await;
    assert_eq!(zh.body(), "明天上午停水，请提前储水。");
    app.settle().await;
    assert!(!app
        .api
        .messages(3002)
        .iter()
        .any(|m| m.body().contains("Water is off")));
    app.finish().await;
}

#[tokio::test]
async fn a_notice_held_by_quiet_hours_is_stopped_before_anyone_gets_it() {
    let app = office().await;
    // Quiet hours from an hour ago to two hours from now.
    let local = Utc::now().with_timezone(&chrono_tz::Asia::Shanghai);
    let hour = |h: u32| {
        NaiveTime::from_hms_opt(h % 24, 0, 0)
            .unwrap()
            .format("%H:%M")
            .to_string()
    };
    app.set_office_setting(
        "quiet_hours",
        &format!("{}-{}", hour(local.hour() + 23), hour(local.hour() + 2)),
    )
    .await;
    let id = notice(&app, "Lift maintenance on Friday", false).await;
    let progress = app.expect_message(MANAGER, "Broadcast #1").await;
    assert!(progress.body().contains("scheduled"), "{}", progress.body());
    app.press(MANAGER, &progress, "Stop sending");
    app.expect_message(
        MANAGER,
        "Broadcast #1 stopped: 3 copies will not be sent; 0 had gone out already.",
    )
    .await;
    app.settle().await;
    let statuses: Vec<String> = sqlx::query_scalar(
        "SELECT o.status FROM broadcast_recipients r JOIN outbox o ON o.id = r.outbox_id
          WHERE r.broadcast_id = $1 ORDER BY r.chat_id",
    )
    .bind(id)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(statuses, vec!["cancelled"; 3]);
    for o in [3001, 3002, 3003] {
        assert!(!app
            .api
            .messages(o)
            .iter()
            .any(|m| m.body().contains("Lift")));
    }
    // Stopping again: nothing to stop.
    app.say(MANAGER, "/broadcast_stop 1");
    app.expect_message(MANAGER, "Broadcast #1 is not being sent any more")
        .await;
    app.say(MANAGER, "/broadcasts");
    let list = app.expect_message(MANAGER, "Recent broadcasts").await;
    assert!(list.body().contains("stopped"), "{}", list.body());
    app.finish().await;
}

#[tokio::test]
async fn a_recall_deletes_recent_copies_and_names_those_too_old_to_delete() {
    let app = office().await;
    notice(&app, "Wrong date: meeting on the 5th", true).await;
    for o in [3001, 3002, 3003] {
        app.expect_message(o, "Wrong date").await;
    }
    app.settle().await;
    run_due(&app).await;
    app.say(MANAGER, "/broadcast_recall 1");
    let ask = app.expect_message(MANAGER, "Recall broadcast #1").await;
    assert!(
        ask.body().contains("3 copies were delivered"),
        "{}",
        ask.body()
    );
    app.press(MANAGER, &ask, "Recall it");
    app.expect_message(MANAGER, "Recalling broadcast #1: deleting 3 copies")
        .await;
    app.settle().await;
    let deletes = app
        .api
        .requests()
        .iter()
        .filter(|r| r.method.eq_ignore_ascii_case("deleteMessage"))
        .count();
    assert_eq!(deletes, 3);
    for o in [3001, 3002, 3003] {
        let copy = app
            .api
            .messages(o)
            .into_iter()
            .find(|m| m.body().contains("Wrong date"))
            .unwrap();
        assert!(copy.deleted, "{o}'s copy is deleted");
    }
    run_due(&app).await;
    app.settle().await;
    app.expect_message(MANAGER, "Broadcast #1 recalled: 3 of 3 copies deleted.")
        .await;
    app.say(MANAGER, "/broadcast_recall 1");
    app.expect_message(MANAGER, "Broadcast #1 was recalled already")
        .await;

    // A second notice whose copy to 3001 is older than 48 hours by the time
    // of the recall: Telegram refuses that deletion, and the report says so.
    notice(&app, "Parking closed", true).await;
    for o in [3001, 3002, 3003] {
        app.expect_message(o, "Parking closed").await;
    }
    app.settle().await;
    app.api
        .age_messages(Some(3001), Duration::from_secs(49 * 3600));
    app.say(MANAGER, "/broadcast_recall 2");
    let ask = app.expect_message(MANAGER, "Recall broadcast #2").await;
    app.press(MANAGER, &ask, "Recall it");
    app.expect_message(MANAGER, "Recalling broadcast #2").await;
    app.settle().await;
    assert!(app
        .api
        .errors()
        .iter()
        .any(|e| e.method.eq_ignore_ascii_case("deleteMessage")
            && e.description.contains("can't be deleted")));
    run_due(&app).await;
    app.settle().await;
    let report = app
        .expect_message(MANAGER, "Broadcast #2 recalled: 2 of 3 copies deleted.")
        .await;
    assert!(
        report
            .body()
            .contains("1 copy could not be deleted (delivered more than 48 hours ago")
            && report
                .body()
                .contains("this owner still sees it: 3-1-101 (Owner 3001)"),
        "{}",
        report.body()
    );
    let kept = app
        .api
        .messages(3001)
        .into_iter()
        .find(|m| m.body().contains("Parking"))
        .unwrap();
    assert!(!kept.deleted);

    // The bot's own clock past 48 hours: not even asked, named as too old.
    notice(&app, "Gym reopens", true).await;
    for o in [3001, 3002, 3003] {
        app.expect_message(o, "Gym reopens").await;
    }
    app.settle().await;
    let before = app.api.requests().len();
    app.clock.advance(Days::hours(49));
    app.say(MANAGER, "/broadcast_recall 3");
    let ask = app.expect_message(MANAGER, "Recall broadcast #3").await;
    app.press(MANAGER, &ask, "Recall it");
    app.expect_message(MANAGER, "Recalling broadcast #3: deleting 0 copies")
        .await;
    app.settle().await;
    assert!(!app.api.requests()[before..]
        .iter()
        .any(|r| r.method.eq_ignore_ascii_case("deleteMessage")));
    run_due(&app).await;
    app.settle().await;
    let report = app
        .expect_message(MANAGER, "Broadcast #3 recalled: 0 of 0 copies deleted.")
        .await;
    assert!(
        report.body().contains("3 copies could not be deleted"),
        "{}",
        report.body()
    );
    app.finish().await;
}

/// The whole life of an activity with two places and three who want them.
#[tokio::test]
async fn an_activity_runs_from_plan_to_feedback_with_a_waiting_list() {
    let app = office().await;
    let m = MANAGER;
    app.api
        .add_started_user(TestUser::new(BUTLER, "Li").language("en"));
    let tz = chrono_tz::Asia::Shanghai;
    let day = (app.clock.now() + Days::days(3))
        .with_timezone(&tz)
        .date_naive();
    let when = format!("{} 14:00", day.format("%Y-%m-%d"));
    let starts = tz
        .from_local_datetime(&day.and_hms_opt(14, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc);

    app.say(m, "/activity");
    app.expect_message(m, "New public-welfare activity").await;
    app.say(m, "Tree planting");
    app.expect_message(m, "When does it start?").await;
    app.say(m, "2020-01-01 10:00");
    app.expect_message(m, "2020-01-01 10:00 is already past")
        .await;
    app.say(m, &when);
    app.expect_message(m, "Where?").await;
    app.say(m, "North lawn");
    app.expect_message(m, "How many places?").await;
    app.say(m, "0");
    app.expect_message(m, "An activity needs at least 1 place.")
        .await;
    app.say(m, "2");
    let q = app.expect_message(m, "A few words about it").await;
    app.press(m, &q, "Skip");
    let preview = app.expect_message(m, "Announce it to all owners").await;
    assert!(preview.body().contains("Places: 2"), "{}", preview.body());
    app.press(m, &preview, "Announce");
    app.expect_message(m, "Activity #1 is planned and announced as broadcast #1")
        .await;
    let a = app
        .expect_message(3001, "Public-welfare activity: Tree planting")
        .await;
    let b = app.expect_message(3002, "公益活动：Tree planting").await;
    let c = app.expect_message(3003, "Tree planting").await;

    app.press(3001, &a, "Join");
    app.expect_message(3001, "You're in: Tree planting").await;
    app.press(3002, &b, "报名");
    app.expect_message(3002, "报名成功").await;
    app.press(3003, &c, "Join");
    app.expect_message(3003, "you are number 1 on the waiting list")
        .await;
    // A place frees up: the first in line moves up and is told.
    app.press(3001, &a, "Can't come");
    app.expect_message(3001, "you are off the list for Tree planting")
        .await;
    app.expect_message(3003, "a place freed up for Tree planting")
        .await;

    // The day before: a reminder to both who have a place.
    let day_before = tz
        .from_local_datetime(&(day - Days::days(1)).and_hms_opt(10, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc);
    let processor = propdesk::processor::App {
        settings: app.settings.processor.clone(),
        clock: app.clock.clone(),
        dialogues: std::sync::Arc::new(
            propdesk::app::load_dialogues(&app.settings.dialogues_dir).unwrap(),
        ),
    };
    let mut tx = app.db.pool.begin().await.unwrap();
    let early = propdesk::processor::features::activities::run_due(
        &mut tx,
        &processor,
        day_before - Days::hours(1),
    )
    .await
    .unwrap();
    let n = propdesk::processor::features::activities::run_due(&mut tx, &processor, day_before)
        .await
        .unwrap();
    let again = propdesk::processor::features::activities::run_due(
        &mut tx,
        &processor,
        day_before + Days::hours(1),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((early, n, again), (0, 2, 0));
    app.expect_message(3002, "提醒：Tree planting 明天举行")
        .await;
    app.expect_message(3003, "Reminder: Tree planting is tomorrow")
        .await;

    // Attendance: not before it starts; then 3003 came, 3002 did not.
    app.say(BUTLER, "/attendance 1");
    app.expect_message(BUTLER, "Activity #1 has not started yet")
        .await;
    app.clock.advance(starts - app.clock.now() + Days::hours(3));
    app.say(BUTLER, "/attendance 1");
    let roster = app.expect_message(BUTLER, "Who came to activity #1").await;
    assert!(
        roster.body().contains("1. Owner 3002 3-1-201"),
        "{}",
        roster.body()
    );
    assert!(
        roster.body().contains("2. Owner 3003 3-1-202"),
        "{}",
        roster.body()
    );
    app.say(BUTLER, "7");
    app.expect_message(BUTLER, "numbers from 1 to 2").await;
    app.say(BUTLER, "2");
    app.expect_message(BUTLER, "Saved: 1 of 2 came to activity #1")
        .await;
    let form = app
        .expect_message(3003, "Thank you for coming to Tree planting")
        .await;
    app.press(3003, &form, "4");
    app.expect_message(3003, "Anything you would like to tell us?")
        .await;
    app.say(3003, "Lovely morning, more please");
    app.expect_message(3003, "Thank you for your feedback!")
        .await;
    app.settle().await;
    assert!(!app
        .api
        .messages(3002)
        .iter()
        .any(|m| m.body().contains("Thank you for coming")));

    let mut conn = app.db.pool.acquire().await.unwrap();
    let period = propdesk::domain::report::Period {
        from: day,
        to: day,
        kind: propdesk::domain::report::PeriodKind::Range,
    };
    let f = propdesk::domain::report::figures(&mut conn, period, tz, app.clock.now())
        .await
        .unwrap();
    let [s] = f.activities.as_slice() else {
        panic!("{:?}", f.activities)
    };
    assert_eq!(
        (
            s.capacity,
            s.joined,
            s.waiting,
            s.attended,
            s.ratings,
            s.average_rating
        ),
        (2, 2, 0, 1, 1, Some(4.0))
    );
    assert_eq!(s.comments, vec!["Lovely morning, more please".to_string()]);
    drop(conn);
    app.finish().await;
}

/// assistant: /outage → refused. supervisor: /outage → Water → "," (no
/// scope: refused) → 3 → All entrances → 2-3 → Now → tomorrow 18:00 →
/// 中文 → English → Declare and notify now.
#[tokio::test]
async fn only_supervisors_declare_outages_by_form_and_those_in_scope_are_told() {
    let app = office().await;
    let s = app.person(SUPERVISOR, "en");
    let a = app.person(ASSISTANT, "en");
    app.say(a, "/outage");
    app.expect_message(a, "only supervisors and managers can declare outages")
        .await;
    app.say(a, "/incident 3 water 18:00 x");
    app.settle().await;
    assert_eq!(
        app.api
            .messages(a)
            .iter()
            .filter(|m| m.body().contains("only supervisors"))
            .count(),
        2
    );

    app.say(s, "/outage");
    let q = app.expect_message(s, "New outage. What is out?").await;
    app.press(s, &q, "Water outage");
    app.expect_message(s, "Which buildings?").await;
    app.say(s, ",");
    app.expect_message(s, "An outage needs a scope").await;
    app.say(s, "12");
    app.expect_message(s, "There is no “12” here").await;
    app.say(s, "3");
    let q = app.expect_message(s, "Which entrances").await;
    app.press(s, &q, "All entrances");
    app.expect_message(s, "Which floors?").await;
    app.say(s, "2-3");
    let q = app.expect_message(s, "When does it start?").await;
    app.press(s, &q, "Now");
    app.expect_message(s, "When is it expected to end?").await;
    app.say(s, "2020-01-01 18:00");
    app.expect_message(s, "must come after the start").await;
    let end = (app.clock.now() + Days::days(1))
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d 18:00")
        .to_string();
    app.say(s, &end);
    app.expect_message(s, "in Chinese").await;
    app.say(s, "主管道维修，暂停供水。");
    app.expect_message(s, "the notice in English").await;
    app.say(s, "Main pipe repair: no water.");
    let q = app.expect_message(s, "the notice in 繁體中文").await;
    app.press(s, &q, "Skip");
    let preview = app.expect_message(s, "Declare it?").await;
    // Floors 2–3 of building 3: 3002 and 3003 (3004 blocked the bot).
    assert!(
        preview.body().contains("Registered owners affected: 2"),
        "{}",
        preview.body()
    );
    assert!(
        preview.body().contains("building(s) 3 · floors 2–3"),
        "{}",
        preview.body()
    );
    app.press(s, &preview, "Declare and notify now");
    app.expect_message(s, "Outage #1 declared").await;
    app.expect_message(s, "queued for 2 owners").await;
    app.expect_message(3002, "主管道维修").await;
    app.expect_message(3003, "Main pipe repair: no water.")
        .await;
    app.settle().await;
    assert!(
        app.api.messages(3001).is_empty(),
        "floor 1 is not in the scope"
    );

    app.say(s, "/incident_update 1 The repair takes longer than planned");
    app.expect_message(s, "sent to 2 owners").await;
    app.expect_message(3003, "Update on outage #1").await;
    app.say(s, "/incident_close 1 Water is back");
    app.expect_message(s, "Outage #1 closed").await;
    app.expect_message(3003, "Good news").await;
    app.expect_message(3002, "好消息").await;
    let assistant_tries: i64 =
        sqlx::query_scalar("SELECT count(*) FROM incidents WHERE declared_by = $1")
            .bind(ASSISTANT)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(assistant_tries, 0);
    let _ = WAIT;
    app.finish().await;
}

/// The scheduled copies of broadcast `id`: (chat, not_before) per copy.
async fn queued_copies(app: &TestApp, id: i64) -> Vec<(i64, chrono::DateTime<Utc>)> {
    sqlx::query_as(
        "SELECT r.chat_id, o.not_before FROM broadcast_recipients r
           JOIN outbox o ON o.id = r.outbox_id
          WHERE r.broadcast_id = $1 AND o.status = 'pending' ORDER BY r.chat_id",
    )
    .bind(id)
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

/// manager: /broadcast → A building and floor → "3" (refused) → "3 2" →
///          Balcony inspection … → No photo → Skip → Add the buttons → Not
///          urgent → At a time → "soon" (refused) → 2020-01-01 (refused) →
///          the day after tomorrow 10:00 → Send.
/// Nothing goes out before then; at 10:00 floor 2 of building 3 gets it.
/// 3002 joins, 3003 cannot; a follow-up to those who joined reaches 3002.
#[tokio::test]
async fn a_floor_notice_sent_later_and_a_follow_up_to_those_who_joined() {
    let app = office().await;
    let m = MANAGER;
    let tz = chrono_tz::Asia::Shanghai;
    app.say(m, "/broadcast");
    let q = app.expect_message(m, "Who should receive it").await;
    app.press(m, &q, "A building and floor");
    app.expect_message(m, "Type the building and the floor")
        .await;
    app.say(m, "3");
    app.expect_message(m, "Type the building and floor as in: 3 12")
        .await;
    app.say(m, "3 2");
    app.expect_message(m, "Audience: building 3, floor 2 (2 people)")
        .await;
    app.say(m, "Balcony inspection on Wednesday, 14:00-16:00.");
    let q = app.expect_message(m, "Attach a photo?").await;
    app.press(m, &q, "No photo");
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
    app.press(m, &q, "At a time");
    app.expect_message(m, "Type the time to send").await;
    app.say(m, "soon");
    app.expect_message(m, "I could not read that time").await;
    app.say(m, "2020-01-01 10:00");
    app.expect_message(m, "That time has already passed").await;
    let day = (app.clock.now() + Days::days(2))
        .with_timezone(&tz)
        .date_naive();
    let local = format!("{} 10:00", day.format("%Y-%m-%d"));
    let at = tz
        .from_local_datetime(&day.and_hms_opt(10, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc);
    app.say(m, &local);
    let summary = app.expect_message(m, "Send it?").await;
    assert!(
        summary.body().contains(&format!("Sending: {local}")),
        "{}",
        summary.body()
    );
    app.press(m, &summary, "Send");
    let progress = app.expect_message(m, "Broadcast #1").await;
    assert!(
        progress.body().contains(&format!("scheduled for {local}")),
        "{}",
        progress.body()
    );
    app.settle().await;

    // Queued for 10:00 on that day, for floor 2 only; nobody has it yet,
    // and the job leaves it scheduled.
    let copies = queued_copies(&app, 1).await;
    assert_eq!(
        copies.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        vec![3002, 3003]
    );
    assert!(copies.iter().all(|(_, nb)| *nb == at), "{copies:?}");
    run_due(&app).await;
    for o in OWNERS {
        assert!(app.api.messages(o).is_empty(), "{o} got it early");
    }

    // 10:00 comes. The sender reads the database's clock, so the copies'
    // time is brought to now, as the bot's own clock moves past 10:00.
    app.clock.advance(at - app.clock.now() + Days::minutes(1));
    sqlx::query(
        "UPDATE outbox SET not_before = now()
          WHERE id IN (SELECT outbox_id FROM broadcast_recipients WHERE broadcast_id = 1)",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    let zh = app.expect_message(3002, "Balcony inspection").await;
    let en = app.expect_message(3003, "Balcony inspection").await;
    app.settle().await;
    for o in [3001, 4001] {
        assert!(app.api.messages(o).is_empty(), "{o} is not on floor 2");
    }
    app.press(3002, &zh, "参加");
    app.press(3003, &en, "Can't come");
    app.settle().await;
    run_due(&app).await;

    // The follow-up: to those who joined broadcast #1 (each question is
    // asked the second time now).
    app.say(m, "/broadcast");
    let q = asked(&app, "Who should receive it", 2).await;
    app.press(m, &q, "Who joined an earlier activity");
    app.expect_message(m, "Type the number of the earlier broadcast")
        .await;
    app.say(m, "7");
    app.expect_message(m, "Broadcast #7 does not exist or had no Join buttons")
        .await;
    app.say(m, "1");
    app.expect_message(m, "Audience: who joined broadcast #1 (1 person)")
        .await;
    app.say(
        m,
        "Inspectors will ring at your door; thank you for joining.",
    );
    for (question, label) in [
        ("Attach a photo?", "No photo"),
        ("the English version of the notice", "Skip"),
        ("the 繁體中文 version of the notice", "Skip"),
        ("Is this an activity?", "No buttons"),
        ("Is it urgent", "Not urgent"),
        ("When should it go out?", "Send now"),
        ("Send it?", "Send"),
    ] {
        let q = asked(&app, question, 2).await;
        app.press(m, &q, label);
    }
    // "Send now" is the bot's now, two days ahead of the database's clock
    // the sender reads: bring the copies' time to the database's now.
    app.settle().await;
    sqlx::query(
        "UPDATE outbox SET not_before = now()
          WHERE id IN (SELECT outbox_id FROM broadcast_recipients WHERE broadcast_id = 2)",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    app.expect_message(3002, "Inspectors will ring").await;
    app.settle().await;
    assert!(!app
        .api
        .messages(3003)
        .iter()
        .any(|x| x.body().contains("Inspectors")));
    app.finish().await;
}

/// The `n`th message to the manager containing `question` (waits for it).
async fn asked(app: &TestApp, question: &str, n: usize) -> propdesk::standin::SentMessage {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let found: Vec<_> = app
            .api
            .messages(MANAGER)
            .into_iter()
            .filter(|x| x.body().contains(question))
            .collect();
        if let Some(q) = found.get(n - 1) {
            return q.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{question:?} asked {} times, not {n}",
            found.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// manager: /broadcast → A list of units → "3-1-101, 9-9-999" (refused) →
///          "3-1-101 4-1-101" → text → … → Send now → Send: those two units
///          only. Then a draft left alone past its time is discarded with a
///          notice, and nothing of it is sent.
#[tokio::test]
async fn a_notice_to_a_list_of_units_and_a_draft_that_expires_with_a_notice() {
    let app = office().await;
    let m = MANAGER;
    app.say(m, "/broadcast");
    let q = app.expect_message(m, "Who should receive it").await;
    app.press(m, &q, "A list of units");
    app.expect_message(m, "Type the unit codes").await;
    app.say(m, "3-1-101, 9-9-999");
    app.expect_message(m, "These units do not exist: 9-9-999")
        .await;
    app.say(m, "3-1-101 4-1-101");
    app.expect_message(m, "Audience: 2 units (3-1-101, 4-1-101) (2 people)")
        .await;
    app.say(m, "Your meters are read on Monday.");
    for (question, label) in [
        ("Attach a photo?", "No photo"),
        ("the English version of the notice", "Skip"),
        ("the 繁體中文 version of the notice", "Skip"),
        ("Is this an activity?", "No buttons"),
        ("Is it urgent", "Not urgent"),
        ("When should it go out?", "Send now"),
        ("Send it?", "Send"),
    ] {
        let q = asked(&app, question, 1).await;
        app.press(m, &q, label);
    }
    app.expect_message(3001, "meters are read").await;
    app.expect_message(4001, "meters are read").await;
    app.settle().await;
    for o in [3002, 3003] {
        assert!(app.api.messages(o).is_empty(), "{o} is not on the list");
    }

    // A second draft, left after its audience.
    app.say(m, "/broadcast");
    let q = asked(&app, "Who should receive it", 2).await;
    app.press(m, &q, "All owners");
    asked(&app, "Audience: all owners", 1).await;
    app.settle().await;
    let ttl = app.settings.processor.draft_ttl;
    let mut conn = app.db.pool.acquire().await.unwrap();
    let early = propdesk::processor::conversation::expire_drafts(
        &mut conn,
        app.clock.now() + ttl - Days::hours(1),
        ttl,
    )
    .await
    .unwrap();
    let late = propdesk::processor::conversation::expire_drafts(
        &mut conn,
        app.clock.now() + ttl + Days::minutes(1),
        ttl,
    )
    .await
    .unwrap();
    drop(conn);
    assert_eq!((early, late), (0, 1));
    app.expect_message(
        m,
        "Broadcast draft #2 was left unfinished for 24 hours and has been discarded; nothing was sent.",
    )
    .await;
    let status: String = sqlx::query_scalar("SELECT status FROM broadcasts WHERE id = 2")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "cancelled");
    // The draft's question is gone: a message now is not taken as its text.
    app.say(m, "Meeting moved");
    app.settle().await;
    let recipients: i64 =
        sqlx::query_scalar("SELECT count(*) FROM broadcast_recipients WHERE broadcast_id = 2")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(recipients, 0);
    app.finish().await;
}
