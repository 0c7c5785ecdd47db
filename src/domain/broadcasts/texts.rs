//! The texts of broadcasts: composing, progress, RSVP and the list.

use crate::texts::Phrase;

macro_rules! phrases {
    ($($name:ident => $zh:expr, $en:expr;)*) => {
        $(pub const $name: Phrase = Phrase { zh: $zh, en: $en };)*
        /// Every phrase, for the completeness test.
        pub const ALL: &[Phrase] = &[$($name),*];
    };
}

phrases! {
    MANAGERS_ONLY =>
        "抱歉，只有经理可以发送群发通知。",
        "Sorry, only managers can send broadcasts.";
    PRIVATE_ONLY =>
        "请在与我的私聊中编写群发通知。",
        "Please compose broadcasts in a private chat with me.";
    ASK_AUDIENCE =>
        "新建群发通知。发给谁？",
        "New broadcast. Who should receive it?";
    AUDIENCE_ALL => "全体业主", "All owners";
    AUDIENCE_BUILDING => "某一栋", "A building";
    AUDIENCE_FLOOR => "某栋某层", "A building and floor";
    AUDIENCE_UNITS => "指定房号", "A list of units";
    AUDIENCE_RSVP => "报名参加者", "Who joined an earlier activity";
    ASK_BUILDING =>
        "请输入楼栋号，例如：3",
        "Type the building, e.g. 3";
    ASK_FLOOR =>
        "请输入楼栋号和楼层，例如：3 12",
        "Type the building and the floor, e.g. 3 12";
    ASK_UNITS =>
        "请输入房号，用空格或逗号分隔，例如：3-1-1201, 3-1-1202",
        "Type the unit codes, separated by spaces or commas, e.g. 3-1-1201, 3-1-1202";
    ASK_RSVP_SOURCE =>
        "请输入之前那条带报名按钮的通知编号，例如：12（/broadcasts 可查看编号）",
        "Type the number of the earlier broadcast with Join buttons, e.g. 12 (/broadcasts lists them)";
    BAD_FLOOR =>
        "没看懂。请按“楼栋 楼层”输入，例如：3 12",
        "I could not read that. Type the building and floor as in: 3 12";
    BAD_NUMBER =>
        "请输入通知编号（数字），例如：12",
        "Please type the broadcast's number, e.g. 12";
    UNKNOWN_UNITS =>
        "没有这些房号：{units}。请重新输入。",
        "These units do not exist: {units}. Please type the list again.";
    NOT_AN_RSVP =>
        "第 {n} 号通知不存在或没有报名按钮。请输入另一个编号。",
        "Broadcast #{n} does not exist or had no Join buttons. Please type another number.";
    NO_AUDIENCE =>
        "{audience}没有已登记的业主，无人会收到这条通知。请选择其他对象。",
        "Nobody would receive it: {audience} has no registered owners. Please choose another audience.";
    AUDIENCE_SET =>
        "对象：{audience}（{count} 人）。\n请发送通知正文（最多 4096 字；如要配图，最多 1024 字）。也可以直接发送带说明文字的图片。",
        "Audience: {audience} ({count} people).\nSend the text of the notice (at most 4096 characters, or 1024 with a photo). You may also send a photo with the text as its caption.";
    TEXT_TOO_LONG =>
        "通知太长：{len} 字，Telegram 最多允许 {limit} 字。请缩短后重新发送。",
        "The notice is too long: {len} characters, and Telegram allows at most {limit}. Please shorten it and send it again.";
    CAPTION_TOO_LONG =>
        "配图时文字最多 1024 字，您的文字有 {len} 字。请缩短文字，或选择“不配图”。",
        "With a photo the text may have at most 1024 characters; yours has {len}. Shorten the text, or press No photo.";
    ASK_TEXT =>
        "请发送通知正文。",
        "Please send the text of the notice.";
    ASK_PHOTO =>
        "要配一张图片吗？现在发送图片，或点“不配图”。",
        "Attach a photo? Send it now, or press No photo.";
    NO_PHOTO => "不配图", "No photo";
    ASK_RSVP =>
        "这是活动通知吗？加上“参加 / 不能参加”按钮？",
        "Is this an activity? Add Join / Can't come buttons?";
    YES_RSVP => "加报名按钮", "Add the buttons";
    NO_RSVP => "不加", "No buttons";
    ASK_URGENT =>
        "是紧急通知吗（停水停电、安全）？紧急通知在免打扰时段（{quiet}）也会立即发送。",
        "Is it urgent (outage, safety)? Urgent notices are sent even during quiet hours ({quiet}).";
    URGENT => "紧急", "Urgent";
    NOT_URGENT => "普通", "Not urgent";
    ASK_WHEN =>
        "什么时候发送？",
        "When should it go out?";
    SEND_NOW => "立即发送", "Send now";
    SEND_LATER => "定时发送", "At a time";
    ASK_TIME =>
        "请输入发送时间（当地时间），例如：2026-12-01 10:00",
        "Type the time to send (local time), e.g. 2026-12-01 10:00";
    BAD_TIME =>
        "没看懂这个时间。请按这个格式输入：2026-12-01 10:00",
        "I could not read that time. Please type it like this: 2026-12-01 10:00";
    PAST_TIME =>
        "这个时间已经过去了。请输入一个将来的时间。",
        "That time has already passed. Please type a time in the future.";
    PREVIEW_INTRO =>
        "预览：业主收到的通知如下。",
        "Preview: this is exactly what owners will receive.";
    SUMMARY =>
        "对象：{audience}\n收件人：{count} 人（其中 {blocked} 人已屏蔽本机器人，不会发送）\n紧急：{urgent}\n报名按钮：{rsvp}\n发送：{when}\n\n确认发送？",
        "Audience: {audience}\nRecipients: {count} ({blocked} of them blocked the bot and will be skipped)\nUrgent: {urgent}\nJoin buttons: {rsvp}\nSending: {when}\n\nSend it?";
    YES => "是", "yes";
    NO => "否", "no";
    WHEN_NOW => "立即", "now";
    WHEN_AT => "{at}", "{at}";
    WHEN_HELD =>
        "{at}（免打扰时段，延后到早上）",
        "{at} (held until morning by quiet hours)";
    CONFIRM => "确认发送", "Send";
    CANCEL => "取消", "Cancel";
    CANCELLED =>
        "已取消，这条通知不会发送。",
        "Cancelled: this notice will not be sent.";
    PREVIEW_BUTTON =>
        "这是预览，按钮不会记录。",
        "This is a preview; the button records nothing.";
    EXPIRED =>
        "这个按钮已失效。",
        "This button has expired.";
    ALREADY_CONFIRMED =>
        "这条通知已经确认过了。",
        "This notice was already confirmed.";
    USE_BUTTONS =>
        "请用上面的按钮选择。",
        "Please choose with the buttons above.";
    PROGRESS =>
        "群发 #{id}（{audience}）{state}\n已发送 {sent} · 失败 {failed} · 已屏蔽 {blocked} · 等待 {waiting}",
        "Broadcast #{id} ({audience}) {state}\nsent {sent} · failed {failed} · blocked {blocked} · waiting {waiting}";
    STATE_SCHEDULED => "定于 {at} 发送", "scheduled for {at}";
    STATE_SENDING => "发送中", "sending";
    STATE_DONE => "已完成", "done";
    RSVP_TOTALS =>
        "\n报名：参加 {join} · 不能参加 {decline}",
        "\nRSVP: join {join} · can't come {decline}";
    JOIN => "参加", "Join";
    DECLINE => "不能参加", "Can't come";
    JOINED => "已登记：您会参加。", "Noted: you will join.";
    DECLINED => "已登记：您不能参加。", "Noted: you can't come.";
    SAME_ANSWER =>
        "您已经这样回答过了。",
        "You already answered that.";
    LIST_EMPTY => "还没有群发通知。", "No broadcasts yet.";
    LIST_HEADER => "最近的群发通知：", "Recent broadcasts:";
    LIST_LINE =>
        "#{id} {at} · {audience} · {status}\n  已发送 {sent} · 失败 {failed} · 已屏蔽 {blocked} · 等待 {waiting}{rsvp}",
        "#{id} {at} · {audience} · {status}\n  sent {sent} · failed {failed} · blocked {blocked} · waiting {waiting}{rsvp}";
    LIST_RSVP =>
        " · 参加 {join} / 不能参加 {decline}",
        " · join {join} / can't come {decline}";
    STATUS_SCHEDULED => "已排期", "scheduled";
    STATUS_SENDING => "发送中", "sending";
    STATUS_DONE => "已完成", "done";
    STATUS_CANCELLED => "已取消", "cancelled";
    AUDIENCE_ALL_LABEL => "全体业主", "all owners";
    AUDIENCE_BUILDING_LABEL => "{building} 栋", "building {building}";
    AUDIENCE_FLOOR_LABEL => "{building} 栋 {floor} 层", "building {building}, floor {floor}";
    AUDIENCE_UNITS_LABEL => "{count} 个房号（{units}）", "{count} units ({units})";
    AUDIENCE_RSVP_LABEL => "第 {n} 号通知的报名者", "who joined broadcast #{n}";
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_text_exists_in_both_languages() {
        for p in super::ALL {
            assert!(!p.zh.trim().is_empty() && !p.en.trim().is_empty(), "{p:?}");
        }
    }
}
