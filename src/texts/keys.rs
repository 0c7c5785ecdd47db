//! The one key set: every text the code shows, as a typed constant. The
//! words are in `dialogues/texts.toml`; `propdesk check` holds the two
//! against each other.

use super::key::{Kind, Phrase};

/// `: button` after a key; none means a message.
macro_rules! kind {
    () => {
        Kind::Message
    };
    (usage) => {
        Kind::Usage
    };
    (button) => {
        Kind::Button
    };
    (callback) => {
        Kind::Callback
    };
    (command) => {
        Kind::Command
    };
}

/// The one key set: `NAME ["placeholder", …] [per "placeholder"]: kind;`
/// per text (`per` names the placeholder whose number picks the plural form,
/// see `plural`). Keys of `root` are `texts::NAME` and top-level keys of
/// `texts.toml`; keys of `mod section` are `texts::section::NAME` under
/// `[section]`.
macro_rules! catalogue {
    (
        root { $( $name:ident $([$($ph:literal),*])? $(per $count:literal)? $(: $kind:ident)? ; )* }
        $( mod $sec:ident { $( $sname:ident $([$($sph:literal),*])? $(per $scount:literal)? $(: $skind:ident)? ; )* } )*
    ) => {
        $(
            pub const $name: Phrase = Phrase::new(
                "",
                stringify!($name),
                &[$($($ph),*)?],
                count!($($count)?),
                kind!($($kind)?),
            );
        )*
        $(
            pub mod $sec {
                use crate::texts::key::{Kind, Phrase};
                $(
                    pub const $sname: Phrase = Phrase::new(
                        stringify!($sec),
                        stringify!($sname),
                        &[$($($sph),*)?],
                        count!($($scount)?),
                        kind!($($skind)?),
                    );
                )*
            }
        )*
        /// Every key the code uses: what `propdesk check` holds
        /// `texts.toml` against.
        pub const ALL: &[Phrase] = &[$($name,)* $($($sec::$sname,)*)*];
    };
}

/// `per "n"` after a key's placeholders; none: one text for every number.
macro_rules! count {
    () => {
        None
    };
    ($count:literal) => {
        Some($count)
    };
}

