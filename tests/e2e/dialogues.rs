//! The owner dialogues end to end: the stand-in's users press the menu,
//! share contacts, send albums and answer prompts; the real pipeline runs
//! the engine and the runtime (`processor::features::dialogue`) against a fresh
//! database. Each test opens with the transcript it checks.

use chrono::{Duration, NaiveDate};
use propdesk::clock::Clock;
use propdesk::processor::conversation::expire_drafts;
use propdesk::standin::SentMessage;
use propdesk::telegram::callback::Callback;
use sqlx::PgPool;

use propdesk::app::ServeSettings;

use crate::support::{fast_limits, spawn_app_with, TestApp, WAIT};

// ------------------------------------------------------------------ helpers

/// The bot without flood limits (these tests are about dialogues, not rates).
pub(crate) async fn spawn() -> TestApp {
    spawn_with(|_| {}).await
}

pub(crate) async fn spawn_with(adjust: impl FnOnce(&mut ServeSettings)) -> TestApp {
    let (config, limits) = fast_limits();
    spawn_app_with(config, |s| {
        s.sender.limits = limits;
        adjust(s);
    })
    .await
}

/// One person's side of a private chat: what they do, and the bot's
/// messages after the last one the test looked at.
pub(crate) struct Chat<'a> {
    app: &'a TestApp,
    pub(crate) id: i64,
    last: i64,
    lang: &'static str,
}

impl<'a> Chat<'a> {
    pub(crate) fn new(app: &'a TestApp, id: i64, lang: &'static str) -> Chat<'a> {
        app.person(id, lang);
        Chat {
            app,
            id,
            last: 0,
            lang,
        }
    }

    /// `zh` or `en`, whichever this person speaks.
    pub(crate) fn t(&self, zh: &'static str, en: &'static str) -> &'static str {
        if self.lang == "zh" {
            zh
        } else {
            en
        }
    }

    pub(crate) fn say(&self, text: &str) {
        self.app.say(self.id, text);
    }

    /// The next bot message (after the last looked at) containing `needle`.
    pub(crate) async fn expect(&mut self, needle: &str) -> SentMessage {
        let last = self.last;
        let message = self
            .app
            .api
            .wait_for_message(
                self.id,
                |m| m.message_id > last && m.body().contains(needle),
                WAIT,
            )
            .await
            .unwrap_or_else(|e| panic!("user {} waiting for {needle:?}: {e:#}", self.id));
        self.last = message.message_id;
        message
    }

    /// Everything the bot sent since the last message looked at, once the
    /// pipeline is idle.
    pub(crate) async fn new_messages(&mut self) -> Vec<SentMessage> {
        self.app.settle().await;
        let last = self.last;
        let messages: Vec<SentMessage> = self
            .app
            .api
            .messages(self.id)
            .into_iter()
            .filter(|m| m.message_id > last)
            .collect();
        if let Some(m) = messages.last() {
            self.last = m.message_id;
        }
        messages
    }

    pub(crate) fn press(&self, message: &SentMessage, label: &str) -> i64 {
        self.app.press(self.id, message, label)
    }

    /// `/start`, then the main-menu button `label`.
    pub(crate) async fn open(&mut self, zh: &'static str, en: &'static str) {
        self.say("/start");
        let menu = self
            .expect(self.t("物业客服", "property service desk"))
            .await;
        self.press(&menu, self.t(zh, en));
    }

    /// Presses `label` on the latest message containing `needle`.
    pub(crate) async fn answer(&mut self, needle: &str, label: &str) -> SentMessage {
        let prompt = self.expect(needle).await;
        self.press(&prompt, label);
        prompt
    }
}

pub(crate) async fn unit(pool: &PgPool, code: &str, area_m2: f64) -> i64 {
    let parts: Vec<&str> = code.split('-').collect();
    let room: i32 = parts[2].parse().expect("room number");
    sqlx::query_scalar(
        "INSERT INTO units (code, building, entrance, floor, area_m2) VALUES ($1, $2, $3, $4, $5)
         RETURNING id",
    )
    .bind(code)
    .bind(parts[0])
    .bind(parts[1])
    .bind(room / 100)
    .bind(area_m2)
    .fetch_one(pool)
    .await
    .expect("insert unit")
}

/// A person as the import leaves them: normalized phone, no Telegram yet
/// unless `telegram` is given.
async fn person(pool: &PgPool, name: &str, phone: &str, telegram: Option<i64>) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO people (name, phone, telegram_user_id) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(name)
    .bind(phone)
    .bind(telegram)
    .fetch_one(pool)
    .await
    .expect("insert person")
}

pub(crate) async fn member(pool: &PgPool, unit: i64, person: i64, role: &str, is_default: bool) {
    sqlx::query(
        "INSERT INTO unit_members (unit_id, person_id, role, is_default) VALUES ($1, $2, $3, $4)",
    )
    .bind(unit)
    .bind(person)
    .bind(role)
    .bind(is_default)
    .execute(pool)
    .await
    .expect("insert member");
}

