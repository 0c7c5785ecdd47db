//! Office settings changed from Telegram while the bot runs.
//!
//! ```text
//! owner:    /mytickets                  → "Reopen #1" (resolved 3 days ago, window 7 days)
//! butler:   /settings set reopen_days 1 → "Sorry, your role (Butler) may not do this …"
//! owner:    /settings                   → "Sorry, this is only for property office staff."
//! manager:  /settings set reopen_days 100 → "reopen_days must be a whole number from 0 to 90, …"
//! manager:  /settings                   → "… reopen_days = 7 [7] …"
//! manager:  /settings set reopen_days 1 → "reopen_days changed from 7 to 1."
//! owner:    /mytickets                  → no Reopen button: the new window, no restart
//! ```

use chrono::Duration;
use propdesk::clock::Clock;
use propdesk::domain::office_settings::OfficeSettings;
use propdesk::domain::staff::{self, StaffRole};
use propdesk::domain::tickets::transition::Transition;
use propdesk::domain::tickets::{self, Actor, NewTicket, Priority, TicketKind};

use crate::support::{fast_limits, spawn_app_with, TestApp};

const MANAGER: i64 = 7101;
const BUTLER: i64 = 7102;
const OWNER: i64 = 7103;

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_manager_changes_the_reopen_window_from_telegram_and_the_bot_uses_it_at_once() {
    let (config, limits) = fast_limits();
    let app = spawn_app_with(config, |s| s.sender.limits = limits).await;
    let manager = app.person(MANAGER, "en");
    let butler = app.person(BUTLER, "en");
    let owner = app.person(OWNER, "en");
    let mut conn = app.db.pool.acquire().await.unwrap();
    staff::upsert(&mut conn, MANAGER, "Ms Manager", StaffRole::Manager)
        .await
        .unwrap();
    staff::upsert(&mut conn, BUTLER, "Mr Butler", StaffRole::Butler)
        .await
        .unwrap();
    let three_days_ago = app.clock.now() - Duration::days(3);
    let mut new = NewTicket::new(TicketKind::Repair, "the tap drips");
    new.owner_chat_id = Some(OWNER);
    let deadline = OfficeSettings::default().deadline(TicketKind::Repair, Priority::Normal);
    let (id, _) = tickets::insert(&mut conn, None, three_days_ago, &new, deadline)
        .await
        .unwrap();
    let resolve = Transition::Resolve {
        note: None,
        photo: None,
    };
    tickets::transition::perform(&mut conn, id, resolve, Actor::System, three_days_ago)
        .await
        .unwrap()
        .unwrap();
    drop(conn);
    let reopen = format!("Reopen {id}");

    app.say(owner, "/mytickets");
    let list = app.expect_message(owner, "Your tickets").await;
    assert!(list.callback_data(&reopen).is_some(), "{:?}", list.body());

    app.say(butler, "/settings set reopen_days 1");
    app.expect_message(butler, "may not do this").await;
    app.say(owner, "/settings");
    app.expect_message(owner, "only for property office staff")
        .await;

    app.say(manager, "/settings set reopen_days 100");
    app.expect_message(
        manager,
        "reopen_days must be a whole number from 0 to 90, so nothing was changed.",
    )
    .await;
    assert_eq!(count(&app, "office_settings").await, 0);
    assert_eq!(count(&app, "office_settings_audit").await, 0);

    app.say(manager, "/settings");
    let shown = app.expect_message(manager, "Office settings").await;
    assert!(
        shown.body().contains("reopen_days = 7 [7]"),
        "{}",
        shown.body()
    );

    app.say(manager, "/settings set reopen_days 1");
    app.expect_message(manager, "reopen_days changed from 7 to 1.")
        .await;
    let (old, new, by): (String, String, String) =
        sqlx::query_as("SELECT old_value, new_value, changed_by FROM office_settings_audit")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!((old.as_str(), new.as_str()), ("7", "1"));
    assert!(by.contains(&MANAGER.to_string()), "{by}");

    app.say(owner, "/mytickets");
    app.api
        .wait_for_messages(owner, 3, crate::support::WAIT)
        .await
        .unwrap();
    app.settle().await;
    let last = app.api.messages(owner).last().cloned().unwrap();
    assert!(last.body().contains("Your tickets"), "{:?}", last.body());
    assert!(
        last.callback_data(&reopen).is_none(),
        "the 1-day window is in force"
    );
    app.finish().await;
}

