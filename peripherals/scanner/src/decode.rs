//! QR decoders over luma frames. [`Rxing`] is the till's pipeline: rxing (a port of zxing and
//! zxing-cpp) first, as plainly as it reads best, then other views of the same frame — other
//! binarisations, a second scale, mirrored — and rqrr as a second opinion where rxing saw finder
//! patterns but could not read a code. Each step is a general technique for camera photos
//! (uneven light, blur, small or large modules, dark-mode screens, mirroring webcams); none is
//! fitted to a particular photo. Live frames stop at a time budget.
//!
//! Every call into a decoder runs under `catch_unwind`: a decoder that panics on a strange frame
//! costs that frame, returned as [`ScanError::DecoderPanicked`], never the till.

use std::borrow::Cow;
use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use rxing::common::{GlobalHistogramBinarizer, HybridBinarizer};
use rxing::qrcode::cpp_port::QrReader;
use rxing::qrcode::cpp_port::detector::FindFinderPatterns;
use rxing::{BarcodeFormat, Binarizer, BinaryBitmap, DecodeHints, Luma8Source, MultiFormatReader, Reader};

use crate::binarize::BlockBinarizer;
use crate::error::ScanError;
use crate::finder::finder_patterns;
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

/// How hard the pipeline looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// A camera frame: the next one comes in 33 ms, and the customer holds the code up for many.
    /// One fast pass on every frame (no "try harder", which scans every row for finder
    /// patterns); the other steps only where finder patterns were seen, and only until
    /// [`LIVE_BUDGET`] is spent: a slow frame is cut short, never queued behind.
    Live,
    /// A photo or screenshot that is all there is: every step, "try harder" where it helps.
    Still,
}

/// What the live pipeline may spend on one frame before it gives the frame up: under a third of
/// a 30 fps camera's frame interval, so the scanner never falls behind the camera.
pub const LIVE_BUDGET: Duration = Duration::from_millis(10);

/// Frames above this many pixels are shrunk by averaging before any step: a 48-megapixel photo
/// costs what a 12-megapixel one does, and memory stays bounded.
pub const MAX_PIXELS: usize = 12_000_000;

/// rqrr works on frames at most this many pixels (shrunk if larger): it is several times slower
/// than rxing per pixel, and a code rxing saw the finder patterns of is large enough for it.
const RQRR_PIXELS: usize = 1_000_000;

/// The views a live frame without finder patterns gets, one per frame in turn.
const ROTATION: [Step; 3] = [Step::OtherScale, Step::Global, Step::LocalMean];

/// The rotating view works on a copy of the frame of at most this many pixels (a 720p frame is
/// halved to 640x360): a quarter of the first pass's cost.
const ROTATION_PIXELS: usize = 320_000;

