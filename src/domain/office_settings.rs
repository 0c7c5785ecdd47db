//! Office settings: what a manager changes while the bot runs (office hours,
//! visit slots, digest time, reopen window, deadlines, quiet hours …). The
//! table `office_settings` holds only the keys someone changed; every other
//! key has its default from [`specs`], stated once here. Readers call
//! [`load`] where they use a value, so every replica sees a change at once;
//! [`set`] validates, writes and records who changed what in
//! `office_settings_audit`.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use anyhow::Context;
use chrono::NaiveTime;
use sqlx::PgConnection;

use crate::domain::departments::Department;
use crate::domain::quiet_hours::QuietHours;
use crate::domain::routes::{self, Route};
use crate::domain::tickets::{Deadline, Priority, TicketKind};
use crate::i18n::Lang;
use crate::texts::{self, fill};

/// The longest deadline a ticket may get (90 days, in minutes).
const MAX_DEADLINE_MINUTES: u32 = 90 * 24 * 60;

/// Common areas a phone ticket may be for, until the office names its own.
const DEFAULT_COMMON_AREAS: &[&str] = &[
    "大堂",
    "B1车库",
    "B2车库",
    "1号电梯",
    "2号电梯",
    "3号电梯",
    "花园",
    "会所",
];
/// At most this many common areas (they become buttons), of at most this
/// many characters each.
const MAX_COMMON_AREAS: usize = 30;
const MAX_COMMON_AREA_CHARS: usize = 30;

/// One parsed setting value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Time(NaiveTime),
    Range(NaiveTime, NaiveTime),
    Number(u32),
    /// A day of the month, or off.
    Day(Option<u32>),
    Deadline(Deadline),
    Language(Lang),
    /// Names, in the order given.
    List(Vec<String>),
    /// A Telegram group (or one topic of a forum group), or none.
    Chat(Option<StaffPlace>),
    /// Which tickets a department takes, in the order given.
    Routes(Vec<Route>),
}

/// What values a key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `HH:MM`.
    Time,
    /// `HH:MM-HH:MM`; `ordered`: the first earlier (office hours), else it
    /// may span midnight and an empty range turns it off (quiet hours).
    Range { ordered: bool },
    /// A whole number in `min..=max`.
    Number { min: u32, max: u32 },
    /// A day of the month in `1..=max`, or `off`.
    DayOrOff { max: u32 },
    /// `RESPONSE/RESOLVE`, each a number with `m`, `h` or `d` (bare: minutes).
    Deadline,
    /// A language code the catalogue offers (`zh`, `en`).
    Language,
    /// Names separated by commas (`,` `，` `、`), at most `items` of at most
    /// `chars` characters each; `-` for none.
    List { items: usize, chars: usize },
    /// A group's chat id (negative, as Telegram gives it), or `-` for none.
    Chat,
    /// Routes (`repair`, `complaint/security`) separated by commas, or `-`.
    Routes,
}

/// One office setting: its key, what it takes, its default and meaning.
#[derive(Debug, Clone)]
pub struct Spec {
    pub key: String,
    pub kind: Kind,
    pub default: Value,
    meaning: Meaning,
}

#[derive(Debug, Clone, Copy)]
enum Meaning {
    Plain(texts::Phrase),
    Deadline(TicketKind, Priority),
    DepartmentChat(Department),
    DepartmentRoutes(Department),
}

/// Where a department's tickets go: a staff group, or one topic of a forum
/// group (`-1001234567890/45`, the topic's thread id after the slash).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffPlace {
    pub chat: i64,
    pub topic: Option<i32>,
}

impl StaffPlace {
    /// `-1001234567890` or `-1001234567890/45`.
    #[must_use]
    pub fn parse(text: &str) -> Option<StaffPlace> {
        let (chat, topic) = match text.split_once('/') {
            Some((chat, topic)) => (chat, Some(topic.trim().parse::<i32>().ok()?)),
            None => (text, None),
        };
        let chat = chat.trim().parse::<i64>().ok().filter(|id| *id < 0)?;
        // Thread 1 is General, which takes no message_thread_id.
        if topic.is_some_and(|t| t <= 1) {
            return None;
        }
        Some(StaffPlace { chat, topic })
    }
}

impl fmt::Display for StaffPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.topic {
            Some(topic) => write!(f, "{}/{topic}", self.chat),
            None => write!(f, "{}", self.chat),
        }
    }
}

/// The key of a department's staff chat setting: `department.engineering.chat`.
#[must_use]
pub fn department_chat_key(d: Department) -> String {
    format!("department.{}.chat", d.as_str())
}

