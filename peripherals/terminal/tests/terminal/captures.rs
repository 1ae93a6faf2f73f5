//! Every capture in ../shared/testdata/zvt/captures.jsonl parses, and re-serialises to the same
//! bytes; the corrupt ones are refused with an error, never a panic.

use crate::support::*;
use till_terminal::Apdu;
use till_terminal::packet::{Fields, Packet};

fn captures() -> Vec<serde_json::Value> {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/zvt/captures.jsonl");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/zvt-captures.jsonl");
    let text = std::fs::read_to_string(&shared)
        .or_else(|_| std::fs::read_to_string(&fixture))
        .expect("captures");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

#[test]
fn every_capture_parses_and_round_trips() -> TestResult {
    let all = captures();
    assert!(all.len() >= 36, "the whole capture file is read");
    let mut modelled = 0;
    for (i, c) in all.iter().enumerate() {
        let line = i + 1;
        let bytes = hex::decode(c["hex"].as_str().ok_or("hex")?)?;
        let test = c["test"].as_str().unwrap_or_default();
        // Portalum's GetApduInfo literals test the header reader only: a header that is cut
        // off is refused, one whose data is missing reads as that length.
        if test.starts_with("GetApduInfo") {
            match (test.contains("Corrupt"), Apdu::header(&bytes)) {
                (true, header) => assert!(header.is_err(), "L{line} is corrupt and must be refused"),
                (false, Ok((0x04, 0x0F, len, _))) => assert!(len >= 1, "L{line}: extended length read"),
                (false, other) => return Err(format!("L{line}: header {other:?}").into()),
            }
            if test.contains("MaxLength") {
                assert!(
                    Apdu::decode(&bytes).is_err(),
                    "L{line}: 65535 announced, 1 present: truncated"
                );
            }
            continue;
        }
        let (apdu, used) = Apdu::decode_prefix(&bytes).map_err(|e| format!("L{line}: {e}"))?;
        if test.contains("DataFragment") {
            assert!(
                used < bytes.len() && Apdu::decode_prefix(&bytes[used..]).is_err(),
                "L{line}: an APDU then a fragment"
            );
        } else {
            assert_eq!(used, bytes.len(), "L{line}: one whole APDU");
        }
        let packet = Packet::from_apdu(&apdu).map_err(|e| format!("L{line} ({}): {e}", c["meaning"]))?;
        let mut again = packet.to_apdu();
        again.extended = apdu.extended;
        assert_eq!(
            again.encode()?,
            bytes[..used].to_vec(),
            "L{line} {} re-serialises byte for byte",
            packet.name()
        );
        if !matches!(packet, Packet::Other(_)) {
            modelled += 1;
        }
    }
    assert!(
        modelled >= 25,
        "most captures are packets we model ({modelled}); the rest are vendor commands kept raw"
    );
    Ok(())
}

#[test]
fn captured_values_read_as_expected() -> TestResult {
    let all = captures();
    let packet = |line: usize| -> Result<Packet, Box<dyn std::error::Error>> {
        let bytes = hex::decode(all[line - 1]["hex"].as_str().ok_or("hex")?)?;
        Ok(Packet::from_apdu(&Apdu::decode(&bytes)?)?)
    };
    // L5: status information after a reservation (Feig cVEND).
    let l5 = packet(5)?;
    let f = l5.fields();
    assert_eq!(
        (f.result_code(), f.amount(), f.currency()),
        (Some(0), Some(2500), Some(978))
    );
    assert_eq!(
        (f.trace(), f.receipt_no(), f.terminal_id()),
        (Some(975), Some(231), Some(52_523_535))
    );
    assert_eq!(f.masked_pan().map(|p| p.len()), Some(16));
    assert!(
        f.masked_pan().is_some_and(|p| p.starts_with("************")),
        "only the last 4 digits"
    );
    // L14: end-of-day totals.
    let l14 = packet(14)?;
    assert_eq!((l14.fields().amount(), l14.fields().trace()), (Some(958), Some(982)));
    // L15: registration.
    match packet(15)? {
        Packet::Registration {
            password,
            config,
            currency,
            ..
        } => assert_eq!((password, config, currency), (123_456, 0xDE, Some(978))),
        other => return Err(format!("L15 is {other:?}").into()),
    }
    // L22: partial reversal refused with B8.
    assert!(matches!(packet(22)?, Packet::PtAbort { code: 0xB8, .. }));
    // L29: a payment with EMV TLV data: AID A0000000041010, CVM and technology.
    let l29 = packet(29)?;
    let approval = till_terminal::driver::approval_of(l29.fields());
    let card = approval.card.ok_or("card data")?;
    assert_eq!(card.aid.as_deref(), Some("A0000000041010"));
    assert_eq!(card.scheme, "Debit Mastercard");
    assert_eq!(approval.reference.as_deref(), Some("0607"));
    assert_eq!(
        card.cryptogram.as_deref(),
        Some("B1D7345C1F2D355B"),
        "the cryptogram from the PT's EMV print text (TLV 47)"
    );
    Ok(())
}
