//! The RS-232 link layer [P16 §3]: each APDU travels as `DLE STX <APDU, DLE doubled> DLE ETX
//! CRC-lo CRC-hi`, the CRC being CRC-16/KERMIT over the unstuffed APDU and `ETX`. The receiver
//! answers every frame with a bare `ACK` (good) or `NAK` (bad); the sender repeats on NAK or
//! when no ACK comes within T2, at most twice. T1 bounds the gap between bytes of one frame.
//!
//! Two robustness rules beyond the letter of the spec, both for lines that lose bytes:
//! - a frame that starts arriving while we wait for our ACK means the other side got our frame
//!   (its ACK was lost): we take it as the ACK instead of repeating, so a command is never sent
//!   twice because an ACK went missing;
//! - a frame identical to the one just received and acknowledged, with nothing sent by us in
//!   between, is a repeat (our ACK was lost): it is acknowledged again and dropped, so a message
//!   is never acted on twice. (Identical frames after we have sent something — `80 00 00` after
//!   each PT message — are new messages.)

use async_trait::async_trait;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

use crate::apdu::Apdu;
use crate::error::ZvtError;
use crate::transport::Transport;

pub const DLE: u8 = 0x10;
pub const STX: u8 = 0x02;
pub const ETX: u8 = 0x03;
pub const ACK: u8 = 0x06;
pub const NAK: u8 = 0x15;

/// CRC-16/KERMIT (reflected 0x1021, init 0) over the APDU and ETX, as ZVT uses it.
pub fn crc(apdu: &[u8]) -> u16 {
    let mut c = 0u16;
    for &b in apdu.iter().chain(&[ETX]) {
        c ^= u16::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 { (c >> 1) ^ 0x8408 } else { c >> 1 };
        }
    }
    c
}

/// The frame of one APDU's bytes.
pub fn frame(apdu: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(apdu.len() + 8);
    out.extend([DLE, STX]);
    for &b in apdu {
        out.push(b);
        if b == DLE {
            out.push(DLE);
        }
    }
    out.extend([DLE, ETX]);
    let c = crc(apdu);
    out.extend([c as u8, (c >> 8) as u8]);
    out
}

/// Reads one frame's APDU bytes from a complete frame (for decoders and tests).
pub fn unframe(bytes: &[u8]) -> Result<Vec<u8>, ZvtError> {
    if bytes.len() < 6 || bytes[0] != DLE || bytes[1] != STX {
        return Err(ZvtError::Frame("no DLE STX"));
    }
    let mut apdu = Vec::new();
    let mut i = 2;
    loop {
        match (bytes.get(i), bytes.get(i + 1)) {
            (Some(&DLE), Some(&DLE)) => {
                apdu.push(DLE);
                i += 2;
            }
            (Some(&DLE), Some(&ETX)) => {
                i += 2;
                break;
            }
            (Some(&DLE), _) => return Err(ZvtError::Frame("lone DLE")),
            (Some(&b), _) => {
                apdu.push(b);
                i += 1;
            }
            (None, _) => return Err(ZvtError::Frame("no DLE ETX")),
        }
    }
    let got = match (bytes.get(i), bytes.get(i + 1)) {
        (Some(&lo), Some(&hi)) => u16::from(lo) | u16::from(hi) << 8,
        _ => return Err(ZvtError::Frame("no CRC")),
    };
    if got != crc(&apdu) {
        return Err(ZvtError::Frame("CRC mismatch"));
    }
    Ok(apdu)
}

/// The link layer's timings [P16 §3.2–3.5]; tests shorten them.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    /// Largest gap between two bytes of a frame.
    pub t1: Duration,
    /// How long to wait for ACK/NAK after sending a frame.
    pub t2: Duration,
    /// Repeats after the first send.
    pub repeats: u32,
}

impl Default for Timings {
    fn default() -> Timings {
        Timings {
            t1: Duration::from_millis(200),
            t2: Duration::from_secs(5),
            repeats: 2,
        }
    }
}

