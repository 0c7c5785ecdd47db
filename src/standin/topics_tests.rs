//! Forum topics driven with a real `teloxide::Bot`: the requests teloxide
//! makes for them pass the specification check, the answers and the
//! incoming topic messages parse into teloxide's types, and the refusals
//! carry Telegram's wording.

use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::{
    ChatFullInfoKind, ChatFullInfoPublicKind, ChatKind, CustomEmojiId, InputFile, InputMedia,
    InputMediaPhoto, MessageId, PublicChatKind, Rgb, ThreadId,
};
use teloxide::{ApiError, RequestError};

use super::teloxide_tests::{message, updates, SMALL_JPEG};
use super::{Limits, StandIn, StandInConfig, TestUser, GENERAL_TOPIC, ICON_COLORS};

const DESK: i64 = -1_000_000_000_777;
const STAFF: i64 = 21;
const BEA: i64 = 22;

async fn start(limits: Limits) -> (StandIn, Bot) {
    let standin = StandIn::start(StandInConfig {
        limits,
        ..StandInConfig::default()
    })
    .await
    .unwrap();
    standin.add_user(TestUser::new(STAFF, "Sam").language("en"));
    standin.add_user(TestUser::new(BEA, "Bea").language("zh"));
    standin.add_forum_group(DESK, "Front desk");
    let bot = Bot::new(standin.token()).set_api_url(standin.api_url());
    (standin, bot)
}

/// Telegram's description of a failed request.
fn description(err: RequestError) -> String {
    match err {
        RequestError::Api(ApiError::Unknown(text)) => text,
        RequestError::Api(other) => other.to_string(),
        other => panic!("expected a Telegram error, got {other:?}"),
    }
}

fn thread(n: i64) -> ThreadId {
    ThreadId(MessageId(i32::try_from(n).unwrap()))
}

#[tokio::test]
async fn a_topic_is_created_edited_closed_reopened_and_deleted_through_teloxide() {
    let (standin, bot) = start(Limits::unlimited()).await;

    let full = bot.get_chat(ChatId(DESK)).await.unwrap();
    let ChatFullInfoKind::Public(public) = &full.kind else {
        panic!("a supergroup is a public chat kind: {full:?}");
    };
    let ChatFullInfoPublicKind::Supergroup(supergroup) = &public.kind else {
        panic!("expected a supergroup: {full:?}");
    };
    assert!(supergroup.is_forum, "getChat reports is_forum");

    let topic = bot
        .create_forum_topic(ChatId(DESK), "#12 报修 · 3-2-1101 · 厨房漏水")
        .icon_color(Rgb::from_u32(0xFF_D67E))
        .await
        .unwrap();
    assert_eq!(topic.name, "#12 报修 · 3-2-1101 · 厨房漏水");
    assert_eq!(topic.icon_color.to_u32(), 0xFF_D67E);
    let id = i64::from(topic.thread_id.0 .0);

    // The topic's id is the id of its forum_topic_created service message.
    let created = standin.topic_messages(DESK, id);
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].message_id, id);
    assert!(created[0].is_service());
    assert_eq!(
        created[0].service.as_ref().unwrap()["forum_topic_created"]["name"],
        "#12 报修 · 3-2-1101 · 厨房漏水"
    );

    bot.edit_forum_topic(ChatId(DESK), topic.thread_id)
        .name("#12 报修 · 已解决")
        .await
        .unwrap();
    let again = bot
        .edit_forum_topic(ChatId(DESK), topic.thread_id)
        .name("#12 报修 · 已解决")
        .await
        .unwrap_err();
    assert_eq!(description(again), "Bad Request: TOPIC_NOT_MODIFIED");
    let blank = bot
        .edit_forum_topic(ChatId(DESK), topic.thread_id)
        .name("  ")
        .await
        .unwrap_err();
    assert_eq!(description(blank), "Bad Request: name must be non-empty");
    // Neither a name nor an icon: True, and no service message.
    bot.edit_forum_topic(ChatId(DESK), topic.thread_id)
        .name("")
        .await
        .unwrap();
    bot.edit_forum_topic(ChatId(DESK), topic.thread_id)
        .icon_custom_emoji_id(CustomEmojiId("5312536423851630001".to_owned()))
        .await
        .unwrap();

    bot.close_forum_topic(ChatId(DESK), topic.thread_id)
        .await
        .unwrap();
    let twice = bot
        .close_forum_topic(ChatId(DESK), topic.thread_id)
        .await
        .unwrap_err();
    assert_eq!(description(twice), "Bad Request: TOPIC_NOT_MODIFIED");
    let now = standin.topic(DESK, id).unwrap();
    assert!(now.closed);
    assert_eq!(now.name, "#12 报修 · 已解决");
    assert_eq!(now.renamed_from, ["#12 报修 · 3-2-1101 · 厨房漏水"]);
    assert_eq!(
        now.icon_custom_emoji_id.as_deref(),
        Some("5312536423851630001")
    );

    bot.reopen_forum_topic(ChatId(DESK), topic.thread_id)
        .await
        .unwrap();
    assert!(!standin.topic(DESK, id).unwrap().closed);
    let services: Vec<String> = standin
        .topic_messages(DESK, id)
        .iter()
        .filter_map(|m| m.service.as_ref()?.as_object()?.keys().next().cloned())
        .collect();
    assert_eq!(
        services,
        [
            "forum_topic_created",
            "forum_topic_edited",
            "forum_topic_edited",
            "forum_topic_closed",
            "forum_topic_reopened"
        ]
    );

    // The creation message cannot be deleted on its own.
    let err = bot
        .delete_message(ChatId(DESK), MessageId(i32::try_from(id).unwrap()))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        RequestError::Api(ApiError::MessageCantBeDeleted)
    ));

    bot.send_message(ChatId(DESK), "card")
        .message_thread_id(topic.thread_id)
        .await
        .unwrap();
    bot.delete_forum_topic(ChatId(DESK), topic.thread_id)
        .await
        .unwrap();
    assert!(standin.topic(DESK, id).unwrap().deleted);
    assert!(standin.topic_messages(DESK, id).iter().all(|m| m.deleted));
    let gone = bot
        .close_forum_topic(ChatId(DESK), topic.thread_id)
        .await
        .unwrap_err();
    assert_eq!(description(gone), "Bad Request: TOPIC_ID_INVALID");
    standin.assert_nothing_refused();
}

