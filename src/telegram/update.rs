//! Reading updates: Telegram's JSON is what the inbox keeps, teloxide's
//! reading of it is what the processor routes.
//!
//! The inbox used to store teloxide's re-serialisation of an update, which
//! is not always what teloxide reads back: a button pressed on a message
//! older than 48 hours (an "inaccessible" message, `date` 0) came back
//! unreadable and was silently skipped, and a `poll_answer` made teloxide
//! panic. So the JSON as Telegram sent it is kept ([`Incoming::raw`]), and
//! every read goes through [`read`], which turns a panic inside teloxide
//! into an error.

use serde_json::Value;
use teloxide::types::{Update, UpdateId, UpdateKind};

/// An update as it came in.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// teloxide's reading (`UpdateKind::Error` holding the JSON when it
    /// cannot read it).
    pub update: Update,
    /// The JSON as Telegram sent it: what the inbox stores.
    pub raw: Value,
}

impl Incoming {
    /// Reads one update of a getUpdates answer or a webhook call. An
    /// update teloxide cannot read (a kind added to Telegram since, a
    /// field it does not expect, one that makes it panic) is kept whole as
    /// `UpdateKind::Error`; only JSON without an update id is refused.
    pub fn read(raw: Value) -> Result<Incoming, String> {
        let id = raw
            .get("update_id")
            .and_then(Value::as_u64)
            .and_then(|id| u32::try_from(id).ok())
            .ok_or_else(|| "an update without an update_id".to_string())?;
        let update = match read(&raw.to_string()) {
            Ok(update) if update.id.0 == id => match update.kind {
                UpdateKind::Error(_) => unreadable(id, &raw),
                _ => update,
            },
            _ => unreadable(id, &raw),
        };
        Ok(Incoming { update, raw })
    }

    /// Reads a webhook body.
    pub fn from_bytes(body: &[u8]) -> Result<Incoming, String> {
        let raw: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        Incoming::read(raw)
    }

    /// An update made in code (tests, benches): its serialised form
    /// stands for Telegram's JSON.
    pub fn from_update(update: Update) -> Result<Incoming, String> {
        let raw = serde_json::to_value(&update).map_err(|e| e.to_string())?;
        Ok(Incoming { update, raw })
    }
}

fn unreadable(id: u32, raw: &Value) -> Update {
    Update {
        id: UpdateId(id),
        kind: UpdateKind::Error(raw.clone()),
    }
}

/// teloxide's reading of an update's JSON text; a panic inside teloxide
/// is an error like any other.
pub fn read(text: &str) -> Result<Update, String> {
    std::panic::catch_unwind(|| serde_json::from_str::<Update>(text))
        .map_err(|_| "teloxide panicked reading the update".to_string())?
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_button_on_an_inaccessible_message_reads_back_from_what_is_stored() {
        let raw = json!({"update_id": 9, "callback_query": {
            "id": "q", "chat_instance": "c", "data": "x",
            "from": {"id": 5, "is_bot": false, "first_name": "F"},
            "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private", "first_name": "F"}}}});
        let incoming = Incoming::read(raw).unwrap();
        assert!(matches!(incoming.update.kind, UpdateKind::CallbackQuery(_)));
        // teloxide's own re-serialisation drops `date` and no longer reads…
        let reserialised = serde_json::to_string(&incoming.update).unwrap();
        assert!(matches!(
            read(&reserialised).unwrap().kind,
            UpdateKind::Error(_)
        ));
        // …what the inbox stores does.
        assert_eq!(read(&incoming.raw.to_string()).unwrap(), incoming.update);
    }

    #[test]
    fn unknown_kinds_and_teloxide_panics_are_kept_whole() {
        let future = json!({"update_id": 3, "kind_from_the_future": {"x": 1}});
        let incoming = Incoming::read(future.clone()).unwrap();
        assert_eq!(incoming.update.kind, UpdateKind::Error(future));
        // A poll answer with neither `user` nor `voter_chat` makes teloxide
        // 0.17 unwrap a None.
        let panics = json!({"update_id": 4, "poll_answer": {"poll_id": "p", "option_ids": [0]}});
        let incoming = Incoming::read(panics.clone()).unwrap();
        assert_eq!(incoming.update.kind, UpdateKind::Error(panics));
        assert!(Incoming::read(json!({"message": {}})).is_err());
        assert!(Incoming::from_bytes(b"not json").is_err());
    }
}
