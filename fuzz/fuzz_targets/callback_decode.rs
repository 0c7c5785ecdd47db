//! Both callback-data codecs on arbitrary data: never a panic, and what
//! decodes encodes back within Telegram's 64 bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use propdesk::engine::callback as engine_callback;
use propdesk::telegram::callback::{Callback, MAX_BYTES};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(c) = Callback::decode(text) {
        let again = c.encode();
        assert!(again.len() <= MAX_BYTES);
        assert_eq!(Callback::decode(&again), Some(c));
    }
    if let Some((serial, token)) = engine_callback::decode(text) {
        let again = engine_callback::encode(serial, &token);
        assert_eq!(engine_callback::decode(&again), Some((serial, token)));
    }
});
