//! Telegram: intake, sender, rendering.
