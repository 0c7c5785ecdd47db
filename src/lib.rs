//! propdesk: the Telegram front desk of a residential property office.
//!
//! The pipeline (see `README.md`): Telegram update →
//! `intake` → inbox table → `processor` (dialogue `engine`,
//! `domain` writes) → outbox table → `sender` → Telegram.

// Failures are errors with context, never a crash: only tests may unwrap
// (clippy.toml), and a provably impossible case says why at its `allow`.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod app;
pub mod clock;
pub mod config;
pub mod console;
pub mod db;
pub mod demo;
pub mod domain;
pub mod engine;
pub mod health;
pub mod i18n;
pub mod import;
pub mod inbox;
pub mod intake;
pub mod maintenance;
pub mod metrics;
pub mod outbox;
pub mod processor;
pub mod reports;
pub mod scheduler;
pub mod sender;
pub mod settings;
pub mod standin;
pub mod telegram;
pub mod texts;
