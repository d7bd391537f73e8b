#![no_main]
//! Any bytes off the wire: decoding never panics, and what decodes encodes.

use libfuzzer_sys::fuzz_target;
use torikomi_hl7::{Charset, decode, encode};

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = decode(data) {
        let _ = encode(&message, Charset::Utf8);
        let _ = encode(&message, Charset::Iso2022Jp);
    }
});
