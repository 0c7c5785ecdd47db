//! Households end to end (issue 11 items 2–4): an owner of two units
//! reporting for the second, staff completing a registration request from
//! its card, invitation links (used once, used twice, expired, forged),
//! an owner removing a member, staff `/unbind` — through the real pipeline
//! and the stand-in, with units whose codes are the office's own labels.
//!
//! ```text
//! applicant:  (shares an unknown number) → Li Wei → a-1203 → [Tenant]
//! bot → group: 📝 工单 #1 · 登记 … [绑定为业主] [绑定为租户] [绑定为家属] / [认领] [指派] [拒绝申请]
//! assistant:   [绑定为租户]   → alert: your role is too low; nothing changes
//! butler:      [绑定为租户]   → #1：已将 Li Wei 作为租户绑定到房号 A栋1203 …
//! bot → applicant: Your registration is confirmed … [Yes, remind me] [No reminders]
//! owner:       /household → [邀请家属] → https://t.me/propdesk_bot?start=<code>
//! invitee:     /start <code> → Welcome! … unit A栋1203 as family
//! someone:     /start <code> → This invitation link has been used already …
//! ```

use chrono::Duration;
use propdesk::domain::staff::{self, StaffRole};
use propdesk::domain::tickets::TicketId;
use propdesk::domain::units::Role;
use propdesk::standin::{SentMessage, TestUser};
use propdesk::telegram::callback::Callback;
use sqlx::PgPool;

use crate::support::{fast_limits, spawn_app_with, TestApp, WAIT};

const GROUP: i64 = -100_888;
const BUTLER: i64 = 6101;
const ASSISTANT: i64 = 6102;
const STRANGER: i64 = 6199;

/// The bot with a staff group (a butler, an assistant) and an estate whose
/// codes are labels: `A栋1203` (building A, floor 12), villa `D-07` (no
/// entrance or floor), `3-2-1101`.
async fn office() -> TestApp {
    let (config, limits) = fast_limits();
    let app = spawn_app_with(config, |s| {
        s.sender.limits = limits;
        s.processor.staff_chat_id = Some(GROUP);
    })
    .await;
    app.api.add_group(GROUP, "物业客服组");
    for (id, name) in [
        (BUTLER, "王师傅"),
        (ASSISTANT, "赵助理"),
        (STRANGER, "路人"),
    ] {
        app.api
            .add_user(TestUser::new(id, name).language("zh-hans"));
    }
    let mut conn = app.db.pool.acquire().await.unwrap();
    staff::upsert(&mut conn, BUTLER, "王师傅", StaffRole::Butler)
        .await
        .unwrap();
    staff::upsert(&mut conn, ASSISTANT, "赵助理", StaffRole::Assistant)
        .await
        .unwrap();
    for (code, building, entrance, floor) in [
        ("A栋1203", "A", None, Some(12)),
        ("D-07", "D", None, None),
        ("3-2-1101", "3", Some("2"), Some(11)),
    ] {
        sqlx::query(
            "INSERT INTO units (code, building, entrance, floor, area_m2) VALUES ($1, $2, $3, $4, 90)",
        )
        .bind(code)
        .bind(building)
        .bind(entrance)
        .bind(floor)
        .execute(&mut *conn)
        .await
        .unwrap();
    }
    drop(conn);
    app
}

/// Person `name` with `phone`, bound to Telegram `telegram` (if any), member
/// of `units` (code, role), the first their default.
async fn resident(
    pool: &PgPool,
    name: &str,
    phone: &str,
    telegram: Option<i64>,
    units: &[(&str, &str)],
) -> i64 {
    let person: i64 = sqlx::query_scalar(
        "INSERT INTO people (name, phone, telegram_user_id) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(name)
    .bind(phone)
    .bind(telegram)
    .fetch_one(pool)
    .await
    .unwrap();
    for (i, (code, role)) in units.iter().enumerate() {
        sqlx::query(
            "INSERT INTO unit_members (unit_id, person_id, role, is_default)
             SELECT id, $2, $3, $4 FROM units WHERE code = $1",
        )
        .bind(code)
        .bind(person)
        .bind(role)
        .bind(i == 0)
        .execute(pool)
        .await
        .unwrap();
    }
    person
}

/// (unit code, role, source) of every membership of the person with
/// Telegram account `telegram`.
async fn memberships(pool: &PgPool, telegram: i64) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT u.code, m.role, m.source FROM unit_members m
           JOIN units u ON u.id = m.unit_id JOIN people p ON p.id = m.person_id
          WHERE p.telegram_user_id = $1 ORDER BY u.code",
    )
    .bind(telegram)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// One person's private chat: the bot's messages after the last one looked at.
