//! The request validator: every request is checked against the machine-read
//! Bot API specification (methods, parameters, JSON types, nested objects,
//! unions) and against the limits that live only in its prose (text lengths,
//! callback data bytes, command names). A refused request is a bot bug.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use anyhow::Context;
use regex::Regex;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The topic icon colours `createForumTopic` accepts (Bot API 9.1).
pub const ICON_COLORS: [i64; 6] = [
    0x6F_B9F0, 0xFF_D67E, 0xCB_86DB, 0x8E_EE98, 0xFF_93B2, 0xFB_6F5F,
];
/// The longest topic name, in characters.
pub const TOPIC_NAME_MAX: usize = 128;

/// Key of the marker object that stands for an uploaded file part in the
/// parameters the validator sees: `{"$file": {"name": .., "size": ..}}`.
pub const FILE_MARKER: &str = "$file";

static COMMAND: LazyLock<Regex> = LazyLock::new(|| compile("^[a-z0-9_]{1,32}$"));
static SECRET_TOKEN: LazyLock<Regex> = LazyLock::new(|| compile("^[A-Za-z0-9_-]{1,256}$"));
static MUST_BE: LazyLock<Regex> = LazyLock::new(|| compile(r"must be ([a-z_]+)"));

fn compile(pattern: &str) -> Regex {
    // The patterns are literals, each exercised by the stand-in's unit tests.
    #[allow(clippy::expect_used)]
    Regex::new(pattern).expect("constant regex")
}

/// Why the real Bot API would refuse a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What goes into the `description` of the 400 answer (Telegram's own
    /// wording where it has one, so teloxide maps it to the same error).
    pub description: String,
    /// What exactly was wrong, for the test log.
    pub detail: String,
}

impl Refusal {
    fn new(description: &str, detail: impl Into<String>) -> Self {
        Self {
            description: description.to_owned(),
            detail: detail.into(),
        }
    }

    fn bad(detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Self {
            description: format!("Bad Request: {detail}"),
            detail,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.description, self.detail)
    }
}

#[derive(Debug, Deserialize)]
struct RawSpec {
    methods: HashMap<String, RawEntry>,
    types: HashMap<String, RawEntry>,
}

#[derive(Debug, Deserialize)]
struct RawEntry {
    name: String,
    #[serde(default)]
    fields: Vec<Field>,
    #[serde(default)]
    subtypes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Field {
    name: String,
    types: Vec<String>,
    required: bool,
    #[serde(default)]
    description: String,
}

#[derive(Debug)]
struct TypeSpec {
    fields: Vec<Field>,
    subtypes: Vec<String>,
    /// The value its `type` field must have ("must be photo"), for union members.
    tag: Option<String>,
}

/// The parsed specification; parse once, share by reference.
#[derive(Debug)]
pub struct Spec {
    /// Keyed by lower-case name, since Telegram matches method names case-insensitively.
    methods: HashMap<String, (String, Vec<Field>)>,
    types: HashMap<String, TypeSpec>,
}

impl Spec {
    /// The copy of `api-9.1.json` kept in the repository (see
    /// `telegram-bot-api/README.md` for its source and licence).
    pub const BUNDLED_JSON: &'static str = include_str!("telegram-bot-api/api-9.1.json");

    /// Parses the bundled `api-9.1.json` (shape `{methods, types}`).
    pub fn bundled() -> anyhow::Result<Self> {
        Self::parse(Self::BUNDLED_JSON).context("parsing the bundled Bot API spec api-9.1.json")
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let raw: RawSpec = serde_json::from_str(text)?;
        let methods = raw
            .methods
            .into_values()
            .map(|m| (m.name.to_lowercase(), (m.name, m.fields)))
            .collect();
        let types = raw
            .types
            .into_values()
            .map(|t| {
                let tag = t
                    .fields
                    .iter()
                    .find(|f| f.name == "type")
                    .and_then(|f| MUST_BE.captures(&f.description))
                    .map(|c| c[1].to_owned());
                (
                    t.name,
                    TypeSpec {
                        fields: t.fields,
                        subtypes: t.subtypes,
                        tag,
                    },
                )
            })
            .collect();
        Ok(Self { methods, types })
    }

