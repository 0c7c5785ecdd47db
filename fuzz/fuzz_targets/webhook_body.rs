//! The webhook body parser on arbitrary bytes; what parses must read back
//! from the form the inbox stores it in.
#![no_main]

use libfuzzer_sys::fuzz_target;
use propdesk::intake::webhook::parse_update;

fuzz_target!(|data: &[u8]| {
    if let Ok(update) = parse_update(data) {
        let _ = propdesk::inbox::kind_name(&update.kind);
        if let Ok(stored) = serde_json::to_string(&update) {
            assert!(parse_update(stored.as_bytes()).is_ok(), "{stored}");
        }
    }
});
