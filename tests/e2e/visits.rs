//! Visits and survey campaigns, end to end. The clock is moved, never slept
//! on: `run_due` is called with chosen instants, as the scheduler would.
//!
//! ```text
//! butler: /visit 1 2026-12-02 10:00
//! bot → owner: 🔧 The property office proposes to visit on Wed 02 Dec 10:00 … [Confirm] [Another time]
//! bot → butler: Visit V1 (#1 · 3-2-1101) proposed for Wed 02 Dec 10:00; waiting for the owner …
//! (24 h before) bot → owner: ⏰ Reminder: the property office visits you tomorrow …
//! (1 h before)  bot → owner, butler: ⏰ … visits you soon, at … / Coming up: visit …
//! ```

use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Asia::Shanghai;
use propdesk::clock::Clock;
use propdesk::domain::staff::{self, StaffRole};
use propdesk::domain::survey_report::survey_report;
use propdesk::domain::surveys::{self, SurveyCode};
use propdesk::domain::visits;
use propdesk::processor::features::visits::run_due;
use propdesk::processor::App;
use sqlx::PgPool;

use crate::support::{spawn_app, TestApp, WAIT};

const BUTLER: i64 = 500;
const OWNER: i64 = 501;

/// The processor's view of the app, for calling `run_due` as the scheduler does.
fn processor_app(app: &TestApp) -> App {
    App {
        settings: app.settings.processor.clone(),
        clock: app.clock.clone() as Arc<dyn Clock>,
        dialogues: Arc::new(
            propdesk::app::load_dialogues(&app.settings.dialogues_dir).expect("dialogues"),
        ),
    }
}

/// Moves the clock to the coming Monday 08:00 in Shanghai and returns that
/// Monday's date (a fixed point for times in the tests).
fn to_monday_morning(app: &TestApp) -> NaiveDate {
    let now = app.clock.now();
    let mut day = now.with_timezone(&Shanghai).date_naive() + Duration::days(1);
    while day.weekday() != Weekday::Mon {
        day += Duration::days(1);
    }
    app.clock.advance(local(day, 0, 8, 0) - now);
    day
}