    /// The specification's spelling of a method name (`SendMessage` → `sendMessage`).
    #[must_use]
    pub fn method_name(&self, name: &str) -> Option<&str> {
        self.methods
            .get(&name.to_lowercase())
            .map(|(n, _)| n.as_str())
    }

    /// Whether the real Bot API would accept `method` with `params` (a JSON
    /// object; uploaded parts appear as `{"$file": ..}` markers).
    pub fn check(&self, method: &str, params: &Value) -> Result<(), Refusal> {
        let Some((name, fields)) = self.methods.get(&method.to_lowercase()) else {
            return Err(Refusal::bad(format!("unknown method {method}")));
        };
        let empty = Map::new();
        let obj = match params {
            Value::Object(o) => o,
            Value::Null => &empty,
            other => {
                return Err(Refusal::bad(format!(
                    "parameters must be an object, got {other}"
                )))
            }
        };
        self.check_fields(fields, obj, name).map_err(Refusal::bad)?;
        check_limits(name, obj)
    }

    /// Turns form or multipart text values into JSON using the parameter's
    /// declared types: a value that parses as JSON of an accepted type is
    /// taken as that, anything else stays a string (and may then be refused).
    #[must_use]
    pub fn coerce_form(&self, method: &str, fields: Vec<(String, Value)>) -> Value {
        let declared = self.methods.get(&method.to_lowercase()).map(|(_, f)| f);
        let mut out = Map::new();
        for (name, value) in fields {
            let value = match (
                &value,
                declared.and_then(|f| f.iter().find(|f| f.name == name)),
            ) {
                (Value::String(s), Some(field)) => match serde_json::from_str::<Value>(s) {
                    Ok(parsed)
                        if !parsed.is_string()
                            && self.check_value(&parsed, &field.types, &name).is_ok() =>
                    {
                        parsed
                    }
                    _ => value,
                },
                _ => value,
            };
            out.insert(name, value);
        }
        Value::Object(out)
    }

    fn check_fields(
        &self,
        fields: &[Field],
        obj: &Map<String, Value>,
        at: &str,
    ) -> Result<(), String> {
        for key in obj.keys() {
            if !fields.iter().any(|f| &f.name == key) {
                return Err(format!("unknown parameter {at}.{key}"));
            }
        }
        for field in fields {
            match obj.get(&field.name) {
                None | Some(Value::Null) if field.required => {
                    return Err(format!("missing required parameter {at}.{}", field.name));
                }
                None | Some(Value::Null) => {}
                Some(v) => self.check_value(v, &field.types, &format!("{at}.{}", field.name))?,
            }
        }
        Ok(())
    }

    fn check_value(&self, v: &Value, types: &[String], at: &str) -> Result<(), String> {
        // `Array of A` or `Array of B` (sendMediaGroup.media) is read as an
        // array of A-or-B; which kinds may be mixed is checked with the limits.
        let items: Option<Vec<String>> = types
            .iter()
            .map(|t| t.strip_prefix("Array of ").map(str::to_owned))
            .collect();
        if let (Some(items), true, Value::Array(values)) = (items, types.len() > 1, v) {
            for (i, it) in values.iter().enumerate() {
                self.check_value(it, &items, &format!("{at}[{i}]"))?;
            }
            return Ok(());
        }
        // A tagged object is checked against the member its `type` names.
        if let Some(tag) = v.get("type").and_then(Value::as_str) {
            let tagged = types
                .iter()
                .find(|t| self.types.get(*t).and_then(|s| s.tag.as_deref()) == Some(tag));
            if let Some(ty) = tagged {
                return self.check_type(v, ty, at);
            }
        }
        let mut errors = Vec::new();
        for ty in types {
            match self.check_type(v, ty, at) {
                Ok(()) => return Ok(()),
                Err(e) => errors.push((self.closeness(v, ty), e)),
            }
        }
        // Report the candidate the value resembles most (e.g. the keyboard
        // type whose field names it uses), not the first one tried.
        errors.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
        Err(errors
            .into_iter()
            .next()
            .map_or_else(|| format!("{at}: no type declared"), |(_, e)| e))
    }

