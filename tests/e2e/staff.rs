//! The staff queue end to end: tickets filed through `file_ticket` (as the
//! dialogues will), cards in the staff group, staff working them from
//! Telegram through the stand-in, the owner told at each step.
//!
//! A typical day, as these tests play it:
//!
//! ```text
//! bot → group:  🔧 工单 #1 · 报修 … [认领] [指派]
//! butler:       (presses 认领)      → card edited: 处理中 — 管家 #1 王师傅
//! bot → owner:  您的工单 #1 已由物业客服（管家 #1）受理…
//! butler:       /reply 1 师傅下午两点上门
//! bot → owner:  物业客服（管家 #1）（工单 #1）：师傅下午两点上门
//! owner:        好的，谢谢            → relayed to the group
//! butler:       /resolve 1 已更换水管 → owner gets 1–5 ⭐ buttons
//! owner:        (presses 2⭐)          → ⚠️ in the group, offer to reopen
//! ```

use std::sync::Arc;

use chrono::Duration;
use propdesk::clock::Clock;
use propdesk::domain::office_settings::OfficeSettings;
use propdesk::domain::staff::{self, StaffRole};
use propdesk::domain::tickets::transition::{perform, Refusal, Transition};
use propdesk::domain::tickets::{self, Actor, NewTicket, Priority, TicketId, TicketKind};
use propdesk::processor::{file_ticket, App, Ctx};
use propdesk::standin::{SentMessage, TestUser};
use propdesk::telegram::callback::Callback;

use crate::support::{fast_limits, spawn_app_with, TestApp, WAIT};

pub(crate) const GROUP: i64 = -100_777;
pub(crate) const OWNER: i64 = 5001;
pub(crate) const BUTLER: i64 = 6001;
pub(crate) const SUPERVISOR: i64 = 6002;
pub(crate) const ASSISTANT: i64 = 6003;
pub(crate) const STRANGER: i64 = 6666;

/// The bot with a staff group, a butler (#1), a supervisor (#2), an
/// assistant (#3), a registered owner of unit 3-2-1101 who has said hello,
/// and a stranger.
pub(crate) async fn office() -> TestApp {
    let (config, limits) = fast_limits();
    office_with(config, limits, false).await
}

/// [`office`] with its staff group a forum (topics on).
pub(crate) async fn fast_office_in_forum() -> TestApp {
    let (config, limits) = fast_limits();
    office_with(config, limits, true).await
}

/// [`office`] against a stand-in with `config`, the bot keeping `limits`;
/// with `forum`, the staff group is a forum supergroup (topics on) where
/// the bot may manage topics.
pub(crate) async fn office_with(
    config: propdesk::standin::StandInConfig,
    limits: propdesk::sender::limits::RateLimits,
    forum: bool,
) -> TestApp {
    let app = spawn_app_with(config, |s| {
        s.sender.limits = limits;
        s.processor.staff_chat_id = Some(GROUP);
    })
    .await;
    if forum {
        app.api.add_forum_group(GROUP, "物业客服组");
    } else {
        app.api.add_group(GROUP, "物业客服组");
    }
    app.person(OWNER, "zh-hans");
    for (id, name, username) in [
        (BUTLER, "王师傅", "wang"),
        (SUPERVISOR, "李主管", "li"),
        (ASSISTANT, "赵助理", "zhao"),
        (STRANGER, "路人", "lu"),
    ] {
        app.api.add_user(
            TestUser::new(id, name)
                .username(username)
                .language("zh-hans"),
        );
    }
    let mut conn = app.db.pool.acquire().await.unwrap();
    staff::upsert(&mut conn, BUTLER, "王师傅", StaffRole::Butler)
        .await
        .unwrap();
    staff::upsert(&mut conn, SUPERVISOR, "李主管", StaffRole::Supervisor)
        .await
        .unwrap();
    staff::upsert(&mut conn, ASSISTANT, "赵助理", StaffRole::Assistant)
        .await
        .unwrap();
    sqlx::query(
        "WITH u AS (INSERT INTO units (code, building, entrance, floor, area_m2)
                    VALUES ('3-2-1101', '3', '2', 11, 89.5) RETURNING id),
              p AS (INSERT INTO people (name, phone, telegram_user_id)
                    VALUES ('张先生', '+8613812341234', $1) RETURNING id)
         INSERT INTO unit_members (unit_id, person_id, role, is_default)
         SELECT u.id, p.id, 'owner', TRUE FROM u, p",
    )
    .bind(OWNER)
    .execute(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    app.say(OWNER, "/start");
    app.nth_message(OWNER, 1).await;
    app
}