/// The till's QR pipeline over rxing (and rqrr). See the module documentation for the steps.
pub struct Rxing {
    effort: Effort,
    /// Live frames seen, to turn the rotating view.
    frames: usize,
    budget: Duration,
    /// QR only, no "try harder".
    fast: DecodeHints,
    /// QR only, "try harder".
    harder: DecodeHints,
    /// rxing as it reads photos plainly: both QR readers, "try harder", and inverted.
    plain: MultiFormatReader,
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
        let hints = |harder: bool| DecodeHints {
            PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
            TryHarder: Some(harder),
            AlsoInverted: Some(true),
            ..DecodeHints::default()
        };
        let mut plain = MultiFormatReader::default();
        plain.set_hints(&hints(true));
        Rxing {
            effort,
            frames: 0,
            budget: LIVE_BUDGET,
            fast: hints(false),
            harder: hints(true),
            plain,
        }
    }

    /// The same decoder with another per-frame budget for live frames (stills have none).
    pub fn with_budget(mut self, budget: Duration) -> Rxing {
        self.budget = budget;
        self
    }

    /// One frame, no panic guard.
    fn read(&mut self, frame: &LumaFrame) -> Option<String> {
        let start = Instant::now();
        let frame = match frame.at_most(MAX_PIXELS).ok()? {
            Some(smaller) => Cow::Owned(smaller),
            None => Cow::Borrowed(frame),
        };
        match self.effort {
            Effort::Live => self.live_frame(&frame, start),
            Effort::Still => self.still_frame(&frame),
        }
    }

    fn live_frame(&mut self, frame: &LumaFrame, start: Instant) -> Option<String> {
        let mut bitmap = hybrid(frame)?;
        // A word-at-a-time scan of the rows counts finder patterns, dark and light, at once; the
        // decoder's own search and the reader only run on a side where there could be a code.
        let seen = finder_patterns(bitmap.get_black_matrix());
        let mut most = 0;
        for (inverted, &quick) in [false, true].into_iter().zip(&seen) {
            if quick < 2 {
                most = most.max(quick);
                continue;
            }
            if inverted {
                bitmap.invert();
            }
            let patterns = FindFinderPatterns(bitmap.get_black_matrix(), false, 0).len();
            most = most.max(patterns);
            if patterns >= 3
                && let Ok(found) = QrReader.decode_with_hints(&mut bitmap, &self.fast)
            {
                return Some(found.getText().to_owned());
            }
        }
        // Nothing read, and no finder patterns to go on: one more view of the frame, a different
        // one each frame (the customer holds the code up for many), on a small copy, so a frame
        // without a code stays cheap.
        if most < 2 {
            let step = ROTATION[self.frames % ROTATION.len()];
            self.frames = self.frames.wrapping_add(1);
            let small = frame.at_most(ROTATION_PIXELS).ok()?;
            let small = small.as_ref().unwrap_or(frame);
            return match step {
                Step::OtherScale if !std::ptr::eq(small, frame) => qr_seen(&mut hybrid(small)?, &self.fast),
                Step::LocalMean => {
                    let binary = small.local_mean(local_radius(small), LOCAL_OFFSET);
                    qr_seen(&mut global(&binary)?, &self.fast)
                }
                Step::Global => qr_seen(&mut global(small)?, &self.fast),
                step => step.read(small, &self.fast),
            };
        }
        // Finder patterns but no code: every other view, until the budget is spent.
        for step in [Step::Global, Step::LocalMean, Step::OtherScale, Step::Rqrr] {
            if start.elapsed() >= self.budget {
                return None;
            }
            if let Some(text) = step.read(frame, &self.fast) {
                return Some(text);
            }
        }
        None
    }

    fn still_frame(&mut self, frame: &LumaFrame) -> Option<String> {
        // 1. What rxing reads plainly (both readers, "try harder", its own hybrid binariser),
        // and inverted.
        let source = Luma8Source::new_with_slice(frame.data(), frame.width(), frame.height()).ok()?;
        let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
        if let Ok(found) = self.plain.decode_with_state(&mut bitmap) {
            return Some(found.getText().to_owned());
        }
        let seen = finder_patterns_seen(&mut bitmap);
        drop(bitmap);
        for step in [Step::Global, Step::LocalMean, Step::OtherScale, Step::Mirrored] {
            if let Some(text) = step.read(frame, &self.harder) {
                return Some(text);
            }
        }
        if seen {
            Step::Rqrr.read(frame, &self.harder)
        } else {
            None
        }
    }
}

impl Step {
    fn read(self, frame: &LumaFrame, hints: &DecodeHints) -> Option<String> {
        match self {
            Step::Global => qr(&mut global(frame)?, hints),
            Step::LocalMean => {
                let binary = frame.local_mean(local_radius(frame), LOCAL_OFFSET);
                qr(&mut global(&binary)?, hints)
            }
            Step::OtherScale => {
                let other = other_scale(frame)?;
                qr(&mut hybrid(&other)?, hints).or_else(|| qr(&mut global(&other)?, hints))
            }
            Step::Mirrored => qr(&mut hybrid(&frame.mirrored())?, hints),
            Step::Rqrr => {
                let small = frame.at_most(RQRR_PIXELS).ok()?;
                rqrr_read(small.as_ref().unwrap_or(frame))
            }
        }
    }
}

/// The steps after the first pass, in the order they are tried.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// One threshold for the whole frame from its histogram: blur and low contrast, where the
    /// hybrid binariser's 8x8 blocks see no edge.
    Global,
    /// A threshold per pixel from the mean around it: uneven light and glare.
    LocalMean,
    /// Half size for large frames (averages away texture and noise, modules stay several pixels),
    /// double size for small ones (modules of one or two pixels).
    OtherScale,
    /// Mirrored left to right (a webcam's mirror image).
    Mirrored,
    /// rqrr (quirc's method: flood-filled regions, not scan lines) as a second opinion.
    Rqrr,
}

/// The local-mean window: about a twelfth of the frame's shorter side, so it spans several
/// modules of any code that fills a useful part of the frame, and at least 15 pixels.
fn local_radius(frame: &LumaFrame) -> usize {
    (frame.width().min(frame.height()) as usize / 24).max(7)
}

/// How much darker than its surroundings a pixel must be to count as dark: sensor noise on a
/// flat area stays light.
const LOCAL_OFFSET: u8 = 6;

/// Frames whose shorter side is at least this many pixels are tried at half size, smaller ones
/// at double size.
const HALVE_FROM: u32 = 480;