    fn closeness(&self, v: &Value, ty: &str) -> usize {
        match (v, self.types.get(ty)) {
            (Value::Object(o), Some(t)) if t.subtypes.is_empty() => o
                .keys()
                .filter(|k| t.fields.iter().any(|f| &f.name == *k))
                .count(),
            (Value::Object(o), Some(t)) => t
                .subtypes
                .iter()
                .map(|s| self.closeness(&Value::Object(o.clone()), s))
                .max()
                .unwrap_or(0),
            _ => 0,
        }
    }

    fn check_type(&self, v: &Value, ty: &str, at: &str) -> Result<(), String> {
        let ok = match ty {
            "Integer" => v.is_i64() || v.is_u64(),
            "Float" => v.is_number(),
            "String" => v.is_string(),
            "Boolean" => v.is_boolean(),
            "InputFile" => v.is_string() || is_file_marker(v),
            _ => {
                if let Some(item) = ty.strip_prefix("Array of ") {
                    let Value::Array(items) = v else {
                        return Err(format!("{at}: expected {ty}, got {}", kind(v)));
                    };
                    for (i, it) in items.iter().enumerate() {
                        self.check_type(it, item, &format!("{at}[{i}]"))?;
                    }
                    return Ok(());
                }
                return self.check_object(v, ty, at);
            }
        };
        if ok {
            Ok(())
        } else {
            Err(format!("{at}: expected {ty}, got {}", kind(v)))
        }
    }

    fn check_object(&self, v: &Value, ty: &str, at: &str) -> Result<(), String> {
        let Some(spec) = self.types.get(ty) else {
            return Err(format!("{at}: type {ty} is not in the specification"));
        };
        if !spec.subtypes.is_empty() {
            let tag = v.get("type").and_then(Value::as_str);
            let tagged: Vec<&String> = spec
                .subtypes
                .iter()
                .filter(|s| {
                    self.types.get(*s).and_then(|t| t.tag.as_deref()) == tag && tag.is_some()
                })
                .collect();
            return match tagged.as_slice() {
                [one] => self.check_object(v, one, at),
                _ => self.check_value(v, &spec.subtypes, at),
            };
        }
        let Value::Object(obj) = v else {
            return Err(format!("{at}: expected {ty} object, got {}", kind(v)));
        };
        if let (Some(tag), Some(given)) = (&spec.tag, obj.get("type")) {
            if given.as_str() != Some(tag) {
                return Err(format!(
                    "{at}.type: {ty} must have type \"{tag}\", got {given}"
                ));
            }
        }
        self.check_fields(&spec.fields, obj, at)
    }
}

fn is_file_marker(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| o.len() == 1 && o.contains_key(FILE_MARKER))
}

fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "Boolean".into(),
        Value::Number(n) if n.is_f64() => format!("Float {n}"),
        Value::Number(n) => format!("Integer {n}"),
        Value::String(s) => format!("String {s:?}"),
        Value::Array(_) => "Array".into(),
        Value::Object(o) if is_file_marker(v) || o.contains_key(FILE_MARKER) => {
            "a file part".into()
        }
        Value::Object(_) => "object".into(),
    }
}

/// Telegram counts text length in UTF-16 code units.
#[must_use]
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn str_field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    obj.get(name).and_then(Value::as_str)
}

