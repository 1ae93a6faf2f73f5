//! Typed ZVT packets [P15 ch. 2–3], parsed from and written to APDUs. Packets whose data is a
//! run of BMPs keep the fields as read (order and length forms), so parse → write gives back
//! the same bytes; accessors give the typed values the driver and simulator use.

use crate::apdu::Apdu;
use crate::bmp::{self, Field};
use crate::error::ZvtError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// 06 00: `<password 3 BCD> <config byte> [<currency 2 BCD> [03 service] [06 TLV]]` — the
    /// currency here has no BMP number in front [P15 §2.1].
    Registration {
        password: u32,
        config: u8,
        currency: Option<u16>,
        fields: Vec<Field>,
    },
    /// 06 01: amount and options as BMPs.
    Authorization { fields: Vec<Field> },
    /// 06 30: `<password> 87 <receipt no>` + options.
    Reversal { password: u32, fields: Vec<Field> },
    /// 06 31: `<password>` + amount and options.
    Refund { password: u32, fields: Vec<Field> },
    /// 06 50: `<password> [06 TLV]`.
    EndOfDay { password: u32, fields: Vec<Field> },
    /// 06 20: `<password> [03 service]`.
    RepeatReceipt { password: u32, fields: Vec<Field> },
    /// 06 B0: abort the running command.
    Abort { fields: Vec<Field> },
    /// 06 02: log off.
    LogOff,
    /// 05 01: `[<password> [03 service] [06 TLV]]`.
    StatusEnquiry { password: Option<u32>, fields: Vec<Field> },
    /// 04 FF: `<status> [<timeout>] [06 TLV]`.
    IntermediateStatus { status: u8, rest: Vec<u8> },
    /// 04 0F: the result of a transaction (or end-of-day totals), as BMPs.
    StatusInformation { fields: Vec<Field> },
    /// 06 D1: one line to print, `<attribute> <text>`.
    PrintLine { attribute: u8, text: Vec<u8> },
    /// 06 D3: a text block in a TLV container.
    PrintTextBlock { data: Vec<u8> },
    /// 06 0F: the end of a sequence; data varies by command (status byte + TID + currency
    /// after registration, software version + terminal status after 05 01, a result code…).
    Completion { data: Vec<u8> },
    /// 06 1E: the PT ended the sequence with an error `<result code>` [+ data].
    PtAbort { code: u8, rest: Vec<u8> },
    /// 80 00 [+ data]: positive acknowledgement.
    Ack { data: Vec<u8> },
    /// 84 xx: negative acknowledgement with a result code (84 00 is positive).
    Nack { code: u8, data: Vec<u8> },
    /// Anything else (vendor commands, commands we do not model): kept as is.
    Other(Apdu),
}

fn password(data: &[u8]) -> Result<u32, ZvtError> {
    let bytes = data.get(..3).ok_or(ZvtError::Truncated {
        offset: data.len(),
        what: "password",
    })?;
    bmp::from_bcd(bytes)
        .map(|p| p as u32)
        .ok_or(ZvtError::NotBcd { offset: 0 })
}

fn pw_bytes(pw: u32) -> Vec<u8> {
    bmp::to_bcd(u64::from(pw % 1_000_000), 6).unwrap_or_else(|_| vec![0; 3])
}

