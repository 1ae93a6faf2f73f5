//! Serial scanners (RS-232, or USB in CDC/virtual COM mode): they send what they read followed
//! by a line end (CR, LF or CR LF, by their suffix setting). Generic over the byte stream, so
//! tests drive it through a pseudo-terminal exactly as a real port.

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::error::ScanError;
use crate::scanner::CodeSource;

/// The longest line kept: longer than any payment code or EMVCo payload (512 characters of up to
/// 4 bytes). Past it, the line is garbage (wrong baud rate, no suffix) and is dropped.
pub const MAX_LINE: usize = 2048;

/// A serial scanner over any byte stream.
#[derive(Debug)]
pub struct SerialScanner<R> {
    port: R,
    /// The device path, for errors.
    name: String,
    /// Bytes of the line being received.
    line: Vec<u8>,
    /// Lines complete but not handed out yet (a read can bring several).
    ready: std::collections::VecDeque<String>,
    /// True while skipping the rest of an overlong line.
    skipping: bool,
}

impl<R: AsyncRead + Unpin + Send> SerialScanner<R> {
    /// A scanner reading from `port`.
    pub fn new(port: R) -> SerialScanner<R> {
        SerialScanner {
            port,
            name: "serial line".to_owned(),
            line: Vec::new(),
            ready: std::collections::VecDeque::new(),
            skipping: false,
        }
    }

    /// Takes bytes; returns an error for a line that overflowed (once per such line).
    fn take(&mut self, bytes: &[u8]) -> Result<(), ScanError> {
        let mut overflow = None;
        for &byte in bytes {
            match byte {
                b'\r' | b'\n' => {
                    if !self.skipping && !self.line.is_empty() {
                        // Scanners send ASCII (or UTF-8 when set to); anything else is shown
                        // as U+FFFD rather than refused, so the cashier sees what arrived.
                        self.ready.push_back(String::from_utf8_lossy(&self.line).into_owned());
                    }
                    self.line.clear();
                    self.skipping = false;
                }
                _ if self.skipping => {}
                _ if self.line.len() >= MAX_LINE => {
                    overflow = Some(self.line.len());
                    self.line.clear();
                    self.skipping = true;
                }
                _ => self.line.push(byte),
            }
        }
        match overflow {
            Some(len) => Err(ScanError::LineTooLong { len }),
            None => Ok(()),
        }
    }
}

impl SerialScanner<tokio_serial::SerialStream> {
    /// Opens a serial port (8N1 at `baud`, the factory setting of most scanners is 9600).
    ///
    /// # Errors
    /// [`ScanError::Serial`] when the port cannot be opened.
    pub fn open(path: &str, baud: u32) -> Result<SerialScanner<tokio_serial::SerialStream>, ScanError> {
        use tokio_serial::SerialPortBuilderExt;
        let port = tokio_serial::new(path, baud)
            .open_native_async()
            .map_err(|e| ScanError::Serial {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(SerialScanner {
            name: path.to_owned(),
            ..SerialScanner::new(port)
        })
    }
}

#[async_trait::async_trait]
impl<R: AsyncRead + Unpin + Send> CodeSource for SerialScanner<R> {
    async fn next_text(&mut self) -> Result<String, ScanError> {
        let mut buffer = [0u8; 256];
        loop {
            if let Some(line) = self.ready.pop_front() {
                return Ok(line);
            }
            let read = self.port.read(&mut buffer).await.map_err(|e| ScanError::Serial {
                path: self.name.clone(),
                reason: e.to_string(),
            })?;
            if read == 0 {
                return Err(ScanError::Ended("the serial line was closed"));
            }
            self.take(&buffer[..read])?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_in_any_ending_and_split_reads() -> Result<(), ScanError> {
        let bytes: &[u8] = b"2812345678901234\r\n\n62123456789012345671\r134567";
        let mut scanner = SerialScanner::new(bytes);
        assert_eq!(scanner.next_text().await?, "2812345678901234");
        assert_eq!(scanner.next_text().await?, "62123456789012345671");
        // The last line never ends: the stream closes first.
        assert!(matches!(scanner.next_text().await, Err(ScanError::Ended(_))));
        Ok(())
    }

    #[tokio::test]
    async fn an_endless_line_is_dropped_and_reported_once() -> Result<(), ScanError> {
        let mut bytes = vec![b'9'; MAX_LINE + 500];
        bytes.extend_from_slice(b"\r\n281234567890123456\r\n");
        let mut scanner = SerialScanner::new(bytes.as_slice());
        assert!(matches!(scanner.next_text().await, Err(ScanError::LineTooLong { .. })));
        assert_eq!(
            scanner.next_text().await?,
            "281234567890123456",
            "the next line is read"
        );
        Ok(())
    }
}