/// The key of a department's routes setting: `department.engineering.routes`.
#[must_use]
pub fn department_routes_key(d: Department) -> String {
    format!("department.{}.routes", d.as_str())
}

/// Which tickets a department takes until the office says otherwise.
fn default_routes(d: Department) -> Vec<Route> {
    let texts: &[&str] = match d {
        Department::Service => &[],
        Department::Engineering => &["repair"],
        Department::Security => &["complaint/security"],
        Department::Cleaning => &["complaint/cleaning"],
    };
    texts.iter().filter_map(|t| Route::parse(t)).collect()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

/// Today's deadlines (minutes): per priority, and the kinds that differ.
fn default_deadline(kind: TicketKind, priority: Priority) -> Deadline {
    let (response, resolve) = match (kind, priority) {
        (TicketKind::Consultation, Priority::Normal) => (120, 1440),
        (TicketKind::Suggestion, Priority::Normal) => (1440, 10080),
        (TicketKind::Suggestion, Priority::Low) => (2880, 20160),
        (_, Priority::Urgent) => (30, 240),
        (_, Priority::High) => (60, 720),
        (_, Priority::Normal) => (240, 2880),
        (_, Priority::Low) => (1440, 10080),
    };
    Deadline {
        response_minutes: response,
        resolve_minutes: resolve,
    }
}

/// The key of a deadline setting, e.g. `deadline.repair.urgent`.
#[must_use]
pub fn deadline_key(kind: TicketKind, priority: Priority) -> String {
    format!("deadline.{}.{}", kind.as_str(), priority.as_str())
}

static SPECS: LazyLock<Vec<Spec>> = LazyLock::new(|| {
    let plain = |key: &str, kind: Kind, default: Value, meaning: texts::Phrase| Spec {
        key: key.to_string(),
        kind,
        default,
        meaning: Meaning::Plain(meaning),
    };
    let mut specs = vec![
        plain(
            "office_hours",
            Kind::Range { ordered: true },
            Value::Range(hm(9, 0), hm(18, 0)),
            texts::SETTING_OFFICE_HOURS,
        ),
        plain(
            "visit_morning_slot",
            Kind::Time,
            Value::Time(hm(9, 0)),
            texts::SETTING_VISIT_MORNING_SLOT,
        ),
        plain(
            "visit_afternoon_slot",
            Kind::Time,
            Value::Time(hm(14, 0)),
            texts::SETTING_VISIT_AFTERNOON_SLOT,
        ),
        plain(
            "visit_slot_days",
            Kind::Number { min: 1, max: 7 },
            Value::Number(3),
            texts::SETTING_VISIT_SLOT_DAYS,
        ),
        plain(
            "digest_time",
            Kind::Time,
            Value::Time(hm(9, 0)),
            texts::SETTING_DIGEST_TIME,
        ),
        plain(
            "reopen_days",
            Kind::Number { min: 0, max: 90 },
            Value::Number(7),
            texts::SETTING_REOPEN_DAYS,
        ),
        plain(
            "ping_interval_minutes",
            Kind::Number { min: 1, max: 1440 },
            Value::Number(60),
            texts::SETTING_PING_INTERVAL,
        ),
        plain(
            "quiet_hours",
            Kind::Range { ordered: false },
            Value::Range(hm(21, 0), hm(8, 0)),
            texts::SETTING_QUIET_HOURS,
        ),
        plain(
            "reminder_day",
            Kind::Number { min: 1, max: 28 },
            Value::Number(5),
            texts::SETTING_REMINDER_DAY,
        ),
        plain(
            "reminder_time",
            Kind::Time,
            Value::Time(hm(10, 0)),
            texts::SETTING_REMINDER_TIME,
        ),
        plain(
            "survey_reminder_days",
            Kind::Number { min: 1, max: 30 },
            Value::Number(3),
            texts::SETTING_SURVEY_REMINDER_DAYS,
        ),
        plain(
            "survey_auto_day",
            Kind::DayOrOff { max: 28 },
            Value::Day(None),
            texts::SETTING_SURVEY_AUTO_DAY,
        ),
        plain(
            "tickets_per_day",
            Kind::Number { min: 1, max: 100 },
            Value::Number(5),
            texts::SETTING_TICKETS_PER_DAY,
        ),
        plain(
            "staff_language",
            Kind::Language,
            Value::Language(Lang::Zh),
            texts::desk::SETTING_STAFF_LANGUAGE,
        ),
        plain(
            "common_areas",
            Kind::List {
                items: MAX_COMMON_AREAS,
                chars: MAX_COMMON_AREA_CHARS,
            },
            Value::List(
                DEFAULT_COMMON_AREAS
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            ),
            texts::desk::SETTING_COMMON_AREAS,
        ),
        plain(
            "follow_up_hours",
            Kind::Number { min: 1, max: 168 },
            Value::Number(24),
            texts::desk::SETTING_FOLLOW_UP_HOURS,
        ),
        plain(
            "invite_hours",
            Kind::Number { min: 1, max: 720 },
            Value::Number(72),
            texts::household::SETTING_INVITE_HOURS,
        ),
    ];
    for d in Department::ALL {
        specs.push(Spec {
            key: department_chat_key(d),
            kind: Kind::Chat,
            default: Value::Chat(None),
            meaning: Meaning::DepartmentChat(d),
        });
        specs.push(Spec {
            key: department_routes_key(d),
            kind: Kind::Routes,
            default: Value::Routes(default_routes(d)),
            meaning: Meaning::DepartmentRoutes(d),
        });
    }
    for kind in TicketKind::ALL {
        for priority in Priority::ALL.iter().rev() {
            specs.push(Spec {
                key: deadline_key(*kind, *priority),
                kind: Kind::Deadline,
                default: Value::Deadline(default_deadline(*kind, *priority)),
                meaning: Meaning::Deadline(*kind, *priority),
            });
        }
    }
    specs
});

/// Every office setting, in the order `show` lists them.
#[must_use]
pub fn specs() -> &'static [Spec] {
    &SPECS
}

