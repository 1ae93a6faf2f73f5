//! BMP fields [P15 §13, §3.1.1]: a one-byte number and a value whose length is implicit in the
//! number (fixed, LLVAR `Fx Fy`, LLLVAR `Fx Fy Fz`, or a BER length for the TLV container 06).
//! An unknown number stops parsing: nothing after it can be delimited.
//!
//! A field keeps its bytes exactly as read, so a parsed APDU re-serialises to the same bytes;
//! typed accessors read amounts, traces, dates and texts out of it.

use crate::error::ZvtError;

/// How a BMP's length is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Fixed(usize),
    /// `Fx Fy` + that many bytes.
    LlVar,
    /// `Fx Fy Fz` + that many bytes.
    LllVar,
    /// BER length (TLV container, BMP 06).
    Ber,
}

/// The length format of a BMP number, `None` if unknown.
pub fn format(bmp: u8) -> Option<Format> {
    use Format::*;
    Some(match bmp {
        0x01 | 0x02 | 0x03 | 0x05 | 0x19 | 0x27 | 0x8A | 0x8C | 0xA0 | 0xD0 | 0xD2 | 0xD3 | 0xE0 | 0xE9 | 0xEA
        | 0xF0 | 0xF9 | 0xFA | 0xFB | 0xFC | 0xFD => Fixed(1),
        0x04 => Fixed(6),
        0x06 => Ber,
        0x0B | 0x37 | 0x88 => Fixed(3),
        0x0C | 0xAA => Fixed(3),
        0x0D | 0x0E => Fixed(2),
        0x17 | 0x87 | 0x3A | 0x49 => Fixed(2),
        0x29 => Fixed(4),
        0x3D => Fixed(3),
        0x2A => Fixed(15),
        0x3B => Fixed(8),
        0xBA => Fixed(5),
        0xEB => Fixed(8),
        0x22 | 0x23 | 0x2D | 0x8B | 0xA7 | 0xD1 | 0xE1..=0xE8 | 0xF1..=0xF8 => LlVar,
        0x24 | 0x2E | 0x3C | 0x60 | 0x9A | 0xAF => LllVar,
        _ => return None,
    })
}

/// One BMP as it stands on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Field {
    pub bmp: u8,
    /// The length prefix as written (empty for fixed fields).
    pub prefix: Vec<u8>,
    pub value: Vec<u8>,
}

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Card numbers and tracks are never printed whole.
        let shown = match self.bmp {
            0x22 => masked_pan(&self.value),
            0x23 | 0x24 | 0x2D => "<track data>".to_owned(),
            _ => hex::encode_upper(&self.value),
        };
        write!(f, "BMP {:02X}: {shown}", self.bmp)
    }
}

fn var_len(bytes: &[u8], at: usize, digits: usize) -> Result<usize, ZvtError> {
    let mut n = 0;
    for i in 0..digits {
        let b = *bytes.get(at + i).ok_or(ZvtError::Truncated {
            offset: at + i,
            what: "variable length",
        })?;
        if b >> 4 != 0xF || b & 0x0F > 9 {
            return Err(ZvtError::BadVarLength { offset: at + i });
        }
        n = n * 10 + usize::from(b & 0x0F);
    }
    Ok(n)
}

fn ber_len(bytes: &[u8], at: usize) -> Result<(usize, usize), ZvtError> {
    let first = *bytes.get(at).ok_or(ZvtError::Truncated {
        offset: at,
        what: "TLV length",
    })?;
    match first {
        0x00..=0x7F => Ok((usize::from(first), 1)),
        0x81 => Ok((
            usize::from(*bytes.get(at + 1).ok_or(ZvtError::Truncated {
                offset: at + 1,
                what: "TLV length",
            })?),
            2,
        )),
        0x82 => {
            let hi = *bytes.get(at + 1).ok_or(ZvtError::Truncated {
                offset: at + 1,
                what: "TLV length",
            })?;
            let lo = *bytes.get(at + 2).ok_or(ZvtError::Truncated {
                offset: at + 2,
                what: "TLV length",
            })?;
            Ok((usize::from(hi) << 8 | usize::from(lo), 3))
        }
        _ => Err(ZvtError::BadVarLength { offset: at }),
    }
}

/// Parses a run of BMP fields (the data of most APDUs).
pub fn parse_fields(bytes: &[u8]) -> Result<Vec<Field>, ZvtError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let bmp = bytes[at];
        let fmt = format(bmp).ok_or(ZvtError::UnknownBmp { bmp, offset: at })?;
        let (len, plen) = match fmt {
            Format::Fixed(n) => (n, 0),
            Format::LlVar => (var_len(bytes, at + 1, 2)?, 2),
            Format::LllVar => (var_len(bytes, at + 1, 3)?, 3),
            Format::Ber => ber_len(bytes, at + 1)?,
        };
        let start = at + 1 + plen;
        let end = start + len;
        if end > bytes.len() {
            return Err(ZvtError::Truncated {
                offset: bytes.len(),
                what: "BMP value",
            });
        }
        out.push(Field {
            bmp,
            prefix: bytes[at + 1..start].to_vec(),
            value: bytes[start..end].to_vec(),
        });
        at = end;
    }
    Ok(out)
}

pub fn encode_fields(fields: &[Field]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in fields {
        out.push(f.bmp);
        out.extend(&f.prefix);
        out.extend(&f.value);
    }
    out
}

