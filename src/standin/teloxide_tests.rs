//! Drives the stand-in with a real `teloxide::Bot`: every answer it produces
//! must parse into teloxide's types, and every request teloxide makes for
//! these methods must pass the specification check.

use std::time::Duration;

use serde_json::{json, Value};
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::{
    BotCommand as TgCommand, FileId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile,
    InputMedia, InputMediaPhoto, KeyboardButton, KeyboardMarkup, MessageId, Update, UpdateKind,
};
use teloxide::{ApiError, RequestError};

use super::{Limits, StandIn, StandInConfig, TestUser};

const ANN: i64 = 7;

/// The header of a 16×16 baseline JPEG: all the stand-in reads of an
/// uploaded photo (as Telegram refuses what is no image).
pub(super) const SMALL_JPEG: [u8; 23] = [
    0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x10, 0x03, 0x01, 0x22, 0x00, 0x02,
    0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xD9,
];

async fn start(limits: Limits) -> (StandIn, Bot) {
    let standin = StandIn::start(StandInConfig {
        limits,
        ..StandInConfig::default()
    })
    .await
    .unwrap();
    standin.add_user(TestUser::new(ANN, "Ann").username("ann").language("en"));
    let bot = Bot::new(standin.token()).set_api_url(standin.api_url());
    (standin, bot)
}

/// Fetches and confirms everything pending, failing on any update teloxide
/// could not parse.
pub(super) async fn updates(bot: &Bot, offset: &mut i32) -> Vec<Update> {
    let got = bot.get_updates().offset(*offset).timeout(0).await.unwrap();
    for u in &got {
        assert!(
            !matches!(u.kind, UpdateKind::Error(_)),
            "teloxide could not parse {:?}",
            u.kind
        );
        *offset = u.id.0 as i32 + 1;
    }
    got
}

pub(super) fn message(update: &Update) -> &Message {
    match &update.kind {
        UpdateKind::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

#[tokio::test]
async fn teloxide_parses_every_answer_of_a_conversation() {
    let (standin, bot) = start(Limits::unlimited()).await;
    let mut offset = 0;

    let me = bot.get_me().await.unwrap();
    assert_eq!(me.username(), "propdesk_bot");

    standin.send_text(ANN, "/start").unwrap();
    let got = updates(&bot, &mut offset).await;
    let start = message(&got[0]);
    assert_eq!(start.text(), Some("/start"));
    assert_eq!(
        start.from.as_ref().unwrap().language_code.as_deref(),
        Some("en")
    );

    let keyboard =
        InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("Noise", "c:noise")]]);
    let menu = bot
        .send_message(ChatId(ANN), "What is it about?")
        .reply_markup(keyboard)
        .await
        .unwrap();
    assert!(menu.reply_markup().is_some());

    let pressed = standin
        .press_button(ANN, ANN, menu.id.0.into(), "c:noise")
        .unwrap();
    assert!(standin
        .press_button(ANN, ANN, menu.id.0.into(), "c:other")
        .is_err());
    let got = updates(&bot, &mut offset).await;
    let UpdateKind::CallbackQuery(q) = &got[0].kind else {
        panic!("expected a callback query: {got:?}")
    };
    assert_eq!(q.data.as_deref(), Some("c:noise"));
    assert_eq!(q.id.0, pressed.callback_query_id);
    bot.answer_callback_query(q.id.clone())
        .text("Noted")
        .await
        .unwrap();
    let again = bot.answer_callback_query(q.id.clone()).await.unwrap_err();
    assert!(
        matches!(again, RequestError::Api(ApiError::InvalidQueryId)),
        "{again:?}"
    );

    let edited = bot
        .edit_message_text(ChatId(ANN), menu.id, "Noise it is")
        .await
        .unwrap();
    assert!(
        edited.reply_markup().is_none(),
        "an edit without markup removes the keyboard"
    );
    let same = bot
        .edit_message_text(ChatId(ANN), menu.id, "Noise it is")
        .await
        .unwrap_err();
    assert!(
        matches!(same, RequestError::Api(ApiError::MessageNotModified)),
        "{same:?}"
    );
    let back = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("Undo", "undo")]]);
    bot.edit_message_reply_markup(ChatId(ANN), menu.id)
        .reply_markup(back)
        .await
        .unwrap();
    let missing = bot
        .edit_message_text(ChatId(ANN), MessageId(999), "x")
        .await
        .unwrap_err();
    assert!(
        matches!(missing, RequestError::Api(ApiError::MessageToEditNotFound)),
        "{missing:?}"
    );

    let share = KeyboardMarkup::new([[
        KeyboardButton::new("Share my number").request(teloxide::types::ButtonRequest::Contact)
    ]])
    .one_time_keyboard();
    bot.send_message(ChatId(ANN), "Your phone?")
        .reply_markup(share)
        .await
        .unwrap();
    standin
        .share_contact(ANN, "+8613800000000", Some(ANN))
        .unwrap();
    standin.send_photo(ANN, Some("leak")).unwrap();
    standin.send_location(ANN, 31.2, 121.5).unwrap();
    let got = updates(&bot, &mut offset).await;
    assert_eq!(
        message(&got[0]).contact().unwrap().user_id,
        Some(UserId(ANN as u64))
    );
    let photo = message(&got[1])
        .photo()
        .unwrap()
        .last()
        .unwrap()
        .file
        .clone();
    assert_eq!(message(&got[1]).caption(), Some("leak"));
    assert!(message(&got[2]).location().is_some());

    let file = bot.get_file(photo.id.clone()).await.unwrap();
    let mut bytes = Vec::new();
    bot.download_file(&file.path, &mut bytes).await.unwrap();
    assert!(!bytes.is_empty());
    let wrong = bot.get_file(FileId("nope".into())).await.unwrap_err();
    assert!(
        matches!(wrong, RequestError::Api(ApiError::FileIdInvalid)),
        "{wrong:?}"
    );

    let forwarded = bot
        .send_photo(ChatId(ANN), InputFile::file_id(photo.id.clone()))
        .caption("seen")
        .await
        .unwrap();
    assert!(forwarded.photo().is_some());
    let album = bot
        .send_media_group(
            ChatId(ANN),
            [
                InputMedia::Photo(
                    InputMediaPhoto::new(InputFile::file_id(photo.id.clone())).caption("before"),
                ),
                InputMedia::Photo(InputMediaPhoto::new(
                    InputFile::memory(&SMALL_JPEG[..]).file_name("a.jpg"),
                )),
            ],
        )
        .await
        .unwrap();
    assert_eq!(album.len(), 2);
    assert_eq!(album[0].media_group_id(), album[1].media_group_id());

    bot.set_my_commands([
        TgCommand::new("start", "Start"),
        TgCommand::new("tickets", "My tickets"),
    ])
    .language_code("en")
    .await
    .unwrap();
    assert_eq!(standin.commands("en").len(), 2);

    bot.delete_message(ChatId(ANN), forwarded.id).await.unwrap();
    let twice = bot
        .delete_message(ChatId(ANN), forwarded.id)
        .await
        .unwrap_err();
    assert!(
        matches!(twice, RequestError::Api(ApiError::MessageToDeleteNotFound)),
        "{twice:?}"
    );

    let sent = standin.messages(ANN);
    assert_eq!(sent.len(), 5);
    assert_eq!(sent[0].history.len(), 2, "text edit then markup edit");
    assert_eq!(sent[0].callback_data("Undo").as_deref(), Some("undo"));
    assert!(sent[2].deleted);
    standin.assert_nothing_refused();
}

