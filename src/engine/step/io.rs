//! What goes into a step (the owner's input) and what comes out of it
//! (replies, effects, the next state).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::state::State;
use crate::engine::model::EffectKind;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    pub file_id: String,
    pub file_unique_id: String,
}

/// One thing the owner did (an album arrives as one `Photos`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Input {
    Text(String),
    /// Callback data of a button the engine drew (`d:…`).
    Button(String),
    Photos(Vec<Photo>),
    Contact {
        phone: String,
        is_own: bool,
    },
    Location {
        latitude: f64,
        longitude: f64,
    },
    Back,
    Cancel,
    /// The result of an effect that `awaits_outcome`.
    Outcome {
        name: String,
        vars: BTreeMap<String, Value>,
    },
    /// A sticker, voice message, …
    Unsupported,
}

/// A message to send, already in the owner's language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub text: String,
    pub keyboard: Keyboard,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Keyboard {
    None,
    Inline(Vec<Vec<Button>>),
    /// A one-button reply keyboard with `request_contact`.
    RequestContact {
        label: String,
    },
    /// A one-button reply keyboard with `request_location`.
    RequestLocation {
        label: String,
    },
    RemoveReplyKeyboard,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub label: String,
    /// At most 64 bytes, starts with `d:`.
    pub data: String,
}

/// Work for the runtime. When `awaits_outcome`, the state is parked at the
/// action and the runtime must step again with `Input::Outcome`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    pub kind: EffectKind,
    pub args: BTreeMap<String, Value>,
    pub awaits_outcome: bool,
}

/// Lives in the model so that `engine::intent` builds one without
/// depending on the stepper.
pub use crate::engine::model::Prefill;

/// What one step produced. `state: None` means the conversation is over.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub state: Option<State>,
    pub replies: Vec<Reply>,
    pub effects: Vec<Effect>,
}
