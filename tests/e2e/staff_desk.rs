//! The desk tools of issue 10 (items 3–8), played as conversations through
//! the stand-in, in the office of `staff.rs` (a butler #1, a supervisor #2,
//! an assistant #3, the owner 张先生 of 3-2-1101, a stranger):
//!
//! ```text
//! butler:     /claim 1          → privately: 工单 #1 由您负责 … 电话：+86 138 1234 1234
//! group card:                     电话 138****1234 (masked, always)
//! butler:     (presses 💬)      → picker → (presses received) → owner: 张先生您好，您的工单 #1 …
//! butler:     /newticket        → 来源 → 位置 → 来电人 → 类型 → 紧急程度 → 描述 → 照片 → 提交
//! owner:      (rates 2⭐)        → supervisor, privately: ⚠️ 差评回访 … [📞 回电] [↩️ 重新打开] [📝 记录回访]
//! ```

use chrono::Duration;
use propdesk::clock::Clock;
use propdesk::domain::staff::{self, StaffRole};
use propdesk::domain::tickets::{self, NewTicket, Priority, TicketId, TicketKind};
use propdesk::telegram::callback::Callback;
use serde_json::json;

use crate::abuse::next_message as next;
use crate::staff::{
    card, event_kinds, leak_ticket, load, office, ASSISTANT, BUTLER, GROUP, OWNER, STRANGER,
    SUPERVISOR,
};
use crate::support::{TestApp, WAIT};

const MANAGER: i64 = 6004;
const OWNER_EN: i64 = 5002;
const FULL: &str = "+86 138 1234 1234";
const MASKED: &str = "138****1234";

/// The id of the last message the bot sent to `chat` (0 for none).
pub(crate) fn last_id(app: &TestApp, chat: i64) -> i64 {
    app.api
        .messages(chat)
        .iter()
        .map(|m| m.message_id)
        .max()
        .unwrap_or(0)
}

