//! Abuse limits: the per-person inbound limit answers a flood with one
//! slow-down notice; an owner files at most `tickets_per_day` tickets a day;
//! supervisors ban and unban with a reason, audited, the person told once,
//! and a banned person's updates write nothing but their inbox row.

use propdesk::domain::staff::{self, StaffRole};
use propdesk::i18n::Lang;
use propdesk::standin::SentMessage;
use propdesk::texts::{self, fill};
use sqlx::PgPool;

use crate::support::{fast_limits, spawn_app_with, TestApp, WAIT};

const SUPERVISOR: i64 = 6100;
const BUTLER: i64 = 6101;

async fn spawn() -> TestApp {
    let (config, limits) = fast_limits();
    let app = spawn_app_with(config, |s| s.sender.limits = limits).await;
    let mut conn = app.db.pool.acquire().await.unwrap();
    staff::upsert(&mut conn, SUPERVISOR, "李主管", StaffRole::Supervisor)
        .await
        .unwrap();
    staff::upsert(&mut conn, BUTLER, "王师傅", StaffRole::Butler)
        .await
        .unwrap();
    app
}

/// The next message to `chat` after message `after` containing `needle`.
pub(crate) async fn next_message(
    app: &TestApp,
    chat: i64,
    after: i64,
    needle: &str,
) -> SentMessage {
    app.api
        .wait_for_message(
            chat,
            |m| m.message_id > after && m.body().contains(needle),
            WAIT,
        )
        .await
        .unwrap_or_else(|e| panic!("waiting for {needle:?}: {e:#}"))
}

/// Every table but the inbox (with the getUpdates offset stored beside it,
/// and sqlx's own), each as its row count and a
/// hash of its contents: any insert, update or delete changes it.
async fn snapshot(pool: &PgPool) -> Vec<(String, i64, Option<String>)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables
          WHERE schemaname = 'public' AND tablename NOT IN ('inbox', 'bot_state', '_sqlx_migrations')
          ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(tables.len() > 10, "{tables:?}");
    let mut out = Vec::new();
    for table in tables {
        let (n, hash): (i64, Option<String>) = sqlx::query_as(&format!(
            "SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM \"{table}\" t"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        out.push((table, n, hash));
    }
    out
}

#[tokio::test]
async fn a_flood_gets_one_slow_down_notice_and_the_rest_is_dropped() {
    let app = spawn().await;
    let owner = app.person(6200, "en");
    let limit = app.settings.processor.inbound_per_minute;
    assert_eq!(limit, 20, "the default");
    let mut updates = Vec::new();
    for i in 0..limit + 10 {
        updates.push(app.say(owner, &format!("hello {i}")));
    }
    app.settle().await;
    let notice = fill(texts::SLOW_DOWN.get(Lang::En), &[("limit", "20")]);
    let notices = app
        .api
        .messages(owner)
        .iter()
        .filter(|m| m.body() == notice)
        .count();
    assert_eq!(notices, 1, "one notice for the flood");
    // Per update: what it queued. The first `limit` are answered, the next
    // one carries the notice, the rest nothing — and all are processed.
    let mut queued = Vec::new();
    for update in &updates {
        let (rows, processed): (i64, bool) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM outbox WHERE update_id = $1),
                    (SELECT processed_at IS NOT NULL FROM inbox WHERE update_id = $1)",
        )
        .bind(update)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        assert!(processed, "update {update} processed");
        queued.push(rows);
    }
    let limit = usize::try_from(limit).unwrap();
    assert!(queued[..limit].iter().all(|n| *n >= 1), "{queued:?}");
    assert_eq!(queued[limit], 1, "{queued:?}");
    assert!(queued[limit + 1..].iter().all(|n| *n == 0), "{queued:?}");

    // Staff are not throttled.
    app.api
        .add_user(propdesk::standin::TestUser::new(SUPERVISOR, "S").language("en"));
    for _ in 0..25 {
        app.say(SUPERVISOR, "/mine");
    }
    app.settle().await;
    assert!(!app
        .api
        .messages(SUPERVISOR)
        .iter()
        .any(|m| m.body() == notice));
    assert_eq!(app.api.messages(SUPERVISOR).len(), 25);
    app.finish().await;
}

/// `/start`, Questions, Something else, a question; the question prompt's id.
async fn ask(app: &TestApp, owner: i64, after: i64) -> i64 {
    app.say(owner, "/start");
    let menu = next_message(app, owner, after, "property service desk").await;
    app.press(owner, &menu, "Questions");
    let topic = next_message(app, owner, menu.message_id, "What would you like to know?").await;
    app.press(owner, &topic, "Something else");
    let question = next_message(app, owner, topic.message_id, "Please write your question").await;
    app.say(owner, "When is the water back on in building 3?");
    question.message_id
}