/// The processor's shared state, as the running bot has it (for calling
/// `file_ticket` and the scheduler's tick directly).
pub(crate) fn shared(app: &TestApp) -> App {
    App {
        settings: {
            let mut s = app.settings.processor.clone();
            s.staff_chat_id = Some(GROUP);
            s
        },
        clock: app.clock.clone(),
        dialogues: Default::default(),
    }
}

/// Files a ticket as the dialogue integrator will: `file_ticket` inside an
/// update's transaction.
pub(crate) async fn file(app: &TestApp, update_id: i64, new: NewTicket) -> TicketId {
    let shared = shared(app);
    let mut tx = app.db.pool.begin().await.unwrap();
    let filed = {
        let mut ctx = Ctx {
            conn: &mut tx,
            app: &shared,
            update_id,
            now: shared.clock.now(),
            thread: None,
        };
        file_ticket(&mut ctx, new).await.unwrap()
    };
    tx.commit().await.unwrap();
    filed.id
}

pub(crate) async fn unit_id(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT id FROM units WHERE code = '3-2-1101'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

pub(crate) fn leak(app: &TestApp, description: &str, priority: Priority) -> NewTicket {
    let mut new = NewTicket::new(TicketKind::Repair, description);
    new.owner_chat_id = Some(OWNER);
    new.priority = priority;
    new.category = Some("水电".into());
    new.location = Some("厨房".into());
    let _ = app;
    new
}

pub(crate) async fn leak_ticket(app: &TestApp, update_id: i64, priority: Priority) -> TicketId {
    let mut new = leak(app, "厨房水管漏水，地面有积水", priority);
    new.unit_id = Some(unit_id(app).await);
    new.person_id = sqlx::query_scalar("SELECT id FROM people WHERE telegram_user_id = $1")
        .bind(OWNER)
        .fetch_optional(&app.db.pool)
        .await
        .unwrap();
    file(app, update_id, new).await
}

/// The card of ticket `id` in the staff group.
pub(crate) async fn card(app: &TestApp, id: TicketId) -> SentMessage {
    app.expect_message(GROUP, &format!("工单 {id} ·")).await
}

/// Cards (not notices) of ticket `id` ever posted in the group.
fn cards_posted(app: &TestApp, id: TicketId) -> usize {
    app.api
        .messages(GROUP)
        .iter()
        .filter(|m| m.body().contains(&format!("工单 {id} ·")))
        .count()
}

async fn wait_until(
    app: &TestApp,
    chat: i64,
    what: &str,
    pred: impl Fn(&SentMessage) -> bool,
) -> SentMessage {
    app.api
        .wait_for_message(chat, pred, WAIT)
        .await
        .unwrap_or_else(|e| panic!("waiting for {what}: {e:#}"))
}

#[tokio::test]
async fn a_ticket_goes_from_filed_to_rated_with_the_card_edited_in_place() {
    let app = office().await;
    let id = leak_ticket(&app, 900_001, Priority::Urgent).await;

    // The card: number, kind, category, priority, unit, location, masked phone, deadline, buttons.
    let posted = card(&app, id).await;
    let body = posted.body();
    for needle in [
        "报修",
        "水电",
        "紧急",
        "3-2-1101",
        "厨房",
        "138****1234",
        "响应期限",
        "待认领",
    ] {
        assert!(body.contains(needle), "card lacks {needle}: {body}");
    }
    assert!(
        !body.contains("13812341234"),
        "the group never sees a full phone"
    );

    // The butler claims with the button; the card is edited, not re-posted.
    app.press(BUTLER, &posted, "认领");
    let claimed = wait_until(&app, GROUP, "the card to show the claim", |m| {
        m.message_id == posted.message_id && m.body().contains("王师傅")
    })
    .await;
    assert!(claimed.body().contains("处理中"));
    assert!(
        claimed.callback_data("认领").is_none(),
        "no Claim button once claimed"
    );
    app.expect_message(OWNER, "物业客服（管家 #1）受理").await;

    // A reply reaches the owner as the office, never as the person.
    app.api
        .send_text_in_group(GROUP, BUTLER, &format!("/reply {} 师傅下午两点上门", id.0))
        .unwrap();
    let reply = app.expect_message(OWNER, "师傅下午两点上门").await;
    assert!(reply.body().contains("物业客服（管家 #1）"));
    assert!(!reply.body().contains("王师傅"));

    // The owner's answer is relayed to the group (the butler has no private chat yet).
    app.say(OWNER, "好的，谢谢，家里有人");
    app.expect_message(GROUP, "家里有人").await;
    app.expect_message(OWNER, "已将您的补充信息转给工单").await;

    // Resolve; the owner is asked for a rating.
    app.api
        .send_text_in_group(GROUP, BUTLER, &format!("/resolve {} 已更换水管", id.0))
        .unwrap();
    let rating = app.expect_message(OWNER, "请为本次服务评分").await;
    app.expect_message(OWNER, "已更换水管").await;
    wait_until(&app, GROUP, "the card to show resolved", |m| {
        m.message_id == posted.message_id && m.body().contains("已解决")
    })
    .await;
    app.press(OWNER, &rating, "5⭐");
    app.expect_message(OWNER, "谢谢您的评价").await;
    app.say(OWNER, "师傅很专业");
    app.expect_message(OWNER, "感谢您的反馈").await;
    app.settle().await;

    let t = load(&app, id).await;
    assert_eq!(t.status, tickets::TicketStatus::Resolved);
    assert_eq!(t.rating, Some(5));
    assert_eq!(t.rating_comment.as_deref(), Some("师傅很专业"));
    assert!(t.first_response_at.is_some());
    assert_eq!(
        cards_posted(&app, id),
        1,
        "the card is edited in place, never re-posted"
    );
    let card_now = app
        .api
        .messages(GROUP)
        .into_iter()
        .find(|m| m.message_id == posted.message_id)
        .unwrap();
    assert!(
        card_now.history.len() >= 3,
        "claimed, resolved, rated: {:?}",
        card_now.history.len()
    );
    app.finish().await;
}

pub(crate) async fn load(app: &TestApp, id: TicketId) -> tickets::Ticket {
    let mut conn = app.db.pool.acquire().await.unwrap();
    tickets::load(&mut conn, id).await.unwrap().unwrap()
}

#[tokio::test]
async fn fifty_staff_pressing_claim_leave_exactly_one_holder() {
    let app = office().await;
    let mut conn = app.db.pool.acquire().await.unwrap();
    let butlers: Vec<i64> = (0..50).map(|i| 7000 + i).collect();
    for b in &butlers {
        staff::upsert(&mut conn, *b, &format!("管家{b}"), StaffRole::Butler)
            .await
            .unwrap();
        app.api.add_user(TestUser::new(*b, &format!("B{b}")));
    }
    drop(conn);
    let id = leak_ticket(&app, 900_002, Priority::Normal).await;
    let posted = card(&app, id).await;
    for b in &butlers {
        app.press(*b, &posted, "认领");
    }
    app.settle().await;
    let t = load(&app, id).await;
    let holder = t.assignee.expect("someone holds it");
    assert!(butlers.contains(&holder));
    let answers = app.api.callback_answers();
    let told_who: usize = answers
        .iter()
        .filter(|a| {
            a.text
                .as_deref()
                .is_some_and(|t| t.contains("已由") && t.contains("负责"))
        })
        .count();
    assert_eq!(told_who, 49, "every loser is told who holds it");
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ticket_events WHERE kind = 'claimed'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(events, 1);
    assert_eq!(
        app.api
            .messages(OWNER)
            .iter()
            .filter(|m| m.body().contains("受理"))
            .count(),
        1
    );
    app.finish().await;
}

#[tokio::test]
async fn fifty_simultaneous_claims_in_the_database_have_one_winner() {
    let db = propdesk::db::testing::fresh_database().await.unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    for i in 0..50 {
        staff::upsert(&mut conn, 8000 + i, &format!("s{i}"), StaffRole::Butler)
            .await
            .unwrap();
    }
    let now = chrono::Utc::now();
    let (id, _) = tickets::insert(
        &mut conn,
        Some(1),
        now,
        &NewTicket::new(TicketKind::Repair, "x"),
        OfficeSettings::default().deadline(TicketKind::Repair, Priority::Normal),
    )
    .await
    .unwrap();
    drop(conn);
    // As many at once as the pool has connections (16), all on one ticket.
    let start = Arc::new(tokio::sync::Notify::new());
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (pool, start) = (db.pool.clone(), start.clone());
            tokio::spawn(async move {
                start.notified().await;
                let mut tx = pool.begin().await.unwrap();
                let outcome = perform(&mut tx, id, Transition::Claim, Actor::Staff(8000 + i), now)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                outcome
            })
        })
        .collect();
    tokio::task::yield_now().await;
    start.notify_waiters();
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => wins += 1,
            Err(Refusal::Status { assignee, .. }) => assert!(assignee.is_some()),
            Err(other) => panic!("only a claimed ticket refuses a claim: {other:?}"),
        }
    }
    assert_eq!(wins, 1);
}