async fn phone_views(app: &TestApp, id: TicketId) -> Vec<(i64, String)> {
    sqlx::query_as(
        "SELECT actor_id, data->>'via' FROM ticket_events
          WHERE ticket_id = $1 AND kind = 'phone_viewed' ORDER BY id",
    )
    .bind(id.0)
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

async fn add_manager(app: &TestApp) {
    app.person(MANAGER, "zh-hans");
    let mut conn = app.db.pool.acquire().await.unwrap();
    staff::upsert(&mut conn, MANAGER, "孙经理", StaffRole::Manager)
        .await
        .unwrap();
}

/// butler: /claim N → privately the card with the full, tappable number
/// assistant: /ticket N → masked (not theirs); supervisor: /ticket N → full
/// group: the card stays masked; every full view is in the audit trail.
#[tokio::test]
async fn a_butler_sees_the_full_phone_of_their_own_ticket_and_not_of_another() {
    let app = office().await;
    let id = leak_ticket(&app, 910_001, Priority::Normal).await;
    let other = leak_ticket(&app, 910_002, Priority::Normal).await;
    let posted = card(&app, id).await;
    assert!(posted.body().contains(MASKED) || !posted.body().contains("+86"));
    assert!(!posted.body().contains(FULL));

    app.say(BUTLER, &format!("/claim {}", id.0));
    let notice = app.expect_message(BUTLER, "由您负责").await;
    assert!(notice.body().contains(FULL), "{}", notice.body());

    // Not theirs: the other ticket is masked for the butler.
    let before = last_id(&app, BUTLER);
    app.say(BUTLER, &format!("/ticket {}", other.0));
    let shown = next(&app, BUTLER, before, "处理记录").await;
    assert!(!shown.body().contains(FULL), "{}", shown.body());
    // Their own: full.
    let before = last_id(&app, BUTLER);
    app.say(BUTLER, &format!("/ticket {}", id.0));
    let shown = next(&app, BUTLER, before, "处理记录").await;
    assert!(shown.body().contains(FULL), "{}", shown.body());
    // In the group, even the holder's /ticket is masked.
    let before = last_id(&app, GROUP);
    app.api
        .send_text_in_group(GROUP, BUTLER, &format!("/ticket {}", id.0))
        .unwrap();
    let in_group = next(&app, GROUP, before, "处理记录").await;
    assert!(!in_group.body().contains(FULL), "{}", in_group.body());
    // An assistant who does not hold it: masked; a supervisor: full.
    app.say(ASSISTANT, &format!("/ticket {}", id.0));
    let shown = app.expect_message(ASSISTANT, "处理记录").await;
    assert!(!shown.body().contains(FULL), "{}", shown.body());
    app.say(SUPERVISOR, &format!("/ticket {}", other.0));
    let shown = app.expect_message(SUPERVISOR, "处理记录").await;
    assert!(shown.body().contains(FULL), "{}", shown.body());
    app.settle().await;

    assert!(app
        .api
        .messages(GROUP)
        .iter()
        .all(|m| !m.body().contains(FULL)));
    assert_eq!(
        phone_views(&app, id).await,
        [
            (BUTLER, "claim_notice".to_string()),
            (BUTLER, "ticket_command".to_string())
        ]
    );
    assert_eq!(
        phone_views(&app, other).await,
        [(SUPERVISOR, "ticket_command".to_string())]
    );
    app.finish().await;
}

/// butler: (presses 💬 under their notice) → picker → (presses received)
/// owner (zh): 张先生您好，您的工单 #N 我们已收到…
/// butler: /canned M on_the_way (an English owner) → Hello Mr Smith, the technician is on the way to 3-2-1101…
/// butler: /canned N visit_booked (no visit booked) → refused with the reason, nothing sent
#[tokio::test]
async fn a_canned_reply_reaches_each_owner_in_their_language_and_a_missing_value_sends_nothing() {
    let app = office().await;
    let id = leak_ticket(&app, 910_010, Priority::Normal).await;
    card(&app, id).await;
    app.say(BUTLER, &format!("/claim {}", id.0));
    let notice = app.expect_message(BUTLER, "由您负责").await;
    app.press(BUTLER, &notice, "💬 快捷回复");
    let picker = app.expect_message(BUTLER, "选择发给工单").await;
    app.press(BUTLER, &picker, "received");
    let got = app
        .expect_message(OWNER, &format!("张先生您好，您的工单 {id} 我们已收到"))
        .await;
    assert!(
        got.body().contains("管家 #1"),
        "signed by the office: {}",
        got.body()
    );

    // An English-speaking owner of the same unit.
    app.person(OWNER_EN, "en");
    let unit = crate::staff::unit_id(&app).await;
    let person: i64 = sqlx::query_scalar(
        "INSERT INTO people (name, phone, telegram_user_id) VALUES ('Mr Smith', '+8613900002222', $1)
         RETURNING id",
    )
    .bind(OWNER_EN)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    app.say(OWNER_EN, "/start");
    app.nth_message(OWNER_EN, 1).await;
    let mut new = NewTicket::new(TicketKind::Repair, "The kitchen tap drips");
    new.owner_chat_id = Some(OWNER_EN);
    new.unit_id = Some(unit);
    new.person_id = Some(person);
    let en = crate::staff::file(&app, 910_011, new).await;
    app.say(BUTLER, &format!("/canned {} on_the_way", en.0));
    app.expect_message(
        OWNER_EN,
        "Hello Mr Smith, the technician is on the way to 3-2-1101",
    )
    .await;

    // No visit booked: refused, with the reason, and the owner hears nothing.
    app.settle().await;
    let owner_had = app.api.messages(OWNER).len();
    app.say(BUTLER, &format!("/canned {} visit_booked", id.0));
    app.expect_message(BUTLER, "需要预约上门时间").await;
    // An unknown word: told so.
    app.say(BUTLER, &format!("/canned {} 不存在的回复", id.0));
    app.expect_message(BUTLER, "没有与“不存在的回复”相符的快捷回复")
        .await;
    app.settle().await;
    assert_eq!(app.api.messages(OWNER).len(), owner_had);
    let canned_sent: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ticket_events WHERE data ? 'canned'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(canned_sent, 2);
    app.finish().await;
}

/// manager: /canned add gate_fixed (zh, en and zh-Hant lines) → added; butler: /canned gate → listed
/// manager: /canned add Bad-Name, a missing language, an unknown placeholder → refused, nothing stored
/// butler: /canned remove … → refused (managers only); stranger: /canned → staff only
/// manager: /canned remove gate_fixed → retired, no longer listed
#[tokio::test]
async fn managers_add_edit_and_retire_canned_replies_and_bad_ones_change_nothing() {
    let app = office().await;
    add_manager(&app).await;
    app.say(
        MANAGER,
        "/canned add gate_fixed\nzh: {owner_name}您好，单元门禁已修好。\nen: Hello {owner_name}, the entrance gate is fixed.\nzh-Hant: {owner_name}您好，單元門禁已修好。",
    );
    app.expect_message(MANAGER, "已添加快捷回复“gate_fixed”")
        .await;
    app.say(
        MANAGER,
        "/canned edit gate_fixed\nzh: {owner_name}您好，门禁已修复，感谢耐心等待。\nen: Hello {owner_name}, the gate is fixed. Thank you for waiting.\nzh-Hant: {owner_name}您好，門禁已修復，感謝耐心等待。",
    );
    app.expect_message(MANAGER, "已修改快捷回复“gate_fixed”")
        .await;
    app.say(BUTLER, "/canned gate");
    app.expect_message(BUTLER, "• gate_fixed：").await;

    let stored = || async {
        sqlx::query_scalar::<_, serde_json::Value>(
            "SELECT jsonb_agg(jsonb_build_array(key, texts, active) ORDER BY key) FROM canned_replies",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
    };
    app.settle().await;
    let before = stored().await;
    app.say(MANAGER, "/canned add Bad-Name\nzh: 好\nen: ok\nzh-Hant: 好");
    app.expect_message(MANAGER, "名称“Bad-Name”不可用").await;
    app.say(MANAGER, "/canned add only_zh\nzh: 您好");
    app.expect_message(MANAGER, "缺少 en 的文本").await;
    app.say(
        MANAGER,
        "/canned add typo\nzh: 您好 {ownr}\nen: Hello {ownr}\nzh-Hant: 您好 {ownr}",
    );
    app.expect_message(MANAGER, "没有占位符 {ownr}").await;
    app.say(
        MANAGER,
        "/canned add gate_fixed\nzh: 重复\nen: again\nzh-Hant: 重複",
    );
    app.expect_message(MANAGER, "已有名为“gate_fixed”的快捷回复")
        .await;
    app.say(BUTLER, "/canned remove gate_fixed");
    app.expect_message(BUTLER, "经理").await;
    app.say(STRANGER, "/canned");
    app.expect_message(STRANGER, "仅限物业工作人员").await;
    app.settle().await;
    assert_eq!(stored().await, before);

    app.say(MANAGER, "/canned remove gate_fixed");
    app.expect_message(MANAGER, "已停用快捷回复“gate_fixed”")
        .await;
    let before_list = last_id(&app, BUTLER);
    app.say(BUTLER, "/canned gate_fixed");
    next(&app, BUTLER, before_list, "没有与“gate_fixed”相符").await;
    app.finish().await;
}

/// A forged canned button (a reply that does not exist, a ticket that does
/// not exist) and a stranger's press answer as expired and send nothing.
#[tokio::test]
async fn forged_desk_buttons_are_answered_and_change_nothing() {
    let app = office().await;
    let id = leak_ticket(&app, 910_020, Priority::Normal).await;
    let posted = card(&app, id).await;
    app.settle().await;
    let owner_had = app.api.messages(OWNER).len();
    let forged = [
        Callback::CannedSend {
            ticket: id,
            reply: 999_999,
        },
        Callback::CannedPick(TicketId(424_242)),
        Callback::FollowUpCall(id),
    ];
    for (who, button) in [
        (BUTLER, &forged[0]),
        (BUTLER, &forged[1]),
        (STRANGER, &forged[0]),
    ] {
        app.api
            .press_forged_button(who, GROUP, posted.message_id, &button.encode())
            .unwrap();
    }
    // A butler may not use a supervisor's follow-up button.
    app.api
        .press_forged_button(BUTLER, GROUP, posted.message_id, &forged[2].encode())
        .unwrap();
    app.settle().await;
    assert_eq!(app.api.messages(OWNER).len(), owner_had);
    assert!(phone_views(&app, id).await.is_empty());
    assert!(app.api.callback_answers().len() >= 4);
    app.finish().await;
}

/// butler: /newticket → [电话] → "3-2-1108" → no such unit: close matches and
/// the common areas → [📍 B2车库] → 刘女士 13900001111 → [报修] → (category
/// skipped) → [紧急] → description → [跳过] photos → [提交]
/// → filed for the car park, urgent, by phone; the group alerted at once.
#[tokio::test]
async fn a_phone_ticket_for_a_common_area_is_filed_urgent_and_alerts_the_group() {
    let app = office().await;
    app.say(BUTLER, "/newticket");
    let ask = app.expect_message(BUTLER, "来源：").await;
    app.press(BUTLER, &ask, "电话");
    let ask = next(&app, BUTLER, ask.message_id, "请输入房号").await;
    assert!(ask.callback_data("📍 B2车库").is_some(), "{:?}", ask.body());
    app.say(BUTLER, "3-2-1108");
    let offer = next(&app, BUTLER, ask.message_id, "没有房号 3-2-1108").await;
    assert!(offer.callback_data("🏠 3-2-1101").is_some());
    app.press(BUTLER, &offer, "📍 B2车库");
    let ask = next(&app, BUTLER, offer.message_id, "来电人姓名和电话").await;
    // Not a phone number: asked again, nothing moves.
    app.say(BUTLER, "刘女士");
    let again = next(&app, BUTLER, ask.message_id, "没有看懂电话号码").await;
    app.say(BUTLER, "刘女士 13900001111");
    let ask = next(&app, BUTLER, again.message_id, "工单类型").await;
    app.press(BUTLER, &ask, "报修");
    let mut ask = next(&app, BUTLER, ask.message_id, "：").await;
    if ask.body().contains("类别") {
        app.press(BUTLER, &ask, "不分类");
        ask = next(&app, BUTLER, ask.message_id, "紧急程度").await;
    }
    app.press(BUTLER, &ask, "紧急");
    let ask = next(&app, BUTLER, ask.message_id, "请描述情况").await;
    app.say(BUTLER, "B2车库消防水管爆裂，大量漏水");
    let ask = next(&app, BUTLER, ask.message_id, "如有照片请发送").await;
    app.press(BUTLER, &ask, "跳过");
    let check = next(&app, BUTLER, ask.message_id, "请确认").await;
    assert!(check.body().contains("B2车库") && check.body().contains("139****1111"));
    app.press(BUTLER, &check, "提交");
    next(&app, BUTLER, check.message_id, "已登记工单").await;
    app.expect_message(GROUP, "🚨 紧急工单").await;
    app.settle().await;

    let (location, channel, priority, unit, caller): (
        Option<String>,
        String,
        String,
        Option<i64>,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT location, channel, priority, unit_id, fields->>'caller_phone' FROM tickets",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        (
            location.as_deref(),
            channel.as_str(),
            priority.as_str(),
            unit
        ),
        (Some("B2车库"), "phone", "urgent", None)
    );
    assert_eq!(caller.as_deref(), Some("+8613900001111"));
    app.finish().await;
}

/// butler: /newticket → [来访] → 3-2-1101 → 13812341234 (a registered owner:
/// linked, told in Telegram) → … → [提交]; the owner hears of it in Telegram.
/// A stranger's /newticket and /cancel mid-form change nothing.
#[tokio::test]
async fn a_walk_in_ticket_for_a_registered_owner_links_them_and_tells_them() {
    let app = office().await;
    app.say(STRANGER, "/newticket");
    app.expect_message(STRANGER, "仅限物业工作人员").await;

    // Started and cancelled: nothing filed.
    app.say(ASSISTANT, "/newticket");
    let ask = app.expect_message(ASSISTANT, "来源：").await;
    app.press(ASSISTANT, &ask, "✖ 取消");
    app.expect_message(ASSISTANT, "已取消，没有登记工单").await;

    app.say(BUTLER, "/newticket");
    let ask = app.expect_message(BUTLER, "来源：").await;
    app.press(BUTLER, &ask, "来访");
    let ask = next(&app, BUTLER, ask.message_id, "请输入房号").await;
    // A typed word where a button is due is not taken for one.
    app.say(BUTLER, "3-2-1101");
    let ask = next(&app, BUTLER, ask.message_id, "来电人姓名和电话").await;
    app.say(BUTLER, "138 1234 1234");
    next(&app, BUTLER, ask.message_id, "已登记的住户 张先生").await;
    let ask = next(&app, BUTLER, ask.message_id, "工单类型").await;
    app.say(BUTLER, "投诉");
    let hint = next(&app, BUTLER, ask.message_id, "请点选上面的按钮").await;
    app.press(BUTLER, &ask, "咨询");
    let mut ask = next(&app, BUTLER, hint.message_id, "：").await;
    if ask.body().contains("类别") {
        app.press(BUTLER, &ask, "不分类");
        ask = next(&app, BUTLER, ask.message_id, "紧急程度").await;
    }
    app.press(BUTLER, &ask, "普通");
    let ask = next(&app, BUTLER, ask.message_id, "请描述情况").await;
    app.say(BUTLER, "业主来前台询问停车位续租");
    let ask = next(&app, BUTLER, ask.message_id, "如有照片请发送").await;
    app.press(BUTLER, &ask, "跳过");
    let check = next(&app, BUTLER, ask.message_id, "请确认").await;
    app.press(BUTLER, &check, "提交");
    next(&app, BUTLER, check.message_id, "已登记工单").await;
    app.expect_message(OWNER, "物业客服已根据您的来访为您登记工单")
        .await;
    app.settle().await;

    let rows: Vec<(String, Option<i64>, bool)> =
        sqlx::query_as("SELECT t.channel, t.owner_chat_id, t.unit_id IS NOT NULL FROM tickets t")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(rows, [("walk_in".to_string(), Some(OWNER), true)]);
    app.finish().await;
}

/// The menus: owners' commands by default; staff commands in the staff
/// group and in each staff member's private chat; a member added with
/// /staff add gets theirs, a removed one loses it. /help in a staff
/// member's private chat is the staff help.
#[tokio::test]
async fn command_menus_per_scope_follow_the_roster() {
    let app = office().await;
    add_manager(&app).await;
    let names = |scope: serde_json::Value, lang: &str| -> Vec<String> {
        app.api
            .commands_for(&scope, lang)
            .into_iter()
            .map(|c| c.command)
            .collect()
    };
    let group = json!({"type": "chat", "chat_id": GROUP});
    let deadline = tokio::time::Instant::now() + WAIT;
    while names(group.clone(), "zh").is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no group menu");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    for lang in ["", "zh", "en"] {
        let g = names(group.clone(), lang);
        assert!(
            g.contains(&"claim".to_string()) && g.contains(&"queue".to_string()),
            "{lang}: {g:?}"
        );
    }
    let default = names(json!({"type": "default"}), "");
    assert!(!default.contains(&"claim".to_string()), "{default:?}");

    const NEW: i64 = 6010;
    app.person(NEW, "en");
    app.say(MANAGER, &format!("/staff add {NEW} butler 钱师傅"));
    app.expect_message(MANAGER, "钱师傅").await;
    app.settle().await;
    let private = json!({"type": "chat", "chat_id": NEW});
    let mine = names(private.clone(), "en");
    assert!(
        mine.contains(&"claim".to_string()) && mine.contains(&"newticket".to_string()),
        "{mine:?}"
    );
    assert!(!mine.contains(&"assign".to_string()), "{mine:?}");
    let described = app.api.commands_for(&private, "en");
    assert!(described
        .iter()
        .any(|c| c.command == "claim" && c.description == "Claim ticket N"));

    app.say(NEW, "/help");
    app.expect_message(NEW, "/claim").await;

    let no: i32 = sqlx::query_scalar("SELECT staff_no FROM staff WHERE telegram_user_id = $1")
        .bind(NEW)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    app.say(MANAGER, &format!("/staff remove {no}"));
    app.settle().await;
    assert!(names(private, "en").is_empty());
    app.finish().await;
}