impl Packet {
    pub fn from_apdu(a: &Apdu) -> Result<Packet, ZvtError> {
        let d = &a.data;
        Ok(match (a.class, a.instr) {
            (0x06, 0x00) => {
                let config = *d.get(3).ok_or(ZvtError::Truncated {
                    offset: 3,
                    what: "config byte",
                })?;
                let (currency, rest) = match d.get(4..6) {
                    Some(cc) => (
                        Some(bmp::from_bcd(cc).ok_or(ZvtError::NotBcd { offset: 4 })? as u16),
                        &d[6..],
                    ),
                    None if d.len() == 4 => (None, &d[4..]),
                    None => {
                        return Err(ZvtError::Truncated {
                            offset: d.len(),
                            what: "currency",
                        });
                    }
                };
                Packet::Registration {
                    password: password(d)?,
                    config,
                    currency,
                    fields: bmp::parse_fields(rest)?,
                }
            }
            (0x06, 0x01) => Packet::Authorization {
                fields: bmp::parse_fields(d)?,
            },
            (0x06, 0x30) => Packet::Reversal {
                password: password(d)?,
                fields: bmp::parse_fields(&d[3..])?,
            },
            (0x06, 0x31) => Packet::Refund {
                password: password(d)?,
                fields: bmp::parse_fields(&d[3..])?,
            },
            (0x06, 0x50) => Packet::EndOfDay {
                password: password(d)?,
                fields: bmp::parse_fields(&d[3..])?,
            },
            (0x06, 0x20) => Packet::RepeatReceipt {
                password: password(d)?,
                fields: bmp::parse_fields(&d[3..])?,
            },
            (0x06, 0xB0) => Packet::Abort {
                fields: bmp::parse_fields(d)?,
            },
            (0x06, 0x02) if d.is_empty() => Packet::LogOff,
            (0x05, 0x01) if d.is_empty() => Packet::StatusEnquiry {
                password: None,
                fields: Vec::new(),
            },
            (0x05, 0x01) => Packet::StatusEnquiry {
                password: Some(password(d)?),
                fields: bmp::parse_fields(&d[3..])?,
            },
            (0x04, 0xFF) => {
                let (status, rest) = d.split_first().ok_or(ZvtError::Truncated {
                    offset: 0,
                    what: "intermediate status",
                })?;
                Packet::IntermediateStatus {
                    status: *status,
                    rest: rest.to_vec(),
                }
            }
            (0x04, 0x0F) => Packet::StatusInformation {
                fields: bmp::parse_fields(d)?,
            },
            (0x06, 0xD1) => {
                let (attribute, text) = d.split_first().ok_or(ZvtError::Truncated {
                    offset: 0,
                    what: "print line",
                })?;
                Packet::PrintLine {
                    attribute: *attribute,
                    text: text.to_vec(),
                }
            }
            (0x06, 0xD3) => Packet::PrintTextBlock { data: d.clone() },
            (0x06, 0x0F) => Packet::Completion { data: d.clone() },
            (0x06, 0x1E) => {
                let (code, rest) = d.split_first().ok_or(ZvtError::Truncated {
                    offset: 0,
                    what: "abort code",
                })?;
                Packet::PtAbort {
                    code: *code,
                    rest: rest.to_vec(),
                }
            }
            (0x80, 0x00) => Packet::Ack { data: d.clone() },
            (0x84, code) => Packet::Nack { code, data: d.clone() },
            _ => Packet::Other(a.clone()),
        })
    }

    pub fn to_apdu(&self) -> Apdu {
        let with_pw = |pw: u32, fields: &[Field]| {
            let mut d = pw_bytes(pw);
            d.extend(bmp::encode_fields(fields));
            d
        };
        match self {
            Packet::Registration {
                password,
                config,
                currency,
                fields,
            } => {
                let mut d = pw_bytes(*password);
                d.push(*config);
                if let Some(cc) = currency {
                    d.extend(bmp::to_bcd(u64::from(*cc), 4).unwrap_or_else(|_| vec![0, 0]));
                }
                d.extend(bmp::encode_fields(fields));
                Apdu::new(0x06, 0x00, d)
            }
            Packet::Authorization { fields } => Apdu::new(0x06, 0x01, bmp::encode_fields(fields)),
            Packet::Reversal { password, fields } => Apdu::new(0x06, 0x30, with_pw(*password, fields)),
            Packet::Refund { password, fields } => Apdu::new(0x06, 0x31, with_pw(*password, fields)),
            Packet::EndOfDay { password, fields } => Apdu::new(0x06, 0x50, with_pw(*password, fields)),
            Packet::RepeatReceipt { password, fields } => Apdu::new(0x06, 0x20, with_pw(*password, fields)),
            Packet::Abort { fields } => Apdu::new(0x06, 0xB0, bmp::encode_fields(fields)),
            Packet::LogOff => Apdu::new(0x06, 0x02, Vec::new()),
            Packet::StatusEnquiry { password: None, .. } => Apdu::new(0x05, 0x01, Vec::new()),
            Packet::StatusEnquiry {
                password: Some(pw),
                fields,
            } => Apdu::new(0x05, 0x01, with_pw(*pw, fields)),
            Packet::IntermediateStatus { status, rest } => {
                let mut d = vec![*status];
                d.extend(rest);
                Apdu::new(0x04, 0xFF, d)
            }
            Packet::StatusInformation { fields } => Apdu::new(0x04, 0x0F, bmp::encode_fields(fields)),
            Packet::PrintLine { attribute, text } => {
                let mut d = vec![*attribute];
                d.extend(text);
                Apdu::new(0x06, 0xD1, d)
            }
            Packet::PrintTextBlock { data } => Apdu::new(0x06, 0xD3, data.clone()),
            Packet::Completion { data } => Apdu::new(0x06, 0x0F, data.clone()),
            Packet::PtAbort { code, rest } => {
                let mut d = vec![*code];
                d.extend(rest);
                Apdu::new(0x06, 0x1E, d)
            }
            Packet::Ack { data } => Apdu::new(0x80, 0x00, data.clone()),
            Packet::Nack { code, data } => Apdu::new(0x84, *code, data.clone()),
            Packet::Other(a) => a.clone(),
        }
    }

