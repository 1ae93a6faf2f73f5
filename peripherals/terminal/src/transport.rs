//! Transports carry APDUs: over TCP they are written bare [P16 §2.2]; over RS-232 they are
//! framed (see [`crate::serial`]). Both are generic over `AsyncRead + AsyncWrite`, so the same
//! code runs on a socket, a serial port, a pseudo-terminal or an in-memory duplex in tests.

use async_trait::async_trait;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::apdu::Apdu;
use crate::error::ZvtError;

/// Sends and receives whole APDUs.
#[async_trait]
pub trait Transport: Send {
    async fn send(&mut self, apdu: &Apdu) -> Result<(), ZvtError>;
    /// The next APDU, or `Timeout` if none arrives within `timeout`.
    async fn recv(&mut self, timeout: Duration) -> Result<Apdu, ZvtError>;
}

/// Bare APDUs on a byte stream (TCP). Reads may split or merge APDUs; a buffer puts them back
/// together.
#[derive(Debug)]
pub struct ApduStream<S> {
    io: S,
    buf: Vec<u8>,
}

impl<S> ApduStream<S> {
    pub fn new(io: S) -> ApduStream<S> {
        ApduStream { io, buf: Vec::new() }
    }
}

#[async_trait]
impl<S: AsyncRead + AsyncWrite + Unpin + Send> Transport for ApduStream<S> {
    async fn send(&mut self, apdu: &Apdu) -> Result<(), ZvtError> {
        self.io.write_all(&apdu.encode()?).await?;
        self.io.flush().await?;
        Ok(())
    }

    async fn recv(&mut self, timeout: Duration) -> Result<Apdu, ZvtError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match Apdu::decode_prefix(&self.buf) {
                Ok((apdu, used)) => {
                    self.buf.drain(..used);
                    return Ok(apdu);
                }
                Err(ZvtError::Truncated { .. }) => {}
                Err(e) => return Err(e),
            }
            let mut chunk = [0u8; 1024];
            let n = tokio::time::timeout_at(deadline, self.io.read(&mut chunk))
                .await
                .map_err(|_| ZvtError::Timeout("APDU"))??;
            if n == 0 {
                return Err(ZvtError::Closed);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn merged_and_split_reads() -> Result<(), ZvtError> {
        let (a, mut b) = tokio::io::duplex(64);
        let mut t = ApduStream::new(a);
        // 80 00 00 and the next APDU in one write, then the rest later [pitfall 1].
        b.write_all(&[0x80, 0x00, 0x00, 0x06, 0x0F]).await?;
        let first = t.recv(Duration::from_secs(1)).await?;
        assert!(first.is_ack());
        let pending = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            b.write_all(&[0x01, 0x00]).await.map(|_| b)
        });
        let second = t.recv(Duration::from_secs(1)).await?;
        assert_eq!((second.class, second.instr, second.data), (0x06, 0x0F, vec![0x00]));
        let peer = pending.await.map_err(|e| ZvtError::Io(e.to_string()))??;
        assert_eq!(t.recv(Duration::from_millis(30)).await, Err(ZvtError::Timeout("APDU")));
        drop(peer);
        assert_eq!(t.recv(Duration::from_millis(30)).await, Err(ZvtError::Closed));
        Ok(())
    }
}
