//! Free text end to end: an owner writes in their own words, outside any
//! question, and the intents the dialogue files declare start the right
//! dialogue with what the message says filled in; words that fit two
//! intents, or a message about two problems, get a question with buttons;
//! a question the FAQ answers gets the answer first; and a message that
//! answers the question the bot is waiting for is never taken by intent
//! routing. Each test opens with the transcript it checks.

use propdesk::standin::SentMessage;

use crate::dialogues::{
    conversation_node, count, member, registered_owner, spawn, spawn_with, ticket_number, unit,
    Chat,
};
use crate::support::TestApp;

/// The ticket `id`'s kind, priority, category and description.
async fn ticket(pool: &sqlx::PgPool, id: i64) -> (String, String, Option<String>, String) {
    sqlx::query_as("SELECT kind, priority, category, description FROM tickets WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .expect("the ticket")
}

/// A registered owner of their own unit (phone and unit code from `user`),
/// in a private chat speaking `lang`.
async fn owner<'a>(app: &'a TestApp, user: i64, lang: &'static str) -> Chat<'a> {
    let phone = format!("+86138{user:08}");
    let code = format!("3-2-{user}");
    registered_owner(&app.db.pool, user, &phone, &code).await;
    Chat::new(app, user, lang)
}

fn bodies(messages: &[SentMessage]) -> Vec<&str> {
    messages.iter().map(SentMessage::body).collect()
}

#[tokio::test]
async fn a_leaking_tap_in_own_words_is_a_repair_filed_in_three_taps_in_both_languages() {
    // owner: my kitchen tap is leaking
    // bot:   Send photos so the technician can prepare (up to 5), or press Skip.
    //        (no emergency question, no "what needs repairing", no description asked)
    // owner: [Skip]
    // bot:   Where is the repair? [My unit] [Common area]
    // owner: [My unit]
    // bot:   Please check your repair request: What: Water / plumbing …
    //        Description: my kitchen tap is leaking … Submit it? [Yes] [No]
    // owner: [Yes]
    // bot:   Your repair request is filed, number N. …
    let app = spawn().await;
    let pool = &app.db.pool;
    for (user, lang, said) in [
        (6001, "en", "my kitchen tap is leaking"),
        (6002, "zh", "卫生间水龙头漏水，一直关不紧"),
    ] {
        let mut chat = owner(&app, user, lang).await;
        chat.say(said);
        let first = chat.new_messages().await;
        assert_eq!(bodies(&first).len(), 1, "{:?}", bodies(&first));
        assert!(
            first[0]
                .body()
                .contains(chat.t("请发送照片", "Send photos")),
            "only what is missing is asked: {:?}",
            bodies(&first)
        );
        chat.press(&first[0], chat.t("跳过", "Skip"));
        chat.answer(
            chat.t("在哪里维修", "Where is the repair?"),
            chat.t("本户", "My unit"),
        )
        .await;
        let confirm = chat
            .answer(
                chat.t("请确认报修内容", "Please check your repair request"),
                chat.t("是", "Yes"),
            )
            .await;
        assert!(confirm.body().contains(said), "{}", confirm.body());
        let done = chat
            .expect(chat.t("报修已受理，编号", "Your repair request is filed"))
            .await;
        let (kind, priority, category, description) =
            ticket(pool, ticket_number(done.body())).await;
        assert_eq!(
            (kind.as_str(), priority.as_str(), category.as_deref()),
            ("repair", "normal", Some("water"))
        );
        assert_eq!(description, said);
        assert_eq!(conversation_node(pool, user).await, None);
    }
    app.finish().await;
}

#[tokio::test]
async fn an_emergency_in_own_words_gives_the_duty_phone_before_anything_else() {
    // owner: 楼上漏水了，天花板一直在滴
    // bot:   ⚠️ 已标记为紧急报修。请立即拨打物业值班电话 0755-2660 1234 …   ← first
    // bot:   请发送照片以便师傅准备（最多 5 张），没有请点“跳过”。
    // owner: [跳过]   [本户]   [是]
    // bot:   报修已受理，编号 N。   (urgent, water)
    // (the same in English: "burst pipe in the kitchen, the flat is flooding")
    let app = spawn_with(|s| {
        s.processor.duty_phone = "0755-2660 1234".into();
    })
    .await;
    let pool = &app.db.pool;
    for (user, lang, said) in [
        (6101, "zh", "楼上漏水了，天花板一直在滴"),
        (
            6102,
            "en",
            "burst pipe in the kitchen, the flat is flooding",
        ),
    ] {
        let mut chat = owner(&app, user, lang).await;
        chat.say(said);
        let first = chat.new_messages().await;
        let texts = bodies(&first);
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(
            texts[0].contains("0755-2660 1234"),
            "the duty phone first: {texts:?}"
        );
        assert!(
            texts[1].contains(chat.t("请发送照片", "Send photos")),
            "{texts:?}"
        );
        chat.press(&first[1], chat.t("跳过", "Skip"));
        chat.answer(
            chat.t("在哪里维修", "Where is the repair?"),
            chat.t("本户", "My unit"),
        )
        .await;
        chat.answer(
            chat.t("请确认紧急报修", "Please check your urgent repair"),
            chat.t("是", "Yes"),
        )
        .await;
        let done = chat
            .expect(chat.t("报修已受理，编号", "Your repair request is filed"))
            .await;
        let (kind, priority, category, _) = ticket(pool, ticket_number(done.body())).await;
        assert_eq!(
            (kind.as_str(), priority.as_str(), category.as_deref()),
            ("repair", "urgent", Some("water"))
        );
    }
    app.finish().await;
}

#[tokio::test]
async fn words_that_fit_two_intents_get_a_question_with_buttons() {
    // owner: parking
    // bot:   Which of these do you mean?
    //        [Complaint · Parking] [Consultation · Parking] [None of these: the menu]
    // owner: [Consultation · Parking]
    // bot:   🚗 Parking: · Monthly spaces: …
    // bot:   Did this answer your question? …
    // (in Chinese: 车位 → 您是指哪一项？ …; "None of these" → the menu)
    let app = spawn().await;
    let pool = &app.db.pool;
    let mut chat = owner(&app, 6201, "en").await;
    chat.say("parking");
    let which = chat.expect("Which of these do you mean?").await;
    let labels: Vec<String> = which.buttons().into_iter().map(|b| b.text).collect();
    assert!(labels.len() >= 3, "{labels:?}");
    assert!(
        labels.iter().any(|l| l == "None of these: the menu"),
        "{labels:?}"
    );
    let faq = labels
        .iter()
        .find(|l| l.starts_with("Consultation"))
        .unwrap_or_else(|| panic!("{labels:?}"))
        .clone();
    assert_eq!(count(pool, "SELECT count(*) FROM conversations").await, 0);
    chat.press(&which, &faq);
    chat.expect("🚗 Parking").await;
    chat.expect("Did this answer your question?").await;

    let mut zh = owner(&app, 6202, "zh").await;
    zh.say("车位");
    let which = zh.expect("您是指哪一项？").await;
    zh.press(&which, "都不是，看菜单");
    let menu = zh.expect("主菜单").await;
    assert!(menu.callback_data("报修").is_some(), "the menu");
    assert_eq!(conversation_node(pool, 6202).await, None);
    assert_eq!(count(pool, "SELECT count(*) FROM tickets").await, 0);
    app.finish().await;
}

#[tokio::test]
async fn a_message_about_two_problems_asks_which_first() {
    // owner: 厨房水龙头漏水，另外楼上太吵了
    // bot:   您提到了不止一件事，先办哪一件？… [报修 · 水 / 管道] [投诉 · 噪音] [都不是，看菜单]
    // owner: [报修 · 水 / 管道]
    // bot:   请发送照片以便师傅准备 …   (the repair, description = the message)
    // (in English: "my tap is dripping. Also, someone parked in my space again")
    let app = spawn().await;
    let pool = &app.db.pool;
    for (user, lang, said) in [
        (6301, "zh", "厨房水龙头漏水，另外楼上太吵了"),
        (
            6302,
            "en",
            "my tap is dripping. Also, someone parked in my space again",
        ),
    ] {
        let mut chat = owner(&app, user, lang).await;
        chat.say(said);
        let which = chat
            .expect(chat.t("先办哪一件", "Which shall we take first?"))
            .await;
        let repair = which
            .buttons()
            .into_iter()
            .map(|b| b.text)
            .find(|l| l.starts_with(chat.t("报修", "Repair")))
            .unwrap_or_else(|| panic!("{:?}", which.buttons()));
        assert!(
            which
                .buttons()
                .iter()
                .any(|b| b.text.starts_with(chat.t("投诉", "Complaint"))),
            "{:?}",
            which.buttons()
        );
        chat.press(&which, &repair);
        chat.expect(chat.t("请发送照片", "Send photos")).await;
        assert_eq!(
            conversation_node(pool, user).await.as_deref(),
            Some("photos")
        );
    }
    app.finish().await;
}

#[tokio::test]
async fn a_message_that_answers_the_pending_question_is_never_taken_by_intent_routing() {
    // owner: [Repair]   [None of these]   [Door / lock]
    // bot:   Please describe the problem (where, what you see), 5–2000 characters:
    // owner: The lock sticks; also the tap is leaking and there is a smell of gas near it
    //        (words of three other intents, an emergency among them)
    // bot:   Send photos so the technician can prepare …   ← the description was taken:
    //        no duty phone, no "which first", category still door_lock
    // (in Chinese at the description: 门锁坏了，另外厨房漏水，好像还有燃气味)
    let app = spawn().await;
    let pool = &app.db.pool;
    for (user, lang, said) in [
        (
            6401,
            "en",
            "The lock sticks; also the tap is leaking and there is a smell of gas near it",
        ),
        (6402, "zh", "门锁坏了，另外厨房漏水，好像还有燃气味"),
    ] {
        let mut chat = owner(&app, user, lang).await;
        chat.open("报修", "Repair").await;
        chat.answer(
            chat.t("是否属于以下紧急情况", "is this one of these emergencies"),
            chat.t("都不是", "None of these"),
        )
        .await;
        chat.answer(
            chat.t("需要维修什么", "What needs repairing?"),
            chat.t("门 / 锁", "Door / lock"),
        )
        .await;
        chat.expect(chat.t("请描述问题", "Please describe the problem"))
            .await;
        chat.say(said);
        let after = chat.new_messages().await;
        let texts = bodies(&after);
        assert_eq!(texts.len(), 1, "{texts:?}");
        assert!(
            texts[0].contains(chat.t("请发送照片", "Send photos")),
            "{texts:?}"
        );
        let (node, category, description): (Option<String>, Option<String>, Option<String>) =
            sqlx::query_as(
                "SELECT waiting->'state'->>'node', waiting->'state'->'vars'->>'category',
                        waiting->'state'->'vars'->>'description'
                   FROM conversations WHERE chat_id = $1",
            )
            .bind(user)
            .fetch_one(pool)
            .await
            .expect("the draft");
        assert_eq!(node.as_deref(), Some("photos"));
        assert_eq!(category.as_deref(), Some("door_lock"));
        assert_eq!(description.as_deref(), Some(said));
    }
    assert_eq!(count(pool, "SELECT count(*) FROM tickets").await, 0);
    app.finish().await;
}

#[tokio::test]
async fn a_question_the_faq_answers_gets_the_answer_first_then_did_not_help_files_it() {
    // owner: is the office open on Saturday
    // bot:   🕘 The service centre is open every day 8:30–17:30, holidays included. …
    // bot:   Did this answer your question? [👍 Yes, thanks] [✍️ This did not help: ask the office]
    // owner: [✍️ This did not help: ask the office]
    // bot:   We have your question, number N. …   (the owner's own words are the question)
    // (in Chinese: 服务中心过年上班吗 → 🕘 物业服务中心办公时间 … [👍 解决了，谢谢])
    let app = spawn().await;
    let pool = &app.db.pool;
    let mut chat = owner(&app, 6501, "en").await;
    chat.say("is the office open on Saturday");
    chat.expect("The service centre is open every day").await;
    chat.answer(
        "Did this answer your question?",
        "✍️ This did not help: ask the office",
    )
    .await;
    let done = chat.expect("We have your question, number").await;
    let (kind, _, category, _) = ticket(pool, ticket_number(done.body())).await;
    assert_eq!(
        (kind.as_str(), category.as_deref()),
        ("consultation", Some("hours"))
    );
    let question: Option<String> =
        sqlx::query_scalar("SELECT fields->>'question' FROM tickets WHERE kind = 'consultation'")
            .fetch_one(pool)
            .await
            .expect("the question");
    assert_eq!(question.as_deref(), Some("is the office open on Saturday"));

    let mut zh = owner(&app, 6502, "zh").await;
    zh.say("服务中心过年上班吗");
    zh.expect("物业服务中心办公时间").await;
    zh.answer("这解答了您的问题吗", "👍 解决了，谢谢").await;
    zh.expect("很高兴能帮到您").await;
    assert_eq!(count(pool, "SELECT count(*) FROM tickets").await, 1);
    app.finish().await;
}

#[tokio::test]
async fn words_nobody_declared_and_bad_input_get_the_menu_and_change_nothing() {
    // owner: 今天天气不错                  bot: 抱歉，我没有理解。请从下面的菜单选择 … [menu]
    // owner: 👍👍🙂                       bot: 我只能看懂文字。… [menu]
    // owner: (5,000 characters)           bot: 您的消息有 5000 个字，我一次最多读 2000 个字。… [menu]
    // owner: (a sticker)                  bot: 收到您的贴纸 🙂 不过我看不懂贴纸。… [menu]
    // (the same in English)
    let app = spawn().await;
    let pool = &app.db.pool;
    for (user, lang, chatter) in [
        (6601, "zh", "今天天气不错"),
        (6602, "en", "lovely weather today"),
    ] {
        let mut chat = owner(&app, user, lang).await;
        chat.say(chatter);
        let m = chat
            .expect(chat.t("抱歉，我没有理解", "Sorry, I did not understand"))
            .await;
        assert!(m.callback_data(chat.t("报修", "Repair")).is_some());
        chat.say("👍👍🙂");
        let m = chat
            .expect(chat.t("我只能看懂文字", "I can only read words"))
            .await;
        assert!(m.callback_data(chat.t("报修", "Repair")).is_some());
        chat.say(&"漏水".repeat(2500));
        chat.expect(chat.t(
            "您的消息有 5000 个字，我一次最多读 2000 个字",
            "Your message has 5000 characters; I read at most 2000",
        ))
        .await;
        app.api.send_sticker(user).expect("sticker");
        chat.expect(chat.t("看不懂贴纸", "I cannot read stickers"))
            .await;
        assert_eq!(conversation_node(pool, user).await, None);
    }
    assert_eq!(count(pool, "SELECT count(*) FROM tickets").await, 0);
    assert_eq!(count(pool, "SELECT count(*) FROM conversations").await, 0);
    app.finish().await;
}

#[tokio::test]
async fn an_owner_of_two_units_hears_the_duty_phone_before_being_asked_which_unit() {
    // owner (units 3-2-6121 and 3-2-6122): 楼上漏水了，天花板一直在滴
    // bot:   ⚠️ … 请立即拨打物业值班电话 0755-2660 1234 …   ← first
    // bot:   这次是为哪个房号？（✅ 为默认房号）
    let app = spawn_with(|s| {
        s.processor.duty_phone = "0755-2660 1234".into();
    })
    .await;
    let pool = &app.db.pool;
    let (person, _) = registered_owner(pool, 6121, "+8613800006121", "3-2-6121").await;
    let second = unit(pool, "3-2-6122", 88.0).await;
    member(pool, second, person, "owner", false).await;
    let mut chat = Chat::new(&app, 6121, "zh");
    chat.say("楼上漏水了，天花板一直在滴");
    let first = chat.new_messages().await;
    let texts = bodies(&first);
    assert!(
        texts[0].contains("0755-2660 1234"),
        "the duty phone before the unit question: {texts:?}"
    );
    assert!(
        texts[1..].iter().any(|t| t.contains("这次是为哪个房号")),
        "then the unit question: {texts:?}"
    );
}
