//! The processor: turns inbox updates into domain writes and outbox rows.
