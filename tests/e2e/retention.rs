//! Retention, erasure and backup (issue 12 item 10): `propdesk purge`,
//! `propdesk forget`, the owners' `/forgetme`, `propdesk backup` and
//! `propdesk restore`, the commands run as the real binary.

use std::collections::BTreeSet;
use std::process::Output;

use chrono::Duration;
use propdesk::db::testing::fresh_database;
use propdesk::domain::erasure::{self, Class};
use propdesk::domain::retention;
use propdesk::domain::tickets::Priority;
use propdesk::i18n::Lang;
use propdesk::telegram::callback::Callback;
use sqlx::PgPool;

use crate::staff::{card, leak_ticket, office, GROUP, OWNER};

/// Runs `propdesk ARGS` against the database at `url`.
fn propdesk(url: &str, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_propdesk"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("running propdesk")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn every_column_of_the_schema_is_classified_for_erasure() {
    let db = fresh_database().await.unwrap();
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
          WHERE table_schema = 'public'
            AND table_name IN (SELECT table_name FROM information_schema.tables
                                WHERE table_schema = 'public' AND table_type = 'BASE TABLE')
          ORDER BY 1, 2",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let in_schema: BTreeSet<(String, String)> = columns
        .into_iter()
        .filter(|(t, _)| !erasure::NOT_APPLICATION_TABLES.contains(&t.as_str()))
        .collect();
    let classified: BTreeSet<(String, String)> = erasure::COLUMNS
        .iter()
        .flat_map(|(t, cols)| cols.iter().map(|(c, _)| (t.to_string(), c.to_string())))
        .collect();
    let unclassified: Vec<_> = in_schema.difference(&classified).collect();
    let gone: Vec<_> = classified.difference(&in_schema).collect();
    assert!(
        unclassified.is_empty(),
        "classify these columns in src/domain/erasure.rs (personal or kept), and erase the personal ones in forget(): {unclassified:?}"
    );
    assert!(
        gone.is_empty(),
        "src/domain/erasure.rs classifies columns the schema no longer has: {gone:?}"
    );
    assert_eq!(erasure::class_of("people", "phone"), Some(Class::Personal));
}

