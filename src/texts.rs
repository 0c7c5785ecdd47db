//! The bot's own texts (dialogue texts live in `dialogues/`), each in both
//! languages, kept in one place so none exists in only one.

use crate::i18n::Lang;

/// A fixed text in Chinese and English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phrase {
    pub zh: &'static str,
    pub en: &'static str,
}

impl Phrase {
    #[must_use]
    pub fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh,
            Lang::En => self.en,
        }
    }
}

macro_rules! phrases {
    ($($name:ident => $zh:expr, $en:expr;)*) => {
        $(pub const $name: Phrase = Phrase { zh: $zh, en: $en };)*
        /// Every phrase, for the completeness test.
        pub const ALL: &[Phrase] = &[$($name),*];
    };
}

phrases! {
    WELCOME =>
        "您好！这里是物业客服中心。请选择您要办理的事项：",
        "Hello! This is the property service desk. What can we help you with?";
    HELP =>
        "我可以帮您：投诉、报修与咨询、查询物业费、参加满意度调查、投递意见箱、查看我的工单。\n\n\
         命令：/menu 主菜单 · /mytickets 我的工单 · /cancel 取消当前操作 · /reminders on|off 缴费提醒开关 · \
         /lang 切换语言 · /help 帮助",
        "I can help you with: complaints, repairs and questions, fees, the satisfaction survey, \
         the suggestion box, and your tickets.\n\n\
         Commands: /menu main menu · /mytickets my tickets · /cancel stop what you are doing · \
         /reminders on|off fee reminders · /lang language · /help this help";
    MENU => "主菜单：", "Main menu:";
    MENU_COMPLAINT => "投诉", "Complaint";
    MENU_REPAIR => "报修", "Repair";
    MENU_CONSULTATION => "咨询", "Questions";
    MENU_REGISTRATION => "住户登记", "Register";
    MENU_FEES => "物业费", "Fees";
    MENU_SURVEY => "满意度调查", "Survey";
    MENU_SUGGESTION => "意见箱", "Suggestion box";
    MENU_TICKETS => "我的工单", "My tickets";
    UNKNOWN_TEXT =>
        "抱歉，我没有理解。请从下面的菜单选择，或发送 /help 查看帮助。",
        "Sorry, I did not understand that. Please choose from the menu below, or send /help.";
    UNKNOWN_COMMAND =>
        "没有这个命令。发送 /help 查看可用的命令。",
        "There is no such command. Send /help to see the commands you can use.";
    UNSUPPORTED_MESSAGE =>
        "抱歉，我暂时只能处理文字、照片、位置和联系人。请从菜单选择您要办理的事项。",
        "Sorry, I can only handle text, photos, locations and contacts. Please choose from the menu.";
    STAFF_HELP =>
        "员工命令：\n/queue 待办工单 · /next 领取最紧急的 · /claim N 领取 · /release N 放回\n\
         /assign N @姓名 指派 · /transfer N @姓名 转交 · /reply N 内容 回复业主（或直接回复工单卡片）\n\
         /note N 内容 内部备注 · /resolve N [说明] 办结（可附照片） · /reopen N 重新打开\n\
         /mine 我的工单 · /ticket N 工单记录 · /newticket 房号 类型 内容 代业主登记\n\
         /visit N 预约上门 · /outcome N 上门结果 · /incident 停水停电通知 · /incidents 进行中的通知\n\
         经理：/broadcast 群发 · /broadcasts 群发记录 · /survey start 2026Q4 满意度调查 · /staff add|remove|role",
        "Staff commands:\n/queue open tickets · /next claim the most urgent · /claim N · /release N\n\
         /assign N @name · /transfer N @name · /reply N text to the owner (or reply to a card)\n\
         /note N text (internal) · /resolve N [note] (a photo may come with it) · /reopen N\n\
         /mine my tickets · /ticket N history · /newticket UNIT kind text (phone or walk-in)\n\
         /visit N book a visit · /outcome N visit outcome · /incident declare an outage · /incidents\n\
         Managers: /broadcast · /broadcasts · /survey start 2026Q4 · /staff add|remove|role";
    PHOTO_WITHOUT_CONTEXT =>
        "收到您的照片。如需报修或投诉，请先在菜单中选择，机器人会提示您发送照片。",
        "Thanks for the photo. To report a repair or a complaint, choose it from the menu first; \
         the bot will then ask for photos.";
    EDITED_MESSAGE =>
        "您修改了已发送的消息，但修改不会被记录。如需更正，请重新发送。",
        "You edited a message, but edits are not recorded. Please send the correction as a new message.";
    APOLOGY =>
        "抱歉，处理您的消息时出了问题，我们已记录（编号 {ref}）。请稍后再试，或致电物业服务中心。",
        "Sorry, something went wrong with your message. We have logged it (reference {ref}). \
         Please try again later or call the property office.";
    HELP_IN_DIALOGUE =>
        "您正在填写「{title}」：回答上面的问题即可继续，/back 返回上一步，/cancel 放弃。",
        "You are filling in “{title}”: answer the question above to go on, /back to go back, /cancel to stop.";
    RESUME_ASK =>
        "您还有一份未完成的「{title}」。要继续填写吗？",
        "You have an unfinished “{title}”. Would you like to continue it?";
    RESUME_CONTINUE => "继续填写", "Continue";
    RESUME_DISCARD => "放弃，回主菜单", "Discard it, main menu";
    DRAFT_DISCARDED => "已放弃未完成的内容。请选择：", "The unfinished form was discarded. What next?";
    DRAFT_EXPIRED =>
        "您未完成的内容超过 24 小时未继续，已自动关闭。需要时请重新开始：",
        "Your unfinished form was closed after 24 hours without an answer. Start again whenever you like:";
    DIALOGUE_GONE =>
        "这项服务的问卷已更新或停用，请重新选择：",
        "This form has been changed or withdrawn. Please choose again:";
    NOTHING_TO_CANCEL =>
        "当前没有进行中的操作。", "There is nothing to cancel.";
    BUTTON_EXPIRED =>
        "这个按钮已过期。", "This button has expired.";
    LANGUAGE_CHOOSE => "请选择语言：", "Choose your language:";
    LANGUAGE_SET => "已切换为中文。", "Language set to English.";
    CMD_START => "开始 / 主菜单", "Start / main menu";
    CMD_HELP => "帮助", "Help";
    CMD_MENU => "主菜单", "Main menu";
    CMD_CANCEL => "取消当前操作", "Cancel what you are doing";
    CMD_MYTICKETS => "我的工单", "My tickets";
    CMD_LANG => "切换语言 / Language", "Language / 切换语言";

    // ---- staff queue: labels -------------------------------------------------
    KIND_COMPLAINT => "投诉", "Complaint";
    KIND_REPAIR => "报修", "Repair";
    KIND_CONSULTATION => "咨询", "Question";
    KIND_REGISTRATION => "登记", "Registration";
    KIND_SUGGESTION => "建议", "Suggestion";
    KIND_OTHER => "其他", "Other";
    STATUS_OPEN => "待认领", "Open";
    STATUS_CLAIMED => "处理中", "In progress";
    STATUS_SCHEDULED => "已预约", "Scheduled";
    STATUS_RESOLVED => "已解决", "Resolved";
    STATUS_CLOSED => "已关闭", "Closed";
    STATUS_CANCELLED => "已取消", "Cancelled";
    PRIORITY_LOW => "低", "low";
    PRIORITY_NORMAL => "普通", "normal";
    PRIORITY_HIGH => "较急", "high";
    PRIORITY_URGENT => "紧急", "URGENT";
    CHANNEL_TELEGRAM => "Telegram", "Telegram";
    CHANNEL_PHONE => "电话", "phone";
    CHANNEL_WALK_IN => "来访", "walk-in";
    UNIT_MINUTES => "{n} 分钟", "{n} min";
    UNIT_HOURS => "{n} 小时", "{n} h";
    UNIT_DAYS => "{n} 天", "{n} d";
    ACTOR_OWNER => "业主", "owner";
    ACTOR_SYSTEM => "系统", "system";
    // ---- staff queue: the card ---------------------------------------------
    CARD_TICKET => "工单", "Ticket";
    CARD_UNIT => "房号", "Unit";
    CARD_LOCATION => "位置", "Location";
    CARD_OWNER => "业主", "Owner";
    CARD_PHONE => "电话", "Phone";
    CARD_CHANNEL => "来源", "Reported by";
    CARD_MORE => "（内容较长，发送 /ticket {id} 查看全文）", "(longer; send /ticket {id} for all of it)";
    CARD_PHOTOS => "照片：{n} 张（见下方）", "Photos: {n} (below)";
    CARD_FILED => "报告时间", "Filed";
    CARD_AGO => "{age}前", "{age} ago";
    CARD_DUE_RESPONSE => "响应期限", "Respond by";
    CARD_DUE_RESOLVE => "解决期限", "Resolve by";
    CARD_STATUS => "状态", "Status";
    CARD_APPOINTMENT => "预约上门", "Visit";
    CARD_RATING => "评价", "Rating";
    BUTTON_CLAIM => "认领", "Claim";
    BUTTON_ASSIGN => "指派", "Assign";
    BUTTON_PREV => "« 上一页", "« Previous";
    BUTTON_NEXT => "下一页 »", "Next »";
    // ---- staff queue: answers to staff ---------------------------------------
    STAFF_ONLY =>
        "抱歉，此功能仅限物业工作人员使用。",
        "Sorry, this is only for property office staff.";
    STAFF_ROLE_TOO_LOW =>
        "抱歉，您的角色（{role}）无权执行此操作，需要{needed}或以上。",
        "Sorry, your role ({role}) may not do this; it needs {needed} or above.";
    NEED_TICKET_NUMBER => "请写明工单号，例如 /claim 12", "Please give a ticket number, e.g. /claim 12";
    NO_SUCH_TICKET => "没有工单 {id}。", "There is no ticket {id}.";
    ALREADY_HELD => "工单 {id} 已由 {who} 负责。", "Ticket {id} is already held by {who}.";
    NOT_OPEN => "工单 {id} 当前状态为“{status}”，无法执行此操作。", "Ticket {id} is {status}; that cannot be done now.";
    CLAIMED_BY_YOU => "您已认领工单 {id}。", "You have claimed ticket {id}.";
    QUEUE_EMPTY => "队列里没有待处理的工单。", "The queue is empty.";
    QUEUE_HEADER => "待处理工单 {total} 张（第 {page}/{pages} 页）：", "{total} active tickets (page {page}/{pages}):";
    MINE_EMPTY => "您手上没有进行中的工单。", "You hold no active tickets.";
    MINE_HEADER => "我负责的工单：", "Tickets you hold:";
    RELEASED => "工单 {id} 已放回队列。", "Ticket {id} is back in the queue.";
    NEED_STAFF_REF =>
        "请写明工作人员：工号（#3）、@用户名或姓名，例如 /assign 12 #3",
        "Please name a staff member: number (#3), @username or name, e.g. /assign 12 #3";
    NO_SUCH_STAFF => "找不到工作人员 {who}。", "No staff member {who}.";
    ASSIGNED => "工单 {id} 已交给 {who}。", "Ticket {id} is now with {who}.";
    ASSIGNED_TO_YOU => "工单 {id} 已指派给您：", "Ticket {id} has been assigned to you:";
    PICK_ASSIGNEE => "工单 {id} 交给谁？", "Who should take ticket {id}?";
    NEED_REPLY_TEXT => "请写上回复内容，例如 /reply 12 师傅下午两点上门。", "Please write the reply, e.g. /reply 12 We will come at 2 pm.";
    NO_OWNER_CHAT =>
        "工单 {id} 没有关联业主的 Telegram，无法回复，请电话联系。",
        "Ticket {id} has no owner on Telegram to reply to; please phone them.";
    OWNER_BLOCKED =>
        "业主已屏蔽机器人，回复未发送（工单 {id}）。请电话联系：{phone}",
        "The owner has blocked the bot; the reply was not sent (ticket {id}). Please phone them: {phone}";
    REPLY_SENT => "已回复工单 {id} 的业主。", "Reply sent to the owner of ticket {id}.";
    REPLY_SENT_SPLIT =>
        "已回复工单 {id} 的业主（内容较长，分为 {parts} 条发送）。",
        "Reply sent to the owner of ticket {id} (long, so sent as {parts} messages).";
    NEED_NOTE_TEXT => "请写上备注内容，例如 /note 12 需要联系物业维修班。", "Please write the note, e.g. /note 12 needs the maintenance team.";
    NOTE_SAVED => "已为工单 {id} 添加内部备注（业主不可见）。", "Internal note added to ticket {id} (the owner does not see it).";
    RESOLVED_OK => "工单 {id} 已标记为已解决，已请业主评价。", "Ticket {id} is resolved; the owner has been asked to rate it.";
    REOPENED => "工单 {id} 已重新打开。", "Ticket {id} is reopened.";
    NEED_SCHEDULE_TIME => "请写明时间，例如 /schedule 12 2026-05-01 14:00", "Please give the time, e.g. /schedule 12 2026-05-01 14:00";
    SCHEDULED_OK => "工单 {id} 已预约：{at}。", "Ticket {id} is scheduled for {at}.";
    HISTORY => "处理记录：", "History:";
    NEWTICKET_USAGE =>
        "用法：/newticket 房号 类型 [电话|来访] 内容，例如 /newticket 3-2-1101 报修 电话 厨房水管漏水",
        "Usage: /newticket UNIT KIND [phone|walk-in] TEXT, e.g. /newticket 3-2-1101 repair phone kitchen pipe leaks";
    NO_SUCH_UNIT => "没有房号 {unit}。", "There is no unit {unit}.";
    NEWTICKET_OK => "已登记工单 {id}。", "Ticket {id} filed.";
    STAFF_PRIVATE_ONLY => "人员管理请在与机器人的私聊中进行。", "Please manage staff in a private chat with the bot.";
    STAFF_USAGE =>
        "用法：/staff 列表 · /staff add Telegram编号 角色 姓名 · /staff remove 工号 · /staff role 工号 角色（assistant|butler|supervisor|manager）",
        "Usage: /staff (list) · /staff add TELEGRAM_ID ROLE NAME · /staff remove NO · /staff role NO ROLE (assistant|butler|supervisor|manager)";
    STAFF_LIST => "工作人员：", "Staff:";
    STAFF_SAVED => "已保存：{who}", "Saved: {who}";
    STAFF_REMOVED => "已停用 {who}。", "{who} is deactivated.";
    STAFF_ROLE_SET => "{who} 的角色已改为{role}。", "{who} is now {role}.";
    STAFF_NOT_SELF => "不能停用自己。", "You cannot deactivate yourself.";
    STAFF_LOW_RATING =>
        "⚠️ 工单 {id} 获得 {stars} 星评价，请主管跟进。",
        "⚠️ Ticket {id} was rated {stars} stars; a supervisor should follow up.";
    STAFF_RATING_COMMENT => "工单 {id} 业主评语：{text}", "Owner's comment on ticket {id}: {text}";
    STAFF_OWNER_REOPENED => "业主重新打开了工单 {id}。", "The owner reopened ticket {id}.";
    RELAYED_HEADER => "💬 工单 {id}（{unit}）业主补充：", "💬 Ticket {id} ({unit}), the owner adds:";
    // ---- staff queue: the owner's side --------------------------------------
    PUSH_TAKEN =>
        "您的工单 {id} 已由{who}受理，我们会尽快处理。",
        "Your ticket {id} has been taken up by the {who}. We will be in touch soon.";
    REPLY_HEADER => "{who}（工单 {id}）：", "{who} (ticket {id}):";
    PUSH_SCHEDULED => "工单 {id} 已预约上门时间：{at}。", "Ticket {id}: a visit is booked for {at}.";
    PUSH_REOPENED => "工单 {id} 已重新打开，我们会继续跟进。", "Ticket {id} is reopened; we will follow it up.";
    PUSH_RESOLVED =>
        "您的工单 {id} 已处理完毕。请为本次服务评分（1–5 星）：",
        "Your ticket {id} has been resolved. Please rate our service (1–5 stars):";
    MYTICKETS_EMPTY => "您还没有工单。", "You have no tickets yet.";
    MYTICKETS_HEADER => "您的工单：", "Your tickets:";
    BUTTON_CANCEL_TICKET => "取消 {id}", "Cancel {id}";
    BUTTON_REOPEN_TICKET => "重新打开 {id}", "Reopen {id}";
    BUTTON_SKIP => "跳过", "Skip";
    ASK_CANCEL_REASON => "请简单说明取消工单 {id} 的原因：", "Please tell us briefly why you are cancelling ticket {id}:";
    CANCELLED_OK => "工单 {id} 已取消，感谢您的说明。", "Ticket {id} is cancelled. Thank you for letting us know.";
    CANNOT_CANCEL => "工单 {id} 已无法取消。", "Ticket {id} can no longer be cancelled.";
    CANNOT_REOPEN =>
        "该工单已无法重新打开，如有新问题请重新提交。",
        "This ticket can no longer be reopened; please file a new one.";
    ALREADY_RATED => "您已评价过该工单。", "You have already rated this ticket.";
    ASK_RATING_COMMENT =>
        "谢谢您的评价！如愿意，可以再发一句评语（可选）。",
        "Thank you for rating! You may send a short comment if you like (optional).";
    LOW_RATING_SORRY =>
        "很抱歉这次没能让您满意，主管会跟进。您可以留下意见，或重新打开工单。",
        "We are sorry we did not do better. A supervisor will follow up. You may leave a comment, or reopen the ticket.";
    THANKS_FOR_RATING => "感谢您的反馈！", "Thank you for your feedback!";
    FOLLOW_UP_RELAYED => "已将您的补充信息转给工单 {id} 的负责人。", "We have passed this on to whoever handles ticket {id}.";
    // ---- conversation state: what the bot waits for, and the ways out ---------
    BUTTON_KEEP_TICKET => "不取消，保留 {id}", "Keep {id}";
    CANCEL_NOT_A_REASON =>
        "这不是取消原因。请用文字简单说明为什么取消工单 {id}，或点“保留”。",
        "That is not a reason. Please type briefly why you are cancelling ticket {id}, or press Keep.";
    TICKET_KEPT => "好的，工单 {id} 不取消，我们继续处理。", "OK, ticket {id} stays open and we carry on with it.";
    CANCEL_REASON_EXPIRED =>
        "没有收到取消原因，工单 {id} 没有取消，我们继续处理。",
        "No reason came, so ticket {id} is not cancelled; we carry on with it.";
    RATING_OR_NEW_PROBLEM =>
        "这听起来像是一个新问题，我没有把它记作工单 {id} 的评语。请在下面选择要办理的事项，新建一个请求；如果这就是您对工单 {id} 的评语，请点最后一个按钮。",
        "That sounds like a new problem, so I did not add it as a comment on ticket {id}. Choose below what it is about to start a new request — or, if it was your comment on ticket {id}, press the last button.";
    BUTTON_IT_WAS_MY_COMMENT => "这是我对 {id} 的评语", "It was my comment on {id}";
    REOPEN_OR_NEW =>
        "您的工单 {id}（{kind}）已于 {at} 处理完毕。您说的是这个问题吗？可以重新打开它，或新建一个请求。",
        "Your ticket {id} ({kind}) was resolved on {at}. Is this about it? You can reopen it, or start a new request.";
    BUTTON_NEW_REQUEST => "新的请求", "New request";
    NEW_REQUEST_PICK => "好的，请选择新请求的类型：", "OK — what is the new request about?";
    BROADCAST_DRAFT_EXPIRED =>
        "群发草稿 #{n} 长时间没有完成，已作废，不会发送。需要时请发送 /broadcast 重新开始。",
        "Broadcast draft #{n} was left unfinished and has been discarded; nothing was sent. Send /broadcast to start again.";
    VISIT_NOTE_EXPIRED =>
        "没有收到上门 V{visit} 的备注，结果未登记。需要时请重新发送 /outcome {visit}。",
        "The note for visit V{visit} never came, so its outcome is not recorded. Send /outcome {visit} to record it.";
    VISIT_NOTE_CANCELLED => "好的，上门 V{visit} 的结果未登记。", "OK, the outcome of visit V{visit} is not recorded.";
    VISIT_NOTE_WAY_OUT => "（发送 /cancel 放弃登记）", "(/cancel to stop)";
    // ---- staff queue: deadlines and the digest --------------------------------
    PING_RESPONSE =>
        "⏰ 工单 {id} 已超过响应期限（{due}），仍未认领。",
        "⏰ Ticket {id} is past its respond-by time ({due}) and nobody has taken it.";
    PING_RESOLVE =>
        "⏰ 工单 {id} 已超过解决期限（{due}），负责人：{who}。",
        "⏰ Ticket {id} is past its resolve-by time ({due}); held by {who}.";
    ESCALATION =>
        "🔺 升级：工单 {id}（{kind}，{unit}）已超过解决期限 {due}，负责人：{who}。请主管跟进。",
        "🔺 Escalation: ticket {id} ({kind}, {unit}) passed its resolve-by time {due}; held by {who}. Supervisor, please follow up.";
    NOBODY => "无", "nobody";
    DIGEST_TITLE => "📋 每日简报 {date}", "📋 Daily digest {date}";
    DIGEST_SUGGESTIONS => "意见箱新建议 {n} 条：", "{n} new suggestions in the box:";
    DIGEST_NO_SUGGESTIONS => "意见箱：无新建议。", "Suggestion box: nothing new.";
    DIGEST_ANONYMOUS => "匿名", "anonymous";
    DIGEST_OPEN => "进行中的工单（类型：进行中 / 超期）：", "Active tickets (kind: active / overdue):";
    DIGEST_NO_OPEN => "没有进行中的工单。", "No active tickets.";
    DIGEST_RATINGS => "昨日评价 {n} 条，平均 {avg} 星。", "Yesterday: {n} ratings, average {avg} stars.";
    DIGEST_NO_RATINGS => "昨日没有新的评价。", "No ratings yesterday.";
    SUGGESTION_ACK =>
        "您投递到意见箱的建议，物业客服中心已经阅读。感谢您的宝贵意见！",
        "The property office has read your suggestion. Thank you!";
}

/// `text` with `{name}` replaced by `value` for each pair.
#[must_use]
pub fn fill(text: &str, vars: &[(&str, &str)]) -> String {
    let mut out = text.to_string();
    for (name, value) in vars {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phrase_exists_in_both_languages() {
        for p in ALL {
            assert!(!p.zh.trim().is_empty() && !p.en.trim().is_empty(), "{p:?}");
            assert!(p.zh.chars().count() <= 4096 && p.en.chars().count() <= 4096);
        }
    }

    #[test]
    fn fill_substitutes_named_values() {
        assert_eq!(fill("ref {ref}.", &[("ref", "u42")]), "ref u42.");
    }
}