/// owner: (rates 2⭐) → supervisor, privately: ⚠️ 差评回访 … with the ticket,
/// its history and [📞 回电] [↩️ 重新打开] [📝 记录回访]
/// supervisor: [📞 回电] → the full number (recorded); [📝 记录回访] → note → done.
/// Another low rating left past its deadline is chased by the scheduler.
#[tokio::test]
async fn a_low_rating_reaches_the_supervisor_privately_and_its_follow_up_is_a_task() {
    let app = office().await;
    app.say(SUPERVISOR, "/mine");
    app.expect_message(SUPERVISOR, "没有进行中的工单").await;
    let id = leak_ticket(&app, 910_030, Priority::Normal).await;
    card(&app, id).await;
    app.say(BUTLER, &format!("/claim {}", id.0));
    app.say(BUTLER, &format!("/resolve {} 已更换水管", id.0));
    let rating = app.expect_message(OWNER, "请为本次服务评分").await;
    app.press(OWNER, &rating, "2⭐");
    let alert = app.expect_message(SUPERVISOR, "差评回访").await;
    assert!(
        alert.body().contains(&format!("工单 {id}")),
        "{}",
        alert.body()
    );
    assert!(
        alert.body().contains("处理记录"),
        "with its history: {}",
        alert.body()
    );
    assert!(!app
        .api
        .messages(BUTLER)
        .iter()
        .any(|m| m.body().contains("差评回访")));

    app.press(SUPERVISOR, &alert, "📞 回电");
    let call = app.expect_message(SUPERVISOR, FULL).await;
    app.press(SUPERVISOR, &call, "📝 记录回访");
    app.expect_message(SUPERVISOR, "请写下工单").await;
    app.say(SUPERVISOR, "已致电业主致歉，明天上午复查");
    app.expect_message(SUPERVISOR, "跟进已完成").await;
    app.settle().await;
    let done: bool =
        sqlx::query_scalar("SELECT follow_up_done_at IS NOT NULL FROM tickets WHERE id = $1")
            .bind(id.0)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(done);
    let kinds = event_kinds(&app, id).await;
    assert!(
        kinds.contains(&"phone_viewed".to_string())
            && kinds.contains(&"follow_up_note".to_string()),
        "{kinds:?}"
    );
    // Done: a second note is refused politely.
    app.press(SUPERVISOR, &call, "📝 记录回访");
    app.expect_message(SUPERVISOR, "没有待办的回访").await;

    // A second low rating, left alone past its deadline: chased.
    let late = leak_ticket(&app, 910_031, Priority::Normal).await;
    app.say(BUTLER, &format!("/claim {}", late.0));
    app.say(BUTLER, &format!("/resolve {}", late.0));
    app.settle().await;
    let rating = app
        .api
        .wait_for_message(
            OWNER,
            |m| m.body().contains("请为本次服务评分") && m.body().contains(&late.to_string()),
            WAIT,
        )
        .await
        .unwrap();
    app.press(OWNER, &rating, "1⭐");
    app.settle().await;
    let shared = crate::staff::shared(&app);
    app.clock.advance(Duration::hours(25));
    let report = propdesk::scheduler::tick(&app.db.pool, &shared, app.clock.now())
        .await
        .unwrap();
    assert_eq!(report.follow_ups_chased, 1);
    app.expect_message(SUPERVISOR, &format!("工单 {late} 的差评回访已超过期限"))
        .await;
    app.finish().await;
}