fn other_scale(frame: &LumaFrame) -> Option<LumaFrame> {
    if frame.width().min(frame.height()) >= HALVE_FROM {
        frame.half().ok()
    } else if frame.data().len() <= MAX_PIXELS / 4 {
        frame.doubled().ok()
    } else {
        None
    }
}

/// zxing's hybrid binarisation ([`BlockBinarizer`]: the same thresholds as rxing's, faster).
fn hybrid(frame: &LumaFrame) -> Option<BinaryBitmap<BlockBinarizer<'_>>> {
    let source = Luma8Source::new_with_slice(frame.data(), frame.width(), frame.height()).ok()?;
    Some(BinaryBitmap::new(BlockBinarizer::new(source)))
}

fn global(frame: &LumaFrame) -> Option<BinaryBitmap<GlobalHistogramBinarizer<Luma8Source<'_>>>> {
    let source = Luma8Source::new_with_slice(frame.data(), frame.width(), frame.height()).ok()?;
    Some(BinaryBitmap::new(GlobalHistogramBinarizer::new(source)))
}

/// rxing's port of zxing-cpp's QR reader on `bitmap`, then on it inverted (a light code on a dark
/// screen); the bitmap is left as it came.
fn qr<B: Binarizer>(bitmap: &mut BinaryBitmap<B>, hints: &DecodeHints) -> Option<String> {
    if let Ok(found) = QrReader.decode_with_hints(bitmap, hints) {
        return Some(found.getText().to_owned());
    }
    bitmap.invert();
    let found = QrReader.decode_with_hints(bitmap, hints);
    bitmap.invert();
    found.ok().map(|found| found.getText().to_owned())
}

/// [`qr`] on the sides of `bitmap` where the quick row scan counts the three finder patterns a
/// code needs: a view of a frame with no code costs its binarisation and one scan.
fn qr_seen<B: Binarizer>(bitmap: &mut BinaryBitmap<B>, hints: &DecodeHints) -> Option<String> {
    let [dark, light] = finder_patterns(bitmap.get_black_matrix());
    if dark >= 3
        && let Ok(found) = QrReader.decode_with_hints(bitmap, hints)
    {
        return Some(found.getText().to_owned());
    }
    if light < 3 {
        return None;
    }
    bitmap.invert();
    let found = QrReader.decode_with_hints(bitmap, hints);
    bitmap.invert();
    found.ok().map(|found| found.getText().to_owned())
}

/// Whether rxing's finder-pattern scan sees at least two patterns, dark or light: a code may be
/// there that the readers could not sample.
fn finder_patterns_seen<B: Binarizer>(bitmap: &mut BinaryBitmap<B>) -> bool {
    if FindFinderPatterns(bitmap.get_black_matrix(), false, 0).len() >= 2 {
        return true;
    }
    bitmap.invert();
    let seen = FindFinderPatterns(bitmap.get_black_matrix(), false, 0).len() >= 2;
    bitmap.invert();
    seen
}

/// rqrr on `frame`, light and inverted. Panics are left to the caller's guard.
fn rqrr_read(frame: &LumaFrame) -> Option<String> {
    let (width, height, data) = (frame.width() as usize, frame.height() as usize, frame.data());
    for invert in [false, true] {
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
            let v = data[y * width + x];
            if invert { 255 - v } else { v }
        });
        let text = image
            .detect_grids()
            .iter()
            .find_map(|grid| grid.decode().ok().map(|(_, text)| text));
        if text.is_some() {
            return text;
        }
    }
    None
}

impl Decoder for Rxing {
    fn name(&self) -> &'static str {
        "rxing"
    }

    fn decode(&mut self, frame: &LumaFrame) -> Result<Option<String>, ScanError> {
        // Not found, or found but unreadable (checksum, format), is no code in this frame.
        catch_unwind(AssertUnwindSafe(|| self.read(frame))).map_err(|panic| {
            // The reader may be half-way through something: start the next frame afresh.
            *self = Rxing::new(self.effort).with_budget(self.budget);
            ScanError::DecoderPanicked {
                decoder: "rxing",
                message: panic_message(panic.as_ref()),
            }
        })
    }
}

/// rqrr alone (a port of quirc), light and inverted: the bench's comparison.
#[derive(Debug, Default)]
pub struct Rqrr;

impl Decoder for Rqrr {
    fn name(&self) -> &'static str {
        "rqrr"
    }

    fn decode(&mut self, frame: &LumaFrame) -> Result<Option<String>, ScanError> {
        catch_unwind(|| rqrr_read(frame)).map_err(|panic| ScanError::DecoderPanicked {
            decoder: "rqrr",
            message: panic_message(panic.as_ref()),
        })
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