/// The spec of `key`, if there is such a setting.
#[must_use]
pub fn spec(key: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.key == key)
}

impl Spec {
    /// One line on what the setting does.
    #[must_use]
    pub fn meaning(&self, lang: Lang) -> String {
        match self.meaning {
            Meaning::Plain(p) => p.get(lang).to_string(),
            Meaning::Deadline(kind, priority) => fill(
                texts::SETTING_DEADLINE.get(lang),
                &[
                    ("kind", kind.label(lang)),
                    ("priority", priority.label(lang)),
                ],
            ),
            Meaning::DepartmentChat(d) => {
                texts::departments::SETTING_CHAT.fill(lang, &[("department", d.label(lang))])
            }
            Meaning::DepartmentRoutes(d) => {
                texts::departments::SETTING_ROUTES.fill(lang, &[("department", d.label(lang))])
            }
        }
    }

    /// Parses `text` as a value of this setting.
    pub fn parse(&self, text: &str) -> Result<Value, SetError> {
        let bad = || SetError::BadValue {
            key: self.key.clone(),
            kind: self.kind,
        };
        let text = text.trim();
        match self.kind {
            Kind::Time => parse_time(text).map(Value::Time).ok_or_else(bad),
            Kind::Range { ordered } => {
                let (a, b) = text.split_once('-').ok_or_else(bad)?;
                let (a, b) = (
                    parse_time(a).ok_or_else(bad)?,
                    parse_time(b).ok_or_else(bad)?,
                );
                if ordered && a >= b {
                    return Err(bad());
                }
                Ok(Value::Range(a, b))
            }
            Kind::Number { min, max } => match text.parse::<u32>() {
                Ok(n) if (min..=max).contains(&n) => Ok(Value::Number(n)),
                _ => Err(bad()),
            },
            Kind::DayOrOff { max } => {
                if text.eq_ignore_ascii_case("off") {
                    return Ok(Value::Day(None));
                }
                match text.parse::<u32>() {
                    Ok(n) if (1..=max).contains(&n) => Ok(Value::Day(Some(n))),
                    _ => Err(bad()),
                }
            }
            Kind::Deadline => {
                let (a, b) = text.split_once('/').ok_or_else(bad)?;
                let response = parse_minutes(a).ok_or_else(bad)?;
                let resolve = parse_minutes(b).ok_or_else(bad)?;
                if response == 0 || resolve < response || resolve > MAX_DEADLINE_MINUTES {
                    return Err(bad());
                }
                Ok(Value::Deadline(Deadline {
                    response_minutes: response,
                    resolve_minutes: resolve,
                }))
            }
            Kind::Language => Lang::parse(&text.to_ascii_lowercase())
                .map(Value::Language)
                .ok_or_else(bad),
            Kind::List { items, chars } => {
                if text == "-" {
                    return Ok(Value::List(Vec::new()));
                }
                let names: Vec<String> = text
                    .split([',', '，', '、'])
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_string)
                    .collect();
                let fits = |n: &String| n.chars().count() <= chars;
                if names.is_empty() || names.len() > items || !names.iter().all(fits) {
                    return Err(bad());
                }
                Ok(Value::List(names))
            }
            Kind::Chat => match text {
                "-" => Ok(Value::Chat(None)),
                _ => StaffPlace::parse(text)
                    .map(|p| Value::Chat(Some(p)))
                    .ok_or_else(bad),
            },
            Kind::Routes => {
                if text == "-" {
                    return Ok(Value::Routes(Vec::new()));
                }
                let routes: Option<Vec<Route>> = text
                    .split([',', '，', '、'])
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(Route::parse)
                    .collect();
                match routes {
                    Some(rs) if !rs.is_empty() => Ok(Value::Routes(rs)),
                    _ => Err(bad()),
                }
            }
        }
    }
}

