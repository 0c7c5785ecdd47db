//! End-to-end tests: real PostgreSQL, real HTTP between the bot (teloxide)
//! and the Bot API stand-in. `TEST_LOG=1` shows the bot's logs.

mod abuse;
mod broadcasts;
mod chats;
mod conversation;
mod crash;
mod db;
mod dialogues;
mod health;
mod import;
mod incidents;
mod lanes;
mod languages;
mod owners;
mod pg_restart;
mod pipeline;
mod process;
mod replicas;
mod restart;
mod settings;
mod shutdown;
mod soak;
mod staff;
mod supervision;
mod support;
mod visits;
mod webhook;