#[tokio::test]
async fn sends_go_into_a_topic_and_a_missing_one_is_refused() {
    let (standin, bot) = start(Limits::unlimited()).await;
    let topic = bot
        .create_forum_topic(ChatId(DESK), "#7 投诉")
        .await
        .unwrap();
    let id = i64::from(topic.thread_id.0 .0);
    assert!(ICON_COLORS.contains(&i64::from(topic.icon_color.to_u32())));

    let sent = bot
        .send_message(ChatId(DESK), "card #7")
        .message_thread_id(topic.thread_id)
        .await
        .unwrap();
    assert_eq!(sent.thread_id, Some(topic.thread_id));
    assert!(sent.is_topic_message);
    let implicit = sent.reply_to_message().unwrap();
    assert_eq!(i64::from(implicit.id.0), id);
    assert!(implicit.forum_topic_created().is_some());

    bot.send_photo(ChatId(DESK), InputFile::memory(SMALL_JPEG.to_vec()))
        .message_thread_id(topic.thread_id)
        .await
        .unwrap();
    let photo = || InputMedia::Photo(InputMediaPhoto::new(InputFile::memory(SMALL_JPEG.to_vec())));
    let album = bot
        .send_media_group(ChatId(DESK), [photo(), photo()])
        .message_thread_id(topic.thread_id)
        .await
        .unwrap();
    assert!(album.iter().all(|m| m.thread_id == Some(topic.thread_id)));
    bot.send_message(ChatId(DESK), "in General").await.unwrap();

    let in_topic: Vec<String> = standin
        .topic_messages(DESK, id)
        .iter()
        .filter(|m| !m.is_service())
        .map(|m| m.method.clone())
        .collect();
    assert_eq!(
        in_topic,
        [
            "sendMessage",
            "sendPhoto",
            "sendMediaGroup",
            "sendMediaGroup"
        ]
    );
    let general = standin.messages(DESK).pop().unwrap();
    assert_eq!(general.message_thread_id, None);

    for missing in [id + 100, GENERAL_TOPIC] {
        let err = bot
            .send_message(ChatId(DESK), "lost")
            .message_thread_id(thread(missing))
            .await
            .unwrap_err();
        assert_eq!(description(err), "Bad Request: message thread not found");
    }

    // A plain group is no forum: topics cannot be opened there, and
    // telegram-bot-api does not look at message_thread_id.
    standin.add_group(-1_000_000_000_888, "Plain");
    let err = bot
        .create_forum_topic(ChatId(-1_000_000_000_888), "x")
        .await
        .unwrap_err();
    assert_eq!(description(err), "Bad Request: the chat is not a forum");
    let plain = bot
        .send_message(ChatId(-1_000_000_000_888), "hi")
        .message_thread_id(thread(5))
        .await
        .unwrap();
    assert_eq!(plain.thread_id, None);
    standin.assert_nothing_refused();
}

