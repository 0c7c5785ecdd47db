//! The webhook body parser on arbitrary bytes: never panics (teloxide's
//! own panics are caught), and what parses reads back the same from the
//! form the inbox stores it in (Telegram's JSON).
#![no_main]

use libfuzzer_sys::fuzz_target;
use propdesk::intake::webhook::parse_update;

fuzz_target!(|data: &[u8]| {
    if let Ok(incoming) = parse_update(data) {
        let _ = propdesk::inbox::kind_name(&incoming.update.kind);
        let stored = incoming.raw.to_string();
        let again = parse_update(stored.as_bytes()).expect("what was stored reads back");
        assert_eq!(again.update, incoming.update, "{stored}");
    }
});