#[tokio::test]
async fn staff_commands_are_refused_to_strangers_and_to_roles_below_the_need() {
    let app = office().await;
    let id = leak_ticket(&app, 900_003, Priority::Normal).await;
    let posted = card(&app, id).await;

    // A stranger, in private and in the group, for every command.
    for cmd in [
        "/queue",
        "/next",
        "/claim 1",
        "/release 1",
        "/assign 1 #1",
        "/transfer 1 #1",
        "/reply 1 hi",
        "/note 1 hi",
        "/resolve 1",
        "/reopen 1",
        "/mine",
        "/ticket 1",
        "/newticket 3-2-1101 repair hi",
        "/staff",
        "/schedule 1 2030-01-01 10:00",
    ] {
        app.say(STRANGER, cmd);
    }
    app.api
        .send_text_in_group(GROUP, STRANGER, "/claim 1")
        .unwrap();
    app.nth_message(STRANGER, 15).await;
    let refusals = app
        .api
        .messages(STRANGER)
        .iter()
        .filter(|m| m.body().contains("仅限物业工作人员"))
        .count();
    assert_eq!(refusals, 15);
    app.expect_message(GROUP, "仅限物业工作人员").await;

    // Roles: an assistant may not claim; a butler may not assign or reopen or run the roster.
    app.api
        .send_text_in_group(GROUP, ASSISTANT, &format!("/claim {}", id.0))
        .unwrap();
    app.expect_message(GROUP, "您的角色（客服助理）无权").await;
    app.press(ASSISTANT, &posted, "认领");
    app.say(BUTLER, &format!("/assign {} #1", id.0));
    app.say(BUTLER, &format!("/reopen {}", id.0));
    app.say(BUTLER, "/staff add 1234 butler 新人");
    app.nth_message(BUTLER, 3).await;
    app.settle().await;
    let butler_refusals = app
        .api
        .messages(BUTLER)
        .iter()
        .filter(|m| m.body().contains("您的角色（管家）无权"))
        .count();
    assert_eq!(butler_refusals, 3);
    assert!(app
        .api
        .callback_answers()
        .iter()
        .any(|a| a.text.as_deref().is_some_and(|t| t.contains("无权"))));

    // A forged button for another owner's ticket, and a bogus claim: nothing changes.
    let t = load(&app, id).await;
    assert_eq!(t.status, tickets::TicketStatus::Open);
    assert!(t.assignee.is_none());
    app.api
        .press_forged_button(STRANGER, STRANGER, 1, &Callback::CancelTicket(id).encode())
        .unwrap();
    app.say(BUTLER, "/claim 999");
    app.expect_message(BUTLER, "没有工单 #999").await;
    app.settle().await;
    assert_eq!(load(&app, id).await.status, tickets::TicketStatus::Open);
    let prompts: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM conversations WHERE waiting->>'waiting' = 'cancel_reason'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(prompts, 0);
    app.finish().await;
}