/// The limits the specification states only in prose.
fn check_limits(method: &str, obj: &Map<String, Value>) -> Result<(), Refusal> {
    match method {
        "sendMessage" | "editMessageText" => {
            let text = str_field(obj, "text").unwrap_or_default();
            if text.trim().is_empty() {
                return Err(Refusal::new(
                    "Bad Request: message text is empty",
                    "text is empty",
                ));
            }
            let len = utf16_len(text);
            if len > 4096 {
                let description = if method == "sendMessage" {
                    "Bad Request: message is too long"
                } else {
                    "Bad Request: MESSAGE_TOO_LONG"
                };
                return Err(Refusal::new(
                    description,
                    format!("text is {len} UTF-16 units, over 4096"),
                ));
            }
        }
        "answerCallbackQuery" => {
            let len = str_field(obj, "text").map_or(0, utf16_len);
            if len > 200 {
                return Err(Refusal::new(
                    "Bad Request: MESSAGE_TOO_LONG",
                    format!("callback answer text is {len} characters, over 200"),
                ));
            }
        }
        "setMyCommands" => check_commands(obj)?,
        "createForumTopic" | "editForumTopic" => check_topic(method, obj)?,
        "sendMediaGroup" => {
            let n = obj
                .get("media")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            if !(2..=10).contains(&n) {
                return Err(Refusal::bad(format!(
                    "media group must have 2-10 items, got {n}"
                )));
            }
            let kinds: Vec<&str> = obj
                .get("media")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|m| m.get("type").and_then(Value::as_str))
                .collect();
            let alone = |k: &str| kinds.contains(&k) && kinds.iter().any(|other| *other != k);
            if alone("audio") || alone("document") {
                return Err(Refusal::bad(
                    "documents and audio files can be only grouped in an album with messages of the same type",
                ));
            }
        }
        "setWebhook" => {
            if let Some(secret) = str_field(obj, "secret_token") {
                if !SECRET_TOKEN.is_match(secret) {
                    return Err(Refusal::bad("secret_token must be 1-256 of [A-Za-z0-9_-]"));
                }
            }
        }
        "getUpdates" => {
            let limit = obj.get("limit").and_then(Value::as_i64).unwrap_or(100);
            if !(1..=100).contains(&limit) {
                return Err(Refusal::bad(format!(
                    "getUpdates limit must be 1-100, got {limit}"
                )));
            }
        }
        _ => {}
    }
    check_captions(obj)?;
    if let Some(markup) = obj.get("reply_markup") {
        check_keyboard(markup)?;
    }
    Ok(())
}

/// Topic names of at most 128 characters (Telegram would cut a longer
/// one short), icon colours from the six the documentation allows.
fn check_topic(method: &str, obj: &Map<String, Value>) -> Result<(), Refusal> {
    let len = str_field(obj, "name").map_or(0, |n| n.chars().count());
    if len > TOPIC_NAME_MAX {
        return Err(Refusal::bad(format!(
            "{method}: topic name is {len} characters, over {TOPIC_NAME_MAX}"
        )));
    }
    if let Some(color) = obj.get("icon_color").and_then(Value::as_i64) {
        if !ICON_COLORS.contains(&color) {
            return Err(Refusal::bad(format!(
                "icon_color {color} is not one of {ICON_COLORS:?}"
            )));
        }
    }
    Ok(())
}

fn check_captions(obj: &Map<String, Value>) -> Result<(), Refusal> {
    let media = obj.get("media").map(|m| match m {
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_object)
            .collect::<Vec<_>>(),
        Value::Object(o) => vec![o],
        _ => Vec::new(),
    });
    let mut holders = vec![obj];
    holders.extend(media.unwrap_or_default());
    for holder in holders {
        let len = str_field(holder, "caption").map_or(0, utf16_len);
        if len > 1024 {
            return Err(Refusal::new(
                "Bad Request: message caption is too long",
                format!("caption is {len} UTF-16 units, over 1024"),
            ));
        }
    }
    Ok(())
}