#[tokio::test]
async fn a_closed_topic_refuses_whoever_may_not_manage_topics() {
    let (standin, bot) = start(Limits::unlimited()).await;
    let own = bot.create_forum_topic(ChatId(DESK), "own").await.unwrap();
    bot.close_forum_topic(ChatId(DESK), own.thread_id)
        .await
        .unwrap();
    // The bot may manage topics: Telegram lets it write in a closed one.
    bot.send_message(ChatId(DESK), "closed, but mine")
        .message_thread_id(own.thread_id)
        .await
        .unwrap();

    // A topic a person opened and closed, and a bot without the right.
    let by_hand = standin.open_topic_by_hand(DESK, STAFF, "by hand").unwrap();
    standin
        .close_topic_by_hand(DESK, STAFF, by_hand, true)
        .unwrap();
    standin.set_bot_can_manage_topics(DESK, false).unwrap();
    let err = bot
        .send_message(ChatId(DESK), "let me in")
        .message_thread_id(thread(by_hand))
        .await
        .unwrap_err();
    assert_eq!(description(err), "Bad Request: TOPIC_CLOSED");
    let err = bot
        .reopen_forum_topic(ChatId(DESK), thread(by_hand))
        .await
        .unwrap_err();
    assert_eq!(
        description(err),
        "Bad Request: not enough rights to close or open the topic"
    );
    // Its own topic stays its to write in and to reopen.
    bot.send_message(ChatId(DESK), "still mine")
        .message_thread_id(own.thread_id)
        .await
        .unwrap();
    bot.reopen_forum_topic(ChatId(DESK), own.thread_id)
        .await
        .unwrap();
    let err = bot
        .create_forum_topic(ChatId(DESK), "no rights")
        .await
        .unwrap_err();
    assert_eq!(
        description(err),
        "Bad Request: not enough rights to create a topic"
    );

    // People: only a topic admin writes in a closed topic.
    let refused = standin
        .send_text_in_topic(DESK, by_hand, BEA, "hello?")
        .unwrap_err();
    assert!(refused.to_string().contains("TOPIC_CLOSED"), "{refused}");
    standin.add_topic_admin(DESK, STAFF).unwrap();
    standin
        .send_text_in_topic(DESK, by_hand, STAFF, "admins may")
        .unwrap();
    standin.assert_nothing_refused();
}