#[tokio::test]
async fn photos_travel_both_ways_and_a_reply_to_a_relayed_message_reaches_the_owner() {
    let app = office().await;
    let id = leak_ticket(&app, 900_004, Priority::High).await;
    card(&app, id).await;
    // The butler has a private chat with the bot and claims there.
    app.say(BUTLER, &format!("/claim {}", id.0));
    app.expect_message(BUTLER, "您已认领工单").await;

    // The owner's photo goes to the holder's private chat.
    app.api.send_photo(OWNER, Some("漏水位置")).unwrap();
    let relayed = wait_until(&app, BUTLER, "the relayed photo", |m| m.file.is_some()).await;
    assert!(relayed.body().contains("漏水位置") && relayed.body().contains(&id.to_string()));

    // A Telegram reply to it goes back to the owner.
    app.api
        .reply_to(BUTLER, BUTLER, relayed.message_id, "收到，马上安排")
        .unwrap();
    let back = app.expect_message(OWNER, "收到，马上安排").await;
    assert!(back.body().contains("物业客服（管家 #1）"));

    // Resolving with a photo of the finished work: the owner gets the photo.
    app.api
        .send_photo(BUTLER, Some(&format!("/resolve {} 已修好", id.0)))
        .unwrap();
    let done = wait_until(&app, OWNER, "the photo of the finished work", |m| {
        m.file.is_some() && m.body().contains("已修好")
    })
    .await;
    assert_eq!(done.method, "sendPhoto");
    app.settle().await;
    let photos: i64 = sqlx::query_scalar("SELECT count(*) FROM attachments WHERE ticket_id = $1")
        .bind(id.0)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(photos, 2);
    app.finish().await;
}

