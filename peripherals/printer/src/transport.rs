//! How bytes reach a printer: a serial port (RS-232 or USB-serial, tokio-serial), the USB
//! printer class (`/dev/usb/lp0`, a character device read and written as a file), a TCP
//! socket (port 9100, "raw" printing), a Windows printer queue in RAW mode (the spooler's
//! `WritePrinter`, how a USB receipt printer is reached on Windows), or a plain file (the last
//! two never answer: status unknown).
//!
//! A [`Link`] is one open connection. It writes, and reads one status byte with a time limit:
//! ESC/POS answers are single bytes (DLE EOT, GS r).

use async_trait::async_trait;
use std::io;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// An open connection to a printer.
#[async_trait]
pub trait Link: Send {
    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// One byte, or `None` if none came within `timeout`. A closed line is an error.
    async fn read_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>>;
    /// Whether the printer can answer at all (a file cannot).
    fn answers(&self) -> bool {
        true
    }
}

/// Any async byte stream: a serial port, a TCP socket, one end of a pseudo-terminal.
pub struct StreamLink<S>(pub S);

impl<S> std::fmt::Debug for StreamLink<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamLink")
    }
}

#[async_trait]
impl<S> Link for StreamLink<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes).await?;
        self.0.flush().await
    }

    async fn read_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>> {
        let mut b = [0u8; 1];
        match tokio::time::timeout(timeout, self.0.read(&mut b)).await {
            Ok(Ok(0)) => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the printer closed the line",
            )),
            Ok(Ok(_)) => Ok(Some(b[0])),
            Ok(Err(e)) => Err(e),
            Err(_) => Ok(None),
        }
    }
}

/// A printer-class character device (`/dev/usb/lp0`), opened non-blocking so a status read
/// that gets no answer can give up instead of blocking the next write forever.
pub struct DeviceFileLink {
    file: std::sync::Arc<std::fs::File>,
}

impl DeviceFileLink {
    pub fn open(path: &std::path::Path) -> io::Result<DeviceFileLink> {
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
        }
        Ok(DeviceFileLink {
            file: std::sync::Arc::new(options.open(path)?),
        })
    }
}

const POLL: Duration = Duration::from_millis(10);
/// How long a write may wait for a busy device to take bytes.
const WRITE_LIMIT: Duration = Duration::from_secs(30);

#[async_trait]
impl Link for DeviceFileLink {
    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let start = tokio::time::Instant::now();
        let mut rest = bytes.to_vec();
        while !rest.is_empty() {
            let file = self.file.clone();
            let chunk = rest.clone();
            let written = tokio::task::spawn_blocking(move || {
                use std::io::Write;
                (&*file).write(&chunk)
            })
            .await
            .map_err(io::Error::other)?;
            match written {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "the device took nothing")),
                Ok(n) => {
                    rest.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::Interrupted => {
                    if start.elapsed() > WRITE_LIMIT {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "the device stopped taking bytes",
                        ));
                    }
                    tokio::time::sleep(POLL).await;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn read_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>> {
        let start = tokio::time::Instant::now();
        loop {
            let file = self.file.clone();
            let read = tokio::task::spawn_blocking(move || {
                use std::io::Read;
                let mut b = [0u8; 1];
                (&*file).read(&mut b).map(|n| (n, b[0]))
            })
            .await
            .map_err(io::Error::other)?;
            match read {
                Ok((1, b)) => return Ok(Some(b)),
                // usblp reads 0 when the printer has nothing to say.
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            if start.elapsed() >= timeout {
                return Ok(None);
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Output to a file (or a spooler's path): appended, never answered.
pub struct FileLink {
    path: PathBuf,
}

#[async_trait]
impl Link for FileLink {
    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut f = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await?;
        f.write_all(bytes).await?;
        f.flush().await
    }

    async fn read_byte(&mut self, _timeout: Duration) -> io::Result<Option<u8>> {
        Ok(None)
    }

    fn answers(&self) -> bool {
        false
    }
}

/// A Windows printer queue: each write is one RAW job (`OpenPrinter`, `StartDocPrinter` with
/// datatype RAW, `WritePrinter`), so the spooler passes the ESC/POS bytes through untouched.
/// Elsewhere the queue cannot be opened: CUPS queues are reached as USB devices or by TCP.
pub struct QueueLink {
    name: String,
}

#[async_trait]
impl Link for QueueLink {
    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let name = self.name.clone();
        let job = bytes.to_vec();
        tokio::task::spawn_blocking(move || spool(&name, &job))
            .await
            .map_err(io::Error::other)?
    }

    async fn read_byte(&mut self, _timeout: Duration) -> io::Result<Option<u8>> {
        Ok(None)
    }

    fn answers(&self) -> bool {
        false
    }
}

#[cfg(windows)]
fn spool(name: &str, job: &[u8]) -> io::Result<()> {
    let written = raw_printer::write_to_device(name, job, Some("OpenTill receipt"))?;
    if written == job.len() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::WriteZero,
            format!("the spooler took {written} of {} bytes", job.len()),
        ))
    }
}

#[cfg(not(windows))]
fn spool(name: &str, _job: &[u8]) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        format!("printer queue {name:?}: printer queues are Windows only; use a USB device or a TCP address"),
    ))
}