/// `HH:MM` (one or two digits for the hour).
fn parse_time(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()
}

/// `90`, `90m`, `4h` or `2d`, in minutes.
fn parse_minutes(text: &str) -> Option<u32> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&text[..i], c.to_ascii_lowercase()),
        _ => (text, 'm'),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u32 = number.parse().ok()?;
    let factor = match unit {
        'm' => 1,
        'h' => 60,
        'd' => 24 * 60,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// Minutes in the largest unit that divides them: `30m`, `4h`, `2d`.
fn show_minutes(m: u32) -> String {
    if m > 0 && m.is_multiple_of(24 * 60) {
        format!("{}d", m / (24 * 60))
    } else if m > 0 && m.is_multiple_of(60) {
        format!("{}h", m / 60)
    } else {
        format!("{m}m")
    }
}

impl fmt::Display for Value {
    /// The canonical text, which [`Spec::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Time(t) => write!(f, "{}", t.format("%H:%M")),
            Value::Range(a, b) => write!(f, "{}-{}", a.format("%H:%M"), b.format("%H:%M")),
            Value::Number(n) => write!(f, "{n}"),
            Value::Day(Some(d)) => write!(f, "{d}"),
            Value::Day(None) => f.write_str("off"),
            Value::Deadline(d) => write!(
                f,
                "{}/{}",
                show_minutes(d.response_minutes),
                show_minutes(d.resolve_minutes)
            ),
            Value::Language(lang) => f.write_str(lang.code()),
            Value::List(names) if names.is_empty() => f.write_str("-"),
            Value::List(names) => f.write_str(&names.join(", ")),
            Value::Chat(None) => f.write_str("-"),
            Value::Chat(Some(place)) => write!(f, "{place}"),
            Value::Routes(rs) if rs.is_empty() => f.write_str("-"),
            Value::Routes(rs) => {
                let rs: Vec<String> = rs.iter().map(ToString::to_string).collect();
                f.write_str(&rs.join(", "))
            }
        }
    }
}

/// Why `set` changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetError {
    #[error("there is no setting {0:?}")]
    UnknownKey(String),
    #[error("{key} does not take that value")]
    BadValue { key: String, kind: Kind },
}

impl SetError {
    /// One sentence saying what is allowed (and that nothing changed).
    #[must_use]
    pub fn sentence(&self, lang: Lang) -> String {
        match self {
            SetError::UnknownKey(key) => fill(texts::SETTING_UNKNOWN.get(lang), &[("key", key)]),
            SetError::BadValue { key, kind } => {
                let allowed = match *kind {
                    Kind::Time => texts::SETTING_ALLOWED_TIME.get(lang).to_string(),
                    Kind::Range { ordered: true } => {
                        texts::SETTING_ALLOWED_HOURS.get(lang).to_string()
                    }
                    Kind::Range { ordered: false } => {
                        texts::SETTING_ALLOWED_QUIET.get(lang).to_string()
                    }
                    Kind::Number { min, max } => fill(
                        texts::SETTING_ALLOWED_NUMBER.get(lang),
                        &[("min", &min.to_string()), ("max", &max.to_string())],
                    ),
                    Kind::DayOrOff { max } => fill(
                        texts::SETTING_ALLOWED_DAY.get(lang),
                        &[("max", &max.to_string())],
                    ),
                    Kind::Deadline => fill(
                        texts::SETTING_ALLOWED_DEADLINE.get(lang),
                        &[("max", &show_minutes(MAX_DEADLINE_MINUTES))],
                    ),
                    Kind::Language => {
                        let codes: Vec<&str> = Lang::ALL.iter().map(|l| l.code()).collect();
                        texts::desk::SETTING_ALLOWED_LANGUAGE
                            .fill(lang, &[("codes", &codes.join(", "))])
                    }
                    Kind::List { items, chars } => texts::desk::SETTING_ALLOWED_LIST.fill(
                        lang,
                        &[("items", &items.to_string()), ("chars", &chars.to_string())],
                    ),
                    Kind::Chat => texts::departments::SETTING_ALLOWED_CHAT
                        .get(lang)
                        .to_string(),
                    Kind::Routes => {
                        let kinds: Vec<&str> = TicketKind::ALL.iter().map(|k| k.as_str()).collect();
                        texts::departments::SETTING_ALLOWED_ROUTES
                            .fill(lang, &[("kinds", &kinds.join(", "))])
                    }
                };
                fill(
                    texts::SETTING_BAD_VALUE.get(lang),
                    &[("key", key), ("allowed", &allowed)],
                )
            }
        }
    }
}

