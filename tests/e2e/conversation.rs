//! One conversation state per person and chat: what the bot waits for is
//! answered only by what fits it, every question has a way out, and a
//! question left alone expires with a notice. Each test is the conversation
//! it checks; `…` stands for the rest of a text.

use std::time::Duration as StdDuration;

use chrono::Duration;
use propdesk::clock::Clock;
use propdesk::domain::staff::{self, StaffRole};
use propdesk::processor::conversation::expire_drafts;
use propdesk::standin::SentMessage;
use sqlx::PgPool;

use crate::broadcasts::{estate, MANAGER};
use crate::support::{fast_limits, spawn_app, spawn_app_with, TestApp, WAIT};

const OWNER: i64 = 7101;
const BUTLER: i64 = 7102;
const SUPERVISOR: i64 = 7103;
const GROUP: i64 = -100_555;

/// Waits for a message to `chat` that comes after the first `seen` ones and
/// contains `needle` (so a text sent twice is waited for twice).
async fn next(app: &TestApp, chat: i64, seen: usize, needle: &str) -> SentMessage {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(m) = app
            .api
            .messages(chat)
            .into_iter()
            .skip(seen)
            .find(|m| m.body().contains(needle))
        {
            return m;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no message {needle:?} to {chat} after the first {seen}: {:?}",
            app.api
                .messages(chat)
                .iter()
                .map(SentMessage::body)
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
}

fn seen(app: &TestApp, chat: i64) -> usize {
    app.api.messages(chat).len()
}

/// Unit 3-2-1101 with its owner (registered, chat started), and a butler.
async fn owner_and_butler(app: &TestApp) {
    let pool = &app.db.pool;
    sqlx::query(
        "WITH u AS (INSERT INTO units (code, building, entrance, floor, area_m2)
                    VALUES ('3-2-1101', '3', '2', 11, 89.5) RETURNING id),
              p AS (INSERT INTO people (name, phone, telegram_user_id, language)
                    VALUES ('张先生', '+8613812341234', $1, 'zh') RETURNING id)
         INSERT INTO unit_members (unit_id, person_id, role, is_default)
         SELECT u.id, p.id, 'owner', TRUE FROM u, p",
    )
    .bind(OWNER)
    .execute(pool)
    .await
    .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    staff::upsert(&mut conn, BUTLER, "王师傅", StaffRole::Butler)
        .await
        .unwrap();
    drop(conn);
    app.person(OWNER, "zh-hans");
    app.person(BUTLER, "zh-hans");
    app.say(OWNER, "/start");
    app.nth_message(OWNER, 1).await;
}

/// A repair ticket of the owner's, held by the butler, in `status`.
async fn ticket(pool: &PgPool, status: &str, description: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO tickets (kind, status, description, unit_id, person_id, owner_chat_id, assignee,
                              resolved_at)
         SELECT 'repair', $1, $2, m.unit_id, m.person_id, $3, $4,
                CASE WHEN $1 = 'resolved' THEN now() END
           FROM unit_members m JOIN people p ON p.id = m.person_id
          WHERE p.telegram_user_id = $3
         RETURNING id",
    )
    .bind(status)
    .bind(description)
    .bind(OWNER)
    .bind(BUTLER)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn status_of(pool: &PgPool, id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM tickets WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn rating_comment(pool: &PgPool, id: i64) -> Option<String> {
    sqlx::query_scalar("SELECT rating_comment FROM tickets WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn event_texts(pool: &PgPool, id: i64, kind: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT COALESCE(body, '') FROM ticket_events WHERE ticket_id = $1 AND kind = $2 ORDER BY id",
    )
    .bind(id)
    .bind(kind)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn an_abandoned_broadcast_draft_expires_with_a_notice_and_later_messages_go_where_they_belong(
) {
    // manager: /broadcast
    // bot:     New broadcast. Who should receive it? … [Cancel]
    // manager: [All owners]
    // bot:     Audience: all owners (5 people). Send the text … [Cancel]
    //          (25 hours pass; the sweep runs)
    // bot:     Broadcast draft #1 was left unfinished and has been discarded …
    // manager: Is the office open on Sunday?
    // bot:     🕘 The service centre is open every day …   (free text finds the
    //          office-hours answer, not the notice's text)
    let app = spawn_app().await;
    estate(&app.db.pool).await;
    let m = app.person(MANAGER, "en");
    app.say(m, "/broadcast");
    let q = app.expect_message(m, "Who should receive it").await;
    assert!(q.callback_data("Cancel").is_some(), "a way out");
    app.press(m, &q, "All owners");
    let asked = app.expect_message(m, "Audience: all owners").await;
    assert!(asked.callback_data("Cancel").is_some(), "a way out");
    app.settle().await;

    let now = app.clock.now();
    let mut conn = app.db.pool.acquire().await.unwrap();
    assert_eq!(
        expire_drafts(&mut conn, now + Duration::hours(23), Duration::hours(24))
            .await
            .unwrap(),
        0,
        "not yet"
    );
    assert_eq!(
        expire_drafts(&mut conn, now + Duration::hours(25), Duration::hours(24))
            .await
            .unwrap(),
        1
    );
    drop(conn);
    app.clock.advance(Duration::hours(25));
    app.expect_message(m, "Broadcast draft #1 was left unfinished")
        .await;
    let before = seen(&app, m);
    app.say(m, "Is the office open on Sunday?");
    next(&app, m, before, "The service centre is open every day").await;
    app.settle().await;
    let (status, text): (String, Option<String>) =
        sqlx::query_as("SELECT status, text FROM broadcasts WHERE id = 1")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), text), ("cancelled", None));

    // A draft found expired before the sweep came: told, and the message
    // that found it is answered as usual.
    app.say(m, "/broadcast");
    let q = next(&app, m, before, "Who should receive it").await;
    app.press(m, &q, "All owners");
    next(&app, m, before, "Audience: all owners").await;
    app.settle().await;
    app.clock.advance(Duration::hours(25));
    let before = seen(&app, m);
    app.say(m, "Hello?");
    next(&app, m, before, "Broadcast draft #2 was left unfinished").await;
    next(&app, m, before, "Sorry, I did not understand").await;
    app.settle().await;
    let open: i64 = sqlx::query_scalar("SELECT count(*) FROM broadcasts WHERE status = 'draft'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(open, 0);
    app.finish().await;
}

