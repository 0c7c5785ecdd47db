//! Who is in the demo: the owners, family members and staff the page lets
//! a visitor act as, with fixed Telegram ids so a reload (or a second
//! browser) finds the same chats.

/// The demo bot's token (the stand-in's; Telegram never sees it).
pub const TOKEN: &str = "100000001:DEMO-propdesk-stand-in";
/// The demo bot's @username.
pub const BOT_USERNAME: &str = "propdesk_demo_bot";

/// The staff group's chat id (a supergroup, as a real office's would be).
pub const STAFF_GROUP: i64 = -1_001_000_000_001;
/// The group's title as Telegram shows it.
pub const STAFF_GROUP_TITLE: &str = "物业客服组 · Service desk";

/// What a persona is to the office.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Registered (Telegram linked) owner or family member.
    Resident,
    /// In the estate's records but not yet linked: registers by sharing
    /// their phone.
    Unregistered,
    Staff(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Persona {
    pub telegram_id: i64,
    pub name: &'static str,
    /// The Telegram app's language (`zh-hans`, `en`).
    pub language_code: &'static str,
    /// Their phone as the office has it (residents) — what "share my
    /// phone" sends.
    pub phone: &'static str,
    /// Their units, default first (residents).
    pub units: &'static [&'static str],
    pub role: &'static str,
    pub kind: Kind,
}

impl Persona {
    #[must_use]
    pub fn is_staff(&self) -> bool {
        matches!(self.kind, Kind::Staff(_))
    }

    /// `zh` or `en`.
    #[must_use]
    pub fn lang(&self) -> &'static str {
        if self.language_code.starts_with("en") {
            "en"
        } else {
            "zh"
        }
    }
}

/// Everyone the page offers, residents first.
pub const PERSONAS: &[Persona] = &[
    Persona {
        telegram_id: 7001,
        name: "张伟",
        language_code: "zh-hans",
        phone: "+8613800000101",
        units: &["1-1-0801", "D-07"],
        role: "owner",
        kind: Kind::Resident,
    },
    Persona {
        telegram_id: 7002,
        name: "Emily Chen",
        language_code: "en",
        phone: "+8613800000102",
        units: &["3-2-1101"],
        role: "owner",
        kind: Kind::Resident,
    },
    Persona {
        telegram_id: 7003,
        name: "张小雨",
        language_code: "zh-hans",
        phone: "+8613800000103",
        units: &["1-1-0801"],
        role: "family",
        kind: Kind::Resident,
    },
    Persona {
        telegram_id: 7004,
        name: "李娜",
        language_code: "zh-hans",
        phone: "+8613800000104",
        units: &["2-2-0502"],
        role: "owner",
        kind: Kind::Unregistered,
    },
    Persona {
        telegram_id: 7005,
        name: "David Wong",
        language_code: "en",
        phone: "+8613800000105",
        units: &["3-1-1501"],
        role: "owner",
        kind: Kind::Unregistered,
    },
    Persona {
        telegram_id: 8001,
        name: "王师傅",
        language_code: "zh-hans",
        phone: "",
        units: &[],
        role: "butler",
        kind: Kind::Staff("butler"),
    },
    Persona {
        telegram_id: 8002,
        name: "刘师傅",
        language_code: "zh-hans",
        phone: "",
        units: &[],
        role: "butler",
        kind: Kind::Staff("butler"),
    },
    Persona {
        telegram_id: 8003,
        name: "李主管",
        language_code: "zh-hans",
        phone: "",
        units: &[],
        role: "supervisor",
        kind: Kind::Staff("supervisor"),
    },
    Persona {
        telegram_id: 8004,
        name: "赵助理",
        language_code: "zh-hans",
        phone: "",
        units: &[],
        role: "assistant",
        kind: Kind::Staff("assistant"),
    },
    Persona {
        telegram_id: 8005,
        name: "Grace Lin",
        language_code: "en",
        phone: "",
        units: &[],
        role: "manager",
        kind: Kind::Staff("manager"),
    },
];

/// The persona with this Telegram id.
#[must_use]
pub fn find(telegram_id: i64) -> Option<&'static Persona> {
    PERSONAS.iter().find(|p| p.telegram_id == telegram_id)
}
