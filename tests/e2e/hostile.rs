//! Hostile input (issue 12 item 6): every kind of update the bot does not
//! use, updates teloxide cannot read, SQL metacharacters, control
//! characters and NUL in owners' text, forged buttons, and a stranger
//! adding the bot to a group.

use propdesk::domain::tickets::Priority;
use propdesk::outbox::{self, Outgoing, Request};
use propdesk::telegram::callback::Callback;
use propdesk::telegram::callback::SlotFor;
use serde_json::{json, Value};

use crate::staff::{card, file, leak, office, BUTLER, GROUP, OWNER, STRANGER};
use crate::support::spawn_app;

fn user(id: i64) -> Value {
    json!({"id": id, "is_bot": false, "first_name": "Mallory", "language_code": "en"})
}

fn private_chat(id: i64) -> Value {
    json!({"id": id, "type": "private", "first_name": "Mallory"})
}

fn channel() -> Value {
    json!({"id": -1_009_999_000_001i64, "type": "channel", "title": "Noise"})
}

fn group_chat() -> Value {
    json!({"id": -4242, "type": "group", "title": "Some group"})
}

/// One update of every kind propdesk has no use for, as Telegram sends
/// them, plus two teloxide cannot read: a kind added to Telegram after it,
/// and a `message` whose body is not a message.
fn unused_updates(from: i64) -> Vec<(&'static str, Value)> {
    let now = chrono::Utc::now().timestamp();
    let post = json!({"message_id": 7, "sender_chat": channel(), "chat": channel(), "date": now, "text": "post"});
    let business = json!({"message_id": 8, "from": user(from), "chat": private_chat(from), "date": now,
                          "text": "business", "business_connection_id": "bc1"});
    let poll = json!({"id": "p1", "question": "?", "options": [{"text": "a", "voter_count": 1}],
                      "total_voter_count": 1, "is_closed": true, "is_anonymous": true,
                      "type": "regular", "allows_multiple_answers": false});
    let member = |status: &str| json!({"user": user(from + 1), "status": status});
    vec![
        (
            "edited_message",
            json!({"edited_message": {"message_id": 3, "from": user(from), "chat": group_chat(), "date": now,
                                      "edit_date": now, "text": "edited in a group"}}),
        ),
        ("channel_post", json!({ "channel_post": post })),
        (
            "edited_channel_post",
            json!({"edited_channel_post": {"message_id": 7, "sender_chat": channel(), "chat": channel(),
                                           "date": now, "edit_date": now, "text": "post, edited"}}),
        ),
        ("poll", json!({ "poll": poll })),
        (
            "poll_answer",
            json!({"poll_answer": {"poll_id": "p1", "user": user(from), "option_ids": [0]}}),
        ),
        (
            "message_reaction",
            json!({"message_reaction": {"chat": private_chat(from), "message_id": 1, "user": user(from),
                   "date": now, "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}}),
        ),
        (
            "message_reaction_count",
            json!({"message_reaction_count": {"chat": group_chat(), "message_id": 1, "date": now,
                   "reactions": [{"type": {"type": "emoji", "emoji": "👍"}, "total_count": 3}]}}),
        ),
        (
            "chat_member",
            json!({"chat_member": {"chat": group_chat(), "from": user(from), "date": now,
                   "old_chat_member": member("left"), "new_chat_member": member("member")}}),
        ),
        (
            "chat_join_request",
            json!({"chat_join_request": {"chat": group_chat(), "from": user(from), "user_chat_id": from,
                   "date": now}}),
        ),
        (
            "business_connection",
            json!({"business_connection": {"id": "bc1", "user": user(from), "user_chat_id": from,
                   "date": now, "can_reply": true, "is_enabled": true}}),
        ),
        ("business_message", json!({ "business_message": business })),
        (
            "edited_business_message",
            json!({ "edited_business_message": business }),
        ),
        (
            "deleted_business_messages",
            json!({"deleted_business_messages": {"business_connection_id": "bc1",
                   "chat": private_chat(from), "message_ids": [8]}}),
        ),
        (
            "inline_query",
            json!({"inline_query": {"id": "iq1", "from": user(from), "query": "x", "offset": ""}}),
        ),
        (
            "chosen_inline_result",
            json!({"chosen_inline_result": {"result_id": "r1", "from": user(from), "query": "x"}}),
        ),
        (
            "pre_checkout_query",
            json!({"pre_checkout_query": {"id": "pc1", "from": user(from), "currency": "XTR",
                   "total_amount": 1, "invoice_payload": "x"}}),
        ),
        (
            "shipping_query",
            json!({"shipping_query": {"id": "sq1", "from": user(from), "invoice_payload": "x",
                   "shipping_address": {"country_code": "CN", "state": "", "city": "Shanghai",
                   "street_line1": "1", "street_line2": "", "post_code": "200000"}}}),
        ),
        (
            "removed_chat_boost",
            json!({"removed_chat_boost": {"chat": channel(), "boost_id": "b1", "remove_date": now,
                   "source": {"source": "premium", "user": user(from)}}}),
        ),
        (
            "kind_from_the_future",
            json!({"kind_from_the_future": {"chat": private_chat(from), "anything": [1, 2, 3]}}),
        ),
        (
            "message",
            json!({"message": {"this is": "not a message", "chat": "nowhere"}}),
        ),
    ]
}

#[tokio::test]
async fn unused_and_unreadable_updates_are_stored_whole_processed_and_answered_by_nothing() {
    let app = spawn_app().await;
    app.api.deliver_every_kind();
    // Started (their private chat exists): their /start below is raw JSON.
    let owner = 7001;
    app.api
        .add_started_user(propdesk::standin::TestUser::new(owner, "Owner").language("en"));
    let mallory = 7100;
    let updates = unused_updates(mallory);
    let n = updates.len();
    // The owner's /start after all of them, in the same getUpdates answer:
    // the batch must go on past what teloxide cannot read.
    let mut raw: Vec<Value> = updates.iter().map(|(_, u)| u.clone()).collect();
    raw.push(
        json!({"message": {"message_id": 1, "from": user(owner), "chat": private_chat(owner),
        "date": chrono::Utc::now().timestamp(), "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}),
    );
    let ids = app.api.inject_raw_updates(raw);
    app.expect_message(owner, "").await;
    app.settle().await;

    let rows: Vec<(i64, String, Value, bool, bool, chrono::DateTime<chrono::Utc>)> =
        sqlx::query_as(
            "SELECT update_id, kind, payload, processed_at IS NOT NULL, parked_at IS NOT NULL, received_at
               FROM inbox ORDER BY update_id",
        )
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(rows.len(), n + 1, "every update is stored");
    let batch_time = rows[0].5;
    for ((id, kind, payload, processed, parked, received), (sent_kind, _)) in
        rows.iter().zip(updates.iter())
    {
        assert!(ids.contains(id));
        assert!(
            *processed && !*parked,
            "{sent_kind} (stored as {kind}) is processed, not parked"
        );
        assert!(
            payload.get(*sent_kind).is_some(),
            "{sent_kind} is stored whole (stored as {kind}): {payload}"
        );
        assert_eq!(*received, batch_time, "{sent_kind} came in the same batch");
    }
    let unreadable: Vec<&str> = rows
        .iter()
        .filter(|r| r.1 == "unreadable")
        .map(|r| {
            r.2.as_object()
                .unwrap()
                .keys()
                .find(|k| *k != "update_id")
                .unwrap()
                .as_str()
        })
        .collect();
    assert!(
        unreadable.contains(&"kind_from_the_future") && unreadable.contains(&"message"),
        "{unreadable:?}"
    );
    assert!(rows.last().unwrap().3, "the /start after them is processed");

    // Nothing answered any of them: the only sends are the welcome.
    let sends: Vec<(i64, String)> =
        sqlx::query_as("SELECT chat_id, request->>'method' FROM outbox ORDER BY id")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert!(
        sends.iter().all(|(chat, _)| *chat == owner),
        "only the owner's /start is answered: {sends:?}"
    );
    assert!(app.api.messages(mallory).is_empty());
    app.finish().await;
}

#[tokio::test]
async fn an_edited_message_in_a_private_chat_gets_only_the_notice_that_edits_are_not_read() {
    let app = spawn_app().await;
    let owner = app.person(7002, "en");
    let sent = app.api.send_text(owner, "hello").unwrap();
    app.nth_message(owner, 1).await;
    app.api
        .edit_message(owner, sent.message_id, "hello, edited")
        .unwrap();
    app.expect_message(owner, "edits are not recorded").await;
    app.settle().await;
    assert_eq!(app.api.messages(owner).len(), 2);
    app.finish().await;
}

/// Owners' text as it may come: SQL, LIKE patterns, backslashes, control
/// characters, bidirectional overrides, markup of every parse mode, NUL.
const HOSTILE: &str = "'; DROP TABLE tickets; -- %_\\ \"x\" \u{7}\u{1b}[31mred\r\n\ttab\u{7f} \u{202e}evil\u{202c} \u{200b} <b>bold</b> *star* _under_ [link](http://x.example) &amp; `code` \u{0}end";

#[tokio::test]
async fn sql_and_control_characters_are_stored_verbatim_and_shown_as_plain_text() {
    let app = office().await;
    // NUL cannot be stored in PostgreSQL text: it becomes U+FFFD, nothing else changes.
    let stored = HOSTILE.replace('\u{0}', "\u{FFFD}");

    // As a ticket's description (the card shows it)…
    let mut new = leak(&app, &stored, Priority::Normal);
    new.person_id = None;
    let id = file(&app, 910_001, new).await;
    let shown = card(&app, id).await;
    let description: String = sqlx::query_scalar("SELECT description FROM tickets WHERE id = $1")
        .bind(id.0)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(description, stored, "kept verbatim");
    assert!(shown.body().contains("DROP TABLE tickets"));

    // …and as the owner's own message, through Telegram, relayed to staff.
    app.api.send_text(OWNER, HOSTILE).unwrap();
    let relayed = app.expect_message(GROUP, "'; DROP TABLE tickets; --").await;
    app.settle().await;
    assert!(
        relayed.body().contains(&stored),
        "shown verbatim: {:?}",
        relayed.body()
    );
    assert!(
        relayed.parse_mode.is_none(),
        "plain text: no markup is read"
    );
    let payload_text: String = sqlx::query_scalar(
        "SELECT payload->'message'->>'text' FROM inbox WHERE chat_id = $1 ORDER BY update_id DESC LIMIT 1",
    )
    .bind(OWNER)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(payload_text, stored, "stored verbatim, NUL as U+FFFD");
    let event: String = sqlx::query_scalar(
        "SELECT body FROM ticket_events WHERE ticket_id = $1 AND body LIKE '%DROP TABLE%' ORDER BY id DESC LIMIT 1",
    )
    .bind(id.0)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(event, stored);
    // The tables are all there.
    let tickets: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(tickets >= 1);
    // No message the bot sent anywhere asked for a parse mode.
    assert!(app
        .api
        .requests()
        .iter()
        .all(|r| r.params.get("parse_mode").is_none()));
    app.finish().await;
}

/// A fingerprint of everything but the pipeline's own tables and chats:
/// equal before and after means nothing changed.
async fn fingerprint(pool: &sqlx::PgPool) -> Vec<(String, String)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
          WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
            AND table_name NOT IN ('inbox', 'outbox', 'chats', '_sqlx_migrations', 'bot_state', 'inbound_limits')
          ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut out = Vec::new();
    for table in tables {
        let hash: String = sqlx::query_scalar(&format!(
            "SELECT md5(COALESCE(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        out.push((table, hash));
    }
    out
}

#[tokio::test]
async fn forged_buttons_for_another_owners_ticket_or_staff_actions_are_refused_politely() {
    let app = office().await;
    let id = crate::staff::leak_ticket(&app, 910_101, Priority::High).await;
    card(&app, id).await;
    // Another owner (not staff) presses, in their own chat, buttons they
    // were never given: the first owner's ticket, and the desk's actions.
    let mallory = app.person(7200, "zh-hans");
    app.say(mallory, "/start");
    app.nth_message(mallory, 1).await;
    app.settle().await;
    let before = fingerprint(&app.db.pool).await;
    let forged = [
        Callback::CancelTicket(id),
        Callback::KeepTicket(id),
        Callback::Rate {
            ticket: id,
            stars: 1,
        },
        Callback::Reopen(id),
        Callback::SkipComment(id),
        Callback::MyComment(id),
        Callback::NewRequest(id),
        Callback::Claim(id),
        Callback::Assign(id),
        Callback::GiveTo {
            ticket: id,
            staff_no: 1,
        },
        Callback::QueuePage(1),
        Callback::CannedPick(id),
        Callback::CannedSend {
            ticket: id,
            reply: 1,
        },
        Callback::FollowUpCall(id),
        Callback::FollowUpNote(id),
        Callback::FollowUpReopen(id),
        Callback::RegistrationRefuse(id),
        Callback::Unbind { unit: 1, person: 1 },
        Callback::BroadcastConfirm(1),
        Callback::BroadcastStop(1),
        Callback::BroadcastRecallConfirm(1),
        Callback::IncidentNotify(propdesk::domain::incidents::IncidentId(1)),
        Callback::VisitSlot {
            subject: SlotFor::Ticket(id),
            at: chrono::Utc::now(),
        },
        Callback::OutageDeclare { notify: true },
        Callback::ActivityAnnounce,
        Callback::ForgetErase(12345),
    ];
    let mut queries = Vec::new();
    for button in &forged {
        let pressed = app
            .api
            .press_forged_button(mallory, mallory, 1, &button.encode())
            .unwrap();
        queries.push((button.clone(), pressed));
    }
    app.settle().await;
    let answers = app.api.callback_answers();
    let mut impolite = Vec::new();
    for (button, pressed) in &queries {
        let answered = answers
            .iter()
            .find(|a| a.callback_query_id == pressed.callback_query_id);
        let in_answer = answered
            .and_then(|a| a.text.as_deref())
            .is_some_and(|t| !t.trim().is_empty());
        // Said in the answer, or in a message sent to them for the press.
        let in_message: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE update_id = $1 AND chat_id = $2
                AND request->>'method' = 'send_message'",
        )
        .bind(pressed.update_id)
        .bind(mallory)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        if answered.is_none() || !(in_answer || in_message > 0) {
            impolite.push(format!(
                "{button:?}: answered {:?}, {in_message} messages",
                answered.map(|a| a.text.clone())
            ));
        }
    }
    assert!(impolite.is_empty(), "refused without words: {impolite:#?}");
    assert_eq!(fingerprint(&app.db.pool).await, before, "nothing changed");
    app.finish().await;
}

#[tokio::test]
async fn a_stranger_adding_the_bot_to_a_group_makes_it_leave_and_it_never_writes_there() {
    let app = office().await;
    let strange_group = -300_001;

    app.api.add_bot_to_group(strange_group, STRANGER).unwrap();
    // A message from the group in flight after the join: not answered.
    app.api
        .send_text_in_group(strange_group, STRANGER, "/help")
        .unwrap();
    app.settle().await;
    let leaves = || {
        app.api
            .requests()
            .iter()
            .filter(|r| r.method == "leaveChat")
            .map(|r| r.params["chat_id"].as_i64().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    assert_eq!(leaves(), vec![strange_group]);
    let left: (bool, bool) = sqlx::query_as(
        "SELECT left_at IS NOT NULL, chat_is_reachable(chat_id) FROM chats WHERE chat_id = $1",
    )
    .bind(strange_group)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(left, (true, false), "left, and unreachable");

    // Whatever comes later: a message from the group does not make it
    // reachable again, and a send there is stopped before it goes.
    app.api
        .send_text_in_group(strange_group, STRANGER, "hello?")
        .unwrap();
    app.settle().await;
    let mut conn = app.db.pool.acquire().await.unwrap();
    let row = outbox::enqueue(
        &mut conn,
        None,
        &Outgoing::new(strange_group, outbox::Lane::Staff, Request::text("anyone?")),
    )
    .await
    .unwrap();
    drop(conn);
    let status: String = sqlx::query_scalar("SELECT status FROM outbox WHERE id = $1")
        .bind(row)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "unreachable");
    assert!(
        app.api.messages(strange_group).is_empty(),
        "nothing was ever sent there"
    );

    // Added again by the stranger: it leaves again.
    app.api.add_bot_to_group(strange_group, STRANGER).unwrap();
    app.settle().await;
    assert_eq!(leaves(), vec![strange_group, strange_group]);

    // Staff may add it to their own group; the staff group is always welcome.
    let staff_group = -300_002;
    app.api.add_bot_to_group(staff_group, BUTLER).unwrap();
    app.api.add_bot_to_group(GROUP, STRANGER).unwrap();
    app.settle().await;
    assert_eq!(leaves(), vec![strange_group, strange_group]);
    let reachable: Vec<bool> =
        sqlx::query_scalar("SELECT chat_is_reachable(c) FROM unnest($1::bigint[]) AS c")
            .bind(vec![staff_group, GROUP])
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(reachable, vec![true, true]);
    assert!(app.api.messages(strange_group).is_empty());
    app.finish().await;
}
