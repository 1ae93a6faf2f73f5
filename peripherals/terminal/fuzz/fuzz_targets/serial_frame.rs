//! Serial framing: any bytes unframe to an APDU or an error; a framed APDU always unframes back.
#![no_main]
use libfuzzer_sys::fuzz_target;
use till_terminal::serial::{frame, unframe};

fuzz_target!(|data: &[u8]| {
    let _ = unframe(data);
    assert_eq!(unframe(&frame(data)).ok().as_deref(), Some(data), "frame then unframe is the identity");
});
