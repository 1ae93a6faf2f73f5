//! The parser is total: cut-off, mutated and random input gives an error or a list, never a
//! panic, and whatever it accepts it encodes back to the same bytes.

use till_emv::{decode_hex, encode, parse};

use crate::support::{TestResult, all_vectors};

/// Parses `bytes`; if accepted, the encoding must be the input.
fn assert_total(bytes: &[u8]) {
    if let Ok(list) = parse(bytes) {
        assert_eq!(
            encode(&list),
            bytes,
            "accepted input must round-trip: {}",
            hex::encode_upper(bytes)
        );
    }
}

fn vector_bytes() -> Result<Vec<Vec<u8>>, Box<dyn std::error::Error>> {
    let mut all = Vec::new();
    for vector in all_vectors()? {
        for pointer in ["/hex", "/expected/encoded_hex"] {
            if let Some(hex) = vector.json.pointer(pointer).and_then(|h| h.as_str()) {
                all.push(decode_hex(hex)?);
            }
        }
    }
    Ok(all)
}

#[test]
fn truncated_and_mutated_vectors_never_panic() -> TestResult {
    let vectors = vector_bytes()?;
    assert!(!vectors.is_empty());
    let mut accepted_whole = 0;
    for bytes in &vectors {
        if parse(bytes).is_ok() {
            accepted_whole += 1;
        }
        for cut in 0..=bytes.len() {
            assert_total(&bytes[..cut]);
            assert_total(&bytes[cut..]);
        }
        for position in 0..bytes.len().min(128) {
            for replacement in [0x00, 0x1F, 0x7F, 0x80, 0x81, 0x84, 0x9F, 0xBF, 0xFF] {
                let mut mutated = bytes.clone();
                mutated[position] = replacement;
                assert_total(&mutated);
            }
        }
    }
    assert!(accepted_whole > 0, "the untouched vectors include valid data");
    Ok(())
}

#[test]
fn random_garbage_never_panics() {
    // A fixed linear congruential generator: the same garbage on every run.
    let mut state: u64 = 0x5DEE_CE66_D1CE_4E5B;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as u8
    };
    for _ in 0..20_000 {
        let len = usize::from(next() % 48);
        let bytes: Vec<u8> = (0..len).map(|_| next()).collect();
        assert_total(&bytes);
    }
}

#[test]
fn huge_declared_lengths_are_errors() -> TestResult {
    for hex in [
        "9C84FFFFFFFF",
        "9C88FFFFFFFFFFFFFFFF",
        "9CFF",
        "E08FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    ] {
        assert!(parse(&decode_hex(hex)?).is_err(), "{hex} must be refused");
    }
    Ok(())
}