/// /next takes the most urgent ticket; /mine lists what one holds;
/// /transfer hands a ticket to a colleague, who hears of it privately.
#[tokio::test]
async fn next_mine_and_transfer_work_a_ticket_from_queue_to_colleague() {
    let app = office().await;
    let normal = leak_ticket(&app, 910_040, Priority::Normal).await;
    let urgent = leak_ticket(&app, 910_041, Priority::Urgent).await;
    card(&app, normal).await;
    card(&app, urgent).await;
    app.say(BUTLER, "/next");
    app.expect_message(BUTLER, &format!("您已认领工单 {urgent}"))
        .await;
    app.say(BUTLER, "/mine");
    let mine = app.expect_message(BUTLER, "我负责的工单").await;
    assert!(
        mine.body().contains(&urgent.to_string()) && !mine.body().contains(&normal.to_string())
    );

    {
        let mut conn = app.db.pool.acquire().await.unwrap();
        staff::upsert(&mut conn, MANAGER, "孙经理", StaffRole::Butler)
            .await
            .unwrap();
    }
    app.person(MANAGER, "zh-hans");
    app.say(MANAGER, "/mine");
    app.expect_message(MANAGER, "没有进行中的工单").await;
    app.say(BUTLER, &format!("/transfer {} #4", urgent.0));
    app.expect_message(BUTLER, "已交给").await;
    app.expect_message(MANAGER, "已指派给您").await;
    app.settle().await;
    let t = load(&app, urgent).await;
    assert_eq!(t.assignee, Some(MANAGER));
    assert_eq!(load(&app, normal).await.status, tickets::TicketStatus::Open);
    app.finish().await;
}