/// APDUs over a serial line (or a pseudo-terminal).
#[derive(Debug)]
pub struct SerialLink<S> {
    io: S,
    timings: Timings,
    /// Bytes read but not yet used.
    pending: Vec<u8>,
    /// The last frame received and acknowledged, to drop repeats of it; cleared when we send.
    last_received: Option<(Vec<u8>, Instant)>,
}

enum Read {
    Frame(Vec<u8>),
    Bad,
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> SerialLink<S> {
    pub fn new(io: S, timings: Timings) -> SerialLink<S> {
        SerialLink {
            io,
            timings,
            pending: Vec::new(),
            last_received: None,
        }
    }

    async fn byte(&mut self, deadline: Instant) -> Result<u8, ZvtError> {
        if !self.pending.is_empty() {
            return Ok(self.pending.remove(0));
        }
        let mut b = [0u8; 256];
        let n = tokio::time::timeout_at(deadline, self.io.read(&mut b))
            .await
            .map_err(|_| ZvtError::Timeout("byte"))??;
        if n == 0 {
            return Err(ZvtError::Closed);
        }
        self.pending.extend_from_slice(&b[1..n]);
        Ok(b[0])
    }

    /// Reads the rest of a frame after DLE STX; `Bad` for a broken frame (T1 gap, CRC).
    async fn rest_of_frame(&mut self) -> Result<Read, ZvtError> {
        let mut raw = vec![DLE, STX];
        loop {
            let b = match self.byte(Instant::now() + self.timings.t1).await {
                Ok(b) => b,
                Err(ZvtError::Timeout(_)) => return Ok(Read::Bad),
                Err(e) => return Err(e),
            };
            raw.push(b);
            let n = raw.len();
            if n >= 4 && raw[n - 2] == DLE && raw[n - 1] == ETX && trailing_dles(&raw[..n - 1]) % 2 == 1 {
                for _ in 0..2 {
                    match self.byte(Instant::now() + self.timings.t1).await {
                        Ok(b) => raw.push(b),
                        Err(ZvtError::Timeout(_)) => return Ok(Read::Bad),
                        Err(e) => return Err(e),
                    }
                }
                return Ok(match unframe(&raw) {
                    Ok(apdu) => Read::Frame(apdu),
                    Err(_) => Read::Bad,
                });
            }
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), ZvtError> {
        self.io.write_all(bytes).await?;
        self.io.flush().await?;
        Ok(())
    }
}

/// How many DLEs end `bytes` (an odd count before ETX means a real DLE ETX).
fn trailing_dles(bytes: &[u8]) -> usize {
    bytes.iter().rev().take_while(|b| **b == DLE).count()
}

#[async_trait]
impl<S: AsyncRead + AsyncWrite + Unpin + Send> Transport for SerialLink<S> {
    async fn send(&mut self, apdu: &Apdu) -> Result<(), ZvtError> {
        let bytes = frame(&apdu.encode()?);
        self.last_received = None;
        for _attempt in 0..=self.timings.repeats {
            self.write(&bytes).await?;
            let deadline = Instant::now() + self.timings.t2;
            loop {
                match self.byte(deadline).await {
                    Ok(ACK) => return Ok(()),
                    Ok(NAK) | Err(ZvtError::Timeout(_)) => break,
                    Ok(DLE) => {
                        // The other side is already answering: our frame arrived, its ACK did not.
                        self.pending.insert(0, DLE);
                        return Ok(());
                    }
                    Ok(_) => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        Err(ZvtError::Transmission)
    }

    async fn recv(&mut self, timeout: Duration) -> Result<Apdu, ZvtError> {
        let deadline = Instant::now() + timeout;
        loop {
            let b = self.byte(deadline).await?;
            if b != DLE {
                continue; // stray ACK/NAK or noise between frames
            }
            match self.byte(Instant::now() + self.timings.t1).await {
                Ok(STX) => {}
                Ok(_) | Err(ZvtError::Timeout(_)) => continue,
                Err(e) => return Err(e),
            }
            match self.rest_of_frame().await? {
                Read::Bad => {
                    self.write(&[NAK]).await?;
                }
                Read::Frame(apdu) => {
                    self.write(&[ACK]).await?;
                    let repeat = self
                        .last_received
                        .as_ref()
                        .is_some_and(|(last, at)| *last == apdu && at.elapsed() < self.timings.t2 * 3);
                    self.last_received = Some((apdu.clone(), Instant::now()));
                    if repeat {
                        continue;
                    }
                    return Apdu::decode(&apdu);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_is_kermit_and_frames_match_the_reference() {
        let mut c = 0u16;
        for &b in b"123456789" {
            c ^= u16::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 { (c >> 1) ^ 0x8408 } else { c >> 1 };
            }
        }
        assert_eq!(c, 0x2189, "CRC-16/KERMIT check value");
        // Reference frames from the primer (MF tests/data_encoding.py).
        assert_eq!(
            frame(&[0x80, 0x00, 0x00]),
            vec![0x10, 0x02, 0x80, 0x00, 0x00, 0x10, 0x03, 0xF5, 0x1F]
        );
        assert_eq!(
            frame(&[0x05, 0x01, 0x03, 0x12, 0x34, 0x56]),
            vec![0x10, 0x02, 0x05, 0x01, 0x03, 0x12, 0x34, 0x56, 0x10, 0x03, 0xE0, 0x43]
        );
        let amount = [
            0x06, 0x01, 0x0A, 0x04, 0x00, 0x00, 0x00, 0x01, 0x10, 0x00, 0x49, 0x09, 0x78,
        ];
        let f = frame(&amount);
        assert_eq!(
            f,
            vec![
                0x10, 0x02, 0x06, 0x01, 0x0A, 0x04, 0x00, 0x00, 0x00, 0x01, 0x10, 0x10, 0x00, 0x49, 0x09, 0x78, 0x10,
                0x03, 0xF2, 0xFF
            ]
        );
        assert_eq!(unframe(&f).ok(), Some(amount.to_vec()), "DLE doubling undone");
    }

    #[tokio::test]
    async fn ack_nak_and_repeat() -> Result<(), ZvtError> {
        let (a, b) = tokio::io::duplex(256);
        let t = Timings {
            t1: Duration::from_millis(50),
            t2: Duration::from_millis(100),
            repeats: 2,
        };
        let mut ecr = SerialLink::new(a, t);
        let mut pt = b;
        let sender = tokio::spawn(async move { ecr.send(&Apdu::new(0x05, 0x01, vec![])).await.map(|_| ecr) });
        // First copy: NAK it; the sender repeats.
        let mut buf = [0u8; 64];
        let n = pt.read(&mut buf).await?;
        assert_eq!(unframe(&buf[..n])?, vec![0x05, 0x01, 0x00]);
        pt.write_all(&[NAK]).await?;
        let n = pt.read(&mut buf).await?;
        assert_eq!(unframe(&buf[..n])?, vec![0x05, 0x01, 0x00], "repeated after NAK");
        pt.write_all(&[ACK]).await?;
        let ecr = sender.await.map_err(|e| ZvtError::Io(e.to_string()))??;
        drop(ecr);
        Ok(())
    }

    #[tokio::test]
    async fn corrupted_crc_is_naked_and_the_repeat_accepted() -> Result<(), ZvtError> {
        let (a, mut b) = tokio::io::duplex(256);
        let mut link = SerialLink::new(
            a,
            Timings {
                t1: Duration::from_millis(50),
                t2: Duration::from_millis(100),
                repeats: 2,
            },
        );
        let mut bad = frame(&[0x80, 0x00, 0x00]);
        let last = bad.len() - 1;
        bad[last] ^= 0xFF;
        b.write_all(&bad).await?;
        b.write_all(&frame(&[0x80, 0x00, 0x00])).await?;
        let got = link.recv(Duration::from_secs(1)).await?;
        assert!(got.is_ack());
        let mut answers = [0u8; 2];
        b.read_exact(&mut answers).await?;
        assert_eq!(answers, [NAK, ACK]);
        Ok(())
    }
}