#[tokio::test]
async fn a_low_rating_alerts_supervisors_and_lets_the_owner_reopen() {
    let app = office().await;
    let id = leak_ticket(&app, 900_005, Priority::Normal).await;
    card(&app, id).await;
    app.say(BUTLER, &format!("/claim {}", id.0));
    app.say(BUTLER, &format!("/resolve {}", id.0));
    let rating = app.expect_message(OWNER, "请为本次服务评分").await;
    app.press(OWNER, &rating, "2⭐");
    app.expect_message(GROUP, "获得 2 星评价").await;
    let sorry = app.expect_message(OWNER, "主管会跟进").await;
    app.press(OWNER, &sorry, &format!("重新打开 {id}"));
    app.expect_message(OWNER, "已重新打开").await;
    app.expect_message(GROUP, "业主重新打开了工单").await;
    app.settle().await;
    let t = load(&app, id).await;
    assert_eq!(t.status, tickets::TicketStatus::Claimed);
    assert_eq!(t.rating, None);
    let follow_ups: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ticket_events WHERE kind = 'follow_up'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(follow_ups, 1);
    app.finish().await;
}

#[tokio::test]
async fn overdue_tickets_are_pinged_once_an_hour_and_escalated_when_resolve_by_passes() {
    let app = office().await;
    app.say(SUPERVISOR, "/mine"); // the supervisor has a private chat
    app.expect_message(SUPERVISOR, "没有进行中的工单").await;
    let id = leak_ticket(&app, 900_006, Priority::Urgent).await; // 30 min / 4 h
    card(&app, id).await;
    let shared = App {
        settings: app.settings.processor.clone(),
        clock: app.clock.clone(),
        dialogues: Default::default(),
    };
    let shared = App {
        settings: {
            let mut s = shared.settings;
            s.staff_chat_id = Some(GROUP);
            s
        },
        clock: shared.clock,
        dialogues: Default::default(),
    };

    app.clock.advance(Duration::minutes(31));
    propdesk::scheduler::tick(&app.db.pool, &shared, app.clock.now())
        .await
        .unwrap();
    app.expect_message(GROUP, "已超过响应期限").await;
    // Again within the hour: no second ping.
    app.clock.advance(Duration::minutes(20));
    propdesk::scheduler::tick(&app.db.pool, &shared, app.clock.now())
        .await
        .unwrap();
    app.settle().await;
    let pings = |app: &TestApp| {
        app.api
            .messages(GROUP)
            .iter()
            .filter(|m| m.body().contains("⏰"))
            .count()
    };
    assert_eq!(pings(&app), 1);

    // Past resolve-by: one escalation, to the group and the supervisor.
    app.clock.advance(Duration::hours(4));
    let report = propdesk::scheduler::tick(&app.db.pool, &shared, app.clock.now())
        .await
        .unwrap();
    let escalation = app.expect_message(GROUP, "升级").await;
    assert!(
        escalation.reply_to_message_id.is_some(),
        "the notice replies to the card"
    );
    app.expect_message(SUPERVISOR, "升级").await;
    assert!(report.escalations <= 1);
    app.clock.advance(Duration::hours(2));
    propdesk::scheduler::tick(&app.db.pool, &shared, app.clock.now())
        .await
        .unwrap();
    app.settle().await;
    let escalations: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ticket_events WHERE kind = 'escalated'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(escalations, 1);
    assert!(pings(&app) >= 2, "still pinged hourly after escalation");
    app.finish().await;
}

