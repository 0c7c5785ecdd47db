//! The pipeline's invariants, end to end: stored before confirmed, one
//! effect per update, per-chat order, and the sender's handling of
//! Telegram's refusals.

use std::time::Duration;

use propdesk::standin::StandInConfig;

use crate::support::{fast_limits, spawn_app, spawn_app_with, WAIT};

#[tokio::test]
async fn start_answers_in_the_owners_language_with_the_main_menu() {
    let app = spawn_app().await;
    let zh = app.person(1001, "zh-hans");
    let en = app.person(1002, "en");
    let unknown = app.person(1003, "ru");
    app.say(zh, "/start");
    app.say(en, "/start");
    app.say(unknown, "/help");

    let zh_reply = app.nth_message(zh, 1).await;
    assert!(zh_reply.body().contains("物业客服"), "{}", zh_reply.body());
    assert!(zh_reply.callback_data("投诉").is_some());
    assert!(zh_reply.callback_data("我的工单").is_some());
    let en_reply = app.nth_message(en, 1).await;
    assert!(
        en_reply.body().contains("property service desk"),
        "{}",
        en_reply.body()
    );
    for label in [
        "Complaint",
        "Repair",
        "Questions",
        "Fees",
        "Survey",
        "Suggestion box",
        "My tickets",
        "Register",
    ] {
        assert!(
            en_reply.callback_data(label).is_some(),
            "menu lacks {label}"
        );
    }
    let default_reply = app.nth_message(unknown, 1).await;
    assert!(
        default_reply.body().contains("/mytickets"),
        "help in Chinese by default"
    );
    assert!(default_reply.body().contains("投诉"));
    app.finish().await;
}

#[tokio::test]
async fn the_command_list_is_registered_in_both_languages() {
    let app = spawn_app().await;
    let owner = app.person(1010, "en");
    app.say(owner, "/start");
    app.nth_message(owner, 1).await;
    let en: Vec<String> = app
        .api
        .commands("en")
        .into_iter()
        .map(|c| c.command)
        .collect();
    let zh = app.api.commands("zh");
    assert!(
        en.contains(&"start".to_string()) && en.contains(&"mytickets".to_string()),
        "{en:?}"
    );
    assert!(zh.iter().any(|c| c.description.contains("工单")), "{zh:?}");
    app.finish().await;
}

#[tokio::test]
async fn the_same_update_delivered_twice_gets_one_reply() {
    let app = spawn_app().await;
    let owner = app.person(1020, "en");
    let update = app.say(owner, "/start");
    app.nth_message(owner, 1).await;
    app.api.redeliver(update).expect("redeliver");
    app.settle().await;
    assert_eq!(app.api.messages(owner).len(), 1);
    app.finish().await;
}

