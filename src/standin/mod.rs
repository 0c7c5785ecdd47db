//! A Bot API stand-in for tests and local trials.