fn local(monday: NaiveDate, plus_days: i64, h: u32, m: u32) -> DateTime<Utc> {
    let date = monday + Duration::days(plus_days);
    Shanghai
        .from_local_datetime(&date.and_hms_opt(h, m, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn typed(at: DateTime<Utc>) -> String {
    at.with_timezone(&Shanghai)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

async fn seed_unit(pool: &PgPool, code: &str, building: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO units (code, building, entrance, floor, area_m2) VALUES ($1, $2, '1', 11, 89.5)
         RETURNING id",
    )
    .bind(code)
    .bind(building)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn seed_member(pool: &PgPool, unit: i64, telegram: Option<i64>, phone: &str) -> i64 {
    let person: i64 = sqlx::query_scalar(
        "INSERT INTO people (name, phone, telegram_user_id, language) VALUES ('Owner', $1, $2, 'en')
         RETURNING id",
    )
    .bind(phone)
    .bind(telegram)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO unit_members (unit_id, person_id, role, is_default) VALUES ($1, $2, 'owner', TRUE)",
    )
    .bind(unit)
    .bind(person)
    .execute(pool)
    .await
    .unwrap();
    person
}

async fn seed_staff(pool: &PgPool, id: i64, role: StaffRole) {
    let mut conn = pool.acquire().await.unwrap();
    staff::upsert(&mut conn, id, &format!("Staff {id}"), role)
        .await
        .unwrap();
}

/// A repair ticket of unit 3-2-1101 filed by `OWNER`; returns its number.
async fn seed_ticket(app: &TestApp) -> i64 {
    let pool = &app.db.pool;
    let unit = seed_unit(pool, "3-2-1101", "3").await;
    let person = seed_member(pool, unit, Some(OWNER), "+8613800000501").await;
    seed_staff(pool, BUTLER, StaffRole::Butler).await;
    app.person(BUTLER, "en");
    app.person(OWNER, "en");
    started(app, OWNER).await;
    sqlx::query_scalar(
        "INSERT INTO tickets (kind, description, unit_id, person_id, owner_chat_id)
         VALUES ('repair', 'The kitchen tap drips', $1, $2, $3) RETURNING id",
    )
    .bind(unit)
    .bind(person)
    .bind(OWNER)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The person has opened the chat with the bot (Telegram lets a bot write
/// only to those who have).
async fn started(app: &TestApp, person: i64) {
    app.say(person, "/start");
    app.nth_message(person, 1).await;
}

/// Waits (up to the harness's limit) until `check` holds.
async fn eventually(check: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "never happened");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn count(app: &TestApp, chat: i64, needle: &str) -> usize {
    app.api
        .messages(chat)
        .iter()
        .filter(|m| m.body().contains(needle))
        .count()
}

async fn due(app: &TestApp, processor: &App, now: DateTime<Utc>) -> u64 {
    let mut conn = app.db.pool.acquire().await.unwrap();
    run_due(&mut conn, processor, now).await.unwrap()
}

#[tokio::test]
async fn visit_reminders_fire_once_each_even_from_two_processes() {
    let app = spawn_app().await;
    let monday = to_monday_morning(&app);
    let processor = processor_app(&app);
    let ticket = seed_ticket(&app).await;
    let at = local(monday, 2, 10, 0); // Wednesday 10:00
    app.say(BUTLER, &format!("/visit {ticket} {}", typed(at)));
    app.expect_message(BUTLER, "Visit V1 (#1 · 3-2-1101) proposed for Wed")
        .await;
    let proposal = app.expect_message(OWNER, "proposes to visit").await;
    assert!(proposal.callback_data("✅ Confirm").is_some());
    app.settle().await;

    assert_eq!(due(&app, &processor, at - Duration::hours(25)).await, 0);
    let day_before = at - Duration::hours(24) + Duration::seconds(1);
    assert_eq!(due(&app, &processor, day_before).await, 1);
    assert_eq!(due(&app, &processor, day_before).await, 0, "sent once");

    // Two schedulers at the same instant, on two connections.
    let hour_before = at - Duration::hours(1);
    let (a, b) = tokio::join!(
        due(&app, &processor, hour_before),
        due(&app, &processor, hour_before)
    );
    assert_eq!(a + b, 2, "owner and staff reminders, once each");
    assert_eq!(due(&app, &processor, hour_before).await, 0);
    assert_eq!(due(&app, &processor, at + Duration::hours(1)).await, 0);

    app.expect_message(OWNER, "visits you soon, at").await;
    app.expect_message(BUTLER, "Coming up: visit V1").await;
    app.settle().await;
    assert_eq!(count(&app, OWNER, "visits you tomorrow"), 1);
    assert_eq!(count(&app, OWNER, "visits you soon"), 1);
    assert_eq!(count(&app, BUTLER, "Coming up: visit"), 1);
    let sent: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM reminders WHERE result = 'sent' AND outbox_id IS NOT NULL",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(sent, 3);
    app.finish().await;
}

#[tokio::test]
async fn a_reschedule_moves_the_reminders_and_the_old_ones_never_fire() {
    let app = spawn_app().await;
    let monday = to_monday_morning(&app);
    let processor = processor_app(&app);
    let ticket = seed_ticket(&app).await;
    let first = local(monday, 1, 16, 0); // Tuesday 16:00
    app.say(BUTLER, &format!("/visit {ticket} {}", typed(first)));
    let proposal = app.expect_message(OWNER, "proposes to visit").await;
    app.press(OWNER, &proposal, "🕒 Another time");
    let slots = app
        .expect_message(OWNER, "Which of these times suits you")
        .await;
    let buttons = slots.buttons();
    // Tue 09:00 … Thu 14:00 (the next three working days after Monday).
    assert_eq!(buttons.len(), 6, "{buttons:?}");
    let last = buttons.last().unwrap();
    let thursday = monday + Duration::days(3);
    assert_eq!(last.text, format!("{} 14:00", thursday.format("%a %d %b")));
    app.press(OWNER, &slots, &last.text);
    app.expect_message(OWNER, "the visit is now on Thu").await;
    app.expect_message(BUTLER, "The owner moved visit V1").await;
    app.expect_message(BUTLER, "asked to reschedule visit V1")
        .await;
    app.settle().await;

    let moved = local(monday, 3, 14, 0);
    let (status, appointment): (String, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT status, appointment_at FROM tickets WHERE id = $1")
            .bind(ticket)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), appointment), ("scheduled", Some(moved)));
    let live: Vec<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT due_at FROM reminders WHERE cancelled_at IS NULL ORDER BY due_at, kind",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        live,
        vec![
            moved - Duration::hours(24),
            moved - Duration::hours(1),
            moved - Duration::hours(1)
        ]
    );

    // The old times pass: nothing.
    assert_eq!(due(&app, &processor, first - Duration::hours(24)).await, 0);
    assert_eq!(due(&app, &processor, first - Duration::hours(1)).await, 0);
    // The new ones fire.
    assert_eq!(due(&app, &processor, moved - Duration::hours(24)).await, 1);
    assert_eq!(due(&app, &processor, moved - Duration::hours(1)).await, 2);
    app.expect_message(OWNER, "visits you soon, at Thu").await;
    app.settle().await;
    assert_eq!(count(&app, OWNER, "Reminder"), 2);
    assert!(app
        .api
        .messages(OWNER)
        .iter()
        .all(|m| !(m.body().contains("Reminder") && m.body().contains("Tue"))));
    app.finish().await;
}

#[tokio::test]
async fn a_visit_in_the_past_or_outside_office_hours_is_refused_and_owners_cannot_book() {
    let app = spawn_app().await;
    let monday = to_monday_morning(&app);
    let ticket = seed_ticket(&app).await;
    app.say(
        BUTLER,
        &format!("/visit {ticket} {}", typed(local(monday, -1, 10, 0))),
    );
    app.expect_message(BUTLER, "is in the past").await;
    app.say(
        BUTLER,
        &format!("/visit {ticket} {}", typed(local(monday, 1, 19, 0))),
    );
    app.expect_message(BUTLER, "outside office hours (09:00–18:00)")
        .await;
    app.say(BUTLER, &format!("/visit {ticket} tomorrow"));
    app.expect_message(BUTLER, "could not read the time").await;
    app.say(BUTLER, "/visit 99");
    app.expect_message(BUTLER, "#99").await;
    app.say(
        OWNER,
        &format!("/visit {ticket} {}", typed(local(monday, 1, 10, 0))),
    );
    app.expect_message(OWNER, "only for property office staff")
        .await;
    app.settle().await;

    let visits: i64 = sqlx::query_scalar("SELECT count(*) FROM visits")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let status: String = sqlx::query_scalar("SELECT status FROM tickets WHERE id = $1")
        .bind(ticket)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!((visits, status.as_str()), (0, "open"));
    assert_eq!(app.api.messages(OWNER).len(), 2, "the menu and the refusal");
    app.finish().await;
}

#[tokio::test]
async fn the_owner_confirms_a_slot_and_the_outcome_files_a_follow_up() {
    let app = spawn_app().await;
    let monday = to_monday_morning(&app);
    let ticket = seed_ticket(&app).await;
    app.say(BUTLER, &format!("/visit {ticket}"));
    let slots = app
        .expect_message(BUTLER, "Pick a time for the visit (#1 · 3-2-1101)")
        .await;
    let tuesday_morning = slots.buttons()[0].text.clone();
    assert!(tuesday_morning.starts_with("Tue") && tuesday_morning.ends_with("09:00"));
    app.press(BUTLER, &slots, &tuesday_morning);
    let proposal = app.expect_message(OWNER, "proposes to visit").await;
    app.press(OWNER, &proposal, "✅ Confirm");
    app.expect_message(OWNER, "The visit is confirmed for Tue")
        .await;
    app.expect_message(BUTLER, "The owner confirmed visit V1")
        .await;
    // A second tap that raced the removal of the buttons: told, nothing changes.
    let data = proposal.callback_data("✅ Confirm").unwrap();
    app.api
        .press_forged_button(OWNER, OWNER, proposal.message_id, &data)
        .unwrap();
    eventually(|| {
        app.api.callback_answers().iter().any(|a| {
            a.text
                .as_deref()
                .is_some_and(|t| t.contains("already confirmed"))
        })
    })
    .await;
    app.settle().await;
    let at = local(monday, 1, 9, 0);
    let (status, appointment, assignee): (String, Option<DateTime<Utc>>, Option<i64>) =
        sqlx::query_as("SELECT status, appointment_at, assignee FROM tickets WHERE id = $1")
            .bind(ticket)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), appointment, assignee),
        ("scheduled", Some(at), Some(BUTLER))
    );
    assert_eq!(count(&app, BUTLER, "The owner confirmed"), 1);

    app.clock.advance(Duration::hours(26));
    app.say(BUTLER, &format!("/outcome {ticket}"));
    let form = app.expect_message(BUTLER, "Outcome of visit V1").await;
    app.press(BUTLER, &form, "📌 Follow-up needed");
    app.expect_message(BUTLER, "What needs following up").await;
    app.say(BUTLER, "green areas: a branch blocks the bedroom window");
    app.expect_message(BUTLER, "follow-up needed; ticket #2 filed")
        .await;
    app.say(BUTLER, &format!("/outcome {ticket} done"));
    app.expect_message(BUTLER, "no visit waiting for an outcome for #1")
        .await;
    app.settle().await;

    let (kind, category, description, owner): (String, Option<String>, String, Option<i64>) =
        sqlx::query_as(
            "SELECT kind, category, description, owner_chat_id FROM tickets WHERE id = 2",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(
        (
            kind.as_str(),
            category.as_deref(),
            description.as_str(),
            owner
        ),
        (
            "repair",
            Some("green areas"),
            "a branch blocks the bedroom window",
            Some(OWNER)
        )
    );
    let events: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM ticket_events WHERE ticket_id = $1 ORDER BY id")
            .bind(ticket)
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    for e in [
        "claimed",
        "visit_proposed",
        "visit_confirmed",
        "visit_outcome",
    ] {
        assert!(events.iter().any(|k| k == e), "{e} missing in {events:?}");
    }
    let outcome: (String, String) =
        sqlx::query_as("SELECT outcome, status FROM visits WHERE id = 1")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(outcome, ("follow_up".into(), "done".into()));
    app.finish().await;
}

