//! Telegram: intake of updates, the outbox and its sender, sending limits,
//! and the small codecs (button data) shared by every feature.

pub mod callback;
pub mod intake;
pub mod limits;
pub mod outbox;
pub mod sender;
pub mod webhook;
