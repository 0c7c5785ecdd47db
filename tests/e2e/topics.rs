//! A topic per ticket (issue 10, item 1), in the office of `staff.rs` with
//! its staff group a forum supergroup:
//!
//! ```text
//! owner files a repair         → topic "🆕 #1 报修 · 3-2-1101 · 厨房水管漏水…", the card first (pinned)
//! butler claims on the card    → topic renamed 🔧
//! butler types in the topic    → the owner gets it, signed by the office
//! owner sends a photo          → it appears in the topic
//! butler: // 钥匙在保安室        → an internal note: the owner gets nothing
//! butler: /resolve 已更换水管    → topic renamed ✅ and closed; the owner asked to rate
//! butler types in it again     → told it is finished, with a reopen button; the owner gets nothing
//! owner rates 2⭐               → the supervisor is told privately, presses reopen → topic reopened
//! ```

use std::time::{Duration, Instant};

use propdesk::clock::Clock;
use propdesk::domain::departments::Department;
use propdesk::domain::tickets::{NewTicket, Priority, TicketId, TicketKind, TicketStatus};
use propdesk::standin::{SentMessage, StandInConfig, Topic};

use crate::staff::{
    event_kinds, fast_office_in_forum, leak_ticket, load, office_with, BUTLER, GROUP, OWNER,
    SUPERVISOR,
};
use crate::support::{TestApp, WAIT};

const ENGINEERING: i64 = -1_001_234_567_890;

/// The forum office, after a first message in the group (from which the
/// bot learns it is a forum).
async fn forum_office() -> TestApp {
    let app = fast_office_in_forum().await;
    learn_forum(&app, GROUP).await;
    app
}

/// The forum office at Telegram's limits on both sides, the forum learnt.
async fn forum_office_at_telegrams_limits() -> TestApp {
    let app = office_with(
        StandInConfig::default(),
        propdesk::sender::limits::RateLimits::default(),
        true,
    )
    .await;
    learn_forum(&app, GROUP).await;
    app
}

async fn learn_forum(app: &TestApp, chat: i64) {
    app.api
        .send_text_in_group(chat, BUTLER, "早上好")
        .expect("a message in the group");
    app.settle().await;
}

