//! The data behind every inline button the bot draws: one enum, written and
//! read here only.
//!
//! Data is `<version><tag>:<fields>`. The version comes first so that a
//! button of a message sent under an older layout (before versions, or a
//! version ago) decodes to `None` — the router answers it as expired — and
//! never as a different action. Telegram allows 1–64 bytes; the tests below
//! check the longest encoding of every variant.

use chrono::{DateTime, Utc};

use crate::domain::incidents::{IncidentId, IncidentKind};
use crate::domain::report::{Period, PeriodKind};
use crate::domain::tickets::TicketId;
use crate::domain::units::Role;
use crate::domain::visits::Outcome;
use crate::i18n::Lang;

/// The layout version; bump it when an encoding changes meaning.
pub const VERSION: &str = "1";
/// Telegram's limit on `callback_data`, in bytes.
pub const MAX_BYTES: usize = 64;
/// What the envelope adds in front of the dialogue engine's own data, so the
/// engine can keep its tokens within [`MAX_BYTES`].
pub const DIALOGUE_OVERHEAD: usize = VERSION.len();

/// An entry of the main menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuItem {
    Complaint,
    Repair,
    Consultation,
    Fees,
    Survey,
    Suggestion,
    Tickets,
    Registration,
}

impl MenuItem {
    pub const ALL: [MenuItem; 8] = [
        MenuItem::Complaint,
        MenuItem::Repair,
        MenuItem::Consultation,
        MenuItem::Fees,
        MenuItem::Survey,
        MenuItem::Suggestion,
        MenuItem::Tickets,
        MenuItem::Registration,
    ];

    /// The item's name (also the dialogue it starts, for most).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            MenuItem::Complaint => "complaint",
            MenuItem::Repair => "repair",
            MenuItem::Consultation => "consultation",
            MenuItem::Fees => "fees",
            MenuItem::Survey => "survey",
            MenuItem::Suggestion => "suggestion",
            MenuItem::Tickets => "tickets",
            MenuItem::Registration => "registration",
        }
    }

    fn parse(s: &str) -> Option<MenuItem> {
        MenuItem::ALL.into_iter().find(|i| i.as_str() == s)
    }
}

/// Who a broadcast goes to, as the audience buttons offer it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudienceChoice {
    All,
    Building,
    Floor,
    Units,
    Rsvp,
}

impl AudienceChoice {
    pub const ALL: [AudienceChoice; 5] = [
        AudienceChoice::All,
        AudienceChoice::Building,
        AudienceChoice::Floor,
        AudienceChoice::Units,
        AudienceChoice::Rsvp,
    ];

    fn code(self) -> &'static str {
        match self {
            AudienceChoice::All => "all",
            AudienceChoice::Building => "bld",
            AudienceChoice::Floor => "flr",
            AudienceChoice::Units => "units",
            AudienceChoice::Rsvp => "rsvp",
        }
    }

    fn parse(s: &str) -> Option<AudienceChoice> {
        AudienceChoice::ALL.into_iter().find(|a| a.code() == s)
    }
}

/// What a visit slot is booked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotFor {
    Ticket(TicketId),
    Unit(i64),
}