#[tokio::test]
async fn a_survey_campaign_invites_each_unit_once_and_reminds_non_responders_at_most_twice() {
    let app = spawn_app().await;
    let monday = to_monday_morning(&app);
    let processor = processor_app(&app);
    let pool = &app.db.pool;
    let manager = 600;
    seed_staff(pool, manager, StaffRole::Manager).await;
    seed_staff(pool, BUTLER, StaffRole::Butler).await;
    app.person(manager, "en");
    app.person(BUTLER, "en");
    let mut units = Vec::new();
    for (i, owner) in [601_i64, 602, 603].into_iter().enumerate() {
        let unit = seed_unit(pool, &format!("1-1-{}01", 10 + i), "1").await;
        seed_member(pool, unit, Some(owner), &format!("+86138000006{i:02}")).await;
        app.person(owner, "en");
        started(&app, owner).await;
        units.push(unit);
    }
    // A unit whose owner does not use the bot is not invited.
    let offline = seed_unit(pool, "2-1-1101", "2").await;
    seed_member(pool, offline, None, "+8613800000699").await;

    app.say(BUTLER, "/survey start 2026Q4");
    app.expect_message(BUTLER, "Sorry").await;
    app.say(manager, "/survey start 2026Q5");
    app.expect_message(manager, "is not a quarter").await;
    app.say(manager, "/survey start 2026Q4");
    app.expect_message(
        manager,
        "Survey 2026Q4 is open: 3 units will be invited now",
    )
    .await;
    app.say(manager, "/survey start 2026q4");
    app.expect_message(manager, "already running; 0 newly registered")
        .await;
    app.settle().await;

    let start = app.clock.now();
    assert_eq!(due(&app, &processor, start).await, 3);
    assert_eq!(due(&app, &processor, start).await, 0, "invited once");
    let invite = app
        .expect_message(
            602,
            "satisfaction survey 2026Q4 is open for your unit 1-1-1101",
        )
        .await;
    app.press(602, &invite, "📝 Take the survey");
    app.expect_message(602, "1/6 Overall satisfaction").await;
    // An owner typing /survey is taken to it too (not refused as staff-only).
    app.say(603, "/survey");
    app.expect_message(603, "1/6 Overall satisfaction").await;

    // Unit of 601 answers.
    let survey: i64 = sqlx::query_scalar("SELECT id FROM surveys WHERE code = '2026Q4'")
        .fetch_one(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO survey_responses (survey_id, unit_id, answers) VALUES ($1, $2, '{\"overall\": 5}')",
    )
    .bind(survey)
    .bind(units[0])
    .execute(pool)
    .await
    .unwrap();

    let day = Duration::days(1);
    assert_eq!(due(&app, &processor, start + day * 2).await, 0);
    assert_eq!(
        due(&app, &processor, start + day * 3 + Duration::hours(1)).await,
        2
    );
    assert_eq!(
        due(&app, &processor, start + day * 3 + Duration::hours(1)).await,
        0
    );
    assert_eq!(
        due(&app, &processor, start + day * 6 + Duration::hours(1)).await,
        2
    );
    assert_eq!(
        due(&app, &processor, start + day * 30).await,
        0,
        "at most two"
    );
    app.settle().await;
    assert_eq!(count(&app, 601, "survey 2026Q4"), 1);
    assert_eq!(count(&app, 602, "survey 2026Q4"), 3);
    assert_eq!(count(&app, 603, "survey 2026Q4"), 3);
    assert_eq!(count(&app, 603, "gentle reminder"), 2);

    // Quiet hours: a campaign opened at 22:00 invites at 08:00 the next day,
    // and a row due at night waits for the morning.
    let mut conn = pool.acquire().await.unwrap();
    let settings = visits::settings(&mut conn).await.unwrap();
    let night = local(monday, 10, 22, 0);
    let q1 = SurveyCode::parse("2027Q1").unwrap();
    let started = surveys::start_campaign(&mut conn, &q1, night, Shanghai, &settings)
        .await
        .unwrap();
    assert_eq!(
        (started.invited, started.invite_at),
        (3, local(monday, 11, 8, 0))
    );
    sqlx::query("UPDATE reminders SET due_at = $1 WHERE survey_id = $2 AND kind = 'survey_invite'")
        .bind(night)
        .bind(started.survey_id)
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    assert_eq!(due(&app, &processor, night + Duration::minutes(5)).await, 0);
    assert_eq!(due(&app, &processor, local(monday, 11, 8, 0)).await, 3);
    app.settle().await;
    app.finish().await;
}