/// manager: /settings staff_language en → the group's cards are in English,
/// and a category shows its label (Noise), not its key (`noise`).
#[tokio::test]
async fn the_staff_group_language_is_a_setting_and_cards_show_category_labels() {
    let app = office().await;
    app.set_office_setting("staff_language", "en").await;
    let mut new = NewTicket::new(TicketKind::Complaint, "楼上每晚装修到十一点");
    new.owner_chat_id = Some(OWNER);
    new.unit_id = Some(crate::staff::unit_id(&app).await);
    new.category = Some("noise".into());
    new.fields = json!({ "labels": { "category": { "zh": "噪音", "en": "Noise" } } });
    let id = crate::staff::file(&app, 910_050, new).await;
    let posted = app
        .api
        .wait_for_message(GROUP, |m| m.body().contains(&format!("{id}")), WAIT)
        .await
        .unwrap();
    assert!(
        posted.body().contains("Complaint / Noise"),
        "{}",
        posted.body()
    );
    assert!(!posted.body().contains("noise"), "{}", posted.body());
    assert!(
        posted.callback_data("Claim").is_some(),
        "{:?}",
        posted.body()
    );

    app.set_office_setting("staff_language", "zh").await;
    app.say(BUTLER, &format!("/ticket {}", id.0));
    let shown = app.expect_message(BUTLER, "处理记录").await;
    assert!(shown.body().contains("投诉 / 噪音"), "{}", shown.body());
    app.finish().await;
}