#[tokio::test]
async fn an_owner_files_at_most_tickets_per_day_and_is_told_why_not_more() {
    let app = spawn().await;
    app.set_office_setting("tickets_per_day", "1").await;
    let owner = app.person(6300, "en");
    let asked = ask(&app, owner, 0).await;
    let filed = next_message(&app, owner, asked, "We have your question, number").await;
    let second = ask(&app, owner, filed.message_id).await;
    let cap = texts::TICKET_CAP_REACHED.fill(
        Lang::En,
        &[
            ("limit", "1"),
            ("phone", &app.settings.processor.duty_phone),
        ],
    );
    let refused = next_message(&app, owner, second, "").await;
    assert_eq!(refused.body(), cap);
    assert!(cap.starts_with("You have filed 1 request today"), "{cap}");
    app.settle().await;
    let tickets: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets WHERE owner_chat_id = $1")
        .bind(owner)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(tickets, 1);
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM conversations WHERE chat_id = $1")
        .bind(owner)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(waiting, 0, "the refused dialogue is closed");
    // A higher cap lets them file again the same day.
    app.set_office_setting("tickets_per_day", "2").await;
    let third = ask(&app, owner, refused.message_id).await;
    next_message(&app, owner, third, "We have your question, number").await;
    app.finish().await;
}

#[tokio::test]
async fn a_supervisor_bans_and_unbans_with_a_reason_and_a_banned_person_costs_no_write() {
    let app = spawn().await;
    let pool = &app.db.pool;
    let owner = app.person(6400, "en");
    app.api
        .add_user(propdesk::standin::TestUser::new(SUPERVISOR, "S").language("en"));
    app.api
        .add_user(propdesk::standin::TestUser::new(BUTLER, "B").language("en"));
    app.say(owner, "/start");
    app.settle().await;

    // A butler may not; a ban needs a reason; staff cannot be banned.
    app.say(BUTLER, &format!("/ban {owner} spam"));
    app.expect_message(BUTLER, "it needs").await;
    app.say(SUPERVISOR, &format!("/ban {owner}"));
    app.expect_message(SUPERVISOR, "Usage: /ban").await;
    app.say(SUPERVISOR, &format!("/ban {BUTLER} spam"));
    app.expect_message(SUPERVISOR, "member of staff").await;

    app.say(SUPERVISOR, &format!("/ban {owner} sent 300 insults"));
    let done = fill(
        texts::BAN_DONE.get(Lang::En),
        &[("user", &owner.to_string()), ("reason", "sent 300 insults")],
    );
    app.expect_message(SUPERVISOR, &done).await;
    let told = texts::BANNED_NOTICE.get(Lang::En).to_string();
    app.expect_message(owner, &told).await;
    app.say(SUPERVISOR, &format!("/ban {owner} again"));
    app.expect_message(SUPERVISOR, "banned already").await;
    app.settle().await;

    // Banned: a message, a command, a photo, a button — nothing but inbox rows.
    let before = snapshot(pool).await;
    let inbox_before: i64 = sqlx::query_scalar("SELECT count(*) FROM inbox")
        .fetch_one(pool)
        .await
        .unwrap();
    let sent_before = app.api.messages(owner).len();
    app.say(owner, "hello?");
    app.say(owner, "/start");
    app.api.send_photo(owner, Some("look")).unwrap();
    let menu = app.api.messages(owner)[0].clone();
    app.api
        .press_button(
            owner,
            owner,
            menu.message_id,
            &menu.callback_data("Questions").unwrap(),
        )
        .unwrap();
    app.settle().await;
    let after = snapshot(pool).await;
    assert_eq!(before, after, "a banned person's updates wrote something");
    let (inbox_after, unprocessed): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(*) FILTER (WHERE processed_at IS NULL) FROM inbox")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(inbox_after, inbox_before + 4);
    assert_eq!(unprocessed, 0);
    assert_eq!(app.api.messages(owner).len(), sent_before, "told once only");
    let told_times = app
        .api
        .messages(owner)
        .iter()
        .filter(|m| m.body() == told)
        .count();
    assert_eq!(told_times, 1);

    app.say(
        SUPERVISOR,
        &format!("/unban {owner} apologised at the office"),
    );
    app.expect_message(SUPERVISOR, "is no longer banned").await;
    app.expect_message(owner, texts::UNBANNED_NOTICE.get(Lang::En))
        .await;
    app.say(owner, "/start");
    app.api
        .wait_for_messages(owner, sent_before + 2, WAIT)
        .await
        .unwrap();
    let audit: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT action, reason, staff_id FROM ban_audit WHERE user_id = $1 ORDER BY id",
    )
    .bind(owner)
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        audit,
        vec![
            (
                "ban".to_string(),
                "sent 300 insults".to_string(),
                SUPERVISOR
            ),
            (
                "unban".to_string(),
                "apologised at the office".to_string(),
                SUPERVISOR
            ),
        ]
    );
    app.finish().await;
}