#[tokio::test]
async fn updates_stored_before_a_crash_are_answered_after_restart() {
    // First run: intake and sender only, so updates are stored and confirmed
    // but not processed when the crash comes.
    let mut app = spawn_app_with(StandInConfig::default(), |s| s.workers = 0).await;
    let owners: Vec<i64> = (0..5).map(|i| app.person(1100 + i, "en")).collect();
    for owner in &owners {
        app.say(*owner, "/start");
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM inbox")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        if stored == 5 && app.api.pending_updates() == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "updates never stored"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.crash().await;
    for owner in &owners {
        assert!(app.api.messages(*owner).is_empty());
    }

    app.settings.workers = 4;
    app.start();
    for owner in &owners {
        app.nth_message(*owner, 1).await;
    }
    app.settle().await;
    for owner in &owners {
        assert_eq!(app.api.messages(*owner).len(), 1);
    }
    app.finish().await;
}

/// Each chat sends its own sequence of inputs whose replies differ, so the
/// order of the replies shows the order of processing and sending.
#[tokio::test]
async fn a_hundred_chats_of_twenty_messages_each_get_their_replies_in_order() {
    let (config, limits) = fast_limits();
    let app = spawn_app_with(config, |s| s.sender.limits = limits).await;
    const INPUTS: [&str; 5] = ["/start", "/help", "/lang", "/cancel", "hello?"];
    let expected = |chat: i64, k: usize| (chat as usize + k * 3) % INPUTS.len();
    let chats: Vec<i64> = (0..100).map(|i| app.person(20_000 + i, "en")).collect();
    let senders: Vec<_> = chats
        .iter()
        .map(|&chat| {
            let api = app.api.clone();
            tokio::spawn(async move {
                for k in 0..20 {
                    api.send_text(chat, INPUTS[expected(chat, k)])
                        .expect("send");
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    for s in senders {
        s.await.unwrap();
    }
    let reply_of = |text: &str| -> usize {
        if text.starts_with("Hello! This is") {
            0
        } else if text.starts_with("I can help") {
            1
        } else if text.starts_with("Choose your language") {
            2
        } else if text.starts_with("There is nothing to cancel") {
            3
        } else if text.starts_with("Sorry, I did not understand") {
            4
        } else {
            panic!("unexpected reply {text:?}")
        }
    };
    for &chat in &chats {
        let messages = app
            .api
            .wait_for_messages(chat, 20, Duration::from_secs(60))
            .await
            .unwrap();
        let got: Vec<usize> = messages.iter().map(|m| reply_of(m.body())).collect();
        let want: Vec<usize> = (0..20).map(|k| expected(chat, k)).collect();
        assert_eq!(got, want, "chat {chat} replies out of order");
    }
    app.finish().await;
}

#[tokio::test]
async fn a_429_delays_the_reply_but_loses_nothing() {
    let app = spawn_app().await;
    let owner = app.person(1200, "en");
    let other = app.person(1201, "en");
    app.api.force_429(owner, 1);
    app.say(owner, "/start");
    app.say(other, "/start");
    app.nth_message(other, 1).await;
    app.nth_message(owner, 1).await;
    app.settle().await;
    assert_eq!(app.api.rate_limited_count(), 1);
    let status: String = sqlx::query_scalar("SELECT status FROM outbox WHERE chat_id = $1")
        .bind(owner)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "sent");
    app.finish().await;
}

#[tokio::test]
async fn a_chat_that_blocked_the_bot_is_marked_unreachable_and_left_alone() {
    let app = spawn_app().await;
    let owner = app.person(1300, "en");
    app.api.block_chat(owner);
    app.say(owner, "/start");
    app.settle().await;
    let blocked: bool =
        sqlx::query_scalar("SELECT blocked_at IS NOT NULL FROM chats WHERE chat_id = $1")
            .bind(owner)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(blocked);
    let status: String = sqlx::query_scalar("SELECT status FROM outbox WHERE chat_id = $1")
        .bind(owner)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "unreachable");
    let attempts = app
        .api
        .requests()
        .iter()
        .filter(|r| r.method.eq_ignore_ascii_case("sendMessage") && r.params["chat_id"] == owner)
        .count();
    assert_eq!(attempts, 1, "a blocked chat is not retried");
    app.finish().await;
}

#[tokio::test]
async fn server_errors_are_retried_until_the_message_goes_through() {
    let app = spawn_app().await;
    let owner = app.person(1400, "en");
    // teloxide reads a 5xx answer only after 10 s, so one failure is enough.
    app.api.fail_next_method("sendMessage", 1, 502);
    app.say(owner, "/start");
    let reply = app.nth_message(owner, 1).await;
    assert!(reply.body().starts_with("Hello!"));
    let attempts: i32 = sqlx::query_scalar("SELECT attempts FROM outbox WHERE chat_id = $1")
        .bind(owner)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(attempts, 2);
    app.finish().await;
}

#[tokio::test]
async fn a_send_whose_answer_is_lost_is_counted_as_ambiguous_and_bounded() {
    let app = spawn_app().await;
    let owner = app.person(1500, "en");
    app.api.drop_next_responses(1);
    app.say(owner, "/start");
    app.nth_message(owner, 1).await;
    app.settle().await;
    let (status, ambiguous): (String, i32) =
        sqlx::query_as("SELECT status, ambiguous FROM outbox WHERE chat_id = $1")
            .bind(owner)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), ambiguous), ("sent", 1));
    // The message arrived the first time; the retry may duplicate it once.
    assert!(app.api.messages(owner).len() <= 2);
    app.finish().await;
}

#[tokio::test]
async fn a_failing_update_is_parked_with_an_apology_and_can_be_replayed() {
    let app = spawn_app().await;
    let owner = app.person(1600, "en");
    // Make the reply to /help impossible to store, as a broken handler would.
    app.refuse_help_replies().await;
    let help = app.say(owner, "/help");
    let apology = app
        .expect_message(owner, "Sorry, something went wrong")
        .await;
    assert!(
        apology.body().contains(&format!("u{help}")),
        "reference in {:?}",
        apology.body()
    );
    let parked = propdesk::inbox::list_parked(&app.db.pool).await.unwrap();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].update_id, help);
    assert!(parked[0].last_error.contains("simulated fault"));

    // The chat is not stuck behind the parked update.
    app.say(owner, "/start");
    app.expect_message(owner, "Hello!").await;

    sqlx::raw_sql("DROP TRIGGER refuse_help ON outbox")
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert!(propdesk::inbox::replay_parked(&app.db.pool, help)
        .await
        .unwrap());
    app.expect_message(owner, "I can help").await;
    assert!(propdesk::inbox::list_parked(&app.db.pool)
        .await
        .unwrap()
        .is_empty());
    app.finish().await;
}