#[tokio::test]
async fn the_purge_knows_every_foreign_key_to_the_outbox() {
    let db = fresh_database().await.unwrap();
    let references: BTreeSet<(String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, a.attname::text
           FROM pg_constraint c
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
          WHERE c.contype = 'f' AND c.confrelid = 'outbox'::regclass",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let known: BTreeSet<(String, String)> = retention::REFERENCES
        .iter()
        .map(|(t, c)| (t.to_string(), c.to_string()))
        .collect();
    assert_eq!(
        references, known,
        "a foreign key to outbox the purge does not keep (add it to REFERENCES and to the purge's queries)"
    );
    let to_inbox: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND confrelid = 'inbox'::regclass",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        to_inbox, 0,
        "a foreign key to inbox: the purge must keep what it references"
    );
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn purge_deletes_old_processed_updates_and_delivered_messages_nothing_needs() {
    let db = fresh_database().await.unwrap();
    let old = chrono::Utc::now() - Duration::days(200);
    let recent = chrono::Utc::now() - Duration::days(10);
    // Updates: old processed (goes), old parked (kept), old open (kept),
    // recent processed (kept).
    sqlx::query(
        "INSERT INTO inbox (update_id, chat_id, kind, payload, received_at, processed_at, parked_at)
         VALUES (1, 1, 'message', '{}', $1, $1, NULL),
                (2, 1, 'message', '{}', $1, $1, NULL),
                (3, 1, 'message', '{}', $1, NULL, $1),
                (4, 1, 'message', '{}', $1, NULL, NULL),
                (5, 1, 'message', '{}', $2, $2, NULL)",
    )
    .bind(old)
    .bind(recent)
    .execute(&db.pool)
    .await
    .unwrap();
    // Messages: 10 old sent and unreferenced (go); a ticket's card, a
    // relayed message, a message a pending edit targets, an old failed row,
    // a recent sent row (all kept).
    sqlx::query(
        "INSERT INTO outbox (id, chat_id, lane, request, status, created_at, sent_at)
         SELECT g, 1, 0, '{\"method\": \"send_message\", \"text\": \"x\"}', 'sent', $1, $1
           FROM generate_series(1, 10) g;
         ",
    )
    .bind(old)
    .execute(&db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO outbox (id, chat_id, lane, request, status, created_at, sent_at) VALUES
           (20, -1, 1, '{\"method\": \"send_message\", \"text\": \"card\"}', 'sent', $1, $1),
           (21, -1, 1, '{\"method\": \"send_message\", \"text\": \"relay\"}', 'sent', $1, $1),
           (22, 1, 0, '{\"method\": \"send_message\", \"text\": \"edited later\"}', 'sent', $1, $1),
           (23, 1, 0, '{\"method\": \"edit_message_text\", \"target\": {\"outbox\": 22}, \"text\": \"y\"}', 'pending', $1, NULL),
           (24, 1, 0, '{\"method\": \"send_message\", \"text\": \"x\"}', 'failed', $1, NULL),
           (25, 1, 0, '{\"method\": \"send_message\", \"text\": \"x\"}', 'sent', $2, $2)",
    )
    .bind(old)
    .bind(recent)
    .execute(&db.pool)
    .await
    .unwrap();
    sqlx::query(
        "WITH t AS (INSERT INTO tickets (kind, description, card_outbox_id) VALUES ('repair', 'x', 20) RETURNING id)
         INSERT INTO ticket_messages (outbox_id, ticket_id) SELECT 21, id FROM t",
    )
    .execute(&db.pool)
    .await
    .unwrap();

    // Refused: too short, not an age.
    let short = propdesk(&db.url, &["purge", "--older-than", "2h"]);
    assert!(!short.status.success());
    assert!(
        stderr(&short).contains("at least 1 day"),
        "{}",
        stderr(&short)
    );
    let garbled = propdesk(&db.url, &["purge", "--older-than", "half a year"]);
    assert!(!garbled.status.success() && stderr(&garbled).contains("not an age"));

    let dry = propdesk(&db.url, &["purge", "--older-than", "180d", "--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains("would delete 2 processed updates and 10 delivered messages"),
        "{}",
        stdout(&dry)
    );
    assert_eq!(count(&db.pool, "SELECT count(*) FROM inbox").await, 5);
    assert_eq!(count(&db.pool, "SELECT count(*) FROM outbox").await, 16);

    let done = propdesk(&db.url, &["purge", "--older-than", "180d"]);
    assert!(done.status.success(), "{}", stderr(&done));
    assert!(
        stdout(&done).contains("deleted 2 processed updates and 10 delivered messages"),
        "{}",
        stdout(&done)
    );
    let inbox: Vec<i64> = sqlx::query_scalar("SELECT update_id FROM inbox ORDER BY 1")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(inbox, vec![3, 4, 5]);
    let outbox: Vec<i64> = sqlx::query_scalar("SELECT id FROM outbox ORDER BY 1")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(outbox, vec![20, 21, 22, 23, 24, 25]);
    assert_eq!(
        count(&db.pool, "SELECT count(*) FROM ticket_messages").await,
        1
    );
    // Again: nothing left to purge.
    let again = propdesk(&db.url, &["purge", "--older-than", "26w"]);
    assert!(stdout(&again).contains("deleted 0 processed updates and 0 delivered messages"));
}

/// Every row of every table, as text: what a search for a person's data
/// looks through.
async fn everything(pool: &PgPool) -> Vec<(String, String)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
          WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut rows = Vec::new();
    for table in tables {
        let texts: Vec<String> = sqlx::query_scalar(&format!("SELECT t::text FROM {table} t"))
            .fetch_all(pool)
            .await
            .unwrap();
        rows.extend(texts.into_iter().map(|t| (table.clone(), t)));
    }
    rows
}

/// Where `needle` still is, as `table: row`.
fn found(rows: &[(String, String)], needle: &str) -> Vec<String> {
    rows.iter()
        .filter(|(_, r)| r.contains(needle))
        .map(|(t, r)| format!("{t}: {r}"))
        .collect()
}

/// The owner of `office()` with a ticket, a photo on it and a message of
/// their own relayed to staff: what there is to forget.
async fn owner_with_history(app: &crate::support::TestApp) -> i64 {
    let id = leak_ticket(app, 920_001, Priority::High).await;
    card(app, id).await;
    sqlx::query(
        "INSERT INTO attachments (ticket_id, file_id, file_unique_id, kind)
         VALUES ($1, 'PHOTO-FILE-ID-OF-OWNER', 'UNIQ-OWNER', 'photo')",
    )
    .bind(id.0)
    .execute(&app.db.pool)
    .await
    .unwrap();
    app.say(OWNER, "楼上邻居王某某每晚漏水 MARKER-OWNER-TEXT");
    app.expect_message(GROUP, "MARKER-OWNER-TEXT").await;
    app.settle().await;
    id.0
}

/// What must be gone after the owner is forgotten, and what must stay.
async fn assert_forgotten(app: &crate::support::TestApp, ticket: i64) {
    let rows = everything(&app.db.pool).await;
    for needle in [
        "张先生",
        "+8613812341234",
        "13812341234",
        "MARKER-OWNER-TEXT",
        "PHOTO-FILE-ID-OF-OWNER",
        "厨房水管漏水",
    ] {
        let left = found(&rows, needle);
        assert!(left.is_empty(), "{needle:?} is still stored: {left:#?}");
    }
    // Their Telegram id is nowhere but in what was queued for them by
    // the erasure itself (its answers).
    for (what, sql) in [
        ("chats", "SELECT count(*) FROM chats WHERE chat_id = $1"),
        (
            "conversations",
            "SELECT count(*) FROM conversations WHERE chat_id = $1 OR user_id = $1",
        ),
        (
            "inbox",
            "SELECT count(*) FROM inbox WHERE chat_id = $1 OR user_id = $1
                      OR payload::text LIKE '%\"id\": ' || $1 || ',%'",
        ),
        (
            "outbox",
            "SELECT count(*) FROM outbox WHERE chat_id = $1
                       AND created_at < (SELECT max(erased_at) FROM erasures)",
        ),
        (
            "tickets",
            "SELECT count(*) FROM tickets WHERE owner_chat_id = $1",
        ),
        (
            "people",
            "SELECT count(*) FROM people WHERE telegram_user_id = $1",
        ),
    ] {
        let n: i64 = sqlx::query_scalar(sql)
            .bind(OWNER)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        assert_eq!(n, 0, "the Telegram id is still in {what}");
    }
    // The ticket is kept, anonymised, for the statistics.
    let kept: (String, Option<String>, Option<i64>, Option<i64>, String, Option<i64>) = sqlx::query_as(
        "SELECT kind, category, person_id, owner_chat_id, description, unit_id FROM tickets WHERE id = $1",
    )
    .bind(ticket)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(kept.0, "repair");
    assert_eq!(kept.1.as_deref(), Some("水电"));
    assert_eq!((kept.2, kept.3), (None, None));
    assert_eq!(kept.4, erasure::ERASED);
    assert!(
        kept.5.is_some(),
        "the unit (property, not a person) is kept"
    );
    assert_eq!(count(&app.db.pool, "SELECT count(*) FROM people").await, 0);
    assert_eq!(
        count(&app.db.pool, "SELECT count(*) FROM erasures").await,
        1
    );
}

#[tokio::test]
async fn forget_erases_a_person_and_keeps_their_tickets_anonymised() {
    let app = office().await;
    let ticket = owner_with_history(&app).await;
    let before = everything(&app.db.pool).await;
    assert!(!found(&before, "MARKER-OWNER-TEXT").is_empty());

    let out = propdesk(
        &app.db.url,
        &["forget", "--telegram-id", &OWNER.to_string(), "--yes"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 person, 1 tickets kept anonymised"),
        "{}",
        stdout(&out)
    );
    assert_forgotten(&app, ticket).await;
    // Nobody of that id is left: a second run finds nothing.
    let again = propdesk(
        &app.db.url,
        &["forget", "--telegram-id", &OWNER.to_string(), "--yes"],
    );
    assert!(
        stdout(&again).contains("nothing is stored about"),
        "{}",
        stdout(&again)
    );
    // Without --yes and without a terminal saying yes: nothing happens.
    let asked = propdesk(&app.db.url, &["forget", "--telegram-id", "424242"]);
    assert!(!asked.status.success());
    assert!(stderr(&asked).contains("nothing was erased"));
    app.finish().await;
}

/// The owner's next message after `after` (a message id) containing `needle`.
async fn next_with(
    app: &crate::support::TestApp,
    needle: &str,
    after: i64,
) -> propdesk::standin::SentMessage {
    app.api
        .wait_for_message(
            OWNER,
            |m| m.message_id > after && m.body().contains(needle),
            crate::support::WAIT,
        )
        .await
        .unwrap_or_else(|e| panic!("waiting for {needle:?}: {e:#}"))
}

#[tokio::test]
async fn forgetme_asks_twice_refuses_late_or_forged_confirmations_and_then_erases() {
    let app = office().await;
    let ticket = owner_with_history(&app).await;
    // In the menu, in every language.
    for lang in Lang::ALL {
        assert!(
            propdesk::processor::menu_commands(lang)
                .iter()
                .any(|(name, _)| *name == "forgetme"),
            "{lang:?}"
        );
    }

    // Asked, then kept.
    app.say(OWNER, "/forgetme");
    let ask = next_with(&app, "删除您在物业服务中心的个人资料", 0).await;
    app.press(OWNER, &ask, "不删除");
    next_with(&app, "您的资料保持不变", ask.message_id).await;

    // Confirmed once; a forged second confirmation erases nothing.
    app.say(OWNER, "/forgetme");
    let ask = next_with(&app, "删除您在物业服务中心的个人资料", ask.message_id).await;
    app.press(OWNER, &ask, "继续");
    let again = next_with(&app, "10 分钟内有效", ask.message_id).await;
    app.api
        .press_forged_button(
            OWNER,
            OWNER,
            again.message_id,
            &Callback::ForgetErase(12345).encode(),
        )
        .unwrap();
    let invalid = next_with(&app, "这个确认按钮已无效", again.message_id).await;
    // The real button, 11 minutes late: nothing erased either.
    app.clock.advance(Duration::minutes(11));
    app.press(OWNER, &again, "永久删除");
    let late = next_with(&app, "这个确认已超过 10 分钟", invalid.message_id).await;
    app.settle().await;
    assert_eq!(count(&app.db.pool, "SELECT count(*) FROM people").await, 1);
    assert_eq!(
        count(&app.db.pool, "SELECT count(*) FROM erasures").await,
        0
    );
    // Pressing it again after that: used up.
    app.api
        .press_forged_button(
            OWNER,
            OWNER,
            again.message_id,
            &again.callback_data("永久删除").unwrap(),
        )
        .unwrap();
    let used = next_with(&app, "这个确认按钮已无效", late.message_id).await;
    assert_eq!(count(&app.db.pool, "SELECT count(*) FROM people").await, 1);

    // In a group, the buttons do nothing but say so.
    app.api
        .press_forged_button(OWNER, GROUP, 1, &Callback::ForgetContinue.encode())
        .unwrap();
    app.settle().await;
    assert!(app.api.callback_answers().iter().any(|a| a
        .text
        .as_deref()
        .is_some_and(|t| t.contains("只能在与机器人的私聊中"))));
    assert_eq!(
        count(&app.db.pool, "SELECT count(*) FROM erasure_requests").await,
        0
    );

    // Now for real, within the time.
    app.say(OWNER, "/forgetme");
    let ask = next_with(&app, "删除您在物业服务中心的个人资料", used.message_id).await;
    app.press(OWNER, &ask, "继续");
    let last = next_with(&app, "10 分钟内有效", ask.message_id).await;
    app.clock.advance(Duration::minutes(9));
    app.press(OWNER, &last, "永久删除");
    app.expect_message(OWNER, "您的个人资料已删除。您的 1 张工单已匿名保留")
        .await;
    app.expect_message(
        GROUP,
        "一位住户已按其要求删除个人资料；其 1 张工单已匿名保留",
    )
    .await;
    app.settle().await;
    assert_forgotten(&app, ticket).await;
    app.finish().await;
}

#[tokio::test]
async fn backup_and_restore_bring_the_data_back() {
    let db = fresh_database().await.unwrap();
    sqlx::query("INSERT INTO people (name, phone) VALUES ('Before Backup', '+8613900000001')")
        .execute(&db.pool)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("propdesk.dump");
    let file_arg = file.to_str().unwrap();

    let out = propdesk(&db.url, &["backup", file_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("wrote"), "{}", stdout(&out));
    assert!(!dir.path().join("propdesk.dump.partial").exists());

    // Changed after the backup.
    sqlx::query("UPDATE people SET name = 'Changed'")
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO people (name, phone) VALUES ('After Backup', '+8613900000002')")
        .execute(&db.pool)
        .await
        .unwrap();

    // A database with data is not overwritten without --force; a file
    // that is not a dump is refused. Neither changes anything.
    let refused = propdesk(&db.url, &["restore", file_arg]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    let junk = dir.path().join("junk.dump");
    std::fs::write(&junk, b"not a dump").unwrap();
    let bad = propdesk(&db.url, &["restore", junk.to_str().unwrap(), "--force"]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("is not a propdesk backup"),
        "{}",
        stderr(&bad)
    );
    assert_eq!(count(&db.pool, "SELECT count(*) FROM people").await, 2);

    db.pool.close().await;
    let restored = propdesk(&db.url, &["restore", file_arg, "--force"]);
    assert!(restored.status.success(), "{}", stderr(&restored));
    let pool = propdesk::db::pool(db.url.parse().unwrap(), 2)
        .await
        .unwrap();
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM people ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(names, vec!["Before Backup".to_string()]);
    // The schema is whole: the bot's functions and migrations are there.
    let reachable: bool = sqlx::query_scalar("SELECT chat_is_reachable(1)")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(reachable);
    propdesk::db::migrate(&pool).await.unwrap();
}

#[tokio::test]
async fn backup_and_restore_of_the_embedded_cluster() {
    use propdesk::db::{Durability, EmbeddedPostgres};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("postgres");
    let file = dir.path().join("embedded.dump");
    // As the binary would: start, migrate, write.
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_propdesk"))
            .args(args)
            .arg("--data-dir")
            .arg(&data)
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .output()
            .expect("running propdesk")
    };
    let migrated = run(&["migrate"]);
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    let with_pg = |sql: &'static str| {
        let data = data.clone();
        async move {
            let pg = tokio::task::spawn_blocking(move || {
                EmbeddedPostgres::start(&data, Durability::Throwaway)
            })
            .await
            .unwrap()
            .unwrap();
            let pool = propdesk::db::pool(pg.connect_options(), 2).await.unwrap();
            let names: Vec<String> = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            tokio::task::spawn_blocking(move || drop(pg)).await.unwrap();
            names
        }
    };
    with_pg("INSERT INTO people (name) VALUES ('Embedded One') RETURNING name").await;
    let out = run(&["backup", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    with_pg("INSERT INTO people (name) VALUES ('Embedded Two') RETURNING name").await;
    let out = run(&["restore", file.to_str().unwrap(), "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let names = with_pg("SELECT name FROM people ORDER BY id").await;
    assert_eq!(names, vec!["Embedded One".to_string()]);
}
