//! End-to-end tests: real PostgreSQL, real HTTP to the Bot API stand-in.

mod db;
mod import;