/// The settings in force, typed for their readers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeSettings {
    /// Visits start at or after the first time and before the second.
    pub office_hours: (NaiveTime, NaiveTime),
    pub visit_morning_slot: NaiveTime,
    pub visit_afternoon_slot: NaiveTime,
    /// Working days `/visit N` offers slots on.
    pub visit_slot_days: u32,
    /// Local time of the daily digest.
    pub digest_time: NaiveTime,
    /// Days an owner may reopen a resolved ticket; then it closes.
    pub reopen_days: u32,
    /// Least minutes between two overdue pings of one ticket.
    pub ping_interval_minutes: u32,
    /// When nothing non-urgent goes to owners: broadcasts, arrears
    /// reminders, survey messages.
    pub quiet_hours: QuietHours,
    /// Day of the month (1–28) and local time arrears reminders go out.
    pub reminder_day: u32,
    pub reminder_time: NaiveTime,
    pub survey_reminder_days: u32,
    /// The quarterly survey starts by itself on this day of the quarter's
    /// first month (None: only by `/survey start`).
    pub survey_auto_day: Option<u32>,
    /// Tickets one owner may file in a (local) day.
    pub tickets_per_day: u32,
    /// The language of the staff group(s): cards, notices, pings, digests.
    pub staff_language: Lang,
    /// Places outside any unit a ticket may be for (lobby, car park B2 …).
    pub common_areas: Vec<String>,
    /// Hours a supervisor has to follow up a rating of 1–2.
    pub follow_up_hours: u32,
    /// Hours an owner's invitation link stays valid.
    pub invite_hours: u32,
    deadlines: HashMap<(TicketKind, Priority), Deadline>,
    /// Each department's own staff chat (or topic), where it has one.
    department_chats: HashMap<Department, StaffPlace>,
    /// Which tickets each department takes.
    routes: Vec<(Department, Vec<Route>)>,
}

impl Default for OfficeSettings {
    fn default() -> Self {
        OfficeSettings::from_values(&HashMap::new())
    }
}

impl OfficeSettings {
    /// The settings from stored `key → value` texts; a key not stored, or
    /// stored with a value that no longer parses (logged), has its default.
    #[must_use]
    pub fn from_values(stored: &HashMap<String, String>) -> OfficeSettings {
        let values: HashMap<&str, Value> = SPECS
            .iter()
            .map(|s| (s.key.as_str(), effective(s, stored)))
            .collect();
        let get = |key: &str| values.get(key).cloned();
        let time = |key: &str| match get(key) {
            Some(Value::Time(t)) => t,
            _ => NaiveTime::MIN,
        };
        let range = |key: &str| match get(key) {
            Some(Value::Range(a, b)) => (a, b),
            _ => (NaiveTime::MIN, NaiveTime::MIN),
        };
        let number = |key: &str| match get(key) {
            Some(Value::Number(n)) => n,
            _ => 0,
        };
        let (quiet_start, quiet_end) = range("quiet_hours");
        let mut deadlines = HashMap::new();
        for kind in TicketKind::ALL {
            for priority in Priority::ALL {
                if let Some(Value::Deadline(d)) = get(&deadline_key(*kind, *priority)) {
                    deadlines.insert((*kind, *priority), d);
                }
            }
        }
        OfficeSettings {
            office_hours: range("office_hours"),
            visit_morning_slot: time("visit_morning_slot"),
            visit_afternoon_slot: time("visit_afternoon_slot"),
            visit_slot_days: number("visit_slot_days"),
            digest_time: time("digest_time"),
            reopen_days: number("reopen_days"),
            ping_interval_minutes: number("ping_interval_minutes"),
            quiet_hours: QuietHours {
                start: quiet_start,
                end: quiet_end,
            },
            reminder_day: number("reminder_day"),
            reminder_time: time("reminder_time"),
            survey_reminder_days: number("survey_reminder_days"),
            survey_auto_day: match get("survey_auto_day") {
                Some(Value::Day(d)) => d,
                _ => None,
            },
            tickets_per_day: number("tickets_per_day"),
            staff_language: match get("staff_language") {
                Some(Value::Language(l)) => l,
                _ => Lang::default(),
            },
            common_areas: match get("common_areas") {
                Some(Value::List(names)) => names,
                _ => Vec::new(),
            },
            follow_up_hours: number("follow_up_hours"),
            invite_hours: number("invite_hours"),
            deadlines,
            department_chats: Department::ALL
                .into_iter()
                .filter_map(|d| match get(&department_chat_key(d)) {
                    Some(Value::Chat(Some(place))) => Some((d, place)),
                    _ => None,
                })
                .collect(),
            routes: Department::ALL
                .into_iter()
                .map(|d| match get(&department_routes_key(d)) {
                    Some(Value::Routes(rs)) => (d, rs),
                    _ => (d, Vec::new()),
                })
                .collect(),
        }
    }