#[tokio::test]
async fn the_survey_report_gives_averages_rates_per_building_and_the_trend() {
    let app = spawn_app().await;
    let pool = &app.db.pool;
    let mut units = Vec::new();
    for (code, building) in [
        ("1-1-101", "1"),
        ("1-1-102", "1"),
        ("2-1-101", "2"),
        ("2-1-102", "2"),
    ] {
        units.push(seed_unit(pool, code, building).await);
    }
    let survey = |code: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("INSERT INTO surveys (code) VALUES ($1) RETURNING id")
                .bind(code)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let q3 = survey("2026Q3").await;
    let q4 = survey("2026Q4").await;
    let answers = |overall: i32, rest: i32| {
        serde_json::json!({
            "overall": overall, "cleanliness": rest, "security": rest,
            "repairs": rest, "staff_attitude": rest, "green_areas": rest
        })
    };
    for (survey, unit, a) in [
        (q3, units[0], answers(3, 3)),
        (q3, units[2], answers(3, 3)),
        (q4, units[0], answers(5, 4)),
        (q4, units[2], answers(4, 4)),
        (q4, units[3], answers(3, 4)),
    ] {
        sqlx::query(
            "INSERT INTO survey_responses (survey_id, unit_id, answers) VALUES ($1, $2, $3)",
        )
        .bind(survey)
        .bind(unit)
        .bind(a)
        .execute(pool)
        .await
        .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let report = survey_report(pool, "2026Q4", dir.path()).await.unwrap();
    assert!(report.contains("Survey 2026Q4: 3 responses"), "{report}");
    assert!(
        report.contains("overall          4.00  (+1.00 vs 2026Q3)"),
        "{report}"
    );
    assert!(
        report.contains("cleanliness      4.00  (+1.00 vs 2026Q3)"),
        "{report}"
    );
    assert!(
        report.contains("building 1         1 / 2      50.0%"),
        "{report}"
    );
    assert!(
        report.contains("building 2         2 / 2     100.0%"),
        "{report}"
    );
    assert!(
        report.contains("2026Q3  responses     2  overall 3.00  mean 3.00"),
        "{report}"
    );
    assert!(
        report.contains("2026Q4  responses     3  overall 4.00  mean 4.00"),
        "{report}"
    );
    let chart = dir.path().join("survey-2026Q4-trend.svg");
    assert!(report.contains(&chart.display().to_string()), "{report}");
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("2026Q3") && svg.contains("<polyline"));
    assert!(survey_report(pool, "2025Q1", dir.path()).await.is_err());
    app.finish().await;
}