#[tokio::test]
async fn messages_people_write_in_a_topic_parse_with_their_thread() {
    let (standin, bot) = start(Limits::unlimited()).await;
    let mut offset = 0;
    let topic = bot
        .create_forum_topic(ChatId(DESK), "#3 报修")
        .await
        .unwrap();
    let id = i64::from(topic.thread_id.0 .0);

    let text = standin
        .send_text_in_topic(DESK, id, STAFF, "on my way")
        .unwrap();
    standin
        .send_photo_in_topic(DESK, id, STAFF, Some("the leak"))
        .unwrap();
    standin
        .upload_photos_in_topic(
            DESK,
            id,
            STAFF,
            vec![SMALL_JPEG.to_vec(), SMALL_JPEG.to_vec()],
            Some("album"),
        )
        .unwrap();
    standin
        .reply_to(DESK, BEA, text.message_id, "thanks")
        .unwrap();
    standin.send_text_in(DESK, BEA, "in General").unwrap();
    let by_hand = standin.open_topic_by_hand(DESK, STAFF, "by hand").unwrap();
    assert!(standin
        .send_text_in_topic(DESK, id + 1000, STAFF, "nowhere")
        .is_err());

    let got = updates(&bot, &mut offset).await;
    assert_eq!(got.len(), 7);
    for u in &got[..5] {
        let m = message(u);
        assert_eq!(m.thread_id, Some(topic.thread_id), "{m:?}");
        assert!(m.is_topic_message);
        assert!(matches!(
            &m.chat.kind,
            ChatKind::Public(p) if matches!(&p.kind, PublicChatKind::Supergroup(s) if s.is_forum)
        ));
    }
    let first = message(&got[0]);
    assert_eq!(first.text(), Some("on my way"));
    let implicit = first.reply_to_message().unwrap();
    assert_eq!(
        implicit.forum_topic_created().map(|c| c.name.as_str()),
        Some("#3 报修")
    );
    assert!(message(&got[1]).photo().is_some());
    assert_eq!(
        message(&got[2]).media_group_id(),
        message(&got[3]).media_group_id()
    );
    let reply = message(&got[4]);
    assert_eq!(
        reply.reply_to_message().unwrap().id,
        MessageId(text.message_id as i32)
    );
    let general = message(&got[5]);
    assert_eq!(general.thread_id, None);
    assert!(!general.is_topic_message);
    let created = message(&got[6]);
    assert_eq!(created.thread_id, Some(thread(by_hand)));
    assert_eq!(
        created.forum_topic_created().map(|c| c.name.as_str()),
        Some("by hand")
    );

    // Both sides of the topic, in order.
    let log = standin.topic_log(DESK, id);
    let sides: Vec<&str> = log.iter().filter_map(|m| m["side"].as_str()).collect();
    assert_eq!(sides, ["bot", "user", "user", "user", "user", "user"]);
    // A topic deleted by hand takes the people's messages with it.
    standin.delete_topic_by_hand(DESK, id).unwrap();
    assert!(standin
        .topic_log(DESK, id)
        .iter()
        .all(|m| m["deleted"] == true));
    let err = bot
        .send_message(ChatId(DESK), "where did it go?")
        .message_thread_id(topic.thread_id)
        .await
        .unwrap_err();
    assert_eq!(description(err), "Bad Request: message thread not found");
    standin.assert_nothing_refused();
}

#[tokio::test]
async fn opening_topics_counts_in_the_groups_twenty_a_minute() {
    let (standin, bot) = start(Limits::default()).await;
    for n in 0..20 {
        bot.create_forum_topic(ChatId(DESK), format!("#{n}"))
            .await
            .unwrap();
    }
    let err = bot
        .create_forum_topic(ChatId(DESK), "#20")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::RetryAfter(s) if s.duration() > Duration::from_secs(50)),
        "{err:?}"
    );
    assert_eq!(
        standin.topics(DESK).len(),
        20,
        "a refused topic is not opened"
    );
    assert_eq!(standin.rate_limited_count(), 1);
    // A send into a topic shares the same lane.
    let first = standin.topics(DESK)[0].message_thread_id;
    let err = bot
        .send_message(ChatId(DESK), "card")
        .message_thread_id(thread(first))
        .await
        .unwrap_err();
    assert!(matches!(err, RequestError::RetryAfter(_)), "{err:?}");
    assert_eq!(
        standin.max_sends_per_chat_in_any_window(Duration::from_secs(60)),
        20
    );
}

#[tokio::test]
async fn topic_names_and_colours_outside_the_documented_ones_are_refused() {
    let (standin, bot) = start(Limits::unlimited()).await;
    let long = "长".repeat(129);
    assert!(bot.create_forum_topic(ChatId(DESK), long).await.is_err());
    assert!(bot
        .create_forum_topic(ChatId(DESK), "red")
        .icon_color(Rgb::from_u32(0xFF_0000))
        .await
        .is_err());
    let err = bot
        .create_forum_topic(ChatId(DESK), "   ")
        .await
        .unwrap_err();
    assert_eq!(description(err), "Bad Request: name must be non-empty");
    let refusals = standin.refusals();
    assert_eq!(refusals.len(), 2, "{refusals:?}");
    assert!(refusals[0].detail.contains("129 characters"));
    assert!(refusals[1].detail.contains("icon_color"));
    assert!(standin.topics(DESK).is_empty());
    bot.create_forum_topic(ChatId(DESK), "长".repeat(128))
        .await
        .unwrap();
}