async fn fee(pool: &PgPool, unit: i64, period: &str, item: &str, due: i64, paid: i64, by: &str) {
    sqlx::query(
        "INSERT INTO fees (unit_id, period, item, amount_due_cents, amount_paid_cents, due_date)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(unit)
    .bind(period)
    .bind(item)
    .bind(due)
    .bind(paid)
    .bind(NaiveDate::parse_from_str(by, "%Y-%m-%d").expect("date"))
    .execute(pool)
    .await
    .expect("insert fee");
}

/// An owner already bound to Telegram account `telegram` with one unit.
pub(crate) async fn registered_owner(
    pool: &PgPool,
    telegram: i64,
    phone: &str,
    code: &str,
) -> (i64, i64) {
    let u = unit(pool, code, 98.5).await;
    let p = person(pool, "Owner", phone, Some(telegram)).await;
    member(pool, u, p, "owner", true).await;
    (p, u)
}

pub(crate) async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub(crate) async fn conversation_node(pool: &PgPool, chat: i64) -> Option<String> {
    sqlx::query_scalar("SELECT waiting->'state'->>'node' FROM conversations WHERE chat_id = $1")
        .bind(chat)
        .fetch_optional(pool)
        .await
        .expect("read conversation")
}

/// The ticket number in "… number 12. …", "… reference 12. …" or "…编号 12。…".
pub(crate) fn ticket_number(text: &str) -> i64 {
    ["编号 ", "编号：", "number ", "reference ", "Reference: "]
        .iter()
        .find_map(|marker| {
            let rest = &text[text.find(marker)? + marker.len()..];
            let rest = rest.strip_prefix('#').unwrap_or(rest);
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .unwrap_or_else(|| panic!("no ticket number in {text:?}"))
}

// ------------------------------------------------------------- registration

#[tokio::test]
async fn registration_with_own_contact_binds_the_unit_in_both_languages() {
    // owner: /start
    // bot:   Hello! This is the property service desk. … [menu]
    // owner: [Register]
    // bot:   Please press “Share my phone number” below … [📱 Share my phone number]
    // bot:   Or you can: [✖ Cancel]
    // owner: (shares their own contact, +86 138-1234-5678)
    // bot:   Received, thank you.
    // bot:   Done! Your account is now linked to unit 3-2-1101.
    // bot:   Shall we remind you here each month when a fee is overdue? … [Yes] [No]
    // owner: [No]
    // bot:   Done: fee reminders are off. … You can now use repairs, … [menu]
    let app = spawn().await;
    let pool = &app.db.pool;
    for (user, lang, phone, code) in [
        (2001, "en", "+8613812345678", "3-2-1101"),
        (2002, "zh", "+8613900001111", "7-1-0502"),
    ] {
        let u = unit(pool, code, 100.0).await;
        let p = person(pool, "Owner", phone, None).await;
        member(pool, u, p, "owner", false).await;
        let mut chat = Chat::new(&app, user, lang);
        chat.open("住户登记", "Register").await;
        let prompt = chat
            .expect(chat.t("分享我的手机号", "Share my phone number"))
            .await;
        let keyboard = prompt.reply_markup.clone().expect("a reply keyboard");
        assert_eq!(keyboard["keyboard"][0][0]["request_contact"], true);
        // Typed the way people write it: +86, spaces and dashes.
        let typed = format!("+86 {}-{}-{}", &phone[3..6], &phone[6..10], &phone[10..]);
        app.api
            .share_contact(user, &typed, Some(user))
            .expect("share contact");
        let done = chat
            .expect(chat.t("登记成功", "Your account is now linked"))
            .await;
        assert!(done.body().contains(code), "{}", done.body());
        chat.answer(
            chat.t("需要每月在这里提醒您吗", "remind you here each month"),
            chat.t("否", "No"),
        )
        .await;
        let end = chat
            .expect(chat.t("已关闭欠费提醒", "fee reminders are off"))
            .await;
        assert!(
            end.callback_data(chat.t("报修", "Repair")).is_some(),
            "the menu comes back"
        );
        let reminders: bool = sqlx::query_scalar("SELECT fee_reminders FROM people WHERE id = $1")
            .bind(p)
            .fetch_one(pool)
            .await
            .unwrap();
        assert!(!reminders, "the owner chose no reminders");
        let bound: Option<i64> =
            sqlx::query_scalar("SELECT telegram_user_id FROM people WHERE id = $1")
                .bind(p)
                .fetch_one(pool)
                .await
                .unwrap();
        assert_eq!(bound, Some(user));
        let is_default: bool =
            sqlx::query_scalar("SELECT is_default FROM unit_members WHERE person_id = $1")
                .bind(p)
                .fetch_one(pool)
                .await
                .unwrap();
        assert!(is_default, "a single unit is the default");
        assert_eq!(conversation_node(pool, user).await, None);
    }
    app.finish().await;
}

#[tokio::test]
async fn someone_elses_contact_is_refused_and_binds_nothing() {
    // owner: [Register]
    // bot:   Please press “Share my phone number” below …
    // owner: (forwards the contact card of someone else, +8613812345678)
    // bot:   To protect residents' data we can only accept your own number. …
    //        (the prompt again; nothing bound)
    let app = spawn().await;
    let pool = &app.db.pool;
    let u = unit(pool, "3-2-1101", 100.0).await;
    let p = person(pool, "Real Owner", "+8613812345678", None).await;
    member(pool, u, p, "owner", false).await;
    for (user, lang) in [(2101, "en"), (2102, "zh")] {
        let mut chat = Chat::new(&app, user, lang);
        chat.open("住户登记", "Register").await;
        chat.expect(chat.t("分享我的手机号", "Share my phone number"))
            .await;
        app.api
            .share_contact(user, "+8613812345678", Some(9999))
            .expect("share contact");
        chat.expect(chat.t("只能分享您本人的号码", "only accept your own number"))
            .await;
        // A contact card with no user id at all is not the sender's either.
        app.api
            .share_contact(user, "+8613812345678", None)
            .expect("share contact");
        chat.expect(chat.t("只能分享您本人的号码", "only accept your own number"))
            .await;
        assert_eq!(
            conversation_node(pool, user).await.as_deref(),
            Some("phone")
        );
    }
    let bound: Option<i64> =
        sqlx::query_scalar("SELECT telegram_user_id FROM people WHERE id = $1")
            .bind(p)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(bound, None);
    assert_eq!(count(pool, "SELECT count(*) FROM tickets").await, 0);
    app.finish().await;
}

#[tokio::test]
async fn unknown_phone_is_explained_and_leaves_name_and_unit_for_staff() {
    // owner: [Register]
    // owner: (shares own contact +8613700000000, not in the records)
    // bot:   Received, thank you.
    // bot:   We could not find resident records for +8613700000000; … leave your name and unit? [Yes] [No]
    // owner: [Yes]
    // bot:   Please type your full name:
    // owner: Li Wei
    // bot:   Please type your unit as the office writes it, for example A栋1203 or 3-2-1101:
    // owner: 3栋2单元1101                      ← a variant of the office's 3-2-1101
    // bot:   How are you related to unit 3-2-1101? [Owner] [Tenant] [Family]
    // owner: [Tenant]
    // bot:   Submitted, reference N. Staff will let you know here once it is checked.
    let app = spawn().await;
    let pool = &app.db.pool;
    let unit_id = unit(pool, "3-2-1101", 100.0).await;
    for (user, lang) in [(2201, "en"), (2202, "zh")] {
        let mut chat = Chat::new(&app, user, lang);
        chat.open("住户登记", "Register").await;
        chat.expect(chat.t("分享我的手机号", "Share my phone number"))
            .await;
        app.api
            .share_contact(user, "+86 137 0000 0000", Some(user))
            .expect("share contact");
        chat.answer(
            chat.t("没有找到号码", "could not find resident records"),
            chat.t("是", "Yes"),
        )
        .await;
        chat.expect(chat.t("请输入您的姓名", "type your full name"))
            .await;
        chat.say("Li Wei");
        chat.expect(chat.t("请输入房号", "type your unit")).await;
        chat.say("3栋2单元1101");
        chat.answer(
            chat.t("您与房号 3-2-1101 的关系", "related to unit 3-2-1101"),
            chat.t("租户", "Tenant"),
        )
        .await;
        let filed = chat
            .expect(chat.t("已提交，编号", "Submitted, reference"))
            .await;
        let id = ticket_number(filed.body());
        let (kind, description, person_id, unit): (String, String, Option<i64>, Option<i64>) =
            sqlx::query_as(
                "SELECT kind, description, person_id, unit_id FROM tickets WHERE id = $1",
            )
            .bind(id)
            .fetch_one(pool)
            .await
            .expect("the registration ticket");
        assert_eq!(kind, "registration");
        assert!(description.contains("Li Wei"), "{description}");
        assert!(description.contains("3栋2单元1101"), "{description}");
        assert!(description.contains("tenant"), "{description}");
        assert_eq!(person_id, None);
        assert_eq!(unit, Some(unit_id), "the unit the applicant found");
    }
    assert_eq!(
        count(
            pool,
            "SELECT count(*) FROM people WHERE telegram_user_id IS NOT NULL"
        )
        .await,
        0
    );
    app.finish().await;
}

#[tokio::test]
async fn an_owner_with_two_units_picks_a_default() {
    // owner: [Register]
    // owner: (shares own contact)
    // bot:   Several units are registered to you: … Please choose a default unit …
    //        [3-2-1101 (owner)] [5-1-0302 (owner)]
    // owner: [5-1-0302 (owner)]
    // bot:   Done! Your default unit is 5-1-0302.
    let app = spawn().await;
    let pool = &app.db.pool;
    let a = unit(pool, "3-2-1101", 100.0).await;
    let b = unit(pool, "5-1-0302", 80.0).await;
    let p = person(pool, "Owner", "+8613812345678", None).await;
    member(pool, a, p, "owner", false).await;
    member(pool, b, p, "owner", false).await;
    let mut chat = Chat::new(&app, 2301, "en");
    chat.open("住户登记", "Register").await;
    chat.expect("Share my phone number").await;
    app.api
        .share_contact(2301, "13812345678", Some(2301))
        .expect("share contact");
    chat.answer("Several units are registered to you", "5-1-0302 (owner)")
        .await;
    chat.expect("Your default unit is 5-1-0302").await;
    chat.expect("remind you here each month").await;
    let defaults: Vec<(i64, bool)> = sqlx::query_as(
        "SELECT unit_id, is_default FROM unit_members WHERE person_id = $1 ORDER BY unit_id",
    )
    .bind(p)
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(defaults, vec![(a, false), (b, true)]);
    app.finish().await;
}

// ---------------------------------------------------------------- complaint

#[tokio::test]
async fn a_complaint_with_an_album_of_two_photos_files_one_ticket() {
    // owner: [Complaint]
    // bot:   What is the complaint about? [Noise] [Cleanliness] …
    // owner: [Noise]
    // bot:   Please describe what happened (when, what), 5–2000 characters:
    // owner: The flat upstairs drills after 22:00 every night.
    // bot:   Send photos if you have any (up to 5, an album is fine), or press Skip.
    // owner: (an album of 2 photos)
    // bot:   Received 2 photos (up to 5). Send more, or press Done.   ← one answer
    // owner: [Done]
    // bot:   Where is it? [My unit] [Common area]
    // owner: [My unit]
    // bot:   Please check your complaint: … Photos: 2 … Submit it? [Yes] [No]
    // owner: [Yes]
    // bot:   Your complaint has been filed, number N. We will keep you posted here.
    let app = spawn().await;
    let pool = &app.db.pool;
    let (p, u) = registered_owner(pool, 3001, "+8613812345678", "3-2-1101").await;
    let mut chat = Chat::new(&app, 3001, "en");
    chat.open("投诉", "Complaint").await;
    chat.answer("What is the complaint about?", "Noise").await;
    chat.expect("Please describe what happened").await;
    chat.say("The flat upstairs drills after 22:00 every night.");
    chat.expect("Send photos if you have any").await;
    app.api.send_album(3001, 2).expect("album");
    let answers = chat.new_messages().await;
    assert_eq!(
        answers.len(),
        1,
        "one answer for the album: {:?}",
        answers.iter().map(SentMessage::body).collect::<Vec<_>>()
    );
    assert!(
        answers[0].body().contains("Received 2 photo"),
        "{}",
        answers[0].body()
    );
    chat.press(&answers[0], "Done");
    chat.answer("Where is it?", "My unit").await;
    let confirm = chat.answer("Please check your complaint", "Yes").await;
    assert!(confirm.body().contains("Photos: 2"), "{}", confirm.body());
    assert!(confirm.body().contains("3-2-1101"), "{}", confirm.body());
    let done = chat.expect("Your complaint has been filed, number").await;
    let id = ticket_number(done.body());
    let (kind, category, unit_id, person_id, description): (
        String,
        Option<String>,
        Option<i64>,
        Option<i64>,
        String,
    ) = sqlx::query_as(
        "SELECT kind, category, unit_id, person_id, description FROM tickets WHERE id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .expect("the ticket named to the owner");
    assert_eq!(kind, "complaint");
    assert_eq!(category.as_deref(), Some("noise"));
    assert_eq!((unit_id, person_id), (Some(u), Some(p)));
    assert!(description.contains("drills"), "{description}");
    let photos: i64 = sqlx::query_scalar("SELECT count(*) FROM attachments WHERE ticket_id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(photos, 2);
    assert_eq!(count(pool, "SELECT count(*) FROM tickets").await, 1);
    assert_eq!(conversation_node(pool, 3001).await, None);
    app.finish().await;
}

// ------------------------------------------------------------------- repair

#[tokio::test]
async fn a_repair_emergency_is_urgent_and_shows_the_duty_phone_at_once() {
    // owner: [报修]
    // bot:   先确认一下：是否属于以下紧急情况？ [🚰 漏水 / 跑水] [⚡ 整户停电] [🛗 有人被困电梯] [都不是]
    // owner: [🚰 漏水 / 跑水]
    // bot:   ⚠️ 已标记为紧急报修。请立即拨打物业值班电话 0755-2660 1234 …   ← before anything else
    // bot:   请描述问题（位置、现象等），5–2000 字：
    // owner: 厨房天花板一直在滴水
    // bot:   请发送照片以便师傅准备（最多 5 张），没有请点“跳过”。
    // owner: [跳过]
    // bot:   在哪里维修？ [本户] [公共区域]
    // owner: [本户]
    // bot:   请确认紧急报修：… 确认提交吗？值班电话：0755-2660 1234 [是] [否]
    // owner: [是]
    // bot:   报修已受理，编号 N。…
    let app = spawn_with(|s| {
        s.processor.duty_phone = "0755-2660 1234".into();
    })
    .await;
    let pool = &app.db.pool;
    registered_owner(pool, 3101, "+8613812345678", "3-2-1101").await;
    let mut chat = Chat::new(&app, 3101, "zh");
    chat.open("报修", "Repair").await;
    chat.answer("是否属于以下紧急情况", "🚰 漏水 / 跑水").await;
    let after = chat.new_messages().await;
    let bodies: Vec<&str> = after.iter().map(SentMessage::body).collect();
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    assert!(
        bodies[0].contains("紧急") && bodies[0].contains("0755-2660 1234"),
        "the duty phone first: {bodies:?}"
    );
    assert!(bodies[1].contains("请描述问题"), "{bodies:?}");
    chat.say("厨房天花板一直在滴水");
    chat.answer("请发送照片", "跳过").await;
    chat.answer("在哪里维修", "本户").await;
    let confirm = chat.answer("请确认紧急报修", "是").await;
    assert!(
        confirm.body().contains("0755-2660 1234"),
        "{}",
        confirm.body()
    );
    let done = chat.expect("报修已受理，编号").await;
    let id = ticket_number(done.body());
    let (kind, priority, category, emergency): (String, String, Option<String>, Option<String>) =
        sqlx::query_as(
            "SELECT kind, priority, category, fields->>'emergency' FROM tickets WHERE id = $1",
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .expect("the repair ticket");
    assert_eq!(kind, "repair");
    assert_eq!(priority, "urgent");
    assert_eq!(category.as_deref(), Some("water"));
    assert_eq!(emergency.as_deref(), Some("leak"));
    app.finish().await;
}

// --------------------------------------------------------------------- fees

#[tokio::test]
async fn fees_for_an_owner_with_two_units_show_both_and_their_arrears() {
    // owner: [Fees]
    // bot:   Fees of which unit? (✅ marks your default unit)
    //        [✅ 3-2-1101 (owner)] [5-1-0302 (owner)] [All my units]
    // owner: [All my units]
    // bot:   Your fees as of …
    //        🏠 3-2-1101 · 100 m² · owner … Arrears (past due): ¥300.00
    //        🏠 5-1-0302 · 80 m² · owner … Arrears (past due): ¥150.50
    //        Total arrears, all units: ¥450.50
    //        The management fee is floor area × rate. … [menu]
    let app = spawn().await;
    let pool = &app.db.pool;
    let a = unit(pool, "3-2-1101", 100.0).await;
    let b = unit(pool, "5-1-0302", 80.0).await;
    let p = person(pool, "Owner", "+8613812345678", Some(4001)).await;
    member(pool, a, p, "owner", true).await;
    member(pool, b, p, "owner", false).await;
    fee(pool, a, "2020-01", "management", 30_000, 0, "2020-01-31").await;
    fee(
        pool,
        a,
        "2019-12",
        "management",
        30_000,
        30_000,
        "2019-12-31",
    )
    .await;
    fee(
        pool,
        b,
        "2020-01",
        "management",
        24_000,
        8_950,
        "2020-01-31",
    )
    .await;
    for (user, lang) in [(4001, "en"), (4002, "zh")] {
        if user == 4002 {
            // The same owner's spouse, registered on the same units.
            let q = person(pool, "Spouse", "+8613912345678", Some(4002)).await;
            member(pool, a, q, "family", true).await;
            member(pool, b, q, "family", false).await;
        }
        let mut chat = Chat::new(&app, user, lang);
        chat.open("物业费", "Fees").await;
        let pick = chat
            .answer(
                chat.t("查询哪个房号的费用", "Fees of which unit?"),
                chat.t("全部房号", "All my units"),
            )
            .await;
        let role = if user == 4002 {
            chat.t("家属", "family")
        } else {
            chat.t("业主", "owner")
        };
        // The default unit comes first, marked.
        let marked = format!("✅ 3-2-1101 ({role})");
        assert!(
            pick.callback_data(&marked).is_some(),
            "{marked} on {:?}",
            pick.buttons()
        );
        let reply = chat.expect(chat.t("费用查询", "Your fees as of")).await;
        let body = reply.body();
        for needle in ["3-2-1101", "5-1-0302", "¥300.00", "¥150.50", "¥450.50"] {
            assert!(body.contains(needle), "{needle} missing from {body}");
        }
        assert!(
            body.contains(chat.t("全部房屋欠费合计", "Total arrears, all units")),
            "{body}"
        );
        assert!(reply.callback_data(chat.t("投诉", "Complaint")).is_some());
    }
    app.finish().await;
}

// ------------------------------------------------------------------- survey

async fn answer_survey(chat: &mut Chat<'_>, score: &str, comment: Option<&str>) {
    chat.open("满意度调查", "Survey").await;
    for step in ["1/6", "2/6", "3/6", "4/6", "5/6", "6/6"] {
        chat.answer(step, score).await;
    }
    match comment {
        Some(text) => {
            chat.expect("Anything else to tell us?").await;
            chat.say(text);
        }
        None => {
            chat.answer("Anything else to tell us?", "Skip").await;
        }
    }
    chat.answer("Submit anonymously?", "No").await;
    chat.expect("Thank you for your feedback").await;
}

#[tokio::test]
async fn a_survey_answered_twice_keeps_one_response_with_the_second_answers() {
    // owner: [Survey]
    // bot:   Thank you for taking this quarter's satisfaction survey! …
    // bot:   1/6 Overall satisfaction: [1 ★] … [5 ★]
    // owner: [4 ★]   (and so on for 2/6 … 6/6)
    // bot:   Anything else to tell us? … [Skip]
    // owner: [Skip]
    // bot:   Submit anonymously? … [Yes] [No]
    // owner: [No]
    // bot:   Thank you for your feedback! It helps us improve.
    // owner: (the same again with 2 ★ everywhere and a comment)
    let app = spawn().await;
    let pool = &app.db.pool;
    let (p, u) = registered_owner(pool, 5001, "+8613812345678", "3-2-1101").await;
    let mut chat = Chat::new(&app, 5001, "en");
    answer_survey(&mut chat, "4 ★", None).await;
    answer_survey(&mut chat, "2 ★", Some("The lift is slow in the mornings.")).await;
    let rows: Vec<(i64, Option<i64>, serde_json::Value, Option<String>)> =
        sqlx::query_as("SELECT unit_id, person_id, answers, comment FROM survey_responses")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (unit_id, person_id, answers, comment) = &rows[0];
    assert_eq!((*unit_id, *person_id), (u, Some(p)));
    for q in [
        "overall",
        "cleanliness",
        "security",
        "repairs",
        "staff_attitude",
        "green_areas",
    ] {
        assert_eq!(answers[q], 2, "{q} in {answers}");
    }
    assert_eq!(
        comment.as_deref(),
        Some("The lift is slow in the mornings.")
    );
    app.finish().await;
}

// ------------------------------------------------------------------- drafts

#[tokio::test]
async fn a_draft_survives_a_restart_and_start_mid_dialogue_offers_to_continue() {
    // owner: [Complaint]
    // owner: [Cleanliness]
    // bot:   Please describe what happened …
    //        (the bot stops and starts again on the same database)
    // owner: Rubbish left in the stairwell for three days.
    // bot:   Send photos if you have any … [Skip]
    // owner: /start
    // bot:   You have an unfinished “Complaint”. Would you like to continue it? [Continue] [Discard it, main menu]
    // owner: [Continue]
    // bot:   Send photos if you have any … [Skip]   (the prompt again)
    // owner: [Skip] …
    let mut app = spawn().await;
    let pool = app.db.pool.clone();
    registered_owner(&pool, 6001, "+8613812345678", "3-2-1101").await;
    let last = {
        let mut chat = Chat::new(&app, 6001, "en");
        chat.open("投诉", "Complaint").await;
        chat.answer("What is the complaint about?", "Cleanliness")
            .await;
        chat.expect("Please describe what happened").await;
        chat.app.settle().await;
        chat.last
    };
    app.stop().await;
    app.start();
    app.ready().await;
    let mut chat = Chat {
        app: &app,
        id: 6001,
        last,
        lang: "en",
    };
    chat.say("Rubbish left in the stairwell for three days.");
    chat.expect("Send photos if you have any").await;
    chat.say("/start");
    let ask = chat.expect("You have an unfinished “Complaint”").await;
    assert!(ask.callback_data("Discard it, main menu").is_some());
    chat.press(&ask, "Continue");
    let again = chat.expect("Send photos if you have any").await;
    chat.press(&again, "Skip");
    chat.answer("Where is it?", "Common area").await;
    chat.expect("Please give the building and the place").await;
    chat.say("Building 3, entrance 2 stairwell");
    let confirm = chat.answer("Please check your complaint", "Yes").await;
    assert!(confirm.body().contains("Rubbish"), "{}", confirm.body());
    let done = chat.expect("Your complaint has been filed").await;
    let id = ticket_number(done.body());
    let (category, location): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT category, location FROM tickets WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(category.as_deref(), Some("cleaning"));
    assert!(
        location
            .as_deref()
            .unwrap_or_default()
            .contains("stairwell"),
        "{location:?}"
    );
    app.finish().await;
}

#[tokio::test]
async fn a_draft_left_alone_expires_with_a_notice_and_the_owner_starts_fresh() {
    // owner: [投诉]
    // owner: [噪音]
    // bot:   请描述具体情况 …
    //        (25 hours pass; the sweep runs)
    // bot:   您未完成的内容超过 24 小时未继续，已自动关闭。需要时请重新开始： [menu]
    // owner: [投诉]
    // bot:   请问您要投诉哪方面？   (no question about a draft)
    let app = spawn().await;
    let pool = &app.db.pool;
    registered_owner(pool, 7001, "+8613812345678", "3-2-1101").await;
    let mut chat = Chat::new(&app, 7001, "zh");
    chat.open("投诉", "Complaint").await;
    chat.answer("请问您要投诉哪方面", "噪音").await;
    chat.expect("请描述具体情况").await;
    app.settle().await;

    let now = app.clock.now();
    let mut conn = pool.acquire().await.expect("connection");
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
    assert_eq!(
        expire_drafts(&mut conn, now + Duration::hours(26), Duration::hours(24))
            .await
            .unwrap(),
        0,
        "told once"
    );
    drop(conn);
    app.clock.advance(Duration::hours(25));
    let notice = chat.expect("已自动关闭").await;
    assert_eq!(conversation_node(pool, 7001).await, None);
    chat.press(&notice, "投诉");
    let fresh = chat.new_messages().await;
    let bodies: Vec<&str> = fresh.iter().map(SentMessage::body).collect();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert!(bodies[0].contains("请问您要投诉哪方面"), "{bodies:?}");
    app.finish().await;
}

#[tokio::test]
async fn an_expired_draft_nobody_swept_is_closed_when_the_owner_comes_back() {
    // owner: [Complaint] [Noise]
    // bot:   Please describe what happened …
    //        (25 hours pass, no sweep)
    // owner: The dog barks all night.
    // bot:   Your unfinished form was closed after 24 hours without an answer. … [menu]
    //        (and nothing else: the text is not taken as an answer)
    let app = spawn().await;
    let pool = &app.db.pool;
    registered_owner(pool, 7101, "+8613812345678", "3-2-1101").await;
    let mut chat = Chat::new(&app, 7101, "en");
    chat.open("投诉", "Complaint").await;
    chat.answer("What is the complaint about?", "Noise").await;
    chat.expect("Please describe what happened").await;
    app.settle().await;
    app.clock.advance(Duration::hours(25));
    chat.say("The dog barks all night.");
    let after = chat.new_messages().await;
    let bodies: Vec<&str> = after.iter().map(SentMessage::body).collect();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert!(bodies[0].contains("closed after 24 hours"), "{bodies:?}");
    assert_eq!(conversation_node(pool, 7101).await, None);
    assert_eq!(count(pool, "SELECT count(*) FROM tickets").await, 0);
    app.finish().await;
}

// ---------------------------------------------------------------- bad input

#[tokio::test]
async fn bad_answers_get_specific_polite_replies_in_both_languages() {
    // owner: [Complaint] [Noise]
    // bot:   Please describe what happened …
    // owner: (5,000 characters)
    // bot:   That is too long: your message has 5000 characters and the limit is 2000. …
    // owner: 😡😡😡😡😡😡
    // bot:   Please describe it in words; we cannot work with emoji alone.
    // owner: Loud music from 1201 until 2 am.
    // bot:   Send photos if you have any … [Skip]
    // owner: here is the photo        (text where a photo is asked)
    // bot:   Please send a photo, or press Skip.
    // owner: (an album of 10 photos)
    // bot:   We can take at most 5 photos, so we kept the first 5.
    // bot:   Where is it? [My unit] [Common area]
    let app = spawn().await;
    let pool = &app.db.pool;
    for (user, lang, phone, code) in [
        (8001, "en", "+8613812345678", "3-2-1101"),
        (8002, "zh", "+8613912345678", "3-2-1102"),
    ] {
        registered_owner(pool, user, phone, code).await;
        let mut chat = Chat::new(&app, user, lang);
        chat.open("投诉", "Complaint").await;
        chat.answer(
            chat.t("请问您要投诉哪方面", "What is the complaint about?"),
            chat.t("噪音", "Noise"),
        )
        .await;
        chat.expect(chat.t("请描述具体情况", "Please describe what happened"))
            .await;
        chat.say(&"x".repeat(5000));
        let long = chat.expect(chat.t("内容太长了", "That is too long")).await;
        assert!(
            long.body().contains("5000") && long.body().contains("2000"),
            "{}",
            long.body()
        );
        chat.say("😡😡😡😡😡😡");
        chat.expect(chat.t("只有表情符号", "emoji alone")).await;
        chat.say("Loud music from 1201 until 2 am.");
        chat.expect(chat.t("如有照片请发送", "Send photos if you have any"))
            .await;
        chat.say("here is the photo");
        chat.expect(chat.t(
            "请发送照片，或点击“跳过”",
            "Please send a photo, or press Skip",
        ))
        .await;
        app.api.send_album(user, 10).expect("album");
        let after = chat.new_messages().await;
        let bodies: Vec<&str> = after.iter().map(SentMessage::body).collect();
        assert_eq!(bodies.len(), 2, "{bodies:?}");
        assert!(
            bodies[0].contains(chat.t("最多只能收 5 张照片", "at most 5 photos")),
            "{bodies:?}"
        );
        assert!(
            bodies[1].contains(chat.t("事情发生在哪里", "Where is it?")),
            "{bodies:?}"
        );
        chat.press(&after[1], chat.t("本户", "My unit"));
        let confirm = chat
            .answer(
                chat.t("请确认投诉内容", "Please check your complaint"),
                chat.t("是", "Yes"),
            )
            .await;
        assert!(confirm.body().contains('5'), "{}", confirm.body());
        let done = chat
            .expect(chat.t("投诉已受理", "Your complaint has been filed"))
            .await;
        let id = ticket_number(done.body());
        let photos: i64 =
            sqlx::query_scalar("SELECT count(*) FROM attachments WHERE ticket_id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
                .unwrap();
        assert_eq!(photos, 5);
    }
    assert_eq!(count(pool, "SELECT count(*) FROM tickets").await, 2);
    app.finish().await;
}

#[tokio::test]
async fn stale_and_forged_buttons_are_expired_and_change_nothing() {
    // owner: [Complaint]
    // bot:   What is the complaint about? [Noise] …          ← (A)
    // owner: [Noise]
    // bot:   Please describe what happened …
    // owner: [Parking] on (A)                                 (stale)
    // bot:   This button has expired. Please use the buttons in the latest message.
    // owner: (a forged callback "d:999:c.parking")
    // bot:   This button has expired. …
    // owner: (a forged callback "d:nonsense")
    // bot:   This button has expired. …
    //        (still at the description, category still noise)
    let app = spawn().await;
    let pool = &app.db.pool;
    for (user, lang, phone, code) in [
        (8101, "en", "+8613812345678", "3-2-1101"),
        (8102, "zh", "+8613912345678", "3-2-1102"),
    ] {
        registered_owner(pool, user, phone, code).await;
        let mut chat = Chat::new(&app, user, lang);
        chat.open("投诉", "Complaint").await;
        let categories = chat
            .answer(
                chat.t("请问您要投诉哪方面", "What is the complaint about?"),
                chat.t("噪音", "Noise"),
            )
            .await;
        chat.expect(chat.t("请描述具体情况", "Please describe what happened"))
            .await;
        app.settle().await;
        let before: serde_json::Value =
            sqlx::query_scalar("SELECT waiting->'state' FROM conversations WHERE chat_id = $1")
                .bind(user)
                .fetch_one(pool)
                .await
                .unwrap();
        chat.press(&categories, chat.t("停车", "Parking"));
        chat.expect(chat.t("这个按钮已过期", "This button has expired"))
            .await;
        for data in ["d:999:c.parking", "d:nonsense", "d:1:u7"] {
            let data = Callback::Dialogue(data.into()).encode();
            app.api
                .press_forged_button(user, user, categories.message_id, &data)
                .expect("forged press");
            chat.expect(chat.t("这个按钮已过期", "This button has expired"))
                .await;
        }
        app.settle().await;
        let after: serde_json::Value =
            sqlx::query_scalar("SELECT waiting->'state' FROM conversations WHERE chat_id = $1")
                .bind(user)
                .fetch_one(pool)
                .await
                .unwrap();
        assert_eq!(after, before, "nothing changed");
        assert_eq!(after["vars"]["category"], "noise");
    }
    app.finish().await;
}

#[tokio::test]
async fn the_confirm_button_pressed_twice_quickly_files_one_ticket() {
    // owner: … [Yes] [Yes]   (two presses of the same confirm button before any answer)
    // bot:   Your complaint has been filed, number N. …
    // bot:   This button has expired.
    let app = spawn().await;
    let pool = &app.db.pool;
    registered_owner(pool, 8201, "+8613812345678", "3-2-1101").await;
    let mut chat = Chat::new(&app, 8201, "en");
    chat.open("投诉", "Complaint").await;
    chat.answer("What is the complaint about?", "Security")
        .await;
    chat.expect("Please describe what happened").await;
    chat.say("The gate to the garage has been open all week.");
    chat.answer("Send photos if you have any", "Skip").await;
    chat.answer("Where is it?", "My unit").await;
    let confirm = chat.expect("Please check your complaint").await;
    chat.press(&confirm, "Yes");
    chat.press(&confirm, "Yes");
    let after = chat.new_messages().await;
    let bodies: Vec<&str> = after.iter().map(SentMessage::body).collect();
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    assert!(
        bodies[0].contains("Your complaint has been filed"),
        "{bodies:?}"
    );
    assert!(bodies[1].contains("This button has expired"), "{bodies:?}");
    assert_eq!(count(pool, "SELECT count(*) FROM tickets").await, 1);
    app.finish().await;
}

#[tokio::test]
async fn cancel_mid_dialogue_stops_it_and_files_nothing() {
    // owner: [投诉] [卫生]
    // bot:   请描述具体情况 …
    // owner: /cancel
    // bot:   已取消。需要时可随时从菜单重新开始。 [menu]
    // owner: /cancel
    // bot:   当前没有进行中的操作。
    let app = spawn().await;
    let pool = &app.db.pool;
    registered_owner(pool, 8301, "+8613812345678", "3-2-1101").await;
    let mut chat = Chat::new(&app, 8301, "zh");
    chat.open("投诉", "Complaint").await;
    chat.answer("请问您要投诉哪方面", "卫生").await;
    chat.expect("请描述具体情况").await;
    chat.say("/cancel");
    let cancelled = chat.expect("已取消").await;
    assert!(
        cancelled.callback_data("报修").is_some(),
        "the menu comes back"
    );
    assert_eq!(conversation_node(pool, 8301).await, None);
    chat.say("/cancel");
    chat.expect("当前没有进行中的操作").await;
    assert_eq!(count(pool, "SELECT count(*) FROM tickets").await, 0);
    app.finish().await;
}

#[tokio::test]
async fn an_unregistered_person_opening_fees_is_offered_registration() {
    // owner: [Fees]
    // bot:   Fee queries need a registered account first … Register now? [Register now] [Not now]
    // owner: [Register now]
    // bot:   Please press “Share my phone number” below …
    let app = spawn().await;
    for (user, lang) in [(8401, "en"), (8402, "zh")] {
        let mut chat = Chat::new(&app, user, lang);
        chat.open("物业费", "Fees").await;
        chat.answer(
            chat.t(
                "查询费用需要先完成住户登记",
                "Fee queries need a registered account first",
            ),
            chat.t("现在登记", "Register now"),
        )
        .await;
        chat.expect(chat.t("分享我的手机号", "Share my phone number"))
            .await;
        assert_eq!(
            conversation_node(&app.db.pool, user).await.as_deref(),
            Some("phone")
        );
    }
    app.finish().await;
}

// -------------------------------------------------------- more of the paths

#[tokio::test]
async fn a_normal_repair_asks_permission_and_a_time_window() {
    // owner: [Repair]
    // bot:   First: is this one of these emergencies? …
    // owner: [None of these]
    // bot:   What needs repairing? [Water / plumbing] … [Door / lock] …
    // owner: [Door / lock]
    // bot:   Please describe the problem …
    // owner: The front door lock sticks.
    // bot:   Send photos so the technician can prepare (up to 5), or press Skip.
    // owner: (one photo)
    // bot:   Received 1 photo (up to 5). Send more, or press Done.
    // owner: [Done]
    // bot:   Where is the repair? [My unit] [Common area]
    // owner: [My unit]
    // bot:   If nobody is home, may the technician enter …? [Yes] [No]
    // owner: [Yes]
    // bot:   When would suit you? … [Tomorrow … morning] …
    // owner: (the first time window)
    // bot:   Please check your repair request: … Submit it? [Yes] [No]
    // owner: [Yes]
    // bot:   Your repair request is filed, number N. …
    let app = spawn().await;
    let pool = &app.db.pool;
    registered_owner(pool, 9001, "+8613812345678", "3-2-1101").await;
    let mut chat = Chat::new(&app, 9001, "en");
    chat.open("报修", "Repair").await;
    let emergency = chat
        .answer("is this one of these emergencies", "None of these")
        .await;
    assert!(
        emergency
            .callback_data("🛗 Someone trapped in a lift")
            .is_some(),
        "{:?}",
        emergency.buttons()
    );
    chat.answer("What needs repairing?", "Door / lock").await;
    chat.expect("Please describe the problem").await;
    chat.say("The front door lock sticks.");
    chat.expect("Send photos so the technician can prepare")
        .await;
    app.api.send_photo(9001, None).expect("photo");
    chat.answer("Received 1 photo", "Done").await;
    chat.answer("Where is the repair?", "My unit").await;
    chat.answer("may the technician enter", "Yes").await;
    let slots = chat.expect("When would suit you?").await;
    let first = slots
        .buttons()
        .into_iter()
        .find(|b| b.callback_data.as_deref().is_some_and(|d| d.contains(":t")))
        .expect("a time window button");
    chat.press(&slots, &first.text);
    let confirm = chat.answer("Please check your repair request", "Yes").await;
    assert!(confirm.body().contains("Photos: 1"), "{}", confirm.body());
    let done = chat.expect("Your repair request is filed").await;
    let id = ticket_number(done.body());
    let (priority, category, pref, permission): (
        String,
        Option<String>,
        Option<String>,
        Option<bool>,
    ) = sqlx::query_as(
        "SELECT priority, category, fields->>'appointment_pref', (fields->>'permission_to_enter')::boolean
           FROM tickets WHERE id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .expect("the repair ticket");
    assert_eq!(priority, "normal");
    assert_eq!(category.as_deref(), Some("door_lock"));
    let pref = pref.expect("an appointment preference");
    assert!(pref.contains("09:00") || pref.contains("14:00"), "{pref}");
    assert_eq!(permission, Some(true));
    let photos: i64 = sqlx::query_scalar("SELECT count(*) FROM attachments WHERE ticket_id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(photos, 1);
    app.finish().await;
}

#[tokio::test]
async fn three_failed_answers_offer_a_human_who_gets_the_transcript() {
    // owner: [Complaint]
    // bot:   What is the complaint about? [Noise] …
    // owner: the lift     (×3)
    // bot:   Please press one of the buttons. … (×2)
    // bot:   Please press one of the buttons. This does not seem to be working. Would you like a member of staff to help? [Talk to staff] [Keep trying]
    // owner: [Talk to staff]
    // bot:   A member of staff will contact you soon. Reference: #N
    let app = spawn().await;
    let pool = &app.db.pool;
    registered_owner(pool, 9101, "+8613812345678", "3-2-1101").await;
    let mut chat = Chat::new(&app, 9101, "en");
    chat.open("投诉", "Complaint").await;
    chat.expect("What is the complaint about?").await;
    for _ in 0..2 {
        chat.say("the lift");
        chat.expect("Please press one of the buttons").await;
    }
    chat.say("the lift");
    chat.answer("Would you like a member of staff to help?", "Talk to staff")
        .await;
    let handed = chat.expect("A member of staff will contact you soon").await;
    let id = ticket_number(handed.body());
    let (kind, description): (String, String) =
        sqlx::query_as("SELECT kind, description FROM tickets WHERE id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .expect("the consultation ticket");
    assert_eq!(kind, "consultation");
    assert!(description.contains("owner: the lift"), "{description}");
    assert_eq!(conversation_node(pool, 9101).await, None);
    app.finish().await;
}

#[tokio::test]
async fn back_returns_to_the_previous_question_and_help_keeps_the_draft() {
    // owner: [投诉] [噪音]
    // bot:   请描述具体情况 … [« 返回] [✖ 取消]
    // owner: [« 返回]
    // bot:   请问您要投诉哪方面？ …
    // owner: /help
    // bot:   我可以帮您：… 您正在填写「投诉」…
    // owner: [停车]
    // bot:   请描述具体情况 …
    let app = spawn().await;
    let pool = &app.db.pool;
    registered_owner(pool, 9201, "+8613812345678", "3-2-1101").await;
    let mut chat = Chat::new(&app, 9201, "zh");
    chat.open("投诉", "Complaint").await;
    chat.answer("请问您要投诉哪方面", "噪音").await;
    chat.answer("请描述具体情况", "« 返回").await;
    let categories = chat.expect("请问您要投诉哪方面").await;
    chat.say("/help");
    chat.expect("您正在填写「投诉」").await;
    chat.press(&categories, "停车");
    chat.expect("请描述具体情况").await;
    app.settle().await;
    let category: Option<String> = sqlx::query_scalar(
        "SELECT waiting->'state'->'vars'->>'category' FROM conversations WHERE chat_id = $1",
    )
    .bind(9201_i64)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(category.as_deref(), Some("parking"));
    app.finish().await;
}
