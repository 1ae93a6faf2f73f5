//! The one error type of this crate.

use std::path::PathBuf;

use till_domain::ports::DeviceError;

/// Why a scanner could not deliver a code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// An image file could not be read or is not an image we can decode (PNG or binary PGM).
    #[error("{path}: {reason}")]
    Image {
        /// The file.
        path: PathBuf,
        /// What went wrong, for people.
        reason: String,
    },

    /// A luma buffer does not hold `width * height` bytes, or a dimension is zero.
    #[error("a {width}x{height} frame needs {} bytes, got {len}", (*width as usize) * (*height as usize))]
    FrameSize {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Bytes given.
        len: usize,
    },

    /// A decoder panicked on a frame. The panic was caught; the frame is lost, the scanner is not.
    #[error("the {decoder} decoder panicked: {message}")]
    DecoderPanicked {
        /// Which decoder (`rxing`, `rqrr`).
        decoder: &'static str,
        /// The panic's message.
        message: String,
    },

    /// A text could not be drawn as a QR code: longer than a version 40 code holds.
    #[error("cannot draw a QR code: {0}")]
    Encode(String),

    /// The camera could not be listed, opened, configured or read (no camera, permission denied,
    /// no uncompressed format at the asked resolution, unplugged while streaming).
    #[error("camera: {0}")]
    Camera(String),

    /// The serial port could not be opened or read.
    #[error("serial port {path}: {reason}")]
    Serial {
        /// The device path.
        path: String,
        /// What went wrong.
        reason: String,
    },

    /// A serial scanner sent a line longer than any code, without a line end: wrong baud rate or
    /// suffix setting. The bytes were dropped.
    #[error("the scanner sent {len} bytes without a line end; check its baud rate and suffix")]
    LineTooLong {
        /// Bytes received before giving up.
        len: usize,
    },

    /// The source has nothing more: every image file was read, the serial line was closed, the
    /// keyboard channel's senders are gone.
    #[error("the scanner's source has ended: {0}")]
    Ended(&'static str),
}

impl From<ScanError> for DeviceError {
    /// Every scanner failure happens before anything is charged: the till was still waiting for
    /// a code, so nothing reached a payment device.
    fn from(error: ScanError) -> DeviceError {
        DeviceError::Unavailable(error.to_string())
    }
}
