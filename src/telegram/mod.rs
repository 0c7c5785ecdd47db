//! Telegram's small codecs shared by every feature: button data, and
//! reading updates as Telegram sent them.
//! The pipeline's stages live beside it: `intake`, `inbox`, `processor`,
//! `outbox`, `sender`.

pub mod callback;
pub mod update;
