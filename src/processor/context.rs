//! What a handler works with: the update's transaction, the application's
//! settings and clock, and helpers to answer through the outbox.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sqlx::PgConnection;

use crate::clock::Clock;
use crate::engine::Dialogues;
use crate::outbox::{self, Outgoing, Request};
use crate::settings::Settings;

/// Processor behaviour settings.
#[derive(Debug, Clone)]
pub struct ProcessorSettings {
    /// The staff group (ticket cards, digests).
    pub staff_chat_id: Option<i64>,
    pub timezone: Tz,
    /// Attempts before an update is parked.
    pub max_attempts: i32,
    /// First retry delay; doubled each attempt.
    pub retry_base: Duration,
    /// How often an idle worker looks at the inbox anyway.
    pub poll_interval: Duration,
    /// The bot's @username (commands in groups may carry it).
    pub bot_username: String,
    /// How long an unanswered question is kept (the one expiry rule of
    /// `processor::conversation`).
    pub draft_ttl: chrono::Duration,
    /// The office duty phone, shown at once for emergencies.
    pub duty_phone: String,
    /// Messages one person may send per minute in a private chat.
    pub inbound_per_minute: u32,
}

impl ProcessorSettings {
    /// The processor's part of the process settings; the rest are tuning
    /// values with no flag.
    #[must_use]
    pub fn from_settings(s: &Settings) -> ProcessorSettings {
        ProcessorSettings {
            staff_chat_id: s.staff_chat_id,
            timezone: s.timezone,
            max_attempts: 5,
            retry_base: Duration::from_secs(1),
            poll_interval: Duration::from_millis(500),
            bot_username: String::new(),
            draft_ttl: chrono::Duration::hours(i64::from(s.draft_ttl_hours)),
            duty_phone: s.duty_phone.clone(),
            inbound_per_minute: s.inbound_per_minute,
        }
    }

    /// With every flag at its default (tests, the console).
    #[must_use]
    pub fn defaults() -> ProcessorSettings {
        ProcessorSettings::from_settings(&Settings::defaults())
    }
}

/// Shared by every worker.
#[derive(Debug)]
pub struct App {
    pub settings: ProcessorSettings,
    pub clock: Arc<dyn Clock>,
    /// The dialogue trees, loaded and checked at start-up.
    pub dialogues: Arc<Dialogues>,
}

/// One update being handled, inside its transaction.
pub struct Ctx<'c> {
    pub conn: &'c mut PgConnection,
    pub app: &'c App,
    pub update_id: i64,
    pub now: DateTime<Utc>,
    /// The forum topic the update came from (chat, thread id): what is sent
    /// to that chat without a topic of its own goes there, so an answer
    /// stays where the question was asked.
    pub thread: Option<(i64, i32)>,
}

impl Ctx<'_> {
    /// Queues `out`, caused by this update.
    pub async fn send(&mut self, mut out: Outgoing) -> Result<i64> {
        if let Some((chat, thread)) = self.thread {
            if out.thread.is_none() && out.chat_id == chat && out.request.goes_into_thread() {
                out.thread = Some(outbox::Target::Message(thread));
            }
        }
        outbox::enqueue(self.conn, Some(self.update_id), &out).await
    }

    /// Queues a reply in the owner lane.
    pub async fn reply(&mut self, chat_id: i64, request: Request) -> Result<i64> {
        self.send(Outgoing::reply(chat_id, request)).await
    }
}

/// The language chosen for (or detected in) a chat, if it is known.
pub use crate::domain::chats::language as chat_language;