#[tokio::test]
async fn cancel_n_asks_for_a_reason_offers_keep_it_and_takes_only_a_real_reason() {
    // owner: /mytickets
    // bot:   您的工单： #1 · 报修 · 处理中 …  [取消 #1]
    // owner: [取消 #1]
    // bot:   请简单说明取消工单 #1 的原因：  [不取消，保留 #1]
    // owner: (a photo)
    // bot:   这不是取消原因。…  [不取消，保留 #1]
    // owner: [不取消，保留 #1]
    // bot:   好的，工单 #1 不取消，我们继续处理。
    // owner: [取消 #1]   (on the list again)
    // bot:   请简单说明取消工单 #1 的原因： …
    // owner: /mytickets              (a command is not a reason)
    // bot:   您的工单： … 处理中
    // owner: [取消 #1]
    // owner: 我自己修好了
    // bot:   工单 #1 已取消，感谢您的说明。
    let app = spawn_app().await;
    owner_and_butler(&app).await;
    let pool = &app.db.pool;
    let id = ticket(pool, "claimed", "厨房水管漏水").await;

    app.say(OWNER, "/mytickets");
    let list = app.expect_message(OWNER, "您的工单：").await;
    app.press(OWNER, &list, &format!("取消 #{id}"));
    let ask = app.expect_message(OWNER, "取消工单 #1 的原因").await;
    assert!(ask.callback_data("不取消，保留 #1").is_some(), "{ask:?}");
    app.api.send_photo(OWNER, None).unwrap();
    let again = app.expect_message(OWNER, "这不是取消原因").await;
    app.settle().await;
    assert_eq!(status_of(pool, id).await, "claimed", "a photo is no reason");

    app.press(OWNER, &again, "不取消，保留 #1");
    app.expect_message(OWNER, "工单 #1 不取消").await;
    app.settle().await;
    assert_eq!(status_of(pool, id).await, "claimed");

    let before = seen(&app, OWNER);
    app.press(OWNER, &list, &format!("取消 #{id}"));
    next(&app, OWNER, before, "取消工单 #1 的原因").await;
    app.say(OWNER, "/mytickets");
    let list = next(&app, OWNER, before, "您的工单：").await;
    app.settle().await;
    assert_eq!(
        status_of(pool, id).await,
        "claimed",
        "a command is no reason"
    );

    let before = seen(&app, OWNER);
    app.press(OWNER, &list, &format!("取消 #{id}"));
    next(&app, OWNER, before, "取消工单 #1 的原因").await;
    app.say(OWNER, "我自己修好了");
    next(&app, OWNER, before, "工单 #1 已取消").await;
    app.settle().await;
    assert_eq!(status_of(pool, id).await, "cancelled");
    assert_eq!(event_texts(pool, id, "cancelled").await, ["我自己修好了"]);
    app.finish().await;
}

