//! Code scanners for the till (D3): a webcam whose frames are decoded as QR codes, keyboard-wedge
//! scanners, serial scanners — each behind the till's [`CodeScanner`] port as a [`Scanner`].
//!
//! Design choices:
//! - **Luma in, text out.** Decoders take one byte of brightness per pixel ([`LumaFrame`]). A
//!   camera's YUYV or NV12 frame already holds that plane, so capture takes it as it is: no
//!   colour conversion, no JPEG decoding per frame. Image files are converted once when read.
//! - **A pipeline around rxing.** rxing (QR only: its other formats, image codecs and result
//!   parsers are left out) reads the plane borrowed, light and inverted; stills then get other
//!   binarisations, another scale, the mirror image and rqrr as a second opinion; camera frames
//!   get a fast pass and, within a time budget, the rest ([`Effort`], decode.rs). Every decoder
//!   call runs under `catch_unwind`: a panic costs a frame, never the till.
//! - **The camera is a feature.** `camera` (nokhwa, V4L2 bindings built with bindgen, so
//!   libclang and libv4l headers at build time) is off by default: the workspace, its tests and
//!   CI build without it and pass on machines with no webcam; the cashier app and the `till-scan`
//!   tool turn it on. Everything behind the camera (frames, decoding, de-duplication, the port)
//!   is the same code with image files ([`ImageFiles`]) in front instead.
//! - **Frames are pulled, not queued.** [`FrameCodes`] takes frames only while the till waits
//!   for a code, on a blocking thread, and stops when the wait is dropped: a code that was in
//!   view before the sale started is never served from a backlog.
//! - **Once per sighting.** A code stays in view for many frames, and presentation-mode scanners
//!   repeat themselves; [`Dedup`] lets it through once, until it has been out of sight for a
//!   window (3 s).
//! - **Scanners that type.** A keyboard wedge is told from a person by timing alone ([`Wedge`]:
//!   keys at most 50 ms apart and 20 ms on average, then Enter), pure with time passed in, so
//!   the UI can feed it key events and tests can replay any rhythm.
//! - **The scanner reads, the till judges.** Whether a code is a payment code, and of a wallet
//!   the till takes, is the till's rule (`till_qr::classify` and the till's configuration);
//!   the scanner hands over what it read.

mod binarize;
mod decode;
mod dedup;
mod error;
mod finder;
mod frame;
mod pattern;
mod scanner;
mod serial;
mod source;
mod transform;
mod wedge;

#[cfg(feature = "camera")]
mod camera;

#[cfg(feature = "camera")]
pub use camera::{CameraDevice, CameraFrames, CameraSettings, cameras, choose_format};
pub use decode::{Decoder, Effort, LIVE_BUDGET, MAX_PIXELS, Rqrr, Rxing};
pub use dedup::{DEFAULT_WINDOW, Dedup};
pub use error::ScanError;
pub use frame::{LumaFrame, MAX_IMAGE_PIXELS, decode_png, encode_png, read_image};
pub use pattern::{QUIET_ZONE, code_frame};
pub use scanner::{CodeSource, FrameCodes, Scanner};
pub use serial::{MAX_LINE, SerialScanner};
pub use source::{FrameSource, ImageFiles};
pub use wedge::{Key, KeySender, KeyStroke, KeyboardWedge, Wedge, WedgeEvent, WedgeTiming};

#[doc(no_inline)]
pub use till_domain::ports::CodeScanner;