#[tokio::test]
async fn the_daily_digest_goes_out_once_at_nine_and_thanks_named_suggesters() {
    use chrono::TimeZone;
    let db = propdesk::db::testing::fresh_database().await.unwrap();
    let settings = propdesk::processor::ProcessorSettings {
        staff_chat_id: Some(GROUP),
        ..propdesk::processor::ProcessorSettings::defaults()
    };
    let app = App {
        settings,
        clock: Arc::new(propdesk::clock::ShiftedClock::default()),
        dialogues: Default::default(),
    };
    sqlx::query(
        "INSERT INTO suggestions (chat_id, anonymous, body) VALUES (501, FALSE, '希望增加快递柜'), (502, TRUE, '门口灯坏了')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let tz = chrono_tz::Asia::Shanghai;
    let before = tz
        .with_ymd_and_hms(2026, 5, 1, 8, 59, 0)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let at_nine = before + Duration::minutes(1);
    assert_eq!(
        propdesk::scheduler::tick(&db.pool, &app, before)
            .await
            .unwrap()
            .digests,
        0
    );
    let report = propdesk::scheduler::tick(&db.pool, &app, at_nine)
        .await
        .unwrap();
    assert_eq!((report.digests, report.acknowledgements), (1, 1));
    assert_eq!(
        propdesk::scheduler::tick(&db.pool, &app, at_nine + Duration::hours(3))
            .await
            .unwrap()
            .digests,
        0
    );
    let digest: String =
        sqlx::query_scalar("SELECT request->>'text' FROM outbox WHERE chat_id = $1")
            .bind(GROUP)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(
        digest.contains("希望增加快递柜")
            && digest.contains("门口灯坏了")
            && digest.contains("匿名"),
        "{digest}"
    );
    let acks: Vec<i64> = sqlx::query_scalar("SELECT chat_id FROM outbox WHERE chat_id > 0")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(acks, vec![501], "only the named suggester is thanked");
    let next_day = at_nine + Duration::days(1);
    assert_eq!(
        propdesk::scheduler::tick(&db.pool, &app, next_day)
            .await
            .unwrap()
            .digests,
        1
    );
}

#[tokio::test]
async fn the_ticket_report_counts_and_times_a_period() {
    let db = propdesk::db::testing::fresh_database().await.unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    staff::upsert(&mut conn, 1, "a", StaffRole::Butler)
        .await
        .unwrap();
    let t0 = chrono::Utc::now() - Duration::days(1);
    let (a, _) = tickets::insert(
        &mut conn,
        Some(1),
        t0,
        &NewTicket::new(TicketKind::Repair, "a"),
        OfficeSettings::default().deadline(TicketKind::Repair, Priority::Normal),
    )
    .await
    .unwrap();
    tickets::insert(
        &mut conn,
        Some(2),
        t0,
        &NewTicket::new(TicketKind::Complaint, "b"),
        OfficeSettings::default().deadline(TicketKind::Complaint, Priority::Normal),
    )
    .await
    .unwrap();
    for (transition, actor, minutes) in [
        (Transition::Claim, Actor::Staff(1), 10),
        (
            Transition::Resolve {
                note: None,
                photo: None,
            },
            Actor::Staff(1),
            90,
        ),
        (Transition::Rate { stars: 4 }, Actor::Owner(None), 95),
    ] {
        let at = t0 + Duration::minutes(minutes);
        perform(&mut conn, a, transition, actor, at)
            .await
            .unwrap()
            .unwrap();
    }
    drop(conn);
    let day = t0.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let lines = propdesk::reports::tickets(
        &db.pool,
        day - Duration::days(1),
        day + Duration::days(1),
        chrono_tz::Asia::Shanghai,
    )
    .await
    .unwrap();
    let csv = propdesk::reports::render(&lines, true);
    for row in [
        "status,resolved,1",
        "status,open,1",
        "kind,repair,1",
        "total,tickets,2",
        "median_minutes,first_response,10",
        "median_minutes,resolution,90",
        "rating,average,4.00",
    ] {
        assert!(csv.contains(row), "{row} missing from\n{csv}");
    }
}

/// butler: /reply N … — the owner has blocked the bot meanwhile
/// bot (to butler): The owner has blocked the bot; the reply was not sent … phone them
#[tokio::test]
async fn a_reply_to_an_owner_who_blocked_the_bot_tells_staff_and_sends_nothing() {
    let app = office().await;
    let mut new = leak(&app, "卫生间漏水", Priority::Normal);
    new.person_id = sqlx::query_scalar("SELECT id FROM people WHERE telegram_user_id = $1")
        .bind(OWNER)
        .fetch_optional(&app.db.pool)
        .await
        .unwrap();
    let id = file(&app, 900_001, new).await;
    app.api.my_chat_member(OWNER, "member", "kicked").unwrap();
    app.settle().await;
    let before = app.api.messages(OWNER).len();
    app.api
        .send_text_in_group(GROUP, BUTLER, &format!("/reply {} 明天上午来修", id.0))
        .unwrap();
    let told = app
        .api
        .wait_for_message(GROUP, |m| m.body().contains("业主已屏蔽机器人"), WAIT)
        .await
        .unwrap();
    assert!(
        told.body().contains("****"),
        "phone masked for a butler: {}",
        told.body()
    );
    app.settle().await;
    assert_eq!(
        app.api.messages(OWNER).len(),
        before,
        "nothing sent to the owner"
    );
    let relayed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE chat_id = $1 AND request->>'text' LIKE '%明天上午来修%'",
    )
    .bind(OWNER)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(relayed, 0);
    app.finish().await;
}