#[tokio::test]
async fn a_new_problem_typed_after_a_rating_starts_a_new_request_and_a_real_comment_is_still_recorded(
) {
    // butler: /resolve 1 已更换水管
    // bot:    您的工单 #1 已处理完毕。请为本次服务评分 … [1⭐] … [5⭐]
    // owner:  [5⭐]
    // bot:    谢谢您的评价！如愿意，可以再发一句评语（可选）。 [跳过]
    // owner:  师傅很专业
    // bot:    感谢您的反馈！                       (#1's comment)
    //
    // (#2 resolved and rated the same way)
    // owner:  之前漏水的地方修得很好
    // bot:    这听起来像是一个新问题 … [投诉] [报修] … [这是我对 #2 的评语]
    // owner:  [这是我对 #2 的评语]
    // bot:    感谢您的反馈！                       (#2's comment)
    //
    // (#3 resolved and rated the same way)
    // owner:  电梯也坏了
    // bot:    这听起来像是一个新问题 … [报修] …
    // owner:  [报修]
    // bot:    先确认一下：是否属于以下紧急情况？   (a new repair request; #3 has no comment)
    let app = spawn_app().await;
    owner_and_butler(&app).await;
    let pool = &app.db.pool;

    let rate = |id: i64| {
        let app = &app;
        async move {
            let before = seen(app, OWNER);
            app.say(BUTLER, &format!("/resolve {id} 已更换水管"));
            let stars = next(app, OWNER, before, "请为本次服务评分").await;
            app.press(OWNER, &stars, "5⭐");
            let ask = next(app, OWNER, before, "可以再发一句评语").await;
            assert!(ask.callback_data("跳过").is_some(), "a way out");
            app.settle().await;
        }
    };

    let first = ticket(pool, "claimed", "厨房水管漏水").await;
    rate(first).await;
    let before = seen(&app, OWNER);
    app.say(OWNER, "师傅很专业");
    next(&app, OWNER, before, "感谢您的反馈").await;
    app.settle().await;
    assert_eq!(
        rating_comment(pool, first).await.as_deref(),
        Some("师傅很专业")
    );

    let second = ticket(pool, "claimed", "卫生间地漏堵塞").await;
    rate(second).await;
    let before = seen(&app, OWNER);
    app.say(OWNER, "之前漏水的地方修得很好");
    let asked = next(&app, OWNER, before, "这听起来像是一个新问题").await;
    app.settle().await;
    assert_eq!(
        rating_comment(pool, second).await,
        None,
        "not yet a comment"
    );
    app.press(OWNER, &asked, &format!("这是我对 #{second} 的评语"));
    next(&app, OWNER, before, "感谢您的反馈").await;
    app.settle().await;
    assert_eq!(
        rating_comment(pool, second).await.as_deref(),
        Some("之前漏水的地方修得很好")
    );

    let third = ticket(pool, "claimed", "门锁松动").await;
    rate(third).await;
    let before = seen(&app, OWNER);
    app.say(OWNER, "电梯也坏了");
    let asked = next(&app, OWNER, before, "这听起来像是一个新问题").await;
    app.press(OWNER, &asked, "报修");
    next(&app, OWNER, before, "是否属于以下紧急情况").await;
    app.settle().await;
    assert_eq!(rating_comment(pool, third).await, None);
    let events = event_texts(pool, third, "rating_comment").await;
    assert!(events.is_empty(), "{events:?}");
    let node: Option<String> = sqlx::query_scalar(
        "SELECT waiting->'state'->>'dialogue' FROM conversations WHERE chat_id = $1",
    )
    .bind(OWNER)
    .fetch_optional(pool)
    .await
    .unwrap()
    .flatten();
    assert_eq!(node.as_deref(), Some("repair"));
    app.finish().await;
}

