//! ZVT APDUs [P16 §5.2]: `CLASS INSTR LEN DATA`. LEN counts the data only: one byte 00–FE, or
//! `FF lo hi` (little-endian) up to 65535. Either form may be used for short data, so the form
//! read is kept and written back: a parsed APDU re-serialises byte for byte.

use crate::error::ZvtError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Apdu {
    pub class: u8,
    pub instr: u8,
    pub data: Vec<u8>,
    /// Written with the 3-byte `FF lo hi` length even though it may fit in one byte.
    pub extended: bool,
}

impl Apdu {
    pub fn new(class: u8, instr: u8, data: Vec<u8>) -> Apdu {
        let extended = data.len() > 0xFE;
        Apdu {
            class,
            instr,
            data,
            extended,
        }
    }

    /// `80 00 00`: the positive acknowledgement.
    pub fn ack() -> Apdu {
        Apdu::new(0x80, 0x00, Vec::new())
    }

    /// `84 rc 00`: a negative answer with a result code.
    pub fn nack(code: u8) -> Apdu {
        Apdu::new(0x84, code, Vec::new())
    }

    pub fn command(&self) -> (u8, u8) {
        (self.class, self.instr)
    }

    pub fn is_ack(&self) -> bool {
        self.class == 0x80 || (self.class == 0x84 && self.instr == 0x00)
    }

    pub fn encode(&self) -> Result<Vec<u8>, ZvtError> {
        let len = self.data.len();
        if len > 0xFFFF {
            return Err(ZvtError::TooLarge { what: "APDU data" });
        }
        let mut out = Vec::with_capacity(len + 5);
        out.extend([self.class, self.instr]);
        if self.extended || len > 0xFE {
            out.extend([0xFF, (len & 0xFF) as u8, (len >> 8) as u8]);
        } else {
            out.push(len as u8);
        }
        out.extend(&self.data);
        Ok(out)
    }

    /// Reads one APDU from the front of `bytes`; returns it and the bytes it took. A stream
    /// may hold several APDUs back to back (and a partial one at the end).
    pub fn decode_prefix(bytes: &[u8]) -> Result<(Apdu, usize), ZvtError> {
        if bytes.len() < 3 {
            return Err(ZvtError::Truncated {
                offset: bytes.len(),
                what: "APDU header",
            });
        }
        let (class, instr) = (bytes[0], bytes[1]);
        let (len, start, extended) = if bytes[2] == 0xFF {
            if bytes.len() < 5 {
                return Err(ZvtError::Truncated {
                    offset: bytes.len(),
                    what: "extended length",
                });
            }
            (usize::from(bytes[3]) | usize::from(bytes[4]) << 8, 5, true)
        } else {
            (usize::from(bytes[2]), 3, false)
        };
        let end = start + len;
        if bytes.len() < end {
            return Err(ZvtError::Truncated {
                offset: bytes.len(),
                what: "APDU data",
            });
        }
        Ok((
            Apdu {
                class,
                instr,
                data: bytes[start..end].to_vec(),
                extended,
            },
            end,
        ))
    }

    /// The header alone: (class, instr, data length, header length). For logs and for streams
    /// whose data has not all arrived.
    pub fn header(bytes: &[u8]) -> Result<(u8, u8, usize, usize), ZvtError> {
        match bytes {
            [c, i, 0xFF, lo, hi, ..] => Ok((*c, *i, usize::from(*lo) | usize::from(*hi) << 8, 5)),
            [_, _, 0xFF, ..] => Err(ZvtError::Truncated {
                offset: bytes.len(),
                what: "extended length",
            }),
            [c, i, len, ..] => Ok((*c, *i, usize::from(*len), 3)),
            _ => Err(ZvtError::Truncated {
                offset: bytes.len(),
                what: "APDU header",
            }),
        }
    }

    /// Exactly one APDU, nothing after it.
    pub fn decode(bytes: &[u8]) -> Result<Apdu, ZvtError> {
        let (apdu, used) = Apdu::decode_prefix(bytes)?;
        if used != bytes.len() {
            return Err(ZvtError::Unexpected(format!(
                "{} bytes after the APDU",
                bytes.len() - used
            )));
        }
        Ok(apdu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_extended_lengths_round_trip() -> Result<(), ZvtError> {
        let short = [0x06, 0x0F, 0x01, 0x00];
        let a = Apdu::decode(&short)?;
        assert_eq!((a.class, a.instr, a.data.as_slice()), (0x06, 0x0F, &[0x00][..]));
        assert_eq!(a.encode()?, short);
        // FF 01 00 for a single data byte: kept as written [L25].
        let ext = [0x04, 0x0F, 0xFF, 0x01, 0x00, 0x6C];
        let b = Apdu::decode(&ext)?;
        assert!(b.extended);
        assert_eq!(b.data, vec![0x6C]);
        assert_eq!(b.encode()?, ext);
        let big = Apdu::new(0x06, 0xD3, vec![0; 1121]);
        let bytes = big.encode()?;
        assert_eq!(&bytes[..5], &[0x06, 0xD3, 0xFF, 0x61, 0x04], "little-endian length");
        Ok(())
    }

    #[test]
    fn streams_split_into_apdus() -> Result<(), ZvtError> {
        let stream = [0x80, 0x00, 0x00, 0x06, 0x0F, 0x00, 0x01];
        let (first, used) = Apdu::decode_prefix(&stream)?;
        assert!(first.is_ack());
        let (second, used2) = Apdu::decode_prefix(&stream[used..])?;
        assert_eq!(second.command(), (0x06, 0x0F));
        assert!(
            Apdu::decode_prefix(&stream[used + used2..]).is_err(),
            "a partial APDU is not one"
        );
        Ok(())
    }
}