catalogue! {
    root {
        WELCOME;
        HELP: usage;
        MENU;
        MENU_COMPLAINT: button;
        MENU_REPAIR: button;
        MENU_CONSULTATION: button;
        MENU_REGISTRATION: button;
        MENU_FEES: button;
        MENU_SURVEY: button;
        MENU_SUGGESTION: button;
        MENU_TICKETS: button;
        UNKNOWN_TEXT;
        UNKNOWN_COMMAND;
        UNSUPPORTED_MESSAGE;
        STAFF_HELP: usage;
        PHOTO_WITHOUT_CONTEXT;
        EDITED_MESSAGE;
        APOLOGY ["ref"];
        HELP_IN_DIALOGUE ["title"];
        RESUME_ASK ["title"];
        RESUME_CONTINUE: button;
        RESUME_DISCARD: button;
        DRAFT_DISCARDED;
        DRAFT_EXPIRED ["hours"] per "hours";
        DIALOGUE_GONE;
        NOTHING_TO_CANCEL;
        BUTTON_EXPIRED: callback;
        LANGUAGE_CHOOSE;
        LANGUAGE_SET;
        LANGUAGE_NAME: button;
        CMD_START: command;
        CMD_HELP: command;
        CMD_MENU: command;
        CMD_CANCEL: command;
        CMD_MYTICKETS: command;
        CMD_LANG: command;
        CMD_SURVEY: command;
        KIND_COMPLAINT;
        KIND_REPAIR;
        KIND_CONSULTATION;
        KIND_REGISTRATION;
        KIND_SUGGESTION;
        KIND_OTHER;
        STATUS_OPEN;
        STATUS_CLAIMED;
        STATUS_SCHEDULED;
        STATUS_RESOLVED;
        STATUS_CLOSED;
        STATUS_CANCELLED;
        PRIORITY_LOW;
        PRIORITY_NORMAL;
        PRIORITY_HIGH;
        PRIORITY_URGENT;
        CHANNEL_TELEGRAM;
        CHANNEL_PHONE;
        CHANNEL_WALK_IN;
        UNIT_MINUTES ["n"];
        UNIT_HOURS ["n"];
        UNIT_DAYS ["n"];
        ACTOR_OWNER;
        ACTOR_SYSTEM;
        CARD_TICKET;
        CARD_UNIT;
        CARD_LOCATION;
        CARD_OWNER;
        CARD_PHONE;
        CARD_CHANNEL;
        CARD_MORE ["id"];
        CARD_PHOTOS ["n"];
        CARD_FILED;
        CARD_AGO ["age"];
        CARD_DUE_RESPONSE;
        CARD_DUE_RESOLVE;
        CARD_STATUS;
        CARD_APPOINTMENT;
        CARD_RATING;
        BUTTON_CLAIM: button;
        BUTTON_ASSIGN: button;
        BUTTON_PREV: button;
        BUTTON_NEXT: button;
        STAFF_ONLY: callback;
        STAFF_ROLE_TOO_LOW ["role", "needed"];
        NEED_TICKET_NUMBER: usage;
        NO_SUCH_TICKET ["id"];
        ALREADY_HELD ["id", "who"];
        NOT_OPEN ["id", "status", "action"];
        NOT_HOLDER ["id"];
        ACTION_CLAIM;
        ACTION_ASSIGN;
        ACTION_RELEASE;
        ACTION_SCHEDULE;
        ACTION_RESOLVE;
        ACTION_REOPEN;
        ACTION_CANCEL;
        ACTION_CLOSE;
        ACTION_RATE;
        ACTION_COMMENT;
        ACTION_NOTE;
        CLAIMED_BY_YOU ["id"]: callback;
        QUEUE_EMPTY;
        QUEUE_HEADER ["total", "page", "pages"] per "total";
        MINE_EMPTY;
        MINE_HEADER;
        RELEASED ["id"];
        NEED_STAFF_REF: usage;
        NO_SUCH_STAFF ["who"];
        ASSIGNED ["id", "who"];
        ASSIGNED_TO_YOU ["id"];
        PICK_ASSIGNEE ["id"];
        NEED_REPLY_TEXT: usage;
        NO_OWNER_CHAT ["id"];
        OWNER_BLOCKED ["id", "phone"];
        REPLY_SENT ["id"];
        REPLY_SENT_SPLIT ["id", "parts"];
        NEED_NOTE_TEXT: usage;
        NOTE_SAVED ["id"];
        RESOLVED_OK ["id"];
        REOPENED ["id"];
        NEED_SCHEDULE_TIME: usage;
        SCHEDULED_OK ["id", "at"];
        HISTORY;
        NEWTICKET_USAGE: usage;
        NEWTICKET_OK ["id"];
        STAFF_PRIVATE_ONLY;
        STAFF_USAGE: usage;
        STAFF_LIST;
        STAFF_SAVED ["who"];
        STAFF_REMOVED ["who"];
        STAFF_ROLE_SET ["who", "role"];
        STAFF_NOT_SELF;
        STAFF_LOW_RATING ["id", "stars"] per "stars";
        STAFF_RATING_COMMENT ["id", "text"];
        STAFF_OWNER_REOPENED ["id"];
        RELAYED_HEADER ["id", "unit"];
        PUSH_TAKEN ["id", "who"];
        REPLY_HEADER ["who", "id"];
        PUSH_SCHEDULED ["id", "at"];
        PUSH_REOPENED ["id"];
        PUSH_RESOLVED ["id"];
        MYTICKETS_EMPTY;
        MYTICKETS_HEADER;
        BUTTON_CANCEL_TICKET ["id"]: button;
        BUTTON_REOPEN_TICKET ["id"]: button;
        BUTTON_SKIP: button;
        ASK_CANCEL_REASON ["id"];
        CANCELLED_OK ["id"];
        CANNOT_CANCEL ["id"];
        CANNOT_REOPEN: callback;
        ALREADY_RATED: callback;
        ASK_RATING_COMMENT;
        LOW_RATING_SORRY;
        THANKS_FOR_RATING: callback;
        FOLLOW_UP_RELAYED ["id"];
        BUTTON_KEEP_TICKET ["id"]: button;
        CANCEL_NOT_A_REASON ["id"];
        TICKET_KEPT ["id"];
        CANCEL_REASON_EXPIRED ["id"];
        RATING_OR_NEW_PROBLEM ["id"];
        BUTTON_IT_WAS_MY_COMMENT ["id"]: button;
        REOPEN_OR_NEW ["id", "kind", "at"];
        BUTTON_NEW_REQUEST: button;
        NEW_REQUEST_PICK;
        BROADCAST_DRAFT_EXPIRED ["n", "hours"] per "hours";
        VISIT_NOTE_EXPIRED ["visit"];
        VISIT_NOTE_CANCELLED ["visit"];
        VISIT_NOTE_WAY_OUT;
        PING_RESPONSE ["id", "due"];
        PING_RESOLVE ["id", "due", "who"];
        ESCALATION ["id", "kind", "unit", "due", "who"];
        NOBODY;
        DIGEST_TITLE ["date"];
        DIGEST_SUGGESTIONS ["n"] per "n";
        DIGEST_NO_SUGGESTIONS;
        DIGEST_ANONYMOUS;
        DIGEST_OPEN;
        DIGEST_NO_OPEN;
        DIGEST_RATINGS ["n", "avg"] per "n";
        DIGEST_NO_RATINGS;
        SUGGESTION_ACK;
        SETTING_OFFICE_HOURS: usage;
        SETTING_VISIT_MORNING_SLOT;
        SETTING_VISIT_AFTERNOON_SLOT;
        SETTING_VISIT_SLOT_DAYS;
        SETTING_DIGEST_TIME;
        SETTING_REOPEN_DAYS;
        SETTING_PING_INTERVAL;
        SETTING_QUIET_HOURS: usage;
        SETTING_REMINDER_DAY;
        SETTING_REMINDER_TIME;
        SETTING_SURVEY_REMINDER_DAYS;
        SETTING_SURVEY_AUTO_DAY;
        SETTING_DEADLINE ["kind", "priority"];
        SETTING_UNKNOWN ["key"];
        SETTING_BAD_VALUE ["key", "allowed"];
        SETTING_ALLOWED_TIME: usage;
        SETTING_ALLOWED_HOURS: usage;
        SETTING_ALLOWED_QUIET: usage;
        SETTING_ALLOWED_NUMBER ["min", "max"];
        SETTING_ALLOWED_DAY ["max"];
        SETTING_ALLOWED_DEADLINE ["max"]: usage;
        SETTINGS_TITLE: usage;
        SETTING_CHANGED ["key", "old", "new"];
        SETTINGS_USAGE: usage;
        SETTING_TICKETS_PER_DAY;
        SLOW_DOWN ["limit"];
        TICKET_CAP_REACHED ["limit", "phone"] per "limit";
        BAN_USAGE: usage;
        BANNED_NOTICE;
        UNBANNED_NOTICE;
        BAN_DONE ["user", "reason"];
        BAN_ALREADY ["user"];
        UNBAN_DONE ["user"];
        UNBAN_NOT_BANNED ["user"];
        BAN_NOT_STAFF ["user"];
    }
    mod broadcast {
        MANAGERS_ONLY;
        PRIVATE_ONLY;
        ASK_AUDIENCE;
        AUDIENCE_ALL: button;
        AUDIENCE_BUILDING: button;
        AUDIENCE_FLOOR: button;
        AUDIENCE_UNITS: button;
        AUDIENCE_RSVP: button;
        ASK_BUILDING: usage;
        ASK_FLOOR: usage;
        ASK_UNITS: usage;
        ASK_RSVP_SOURCE: usage;
        BAD_FLOOR: usage;
        BAD_NUMBER: usage;
        UNKNOWN_UNITS ["units"];
        NOT_AN_RSVP ["n"];
        NO_AUDIENCE ["audience"];
        AUDIENCE_SET ["audience", "count"] per "count";
        TEXT_TOO_LONG ["len", "limit"];
        CAPTION_TOO_LONG ["len"];
        ASK_TEXT;
        ASK_PHOTO;
        NO_PHOTO: button;
        ASK_RSVP;
        YES_RSVP: button;
        NO_RSVP: button;
        ASK_URGENT ["quiet"];
        URGENT: button;
        NOT_URGENT: button;
        ASK_WHEN;
        SEND_NOW: button;
        SEND_LATER: button;
        ASK_TIME: usage;
        BAD_TIME: usage;
        PAST_TIME;
        PREVIEW_INTRO;
        SUMMARY ["audience", "count", "blocked", "urgent", "rsvp", "when"];
        YES;
        NO;
        WHEN_NOW;
        WHEN_AT ["at"];
        WHEN_HELD ["at"];
        CONFIRM: button;
        CANCEL: button;
        CANCELLED;
        PREVIEW_BUTTON: callback;
        EXPIRED: callback;
        ALREADY_CONFIRMED: callback;
        USE_BUTTONS;
        PROGRESS ["id", "audience", "state", "sent", "failed", "blocked", "waiting"];
        STATE_SCHEDULED ["at"];
        STATE_SENDING;
        STATE_DONE;
        RSVP_TOTALS ["join", "decline"];
        JOIN: button;
        DECLINE: button;
        JOINED: callback;
        DECLINED: callback;
        SAME_ANSWER: callback;
        LIST_EMPTY;
        LIST_HEADER;
        LIST_LINE ["id", "at", "audience", "status", "sent", "failed", "blocked", "waiting", "rsvp"];
        LIST_RSVP ["join", "decline"];
        STATUS_SCHEDULED;
        STATUS_SENDING;
        STATUS_DONE;
        STATUS_CANCELLED;
        AUDIENCE_ALL_LABEL;
        AUDIENCE_BUILDING_LABEL ["building"];
        AUDIENCE_FLOOR_LABEL ["building", "floor"];
        AUDIENCE_UNITS_LABEL ["count", "units"] per "count";
        AUDIENCE_RSVP_LABEL ["n"];
    }
    mod visits {
        VISIT_USAGE: usage;
        VISIT_PICK_SLOT ["what"];
        VISIT_NO_SLOTS ["arg"]: usage;
        VISIT_BAD_TIME ["when"]: usage;
        VISIT_PAST ["at"];
        VISIT_OUTSIDE_HOURS ["at", "open", "close"];
        VISIT_TICKET_CLOSED ["id", "status"];
        VISIT_PROPOSED_STAFF ["visit", "what", "at"];
        VISIT_BOOKED_NO_OWNER ["visit", "what", "at"];
        VISIT_CONFIRMED_STAFF ["visit", "what", "at"];
        VISIT_WANTS_OTHER_STAFF ["visit", "what", "at"];
        VISIT_MOVED_BY_OWNER_STAFF ["visit", "what", "at"];
        VISIT_STAFF_REMINDER ["visit", "what", "at"];
        VISIT_PROPOSED_OWNER_TICKET ["at", "id", "unit"];
        VISIT_PROPOSED_OWNER_UNIT ["at", "unit"];
        BUTTON_CONFIRM: button;
        BUTTON_RESCHEDULE: button;
        VISIT_CONFIRMED_OWNER ["at"];
        VISIT_PICK_OTHER_OWNER ["phone"];
        VISIT_MOVED_OWNER ["at"];
        VISIT_ALREADY_CONFIRMED ["at"]: callback;
        VISIT_GONE: callback;
        VISIT_SLOT_GONE: callback;
        VISIT_OWNER_REMINDER_24H ["at", "what"];
        VISIT_OWNER_REMINDER_1H ["at", "what"];
        OUTCOME_USAGE: usage;
        OUTCOME_PICK ["visit", "what", "at"];
        BUTTON_OUTCOME_DONE: button;
        BUTTON_OUTCOME_ABSENT: button;
        BUTTON_OUTCOME_FOLLOW_UP: button;
        OUTCOME_ASK_NOTE;
        OUTCOME_ASK_FOLLOW_UP;
        OUTCOME_RECORDED ["visit", "outcome"];
        OUTCOME_FOLLOW_UP_FILED ["visit", "ticket"];
        OUTCOME_ALREADY ["visit"];
        OUTCOME_NONE ["what"];
        OUTCOME_NOT_YOURS ["visit", "who"];
        OUTCOME_DONE;
        OUTCOME_ABSENT;
        OUTCOME_FOLLOW_UP;
        NO_SUCH_VISIT ["what"];
        SURVEY_USAGE: usage;
        SURVEY_BAD_CODE ["code"]: usage;
        SURVEY_STARTED ["code", "n", "when", "days"] per "n";
        SURVEY_RUNNING ["code", "n"] per "n";
        WHEN_NOW;
        SURVEY_INVITE ["code", "unit"];
        SURVEY_REMINDER ["unit", "code"];
        BUTTON_TAKE_SURVEY: button;
    }
    mod incident {
        INCIDENT_USAGE: usage;
        INCIDENT_EXAMPLE: usage;
        ERR_NO_BUILDINGS: usage;
        ERR_UNKNOWN_BUILDING ["building", "known"];
        ERR_MISSING_KIND;
        ERR_UNKNOWN_KIND ["kind"];
        ERR_MISSING_END: usage;
        ERR_BAD_TIME ["time"]: usage;
        ERR_END_IN_PAST ["time"];
        ERR_MISSING_TEXT;
        ERR_TOO_LONG ["got", "max"];
        DECLARED ["id", "kind", "buildings", "end", "text", "n"];
        NOTIFY_BUTTON: button;
        NOTIFIED ["id", "count"] per "count";
        ALREADY_NOTIFIED: callback;
        NOTIFY_CLOSED: callback;
        NOTIFY_NOT_YOURS: callback;
        LIST_EMPTY;
        LIST_HEADER;
        LIST_LINE ["id", "kind", "buildings", "end", "reports", "text"] per "reports";
        OVERDUE_MARK;
        CLOSE_USAGE: usage;
        CLOSE_NOT_FOUND ["id"];
        CLOSE_ALREADY ["id"];
        CLOSED ["id", "count"] per "count";
        NOTICE ["kind", "id", "buildings", "end", "text"];
        OFFER_QUESTION;
        JOINED ["id"];
        ALREADY_JOINED ["id"];
        JOIN_CLOSED ["id"];
        OWNER_CLOSED ["kind", "id", "buildings"];
    }
    mod reminders {
        CMD_REMINDERS: command;
        REMINDERS_USAGE: usage;
        REMINDERS_ON ["quiet"];
        REMINDERS_OFF;
        REMINDERS_STATE_ON;
        REMINDERS_STATE_OFF;
        REMINDERS_NOT_REGISTERED;
        REMINDER ["name", "date", "lines", "total"];
        REMINDER_LINE ["unit", "amount"];
    }
    mod engine {
        BACK: button;
        CANCEL: button;
        CANCELLED;
        EXPIRED: callback;
        SKIP: button;
        DONE: button;
        YES: button;
        NO: button;
        TALK_TO_STAFF: button;
        KEEP_TRYING: button;
        HUMAN_OFFER;
        HANDED_OFF ["ticket_no"];
        SOMETHING_WRONG;
        PLEASE_WAIT;
        RESTARTED;
        SHARE_CONTACT: button;
        SHARE_LOCATION: button;
        NAV_HINT;
        RECEIVED;
        CONTACT_NOT_OWN;
        RETRY_CHOICE;
        RETRY_TEXT;
        RETRY_NUMBER;
        RETRY_DATE;
        RETRY_PHOTO;
        RETRY_PHOTO_OPTIONAL;
        RETRY_LOCATION;
        RETRY_CONTACT;
        RETRY_YES_NO;
        RETRY_RATING;
        TOO_SHORT ["min"];
        TOO_LONG ["len", "max"];
        NO_LETTERS;
        PATTERN_MISMATCH ["example"];
        NUMBER_OUT_OF_RANGE ["min", "max"];
        PHOTOS_RECEIVED ["n", "max"] per "n";
        PHOTOS_TRIMMED ["max"] per "max";
        DAY_PASSED;
        MORNING;
        AFTERNOON;
        EMPTY;
    }
    mod labels {
        ROLE_OWNER;
        ROLE_TENANT;
        ROLE_FAMILY;
        STAFF_ROLE_ASSISTANT;
        STAFF_ROLE_BUTLER;
        STAFF_ROLE_SUPERVISOR;
        STAFF_ROLE_MANAGER;
        STAFF_SIGNATURE ["role", "no"];
        INCIDENT_WATER;
        INCIDENT_POWER;
        INCIDENT_LIFT;
        INCIDENT_GAS;
        INCIDENT_OTHER;
        TODAY: button;
        TOMORROW: button;
        MONDAY;
        TUESDAY;
        WEDNESDAY;
        THURSDAY;
        FRIDAY;
        SATURDAY;
        SUNDAY;
        JANUARY;
        FEBRUARY;
        MARCH;
        APRIL;
        MAY;
        JUNE;
        JULY;
        AUGUST;
        SEPTEMBER;
        OCTOBER;
        NOVEMBER;
        DECEMBER;
        DAY ["month", "day", "weekday"]: button;
        DAY_AND_TIME ["month", "day", "weekday", "time"];
    }
    mod fees {
        NO_UNIT;
        HEADER ["today"];
        TOTAL ["total"];
        NO_RECORDS;
        EARLIER ["count", "first", "last", "due", "paid", "unpaid"] per "count";
        ARREARS ["amount"];
        UPCOMING ["amount"];
        LATEST_PAYMENTS ["list"];
        LIST_SEPARATOR;
        PAID;
        OVERDUE ["date"];
        DUE_BY ["date"];
        LINE ["item", "due", "paid", "status"];
        AREA ["area", "approx", "rate"];
    }

    // Staff desk tools (issue 10 items 3-8): phones for the holder, canned
    // replies, phone and walk-in tickets, command menus, low-rating follow-ups.
    mod desk {
        SETTING_STAFF_LANGUAGE;
        SETTING_COMMON_AREAS;
        SETTING_FOLLOW_UP_HOURS;
        SETTING_ALLOWED_LANGUAGE ["codes"];
        SETTING_ALLOWED_LIST ["items", "chars"];
        CHANNEL_PATROL;
        CARD_CALLER;
        CARD_APPLICANT;
        CATEGORY_VERIFY_RESIDENT;
        CARD_PHOTOS_LATER ["n", "id"] per "n";
        CARD_PHOTOS_ELSEWHERE ["n", "id"];
        HOLDER_NOTICE ["id"];
        NO_PHONE ["id"];
        BUTTON_CANNED: button;
        CANNED_PICK ["id"];
        CANNED_NONE;
        CANNED_NO_MATCH ["word"];
        CANNED_LIST_HEADER;
        CANNED_LIST_LINE ["key", "text"];
        CANNED_MISSING ["key", "what", "id"];
        PH_OWNER_NAME;
        PH_VISIT_TIME;
        PH_UNIT;
        CANNED_USAGE ["placeholders"]: usage;
        CANNED_EDIT_USAGE ["placeholders"]: usage;
        CANNED_ADDED ["key"];
        CANNED_EDITED ["key"];
        CANNED_REMOVED ["key"];
        CANNED_EXISTS ["key"];
        CANNED_UNKNOWN ["key"];
        CANNED_BAD_KEY ["key"];
        CANNED_MISSING_LANGUAGE ["key", "lang"];
        CANNED_BAD_PLACEHOLDER ["name", "allowed"];
        CANNED_PLACEHOLDERS_DIFFER ["key"];
        CANNED_BAD_LINE ["line"];
        CANNED_TOO_LONG ["lang", "max"];
        CMD_QUEUE: command;
        CMD_NEXT: command;
        CMD_CLAIM: command;
        CMD_RELEASE: command;
        CMD_ASSIGN: command;
        CMD_TRANSFER: command;
        CMD_REPLY: command;
        CMD_NOTE: command;
        CMD_RESOLVE: command;
        CMD_REOPEN: command;
        CMD_SCHEDULE: command;
        CMD_MINE: command;
        CMD_TICKET: command;
        CMD_NEWTICKET: command;
        CMD_CANNED: command;
        CMD_STAFF: command;
        CMD_SETTINGS: command;
        CMD_BAN: command;
        CMD_UNBAN: command;
        CMD_UNBIND: command;
        CMD_HELP: command;
        CMD_VISIT: command;
        CMD_OUTCOME: command;
        CMD_INCIDENT: command;
        CMD_INCIDENTS: command;
        CMD_INCIDENT_CLOSE: command;
        CMD_BROADCAST: command;
        CMD_BROADCASTS: command;
        CMD_BROADCAST_STOP: command;
        CMD_BROADCAST_RECALL: command;
        CMD_INCIDENT_UPDATE: command;
        CMD_OUTAGE: command;
        CMD_REPORT: command;
        CMD_ACTIVITY: command;
        CMD_ACTIVITIES: command;
        CMD_ATTENDANCE: command;
        LOW_RATING_SUPERVISOR ["id", "stars", "due"] per "stars";
        LOW_RATING_COMMENT ["text"];
        BUTTON_CALL_BACK: button;
        BUTTON_FOLLOW_UP_NOTE: button;
        BUTTON_FOLLOW_UP_REOPEN: button;
        CALL_BACK ["id", "who", "phone"];
        ASK_FOLLOW_UP_NOTE ["id"];
        TOPIC_FINISHED ["id", "status", "n"];
        BUTTON_REOPEN: button;
        TOPIC_OPENED_AGAIN ["id"];
        TOPIC_TEXT_OR_PHOTO;
        FOLLOW_UP_DONE ["id"];
        FOLLOW_UP_NOT_OPEN ["id"];
        FOLLOW_UP_CHASE ["id", "due"];
        FOLLOW_UP_NOTE_EXPIRED ["id"];
        NT_ASK_PLACE;
        NT_UNKNOWN_PLACE ["unit"];
        NT_ASK_CALLER;
        NT_BAD_CALLER;
        NT_CALLER_KNOWN ["name"];
        NT_ASK_KIND;
        NT_ASK_CATEGORY;
        NT_ASK_PRIORITY;
        NT_ASK_DESCRIPTION;
        NT_BAD_DESCRIPTION ["max"];
        NT_ASK_PHOTOS;
        NT_PHOTOS_RECEIVED ["n"] per "n";
        NT_ASK_CHANNEL;
        NT_CONFIRM ["summary"];
        NT_PRESS_A_BUTTON;
        NT_CANCELLED;
        NT_EXPIRED;
        NT_OWNER_TOLD ["id", "kind", "channel"];
        NT_URGENT ["id", "place", "text"];
        BUTTON_SUBMIT: button;
        BUTTON_NO_CATEGORY: button;
        DID_YOU_MEAN ["units"];
    }

    // Free text: the owner's own words find their dialogue.
    mod intents {
        WHICH_ONE;
        WHICH_FIRST;
        OPTION ["dialogue", "label"]: button;
        NONE_OF_THESE: button;
        TOO_LONG ["len", "max"];
        NO_WORDS;
        STICKER;
        URGENT ["duty_phone"];
    }
    // Households: choose the unit, registration by staff, invitations,
    // /household, /unbind (issue 11 items 2–4).
    mod household {
        CMD_HOUSEHOLD: command;
        NOT_REGISTERED;
        UNIT_HEADER ["unit", "role"];
        MEMBER ["name", "role"];
        MEMBER_YOU ["name", "role"];
        INVITED_BY ["name", "role", "by"];
        OWNER_ACTIONS;
        NOT_OWNER_NOTE;
        BUTTON_INVITE_FAMILY: button;
        BUTTON_INVITE_TENANT: button;
        BUTTON_REMOVE ["name"]: button;
        INVITE_LINK ["role", "unit", "until", "link"];
        ONLY_OWNERS: callback;
        REMOVE_ASK ["name", "unit"];
        BUTTON_REMOVE_YES: button;
        BUTTON_REMOVE_NO: button;
        REMOVE_KEPT;
        REMOVED ["name", "unit"];
        GONE_ALREADY ["unit"];
        CANNOT_REMOVE_OWNER: callback;
        YOU_WERE_REMOVED ["unit", "by"];
        INVITE_INVALID;
        INVITE_EXPIRED ["at"];
        INVITE_USED;
        INVITE_INVITER_GONE;
        INVITE_OWN_LINK;
        INVITE_ALREADY_MEMBER ["unit", "role"];
        INVITE_WELCOME ["unit", "role", "by"];
        INVITE_ACCEPTED ["name", "unit", "role"];
        REMINDERS_ASK;
        BUTTON_REMINDERS_ON: button;
        BUTTON_REMINDERS_OFF: button;
        BUTTON_BIND_OWNER: button;
        BUTTON_BIND_TENANT: button;
        BUTTON_BIND_FAMILY: button;
        BUTTON_REFUSE: button;
        BOUND_STAFF ["id", "name", "unit", "role"];
        BOUND_APPLICANT ["unit", "role"];
        BIND_NOTE ["unit", "role"];
        NOT_PENDING: callback;
        NO_APPLICANT: callback;
        REFUSE_ASK ["id"];
        REFUSED_STAFF ["id"];
        REFUSED_APPLICANT ["id", "reason"];
        REFUSAL_EXPIRED ["id"];
        UNBIND_USAGE: usage;
        NO_UNIT ["unit"];
        NO_UNIT_CLOSE ["unit", "close"];
        UNBIND_PICK ["unit"];
        UNBIND_NOBODY ["unit"];
        BUTTON_UNBIND ["name", "role"]: button;
        UNBIND_NO_MATCH ["unit", "who"];
        UNBIND_AMBIGUOUS ["unit", "who"];
        UNBOUND ["unit", "names"];
        UNBOUND_NOTICE ["unit"];
        SETTING_INVITE_HOURS;
    }

    // ------------------------------------------------------------ issue 13
    mod report {
        MANAGERS_ONLY;
        PRIVATE_ONLY;
        ASK_PERIOD;
        THIS_MONTH: button;
        LAST_MONTH: button;
        THIS_QUARTER: button;
        LAST_QUARTER: button;
        A_RANGE: button;
        CANCEL: button;
        CANCELLED;
        ASK_RANGE ["max"];
        BAD_PERIOD ["text"];
        END_BEFORE_START;
        FUTURE;
        TOO_LONG ["max"];
        WORKING ["period"];
        EMPTY ["period"];
        PERIOD_MONTH ["year", "month"];
        PERIOD_QUARTER ["year", "quarter"];
        PERIOD_RANGE ["from", "to"];
        TITLE ["period"];
        CHART_TITLE ["period"];
        CHART_SUBTITLE ["from", "to", "timezone"];
        TICKETS ["total", "kinds"];
        NO_TICKETS;
        KIND_COUNT ["kind", "n"];
        DEADLINES ["response", "response_n", "resolve", "resolve_n"];
        MEDIANS ["response", "resolve"];
        RATINGS ["average", "count"];
        NO_RATINGS;
        SURVEY ["quarter", "mean", "responses"] per "responses";
        NO_SURVEY;
        BROADCASTS ["notices", "delivered", "recipients", "join", "decline"];
        ACTIVITIES_HEADER;
        ACTIVITY_LINE ["title", "date", "joined", "capacity", "waiting", "attended", "rating", "ratings", "comments"] per "comments";
        COMMENT_LINE ["comment"];
        STAFF_HEADER;
        DEPARTMENTS_HEADER;
        PEOPLE_LINE ["name", "assigned", "resolved", "on_time", "rating"];
        NO_DEPARTMENT;
        NO_UNIT;
        ACTIVITY_OVERDUE ["date"];
        ACTIVITY_NEVER;
        NONE;
        MINUTES ["n"];
        HOURS ["n"];
        DAYS ["n"] per "n";
        XLSX_BUTTON: button;
        CSV_BUTTON: button;
        FILE_CAPTION ["period"];
        CHART_CAPTION ["title", "n", "of"];
        MONTHLY_INTRO ["period"];
        PANEL_KIND_BUILDING;
        PANEL_DEADLINES;
        PANEL_STAFF;
        PANEL_DEPARTMENTS;
        PANEL_RATINGS;
        PANEL_SURVEY;
        PANEL_BROADCASTS;
        PANEL_ACTIVITIES;
        CHART_TICKETS;
        CHART_PEOPLE;
        SERIES_RESPONSE;
        SERIES_RESOLVE;
        SERIES_ASSIGNED;
        SERIES_RESOLVED;
        SERIES_RATINGS;
        SERIES_MEAN;
        SERIES_RECIPIENTS;
        SERIES_DELIVERED;
        SERIES_JOIN;
        SERIES_DECLINE;
        SERIES_JOINED;
        SERIES_ATTENDED;
        SERIES_WAITING;
        ALL_KINDS;
        STARS ["n"];
        SHEET_SUMMARY;
        SHEET_TICKETS;
        SHEET_DEADLINES;
        SHEET_STAFF;
        SHEET_DEPARTMENTS;
        SHEET_SURVEY;
        SHEET_ACTIVITIES;
        SHEET_COMMENTS;
        COL_KIND;
        COL_BUILDING;
        COL_TICKETS;
        COL_RESPONSE_ON_TIME;
        COL_RESPONSE_LATE;
        COL_RESOLVE_ON_TIME;
        COL_RESOLVE_LATE;
        COL_PERCENT;
        COL_NAME;
        COL_DEPARTMENT;
        COL_ASSIGNED;
        COL_RESOLVED;
        COL_RATING;
        COL_QUARTER;
        COL_RESPONSES;
        COL_MEAN;
        COL_TITLE;
        COL_DATE;
        COL_PLACE;
        COL_CAPACITY;
        COL_JOINED;
        COL_WAITING;
        COL_ATTENDED;
        COL_RATINGS;
        COL_COMMENT;
        COL_ITEM;
        COL_VALUE;
    }
    mod notices {
        TEXT_LANGUAGE_HINT;
        ASK_LANGUAGE ["language"];
        SKIP: button;
        LANGUAGES ["languages"];
        PREVIEW_LANGUAGE ["language"];
        STOP_BUTTON: button;
        RECALL_BUTTON: button;
        STOPPED ["n", "withheld", "sent"] per "withheld";
        STOPPED_RECALL_HINT ["n"];
        NOT_RUNNING ["n"];
        NOT_FOUND ["n"];
        USAGE_STOP: usage;
        USAGE_RECALL: usage;
        ASK_RECALL ["n", "audience", "count", "hours"] per "count";
        RECALL_YES: button;
        RECALL_KEEP: button;
        KEPT ["n"];
        ALREADY_RECALLED ["n"];
        RECALLING ["n", "asked"] per "asked";
        RECALLED ["n", "deleted", "asked"] per "asked";
        RECALL_KEPT ["count", "hours", "list"] per "count";
        RECALL_NOT_DELIVERED ["count"] per "count";
        MORE ["n"];
        STATUS_STOPPED;
        STATUS_RECALLED;
    }
    mod activity {
        MANAGERS_ONLY;
        PRIVATE_ONLY;
        STAFF_ONLY;
        ASK_TITLE ["max"];
        ASK_WHEN;
        ASK_PLACE ["max"];
        ASK_CAPACITY ["max"];
        ASK_DESCRIPTION ["max"];
        SKIP: button;
        CANCEL: button;
        CANCELLED;
        PLAN_EXPIRED ["hours"] per "hours";
        ERR_EMPTY;
        ERR_TOO_LONG ["got", "max"];
        ERR_BAD_TIME ["text"];
        ERR_PAST ["when"];
        ERR_NOT_A_NUMBER ["text"];
        ERR_CAPACITY_SMALL;
        ERR_CAPACITY_LARGE ["max"];
        PREVIEW ["title", "when", "place", "capacity", "description"];
        ANNOUNCE: button;
        ANNOUNCEMENT ["title", "when", "place", "capacity", "description"];
        ANNOUNCED ["id", "broadcast"];
        NO_AUDIENCE;
        JOIN_BUTTON: button;
        LEAVE_BUTTON: button;
        JOINED ["title", "when", "place"];
        WAITING ["title", "n"];
        ALREADY_JOINED: callback;
        ALREADY_WAITING ["n"]: callback;
        CLOSED: callback;
        LEFT ["title"];
        NOT_ON_LIST: callback;
        PROMOTED ["title", "when", "place"];
        REMINDER ["title", "when", "place"];
        LIST_HEADER;
        LIST_EMPTY;
        LIST_LINE ["id", "title", "when", "place", "joined", "capacity", "waiting"];
        ATTENDANCE_USAGE: usage;
        ATTENDANCE_NOT_FOUND ["id"];
        ATTENDANCE_TOO_EARLY ["id"];
        ATTENDANCE_ALREADY ["id"];
        ATTENDANCE_EMPTY ["id"];
        ATTENDANCE_ROSTER ["id", "title", "list"];
        ROSTER_LINE ["n", "name", "units"];
        ATTENDANCE_BAD ["max"];
        ATTENDANCE_EXPIRED ["id"];
        ATTENDANCE_SAVED ["id", "attended", "joined"];
        FEEDBACK ["title"];
        ASK_COMMENT;
        THANKS;
        NOT_ATTENDED: callback;
    }
    mod outage {
        KIND_NETWORK;
        SUPERVISORS_ONLY;
        PRIVATE_ONLY;
        ASK_KIND;
        ASK_BUILDINGS ["known"];
        ASK_ENTRANCES ["known"];
        ASK_FLOORS;
        ASK_START;
        ASK_END;
        ASK_TEXT ["max"];
        ASK_LANGUAGE ["language"];
        ALL_BUILDINGS: button;
        ALL_ENTRANCES: button;
        ALL_FLOORS: button;
        NOW: button;
        SKIP: button;
        CANCEL: button;
        CANCELLED;
        FORM_EXPIRED ["hours"] per "hours";
        ERR_NO_SCOPE;
        ERR_UNKNOWN ["name", "known"];
        ERR_FLOORS ["text"];
        ERR_TIME ["text"];
        ERR_END ["end", "start"];
        ERR_EMPTY;
        ERR_TOO_LONG ["got", "max"];
        PREVIEW ["kind", "scope", "start", "end", "text", "count"];
        DECLARE_NOTIFY: button;
        DECLARE_ONLY: button;
        DECLARED ["id", "kind", "scope"];
        SCOPE_BUILDINGS ["buildings"];
        SCOPE_ENTRANCES ["entrances"];
        SCOPE_FLOORS ["from", "to"];
        STARTS ["start"];
        UPDATE_USAGE: usage;
        UPDATE_NOTICE ["id", "kind", "scope", "text"];
        UPDATED ["id", "count"] per "count";
    }
    mod departments {
        SERVICE;
        ENGINEERING;
        SECURITY;
        CLEANING;
        SETTING_CHAT ["department"];
        SETTING_ROUTES ["department"];
        SETTING_ALLOWED_CHAT: usage;
        SETTING_ALLOWED_ROUTES ["kinds"];
        CARD_DEPARTMENT ["department"];
        CARD_MOVED ["department"];
        MOVED_HERE ["id", "from", "department"];
        BUTTON_OPEN: button;
        TRANSFERRED ["id", "department"];
        ALREADY_THERE ["id", "department"];
        NOT_YOURS ["id"];
        NOT_ACTIVE ["id", "n"];
        NO_SUCH_TARGET ["who", "departments"];
        STAFF_SET ["who", "department"];
        STAFF_CLEARED ["who"];
    }
    // /forgetme: an owner asks to be forgotten (issue 12 item 10).
    mod erasure {
        CMD_FORGETME: command;
        ASK;
        BUTTON_CONTINUE: button;
        BUTTON_KEEP: button;
        ASK_AGAIN ["minutes"];
        BUTTON_ERASE: button;
        KEPT;
        DONE ["tickets"] per "tickets";
        EXPIRED ["minutes"];
        NOT_VALID;
        PRIVATE_ONLY: callback;
        STAFF_NOTICE ["tickets"] per "tickets";
    }
}
