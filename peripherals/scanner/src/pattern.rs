//! QR codes drawn as frames: the till's own merchant codes as PNG (`till qr make --png`), and
//! the frames tests and the bench show the decoders, made on the spot rather than committed.

use qrcode::bits::Bits;
use qrcode::{Color, EcLevel, QrCode, Version};

use crate::error::ScanError;
use crate::frame::LumaFrame;

/// Modules of white around a code, as ISO/IEC 18004 asks.
pub const QUIET_ZONE: u32 = 4;

/// `text` as a QR code, error correction M. ASCII text goes in the densest modes; other text as
/// UTF-8 bytes behind ECI 000026, as EMVCo MPM §4.12 asks for payloads outside the common set.
fn encode(text: &str) -> Result<QrCode, ScanError> {
    let too_long = |e: qrcode::types::QrError| ScanError::Encode(e.to_string());
    if text.is_ascii() {
        return QrCode::with_error_correction_level(text, EcLevel::M).map_err(too_long);
    }
    for version in 1..=40 {
        let mut bits = Bits::new(Version::Normal(version));
        let fits = bits
            .push_eci_designator(26)
            .and_then(|()| bits.push_byte_data(text.as_bytes()))
            .and_then(|()| bits.push_terminator(EcLevel::M));
        if fits.is_ok() {
            return QrCode::with_bits(bits, EcLevel::M).map_err(too_long);
        }
    }
    Err(ScanError::Encode("the text does not fit in a QR code".to_owned()))
}

/// A frame showing `text` as a QR code, black on white, `module` pixels per module, with the
/// quiet zone.
///
/// # Errors
/// [`ScanError::Encode`] when the text does not fit in a QR code.
pub fn code_frame(text: &str, module: u32) -> Result<LumaFrame, ScanError> {
    let code = encode(text)?;
    let module = module.max(1);
    let modules = u32::try_from(code.width()).map_err(|e| ScanError::Encode(e.to_string()))?;
    let side = (modules + 2 * QUIET_ZONE) * module;
    let colors = code.to_colors();
    let mut data = vec![255u8; (side as usize) * (side as usize)];
    for (index, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (index as u32 % modules, index as u32 / modules);
        let (x0, y0) = ((mx + QUIET_ZONE) * module, (my + QUIET_ZONE) * module);
        for y in y0..y0 + module {
            let row = (y * side) as usize;
            data[row + x0 as usize..row + (x0 + module) as usize].fill(0);
        }
    }
    LumaFrame::new(side, side, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{Decoder, Rxing};

    #[test]
    fn drawn_codes_read_back_ascii_and_utf8() -> Result<(), ScanError> {
        for text in ["281234567890123456", "00020101021229300012D15600000000051商戶名稱"] {
            let frame = code_frame(text, 4)?;
            assert_eq!(Rxing::live().decode(&frame)?.as_deref(), Some(text));
        }
        assert!(
            code_frame(&"9".repeat(8000), 1).is_err(),
            "more than a version 40 code holds"
        );
        Ok(())
    }
}