/// Inline buttons: a label, and exactly one action with valid callback data.
fn check_keyboard(markup: &Value) -> Result<(), Refusal> {
    let Some(rows) = markup.get("inline_keyboard").and_then(Value::as_array) else {
        return Ok(());
    };
    for button in rows.iter().filter_map(Value::as_array).flatten() {
        let Some(b) = button.as_object() else {
            continue;
        };
        if str_field(b, "text").unwrap_or_default().is_empty() {
            return Err(Refusal::new(
                "Bad Request: BUTTON_TEXT_INVALID",
                "inline button text is empty",
            ));
        }
        let actions = b.keys().filter(|k| k.as_str() != "text").count();
        if actions != 1 {
            return Err(Refusal::new(
                "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
                format!("inline button {button} must have exactly one action, has {actions}"),
            ));
        }
        if let Some(data) = b.get("callback_data") {
            let bytes = data.as_str().map_or(0, str::len);
            if !(1..=64).contains(&bytes) {
                return Err(Refusal::new(
                    "Bad Request: BUTTON_DATA_INVALID",
                    format!("callback_data {data} is {bytes} bytes, must be 1-64"),
                ));
            }
        }
    }
    Ok(())
}

fn check_commands(obj: &Map<String, Value>) -> Result<(), Refusal> {
    let commands = obj
        .get("commands")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if commands.len() > 100 {
        return Err(Refusal::bad(format!(
            "at most 100 commands, got {}",
            commands.len()
        )));
    }
    for c in &commands {
        let command = c.get("command").and_then(Value::as_str).unwrap_or_default();
        if !COMMAND.is_match(command) {
            return Err(Refusal::new(
                "Bad Request: BOT_COMMAND_INVALID",
                format!("command {command:?} must match ^[a-z0-9_]{{1,32}}$"),
            ));
        }
        let description = c
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let len = description.chars().count();
        if !(1..=256).contains(&len) {
            return Err(Refusal::new(
                "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID",
                format!("description of /{command} is {len} characters, must be 1-256"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> &'static Spec {
        static SPEC: LazyLock<Spec> = LazyLock::new(|| Spec::bundled().unwrap());
        &SPEC
    }

    fn refused(method: &str, params: Value) -> String {
        spec().check(method, &params).unwrap_err().to_string()
    }

    #[test]
    fn teloxide_shaped_requests_are_accepted() {
        let ok = [
            ("GetMe", json!({})),
            (
                "SendMessage",
                json!({"chat_id": 5, "text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}}),
            ),
            (
                "sendMessage",
                json!({"chat_id": "@chan", "text": "hi", "reply_markup": {"keyboard": [[{"text": "Share", "request_contact": true}]], "resize_keyboard": true}}),
            ),
            (
                "sendMessage",
                json!({"chat_id": 5, "text": "x", "reply_markup": {"remove_keyboard": true}, "reply_parameters": {"message_id": 3}}),
            ),
            (
                "EditMessageReplyMarkup",
                json!({"chat_id": 5, "message_id": 2}),
            ),
            (
                "SendMediaGroup",
                json!({"chat_id": 5, "media": [{"type": "photo", "media": "abc"}, {"type": "video", "media": "attach://f"}]}),
            ),
            (
                "SendPhoto",
                json!({"chat_id": 5, "photo": {"$file": {"name": "p.jpg", "size": 3}}, "caption": "c"}),
            ),
            (
                "SetMyCommands",
                json!({"commands": [{"command": "start", "description": "Start"}], "scope": {"type": "all_private_chats"}, "language_code": "zh"}),
            ),
            (
                "GetUpdates",
                json!({"offset": 3, "timeout": 10, "allowed_updates": ["message"]}),
            ),
            (
                "sendLocation",
                json!({"chat_id": 5, "latitude": 1.5, "longitude": 2}),
            ),
        ];
        for (method, params) in ok {
            assert_eq!(spec().check(method, &params), Ok(()), "{method} {params}");
        }
    }

    #[test]
    fn unknown_method_and_parameter_and_missing_required_are_refused() {
        assert!(refused("sendMesage", json!({})).contains("unknown method"));
        assert!(refused(
            "sendMessage",
            json!({"chat_id": 1, "text": "a", "colour": 1})
        )
        .contains("unknown parameter sendMessage.colour"));
        assert!(refused("sendMessage", json!({"chat_id": 1}))
            .contains("missing required parameter sendMessage.text"));
    }

    #[test]
    fn wrong_json_types_are_refused_also_deep_inside_objects() {
        assert!(refused("sendMessage", json!({"chat_id": true, "text": "a"})).contains("chat_id"));
        assert!(
            refused("sendMessage", json!({"chat_id": 1, "text": 5})).contains("expected String")
        );
        assert!(refused(
            "sendMessage",
            json!({"chat_id": 1, "text": "a", "disable_notification": "yes"})
        )
        .contains("Boolean"));
        assert!(refused(
            "sendLocation",
            json!({"chat_id": 1, "latitude": "1", "longitude": 2})
        )
        .contains("Float"));
        let bad_button = json!({"chat_id": 1, "text": "a", "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a", "colour": 1}]]}});
        assert!(refused("sendMessage", bad_button).contains("unknown parameter"));
        let not_rows = json!({"chat_id": 1, "text": "a", "reply_markup": {"inline_keyboard": [{"text": "A", "callback_data": "a"}]}});
        assert!(refused("sendMessage", not_rows).contains("expected Array of InlineKeyboardButton"));
        let text_file = json!({"chat_id": 1, "text": {"$file": {"name": "x", "size": 1}}});
        assert!(refused("sendMessage", text_file).contains("file part"));
    }

    #[test]
    fn union_members_are_told_apart_by_their_type_tag() {
        let bad_media = json!({"chat_id": 1, "media": [{"type": "photo", "media": "a", "title": "t"}, {"type": "photo", "media": "b"}]});
        assert!(refused("sendMediaGroup", bad_media)
            .contains("unknown parameter sendMediaGroup.media[0].title"));
        let mixed = json!({"chat_id": 1, "media": [{"type": "photo", "media": "a"}, {"type": "document", "media": "b"}]});
        assert!(refused("sendMediaGroup", mixed).contains("same type"));
        let bad_scope = json!({"commands": [], "scope": {"type": "chat"}});
        assert!(refused("setMyCommands", bad_scope).contains("chat_id"));
        let unknown_scope = json!({"commands": [], "scope": {"type": "everyone"}});
        assert!(spec().check("setMyCommands", &unknown_scope).is_err());
    }

    #[test]
    fn text_and_caption_lengths_count_utf16_units() {
        assert!(refused("sendMessage", json!({"chat_id": 1, "text": ""}))
            .contains("message text is empty"));
        assert!(refused(
            "sendMessage",
            json!({"chat_id": 1, "text": "x".repeat(4097)})
        )
        .contains("message is too long"));
        // 2048 emoji are 4096 UTF-16 units: the limit exactly.
        assert_eq!(
            spec().check(
                "sendMessage",
                &json!({"chat_id": 1, "text": "😀".repeat(2048)})
            ),
            Ok(())
        );
        assert!(spec()
            .check(
                "sendMessage",
                &json!({"chat_id": 1, "text": "😀".repeat(2049)})
            )
            .is_err());
        assert!(refused(
            "sendPhoto",
            json!({"chat_id": 1, "photo": "id", "caption": "c".repeat(1025)})
        )
        .contains("caption is too long"));
        let group = json!({"chat_id": 1, "media": [{"type": "photo", "media": "a", "caption": "c".repeat(1025)}, {"type": "photo", "media": "b"}]});
        assert!(refused("sendMediaGroup", group).contains("caption is too long"));
    }

    #[test]
    fn inline_buttons_need_a_label_and_1_to_64_bytes_of_data() {
        let kb = |b: Value| json!({"chat_id": 1, "text": "a", "reply_markup": {"inline_keyboard": [[b]]}});
        assert!(refused(
            "sendMessage",
            kb(json!({"text": "A", "callback_data": "é".repeat(33)}))
        )
        .contains("BUTTON_DATA_INVALID"));
        assert!(
            refused("sendMessage", kb(json!({"text": "A", "callback_data": ""})))
                .contains("BUTTON_DATA_INVALID")
        );
        assert!(
            refused("sendMessage", kb(json!({"text": "", "callback_data": "a"})))
                .contains("BUTTON_TEXT_INVALID")
        );
        assert!(
            refused("sendMessage", kb(json!({"text": "A"}))).contains("Text buttons are unallowed")
        );
        assert_eq!(
            spec().check(
                "sendMessage",
                &kb(json!({"text": "A", "callback_data": "x".repeat(64)}))
            ),
            Ok(())
        );
    }

    #[test]
    fn callback_answers_and_commands_have_their_limits() {
        assert!(refused(
            "answerCallbackQuery",
            json!({"callback_query_id": "1", "text": "x".repeat(201)})
        )
        .contains("MESSAGE_TOO_LONG"));
        let cmd = |c: &str, d: &str| json!({"commands": [{"command": c, "description": d}]});
        assert!(refused("setMyCommands", cmd("Start", "s")).contains("BOT_COMMAND_INVALID"));
        assert!(refused("setMyCommands", cmd(&"a".repeat(33), "s")).contains("BOT_COMMAND_INVALID"));
        assert!(refused("setMyCommands", cmd("start", "")).contains("DESCRIPTION_INVALID"));
        assert!(refused("setMyCommands", cmd("start", &"d".repeat(257)))
            .contains("DESCRIPTION_INVALID"));
        let many: Vec<Value> = (0..101)
            .map(|i| json!({"command": format!("c{i}"), "description": "d"}))
            .collect();
        assert!(refused("setMyCommands", json!({ "commands": many })).contains("at most 100"));
    }

    #[test]
    fn topic_names_and_icon_colours_have_their_limits() {
        let name = "话".repeat(128);
        assert_eq!(
            spec().check("createForumTopic", &json!({"chat_id": -100, "name": name})),
            Ok(())
        );
        assert!(refused(
            "createForumTopic",
            json!({"chat_id": -100, "name": format!("{name}!")})
        )
        .contains("129 characters"));
        assert!(refused(
            "editForumTopic",
            json!({"chat_id": -100, "message_thread_id": 2, "name": format!("{name}!")})
        )
        .contains("129 characters"));
        assert_eq!(
            spec().check(
                "createForumTopic",
                &json!({"chat_id": -100, "name": "a", "icon_color": 0x6F_B9F0})
            ),
            Ok(())
        );
        assert!(refused(
            "createForumTopic",
            json!({"chat_id": -100, "name": "a", "icon_color": 0x12_3456})
        )
        .contains("icon_color"));
    }

    #[test]
    fn form_values_are_coerced_by_declared_type() {
        let fields = vec![
            ("chat_id".to_owned(), json!("42")),
            ("text".to_owned(), json!("123")),
            (
                "reply_markup".to_owned(),
                json!(r#"{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}"#),
            ),
            ("disable_notification".to_owned(), json!("true")),
        ];
        let params = spec().coerce_form("sendMessage", fields);
        assert_eq!(params["chat_id"], json!(42));
        assert_eq!(params["text"], json!("123"));
        assert!(params["reply_markup"].is_object());
        assert_eq!(params["disable_notification"], json!(true));
        assert_eq!(spec().check("sendMessage", &params), Ok(()));
    }
}
