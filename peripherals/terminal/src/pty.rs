//! A pseudo-terminal for the simulator: it keeps the master side, a driver opens the slave path
//! with tokio-serial exactly as it would open a real serial port. The slave is set raw (no echo,
//! no line editing, no CR/LF translation) so bytes pass unchanged.

use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The master side of a pseudo-terminal pair, readable and writable without blocking.
#[derive(Debug)]
pub struct PtyMaster {
    fd: AsyncFd<OwnedFd>,
    /// Held open so the line never hangs up when a driver closes and reopens the slave.
    _slave: OwnedFd,
    path: PathBuf,
}

fn io(e: nix::Error) -> std::io::Error {
    std::io::Error::from(e)
}

impl PtyMaster {
    /// Opens a new pair; `path()` is the device a driver opens.
    pub fn open() -> std::io::Result<PtyMaster> {
        use nix::fcntl::{FcntlArg, OFlag, fcntl};
        use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};
        let pair = nix::pty::openpty(None, None).map_err(io)?;
        let mut attrs = tcgetattr(pair.slave.as_fd()).map_err(io)?;
        cfmakeraw(&mut attrs);
        tcsetattr(pair.slave.as_fd(), SetArg::TCSANOW, &attrs).map_err(io)?;
        let path = nix::unistd::ttyname(pair.slave.as_fd()).map_err(io)?;
        let flags = OFlag::from_bits_truncate(fcntl(pair.master.as_fd(), FcntlArg::F_GETFL).map_err(io)?);
        fcntl(pair.master.as_fd(), FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK)).map_err(io)?;
        // The AsyncFd owns the OwnedFd for its whole life, so the fd can be neither closed nor
        // reused while registered — the case `register` (unsafe, and forbidden here) guards.
        #[allow(deprecated)]
        let fd = AsyncFd::new(pair.master)?;
        Ok(PtyMaster {
            fd,
            _slave: pair.slave,
            path,
        })
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl AsyncRead for PtyMaster {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        loop {
            let mut guard = ready!(self.fd.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            match guard.try_io(|inner| nix::unistd::read(inner.get_ref(), unfilled).map_err(io)) {
                Ok(Ok(n)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for PtyMaster {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        loop {
            let mut guard = ready!(self.fd.poll_write_ready(cx))?;
            match guard.try_io(|inner| nix::unistd::write(inner.get_ref(), data).map_err(io)) {
                Ok(result) => return Poll::Ready(result),
                Err(_would_block) => continue,
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