/// Serial flow control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowControl {
    #[default]
    None,
    /// XON/XOFF.
    Software,
    /// RTS/CTS.
    Hardware,
}

/// Where the printer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    Serial {
        path: PathBuf,
        baud: u32,
        flow: FlowControl,
    },
    Usb {
        path: PathBuf,
    },
    Tcp {
        addr: String,
    },
    File {
        path: PathBuf,
    },
    Queue {
        name: String,
    },
}

impl Connection {
    /// Opens it; `connect_timeout` bounds a TCP connect.
    pub async fn open(&self, connect_timeout: Duration) -> io::Result<Box<dyn Link>> {
        match self {
            Connection::Serial { path, baud, flow } => {
                use tokio_serial::SerialPortBuilderExt;
                let flow = match flow {
                    FlowControl::None => tokio_serial::FlowControl::None,
                    FlowControl::Software => tokio_serial::FlowControl::Software,
                    FlowControl::Hardware => tokio_serial::FlowControl::Hardware,
                };
                let port = tokio_serial::new(path.to_string_lossy(), *baud)
                    .data_bits(tokio_serial::DataBits::Eight)
                    .parity(tokio_serial::Parity::None)
                    .stop_bits(tokio_serial::StopBits::One)
                    .flow_control(flow)
                    .open_native_async()
                    .map_err(io::Error::other)?;
                Ok(Box::new(StreamLink(port)))
            }
            Connection::Usb { path } => Ok(Box::new(DeviceFileLink::open(path)?)),
            Connection::Tcp { addr } => {
                let stream = tokio::time::timeout(connect_timeout, tokio::net::TcpStream::connect(addr))
                    .await
                    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, format!("{addr}: no answer")))??;
                stream.set_nodelay(true)?;
                Ok(Box::new(StreamLink(stream)))
            }
            Connection::File { path } => Ok(Box::new(FileLink { path: path.clone() })),
            Connection::Queue { name } => Ok(Box::new(QueueLink { name: name.clone() })),
        }
    }

    /// Seconds the bytes take on the line (serial only: 10 bits a byte).
    pub fn transfer_time(&self, bytes: usize) -> Duration {
        match self {
            Connection::Serial { baud, .. } => Duration::from_secs_f64(bytes as f64 * 10.0 / f64::from((*baud).max(1))),
            _ => Duration::ZERO,
        }
    }

    /// For messages: the port, device or address.
    pub fn describe(&self) -> String {
        match self {
            Connection::Serial { path, baud, .. } => format!("serial {} at {baud} baud", path.display()),
            Connection::Usb { path } => format!("USB {}", path.display()),
            Connection::Tcp { addr } => format!("TCP {addr}"),
            Connection::File { path } => format!("file {}", path.display()),
            Connection::Queue { name } => format!("printer queue {name}"),
        }
    }
}