    /// A short name for logs and the CLI.
    pub fn name(&self) -> &'static str {
        match self {
            Packet::Registration { .. } => "registration",
            Packet::Authorization { .. } => "authorization",
            Packet::Reversal { .. } => "reversal",
            Packet::Refund { .. } => "refund",
            Packet::EndOfDay { .. } => "end-of-day",
            Packet::RepeatReceipt { .. } => "repeat-receipt",
            Packet::Abort { .. } => "abort",
            Packet::LogOff => "log-off",
            Packet::StatusEnquiry { .. } => "status-enquiry",
            Packet::IntermediateStatus { .. } => "intermediate-status",
            Packet::StatusInformation { .. } => "status-information",
            Packet::PrintLine { .. } => "print-line",
            Packet::PrintTextBlock { .. } => "print-text-block",
            Packet::Completion { .. } => "completion",
            Packet::PtAbort { .. } => "pt-abort",
            Packet::Ack { .. } => "ack",
            Packet::Nack { .. } => "nack",
            Packet::Other(_) => "other",
        }
    }

    /// The BMP fields of packets that carry them.
    pub fn fields(&self) -> &[Field] {
        match self {
            Packet::Registration { fields, .. }
            | Packet::Authorization { fields }
            | Packet::Reversal { fields, .. }
            | Packet::Refund { fields, .. }
            | Packet::EndOfDay { fields, .. }
            | Packet::RepeatReceipt { fields, .. }
            | Packet::Abort { fields }
            | Packet::StatusEnquiry { fields, .. }
            | Packet::StatusInformation { fields } => fields,
            _ => &[],
        }
    }
}

/// Typed reads of a field list.
pub trait Fields {
    fn field(&self, bmp: u8) -> Option<&Field>;
    fn amount(&self) -> Option<u64> {
        self.field(0x04).and_then(Field::as_bcd)
    }
    fn result_code(&self) -> Option<u8> {
        self.field(0x27).and_then(|f| f.value.first().copied())
    }
    fn trace(&self) -> Option<u32> {
        self.field(0x0B).and_then(Field::as_bcd).map(|v| v as u32)
    }
    fn receipt_no(&self) -> Option<u16> {
        self.field(0x87).and_then(Field::as_bcd).map(|v| v as u16)
    }
    fn currency(&self) -> Option<u16> {
        self.field(0x49).and_then(Field::as_bcd).map(|v| v as u16)
    }
    fn terminal_id(&self) -> Option<u32> {
        self.field(0x29).and_then(Field::as_bcd).map(|v| v as u32)
    }
    fn auth_code(&self) -> Option<String> {
        self.field(0x3B).map(|f| f.as_text().trim().to_owned())
    }
    fn card_name(&self) -> Option<String> {
        self.field(0x8B).map(Field::as_text)
    }
    fn masked_pan(&self) -> Option<String> {
        self.field(0x22).map(|f| bmp::masked_pan(&f.value))
    }
    /// The TLV container, parsed (BER-TLV, as EMV data is).
    fn tlv(&self) -> Option<Vec<till_emv::Tlv>> {
        self.field(0x06).and_then(|f| till_emv::parse(&f.value).ok())
    }
}

impl Fields for [Field] {
    fn field(&self, bmp: u8) -> Option<&Field> {
        self.iter().find(|f| f.bmp == bmp)
    }
}

impl Fields for Vec<Field> {
    fn field(&self, bmp: u8) -> Option<&Field> {
        self.iter().find(|f| f.bmp == bmp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_round_trip() -> Result<(), ZvtError> {
        let bytes = [0x06, 0x00, 0x06, 0x12, 0x34, 0x56, 0xDE, 0x09, 0x78];
        let apdu = Apdu::decode(&bytes)?;
        let p = Packet::from_apdu(&apdu)?;
        match &p {
            Packet::Registration {
                password,
                config,
                currency,
                fields,
            } => {
                assert_eq!((*password, *config, *currency), (123_456, 0xDE, Some(978)));
                assert!(fields.is_empty());
            }
            other => return Err(ZvtError::Unexpected(format!("{other:?}"))),
        }
        assert_eq!(p.to_apdu().encode()?, bytes);
        Ok(())
    }
}
