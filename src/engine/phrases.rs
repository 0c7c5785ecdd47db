//! Every text the engine says on its own (not from a dialogue file), in both
//! languages, in one place so the office can review the wording.

use crate::i18n::Lang;

/// A built-in text. Placeholders in `{braces}` are filled by [`fill`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phrase {
    Back,
    Cancel,
    Cancelled,
    Expired,
    Skip,
    Done,
    Yes,
    No,
    TalkToStaff,
    KeepTrying,
    HumanOffer,
    HandedOff,
    SomethingWrong,
    PleaseWait,
    Restarted,
    ShareContact,
    ShareLocation,
    NavHint,
    Received,
    ContactNotOwn,
    RetryChoice,
    RetryText,
    RetryNumber,
    RetryDate,
    RetryPhoto,
    RetryPhotoOptional,
    RetryLocation,
    RetryContact,
    RetryYesNo,
    RetryRating,
    TooShort,
    TooLong,
    NoLetters,
    PatternMismatch,
    NumberOutOfRange,
    PhotosReceived,
    PhotosTrimmed,
    DayPassed,
    Morning,
    Afternoon,
    Empty,
}

impl Phrase {
    /// The text in `lang`, placeholders still in braces.
    #[must_use]
    pub fn get(self, lang: Lang) -> &'static str {
        let (zh, en) = self.pair();
        match lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    fn pair(self) -> (&'static str, &'static str) {
        match self {
            Phrase::Back => ("« 返回", "« Back"),
            Phrase::Cancel => ("✖ 取消", "✖ Cancel"),
            Phrase::Cancelled => (
                "已取消。需要时可随时从菜单重新开始。",
                "Cancelled. You can start again from the menu at any time.",
            ),
            Phrase::Expired => (
                "这个按钮已过期，请使用最新消息中的按钮。",
                "This button has expired. Please use the buttons in the latest message.",
            ),
            Phrase::Skip => ("跳过", "Skip"),
            Phrase::Done => ("完成", "Done"),
            Phrase::Yes => ("是", "Yes"),
            Phrase::No => ("否", "No"),
            Phrase::TalkToStaff => ("转人工客服", "Talk to staff"),
            Phrase::KeepTrying => ("继续尝试", "Keep trying"),
            Phrase::HumanOffer => (
                "好像不太顺利。需要转给物业客服人员处理吗？",
                "This does not seem to be working. Would you like a member of staff to help?",
            ),
            Phrase::HandedOff => (
                "已转给客服人员，我们会尽快联系您。参考编号：{ticket_no}",
                "A member of staff will contact you soon. Reference: {ticket_no}",
            ),
            Phrase::SomethingWrong => (
                "抱歉，系统出了点问题，请稍后再试，或致电物业服务中心。",
                "Sorry, something went wrong on our side. Please try again later or call the office.",
            ),
            Phrase::PleaseWait => ("正在处理，请稍候……", "One moment please, we are still working on it…"),
            Phrase::Restarted => (
                "这个流程刚刚更新过，我们从头开始。",
                "This form has just been updated, so we are starting again from the beginning.",
            ),
            Phrase::ShareContact => ("📱 分享我的手机号", "📱 Share my phone number"),
            Phrase::ShareLocation => ("📍 发送位置", "📍 Send location"),
            Phrase::NavHint => ("也可以：", "Or you can:"),
            Phrase::Received => ("收到，谢谢。", "Received, thank you."),
            Phrase::ContactNotOwn => (
                "为保护住户信息，只能分享您本人的号码。请点击下方“分享我的手机号”按钮，不要转发他人的名片。",
                "To protect residents' data we can only accept your own number. Please press “Share my phone number” below instead of forwarding someone else's contact.",
            ),
            Phrase::RetryChoice => ("请点击上面的一个按钮。", "Please press one of the buttons."),
            Phrase::RetryText => ("请用文字回复。", "Please reply with a text message."),
            Phrase::RetryNumber => ("请输入一个数字。", "Please type a number."),
            Phrase::RetryDate => ("请点击按钮选择时间。", "Please pick a time with the buttons."),
            Phrase::RetryPhoto => ("请发送照片。", "Please send a photo."),
            Phrase::RetryPhotoOptional => ("请发送照片，或点击“跳过”。", "Please send a photo, or press Skip."),
            Phrase::RetryLocation => (
                "请点击“发送位置”按钮分享位置。",
                "Please press “Send location” to share a location.",
            ),
            Phrase::RetryContact => (
                "请点击下方“分享我的手机号”按钮，无需手动输入号码。",
                "Please press “Share my phone number” below; there is no need to type it.",
            ),
            Phrase::RetryYesNo => ("请点击“是”或“否”。", "Please press Yes or No."),
            Phrase::RetryRating => ("请点击 1 到 5 分中的一个。", "Please press a score from 1 to 5."),
            Phrase::TooShort => (
                "内容太短了，请至少写 {min} 个字。",
                "That is a bit short; please write at least {min} characters.",
            ),
            Phrase::TooLong => (
                "内容太长了：您写了 {len} 个字，上限是 {max} 个字。请精简后再发送。",
                "That is too long: your message has {len} characters and the limit is {max}. Please shorten it and send it again.",
            ),
            Phrase::NoLetters => (
                "请用文字描述，只有表情符号我们无法处理。",
                "Please describe it in words; we cannot work with emoji alone.",
            ),
            Phrase::PatternMismatch => (
                "格式不对，请参照示例：{example}",
                "That does not look right. Please follow the example: {example}",
            ),
            Phrase::NumberOutOfRange => (
                "请输入 {min} 到 {max} 之间的数字。",
                "Please type a number from {min} to {max}.",
            ),
            Phrase::PhotosReceived => (
                "已收到 {n} 张照片（最多 {max} 张）。可继续发送，或点击“完成”。",
                "Received {n} photo(s) (up to {max}). Send more, or press Done.",
            ),
            Phrase::PhotosTrimmed => (
                "最多只能收 {max} 张照片，我们保留了前 {max} 张。",
                "We can take at most {max} photos, so we kept the first {max}.",
            ),
            Phrase::DayPassed => (
                "这个时间已经过去了，请重新选择。",
                "That time has already passed; please pick again.",
            ),
            Phrase::Morning => ("上午", "morning"),
            Phrase::Afternoon => ("下午", "afternoon"),
            Phrase::Empty => ("—", "—"),
        }
    }
}

/// Replaces `{name}` placeholders of a built-in text.
#[must_use]
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_long_names_the_limit_and_the_length() {
        let t = fill(
            Phrase::TooLong.get(Lang::En),
            &[("len", "5000"), ("max", "2000")],
        );
        assert!(t.contains("5000") && t.contains("2000"));
    }
}