#[tokio::test]
async fn telegram_errors_reach_teloxide_as_its_own_variants() {
    let (standin, bot) = start(Limits::default()).await;
    let stranger = bot.send_message(ChatId(ANN), "hi").await.unwrap_err();
    assert!(
        matches!(stranger, RequestError::Api(ApiError::ChatNotFound)),
        "{stranger:?}"
    );

    standin.send_text(ANN, "hello").unwrap();
    for _ in 0..3 {
        bot.send_message(ChatId(ANN), "burst").await.unwrap();
    }
    let flood = bot
        .send_message(ChatId(ANN), "one too many")
        .await
        .unwrap_err();
    assert!(
        matches!(flood, RequestError::RetryAfter(s) if s.seconds() >= 1),
        "{flood:?}"
    );
    assert_eq!(standin.messages(ANN).len(), 3, "a 429 delivers nothing");
    assert_eq!(standin.rate_limited_count(), 1);
    assert_eq!(
        standin.max_sends_per_chat_in_any_window(Duration::from_secs(1)),
        3
    );

    standin.add_user(TestUser::new(8, "Bob"));
    standin.send_text(8, "hi").unwrap();
    standin.force_429(8, 7);
    let forced = bot.send_message(ChatId(8), "x").await.unwrap_err();
    assert!(
        matches!(forced, RequestError::RetryAfter(s) if s.seconds() == 7),
        "{forced:?}"
    );

    standin.drop_next_responses(1);
    let ambiguous = bot
        .send_message(ChatId(8), "did it arrive?")
        .await
        .unwrap_err();
    assert!(
        matches!(ambiguous, RequestError::Network(_)),
        "{ambiguous:?}"
    );
    assert_eq!(
        standin.messages(8).len(),
        1,
        "the dropped send was delivered"
    );

    standin.block_chat(8);
    let blocked = bot.send_message(ChatId(8), "x").await.unwrap_err();
    assert!(
        matches!(blocked, RequestError::Api(ApiError::BotBlocked)),
        "{blocked:?}"
    );

    let wrong = Bot::new("1:wrong")
        .set_api_url(standin.api_url())
        .get_me()
        .await
        .unwrap_err();
    assert!(
        matches!(wrong, RequestError::Api(ApiError::InvalidToken)),
        "{wrong:?}"
    );
    standin.assert_nothing_refused();
    assert!(standin.errors().iter().any(|e| e.code == 403));
}

