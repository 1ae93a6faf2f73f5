//! ZVT codec: any bytes give APDUs and packets or an error, never a panic; what parses
//! re-serialises to the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use till_terminal::{Apdu, Packet};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok((apdu, used)) = Apdu::decode_prefix(rest) {
        if let Ok(packet) = Packet::from_apdu(&apdu) {
            let mut again = packet.to_apdu();
            again.extended = apdu.extended;
            assert_eq!(again.encode().ok().as_deref(), Some(&rest[..used]), "parse then write is the identity");
        }
        let _ = till_terminal::bmp::parse_fields(&apdu.data);
        rest = &rest[used..];
    }
    let _ = till_terminal::view::decode_hex(&hex_of(data));
});

fn hex_of(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02X}")).collect()
}