/// Waits until `chat` has a topic satisfying `predicate`.
async fn wait_for_topic(
    app: &TestApp,
    chat: i64,
    predicate: impl Fn(&Topic) -> bool,
    within: Duration,
) -> Topic {
    let deadline = Instant::now() + within;
    loop {
        if let Some(t) = app.api.topics(chat).into_iter().find(|t| predicate(t)) {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "no such topic in {chat}: {:?}",
            app.api
                .topics(chat)
                .iter()
                .map(|t| (&t.name, t.closed, t.deleted))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The (live) topic of ticket `id` in `chat`.
async fn topic_of(app: &TestApp, chat: i64, id: TicketId) -> Topic {
    let tag = format!("{id} ");
    wait_for_topic(app, chat, |t| !t.deleted && t.name.contains(&tag), WAIT).await
}

/// Waits for the topic's state to satisfy `predicate`.
async fn topic_becomes(
    app: &TestApp,
    chat: i64,
    thread: i64,
    predicate: impl Fn(&Topic) -> bool,
) -> Topic {
    wait_for_topic(
        app,
        chat,
        |t| t.message_thread_id == thread && predicate(t),
        WAIT,
    )
    .await
}

async fn in_topic(app: &TestApp, chat: i64, thread: i64, needle: &str) -> SentMessage {
    app.api
        .wait_for_topic_message(chat, thread, |m| m.body().contains(needle), WAIT)
        .await
        .unwrap_or_else(|e| panic!("waiting for {needle:?} in topic {thread}: {e:#}"))
}

/// Waits until the count `sql` reads satisfies `ok`.
async fn count_becomes(app: &TestApp, sql: &str, ok: impl Fn(i64) -> bool, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let n: i64 = sqlx::query_scalar(sql)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        if ok(n) {
            return;
        }
        assert!(Instant::now() < deadline, "{sql}: still {n}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn owner_messages(app: &TestApp) -> usize {
    app.api.messages(OWNER).len()
}

#[tokio::test]
async fn a_day_in_the_desk_from_a_ticket_topic() {
    let app = forum_office().await;
    // The supervisor has a private chat with the bot (for the low rating).
    app.say(SUPERVISOR, "/mine");
    app.expect_message(SUPERVISOR, "没有进行中的工单").await;
    app.api.add_topic_admin(GROUP, BUTLER).unwrap();

    let id = leak_ticket(&app, 930_001, Priority::Normal).await;
    let topic = topic_of(&app, GROUP, id).await;
    let thread = topic.message_thread_id;
    assert_eq!(
        topic.name,
        format!("🆕 {id} 报修 · 3-2-1101 · 厨房水管漏水，地面有积水")
    );
    assert!(topic.by_bot);
    // Its first message is the card, pinned.
    let card = in_topic(&app, GROUP, thread, &format!("工单 {id} ·")).await;
    let first = app
        .api
        .topic_messages(GROUP, thread)
        .into_iter()
        .find(|m| m.service.is_none())
        .expect("a message in the topic");
    assert_eq!(first.message_id, card.message_id, "the card comes first");
    app.settle().await;
    assert_eq!(app.api.pinned(GROUP), Some(card.message_id));
    assert!(card.body().contains("138****1234"), "{}", card.body());

    // Claimed on the card: the topic's name shows it.
    app.press(BUTLER, &card, "认领");
    app.expect_message(OWNER, "已由").await;
    topic_becomes(&app, GROUP, thread, |t| t.name.starts_with("🔧")).await;

    // Typed in the topic: the owner gets it from the office; staff are told in the topic.
    app.api
        .send_text_in_topic(GROUP, thread, BUTLER, "师傅下午两点上门")
        .unwrap();
    let reply = app.expect_message(OWNER, "师傅下午两点上门").await;
    assert!(reply.body().contains("管家"), "{}", reply.body());
    in_topic(&app, GROUP, thread, &format!("已回复工单 {id} 的业主")).await;
    assert!(load(&app, id).await.topic.is_some());

    // The owner's photo is mirrored into the topic.
    app.api.send_photo(OWNER, Some("水还在滴")).unwrap();
    let mirrored = app
        .api
        .wait_for_topic_message(
            GROUP,
            thread,
            |m| m.method == "sendPhoto" && m.body().contains("水还在滴"),
            WAIT,
        )
        .await
        .expect("the owner's photo in the topic");
    assert!(mirrored.file.is_some());
    app.expect_message(OWNER, "已将您的补充信息").await;
    // A contact shared about it is mirrored too; the owner's own number masked.
    app.api
        .share_contact(OWNER, "+8613912345678", None)
        .unwrap();
    in_topic(&app, GROUP, thread, "+8613912345678").await;
    app.api
        .share_contact(OWNER, "+8613812341234", Some(OWNER))
        .unwrap();
    in_topic(&app, GROUP, thread, "138****1234").await;

    // An internal note stays internal.
    app.settle().await;
    let seen = owner_messages(&app);
    app.api
        .send_text_in_topic(GROUP, thread, BUTLER, "// 业主下午不在家，钥匙在保安室")
        .unwrap();
    in_topic(&app, GROUP, thread, "内部备注").await;
    app.settle().await;
    assert_eq!(owner_messages(&app), seen, "the owner sees no note");
    let note: String =
        sqlx::query_scalar("SELECT body FROM ticket_events WHERE ticket_id = $1 AND kind = 'note'")
            .bind(id.0)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(note, "业主下午不在家，钥匙在保安室");

    // Resolved from the topic, without a number: renamed and closed.
    app.api
        .send_text_in_topic(GROUP, thread, BUTLER, "/resolve 已更换水管")
        .unwrap();
    let rating = app.expect_message(OWNER, "请为本次服务评分").await;
    let closed = topic_becomes(&app, GROUP, thread, |t| t.closed).await;
    assert!(closed.name.starts_with("✅"), "{}", closed.name);

    // Typing in the finished ticket's topic: told so, with a reopen button.
    app.settle().await;
    let seen = owner_messages(&app);
    app.api
        .send_text_in_topic(GROUP, thread, BUTLER, "还有别的问题吗？")
        .unwrap();
    let told = in_topic(&app, GROUP, thread, "不会发给业主").await;
    assert!(told.callback_data("重新打开工单").is_some());
    app.settle().await;
    assert_eq!(owner_messages(&app), seen);

    // Two stars: the supervisor is told privately and reopens it.
    app.press(OWNER, &rating, "2⭐");
    let follow_up = app.expect_message(SUPERVISOR, "差评回访").await;
    app.press(SUPERVISOR, &follow_up, "↩️ 重新打开");
    app.expect_message(OWNER, "已重新打开").await;
    let reopened = topic_becomes(&app, GROUP, thread, |t| !t.closed).await;
    // Back with its holder, as the topic's name says.
    assert_eq!(load(&app, id).await.status, TicketStatus::Claimed);
    assert!(reopened.name.starts_with("🔧"), "{}", reopened.name);
    assert!(event_kinds(&app, id).await.contains(&"note".to_string()));
    app.finish().await;
}

#[tokio::test]
async fn commands_in_a_topic_are_about_its_ticket_and_answer_there() {
    let app = forum_office().await;
    let id = leak_ticket(&app, 930_101, Priority::High).await;
    let thread = topic_of(&app, GROUP, id).await.message_thread_id;
    app.api
        .send_text_in_topic(GROUP, thread, BUTLER, "/claim")
        .unwrap();
    in_topic(&app, GROUP, thread, &format!("您已认领工单 {id}")).await;
    app.api
        .send_text_in_topic(GROUP, thread, BUTLER, "/ticket")
        .unwrap();
    in_topic(&app, GROUP, thread, "厨房水管漏水").await;
    app.api
        .send_text_in_topic(GROUP, thread, BUTLER, "/note 已联系物业维修组")
        .unwrap();
    in_topic(&app, GROUP, thread, "内部备注").await;
    // Someone who is not staff chatting in the topic: nothing happens.
    app.settle().await;
    let seen = owner_messages(&app);
    app.api
        .send_text_in_topic(GROUP, thread, crate::staff::STRANGER, "路过")
        .unwrap();
    app.settle().await;
    assert_eq!(owner_messages(&app), seen);
    assert_eq!(load(&app, id).await.assignee, Some(BUTLER));
    app.finish().await;
}

#[tokio::test]
async fn a_topic_deleted_by_hand_is_opened_again_with_what_it_missed() {
    let app = forum_office().await;
    let id = leak_ticket(&app, 930_201, Priority::Normal).await;
    let old = topic_of(&app, GROUP, id).await;
    in_topic(&app, GROUP, old.message_thread_id, &format!("工单 {id} ·")).await;
    app.settle().await;
    app.api
        .delete_topic_by_hand(GROUP, old.message_thread_id)
        .unwrap();

    // The owner adds something: its mirror is refused (the topic is gone).
    app.say(OWNER, "楼下邻居也说漏水了");
    app.expect_message(OWNER, "已将您的补充信息").await;
    count_becomes(
        &app,
        "SELECT count(*) FROM outbox WHERE status = 'failed' AND last_error LIKE 'topic lost%'",
        |n| n > 0,
        WAIT,
    )
    .await;

    // The scheduler opens a new topic: the note, the card, the message it missed.
    let report =
        propdesk::scheduler::tick(&app.db.pool, &crate::staff::shared(&app), app.clock.now())
            .await
            .unwrap();
    assert_eq!(report.topics_reopened, 1);
    let new = wait_for_topic(
        &app,
        GROUP,
        |t| !t.deleted && t.message_thread_id != old.message_thread_id,
        WAIT,
    )
    .await;
    assert!(new.name.contains(&format!("{id} ")), "{}", new.name);
    let thread = new.message_thread_id;
    in_topic(&app, GROUP, thread, "被删除了").await;
    let card = in_topic(&app, GROUP, thread, &format!("工单 {id} ·")).await;
    in_topic(&app, GROUP, thread, "楼下邻居也说漏水了").await;
    app.settle().await;
    assert_eq!(app.api.pinned(GROUP), Some(card.message_id));
    // Staff typing in the new topic reach the owner.
    app.api
        .send_text_in_topic(GROUP, thread, BUTLER, "马上派人去看")
        .unwrap();
    app.expect_message(OWNER, "马上派人去看").await;
    // Nothing is refused a second time, and a second tick has nothing to do.
    let again =
        propdesk::scheduler::tick(&app.db.pool, &crate::staff::shared(&app), app.clock.now())
            .await
            .unwrap();
    assert_eq!(again.topics_reopened, 0);
    app.finish().await;
}

#[tokio::test]
async fn a_transfer_moves_the_topic_to_the_departments_forum() {
    let app = forum_office().await;
    app.api.add_forum_group(ENGINEERING, "工程维修群");
    app.set_office_setting("department.engineering.chat", &ENGINEERING.to_string())
        .await;
    learn_forum(&app, ENGINEERING).await;
    let id = leak_ticket(&app, 930_301, Priority::Normal).await;
    let eng = topic_of(&app, ENGINEERING, id).await;
    in_topic(
        &app,
        ENGINEERING,
        eng.message_thread_id,
        &format!("工单 {id} ·"),
    )
    .await;
    assert_eq!(load(&app, id).await.department, Department::Engineering);

    app.api
        .send_text_in_topic(ENGINEERING, eng.message_thread_id, BUTLER, "/transfer 客服")
        .unwrap();
    // A new topic in the staff group, with the card; the old one says where and closes.
    let service = topic_of(&app, GROUP, id).await;
    in_topic(
        &app,
        GROUP,
        service.message_thread_id,
        &format!("工单 {id} ·"),
    )
    .await;
    let old = topic_becomes(&app, ENGINEERING, eng.message_thread_id, |t| t.closed).await;
    assert!(old.name.starts_with("➡️"), "{}", old.name);
    assert!(old.name.contains("客服中心"), "{}", old.name);
    let link = in_topic(
        &app,
        ENGINEERING,
        eng.message_thread_id,
        "已从工程维修部转至客服中心",
    )
    .await;
    assert!(serde_json::to_string(&link.reply_markup)
        .unwrap()
        .contains("https://t.me/c/"));
    // Staff in the new topic reach the owner.
    app.api
        .send_text_in_topic(GROUP, service.message_thread_id, BUTLER, "客服中心已接手")
        .unwrap();
    app.expect_message(OWNER, "客服中心已接手").await;
    app.finish().await;
}

#[tokio::test]
async fn a_department_can_have_a_topic_of_its_own_in_the_staff_forum() {
    let app = forum_office().await;
    let security = app
        .api
        .open_topic_by_hand(GROUP, BUTLER, "秩序安保部")
        .unwrap();
    app.set_office_setting("department.security.chat", &format!("{GROUP}/{security}"))
        .await;
    // A repair (its own topic), then a security complaint (the owner's
    // latest, so their follow-up below is about it).
    let repair = leak_ticket(&app, 930_502, Priority::Normal).await;
    topic_of(&app, GROUP, repair).await;
    let mut new = NewTicket::new(TicketKind::Complaint, "地下车库有陌生人徘徊");
    new.owner_chat_id = Some(OWNER);
    new.category = Some("security".into());
    let complaint = crate::staff::file(&app, 930_501, new).await;
    // Its card goes into the department's topic; it opens none of its own.
    let card = in_topic(&app, GROUP, security, &format!("工单 {complaint} ·")).await;
    app.settle().await;
    let tag = format!("{complaint} ");
    assert!(!app.api.topics(GROUP).iter().any(|t| t.name.contains(&tag)));
    assert!(load(&app, complaint).await.topic.is_none());

    // The department's topic has its own queue.
    app.api
        .send_text_in_topic(GROUP, security, BUTLER, "/queue")
        .unwrap();
    let queue = app
        .api
        .wait_for_topic_message(
            GROUP,
            security,
            |m| m.message_id > card.message_id && m.body().contains("工单"),
            WAIT,
        )
        .await
        .unwrap();
    assert!(
        queue.body().contains(&complaint.to_string()),
        "{}",
        queue.body()
    );
    assert!(
        !queue.body().contains(&repair.to_string()),
        "{}",
        queue.body()
    );

    // A reply to its card reaches the owner; notices about it land in the topic.
    app.api
        .reply_to(GROUP, BUTLER, card.message_id, "保安马上过去查看")
        .unwrap();
    app.expect_message(OWNER, "保安马上过去查看").await;
    app.say(OWNER, "他穿着黑色外套");
    in_topic(&app, GROUP, security, "他穿着黑色外套").await;
    app.finish().await;
}

#[tokio::test]
async fn without_the_right_to_manage_topics_the_card_goes_to_general_at_once() {
    let mut app = forum_office().await;
    app.api.set_bot_can_manage_topics(GROUP, false).unwrap();
    let id = leak_ticket(&app, 930_601, Priority::Normal).await;
    // Refused once, not retried: the card follows at once, in General.
    let card = crate::staff::card(&app, id).await;
    assert_eq!(card.message_thread_id, None);
    assert!(app.api.topics(GROUP).is_empty());
    let refused: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE status = 'failed' AND attempts = 1
            AND request->>'method' = 'create_forum_topic'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(refused, 1);
    // Replies to the card still reach the owner, and a status change does
    // not wait on the topic that never opened (its rename fails here,
    // without a request to Telegram).
    app.api
        .reply_to(GROUP, BUTLER, card.message_id, "师傅下午两点上门")
        .unwrap();
    app.expect_message(OWNER, "师傅下午两点上门").await;
    app.say(BUTLER, &format!("/claim {}", id.0));
    app.expect_message(BUTLER, "由您负责").await;
    app.settle().await;
    let asked: Vec<String> = app
        .api
        .requests()
        .iter()
        .map(|r| r.method.clone())
        .filter(|m| m.ends_with("ForumTopic"))
        .collect();
    assert_eq!(asked, ["createForumTopic"]);
    // The refusal was expected: stop without `finish`'s no-refusal check.
    app.stop().await;
}

#[tokio::test]
async fn without_forum_mode_cards_and_replies_work_as_before() {
    let app = crate::staff::office().await;
    app.api.send_text_in_group(GROUP, BUTLER, "早上好").unwrap();
    let id = leak_ticket(&app, 930_401, Priority::Normal).await;
    let card = crate::staff::card(&app, id).await;
    assert_eq!(card.message_thread_id, None);
    assert!(app.api.topics(GROUP).is_empty());
    assert!(load(&app, id).await.topic.is_none());
    app.api
        .reply_to(GROUP, BUTLER, card.message_id, "师傅下午两点上门")
        .unwrap();
    app.expect_message(OWNER, "师傅下午两点上门").await;
    app.finish().await;
}

/// Fifty tickets at once, at Telegram's limits on both sides: fifty topics,
/// each with its card, and not one 429 (a topic and a card are two of a
/// group's twenty messages a minute, so this takes about five minutes).
#[tokio::test]
async fn fifty_tickets_in_a_burst_open_fifty_topics_without_a_429() {
    let app = forum_office_at_telegrams_limits().await;
    let started = Instant::now();
    let mut ids = Vec::new();
    for n in 0..50 {
        ids.push(leak_ticket(&app, 931_000 + n, Priority::Normal).await);
    }
    let within = Duration::from_secs(8 * 60);
    let deadline = Instant::now() + within;
    loop {
        let topics = app.api.topics(GROUP);
        let cards = app
            .api
            .messages(GROUP)
            .iter()
            .filter(|m| m.message_thread_id.is_some() && m.body().contains("工单 #"))
            .count();
        if topics.len() >= 50 && cards >= 50 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} topics and {cards} cards after {:?}",
            topics.len(),
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let took = started.elapsed();
    let topics = app.api.topics(GROUP);
    // A second topic for a ticket can only come from sending its
    // `createForumTopic` again after Telegram's answer was lost (Telegram
    // has no way to ask which topics exist); none is expected here.
    let lost_answers: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(ambiguous), 0)::bigint FROM outbox
          WHERE request->>'method' = 'create_forum_topic'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let extra = i64::try_from(topics.len()).unwrap() - 50;
    assert!(
        (0..=lost_answers).contains(&extra),
        "{} topics for 50 tickets, {lost_answers} lost answers",
        topics.len()
    );
    for id in &ids {
        let tag = format!("{id} ");
        let with_card = topics.iter().filter(|t| t.name.contains(&tag)).any(|t| {
            app.api
                .topic_messages(GROUP, t.message_thread_id)
                .into_iter()
                .find(|m| m.service.is_none())
                .is_some_and(|first| first.body().contains(&format!("工单 {id} ·")))
        });
        assert!(with_card, "no topic of {id} starts with its card");
    }
    assert_eq!(app.api.rate_limited_count(), 0, "no 429");
    assert!(
        app.api
            .max_sends_per_chat_in_any_window(Duration::from_secs(60))
            <= 20
    );
    println!("50 topics and cards in {took:?}");
    app.finish().await;
}

/// The time from an owner's message to its mirror in the ticket's topic,
/// against the stand-in at Telegram's limits on both sides (the bot's own
/// pacing included): steady traffic within a group's 20 messages a minute,
/// then a burst of 20 at once. Prints the figures for `docs/benchmarks.md`;
/// `scripts/topic-latency` runs it.
#[tokio::test]
#[ignore = "a measurement (about 5 minutes): scripts/topic-latency"]
async fn mirror_latency_at_telegrams_limits() {
    const OWNERS: i64 = 20;
    let app = forum_office_at_telegrams_limits().await;
    let owners: Vec<i64> = (0..OWNERS).map(|n| 7_000 + n).collect();
    let mut ids = Vec::new();
    for (n, owner) in owners.iter().enumerate() {
        app.person(*owner, "zh-hans");
        app.say(*owner, "/start");
        let mut new = crate::staff::leak(&app, &format!("{n} 号业主：厨房漏水"), Priority::Normal);
        new.owner_chat_id = Some(*owner);
        ids.push((
            *owner,
            crate::staff::file(&app, 932_000 + n as i64, new).await,
        ));
    }
    // Forty topics and cards at 20 a minute: wait for them, then for the
    // group's minute to pass, so the measurement starts from a quiet group.
    let setup = Duration::from_secs(4 * 60);
    let mut threads = std::collections::HashMap::new();
    for (owner, id) in &ids {
        let tag = format!("{id} ");
        let topic = wait_for_topic(&app, GROUP, |t| t.name.contains(&tag), setup).await;
        threads.insert(*owner, topic.message_thread_id);
    }
    app.api
        .wait_for_message(
            GROUP,
            |m| m.body().contains(&format!("工单 #{OWNERS} ·")),
            setup,
        )
        .await
        .expect("the last card");
    // The last pins wait for the group's minute too.
    count_becomes(
        &app,
        "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')",
        |n| n == 0,
        setup,
    )
    .await;
    tokio::time::sleep(Duration::from_secs(61)).await;

    let measure = |owner: i64, n: usize, sent: Instant| {
        let app = &app;
        let thread = threads[&owner];
        async move {
            let needle = format!("第 {n} 条补充");
            let m = app
                .api
                .wait_for_topic_message(GROUP, thread, |m| m.body().contains(&needle), setup)
                .await
                .expect("the mirror");
            m.sent_at.duration_since(sent)
        }
    };
    // Steady: one owner message every 3.5 s (17 a minute, under the 20).
    let mut steady = Vec::new();
    for n in 0..30 {
        let owner = owners[n % owners.len()];
        let sent = Instant::now();
        app.say(owner, &format!("第 {n} 条补充：水还在滴"));
        steady.push(measure(owner, n, sent).await);
        tokio::time::sleep(Duration::from_millis(3_500).saturating_sub(sent.elapsed())).await;
    }
    tokio::time::sleep(Duration::from_secs(61)).await;
    // A burst: every owner writes at once.
    let sent = Instant::now();
    for (i, owner) in owners.iter().enumerate() {
        app.say(*owner, &format!("第 {} 条补充：楼下也漏了", 100 + i));
    }
    let mut burst = Vec::new();
    for (i, owner) in owners.iter().enumerate() {
        burst.push(measure(*owner, 100 + i, sent).await);
    }
    assert_eq!(app.api.rate_limited_count(), 0, "no 429");
    let show = |name: &str, mut v: Vec<Duration>| {
        v.sort();
        let at = |q: f64| v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1];
        println!(
            "mirror latency, {name}: n={} p50={:?} p99={:?} max={:?}",
            v.len(),
            at(0.50),
            at(0.99),
            v[v.len() - 1]
        );
    };
    show("steady 17/min", steady);
    show("burst of 20", burst);
    app.finish().await;
}
