//! Terminal API JSON: any bytes decode to a typed message or give an error; a plain message
//! that decodes writes back to JSON that decodes to the same message, and masking it keeps it
//! a message.
#![no_main]
use libfuzzer_sys::fuzz_target;
use till_terminal::nexo::{decode, encode_plain};

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = decode(data, None) {
        let again = decode(&encode_plain(&d.message), None).expect("our own JSON decodes");
        assert_eq!(again.message, d.message, "decode, encode, decode is stable");
        let _ = d.message.masked();
    }
});