struct Chat<'a> {
    app: &'a TestApp,
    id: i64,
    last: i64,
}

impl<'a> Chat<'a> {
    fn new(app: &'a TestApp, id: i64, lang: &str) -> Chat<'a> {
        app.person(id, lang);
        Chat { app, id, last: 0 }
    }

    fn say(&self, text: &str) {
        self.app.say(self.id, text);
    }

    async fn expect(&mut self, needle: &str) -> SentMessage {
        let last = self.last;
        let m = self
            .app
            .api
            .wait_for_message(
                self.id,
                |m| m.message_id > last && m.body().contains(needle),
                WAIT,
            )
            .await
            .unwrap_or_else(|e| panic!("user {} waiting for {needle:?}: {e:#}", self.id));
        self.last = m.message_id;
        m
    }

    async fn answer(&mut self, needle: &str, label: &str) -> SentMessage {
        let m = self.expect(needle).await;
        self.app.press(self.id, &m, label);
        m
    }

    async fn open(&mut self, label: &str) {
        self.say("/start");
        self.answer("", label).await;
    }
}

/// The latest group message containing `needle` (a card is edited in place).
async fn in_group(app: &TestApp, needle: &str) -> SentMessage {
    app.expect_message(GROUP, needle).await
}

/// The alert the last press of a button with `data_part` got.
fn last_answer_to(app: &TestApp, data_part: &str) -> Option<String> {
    app.api
        .callback_answers()
        .into_iter()
        .rev()
        .find(|a| a.data.as_deref().is_some_and(|d| d.contains(data_part)))
        .and_then(|a| a.text)
}

async fn wait_for_answer(app: &TestApp, data_part: &str, needle: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        app.settle().await;
        if let Some(text) = last_answer_to(app, data_part) {
            if text.contains(needle) {
                return;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no answer with {needle:?} to {data_part}: {:?}",
            app.api.callback_answers()
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

// --------------------------------------------------------- choose the unit

#[tokio::test]
async fn an_owner_of_two_units_reports_a_repair_for_the_second_unit() {
    // owner: [Repair]
    // bot:   Which unit is this for? (✅ marks your default unit)
    //        [✅ A栋1203 (owner)] [D-07 (owner)]
    // owner: [D-07 (owner)]
    // bot:   First: is this one of these emergencies? …
    // …      Please check your repair request: Unit: D-07 … Place: My unit D-07
    // owner: [Yes]  → the ticket is for D-07
    let app = office().await;
    let pool = &app.db.pool;
    resident(
        pool,
        "Chen",
        "+8613800000001",
        Some(3001),
        &[("A栋1203", "owner"), ("D-07", "owner")],
    )
    .await;
    let mut chat = Chat::new(&app, 3001, "en");
    chat.open("Repair").await;
    let pick = chat.expect("Which unit is this for?").await;
    assert!(
        pick.callback_data("✅ A栋1203 (owner)").is_some(),
        "{:?}",
        pick.buttons()
    );
    app.press(3001, &pick, "D-07 (owner)");
    chat.answer("is this one of these emergencies", "None of these")
        .await;
    chat.answer("What needs repairing?", "Door / lock").await;
    chat.expect("Please describe the problem").await;
    chat.say("The villa's garden gate lock is stuck.");
    chat.answer("Send photos", "Skip").await;
    chat.answer("Where is the repair?", "My unit").await;
    chat.answer("may the technician enter", "Yes").await;
    chat.answer("When would suit you?", "Skip").await;
    let confirm = chat.expect("Please check your repair request").await;
    assert!(confirm.body().contains("Unit: D-07"), "{}", confirm.body());
    assert!(
        confirm.body().contains("My unit D-07"),
        "{}",
        confirm.body()
    );
    app.press(3001, &confirm, "Yes");
    chat.expect("Your repair request is filed").await;
    let (code, location): (String, Option<String>) =
        sqlx::query_as("SELECT u.code, t.location FROM tickets t JOIN units u ON u.id = t.unit_id")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(code, "D-07");
    assert!(location.unwrap_or_default().contains("D-07"));
    // Their default is unchanged: the choice was for this report only.
    let default: String = sqlx::query_scalar(
        "SELECT u.code FROM unit_members m JOIN units u ON u.id = m.unit_id WHERE m.is_default",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(default, "A栋1203");
    app.finish().await;
}

// ---------------------------------------------- registration without dead ends

/// An applicant whose number the office lacks files a request for the unit
/// they type (`typed`, found as `code`); the request's number.
async fn apply(app: &TestApp, user: i64, name: &str, typed: &str, code: &str) -> i64 {
    let tickets_before = count(&app.db.pool, "SELECT count(*) FROM tickets").await;
    let mut chat = Chat::new(app, user, "en");
    chat.open("Register").await;
    chat.expect("Share my phone number").await;
    app.api
        .share_contact(user, &format!("+86 137 0000 {user}"), Some(user))
        .unwrap();
    chat.answer("could not find resident records", "Yes").await;
    chat.expect("type your full name").await;
    chat.say(name);
    chat.expect("type your unit").await;
    // A unit that matches nothing first: a specific answer, nothing stored.
    chat.say("Z-9999-77");
    let none = chat.expect("There is no unit “Z-9999-77”").await;
    assert_eq!(
        count(&app.db.pool, "SELECT count(*) FROM tickets").await,
        tickets_before
    );
    app.press(user, &none, "Type it again");
    chat.expect("type your unit").await;
    chat.say(typed);
    chat.answer(&format!("related to unit {code}"), "Tenant")
        .await;
    let filed = chat.expect("Submitted, reference").await;
    let body = filed.body();
    let digits: String = body[body.find("reference ").unwrap() + 10..]
        .trim_start_matches('#')
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

#[tokio::test]
async fn staff_bind_an_unknown_number_applicant_from_the_card_and_refuse_another() {
    let app = office().await;
    let pool = &app.db.pool;
    let id = apply(&app, 3201, "Li Wei", "a-1203", "A栋1203").await;
    let card = in_group(&app, &format!("工单 #{id} ·")).await;
    assert!(card.body().contains("A栋1203"), "{}", card.body());

    // Without the role, or not staff at all: refused, nothing changes.
    app.press(ASSISTANT, &card, "绑定为租户");
    wait_for_answer(&app, &format!("g:b:{id}:t"), "管家").await;
    app.press(STRANGER, &card, "绑定为租户");
    wait_for_answer(&app, &format!("g:b:{id}:t"), "仅限物业工作人员").await;
    assert_eq!(count(pool, "SELECT count(*) FROM unit_members").await, 0);
    assert_eq!(
        count(pool, "SELECT count(*) FROM tickets WHERE status = 'open'").await,
        1
    );

    // The butler binds: the applicant is told and offered reminders.
    app.press(BUTLER, &card, "绑定为租户");
    in_group(
        &app,
        &format!("#{id}：已将 Li Wei 作为租户绑定到房号 A栋1203"),
    )
    .await;
    let mut applicant = Chat {
        app: &app,
        id: 3201,
        last: 0,
    };
    applicant
        .expect("Your registration is confirmed: you are bound to unit A栋1203 as tenant")
        .await;
    applicant
        .answer("remind you here each month", "No reminders")
        .await;
    applicant.expect("fee reminders are off").await;
    assert_eq!(
        memberships(pool, 3201).await,
        vec![("A栋1203".into(), "tenant".into(), "staff".into())]
    );
    let (phone, reminders): (Option<String>, bool) =
        sqlx::query_as("SELECT phone, fee_reminders FROM people WHERE telegram_user_id = 3201")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(phone.as_deref(), Some("+8613700003201"));
    assert!(!reminders);
    let status: String = sqlx::query_scalar("SELECT status FROM tickets WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(status, "closed");
    // The card shows it done; its old button pressed again changes nothing.
    app.api
        .wait_for_message(
            GROUP,
            |m| m.message_id == card.message_id && m.body().contains("已关闭"),
            WAIT,
        )
        .await
        .unwrap();
    let stale = Callback::RegistrationBind {
        ticket: TicketId(id),
        role: Role::Owner,
    };
    app.api
        .press_forged_button(BUTLER, GROUP, card.message_id, &stale.encode())
        .unwrap();
    wait_for_answer(&app, &format!("g:b:{id}:o"), "已经处理过").await;
    assert_eq!(memberships(pool, 3201).await.len(), 1);

    // Another applicant, refused with a reason.
    let other = apply(&app, 3202, "Zhou Min", "3栋2单元1101", "3-2-1101").await;
    let card = in_group(&app, &format!("工单 #{other} ·")).await;
    app.press(BUTLER, &card, "拒绝申请");
    in_group(&app, &format!("请发送拒绝 #{other} 的原因")).await;
    app.api
        .send_text_in_group(
            GROUP,
            BUTLER,
            "该房号登记的业主不是您，请携带租赁合同到服务中心",
        )
        .unwrap();
    in_group(&app, &format!("#{other} 已拒绝")).await;
    let mut refused = Chat {
        app: &app,
        id: 3202,
        last: 0,
    };
    let told = refused
        .expect(&format!(
            "your registration request #{other} was not accepted"
        ))
        .await;
    assert!(told.body().contains("租赁合同"), "{}", told.body());
    assert!(memberships(pool, 3202).await.is_empty());
    app.finish().await;
}

// ------------------------------------------------------------ invitations

/// The invitation link in the owner's chat after pressing `label` on their
/// `/household` card; its code.
async fn invite(owner: &mut Chat<'_>, label: &str) -> String {
    owner.say("/household");
    owner.answer("A栋1203（您是业主）", label).await;
    let link = owner.expect("https://t.me/propdesk_bot?start=").await;
    let body = link.body();
    let start = body.find("start=").unwrap() + 6;
    body[start..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

#[tokio::test]
async fn an_invitation_link_works_once_and_expired_or_forged_links_are_refused() {
    let app = office().await;
    let pool = &app.db.pool;
    app.set_office_setting("invite_hours", "2").await;
    resident(
        pool,
        "王芳",
        "+8613800000002",
        Some(3301),
        &[("A栋1203", "owner")],
    )
    .await;
    let mut owner = Chat::new(&app, 3301, "zh-hans");
    let code = invite(&mut owner, "邀请家属").await;
    assert_eq!(code.len(), 32, "{code}");
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM invites WHERE code_hash = sha256(convert_to($1, 'UTF8'))",
    )
    .bind(&code)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(stored, 1, "only the hash is kept");

    // Used once: bound as family, told; the owner hears of it.
    let mut invitee = Chat::new(&app, 3302, "en");
    invitee.say(&format!("/start {code}"));
    invitee
        .expect("You are now registered to unit A栋1203 as family (invited by 王芳)")
        .await;
    invitee
        .answer("remind you here each month", "Yes, remind me")
        .await;
    invitee.expect("fee reminders are on").await;
    owner
        .expect("已通过您的邀请，作为家属加入房号 A栋1203")
        .await;
    assert_eq!(
        memberships(pool, 3302).await,
        vec![("A栋1203".into(), "family".into(), "invite".into())]
    );

    // Used twice: refused, nothing stored for the second person.
    let mut late = Chat::new(&app, 3303, "en");
    late.say(&format!("/start {code}"));
    late.expect("has been used already").await;
    // Forged, or garbage.
    late.say("/start 0123456789abcdef0123456789abcdef");
    late.expect("This invitation link is not valid").await;
    late.say("/start hello");
    late.expect("This invitation link is not valid").await;
    // Expired.
    let tenant_code = invite(&mut owner, "邀请租户").await;
    app.clock.advance(Duration::hours(3));
    late.say(&format!("/start {tenant_code}"));
    late.expect("This invitation link expired on").await;
    assert_eq!(
        count(
            pool,
            "SELECT count(*) FROM people WHERE telegram_user_id = 3303"
        )
        .await,
        0
    );
    assert_eq!(count(pool, "SELECT count(*) FROM unit_members").await, 2);

    // The owner removes the member they invited; the member is told.
    owner.say("/household");
    let card = owner.expect("由 王芳 邀请").await;
    let name = "User 3302";
    app.press(3301, &card, &format!("移除 {name}"));
    owner
        .answer(&format!("确定将 {name} 从房号 A栋1203"), "确认移除")
        .await;
    owner
        .expect(&format!("已将 {name} 从房号 A栋1203 移除"))
        .await;
    invitee.expect("王芳 removed you from unit A栋1203").await;
    assert!(memberships(pool, 3302).await.is_empty());
    app.finish().await;
}

// ------------------------------------------------------------------ moving out

#[tokio::test]
async fn staff_unbind_an_owner_who_moved_out_and_the_members_they_invited_go_too() {
    let app = office().await;
    let pool = &app.db.pool;
    let owner = resident(
        pool,
        "王芳",
        "+8613800000003",
        Some(3401),
        &[("A栋1203", "owner")],
    )
    .await;
    let child = resident(pool, "王小明", "+8613800000004", Some(3402), &[]).await;
    sqlx::query(
        "INSERT INTO unit_members (unit_id, person_id, role, source, invited_by, is_default)
         SELECT id, $1, 'family', 'invite', $2, TRUE FROM units WHERE code = 'A栋1203'",
    )
    .bind(child)
    .bind(owner)
    .execute(pool)
    .await
    .unwrap();
    for user in [3401, 3402] {
        app.person(user, "zh-hans");
        app.say(user, "/start");
        app.nth_message(user, 1).await;
    }

    // Without the role: refused, nothing changes.
    app.api
        .send_text_in_group(GROUP, ASSISTANT, "/unbind a-1203 王芳")
        .unwrap();
    in_group(&app, "需要管家").await;
    assert_eq!(count(pool, "SELECT count(*) FROM unit_members").await, 2);
    // A unit that does not exist: named, with the close ones.
    app.api
        .send_text_in_group(GROUP, BUTLER, "/unbind A-1208")
        .unwrap();
    in_group(&app, "没有房号“A-1208”。相近的房号：A栋1203").await;

    // The list, then a button.
    app.api
        .send_text_in_group(GROUP, BUTLER, "/unbind a栋1203")
        .unwrap();
    let list = in_group(&app, "房号 A栋1203 的住户").await;
    app.press(ASSISTANT, &list, "解除 王芳（业主）");
    wait_for_answer(&app, "h:u:", "需要管家").await;
    assert_eq!(count(pool, "SELECT count(*) FROM unit_members").await, 2);
    app.press(BUTLER, &list, "解除 王芳（业主）");
    let done = in_group(&app, "已解除房号 A栋1203 的登记").await;
    assert!(
        done.body().contains("王小明（家属，由 王芳 邀请）"),
        "{}",
        done.body()
    );
    for user in [3401, 3402] {
        app.api
            .wait_for_message(
                user,
                |m| m.body().contains("物业已解除您与房号 A栋1203 的登记"),
                WAIT,
            )
            .await
            .unwrap();
    }
    assert_eq!(count(pool, "SELECT count(*) FROM unit_members").await, 0);
    assert_eq!(
        count(pool, "SELECT count(*) FROM unit_member_log WHERE action = 'unbound' AND actor_kind = 'staff'").await,
        2
    );
    app.finish().await;
}
