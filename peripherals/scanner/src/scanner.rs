//! The till's `CodeScanner` port over any source of codes: decoded camera or file frames, a
//! keyboard-wedge scanner, a serial scanner. Sources may repeat themselves; [`Scanner`] hands
//! each code to the till once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Utc;
use till_domain::ports::{CodeScanner, DeviceError, ScannedCode};

use crate::decode::Decoder;
use crate::dedup::{DEFAULT_WINDOW, Dedup};
use crate::error::ScanError;
use crate::source::FrameSource;

/// Something that reads codes: every read, repeats included.
#[async_trait]
pub trait CodeSource: Send {
    /// The text of the next code read. Waits as long as it takes.
    ///
    /// # Errors
    /// The device failed or the source ended.
    async fn next_text(&mut self) -> Result<String, ScanError>;
}

/// How many frames in a row may panic the decoder before the scanner gives up: one strange
/// frame is skipped, a decoder that panics on everything is a failure to report.
const PANICS_IN_A_ROW: usize = 30;

/// Codes from frames: each frame through a decoder, off the async runtime (decoding takes
/// milliseconds, a camera blocks until its next frame).
///
/// Frames are only taken while someone waits for a code, so a code that was in view before the
/// till asked is not served up later from a queue.
pub struct FrameCodes<F, D> {
    shared: Arc<Mutex<(F, D)>>,
}

impl<F, D> std::fmt::Debug for FrameCodes<F, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FrameCodes")
    }
}

impl<F: FrameSource + 'static, D: Decoder + 'static> FrameCodes<F, D> {
    /// Frames from `frames`, decoded by `decoder`.
    pub fn new(frames: F, decoder: D) -> FrameCodes<F, D> {
        FrameCodes {
            shared: Arc::new(Mutex::new((frames, decoder))),
        }
    }

    /// The blocking loop: frames until one holds a code.
    fn scan(shared: &Mutex<(F, D)>, stop: &AtomicBool) -> Result<Option<String>, ScanError> {
        let mut guard = shared.lock().unwrap_or_else(PoisonError::into_inner);
        let (frames, decoder) = &mut *guard;
        let mut panics = 0;
        while !stop.load(Ordering::Relaxed) {
            let Some(frame) = frames.next_frame()? else {
                return Err(ScanError::Ended("no more frames"));
            };
            match decoder.decode(&frame) {
                Ok(Some(text)) => return Ok(Some(text)),
                Ok(None) => panics = 0,
                Err(e @ ScanError::DecoderPanicked { .. }) => {
                    panics += 1;
                    if panics >= PANICS_IN_A_ROW {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }
}

/// Sets its flag when dropped: a `next_text` future dropped by its caller (the cashier
/// cancelled) stops the frame loop at the next frame.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[async_trait]
impl<F: FrameSource + 'static, D: Decoder + 'static> CodeSource for FrameCodes<F, D> {
    async fn next_text(&mut self) -> Result<String, ScanError> {
        let stop = StopOnDrop(Arc::new(AtomicBool::new(false)));
        let flag = stop.0.clone();
        let shared = self.shared.clone();
        let scanned = tokio::task::spawn_blocking(move || FrameCodes::scan(&shared, &flag)).await;
        drop(stop);
        match scanned {
            Ok(Ok(Some(text))) => Ok(text),
            Ok(Ok(None)) => Err(ScanError::Ended("stopped")),
            Ok(Err(e)) => Err(e),
            Err(join) => Err(ScanError::DecoderPanicked {
                decoder: "frame loop",
                message: join.to_string(),
            }),
        }
    }
}

/// A code scanner for the till: codes from `source`, each once (see [`Dedup`]).
pub struct Scanner<S> {
    inner: tokio::sync::Mutex<(S, Dedup)>,
}

impl<S> std::fmt::Debug for Scanner<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scanner")
    }
}

impl<S: CodeSource> Scanner<S> {
    /// A scanner over `source` that drops repeats within [`DEFAULT_WINDOW`].
    pub fn new(source: S) -> Scanner<S> {
        Scanner::with_window(source, DEFAULT_WINDOW)
    }

    /// A scanner over `source` that drops repeats within `window`.
    pub fn with_window(source: S, window: Duration) -> Scanner<S> {
        Scanner {
            inner: tokio::sync::Mutex::new((source, Dedup::new(window))),
        }
    }

    /// The next code not seen within the window. Surrounding whitespace (a scanner's CR LF) is
    /// trimmed; empty reads are skipped.
    ///
    /// # Errors
    /// What the source reports.
    pub async fn next(&self) -> Result<ScannedCode, ScanError> {
        let mut guard = self.inner.lock().await;
        let (source, dedup) = &mut *guard;
        loop {
            let text = source.next_text().await?;
            let text = text.trim();
            if !text.is_empty() && dedup.admit(text, Instant::now()) {
                return Ok(ScannedCode {
                    text: text.to_owned(),
                    at: Utc::now(),
                });
            }
        }
    }
}

#[async_trait]
impl<S: CodeSource> CodeScanner for Scanner<S> {
    async fn next_code(&self) -> Result<ScannedCode, DeviceError> {
        Ok(self.next().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that reads the same list of texts, then ends.
    struct Script(std::vec::IntoIter<&'static str>);

    #[async_trait]
    impl CodeSource for Script {
        async fn next_text(&mut self) -> Result<String, ScanError> {
            self.0.next().map(str::to_owned).ok_or(ScanError::Ended("script"))
        }
    }

    /// Blank frames, forever.
    struct Blank;

    impl FrameSource for Blank {
        fn next_frame(&mut self) -> Result<Option<crate::frame::LumaFrame>, ScanError> {
            crate::frame::LumaFrame::new(2, 2, vec![255; 4]).map(Some)
        }
    }

    /// A decoder that panics (caught, as the real ones catch theirs) on the first `panics`
    /// frames, then reads a code.
    struct Flaky {
        panics: usize,
    }

    impl Decoder for Flaky {
        fn name(&self) -> &'static str {
            "flaky"
        }

        fn decode(&mut self, _: &crate::frame::LumaFrame) -> Result<Option<String>, ScanError> {
            if self.panics == 0 {
                return Ok(Some("281234567890123456".to_owned()));
            }
            self.panics -= 1;
            Err(ScanError::DecoderPanicked {
                decoder: "flaky",
                message: "index out of bounds".to_owned(),
            })
        }
    }

    #[tokio::test]
    async fn a_frame_that_panics_the_decoder_is_skipped_a_decoder_that_always_does_is_an_error() -> Result<(), ScanError>
    {
        let mut codes = FrameCodes::new(Blank, Flaky { panics: 3 });
        assert_eq!(codes.next_text().await?, "281234567890123456");
        let mut codes = FrameCodes::new(Blank, Flaky { panics: usize::MAX });
        let error = codes.next_text().await;
        assert!(matches!(error, Err(ScanError::DecoderPanicked { .. })), "{error:?}");
        Ok(())
    }

    #[tokio::test]
    async fn repeats_are_dropped_and_the_end_is_an_error() -> Result<(), ScanError> {
        let reads = vec!["A", "A\r\n", "", "  ", "B", "A"];
        let scanner = Scanner::new(Script(reads.into_iter()));
        assert_eq!(scanner.next().await?.text, "A");
        assert_eq!(scanner.next().await?.text, "B", "A again, blanks, then B");
        let end = scanner.next_code().await;
        assert!(
            matches!(&end, Err(DeviceError::Unavailable(m)) if m.contains("ended")),
            "A within the window is dropped, then the script ends: {end:?}"
        );
        Ok(())
    }
}