/// Every button the bot draws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// A main-menu entry.
    Menu(MenuItem),
    /// A language picked after `/lang`.
    Language(Lang),
    /// A dialogue prompt's button: the engine's own data (`d:<serial>:<token>`,
    /// see `engine::callback`), carried as it is.
    Dialogue(String),
    /// Resume question: continue the draft.
    ResumeContinue,
    /// Resume question: leave the draft.
    ResumeDiscard,
    /// Staff: claim a ticket.
    Claim(TicketId),
    /// Staff: show the assignee picker.
    Assign(TicketId),
    /// Staff: give a ticket to the member with this staff number.
    GiveTo { ticket: TicketId, staff_no: i32 },
    /// Staff: a page of the queue.
    QueuePage(i64),
    /// Owner: cancel a ticket (asks for the reason).
    CancelTicket(TicketId),
    /// Owner: keep the ticket after all.
    KeepTicket(TicketId),
    /// Owner: rate a resolved ticket, 1–5 stars.
    Rate { ticket: TicketId, stars: u8 },
    /// Owner: reopen a ticket.
    Reopen(TicketId),
    /// Owner: no comment after rating.
    SkipComment(TicketId),
    /// Owner: what I wrote was my rating comment.
    MyComment(TicketId),
    /// Owner: this is a new request, not about that ticket.
    NewRequest(TicketId),
    /// Broadcast draft: cancel.
    BroadcastCancel(i64),
    /// Broadcast draft: who it goes to.
    BroadcastAudience {
        broadcast: i64,
        choice: AudienceChoice,
    },
    /// Broadcast draft: no photo.
    BroadcastNoPhoto(i64),
    /// Broadcast draft: ask owners to answer (RSVP) or not.
    BroadcastRsvp { broadcast: i64, yes: bool },
    /// Broadcast draft: urgent (ignores quiet hours) or not.
    BroadcastUrgent { broadcast: i64, yes: bool },
    /// Broadcast draft: send now.
    BroadcastSendNow(i64),
    /// Broadcast draft: send at a time (asks for it).
    BroadcastSendLater(i64),
    /// Broadcast draft: confirm.
    BroadcastConfirm(i64),
    /// The inert RSVP buttons of a preview.
    BroadcastPreview(i64),
    /// Owner: will join.
    BroadcastJoin(i64),
    /// Owner: cannot come.
    BroadcastDecline(i64),
    /// Broadcast draft: no version in this language.
    BroadcastSkipLanguage { broadcast: i64, lang: Lang },
    /// Manager: stop sending a broadcast.
    BroadcastStop(i64),
    /// Manager: recall a broadcast (asks first).
    BroadcastRecall(i64),
    /// Manager: yes, recall it.
    BroadcastRecallConfirm(i64),
    /// Manager: no, keep it.
    BroadcastRecallKeep(i64),
    /// Staff: notify the owners of an outage.
    IncidentNotify(IncidentId),
    /// Owner: my repair is this outage.
    IncidentJoin(IncidentId),
    /// Owner: my repair is something else.
    IncidentOther,
    /// Staff: book a visit at a slot.
    VisitSlot { subject: SlotFor, at: DateTime<Utc> },
    /// Staff: a visit's outcome.
    VisitOutcome { visit: i64, outcome: Outcome },
    /// Owner: confirm the visit at `at`.
    VisitConfirm { visit: i64, at: DateTime<Utc> },
    /// Owner: ask for another time than `at`.
    VisitReschedule { visit: i64, at: DateTime<Utc> },
    /// Owner: move the visit to the slot `at`.
    VisitMove { visit: i64, at: DateTime<Utc> },
    /// Staff: show the canned replies for a ticket.
    CannedPick(TicketId),
    /// Staff: send canned reply `reply` to the ticket's owner.
    CannedSend { ticket: TicketId, reply: i64 },
    /// Supervisor, low-rating follow-up: show the owner's number to call.
    FollowUpCall(TicketId),
    /// Supervisor, low-rating follow-up: write what came of it.
    FollowUpNote(TicketId),
    /// Supervisor, low-rating follow-up: reopen the ticket.
    FollowUpReopen(TicketId),
    /// Staff, in a finished ticket's topic: reopen it.
    StaffReopen(TicketId),
    /// Staff, the `/newticket` form: a press at form step `step`.
    NewTicketForm { step: u8, press: FormPress },
    /// Owner: the message of update `update` meant intent `name` (free
    /// text the bot asked about).
    Intent { update: i64, name: String },
    /// Owner: none of the intents offered; the menu.
    IntentNone,
    /// Staff: bind a registration request's applicant to its unit as `role`.
    RegistrationBind { ticket: TicketId, role: Role },
    /// Staff: refuse a registration request (asks for the reason).
    RegistrationRefuse(TicketId),
    /// Owner: a one-time invitation link to `unit` for a tenant or family.
    HouseholdInvite { unit: i64, role: Role },
    /// Owner: remove `person` from `unit` (asks first).
    HouseholdRemove { unit: i64, person: i64 },
    /// Owner: yes, remove `person` from `unit`.
    HouseholdRemoveYes { unit: i64, person: i64 },
    /// Owner: do not remove after all.
    HouseholdKeep,
    /// Arrears reminders on (true) or off, offered at registration.
    Reminders(bool),
    /// Owner, after `/forgetme`: yes, go on (the first confirmation).
    ForgetContinue,
    /// Owner: erase my data now (the second confirmation); the nonce the
    /// first one stored.
    ForgetErase(i64),
    /// Owner: keep my data after all.
    ForgetKeep,
    /// Staff: unbind `person` from `unit` (after `/unbind UNIT`).
    Unbind { unit: i64, person: i64 },
    /// Manager: the report for this period.
    ReportPeriod(Period),
    /// Manager: a report for dates I type.
    ReportRange,
    /// Manager: no report after all.
    ReportCancel,
    /// Manager: the report for this period as a spreadsheet.
    ReportXlsx(Period),
    /// Manager: the report for this period as a CSV file.
    ReportCsv(Period),
    /// Owner: join an activity (or its waiting list).
    ActivityJoin(i64),
    /// Owner: give up a place (or a place in line).
    ActivityLeave(i64),
    /// Attendee: the activity's score, 1–5.
    ActivityRate { activity: i64, stars: u8 },
    /// Attendee: no comment.
    ActivitySkipComment(i64),
    /// Activity plan: no description.
    ActivitySkipDescription,
    /// Activity plan: announce it.
    ActivityAnnounce,
    /// Activity plan: drop it.
    ActivityPlanCancel,
    /// Outage form: what is out.
    OutageKind(IncidentKind),
    /// Outage form: all buildings / entrances / floors (whichever is asked).
    OutageAll,
    /// Outage form: it starts now.
    OutageNow,
    /// Outage form: no version in this language.
    OutageSkipLanguage(Lang),
    /// Outage form: declare it, notifying those affected now or not.
    OutageDeclare { notify: bool },
    /// Outage form: drop it.
    OutageCancel,
}

