//! Every payload of `emv-mpm/negatives.jsonl` is rejected, with an error that says what and where.

use till_qr::{QrError, parse};

use crate::support::{TestResult, negatives};

#[test]
fn every_negative_is_rejected_clearly() -> TestResult {
    let vectors = negatives()?;
    assert!(vectors.len() >= 3);
    for vector in &vectors {
        let error = match parse(&vector.payload) {
            Ok(parsed) => {
                return Err(format!("{}: accepted {:?}", vector.origin, parsed.payload).into());
            }
            Err(error) => error,
        };
        if let Some(correct) = vector.json["expected"]["correct_crc"].as_str() {
            assert!(
                matches!(&error, QrError::CrcMismatch { computed, .. } if computed == correct),
                "{}: the error names the right CRC {correct}: {error:?}",
                vector.origin
            );
        }
        let message = error.to_string();
        assert!(
            message.contains("character") || message.contains("field"),
            "{}: the message says where or what: {message}",
            vector.origin
        );
    }
    Ok(())
}

#[test]
fn crc_alone_is_not_a_payload() {
    // ts-khqr's "Invalid KHQR 3": 63046007 carries the right CRC of "6304", nothing else.
    assert_eq!(parse("63046007"), Err(QrError::FormatIndicatorNotFirst { found: 63 }));
}

#[test]
fn one_changed_character_breaks_the_crc() -> TestResult {
    let good = "00020101021129370016A000000677010111011300668012345675802TH530376463046197";
    assert!(parse(good).is_ok());
    let bad = good.replace("0066801234567", "0066801234568");
    let crc_at = bad.chars().count() - 4;
    assert!(matches!(parse(&bad), Err(QrError::CrcMismatch { offset, .. }) if offset == crc_at));
    Ok(())
}