    /// The department a new ticket of `kind` and `category` goes to.
    #[must_use]
    pub fn department_for(&self, kind: TicketKind, category: Option<&str>) -> Department {
        routes::route(&self.routes, kind, category)
    }

    /// The department's own staff chat, if the office set one.
    #[must_use]
    pub fn department_chat(&self, d: Department) -> Option<i64> {
        self.department_place(d).map(|p| p.chat)
    }

    /// The department's own staff chat or topic, if the office set one.
    #[must_use]
    pub fn department_place(&self, d: Department) -> Option<StaffPlace> {
        self.department_chats.get(&d).copied()
    }

    /// The department whose own chat `chat` is, if any.
    #[must_use]
    pub fn department_of_chat(&self, chat: i64) -> Option<Department> {
        self.department_at(chat, None)
    }

    /// The department whose own place a message in `chat` (in topic
    /// `thread`) is: its own topic, else its own whole chat.
    #[must_use]
    pub fn department_at(&self, chat: i64, thread: Option<i32>) -> Option<Department> {
        let at = |topic: Option<i32>| {
            Department::ALL
                .into_iter()
                .find(|d| self.department_place(*d) == Some(StaffPlace { chat, topic }))
        };
        thread.and_then(|t| at(Some(t))).or_else(|| at(None))
    }

    /// Every department's own chat (for the command menus).
    #[must_use]
    pub fn department_chat_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.department_chats.values().map(|p| p.chat).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The deadlines of a new ticket of `kind` and `priority`.
    #[must_use]
    pub fn deadline(&self, kind: TicketKind, priority: Priority) -> Deadline {
        self.deadlines
            .get(&(kind, priority))
            .copied()
            .unwrap_or_else(|| default_deadline(kind, priority))
    }
}

/// The stored value of `spec` if it parses, else its default.
fn effective(spec: &Spec, stored: &HashMap<String, String>) -> Value {
    match stored.get(&spec.key).map(|text| spec.parse(text)) {
        Some(Ok(v)) => v,
        Some(Err(_)) => {
            tracing::warn!(key = %spec.key, "stored office setting does not parse; using its default");
            spec.default.clone()
        }
        None => spec.default.clone(),
    }
}

/// The stored `key → value` texts.
async fn stored(conn: &mut PgConnection) -> anyhow::Result<HashMap<String, String>> {
    let rows = sqlx::query!("SELECT key, value FROM office_settings")
        .map(|r| (r.key, r.value))
        .fetch_all(conn)
        .await
        .context("reading office settings")?;
    Ok(rows.into_iter().collect())
}

/// The settings in force now.
pub async fn load(conn: &mut PgConnection) -> anyhow::Result<OfficeSettings> {
    Ok(OfficeSettings::from_values(&stored(conn).await?))
}

/// One line of `settings show`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub key: String,
    pub value: String,
    pub default: String,
    pub meaning: String,
}

/// Every setting with its value, default and meaning in `lang`.
pub async fn show(conn: &mut PgConnection, lang: Lang) -> anyhow::Result<Vec<Line>> {
    let stored = stored(conn).await?;
    Ok(SPECS
        .iter()
        .map(|s| Line {
            key: s.key.clone(),
            value: effective(s, &stored).to_string(),
            default: s.default.to_string(),
            meaning: s.meaning(lang),
        })
        .collect())
}

/// A change `set` made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub key: String,
    pub old: String,
    pub new: String,
}

