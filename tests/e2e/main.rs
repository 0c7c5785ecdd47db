//! End-to-end tests: real PostgreSQL, real HTTP between the bot (teloxide)
//! and the Bot API stand-in. `TEST_LOG=1` shows the bot's logs.

mod abuse;
mod batches;
mod broadcasts;
mod chats;
mod conversation;
mod crash;
mod db;
mod departments;
mod dialogues;
mod health;
mod hostile;
mod households;
mod import;
mod incidents;
mod intents;
mod lanes;
mod languages;
mod managers;
mod owners;
mod pg_restart;
mod pipeline;
mod process;
mod replicas;
mod reports;
mod restart;
mod retention;
mod settings;
mod shutdown;
mod soak;
mod staff;
mod staff_desk;
mod supervision;
mod support;
mod visits;
mod webhook;
