//! QR decoders over luma frames. rxing (a port of zxing and zxing-cpp) is the one the till uses;
//! rqrr is kept behind the `rqrr` feature to compare in the bench (DESIGN.md: rxing reads more
//! photos and is faster on frames without a code).
//!
//! Every call into a decoder runs under `catch_unwind`: a decoder that panics on a strange frame
//! costs that frame, returned as [`ScanError::DecoderPanicked`], never the till.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};

use rxing::common::{GlobalHistogramBinarizer, HybridBinarizer};
use rxing::qrcode::cpp_port::QrReader;
use rxing::{BarcodeFormat, BinaryBitmap, DecodeHints, Luma8Source, MultiFormatReader, Reader};

use crate::error::ScanError;
use crate::frame::LumaFrame;

/// A QR decoder: the text of a code in a frame, if it finds one.
pub trait Decoder: Send {
    /// A short name for tables and errors (`rxing`, `rqrr`).
    fn name(&self) -> &'static str;

    /// The text of a QR code in `frame`, or `None` when there is none it can read.
    ///
    /// # Errors
    /// [`ScanError::DecoderPanicked`] when the decoder panicked on this frame.
    fn decode(&mut self, frame: &LumaFrame) -> Result<Option<String>, ScanError>;
}

/// How hard rxing looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// A camera frame: the next one comes in 33 ms, so no "try harder" (which scans every row
    /// for finder patterns and costs several times more on frames without a code).
    Live,
    /// A photo or screenshot that is all there is: "try harder", and when that finds nothing,
    /// once more at half size with a global threshold (codes with a photo printed into their
    /// modules: the texture breaks the local threshold, averaging smooths it away).
    Still,
}

/// rxing's QR reader: the luma plane borrowed as it is, hybrid binarizer, QR only, light and
/// inverted (a code shown light on a dark screen).
///
/// Live frames go to rxing's port of zxing-cpp's QR reader alone, on the bitmap and then on the
/// same bitmap inverted: two detector passes per frame without a code. Stills go through
/// rxing's `MultiFormatReader`, which also tries the older zxing (Java) reader when the first
/// finds nothing — twice the work, and a few more photos read.
pub struct Rxing {
    effort: Effort,
    hints: DecodeHints,
    reader: MultiFormatReader,
}

impl std::fmt::Debug for Rxing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rxing({:?})", self.effort)
    }
}

impl Rxing {
    /// A decoder for camera frames.
    pub fn live() -> Rxing {
        Rxing::new(Effort::Live)
    }

    /// A decoder for photos and image files.
    pub fn still() -> Rxing {
        Rxing::new(Effort::Still)
    }

    /// A decoder with the given effort.
    pub fn new(effort: Effort) -> Rxing {
        let hints = DecodeHints {
            PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
            TryHarder: Some(effort == Effort::Still),
            AlsoInverted: Some(true),
            ..DecodeHints::default()
        };
        let mut reader = MultiFormatReader::default();
        reader.set_hints(&hints);
        Rxing { effort, hints, reader }
    }

    /// One frame, no panic guard.
    fn read(&mut self, frame: &LumaFrame) -> Option<String> {
        let source = Luma8Source::new_with_slice(frame.data(), frame.width(), frame.height()).ok()?;
        let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
        if self.effort == Effort::Live {
            let found = QrReader.decode_with_hints(&mut bitmap, &self.hints).or_else(|_| {
                bitmap.invert();
                QrReader.decode_with_hints(&mut bitmap, &self.hints)
            });
            return found.ok().map(|found| found.getText().to_owned());
        }
        if let Ok(found) = self.reader.decode_with_state(&mut bitmap) {
            return Some(found.getText().to_owned());
        }
        let half = frame.half().ok()?;
        let source = Luma8Source::new_with_slice(half.data(), half.width(), half.height()).ok()?;
        let found = self
            .reader
            .decode_with_state(&mut BinaryBitmap::new(GlobalHistogramBinarizer::new(source)));
        found.ok().map(|found| found.getText().to_owned())
    }
}

impl Decoder for Rxing {
    fn name(&self) -> &'static str {
        "rxing"
    }

    fn decode(&mut self, frame: &LumaFrame) -> Result<Option<String>, ScanError> {
        // Not found, or found but unreadable (checksum, format), is no code in this frame.
        catch_unwind(AssertUnwindSafe(|| self.read(frame))).map_err(|panic| {
            // The reader may be half-way through something: start the next frame afresh.
            *self = Rxing::new(self.effort);
            ScanError::DecoderPanicked {
                decoder: "rxing",
                message: panic_message(panic.as_ref()),
            }
        })
    }
}

/// rqrr: a port of quirc. Reads what it finds in the frame as it is, then inverted.
#[cfg(feature = "rqrr")]
#[derive(Debug, Default)]
pub struct Rqrr;

#[cfg(feature = "rqrr")]
impl Decoder for Rqrr {
    fn name(&self) -> &'static str {
        "rqrr"
    }

    fn decode(&mut self, frame: &LumaFrame) -> Result<Option<String>, ScanError> {
        let once = |invert: bool| {
            catch_unwind(|| {
                let (width, data) = (frame.width() as usize, frame.data());
                let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, frame.height() as usize, |x, y| {
                    let v = data[y * width + x];
                    if invert { 255 - v } else { v }
                });
                image
                    .detect_grids()
                    .iter()
                    .find_map(|grid| grid.decode().ok().map(|(_, text)| text))
            })
            .map_err(|panic| ScanError::DecoderPanicked {
                decoder: "rqrr",
                message: panic_message(panic.as_ref()),
            })
        };
        match once(false)? {
            Some(text) => Ok(Some(text)),
            None => once(true),
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_frame_has_no_code() -> Result<(), ScanError> {
        let frame = LumaFrame::new(64, 48, vec![200; 64 * 48])?;
        assert_eq!(Rxing::live().decode(&frame)?, None);
        assert_eq!(Rxing::still().decode(&frame)?, None);
        Ok(())
    }

    #[test]
    fn a_light_code_on_a_dark_screen_reads_live_and_still() -> Result<(), ScanError> {
        let code = crate::pattern::code_frame("134567890123456789", 4)?;
        for mut decoder in [Rxing::live(), Rxing::still()] {
            assert_eq!(decoder.decode(&code)?.as_deref(), Some("134567890123456789"));
            let inverted = decoder.decode(&code.inverted())?;
            assert_eq!(inverted.as_deref(), Some("134567890123456789"), "{decoder:?} inverted");
        }
        Ok(())
    }

    #[cfg(feature = "rqrr")]
    #[test]
    fn rqrr_reads_light_and_inverted_codes() -> Result<(), ScanError> {
        let code = crate::pattern::code_frame("6212345678901234567", 4)?;
        assert_eq!(Rqrr.decode(&code)?.as_deref(), Some("6212345678901234567"));
        assert_eq!(Rqrr.decode(&code.inverted())?.as_deref(), Some("6212345678901234567"));
        Ok(())
    }

    #[test]
    fn panic_messages_are_kept() {
        let caught = catch_unwind(|| std::panic::panic_any("index out of bounds")).err();
        let message = caught.map(|p| panic_message(p.as_ref()));
        assert_eq!(message.as_deref(), Some("index out of bounds"));
    }
}
