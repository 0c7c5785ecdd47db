//! Telegram's small codecs shared by every feature: button data.
//! The pipeline's stages live beside it: `intake`, `inbox`, `processor`,
//! `outbox`, `sender`.

pub mod callback;