/// Sets `key` to `value` (validated; stored in its canonical form) and
/// records `who` changed it from what. On an error nothing is written.
/// The caller owns the transaction.
pub async fn set(
    conn: &mut PgConnection,
    key: &str,
    value: &str,
    who: &str,
) -> anyhow::Result<Result<Change, SetError>> {
    let key = key.trim();
    let Some(spec) = spec(key) else {
        return Ok(Err(SetError::UnknownKey(key.to_string())));
    };
    let new = match spec.parse(value) {
        Ok(v) => v.to_string(),
        Err(e) => return Ok(Err(e)),
    };
    // Lock the row (if any) so two managers' changes are audited in order.
    let current: Option<String> = sqlx::query_scalar!(
        "SELECT value FROM office_settings WHERE key = $1 FOR UPDATE",
        key
    )
    .fetch_optional(&mut *conn)
    .await
    .context("reading an office setting")?;
    let old = current
        .and_then(|text| spec.parse(&text).ok())
        .unwrap_or_else(|| spec.default.clone())
        .to_string();
    sqlx::query!(
        "INSERT INTO office_settings (key, value, updated_at, updated_by) VALUES ($1, $2, now(), $3)
         ON CONFLICT (key) DO UPDATE SET value = $2, updated_at = now(), updated_by = $3",
        key,
        &new,
        who
    )
    .execute(&mut *conn)
    .await
    .context("writing an office setting")?;
    sqlx::query!(
        "INSERT INTO office_settings_audit (key, old_value, new_value, changed_by)
         VALUES ($1, $2, $3, $4)",
        key,
        &old,
        &new,
        who
    )
    .execute(&mut *conn)
    .await
    .context("auditing an office setting")?;
    tracing::info!(key, old = %old, new = %new, who, "office setting changed");
    Ok(Ok(Change {
        key: key.to_string(),
        old,
        new,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(key: &str, text: &str) -> Result<String, SetError> {
        spec(key).unwrap().parse(text).map(|v| v.to_string())
    }

    #[test]
    fn every_default_parses_back_and_keys_are_unique() {
        let mut keys = std::collections::HashSet::new();
        for s in specs() {
            assert!(keys.insert(s.key.clone()), "{} twice", s.key);
            assert_eq!(
                s.parse(&s.default.to_string()),
                Ok(s.default.clone()),
                "{}",
                s.key
            );
            for lang in [Lang::Zh, Lang::En] {
                assert!(!s.meaning(lang).is_empty());
            }
        }
        assert_eq!(
            specs().len(),
            17 + 2 * Department::ALL.len() + TicketKind::ALL.len() * Priority::ALL.len()
        );
    }

    #[test]
    fn the_defaults_are_todays_office_rules() {
        let s = OfficeSettings::default();
        assert_eq!(s.office_hours, (hm(9, 0), hm(18, 0)));
        assert_eq!(s.reopen_days, 7);
        assert_eq!(s.digest_time, hm(9, 0));
        assert_eq!(s.quiet_hours, QuietHours::parse("21:00-08:00").unwrap());
        assert_eq!(s.survey_auto_day, None);
        assert_eq!(
            s.deadline(TicketKind::Repair, Priority::Urgent),
            Deadline {
                response_minutes: 30,
                resolve_minutes: 240
            }
        );
        assert_eq!(
            s.deadline(TicketKind::Consultation, Priority::Normal)
                .resolve_minutes,
            1440
        );
    }

    #[test]
    fn times_are_hh_mm() {
        assert_eq!(parse("digest_time", "8:30").unwrap(), "08:30");
        assert_eq!(parse("digest_time", " 23:59 ").unwrap(), "23:59");
        for bad in ["24:00", "9am", "0830", "", "12:60"] {
            assert!(parse("digest_time", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn office_hours_must_start_before_they_end_but_quiet_hours_may_span_midnight() {
        assert_eq!(parse("office_hours", "08:30-17:30").unwrap(), "08:30-17:30");
        assert!(parse("office_hours", "18:00-09:00").is_err());
        assert!(parse("office_hours", "09:00-09:00").is_err());
        assert!(parse("office_hours", "09:00").is_err());
        assert_eq!(parse("quiet_hours", "22:00-07:00").unwrap(), "22:00-07:00");
        assert_eq!(parse("quiet_hours", "00:00-00:00").unwrap(), "00:00-00:00");
        assert!(parse("quiet_hours", "22-7").is_err());
    }

    #[test]
    fn numbers_stay_in_their_range() {
        assert_eq!(parse("reopen_days", "0").unwrap(), "0");
        assert_eq!(parse("reopen_days", "90").unwrap(), "90");
        for bad in ["91", "-1", "seven", "3.5", ""] {
            assert!(parse("reopen_days", bad).is_err(), "{bad}");
        }
        assert!(parse("visit_slot_days", "8").is_err());
        assert_eq!(parse("survey_auto_day", "OFF").unwrap(), "off");
        assert_eq!(parse("survey_auto_day", "15").unwrap(), "15");
        assert!(parse("survey_auto_day", "29").is_err());
        assert!(parse("survey_auto_day", "0").is_err());
    }

    #[test]
    fn deadlines_take_units_and_the_response_comes_first() {
        let key = deadline_key(TicketKind::Repair, Priority::High);
        assert_eq!(parse(&key, "90/720").unwrap(), "90m/12h");
        assert_eq!(parse(&key, "30m/4h").unwrap(), "30m/4h");
        assert_eq!(parse(&key, "1D/14d").unwrap(), "1d/14d");
        for bad in [
            "0/4h", "4h/1h", "4h", "4h/91d", "4x/5h", "h/4h", "-5/4h", "4h/",
        ] {
            assert!(parse(&key, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_refusal_is_one_sentence_naming_what_is_allowed() {
        let e = parse("reopen_days", "100").unwrap_err();
        let en = e.sentence(Lang::En);
        assert!(
            en.contains("reopen_days") && en.contains("0") && en.contains("90"),
            "{en}"
        );
        assert_eq!(en.matches(". ").count(), 0, "one sentence: {en}");
        assert!(!e.sentence(Lang::Zh).is_empty());
        let unknown = SetError::UnknownKey("nope".into()).sentence(Lang::En);
        assert!(unknown.contains("nope"), "{unknown}");
    }

    #[test]
    fn the_staff_language_is_a_code_and_common_areas_a_list() {
        assert_eq!(parse("staff_language", " EN ").unwrap(), "en");
        assert!(parse("staff_language", "fr").is_err());
        assert_eq!(
            parse("common_areas", "大堂，B2车库、 3号电梯 ,").unwrap(),
            "大堂, B2车库, 3号电梯"
        );
        assert_eq!(parse("common_areas", "-").unwrap(), "-");
        assert!(parse("common_areas", " , ").is_err());
        assert!(parse("common_areas", &"长".repeat(31)).is_err());
        let many = vec!["x"; 31].join(",");
        assert!(parse("common_areas", &many).is_err());
        let s = OfficeSettings::default();
        assert_eq!(s.staff_language, Lang::Zh);
        assert!(s.common_areas.iter().any(|a| a == "B2车库"));
        assert_eq!(s.follow_up_hours, 24);
    }

    #[test]
    fn departments_have_a_chat_and_routes() {
        let key = department_chat_key(Department::Engineering);
        assert_eq!(parse(&key, " -1001234567890 ").unwrap(), "-1001234567890");
        assert_eq!(parse(&key, "-").unwrap(), "-");
        assert_eq!(
            parse(&key, "-1001234567890/45").unwrap(),
            "-1001234567890/45"
        );
        for bad in ["1234", "0", "abc", "-12x", "", "-100/1", "-100/x", "12/45"] {
            assert!(parse(&key, bad).is_err(), "{bad}");
        }
        let key = department_routes_key(Department::Security);
        assert_eq!(
            parse(&key, "complaint/security， repair/door_lock").unwrap(),
            "complaint/security, repair/door_lock"
        );
        assert_eq!(parse(&key, "-").unwrap(), "-");
        assert!(parse(&key, "plumbing").is_err());
        let s = OfficeSettings::default();
        assert_eq!(
            s.department_for(TicketKind::Repair, Some("water")),
            Department::Engineering
        );
        assert_eq!(
            s.department_for(TicketKind::Complaint, Some("security")),
            Department::Security
        );
        assert_eq!(
            s.department_for(TicketKind::Complaint, Some("noise")),
            Department::Service
        );
        assert_eq!(s.department_chat(Department::Engineering), None);
        let stored = HashMap::from([
            (
                department_chat_key(Department::Engineering),
                "-100777".to_string(),
            ),
            (
                department_routes_key(Department::Engineering),
                "-".to_string(),
            ),
        ]);
        let s = OfficeSettings::from_values(&stored);
        assert_eq!(s.department_chat(Department::Engineering), Some(-100_777));
        assert_eq!(
            s.department_of_chat(-100_777),
            Some(Department::Engineering)
        );
        assert_eq!(
            s.department_at(-100_777, Some(9)),
            Some(Department::Engineering)
        );
        let topic = HashMap::from([(
            department_chat_key(Department::Security),
            "-100777/45".to_string(),
        )]);
        let shared = OfficeSettings::from_values(&topic);
        assert_eq!(
            shared.department_at(-100_777, Some(45)),
            Some(Department::Security)
        );
        assert_eq!(shared.department_at(-100_777, Some(46)), None);
        assert_eq!(shared.department_at(-100_777, None), None);
        assert_eq!(
            s.department_for(TicketKind::Repair, Some("water")),
            Department::Service
        );
    }

    #[test]
    fn a_stored_value_that_does_not_parse_falls_back_to_its_default() {
        let stored = HashMap::from([
            ("reopen_days".to_string(), "3".to_string()),
            ("digest_time".to_string(), "garbage".to_string()),
        ]);
        let s = OfficeSettings::from_values(&stored);
        assert_eq!(s.reopen_days, 3);
        assert_eq!(s.digest_time, hm(9, 0));
    }
}