impl Field {
    /// A field with the canonical prefix for its format.
    pub fn new(bmp: u8, value: Vec<u8>) -> Result<Field, ZvtError> {
        let fmt = format(bmp).ok_or(ZvtError::UnknownBmp { bmp, offset: 0 })?;
        let n = value.len();
        let prefix = match fmt {
            Format::Fixed(len) if len == n => Vec::new(),
            Format::Fixed(_) => return Err(ZvtError::TooLarge { what: "fixed BMP" }),
            Format::LlVar if n <= 99 => vec![0xF0 | (n / 10) as u8, 0xF0 | (n % 10) as u8],
            Format::LllVar if n <= 999 => vec![
                0xF0 | (n / 100) as u8,
                0xF0 | (n / 10 % 10) as u8,
                0xF0 | (n % 10) as u8,
            ],
            Format::Ber if n < 0x80 => vec![n as u8],
            Format::Ber if n < 0x100 => vec![0x81, n as u8],
            Format::Ber if n < 0x10000 => vec![0x82, (n >> 8) as u8, n as u8],
            _ => return Err(ZvtError::TooLarge { what: "BMP value" }),
        };
        Ok(Field { bmp, prefix, value })
    }

    pub fn byte(bmp: u8, v: u8) -> Field {
        Field {
            bmp,
            prefix: Vec::new(),
            value: vec![v],
        }
    }

    /// A BCD field of `digits` digits (fixed BMPs: amount, trace, currency…).
    pub fn bcd(bmp: u8, value: u64, digits: usize) -> Result<Field, ZvtError> {
        Field::new(bmp, to_bcd(value, digits)?)
    }

    /// The value as a BCD number.
    pub fn as_bcd(&self) -> Option<u64> {
        from_bcd(&self.value)
    }

    pub fn as_text(&self) -> String {
        self.value.iter().take_while(|b| **b != 0).map(|b| cp437(*b)).collect()
    }
}

/// The value as `digits` BCD digits.
pub fn to_bcd(mut value: u64, digits: usize) -> Result<Vec<u8>, ZvtError> {
    let mut out = vec![0u8; digits.div_ceil(2)];
    for i in (0..out.len()).rev() {
        let lo = (value % 10) as u8;
        value /= 10;
        let hi = (value % 10) as u8;
        value /= 10;
        out[i] = hi << 4 | lo;
    }
    if value != 0 {
        return Err(ZvtError::TooLarge { what: "BCD value" });
    }
    Ok(out)
}

pub fn from_bcd(bytes: &[u8]) -> Option<u64> {
    let mut n: u64 = 0;
    for b in bytes {
        for nib in [b >> 4, b & 0x0F] {
            if nib > 9 {
                return None;
            }
            n = n.checked_mul(10)?.checked_add(u64::from(nib))?;
        }
    }
    Some(n)
}

/// A PAN from BMP 22 (BCD nibbles; `E` = masked digit, `F` = padding) with every digit but
/// the last four masked. The full number never leaves this function.
pub fn masked_pan(bytes: &[u8]) -> String {
    let digits: Vec<char> = bytes
        .iter()
        .flat_map(|b| [b >> 4, b & 0x0F])
        .filter(|n| *n != 0xF)
        .map(|n| if n <= 9 { char::from(b'0' + n) } else { '*' })
        .collect();
    let keep = digits.len().saturating_sub(4);
    digits
        .iter()
        .enumerate()
        .map(|(i, c)| if i < keep { '*' } else { *c })
        .collect()
}

/// Code page 437 for the printable range ZVT texts use (ASCII, plus the German letters).
pub fn cp437(b: u8) -> char {
    match b {
        0x20..=0x7E => char::from(b),
        0x81 => 'ü',
        0x84 => 'ä',
        0x8E => 'Ä',
        0x94 => 'ö',
        0x99 => 'Ö',
        0x9A => 'Ü',
        0xE1 => 'ß',
        0x0A | 0x0D => '\n',
        _ => '?',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcd_both_ways() -> Result<(), ZvtError> {
        assert_eq!(to_bcd(2500, 12)?, vec![0, 0, 0, 0, 0x25, 0x00]);
        assert_eq!(from_bcd(&[0x12, 0x34, 0x56]), Some(123_456));
        assert_eq!(from_bcd(&[0x1A]), None);
        assert!(to_bcd(1_000, 2).is_err());
        Ok(())
    }

    #[test]
    fn fields_with_every_length_form() -> Result<(), ZvtError> {
        // 04 amount, 22 LLVAR PAN, 3C LLLVAR text, 06 TLV.
        let bytes = hex::decode("0400000000250022F0F8EEEEEEEEEEEE47713CF0F1F447454E2E4E522E3A3631313830340603010203")
            .map_err(|e| ZvtError::Hex(e.to_string()))?;
        let fields = parse_fields(&bytes)?;
        assert_eq!(
            fields.iter().map(|f| f.bmp).collect::<Vec<_>>(),
            vec![0x04, 0x22, 0x3C, 0x06]
        );
        assert_eq!(fields[0].as_bcd(), Some(2500));
        assert_eq!(masked_pan(&fields[1].value), "************4771");
        assert_eq!(fields[2].as_text(), "GEN.NR.:611804");
        assert_eq!(encode_fields(&fields), bytes);
        assert!(format!("{:?}", fields[1]).contains("4771") && !format!("{:?}", fields[1]).contains("EEEE"));
        Ok(())
    }

    #[test]
    fn unknown_bmp_stops_with_its_offset() {
        assert_eq!(
            parse_fields(&[0x27, 0x00, 0x99, 0x01]),
            Err(ZvtError::UnknownBmp { bmp: 0x99, offset: 2 })
        );
    }
}