#[tokio::test]
async fn long_poll_wakes_on_a_new_update_and_a_newer_poll_ends_the_older() {
    let (standin, bot) = start(Limits::unlimited()).await;
    let poll = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(5).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = std::time::Instant::now();
    standin.send_text(ANN, "/reply 12 hi").unwrap();
    let got = poll.await.unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(message(&got[0]).text(), Some("/reply 12 hi"));

    let older = tokio::spawn({
        let bot = bot.clone();
        async move {
            bot.get_updates()
                .offset(got[0].id.0 as i32 + 1)
                .timeout(5)
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let newer = bot.get_updates().timeout(0).await.unwrap();
    assert!(newer.is_empty());
    let older = older.await.unwrap().unwrap_err();
    assert!(
        matches!(
            older,
            RequestError::Api(ApiError::TerminatedByOtherGetUpdates)
        ),
        "{older:?}"
    );
    standin.assert_nothing_refused();
    standin.shutdown().await;
}

#[tokio::test]
async fn refused_requests_are_answered_400_and_listed() {
    let (standin, _bot) = start(Limits::unlimited()).await;
    standin.send_text(ANN, "hi").unwrap();
    let client = reqwest::Client::new();
    let url = |m: &str| format!("{}bot{}/{m}", standin.api_url(), standin.token());
    let answer: Value = client
        .post(url("sendMessage"))
        .json(&json!({"chat_id": ANN, "text": "x".repeat(4097)}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer,
        json!({"ok": false, "error_code": 400, "description": "Bad Request: message is too long"})
    );
    let form = client
        .get(format!(
            "{}?chat_id={ANN}&text=hi&colour=red",
            url("SENDMESSAGE")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 400);
    assert_eq!(standin.refusals().len(), 2);
    assert!(standin.messages(ANN).is_empty());

    standin.fail_next_method("getMe", 1, 502);
    let failed: Value = client
        .get(url("getMe"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(failed["description"], json!("Bad Gateway"));
    assert_eq!(client.get(url("getMe")).send().await.unwrap().status(), 200);
    standin.set_latency(Duration::from_millis(100));
    let asked = std::time::Instant::now();
    assert_eq!(client.get(url("getMe")).send().await.unwrap().status(), 200);
    assert!(asked.elapsed() >= Duration::from_millis(100));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        standin.assert_nothing_refused()
    }));
    assert!(result.is_err());
}

#[tokio::test]
async fn redelivered_update_arrives_again_with_the_same_id() {
    let (standin, bot) = start(Limits::unlimited()).await;
    let mut offset = 0;
    let first = standin.send_text(ANN, "once").unwrap();
    assert_eq!(updates(&bot, &mut offset).await.len(), 1);
    standin.redeliver(first.update_id).unwrap();
    let again = updates(&bot, &mut offset).await;
    assert_eq!(again.len(), 1);
    assert_eq!(i64::from(again[0].id.0 as i32), first.update_id);
    assert!(updates(&bot, &mut offset).await.is_empty());

    let album = standin.send_album(ANN, 3).unwrap();
    assert_eq!(album[2].update_id, album[0].update_id + 2);
    standin.send_sticker(ANN).unwrap();
    standin.send_voice(ANN).unwrap();
    standin
        .edit_message(ANN, first.message_id, "twice")
        .unwrap();
    standin.my_chat_member(ANN, "member", "kicked").unwrap();
    standin.inject_raw_update(json!({"message": {"message_id": 99, "date": 0,
        "chat": {"id": ANN, "type": "private", "first_name": "Ann"}, "text": "raw"}}));
    assert_eq!(updates(&bot, &mut offset).await.len(), 8);
    let blocked = bot.send_message(ChatId(ANN), "x").await.unwrap_err();
    assert!(
        matches!(blocked, RequestError::Api(ApiError::BotBlocked)),
        "{blocked:?}"
    );
}

#[tokio::test]
async fn wait_for_message_times_out_listing_what_arrived() {
    let (standin, bot) = start(Limits::unlimited()).await;
    standin.send_text(ANN, "hi").unwrap();
    let waiter = tokio::spawn({
        let standin = standin.clone();
        async move {
            standin
                .wait_for_message(ANN, |m| m.body() == "second", Duration::from_secs(2))
                .await
        }
    });
    bot.send_message(ChatId(ANN), "first").await.unwrap();
    bot.send_message(ChatId(ANN), "second").await.unwrap();
    assert_eq!(waiter.await.unwrap().unwrap().message_id, 3);
    let err = standin
        .wait_for_messages(ANN, 5, Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("\"first\""), "{err:#}");
}

#[tokio::test]
async fn webhook_gets_updates_with_the_secret_and_blocks_get_updates() {
    use axum::http::HeaderMap;
    use axum::routing::post;

    let (standin, bot) = start(Limits::unlimited()).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Option<String>, Value)>();
    let app = axum::Router::new().route(
        "/hook",
        post(
            move |headers: HeaderMap, axum::Json(update): axum::Json<Value>| {
                let secret = headers
                    .get("X-Telegram-Bot-Api-Secret-Token")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let _ = tx.send((secret, update));
                async {}
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    bot.set_webhook(hook.parse().unwrap())
        .secret_token("s3cret".to_owned())
        .await
        .unwrap();
    let conflict = bot.get_updates().await.unwrap_err();
    // Telegram's wording has a "Conflict: " prefix teloxide's CantGetUpdates lacks.
    assert!(
        matches!(&conflict, RequestError::Api(ApiError::Unknown(d)) if d.contains("webhook is active")),
        "{conflict:?}"
    );
    standin.add_group(-100, "Staff");
    standin
        .send_text_in_group(-100, ANN, "/claim@propdesk_bot 12")
        .unwrap();
    let (secret, update) = tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(secret.as_deref(), Some("s3cret"));
    assert_eq!(update["message"]["chat"]["type"], json!("group"));
    assert_eq!(update["message"]["entities"][0]["length"], json!(19));
    let info = bot.get_webhook_info().await.unwrap();
    assert_eq!(info.url.map(|u| u.to_string()), Some(hook));

    bot.delete_webhook().await.unwrap();
    let card = bot.send_message(ChatId(-100), "Ticket 12").await.unwrap();
    let reply = standin
        .reply_to(-100, ANN, card.id.0.into(), "on my way")
        .unwrap();
    let got = bot.get_updates().timeout(0).await.unwrap();
    let replied = message(&got[0]).reply_to_message().unwrap();
    assert_eq!(replied.text(), Some("Ticket 12"));
    assert_eq!(message(&got[0]).id.0, reply.message_id as i32);
    standin.assert_nothing_refused();
}

#[tokio::test]
async fn a_pinned_message_is_the_chats_until_unpinned_and_user_photos_keep_their_bytes() {
    let (standin, bot) = start(Limits::unlimited()).await;
    standin.send_text(ANN, "/start").unwrap();
    let notice = bot
        .send_message(ChatId(ANN), "Water off at 2 pm")
        .await
        .unwrap();
    bot.pin_chat_message(ChatId(ANN), notice.id).await.unwrap();
    assert_eq!(standin.pinned(ANN), Some(i64::from(notice.id.0)));
    let missing = bot.pin_chat_message(ChatId(ANN), MessageId(999)).await;
    assert!(missing.is_err());
    bot.unpin_chat_message(ChatId(ANN)).await.unwrap();
    assert_eq!(standin.pinned(ANN), None);

    // A user's uploaded photo: its own bytes for getFile; over 10 MB refused.
    let sent = standin
        .upload_photos(ANN, ANN, vec![b"\xff\xd8real".to_vec()], Some("leak"))
        .unwrap();
    assert_eq!(sent.len(), 1);
    let log = standin.chat_log(ANN);
    let photo = log
        .iter()
        .find(|m| m["side"] == "user" && m.get("photo").is_some())
        .unwrap();
    let file_id = photo["photo"][0]["file_id"].as_str().unwrap();
    assert_eq!(standin.file_bytes(file_id).unwrap(), b"\xff\xd8real");
    let file = bot.get_file(FileId(file_id.to_owned())).await.unwrap();
    let mut bytes = Vec::new();
    bot.download_file(&file.path, &mut bytes).await.unwrap();
    assert_eq!(bytes, b"\xff\xd8real");
    let too_big = standin.upload_photos(ANN, ANN, vec![vec![0; super::PHOTO_MAX_BYTES + 1]], None);
    assert!(format!("{:#}", too_big.unwrap_err()).contains("PHOTO_SAVE_FILE_INVALID"));
    // Both sides in order: the user's /start and photo, the bot's notice.
    assert_eq!(log.len(), 3);
    assert!(log
        .windows(2)
        .all(|w| w[0]["message_id"].as_i64() < w[1]["message_id"].as_i64()));
}
