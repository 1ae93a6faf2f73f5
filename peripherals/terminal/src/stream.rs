//! PIN pads on a link that something else keeps: a paired Bluetooth reader (`till-bluetooth`)
//! connects, drops and comes back on its own time, and the driver takes whatever stream is live
//! when it needs one. The link is a byte stream carrying the same serial framing as a cable
//! ([`crate::serial`]): RFCOMM is a serial port, and a BLE "UART" is made to look like one.

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncWrite};

/// A duplex byte stream: an RFCOMM socket, a BLE UART, an in-memory pipe in tests.
pub trait ByteStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> ByteStream for T {}

/// The live stream of a link, and which connection of it this is: each reconnection counts one
/// up, so a driver holding an older stream knows it is dead without writing to it.
pub struct LinkStream {
    pub stream: Box<dyn ByteStream>,
    pub generation: u64,
}

impl std::fmt::Debug for LinkStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkStream")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// Keeps a link to a PIN pad and lends out its stream.
#[async_trait]
pub trait StreamSource: Send + Sync + std::fmt::Debug {
    /// The live stream, or why there is none now (the reader is away, reconnecting, not
    /// paired). Never waits for a reconnection: a transaction does not start on a dead link.
    async fn open(&self) -> Result<LinkStream, String>;
    /// Whether the stream lent out as `generation` is still the live link.
    fn live(&self, generation: u64) -> bool;
}
