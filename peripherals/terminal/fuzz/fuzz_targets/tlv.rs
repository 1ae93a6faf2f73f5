//! BER-TLV: any bytes parse or give an error; what parses encodes back to the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(list) = till_emv::parse(data) {
        assert_eq!(till_emv::encode(&list), data, "parse then encode is the identity");
        let _ = till_emv::view(&list);
    }
});
