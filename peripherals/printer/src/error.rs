//! The printer crate's error. Printing itself reports `till_domain::ports::DeviceError` (the
//! port's error, which the till understands); this one is for configuration, images and files.

use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum PrinterError {
    /// The `[printer]` section is incomplete or inconsistent (a serial driver without a path,
    /// a code page this driver has no table for).
    #[error("printer configuration: {0}")]
    Config(String),
    /// The configured logo cannot be read, is not a PNG, or is wider than the paper.
    #[error("printer logo {path}: {detail}")]
    Logo { path: PathBuf, detail: String },
    /// A PNG could not be encoded or decoded.
    #[error("image: {0}")]
    Image(String),
    /// Reading a job or writing a rendered page failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
