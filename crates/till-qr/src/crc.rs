//! The EMVCo MPM checksum (EMVCo MPM v1.0 §4.7.3): CRC-16/CCITT-FALSE, i.e. polynomial 0x1021,
//! initial value 0xFFFF, no reflection, no final XOR, over the UTF-8 bytes of the payload up to
//! and including `6304`.

/// CRC-16/CCITT-FALSE of `bytes`.
pub fn crc16_ccitt_false(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The four uppercase hex digits a payload's field 63 carries for `text`, which must end with
/// `6304`.
pub fn crc_field_value(text: &str) -> String {
    format!("{:04X}", crc16_ccitt_false(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value_of_the_catalogue() -> Result<(), crate::error::QrError> {
        // The CRC catalogue's check value for CRC-16/CCITT-FALSE.
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
        assert_eq!(crc16_ccitt_false(b""), 0xFFFF);
        Ok(())
    }

    #[test]
    fn emvco_annex_example_is_computed_over_utf8() -> Result<(), crate::error::QrError> {
        // EMVCo MPM v1.0 Annex B.7 (Chinese merchant name in template 64).
        let text = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304";
        assert_eq!(crc_field_value(text), "A13A");
        Ok(())
    }
}