/// anyone in the staff group: /help
/// bot: Staff commands: /queue … /claim N …
#[tokio::test]
async fn help_in_the_staff_group_lists_the_staff_commands() {
    let app = office().await;
    app.api
        .send_text_in_group(GROUP, BUTLER, "/help@propdesk_bot")
        .unwrap();
    let help = app
        .api
        .wait_for_message(GROUP, |m| m.body().contains("/claim N"), WAIT)
        .await
        .unwrap();
    assert!(help.body().contains("/resolve"), "{}", help.body());
    app.finish().await;
}

/// The kinds of ticket `id`'s events, oldest first.
pub(crate) async fn event_kinds(app: &TestApp, id: TicketId) -> Vec<String> {
    sqlx::query_scalar("SELECT kind FROM ticket_events WHERE ticket_id = $1 ORDER BY id")
        .bind(id.0)
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn release_assign_note_and_reopen_each_change_the_ticket_and_say_so() {
    let app = office().await;
    let id = leak_ticket(&app, 900_010, Priority::Normal).await;
    let posted = card(&app, id).await;

    // Claimed, then released: back in the queue, the card offering Claim again.
    app.say(BUTLER, &format!("/claim {}", id.0));
    app.expect_message(BUTLER, "您已认领工单").await;
    app.say(BUTLER, &format!("/release {}", id.0));
    app.expect_message(BUTLER, "已放回队列").await;
    app.settle().await;
    let t = load(&app, id).await;
    assert_eq!((t.status, t.assignee), (tickets::TicketStatus::Open, None));
    let card_now = |app: &TestApp| {
        app.api
            .messages(GROUP)
            .into_iter()
            .find(|m| m.message_id == posted.message_id)
            .unwrap()
    };
    assert!(card_now(&app).body().contains("待认领"));
    assert!(card_now(&app).callback_data("认领").is_some());

    // A supervisor gives it to the butler, who hears of it in private.
    app.say(SUPERVISOR, &format!("/assign {} #1", id.0));
    app.expect_message(SUPERVISOR, "已交给").await;
    app.expect_message(BUTLER, "已指派给您").await;
    app.settle().await;
    let t = load(&app, id).await;
    assert_eq!(
        (t.status, t.assignee),
        (tickets::TicketStatus::Claimed, Some(BUTLER))
    );
    assert!(card_now(&app).body().contains("王师傅"));
    let taken = app
        .api
        .messages(OWNER)
        .iter()
        .filter(|m| m.body().contains("受理"))
        .count();
    assert_eq!(taken, 1, "the owner hears of the first taking only");

    // An internal note: in the history, never to the owner.
    let owner_messages = app.api.messages(OWNER).len();
    app.say(BUTLER, &format!("/note {} 业主下午三点后在家", id.0));
    app.expect_message(BUTLER, "已为工单").await;
    app.settle().await;
    let (body, internal): (Option<String>, bool) = sqlx::query_as(
        "SELECT body, internal FROM ticket_events WHERE ticket_id = $1 AND kind = 'note'",
    )
    .bind(id.0)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        (body.as_deref(), internal),
        (Some("业主下午三点后在家"), true)
    );
    assert_eq!(app.api.messages(OWNER).len(), owner_messages);

    // Resolved, then reopened by the supervisor: back with its holder.
    app.say(BUTLER, &format!("/resolve {}", id.0));
    app.expect_message(OWNER, "请为本次服务评分").await;
    app.say(SUPERVISOR, &format!("/reopen {}", id.0));
    app.expect_message(SUPERVISOR, "已重新打开").await;
    app.expect_message(OWNER, "我们会继续跟进").await;
    app.settle().await;
    let t = load(&app, id).await;
    assert_eq!(
        (t.status, t.assignee, t.resolved_at),
        (tickets::TicketStatus::Claimed, Some(BUTLER), None)
    );
    assert!(card_now(&app).body().contains("处理中"));
    assert_eq!(
        event_kinds(&app, id).await,
        // Each private notice to the holder shows the full number, recorded.
        [
            "filed",
            "claimed",
            "phone_viewed",
            "released",
            "assigned",
            "phone_viewed",
            "note",
            "resolved",
            "reopened"
        ]
    );
    assert_eq!(cards_posted(&app, id), 1);
    app.finish().await;
}

