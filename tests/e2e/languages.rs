//! A third language, Traditional Chinese (`zh-Hant`): chosen from
//! Telegram's language code or with /lang, in every text, and switched in
//! the middle of a dialogue at the next message.
//!
//! ```text
//! owner (zh-TW)  /start
//! bot            您好！這裡是物業客服中心。…   [投訴] [報修] … [我的工單]
//! owner (zh)     [咨询]
//! bot            请问您想了解什么？   [办公时间] …
//! owner          /lang
//! bot            请选择语言：   [简体中文] [English] [繁體中文]
//! owner          [繁體中文]
//! bot            已切換為繁體中文。
//! owner          [办公时间]          (the button of the earlier question)
//! bot            🕘 物業服務中心辦公時間：…
//! ```

use crate::support::spawn_app;

#[tokio::test]
async fn traditional_chinese_is_chosen_from_the_telegram_language_code() {
    let app = spawn_app().await;
    let taiwan = app.person(1201, "zh-TW");
    let hant = app.person(1202, "zh-hant");
    let simplified = app.person(1203, "zh-hans");
    app.say(taiwan, "/start");
    app.say(hant, "/help");
    app.say(simplified, "/start");

    let welcome = app.nth_message(taiwan, 1).await;
    assert!(welcome.body().contains("物業客服"), "{}", welcome.body());
    for label in ["投訴", "報修", "物業費", "我的工單"] {
        assert!(welcome.callback_data(label).is_some(), "menu lacks {label}");
    }
    let help = app.nth_message(hant, 1).await;
    assert!(help.body().contains("我的工單"), "{}", help.body());
    let welcome = app.nth_message(simplified, 1).await;
    assert!(welcome.body().contains("物业客服"), "{}", welcome.body());
    assert!(welcome.callback_data("我的工单").is_some());
    app.finish().await;
}

#[tokio::test]
async fn lang_offers_three_languages_and_a_dialogue_goes_on_in_the_new_one() {
    let app = spawn_app().await;
    let owner = app.person(1210, "zh-hans");
    app.say(owner, "/start");
    let menu = app.nth_message(owner, 1).await;
    app.press(owner, &menu, "咨询");
    let question = app.expect_message(owner, "请问您想了解什么").await;

    app.say(owner, "/lang");
    let choose = app.expect_message(owner, "请选择语言").await;
    for label in ["简体中文", "English", "繁體中文"] {
        assert!(choose.callback_data(label).is_some(), "no {label} button");
    }
    app.press(owner, &choose, "繁體中文");
    app.expect_message(owner, "已切換為繁體中文").await;

    // The dialogue's earlier question is answered after the switch: the
    // answer comes in Traditional Chinese.
    app.press(owner, &question, "办公时间");
    let answer = app.expect_message(owner, "辦公時間").await;
    assert!(answer.body().contains("物業服務中心"), "{}", answer.body());

    let stored: Option<String> =
        sqlx::query_scalar("SELECT language FROM chats WHERE chat_id = $1")
            .bind(owner)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(stored.as_deref(), Some("zh-Hant"));
    app.finish().await;
}
