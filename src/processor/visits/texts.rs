//! The texts of visits and survey campaigns, in Chinese and English.

use crate::texts::Phrase;

macro_rules! phrases {
    ($($name:ident => $zh:expr, $en:expr;)*) => {
        $(pub const $name: Phrase = Phrase { zh: $zh, en: $en };)*
        /// Every phrase, for the completeness test.
        pub const ALL: &[Phrase] = &[$($name),*];
    };
}

phrases! {
    VISIT_USAGE =>
        "用法：/visit 工单号（选择时段），或 /visit 工单号 2026-12-01 10:00；\
         走访住户：/visit unit 3-2-1101 [2026-12-01 10:00]",
        "Usage: /visit N (ticket number) to pick a time, or /visit N 2026-12-01 10:00; \
         a visit to an owner without a ticket: /visit unit 3-2-1101 [2026-12-01 10:00]";
    VISIT_PICK_SLOT => "请选择上门时间（{what}）：", "Pick a time for the visit ({what}):";
    VISIT_NO_SLOTS =>
        "近期没有可选时段，请用 /visit {arg} 2026-12-01 10:00 指定时间。",
        "There are no slots to offer; give a time: /visit {arg} 2026-12-01 10:00";
    VISIT_BAD_TIME =>
        "无法识别时间“{when}”，请写成 2026-12-01 10:00。",
        "I could not read the time \"{when}\"; write it like 2026-12-01 10:00.";
    VISIT_PAST =>
        "{at} 已经过去了，请选择以后的时间。",
        "{at} is in the past; please choose a time ahead.";
    VISIT_OUTSIDE_HOURS =>
        "{at} 不在办公时间（{open}–{close}）内，请另选时间。",
        "{at} is outside office hours ({open}–{close}); please choose a time within them.";
    VISIT_TICKET_CLOSED =>
        "工单 {id} 状态为“{status}”，只有进行中的工单可以预约上门。",
        "Ticket {id} is {status}; only an active ticket can have a visit.";
    VISIT_PROPOSED_STAFF =>
        "已向业主提议上门 V{visit}（{what}）：{at}，等待业主确认。",
        "Visit V{visit} ({what}) proposed for {at}; waiting for the owner to confirm.";
    VISIT_BOOKED_NO_OWNER =>
        "已预约上门 V{visit}（{what}）：{at}。该房号没有住户使用本机器人，请电话通知业主。",
        "Visit V{visit} ({what}) booked for {at}. Nobody of the unit uses the bot; please phone the owner.";
    VISIT_CONFIRMED_STAFF =>
        "业主已确认上门 V{visit}（{what}）：{at}。",
        "The owner confirmed visit V{visit} ({what}) at {at}.";
    VISIT_WANTS_OTHER_STAFF =>
        "业主希望改期上门 V{visit}（{what}，原定 {at}），已为其提供其他时段。",
        "The owner asked to reschedule visit V{visit} ({what}, was {at}); they were offered other times.";
    VISIT_MOVED_BY_OWNER_STAFF =>
        "业主已将上门 V{visit}（{what}）改到 {at}。",
        "The owner moved visit V{visit} ({what}) to {at}.";
    VISIT_STAFF_REMINDER =>
        "⏰ 1 小时后上门 V{visit}（{what}）：{at}。结束后请登记结果：/outcome V{visit}",
        "⏰ In one hour: visit V{visit} ({what}) at {at}. Afterwards record the outcome: /outcome V{visit}";
    VISIT_PROPOSED_OWNER_TICKET =>
        "🔧 物业客服拟于 {at} 上门处理您的工单 {id}（{unit}）。这个时间方便吗？",
        "🔧 The property office proposes to visit on {at} about your ticket {id} ({unit}). Does this time suit you?";
    VISIT_PROPOSED_OWNER_UNIT =>
        "👋 物业客服拟于 {at} 到府走访（{unit}），听取您的意见和建议。这个时间方便吗？",
        "👋 The property office would like to visit you ({unit}) on {at} to hear your opinions. Does this time suit you?";
    BUTTON_CONFIRM => "✅ 确认", "✅ Confirm";
    BUTTON_RESCHEDULE => "🕒 换个时间", "🕒 Another time";
    VISIT_CONFIRMED_OWNER =>
        "好的，上门时间已确认：{at}。我们会在前一天和提前 1 小时提醒您。",
        "Thank you! The visit is confirmed for {at}. We will remind you the day before and an hour before.";
    VISIT_PICK_OTHER_OWNER =>
        "请选择您方便的时间。如都不合适，请致电物业服务中心 {phone}。",
        "Which of these times suits you? If none does, please call the office on {phone}.";
    VISIT_MOVED_OWNER =>
        "好的，上门时间已改为 {at}。我们会提前提醒您。",
        "Done: the visit is now on {at}. We will remind you before it.";
    VISIT_ALREADY_CONFIRMED => "这次上门已确认：{at}。", "This visit is already confirmed for {at}.";
    VISIT_GONE => "这次上门已不在计划中。", "This visit is no longer planned.";
    VISIT_SLOT_GONE =>
        "这个时间已不可选，请选择其他时间。",
        "That time can no longer be chosen; please pick another.";
    VISIT_OWNER_REMINDER_24H =>
        "⏰ 提醒：物业客服将于明天 {at} 上门（{what}）。如需改期请尽早联系我们。",
        "⏰ Reminder: the property office visits you tomorrow, {at} ({what}). If that no longer suits you, please tell us soon.";
    VISIT_OWNER_REMINDER_1H =>
        "⏰ 提醒：物业客服约 1 小时后上门，时间 {at}（{what}）。",
        "⏰ Reminder: the property office visits you in about an hour, at {at} ({what}).";
    OUTCOME_USAGE =>
        "用法：/outcome 工单号 或 /outcome V上门编号，可接 done|absent|followup 和备注。",
        "Usage: /outcome N (ticket) or /outcome V5 (visit), optionally followed by done|absent|followup and a note.";
    OUTCOME_PICK => "上门 V{visit}（{what}，{at}）的结果：", "Outcome of visit V{visit} ({what}, {at}):";
    BUTTON_OUTCOME_DONE => "✅ 已完成", "✅ Done";
    BUTTON_OUTCOME_ABSENT => "🚪 业主不在", "🚪 Owner absent";
    BUTTON_OUTCOME_FOLLOW_UP => "📌 需要跟进", "📌 Follow-up needed";
    OUTCOME_ASK_NOTE =>
        "请发送一句简短备注（或发送 /skip 跳过）。",
        "Send a short note on the visit (or /skip).";
    OUTCOME_ASK_FOLLOW_UP =>
        "需要哪个部门跟进什么？例如“绿化: 树枝挡住窗户”。将据此新建工单。",
        "What needs following up, by which department? For example \"green areas: a branch blocks the window\". It becomes a new ticket.";
    OUTCOME_RECORDED => "上门 V{visit} 的结果已登记：{outcome}。", "Outcome of visit V{visit} recorded: {outcome}.";
    OUTCOME_FOLLOW_UP_FILED =>
        "上门 V{visit} 的结果已登记：需要跟进，已新建工单 {ticket}。",
        "Outcome of visit V{visit} recorded: follow-up needed; ticket {ticket} filed.";
    OUTCOME_ALREADY => "上门 V{visit} 的结果已经登记过了。", "Visit V{visit} already has its outcome recorded.";
    OUTCOME_NONE => "{what} 没有等待登记结果的上门。", "There is no visit waiting for an outcome for {what}.";
    OUTCOME_NOT_YOURS =>
        "上门 V{visit} 由 {who} 负责，只有本人或主管可以登记结果。",
        "Visit V{visit} is {who}'s; only they or a supervisor may record its outcome.";
    OUTCOME_DONE => "已完成", "done";
    OUTCOME_ABSENT => "业主不在", "owner absent";
    OUTCOME_FOLLOW_UP => "需要跟进", "follow-up needed";
    NO_SUCH_VISIT => "没有上门记录 {what}。", "There is no visit {what}.";
    SURVEY_USAGE =>
        "用法：/survey start 2026Q4 —— 开启本季度满意度调查并邀请所有已登记的房号。",
        "Usage: /survey start 2026Q4 — open the quarter's survey and invite every registered unit.";
    SURVEY_BAD_CODE =>
        "“{code}”不是季度编号，请写成 2026Q4。",
        "\"{code}\" is not a quarter; write it like 2026Q4.";
    SURVEY_STARTED =>
        "满意度调查 {code} 已开启：{n} 个房号将于 {when} 收到邀请。未作答的房号最多再提醒两次，间隔 {days} 天。",
        "Survey {code} is open: {n} units will be invited {when}. Units that have not answered get at most two reminders, {days} days apart.";
    SURVEY_RUNNING =>
        "满意度调查 {code} 已在进行中；新登记的 {n} 个房号将收到邀请。",
        "Survey {code} is already running; {n} newly registered units will be invited.";
    WHEN_NOW => "现在", "now";
    SURVEY_INVITE =>
        "📋 物业服务中心 {code} 季度满意度调查开始了（房号 {unit}）。共 6 个问题，约 2 分钟。您的意见决定我们的改进方向！",
        "📋 The property office's satisfaction survey {code} is open for your unit {unit}. Six quick questions, about two minutes. Your opinion shapes our service!";
    SURVEY_REMINDER =>
        "📋 温馨提醒：房号 {unit} 的 {code} 满意度调查还在等您作答，约 2 分钟即可完成。",
        "📋 A gentle reminder: the satisfaction survey {code} for unit {unit} is still waiting for your answers. It takes about two minutes.";
    BUTTON_TAKE_SURVEY => "📝 开始填写", "📝 Take the survey";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phrase_exists_in_both_languages() {
        for p in ALL {
            assert!(!p.zh.trim().is_empty() && !p.en.trim().is_empty(), "{p:?}");
        }
    }
}