fn propdesk(url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_propdesk"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run propdesk")
}

#[tokio::test]
async fn propdesk_settings_set_with_a_bad_value_says_what_is_allowed_and_changes_nothing() {
    let db = propdesk::db::testing::fresh_database().await.unwrap();

    let out = propdesk(&db.url, &["settings", "set", "office_hours", "18:00-09:00"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let sentence = err.trim().trim_start_matches("propdesk: ");
    assert_eq!(
        sentence,
        "office_hours must be two times like 09:00-18:00 with the first one earlier, \
         so nothing was changed."
    );
    let out = propdesk(&db.url, &["settings", "set", "office_hour", "09:00-17:00"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no setting called office_hour"));
    let rows: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM office_settings) + (SELECT count(*) FROM office_settings_audit)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(rows, 0, "nothing written, no audit row");

    let out = propdesk(
        &db.url,
        &[
            "settings",
            "set",
            "office_hours",
            "8:30-17:30",
            "--by",
            "Ms Li",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "office_hours: 09:00-18:00 → 08:30-17:30"
    );
    let by: String = sqlx::query_scalar("SELECT changed_by FROM office_settings_audit")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(by, "Ms Li");
    let out = propdesk(&db.url, &["settings", "show"]);
    let shown = String::from_utf8_lossy(&out.stdout);
    let line = shown
        .lines()
        .find(|l| l.starts_with("office_hours "))
        .expect("office_hours listed");
    assert!(
        line.contains("08:30-17:30") && line.contains("09:00-18:00"),
        "{line}"
    );
    assert!(shown.contains("deadline.repair.urgent"), "{shown}");
}

#[tokio::test]
async fn migration_0010_carries_over_what_an_office_changed_in_the_old_tables() {
    let db = propdesk::db::testing::fresh_database().await.unwrap();
    // Back to before 0010: an empty schema, then migrations 0001–0009.
    sqlx::raw_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        .execute(&db.pool)
        .await
        .unwrap();
    let old = tempfile::tempdir().unwrap();
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.as_str() < "0010" {
            std::fs::copy(&path, old.path().join(&name)).unwrap();
        }
    }
    sqlx::migrate::Migrator::new(old.path())
        .await
        .unwrap()
        .run(&db.pool)
        .await
        .unwrap();
    sqlx::raw_sql(
        "UPDATE queue_settings SET reopen_days = 3, digest_at = '08:15';
         UPDATE visit_settings SET office_open = '08:30', quiet_start = '22:00', survey_auto_day = 5;
         UPDATE sla_rules SET resolve_minutes = 360 WHERE kind = '*' AND priority = 'urgent';
         INSERT INTO sla_rules VALUES ('repair', 'high', 45, 600);",
    )
    .execute(&db.pool)
    .await
    .unwrap();

    propdesk::db::migrate(&db.pool).await.unwrap();

    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT key, value FROM office_settings ORDER BY key")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let stored: Vec<(&str, &str)> = stored
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // The `*` urgent rule changed: every kind without a rule of its own follows.
    let urgent: Vec<String> = ["complaint", "consultation", "other", "registration"]
        .iter()
        .map(|k| format!("deadline.{k}.urgent"))
        .collect();
    let mut want = vec![
        ("deadline.repair.high", "45/600"),
        ("deadline.repair.urgent", "30/360"),
        ("deadline.suggestion.urgent", "30/360"),
        ("digest_time", "08:15"),
        ("office_hours", "08:30-18:00"),
        ("quiet_hours", "22:00-08:00"),
        ("reopen_days", "3"),
        ("survey_auto_day", "5"),
    ];
    want.extend(urgent.iter().map(|k| (k.as_str(), "30/360")));
    want.sort_unstable();
    assert_eq!(stored, want);
    for table in ["queue_settings", "visit_settings", "sla_rules"] {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(table)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert!(!exists, "{table} is dropped");
    }
    let mut conn = db.pool.acquire().await.unwrap();
    let s = propdesk::domain::office_settings::load(&mut conn)
        .await
        .unwrap();
    assert_eq!(s.reopen_days, 3);
    assert_eq!(
        s.deadline(TicketKind::Repair, Priority::High),
        propdesk::domain::tickets::Deadline {
            response_minutes: 45,
            resolve_minutes: 600
        }
    );
}