#[tokio::test]
async fn still_leaking_after_a_resolve_offers_reopen_or_a_new_request_and_both_buttons_work() {
    // (ticket #1 was resolved today)
    // owner: 还在漏水
    // bot:   您的工单 #1（报修）已于 … 处理完毕。您说的是这个问题吗？… [重新打开 #1] [新的请求]
    // owner: [新的请求]
    // bot:   好的，请选择新请求的类型： [menu]
    // owner: 还在漏水
    // bot:   您的工单 #1（报修）已于 … [重新打开 #1] [新的请求]
    // owner: [重新打开 #1]
    // bot:   工单 #1 已重新打开 …            ("还在漏水" goes with it to the butler)
    let (config, limits) = fast_limits();
    let app = spawn_app_with(config, |s| s.sender.limits = limits).await;
    owner_and_butler(&app).await;
    let pool = &app.db.pool;
    let id = ticket(pool, "resolved", "厨房水管漏水").await;
    app.say(BUTLER, "/mine");
    app.nth_message(BUTLER, 1).await;

    app.say(OWNER, "还在漏水");
    let offer = app.expect_message(OWNER, "您说的是这个问题吗").await;
    assert!(
        !app.api
            .messages(OWNER)
            .iter()
            .any(|m| m.body().contains("抱歉，我没有理解")),
        "not 'Sorry, I did not understand'"
    );
    let before = seen(&app, OWNER);
    app.press(OWNER, &offer, "新的请求");
    let menu = next(&app, OWNER, before, "请选择新请求的类型").await;
    assert!(menu.callback_data("报修").is_some());
    app.settle().await;
    assert_eq!(status_of(pool, id).await, "resolved");

    let before = seen(&app, OWNER);
    app.say(OWNER, "还在漏水");
    let offer = next(&app, OWNER, before, "您说的是这个问题吗").await;
    app.press(OWNER, &offer, &format!("重新打开 #{id}"));
    next(&app, OWNER, before, "已重新打开").await;
    app.expect_message(BUTLER, "还在漏水").await;
    app.settle().await;
    assert_eq!(status_of(pool, id).await, "claimed");
    assert_eq!(event_texts(pool, id, "owner_message").await, ["还在漏水"]);
    app.finish().await;
}

#[tokio::test]
async fn a_pending_visit_note_in_the_group_does_not_swallow_another_staff_members_message() {
    // butler (group):     /outcome 1 follow_up
    // bot (group):        需要哪个部门跟进什么？… （发送 /cancel 放弃登记）
    // supervisor (group): 中午一起吃饭吗？       (not the butler's note: nothing recorded)
    // supervisor (group): /skip                  (not the supervisor's question either)
    // butler (group):     绿化: 树枝挡住窗户
    // bot (group):        上门 V1 的结果已登记：需要跟进，已新建工单 #2。
    let (config, limits) = fast_limits();
    let app = spawn_app_with(config, |s| {
        s.sender.limits = limits;
        s.processor.staff_chat_id = Some(GROUP);
    })
    .await;
    app.api.add_group(GROUP, "物业客服组");
    owner_and_butler(&app).await;
    let pool = &app.db.pool;
    let mut conn = pool.acquire().await.unwrap();
    staff::upsert(&mut conn, SUPERVISOR, "李主管", StaffRole::Supervisor)
        .await
        .unwrap();
    drop(conn);
    app.person(SUPERVISOR, "zh-hans");
    let id = ticket(pool, "claimed", "窗外树枝").await;
    // A confirmed visit that took place an hour ago.
    sqlx::query(
        "INSERT INTO visits (ticket_id, unit_id, staff_id, staff_chat_id, owner_chat_id, at, status)
         SELECT t.id, t.unit_id, $2, $3, t.owner_chat_id, now() - interval '1 hour', 'confirmed'
           FROM tickets t WHERE t.id = $1",
    )
    .bind(id)
    .bind(BUTLER)
    .bind(GROUP)
    .execute(pool)
    .await
    .unwrap();

    app.api
        .send_text_in_group(GROUP, BUTLER, &format!("/outcome {id} follow_up"))
        .unwrap();
    let ask = app.expect_message(GROUP, "需要哪个部门跟进什么").await;
    assert!(ask.body().contains("/cancel"), "a way out: {}", ask.body());
    app.api
        .send_text_in_group(GROUP, SUPERVISOR, "中午一起吃饭吗？")
        .unwrap();
    app.api
        .send_text_in_group(GROUP, SUPERVISOR, "/skip")
        .unwrap();
    app.settle().await;
    let outcome: Option<String> = sqlx::query_scalar("SELECT outcome FROM visits WHERE id = 1")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(outcome, None, "another person's message is not the note");

    app.api
        .send_text_in_group(GROUP, BUTLER, "绿化: 树枝挡住窗户")
        .unwrap();
    app.expect_message(GROUP, "需要跟进，已新建工单 #2").await;
    app.settle().await;
    let (outcome, description): (Option<String>, String) = sqlx::query_as(
        "SELECT v.outcome, t.description FROM visits v, tickets t WHERE v.id = 1 AND t.id = 2",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        (outcome.as_deref(), description.as_str()),
        (Some("follow_up"), "树枝挡住窗户")
    );
    app.finish().await;
}