/// A press in a staff form: the way back or out, or the `n`th offered choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormPress {
    Back,
    Cancel,
    Skip,
    Done,
    Submit,
    Pick(u16),
}

impl FormPress {
    fn code(self) -> String {
        match self {
            FormPress::Back => "b".into(),
            FormPress::Cancel => "x".into(),
            FormPress::Skip => "s".into(),
            FormPress::Done => "d".into(),
            FormPress::Submit => "ok".into(),
            FormPress::Pick(n) => n.to_string(),
        }
    }

    fn parse(s: &str) -> Option<FormPress> {
        Some(match s {
            "b" => FormPress::Back,
            "x" => FormPress::Cancel,
            "s" => FormPress::Skip,
            "d" => FormPress::Done,
            "ok" => FormPress::Submit,
            n => FormPress::Pick(u16::try_from(number(n)?).ok()?),
        })
    }
}

fn role_code(role: Role) -> &'static str {
    match role {
        Role::Owner => "o",
        Role::Tenant => "t",
        Role::Family => "f",
    }
}

fn role_of(code: &str) -> Option<Role> {
    [Role::Owner, Role::Tenant, Role::Family]
        .into_iter()
        .find(|r| role_code(*r) == code)
}

/// `m:202611`, `q:20264`, `r:20261101:20261130`.
fn encode_period(p: &Period) -> String {
    match p.kind {
        // Four-digit years, as decoding reads them (`q:08011` is the year
        // 801, found by cargo-fuzz: unpadded it encoded as `q:8011`).
        PeriodKind::Month { year, month } => format!("m:{year:04}{month:02}"),
        PeriodKind::Quarter { year, quarter } => format!("q:{year:04}{quarter}"),
        PeriodKind::Range => format!("r:{}:{}", p.from.format("%Y%m%d"), p.to.format("%Y%m%d")),
    }
}

fn decode_period(parts: &[&str]) -> Option<Period> {
    let digits =
        |s: &str, n: usize| (s.len() == n && s.bytes().all(|b| b.is_ascii_digit())).then_some(());
    match parts {
        ["m", ym] => {
            digits(ym, 6)?;
            Period::month(ym.get(..4)?.parse().ok()?, ym.get(4..)?.parse().ok()?)
        }
        ["q", yq] => {
            digits(yq, 5)?;
            Period::quarter(yq.get(..4)?.parse().ok()?, yq.get(4..)?.parse().ok()?)
        }
        ["r", from, to] => {
            digits(from, 8)?;
            digits(to, 8)?;
            let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y%m%d").ok();
            let (from, to) = (date(from)?, date(to)?);
            (from <= to).then_some(Period {
                from,
                to,
                kind: PeriodKind::Range,
            })
        }
        _ => None,
    }
}

fn minutes(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(60)
}

fn from_minutes(m: &str) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(number(m)?.checked_mul(60)?, 0)
}