#[tokio::test]
async fn a_refused_transition_says_why_and_changes_nothing() {
    let app = office().await;
    let id = leak_ticket(&app, 900_011, Priority::Normal).await;
    card(&app, id).await;

    // Claiming a claimed ticket names its holder.
    app.say(BUTLER, &format!("/claim {}", id.0));
    app.expect_message(BUTLER, "您已认领工单").await;
    app.say(SUPERVISOR, "/mine");
    app.expect_message(SUPERVISOR, "没有进行中的工单").await;
    app.api
        .send_text_in_group(GROUP, SUPERVISOR, &format!("/claim {}", id.0))
        .unwrap();
    app.expect_message(GROUP, "已由 管家 #1 王师傅 负责").await;

    // The owner cancels it; resolving it then is refused.
    app.say(OWNER, "/mytickets");
    let list = app.expect_message(OWNER, "您的工单：").await;
    app.press(OWNER, &list, &format!("取消 {id}"));
    app.expect_message(OWNER, "取消工单").await;
    app.say(OWNER, "已经自己修好了");
    app.expect_message(OWNER, "已取消，感谢您的说明").await;
    app.settle().await;
    let before = load(&app, id).await;
    assert_eq!(before.status, tickets::TicketStatus::Cancelled);
    let events_before = event_kinds(&app, id).await;
    app.say(BUTLER, &format!("/resolve {} 已修好", id.0));
    app.expect_message(BUTLER, "当前状态为“已取消”，不能标记为已解决")
        .await;
    app.say(BUTLER, &format!("/release {}", id.0));
    app.expect_message(BUTLER, "不能放回队列").await;
    app.settle().await;
    assert_eq!(load(&app, id).await, before);
    assert_eq!(event_kinds(&app, id).await, events_before);
    assert!(!app
        .api
        .messages(OWNER)
        .iter()
        .any(|m| m.body().contains("请为本次服务评分")));
    app.finish().await;
}

#[tokio::test]
async fn an_unclaimed_ticket_resolved_directly_records_its_resolver_and_closing_shows_on_the_card()
{
    let app = office().await;
    let id = leak_ticket(&app, 900_012, Priority::Normal).await;
    let posted = card(&app, id).await;
    app.say(BUTLER, &format!("/resolve {} 已处理", id.0));
    app.expect_message(OWNER, "请为本次服务评分").await;
    app.settle().await;
    let t = load(&app, id).await;
    assert_eq!(
        (t.status, t.assignee),
        (tickets::TicketStatus::Resolved, Some(BUTLER))
    );

    // Past the reopen window the scheduler closes it, and the card says so.
    let shared = shared(&app);
    app.clock.advance(Duration::days(8));
    let report = propdesk::scheduler::tick(&app.db.pool, &shared, app.clock.now())
        .await
        .unwrap();
    assert_eq!(report.closed, 1);
    wait_until(&app, GROUP, "the card to show closed", |m| {
        m.message_id == posted.message_id && m.body().contains("已关闭")
    })
    .await;
    assert_eq!(load(&app, id).await.status, tickets::TicketStatus::Closed);
    assert_eq!(
        event_kinds(&app, id).await.last().map(String::as_str),
        Some("closed")
    );
    app.finish().await;
}
