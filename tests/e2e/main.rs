//! End-to-end tests: real PostgreSQL, real HTTP between the bot (teloxide)
//! and the Bot API stand-in. `TEST_LOG=1` shows the bot's logs.

mod broadcasts;
mod chats;
mod conversation;
mod crash;
mod db;
mod dialogues;
mod import;
mod incidents;
mod lanes;
mod pipeline;
mod restart;
mod settings;
mod staff;
mod supervision;
mod support;
mod visits;
mod webhook;
