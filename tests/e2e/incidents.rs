//! Arrears reminders and outages, end to end.
//!
//! Reminders: owners choose with `/reminders on|off`; `run_due` (called here
//! with a chosen `now`) queues one reminder a month per opted-in person in
//! arrears, deferred past quiet hours.
//!
//! Outages, as a transcript:
//! ```text
//! manager> /incident 3,5 water 2026-11-28T18:00 Pipe repair on the main line
//! bot    > Outage #1 declared … [Notify affected owners]
//! owner (building 3)> [Repair] [None of these] [Lift]
//! bot    > Please describe the problem …   (a lift repair: not about a water outage)
//! owner (building 3)> [Repair] [None of these] [Water / plumbing]
//! bot    > ⚠️ Water outage (#1) … Pipe repair on the main line
//!          Is your repair about this? [Add me to this outage] [Report something else]
//! owner  > [Add me to this outage]
//! bot    > Noted: your report is added to outage #1 …
//! manager> /incident_close 1 Water is back
//! bot → owner> Good news: the Water outage you reported (#1 …) is over. Water is back
//! ```

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use propdesk::clock::SystemClock;
use propdesk::domain::staff::{self, StaffRole};
use propdesk::processor::features::reminders::run_due;
use propdesk::processor::{App, ProcessorSettings};
use sqlx::PgPool;

use propdesk::standin::SentMessage;

use crate::support::{spawn_app, TestApp};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    TZ.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// The processor's shared state, for calling `run_due` as the scheduler would.
fn processor_app(app: &TestApp) -> App {
    App {
        settings: ProcessorSettings::defaults(),
        clock: Arc::new(SystemClock),
        dialogues: Arc::new(propdesk::app::load_dialogues(&app.settings.dialogues_dir).unwrap()),
    }
}

async fn unit(pool: &PgPool, code: &str) -> i64 {
    let building = code.split('-').next().unwrap();
    sqlx::query_scalar(
        "INSERT INTO units (code, building, entrance, floor, area_m2) VALUES ($1, $2, '1', 1, 80)
         RETURNING id",
    )
    .bind(code)
    .bind(building)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// A person of `unit_id`, bound to Telegram account `telegram` if given.
async fn owner(pool: &PgPool, unit_id: i64, name: &str, telegram: Option<i64>) -> i64 {
    let phone = format!("+86138{:08}", telegram.unwrap_or(unit_id + 50_000_000));
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO people (name, phone, telegram_user_id, language) VALUES ($1, $2, $3, 'en')
         RETURNING id",
    )
    .bind(name)
    .bind(phone)
    .bind(telegram)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO unit_members (unit_id, person_id, role, is_default) VALUES ($1, $2, 'owner', TRUE)",
    )
    .bind(unit_id)
    .bind(id)
    .execute(pool)
    .await
    .unwrap();
    id
}

