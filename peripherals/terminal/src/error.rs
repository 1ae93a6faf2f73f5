use thiserror::Error;

/// What can go wrong speaking ZVT.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ZvtError {
    /// The bytes end before the APDU or field they started is complete; `need` more bytes
    /// would be required at `offset`.
    #[error("truncated at byte {offset}: {what} needs more bytes")]
    Truncated { offset: usize, what: &'static str },
    /// A BMP number this codec does not know: ZVT fields have implicit lengths, so the rest of
    /// the APDU cannot be read past it.
    #[error("unknown BMP {bmp:02X} at byte {offset}")]
    UnknownBmp { bmp: u8, offset: usize },
    /// A length prefix (LLVAR `Fx Fy`, LLLVAR `Fx Fy Fz`) whose nibbles are not `F` + digit.
    #[error("bad variable length at byte {offset}")]
    BadVarLength { offset: usize },
    /// BCD with a nibble above 9 where digits are required.
    #[error("not BCD at byte {offset}")]
    NotBcd { offset: usize },
    /// A value too large for its field (amount over 12 digits, text over 99 bytes…).
    #[error("{what} does not fit its field")]
    TooLarge { what: &'static str },
    /// Serial framing: no DLE STX, bad stuffing, or a CRC that does not match.
    #[error("serial frame: {0}")]
    Frame(&'static str),
    /// The other side did not answer within the protocol's time-out.
    #[error("time-out waiting for {0}")]
    Timeout(&'static str),
    /// The link kept refusing (NAK) or not acknowledging our frame after the allowed repeats.
    #[error("transmission failed after repeats")]
    Transmission,
    /// The connection or device closed.
    #[error("connection closed")]
    Closed,
    /// The PIN pad's link is down (a Bluetooth reader away or reconnecting): nothing was sent.
    #[error("no link: {0}")]
    NoLink(String),
    /// An I/O error from the port or socket.
    #[error("i/o: {0}")]
    Io(String),
    /// The terminal answered something the sequence does not allow at that point.
    #[error("unexpected {0}")]
    Unexpected(String),
    /// Hex input (CLI, fixtures) that is not hex.
    #[error("not hex: {0}")]
    Hex(String),
}

impl From<std::io::Error> for ZvtError {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::BrokenPipe
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted => ZvtError::Closed,
            _ => ZvtError::Io(e.to_string()),
        }
    }
}