#[tokio::test]
async fn updates_the_bot_does_not_handle_are_stored_and_answered_politely() {
    let app = spawn_app().await;
    let owner = app.person(1700, "en");
    app.api.send_sticker(owner).unwrap();
    app.api.send_voice(owner).unwrap();
    let sent = app.api.send_text(owner, "hello").unwrap();
    app.api
        .edit_message(owner, sent.message_id, "hello again")
        .unwrap();
    app.api.channel_post(-100_777, "channel news");
    app.settle().await;
    let texts: Vec<String> = app
        .api
        .messages(owner)
        .iter()
        .map(|m| m.body().to_string())
        .collect();
    assert_eq!(texts.len(), 4, "{texts:?}");
    assert!(texts[0].contains("cannot read stickers"), "{texts:?}");
    assert!(texts[1].contains("only handle text"), "{texts:?}");
    assert!(texts[2].contains("did not understand"));
    assert!(texts[3].contains("edits are not recorded"));
    let unprocessed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM inbox WHERE processed_at IS NULL")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(unprocessed, 0);
    app.finish().await;
}

#[tokio::test]
async fn the_running_bot_expires_a_forgotten_draft_on_its_own() {
    let app = spawn_app_with(StandInConfig::default(), |s| s.run_scheduler = true).await;
    let owner = app.person(1800, "en");
    app.say(owner, "/start");
    let menu = app.nth_message(owner, 1).await;
    app.press(owner, &menu, "Suggestion box");
    app.expect_message(owner, "suggestion").await;
    app.clock.advance(chrono::Duration::hours(25));
    app.expect_message(owner, "closed after 24 hours").await;
    let drafts: i64 = sqlx::query_scalar("SELECT count(*) FROM conversations")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(drafts, 0);
    app.finish().await;
}

#[tokio::test]
async fn processed_updates_leave_the_inbox_after_thirty_days_and_parked_ones_stay() {
    let db = propdesk::db::testing::fresh_database().await.unwrap();
    sqlx::raw_sql(
        "INSERT INTO inbox (update_id, kind, payload, processed_at, parked_at) VALUES
           (1, 'message', '{}', now() - interval '31 days', NULL),
           (2, 'message', '{}', now() - interval '29 days', NULL),
           (3, 'message', '{}', NULL, now() - interval '40 days'),
           (4, 'message', '{}', NULL, NULL)",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let pruned = propdesk::inbox::prune(&db.pool, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    let left: Vec<i64> = sqlx::query_scalar("SELECT update_id FROM inbox ORDER BY update_id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(left, vec![2, 3, 4]);
}

#[tokio::test]
async fn an_album_sent_outside_any_form_gets_one_pointer_to_the_menu() {
    let app = spawn_app().await;
    let owner = app.person(1900, "en");
    app.api.send_album(owner, 4).unwrap();
    app.settle().await;
    let texts: Vec<String> = app
        .api
        .messages(owner)
        .iter()
        .map(|m| m.body().to_string())
        .collect();
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].contains("choose it from the menu first"),
        "{texts:?}"
    );
    app.finish().await;
}