async fn fee(pool: &PgPool, unit_id: i64, period: &str, due: i64, paid: i64, due_date: NaiveDate) {
    sqlx::query(
        "INSERT INTO fees (unit_id, period, item, amount_due_cents, amount_paid_cents, due_date)
         VALUES ($1, $2, 'property management', $3, $4, $5)",
    )
    .bind(unit_id)
    .bind(period)
    .bind(due)
    .bind(paid)
    .bind(due_date)
    .execute(pool)
    .await
    .unwrap();
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn owners_choose_reminders_and_the_opted_in_get_exactly_one_a_month() {
    let app = spawn_app().await;
    let pool = app.db.pool.clone();
    let oct = NaiveDate::from_ymd_opt(2026, 10, 31).unwrap();
    let (u1, u2, u3) = (
        unit(&pool, "3-1-101").await,
        unit(&pool, "3-1-102").await,
        unit(&pool, "3-1-103").await,
    );
    let opted_in = app.person(2001, "en");
    let opted_out = app.person(2002, "en");
    let paid_up = app.person(2003, "en");
    let stranger = app.person(2004, "en");
    let in_id = owner(&pool, u1, "Li Wei", Some(opted_in)).await;
    owner(&pool, u2, "Wang Fang", Some(opted_out)).await;
    owner(&pool, u3, "Zhao Min", Some(paid_up)).await;
    fee(&pool, u1, "2026-10", 33115, 0, oct).await;
    fee(&pool, u2, "2026-10", 33115, 0, oct).await;
    fee(&pool, u3, "2026-10", 33115, 33115, oct).await;

    app.say(opted_in, "/reminders on");
    app.expect_message(opted_in, "fee reminders are on").await;
    app.say(opted_in, "/reminders sometimes");
    app.expect_message(opted_in, "Send /reminders on to get a monthly reminder")
        .await;
    app.say(opted_out, "/reminders off");
    app.expect_message(opted_out, "fee reminders are off").await;
    app.say(paid_up, "/reminders");
    app.expect_message(paid_up, "Fee reminders are currently on")
        .await;
    app.say(stranger, "/reminders on");
    app.expect_message(stranger, "need a registered account first")
        .await;
    app.settle().await;

    let processor = processor_app(&app);
    // Before the reminder day's 10:00 nothing is due.
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(
        run_due(&mut conn, &processor, local(2026, 11, 5, 9, 59))
            .await
            .unwrap(),
        0
    );
    let nov = local(2026, 11, 5, 10, 30);
    assert_eq!(run_due(&mut conn, &processor, nov).await.unwrap(), 1);
    assert_eq!(
        run_due(&mut conn, &processor, nov + Duration::hours(3))
            .await
            .unwrap(),
        0,
        "a second run in the same month sends nothing"
    );
    drop(conn);

    // Two processes at once, the next month.
    let dec = local(2026, 12, 5, 11, 0);
    let (mut a, mut b) = (pool.acquire().await.unwrap(), pool.acquire().await.unwrap());
    let (ra, rb) = tokio::join!(
        run_due(&mut a, &processor, dec),
        run_due(&mut b, &processor, dec)
    );
    assert_eq!(ra.unwrap() + rb.unwrap(), 1);
    drop((a, b));

    let reminder = app.expect_message(opted_in, "friendly reminder").await;
    assert!(
        reminder.body().contains("3-1-101: ¥331.15") && reminder.body().contains("Dear Li Wei"),
        "{}",
        reminder.body()
    );
    app.settle().await;
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT person_id, period FROM fee_reminders_sent ORDER BY period")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        rows,
        vec![
            (in_id, "2026-11".to_string()),
            (in_id, "2026-12".to_string())
        ]
    );
    let lanes: Vec<(i64, i16)> = sqlx::query_as(
        "SELECT chat_id, lane FROM outbox WHERE request->>'text' LIKE '%friendly reminder%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(lanes, vec![(opted_in, 2), (opted_in, 2)]);
    for quiet in [opted_out, paid_up] {
        assert!(
            !app.api
                .messages(quiet)
                .iter()
                .any(|m| m.body().contains("friendly reminder")),
            "{quiet} was reminded"
        );
    }
    app.finish().await;
}

#[tokio::test]
async fn a_reminder_due_in_quiet_hours_waits_until_eight() {
    let app = spawn_app().await;
    let pool = app.db.pool.clone();
    let u = unit(&pool, "5-2-301").await;
    let chat = app.person(2101, "zh");
    owner(&pool, u, "陈静", Some(chat)).await;
    sqlx::query("UPDATE people SET language = 'zh'")
        .execute(&pool)
        .await
        .unwrap();
    fee(
        &pool,
        u,
        "2026-10",
        20000,
        5000,
        NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
    )
    .await;
    let processor = processor_app(&app);
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(
        run_due(&mut conn, &processor, local(2026, 11, 5, 22, 30))
            .await
            .unwrap(),
        1
    );
    drop(conn);
    let (lane, not_before, text): (i16, DateTime<Utc>, String) =
        sqlx::query_as("SELECT lane, not_before, request->>'text' FROM outbox WHERE chat_id = $1")
            .bind(chat)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(lane, 2);
    assert_eq!(not_before, local(2026, 11, 6, 8, 0));
    assert!(
        text.contains("温馨提示") && text.contains("¥150.00"),
        "{text}"
    );
    app.finish().await;
}

/// The estate for the outage tests: buildings 3, 5 and 9, a manager.
struct Estate {
    manager: i64,
    /// Building 3, registered.
    in_three: i64,
    in_three_person: i64,
    /// Building 5, registered.
    in_five: i64,
    /// Building 5, registered, blocked the bot.
    blocked: i64,
    /// Building 9, registered.
    in_nine: i64,
}

async fn estate(app: &TestApp) -> Estate {
    let pool = &app.db.pool;
    let manager = app.person(3001, "en");
    let mut conn = pool.acquire().await.unwrap();
    staff::upsert(&mut conn, manager, "Manager Zhou", StaffRole::Manager)
        .await
        .unwrap();
    drop(conn);
    let in_three = app.person(2201, "en");
    let in_five = app.person(2202, "en");
    let in_nine = app.person(2204, "en");
    let blocked = 2203;
    let in_three_person = owner(
        pool,
        unit(pool, "3-1-101").await,
        "Owner Three",
        Some(in_three),
    )
    .await;
    owner(
        pool,
        unit(pool, "5-1-101").await,
        "Owner Five",
        Some(in_five),
    )
    .await;
    owner(
        pool,
        unit(pool, "5-1-102").await,
        "Owner Blocked",
        Some(blocked),
    )
    .await;
    owner(
        pool,
        unit(pool, "9-1-101").await,
        "Owner Nine",
        Some(in_nine),
    )
    .await;
    // Someone of building 3 who never registered on Telegram.
    owner(pool, unit(pool, "3-1-102").await, "Paper Owner", None).await;
    sqlx::query("INSERT INTO chats (chat_id, kind, language, blocked_at) VALUES ($1, 'private', 'en', now())")
        .bind(blocked)
        .execute(pool)
        .await
        .unwrap();
    Estate {
        manager,
        in_three,
        in_three_person,
        in_five,
        blocked,
        in_nine,
    }
}

/// Tomorrow at this time, written as staff type it.
fn tomorrow() -> String {
    (Utc::now() + Duration::days(1))
        .with_timezone(&TZ)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// The first message to `chat` after message `after` that contains `needle`.
async fn next_with(app: &TestApp, chat: i64, after: i64, needle: &str) -> SentMessage {
    app.api
        .wait_for_message(
            chat,
            |m| m.message_id > after && m.body().contains(needle),
            crate::support::WAIT,
        )
        .await
        .unwrap_or_else(|e| panic!("waiting for {needle:?}: {e:#}"))
}

/// `owner` opens the menu, presses Repair, answers "None of these" to the
/// emergencies: the question of what needs repairing.
async fn repair(app: &TestApp, owner: i64) -> SentMessage {
    app.settle().await;
    let after = app.api.messages(owner).last().map_or(0, |m| m.message_id);
    app.say(owner, "/menu");
    let menu = next_with(app, owner, after, "").await;
    app.press(owner, &menu, "Repair");
    let emergency = next_with(
        app,
        owner,
        menu.message_id,
        "is this one of these emergencies",
    )
    .await;
    app.press(owner, &emergency, "None of these");
    next_with(app, owner, emergency.message_id, "What needs repairing?").await
}

/// A water outage for buildings 3 and 5: a lift repair in building 3 is not
/// offered it, a water repair there is (and joins it, filing no ticket), a
/// water repair in building 9 is not, nor one after the all-clear.
#[tokio::test]
async fn an_owner_in_an_affected_building_joins_the_outage_instead_of_filing_a_ticket() {
    let app = spawn_app().await;
    let pool = app.db.pool.clone();
    let e = estate(&app).await;

    app.say(
        e.manager,
        &format!(
            "/incident 3,5 water {} Pipe repair on the main line",
            tomorrow()
        ),
    );
    let declared = app.expect_message(e.manager, "Outage #1 declared").await;
    assert!(
        declared.body().contains("building(s) 3, 5"),
        "{}",
        declared.body()
    );

    // Building 3, a lift repair: the water outage is not offered.
    let what = repair(&app, e.in_three).await;
    app.press(e.in_three, &what, "Lift");
    let details = next_with(
        &app,
        e.in_three,
        what.message_id,
        "Please describe the problem",
    )
    .await;
    app.say(e.in_three, "/cancel");
    next_with(&app, e.in_three, details.message_id, "Cancelled").await;
    app.settle().await;
    assert!(!app
        .api
        .messages(e.in_three)
        .iter()
        .any(|m| m.body().contains("Pipe repair")));

    // Building 3, a water repair: offered the outage, joins it.
    let what = repair(&app, e.in_three).await;
    app.press(e.in_three, &what, "Water / plumbing");
    let offer = next_with(
        &app,
        e.in_three,
        what.message_id,
        "Is your repair about this?",
    )
    .await;
    assert!(offer.body().contains("Pipe repair on the main line"));
    assert!(offer.callback_data("Report something else").is_some());
    app.press(e.in_three, &offer, "Add me to this outage");
    app.expect_message(e.in_three, "your report is added to outage #1")
        .await;

    // Building 9, a water repair: out of the outage's scope, the dialogue
    // as usual.
    let what = repair(&app, e.in_nine).await;
    app.press(e.in_nine, &what, "Water / plumbing");
    next_with(
        &app,
        e.in_nine,
        what.message_id,
        "Please describe the problem",
    )
    .await;
    app.settle().await;
    assert!(!app
        .api
        .messages(e.in_nine)
        .iter()
        .any(|m| m.body().contains("Pipe repair")));
    assert_eq!(count(&pool, "SELECT count(*) FROM tickets").await, 0);
    let reports: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT incident_id, person_id, chat_id FROM incident_reports")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(reports, vec![(1, e.in_three_person, e.in_three)]);

    // (Telegram lets a bot write only to people who have started it.)
    app.say(e.in_five, "/start");
    app.nth_message(e.in_five, 1).await;
    // The manager notifies buildings 3 and 5: the blocked chat, building 9
    // and the owner without Telegram are skipped.
    app.press(e.manager, &declared, "Notify affected owners");
    app.expect_message(e.manager, "queued for 2 owners").await;
    app.expect_message(e.in_five, "Pipe repair on the main line")
        .await;
    app.settle().await;
    let broadcast: Vec<i64> =
        sqlx::query_scalar("SELECT chat_id FROM outbox WHERE lane = 3 ORDER BY chat_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(broadcast, vec![e.in_three, e.in_five]);
    assert!(!broadcast.contains(&e.blocked));

    app.say(e.manager, "/incidents");
    let list = app.expect_message(e.manager, "Active outages").await;
    assert!(
        list.body().contains("· 1 owner report\n"),
        "{}",
        list.body()
    );

    app.say(e.manager, "/incident_close 1 Water is back");
    app.expect_message(e.manager, "Outage #1 closed").await;
    let closed = app.expect_message(e.in_three, "Good news").await;
    assert!(closed.body().contains("Water is back"), "{}", closed.body());
    app.say(e.manager, "/incident_close 1");
    app.expect_message(e.manager, "was already closed").await;

    // Closed: a new water repair is not offered it.
    let what = repair(&app, e.in_three).await;
    app.press(e.in_three, &what, "Water / plumbing");
    next_with(
        &app,
        e.in_three,
        what.message_id,
        "Please describe the problem",
    )
    .await;
    app.settle().await;
    // Building 5 was told of the outage, so it is told of the all-clear.
    assert!(app
        .api
        .messages(e.in_five)
        .iter()
        .any(|m| m.body().contains("Good news")));
    app.finish().await;
}

#[tokio::test]
async fn someone_not_on_the_staff_cannot_declare_an_outage() {
    let app = spawn_app().await;
    let e = estate(&app).await;
    app.say(
        e.in_three,
        &format!("/incident 3 water {} No water today", tomorrow()),
    );
    app.expect_message(e.in_three, "only for property office staff")
        .await;
    app.say(e.in_three, "/incident_close 1");
    app.settle().await;
    let refusals = app
        .api
        .messages(e.in_three)
        .iter()
        .filter(|m| m.body().contains("only for property office staff"))
        .count();
    assert_eq!(refusals, 2);
    assert_eq!(
        count(&app.db.pool, "SELECT count(*) FROM incidents").await,
        0
    );
    app.finish().await;
}

#[tokio::test]
async fn each_bad_outage_declaration_gets_its_own_answer() {
    let app = spawn_app().await;
    let e = estate(&app).await;
    let end = tomorrow();
    let long = "x".repeat(3501);
    let cases = [
        // Without arguments: the outage form (its first question).
        ("/incident".to_string(), "New outage. What is out?"),
        (
            "/incident ,".to_string(),
            "Please name the affected building",
        ),
        (
            format!("/incident 3,12 water {end} Pipe"),
            "There is no building 12. The estate's buildings are: 3, 5, 9",
        ),
        ("/incident 3".to_string(), "Please give the kind"),
        (
            format!("/incident 3 fire {end} Pipe"),
            "Unknown kind \"fire\"",
        ),
        (
            "/incident 3 water".to_string(),
            "Please give the expected end",
        ),
        (
            "/incident 3 water soon Pipe".to_string(),
            "Cannot read the time \"soon\"",
        ),
        (
            "/incident 3 water 2020-01-01T10:00 Pipe".to_string(),
            "2020-01-01 10:00 is already past",
        ),
        (format!("/incident 3 water {end}"), "Please add a text"),
        (
            format!("/incident 3 water {end} {long}"),
            "The text has 3501 characters, over the limit of 3500",
        ),
        ("/incident_close".to_string(), "To close an outage"),
        ("/incident_close 99".to_string(), "There is no outage #99"),
    ];
    for (n, (command, needle)) in cases.iter().enumerate() {
        app.say(e.manager, command);
        let answer = app.nth_message(e.manager, n + 1).await;
        assert!(
            answer.body().contains(needle),
            "{command:.60} → {}",
            answer.body()
        );
    }
    // In the staff group, answers come in the group's language (Chinese).
    let group = -100_777;
    app.api.add_group(group, "Staff");
    app.api
        .send_text_in_group(group, e.manager, "/incident 12 water 18:00 x")
        .unwrap();
    app.expect_message(group, "没有 12 号楼").await;
    app.api
        .send_text_in_group(group, e.manager, "/incidents")
        .unwrap();
    app.expect_message(group, "目前没有进行中的故障").await;
    assert_eq!(
        count(&app.db.pool, "SELECT count(*) FROM incidents").await,
        0
    );
    app.finish().await;
}