/// Digits only (an optional leading `-`): no `+`, spaces or `#`.
fn number(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn id(s: &str) -> Option<i64> {
    number(s).filter(|n| *n > 0)
}

/// An intent's name as `engine::intent` allows it.
fn intent_name(s: &str) -> Option<String> {
    let ok = !s.is_empty()
        && s.len() <= crate::engine::intent::MAX_NAME_BYTES
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    ok.then(|| s.to_string())
}

fn flag(s: &str) -> Option<bool> {
    match s {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

impl Callback {
    /// The button's `callback_data`.
    #[must_use]
    pub fn encode(&self) -> String {
        let body = match self {
            Callback::Menu(item) => format!("m:{}", item.as_str()),
            Callback::Language(lang) => format!("l:{}", lang.code()),
            Callback::Dialogue(data) => data.clone(),
            Callback::ResumeContinue => "r:c".to_string(),
            Callback::ResumeDiscard => "r:n".to_string(),
            Callback::Claim(t) => format!("t:c:{}", t.0),
            Callback::Assign(t) => format!("t:a:{}", t.0),
            Callback::GiveTo { ticket, staff_no } => format!("t:g:{}:{staff_no}", ticket.0),
            Callback::QueuePage(page) => format!("t:q:{page}"),
            Callback::CancelTicket(t) => format!("t:x:{}", t.0),
            Callback::KeepTicket(t) => format!("t:k:{}", t.0),
            Callback::Rate { ticket, stars } => format!("t:r:{}:{stars}", ticket.0),
            Callback::Reopen(t) => format!("t:o:{}", t.0),
            Callback::SkipComment(t) => format!("t:s:{}", t.0),
            Callback::MyComment(t) => format!("t:m:{}", t.0),
            Callback::NewRequest(t) => format!("t:n:{}", t.0),
            Callback::BroadcastCancel(b) => format!("b:x:{b}"),
            Callback::BroadcastAudience { broadcast, choice } => {
                format!("b:a:{broadcast}:{}", choice.code())
            }
            Callback::BroadcastNoPhoto(b) => format!("b:p:{b}"),
            Callback::BroadcastRsvp { broadcast, yes } => {
                format!("b:r:{broadcast}:{}", u8::from(*yes))
            }
            Callback::BroadcastUrgent { broadcast, yes } => {
                format!("b:u:{broadcast}:{}", u8::from(*yes))
            }
            Callback::BroadcastSendNow(b) => format!("b:w:{b}:now"),
            Callback::BroadcastSendLater(b) => format!("b:w:{b}:at"),
            Callback::BroadcastConfirm(b) => format!("b:c:{b}"),
            Callback::BroadcastPreview(b) => format!("b:v:{b}"),
            Callback::BroadcastJoin(b) => format!("b:j:{b}"),
            Callback::BroadcastDecline(b) => format!("b:n:{b}"),
            Callback::BroadcastSkipLanguage { broadcast, lang } => {
                format!("b:l:{broadcast}:{}", lang.code())
            }
            Callback::BroadcastStop(b) => format!("b:s:{b}"),
            Callback::BroadcastRecall(b) => format!("b:q:{b}"),
            Callback::BroadcastRecallConfirm(b) => format!("b:y:{b}"),
            Callback::BroadcastRecallKeep(b) => format!("b:k:{b}"),
            Callback::IncidentNotify(i) => format!("i:n:{}", i.0),
            Callback::IncidentJoin(i) => format!("i:j:{}", i.0),
            Callback::IncidentOther => "i:o".to_string(),
            Callback::VisitSlot { subject, at } => {
                let s = match subject {
                    SlotFor::Ticket(t) => format!("t{}", t.0),
                    SlotFor::Unit(u) => format!("u{u}"),
                };
                format!("v:s:{s}:{}", minutes(*at))
            }
            Callback::VisitOutcome { visit, outcome } => format!("v:o:{visit}:{}", outcome.code()),
            Callback::VisitConfirm { visit, at } => format!("v:c:{visit}:{}", minutes(*at)),
            Callback::VisitReschedule { visit, at } => format!("v:r:{visit}:{}", minutes(*at)),
            Callback::VisitMove { visit, at } => format!("v:m:{visit}:{}", minutes(*at)),
            Callback::CannedPick(t) => format!("c:p:{}", t.0),
            Callback::CannedSend { ticket, reply } => format!("c:s:{}:{reply}", ticket.0),
            Callback::FollowUpCall(t) => format!("f:c:{}", t.0),
            Callback::FollowUpNote(t) => format!("f:n:{}", t.0),
            Callback::FollowUpReopen(t) => format!("f:o:{}", t.0),
            Callback::StaffReopen(t) => format!("t:R:{}", t.0),
            Callback::NewTicketForm { step, press } => format!("nt:{step}:{}", press.code()),
            Callback::Intent { update, name } => format!("n:{update}:{name}"),
            Callback::IntentNone => "n:x".to_string(),
            Callback::RegistrationBind { ticket, role } => {
                format!("g:b:{}:{}", ticket.0, role_code(*role))
            }
            Callback::RegistrationRefuse(t) => format!("g:x:{}", t.0),
            Callback::HouseholdInvite { unit, role } => format!("h:i:{unit}:{}", role_code(*role)),
            Callback::HouseholdRemove { unit, person } => format!("h:r:{unit}:{person}"),
            Callback::HouseholdRemoveYes { unit, person } => format!("h:y:{unit}:{person}"),
            Callback::HouseholdKeep => "h:k".to_string(),
            Callback::Reminders(on) => format!("h:m:{}", u8::from(*on)),
            Callback::ForgetContinue => "e:c".to_string(),
            Callback::ForgetErase(nonce) => format!("e:y:{nonce}"),
            Callback::ForgetKeep => "e:k".to_string(),
            Callback::Unbind { unit, person } => format!("h:u:{unit}:{person}"),
            Callback::ReportPeriod(p) => format!("rp:p:{}", encode_period(p)),
            Callback::ReportRange => "rp:r".to_string(),
            Callback::ReportCancel => "rp:c".to_string(),
            Callback::ReportXlsx(p) => format!("rp:x:{}", encode_period(p)),
            Callback::ReportCsv(p) => format!("rp:v:{}", encode_period(p)),
            Callback::ActivityJoin(a) => format!("a:j:{a}"),
            Callback::ActivityLeave(a) => format!("a:l:{a}"),
            Callback::ActivityRate { activity, stars } => format!("a:r:{activity}:{stars}"),
            Callback::ActivitySkipComment(a) => format!("a:s:{a}"),
            Callback::ActivitySkipDescription => "a:d".to_string(),
            Callback::ActivityAnnounce => "a:c".to_string(),
            Callback::ActivityPlanCancel => "a:x".to_string(),
            Callback::OutageKind(k) => format!("o:k:{}", k.as_str()),
            Callback::OutageAll => "o:a".to_string(),
            Callback::OutageNow => "o:n".to_string(),
            Callback::OutageSkipLanguage(l) => format!("o:l:{}", l.code()),
            Callback::OutageDeclare { notify } => format!("o:d:{}", u8::from(*notify)),
            Callback::OutageCancel => "o:x".to_string(),
        };
        format!("{VERSION}{body}")
    }

    /// Reads a button's data back; `None` for anything this version did not
    /// draw (an older layout, a forged or garbled press).
    #[must_use]
    pub fn decode(data: &str) -> Option<Callback> {
        // Telegram carries at most 64 bytes: longer data is forged, and
        // would not encode back within the limit (found by cargo-fuzz).
        if data.len() > MAX_BYTES {
            return None;
        }
        let body = data.strip_prefix(VERSION)?;
        if body.starts_with("d:") {
            return Some(Callback::Dialogue(body.to_string()));
        }
        let parts: Vec<&str> = body.split(':').collect();
        let ticket = |s: &str| id(s).map(TicketId);
        let visit_at = |v: &str, m: &str| Some((id(v)?, from_minutes(m)?));
        Some(match parts.as_slice() {
            ["m", item] => Callback::Menu(MenuItem::parse(item)?),
            ["l", code] => Callback::Language(Lang::parse(code)?),
            ["r", "c"] => Callback::ResumeContinue,
            ["r", "n"] => Callback::ResumeDiscard,
            ["t", "c", t] => Callback::Claim(ticket(t)?),
            ["t", "a", t] => Callback::Assign(ticket(t)?),
            ["t", "g", t, no] => Callback::GiveTo {
                ticket: ticket(t)?,
                staff_no: i32::try_from(number(no)?).ok()?,
            },
            ["t", "q", page] => Callback::QueuePage(number(page)?),
            ["t", "x", t] => Callback::CancelTicket(ticket(t)?),
            ["t", "k", t] => Callback::KeepTicket(ticket(t)?),
            ["t", "r", t, stars] => Callback::Rate {
                ticket: ticket(t)?,
                stars: u8::try_from(number(stars)?)
                    .ok()
                    .filter(|s| (1..=5).contains(s))?,
            },
            ["t", "o", t] => Callback::Reopen(ticket(t)?),
            ["t", "R", t] => Callback::StaffReopen(ticket(t)?),
            ["t", "s", t] => Callback::SkipComment(ticket(t)?),
            ["t", "m", t] => Callback::MyComment(ticket(t)?),
            ["t", "n", t] => Callback::NewRequest(ticket(t)?),
            ["b", "x", b] => Callback::BroadcastCancel(id(b)?),
            ["b", "a", b, choice] => Callback::BroadcastAudience {
                broadcast: id(b)?,
                choice: AudienceChoice::parse(choice)?,
            },
            ["b", "p", b] => Callback::BroadcastNoPhoto(id(b)?),
            ["b", "r", b, yes] => Callback::BroadcastRsvp {
                broadcast: id(b)?,
                yes: flag(yes)?,
            },
            ["b", "u", b, yes] => Callback::BroadcastUrgent {
                broadcast: id(b)?,
                yes: flag(yes)?,
            },
            ["b", "w", b, "now"] => Callback::BroadcastSendNow(id(b)?),
            ["b", "w", b, "at"] => Callback::BroadcastSendLater(id(b)?),
            ["b", "c", b] => Callback::BroadcastConfirm(id(b)?),
            ["b", "v", b] => Callback::BroadcastPreview(id(b)?),
            ["b", "j", b] => Callback::BroadcastJoin(id(b)?),
            ["b", "n", b] => Callback::BroadcastDecline(id(b)?),
            ["b", "l", b, code] => Callback::BroadcastSkipLanguage {
                broadcast: id(b)?,
                lang: Lang::parse(code)?,
            },
            ["b", "s", b] => Callback::BroadcastStop(id(b)?),
            ["b", "q", b] => Callback::BroadcastRecall(id(b)?),
            ["b", "y", b] => Callback::BroadcastRecallConfirm(id(b)?),
            ["b", "k", b] => Callback::BroadcastRecallKeep(id(b)?),
            ["i", "n", i] => Callback::IncidentNotify(IncidentId(id(i)?)),
            ["i", "j", i] => Callback::IncidentJoin(IncidentId(id(i)?)),
            ["i", "o"] => Callback::IncidentOther,
            ["v", "s", subject, m] => {
                let subject = if let Some(t) = subject.strip_prefix('t') {
                    SlotFor::Ticket(ticket(t)?)
                } else {
                    SlotFor::Unit(id(subject.strip_prefix('u')?)?)
                };
                Callback::VisitSlot {
                    subject,
                    at: from_minutes(m)?,
                }
            }
            ["v", "o", v, outcome] => Callback::VisitOutcome {
                visit: id(v)?,
                outcome: [Outcome::Done, Outcome::OwnerAbsent, Outcome::FollowUp]
                    .into_iter()
                    .find(|o| o.code() == *outcome)?,
            },
            ["v", "c", v, m] => {
                let (visit, at) = visit_at(v, m)?;
                Callback::VisitConfirm { visit, at }
            }
            ["v", "r", v, m] => {
                let (visit, at) = visit_at(v, m)?;
                Callback::VisitReschedule { visit, at }
            }
            ["v", "m", v, m] => {
                let (visit, at) = visit_at(v, m)?;
                Callback::VisitMove { visit, at }
            }
            ["c", "p", t] => Callback::CannedPick(ticket(t)?),
            ["c", "s", t, r] => Callback::CannedSend {
                ticket: ticket(t)?,
                reply: id(r)?,
            },
            ["f", "c", t] => Callback::FollowUpCall(ticket(t)?),
            ["f", "n", t] => Callback::FollowUpNote(ticket(t)?),
            ["f", "o", t] => Callback::FollowUpReopen(ticket(t)?),
            ["nt", step, press] => Callback::NewTicketForm {
                step: u8::try_from(number(step)?).ok()?,
                press: FormPress::parse(press)?,
            },
            ["n", "x"] => Callback::IntentNone,
            ["n", update, name] => Callback::Intent {
                update: id(update)?,
                name: intent_name(name)?,
            },
            ["g", "b", t, role] => Callback::RegistrationBind {
                ticket: ticket(t)?,
                role: role_of(role)?,
            },
            ["g", "x", t] => Callback::RegistrationRefuse(ticket(t)?),
            ["h", "i", u, role] => Callback::HouseholdInvite {
                unit: id(u)?,
                role: role_of(role).filter(|r| *r != Role::Owner)?,
            },
            ["h", "r", u, p] => Callback::HouseholdRemove {
                unit: id(u)?,
                person: id(p)?,
            },
            ["h", "y", u, p] => Callback::HouseholdRemoveYes {
                unit: id(u)?,
                person: id(p)?,
            },
            ["h", "k"] => Callback::HouseholdKeep,
            ["h", "m", on] => Callback::Reminders(flag(on)?),
            ["e", "c"] => Callback::ForgetContinue,
            ["e", "y", nonce] => Callback::ForgetErase(id(nonce)?),
            ["e", "k"] => Callback::ForgetKeep,
            ["h", "u", u, p] => Callback::Unbind {
                unit: id(u)?,
                person: id(p)?,
            },
            ["rp", "p", rest @ ..] => Callback::ReportPeriod(decode_period(rest)?),
            ["rp", "r"] => Callback::ReportRange,
            ["rp", "c"] => Callback::ReportCancel,
            ["rp", "x", rest @ ..] => Callback::ReportXlsx(decode_period(rest)?),
            ["rp", "v", rest @ ..] => Callback::ReportCsv(decode_period(rest)?),
            ["a", "j", a] => Callback::ActivityJoin(id(a)?),
            ["a", "l", a] => Callback::ActivityLeave(id(a)?),
            ["a", "r", a, stars] => Callback::ActivityRate {
                activity: id(a)?,
                stars: u8::try_from(number(stars)?)
                    .ok()
                    .filter(|s| (1..=5).contains(s))?,
            },
            ["a", "s", a] => Callback::ActivitySkipComment(id(a)?),
            ["a", "d"] => Callback::ActivitySkipDescription,
            ["a", "c"] => Callback::ActivityAnnounce,
            ["a", "x"] => Callback::ActivityPlanCancel,
            ["o", "k", kind] => Callback::OutageKind(
                IncidentKind::ALL
                    .into_iter()
                    .find(|k| k.as_str() == *kind)?,
            ),
            ["o", "a"] => Callback::OutageAll,
            ["o", "n"] => Callback::OutageNow,
            ["o", "l", code] => Callback::OutageSkipLanguage(Lang::parse(code)?),
            ["o", "d", notify] => Callback::OutageDeclare {
                notify: flag(notify)?,
            },
            ["o", "x"] => Callback::OutageCancel,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine;

    /// One value of every variant, with the largest ids and times it can hold.
    fn longest() -> Vec<Callback> {
        let t = TicketId(i64::MAX);
        let b = i64::MAX;
        let v = i64::MAX;
        // The latest time whose minutes still fit: far beyond any real slot.
        let at = DateTime::<Utc>::MAX_UTC;
        let at = DateTime::from_timestamp(at.timestamp() - at.timestamp() % 60, 0).unwrap();
        let mut all = vec![
            // The most the engine lets its own data take (its check refuses
            // choice keys that would go beyond).
            Callback::Dialogue(format!("d:{}", "k".repeat(engine::callback::MAX_BYTES - 2))),
            Callback::ResumeContinue,
            Callback::ResumeDiscard,
            Callback::Claim(t),
            Callback::Assign(t),
            Callback::GiveTo {
                ticket: t,
                staff_no: i32::MIN,
            },
            Callback::QueuePage(i64::MIN),
            Callback::CancelTicket(t),
            Callback::KeepTicket(t),
            Callback::Rate {
                ticket: t,
                stars: 5,
            },
            Callback::Reopen(t),
            Callback::SkipComment(t),
            Callback::MyComment(t),
            Callback::NewRequest(t),
            Callback::BroadcastCancel(b),
            Callback::BroadcastNoPhoto(b),
            Callback::BroadcastRsvp {
                broadcast: b,
                yes: true,
            },
            Callback::BroadcastUrgent {
                broadcast: b,
                yes: false,
            },
            Callback::BroadcastSendNow(b),
            Callback::BroadcastSendLater(b),
            Callback::BroadcastConfirm(b),
            Callback::BroadcastPreview(b),
            Callback::BroadcastJoin(b),
            Callback::BroadcastDecline(b),
            Callback::BroadcastStop(b),
            Callback::BroadcastRecall(b),
            Callback::BroadcastRecallConfirm(b),
            Callback::BroadcastRecallKeep(b),
            Callback::IncidentNotify(IncidentId(i64::MAX)),
            Callback::IncidentJoin(IncidentId(i64::MAX)),
            Callback::IncidentOther,
            Callback::VisitSlot {
                subject: SlotFor::Ticket(t),
                at,
            },
            Callback::VisitSlot {
                subject: SlotFor::Unit(i64::MAX),
                at,
            },
            Callback::VisitConfirm { visit: v, at },
            Callback::VisitReschedule { visit: v, at },
            Callback::VisitMove { visit: v, at },
            Callback::CannedPick(t),
            Callback::CannedSend {
                ticket: t,
                reply: i64::MAX,
            },
            Callback::FollowUpCall(t),
            Callback::FollowUpNote(t),
            Callback::FollowUpReopen(t),
            Callback::StaffReopen(t),
            Callback::Intent {
                update: i64::MAX,
                name: "x".repeat(crate::engine::intent::MAX_NAME_BYTES),
            },
            Callback::IntentNone,
            Callback::RegistrationRefuse(t),
            Callback::HouseholdRemove {
                unit: i64::MAX,
                person: i64::MAX,
            },
            Callback::HouseholdRemoveYes {
                unit: i64::MAX,
                person: i64::MAX,
            },
            Callback::HouseholdKeep,
            Callback::Reminders(true),
            Callback::Reminders(false),
            Callback::ForgetContinue,
            Callback::ForgetErase(i64::MAX),
            Callback::ForgetKeep,
            Callback::Unbind {
                unit: i64::MAX,
                person: i64::MAX,
            },
        ];
        all.extend(
            [
                FormPress::Back,
                FormPress::Cancel,
                FormPress::Skip,
                FormPress::Done,
                FormPress::Submit,
                FormPress::Pick(u16::MAX),
            ]
            .map(|press| Callback::NewTicketForm {
                step: u8::MAX,
                press,
            }),
        );
        all.extend(
            [Role::Owner, Role::Tenant, Role::Family]
                .map(|role| Callback::RegistrationBind { ticket: t, role }),
        );
        all.extend(
            [Role::Tenant, Role::Family].map(|role| Callback::HouseholdInvite {
                unit: i64::MAX,
                role,
            }),
        );
        all.extend([
            Callback::ReportRange,
            Callback::ReportCancel,
            Callback::ActivityJoin(b),
            Callback::ActivityLeave(b),
            Callback::ActivityRate {
                activity: b,
                stars: 5,
            },
            Callback::ActivitySkipComment(b),
            Callback::ActivitySkipDescription,
            Callback::ActivityAnnounce,
            Callback::ActivityPlanCancel,
            Callback::OutageAll,
            Callback::OutageNow,
            Callback::OutageDeclare { notify: true },
            Callback::OutageCancel,
        ]);
        all.extend(IncidentKind::ALL.map(Callback::OutageKind));
        all.extend(Lang::ALL.map(Callback::OutageSkipLanguage));
        let far = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        for p in [
            Period::month(9999, 12).unwrap(),
            Period::quarter(9999, 4).unwrap(),
            Period {
                from: far(9999, 1, 1),
                to: far(9999, 12, 31),
                kind: PeriodKind::Range,
            },
        ] {
            all.push(Callback::ReportPeriod(p));
            all.push(Callback::ReportXlsx(p));
            all.push(Callback::ReportCsv(p));
        }
        all.extend(MenuItem::ALL.map(Callback::Menu));
        all.extend(Lang::ALL.map(Callback::Language));
        all.extend(Lang::ALL.map(|lang| Callback::BroadcastSkipLanguage { broadcast: b, lang }));
        all.extend(
            AudienceChoice::ALL.map(|choice| Callback::BroadcastAudience {
                broadcast: b,
                choice,
            }),
        );
        all.extend(
            [Outcome::Done, Outcome::OwnerAbsent, Outcome::FollowUp]
                .map(|outcome| Callback::VisitOutcome { visit: v, outcome }),
        );
        all
    }

    #[test]
    fn every_variant_survives_a_round_trip() {
        let at = DateTime::from_timestamp(1_796_000_000 / 60 * 60, 0).unwrap();
        let mut all = longest();
        all.extend([
            Callback::Dialogue("d:7:b".into()),
            Callback::QueuePage(2),
            Callback::GiveTo {
                ticket: TicketId(12),
                staff_no: 3,
            },
            Callback::Rate {
                ticket: TicketId(12),
                stars: 1,
            },
            Callback::VisitSlot {
                subject: SlotFor::Unit(4),
                at,
            },
            Callback::VisitMove { visit: 9, at },
            Callback::Intent {
                update: 812,
                name: "water".into(),
            },
        ]);
        for c in all {
            let data = c.encode();
            assert_eq!(Callback::decode(&data), Some(c), "{data}");
        }
    }

    #[test]
    fn the_longest_encoding_of_every_variant_fits_telegrams_limit() {
        let mut longest_seen = 0;
        for c in longest() {
            let data = c.encode();
            assert!(data.len() <= MAX_BYTES, "{data} is {} bytes", data.len());
            longest_seen = longest_seen.max(data.len());
        }
        // A dialogue button of the engine's largest data is the longest;
        // of the others, a visit slot for ticket i64::MAX (38 bytes).
        println!("longest callback data: {longest_seen} bytes");
        assert_eq!(longest_seen, MAX_BYTES);
    }

    #[test]
    fn old_layouts_garbage_and_forgeries_decode_to_nothing() {
        for data in [
            "",
            "1",
            "2t:c:5",
            "0t:c:5",
            // The layout before versions: every one of them.
            "t:c:5",
            "t:r:5:3",
            "b:j:2",
            "b:c:1",
            "v:c:3:29000000",
            "i:o",
            "m:repair",
            "lang:en",
            "r:c",
            "d:7:b",
            // Forged or garbled.
            "1t:c:",
            "1t:c:0",
            "1t:c:-4",
            "1t:c:#5",
            "1t:c:+5",
            "1t:c: 5",
            "1t:c:5:6",
            "1t:r:5:0",
            "1t:r:5:6",
            "1t:r:5:300",
            "1t:z:5",
            "1t:q:x",
            "1t:g:5:99999999999",
            "1b:w:3:later",
            "1b:r:3:2",
            "1b:a:3:everyone",
            "1m:lottery",
            "1l:fr",
            "1r:x",
            "1i:o:1",
            "1v:s:x5:100",
            "1v:s:u5:",
            "1v:o:3:z",
            "1v:c:3:99999999999999999999",
            "1v:m:3:999999999999999999",
            "1n:5",
            "1n:5:Repair",
            "1n:5:a-b",
            "1n:0:water",
            "1n:5:water:2",
            "1n:5:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "1x",
            "1:",
            "1c:s:5",
            "1c:s:5:0",
            "1f:x:5",
            "1nt:300:b",
            "1nt:1:70000",
            "1nt:1:y",
            "1g:b:5:x",
            "1g:b:0:o",
            "1g:x:",
            "1h:i:5:o",
            "1h:i:-5:t",
            "1h:r:5",
            "1h:y:5:0",
            "1h:m:2",
            "1h:u:5:p",
            "1h:k:1",
            "1rp:p:m:202613",
            "1rp:p:q:20265",
            "1rp:x:r:20261130:20261101",
            "1rp:x:r:2026113:20261201",
            "1rp:p:m:+20261",
            "1a:r:3:0",
            "1a:r:3:6",
            "1a:j:0",
            "1a:j:x",
            "1o:k:fire",
            "1o:d:2",
        ] {
            assert_eq!(Callback::decode(data), None, "{data:?}");
        }
    }
}
