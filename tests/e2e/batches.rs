//! Batches: a processor worker claims the head update of many chats and
//! handles them in one transaction, each in its own savepoint. Driven here
//! one batch at a time (no workers run), so what each batch holds is known:
//!
//!   owners A, B, C: /start          owner D: /help (its reply cannot be stored)
//!   batch 1 → A, B, C answered; D's update failed once, alone, and waits
//!   (the fault is mended)
//!   batch 2 → D answered

use std::sync::Arc;
use std::time::Duration;

use propdesk::processor::{self, App};
use propdesk::standin::StandInConfig;
use tokio::sync::Notify;

use crate::support::{spawn_app_with, TestApp, WAIT};

/// The processor as `serve` builds it, for driving batches by hand.
fn processor_of(app: &TestApp) -> App {
    App {
        settings: app.settings.processor.clone(),
        clock: app.clock.clone(),
        dialogues: Arc::new(
            propdesk::app::load_dialogues(&app.settings.dialogues_dir).expect("dialogues"),
        ),
    }
}

/// Waits until intake has stored `n` updates.
async fn stored(app: &TestApp, n: i64) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM inbox")
            .fetch_one(&app.db.pool)
            .await
            .expect("count inbox");
        if count >= n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{count} of {n} stored"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Update ids processed so far, in order.
async fn processed(app: &TestApp) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT update_id FROM inbox WHERE processed_at IS NOT NULL ORDER BY update_id",
    )
    .fetch_all(&app.db.pool)
    .await
    .expect("processed updates")
}

#[tokio::test]
async fn a_failing_update_in_a_batch_is_undone_and_retried_alone_while_the_others_commit() {
    let app = spawn_app_with(StandInConfig::default(), |s| s.workers = 0).await;
    let processor = processor_of(&app);
    // Make the reply to /help impossible to store, as a broken handler would.
    app.refuse_help_replies().await;
    let owners: Vec<i64> = (1..=4).map(|i| app.person(1700 + i, "en")).collect();
    let mut fine = Vec::new();
    for owner in &owners[..3] {
        fine.push(app.say(*owner, "/start"));
    }
    let help = app.say(owners[3], "/help");
    stored(&app, 4).await;

    assert_eq!(
        processor::process_batch(&app.db.pool, &processor, &Notify::new())
            .await
            .unwrap(),
        4,
        "one batch takes all four chats"
    );
    assert_eq!(processed(&app).await, fine);
    let (attempts, error, parked): (i32, Option<String>, bool) = sqlx::query_as(
        "SELECT attempts, last_error, parked_at IS NOT NULL FROM inbox WHERE update_id = $1",
    )
    .bind(help)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(attempts, 1);
    assert!(error.unwrap_or_default().contains("simulated fault"));
    assert!(!parked, "one failure is retried, not parked");
    for owner in &owners[..3] {
        app.expect_message(*owner, "Hello!").await;
    }
    let written_for_help: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE update_id = $1")
            .bind(help)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(written_for_help, 0, "the failed update left nothing behind");

    sqlx::raw_sql("DROP TRIGGER refuse_help ON outbox")
        .execute(&app.db.pool)
        .await
        .unwrap();
    // Its retry comes after the (test's 20 ms) backoff.
    let deadline = tokio::time::Instant::now() + WAIT;
    while !processed(&app).await.contains(&help) {
        assert!(tokio::time::Instant::now() < deadline, "never retried");
        processor::process_batch(&app.db.pool, &processor, &Notify::new())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.expect_message(owners[3], "I can help").await;
    app.finish().await;
}

#[tokio::test]
async fn a_batch_takes_one_update_per_chat_so_every_chat_stays_in_order() {
    let app = spawn_app_with(StandInConfig::default(), |s| s.workers = 0).await;
    let processor = processor_of(&app);
    let (a, b) = (app.person(1711, "en"), app.person(1712, "en"));
    let a1 = app.say(a, "/start");
    let a2 = app.say(a, "/help");
    let b1 = app.say(b, "/help");
    let a3 = app.say(a, "/start");
    stored(&app, 4).await;

    let mut expected = Vec::new();
    for batch in [vec![a1, b1], vec![a2], vec![a3]] {
        assert_eq!(
            processor::process_batch(&app.db.pool, &processor, &Notify::new())
                .await
                .unwrap(),
            batch.len()
        );
        expected.extend(batch);
        expected.sort_unstable();
        assert_eq!(processed(&app).await, expected);
    }
    assert_eq!(
        processor::process_batch(&app.db.pool, &processor, &Notify::new())
            .await
            .unwrap(),
        0
    );

    let replies = app.api.wait_for_messages(a, 3, WAIT).await.unwrap();
    let bodies: Vec<&str> = replies.iter().map(|m| m.body()).collect();
    assert!(bodies[0].starts_with("Hello!"), "{bodies:?}");
    assert!(bodies[1].starts_with("I can help"), "{bodies:?}");
    assert!(bodies[2].starts_with("Hello!"), "{bodies:?}");
    app.expect_message(b, "I can help").await;
    app.finish().await;
}
